"""Intervals for the contract models: survival, retention, residual lifetime, subscriber value.

:func:`contract_interval` gives the band of one prediction of a fitted
:class:`~relmark.ShiftedBetaGeo` or :class:`~relmark.BetaDiscreteWeibull`,
by the delta method (from the fit's covariance) or by the bootstrap (refits
on resampled customers of the data the model was fitted to);
:func:`contract_parameter_draws` gives the bootstrap's parameter draws, so
that several bands can share one set of refits.

Both models go through one path: what it needs of a model is read from the
model's class (:class:`_Hooks`), its fit on churn and censoring counts
(``_fit``, the same signature in both), the objective of those counts
(``_tenure_objective``) and the exponent of the survival's power-law tail
(``_tail_index``, which decides where an undiscounted lifetime is finite).

The data come in the two forms the model is fitted from, and both become
the same distinct rows: a period and whether the customers of the row
churned in it (or were still subscribed after it), with their count.

- survivor counts ``alive`` (:meth:`~relmark.ShiftedBetaGeo.fit_survival`,
  :meth:`~relmark.BetaDiscreteWeibull.fit_survival`):
  the rows are the churn periods ``1 .. n`` with ``alive[t-1] - alive[t]``
  customers each, and the ``alive[n]`` still subscribed after period ``n``;
- tenures and churn flags (``fit_individual``):
  the rows are the distinct ``(tenure, churned)`` pairs with their counts.

Resampling the cohort's customers with replacement is then a multinomial
draw of those counts (:func:`~relmark.uncertainty.resampled_weights`), and
each refit runs on a handful of rows, warm-started at the estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike

from relmark._validation import (
    FloatArray,
    as_choice,
    as_flag,
    as_instance,
    as_rng,
    as_scalar,
    as_survivor_counts,
    check_whole,
)
from relmark.economics.clv import subscriber_lifetime_value
from relmark.exceptions import ValidationError
from relmark.models._base import Model
from relmark.models._fitting import NegLogLikelihood
from relmark.models.beta_discrete_weibull import BetaDiscreteWeibull
from relmark.models.shifted_beta_geo import (
    ShiftedBetaGeo,
    TenureRows,
    _individual_rows,
    _survival_rows,
)
from relmark.uncertainty._core import (
    Band,
    Method,
    Scale,
    bootstrap_thetas,
    check_level,
    check_n_draws,
    delta_band,
    draws_band,
    newton_refit,
)

__all__ = ["ContractQuantity", "contract_interval", "contract_parameter_draws"]

#: The predictions of a contract model that :func:`contract_interval` bands.
ContractQuantity = Literal["survival", "retention_rate", "residual_lifetime", "lifetime_value"]

# probabilities are banded on the logit scale, lifetimes and values on the log scale
_SCALES: dict[str, Scale] = {
    "survival": "logit",
    "retention_rate": "logit",
    "residual_lifetime": "log",
    "lifetime_value": "log",
}
# the arguments each quantity takes (the others must be left at None)
_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "survival": ("t",),
    "retention_rate": ("t",),
    "residual_lifetime": ("periods_survived", "discount_rate"),
    "lifetime_value": ("margin", "discount_rate", "renewals"),
}
# the data given for a bootstrap must reproduce the fit's log-likelihood this closely: a
# relative 1e-9 is far above rounding, and other data (one customer more or less) miss it by far
_SAME_FIT = 1e-9

#: ``(churn_t, churn_w, alive_t, alive_w) -> theta -> (-log-likelihood, gradient)``.
TenureObjective = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], NegLogLikelihood]
# what a contract model's class provides for the intervals, besides ``_fit``
_HOOKS = ("_tenure_objective", "_tail_index", "_tail_index_name")


@attrs.frozen
class _Hooks:
    r"""What the intervals need of a contract model's class, besides its ``_fit``.

    ``objective`` is the model's ``_tenure_objective`` (minus the
    log-likelihood of churn and censoring counts, with its gradient);
    ``tail_index`` maps rows of parameters (``params`` order) to the exponent
    :math:`k` of the survival's tail :math:`S(t) \asymp t^{-k}`, the mean
    lifetime being finite exactly where :math:`k > 1`; ``tail_name`` is how
    the messages write :math:`k` (``"alpha"``, ``"alpha * c"``).
    """

    objective: TenureObjective
    tail_index: Callable[[FloatArray], FloatArray]
    tail_name: str

    @classmethod
    def of(cls, model: object) -> _Hooks:
        """Return the hooks of ``model``'s class, or a TypeError naming what it lacks."""
        kind = type(model)
        fits = isinstance(model, Model) and callable(getattr(kind, "_fit", None))
        if fits and all(hasattr(kind, hook) for hook in _HOOKS):
            return cls(
                getattr(kind, "_tenure_objective"),  # noqa: B009
                getattr(kind, "_tail_index"),  # noqa: B009
                str(getattr(kind, "_tail_index_name")),  # noqa: B009
            )
        lacking = [hook for hook in ("_fit", *_HOOKS) if not hasattr(kind, hook)]
        raise TypeError(
            f"`model` must be a ShiftedBetaGeo, got {kind.__name__} (or a BetaDiscreteWeibull, "
            "or another relmark contract model whose class provides `_fit` on churn and "
            "censoring counts, `_tenure_objective`, `_tail_index` and `_tail_index_name`; "
            f"{kind.__name__} has no " + ", ".join(f"`{hook}`" for hook in lacking) + ")"
        )


