"""The shared maximum-likelihood core: every model's ``fit`` goes through here.

A model supplies its weighted negative log-likelihood and its exact gradient
with respect to the natural (positive) parameters.  This module optimises in
log-parameters, so positivity needs no constraint, scales the objective per
customer so tolerances do not depend on the size of the data, and derives
standard errors from the observed information (the Hessian of the negative
log-likelihood at the optimum, by central differences of the exact gradient).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence

import attrs
import numpy as np
from scipy import optimize

from relmark._validation import FloatArray
from relmark.exceptions import ConvergenceError

__all__ = ["FitInfo", "NegLogLikelihood", "maximize_likelihood"]

# theta (natural parameters) -> (negative log-likelihood, gradient w.r.t. theta)
NegLogLikelihood = Callable[[FloatArray], tuple[float, FloatArray]]

_LOG_BOUND = 30.0  # parameters stay within exp(+-30): wide, yet no overflow
_GRADIENT_TOLERANCE = 1e-5  # per-customer gradient norm accepted as an optimum


@attrs.frozen(kw_only=True)
class FitInfo:
    """How a maximum-likelihood fit went.

    Attributes
    ----------
    log_likelihood : float
        Weighted total log-likelihood at the estimate.
    stderr : mapping of str to float
        Standard error of each parameter, from the inverse observed
        information; NaN (with a warning at fit time) when the information
        matrix is not positive definite.
    converged : bool
        Whether the optimiser met its tolerance.
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

    Examples
    --------
    >>> from relmark.models import FitInfo
    >>> info = FitInfo(log_likelihood=-10.0, stderr={"r": 0.1}, converged=True,
    ...                iterations=12, n_customers=100.0, n_rows=40, seconds=0.01,
    ...                message="converged")
    >>> info.converged
    True
    """

    log_likelihood: float
    stderr: Mapping[str, float]
    converged: bool
    iterations: int
    n_customers: float
    n_rows: int
    seconds: float
    message: str


def maximize_likelihood(
    model_name: str,
    names: Sequence[str],
    neg_log_likelihood: NegLogLikelihood,
    start: Sequence[float],
    *,
    n_customers: float,
    n_rows: int,
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
        If the optimiser stops away from an optimum.
    """
    began = time.perf_counter()
    scale = 1.0 / max(n_customers, 1.0)

    def objective(log_theta: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(log_theta)
        value, gradient = neg_log_likelihood(theta)
        if not math.isfinite(value):
            return math.inf, np.zeros_like(log_theta)
        return value * scale, gradient * theta * scale

    x0 = np.log(np.asarray(start, dtype=np.float64))
    with np.errstate(all="ignore"):
        result = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(names),
            options={"maxiter": max_iterations, "ftol": 1e-12, "gtol": 1e-8},
        )
    value, gradient = objective(result.x)
    near_bound = np.abs(result.x) > _LOG_BOUND - 1e-6
    at_optimum = (
        math.isfinite(value)
        and float(np.abs(gradient[~near_bound]).max(initial=0.0)) < _GRADIENT_TOLERANCE
    )
    if not at_optimum or near_bound.any():
        where = ", ".join(f"{n}={t:.4g}" for n, t in zip(names, np.exp(result.x), strict=True))
        advice = (
            "some parameter ran to the edge of the search space, which usually means the data "
            "cannot identify it (for example too few repeat buyers or too short a period); "
            if near_bound.any()
            else ""
        )
        raise ConvergenceError(
            f"{model_name} fit did not converge: {result.message} (stopped at {where}). "
            f"Advice: {advice}check the summary's units and values, try other start values, "
            "or use more customers."
        )
    theta = np.exp(result.x)
    value_at, gradient_at = neg_log_likelihood(theta)
    stderr = _standard_errors(model_name, names, neg_log_likelihood, theta, gradient_at)
    info = FitInfo(
        log_likelihood=-float(value_at),
        stderr=stderr,
        converged=True,
        iterations=int(result.nit),
        n_customers=float(n_customers),
        n_rows=int(n_rows),
        seconds=time.perf_counter() - began,
        message=str(result.message),
    )
    return theta, info


def _standard_errors(
    model_name: str,
    names: Sequence[str],
    neg_log_likelihood: NegLogLikelihood,
    theta: FloatArray,
    gradient: FloatArray,
) -> dict[str, float]:
    """Return standard errors from the observed information at ``theta``.

    The information is the Jacobian of the exact gradient, by forward
    differences from ``gradient`` (the gradient at ``theta``), symmetrised.
    """
    k = theta.size
    hessian = np.empty((k, k))
    for j in range(k):  # k <= 4 parameters: a loop over parameters, not customers
        step = 1e-6 * theta[j]
        up = theta.copy()
        up[j] += step
        hessian[:, j] = (neg_log_likelihood(up)[1] - gradient) / step
    hessian = (hessian + hessian.T) / 2
    try:
        np.linalg.cholesky(hessian)
        errors = np.sqrt(np.diag(np.linalg.inv(hessian)))
    except np.linalg.LinAlgError:
        warnings.warn(
            f"{model_name}: the observed information is not positive definite at the estimate; "
            "standard errors are unavailable (NaN)",
            RuntimeWarning,
            stacklevel=3,
        )
        errors = np.full(k, math.nan)
    return {name: float(e) for name, e in zip(names, errors, strict=True)}
