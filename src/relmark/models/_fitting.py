"""The shared maximum-likelihood core: every model's ``fit`` goes through here.

A model supplies its weighted negative log-likelihood and its exact gradient
with respect to the natural (positive) parameters.  This module

- optimises in log-parameters, so positivity needs no constraint, and scales
  the objective per customer so tolerances do not depend on the size of the
  data;
- runs the optimiser with BLAS limited to one thread: the problems have 2 to
  4 parameters, and waking BLAS threads for each step's dot products costs
  more than the work itself once other processes keep the cores busy;
- accepts only an interior maximum: a finite log-likelihood, a vanishing
  gradient, no parameter at the edge of the search space and an information
  matrix that pins every direction down.  Anything else raises
  :class:`~relmark.exceptions.ConvergenceError` saying which parameters the
  data cannot identify and, from the model's look at the data, why;
- keeps the full covariance of the estimates (inverse observed information,
  from differences of the exact gradient) on the log and the natural scale;
- profiles the likelihood (:func:`profile_likelihood_intervals`): each
  parameter held fixed while this same optimiser re-maximises the others.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache

import attrs
import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize
from scipy.special import ndtri as _normal_quantile
from threadpoolctl import ThreadpoolController

from relmark._validation import (
    FloatArray,
    as_float_array,
    as_level,
    as_positive,
    readonly,
)
from relmark.exceptions import ConvergenceError, Limit, ValidationError

__all__ = [
    "FitInfo",
    "NegLogLikelihood",
    "maximize_likelihood",
    "newton_refit",
    "profile_likelihood_intervals",
    "start_values",
]

# theta (natural parameters) -> (negative log-likelihood, gradient w.r.t. theta)
NegLogLikelihood = Callable[[FloatArray], tuple[float, FloatArray]]

_LOG_BOUND = 30.0  # parameters stay within exp(+-30): wide, yet no overflow
_GRADIENT_TOLERANCE = 1e-5  # per-customer gradient norm accepted as an optimum
_HESSIAN_STEP = 1e-6  # forward-difference step in log-parameters
# A direction of the log-parameters whose standard error exceeds this is not
# identified: a one-standard-error band would span a factor e^8 (about 3,000)
# either way.  Fits of real data sets are far inside it (CDNOW: 0.05 to 0.3).
_MAX_LOG_STDERR = 8.0
_FAR_OUT = math.log(1e6)  # an unidentified parameter beyond 1e6 or 1e-6 is running off
_PROFILE_XTOL = 1e-7  # brentq's tolerance on a profile bound, in log-parameters
_NEWTON_TOLERANCE = 1e-9  # a quasi-Newton step below this in every log-parameter: converged
_NEWTON_SLACK = 1e-12  # room for rounding in a total's sufficient decrease
_HALVINGS = 30  # step halvings before a line search gives up


def _names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(names)


def _floats(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _matrix(values: ArrayLike) -> FloatArray:
    return readonly(np.array(values, dtype=np.float64))


_SAME_MATRIX = attrs.cmp_using(eq=np.array_equal)  # element-wise equality, not ndarray.__eq__


@attrs.frozen(kw_only=True)
class FitInfo:
    r"""How a maximum-likelihood fit went: a record of an interior maximum.

    A fit that does not reach one raises
    :class:`~relmark.exceptions.ConvergenceError` instead, so every
    ``FitInfo`` describes an estimate at which the gradient vanishes and the
    observed information is positive definite.

    Attributes
    ----------
    names : tuple of str
        The parameters, in the order of the covariance matrices.
    estimates : tuple of float
        The estimates, in that order.
    log_likelihood : float
        Weighted total log-likelihood at the estimate.
    covariance : ndarray, shape (k, k)
        Covariance of the estimates (inverse observed information), natural
        scale; read-only.
    log_covariance : ndarray, shape (k, k)
        Covariance of the logarithms of the estimates, the scale on which
        Wald intervals keep the parameters positive; read-only.
    iterations : int
        Optimiser iterations.
    n_customers : float
        Customers fitted (the sum of the weights).
    n_rows : int
        Distinct rows the optimiser evaluated.
    seconds : float
        Wall-clock time of the fit.
    message : str
        The optimiser's final message.

    Notes
    -----
    With :math:`H` the Hessian of the negative log-likelihood in
    :math:`u = \log\theta` at the estimate, ``log_covariance`` is
    :math:`H^{-1}` and ``covariance`` is
    :math:`\mathrm{diag}(\theta)\,H^{-1}\,\mathrm{diag}(\theta)`, the exact
    delta-method transformation (the gradient vanishes at the estimate).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.models import FitInfo
    >>> info = FitInfo(names=("r", "alpha"), estimates=(1.0, 2.0), log_likelihood=-10.0,
    ...                covariance=np.diag([0.01, 0.04]), log_covariance=np.diag([0.04, 0.01]),
    ...                iterations=12, n_customers=100.0, n_rows=40, seconds=0.01,
    ...                message="converged")
    >>> info.stderr
    {'r': 0.1, 'alpha': 0.2}
    >>> info.n_parameters, info.aic, round(info.bic, 3)   # 2k - 2LL; k ln(n) - 2LL
    (2, 24.0, 29.21)
    """

    names: tuple[str, ...] = attrs.field(converter=_names)
    estimates: tuple[float, ...] = attrs.field(converter=_floats)
    log_likelihood: float
    covariance: FloatArray = attrs.field(converter=_matrix, eq=_SAME_MATRIX, hash=False)
    log_covariance: FloatArray = attrs.field(converter=_matrix, eq=_SAME_MATRIX, hash=False)
    iterations: int
    n_customers: float
    n_rows: int
    seconds: float
    message: str

    def __getstate__(self) -> dict[str, object]:
        return {field.name: getattr(self, field.name) for field in attrs.fields(type(self))}

    def __setstate__(self, state: Mapping[str, object]) -> None:
        # Through the converters, so that the unpickled matrices are read-only again.
        for field in attrs.fields(type(self)):
            value = state[field.name]
            object.__setattr__(
                self, field.name, field.converter(value) if field.converter else value
            )

    @property
    def n_parameters(self) -> int:
        """Number of estimated parameters, :math:`k`."""
        return len(self.names)

    @property
    def aic(self) -> float:
        r"""Akaike's information criterion, :math:`2k - 2\,LL` (smaller is better)."""
        return 2.0 * self.n_parameters - 2.0 * self.log_likelihood

    @property
    def bic(self) -> float:
        r"""Schwarz's Bayesian information criterion, :math:`k \ln n - 2\,LL` (smaller is better).

        :math:`n` is ``n_customers``, the number of customers fitted (the sum
        of the weights), not the number of distinct rows or of transactions:
        the convention of CLVTools and lifetimes, so the figures compare with
        theirs.
        """
        return self.n_parameters * math.log(self.n_customers) - 2.0 * self.log_likelihood

    @property
    def stderr(self) -> dict[str, float]:
        """Standard error of each parameter (natural scale), by name."""
        errors = np.sqrt(np.diag(self.covariance))
        return {name: float(e) for name, e in zip(self.names, errors, strict=True)}

    def intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        r"""Return Wald intervals for the parameters, on the log scale (so they stay > 0).

        Parameters
        ----------
        level : float
            Coverage, in (0, 1).

        Returns
        -------
        dict of str to (float, float)
            ``(lower, upper)`` for each parameter.

        Notes
        -----
        :math:`\theta \exp(\pm z_{(1+level)/2}\, \mathrm{se}(\log\theta))`.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> info = relmark.BetaGeo.fit(cdnow_sample_summary()).fit_info
        >>> [round(v, 3) for v in info.intervals(0.95)["r"]]
        [0.219, 0.268]
        """
        coverage = as_level(level)
        z = _normal_quantile((1.0 + coverage) / 2.0)
        spread = z * np.sqrt(np.diag(self.log_covariance))
        return {
            name: (float(value * np.exp(-width)), float(value * np.exp(width)))
            for name, value, width in zip(self.names, self.estimates, spread, strict=True)
        }

    def table(self, level: float = 0.95) -> str:
        """Return the fit as a plain-text table: estimates, standard errors, intervals.

        The same text as the model's ``summary(level)`` without its title
        line (:class:`~relmark.models.FitReport` renders both).

        Parameters
        ----------
        level : float
            Coverage of the intervals, in (0, 1).

        Returns
        -------
        str

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> print(relmark.BetaGeo.fit(cdnow_sample_summary()).fit_info.table())
        parameter  estimate  std. error     95% interval
        r            0.2426     0.01256  0.2192 - 0.2685
        alpha         4.414      0.3782   3.731 - 5.221
        a            0.7929      0.1857    0.501 - 1.255
        b             2.426      0.7054    1.372 - 4.289
        log-likelihood -9582.43; 2,357 customers (1,016 distinct rows); 4 parameters
        AIC 19172.86; BIC 19195.92 (n = 2,357 customers)
        optimiser: ...; ... s, ... iterations
        """
        from relmark.models._report import FitReport  # the report builds on FitInfo

        params = dict(zip(self.names, self.estimates, strict=True))
        return FitReport.build(None, params, self, level=level).text


