"""Customer lifetime value: model-based, contractual and closed-form, and customer equity."""

from __future__ import annotations

import math
from typing import Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike

from relmark._validation import (
    MAX_STEPS,
    FloatArray,
    as_broadcastable,
    as_choice,
    as_float_array,
    as_instance,
    as_model,
    as_periods,
    as_scalar,
    check_broadcast,
    check_same_length,
    check_size,
    check_whole,
    float_or_array,
)
from relmark.data.summary import CustomerSummary
from relmark.models._base import PurchaseModelBase
from relmark.models._residual import ResidualTransactionModel
from relmark.models.contracts import ContractModel, PurchaseModel, SpendModel

__all__ = [
    "ContractModel",
    "ContractualModel",
    "PurchaseModel",
    "SpendModel",
    "clv_closed_form",
    "customer_equity",
    "customer_lifetime_value",
    "residual_lifetime_value",
    "subscriber_lifetime_value",
]

#: The former name of :class:`~relmark.models.ContractModel`.
ContractualModel = ContractModel


def customer_lifetime_value(
    transaction_model: PurchaseModel,
    spend_model: SpendModel | None,
    summary: CustomerSummary,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    step: float = 1.0,
) -> FloatArray:
    r"""Return each customer's discounted expected margin over ``horizon``.

    Parameters
    ----------
    transaction_model : PurchaseModel
        BetaGeo, ModifiedBetaGeo, ParetoNBD, ... fitted on ``summary`` (same
        time unit); any object with ``expected_purchases(summary, t)`` will do.
    spend_model : SpendModel or None
        Expected spend per purchase; None values purchases at 1 (CLV in
        purchases).
    summary : CustomerSummary
        The customers.
    horizon : float
        How far ahead, in the summary's time unit (> 0).
    discount_rate : float, default 0
        Discount rate per ``step`` (>= 0): with weeks and ``step=4``, a
        4-weekly rate.
    margin : float, default 1
        Share of spend kept as margin, in [0, 1].
    step : float, default 1
        Length of a discounting period, in the summary's unit (> 0).

    Returns
    -------
    ndarray, shape (n,)
        In the currency of the spend model.

    Raises
    ------
    TypeError
        If ``transaction_model`` has no ``expected_purchases``, ``spend_model``
        is not a :class:`~relmark.models.SpendModel` (or None), ``summary``
        is not a :class:`~relmark.CustomerSummary`.
    ValidationError
        For values out of range, and for more than 100,000 discounting
        periods (``horizon / step``): each is a pass of the model over all
        customers.

    Notes
    -----
    With :math:`t_k = \min(k \cdot \mathrm{step}, \mathrm{horizon})`,
    :math:`k = 1 \ldots \lceil \mathrm{horizon}/\mathrm{step} \rceil`,

    .. math::

        \mathrm{CLV}_i = m\,E[\text{spend}_i] \sum_k
        \frac{E[X_i(T_i, T_i + t_k)] - E[X_i(T_i, T_i + t_{k-1})]}{(1 + d)^{k}},

    purchases in period :math:`k` are discounted as if made at its end.
    One pass per period over all customers; no loop over customers.  With
    :math:`d = 0` the sum telescopes to
    :math:`m\,E[\text{spend}_i]\,E[X_i(T_i, T_i + \mathrm{horizon})]`, computed
    in one pass.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430 (section "CLV").

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> summary = cdnow_sample_summary()
    >>> purchases = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> spend = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> clv = relmark.customer_lifetime_value(
    ...     purchases, spend, summary, horizon=52.0, discount_rate=0.01, margin=0.3, step=4.0
    ... )
    >>> clv.shape, round(float(clv.sum()))
    ((2357,), 21326)
    """
    as_model("transaction_model", transaction_model, PurchaseModel, uses=["expected_purchases"])
    if spend_model is not None:
        as_model("spend_model", spend_model, SpendModel)
    as_instance("summary", summary, CustomerSummary)
    options = clv_options(horizon=horizon, discount_rate=discount_rate, margin=margin, step=step)
    return discounted_margin(transaction_model, spend_model, summary, options)


