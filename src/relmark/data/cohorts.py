r"""Acquisition-cohort tables: who was won when, and what each cohort did next.

:func:`cohort_table` turns a :class:`~relmark.TransactionLog` (or the
purchases of a :class:`~relmark.TouchpointTable`) into one row per
observed (group, cohort, age) cell: the cohort's size, its active
customers, retention, revenue, cumulative revenue per acquired customer and
survivors.  :class:`CohortTable` holds the result; :meth:`CohortTable.matrix`
gives the cohort x age matrix a heat map draws
(:func:`relmark.plotting.plot_cohort_heatmap`), and
:func:`relmark.cohorts.cohort_survival_fits` fits a contract model to each
cohort's survivor curve.

The periods are those of the one time axis (:class:`~relmark.data.PeriodGrid`:
``"s"``, ``"min"``, ``"h"``, ``"D"``, ``"W"``, ``"M"``) plus quarters
(``"Q"``) and years (``"Y"``), which the axis does not have and this module
adds by ``datetime64[M]`` arithmetic: a quarter is three calendar months
from January, April, July or October, a year twelve from January.

This module imports nothing from :mod:`relmark.models`: model fits per
cohort live in :mod:`relmark.cohorts`.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import NDArray

from relmark._validation import (
    FloatArray,
    IntArray,
    TimeArray,
    as_choice,
    as_scalar,
    check_size,
    describe,
    fail_rows,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.data._keys import factorize
from relmark.data._tables import PerCustomerTable
from relmark.data.periods import purchase_periods
from relmark.data.timeaxis import TIME_UNITS, PeriodGrid, as_instant
from relmark.data.touchpoints import TouchpointTable
from relmark.data.transactions import TransactionLog
from relmark.exceptions import ValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CALENDAR_PERIODS",
    "MAX_CELLS",
    "MEASURES",
    "CohortPeriod",
    "CohortTable",
    "cohort_period",
    "cohort_table",
]

#: The periods of calendar cohorts: the time axis' units plus quarters and years.
CALENDAR_PERIODS = ("s", "min", "h", "D", "W", "M", "Q", "Y")
#: The most (group, cohort, age) cells a table may have (memory is linear in them).
MAX_CELLS = 10_000_000
#: What :meth:`CohortTable.matrix` can show.
MEASURES = (
    "acquired",
    "active",
    "retention",
    "revenue",
    "cumulative_revenue_per_customer",
    "survivors",
)

_MONTHS = {"Q": 3, "Y": 12}  # periods the time axis lacks, in calendar months
_EXACT = 2.0**53  # float ticks beyond this are no longer whole numbers


# ------------------------------------------------------------------------------- the period


def _period_value(value: object) -> str | float:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"`period` must be a calendar unit ({', '.join(CALENDAR_PERIODS)}) or a "
            f"positive number, got {type(value).__name__}"
        )
    return float(value)


@attrs.frozen(kw_only=True)
class CohortPeriod:
    r"""The period cohorts and ages are counted in: a calendar unit or a numeric width.

    Build it with :func:`cohort_period` (which checks it against a log).

    Attributes
    ----------
    calendar : bool
        Whether the log's timestamps are calendar times.
    period : str or float
        Calendar logs: one of :data:`CALENDAR_PERIODS`.  Numeric logs: the
        width of a period in the log's own unit (> 0).
    name : str
        How plots and messages name one period (``"M"``, ``"Q"``, ``"7 D"``, ...).

    Notes
    -----
    Calendar ticks are those of :class:`~relmark.data.PeriodGrid` (``"W"``
    weeks are counted from the epoch, so they start on Thursdays, as
    ``datetime64[W]`` does; ``"M"`` are calendar months); a quarter is
    ``months // 3`` and a year ``months // 12`` of ``datetime64[M]``.
    Numeric ticks are :math:`\lfloor t / w \rfloor`, so periods start at
    multiples of the width :math:`w`.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data.cohorts import CohortPeriod
    >>> quarters = CohortPeriod(calendar=True, period="Q", name="Q")
    >>> ticks = quarters.ticks(np.array(["1997-02-10", "1997-04-01"], dtype="datetime64[us]"))
    >>> quarters.starts(ticks).astype("datetime64[D]").astype(str).tolist()
    ['1997-01-01', '1997-04-01']
    """

    calendar: bool
    period: str | float
    name: str

    def ticks(self, times: TimeArray | NDArray[Any]) -> IntArray:
        """Return each time's period as an int64 index (equal ticks: the same period)."""
        if not self.calendar:
            with np.errstate(over="ignore"):
                ticks = np.floor(np.asarray(times, dtype=np.float64) / float(self.period))
            if ticks.size and not float(np.abs(ticks).max()) < _EXACT:  # also inf
                raise ValidationError(
                    f"`period` {describe(self.period)} is too narrow for timestamps as large "
                    f"as {describe(float(np.abs(times).max()))}: the period indices exceed 2**53",
                    argument="period",
                )
            numeric: IntArray = ticks.astype(np.int64)
            return numeric
        months = _MONTHS.get(str(self.period))
        if months is not None:
            per_month: IntArray = times.astype("datetime64[M]").view(np.int64) // months
            return per_month
        grid = PeriodGrid(calendar=True, period=self.period)
        calendar: IntArray = grid.ticks(times).astype(np.int64, copy=False)
        return calendar

    def starts(self, ticks: IntArray) -> NDArray[Any]:
        """Return the start of each period: ``datetime64[us]`` (calendar) or float (numeric)."""
        ticks = np.asarray(ticks, dtype=np.int64)
        if not self.calendar:
            numeric: FloatArray = ticks.astype(np.float64) * float(self.period)
            return numeric
        months = _MONTHS.get(str(self.period))
        if months is not None:
            return (ticks * months).view("datetime64[M]").astype("datetime64[us]")
        grid = PeriodGrid(calendar=True, period=self.period)
        micros = np.rint(grid.starts(ticks)).astype(np.int64)
        return micros.view("datetime64[us]")


