"""Named RFM segments, giving each customer the first segment whose rule they meet.

The scores are taken as plain integer arrays (or any object with
``recency_score``, ``frequency_score`` and ``monetary_score`` attributes, such
as :class:`relmark.RFMScores`), so a grid can be checked and applied without
computing scores here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    as_count,
    as_float_array,
    check_same_length,
    check_whole,
    describe,
    fail_rows,
)
from relmark.data.summary import CustomerSummary
from relmark.domain.rules import Feature, Features, SummaryColumns
from relmark.domain.segment import Segment
from relmark.exceptions import ValidationError
from relmark.scoring.rfm import fm_score

__all__ = ["RFM_SEGMENTS", "assign_segments", "check_partition", "rfm_segments"]

#: Most scores per dimension :func:`check_partition` checks: 100**3 = 10**6 cells.
MAX_GRID_SCORES = 100

#: The score columns an RFM grid may use; ``fm_score`` and ``rfm_total`` are derived.
SCORE_FEATURES = ("recency_score", "frequency_score", "monetary_score", "fm_score", "rfm_total")

R, FM = Feature("recency_score"), Feature("fm_score")

#: The standard named RFM segments on a grid of the recency score (R) and the
#: combined frequency-monetary score (FM = (F + M + 1) // 2, the mean of F and
#: M rounded half up), both 1..5.  The 25 cells are covered exactly once
#: (:func:`check_partition` verifies it over all 125 (R, F, M) cells):
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


def _check_segments(segments: Sequence[Segment]) -> tuple[Segment, ...]:
    if isinstance(segments, Segment):
        raise TypeError("`segments` must be a sequence of Segment objects, got one Segment")
    checked = tuple(segments)
    if not checked:
        raise ValidationError("`segments` must hold at least one Segment")
    for segment in checked:
        if not isinstance(segment, Segment):
            raise TypeError(f"`segments` must hold Segment objects, got {describe(segment)}")
    return checked


def _has_scores(value: object) -> bool:
    return all(hasattr(value, name) for name in SCORE_FEATURES[:3])


def score_features(
    scores: Mapping[str, ArrayLike] | Any, *, k: int | None = None
) -> dict[str, NDArray[np.int64]]:
    """Return RFM scores as named features: the three scores, ``fm_score`` and ``rfm_total``.

    Parameters
    ----------
    scores : mapping or object
        ``recency_score``, ``frequency_score`` and ``monetary_score`` as
        integer arrays of equal length, either as keys of a mapping or as
        attributes of an object (:class:`relmark.RFMScores` or your own).
    k : int, optional
        Number of scores per dimension; every score must lie in ``1..k``.
        Default: ``scores.k`` when the object has it, else 5.

    Returns
    -------
    dict of str to ndarray of int64
        Also ``fm_score = (F + M + 1) // 2`` (the mean of F and M, halves up)
        and ``rfm_total = R + F + M``.

    Raises
    ------
    ValidationError
        If a score is missing, not whole, or outside ``1..k``.

    Examples
    --------
    >>> from relmark.segmentation.rfm_segments import score_features
    >>> features = score_features(
    ...     {"recency_score": [5, 1], "frequency_score": [4, 1], "monetary_score": [3, 2]}
    ... )
    >>> features["fm_score"].tolist(), features["rfm_total"].tolist()
    ([4, 2], [12, 4])
    """
    if isinstance(scores, Mapping):
        missing = [name for name in SCORE_FEATURES[:3] if name not in scores]
        if missing:
            raise ValidationError(
                f"`scores` needs {', '.join(missing)}; got {', '.join(map(str, scores)) or 'none'}"
            )
        raw = {name: scores[name] for name in SCORE_FEATURES[:3]}
    elif _has_scores(scores):
        raw = {name: getattr(scores, name) for name in SCORE_FEATURES[:3]}
    else:
        raise TypeError(
            "`scores` must be a mapping or an object with recency_score, frequency_score and "
            f"monetary_score, got {type(scores).__name__}"
        )
    top = getattr(scores, "k", 5) if k is None else k
    top = as_count("k", top, minimum=1)
    columns: dict[str, NDArray[np.int64]] = {}
    for name, value in raw.items():
        array = as_float_array(name, value, noun="customers")
        check_whole(name, array, noun="customers")
        outside = (array < 1) | (array > top)
        fail_rows(name, f"must lie in 1..{top}", outside, array, noun="customers")
        columns[name] = array.astype(np.int64)
    check_same_length(columns)
    return _with_derived(columns)


def _with_derived(columns: dict[str, NDArray[np.int64]]) -> dict[str, NDArray[np.int64]]:
    """Add ``fm_score`` and ``rfm_total`` to checked R, F and M scores; all read-only."""
    r, f, m = (columns[name] for name in SCORE_FEATURES[:3])
    columns["fm_score"] = fm_score(f, m)
    columns["rfm_total"] = r + f + m
    for column in columns.values():
        column.flags.writeable = False
    return columns


def _check_default(default: object) -> str | None:
    if default is not None and not isinstance(default, str):
        raise TypeError(f"`default` must be a string or None, got {type(default).__name__}")
    return default


def assign_segments(
    features: Features | CustomerSummary | Any,
    segments: Sequence[Segment],
    *,
    default: str | None = "Other",
) -> NDArray[np.object_]:
    """Return each customer's segment name: the first segment whose rule they meet.

    Parameters
    ----------
    features : CustomerSummary, mapping of str to array_like, or RFM scores
        Columns the rules use; an object with ``recency_score``,
        ``frequency_score`` and ``monetary_score`` attributes gives those and
        ``fm_score``, ``rfm_total`` (see :func:`score_features`).
    segments : sequence of Segment
        In priority order: a customer meeting several rules gets the first.
    default : str or None, default "Other"
        Name for customers in no segment; None makes that an error naming
        how many customers and the first one.

    Returns
    -------
    ndarray of str (object)
        One name per customer.

    Raises
    ------
    ValidationError
        If ``segments`` is empty, a rule's feature is missing, or (with
        ``default=None``) a customer is in no segment.
    TypeError
        If ``segments`` holds something else than Segment objects.

    Examples
    --------
    >>> from relmark import Feature, Segment, assign_segments
    >>> big = Segment(name="Big", rule=Feature("clv") >= 100)
    >>> assign_segments({"clv": [50, 150]}, [big]).tolist()
    ['Other', 'Big']
    """
    checked = _check_segments(segments)
    name = _check_default(default)
    if not isinstance(features, (Mapping, CustomerSummary)) and _has_scores(features):
        features = score_features(features)
    elif not isinstance(features, (Mapping, SummaryColumns)):
        raise TypeError(
            "`features` must be a CustomerSummary, a mapping of name to array or RFM scores, "
            f"got {type(features).__name__}"
        )
    return _assign(features, checked, name)


def _assign(
    features: Features | SummaryColumns, checked: tuple[Segment, ...], default: str | None
) -> NDArray[np.object_]:
    """Name each customer's first matching segment (the kernel of :func:`assign_segments`)."""
    masks = np.array([segment.members(features) for segment in checked], dtype=bool)
    matched = masks.any(axis=0)
    if default is None and not matched.all():
        first = int(np.argmin(matched))
        raise ValidationError(
            f"{int((~matched).sum()):,} customers fall in no segment (first at index {first}); "
            "pass `default=` to name them"
        )
    names = np.array([segment.name for segment in checked] + [default or ""], dtype=object)
    index = np.where(matched, np.argmax(masks, axis=0), len(checked))
    labels: NDArray[np.object_] = names[index]
    labels.flags.writeable = False
    return labels


