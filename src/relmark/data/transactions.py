"""`TransactionLog`: one row per purchase (or refund), and the summaries built from it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    BoolArray,
    FloatArray,
    IntArray,
    TimeArray,
    as_choice,
    as_float_array,
    check_same_length,
    describe,
    fail_rows,
    readonly,
)
from relmark.data._arrow import arrow_of, as_arrow_table, numpy_of, table_column, text_array
from relmark.data._frozen import reduce_read_only
from relmark.data._keys import factorize
from relmark.data._tables import PerCustomerTable
from relmark.data.periods import CustomerPeriods, customer_periods, finish_summary
from relmark.data.summary import CustomerSummary
from relmark.data.timeaxis import PeriodGrid, as_instant, as_time_unit, as_times
from relmark.exceptions import ValidationError

if TYPE_CHECKING:
    from relmark.data.touchpoints import TouchpointTable
    from relmark.domain.touchpoint import Touchpoint

__all__ = ["RETURNS", "CalibrationHoldout", "TransactionLog"]

#: The refund policies of :meth:`TransactionLog.from_arrays` (see its ``returns``).
RETURNS = ("error", "net", "drop")

Column: TypeAlias = Any  # a numpy array or a pyarrow Array (pyarrow is untyped)


@attrs.frozen(kw_only=True)
class CalibrationHoldout(PerCustomerTable):
    """A calibration summary and, aligned with its rows, what happened next.

    As a table (``to_dict``, ``to_pandas``, ``to_polars``, ``to_arrow``): the
    calibration summary's columns, then ``holdout_purchases`` and
    ``holdout_value``.

    Attributes
    ----------
    calibration : CustomerSummary
        Customers who purchased by the end of calibration, summarised up to it.
    holdout_purchases : ndarray, shape (n,)
        Purchase periods of each customer in the holdout period.
    holdout_value : ndarray, shape (n,)
        Net value of those purchase periods (0 without amounts).
    holdout_length : float
        Length of the holdout period, in ``calibration.unit``.

    Examples
    --------
    >>> import relmark
    >>> log = relmark.TransactionLog.from_arrays(["a", "a", "a"], [0.0, 2.0, 7.0], unit="D")
    >>> split = log.split(calibration_end=5.0, observation_end=10.0)
    >>> split.holdout_purchases.tolist(), split.holdout_length
    ([1.0], 5.0)
    """

    calibration: CustomerSummary
    holdout_purchases: FloatArray
    holdout_value: FloatArray
    holdout_length: float

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the calibration summary's columns and the holdout columns, name to array.

        Examples
        --------
        >>> import relmark
        >>> log = relmark.TransactionLog.from_arrays(["a", "a", "b"], [0.0, 2.0, 7.0], unit="D")
        >>> split = log.split(calibration_end=5.0, observation_end=10.0)
        >>> split.to_arrow().column_names[-2:], split.to_dict()["holdout_purchases"].tolist()
        (['holdout_purchases', 'holdout_value'], [0.0])
        """
        columns = self.calibration.to_dict()
        columns["holdout_purchases"] = self.holdout_purchases
        columns["holdout_value"] = self.holdout_value
        return columns

    def with_covariates(
        self,
        table: object,
        *,
        id_column: str = "customer_id",
        columns: Sequence[str] | None = None,
        reference: Mapping[str, object] | None = None,
    ) -> CalibrationHoldout:
        """Return the split with each calibration customer's covariates, matched by id.

        The calibration summary gets them through
        :meth:`CustomerSummary.with_covariates` (same arguments, rules and
        errors); the holdout columns stay aligned with its rows.  Models
        fitted with covariates on the calibration summary then compare on
        the split (``relmark.compare(models, split)``).

        Returns
        -------
        CalibrationHoldout

        Examples
        --------
        >>> import relmark
        >>> log = relmark.TransactionLog.from_arrays(["a", "a", "b"], [0.0, 2.0, 1.0], unit="D")
        >>> split = log.split(calibration_end=5.0, observation_end=10.0)
        >>> with_them = split.with_covariates({"customer_id": ["b", "a"], "member": [1, 0]})
        >>> with_them.calibration.covariates.values.ravel().tolist()
        [0.0, 1.0]
        """
        calibration = self.calibration.with_covariates(
            table, id_column=id_column, columns=columns, reference=reference
        )
        return attrs.evolve(self, calibration=calibration)