def residual_lifetime_value(
    purchase_model: ResidualTransactionModel,
    spend_model: SpendModel | None,
    summary: CustomerSummary,
    *,
    discount_rate: float,
    margin: float = 1.0,
) -> FloatArray:
    r"""Return each customer's residual lifetime value: DERT times expected spend times margin.

    Parameters
    ----------
    purchase_model : BetaGeo, ModifiedBetaGeo, ParetoNBD or NBD
        Fitted on ``summary`` (same time unit); any object with
        ``discounted_expected_residual_transactions(summary, discount_rate)``.
    spend_model : SpendModel or None
        Expected spend per purchase; None values purchases at 1 (the value
        in discounted purchases).
    summary : CustomerSummary
        The customers.
    discount_rate : float
        Continuous discount rate per unit of the summary's time (> 0): an
        annual rate ``d`` on weekly data is ``log(1 + d) / 52``.
    margin : float, default 1
        Share of spend kept as margin, in [0, 1].

    Returns
    -------
    ndarray, shape (n,)
        In the currency of the spend model; the value at the end of
        observation of everything the customer will still buy, with no
        horizon.

    Raises
    ------
    TypeError
        If ``purchase_model`` has no ``discounted_expected_residual_transactions``
        (BG/BB, for one), ``spend_model`` is not a
        :class:`~relmark.models.SpendModel` (or None), ``summary`` is not a
        :class:`~relmark.CustomerSummary`.
    ValidationError
        If ``discount_rate`` is not a positive finite number or ``margin``
        is outside [0, 1].

    Notes
    -----
    .. math::

        \mathrm{RLV}_i = m\,E[\text{spend}_i]\,\mathrm{DERT}_i(\delta),\qquad
        \mathrm{DERT}_i(\delta) = E\Big[\int_{T_i}^\infty e^{-\delta(t - T_i)}\,dX_i(t)
        \,\Big|\, x_i, t_{x,i}, T_i\Big];

    the model's formula for DERT is in
    :meth:`~relmark.ParetoNBD.discounted_expected_residual_transactions`.
    Unlike :func:`customer_lifetime_value`, discounting is continuous and the
    horizon infinite, as in the reference.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Examples
    --------
    >>> import math
    >>> import relmark
    >>> purchases = relmark.ParetoNBD(r=0.5533, alpha=10.5776, s=0.6061, beta=11.6650)
    >>> spend = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> s = relmark.CustomerSummary.from_arrays(
    ...     [0, 2], [0.0, 30.43], [38.86, 38.86], monetary_value=[0.0, 35.0]
    ... )
    >>> from relmark.economics.clv import residual_lifetime_value
    >>> residual_lifetime_value(
    ...     purchases, spend, s, discount_rate=math.log(1.15) / 52, margin=0.3
    ... ).round(2).tolist()
    [5.05, 68.34]
    """
    as_model(
        "purchase_model",
        purchase_model,
        ResidualTransactionModel,
        uses=["discounted_expected_residual_transactions"],
    )
    if spend_model is not None:
        as_model("spend_model", spend_model, SpendModel)
    as_instance("summary", summary, CustomerSummary)
    rate = as_scalar("discount_rate", discount_rate, low=0.0, low_open=True)
    keep = as_scalar("margin", margin, low=0.0, high=1.0)
    spend = 1.0 if spend_model is None else spend_model.expected_spend(summary)  # fails first
    value: FloatArray = (
        keep * spend * purchase_model.discounted_expected_residual_transactions(summary, rate)
    )
    return value


@attrs.frozen
class ClvOptions:
    """The checked options of a model-based CLV (see :func:`clv_options`)."""

    horizon: float
    discount_rate: float
    margin: float
    step: float
    steps: int


