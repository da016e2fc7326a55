"""Customer, Touchpoint, channels: construction rules and their error messages."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pytest

from relmark import Channel, Customer, Office, Touchpoint, TouchpointKind, ValidationError


def test_every_channel_has_an_office() -> None:
    back = {channel for channel in Channel if channel.office is Office.BACK}
    assert back == {Channel.AFTER_SALES, Channel.BILLING}
    assert Channel.parse("sales_rep") is Channel.SALES_REP
    assert TouchpointKind.parse(TouchpointKind.CLICK) is TouchpointKind.CLICK


@pytest.mark.parametrize("value", ["fax", ""])
def test_unknown_channel_names_the_choices(value: str) -> None:
    with pytest.raises(ValidationError, match=r"unknown Channel .* expected one of .email."):
        Channel.parse(value)


def test_channel_of_wrong_type() -> None:
    with pytest.raises(
        TypeError, match=r"^a Channel must be given as a member or a string, got 3$"
    ):
        Channel.parse(3)


def test_customer_normalises_its_fields() -> None:
    aware = dt.datetime(2024, 1, 3, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    customer = Customer(customer_id=7, acquired_at=aware, acquisition_cost=10, attributes={"a": 1})
    assert customer.acquired_at == np.datetime64("2024-01-03T10:00", "us")  # stored in UTC
    assert customer.acquisition_cost == 10.0
    with pytest.raises(TypeError, match=r"does not support item assignment"):
        customer.attributes["b"] = 2  # type: ignore[index]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"customer_id": ""}, ValidationError, "`customer_id` must not be empty"),
        ({"customer_id": 1.5}, TypeError, "`customer_id` must be a string or an integer"),
        ({"customer_id": True}, TypeError, "`customer_id`"),
        ({"customer_id": "a", "acquisition_cost": -1}, ValidationError, "`acquisition_cost`"),
        ({"customer_id": "a", "acquisition_cost": float("nan")}, ValidationError, "NaN"),
        ({"customer_id": "a", "acquired_at": "yesterday"}, ValidationError, "`acquired_at`"),
        (
            {"customer_id": "a", "acquired_at": "2024-02-30"},
            ValidationError,
            r"^`acquired_at` must be a time .* got '2024-02-30'$",
        ),
        (
            {"customer_id": "a", "acquired_at": "31.01.2024"},
            ValidationError,
            r"^`acquired_at` must be a time .* got '31\.01\.2024'$",
        ),
        (
            {"customer_id": "a", "acquired_at": np.datetime64("NaT")},
            ValidationError,
            r"^`acquired_at` must not be NaT$",
        ),
        (
            {"customer_id": "a", "acquired_at": float("nan")},
            ValidationError,
            r"^`acquired_at` must not be NaN$",
        ),
        ({"customer_id": "a", "acquired_at": True}, TypeError, r"^`acquired_at` must be a time"),
        ({"customer_id": "a", "acquisition_channel": "fax"}, ValidationError, "Channel"),
        ({"customer_id": "a", "attributes": [1]}, TypeError, "`attributes`"),
    ],
)
def test_bad_customers(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        Customer(**kwargs)  # type: ignore[arg-type]


def touchpoint(**changes: object) -> Touchpoint:
    fields: dict[str, object] = {
        "customer_id": "ann",
        "timestamp": "2024-01-03",
        "channel": "web",
        "kind": "purchase",
        "amount": 30.0,
    }
    fields.update(changes)
    return Touchpoint(**fields)  # type: ignore[arg-type]


def test_touchpoint_rules_tie_fields_together() -> None:
    assert touchpoint().amount == 30.0
    assert touchpoint(kind="visit", amount=None).amount is None
    survey = touchpoint(kind="survey_response", amount=None, score=9)
    assert survey.score == 9.0 and survey.timezone_aware is False  # naive ISO text
    assert touchpoint(timestamp=4.5).timestamp == 4.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": None}, "`amount` is required for a purchase"),
        ({"kind": "return", "amount": None}, "`amount` is required for a return"),
        ({"amount": -3.0}, "`amount` must be >= 0"),
        ({"amount": float("inf")}, "`amount` must be finite"),
        ({"cost": -1.0}, "`cost` must be >= 0"),
        ({"kind": "survey_response", "amount": None}, "`score` is required"),
        ({"score": 3.0}, "`score` belongs to survey responses only"),
        ({"kind": "survey_response", "score": float("nan")}, "`score` must not be NaN"),
        ({"timestamp": "not a date"}, "`timestamp`"),
        ({"customer_id": " "}, "`customer_id` must not be empty"),
        ({"kind": "hug"}, "unknown TouchpointKind"),
    ],
)
def test_bad_touchpoints(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        touchpoint(**changes)


def test_touchpoint_wrong_types() -> None:
    with pytest.raises(TypeError, match=r"^`amount` must be a real number, got str$"):
        touchpoint(amount="30")
    with pytest.raises(TypeError, match=r"^`timestamp` must be a time, got bool$"):
        touchpoint(timestamp=True)


@pytest.mark.parametrize(
    "acquired_at",
    [None, "2024-01-03T10:00+02:00", dt.date(2024, 1, 3), np.datetime64("2024-01-03"), 12.5],
)
def test_customers_pickle(acquired_at: object) -> None:
    customer = Customer(
        customer_id="ann",
        acquired_at=acquired_at,
        acquisition_cost=35.0,
        acquisition_channel="social",
        attributes={"region": "north", "tags": ("vip",)},
    )
    copy = pickle.loads(pickle.dumps(customer))
    assert copy == customer
    assert copy.acquired_at == customer.acquired_at and copy.attributes["tags"] == ("vip",)
    with pytest.raises(TypeError, match=r"does not support item assignment"):
        copy.attributes["region"] = "south"  # type: ignore[index]


def test_touchpoint_instants_follow_the_time_axis() -> None:
    assert touchpoint(timestamp="2024-01-03T10:00+02:00").timestamp == np.datetime64(
        "2024-01-03T08:00", "us"
    )
    with pytest.raises(ValidationError, match=r"^`timestamp` must not be NaT$"):
        touchpoint(timestamp=np.datetime64("NaT"))
    with pytest.raises(ValidationError, match=r"^`timestamp` must be a time .* got '2024-13-01'$"):
        touchpoint(timestamp="2024-13-01")
    with pytest.raises(ValidationError, match=r"^`timestamp` is required$"):
        touchpoint(timestamp=None)