# -- attrs converters (named functions, for mypy's attrs plugin): read-only copies ----------


def _customers(value: ArrayLike) -> NDArray[Any]:
    ids = _ids(value, "customers")
    return readonly(ids if isinstance(ids, np.ndarray) else _arrow_numpy(ids))


def _customer_code(value: ArrayLike) -> IntArray:
    codes = np.asarray(value)
    if codes.dtype.kind not in "iu":
        raise TypeError(f"`customer_code` must hold integers, got dtype {codes.dtype}")
    return readonly(np.array(codes, dtype=np.int64, copy=True).reshape(-1))


def _timestamp(value: Any) -> Any:
    """Keep the column as given: it is converted with ``unit`` in ``__attrs_post_init__``."""
    return value if isinstance(value, (pa.Array, pa.ChunkedArray)) else np.asarray(value)


def _amount(value: ArrayLike | None) -> FloatArray | None:
    return None if value is None else _amounts(value, "net")


def _unit(value: object) -> str | None:
    return None if value is None else as_time_unit(value)


@attrs.frozen(kw_only=True, eq=False, repr=False)
class TransactionLog:
    """Purchases, one row each: who bought, when and for how much.

    Build it with :meth:`from_arrays`, :meth:`from_frame` or
    :meth:`from_touchpoints`.  The constructor (and so ``attrs.evolve``)
    checks every field; the arrays are read-only copies, read-only again
    after unpickling.  Customer ids are factorised once, at construction:
    the log keeps the sorted distinct ids and each row's code into them, so
    summaries and splits never sort ids again.

    Attributes
    ----------
    customers : ndarray, shape (k,)
        The distinct customer ids, sorted (any orderable dtype: integers,
        strings, ...); every one has at least one row.
    customer_code : ndarray of int64, shape (n,)
        Each row's customer: an index into ``customers``.
    timestamp : ndarray, shape (n,)
        When: ``datetime64[us]`` for calendar times (UTC for tz-aware
        input), or float64 for plain numbers already in a time unit (see
        ``unit``).
    amount : ndarray, shape (n,) or None
        Purchase value, when known; a negative amount is a refund (netted in
        summaries: see :meth:`summarize`).
    unit : str or None
        For numeric timestamps, the unit they are in (``"D"``, ``"W"``,
        ``"M"``, ...), or ``None`` for unspecified periods; ``None`` for
        calendar times.

    Examples
    --------
    >>> import relmark
    >>> log = relmark.TransactionLog.from_arrays(
    ...     customer_id=[1, 1, 2],
    ...     timestamp=["2024-01-01", "2024-01-15", "2024-01-03"],
    ...     amount=[10.0, 25.0, 8.0],
    ... )
    >>> len(log), log.customers.tolist(), log.customer_code.tolist()
    (3, [1, 2], [0, 0, 1])
    """

    customers: NDArray[Any] = attrs.field(converter=_customers)
    customer_code: IntArray = attrs.field(converter=_customer_code)
    timestamp: TimeArray = attrs.field(converter=_timestamp)
    amount: FloatArray | None = attrs.field(default=None, converter=_amount)
    unit: str | None = attrs.field(default=None, converter=_unit)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "timestamp", as_times(self.timestamp, unit=self.unit))
        rows: dict[str, NDArray[Any]] = {
            "customer_code": self.customer_code,
            "timestamp": self.timestamp,
        }
        if self.amount is not None:
            rows["amount"] = self.amount
        check_same_length(rows)
        codes, k = self.customer_code, self.customers.size
        fail_rows(
            "customer_code", f"must index `customers` (0 to {k - 1})", (codes < 0) | (codes >= k),
            codes,
        )  # fmt: skip
        fail_rows(
            "customers", "must each have a row", np.bincount(codes, minlength=k) == 0,
            self.customers, noun="customers",
        )  # fmt: skip
        try:
            unsorted = np.r_[False, self.customers[1:] <= self.customers[:-1]]
        except TypeError:
            raise TypeError("`customers` must be of one orderable type") from None
        fail_rows("customers", "must be sorted and distinct", unsorted, self.customers,
                  noun="customers")  # fmt: skip

    @classmethod
    def _trusted(
        cls,
        *,
        customers: NDArray[Any],
        customer_code: IntArray,
        timestamp: TimeArray,
        amount: FloatArray | None = None,
        unit: str | None = None,
    ) -> TransactionLog:
        """Build from fields already checked (read-only, consistent): no checks.

        For relmark's own fast paths only (:meth:`from_arrays`,
        ``relmark.datasets``), whose output obeys the constructor's rules by
        construction: ``customers`` sorted and distinct, each with a row;
        ``customer_code`` int64 into them; ``timestamp`` from
        :func:`~relmark.data.as_times`; ``amount`` finite float64.
        """
        log = object.__new__(cls)
        for name, value in (
            ("customers", customers),
            ("customer_code", customer_code),
            ("timestamp", timestamp),
            ("amount", amount),
            ("unit", unit),
        ):
            object.__setattr__(log, name, value)
        return log

    # -- builders -----------------------------------------------------------------------------

    @classmethod
    def from_arrays(
        cls,
        customer_id: ArrayLike | pa.Array | pa.ChunkedArray,
        timestamp: ArrayLike | pa.Array | pa.ChunkedArray,
        amount: ArrayLike | pa.Array | pa.ChunkedArray | None = None,
        *,
        unit: str | None = None,
        date_format: str | None = None,
        returns: str = "error",
    ) -> TransactionLog:
        """Build a log from arrays (copied; the caller's arrays are never changed).

        Parameters
        ----------
        customer_id : array_like or pyarrow array, shape (n,)
            Customer of each purchase; any orderable scalar dtype, no
            missing values (None, NaN, null, empty string).
        timestamp : array_like or pyarrow array, shape (n,)
            Calendar times (``datetime64``, ``datetime``/``date`` objects,
            strict ISO-8601 strings, Arrow timestamps or dates) or plain
            numbers already in a time unit: the rules of
            :func:`relmark.data.as_times`.
        amount : array_like or pyarrow array, shape (n,), optional
            Purchase values, finite, never missing (None, NaN, null, empty
            text): numbers, or text of decimal numbers (``"12.5"``, as a CSV
            column read as text holds; ``"12,50"`` is refused).  Negative
            ones are refunds, handled by ``returns``.
        unit : str, optional
            Unit of numeric timestamps (``"s"``, ``"min"``, ``"h"``, ``"D"``,
            ``"W"``, ``"M"``); must be ``None`` for calendar timestamps.
            Giving it declares the timestamps numbers (so integers shaped
            like YYYYMMDD are read as numbers).
        date_format : str, optional
            strftime layout of text (or integer) timestamps, e.g.
            ``"%d.%m.%Y"`` or ``"%Y%m%d"``.
        returns : {"error", "net", "drop"}, default "error"
            Negative amounts: ``"error"`` refuses them, naming the first row;
            ``"net"`` keeps them as refunds, netted within their customer's
            purchase period (see :meth:`summarize`); ``"drop"`` removes
            their rows.

        Returns
        -------
        TransactionLog

        Raises
        ------
        ValidationError
            Naming the argument and the first offending row (``.row``): a
            missing id, time or amount; a time that breaks a rule of
            :func:`~relmark.data.as_times`; a negative amount under
            ``returns="error"``; arrays of different lengths.
        TypeError
            For values of the wrong type.

        Examples
        --------
        >>> import relmark
        >>> log = relmark.TransactionLog.from_arrays(["a", "b"], [0.0, 3.5], [5.0, 7.5], unit="W")
        >>> log.unit
        'W'
        >>> refunded = relmark.TransactionLog.from_arrays(
        ...     ["a", "a", "a"], ["2024-01-02", "2024-01-02", "2024-01-09"], [30.0, -10.0, 5.0],
        ...     returns="net",
        ... )
        >>> refunded.summarize("2024-01-31").monetary_value.tolist()
        [5.0]
        """
        policy = as_choice("returns", returns, RETURNS)
        ids = _ids(customer_id, "customer_id")
        times = as_times(timestamp, name="timestamp", date_format=date_format, unit=unit)
        values = None if amount is None else _amounts(amount, policy)
        lengths: dict[str, Any] = {"customer_id": ids, "timestamp": times}
        if values is not None:
            lengths["amount"] = values
        check_same_length(lengths)
        if values is not None and policy == "drop":
            kept = values >= 0
            if not kept.all():
                ids, times, values = _take(ids, kept), times[kept], values[kept]
        customers, codes = factorize(ids)  # Arrow text is hashed, never one object per row
        return cls._trusted(
            customers=readonly(customers),
            customer_code=readonly(codes),
            timestamp=readonly(times),
            amount=None if values is None else readonly(values),
            unit=None if unit is None else as_time_unit(unit),
        )

    @classmethod
    def from_touchpoints(
        cls, touchpoints: Iterable[Touchpoint] | TouchpointTable, *, unit: str | None = None
    ) -> TransactionLog:
        """Build a log from the purchases among touchpoints.

        Parameters
        ----------
        touchpoints : iterable of Touchpoint, or TouchpointTable
            Contacts of any kind; only purchases are kept, with their amounts.
        unit : str, optional
            For numeric timestamps, the unit they are in (default: the
            table's ``unit``).

        Returns
        -------
        TransactionLog

        Examples
        --------
        >>> import relmark
        >>> contacts = [
        ...     relmark.Touchpoint(customer_id="ann", timestamp="2024-01-03", channel="web",
        ...                        kind="purchase", amount=30.0),
        ...     relmark.Touchpoint(customer_id="ann", timestamp="2024-01-04", channel="email",
        ...                        kind="message_opened"),
        ... ]
        >>> log = relmark.TransactionLog.from_touchpoints(contacts)
        >>> len(log), log.amount.tolist()
        (1, [30.0])
        """
        from relmark.data.touchpoints import TouchpointTable

        table = (
            touchpoints
            if isinstance(touchpoints, TouchpointTable)
            else TouchpointTable.from_touchpoints(touchpoints)
        )
        purchases = table.of_kind("purchase")
        return cls.from_arrays(
            table.customer_id[purchases],
            table.timestamp[purchases],
            table.amount[purchases],
            unit=unit if unit is not None else table.unit,
        )

    @classmethod
    def from_frame(
        cls,
        frame: object,
        *,
        customer_id: str,
        timestamp: str,
        amount: str | None = None,
        unit: str | None = None,
        date_format: str | None = None,
        returns: str = "error",
    ) -> TransactionLog:
        """Build a log from a table: pandas, polars, pyarrow or any Arrow stream (none imported).

        The table is read through the Arrow PyCapsule interface
        (``__arrow_c_stream__``) and its columns as Arrow arrays: string ids
        are factorised by hashing, without a Python object per row.

        Parameters
        ----------
        frame : table
            A pandas or polars DataFrame, a pyarrow Table or RecordBatch, or
            any object with ``__arrow_c_stream__`` (a DuckDB relation, ...).
        customer_id, timestamp : str
            Column names of the customer and the purchase time.
        amount : str, optional
            Column name of the purchase value.
        unit, date_format, returns
            As in :meth:`from_arrays`.

        Returns
        -------
        TransactionLog

        Raises
        ------
        ValidationError
            If a column is missing or a value breaks a rule of :meth:`from_arrays`.
        TypeError
            If ``frame`` is not a table.

        Examples
        --------
        >>> import pandas as pd
        >>> import relmark
        >>> frame = pd.DataFrame({"who": [1, 1], "when": ["31.01.2024", "29.02.2024"]})
        >>> log = relmark.TransactionLog.from_frame(
        ...     frame, customer_id="who", timestamp="when", date_format="%d.%m.%Y"
        ... )
        >>> log.timestamp.astype(str).tolist()
        ['2024-01-31T00:00:00.000000', '2024-02-29T00:00:00.000000']
        """
        table = as_arrow_table(frame, "frame")
        return cls.from_arrays(
            table_column(table, customer_id, "customer_id"),
            table_column(table, timestamp, "timestamp"),
            None if amount is None else table_column(table, amount, "amount"),
            unit=unit,
            date_format=date_format,
            returns=returns,
        )

    # -- the container ------------------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    def __len__(self) -> int:
        return int(self.customer_code.size)

    def __repr__(self) -> str:
        kind = "calendar" if self.is_calendar else f"numeric, unit={self.unit!r}"
        return f"TransactionLog({len(self):,} purchases, {kind} timestamps)"

    @property
    def customer_id(self) -> NDArray[Any]:
        """Each row's customer id, ``customers[customer_code]``: made (read-only) on each access.

        Code that loops or groups should use ``customers`` and
        ``customer_code`` instead.
        """
        return readonly(self.customers[self.customer_code])

    @property
    def is_calendar(self) -> bool:
        """Whether timestamps are calendar times (``datetime64``) rather than numbers."""
        return self.timestamp.dtype.kind == "M"

    # -- summaries ----------------------------------------------------------------------------

    def summarize(
        self,
        observation_end: object = None,
        unit: str | None = None,
        *,
        period: str | float | None = "D",
    ) -> CustomerSummary:
        """Summarise each customer's purchases up to ``observation_end``.

        Purchases in the same period (calendar day by default) count as one
        transaction, whose time is the start of the period and whose value
        is their sum.  For each customer:

        - ``frequency``: transactions after the first (repeat purchases),
        - ``recency``: time from the first to the last transaction,
        - ``T``: time from the first transaction to ``observation_end``,
        - ``monetary_value``: mean value of the repeat transactions (0 when
          ``frequency`` is 0; only when the log has amounts).

        Refunds (negative amounts, kept by ``returns="net"``) are netted
        with the purchases of the same customer and period; a period that
        contains a refund and nets to zero or less is not a transaction
        (:func:`relmark.data.is_purchase_period`).  A refund in a period of
        its own therefore takes nothing from earlier purchases; a customer
        whose every period is cancelled is left out.

        Parameters
        ----------
        observation_end : datetime-like or float, optional
            End of observation, inclusive; purchases after it are ignored.
            Default: the last purchase in the log.
        unit : str, optional
            Unit of ``recency`` and ``T``: ``"s"``, ``"min"``, ``"h"``, ``"D"``
            (default for calendar logs), ``"W"`` (7 days) or ``"M"`` (the
            average month, 30.436875 days).  Numeric logs default to their
            own unit.
        period : str or float or None, default "D"
            Merging period (:class:`relmark.data.PeriodGrid`).  Calendar
            logs: ``"s"``, ``"min"``, ``"h"``, ``"D"``, ``"W"``, ``"M"``
            (calendar months: the transaction's time is the first of the
            month) or ``None`` to merge only identical timestamps.  Numeric
            logs: ``"D"`` or ``None`` merge identical timestamps; a positive
            number merges within bins of that width (in the log's unit).

        Returns
        -------
        CustomerSummary
            One row per customer with a purchase by ``observation_end``,
            sorted by ``customer_id``.

        Raises
        ------
        ValidationError
            For an ``observation_end`` that cannot be parsed, is NaT or NaN,
            or lies before every purchase; bad ``unit`` or ``period``.
        TypeError
            For an ``observation_end`` of the wrong kind for the log.

        Examples
        --------
        >>> import relmark
        >>> log = relmark.TransactionLog.from_arrays(
        ...     [7, 7, 7, 9],
        ...     ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"],
        ...     [10.0, 5.0, 20.0, 4.0],
        ... )
        >>> s = log.summarize("2024-01-29", unit="W")
        >>> s.frequency.tolist(), s.recency.tolist(), s.T.tolist(), s.monetary_value.tolist()
        ([1.0, 0.0], [2.0, 0.0], [4.0, 3.0], [20.0, 0.0])
        >>> log.summarize("2024-02-29", unit="M", period="M").frequency.tolist()
        [0.0, 0.0]
        """
        grid = PeriodGrid(calendar=self.is_calendar, log_unit=self.unit, period=period, unit=unit)
        end = self._instant("observation_end", observation_end)
        periods = self._periods(grid, self._rows_to(end, "observation_end"))
        return finish_summary(self.customers, periods, grid=grid, observation_end=end)

    def split(
        self,
        calibration_end: object,
        observation_end: object = None,
        unit: str | None = None,
        *,
        period: str | float | None = "D",
    ) -> CalibrationHoldout:
        """Split into a calibration summary and each customer's holdout purchases.

        The holdout follows the rules of :meth:`summarize`: purchase periods
        counted once, refunds netted within their period.

        Parameters
        ----------
        calibration_end : datetime-like or float
            Last instant of calibration (inclusive).
        observation_end : datetime-like or float, optional
            Last instant of the holdout period (inclusive); default the last
            purchase in the log.
        unit, period
            As in :meth:`summarize`.

        Returns
        -------
        CalibrationHoldout
            Customers first seen after ``calibration_end`` are left out.

        Raises
        ------
        ValidationError
            For an end that cannot be parsed, ``observation_end`` before
            ``calibration_end``, or a ``calibration_end`` before every purchase.

        Examples
        --------
        >>> import relmark
        >>> log = relmark.TransactionLog.from_arrays(
        ...     ["a", "a", "b", "c"],
        ...     ["2024-01-01", "2024-03-01", "2024-01-05", "2024-02-20"],
        ...     [10.0, 12.0, 3.0, 8.0],
        ... )
        >>> split = log.split("2024-01-31", "2024-03-31")
        >>> split.calibration.customer_id.tolist(), split.holdout_value.tolist()
        (['a', 'b'], [12.0, 0.0])
        """
        grid = PeriodGrid(calendar=self.is_calendar, log_unit=self.unit, period=period, unit=unit)
        if calibration_end is None:
            raise ValidationError("`calibration_end` is required", argument="calibration_end")
        cal_end = self._instant("calibration_end", calibration_end)
        end = self._instant("observation_end", observation_end)
        if end < cal_end:
            raise ValidationError(
                f"`observation_end` ({_shown(end)}) must not be before `calibration_end` "
                f"({_shown(cal_end)})",
                argument="observation_end",
            )
        calibrated = self._periods(grid, self._rows_to(cal_end, "calibration_end"))
        summary = finish_summary(self.customers, calibrated, grid=grid, observation_end=cal_end)
        later = np.greater(self.timestamp, cal_end) & np.less_equal(self.timestamp, end)
        holdout = self._periods(grid, later)
        known = calibrated.count > 0
        value = holdout.total[known] if holdout.total is not None else np.zeros(len(summary))
        length = grid.measure(grid.position(end) - grid.position(cal_end))
        return CalibrationHoldout(
            calibration=summary,
            holdout_purchases=readonly(holdout.count[known]),
            holdout_value=readonly(np.array(value, dtype=np.float64)),
            holdout_length=float(length),
        )

    # -- internals ----------------------------------------------------------------------------

    def _instant(self, name: str, value: object) -> np.datetime64 | float:
        """Return an end as the log's kind of time; ``None``: the last purchase."""
        if value is None:
            if len(self) == 0:
                raise ValidationError(f"the log is empty; give `{name}` explicitly", argument=name)
            last: np.datetime64 | float = self.timestamp.max()
            return last
        return as_instant(value, name=name, calendar=self.is_calendar)

    def _rows_to(self, end: np.datetime64 | float, name: str) -> BoolArray | None:
        """Return the rows up to ``end`` (None: all); refuse an end before every purchase."""
        if len(self) == 0 or end >= self.timestamp.max():
            return None
        kept = np.less_equal(self.timestamp, end)
        if not kept.any():
            raise ValidationError(
                f"`{name}` ({_shown(end)}) is before every purchase (the first is "
                f"at {_shown(self.timestamp.min())}): the summary would be empty",
                argument=name,
            )
        return kept

    def _periods(self, grid: PeriodGrid, rows: BoolArray | None) -> CustomerPeriods:
        """Aggregate the purchase periods of the selected rows (all for None) per customer."""
        codes, times, amount = self.customer_code, self.timestamp, self.amount
        if rows is not None:
            codes, times = codes[rows], times[rows]
            amount = None if amount is None else amount[rows]
        return customer_periods(
            codes, grid.ticks(times), amount, n_customers=int(self.customers.size)
        )