@attrs.frozen
class _Tenures:
    """A cohort's customers as distinct rows: period, churned in it (or not), count."""

    period: FloatArray
    churned: FloatArray  # 1.0 where the row's customers churned in ``period``
    count: FloatArray  # > 0

    @classmethod
    def of_survivors(cls, alive: ArrayLike) -> _Tenures:
        """Rows of survivor counts: the churn periods, then those still subscribed."""
        counts = as_survivor_counts("alive", alive, minimum=2)
        check_whole("alive", counts, noun="periods")  # a bootstrap resamples whole customers
        return cls._of(_survival_rows(counts))

    @classmethod
    def of_customers(cls, tenure: ArrayLike, churned: ArrayLike) -> _Tenures:
        """Rows of individual tenures: the distinct (tenure, churned) pairs with their counts."""
        return cls._of(_individual_rows(tenure, churned))

    @classmethod
    def _of(cls, rows: TenureRows) -> _Tenures:
        """Return the rows the contract fits take as one table, leaving out rows of nobody."""
        churn_t, churn_w, alive_t, alive_w, _ = rows
        period = np.r_[churn_t, alive_t]
        churned = np.r_[np.ones(churn_t.size), np.zeros(alive_t.size)]
        count = np.r_[churn_w, alive_w]
        keep = count > 0
        return cls(period[keep], churned[keep], count[keep])

    def neg_log_likelihood(self, hooks: _Hooks, theta: FloatArray, weights: FloatArray) -> float:
        """Minus the log-likelihood of the rows counted ``weights`` times, at ``theta``."""
        churn = self.churned == 1.0
        objective = hooks.objective(
            self.period[churn], weights[churn], self.period[~churn], weights[~churn]
        )
        return objective(theta)[0]

    def refit(self, model: Model, hooks: _Hooks, weights: FloatArray) -> FloatArray:
        """Refit on the rows counted ``weights`` times, warm-started at ``model``; its theta.

        Newton steps from the estimate with the fit's curvature settle in a few
        evaluations (:func:`~relmark.uncertainty.newton_refit`); should they not,
        the shared optimiser runs from the same start and finds the maximum or
        raises :class:`~relmark.ConvergenceError`.
        """
        drawn = weights > 0
        churn, kept = drawn & (self.churned == 1.0), drawn & (self.churned == 0.0)
        churn_t, churn_w = self.period[churn], weights[churn]
        alive_t, alive_w = self.period[kept], weights[kept]
        info = model.fit_info
        assert info is not None  # checked by _fitted_model
        if churn_w.sum() > 0:  # without a churner the model has no maximum: _fit says so
            objective = hooks.objective(churn_t, churn_w, alive_t, alive_w)
            theta = newton_refit(objective, model._theta, info.log_covariance)
            if theta is not None:
                return theta
        fit: Callable[..., Model] = getattr(type(model), "_fit")  # noqa: B009
        fitted = fit(churn_t, churn_w, alive_t, alive_w, model.params, int(np.count_nonzero(drawn)))
        return fitted._theta


