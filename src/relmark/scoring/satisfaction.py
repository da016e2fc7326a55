"""Satisfaction: Net Promoter Score, CSAT and Customer Effort Score, with intervals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from relmark._validation import FloatArray, as_count, as_float_array, as_scalar, check_same_length
from relmark.data.touchpoints import KINDS, TouchpointTable
from relmark.domain.channels import TouchpointKind
from relmark.exceptions import ValidationError

__all__ = ["Score", "ces", "csat", "latest_answers", "nps", "nps_by_group"]

_SURVEY = KINDS.index(TouchpointKind.SURVEY_RESPONSE)


@attrs.frozen(kw_only=True)
class Score:
    """A satisfaction score with its confidence interval.

    Attributes
    ----------
    value : float
        The score (NPS in [-100, 100], CSAT in [0, 100] %, CES on its scale).
    low, high : float
        Confidence interval.
    n : int
        Answers counted.
    shares : mapping of str to float
        For NPS: ``promoters``, ``passives``, ``detractors`` (fractions).

    Examples
    --------
    >>> from relmark import nps
    >>> nps([10, 9, 8, 3]).value
    25.0
    """

    value: float
    low: float
    high: float
    n: int
    shares: Mapping[str, float] = attrs.field(factory=dict)


def _answers(name: str, answers: ArrayLike, low: float, high: float) -> FloatArray:
    values = as_float_array(name, answers)
    if values.size == 0:
        raise ValidationError(f"`{name}` is empty: no answers to score")
    bad = (values < low) | (values > high) | (values != np.floor(values))
    if bad.any():
        first = int(np.argmax(bad))
        raise ValidationError(
            f"`{name}` must hold whole answers from {low:g} to {high:g}; {int(bad.sum()):,} of "
            f"{values.size:,} do not (first at index {first}: {values[first]!r})"
        )
    return values


def _z(confidence: float) -> float:
    level = as_scalar("confidence", confidence, low=0.0, high=1.0, low_open=True, high_open=True)
    return float(norm.ppf(0.5 + level / 2.0))


def nps(answers: ArrayLike, *, confidence: float = 0.95) -> Score:
    r"""Return the Net Promoter Score of 0-10 answers, with a confidence interval.

    Parameters
    ----------
    answers : array_like
        Answers to "How likely are you to recommend us?", whole numbers 0..10.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    Score
        ``value`` = % promoters (9-10) - % detractors (0-6), in [-100, 100].

    Notes
    -----
    With shares :math:`p_P, p_D`, the variance of the score is
    :math:`100^2\,[p_P + p_D - (p_P - p_D)^2]/n` (a difference of two
    multinomial shares); the interval is normal, clipped to [-100, 100].

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard
    Business Review*, 81(12), 46-54.

    Examples
    --------
    >>> from relmark import nps
    >>> score = nps([10, 10, 9, 8, 7, 6, 3, 10, 9, 0])
    >>> score.value, dict(score.shares), (round(score.low, 1), round(score.high, 1))
    (20.0, {'promoters': 0.5, 'passives': 0.2, 'detractors': 0.3}, (-34.0, 74.0))
    """
    values = _answers("answers", answers, 0, 10)
    n = values.size
    promoters = float(np.mean(values >= 9))
    detractors = float(np.mean(values <= 6))
    score = 100.0 * (promoters - detractors)
    spread = 100.0 * np.sqrt(max(promoters + detractors - (promoters - detractors) ** 2, 0.0) / n)
    z = _z(confidence)
    return Score(
        value=score,
        low=float(max(-100.0, score - z * spread)),
        high=float(min(100.0, score + z * spread)),
        n=n,
        shares={
            "promoters": promoters,
            "passives": 1.0 - promoters - detractors,
            "detractors": detractors,
        },
    )


def nps_by_group(
    answers: ArrayLike, groups: ArrayLike, *, confidence: float = 0.95
) -> dict[Any, Score]:
    """Return the NPS of each group (segment, channel, ...) of answers.

    Parameters
    ----------
    answers : array_like
        0-10 answers.
    groups : array_like
        The group of each answer.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    dict
        Group label to :class:`Score`, in sorted label order.

    Examples
    --------
    >>> from relmark import nps_by_group
    >>> {k: v.value for k, v in nps_by_group([10, 2, 9, 9], ["a", "a", "b", "b"]).items()}
    {'a': 0.0, 'b': 100.0}
    """
    values = _answers("answers", answers, 0, 10)
    labels = np.asarray(groups).reshape(-1)
    check_same_length({"answers": values, "groups": labels})
    distinct, of = np.unique(labels, return_inverse=True)
    return {
        label.item() if hasattr(label, "item") else label: nps(
            values[of == i], confidence=confidence
        )
        for i, label in enumerate(distinct)  # a loop over groups, not answers
    }


def csat(answers: ArrayLike, *, scale: int = 5, confidence: float = 0.95) -> Score:
    r"""Return CSAT: the share of satisfied answers (the top two of the scale), in %.

    Parameters
    ----------
    answers : array_like
        Whole answers 1..``scale``.
    scale : int, default 5
        Top of the scale (>= 3).
    confidence : float, default 0.95
        Level of the Wilson interval.

    Returns
    -------
    Score

    Notes
    -----
    Wilson score interval for a proportion :math:`\hat p` of :math:`n`:
    :math:`\frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}`.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA*, 22(158), 209-212.

    Examples
    --------
    >>> from relmark import csat
    >>> score = csat([5, 4, 4, 3, 1])
    >>> score.value, (round(score.low, 1), round(score.high, 1))
    (60.0, (23.1, 88.2))
    """
    top = as_count("scale", scale, minimum=3)
    values = _answers("answers", answers, 1, top)
    n = values.size
    p = float(np.mean(values >= top - 1))
    z = _z(confidence)
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Score(
        value=100.0 * p,
        low=float(100.0 * (center - half)),
        high=float(100.0 * (center + half)),
        n=n,
    )


def ces(answers: ArrayLike, *, scale: int = 7, confidence: float = 0.95) -> Score:
    """Return the Customer Effort Score: the mean answer, with a normal interval.

    Parameters
    ----------
    answers : array_like
        Whole answers 1..``scale`` to "How easy was it to ...?".
    scale : int, default 7
        Top of the scale.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    Score

    References
    ----------
    Dixon, M., Freeman, K. & Toman, N. (2010). Stop trying to delight your
    customers. *Harvard Business Review*, 88(7/8), 116-122.

    Examples
    --------
    >>> from relmark import ces
    >>> round(ces([6, 7, 5, 7]).value, 2)
    6.25
    """
    top = as_count("scale", scale, minimum=2)
    values = _answers("answers", answers, 1, top)
    n = values.size
    mean = float(values.mean())
    spread = float(values.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    z = _z(confidence)
    return Score(value=mean, low=float(mean - z * spread), high=float(mean + z * spread), n=n)


def latest_answers(
    touchpoints: TouchpointTable, *, how: str = "latest"
) -> tuple[NDArray[Any], FloatArray]:
    """Return each surveyed customer's answer: their latest, or the mean of theirs.

    Parameters
    ----------
    touchpoints : TouchpointTable
        Survey responses carry a score.
    how : {"latest", "mean"}
        Which answer per customer.

    Returns
    -------
    customer_id : ndarray
        Sorted customers with at least one answer.
    answer : ndarray

    Examples
    --------
    >>> import relmark
    >>> t = relmark.TouchpointTable.from_arrays(
    ...     ["a", "a", "b"], [1.0, 5.0, 2.0], ["email"] * 3, ["survey_response"] * 3,
    ...     score=[6.0, 9.0, 10.0],
    ... )
    >>> ids, answers = relmark.latest_answers(t)
    >>> ids.tolist(), answers.tolist()
    (['a', 'b'], [9.0, 10.0])
    """
    if how not in ("latest", "mean"):
        raise ValidationError(f"`how` must be 'latest' or 'mean', got {how!r}")
    survey = touchpoints.kind == _SURVEY
    ids = touchpoints.customer_id[survey]
    scores = touchpoints.score[survey]
    customers, owner = np.unique(ids, return_inverse=True)
    if how == "mean":
        totals = np.bincount(owner, weights=scores, minlength=customers.size)
        return customers, totals / np.bincount(owner, minlength=customers.size)
    order = np.lexsort((touchpoints.timestamp[survey], owner))
    last = np.flatnonzero(np.append(owner[order][1:] != owner[order][:-1], True))
    return customers, scores[order][last]
