"""Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, 2010)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, overload

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma
from typing_extensions import Self

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    FloatArray,
    as_count,
    as_float_array,
    as_rng,
    as_scalar,
    check_same_length,
    check_whole,
    fail_rows,
)
from relmark.data._keys import distinct_rows
from relmark.exceptions import ValidationError
from relmark.models._base import _AT_MAXIMUM, Model, Parameter
from relmark.models._fitting import FitInfo, NegLogLikelihood, profile_likelihood_intervals
from relmark.models._special import log_rising_ratio, log_rising_ratio_steps

__all__ = ["ShiftedBetaGeo"]


def _periods(name: str, value: ArrayLike, *, minimum: float) -> tuple[FloatArray, bool]:
    """Return whole-number periods >= ``minimum`` as an array, and whether input was scalar."""
    scalar = np.ndim(value) == 0
    array = as_float_array(name, np.atleast_1d(np.asarray(value)))
    check_whole(name, array)
    bad = array < minimum
    fail_rows(
        name,
        f"must be >= {minimum:g}",
        bad,
        array,
    )
    return array, scalar


def _out(values: FloatArray, scalar: bool) -> float | FloatArray:
    return float(values[0]) if scalar else values


def _log_survival(a: float, b: float, t: FloatArray) -> FloatArray:
    r"""Return :math:`\log S(t) = \log B(a, b + t) - \log B(a, b) = -\log[(a + b)_t/(b)_t]`.

    Exact to rounding (:func:`~relmark.models._special.log_rising_ratio`); the
    difference of ``betaln`` values is off by up to :math:`10^{-11}` at
    :math:`b + t \approx 10^4`, which is most of a log-likelihood near 0.
    """
    return -_log_rising(b, a, t)


def _log_churn(a: float, b: float, t: FloatArray) -> FloatArray:
    r"""Return :math:`\log P(T = t) = \log\frac{a}{a + b} - \log[(a + 1 + b)_{t-1}/(b)_{t-1}]`."""
    return -math.log1p(b / a) - _log_rising(b, a + 1.0, t - 1.0)


def _log_rising(z: float, e: float, h: FloatArray) -> FloatArray:
    """Return ``log[(z + e)_h / (z)_h]`` for whole ``h >= 0``.

    Many periods up to a modest maximum are looked up in a table over
    ``0 .. max(h)`` built at one logarithm per entry
    (:func:`~relmark.models._special.log_rising_ratio_steps`), otherwise each is
    evaluated on its own; either way exact to a few roundings.
    """
    top = float(np.max(h, initial=0.0))
    if h.size > 64 and top < 4.0 * h.size:
        table = log_rising_ratio_steps(int(top) + 1, (1.0, z, e))[0]
        result: FloatArray = table[h.astype(np.intp)]
        return result
    return log_rising_ratio(z, e, h)


def _neg_log_likelihood(
    theta: FloatArray,
    *,
    churn_t: FloatArray,
    churn_w: FloatArray,
    alive_t: FloatArray,
    alive_w: FloatArray,
) -> tuple[float, FloatArray]:
    """Weighted negative log-likelihood of churn periods and censored tenures, with gradient."""
    a, b = (float(v) for v in theta)
    psi_ab = digamma(a + b)
    # churned in period t: P(T = t) = B(a + 1, b + t - 1) / B(a, b)
    psi_churn = digamma(a + b + churn_t)
    ll_churn = _log_churn(a, b, churn_t)
    da_churn = digamma(a + 1.0) - digamma(a) + psi_ab - psi_churn
    db_churn = digamma(b + churn_t - 1.0) - digamma(b) + psi_ab - psi_churn
    # still a customer after t periods: S(t) = B(a, b + t) / B(a, b)
    psi_alive = digamma(a + b + alive_t)
    ll_alive = _log_survival(a, b, alive_t)
    da_alive = psi_ab - psi_alive
    db_alive = digamma(b + alive_t) - digamma(b) + psi_ab - psi_alive
    value = float(churn_w @ ll_churn + alive_w @ ll_alive)
    gradient = np.array(
        [churn_w @ da_churn + alive_w @ da_alive, churn_w @ db_churn + alive_w @ db_alive]
    )
    return -value, -gradient


def _describe_tenures(
    churn_t: FloatArray, churn_w: FloatArray, alive_t: FloatArray, alive_w: FloatArray
) -> str:
    """Say what in the tenures can leave the churn distribution unidentified."""
    churned = churn_t[churn_w > 0]
    if np.all(churned == 1.0) and not np.any((alive_w > 0) & (alive_t >= 1.0)):
        return (
            "every customer cancelled in their first period, so the data cannot show how "
            "churn probabilities differ"
        )
    periods = np.union1d(churned, alive_t[alive_w > 0])
    if periods.size < 2:
        return (
            f"every tenure ends in period {periods[0]:.0f}, which cannot show how churn "
            "changes over time"
        )
    return ""


#: An sBG fit's data: churn periods, churner counts, censoring periods, survivor
#: counts, and the number of distinct rows.
TenureRows = tuple[FloatArray, FloatArray, FloatArray, FloatArray, int]


def _survival_rows(alive: ArrayLike) -> TenureRows:
    """Return a cohort's (churn periods, churners, censoring period, survivors, rows)."""
    counts = _check_alive(alive)
    lost = -np.diff(counts)
    periods = np.arange(1.0, counts.size)
    return periods, lost, np.array([float(counts.size - 1)]), counts[-1:].copy(), counts.size


