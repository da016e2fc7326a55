"""The one factorisation of keys (customer ids, group labels) into dense codes.

:func:`factorize` returns what ``np.unique(values, return_inverse=True)``
returns, by the fastest exact path for the kind of key:

- integers of a narrow range: their offset from the smallest (no sort);
- strings (numpy ``U``/``S``, objects that are all ``str``, pyarrow
  ``string``/``large_string``/``string_view``/dictionary arrays): by hashing
  their bytes, with every row checked against its group's first row, then a
  sort of the ``k`` distinct strings only (below); Arrow dictionary arrays
  by their indices, and strings whose sampled rows repeat a lot (few
  distinct values) through pyarrow's ``dictionary_encode``, whose hash
  table then stays in cache;
- anything else (mixed objects, ``key=``): one dictionary pass and a sort of
  the distinct keys; or ``np.unique``.

Strings are handled as rows of bytes whose bytewise order and equality are
the values' own: UTF-8 (Arrow, objects; byte order is code-point order,
which is Python's ``str`` order), Latin-1 for numpy ``U`` arrays whose code
points are all below 256 (one byte per character instead of four), UCS-4
with big-endian code units for other ``U`` arrays, the raw bytes of numpy
``S`` arrays.  Medians measured with ``benchmarks/bench_keys.py`` (2.8
million rows, 1 million distinct uuid-hex ids, from a pyarrow string array,
2 shared cores), what each step costs and why it is done this way:

1. *Hash* (0.04 s; 0.17 s for e-mail addresses of varying length).  Each
   string's 8-byte words (zero past its end) are chained into a 64-bit
   hash, ``h = mix(h ^ w)``, over its first 64 bytes; the words of longer
   tails are added as position-keyed terms, so one 10 MB string costs one
   vectorised pass, not a Python iteration per word.  Words are read
   straight from the Arrow data buffer, through a strided view where the
   strings have one length, in blocks of 65,536 rows whose temporaries stay
   in cache.  A hash table (pyarrow's ``dictionary_encode``, polars'
   ``unique``) costs a cache miss per string; ``benchmarks/bench_keys.py``
   times both beside this.
2. *Group* (0.14 s).  The hash's top bits and the row number are packed
   into one ``uint64`` and sorted by ``np.sort`` (which sorts the keys
   themselves, where ``np.argsort`` would gather through an index).  Groups are numbered by first
   appearance, so their first rows ascend through the data.
3. *Verify* (0.08 s; 0.23 s for e-mails).  Every row is compared with its
   group's first row: strings of one length word by word, against a table
   of the first rows' words; strings of varying length by Arrow's ``take``
   and ``equal``, faster there than masking their words.  A collision of
   the hash's top bits (about one pair in ten runs at a million distinct
   values) is split exactly by ``np.unique`` of just the rows of the
   groups concerned: the result is exact whatever the hash does.
4. *Order* (0.15 s; 0.44 s for e-mails, whose long shared prefixes take
   more rounds).  The ``k`` distinct strings are sorted by big-endian bits
   of their bytes, most significant digit first: each round packs the tied
   run's number, the next bits and the position in the run into one
   ``uint64`` for ``np.sort``; only strings still tied go on (pyarrow's
   ``sort_indices`` of the same strings is timed beside it).
5. *Distinct values* (0.23 s): the ``k`` strings as Python objects, what
   the caller gets (for objects, taken from the caller's array).

In all, 0.6 to 0.7 s for the uuids (1.1 s for e-mails, 0.1 s for 50
distinct values), against 5 s for the dictionary pass and sort of Python
strings this replaced and 4.5 s for ``np.unique``; 0.45 s of it is needed
in first-appearance order (no step 4).  Objects are first converted to one
Arrow string array (``pyarrow.array``).  The figures are medians of
``benchmarks/bench_keys.py`` (2.8 million rows, 1 million distinct) on the
2-core development machine.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from relmark._validation import BoolArray, IntArray, fail_rows
from relmark.data._arrow import arrow_of, numpy_of

__all__ = ["distinct_rows", "factorize"]

#: Integer keys whose range is at most this many times the number of rows
#: (plus a constant) are coded by their offset from the smallest, without a sort.
_DENSE_RANGE = 4
#: Rows per block in the string passes: a block's temporaries stay in cache.
_BLOCK = 1 << 16
#: Bytes of a string hashed by chaining; the rest by position-keyed terms.
_CHAIN_BYTES = 64
#: Words of long strings' tails processed at a time.
_TAIL_WORDS = 1 << 20
#: Tied strings few enough to finish sorting in Python (see :func:`_sort_few`).
_FEW_TIED = 64
#: Rows sampled to tell whether few distinct strings repeat (see :func:`_few_distinct`).
_SAMPLE = 1 << 16
#: Most bytes an Arrow ``string`` array (32-bit offsets) holds; more need ``large_string``.
_MAX_STRING_BYTES = 2**31 - 1

_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)
#: Keep the first ``v`` bytes of a word, ``v = 0..8``: as little- and as big-endian loads see them.
_LITTLE_MASKS = np.array([(1 << (8 * v)) - 1 for v in range(9)], dtype=np.uint64)
_BIG_MASKS = np.array([((1 << (8 * v)) - 1) << (64 - 8 * v) for v in range(9)], dtype=np.uint64)

UInt64Array = NDArray[np.uint64]
#: What :func:`factorize` takes: a numpy array or a pyarrow (chunked) array.
Keys: TypeAlias = NDArray[Any] | pa.Array | pa.ChunkedArray


def factorize(
    values: Keys, *, key: Callable[[Any], Any] | None = None
) -> tuple[NDArray[Any], IntArray]:
    """Return the sorted distinct values and each value's code, ``0..k-1``, into them.

    The same result as ``np.unique(values, return_inverse=True)``, by the
    fastest exact path for the kind of key (see the module's notes):

    - integers spanning a range not much wider than the number of rows: by
      their offset from the smallest (no sort; no copy for ``0..k-1`` int64
      codes, already dense);
    - strings (numpy ``U`` or ``S``, objects that are all ``str``, pyarrow
      string, large string and string-view arrays, chunked or not): by a
      64-bit hash of their bytes, checked row by row against each group's
      first row (so exact even when two strings share a hash), then a sort
      of the ``k`` distinct strings only; when a sample of rows shows few
      distinct values, by pyarrow's ``dictionary_encode`` instead;
    - pyarrow dictionary arrays: their dictionaries as above, then their
      indices (chunks with different dictionaries are unified; entries no
      row uses are dropped);
    - other Arrow arrays: as the numpy arrays they convert to;
    - other objects, or any values with ``key``: one dictionary pass, then
      a sort of the ``k`` distinct keys;
    - anything else: ``np.unique``.

    Parameters
    ----------
    values : ndarray, pyarrow.Array or pyarrow.ChunkedArray, shape (n,)
        Keys of any hashable, orderable scalar dtype.  Arrow arrays must
        not hold nulls.
    key : callable, optional
        Applied to each value before grouping (``str`` groups ``1`` and
        ``"1"`` together and sorts mixed types as text); the distinct values
        returned are then the keys.

    Returns
    -------
    distinct : ndarray, shape (k,)
        The distinct values (or keys), sorted, in ``values``' dtype (object
        for Arrow strings and with ``key``; for objects, objects taken from
        ``values``).  Strings sort as Python sorts them (by code point).
    codes : ndarray of int64, shape (n,)
        ``distinct[codes]`` equals ``values``.  May be ``values`` itself
        (when it already is ``0..k-1`` in int64): do not write to it.

    Raises
    ------
    TypeError
        If ``values`` is neither a numpy array nor a pyarrow array; or, as
        in ``np.unique``, if its objects cannot be compared.
    ValidationError
        If an Arrow array holds nulls.

    Examples
    --------
    >>> import numpy as np
    >>> import pyarrow as pa
    >>> from relmark.data._keys import factorize
    >>> distinct, codes = factorize(np.array(["b", "a", "b", "c"]))
    >>> distinct.tolist(), codes.tolist()
    (['a', 'b', 'c'], [1, 0, 1, 2])
    >>> distinct, codes = factorize(pa.array(["bob@x.org", "al@x.org", "bob@x.org"]))
    >>> distinct.tolist(), codes.tolist()
    (['al@x.org', 'bob@x.org'], [1, 0, 1])
    >>> distinct, codes = factorize(np.array([30, 10, 30, 50]))
    >>> distinct.tolist(), codes.tolist()
    ([10, 30, 50], [1, 0, 1, 2])
    >>> factorize(np.array([1, "1", "a"], dtype=object), key=str)[0].tolist()
    ['1', 'a']
    """
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        if key is not None:
            return _by_dictionary(_arrow_to_numpy(values), key)
        return _factorize_arrow(values)
    if not isinstance(values, np.ndarray):
        raise TypeError(
            "`values` must be a numpy array or a pyarrow Array or ChunkedArray, "
            f"got {type(values).__name__}"
        )
    if values.ndim != 1:
        values = values.reshape(-1)
    if key is None and values.dtype.kind in "iu" and values.size:
        dense = _dense_integers(values)
        if dense is not None:
            return dense
    if key is None and values.dtype.kind in "US" and values.size:
        return _factorize_text(_fixed_text(values), values.__getitem__)
    if key is None and values.dtype.kind == "O":
        strings = _object_strings(values)
        if strings is not None:
            return _factorize_strings(strings, values.__getitem__)
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


# ----------------------------------------------------------------------------- integers


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


# ----------------------------------------------------------------------------- strings as bytes


class _Text:
    """``n`` strings as rows of bytes whose bytewise order and equality are the strings'.

    Either *fixed*: row ``i`` is the ``stride`` bytes at ``base + i * stride``
    (numpy ``S`` and narrowed ``U`` arrays, whose rows are NUL-padded, and
    Arrow arrays whose strings all have one length); or *variable*: row
    ``i`` is ``lengths[i]`` bytes at ``starts[i]`` (Arrow offsets).  Words
    are 8-byte loads at any byte offset, through views of the data with a
    stride of one byte.

    A row's *words* are its bytes ``8 j .. 8 j + 7`` for ``j`` below
    :attr:`word_count` (its first 64 bytes at most), zero past its end:
    with its length they determine those bytes.
    """

    def __init__(
        self,
        data: NDArray[np.uint8],
        size: int,
        *,
        starts: NDArray[np.integer[Any]] | None = None,
        lengths: NDArray[np.integer[Any]] | None = None,
        base: int = 0,
        stride: int = 0,
        source: pa.Array | None = None,
    ) -> None:
        if data.size < _CHAIN_BYTES + 8:  # so a row's words can always be viewed: pad (small)
            data = np.concatenate([data, np.zeros(_CHAIN_BYTES + 8 - data.size, dtype=np.uint8)])
        self.data = data
        self.size = size
        self.source = source  # the Arrow array read, if any
        self.starts = starts
        self._lengths = lengths
        self.base, self.stride = base, stride
        known = lengths is not None and size > 0
        self.max_length = int(lengths.max()) if known else stride  # type: ignore[union-attr]
        self.word_count = (min(self.max_length, _CHAIN_BYTES) + 7) // 8
        self._last = data.size - 8  # the last offset an 8-byte load may start at
        self._little = self._view((self._last + 1,), (1,), "<u8")
        self._big = self._view((self._last + 1,), (1,), ">u8")
        # each row's words, wherever the row starts (up to the last full set of words)
        self._last_row = data.size - 8 * max(self.word_count, 1)
        self._rows = self._view((self._last_row + 1, self.word_count), (1, 8), "<u8")
        self._aligned = (
            starts is None and stride % 8 == 0 and stride >= 8 and base % 8 == 0
        )  # fixed rows whose words are aligned and never cross a row's end

    def _view(self, shape: tuple[int, ...], strides: tuple[int, ...], dtype: str) -> UInt64Array:
        """Return a view of the data as 8-byte words of the given shape and byte strides."""
        view: UInt64Array = np.ndarray(shape, dtype=dtype, buffer=self.data, strides=strides)
        return view

    @property
    def fixed(self) -> bool:
        """Return whether every row has the same length at the same stride."""
        return self.starts is None

    def lengths(self, rows: IntArray | slice) -> IntArray:
        """Return the rows' lengths in bytes (the padded width for fixed rows)."""
        if self._lengths is None:
            count = rows.size if isinstance(rows, np.ndarray) else len(range(self.size)[rows])
            return np.full(count, self.stride, dtype=np.int64)
        return self._lengths[rows].astype(np.int64, copy=False)

    def offsets(self, rows: IntArray | slice) -> IntArray:
        """Return where the rows start in ``data``."""
        if self.starts is None:
            if isinstance(rows, slice):
                rows = np.arange(self.size)[rows]
            return self.base + rows * self.stride
        return self.starts[rows].astype(np.int64)

    def words(self, rows: IntArray | slice) -> UInt64Array:
        """Return the rows' words, shape ``(rows, word_count)`` (see the class).

        Aligned fixed rows are a strided view of the data (a slice of rows)
        or taken from one (an index array); a slice of other fixed rows is
        copied from a strided view; other rows are gathered through the
        one-byte-stride view.  Bytes past a row's end are masked off.
        """
        if self._aligned:
            table: UInt64Array = np.ndarray(
                (self.size, self.word_count), "<u8", self.data, self.base, (self.stride, 8)
            )
            return table[rows] if isinstance(rows, slice) else np.take(table, rows, axis=0)
        if not (self.fixed and self.stride and isinstance(rows, slice)):
            return self._gathered(self.offsets(rows), self.lengths(rows))
        low, high, _ = rows.indices(self.size)
        # rows whose words all lie inside the data; the last few are gathered
        safe = max(low, min(high, (self._last_row - self.base) // self.stride + 1))
        words = np.empty((high - low, self.word_count), dtype=np.uint64)
        words[: safe - low] = np.ndarray(
            (safe - low, self.word_count),
            "<u8",
            self.data,
            self.base + low * self.stride,
            (self.stride, 8),
        )
        late = np.arange(safe, high)
        words[safe - low :] = self._gathered(self.offsets(late), self.lengths(late))
        for word in range(self.stride // 8, self.word_count):  # words reaching the next row
            words[:, word] &= _LITTLE_MASKS[max(self.stride - 8 * word, 0)]
        return words

    def _gathered(self, starts: IntArray, lengths: IntArray) -> UInt64Array:
        """Return the words of rows at ``starts`` of ``lengths`` bytes, gathered and masked."""
        words = self._rows[np.minimum(starts, self._last_row)]
        if not starts.size:
            return words
        late = np.flatnonzero(starts > self._last_row)  # rows in the data's last few bytes
        shortest = int(lengths.min())
        for word in range(self.word_count):
            if late.size:
                words[late, word] = self.load(starts[late] + 8 * word, lengths[late] - 8 * word)
            if shortest < 8 * (word + 1):  # some rows end within this word
                words[:, word] &= _LITTLE_MASKS[np.clip(lengths - 8 * word, 0, 8)]
        return words

    def word_table(self, rows: IntArray) -> UInt64Array:
        """Return the words of ``rows`` (an index array), in blocks of rows."""
        if self._aligned:
            return self.words(rows)
        table = np.empty((rows.size, self.word_count), dtype=np.uint64)
        for low in range(0, rows.size, _BLOCK):
            table[low : low + _BLOCK] = self.words(rows[low : low + _BLOCK])
        return table

    def load(self, at: IntArray, valid: IntArray) -> UInt64Array:
        """Return the little-endian words at byte offsets ``at``, keeping ``valid`` bytes.

        ``valid`` is clipped to ``0..8``; a word running past the end of the
        data is loaded from the last 8 bytes and shifted into place.
        """
        valid = np.clip(valid, 0, 8)
        beyond = at > self._last
        words = self._little[np.minimum(at, self._last)]
        if beyond.any():
            words[beyond] >>= ((at[beyond] - self._last) * 8).astype(np.uint64)
        if valid.min() < 8:
            words &= _LITTLE_MASKS[valid]
        return words

    def big_words(self, at: IntArray, ends: IntArray) -> UInt64Array:
        """Return the big-endian words at byte offsets ``at`` of rows ending at ``ends``.

        Bytes at or past a row's end read as zero: a word that would cross
        it is loaded from the row's last 8 bytes (never past the data) and
        shifted up.
        """
        loaded = np.maximum(np.minimum(at, ends - 8), 0)
        words = self._big[loaded]
        words <<= (8 * (at - loaded)).astype(np.uint64)  # 64 and more give 0
        if ends.size and int(ends.min()) < 8:  # rows within the data's first word: cut their end
            words &= _BIG_MASKS[np.clip(ends - at, 0, 8)]
        return words


def _fixed_text(values: NDArray[Any]) -> _Text:
    """Read a non-empty numpy ``S`` or ``U`` array as rows of bytes ordered as its strings."""
    if values.dtype.kind == "S":
        return _rows_of(np.ascontiguousarray(values), values.size, values.dtype.itemsize)
    width = values.dtype.itemsize // 4
    units = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("=")).view(np.uint32)
    if width == 0 or int(units.max()) < 256:  # Latin-1: one byte a character, same order
        return _rows_of(units.astype(np.uint8), values.size, width)
    # UCS-4 with big-endian code units: byte order is code-point order (pyarrow's own
    # conversion of ``U`` arrays would cut each string at its first NUL)
    big = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder(">"))
    return _rows_of(big, values.size, values.dtype.itemsize)


def _rows_of(rows: NDArray[Any], size: int, width: int) -> _Text:
    """Read ``size`` contiguous NUL-padded rows of ``width`` bytes each."""
    return _Text(rows.reshape(-1).view(np.uint8), size, base=0, stride=width)


def _object_strings(values: NDArray[Any]) -> pa.Array | None:
    """Return objects that are all ``str`` as one Arrow string array (UTF-8); else ``None``.

    UTF-8's byte order is code-point order, Python's order of ``str``.
    Bytes among the strings, ``None``, other objects and lone surrogates
    (which have no UTF-8) give ``None``: the dictionary path then says what
    is wrong, or sorts what it can.
    """
    if not values.size or not isinstance(values[0], str):
        return None
    try:
        strings = pa.array(values, from_pandas=False)
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        return None
    if strings.type not in (pa.string(), pa.large_string()) or strings.null_count:
        return None
    return strings


def _few_distinct(strings: pa.Array) -> bool:
    """Return whether evenly spaced sample rows repeat so much that few values are distinct.

    Then pyarrow's hash table, small enough to stay in cache, is faster
    than hashing every row with numpy (``benchmarks/bench_keys.py
    --distinct 50`` times both); with many distinct values the hashing
    path wins.
    """
    if len(strings) < 4 * _SAMPLE:
        return False
    sample = strings.take(arrow_of(np.arange(_SAMPLE) * (len(strings) // _SAMPLE)))
    distinct: int = pc.count_distinct(sample).as_py()
    return distinct <= _SAMPLE // 4


def _factorize_strings(
    strings: pa.Array, values_of: Callable[[IntArray], NDArray[Any]] | None
) -> tuple[NDArray[Any], IntArray]:
    """Factorise an Arrow string array without nulls; ``values_of`` gives the values handed back.

    By hashing its bytes (:func:`_factorize_text`), or, when a sample shows
    few distinct values, through pyarrow's ``dictionary_encode``.  Without
    ``values_of`` the distinct values are new Python strings.
    """
    if _few_distinct(strings):
        distinct, codes = _factorize_dictionary(pc.dictionary_encode(strings))
        if values_of is None:
            return distinct, codes
        some_row = np.empty(distinct.size, dtype=np.int64)
        some_row[codes] = np.arange(codes.size)  # any row of each value will do
        return values_of(some_row), codes
    if values_of is None:

        def values_of(rows: IntArray) -> NDArray[Any]:
            taken: NDArray[Any] = numpy_of(strings.take(arrow_of(rows)))
            return taken

    return _factorize_text(_arrow_text(strings), values_of)


def _arrow_text(strings: pa.Array) -> _Text:
    """Read an Arrow ``string`` or ``large_string`` array without nulls in place."""
    size = len(strings)
    _, offset_buffer, data_buffer = strings.buffers()
    kind = np.int32 if strings.type == pa.string() else np.int64
    offsets = np.frombuffer(offset_buffer, dtype=kind)[strings.offset : strings.offset + size + 1]
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(0, dtype=np.uint8)
    )
    lengths = np.diff(offsets)
    if size and int(lengths.min()) == int(lengths.max()):
        return _Text(data, size, base=int(offsets[0]), stride=int(lengths[0]), source=strings)
    return _Text(data, size, starts=offsets[:-1], lengths=lengths, source=strings)


def _factorize_arrow(values: pa.Array | pa.ChunkedArray) -> tuple[NDArray[Any], IntArray]:
    """Factorise an Arrow array: strings by their bytes, dictionaries by their indices."""
    nulls = values.null_count
    if nulls:
        missing = values.is_null()
        fail_rows("values", "must not be missing", _arrow_to_numpy(missing), noun="rows")
    if pa.types.is_dictionary(values.type):
        return _factorize_dictionary(values)
    if values.type in (pa.string_view(),):
        values = values.cast(pa.large_string())
    if values.type not in (pa.string(), pa.large_string()):
        return factorize(_arrow_to_numpy(values))
    strings = _one_array(values)
    if len(strings) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    return _factorize_strings(strings, None)


def _factorize_dictionary(values: pa.Array | pa.ChunkedArray) -> tuple[NDArray[Any], IntArray]:
    """Factorise the chunks' dictionaries together, then map each chunk's indices.

    The dictionaries of different chunks may differ, hold duplicates, nulls
    no row uses, or values no row uses; those values are dropped.
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    if len(values) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
    dictionaries = [chunk.dictionary for chunk in chunks]
    starts = np.cumsum([0] + [len(d) for d in dictionaries[:-1]])
    entries = np.concatenate(
        [
            _arrow_to_numpy(chunk.indices).astype(np.int64) + start
            for chunk, start in zip(chunks, starts, strict=True)
        ]
    )
    merged = pa.concat_arrays(dictionaries)
    if merged.null_count:  # a null may stand in a dictionary as long as no row points at it
        fail_rows("values", "must not be missing", _arrow_to_numpy(merged.is_null())[entries])
        merged = merged.fill_null(merged.drop_null()[0])
    distinct, entry_codes = factorize(merged)
    codes = entry_codes[entries]
    used = np.zeros(distinct.size, dtype=bool)
    used[codes] = True
    if used.all():
        return distinct, codes
    rank = np.cumsum(used, dtype=np.int64) - 1
    return distinct[used], rank[codes]


def _one_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Return a chunked array as one array (a copy if several chunks; 64-bit offsets if large)."""
    if isinstance(values, pa.Array):
        return values
    if values.num_chunks == 1:
        return values.chunk(0)
    if values.nbytes >= _MAX_STRING_BYTES:
        values = values.cast(pa.large_string())
    return values.combine_chunks()


def _arrow_to_numpy(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    """Return an Arrow array's values as numpy (objects for strings)."""
    return numpy_of(values)


# ----------------------------------------------------------------------------- the string passes


def _factorize_text(
    text: _Text, values_of: Callable[[IntArray], NDArray[Any]], *, in_order: bool = True
) -> tuple[NDArray[Any], IntArray]:
    """Hash, group, verify and (unless ``in_order`` is false) sort; see the module's notes.

    ``values_of(rows)`` returns the values at ``rows``: the distinct values
    handed back, and the values ``np.unique`` splits where hashes collide.
    With ``in_order=False`` the groups are numbered by first appearance.
    """
    groups, first_rows = _group_by_hash(_hashes(text))
    collided = _differing_rows(text, first_rows, groups)
    if collided.any():
        groups, first_rows = _split_collisions(collided, groups, first_rows, values_of)
    if not in_order:
        return values_of(first_rows), groups
    order = _sorted_order(text, first_rows)
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    return values_of(first_rows[order]), rank[groups]


def _mix(state: UInt64Array, words: UInt64Array) -> UInt64Array:
    """One chained step: ``h = m * (h ^ w)``, then ``h ^= h >> 31`` (in place)."""
    state ^= words
    state *= _MIX1
    state ^= state >> _U64(31)
    return state


def _finish(state: UInt64Array) -> UInt64Array:
    """Apply the splitmix64 finaliser, so the top bits depend on every bit (in place)."""
    state ^= state >> _U64(30)
    state *= _MIX1
    state ^= state >> _U64(27)
    state *= _MIX2
    state ^= state >> _U64(31)
    return state


def _hashes(text: _Text) -> UInt64Array:
    """Return a 64-bit hash of each row: equal rows have equal hashes.

    ``h = (length + 1) * golden``, chained with ``h = mix(h ^ w_j)`` over the
    row's words ``w_j`` (:meth:`_Text.words`, the same number for every
    row), xor the sum of ``g(w, j)`` over the words beyond the first 64
    bytes, then finalised.
    """
    hashes = np.empty(text.size, dtype=np.uint64)
    for low in range(0, text.size, _BLOCK):
        rows = slice(low, min(low + _BLOCK, text.size))
        state = (text.lengths(rows).astype(np.uint64) + _U64(1)) * _GOLDEN
        words = text.words(rows)
        for word in range(text.word_count):
            _mix(state, words[:, word])
        hashes[rows] = state
    if text.max_length > _CHAIN_BYTES:
        long_rows = np.flatnonzero(text.lengths(slice(None)) > _CHAIN_BYTES)
        for rows_of_tail in _tail_chunks(text, long_rows):
            hashes[rows_of_tail] ^= _tail_sums(text, rows_of_tail)
    for low in range(0, text.size, _BLOCK):
        _finish(hashes[low : low + _BLOCK])
    return hashes


def _tail_chunks(text: _Text, rows: IntArray) -> list[IntArray]:
    """``rows`` (all longer than the chained bytes) in runs of about ``_TAIL_WORDS`` tail words."""
    words = (text.lengths(rows) - _CHAIN_BYTES + 7) // 8
    cut = np.searchsorted(np.cumsum(words), np.arange(_TAIL_WORDS, words.sum(), _TAIL_WORDS))
    return [chunk for chunk in np.split(rows, np.unique(cut)) if chunk.size]


def _tail_layout(text: _Text, rows: IntArray) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """For every tail word of ``rows``: its byte offset, bytes kept and index in its row.

    Also returns each row's number of tail words; a row's words are
    consecutive, rows in the order given.
    """
    lengths = text.lengths(rows) - _CHAIN_BYTES
    words = (lengths + 7) // 8
    index = np.arange(int(words.sum()), dtype=np.int64) - np.repeat(np.cumsum(words) - words, words)
    at = np.repeat(text.offsets(rows) + _CHAIN_BYTES, words) + 8 * index
    valid = np.repeat(lengths, words) - 8 * index
    return at, valid, index, words


def _tail_sums(text: _Text, rows: IntArray) -> UInt64Array:
    """Sum over each row's words beyond the chained bytes of ``g(w, j) = mix(w ^ j * golden)``."""
    at, valid, index, words = _tail_layout(text, rows)
    terms = text.load(at, valid)
    terms ^= (index.astype(np.uint64) + _U64(_CHAIN_BYTES // 8)) * _GOLDEN
    terms *= _MIX2
    terms ^= terms >> _U64(32)
    sums: UInt64Array = np.add.reduceat(terms, np.cumsum(words) - words)  # none is empty
    return sums


def _group_by_hash(hashes: UInt64Array) -> tuple[IntArray, IntArray]:
    """Group rows of equal hash; return each row's group and each group's first row.

    The top bits of each hash and the row's index are packed into one word
    and sorted: equal hashes become runs, in row order within a run.
    Groups are numbered by first appearance (their first rows ascend).
    Rows whose hashes agree in the top bits only are grouped together too;
    :func:`_differing_rows` finds them.  ``hashes`` is overwritten.
    """
    size = hashes.size
    index_bits = max(int(size - 1).bit_length(), 1)
    low = _U64((1 << index_bits) - 1)
    packed = hashes
    packed &= ~low
    packed |= np.arange(size, dtype=np.uint64)
    packed.sort()
    rows = (packed & low).astype(np.int64)
    packed >>= _U64(index_bits)
    starts = np.empty(size, dtype=bool)
    starts[:1] = True
    np.not_equal(packed[1:], packed[:-1], out=starts[1:])
    run_starts = np.flatnonzero(starts)
    first_of_run = rows[run_starts]
    is_first = np.zeros(size, dtype=bool)
    is_first[first_of_run] = True
    number = np.cumsum(is_first, dtype=np.int64) - 1  # a first row's rank in row order
    groups = np.empty(size, dtype=np.int64)
    groups[rows] = np.repeat(number[first_of_run], np.diff(run_starts, append=size))
    return groups, np.flatnonzero(is_first)


def _differing_rows(text: _Text, first_rows: IntArray, groups: IntArray) -> BoolArray:
    """Return whether each row's bytes differ from its group's first row (a collision).

    Strings of one length are compared word by word, against a table of the
    first rows' words (one cache line per row), then the tails of rows
    longer than 64 bytes.  Arrow strings of varying lengths are compared by
    Arrow itself (a ``take`` of each row's first row, then ``equal``): their
    words would need a mask per row.
    """
    if not text.fixed:
        assert text.source is not None  # rows of varying length are read from Arrow
        theirs = text.source.take(arrow_of(first_rows[groups]))
        equal: BoolArray = numpy_of(pc.equal(text.source, theirs))
        return ~equal
    differ = np.zeros(text.size, dtype=bool)
    expected = text.word_table(first_rows)
    for low in range(0, text.size, _BLOCK):
        rows = slice(low, min(low + _BLOCK, text.size))
        theirs = np.take(expected, groups[rows], axis=0)
        block = differ[rows]
        words = text.words(rows)
        for word in range(text.word_count):
            block |= words[:, word] != theirs[:, word]
    if text.max_length > _CHAIN_BYTES:
        long_rows = np.flatnonzero((text.lengths(slice(None)) > _CHAIN_BYTES) & ~differ)
        for rows_of_tail in _tail_chunks(text, long_rows):
            at, valid, _, words_per_row = _tail_layout(text, rows_of_tail)
            # the group's first row has the same length: its words at the same places
            theirs_at = text.offsets(first_rows[groups[rows_of_tail]])
            moved = np.repeat(theirs_at - text.offsets(rows_of_tail), words_per_row)
            unequal = text.load(at, valid) != text.load(at + moved, valid)
            runs = np.cumsum(words_per_row) - words_per_row
            differ[rows_of_tail] |= np.logical_or.reduceat(unequal, runs)
    return differ


def _split_collisions(
    collided: BoolArray,
    groups: IntArray,
    first_rows: IntArray,
    values_of: Callable[[IntArray], NDArray[Any]],
) -> tuple[IntArray, IntArray]:
    """Regroup exactly, with ``np.unique`` of their values, the rows of groups that collided."""
    size, count = groups.size, first_rows.size
    bad = np.zeros(count, dtype=bool)
    bad[groups[collided]] = True
    rows = np.flatnonzero(bad[groups])
    _, first_in_rows, codes = np.unique(values_of(rows), return_index=True, return_inverse=True)
    groups = groups.copy()
    groups[rows] = count + codes.reshape(-1)
    firsts = np.concatenate([first_rows, rows[first_in_rows]])  # by group number; bad ones unused
    is_first = np.zeros(size, dtype=bool)
    is_first[firsts[np.flatnonzero(~bad)]] = True
    is_first[rows[first_in_rows]] = True
    number = np.cumsum(is_first, dtype=np.int64) - 1
    return number[firsts][groups], np.flatnonzero(is_first)


def _sorted_order(text: _Text, first_rows: IntArray) -> IntArray:
    """Return the order of the distinct rows ``first_rows`` by their bytes (unsigned).

    Most significant digit first.  Each round sorts the strings still tied
    by one packed ``uint64`` -- the tied run's number, the next ``d`` bits
    of the strings (big-endian, zero past their end) and the position within
    the run -- with ``np.sort``; ``d`` is what the other two leave of 64 bits
    (at most 56).  A round whose next 8 bytes are the same throughout every
    run (a common prefix) skips them without sorting.  Strings tied on every
    byte differ only by trailing NULs; the last round orders them by length,
    shortest first, which is bytewise order.
    """
    order = np.arange(first_rows.size, dtype=np.int64)
    # the strings still tied: their places in ``order``, which string, where it starts and ends
    places, members = order.copy(), order.copy()
    starts = text.offsets(first_rows)
    ends = starts + text.lengths(first_rows)
    run = np.zeros(order.size, dtype=np.int64)  # ... and the tied run each is in
    run_starts = np.zeros(1, dtype=np.int64)
    bit = 0
    while places.size > 1:
        if places.size <= _FEW_TIED:  # a handful left, perhaps after a long shared prefix
            order[places] = members[_sort_few(text, run, starts, ends)]
            return order
        local = np.arange(places.size, dtype=np.int64) - run_starts[run]
        index_bits = max(int(local.max()).bit_length(), 1)
        run_bits = int(run_starts.size - 1).bit_length()
        lengths = ends - starts
        if 8 * int(lengths.max()) <= bit:  # rare: equal but for trailing NULs, shortest first
            within = np.lexsort((lengths, run))
            order[places] = members[within]
            if ((np.diff(run[within]) == 0) & (np.diff(lengths[within]) == 0)).any():
                raise AssertionError("two distinct strings compared equal")  # an invariant
            return order
        words = text.big_words(starts + bit // 8, ends)
        if bit % 8 == 0 and (words == words[run_starts][run]).all():
            bit += 64  # a prefix shared within every run
            continue
        words <<= _U64(bit % 8)
        digit_bits = min(56, 64 - index_bits - run_bits)
        digits = words >> _U64(64 - digit_bits)
        within, same = _sort_runs(run, run_starts, digits, local, run_bits, index_bits)
        members = members[within]
        order[places] = members
        still = np.zeros(places.size, dtype=bool)
        still[1:] = same
        still[:-1] |= same
        keep = np.flatnonzero(still)
        opens = still[keep]
        opens[1:] &= ~same[keep[1:] - 1]  # a run opens where an entry ties only the next
        run_starts = np.flatnonzero(opens)
        sizes = np.diff(run_starts, append=keep.size)
        run = np.repeat(np.arange(run_starts.size, dtype=np.int64), sizes)
        moved = within[keep]
        places, members, starts, ends = places[keep], members[keep], starts[moved], ends[moved]
        bit += digit_bits
    return order


def _sort_few(text: _Text, run: IntArray, starts: IntArray, ends: IntArray) -> IntArray:
    """Sort a handful of tied strings by their run, then their bytes, in Python.

    However long the prefix they share, this costs one comparison of bytes
    per pair, where rounds of 64 bits would cost one pass per 8 bytes.
    """
    keys = [
        (int(r), text.data[start:end].tobytes())
        for r, start, end in zip(run.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ]
    within = sorted(range(len(keys)), key=keys.__getitem__)
    if any(keys[a] == keys[b] for a, b in itertools.pairwise(within)):
        raise AssertionError("two distinct strings compared equal")  # an invariant
    return np.array(within, dtype=np.int64)


def _sort_runs(
    run: IntArray,
    run_starts: IntArray,
    digits: UInt64Array,
    local: IntArray,
    run_bits: int,
    index_bits: int,
) -> tuple[IntArray, BoolArray]:
    """Sort within each run by digit; return the permutation and which neighbours still tie.

    Run, digit and position within the run are packed into one ``uint64``
    (the caller leaves the digit the bits the other two do not need) and
    sorted.  ``same[i]`` is whether sorted entries ``i`` and ``i + 1`` have
    the same run and digit.
    """
    digit_bits = max(int(digits.max()).bit_length(), 1)
    packed = digits << _U64(index_bits)
    packed |= local.astype(np.uint64)
    if run_bits:
        packed |= run.astype(np.uint64) << _U64(digit_bits + index_bits)
    packed.sort()
    within = (packed & _U64((1 << index_bits) - 1)).astype(np.int64)
    if run_bits:
        within += run_starts[(packed >> _U64(digit_bits + index_bits)).astype(np.int64)]
    heads = packed >> _U64(index_bits)
    return within, heads[1:] == heads[:-1]