def cohort_period(log: TransactionLog, period: object) -> CohortPeriod:
    """Return the cohort period of ``log`` for ``period``, checked.

    Parameters
    ----------
    log : TransactionLog
        The log whose kind of time (calendar or numeric) the period must fit.
    period : str or float
        Calendar logs: one of :data:`CALENDAR_PERIODS`.  Numeric logs: a
        positive width in the log's unit, or, when the log has a ``unit``,
        one of ``"s"``, ``"min"``, ``"h"``, ``"D"``, ``"W"``, ``"M"`` (the
        average month, 30.436875 days), ``"Q"`` (3 average months), ``"Y"``
        (12), converted to a width in that unit.

    Returns
    -------
    CohortPeriod

    Raises
    ------
    ValidationError
        For an unknown unit, a unit for a numeric log without one, or a
        width that is not positive and finite.
    TypeError
        For a period that is neither text nor a number.

    Examples
    --------
    >>> import relmark
    >>> from relmark.data.cohorts import cohort_period
    >>> log = relmark.TransactionLog.from_arrays([1, 2], [0.0, 20.0], unit="D")
    >>> cohort_period(log, "W").period, cohort_period(log, 14).name
    (7.0, '14 D')
    """
    value = _period_value(period)
    if log.is_calendar:
        if not isinstance(value, str):
            raise ValidationError(
                f"`period` must be one of {', '.join(map(repr, CALENDAR_PERIODS))} for a log "
                f"with calendar timestamps, got {describe(period)}",
                argument="period",
            )
        name = as_choice("period", value, CALENDAR_PERIODS, what="Q: quarters, Y: years")
        return CohortPeriod(calendar=True, period=name, name=name)
    if isinstance(value, str):
        as_choice("period", value, CALENDAR_PERIODS, what="Q: quarters, Y: years")
        if log.unit is None:
            raise ValidationError(
                f"`period` {value!r} needs a log whose numeric timestamps have a `unit`; this "
                "log has none: give the period as a width in the log's own numbers",
                argument="period",
            )
        seconds = TIME_UNITS["M"] * _MONTHS[value] if value in _MONTHS else TIME_UNITS[value]
        width = seconds / TIME_UNITS[log.unit]
        return CohortPeriod(calendar=False, period=width, name=value)
    width = as_scalar("period", value, low=0.0, low_open=True)
    unit = f" {log.unit}" if log.unit is not None else ""
    return CohortPeriod(calendar=False, period=width, name=f"{width:g}{unit}")


