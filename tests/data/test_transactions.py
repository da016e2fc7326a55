from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import attrs
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark import TransactionLog, ValidationError
from relmark.datasets import cdnow_sample_summary
from tests.strategies import transaction_rows


def _cdnow_sample_log(shared_data: Path) -> TransactionLog:
    raw = np.loadtxt(shared_data / "CDNOW_sample.txt", dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]])
    return TransactionLog.from_arrays(raw[:, 1].astype(int), dates, raw[:, 4].astype(float))


def test_reproduces_the_published_cdnow_summary(shared_data: Path) -> None:
    # The 2,357-customer CDNOW sample summary (Fader & Hardie; file redistributed by
    # lifetimes): calibration ends 1997-09-30, weeks = days / 7, same-day purchases
    # merged, times and spend rounded to two decimals in the file.
    reference = np.genfromtxt(
        shared_data / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )
    summary = _cdnow_sample_log(shared_data).summarize("1997-09-30", unit="W")
    assert summary.customer_id is not None
    np.testing.assert_array_equal(summary.customer_id, reference["ID"].astype(int))
    np.testing.assert_array_equal(summary.frequency, reference["x"])
    half_cent = 0.005 + 1e-9
    np.testing.assert_allclose(summary.recency, reference["t_x"], rtol=0, atol=half_cent)
    np.testing.assert_allclose(summary.T, reference["T"], rtol=0, atol=half_cent)
    assert summary.monetary_value is not None
    np.testing.assert_allclose(summary.monetary_value, reference["zbar"], rtol=0, atol=half_cent)


def test_embedded_sample_equals_shared_file(shared_data: Path) -> None:
    from relmark.datasets import load_cdnow_sample

    shared, embedded = _cdnow_sample_log(shared_data), load_cdnow_sample()
    np.testing.assert_array_equal(shared.customer_id, embedded.customer_id)
    np.testing.assert_array_equal(shared.timestamp, embedded.timestamp)
    assert shared.amount is not None and embedded.amount is not None
    np.testing.assert_array_equal(shared.amount, embedded.amount)


def test_hand_computed_summary_merges_same_day() -> None:
    log = TransactionLog.from_arrays(
        ["b", "a", "a", "a", "a"],
        ["2024-01-10", "2024-01-01", "2024-01-01T15:00", "2024-01-08", "2024-01-22"],
        [1.0, 10.0, 5.0, 7.0, 9.0],
    )
    summary = log.summarize("2024-01-29", unit="D")
    assert summary.customer_id is not None
    assert summary.customer_id.tolist() == ["a", "b"]
    assert summary.frequency.tolist() == [2.0, 0.0]
    assert summary.recency.tolist() == [21.0, 0.0]
    assert summary.T.tolist() == [28.0, 19.0]
    assert summary.monetary_value is not None
    assert summary.monetary_value.tolist() == [8.0, 0.0]
    unmerged = log.summarize("2024-01-29", unit="h", period=None)
    assert unmerged.frequency.tolist() == [3.0, 0.0]
    assert unmerged.recency[0] == 21 * 24


def test_observation_end_drops_later_purchases_and_defaults_to_last() -> None:
    log = TransactionLog.from_arrays([1, 1, 2], [0.0, 10.0, 4.0], unit="D")
    assert log.summarize(5.0).frequency.tolist() == [0.0, 0.0]
    assert log.summarize().T.tolist() == [10.0, 6.0]
    weeks = log.summarize(unit="W")
    assert weeks.unit == "W"
    np.testing.assert_allclose(weeks.T, [10 / 7, 6 / 7])


