"""relmark reproduces lifetimes' data functions on CDNOW master (docs/guide/from-lifetimes.md).

Reference: lifetimes 0.11.3, ``lifetimes.utils.summary_data_from_transaction_data`` and
``calibration_and_holdout_data``, run in the test on the full CDNOW master file (23,570
customers, 69,659 purchases).  The recipes below are the ones the guide documents;
frequency, recency and T must be equal bit for bit, the customers the same, and the
monetary value equal to float rounding (lifetimes averages the repeat periods' sums,
relmark subtracts the first period from the total; the sums are taken in another order,
and even two pandas versions differ there in the last bits).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import relmark

pd = pytest.importorskip("pandas", reason="the lifetimes comparison needs pandas")
lifetimes_utils = pytest.importorskip(
    "lifetimes.utils", reason="lifetimes 0.11.3 is the reference: pip install lifetimes==0.11.3"
)

CALIBRATION_END = "1997-09-30"  # the usual CDNOW split: 39 weeks after 1997-01-01
OBSERVATION_END = "1998-06-30"
SUNDAY_CALIBRATION_END = "1997-09-28"  # the last day of a pandas "W" (W-SUN) week
#: np.timedelta64(1, "M") as pandas 1.x converted it: 365.2425 / 12 days, in seconds.
AVERAGE_MONTH_SECONDS = 2_629_746
MONETARY_RTOL = 1e-12


@pytest.fixture(scope="module")
def cdnow_master(shared_data: Any) -> Any:
    """CDNOW master as lifetimes users read it: one row per purchase, dates parsed."""
    path = shared_data / "CDNOW_master.txt"
    if not path.exists():
        pytest.skip(f"{path} not found")
    frame = pd.read_csv(path, sep=r"\s+", dtype={"date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame[["customer_id", "date", "dollar_value"]]


@pytest.fixture
def lifetimes_months(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let lifetimes' ``freq="M"`` run as it did under pandas 1.x.

    lifetimes divides durations by ``np.timedelta64(1, "M")``: pandas 1.x turned that into
    30 days 10:29:06 (the average Gregorian month), pandas 2.0 into 31 days, and pandas
    2.1 and later refuse it.  Only that one value is supplied here, the pandas 1.x one;
    everything else is lifetimes' own code.  (Checked once by hand: the result equals
    lifetimes 0.11.3 run under pandas 1.5.3 in frequency, recency and T, bit for bit.)
    """
    monkeypatch.setattr(lifetimes_utils, "np", _NumpyWithAverageMonths())