def start_values(
    model_name: str,
    start: Mapping[str, float] | None,
    names: Sequence[str],
    default: Sequence[float],
) -> list[float]:
    """Return checked starting values in the order of ``names``.

    ``start`` must name every parameter and nothing else; each value must be
    a positive finite number.  ``None`` gives ``default``.
    """
    if start is None:
        return [float(v) for v in default]
    if not isinstance(start, Mapping):
        raise TypeError(f"`start` must be a mapping of parameter names to values, got {start!r}")
    listed = ", ".join(names)
    unknown = [key for key in start if key not in names]
    if unknown:
        raise ValidationError(
            f"`start` names unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"{model_name}'s parameters are {listed}"
        )
    missing = [name for name in names if name not in start]
    if missing:
        raise ValidationError(
            f"`start` is missing {', '.join(map(repr, missing))}; give all of {listed}"
        )
    return [as_positive(f"start[{name!r}]", start[name]) for name in names]


@cache
def _blas() -> ThreadpoolController:
    """Return the process's thread-pool controller, built once (it scans the libraries)."""
    return ThreadpoolController()


def maximize_likelihood(
    model_name: str,
    names: Sequence[str],
    neg_log_likelihood: NegLogLikelihood,
    start: Sequence[float],
    *,
    n_customers: float,
    n_rows: int,
    explain: Callable[[], str] | None = None,
    max_iterations: int = 2000,
    hessian: Callable[[FloatArray, float], FloatArray] | None = None,
) -> tuple[FloatArray, FitInfo]:
    """Maximise a likelihood over positive parameters.

    Parameters
    ----------
    model_name : str
        Used in error messages.
    names : sequence of str
        Parameter names, in the order of ``start``.
    neg_log_likelihood : callable
        ``theta -> (-loglik, gradient)``, both weighted totals, the gradient
        exact with respect to ``theta``.
    start : sequence of float
        Positive starting values.
    n_customers, n_rows : float, int
        Reported in the :class:`FitInfo`; ``n_customers`` also scales the
        objective.
    explain : callable, optional
        Called only when the fit fails: returns what in the data makes the
        parameters unidentifiable ("" when nothing stands out).
    max_iterations : int
        Iteration limit of the optimiser.
    hessian : callable, optional
        ``(theta, step) -> H``: the Hessian of the (total, unscaled)
        objective in log-parameters at ``theta``, for an objective that can
        give it more cheaply than one gradient per parameter; by default it
        comes from forward differences of the gradient (step ``step``).

    Returns
    -------
    theta : ndarray
        The estimates.
    info : FitInfo

    Raises
    ------
    ConvergenceError
        If the optimiser stops anywhere but at an interior maximum with a
        positive definite information matrix.
    """
    began = time.perf_counter()
    scale = 1.0 / max(n_customers, 1.0)

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(log_theta)
        value, gradient = neg_log_likelihood(theta)
        if not (math.isfinite(value) and np.isfinite(gradient).all()):
            return math.inf, np.zeros_like(log_theta)
        return value * scale, gradient * theta * scale

    x0 = np.log(np.asarray(start, dtype=np.float64))
    with np.errstate(all="ignore"), _blas().limit(limits=1, user_api="blas"):
        result = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(names),
            options={"maxiter": max_iterations, "ftol": 1e-12, "gtol": 1e-8},
        )
        log_theta = np.asarray(result.x, dtype=np.float64)
        value, gradient = objective(log_theta)
        if hessian is None:
            information = _hessian(objective, log_theta, gradient) / scale
        else:
            information = hessian(np.exp(log_theta), _HESSIAN_STEP)
    problem, unidentified = _problem(names, log_theta, value, gradient, information)
    if not problem:
        problem, unidentified = _running_off(names, log_theta, objective, scale)
    if problem:
        where = ", ".join(f"{n}={t:.4g}" for n, t in zip(names, np.exp(log_theta), strict=True))
        cause = explain() if explain is not None else ""
        raise ConvergenceError(
            f"{model_name} fit found no interior maximum: {problem} (stopped at {where}; "
            f"optimiser: {result.message}). "
            + (f"Likely cause in the data: {cause}. " if cause else "")
            + "What to do: check the summary's units and values, fit on more customers or a "
            "longer period, or use a model with fewer parameters.",
            params=dict(zip(names, map(float, np.exp(log_theta)), strict=True)),
            unidentified=unidentified,
        )
    theta = np.exp(log_theta)
    log_covariance = np.linalg.inv(information)
    log_covariance = (log_covariance + log_covariance.T) / 2
    info = FitInfo(
        names=tuple(names),
        estimates=theta,
        log_likelihood=-float(value) / scale,
        covariance=theta[:, None] * log_covariance * theta[None, :],
        log_covariance=log_covariance,
        iterations=int(result.nit),
        n_customers=float(n_customers),
        n_rows=int(n_rows),
        seconds=time.perf_counter() - began,
        message=str(result.message),
    )
    return theta, info


