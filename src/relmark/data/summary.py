"""`CustomerSummary`: one row per customer, the input of every model."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    as_float_array,
    check_same_length,
    check_whole,
    fail_rows,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.data._keys import distinct_rows
from relmark.data._tables import PerCustomerTable
from relmark.data.covariates import Covariates, check_covariate_names, covariates_for
from relmark.exceptions import ValidationError

if TYPE_CHECKING:  # the frame libraries are optional: imported only to type their methods
    pass

__all__ = ["CustomerSummary"]


def _check_unit(unit: str | None) -> str | None:
    if unit is not None and not isinstance(unit, str):
        raise TypeError(f"`unit` must be a string or None, got {type(unit).__name__}")
    return unit


# attrs converters (mypy's attrs plugin needs named functions): read-only float64 copies
def _frequency(value: ArrayLike) -> FloatArray:
    return as_float_array("frequency", value, nonnegative=True)


def _recency(value: ArrayLike) -> FloatArray:
    return as_float_array("recency", value, nonnegative=True)


def _T(value: ArrayLike) -> FloatArray:
    return as_float_array("T", value, nonnegative=True)


def _monetary_value(value: ArrayLike | None) -> FloatArray | None:
    return None if value is None else as_float_array("monetary_value", value, nonnegative=True)


def _weights(value: ArrayLike) -> FloatArray:
    return as_float_array("weights", value, positive=True)


def _customer_id(value: ArrayLike | None) -> NDArray[Any] | None:
    return None if value is None else readonly(np.array(value, copy=True).reshape(-1))


def _covariates(value: object) -> Covariates | None:
    if value is not None and not isinstance(value, Covariates):
        raise TypeError(
            f"`covariates` must be a Covariates or None, got {type(value).__name__} "
            "(build them with summary.with_covariates(table))"
        )
    return value


def _unit_weights(summary: CustomerSummary) -> FloatArray:
    return np.ones(summary.frequency.size)


@attrs.frozen(kw_only=True, eq=False, repr=False)
class CustomerSummary(PerCustomerTable):
    """Recency-frequency-monetary statistics, one row per customer.

    Build it with :meth:`from_arrays` or :meth:`relmark.TransactionLog.summarize`.
    The constructor (and so ``attrs.evolve``) checks every rule of
    :meth:`from_arrays`; the arrays are read-only float64 copies of equal
    length, read-only again after unpickling.

    Attributes
    ----------
    frequency : ndarray, shape (n,)
        Number of repeat purchases (purchase periods after the first), ``x``.
    recency : ndarray, shape (n,)
        Time from the first to the last purchase, ``t_x``, in ``unit``.
    T : ndarray, shape (n,)
        Time from the first purchase to the end of observation, in ``unit``.
    monetary_value : ndarray, shape (n,) or None
        Mean value of the repeat purchases (0 where ``frequency`` is 0).
    weights : ndarray, shape (n,)
        How many customers each row stands for (1 unless compressed).
    customer_id : ndarray, shape (n,) or None
        The customers' identifiers, when known.
    unit : str or None
        The time unit of ``recency`` and ``T`` (``"D"``, ``"W"``, ...), or
        ``None`` for discrete periods or unspecified units.
    covariates : Covariates or None
        Who each customer is (encoded covariate values, one row per summary
        row), for models with covariates; see :meth:`with_covariates`.

    Examples
    --------
    >>> import relmark
    >>> summary = relmark.CustomerSummary.from_arrays(
    ...     frequency=[2, 0, 5], recency=[30.4, 0.0, 20.0], T=[38.9, 38.9, 25.0], unit="W"
    ... )
    >>> len(summary), summary.n_customers
    (3, 3.0)
    """

    frequency: FloatArray = attrs.field(converter=_frequency)
    recency: FloatArray = attrs.field(converter=_recency)
    T: FloatArray = attrs.field(converter=_T)
    monetary_value: FloatArray | None = attrs.field(default=None, converter=_monetary_value)
    weights: FloatArray = attrs.field(
        default=attrs.Factory(_unit_weights, takes_self=True), converter=_weights
    )
    customer_id: NDArray[Any] | None = attrs.field(default=None, converter=_customer_id)
    unit: str | None = attrs.field(default=None, converter=_check_unit)
    covariates: Covariates | None = attrs.field(default=None, converter=_covariates)

    def __attrs_post_init__(self) -> None:
        f, r, t = self.frequency, self.recency, self.T
        arrays: dict[str, NDArray[Any]] = {"frequency": f, "recency": r, "T": t}
        arrays["weights"] = self.weights
        for name in ("monetary_value", "customer_id"):
            value = getattr(self, name)
            if value is not None:
                arrays[name] = value
        check_same_length(arrays)
        check_whole("frequency", f)
        fail_rows("recency", "must be <= `T`", r > t, r, versus=(">", t))
        fail_rows("recency", "must be 0 where `frequency` is 0", (f == 0) & (r != 0), r)
        if self.covariates is not None:
            if len(self.covariates) != f.size:
                raise ValidationError(
                    f"`covariates` must have one row per summary row ({f.size:,}), "
                    f"got {len(self.covariates):,}",
                    argument="covariates",
                )
            check_covariate_names(self.covariates.names)

    @classmethod
    def _trusted(cls, **fields: Any) -> CustomerSummary:
        """Build from columns already checked (read-only float64, equal length): no checks.

        For relmark's own fast paths only (compress, subset, summarize), whose
        output obeys the rules by construction.
        """
        summary = object.__new__(cls)
        if "weights" not in fields:
            fields["weights"] = readonly(np.ones(fields["frequency"].size))
        for field in attrs.fields(cls):
            object.__setattr__(summary, field.name, fields.get(field.name, field.default))
        return summary

    def _drawn(self, weights: FloatArray) -> CustomerSummary:
        """Return the rows of positive ``weights`` (one per row), with those weights: a resample.

        For the bootstrap, which reweights a compressed summary's rows by how
        many of its customers each draw picked.
        """
        drawn = weights > 0
        part = self.subset(drawn)
        return CustomerSummary._trusted(
            **{field.name: getattr(part, field.name) for field in attrs.fields(CustomerSummary)}
            | {"weights": readonly(np.asarray(weights[drawn], dtype=np.float64))}
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    @classmethod
    def from_arrays(
        cls,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary_value: ArrayLike | None = None,
        weights: ArrayLike | None = None,
        customer_id: ArrayLike | None = None,
        unit: str | None = None,
        covariates: Covariates | None = None,
    ) -> CustomerSummary:
        """Build a validated summary from arrays (copied, never modified).

        Parameters
        ----------
        frequency : array_like, shape (n,)
            Repeat purchases: whole numbers >= 0.
        recency : array_like, shape (n,)
            Time of the last purchase after the first: 0 <= recency <= T,
            and 0 where frequency is 0.
        T : array_like, shape (n,)
            Time observed since the first purchase, >= 0.
        monetary_value : array_like, shape (n,), optional
            Mean spend of the repeat purchases, >= 0.
        weights : array_like, shape (n,), optional
            Positive number of customers each row stands for (default 1).
        customer_id : array_like, shape (n,), optional
            Identifiers, any dtype.
        unit : str, optional
            Time unit of ``recency`` and ``T``.
        covariates : Covariates, optional
            Covariate values, one row per customer (usually added by
            :meth:`with_covariates` instead, aligned by customer id).

        Returns
        -------
        CustomerSummary

        Raises
        ------
        ValidationError
            If a value breaks a rule above or the lengths differ.
        TypeError
            If an array does not hold numbers.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([1, 0], [3.0, 0.0], [10.0, 4.0], weights=[2, 1])
        >>> s.n_customers
        3.0
        """
        return cls(
            frequency=frequency,
            recency=recency,
            T=T,
            monetary_value=monetary_value,
            customer_id=customer_id,
            unit=unit,
            covariates=covariates,
            **({} if weights is None else {"weights": weights}),
        )

    def __len__(self) -> int:
        return int(self.frequency.size)

    @property
    def n_customers(self) -> float:
        """Number of customers the summary stands for (the sum of ``weights``)."""
        return float(self.weights.sum())

    def compress(self, *, monetary: bool = False) -> CustomerSummary:
        """Merge identical rows into one, with the summed weight as count.

        Likelihoods and fits depend on the rows only through these distinct
        rows and their counts, so fitting the compressed summary gives the
        same result, usually from far fewer rows.  With covariates, rows are
        identical when their covariate values are too: each distinct row
        keeps its covariate values, and the number of rows grows with the
        number of distinct covariate combinations (at most their product
        times the distinct histories).

        Parameters
        ----------
        monetary : bool, default False
            Also match on ``monetary_value`` (and keep it), as Gamma-Gamma
            needs; otherwise ``monetary_value`` is dropped.

        Returns
        -------
        CustomerSummary
            Distinct rows sorted by (frequency, recency, T[, monetary],
            covariates in ``covariates.names`` order), ``customer_id``
            dropped, ``covariates`` kept.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([1, 1, 0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0])
        >>> c = s.compress()
        >>> len(c), c.weights.tolist()
        (2, [1.0, 2.0])
        """
        columns = [self.frequency, self.recency, self.T]
        if monetary:
            if self.monetary_value is None:
                raise ValidationError("`monetary_value` is needed to compress with monetary=True")
            columns.append(self.monetary_value)
        columns += [] if self.covariates is None else list(self.covariates.values.T)
        # Unit weights on a grid of whole numbers: one int64 sort, no factorisation.
        packed = None if monetary else _compress_whole(columns, self.weights)
        if packed is not None:
            return self._with_rows(*packed, monetary=False)
        first, inverse = distinct_rows(*columns)  # the general case (any values, weights)
        summed = np.bincount(inverse, weights=self.weights, minlength=first.size).astype(np.float64)
        return self._with_rows([c[first] for c in columns], summed, monetary=monetary)

    def _with_rows(
        self, columns: list[FloatArray], weights: FloatArray, *, monetary: bool
    ) -> CustomerSummary:
        """Return distinct rows (frequency, recency, T, [monetary], covariates...) as a summary."""
        history = 4 if monetary else 3
        covariates = None
        if self.covariates is not None:
            values = np.empty((weights.size, len(self.covariates.names)), dtype=np.float64)
            for j, column in enumerate(columns[history:]):
                values[:, j] = column
            covariates = Covariates._trusted(self.covariates.names, readonly(values))
        return CustomerSummary._trusted(
            frequency=readonly(np.array(columns[0], dtype=np.float64)),
            recency=readonly(np.array(columns[1], dtype=np.float64)),
            T=readonly(np.array(columns[2], dtype=np.float64)),
            monetary_value=readonly(np.array(columns[3], dtype=np.float64)) if monetary else None,
            weights=readonly(np.asarray(weights, dtype=np.float64)),
            unit=self.unit,
            covariates=covariates,
        )

    def with_covariates(
        self,
        table: object,
        *,
        id_column: str = "customer_id",
        columns: Sequence[str] | None = None,
        reference: Mapping[str, object] | None = None,
    ) -> CustomerSummary:
        """Return a copy of the summary with each customer's covariates, matched by customer id.

        Each chosen column of ``table`` is encoded as numbers:

        - numbers as floats (missing, NaN or infinite values are refused);
        - booleans as 0/1;
        - text, categorical and dictionary columns one-hot: one 0/1 column
          ``"column=level"`` per level but the reference level, which is
          the first level in sorted order unless ``reference`` names it,
          so a coefficient compares its level with the reference.

        Parameters
        ----------
        table : table, mapping of columns, or sequence of Customer
            A pandas or polars DataFrame, a pyarrow Table, anything with
            ``__arrow_c_stream__``, or a mapping of column name to 1-D
            array-like; or :class:`~relmark.Customer` objects, whose
            ``customer_id`` is the id and whose ``attributes`` are the
            columns (every customer needs every wanted attribute).  Never
            modified.  Rows of customers not in the summary are ignored.
        id_column : str, default "customer_id"
            The column of customer ids.  They are read and matched as
            :meth:`relmark.TransactionLog.from_frame` reads ids: text never
            matches a number (an error says so).
        columns : sequence of str, optional
            The covariate columns, in order (default: every column but
            ``id_column``; for customers, every attribute).
        reference : mapping of str to level, optional
            The reference level of categorical columns, by column.

        Returns
        -------
        CustomerSummary
            The same rows with ``covariates`` set (replacing any it had).

        Raises
        ------
        ValidationError
            If the summary has no customer ids; a summary customer is not
            in ``table`` (the message gives how many and up to five ids);
            an id repeats in ``table``; a column is missing, holds missing
            or non-finite values (naming the first customer), or has one
            value for every customer (it cannot explain differences between
            customers); a reference level is not a level (the message lists
            them); or an encoded name is a summary column's
            (``frequency``, ``recency``, ``T``, ``monetary_value``,
            ``weights``, ``customer_id``).
        TypeError
            If ``table`` is not a table, or a column holds neither numbers,
            booleans nor text.

        Examples
        --------
        >>> import relmark
        >>> summary = relmark.CustomerSummary.from_arrays(
        ...     [2, 0, 5], [30.0, 0.0, 20.0], [38.0, 38.0, 25.0], customer_id=["a", "b", "c"]
        ... )
        >>> table = {
        ...     "customer_id": ["c", "b", "a"],
        ...     "channel": ["web", "store", "web"],
        ...     "age": [41, 29, 35],
        ... }
        >>> with_them = summary.with_covariates(table)
        >>> with_them.covariates.names
        ('channel=web', 'age')
        >>> with_them.covariates.values.tolist()
        [[1.0, 35.0], [0.0, 29.0], [1.0, 41.0]]
        """
        if self.customer_id is None:
            raise ValidationError(
                "the summary has no customer ids to match covariates by: summarise a "
                "TransactionLog, or give `customer_id` to CustomerSummary.from_arrays",
                argument="customer_id",
            )
        if len(self) == 0:
            raise ValidationError("cannot add covariates to a summary without customers")
        found = covariates_for(
            self.customer_id, table, id_column=id_column, columns=columns, reference=reference
        )
        fields = {field.name: getattr(self, field.name) for field in attrs.fields(CustomerSummary)}
        return CustomerSummary._trusted(**(fields | {"covariates": found}))

    def subset(self, rows: ArrayLike) -> CustomerSummary:
        """Return the rows selected by a boolean mask or an index array.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([1, 0, 3], [2.0, 0.0, 4.0], [5.0, 5.0, 5.0])
        >>> s.subset(s.frequency > 0).frequency.tolist()
        [1.0, 3.0]
        """
        index = np.asarray(rows)
        if index.dtype == bool and index.shape != (len(self),):
            raise ValidationError(
                f"`rows` mask must have length {len(self):,}, got shape {index.shape}"
            )

        def pick(array: NDArray[Any] | None) -> Any:
            return None if array is None else readonly(array[index])

        return CustomerSummary._trusted(
            unit=self.unit,
            frequency=pick(self.frequency),
            recency=pick(self.recency),
            T=pick(self.T),
            monetary_value=pick(self.monetary_value),
            weights=pick(self.weights),
            customer_id=pick(self.customer_id),
            covariates=None if self.covariates is None else self.covariates.subset(index),
        )

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the columns as a plain mapping of name to array.

        ``customer_id`` first when known, then ``frequency``, ``recency``,
        ``T``, ``monetary_value`` when present, ``weights`` and the
        covariates' columns (:attr:`Covariates.names`) when present.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([1], [2.0], [5.0])
        >>> sorted(s.to_dict())
        ['T', 'frequency', 'recency', 'weights']
        """
        columns: dict[str, NDArray[Any]] = {}
        if self.customer_id is not None:
            columns["customer_id"] = self.customer_id
        columns.update(frequency=self.frequency, recency=self.recency, T=self.T)
        if self.monetary_value is not None:
            columns["monetary_value"] = self.monetary_value
        columns["weights"] = self.weights
        if self.covariates is not None:
            columns.update(self.covariates.to_dict())
        return columns

    def __repr__(self) -> str:
        unit = f", unit={self.unit!r}" if self.unit else ""
        count = 0 if self.covariates is None else len(self.covariates.names)
        covariates = "" if self.covariates is None else f", {count} covariate{'s' * (count != 1)}"
        return (
            f"CustomerSummary({len(self):,} rows, {self.n_customers:,.0f} customers{unit}"
            f"{covariates})"
        )