class _NumpyWithAverageMonths:
    """numpy, except that ``timedelta64(n, "M")`` is n average months, as pandas 1.x had it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    @staticmethod
    def timedelta64(value: int, unit: str) -> Any:
        if unit == "M":
            return pd.Timedelta(seconds=AVERAGE_MONTH_SECONDS * value)
        return np.timedelta64(value, unit)


def lifetimes_summary(frame: Any, **options: Any) -> Any:
    return lifetimes_utils.summary_data_from_transaction_data(
        frame, "customer_id", "date", monetary_value_col="dollar_value", **options
    ).sort_index()


def lifetimes_periods(frame: Any, freq: str, end: object) -> tuple[Any, Any]:
    """The guide's recipe: every purchase, and the end, moved to the start of its period.

    That is what lifetimes does (``to_period(freq).to_timestamp()``) before it counts
    periods and measures the time between their starts.
    """
    starts = frame.assign(date=frame["date"].dt.to_period(freq).dt.start_time)
    return starts, pd.Timestamp(end).to_period(freq).start_time


def relmark_log(frame: Any) -> relmark.TransactionLog:
    return relmark.TransactionLog.from_frame(
        frame, customer_id="customer_id", timestamp="date", amount="dollar_value"
    )


def assert_same_summary(summary: relmark.CustomerSummary, reference: Any) -> None:
    assert summary.customer_id is not None and summary.monetary_value is not None
    np.testing.assert_array_equal(summary.customer_id, reference.index.to_numpy())
    np.testing.assert_array_equal(summary.frequency, reference["frequency"].to_numpy())
    np.testing.assert_array_equal(summary.recency, reference["recency"].to_numpy())
    np.testing.assert_array_equal(summary.T, reference["T"].to_numpy())
    np.testing.assert_allclose(
        summary.monetary_value, reference["monetary_value"].to_numpy(), rtol=MONETARY_RTOL
    )


def test_cdnow_master_is_the_full_panel(cdnow_master: Any) -> None:
    assert len(cdnow_master) == 69_659
    assert cdnow_master["customer_id"].nunique() == 23_570


def test_days_are_the_default_calendar_summary(cdnow_master: Any) -> None:
    summary = relmark_log(cdnow_master).summarize(unit="D")
    reference = lifetimes_summary(cdnow_master, freq="D")
    assert len(summary) == 23_570
    assert_same_summary(summary, reference)


def test_weeks_are_monday_starts_measured_in_weeks(cdnow_master: Any) -> None:
    mondays, end = lifetimes_periods(cdnow_master, "W", OBSERVATION_END)
    summary = relmark_log(mondays).summarize(end, unit="W")
    reference = lifetimes_summary(cdnow_master, freq="W")
    assert_same_summary(summary, reference)
    # lifetimes counts repeat weeks: fewer than the repeat days of relmark's default
    days = relmark_log(cdnow_master).summarize(unit="W")
    assert (summary.frequency.sum(), days.frequency.sum()) == (40_629, 44_021)


def test_months_are_month_starts_measured_in_average_months(
    cdnow_master: Any, lifetimes_months: None
) -> None:
    firsts, end = lifetimes_periods(cdnow_master, "M", OBSERVATION_END)
    summary = relmark_log(firsts).summarize(end, unit="M", period="M")
    reference = lifetimes_summary(cdnow_master, freq="M")
    assert_same_summary(summary, reference)
    assert reference["T"].max() == pytest.approx(516 / 30.436875)  # 1997-01 to 1998-06


def test_default_weeks_are_lifetimes_days_over_seven(cdnow_master: Any) -> None:
    summary = relmark_log(cdnow_master).summarize(unit="W")
    reference = lifetimes_summary(cdnow_master, freq="D", freq_multiplier=7)
    np.testing.assert_array_equal(summary.frequency, reference["frequency"].to_numpy())
    # both round the exact quotient once: days / 7, microseconds / a week's microseconds
    np.testing.assert_array_equal(summary.recency, reference["recency"].to_numpy())
    np.testing.assert_array_equal(summary.T, reference["T"].to_numpy())


def lifetimes_split(frame: Any, calibration_end: str, freq: str) -> Any:
    return lifetimes_utils.calibration_and_holdout_data(
        frame,
        "customer_id",
        "date",
        calibration_end,
        observation_period_end=OBSERVATION_END,
        freq=freq,
        monetary_value_col="dollar_value",
    ).sort_index()


def holdout_rows(frame: Any, split: relmark.CalibrationHoldout, calibration_end: str) -> Any:
    """Each calibration customer's number of purchase rows in the holdout period."""
    dates = frame["date"]
    later = (dates > calibration_end) & (dates <= OBSERVATION_END)
    ids = split.calibration.customer_id
    assert ids is not None
    buyers = frame["customer_id"].to_numpy()[later.to_numpy()]
    position = np.searchsorted(ids, buyers)
    assert (ids[position] == buyers).all()  # CDNOW: every buyer was acquired in calibration
    return np.bincount(position, minlength=ids.size)


def assert_same_split(split: relmark.CalibrationHoldout, reference: Any, rows: Any) -> None:
    calibration = reference.rename(columns=lambda name: name.removesuffix("_cal"))
    assert_same_summary(split.calibration, calibration)
    np.testing.assert_array_equal(
        split.holdout_purchases, reference["frequency_holdout"].to_numpy()
    )
    # lifetimes' holdout spend is a mean per purchase row, relmark's the total
    mean_per_row = np.divide(split.holdout_value, rows, out=np.zeros(rows.size), where=rows > 0)
    np.testing.assert_allclose(
        mean_per_row, reference["monetary_value_holdout"].to_numpy(), rtol=MONETARY_RTOL
    )
    assert (reference["duration_holdout"] == split.holdout_length).all()


def test_calibration_and_holdout_in_days(cdnow_master: Any) -> None:
    split = relmark_log(cdnow_master).split(CALIBRATION_END, OBSERVATION_END, unit="D")
    reference = lifetimes_split(cdnow_master, CALIBRATION_END, "D")
    assert len(split.calibration) == 23_570  # every first purchase is in 1997's first quarter
    assert split.holdout_length == 273.0
    assert_same_split(split, reference, holdout_rows(cdnow_master, split, CALIBRATION_END))


def test_calibration_and_holdout_in_weeks(cdnow_master: Any) -> None:
    mondays, end = lifetimes_periods(cdnow_master, "W", OBSERVATION_END)
    calibration_monday = pd.Timestamp(SUNDAY_CALIBRATION_END).to_period("W").start_time
    split = relmark_log(mondays).split(calibration_monday, end, unit="W")
    reference = lifetimes_split(cdnow_master, SUNDAY_CALIBRATION_END, "W")
    assert split.holdout_length == 40.0  # the weeks of 1997-09-22 and 1998-06-29: 40 apart
    assert_same_split(split, reference, holdout_rows(cdnow_master, split, SUNDAY_CALIBRATION_END))
