"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie 2013)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    FloatArray,
    IntArray,
    as_count,
    as_float_array,
    as_rng,
    check_whole,
    fail_rows,
    readonly,
)
from relmark.data.summary import CustomerSummary
from relmark.exceptions import ValidationError
from relmark.models._base import Parameter, SummaryModel
from relmark.models._covariates import NO_EFFECTS, Effects, Link
from relmark.models._fitting import FitInfo, NegLogLikelihood
from relmark.models._special import log_beta

__all__ = ["GammaGamma"]


def _spend_rows(
    summary: CustomerSummary, *, repeat_only: bool, positive: bool = True
) -> tuple[FloatArray, FloatArray]:
    """Return (frequency, monetary_value) checked for the Gamma-Gamma model.

    The likelihood needs positive spend from repeat buyers; predictions
    accept zero (the conditional mean then shrinks towards the population).
    """
    if not isinstance(summary, CustomerSummary):
        raise TypeError(f"`summary` must be a CustomerSummary, got {type(summary).__name__}")
    if summary.monetary_value is None:
        raise ValidationError(
            "`summary.monetary_value` is missing; the Gamma-Gamma model needs each customer's "
            "mean spend per repeat transaction"
        )
    x, m = summary.frequency, summary.monetary_value
    bad = (x > 0) & (m <= 0) if positive else np.zeros(x.shape, dtype=bool)
    fail_rows(
        "monetary_value",
        "must be > 0 where `frequency` > 0",
        bad,
        m,
        noun="customers",
    )
    if repeat_only:
        fail_rows("frequency", "must be > 0 here", x <= 0, noun="customers")
    return x, m


def _describe_spend(x: FloatArray, m: FloatArray, w: FloatArray) -> str:
    """Say what in the repeat buyers' spend can leave the parameters unidentified."""
    buyers = float(w.sum())
    if buyers == 1:
        return "only one customer made a repeat purchase, so spend cannot vary across customers"
    causes = []
    if np.all(m == m[0]):
        causes.append(f"every repeat buyer spent the same mean amount ({m[0]:,.6g})")
    if buyers < 6:
        causes.append(f"only {buyers:,.0f} customers made a repeat purchase")
    return "; ".join(causes)


def _frequency_table(x: FloatArray) -> tuple[FloatArray, IntArray] | None:
    """Return ``(1 .. max(x), each row's index into it)`` where a table beats per-row work.

    Frequencies are counts, so a function of the frequency alone can be
    evaluated once per whole value up to ``max(x)`` (when that is no longer
    than the rows) and looked up; None where the rows are few or not whole.
    """
    top = float(np.max(x, initial=0.0))
    if x.size > 64 and top <= x.size and bool(np.all(x == np.floor(x))):
        return np.arange(1.0, top + 1.0), x.astype(np.intp) - 1
    return None


def _same_in_every_row(*values: FloatArray) -> bool:
    """Whether each array holds one value in all its rows (a covariate-free parameter)."""
    return all(v.size == 0 or bool(np.all(v == v[0])) for v in values)


def _rows_of(value: float, rows: IntArray | NDArray[np.bool_]) -> float | FloatArray:
    """Return a parameter for the selected rows: itself if scalar, else its entries at ``rows``.

    A row view holds per-row parameter arrays aligned with the summary;
    a kernel that works on a subset of the rows takes the same subset of them.
    """
    if np.ndim(value) == 0:
        return value
    selected: FloatArray = np.asarray(value)[rows]
    return selected


def _log_beta_per_frequency(p: float, q: float, x: FloatArray) -> FloatArray:
    """Return ``log B(p x, q)`` per row, once per distinct whole frequency when that is cheaper.

    Frequencies are counts, so a table over ``1 .. max(x)`` (when no longer
    than the rows) replaces one Stirling evaluation per row by a look-up.
    With per-row ``p`` or ``q`` (a row view) each row is evaluated on its own.
    """
    table = _frequency_table(x) if np.ndim(p) == 0 and np.ndim(q) == 0 else None
    if table is not None:
        levels, index = table
        result: FloatArray = log_beta(p * levels, q)[index]
        return result
    return log_beta(p * x, q)


