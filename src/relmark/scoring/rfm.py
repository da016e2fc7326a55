"""RFM scores: recency, frequency and monetary value as quantile scores 1..k."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray
from scipy.stats import rankdata

from relmark._validation import FloatArray, as_count, readonly
from relmark.data._tables import KEY, PerCustomerTable
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import TransactionLog
from relmark.exceptions import ValidationError

if TYPE_CHECKING:  # the frame libraries are optional: imported only to type their methods
    pass

__all__ = ["RFMScores", "fm_score", "quantile_scores", "rfm_scores"]

Scores = NDArray[np.int8]
_Int = TypeVar("_Int", bound=np.integer[Any])


def quantile_scores(values: FloatArray, k: int) -> Scores:
    r"""Return scores 1..k by quantile: higher values, higher scores; ties share a score.

    Parameters
    ----------
    values : ndarray
        Any finite values.
    k : int
        Number of scores (>= 2).

    Returns
    -------
    ndarray of int8

    Notes
    -----
    With :math:`\bar R_i` the average rank (1-based) of value :math:`i` among
    :math:`n`, :math:`s_i = 1 + \lfloor k(\bar R_i - 1)/n \rfloor`: equal values
    have equal average ranks and so equal scores, whatever their order in
    the input (deterministic), and scores never decrease as values increase.

    Examples
    --------
    >>> from relmark.scoring import quantile_scores
    >>> import numpy as np
    >>> quantile_scores(np.array([10.0, 1.0, 5.0, 5.0, 7.0]), 5).tolist()
    [5, 1, 2, 2, 4]
    """
    if values.size == 0:
        return np.zeros(0, dtype=np.int8)
    ranks = rankdata(values, method="average")
    scores: Scores = np.minimum(1 + np.floor(k * (ranks - 1.0) / values.size), k).astype(np.int8)
    return scores


def fm_score(frequency_score: NDArray[_Int], monetary_score: NDArray[_Int]) -> NDArray[_Int]:
    """Return the combined frequency-monetary score: the mean of F and M, halves rounded up.

    The one definition of the FM score that RFM grids (such as
    :data:`relmark.RFM_SEGMENTS`) are drawn on.

    Parameters
    ----------
    frequency_score, monetary_score : ndarray of int, shape (n,)
        Scores ``1..k``, in the same integer dtype.

    Returns
    -------
    ndarray, shape (n,)
        ``(F + M + 1) // 2``, in ``1..k`` and in the scores' dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.scoring import fm_score
    >>> fm_score(np.array([4, 1, 5]), np.array([3, 2, 5])).tolist()
    [4, 2, 5]
    """
    combined = (frequency_score + monetary_score + 1) // 2
    return combined.astype(frequency_score.dtype, copy=False)


@attrs.frozen(kw_only=True)
class RFMScores(PerCustomerTable):
    """RFM scores of each customer, 1 (worst) to ``k`` (best) on each dimension.

    Attributes
    ----------
    customer_id : ndarray or None
        Aligned with the scores.
    recency_score, frequency_score, monetary_score : ndarray of int8
        Higher is better: more recent, more frequent, higher spend.
    k : int
        Number of scores per dimension.

    Examples
    --------
    >>> import relmark
    >>> s = relmark.CustomerSummary.from_arrays([0, 2, 6], [0.0, 20.0, 30.0], [30.0] * 3,
    ...                                         monetary_value=[0.0, 15.0, 40.0])
    >>> scores = relmark.rfm_scores(s, k=3)
    >>> scores.cells.tolist()
    ['111', '222', '333']
    """

    customer_id: NDArray[Any] | None
    recency_score: Scores
    frequency_score: Scores
    monetary_score: Scores
    k: int

    @property
    def fm_score(self) -> Scores:
        """Frequency and monetary combined: ``(F + M + 1) // 2`` (see :func:`fm_score`)."""
        return fm_score(self.frequency_score, self.monetary_score)

    @property
    def total(self) -> NDArray[np.int16]:
        """The sum ``R + F + M``, from 3 to ``3k``."""
        return (
            self.recency_score.astype(np.int16) + self.frequency_score + self.monetary_score
        ).astype(np.int16)

    @property
    def cells(self) -> NDArray[np.str_]:
        """The classic three-digit RFM cell, e.g. ``"545"`` (for ``k <= 9``)."""
        return np.char.add(
            np.char.add(self.recency_score.astype(str), self.frequency_score.astype(str)),
            self.monetary_score.astype(str),
        )

    def features(self) -> dict[str, NDArray[Any]]:
        """Return the scores as named features for segment rules.

        Returns
        -------
        dict of str to ndarray
            ``recency_score``, ``frequency_score``, ``monetary_score``,
            ``fm_score`` and ``rfm_total``.
        """
        return {
            "recency_score": self.recency_score,
            "frequency_score": self.frequency_score,
            "monetary_score": self.monetary_score,
            "fm_score": self.fm_score,
            "rfm_total": self.total,
        }

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the scores as columns: ``customer_id`` (when known), the features, the cell.

        Returns
        -------
        dict of str to ndarray
            ``customer_id``, then the :meth:`features` (``recency_score``,
            ``frequency_score``, ``monetary_score``, ``fm_score``,
            ``rfm_total``) and ``rfm_cell``, the three-digit cell.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([0, 2, 6], [0.0, 20.0, 30.0], [30.0] * 3,
        ...                                         customer_id=["ann", "bob", "cy"])
        >>> columns = relmark.rfm_scores(s, k=3).to_dict()
        >>> list(columns)[0], columns["rfm_cell"].tolist()
        ('customer_id', ['111', '222', '333'])
        """
        columns: dict[str, NDArray[Any]] = {}
        if self.customer_id is not None:
            columns[KEY] = self.customer_id
        columns.update(self.features())
        columns["rfm_cell"] = self.cells
        return columns


def rfm_scores(data: CustomerSummary | TransactionLog, *, k: int = 5) -> RFMScores:
    r"""Score every customer on recency, frequency and monetary value.

    Parameters
    ----------
    data : CustomerSummary or TransactionLog
        A summary, or a log (summarised up to its last purchase, in days).
    k : int, default 5
        Scores per dimension (2 to 9).

    Returns
    -------
    RFMScores

    Notes
    -----
    - **Recency** is the time since the last purchase, :math:`T - t_x`: the
      shorter, the higher the score.
    - **Frequency** is the number of repeat purchases :math:`x`.
    - **Monetary** is the mean spend of the repeat purchases.
    - Scores are quantile scores (:func:`quantile_scores`): ties share a
      score, deterministically.
    - Customers **without repeat purchases** have no repeat frequency or spend
      to rank: they get ``F = 1`` and ``M = 1`` explicitly, and the other
      customers are ranked among themselves into scores 2..k (1..k when
      every customer has repeated).  A summary without spend scores ``M``
      like ``F``.

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Probus; Fader,
    Hardie & Lee (2005), "RFM and CLV".

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> scores = relmark.rfm_scores(cdnow_sample_summary())
    >>> int((scores.frequency_score == 1).sum())   # the 1,411 one-time buyers
    1411
    >>> sorted(set(scores.recency_score.tolist()))
    [1, 2, 3, 4, 5]
    """
    levels = as_count("k", k, minimum=2)
    if levels > 9:
        raise ValidationError(f"`k` must be at most 9 (one digit per cell), got {levels}")
    if isinstance(data, TransactionLog):
        data = data.summarize()
    if not isinstance(data, CustomerSummary):
        raise TypeError(f"expected a CustomerSummary or TransactionLog, got {type(data).__name__}")
    recency = quantile_scores(-(data.T - data.recency), levels)
    repeat = data.frequency > 0
    spend = data.monetary_value if data.monetary_value is not None else data.frequency
    frequency = np.ones(len(data), dtype=np.int8)
    monetary = np.ones(len(data), dtype=np.int8)
    offset = 0 if repeat.all() else 1
    frequency[repeat] = offset + quantile_scores(data.frequency[repeat], levels - offset)
    monetary[repeat] = offset + quantile_scores(spend[repeat], levels - offset)
    return RFMScores(
        customer_id=data.customer_id,
        recency_score=readonly(recency),
        frequency_score=readonly(frequency),
        monetary_score=readonly(monetary),
        k=levels,
    )