def clv_options(*, horizon: float, discount_rate: float, margin: float, step: float) -> ClvOptions:
    """Check the options of :func:`customer_lifetime_value`; the one place their rules live.

    :func:`relmark.score` checks them here too, before it fits any model.
    """
    length = as_scalar("horizon", horizon, low=0.0, low_open=True)
    rate = as_scalar("discount_rate", discount_rate, low=0.0)
    keep = as_scalar("margin", margin, low=0.0, high=1.0)
    period = as_scalar("step", step, low=0.0, low_open=True)
    check_size(
        "`horizon` / `step`",
        length / period,
        MAX_STEPS,
        unit="steps",
        why="each step is one pass of the model over all customers; use a longer `step`",
    )
    steps = math.ceil(length / period - 1e-12)
    return ClvOptions(horizon=length, discount_rate=rate, margin=keep, step=period, steps=steps)


def discounted_margin(
    transaction_model: PurchaseModel,
    spend_model: SpendModel | None,
    summary: CustomerSummary,
    options: ClvOptions,
) -> FloatArray:
    """Sum the discounted margin per period: the kernel of :func:`customer_lifetime_value`."""
    spend = 1.0 if spend_model is None else spend_model.expected_spend(summary)  # fails first
    _, discounted = discounted_purchases(transaction_model, summary, options)
    clv: FloatArray = options.margin * spend * discounted
    return clv


def discounted_purchases(
    transaction_model: PurchaseModel, summary: CustomerSummary, options: ClvOptions
) -> tuple[FloatArray, FloatArray]:
    r"""Return the expected purchases over the horizon and their discounted sum per period.

    The second is :math:`\sum_k (E[X(t_k)] - E[X(t_{k-1})]) (1 + d)^{-k}` of
    :func:`customer_lifetime_value`; the first its last term's
    :math:`E[X(t_K)]`, the horizon's expectation, which the bootstrap needs
    too.  Undiscounted, the sum telescopes to that expectation: one pass of
    the model instead of one per period.
    """
    length, rate = options.horizon, options.discount_rate
    if rate == 0.0:
        expected = transaction_model.expected_purchases(summary, length)
        return expected, expected
    k = np.arange(1, options.steps + 1)
    ends = np.minimum(k * options.step, length)
    discount = np.exp(-k * math.log1p(rate))  # (1 + d)^-k, no overflow for long horizons
    # sum_k d_k (E_k - E_(k-1)) = sum_k (d_k - d_(k+1)) E_k: weights on each period's end
    weights = np.zeros((2, ends.size))
    weights[0, -1] = 1.0  # the horizon's expectation
    weights[1] = discount - np.append(discount[1:], 0.0)
    expected, discounted = _expected_sums(transaction_model, summary, ends, weights)
    return expected, discounted


def _expected_sums(
    model: PurchaseModel, summary: CustomerSummary, ends: FloatArray, weights: FloatArray
) -> FloatArray:
    """Return ``weights @ E[X(ends)]`` per customer, shape ``(weights.shape[0], n)``.

    relmark's own models share the work across horizons (``_expected_sums``);
    any other model keeping the protocol is asked once per horizon.
    """
    if isinstance(model, PurchaseModelBase):
        horizons, _ = model._times("horizon", ends)  # whole periods for a discrete model
        return model._at(summary)._expected_sums(*model._columns(summary), horizons, weights)
    sums = np.zeros((weights.shape[0], len(summary)))
    for k, end in enumerate(ends.tolist()):  # a loop over periods, not customers
        sums += weights[:, k : k + 1] * model.expected_purchases(summary, end)
    return sums


