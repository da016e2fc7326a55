"""`PeriodCovariates`: time-varying covariates, one value per customer per period of one grid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    IntArray,
    as_scalar,
    describe,
    fail_rows,
    readonly,
)
from relmark.data._arrow import as_arrow_table, numpy_of, table_column
from relmark.data._frozen import reduce_read_only
from relmark.data._keys import factorize
from relmark.data.timeaxis import TIME_UNITS, as_time_unit, as_times
from relmark.data.transactions import _ids
from relmark.exceptions import ValidationError

__all__ = ["PeriodCovariates"]

_MICROS = 1_000_000


def _customers(value: ArrayLike) -> NDArray[Any]:
    ids = np.array(value, copy=True).reshape(-1)
    return readonly(ids)


def _start(value: object) -> np.datetime64 | float:
    if isinstance(value, (np.datetime64, str)):
        instant: np.datetime64 = np.asarray(value, dtype="datetime64[us]").reshape(1)[0]
        if np.isnat(instant):
            raise ValidationError("`start` must not be NaT", argument="start")
        return instant
    return as_scalar("start", value)


def _values(value: ArrayLike) -> FloatArray:
    raw = np.asarray(value)
    if raw.dtype.kind not in "iufb":
        raise TypeError(f"`values` must hold numbers, got dtype {raw.dtype}")
    if raw.ndim != 3:
        raise ValidationError(
            f"`values` must have shape (customers, periods, covariates), got shape {raw.shape}",
            argument="values",
        )
    array = np.array(raw, dtype=np.float64, copy=True)
    fail_rows("values", "must be finite (no NaN)", ~np.isfinite(array), array, noun="values")
    return readonly(array)


def _names(value: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str) or not all(isinstance(name, str) for name in value):
        raise TypeError("`names` must be a sequence of strings")
    return tuple(value)


def _unit(value: object) -> str:
    return as_time_unit(value)


@attrs.frozen(kw_only=True, eq=False, repr=False)
class PeriodCovariates:
    r"""Covariates per customer per period, on one regular grid of periods.

    Period ``k`` covers ``[start + k * period_length, start + (k + 1) * period_length)``
    (in ``unit``); a covariate is constant within a period.  This is the data
    of :class:`~relmark.models.pareto_dynamic.DynamicParetoNBD`: seasonality, a
    campaign, a price index, per customer and week, say.

    Attributes
    ----------
    customers : ndarray, shape (n,)
        The customer ids, sorted and distinct.
    start : numpy.datetime64 or float
        Start of the first period: a calendar instant (``datetime64[us]``) or a
        number in ``unit``.
    period_length : float
        Length of every period, in ``unit`` (> 0).
    unit : str
        The time unit of ``period_length`` (and of a numeric ``start``):
        one of :data:`relmark.data.TIME_UNITS`, the unit a model fitted on
        these covariates measures time in.
    names : tuple of str
        The covariates, in the order of the last axis of ``values``.
    values : ndarray of float64, shape (n, K, k)
        ``values[i, j, c]``: covariate ``c`` of customer ``i`` in period ``j``;
        finite, read-only.  Memory: :math:`8nKk` bytes (100,000 customers,
        100 periods and 3 covariates: 240 MB).

    Raises
    ------
    ValidationError
        For non-finite values, ids that are not sorted and distinct, names
        that repeat or do not match ``values``, a non-positive length.
    TypeError
        For values that are not numbers, names that are not strings.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data.period_covariates import PeriodCovariates
    >>> cov = PeriodCovariates(customers=["a", "b"], start="2024-01-07", period_length=1.0,
    ...                        unit="W", names=("season",), values=np.zeros((2, 3, 1)))
    >>> cov.n_periods, cov.starts[-1]
    (3, np.datetime64('2024-01-21T00:00:00.000000'))
    """

    customers: NDArray[Any] = attrs.field(converter=_customers)
    start: np.datetime64 | float = attrs.field(converter=_start)
    period_length: float
    unit: str = attrs.field(converter=_unit)
    names: tuple[str, ...] = attrs.field(converter=_names)
    values: FloatArray = attrs.field(converter=_values)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(
            self,
            "period_length",
            as_scalar("period_length", self.period_length, low=0.0, low_open=True),
        )
        n, _, k = self.values.shape
        if self.customers.size != n:
            raise ValidationError(
                f"`customers` has {self.customers.size:,} ids but `values` {n:,} customers",
                argument="customers",
            )
        if len(self.names) != k:
            raise ValidationError(
                f"`names` has {len(self.names)} names but `values` {k} covariates",
                argument="names",
            )
        if len(set(self.names)) != k:
            raise ValidationError(f"`names` must be distinct, got {self.names}", argument="names")
        try:
            unsorted = np.r_[False, self.customers[1:] <= self.customers[:-1]]
        except TypeError:
            raise TypeError("`customers` must be of one orderable type") from None
        fail_rows(
            "customers", "must be sorted and distinct", unsorted, self.customers, noun="customers"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)

    def __repr__(self) -> str:
        return (
            f"PeriodCovariates({self.n_customers:,} customers x {self.n_periods:,} periods of "
            f"{self.period_length:g} {self.unit}, covariates {list(self.names)})"
        )

    @property
    def n_customers(self) -> int:
        """Number of customers, ``n``."""
        return int(self.values.shape[0])

    @property
    def n_periods(self) -> int:
        """Number of periods, ``K``."""
        return int(self.values.shape[1])

    @property
    def is_calendar(self) -> bool:
        """Whether the grid is on the calendar (``start`` is a ``datetime64``)."""
        return isinstance(self.start, np.datetime64)

    @property
    def starts(self) -> NDArray[Any]:
        """The start of every period, shape (K,): ``datetime64[us]`` or float (in ``unit``)."""
        steps = np.arange(self.n_periods)
        if isinstance(self.start, np.datetime64):
            width = self.period_length * TIME_UNITS[self.unit] * _MICROS
            offsets = np.round(steps * width).astype(np.int64)
            starts: NDArray[Any] = self.start + offsets.astype("timedelta64[us]")
            return starts
        return self.start + steps * self.period_length

    def offset(self, positions: NDArray[Any]) -> FloatArray:
        """Return times (``datetime64`` or numbers) as durations since ``start``, in ``unit``.

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> cov = PeriodCovariates(customers=[1], start="2024-01-07", period_length=1.0,
        ...                        unit="W", names=("a",), values=np.zeros((1, 2, 1)))
        >>> cov.offset(np.array(["2024-01-17T12:00"], dtype="datetime64[us]")).tolist()
        [1.5]
        """
        if isinstance(self.start, np.datetime64):
            micros = (positions.astype("datetime64[us]") - self.start).astype(np.int64)
            spans: FloatArray = micros.astype(np.float64) / (TIME_UNITS[self.unit] * _MICROS)
            return spans
        numeric: FloatArray = np.asarray(positions, dtype=np.float64) - float(self.start)
        return numeric

    def columns(self, names: Sequence[str], *, argument: str = "names") -> IntArray:
        """Return the positions of covariates ``names`` on the last axis of ``values``.

        Raises
        ------
        ValidationError
            Naming the first covariate that is not among :attr:`names`.

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> cov = PeriodCovariates(customers=[1], start=0.0, period_length=1.0, unit="W",
        ...                        names=("a", "b"), values=np.zeros((1, 2, 2)))
        >>> cov.columns(["b"]).tolist()
        [1]
        """
        known = {name: j for j, name in enumerate(self.names)}
        for name in names:
            if name not in known:
                raise ValidationError(
                    f"`{argument}` names covariate {name!r}, which the covariates do not have; "
                    f"they have {list(self.names)}",
                    argument=argument,
                )
        return np.array([known[name] for name in names], dtype=np.int64)

    def rows_of(self, customer_id: NDArray[Any], *, argument: str = "customer_id") -> IntArray:
        """Return the row of ``values`` of each customer id; every id must be there.

        Raises
        ------
        ValidationError
            For ids without covariates (naming how many and the first), or ids
            of another kind than the covariates' (numbers against text).

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> cov = PeriodCovariates(customers=["a", "c"], start=0.0, period_length=1.0,
        ...                        unit="W", names=("x",), values=np.zeros((2, 1, 1)))
        >>> cov.rows_of(np.array(["c", "a"])).tolist()
        [1, 0]
        >>> cov.rows_of(np.array(["b"]))
        Traceback (most recent call last):
        ...
        relmark.exceptions.ValidationError: `customer_id` must each have covariates; ...
        """
        ids = np.asarray(customer_id)
        if (ids.dtype.kind in "US") != (self.customers.dtype.kind in "US") and ids.size:
            raise ValidationError(
                f"`{argument}` holds ids of dtype {ids.dtype}, the covariates' ids are of dtype "
                f"{self.customers.dtype}: read both as text or both as numbers",
                argument=argument,
            )
        at = np.searchsorted(self.customers, ids)
        inside = np.minimum(at, max(self.customers.size - 1, 0))
        found = (at < self.customers.size) & (self.customers[inside] == ids)
        fail_rows(argument, "must each have covariates", ~found, ids, noun="customers")
        return at.astype(np.int64)

    @classmethod
    def from_table(
        cls,
        table: object,
        *,
        id_column: str,
        period_column: str,
        columns: Sequence[str],
        unit: str = "W",
        date_format: str | None = None,
        period_length: float | None = None,
    ) -> PeriodCovariates:
        """Build covariates from a long table: one row per (customer, period).

        Parameters
        ----------
        table : table
            pandas, polars, pyarrow, anything with ``__arrow_c_stream__``, or a
            mapping of column names to 1-D arrays (read through one adapter,
            no frame library imported).
        id_column : str
            The customer id column (no missing ids).
        period_column : str
            The start of each row's period: calendar dates or datetimes
            (the rules of :func:`relmark.data.as_times`), or numbers in ``unit``.
        columns : sequence of str
            The covariate columns: numbers or booleans, never missing.
        unit : str, default "W"
            The time unit of the period length (and of numeric periods).
        date_format : str, optional
            strftime layout of text periods that are not ISO-8601.
        period_length : float, optional
            The length of a period in ``unit``; required when the table has
            a single period, else read from the grid (and checked against it).

        Returns
        -------
        PeriodCovariates
            Customers sorted by id.

        Raises
        ------
        ValidationError
            Naming the argument and the first offending value: a missing
            column, id or value (NaN); a grid that is irregular or has a
            gap (a period no row has); a (customer, period) pair missing or
            given twice.
        TypeError
            For a table that is not one, covariates that are not numbers.

        Examples
        --------
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> table = {"id": ["a", "a", "b", "b"],
        ...          "week": ["2024-01-07", "2024-01-14", "2024-01-07", "2024-01-14"],
        ...          "promo": [0, 1, 1, 0]}
        >>> cov = PeriodCovariates.from_table(table, id_column="id", period_column="week",
        ...                                   columns=["promo"])
        >>> cov.values[:, :, 0].tolist(), cov.period_length
        ([[0.0, 1.0], [1.0, 0.0]], 1.0)
        >>> del table["promo"][3], table["week"][3], table["id"][3]
        >>> PeriodCovariates.from_table(table, id_column="id", period_column="week",
        ...                             columns=["promo"])
        Traceback (most recent call last):
        ...
        relmark.exceptions.ValidationError: `table` misses the (customer, period) pair ...
        """
        names = _names(columns)
        time_unit = as_time_unit(unit)
        frame = as_arrow_table(table, "table")
        ids = _ids(table_column(frame, id_column, "id_column"), "id_column")
        customers, codes = factorize(ids)
        raw = table_column(frame, period_column, "period_column")
        numeric = pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type)
        times = as_times(
            raw, name="period_column", date_format=date_format, unit=time_unit if numeric else None
        )
        grid, period = np.unique(times, return_inverse=True)
        period = period.reshape(-1).astype(np.int64)
        start, length = _regular_grid(grid, time_unit, period_length)
        n, K = int(customers.size), int(grid.size)
        _check_pairs(codes, period, n, K, customers, grid)
        values = np.empty((n, K, len(names)))
        for j, name in enumerate(names):  # a loop over covariates, not rows
            values[codes, period, j] = _covariate(table_column(frame, name, "columns"), name)
        return cls(
            customers=np.asarray(customers),
            start=start,
            period_length=length,
            unit=time_unit,
            names=names,
            values=values,
        )


def _regular_grid(
    grid: NDArray[Any], unit: str, period_length: float | None
) -> tuple[np.datetime64 | float, float]:
    """Return the grid's start and period length (in ``unit``); refuse gaps and irregular steps."""
    calendar = grid.dtype.kind == "M"
    scale = TIME_UNITS[unit] * _MICROS if calendar else 1.0
    positions = grid.view(np.int64).astype(np.float64) if calendar else grid.astype(np.float64)
    start: np.datetime64 | float = grid[0] if calendar else float(grid[0])
    if grid.size == 1:
        if period_length is None:
            raise ValidationError(
                "`period_length` is required for a table with a single period",
                argument="period_length",
            )
        return start, as_scalar("period_length", period_length, low=0.0, low_open=True)
    steps = np.diff(positions)
    step = float(steps.min())
    multiples = steps / step
    gap = np.abs(multiples - np.round(multiples)) < 1e-9
    fail_rows(
        "period_column",
        "must be a regular grid (every period the same length)",
        ~gap,
        grid[1:],
        noun="periods",
    )
    fail_rows(
        "period_column",
        "must have no gap (a period that no row has: every period from the first to the "
        "last must appear)",
        multiples > 1.5,
        grid[1:],
        noun="periods",
    )
    length = step / scale
    if period_length is not None and abs(float(period_length) - length) > 1e-12 * length:
        raise ValidationError(
            f"`period_length` is {describe(period_length)} but the grid's periods are "
            f"{length:g} {unit} long",
            argument="period_length",
        )
    return start, length


