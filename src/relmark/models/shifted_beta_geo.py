"""Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, 2010)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, overload

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma
from typing_extensions import Self

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    FloatArray,
    as_count,
    as_float_array,
    as_instance,
    as_rng,
    as_scalar,
    check_same_length,
    check_whole,
    fail_rows,
    readonly,
)
from relmark.data._keys import distinct_rows
from relmark.data.covariates import Covariates
from relmark.exceptions import ConvergenceError, ValidationError
from relmark.models._base import _AT_MAXIMUM, Model, Parameter, _check_design
from relmark.models._covariates import NO_EFFECTS, Effects, Link, covariate_objective
from relmark.models._fitting import FitInfo, NegLogLikelihood, profile_likelihood_intervals
from relmark.models._special import (
    log_rising_ratio,
    log_rising_ratio_slope,
    log_rising_ratio_steps,
)

__all__ = ["ShiftedBetaGeo"]


def _periods(name: str, value: ArrayLike, *, minimum: float) -> tuple[FloatArray, bool]:
    """Return whole-number periods >= ``minimum`` as an array, and whether input was scalar."""
    scalar = np.ndim(value) == 0
    array = as_float_array(name, np.atleast_1d(np.asarray(value)))
    check_whole(name, array)
    bad = array < minimum
    fail_rows(
        name,
        f"must be >= {minimum:g}",
        bad,
        array,
    )
    return array, scalar


def _out(values: FloatArray, scalar: bool) -> float | FloatArray:
    return float(values[0]) if scalar else values


#: A parameter: a float, or one value per row in a row view.
Rate = float | FloatArray


def _log_survival(a: Rate, b: Rate, t: FloatArray) -> FloatArray:
    r"""Return :math:`\log S(t) = \log B(a, b + t) - \log B(a, b) = -\log[(a + b)_t/(b)_t]`.

    Exact to rounding (:func:`~relmark.models._special.log_rising_ratio`); the
    difference of ``betaln`` values is off by up to :math:`10^{-11}` at
    :math:`b + t \approx 10^4`, which is most of a log-likelihood near 0.
    """
    return -_log_rising(b, a, t)


def _log_churn(a: Rate, b: Rate, t: FloatArray) -> FloatArray:
    r"""Return :math:`\log P(T = t) = \log\frac{a}{a + b} - \log[(a + 1 + b)_{t-1}/(b)_{t-1}]`.

    ``a`` and ``b`` are floats, or arrays aligned with ``t`` (a row view).
    """
    first = math.log1p(b / a) if isinstance(a, float) and isinstance(b, float) else np.log1p(b / a)
    return -first - _log_rising(b, a + 1.0, t - 1.0)


def _log_rising(z: Rate, e: Rate, h: FloatArray) -> FloatArray:
    """Return ``log[(z + e)_h / (z)_h]`` for whole ``h >= 0``.

    Many periods up to a modest maximum are looked up in a table over
    ``0 .. max(h)`` built at one logarithm per entry
    (:func:`~relmark.models._special.log_rising_ratio_steps`), otherwise each is
    evaluated on its own; either way exact to a few roundings.  Per-row ``z``
    and ``e`` (a row view) are evaluated row by row, vectorised.
    """
    top = float(np.max(h, initial=0.0))
    if np.ndim(z) == 0 and np.ndim(e) == 0 and h.size > 64 and top < 4.0 * h.size:
        table = log_rising_ratio_steps(int(top) + 1, (1.0, z, e))[0]
        result: FloatArray = table[h.astype(np.intp)]
        return result
    return log_rising_ratio(z, e, h)


_DIGAMMA_EXACT_BELOW = 1e3  # psi(z + h) - psi(z) by digamma to ~1e-12 relative below this z


def _digamma_steps(z: FloatArray, h: FloatArray) -> FloatArray:
    r"""Return :math:`\psi(z + h) - \psi(z)` per row for whole ``h >= 0``, exact to ~1e-12.

    The difference of ``digamma`` values loses :math:`\epsilon\log z` absolutely
    against a result near :math:`h/z`, a relative error below 1e-12 for
    :math:`z < 10^3`; larger ``z`` take
    :func:`~relmark.models._special.log_rising_ratio_slope` (at shift 0, the
    same difference summed without cancellation, ten times slower).
    """
    result: FloatArray = digamma(z + h) - digamma(z)
    large = z >= _DIGAMMA_EXACT_BELOW
    if large.any():
        result[large] = log_rising_ratio_slope(z[large], 0.0, h[large])
    return result


def _rows_of(value: Rate, rows: NDArray[np.bool_]) -> Rate:
    """Return a parameter for the selected rows: itself if scalar, else its entries at ``rows``."""
    if np.ndim(value) == 0:
        return value
    selected: FloatArray = np.asarray(value)[rows]
    return selected


def _neg_log_likelihood(
    theta: FloatArray,
    *,
    churn_t: FloatArray,
    churn_w: FloatArray,
    alive_t: FloatArray,
    alive_w: FloatArray,
) -> tuple[float, FloatArray]:
    """Weighted negative log-likelihood of churn periods and censored tenures, with gradient."""
    a, b = (float(v) for v in theta)
    psi_ab = digamma(a + b)
    # churned in period t: P(T = t) = B(a + 1, b + t - 1) / B(a, b)
    psi_churn = digamma(a + b + churn_t)
    ll_churn = _log_churn(a, b, churn_t)
    da_churn = digamma(a + 1.0) - digamma(a) + psi_ab - psi_churn
    db_churn = digamma(b + churn_t - 1.0) - digamma(b) + psi_ab - psi_churn
    # still a customer after t periods: S(t) = B(a, b + t) / B(a, b)
    psi_alive = digamma(a + b + alive_t)
    ll_alive = _log_survival(a, b, alive_t)
    da_alive = psi_ab - psi_alive
    db_alive = digamma(b + alive_t) - digamma(b) + psi_ab - psi_alive
    value = float(churn_w @ ll_churn + alive_w @ ll_alive)
    gradient = np.array(
        [churn_w @ da_churn + alive_w @ da_alive, churn_w @ db_churn + alive_w @ db_alive]
    )
    return -value, -gradient


def _describe_tenures(
    churn_t: FloatArray, churn_w: FloatArray, alive_t: FloatArray, alive_w: FloatArray
) -> str:
    """Say what in the tenures can leave the churn distribution unidentified."""
    churned = churn_t[churn_w > 0]
    if np.all(churned == 1.0) and not np.any((alive_w > 0) & (alive_t >= 1.0)):
        return (
            "every customer cancelled in their first period, so the data cannot show how "
            "churn probabilities differ"
        )
    periods = np.union1d(churned, alive_t[alive_w > 0])
    if periods.size < 2:
        return (
            f"every tenure ends in period {periods[0]:.0f}, which cannot show how churn "
            "changes over time"
        )
    return ""


#: An sBG fit's data: churn periods, churner counts, censoring periods, survivor
#: counts, and the number of distinct rows.
TenureRows = tuple[FloatArray, FloatArray, FloatArray, FloatArray, int]


def _survival_rows(alive: ArrayLike) -> TenureRows:
    """Return a cohort's (churn periods, churners, censoring period, survivors, rows)."""
    counts = _check_alive(alive)
    lost = -np.diff(counts)
    periods = np.arange(1.0, counts.size)
    return periods, lost, np.array([float(counts.size - 1)]), counts[-1:].copy(), counts.size