def profile_likelihood_intervals(
    model_name: str,
    neg_log_likelihood: NegLogLikelihood,
    info: FitInfo,
    *,
    level: float = 0.95,
    parameters: Sequence[str] | None = None,
) -> dict[str, tuple[float, float]]:
    r"""Return profile-likelihood intervals of the parameters of a fit.

    Parameters
    ----------
    model_name : str
        Used in error messages.
    neg_log_likelihood : callable
        The objective the fit maximised: ``theta -> (-loglik, gradient)``.
    info : FitInfo
        The fit's record: its estimates are the maximum of
        ``neg_log_likelihood``, its ``log_covariance`` sets the first steps.
    level : float
        Coverage, in (0, 1).
    parameters : sequence of str, optional
        The parameters to profile (default: all), names from ``info.names``.

    Returns
    -------
    dict of str to (float, float)
        ``(lower, upper)`` for each profiled parameter, in ``info.names``
        order.  A bound is ``0.0`` (lower) or ``inf`` (upper) when the profile
        stays within the threshold all the way to :math:`e^{\mp 30}` or
        :math:`e^{30}`, the edge of the search space: the data then set no
        bound on that side at this level.

    Raises
    ------
    ValidationError
        If ``level`` is not in (0, 1) or ``parameters`` names an unknown
        parameter.

    Notes
    -----
    The profile log-likelihood of parameter :math:`j` is
    :math:`LL_p(\theta_j) = \max_{\theta_{-j}} LL(\theta)`, computed by
    :func:`maximize_likelihood` over the other parameters (with the same
    log-parameter search and warm-started from the nearest point already
    profiled).  The interval is
    :math:`\{\theta_j : 2[LL(\hat\theta) - LL_p(\theta_j)] \le \chi^2_{1, level}\}`
    (:math:`\chi^2_{1, level} = z_{(1+level)/2}^2`).  On each side the search
    steps out in :math:`\log\theta_j` from the estimate, first by the Wald
    half-width, then 1.2 to 4 times farther each step (aiming just beyond
    where a quadratic deviance would cross), until the deviance passes the
    threshold, then finds the crossing with ``scipy.optimize.brentq`` (to 1e-7 in
    :math:`\log\theta_j`).  Where the conditional maximum itself finds no
    interior point (the others run off at an extreme :math:`\theta_j`), the
    best point the optimiser reached stands for it: a lower bound of the
    profile, so the interval can only come out wider.  The re-maximisation
    is local, continued along the path from the estimate: where the
    likelihood has several maxima in the other parameters, a distant higher
    one can go unseen (the interval then comes out narrower).  Unlike the Wald
    interval it does not assume the log-likelihood is quadratic, and it is
    the same whatever scale the parameter is measured on.

    References
    ----------
    Venzon, D. J. & Moolgavkar, S. H. (1988). A method for computing
    profile-likelihood-based confidence intervals. *Applied Statistics*,
    37(1), 87-94.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> from relmark.models._fitting import profile_likelihood_intervals
    >>> rows = cdnow_sample_summary().compress()
    >>> objective = relmark.NBD._objective(rows)
    >>> info = relmark.NBD.fit(rows).fit_info
    >>> bounds = profile_likelihood_intervals("NBD", objective, info, parameters=["r"])
    >>> [round(v, 3) for v in bounds["r"]]
    [0.346, 0.428]
    """
    coverage = as_level(level)
    chosen = _chosen_parameters(info.names, parameters)
    z = float(_normal_quantile((1.0 + coverage) / 2.0))
    log_se = np.sqrt(np.diag(info.log_covariance))
    bounds: dict[str, tuple[float, float]] = {}
    for j, name in enumerate(info.names):
        if name not in chosen:
            continue
        line = _ProfileLine(model_name, neg_log_likelihood, info, j)
        step = max(z * float(log_se[j]), 1e-3)
        lower = line.crossing(-1.0, step, z * z)
        upper = line.crossing(1.0, step, z * z)
        bounds[name] = (lower, upper)
    return bounds