# ------------------------------------------------------------------------------- the table


def _ro(value: NDArray[Any] | None) -> Any:
    return None if value is None else readonly(np.array(value, copy=True))


def _ro_required(value: NDArray[Any]) -> Any:
    return readonly(np.array(value, copy=True))


@attrs.frozen(kw_only=True, eq=False, repr=False)
class CohortTable(PerCustomerTable):
    r"""Acquisition cohorts by age: one row per observed (group, cohort, age) cell.

    What :func:`cohort_table` returns; rows are sorted by group, cohort and
    age.  A cell is *observed* when its period starts on or before ``end``;
    later cells are not rows (and are NaN in :meth:`matrix`), never zeros.

    Attributes
    ----------
    group : ndarray or None
        Each row's group label (``by``), or None without groups.
    cohort : ndarray
        Start of the acquisition period: ``datetime64[us]`` for calendar
        logs, float for numeric ones.
    age : ndarray of int64
        Periods since acquisition (0: the acquisition period).
    acquired : ndarray of int64
        The cohort's size: customers whose first purchase period is the cohort's.
    active : ndarray of int64
        Customers of the cohort with a purchase period at this age.
    retention : ndarray of float
        ``active / acquired`` (1 at age 0).
    revenue : ndarray of float or None
        Net amounts of the cohort's purchases at this age (None without amounts).
    cumulative_revenue_per_customer : ndarray of float or None
        Revenue summed over ages 0 to this one, divided by ``acquired``.
    survivors : ndarray of int64
        Customers of the cohort whose last purchase period is at this age or
        later: a non-increasing curve per cohort starting at ``acquired``.
    period : CohortPeriod
        The period cohorts and ages are counted in.
    end : numpy.datetime64 or float
        End of observation (inclusive).

    Notes
    -----
    **Survivors.**  In non-contractual data nobody says when they leave, so
    "still a customer at age :math:`k`" is read as "buys again at age
    :math:`k` or later".  That curve is non-increasing, starts at the cohort
    size and is what a contract model such as the sBG is fitted to
    (:func:`relmark.cohorts.cohort_survival_fits`).  Near ``end`` it is
    biased low: customers still alive who have not yet bought again are
    counted as lost, and at the last observed age the survivors are just the
    active customers.  The bias is larger for younger cohorts (all of their
    ages are near ``end``); leave the last ages out of a fit
    (``drop_last``) or read the early ages only.

    Examples
    --------
    >>> import relmark
    >>> from relmark.data.cohorts import cohort_table
    >>> log = relmark.TransactionLog.from_arrays(
    ...     ["a", "a", "b", "c", "c"],
    ...     ["2024-01-05", "2024-02-10", "2024-01-20", "2024-02-01", "2024-03-03"],
    ...     [10.0, 5.0, 8.0, 4.0, 6.0],
    ... )
    >>> table = cohort_table(log, period="M")
    >>> table
    CohortTable(2 cohorts, 5 cells, period 'M', end 2024-03-03)
    >>> table.age.tolist(), table.active.tolist(), table.survivors.tolist()
    ([0, 1, 2, 0, 1], [2, 1, 0, 1, 1], [2, 1, 0, 1, 1])
    >>> table.cumulative_revenue_per_customer.tolist()
    [9.0, 11.5, 11.5, 4.0, 10.0]
    """

    group: NDArray[Any] | None = attrs.field(converter=_ro)
    cohort: NDArray[Any] = attrs.field(converter=_ro_required)
    age: IntArray = attrs.field(converter=_ro_required)
    acquired: IntArray = attrs.field(converter=_ro_required)
    active: IntArray = attrs.field(converter=_ro_required)
    retention: FloatArray = attrs.field(converter=_ro_required)
    revenue: FloatArray | None = attrs.field(converter=_ro)
    cumulative_revenue_per_customer: FloatArray | None = attrs.field(converter=_ro)
    survivors: IntArray = attrs.field(converter=_ro_required)
    period: CohortPeriod
    end: np.datetime64 | float

    def __len__(self) -> int:
        return int(self.age.size)

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    def __repr__(self) -> str:
        starts = self.age == 0
        groups = "" if self.group is None else f", {len(self.groups)} groups"
        end = (
            str(np.asarray(self.end).astype("datetime64[s]")).replace("T00:00:00", "")
            if self.period.calendar
            else f"{float(self.end):g}"
        )
        return (
            f"CohortTable({int(starts.sum())} cohorts{groups}, {len(self):,} cells, "
            f"period {self.period.name!r}, end {end})"
        )

    @property
    def groups(self) -> tuple[Any, ...]:
        """The group labels, sorted (empty without groups)."""
        if self.group is None:
            return ()
        return tuple(np.unique(self.group).tolist())

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the columns, name to array: ``group`` (with groups), ``cohort``, ``age``, ...

        Returns
        -------
        dict of str to ndarray
            ``group`` (only with groups), ``cohort``, ``age``, ``acquired``,
            ``active``, ``retention``, ``revenue`` and
            ``cumulative_revenue_per_customer`` (only with amounts),
            ``survivors``.  ``to_pandas()``, ``to_polars()`` and
            ``to_arrow()`` make tables of them (pandas with a RangeIndex).

        Examples
        --------
        >>> import relmark
        >>> from relmark.data.cohorts import cohort_table
        >>> log = relmark.TransactionLog.from_arrays([1, 1], [0.0, 10.0], unit="D")
        >>> list(cohort_table(log, period=7).to_dict())
        ['cohort', 'age', 'acquired', 'active', 'retention', 'survivors']
        """
        columns: dict[str, NDArray[Any]] = {}
        if self.group is not None:
            columns["group"] = self.group
        columns.update(
            cohort=self.cohort,
            age=self.age,
            acquired=self.acquired,
            active=self.active,
            retention=self.retention,
        )
        if self.revenue is not None and self.cumulative_revenue_per_customer is not None:
            columns["revenue"] = self.revenue
            columns["cumulative_revenue_per_customer"] = self.cumulative_revenue_per_customer
        columns["survivors"] = self.survivors
        return columns

    def _rows_of(self, group: object) -> NDArray[np.bool_] | None:
        """Return the rows of ``group`` (None: every row, for a table without groups)."""
        if self.group is None:
            if group is not None:
                raise ValidationError(
                    f"`group` must be None: the table has no groups, got {describe(group)}",
                    argument="group",
                )
            return None
        if group is None:
            raise ValidationError(
                "`group` is required: the table is by group; give one of "
                f"{', '.join(map(describe, self.groups))}",
                argument="group",
            )
        try:
            rows = np.asarray(self.group == group, dtype=bool)
        except (TypeError, ValueError):  # pragma: no cover - numpy comparison refused
            rows = np.zeros(len(self), dtype=bool)
        if rows.shape != (len(self),) or not rows.any():
            raise ValidationError(
                f"`group` must be one of {', '.join(map(describe, self.groups))}, "
                f"got {describe(group)}",
                argument="group",
            )
        return rows

    def matrix(
        self, measure: str = "retention", group: object = None
    ) -> tuple[NDArray[Any], IntArray, FloatArray]:
        """Return a measure as a cohort x age matrix, NaN where a cell is not observed.

        Parameters
        ----------
        measure : str, default "retention"
            One of :data:`MEASURES`: ``"acquired"``, ``"active"``,
            ``"retention"``, ``"revenue"``,
            ``"cumulative_revenue_per_customer"``, ``"survivors"``.
        group : optional
            The group to show; required for a table with groups, None otherwise.

        Returns
        -------
        cohorts : ndarray, shape (c,)
            The group's cohorts (period starts), in order.
        ages : ndarray of int64, shape (a,)
            ``0 .. a - 1``, up to the oldest cohort's last observed age.
        values : ndarray of float, shape (c, a)
            ``values[i, k]`` is the measure of cohort ``i`` at age ``k``; NaN
            means *not observed* (the cell's period starts after ``end``),
            never zero activity.

        Raises
        ------
        ValidationError
            For an unknown measure, a revenue measure of a log without
            amounts, or a ``group`` that is missing, unknown or given for a
            table without groups.

        Examples
        --------
        >>> import relmark
        >>> from relmark.data.cohorts import cohort_table
        >>> log = relmark.TransactionLog.from_arrays(
        ...     [1, 1, 2], ["2024-01-05", "2024-02-10", "2024-02-01"])
        >>> cohorts, ages, values = cohort_table(log).matrix("active")
        >>> cohorts.astype("datetime64[M]").astype(str).tolist(), values.tolist()
        (['2024-01', '2024-02'], [[1.0, 1.0], [1.0, nan]])
        """
        name = as_choice("measure", measure, MEASURES)
        column: NDArray[Any] | None = getattr(self, name)
        if column is None:
            raise ValidationError(
                f"`measure` {name!r} needs amounts: the log this table was made of has none",
                argument="measure",
            )
        rows = self._rows_of(group)
        cohort = self.cohort if rows is None else self.cohort[rows]
        age = self.age if rows is None else self.age[rows]
        values = column if rows is None else column[rows]
        cohorts, position = np.unique(cohort, return_inverse=True)
        ages = np.arange(int(age.max()) + 1 if age.size else 0, dtype=np.int64)
        grid = np.full((cohorts.size, ages.size), np.nan)
        grid[position.reshape(-1), age] = values
        return readonly(cohorts), readonly(ages), readonly(grid)

    def to_pandas(self) -> pd.DataFrame:
        """Return :meth:`to_dict` as a pandas DataFrame (one row per cell, a RangeIndex).

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install "relmark[pandas]"``).

        Examples
        --------
        >>> import relmark
        >>> from relmark.data.cohorts import cohort_table
        >>> log = relmark.TransactionLog.from_arrays([1, 1], [0.0, 10.0], unit="D")
        >>> cohort_table(log, period=7).to_pandas()["active"].tolist()
        [1, 1]
        """
        return PerCustomerTable.to_pandas(self)


# ------------------------------------------------------------------------------- the kernel


def _as_log(source: object) -> TransactionLog:
    if isinstance(source, TransactionLog):
        return source
    if isinstance(source, TouchpointTable):
        return TransactionLog.from_touchpoints(source)
    raise TypeError(
        f"`source` must be a TransactionLog or a TouchpointTable, got {type(source).__name__}"
    )


def _missing_labels(labels: NDArray[Any]) -> NDArray[np.bool_]:
    if labels.dtype.kind == "f":
        missing: NDArray[np.bool_] = np.isnan(labels)
        return missing
    if labels.dtype.kind in "US":
        return np.asarray(labels == labels.dtype.type(), dtype=bool)
    if labels.dtype.kind == "O":
        return np.fromiter(
            (
                item is None or item == "" or (isinstance(item, float) and item != item)
                for item in labels.tolist()
            ),
            dtype=bool,
            count=labels.size,
        )
    return np.zeros(labels.size, dtype=bool)


def _labels_from_mapping(by: Mapping[Any, Any], customers: NDArray[Any]) -> NDArray[Any]:
    """Return the label of each customer (sorted ids) from an id -> label mapping."""
    keys = np.asarray(list(by.keys()))
    values = np.empty(len(by), dtype=object)
    values[:] = list(by.values())
    found = np.zeros(customers.size, dtype=bool)
    position = np.zeros(customers.size, dtype=np.int64)
    if keys.size and keys.ndim == 1:
        try:
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            at = np.searchsorted(sorted_keys, customers)
            clipped = np.minimum(at, keys.size - 1)
            found = np.asarray(sorted_keys[clipped] == customers, dtype=bool)
            position = order[clipped]
        except TypeError:  # ids of another type than the log's: none is found
            pass
    fail_rows(
        "by",
        "must give a label for every customer of the log (ids missing from the mapping)",
        ~found,
        customers,
        noun="customers",
    )
    labels = values[position]
    if labels.size and all(isinstance(item, str) for item in labels.tolist()):
        return labels.astype(str)
    return labels


def _group_codes(by: object, customers: NDArray[Any]) -> tuple[NDArray[Any] | None, IntArray]:
    """Return the distinct group labels and each customer's code (no groups: None, zeros)."""
    if by is None:
        return None, np.zeros(customers.size, dtype=np.int64)
    if isinstance(by, Mapping):
        labels = _labels_from_mapping(by, customers)
    else:
        if isinstance(by, (str, bytes)):
            raise TypeError(
                "`by` must be an array of labels aligned with `log.customers` or a mapping "
                f"of customer id to label, got a single {type(by).__name__}"
            )
        labels = np.array(by, copy=True)
        if labels.ndim != 1 or labels.size != customers.size:
            raise ValidationError(
                f"`by` must have one label per customer of the log (aligned with "
                f"`log.customers`, {customers.size:,} of them), got shape {labels.shape}",
                argument="by",
            )
        if labels.dtype.kind not in "iufUSOb":
            raise TypeError(f"`by` must hold labels (text or numbers), got dtype {labels.dtype}")
    fail_rows("by", "must not hold missing labels (None, NaN or empty)", _missing_labels(labels),
              labels, noun="customers")  # fmt: skip
    try:
        distinct, codes = factorize(labels)
    except TypeError:
        raise TypeError(
            "`by` labels must be of one orderable type (all text or all numbers)"
        ) from None
    return distinct, codes.astype(np.int64, copy=False)


