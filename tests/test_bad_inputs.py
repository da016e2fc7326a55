"""Bad input to any constructor: a clear error, never NaN, never a changed input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import ValidationError
from tests.strategies import bad_numbers, customer_summaries

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")


def column(n: int, bad: float, at: int, base: float = 1.0) -> np.ndarray:
    values = np.full(n, base)
    values[at % n] = bad
    return values


@given(bad=bad_numbers, n=st.integers(1, 20), at=st.integers(0, 100), which=st.integers(0, 3))
def test_summary_rejects_bad_numbers_without_touching_the_input(
    bad: float, n: int, at: int, which: int
) -> None:
    arrays = [np.ones(n), np.ones(n), np.full(n, 2.0), np.full(n, 5.0)]
    arrays[which] = column(n, bad, at, base=arrays[which][0])
    before = [a.copy() for a in arrays]
    message = (
        rf"^`{SUMMARY_COLUMNS[which]}` must (not be NaN|be finite|be >= 0); "
        rf"1 of {n} rows violate this \(first at index {at % n}[:)]"
    )
    with pytest.raises(ValidationError, match=message):
        relmark.CustomerSummary.from_arrays(*arrays[:3], monetary_value=arrays[3])
    for original, now in zip(before, arrays, strict=True):
        assert np.array_equal(original, now, equal_nan=True)


@given(bad=bad_numbers, n=st.integers(1, 20), at=st.integers(0, 100))
def test_transaction_log_rejects_bad_amounts(bad: float, n: int, at: int) -> None:
    amounts = column(n, bad, at)
    before = amounts.copy()
    with pytest.raises(ValidationError, match="`amount`"):
        relmark.TransactionLog.from_arrays(np.arange(n), np.arange(n, dtype=float), amounts)
    assert np.array_equal(before, amounts, equal_nan=True)


@given(bad=bad_numbers, n=st.integers(1, 20), at=st.integers(0, 100))
def test_touchpoint_table_rejects_bad_costs(bad: float, n: int, at: int) -> None:
    costs = column(n, bad, at)
    with pytest.raises(ValidationError, match="`cost`"):
        relmark.TouchpointTable.from_arrays(
            np.arange(n), np.arange(n, dtype=float), ["web"] * n, ["visit"] * n, cost=costs
        )


SCALAR_FIELDS: list[tuple[Callable[..., Any], str, dict[str, Any]]] = [
    (relmark.Customer, "acquisition_cost", {"customer_id": "a"}),
    (
        relmark.Touchpoint,
        "amount",
        {"customer_id": "a", "timestamp": 0.0, "channel": "web", "kind": "purchase"},
    ),
    (
        relmark.Touchpoint,
        "cost",
        {"customer_id": "a", "timestamp": 0.0, "channel": "web", "kind": "visit"},
    ),
    (relmark.Tier, "threshold", {"name": "Gold"}),
    (
        relmark.LoyaltyProgram,
        "point_value",
        {"name": "Club", "points_per_unit": 1.0, "tiers": [relmark.Tier(name="M", threshold=0)]},
    ),
    (relmark.BetaGeo, "alpha", {"r": 1.0, "a": 1.0, "b": 1.0}),
    (relmark.ParetoNBD, "beta", {"r": 1.0, "alpha": 1.0, "s": 1.0}),
    (relmark.GammaGamma, "q", {"p": 1.0, "gamma": 1.0}),
]


@pytest.mark.parametrize(("build", "field", "others"), SCALAR_FIELDS)
@given(bad=bad_numbers)
def test_scalar_fields_reject_bad_numbers(
    build: Callable[..., Any], field: str, others: dict[str, Any], bad: float
) -> None:
    with pytest.raises(ValidationError, match=f"`{field}`"):
        build(**others, **{field: bad})


@pytest.mark.parametrize(("build", "field", "others"), SCALAR_FIELDS)
@given(data=st.data())
def test_scalar_fields_reject_wrong_types(
    build: Callable[..., Any], field: str, others: dict[str, Any], data: st.DataObject
) -> None:
    optional = field in ("acquisition_cost", "amount")  # these accept None
    choices = ["1", b"1", [1.0], True] + ([] if optional else [None])
    wrong = data.draw(st.sampled_from(choices), label="wrong")
    with pytest.raises(
        TypeError, match=rf"^`{field}` must be a real number, got {type(wrong).__name__}$"
    ):
        build(**others, **{field: wrong})


@given(summary=customer_summaries(max_size=30, max_frequency=50, min_T=1.0, max_T=60.0))
def test_predictions_on_valid_summaries_are_finite(summary: relmark.CustomerSummary) -> None:
    for model in (
        relmark.BetaGeo(r=0.24, alpha=4.4, a=0.79, b=2.4),
        relmark.ModifiedBetaGeo(r=0.52, alpha=6.2, a=0.89, b=1.6),
        relmark.ParetoNBD(r=0.55, alpha=10.6, s=0.61, beta=11.7),
    ):
        assert np.isfinite(model.probability_alive(summary)).all()
        assert np.isfinite(model.expected_purchases(summary, 52.0)).all()