def test_timestamp_types_give_the_same_summary() -> None:
    days = ["2024-03-01", "2024-03-05", "2024-03-02"]
    ids = [1, 1, 2]
    as_strings = TransactionLog.from_arrays(ids, days)
    as_numpy = TransactionLog.from_arrays(ids, np.array(days, dtype="datetime64[D]"))
    as_datetimes = TransactionLog.from_arrays(ids, [dt.datetime.fromisoformat(d) for d in days])
    as_dates = TransactionLog.from_arrays(ids, [dt.date.fromisoformat(d) for d in days])
    aware = TransactionLog.from_arrays(
        ids, [dt.datetime.fromisoformat(d + "T00:00+00:00") for d in days]
    )
    reference = as_strings.summarize("2024-03-10")
    for log in (as_numpy, as_datetimes, as_dates, aware):
        other = log.summarize("2024-03-10")
        np.testing.assert_array_equal(other.T, reference.T)
        np.testing.assert_array_equal(other.recency, reference.recency)


def test_from_frame_pandas_and_polars() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    data = {"who": [1, 1, 2], "when": ["2024-01-01", "2024-01-03", "2024-01-02"], "v": [1.0, 2, 3]}
    pandas_frame = pd.DataFrame(data)
    pandas_frame["when"] = pd.to_datetime(pandas_frame["when"])
    before = pandas_frame.copy()
    from_pandas = TransactionLog.from_frame(
        pandas_frame, customer_id="who", timestamp="when", amount="v"
    )
    pd.testing.assert_frame_equal(pandas_frame, before)
    polars_frame = pl.DataFrame(data).with_columns(pl.col("when").str.to_datetime())
    from_polars = TransactionLog.from_frame(
        polars_frame, customer_id="who", timestamp="when", amount="v"
    )
    for log in (from_pandas, from_polars):
        assert log.summarize().frequency.tolist() == [1.0, 0.0]
    with pytest.raises(ValidationError, match=r"^`customer_id` column 'nope' is not in the table"):
        TransactionLog.from_frame(pandas_frame, customer_id="nope", timestamp="when")
    with pytest.raises(TypeError, match=r"^`frame` must be a table \(pandas, polars or pyarrow"):
        TransactionLog.from_frame([1, 2], customer_id="who", timestamp="when")