def _chosen_parameters(names: Sequence[str], parameters: Sequence[str] | None) -> list[str]:
    """Return the parameters to profile, checked against ``names``."""
    if parameters is None:
        return list(names)
    if isinstance(parameters, str) or not isinstance(parameters, Sequence):
        raise TypeError(
            f"`parameters` must be a sequence of parameter names, got {type(parameters).__name__}"
        )
    unknown = [p for p in parameters if p not in names]
    if unknown:
        raise ValidationError(
            f"`parameters` names unknown parameter(s) {', '.join(map(repr, unknown))}; "
            f"the parameters are {', '.join(names)}"
        )
    return list(parameters)


@attrs.define
class _ProfileLine:
    """The profile of one parameter: the deviance at fixed values of its logarithm."""

    model_name: str
    objective: NegLogLikelihood
    info: FitInfo
    index: int
    solved: list[tuple[float, FloatArray]] = attrs.field(factory=list)

    def _reduced(self, fixed: float) -> NegLogLikelihood:
        """Return the objective of the other parameters with this one held at ``fixed``."""

        def reduced(others: FloatArray) -> tuple[float, FloatArray]:
            value, gradient = self.objective(np.insert(others, self.index, fixed))
            return value, np.delete(gradient, self.index)

        return reduced

    def deviance(self, log_value: float) -> float:
        r"""Return :math:`2[LL(\hat\theta) - LL_p]` with the parameter at ``exp(log_value)``."""
        info, j = self.info, self.index
        others_names = info.names[:j] + info.names[j + 1 :]
        reduced = self._reduced(math.exp(log_value))
        if not others_names:
            value = reduced(np.empty(0))[0]
            return 2.0 * (info.log_likelihood + value) if math.isfinite(value) else math.inf
        nearest = min(self.solved, key=lambda point: abs(point[0] - log_value), default=None)
        start = list(info.estimates[:j] + info.estimates[j + 1 :])
        if nearest is not None:
            start = [float(v) for v in np.exp(nearest[1])]
        try:
            others, conditional = maximize_likelihood(
                self.model_name,
                others_names,
                reduced,
                start,
                n_customers=info.n_customers,
                n_rows=info.n_rows,
            )
            log_likelihood = conditional.log_likelihood
        except ConvergenceError as error:  # the others run off: their best point bounds LL_p
            if error.params is None:  # pragma: no cover - maximize_likelihood always sets it
                return math.inf
            others = np.array([error.params[name] for name in others_names])
            value = reduced(others)[0]
            log_likelihood = -value if math.isfinite(value) else -math.inf
        if math.isfinite(log_likelihood):
            self.solved.append((log_value, np.log(others)))
        return 2.0 * (info.log_likelihood - log_likelihood)

    def crossing(self, direction: float, step: float, threshold: float) -> float:
        """Return the bound on one side: where the deviance reaches ``threshold``."""
        centre = math.log(self.info.estimates[self.index])
        inside, distance = centre, step
        for _ in range(200):  # each step grows the distance at least 1.2-fold: 200 pass e^30
            candidate = centre + direction * distance
            at_edge = abs(candidate) >= _LOG_BOUND
            if at_edge:
                candidate = direction * _LOG_BOUND
            deviance = self.deviance(candidate)
            if deviance >= threshold:
                root = optimize.brentq(
                    lambda u: self.deviance(u) - threshold,
                    min(inside, candidate),
                    max(inside, candidate),
                    xtol=_PROFILE_XTOL,
                )
                return math.exp(float(root))
            if at_edge:
                break
            inside = candidate
            # Where the deviance were quadratic the crossing would be sqrt(threshold /
            # deviance) times as far: aim a little beyond it, growing 1.2- to 4-fold.
            ratio = math.sqrt(threshold / deviance) * 1.05 if deviance > 0 else 4.0
            distance *= min(max(ratio, 1.2), 4.0)
        return 0.0 if direction < 0 else math.inf


