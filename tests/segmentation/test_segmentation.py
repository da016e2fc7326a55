"""Named segments, lifecycle, ladder, funnel, value tiers, profiles and clustering."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark import RFM_SEGMENTS, CustomerSummary, ValidationError
from relmark.datasets import cdnow_sample_summary


def test_named_rfm_segments_partition_every_cell() -> None:
    cells = np.array(list(itertools.product(range(1, 6), repeat=3)))  # all (R, F, M)
    features = {
        "recency_score": cells[:, 0],
        "fm_score": (cells[:, 1] + cells[:, 2] + 1) // 2,
    }
    membership = np.array([segment.members(features) for segment in RFM_SEGMENTS])
    assert np.all(membership.sum(axis=0) == 1)  # exactly one segment per cell
    assert {s.name for s in RFM_SEGMENTS} == {
        "Champions", "Loyal", "Potential loyalists", "New", "Promising", "Need attention",
        "About to sleep", "At risk", "Can't lose them", "Hibernating", "Lost",
    }  # fmt: skip


def test_assign_segments_needs_coverage_or_a_default() -> None:
    big = relmark.Segment(name="Big", rule=relmark.Feature("clv") > 100)
    with pytest.raises(ValidationError, match="1 customers fall in no segment"):
        relmark.assign_segments({"clv": [50, 150]}, [big])
    assert relmark.assign_segments({"clv": [50, 150]}, [big], default="Rest").tolist() == [
        "Rest",
        "Big",
    ]
    scores = relmark.rfm_scores(cdnow_sample_summary(), k=4)
    with pytest.raises(ValidationError, match="k = 5"):
        relmark.rfm_segments(scores)


@given(
    x=hnp.arrays(np.float64, 40, elements=st.integers(0, 15).map(float)),
    share=hnp.arrays(np.float64, 40, elements=st.floats(0.0, 1.0)),
    alive=hnp.arrays(np.float64, 40, elements=st.floats(0.0, 1.0)),
)
def test_lifecycle_stages_partition_customers(
    x: np.ndarray, share: np.ndarray, alive: np.ndarray
) -> None:
    T = np.full(40, 52.0)
    summary = CustomerSummary.from_arrays(x, np.where(x > 0, share * T, 0.0), T)
    for stages in (
        relmark.lifecycle_stages(summary),
        relmark.lifecycle_stages(summary, probability_alive=alive, longest_pause=share * 30),
    ):
        assert stages.shape == (40,) and set(stages) <= set(relmark.STAGES)


def test_lifecycle_by_hand() -> None:
    summary = CustomerSummary.from_arrays([0, 4, 4, 4, 4], [0.0, 20.0, 20.0, 38.0, 20.0],
                                          [2.0, 24.0, 40.0, 40.0, 44.0])  # fmt: skip
    assert relmark.lifecycle_stages(summary).tolist() == [
        "new", "active", "at risk", "active", "lapsed",
    ]  # fmt: skip
    churned = relmark.lifecycle_stages(summary, probability_alive=[1, 1, 0.05, 1, 1])
    assert churned[2] == "churned"
    back = relmark.lifecycle_stages(summary, longest_pause=[0, 30, 0, 0, 0])
    assert back[1] == "reactivated"


def test_ladder_and_funnel() -> None:
    rungs = relmark.loyalty_ladder(
        purchases=[0, 1, 2, 4, 6, 9],
        satisfaction=[0, 10, 5, 9, 10, 10],
        referrals=[0, 3, 1, 0, 2, 1],
        partner=[False, False, False, False, False, True],
    )
    assert rungs.tolist() == list(relmark.LADDER)
    result = relmark.funnel(rungs, relmark.LADDER)
    assert result.reached.tolist() == [6, 5, 4, 3, 2, 1]
    assert result.conversion.tolist() == pytest.approx([5 / 6, 4 / 5, 3 / 4, 2 / 3, 1 / 2])
    with pytest.raises(ValidationError, match="not in `order`"):
        relmark.funnel(["vip"], relmark.LADDER)


money = hnp.arrays(np.float64, st.integers(1, 80), elements=st.floats(0.0, 1e6))


@given(values=money)
def test_value_tiers_and_concentration(values: np.ndarray) -> None:
    tiers = relmark.value_tiers(values, shares=[0.5, 0.8])
    assert set(tiers) <= {0, 1, 2}
    order = np.argsort(-values, kind="stable")
    assert np.all(np.diff(tiers[order]) >= 0)  # more valuable: never a worse tier
    total = values.sum()
    shares = [values[tiers == t].sum() / total if total else 0 for t in range(3)]
    assert sum(shares) == pytest.approx(1.0 if total else 0.0)
    g = relmark.gini(values)
    assert 0.0 <= g < 1.0
    population, value = relmark.lorenz_curve(values)
    assert value[0] == 0 and value[-1] == pytest.approx(1.0) and population[-1] == 1.0
    assert np.all(np.diff(value) >= -1e-12) and np.all(value <= population + 1e-12)


def test_gini_by_hand() -> None:
    assert relmark.gini([5.0, 5.0, 5.0, 5.0]) == 0.0
    assert relmark.gini([0.0, 0.0, 0.0, 10.0]) == pytest.approx(0.75)  # (n - 1) / n
    assert relmark.gini([1.0, 2.0, 3.0]) == pytest.approx(2 * (1 + 4 + 9) / (3 * 6) - 4 / 3)


def test_profile() -> None:
    profile = relmark.segment_profile(
        ["a", "b", "a", "b"],
        revenue=[10.0, 30.0, 20.0, 40.0],
        clv=[1.0, 2.0, 3.0, 4.0],
        probability_alive=[0.5, 1.0, 0.5, 0.0],
        nps_answers=[10, np.nan, 3, 9],
        engagement=[1.0, 1.0, 3.0, 3.0],
        visits=[1.0, 2.0, 3.0, 4.0],
    )
    assert profile.to_dict() == {
        "segment": ["a", "b"],
        "customers": [2, 2],
        "share": [0.5, 0.5],
        "revenue_share": [0.3, 0.7],
        "mean_clv": [2.0, 3.0],
        "mean_p_alive": [0.5, 0.5],
        "nps": [0.0, 100.0],
        "mean_engagement": [2.0, 2.0],
        "mean_visits": [2.0, 3.0],
    }
    assert sum(profile["customers"]) == 4
    assert len(repr(profile).splitlines()) == 3
    assert "<table>" in profile._repr_html_() and "&lt;" not in profile._repr_html_()
    with pytest.raises(ValidationError):
        relmark.segment_profile(["a"], clv=[1.0, 2.0])


def test_kmeans_is_deterministic_for_a_seed() -> None:
    s = cdnow_sample_summary()
    features = {"frequency": s.frequency, "recency": s.recency, "spend": s.monetary_value}
    first = relmark.kmeans_segments(features, k=4, rng=11)
    again = relmark.kmeans_segments(features, k=4, rng=11)
    assert np.array_equal(first.labels, again.labels)
    assert np.all(np.diff(np.bincount(first.labels)) <= 0)  # ordered by size
    assert sum(seg.members({"cluster": first.labels}).sum() for seg in first.segments) == len(s)
    assert "frequency" in first.segments[0].description
    with pytest.raises(ValidationError):
        relmark.kmeans_segments(features, k=5000)
    with pytest.raises(ValidationError):
        relmark.kmeans_segments({"x": [-1.0, 2.0]}, k=1)
