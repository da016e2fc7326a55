"""Beta-discrete-Weibull (BdW) model of contractual retention (Fader, Hardie, Liu et al. 2018)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, overload

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate
from scipy.special import digamma, gammaln, logsumexp
from typing_extensions import Self

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    FloatArray,
    as_count,
    as_rng,
    as_scalar,
)
from relmark.exceptions import ConvergenceError, ValidationError
from relmark.models._base import Model, Parameter
from relmark.models._fitting import FitInfo, NegLogLikelihood
from relmark.models.shifted_beta_geo import (
    _MAX_TERMS,
    ShiftedBetaGeo,
    TenureRows,
    _check_alive,
    _check_tenure,
    _individual_rows,
    _out,
    _periods,
    _series_terms,
    _survival_rows,
)

__all__ = ["BetaDiscreteWeibull"]

# Stirling's series log Gamma(y) = (y - 1/2) log y - y + log(2 pi)/2 + sum_k b_k / y^(2k - 1),
# b_k = B_2k / (2k (2k - 1)); eight terms leave below 1e-16 relative from y = 10.
_STIRLING = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
    -3617.0 / 122400.0,
)
_STIRLING_FROM = 10.0
# t^c beyond e^700 overflows: there log Gamma(b + x + a) - log Gamma(b + x) is a log x to rounding
_HUGE_LOG_CLOCK = 700.0
# the undiscounted series (expected lifetime, DERL at d = 0): relative accuracy and most terms
_SERIES_TOLERANCE = 1e-10
_FIRST_TERMS = 1_024


def _correction(y: FloatArray) -> FloatArray:
    r"""Return Stirling's correction :math:`c(y) = \sum_k b_k y^{1 - 2k}`.

    That is :math:`\log\Gamma(y) - (y - \tfrac12)\log y + y - \tfrac12\log 2\pi`.
    """
    inverse = 1.0 / y
    square = inverse * inverse
    total = np.zeros_like(y)
    for coefficient in reversed(_STIRLING):
        total = total * square + coefficient
    result: FloatArray = total * inverse
    return result


def _correction_slope(y: FloatArray) -> FloatArray:
    r"""Return :math:`c'(y) = -\sum_k (2k - 1) b_k / y^{2k}`."""
    inverse = 1.0 / y
    square = inverse * inverse
    total = np.zeros_like(y)
    for k in range(len(_STIRLING), 0, -1):
        total = total * square - (2 * k - 1) * _STIRLING[k - 1]
    result: FloatArray = total * square
    return result


def _log_gamma_ratio(z: FloatArray, a: float) -> FloatArray:
    r"""Return :math:`G(z) = \log\Gamma(z + a) - \log\Gamma(z)` for ``z > 0``.

    To an absolute error of about :math:`\epsilon\,a\log z`.

    From :math:`z = 10`, by Stirling's series written without the large
    cancelling terms,

    .. math::

        G(z) = a\log z + (z + a - \tfrac12)\log(1 + a/z) - a + c(z + a) - c(z),

    where ``gammaln(z + a) - gammaln(z)`` would lose :math:`\epsilon z\log z`;
    below, the difference of ``gammaln`` values (both small).
    """
    z = np.asarray(z, dtype=np.float64)
    large = z >= _STIRLING_FROM
    result = np.empty(z.shape)
    small = ~large
    if small.any():
        zs = z[small]
        result[small] = gammaln(zs + a) - gammaln(zs)
    if large.any():
        zl = z[large]
        result[large] = (
            a * np.log(zl)
            + (zl + (a - 0.5)) * np.log1p(a / zl)
            - a
            + (_correction(zl + a) - _correction(zl))
        )
    return result


def _digamma_gap(z: FloatArray, h: ArrayLike) -> FloatArray:
    r"""Return :math:`\psi(z + h) - \psi(z)` for ``z > 0``, ``h >= 0``.

    From :math:`z = 10`, :math:`\log(1 + h/z) + \frac{h/(z + h)}{2z} + c'(z + h) - c'(z)`
    (no cancellation of the two digamma values); below, ``digamma``'s difference.
    """
    z, step = np.broadcast_arrays(np.asarray(z, dtype=np.float64), np.asarray(h, np.float64))
    large = z >= _STIRLING_FROM
    result = np.empty(z.shape)
    small = ~large
    if small.any():
        result[small] = digamma(z[small] + step[small]) - digamma(z[small])
    if large.any():
        zl, hl = z[large], step[large]
        result[large] = (
            np.log1p(hl / zl)
            + (hl / (zl + hl)) / (2.0 * zl)
            + (_correction_slope(zl + hl) - _correction_slope(zl))
        )
    return result


@attrs.frozen
class _Clock:
    r"""The Weibull clock :math:`x = t^c` of whole periods ``t >= 0``, kept finite.

    ``x`` is :math:`t^c` (0 at ``t = 0``) up to :math:`e^{700}`; ``huge`` marks
    the periods beyond, where only ``log_x`` = :math:`c\log t` is used.
    """

    t: FloatArray
    log_t: FloatArray
    log_x: FloatArray
    x: FloatArray
    huge: NDArray[np.bool_]

    @classmethod
    def of(cls, c: float, t: FloatArray) -> _Clock:
        """Return the clock of whole periods ``t``."""
        with np.errstate(divide="ignore"):
            log_t = np.log(t)
        return cls.of_log(c, log_t, t)

    @classmethod
    def of_log(cls, c: float, log_t: FloatArray, t: FloatArray | None = None) -> _Clock:
        """Return the clock of (real) times given by their logs (``t`` itself may overflow)."""
        log_x = c * log_t  # -inf at t = 0
        huge = log_x > _HUGE_LOG_CLOCK
        x = np.exp(np.minimum(log_x, _HUGE_LOG_CLOCK))
        if t is None:
            t = np.exp(np.minimum(log_t, _HUGE_LOG_CLOCK))
        return cls(t=t, log_t=log_t, log_x=log_x, x=x, huge=huge)

    def gamma_ratio(self, a: float, b: float) -> FloatArray:
        r""":math:`G(\beta + x) = \log\Gamma(\alpha + \beta + x) - \log\Gamma(\beta + x)`."""
        value = _log_gamma_ratio(b + self.x, a)
        if self.huge.any():
            value[self.huge] = a * self.log_x[self.huge]
        return value

    def log_survival(self, a: float, b: float) -> FloatArray:
        r""":math:`\log S(t) = G(\beta) - G(\beta + t^c)`."""
        head = float(_log_gamma_ratio(np.array([b]), a)[0])
        result: FloatArray = head - self.gamma_ratio(a, b)
        return result

    def scores(self, a: float, b: float) -> FloatArray:
        r"""Return the derivatives of :math:`\log S(t)` in ``(alpha, beta, c)``, shape (3, n).

        :math:`\partial_\alpha = -[\psi(\alpha + \beta + x) - \psi(\alpha + \beta)]`,
        :math:`\partial_\beta = [\psi(\alpha + \beta) - \psi(\beta)]
        - [\psi(\alpha + \beta + x) - \psi(\beta + x)]`,
        :math:`\partial_c = -[\psi(\alpha + \beta + x) - \psi(\beta + x)]\,x\log t`.
        """
        gap_x = _digamma_gap(b + self.x, a)  # psi(a + b + x) - psi(b + x)
        head = float(_digamma_gap(np.array([b]), a)[0])
        result = np.empty((3, self.t.size))
        result[0] = -_digamma_gap(np.full(self.t.shape, a + b), self.x)
        result[1] = head - gap_x
        with np.errstate(invalid="ignore"):
            slope = gap_x * self.x * self.log_t
        slope[self.t == 0.0] = 0.0
        if self.huge.any():  # psi-gap * x -> alpha and psi(a + b + x) -> log x
            result[0, self.huge] = float(digamma(a + b)) - self.log_x[self.huge]
            result[1, self.huge] = head
            slope[self.huge] = a * self.log_t[self.huge]
        result[2] = -slope
        return result


def _log_retention(a: float, b: float, c: float, t: FloatArray) -> FloatArray:
    r"""Return :math:`\log r(t) = G(\beta + (t - 1)^c) - G(\beta + t^c)` for ``t >= 1``."""
    return _Clock.of(c, t - 1.0).gamma_ratio(a, b) - _Clock.of(c, t).gamma_ratio(a, b)


def _log_churn(a: float, b: float, c: float, t: FloatArray) -> FloatArray:
    r"""Return :math:`\log P(T = t) = \log S(t - 1) + \log(1 - r(t))` for ``t >= 1``."""
    before = _Clock.of(c, t - 1.0)
    log_r = before.gamma_ratio(a, b) - _Clock.of(c, t).gamma_ratio(a, b)
    with np.errstate(divide="ignore"):
        result: FloatArray = before.log_survival(a, b) + np.log(-np.expm1(log_r))
    return result


def _neg_log_likelihood(
    theta: FloatArray,
    *,
    churn_t: FloatArray,
    churn_w: FloatArray,
    alive_t: FloatArray,
    alive_w: FloatArray,
) -> tuple[float, FloatArray]:
    r"""Weighted negative log-likelihood of churn periods and censored tenures, with gradient.

    A churn in period :math:`t` has :math:`\log P = \log S(t-1) + \log(1 - r)` with
    :math:`r = S(t)/S(t-1)`, and

    .. math::

        \partial\log P = \partial\log S(t-1)
        - \frac{r}{1 - r}\,[\partial\log S(t) - \partial\log S(t-1)].
    """
    a, b, c = (float(v) for v in theta)
    before = _Clock.of(c, churn_t - 1.0)
    after = _Clock.of(c, churn_t)
    log_r = before.gamma_ratio(a, b) - after.gamma_ratio(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        lost = -np.expm1(log_r)  # 1 - r
        ll_churn = before.log_survival(a, b) + np.log(lost)
        d_before = before.scores(a, b)
        d_churn = d_before - (np.exp(log_r) / lost) * (after.scores(a, b) - d_before)
    alive = _Clock.of(c, alive_t)
    ll_alive = alive.log_survival(a, b)
    d_alive = alive.scores(a, b)
    value = float(churn_w @ ll_churn + alive_w @ ll_alive)
    gradient = d_churn @ churn_w + d_alive @ alive_w
    return -value, -gradient


def _tenure_objective(
    churn_t: FloatArray, churn_w: FloatArray, alive_t: FloatArray, alive_w: FloatArray
) -> NegLogLikelihood:
    """Return ``theta -> (-log-likelihood, gradient)`` of churn and censoring counts."""

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        return _neg_log_likelihood(
            theta, churn_t=churn_t, churn_w=churn_w, alive_t=alive_t, alive_w=alive_w
        )

    return objective


def _describe(
    churn_t: FloatArray, churn_w: FloatArray, alive_t: FloatArray, alive_w: FloatArray
) -> str:
    """Say what in the tenures can leave the BdW's three parameters unidentified."""
    periods = np.union1d(churn_t[churn_w > 0], alive_t[(alive_w > 0) & (alive_t > 0)])
    if periods.size < 3:
        return (
            f"the tenures end in only {periods.size} distinct period(s), which cannot "
            "identify three parameters (alpha, beta and c); the sBG (ShiftedBetaGeo) has two"
        )
    return ""