# -- building blocks of from_arrays ---------------------------------------------------------------


def _ids(values: Any, name: str) -> Column:
    """Return customer ids as one-dimensional numpy or Arrow, refusing missing ones."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        if _is_text(values.type) and not (
            pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
        ):
            values = values.cast(pa.large_string())  # string views: few kernels take them
        missing = values.is_null()
        if _is_text(values.type):
            missing = pc.or_(missing, pc.equal(values, ""))
        elif pa.types.is_floating(values.type):
            missing = pc.or_(missing, pc.is_nan(values))
        _fail_missing(name, numpy_of(pc.fill_null(missing, True)), values)
        return values if _is_text(values.type) else _arrow_numpy(values)
    ids = np.array(values, copy=True)
    if ids.ndim != 1:
        raise ValidationError(
            f"`{name}` must be one-dimensional, got shape {ids.shape}", argument=name
        )
    if ids.dtype.kind == "f":
        _fail_missing(name, np.isnan(ids), ids)
    elif ids.dtype.kind in "US":
        _fail_missing(name, ids == ids.dtype.type(), ids)
    elif ids.dtype.kind == "O":
        missing = np.fromiter(map(_is_missing_id, ids.tolist()), dtype=bool, count=ids.size)
        _fail_missing(name, missing, ids)
    return ids


def _arrow_numpy(values: pa.Array) -> NDArray[Any]:
    """Return an Arrow column as a numpy copy (a view could share the caller's frame's memory)."""
    return np.array(numpy_of(values), copy=True)


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or getattr(pa.types, "is_string_view", lambda _: False)(kind)
    )


def _is_missing_id(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _fail_missing(name: str, missing: BoolArray, values: Any) -> None:
    if missing.any():
        shown = np.full(missing.size, None, dtype=object)
        first = int(np.argmax(missing))
        shown[first] = values[first].as_py() if isinstance(values, pa.Array) else values[first]
        fail_rows(name, "must not be missing (None, NaN, null or empty)", missing, shown)


def _amounts(value: Any, policy: str) -> FloatArray:
    """Return amounts as float64, never missing, finite; negative ones as ``policy`` says.

    Numbers, or text of decimal numbers (a CSV column read as text: ``"12.5"``,
    ``"-3"``, ``"1e3"``), parsed strictly: ``"12,50"``, ``"nan"`` or ``"abc"``
    are refused naming their row.
    """
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if isinstance(value, pa.Array):
        if pa.types.is_dictionary(value.type):
            value = value.dictionary_decode()
        if _is_text(value.type):
            value = _text_amounts(value.cast(pa.large_string()))
        elif (
            pa.types.is_integer(value.type)
            or pa.types.is_floating(value.type)
            or pa.types.is_decimal(value.type)
            or pa.types.is_null(value.type)
        ):
            _fail_missing("amount", numpy_of(value.is_null()), value)
            value = numpy_of(value.cast(pa.float64()))
        else:
            raise TypeError(f"`amount` must hold numbers, got Arrow type {value.type}")
    elif not isinstance(value, (str, bytes)):
        raw = np.asarray(value)
        if raw.dtype.kind in "US" or (
            raw.dtype.kind == "O" and raw.size and all(isinstance(v, str) for v in raw.flat)
        ):
            value = _text_amounts(text_array(raw.reshape(-1).astype(str)))
        elif raw.dtype.kind == "O":
            missing = np.fromiter(
                (item is None or item != item for item in raw.reshape(-1).tolist()),
                dtype=bool,
                count=raw.size,
            )
            _fail_missing("amount", missing, raw.reshape(-1))
        elif raw.dtype.kind == "f":
            _fail_missing("amount", np.isnan(raw.reshape(-1)), raw.reshape(-1))
    values = as_float_array("amount", value)
    if policy == "error":
        fail_rows(
            "amount",
            "must be >= 0 (a refund? give returns='net' to net it within its period, or "
            "returns='drop')",
            values < 0,
            values,
        )
    return values


_DECIMAL = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def _text_amounts(text: pa.Array) -> FloatArray:
    """Parse text amounts: decimal numbers only; empty or null text is a missing amount."""
    missing = pc.fill_null(pc.or_(text.is_null(), pc.equal(text, "")), True)
    _fail_missing("amount", numpy_of(missing), text)
    number = numpy_of(pc.match_substring_regex(text, _DECIMAL))
    if not number.all():
        shown = np.full(number.size, None, dtype=object)
        first = int(np.argmin(number))
        shown[first] = text[first].as_py()
        fail_rows("amount", "must be decimal numbers (such as 12.5 or -3)", ~number, shown)
    parsed: FloatArray = numpy_of(text.cast(pa.float64()))
    return parsed


def _take(ids: Column, kept: BoolArray) -> Column:
    if isinstance(ids, pa.Array):
        return ids.filter(arrow_of(kept))
    return ids[kept]


def _shown(instant: Any) -> str:
    """Return an instant for a message: ISO-8601 to the second for a calendar time."""
    if isinstance(instant, np.datetime64):
        return str(instant.astype("datetime64[s]"))
    return describe(instant)
