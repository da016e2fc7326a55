r"""Compare fitted models of the same customers, and choose the one to score with.

:func:`compare` puts fitted models side by side: each one's maximised
log-likelihood, number of parameters, AIC and BIC, a likelihood-ratio test
for every pair that is nested, and, given the calibration/holdout split the
models were fitted on, how well each forecasts the holdout: per customer
(MAE and RMSE of the holdout purchases), in aggregate (total error, tracking
error of the cumulative repeat purchases) and the calibration of each
customer's probability of buying in the holdout.  :func:`choose_model` fits
candidate classes, compares them and returns the chosen fitted model with a
one-sentence reason; the command line and the demo call it.

The tracking curve (cumulative repeat purchases of the calibration cohort,
actual and expected) is computed here, once, by :func:`tracking_curves`;
:mod:`relmark.plotting` draws it.

Nested models are declared, not guessed: :data:`NESTED_MODELS` lists the
pairs relmark knows (the NBD is the no-dropout limit of BG/NBD, MBG/NBD and
Pareto/NBD, on the boundary of their parameter spaces), and ``nested=``
declares others (covariate models inside their base model, say).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy import stats

from relmark._validation import (
    FloatArray,
    as_choice,
    as_flag,
    as_instance,
    as_model,
    as_scalar,
    readonly,
)
from relmark.data.summary import CustomerSummary
from relmark.data.timeaxis import TIME_UNITS, as_instant, as_time_unit
from relmark.data.transactions import CalibrationHoldout, TransactionLog
from relmark.exceptions import ConvergenceError, ValidationError
from relmark.models._base import Model, PurchaseModelBase, SummaryModel
from relmark.models._limits import no_dropout_limit
from relmark.models.beta_geo import BetaGeo
from relmark.models.contracts import PurchaseModel
from relmark.models.modified_beta_geo import ModifiedBetaGeo
from relmark.models.nbd import NBD
from relmark.models.pareto_nbd import ParetoNBD

if TYPE_CHECKING:  # pandas is optional: imported only to type to_pandas()
    import pandas as pd

__all__ = [
    "NESTED_MODELS",
    "ActivityCalibration",
    "ComparedModel",
    "Criterion",
    "HoldoutAccuracy",
    "LikelihoodRatioTest",
    "ModelChoice",
    "ModelComparison",
    "TrackingCurves",
    "choose_model",
    "compare",
    "holdout_split",
    "probability_active",
    "tracking_curves",
]

#: What :meth:`ModelComparison.best` ranks by (lower is better for each).
Criterion = Literal[
    "bic", "aic", "holdout_rmse", "holdout_mae", "tracking_error", "calibration_error"
]

#: The pairs (smaller, bigger) relmark knows to be nested, by exact class, and whether the
#: smaller model is a boundary limit of the bigger one.  The NBD is BG/NBD and MBG/NBD with
#: no dropout (the dropout probability ``p ~ Beta(a, b)`` at 0: ``a`` to 0 or ``b`` to
#: infinity, and the likelihood tends to the NBD's) and Pareto/NBD with no dropout (the
#: dropout rate ``mu ~ Gamma(s, beta)`` at 0: ``s`` to 0 or ``beta`` to infinity); the
#: likelihoods share their constants, so they compare directly.  Gamma-Gamma has no such
#: partner here: its limit of a spend common to all customers (``q`` to infinity) is a gamma
#: distribution of single spends, and :class:`~relmark.models.CommonMeanSpend` is the pooled
#: mean, with no likelihood to test.
NESTED_MODELS: Mapping[tuple[type[Model], type[Model]], bool] = {
    (NBD, BetaGeo): True,
    (NBD, ModifiedBetaGeo): True,
    (NBD, ParetoNBD): True,
}

_DECILES = 10
_SAME_DATA = 1e-9  # relative difference of customer counts that still counts as equal
_LL_TOLERANCE = 1e-6  # relative difference between a fit's log-likelihood and its recheck
_TIE = 1e-9  # relative difference of a criterion below which two models tie

_LABELS: Mapping[str, str] = {
    "bic": "BIC",
    "aic": "AIC",
    "holdout_rmse": "holdout RMSE",
    "holdout_mae": "holdout MAE",
    "tracking_error": "tracking error",
    "calibration_error": "P(active) calibration error",
}


# -- the tracking curve: the one computation plotting and comparison share -----------------


def _readonly_floats(value: Any) -> FloatArray:
    return readonly(np.array(value, dtype=np.float64, copy=True).reshape(-1))


@attrs.frozen(kw_only=True, eq=False)
class TrackingCurves:
    r"""Cumulative repeat purchases of a calibration cohort, step by step.

    What :func:`tracking_curves` returns.

    Times count in ``unit`` from the first purchase of the cohort's earliest
    customer; the cohort is every customer who bought by the end of
    calibration.

    Attributes
    ----------
    steps : ndarray, shape (k,)
        The step ends, ``1, 2, ..., floor(span)``.
    actual : ndarray, shape (k,)
        The cohort's repeat purchases by each step end, counted as summaries
        count them (purchase periods after each customer's first).
    calibration_end : float
        The end of calibration on the same axis.
    first_purchase : ndarray, shape (g,)
        The distinct first-purchase times of the cohort.
    customers : ndarray, shape (g,)
        Customers per first-purchase time.
    unit : str
        The time unit of the axis (the models' unit).

    Examples
    --------
    >>> from relmark.comparison import tracking_curves
    >>> from relmark.datasets import load_cdnow_sample
    >>> curves = tracking_curves(load_cdnow_sample(), calibration_end="1997-09-30")
    >>> len(curves.steps), round(curves.calibration_end, 2), int(curves.actual[-1])
    (77, 38.86, 4315)
    """

    steps: FloatArray = attrs.field(converter=_readonly_floats)
    actual: FloatArray = attrs.field(converter=_readonly_floats)
    calibration_end: float
    first_purchase: FloatArray = attrs.field(converter=_readonly_floats)
    customers: FloatArray = attrs.field(converter=_readonly_floats)
    unit: str

    @property
    def holdout(self) -> NDArray[np.bool_]:
        """Which steps end after the end of calibration."""
        after: NDArray[np.bool_] = self.steps > self.calibration_end
        return after

    def expected(self, model: PurchaseModel) -> FloatArray:
        r"""Return the model's cumulative repeat purchases of the cohort at each step.

        Parameters
        ----------
        model : PurchaseModel
            A model in ``unit`` (fitted on the calibration summary).

        Returns
        -------
        ndarray, shape (k,)

        Notes
        -----
        :math:`\sum_g n_g\, E[X(\max(\tau - s_g, 0))]` over the groups of
        :math:`n_g` customers who first bought at :math:`s_g`, with
        :math:`E[X(t)]` the model's expected repeat purchases of a new
        customer by ``t``.

        Examples
        --------
        >>> import relmark
        >>> from relmark.comparison import tracking_curves
        >>> from relmark.datasets import load_cdnow_sample
        >>> curves = tracking_curves(load_cdnow_sample(), calibration_end="1997-09-30")
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(float(curves.expected(model)[-1]))
        4136
        """
        as_model("model", model, PurchaseModel, uses=["expected_purchases_new_customer"])
        ages = np.maximum(self.steps[None, :] - self.first_purchase[:, None], 0.0)
        expected = np.asarray(model.expected_purchases_new_customer(ages), dtype=np.float64)
        curve: FloatArray = self.customers @ expected
        return curve

    def holdout_error(self, model: PurchaseModel) -> float:
        r"""Return the mean absolute percentage error of the model's curve over the holdout steps.

        Parameters
        ----------
        model : PurchaseModel
            A model in ``unit``.

        Returns
        -------
        float
            :math:`\frac{1}{|H|}\sum_{k \in H} |E_k - A_k| / A_k` over the
            steps :math:`H` that end after calibration and have
            :math:`A_k > 0` (cumulative counts since the cohort's first
            purchase, as the tracking plot shows them), as a fraction.

        Raises
        ------
        ValidationError
            If no step ends after calibration with a repeat purchase.

        Examples
        --------
        >>> import relmark
        >>> from relmark.comparison import tracking_curves
        >>> from relmark.datasets import load_cdnow_sample
        >>> curves = tracking_curves(load_cdnow_sample(), calibration_end="1997-09-30")
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(curves.holdout_error(model), 3)
        0.025
        """
        scored = self._scored_steps()
        expected = self.expected(model)[scored]
        actual = self.actual[scored]
        return float(np.mean(np.abs(expected - actual) / actual))

    def _scored_steps(self) -> NDArray[np.bool_]:
        """Return the holdout steps with a repeat purchase by their end; raise if none."""
        scored: NDArray[np.bool_] = self.holdout & (self.actual > 0)
        if not scored.any():
            raise ValidationError(
                f"`tracking` has no step after the end of calibration ({self.calibration_end:g} "
                f"{self.unit}) with a repeat purchase by its end: there is no tracking error "
                "to measure (observe longer, or use a finer `unit`)",
                argument="tracking",
            )
        return scored


def _instant_before(log: TransactionLog, end: Any, ago: float, unit: str) -> np.datetime64 | float:
    """Return the log instant ``ago`` units (``unit``) before ``end``."""
    if log.is_calendar:
        micros = round(ago * TIME_UNITS[unit] * 1e6)
        instant: np.datetime64 = np.datetime64(end, "us") - np.timedelta64(micros, "us")
        return instant
    scale = TIME_UNITS[unit] / TIME_UNITS[log.unit] if log.unit is not None else 1.0
    return float(end) - ago * scale


def tracking_curves(
    log: TransactionLog,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    unit: str = "W",
) -> TrackingCurves:
    """Count the calibration cohort's cumulative repeat purchases at each step of ``unit``.

    The actual curve sums the frequencies of summaries ending at each step,
    so same-day purchases merge exactly as in the models' data; the models'
    curves come from :meth:`TrackingCurves.expected`.

    Parameters
    ----------
    log : TransactionLog
        The purchases, calibration and holdout.
    calibration_end : datetime-like or float
        End of calibration: the cohort is every customer who bought by then.
    observation_end : datetime-like or float, optional
        End of the curve; default the last purchase.
    unit : str, default "W"
        The models' time unit, and the step of the curve.

    Returns
    -------
    TrackingCurves

    Raises
    ------
    ValidationError
        For an unknown unit or an end that cannot be read.

    Examples
    --------
    >>> from relmark.comparison import tracking_curves
    >>> from relmark.datasets import load_cdnow_sample
    >>> curves = tracking_curves(load_cdnow_sample(), calibration_end="1997-09-30")
    >>> curves.steps[:3].tolist(), curves.actual[:3].tolist()
    ([1.0, 2.0, 3.0], [3.0, 22.0, 52.0])
    """
    as_time_unit(unit)
    as_instance("log", log, TransactionLog)
    cal_end = as_instant(calibration_end, name="calibration_end", calendar=log.is_calendar)
    calibration = log.summarize(cal_end, unit=unit)
    cohort_ids = np.asarray(calibration.customer_id)
    final = log.summarize(observation_end, unit=unit)
    cohort = np.isin(np.asarray(final.customer_id), cohort_ids)
    span = float(final.T[cohort].max())
    end = (
        log.timestamp.max()
        if observation_end is None
        else as_instant(observation_end, name="observation_end", calendar=log.is_calendar)
    )
    steps = np.arange(1.0, np.floor(span) + 1.0)

    def cohort_repeats(step: float) -> float:
        summary = log.summarize(_instant_before(log, end, span - step, unit), unit=unit)
        return float(summary.frequency[np.isin(np.asarray(summary.customer_id), cohort_ids)].sum())

    # one summary per step (tens to hundreds of steps), never a loop over customers
    actual = np.array([cohort_repeats(step) for step in steps], dtype=np.float64)
    first, size = np.unique(span - final.T[cohort], return_counts=True)
    return TrackingCurves(
        steps=steps,
        actual=actual,
        calibration_end=float(calibration.T.max()),
        first_purchase=first,
        customers=size.astype(np.float64),
        unit=unit,
    )


def holdout_split(
    log: TransactionLog,
    holdout: float,
    *,
    observation_end: Any = None,
    unit: str = "W",
) -> CalibrationHoldout:
    """Split a log so that its last ``holdout`` (in ``unit``) is the holdout period.

    Parameters
    ----------
    log : TransactionLog
        The purchases.
    holdout : float
        Length of the holdout period in ``unit`` (> 0).
    observation_end : datetime-like or float, optional
        End of the holdout; default the last purchase.
    unit : str, default "W"
        Time unit of the summary and of ``holdout``.

    Returns
    -------
    CalibrationHoldout
        :meth:`TransactionLog.split` at ``observation_end - holdout`` and
        ``observation_end``.

    Raises
    ------
    ValidationError
        For a ``holdout`` that is not > 0, or that reaches before every purchase.

    Examples
    --------
    >>> from relmark.comparison import holdout_split
    >>> from relmark.datasets import load_cdnow_sample
    >>> split = holdout_split(load_cdnow_sample(), 39.0, observation_end="1998-06-30")
    >>> len(split.calibration), split.holdout_length
    (2357, 39.0)
    """
    as_instance("log", log, TransactionLog)
    length = as_scalar("holdout", holdout, low=0.0, low_open=True)
    as_time_unit(unit)
    end = (
        log.timestamp.max()
        if observation_end is None
        else as_instant(observation_end, name="observation_end", calendar=log.is_calendar)
    )
    start = _instant_before(log, end, length, unit)
    if len(log) == 0 or start < log.timestamp.min():
        raise ValidationError(
            f"`holdout` ({length:g} {unit}) reaches back before the first purchase: "
            "nothing would be left to calibrate on",
            argument="holdout",
        )
    return log.split(start, end, unit=unit)


# -- per-customer holdout accuracy --------------------------------------------------------


def probability_active(model: PurchaseModelBase, summary: CustomerSummary, t: float) -> FloatArray:
    r"""Return each customer's probability of at least one purchase in the next ``t``.

    This is what a holdout can check customer by customer: whether they bought
    again.  :math:`P(\text{alive})` is not it (an alive customer may not buy
    within ``t``).

    Parameters
    ----------
    model : BetaGeo, ParetoNBD, ...
        A purchase model with a per-customer likelihood.
    summary : CustomerSummary
        The customers.
    t : float
        Horizon, in the summary's unit (>= 0; whole opportunities for a
        discrete model).

    Returns
    -------
    ndarray, shape (n,)
        In [0, 1].

    Notes
    -----
    The likelihood of a history (``x`` purchases at known times, the last at
    :math:`t_x`, none after until :math:`T`) observed for longer, to
    :math:`T+t`, with no purchase in between is the likelihood of
    :math:`(x, t_x, T+t)`, so for every model

    .. math::

        P(X(T, T+t) > 0 \mid x, t_x, T) = 1 - \frac{L(x, t_x, T+t)}{L(x, t_x, T)},

    computed as ``-expm1`` of the difference of the log-likelihoods.  For
    BG/NBD it equals the closed form
    :math:`P(\text{alive})\,[1 - ((\alpha+T)/(\alpha+T+t))^{r+x}]`.

    Examples
    --------
    >>> import relmark
    >>> from relmark.comparison import probability_active
    >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> s = relmark.CustomerSummary.from_arrays([0, 2], [0.0, 30.43], [38.86, 38.86])
    >>> probability_active(model, s, 39.0).round(3).tolist()
    [0.145, 0.555]
    """
    as_instance("model", model, PurchaseModelBase)
    as_instance("summary", summary, CustomerSummary)
    horizon = as_scalar("t", t, low=0.0)
    extended = attrs.evolve(summary, T=summary.T + horizon)
    log_ratio = model.customer_log_likelihood(extended) - model.customer_log_likelihood(summary)
    active: FloatArray = np.clip(-np.expm1(np.minimum(log_ratio, 0.0)), 0.0, 1.0)
    return active


@attrs.frozen(kw_only=True, eq=False)
class ActivityCalibration:
    r"""Calibration of the predicted probability of buying in the holdout, by decile.

    Customers are sorted by predicted :math:`P(X(T, T+t) > 0)`
    (:func:`probability_active`) and cut into ten groups of equal weight.

    Attributes
    ----------
    predicted : ndarray, shape (g,)
        Mean predicted probability per group (g <= 10: empty groups are dropped).
    observed : ndarray, shape (g,)
        Share of the group with a holdout purchase.
    customers : ndarray, shape (g,)
        Customers (weights) per group.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.comparison import ActivityCalibration
    >>> c = ActivityCalibration(predicted=np.array([0.1, 0.5]), observed=np.array([0.2, 0.5]),
    ...                         customers=np.array([10.0, 30.0]))
    >>> round(c.error, 3)
    0.025
    """

    predicted: FloatArray = attrs.field(converter=_readonly_floats)
    observed: FloatArray = attrs.field(converter=_readonly_floats)
    customers: FloatArray = attrs.field(converter=_readonly_floats)

    @property
    def error(self) -> float:
        r"""The weighted mean absolute gap, :math:`\sum_g n_g |p_g - o_g| / \sum_g n_g`."""
        gap = np.abs(self.predicted - self.observed)
        return float(self.customers @ gap / self.customers.sum())


def _activity_calibration(
    predicted: FloatArray, bought: FloatArray, weights: FloatArray
) -> ActivityCalibration:
    """Cut customers into deciles of equal weight by ``predicted``; compare with ``bought``."""
    order = np.argsort(predicted, kind="stable")
    w = weights[order]
    middle = (np.cumsum(w) - w / 2.0) / w.sum()  # each customer's place, in (0, 1)
    group = np.minimum((middle * _DECILES).astype(np.int64), _DECILES - 1)
    size = np.bincount(group, weights=w, minlength=_DECILES)
    kept = size > 0
    predicted_sum = np.bincount(group, weights=w * predicted[order], minlength=_DECILES)
    bought_sum = np.bincount(group, weights=w * bought[order], minlength=_DECILES)
    return ActivityCalibration(
        predicted=predicted_sum[kept] / size[kept],
        observed=bought_sum[kept] / size[kept],
        customers=size[kept],
    )


@attrs.frozen(kw_only=True, eq=False)
class HoldoutAccuracy:
    r"""How well one model, fitted on calibration, forecasts the holdout.

    Attributes
    ----------
    mae, rmse : float
        Mean absolute and root-mean-square error of each customer's holdout
        purchases: expected :math:`E[X(T, T+t) \mid x, t_x, T]` against
        actual, weighted by the customers' weights.
    expected_total, actual_total : float
        Holdout purchases summed over customers, expected and actual.
    tracking_error : float or None
        :meth:`TrackingCurves.holdout_error` when a tracking curve was given.
    calibration : ActivityCalibration
        Predicted probability of a holdout purchase against the share who
        made one, by decile.

    Examples
    --------
    >>> import relmark
    >>> from relmark.comparison import compare
    >>> from relmark.datasets import load_cdnow_sample
    >>> split = load_cdnow_sample().split("1997-09-30", "1998-06-30", unit="W")
    >>> accuracy = compare([relmark.BetaGeo.fit(split.calibration)], split)["BetaGeo"].holdout
    >>> round(accuracy.rmse, 3), round(accuracy.relative_total_error, 3)
    (1.608, -0.121)
    """

    mae: float
    rmse: float
    expected_total: float
    actual_total: float
    tracking_error: float | None
    calibration: ActivityCalibration

    @property
    def total_error(self) -> float:
        """Expected minus actual holdout purchases, summed over customers."""
        return self.expected_total - self.actual_total

    @property
    def relative_total_error(self) -> float:
        """The total error as a fraction of the actual total."""
        return self.total_error / self.actual_total

    @property
    def calibration_error(self) -> float:
        """The calibration's single figure, :attr:`ActivityCalibration.error`."""
        return self.calibration.error


def _holdout_accuracy(
    model: PurchaseModelBase, split: CalibrationHoldout, tracking: TrackingCurves | None
) -> HoldoutAccuracy:
    """Score one model's forecast of the holdout (vectorised over customers)."""
    calibration = split.calibration
    weights = calibration.weights
    expected = model.expected_purchases(calibration, split.holdout_length)
    error = expected - split.holdout_purchases
    total = weights.sum()
    active = probability_active(model, calibration, split.holdout_length)
    bought = (split.holdout_purchases > 0).astype(np.float64)
    return HoldoutAccuracy(
        mae=float(weights @ np.abs(error) / total),
        rmse=math.sqrt(float(weights @ error**2 / total)),
        expected_total=float(weights @ expected),
        actual_total=float(weights @ split.holdout_purchases),
        tracking_error=None if tracking is None else tracking.holdout_error(model),
        calibration=_activity_calibration(active, bought, weights),
    )


# -- information criteria and likelihood-ratio tests ----------------------------------------


@attrs.frozen(kw_only=True)
class LikelihoodRatioTest:
    r"""A likelihood-ratio test of a model against a bigger one it is nested in.

    Attributes
    ----------
    small, big : str
        The names of the nested and the bigger model.
    statistic : float
        :math:`2(\ell_{big} - \ell_{small})`, >= 0.
    df : int
        Difference of the parameter counts.
    boundary : bool
        Whether the small model is a boundary limit of the big one (see Notes).
    p_value : float
        Probability of a statistic at least this large if the small model is true.

    Notes
    -----
    Away from a boundary the statistic is :math:`\chi^2_{df}` under the
    small model (Wilks).  The NBD sits on the boundary of BG/NBD, MBG/NBD
    and Pareto/NBD (mean dropout at zero), where the bigger model's other
    dropout parameter drops out of the likelihood; relmark then uses the
    chi-bar-square distribution :math:`\tfrac12\chi^2_0 + \tfrac12\chi^2_1`
    of one parameter on its boundary (Self & Liang 1987):
    :math:`p = \tfrac12 P(\chi^2_1 > \text{statistic})` and 1 at 0.  The
    parameter that drops out makes the exact null distribution that of a
    supremum over it (Davies 1977), a little heavier in the tail: the test
    rejects a true NBD somewhat more often than the nominal level.  Read a
    p-value near the chosen level with care.

    References
    ----------
    Self, S. G. & Liang, K.-Y. (1987). Asymptotic properties of maximum
    likelihood estimators and likelihood ratio tests under nonstandard
    conditions. *Journal of the American Statistical Association*, 82(398),
    605-610.

    Davies, R. B. (1977). Hypothesis testing when a nuisance parameter is
    present only under the alternative. *Biometrika*, 64(2), 247-254.

    Examples
    --------
    >>> from relmark.comparison import LikelihoodRatioTest
    >>> test = LikelihoodRatioTest(small="NBD", big="BetaGeo", statistic=3.84, df=2,
    ...                            boundary=True, p_value=0.025)
    >>> test.distribution
    '0.5 chi2(0) + 0.5 chi2(1)'
    """

    small: str
    big: str
    statistic: float
    df: int
    boundary: bool
    p_value: float

    @property
    def distribution(self) -> str:
        """The null distribution the p-value comes from."""
        return "0.5 chi2(0) + 0.5 chi2(1)" if self.boundary else f"chi2({self.df})"

    def __str__(self) -> str:
        where = "boundary: " if self.boundary else ""
        return (
            f"{self.small} in {self.big}: LR {self.statistic:,.2f}, df {self.df}, "
            f"p {_p_text(self.p_value)} ({where}{self.distribution})"
        )


def _p_text(p: float) -> str:
    return "< 1e-16" if p < 1e-16 else f"{p:.3g}"


def _likelihood_ratio(
    small: ComparedModel, big: ComparedModel, *, boundary: bool
) -> LikelihoodRatioTest:
    """Test ``small`` against ``big``; a clearly negative statistic is refused."""
    df = big.n_parameters - small.n_parameters
    if df < 1:
        raise ValidationError(
            f"`nested`: {small.name} ({small.n_parameters} parameters) cannot be nested in "
            f"{big.name} ({big.n_parameters}): the bigger model needs more parameters",
            argument="nested",
        )
    statistic = 2.0 * (big.log_likelihood - small.log_likelihood)
    slack = _LL_TOLERANCE * max(1.0, abs(big.log_likelihood))
    if statistic < -slack:
        raise ValidationError(
            f"`nested`: {small.name} (log-likelihood {small.log_likelihood:,.4f}) fits better "
            f"than {big.name} ({big.log_likelihood:,.4f}), which contains it: {big.name}'s fit "
            "is not at its global maximum (refit it from other `start` values), or the pair "
            "is not nested",
            argument="nested",
        )
    statistic = max(statistic, 0.0)
    if boundary:
        p_value = 0.5 * float(stats.chi2.sf(statistic, 1)) if statistic > 0.0 else 1.0
    else:
        p_value = float(stats.chi2.sf(statistic, df))
    return LikelihoodRatioTest(
        small=small.name,
        big=big.name,
        statistic=statistic,
        df=df,
        boundary=boundary,
        p_value=p_value,
    )


@attrs.frozen(kw_only=True, eq=False)
class ComparedModel:
    r"""One model's row of a :class:`ModelComparison`.

    Attributes
    ----------
    name : str
    model : SummaryModel
        The fitted model.
    n_parameters : int
        :math:`k`, its number of free parameters.
    log_likelihood : float
        :math:`\ell`, the maximised weighted log-likelihood.
    aic : float
        :math:`2k - 2\ell` (Akaike 1974).
    bic : float
        :math:`k \ln n - 2\ell`, with :math:`n` the customers fitted (the sum
        of the weights; Schwarz 1978).
    holdout : HoldoutAccuracy or None
        With a calibration/holdout split.

    Examples
    --------
    >>> import relmark
    >>> from relmark.comparison import compare
    >>> from relmark.datasets import cdnow_sample_summary
    >>> row = compare([relmark.BetaGeo.fit(cdnow_sample_summary())])["BetaGeo"]
    >>> row.n_parameters, round(row.aic, 2), round(row.bic, 2)
    (4, 19172.86, 19195.92)
    """

    name: str
    model: SummaryModel
    n_parameters: int
    log_likelihood: float
    aic: float
    bic: float
    holdout: HoldoutAccuracy | None = None

    def value(self, criterion: Criterion) -> float:
        """Return this row's value of ``criterion`` (lower is better)."""
        if criterion in ("bic", "aic"):
            return self.aic if criterion == "aic" else self.bic
        if self.holdout is None:
            raise ValidationError(
                f"`by` {criterion!r} needs a holdout: compare the models with the "
                "CalibrationHoldout they were fitted on",
                argument="by",
            )
        if criterion == "tracking_error":
            if self.holdout.tracking_error is None:
                raise ValidationError(
                    "`by` 'tracking_error' needs `tracking` (relmark.comparison.tracking_curves)",
                    argument="by",
                )
            return self.holdout.tracking_error
        values = {
            "holdout_rmse": self.holdout.rmse,
            "holdout_mae": self.holdout.mae,
            "calibration_error": self.holdout.calibration_error,
        }
        return values[criterion]


def _information(name: str, model: SummaryModel) -> ComparedModel:
    """Return a model's row of information criteria from its fit record."""
    info = model.fit_info
    assert info is not None  # checked by _fitted_models
    return ComparedModel(
        name=name,
        model=model,
        n_parameters=info.n_parameters,
        log_likelihood=float(info.log_likelihood),
        aic=info.aic,
        bic=info.bic,
    )


# -- the comparison -------------------------------------------------------------------------


@attrs.frozen(kw_only=True, eq=False)
class ModelComparison:
    """Fitted models of the same customers side by side: what :func:`compare` returns.

    Index it by name (``comparison["BetaGeo"]``) for one model's
    :class:`ComparedModel`; print it for a text table; in Jupyter it shows
    as HTML; ``to_pandas()`` and ``to_dict()`` give one row per model.

    Attributes
    ----------
    rows : tuple of ComparedModel
        One per model, in the order given.
    tests : tuple of LikelihoodRatioTest
        One per nested pair present (:data:`NESTED_MODELS` and ``nested=``).
    n_customers : float
        The customers every model was fitted to.
    holdout_length : float or None
        Length of the holdout, when there was one.
    unit : str or None
        The data's time unit, when known.

    Examples
    --------
    >>> import relmark
    >>> from relmark.comparison import compare
    >>> from relmark.datasets import load_cdnow_sample
    >>> split = load_cdnow_sample().split("1997-09-30", "1998-06-30", unit="W")
    >>> fitted = {cls.__name__: cls.fit(split.calibration)
    ...           for cls in (relmark.BetaGeo, relmark.ParetoNBD, relmark.NBD)}
    >>> comparison = compare(fitted, split)
    >>> comparison.best("bic"), comparison.best("holdout_rmse")
    ('BetaGeo', 'ParetoNBD')
    >>> print(comparison.tests[0])
    NBD in BetaGeo: LR 362.46, df 2, p < 1e-16 (boundary: 0.5 chi2(0) + 0.5 chi2(1))
    """

    rows: tuple[ComparedModel, ...]
    tests: tuple[LikelihoodRatioTest, ...]
    n_customers: float
    holdout_length: float | None = None
    unit: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The models' names, in order."""
        return tuple(row.name for row in self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ComparedModel]:
        return iter(self.rows)

    def __getitem__(self, name: str) -> ComparedModel:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no model named {name!r}; the models are {', '.join(self.names)}")

    def best(self, by: Criterion | None = None) -> str:
        """Return the name of the best model by ``by`` (lowest value).

        Parameters
        ----------
        by : str, optional
            One of ``"bic"``, ``"aic"``, ``"holdout_rmse"``, ``"holdout_mae"``,
            ``"tracking_error"``, ``"calibration_error"``.  Default
            ``"holdout_rmse"`` with a holdout, else ``"bic"``.

        Returns
        -------
        str

        Notes
        -----
        Ties (values within a relative 1e-9) go to the model with fewer
        parameters, then to the one listed first.

        Examples
        --------
        >>> import relmark
        >>> from relmark.comparison import compare
        >>> from relmark.datasets import cdnow_sample_summary
        >>> s = cdnow_sample_summary()
        >>> compare([relmark.BetaGeo.fit(s), relmark.NBD.fit(s)]).best()
        'BetaGeo'
        """
        return self._ranked(self._criterion(by))[0].name

    def _criterion(self, by: object) -> Criterion:
        if by is None:
            return "holdout_rmse" if self.holdout_length is not None else "bic"
        choice = as_choice("by", by, tuple(_LABELS))
        criterion: Criterion = choice  # type: ignore[assignment]  # one of _LABELS' keys
        return criterion

    def _ranked(self, criterion: Criterion) -> list[ComparedModel]:
        """Return the rows from best to worst; ties by fewer parameters, then order."""
        values = [row.value(criterion) for row in self.rows]
        lowest = min(values)
        tied = [abs(v - lowest) <= _TIE * max(1.0, abs(lowest)) for v in values]

        def rank(i: int) -> tuple[bool, float, int, int]:
            # the tied best first (fewer parameters, then order), then the rest by value
            return (not tied[i], 0.0 if tied[i] else values[i], self.rows[i].n_parameters, i)

        return [self.rows[i] for i in sorted(range(len(self.rows)), key=rank)]

    # -- output ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return one column per figure, one row per model, ``model`` (the names) first.

        Returns
        -------
        dict of str to ndarray
            ``model``, ``n_parameters``, ``log_likelihood``, ``aic``, ``bic``
            and, with a holdout, ``holdout_mae``, ``holdout_rmse``,
            ``expected_total``, ``actual_total``, ``total_error``,
            ``relative_total_error``, ``tracking_error`` (with a tracking
            curve) and ``calibration_error``.

        Examples
        --------
        >>> import relmark
        >>> from relmark.comparison import compare
        >>> from relmark.datasets import cdnow_sample_summary
        >>> columns = compare([relmark.NBD.fit(cdnow_sample_summary())]).to_dict()
        >>> list(columns), columns["n_parameters"].tolist()
        (['model', 'n_parameters', 'log_likelihood', 'aic', 'bic'], [2])
        """
        columns: dict[str, NDArray[Any]] = {
            "model": np.array(self.names, dtype=object),
            "n_parameters": np.array([row.n_parameters for row in self.rows], dtype=np.int64),
            "log_likelihood": np.array([row.log_likelihood for row in self.rows]),
            "aic": np.array([row.aic for row in self.rows]),
            "bic": np.array([row.bic for row in self.rows]),
        }
        holdouts = [row.holdout for row in self.rows]
        if not all(h is not None for h in holdouts):
            return columns
        figures: dict[str, Callable[[HoldoutAccuracy], float | None]] = {
            "holdout_mae": lambda h: h.mae,
            "holdout_rmse": lambda h: h.rmse,
            "expected_total": lambda h: h.expected_total,
            "actual_total": lambda h: h.actual_total,
            "total_error": lambda h: h.total_error,
            "relative_total_error": lambda h: h.relative_total_error,
            "tracking_error": lambda h: h.tracking_error,
            "calibration_error": lambda h: h.calibration_error,
        }
        for name, figure in figures.items():
            values = [figure(h) for h in holdouts if h is not None]
            if all(v is not None for v in values):
                columns[name] = np.array(values, dtype=np.float64)
        return columns

    def to_pandas(self) -> pd.DataFrame:
        """Return :meth:`to_dict` as a pandas DataFrame indexed by model name.

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install "relmark[pandas]"``).

        Examples
        --------
        >>> import relmark
        >>> from relmark.comparison import compare
        >>> from relmark.datasets import cdnow_sample_summary
        >>> frame = compare([relmark.NBD.fit(cdnow_sample_summary())]).to_pandas()
        >>> round(float(frame.loc["NBD", "bic"]), 1)
        19542.8
        """
        try:
            import pandas
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(
                'ModelComparison.to_pandas() needs pandas, the "pandas" extra: '
                'pip install "relmark[pandas]"'
            ) from error
        columns = self.to_dict()
        names = columns.pop("model")
        frame: pd.DataFrame = pandas.DataFrame(
            columns, index=pandas.Index(names, name="model"), copy=True
        )
        return frame

    def _fit_cells(self) -> tuple[list[str], list[list[str]]]:
        header = ["model", "k", "log-likelihood", "AIC", "BIC"]
        rows = [
            [row.name, str(row.n_parameters), f"{row.log_likelihood:,.2f}",
             f"{row.aic:,.2f}", f"{row.bic:,.2f}"]
            for row in self.rows
        ]  # fmt: skip
        return header, rows

    def _holdout_cells(self) -> tuple[list[str], list[list[str]]] | None:
        holdouts = [row.holdout for row in self.rows]
        if not holdouts or any(h is None for h in holdouts):
            return None
        header = ["model", "MAE", "RMSE", "total error", "tracking", "calibration"]
        rows = []
        for row in self.rows:
            h = row.holdout
            assert h is not None
            tracking = "" if h.tracking_error is None else f"{h.tracking_error:.1%}"
            rows.append(
                [row.name, f"{h.mae:.4f}", f"{h.rmse:.4f}",
                 f"{h.total_error:+,.0f} ({h.relative_total_error:+.1%})", tracking,
                 f"{h.calibration_error:.3f}"]
            )  # fmt: skip
        return header, rows

    def _holdout_title(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"holdout of {self.holdout_length:g}{unit}: per-customer MAE and RMSE of purchases, "
            "total error, tracking error (cumulative, mean abs. %), P(active) calibration error"
        )

    def _best_line(self) -> str:
        criterion = self._criterion(None)
        return f"best: {self.best(criterion)} (lowest {_LABELS[criterion]})"

    def to_text(self, *, best: bool = True) -> str:
        """Return the comparison as plain-text tables (what ``print`` shows).

        Parameters
        ----------
        best : bool, default True
            Whether to close with the line naming the best model by the
            default criterion of :meth:`best`.

        Returns
        -------
        str
            The fit table (k, log-likelihood, AIC, BIC); with a holdout, the
            holdout table; the likelihood-ratio tests when there are any.

        Examples
        --------
        >>> import relmark
        >>> from relmark.comparison import compare
        >>> from relmark.datasets import cdnow_sample_summary
        >>> print(compare([relmark.NBD.fit(cdnow_sample_summary())]).to_text(best=False))
        model  k  log-likelihood        AIC        BIC
        NBD    2       -9,763.66  19,531.32  19,542.85
        """
        header, rows = self._fit_cells()
        lines = _text_table(header, rows)
        holdout = self._holdout_cells()
        if holdout is not None:
            lines += ["", *_wrap(self._holdout_title()), *_text_table(*holdout)]
        if self.tests:
            lines += ["", "likelihood-ratio tests", *(str(test) for test in self.tests)]
        if as_flag("best", best):
            lines += ["", self._best_line()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        holdout = "" if self.holdout_length is None else f", holdout {self.holdout_length:g}"
        return (
            f"ModelComparison({', '.join(self.names)}; {self.n_customers:,.0f} customers{holdout})"
        )

    def _repr_html_(self) -> str:
        parts = [_html_table(*self._fit_cells())]
        holdout = self._holdout_cells()
        if holdout is not None:
            parts.append(f"<p>{html.escape(self._holdout_title())}</p>")
            parts.append(_html_table(*holdout))
        if self.tests:
            items = "".join(f"<li>{html.escape(str(test))}</li>" for test in self.tests)
            parts.append(f"<p>likelihood-ratio tests</p><ul>{items}</ul>")
        parts.append(f"<p>{html.escape(self._best_line())}</p>")
        return f"<div>{''.join(parts)}</div>"


def _text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-align the first column, right-align the others."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = "".join(
            f"  {cell:>{width}}" for cell, width in zip(cells[1:], widths[1:], strict=True)
        )
        return (first + rest).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _wrap(text: str, width: int = 76) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# -- compare: checks once at the entry, then the vectorised figures -------------------------


def named(models: object, what: str = "models") -> dict[str, Any]:
    """Return ``models`` (a mapping, or a sequence named by class) as a name -> model dict."""
    if isinstance(models, Mapping):
        pairs = list(models.items())
        for name, _ in pairs:
            if not isinstance(name, str) or not name.strip():
                raise TypeError(f"`{what}` names must be non-empty strings, got {name!r}")
    elif isinstance(models, Sequence) and not isinstance(models, str):
        pairs = [(_class_name(model), model) for model in models]
        seen = [name for name, _ in pairs]
        twice = sorted({name for name in seen if seen.count(name) > 1})
        if twice:
            raise ValidationError(
                f"`{what}` has two models named {twice[0]!r}: give a mapping of names to models",
                argument=what,
            )
    else:
        raise TypeError(
            f"`{what}` must be a mapping of names to models or a sequence of models, "
            f"got {type(models).__name__}"
        )
    if not pairs:
        raise ValidationError(f"`{what}` is empty: give at least one model", argument=what)
    return dict(pairs)


def _class_name(model: object) -> str:
    return model.__name__ if isinstance(model, type) else type(model).__name__


def _fitted_models(models: object) -> dict[str, SummaryModel]:
    """Check every model is a fitted relmark model and all were fitted to as many customers."""
    checked: dict[str, SummaryModel] = {}
    for name, model in named(models).items():
        where = f"`models[{name!r}]`"
        if isinstance(model, type):
            raise TypeError(
                f"{where} is the class {model.__name__}, not a fitted model: "
                f"fit it first ({model.__name__}.fit(summary))"
            )
        if not isinstance(model, SummaryModel):
            raise TypeError(
                f"{where} must be a fitted relmark model (BetaGeo, ParetoNBD, GammaGamma, ...), "
                f"got {type(model).__name__}"
            )
        if model.fit_info is None:
            raise ValidationError(
                f"{where} ({type(model).__name__}) is not fitted: it has no fit_info, so no "
                f"maximised log-likelihood to compare; fit it with "
                f"{type(model).__name__}.fit(summary)",
                argument="models",
            )
        checked[name] = model
    counts = {name: model.fit_info.n_customers for name, model in checked.items() if model.fit_info}
    first = next(iter(counts))
    for name, count in counts.items():
        if abs(count - counts[first]) > _SAME_DATA * max(1.0, counts[first]):
            raise ValidationError(
                f"`models` must be fitted to the same customers: {first} was fitted to "
                f"{counts[first]:,.0f}, {name} to {count:,.0f}",
                argument="models",
            )
    return checked


def _check_fitted_to(models: Mapping[str, SummaryModel], summary: CustomerSummary) -> None:
    """Refuse a model whose fit's log-likelihood is not its log-likelihood of ``summary``."""
    rows = summary.compress(monetary=summary.monetary_value is not None)  # spend models too
    for name, model in models.items():
        info = model.fit_info
        assert info is not None
        if abs(info.n_customers - rows.n_customers) > _SAME_DATA * max(1.0, rows.n_customers):
            raise ValidationError(
                f"`models[{name!r}]` was fitted to {info.n_customers:,.0f} customers, `data` "
                f"has {rows.n_customers:,.0f}: compare models on the data they were fitted to",
                argument="data",
            )
        again = model.log_likelihood(rows)
        if not abs(again - info.log_likelihood) <= _LL_TOLERANCE * max(1.0, abs(again)):
            raise ValidationError(
                f"`models[{name!r}]` was not fitted to `data`: its log-likelihood there is "
                f"{again:,.4f}, its fit's {info.log_likelihood:,.4f}",
                argument="data",
            )


