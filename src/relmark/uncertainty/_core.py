"""The uncertainty engine: delta-method and bootstrap bands for any prediction of fitted models.

Everything here works on a parameter vector ``theta`` (natural, positive
parameters, in a model's ``parameter_names()`` order, or several models'
vectors concatenated) and a ``predict`` function mapping such a vector to an
array.  Two ways to get an interval:

- **delta method** (:func:`delta_band`): the fit's covariance of the
  log-parameters propagated through the Jacobian of ``predict``, which is
  taken by central differences in log-parameters; cheap (``2k + 1``
  predictions for ``k`` parameters) and exact to first order;
- **bootstrap** (:func:`resampled_weights`, :func:`bootstrap_thetas`,
  :func:`draws_band`): customers resampled with replacement, as multinomial
  counts over the distinct rows of a summary, each resample refitted (the
  caller warm-starts the refit at the full-data estimate), and normal
  intervals on the log or logit scale with the bias and standard deviation
  of ``predict`` over the refitted parameters (:func:`bootstrap_bounds`, the
  one function every bootstrap band goes through).

Bands on many rows are computed in chunks of rows (:func:`chunked_draws_band`)
so that memory stays bounded however many customers there are.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, logit, ndtri
from threadpoolctl import ThreadpoolController

from relmark._validation import (
    FloatArray,
    as_choice,
    as_count,
    as_float_array,
    as_level,
    check_size,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.data._tables import pandas_frame
from relmark.exceptions import ConvergenceError, ValidationError
from relmark.models._fitting import newton_refit

if TYPE_CHECKING:  # pandas is optional: imported only to type to_pandas
    import pandas as pd

__all__ = [
    "MAX_CELLS",
    "MAX_DRAWS",
    "MAX_KEPT_CELLS",
    "Band",
    "BandAccumulator",
    "BootstrapWarning",
    "Method",
    "Scale",
    "bootstrap_bounds",
    "bootstrap_thetas",
    "check_level",
    "check_n_draws",
    "chunked_draws_band",
    "delta_band",
    "draws_band",
    "newton_refit",
    "one_blas_thread",
    "ordered_map",
    "percentile_bounds",
    "resampled_weights",
    "thread_count",
]

#: How an interval is computed: refits on resampled customers, or the delta method.
Method = Literal["bootstrap", "delta"]
#: The scale on which a delta-method interval is symmetric.
Scale = Literal["log", "logit", "linear"]

#: Most bootstrap draws one call may ask for (each is a refit of every model).
MAX_DRAWS = 100_000
#: Most (draw x row) evaluations one band may ask for, however it is chunked.
MAX_CELLS = 1_000_000_000
#: Most (draw x row) values a band may keep (``keep_draws=True``): 800 MB of float64.
MAX_KEPT_CELLS = 100_000_000
# Rows per chunk are chosen so that one chunk's (draws x rows) block holds about
# this many values (32 MB of float64): large enough that numpy's per-call cost
# vanishes, small enough to stay in memory beside a million-customer summary.
_CHUNK_CELLS = 1 << 22

# Central differences in u = log(theta) with step h: the truncation error is
# about h^2 |f'''| / 6 and the rounding error about eps |f| / h, balanced at
# h ~ eps^(1/3) ~ 6e-6.  A step of 1e-5 in log(theta) is a relative change of
# 1e-5 in theta whatever the parameter's size (time-scale parameters such as
# BG/NBD's alpha are in the data's unit), so the derivative is accurate to
# about 1e-10 relative for the smooth predictions of these models.
_LOG_STEP = 1e-5
# resampled_weights draws customers one by one (about 12 ns each) rather than one
# binomial per row (about 80 ns) while the customers are at most this many per row
_SLOTS_PER_ROW = 6.0
_MAX_THREADS = 8  # beyond this the bootstrap's threads mostly wait for each other


@cache
def _controller() -> ThreadpoolController:
    """Return the process's thread-pool controller, built once (it scans the libraries)."""
    return ThreadpoolController()


