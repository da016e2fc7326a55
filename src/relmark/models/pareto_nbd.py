"""Pareto/NBD model of non-contractual purchasing (Schmittlein, Morrison & Colombo 1987)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.polynomial.legendre import leggauss
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln, hyp2f1, xlogy

from relmark._validation import (
    FloatArray,
    as_float_array,
    as_rng,
)
from relmark.data.summary import CustomerSummary
from relmark.exceptions import ValidationError
from relmark.models._base import (
    Parameter,
    SummaryModel,
    aligned_horizon,
    as_horizon,
    history,
    simulation_ages,
)
from relmark.models._fitting import FitInfo, NegLogLikelihood

__all__ = ["ParetoNBD"]

_E_FOLDS = 60.0  # the dropout integral is cut where its integrand has fallen by e^-60
_CHUNK = 50_000  # rows evaluated at once (rows x 24 quadrature nodes in memory)


@attrs.frozen
class _Dropout:
    r"""The dropout integral :math:`I = \int_{t_x}^{T} (\alpha+y)^{-(r+x)} (\beta+y)^{-(s+1)} dy`.

    Computed by Gauss-Legendre quadrature in :math:`u = \log\frac{c+y}{c+t_x}`,
    :math:`c = \min(\alpha, \beta)`, over the range where the integrand has
    not yet fallen by :math:`e^{-60}` (its decay rate in ``u`` only grows):
    8, 16 or 24 nodes as the integrand changes by up to 2, up to 6 or more
    e-folds over the range (each about 1e-12 relative).  Kept in log space, with the averages over
    the integral of the four quantities the gradient needs.
    """

    log_integral: FloatArray  # (n,), -inf where t_x = T
    mean_log_alpha_y: FloatArray  # (n,): mean of log(alpha + y) weighted by the integrand
    mean_inverse_alpha_y: FloatArray
    mean_log_beta_y: FloatArray
    mean_inverse_beta_y: FloatArray

    @classmethod
    def of(cls, theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray) -> _Dropout:
        r, alpha, s, beta = (float(v) for v in theta)
        base = min(alpha, beta)
        start = base + t_x
        span = np.log(base + T) - np.log(start)
        # -d/du of the log integrand at u = 0; it only grows with u, towards r + x + s
        decay = (r + x) * start / (alpha + t_x) + (s + 1.0) * start / (beta + t_x) - 1.0
        span = np.minimum(span, _E_FOLDS / np.maximum(decay, 1e-300))
        e_folds = span * np.maximum(np.abs(decay), r + x + s)
        tier = np.searchsorted(_TIER_E_FOLDS, e_folds)  # the fewest nodes that keep 1e-12
        parts = np.empty((5, x.size))
        for level, rule in enumerate(_RULES):
            rows = tier == level
            if rows.any():
                parts[:, rows] = _integrate(theta, x[rows], start[rows], span[rows], rule)
        return cls(*parts)


def _integrate(
    theta: FloatArray,
    x: FloatArray,
    start: FloatArray,
    span: FloatArray,
    rule: tuple[FloatArray, FloatArray],
) -> FloatArray:
    """Return (log I and the four weighted means), shape (5, n), with one quadrature rule."""
    r, alpha, s, beta = (float(v) for v in theta)
    nodes, log_weights = rule
    u = span[:, None] * nodes[None, :]
    log_base_y = np.log(start)[:, None] + u  # log(c + y) at the nodes, no log needed
    base_y = np.exp(log_base_y)
    other_y = base_y + abs(alpha - beta)  # the other of alpha + y, beta + y
    log_other_y = np.log(other_y)
    if alpha <= beta:
        alpha_y, beta_y, log_alpha_y, log_beta_y = base_y, other_y, log_base_y, log_other_y
    else:
        alpha_y, beta_y, log_alpha_y, log_beta_y = other_y, base_y, log_other_y, log_base_y
    log_terms = log_base_y - (r + x)[:, None] * log_alpha_y  # dy = (c + y) du
    log_terms -= (s + 1.0) * log_beta_y
    log_terms += log_weights
    # log-sum-exp over the nodes by hand: one exp pass gives the sum and the shares
    peak = log_terms.max(axis=1, keepdims=True)
    shares = np.exp(log_terms - peak)
    total = shares.sum(axis=1)
    shares /= total[:, None]
    with np.errstate(divide="ignore"):
        log_integral = np.where(span > 0, peak[:, 0] + np.log(total) + np.log(span), -np.inf)
    return np.stack(
        [
            log_integral,
            np.einsum("ij,ij->i", shares, log_alpha_y),
            np.einsum("ij,ij->i", shares, 1.0 / alpha_y),
            np.einsum("ij,ij->i", shares, log_beta_y),
            np.einsum("ij,ij->i", shares, 1.0 / beta_y),
        ]
    )


def _rule(count: int, panels: int = 1) -> tuple[FloatArray, FloatArray]:
    """Composite Gauss-Legendre nodes on [0, 1] and their weights (summing to 1)."""
    nodes, weights = leggauss(count)
    at = (np.arange(panels)[:, None] + (nodes[None, :] + 1.0) / 2.0).reshape(-1) / panels
    return at, np.tile(weights, panels) / (2.0 * panels)


def _log_rule(count: int) -> tuple[FloatArray, FloatArray]:
    nodes, weights = _rule(count)
    return nodes, np.log(weights)


# 8 nodes up to 2 e-folds of change over the range, 16 up to 6, 24 beyond: each
# about 1e-12 relative against adaptive quadrature for parameters in e^-3..e^3
_TIER_E_FOLDS = np.array([2.0, 6.0])
_RULES = (_log_rule(8), _log_rule(16), _log_rule(24))
_PMF_RULE = _rule(16, panels=4)


def _closed_form_log_integral(
    theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, NDArray[np.bool_]]:
    r"""Return log I by the hypergeometric closed form, and where it can be trusted.

    :math:`I = [P(t_x) - P(T)]/m`, :math:`m = r+s+x`, with
    :math:`P(y) = {}_2F_1(m, s+1; m+1; \frac{\alpha-\beta}{\alpha+y})(\alpha+y)^{-m}`
    for :math:`\alpha \ge \beta` (else the symmetric form in :math:`\beta`).  The
    difference cancels when :math:`t_x` nears :math:`T`; rows where it loses
    more than six digits, or where ``hyp2f1`` fails, are not trusted.
    """
    r, alpha, s, beta = (float(v) for v in theta)
    m = r + s + x
    base, gap = (alpha, alpha - beta) if alpha >= beta else (beta, beta - alpha)
    second: FloatArray | float = s + 1.0 if alpha >= beta else r + x
    with np.errstate(all="ignore"):
        log_from = np.log(hyp2f1(m, second, m + 1.0, gap / (base + t_x))) - m * np.log(base + t_x)
        log_to = np.log(hyp2f1(m, second, m + 1.0, gap / (base + T))) - m * np.log(base + T)
        drop = log_to - log_from  # < 0
        log_integral = log_from + np.log(-np.expm1(drop)) - np.log(m)
    trusted = (
        np.isfinite(log_integral) & np.isfinite(log_from) & (drop < -1e-6 * (1 + np.abs(log_from)))
    )
    return np.where(trusted, log_integral, -np.inf), trusted


def _log_likelihood(
    theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, *, with_gradient: bool
) -> tuple[FloatArray, FloatArray | None, FloatArray]:
    """Per-row log-likelihood, optionally its gradient (4, n), and P(alive) per row."""
    r, alpha, s, beta = (float(v) for v in theta)
    dropout = _Dropout.of(theta, x, t_x, T)
    log_alive_term = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    log_left_term = np.log(s) + dropout.log_integral
    log_total = np.logaddexp(log_alive_term, log_left_term)
    value = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + log_total
    alive = np.exp(log_alive_term - log_total)
    if not with_gradient:
        return value, None, alive
    left = 1.0 - alive
    gradient = np.stack(
        [
            digamma(r + x)
            - digamma(r)
            + np.log(alpha)
            - alive * np.log(alpha + T)
            - left * dropout.mean_log_alpha_y,
            r / alpha - (r + x) * (alive / (alpha + T) + left * dropout.mean_inverse_alpha_y),
            np.log(beta) - alive * np.log(beta + T) + left * (1.0 / s - dropout.mean_log_beta_y),
            s / beta - alive * s / (beta + T) - left * (s + 1.0) * dropout.mean_inverse_beta_y,
        ]
    )
    return value, gradient, alive


def _chunked(
    theta: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, *, with_gradient: bool
) -> tuple[FloatArray, FloatArray | None, FloatArray]:
    """Evaluate :func:`_log_likelihood` in chunks of rows, bounding memory."""
    parts = [
        _log_likelihood(
            theta,
            x[i : i + _CHUNK],
            t_x[i : i + _CHUNK],
            T[i : i + _CHUNK],
            with_gradient=with_gradient,
        )
        for i in range(0, max(x.size, 1), _CHUNK)  # a loop over chunks, not customers
    ]
    value = np.concatenate([p[0] for p in parts])
    alive = np.concatenate([p[2] for p in parts])
    if not with_gradient:
        return value, None, alive
    return value, np.concatenate([p[1] for p in parts if p[1] is not None], axis=1), alive


@attrs.frozen(kw_only=True, repr=False)
class ParetoNBD(SummaryModel):
    r"""Pareto/NBD model: Poisson purchasing during an exponential lifetime.

    While alive, a customer buys as a Poisson process with rate
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`; their unobserved lifetime
    is exponential with rate :math:`\mu \sim \mathrm{Gamma}(s, \beta)`.
    ``alpha`` and ``beta`` are in the time unit of the data.

    Parameters
    ----------
    r, alpha : float
        Shape and rate of the gamma distribution of purchase rates, > 0.
    s, beta : float
        Shape and rate of the gamma distribution of dropout rates, > 0.
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
    With :math:`x` repeat purchases, the last at :math:`t_x`, observed for
    :math:`T`,

    .. math::

        L = \frac{\Gamma(r+x)\alpha^r\beta^s}{\Gamma(r)}\Big[
        \frac{1}{(\alpha+T)^{r+x}(\beta+T)^s}
        + s\int_{t_x}^{T}\frac{dy}{(\alpha+y)^{r+x}(\beta+y)^{s+1}}\Big],

    the integral form of the Gauss hypergeometric expressions of the
    references (the second term is the customer having left at some
    :math:`y` between :math:`t_x` and :math:`T`).  relmark evaluates the
    integral by composite Gauss-Legendre quadrature in
    :math:`\log(\alpha+y)`, accurate to about :math:`10^{-12}` relative for
    the usual parameter ranges, and its parameter derivatives by the same
    rule: no hypergeometric function, no overflow.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your
    customers: who are they and what will they do next? *Management
    Science*, 33(1), 1-24.

    Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD
    model and related expressions. http://brucehardie.com/notes/009/

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> model = relmark.ParetoNBD.fit(cdnow_sample_summary())
    >>> {name: round(value, 3) for name, value in model.params.items()}
    {'r': 0.553, 'alpha': 10.578, 's': 0.606, 'beta': 11.669}
    >>> round(model.fit_info.log_likelihood, 1)
    -9595.0
    """

    r: float
    alpha: float
    s: float
    beta: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)

    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("r"),
        Parameter("alpha", scale="time"),
        Parameter("s"),
        Parameter("beta", scale="time"),
    )

    @classmethod
    def _objective(cls, rows: CustomerSummary) -> NegLogLikelihood:
        r"""Return minus the log-likelihood of the fit's rows and its exact gradient.

        Notes
        -----
        With :math:`A = (\alpha+T)^{-(r+x)}(\beta+T)^{-s}`, :math:`B = sI`
        and :math:`\pi = A/(A+B)` (the probability of being alive), the
        gradient is

        .. math::

            \partial_r \ell = \psi(r+x) - \psi(r) + \log\alpha
              - \pi\log(\alpha+T) - (1-\pi)\,\bar E[\log(\alpha+y)],

        .. math::

            \partial_\alpha \ell = \frac{r}{\alpha} - (r+x)\Big[\frac{\pi}{\alpha+T}
              + (1-\pi)\,\bar E\Big[\frac{1}{\alpha+y}\Big]\Big],

        .. math::

            \partial_s \ell = \log\beta - \pi\log(\beta+T)
              + (1-\pi)\Big(\frac{1}{s} - \bar E[\log(\beta+y)]\Big),

        .. math::

            \partial_\beta \ell = \frac{s}{\beta} - \frac{\pi s}{\beta+T}
              - (1-\pi)(s+1)\,\bar E\Big[\frac{1}{\beta+y}\Big],

        where :math:`\bar E` averages over the dropout time :math:`y` with
        density proportional to the integrand of :math:`I`.

        References
        ----------
        Fader & Hardie (2005), eqs. 18-22 (the likelihood).
        """
        x, t_x, T, w = rows.frequency, rows.recency, rows.T, rows.weights

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            value, gradient, _ = _chunked(theta, x, t_x, T, with_gradient=True)
            assert gradient is not None
            return -float(w @ value), -(gradient @ w)

        return objective

    def customer_log_likelihood(self, summary: CustomerSummary) -> FloatArray:
        """Log-likelihood of each row of ``summary`` (unweighted).

        Parameters
        ----------
        summary : CustomerSummary
            The customers.

        Returns
        -------
        ndarray, shape (n,)

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> s = relmark.CustomerSummary.from_arrays([0, 2], [0.0, 30.43], [38.86, 38.86])
        >>> model.customer_log_likelihood(s).round(3).tolist()
        [-0.521, -9.554]
        """
        x, t_x, T = history(summary)
        return _chunked(self._theta, x, t_x, T, with_gradient=False)[0]

    def probability_alive(self, summary: CustomerSummary) -> FloatArray:
        r"""Probability that each customer is still active at the end of observation.

        Parameters
        ----------
        summary : CustomerSummary
            The customers.

        Returns
        -------
        ndarray, shape (n,)
            In [0, 1].

        Notes
        -----
        .. math::

            P(\text{alive} \mid x, t_x, T) = \frac{(\alpha+T)^{-(r+x)}(\beta+T)^{-s}}
            {(\alpha+T)^{-(r+x)}(\beta+T)^{-s} + s\int_{t_x}^{T}
            (\alpha+y)^{-(r+x)}(\beta+y)^{-(s+1)}\,dy}

        References
        ----------
        Fader & Hardie (2005), eq. 22; Schmittlein et al. (1987), eq. 11.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> s = relmark.CustomerSummary.from_arrays([0, 2, 2], [0.0, 30.43, 5.0], [38.86] * 3)
        >>> model.probability_alive(s).round(3).tolist()
        [0.295, 0.869, 0.13]
        """
        x, t_x, T = history(summary)
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta
        log_left, trusted = _closed_form_log_integral(self._theta, x, t_x, T)
        log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        alive: FloatArray = np.exp(log_alive - np.logaddexp(log_alive, np.log(s) + log_left))
        if not trusted.all():  # cancellation or overflow: the quadrature, row by row exact
            doubtful = ~trusted
            alive[doubtful] = _chunked(
                self._theta, x[doubtful], t_x[doubtful], T[doubtful], with_gradient=False
            )[2]
        return alive

    def _purchases_per_alive(self, x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        r"""Return E[X(T, T+t)] for a customer alive at ``T``.

        That is :math:`\frac{r+x}{\alpha+T}` times the expected time still alive
        within ``t``, :math:`\frac{\beta+T}{s-1}[1 - (\frac{\beta+T}{\beta+T+t})^{s-1}]`
        (its limit at ``s = 1``).
        """
        log_keep = np.log(self.beta + T) - np.log(self.beta + T + t)
        exponent = self.s - 1.0
        if abs(exponent) < 1e-10:
            lifetime = -(self.beta + T) * log_keep
        else:
            lifetime = -(self.beta + T) * np.expm1(exponent * log_keep) / exponent
        expected: FloatArray = (self.r + x) / (self.alpha + T) * np.asarray(lifetime)
        return expected

    def expected_purchases(self, summary: CustomerSummary, t: ArrayLike) -> FloatArray:
        r"""Return the purchases each customer is expected to make in the next ``t``.

        Parameters
        ----------
        summary : CustomerSummary
            The customers.
        t : float or array_like
            Horizon (>= 0, in the summary's unit): a scalar, or one per customer.

        Returns
        -------
        ndarray, shape (n,)

        Notes
        -----
        .. math::

            E[Y(t) \mid x, t_x, T] = \frac{(r+x)(\beta+T)}{(\alpha+T)(s-1)}
            \Big[1 - \Big(\frac{\beta+T}{\beta+T+t}\Big)^{s-1}\Big]
            P(\text{alive} \mid x, t_x, T)

        References
        ----------
        Fader & Hardie (2005), eq. 24; Schmittlein et al. (1987), eq. 22.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> s = relmark.CustomerSummary.from_arrays([2], [30.43], [38.86])
        >>> round(float(model.expected_purchases(s, 39.0)[0]), 3)
        1.455
        """
        x, _, T = history(summary)
        horizon = aligned_horizon("t", t, x.size)
        return self._purchases_per_alive(x, T, horizon) * self.probability_alive(summary)

    def expected_purchases_new_customer(self, t: ArrayLike) -> Any:
        r"""Return the repeat purchases a new customer is expected to make by ``t``.

        Parameters
        ----------
        t : float or array_like
            Time since the first purchase (>= 0, in the model's unit).

        Returns
        -------
        float or ndarray
            A float for a scalar ``t``.

        Notes
        -----
        .. math::

            E[X(t)] = \frac{r\beta}{\alpha(s-1)}\Big[1 - \Big(\frac{\beta}{\beta+t}\Big)^{s-1}\Big]

        References
        ----------
        Fader & Hardie (2005), eq. 17.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> round(model.expected_purchases_new_customer(39.0), 3)
        1.213
        """
        horizon, scalar = as_horizon("t", t)
        zeros = np.zeros(horizon.shape)
        expected = self._purchases_per_alive(zeros, zeros, horizon).reshape(np.shape(t))
        return float(expected) if scalar else expected

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> Any:
        r"""Probability that a new customer makes exactly ``n`` repeat purchases in ``t``.

        Parameters
        ----------
        n : int or array_like
            Numbers of purchases (whole, >= 0); broadcasts against ``t``.
        t : float or array_like
            Time since the first purchase (>= 0, in the model's unit).

        Returns
        -------
        float or ndarray
            A float when both are scalars.

        Notes
        -----
        Alive throughout, or gone at some :math:`\tau < t`:

        .. math::

            P(X(t) = n) = \mathrm{NB}(n; t)\Big(\frac{\beta}{\beta+t}\Big)^s
            + \int_0^t \mathrm{NB}(n; \tau)\,\frac{s\beta^s}{(\beta+\tau)^{s+1}}\,d\tau,

        with :math:`\mathrm{NB}(n; \tau) = \frac{\Gamma(r+n)}{\Gamma(r)\,n!}
        (\frac{\alpha}{\alpha+\tau})^r(\frac{\tau}{\alpha+\tau})^n`, the
        integral by composite Gauss-Legendre quadrature.

        References
        ----------
        Fader, P. S. & Hardie, B. G. S. (2006). Deriving an expression for
        P(X(t) = x) under the Pareto/NBD model. http://brucehardie.com/notes/012/

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> [round(model.probability_of_purchases(n, 39.0), 3) for n in range(3)]
        [0.594, 0.166, 0.082]
        """
        count = as_float_array("n", np.ravel(n), nonnegative=True).reshape(np.shape(n))
        if np.any(count != np.floor(count)):
            raise ValidationError("`n` must hold whole numbers of purchases")
        horizon = as_horizon("t", t)[0].reshape(np.shape(t))
        count, horizon = np.broadcast_arrays(count, horizon)
        flat_n, flat_t = count.reshape(-1), horizon.reshape(-1)
        r, alpha, s, beta = self.r, self.alpha, self.s, self.beta

        def log_nbd(tau: FloatArray, k: FloatArray) -> FloatArray:
            log_pmf: FloatArray = (
                gammaln(r + k)
                - gammaln(r)
                - gammaln(k + 1.0)
                + r * (np.log(alpha) - np.log(alpha + tau))
                + xlogy(k, tau)
                - k * np.log(alpha + tau)
            )
            return log_pmf

        survived = np.exp(log_nbd(flat_t, flat_n) + s * (np.log(beta) - np.log(beta + flat_t)))
        nodes, weights = _PMF_RULE
        tau = flat_t[:, None] * nodes[None, :]
        density = np.log(s) + s * np.log(beta) - (s + 1.0) * np.log(beta + tau)
        gone = flat_t * (np.exp(log_nbd(tau, flat_n[:, None]) + density) @ weights)
        probability = np.clip(survived + gone, 0.0, 1.0).reshape(count.shape)
        return float(probability) if probability.ndim == 0 else probability

    def simulate(
        self, n_customers: int, T: ArrayLike, rng: np.random.Generator | int | None = None
    ) -> CustomerSummary:
        r"""Draw customers' (x, t_x, T) summaries from the model.

        Parameters
        ----------
        n_customers : int
            Number of customers (>= 0).
        T : float or array_like
            Observation length since each first purchase (> 0), scalar or one
            per customer, in the model's unit.
        rng : numpy.random.Generator, int or None
            Randomness source or seed.

        Returns
        -------
        CustomerSummary

        Notes
        -----
        Each customer draws :math:`\lambda`, :math:`\mu` and a lifetime
        :math:`\tau \sim \mathrm{Exp}(\mu)`; over the active window
        :math:`w = \min(\tau, T)` they make :math:`x \sim \mathrm{Poisson}(\lambda w)`
        purchases, the last at :math:`w \cdot \mathrm{Beta}(x, 1)` (the
        largest of ``x`` uniform times).

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> s = model.simulate(1000, 39.0, rng=7)
        >>> len(s), bool((s.recency <= s.T).all())
        (1000, True)
        """
        count, ages = simulation_ages(n_customers, T)
        generator = as_rng(rng)
        rate = generator.gamma(self.r, 1.0 / self.alpha, size=count)
        dropout = generator.gamma(self.s, 1.0 / self.beta, size=count)
        window = np.minimum(generator.exponential(1.0, size=count) / dropout, ages)
        x = generator.poisson(rate * window).astype(np.float64)
        repeat = x > 0
        recency = np.zeros(count)
        recency[repeat] = window[repeat] * generator.beta(x[repeat], 1.0)
        return CustomerSummary.from_arrays(x, recency, ages, unit=None)
