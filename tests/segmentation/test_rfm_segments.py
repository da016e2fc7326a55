"""Named RFM segments: the standard grid, assignment, partition checks, bad inputs."""

from __future__ import annotations

import itertools

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark import RFM_SEGMENTS, Feature, Segment, ValidationError
from relmark.datasets import cdnow_sample_summary
from relmark.segmentation import check_partition, score_features

R, FM = Feature("recency_score"), Feature("fm_score")
ALL_CELLS = np.array(list(itertools.product(range(1, 6), repeat=3)))  # all 125 (R, F, M)
NAMES = {
    "Champions", "Loyal", "Potential loyalists", "New", "Promising", "Need attention",
    "About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost",
}  # fmt: skip


def _scores(cells: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "recency_score": cells[:, 0],
        "frequency_score": cells[:, 1],
        "monetary_score": cells[:, 2],
    }


def test_standard_grid_covers_every_cell_exactly_once() -> None:
    features = score_features(_scores(ALL_CELLS))
    membership = np.array([segment.members(features) for segment in RFM_SEGMENTS])
    assert np.all(membership.sum(axis=0) == 1)
    assert {segment.name for segment in RFM_SEGMENTS} == NAMES
    grid = check_partition(RFM_SEGMENTS)
    assert len(grid) == 125 and set(grid.values()) == NAMES


def test_standard_grid_by_hand() -> None:
    # (R, F, M) -> FM = (F + M + 1) // 2, read off the documented grid
    expected = {
        (5, 5, 5): "Champions",  # FM 5
        (4, 4, 3): "Champions",  # FM 4
        (3, 5, 4): "Loyal",  # FM 5
        (5, 3, 2): "Potential loyalists",  # FM 3
        (4, 1, 2): "Potential loyalists",  # FM 2
        (5, 1, 1): "New",
        (4, 1, 1): "Promising",
        (3, 2, 3): "Need attention",  # FM 3
        (3, 2, 1): "About to sleep",  # FM 2
        (2, 4, 3): "At risk",  # FM 4
        (1, 3, 2): "At risk",  # FM 3
        (1, 5, 5): "Can't lose them",
        (2, 4, 5): "Can't lose them",  # FM 5
        (2, 1, 2): "Hibernating",  # FM 2
        (1, 2, 1): "Lost",  # FM 2
        (1, 1, 1): "Lost",
    }
    cells = np.array(list(expected))
    labels = relmark.rfm_segments(_scores(cells))
    assert labels.tolist() == list(expected.values())
    grid = check_partition()
    assert all(grid[cell] == name for cell, name in expected.items())


@given(
    cells=hnp.arrays(
        np.int64, st.tuples(st.integers(1, 60), st.just(3)), elements=st.integers(1, 5)
    )
)
def test_named_segments_partition_all_customers(cells: np.ndarray) -> None:
    labels = relmark.rfm_segments(_scores(cells), default=None)  # raises if anyone is missed
    assert labels.shape == (len(cells),) and set(labels) <= NAMES
    features = score_features(_scores(cells))
    hits = np.sum([segment.members(features) for segment in RFM_SEGMENTS], axis=0)
    assert np.all(hits == 1)


def test_accepts_rfm_scores_and_any_object_with_score_attributes() -> None:
    summary = relmark.CustomerSummary.from_arrays(
        [0, 2, 6, 1], [0.0, 20.0, 30.0, 5.0], [30.0] * 4, monetary_value=[0.0, 15.0, 40.0, 3.0]
    )
    scores = relmark.rfm_scores(summary)

    @attrs.frozen
    class Mine:
        recency_score: np.ndarray
        frequency_score: np.ndarray
        monetary_score: np.ndarray

    mine = Mine(scores.recency_score, scores.frequency_score, scores.monetary_score)
    by_class = relmark.rfm_segments(scores)
    assert relmark.rfm_segments(mine).tolist() == by_class.tolist()
    assert relmark.assign_segments(mine, RFM_SEGMENTS).tolist() == by_class.tolist()
    plain = {name: np.asarray(getattr(scores, name)).tolist() for name in Mine.__annotations__}
    assert relmark.rfm_segments(plain).tolist() == by_class.tolist()


