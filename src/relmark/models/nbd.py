"""NBD model: Poisson purchasing with gamma heterogeneity and no dropout (Ehrenberg 1959)."""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
from scipy.special import digamma, gammaln, xlogy

from relmark._validation import FloatArray, IntArray
from relmark.data.summary import CustomerSummary
from relmark.models._base import ContinuousPurchaseModel, Parameter, uniform_event_times
from relmark.models._fitting import FitInfo, NegLogLikelihood
from relmark.models._residual import DiscountedResidualTransactions
from relmark.models._special import log_beta, log_gamma_ratio

__all__ = ["NBD"]


@attrs.frozen
class _Exposures:
    r"""What the NBD likelihood needs from the fit's rows, summed once.

    The log-likelihood depends on the parameters through :math:`\log\Gamma(r+x)`
    (one value per distinct ``x``) and through :math:`\log(\alpha+T)` (one per
    distinct ``T``), so each step costs one evaluation per distinct value,
    whatever the number of customers; the totals are exact (the same sums,
    reordered).
    """

    x: FloatArray  # distinct frequencies
    weight_of_x: FloatArray  # total weight per distinct frequency
    T: FloatArray  # distinct observation lengths
    weight_of_T: FloatArray  # total weight per distinct T
    purchases_of_T: FloatArray  # total weighted frequency per distinct T
    total_weight: float

    @classmethod
    def of(cls, rows: CustomerSummary) -> _Exposures:
        x, x_of = np.unique(rows.frequency, return_inverse=True)
        T, T_of = np.unique(rows.T, return_inverse=True)
        w = rows.weights
        return cls(
            x=x,
            weight_of_x=np.bincount(x_of.reshape(-1), weights=w, minlength=x.size).astype(
                np.float64
            ),
            T=T,
            weight_of_T=np.bincount(T_of.reshape(-1), weights=w, minlength=T.size).astype(
                np.float64
            ),
            purchases_of_T=np.bincount(
                T_of.reshape(-1), weights=w * rows.frequency, minlength=T.size
            ).astype(np.float64),
            total_weight=float(w.sum()),
        )

    def neg_log_likelihood(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Weighted negative log-likelihood and its exact gradient w.r.t. (r, alpha)."""
        r, alpha = (float(v) for v in theta)
        stay = np.log1p(self.T / alpha)  # -log P(no purchase in T), per unit of r
        log_span = np.log(alpha + self.T)
        value = (
            float(self.weight_of_x @ (gammaln(r + self.x) - gammaln(r)))
            - r * float(self.weight_of_T @ stay)
            - float(self.purchases_of_T @ log_span)
        )
        d_r = float(self.weight_of_x @ (digamma(r + self.x) - digamma(r))) - float(
            self.weight_of_T @ stay
        )
        # d/d alpha of r log(alpha) - (r + x) log(alpha + T), summed over the rows
        d_alpha = r * self.total_weight / alpha - float(
            (r * self.weight_of_T + self.purchases_of_T) @ (1.0 / (alpha + self.T))
        )
        return -value, -np.array([d_r, d_alpha])


@attrs.frozen(kw_only=True, repr=False)
class NBD(ContinuousPurchaseModel, DiscountedResidualTransactions):
    r"""NBD model: Poisson purchasing with gamma-distributed rates, and nobody ever leaves.

    Each customer buys at the times of a Poisson process with rate
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` for ever: the counts over
    any period are negative binomial.  It is the limit of BG/NBD and MBG/NBD
    as the dropout probability vanishes (``a`` to 0 or ``b`` to infinity),
    and of Pareto/NBD as the dropout rate does (``s`` to 0 or ``beta`` to
    infinity): the model :func:`relmark.score` falls back on, with
    ``unidentified="limit"``, when a file shows no sign of anybody leaving.
    ``alpha`` is in the time unit of the data.

    Parameters
    ----------
    r, alpha : float
        Shape and rate of the gamma distribution of purchase rates, > 0.
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
    A customer with ``x`` repeat purchases observed for ``T`` since the first
    has likelihood (the purchase times' density, as in BG/NBD and Pareto/NBD,
    so that log-likelihoods compare across the three)

    .. math::

        L(r, \alpha \mid x, T) = \int_0^\infty \lambda^x e^{-\lambda T}\,
        \mathrm{Gamma}(\lambda; r, \alpha)\,d\lambda
        = \frac{\Gamma(r+x)}{\Gamma(r)}\frac{\alpha^r}{(\alpha+T)^{r+x}};

    it does not depend on ``t_x``.  The posterior of :math:`\lambda` is
    :math:`\mathrm{Gamma}(r+x, \alpha+T)`, so

    .. math::

        P(\text{alive}) = 1,\qquad
        E[X(T, T+t) \mid x, T] = \frac{r+x}{\alpha+T}\,t,\qquad
        E[X(t)] = \frac{r}{\alpha}\,t,

    .. math::

        P(X(t) = n) = \frac{\Gamma(r+n)}{\Gamma(r)\,n!}
        \Big(\frac{\alpha}{\alpha+t}\Big)^r \Big(\frac{t}{\alpha+t}\Big)^n.

    The log-likelihood is evaluated as
    :math:`\log\frac{\Gamma(r+x)}{\Gamma(r)} - r\log(1 + T/\alpha) - x\log(\alpha+T)`,
    the gamma ratio by :func:`~relmark.models._special.log_gamma_ratio`, so
    that it keeps its digits for large ``r`` and ``x`` and for short histories.

    References
    ----------
    Ehrenberg, A. S. C. (1959). The pattern of consumer purchases. *Journal of
    the Royal Statistical Society, Series C*, 8(1), 26-41.

    Morrison, D. G. & Schmittlein, D. C. (1988). Generalizing the NBD model
    for customer purchases: what are the implications and is it worth the
    effort? *Journal of Business & Economic Statistics*, 6(2), 145-159.

    Examples
    --------
    >>> import relmark
    >>> model = relmark.models.NBD(r=0.5, alpha=10.0)
    >>> s = relmark.CustomerSummary.from_arrays([0, 4], [0.0, 30.0], [39.0, 39.0])
    >>> model.expected_purchases(s, 52.0).round(3).tolist()   # (r + x) / (alpha + T) * t
    [0.531, 4.776]
    >>> model.probability_alive(s).tolist()
    [1.0, 1.0]
    >>> fitted = relmark.models.NBD.fit(model.simulate(5000, 39.0, rng=1))
    >>> {name: round(value, 2) for name, value in fitted.params.items()}
    {'r': 0.5, 'alpha': 9.9}
    """

    r: float
    alpha: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)

    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("r"),
        Parameter("alpha", scale="time"),
    )

    @classmethod
    def _objective(cls, rows: CustomerSummary) -> NegLogLikelihood:
        r"""Return minus the weighted log-likelihood of the fit's rows and its exact gradient.

        Notes
        -----
        .. math::

            \partial_r \ell = \psi(r+x) - \psi(r) - \log(1 + T/\alpha),\qquad
            \partial_\alpha \ell = \frac{r}{\alpha} - \frac{r+x}{\alpha+T}.
        """
        return _Exposures.of(rows).neg_log_likelihood

    def _log_likelihood_rows(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """Return the log-likelihood of each checked history (unweighted; ``t_x`` unused).

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([0, 2], [0.0, 30.0], [39.0, 39.0])
        >>> relmark.models.NBD(r=0.5, alpha=10.0).customer_log_likelihood(s).round(4).tolist()
        [-0.7946, -8.8659]
        """
        ll: FloatArray = (
            log_gamma_ratio(self.r, x)
            - self.r * np.log1p(T / self.alpha)
            - xlogy(x, self.alpha + T)
        )
        return ll

    def _alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        """P(alive) = 1: nobody leaves."""
        return np.ones(x.size)

    def _expected(self, x: FloatArray, t_x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        r"""E[X(T, T+t) | x, T] = (r + x) t / (alpha + T), the posterior mean rate times ``t``."""
        expected: FloatArray = (self.r + x) / (self.alpha + T) * t
        return expected

    def _dert(self, x: FloatArray, t_x: FloatArray, T: FloatArray, delta: float) -> FloatArray:
        r"""DERT = :math:`(r+x) / ((\alpha+T)\,\delta)`: the posterior mean rate, discounted.

        The limit of BG/NBD's and Pareto/NBD's DERT as dropout vanishes
        (``t_x`` unused): :math:`E[\int_0^\infty \lambda e^{-\delta u}du] = E[\lambda]/\delta`.
        """
        value: FloatArray = (self.r + x) / ((self.alpha + T) * delta)
        return value

    def _expected_new(self, t: FloatArray) -> FloatArray:
        """E[X(t)] = r t / alpha for a new customer."""
        expected: FloatArray = self.r / self.alpha * t
        return expected

    def _pmf(self, count: FloatArray, horizon: FloatArray) -> FloatArray:
        """P(X(t) = n) for a new customer: the negative binomial (class Notes)."""
        # Gamma(r + n) / (Gamma(r) n!) = 1 / (n B(r, n)) for n > 0, exact to rounding by log_beta
        # where gammaln(n + 1) alone would carry an absolute error of 1e-11 at n = 10^4
        buys = count > 0
        safe = np.where(buys, count, 1.0)
        log_p = np.where(buys, -np.log(safe) - log_beta(self.r, safe), 0.0)
        with np.errstate(divide="ignore"):  # t = 0: log(t / (alpha + t)) = -inf, P = [n = 0]
            log_share = -np.log1p(self.alpha / horizon)  # log(t / (alpha + t)), exact near 1
        log_p += np.where(buys, safe * log_share, 0.0)
        log_p -= self.r * np.log1p(horizon / self.alpha)
        probability: FloatArray = np.exp(log_p)
        return probability

    def _mean_rate(self) -> float:
        return self.r / self.alpha

    def _rates(self, count: int, generator: np.random.Generator) -> FloatArray:
        rates: FloatArray = generator.gamma(self.r, 1.0 / self.alpha, size=count)
        return rates

    def _draw_times(
        self, ages: FloatArray, generator: np.random.Generator
    ) -> tuple[IntArray, FloatArray]:
        r"""Draw every repeat purchase (customer, time since the first) of customers aged ``ages``.

        Notes
        -----
        Each customer draws :math:`\lambda`, then
        :math:`N \sim \mathrm{Poisson}(\lambda T)` purchases uniform in :math:`(0, T]`.
        """
        events = generator.poisson(self._rates(ages.size, generator) * ages)
        return uniform_event_times(events, ages, generator)

    def _draw(
        self, ages: FloatArray, generator: np.random.Generator
    ) -> tuple[FloatArray, FloatArray]:
        r"""Draw (x, t_x) for customers observed for ``ages``.

        Notes
        -----
        :math:`x \sim \mathrm{Poisson}(\lambda T)`; the last of ``x`` uniform
        times is :math:`T \cdot \mathrm{Beta}(x, 1)`.
        """
        x = generator.poisson(self._rates(ages.size, generator) * ages).astype(np.float64)
        repeat = x > 0
        recency = np.zeros(ages.size)
        recency[repeat] = ages[repeat] * generator.beta(x[repeat], 1.0)
        return x, recency
