r"""Discounted expected residual transactions (DERT): the method, its contract, its function.

Every purchase model with a closed form or an exact one-dimensional form for
DERT (BG/NBD, MBG/NBD, Pareto/NBD and their no-dropout limit, NBD) mixes in
:class:`DiscountedResidualTransactions`, which checks the inputs once and calls
the model's kernel ``_dert(x, t_x, T, delta)``.

The one special function both forms need is :func:`discount_factor`,

.. math::

    G(m, w) = E\Big[\frac{1}{1 + \tau}\Big],\quad \tau \sim \mathrm{Gamma}(m, \text{rate } w),
    \qquad G(m, w) = w\,e^{w} E_m(w) = w^m\,U(m, m, w),

with :math:`E_m` the generalised exponential integral and :math:`U` the
confluent hypergeometric function of the second kind.  With a rate
:math:`\mu \sim \mathrm{Gamma}(m, \beta)` and continuous discounting at
:math:`\delta`, :math:`E[1/(\delta + \mu)] = G(m, \delta\beta)/\delta`: the
present value of a stream that stops at rate :math:`\mu`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from scipy.special import gamma, gammaincc, zeta
from typing_extensions import Self

from relmark._validation import FloatArray, as_scalar
from relmark.data.summary import CustomerSummary
from relmark.models._base import history

__all__ = ["DiscountedResidualTransactions", "ResidualTransactionModel", "discount_factor"]

_EULER = 0.57721566490153286061
_CF_MAX_STEPS = 400  # the continued fraction needs at most about 110 where it is used
_CF_TOLERANCE = 2e-16
# log Gamma(1 + a) = -gamma a + sum_k (-1)^k zeta(k) a^k / k, |a| <= 1/2: 60 terms reach 1e-18
_LOG_GAMMA_1P = np.array([0.0, -_EULER] + [(-1.0) ** k * float(zeta(k)) / k for k in range(2, 62)])
_SERIES_TERMS = 30  # terms of the incomplete gamma's power series, w < 1: below 1e-32


def discount_factor(m: FloatArray, w: FloatArray) -> FloatArray:
    r"""Return :math:`G(m, w) = E[1/(1+\tau)]`, :math:`\tau \sim \mathrm{Gamma}(m, \text{rate } w)`.

    ``m`` and ``w`` are positive and broadcast (1-D).  :math:`G` lies in
    (0, 1); :math:`G \approx w/(w + m)` when either is large.

    Notes
    -----
    :math:`G(m, w) = w e^{w} E_m(w) = w^m e^{w}\Gamma(1-m, w)`, evaluated as:

    - where :math:`w \ge 1` or :math:`m \ge 20`: the continued fraction of the
      upper incomplete gamma function,
      :math:`G = w / (w + m - \frac{1\cdot m}{w + m + 2 - \frac{2(m+1)}{w + m + 4 - \cdots}})`,
      by the modified Lentz method (at most about 110 steps there);
    - elsewhere (:math:`w < 1`, :math:`m < 20`): at :math:`m_0 = m - N`,
      :math:`m_0 \in (0, 3/2]`, :math:`\Gamma(a, w)` with :math:`a = 1 - m_0`
      from the power series of the lower function with the pole at
      :math:`a = 0` cancelled analytically,
      :math:`\Gamma(a, w) = \frac{\Gamma(1+a) - 1}{a} - \frac{w^a - 1}{a}
      - w^a \sum_{n \ge 1} \frac{(-w)^n}{n!\,(a+n)}` (the first fraction from
      the Taylor series of :math:`\log\Gamma(1+a)`), or from
      ``gammaincc`` when :math:`a \ge 1/2`; then the :math:`N \le 19` steps
      of :math:`G(m+1, w) = w\,(1 - G(m, w))/m`, which shrink errors by
      :math:`w/m < 1` once :math:`m \ge 1`.

    Against mpmath at 30 digits (``w * e^w * expint(m, w)``) on 108 points
    with :math:`m \in [10^{-3}, 320]`, :math:`w \in [10^{-6}, 10^6]` and
    both sides of each switch, the largest relative error measured is 3e-15
    (``tests/models/test_dert.py`` asserts 1e-13); larger ``m`` take the
    continued fraction, which converges faster as ``m`` grows.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.models._residual import discount_factor
    >>> discount_factor(np.array([1.0, 50.0]), np.array([2.0, 0.1])).round(6).tolist()
    [0.722657, 0.002037]
    """
    m, w = (np.ravel(v).astype(np.float64) for v in np.broadcast_arrays(m, w))
    result = np.empty(m.size)
    fraction = (w >= 1.0) | (m >= 20.0)
    if fraction.any():
        result[fraction] = _continued_fraction(m[fraction], w[fraction])
    rest = ~fraction
    if rest.any():
        result[rest] = _by_recurrence(m[rest], w[rest])
    return result


def _continued_fraction(m: FloatArray, w: FloatArray) -> FloatArray:
    """G(m, w) by the modified Lentz method (rows where it converges fast: w >= 1 or m >= 20)."""
    tiny = 1e-300
    b = w + m
    value = b.copy()
    c = b.copy()
    d = np.zeros(m.size)
    active = np.arange(m.size)
    for j in range(1, _CF_MAX_STEPS):  # a loop over the fraction's terms, not over rows
        a_j = -j * (m[active] + (j - 1.0))
        b_j = b[active] + 2.0 * j
        dd = b_j + a_j * d[active]
        dd = np.where(dd == 0.0, tiny, dd)
        dd = 1.0 / dd
        cc = b_j + a_j / c[active]
        cc = np.where(cc == 0.0, tiny, cc)
        step = cc * dd
        value[active] *= step
        c[active], d[active] = cc, dd
        active = active[np.abs(step - 1.0) > _CF_TOLERANCE]
        if not active.size:
            break
    result: FloatArray = w / value
    return result


def _by_recurrence(m: FloatArray, w: FloatArray) -> FloatArray:
    """G(m, w) for w < 1, m < 20: the incomplete gamma at m0 in (0, 3/2], then G's recurrence."""
    steps = np.maximum(np.ceil(m - 1.5), 0.0)
    m0 = m - steps
    value = w**m0 * np.exp(w) * _upper_gamma(1.0 - m0, w)
    order = m0.copy()
    for j in range(int(steps.max(initial=0.0))):  # at most 19 steps, over all rows at once
        going = steps > j
        value = np.where(going, w * (1.0 - value) / order, value)
        order = np.where(going, order + 1.0, order)
    return value


