"""BG/NBD model of non-contractual purchasing in continuous time (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1, xlogy

from relmark._validation import (
    FloatArray,
    IntArray,
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

__all__ = ["BetaGeo"]

_A_NEAR_ONE = 1e-7  # |a - 1| below which expectations use the symmetric limit
_A_STEP = 1e-5
_FEW_ROWS = 10_000  # below this, predictions skip the search for distinct rows


@attrs.frozen(kw_only=True, repr=False)
class BetaGeo(SummaryModel):
    r"""BG/NBD model: Poisson purchasing while alive, dropout after a purchase.

    While alive, a customer buys at the times of a Poisson process with rate
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`; after each purchase they
    leave for good with probability :math:`p \sim \mathrm{Beta}(a, b)`.
    ``alpha`` is in the time unit of the data the model describes.

    Parameters
    ----------
    r, alpha : float
        Shape and rate of the gamma distribution of purchase rates, > 0.
    a, b : float
        Shapes of the beta distribution of dropout probabilities, > 0.
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
    For a customer with ``x`` repeat purchases, the last at ``t_x``, observed
    for ``T`` since the first purchase (eq. 6 of the reference):

    .. math::

        L = \frac{B(a, b+x)}{B(a, b)}
        \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
        + \delta_{x>0} \frac{B(a+1, b+x-1)}{B(a, b)}
        \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+t_x)^{r+x}}.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
    customers" the easy way: an alternative to the Pareto/NBD model.
    *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> model = relmark.BetaGeo.fit(cdnow_sample_summary())
    >>> {name: round(value, 3) for name, value in model.params.items()}
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    >>> round(model.fit_info.log_likelihood, 1)
    -9582.4
    """

    r: float
    alpha: float
    a: float
    b: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)

    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("r"),
        Parameter("alpha", scale="time"),
        Parameter("a"),
        Parameter("b"),
    )

    _shift: ClassVar[int] = 0  # dropout chances before the first repeat purchase

    @classmethod
    def _objective(cls, rows: CustomerSummary) -> NegLogLikelihood:
        r"""Return minus the log-likelihood of the fit's rows and its exact gradient.

        Notes
        -----
        With :math:`A_1 = \log B(a, b+x) - (r+x)\log(\alpha+T)`,
        :math:`A_2 = \log B(a+1, b+x-1) - (r+x)\log(\alpha+t_x)` and
        :math:`\pi_k = e^{A_k} / (e^{A_1} + e^{A_2})`, the gradient is

        .. math::

            \partial_r \ell = \psi(r+x) - \psi(r) + \log\alpha
              - \pi_1\log(\alpha+T) - \pi_2\log(\alpha+t_x),\quad
            \partial_\alpha \ell = \frac{r}{\alpha}
              - (r+x)\Big(\frac{\pi_1}{\alpha+T} + \frac{\pi_2}{\alpha+t_x}\Big),

        .. math::

            \partial_a \ell = \psi(a+b) - \psi(a) + \pi_1[\psi(a) - \psi(a+b+x)]
              + \pi_2[\psi(a+1) - \psi(a+b+x)],

        .. math::

            \partial_b \ell = \psi(a+b) - \psi(b) + \pi_1[\psi(b+x) - \psi(a+b+x)]
              + \pi_2[\psi(b+x-1) - \psi(a+b+x)].

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 6.
        """
        return _Histories.of(rows, cls._shift).neg_log_likelihood

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
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = relmark.CustomerSummary.from_arrays([0, 2], [0.0, 30.43], [38.86, 38.86])
        >>> model.customer_log_likelihood(s).round(3).tolist()
        [-0.555, -9.459]
        """
        x, t_x, T = history(summary)
        return _log_likelihood(self._theta, x, t_x, T, self._shift, with_gradient=False)[0]

    def _log_odds_dead(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """Log of P(dead | history) / P(alive | history); -inf where ``x`` is 0."""
        log_odds = self.alpha + T
        log_odds /= self.alpha + t_x
        np.log(log_odds, out=log_odds)
        log_odds *= self.r + x
        prior = np.maximum(x + self._shift, 1.0)
        prior += self.b - 1.0
        np.divide(self.a, prior, out=prior)
        log_odds += np.log(prior, out=prior)
        if not self._shift:
            log_odds[x == 0] = -np.inf  # BG/NBD: no repeat purchase, no chance to drop out
        return log_odds

    def probability_alive(self, summary: CustomerSummary) -> FloatArray:
        r"""Probability that each customer is still active at the end of observation.

        Parameters
        ----------
        summary : CustomerSummary
            The customers.

        Returns
        -------
        ndarray, shape (n,)
            In [0, 1]; 1 for customers without repeat purchases.

        Notes
        -----
        .. math::

            P(\text{alive} \mid x, t_x, T) = \Big[1 + \delta_{x>0}\frac{a}{b+x-1}
            \Big(\frac{\alpha+T}{\alpha+t_x}\Big)^{r+x}\Big]^{-1}

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 11; computed as a logistic function of
        the log-odds so that it never overflows.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = relmark.CustomerSummary.from_arrays([0, 2, 2], [0.0, 30.43, 5.0], [38.86] * 3)
        >>> model.probability_alive(s).round(3).tolist()
        [1.0, 0.727, 0.124]
        """
        x, t_x, T = history(summary)
        if self._shift:
            return _logistic_of_minus(self._log_odds_dead(x, t_x, T))
        # BG/NBD: customers without a repeat purchase are alive; compute the others only
        alive = np.ones(x.size)
        repeat = np.flatnonzero(x > 0)
        alive[repeat] = _logistic_of_minus(self._log_odds_dead(x[repeat], t_x[repeat], T[repeat]))
        return alive

    def _purchases_if_alive(self, x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        r"""E[X(T, T+t)] for a customer alive at ``T`` after ``x`` repeat purchases.

        Uses Euler's transformation
        :math:`(1-z)^{r+x}\,{}_2F_1(r+x, b+x; c; z) = (1-z)^{a-1}\,{}_2F_1(a+b-1-r, a-1; c; z)`
        with :math:`c = a+b+x-1`, :math:`z = t/(\alpha+T+t)`, whose series
        converges faster as ``x`` grows; where scipy's ``hyp2f1`` cannot
        evaluate it (large integer :math:`c-a-b`), the original form is used.
        """
        if abs(self.a - 1.0) < _A_NEAR_ONE:
            # c / (a - 1) * [...] is smooth in a but cancels at a = 1: average a = 1 -+ h.
            pair = [attrs.evolve(self, a=1.0 + step) for step in (-_A_STEP, _A_STEP)]
            return 0.5 * (
                pair[0]._purchases_if_alive(x, T, t) + pair[1]._purchases_if_alive(x, T, t)
            )
        k = x + self._shift  # dropout opportunities so far
        c = self.a + self.b + k - 1.0
        if np.any(np.abs(c) < _A_NEAR_ONE):
            # c = 0 (x = 0 and a + b = 1) is a removable pole: average b = 1 - a -+ h.
            pair = [attrs.evolve(self, b=self.b + step) for step in (-_A_STEP, _A_STEP)]
            return 0.5 * (
                pair[0]._purchases_if_alive(x, T, t) + pair[1]._purchases_if_alive(x, T, t)
            )
        log_keep = np.log(self.alpha + T) - np.log(self.alpha + T + t)  # log(1 - z)
        z = -np.expm1(log_keep)
        kept = _kept_fraction(self.r + x, self.b + k, self.a, c, z, log_keep)
        expected: FloatArray = np.where(t > 0, c / (self.a - 1.0) * (1.0 - kept), 0.0)
        return np.maximum(expected, 0.0)

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

            E[Y(t) \mid x, t_x, T] = \frac{a+b+x-1}{a-1}
            \Big[1 - \Big(\frac{\alpha+T}{\alpha+T+t}\Big)^{r+x}
            {}_2F_1\Big(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\Big)\Big]
            P(\text{alive} \mid x, t_x, T)

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 10.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = relmark.CustomerSummary.from_arrays([2], [30.43], [38.86])
        >>> round(float(model.expected_purchases(s, 39.0)[0]), 3)
        1.226
        """
        x, _, T = history(summary)
        horizon, scalar = aligned_horizon("t", t, x.size), True
        if scalar and x.size > _FEW_ROWS:
            # E[X | alive] depends on (x, T) only: evaluate it once per distinct pair.
            pairs, row_of = _distinct_pairs(x, T)
            if len(pairs[0]) < x.size // 2:
                if_alive = self._purchases_if_alive(*pairs, horizon)[row_of]
                return if_alive * self.probability_alive(summary)
        return self._purchases_if_alive(x, T, horizon) * self.probability_alive(summary)

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

            E[X(t)] = \frac{a+b-1}{a-1}\Big[1 - \Big(\frac{\alpha}{\alpha+t}\Big)^r
            {}_2F_1\Big(r, b; a+b-1; \frac{t}{\alpha+t}\Big)\Big]

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 9.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(model.expected_purchases_new_customer(39.0), 3)
        1.197
        """
        horizon, scalar = as_horizon("t", t)
        zeros = np.zeros(horizon.shape)
        # alive at 0 for sure under BG/NBD; with probability b / (a + b) under MBG/NBD
        alive_at_start = expit(-self._log_odds_dead(zeros, zeros, zeros))
        expected = self._purchases_if_alive(zeros, zeros, horizon) * alive_at_start
        expected = expected.reshape(np.shape(t))
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
        .. math::

            P(X(t) = n) = \frac{B(a, b+n)}{B(a, b)}
            \frac{\Gamma(r+n)}{\Gamma(r)\,n!}\Big(\frac{\alpha}{\alpha+t}\Big)^r
            \Big(\frac{t}{\alpha+t}\Big)^n
            + \delta_{n>0}\frac{B(a+1, b+n-1)}{B(a, b)}\,
            I_{t/(\alpha+t)}(n, r)

        where the last factor, one minus the NBD's cumulative probability of
        fewer than ``n`` purchases, is the regularised incomplete beta function.

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 8.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> [round(model.probability_of_purchases(n, 39.0), 3) for n in range(3)]
        [0.574, 0.199, 0.085]
        """
        count = as_float_array("n", np.ravel(n), nonnegative=True).reshape(np.shape(n))
        if np.any(count != np.floor(count)):
            raise ValidationError("`n` must hold whole numbers of purchases")
        horizon = as_horizon("t", t)[0].reshape(np.shape(t))
        count, horizon = np.broadcast_arrays(count, horizon)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        share = horizon / (alpha + horizon)
        never_left = np.exp(
            betaln(a, b + count + self._shift)
            - betaln(a, b)
            + gammaln(r + count)
            - gammaln(r)
            - gammaln(count + 1.0)
            + r * np.log(alpha / (alpha + horizon))
            + xlogy(count, share)
        )
        opportunities = count + self._shift  # dropout chances: after each purchase (+ at 0)
        can_leave = opportunities > 0
        safe = np.where(can_leave, opportunities, 1.0)
        # P(at least n purchases by t while alive), 1 for n = 0
        reached = np.where(count > 0, betainc(np.maximum(count, 1.0), r, share), 1.0)
        left = np.where(
            can_leave, np.exp(betaln(a + 1.0, b + safe - 1.0) - betaln(a, b)) * reached, 0.0
        )
        probability = np.clip(never_left + left, 0.0, 1.0)
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
        Each customer draws :math:`\lambda` and :math:`p`; they make
        :math:`N \sim \mathrm{Poisson}(\lambda T)` purchases if always alive
        and leave after purchase :math:`K \sim \mathrm{Geometric}(p)`, so
        :math:`x = \min(N, K)`.  Given ``N``, purchase times are uniform
        order statistics, so the ``x``-th is :math:`T \cdot
        \mathrm{Beta}(x, N - x + 1)`.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = model.simulate(1000, 39.0, rng=7)
        >>> len(s), bool((s.recency <= s.T).all())
        (1000, True)
        """
        count, ages = simulation_ages(n_customers, T)
        generator = as_rng(rng)
        rate = generator.gamma(self.r, 1.0 / self.alpha, size=count)
        dropout = np.clip(generator.beta(self.a, self.b, size=count), 1e-12, 1.0)
        purchases = generator.poisson(rate * ages).astype(np.float64)
        lasting = generator.geometric(dropout).astype(np.float64) - self._shift
        x = np.minimum(purchases, lasting)
        repeat = x > 0
        recency = np.zeros(count)
        recency[repeat] = ages[repeat] * generator.beta(
            x[repeat], purchases[repeat] - x[repeat] + 1.0
        )
        return CustomerSummary.from_arrays(x, recency, ages, unit=None)


def _kept_fraction(
    r_x: FloatArray, b_x: FloatArray, a: float, c: FloatArray, z: FloatArray, log_keep: FloatArray
) -> FloatArray:
    r"""Return :math:`(1-z)^{r+x}\,{}_2F_1(r+x, b+x; c; z)`, cross-checked.

    Evaluated both directly and in Euler's transformed form
    :math:`(1-z)^{a-1}\,{}_2F_1(c-r-x, a-1; c; z)`.  scipy's ``hyp2f1`` is
    unreliable when :math:`c - A - B` is a large integer; where the two
    forms are not finite or disagree, the transformed Gauss series is summed
    term by term (such rows have a large ``c``, where it converges quickly).
    """
    with np.errstate(all="ignore"):  # overflow in one form is caught by the cross-check
        euler = np.exp((a - 1.0) * log_keep) * hyp2f1(c - r_x, a - 1.0, c, z)
        direct = np.exp(r_x * log_keep) * hyp2f1(r_x, b_x, c, z)
    kept: FloatArray = np.where(np.isfinite(euler), euler, direct)
    both = np.isfinite(euler) & np.isfinite(direct)
    doubtful = ~np.isfinite(kept) | (both & ~np.isclose(euler, direct, rtol=1e-8, atol=1e-12))
    if doubtful.any():
        # Sum the form with the smaller parameters: its terms shrink from the start.
        rx, bx, cc = r_x[doubtful], b_x[doubtful], c[doubtful]
        direct_form = rx + bx < (cc - rx) + (a - 1.0)
        first = np.where(direct_form, rx, cc - rx)
        second = np.where(direct_form, bx, a - 1.0)
        power = np.where(direct_form, rx, a - 1.0)
        with np.errstate(all="ignore"):
            summed = np.exp(power * log_keep[doubtful]) * _gauss_series(
                first, second, cc, z[doubtful]
            )
        fallback = np.clip(np.nan_to_num(kept[doubtful], nan=1.0), 0.0, 1.0)
        kept[doubtful] = np.where(np.isfinite(summed), summed, fallback)
    return kept


def _gauss_series(
    first: FloatArray, second: FloatArray, c: FloatArray, z: FloatArray, *, max_terms: int = 20_000
) -> FloatArray:
    """Sum the hypergeometric series term by term, vectorised over rows (a loop over terms)."""
    term = np.ones_like(z)
    total = np.ones_like(z)
    active = np.ones(z.shape, dtype=bool)
    for k in range(max_terms):
        term = term * (first + k) * (second + k) / ((c + k) * (k + 1.0)) * z
        total = total + np.where(active, term, 0.0)
        active &= np.abs(term) > 1e-17 * np.abs(total)
        if not active.any():
            break
    return total


def _logistic_of_minus(log_odds: FloatArray) -> FloatArray:
    """Return 1 / (1 + exp(log_odds)) in place: odds of inf give 0, of -inf give 1."""
    with np.errstate(over="ignore"):
        np.exp(log_odds, out=log_odds)
    log_odds += 1.0
    return np.reciprocal(log_odds, out=log_odds)


def _distinct_pairs(x: FloatArray, T: FloatArray) -> tuple[tuple[FloatArray, FloatArray], IntArray]:
    """Return the distinct (x, T) pairs and each row's index into them.

    ``x`` holds whole numbers, so one ``np.unique`` of ``T`` and one of an
    int64 key suffice (no lexicographic sort).
    """
    T_values, T_of = np.unique(T, return_inverse=True)
    key = x.astype(np.int64) * T_values.size + T_of
    keys, row_of = np.unique(key, return_inverse=True)
    return (
        (keys // T_values.size).astype(np.float64),
        T_values[keys % T_values.size],
    ), row_of.astype(np.int64)


@attrs.frozen
class _Histories:
    """Distinct rows for the fit, with the few distinct x, t_x and T values factored out.

    Terms that depend on the parameters and one of x, t_x or T alone are
    computed once per distinct value; gradient sums are collected per
    distinct x with ``np.bincount``.  Exact: the same sums, reordered.
    """

    x: FloatArray  # distinct frequencies
    x_of: IntArray  # each row's index into x
    t_x: FloatArray
    t_x_of: IntArray
    T: FloatArray
    T_of: IntArray
    weights: FloatArray
    weighted_x: FloatArray  # per distinct x: total weight of its rows
    shift: int  # 1 where customers may also drop out at time 0 (MBG/NBD)
    x_row: FloatArray  # each row's frequency

    @classmethod
    def of(cls, rows: CustomerSummary, shift: int) -> _Histories:
        x, x_of = np.unique(rows.frequency, return_inverse=True)
        t_x, t_x_of = np.unique(rows.recency, return_inverse=True)
        T, T_of = np.unique(rows.T, return_inverse=True)
        weighted_x = np.bincount(x_of, weights=rows.weights, minlength=x.size).astype(np.float64)
        return cls(x, x_of, t_x, t_x_of, T, T_of, rows.weights, weighted_x, shift, rows.frequency)

    def neg_log_likelihood(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Return minus the weighted log-likelihood and its exact gradient."""
        r, alpha, a, b = (float(v) for v in theta)
        x, x_of, T_of, t_x_of = self.x, self.x_of, self.T_of, self.t_x_of
        k = x + self.shift  # dropout opportunities
        safe_k = np.where(k > 0, k, 1.0)
        log_T = np.log(alpha + self.T)[T_of]  # one gather per per-value table
        log_tx = np.log(alpha + self.t_x)[t_x_of]
        rx = self.x_row + r
        first = betaln(a, b + k)[x_of] - rx * log_T
        second = np.where(k > 0, betaln(a + 1.0, b + safe_k - 1.0), -np.inf)[x_of] - rx * log_tx
        mix = np.logaddexp(first, second)
        weights, total = self.weights, float(self.weights.sum())
        weighted_1 = weights * np.exp(first - mix)  # posterior weight of the first term
        weighted_2 = weights - weighted_1
        s1 = np.bincount(x_of, weights=weighted_1, minlength=x.size).astype(np.float64)
        s2 = self.weighted_x - s1
        value = float(self.weighted_x @ gammaln(r + x)) + float(weights @ mix)
        value += total * (r * np.log(alpha) - gammaln(r) - betaln(a, b))
        psi_abx = digamma(a + b + k)
        d_r = float(self.weighted_x @ digamma(r + x)) + total * (np.log(alpha) - digamma(r))
        d_r -= float(weighted_1 @ log_T + weighted_2 @ log_tx)
        d_alpha = total * r / alpha - float(
            (weighted_1 * rx) @ (1.0 / (alpha + self.T))[T_of]
            + (weighted_2 * rx) @ (1.0 / (alpha + self.t_x))[t_x_of]
        )
        d_a = total * (digamma(a + b) - digamma(a)) + float(
            s1 @ (digamma(a) - psi_abx) + s2 @ (digamma(a + 1.0) - psi_abx)
        )
        d_b = total * (digamma(a + b) - digamma(b)) + float(
            s1 @ (digamma(b + k) - psi_abx) + s2 @ (digamma(b + safe_k - 1.0) - psi_abx)
        )
        return -value, -np.array([d_r, d_alpha, d_a, d_b])


def _log_likelihood(
    theta: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    shift: int,
    *,
    with_gradient: bool,
) -> tuple[FloatArray, FloatArray | None]:
    """Per-row log-likelihood and, optionally, its gradient (4, n) in natural parameters.

    ``shift`` is 0 for BG/NBD and 1 for MBG/NBD, whose customers have one
    more chance to drop out (at time 0): ``k = x + shift`` opportunities.
    """
    r, alpha, a, b = (float(v) for v in theta)
    k = x + shift
    safe_k = np.where(k > 0, k, 1.0)  # the second term needs a chance to have dropped out
    log_T, log_tx = np.log(alpha + T), np.log(alpha + t_x)
    first = betaln(a, b + k) - (r + x) * log_T
    second = np.where(k > 0, betaln(a + 1.0, b + safe_k - 1.0) - (r + x) * log_tx, -np.inf)
    mix = np.logaddexp(first, second)
    value = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b) + mix
    if not with_gradient:
        return value, None
    w1, w2 = np.exp(first - mix), np.exp(second - mix)
    psi_abx = digamma(a + b + k)
    gradient = np.stack(
        [
            digamma(r + x) - digamma(r) + np.log(alpha) - w1 * log_T - w2 * log_tx,
            r / alpha - (r + x) * (w1 / (alpha + T) + w2 / (alpha + t_x)),
            digamma(a + b)
            - digamma(a)
            + w1 * (digamma(a) - psi_abx)
            + w2 * (digamma(a + 1.0) - psi_abx),
            digamma(a + b)
            - digamma(b)
            + w1 * (digamma(b + k) - psi_abx)
            + w2 * (digamma(b + safe_k - 1.0) - psi_abx),
        ]
    )
    return value, gradient