def _check_holdout(
    models: Mapping[str, SummaryModel], split: CalibrationHoldout, tracking: TrackingCurves | None
) -> dict[str, PurchaseModelBase]:
    """Check what holdout accuracy needs: purchase models, purchases, a matching tracking."""
    purchase: dict[str, PurchaseModelBase] = {}
    for name, model in models.items():
        if not isinstance(model, PurchaseModelBase):
            raise TypeError(
                f"`models[{name!r}]` ({type(model).__name__}) is not a purchase model: holdout "
                "accuracy compares forecasts of purchases (BetaGeo, ParetoNBD, ...)"
            )
        purchase[name] = model
    if float(split.holdout_purchases @ split.calibration.weights) <= 0.0:
        raise ValidationError(
            "`data` has no holdout purchase: a holdout with no purchases cannot tell models "
            "apart (choose a later `observation_end`)",
            argument="data",
        )
    if tracking is not None:
        as_instance("tracking", tracking, TrackingCurves)
        unit = split.calibration.unit
        cohort = float(tracking.customers.sum())
        if (unit is not None and tracking.unit != unit) or not math.isclose(
            cohort, split.calibration.n_customers, rel_tol=_SAME_DATA
        ):
            raise ValidationError(
                f"`tracking` (unit {tracking.unit!r}, a cohort of {cohort:,.0f} customers) "
                f"does not belong to `data` (unit {unit!r}, {split.calibration.n_customers:,.0f} "
                "customers): make both from the same log and calibration end",
                argument="tracking",
            )
    return purchase