def _fitted_model(model: object) -> tuple[Model, _Hooks]:
    """Return ``model`` checked to be a contract model estimated from data, and its hooks."""
    hooks = _Hooks.of(model)
    contract = as_instance("model", model, Model)
    name = type(contract).__name__
    if contract.fit_info is None:
        raise ValidationError(
            f"`model` {name} is not fitted (its fit_info is None): intervals need a "
            f"model estimated by {name}.fit_survival or fit_individual"
        )
    if contract.effects:
        raise ValidationError(
            "`model` has covariates: contract_interval bands the cohort curve of a model "
            "without them (fit_survival, or fit_individual without covariates); bands of each "
            "subscriber's own prediction are not provided yet"
        )
    return contract, hooks


def _fitted_data(
    model: Model,
    hooks: _Hooks,
    alive: ArrayLike | None,
    tenure: ArrayLike | None,
    churned: ArrayLike | None,
) -> _Tenures:
    """Return the data of a bootstrap as rows, checked to be the data ``model`` was fitted to."""
    if alive is not None and (tenure is not None or churned is not None):
        raise ValidationError(
            "give either `alive` (survivor counts) or `tenure` and `churned`, not both"
        )
    if alive is not None:
        rows = _Tenures.of_survivors(alive)
        source = "`alive`"
    elif tenure is not None and churned is not None:
        rows = _Tenures.of_customers(tenure, churned)
        source = "`tenure` and `churned`"
    else:
        missing = "`churned`" if tenure is not None else "`tenure`" if churned is not None else ""
        raise ValidationError(
            "method='bootstrap' resamples the customers the model was fitted to: give "
            + (
                f"{missing} as well"
                if missing
                else "`alive` (survivor counts) or `tenure` and `churned`"
            )
        )
    info = model.fit_info
    assert info is not None  # checked by _fitted_model
    log_likelihood = -rows.neg_log_likelihood(hooks, model._theta, rows.count)
    if not math.isclose(log_likelihood, info.log_likelihood, rel_tol=_SAME_FIT, abs_tol=1e-9):
        raise ValidationError(
            f"`model` was not fitted to the data in {source}: its fit has log-likelihood "
            f"{info.log_likelihood:.6f} ({info.n_customers:,.0f} customers), the data give "
            f"{log_likelihood:.6f} ({float(rows.count.sum()):,.0f} customers); the bootstrap "
            "must resample the customers the model was fitted to"
        )
    return rows