def _upper_gamma(a: FloatArray, w: FloatArray) -> FloatArray:
    r"""Return :math:`\Gamma(a, w)` for :math:`a \in [-1/2, 1)`, :math:`0 < w < 1`."""
    result = np.empty(a.size)
    plain = a >= 0.5
    if plain.any():
        result[plain] = gamma(a[plain]) * gammaincc(a[plain], w[plain])
    near = ~plain
    if near.any():
        b, z = a[near], w[near]
        log_gamma_1p = np.polynomial.polynomial.polyval(b, _LOG_GAMMA_1P)
        safe = np.where(b == 0.0, 1.0, b)
        log_z = np.log(z)
        first = np.where(b == 0.0, -_EULER, np.expm1(log_gamma_1p) / safe)  # (G(1+a) - 1) / a
        second = np.where(b == 0.0, log_z, np.expm1(b * log_z) / safe)  # (w^a - 1) / a
        n = np.arange(1.0, _SERIES_TERMS + 1.0)
        factorial = np.cumprod(n)
        terms = (-z[:, None]) ** n / (factorial * (b[:, None] + n))
        result[near] = first - second - np.exp(b * log_z) * terms.sum(axis=1)
    return result


@runtime_checkable
class ResidualTransactionModel(Protocol):
    """A purchase model that values each customer's future purchases with continuous discounting.

    Examples
    --------
    >>> import relmark
    >>> from relmark.models._residual import ResidualTransactionModel
    >>> isinstance(relmark.ParetoNBD(r=0.55, alpha=10.58, s=0.61, beta=11.67),
    ...            ResidualTransactionModel)
    True
    """

    def discounted_expected_residual_transactions(
        self, summary: CustomerSummary, discount_rate: float
    ) -> FloatArray:
        """Return each customer's discounted expected residual transactions."""
        ...