def test_custom_grid_and_default() -> None:
    mine = [
        Segment(name="Best", rule=Feature("rfm_total") >= 12),
        Segment(name="Recent", rule=R >= 4),
    ]
    scores = {"recency_score": [5, 4, 1, 2], "frequency_score": [5, 1, 1, 5],
              "monetary_score": [5, 1, 1, 5]}  # fmt: skip
    assert relmark.rfm_segments(scores, mine).tolist() == ["Best", "Recent", "Other", "Best"]
    assert relmark.rfm_segments(scores, mine, default="Rest")[2] == "Rest"
    with pytest.raises(ValidationError, match="1 customers fall in no segment"):
        relmark.rfm_segments(scores, mine, default=None)
    # k = 3 scores on a k = 3 grid
    small = [Segment(name="Top", rule=R == 3), Segment(name="Rest", rule=R <= 2)]
    assert check_partition(small, k=3)[3, 1, 1] == "Top"
    scores = {"recency_score": [3, 1], "frequency_score": [2, 2], "monetary_score": [1, 3]}
    assert relmark.rfm_segments(scores, small, k=3).tolist() == ["Top", "Rest"]


def test_assign_segments_first_match_wins() -> None:
    first = Segment(name="A", rule=Feature("x") > 1)
    second = Segment(name="B", rule=Feature("x") > 0)
    labels = relmark.assign_segments({"x": [2, 1, 0]}, [first, second])
    assert labels.tolist() == ["A", "B", "Other"]
    assert not labels.flags.writeable
    assert relmark.assign_segments({"x": [2, 1]}, [second, first]).tolist() == ["B", "B"]


def test_check_partition_reports_uncovered_and_overlapping_cells() -> None:
    with pytest.raises(ValidationError, match=r"leave 25 of 125 .* uncovered: recency_score=3$"):
        check_partition([Segment(name="Old", rule=R <= 2), Segment(name="New", rule=R >= 4)])
    with pytest.raises(ValidationError, match="uncovered: recency_score=1, fm_score=1; "):
        check_partition(RFM_SEGMENTS[:-1])  # without "Lost"
    with pytest.raises(ValidationError, match=r"overlap on 25 .*recency_score=3 in A and B"):
        check_partition([Segment(name="A", rule=R >= 3), Segment(name="B", rule=R <= 3)])
    with pytest.raises(ValidationError, match="also use clv"):
        check_partition([Segment(name="A", rule=Feature("clv") > 1)])


def test_bad_inputs() -> None:
    ok = {"recency_score": [1, 2], "frequency_score": [1, 2], "monetary_score": [1, 2]}
    with pytest.raises(ValidationError, match=r"`recency_score` must lie in 1..5.*index 1: 6.0"):
        relmark.rfm_segments({**ok, "recency_score": [1, 6]})
    with pytest.raises(ValidationError, match="whole numbers"):
        relmark.rfm_segments({**ok, "monetary_score": [1.5, 2]})
    with pytest.raises(ValidationError, match="needs monetary_score"):
        relmark.rfm_segments({"recency_score": [1], "frequency_score": [1]})
    with pytest.raises(ValidationError, match="same length"):
        relmark.rfm_segments({**ok, "frequency_score": [1]})
    with pytest.raises(ValidationError, match=r"^`frequency_score` must not be NaN; 1 of 2 "):
        relmark.rfm_segments({**ok, "frequency_score": [1, np.nan]})
    with pytest.raises(TypeError, match="must be a mapping or an object"):
        relmark.rfm_segments([1, 2])
    with pytest.raises(ValidationError, match="k = 5"):
        relmark.rfm_segments(ok, k=4)
    with pytest.raises(ValidationError, match="at least one Segment"):
        relmark.assign_segments({"x": [1]}, [])
    with pytest.raises(TypeError, match="Segment objects"):
        relmark.assign_segments({"x": [1]}, ["A"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="one Segment"):
        check_partition(RFM_SEGMENTS[0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`default`"):
        relmark.assign_segments({"x": [1]}, RFM_SEGMENTS, default=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="needs feature"):
        relmark.assign_segments({"x": [1]}, RFM_SEGMENTS)
    scores = relmark.rfm_scores(cdnow_sample_summary(), k=4)
    with pytest.raises(ValidationError, match="k = 5"):
        relmark.rfm_segments(scores)