def _check_churners(churners: float) -> None:
    if churners <= 0:
        raise ValidationError(
            "the BdW model needs at least one churned customer to estimate churn; none churned"
        )


def _log_tail(a: float, b: float, c: float, n: int) -> tuple[float, float]:
    r"""Return :math:`\log\sum_{t \ge n} S(t)` (``a c > 1``, ``n >= 1``) and quad's relative error.

    By the Euler-Maclaurin formula,

    .. math::

        \sum_{t \ge n} S(t) \approx \int_n^\infty S(\tau)\,d\tau + \frac{S(n)}{2}
        - \frac{S'(n)}{12},\qquad
        S'(\tau) = -S(\tau)\,[\psi(\alpha + \beta + \tau^c) - \psi(\beta + \tau^c)]\,c\,\tau^{c-1},

    leaving a remainder of the order of the third derivative at ``n``, of
    relative size :math:`n^{-3}`.  The integral is taken over
    :math:`w = (\tau/n)^{-(\alpha c - 1)} \in (0, 1]`, where the integrand
    :math:`S(\tau)(\tau/n)^{\alpha c}\,n/(\alpha c - 1)` is bounded (it tends
    to a constant as :math:`w \to 0`), relative to :math:`S(n)` so that
    nothing underflows.
    """
    p = a * c
    log_n = math.log(n)
    log_s_n = float(_Clock.of(c, np.array([float(n)])).log_survival(a, b)[0])

    # the integrand's limit as w -> 0, K n^{-p} / S(n), can be astronomically large (small c):
    # it is taken out as a factor, so that the integrand stays within [0, 1] there
    offset = max(0.0, float(_log_gamma_ratio(np.array([b]), a)[0]) - p * log_n - log_s_n)

    def integrand(w: float) -> float:
        v = -math.log(w) / (p - 1.0)
        clock = _Clock.of_log(c, np.array([log_n + v]))
        return math.exp(float(clock.log_survival(a, b)[0]) - log_s_n + p * v - offset)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)  # judged by `error`
        integral, error = integrate.quad(integrand, 0.0, 1.0, epsabs=0.0, epsrel=1e-13, limit=400)
    x_n = math.exp(c * log_n)
    slope = float(_digamma_gap(np.array([b + x_n]), a)[0]) * c * x_n / n  # -S'(n)/S(n)
    if not (integral > 0.0 and math.isfinite(integral) and math.isfinite(slope)):
        return math.nan, math.inf
    log_integral = math.log(integral) + math.log(n / (p - 1.0)) + offset
    log_total = float(np.logaddexp(log_integral, math.log(0.5 + slope / 12.0)))
    return log_s_n + log_total, error / integral * math.exp(log_integral - log_total)