def contract_parameter_draws(
    model: ShiftedBetaGeo | BetaDiscreteWeibull,
    *,
    alive: ArrayLike | None = None,
    tenure: ArrayLike | None = None,
    churned: ArrayLike | None = None,
    n_draws: int = 200,
    rng: np.random.Generator | int | None = None,
) -> FloatArray:
    r"""Return bootstrap draws of a fitted contract model's parameters (sBG or BdW).

    Each draw resamples the customers the model was fitted to, with
    replacement, and refits the model to them (warm-started at the estimate).
    Pass the result to :func:`contract_interval` (``thetas=``) to band several
    quantities from one set of refits.

    Parameters
    ----------
    model : ShiftedBetaGeo or BetaDiscreteWeibull
        Fitted by its class's ``fit_survival`` or ``fit_individual`` (an sBG
        without covariates).
    alive : array_like, optional
        The survivor counts the model was fitted to (whole numbers).
    tenure, churned : array_like, optional
        Or the tenures and churn flags it was fitted to.
    n_draws : int, default 200
        Number of refits (2 to 100,000).
    rng : numpy.random.Generator, int or None
        Randomness source or seed; a seed gives the same draws every time.

    Returns
    -------
    ndarray, shape (n_ok, k)
        The parameters of each successful refit, in ``model.params`` order
        (``k = 2``, ``(alpha, beta)``, for the sBG; ``k = 3``,
        ``(alpha, beta, c)``, for the BdW), in draw order.  A refit
        that fails (a resample in which nobody churned) is left out with a
        :class:`~relmark.uncertainty.BootstrapWarning` saying how many.

    Raises
    ------
    TypeError
        If ``model`` is not a ShiftedBetaGeo or BetaDiscreteWeibull (nor
        another contract model whose class provides ``_fit``,
        ``_tenure_objective``, ``_tail_index`` and ``_tail_index_name``).
    ValidationError
        If the model is not fitted or has covariates, no data or both kinds
        are given, the data break the rules of the fit (survivor counts
        must also be whole numbers), or they are not the data the model was
        fitted to (their log-likelihood differs from the fit's).
    ConvergenceError
        If fewer than 2 refits succeed.

    Notes
    -----
    With :math:`n_{t-1} - n_t` customers churning in period :math:`t` and
    :math:`n_n` still subscribed after the last period :math:`n`, a
    resample of the :math:`n_0` customers is
    :math:`\mathrm{Multinomial}(n_0; (n_{t-1} - n_t)/n_0, \dots, n_n/n_0)`
    over those rows (for individual tenures, over the distinct
    ``(tenure, churned)`` pairs); the refit maximises the same likelihood
    (:meth:`~relmark.ShiftedBetaGeo.fit_survival`,
    :meth:`~relmark.BetaDiscreteWeibull.fit_survival`, Notes) with the drawn
    counts, by the model's own class.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    chapter 6 (the nonparametric bootstrap).

    Examples
    --------
    >>> import relmark
    >>> from relmark.uncertainty import contract_parameter_draws
    >>> alive = [1000, 869, 743, 653, 593, 551, 517, 491]
    >>> model = relmark.ShiftedBetaGeo.fit_survival(alive)
    >>> draws = contract_parameter_draws(model, alive=alive, n_draws=50, rng=1)
    >>> draws.shape
    (50, 2)
    >>> bdw = relmark.BetaDiscreteWeibull.fit_survival(alive)
    >>> contract_parameter_draws(bdw, alive=alive, n_draws=50, rng=1).shape
    (50, 3)
    """
    fitted, hooks = _fitted_model(model)
    draws = check_n_draws(n_draws)
    rows = _fitted_data(fitted, hooks, alive, tenure, churned)
    generator = as_rng(rng)
    return bootstrap_thetas(
        lambda weights: rows.refit(fitted, hooks, weights), rows.count, draws, generator
    )


@attrs.frozen
class _Quantity:
    """One prediction of a contract model, as a function of its parameters, checked once."""

    name: str
    predict: Callable[[FloatArray], FloatArray]
    scale: Scale
    needs_finite_mean: bool  # undiscounted lifetimes are infinite where the tail index <= 1


def _quantity(
    model: Model,
    quantity: str,
    *,
    t: ArrayLike | None,
    periods_survived: ArrayLike | None,
    margin: ArrayLike | None,
    discount_rate: float | None,
    renewals: ArrayLike | None,
) -> _Quantity:
    """Return the prediction asked for, refusing arguments that do not belong to it."""
    name = as_choice("quantity", quantity, tuple(_SCALES))
    given = {
        "t": t,
        "periods_survived": periods_survived,
        "margin": margin,
        "discount_rate": discount_rate,
        "renewals": renewals,
    }
    stray = [
        key for key, value in given.items() if value is not None and key not in _ARGUMENTS[name]
    ]
    if stray:
        raise ValidationError(
            f"`{stray[0]}` does not apply to quantity {name!r}, which takes "
            + ", ".join(f"`{key}`" for key in _ARGUMENTS[name])
        )
    rate = 0.0 if discount_rate is None else as_scalar("discount_rate", discount_rate, low=0.0)

    predict = _predictor(
        model._with_theta,
        name,
        t=t,
        periods_survived=periods_survived,
        margin=margin,
        rate=rate,
        renewals=renewals,
    )
    finite_mean = rate == 0.0 and name in ("residual_lifetime", "lifetime_value")
    return _Quantity(name, predict, _SCALES[name], finite_mean)


