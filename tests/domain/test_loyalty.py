"""Loyalty programs and tiers: validation."""

from __future__ import annotations

import pytest

from relmark import LoyaltyProgram, Tier, ValidationError

TIERS = [Tier(name="Member", threshold=0), Tier(name="Gold", threshold=500, multiplier=2)]


def program(**changes: object) -> LoyaltyProgram:
    fields: dict[str, object] = {
        "name": "Club",
        "points_per_unit": 1,
        "point_value": 0.01,
        "tiers": TIERS,
    }
    fields.update(changes)
    return LoyaltyProgram(**fields)  # type: ignore[arg-type]


def test_a_valid_program() -> None:
    club = program(points_expire_after=365, expected_breakage=0.15, tier_basis="points")
    assert club.tiers[1].multiplier == 2.0 and club.expected_breakage == 0.15


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"tiers": []}, ValidationError, "at least one"),
        ({"tiers": [Tier(name="A", threshold=10)]}, ValidationError, "threshold 0"),
        (
            {"tiers": [Tier(name="A", threshold=0), Tier(name="B", threshold=0)]},
            ValidationError,
            "must increase",
        ),
        (
            {"tiers": [Tier(name="A", threshold=0), Tier(name="A", threshold=5)]},
            ValidationError,
            "unique",
        ),
        ({"tiers": ["Gold"]}, TypeError, "Tier objects"),
        ({"points_per_unit": -1}, ValidationError, "`points_per_unit`"),
        ({"point_value": float("nan")}, ValidationError, "`point_value`"),
        ({"expected_breakage": 1.0}, ValidationError, "`expected_breakage` must be < 1"),
        ({"points_expire_after": 0}, ValidationError, "`points_expire_after`"),
        ({"qualifying_window": -5}, ValidationError, "`qualifying_window`"),
        ({"tier_basis": "visits"}, ValidationError, "`tier_basis`"),
        ({"name": ""}, ValidationError, "`name`"),
        ({"name": None}, TypeError, "`name`"),
    ],
)
def test_bad_programs(changes: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        program(**changes)


def test_bad_tiers() -> None:
    with pytest.raises(ValidationError, match="`multiplier`"):
        Tier(name="A", threshold=0, multiplier=0)
    with pytest.raises(ValidationError, match="`threshold`"):
        Tier(name="A", threshold=-1)
    with pytest.raises(TypeError, match="`benefits`"):
        Tier(name="A", threshold=0, benefits="free coffee")
