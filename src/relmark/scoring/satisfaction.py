"""Satisfaction: Net Promoter Score, CSAT and Customer Effort Score, with intervals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from relmark._validation import (
    FloatArray,
    IntArray,
    as_count,
    as_float_array,
    as_scalar,
    check_same_length,
    describe,
)
from relmark.data._keys import factorize
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
            f"{values.size:,} do not (first at index {first}: {describe(values[first])})"
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
    With :math:`P` promoters and :math:`D` detractors among :math:`n`
    answers, the score is :math:`100\,(P - D)/n` (computed from the counts,
    so rounded once).  With shares :math:`p_P = P/n, p_D = D/n`, the
    variance of the score is :math:`100^2\,[p_P + p_D - (p_P - p_D)^2]/n` (a
    difference of two multinomial shares); the interval is normal, clipped
    to [-100, 100].

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
    z = _z(confidence)
    return _nps_scores(*nps_counts(values, np.zeros(values.size, dtype=np.int64), 1), z)[0]


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
        Group label to :class:`Score`, in sorted label order; each score is
        the one :func:`nps` gives for that group's answers.

    Notes
    -----
    Linear in the number of answers: the groups are coded once and each
    group's promoters, detractors and answers counted by ``np.bincount``
    (a million groups take seconds, most of it building the scores).

    Examples
    --------
    >>> from relmark import nps_by_group
    >>> {k: v.value for k, v in nps_by_group([10, 2, 9, 9], ["a", "a", "b", "b"]).items()}
    {'a': 0.0, 'b': 100.0}
    """
    values = _answers("answers", answers, 0, 10)
    labels = np.asarray(groups).reshape(-1)
    check_same_length({"answers": values, "groups": labels})
    z = _z(confidence)
    distinct, of = factorize(labels)
    scores = _nps_scores(*nps_counts(values, of, distinct.size), z)
    keys = distinct.tolist()  # Python scalars, as ``.item()`` gives
    if distinct.dtype.kind == "O":
        keys = [key.item() if hasattr(key, "item") else key for key in keys]
    return dict(zip(keys, scores, strict=True))


def nps_counts(
    answers: FloatArray, codes: IntArray, k: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Count the promoters (9-10), detractors (0-6) and answers of each group.

    Parameters
    ----------
    answers : ndarray, shape (n,)
        Checked 0-10 answers.
    codes : ndarray of int64, shape (n,)
        Each answer's group, ``0..k-1``.
    k : int
        Number of groups.

    Returns
    -------
    promoters, detractors, answered : ndarray of float64, shape (k,)
        Exact whole counts (sums of ones by ``np.bincount``: linear in ``n``).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.scoring.satisfaction import nps_counts
    >>> counts = nps_counts(np.array([10.0, 3.0, 8.0, 9.0]), np.array([0, 0, 1, 1]), 2)
    >>> [c.tolist() for c in counts]
    [[1.0, 1.0], [1.0, 0.0], [2.0, 2.0]]
    """
    promoters: FloatArray = np.bincount(codes, weights=answers >= 9, minlength=k)  # type: ignore[assignment]
    detractors: FloatArray = np.bincount(codes, weights=answers <= 6, minlength=k)  # type: ignore[assignment]
    answered = np.bincount(codes, minlength=k).astype(np.float64)
    return promoters, detractors, answered


def nps_values(promoters: FloatArray, detractors: FloatArray, answered: FloatArray) -> FloatArray:
    r"""Return the Net Promoter Score of each group from its counts; NaN without answers.

    :math:`100\,(P - D)/n`, one rounding from whole counts.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.scoring.satisfaction import nps_values
    >>> nps_values(np.array([2.0, 0.0]), np.array([1.0, 0.0]), np.array([4.0, 0.0])).tolist()
    [25.0, nan]
    """
    value: FloatArray = np.divide(
        100.0 * (promoters - detractors),
        answered,
        out=np.full(answered.shape, np.nan),
        where=answered > 0,
    )
    return value


def _nps_scores(
    promoters: FloatArray, detractors: FloatArray, answered: FloatArray, z: float
) -> list[Score]:
    """Return each group's :class:`Score` from its counts (every group has answers)."""
    value = nps_values(promoters, detractors, answered)
    p, d = promoters / answered, detractors / answered
    spread = 100.0 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0.0) / answered)
    low = np.maximum(-100.0, value - z * spread)
    high = np.minimum(100.0, value + z * spread)
    passives = 1.0 - p - d
    return [
        Score(
            value=v,
            low=lo,
            high=hi,
            n=int(count),
            shares={"promoters": pp, "passives": pa, "detractors": dd},
        )
        for v, lo, hi, count, pp, pa, dd in zip(
            value.tolist(),
            low.tolist(),
            high.tolist(),
            answered.tolist(),
            p.tolist(),
            passives.tolist(),
            d.tolist(),
            strict=True,
        )
    ]


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
        Sorted customers with at least one answer (none without survey
        responses).
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
    customers, owner = factorize(ids)
    if how == "mean":
        totals = np.bincount(owner, weights=scores, minlength=customers.size)
        return customers, totals / np.bincount(owner, minlength=customers.size)
    order = np.lexsort((touchpoints.timestamp[survey], owner))
    last = np.flatnonzero(np.append(owner[order][1:] != owner[order][:-1], owner.size > 0))
    return customers, scores[order][last]
