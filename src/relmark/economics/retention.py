"""Retention against acquisition: what keeping a customer is worth, and whom to keep."""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    as_broadcastable,
    as_float_array,
    check_broadcast,
    check_same_length,
    fail_rows,
    float_or_array,
    readonly,
)
from relmark.economics.campaigns import _contact_gain
from relmark.economics.clv import closed_form

__all__ = [
    "RetentionCampaign",
    "acquisition_retention_ratio",
    "amortized_acquisition_cost",
    "clv_to_cac",
    "payback_period",
    "retention_campaign",
    "retention_lift_value",
]


def amortized_acquisition_cost(
    acquisition_cost: ArrayLike, expected_tenure: ArrayLike
) -> float | FloatArray:
    r"""Return the acquisition cost spread over the expected tenure, per period.

    Parameters
    ----------
    acquisition_cost : float or array_like
        Cost of winning the customer (>= 0).
    expected_tenure : float or array_like
        Expected periods as a customer (> 0), e.g. ``1 / (1 - retention)``
        or ``ShiftedBetaGeo.expected_lifetime()``.

    Returns
    -------
    float or ndarray
        :math:`\mathrm{CAC} / E[\text{tenure}]` per period.

    References
    ----------
    Blattberg, R. C., Kim, B.-D. & Neslin, S. A. (2008). *Database Marketing:
    Analyzing and Managing Customers*. Springer, ch. 5 (acquisition cost per period).

    Examples
    --------
    >>> from relmark import amortized_acquisition_cost
    >>> amortized_acquisition_cost(120.0, [2.0, 12.0]).tolist()   # short vs long relationships
    [60.0, 10.0]
    """
    cost = as_broadcastable("acquisition_cost", acquisition_cost, low=0.0)
    tenure = as_broadcastable("expected_tenure", expected_tenure, positive=True)
    check_broadcast({"acquisition_cost": cost, "expected_tenure": tenure})
    return float_or_array(cost / tenure)


