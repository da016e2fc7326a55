"""Retention against acquisition, retention campaigns and profitability."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import (
    ValidationError,
    acquisition_retention_ratio,
    amortized_acquisition_cost,
    clv_closed_form,
    clv_to_cac,
    payback_period,
    retention_campaign,
    retention_lift_value,
    unprofitable_relationships,
)
from relmark.datasets import cdnow_sample_summary
from tests.strategies import amounts, probabilities


def test_hand_computed_values() -> None:
    assert amortized_acquisition_cost(120.0, 4.0) == 30.0
    assert clv_to_cac(450.0, 150.0) == 3.0
    assert acquisition_retention_ratio(100.0, 20.0) == 5.0
    # payback: 50 * 0.9^t summed reaches 100 after log(1 - 100*0.1/45)/log(0.9) periods
    assert payback_period(100.0, 50.0, 0.9) == pytest.approx(np.log(1 - 10 / 45) / np.log(0.9))
    assert payback_period(0.0, 50.0, 0.9) == 0.0
    assert payback_period(1000.0, 10.0, 0.5) == np.inf
    assert retention_lift_value(100.0, 0.6, 0.1, lift=0.05) == pytest.approx(
        100 * 0.65 / 0.45 - 100 * 0.6 / 0.5
    )


@given(margin=st.floats(1.0, 1e3), retention=st.floats(0.0, 0.9), lift=st.floats(0.001, 0.05))
def test_a_retention_lift_is_worth_more_in_a_loyal_base(
    margin: float, retention: float, lift: float
) -> None:
    gain = retention_lift_value(margin, retention, 0.1, lift=lift)
    loyal_gain = retention_lift_value(margin, retention + 0.04, 0.1, lift=lift)
    assert 0 <= gain <= loyal_gain


def test_payback_is_where_cumulative_margin_reaches_the_cost() -> None:
    n = payback_period(200.0, 60.0, 0.85, 0.05)
    assert clv_closed_form(60.0, 0.85, 0.05, periods=np.floor(n)) < 200.0
    assert clv_closed_form(60.0, 0.85, 0.05, periods=np.ceil(n)) >= 200.0


def test_campaign_by_hand() -> None:
    plan = retention_campaign([0.8, 0.1, 0.5], 0.3, [500.0, 800.0, 20.0], 10.0)
    assert plan.expected_gain.tolist() == pytest.approx([110.0, 14.0, -7.0])
    assert plan.targets.tolist() == [0, 1]
    assert plan.cost == 20.0 and plan.value_saved == pytest.approx(144.0)
    assert plan.net_gain == pytest.approx(124.0)
    nobody = retention_campaign([0.0, 0.0], 0.5, [10.0, 10.0], 1.0)
    assert nobody.targets.size == 0 and nobody.roi == 0.0


@given(
    churn=probabilities(12), save=probabilities(12), value=amounts(12), cost=st.floats(0.0, 100.0)
)
def test_targeting_by_gain_beats_everyone_and_no_one(
    churn: np.ndarray, save: np.ndarray, value: np.ndarray, cost: float
) -> None:
    plan = retention_campaign(churn, save, value, cost)
    everyone = float(np.sum(churn * save * value - cost))
    assert plan.net_gain >= everyone - 1e-9
    assert plan.net_gain >= 0.0
    assert np.all(np.diff(plan.expected_gain[plan.targets]) <= 0)  # best first


def test_churn_from_a_model_feeds_a_campaign() -> None:
    summary = cdnow_sample_summary()
    model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    value = 20.0 * model.expected_purchases(summary, 52.0)
    plan = retention_campaign(1 - model.probability_alive(summary), 0.2, value, 1.0)
    assert 0 < plan.targets.size < len(summary) and plan.roi > 0


def test_unprofitable_relationships() -> None:
    assert unprofitable_relationships([100.0, 300.0], [50.0, 50.0], margin=0.25).tolist() == [
        True,
        False,
    ]
    assert unprofitable_relationships(10.0, 1.0) is False


def test_profitability_from_touchpoints() -> None:
    table = relmark.TouchpointTable.from_arrays(
        ["a", "a", "b", "b"],
        [0.0, 1.0, 2.0, 3.0],
        ["web", "phone", "store", "store"],
        ["purchase", "support_request", "purchase", "return"],
        amount=[100.0, 0.0, 50.0, 20.0],
        cost=[2.0, 15.0, 1.0, 4.0],
    )
    result = relmark.customer_profitability(table, margin=0.3)
    assert result.customer_id.tolist() == ["a", "b"]
    assert result.revenue.tolist() == [100.0, 30.0]
    assert result.cost_to_serve.tolist() == [17.0, 5.0]
    assert result.profit.tolist() == pytest.approx([13.0, 4.0])


def test_profitability_of_unsorted_integer_ids_is_by_customer_in_sorted_order() -> None:
    table = relmark.TouchpointTable.from_arrays(
        [30, 10, 30, 50, 10],
        [0.0, 1.0, 2.0, 3.0, 4.0],
        ["store"] * 5,
        ["purchase", "purchase", "return", "support_request", "purchase"],
        amount=[50.0, 20.0, 10.0, 0.0, 5.0],
        cost=[1.0, 2.0, 3.0, 4.0, 0.0],
    )
    result = relmark.customer_profitability(table, margin=0.5)
    assert result.customer_id.tolist() == [10, 30, 50]
    assert result.revenue.tolist() == [25.0, 40.0, 0.0]
    assert result.cost_to_serve.tolist() == [2.0, 4.0, 4.0]
    assert result.profit.tolist() == [10.5, 16.0, -4.0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: amortized_acquisition_cost(100.0, 0.0),
            r"^`expected_tenure` must be > 0; 1 of 1 ",
        ),
        (lambda: clv_to_cac(100.0, 0.0), r"^`acquisition_cost` must be > 0; 1 of 1 "),
        (lambda: payback_period(100.0, 0.0, 0.5), r"^`margin` must be > 0; 1 of 1 "),
        (
            lambda: retention_lift_value(100.0, 0.97, 0.1, lift=0.05),
            r"^`retention \+ lift` must stay < 1; 1 of 1 .*: 1\.02\)$",
        ),
        (
            lambda: retention_campaign([1.5], 0.5, [1.0], 1.0),
            r"^`churn_probability` must lie in \[0, 1\]; 1 of 1 .*: 1\.5\)$",
        ),
        (
            lambda: retention_campaign([0.5, 0.5], 0.5, [1.0], 1.0),
            r"same length: `churn_probability` has 2, `remaining_value` has 1$",
        ),
        (
            lambda: retention_campaign([0.5], 0.5, [-1.0], 1.0),
            r"^`remaining_value` must be >= 0; 1 of 1 .*: -1\.0\)$",
        ),
        (
            lambda: relmark.customer_profitability(
                relmark.TouchpointTable.from_arrays([1], [0.0], ["web"], ["visit"]), margin=1.5
            ),
            r"^`margin` must be <= 1, got 1\.5$",
        ),
    ],
)
def test_bad_input_raises(call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()