def _log_far_sum(a: float, b: float, c: float, top: int) -> float:
    r"""Return :math:`\log\sum_{t > top} S(t)` for ``a c > 1``, to relative ``_SERIES_TOLERANCE``.

    The terms up to :math:`n = \max(top + 1, 1024)` are summed exactly and the
    rest by :func:`_log_tail`; the same from :math:`n + 1024` (the terms between
    summed exactly) is returned, and its difference from the first estimates
    the error: the series is refused when that, or the quadrature's error,
    exceeds the tolerance.  At most 2,048 terms are summed, whatever ``top``.
    """
    n = max(top + 1, _FIRST_TERMS)
    log_s = _Clock.of(c, np.arange(top + 1.0, n + _FIRST_TERMS)).log_survival(a, b)
    estimates = []
    for start, exact in ((n, log_s[: n - top - 1]), (n + _FIRST_TERMS, log_s)):
        tail, quad_error = _log_tail(a, b, c, start)
        head = float(logsumexp(exact)) if exact.size else -math.inf
        with np.errstate(invalid="ignore"):
            estimates.append((float(np.logaddexp(head, tail)), quad_error))
    (first, first_error), (second, second_error) = estimates
    with np.errstate(all="ignore"):
        error = max(abs(float(np.expm1(first - second))), first_error, second_error)
    if not error <= _SERIES_TOLERANCE:
        known = f"uncertain by {error:.2e} (relative)" if math.isfinite(error) else "not found"
        raise ValidationError(
            f"the undiscounted series converges too slowly to be summed (alpha * c = {a * c:.6g}, "
            f"c = {c:.6g}): its value is {known}; give a discount_rate > 0"
        )
    return second