def _fewer_covariates(small: SummaryModel, big: SummaryModel) -> bool:
    """Whether ``small`` is ``big``'s class with a proper subset of its covariate terms."""
    if type(small) is not type(big) or small.effects.penalty or big.effects.penalty:
        return False  # a penalised fit does not maximise the likelihood the test compares
    terms, more = set(small.effects.terms), set(big.effects.terms)
    return terms < more


def _nested_pairs(
    rows: Mapping[str, ComparedModel], nested: object
) -> list[tuple[ComparedModel, ComparedModel, bool]]:
    """Return the known nested pairs present, then the declared ones, each once.

    Known pairs: those of :data:`NESTED_MODELS`, and a model inside the same
    class with more covariates (its coefficients at 0, an interior point:
    "do the covariates matter?").
    """
    pairs: dict[tuple[str, str], bool] = {}
    for small in rows.values():
        for big in rows.values():
            boundary = NESTED_MODELS.get((type(small.model), type(big.model)))
            if boundary is not None:
                pairs[(small.name, big.name)] = boundary
            elif _fewer_covariates(small.model, big.model):
                pairs[(small.name, big.name)] = False
    if not isinstance(nested, Sequence) or isinstance(nested, str):
        raise TypeError(
            f"`nested` must be a sequence of (smaller, bigger) name pairs, got "
            f"{type(nested).__name__}"
        )
    for pair in nested:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise TypeError(f"`nested` must hold (smaller, bigger) name pairs, got {pair!r}")
        for name in pair:
            if name not in rows:
                raise ValidationError(
                    f"`nested` names {name!r}, which is not one of the models ({', '.join(rows)})",
                    argument="nested",
                )
        small, big = pair
        pairs.setdefault((small, big), False)
    return [(rows[small], rows[big], boundary) for (small, big), boundary in pairs.items()]