def _individual_rows(tenure: ArrayLike, churned: ArrayLike) -> TenureRows:
    """Return customers' (churn periods, counts, censoring periods, counts, distinct rows)."""
    return _grouped_tenures(*_check_tenure(tenure, churned), None)


def _grouped_tenures(t: FloatArray, c: FloatArray, weights: FloatArray | None) -> TenureRows:
    """Return checked tenures grouped by (tenure, churned), each row counting ``weights`` (or 1)."""
    first, inverse = distinct_rows(t, c)
    counts = np.bincount(inverse, weights=weights, minlength=first.size).astype(np.float64)
    periods, is_churn = t[first], c[first] == 1.0
    return (
        periods[is_churn],
        counts[is_churn],
        periods[~is_churn],
        counts[~is_churn],
        int(first.size),
    )


@attrs.frozen
class _SubscriberRows:
    """A covariate fit's data: the distinct (covariates, tenure, churned) rows, with counts.

    ``design`` holds each distinct row's covariates (``(k, q)``, in
    ``effects.covariates`` order); subscribers sharing covariates, tenure and
    churn flag share a row, so a few categorical covariates multiply the
    rows of the fit without covariates by at most their number of cells.
    """

    design: FloatArray
    tenure: FloatArray
    churned: FloatArray
    counts: FloatArray

    def objective(self, effects: Effects) -> NegLogLikelihood:
        """Return the covariate objective over the rows (:func:`covariate_objective`)."""
        return covariate_objective(
            ShiftedBetaGeo._row_scores,
            (self.tenure, self.churned),
            self.counts,
            self.design,
            effects,
            ShiftedBetaGeo.parameter_names(),
        )

    def tenures(self) -> TenureRows:
        """Return the rows summed over the covariates: the data of the fit without them."""
        return _grouped_tenures(self.tenure, self.churned, self.counts)


def _subscriber_rows(
    tenure: ArrayLike, churned: ArrayLike, values: object, effects: Effects
) -> _SubscriberRows:
    """Return the checked, distinct rows of a fit with covariates (refusing constant ones)."""
    t, c = _check_tenure(tenure, churned)
    design = _subscriber_design(values, effects, t.size)
    first, codes = distinct_rows(*design.T, t, c)  # one pass: no loop over subscribers
    counts = np.bincount(codes, minlength=first.size).astype(np.float64)
    rows = _SubscriberRows(design[first], t[first], c[first], counts)
    _check_design(rows.design, effects, counts)
    return rows


# what a model with covariates lacks when it gets no subscribers' covariates
_NEED_VALUES = "they need `values`: the subscribers' Covariates, one row per subscriber"


def _subscriber_design(values: object, effects: Effects, n: int | None) -> FloatArray:
    """Return the columns ``effects`` needs from ``values``, one row per subscriber (``n``)."""
    checked = None if values is None else _check_values(values, n)
    return effects.design(checked, model="ShiftedBetaGeo", missing=_NEED_VALUES)


def _check_values(values: object, n: int | None) -> Covariates:
    """Return ``values`` checked to be Covariates with ``n`` rows (any number if None)."""
    checked = as_instance("values", values, Covariates)
    if n is not None and len(checked) != n:
        raise ValidationError(
            f"`values` must have one row per subscriber ({n:,}), got {len(checked):,}",
            argument="values",
        )
    return checked


def _tenure_objective(
    churn_t: FloatArray, churn_w: FloatArray, alive_t: FloatArray, alive_w: FloatArray
) -> NegLogLikelihood:
    """Return ``theta -> (-log-likelihood, gradient)`` of churn and censoring counts."""

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        return _neg_log_likelihood(
            theta, churn_t=churn_t, churn_w=churn_w, alive_t=alive_t, alive_w=alive_w
        )

    return objective


def _check_churners(churners: float) -> None:
    if churners <= 0:
        raise ValidationError(
            "the sBG model needs at least one churned customer to estimate churn; none churned"
        )


def _check_alive(alive: ArrayLike) -> FloatArray:
    counts = as_float_array("alive", alive, nonnegative=True, noun="periods")
    if counts.size < 2:
        raise ValidationError(
            "`alive` needs the cohort size and at least one later count, "
            f"got {counts.size} value(s)"
        )
    if counts[0] <= 0:
        raise ValidationError(f"`alive[0]` (the cohort size) must be > 0, got {counts[0]:g}")
    rising = np.r_[False, np.diff(counts) > 0]
    fail_rows(
        "alive",
        "must not increase over time (customers cannot come back in a cohort)",
        rising,
        counts,
        noun="periods",
    )
    return counts


def _check_tenure(tenure: ArrayLike, churned: ArrayLike) -> tuple[FloatArray, FloatArray]:
    t = as_float_array("tenure", tenure, nonnegative=True, noun="customers")
    check_whole("tenure", t, noun="customers")
    raw = np.asarray(churned)
    if raw.dtype != bool:
        c = as_float_array("churned", raw, noun="customers")
        bad = (c != 0) & (c != 1)
        fail_rows("churned", "must be True/False or 1/0", bad, noun="customers")
    else:
        c = raw.reshape(-1).astype(np.float64)
    check_same_length({"tenure": t, "churned": c})
    bad = (c == 1) & (t < 1)
    fail_rows(
        "tenure",
        "must be >= 1 for customers who churned (they churn in period 1 at the earliest)",
        bad,
        noun="customers",
    )
    return t, c