def _predictor(
    at: Callable[[FloatArray], Model],
    name: str,
    *,
    t: ArrayLike | None,
    periods_survived: ArrayLike | None,
    margin: ArrayLike | None,
    rate: float,
    renewals: ArrayLike | None,
) -> Callable[[FloatArray], FloatArray]:
    """Return ``theta -> prediction`` for the quantity ``name`` and its arguments."""
    if name in ("survival", "retention_rate"):
        if t is None:
            raise ValidationError(f"quantity {name!r} needs `t`, the period(s) to predict")
        periods = np.asarray(t)  # kept 0-d for a scalar: the model then returns a float

        def probability(theta: FloatArray) -> FloatArray:
            model = at(theta)
            method = getattr(model, "survival" if name == "survival" else "retention_rate")
            return np.asarray(method(periods), dtype=np.float64)

        return probability
    if name == "residual_lifetime":
        survived = np.asarray(0 if periods_survived is None else periods_survived)

        def lifetime(theta: FloatArray) -> FloatArray:
            lifetime_of = getattr(at(theta), "expected_residual_lifetime")  # noqa: B009
            return np.asarray(lifetime_of(survived, rate))

        return lifetime
    if margin is None:
        raise ValidationError(
            "quantity 'lifetime_value' needs `margin`, the margin per period paid"
        )
    paid = margin

    def value(theta: FloatArray) -> FloatArray:
        return np.asarray(
            subscriber_lifetime_value(
                at(theta),  # type: ignore[arg-type]  # a contract model: checked by _Hooks.of
                margin=paid,
                discount_rate=rate,
                renewals=renewals,
            )
        )

    return value


def _check_finite_lifetimes(
    quantity: _Quantity, hooks: _Hooks, thetas: FloatArray, where: str
) -> None:
    """Refuse undiscounted lifetimes where a tail index <= 1 makes them infinite.

    ``thetas`` holds rows of parameters; the index is the model's (alpha for
    the sBG, alpha * c for the BdW).
    """
    if not quantity.needs_finite_mean:
        return
    index = np.asarray(hooks.tail_index(thetas), dtype=np.float64)
    infinite = int(np.count_nonzero(index <= 1.0))
    if infinite:
        tail = hooks.tail_name
        raise ValidationError(
            f"the undiscounted {quantity.name.replace('_', ' ')} is infinite where {tail} <= 1, "
            f"as at {infinite:,} of {index.size:,} {where} ({tail} = {float(index.min()):.4g}); "
            "give `discount_rate` > 0 for a finite value"
        )