def _compress_whole(
    columns: list[FloatArray], weights: FloatArray
) -> tuple[list[FloatArray], FloatArray] | None:
    """Distinct rows and counts by one int64 sort, or None when this shortcut does not apply.

    Applies to unit weights and columns on a grid of whole numbers (days,
    periods, days in weeks, 0/1 covariates: see :func:`_grid`) whose ranges
    multiply to less than 2**62: each row becomes one mixed-radix int64 key
    (each column's offset from its smallest value, most significant first),
    ordered like the rows themselves, so ``np.sort`` (no permutation) and
    run lengths give the same rows and counts as the lexicographic sort,
    several times faster.
    """
    n = weights.size
    if n == 0 or not bool(np.all(weights == 1.0)):
        return None
    scales, lows, whole = [], [], []
    for column in columns:
        found = _grid(column)
        if found is None:
            return None
        scales.append(found[0])
        lows.append(float(found[1].min()))
        whole.append(found[1] - lows[-1])
    spans = [int(column.max()) + 1 for column in whole]
    if math.prod(spans) >= 2**62:
        return None
    key = whole[0].astype(np.int64)
    for column, span in zip(whole[1:], spans[1:], strict=True):
        key *= span
        key += column.astype(np.int64)
    key.sort()
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(key[1:], key[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    distinct = key[starts]
    counts = np.diff(np.append(starts, n)).astype(np.float64)
    values = []
    for span in spans[:0:-1]:
        values.append((distinct % span).astype(np.float64))
        distinct //= span
    values.append(distinct.astype(np.float64))
    return [
        (v + low) / scale for v, low, scale in zip(values[::-1], lows, scales, strict=True)
    ], counts


_GRIDS = (1.0, 7.0, 24.0, 60.0, 1440.0)  # whole units, days in weeks, hours, minutes


def _grid(column: FloatArray) -> tuple[float, FloatArray] | None:
    """Return a scale putting ``column`` on a grid of whole numbers, exactly reversible.

    Times summarised in weeks from days are multiples of 1/7, and so on; the
    scaled integers divided back must give the very same floats, or None.
    """
    if column.size == 0 or float(np.abs(column).max()) * 1440.0 >= 2.0**52:
        return None
    for scale in _GRIDS:
        scaled = np.round(column * scale)
        if bool(np.all(scaled / scale == column)):
            return scale, scaled
    return None
