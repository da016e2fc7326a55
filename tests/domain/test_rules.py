"""Feature rules and segments: algebra, evaluation, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark import Feature, Segment, ValidationError

columns = hnp.arrays(np.float64, st.integers(0, 30), elements=st.floats(-100, 100))


@given(values=columns, threshold=st.floats(-100, 100))
def test_a_rule_and_its_negation_partition_customers(values: np.ndarray, threshold: float) -> None:
    rule = Feature("x") >= threshold
    inside = rule.evaluate({"x": values})
    outside = (~rule).evaluate({"x": values})
    assert not np.any(inside & outside) and np.all(inside | outside)


@given(values=columns, low=st.floats(-100, 100), high=st.floats(-100, 100))
def test_and_or_follow_boolean_algebra(values: np.ndarray, low: float, high: float) -> None:
    a, b = Feature("x") > low, Feature("x") < high
    features = {"x": values}
    both, either = (a & b).evaluate(features), (a | b).evaluate(features)
    assert np.array_equal(both, a.evaluate(features) & b.evaluate(features))
    assert np.array_equal(~either, (~a & ~b).evaluate(features))  # De Morgan


def test_rules_read_naturally() -> None:
    rule = (Feature("frequency") >= 2) & ~(Feature("stage") == "lapsed") | Feature("r").isin([4, 5])
    assert str(rule) == "((frequency >= 2) & ~(stage == 'lapsed')) | (r in [4, 5])"
    assert rule.features == frozenset({"frequency", "stage", "r"})
    mask = rule.evaluate(
        {"frequency": [3, 3, 0], "stage": np.array(["new", "lapsed", "new"]), "r": [1, 1, 5]}
    )
    assert mask.tolist() == [True, False, True]
    assert not mask.flags.writeable


def test_segments_on_summaries() -> None:
    summary = relmark.CustomerSummary.from_arrays([0, 3, 8], [0.0, 9.0, 30.0], [39.0, 39.0, 39.0])
    frequent = Segment(name="Frequent", rule=Feature("frequency").between(3, 10))
    assert frequent.members(summary).tolist() == [False, True, True]
    assert frequent.size(summary) == 2


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Feature(""), ValidationError, "must not be empty"),
        (lambda: Feature(3), TypeError, "must be a string"),  # type: ignore[arg-type]
        (lambda: Feature("x") > float("nan"), ValidationError, "finite"),
        (lambda: Feature("x") > "high", TypeError, "strings compare only"),
        (lambda: Feature("x") > [1], TypeError, "number or a string"),
        (lambda: Feature("x").between(5, 1), ValidationError, "low <= high"),
        (lambda: Feature("x").isin([]), ValidationError, "at least one"),
        (lambda: (Feature("x") > 1) & 3, TypeError, "combines rules"),
        (lambda: Segment(name="", rule=Feature("x") > 1), ValidationError, "`name`"),
        (lambda: Segment(name="a", rule="x > 1"), TypeError, "`rule` must be a Rule"),
    ],
)
def test_bad_rules(build: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        build()  # type: ignore[operator]


def test_missing_features_are_named() -> None:
    with pytest.raises(ValidationError, match="needs feature\\(s\\) clv; available: frequency"):
        (Feature("clv") > 1).evaluate({"frequency": [1]})
    with pytest.raises(ValidationError, match="differ in shape"):
        ((Feature("a") > 1) & (Feature("b") > 1)).evaluate({"a": [1, 2], "b": [1]})
    with pytest.raises(TypeError, match="no truth value"):
        bool(Feature("a") > 1)