def compare(
    models: Mapping[str, SummaryModel] | Sequence[SummaryModel],
    data: CustomerSummary | CalibrationHoldout | None = None,
    *,
    tracking: TrackingCurves | None = None,
    nested: Sequence[tuple[str, str]] = (),
) -> ModelComparison:
    r"""Compare fitted models of the same customers.

    Parameters
    ----------
    models : mapping of str to model, or sequence of models
        Fitted models (``BetaGeo.fit(...)``, ...), all of the same customers;
        a sequence is named by class.
    data : CustomerSummary or CalibrationHoldout, optional
        The data the models were fitted to: with it, each model's fit is
        checked against it (its log-likelihood recomputed); a
        :class:`~relmark.CalibrationHoldout` (models fitted on its
        calibration summary) adds the holdout accuracy of each purchase model.
    tracking : TrackingCurves, optional
        From :func:`tracking_curves` on the same log and calibration end:
        adds each model's tracking error over the holdout.
    nested : sequence of (str, str), optional
        Further pairs (smaller, bigger) of nested models by name, tested with
        :math:`\chi^2` with the difference of their parameter counts as
        degrees of freedom; the pairs of :data:`NESTED_MODELS` are tested
        whenever both are present.

    Returns
    -------
    ModelComparison

    Raises
    ------
    TypeError
        For a model that is not a relmark model (or is a class), ``data`` or
        ``tracking`` of the wrong type, a non-purchase model with a holdout.
    ValidationError
        For no models, an unfitted model, models fitted to different
        customers or not to ``data``, ``tracking`` without a holdout or of
        another log, a holdout with no purchases, a bad ``nested`` pair.

    Notes
    -----
    For a model with :math:`k` parameters and maximised log-likelihood
    :math:`\ell` over :math:`n` customers: :math:`AIC = 2k - 2\ell`,
    :math:`BIC = k\ln n - 2\ell`.  With a holdout of length :math:`t`,
    per customer :math:`e_i = E[X(T_i, T_i+t) \mid x_i, t_{x,i}, T_i] - y_i`
    (``y`` the holdout purchases): MAE :math:`\sum w_i|e_i|/\sum w_i`, RMSE
    :math:`\sqrt{\sum w_i e_i^2/\sum w_i}`; total error :math:`\sum w_i e_i`,
    relative to :math:`\sum w_i y_i`; calibration: customers in deciles of
    predicted :math:`P(X(T, T+t) > 0)` (:func:`probability_active`), the
    weighted mean gap between the decile's mean prediction and its share of
    customers who bought in the holdout.  Likelihood-ratio tests: see
    :class:`LikelihoodRatioTest`.

    Examples
    --------
    >>> import relmark
    >>> from relmark.comparison import compare
    >>> from relmark.datasets import cdnow_sample_summary
    >>> s = cdnow_sample_summary()
    >>> comparison = compare({"BG/NBD": relmark.BetaGeo.fit(s), "NBD": relmark.NBD.fit(s)}, s)
    >>> print(comparison)
    model   k  log-likelihood        AIC        BIC
    BG/NBD  4       -9,582.43  19,172.86  19,195.92
    NBD     2       -9,763.66  19,531.33  19,542.86
    <BLANKLINE>
    likelihood-ratio tests
    NBD in BG/NBD: LR 362.46, df 2, p < 1e-16 (boundary: 0.5 chi2(0) + 0.5 chi2(1))
    <BLANKLINE>
    best: BG/NBD (lowest BIC)
    """
    fitted = _fitted_models(models)
    split: CalibrationHoldout | None = None
    summary: CustomerSummary | None
    if isinstance(data, CalibrationHoldout):
        split, summary = data, data.calibration
    elif isinstance(data, CustomerSummary) or data is None:
        summary = data
    else:
        raise TypeError(
            f"`data` must be a CustomerSummary or a CalibrationHoldout, got {type(data).__name__}"
        )
    if tracking is not None and split is None:
        raise ValidationError(
            "`tracking` needs `data`, the CalibrationHoldout the models were fitted on",
            argument="tracking",
        )
    if summary is not None:
        _check_fitted_to(fitted, summary)
    purchase = None if split is None else _check_holdout(fitted, split, tracking)
    rows = {name: _information(name, model) for name, model in fitted.items()}
    tests = tuple(
        _likelihood_ratio(small, big, boundary=boundary)
        for small, big, boundary in _nested_pairs(rows, nested)
    )
    if split is not None and purchase is not None:
        rows = {
            name: attrs.evolve(row, holdout=_holdout_accuracy(purchase[name], split, tracking))
            for name, row in rows.items()
        }
    info = next(iter(fitted.values())).fit_info
    assert info is not None
    return ModelComparison(
        rows=tuple(rows.values()),
        tests=tests,
        n_customers=float(info.n_customers),
        holdout_length=None if split is None else split.holdout_length,
        unit=None if summary is None else summary.unit,
    )


