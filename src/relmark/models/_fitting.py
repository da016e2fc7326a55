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
  from differences of the exact gradient) on the log and the natural scale.
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

from relmark._validation import FloatArray, as_positive, as_scalar, readonly
from relmark.exceptions import ConvergenceError, Limit, ValidationError

__all__ = ["FitInfo", "NegLogLikelihood", "maximize_likelihood", "start_values"]

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


def _names(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(names)


def _floats(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def _matrix(values: ArrayLike) -> FloatArray:
    return readonly(np.array(values, dtype=np.float64))


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
    """

    names: tuple[str, ...] = attrs.field(converter=_names)
    estimates: tuple[float, ...] = attrs.field(converter=_floats)
    log_likelihood: float
    covariance: FloatArray = attrs.field(converter=_matrix)
    log_covariance: FloatArray = attrs.field(converter=_matrix)
    iterations: int
    n_customers: float
    n_rows: int
    seconds: float
    message: str

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
        coverage = as_scalar("level", level, low=0.0, high=1.0, low_open=True, high_open=True)
        z = _normal_quantile((1.0 + coverage) / 2.0)
        spread = z * np.sqrt(np.diag(self.log_covariance))
        return {
            name: (float(value * np.exp(-width)), float(value * np.exp(width)))
            for name, value, width in zip(self.names, self.estimates, spread, strict=True)
        }

    def table(self, level: float = 0.95) -> str:
        """Return the fit as a plain-text table: estimates, standard errors, intervals.

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
        parameter   estimate  std. error      95% interval
        r             0.2426     0.01256   0.2192 - 0.2685
        alpha          4.414      0.3782    3.731 - 5.221
        a             0.7929      0.1857     0.501 - 1.255
        b              2.426      0.7054    1.372 - 4.289
        log-likelihood -9582.43; 2,357 customers (1,016 distinct rows); ... iterations
        """
        bounds = self.intervals(level)
        stderr = self.stderr
        lines = [
            f"{'parameter':<10}{'estimate':>10}{'std. error':>12}{f'{level:.0%} interval':>18}"
        ]
        for name, value in zip(self.names, self.estimates, strict=True):
            low, high = bounds[name]
            lines.append(
                f"{name:<10}{value:>10.4g}{stderr[name]:>12.4g}{f'{low:.4g} - {high:.4g}':>16}"
            )
        lines.append(
            f"log-likelihood {self.log_likelihood:.2f}; {self.n_customers:,.0f} customers "
            f"({self.n_rows:,} distinct rows); {self.iterations} iterations"
        )
        return "\n".join(lines)


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
        hessian = _hessian(objective, log_theta, gradient) / scale
    problem, unidentified = _problem(names, log_theta, value, gradient, hessian)
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
    log_covariance = np.linalg.inv(hessian)
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


def _limit(log_value: float) -> Limit | None:
    """Return where a far-out parameter heads ("zero" or "infinity"), None if not far out."""
    if abs(log_value) < _FAR_OUT:
        return None
    return "infinity" if log_value > 0 else "zero"
