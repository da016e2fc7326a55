"""Loyalty-program economics: points, tiers, the points liability, and the program's ROI."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq

from relmark._validation import (
    FloatArray,
    IntArray,
    as_broadcastable,
    as_float_array,
    as_instance,
    as_probability,
    as_scalar,
    check_length,
    fail_rows,
    float_or_array,
    readonly,
)
from relmark.data.timeaxis import TIME_UNITS, as_instant
from relmark.data.transactions import TransactionLog
from relmark.domain.loyalty import LoyaltyProgram
from relmark.economics.clv import closed_form
from relmark.exceptions import ValidationError

__all__ = [
    "LoyaltyProgramValue",
    "PointsBalance",
    "assign_tiers",
    "break_even_retention_lift",
    "loyalty_program_value",
    "points_balance",
    "points_liability",
    "qualifying_totals",
    "reward_cost_rate",
]


def _program(program: object) -> LoyaltyProgram:
    return as_instance("program", program, LoyaltyProgram)


def _purchases(log: object, as_of: Any) -> tuple[TransactionLog, np.datetime64]:
    """Return the checked log (calendar times, amounts) and the balance date ``as_of``."""
    checked = as_instance("log", log, TransactionLog)
    if not checked.is_calendar:
        raise ValidationError("loyalty economics need a log with calendar timestamps")
    if checked.amount is None:
        raise ValidationError("the log needs purchase amounts")
    if as_of is None:
        return checked, checked.timestamp.max()
    end = as_instant(as_of, name="as_of", calendar=True)
    assert isinstance(end, np.datetime64)  # calendar=True: a number is a TypeError
    return checked, end


def _days_before(log: TransactionLog, end: np.datetime64) -> FloatArray:
    """Return each purchase's age in days at ``end`` (negative: after it)."""
    age = (end - log.timestamp) / np.timedelta64(1, "s") / TIME_UNITS["D"]
    return np.asarray(age, dtype=np.float64)


def qualifying_totals(
    program: LoyaltyProgram, log: TransactionLog, *, as_of: Any = None
) -> tuple[NDArray[Any], FloatArray]:
    """Return each customer's spend (or base points) in the program's qualifying window.

    Parameters
    ----------
    program : LoyaltyProgram
        Its ``qualifying_window`` (days) and ``tier_basis`` apply.
    log : TransactionLog
        Purchases with amounts and calendar timestamps.
    as_of : datetime-like, optional
        End of the window (inclusive); default the last purchase.

    Returns
    -------
    customer_id : ndarray
        Sorted distinct customers of the log.
    totals : ndarray
        Spend, or points at the base rate, within ``(as_of - window, as_of]``.

    References
    ----------
    Kumar, V. & Shah, D. (2004). Building and sustaining profitable customer
    loyalty for the 21st century. *Journal of Retailing*, 80(4), 317-329.

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(name="Club", points_per_unit=2, point_value=0.01,
    ...                               tiers=[relmark.Tier(name="M", threshold=0)],
    ...                               qualifying_window=30)
    >>> log = relmark.TransactionLog.from_arrays(
    ...     ["a", "a", "b"], ["2024-01-01", "2024-03-01", "2024-03-10"], [50.0, 20.0, 5.0]
    ... )
    >>> ids, totals = relmark.qualifying_totals(club, log, as_of="2024-03-15")
    >>> ids.tolist(), totals.tolist()
    (['a', 'b'], [20.0, 5.0])
    """
    club = _program(program)
    purchases, end = _purchases(log, as_of)
    customers, _, totals = _qualifying(club, purchases, _days_before(purchases, end))
    return customers, readonly(totals)


def _qualifying(
    club: LoyaltyProgram, log: TransactionLog, age: FloatArray
) -> tuple[NDArray[Any], IntArray, FloatArray]:
    """Total each customer's qualifying spend, given purchase ages in days (the kernel).

    Returns the distinct customers (sorted), each purchase's code into them, and the totals.
    """
    assert log.amount is not None  # checked by the caller
    inside = (age >= 0) & (age < club.qualifying_window)
    customers, owner = log.customers, log.customer_code  # factorised once, by the log
    totals: FloatArray = np.bincount(
        owner, weights=np.where(inside, log.amount, 0.0), minlength=customers.size
    ).astype(np.float64)
    if club.tier_basis == "points":
        totals = totals * club.points_per_unit
    return customers, owner, totals