# -- choose_model -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True, eq=False)
class ModelChoice:
    """The model :func:`choose_model` chose, the comparison it chose from, and why.

    Attributes
    ----------
    name : str
        The chosen model's name.
    model : PurchaseModelBase
        The chosen model, fitted: on the full period when refitted, else on
        the data compared.
    comparison : ModelComparison
        The candidates that converged, compared (on the calibration period
        with a split).
    criterion : str
        What decided: ``"holdout_rmse"``, ``"bic"``, ``"aic"``, or ``"limit"``
        when no candidate converged and the no-dropout limit stands in.
    reason : str
        One sentence saying why.
    failed : mapping of str to str
        The candidates whose fit found no interior maximum, with the first
        sentence of their :class:`~relmark.ConvergenceError`.
    refitted : bool
        Whether ``model`` was refitted on ``refit_on`` after the choice.
    notes : tuple of str
        What was done in a model's place, when a limit stood in.

    Examples
    --------
    >>> from relmark.comparison import choose_model
    >>> from relmark.datasets import cdnow_sample_summary
    >>> choice = choose_model(cdnow_sample_summary())
    >>> choice.name, choice.criterion, choice.refitted
    ('ModifiedBetaGeo', 'bic', False)
    """

    name: str
    model: PurchaseModelBase
    comparison: ModelComparison
    criterion: str
    reason: str
    failed: Mapping[str, str] = attrs.field(factory=dict)
    refitted: bool = False
    notes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"ModelChoice({self.name}: {self.reason})"


