"""Loyalty economics: points, tiers, liability, program value and break-even."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import relmark
from relmark import (
    LoyaltyProgram,
    Tier,
    TransactionLog,
    ValidationError,
    assign_tiers,
    break_even_retention_lift,
    loyalty_program_value,
    points_balance,
    points_liability,
    qualifying_totals,
)
from tests.strategies import amounts

CLUB = LoyaltyProgram(
    name="Club",
    points_per_unit=1.0,
    point_value=0.01,
    tiers=[
        Tier(name="Member", threshold=0),
        Tier(name="Silver", threshold=100, multiplier=1.5),
        Tier(name="Gold", threshold=500, multiplier=2.0),
    ],
    points_expire_after=365,
    expected_breakage=0.2,
    qualifying_window=365,
)


def log() -> TransactionLog:
    return TransactionLog.from_arrays(
        ["a", "a", "b", "c"],
        ["2022-01-10", "2024-01-10", "2024-02-01", "2024-02-20"],
        [300.0, 120.0, 600.0, 10.0],
    )


def test_points_tiers_and_expiry_by_hand() -> None:
    ids, totals = qualifying_totals(CLUB, log(), as_of="2024-03-01")
    assert ids.tolist() == ["a", "b", "c"] and totals.tolist() == [120.0, 600.0, 10.0]
    assert assign_tiers(CLUB, totals).tolist() == [1, 2, 0]
    balance = points_balance(CLUB, log(), as_of="2024-03-01", redeemed=[100.0, 0.0, 0.0])
    # a: (300 + 120) * 1.5 earned; the 450 old points expire except the 100 redeemed
    assert balance.earned.tolist() == [630.0, 1200.0, 10.0]
    assert balance.expired.tolist() == [350.0, 0.0, 0.0]
    assert balance.outstanding.tolist() == [180.0, 1200.0, 10.0]
    assert points_liability(CLUB, balance.outstanding).tolist() == pytest.approx([1.44, 9.6, 0.08])


def test_points_follow_each_customer_with_unsorted_integer_ids() -> None:
    purchases = TransactionLog.from_arrays(
        [30, 10, 30, 50, 10],
        ["2022-01-10", "2024-01-10", "2024-02-01", "2024-02-20", "2024-02-25"],
        [300.0, 120.0, 60.0, 10.0, 5.0],
    )
    ids, totals = qualifying_totals(CLUB, purchases, as_of="2024-03-01")
    assert ids.tolist() == [10, 30, 50] and totals.tolist() == [125.0, 60.0, 10.0]
    balance = points_balance(CLUB, purchases, as_of="2024-03-01")
    assert balance.customer_id.tolist() == [10, 30, 50]
    # 10: Silver, (120 + 5) * 1.5; 30: Member, its 300 points of 2022 expired
    assert balance.earned.tolist() == [187.5, 360.0, 10.0]
    assert balance.expired.tolist() == [0.0, 300.0, 0.0]
    assert balance.outstanding.tolist() == [187.5, 60.0, 10.0]


def test_liability_change_over_time() -> None:
    dates = ["2024-01-15", "2024-02-15", "2024-03-15"]
    liabilities = [points_liability(CLUB, points_balance(CLUB, log(), as_of=d).outstanding).sum()
                   for d in dates]  # fmt: skip
    assert liabilities[0] < liabilities[1] <= liabilities[2]


@given(totals=amounts(20))
def test_tiers_are_monotone_in_points(totals: np.ndarray) -> None:
    order = np.argsort(totals)
    assert np.all(np.diff(assign_tiers(CLUB, totals)[order]) >= 0)


@given(points=amounts(10, max_value=1e9))
def test_liability_is_never_negative(points: np.ndarray) -> None:
    assert np.all(points_liability(CLUB, points) >= 0)


@given(
    retention=st.floats(0.3, 0.9),
    margin=st.floats(0.1, 0.6),
    operating=st.floats(0.0, 5.0),
)
def test_roi_is_zero_at_the_break_even_lift(
    retention: float, margin: float, operating: float
) -> None:
    lift = break_even_retention_lift(
        CLUB, spend=200, margin=margin, retention=retention, discount_rate=0.1,
        operating_cost=operating,
    )  # fmt: skip
    assume(0 < lift < 1 - retention - 1e-6)
    value = loyalty_program_value(
        CLUB, spend=200, margin=margin, retention=retention, retention_lift=lift,
        discount_rate=0.1, operating_cost=operating,
    )  # fmt: skip
    assert value.roi == pytest.approx(0.0, abs=1e-7)


def test_program_value_by_hand() -> None:
    value = loyalty_program_value(
        CLUB, spend=200, margin=0.3, retention=0.7, retention_lift=0.05, discount_rate=0.1
    )
    gain = 60 * 0.75 / 0.35 - 60 * 0.7 / 0.4
    cost = (200 * 0.01 * 0.8) * 0.75 / 0.35  # rewards net of breakage
    assert value.incremental_margin == pytest.approx(gain)
    assert value.cost == pytest.approx(cost)
    assert value.roi == pytest.approx((gain - cost) / cost)
    assert relmark.reward_cost_rate(CLUB) == pytest.approx(0.008)


def test_bad_input_raises() -> None:
    with pytest.raises(ValidationError, match="must not exceed the points earned"):
        points_balance(CLUB, log(), redeemed=[10_000.0, 0.0, 0.0])
    with pytest.raises(ValidationError, match=r"^`outstanding_points` must be >= 0; 1 of 1 "):
        points_liability(CLUB, -1.0)
    with pytest.raises(ValidationError, match=r"^`qualifying` must not be NaN; 1 of 1 "):
        assign_tiers(CLUB, [float("nan")])
    with pytest.raises(ValidationError, match=r"need a log with calendar timestamps$"):
        qualifying_totals(CLUB, TransactionLog.from_arrays([1], [1.0], [1.0]))
    with pytest.raises(TypeError, match=r"^`program` must be a LoyaltyProgram, got str$"):
        points_liability("Club", 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^`retention_lift` must be < 0\.3, got 0\.4$"):
        loyalty_program_value(
            CLUB, spend=200, margin=0.3, retention=0.7, retention_lift=0.4, discount_rate=0.1
        )