def assign_tiers(program: LoyaltyProgram, qualifying: ArrayLike) -> NDArray[np.int64]:
    """Return each customer's tier: the highest whose threshold they reach.

    Parameters
    ----------
    program : LoyaltyProgram
        Tiers in increasing thresholds.
    qualifying : array_like
        Spend or points in the qualifying window (>= 0), per customer.

    Returns
    -------
    ndarray of int
        Positions in ``program.tiers``; never lower for a larger total.

    References
    ----------
    Kumar & Shah (2004), tiered rewards.

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(
    ...     name="Club", points_per_unit=1, point_value=0.01,
    ...     tiers=[relmark.Tier(name="Member", threshold=0),
    ...            relmark.Tier(name="Silver", threshold=200),
    ...            relmark.Tier(name="Gold", threshold=1000)],
    ... )
    >>> [club.tiers[i].name for i in relmark.assign_tiers(club, [50, 200, 5000])]
    ['Member', 'Silver', 'Gold']
    """
    club = _program(program)
    return _tiers(club, as_broadcastable("qualifying", qualifying, low=0.0))


def _tiers(club: LoyaltyProgram, totals: FloatArray) -> NDArray[np.int64]:
    """Return the tier positions for checked totals (the kernel of :func:`assign_tiers`)."""
    thresholds = np.array([tier.threshold for tier in club.tiers])
    tiers: NDArray[np.int64] = np.searchsorted(thresholds, totals, side="right").astype(np.int64)
    return tiers - 1


@attrs.frozen(kw_only=True)
class PointsBalance:
    """Points per customer at a date: earned, redeemed, expired and outstanding.

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(name="Club", points_per_unit=1, point_value=0.01,
    ...                               tiers=[relmark.Tier(name="M", threshold=0)])
    >>> log = relmark.TransactionLog.from_arrays(["a"], ["2024-01-01"], [80.0])
    >>> relmark.points_balance(club, log).outstanding.tolist()
    [80.0]
    """

    customer_id: NDArray[Any]
    earned: FloatArray
    redeemed: FloatArray
    expired: FloatArray
    outstanding: FloatArray


def points_balance(
    program: LoyaltyProgram,
    log: TransactionLog,
    *,
    as_of: Any = None,
    redeemed: ArrayLike | None = None,
) -> PointsBalance:
    r"""Return the points each customer earned, redeemed, lost to expiry and still holds.

    Parameters
    ----------
    program : LoyaltyProgram
        Earning rate, tier multipliers (each customer's tier from
        :func:`qualifying_totals` at ``as_of``) and expiry.
    log : TransactionLog
        Purchases with amounts and calendar timestamps.
    as_of : datetime-like, optional
        Balance date; purchases after it are ignored.  Default: the last purchase.
    redeemed : array_like, optional
        Points each customer has redeemed (aligned with the sorted distinct
        customers of the log); default none.

    Returns
    -------
    PointsBalance

    Notes
    -----
    Points earned: amount x ``points_per_unit`` x the tier multiplier.
    Redemptions use the oldest points first, so only points older than
    ``points_expire_after`` days and not covered by redemptions expire:
    :math:`\text{expired} = \max(0, \text{old} - \text{redeemed})`,
    :math:`\text{outstanding} = \text{earned} - \text{redeemed} - \text{expired} \ge 0`.

    References
    ----------
    IFRS 15 *Revenue from Contracts with Customers*, B39-B43.

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(name="Club", points_per_unit=1, point_value=0.01,
    ...                               tiers=[relmark.Tier(name="M", threshold=0)],
    ...                               points_expire_after=365)
    >>> log = relmark.TransactionLog.from_arrays(
    ...     ["a", "a"], ["2022-06-01", "2024-01-01"], [100.0, 40.0]
    ... )
    >>> b = relmark.points_balance(club, log, as_of="2024-02-01", redeemed=[30.0])
    >>> b.expired.tolist(), b.outstanding.tolist()
    ([70.0], [40.0])
    """
    club = _program(program)
    purchases, end = _purchases(log, as_of)
    assert purchases.amount is not None  # checked by _purchases
    age = _days_before(purchases, end)
    customers, owner, totals = _qualifying(club, purchases, age)
    spent = (
        np.zeros(customers.size)
        if redeemed is None
        else as_float_array("redeemed", redeemed, nonnegative=True, noun="customers")
    )
    check_length("redeemed", spent, customers.size, per="distinct customer of `log`")
    multipliers = np.array([tier.multiplier for tier in club.tiers])[_tiers(club, totals)]
    points = np.where(age >= 0, purchases.amount * club.points_per_unit * multipliers[owner], 0.0)
    earned = np.bincount(owner, weights=points, minlength=customers.size)
    fail_rows(
        "redeemed",
        "must not exceed the points earned",
        spent > earned + 1e-9,
        spent,
        versus=(">", earned),
        noun="customers",
    )
    expiry = np.inf if club.points_expire_after is None else club.points_expire_after
    old = np.bincount(owner, weights=np.where(age > expiry, points, 0.0), minlength=customers.size)
    expired = np.maximum(old - spent, 0.0)
    return PointsBalance(
        customer_id=readonly(customers),
        earned=readonly(earned),
        redeemed=readonly(np.array(spent, copy=True)),
        expired=readonly(expired),
        outstanding=readonly(np.maximum(earned - spent - expired, 0.0)),
    )


