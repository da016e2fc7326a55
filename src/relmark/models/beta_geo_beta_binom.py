"""BG/BB model of discrete-time non-contractual purchasing (Fader, Hardie & Shang 2010)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import attrs
import numpy as np
from scipy.special import digamma, logsumexp

from relmark._validation import (
    FloatArray,
    check_whole,
    fail_rows,
)
from relmark.data._keys import distinct_rows
from relmark.data.summary import CustomerSummary
from relmark.models._base import Parameter, PurchaseModelBase
from relmark.models._fitting import FitInfo, NegLogLikelihood
from relmark.models._special import (
    log_beta_ratio,
    log_rising_ratio,
    log_rising_ratio_slope,
    log_rising_ratio_steps,
)

__all__ = ["BetaGeoBetaBinom"]

_CHUNK_CELLS = 2_000_000  # cells of the padded (rows x terms) array handled at once


def _discrete_rows(summary: CustomerSummary) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return (x, t_x, n) checked for discrete purchase opportunities."""
    if not isinstance(summary, CustomerSummary):
        raise TypeError(f"`summary` must be a CustomerSummary, got {type(summary).__name__}")
    x, t_x, n = summary.frequency, summary.recency, summary.T
    check_whole("recency", t_x, noun="customers")
    check_whole("T", n, noun="customers")
    bad = t_x < x
    fail_rows(
        "recency",
        "must be >= `frequency` for discrete opportunities (each purchase takes one)",
        bad,
        t_x,
        versus=("<", x),
        noun="customers",
    )
    return x, t_x, n


def _row_chunks(n_rows: int, width: int) -> list[slice]:
    """Split rows so that each chunk of the padded array has at most ``_CHUNK_CELLS`` cells."""
    step = max(1, _CHUNK_CELLS // max(width, 1))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def _log_likelihood_and_gradient(
    theta: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray, *, gradient: bool
) -> tuple[FloatArray, FloatArray | None]:
    r"""Per-row log-likelihood and (optionally) its gradient, shape (4, rows).

    The likelihood is a sum of ``n - t_x + 1`` beta-function terms: the
    "alive through n" term and one term per opportunity ``j = t_x .. n - 1``
    in which the customer could have dropped out.  The terms sit in a padded
    (rows x terms) array, masked beyond each row's count, and are combined by
    log-sum-exp; the gradient is the term-weighted mean of each term's
    derivative (digamma functions).

    Every term is a ratio of beta functions taken exactly (to rounding) by
    :func:`~relmark.models._special.log_rising_ratio` rather than as a
    difference of ``betaln`` values, which at arguments near :math:`10^4` is
    off by :math:`10^{-11}` and would dominate log-likelihoods near 0: the
    first dropout term is
    :math:`\frac{B(\alpha + x, \beta + t_x - x)}{B(\alpha, \beta)}\frac{\gamma}{\gamma + \delta}
    \frac{(\delta)_{t_x}}{(\gamma + 1 + \delta)_{t_x}}` and the later ones follow
    from it by the rising-factorial ratios
    :math:`\frac{(\beta + t_x - x)_s}{(\alpha + \beta + t_x)_s}
    \frac{(\delta + t_x)_s}{(\gamma + 1 + \delta + t_x)_s}`, ``s = j - t_x``.
    """
    a, b, g, d = (float(v) for v in theta)
    ll = np.empty(x.size)
    grad = np.empty((4, x.size)) if gradient else None
    span = (n - t_x).astype(np.int64)
    width = int(span.max(initial=0))
    log_alive_all = log_beta_ratio(a, b, x, n - x) - log_rising_ratio(d, g, n)
    log_first_all = (
        log_beta_ratio(a, b, x, t_x - x) - math.log1p(d / g) - log_rising_ratio(d, g + 1.0, t_x)
    )
    for rows in _row_chunks(x.size, width + 1):
        xs, ts, ns, k = x[rows], t_x[rows], n[rows], span[rows]
        w = int(k.max(initial=0))
        steps = np.arange(w, dtype=np.float64)
        mask = steps[None, :] < k[:, None]
        j = np.where(mask, ts[:, None] + steps[None, :], ts[:, None])
        log_alive = log_alive_all[rows]
        log_drop = log_first_all[rows, None] + log_rising_ratio_steps(
            w, (-1.0, b + (ts - xs), a + xs), (-1.0, d + ts, g + 1.0)
        )
        log_drop = np.where(mask, log_drop, -np.inf)
        terms = np.concatenate([log_alive[:, None], log_drop], axis=1)
        total = logsumexp(terms, axis=1)
        ll[rows] = total
        if grad is None:
            continue
        weight = np.exp(terms - total[:, None])
        w_alive, w_drop = weight[:, 0], np.where(mask, weight[:, 1:], 0.0)
        psi_ab_end = w_alive * digamma(a + b + ns) + np.sum(w_drop * digamma(a + b + j), axis=1)
        grad[0, rows] = digamma(a + xs) - psi_ab_end - digamma(a) + digamma(a + b)
        grad[1, rows] = (
            w_alive * digamma(b + ns - xs)
            + np.sum(w_drop * digamma(b + j - xs[:, None]), axis=1)
            - psi_ab_end
            - digamma(b)
            + digamma(a + b)
        )
        psi_gd_alive = digamma(g + d + ns)
        psi_gd_drop = digamma(g + d + j + 1.0)
        grad[2, rows] = (
            w_alive * (digamma(g) - psi_gd_alive)
            + np.sum(w_drop * (digamma(g + 1.0) - psi_gd_drop), axis=1)
            - digamma(g)
            + digamma(g + d)
        )
        grad[3, rows] = (
            w_alive * (digamma(d + ns) - psi_gd_alive)
            + np.sum(w_drop * (digamma(d + j) - psi_gd_drop), axis=1)
            - digamma(d)
            + digamma(g + d)
        )
    return ll, grad