def contract_interval(
    model: ShiftedBetaGeo | BetaDiscreteWeibull,
    quantity: ContractQuantity,
    *,
    t: ArrayLike | None = None,
    periods_survived: ArrayLike | None = None,
    margin: ArrayLike | None = None,
    discount_rate: float | None = None,
    renewals: ArrayLike | None = None,
    level: float = 0.9,
    method: Method = "delta",
    alive: ArrayLike | None = None,
    tenure: ArrayLike | None = None,
    churned: ArrayLike | None = None,
    thetas: ArrayLike | None = None,
    n_draws: int = 200,
    rng: np.random.Generator | int | None = None,
    keep_draws: bool = False,
) -> Band:
    r"""Return the interval of one prediction of a fitted contract model (sBG or BdW).

    Parameters
    ----------
    model : ShiftedBetaGeo or BetaDiscreteWeibull
        Fitted by its class's ``fit_survival`` or ``fit_individual`` (an sBG
        without covariates); its ``fit_info`` holds the covariance the delta
        method uses.
    quantity : {"survival", "retention_rate", "residual_lifetime", "lifetime_value"}
        What to band, with the arguments of the model's method:

        - ``"survival"``: :meth:`~relmark.ShiftedBetaGeo.survival` at ``t``;
        - ``"retention_rate"``: :meth:`~relmark.ShiftedBetaGeo.retention_rate` at ``t``;
        - ``"residual_lifetime"``: the discounted expected residual lifetime
          (:meth:`~relmark.ShiftedBetaGeo.expected_residual_lifetime`) after
          ``periods_survived`` (default 0) at ``discount_rate``;
        - ``"lifetime_value"``: :func:`~relmark.subscriber_lifetime_value`
          with ``margin``, ``discount_rate`` and ``renewals`` (None: a new
          subscriber).
    t, periods_survived, margin, discount_rate, renewals : optional
        The arguments of the quantity (scalars or arrays, as for the model);
        giving one the quantity does not take is an error.  ``discount_rate``
        defaults to 0.
    level : float, default 0.9
        Coverage, in (0, 1).
    method : {"delta", "bootstrap"}, default "delta"
        ``"delta"``: from the fit's covariance of the log-parameters, in a
        few milliseconds; ``"bootstrap"``: the normal interval with the
        bias and standard deviation of refits on resampled customers (on the logit
        or log scale, as the delta method), which needs the data the model was fitted to
        (``alive``, or ``tenure`` and ``churned``) or draws made before
        (``thetas``).
    alive, tenure, churned : array_like, optional
        The data the model was fitted to, for ``method="bootstrap"`` (see
        :func:`contract_parameter_draws`).
    thetas : array_like, shape (n_draws, k), optional
        Bootstrap draws of the model's parameters (``(alpha, beta)`` for the
        sBG, ``(alpha, beta, c)`` for the BdW) from
        :func:`contract_parameter_draws`, instead of the data.
    n_draws : int, default 200
        Number of bootstrap refits when the data are given.
    rng : numpy.random.Generator, int or None
        Randomness source or seed of the bootstrap.
    keep_draws : bool, default False
        Keep the prediction at every bootstrap draw in ``Band.draws``.

    Returns
    -------
    Band
        ``name`` is the quantity; ``estimate`` the model's prediction, with
        the shape the model's method returns (``()`` for scalar arguments).

    Raises
    ------
    TypeError
        If ``model`` is not a ShiftedBetaGeo or BetaDiscreteWeibull (nor
        another contract model whose class provides ``_fit``,
        ``_tenure_objective``, ``_tail_index`` and ``_tail_index_name``), or
        ``quantity`` or ``method`` not a string.
    ValidationError
        If the model is not fitted or has covariates; ``quantity``,
        ``method`` or ``level`` are not valid; an argument is missing, does
        not apply to the quantity or breaks the model's rules; a bootstrap
        has no data, data the model was not fitted to, or ``thetas`` as well
        as data; or an undiscounted lifetime is infinite (``alpha <= 1`` for the sBG,
        ``alpha * c <= 1`` for the BdW, at the estimate or at a draw: give
        ``discount_rate > 0``).
    ConvergenceError
        If fewer than 2 bootstrap refits succeed.

    Notes
    -----
    With :math:`u` the log-parameters (:math:`(\log\alpha, \log\beta)` for
    the sBG, :math:`(\log\alpha, \log\beta, \log c)` for the BdW) and
    :math:`\Sigma_u` the fit's ``log_covariance``, the delta-method interval
    of a prediction :math:`f` is
    :math:`g^{-1}(g(\hat f) \pm z\,|g'(\hat f)|\,\sqrt{J\Sigma_u J^\top})`,
    :math:`J = \partial f/\partial u`, with :math:`g = \operatorname{logit}`
    for the probabilities :math:`S(t)` and :math:`r(t)` and :math:`g = \log`
    for lifetimes and values (see :func:`~relmark.uncertainty.delta_band`).
    The bootstrap interval is :math:`g^{-1}(g(\hat f) - \hat b \pm z\,s_g)`
    with :math:`s_g` the standard deviation of :math:`g(f)` over the refits
    and :math:`\hat b` their mean less :math:`g(\hat f)`
    (:func:`~relmark.uncertainty.bootstrap_bounds`).  Both are intervals for
    the model's expectation, not for one cohort's realised churn.  The delta
    method is exact to first order and the choice for cohorts of hundreds of
    customers or more; the bootstrap takes the spread from refits rather
    than from the likelihood's curvature at the estimate, a check where
    the parameters are estimated from few churners.  The undiscounted
    lifetimes are finite where the survival's tail :math:`S(t) \asymp t^{-k}`
    has :math:`k > 1`: :math:`k = \alpha` for the sBG, :math:`\alpha c` for
    the BdW.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90.

    Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: the perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93.

    Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T. (2018).
    "How to project customer retention" revisited: the role of duration
    dependence. *Journal of Interactive Marketing*, 43, 1-16 (the BdW).

    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    chapters 12-14; Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap
    Methods and their Application*, sections 5.2-5.3 (the bootstrap interval).

    Examples
    --------
    >>> import relmark
    >>> from relmark.uncertainty import contract_interval
    >>> alive = [1000, 869, 743, 653, 593, 551, 517, 491]
    >>> model = relmark.ShiftedBetaGeo.fit_survival(alive)
    >>> band = contract_interval(model, "survival", t=[8, 12], level=0.9)
    >>> band.estimate.round(3).tolist(), band.lower.round(3).tolist()
    ([0.46, 0.378], [0.433, 0.347])
    >>> value = contract_interval(model, "lifetime_value", margin=100.0, discount_rate=0.1,
    ...                           method="bootstrap", alive=alive, n_draws=100, rng=1)
    >>> bool(value.lower < value.estimate < value.upper), value.method
    (True, 'bootstrap')
    >>> bdw = relmark.BetaDiscreteWeibull.fit_survival(alive)
    >>> band = contract_interval(bdw, "survival", t=[8, 12], level=0.9)
    >>> band.estimate.round(3).tolist(), band.lower.round(3).tolist()
    ([0.468, 0.404], [0.441, 0.374])
    """
    fitted, hooks = _fitted_model(model)
    asked = _quantity(
        fitted,
        quantity,
        t=t,
        periods_survived=periods_survived,
        margin=margin,
        discount_rate=discount_rate,
        renewals=renewals,
    )
    coverage = check_level(level)
    how = as_choice("method", method, ("bootstrap", "delta"))
    keep = as_flag("keep_draws", keep_draws)
    theta = fitted._theta
    _check_finite_lifetimes(asked, hooks, theta[np.newaxis], "the estimate")
    asked.predict(theta)  # the quantity's own checks of its arguments, before any refit
    if how == "delta":
        if thetas is not None or alive is not None or tenure is not None or churned is not None:
            raise ValidationError(
                "method='delta' uses the fit's covariance: `thetas`, `alive`, `tenure` and "
                "`churned` are for method='bootstrap'"
            )
        info = fitted.fit_info
        assert info is not None  # checked by _fitted_model
        return delta_band(
            asked.name, asked.predict, theta, info.log_covariance, level=coverage, scale=asked.scale
        )
    draws = _bootstrap_draws(fitted, thetas, alive, tenure, churned, n_draws, rng)
    _check_finite_lifetimes(asked, hooks, draws, "the bootstrap draws")
    return draws_band(
        asked.name, asked.predict, draws, theta, level=coverage, scale=asked.scale, keep_draws=keep
    )