def check_partition(
    segments: Sequence[Segment] = RFM_SEGMENTS, *, k: int = 5
) -> dict[tuple[int, int, int], str]:
    """Check that RFM segments cover every score cell exactly once; return the grid.

    Every ``(R, F, M)`` combination in ``1..k`` is evaluated (with the derived
    ``fm_score`` and ``rfm_total``).  Cells in no segment and cells in several
    are reported by the features the rules use, e.g.
    ``recency_score=3, fm_score=1``.

    Parameters
    ----------
    segments : sequence of Segment, default RFM_SEGMENTS
        Rules over ``recency_score``, ``frequency_score``,
        ``monetary_score``, ``fm_score`` and ``rfm_total`` only.
    k : int, default 5
        Number of scores per dimension, 1 to 100 (all ``k**3`` cells are
        evaluated).

    Returns
    -------
    dict of (int, int, int) to str
        The segment of each ``(R, F, M)`` cell.

    Raises
    ------
    ValidationError
        Listing the uncovered and the overlapping cells (up to ten of each),
        naming a rule's feature that is not a score, or for ``k > 100``.

    Examples
    --------
    >>> from relmark import RFM_SEGMENTS, Feature, Segment
    >>> from relmark.segmentation import check_partition
    >>> grid = check_partition(RFM_SEGMENTS)
    >>> len(grid), grid[5, 5, 5], grid[1, 1, 1], grid[2, 5, 5]
    (125, 'Champions', 'Lost', "Can't lose them")
    >>> R = Feature("recency_score")
    >>> check_partition([Segment(name="Recent", rule=R >= 4), Segment(name="Old", rule=R <= 2)])
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: the segments leave 25 of 125 ... uncovered: recency_score=3
    """
    checked = _check_segments(segments)
    top = as_count(
        "k",
        k,
        minimum=1,
        maximum=MAX_GRID_SCORES,
        why="k**3 (R, F, M) cells are each checked against every segment",
    )
    used = frozenset().union(*(segment.rule.features for segment in checked))
    unknown = sorted(used - set(SCORE_FEATURES))
    if unknown:
        raise ValidationError(
            f"check_partition checks rules over {', '.join(SCORE_FEATURES)}; "
            f"the segments also use {', '.join(unknown)}"
        )
    cells = np.array(list(itertools.product(range(1, top + 1), repeat=3)), dtype=np.int64)
    features = _with_derived(dict(zip(SCORE_FEATURES[:3], cells.T, strict=True)))
    masks = np.array([segment.members(features) for segment in checked], dtype=bool)
    hits = masks.sum(axis=0)
    shown = [name for name in SCORE_FEATURES if name in used]
    problems = []
    if np.any(hits == 0):
        problems.append(
            f"leave {int((hits == 0).sum())} of {len(cells)} (R, F, M) cells uncovered: "
            + _describe(features, shown, hits == 0)
        )
    if np.any(hits > 1):
        overlaps = [
            f"{cell} in {' and '.join(checked[j].name for j in np.flatnonzero(masks[:, i]))}"
            for cell, i in _distinct(features, shown, hits > 1)
        ]
        problems.append(
            f"overlap on {int((hits > 1).sum())} of {len(cells)} (R, F, M) cells: "
            + "; ".join(overlaps[:10])
            + ("; ..." if len(overlaps) > 10 else "")
        )
    if problems:
        raise ValidationError("the segments " + "; and ".join(problems))
    owner = np.argmax(masks, axis=0)
    return {
        (int(r), int(f), int(m)): checked[j].name
        for (r, f, m), j in zip(cells.tolist(), owner.tolist(), strict=True)
    }