def _hessian(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    log_theta: FloatArray,
    gradient: FloatArray,
) -> FloatArray:
    """Jacobian of the exact gradient by forward differences from ``gradient``, symmetrised."""
    k = log_theta.size
    hessian = np.empty((k, k))
    for j in range(k):  # k <= 4 parameters: a loop over parameters, not customers
        up = log_theta.copy()
        up[j] += _HESSIAN_STEP
        hessian[:, j] = (objective(up)[1] - gradient) / _HESSIAN_STEP
    symmetric: FloatArray = (hessian + hessian.T) / 2
    return symmetric


def _problem(
    names: Sequence[str],
    log_theta: FloatArray,
    value: float,
    gradient: FloatArray,
    hessian: FloatArray,
) -> tuple[str, dict[str, Limit | None]]:
    """Say why the point is not an interior maximum ("" when it is one), and for programs.

    ``gradient`` is per customer and ``hessian`` is the total, both in
    log-parameters.  The mapping holds the parameters the text names as
    unidentified, each with the limit it runs to (``None`` where it is flat
    without heading anywhere); it is empty when the text names none.  Beyond
    the cause, the text names every other parameter already beyond 1e6 or
    1e-6: at a failed fit those are running off too (Gamma-Gamma's ``q``
    beside a ``gamma`` at the bound, say).
    """
    problem, named = _cause(names, log_theta, value, gradient, hessian)
    if not problem:
        return "", {}
    running = {
        name: limit
        for name, u in zip(names, log_theta, strict=True)
        if name not in named and (limit := _limit(u)) is not None
    }
    if running:
        listed = " and ".join(f"{name} heading to {limit}" for name, limit in running.items())
        problem += f", with {listed}"
    return problem, {**named, **running}


