from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
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
    with pytest.raises(ValidationError, match="'nope' is not in the frame"):
        TransactionLog.from_frame(pandas_frame, customer_id="nope", timestamp="when")
    with pytest.raises(TypeError, match=r"^`frame` must be a data frame, got dict$"):
        TransactionLog.from_frame({"who": [1]}, customer_id="who", timestamp="when")


@pytest.mark.parametrize(
    ("ids", "times", "amount", "error", "message"),
    [
        ([1, 2], ["2024-01-01", "not a date"], None, ValidationError, "ISO-8601"),
        (
            [1, 2],
            ["2024-01-01", "2024-01-02"],
            [1.0, -2.0],
            ValidationError,
            "`amount` must be >= 0",
        ),
        ([1, 2], [0.0, np.nan], None, ValidationError, "`timestamp` must not be NaN"),
        ([1.0, np.nan], [0.0, 1.0], None, ValidationError, "`customer_id` must not be missing"),
        ([1], [0.0, 1.0], None, ValidationError, "same length"),
        ([1], "2024-01-01", None, TypeError, "single str"),
        ([1], [0.0], ["x"], TypeError, "`amount`"),
    ],
)
def test_bad_logs(ids: object, times: object, amount: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        TransactionLog.from_arrays(ids, times, amount)  # type: ignore[arg-type]


def test_mixed_naive_and_aware_datetimes_are_rejected() -> None:
    times = [dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)]
    with pytest.raises(ValidationError, match="timezone-aware and naive"):
        TransactionLog.from_arrays([1, 1], times)


def test_units_are_checked() -> None:
    with pytest.raises(
        ValidationError,
        match=r"^`unit` must be one of 's', 'min', 'h', 'D', 'W' \(fixed-length time units\), "
        r"got 'M'$",
    ):
        TransactionLog.from_arrays([1], [0.0], unit="M")
    with pytest.raises(
        TypeError,
        match=r"^`unit` must be one of 's', 'min', 'h', 'D', 'W' \(fixed-length time units\), "
        r"got int$",
    ):
        TransactionLog.from_arrays([1], [0.0], unit=7)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="only for numeric"):
        TransactionLog.from_arrays([1], ["2024-01-01"], unit="D")
    log = TransactionLog.from_arrays([1, 1], ["2024-01-01", "2024-01-08"])
    with pytest.raises(
        ValidationError, match=r"^`unit` must be one of 's', .* time units\), got 'fortnight'$"
    ):
        log.summarize(unit="fortnight")
    with pytest.raises(
        TypeError, match=r"^`observation_end` must be a date or datetime for a calendar log$"
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
    with pytest.raises(ValidationError, match="before `calibration_end`"):
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