def _individual_rows(tenure: ArrayLike, churned: ArrayLike) -> TenureRows:
    """Return customers' (churn periods, counts, censoring periods, counts, distinct rows)."""
    t, c = _check_tenure(tenure, churned)
    first, inverse = distinct_rows(t, c)
    counts = np.bincount(inverse, minlength=first.size).astype(np.float64)
    periods, is_churn = t[first], c[first] == 1.0
    return (
        periods[is_churn],
        counts[is_churn],
        periods[~is_churn],
        counts[~is_churn],
        int(first.size),
    )


def _tenure_objective(
    churn_t: FloatArray, churn_w: FloatArray, alive_t: FloatArray, alive_w: FloatArray
) -> NegLogLikelihood:
    """Return ``theta -> (-log-likelihood, gradient)`` of churn and censoring counts."""

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        return _neg_log_likelihood(
            theta, churn_t=churn_t, churn_w=churn_w, alive_t=alive_t, alive_w=alive_w
        )

    return objective


def _check_alive(alive: ArrayLike) -> FloatArray:
    counts = as_float_array("alive", alive, nonnegative=True, noun="periods")
    if counts.size < 2:
        raise ValidationError(
            "`alive` needs the cohort size and at least one later count, "
            f"got {counts.size} value(s)"
        )
    if counts[0] <= 0:
        raise ValidationError(f"`alive[0]` (the cohort size) must be > 0, got {counts[0]:g}")
    rising = np.r_[False, np.diff(counts) > 0]
    fail_rows(
        "alive",
        "must not increase over time (customers cannot come back in a cohort)",
        rising,
        counts,
        noun="periods",
    )
    return counts


def _check_tenure(tenure: ArrayLike, churned: ArrayLike) -> tuple[FloatArray, FloatArray]:
    t = as_float_array("tenure", tenure, nonnegative=True, noun="customers")
    check_whole("tenure", t, noun="customers")
    raw = np.asarray(churned)
    if raw.dtype != bool:
        c = as_float_array("churned", raw, noun="customers")
        bad = (c != 0) & (c != 1)
        fail_rows("churned", "must be True/False or 1/0", bad, noun="customers")
    else:
        c = raw.reshape(-1).astype(np.float64)
    check_same_length({"tenure": t, "churned": c})
    bad = (c == 1) & (t < 1)
    fail_rows(
        "tenure",
        "must be >= 1 for customers who churned (they churn in period 1 at the earliest)",
        bad,
        noun="customers",
    )
    return t, c