def _cause(
    names: Sequence[str],
    log_theta: FloatArray,
    value: float,
    gradient: FloatArray,
    hessian: FloatArray,
) -> tuple[str, dict[str, Limit | None]]:
    """Return the cause for :func:`_problem`: parameters at the bound, a flat direction, a slope."""
    if not math.isfinite(value):
        return "the log-likelihood is not finite where the optimiser stopped", {}
    at_edge: dict[str, Limit | None] = {
        name: "infinity" if u > 0 else "zero"
        for name, u in zip(names, log_theta, strict=True)
        if abs(u) > _LOG_BOUND - 1e-3
    }
    if at_edge:
        return "; ".join(f"{name} ran to {limit}" for name, limit in at_edge.items()), at_edge
    if not np.isfinite(hessian).all():
        return "the information matrix is not finite", {}
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    weakest = int(np.argmin(eigenvalues))
    if eigenvalues[weakest] * _MAX_LOG_STDERR**2 <= 1.0:
        direction = eigenvectors[:, weakest]
        flat = {
            name: _limit(u)
            for name, u, c in zip(names, log_theta, direction, strict=True)
            if abs(c) > 0.3
        }
        involved = [
            name + ("" if limit is None else f" (heading to {limit})")
            for name, limit in flat.items()
        ]
        listed = (
            involved[0] if len(involved) == 1 else f"{', '.join(involved[:-1])} and {involved[-1]}"
        )
        return (
            f"the likelihood is flat in {listed}"
            + (" moving together" if len(involved) > 1 else "")
            + ", which the data cannot pin down (the information matrix is "
            + ("singular" if eigenvalues[weakest] <= 0 else "nearly singular")
            + ")"
        ), flat
    if float(np.abs(gradient).max()) > _GRADIENT_TOLERANCE:
        return "the optimiser stopped where the gradient does not vanish", {}
    return "", {}