def one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Return a context limiting BLAS to one thread (the caller's setting restored on exit).

    The bootstrap runs thousands of small dot products (refits of 2 to 7
    parameters, per-chunk totals); as in the fitting core, waking BLAS
    threads for each costs more than the work, and far more when other
    processes keep the cores busy: a BG/NBD objective on 42,000 rows took
    58 ms with the default threads beside a busy machine and 2.6 ms with one.

    Examples
    --------
    >>> from relmark.uncertainty._core import one_blas_thread
    >>> with one_blas_thread():
    ...     pass
    """
    limited: contextlib.AbstractContextManager[object] = _controller().limit(
        limits=1, user_api="blas"
    )
    return limited


def thread_count(n_threads: object = None) -> int:
    """Return how many threads the bootstrap uses: ``n_threads``, or the cores available (<= 8).

    Examples
    --------
    >>> from relmark.uncertainty._core import thread_count
    >>> thread_count(2)
    2
    >>> thread_count(None) >= 1
    True
    """
    if n_threads is None:
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        return max(1, min(available or os.cpu_count() or 1, _MAX_THREADS))
    return as_count("n_threads", n_threads, minimum=1, maximum=64)


_In = TypeVar("_In")
_Out = TypeVar("_Out")


def ordered_map(
    function: Callable[[_In], _Out], items: Iterable[_In], n_threads: int
) -> Iterator[_Out]:
    """Yield ``function(item)`` for each item, in order, computed by ``n_threads`` threads.

    The items are taken from ``items`` in order (a generator of resamples
    keeps drawing in its own order) and at most twice as many as threads
    are in flight, so memory stays bounded.  numpy and scipy release the
    GIL in their loops over arrays, which is where the bootstrap's work is.

    Examples
    --------
    >>> from relmark.uncertainty._core import ordered_map
    >>> list(ordered_map(lambda x: x * x, range(5), 2))
    [0, 1, 4, 9, 16]
    """
    if n_threads <= 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        pending: deque[Future[_Out]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= 2 * n_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


#: The coverage check of every interval (one definition, in the validation module).
check_level = as_level


def check_n_draws(n_draws: object) -> int:
    """Return ``n_draws`` as an int in [2, :data:`MAX_DRAWS`], the number of bootstrap draws.

    Examples
    --------
    >>> from relmark.uncertainty._core import check_n_draws
    >>> check_n_draws(200)
    200
    >>> check_n_draws(1)
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `n_draws` must be >= 2, got 1
    """
    return as_count(
        "n_draws",
        n_draws,
        minimum=2,
        maximum=MAX_DRAWS,
        why="each draw refits every model; 200 to 1,000 draws give stable 90% intervals",
    )


def _band_array(value: ArrayLike) -> FloatArray:
    array = np.array(value, dtype=np.float64, copy=True)
    if not np.isfinite(array).all():
        raise ValidationError("a band's values must be finite; got NaN or infinite values")
    return readonly(array)


def _draws(value: ArrayLike | None) -> FloatArray | None:
    return None if value is None else _band_array(value)


def _level(value: float) -> float:
    return check_level(value)


def _method(value: str) -> str:
    return as_choice("method", value, ("bootstrap", "delta"))


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Band:
    r"""One quantity's point estimate and interval, and optionally its bootstrap draws.

    Attributes
    ----------
    name : str
        What the band is of (``"clv"``, ``"probability_alive"``, ...).
    estimate : ndarray
        The prediction at the fitted parameters; any shape (``()`` for a
        total, ``(n,)`` per customer).
    lower, upper : ndarray
        The interval's bounds, same shape; ``lower <= estimate <= upper``
        for the delta method, and for the bootstrap unless the draws' bias
        exceeds ``z`` standard deviations (its interval is centred at the
        bias-corrected estimate, see :func:`bootstrap_bounds`).
    level : float
        The interval's nominal coverage, in (0, 1).
    method : {"bootstrap", "delta"}
        How the interval was computed.
    draws : ndarray or None
        Shape ``(n_draws, *estimate.shape)``: the prediction at each
        bootstrap draw of the parameters, when kept.

    Raises
    ------
    ValidationError
        If the shapes differ, a value is not finite, ``level`` is not in
        (0, 1) or ``method`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import Band
    >>> band = Band(name="clv", estimate=np.array([10.0, 20.0]), lower=np.array([8.0, 15.0]),
    ...             upper=np.array([12.5, 26.0]), level=0.9, method="delta")
    >>> band
    Band('clv', 2 values, 90% delta)
    >>> band.to_pandas()["upper"].tolist()
    [12.5, 26.0]
    """

    name: str
    estimate: FloatArray = attrs.field(converter=_band_array)
    lower: FloatArray = attrs.field(converter=_band_array)
    upper: FloatArray = attrs.field(converter=_band_array)
    level: float = attrs.field(converter=_level)
    method: str = attrs.field(converter=_method)
    draws: FloatArray | None = attrs.field(default=None, converter=_draws)

    def __attrs_post_init__(self) -> None:
        shape = self.estimate.shape
        if self.lower.shape != shape or self.upper.shape != shape:
            raise ValidationError(
                f"band {self.name!r}: `estimate`, `lower` and `upper` must have one shape, got "
                f"{shape}, {self.lower.shape} and {self.upper.shape}"
            )
        if self.draws is not None and self.draws.shape[1:] != shape:
            raise ValidationError(
                f"band {self.name!r}: `draws` must have shape (n_draws, *{shape}), "
                f"got {self.draws.shape}"
            )
        if bool(np.any(self.lower > self.upper)):
            raise ValidationError(f"band {self.name!r}: `lower` must be <= `upper`")

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    @property
    def width(self) -> FloatArray:
        """``upper - lower``, same shape as ``estimate``."""
        width: FloatArray = self.upper - self.lower
        return width

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the band as columns ``estimate``, ``lower``, ``upper`` (1-D, flattened).

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.uncertainty import Band
        >>> Band(name="total", estimate=np.float64(5.0), lower=np.float64(4.0),
        ...      upper=np.float64(6.0), level=0.9, method="bootstrap").to_dict()["lower"].tolist()
        [4.0]
        """
        return {
            "estimate": self.estimate.reshape(-1),
            "lower": self.lower.reshape(-1),
            "upper": self.upper.reshape(-1),
        }

    def to_pandas(self) -> pd.DataFrame:
        """Return a pandas DataFrame with columns ``estimate``, ``lower``, ``upper``.

        Returns
        -------
        pandas.DataFrame
            One row per value (flattened), indexed by position.

        Raises
        ------
        ImportError
            If pandas is not installed.

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.uncertainty import Band
        >>> Band(name="p", estimate=np.array([0.5]), lower=np.array([0.4]),
        ...      upper=np.array([0.6]), level=0.9, method="delta").to_pandas().columns.tolist()
        ['estimate', 'lower', 'upper']
        """
        return pandas_frame(self.to_dict(), owner="Band")

    def __repr__(self) -> str:
        size = "1 value" if self.estimate.ndim == 0 else f"{self.estimate.size:,} values"
        return f"Band({self.name!r}, {size}, {self.level:.0%} {self.method})"


# --------------------------------------------------------------------------- delta method


def delta_band(
    name: str,
    predict: Callable[[FloatArray], FloatArray],
    theta: ArrayLike,
    log_covariance: ArrayLike,
    *,
    level: float,
    scale: Scale,
) -> Band:
    r"""Return the delta-method band of ``predict`` at ``theta``.

    Parameters
    ----------
    name : str
        The quantity's name.
    predict : callable
        ``theta -> ndarray``: the prediction (any fixed shape) at natural
        parameters ``theta``.
    theta : array_like, shape (k,)
        The estimate, natural parameters (> 0).
    log_covariance : array_like, shape (k, k)
        Covariance of ``log(theta)`` (``FitInfo.log_covariance``; block
        diagonal for models fitted separately).
    level : float
        Coverage, in (0, 1).
    scale : {"log", "logit", "linear"}
        Where the interval is symmetric: ``"log"`` for positive quantities
        (expected purchases, spend, CLV), ``"logit"`` for probabilities,
        ``"linear"`` for quantities of any sign.

    Returns
    -------
    Band
        ``method="delta"``, no draws.

    Raises
    ------
    ValidationError
        If ``level`` is not in (0, 1), ``theta`` is not positive, the
        covariance's shape does not match, or ``predict`` returns values
        outside the scale's domain (negative for ``"log"``, outside [0, 1]
        for ``"logit"``) or not finite.

    Notes
    -----
    With :math:`u = \log\theta`, :math:`\Sigma_u` the covariance of
    :math:`\hat u` and :math:`J = \partial f / \partial u`, taken by central
    differences with step :math:`h = 10^{-5}` (a relative step in
    :math:`\theta`; :math:`h \approx \epsilon^{1/3}` balances truncation
    and rounding error),

    .. math::

        \mathrm{se}(f) = \sqrt{J \Sigma_u J^\top},\qquad
        g^{-1}\bigl(g(\hat f) \pm z_{(1+\mathrm{level})/2}\,|g'(\hat f)|\,\mathrm{se}(f)\bigr)

    with :math:`g = \log` (bounds :math:`\hat f e^{\pm z\,\mathrm{se}/\hat f}`),
    :math:`g = \operatorname{logit}` (:math:`g' = 1/(p(1-p))`) or the
    identity.  Where the estimate sits on the edge of the scale's domain
    (:math:`\hat f = 0` on the log scale, 0 or 1 on the logit scale) the
    transformed interval does not exist; there the bound is the linear one,
    clipped to the domain (a zero-width band when the quantity does not
    move with the parameters, as the probability of being alive of a
    BG/NBD customer without repeat purchases).

    References
    ----------
    Casella, G. & Berger, R. L. (2002). *Statistical Inference*, 2nd ed.,
    section 5.5.4 (the delta method).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import delta_band
    >>> band = delta_band("mean", lambda theta: theta * 2.0, np.array([3.0]),
    ...                   np.array([[0.01]]), level=0.95, scale="log")
    >>> [round(float(v), 3) for v in (band.lower[0], band.estimate[0], band.upper[0])]
    [4.932, 6.0, 7.299]
    """
    coverage = check_level(level)
    as_choice("scale", scale, ("log", "logit", "linear"))
    point = as_float_array("theta", np.ravel(theta), positive=True)
    covariance = np.asarray(log_covariance, dtype=np.float64)
    k = point.size
    if covariance.shape != (k, k):
        raise ValidationError(
            f"`log_covariance` must have shape ({k}, {k}) for {k} parameters, "
            f"got {covariance.shape}"
        )
    estimate = _prediction(name, predict, point)
    stderr = np.sqrt(_delta_variance(predict, point, covariance, estimate))
    lower, upper = _symmetric_bounds(name, estimate, stderr, ndtri((1.0 + coverage) / 2.0), scale)
    return Band(
        name=name, estimate=estimate, lower=lower, upper=upper, level=coverage, method="delta"
    )


def _prediction(name: str, predict: Callable[[FloatArray], FloatArray], theta: FloatArray) -> Any:
    values = np.asarray(predict(theta), dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValidationError(f"the prediction {name!r} is not finite at theta={theta.tolist()}")
    return values


def _delta_variance(
    predict: Callable[[FloatArray], FloatArray],
    theta: FloatArray,
    covariance: FloatArray,
    estimate: FloatArray,
) -> FloatArray:
    """Return the variance J S J^T per element, J by central differences in log(theta)."""
    log_theta = np.log(theta)
    columns = []
    for j in range(theta.size):  # k parameters (2 to 7): a loop over parameters, not rows
        up, down = log_theta.copy(), log_theta.copy()
        up[j] += _LOG_STEP
        down[j] -= _LOG_STEP
        difference = np.asarray(predict(np.exp(up)), dtype=np.float64) - np.asarray(
            predict(np.exp(down)), dtype=np.float64
        )
        columns.append(difference / (2.0 * _LOG_STEP))
    jacobian = np.stack(columns, axis=-1) if columns else np.zeros((*estimate.shape, 0))
    # J Sigma J^T element-wise, without forming an (n, n) matrix: sum_jl J_j S_jl J_l
    variance: FloatArray = np.einsum("...j,jl,...l->...", jacobian, covariance, jacobian)
    if not np.isfinite(variance).all():
        raise ValidationError(
            "the delta-method variance is not finite: the prediction is not smooth"
        )
    return np.maximum(variance, 0.0)


def _symmetric_bounds(
    name: str, estimate: FloatArray, stderr: FloatArray, z: float, scale: str
) -> tuple[FloatArray, FloatArray]:
    """Return the delta-method bounds symmetric on ``scale`` (linear, clipped, on the edges)."""
    spread = z * stderr
    inside = _check_domain(name, estimate, scale)
    if scale == "linear":
        return estimate - spread, estimate + spread
    # the spread on the scale g: z se |g'(f)|, with g' = 1/f (log) or 1/(f(1-f)) (logit)
    safe = np.where(inside, estimate, 0.5)
    g_spread = spread / safe if scale == "log" else spread / (safe * (1.0 - safe))
    return _mapped_bounds(estimate, np.where(inside, g_spread, 0.0), spread, scale, inside)


def _check_domain(name: str, values: FloatArray, scale: str) -> Any:
    """Refuse values outside the scale's domain; return where they are inside its interior."""
    if scale == "linear":
        return np.ones(values.shape, dtype=bool)
    if scale == "log":
        if bool(np.any(values < 0)):
            raise ValidationError(f"the prediction {name!r} is negative; use scale='linear'")
        return values > 0
    if bool(np.any((values < 0) | (values > 1))):
        raise ValidationError(f"the prediction {name!r} is not a probability in [0, 1]")
    return (values > 0) & (values < 1)


def _mapped_bounds(
    estimate: FloatArray,
    g_spread: FloatArray,
    linear_spread: FloatArray,
    scale: str,
    inside: Any,
    centre: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Return ``g^-1(c -+ g_spread)`` where ``inside``, else ``f -+ linear_spread`` clipped.

    ``c`` is ``centre`` (on the scale g), by default ``g(f)``: then the bounds
    hold the estimate ``f`` whatever the rounding.
    """
    if scale == "log":
        if centre is None:
            factor = np.exp(g_spread)
            lower = np.where(inside, estimate / factor, np.maximum(estimate - linear_spread, 0.0))
            upper = np.where(inside, estimate * factor, estimate + linear_spread)
            return lower, upper
        lower = np.where(inside, np.exp(centre - g_spread), np.maximum(estimate - linear_spread, 0))
        upper = np.where(inside, np.exp(centre + g_spread), estimate + linear_spread)
        return lower, upper
    safe = np.where(inside, estimate, 0.5)
    middle = logit(safe) if centre is None else centre
    lower = np.where(inside, expit(middle - g_spread), np.clip(estimate - linear_spread, 0, 1))
    upper = np.where(inside, expit(middle + g_spread), np.clip(estimate + linear_spread, 0, 1))
    if centre is not None:
        return lower, upper
    # expit rounds to the estimate itself for tiny spreads: keep lower <= estimate <= upper
    return np.minimum(lower, estimate), np.maximum(upper, estimate)


# --------------------------------------------------------------------------- bootstrap


class BootstrapWarning(UserWarning):
    """Some bootstrap refits failed; the intervals use the draws that succeeded."""


def resampled_weights(
    weights: ArrayLike, n_draws: int, rng: np.random.Generator
) -> Iterator[FloatArray]:
    r"""Yield ``n_draws`` bootstrap resamples of customers as counts over compressed rows.

    Parameters
    ----------
    weights : array_like, shape (m,)
        How many customers each distinct row stands for (> 0; a
        compressed summary's ``weights``).
    n_draws : int
        Number of resamples (2 to :data:`MAX_DRAWS`).
    rng : numpy.random.Generator
        The randomness source.

    Yields
    ------
    ndarray, shape (m,)
        Whole counts (float64) summing to :math:`n = \mathrm{round}(\sum w)`;
        rows drawn by nobody have count 0.

    Notes
    -----
    Drawing :math:`n` customers with replacement from the :math:`n` customers
    of the summary gives each distinct row :math:`i` a count
    :math:`\sim \mathrm{Multinomial}(n, w / \sum w)`.  With whole weights and
    rows nearly as many as customers (up to 6 customers per row) the
    customers are drawn one by one and counted per row; otherwise the
    counts are drawn as the multinomial (one binomial per row).  Both are
    the same distribution.  Fractional weights are resampled as
    probabilities, with :math:`n` their rounded sum.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    chapter 6.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import resampled_weights
    >>> draws = list(resampled_weights([3.0, 1.0, 6.0], 2, np.random.default_rng(0)))
    >>> len(draws), [float(d.sum()) for d in draws]
    (2, [10.0, 10.0])
    """
    counts = as_float_array("weights", np.ravel(weights), positive=True)
    draws = check_n_draws(n_draws)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`rng` must be a numpy Generator, got {type(rng).__name__}")
    total = float(counts.sum())
    n = max(round(total), 1)
    if bool(np.all(counts == np.floor(counts))) and total <= _SLOTS_PER_ROW * counts.size:
        # whole counts, few per row: draw the customers themselves (one integer each),
        # cheaper than one binomial per row when rows are nearly as many as customers
        slot_row = np.repeat(np.arange(counts.size), counts.astype(np.int64))
        for _ in range(draws):  # a loop over draws, each one vectorised over the customers
            chosen = slot_row[rng.integers(0, n, size=n)]
            yield np.bincount(chosen, minlength=counts.size).astype(np.float64)
        return
    probabilities = counts / total
    for _ in range(draws):  # a loop over draws, each one vectorised over the rows
        yield rng.multinomial(n, probabilities).astype(np.float64)


def bootstrap_thetas(
    refit: Callable[[FloatArray], FloatArray],
    weights: ArrayLike,
    n_draws: int,
    rng: np.random.Generator,
    *,
    n_threads: int | None = None,
) -> FloatArray:
    """Return the parameter vectors of ``n_draws`` refits on resampled customers.

    Parameters
    ----------
    refit : callable
        ``resampled weights -> theta``: fits the model(s) to the distinct
        rows with those weights (rows of weight 0 left out) and returns the
        parameter vector; warm-started by the caller at the full-data
        estimate.  A refit that raises :class:`~relmark.ConvergenceError`
        or :class:`~relmark.ValidationError` (a resample the model cannot
        be fitted to, such as one without repeat buyers) is a failed draw.
    weights : array_like, shape (m,)
        The distinct rows' weights (see :func:`resampled_weights`).
    n_draws : int
        Number of draws (2 to :data:`MAX_DRAWS`).
    rng : numpy.random.Generator
        The randomness source; the same seed gives the same draws.
    n_threads : int, optional
        Refits run at once (default: the cores available, at most 8); the
        resamples are drawn in order, so the result does not depend on it.
        ``refit`` must be thread-safe (relmark's models are immutable).

    Returns
    -------
    ndarray, shape (n_ok, k)
        One row per successful refit, in draw order; ``n_ok = n_draws`` less
        the failed draws, which are never silently dropped: a
        :class:`BootstrapWarning` says how many failed and why.

    Raises
    ------
    ConvergenceError
        If fewer than 2 refits succeed (no interval can be formed).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import bootstrap_thetas
    >>> values = np.array([1.0, 2.0, 4.0])
    >>> def mean(w):
    ...     return np.array([np.average(values, weights=w)])
    >>> thetas = bootstrap_thetas(mean, np.ones(3), 50, np.random.default_rng(1))
    >>> thetas.shape, bool(values.min() <= thetas.min() <= thetas.max() <= values.max())
    ((50, 1), True)
    """
    draws = check_n_draws(n_draws)
    workers = thread_count(n_threads)

    def attempt(resample: FloatArray) -> FloatArray | str:
        try:
            return np.asarray(refit(resample), dtype=np.float64).reshape(-1)
        except (ConvergenceError, ValidationError) as error:
            return str(error)

    with one_blas_thread():
        outcomes = list(ordered_map(attempt, resampled_weights(weights, draws, rng), workers))
    thetas = [outcome for outcome in outcomes if not isinstance(outcome, str)]
    failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
    if len(thetas) < 2:
        raise ConvergenceError(
            f"only {len(thetas)} of {draws:,} bootstrap refits succeeded, too few for an "
            f"interval; the first failure: {failures[0] if failures else 'none'}. What to do: "
            "fit on more customers, or use method='delta'"
        )
    if failures:
        warnings.warn(
            f"{len(failures):,} of {draws:,} bootstrap refits failed and were left out of the "
            f"intervals (first failure: {failures[0]})",
            BootstrapWarning,
            stacklevel=2,
        )
    return np.stack(thetas)


def percentile_bounds(values: ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
    r"""Return the percentile interval of ``values`` along axis 0.

    Not the interval of relmark's bootstrap bands (those are
    :func:`bootstrap_bounds`): a way to read kept draws (``keep_draws=True``)
    another way.  With 100 to 200 draws its 5% and 95% quantiles are noisy
    and it under-covers (see :func:`bootstrap_bounds`).

    Parameters
    ----------
    values : array_like, shape (n_draws, ...)
        One prediction per draw.
    level : float
        Coverage, in (0, 1).

    Returns
    -------
    lower, upper : ndarray, shape values.shape[1:]
        The :math:`(1 - \mathrm{level})/2` and :math:`(1 + \mathrm{level})/2`
        quantiles (linear interpolation between order statistics).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import percentile_bounds
    >>> lower, upper = percentile_bounds(np.arange(101.0)[:, None], 0.9)
    >>> float(lower[0]), float(upper[0])
    (5.0, 95.0)
    """
    coverage = check_level(level)
    array = np.asarray(values, dtype=np.float64)
    tail = (1.0 - coverage) / 2.0
    bounds = np.quantile(array, [tail, 1.0 - tail], axis=0)
    return bounds[0], bounds[1]


def bootstrap_bounds(
    values: ArrayLike,
    estimate: ArrayLike,
    level: float,
    *,
    scale: Scale,
    name: str = "prediction",
) -> tuple[FloatArray, FloatArray]:
    r"""Return the bootstrap interval of every band: normal on the scale ``g``, bias-corrected.

    Every bootstrap band relmark gives (parameters, per-customer bands,
    totals, contract predictions) has these bounds.

    Parameters
    ----------
    values : array_like, shape (n_draws, ...)
        The prediction at each bootstrap draw of the parameters
        (``n_draws >= 2``).
    estimate : array_like, shape values.shape[1:]
        The prediction at the full-data estimate.
    level : float
        Coverage, in (0, 1).
    scale : {"log", "logit", "linear"}
        The scale ``g`` on which the interval is symmetric: ``"log"`` for
        positive quantities, ``"logit"`` for probabilities, ``"linear"``
        for quantities of any sign (as in :func:`delta_band`).
    name : str, default "prediction"
        The quantity's name, for the error messages.

    Returns
    -------
    lower, upper : ndarray, shape estimate.shape
        The bounds, ``lower <= upper``.  They hold the estimate unless the
        draws' bias on the scale ``g`` exceeds ``z`` of their standard
        deviations.

    Raises
    ------
    ValidationError
        If ``level`` or ``scale`` is not valid, the shapes do not match,
        there are fewer than 2 draws, a value is not finite, or a value is
        outside the scale's domain (negative for ``"log"``, outside [0, 1]
        for ``"logit"``).

    Notes
    -----
    With :math:`\hat f` the estimate, :math:`f^*_1, \dots, f^*_B` the draws,
    :math:`z = \Phi^{-1}((1 + \mathrm{level})/2)` and :math:`g = \log`,
    :math:`\operatorname{logit}` or the identity,

    .. math::

        g^{-1}\bigl(g(\hat f) - \hat b \pm z\, s_g\bigr),\qquad
        \hat b = \overline{g(f^*)} - g(\hat f),\qquad
        s_g^2 = \frac{1}{B - 1}\sum_{b=1}^{B}\bigl(g(f^*_b) - \overline{g(f^*)}\bigr)^2 :

    the normal approximation with the bootstrap's estimates of bias
    :math:`\hat b` and standard error :math:`s_g`, on the scale where the
    sampling distribution is nearest to normal (Davison & Hinkley 1997,
    section 5.2, the normal approximation on a transformed scale; Efron &
    Tibshirani 1993, chapter 10 for the bias, chapters 12-13 for the
    standard normal interval).  Where the estimate or a draw lies on the edge
    of the scale's domain (0 on the log scale, 0 or 1 on the logit scale)
    :math:`g` is not finite; there the interval is
    :math:`\hat f \pm z\,s` with :math:`s` the draws' own standard
    deviation, clipped to the domain (a zero-width band for a quantity
    that does not move with the parameters).  The work is two passes over
    the draws (their mean and standard deviation), less than the quantiles
    a percentile interval needs.

    Why this interval: in ``benchmarks/bench_uncertainty.py`` part (a)
    (200 simulated bases per model, 100 refits each, nominal 90%) the
    percentile interval (:func:`percentile_bounds`) covered Gamma-Gamma's
    ``p`` and ``gamma`` 0.830 and 0.820 of the time and BG/NBD's
    ``alpha`` 0.835; with 100 draws its 5% and 95% quantiles rest on a few
    draws each.  This interval, computed from the same draws, held
    [0.85, 0.95] for every parameter and prediction of the seven cases; the
    same interval without :math:`\hat b` covered BG/NBD's ``alpha`` 0.845
    (``docs/guide/uncertainty.md`` has the table).

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    chapters 12-14.

    Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their
    Application*, sections 5.2-5.3.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import bootstrap_bounds
    >>> draws = np.array([[1.0], [2.0], [4.0]])  # log-draws: mean log 2, sd log 2
    >>> lower, upper = bootstrap_bounds(draws, [2.0], 0.9, scale="log")
    >>> round(float(lower[0]), 4), round(float(upper[0]), 4)
    (0.6396, 6.2543)
    """
    coverage = check_level(level)
    as_choice("scale", scale, ("log", "logit", "linear"))
    draws = np.asarray(values, dtype=np.float64)
    point = np.asarray(estimate, dtype=np.float64)
    if draws.ndim == 0 or draws.shape[1:] != point.shape:
        raise ValidationError(
            f"the draws of {name!r} must have shape (n_draws, *{point.shape}), got {draws.shape}"
        )
    if draws.shape[0] < 2:
        raise ValidationError(
            f"{name!r} needs at least 2 draws for an interval, got {draws.shape[0]}"
        )
    # one pass each for the smallest and largest draw of every value: NaN and infinities
    # show in them, and so do values outside the scale's domain
    low, high = draws.min(axis=0), draws.max(axis=0)
    if not (np.isfinite(low).all() and np.isfinite(high).all() and np.isfinite(point).all()):
        raise ValidationError(
            f"the prediction {name!r} is not finite at the estimate or some draws"
        )
    inside = _check_domain(name, point, scale)
    _check_domain(name, np.stack([low, high]), scale)
    z = float(ndtri((1.0 + coverage) / 2.0))
    if scale == "linear":
        centre = 2.0 * point - draws.mean(axis=0)
        spread = z * draws.std(axis=0, ddof=1)
        return centre - spread, centre + spread
    inside = inside & (low > 0) if scale == "log" else inside & (low > 0) & (high < 1)
    everywhere = bool(np.all(inside))
    neutral = 1.0 if scale == "log" else 0.5  # g's argument where g is not finite: unused
    safe = draws if everywhere else np.where(inside, draws, neutral)
    g = np.log if scale == "log" else _fast_logit
    transformed = g(safe)
    g_point = g(np.where(inside, point, neutral))
    mean = transformed.mean(axis=0)
    transformed -= mean  # the deviations, in place
    g_sd = np.sqrt(np.einsum("i...,i...->...", transformed, transformed) / (draws.shape[0] - 1))
    # the edge's linear spread, only where g is not finite (usually nowhere)
    linear_spread = np.zeros(point.shape)
    if not everywhere:
        linear_spread = np.where(inside, 0.0, z * draws.std(axis=0, ddof=1))
    # centred at g(f) less the bootstrap's estimate of its bias, mean g(f*) - g(f)
    centre = 2.0 * g_point - mean
    return _mapped_bounds(point, z * g_sd, linear_spread, scale, inside, centre)


def _fast_logit(p: FloatArray) -> FloatArray:
    """``log(p / (1 - p))``: four times faster than scipy's ``logit`` on large blocks."""
    values: FloatArray = np.log(p / (1.0 - p))
    return values


def draws_band(
    name: str,
    predict: Callable[[FloatArray], FloatArray],
    thetas: ArrayLike,
    theta: ArrayLike,
    *,
    level: float,
    scale: Scale,
    keep_draws: bool,
) -> Band:
    r"""Return the bootstrap band of ``predict`` over bootstrap parameter draws.

    Parameters
    ----------
    name : str
        The quantity's name.
    predict : callable
        ``theta -> ndarray`` (any fixed shape).
    thetas : array_like, shape (n_draws, k)
        The draws (:func:`bootstrap_thetas`).
    theta : array_like, shape (k,)
        The full-data estimate: ``estimate = predict(theta)``.
    level : float
        Coverage, in (0, 1).
    scale : {"log", "logit", "linear"}
        Where the interval is symmetric (see :func:`bootstrap_bounds`).
    keep_draws : bool
        Keep the ``(n_draws, ...)`` predictions in ``Band.draws``.

    Returns
    -------
    Band
        ``method="bootstrap"``.

    Raises
    ------
    ValidationError
        If ``level`` is not in (0, 1), there are fewer than 2 draws, the
        work exceeds :data:`MAX_CELLS` values (or :data:`MAX_KEPT_CELLS` kept),
        a prediction is not finite or outside the scale's domain.

    Notes
    -----
    The bounds are :func:`bootstrap_bounds`: :math:`g^{-1}(g(\hat f) - \hat b \pm z\,s_g)`
    with :math:`s_g` the standard deviation of :math:`g(f)` over the draws
    and :math:`\hat b = \overline{g(f^*)} - g(\hat f)` their bias (Efron &
    Tibshirani 1993, chapters 10 and 12-13; Davison & Hinkley 1997, section
    5.2).  For many rows use :func:`chunked_draws_band`, which bounds the
    memory.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import draws_band
    >>> thetas = np.linspace(1.0, 3.0, 101)[:, None]
    >>> band = draws_band("double", lambda t: 2.0 * t, thetas, [2.0], level=0.9, scale="linear",
    ...                   keep_draws=True)
    >>> round(float(band.lower[0]), 2), float(band.estimate[0]), round(float(band.upper[0]), 2)
    (2.07, 4.0, 5.93)
    >>> band.draws.shape
    (101, 1)
    """
    coverage = check_level(level)
    draws_matrix, point = _thetas(thetas, theta)
    estimate = _prediction(name, predict, point)
    _check_cells(draws_matrix.shape[0], max(estimate.size, 1), keep_draws)
    values = np.stack([np.asarray(predict(t), dtype=np.float64) for t in draws_matrix])
    if not np.isfinite(values).all():
        raise ValidationError(f"the prediction {name!r} is not finite at some bootstrap draws")
    lower, upper = bootstrap_bounds(values, estimate, coverage, scale=scale, name=name)
    return Band(
        name=name,
        estimate=estimate,
        lower=lower,
        upper=upper,
        level=coverage,
        method="bootstrap",
        draws=values if keep_draws else None,
    )


def chunked_draws_band(
    name: str,
    predict_rows: Callable[[FloatArray, slice], FloatArray],
    n_rows: int,
    thetas: ArrayLike,
    theta: ArrayLike,
    *,
    level: float,
    scale: Scale,
    keep_draws: bool = False,
    chunk_rows: int | None = None,
) -> Band:
    """Return the bootstrap band of a per-row prediction, computed in chunks of rows.

    Parameters
    ----------
    name : str
        The quantity's name.
    predict_rows : callable
        ``(theta, rows) -> ndarray``: the prediction for the rows in the
        slice ``rows`` (shape ``(rows.stop - rows.start,)``).
    n_rows : int
        Number of rows.
    thetas : array_like, shape (n_draws, k)
        The bootstrap draws.
    theta : array_like, shape (k,)
        The estimate.
    level : float
        Coverage, in (0, 1).
    scale : {"log", "logit", "linear"}
        Where the interval is symmetric (see :func:`bootstrap_bounds`).
    keep_draws : bool, default False
        Keep the ``(n_draws, n_rows)`` predictions (at most
        :data:`MAX_KEPT_CELLS` values).
    chunk_rows : int, optional
        Rows per chunk (default: about 4 million values per chunk).

    Returns
    -------
    Band
        Shape ``(n_rows,)``, ``method="bootstrap"``.

    Raises
    ------
    ValidationError
        As :func:`draws_band`.

    Notes
    -----
    Memory is one chunk's ``(n_draws, chunk_rows)`` block, whatever
    ``n_rows``; the bounds (:func:`bootstrap_bounds`) are taken per row, so
    chunking changes the result by rounding only (the sums of a row's draws
    are added in another order, about :math:`10^{-16}` relative).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import chunked_draws_band
    >>> x = np.arange(5.0)
    >>> thetas = np.linspace(1.0, 3.0, 11)[:, None]
    >>> band = chunked_draws_band("scaled", lambda t, rows: t[0] * x[rows], 5, thetas, [2.0],
    ...                           level=0.8, scale="log", chunk_rows=2)
    >>> band.upper.round(2).tolist()
    [0.0, 3.35, 6.69, 10.04, 13.38]
    """
    coverage = check_level(level)
    draws_matrix, point = _thetas(thetas, theta)
    rows = as_count("n_rows", n_rows)
    n_draws = draws_matrix.shape[0]
    size = chunk_rows if chunk_rows is not None else max(_CHUNK_CELLS // n_draws, 1)
    size = as_count("chunk_rows", size, minimum=1)
    bands = BandAccumulator(name, rows, n_draws, level=coverage, scale=scale, keep_draws=keep_draws)
    for start in range(0, rows, size):  # chunks of rows, each vectorised
        part = slice(start, min(start + size, rows))
        block = np.stack(
            [np.asarray(predict_rows(t, part), dtype=np.float64) for t in draws_matrix]
        )
        bands.add(part, np.asarray(predict_rows(point, part), dtype=np.float64), block)
    return bands.band()


class BandAccumulator:
    """Bootstrap bands of a per-row prediction, gathered chunk by chunk of rows.

    For callers that compute several quantities in one pass over chunks of
    rows (as :func:`relmark.prediction_intervals` does): each chunk's
    ``(n_draws, rows)`` block is reduced to its per-row bounds at once, and,
    given row weights, to each draw's weighted total, so memory is one
    chunk's block however many rows there are.

    Parameters
    ----------
    name : str
        The quantity's name.
    n_rows : int
        Number of rows.
    n_draws : int
        Number of draws per block (>= 2).
    level : float
        Coverage, in (0, 1).
    scale : {"log", "logit", "linear"}
        Where the intervals, of the rows and of the total, are symmetric
        (see :func:`bootstrap_bounds`).
    keep_draws : bool, default False
        Keep the ``(n_draws, n_rows)`` predictions (at most
        :data:`MAX_KEPT_CELLS` values).
    weights : array_like, shape (n_rows,), optional
        Row weights (customers per row) for :meth:`total`.

    Raises
    ------
    ValidationError
        If the work exceeds :data:`MAX_CELLS` values, or the kept draws
        :data:`MAX_KEPT_CELLS`.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.uncertainty import BandAccumulator
    >>> bands = BandAccumulator("x", 3, 4, level=0.5, scale="linear", weights=[1.0, 1.0, 2.0])
    >>> block = np.array([[1.0, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]])
    >>> bands.add(slice(0, 3), np.array([2.5, 3.5, 4.5]), block)
    >>> bands.band().lower.round(4).tolist(), float(bands.total("sum").estimate)
    ([1.6292, 2.6292, 3.6292], 15.0)
    """

    def __init__(
        self,
        name: str,
        n_rows: int,
        n_draws: int,
        *,
        level: float,
        scale: Scale,
        keep_draws: bool = False,
        weights: ArrayLike | None = None,
    ) -> None:
        self.name = name
        self.level = check_level(level)
        as_choice("scale", scale, ("log", "logit", "linear"))
        self.scale: Scale = scale
        rows = as_count("n_rows", n_rows)
        draws = as_count("n_draws", n_draws, minimum=2)
        _check_cells(draws, rows, keep_draws)
        self._estimate = np.full(rows, np.nan)
        self._lower, self._upper = np.empty(rows), np.empty(rows)
        self._kept = np.empty((draws, rows)) if keep_draws else None
        self._weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        if self._weights is not None and self._weights.shape != (rows,):
            raise ValidationError(
                f"`weights` must have one value per row ({rows:,}), got shape {self._weights.shape}"
            )
        self._totals = np.zeros(draws)

    def add(self, part: slice, estimate: ArrayLike, block: ArrayLike) -> None:
        """Add the rows ``part``: their estimate ``(rows,)`` and draws ``(n_draws, rows)``."""
        values = np.asarray(block, dtype=np.float64)
        point = np.asarray(estimate, dtype=np.float64)
        # checks the values (finite, in the scale's domain) before anything is stored
        lower, upper = bootstrap_bounds(values, point, self.level, scale=self.scale, name=self.name)
        self._estimate[part] = point
        self._lower[part], self._upper[part] = lower, upper
        if self._kept is not None:
            self._kept[:, part] = values
        if self._weights is not None:
            self._totals += values @ self._weights[part]

    def band(self) -> Band:
        """Return the per-row band (every row must have been added)."""
        if bool(np.isnan(self._estimate).any()):
            raise AssertionError(f"band {self.name!r}: some rows were never added")
        return Band(
            name=self.name,
            estimate=self._estimate,
            lower=self._lower,
            upper=self._upper,
            level=self.level,
            method="bootstrap",
            draws=self._kept,
        )

    def total(self, name: str) -> Band:
        """Return the band of the weighted total over rows, its draws kept (shape (n_draws,))."""
        if self._weights is None:
            raise AssertionError(f"band {self.name!r} was built without weights")
        estimate = np.float64(self._weights @ self._estimate)
        lower, upper = bootstrap_bounds(
            self._totals, estimate, self.level, scale=self.scale, name=name
        )
        return Band(
            name=name,
            estimate=estimate,
            lower=lower,
            upper=upper,
            level=self.level,
            method="bootstrap",
            draws=self._totals,
        )


def _thetas(thetas: ArrayLike, theta: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return the draws as an (n_draws, k) matrix and the estimate as a (k,) vector, checked."""
    point = as_float_array("theta", np.ravel(theta), positive=True)
    matrix = np.asarray(thetas, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != point.size:
        raise ValidationError(
            f"`thetas` must have shape (n_draws, {point.size}), got {matrix.shape}"
        )
    if matrix.shape[0] < 2:
        raise ValidationError(f"`thetas` must hold at least 2 draws, got {matrix.shape[0]}")
    if not (np.isfinite(matrix).all() and bool((matrix > 0).all())):
        raise ValidationError("`thetas` must be positive finite parameter vectors")
    return matrix, point


def _check_cells(n_draws: int, n_values: int, keep: bool) -> None:
    """Refuse a band whose (draws x values) work or kept draws exceed the limits."""
    cells = float(n_draws) * float(n_values)
    check_size(
        "`n_draws` x values",
        cells,
        MAX_CELLS,
        unit="evaluations",
        why="use fewer draws, or band fewer customers at a time",
    )
    if keep:
        check_size(
            "`n_draws` x values kept",
            cells,
            MAX_KEPT_CELLS,
            unit="values",
            why="8 bytes each in memory; use keep_draws=False to keep only the bounds",
        )