@attrs.frozen(kw_only=True, repr=False)
class BetaGeoBetaBinom(PurchaseModelBase):
    r"""BG/BB model: purchases at discrete opportunities, with unobserved dropout.

    A customer who is alive transacts at each opportunity with probability
    ``p`` and, before each opportunity, drops out for good with probability
    :math:`\theta`.  Across customers :math:`p \sim \mathrm{Beta}(\alpha, \beta)`
    and :math:`\theta \sim \mathrm{Beta}(\gamma, \delta)`, independently.
    Summaries hold ``frequency = x`` (transactions in opportunities
    ``1 .. n``), ``recency = t_x`` (the opportunity of the last one, 0 if
    none) and ``T = n`` (opportunities observed), all whole numbers.

    Parameters
    ----------
    alpha, beta : float
        Beta-distribution parameters of the transaction probability, > 0.
    gamma, delta : float
        Beta-distribution parameters of the dropout probability, > 0.
    fit_info : FitInfo, optional
        Set by :meth:`fit`.

    Raises
    ------
    TypeError
        If a parameter is not a real number.
    ValidationError
        If a parameter is not a positive finite number.

    Notes
    -----
    .. math::

        L(\alpha, \beta, \gamma, \delta \mid x, t_x, n) =
        \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
        \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)}
        + \sum_{i=0}^{n - t_x - 1}
        \frac{B(\alpha + x, \beta + t_x - x + i)}{B(\alpha, \beta)}
        \frac{B(\gamma + 1, \delta + t_x + i)}{B(\gamma, \delta)}.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis
    in a discrete-time noncontractual setting. *Marketing Science*, 29(6),
    1086-1108 (eqs. 5, 8-13).

    Examples
    --------
    >>> import relmark
    >>> model = relmark.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
    >>> round(model.expected_purchases_new_customer(6), 3)
    2.22
    """

    alpha: float
    beta: float
    gamma: float
    delta: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)

    _discrete: ClassVar[bool] = True

    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("alpha"),
        Parameter("beta"),
        Parameter("gamma"),
        Parameter("delta"),
    )

    @classmethod
    def _columns(cls, summary: CustomerSummary) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return the whole-number (frequency, recency, T) of a discrete-time summary."""
        return _discrete_rows(summary)

    @classmethod
    def _fit_rows(cls, summary: CustomerSummary) -> CustomerSummary:
        """Return the distinct rows of a whole-number (discrete-time) summary.

        Examples
        --------
        >>> import relmark
        >>> x = [0, 1, 1, 2, 2, 3, 3, 4, 5, 6]
        >>> t_x = [0, 1, 4, 2, 6, 5, 6, 6, 6, 6]
        >>> summary = relmark.CustomerSummary.from_arrays(
        ...     x, t_x, [6] * 10, weights=[30, 10, 5, 6, 8, 5, 10, 12, 15, 20]
        ... )
        >>> model = relmark.BetaGeoBetaBinom.fit(summary)
        >>> model.fit_info.n_customers
        121.0
        """
        _discrete_rows(summary)
        return super()._fit_rows(summary)

    @classmethod
    def _objective(cls, rows: CustomerSummary) -> NegLogLikelihood:
        r"""Return minus the log-likelihood of the fit's rows and its exact gradient.

        Notes
        -----
        Maximises :math:`\sum_i w_i \log L_i` (class Notes) with the exact
        gradient: each term's derivative (digamma functions) weighted by the
        term's share of :math:`L_i`.

        References
        ----------
        Fader, Hardie & Shang (2010), eq. 5.
        """
        x, t_x, n, weights = rows.frequency, rows.recency, rows.T, rows.weights

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            ll, grad = _log_likelihood_and_gradient(theta, x, t_x, n, gradient=True)
            assert grad is not None
            return -float(weights @ ll), -(grad @ weights)

        return objective

    def _log_likelihood_rows(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """Return the log-likelihood of each checked history (unweighted).

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([0, 6], [0, 6], [6, 6])
        >>> model = relmark.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)
        >>> model.customer_log_likelihood(s).round(3).tolist()
        [-1.167, -2.182]
        """
        return _on_distinct(self._row_log_likelihood, x, t_x, T)

    def _row_log_likelihood(self, x: FloatArray, t_x: FloatArray, n: FloatArray) -> FloatArray:
        ll, _ = _log_likelihood_and_gradient(self._theta, x, t_x, n, gradient=False)
        return ll

    def _log_alive_part(self, x: FloatArray, n: FloatArray) -> FloatArray:
        """Log of the numerator shared by P(alive) and the conditional expectation."""
        return log_beta_ratio(self.alpha, self.beta, x, n - x)

    def _log_survival_sum(self, start: FloatArray | float, stop: FloatArray) -> FloatArray:
        r"""Return :math:`\log\sum_{k=start+1}^{stop} B(\gamma, \delta + k)/B(\gamma, \delta)`.

        The closed form :math:`\frac{\delta}{\gamma-1}\frac{\Gamma(\gamma+\delta)}{\Gamma(1+\delta)}
        [g(start) - g(stop)]`, :math:`g(m) = \Gamma(1+\delta+m)/\Gamma(\gamma+\delta+m)`, is
        evaluated as

        .. math::

            \delta\,e^{H(\gamma + \delta,\,start)}\,\frac{e^{H'} - 1}{1 - \gamma},\qquad
            H' = H(\gamma + \delta + start,\ stop - start),

        with :math:`H(z, h) = \log[(z + 1 - \gamma)_h/(z)_h] = (1 - \gamma) R(z, h)` and
        :math:`R` from :func:`~relmark.models._special.log_rising_ratio_slope`, so
        :math:`(e^{H'} - 1)/(1 - \gamma) = R'\,\frac{e^{H'} - 1}{H'}` is exact for every
        :math:`\gamma`, including :math:`\gamma = 1` (where :math:`R'` is
        :math:`\psi(1+\delta+stop) - \psi(1+\delta+start)`) and its neighbourhood,
        in which the difference of ``gammaln`` values loses every digit.
        ``-inf`` where ``stop <= start``.
        """
        g, d = self.gamma, self.delta
        e = 1.0 - g
        begin = np.asarray(start, dtype=np.float64)
        empty = stop <= begin
        out = np.full(stop.shape, -np.inf)
        if empty.all():
            return out
        hi = stop[~empty]
        lo = begin if begin.ndim == 0 else begin[~empty]  # a scalar start stays one
        slope = log_rising_ratio_slope(g + d + lo, e, hi - lo)
        out[~empty] = math.log(d) + log_rising_ratio(g + d, e, lo) + _log_expm1_over(e, slope)
        return out

    def _alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        r"""P(alive | x, t_x, n), once per distinct history.

        Notes
        -----
        .. math::

            P(\text{alive at } n + 1 \mid x, t_x, n) =
            \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
            \frac{B(\gamma, \delta + n + 1)}{B(\gamma, \delta)}
            \Big/ L(\alpha, \beta, \gamma, \delta \mid x, t_x, n).

        References
        ----------
        Fader, Hardie & Shang (2010), eq. 11.
        """
        return _on_distinct(self._row_probability_alive, x, t_x, T)

    def _row_probability_alive(self, x: FloatArray, t_x: FloatArray, n: FloatArray) -> FloatArray:
        ll = self._row_log_likelihood(x, t_x, n)
        log_p = self._log_alive_part(x, n) - log_rising_ratio(self.delta, self.gamma, n + 1.0) - ll
        result: FloatArray = np.clip(np.exp(log_p), 0.0, 1.0)
        return result

    def _expected(self, x: FloatArray, t_x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        r"""E[X(n, n + t) | x, t_x, n], once per distinct history and horizon.

        Notes
        -----
        .. math::

            E[X(n, n + n^*) \mid x, t_x, n] = \frac{1}{L}
            \frac{B(\alpha + x + 1, \beta + n - x)}{B(\alpha, \beta)}
            \frac{\delta}{\gamma - 1}\frac{\Gamma(\gamma + \delta)}{\Gamma(1 + \delta)}
            \left[\frac{\Gamma(1 + \delta + n)}{\Gamma(\gamma + \delta + n)}
            - \frac{\Gamma(1 + \delta + n + n^*)}{\Gamma(\gamma + \delta + n + n^*)}\right],

        with the limit :math:`\delta[\psi(1+\delta+n+n^*) - \psi(1+\delta+n)]` of
        the bracket term at :math:`\gamma = 1`.

        References
        ----------
        Fader, Hardie & Shang (2010), eq. 13.
        """
        horizon = np.full(x.size, t[0]) if t.size == 1 else t
        return _on_distinct(self._row_expected_purchases, x, t_x, T, horizon)

    def _row_expected_purchases(
        self, x: FloatArray, t_x: FloatArray, n: FloatArray, horizon: FloatArray
    ) -> FloatArray:
        ll = self._row_log_likelihood(x, t_x, n)
        log_front = log_beta_ratio(self.alpha, self.beta, x + 1.0, n - x) - ll
        result: FloatArray = np.exp(log_front + self._log_survival_sum(n, n + horizon))
        return result

    def _expected_new(self, t: FloatArray) -> FloatArray:
        r"""E[X(t)] for a new customer, ``t`` whole opportunities.

        Notes
        -----
        .. math::

            E[X(n)] = \frac{\alpha}{\alpha + \beta}\frac{\delta}{\gamma - 1}
            \left[1 - \frac{\Gamma(\gamma + \delta)}{\Gamma(\gamma + \delta + n)}
            \frac{\Gamma(1 + \delta + n)}{\Gamma(1 + \delta)}\right].

        References
        ----------
        Fader, Hardie & Shang (2010), eq. 9.
        """
        share = self.alpha / (self.alpha + self.beta)
        values = share * np.exp(self._log_survival_sum(0.0, t))
        return values

    def _pmf(self, counts: FloatArray, horizons: FloatArray) -> FloatArray:
        r"""P(X(t) = x) for a new customer: 0 where ``x > t``.

        Notes
        -----
        .. math::

            P(X(n) = x) = \binom{n}{x}
            \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
            \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)}
            + \sum_{i=x}^{n-1} \binom{i}{x}
            \frac{B(\alpha + x, \beta + i - x)}{B(\alpha, \beta)}
            \frac{B(\gamma + 1, \delta + i)}{B(\gamma, \delta)}.

        References
        ----------
        Fader, Hardie & Shang (2010), eq. 8.
        """
        a, b, g, d = self.alpha, self.beta, self.gamma, self.delta
        result = np.zeros(counts.size)
        valid = counts <= horizons
        if valid.any():
            xv, nv = counts[valid], horizons[valid]
            # every factor exact (log_rising_ratio): C(n, x) = (x + 1)_{n-x} / (1)_{n-x}, the
            # beta ratios as in the likelihood; the dropout terms i = x + s, s = 0 .. n - x - 1,
            # carry C(x + s, x) B(a + x, b + s) B(g + 1, d + x + s) / (B(a, b) B(g, d))
            log_x = -log_rising_ratio(a, b, xv)
            log_alive = (
                log_rising_ratio(1.0, xv, nv - xv)
                + log_x
                - log_rising_ratio(b, a + xv, nv - xv)
                - log_rising_ratio(d, g, nv)
            )
            log_first = log_x - math.log1p(d / g) - log_rising_ratio(d, g + 1.0, xv)
            values = np.empty(xv.size)
            span = (nv - xv).astype(np.int64)
            width = int(span.max(initial=0))
            for rows in _row_chunks(xv.size, width + 1):
                x_r, k = xv[rows], span[rows]
                w = int(k.max(initial=0))
                steps = np.arange(w, dtype=np.float64)
                mask = steps[None, :] < k[:, None]
                log_drop = log_first[rows, None] + log_rising_ratio_steps(
                    w, (1.0, 1.0, x_r), (-1.0, b, a + x_r), (-1.0, d + x_r, g + 1.0)
                )
                log_drop = np.where(mask, log_drop, -np.inf)
                terms = np.concatenate([log_alive[rows, None], log_drop], axis=1)
                values[rows] = np.exp(logsumexp(terms, axis=1))
            result[valid] = np.clip(values, 0.0, 1.0)
        return result

    def _draw(
        self, periods: FloatArray, generator: np.random.Generator
    ) -> tuple[FloatArray, FloatArray]:
        r"""Draw (x, t_x) for customers observed for ``periods`` opportunities.

        Notes
        -----
        Each customer draws :math:`p \sim B(\alpha, \beta)` and
        :math:`\theta \sim B(\gamma, \delta)`; they stay alive for
        :math:`\ell` opportunities with :math:`P(\ell \ge k) = (1-\theta)^k`
        and buy with probability ``p`` at each of the first
        :math:`m = \min(\ell, n)`.  The last purchase is found from the run of
        failures at the end: its opportunity is :math:`m - F` with
        :math:`F + 1 \sim` Geometric(``p``), and the earlier purchases are
        Binomial(:math:`m - F - 1`, ``p``).
        """
        count = periods.size
        p = generator.beta(self.alpha, self.beta, size=count)
        theta = generator.beta(self.gamma, self.delta, size=count)
        theta = np.clip(theta, 1e-12, 1.0)
        alive = generator.geometric(theta) - 1.0  # P(alive >= k) = (1 - theta)^k
        m = np.minimum(alive, periods)
        p_safe = np.clip(p, 1e-12, 1.0)
        trailing = generator.geometric(p_safe) - 1.0  # failures before the last purchase
        bought = trailing < m
        last = np.where(bought, m - trailing, 0.0)
        earlier = generator.binomial(np.maximum(last - 1.0, 0.0).astype(np.int64), p)
        frequency = np.where(bought, 1.0 + earlier, 0.0)
        return frequency, last


def _on_distinct(function: Callable[..., FloatArray], *columns: FloatArray) -> FloatArray:
    """Apply a row-wise ``function`` of the columns once per distinct row.

    Repeated histories, the norm for discrete data, are evaluated once and
    the results broadcast back; when most rows are distinct, ``function``
    runs on all of them.
    """
    size = columns[0].size
    if size < 64:
        return function(*columns)
    first, inverse = distinct_rows(*columns)
    if first.size > size // 2:
        return function(*columns)
    distinct = function(*(column[first] for column in columns))
    result: FloatArray = distinct[inverse]
    return result


def _log_expm1_over(e: float, slope: FloatArray) -> FloatArray:
    """Return ``log(expm1(e * slope) / e)`` for ``slope > 0`` (``log(slope)`` at ``e = 0``).

    Where ``|e * slope| >= 1e-3`` the two logarithms are taken directly (and
    the result is monotone in ``slope`` to the last bit, as the survival sum
    must be once it has converged); below, ``log(slope)`` plus the series of
    ``log(expm1(h)/h) = h/2 + h^2/24 - h^4/2880 + ...``.
    """
    h = e * slope
    out = np.empty(h.shape)
    small = np.abs(h) < 1e-3
    hs = h[small]
    out[small] = np.log(slope[small]) + (hs / 2.0 + hs * hs / 24.0 - hs**4 / 2880.0)
    if e > 0.0:
        hu = h[~small]
        out[~small] = hu + np.log(-np.expm1(-hu)) - math.log(e)
    elif e < 0.0:
        out[~small] = np.log(-np.expm1(h[~small])) - math.log(-e)
    return out