class ArrowStream:
    """A table known only by the Arrow PyCapsule stream protocol (no frame library)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        return self.table.__arrow_c_stream__(requested_schema)


def test_from_frame_reads_every_table_through_arrow() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    columns = {
        "client": ["b", "a", "b", "a"],
        "day": ["2024-01-03", "2024-01-01", "2024-01-09", "2024-01-01"],
        "spend": [3.0, 10.0, -3.0, 5.0],
    }
    table = pa.table(columns)
    frames = [
        table,
        table.to_batches()[0],
        ArrowStream(table),
        pd.DataFrame(columns),
        pl.DataFrame(columns),
        pa.table({**columns, "client": pa.array(columns["client"]).dictionary_encode()}),
    ]
    expected = TransactionLog.from_arrays(
        np.array(columns["client"]), columns["day"], columns["spend"], returns="net"
    ).summarize("2024-01-31")
    for frame in frames:
        log = TransactionLog.from_frame(
            frame, customer_id="client", timestamp="day", amount="spend", returns="net"
        )
        assert log.customers.tolist() == ["a", "b"] and log.customer_code.tolist() == [1, 0, 1, 0]
        got = log.summarize("2024-01-31")
        for name in ("frequency", "recency", "T", "monetary_value", "customer_id"):
            np.testing.assert_array_equal(getattr(got, name), getattr(expected, name), name)


def test_from_frame_keeps_the_keywords_the_file_reader_uses() -> None:
    table = pa.table({"c": [7, 7], "t": ["31.01.2024", "29.02.2024"], "a": [1.0, -1.0]})
    log = TransactionLog.from_frame(
        table, customer_id="c", timestamp="t", amount="a", unit=None, date_format="%d.%m.%Y",
        returns="drop",
    )  # fmt: skip
    assert len(log) == 1 and log.amount is not None and log.amount.tolist() == [1.0]
    assert log.timestamp[0] == np.datetime64("2024-01-31", "us")


def test_a_pandas_column_of_yyyymmdd_integers_is_refused_or_read_as_dates() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"id": [1, 1, 2], "date": [19970101, 19970315, 19970102]})
    with pytest.raises(ValidationError, match="YYYYMMDD dates; give date_format='%Y%m%d'") as error:
        TransactionLog.from_frame(frame, customer_id="id", timestamp="date")
    assert error.value.argument == "timestamp" and error.value.row == 0
    log = TransactionLog.from_frame(frame, customer_id="id", timestamp="date", date_format="%Y%m%d")
    summary = log.summarize("1997-12-31", unit="W")
    assert summary.T.tolist() == [52.0, 363 / 7]  # weeks, not 10,529 of them
    numbers = TransactionLog.from_frame(frame, customer_id="id", timestamp="date", unit="D")
    assert not numbers.is_calendar and numbers.unit == "D"


@pytest.mark.parametrize(
    ("ids", "times", "amount", "error", "message"),
    [
        ([1, 2], ["2024-01-01", "not a date"], None, ValidationError, "ISO-8601"),
        (
            [1, 2],
            ["2024-01-01", "2024-01-02"],
            [1.0, -2.0],
            ValidationError,
            r"`amount` must be >= 0 \(a refund\? give returns='net'",
        ),
        ([1, 2], [0.0, np.nan], None, ValidationError, "`timestamp` must not be missing"),
        ([1.0, np.nan], [0.0, 1.0], None, ValidationError, "`customer_id` must not be missing"),
        (["a", ""], [0.0, 1.0], None, ValidationError, "`customer_id` must not be missing"),
        (["a", None], [0.0, 1.0], None, ValidationError, "`customer_id` must not be missing"),
        ([1, 2], [0.0, 1.0], [1.0, np.nan], ValidationError, "`amount` must not be missing"),
        ([1, 2], [0.0, 1.0], [1.0, None], ValidationError, "`amount` must not be missing"),
        ([1, 2], [0.0, 1.0], [1.0, np.inf], ValidationError, "`amount` must be finite"),
        ([1], [0.0, 1.0], None, ValidationError, "same length"),
        ([1], "2024-01-01", None, TypeError, "single str"),
        ([1], [0.0], ["x"], ValidationError, r"`amount` must be decimal numbers .*: 'x'\)$"),
        ([1, 2], [0.0, 1.0], ["1", "2,5"], ValidationError, r"decimal numbers .*: '2,5'\)$"),
        ([1], [0.0], [object()], TypeError, r"^`amount` must hold numbers only"),
        ([[1]], [0.0], None, ValidationError, "`customer_id` must be one-dimensional"),
    ],
)
def test_bad_logs(ids: object, times: object, amount: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        TransactionLog.from_arrays(ids, times, amount)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "amount",
    [
        np.array([1.0, np.nan, 2.0]),
        np.array([1.0, None, 2.0], dtype=object),
        pa.array([1.0, None, 2.0]),
        pa.chunked_array([[1.0], [None, 2.0]]),
    ],
)
@pytest.mark.parametrize("returns", ["error", "net", "drop"])
def test_missing_amounts_are_refused_under_every_policy(amount: object, returns: str) -> None:
    with pytest.raises(ValidationError, match=r"^`amount` must not be missing") as error:
        TransactionLog.from_arrays([1, 1, 2], [0.0, 1.0, 2.0], amount, returns=returns)  # type: ignore[arg-type]
    assert error.value.argument == "amount" and error.value.row == 1


def test_arrow_ids_with_nulls_or_empty_strings_are_refused() -> None:
    for ids in (pa.array(["a", None]), pa.array(["a", ""]), pa.array([1.0, float("nan")])):
        with pytest.raises(ValidationError, match="`customer_id` must not be missing") as error:
            TransactionLog.from_arrays(ids, [0.0, 1.0])
        assert error.value.row == 1


# -- refunds ------------------------------------------------------------------------------------


def test_returns_policy_is_checked() -> None:
    with pytest.raises(ValidationError, match=r"^`returns` must be one of 'error', 'net', 'drop'"):
        TransactionLog.from_arrays([1], [0.0], [1.0], returns="keep")
    with pytest.raises(TypeError, match=r"^`returns` must be one of"):
        TransactionLog.from_arrays([1], [0.0], [1.0], returns=None)  # type: ignore[arg-type]


def test_a_refund_is_refused_by_default_naming_its_row() -> None:
    with pytest.raises(ValidationError, match=r"first at index 2: -4\.0\)$") as error:
        TransactionLog.from_arrays([1, 1, 1], [0.0, 1.0, 2.0], [5.0, 3.0, -4.0])
    assert (error.value.argument, error.value.row, error.value.value) == ("amount", 2, "-4.0")


REFUNDS = {
    "customer_id": ["a", "a", "a", "a", "b", "b", "c", "c", "d", "d", "d"],
    "timestamp": [
        "2024-01-01", "2024-01-01T18:00",  # a: bought 50, refunded 20 the same day: nets to 30
        "2024-01-10", "2024-01-10",        # a: bought 8, refunded 8: cancelled
        "2024-01-02", "2024-01-20",        # b: bought 12; a refund in a later period of its own
        "2024-01-05", "2024-01-05",        # c: bought 9, refunded 9: no purchase at all
        "2024-01-03", "2024-01-03",        # d: first period cancelled ...
        "2024-01-15",                      # ... so the first purchase is this one
    ],
    "amount": [50.0, -20.0, 8.0, -8.0, 12.0, -12.0, 9.0, -9.0, 4.0, -5.0, 6.0],
}  # fmt: skip


def test_net_refunds_follow_the_period_rule() -> None:
    log = TransactionLog.from_arrays(**REFUNDS, returns="net")
    assert log.amount is not None and (log.amount < 0).sum() == 5
    summary = log.summarize("2024-01-31")
    assert summary.customer_id is not None and summary.monetary_value is not None
    assert summary.customer_id.tolist() == ["a", "b", "d"]  # c's only period nets to 0
    assert summary.frequency.tolist() == [0.0, 0.0, 0.0]
    assert summary.T.tolist() == [30.0, 29.0, 16.0]  # d starts on the 15th
    assert summary.monetary_value.tolist() == [0.0, 0.0, 0.0]


def test_net_refunds_reduce_the_repeat_value_of_their_period() -> None:
    log = TransactionLog.from_arrays(
        ["a"] * 5,
        ["2024-01-01", "2024-01-08", "2024-01-08", "2024-01-15", "2024-01-15"],
        [10.0, 30.0, -10.0, 0.0, 6.0],
        returns="net",
    )
    summary = log.summarize("2024-01-31")
    assert summary.frequency.tolist() == [2.0] and summary.recency.tolist() == [14.0]
    assert summary.monetary_value is not None and summary.monetary_value.tolist() == [13.0]


def test_dropped_refunds_are_gone_from_the_log() -> None:
    log = TransactionLog.from_arrays(**REFUNDS, returns="drop")
    assert len(log) == 6 and log.amount is not None and log.amount.min() >= 0
    summary = log.summarize("2024-01-31")
    assert summary.customer_id is not None
    assert summary.customer_id.tolist() == ["a", "b", "c", "d"]
    assert summary.frequency.tolist() == [1.0, 0.0, 0.0, 1.0]


def test_split_applies_the_refund_rule_to_the_holdout() -> None:
    log = TransactionLog.from_arrays(
        ["a", "a", "a", "a", "a", "b", "b"],
        ["2024-01-01", "2024-02-03", "2024-02-03", "2024-02-10", "2024-02-10", "2024-01-05",
         "2024-02-20"],
        [10.0, 7.0, -7.0, 9.0, -4.0, 3.0, 5.0],
        returns="net",
    )  # fmt: skip
    split = log.split("2024-01-31", "2024-02-29")
    assert split.calibration.customer_id is not None
    assert split.calibration.customer_id.tolist() == ["a", "b"]
    assert split.holdout_purchases.tolist() == [1.0, 1.0]  # a's 3 February is cancelled
    assert split.holdout_value.tolist() == [5.0, 5.0]
    assert split.holdout_length == 29.0


def refund_oracle(
    ids: np.ndarray, days: np.ndarray, amount: np.ndarray, end: int
) -> dict[int, tuple[float, float, float, float]]:
    """The refund rule written out customer by customer: (x, t_x, T, monetary)."""
    result = {}
    for customer in np.unique(ids):
        periods: dict[float, list[float]] = {}
        for day, value in zip(days[ids == customer], amount[ids == customer], strict=True):
            if day <= end:
                periods.setdefault(float(day), []).append(float(value))
        counted = sorted(
            day for day, values in periods.items() if min(values) >= 0 or sum(values) > 0
        )
        if not counted:
            continue
        values = [sum(periods[day]) for day in counted]
        x = len(counted) - 1
        result[int(customer)] = (
            float(x),
            counted[-1] - counted[0],
            end - counted[0],
            sum(values[1:]) / x if x else 0.0,
        )
    return result


@given(transaction_rows(max_size=60), st.integers(0, 120), st.lists(st.booleans(), max_size=60))
def test_net_summaries_match_the_rule_customer_by_customer(
    drawn: tuple[np.ndarray, np.ndarray, np.ndarray], end: int, negative: list[bool]
) -> None:
    ids, days, amount = drawn
    signs = np.where(np.resize(np.array([*negative, False]), amount.size), -1.0, 1.0)
    amount = amount * signs
    log = TransactionLog.from_arrays(ids, days, amount, unit="D", returns="net")
    expected = refund_oracle(ids, days, amount, end)
    if end < days.min():
        with pytest.raises(ValidationError, match="before every purchase"):
            log.summarize(float(end))
        return
    summary = log.summarize(float(end))
    assert summary.customer_id is not None and summary.monetary_value is not None
    assert summary.customer_id.tolist() == sorted(expected)
    for i, customer in enumerate(summary.customer_id.tolist()):
        x, recency, T, monetary = expected[customer]
        assert (summary.frequency[i], summary.recency[i], summary.T[i]) == (x, recency, T)
        assert summary.monetary_value[i] == pytest.approx(monetary, abs=1e-9)
        assert summary.monetary_value[i] >= 0


# -- the container enforces its invariants ---------------------------------------------------------


def small_log() -> TransactionLog:
    return TransactionLog.from_arrays(["b", "a", "b"], [3.0, 1.0, 5.0], [1.0, 2.0, 3.0], unit="D")


def test_the_log_keeps_ids_factorised_once() -> None:
    log = small_log()
    assert log.customers.tolist() == ["a", "b"] and log.customer_code.tolist() == [1, 0, 1]
    assert log.customer_id.tolist() == ["b", "a", "b"]
    for array in (log.customers, log.customer_code, log.timestamp, log.customer_id):
        assert not array.flags.writeable
    copy = pickle.loads(pickle.dumps(log))
    for name in ("customers", "customer_code", "timestamp", "amount"):
        assert not getattr(copy, name).flags.writeable, name
        np.testing.assert_array_equal(getattr(copy, name), getattr(log, name))
    assert (
        copy.unit == "D"
        and repr(copy) == "TransactionLog(3 purchases, numeric, unit='D' timestamps)"
    )


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"customers": ["b", "a"]}, ValidationError, r"^`customers` must be sorted and distinct"),
        ({"customers": ["a", "a"]}, ValidationError, r"^`customers` must be sorted and distinct"),
        ({"customers": ["a", "b", "c"]}, ValidationError, r"^`customers` must each have a row"),
        ({"customers": ["a", None]}, ValidationError, r"^`customers` must not be missing"),
        ({"customer_code": [0, 2, 1]}, ValidationError, r"^`customer_code` must index `customers`"),
        ({"customer_code": [0, 1]}, ValidationError, "same length"),
        ({"customer_code": [0.0, 1.0, 1.0]}, TypeError, r"^`customer_code` must hold integers"),
        ({"timestamp": [1.0, np.nan, 2.0]}, ValidationError, r"^`timestamp` must not be missing"),
        ({"timestamp": ["2024-01-01"] * 3}, ValidationError, r"^`unit` is only for numeric"),
        ({"amount": [1.0, np.nan, 2.0]}, ValidationError, r"^`amount` must not be missing"),
        ({"amount": [1.0, 2.0]}, ValidationError, "same length"),
        ({"unit": "fortnight"}, ValidationError, r"^`unit` must be one of"),
        (
            {"customers": np.array([1, "a"], dtype=object)},
            TypeError,
            r"^`customers` must be of one orderable type$",
        ),
    ],
)
def test_the_constructor_and_evolve_check_every_field(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    log = small_log()
    with pytest.raises(error, match=message):
        attrs.evolve(log, **changes)  # type: ignore[arg-type]
    fields = {name: getattr(log, name) for name in ("customers", "customer_code", "timestamp")}
    with pytest.raises(error, match=message):
        TransactionLog(**{**fields, "amount": log.amount, "unit": "D", **changes})  # type: ignore[arg-type]


def test_evolve_gives_a_checked_read_only_log() -> None:
    log = small_log()
    refunded = attrs.evolve(log, amount=np.array([1.0, -2.0, 3.0]))  # refunds: allowed in a log
    assert refunded.amount is not None and not refunded.amount.flags.writeable
    assert refunded.summarize(10.0).customer_id.tolist() == ["b"]  # type: ignore[union-attr]
    dated = attrs.evolve(log, timestamp=["2024-01-01"] * 3, unit=None)
    assert dated.is_calendar and dated.timestamp.dtype == np.dtype("datetime64[us]")
    zoned = pa.array([dt.datetime(2024, 1, 1, 23)] * 3, pa.timestamp("s", tz="-02:00"))
    arrow = attrs.evolve(log, timestamp=zoned, unit=None)
    assert arrow.timestamp[0] == np.datetime64("2024-01-01T23:00", "us")  # UTC, as Arrow holds it


def test_split_and_summarize_never_factorise_ids_again(monkeypatch: pytest.MonkeyPatch) -> None:
    import relmark.data._keys as keys

    log = TransactionLog.from_arrays(["x", "y", "x"], [0.0, 1.0, 4.0], unit="D")

    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("factorize called again")

    monkeypatch.setattr(keys, "factorize", forbidden)
    monkeypatch.setattr("relmark.data.transactions.factorize", forbidden)
    assert log.summarize(5.0).frequency.tolist() == [1.0, 0.0]
    assert log.split(2.0, 5.0).holdout_purchases.tolist() == [1.0, 0.0]


# -- instants and units ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("someday", ValidationError, r"^`observation_end` must be a time \(an ISO-8601 string"),
        ("2024-02-30", ValidationError, r"got '2024-02-30'$"),
        (np.datetime64("NaT"), ValidationError, r"^`observation_end` must not be NaT$"),
        (5.0, TypeError, r"^`observation_end` must be a date or datetime for a log with calendar"),
        (True, TypeError, r"^`observation_end` must be a time, got bool$"),
    ],
)
def test_bad_observation_ends(value: object, error: type[Exception], message: str) -> None:
    log = TransactionLog.from_arrays([1, 1], ["2024-01-01", "2024-01-08"])
    with pytest.raises(error, match=message):
        log.summarize(value)
    with pytest.raises(error, match=message.replace("observation_end", "calibration_end")):
        log.split(value, "2024-02-01")


def test_bad_ends_of_numeric_logs_and_splits() -> None:
    log = TransactionLog.from_arrays([1, 1], [0.0, 7.0], unit="D")
    with pytest.raises(ValidationError, match=r"^`observation_end` must not be NaN$"):
        log.summarize(float("nan"))
    with pytest.raises(TypeError, match=r"^`observation_end` must be a number for a log"):
        log.summarize("2024-01-01")
    with pytest.raises(ValidationError, match=r"^`calibration_end` is required$"):
        log.split(None)
    with pytest.raises(ValidationError, match=r"^`calibration_end` \(-1\.0\) is before every"):
        log.split(-1.0)
    empty = TransactionLog.from_arrays(np.zeros(0, np.int64), np.zeros(0), unit="D")
    with pytest.raises(ValidationError, match=r"^the log is empty; give `observation_end`"):
        empty.summarize()
    assert len(empty.summarize(3.0)) == 0


def test_month_units_and_periods() -> None:
    log = TransactionLog.from_arrays(
        ["a", "a", "a", "b"], ["2024-01-20", "2024-01-31", "2024-03-02", "2024-02-10"]
    )
    by_month = log.summarize("2024-04-01", unit="M", period="M")
    assert by_month.unit == "M" and by_month.frequency.tolist() == [1.0, 0.0]
    month = 30.436875
    np.testing.assert_allclose(by_month.recency, [60 / month, 0.0], rtol=1e-15)  # Jan 1 to Mar 1
    np.testing.assert_allclose(
        by_month.T, [91 / month, 60 / month], rtol=1e-15
    )  # from Jan 1, Feb 1
    by_day = log.summarize("2024-04-01", unit="M")
    np.testing.assert_allclose(by_day.recency, [42 / month, 0.0], rtol=1e-15)
    numeric = TransactionLog.from_arrays([1, 1], [0.0, 3.0], unit="M")
    assert numeric.summarize(6.0, unit="D").T.tolist() == pytest.approx([6 * month], rel=1e-15)


def test_aware_iso_strings_are_read_in_utc() -> None:
    log = TransactionLog.from_arrays([1, 1], ["2024-01-01T23:30-01:00", "2024-01-02T00:30Z"])
    assert log.summarize("2024-01-03").frequency.tolist() == [0.0]  # the same UTC day


def test_mixed_naive_and_aware_datetimes_are_rejected() -> None:
    times = [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)]
    with pytest.raises(ValidationError, match="timezone-aware and naive"):
        TransactionLog.from_arrays([1, 1], times)


def test_units_are_checked() -> None:
    assert TransactionLog.from_arrays([1], [0.0], unit="M").unit == "M"
    with pytest.raises(
        ValidationError,
        match=r"^`unit` must be one of 's', 'min', 'h', 'D', 'W', 'M' \(time units; 'M' is an "
        r"average month\), got 'Y'$",
    ):
        TransactionLog.from_arrays([1], [0.0], unit="Y")
    with pytest.raises(TypeError, match=r"^`unit` must be one of 's', .*got int$"):
        TransactionLog.from_arrays([1], [0.0], unit=7)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="only for numeric"):
        TransactionLog.from_arrays([1], ["2024-01-01"], unit="D")
    log = TransactionLog.from_arrays([1, 1], ["2024-01-01", "2024-01-08"])
    with pytest.raises(
        ValidationError, match=r"^`unit` must be one of 's', .* average month\), got 'fortnight'$"
    ):
        log.summarize(unit="fortnight")
    with pytest.raises(
        TypeError,
        match=r"^`observation_end` must be a date or datetime for a log with calendar timestamps, "
        r"got float$",
    ):
        log.summarize(5.0)


def test_split_aligns_holdout_with_calibration() -> None:
    log = TransactionLog.from_arrays(
        [3, 3, 3, 1, 1, 2],
        [0.0, 5.0, 12.0, 1.0, 15.0, 11.0],
        [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
        unit="D",
    )
    split = log.split(10.0, 20.0)
    assert split.calibration.customer_id is not None
    assert split.calibration.customer_id.tolist() == [1, 3]
    assert split.holdout_purchases.tolist() == [1.0, 1.0]
    assert split.holdout_value.tolist() == [16.0, 4.0]
    assert split.holdout_length == 10.0
    with pytest.raises(
        ValidationError,
        match=r"^`observation_end` \(5\.0\) must not be before `calibration_end` \(10\.0\)$",
    ):
        log.split(10.0, 5.0)


# Random logs (customers 0..9, days 0..99, amounts in cents) with an observation end on or
# after the first purchase, so that every example has customers to summarise.
logs_and_ends = transaction_rows().flatmap(
    lambda rows: st.tuples(st.just(rows), st.integers(int(rows[1].min()), 120))
)


@given(logs_and_ends)
def test_summaries_of_random_logs_satisfy_the_invariants(
    drawn: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int],
) -> None:
    (ids, days, amount), end = drawn
    copies = ids.copy(), days.copy(), amount.copy()
    log = TransactionLog.from_arrays(ids, days, amount, unit="D")
    kept = days <= end
    summary = log.summarize(float(end))
    assert len(summary) == np.unique(ids[kept]).size
    for before, after in zip(copies, (ids, days, amount), strict=True):
        np.testing.assert_array_equal(before, after)
    assert np.all(summary.recency <= summary.T)
    assert np.all(summary.frequency >= 0)
    assert np.all(summary.frequency == np.floor(summary.frequency))
    assert np.all(summary.recency[summary.frequency == 0] == 0)
    assert summary.monetary_value is not None
    assert not np.isnan(summary.monetary_value).any()
    assert summary.customer_id is not None
    for i, customer in enumerate(summary.customer_id):
        mine = kept & (ids == customer)
        distinct_days = np.unique(days[mine])
        assert summary.frequency[i] == distinct_days.size - 1
        assert summary.recency[i] == distinct_days.max() - distinct_days.min()
        assert summary.T[i] == end - distinct_days.min()
        repeat_value = amount[mine & (days != distinct_days.min())].sum()
        expected = repeat_value / (distinct_days.size - 1) if distinct_days.size > 1 else 0.0
        assert summary.monetary_value[i] == pytest.approx(expected)


def test_a_summary_ending_before_every_purchase_is_refused() -> None:
    log = TransactionLog.from_arrays([1, 2, 1], [5.0, 9.0, 7.0], [1.0, 2.0, 3.0], unit="D")
    with pytest.raises(
        ValidationError,
        match=r"^`observation_end` \(4\.0\) is before every purchase \(the first is at 5\.0\)",
    ):
        log.summarize(4.0)
    calendar = TransactionLog.from_arrays(["a"], ["2024-01-05"], [1.0])
    with pytest.raises(ValidationError, match=r"^`observation_end` \(.*2023-01-01.*\) is before"):
        calendar.summarize("2023-01-01")
    assert len(log.summarize(5.0)) == 1


def test_recency_never_exceeds_t_when_buying_at_the_end() -> None:
    # CDNOW: seven customers bought on the last calibration day; weeks = days / 7
    # must not round their recency above T.
    summary = cdnow_sample_summary()
    assert np.all(summary.recency <= summary.T)


def test_text_columns_sliced_from_a_2d_array_are_read() -> None:
    # np.loadtxt gives a 2-D text array; its columns are strided views
    raw = np.array([["a", "19970101", "1.5"], ["b", "19970102", "2.0"], ["a", "19970105", "3.0"]])
    log = TransactionLog.from_arrays(
        raw[:, 0], raw[:, 1], amount=raw[:, 2].astype(float), date_format="%Y%m%d"
    )
    assert log.customers.tolist() == ["a", "b"]
    assert log.customer_code.tolist() == [0, 1, 0]
    assert [str(t)[:10] for t in log.timestamp] == ["1997-01-01", "1997-01-02", "1997-01-05"]
