"""One common mean spend per transaction: Gamma-Gamma's limit when customers do not differ."""

from __future__ import annotations

from typing import ClassVar

import attrs
import numpy as np
from typing_extensions import Self

from relmark._validation import FloatArray, as_instance
from relmark.data.summary import CustomerSummary
from relmark.exceptions import ValidationError
from relmark.models._base import Model, Parameter
from relmark.models._fitting import FitInfo

__all__ = ["CommonMeanSpend"]


@attrs.frozen(kw_only=True, repr=False)
class CommonMeanSpend(Model):
    r"""Every customer is expected to spend the same amount per transaction, ``mean``.

    The limit of the Gamma-Gamma model when customers' spend does not differ:
    as its ``q`` runs to infinity (with ``gamma / q`` fixed) the gamma
    mixing distribution of the spend rate :math:`\nu` collapses to one value,
    and every customer's expected spend, whatever their history, tends to the
    population mean :math:`p\gamma/(q-1)`.  :func:`relmark.score` falls back
    on it, with ``unidentified="limit"``, when a Gamma-Gamma fit finds no
    interior maximum because spend does not vary between customers.

    Parameters
    ----------
    mean : float
        Expected spend per transaction, > 0, in the currency of the data.
    fit_info : None
        Always None: the estimate is a closed form (see :meth:`fit`), not
        the interior maximum of a likelihood.

    Raises
    ------
    TypeError
        If ``mean`` is not a real number.
    ValidationError
        If ``mean`` is not a positive finite number.

    Notes
    -----
    In the limit each transaction's value is :math:`\mathrm{Gamma}(p, \nu)`
    with one :math:`\nu` for everybody, so the mean :math:`m_i` of a
    customer's :math:`x_i` repeat transactions is
    :math:`\mathrm{Gamma}(p x_i, \nu x_i)`.  Whatever ``p``, the maximum
    likelihood estimate of the mean spend :math:`p/\nu` is the pooled mean
    per transaction

    .. math::

        \hat\mu = \frac{\sum_i w_i x_i m_i}{\sum_i w_i x_i},

    total repeat spend over repeat transactions (``w`` the rows' weights).
    When every repeat buyer's mean is the same amount the likelihood has no
    maximum at all (its density at that amount grows without bound as ``p``
    does), yet the estimate is that amount.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary
    value. http://brucehardie.com/notes/025/ (eqs. 1-5: the model whose limit
    this is).

    Examples
    --------
    >>> import relmark
    >>> from relmark.models import CommonMeanSpend
    >>> s = relmark.CustomerSummary.from_arrays(
    ...     [1, 3, 0], [2.0, 9.0, 0.0], [10.0, 10.0, 10.0], monetary_value=[20.0, 40.0, 0.0]
    ... )
    >>> model = CommonMeanSpend.fit(s)          # (1 * 20 + 3 * 40) / (1 + 3)
    >>> model.mean
    35.0
    >>> model.expected_spend(s).tolist()
    [35.0, 35.0, 35.0]
    """

    mean: float
    fit_info: FitInfo | None = attrs.field(default=None, eq=False)

    parameters: ClassVar[tuple[Parameter, ...]] = (Parameter("mean", scale="spend"),)

    @classmethod
    def fit(cls, summary: CustomerSummary) -> Self:
        r"""Estimate the common mean: total repeat spend over repeat transactions.

        Parameters
        ----------
        summary : CustomerSummary
            Customers with ``monetary_value``; only repeat buyers
            (``frequency > 0``) count, each row by its ``weights``.

        Returns
        -------
        CommonMeanSpend

        Raises
        ------
        TypeError
            If ``summary`` is not a CustomerSummary.
        ValidationError
            If ``monetary_value`` is missing, or no repeat buyer spent
            anything.

        Notes
        -----
        :math:`\hat\mu = \sum_i w_i x_i m_i / \sum_i w_i x_i` (class Notes).

        Examples
        --------
        >>> import relmark
        >>> from relmark.models import CommonMeanSpend
        >>> s = relmark.CustomerSummary.from_arrays(
        ...     [2, 2], [5.0, 6.0], [10.0, 10.0], monetary_value=[9.99, 9.99], weights=[3, 1]
        ... )
        >>> CommonMeanSpend.fit(s)
        CommonMeanSpend(mean=9.99)
        """
        x, m, w = _repeat_spend(summary)
        transactions = float(w @ x)
        total = float(w @ (x * m))
        if total <= 0.0:
            raise ValidationError(
                f"the common mean spend needs a repeat buyer who spent something; the "
                f"{transactions:,.0f} repeat transactions of the summary total {total:g}"
            )
        return cls(mean=total / transactions)

    def population_mean_spend(self) -> float:
        """Return the mean spend per transaction, the same for every customer.

        Returns
        -------
        float

        Examples
        --------
        >>> from relmark.models import CommonMeanSpend
        >>> CommonMeanSpend(mean=12.5).population_mean_spend()
        12.5
        """
        return self.mean

    def expected_spend(self, summary: CustomerSummary) -> FloatArray:
        """Return each customer's expected spend per transaction: ``mean`` for everybody.

        Parameters
        ----------
        summary : CustomerSummary
            The customers (``monetary_value`` is not needed).

        Returns
        -------
        ndarray, shape (n,)

        Examples
        --------
        >>> import relmark
        >>> from relmark.models import CommonMeanSpend
        >>> s = relmark.CustomerSummary.from_arrays([0, 4], [0.0, 3.0], [5.0, 5.0])
        >>> CommonMeanSpend(mean=12.5).expected_spend(s).tolist()
        [12.5, 12.5]
        """
        as_instance("summary", summary, CustomerSummary)
        return np.full(len(summary), self.mean)


def _repeat_spend(summary: CustomerSummary) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the repeat buyers' (frequency, monetary_value, weights), checked."""
    as_instance("summary", summary, CustomerSummary)
    if summary.monetary_value is None:
        raise ValidationError(
            "`summary.monetary_value` is missing; the common mean spend needs each customer's "
            "mean spend per repeat transaction"
        )
    repeat = summary.frequency > 0
    if not repeat.any():
        raise ValidationError(
            "the common mean spend needs customers with repeat purchases (`frequency` > 0); "
            f"none of the {len(summary):,} rows has one"
        )
    return summary.frequency[repeat], summary.monetary_value[repeat], summary.weights[repeat]