def points_liability(program: LoyaltyProgram, outstanding_points: ArrayLike) -> float | FloatArray:
    r"""Return the liability of outstanding points: what their expected redemptions cost.

    Parameters
    ----------
    program : LoyaltyProgram
        ``point_value`` and ``expected_breakage`` apply.
    outstanding_points : float or array_like
        Points held (>= 0), e.g. ``points_balance(...).outstanding``.

    Returns
    -------
    float or ndarray
        :math:`P \cdot (1 - b) \cdot v` >= 0, in currency.

    References
    ----------
    IFRS 15 *Revenue from Contracts with Customers*, B39-B43 (customer
    options for additional goods: the deferred value of loyalty points,
    adjusted for expected breakage).

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(name="Club", points_per_unit=1, point_value=0.01,
    ...                               tiers=[relmark.Tier(name="M", threshold=0)],
    ...                               expected_breakage=0.2)
    >>> relmark.points_liability(club, 10_000)
    80.0
    """
    club = _program(program)
    points = as_broadcastable("outstanding_points", outstanding_points, low=0.0)
    return float_or_array(points * (1.0 - club.expected_breakage) * club.point_value)


def reward_cost_rate(program: LoyaltyProgram) -> float:
    """Return the share of spend the program gives back as rewards (entry tier).

    References
    ----------
    IFRS 15 *Revenue from Contracts with Customers*, B39-B43 (breakage).

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(name="Club", points_per_unit=2, point_value=0.005,
    ...                               tiers=[relmark.Tier(name="M", threshold=0)],
    ...                               expected_breakage=0.25)
    >>> relmark.reward_cost_rate(club)
    0.0075
    """
    club = _program(program)
    return club.points_per_unit * club.point_value * (1.0 - club.expected_breakage)


@attrs.frozen(kw_only=True)
class LoyaltyProgramValue:
    """What a loyalty program returns per member, against a control group.

    Attributes
    ----------
    incremental_margin : float
        Present value of the extra margin from retention and spend lifts.
    cost : float
        Present value of rewards and operating cost per member.
    roi : float
        ``(incremental_margin - cost) / cost``.

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(name="Club", points_per_unit=1, point_value=0.01,
    ...                               tiers=[relmark.Tier(name="M", threshold=0)])
    >>> v = relmark.loyalty_program_value(club, spend=200, margin=0.3, retention=0.7,
    ...                                   retention_lift=0.05, spend_lift=0.1,
    ...                                   discount_rate=0.1, operating_cost=1.0)
    >>> round(v.roi, 2)
    4.31
    """

    incremental_margin: float
    cost: float
    roi: float


@attrs.frozen
class _Terms:
    """The checked terms of a loyalty program's value, per member and period."""

    rate: float
    spend: float
    margin: float
    retention: float
    spend_lift: float
    discount_rate: float
    operating_cost: float


def _terms(
    program: object, spend: object, margin: object, retention: object, spend_lift: object,
    discount_rate: object, operating_cost: object,
) -> _Terms:  # fmt: skip
    """Check the arguments :func:`loyalty_program_value` and its break-even share."""
    return _Terms(
        rate=reward_cost_rate(_program(program)),
        spend=as_scalar("spend", spend, low=0.0, low_open=True),
        margin=as_probability("margin", margin),
        retention=as_probability("retention", retention, high_open=True),
        spend_lift=as_scalar("spend_lift", spend_lift, low=-1.0),
        discount_rate=as_scalar("discount_rate", discount_rate, low=0.0),
        operating_cost=as_scalar("operating_cost", operating_cost, low=0.0),
    )


