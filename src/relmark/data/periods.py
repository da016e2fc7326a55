"""The one summary kernel: purchase periods per customer, then a :class:`CustomerSummary`.

:meth:`relmark.TransactionLog.summarize`, :meth:`~relmark.TransactionLog.split`
and :func:`relmark.dask.summarize` build their summaries with these pieces,
so that the definitions cannot drift apart:

1. :meth:`relmark.data.PeriodGrid.ticks` puts each purchase in its period;
2. the purchases of one customer in one period are one transaction whose
   value is their sum, and :func:`is_purchase_period` says which of these
   count (the refund rule); :func:`purchase_periods` lists the periods that
   count, which :class:`~relmark.models.pareto_dynamic.DynamicHistory` places
   on its covariates' grid;
3. per customer, the first and last period, the number of periods, the
   total value and the first period's value: :class:`CustomerPeriods`, made
   by :func:`customer_periods` on one machine or by group-bys on a cluster;
4. :func:`finish_summary` turns those into frequency, recency, T and
   monetary value.
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    BoolArray,
    FloatArray,
    IntArray,
    check_same_length,
    fail_rows,
    readonly,
)
from relmark.data.summary import CustomerSummary
from relmark.data.timeaxis import PeriodGrid

__all__ = [
    "CustomerPeriods",
    "customer_periods",
    "finish_summary",
    "is_purchase_period",
    "purchase_periods",
]


def is_purchase_period(value: ArrayLike, refund: ArrayLike) -> BoolArray:
    r"""Return which (customer, period) transactions count as purchases: the refund rule.

    A period counts unless it contains a refund (a negative amount) and its
    amounts net to zero or less: :math:`\lnot r \lor v > 0`.  A period of
    purchases only always counts, even at a value of 0 (a free item).

    Parameters
    ----------
    value : array_like of float, shape (p,)
        The net value of each period's purchases and refunds.
    refund : array_like of bool, shape (p,)
        Whether the period contains a refund.

    Returns
    -------
    ndarray of bool, shape (p,)

    Examples
    --------
    >>> from relmark.data.periods import is_purchase_period
    >>> is_purchase_period([25.0, 0.0, 0.0, 5.0], [False, False, True, True]).tolist()
    [True, True, False, True]
    """
    return ~np.asarray(refund, dtype=bool) | (np.asarray(value, dtype=np.float64) > 0)


def _ticks(value: ArrayLike) -> NDArray[Any]:
    array = np.asarray(value)
    return array if array.dtype.kind in "if" else array.astype(np.float64)


def _optional_floats(value: ArrayLike | None) -> FloatArray | None:
    return None if value is None else np.asarray(value, dtype=np.float64)


def _floats(value: ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


@attrs.frozen(kw_only=True, eq=False)
class CustomerPeriods:
    """Per-customer aggregates of purchase periods: what :func:`finish_summary` needs.

    Attributes
    ----------
    count : ndarray of float, shape (k,)
        Purchase periods of each customer (0: none, the customer is left out).
    first, last : ndarray, shape (k,)
        The ticks (:meth:`relmark.data.PeriodGrid.ticks`) of the first and the
        last purchase period (any value where ``count`` is 0).
    total : ndarray of float, shape (k,), optional
        Summed net value of the purchase periods.
    first_value : ndarray of float, shape (k,), optional
        Net value of the first purchase period.

    Examples
    --------
    >>> from relmark.data.periods import CustomerPeriods
    >>> periods = CustomerPeriods(count=[2, 1], first=[0, 3], last=[5, 3])
    >>> periods.count.tolist(), periods.total is None
    ([2.0, 1.0], True)
    """

    count: FloatArray = attrs.field(converter=_floats)
    first: NDArray[Any] = attrs.field(converter=_ticks)
    last: NDArray[Any] = attrs.field(converter=_ticks)
    total: FloatArray | None = attrs.field(default=None, converter=_optional_floats)
    first_value: FloatArray | None = attrs.field(default=None, converter=_optional_floats)

    def __attrs_post_init__(self) -> None:
        arrays: dict[str, NDArray[Any]] = {
            "count": self.count,
            "first": self.first,
            "last": self.last,
        }
        if (self.total is None) != (self.first_value is None):
            raise ValueError("`total` and `first_value` go together (both or neither)")
        if self.total is not None and self.first_value is not None:
            arrays.update(total=self.total, first_value=self.first_value)
        check_same_length(arrays)


def customer_periods(
    customer_code: IntArray,
    ticks: IntArray | FloatArray,
    amount: FloatArray | None,
    *,
    n_customers: int,
) -> CustomerPeriods:
    """Group purchases into (customer, period) transactions and aggregate them per customer.

    The single-machine group-by of the kernel, vectorised: one sort of a
    combined int64 (customer, tick) key where it fits, else a lexicographic
    sort; sums by ``np.bincount``.  Logs without refunds take a shorter path
    (every period counts, so values are summed over the rows directly).

    Parameters
    ----------
    customer_code : ndarray of int64, shape (n,)
        Each purchase's customer, ``0 .. n_customers - 1``.
    ticks : ndarray, shape (n,)
        Each purchase's period (:meth:`relmark.data.PeriodGrid.ticks`).
    amount : ndarray of float, shape (n,), optional
        Each purchase's amount (negative: a refund).
    n_customers : int
        Number of customers ``k``; customers without a purchase period get
        ``count`` 0.

    Returns
    -------
    CustomerPeriods
        Arrays of length ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data.periods import customer_periods
    >>> periods = customer_periods(
    ...     np.array([0, 0, 1, 0]), np.array([3, 3, 5, 9]), np.array([10.0, -4.0, 2.0, 1.0]),
    ...     n_customers=2,
    ... )
    >>> periods.count.tolist(), periods.first.tolist(), periods.total.tolist()
    ([2.0, 1.0], [3, 5], [7.0, 2.0])
    """
    k = int(n_customers)
    if amount is None or customer_code.size == 0 or not bool((amount < 0).any()):
        return _without_refunds(customer_code, ticks, amount, k)
    return _with_refunds(customer_code, ticks, amount, k)


def purchase_periods(
    customer_code: IntArray, ticks: IntArray | FloatArray, amount: FloatArray | None
) -> tuple[IntArray, NDArray[Any], FloatArray | None]:
    """Return the (customer, period) transactions that count as purchases, sorted.

    The purchases of one customer in one period are one transaction; with
    refunds, its amounts are netted and :func:`is_purchase_period` decides
    whether it counts.  One sort of a combined int64 (customer, tick) key
    where it fits, else a lexicographic sort.

    Parameters
    ----------
    customer_code : ndarray of int64, shape (n,)
        Each purchase's customer (codes >= 0).
    ticks : ndarray, shape (n,)
        Each purchase's period (:meth:`relmark.data.PeriodGrid.ticks`).
    amount : ndarray of float, shape (n,), optional
        Each purchase's amount (negative: a refund).

    Returns
    -------
    owner : ndarray of int64, shape (p,)
        The customer code of each counted period, sorted, then by tick.
    tick : ndarray, shape (p,)
        Its tick.
    net : ndarray of float, shape (p,), or None
        Its net amount when ``amount`` holds a refund, else None (every
        period counts and its value is the plain sum of its rows).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data.periods import purchase_periods
    >>> owner, tick, net = purchase_periods(
    ...     np.array([1, 0, 0, 1]), np.array([4, 3, 3, 2]), np.array([5.0, 2.0, -2.0, 1.0]))
    >>> owner.tolist(), tick.tolist(), net.tolist()   # customer 0's period nets to 0
    ([1, 1], [2, 4], [1.0, 5.0])
    """
    if amount is None or customer_code.size == 0 or not bool((amount < 0).any()):
        if customer_code.size == 0:
            return customer_code.astype(np.int64), ticks, None
        owner, when = _distinct_periods(customer_code, ticks)
        return owner, when, None
    return _netted_periods(customer_code, ticks, amount)


def _netted_periods(
    codes: IntArray, ticks: NDArray[Any], amount: FloatArray
) -> tuple[IntArray, NDArray[Any], FloatArray]:
    """:func:`purchase_periods` of purchases with a refund: net each period, keep those counting."""
    order = np.lexsort((ticks, codes))
    owner, when, value = codes[order], ticks[order], amount[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (owner[1:] != owner[:-1]) | (when[1:] != when[:-1])
    period = np.cumsum(new) - 1
    net: FloatArray = np.bincount(period, weights=value).astype(np.float64, copy=False)
    refund = np.bincount(period, weights=value < 0) > 0
    counted = is_purchase_period(net, refund)
    return owner[new][counted], when[new][counted], net[counted]


def _runs(
    owner: IntArray, when: NDArray[Any], k: int
) -> tuple[FloatArray, NDArray[Any], NDArray[Any], IntArray]:
    """Count, first and last tick per customer of periods sorted by (owner, tick).

    Also returns the index of each present customer's first period.
    """
    count = np.zeros(k)
    first = np.zeros(k, dtype=when.dtype)
    last = np.zeros(k, dtype=when.dtype)
    if owner.size == 0:  # every period cancelled by a refund, or none at all
        return count, first, last, np.zeros(0, dtype=np.int64)
    new = np.empty(owner.size, dtype=bool)
    new[:1] = True
    np.not_equal(owner[1:], owner[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], owner.size) - 1
    present = owner[starts]
    count[present] = ends - starts + 1
    first[present] = when[starts]
    last[present] = when[ends]
    return count, first, last, starts


def _without_refunds(
    codes: IntArray, ticks: NDArray[Any], amount: FloatArray | None, k: int
) -> CustomerPeriods:
    if codes.size == 0:
        empty = np.zeros(k, dtype=ticks.dtype)
        zeros = None if amount is None else np.zeros(k)
        return CustomerPeriods(count=np.zeros(k), first=empty, last=empty, total=zeros,
                               first_value=zeros)  # fmt: skip
    owner, when = _distinct_periods(codes, ticks)
    count, first, last, _ = _runs(owner, when, k)
    if amount is None:
        return CustomerPeriods(count=count, first=first, last=last)
    total = np.bincount(codes, weights=amount, minlength=k)
    # one pass of where + bincount: cheaper than selecting the first period's rows first
    first_value = np.bincount(
        codes, weights=np.where(ticks == first[codes], amount, 0.0), minlength=k
    )
    return CustomerPeriods(
        count=count, first=first, last=last, total=total, first_value=first_value
    )


def _with_refunds(
    codes: IntArray, ticks: NDArray[Any], amount: FloatArray, k: int
) -> CustomerPeriods:
    """Net each period's amounts, drop the periods the refund rule cancels, aggregate."""
    owner, when, net = _netted_periods(codes, ticks, amount)
    count, first, last, starts = _runs(owner, when, k)
    first_value = np.zeros(k)
    first_value[owner[starts]] = net[starts]
    # summed per period, first period first: never below the first period's value
    total = np.bincount(owner, weights=net, minlength=k)
    return CustomerPeriods(
        count=count, first=first, last=last, total=total, first_value=first_value
    )