@attrs.frozen(kw_only=True, repr=False)
class ShiftedBetaGeo(Model):
    r"""Shifted-beta-geometric model of how long subscribers stay.

    At the end of each period a customer cancels with probability
    :math:`\theta`, constant over time for that customer; across customers
    :math:`\theta` follows a beta distribution with parameters ``alpha`` and
    ``beta``.  The cohort's retention rate rises over time because the
    customers with high :math:`\theta` leave first.

    Parameters
    ----------
    alpha, beta : float
        Beta-distribution parameters of the churn probability, > 0.
    fit_info : FitInfo, optional
        Set by :meth:`fit_survival` and :meth:`fit_individual`.

    Raises
    ------
    TypeError
        If a parameter is not a real number.
    ValidationError
        If a parameter is not a positive finite number.

    Notes
    -----
    The lifetime :math:`T \in \{1, 2, \dots\}` (the period in which a
    customer churns) has

    .. math::

        P(T = t) = \frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha, \beta)},\qquad
        S(t) = P(T > t) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)},\qquad
        r(t) = \frac{\beta + t - 1}{\alpha + \beta + t - 1}.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90 (eqs. 5-8).

    Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: the perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93 (DERL, eq. 6).

    Examples
    --------
    >>> import relmark
    >>> model = relmark.ShiftedBetaGeo(alpha=0.704, beta=1.182)
    >>> model.survival([1, 2, 3]).round(3).tolist()
    [0.627, 0.474, 0.388]
    """

    alpha: float
    beta: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)

    parameters: ClassVar[tuple[Parameter, ...]] = (Parameter("alpha"), Parameter("beta"))

    # ------------------------------------------------------------------ fitting
    @classmethod
    def _fit(
        cls,
        churn_t: FloatArray,
        churn_w: FloatArray,
        alive_t: FloatArray,
        alive_w: FloatArray,
        start: Mapping[str, float] | None,
        n_rows: int,
    ) -> Self:
        n_customers = float(churn_w.sum() + alive_w.sum())
        if churn_w.sum() <= 0:
            raise ValidationError(
                "the sBG model needs at least one churned customer to estimate churn; none churned"
            )

        return cls._maximize(
            _tenure_objective(churn_t, churn_w, alive_t, alive_w),
            start=start,
            scales={},
            n_customers=n_customers,
            n_rows=n_rows,
            explain=lambda: _describe_tenures(churn_t, churn_w, alive_t, alive_w),
        )

    @classmethod
    def fit_survival(cls, alive: ArrayLike, *, start: Mapping[str, float] | None = None) -> Self:
        r"""Estimate the parameters from a cohort's survivor counts.

        Parameters
        ----------
        alive : array_like, shape (n + 1,)
            ``alive[0]`` is the cohort size, ``alive[t]`` the number still
            customers after ``t`` periods (non-increasing).  Those still
            customers after the last period are right-censored.
        start : mapping of str to float, optional
            Starting values for ``alpha`` and ``beta``.

        Returns
        -------
        ShiftedBetaGeo
            With ``fit_info`` set (``n_customers`` is the cohort size).

        Raises
        ------
        ValidationError
            If ``alive`` has fewer than two values, a negative or rising
            count, or nobody churned.
        ConvergenceError
            If the optimiser fails.

        Notes
        -----
        .. math::

            LL(\alpha, \beta) = \sum_{t=1}^{n} (n_{t-1} - n_t)\log P(T = t)
            + n_n \log S(n),

        with :math:`n_t` = ``alive[t]``; maximised with the exact gradient.

        References
        ----------
        Fader & Hardie (2007), eq. 9 (Appendix B).

        Examples
        --------
        >>> import relmark
        >>> high_end = [1000, 869, 743, 653, 593, 551, 517, 491]
        >>> model = relmark.ShiftedBetaGeo.fit_survival(high_end)
        >>> round(model.alpha, 3), round(model.beta, 3)
        (0.668, 3.806)
        """
        churn_t, churn_w, alive_t, alive_w, n_rows = _survival_rows(alive)
        return cls._fit(churn_t, churn_w, alive_t, alive_w, start, n_rows)

    @classmethod
    def fit_individual(
        cls,
        tenure: ArrayLike,
        churned: ArrayLike,
        *,
        start: Mapping[str, float] | None = None,
    ) -> Self:
        r"""Estimate the parameters from individual customers' tenures.

        Parameters
        ----------
        tenure : array_like, shape (n,)
            Whole periods observed: for a churned customer the period in
            which they cancelled (>= 1), for an active one the number of
            periods they have completed (>= 0).
        churned : array_like of bool, shape (n,)
            Whether each customer has cancelled.
        start : mapping of str to float, optional
            Starting values for ``alpha`` and ``beta``.

        Returns
        -------
        ShiftedBetaGeo
            With ``fit_info`` set.

        Raises
        ------
        ValidationError
            If a tenure is negative, fractional or 0 for a churned customer,
            the lengths differ, or nobody churned.
        ConvergenceError
            If the optimiser fails.

        Notes
        -----
        .. math::

            LL = \sum_{i:\,\text{churned}} \log P(T = t_i)
            + \sum_{i:\,\text{active}} \log S(t_i);

        the customers are grouped by (tenure, churned) before fitting.

        References
        ----------
        Fader & Hardie (2007), Appendix B.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ShiftedBetaGeo.fit_individual(
        ...     tenure=[1, 1, 2, 3, 4, 4, 4, 2, 5, 5], churned=[1, 1, 1, 1, 0, 0, 0, 1, 0, 0]
        ... )
        >>> round(model.alpha, 2), round(model.beta, 2)
        (0.49, 1.61)
        """
        churn_t, churn_w, alive_t, alive_w, n_rows = _individual_rows(tenure, churned)
        return cls._fit(churn_t, churn_w, alive_t, alive_w, start, n_rows)

    def profile_intervals(
        self,
        level: float = 0.95,
        *,
        alive: ArrayLike | None = None,
        tenure: ArrayLike | None = None,
        churned: ArrayLike | None = None,
        parameters: Sequence[str] | None = None,
    ) -> dict[str, tuple[float, float]]:
        r"""Return profile-likelihood intervals of ``alpha`` and ``beta``, given the fit's data.

        Parameters
        ----------
        level : float, default 0.95
            Coverage, in (0, 1).
        alive : array_like, optional
            The survivor counts the model was fitted to (:meth:`fit_survival`).
        tenure, churned : array_like, optional
            Or the customers it was fitted to (:meth:`fit_individual`).
        parameters : sequence of str, optional
            The parameters to profile (default both).

        Returns
        -------
        dict of str to (float, float)
            ``(lower, upper)`` per parameter; ``0.0``/``inf`` where the data
            set no bound on that side.

        Raises
        ------
        ValidationError
            If neither or both kinds of data are given, ``level`` is not in
            (0, 1), or the model is not the maximum-likelihood fit of the data.

        Notes
        -----
        Where :math:`2[LL(\hat	heta) - \max_{	heta_{-j}} LL(	heta)] \le
        \chi^2_{1,\,level}`, as for the customer-base models
        (:meth:`relmark.BetaGeo.profile_intervals`).

        Examples
        --------
        >>> import relmark
        >>> alive = [1000, 869, 743, 653, 593, 551, 517, 491]
        >>> model = relmark.ShiftedBetaGeo.fit_survival(alive)
        >>> bounds = model.profile_intervals(alive=alive)
        >>> [round(v, 3) for v in bounds["alpha"]]
        [0.506, 0.943]
        """
        if (alive is None) == (tenure is None and churned is None):
            raise ValidationError(
                "give the data the model was fitted to: `alive` (survivor counts) or "
                "`tenure` and `churned` (customers), not both and not neither"
            )
        rows = (
            _survival_rows(alive)
            if alive is not None
            else _individual_rows(
                [] if tenure is None else tenure, [] if churned is None else churned
            )
        )
        refit = type(self)._fit(*rows[:4], self.params, rows[4])
        assert refit.fit_info is not None  # a fitted model always has one
        objective = _tenure_objective(*rows[:4])
        own = -objective(self._theta)[0]
        best = refit.fit_info.log_likelihood
        if not 2.0 * (best - own) <= _AT_MAXIMUM:
            raise ValidationError(
                f"the ShiftedBetaGeo is not the maximum-likelihood fit of these data: its "
                f"log-likelihood is {own:,.4f} against {best:,.4f} at the maximum"
            )
        return profile_likelihood_intervals(
            "ShiftedBetaGeo", objective, refit.fit_info, level=level, parameters=parameters
        )

    # -------------------------------------------------------------- likelihood
    def individual_log_likelihood(self, tenure: ArrayLike, churned: ArrayLike) -> FloatArray:
        r"""Log-likelihood of each customer's tenure.

        Parameters
        ----------
        tenure, churned : array_like, shape (n,)
            As in :meth:`fit_individual`.

        Returns
        -------
        ndarray, shape (n,)
            :math:`\log P(T = t_i)` for churned customers, :math:`\log S(t_i)`
            for active ones.

        Raises
        ------
        ValidationError
            As in :meth:`fit_individual`.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0)
        >>> model.individual_log_likelihood([1, 1], [True, False]).round(4).tolist()
        [-0.6931, -0.6931]
        """
        t, c = _check_tenure(tenure, churned)
        a, b = self.alpha, self.beta
        result = np.empty(t.size)
        churn = c == 1
        result[churn] = _log_churn(a, b, t[churn])
        result[~churn] = _log_survival(a, b, t[~churn])
        return result

    def survival_log_likelihood(self, alive: ArrayLike) -> float:
        """Log-likelihood of a cohort's survivor counts.

        Parameters
        ----------
        alive : array_like, shape (n + 1,)
            As in :meth:`fit_survival`.

        Returns
        -------
        float

        Raises
        ------
        ValidationError
            As in :meth:`fit_survival`.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)
        >>> round(model.survival_log_likelihood([1000, 869, 743, 653, 593, 551, 517, 491]), 1)
        -1611.2
        """
        counts = _check_alive(alive)
        value, _ = _neg_log_likelihood(
            np.array([self.alpha, self.beta]),
            churn_t=np.arange(1.0, counts.size),
            churn_w=-np.diff(counts),
            alive_t=np.array([float(counts.size - 1)]),
            alive_w=counts[-1:],
        )
        return -value

    # -------------------------------------------------------------- predictions
    @overload
    def survival(self, t: float) -> float: ...

    @overload
    def survival(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def survival(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        r"""Probability of still being a customer after ``t`` periods, :math:`S(t)`.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 0.

        Returns
        -------
        float or ndarray
            Float for scalar ``t``.

        Raises
        ------
        ValidationError
            If ``t`` is negative or fractional.

        Notes
        -----
        :math:`S(t) = B(\alpha, \beta + t) / B(\alpha, \beta)`.

        References
        ----------
        Fader & Hardie (2007), eq. 7.

        Examples
        --------
        >>> import relmark
        >>> round(relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0).survival(3), 4)
        0.25
        """
        periods, scalar = _periods("t", t, minimum=0)
        values = np.exp(_log_survival(self.alpha, self.beta, periods))
        return _out(values, scalar)

    @overload
    def churn_probability(self, t: float) -> float: ...

    @overload
    def churn_probability(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def churn_probability(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        r"""Probability of cancelling in period ``t``, :math:`P(T = t)`.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 1.

        Returns
        -------
        float or ndarray

        Raises
        ------
        ValidationError
            If ``t`` is below 1 or fractional.

        Notes
        -----
        :math:`P(T = t) = B(\alpha + 1, \beta + t - 1) / B(\alpha, \beta)`.

        References
        ----------
        Fader & Hardie (2007), eq. 6.

        Examples
        --------
        >>> import relmark
        >>> relmark.ShiftedBetaGeo(alpha=1.0, beta=1.0).churn_probability([1, 2]).round(4).tolist()
        [0.5, 0.1667]
        """
        periods, scalar = _periods("t", t, minimum=1)
        values = np.exp(_log_churn(self.alpha, self.beta, periods))
        return _out(values, scalar)

    @overload
    def retention_rate(self, t: float) -> float: ...

    @overload
    def retention_rate(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def retention_rate(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        r"""Share of the customers alive after ``t - 1`` periods who renew in period ``t``.

        Parameters
        ----------
        t : int or array_like of int
            Whole periods >= 1.

        Returns
        -------
        float or ndarray

        Raises
        ------
        ValidationError
            If ``t`` is below 1 or fractional.

        Notes
        -----
        :math:`r(t) = S(t)/S(t-1) = (\beta + t - 1)/(\alpha + \beta + t - 1)`,
        increasing in ``t``.

        References
        ----------
        Fader & Hardie (2007), eq. 8.

        Examples
        --------
        >>> import relmark
        >>> relmark.ShiftedBetaGeo(alpha=1.0, beta=3.0).retention_rate([1, 2]).tolist()
        [0.75, 0.8]
        """
        periods, scalar = _periods("t", t, minimum=1)
        b = self.beta + (periods - 1.0)  # one rounding: beta + t - 1 loses beta's digits at t = 1
        return _out(b / (self.alpha + b), scalar)

    def expected_lifetime(self) -> float:
        r"""Return the expected number of periods a new customer stays, :math:`E[T]`.

        Returns
        -------
        float
            :math:`(\alpha + \beta - 1)/(\alpha - 1)` for ``alpha > 1``;
            ``inf`` for ``alpha <= 1``, where the mean lifetime is infinite
            (use :meth:`expected_residual_lifetime` with a discount rate).

        Notes
        -----
        :math:`E[T] = \sum_{t \ge 0} S(t) = E[1/\theta]`.

        References
        ----------
        Fader & Hardie (2010), eq. 5 with :math:`d = 0`.

        Examples
        --------
        >>> import relmark
        >>> relmark.ShiftedBetaGeo(alpha=3.0, beta=4.0).expected_lifetime()
        3.0
        """
        if self.alpha <= 1.0:
            return math.inf
        return (self.alpha + self.beta - 1.0) / (self.alpha - 1.0)

    @overload
    def expected_residual_lifetime(
        self, periods_survived: float = 0, discount_rate: float = 0.0
    ) -> float: ...

    @overload
    def expected_residual_lifetime(
        self, periods_survived: NDArray[Any] | Sequence[float], discount_rate: float = 0.0
    ) -> FloatArray: ...

    def expected_residual_lifetime(
        self,
        periods_survived: float | NDArray[Any] | Sequence[float] = 0,
        discount_rate: float = 0.0,
    ) -> float | FloatArray:
        r"""Discounted expected residual lifetime (DERL) of a customer about to renew.

        Parameters
        ----------
        periods_survived : int or array_like of int, default 0
            Renewals made so far (:math:`n - 1` in the paper): the customer
            has been a customer for this many whole periods.
        discount_rate : float, default 0
            Discount rate per period, >= 0.

        Returns
        -------
        float or ndarray
            Expected discounted number of future payments, valued just before
            the next renewal decision (the first one undiscounted).  ``inf``
            where ``discount_rate == 0`` and ``alpha <= 1``.

        Raises
        ------
        ValidationError
            If ``periods_survived`` is negative or fractional, or
            ``discount_rate`` is negative.

        Notes
        -----
        With :math:`s` periods survived and :math:`d` the discount rate,

        .. math::

            DERL(d \mid s) = \frac{\beta + s}{\alpha + \beta + s}\,
            {}_2F_1\left(1, \beta + s + 1; \alpha + \beta + s + 1; \frac{1}{1 + d}\right),

        which is :math:`(\beta + s)/(\alpha - 1)` when :math:`d = 0`.  Multiply by
        the payment per period for the residual lifetime value.  The
        hypergeometric series is summed in log space (exact to rounding for
        every valid parameter); rates in (0, 1e-5) are refused as the series
        then needs too many terms.

        References
        ----------
        Fader & Hardie (2010), eq. 6.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)
        >>> model.expected_residual_lifetime([0, 4], discount_rate=0.1).round(2).tolist()
        [5.41, 6.9]
        """
        s, scalar = _periods("periods_survived", periods_survived, minimum=0)
        d = as_scalar("discount_rate", discount_rate, low=0.0)
        if d == 0.0:
            b = self.beta + s
            values = np.full(s.shape, math.inf) if self.alpha <= 1.0 else b / (self.alpha - 1.0)
        else:
            values = _discounted_residual_lifetime(self.alpha, self.beta, s, d)
        return _out(np.asarray(values, dtype=np.float64), scalar)

    def simulate(
        self, n_customers: int, periods: int, rng: np.random.Generator | int | None = None
    ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        r"""Draw a cohort's tenures observed for ``periods`` periods.

        Parameters
        ----------
        n_customers : int
            Cohort size (>= 0).
        periods : int
            Periods observed (>= 1).
        rng : numpy.random.Generator, int or None
            Randomness source or seed.

        Returns
        -------
        tenure : ndarray of int64, shape (n,)
            The period of cancellation for those who cancelled, else ``periods``.
        churned : ndarray of bool, shape (n,)
            Whether each customer cancelled within ``periods``; ready for
            :meth:`fit_individual`.

        Notes
        -----
        Each customer draws a churn probability :math:`\theta \sim
        \mathrm{Beta}(\alpha, \beta)` and cancels in period
        :math:`T \sim \mathrm{Geometric}(\theta)` (1, 2, ...).

        References
        ----------
        Fader & Hardie (2007), section 2.

        Examples
        --------
        >>> import relmark
        >>> tenure, churned = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806).simulate(
        ...     1000, 7, rng=1
        ... )
        >>> int(tenure.max()), bool(churned[tenure < 7].all())
        (7, True)
        """
        count = as_count(
            "n_customers",
            n_customers,
            maximum=MAX_SIMULATED_CUSTOMERS,
            why="simulate larger cohorts in parts with different seeds",
        )
        horizon = as_count("periods", periods, minimum=1)
        generator = as_rng(rng)
        churn = np.clip(generator.beta(self.alpha, self.beta, size=count), 1e-300, 1.0)
        cancelled_in = generator.geometric(churn)
        churned = cancelled_in <= horizon
        return np.minimum(cancelled_in, horizon).astype(np.int64), churned


_MAX_TERMS = 10_000_000


def _discounted_residual_lifetime(
    alpha: float, beta: float, survived: FloatArray, d: float
) -> FloatArray:
    r"""Evaluate DERL exactly (to rounding) by a log-space reverse cumulative sum.

    With :math:`p_j = (\beta + j)/(\alpha + \beta + j)` and :math:`z = 1/(1 + d)`,
    :math:`DERL(s) = \sum_{k \ge 0} z^k \prod_{j=s}^{s+k} p_j`, the series of
    :math:`{}_2F_1(1, \beta + s + 1; \alpha + \beta + s + 1; z)`.  Writing
    :math:`C_m = \sum_{j<m}\log p_j` gives
    :math:`\log DERL(s) = \mathrm{lse}_{m > s}(m \log z + C_m) - C_s - (s+1)\log z`,
    one reverse cumulative log-sum-exp over all ``s`` at once.  Truncating
    after ``K`` terms leaves a relative error below :math:`z^K (1 + d)/d`,
    which ``K`` keeps under 1e-17.  scipy's ``hyp2f1`` overflows or returns
    NaN for large parameters near :math:`z = 1`, hence this route.
    """
    log_z = -math.log1p(d)
    terms = math.ceil(math.log(1e-17 * d / (1.0 + d)) / log_z) + 1
    top = int(survived.max()) + terms + 1
    if top > _MAX_TERMS:
        raise ValidationError(
            f"`discount_rate` {d!r} is too close to 0 for the series to be summed "
            f"({top:,} terms); use discount_rate=0 (undiscounted) or a rate >= 1e-5"
        )
    j = np.arange(top, dtype=np.float64)
    log_p = -np.log1p(alpha / (beta + j))
    cumulative = np.concatenate(([0.0], np.cumsum(log_p)))  # C_0 .. C_top
    m = np.arange(1, top + 1, dtype=np.float64)
    exponents = m * log_z + cumulative[1:]
    tail = np.logaddexp.accumulate(exponents[::-1])[::-1]  # tail[i] = lse over m >= i + 1
    index = survived.astype(np.int64)
    log_value = tail[index] - cumulative[index] - (survived + 1.0) * log_z
    result: FloatArray = np.exp(log_value)
    return result
