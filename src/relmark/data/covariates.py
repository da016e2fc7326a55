"""`Covariates`: who each customer is, as numbers aligned with a summary's rows.

A summary's covariates are a matrix with one row per summary row and one
column per *encoded* covariate: numbers as they are, booleans as 0/1, and
each categorical (text, dictionary) column as one indicator column per
level but its reference level, named ``"column=level"``.  Models with
covariates (:meth:`relmark.BetaGeo.fit` with ``covariates=``) read the
columns they need by name.

:func:`covariates_for` builds them from a table keyed by customer id (what
:meth:`relmark.CustomerSummary.with_covariates` calls): any table goes
through the one adapter (:func:`relmark.data._arrow.as_arrow_table`), ids
are read as :meth:`relmark.TransactionLog.from_frame` reads them and
matched by one factorisation (:func:`relmark.data._keys.factorize`) of the
summary's and the table's ids together, so aligning a million customers
is a few vectorised passes, never a loop over customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from relmark._validation import FloatArray, IntArray, as_float_array, describe, readonly
from relmark.data._arrow import arrow_of, as_arrow_table, numpy_of, table_column
from relmark.data._frozen import reduce_read_only
from relmark.data._keys import _object_strings, factorize
from relmark.exceptions import ValidationError

__all__ = ["SUMMARY_COLUMNS", "Covariates", "check_covariate_names", "covariates_for"]

#: The columns of a summary's table (``to_dict()``): no covariate may take one of these names.
SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value", "weights")

#: Most levels an error message lists (a column of ids by mistake has one per customer).
_SHOWN_LEVELS = 20
#: Most missing customers an error message names.
_SHOWN_MISSING = 5


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"`names` must be a sequence of strings, got {type(value).__name__}")
    names = tuple(value)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"`names` must hold strings, got {type(name).__name__}")
        if not name:
            raise ValidationError("`names` must not hold empty strings", argument="names")
    _check_distinct(names, "names")
    return names


def _values(value: ArrayLike) -> FloatArray:
    if isinstance(value, np.ndarray) and value.dtype == bool:
        value = value.astype(np.float64)  # booleans are 0/1 covariates, as in a table
    values = as_float_array("values", value, any_shape=True)
    if values.ndim != 2:
        raise ValidationError(
            f"`values` must be two-dimensional (customers, covariates), got shape {values.shape}",
            argument="values",
        )
    return values


def _check_distinct(names: Sequence[str], argument: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValidationError(
                f"`{argument}` holds {name!r} twice: every covariate needs its own name",
                argument=argument,
            )
        seen.add(name)


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Covariates:
    """Covariate values, one row per summary row, one column per encoded covariate.

    Usually made by :meth:`relmark.CustomerSummary.with_covariates`; the
    constructor takes values already encoded as numbers.  ``values`` is a
    read-only float64 copy, read-only again after unpickling.

    Attributes
    ----------
    names : tuple of str
        The encoded columns' names: a numeric or boolean column's own name,
        ``"column=level"`` for each level of a categorical column but its
        reference level.
    values : ndarray, shape (n, k)
        Finite numbers: ``values[i, j]`` is covariate ``names[j]`` of row ``i``
        (booleans and levels as 0/1; a boolean array is taken as 0/1).

    Raises
    ------
    ValidationError
        For NaN or infinite values, values not two-dimensional, a number of
        columns other than ``len(names)``, or repeated or empty names.
    TypeError
        For names that are not strings, or values that are not numbers.

    Examples
    --------
    >>> from relmark.data.covariates import Covariates
    >>> covariates = Covariates(names=("age", "channel=web"), values=[[31, 0], [45, 1], [28, 1]])
    >>> len(covariates), covariates.columns(["channel=web"]).ravel().tolist()
    (3, [0.0, 1.0, 1.0])
    >>> covariates
    Covariates(3 rows: age, channel=web)
    """

    names: tuple[str, ...] = attrs.field(converter=_names)
    values: FloatArray = attrs.field(converter=_values)

    def __attrs_post_init__(self) -> None:
        if self.values.shape[1] != len(self.names):
            raise ValidationError(
                f"`values` must have one column per name ({len(self.names)}), "
                f"got {self.values.shape[1]}",
                argument="values",
            )

    @classmethod
    def _trusted(cls, names: tuple[str, ...], values: FloatArray) -> Covariates:
        """Build from checked parts (distinct names, finite read-only float64 (n, k)): no checks."""
        covariates = object.__new__(cls)
        object.__setattr__(covariates, "names", names)
        object.__setattr__(covariates, "values", values)
        return covariates

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only values again after unpickling

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def columns(self, names: Sequence[str]) -> FloatArray:
        """Return the columns ``names``, in that order, as an ``(n, q)`` array.

        Parameters
        ----------
        names : sequence of str
            Encoded covariate names (see :attr:`names`).

        Returns
        -------
        ndarray, shape (n, len(names))
            A new array (writing to it changes nothing here).

        Raises
        ------
        ValidationError
            If a name is not a covariate; the message lists the known ones.
        TypeError
            If ``names`` is a single string or holds non-strings.

        Examples
        --------
        >>> from relmark.data.covariates import Covariates
        >>> covariates = Covariates(names=("a", "b"), values=[[1, 2], [3, 4]])
        >>> covariates.columns(["b", "a"]).tolist()
        [[2.0, 1.0], [4.0, 3.0]]
        >>> covariates.columns(["c"])
        Traceback (most recent call last):
        ...
        relmark.exceptions.ValidationError: unknown covariate 'c'; the covariates are 'a', 'b'
        """
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise TypeError(f"`names` must be a sequence of strings, got {type(names).__name__}")
        where = {name: j for j, name in enumerate(self.names)}
        unknown = [name for name in names if name not in where]
        if unknown:
            known = ", ".join(map(repr, self.names)) or "none"
            plural = "s" if len(unknown) > 1 else ""
            raise ValidationError(
                f"unknown covariate{plural} {', '.join(map(repr, unknown))}; "
                f"the covariates are {known}",
                argument="names",
            )
        chosen: FloatArray = self.values[:, [where[name] for name in names]]
        return chosen

    def subset(self, rows: ArrayLike | slice) -> Covariates:
        """Return the rows selected by a boolean mask, an index array or a slice.

        Examples
        --------
        >>> from relmark.data.covariates import Covariates
        >>> covariates = Covariates(names=("a",), values=[[1], [2], [3]])
        >>> covariates.subset([2, 0]).values.ravel().tolist()
        [3.0, 1.0]
        """
        if isinstance(rows, slice):
            return Covariates._trusted(self.names, readonly(self.values[rows].copy()))
        index = np.asarray(rows)
        if index.dtype == bool and index.shape != (len(self),):
            raise ValidationError(
                f"`rows` mask must have length {len(self):,}, got shape {index.shape}",
                argument="rows",
            )
        return Covariates._trusted(self.names, readonly(self.values[index]))

    def to_dict(self) -> dict[str, FloatArray]:
        """Return the columns as a mapping of name to read-only 1-D array.

        Examples
        --------
        >>> from relmark.data.covariates import Covariates
        >>> Covariates(names=("a", "b"), values=[[1, 2]]).to_dict()["b"].tolist()
        [2.0]
        """
        return {name: self.values[:, j] for j, name in enumerate(self.names)}

    def __repr__(self) -> str:
        shown = ", ".join(self.names[:6]) + (", ..." if len(self.names) > 6 else "")
        count = f", {len(self.names)} columns" if len(self.names) > 6 else ""
        return f"Covariates({len(self):,} rows{count}: {shown or 'none'})"


# ----------------------------------------------------------------------------- from a table


def covariates_for(
    customer_id: NDArray[Any],
    table: object,
    *,
    id_column: str = "customer_id",
    columns: Sequence[str] | None = None,
    reference: Mapping[str, object] | None = None,
) -> Covariates:
    """Return the covariates of customers ``customer_id`` from ``table``, encoded, in that order.

    The rules are those of :meth:`relmark.CustomerSummary.with_covariates`,
    which calls this with its customer ids.

    Parameters
    ----------
    customer_id : ndarray, shape (n,)
        The customers whose rows are wanted, in the order wanted.
    table : table, mapping of columns, or sequence of Customer
        See :meth:`~relmark.CustomerSummary.with_covariates`.
    id_column, columns, reference
        See :meth:`~relmark.CustomerSummary.with_covariates`.

    Returns
    -------
    Covariates
        Row ``i`` holds the covariates of customer ``customer_id[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data.covariates import covariates_for
    >>> table = {"customer_id": ["b", "a", "z"], "region": ["north", "south", "north"]}
    >>> found = covariates_for(np.array(["a", "b"]), table)
    >>> found.names, found.values.ravel().tolist()
    (('region=south',), [1.0, 0.0])
    """
    if not isinstance(id_column, str):
        raise TypeError(f"`id_column` must be a string, got {type(id_column).__name__}")
    chosen = _column_names(columns, "columns")
    levels = _reference(reference)
    arrow = as_arrow_table(_customer_table(table, id_column, chosen), "table")
    ids = _table_ids(table_column(arrow, id_column, "id_column"), id_column)
    names = _covariate_columns(arrow, id_column, chosen, levels)
    rows = _aligned_rows(np.asarray(customer_id), ids, id_column)
    at_rows = arrow_of(rows)  # only the summary's customers, in their order
    encoded = [
        _encode(name, _takeable(arrow.column(name)).take(at_rows), customer_id, levels.get(name))
        for name in names
    ]
    out_names = tuple(label for labels, _ in encoded for label in labels)
    check_covariate_names(out_names)
    values = np.empty((rows.size, len(out_names)), dtype=np.float64)
    at = 0
    for labels, block in encoded:
        values[:, at : at + len(labels)] = block
        at += len(labels)
    return Covariates._trusted(out_names, readonly(values))


def _takeable(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Return text views (polars' strings, its categoricals' levels) as ``large_string``.

    Few Arrow kernels (``take`` among them) accept string views.
    """
    kind = column.type
    if pa.types.is_dictionary(kind) and _is_view(kind.value_type):
        return pa.chunked_array(
            [
                pa.DictionaryArray.from_arrays(
                    chunk.indices, chunk.dictionary.cast(pa.large_string())
                )
                for chunk in column.chunks
            ],
            type=pa.dictionary(kind.index_type, pa.large_string()),
        )
    return column.cast(pa.large_string()) if _is_view(kind) else column


def _is_view(kind: pa.DataType) -> bool:
    return bool(getattr(pa.types, "is_string_view", lambda _: False)(kind))


def _column_names(value: Sequence[str] | None, argument: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(
            f"`{argument}` must be a sequence of column names, got {type(value).__name__}"
        )
    for name in value:
        if not isinstance(name, str):
            raise TypeError(f"`{argument}` must hold column names (str), got {type(name).__name__}")
    _check_distinct(value, argument)
    return list(value)


def _reference(value: Mapping[str, object] | None) -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(
            f"`reference` must be a mapping of column to level, got {type(value).__name__}"
        )
    for name in value:
        if not isinstance(name, str):
            raise TypeError(
                f"`reference` keys must be column names (str), got {type(name).__name__}"
            )
    return dict(value)


def _customer_table(table: object, id_column: str, columns: list[str] | None) -> object:
    """Return a sequence of :class:`~relmark.Customer` as a mapping of columns; others as they are.

    Each customer's ``customer_id`` goes under ``id_column``, each wanted
    attribute (default: every attribute any customer has) in its column;
    every customer must have every one.
    """
    from relmark.domain.customer import Customer  # the domain sits above: import on use

    if not isinstance(table, (list, tuple)) or not table:
        return table
    if not all(isinstance(customer, Customer) for customer in table):
        return table  # the adapter says what a table must be
    if columns is None:
        columns = list(dict.fromkeys(name for customer in table for name in customer.attributes))
    if id_column in columns:
        raise ValidationError(
            f"attribute {id_column!r} has the name of `id_column`: rename it or give another "
            "`id_column`",
            argument="id_column",
        )
    for name in columns:
        lacking = [c.customer_id for c in table if name not in c.attributes]
        if lacking:
            raise ValidationError(
                f"{len(lacking):,} of {len(table):,} customers have no attribute {name!r} "
                f"(first: customer {lacking[0]!r}); every customer needs every covariate",
                argument="table",
                value=str(lacking[0]),
            )
    mapping: dict[str, list[object]] = {id_column: [c.customer_id for c in table]}
    for name in columns:
        mapping[name] = [c.attributes[name] for c in table]
    return mapping


def _table_ids(column: pa.ChunkedArray, id_column: str) -> Any:
    """Return the table's ids as :meth:`~relmark.TransactionLog.from_frame` reads them."""
    from relmark.data.transactions import _ids  # transactions imports the summary: on use

    return _ids(column, f"table[{id_column!r}]")


def _covariate_columns(
    table: pa.Table, id_column: str, columns: list[str] | None, reference: Mapping[str, object]
) -> list[str]:
    """Return the table columns to encode: ``columns``, or every one but the ids."""
    if columns is None:
        columns = [name for name in table.column_names if name != id_column]
    elif id_column in columns:
        raise ValidationError(
            f"`columns` holds the id column {id_column!r}: ids cannot be covariates",
            argument="columns",
        )
    if not columns:
        raise ValidationError(
            f"`table` has no covariate columns besides {id_column!r}", argument="columns"
        )
    for name in columns:
        table_column(table, name, "columns")
    unknown = [name for name in reference if name not in columns]
    if unknown:
        raise ValidationError(
            f"`reference` names {unknown[0]!r}, which is not a covariate column; "
            f"the columns are {columns}",
            argument="reference",
        )
    return columns


# ----------------------------------------------------------------------------- alignment


def _matchable(ids: Any) -> tuple[str, Any]:
    """Return what the ids are for matching (``"text"``, ``"number"`` or a dtype kind) and them.

    Text comes back as one Arrow ``large_string`` array (objects that are
    all ``str`` converted once, as :func:`~relmark.data._keys.factorize`
    converts them), anything else as the numpy array it is.
    """
    if isinstance(ids, (pa.Array, pa.ChunkedArray)):  # ``_ids`` keeps only text as Arrow
        return "text", ids.cast(pa.large_string())
    kind = str(ids.dtype.kind)
    if kind in "US":
        return "text", arrow_of(ids.astype(str) if kind == "S" else ids)
    if kind in "iuf":
        return "number", ids
    if kind == "O":
        strings = _object_strings(ids)
        if strings is not None:
            return "text", strings.cast(pa.large_string())
    return kind, ids


_KIND_WORDS = {"text": "text", "number": "numbers", "O": "Python objects", "M": "datetimes"}


def _aligned_rows(summary_ids: NDArray[Any], table_ids: Any, id_column: str) -> IntArray:
    """Return, for each summary id, the table row holding it; missing or repeated ids raise.

    Both sides' ids are factorised together (one :func:`factorize`), so each
    id is matched exactly as the transaction log's ids are grouped: text by
    its bytes, numbers by value; text never matches a number.
    """
    (mine, my_ids), (theirs, their_ids) = _matchable(summary_ids), _matchable(table_ids)
    if mine != theirs:
        raise ValidationError(
            f"the summary's customer ids are {_KIND_WORDS.get(mine, mine)} and "
            f"`table[{id_column!r}]` holds {_KIND_WORDS.get(theirs, theirs)}: ids of "
            "different types never match; convert one side (read both as text, say)",
            argument="id_column",
        )
    n = summary_ids.size
    if mine == "text":
        both: Any = pa.chunked_array([my_ids, their_ids])
    elif my_ids.dtype.kind in "iu" and their_ids.dtype.kind in "iu":
        # int64 whatever the widths: numpy would join int64 and uint64 as float64, losing ids
        both = np.concatenate([my_ids.astype(np.int64), their_ids.astype(np.int64)])
    else:
        both = np.concatenate([my_ids, their_ids])
    distinct, codes = factorize(both)
    mine_codes, their_codes = codes[:n], codes[n:]
    counts = np.bincount(their_codes, minlength=distinct.size)
    if bool((counts > 1).any()):
        repeated = int(np.argmax(counts > 1))
        raise ValidationError(
            f"`table[{id_column!r}]` holds customer {describe(distinct[repeated])} "
            f"{int(counts[repeated])} times ({_ids_repeat(int((counts > 1).sum()))}): "
            "give one row per customer",
            argument="table",
            value=str(distinct[repeated]),
        )
    row_of = np.full(distinct.size, -1, dtype=np.int64)
    row_of[their_codes] = np.arange(their_codes.size)
    rows = row_of[mine_codes]
    missing = rows < 0
    if bool(missing.any()):
        _fail_missing(summary_ids, missing, id_column)
    return rows


def _ids_repeat(count: int) -> str:
    return "1 id repeats" if count == 1 else f"{count:,} ids repeat"


def _fail_missing(summary_ids: NDArray[Any], missing: NDArray[np.bool_], id_column: str) -> None:
    first = np.flatnonzero(missing)
    shown = ", ".join(describe(value) for value in summary_ids[first[:_SHOWN_MISSING]].tolist())
    more = ", ..." if first.size > _SHOWN_MISSING else ""
    raise ValidationError(
        f"{first.size:,} of {summary_ids.size:,} customers of the summary are not in "
        f"`table[{id_column!r}]` ({shown}{more}): every customer needs covariates",
        argument="table",
        row=int(first[0]),
        value=str(summary_ids[first[0]]),
    )


# ----------------------------------------------------------------------------- encoding


def _encode(
    name: str, column: pa.ChunkedArray, customer_id: NDArray[Any], reference: object
) -> tuple[list[str], FloatArray]:
    """Return one table column's encoded names and values, ``(n, q)``, for the aligned rows."""
    values = column.combine_chunks()
    kind = values.type
    if pa.types.is_dictionary(kind):
        values = values.dictionary_decode()
        kind = values.type
    _refuse_nulls(name, values, customer_id)
    categorical = (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or _is_view(kind)
        or pa.types.is_dictionary(column.type)
    )
    if reference is not None and not categorical:
        raise ValidationError(
            f"`reference` gives a level for {name!r}, which holds {kind} values, not categories",
            argument="reference",
        )
    if categorical:
        return _one_hot(name, values, customer_id, reference)
    if pa.types.is_boolean(kind):
        number = numpy_of(values).astype(np.float64)
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        number = np.array(numpy_of(values.cast(pa.float64())), dtype=np.float64)
        _refuse_non_finite(name, number, customer_id)
    else:
        raise TypeError(
            f"`table[{name!r}]` must hold numbers, booleans or text (categories), got {kind}"
        )
    constant = number.size > 0 and bool(np.all(number == number[0]))
    _refuse_constant(name, constant, describe(number[0]) if number.size else "")
    return [name], number[:, None]


def _refuse_nulls(name: str, values: pa.Array, customer_id: NDArray[Any]) -> None:
    if values.null_count:
        missing = numpy_of(values.is_null())
        _fail_customers(name, "must not be missing (None or null)", missing, customer_id)


def _refuse_non_finite(name: str, number: FloatArray, customer_id: NDArray[Any]) -> None:
    bad = ~np.isfinite(number)
    if bool(bad.any()):
        value = describe(number[int(np.argmax(bad))])
        _fail_customers(name, "must be finite (not NaN or infinite)", bad, customer_id, value)


def _fail_customers(
    name: str, rule: str, bad: NDArray[np.bool_], customer_id: NDArray[Any], value: str = ""
) -> None:
    """Raise a ValidationError naming the column, the rule and the first customer breaking it."""
    first = int(np.argmax(bad))
    shown = f": {value}" if value else ""
    raise ValidationError(
        f"`table[{name!r}]` {rule}; {int(bad.sum()):,} of {bad.size:,} customers violate this "
        f"(first: customer {describe(customer_id[first])}{shown})",
        argument="table",
        row=first,
        value=str(customer_id[first]),
    )


def _refuse_constant(name: str, constant: bool, value: object) -> None:
    if constant:
        raise ValidationError(
            f"`table[{name!r}]` has one value for every customer ({value}): it cannot explain "
            "differences between customers; drop it from `columns`",
            argument="columns",
        )


def _one_hot(
    name: str, values: pa.Array, customer_id: NDArray[Any], reference: object
) -> tuple[list[str], FloatArray]:
    """Return one 0/1 column per level but the reference (default: the first in sorted order)."""
    levels, codes = factorize(values)
    labels = [str(level) for level in levels.tolist()]
    _refuse_constant(name, len(labels) <= 1, f"level {labels[0]!r}" if labels else "no level")
    dropped = 0
    if reference is not None:
        if str(reference) not in labels:
            listed = ", ".join(map(repr, labels[:_SHOWN_LEVELS]))
            more = f", ... ({len(labels):,} levels)" if len(labels) > _SHOWN_LEVELS else ""
            raise ValidationError(
                f"`reference[{name!r}]` is {describe(reference)}, not a level of the column; "
                f"its levels are {listed}{more}",
                argument="reference",
            )
        dropped = labels.index(str(reference))
    kept = np.array([j for j in range(len(labels)) if j != dropped], dtype=np.int64)
    indicators = (codes[:, None] == kept[None, :]).astype(np.float64)
    return [f"{name}={labels[j]}" for j in kept.tolist()], indicators


def check_covariate_names(names: Sequence[str]) -> None:
    """Refuse encoded names that a summary column has, or that two covariates share.

    A summary's table (``to_dict()``) puts the covariates' columns beside its
    own, so each name must be new there.

    Raises
    ------
    ValidationError
        Naming the first clash.

    Examples
    --------
    >>> from relmark.data.covariates import check_covariate_names
    >>> check_covariate_names(["age", "channel=web"])
    >>> check_covariate_names(["age", "T"])
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: covariate 'T' has the name of a summary column ...
    """
    taken = [name for name in names if name in SUMMARY_COLUMNS]
    if taken:
        raise ValidationError(
            f"covariate {taken[0]!r} has the name of a summary column "
            f"({', '.join(SUMMARY_COLUMNS)}): rename it",
            argument="columns",
        )
    _check_distinct(names, "columns")
