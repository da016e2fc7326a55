"""Loyalty programs: how points are earned and valued, and the tiers they unlock."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Literal

import attrs

from relmark._validation import as_choice, as_probability, as_scalar, as_text, describe
from relmark.exceptions import ValidationError

__all__ = ["LoyaltyProgram", "Tier"]


def _name(value: object) -> str:
    return as_text("name", value)


def _threshold(value: object) -> float:
    return as_scalar("threshold", value, low=0.0)


def _multiplier(value: object) -> float:
    return as_scalar("multiplier", value, low=0.0, low_open=True)


def _points_per_unit(value: object) -> float:
    return as_scalar("points_per_unit", value, low=0.0)


def _point_value(value: object) -> float:
    return as_scalar("point_value", value, low=0.0)


def _expiry(value: object) -> float | None:
    return (
        None if value is None else as_scalar("points_expire_after", value, low=0.0, low_open=True)
    )


def _breakage(value: object) -> float:
    return as_probability("expected_breakage", value, high_open=True)


def _window(value: object) -> float:
    return as_scalar("qualifying_window", value, low=0.0, low_open=True)


def _benefits(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"`benefits` must be a sequence of strings, got {describe(value)}")
    if not all(isinstance(item, str) for item in value):
        raise TypeError(f"`benefits` must hold strings, got {describe(value)}")
    return tuple(value)


@attrs.frozen(kw_only=True)
class Tier:
    """A level of a loyalty program, reached at a threshold of points or spend.

    Parameters
    ----------
    name : str
        E.g. ``"Gold"``.
    threshold : float
        Points (or spend) in the qualifying window needed to reach it (>= 0).
    benefits : sequence of str, optional
        What members of the tier get.
    multiplier : float, default 1
        Points earned per currency unit are multiplied by this (> 0).

    Examples
    --------
    >>> from relmark import Tier
    >>> Tier(name="Gold", threshold=1000, benefits=["free shipping"], multiplier=1.5)
    Tier(name='Gold', threshold=1000.0, benefits=('free shipping',), multiplier=1.5)
    """

    name: str = attrs.field(converter=_name)
    threshold: float = attrs.field(converter=_threshold)
    benefits: tuple[str, ...] = attrs.field(default=(), converter=_benefits)
    multiplier: float = attrs.field(default=1.0, converter=_multiplier)


def _tiers(value: object) -> tuple[Tier, ...]:
    if isinstance(value, (str, Tier)) or not isinstance(value, Sequence):
        raise TypeError(f"`tiers` must be a sequence of Tier, got {describe(value)}")
    tiers = tuple(value)
    if not tiers:
        raise ValidationError("`tiers` must hold at least one Tier")
    for tier in tiers:
        if not isinstance(tier, Tier):
            raise TypeError(f"`tiers` must hold Tier objects, got {describe(tier)}")
    if tiers[0].threshold != 0.0:
        raise ValidationError(
            f"`tiers` must start with an entry tier at threshold 0, got {tiers[0].threshold!r}"
        )
    for lower, upper in itertools.pairwise(tiers):
        if upper.threshold <= lower.threshold:
            raise ValidationError(
                f"`tiers` thresholds must increase; {upper.name!r} ({upper.threshold:g}) "
                f"follows {lower.name!r} ({lower.threshold:g})"
            )
    names = [tier.name for tier in tiers]
    if len(set(names)) != len(names):
        raise ValidationError(f"`tiers` names must be unique, got {names}")
    return tiers


def _basis(value: object) -> Literal["points", "spend"]:
    return as_choice("tier_basis", value, ("spend", "points"))  # type: ignore[return-value]


@attrs.frozen(kw_only=True)
class LoyaltyProgram:
    """A points-based loyalty program with tiers.

    Parameters
    ----------
    name : str
        The program's name.
    points_per_unit : float
        Points earned per currency unit spent (>= 0), before tier multipliers.
    point_value : float
        What a redeemed point costs the firm, in currency (>= 0).
    tiers : sequence of Tier
        Entry tier first (threshold 0), thresholds strictly increasing,
        names unique.
    points_expire_after : float, optional
        Days after which unredeemed points expire (> 0); None: never.
    expected_breakage : float, default 0
        Share of points expected never to be redeemed, in [0, 1).
    qualifying_window : float, default 365
        Days of activity counted towards a tier (> 0).
    tier_basis : {"spend", "points"}
        Whether tier thresholds are in spend or in points.

    Raises
    ------
    TypeError
        For values of the wrong type.
    ValidationError
        For negative or NaN rates, tiers out of order, breakage outside [0, 1), ...

    Examples
    --------
    >>> from relmark import LoyaltyProgram, Tier
    >>> program = LoyaltyProgram(
    ...     name="Club", points_per_unit=1.0, point_value=0.01,
    ...     tiers=[Tier(name="Member", threshold=0), Tier(name="Gold", threshold=500)],
    ...     points_expire_after=730, expected_breakage=0.2,
    ... )
    >>> [tier.name for tier in program.tiers], program.tier_basis
    (['Member', 'Gold'], 'spend')
    """

    name: str = attrs.field(converter=_name)
    points_per_unit: float = attrs.field(converter=_points_per_unit)
    point_value: float = attrs.field(converter=_point_value)
    tiers: tuple[Tier, ...] = attrs.field(converter=_tiers)
    points_expire_after: float | None = attrs.field(default=None, converter=_expiry)
    expected_breakage: float = attrs.field(default=0.0, converter=_breakage)
    qualifying_window: float = attrs.field(default=365.0, converter=_window)
    tier_basis: Literal["points", "spend"] = attrs.field(default="spend", converter=_basis)