def _running_off(
    names: Sequence[str],
    log_theta: FloatArray,
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    scale: float,
) -> tuple[str, dict[str, Limit | None]]:
    """Say whether parameters beyond 1e6 or 1e-6 are on a ridge ("" when they are not).

    Where the likelihood approaches its supremum only in a limit (the NBD's
    Poisson limit, r and alpha to infinity together), the optimiser may stop
    far out with a small gradient, and the information there is rounding
    noise: it cannot tell.  So move every far-out parameter ten times
    further out together: if the log-likelihood changes by less than half a
    unit, the data do not pin them down.
    """
    far = np.abs(log_theta) >= _FAR_OUT
    if not far.any():
        return "", {}
    further = log_theta + np.where(far, np.sign(log_theta) * math.log(10.0), 0.0)
    before, after = objective(log_theta)[0], objective(further)[0]
    if not (math.isfinite(before) and math.isfinite(after)):
        return "", {}
    if abs(after - before) / scale >= 0.5:
        return "", {}
    flat = {
        name: _limit(float(u)) for name, u, out in zip(names, log_theta, far, strict=True) if out
    }
    listed = " and ".join(f"{name} heading to {limit}" for name, limit in flat.items())
    return (
        f"the likelihood is flat in {listed}, which the data cannot pin down (ten times "
        "further out it changes by less than half a unit)"
    ), flat


def _limit(log_value: float) -> Limit | None:
    """Return where a far-out parameter heads ("zero" or "infinity"), None if not far out."""
    if abs(log_value) < _FAR_OUT:
        return None
    return "infinity" if log_value > 0 else "zero"