@attrs.frozen(kw_only=True, repr=False)
class BetaDiscreteWeibull(Model):
    r"""Beta-discrete-Weibull (BdW) model of how long subscribers stay, with duration dependence.

    A subscriber with churn propensity :math:`\theta` survives period
    :math:`t` with probability :math:`(1 - \theta)^{t^c - (t-1)^c}` (a
    discrete-Weibull lifetime): the individual churn probability
    :math:`\theta_t = 1 - (1 - \theta)^{t^c - (t-1)^c}` falls with tenure
    when ``c < 1``, rises when ``c > 1``, and is constant (the sBG,
    :class:`~relmark.ShiftedBetaGeo`) when ``c = 1``.  Across subscribers
    :math:`\theta \sim \mathrm{Beta}(\alpha, \beta)`.

    Parameters
    ----------
    alpha, beta : float
        Beta-distribution parameters of the churn propensity, > 0.
    c : float
        Weibull shape: the duration dependence of each subscriber's churn
        probability, > 0.
    fit_info : FitInfo, optional
        Set by :meth:`fit_survival` and :meth:`fit_individual`.

    Raises
    ------
    TypeError
        If a parameter is not a real number.
    ValidationError
        If a parameter is not a positive finite number.

    Notes
    -----
    The lifetime :math:`T \in \{1, 2, \dots\}` (the period in which a
    subscriber cancels) has

    .. math::

        S(t) = P(T > t) = \frac{B(\alpha, \beta + t^c)}{B(\alpha, \beta)},\qquad
        P(T = t) = S(t - 1) - S(t),\qquad r(t) = \frac{S(t)}{S(t - 1)}.

    :math:`S(t)` behaves as :math:`t^{-\alpha c}` for large ``t``, so the
    mean lifetime is finite only when :math:`\alpha c > 1`.  The log-gamma
    ratios are evaluated by Stirling's series from argument 10 (absolute error
    :math:`\epsilon\,\alpha\log(\beta + t^c)`, not :math:`\epsilon\,t^c\log t^c`
    as a difference of ``betaln`` values would give).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T. (2018).
    "How to project customer retention" revisited: the role of duration
    dependence. *Journal of Interactive Marketing*, 43, 1-16.

    Examples
    --------
    >>> from relmark.models import BetaDiscreteWeibull
    >>> model = BetaDiscreteWeibull(alpha=0.704, beta=1.182, c=1.0)
    >>> model.survival([1, 2, 3]).round(3).tolist()   # c = 1: the sBG's
    [0.627, 0.474, 0.388]
    >>> round(BetaDiscreteWeibull(alpha=0.704, beta=1.182, c=1.5).survival(3), 3)
    0.286
    """

    alpha: float
    beta: float
    c: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)

    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("alpha"),
        Parameter("beta"),
        Parameter("c"),
    )

    # what relmark.contract_interval reads of a contract model's class: the objective of churn
    # and censoring counts (its refits), and the exponent of the tail S(t) ~ t^-(alpha c)
    # (where an undiscounted lifetime is finite)
    _tenure_objective = staticmethod(_tenure_objective)
    _tail_index_name: ClassVar[str] = "alpha * c"

    @staticmethod
    def _tail_index(theta: FloatArray) -> FloatArray:
        r"""Return :math:`\alpha c` at rows of ``(alpha, beta, c)``."""
        index: FloatArray = theta[..., 0] * theta[..., 2]
        return index

    # ------------------------------------------------------------------ fitting
    @classmethod
    def _fit(
        cls,
        churn_t: FloatArray,
        churn_w: FloatArray,
        alive_t: FloatArray,
        alive_w: FloatArray,
        start: Mapping[str, float] | None,
        n_rows: int,
    ) -> Self:
        """Fit to churn and censoring counts (the arguments of :meth:`ShiftedBetaGeo._fit`)."""
        _check_churners(float(churn_w.sum()))
        if start is None:
            start = cls._sbg_start((churn_t, churn_w, alive_t, alive_w, n_rows))
        return cls._maximize(
            _tenure_objective(churn_t, churn_w, alive_t, alive_w),
            start=start,
            scales={},
            n_customers=float(churn_w.sum() + alive_w.sum()),
            n_rows=n_rows,
            explain=lambda: _describe(churn_t, churn_w, alive_t, alive_w),
        )

    @staticmethod
    def _sbg_start(rows: TenureRows) -> dict[str, float] | None:
        """Return the sBG fit (``c = 1``) of the rows as a start, or None where it fails."""
        try:
            sbg = ShiftedBetaGeo._fit(*rows[:4], None, rows[4])
        except (ConvergenceError, ValidationError):
            return None
        return {"alpha": sbg.alpha, "beta": sbg.beta, "c": 1.0}

    @classmethod
    def fit_survival(cls, alive: ArrayLike, *, start: Mapping[str, float] | None = None) -> Self:
        r"""Estimate the parameters from a cohort's survivor counts.

        Parameters
        ----------
        alive : array_like, shape (n + 1,)
            ``alive[0]`` is the cohort size, ``alive[t]`` the number still
            customers after ``t`` periods (non-increasing).  Those still
            customers after the last period are right-censored.
        start : mapping of str to float, optional
            Starting values for ``alpha``, ``beta`` and ``c`` (default: the
            sBG fit of the same data with ``c = 1``).

        Returns
        -------
        BetaDiscreteWeibull
            With ``fit_info`` set (``n_customers`` is the cohort size).

        Raises
        ------
        ValidationError
            If ``alive`` has fewer than two values, a negative or rising
            count, or nobody churned.
        ConvergenceError
            If the optimiser fails, e.g. when the counts cover too few
            periods to identify three parameters.

        Notes
        -----
        .. math::

            LL(\alpha, \beta, c) = \sum_{t=1}^{n} (n_{t-1} - n_t)\log P(T = t)
            + n_n \log S(n),

        with :math:`n_t` = ``alive[t]``; maximised over the log-parameters with
        the exact gradient (class Notes and :func:`_neg_log_likelihood`).

        References
        ----------
        Fader, Hardie, Liu, Davin & Steenburgh (2018), section 2.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> high_end = [1000, 869, 743, 653, 593, 551, 517, 491]
        >>> model = BetaDiscreteWeibull.fit_survival(high_end)
        >>> round(model.alpha, 3), round(model.beta, 3), round(model.c, 3)
        (0.214, 1.427, 1.724)
        """
        churn_t, churn_w, alive_t, alive_w, n_rows = _survival_rows(alive)
        return cls._fit(churn_t, churn_w, alive_t, alive_w, start, n_rows)

    @classmethod
    def fit_individual(
        cls,
        tenure: ArrayLike,
        churned: ArrayLike,
        *,
        start: Mapping[str, float] | None = None,
    ) -> Self:
        r"""Estimate the parameters from individual subscribers' tenures.

        Parameters
        ----------
        tenure : array_like, shape (n,)
            Whole periods observed: for a churned subscriber the period in
            which they cancelled (>= 1), for an active one the number of
            periods they have completed (>= 0).
        churned : array_like of bool, shape (n,)
            Whether each subscriber has cancelled.
        start : mapping of str to float, optional
            Starting values for ``alpha``, ``beta`` and ``c`` (default: the
            sBG fit with ``c = 1``).

        Returns
        -------
        BetaDiscreteWeibull
            With ``fit_info`` set.

        Raises
        ------
        ValidationError
            If a tenure is negative, fractional or 0 for a churned
            subscriber, the lengths differ, or nobody churned.
        ConvergenceError
            If the optimiser fails.

        Notes
        -----
        .. math::

            LL = \sum_{i:\,\text{churned}} \log P(T = t_i)
            + \sum_{i:\,\text{active}} \log S(t_i),

        over the distinct (tenure, churned) rows with their counts as weights.

        References
        ----------
        Fader, Hardie, Liu, Davin & Steenburgh (2018), section 2.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> truth = BetaDiscreteWeibull(alpha=1.2, beta=2.0, c=1.6)
        >>> tenure, churned = truth.simulate(20_000, 12, rng=7)
        >>> fitted = BetaDiscreteWeibull.fit_individual(tenure, churned)
        >>> [round(v, 1) for v in fitted.params.values()]
        [1.2, 2.0, 1.6]
        """
        churn_t, churn_w, alive_t, alive_w, n_rows = _individual_rows(tenure, churned)
        return cls._fit(churn_t, churn_w, alive_t, alive_w, start, n_rows)

    # -------------------------------------------------------------- likelihood
    def individual_log_likelihood(self, tenure: ArrayLike, churned: ArrayLike) -> FloatArray:
        r"""Log-likelihood of each subscriber's tenure.

        Parameters
        ----------
        tenure, churned : array_like, shape (n,)
            As in :meth:`fit_individual`.

        Returns
        -------
        ndarray, shape (n,)
            :math:`\log P(T = t_i)` for churned subscribers, :math:`\log S(t_i)`
            for active ones.

        Raises
        ------
        ValidationError
            As in :meth:`fit_individual`.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> model = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=1.0)
        >>> model.individual_log_likelihood([1, 1], [True, False]).round(4).tolist()
        [-0.6931, -0.6931]
        """
        t, c = _check_tenure(tenure, churned)
        result = np.empty(t.size)
        churn = c == 1.0
        result[churn] = _log_churn(self.alpha, self.beta, self.c, t[churn])
        result[~churn] = _Clock.of(self.c, t[~churn]).log_survival(self.alpha, self.beta)
        return result

    def survival_log_likelihood(self, alive: ArrayLike) -> float:
        """Log-likelihood of a cohort's survivor counts.

        Parameters
        ----------
        alive : array_like, shape (n + 1,)
            As in :meth:`fit_survival`.

        Returns
        -------
        float

        Raises
        ------
        ValidationError
            As in :meth:`fit_survival`.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> model = BetaDiscreteWeibull(alpha=0.668, beta=3.806, c=1.0)
        >>> round(model.survival_log_likelihood([1000, 869, 743, 653, 593, 551, 517, 491]), 1)
        -1611.2
        """
        counts = _check_alive(alive)
        value, _ = _neg_log_likelihood(
            self._theta,
            churn_t=np.arange(1.0, counts.size),
            churn_w=-np.diff(counts),
            alive_t=np.array([float(counts.size - 1)]),
            alive_w=counts[-1:],
        )
        return -value

    # -------------------------------------------------------------- predictions
    @overload
    def survival(self, t: float) -> float: ...

    @overload
    def survival(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def survival(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        r"""Probability of still being a subscriber after ``t`` periods, :math:`S(t)`.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 0.

        Returns
        -------
        float or ndarray
            Float for scalar ``t``.

        Raises
        ------
        ValidationError
            If ``t`` is negative or fractional.

        Notes
        -----
        :math:`S(t) = B(\alpha, \beta + t^c)/B(\alpha, \beta)`.

        References
        ----------
        Fader, Hardie, Liu, Davin & Steenburgh (2018), eq. for the BdW survivor function.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> round(BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=2.0).survival(2), 4)
        0.2
        """
        periods, scalar = _periods("t", t, minimum=0)
        values: FloatArray = np.exp(_Clock.of(self.c, periods).log_survival(self.alpha, self.beta))
        return _out(values, scalar)

    @overload
    def churn_probability(self, t: float) -> float: ...

    @overload
    def churn_probability(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def churn_probability(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        r"""Probability of cancelling in period ``t``, :math:`P(T = t)`.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 1.

        Returns
        -------
        float or ndarray

        Raises
        ------
        ValidationError
            If ``t`` is below 1 or fractional.

        Notes
        -----
        :math:`P(T = t) = S(t - 1)\,[1 - r(t)]`, evaluated in log space
        (``log1p``/``expm1``), with no subtraction of nearly equal survivals.

        References
        ----------
        Fader, Hardie, Liu, Davin & Steenburgh (2018), section 2.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> model = BetaDiscreteWeibull(alpha=1.0, beta=1.0, c=2.0)
        >>> model.churn_probability([1, 2]).round(4).tolist()   # 1 - 1/2, 1/2 - 1/5
        [0.5, 0.3]
        """
        periods, scalar = _periods("t", t, minimum=1)
        values: FloatArray = np.exp(_log_churn(self.alpha, self.beta, self.c, periods))
        return _out(values, scalar)

    @overload
    def retention_rate(self, t: float) -> float: ...

    @overload
    def retention_rate(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def retention_rate(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        r"""Share of the subscribers alive after ``t - 1`` periods who renew in period ``t``.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 1.

        Returns
        -------
        float or ndarray

        Raises
        ------
        ValidationError
            If ``t`` is below 1 or fractional.

        Notes
        -----
        :math:`r(t) = S(t)/S(t - 1) = B(\alpha, \beta + t^c)/B(\alpha, \beta + (t - 1)^c)`;
        for ``c > 1`` it can fall before it rises (a U-shaped curve).

        References
        ----------
        Fader, Hardie, Liu, Davin & Steenburgh (2018), section 2.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> model = BetaDiscreteWeibull(alpha=1.0, beta=3.0, c=1.0)
        >>> model.retention_rate([1, 2]).round(12).tolist()   # (b + t - 1)/(a + b + t - 1)
        [0.75, 0.8]
        """
        periods, scalar = _periods("t", t, minimum=1)
        values: FloatArray = np.exp(_log_retention(self.alpha, self.beta, self.c, periods))
        return _out(values, scalar)

    def expected_lifetime(self) -> float:
        r"""Return the expected number of periods a new subscriber stays, :math:`E[T]`.

        Returns
        -------
        float
            :math:`\sum_{t \ge 0} S(t)`; ``inf`` when :math:`\alpha c \le 1`,
            where the series diverges (use :meth:`expected_residual_lifetime`
            with a discount rate).

        Raises
        ------
        ValidationError
            If the series cannot be summed to a relative accuracy of 1e-10
            (a very small ``c``, whose survival reaches its power-law tail
            only at astronomically long tenures).

        Notes
        -----
        The first 1,024 terms are summed exactly and the rest by the
        Euler-Maclaurin formula, :math:`\int_n^\infty S + S(n)/2 - S'(n)/12`,
        the integral by adaptive quadrature over a variable in which the
        power-law tail :math:`S(t) \asymp t^{-\alpha c}` is bounded; the same
        from 1,024 terms later (those in between summed exactly) checks the
        result, which is refused when the two, or the quadrature's error
        estimate, differ by more than 1e-10 relative.  Checked against the
        closed form below, :math:`\sum 1/(1 + t^2)` and 90-digit mpmath sums.
        With ``c = 1`` this is the sBG's :math:`(\alpha + \beta - 1)/(\alpha - 1)`.

        References
        ----------
        Fader, Hardie, Liu, Davin & Steenburgh (2018), section 2.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> round(BetaDiscreteWeibull(alpha=3.0, beta=4.0, c=1.0).expected_lifetime(), 6)
        3.0
        """
        a, b, c = self.alpha, self.beta, self.c
        if a * c <= 1.0:
            return math.inf
        with np.errstate(over="ignore"):  # beyond the largest float: inf
            return 1.0 + float(np.exp(_log_far_sum(a, b, c, 0)))

    @overload
    def expected_residual_lifetime(
        self, periods_survived: float = 0, discount_rate: float = 0.0
    ) -> float: ...

    @overload
    def expected_residual_lifetime(
        self, periods_survived: NDArray[Any] | Sequence[float], discount_rate: float = 0.0
    ) -> FloatArray: ...

    def expected_residual_lifetime(
        self,
        periods_survived: float | NDArray[Any] | Sequence[float] = 0,
        discount_rate: float = 0.0,
    ) -> float | FloatArray:
        r"""Discounted expected residual lifetime (DERL) of a subscriber about to renew.

        Parameters
        ----------
        periods_survived : int or array_like of int, default 0
            Renewals made so far: the subscriber has been one for this many
            whole periods.
        discount_rate : float, default 0
            Discount rate per period, >= 0.

        Returns
        -------
        float or ndarray
            Expected discounted number of future payments, valued just before
            the next renewal decision (the first one undiscounted), as
            :meth:`relmark.ShiftedBetaGeo.expected_residual_lifetime`.  ``inf``
            where ``discount_rate == 0`` and :math:`\alpha c \le 1`.

        Raises
        ------
        ValidationError
            If ``periods_survived`` is negative or fractional,
            ``discount_rate`` is negative or too close to 0 for the series
            (below about 5e-6, as for the sBG), or at ``discount_rate == 0`` the series
            cannot be summed (:meth:`expected_lifetime`).

        Notes
        -----
        With :math:`s` periods survived and :math:`d` the discount rate,

        .. math::

            DERL(d \mid s) = \sum_{t > s} \frac{S(t)}{S(s)}\,(1 + d)^{-(t - s - 1)}.

        With :math:`d > 0` the terms are summed in log space (one reverse
        cumulative log-sum-exp for all :math:`s`) until the geometric bound
        on the rest, :math:`(1 + d)^{-K}(1 + d)/d` of the sum, is below
        1e-17.  With :math:`d = 0` the terms up to the largest :math:`s` are
        summed exactly and the rest as in :meth:`expected_lifetime` (relative
        accuracy 1e-10); ``periods_survived`` above 10,000,000 is refused.

        References
        ----------
        Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
        contractual setting: the perils of ignoring heterogeneity. *Marketing
        Science*, 29(1), 85-93 (DERL, eq. 3).

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> model = BetaDiscreteWeibull(alpha=0.668, beta=3.806, c=1.0)
        >>> model.expected_residual_lifetime([0, 4], discount_rate=0.1).round(2).tolist()
        [5.41, 6.9]
        """
        s, scalar = _periods("periods_survived", periods_survived, minimum=0)
        d = as_scalar("discount_rate", discount_rate, low=0.0)
        values = self._undiscounted_residual(s) if d == 0.0 else self._discounted_residual(s, d)
        return _out(values, scalar)

    def _discounted_residual(self, survived: FloatArray, d: float) -> FloatArray:
        most = int(survived.max())
        top = most + _series_terms(d, most) + 1
        log_z = -math.log1p(d)
        t = np.arange(top + 1, dtype=np.float64)
        log_s = _Clock.of(self.c, t).log_survival(self.alpha, self.beta)
        exponents = log_s[1:] + t[1:] * log_z  # t = 1 .. top
        tail = np.logaddexp.accumulate(exponents[::-1])[::-1]  # tail[i] = lse over t >= i + 1
        index = survived.astype(np.intp)
        result: FloatArray = np.exp(tail[index] - (survived + 1.0) * log_z - log_s[index])
        return result

    def _undiscounted_residual(self, survived: FloatArray) -> FloatArray:
        a, b, c = self.alpha, self.beta, self.c
        if a * c <= 1.0:
            return np.full(survived.shape, math.inf)
        most = max(int(survived.max()), 1)
        if most > _MAX_TERMS:
            raise ValidationError(
                f"`periods_survived` up to {most:,} needs a series of as many terms; "
                f"at most {_MAX_TERMS:,} are summed"
            )
        t = np.arange(most + 1, dtype=np.float64)
        log_s = _Clock.of(c, t).log_survival(a, b)
        far = _log_far_sum(a, b, c, most)  # sum over t > most
        # near[i] = log sum_{t = i + 1}^{most} S(t) with far added: the sum over t > i
        above = np.logaddexp.accumulate(np.r_[log_s[1:], far][::-1])[::-1]
        index = survived.astype(np.intp)
        result: FloatArray = np.exp(above[index] - log_s[index])
        return result

    def simulate(
        self, n_customers: int, periods: int, rng: np.random.Generator | int | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        r"""Draw a cohort's tenures observed for ``periods`` periods.

        Parameters
        ----------
        n_customers : int
            Cohort size (>= 0).
        periods : int
            Periods observed (>= 1).
        rng : numpy.random.Generator, int or None
            Randomness source or seed.

        Returns
        -------
        tenure : ndarray of int64, shape (n,)
            The period of cancellation for those who cancelled, else ``periods``.
        churned : ndarray of bool, shape (n,)
            Whether each subscriber cancelled within ``periods``; ready for
            :meth:`fit_individual`.

        Raises
        ------
        ValidationError
            If ``n_customers`` or ``periods`` is out of range.

        Notes
        -----
        Each subscriber draws :math:`\theta \sim \mathrm{Beta}(\alpha, \beta)`
        and :math:`U \sim \mathrm{Uniform}(0, 1)`; as :math:`T > t` exactly when
        :math:`U < (1 - \theta)^{t^c}`, the lifetime is
        :math:`T = \max(1, \lceil y^{1/c}\rceil)` with
        :math:`y = \log U / \log(1 - \theta)`.

        References
        ----------
        Fader, Hardie, Liu, Davin & Steenburgh (2018), section 2.

        Examples
        --------
        >>> from relmark.models import BetaDiscreteWeibull
        >>> model = BetaDiscreteWeibull(alpha=0.7, beta=3.8, c=1.3)
        >>> tenure, churned = model.simulate(1000, 7, rng=1)
        >>> int(tenure.max()), bool(churned[tenure < 7].all())
        (7, True)
        """
        count = as_count(
            "n_customers",
            n_customers,
            maximum=MAX_SIMULATED_CUSTOMERS,
            why="simulate larger cohorts in parts with different seeds",
        )
        horizon = as_count("periods", periods, minimum=1)
        generator = as_rng(rng)
        theta = generator.beta(self.alpha, self.beta, size=count)
        uniform = generator.random(count)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            y = np.log(uniform) / np.log1p(-theta)  # inf where theta == 0, 0 where theta == 1
            lifetime = np.ceil(y ** (1.0 / self.c))
        lifetime = np.where(np.isnan(lifetime), float(horizon + 1), lifetime)
        lifetime = np.clip(lifetime, 1.0, float(horizon + 1))
        churned = lifetime <= horizon
        return np.minimum(lifetime, horizon).astype(np.int64), churned
