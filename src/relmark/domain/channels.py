"""Where and how a customer meets the firm: channels, offices and kinds of touchpoint."""

from __future__ import annotations

import enum

from relmark._validation import describe
from relmark.exceptions import ValidationError

__all__ = ["Channel", "Office", "TouchpointKind"]


class Office(enum.Enum):
    """Front office (sales, marketing, service the customer sees) or back office.

    Examples
    --------
    >>> from relmark import Channel, Office
    >>> Channel.BILLING.office is Office.BACK
    True
    """

    FRONT = "front"
    BACK = "back"


class _Parsed(enum.Enum):
    """An enum whose members can be given as themselves or as their string value."""

    @classmethod
    def parse(cls, value: object, *, name: str | None = None) -> _Parsed:
        """Return the member for ``value``: a member or its string value.

        Raises ``TypeError`` for other types and :class:`~relmark.ValidationError`
        for unknown strings; ``name``, the argument the value came in, is named
        in both messages.
        """
        if isinstance(value, cls):
            return value
        where = f"`{name}`: " if name else ""
        if not isinstance(value, str):
            shown = describe(value)
            raise TypeError(
                f"`{name}` must be a {cls.__name__} or the string of one, got {shown}"
                if name
                else f"a {cls.__name__} must be given as a member or a string, got {shown}"
            )
        try:
            return cls(value)
        except ValueError:
            known = ", ".join(repr(member.value) for member in cls)
            raise ValidationError(
                f"{where}unknown {cls.__name__} {describe(value)}; expected one of {known}"
            ) from None


class Channel(_Parsed):
    """The channel of a touchpoint, each known as front- or back-office.

    Examples
    --------
    >>> from relmark import Channel
    >>> Channel.parse("email"), Channel.EMAIL.office.value
    (<Channel.EMAIL: 'email'>, 'front')
    """

    EMAIL = "email"
    SOCIAL = "social"
    PHONE = "phone"
    WEB = "web"
    STORE = "store"
    SALES_REP = "sales_rep"
    AFTER_SALES = "after_sales"
    BILLING = "billing"
    APP = "app"
    OTHER = "other"

    @property
    def office(self) -> Office:
        """Whether the channel is front office or back office (after-sales, billing)."""
        return Office.BACK if self in (Channel.AFTER_SALES, Channel.BILLING) else Office.FRONT


class TouchpointKind(_Parsed):
    """What happened at a touchpoint.

    Examples
    --------
    >>> from relmark import TouchpointKind
    >>> TouchpointKind.parse("survey_response")
    <TouchpointKind.SURVEY_RESPONSE: 'survey_response'>
    """

    PURCHASE = "purchase"
    RETURN = "return"
    MESSAGE_SENT = "message_sent"
    MESSAGE_OPENED = "message_opened"
    CLICK = "click"
    VISIT = "visit"
    COMPLAINT = "complaint"
    COMPLAINT_RESPONSE = "complaint_response"
    SUPPORT_REQUEST = "support_request"
    SURVEY_RESPONSE = "survey_response"
    REFERRAL = "referral"
    REWARD_REDEMPTION = "reward_redemption"
    OTHER = "other"
