"""Feature rules and segments: algebra, evaluation, properties."""

from __future__ import annotations

import ast
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark import Feature, Segment, ValidationError
from relmark.domain.rules import SummaryColumns, summary_features

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


def test_summary_features_are_the_summary_columns() -> None:
    summary = relmark.CustomerSummary.from_arrays(
        [0, 3], [0.0, 9.0], [39.0, 39.0], monetary_value=[0.0, 12.5], customer_id=["a", "b"]
    )
    features = summary_features(summary)
    assert list(features) == ["frequency", "recency", "T", "monetary_value", "customer_id"]
    for name, column in features.items():
        assert column is getattr(summary, name)  # the summary's own read-only arrays
    assert isinstance(summary, SummaryColumns)
    with pytest.raises(TypeError, match=r"expected a CustomerSummary .*, got dict"):
        summary_features({"frequency": [1]})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="features must be a CustomerSummary or a mapping"):
        (Feature("x") > 1).evaluate([1, 2])  # type: ignore[arg-type]


@attrs.frozen
class OwnSummary:
    """Not a CustomerSummary: any object with the summary's columns is evaluated like one."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray | None = None
    customer_id: np.ndarray | None = None


def test_rules_and_segments_evaluate_any_object_with_the_summary_columns() -> None:
    own = OwnSummary(np.array([0.0, 3.0, 8.0]), np.array([0.0, 9.0, 30.0]), np.full(3, 39.0))
    frequent = Segment(name="Frequent", rule=Feature("frequency").between(3, 10))
    assert frequent.members(own).tolist() == [False, True, True]
    assert frequent.size(own) == 2
    assert sorted(summary_features(own)) == ["T", "frequency", "recency"]


DOMAIN = Path(relmark.domain.__file__).parent
#: What the domain layer may import from relmark: checks, errors, the time axis and itself.
ALLOWED = (
    "relmark._validation",
    "relmark.exceptions",
    "relmark.domain",
    "relmark.data.timeaxis",  # the one time axis: a leaf module of checks
)


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda path: path.name)
def test_the_domain_layer_imports_nothing_below_it(module: Path) -> None:
    # data flows top to bottom: domain objects never depend on the columnar containers
    tree = ast.parse(module.read_text(), filename=str(module))
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level == 0
            else []
        )
    ]
    below = [
        name
        for name in imported
        if name.split(".")[0] == "relmark"
        and name != "relmark"
        and not any(name == ok or name.startswith(ok + ".") for ok in ALLOWED)
    ]
    assert below == [], f"{module.name} imports {below}"
