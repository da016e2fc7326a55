"""`TransactionLog`: one row per purchase, and the summaries built from it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    IntArray,
    TimeArray,
    as_float_array,
    as_scalar,
    as_timestamps,
    as_unit,
    check_same_length,
    describe,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.data._keys import factorize
from relmark.data.summary import CustomerSummary
from relmark.exceptions import ValidationError

if TYPE_CHECKING:
    from relmark.data.touchpoints import TouchpointTable
    from relmark.domain.touchpoint import Touchpoint

__all__ = ["CalibrationHoldout", "TransactionLog"]

# Fixed-length time units, in seconds: months and years are ambiguous, so absent.
UNIT_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0, "D": 86400.0, "W": 604800.0}
_NUMPY_UNIT = {"s": "s", "min": "m", "h": "h", "D": "D", "W": "W"}


def _column(frame: Any, name: str, argument: str) -> Any:
    columns = [str(c) for c in frame.columns]
    if name not in columns:
        raise ValidationError(
            f"`{argument}` column {name!r} is not in the frame; columns are {columns}"
        )
    column = frame[name]
    return column.to_numpy() if hasattr(column, "to_numpy") else np.asarray(column)


@attrs.frozen(kw_only=True)
class CalibrationHoldout:
    """A calibration summary and, aligned with its rows, what happened next.

    Attributes
    ----------
    calibration : CustomerSummary
        Customers who purchased by the end of calibration, summarised up to it.
    holdout_purchases : ndarray, shape (n,)
        Purchase periods of each customer in the holdout period.
    holdout_value : ndarray, shape (n,)
        Total amount each customer spent in the holdout period (0 without amounts).
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