def _program_value(terms: _Terms, lift: float) -> tuple[float, float]:
    """Return the incremental margin and cost per member (the kernel)."""
    members_spend = terms.spend * (1.0 + terms.spend_lift)
    kept = terms.retention + lift
    d = terms.discount_rate
    gain = closed_form(terms.margin * members_spend, kept, d, None) - closed_form(
        terms.margin * terms.spend, terms.retention, d, None
    )
    cost = closed_form(terms.rate * members_spend + terms.operating_cost, kept, d, None)
    return float(gain), float(cost)


def loyalty_program_value(
    program: LoyaltyProgram,
    *,
    spend: float,
    margin: float,
    retention: float,
    retention_lift: float,
    spend_lift: float = 0.0,
    discount_rate: float,
    operating_cost: float = 0.0,
) -> LoyaltyProgramValue:
    r"""Return the incremental value, cost and ROI of a loyalty program per member.

    Parameters
    ----------
    program : LoyaltyProgram
        Its reward cost rate (:func:`reward_cost_rate`) applies to members' spend.
    spend : float
        Spend per period of a non-member (control group), > 0.
    margin : float
        Share of spend kept as margin, in [0, 1].
    retention : float
        Control group's retention per period, in [0, 1).
    retention_lift : float
        Points of retention the program adds (members: ``retention + lift``).
    spend_lift : float, default 0
        Relative spend increase of members (0.1 = +10 %).
    discount_rate : float
        Per period.
    operating_cost : float, default 0
        Program cost per member per period, besides rewards.

    Returns
    -------
    LoyaltyProgramValue

    Notes
    -----
    With :math:`S' = S(1+s)`, :math:`r' = r + \ell` and :math:`\mathrm{CLV}(m, r)`
    the closed form of :func:`clv_closed_form`,
    :math:`\Delta = \mathrm{CLV}(mS', r') - \mathrm{CLV}(mS, r)`,
    :math:`C = \mathrm{CLV}(\rho S' + o, r')` and ROI :math:`= (\Delta - C)/C`.

    References
    ----------
    Kumar, V. & Shah, D. (2004). Building and sustaining profitable customer
    loyalty for the 21st century. *Journal of Retailing*, 80(4), 317-329.

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(name="Club", points_per_unit=1, point_value=0.01,
    ...                               tiers=[relmark.Tier(name="M", threshold=0)])
    >>> v = relmark.loyalty_program_value(club, spend=200, margin=0.3, retention=0.7,
    ...                                   retention_lift=0.05, discount_rate=0.1)
    >>> round(v.incremental_margin, 2), round(v.cost, 2)
    (23.57, 4.29)
    """
    terms = _terms(program, spend, margin, retention, spend_lift, discount_rate, operating_cost)
    lift = as_scalar(
        "retention_lift", retention_lift, low=0.0, high=1.0 - terms.retention, high_open=True
    )
    gain, cost = _program_value(terms, lift)
    return LoyaltyProgramValue(
        incremental_margin=gain, cost=cost, roi=(gain - cost) / cost if cost > 0 else np.inf
    )


def break_even_retention_lift(
    program: LoyaltyProgram,
    *,
    spend: float,
    margin: float,
    retention: float,
    spend_lift: float = 0.0,
    discount_rate: float,
    operating_cost: float = 0.0,
) -> float:
    """Return the retention lift at which the program exactly pays for itself (ROI 0).

    Parameters
    ----------
    program, spend, margin, retention, spend_lift, discount_rate, operating_cost
        As in :func:`loyalty_program_value`.

    Returns
    -------
    float
        The lift in points of retention; ``inf`` if no lift below
        ``1 - retention`` breaks even, 0 if the program pays without one.

    References
    ----------
    Kumar & Shah (2004); Gupta & Lehmann (2003) for the CLV closed form.

    Examples
    --------
    >>> import relmark
    >>> club = relmark.LoyaltyProgram(name="Club", points_per_unit=1, point_value=0.01,
    ...                               tiers=[relmark.Tier(name="M", threshold=0)])
    >>> round(relmark.break_even_retention_lift(club, spend=200, margin=0.3, retention=0.7,
    ...                                         discount_rate=0.1, operating_cost=2.0), 4)
    0.0174
    """
    terms = _terms(program, spend, margin, retention, spend_lift, discount_rate, operating_cost)

    def net(lift: float) -> float:
        gain, cost = _program_value(terms, lift)
        return gain - cost

    top = (1.0 - terms.retention) * (1 - 1e-9)
    if net(0.0) >= 0:
        return 0.0
    if net(top) < 0:
        return float("inf")
    return float(brentq(net, 0.0, top, xtol=1e-14, rtol=1e-12))