def _bootstrap_draws(
    model: Model,
    thetas: ArrayLike | None,
    alive: ArrayLike | None,
    tenure: ArrayLike | None,
    churned: ArrayLike | None,
    n_draws: int,
    rng: np.random.Generator | int | None,
) -> FloatArray:
    """Return the bootstrap's parameter draws: given, or refitted to the data given."""
    if thetas is None:
        return contract_parameter_draws(
            model,  # type: ignore[arg-type]  # a contract model: checked by _fitted_model
            alive=alive,
            tenure=tenure,
            churned=churned,
            n_draws=n_draws,
            rng=rng,
        )
    if alive is not None or tenure is not None or churned is not None:
        raise ValidationError(
            "give either `thetas` (draws made before) or the data to refit "
            "(`alive`, or `tenure` and `churned`), not both"
        )
    names = model.parameter_names()
    k = len(names)
    draws = np.asarray(thetas, dtype=np.float64)
    if draws.ndim != 2 or draws.shape[1] != k or draws.shape[0] < 2:
        raise ValidationError(
            f"`thetas` must have shape (n_draws, {k}) with n_draws >= 2 "
            f"({', '.join(names)} per draw), got {draws.shape}"
        )
    if not (np.isfinite(draws).all() and bool((draws > 0).all())):
        rows = {2: "pairs", 3: "triples"}.get(k, "rows")
        raise ValidationError(f"`thetas` must hold positive finite ({', '.join(names)}) {rows}")
    return draws