def _check_pairs(
    codes: IntArray, period: IntArray, n: int, K: int, customers: NDArray[Any], grid: NDArray[Any]
) -> None:
    """Refuse a (customer, period) pair given twice or missing."""
    cell = codes * K + period
    counts = np.bincount(cell, minlength=n * K)
    twice = counts[cell] > 1
    fail_rows(
        "table", "must have one row per (customer, period) pair; a pair repeats", twice, noun="rows"
    )
    missing = np.flatnonzero(counts == 0)
    if missing.size:
        first = int(missing[0])
        who, when = customers[first // K], grid[first % K]
        raise ValidationError(
            f"`table` misses the (customer, period) pair ({describe(who)}, {when}); "
            f"{missing.size:,} of {n * K:,} pairs are missing: every customer needs a row "
            "in every period",
            argument="table",
            value=str(who),
        )


def _covariate(column: pa.ChunkedArray, name: str) -> FloatArray:
    """Return a numeric or boolean covariate column as float64; refuse missing values."""
    kind = column.type
    if not (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_decimal(kind)
    ):
        raise TypeError(f"covariate column {name!r} must hold numbers or booleans, got {kind}")
    fail_rows(
        f"columns[{name!r}]", "must not be missing (null)", numpy_of(column.is_null()), noun="rows"
    )
    values = np.asarray(numpy_of(column.cast(pa.float64())), dtype=np.float64)
    fail_rows(
        f"columns[{name!r}]", "must be finite (no NaN)", ~np.isfinite(values), values, noun="rows"
    )
    return values
