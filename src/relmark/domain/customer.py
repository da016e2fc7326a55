"""A customer: who they are, when and how they were won, at what cost."""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any, cast

import attrs

from relmark._validation import as_amount, as_customer_id, as_mapping
from relmark.data.timeaxis import as_instant
from relmark.domain.channels import Channel

__all__ = ["Customer"]


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # a copy, so the caller's dict can change without changing the customer
    attributes = dict(as_mapping("attributes", value, of="name to value"))
    return types.MappingProxyType(cast("dict[str, Any]", attributes))


def _optional_channel(value: object) -> Channel | None:
    if value is None:
        return None
    return Channel.parse(value, name="acquisition_channel")  # type: ignore[return-value]


def _acquired_at(value: object) -> Any:
    return None if value is None else as_instant(value, name="acquired_at")


def _acquisition_cost(value: object) -> float | None:
    return as_amount("acquisition_cost", value, optional=True)


@attrs.frozen(kw_only=True)
class Customer:
    """A customer, as applications hold them one at a time.

    Parameters
    ----------
    customer_id : str or int
        Identifier (non-empty).
    acquired_at : datetime-like or float, optional
        When the customer was won (ISO string, ``datetime``, ``numpy.datetime64``
        or a number in your time unit); stored as ``datetime64[us]`` (UTC for
        aware datetimes) or float.
    acquisition_cost : float, optional
        What winning them cost (>= 0).
    acquisition_channel : Channel or str, optional
        Through which channel.
    attributes : mapping, optional
        Free attributes (segment, region, ...); stored read-only.

    Raises
    ------
    TypeError
        For values of the wrong type.
    ValidationError
        For empty ids, NaN or negative costs, unparsable times.

    Examples
    --------
    >>> import relmark
    >>> ann = relmark.Customer(
    ...     customer_id="ann", acquired_at="2024-01-03", acquisition_cost=35.0,
    ...     acquisition_channel="social", attributes={"region": "north"},
    ... )
    >>> ann.acquisition_channel, ann.attributes["region"]
    (<Channel.SOCIAL: 'social'>, 'north')
    """

    customer_id: str | int = attrs.field(converter=as_customer_id)
    acquired_at: Any = attrs.field(default=None, converter=_acquired_at)
    acquisition_cost: float | None = attrs.field(default=None, converter=_acquisition_cost)
    acquisition_channel: Channel | None = attrs.field(default=None, converter=_optional_channel)
    attributes: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)

    def __reduce__(self) -> tuple[Any, ...]:
        # a read-only mapping proxy does not pickle: rebuild from a plain dict
        values = {field.name: getattr(self, field.name) for field in attrs.fields(type(self))}
        values["attributes"] = dict(self.attributes)
        return (_rebuild, (type(self), values))


def _rebuild(cls: type[Customer], values: dict[str, Any]) -> Customer:
    return cls(**values)