def _shown(instant: np.datetime64 | float) -> str:
    if isinstance(instant, np.datetime64):
        return str(instant.astype("datetime64[s]"))
    return f"{float(instant):g}"


def _segment_cumsum(values: NDArray[Any], start: IntArray) -> NDArray[Any]:
    """Cumulative sums restarting at each segment start (``start``: each cell's segment start)."""
    total = np.concatenate([np.zeros(1, dtype=values.dtype), np.cumsum(values)])
    summed: NDArray[Any] = total[1:] - total[start]
    return summed


def _segment_reverse_cumsum(values: IntArray, stop: IntArray) -> IntArray:
    """Return sums from each cell to its segment's end (``stop``: that end, exclusive)."""
    total = np.concatenate([np.cumsum(values[::-1])[::-1], np.zeros(1, dtype=values.dtype)])
    summed: IntArray = total[:-1] - total[stop]
    return summed


def cohort_table(
    source: TransactionLog | TouchpointTable,
    *,
    period: str | float = "M",
    by: NDArray[Any] | Mapping[Any, Any] | None = None,
    end: object = None,
) -> CohortTable:
    r"""Tabulate acquisition cohorts by age: size, activity, retention, revenue, survivors.

    A customer's cohort is the period of their first purchase; their *age*
    in a later period is the number of periods since.  Purchases of one
    customer in one period count once (and refunds are netted in it, by
    the rule of :func:`relmark.data.is_purchase_period`), as in
    :meth:`relmark.TransactionLog.summarize` with ``period`` as the merging period.

    Parameters
    ----------
    source : TransactionLog or TouchpointTable
        Purchases; for a touchpoint table, its rows of kind purchase
        (:meth:`relmark.TransactionLog.from_touchpoints`).
    period : str or float, default "M"
        Calendar logs: ``"D"``, ``"W"`` (weeks from Thursday, as on the time
        axis), ``"M"`` (calendar months), ``"Q"`` (quarters), ``"Y"`` (years),
        or ``"h"``, ``"min"``, ``"s"``.  Numeric logs: a positive width in
        the log's unit (or a unit, converted, when the log has one: see
        :func:`cohort_period`).
    by : array_like or mapping, optional
        A group label per customer (segment, acquisition channel, ...): an
        array aligned with ``log.customers`` (the log's sorted distinct ids;
        for a touchpoint table, those of its purchases), or a mapping of
        customer id to label, which must cover every customer of the log.
        Labels are text or numbers, never missing.
    end : datetime-like or float, optional
        End of observation, inclusive (default: the last purchase).
        Purchases after it are ignored; cells whose period starts after it
        are not observed: they are no rows of the table (NaN in
        :meth:`CohortTable.matrix`).  The period holding ``end`` is observed,
        perhaps only in part.

    Returns
    -------
    CohortTable
        One row per (group, cohort, age) cell, ages ``0`` up to the last
        observed period, for every cohort with a customer.

    Raises
    ------
    ValidationError
        For an unknown period, ``end`` before the first purchase, a ``by``
        of the wrong length, with missing labels or missing ids, a log with
        no purchase (or every purchase period cancelled by refunds), more
        than :data:`MAX_CELLS` cells.
    TypeError
        For a ``source`` that is no log, a ``period`` or ``end`` of the wrong kind.

    Notes
    -----
    For cohort :math:`c` (size :math:`N_c`) at age :math:`k`, with
    :math:`A_{ck}` its customers with a purchase period at age :math:`k`,
    :math:`R_{ck}` their net amounts there and :math:`L_i` customer
    :math:`i`'s age at their last purchase period:

    .. math::

        \text{retention}_{ck} = A_{ck} / N_c,\qquad
        \text{cumulative}_{ck} = \sum_{j \le k} R_{cj} / N_c,\qquad
        \text{survivors}_{ck} = \#\{i \in c : L_i \ge k\}.

    Refunds in a period that is cancelled (nets to zero or less) still
    count in revenue, but not in activity; amounts before a customer's first
    counted purchase period are left out.  Vectorised: one sort of a
    combined (customer, period) key (:func:`relmark.data.periods.purchase_periods`),
    then ``np.bincount`` over cells; no Python loop over customers or rows.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90 (cohort
    survivor curves).

    Examples
    --------
    >>> from relmark.data.cohorts import cohort_table
    >>> from relmark.datasets import load_cdnow_sample
    >>> log = load_cdnow_sample()
    >>> table = cohort_table(log, period="M", end="1997-12-31")
    >>> cohorts, ages, retention = table.matrix("retention")
    >>> cohorts.astype("datetime64[M]").astype(str).tolist()
    ['1997-01', '1997-02', '1997-03']
    >>> int(table.acquired[0]), round(float(retention[0, 1]), 3)
    (781, 0.159)
    """
    log = _as_log(source)
    if len(log) == 0:
        raise ValidationError("`source` has no purchases: a cohort table needs at least one")
    axis = cohort_period(log, period)
    calendar = log.is_calendar
    first_time = log.timestamp.min()
    end_time: np.datetime64 | float
    if end is None:
        end_time = log.timestamp.max()
    else:
        end_time = as_instant(end, name="end", calendar=calendar)
        if end_time < first_time:
            raise ValidationError(
                f"`end` ({_shown(end_time)}) must not be before the first purchase "
                f"({_shown(first_time)})",
                argument="end",
            )
    distinct, group_of = _group_codes(by, log.customers)
    n_groups = 1 if distinct is None else int(distinct.size)

    codes, times, amount = log.customer_code, log.timestamp, log.amount
    if end_time < times.max():
        kept = np.less_equal(times, end_time)
        codes, times = codes[kept], times[kept]
        amount = None if amount is None else amount[kept]
    ticks = axis.ticks(times)
    end_row: NDArray[Any] = np.full(1, end_time, dtype=times.dtype)
    end_tick = int(axis.ticks(end_row)[0])

    owner, when, _ = purchase_periods(codes, ticks, amount)
    if owner.size == 0:
        raise ValidationError(
            "`source` has no purchase period up to `end`: refunds cancel every one",
            argument="source",
        )
    # runs of each customer's counted periods (sorted by customer, then tick)
    new = np.empty(owner.size, dtype=bool)
    new[0] = True
    np.not_equal(owner[1:], owner[:-1], out=new[1:])
    run_start = np.flatnonzero(new)
    run_end = np.append(run_start[1:], owner.size) - 1
    present = owner[run_start]
    first_tick, last_tick = when[run_start], when[run_end]
    low = int(first_tick.min())
    n_periods = end_tick - low + 1
    check_size("the periods from the first cohort to `end`", n_periods, MAX_CELLS,
               unit="periods", why="choose a longer `period`")  # fmt: skip

    # (group, cohort) slots of the customers present, compacted to those with a customer
    slot_key = group_of[present] * n_periods + (first_tick - low)
    if n_groups * n_periods <= max(4 * present.size, 1024):
        sizes = np.bincount(slot_key, minlength=n_groups * n_periods)
        slots = np.flatnonzero(sizes)
        compact = np.full(sizes.size, -1, dtype=np.int64)
        compact[slots] = np.arange(slots.size)
        slot_of = compact[slot_key]
        acquired_slot = sizes[slots]
    else:
        slots, slot_of = np.unique(slot_key, return_inverse=True)
        slot_of = slot_of.reshape(-1)
        acquired_slot = np.bincount(slot_of, minlength=slots.size)
    slot_cohort = slots % n_periods  # cohort index from `low`
    lengths = (n_periods - slot_cohort).astype(np.int64)  # observed ages 0 .. end - cohort
    n_cells = int(lengths.sum())
    check_size("the table's (group, cohort, age) cells", n_cells, MAX_CELLS, unit="cells",
               why="memory is linear in them; choose a longer `period`, a later first cohort "
               "or fewer groups")  # fmt: skip
    offset = np.cumsum(lengths) - lengths
    cell_start = np.repeat(offset, lengths)
    cell_slot = np.repeat(np.arange(slots.size), lengths)
    age = np.arange(n_cells, dtype=np.int64) - cell_start

    k = int(log.customers.size)
    customer_cell = np.full(k, -1, dtype=np.int64)  # cell of each customer's age 0
    customer_cell[present] = offset[slot_of]
    customer_first = np.zeros(k, dtype=np.int64)
    customer_first[present] = first_tick

    active = np.bincount(customer_cell[owner] + (when - customer_first[owner]), minlength=n_cells)
    lost_at = np.bincount(offset[slot_of] + (last_tick - first_tick), minlength=n_cells)
    survivors = _segment_reverse_cumsum(lost_at, cell_start + lengths[cell_slot])
    acquired = acquired_slot[cell_slot]

    revenue = cumulative = None
    if amount is not None:
        row_cell = customer_cell[codes]
        row_age = ticks - customer_first[codes]
        counted = (row_cell >= 0) & (row_age >= 0)
        revenue = np.bincount(
            (row_cell + row_age)[counted], weights=amount[counted], minlength=n_cells
        ).astype(np.float64, copy=False)
        cumulative = _segment_cumsum(revenue, cell_start) / acquired

    group = None
    if distinct is not None:
        group = distinct[slots // n_periods][cell_slot]
    return CohortTable(
        group=group,
        cohort=axis.starts(low + slot_cohort[cell_slot]),
        age=age,
        acquired=acquired,
        active=active,
        retention=active / acquired,
        revenue=revenue,
        cumulative_revenue_per_customer=cumulative,
        survivors=survivors,
        period=axis,
        end=end_time,
    )