def subscriber_lifetime_value(
    model: ContractModel,
    *,
    margin: ArrayLike,
    discount_rate: float,
    renewals: ArrayLike | None = None,
) -> float | FloatArray:
    r"""Return the discounted expected value of a subscriber under a contractual model.

    Parameters
    ----------
    model : ContractModel
        Retention model (ShiftedBetaGeo), periods as its unit; any object
        with ``expected_residual_lifetime(periods_survived, discount_rate)``.
    margin : float or array_like
        Margin per period paid (>= 0), paid at the start of each period.
    discount_rate : float
        Discount rate per period (>= 0; with sBG and ``alpha <= 1`` it must
        be > 0 for a finite value).
    renewals : int or array_like, optional
        None: a new subscriber at acquisition, first payment included (DEL).
        Otherwise the renewals made so far (whole numbers >= 0): the customer's residual value
        just before the next renewal decision (DERL).

    Returns
    -------
    float or ndarray

    Raises
    ------
    TypeError
        If ``model`` has no ``expected_residual_lifetime``.
    ValidationError
        For negative margins or rates, ``renewals`` not whole numbers >= 0,
        ``margin`` and ``renewals`` that do not broadcast together.

    Notes
    -----
    .. math::

        \mathrm{DEL}(d) = 1 + \frac{\mathrm{DERL}(d \mid 0)}{1 + d},\qquad
        \mathrm{CLV} = m \cdot \mathrm{DEL}(d)\ \text{or}\ m \cdot \mathrm{DERL}(d \mid n).

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: the perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93 (eqs. 5-6).

    Examples
    --------
    >>> import relmark
    >>> sbg = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)
    >>> round(relmark.subscriber_lifetime_value(sbg, margin=100.0, discount_rate=0.1), 2)
    592.26
    >>> relmark.subscriber_lifetime_value(
    ...     sbg, margin=100.0, discount_rate=0.1, renewals=[0, 4]
    ... ).round(1).tolist()
    [541.5, 689.7]
    """
    as_model("model", model, ContractModel, uses=["expected_residual_lifetime"])
    paid = as_broadcastable("margin", margin, low=0.0)
    rate = as_scalar("discount_rate", discount_rate, low=0.0)
    if renewals is None:
        lifetime = 1.0 + np.asarray(model.expected_residual_lifetime(0, rate)) / (1.0 + rate)
    else:
        done = as_broadcastable("renewals", renewals, low=0.0)
        check_whole("renewals", done, noun="values")
        check_broadcast({"margin": paid, "renewals": done})
        lifetime = np.asarray(model.expected_residual_lifetime(done, rate))
    # no margin is worth nothing, even over an infinite expected lifetime (not 0 * inf = NaN)
    with np.errstate(invalid="ignore"):
        value = np.where(paid == 0.0, 0.0, paid * lifetime)
    return float_or_array(value)


def clv_closed_form(
    margin: ArrayLike,
    retention: ArrayLike,
    discount_rate: ArrayLike,
    *,
    periods: float | None = None,
    timing: Literal["end", "start"] = "end",
) -> float | FloatArray:
    r"""Return the textbook CLV with constant margin and retention per period.

    Parameters
    ----------
    margin : float or array_like
        Margin per period while a customer (>= 0).
    retention : float or array_like
        Probability of staying each period, in [0, 1).
    discount_rate : float or array_like
        Discount rate per period (>= 0).
    periods : int or float, optional
        Finite horizon: a whole number of periods (>= 0; ``3`` or ``3.0``);
        default infinite.
    timing : {"end", "start"}
        ``"end"``: a customer just acquired pays at the end of each period
        they survive into, :math:`m r / (1 + d - r)`; ``"start"``: they also
        pay now, at the start of each period, :math:`m (1 + d) / (1 + d - r)`.

    Returns
    -------
    float or ndarray
        Broadcast over the inputs.

    Raises
    ------
    TypeError
        For non-numbers, booleans as ``periods``, a non-string ``timing``.
    ValidationError
        For values out of range, arrays that do not broadcast together
        (naming them), ``periods`` not a whole number >= 0.

    Notes
    -----
    With :math:`q = r / (1 + d)`: end of period
    :math:`m \sum_{t=1}^{N} q^t = m\,q\,(1 - q^N)/(1 - q)`; start of period
    :math:`m \sum_{t=0}^{N-1} q^t = m\,(1 - q^N)/(1 - q)`; :math:`N \to \infty`
    gives the formulas above.

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of
    Interactive Marketing*, 17(1), 9-24.

    Examples
    --------
    >>> from relmark import clv_closed_form
    >>> round(clv_closed_form(100.0, 0.8, 0.1), 2)       # 100 * 0.8 / 0.3
    266.67
    >>> round(clv_closed_form(100.0, 0.8, 0.1, timing="start"), 2)
    366.67
    >>> clv_closed_form(100.0, [0.5, 0.9], 0.1, periods=3).round(2).tolist()
    [75.51, 203.53]
    """
    m = as_broadcastable("margin", margin, low=0.0)
    r = as_broadcastable("retention", retention, low=0.0, high=1.0, high_open=True)
    d = as_broadcastable("discount_rate", discount_rate, low=0.0)
    check_broadcast({"margin": m, "retention": r, "discount_rate": d})
    when = as_choice("timing", timing, ("end", "start"))
    count = None if periods is None else as_periods("periods", periods)
    return float_or_array(closed_form(m, r, d, count, when))


