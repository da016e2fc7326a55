r"""Pareto/NBD with time-varying covariates (Bachmann, Meierer & Näf 2021).

Covariates :math:`z_i(t)` are constant within the periods of one grid
(:class:`~relmark.data.period_covariates.PeriodCovariates`).  While alive,
customer :math:`i` buys as a Poisson process of intensity
:math:`\lambda_i e^{\gamma_p^\top z_i(t)}` and leaves with hazard
:math:`\mu_i e^{\gamma_d^\top z_i(t)}`, :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`,
:math:`\mu \sim \mathrm{Gamma}(s, \beta)`.  With time :math:`t` counted from
the customer's first purchase, :math:`a(t) = e^{\gamma_p^\top z(t)}`,
:math:`c(t) = e^{\gamma_d^\top z(t)}`, :math:`A(t) = \int_0^t a`,
:math:`C(t) = \int_0^t c` (both piecewise linear), repeat purchases at
:math:`t_1, \dots, t_x` and observation to :math:`T`, integrating
:math:`\lambda` and :math:`\mu` out of the Poisson-exponential likelihood
gives

.. math::

    L = \prod_j a(t_j)\,\frac{\Gamma(r+x)\alpha^r}{\Gamma(r)}\Big[
        \frac{\beta^s}{(\alpha+A(T))^{r+x}(\beta+C(T))^s}
        + s\beta^s\int_{t_x}^{T}\frac{c(\tau)\,d\tau}{(\alpha+A(\tau))^{r+x}
        (\beta+C(\tau))^{s+1}}\Big].

The integral splits where the covariates change: at the period edges,
except between consecutive periods in which a customer's covariates (those
the model uses) are equal, which are one piece.  On a piece of length :math:`h`
starting where :math:`\alpha+A = P`, :math:`\beta+C = Q`, with rates
:math:`a, c`, it is :math:`c\,h\,P^{-m}Q^{-n}\int_0^1 g(u)\,du`,
:math:`g(u) = (1+\epsilon_a u)^{-m}(1+\epsilon_c u)^{-n}`,
:math:`m = r+x`, :math:`n = s+1`, :math:`\epsilon_a = ah/P`,
:math:`\epsilon_c = ch/Q`: a static Pareto/NBD integral (a Gauss
hypergeometric function), computed here by Gauss-Legendre quadrature with a
proven error bound (see :func:`_piece_parts`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.polynomial.legendre import leggauss
from numpy.typing import NDArray
from scipy.special import digamma, gammaln, logsumexp

from relmark._validation import (
    FloatArray,
    IntArray,
    as_instance,
    as_rng,
    as_scalar,
    fail_rows,
    readonly,
)
from relmark.data.period_covariates import PeriodCovariates
from relmark.data.periods import purchase_periods
from relmark.data.summary import CustomerSummary
from relmark.data.timeaxis import PeriodGrid, as_instant
from relmark.data.transactions import TransactionLog
from relmark.exceptions import ConvergenceError, ValidationError
from relmark.models._base import Model, Parameter, describe_histories
from relmark.models._covariates import NO_EFFECTS, Effects, Link
from relmark.models._fitting import FitInfo
from relmark.models.pareto_nbd import ParetoNBD, _LogConcave, _nodes, _panels

__all__ = ["DynamicHistory", "DynamicParetoNBD"]

_CELLS = 200_000  # (customer, piece) cells per block of the likelihood
_CUT_CELLS = 2_000_000  # (customer, period, covariate) values per chunk when cutting pieces
_LOG_TOLERANCE = math.log(1e-14)  # proven relative error bound of one piece's quadrature
_TIERS = (2, 3, 4, 6, 8, 12, 16, 24, 32)  # Gauss-Legendre node counts of the fast path
_EPS_GRID = np.geomspace(1e-9, 8.0, 400)  # epsilon values of the node-count table


# ------------------------------------------------------------------------- the quadrature


@cache
def _unit_rule(count: int) -> tuple[FloatArray, FloatArray]:
    """Gauss-Legendre nodes and weights on [0, 1]."""
    nodes, weights = leggauss(count)
    return (nodes + 1.0) / 2.0, weights / 2.0


@cache
def _allowed_exponents() -> FloatArray:
    r"""Table (tiers, eps grid): the largest total exponent each node count integrates exactly.

    For :math:`g(u) = (1+\epsilon_a u)^{-m}(1+\epsilon_c u)^{-n}` analytic inside
    the Bernstein ellipse :math:`E_\rho` of [0, 1], Gauss-Legendre with
    :math:`N` nodes errs by at most :math:`\frac{32}{15}M\rho^{-2(N-1)}/(\rho^2-1)`
    (Trefethen, *Approximation Theory and Approximation Practice*, Thm 19.3,
    whose rules have :math:`n + 1` nodes, scaled to [0, 1]), :math:`M = \max_{E_\rho}|g|`.
    On :math:`E_\rho`,
    :math:`\operatorname{Re} u \ge u_- = \frac12 - \frac{\rho+\rho^{-1}}{4}` and
    :math:`|1+\epsilon u| \ge 1 + \epsilon u_-`, so with
    :math:`\epsilon = \max(\epsilon_a, \epsilon_c)` and :math:`E = m + n`,
    :math:`M / g(1) \le \exp(E\varphi)`, :math:`\varphi = \log\frac{1+\epsilon}{1+\epsilon u_-}`
    (increasing in :math:`\epsilon`), and :math:`\int_0^1 g \ge g(1)`.  The
    relative error is below :math:`10^{-14}` when
    :math:`E \le [\log 10^{-14} - \log\frac{32}{15} + 2(N-1)\log\rho + \log(\rho^2-1)]/\varphi`
    for some :math:`\rho`; the table holds the best over a fine grid of
    :math:`\rho` at each grid :math:`\epsilon`.
    """
    rho = np.geomspace(1.001, 1e7, 1500)[:, None]
    eps = _EPS_GRID[None, :]
    low = 0.5 - (rho + 1.0 / rho) / 4.0
    inside = 1.0 + eps * low > 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.log1p(eps) - np.log1p(np.where(inside, eps * low, 0.0))
        table = np.empty((len(_TIERS), _EPS_GRID.size))
        for row, count in enumerate(_TIERS):  # a loop over node counts, not pieces
            budget = _LOG_TOLERANCE - math.log(32.0 / 15.0) + 2 * (count - 1) * np.log(rho)
            budget = budget + np.log(rho * rho - 1.0)
            allowed = np.where(inside & (budget > 0.0), budget / phi, 0.0)
            table[row] = allowed.max(axis=0)
    return readonly(table)


def _tier_of(total: FloatArray, eps: FloatArray) -> IntArray:
    """Return each piece's tier (index into ``_TIERS``), ``len(_TIERS)``: no one-panel rule.

    The total exponents take few distinct values (one per frequency), so the
    tiers are tabulated per distinct value and grid epsilon, then looked up.
    """
    table = _allowed_exponents()
    exponents, kind = np.unique(total, return_inverse=True)
    # (distinct, grid): how many rules fall short, i.e. the first one that does
    lookup = (table[None, :, :] < exponents[:, None, None]).sum(axis=1)
    lookup = np.concatenate([lookup, np.full((exponents.size, 1), len(_TIERS))], axis=1)
    column = np.searchsorted(_EPS_GRID, eps)  # the grid epsilon at or above: a safe bound
    tier: IntArray = lookup[kind.reshape(-1), column]
    return tier


def _piece_parts(
    m: FloatArray, n: FloatArray, eps_a: FloatArray, eps_c: FloatArray, *, means: bool
) -> FloatArray:
    r"""Return :math:`\log\int_0^1 g` and four means over :math:`g`, shape (5, p).

    :math:`g(u) = (1+\epsilon_a u)^{-m}(1+\epsilon_c u)^{-n}`; the means (with
    ``means``) are of :math:`\log(1+\epsilon_a u)`,
    :math:`\epsilon_a u/(1+\epsilon_a u)`, :math:`\log(1+\epsilon_c u)` and
    :math:`\epsilon_c u/(1+\epsilon_c u)` (one minus the mean of
    :math:`1/(1+\epsilon u)`, kept without cancellation), over :math:`u` with
    density proportional to :math:`g`.

    Notes
    -----
    Each piece gets the fewest Gauss-Legendre nodes (2 to 32) whose error
    bound (:func:`_allowed_exponents`, with :math:`E = m + n + 1` to cover
    the means' extra factor) is below :math:`10^{-14}` relative.  A piece no
    rule covers (:math:`\epsilon` beyond 8: a rate far above the scale
    :math:`P/h`, or an exponent of thousands) goes to the static
    Pareto/NBD's adaptive panels in log time (:func:`_hard_parts`),
    within :math:`10^{-11}`.
    """
    tier = _tier_of(m + n + 1.0, np.maximum(eps_a, eps_c))
    order = np.argsort(tier.astype(np.int8), kind="stable")  # a radix sort of small ints
    bounds = np.searchsorted(tier[order], np.arange(len(_TIERS) + 2))
    m, n, eps_a, eps_c = m[order], n[order], eps_a[order], eps_c[order]
    sorted_parts = np.zeros((5, m.size))
    for level in range(len(_TIERS) + 1):  # a loop over node counts, not pieces
        block = slice(bounds[level], bounds[level + 1])
        if block.start == block.stop:
            continue
        method = _hard_parts if level == len(_TIERS) else _rule(_TIERS[level])
        sorted_parts[:, block] = method(m[block], n[block], eps_a[block], eps_c[block], means=means)
    parts = np.empty_like(sorted_parts)
    parts[:, order] = sorted_parts
    return parts


def _rule(count: int) -> Callable[..., FloatArray]:
    """Return :func:`_rule_parts` with ``count`` nodes."""

    def parts(
        m: FloatArray, n: FloatArray, eps_a: FloatArray, eps_c: FloatArray, *, means: bool
    ) -> FloatArray:
        return _rule_parts(count, m, n, eps_a, eps_c, means=means)

    return parts


def _rule_parts(
    count: int, m: FloatArray, n: FloatArray, eps_a: FloatArray, eps_c: FloatArray, *, means: bool
) -> FloatArray:
    """:func:`_piece_parts` by one Gauss-Legendre rule of ``count`` nodes (no overflow: g <= 1)."""
    nodes, weights = _unit_rule(count)
    parts = np.zeros((5, m.size))
    grow_a = eps_a[:, None] * nodes
    grow_c = eps_c[:, None] * nodes
    log_a, log_c = np.log1p(grow_a), np.log1p(grow_c)
    terms = np.exp(-m[:, None] * log_a - n[:, None] * log_c) * weights
    total = terms.sum(axis=1)
    parts[0] = np.log(total)
    if means:  # weighted sums over the nodes, then one division per piece
        parts[1] = np.einsum("ij,ij->i", terms, log_a)
        parts[2] = np.einsum("ij,ij->i", terms, grow_a / (1.0 + grow_a))
        parts[3] = np.einsum("ij,ij->i", terms, log_c)
        parts[4] = np.einsum("ij,ij->i", terms, grow_c / (1.0 + grow_c))
        parts[1:] /= total
    return parts


def _hard_parts(
    m: FloatArray, n: FloatArray, eps_a: FloatArray, eps_c: FloatArray, *, means: bool
) -> FloatArray:
    r""":func:`_piece_parts` through the static Pareto/NBD's panels (see ``ParetoNBD``).

    :math:`1+\epsilon u = \epsilon(\epsilon^{-1} + u)`, so
    :math:`\int_0^1 g = \epsilon_a^{-m}\epsilon_c^{-n}\int_0^1(\alpha'+u)^{-m}(\beta'+u)^{-n}du`
    with :math:`\alpha' = 1/\epsilon_a`, :math:`\beta' = 1/\epsilon_c`: the
    static integral over :math:`[t_x, T] = [0, 1]`, integrated in
    :math:`o = \log\frac{c'+u}{c'}`, :math:`c' = \min(\alpha', \beta')`.
    """
    alpha, beta = 1.0 / eps_a, 1.0 / eps_c
    base, gap = np.minimum(alpha, beta), np.abs(alpha - beta)
    anchor = np.log(base)
    span = np.log1p(1.0 / base)
    with np.errstate(divide="ignore"):
        shifted = np.where(gap > 0.0, np.log(gap) - anchor, -800.0)
    alpha_first = alpha <= beta
    low, high = np.where(alpha_first, m, n), np.where(alpha_first, n, m)
    integrand = _LogConcave(
        1.0 - low, high, shifted, high, shifted, single=True, moderate=bool(np.all(shifted < 700))
    )
    raw = np.zeros((5, m.size))
    for rows, edges, rule in _panels(integrand, np.zeros(m.size), span):
        log_base_u, log_weights, log_scale = _nodes(edges, rule, anchor[rows, None])
        base_u = np.exp(log_base_u)
        other_u = base_u + gap[rows, None]
        log_other_u = np.log(other_u)
        log_terms = integrand.k[rows, None] * log_base_u + log_weights
        log_terms -= integrand.a1[rows, None] * log_other_u
        peak = log_terms.max(axis=1, keepdims=True)
        shares = np.exp(log_terms - peak)
        total = shares.sum(axis=1)
        raw[0, rows] = peak[:, 0] + np.log(total) + log_scale
        if not means:
            continue
        shares /= total[:, None]
        first = alpha_first[rows, None]
        alpha_u = np.where(first, base_u, other_u)
        beta_u = np.where(first, other_u, base_u)
        raw[1, rows] = np.einsum("ij,ij->i", shares, np.log(alpha_u))
        raw[2, rows] = np.einsum("ij,ij->i", shares, 1.0 / alpha_u)
        raw[3, rows] = np.einsum("ij,ij->i", shares, np.log(beta_u))
        raw[4, rows] = np.einsum("ij,ij->i", shares, 1.0 / beta_u)
    log_eps_a, log_eps_c = np.log(eps_a), np.log(eps_c)
    parts = np.zeros((5, m.size))
    parts[0] = raw[0] - m * log_eps_a - n * log_eps_c
    if means:  # epsilon > 8 here for one of the two: the complements do not cancel badly
        parts[1] = raw[1] + log_eps_a
        parts[2] = 1.0 - raw[2] / eps_a
        parts[3] = raw[3] + log_eps_c
        parts[4] = 1.0 - raw[4] / eps_c
    return parts


# ------------------------------------------------------------------------------ the data


def _frozen_floats(value: Any) -> FloatArray:
    return readonly(np.array(value, dtype=np.float64, copy=True))


def _frozen_ints(value: Any) -> IntArray:
    return readonly(np.array(value, dtype=np.int64, copy=True))


@attrs.frozen(kw_only=True, eq=False, repr=False)
class DynamicHistory:
    r"""What :class:`DynamicParetoNBD` needs of each customer's purchases and covariates.

    Build it with :meth:`from_log`.  Times are in the covariates' unit,
    measured as :meth:`relmark.TransactionLog.summarize` measures them
    (purchases on one calendar day are one transaction at the start of the
    day; a refund is netted within its day), so ``frequency``, ``recency``
    and ``T`` equal ``log.summarize(observation_end, unit=covariates.unit)``.

    Attributes
    ----------
    customer_id : ndarray, shape (n,)
        The customers with a purchase by the end, sorted.
    frequency, recency, T : ndarray, shape (n,)
        :math:`x`, :math:`t_x`, :math:`T`.
    first : ndarray, shape (n,)
        When each customer's first purchase was, as time since the start of
        the covariates' first period.
    end : float
        The observation end, as time since that start.
    observation_end : numpy.datetime64 or float
        The observation end as given (on the log's axis).
    rows : ndarray of int64, shape (n,)
        Each customer's row of ``covariates.values``.
    sums : ndarray, shape (n, k)
        :math:`\sum_j z_i(t_j)` over the repeat purchases, per covariate of
        ``covariates.names``: all that the product :math:`\prod_j a(t_j)`
        needs.
    covariates : PeriodCovariates
        The covariates (shared, not copied).

    Notes
    -----
    Memory: five float arrays of ``n`` and ``n`` by ``k`` sums, beside the
    covariates it refers to.  The likelihood cuts it, once per fit or
    prediction, into pieces of constant covariates (the periods observed,
    merged where the covariates the model uses do not change), computed in
    chunks of customers from ``first``, ``recency`` and ``T``.

    Examples
    --------
    >>> import numpy as np
    >>> import relmark
    >>> from relmark.data.period_covariates import PeriodCovariates
    >>> from relmark.models.pareto_dynamic import DynamicHistory
    >>> cov = PeriodCovariates(customers=["a", "b"], start=0.0, period_length=1.0, unit="W",
    ...                        names=("promo",), values=[[[0.0], [1.0], [0.0]],
    ...                                                  [[1.0], [1.0], [0.0]]])
    >>> log = relmark.TransactionLog.from_arrays(["a", "a", "b"], [0.5, 1.25, 0.0], unit="W")
    >>> history = DynamicHistory.from_log(log, cov, observation_end=3.0)
    >>> history.frequency.tolist(), history.T.tolist(), history.sums[:, 0].tolist()
    ([1.0, 0.0], [2.5, 3.0], [1.0, 0.0])
    """

    customer_id: NDArray[Any] = attrs.field(converter=readonly)
    frequency: FloatArray = attrs.field(converter=_frozen_floats)
    recency: FloatArray = attrs.field(converter=_frozen_floats)
    T: FloatArray = attrs.field(converter=_frozen_floats)
    first: FloatArray = attrs.field(converter=_frozen_floats)
    end: float
    observation_end: np.datetime64 | float
    rows: IntArray = attrs.field(converter=_frozen_ints)
    sums: FloatArray = attrs.field(converter=_frozen_floats)
    covariates: PeriodCovariates

    def __len__(self) -> int:
        return int(self.frequency.size)

    def __repr__(self) -> str:
        return f"DynamicHistory({len(self):,} customers, covariates {list(self.covariates.names)})"

    def summary(self) -> CustomerSummary:
        """Return the customers' (x, t_x, T) as a summary, for the models without covariates.

        Examples
        --------
        >>> import numpy as np
        >>> import relmark
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> from relmark.models.pareto_dynamic import DynamicHistory
        >>> cov = PeriodCovariates(customers=[1], start=0.0, period_length=1.0, unit="W",
        ...                        names=("z",), values=np.zeros((1, 4, 1)))
        >>> log = relmark.TransactionLog.from_arrays([1, 1], [0.0, 2.0], unit="W")
        >>> DynamicHistory.from_log(log, cov, observation_end=4.0).summary().recency.tolist()
        [2.0]
        """
        return CustomerSummary.from_arrays(
            self.frequency,
            self.recency,
            self.T,
            customer_id=self.customer_id,
            unit=self.covariates.unit,
        )

    @classmethod
    def from_log(
        cls,
        log: TransactionLog,
        covariates: PeriodCovariates,
        *,
        observation_end: object = None,
    ) -> DynamicHistory:
        """Place each customer's purchases on the covariates' grid, up to ``observation_end``.

        Parameters
        ----------
        log : TransactionLog
            Purchases; calendar timestamps with calendar covariates, numbers
            (in the covariates' unit) with numeric ones.
        covariates : PeriodCovariates
            Must have every customer of the log and cover each one's time
            from the first purchase to ``observation_end``.
        observation_end : datetime-like or float, optional
            End of observation, inclusive (default: the last purchase).

        Returns
        -------
        DynamicHistory

        Raises
        ------
        ValidationError
            For customers without covariates, a first purchase before the
            first period or an end after the last, a numeric log in another
            unit than the covariates'.
        TypeError
            For arguments of the wrong type, calendar against numeric times.
        """
        as_instance("log", log, TransactionLog)
        as_instance("covariates", covariates, PeriodCovariates)
        if log.is_calendar != covariates.is_calendar:
            raise TypeError(
                "`log` and `covariates` must both be on the calendar or both numeric; the log's "
                f"timestamps are {'calendar' if log.is_calendar else 'numeric'} times"
            )
        if not log.is_calendar and log.unit not in (None, covariates.unit):
            raise ValidationError(
                f"`log` is in unit {log.unit!r} but `covariates` in {covariates.unit!r}",
                argument="log",
            )
        grid = PeriodGrid(
            calendar=log.is_calendar, log_unit=log.unit, period="D", unit=covariates.unit
        )
        if observation_end is None:
            if len(log) == 0:
                raise ValidationError("the log is empty", argument="log")
            end_instant: np.datetime64 | float = log.timestamp.max()
        else:
            end_instant = as_instant(
                observation_end, name="observation_end", calendar=log.is_calendar
            )
        owner, position = _purchase_periods(log, grid, end_instant)
        if owner.size == 0:
            raise ValidationError(
                "`observation_end` is before every purchase: no customer to fit",
                argument="observation_end",
            )
        new = np.r_[True, owner[1:] != owner[:-1]]
        starts = np.flatnonzero(new)
        ends = np.r_[starts[1:], owner.size] - 1
        present = owner[starts]
        first_position, last_position = position[starts], position[ends]
        origin = grid.position(covariates.start)
        end_position = grid.position(end_instant)
        T = grid.measure(end_position - first_position)
        recency = np.minimum(grid.measure(last_position - first_position), T)
        first = grid.measure(first_position - origin)
        end = float(grid.measure(end_position - origin))
        ids = log.customers[present]
        fail_rows(
            "covariates",
            "must start by each customer's first purchase (the first period starts later)",
            first < 0,
            ids,
            noun="customers",
        )
        span = covariates.n_periods * covariates.period_length
        if end > span * (1.0 + 1e-12):
            raise ValidationError(
                "`covariates` must cover the time to `observation_end`: its "
                f"{covariates.n_periods:,}"
                f" periods end {end - span:g} {covariates.unit} before it",
                argument="covariates",
            )
        rows = covariates.rows_of(ids, argument="log")
        customer = np.cumsum(new) - 1  # each purchase period's customer, 0..n-1
        repeat = ~new
        offsets = grid.measure(position[repeat] - origin)
        period = np.clip(
            np.floor(offsets / covariates.period_length).astype(np.int64),
            0,
            covariates.n_periods - 1,
        )
        sums = np.empty((present.size, len(covariates.names)))
        picked = covariates.values[rows[customer[repeat]], period]
        for j in range(sums.shape[1]):  # a loop over covariates, not customers
            sums[:, j] = np.bincount(customer[repeat], weights=picked[:, j], minlength=present.size)
        return cls(
            customer_id=np.array(ids, copy=True),
            frequency=ends - starts,
            recency=recency,
            T=T,
            first=first,
            end=end,
            observation_end=end_instant,
            rows=rows,
            sums=sums,
            covariates=covariates,
        )


def _purchase_periods(
    log: TransactionLog, grid: PeriodGrid, end: np.datetime64 | float
) -> tuple[IntArray, FloatArray]:
    """Return the purchase periods up to ``end`` as (customer code, start position), sorted.

    The rules of :meth:`relmark.TransactionLog.summarize`, by its own kernel
    (:func:`relmark.data.periods.purchase_periods`): one transaction per
    customer and day; a day holding a refund counts when it nets positive.
    """
    kept = np.less_equal(log.timestamp, end)
    amount = None if log.amount is None else log.amount[kept]
    owner, ticks, _ = purchase_periods(
        log.customer_code[kept], grid.ticks(log.timestamp[kept]), amount
    )
    return owner.astype(np.int64), grid.starts(ticks)


# ------------------------------------------------------------------------------ the kernel


@attrs.frozen
class _Design:
    """Which covariates a model uses and the coefficient vectors of the two processes."""

    columns: IntArray  # positions in the covariates' names of the covariates used
    purchase: FloatArray  # gamma_p over those columns (0 where a covariate is not in it)
    dropout: FloatArray


@attrs.frozen
class _Terms:
    """Per-customer results of the likelihood kernel."""

    log_likelihood: FloatArray
    alive: FloatArray
    purchase_total: FloatArray  # alpha + A(T)
    dropout_total: FloatArray  # beta + C(T)
    gradient: FloatArray | None  # (4 + 2q,) summed: r, alpha, s, beta, gamma_p, gamma_d


@attrs.frozen(eq=False)
class _Block:
    """Customers with their merged pieces, padded to the block's widest (zero exposure)."""

    customers: IntArray  # (c,) positions in the history
    z: FloatArray  # (c, S, q) the covariates used, constant over each piece
    before: FloatArray  # (c, S) time observed before t_x within each piece
    after: FloatArray  # (c, S) time observed after t_x


@attrs.frozen(eq=False)
class _Pieces:
    """A history cut into pieces of constant covariates, in blocks of customers.

    A piece is a run of consecutive periods of one customer in which the
    covariates the model uses do not change: rates are constant over it, so
    the likelihood sees it as one period of that length.
    """

    columns: IntArray  # the covariates the pieces are constant in
    blocks: tuple[_Block, ...]
    cells: int  # (customer, period) cells with observed time, before merging
    count: int  # pieces after merging
    spread: FloatArray  # (q,) max - min of each covariate over the pieces


def _chunks(history: DynamicHistory, periods: int, cells: int = _CELLS) -> Iterator[slice]:
    size = max(1, cells // max(periods, 1))
    for first in range(0, len(history), size):  # a loop over chunks, not customers
        yield slice(first, first + size)


def _periods_of(history: DynamicHistory) -> int:
    """Return the number of leading periods the history's observation reaches into."""
    covariates = history.covariates
    periods = min(covariates.n_periods, math.ceil(history.end / covariates.period_length - 1e-12))
    return max(periods, 1)


def _runs(
    history: DynamicHistory, rows: slice, columns: IntArray, periods: int
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, int]:
    """Return the pieces of the customers ``rows``: (owner, z, before, after) and the cells.

    Flat, sorted by owner then time.  A piece starts where the observation
    starts or where a used covariate changes from the period before; the
    cells are the (customer, period) pairs with observed time.
    """
    z = history.covariates.values[history.rows[rows], :periods][:, :, columns]
    before, after = _exposures(history, rows, periods)
    observed = (before + after) > 0.0
    new = observed.copy()
    changed = (z[:, 1:] != z[:, :-1]).any(axis=2)
    new[:, 1:] &= ~observed[:, :-1] | changed
    owner, period = np.nonzero(observed)  # row-major: by customer, then period
    starts = new[owner, period]
    run = np.cumsum(starts) - 1  # each observed cell's piece, 0 .. pieces - 1
    count = int(run[-1]) + 1 if run.size else 0
    first_owner, first_period = owner[starts], period[starts]
    piece_before = np.bincount(run, weights=before[owner, period], minlength=count)
    piece_after = np.bincount(run, weights=after[owner, period], minlength=count)
    owners: IntArray = (first_owner + (rows.start or 0)).astype(np.int64, copy=False)
    piece_z: FloatArray = z[first_owner, first_period]
    return (
        owners,
        piece_z,
        piece_before.astype(np.float64, copy=False),  # weighted counts are floats already
        piece_after.astype(np.float64, copy=False),
        int(owner.size),
    )


def _merged_pieces(history: DynamicHistory, columns: IntArray) -> _Pieces:
    """Cut ``history`` into pieces of constant covariates ``columns``, in blocks (exact).

    Customers are ordered by their number of pieces so that each block pads
    little; a block holds at most ``_CELLS`` padded pieces (or one customer).
    """
    periods = _periods_of(history)
    q = columns.size
    flat = [
        _runs(history, rows, columns, periods)
        for rows in _chunks(history, periods * max(q, 1), _CUT_CELLS)  # a loop over chunks
    ]
    owner = np.concatenate([part[0] for part in flat])
    z = np.concatenate([part[1] for part in flat])
    before = np.concatenate([part[2] for part in flat])
    after = np.concatenate([part[3] for part in flat])
    cells = sum(part[4] for part in flat)
    del flat
    n = len(history)
    counts = np.bincount(owner, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    order = np.argsort(counts, kind="stable")
    widths = np.maximum(counts[order], 1)
    blocks = []
    start = 0
    while start < n:  # a loop over blocks, not customers
        window = widths[start : start + _CELLS]
        cost = np.arange(1, window.size + 1) * window  # cells of a block ending at each customer
        size = max(1, int(np.searchsorted(cost, _CELLS, side="right")))
        customers = order[start : start + size]
        width = int(widths[start + size - 1])
        index = offsets[customers, None] + np.arange(width)
        real = np.arange(width) < counts[customers, None]
        picked = index[real]  # each customer's pieces are consecutive in the flat order
        block_z = np.zeros((size, width, q))
        block_before, block_after = np.zeros((size, width)), np.zeros((size, width))
        block_z[real] = z[picked]
        block_before[real], block_after[real] = before[picked], after[picked]
        blocks.append(_Block(customers, block_z, block_before, block_after))
        start += size
    spread = z.max(axis=0) - z.min(axis=0) if z.size else np.zeros(q)
    return _Pieces(columns, tuple(blocks), cells, int(owner.size), spread)


def _terms(
    theta: FloatArray,
    design: _Design,
    history: DynamicHistory,
    *,
    with_gradient: bool,
    pieces: _Pieces | None = None,
) -> _Terms:
    """Evaluate the likelihood kernel over all customers, in blocks (see :func:`_chunk_terms`).

    ``pieces`` (from :func:`_merged_pieces` on ``design.columns``) saves
    cutting the history again at each evaluation of a fit.
    """
    if pieces is None:
        pieces = _merged_pieces(history, design.columns)
    n = len(history)
    value, alive = np.empty(n), np.empty(n)
    purchase_total, dropout_total = np.empty(n), np.empty(n)
    gradient = np.zeros(4 + 2 * design.columns.size) if with_gradient else None
    for block in pieces.blocks:  # a loop over blocks, not customers
        part = _chunk_terms(theta, design, history, block, with_gradient=with_gradient)
        rows = block.customers
        value[rows], alive[rows] = part.log_likelihood, part.alive
        purchase_total[rows], dropout_total[rows] = part.purchase_total, part.dropout_total
        if gradient is not None and part.gradient is not None:
            gradient += part.gradient
    return _Terms(value, alive, purchase_total, dropout_total, gradient)


def _exposures(history: DynamicHistory, rows: slice, periods: int) -> tuple[FloatArray, FloatArray]:
    """Return the time alive-observed in each period before and after ``t_x``, each (c, K)."""
    length = history.covariates.period_length
    edges = np.arange(periods + 1) * length - history.first[rows, None]
    t_x, T = history.recency[rows, None], history.T[rows, None]
    before = np.diff(np.clip(edges, 0.0, t_x), axis=1)
    after = np.diff(np.clip(edges, t_x, T), axis=1)
    return before, after


def _chunk_terms(
    theta: FloatArray,
    design: _Design,
    history: DynamicHistory,
    block: _Block,
    *,
    with_gradient: bool,
) -> _Terms:
    r"""Return the likelihood of a block's customers (see the module notes), and its gradient.

    The block's pieces (periods merged where the covariates stay the same)
    play the periods' part: the formulas hold for pieces of any length.

    Notes
    -----
    With :math:`\pi` the probability of being alive at :math:`T`,
    :math:`w_k` the share of piece :math:`k` in the integral and
    :math:`\bar E_k` the mean over it (density the integrand),
    :math:`A'(t) = \partial A(t)/\partial\gamma_p = \int_0^t a z`,

    .. math::

        \partial_{\gamma_p}\ell = \sum_j z(t_j) - (r+x)\Big[\pi\frac{A'(T)}{\alpha+A(T)}
          + (1-\pi)\sum_k w_k\bar E_k\frac{A'(\tau)}{\alpha+A(\tau)}\Big],

    .. math::

        \partial_{\gamma_d}\ell = -\pi s\frac{C'(T)}{\beta+C(T)} + (1-\pi)\sum_k w_k
          \Big[z_k - (s+1)\bar E_k\frac{C'(\tau)}{\beta+C(\tau)}\Big],

    where on piece :math:`k`,
    :math:`\bar E_k\frac{A'}{\alpha+A} = A'_k\frac{\bar E_k[1/(1+\epsilon_a u)]}{P_k}
    + z_k\bar E_k[\frac{\epsilon_a u}{1+\epsilon_a u}]` (:math:`A'` is linear
    within the piece); :math:`r, \alpha, s, \beta` as in the static model with
    the means taken piece by piece.
    """
    r, alpha, s, beta = (float(v) for v in theta[:4])
    z, before, after = block.z, block.before, block.after
    x, sums = history.frequency[block.customers], history.sums[block.customers][:, design.columns]
    eta_a, eta_c = z @ design.purchase, z @ design.dropout
    rate_a, rate_c = np.exp(eta_a), np.exp(eta_c)
    gain_a, gain_c = rate_a * after, rate_c * after
    at_tx_a, at_tx_c = (rate_a * before).sum(axis=1), (rate_c * before).sum(axis=1)
    start_a = (alpha + at_tx_a)[:, None] + _before_each(gain_a)  # P_k
    start_c = (beta + at_tx_c)[:, None] + _before_each(gain_c)  # Q_k
    total_a, total_c = alpha + at_tx_a + gain_a.sum(axis=1), beta + at_tx_c + gain_c.sum(axis=1)
    m = r + x
    piece = after > 0.0
    owner = np.nonzero(piece)[0]
    length = after[piece]
    eps_a, eps_c = gain_a[piece] / start_a[piece], gain_c[piece] / start_c[piece]
    parts = _piece_parts(m[owner], np.full(owner.size, s + 1.0), eps_a, eps_c, means=with_gradient)
    log_p, log_q = np.log(start_a[piece]), np.log(start_c[piece])
    log_piece = np.full(after.shape, -np.inf)
    log_piece[piece] = (
        eta_c[piece]
        + np.log(length)
        - m[owner] * (log_p - math.log(alpha))
        - (s + 1.0) * log_q
        + parts[0]
    )
    with np.errstate(divide="ignore"):
        log_integral = logsumexp(log_piece, axis=1) if piece.any() else np.full(x.size, -np.inf)
    # the static model's arrangement: alpha^r folded into the alive term, exact for large alpha
    log_alive = -r * np.log(total_a / alpha) - x * np.log(total_a) - s * np.log(total_c / beta)
    log_left = math.log(s) + s * math.log(beta) - x * math.log(alpha) + log_integral
    # (the -x log(alpha) above and the + m log(alpha) in log_piece give r log(alpha) net)
    log_total = np.logaddexp(log_alive, log_left)
    value = sums @ design.purchase + gammaln(m) - gammaln(r) + log_total
    alive = np.exp(log_alive - log_total)
    gradient = None
    if with_gradient:
        left = np.exp(log_left - log_total)
        share = np.zeros(after.shape)
        share[piece] = np.exp(log_piece[piece] - log_integral[owner])
        mean = np.zeros((5, *after.shape))
        mean[:, piece] = parts
        inverse_p, inverse_q = (1.0 - mean[2]) / start_a, (1.0 - mean[4]) / start_c
        d_r = (
            digamma(m)
            - digamma(r)
            + math.log(alpha)
            - alive * np.log(total_a)
            - left * (share * (np.log(start_a) + mean[1])).sum(axis=1)
        )
        d_alpha = r / alpha - m * (alive / total_a + left * (share * inverse_p).sum(axis=1))
        d_s = (
            math.log(beta)
            - alive * np.log(total_c)
            + left * (1.0 / s - (share * (np.log(start_c) + mean[3])).sum(axis=1))
        )
        d_beta = s / beta - alive * s / total_c - left * (s + 1.0) * (share * inverse_q).sum(axis=1)
        # d gamma: each piece's weight on its own z, summed over customers in one product
        exposure = before + after
        weight_a = (m * left)[:, None] * share
        coef_a = _lead_weights(
            (m * alive / total_a)[:, None], weight_a * inverse_p, rate_a, before, after, exposure
        )
        coef_a += weight_a * mean[2]
        weight_c = ((s + 1.0) * left)[:, None] * share
        coef_c = -_lead_weights(
            (s * alive / total_c)[:, None], weight_c * inverse_q, rate_c, before, after, exposure
        )
        coef_c += left[:, None] * share - weight_c * mean[4]
        gradient = np.concatenate(
            [
                [d_r.sum(), d_alpha.sum(), d_s.sum(), d_beta.sum()],
                sums.sum(axis=0) - np.einsum("ck,ckq->q", coef_a, z),
                np.einsum("ck,ckq->q", coef_c, z),
            ]
        )
    return _Terms(value, alive, total_a, total_c, gradient)


def _lead_weights(
    at_end: FloatArray,
    at_start: FloatArray,
    rate: FloatArray,
    before: FloatArray,
    after: FloatArray,
    exposure: FloatArray,
) -> FloatArray:
    r"""Return :math:`v_{j}` with :math:`u A'(T) + \sum_k w_k A'_k = \sum_j v_j z_j` per customer.

    :math:`A'(t) = \int_0^t e^{\eta} z` (or its dropout twin) is
    :math:`\sum_j e^{\eta_j}d_j z_j` over the exposures :math:`d_j` before
    :math:`t`; at a piece's start :math:`A'_k` holds every piece's time
    before :math:`t_x` and the time after :math:`t_x` of the pieces before
    :math:`k`.  So :math:`v_j = e^{\eta_j}[u(b_j + a_j) + b_j\sum_k w_k +
    a_j\sum_{k>j} w_k]`, :math:`b, a` the exposures before and after
    :math:`t_x`: the (customer, piece, covariate) cumulative sums are never
    formed.
    """
    later = _after_each(at_start)
    total = at_start.sum(axis=1, keepdims=True)
    weights: FloatArray = rate * (at_end * exposure + total * before + later * after)
    return weights


def _after_each(weight: FloatArray) -> FloatArray:
    """Return the sums of ``weight`` over the pieces after each one (axis 1), exactly."""
    running = np.zeros_like(weight)
    np.cumsum(weight[:, :0:-1], axis=1, out=running[:, -2::-1])
    return running


def _before_each(gain: FloatArray) -> FloatArray:
    """Return the sums of ``gain`` over the periods before each one (axis 1), exactly.

    Not ``cumsum - gain``, which cancels to nothing after a huge period.
    """
    running = np.zeros_like(gain)
    np.cumsum(gain[:, :-1], axis=1, out=running[:, 1:])
    return running


# ------------------------------------------------------------------------------- the model


def _design_of(effects: Effects, covariates: PeriodCovariates) -> tuple[IntArray, FloatArray]:
    r"""Return the columns of the covariates ``effects`` uses and how coefficients load on them.

    ``loadings`` has shape (coefficients, 2q): :math:`\gamma` of the
    coefficients times it gives :math:`(\gamma_p, \gamma_d)` over the ``q``
    columns.  A term on ``alpha`` with sign :math:`\sigma` scales the
    purchase rate by :math:`e^{-\sigma\gamma z}` (the rate's gamma scale
    is :math:`\alpha e^{\sigma\gamma z}`), one on ``beta`` the dropout hazard.
    """
    covariates.columns(effects.covariates, argument="covariates")  # every one known
    used = [name for name in covariates.names if name in effects.covariates]
    index = {name: j for j, name in enumerate(used)}
    coefficient = {name: c for c, name in enumerate(effects.names)}
    loadings = np.zeros((len(effects.names), 2 * len(used)))
    for term in effects.terms:  # a loop over terms, not customers
        shift = 0 if term.parameter == "alpha" else len(used)
        loadings[coefficient[term.coefficient], shift + index[term.covariate]] -= term.sign
    return covariates.columns(used), loadings


def _design_at(columns: IntArray, loadings: FloatArray, gamma: FloatArray) -> _Design:
    """Return the design of coefficients ``gamma`` (see :func:`_design_of`)."""
    split = gamma @ loadings
    return _Design(columns, split[: columns.size], split[columns.size :])


@attrs.frozen(kw_only=True, repr=False)
class DynamicParetoNBD(Model):
    r"""Pareto/NBD with time-varying covariates in both processes.

    While alive, customer :math:`i` buys at rate
    :math:`\lambda_i e^{\gamma_p^\top z_i(t)}` and leaves at hazard
    :math:`\mu_i e^{\gamma_d^\top z_i(t)}`; :math:`\lambda \sim \mathrm{Gamma}(r,\alpha)`,
    :math:`\mu \sim \mathrm{Gamma}(s, \beta)`; :math:`z_i(t)` is constant
    within each period of a :class:`~relmark.data.period_covariates.PeriodCovariates`
    grid.  With every :math:`z = 0` it is the :class:`~relmark.ParetoNBD`.

    The covariates enter through the links of :class:`~relmark.ParetoNBD`
    (``alpha`` for ``"purchase"``, ``beta`` for ``"dropout"``, sign -1): a
    covariate constant in time has the static model's effect
    :math:`\alpha_i = \alpha e^{-\gamma_p z_i}`, and the coefficients are
    named, reported (``params`` holds the multipliers :math:`e^{\gamma}`,
    ``coefficients`` the :math:`\gamma`), saved and built
    (:meth:`~relmark.models._base.Model.with_coefficients`) as the static
    models' are.

    Parameters
    ----------
    r, alpha, s, beta : float
        As in :class:`~relmark.ParetoNBD` (> 0; ``alpha`` and ``beta`` in the
        covariates' time unit), for a customer whose covariates are 0.
    fit_info : FitInfo, optional
        Set by :meth:`fit`.
    effects : Effects, optional
        The covariates and their multipliers: ``"purchase[<covariate>]"``
        (buying, > 1: faster), ``"dropout[<covariate>]"`` (> 1: leaving
        faster), ``"shared[<covariate>]"`` (one coefficient in both); set by
        :meth:`fit` or :meth:`~relmark.models._base.Model.with_coefficients`.

    Notes
    -----
    The likelihood is in the module notes.  Consecutive periods in which a
    customer's covariates (those the model uses) do not change are one
    piece of constant rates: a seasonal dummy or a static covariate gives a
    handful of pieces per customer instead of one per period.  Each piece
    of the dropout integral is a static Pareto/NBD integral, integrated by
    the fewest Gauss-Legendre nodes (2 to 32) whose error bound is below
    :math:`10^{-14}` relative (pieces beyond every rule, such as a long
    piece early in a history: the static model's adaptive panels), in log
    space, with its exact analytic gradient.  Against mpmath at 50 digits
    the pieces agree to :math:`10^{-13}` relative (see the tests).

    .. math::

        P(\text{alive}) = \frac{\beta^s(\alpha+A(T))^{-(r+x)}(\beta+C(T))^{-s}}
        {\beta^s(\alpha+A(T))^{-(r+x)}(\beta+C(T))^{-s} + s\beta^s I},

    :math:`I` the dropout integral.

    References
    ----------
    Bachmann, P., Meierer, M. & Näf, J. (2021). The role of time-varying
    contextual factors in latent attrition models for customer base
    analysis. *Marketing Science*, 40(4), 783-809.

    Examples
    --------
    >>> import math
    >>> from relmark.models.pareto_dynamic import DynamicParetoNBD
    >>> model = DynamicParetoNBD(r=0.5, alpha=10.0, s=0.6, beta=12.0).with_coefficients(
    ...     {"purchase[season]": math.log(1.5)})
    >>> {name: round(gamma, 3) for name, gamma in model.coefficients.items()}
    {'purchase[season]': 0.405}
    >>> DynamicParetoNBD.from_json(model.to_json()) == model
    True
    """

    r: float
    alpha: float
    s: float
    beta: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)
    effects: Effects = NO_EFFECTS

    parameters: ClassVar[tuple[Parameter, ...]] = ParetoNBD.parameters
    #: Those of :class:`~relmark.ParetoNBD`: a coefficient > 0 means faster buying, or
    #: faster dropout, in the periods where the covariate is 1.
    links: ClassVar[tuple[Link, ...]] = ParetoNBD.links

    # -------------------------------------------------------------- design and kernel

    def _design(self, covariates: PeriodCovariates) -> _Design:
        columns, loadings = _design_of(self.effects, covariates)
        return _design_at(columns, loadings, np.log(np.array(self.effects.multipliers)))

    def _terms(self, history: DynamicHistory, *, with_gradient: bool = False) -> _Terms:
        as_instance("history", history, DynamicHistory)
        theta = np.array([self.r, self.alpha, self.s, self.beta])
        return _terms(theta, self._design(history.covariates), history, with_gradient=with_gradient)

    # -------------------------------------------------------------------- predictions

    def customer_log_likelihood(self, history: DynamicHistory) -> FloatArray:
        """Return each customer's log-likelihood, shape (n,).

        Examples
        --------
        >>> import numpy as np
        >>> import relmark
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> from relmark.models.pareto_dynamic import DynamicHistory, DynamicParetoNBD
        >>> cov = PeriodCovariates(customers=[1], start=0.0, period_length=1.0, unit="W",
        ...                        names=("z",), values=np.zeros((1, 40, 1)))
        >>> log = relmark.TransactionLog.from_arrays([1, 1, 1], [0.0, 2.0, 30.43], unit="W")
        >>> history = DynamicHistory.from_log(log, cov, observation_end=38.86)
        >>> model = DynamicParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> model.customer_log_likelihood(history).round(3).tolist()   # ParetoNBD's -9.554
        [-9.554]
        """
        return readonly(self._terms(history).log_likelihood)

    def log_likelihood(self, history: DynamicHistory) -> float:
        """Return the total log-likelihood of ``history``.

        Examples
        --------
        >>> import numpy as np
        >>> import relmark
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> from relmark.models.pareto_dynamic import DynamicHistory, DynamicParetoNBD
        >>> cov = PeriodCovariates(customers=[1, 2], start=0.0, period_length=1.0, unit="W",
        ...                        names=("z",), values=np.zeros((2, 40, 1)))
        >>> log = relmark.TransactionLog.from_arrays([1, 1, 2], [0.0, 2.0, 1.0], unit="W")
        >>> history = DynamicHistory.from_log(log, cov, observation_end=39.0)
        >>> round(DynamicParetoNBD(r=0.5, alpha=10.0, s=0.6, beta=12.0).log_likelihood(history), 4)
        -5.0422
        """
        return float(self._terms(history).log_likelihood.sum())

    def probability_alive(self, history: DynamicHistory) -> FloatArray:
        r"""Return P(alive at the end | history) per customer, shape (n,).

        Notes
        -----
        The first term of the likelihood's bracket over the bracket (the
        class notes); computed in log space.

        Examples
        --------
        >>> import numpy as np
        >>> import relmark
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> from relmark.models.pareto_dynamic import DynamicHistory, DynamicParetoNBD
        >>> cov = PeriodCovariates(customers=[1], start=0.0, period_length=1.0, unit="W",
        ...                        names=("z",), values=np.zeros((1, 40, 1)))
        >>> log = relmark.TransactionLog.from_arrays([1, 1], [0.0, 30.43], unit="W")
        >>> history = DynamicHistory.from_log(log, cov, observation_end=38.86)
        >>> model = DynamicParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> model.probability_alive(history).round(4).tolist()  # ParetoNBD's too
        [0.8802]
        """
        return readonly(self._terms(history).alive)

    def expected_purchases(
        self, history: DynamicHistory, future: PeriodCovariates, horizon: float
    ) -> FloatArray:
        r"""Return each customer's expected purchases in (end, end + horizon], shape (n,).

        Parameters
        ----------
        history : DynamicHistory
            The customers' purchases and covariates up to the end.
        future : PeriodCovariates
            Covariates from the end on (may be the calibration ones if they
            run on), in the same unit, covering (end, end + horizon], for
            every customer of ``history``.
        horizon : float
            Length of the forecast, in the covariates' unit, >= 0.

        Returns
        -------
        ndarray, shape (n,)

        Notes
        -----
        Alive at :math:`T`, :math:`\lambda \sim \mathrm{Gamma}(r+x, \alpha+A(T))`
        and :math:`\mu \sim \mathrm{Gamma}(s, \beta+C(T))`, so

        .. math::

            E = P(\text{alive})\frac{r+x}{\alpha+A(T)}\int_T^{T+t}a(u)
                \Big(\frac{\beta+C(T)}{\beta+C(u)}\Big)^s du,

        in closed form per period: on a piece of length :math:`h` starting
        at :math:`\beta+C = Q` with rates :math:`a, c`, the integral is
        :math:`\frac{aQ}{c}(\frac{\beta+C(T)}{Q})^s
        \frac{1-(1+ch/Q)^{1-s}}{s-1}` (``expm1``/``log1p``; its limit
        :math:`\log(1+ch/Q)` at :math:`s = 1`).

        Examples
        --------
        >>> import numpy as np
        >>> import relmark
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> from relmark.models.pareto_dynamic import DynamicHistory, DynamicParetoNBD
        >>> cov = PeriodCovariates(customers=[1], start=0.0, period_length=1.0, unit="W",
        ...                        names=("z",), values=np.zeros((1, 60, 1)))
        >>> log = relmark.TransactionLog.from_arrays([1, 1], [0.0, 30.43], unit="W")
        >>> history = DynamicHistory.from_log(log, cov, observation_end=38.86)
        >>> model = DynamicParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> model.expected_purchases(history, cov, 10.0).round(4).tolist()  # ParetoNBD's too
        [0.2615]
        """
        as_instance("future", future, PeriodCovariates)
        length = as_scalar("horizon", horizon, low=0.0)
        terms = self._terms(history)
        if future.unit != history.covariates.unit or future.is_calendar != (
            history.covariates.is_calendar
        ):
            raise ValidationError(
                f"`future` must be in the history's unit {history.covariates.unit!r} and on the "
                "same kind of axis",
                argument="future",
            )
        origin = _offset_of(future, history.observation_end)
        edges = np.arange(future.n_periods + 1) * future.period_length
        if origin < -1e-9 or origin + length > edges[-1] * (1.0 + 1e-12) + 1e-12:
            raise ValidationError(
                f"`future` must cover (end, end + horizon]: it spans {edges[-1]:g} "
                f"{future.unit} from {_offset_text(origin)} before the end",
                argument="future",
            )
        exposure = np.diff(np.clip(edges, origin, origin + length))
        design = self._design(future)
        rows = future.rows_of(history.customer_id, argument="history")
        s = self.s
        expected = np.empty(len(history))
        for chunk in _chunks(history, future.n_periods):
            z = future.values[rows[chunk]][:, :, design.columns]
            rate_a, rate_c = np.exp(z @ design.purchase), np.exp(z @ design.dropout)
            gain = rate_c * exposure
            base = terms.dropout_total[chunk]
            start = base[:, None] + _before_each(gain)
            ratio = gain / start
            if abs(s - 1.0) < 1e-10:
                kept = np.log1p(ratio)
            else:
                kept = -np.expm1((1.0 - s) * np.log1p(ratio)) / (s - 1.0)
            piece = rate_a / rate_c * start * np.exp(s * np.log(base[:, None] / start)) * kept
            x = history.frequency[chunk]
            expected[chunk] = (
                terms.alive[chunk] * (self.r + x) / terms.purchase_total[chunk] * piece.sum(axis=1)
            )
        return readonly(expected)

    # --------------------------------------------------------------------------- fitting

    @classmethod
    def fit(
        cls,
        data: TransactionLog | DynamicHistory,
        covariates: PeriodCovariates | None = None,
        *,
        observation_end: object = None,
        purchase: Sequence[str] = (),
        dropout: Sequence[str] = (),
        shared: Sequence[str] = (),
        penalty: float = 0.0,
        start: Mapping[str, float] | None = None,
    ) -> DynamicParetoNBD:
        r"""Fit by maximum likelihood.

        Parameters
        ----------
        data : TransactionLog or DynamicHistory
            Purchases: a log (with ``covariates`` and ``observation_end``) or
            a history already built by :meth:`DynamicHistory.from_log`.  A log,
            not a summary, because the product :math:`\prod_j a(t_j)` needs the
            covariates of each repeat purchase's period, which a summary no
            longer knows.
        covariates : PeriodCovariates, optional
            Required with a log; must be None with a history.
        observation_end : datetime-like or float, optional
            End of calibration for a log (default: its last purchase).
        purchase, dropout, shared : sequence of str
            Covariates of the purchase process, of the dropout process, and
            of both with one coefficient (a shared covariate is in neither of
            the other two).
        penalty : float, default 0
            L2 strength :math:`\kappa`: :math:`\kappa\sum\gamma^2` is added to
            minus the log-likelihood (0: plain maximum likelihood);
            ``fit_info.log_likelihood`` stays the data's.  A penalty > 0 pins
            a covariate constant over every customer and period at 0.
        start : mapping, optional
            Starting values: for r, alpha, s and beta (the multipliers then
            start at 1), or for every parameter of ``params`` (default: the
            Pareto/NBD fit without covariates and multipliers 1).

        Returns
        -------
        DynamicParetoNBD
            With ``fit_info`` and ``effects``; ``params`` adds the multipliers
            :math:`e^{\gamma}` (named as
            :meth:`relmark.models._covariates.Effects.specify` names them:
            ``"purchase[<covariate>]"``, ``"dropout[<covariate>]"``,
            ``"shared[<covariate>]"``), ``coefficients`` the :math:`\gamma`;
            the covariance of the :math:`\gamma` is in ``fit_info.log_covariance``.

        Raises
        ------
        ValidationError
            For unknown or repeated covariates, a shared covariate also in
            ``purchase`` or ``dropout``, a covariate constant over every
            customer and period (without a penalty), a negative penalty, bad
            data.
        ConvergenceError
            Where no interior maximum is found.

        Notes
        -----
        The history is cut once into pieces of constant covariates (the
        class notes); every evaluation of the likelihood and its exact
        gradient runs over those pieces, in blocks of customers.

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> from relmark.models.pareto_dynamic import DynamicHistory, DynamicParetoNBD
        >>> season = np.tile((np.arange(30) // 5) % 2, (300, 1))[:, :, None].astype(float)
        >>> cov = PeriodCovariates(customers=np.arange(300), start=0.0, period_length=1.0,
        ...                        unit="W", names=("season",), values=season)
        >>> truth = DynamicParetoNBD(r=1.0, alpha=4.0, s=0.8, beta=10.0).with_coefficients(
        ...     {"purchase[season]": 0.5})
        >>> log = truth.simulate(cov, first=np.zeros(300), end=30.0, rng=1)
        >>> model = DynamicParetoNBD.fit(log, cov, observation_end=30.0, purchase=["season"])
        >>> list(model.coefficients), model.fit_info.n_customers
        (['purchase[season]'], 300.0)
        """
        history = _history_of(data, covariates, observation_end)
        effects = _effects_of(purchase, dropout, shared, penalty)
        columns, loadings = _design_of(effects, history.covariates)
        pieces = _merged_pieces(history, columns)
        _check_identified(pieces, history.covariates, effects)
        penalty = effects.penalty
        k = len(cls.parameters)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            gamma = np.log(theta[k:])
            design = _design_at(columns, loadings, gamma)
            terms = _terms(theta, design, history, with_gradient=True, pieces=pieces)
            assert terms.gradient is not None
            value = -float(terms.log_likelihood.sum()) + penalty * float(gamma @ gamma)
            d_gamma = loadings @ terms.gradient[k:]
            gradient = np.concatenate(
                [-terms.gradient[:k], (-d_gamma + 2.0 * penalty * gamma) / theta[k:]]
            )
            return value, gradient

        if start is None:
            start = _static_start(history)
        return cls._maximize(
            objective,
            start=start,
            scales={"time": max(float(history.T.mean()), 1e-3)},
            n_customers=float(len(history)),
            n_rows=len(history),
            explain=lambda: describe_histories(history.summary(), k + len(effects.names)),
            effects=effects,
        )

    # ------------------------------------------------------------------------- simulation

    def simulate(
        self,
        covariates: PeriodCovariates,
        *,
        first: FloatArray,
        end: float,
        rng: np.random.Generator | int | None = None,
    ) -> TransactionLog:
        r"""Simulate every customer of numeric ``covariates``: a log of their purchases.

        Parameters
        ----------
        covariates : PeriodCovariates
            Numeric grid (``start`` a number); one customer per row.
        first : array_like, shape (n,)
            Each customer's first purchase, as time since ``covariates.start``.
        end : float
            End of the simulation, same axis, within the grid.
        rng : numpy.random.Generator or int or None

        Returns
        -------
        TransactionLog
            Numeric timestamps on the covariates' axis, unit ``covariates.unit``.

        Notes
        -----
        Per customer :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`,
        :math:`\mu \sim \mathrm{Gamma}(s, \beta)`; the dropout time solves
        :math:`\mu C(\tau) = E`, :math:`E \sim \mathrm{Exp}(1)` (inverting the
        piecewise-linear :math:`C`); in each period the customer is alive for
        :math:`d_k`, they make :math:`\mathrm{Poisson}(\lambda a_k d_k)`
        purchases at uniform times within it.

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.data.period_covariates import PeriodCovariates
        >>> from relmark.models.pareto_dynamic import DynamicParetoNBD
        >>> cov = PeriodCovariates(customers=np.arange(3), start=0.0, period_length=1.0,
        ...                        unit="W", names=("z",), values=np.zeros((3, 10, 1)))
        >>> log = DynamicParetoNBD(r=1.0, alpha=1.0, s=1.0, beta=10.0).simulate(
        ...     cov, first=np.zeros(3), end=10.0, rng=1)
        >>> log.customers.tolist()
        [0, 1, 2]
        """
        as_instance("covariates", covariates, PeriodCovariates)
        if covariates.is_calendar:
            raise ValidationError("`covariates` must be numeric to simulate", argument="covariates")
        generator = as_rng(rng)
        offset = np.asarray(first, dtype=np.float64)
        n, K = covariates.n_customers, covariates.n_periods
        design = self._design(covariates)
        z = covariates.values[:, :, design.columns]
        rate_a, rate_c = np.exp(z @ design.purchase), np.exp(z @ design.dropout)
        edges = np.arange(K + 1) * covariates.period_length - offset[:, None]
        edges = np.clip(edges, 0.0, (end - offset)[:, None])
        width = np.diff(edges, axis=1)
        hazard = np.concatenate([np.zeros((n, 1)), np.cumsum(rate_c * width, axis=1)], axis=1)
        lam = generator.gamma(self.r, 1.0 / self.alpha, size=n)
        mu = generator.gamma(self.s, 1.0 / self.beta, size=n)
        target = generator.exponential(1.0, size=n) / mu
        period = np.clip((hazard[:, 1:] <= target[:, None]).sum(axis=1), 0, K - 1)
        who = np.arange(n)
        death = edges[who, period] + (target - hazard[who, period]) / rate_c[who, period]
        death = np.where(target >= hazard[:, -1], np.inf, death)
        alive = np.clip(np.minimum(edges[:, 1:], death[:, None]) - edges[:, :-1], 0.0, None)
        counts = generator.poisson(lam[:, None] * rate_a * alive)
        flat = counts.reshape(-1)
        cell = np.repeat(np.arange(flat.size), flat)
        times = (
            edges[:, :-1].reshape(-1)[cell]
            + generator.random(cell.size) * (alive.reshape(-1)[cell])
        )
        owner = np.concatenate([who, cell // K])
        stamp = float(covariates.start) + np.concatenate([offset, offset[cell // K] + times])
        return TransactionLog.from_arrays(covariates.customers[owner], stamp, unit=covariates.unit)


def _offset_of(covariates: PeriodCovariates, instant: np.datetime64 | float) -> float:
    """Return an instant as time since the covariates' start, in their unit."""
    return float(covariates.offset(np.asarray([instant]))[0])


def _offset_text(origin: float) -> str:
    return f"{max(origin, 0.0):g}"


def _history_of(
    data: object, covariates: PeriodCovariates | None, observation_end: object
) -> DynamicHistory:
    if isinstance(data, DynamicHistory):
        if covariates is not None or observation_end is not None:
            raise ValidationError(
                "a DynamicHistory carries its covariates and end: give neither `covariates` nor "
                "`observation_end`",
                argument="covariates",
            )
        return data
    if isinstance(data, TransactionLog):
        if covariates is None:
            raise ValidationError("`covariates` is required with a log", argument="covariates")
        return DynamicHistory.from_log(data, covariates, observation_end=observation_end)
    raise TypeError(
        f"`data` must be a TransactionLog or a DynamicHistory, got {type(data).__name__}"
    )


def _effects_of(
    purchase: Sequence[str], dropout: Sequence[str], shared: Sequence[str], penalty: float
) -> Effects:
    """Return the covariate structure of a fit, checked: known processes, no repeats."""
    chosen: dict[str, Sequence[str]] = {"purchase": purchase, "dropout": dropout, "shared": shared}
    for process, listed in chosen.items():
        if isinstance(listed, str) or not isinstance(listed, Sequence):
            raise TypeError(f"`{process}` must be a sequence of covariate names")
    both = set(shared) & (set(purchase) | set(dropout))
    if both:
        raise ValidationError(
            f"`shared` covariates cannot also be in `purchase` or `dropout`: {sorted(both)}",
            argument="shared",
        )
    if not (purchase or dropout or shared):
        raise ValidationError(
            "give at least one covariate in `purchase`, `dropout` or `shared` (without any, "
            "fit relmark.ParetoNBD)",
            argument="purchase",
        )
    processes = {"purchase": [*purchase, *shared], "dropout": [*dropout, *shared]}
    return Effects.specify(
        DynamicParetoNBD.links,
        processes,
        shared=shared,
        penalty=penalty,
        model=DynamicParetoNBD.__name__,
    )


def _check_identified(pieces: _Pieces, covariates: PeriodCovariates, effects: Effects) -> None:
    """Refuse covariates constant over every customer and period, unless a penalty pins them."""
    if effects.penalty:
        return
    used = [covariates.names[j] for j in pieces.columns]
    constant = [name for name, spread in zip(used, pieces.spread, strict=True) if spread == 0.0]
    if constant:
        raise ValidationError(
            f"covariate(s) {constant} take one value over every customer and period fitted: "
            "their coefficients cannot be told apart from alpha and beta; drop them, or set "
            "`penalty` > 0 to pin them at 0",
            argument="covariates",
        )


def _static_start(history: DynamicHistory) -> Mapping[str, float] | None:
    """Return the Pareto/NBD fit without covariates as a start (None where it fails)."""
    try:
        return ParetoNBD.fit(history.summary()).params
    except ConvergenceError:
        return None