_DEFAULT_CANDIDATES: tuple[type[PurchaseModelBase], ...] = (BetaGeo, ModifiedBetaGeo, ParetoNBD)


def _candidates(candidates: object) -> dict[str, type[PurchaseModelBase]]:
    """Return the candidate classes by name, each a purchase model class."""
    classes = named(candidates, "candidates")
    for name, cls in classes.items():
        if not (isinstance(cls, type) and issubclass(cls, PurchaseModelBase)):
            raise TypeError(
                f"`candidates[{name!r}]` must be a purchase model class (BetaGeo, ParetoNBD, "
                f"...), got {cls.__name__ if isinstance(cls, type) else type(cls).__name__}"
            )
    return classes


def _first_sentence(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text.split(". ")[0].rstrip(".")


@attrs.frozen
class _FitOptions:
    """How choose_model fits every candidate: with covariates or without (the default)."""

    covariates: Mapping[str, Sequence[str]] | Sequence[str] | None = None
    shared: Sequence[str] = ()
    penalty: float = 0.0

    def fit(self, cls: type[PurchaseModelBase], summary: CustomerSummary) -> PurchaseModelBase:
        return cls.fit(
            summary, covariates=self.covariates, shared=self.shared, penalty=self.penalty
        )

    def names(self) -> list[str]:
        """Return the covariates the fits use, each once, in the order given."""
        if self.covariates is None:
            return []
        given = self.covariates
        lists = list(given.values()) if isinstance(given, Mapping) else [given]
        return list(dict.fromkeys([*(name for names in lists for name in names), *self.shared]))


def _check_takes_covariates(
    classes: Mapping[str, type[PurchaseModelBase]], options: _FitOptions
) -> None:
    """Refuse, before any fit, a candidate that takes no covariates when they are asked for."""
    if options.covariates is None:
        return
    for name, cls in classes.items():
        if not cls.links:
            raise ValidationError(
                f"`candidates[{name!r}]` is {cls.__name__}, which takes no covariates; with "
                "`covariates`, choose among BetaGeo, ModifiedBetaGeo and ParetoNBD",
                argument="candidates",
            )


def _fit_each(
    classes: Mapping[str, type[PurchaseModelBase]],
    summary: CustomerSummary,
    options: _FitOptions,
) -> tuple[dict[str, PurchaseModelBase], dict[str, ConvergenceError]]:
    fitted: dict[str, PurchaseModelBase] = {}
    failed: dict[str, ConvergenceError] = {}
    for name, cls in classes.items():  # a handful of classes, each fitted once
        try:
            fitted[name] = options.fit(cls, summary)
        except ConvergenceError as error:
            failed[name] = error
    return fitted, failed


def _no_dropout_limit(
    cls: type[PurchaseModelBase],
    summary: CustomerSummary,
    error: ConvergenceError,
    options: _FitOptions,
) -> tuple[NBD, str] | None:
    """Return the NBD limit of a failed fit and its note, or None when it has none.

    The NBD takes no covariates, so after a fit with them the question is
    asked of the class without them: its plain fit must head for no dropout
    too (a plain fit that converges shows dropout the NBD would miss), and
    the NBD stands in without the covariates, as the note says.
    """
    names = options.names()
    if names:
        try:
            cls.fit(summary)
        except ConvergenceError as plain_error:
            error = plain_error  # the point it stopped at has no coefficients: the limit's test
        else:
            return None
    fallback = no_dropout_limit(cls, summary, error)
    if fallback is None:
        return None
    assert isinstance(fallback.model, NBD)  # the no-dropout limit is an NBD
    note = fallback.note
    if names:
        note += (
            f" The NBD takes no covariates: the limit leaves out {', '.join(names)} (fitted "
            f"without them, {cls.__name__} heads for no dropout as well)."
        )
    return fallback.model, note


def _limit_choice(
    classes: Mapping[str, type[PurchaseModelBase]],
    failed: Mapping[str, ConvergenceError],
    summary: CustomerSummary,
    policy: str,
    options: _FitOptions,
) -> tuple[str, PurchaseModelBase, str]:
    """No candidate converged: the no-dropout limit of the first that has one, or raise."""
    if policy == "limit":
        for name, error in failed.items():
            fallback = _no_dropout_limit(classes[name], summary, error, options)
            if fallback is not None:
                limit, note = fallback
                return "NBD", limit, note
    details = "; ".join(f"{name}: {_first_sentence(error)}" for name, error in failed.items())
    raise ConvergenceError(f"no candidate model found an interior maximum ({details})")


def _figure(criterion: Criterion, value: float) -> str:
    """Show an information criterion to one decimal, an error to four significant digits."""
    return f"{value:,.1f}" if criterion in ("bic", "aic") else f"{value:.4g}"


def _reason(comparison: ModelComparison, criterion: Criterion, chosen: str, alone: bool) -> str:
    """Say why ``chosen`` won: its figure against the others' (``alone``: the one candidate)."""
    ranked = comparison._ranked(criterion)
    label = _LABELS[criterion]
    best = ranked[0].value(criterion)
    if len(ranked) == 1:
        which = "the only candidate" if alone else "the only candidate that converged"
        return f"{chosen}: {which} ({label} {_figure(criterion, best)})"
    others = ", ".join(
        f"{row.name} {_figure(criterion, row.value(criterion))}" for row in ranked[1:]
    )
    tie = ""
    runner = ranked[1].value(criterion)
    if abs(runner - best) <= _TIE * max(1.0, abs(best)):
        tie = f" (tied with {ranked[1].name}: fewer parameters, or listed first)"
    return f"{chosen}: lowest {label} {_figure(criterion, best)} vs {others}{tie}"


def choose_model(
    data: CustomerSummary | CalibrationHoldout,
    candidates: Mapping[str, type[PurchaseModelBase]]
    | Sequence[type[PurchaseModelBase]] = _DEFAULT_CANDIDATES,
    *,
    by: Literal["holdout", "bic", "aic"] | None = None,
    refit_on: CustomerSummary | None = None,
    tracking: TrackingCurves | None = None,
    unidentified: Literal["raise", "limit"] = "raise",
    covariates: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    shared: Sequence[str] = (),
    penalty: float = 0.0,
) -> ModelChoice:
    """Fit candidate purchase models, compare them and choose one.

    Parameters
    ----------
    data : CustomerSummary or CalibrationHoldout
        A summary (choose by an information criterion), or a
        calibration/holdout split: the candidates are fitted on its
        calibration summary and can be judged on the holdout.  With
        ``covariates``, the summary (the split's calibration summary) carries
        them (:meth:`~relmark.CustomerSummary.with_covariates`,
        :meth:`~relmark.CalibrationHoldout.with_covariates`).
    candidates : mapping of str to model class, or sequence of classes
        Default BG/NBD, MBG/NBD and Pareto/NBD; a sequence is named by class.
    by : {"holdout", "bic", "aic"}, optional
        ``"holdout"``: the lowest per-customer RMSE of holdout purchases
        (needs a split); default ``"holdout"`` with a split, else ``"bic"``.
    refit_on : CustomerSummary, optional
        The customers on which the chosen class is refitted for scoring:
        with a split, the full-period summary (calibration and holdout);
        with a summary, say, all customers when ``data`` is a random sample
        of them (the choice needs far fewer customers than the scores).
        Without it the chosen model stays fitted on ``data``.  With
        ``covariates``, it carries them too.
    tracking : TrackingCurves, optional
        With a split: adds each candidate's tracking error to the comparison
        (see :func:`compare`); it does not decide.
    unidentified : {"raise", "limit"}, default "raise"
        When no candidate finds an interior maximum: raise, or (``"limit"``)
        stand in the NBD when nobody seems to leave, as
        :func:`relmark.score` does.
    covariates : mapping of str to sequence of str, or sequence of str, optional
        Fit every candidate, and the refit on ``refit_on``, with these
        covariates, as ``cls.fit(summary, covariates=covariates,
        shared=shared, penalty=penalty)``: a sequence puts them in every
        process, a mapping chooses per process (see ``BetaGeo.fit``).
    shared : sequence of str, default ()
        Covariates with one coefficient in every process they enter.
    penalty : float, default 0
        L2 penalty on the coefficients.

    Returns
    -------
    ModelChoice

    Raises
    ------
    TypeError
        For ``data`` or a candidate of the wrong type.
    ValidationError
        For ``by="holdout"`` without a split, an empty ``candidates``, a
        candidate that takes no covariates (the NBD) when ``covariates`` are
        given, and what the fits refuse (a summary without the covariates,
        an unknown covariate, ``shared`` or ``penalty`` without
        ``covariates``, ...).
    ConvergenceError
        If no candidate converges (and no limit stands in), or the refit on
        ``refit_on`` fails.

    Notes
    -----
    A candidate whose fit raises :class:`~relmark.ConvergenceError` is
    reported in ``failed``, never chosen.  The lowest value of the criterion
    wins; ties (within a relative 1e-9) go to fewer parameters, then to the
    candidate listed first.

    With covariates, the criteria compare the candidates with their
    covariates (each has its own coefficients: BG/NBD and MBG/NBD two per
    dropout covariate, Pareto/NBD one).  The no-dropout limit, the NBD,
    takes no covariates: when every candidate fails and
    ``unidentified="limit"``, the class is refitted without them, and only
    if that fit heads for no dropout as well does the NBD stand in, without
    the covariates, as the reason and ``notes`` say.

    Examples
    --------
    >>> from relmark.comparison import choose_model
    >>> from relmark.datasets import load_cdnow_sample
    >>> log = load_cdnow_sample()
    >>> split = log.split("1997-09-30", "1998-06-30", unit="W")
    >>> choice = choose_model(split, refit_on=log.summarize("1998-06-30", unit="W"))
    >>> print(choice.reason)
    ParetoNBD: lowest holdout RMSE 1.603 vs ModifiedBetaGeo 1.607, BetaGeo 1.608;
    refitted on the full period (2,357 customers) for scoring

    With covariates (simulated: members buy twice as fast), each candidate
    is fitted with them:

    >>> import numpy as np
    >>> import relmark
    >>> rng = np.random.default_rng(5)
    >>> member = relmark.Covariates(names=("member",), values=(rng.random((3000, 1)) < 0.5) * 1.0)
    >>> truth = relmark.BetaGeo(r=0.8, alpha=5.0, a=0.8, b=2.5).with_coefficients(
    ...     {"purchase[member]": np.log(2.0)}
    ... )
    >>> members = truth.simulate(3000, 52.0, rng=rng, covariates=member)
    >>> choice = choose_model(members, (relmark.BetaGeo, relmark.ParetoNBD), covariates=["member"])
    >>> print(choice.reason)
    BetaGeo: lowest BIC 71,128.1 vs ParetoNBD 71,985.0
    >>> round(choice.model.params["purchase[member]"], 2)  # the multiplier: 2 +- 0.11
    2.13
    """
    classes = _candidates(candidates)
    policy = as_choice("unidentified", unidentified, ("raise", "limit"))
    summary, way = _choice_inputs(data, by, refit_on)
    options = _FitOptions(covariates=covariates, shared=shared, penalty=penalty)
    _check_takes_covariates(classes, options)
    fitted, failures = _fit_each(classes, summary, options)
    failed = {name: _first_sentence(error) for name, error in failures.items()}
    refitted = "" if refit_on is None else (
        f"; refitted on the full period ({refit_on.n_customers:,.0f} customers) for scoring"
        if isinstance(data, CalibrationHoldout)
        else f"; refitted on all {refit_on.n_customers:,.0f} customers for scoring"
    )  # fmt: skip
    if not fitted:
        name, limit, note = _limit_choice(classes, failures, summary, policy, options)
        return ModelChoice(
            name=name,
            model=limit if refit_on is None else NBD.fit(refit_on),
            comparison=compare({name: limit}, summary),
            criterion="limit",
            reason=f"{name}: no candidate found an interior maximum; {note}{refitted}",
            failed=failed,
            refitted=refit_on is not None,
            notes=(note,),
        )
    criterion: Criterion = "holdout_rmse" if way == "holdout" else way  # type: ignore[assignment]
    comparison = compare(fitted, data, tracking=tracking)
    name = comparison.best(criterion)
    failures_said = "".join(f"; {failed_name} did not converge" for failed_name in failed)
    return ModelChoice(
        name=name,
        model=fitted[name] if refit_on is None else options.fit(classes[name], refit_on),
        comparison=comparison,
        criterion=criterion,
        reason=_reason(comparison, criterion, name, len(classes) == 1) + failures_said + refitted,
        failed=failed,
        refitted=refit_on is not None,
    )


def _choice_inputs(data: object, by: object, refit_on: object) -> tuple[CustomerSummary, str]:
    """Check choose_model's data and options; return the summary to fit and the rule."""
    split = data if isinstance(data, CalibrationHoldout) else None
    if split is None and not isinstance(data, CustomerSummary):
        raise TypeError(
            f"`data` must be a CustomerSummary or a CalibrationHoldout, got {type(data).__name__}"
        )
    summary = split.calibration if split is not None else data
    assert isinstance(summary, CustomerSummary)
    default = "holdout" if split is not None else "bic"
    way = as_choice("by", default if by is None else by, ("holdout", "bic", "aic"))
    if way == "holdout" and split is None:
        raise ValidationError(
            "`by='holdout'` needs a CalibrationHoldout (TransactionLog.split), not a summary",
            argument="by",
        )
    if refit_on is not None:
        as_instance("refit_on", refit_on, CustomerSummary)
    return summary, way
