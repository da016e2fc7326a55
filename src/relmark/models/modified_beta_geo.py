"""MBG/NBD: BG/NBD whose customers may also leave before any repeat purchase."""

from __future__ import annotations

from typing import ClassVar

import attrs

from relmark.models.beta_geo import BetaGeo

__all__ = ["ModifiedBetaGeo"]


@attrs.frozen(kw_only=True, repr=False)
class ModifiedBetaGeo(BetaGeo):
    r"""MBG/NBD model: BG/NBD with a chance to drop out at time 0 as well.

    As in :class:`BetaGeo`, purchases follow a Poisson process with rate
    :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)` while alive and a customer
    leaves with probability :math:`p \sim \mathrm{Beta}(a, b)` after each
    purchase; here the first purchase counts too, so a customer with no
    repeat purchase is not certainly alive.  Every method of
    :class:`BetaGeo` applies, with ``x + 1`` dropout opportunities instead
    of ``x``.

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
    .. math::

        L = \frac{B(a, b+x+1)}{B(a, b)}
        \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
        + \frac{B(a+1, b+x)}{B(a, b)}
        \frac{\Gamma(r+x)\alpha^r}{\Gamma(r)(\alpha+t_x)^{r+x}},

    .. math::

        P(\text{alive} \mid x, t_x, T) = \Big[1 + \frac{a}{b+x}
        \Big(\frac{\alpha+T}{\alpha+t_x}\Big)^{r+x}\Big]^{-1},

    .. math::

        E[Y(t) \mid x, t_x, T] = \frac{a+b+x}{a-1}
        \Big[1 - \Big(\frac{\alpha+T}{\alpha+T+t}\Big)^{r+x}
        {}_2F_1\Big(r+x, b+x+1; a+b+x; \frac{t}{\alpha+T+t}\Big)\Big]
        P(\text{alive} \mid x, t_x, T).

    The expectation is computed as in :meth:`BetaGeo.expected_purchases`,
    as the mean number of purchases before dropping out with
    :math:`p \sim \mathrm{Beta}(a, b+x+1)` (sums of positive terms, never
    the hypergeometric function); a new customer, alive after the first
    purchase with probability :math:`b/(a+b)`, expects
    :math:`\frac{b}{a+b} E_p[(1 - (1 + p\,t/\alpha)^{-r})/p]` with
    :math:`p \sim \mathrm{Beta}(a, b+1)`.

    References
    ----------
    Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation
    and comparison of models for customer base analysis. *International
    Journal of Research in Marketing*, 24(3), 201-209.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> model = relmark.ModifiedBetaGeo.fit(cdnow_sample_summary())
    >>> {name: round(value, 3) for name, value in model.params.items()}
    {'r': 0.525, 'alpha': 6.183, 'a': 0.891, 'b': 1.614}
    >>> one_timer = relmark.CustomerSummary.from_arrays([0], [0.0], [38.86])
    >>> round(float(model.probability_alive(one_timer)[0]), 3)   # BG/NBD would say 1.0
    0.39
    """

    _shift: ClassVar[int] = 1