@attrs.frozen(kw_only=True, eq=False, repr=False)
class TransactionLog:
    """Purchases, one row each: who bought, when and for how much.

    Build it with :meth:`from_arrays`, :meth:`from_frame` or
    :meth:`from_touchpoints`; the arrays are copied and read-only.

    Attributes
    ----------
    customer_id : ndarray, shape (n,)
        Who purchased (any dtype: integers, strings, ...).
    timestamp : ndarray, shape (n,)
        When: ``datetime64[us]`` for calendar times, or float64 for plain
        numbers already in a time unit (see ``unit``).
    amount : ndarray, shape (n,) or None
        Purchase value, >= 0, when known.
    unit : str or None
        For numeric timestamps, the unit they are in (``"D"``, ``"W"``, ...),
        or ``None`` for unspecified periods; ``None`` for calendar times.

    Examples
    --------
    >>> import relmark
    >>> log = relmark.TransactionLog.from_arrays(
    ...     customer_id=[1, 1, 2],
    ...     timestamp=["2024-01-01", "2024-01-15", "2024-01-03"],
    ...     amount=[10.0, 25.0, 8.0],
    ... )
    >>> len(log)
    3
    """

    customer_id: NDArray[Any]
    timestamp: TimeArray
    amount: FloatArray | None = None
    unit: str | None = None

    @classmethod
    def from_arrays(
        cls,
        customer_id: ArrayLike,
        timestamp: ArrayLike,
        amount: ArrayLike | None = None,
        *,
        unit: str | None = None,
    ) -> TransactionLog:
        """Build a log from arrays (copied; the caller's arrays are never changed).

        Parameters
        ----------
        customer_id : array_like, shape (n,)
            Customer of each purchase; any hashable scalar dtype, no missing values.
        timestamp : array_like, shape (n,)
            numpy ``datetime64``, ``datetime``/``date`` objects (aware ones are
            converted to UTC), ISO-8601 strings, or plain numbers already in a
            time unit.
        amount : array_like, shape (n,), optional
            Purchase values, finite and >= 0.
        unit : str, optional
            Unit of numeric timestamps (``"s"``, ``"min"``, ``"h"``, ``"D"``,
            ``"W"``); must be ``None`` for calendar timestamps.

        Returns
        -------
        TransactionLog

        Raises
        ------
        ValidationError
            For missing ids or times, unparsable dates, negative or non-finite
            amounts, or arrays of different lengths.
        TypeError
            For values of the wrong type.

        Examples
        --------
        >>> import relmark
        >>> log = relmark.TransactionLog.from_arrays(["a", "b"], [0.0, 3.5], [5.0, 7.5], unit="W")
        >>> log.unit
        'W'
        """
        ids = np.array(customer_id, copy=True)
        if ids.ndim != 1:
            raise ValidationError(f"`customer_id` must be one-dimensional, got shape {ids.shape}")
        if ids.dtype.kind == "f":
            missing = np.isnan(ids)
            if missing.any():
                raise ValidationError(
                    f"`customer_id` must not be missing; {int(missing.sum()):,} of {ids.size:,} "
                    f"rows are NaN (first at index {int(np.argmax(missing))})"
                )
        elif ids.dtype.kind == "O":
            missing = np.array([v is None for v in ids.tolist()], dtype=bool)
            if missing.any():
                raise ValidationError(
                    f"`customer_id` must not be missing; {int(missing.sum()):,} of {ids.size:,} "
                    f"rows are None (first at index {int(np.argmax(missing))})"
                )
        times = as_timestamps("timestamp", timestamp)
        arrays: dict[str, NDArray[Any]] = {"customer_id": ids, "timestamp": times}
        values = None
        if amount is not None:
            values = arrays["amount"] = as_float_array("amount", amount, nonnegative=True)
        check_same_length(arrays)
        if times.dtype.kind == "M":
            if unit is not None:
                raise ValidationError(
                    "`unit` is only for numeric timestamps; calendar timestamps carry their own"
                )
        elif unit is not None:
            as_unit("unit", unit, UNIT_SECONDS)
        return cls(customer_id=readonly(ids), timestamp=times, amount=values, unit=unit)

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
            For numeric timestamps, the unit they are in.

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
            unit=unit,
        )

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        customer_id: str,
        timestamp: str,
        amount: str | None = None,
        unit: str | None = None,
    ) -> TransactionLog:
        """Build a log from a pandas or polars data frame (neither is imported).

        Parameters
        ----------
        frame : DataFrame
            Any table with ``.columns`` and ``frame[name]`` columns convertible
            to numpy (pandas, polars, ...).
        customer_id, timestamp : str
            Column names of the customer and the purchase time.
        amount : str, optional
            Column name of the purchase value.
        unit : str, optional
            Unit of a numeric ``timestamp`` column.

        Returns
        -------
        TransactionLog

        Raises
        ------
        ValidationError
            If a column is missing or a value breaks a rule of :meth:`from_arrays`.

        Examples
        --------
        >>> import pandas as pd
        >>> import relmark
        >>> frame = pd.DataFrame({"who": [1, 1], "when": ["2024-01-01", "2024-02-01"]})
        >>> len(relmark.TransactionLog.from_frame(frame, customer_id="who", timestamp="when"))
        2
        """
        if not hasattr(frame, "columns"):
            raise TypeError(f"`frame` must be a data frame, got {type(frame).__name__}")
        return cls.from_arrays(
            _column(frame, customer_id, "customer_id"),
            _column(frame, timestamp, "timestamp"),
            None if amount is None else _column(frame, amount, "amount"),
            unit=unit,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    def __len__(self) -> int:
        return int(self.customer_id.size)

    def __repr__(self) -> str:
        kind = "calendar" if self.is_calendar else f"numeric, unit={self.unit!r}"
        return f"TransactionLog({len(self):,} purchases, {kind} timestamps)"

    @property
    def is_calendar(self) -> bool:
        """Whether timestamps are calendar times (``datetime64``) rather than numbers."""
        return self.timestamp.dtype.kind == "M"

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

        Parameters
        ----------
        observation_end : datetime-like or float, optional
            End of observation, inclusive; purchases after it are ignored.
            Default: the last purchase in the log.
        unit : str, optional
            Unit of ``recency`` and ``T``: ``"s"``, ``"min"``, ``"h"``, ``"D"``
            (default for calendar logs) or ``"W"`` (7 days; so weeks = days / 7).
            Numeric logs default to their own unit and convert only between
            these fixed units.
        period : str or float or None, default "D"
            Merging period.  Calendar logs: a numpy unit (``"D"``, ``"h"``,
            ...) or ``None`` to merge only identical timestamps.  Numeric
            logs: ``"D"`` or ``None`` merge identical timestamps; a positive
            number merges within bins of that width (in the log's unit).

        Returns
        -------
        CustomerSummary
            One row per customer with a purchase by ``observation_end``,
            sorted by ``customer_id``.

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
        """
        return self._summarize(observation_end, unit, period)[0]

    def split(
        self,
        calibration_end: object,
        observation_end: object = None,
        unit: str | None = None,
        *,
        period: str | float | None = "D",
    ) -> CalibrationHoldout:
        """Split into a calibration summary and each customer's holdout purchases.

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
        summary, cal_end_time = self._summarize(calibration_end, unit, period)
        end = self._instant("observation_end", observation_end, default_last=True)
        cal_end = self._instant("calibration_end", calibration_end, default_last=False)
        if end < cal_end:
            raise ValidationError("`observation_end` must not be before `calibration_end`")
        later = (self.timestamp > cal_end) & (self.timestamp <= end)
        holdout = TransactionLog(
            customer_id=self.customer_id[later],
            timestamp=self.timestamp[later],
            amount=None if self.amount is None else self.amount[later],
            unit=self.unit,
        )
        ids, _, counts, totals, _ = holdout._transactions(period)
        assert summary.customer_id is not None
        purchases = np.zeros(len(summary))
        value = np.zeros(len(summary))
        position = np.searchsorted(summary.customer_id, ids)
        position = np.minimum(position, max(len(summary) - 1, 0))
        known = summary.customer_id[position] == ids if len(summary) else np.zeros(0, dtype=bool)
        purchases[position[known]] = counts[known]
        value[position[known]] = totals[0][known]
        _, factor = self._resolve_unit(unit)
        length = (self._log_time(end) - cal_end_time) * factor
        return CalibrationHoldout(
            calibration=summary,
            holdout_purchases=readonly(purchases),
            holdout_value=readonly(value),
            holdout_length=float(length),
        )

    # -- internals -----------------------------------------------------------------------

    def _instant(self, name: str, value: object, *, default_last: bool) -> Any:
        """Return ``value`` as the log's time type (datetime64[us] or float)."""
        if value is None:
            if not default_last:
                raise ValidationError(f"`{name}` is required")
            if len(self) == 0:
                raise ValidationError("the log is empty; give `observation_end` explicitly")
            return self.timestamp.max()
        if self.is_calendar:
            if isinstance(value, (int, float)):
                raise TypeError(f"`{name}` must be a date or datetime for a calendar log")
            return as_timestamps(name, np.array([value], dtype=object))[0]
        return as_scalar(name, value)

    def _resolve_unit(self, unit: str | None) -> tuple[str | None, float]:
        """Return the summary unit and the factor turning log times into it."""
        if unit is not None:
            as_unit("unit", unit, UNIT_SECONDS)
        if self.is_calendar:
            chosen = unit or "D"
            return chosen, 1.0 / UNIT_SECONDS[chosen]  # times are measured in seconds
        if unit is None or self.unit is None or unit == self.unit:
            return unit or self.unit, 1.0
        return unit, UNIT_SECONDS[self.unit] / UNIT_SECONDS[unit]

    def _period_times(self, period: str | float | None) -> tuple[FloatArray | IntArray, float]:
        """Each purchase's period as a number on a tick grid, and the tick's length.

        Calendar logs: int64 period indices counted from the epoch, tick in
        seconds (whole-period flooring by integer division, so a numpy
        ``"W"`` period starts on Thursdays like ``datetime64[W]``).  Numeric
        logs: the times themselves (tick 1) or bin indices (tick = width).
        """
        if self.is_calendar:
            micros = self.timestamp.view(np.int64)
            if period is None:
                return micros, 1e-6
            if not isinstance(period, str) or period not in _NUMPY_UNIT:
                raise ValidationError(
                    f"`period` must be one of {', '.join(_NUMPY_UNIT)} or None for a calendar "
                    f"log, got {describe(period)}"
                )
            tick = UNIT_SECONDS[period]
            return micros // int(tick * 1_000_000), tick
        numeric: FloatArray = self.timestamp.astype(np.float64, copy=False)
        if period is None or period == "D":
            return numeric, 1.0
        width = as_scalar("period", period, low=0.0, low_open=True)
        return np.floor(numeric / width), width

    def _transactions(
        self, period: str | float | None
    ) -> tuple[NDArray[Any], FloatArray, FloatArray, FloatArray, float]:
        """Merge purchases per (customer, period), then describe each customer.

        Returns the sorted distinct ids and, per customer: the first and the
        last transaction (in ticks), the number of transactions, the total
        value and the value of the first transaction; and the tick length.
        Vectorised: one sort of a combined (customer, period) key where it
        fits in int64, else a lexicographic sort; sums by ``np.bincount``.
        """
        times, tick = self._period_times(period)
        customers, codes = factorize(self.customer_id)
        amount = self.amount if self.amount is not None else np.zeros(codes.size)
        if codes.size == 0:
            return self.customer_id, np.zeros((2, 0)), np.zeros(0), np.zeros((2, 0)), tick
        owner, when = _distinct_transactions(codes, times)
        # every code 0..k-1 has a transaction: customer j's run is the j-th
        starts = np.flatnonzero(np.diff(owner, prepend=-1))
        ends = np.append(starts[1:], owner.size) - 1
        first_time = when[starts]
        on_first = times == first_time[codes]
        totals = np.bincount(codes, weights=amount, minlength=customers.size)
        first_amount = np.bincount(
            codes[on_first], weights=amount[on_first], minlength=customers.size
        )
        return (
            customers,
            np.stack([first_time, when[ends]]).astype(np.float64),
            (ends - starts + 1).astype(np.float64),
            np.stack([totals, first_amount]),
            tick,
        )

    def _summarize(
        self, observation_end: object, unit: str | None, period: str | float | None
    ) -> tuple[CustomerSummary, float]:
        """Return the summary up to ``observation_end`` and that end in log time."""
        end = self._instant("observation_end", observation_end, default_last=True)
        summary_unit, factor = self._resolve_unit(unit)
        kept = self.timestamp <= end
        if kept.size and not kept.any():
            raise ValidationError(
                f"`observation_end` ({_shown(end)}) is before every purchase (the first is "
                f"at {_shown(self.timestamp.min())}): the summary would be empty"
            )
        log = self if kept.all() else self._select(kept)
        ids, first_last, counts, totals, tick = log._transactions(period)
        first = first_last[0] * tick
        end_time = self._log_time(end)
        frequency = counts - 1
        repeat_value = totals[0] - totals[1]
        monetary = np.divide(
            repeat_value, frequency, out=np.zeros_like(repeat_value), where=frequency > 0
        )
        T = (end_time - first) * factor
        # the last purchase can fall on the end instant; rounding must not put it after
        recency = np.minimum((first_last[1] - first_last[0]) * (tick * factor), T)
        summary = CustomerSummary._trusted(
            frequency=readonly(frequency),
            recency=readonly(recency),
            T=readonly(T),
            monetary_value=readonly(monetary) if self.amount is not None else None,
            weights=readonly(np.ones(ids.size)),
            customer_id=readonly(ids),
            unit=summary_unit,
        )
        return summary, end_time

    def _log_time(self, instant: Any) -> float:
        """Return an instant as a number on the log's time axis (seconds for calendar logs)."""
        if self.is_calendar:
            return float(np.datetime64(instant, "us").astype("datetime64[s]").astype(np.int64))
        return float(instant)

    def _select(self, mask: NDArray[np.bool_]) -> TransactionLog:
        return TransactionLog(
            customer_id=self.customer_id[mask],
            timestamp=self.timestamp[mask],
            amount=None if self.amount is None else self.amount[mask],
            unit=self.unit,
        )


def _distinct_transactions(
    codes: IntArray, times: FloatArray | IntArray
) -> tuple[IntArray, FloatArray | IntArray]:
    """Return the distinct (customer code, time) pairs, sorted by code then time."""
    if times.dtype.kind == "i":
        low = int(times.min())
        span = int(times.max()) - low + 1
        if (int(codes.max()) + 1) * span < 2**62:
            key = codes * span  # one int64 key per purchase, built and sorted in place
            key += times.astype(np.int64, copy=False)
            if low:
                key -= low
            key.sort()
            new = np.empty(key.size, dtype=bool)
            new[:1] = True
            np.not_equal(key[1:], key[:-1], out=new[1:])
            distinct = key[new]
            del key, new
            owner = distinct // span
            distinct -= owner * span
            if low:
                distinct += low
            return owner, distinct
    order = np.lexsort((times, codes))
    owner, when = codes[order], times[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (owner[1:] != owner[:-1]) | (when[1:] != when[:-1])
    return owner[new], when[new]


def _shown(instant: Any) -> str:
    """Return an instant for a message: ISO-8601 to the second for a calendar time."""
    if isinstance(instant, np.datetime64):
        return str(instant.astype("datetime64[s]"))
    return describe(instant)
