"""`CustomerSummary`: one row per customer, the input of every model."""

from __future__ import annotations

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
        same result, usually from far fewer rows.

        Parameters
        ----------
        monetary : bool, default False
            Also match on ``monetary_value`` (and keep it), as Gamma-Gamma
            needs; otherwise ``monetary_value`` is dropped.

        Returns
        -------
        CustomerSummary
            Distinct rows sorted by (frequency, recency, T[, monetary]),
            ``customer_id`` dropped.

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
        # Unit weights on a grid of whole numbers: one int64 sort, no factorisation.
        packed = _compress_whole(columns, self.weights)
        if packed is not None:
            values, counts = packed
            return CustomerSummary._trusted(
                frequency=readonly(values[0]),
                recency=readonly(values[1]),
                T=readonly(values[2]),
                weights=readonly(counts),
                unit=self.unit,
            )
        first, inverse = distinct_rows(*columns)  # the general case (any values, weights)
        summed = np.bincount(inverse, weights=self.weights, minlength=first.size)
        distinct = np.stack([c[first] for c in columns])
        return CustomerSummary._trusted(
            frequency=readonly(distinct[0].copy()),
            recency=readonly(distinct[1].copy()),
            T=readonly(distinct[2].copy()),
            monetary_value=readonly(distinct[3].copy()) if monetary else None,
            weights=readonly(summed.astype(np.float64)),
            unit=self.unit,
        )

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
        )

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the columns as a plain mapping of name to array.

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
        return columns

    def __repr__(self) -> str:
        unit = f", unit={self.unit!r}" if self.unit else ""
        return f"CustomerSummary({len(self):,} rows, {self.n_customers:,.0f} customers{unit})"


def _compress_whole(
    columns: list[FloatArray], weights: FloatArray
) -> tuple[list[FloatArray], FloatArray] | None:
    """Distinct rows and counts by one int64 sort, or None when this shortcut does not apply.

    Applies to unit weights and columns on a grid of whole numbers (days,
    periods, days in weeks: see :func:`_grid`) whose ranges multiply to less
    than 2**62: each row becomes one mixed-radix
    int64 key, ordered like the rows themselves, so ``np.sort`` (no
    permutation) and run lengths give the same rows and counts as the
    lexicographic sort, several times faster.
    """
    n = weights.size
    if n == 0 or len(columns) != 3 or not bool(np.all(weights == 1.0)):
        return None
    scales, whole = [], []
    for column in columns:
        found = _grid(column)
        if found is None:
            return None
        scales.append(found[0])
        whole.append(found[1])
    columns = whole
    spans = [int(column.max()) + 1 for column in columns]
    if spans[0] * spans[1] * spans[2] >= 2**62:
        return None
    key = columns[0].astype(np.int64)
    for column, span in zip(columns[1:], spans[1:], strict=True):
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
    return [v / scale for v, scale in zip(values[::-1], scales, strict=True)], counts


_GRIDS = (1.0, 7.0, 24.0, 60.0, 1440.0)  # whole units, days in weeks, hours, minutes


def _grid(column: FloatArray) -> tuple[float, FloatArray] | None:
    """Return a scale putting ``column`` on a grid of whole numbers, exactly reversible.

    Times summarised in weeks from days are multiples of 1/7, and so on; the
    scaled integers divided back must give the very same floats, or None.
    """
    if column.size == 0 or float(column.min()) < 0 or float(column.max()) * 1440.0 >= 2.0**52:
        return None
    for scale in _GRIDS:
        scaled = np.round(column * scale)
        if bool(np.all(scaled / scale == column)):
            return scale, scaled
    return None