def _distinct(
    features: Mapping[str, NDArray[np.int64]], shown: Sequence[str], rows: NDArray[np.bool_]
) -> list[tuple[str, int]]:
    """Return the distinct cells (by the ``shown`` features) among ``rows``, and a row of each."""
    seen: dict[str, int] = {}
    for i in np.flatnonzero(rows).tolist():
        cell = ", ".join(f"{name}={int(features[name][i])}" for name in shown) or "every cell"
        seen.setdefault(cell, i)
    return list(seen.items())


def _describe(
    features: Mapping[str, NDArray[np.int64]], shown: Sequence[str], rows: NDArray[np.bool_]
) -> str:
    cells = [cell for cell, _ in _distinct(features, shown, rows)]
    return "; ".join(cells[:10]) + ("; ..." if len(cells) > 10 else "")


def rfm_segments(
    scores: Mapping[str, ArrayLike] | Any,
    segments: Sequence[Segment] = RFM_SEGMENTS,
    *,
    k: int | None = None,
    default: str | None = "Other",
) -> NDArray[np.object_]:
    """Return each customer's named RFM segment (the standard grid needs ``k = 5`` scores).

    Parameters
    ----------
    scores : RFMScores, object or mapping
        ``recency_score``, ``frequency_score`` and ``monetary_score`` per
        customer (integers in ``1..k``): :func:`relmark.rfm_scores`' result,
        any object with those attributes, or a mapping of plain int arrays.
    segments : sequence of Segment, default RFM_SEGMENTS
        Your own grid, in priority order: rules over ``recency_score``,
        ``frequency_score``, ``monetary_score``, ``fm_score`` (``(F + M + 1)
        // 2``) or ``rfm_total`` (``R + F + M``).
    k : int, optional
        Number of scores per dimension; default ``scores.k`` when present,
        else 5.
    default : str or None, default "Other"
        Name for customers in no segment (never needed with the standard
        grid); None makes that an error.

    Returns
    -------
    ndarray of str (object)

    Raises
    ------
    ValidationError
        If scores lie outside ``1..k``, or the standard grid is used with
        ``k != 5``.

    Examples
    --------
    >>> import relmark
    >>> relmark.rfm_segments({"recency_score": [5, 5, 1, 2],
    ...                       "frequency_score": [5, 1, 1, 5],
    ...                       "monetary_score": [4, 1, 2, 5]}).tolist()
    ['Champions', 'New', 'Lost', "Can't lose them"]
    >>> from relmark.datasets import cdnow_sample_summary
    >>> labels = relmark.rfm_segments(relmark.rfm_scores(cdnow_sample_summary()))
    >>> int((labels == "Champions").sum()), int((labels == "Lost").sum())
    (500, 455)
    """
    features = score_features(scores, k=k)
    top = getattr(scores, "k", 5) if k is None else k
    if segments is RFM_SEGMENTS and top != 5:
        raise ValidationError(f"the standard RFM segments need k = 5 scores, got k = {top}")
    return _assign(features, _check_segments(segments), _check_default(default))
