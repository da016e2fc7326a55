"""TouchpointTable and TransactionLog.from_touchpoints."""

from __future__ import annotations

import datetime as dt

import attrs
import numpy as np
import pytest

import relmark
from relmark import Touchpoint, TouchpointTable, TransactionLog, ValidationError


def contacts() -> list[Touchpoint]:
    return [
        Touchpoint(customer_id="ann", timestamp="2024-01-03", channel="web", kind="purchase",
                   amount=30.0, cost=1.0),
        Touchpoint(customer_id="ann", timestamp="2024-01-05", channel="billing", kind="complaint"),
        Touchpoint(customer_id="bob", timestamp="2024-01-04", channel="email",
                   kind="survey_response", score=8),
        Touchpoint(customer_id="bob", timestamp="2024-01-09", channel="store", kind="purchase",
                   amount=12.5),
    ]  # fmt: skip


def test_table_from_objects_equals_table_from_arrays() -> None:
    from_objects = TouchpointTable.from_touchpoints(contacts())
    from_arrays = TouchpointTable.from_arrays(
        customer_id=["ann", "ann", "bob", "bob"],
        timestamp=["2024-01-03", "2024-01-05", "2024-01-04", "2024-01-09"],
        channel=["web", "billing", "email", "store"],
        kind=["purchase", "complaint", "survey_response", "purchase"],
        amount=[30.0, 0.0, 0.0, 12.5],
        cost=[1.0, 0.0, 0.0, 0.0],
        score=[np.nan, np.nan, 8.0, np.nan],
    )
    for name in ("customer_id", "timestamp", "channel", "kind", "amount", "cost"):
        assert np.array_equal(getattr(from_objects, name), getattr(from_arrays, name)), name
    assert np.array_equal(from_objects.score, from_arrays.score, equal_nan=True)
    assert from_objects.is_calendar and repr(from_objects) == "TouchpointTable(4 touchpoints)"
    assert not from_objects.amount.flags.writeable


def test_transaction_log_keeps_the_purchases() -> None:
    log = TransactionLog.from_touchpoints(contacts())
    assert log.customer_id.tolist() == ["ann", "bob"]
    assert log.amount is not None and log.amount.tolist() == [30.0, 12.5]
    same = TransactionLog.from_touchpoints(TouchpointTable.from_touchpoints(contacts()))
    assert np.array_equal(same.timestamp, log.timestamp)


def test_selection_and_kinds() -> None:
    table = TouchpointTable.from_touchpoints(contacts())
    complaints = table.select(table.of_kind(relmark.TouchpointKind.COMPLAINT))
    assert complaints.customer_id.tolist() == ["ann"]
    with pytest.raises(ValidationError, match=r"^`mask` must have one entry per row \(4\)$"):
        table.select([True])


def test_mixed_naive_and_aware_datetimes_are_rejected() -> None:
    naive = Touchpoint(
        customer_id=1, timestamp=dt.datetime(2024, 1, 1), channel="web", kind="visit"
    )
    aware = Touchpoint(
        customer_id=1,
        timestamp=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
        channel="web",
        kind="visit",
    )
    with pytest.raises(ValidationError, match="mixes timezone-aware and naive"):
        TouchpointTable.from_touchpoints([naive, aware])
    with pytest.raises(TypeError, match="not a Touchpoint"):
        TouchpointTable.from_touchpoints([naive, "visit"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channel": ["web", "fax"]}, "`channel` has unknown value 'fax' at index 1"),
        ({"kind": ["visit", "hug"]}, "`kind` has unknown value"),
        ({"amount": [1.0, -1.0]}, "`amount` must be >= 0"),
        ({"amount": None, "kind": ["purchase", "visit"]}, "`amount` is required"),
        ({"cost": [0.0, np.inf]}, "`cost`"),
        ({"score": [np.nan, 3.0]}, "must be NaN \\(absent\\) on other touchpoints"),
        ({"kind": ["survey_response", "visit"], "score": None}, "must be finite on survey"),
        ({"customer_id": ["a", ""]}, "`customer_id` must not be empty"),
        ({"timestamp": ["2024-01-01", "someday"]}, "`timestamp`"),
        ({"timestamp": [1.0]}, "same length"),
    ],
)
def test_bad_columns(changes: dict[str, object], message: str) -> None:
    columns: dict[str, object] = {
        "customer_id": ["a", "b"],
        "timestamp": ["2024-01-01", "2024-01-02"],
        "channel": ["web", "web"],
        "kind": ["visit", "visit"],
    }
    columns.update(changes)
    with pytest.raises(ValidationError, match=message):
        TouchpointTable.from_arrays(**columns)  # type: ignore[arg-type]