def _beta_terms(p: FloatArray, q: FloatArray, x: FloatArray) -> tuple[FloatArray, ...]:
    r"""Return :math:`\log B(px, q)`, :math:`\psi(px+q)-\psi(px)` and :math:`\psi(px+q)-\psi(q)`.

    Where ``p`` and ``q`` are the same in every row (covariates move only
    ``gamma``) the three are tabulated per whole frequency and looked up.
    """
    table = _frequency_table(x) if _same_in_every_row(p, q) else None
    if table is not None:
        levels, index = table
        p, q, x = p[:1], q[:1], levels
    px = p * x
    psi_sum = digamma(px + q)
    terms = (log_beta(px, q), psi_sum - digamma(px), psi_sum - digamma(q))
    return terms if table is None else tuple(term[index] for term in terms)


@attrs.frozen
class _SpendStatistics:
    r"""What the Gamma-Gamma likelihood needs from the repeat buyers, computed once.

    The terms of :math:`\log L` that involve the parameters only through
    ``p x`` are summed per distinct frequency, the terms linear in the
    parameters are summed once, and only :math:`\log(\gamma + m_x x)` is
    evaluated per row at each step; the result is the exact weighted total.
    """

    unique_x: FloatArray  # distinct frequencies
    x_of: IntArray  # each row's index into unique_x
    x: FloatArray  # each row's frequency
    log_s: FloatArray  # log(m_x * x) per row
    log_m: FloatArray
    weight_of_x: FloatArray  # total weight per distinct frequency
    total_weight: float
    s: FloatArray  # m_x * x per row
    weight_rows: FloatArray  # shape (2, n): w x and w
    sum_wx_log_s: float  # sum of w x log(m x)
    sum_w_log_m: float

    @classmethod
    def from_rows(cls, x: FloatArray, m: FloatArray, w: FloatArray) -> _SpendStatistics:
        unique_x, inverse = np.unique(x, return_inverse=True)
        s = m * x
        return cls._summed(unique_x, inverse.reshape(-1), x, s, np.log(s), np.log(m), w)

    def reweighted(self, w: FloatArray) -> _SpendStatistics:
        """Return the statistics of the same rows with weights ``w`` (no new sort)."""
        return self._summed(self.unique_x, self.x_of, self.x, self.s, self.log_s, self.log_m, w)

    @classmethod
    def _summed(
        cls,
        unique_x: FloatArray,
        x_of: IntArray,
        x: FloatArray,
        s: FloatArray,
        log_s: FloatArray,
        log_m: FloatArray,
        w: FloatArray,
    ) -> _SpendStatistics:
        """Return the statistics of tabulated rows under weights ``w``."""
        wx = w * x
        return cls(
            unique_x=unique_x,
            x_of=x_of,
            x=x,
            log_s=log_s,
            log_m=log_m,
            weight_of_x=np.bincount(x_of, weights=w, minlength=unique_x.size).astype(np.float64),
            total_weight=float(w.sum()),
            s=s,
            weight_rows=np.stack([wx, w]),
            sum_wx_log_s=float(wx @ log_s),
            sum_w_log_m=float(w @ log_m),
        )

    def neg_log_likelihood(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Weighted negative log-likelihood and its exact gradient w.r.t. (p, q, gamma)."""
        p, q, g = (float(v) for v in theta)
        u, k, total = self.unique_x, self.weight_of_x, self.total_weight
        pu = p * u
        log_g = math.log(g)
        denominator = self.s + g
        log_denominator = np.log(denominator)
        inverse_denominator = np.reciprocal(denominator, out=denominator)
        sum_wx_log_d, sum_w_log_d = self.weight_rows @ log_denominator
        sum_wx_inv_d, sum_w_inv_d = self.weight_rows @ inverse_denominator
        ll = (
            float(k @ (gammaln(pu + q) - gammaln(pu)))
            - total * (gammaln(q) - q * log_g)
            + p * self.sum_wx_log_s
            - self.sum_w_log_m
            - p * sum_wx_log_d
            - q * sum_w_log_d
        )
        psi_puq = digamma(pu + q)
        d_p = float((k * u) @ (psi_puq - digamma(pu))) + self.sum_wx_log_s - sum_wx_log_d
        d_q = float(k @ psi_puq) - total * (digamma(q) - log_g) - sum_w_log_d
        d_g = total * q / g - p * sum_wx_inv_d - q * sum_w_inv_d
        return -ll, -np.array([d_p, d_q, d_g])


@attrs.frozen(kw_only=True, repr=False)
class GammaGamma(SummaryModel):
    r"""Gamma-Gamma model of the mean spend per transaction.

    Each transaction value of a customer is gamma distributed with shape
    ``p`` and rate :math:`\nu`; across customers :math:`\nu` is gamma
    distributed with shape ``q`` and rate ``gamma``.  Spend is assumed
    independent of the transaction process.

    Parameters
    ----------
    p : float
        Shape of the spend distribution within a customer, > 0.
    q : float
        Shape of the gamma mixing distribution of :math:`\nu`, > 0.
    gamma : float
        Rate (scale parameter :math:`\gamma`) of the mixing distribution, > 0.
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
    The mean of the :math:`x` repeat transactions :math:`\bar z` of a
    customer has likelihood

    .. math::

        L(p, q, \gamma \mid x, m_x) = \frac{\Gamma(px + q)}{\Gamma(px)\Gamma(q)}
        \frac{\gamma^q m_x^{px - 1} x^{px}}{(\gamma + m_x x)^{px + q}}.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary
    value. http://brucehardie.com/notes/025/ (eqs. 1-5).

    Examples
    --------
    >>> import relmark
    >>> model = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> round(model.population_mean_spend(), 2)
    35.22
    """

    p: float
    q: float
    gamma: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)
    effects: Effects = NO_EFFECTS

    parameters: ClassVar[tuple[Parameter, ...]] = (
        Parameter("p"),
        Parameter("q", start=2.0),
        Parameter("gamma", scale="spend"),
    )
    #: Spend covariates scale ``gamma``: a coefficient > 0 means a higher mean spend.
    links: ClassVar[tuple[Link, ...]] = (Link("gamma", "spend", 1),)

    @classmethod
    def _fit_rows(cls, summary: CustomerSummary) -> CustomerSummary:
        """Return the repeat buyers, whose mean spend the model describes.

        Raises
        ------
        ValidationError
            If ``monetary_value`` is missing, no customer has a repeat
            purchase, or a repeat buyer's spend is not positive.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> model = relmark.GammaGamma.fit(cdnow_sample_summary())
        >>> [round(v, 2) for v in model.params.values()]
        [6.25, 3.74, 15.44]
        """
        _spend_rows(summary, repeat_only=False)
        repeat = summary.subset(summary.frequency > 0)
        if len(repeat) == 0:
            raise ValidationError(
                "the Gamma-Gamma model needs customers with repeat purchases (`frequency` > 0); "
                f"none of the {len(summary):,} rows has one"
            )
        return repeat

    @classmethod
    def _objective(cls, rows: CustomerSummary) -> NegLogLikelihood:
        r"""Return minus the log-likelihood of the repeat buyers and its exact gradient.

        Customers with ``frequency == 0`` carry no spend information and are
        left out; the parts of the likelihood that depend on the parameters
        only through the frequency are summed per distinct frequency (an
        exact compression), so each step costs one logarithm per customer.

        Notes
        -----
        Maximises :math:`\sum_i w_i \log L(p, q, \gamma \mid x_i, m_i)` over
        the repeat buyers with the exact gradient

        .. math::

            \partial_p \log L = x[\psi(px+q) - \psi(px) + \log m_x + \log x
            - \log(\gamma + m_x x)],\quad
            \partial_q \log L = \psi(px+q) - \psi(q) + \log\gamma - \log(\gamma + m_x x),

        .. math::

            \partial_\gamma \log L = q/\gamma - (px+q)/(\gamma + m_x x).

        References
        ----------
        Fader & Hardie (2013), eq. 4.
        """
        assert rows.monetary_value is not None
        return _SpendStatistics.from_rows(
            rows.frequency, rows.monetary_value, rows.weights
        ).neg_log_likelihood

    @classmethod
    def _reweighted(cls, rows: CustomerSummary) -> Callable[[FloatArray], NegLogLikelihood]:
        """Return ``weights -> objective`` over ``rows``, tabulated once (see SummaryModel)."""
        assert rows.monetary_value is not None
        statistics = _SpendStatistics.from_rows(rows.frequency, rows.monetary_value, rows.weights)
        return lambda weights: statistics.reweighted(weights).neg_log_likelihood

    @classmethod
    def _scales(cls, rows: CustomerSummary) -> dict[str, float]:
        """Return the data's scale for start values: the weighted mean spend."""
        assert rows.monetary_value is not None
        return {"spend": float(np.average(rows.monetary_value, weights=rows.weights))}

    @classmethod
    def _explain(cls, rows: CustomerSummary) -> str:
        """Say what in the repeat buyers' spend leaves the parameters unidentified."""
        assert rows.monetary_value is not None
        return _describe_spend(rows.frequency, rows.monetary_value, rows.weights)

    @classmethod
    def _row_columns(cls, rows: CustomerSummary) -> tuple[FloatArray, FloatArray]:
        """Return the data columns of :meth:`_row_scores`: frequency and mean spend."""
        assert rows.monetary_value is not None
        return rows.frequency, rows.monetary_value

    @classmethod
    def _row_scores(  # type: ignore[override]  # the base takes *columns: these are GG's
        cls, params: FloatArray, x: FloatArray, m: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        r"""Return each repeat buyer's log-likelihood and its scores, with per-row parameters.

        Parameters
        ----------
        params : ndarray, shape (3, n)
            Each row's ``p``, ``q`` and ``gamma``.
        x, m : ndarray, shape (n,)
            Frequency (> 0) and mean spend (> 0) of each row.

        Returns
        -------
        ll : ndarray, shape (n,)
            :math:`\log L(p_i, q_i, \gamma_i \mid x_i, m_i)` (class Notes), unweighted.
        scores : ndarray, shape (3, n)
            Derivatives of ``ll`` with respect to :math:`\log p`, :math:`\log q`,
            :math:`\log\gamma` of each row.

        Notes
        -----
        With :math:`s = m_x x`, as in :meth:`customer_log_likelihood`,

        .. math::

            \ell = -\log B(px, q) - \log m_x - px\log(1 + \gamma/s) - q\log(1 + s/\gamma),

        .. math::

            \frac{\partial\ell}{\partial\log p} = px[\psi(px + q) - \psi(px) - \log(1 + \gamma/s)],
            \quad
            \frac{\partial\ell}{\partial\log q} = q[\psi(px + q) - \psi(q) - \log(1 + s/\gamma)],

        .. math::

            \frac{\partial\ell}{\partial\log\gamma} = \frac{qs - px\gamma}{\gamma + s},

        the terms of :meth:`_objective` per row: their weighted sums are its
        value and its gradient times the parameters.  Where ``p`` and ``q``
        are the same in every row (covariates on ``gamma`` only) the beta and
        digamma terms are evaluated once per distinct frequency.

        References
        ----------
        Fader & Hardie (2013), eq. 4.
        """
        p, q, g = params
        s = m * x
        px = p * x
        log_beta_pq, psi_p, psi_q = _beta_terms(p, q, x)
        spend_over_gamma = np.log1p(s / g)
        gamma_over_spend = np.log1p(g / s)
        ll: FloatArray = -log_beta_pq - np.log(m) - px * gamma_over_spend - q * spend_over_gamma
        scores = np.empty((3, x.size))
        np.multiply(px, psi_p - gamma_over_spend, out=scores[0])
        np.multiply(q, psi_q - spend_over_gamma, out=scores[1])
        np.divide(q * s - px * g, g + s, out=scores[2])
        return ll, scores

    def customer_log_likelihood(self, summary: CustomerSummary) -> FloatArray:
        r"""Log-likelihood of each customer's mean spend (repeat buyers only).

        Parameters
        ----------
        summary : CustomerSummary
            Customers with ``frequency > 0`` and ``monetary_value``.

        Returns
        -------
        ndarray, shape (n,)

        Raises
        ------
        ValidationError
            If ``monetary_value`` is missing or a row has ``frequency == 0``
            or non-positive spend.

        Notes
        -----
        :math:`\log L` of the class Notes, per row, unweighted, rearranged with
        :math:`s = m_x x` as

        .. math::

            -\log B(px, q) - \log m_x - px\log(1 + \gamma/s) - q\log(1 + s/\gamma),

        whose terms do not cancel: written as in the class Notes, ``gammaln``
        and :math:`px\log(\cdot)` terms of size :math:`10^8` (``p`` = 1e3,
        ``x`` = 1e4) cancel to a result of size 1.  :math:`\log B` comes from
        :func:`~relmark.models._special.log_beta`, exact also where
        ``scipy.special.betaln`` subtracts ``gammaln`` values.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([2], [10.0], [20.0], monetary_value=[30.0])
        >>> model = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
        >>> model.customer_log_likelihood(s).round(3).tolist()
        [-3.847]
        """
        return self._at(summary)._log_likelihood_rows(*_spend_rows(summary, repeat_only=True))

    def _log_likelihood_rows(self, x: FloatArray, m: FloatArray) -> FloatArray:
        """Return :meth:`customer_log_likelihood` of checked repeat buyers; per row in a view."""
        p, q, g = self.p, self.q, self.gamma
        px = p * x
        s = m * x
        ll: FloatArray = (
            -_log_beta_per_frequency(p, q, x)
            - np.log(m)
            - px * np.log1p(g / s)
            - q * np.log1p(s / g)
        )
        return ll

    def population_mean_spend(self) -> float:
        r"""Mean spend per transaction across the population, :math:`p\gamma/(q-1)`.

        Returns
        -------
        float

        Raises
        ------
        ValidationError
            If ``q <= 1`` (the mean does not exist).

        Notes
        -----
        :math:`E[Z] = E[p/\nu] = p\gamma/(q-1)` for :math:`q > 1`.

        References
        ----------
        Fader & Hardie (2013), eq. 3.

        Examples
        --------
        >>> import relmark
        >>> round(relmark.GammaGamma(p=2.0, q=3.0, gamma=10.0).population_mean_spend(), 6)
        10.0
        """
        self._check_mean_exists()
        return self.p * self.gamma / (self.q - 1.0)

    def _population_mean_rows(self) -> FloatArray:
        r"""Return :math:`p\gamma/(q - 1)` of each row of a row view (shape (1,) for a model).

        The expected spend of a customer without repeat purchases; checks
        ``q > 1`` in every row.
        """
        self._check_mean_exists()
        mean: FloatArray = np.atleast_1d(np.asarray(self.p * self.gamma / (self.q - 1.0)))
        return mean

    def _check_mean_exists(self) -> None:
        """Refuse ``q <= 1`` (no finite mean spend), in every row of a row view."""
        q = self.q
        if np.ndim(q) == 0:
            if q <= 1.0:
                raise ValidationError(
                    f"the expected spend needs `q` > 1 (the gamma mixing distribution has no "
                    f"finite mean spend otherwise), got q={q!r}"
                )
            return
        values = np.asarray(q)
        fail_rows(
            "q",
            "must be > 1 for the expected spend (the gamma mixing distribution has no finite "
            "mean spend otherwise)",
            values <= 1.0,
            values,
            noun="customers",
        )

    def expected_spend(self, summary: CustomerSummary) -> FloatArray:
        r"""Return the expected mean spend per transaction of each customer, given their history.

        Parameters
        ----------
        summary : CustomerSummary
            Customers with ``monetary_value``; rows with ``frequency == 0``
            get the population mean.

        Returns
        -------
        ndarray, shape (n,)

        Raises
        ------
        ValidationError
            If ``monetary_value`` is missing or ``q <= 1``.

        Notes
        -----
        .. math::

            E[M \mid p, q, \gamma, m_x, x] = \frac{q - 1}{px + q - 1}\frac{p\gamma}{q - 1}
            + \frac{px}{px + q - 1} m_x,

        a weighted mean of the population mean and the customer's own mean,
        evaluated as :math:`p(\gamma + m_x x)/(px + q - 1)` (no subtraction).

        References
        ----------
        Fader & Hardie (2013), eq. 5; Fader, Hardie & Lee (2005), eq. 3.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays(
        ...     [2, 0], [10.0, 0.0], [20.0, 20.0], monetary_value=[30.0, 0.0]
        ... )
        >>> relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44).expected_spend(s).round(2).tolist()
        [30.94, 35.22]
        """
        columns = _spend_rows(summary, repeat_only=False, positive=False)
        return self._at(summary)._expected_spend_rows(*columns)

    def _expected_spend_rows(self, x: FloatArray, m: FloatArray) -> FloatArray:
        """Return :meth:`expected_spend` of checked rows; with a row view, each row's parameters."""
        self._check_mean_exists()
        p, q = self.p, self.q
        # p (gamma + m x) / (p x + q - 1): positive terms only, so exact to rounding even
        # where the population mean is far from m (q near 1), unlike mean + w (m - mean)
        result: FloatArray = p * (self.gamma + m * x)
        result /= p * x + (q - 1.0)
        return result

    def simulate_transaction_values(
        self,
        customer: ArrayLike,
        n_customers: int,
        rng: np.random.Generator | int | None = None,
    ) -> FloatArray:
        r"""Draw the value of each transaction of ``n_customers`` customers.

        Parameters
        ----------
        customer : array_like of int, shape (m,)
            The customer (``0 .. n_customers - 1``) of each transaction.
        n_customers : int
            Number of customers (each draws a spend scale, with or without
            transactions, so that seeded draws do not depend on who bought).
        rng : numpy.random.Generator, int or None
            Randomness source or seed.

        Returns
        -------
        ndarray, shape (m,)
            Positive values.

        Notes
        -----
        Each customer draws :math:`\nu \sim \mathrm{Gamma}(q, \gamma)`; each of
        their transactions is worth :math:`\mathrm{Gamma}(p, \nu)` (shape,
        rate), the model's generative process (:meth:`simulate` draws the
        mean of a customer's values directly).

        Examples
        --------
        >>> import relmark
        >>> values = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44).simulate_transaction_values(
        ...     [0, 0, 1], 2, rng=1
        ... )
        >>> values.shape, bool((values > 0).all())
        ((3,), True)
        """
        count = as_count("n_customers", n_customers, maximum=MAX_SIMULATED_CUSTOMERS)
        owner = as_float_array("customer", np.ravel(customer), nonnegative=True)
        check_whole("customer", owner)
        fail_rows("customer", f"must be < `n_customers` ({count:,})", owner >= count, owner)
        return self._draw_values(owner.astype(np.int64), count, as_rng(rng))

    def _draw_values(
        self, owner: IntArray, count: int, generator: np.random.Generator
    ) -> FloatArray:
        """Draw each transaction's value; a row view's arrays are per customer (``count`` rows)."""
        scale = 1.0 / generator.gamma(self.q, 1.0 / self.gamma, size=count)
        values: FloatArray = generator.gamma(_rows_of(self.p, owner), scale[owner])
        return values

    def simulate(
        self, summary: CustomerSummary, rng: np.random.Generator | int | None = None
    ) -> CustomerSummary:
        r"""Draw each customer's mean spend per repeat purchase from the model.

        Parameters
        ----------
        summary : CustomerSummary
            The customers whose repeat purchases to price (their
            ``frequency``); an existing ``monetary_value`` is replaced.
        rng : numpy.random.Generator, int or None
            Randomness source or seed.

        Returns
        -------
        CustomerSummary
            ``summary`` with ``monetary_value`` drawn: the mean of
            ``frequency`` spends for repeat buyers, 0 for the others.

        Notes
        -----
        Each customer draws :math:`\nu \sim \mathrm{Gamma}(q, \gamma)`; each
        purchase is :math:`\mathrm{Gamma}(p, \nu)`, so the mean of ``x`` of them
        is :math:`\mathrm{Gamma}(px, \nu x)` (shape, rate).

        References
        ----------
        Fader, Hardie & Lee (2005), section 3 (the spend model).

        Examples
        --------
        >>> import relmark
        >>> purchases = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> spend = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
        >>> s = spend.simulate(purchases.simulate(1000, 39.0, rng=7), rng=7)
        >>> bool((s.monetary_value[s.frequency > 0] > 0).all())
        True
        """
        if not isinstance(summary, CustomerSummary):
            raise TypeError(f"`summary` must be a CustomerSummary, got {type(summary).__name__}")
        spend = self._at(summary)._draw_spend(summary.frequency, as_rng(rng))
        return attrs.evolve(summary, monetary_value=readonly(spend))

    def _draw_spend(self, x: FloatArray, generator: np.random.Generator) -> FloatArray:
        """Draw each row's mean spend over its ``x`` purchases (0 where ``x == 0``), per-row too."""
        repeat = x > 0
        rate = generator.gamma(self.q, 1.0 / self.gamma, size=x.size)[repeat] * x[repeat]
        spend = np.zeros(x.size)
        spend[repeat] = generator.gamma(_rows_of(self.p, repeat) * x[repeat], 1.0 / rate)
        return spend


def _row_view(p: ArrayLike, q: ArrayLike, gamma: ArrayLike) -> GammaGamma:
    """Return a row view: a GammaGamma whose ``p``, ``q``, ``gamma`` are per-row arrays.

    Built as the covariate core builds its views (``object.__new__``, every
    other field at its default, ``fit_info=None``), for tests of the kernels;
    the arrays are unchecked and broadcast to one length.
    """
    view = object.__new__(GammaGamma)
    for field in attrs.fields(GammaGamma):
        default = field.default
        object.__setattr__(view, field.name, None if default is attrs.NOTHING else default)
    for name, values in zip(("p", "q", "gamma"), np.broadcast_arrays(p, q, gamma), strict=True):
        object.__setattr__(view, name, readonly(np.array(values, dtype=np.float64)))
    return view