def _distinct_periods(codes: IntArray, ticks: NDArray[Any]) -> tuple[IntArray, NDArray[Any]]:
    """Return the distinct (customer code, tick) pairs, sorted by code then tick."""
    if ticks.dtype.kind == "i":
        low = int(ticks.min())
        span = int(ticks.max()) - low + 1
        if (int(codes.max()) + 1) * span < 2**62:
            key = codes * span  # one int64 key per purchase, built and sorted in place
            key += ticks.astype(np.int64, copy=False)
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
    order = np.lexsort((ticks, codes))
    owner, when = codes[order], ticks[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (owner[1:] != owner[:-1]) | (when[1:] != when[:-1])
    return owner[new], when[new]


def finish_summary(
    customer_id: ArrayLike,
    periods: CustomerPeriods,
    *,
    grid: PeriodGrid,
    observation_end: np.datetime64 | float,
) -> CustomerSummary:
    r"""Turn per-customer purchase periods into a :class:`~relmark.CustomerSummary`.

    Parameters
    ----------
    customer_id : array_like, shape (k,)
        The customers the aggregates belong to.
    periods : CustomerPeriods
        Their aggregates; customers with ``count`` 0 are left out.
    grid : PeriodGrid
        The grid the ticks are on; its ``unit`` is the summary's.
    observation_end : numpy.datetime64 or float
        End of observation (:func:`relmark.data.as_instant`), on or after
        every counted purchase.

    Returns
    -------
    CustomerSummary
        In the order of ``customer_id``, ``monetary_value`` when the
        aggregates have values.

    Raises
    ------
    ValidationError
        If ``observation_end`` is before a customer's first purchase period.

    Notes
    -----
    With :math:`n` purchase periods, :math:`s_1` and :math:`s_n` the starts
    of the first and last (positions on the grid's axis), :math:`e` the
    end, :math:`u` the unit's length, :math:`v_1` the first period's value
    and :math:`V` the total:

    .. math::

        x = n - 1,\quad t_x = \min\bigl((s_n - s_1)/u,\ T\bigr),\quad
        T = (e - s_1)/u,\quad m = (V - v_1)/x\ (0 \text{ when } x = 0).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data.periods import CustomerPeriods, finish_summary
    >>> from relmark.data.timeaxis import PeriodGrid
    >>> grid = PeriodGrid(calendar=False, log_unit="D", unit="W")
    >>> periods = CustomerPeriods(count=[3, 1], first=[0.0, 7.0], last=[14.0, 7.0],
    ...                           total=[30.0, 5.0], first_value=[10.0, 5.0])
    >>> s = finish_summary(["a", "b"], periods, grid=grid, observation_end=28.0)
    >>> s.frequency.tolist(), s.recency.tolist(), s.T.tolist(), s.monetary_value.tolist()
    ([2.0, 0.0], [2.0, 0.0], [4.0, 3.0], [10.0, 0.0])
    """
    ids = np.asarray(customer_id)
    check_same_length({"customer_id": ids, "count": periods.count})
    present = periods.count > 0
    every = bool(present.all())

    def kept(array: NDArray[Any]) -> NDArray[Any]:
        return array if every else array[present]

    first_start = grid.starts(kept(periods.first))
    last_start = grid.starts(kept(periods.last))
    T = grid.measure(grid.position(observation_end) - first_start)
    fail_rows(
        "observation_end",
        "must not be before a customer's first purchase period",
        T < 0,
        noun="customers",
    )
    recency = np.minimum(grid.measure(last_start - first_start), T)  # rounding stays <= T
    frequency = kept(periods.count) - 1
    monetary = None
    if periods.total is not None and periods.first_value is not None:
        repeat_value = kept(periods.total) - kept(periods.first_value)
        monetary = readonly(
            np.divide(repeat_value, frequency, out=np.zeros_like(repeat_value), where=frequency > 0)
        )
    return CustomerSummary._trusted(
        frequency=readonly(np.array(frequency, dtype=np.float64)),
        recency=readonly(recency),
        T=readonly(T),
        monetary_value=monetary,
        weights=readonly(np.ones(frequency.size)),
        customer_id=readonly(np.array(kept(ids), copy=True)),
        unit=grid.unit,
    )
