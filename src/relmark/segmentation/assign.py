"""Named RFM segments, and giving each customer the first segment whose rule they meet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from relmark.data.summary import CustomerSummary
from relmark.domain.rules import Feature, Features
from relmark.domain.segment import Segment
from relmark.exceptions import ValidationError
from relmark.scoring.rfm import RFMScores

__all__ = ["RFM_SEGMENTS", "assign_segments", "rfm_segments"]

R, FM = Feature("recency_score"), Feature("fm_score")

#: The standard named RFM segments on a grid of the recency score (R) and the
#: combined frequency-monetary score (FM = (F + M + 1) // 2), both 1..5.  The
#: 25 cells are covered exactly once:
#:
#: ====== ================= ================ ================ =============== ===========
#: FM \\ R 1                 2                3                4               5
#: ====== ================= ================ ================ =============== ===========
#: 5      Can't lose them   Can't lose them  Loyal            Champions       Champions
#: 4      At risk           At risk          Loyal            Champions       Champions
#: 3      At risk           At risk          Need attention   Potential loy.  Potential loy.
#: 2      Lost              Hibernating      About to sleep   Potential loy.  Potential loy.
#: 1      Lost              Hibernating      About to sleep   Promising       New
#: ====== ================= ================ ================ =============== ===========
RFM_SEGMENTS: tuple[Segment, ...] = (
    Segment(name="Champions", rule=(R >= 4) & (FM >= 4),
            description="bought recently, buy often and spend the most: reward them"),
    Segment(name="Loyal", rule=(R == 3) & (FM >= 4),
            description="spend well and often, a little less recently: upsell, ask for reviews"),
    Segment(name="Potential loyalists", rule=(R >= 4) & FM.isin([2, 3]),
            description="recent, average frequency and spend: offer membership"),
    Segment(name="New", rule=(R == 5) & (FM == 1),
            description="bought very recently, once or little: onboard them"),
    Segment(name="Promising", rule=(R == 4) & (FM == 1),
            description="recent but small: build the habit with offers"),
    Segment(name="Need attention", rule=(R == 3) & (FM == 3),
            description="average on all counts: limited-time offers"),
    Segment(name="About to sleep", rule=(R == 3) & (FM <= 2),
            description="below average recency and value: reconnect before they lapse"),
    Segment(name="At risk", rule=(R <= 2) & FM.isin([3, 4]),
            description="spent well, long ago: personal win-back"),
    Segment(name="Can't lose them", rule=(R <= 2) & (FM == 5),
            description="the best customers, gone quiet: win them back at any reasonable cost"),
    Segment(name="Hibernating", rule=(R == 2) & (FM <= 2),
            description="long gone, small: low-cost reactivation or let go"),
    Segment(name="Lost", rule=(R == 1) & (FM <= 2),
            description="lowest on all counts: ignore in paid campaigns"),
)  # fmt: skip


def assign_segments(
    features: Features | CustomerSummary,
    segments: Sequence[Segment],
    *,
    default: str | None = None,
) -> NDArray[np.object_]:
    """Return each customer's segment name: the first segment whose rule they meet.

    Parameters
    ----------
    features : CustomerSummary or mapping of str to array_like
        Columns the rules use.
    segments : sequence of Segment
        In priority order.
    default : str, optional
        Name for customers in no segment; None (the default) makes that an
        error naming how many customers and the first one.

    Returns
    -------
    ndarray of str (object)

    Examples
    --------
    >>> from relmark import Feature, Segment, assign_segments
    >>> big = Segment(name="Big", rule=Feature("clv") >= 100)
    >>> assign_segments({"clv": [50, 150]}, [big], default="Other").tolist()
    ['Other', 'Big']
    """
    if not segments:
        raise ValidationError("`segments` must hold at least one Segment")
    for segment in segments:
        if not isinstance(segment, Segment):
            raise TypeError(f"`segments` must hold Segment objects, got {segment!r}")
    masks = [segment.members(features) for segment in segments]
    matched = np.any(masks, axis=0)
    if default is None and not matched.all():
        first = int(np.argmin(matched))
        raise ValidationError(
            f"{int((~matched).sum()):,} customers fall in no segment (first at index {first}); "
            "pass `default=` to name them"
        )
    names = np.array([segment.name for segment in segments] + [default or ""], dtype=object)
    index = np.where(matched, np.argmax(masks, axis=0), len(segments))
    labels: NDArray[np.object_] = names[index]
    return labels


def rfm_segments(scores: RFMScores, segments: Sequence[Segment] = RFM_SEGMENTS) -> NDArray[Any]:
    """Return each customer's named RFM segment (for ``k = 5`` scores by default).

    Parameters
    ----------
    scores : RFMScores
        From :func:`relmark.rfm_scores`.
    segments : sequence of Segment, default RFM_SEGMENTS
        Your own grid: rules over ``recency_score``, ``frequency_score``,
        ``monetary_score``, ``fm_score`` or ``rfm_total``.

    Returns
    -------
    ndarray of str (object)

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> labels = relmark.rfm_segments(relmark.rfm_scores(cdnow_sample_summary()))
    >>> int((labels == "Champions").sum()), int((labels == "Lost").sum())
    (501, 455)
    """
    if not isinstance(scores, RFMScores):
        raise TypeError(f"`scores` must be RFMScores, got {type(scores).__name__}")
    if segments is RFM_SEGMENTS and scores.k != 5:
        raise ValidationError(f"the standard RFM segments need k = 5 scores, got k = {scores.k}")
    return assign_segments(scores.features(), segments)