def test_the_constructor_and_evolve_check_every_column() -> None:
    table = TouchpointTable.from_touchpoints(contacts())
    with pytest.raises(ValidationError, match=r"^`score` must be finite on survey responses"):
        attrs.evolve(table, score=np.full(4, np.nan))
    with pytest.raises(ValidationError, match=r"^`channel` codes must lie in \[0, 9\]"):
        attrs.evolve(table, channel=np.array([0, 1, 2, 99], dtype=np.int8))
    with pytest.raises(ValidationError, match=r"^`amount` must be >= 0"):
        attrs.evolve(table, amount=[30.0, 0.0, 0.0, -1.0])
    with pytest.raises(ValidationError, match="same length"):
        attrs.evolve(table, cost=[0.0])
    with pytest.raises(ValidationError, match=r"^`timestamp` must be ISO-8601"):
        attrs.evolve(table, timestamp=["2024-01-03", "2024-01-05", "2024-01-04", "09/01/2024"])
    moved = attrs.evolve(table, timestamp=["2024-01-03", "2024-01-05", "2024-01-04", "2024-01-10"])
    assert moved.timestamp[3] == np.datetime64("2024-01-10", "us")
    assert not moved.timestamp.flags.writeable and not moved.channel.flags.writeable
    assert moved.channel.tolist() == table.channel.tolist()  # codes stay codes


def test_numeric_tables_carry_their_unit_into_logs() -> None:
    table = TouchpointTable.from_arrays(
        [1, 1, 2], [0.0, 7.0, 3.0], ["web"] * 3, ["purchase"] * 3, amount=[1.0, 2.0, 3.0], unit="W"
    )
    assert table.unit == "W" and table.select(table.of_kind("purchase")).unit == "W"
    log = TransactionLog.from_touchpoints(table)
    assert log.unit == "W" and log.summarize(10.0, unit="D").T.tolist() == [70.0, 49.0]
    assert TransactionLog.from_touchpoints(table, unit="D").unit == "D"


def test_touchpoint_times_follow_the_time_axis() -> None:
    with pytest.raises(ValidationError, match="YYYYMMDD dates; give date_format='%Y%m%d'"):
        TouchpointTable.from_arrays([1, 2], [20240101, 20240102], ["web"] * 2, ["visit"] * 2)
    dated = TouchpointTable.from_arrays(
        [1, 2], ["03.01.2024", "04.01.2024"], ["web"] * 2, ["visit"] * 2, date_format="%d.%m.%Y"
    )
    assert dated.timestamp.astype(str).tolist()[1][:10] == "2024-01-04"
    numbers = TouchpointTable.from_arrays(
        [1, 2], [20240101, 20240102], ["web"] * 2, ["visit"] * 2, unit="D"
    )
    assert numbers.timestamp.dtype == np.float64
    with pytest.raises(ValidationError, match="must not be missing") as error:
        TouchpointTable.from_arrays([1, 2], ["2024-01-01", None], ["web"] * 2, ["visit"] * 2)
    assert error.value.row == 1


def test_aware_and_naive_text_touchpoints_do_not_mix() -> None:
    aware = Touchpoint(customer_id=1, timestamp="2024-01-01T10:00Z", channel="web", kind="visit")
    naive = Touchpoint(customer_id=1, timestamp="2024-01-01T12:00", channel="web", kind="visit")
    assert aware.timezone_aware is True and naive.timezone_aware is False
    with pytest.raises(ValidationError, match="mixes timezone-aware and naive"):
        TouchpointTable.from_touchpoints([aware, naive])