class DiscountedResidualTransactions:
    """Mixin: ``discounted_expected_residual_transactions``, checked once, over ``_dert``."""

    def _dert(self, x: FloatArray, t_x: FloatArray, T: FloatArray, delta: float) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def _at(self, summary: CustomerSummary) -> Self:
        """Return the model for ``summary``'s rows (SummaryModel's, the class it is mixed into)."""
        raise NotImplementedError  # pragma: no cover

    def discounted_expected_residual_transactions(
        self, summary: CustomerSummary, discount_rate: float
    ) -> FloatArray:
        r"""Return each customer's discounted expected residual transactions (DERT).

        The present value, at the end of observation ``T``, of every future
        purchase, each discounted continuously at ``discount_rate`` per unit
        of the summary's time: :math:`\mathrm{DERT} = E[\int_T^\infty
        e^{-\delta(t - T)}\,dX(t) \mid x, t_x, T]`.  Times residual spend and
        margin it is the customer's residual lifetime value
        (:func:`relmark.residual_lifetime_value`).

        Parameters
        ----------
        summary : CustomerSummary
            The customers, in the model's time unit.
        discount_rate : float
            Continuous discount rate :math:`\delta` per unit of time (> 0,
            finite): an annual rate ``d`` on weekly data is
            ``log(1 + d) / 52``.

        Returns
        -------
        ndarray, shape (n,)
            In purchases; >= 0, decreasing in ``discount_rate``.

        Raises
        ------
        TypeError
            If ``summary`` is not a CustomerSummary or ``discount_rate`` is
            not a real number.
        ValidationError
            If ``discount_rate`` is not a positive finite number.

        Notes
        -----
        A customer alive at ``T`` with purchase rate :math:`\lambda` who
        stops at rate :math:`\mu` (Pareto/NBD) is worth
        :math:`\lambda/(\delta + \mu)`; one who drops out with probability
        :math:`p` after each purchase (BG/NBD) :math:`\lambda/(\delta + p\lambda)`
        (the sum over purchases :math:`n` of
        :math:`(\frac{\lambda}{\lambda+\delta})^n (1-p)^{n-1}`).  Averaged over
        the posterior of the rates given alive, times P(alive), with
        :math:`k = r + x`, :math:`G` of :func:`discount_factor`:

        .. math::

            \text{Pareto/NBD:}\quad \mathrm{DERT} = \frac{k}{\alpha+T}\,
            \frac{G(s, \delta(\beta+T))}{\delta}\,P(\text{alive})
            = \frac{\alpha^r\beta^s\delta^{s-1}\Gamma(r+x+1)\,U(s, s; \delta(\beta+T))}
            {\Gamma(r)(\alpha+T)^{r+x+1} L(r, \alpha, s, \beta \mid x, t_x, T)},

        the second form eq. 2 of Fader, Hardie & Lee (2005);

        .. math::

            \text{BG/NBD:}\quad \mathrm{DERT} = \frac{k}{(\alpha+T)\delta}\,
            E_p\Big[G\Big(k + 1, \frac{\delta(\alpha+T)}{p}\Big)\Big]\,P(\text{alive}),
            \quad p \sim \mathrm{Beta}(a, b + x)

        (the purchase rate integrated in closed form over its posterior
        :math:`\mathrm{Gamma}(k, \alpha+T)`, the dropout probability by
        quadrature in its log-odds, as for the expected purchases); MBG/NBD
        has :math:`\mathrm{Beta}(a, b + x + 1)`; NBD, which nobody leaves,
        :math:`k / ((\alpha+T)\delta)`.  No closed form for BG/NBD has been
        published (CLVTools issue 5 leaves it open); this one-dimensional
        form agrees with a 30-digit mpmath double integral to 1e-12.

        References
        ----------
        Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using
        iso-value curves for customer base analysis. *Journal of Marketing
        Research*, 42(4), 415-430 (eq. 2).

        Examples
        --------
        >>> import numpy as np
        >>> import relmark
        >>> model = relmark.ParetoNBD(r=0.5533, alpha=10.5776, s=0.6061, beta=11.6650)
        >>> s = relmark.CustomerSummary.from_arrays([0, 2], [0.0, 30.43], [38.86, 38.86])
        >>> dert = model.discounted_expected_residual_transactions(s, np.log(1.15) / 52)
        >>> dert.round(3).tolist()
        [0.478, 6.501]
        """
        x, t_x, T = history(summary)
        delta = as_scalar("discount_rate", discount_rate, low=0.0, low_open=True)
        return self._at(summary)._dert(x, t_x, T, delta)
