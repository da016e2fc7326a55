"""Lifecycle stages, the loyalty ladder and funnels (RFM segments, value, profiles and
clustering have their own test files)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark import CustomerSummary, ValidationError


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
    assert result.conversion.tolist() == [5 / 6, 4 / 5, 3 / 4, 2 / 3, 1 / 2]  # ratios of counts
    with pytest.raises(ValidationError, match="not in `order`"):
        relmark.funnel(["vip"], relmark.LADDER)


def test_funnel_groups_stages_by_their_text() -> None:
    # 1 and "1" are one stage, "1"; numpy strings are plain ones
    labels = np.array(["b", 1, "a", "1", np.str_("b")], dtype=object)
    result = relmark.funnel(labels, np.array(["a", "b", "1"]))  # type: ignore[arg-type]
    assert result.stages == ("a", "b", "1")
    assert all(type(stage) is str for stage in result.stages)
    assert result.reached.tolist() == [5, 4, 2]
    assert result.conversion.tolist() == [0.8, 0.5]
    with pytest.raises(
        ValidationError,
        match=r"^stages \['2', 'c'\] are not in `order` \['a', 'b', '1'\]$",
    ):
        relmark.funnel(np.array(["c", 2, "a"], dtype=object), ["a", "b", "1"])