def closed_form(
    m: ArrayLike, r: ArrayLike, d: ArrayLike, count: int | None, timing: str = "end"
) -> FloatArray:
    """Return the closed-form CLV on checked, broadcastable inputs (:func:`clv_closed_form`)."""
    q = np.asarray(r, dtype=np.float64) / (1.0 + np.asarray(d, dtype=np.float64))
    tail = np.ones_like(q) if count is None else 1.0 - q ** float(count)
    first = q if timing == "end" else np.ones_like(q)
    value: FloatArray = np.asarray(m, dtype=np.float64) * first * tail / (1.0 - q)
    return value


def customer_equity(
    values_per_customer: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    new_customers_per_period: float = 0.0,
    new_customer_value: float = 0.0,
    acquisition_cost: float = 0.0,
    periods: int = 0,
    discount_rate: float = 0.0,
) -> float:
    r"""Return the value of a customer base, optionally with future cohorts.

    Parameters
    ----------
    values_per_customer : array_like
        CLV of each current customer.
    weights : array_like, optional
        Customers each value stands for (a compressed summary's weights).
    new_customers_per_period : float, default 0
        Customers acquired at the end of each future period (>= 0).
    new_customer_value : float, default 0
        CLV of a newly acquired customer, at acquisition.
    acquisition_cost : float, default 0
        Cost of acquiring one (>= 0).
    periods : int or float, default 0
        Future cohorts counted: a whole number (>= 0; ``3`` or ``3.0``), as in
        :func:`clv_closed_form`.  Any number costs the same (a closed-form sum).
    discount_rate : float, default 0
        Discount rate per period (>= 0).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        For non-numbers, booleans as ``periods``.
    ValidationError
        For negative weights, counts or costs, ``weights`` of another length
        than ``values_per_customer``, ``periods`` not a whole number >= 0.

    Notes
    -----
    .. math::

        CE = \sum_i w_i\,\mathrm{CLV}_i + \sum_{k=1}^{K}
        \frac{n\,(\mathrm{CLV}_{new} - \mathrm{CAC})}{(1 + d)^k}

    References
    ----------
    Gupta, S., Lehmann, D. R. & Stuart, J. A. (2004). Valuing customers.
    *Journal of Marketing Research*, 41(1), 7-18.

    Examples
    --------
    >>> from relmark import customer_equity
    >>> customer_equity([100.0, 50.0])
    150.0
    >>> round(customer_equity([100.0], new_customers_per_period=10, new_customer_value=80,
    ...                       acquisition_cost=30, periods=2, discount_rate=0.1), 2)
    967.77
    """
    current = as_float_array(
        "values_per_customer", values_per_customer, any_shape=True, noun="customers"
    ).reshape(-1)
    counts = (
        np.ones_like(current)
        if weights is None
        else as_float_array("weights", weights, low=0.0, any_shape=True, noun="customers").reshape(
            -1
        )
    )
    check_same_length({"values_per_customer": current, "weights": counts})
    arrivals = as_scalar("new_customers_per_period", new_customers_per_period, low=0.0)
    worth = as_scalar("new_customer_value", new_customer_value)
    cost = as_scalar("acquisition_cost", acquisition_cost, low=0.0)
    count = as_periods("periods", periods)
    rate = as_scalar("discount_rate", discount_rate, low=0.0)
    # sum over k = 1..K of (1 + d)^-k in closed form: constant work for any K
    annuity = float(count) if rate == 0 else -math.expm1(-count * math.log1p(rate)) / rate
    return float(counts @ current + arrivals * (worth - cost) * annuity)
