"""A touchpoint: one contact between a customer and the firm, on some channel."""

from __future__ import annotations

from typing import Any

import attrs

from relmark._validation import as_amount, as_customer_id, as_scalar
from relmark.data.timeaxis import as_instant, is_timezone_aware
from relmark.domain.channels import Channel, TouchpointKind
from relmark.exceptions import ValidationError

__all__ = ["Touchpoint"]

NEEDS_AMOUNT = frozenset({TouchpointKind.PURCHASE, TouchpointKind.RETURN})


def _channel(value: object) -> Channel:
    return Channel.parse(value, name="channel")  # type: ignore[return-value]


def _kind(value: object) -> TouchpointKind:
    return TouchpointKind.parse(value, name="kind")  # type: ignore[return-value]


def _score(value: object) -> float | None:
    return None if value is None else as_scalar("score", value)


def _amount(value: object) -> float | None:
    return as_amount("amount", value, optional=True)


def _cost(value: object) -> float:
    return as_scalar("cost", value, low=0.0)


@attrs.frozen(kw_only=True)
class Touchpoint:
    """One contact: a purchase, a return, a message, a complaint, a survey answer, ...

    Parameters
    ----------
    customer_id : str or int
        Who (non-empty).
    timestamp : datetime-like or float
        When: ISO string, ``datetime`` (aware ones are stored in UTC),
        ``numpy.datetime64`` or a number in your time unit.
    channel : Channel or str
        Where (e-mail, store, billing, ...).
    kind : TouchpointKind or str
        What happened.
    amount : float, optional
        Value of a purchase or return (required for those, >= 0).
    cost : float, default 0
        Cost to serve this contact (>= 0).
    score : float, optional
        The answer of a survey response (required for those, only for those).

    Raises
    ------
    TypeError
        For values of the wrong type.
    ValidationError
        For a rule broken: an empty id, a purchase without amount, a negative
        or NaN number, a survey response without score, ...

    Examples
    --------
    >>> import relmark
    >>> buy = relmark.Touchpoint(
    ...     customer_id="ann", timestamp="2024-01-03T10:15", channel="web", kind="purchase",
    ...     amount=30.0, cost=1.5,
    ... )
    >>> buy.kind, buy.channel.office.value
    (<TouchpointKind.PURCHASE: 'purchase'>, 'front')
    >>> relmark.Touchpoint(customer_id="ann", timestamp="2024-02-01", channel="email",
    ...                    kind="survey_response")
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `score` is required for a survey_response touchpoint
    """

    customer_id: str | int = attrs.field(converter=as_customer_id)
    timestamp: Any
    channel: Channel = attrs.field(converter=_channel)
    kind: TouchpointKind = attrs.field(converter=_kind)
    amount: float | None = attrs.field(default=None, converter=_amount)
    cost: float = attrs.field(default=0.0, converter=_cost)
    score: float | None = attrs.field(default=None, converter=_score)
    timezone_aware: bool | None = attrs.field(init=False, eq=False, repr=False, default=None)

    def __attrs_post_init__(self) -> None:
        aware = is_timezone_aware(self.timestamp)
        object.__setattr__(self, "timestamp", as_instant(self.timestamp, name="timestamp"))
        object.__setattr__(self, "timezone_aware", aware)
        if self.kind in NEEDS_AMOUNT and self.amount is None:
            raise ValidationError(f"`amount` is required for a {self.kind.value} touchpoint")
        if self.kind is TouchpointKind.SURVEY_RESPONSE and self.score is None:
            raise ValidationError("`score` is required for a survey_response touchpoint")
        if self.kind is not TouchpointKind.SURVEY_RESPONSE and self.score is not None:
            raise ValidationError(
                f"`score` belongs to survey responses only, got {self.score!r} "
                f"on a {self.kind.value} touchpoint"
            )