@attrs.frozen(kw_only=True, repr=False)
class ShiftedBetaGeo(Model):
    r"""Shifted-beta-geometric model of how long subscribers stay.

    At the end of each period a customer cancels with probability
    :math:`\theta`, constant over time for that customer; across customers
    :math:`\theta` follows a beta distribution with parameters ``alpha`` and
    ``beta``.  The cohort's retention rate rises over time because the
    customers with high :math:`\theta` leave first.

    Parameters
    ----------
    alpha, beta : float
        Beta-distribution parameters of the churn probability, > 0; with
        covariates, those of the reference subscriber (covariates all 0).
    fit_info : FitInfo, optional
        Set by :meth:`fit_survival` and :meth:`fit_individual`.
    effects : Effects, optional
        The churn covariates and their multipliers, set by
        :meth:`fit_individual` with ``covariates`` or by
        :meth:`~relmark.models._base.Model.with_coefficients`.

    Raises
    ------
    TypeError
        If a parameter is not a real number.
    ValidationError
        If a parameter is not a positive finite number.

    Notes
    -----
    The lifetime :math:`T \in \{1, 2, \dots\}` (the period in which a
    customer churns) has

    .. math::

        P(T = t) = \frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha, \beta)},\qquad
        S(t) = P(T > t) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)},\qquad
        r(t) = \frac{\beta + t - 1}{\alpha + \beta + t - 1}.

    With churn covariates :math:`z_i` (:meth:`fit_individual`), subscriber
    :math:`i` has

    .. math::

        \alpha_i = \alpha\, e^{z_i^\top\gamma_\alpha},\qquad
        \beta_i = \beta\, e^{z_i^\top\gamma_\beta},

    each with its own coefficients (``"churn.alpha[x]"``,
    ``"churn.beta[x]"``): the mean churn probability
    :math:`\alpha_i/(\alpha_i + \beta_i)` falls as :math:`\gamma_\beta` rises
    and climbs with :math:`\gamma_\alpha`, and both rising together keep it
    while narrowing the spread.  The population methods (:meth:`survival`,
    :meth:`retention_rate`, ...) then describe the reference subscriber
    (covariates all 0); the ``subscriber_*`` methods predict each subscriber
    at their own :math:`(\alpha_i, \beta_i)`.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90 (eqs. 5-8).

    Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: the perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93 (DERL, eq. 6).

    Examples
    --------
    >>> import relmark
    >>> model = relmark.ShiftedBetaGeo(alpha=0.704, beta=1.182)
    >>> model.survival([1, 2, 3]).round(3).tolist()
    [0.627, 0.474, 0.388]
    """

    alpha: float
    beta: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)
    effects: Effects = NO_EFFECTS

    parameters: ClassVar[tuple[Parameter, ...]] = (Parameter("alpha"), Parameter("beta"))
    #: Churn covariates scale both ``alpha`` and ``beta``, each with its own coefficient.
    links: ClassVar[tuple[Link, ...]] = (Link("alpha", "churn", 1), Link("beta", "churn", 1))

    # what relmark.contract_interval reads of a contract model's class: the objective of churn
    # and censoring counts (its refits), and the exponent of the tail S(t) ~ t^-alpha (where
    # an undiscounted lifetime is finite)
    _tenure_objective = staticmethod(_tenure_objective)
    _tail_index_name: ClassVar[str] = "alpha"

    @staticmethod
    def _tail_index(theta: FloatArray) -> FloatArray:
        r"""Return :math:`\alpha` at rows of ``(alpha, beta)``."""
        index: FloatArray = theta[..., 0]
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
        n_customers = float(churn_w.sum() + alive_w.sum())
        _check_churners(float(churn_w.sum()))

        return cls._maximize(
            _tenure_objective(churn_t, churn_w, alive_t, alive_w),
            start=start,
            scales={},
            n_customers=n_customers,
            n_rows=n_rows,
            explain=lambda: _describe_tenures(churn_t, churn_w, alive_t, alive_w),
        )

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
            Starting values for ``alpha`` and ``beta``.

        Returns
        -------
        ShiftedBetaGeo
            With ``fit_info`` set (``n_customers`` is the cohort size).

        Raises
        ------
        ValidationError
            If ``alive`` has fewer than two values, a negative or rising
            count, or nobody churned.
        ConvergenceError
            If the optimiser fails.

        Notes
        -----
        .. math::

            LL(\alpha, \beta) = \sum_{t=1}^{n} (n_{t-1} - n_t)\log P(T = t)
            + n_n \log S(n),

        with :math:`n_t` = ``alive[t]``; maximised with the exact gradient.

        References
        ----------
        Fader & Hardie (2007), eq. 9 (Appendix B).

        Examples
        --------
        >>> import relmark
        >>> high_end = [1000, 869, 743, 653, 593, 551, 517, 491]
        >>> model = relmark.ShiftedBetaGeo.fit_survival(high_end)
        >>> round(model.alpha, 3), round(model.beta, 3)
        (0.668, 3.806)
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
        covariates: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
        values: Covariates | None = None,
        shared: Sequence[str] = (),
        penalty: float = 0.0,
    ) -> Self:
        r"""Estimate the parameters from individual customers' tenures, optionally with covariates.

        Parameters
        ----------
        tenure : array_like, shape (n,)
            Whole periods observed: for a churned customer the period in
            which they cancelled (>= 1), for an active one the number of
            periods they have completed (>= 0).
        churned : array_like of bool, shape (n,)
            Whether each customer has cancelled.
        start : mapping of str to float, optional
            Starting values for ``alpha`` and ``beta`` (and, with covariates,
            optionally the multipliers, which otherwise start at 1; the
            default start is then the fit without covariates).
        covariates : mapping of str to sequence of str, or sequence of str, optional
            The churn covariates, ``{"churn": ["plan=annual"]}`` or simply
            ``["plan=annual"]``: names of columns of ``values``.  Each moves
            ``alpha`` and ``beta`` with its own coefficient (class Notes).
        values : Covariates, optional
            The subscribers' covariates, one row per subscriber, in the order
            of ``tenure``; needed with ``covariates``.
        shared : sequence of str
            As in :meth:`relmark.BetaGeo.fit`; the sBG has one process
            (``"churn"``), so no covariate can be shared.
        penalty : float, default 0
            L2 penalty :math:`\lambda\sum\gamma^2` on the coefficients;
            ``fit_info.log_likelihood`` stays the data's.  A penalty > 0
            pins coefficients the data cannot identify (a covariate constant
            over the subscribers) at 0.

        Returns
        -------
        ShiftedBetaGeo
            With ``fit_info`` set; with covariates, ``params`` adds each
            coefficient's multiplier :math:`e^{\gamma}` and ``coefficients``
            the :math:`\gamma`, named ``"churn.alpha[x]"`` and
            ``"churn.beta[x]"``.

        Raises
        ------
        TypeError
            If ``values`` is not a Covariates or ``covariates`` a single string.
        ValidationError
            If a tenure is negative, fractional or 0 for a churned customer,
            the lengths differ, or nobody churned; with covariates, if
            ``values`` is missing, has not one row per subscriber or lacks a
            covariate, a covariate is constant over the subscribers (without
            a penalty), ``covariates`` names a process other than
            ``"churn"``, or ``penalty`` is negative; without covariates, if
            ``values``, ``shared`` or ``penalty`` is given.
        ConvergenceError
            If the optimiser fails.

        Notes
        -----
        .. math::

            LL = \sum_{i:\,\text{churned}} \log P(T = t_i \mid \alpha_i, \beta_i)
            + \sum_{i:\,\text{active}} \log S(t_i \mid \alpha_i, \beta_i)
            - \lambda\sum\gamma^2,

        with :math:`\alpha_i = \alpha` and :math:`\beta_i = \beta` without
        covariates.  The customers are grouped by (covariate values, tenure,
        churned) before fitting, and the fit uses the exact gradient
        (:meth:`_row_scores` and the chain rule of
        :func:`~relmark.models._covariates.covariate_objective`).

        References
        ----------
        Fader & Hardie (2007), Appendix B.

        Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant
        covariates into the Pareto/NBD and BG/NBD models (the links).

        Examples
        --------
        >>> import numpy as np
        >>> import relmark
        >>> from relmark.data.covariates import Covariates
        >>> model = relmark.ShiftedBetaGeo.fit_individual(
        ...     tenure=[1, 1, 2, 3, 4, 4, 4, 2, 5, 5], churned=[1, 1, 1, 1, 0, 0, 0, 1, 0, 0]
        ... )
        >>> round(model.alpha, 2), round(model.beta, 2)
        (0.49, 1.61)

        Annual-plan subscribers who churn less (their ``beta`` :math:`e^{1.1}`,
        three times as large), drawn and fitted:

        >>> rng = np.random.default_rng(3)
        >>> annual = Covariates(names=("annual",), values=(rng.random((4000, 1)) < 0.5))
        >>> truth = relmark.ShiftedBetaGeo(alpha=0.8, beta=2.0).with_coefficients(
        ...     {"churn.alpha[annual]": 0.0, "churn.beta[annual]": 1.1}
        ... )
        >>> tenure, churned = truth.simulate(4000, 12, rng=rng, values=annual)
        >>> fitted = relmark.ShiftedBetaGeo.fit_individual(
        ...     tenure, churned, covariates=["annual"], values=annual
        ... )
        >>> {name: round(value, 2) for name, value in fitted.coefficients.items()}
        {'churn.alpha[annual]': 0.06, 'churn.beta[annual]': 1.24}
        >>> fitted.fit_info.n_rows   # distinct (annual, tenure, churned) rows fitted
        26
        """
        effects = cls._effects_of(covariates, values, shared, penalty)
        if not effects:
            churn_t, churn_w, alive_t, alive_w, n_rows = _individual_rows(tenure, churned)
            return cls._fit(churn_t, churn_w, alive_t, alive_w, start, n_rows)
        rows = _subscriber_rows(tenure, churned, values, effects)
        if start is None:
            start = cls._start_without_covariates(rows)
        return cls._fit_effects(rows, effects, start)

    @classmethod
    def _effects_of(
        cls,
        covariates: Mapping[str, Sequence[str]] | Sequence[str] | None,
        values: Covariates | None,
        shared: Sequence[str],
        penalty: float,
    ) -> Effects:
        """Return the covariate structure a fit asks for (none without ``covariates``).

        As :meth:`relmark.models._base.SummaryModel._effects_of`, which the
        sBG (fitted to tenures, not to a summary) does not inherit.
        """
        if covariates is None:
            if values is not None or shared or penalty:
                raise ValidationError(
                    "`values`, `shared` and `penalty` apply to covariates: give `covariates`, "
                    "the names of the churn covariates in `values`"
                )
            return NO_EFFECTS
        return Effects.specify(
            cls.links, covariates, shared=shared, penalty=penalty, model=cls.__name__
        )

    @classmethod
    def _start_without_covariates(cls, rows: _SubscriberRows) -> Mapping[str, float] | None:
        """Return the fit without covariates as a start (None where it fails: table starts)."""
        churn_t, churn_w, alive_t, alive_w, n_rows = rows.tenures()
        try:
            return cls._fit(churn_t, churn_w, alive_t, alive_w, None, n_rows).params
        except ConvergenceError:
            return None

    @classmethod
    def _fit_effects(
        cls, rows: _SubscriberRows, effects: Effects, start: Mapping[str, float] | None
    ) -> Self:
        """Fit ``alpha``, ``beta`` and the multipliers of ``effects`` to the distinct rows."""
        _check_churners(float(rows.churned @ rows.counts))
        return cls._maximize(
            rows.objective(effects),
            start=start,
            scales={},
            n_customers=float(rows.counts.sum()),
            n_rows=int(rows.counts.size),
            explain=lambda: _describe_tenures(*rows.tenures()[:4]),
            effects=effects,
        )

    def profile_intervals(
        self,
        level: float = 0.95,
        *,
        alive: ArrayLike | None = None,
        tenure: ArrayLike | None = None,
        churned: ArrayLike | None = None,
        values: Covariates | None = None,
        parameters: Sequence[str] | None = None,
    ) -> dict[str, tuple[float, float]]:
        r"""Return profile-likelihood intervals of the parameters, given the fit's data.

        Parameters
        ----------
        level : float, default 0.95
            Coverage, in (0, 1).
        alive : array_like, optional
            The survivor counts the model was fitted to (:meth:`fit_survival`).
        tenure, churned : array_like, optional
            Or the customers it was fitted to (:meth:`fit_individual`).
        values : Covariates, optional
            With a model with covariates, the subscribers' covariates it was
            fitted with (one row per subscriber).
        parameters : sequence of str, optional
            The parameters to profile (default all: ``alpha``, ``beta`` and
            any coefficients' multipliers, named as in ``params``).

        Returns
        -------
        dict of str to (float, float)
            ``(lower, upper)`` per parameter; ``0.0``/``inf`` where the data
            set no bound on that side.  A coefficient's interval is that of
            its multiplier :math:`e^{\gamma}`.

        Raises
        ------
        ValidationError
            If neither or both kinds of data are given, ``level`` is not in
            (0, 1), the model is not the maximum-likelihood fit of the data,
            a model with covariates gets ``alive`` or no ``values``, or a model
            without gets ``values``.

        Notes
        -----
        Where :math:`2[LL(\hat\theta) - \max_{\theta_{-j}} LL(\theta)] \le
        \chi^2_{1,\,level}`, as for the customer-base models
        (:meth:`relmark.BetaGeo.profile_intervals`); with a penalty,
        :math:`LL` is the penalised log-likelihood the fit maximised.

        Examples
        --------
        >>> import relmark
        >>> alive = [1000, 869, 743, 653, 593, 551, 517, 491]
        >>> model = relmark.ShiftedBetaGeo.fit_survival(alive)
        >>> bounds = model.profile_intervals(alive=alive)
        >>> [round(v, 3) for v in bounds["alpha"]]
        [0.506, 0.943]
        """
        if (alive is None) == (tenure is None and churned is None):
            raise ValidationError(
                "give the data the model was fitted to: `alive` (survivor counts) or "
                "`tenure` and `churned` (customers), not both and not neither"
            )
        objective, refit = self._refit(alive, tenure, churned, values)
        assert refit.fit_info is not None  # a fitted model always has one
        info = refit.fit_info
        if self.effects.penalty:  # the profile runs on the penalised objective the fit maximised
            info = attrs.evolve(info, log_likelihood=-objective(refit._theta)[0])
        own = -objective(self._theta)[0]
        best = info.log_likelihood
        if not 2.0 * (best - own) <= _AT_MAXIMUM:
            raise ValidationError(
                f"the ShiftedBetaGeo is not the maximum-likelihood fit of these data: its "
                f"log-likelihood is {own:,.4f} against {best:,.4f} at the maximum"
            )
        return profile_likelihood_intervals(
            "ShiftedBetaGeo", objective, info, level=level, parameters=parameters
        )

    def _refit(
        self,
        alive: ArrayLike | None,
        tenure: ArrayLike | None,
        churned: ArrayLike | None,
        values: Covariates | None,
    ) -> tuple[NegLogLikelihood, Self]:
        """Return the objective of the fit's data and the fit from this model's parameters."""
        if self.effects:
            if alive is not None:
                raise ValidationError(
                    "a ShiftedBetaGeo with covariates is fitted to subscribers: give `tenure`, "
                    "`churned` and `values`, not `alive`"
                )
            rows = _subscriber_rows(
                [] if tenure is None else tenure,
                [] if churned is None else churned,
                values,
                self.effects,
            )
            return rows.objective(self.effects), self._fit_effects(rows, self.effects, self.params)
        if values is not None:
            raise ValidationError(
                "`values` apply to a model with covariates; this ShiftedBetaGeo has none",
                argument="values",
            )
        data = (
            _survival_rows(alive)
            if alive is not None
            else _individual_rows(
                [] if tenure is None else tenure, [] if churned is None else churned
            )
        )
        return _tenure_objective(*data[:4]), type(self)._fit(*data[:4], self.params, data[4])

    # -------------------------------------------------------------- likelihood
    @classmethod
    def _row_scores(
        cls, params: FloatArray, tenure: FloatArray, churned: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        r"""Return each customer's tenure log-likelihood and its scores, with per-row parameters.

        Parameters
        ----------
        params : ndarray, shape (2, n)
            Each row's ``alpha`` and ``beta``.
        tenure : ndarray, shape (n,)
            Whole periods, as in :meth:`fit_individual` (>= 1 where churned).
        churned : ndarray, shape (n,)
            1.0 where the customer cancelled, 0.0 where still active.

        Returns
        -------
        ll : ndarray, shape (n,)
            :math:`\log P(T = t_i)` or :math:`\log S(t_i)` (class Notes), unweighted.
        scores : ndarray, shape (2, n)
            Derivatives of ``ll`` with respect to :math:`\log\alpha` and
            :math:`\log\beta` of each row.

        Notes
        -----
        With :math:`c` = 1 for a churned row and 0 for an active one and
        :math:`h = t - c`, both cases are

        .. math::

            \ell = -c\log(1 + \beta/\alpha) - \log\frac{(\alpha + c + \beta)_h}{(\beta)_h},

        .. math::

            \frac{\partial\ell}{\partial\log\alpha}
            = c - \alpha[\psi(\alpha + \beta + t) - \psi(\alpha + \beta)],
            \quad
            \frac{\partial\ell}{\partial\log\beta}
            = \beta\{[\psi(\beta + h) - \psi(\beta)]
            - [\psi(\alpha + \beta + t) - \psi(\alpha + \beta)]\},

        (using :math:`\psi(\alpha + 1) - \psi(\alpha) = 1/\alpha`); the digamma
        differences over whole steps are exact to rounding (:func:`_digamma_steps`).  Summed over
        the rows with weights they are the value and gradient (times the
        parameters) of the :meth:`fit_individual` objective.

        References
        ----------
        Fader & Hardie (2007), eqs. 6-7 and Appendix B.
        """
        a, b = params
        c = (churned == 1.0).astype(np.float64)
        h = tenure - c
        total = a + b
        rising = log_rising_ratio(b, a + c, h)
        ll: FloatArray = -(c * np.log1p(b / a)) - rising
        lasting = _digamma_steps(total, tenure)  # psi(a + b + t) - psi(a + b)
        scores = np.empty((2, tenure.size))
        np.subtract(c, a * lasting, out=scores[0])
        np.multiply(b, _digamma_steps(b, h) - lasting, out=scores[1])
        return ll, scores

    def individual_log_likelihood(
        self, tenure: ArrayLike, churned: ArrayLike, *, values: Covariates | None = None
    ) -> FloatArray:
        r"""Log-likelihood of each customer's tenure.

        Parameters
        ----------
        tenure, churned : array_like, shape (n,)
            As in :meth:`fit_individual`.
        values : Covariates, optional
            The subscribers' covariates, one row per subscriber: needed by a
            model with covariates, whose subscribers each have their own
            :math:`(\alpha_i, \beta_i)`; ignored by a model without.

        Returns
        -------
        ndarray, shape (n,)
            :math:`\log P(T = t_i)` for churned customers, :math:`\log S(t_i)`
            for active ones.

        Raises
        ------
        TypeError
            If ``values`` is not a Covariates.
        ValidationError
            As in :meth:`fit_individual`; or if a model with covariates gets
            no ``values``, or not one row per subscriber.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0)
        >>> model.individual_log_likelihood([1, 1], [True, False]).round(4).tolist()
        [-0.6931, -0.6931]
        """
        t, c = _check_tenure(tenure, churned)
        return self._subscribers(values, t.size)._log_likelihood_rows(t, c)

    def _log_likelihood_rows(self, tenure: FloatArray, churned: FloatArray) -> FloatArray:
        """Return :meth:`individual_log_likelihood` of checked rows (per-row parameters too)."""
        a, b = self.alpha, self.beta
        result = np.empty(tenure.size)
        churn = churned == 1
        result[churn] = _log_churn(_rows_of(a, churn), _rows_of(b, churn), tenure[churn])
        result[~churn] = _log_survival(_rows_of(a, ~churn), _rows_of(b, ~churn), tenure[~churn])
        return result

    def survival_log_likelihood(self, alive: ArrayLike) -> float:
        """Log-likelihood of a cohort's survivor counts.

        For a model with covariates, under the reference subscriber's
        parameters (covariates all 0).

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
        >>> import relmark
        >>> model = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)
        >>> round(model.survival_log_likelihood([1000, 869, 743, 653, 593, 551, 517, 491]), 1)
        -1611.2
        """
        counts = _check_alive(alive)
        value, _ = _neg_log_likelihood(
            np.array([self.alpha, self.beta]),
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
        r"""Probability of still being a customer after ``t`` periods, :math:`S(t)`.

        For a model with covariates, that of the reference subscriber
        (covariates all 0); :meth:`subscriber_survival` gives each subscriber's.

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
        :math:`S(t) = B(\alpha, \beta + t) / B(\alpha, \beta)`.

        References
        ----------
        Fader & Hardie (2007), eq. 7.

        Examples
        --------
        >>> import relmark
        >>> round(relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0).survival(3), 4)
        0.25
        """
        periods, scalar = _periods("t", t, minimum=0)
        return _out(self._survival_probability_rows(periods), scalar)

    def _survival_probability_rows(self, t: FloatArray) -> FloatArray:
        """Return :math:`S(t)` of checked periods; a row view's ``t`` is one per row (or one)."""
        result: FloatArray = np.exp(_log_survival(self.alpha, self.beta, t))
        return result

    @overload
    def churn_probability(self, t: float) -> float: ...

    @overload
    def churn_probability(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def churn_probability(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        r"""Probability of cancelling in period ``t``, :math:`P(T = t)`.

        For a model with covariates, that of the reference subscriber
        (covariates all 0); :meth:`subscriber_churn_probability` gives each subscriber's.

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
        :math:`P(T = t) = B(\alpha + 1, \beta + t - 1) / B(\alpha, \beta)`.

        References
        ----------
        Fader & Hardie (2007), eq. 6.

        Examples
        --------
        >>> import relmark
        >>> relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0).churn_probability([1, 2]).round(4).tolist()
        [0.5, 0.1667]
        """
        periods, scalar = _periods("t", t, minimum=1)
        return _out(self._churn_probability_rows(periods), scalar)

    def _churn_probability_rows(self, t: FloatArray) -> FloatArray:
        """Return :math:`P(T = t)` of checked periods; per row with a row view."""
        result: FloatArray = np.exp(_log_churn(self.alpha, self.beta, t))
        return result

    @overload
    def retention_rate(self, t: float) -> float: ...

    @overload
    def retention_rate(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def retention_rate(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        r"""Share of the customers alive after ``t - 1`` periods who renew in period ``t``.

        For a model with covariates, that of the reference subscriber
        (covariates all 0); :meth:`subscriber_retention_rate` gives each subscriber's.

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
        :math:`r(t) = S(t)/S(t-1) = (\beta + t - 1)/(\alpha + \beta + t - 1)`,
        increasing in ``t``.

        References
        ----------
        Fader & Hardie (2007), eq. 8.

        Examples
        --------
        >>> import relmark
        >>> relmark.ShiftedBetaGeo(alpha=1.0, beta=3.0).retention_rate([1, 2]).tolist()
        [0.75, 0.8]
        """
        periods, scalar = _periods("t", t, minimum=1)
        return _out(self._retention_rows(periods), scalar)

    def _retention_rows(self, t: FloatArray) -> FloatArray:
        """Return :math:`r(t)` of checked periods; per row with a row view."""
        b = self.beta + (t - 1.0)  # one rounding: beta + t - 1 loses beta's digits at t = 1
        result: FloatArray = b / (self.alpha + b)
        return result

    def expected_lifetime(self) -> float:
        r"""Return the expected number of periods a new customer stays, :math:`E[T]`.

        For a model with covariates, that of the reference subscriber
        (covariates all 0); :meth:`subscriber_expected_lifetime` gives each subscriber's.

        Returns
        -------
        float
            :math:`(\alpha + \beta - 1)/(\alpha - 1)` for ``alpha > 1``;
            ``inf`` for ``alpha <= 1``, where the mean lifetime is infinite
            (use :meth:`expected_residual_lifetime` with a discount rate).

        Notes
        -----
        :math:`E[T] = \sum_{t \ge 0} S(t) = E[1/\theta]`.

        References
        ----------
        Fader & Hardie (2010), eq. 5 with :math:`d = 0`.

        Examples
        --------
        >>> import relmark
        >>> relmark.ShiftedBetaGeo(alpha=3.0, beta=4.0).expected_lifetime()
        3.0
        """
        if self.alpha <= 1.0:
            return math.inf
        return (self.alpha + self.beta - 1.0) / (self.alpha - 1.0)

    def _expected_lifetime_rows(self) -> FloatArray:
        """Return :meth:`expected_lifetime` per row of a row view (``inf`` where alpha <= 1)."""
        a, b = np.broadcast_arrays(np.asarray(self.alpha, dtype=np.float64), self.beta)
        finite = a > 1.0
        result = np.full(a.shape, math.inf)
        np.divide(a + b - 1.0, a - 1.0, out=result, where=finite)
        return np.atleast_1d(result)

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
        r"""Discounted expected residual lifetime (DERL) of a customer about to renew.

        For a model with covariates, that of the reference subscriber
        (covariates all 0); :meth:`subscriber_residual_lifetime` gives each subscriber's.

        Parameters
        ----------
        periods_survived : int or array_like of int, default 0
            Renewals made so far (:math:`n - 1` in the paper): the customer
            has been a customer for this many whole periods.
        discount_rate : float, default 0
            Discount rate per period, >= 0.

        Returns
        -------
        float or ndarray
            Expected discounted number of future payments, valued just before
            the next renewal decision (the first one undiscounted).  ``inf``
            where ``discount_rate == 0`` and ``alpha <= 1``.

        Raises
        ------
        ValidationError
            If ``periods_survived`` is negative or fractional, or
            ``discount_rate`` is negative.

        Notes
        -----
        With :math:`s` periods survived and :math:`d` the discount rate,

        .. math::

            DERL(d \mid s) = \frac{\beta + s}{\alpha + \beta + s}\,
            {}_2F_1\left(1, \beta + s + 1; \alpha + \beta + s + 1; \frac{1}{1 + d}\right),

        which is :math:`(\beta + s)/(\alpha - 1)` when :math:`d = 0`.  Multiply by
        the payment per period for the residual lifetime value.  The
        hypergeometric series is summed in log space (exact to rounding for
        every valid parameter); rates in (0, 1e-5) are refused as the series
        then needs too many terms.

        References
        ----------
        Fader & Hardie (2010), eq. 6.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)
        >>> model.expected_residual_lifetime([0, 4], discount_rate=0.1).round(2).tolist()
        [5.41, 6.9]
        """
        s, scalar = _periods("periods_survived", periods_survived, minimum=0)
        d = as_scalar("discount_rate", discount_rate, low=0.0)
        return _out(self._residual_lifetime_rows(s, d), scalar)

    def _residual_lifetime_rows(self, survived: FloatArray, discount_rate: float) -> FloatArray:
        """Return DERL of checked ``survived`` at a checked rate (see the public method).

        With a row view ``survived`` is one per row (or one for all), and each
        row's series is summed with its own parameters
        (:func:`_discounted_residual_lifetime_rows`).
        """
        a, b = self.alpha, self.beta
        if np.ndim(a) == 0 and np.ndim(b) == 0:
            if discount_rate != 0.0:
                return _discounted_residual_lifetime(a, b, survived, discount_rate)
            values = np.full(survived.shape, math.inf) if a <= 1.0 else (b + survived) / (a - 1.0)
            return np.asarray(values, dtype=np.float64)
        alpha, base = np.broadcast_arrays(np.asarray(a, dtype=np.float64), b + survived)
        if discount_rate != 0.0:
            return _discounted_residual_lifetime_rows(alpha, base, discount_rate)
        result = np.full(alpha.shape, math.inf)
        np.divide(base, alpha - 1.0, out=result, where=alpha > 1.0)
        return result

    # ---------------------------------------------------- predictions per subscriber
    def _subscriber_periods(
        self, name: str, t: ArrayLike, values: Covariates, *, minimum: float
    ) -> tuple[ShiftedBetaGeo, FloatArray]:
        """Return the subscribers' model and ``t`` checked, one per row of ``values``."""
        n = len(_check_values(values, None))
        periods, _ = _periods(name, t, minimum=minimum)
        if periods.size not in (1, n):
            raise ValidationError(
                f"`{name}` must be one value or one per subscriber ({n:,}), "
                f"got {periods.size:,} values",
                argument=name,
            )
        return self._subscribers(values, n), np.broadcast_to(periods, (n,))

    def subscriber_survival(self, t: ArrayLike, values: Covariates) -> FloatArray:
        r"""Each subscriber's probability of still being a customer after ``t`` periods.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 0: one for every subscriber, or one each.
        values : Covariates
            The subscribers' covariates, one row per subscriber (a model
            without covariates gives every row :meth:`survival`).

        Returns
        -------
        ndarray, shape (n,)
            One per row of ``values``.

        Raises
        ------
        TypeError
            If ``values`` is not a Covariates.
        ValidationError
            If ``t`` is negative or fractional, or neither one value nor one
            per subscriber, or ``values`` lacks a covariate of the model.

        Notes
        -----
        :math:`S_i(t) = B(\alpha_i, \beta_i + t)/B(\alpha_i, \beta_i)`, with
        :math:`\alpha_i = \alpha e^{z_i^\top\gamma_\alpha}` and
        :math:`\beta_i = \beta e^{z_i^\top\gamma_\beta}` (class Notes).

        References
        ----------
        Fader & Hardie (2007), eq. 7.

        Examples
        --------
        >>> import math
        >>> import relmark
        >>> from relmark.data.covariates import Covariates
        >>> model = relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0).with_coefficients(
        ...     {"churn.alpha[annual]": 0.0, "churn.beta[annual]": math.log(3.0)}
        ... )
        >>> annual = Covariates(names=("annual",), values=[[0], [1]])
        >>> model.subscriber_survival(3, annual).round(4).tolist()   # 1/(1 + t), 3/(3 + t)
        [0.25, 0.5]
        """
        view, periods = self._subscriber_periods("t", t, values, minimum=0)
        return view._survival_probability_rows(periods)

    def subscriber_churn_probability(self, t: ArrayLike, values: Covariates) -> FloatArray:
        r"""Each subscriber's probability of cancelling in period ``t``.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 1: one for every subscriber, or one each.
        values : Covariates
            The subscribers' covariates, one row per subscriber.

        Returns
        -------
        ndarray, shape (n,)
            One per row of ``values``.

        Raises
        ------
        TypeError
            If ``values`` is not a Covariates.
        ValidationError
            If ``t`` is below 1 or fractional, or neither one value nor one
            per subscriber, or ``values`` lacks a covariate of the model.

        Notes
        -----
        :math:`P_i(T = t) = B(\alpha_i + 1, \beta_i + t - 1)/B(\alpha_i, \beta_i)`.

        References
        ----------
        Fader & Hardie (2007), eq. 6.

        Examples
        --------
        >>> import math
        >>> import relmark
        >>> from relmark.data.covariates import Covariates
        >>> model = relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0).with_coefficients(
        ...     {"churn.alpha[annual]": 0.0, "churn.beta[annual]": math.log(3.0)}
        ... )
        >>> annual = Covariates(names=("annual",), values=[[0], [1]])
        >>> model.subscriber_churn_probability(1, annual).round(4).tolist()
        [0.5, 0.25]
        """
        view, periods = self._subscriber_periods("t", t, values, minimum=1)
        return view._churn_probability_rows(periods)

    def subscriber_retention_rate(self, t: ArrayLike, values: Covariates) -> FloatArray:
        r"""Each subscriber's probability of renewing in period ``t``, alive after ``t - 1``.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 1: one for every subscriber, or one each.
        values : Covariates
            The subscribers' covariates, one row per subscriber.

        Returns
        -------
        ndarray, shape (n,)
            One per row of ``values``.

        Raises
        ------
        TypeError
            If ``values`` is not a Covariates.
        ValidationError
            If ``t`` is below 1 or fractional, or neither one value nor one
            per subscriber, or ``values`` lacks a covariate of the model.

        Notes
        -----
        :math:`r_i(t) = (\beta_i + t - 1)/(\alpha_i + \beta_i + t - 1)`.

        References
        ----------
        Fader & Hardie (2007), eq. 8.

        Examples
        --------
        >>> import math
        >>> import relmark
        >>> from relmark.data.covariates import Covariates
        >>> model = relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0).with_coefficients(
        ...     {"churn.alpha[annual]": 0.0, "churn.beta[annual]": math.log(3.0)}
        ... )
        >>> annual = Covariates(names=("annual",), values=[[0], [1]])
        >>> model.subscriber_retention_rate([1, 2], annual).round(4).tolist()
        [0.5, 0.8]
        """
        view, periods = self._subscriber_periods("t", t, values, minimum=1)
        return view._retention_rows(periods)

    def subscriber_expected_lifetime(self, values: Covariates) -> FloatArray:
        r"""Each new subscriber's expected number of periods as a customer, :math:`E[T_i]`.

        Parameters
        ----------
        values : Covariates
            The subscribers' covariates, one row per subscriber.

        Returns
        -------
        ndarray, shape (n,)
            :math:`(\alpha_i + \beta_i - 1)/(\alpha_i - 1)`; ``inf`` where
            :math:`\alpha_i \le 1` (see :meth:`expected_lifetime`).

        Raises
        ------
        TypeError
            If ``values`` is not a Covariates.
        ValidationError
            If ``values`` lacks a covariate of the model.

        References
        ----------
        Fader & Hardie (2010), eq. 5 with :math:`d = 0`.

        Examples
        --------
        >>> import math
        >>> import relmark
        >>> from relmark.data.covariates import Covariates
        >>> model = relmark.ShiftedBetaGeo(alpha=2.0, beta=1.0).with_coefficients(
        ...     {"churn.alpha[annual]": 0.0, "churn.beta[annual]": math.log(3.0)}
        ... )
        >>> annual = Covariates(names=("annual",), values=[[0], [1]])
        >>> model.subscriber_expected_lifetime(annual).round(4).tolist()
        [2.0, 4.0]
        """
        n = len(_check_values(values, None))
        lifetimes = self._subscribers(values, n)._expected_lifetime_rows()
        result: FloatArray = np.broadcast_to(lifetimes, (n,)).copy()  # one value without covariates
        return result

    def subscriber_residual_lifetime(
        self, tenure: ArrayLike, values: Covariates, *, discount_rate: float = 0.0
    ) -> FloatArray:
        r"""Each subscriber's discounted expected residual lifetime (DERL) after ``tenure`` periods.

        Parameters
        ----------
        tenure : int or array_like of int
            Whole periods each subscriber has completed (renewals made,
            ``periods_survived`` of :meth:`expected_residual_lifetime`; an
            active subscriber's tenure in :meth:`fit_individual`): one for
            every subscriber, or one each.
        values : Covariates
            The subscribers' covariates, one row per subscriber.
        discount_rate : float, default 0
            Discount rate per period, >= 0.

        Returns
        -------
        ndarray, shape (n,)
            Expected discounted number of future payments of each subscriber,
            valued just before the next renewal decision (the first one
            undiscounted); ``inf`` where ``discount_rate == 0`` and
            :math:`\alpha_i \le 1`.  Times the payment per period, the
            residual lifetime value.

        Raises
        ------
        TypeError
            If ``values`` is not a Covariates.
        ValidationError
            If ``tenure`` is negative or fractional, or neither one value nor
            one per subscriber, ``discount_rate`` is negative or in (0, 1e-5),
            or ``values`` lacks a covariate of the model.

        Notes
        -----
        With :math:`s_i` = ``tenure`` and :math:`d` the discount rate,

        .. math::

            DERL_i(d \mid s_i) = \frac{\beta_i + s_i}{\alpha_i + \beta_i + s_i}\,
            {}_2F_1\left(1, \beta_i + s_i + 1; \alpha_i + \beta_i + s_i + 1;
            \frac{1}{1 + d}\right),

        :math:`(\beta_i + s_i)/(\alpha_i - 1)` when :math:`d = 0` (the example's
        :math:`1/1` and :math:`(3 + 4)/1`); each row's
        series is summed with its own parameters (vectorised over the
        distinct :math:`(\alpha_i, \beta_i + s_i)`).

        References
        ----------
        Fader & Hardie (2010), eq. 6.

        Examples
        --------
        >>> import math
        >>> import relmark
        >>> from relmark.data.covariates import Covariates
        >>> model = relmark.ShiftedBetaGeo(alpha=2.0, beta=1.0).with_coefficients(
        ...     {"churn.alpha[annual]": 0.0, "churn.beta[annual]": math.log(3.0)}
        ... )
        >>> annual = Covariates(names=("annual",), values=[[0], [1]])
        >>> model.subscriber_residual_lifetime([0, 4], annual).round(4).tolist()
        [1.0, 7.0]
        """
        d = as_scalar("discount_rate", discount_rate, low=0.0)
        view, survived = self._subscriber_periods("tenure", tenure, values, minimum=0)
        return view._residual_lifetime_rows(survived, d)

    def simulate(
        self,
        n_customers: int,
        periods: int,
        rng: np.random.Generator | int | None = None,
        *,
        values: Covariates | None = None,
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
        values : Covariates, optional
            The subscribers' covariates, one row per subscriber: needed by a
            model with covariates, whose subscribers each draw from their own
            :math:`(\alpha_i, \beta_i)`; a model without draws everyone from
            the population.

        Returns
        -------
        tenure : ndarray of int64, shape (n,)
            The period of cancellation for those who cancelled, else ``periods``.
        churned : ndarray of bool, shape (n,)
            Whether each customer cancelled within ``periods``; ready for
            :meth:`fit_individual` (with ``values``, in their order).

        Raises
        ------
        TypeError
            If ``values`` is not a Covariates.
        ValidationError
            If ``n_customers`` or ``periods`` is out of range, or a model with
            covariates gets no ``values`` or not ``n_customers`` rows of them.

        Notes
        -----
        Each customer draws a churn probability :math:`\theta \sim
        \mathrm{Beta}(\alpha_i, \beta_i)` and cancels in period
        :math:`T \sim \mathrm{Geometric}(\theta)` (1, 2, ...); without
        covariates :math:`(\alpha_i, \beta_i) = (\alpha, \beta)`.

        References
        ----------
        Fader & Hardie (2007), section 2.

        Examples
        --------
        >>> import relmark
        >>> tenure, churned = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806).simulate(
        ...     1000, 7, rng=1
        ... )
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
        return self._subscribers(values, count)._draw_tenures(count, horizon, as_rng(rng))

    def _subscribers(self, values: Covariates | None, n: int | None) -> ShiftedBetaGeo:
        r"""Return the model for subscribers with ``values``: itself, or with covariates a row view.

        ``values`` given are checked to have ``n`` rows (any number if None).
        The row view is built as :meth:`relmark.models._base.SummaryModel._view`
        builds one for a summary (the sBG, fitted to tenures, does not inherit
        it): each subscriber's :math:`(\alpha_i, \beta_i)` as arrays, which
        only the ``_*_rows`` kernels see.
        """
        checked = None if values is None else _check_values(values, n)
        return self._view(checked, missing=_NEED_VALUES)

    def _draw_tenures(
        self, count: int, horizon: int, generator: np.random.Generator
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        """Draw :meth:`simulate`'s tenures; a row view's arrays are per customer (``count``)."""
        churn = np.clip(generator.beta(self.alpha, self.beta, size=count), 1e-300, 1.0)
        cancelled_in = generator.geometric(churn)
        churned = cancelled_in <= horizon
        return np.minimum(cancelled_in, horizon).astype(np.int64), churned


_MAX_TERMS = 10_000_000
_ROW_BLOCK = 4_096  # rows per block of the per-row series
_CELLS = 262_144  # rows times terms per step of the per-row series (2 MB: stays in cache)


def _series_terms(d: float, most_survived: int) -> int:
    """Return the terms that leave DERL's series a relative tail below 1e-17, or refuse ``d``.

    ``K`` terms leave at most :math:`z^K (1 + d)/d` with :math:`z = 1/(1 + d)`.
    """
    terms = math.ceil(math.log(1e-17 * d / (1.0 + d)) / -math.log1p(d)) + 1
    top = most_survived + terms + 1
    if top > _MAX_TERMS:
        raise ValidationError(
            f"`discount_rate` {d!r} is too close to 0 for the series to be summed "
            f"({top:,} terms); use discount_rate=0 (undiscounted) or a rate >= 1e-5"
        )
    return terms


def _discounted_residual_lifetime(
    alpha: float, beta: float, survived: FloatArray, d: float
) -> FloatArray:
    r"""Evaluate DERL exactly (to rounding) by a log-space reverse cumulative sum.

    With :math:`p_j = (\beta + j)/(\alpha + \beta + j)` and :math:`z = 1/(1 + d)`,
    :math:`DERL(s) = \sum_{k \ge 0} z^k \prod_{j=s}^{s+k} p_j`, the series of
    :math:`{}_2F_1(1, \beta + s + 1; \alpha + \beta + s + 1; z)`.  Writing
    :math:`C_m = \sum_{j<m}\log p_j` gives
    :math:`\log DERL(s) = \mathrm{lse}_{m > s}(m \log z + C_m) - C_s - (s+1)\log z`,
    one reverse cumulative log-sum-exp over all ``s`` at once.  Truncating
    after ``K`` terms leaves a relative error below :math:`z^K (1 + d)/d`,
    which ``K`` keeps under 1e-17.  scipy's ``hyp2f1`` overflows or returns
    NaN for large parameters near :math:`z = 1`, hence this route.
    """
    log_z = -math.log1p(d)
    top = int(survived.max()) + _series_terms(d, int(survived.max())) + 1
    j = np.arange(top, dtype=np.float64)
    log_p = -np.log1p(alpha / (beta + j))
    cumulative = np.concatenate(([0.0], np.cumsum(log_p)))  # C_0 .. C_top
    m = np.arange(1, top + 1, dtype=np.float64)
    exponents = m * log_z + cumulative[1:]
    tail = np.logaddexp.accumulate(exponents[::-1])[::-1]  # tail[i] = lse over m >= i + 1
    index = survived.astype(np.int64)
    log_value = tail[index] - cumulative[index] - (survived + 1.0) * log_z
    result: FloatArray = np.exp(log_value)
    return result


def _discounted_residual_lifetime_rows(alpha: FloatArray, base: FloatArray, d: float) -> FloatArray:
    r"""Evaluate DERL with per-row parameters: ``alpha`` and ``base`` = :math:`\beta + s` per row.

    Each row has its own factors :math:`p_j = (\beta + s + j)/(\alpha + \beta + s + j)`,
    so the shared cumulative sum of :func:`_discounted_residual_lifetime`
    does not apply; with :math:`q_j = p_j/(1 + d)`,
    :math:`DERL = (1 + d)\sum_{k \ge 0}\prod_{j \le k} q_j`, a sum of positive
    terms added in blocks of at least 64 (``_CELLS`` per block of rows, by a
    running cumulative product), vectorised over the distinct
    ``(alpha, base)`` rows.  As the :math:`p_j` rise towards 1 and :math:`q_j < 1/(1 + d)`, the
    tail after a term :math:`Q` is below :math:`Q/d`: a row stops once that
    is under 1e-17 of its sum, and every row after the terms of
    :func:`_series_terms` (the same bound, and refusal, as the shared path).
    The work is one pass per term and distinct row, against one per term
    for all rows sharing parameters.
    """
    first, codes = distinct_rows(alpha, base)
    terms = _series_terms(d, 0)
    a, b = alpha[first], base[first]
    sums = np.empty(first.size)
    width = min(max(64, _CELLS // min(first.size, _ROW_BLOCK)), terms)
    for start in range(0, first.size, _ROW_BLOCK):  # blocks of rows, for the cache
        rows = slice(start, start + _ROW_BLOCK)
        sums[rows] = _series_block(a[rows], b[rows], d, terms, width)
    result: FloatArray = (1.0 + d) * sums[codes]
    return result


def _series_block(a: FloatArray, b: FloatArray, d: float, terms: int, width: int) -> FloatArray:
    r"""Return :math:`\sum_{k<K}\prod_{j \le k} q_j` per row, ``width`` terms a step.

    Rows whose tail is below 1e-17 of their sum drop out after each step.
    """
    total = np.zeros(a.size)
    carry = np.ones(a.size)
    active = np.arange(a.size)
    steps = np.arange(width, dtype=np.float64)
    for offset in range(0, terms, width):  # a loop over blocks of terms, not rows
        shifted = b[active, None] + (offset + steps)
        products = shifted / ((a[active, None] + shifted) * (1.0 + d))
        np.cumprod(products, axis=1, out=products)
        products *= carry[active, None]
        total[active] += products.sum(axis=1)
        carry[active] = products[:, -1]
        active = active[carry[active] > 1e-17 * d * total[active]]
        if active.size == 0:
            break
    return total


def _row_view(alpha: ArrayLike, beta: ArrayLike) -> ShiftedBetaGeo:
    """Return a row view: a ShiftedBetaGeo whose ``alpha`` and ``beta`` are per-row arrays.

    Built as the covariate core builds its views (``object.__new__``, every
    other field at its default, ``fit_info=None``), for tests of the kernels;
    the arrays are unchecked and broadcast to one length.
    """
    view = object.__new__(ShiftedBetaGeo)
    for field in attrs.fields(ShiftedBetaGeo):
        default = field.default
        object.__setattr__(view, field.name, None if default is attrs.NOTHING else default)
    for name, values in zip(("alpha", "beta"), np.broadcast_arrays(alpha, beta), strict=True):
        object.__setattr__(view, name, readonly(np.array(values, dtype=np.float64)))
    return view