def newton_refit(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    theta: ArrayLike,
    log_covariance: ArrayLike,
    *,
    max_iterations: int = 25,
) -> FloatArray | None:
    r"""Refit from the full-data estimate by quasi-Newton steps started with its curvature.

    Parameters
    ----------
    objective : callable
        ``theta -> (-log-likelihood, gradient w.r.t. theta)`` of the
        resample (a model's ``_objective(rows)``), weighted totals.
    theta : array_like, shape (k,)
        The full-data estimate, the start.
    log_covariance : array_like, shape (k, k)
        The full-data covariance of ``log(theta)``: the inverse Hessian of the
        full data's negative log-likelihood in log-parameters.
    max_iterations : int, default 25
        Steps before giving up.

    Returns
    -------
    ndarray, shape (k,) or None
        The resample's maximum-likelihood estimate, or None when the steps
        do not settle (the caller then runs the full optimiser, which
        either finds the maximum or raises
        :class:`~relmark.ConvergenceError`).

    Notes
    -----
    A bootstrap resample has as many customers as the data, so its Hessian
    in :math:`u = \log\theta` is close to the full data's :math:`H`
    (relatively, by :math:`O(n^{-1/2})`).  BFGS steps
    :math:`u_{j+1} = u_j - t_j B_j \nabla(u_j)` started at the estimate with
    :math:`B_0 = H^{-1}` (the fit's ``log_covariance``), :math:`t_j` the
    first of 1, 1/2, 1/4, ... that lowers the objective enough (Armijo),
    then converge superlinearly: a step below :math:`10^{-9}` in every
    log-parameter (a relative change of :math:`10^{-9}`, some
    :math:`10^{-8}` of a standard error) takes a handful of gradient
    evaluations, where an optimiser started without curvature needs some
    twenty.  A step beyond :math:`e^{\pm 30}` or a line search that finds
    no decrease gives up.  Why not scipy's BFGS, which takes the starting
    inverse Hessian too (``hess_inv0``): its Wolfe line search spends more
    evaluations per step than this backtracking one needs from so good a
    start.

    References
    ----------
    Nocedal, J. & Wright, S. J. (2006). *Numerical Optimization*, 2nd ed.,
    section 6.1 (BFGS) and 3.1 (backtracking line search).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.models._fitting import newton_refit
    >>> def objective(theta):   # minimum at theta = (2, 3), curvature 1 in log-theta
    ...     u = np.log(theta) - np.log([2.0, 3.0])
    ...     return float(u @ u) / 2 + float(u[0] ** 4), (u + [4 * u[0] ** 3, 0.0]) / theta
    >>> newton_refit(objective, [1.9, 3.2], np.eye(2)).round(9).tolist()
    [2.0, 3.0]
    """
    start = as_float_array("theta", np.ravel(theta), positive=True)
    inverse_hessian = np.array(log_covariance, dtype=np.float64)
    u = np.log(start)
    value, gradient = _log_objective(objective, u)
    for _ in range(max_iterations):  # a few steps of a k-parameter problem
        if not (math.isfinite(value) and np.isfinite(gradient).all()):
            return None
        step = inverse_hessian @ gradient
        if float(np.abs(step).max()) < _NEWTON_TOLERANCE:
            estimate: FloatArray = np.exp(u)
            return estimate
        found = _descend(objective, u, value, gradient, step)
        if found is None:
            return None
        trial, trial_value, trial_gradient = found
        inverse_hessian = _bfgs_update(inverse_hessian, trial - u, trial_gradient - gradient)
        u, value, gradient = trial, trial_value, trial_gradient
    return None


def _log_objective(
    objective: Callable[[FloatArray], tuple[float, FloatArray]], u: FloatArray
) -> tuple[float, FloatArray]:
    """Return the objective and its gradient in log-parameters ``u``."""
    theta = np.exp(u)
    value, gradient = objective(theta)
    return float(value), np.asarray(gradient, dtype=np.float64) * theta


def _descend(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    u: FloatArray,
    value: float,
    gradient: FloatArray,
    step: FloatArray,
) -> tuple[FloatArray, float, FloatArray] | None:
    """Return the first of the steps ``-step``, ``-step/2``, ... that lowers the objective."""
    slope = float(gradient @ step)  # > 0 for a descent direction
    length = 1.0
    for _ in range(_HALVINGS):
        trial = u - length * step
        if float(np.abs(trial).max()) > _LOG_BOUND:
            return None
        trial_value, trial_gradient = _log_objective(objective, trial)
        # Armijo's sufficient decrease, with room for rounding in the total
        if trial_value <= value - 1e-4 * length * slope + _NEWTON_SLACK * abs(value):
            return trial, trial_value, trial_gradient
        length /= 2.0
    return None


def _bfgs_update(inverse_hessian: FloatArray, s: FloatArray, y: FloatArray) -> FloatArray:
    """Return the BFGS update of an inverse Hessian (unchanged when the curvature is not > 0)."""
    curvature = float(s @ y)
    if not curvature > 0.0:
        return inverse_hessian
    # (I - rho s y')B(I - rho y s') + rho s s', expanded: two outer products, no k x k products
    by = inverse_hessian @ y
    rho = 1.0 / curvature
    updated: FloatArray = (
        inverse_hessian
        + (rho * rho * (curvature + float(y @ by))) * np.outer(s, s)
        - rho * (np.outer(by, s) + np.outer(s, by))
    )
    return updated
