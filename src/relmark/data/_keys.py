"""The one factorisation of keys (customer ids, group labels) into dense codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from relmark._validation import IntArray

__all__ = ["distinct_rows", "factorize"]

#: Integer keys whose range is at most this many times the number of rows
#: (plus a constant) are coded by their offset from the smallest, without a sort.
_DENSE_RANGE = 4


def factorize(
    values: NDArray[Any], *, key: Callable[[Any], Any] | None = None
) -> tuple[NDArray[Any], IntArray]:
    """Return the sorted distinct values and each value's code, ``0..k-1``, into them.

    The same result as ``np.unique(values, return_inverse=True)``, by the
    fastest of three paths:

    - integers spanning a range not much wider than the number of rows: by
      their offset from the smallest (no sort; no copy for ``0..k-1`` int64
      codes, already dense);
    - objects (such as the strings of a pandas column), or any values with
      ``key``: one dictionary pass, then a sort of the ``k`` distinct keys
      only;
    - anything else: ``np.unique``.

    Parameters
    ----------
    values : ndarray, shape (n,)
        Keys of any hashable, orderable scalar dtype.
    key : callable, optional
        Applied to each value before grouping (``str`` groups ``1`` and
        ``"1"`` together and sorts mixed types as text); the distinct values
        returned are then the keys.

    Returns
    -------
    distinct : ndarray, shape (k,)
        The distinct values (or keys), sorted, in ``values``' dtype (object
        with ``key``).
    codes : ndarray of int64, shape (n,)
        ``distinct[codes]`` equals ``values``.  May be ``values`` itself
        (when it already is ``0..k-1`` in int64): do not write to it.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data._keys import factorize
    >>> distinct, codes = factorize(np.array(["b", "a", "b", "c"]))
    >>> distinct.tolist(), codes.tolist()
    (['a', 'b', 'c'], [1, 0, 1, 2])
    >>> distinct, codes = factorize(np.array([30, 10, 30, 50]))
    >>> distinct.tolist(), codes.tolist()
    ([10, 30, 50], [1, 0, 1, 2])
    >>> factorize(np.array([1, "1", "a"], dtype=object), key=str)[0].tolist()
    ['1', 'a']
    """
    if key is None and values.dtype.kind in "iu" and values.size:
        dense = _dense_integers(values)
        if dense is not None:
            return dense
    if key is not None or values.dtype.kind == "O":
        return _by_dictionary(values, key)
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, inverse.reshape(-1).astype(np.int64, copy=False)


def distinct_rows(*columns: NDArray[Any]) -> tuple[IntArray, IntArray]:
    """Return one index per distinct row of ``columns`` and each row's code into them.

    The rows are the tuples ``(columns[0][i], columns[1][i], ...)``.  Each
    column is factorised (:func:`factorize`) and the codes are packed into
    one int64 key, so a single ``np.unique`` of integers replaces a
    lexicographic sort; when the packed key would not fit in 62 bits the
    rows are compared column by column instead.

    Parameters
    ----------
    *columns : ndarray, shape (n,)
        Equal-length columns.

    Returns
    -------
    first : ndarray of int64, shape (k,)
        The index of one row of each distinct tuple, in sorted tuple order.
    codes : ndarray of int64, shape (n,)
        Each row's distinct tuple: row ``i`` equals row ``first[codes[i]]``.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data._keys import distinct_rows
    >>> first, codes = distinct_rows(np.array([2.0, 0.0, 2.0]), np.array([5.5, 1.0, 5.5]))
    >>> first.tolist(), codes.tolist()
    ([1, 0], [1, 0, 1])
    """
    size = columns[0].size
    key = np.zeros(size, dtype=np.int64)
    combinations = 1
    for column in columns:
        distinct, column_codes = factorize(column)
        combinations *= max(distinct.size, 1)
        if combinations >= 2**62:
            stacked = np.stack([np.asarray(c, dtype=np.float64) for c in columns], axis=1)
            _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
            return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)
        key *= max(distinct.size, 1)
        key += column_codes
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)


def _dense_integers(values: NDArray[Any]) -> tuple[NDArray[Any], IntArray] | None:
    """Code integers by offset when their range is small; ``None`` when it is not."""
    low, high = int(values.min()), int(values.max())
    span = high - low + 1
    if span > _DENSE_RANGE * values.size + 1024:
        return None
    if low == 0 and values.dtype == np.int64:
        offset: IntArray = values
    elif values.dtype.kind == "u":  # subtract in the unsigned dtype: no sign, no overflow
        offset = (values - values.dtype.type(low)).astype(np.int64)
    else:  # widen first: int8 - (-100) would overflow in int8
        offset = values.astype(np.int64) - low
    distinct = np.arange(low, high + 1, dtype=values.dtype)
    seen = np.zeros(span, dtype=bool)
    seen[offset] = True
    if seen.all():
        return distinct, offset
    rank = np.cumsum(seen, dtype=np.int64) - 1
    codes: IntArray = rank[offset]
    return distinct[seen], codes


def _by_dictionary(
    values: NDArray[Any], key: Callable[[Any], Any] | None
) -> tuple[NDArray[Any], IntArray]:
    """Code by first appearance in one dictionary pass, then renumber in sorted order."""
    items = values.reshape(-1).tolist()
    index: dict[Any, int] = {}
    # one generator each: calling ``key`` inside is faster than chaining ``map(key, items)``
    seen = (
        (index.setdefault(item, len(index)) for item in items)
        if key is None
        else (index.setdefault(key(item), len(index)) for item in items)
    )
    first_seen = np.fromiter(seen, dtype=np.int64, count=len(items))
    keys = np.fromiter(index, dtype=object, count=len(index))
    order = np.argsort(keys, kind="stable")
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    distinct = keys[order]
    if key is None:
        distinct = distinct.astype(values.dtype, copy=False)
    return distinct, rank[first_seen]