def payback_period(
    acquisition_cost: ArrayLike,
    margin: ArrayLike,
    retention: ArrayLike,
    discount_rate: ArrayLike = 0.0,
) -> float | FloatArray:
    r"""Return the periods of margin needed to earn back an acquisition cost.

    Parameters
    ----------
    acquisition_cost : float or array_like
        Cost of winning the customer (>= 0).
    margin : float or array_like
        Margin per period while a customer (> 0), received at period ends.
    retention : float or array_like
        Probability of staying each period, in [0, 1).
    discount_rate : float or array_like, default 0
        Discount rate per period (>= 0).

    Returns
    -------
    float or ndarray
        The (fractional) :math:`n` where the expected discounted margin
        :math:`m\,q(1 - q^n)/(1 - q)`, :math:`q = r/(1+d)`, reaches the cost;
        ``inf`` where it never does.

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2005). *Managing Customers as Investments*.
    Wharton School Publishing, ch. 2.

    Examples
    --------
    >>> from relmark import payback_period
    >>> round(payback_period(100.0, 50.0, 0.9), 2)
    2.39
    >>> payback_period(1000.0, 50.0, 0.5)   # the relationship never pays back
    inf
    """
    cost = as_broadcastable("acquisition_cost", acquisition_cost, low=0.0)
    m = as_broadcastable("margin", margin, positive=True)
    r = as_broadcastable("retention", retention, low=0.0, high=1.0, high_open=True)
    d = as_broadcastable("discount_rate", discount_rate, low=0.0)
    check_broadcast({"acquisition_cost": cost, "margin": m, "retention": r, "discount_rate": d})
    q = r / (1.0 + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        remaining = 1.0 - cost * (1.0 - q) / (m * q)
        periods = np.where(
            cost == 0, 0.0, np.where(remaining > 0, np.log(remaining) / np.log(q), np.inf)
        )
    return float_or_array(periods)


def clv_to_cac(clv: ArrayLike, acquisition_cost: ArrayLike) -> float | FloatArray:
    """Return the ratio of lifetime value to acquisition cost (3 or more is the usual aim).

    Parameters
    ----------
    clv : float or array_like
        Customer lifetime value.
    acquisition_cost : float or array_like
        Cost of acquiring the customer (> 0).

    Returns
    -------
    float or ndarray

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2005). *Managing Customers as Investments*.
    Wharton School Publishing.

    Examples
    --------
    >>> from relmark import clv_to_cac
    >>> clv_to_cac(300.0, 100.0)
    3.0
    """
    value = as_broadcastable("clv", clv)
    cost = as_broadcastable("acquisition_cost", acquisition_cost, positive=True)
    check_broadcast({"clv": value, "acquisition_cost": cost})
    return float_or_array(value / cost)


def acquisition_retention_ratio(
    acquisition_cost: ArrayLike, retention_cost: ArrayLike
) -> float | FloatArray:
    """Return how many times more winning a customer costs than keeping one.

    Parameters
    ----------
    acquisition_cost : float or array_like
        Cost of acquiring a customer (>= 0).
    retention_cost : float or array_like
        Cost of keeping a customer for the same period (> 0).

    Returns
    -------
    float or ndarray

    References
    ----------
    Reichheld, F. F. & Sasser, W. E. (1990). Zero defections: quality comes
    to services. *Harvard Business Review*, 68(5), 105-111.

    Examples
    --------
    >>> from relmark import acquisition_retention_ratio
    >>> acquisition_retention_ratio(250.0, 50.0)
    5.0
    """
    acquire = as_broadcastable("acquisition_cost", acquisition_cost, low=0.0)
    keep = as_broadcastable("retention_cost", retention_cost, positive=True)
    check_broadcast({"acquisition_cost": acquire, "retention_cost": keep})
    return float_or_array(acquire / keep)


def retention_lift_value(
    margin: ArrayLike,
    retention: ArrayLike,
    discount_rate: ArrayLike,
    *,
    lift: ArrayLike,
) -> float | FloatArray:
    r"""Return the gain in CLV per customer when retention rises by ``lift``.

    It is also the break-even spend per customer of a retention effort that
    achieves the lift: spend less and keeping customers pays.

    Parameters
    ----------
    margin, retention, discount_rate : float or array_like
        As in :func:`clv_closed_form`.
    lift : float or array_like
        Points of retention gained (e.g. 0.05), with ``retention + lift < 1``.

    Returns
    -------
    float or ndarray

    Notes
    -----
    :math:`\Delta = \frac{m(r+\ell)}{1+d-r-\ell} - \frac{m r}{1+d-r}`.
    Because CLV is convex in retention, the same lift is worth more the
    more loyal the base already is.

    References
    ----------
    Reichheld, F. F. & Sasser, W. E. (1990). Zero defections: quality comes
    to services. *Harvard Business Review*, 68(5), 105-111; Gupta &
    Lehmann (2003).

    Examples
    --------
    >>> from relmark import retention_lift_value
    >>> retention_lift_value(100.0, [0.6, 0.8], 0.1, lift=0.05).round(2).tolist()
    [24.44, 73.33]
    """
    m = as_broadcastable("margin", margin, low=0.0)
    r = as_broadcastable("retention", retention, low=0.0, high=1.0, high_open=True)
    d = as_broadcastable("discount_rate", discount_rate, low=0.0)
    gained = as_broadcastable("lift", lift, low=0.0)
    check_broadcast({"margin": m, "retention": r, "discount_rate": d, "lift": gained})
    raised = r + gained
    fail_rows("retention + lift", "must stay < 1", raised >= 1.0, raised, noun="values")
    return float_or_array(closed_form(m, raised, d, None) - closed_form(m, r, d, None))


@attrs.frozen(kw_only=True)
class RetentionCampaign:
    """Who to contact in a retention campaign, and what it is expected to return.

    Attributes
    ----------
    expected_gain : ndarray
        Per customer: P(churn) x P(saved | contacted) x remaining value - contact cost.
    targets : ndarray of int
        Indices of the customers worth contacting (gain > 0), best first.
    cost : float
        Contact cost of the targets.
    value_saved : float
        Expected value kept by contacting them.
    roi : float
        ``(value_saved - cost) / cost``; 0 when nobody is targeted.

    Examples
    --------
    >>> from relmark import retention_campaign
    >>> plan = retention_campaign([0.8, 0.1, 0.5], 0.3, [500.0, 800.0, 20.0], 10.0)
    >>> plan.targets.tolist(), round(plan.roi, 2)
    ([0, 1], 6.2)
    """

    expected_gain: FloatArray
    targets: NDArray[np.int64]
    cost: float
    value_saved: float
    roi: float

    @property
    def net_gain(self) -> float:
        """Expected value saved minus cost."""
        return self.value_saved - self.cost


def retention_campaign(
    churn_probability: ArrayLike,
    save_probability: ArrayLike,
    remaining_value: ArrayLike,
    contact_cost: ArrayLike,
) -> RetentionCampaign:
    r"""Rank customers by the expected net gain of contacting them, and plan the campaign.

    Parameters
    ----------
    churn_probability : array_like
        Each customer's probability of leaving, in [0, 1] (e.g.
        ``1 - model.probability_alive(summary)``).
    save_probability : float or array_like
        Probability that a contact keeps a customer who would leave, in [0, 1].
    remaining_value : array_like
        Value kept when a customer stays, >= 0: with a purchase model, the
        value given alive, ``clv / probability_alive`` (the CLV already
        weighs the chance that the customer has left).
    contact_cost : float or array_like
        Cost of one contact (>= 0).

    Returns
    -------
    RetentionCampaign

    Notes
    -----
    :math:`g_i = p^{churn}_i\,p^{save}_i\,V_i - c_i`.  Contacting exactly the
    customers with :math:`g_i > 0` maximises the expected net gain, so it
    never does worse than contacting everyone or no one.  The gain is
    :func:`relmark.plan_campaign`'s with no incentive (one formula for both);
    use that for several offers, a budget or capacities.

    References
    ----------
    Neslin, S. A., Gupta, S., Kamakura, W., Lu, J. & Mason, C. H. (2006).
    Defection detection. *Journal of Marketing Research*, 43(2), 204-211.

    Examples
    --------
    >>> from relmark import retention_campaign
    >>> plan = retention_campaign([0.9, 0.2], 0.25, [400.0, 100.0], 15.0)
    >>> plan.expected_gain.tolist(), plan.targets.tolist()
    ([75.0, -10.0], [0])
    """
    churn = as_float_array(
        "churn_probability", churn_probability, low=0.0, high=1.0, noun="customers"
    )
    n = churn.size
    save = as_float_array("save_probability", save_probability, low=0.0, high=1.0)
    worth = as_float_array("remaining_value", remaining_value, low=0.0, noun="customers")
    cost = as_float_array("contact_cost", contact_cost, low=0.0)
    check_same_length({"churn_probability": churn, "remaining_value": worth})
    check_broadcast({"churn_probability": churn, "save_probability": save})
    check_broadcast({"churn_probability": churn, "contact_cost": cost})
    save, cost = np.broadcast_to(save, n), np.broadcast_to(cost, n)
    uplift = churn * save
    gain, _ = _contact_gain(uplift, churn, worth, offer_cost=0.0, contact_cost=cost)
    saved = uplift * worth
    order = np.argsort(-gain, kind="stable")
    targets = order[gain[order] > 0]
    spent = float(cost[targets].sum())
    kept = float(saved[targets].sum())
    return RetentionCampaign(
        expected_gain=readonly(gain),
        targets=readonly(targets.astype(np.int64)),
        cost=spent,
        value_saved=kept,
        roi=(kept - spent) / spent if spent > 0 else 0.0,
    )
