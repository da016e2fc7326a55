"""BG/NBD model of non-contractual purchasing in continuous time (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import ClassVar, TypeVar

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.polynomial.laguerre import laggauss
from numpy.polynomial.legendre import leggauss
from scipy.special import betainc, betaln, digamma, gammaln, xlogy
from typing_extensions import Self

from relmark._validation import (
    BoolArray,
    FloatArray,
    IntArray,
    readonly,
)
from relmark.data.summary import CustomerSummary
from relmark.models._base import (
    ContinuousPurchaseModel,
    Parameter,
    uniform_event_times,
)
from relmark.models._covariates import NO_EFFECTS, Effects, Link
from relmark.models._fitting import FitInfo, NegLogLikelihood
from relmark.models._residual import DiscountedResidualTransactions, discount_factor
from relmark.models._special import stirling_remainder

__all__ = ["BetaGeo"]

_FEW_ROWS = 10_000  # below this, predictions skip the search for distinct rows
_VALUES_PER_BLOCK = 4_000_000  # horizons x distinct pairs evaluated at once

# A parameter: one float for every row, or an array of each row's own (a covariate model's rows)
Scale = float | FloatArray


@attrs.frozen(kw_only=True, repr=False)
class BetaGeo(ContinuousPurchaseModel, DiscountedResidualTransactions):
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
    effects : Effects, optional
        Static covariates' structure and multipliers (set by :meth:`fit`
        with ``covariates`` or by :meth:`with_coefficients`): a customer with
        covariates ``z`` has :math:`\alpha_i = \alpha e^{-z^\top\gamma_p}`,
        :math:`a_i = a e^{z^\top\gamma_a}`, :math:`b_i = b e^{z^\top\gamma_b}`.

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
    effects: Effects = NO_EFFECTS

    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("r"),
        Parameter("alpha", scale="time"),
        Parameter("a"),
        Parameter("b"),
    )
    #: Purchase covariates scale ``alpha`` down (a coefficient > 0: faster buying, the rates
    #: being Gamma(r, alpha)); dropout covariates scale ``a`` and ``b`` up, each its own.
    links: ClassVar[tuple[Link, ...]] = (
        Link("alpha", "purchase", -1),
        Link("a", "dropout", 1),
        Link("b", "dropout", 1),
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

    @classmethod
    def _reweighted(cls, rows: CustomerSummary) -> Callable[[FloatArray], NegLogLikelihood]:
        """Return ``weights -> objective`` over ``rows``, tabulated once (see SummaryModel)."""
        histories = _Histories.of(rows, cls._shift)
        return lambda weights: histories.reweighted(weights).neg_log_likelihood

    @classmethod
    def _row_scores(  # type: ignore[override]  # the base takes *columns: these are BG/NBD's
        cls, params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        r"""Return each row's log-likelihood and its scores in the log-parameters.

        ``params`` has shape (4, n): each row's ``r, alpha, a, b`` (a
        covariate model's rows); the result is ``(ll, scores)``, ``ll`` of
        shape (n,) (unweighted) and ``scores[j, i]`` the derivative of
        ``ll[i]`` with respect to the log of ``params[j, i]``.

        Notes
        -----
        With ``k = x + shift`` dropout chances (``shift`` 1 for MBG/NBD),
        :math:`L_T = \log(1 + T/\alpha)`,
        :math:`D = \log\frac{\alpha+T}{\alpha+t_x}` and the log-odds of the
        dropped-out term against the alive one,
        :math:`o = \log\frac{a}{b+k-1} + (r+x) D` (:math:`-\infty` at
        ``k = 0``), eq. 6 of the reference is

        .. math::

            \ell = \log\frac{\Gamma(r+x)}{\Gamma(r)} - r L_T - x\log(\alpha+T)
            + \log\frac{B(a, b+k)}{B(a, b)} + \log(1 + e^{o}),

        and with :math:`\pi = 1/(1 + e^{-o})`, the weight of the dropped-out
        term, the scores are

        .. math::

            \partial_{\log r}\ell = r[\psi(r+x) - \psi(r) - L_T + \pi D],\quad
            \partial_{\log\alpha}\ell = (r+x)\Big[(1-\pi)\frac{T}{\alpha+T}
              + \pi\frac{t_x}{\alpha+t_x}\Big] - x,

        .. math::

            \partial_{\log a}\ell = \pi - a[\psi(a+b+k) - \psi(a+b)],\quad
            \partial_{\log b}\ell = b[\psi(b+k) - \psi(b) - \psi(a+b+k) + \psi(a+b)]
              - \pi\frac{b}{b+k-1}.

        The same quantities as :class:`_Histories` sums for one set of
        parameters, per row.  The terms that depend on ``(r, x)`` and on
        ``(a, b, k)`` only (the log-gamma and digamma values) are evaluated
        once per distinct combination when the rows have few (a covariate
        fit's rows share their cells' parameters), else per row: the same
        elementwise formulas either way, so a row's values do not depend on
        the other rows.

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 6; Fader & Hardie (2007), the
        note on time-invariant covariates.
        """
        r, alpha, a, b = params
        levels, level_of = _levels(x)
        counts, prior_odds, psi_r, a_part, b_part, b_ratio = _tabulated(
            partial(_history_terms, float(cls._shift)), levels, level_of, r, a, b
        )
        stay = T / alpha  # L_T = log(1 + T / alpha)
        np.log1p(stay, out=stay)
        start = alpha + t_x
        span = T - t_x  # D = log(1 + (T - t_x) / (alpha + t_x)), exact however close t_x is to T
        span /= start
        np.log1p(span, out=span)
        r_x = r + x
        odds = r_x * span
        odds += prior_odds
        small = np.abs(odds)  # e^-|o|: the logistic and log(1 + e^o) without overflow
        np.negative(small, out=small)
        np.exp(small, out=small)
        ll = np.log(alpha)
        ll += stay
        ll *= -x
        ll -= r * stay
        ll += counts
        ll += np.maximum(odds, 0.0)
        ll += np.log1p(small)
        share = 1.0 + small
        np.reciprocal(share, out=share)
        small *= share  # e^-|o| / (1 + e^-|o|)
        dropped_out = odds > 0.0
        pi = np.where(dropped_out, share, small)  # weight of the dropped-out term
        stayed = np.where(dropped_out, small, share)  # 1 - pi, without cancellation
        scores = np.empty((4, x.size))
        np.multiply(pi, span, out=scores[0])
        scores[0] += psi_r
        scores[0] -= stay
        scores[0] *= r
        np.divide(T, alpha + T, out=scores[1])
        scores[1] *= stayed
        scores[1] += pi * (t_x / start)
        scores[1] *= r_x
        scores[1] -= x
        np.subtract(pi, a_part, out=scores[2])
        np.multiply(pi, b_ratio, out=scores[3])
        np.subtract(b_part, scores[3], out=scores[3])
        return ll, scores

    def _log_likelihood_rows(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """Return the log-likelihood of each checked history (unweighted), per row for a row view.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = relmark.CustomerSummary.from_arrays([0, 2], [0.0, 30.43], [38.86, 38.86])
        >>> model.customer_log_likelihood(s).round(3).tolist()
        [-0.555, -9.459]
        """
        return _log_likelihood(self._row_theta(), x, t_x, T, self._shift)

    def _per_row(self) -> bool:
        """Whether the parameters are arrays of each row's own (a row view)."""
        return bool(np.ndim(self.r) or np.ndim(self.alpha) or np.ndim(self.a) or np.ndim(self.b))

    def _row_theta(self) -> FloatArray:
        """Return the parameters as ``theta``: shape (4,), or (4, n) for a row view."""
        return np.array([self.r, self.alpha, self.a, self.b], dtype=np.float64)

    def _rows(self, rows: IntArray) -> Self:
        """Return the model for the rows ``rows``: itself, or a row view of their parameters."""
        if not self._per_row():
            return self
        r, alpha, a, b = (np.asarray(v)[rows] for v in (self.r, self.alpha, self.a, self.b))
        return _row_view(r, alpha, a, b, model=type(self))

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

    def _alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        r"""P(alive | x, t_x, T), as a logistic function of the log-odds (it never overflows).

        Notes
        -----
        .. math::

            P(\text{alive} \mid x, t_x, T) = \Big[1 + \delta_{x>0}\frac{a}{b+x-1}
            \Big(\frac{\alpha+T}{\alpha+t_x}\Big)^{r+x}\Big]^{-1}

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 11; computed as a logistic function of
        the log-odds so that it never overflows.  A row view's parameters are
        taken row by row.
        """
        if self._shift:
            return _logistic_of_minus(self._log_odds_dead(x, t_x, T))
        # BG/NBD: customers without a repeat purchase are alive; compute the others only
        alive = np.ones(x.size)
        repeat = np.flatnonzero(x > 0)
        odds = self._rows(repeat)._log_odds_dead(x[repeat], t_x[repeat], T[repeat])
        alive[repeat] = _logistic_of_minus(odds)
        return alive

    def _purchases_if_alive(self, x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        r"""E[X(T, T+t) | alive at T] after ``x`` repeat purchases (``x``, ``T``, ``t`` broadcast).

        See :func:`_expected_if_alive`: the expected number of purchases
        before dropping out, a sum of positive terms.  A row view's parameters
        broadcast with the rows too.
        """
        return _expected_if_alive(
            self.r, self.a, self.b + self._shift, x, t, np.asarray(self.alpha + T, dtype=np.float64)
        )

    def _expected(self, x: FloatArray, t_x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        r"""E[Y(t) | x, t_x, T]: the expectation while alive times P(alive).

        Notes
        -----
        The reference's closed form (eq. 10) is

        .. math::

            E[Y(t) \mid x, t_x, T] = \frac{a+b+x-1}{a-1}
            \Big[1 - \Big(\frac{\alpha+T}{\alpha+T+t}\Big)^{r+x}
            {}_2F_1\Big(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\Big)\Big]
            P(\text{alive} \mid x, t_x, T).

        Its bracket cancels to nothing when few dropouts are expected (and
        at :math:`a = 1`), and the hypergeometric function overflows for
        large parameters, so relmark computes the same expectation as the
        mean number of purchases made before dropping out.  A customer alive
        at ``T`` who never left would make :math:`N \sim \mathrm{NBD}(r+x,
        \alpha+T)` purchases in ``t``; after each they leave with
        probability :math:`p \sim \mathrm{Beta}(a, b+x)` (the model's
        assumptions, updated by the history).  With
        :math:`m_n = B(a, b+x+n) / B(a, b+x)`, the probability of surviving
        ``n`` dropout chances, and :math:`s = t / (\alpha + T)`,

        .. math::

            E[Y(t) \mid \text{alive}] = \sum_{N \ge 1} P(N) \sum_{n < N} m_n
            = E_p\Big[\frac{1 - (1 + s p)^{-(r+x)}}{p}\Big],

        both sums of positive terms, with no singularity at :math:`a = 1`
        or :math:`a + b + x = 1`.  Rows whose series is short sum the first
        form by Horner's rule (coefficients shared by the rows of one ``x``,
        the omitted tail bounded below 1e-16 of the sum); the others
        integrate the second by Gauss-Legendre quadrature in the log-odds of
        ``p`` with incomplete-beta tails (``_beta_quadrature``).  Against
        50-digit mpmath references for parameters in :math:`10^{-3}..10^3`
        and ``x``, ``T``, ``t`` up to :math:`10^4`, the largest relative
        errors measured are 2e-13 (series) and 2e-14 (quadrature).  For
        MBG/NBD, ``b + x`` becomes ``b + x + 1`` throughout.

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 10.
        """
        alive = self._alive(x, t_x, T)
        if t.size == 1 and x.size > _FEW_ROWS:
            # E[X | alive] depends on (x, T) only: evaluate it once per distinct pair.
            distinct = self._distinct(x, T, x.size // 2)
            if distinct is not None:
                model, pairs, row_of = distinct
                return model._purchases_if_alive(*pairs, t)[row_of] * alive
        return self._purchases_if_alive(x, T, t) * alive

    def _distinct(
        self, x: FloatArray, T: FloatArray, limit: int
    ) -> tuple[Self, tuple[FloatArray, FloatArray], IntArray] | None:
        """Return the distinct (x, T) rows, the model at them and each row's index into them.

        For a row view the rows are the distinct (x, T, r, alpha, a, b) and
        the model is the view of their parameters.  None unless there are
        fewer than ``limit`` distinct rows.
        """
        if not self._per_row():
            pairs, row_of = _distinct_pairs(x, T)
            return (self, pairs, row_of) if len(pairs[0]) < limit else None
        columns = np.broadcast_arrays(T, self.r, self.alpha, self.a, self.b)
        distinct = _distinct_rows(x, columns, limit - 1)
        if distinct is None:
            return None
        (x_d, T_d, r, alpha, a, b), row_of = distinct
        return _row_view(r, alpha, a, b, model=type(self)), (x_d, T_d), row_of

    def _expected_sums(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        horizons: FloatArray,
        weights: FloatArray,
    ) -> FloatArray:
        """Return weighted sums of ``_expected`` over horizons (see the base class), in one pass.

        P(alive) is computed once; E[X | alive] once per distinct (x, T) pair
        (with a row view's parameters: per distinct pair and parameters) and
        horizon, vectorised over blocks of horizons, and summed per pair
        before it is spread over the rows.
        """
        alive = self._alive(x, t_x, T)
        model, pairs, row_of = self, (x, T), np.arange(x.size)
        if x.size * horizons.size > _FEW_ROWS:  # each pair saved is saved at every horizon
            distinct = self._distinct(x, T, x.size + 1)
            if distinct is not None:
                model, pairs, row_of = distinct
        n_pairs = pairs[0].size
        sums = np.zeros((weights.shape[0], n_pairs))
        block = max(1, _VALUES_PER_BLOCK // max(n_pairs, 1))
        for start in range(0, horizons.size, block):  # blocks of horizons, not customers
            ends = horizons[start : start + block]
            tiled = model._rows(np.tile(np.arange(n_pairs), ends.size))
            if_alive = tiled._purchases_if_alive(
                np.tile(pairs[0], ends.size), np.tile(pairs[1], ends.size), np.repeat(ends, n_pairs)
            ).reshape(ends.size, n_pairs)
            sums += weights[:, start : start + block] @ if_alive
        spread: FloatArray = sums[:, row_of] * alive
        return spread

    def _expected_new(self, t: FloatArray) -> FloatArray:
        r"""E[X(t)] for a new customer.

        Notes
        -----
        .. math::

            E[X(t)] = \frac{a+b-1}{a-1}\Big[1 - \Big(\frac{\alpha}{\alpha+t}\Big)^r
            {}_2F_1\Big(r, b; a+b-1; \frac{t}{\alpha+t}\Big)\Big]
            = E_p\Big[\frac{1 - (1 + p\,t/\alpha)^{-r}}{p}\Big],
            \quad p \sim \mathrm{Beta}(a, b),

        computed as in :meth:`expected_purchases` with ``x = 0`` and
        ``T = 0`` (sums of positive terms, no cancellation).  Under MBG/NBD
        a new customer is alive after the first purchase with probability
        :math:`b / (a + b)` and then expects the same with ``b + 1`` for ``b``.
        For a row view, ``t`` is aligned with its rows (each customer's own
        parameters and horizon).

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 9.
        """
        # alive at 0 for sure under BG/NBD; with probability b / (a + b) under MBG/NBD
        alive_at_start = self.b / (self.a + self.b) if self._shift else 1.0
        return self._purchases_if_alive(np.zeros(1), np.zeros(1), t) * alive_at_start

    def _dert(self, x: FloatArray, t_x: FloatArray, T: FloatArray, delta: float) -> FloatArray:
        r"""DERT at continuous discount rate ``delta``: the value while alive times P(alive).

        Notes
        -----
        Alive at ``T`` with rate :math:`\lambda` and dropout probability
        :math:`p`, a customer's purchases are worth
        :math:`\sum_{n \ge 1} (\frac{\lambda}{\lambda+\delta})^n (1-p)^{n-1}
        = \frac{\lambda}{\delta + p\lambda}` (the ``n``-th purchase needs
        ``n - 1`` dropout chances survived, and its time is a sum of ``n``
        exponential gaps).  Given alive, :math:`\lambda \sim
        \mathrm{Gamma}(k, \alpha+T)`, :math:`k = r+x`, and :math:`p \sim
        \mathrm{Beta}(a, b+x)` (``b + x + 1`` for MBG/NBD), independent.
        Integrating :math:`\lambda` in closed form (its size-biased gamma
        turns :math:`\lambda/(\delta+p\lambda)` into a mean of
        :math:`1/(1+\tau)`),

        .. math::

            \mathrm{DERT} = P(\text{alive})\,E_p[h(p)],\qquad
            h(p) = \frac{k}{c}\,G\Big(k+1, \frac{c}{p}\Big),\quad c = \delta(\alpha+T),

        with :math:`G` of :func:`~relmark.models._residual.discount_factor`;
        :math:`h` falls from :math:`k/c` (a customer who never leaves) and
        :math:`p\,h(p)` rises, as the expected purchases' integrand does, so
        the same quadrature in the log-odds of ``p`` integrates it
        (:func:`_beta_mean`).  It depends on ``(x, T)`` only: evaluated once
        per distinct pair (for a row view, per distinct pair and parameters).

        References
        ----------
        Fader, Hardie & Lee (2005), "Counting your customers" the easy way
        (the model); the DERT of Fader, Hardie & Lee (2005), "RFM and CLV",
        eq. 2, for Pareto/NBD, carried over to BG/NBD.
        """
        alive = self._alive(x, t_x, T)
        if x.size > _FEW_ROWS:
            distinct = self._distinct(x, T, x.size // 2)
            if distinct is not None:
                model, pairs, row_of = distinct
                return model._discounted_if_alive(*pairs, delta)[row_of] * alive
        return self._discounted_if_alive(x, T, delta) * alive

    def _discounted_if_alive(self, x: FloatArray, T: FloatArray, delta: float) -> FloatArray:
        """DERT given alive at ``T`` after ``x`` repeat purchases (see :meth:`_dert`)."""
        return _discounted_if_alive(
            self.r, self.a, self.b + self._shift, x, np.asarray(self.alpha + T), delta
        )

    def _pmf(self, count: FloatArray, horizon: FloatArray) -> FloatArray:
        r"""P(X(t) = n) for a new customer.

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
        Elementwise: a row view's parameters broadcast with ``n`` and ``t``.

        References
        ----------
        Fader, Hardie & Lee (2005), eq. 8.
        """
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        share = horizon / (alpha + horizon)
        never_left = np.exp(
            betaln(a, b + count + self._shift)
            - betaln(a, b)
            + gammaln(r + count)
            - gammaln(r)
            - gammaln(count + 1.0)
            - r * np.log1p(horizon / alpha)
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
        result: FloatArray = never_left + left
        return result

    def _mean_rate(self) -> float:
        return self.r / self.alpha

    def _draw_times(
        self, ages: FloatArray, generator: np.random.Generator
    ) -> tuple[IntArray, FloatArray]:
        r"""Draw every repeat purchase (customer, time since the first) of customers aged ``ages``.

        Notes
        -----
        Each customer draws :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` and
        :math:`p \sim \mathrm{Beta}(a, b)`.  A Poisson process would put
        :math:`N \sim \mathrm{Poisson}(\lambda T)` purchases uniformly in
        :math:`(0, T]`; the customer stays for
        :math:`K \sim \mathrm{Geometric}(p)` of them (one fewer under MBG/NBD,
        which spends a chance at time 0), so the first :math:`\min(N, K)`
        happen.  :meth:`_draw` samples the same process's (x, t_x) directly.
        A row view draws each customer from their own parameters (numpy's
        generators broadcast them; with equal parameters, the same draws).
        """
        count = ages.size
        rate = generator.gamma(self.r, 1.0 / self.alpha, size=count)
        dropout = np.clip(generator.beta(self.a, self.b, size=count), 1e-12, 1.0)
        events = generator.poisson(rate * ages)
        repeats = np.minimum(events, generator.geometric(dropout) - self._shift)
        owner, times = uniform_event_times(events, ages, generator)
        rank = np.arange(owner.size) - np.repeat(np.cumsum(events) - events, events)
        happened = rank < np.repeat(repeats, events)  # the first `repeats` happen
        return owner[happened], times[happened]

    def _draw(
        self, ages: FloatArray, generator: np.random.Generator
    ) -> tuple[FloatArray, FloatArray]:
        r"""Draw (x, t_x) for customers observed for ``ages``.

        Notes
        -----
        Each customer draws :math:`\lambda` and :math:`p`; they make
        :math:`N \sim \mathrm{Poisson}(\lambda T)` purchases if always alive
        and leave after purchase :math:`K \sim \mathrm{Geometric}(p)`, so
        :math:`x = \min(N, K)`.  Given ``N``, purchase times are uniform
        order statistics, so the ``x``-th is :math:`T \cdot
        \mathrm{Beta}(x, N - x + 1)`.  A row view draws each customer from
        their own parameters.
        """
        count = ages.size
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
        return x, recency


_Model = TypeVar("_Model", bound=BetaGeo)


def _row_view(r: Scale, alpha: Scale, a: Scale, b: Scale, *, model: type[_Model]) -> _Model:
    """Return a row view: a ``model`` whose ``r``, ``alpha``, ``a``, ``b`` are per-row arrays.

    Built as the covariate core builds its views (``object.__new__``, every
    other field at its default, ``fit_info=None``); the arrays are unchecked
    and broadcast to one length.  For the kernels and their tests.
    """
    view = object.__new__(model)
    for field in attrs.fields(model):
        default = field.default
        object.__setattr__(view, field.name, None if default is attrs.NOTHING else default)
    names = ("r", "alpha", "a", "b")
    for name, values in zip(names, np.broadcast_arrays(r, alpha, a, b), strict=True):
        object.__setattr__(view, name, readonly(np.array(values, dtype=np.float64)))
    return view


# -- E[X(T, T+t) | alive]: a power series of positive terms, or a quadrature over p -------

_FIRST_TERM_ONLY = 1e-150  # horizons s = t / (alpha + T) below this: E = (r + x) s
_SERIES_MAX_TERMS = 8192  # longest power series summed; rows that need more take the quadrature
_SERIES_TOLERANCE = 1e-16  # bound on the omitted tail of a series, relative to its sum
_LOG_SMALLEST_START = -640.0  # (1 - z)^(r+x) >= e^-640 keeps the scaled coefficients finite
_TABLE_ENTRIES = 1 << 22  # coefficient-table entries (x values x terms) built at once
# a cost model (seconds, measured) to split a batch of rows between the two methods
_COST_TERM_PASS = 4e-6  # one Horner step over the rows still summing, fixed part
_COST_TERM = 2e-9  # one Horner step of one row
_COST_TABLE_ENTRY = 3e-8  # one coefficient of one x value
_COST_QUADRATURE_CALL = 3e-4
_COST_QUADRATURE_ROW = 3e-5

_PANEL = 2.0  # longest quadrature panel, in log-odds of p and in the beta's own scale
_NEGLIGIBLE = 50.0  # panels where the integrand stays below e^-50 of its peak are dropped
_QUADRATURE_ROWS = 20_000  # rows per quadrature pass
_GL_NODES, _GL_WEIGHTS = leggauss(12)
_LAGUERRE_NODES, _LAGUERRE_WEIGHTS = laggauss(32)
_LAGUERRE_WEIGHTS_E = _LAGUERRE_WEIGHTS * np.exp(_LAGUERRE_NODES)  # for integrands f(v), not e^-v f


def _at(value: Scale, rows: IntArray | BoolArray | slice) -> Scale:
    """Return a parameter at ``rows``: itself if it is one value for every row."""
    return value if np.ndim(value) == 0 else np.asarray(value)[rows]


def _column(value: Scale) -> Scale:
    """Return a parameter as a column against (rows, nodes) arrays: itself if it is one value."""
    return value if np.ndim(value) == 0 else np.asarray(value)[:, None]


def _expected_if_alive(
    r: Scale, a: Scale, b_k: Scale, x: FloatArray, t: FloatArray, span: FloatArray
) -> FloatArray:
    r"""Return :math:`E[X(T, T+t) \mid \text{alive at } T]` after ``x`` repeat purchases.

    ``b_k`` is ``b`` plus the dropout chances a customer has before their
    first repeat purchase (0 for BG/NBD, 1 for MBG/NBD), so the posterior of
    the dropout probability is :math:`\mathrm{Beta}(a, b_k + x)`; ``span`` is
    :math:`\alpha + T`.  ``x``, ``t`` and ``span`` broadcast (1-D).

    Each row takes the power series (:func:`_power_series`) when its terms
    are few and cannot overflow, else the quadrature
    (:func:`_beta_quadrature`), whichever the cost model finds cheaper for
    the batch; rows whose series is not provably converged take the
    quadrature as well.  Both are sums of positive terms: no cancellation.
    ``r``, ``a`` and ``b_k`` are floats, or arrays (a row view's) that
    broadcast with the rows too.
    """
    per_row = bool(np.ndim(r) or np.ndim(a) or np.ndim(b_k))
    if per_row:
        x, t, span, r, a, b_k = (np.ravel(v) for v in np.broadcast_arrays(x, t, span, r, a, b_k))
    else:
        x, t, span = (np.ravel(v) for v in np.broadcast_arrays(x, t, span))
    expected = np.zeros(x.size)
    s = t / span
    # below s = 1e-150 the first term, (r + x) s, is the sum to rounding (the next,
    # -(r + x)(r + x + 1) s^2 a / (2 (a + b_k + x)), is below 1e-146 of it)
    first = s < _FIRST_TERM_ONLY
    expected[first] = (_at(r, first) + x[first]) * s[first]
    rows = np.flatnonzero(~first)
    if not rows.size:
        return expected
    x, t, span, s = x[rows], t[rows], span[rows], s[rows]
    r, a, b_k = _at(r, rows), _at(a, rows), _at(b_k, rows)
    log1p_s = np.log1p(s)
    r_x = r + x
    mu = r_x * s  # mean of the purchases if never leaving
    # the NBD's bulk and its geometric tail (ratio z = s / (1 + s)); checked after summing
    terms = np.ceil(mu + 12.0 * np.sqrt(mu * (1.0 + s)) + 45.0 / np.log1p(1.0 / s)) + 16.0
    eligible = np.flatnonzero(
        (terms <= _SERIES_MAX_TERMS) & (r_x * log1p_s <= -_LOG_SMALLEST_START)
    )
    # coefficients are shared by the rows of one x (and, for a row view, one r, a, b_k)
    keys = _coefficient_keys(x[eligible], _at(r, eligible), _at(a, eligible), _at(b_k, eligible))
    chosen = eligible[_cheaper_by_series(terms[eligible], x.size, keys[0][0].size)]
    result = np.full(x.size, np.nan)
    if chosen.size:
        z = t[chosen] / (span[chosen] + t[chosen])
        result[chosen] = _power_series(
            _at(r, chosen),
            _at(a, chosen),
            _at(b_k, chosen),
            x[chosen],
            z,
            log1p_s[chosen],
            terms[chosen],
        )
    rest = np.flatnonzero(np.isnan(result))
    for lo in range(0, rest.size, _QUADRATURE_ROWS):
        part = rest[lo : lo + _QUADRATURE_ROWS]
        result[part] = _beta_quadrature(
            r_x[part], _at(b_k, part) + x[part], _at(a, part), s[part], log1p_s[part]
        )
    expected[rows] = result
    return expected


def _discounted_if_alive(
    r: Scale, a: Scale, b_k: Scale, x: FloatArray, span: FloatArray, delta: float
) -> FloatArray:
    r"""Return :math:`E_p[h(p)]`, :math:`h(p) = \frac{k}{c} G(k+1, \frac{c}{p})`, per row.

    :math:`k = r + x`, :math:`c = \delta` ``span`` (``span`` is
    :math:`\alpha + T`) and :math:`p \sim \mathrm{Beta}(a, b_k + x)`; see
    :meth:`BetaGeo._dert`.  :math:`h(0) = k/c`, and
    :math:`1 - h(p)/h(0) = E[\tau/(1+\tau)] \le (k+1)p/c`.  ``r``, ``a``,
    ``b_k`` are floats or arrays aligned with ``x`` (a row view's).
    """
    if np.ndim(r) or np.ndim(a) or np.ndim(b_k):
        x, span, r, a, b_k = (np.ravel(v) for v in np.broadcast_arrays(x, span, r, a, b_k))
    k = r + x
    c = delta * span
    result = np.empty(x.size)
    for lo in range(0, x.size, _QUADRATURE_ROWS):  # a loop over chunks of rows
        part = slice(lo, lo + _QUADRATURE_ROWS)
        k_part, c_part = k[part], c[part]
        scale = k_part / c_part

        def kept(
            p: FloatArray, rows: IntArray, k_part: FloatArray = k_part, c_part: FloatArray = c_part
        ) -> FloatArray:
            shape = (k_part[rows][:, None] + 1.0) + 0.0 * p
            value = discount_factor(shape.ravel(), (c_part[rows][:, None] / p).ravel())
            kept_value: FloatArray = (k_part / c_part)[rows][:, None] * value.reshape(p.shape)
            return kept_value

        at_one = scale * discount_factor(k_part + 1.0, c_part)
        result[part] = _beta_mean(
            kept,
            scale,
            at_one,
            2.0 * (k_part + 1.0) / c_part,
            _at(b_k, part) + x[part],
            _at(a, part),
        )
    return result


def _cheaper_by_series(terms: FloatArray, n_rows: int, n_levels: int) -> IntArray:
    """Return the indices of ``terms`` worth summing as series: those up to the cheapest cut.

    Summing every row that needs at most ``J`` terms costs ``J`` Horner
    passes and a coefficient table of ``n_levels`` by ``J``; the other rows
    of the ``n_rows`` take the quadrature.  ``terms`` are whole numbers up
    to ``_SERIES_MAX_TERMS``, so the cuts are counted, not sorted.
    """
    counts = np.bincount(terms.astype(np.int64), minlength=_SERIES_MAX_TERMS + 1)
    longest = np.arange(counts.size, dtype=np.float64)  # cut: rows with at most this many terms
    summed = np.cumsum(counts)
    series = longest * (_COST_TERM_PASS + n_levels * _COST_TABLE_ENTRY)
    series += np.cumsum(counts * longest) * _COST_TERM
    left = n_rows - summed
    quadrature = np.where(left > 0, _COST_QUADRATURE_CALL, 0.0) + left * _COST_QUADRATURE_ROW
    costs = np.concatenate(
        ([n_rows * _COST_QUADRATURE_ROW + _COST_QUADRATURE_CALL], series + quadrature)
    )
    cut = int(np.argmin(costs)) - 1  # -1: no series at all
    return np.flatnonzero(terms <= cut).astype(np.int64)


def _levels(x: FloatArray) -> tuple[FloatArray, IntArray]:
    """Return the distinct values of whole ``x >= 0`` and each row's index into them.

    By counting when the values are small (frequencies), by sorting otherwise.
    """
    top = int(x.max()) if x.size else 0
    if top > 4 * x.size + 65_536:
        values, index = np.unique(x, return_inverse=True)
        return values, index.astype(np.int64)
    whole = x.astype(np.int64)
    present = np.bincount(whole, minlength=top + 1) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.float64), rank[whole]


def _coefficient_keys(
    x: FloatArray, r: Scale, a: Scale, b_k: Scale
) -> tuple[tuple[FloatArray, Scale, Scale, Scale], IntArray]:
    """Return the distinct (x, r, a, b_k) that own a coefficient table, and each row's index.

    With one set of parameters, the distinct ``x`` (and the parameters
    themselves); for a row view, the distinct combinations, or every row its
    own when they are about as many as the rows.
    """
    levels, level_of = _levels(x)
    if np.ndim(r) == 0 and np.ndim(a) == 0 and np.ndim(b_k) == 0:
        return (levels, r, a, b_k), level_of
    columns = [np.asarray(v, dtype=np.float64) for v in (r, a, b_k)]
    grouped = _groups(levels, level_of, columns, x.size)
    if grouped is None:
        return (x, *columns), np.arange(x.size)  # type: ignore[return-value]
    (levels, r_keys, a_keys, b_keys), key_of = grouped
    return (levels, r_keys, a_keys, b_keys), key_of


def _power_series(
    r: Scale,
    a: Scale,
    b_k: Scale,
    x: FloatArray,
    z: FloatArray,
    log1p_s: FloatArray,
    terms: FloatArray,
) -> FloatArray:
    r"""Sum :math:`E = \sum_{N \ge 1} P(N)\,S_N` by Horner's rule; NaN where not converged.

    :math:`P(N)` is the NBD probability of ``N`` purchases in the horizon
    while alive, :math:`(1-z)^{r+x} (r+x)_N z^N / N!`, and :math:`S_N =
    \sum_{n<N} m_n` with :math:`m_n = (b_k+x)_n / (a+b_k+x)_n`, the
    probability of surviving ``n`` dropout chances, so :math:`S_N` is the
    expected number of the ``N`` purchases made before leaving.  The
    coefficients depend on ``x`` only: they are built once per distinct
    ``x`` (scaled by the largest ``z`` of its rows, so they stay finite) and
    each row evaluates the polynomial in :math:`z / z_{\max}`; with a row
    view's parameters (arrays aligned with ``x``), once per distinct
    ``(x, r, a, b_k)`` (:func:`_coefficient_keys`).  After
    ``terms`` terms the omitted tail is bounded by
    :math:`P(J) [S_J \rho/(1-\rho) + m_J \rho/(1-\rho)^2]`, with
    :math:`\rho` the largest ratio of consecutive NBD probabilities beyond
    ``J``; rows whose bound exceeds ``_SERIES_TOLERANCE`` give NaN.
    """
    (levels, r_keys, a_keys, b_keys), level_of = _coefficient_keys(x, r, a, b_k)
    z_top = np.zeros(levels.size)
    np.maximum.at(z_top, level_of, z)
    longest = np.zeros(levels.size)
    np.maximum.at(longest, level_of, terms)
    result = np.full(x.size, np.nan)
    by_length = np.argsort(-longest, kind="stable")
    start = 0
    while start < levels.size:  # chunks of x values whose coefficient table fits the budget
        width = int(longest[by_length[start]])
        stop = min(levels.size, start + max(1, _TABLE_ENTRIES // width))
        chunk = by_length[start:stop]
        start = stop
        slot = np.full(levels.size, -1)
        slot[chunk] = np.arange(chunk.size)
        rows = np.flatnonzero(slot[level_of] >= 0)
        result[rows] = _horner(
            _at(r_keys, chunk),
            _at(a_keys, chunk),
            _at(b_keys, chunk),
            levels[chunk],
            z_top[chunk],
            width,
            slot[level_of[rows]],
            z[rows],
            log1p_s[rows],
            terms[rows],
        )
    return result


def _horner(
    r: Scale,
    a: Scale,
    b_k: Scale,
    levels: FloatArray,
    z_top: FloatArray,
    width: int,
    level_of: IntArray,
    z: FloatArray,
    log1p_s: FloatArray,
    terms: FloatArray,
) -> FloatArray:
    """Sum the series of :func:`_power_series` for a chunk of x values, ``width`` terms at most.

    ``r``, ``a``, ``b_k`` are floats, or arrays aligned with ``levels`` (one per table).
    """
    n = np.arange(1.0, width + 1.0)
    r_x = _column(r) + levels[:, None]
    b_x = _column(b_k) + levels[:, None]
    scaled_nbd = np.cumprod((r_x + (n - 1.0)) * (z_top[:, None] / n), axis=1)  # (r+x)_N z^N / N!
    survive = np.cumprod((b_x + (n - 1.0)) / ((b_x + _column(a)) + (n - 1.0)), axis=1)  # m_N
    before = np.empty_like(survive)  # S_N = m_0 + ... + m_{N-1}, m_0 = 1
    before[:, 0] = 1.0
    np.cumsum(survive[:, :-1], axis=1, out=before[:, 1:])
    before[:, 1:] += 1.0
    coefficients = np.ascontiguousarray((scaled_nbd * before).T)  # (terms, x values)
    # longest first, so the rows still summing lead (a radix sort: terms fit in 16 bits)
    order = np.argsort(-terms.astype(np.int16), kind="stable")
    level_sorted = level_of[order]
    ratio = z[order] / z_top[level_sorted]
    count = terms[order].astype(np.int64)
    still = np.searchsorted(-count, -np.arange(width + 1), side="right")  # rows with >= N terms
    total = np.zeros(order.size)
    for k in range(width, 0, -1):
        head = total[: still[k]]
        head *= ratio[: still[k]]
        head += coefficients[k - 1][level_sorted[: still[k]]]
    total *= ratio
    r_levels = (r + levels)[level_sorted]
    start = np.exp(-r_levels * log1p_s[order])  # P(0) = (1 - z)^(r+x)
    total *= start
    # the omitted tail beyond each row's last term J
    last = count - 1
    with np.errstate(under="ignore"):
        at_last = start * scaled_nbd[level_sorted, last] * np.exp(count * np.log(ratio))
    zz = z[order]
    rho = zz * np.maximum(1.0, (r_levels + count) / (count + 1.0))
    gap = 1.0 - rho
    safe_gap = np.where(gap > 0, gap, 1.0)
    tail = at_last * rho * (before[level_sorted, last] + survive[level_sorted, last] / safe_gap)
    tail /= safe_gap
    converged = (gap > 0) & (tail <= _SERIES_TOLERANCE * total)
    result = np.empty(order.size)
    result[order] = np.where(converged, total, np.nan)
    return result


def _kept_per_p(p: FloatArray, r_x: FloatArray, s: FloatArray) -> FloatArray:
    r"""Return :math:`g(p) = [1 - (1 + s p)^{-(r+x)}] / p`, E[purchases before leaving | p]."""
    result: FloatArray = -np.expm1(-r_x * np.log1p(s * p)) / p
    return result


def _log_beta_at_mode(a: Scale, b: FloatArray) -> FloatArray:
    r"""Return :math:`\log B(a, b) - a\log\frac{a}{a+b} - b\log\frac{b}{a+b}`.

    The log of the beta function over its integrand's peak value, from
    :func:`stirling_remainder` as
    :math:`\phi(a) + \phi(b) - \phi(a+b) + \frac12\log\frac{a+b}{ab}`: no
    difference of large log-gamma values, so it keeps every digit when
    ``b`` reaches :math:`10^4`.
    """
    result: FloatArray = (
        stirling_remainder(np.full(np.shape(b), a))
        + stirling_remainder(b)
        - stirling_remainder(a + b)
        + 0.5 * np.log((a + b) / (a * b))
    )
    return result


def _beta_shape(delta: FloatArray, p_mode: FloatArray, q_mode: FloatArray) -> FloatArray:
    r"""Return :math:`\log(q_m + p_m e^{\Delta})`, the log of :math:`(1+e^{y})/(1+e^{y_m})`.

    With :math:`\Delta = y - y_m`, the log of the beta density in the
    log-odds ``y``, relative to its value at :math:`y_m`, is
    :math:`a\Delta - (a+b)` times this; computed by ``log1p`` around
    :math:`\Delta = 0`, so the density near its mode keeps full relative
    precision whatever the size of ``a + b``.
    """
    step = p_mode * np.expm1(delta)
    far = np.log(q_mode) + np.log1p(p_mode / q_mode * np.exp(np.minimum(delta, 0.0)))
    result: FloatArray = np.where(step > -0.5, np.log1p(np.maximum(step, -0.5)), far)
    return result


def _beta_quadrature(
    r_x: FloatArray, b_x: FloatArray, a: Scale, s: FloatArray, log1p_s: FloatArray
) -> FloatArray:
    r"""Return :math:`E_p[g(p)]`, :math:`p \sim \mathrm{Beta}(a, b_x)`, g of :func:`_kept_per_p`.

    See :func:`_beta_mean`.
    """

    def kept(p: FloatArray, rows: IntArray) -> FloatArray:
        return _kept_per_p(p, r_x[rows][:, None], s[rows][:, None])

    at_one = -np.expm1(-r_x * log1p_s)  # g(1)
    return _beta_mean(kept, r_x * s, at_one, (r_x + 1.0) * s, b_x, a)


def _beta_mean(
    kept: Callable[[FloatArray, IntArray], FloatArray],
    at_zero: FloatArray,
    at_one: FloatArray,
    linear: FloatArray,
    b_x: FloatArray,
    a: Scale,
) -> FloatArray:
    r"""Return :math:`E_p[g(p)]`, :math:`p \sim \mathrm{Beta}(a, b_x)`, by quadrature.

    ``kept(p, rows)`` evaluates :math:`g` at ``p`` (shape (m, nodes)) for
    the rows ``rows`` (m,); :math:`g` is positive and non-increasing,
    ``at_zero`` and ``at_one`` are :math:`g(0)` and :math:`g(1)`, and
    :math:`1 - g(p)/g(0) \le` ``linear`` :math:`\cdot\, p / 2`; :math:`p\,g(p)`
    is non-decreasing, so :math:`\log g` falls at most at slope 1 in the
    log-odds of ``p``.  Two such functions use it: :func:`_kept_per_p`
    (``linear`` :math:`= (r+x+1)s`) and the discounted purchases of
    :func:`_discounted_if_alive`.

    The integrand in the log-odds :math:`y = \log\frac{p}{1-p}` is
    :math:`f(y) = p^a (1-p)^{b_x} g(p) / B(a, b_x)`, evaluated relative to
    the beta density's mode :math:`y_m = \log(a / b_x)` (:func:`_beta_shape`,
    :func:`_log_beta_at_mode`).

    - Tails: below :math:`p_L` (where ``linear`` :math:`\cdot\,p \le 0.1` and the
      beta density is still a power of ``p``) the integral is
      :math:`g(0)\, I_{p_L}(a, b_x)` minus the integral of
      :math:`f \cdot (g(0) - g)/g`, which decays like :math:`e^{(a+1)y}`;
      above :math:`1 - q_R` it is :math:`g(1)\, I_{q_R}(b_x, a)` plus the
      integral of :math:`f \cdot (g - g(1))/g`, decaying like
      :math:`e^{-(b_x+1)y}`.  Both corrections are summed by 32-node
      Gauss-Laguerre quadrature scaled to those rates; the incomplete beta
      functions carry the slowly decaying tails of small ``a`` or ``b_x``.
    - Between: composite 12-node Gauss-Legendre on panels at most 2 long
      both in ``y`` and in the beta's variance-stabilising scale
      :math:`2\sqrt{a+b_x}\arcsin\sqrt{p}`, so narrow betas are resolved.
      Panels are dropped where an upper bound of :math:`f / f(y_m)` stays
      below :math:`e^{-50}`: :math:`\log g` falls at most at slope 1 in
      ``y`` and never exceeds :math:`\log g(0)`.

    ``a`` is one float, or an array of each row's own (a row view's).
    """
    n = b_x.size
    a_rows = _column(a)  # against (rows, nodes) arrays
    rs = at_zero
    ab = a + b_x
    p_mode, q_mode = a / ab, b_x / ab
    log_p_mode = np.log(p_mode)
    y_mode = np.log(a / b_x)
    at_mode = -_log_beta_at_mode(a, b_x)  # log of the density's peak (in y)
    everyone = np.arange(n)
    rise = np.maximum(np.log(rs / kept(p_mode[:, None], everyone)[:, 0]), 0.0)  # log g(0)/g(p_m)
    p_low = np.minimum(np.minimum(a / (2.0 * ab), 1.0 / (ab + 1.0)), 0.1 / linear)
    q_high = np.minimum(b_x / (2.0 * ab), 1.0 / (ab + 1.0))
    low = np.log(p_low) - np.log1p(-p_low) - y_mode  # all positions as y - y_m from here on
    high = np.log1p(-q_high) - np.log(q_high) - y_mode
    peak = -rise  # where the bound below peaks
    if np.ndim(a):  # the density's own peak in p, where it has one (a > 1)
        a_row = np.asarray(a)
        rising = np.flatnonzero(a_row > 1.0)
        peak[rising] = np.maximum(
            peak[rising], np.log((a_row[rising] - 1.0) / (b_x[rising] + 1.0)) - y_mode[rising]
        )
    elif a > 1.0:
        peak = np.maximum(peak, np.log((a - 1.0) / (b_x + 1.0)) - y_mode)

    def bound(delta: FloatArray) -> FloatArray:
        """Upper bound of log f - log f(y_m), unimodal in delta."""
        spread = _beta_shape(delta, p_mode[:, None], q_mode[:, None])
        climb = np.minimum(np.maximum(-delta, 0.0), rise[:, None])
        result: FloatArray = a_rows * delta - ab[:, None] * spread + climb
        return result

    def integrand(delta: FloatArray, rows: IntArray) -> tuple[FloatArray, FloatArray]:
        """Return the beta density and ``p`` at log-odds y_m + delta (``rows`` as delta's)."""
        spread = _beta_shape(delta, p_mode[rows][:, None], q_mode[rows][:, None])
        density = np.exp(
            _at(a_rows, rows) * delta - ab[rows][:, None] * spread + at_mode[rows][:, None]
        )
        return density, np.exp(log_p_mode[rows][:, None] + delta - spread)

    # panel ends: a grid in y, a grid in the beta's scale, the mode and the bound's peak
    steps = int(np.ceil(np.max(high - low) / _PANEL)) + 1
    grid = low[:, None] + _PANEL * np.arange(steps)[None, :]
    root = np.sqrt(ab)
    reach = 2.0 * np.sqrt(2.0 * (_NEGLIGIBLE + rise)) + 5.0
    middle = 2.0 * root * np.arcsin(np.sqrt(p_mode))
    angles = int(np.ceil(np.max(2.0 * reach) / _PANEL)) + 1
    half = ((middle - reach)[:, None] + _PANEL * np.arange(angles)[None, :]) / (2.0 * root[:, None])
    scaled = 2.0 * np.log(np.tan(np.clip(half, 1e-300, np.pi / 2.0))) - y_mode[:, None]
    zero = np.zeros((n, 1))
    ends = np.concatenate([grid, scaled, zero, peak[:, None]], axis=1)
    ends = np.clip(ends, low[:, None], high[:, None])
    ends = np.sort(np.concatenate([ends, low[:, None], high[:, None]], axis=1), axis=1)
    level = bound(ends)
    lo, hi = ends[:, :-1], ends[:, 1:]
    keep = (hi > lo) & (np.maximum(level[:, :-1], level[:, 1:]) >= -_NEGLIGIBLE)
    row, col = np.nonzero(keep)
    half_width = 0.5 * (hi[row, col] - lo[row, col])
    delta = (0.5 * (hi[row, col] + lo[row, col]))[:, None] + half_width[:, None] * _GL_NODES
    density, p = integrand(delta, row)
    f = density * kept(p, row)
    total = np.bincount(row, weights=(f @ _GL_WEIGHTS) * half_width, minlength=n).astype(
        np.float64, copy=False
    )
    # the tails, where they are not negligible
    left = np.flatnonzero(bound(low[:, None])[:, 0] >= -_NEGLIGIBLE - 10.0)
    if left.size:
        rate = _at(a, left) + 1.0
        density, p = integrand(low[left][:, None] - _LAGUERRE_NODES / _column(rate), left)
        below = rs[left][:, None] - kept(p, left)
        total[left] += rs[left] * betainc(_at(a, left), b_x[left], p_low[left])
        total[left] -= ((density * below) @ _LAGUERRE_WEIGHTS_E) / rate
    right = np.flatnonzero(bound(high[:, None])[:, 0] >= -_NEGLIGIBLE - 10.0)
    if right.size:
        rate_right = b_x[right] + 1.0
        density, p = integrand(high[right][:, None] + _LAGUERRE_NODES / rate_right[:, None], right)
        above = kept(p, right) - at_one[right][:, None]
        total[right] += at_one[right] * betainc(b_x[right], _at(a, right), q_high[right])
        total[right] += ((density * above) @ _LAGUERRE_WEIGHTS_E) / rate_right
    return total


def _logistic_of_minus(log_odds: FloatArray) -> FloatArray:
    """Return 1 / (1 + exp(log_odds)) in place: odds of inf give 0, of -inf give 1."""
    with np.errstate(over="ignore"):
        np.exp(log_odds, out=log_odds)
    log_odds += 1.0
    return np.reciprocal(log_odds, out=log_odds)


def _history_terms(
    shift: float, x: FloatArray, r: FloatArray, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""Return the terms of :meth:`BetaGeo._row_scores` that depend on ``(x, r, a, b)`` only.

    With ``k = x + shift`` dropout chances: the log-likelihood's
    :math:`\log\frac{\Gamma(r+x)}{\Gamma(r)} + \log\frac{B(a, b+k)}{B(a, b)}`, the
    prior log-odds :math:`\log\frac{a}{b+k-1}` of having dropped out
    (:math:`-\infty` at ``k = 0``), :math:`\psi(r+x) - \psi(r)`,
    :math:`a[\psi(a+b+k) - \psi(a+b)]`,
    :math:`b[\psi(b+k) - \psi(b) - \psi(a+b+k) + \psi(a+b)]` and
    :math:`\frac{b}{b+k-1}` (1 at ``k = 0``, where its factor is 0).
    """
    k = x + shift
    safe_k = np.where(k > 0, k, 1.0)
    r_x, b_k, ab = r + x, b + k, a + b
    chance = b + (safe_k - 1.0)
    with np.errstate(divide="ignore"):
        prior_odds = np.where(k > 0, np.log(a / chance), -np.inf)
    counts = gammaln(r_x) - gammaln(r) + (betaln(a, b_k) - betaln(a, b))
    psi_ab = digamma(ab + k) - digamma(ab)
    psi_b = digamma(b_k) - digamma(b)
    return (
        counts,
        prior_odds,
        digamma(r_x) - digamma(r),
        a * psi_ab,
        b * (psi_b - psi_ab),
        b / chance,
    )


def _likelihood_terms(
    shift: float, x: FloatArray, r: FloatArray, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Return :func:`_log_likelihood`'s terms of ``(x, r, a, b)``, as it computes them.

    :math:`\log\Gamma(r+x) - \log\Gamma(r)`, :math:`\log B(a, b+k) - \log B(a, b)` and
    :math:`\log\frac{a}{b+k-1}` (any finite value at ``k = 0``, where it is not used),
    with ``k = x + shift``.
    """
    k = x + shift
    safe_k = np.where(k > 0, k, 1.0)
    return (
        gammaln(r + x) - gammaln(r),
        betaln(a, b + k) - betaln(a, b),
        np.log(a / (b + safe_k - 1.0)),
    )


_SAMPLE = 4096  # rows sampled to tell few distinct parameter values from many


def _tabulated(
    function: Callable[..., tuple[FloatArray, ...]],
    levels: FloatArray,
    level_of: IntArray,
    *params: FloatArray,
) -> tuple[FloatArray, ...]:
    """Evaluate an elementwise ``function(counts, *params)`` per row, once per distinct row.

    ``levels[level_of]`` are the rows' counts.  When the rows hold at most a
    quarter as many distinct ``(count, *params)`` combinations as rows (a
    covariate fit: a few cells of parameters, a few counts), ``function``
    runs once per combination and its values are gathered; otherwise per
    row.  The values are the same either way (the function is elementwise).
    """
    if level_of.size > _FEW_ROWS:
        grouped = _groups(levels, level_of, params, level_of.size // 4)
        if grouped is not None:
            values, group_of = grouped
            return tuple(value[group_of] for value in function(*values))
    return function(levels[level_of], *params)


# a column coded for grouping: (each row's code or None where constant, the value of each code)
_Coded = tuple[IntArray | None, FloatArray]


def _value_codes(column: FloatArray, limit: int) -> _Coded | None:
    """Code a float column by hashing its values (pyarrow's dictionary encoding).

    None when it has more than ``limit`` distinct values, or when a sample
    of ``_SAMPLE`` rows already shows more than half that many (then hashing
    would not pay: the column has about as many distinct values as rows).
    """
    if column.size == 0 or column.min() == column.max():
        return None, column[:1]
    if limit < 2:
        return None
    if column.size > 4 * _SAMPLE:
        sample = column[:: column.size // _SAMPLE]
        if np.unique(sample).size > min(limit, _SAMPLE // 2):
            return None
    encoded = pc.dictionary_encode(pa.array(column))
    values: FloatArray = encoded.dictionary.to_numpy(zero_copy_only=False)
    if values.size > limit:
        return None
    codes: IntArray = encoded.indices.to_numpy(zero_copy_only=False)
    return codes, values


def _groups(
    levels: FloatArray, level_of: IntArray, columns: Sequence[FloatArray], limit: int
) -> tuple[list[FloatArray], IntArray] | None:
    """Return the distinct rows of ``(levels[level_of], *columns)`` and each row's index.

    The distinct rows come as one array per column.  The codes (counting
    for the whole-valued levels, hashing for the float columns) are packed
    into one integer key in mixed radix, ranked by counting when the key
    space is small and by sorting otherwise, and the distinct keys decoded
    back into values.  None when there are more than ``limit`` distinct rows.
    """
    parts: list[_Coded] = [(level_of, levels)]
    for column in columns:
        coded = _value_codes(column, limit)
        if coded is None:
            return None
        parts.append(coded)
    if np.prod([float(values.size) for _, values in parts]) >= 2.0**62:
        return None  # too many combinations to pack (far more than ``limit`` in practice)
    key: IntArray | None = None
    space = 1
    strides = []
    for codes, values in parts:
        strides.append(space)
        if codes is not None:
            key = codes.astype(np.int64, copy=False) if key is None else key + codes * space
        space *= values.size
    assert key is not None  # the levels' codes are never None
    if space <= 4 * key.size + 65_536:
        present = np.zeros(space, dtype=bool)
        present[key] = True
        distinct = np.flatnonzero(present)
        if distinct.size > limit:
            return None
        group_of: IntArray = (np.cumsum(present, dtype=np.int64) - 1)[key]
    else:
        distinct, inverse = np.unique(key, return_inverse=True)
        if distinct.size > limit:
            return None
        group_of = inverse.reshape(-1).astype(np.int64, copy=False)
    decoded = [
        values[(distinct // stride) % values.size]
        for (_, values), stride in zip(parts, strides, strict=True)
    ]
    return decoded, group_of


def _distinct_rows(
    x: FloatArray, columns: Sequence[FloatArray], limit: int
) -> tuple[list[FloatArray], IntArray] | None:
    """Return the distinct rows of ``(x, *columns)`` (one array each) and each row's index.

    ``x`` holds whole numbers (coded by counting), ``columns`` floats (by
    hashing).  None when there are more than ``limit`` distinct rows.
    """
    levels, level_of = _levels(x)
    return _groups(levels, level_of, columns, limit)


def _distinct_pairs(x: FloatArray, T: FloatArray) -> tuple[tuple[FloatArray, FloatArray], IntArray]:
    """Return the distinct (x, T) pairs and each row's index into them, in (x, T) order.

    One sort, of ``T``: the whole frequencies are coded by counting
    (:func:`_levels`) and the pair codes, ``x``'s times the number of
    distinct ``T`` plus ``T``'s, are ranked by counting too when that table
    is small (a few distinct ``x`` by a few thousand ``T``), else sorted.
    """
    levels, x_of = _levels(x)
    ages, T_of = np.unique(T, return_inverse=True)
    key = x_of * ages.size + T_of.reshape(-1)
    combinations = levels.size * ages.size
    if combinations <= 4 * x.size + 65_536:
        present = np.zeros(combinations, dtype=bool)
        present[key] = True
        codes = np.flatnonzero(present)
        row_of: IntArray = (np.cumsum(present, dtype=np.int64) - 1)[key]
    else:
        codes, inverse = np.unique(key, return_inverse=True)
        row_of = inverse.reshape(-1).astype(np.int64, copy=False)
    return (levels[codes // ages.size], ages[codes % ages.size]), row_of


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

    def reweighted(self, weights: FloatArray) -> _Histories:
        """Return the same rows with ``weights`` (no new sort)."""
        weighted_x = np.bincount(self.x_of, weights=weights, minlength=self.x.size)
        return attrs.evolve(self, weights=weights, weighted_x=weighted_x.astype(np.float64))

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
) -> FloatArray:
    r"""Per-row log-likelihood, exact to rounding also for short histories.

    The fit uses the factored total of :class:`_Histories` and its gradient;
    this form is for :meth:`BetaGeo.customer_log_likelihood`, where each
    row's own relative precision matters.

    ``shift`` is 0 for BG/NBD and 1 for MBG/NBD, whose customers have one
    more chance to drop out (at time 0): ``k = x + shift`` opportunities.
    The value is summed as

    .. math::

        \ell = \log\frac{\Gamma(r+x)}{\Gamma(r)} - r\log\Big(1 + \frac{T}{\alpha}\Big)
        - x\log(\alpha+T) + \log\frac{B(a, b+k)}{B(a, b)}
        + \delta_{k>0}\log\Big[1 + \frac{a}{b+k-1}
        \Big(\frac{\alpha+T}{\alpha+t_x}\Big)^{r+x}\Big],

    whose terms vanish one by one as ``x`` and ``T`` go to 0, so the
    log-likelihood of a short history keeps its relative precision; MBG/NBD
    customers without repeat purchases use
    :math:`\log[1 - \frac{b}{a+b}(1 - (1 + T/\alpha)^{-r})]`.  ``theta``
    is (r, alpha, a, b), shape (4,), or shape (4, n): each row's own.
    """
    k = x + shift
    log_T = np.log(theta[1] + T)
    stay = np.log1p(T / theta[1])  # -log P(no purchase in T | alive), per unit of r
    if theta.ndim == 1:
        r, alpha, a, b = (float(v) for v in theta)
        safe_k = np.where(k > 0, k, 1.0)  # the second term needs a chance to have dropped out
        value = (
            gammaln(r + x) - gammaln(r) - r * stay - x * log_T + (betaln(a, b + k) - betaln(a, b))
        )
        prior_odds = np.log(a / (b + safe_k - 1.0))
    else:  # per-row parameters: the terms of (x, r, a, b) once per distinct combination
        r, alpha, a, b = theta
        levels, level_of = _levels(x)
        rising, beta_ratio, prior_odds = _tabulated(
            partial(_likelihood_terms, float(shift)), levels, level_of, r, a, b
        )
        value = rising - r * stay - x * log_T + beta_ratio  # the same operations, in order
    odds = prior_odds + (r + x) * np.log1p((T - t_x) / (alpha + t_x))
    value += np.where(k > 0, np.logaddexp(0.0, odds), 0.0)  # log(1 + P(left) / P(stayed))
    if shift:
        once = x == 0  # log[(b + a (1 + T/alpha)^r) / (a + b)] without cancellation
        b_once = _at(b, once)
        value[once] = np.log1p(
            b_once / (_at(a, once) + b_once) * np.expm1(-_at(r, once) * stay[once])
        )
    result: FloatArray = value
    return result
