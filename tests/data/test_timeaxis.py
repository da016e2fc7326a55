"""The one time axis: columns, instants, units and the period grid (relmark.data.timeaxis)."""

from __future__ import annotations

import datetime as dt
import pickle
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from relmark import ValidationError
from relmark.data import (
    TIME_UNITS,
    PeriodGrid,
    as_instant,
    as_time_unit,
    as_times,
    is_timezone_aware,
)
from relmark.data.timeaxis import FAR_VALUE_FACTOR, FAR_VALUE_MIN_ROWS

US = "datetime64[us]"


def micros(*texts: str) -> np.ndarray:
    return np.array(texts, dtype=US)


def refused(call: Any, *, row: int | None, match: str, argument: str = "timestamp") -> None:
    """Assert that ``call()`` raises a ValidationError about ``argument`` at ``row``."""
    with pytest.raises(ValidationError, match=match) as caught:
        call()
    assert caught.value.argument == argument
    assert caught.value.row == row


# -- strict ISO-8601 text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31", "2024-01-31T00:00"),
        ("2024-01-31T12:30", "2024-01-31T12:30"),
        ("2024-01-31 12:30", "2024-01-31T12:30"),
        ("2024-01-31T12:30:15", "2024-01-31T12:30:15"),
        ("2024-01-31T12:30:15.5", "2024-01-31T12:30:15.500000"),
        ("2024-01-31T12:30:15.123456", "2024-01-31T12:30:15.123456"),
        ("2024-01-31T12:30Z", "2024-01-31T12:30"),
        ("2024-01-31T12:30:00+02:00", "2024-01-31T10:30"),
        ("2024-01-31 23:30-01:00", "2024-02-01T00:30"),
        ("2024-02-29", "2024-02-29T00:00"),
    ],
)
def test_iso_text_is_read_exactly(text: str, expected: str) -> None:
    times = as_times([text])
    assert times.dtype == np.dtype(US)
    assert times[0] == np.datetime64(expected, "us")


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("2024", ""),
        ("2024-06", ""),
        ("97-06-01", "date_format"),
        ("19970601", "%Y%m%d"),
        ("31.01.2024", "date_format"),
        ("2024/01/31", "date_format"),
        ("1706700000", "epoch seconds"),
        ("2.5", "numbers as text"),
        ("2024-01-31T12", ""),
        (" 2024-01-31", ""),
        ("2024-1-5", ""),
        ("2024-01-31T12:30:15.1234567", ""),
        ("", ""),
        ("yesterday", ""),
    ],
)
def test_text_that_is_not_strict_iso_is_refused_naming_its_row(text: str, hint: str) -> None:
    refused(
        lambda: as_times(["2024-01-01", "2024-01-02", text]),
        row=2,
        match=rf"^`timestamp` must be ISO-8601 .*{hint}.*first at index 2: {text!r}\)$",
    )


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "2024-01-31T24:00",
        "2024-01-31T12:60",
    ],
)
def test_invalid_dates_and_times_are_refused_naming_their_row(text: str) -> None:
    refused(
        lambda: as_times(["2024-01-01", text, "2024-01-02"]),
        row=1,
        match=rf"^`timestamp` must be valid dates and times; 1 of 3 .*index 1: {text!r}\)$",
    )


def test_mixing_times_with_and_without_a_utc_offset_is_refused() -> None:
    refused(
        lambda: as_times(["2024-01-01T10:00Z", "2024-01-01T10:00Z", "2024-01-02T10:00"]),
        row=2,
        match="must not mix times with a UTC offset",
    )


# -- date_format ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_format", "texts", "expected"),
    [
        ("%d.%m.%Y", ["31.01.2024", "01.02.2024"], ["2024-01-31", "2024-02-01"]),
        ("%d.%m.%Y", ["1.2.2024", "29.2.2024"], ["2024-02-01", "2024-02-29"]),
        ("%Y/%m/%d", ["2024/01/31", "2023/12/01"], ["2024-01-31", "2023-12-01"]),
        ("%Y%m%d", ["19970101", "19981231"], ["1997-01-01", "1998-12-31"]),
        ("%d/%m/%Y %H:%M", ["31/01/2024 13:45"], ["2024-01-31T13:45"]),
        ("%Y-%m-%dT%H:%M:%S%z", ["2024-01-31T13:45:00+02:00"], ["2024-01-31T11:45"]),
        ("%Y-%m-%d %H:%M:%S.%f", ["2024-01-31 13:45:00.25"], ["2024-01-31T13:45:00.25"]),
        ("%s", ["1706700000"], ["2024-01-31T11:20"]),
        ("%d %b %Y", ["31 Jan 2024"], ["2024-01-31"]),
    ],
)
def test_date_format_reads_each_layout(
    date_format: str, texts: list[str], expected: list[str]
) -> None:
    np.testing.assert_array_equal(as_times(texts, date_format=date_format), micros(*expected))


@pytest.mark.parametrize(
    ("date_format", "text"),
    [
        ("%d.%m.%Y", "30.02.2024"),
        ("%d.%m.%Y", "29.02.2023"),
        ("%d.%m.%Y", "31.04.2024"),
        ("%d.%m.%Y", "31.01.2024x"),
        ("%Y/%m/%d", "2024/02/30"),
        ("%Y%m%d", "19970230"),
        ("%d/%m/%Y %H:%M", "31/01/2024 25:00"),
        ("%Y-%m-%dT%H:%M%z", "2024-04-31T10:00+02:00"),
    ],
)
def test_date_format_refuses_invalid_dates_naming_the_row(date_format: str, text: str) -> None:
    good = {"%Y%m%d": "19970101", "%Y/%m/%d": "2024/01/31", "%d/%m/%Y %H:%M": "31/01/2024 10:00"}
    first = good.get(date_format, "2024-01-31T10:00+02:00" if "%z" in date_format else "31.01.2024")
    refused(
        lambda: as_times([first, text], date_format=date_format),
        row=1,
        match=rf"must be valid dates matching date_format .*index 1: {re.escape(repr(text))}\)$",
    )


def test_a_two_digit_year_read_with_capital_y_is_refused() -> None:
    refused(
        lambda: as_times(["31.01.24"], date_format="%d.%m.%Y"),
        row=0,
        match=r"must lie in the years 1000 to 9999 \(a two-digit year\?\)",
    )
    np.testing.assert_array_equal(
        as_times(["31.01.24"], date_format="%d.%m.%y"), micros("2024-01-31")
    )


def test_date_format_must_be_a_layout() -> None:
    with pytest.raises(ValidationError, match=r"^`date_format` must be a strftime layout"):
        as_times(["2024"], date_format="YYYY")
    with pytest.raises(TypeError, match=r"^`date_format` must be a string, got int$"):
        as_times(["2024"], date_format=3)  # type: ignore[arg-type]


# -- numbers and YYYYMMDD integers -----------------------------------------------------------------


def test_plain_numbers_stay_numbers() -> None:
    times = as_times([0, 2.5, 7])
    assert times.dtype == np.float64 and times.tolist() == [0.0, 2.5, 7.0]


@pytest.mark.parametrize(
    "column",
    [
        np.array([19970101, 19970102, 19980630]),
        np.array([19970101.0, 19970102.0, 19980630.0]),
        np.array([19970101, 19970102, 19980630], dtype=object),
        pa.array([19970101, 19970102, 19980630]),
    ],
    ids=["int64", "float64", "object", "arrow"],
)
def test_yyyymmdd_integers_are_never_read_as_numbers(column: Any) -> None:
    refused(
        lambda: as_times(column),
        row=0,
        match=r"^`timestamp` holds integers shaped like YYYYMMDD dates; give "
        r"date_format='%Y%m%d' .* or a `unit` .*first at index 0: 19970101(\.0)?\)$",
    )
    np.testing.assert_array_equal(
        as_times(column, date_format="%Y%m%d"), micros("1997-01-01", "1997-01-02", "1998-06-30")
    )
    # the documented escape: a unit declares them plain numbers
    assert as_times(column, unit="D").tolist() == [19970101.0, 19970102.0, 19980630.0]


def test_integers_with_a_date_format_are_dates() -> None:
    refused(
        lambda: as_times([19970101, 19970132], date_format="%Y%m%d"),
        row=1,
        match=r"must be valid dates written as YYYYMMDD .*first at index 1: 19970132\)$",
    )
    refused(
        lambda: as_times([19970101.0, 1.5], date_format="%Y%m%d"),
        row=1,
        match="must be whole numbers to be read with `date_format`",
    )
    np.testing.assert_array_equal(
        as_times([310124, 290224], date_format="%d%m%y"), micros("2024-01-31", "2024-02-29")
    )


def test_eight_digit_numbers_that_are_not_all_dates_are_numbers() -> None:
    assert as_times([19970101, 19970132]).dtype == np.float64  # day 32: not YYYYMMDD-shaped
    assert as_times([12345678, 20240101]).dtype == np.float64


def test_unit_is_only_for_numbers() -> None:
    with pytest.raises(ValidationError, match=r"^`unit` is only for numeric timestamps"):
        as_times(["2024-01-01"], unit="D")
    with pytest.raises(
        ValidationError, match=r"^`unit` must be one of 's', 'min', 'h', 'D', 'W', 'M'"
    ):
        as_times([1.0], unit="fortnight")


# -- kinds never mixed; missing values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "row"),
    [
        (np.array([dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2), 3.0], dtype=object), 2),
        (np.array([1.0, 2.0, dt.date(2024, 1, 1)], dtype=object), 2),
        (np.array(["2024-01-01", "2024-01-02", 5], dtype=object), 2),
        (np.array([np.datetime64("2024-01-01"), 17, 18], dtype=object), 0),
    ],
)
def test_a_column_mixing_calendar_times_and_numbers_is_refused(column: Any, row: int) -> None:
    refused(lambda: as_times(column), row=row, match="must be one kind of value")


def test_mixing_aware_and_naive_datetimes_is_refused() -> None:
    utc = dt.timezone.utc
    column = np.array([dt.datetime(2024, 1, 1, tzinfo=utc), dt.datetime(2024, 1, 2)], dtype=object)
    refused(lambda: as_times(column), row=1, match="must not mix timezone-aware and naive")


@pytest.mark.parametrize(
    "column",
    [
        np.array([dt.datetime(2024, 1, 1), None], dtype=object),
        np.array(["2024-01-01", None], dtype=object),
        np.array([1.0, np.nan]),
        np.array(["2024-01-01", "NaT"], dtype="datetime64[D]"),
        pa.array(["2024-01-01", None]),
        pa.array([dt.datetime(2024, 1, 1), None]),
        pa.array([1, None]),
    ],
)
def test_missing_times_are_refused_naming_the_row(column: Any) -> None:
    refused(lambda: as_times(column), row=1, match=r"^`timestamp` must not be missing")


def test_pandas_missing_values_are_missing() -> None:
    pd = pytest.importorskip("pandas")
    refused(
        lambda: as_times(np.array([pd.Timestamp("2024-01-01"), pd.NaT], dtype=object)),
        row=1,
        match="must not be missing",
    )
    refused(lambda: as_times(np.array([1.0, pd.NA], dtype=object)), row=1, match="missing")


def test_wrong_kinds_are_type_errors() -> None:
    with pytest.raises(
        TypeError, match=r"^`timestamp` must be an array of timestamps, got a single str$"
    ):
        as_times("2024-01-01")
    with pytest.raises(TypeError, match=r"^`timestamp` must hold timestamps, got dtype bool$"):
        as_times([True, False])
    with pytest.raises(
        TypeError, match=r"must hold datetimes, strings or numbers; .*index 1: \[1\]\)$"
    ):
        as_times(np.array([1.0, [1]], dtype=object))
    with pytest.raises(TypeError, match="got Arrow type bool"):
        as_times(pa.array([True]))
    with pytest.raises(ValidationError, match="must be one-dimensional"):
        as_times(np.zeros((2, 2)))


# -- arrow, pandas and polars columns -------------------------------------------------------------


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_arrow_timestamps_with_and_without_zones(unit: str) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    aware = pa.array([dt.datetime(2024, 1, 1, 12, tzinfo=paris)], pa.timestamp(unit, tz="+01:00"))
    naive = pa.array([dt.datetime(2024, 1, 1, 12)], pa.timestamp(unit))
    np.testing.assert_array_equal(as_times(aware), micros("2024-01-01T11:00"))
    np.testing.assert_array_equal(as_times(naive), micros("2024-01-01T12:00"))


def test_arrow_dates_dictionaries_chunks_and_views() -> None:
    expected = micros("2024-01-02", "2024-01-03")
    days = [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    np.testing.assert_array_equal(as_times(pa.array(days, pa.date32())), expected)
    np.testing.assert_array_equal(as_times(pa.array(days, pa.date64())), expected)
    text = pa.array(["2024-01-02", "2024-01-03"])
    np.testing.assert_array_equal(as_times(text.dictionary_encode()), expected)
    np.testing.assert_array_equal(as_times(pa.chunked_array([text[:1], text[1:]])), expected)
    np.testing.assert_array_equal(as_times(text.cast(pa.large_string())), expected)
    if hasattr(pa, "string_view"):
        np.testing.assert_array_equal(as_times(text.cast(pa.string_view())), expected)
    assert as_times(pa.chunked_array([[1.5], [2]])).tolist() == [1.5, 2.0]
    refused(lambda: as_times(pa.array(["2024-01-02", "02/01/2024"])), row=1, match="ISO-8601")


def test_pandas_and_polars_columns_through_numpy() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    aware = pd.Series(pd.to_datetime(["2024-01-01 12:00"]).tz_localize("Europe/Paris"))
    np.testing.assert_array_equal(as_times(aware), micros("2024-01-01T11:00"))
    np.testing.assert_array_equal(as_times(pd.Series(["2024-01-01"])), micros("2024-01-01"))
    np.testing.assert_array_equal(
        as_times(pl.Series([dt.datetime(2024, 1, 1)])), micros("2024-01-01")
    )
    refused(lambda: as_times(pd.Series([19970101, 19970102])), row=0, match="YYYYMMDD")


def test_years_outside_1000_to_9999_are_refused() -> None:
    refused(
        lambda: as_times(np.array([dt.date(97, 6, 1)], dtype=object)), row=0, match="1000 to 9999"
    )
    refused(lambda: as_times(micros("2024-01-01", "0097-06-01")), row=1, match="1000 to 9999")
    refused(
        lambda: as_times(np.array(["2024-01-01", "300000-01-01"], dtype="datetime64[D]")),
        row=1,
        match="1000 to 9999",
    )


def test_the_callers_data_is_copied_and_the_result_read_only() -> None:
    column = micros("2024-01-01", "2024-01-02")
    before = column.copy()
    times = as_times(column)
    assert not times.flags.writeable and column.flags.writeable
    assert not np.shares_memory(times, column)
    np.testing.assert_array_equal(column, before)
    arrow_times = as_times(pa.array([1.0, 2.0]))
    assert not arrow_times.flags.writeable


# -- far values -----------------------------------------------------------------------------------

CDNOW_DAYS = np.arange("1997-01-01", "1998-07-01", 7, dtype="datetime64[D]").astype(US)


@pytest.mark.parametrize("outlier", ["2024-01-01", "1970-01-01", "2014-01-01", "1982-01-01"])
def test_one_far_calendar_value_is_refused_naming_its_row(outlier: str) -> None:
    column = np.insert(CDNOW_DAYS, 40, np.datetime64(outlier, "us"))
    refused(
        lambda: as_times(column),
        row=40,
        match=rf"must not lie far outside the other values \(the central 98% span 1997-01-.. to "
        rf"1998-06-..; .*first at index 40: '{outlier}'\)$",
    )


def test_the_same_far_value_as_text_is_refused_too() -> None:
    text = [str(day)[:10] for day in CDNOW_DAYS] + ["2024-06-01"]
    refused(lambda: as_times(text), row=len(text) - 1, match="far outside")


def test_genuine_long_spans_and_tiny_columns_pass() -> None:
    decade = np.arange("2010-01-01", "2020-01-01", 30, dtype="datetime64[D]").astype(US)
    assert as_times(decade).size == decade.size
    skewed = np.r_[
        micros("2010-01-01"), np.arange("2019-01-01", "2020-01-01", dtype="datetime64[D]")
    ]
    assert as_times(skewed).size == skewed.size  # 9 years before a year of data: within 10 spans
    tiny = np.r_[CDNOW_DAYS[: FAR_VALUE_MIN_ROWS - 2], micros("2024-01-01")]
    assert as_times(tiny).size == FAR_VALUE_MIN_ROWS - 1  # too few to say what is far


def test_far_numbers_are_measured_in_their_unit() -> None:
    days = np.r_[np.arange(0.0, 546.0, 3.0), 1.7e9]  # epoch seconds among days
    refused(lambda: as_times(days, unit="D"), row=days.size - 1, match="far outside")
    refused(lambda: as_times(days), row=days.size - 1, match=r"central 98% span 3 to 543")
    refused(
        lambda: as_times(np.r_[np.full(30, 19970101.0), 2024.0], unit="D"),
        row=30,
        match="far outside",
    )
    # one year in the unit is the floor: days within 10 years of a constant are fine
    assert as_times(np.r_[np.zeros(30), 3000.0], unit="D").size == 31
    assert as_times(np.r_[np.zeros(30), 100.0], unit="W").size == 31


def far_oracle(values: list[float], floor: float) -> list[int]:
    """The far-value rule written out plainly: the rows it must refuse."""
    ordered = sorted(values)
    trim = max(1, len(values) // 100)
    low, high = ordered[trim], ordered[len(values) - 1 - trim]
    reach = FAR_VALUE_FACTOR * max(high - low, floor)
    return [i for i, v in enumerate(values) if v < low - reach or v > high + reach]


@given(
    st.lists(st.integers(0, 3000), min_size=FAR_VALUE_MIN_ROWS, max_size=60),
    st.integers(0, 10**7),
    st.integers(0, 59),
)
def test_far_value_rule_matches_its_statement(base: list[int], far: int, at: int) -> None:
    values = [float(v) for v in base]
    values.insert(min(at, len(values)), float(far))
    expected = far_oracle(values, floor=365.2425)
    if not expected:
        assert as_times(values, unit="D").tolist() == values
        return
    with pytest.raises(ValidationError, match="far outside") as caught:
        as_times(values, unit="D")
    assert caught.value.row == expected[0]
    assert f"{len(expected)} of {len(values)} rows" in str(caught.value)


# -- no timestamp is silently misread as another kind (property tests) -----------------------------
# Columns stay below FAR_VALUE_MIN_ROWS here, so that only the kind rules decide.

moments = st.datetimes(min_value=dt.datetime(1001, 1, 1), max_value=dt.datetime(9998, 12, 31))
LAYOUTS = ("%Y-%m-%d", "%Y-%m-%d{sep}%H:%M", "%Y-%m-%d{sep}%H:%M:%S", "%Y-%m-%d{sep}%H:%M:%S.%f")


@st.composite
def iso_columns(draw: st.DrawFn) -> tuple[list[str], np.ndarray]:
    """ISO-8601 text in every accepted layout, all with UTC offsets or none; and the UTC truth."""
    zoned = draw(st.booleans())
    texts, truth = [], []
    for _ in range(draw(st.integers(1, FAR_VALUE_MIN_ROWS - 1))):
        moment = draw(moments)
        layout = draw(st.integers(1 if zoned else 0, 3))
        shown = moment.strftime(LAYOUTS[layout].format(sep=draw(st.sampled_from("T "))))
        local = dt.datetime.fromisoformat(shown.replace(" ", "T"))
        if zoned:
            minutes = draw(st.integers(-14 * 60, 14 * 60))
            hours, rest = divmod(abs(minutes), 60)
            zone = f"{'+' if minutes >= 0 else '-'}{hours:02d}:{rest:02d}"
            if minutes == 0 and draw(st.booleans()):
                zone = "Z"
            shown, local = shown + zone, local - dt.timedelta(minutes=minutes)
        texts.append(shown)
        truth.append(np.datetime64(local, "us"))
    return texts, np.array(truth, dtype=US)


@given(iso_columns())
def test_iso_text_gives_exactly_its_utc_times(drawn: tuple[list[str], np.ndarray]) -> None:
    texts, truth = drawn
    np.testing.assert_array_equal(as_times(texts), truth)
    np.testing.assert_array_equal(as_times(pa.array(texts)), truth)


dates = st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31))


@given(st.lists(dates, min_size=1, max_size=FAR_VALUE_MIN_ROWS - 1))
def test_yyyymmdd_integers_are_dates_with_the_format_and_refused_without(
    days: list[dt.date],
) -> None:
    whole = np.array([int(day.strftime("%Y%m%d")) for day in days])
    truth = np.array(days, dtype="datetime64[D]").astype(US)
    np.testing.assert_array_equal(as_times(whole, date_format="%Y%m%d"), truth)
    np.testing.assert_array_equal(as_times([str(v) for v in whole], date_format="%Y%m%d"), truth)
    with pytest.raises(ValidationError, match="YYYYMMDD") as caught:
        as_times(whole)
    assert caught.value.row is not None
    with pytest.raises(ValidationError, match="ISO-8601") as caught:
        as_times([str(v) for v in whole])  # as text: not ISO-8601 either
    assert caught.value.row == 0


epoch_seconds = st.integers(10**8, 4 * 10**9)


@given(st.lists(epoch_seconds, min_size=1, max_size=FAR_VALUE_MIN_ROWS - 1))
def test_epoch_seconds_are_numbers_or_with_percent_s_dates_never_both(seconds: list[int]) -> None:
    as_numbers = as_times(seconds)
    assert as_numbers.dtype == np.float64 and as_numbers.tolist() == [float(s) for s in seconds]
    truth = (np.array(seconds, dtype=np.int64) * 1_000_000).view(US)
    np.testing.assert_array_equal(as_times([str(s) for s in seconds], date_format="%s"), truth)
    with pytest.raises(ValidationError, match="numbers as text") as caught:
        as_times([str(s) for s in seconds])
    assert caught.value.row == 0


@st.composite
def mixed_columns(draw: st.DrawFn) -> tuple[list[Any], str]:
    """A column of calendar values and numbers, each kind possibly alone."""
    size = draw(st.integers(1, FAR_VALUE_MIN_ROWS - 1))
    cells: list[Any] = []
    for _ in range(size):
        cells.append(
            draw(
                st.one_of(
                    moments.map(lambda m: ("calendar", m)),
                    dates.map(lambda d: ("calendar", d)),
                    st.floats(-1e6, 1e6).map(lambda x: ("number", x)),
                    st.integers(0, 10**6).map(lambda x: ("number", x)),
                    moments.map(lambda m: ("text", m.strftime("%Y-%m-%dT%H:%M:%S"))),
                )
            )
        )
    return [value for _, value in cells], "".join(kind[0] for kind, _ in cells)


@given(mixed_columns())
def test_an_object_column_is_one_kind_or_refused_at_its_first_odd_row(
    drawn: tuple[list[Any], str],
) -> None:
    values, kinds = drawn
    column = np.empty(len(values), dtype=object)
    column[:] = values
    # the most common kind, ties going to the kind that comes first
    usual = max(set(kinds), key=lambda kind: (kinds.count(kind), -kinds.index(kind)))
    if len(set(kinds)) == 1:
        times = as_times(column)
        if kinds[0] == "n":
            assert times.tolist() == [float(v) for v in values]
        else:
            assert times.dtype == np.dtype(US)
            expected = [np.datetime64(v, "us") for v in values]
            np.testing.assert_array_equal(times, np.array(expected, dtype=US))
        return
    with pytest.raises(ValidationError, match="must be one kind of value") as caught:
        as_times(column)
    assert caught.value.row == min(i for i, kind in enumerate(kinds) if kind != usual)


@given(st.lists(moments, min_size=2, max_size=FAR_VALUE_MIN_ROWS - 1), st.data())
def test_one_odd_text_among_iso_dates_is_refused_at_its_row(
    days: list[dt.datetime], data: st.DataObject
) -> None:
    texts = [day.strftime("%Y-%m-%d") for day in days]
    at = data.draw(st.integers(0, len(texts) - 1))
    odd = data.draw(
        st.sampled_from(
            [
                days[at].strftime("%Y%m%d"),
                days[at].strftime("%d.%m.%Y"),
                days[at].strftime("%Y/%m/%d"),
                days[at].strftime("%y-%m-%d"),
                days[at].strftime("%Y"),
                days[at].strftime("%Y-%m"),
                str(int(days[at].replace(tzinfo=dt.timezone.utc).timestamp())),
            ]
        )
    )
    assume(odd != texts[at])
    texts[at] = odd
    with pytest.raises(ValidationError, match="ISO-8601") as caught:
        as_times(texts)
    assert caught.value.row == at and caught.value.value == odd


# -- instants -------------------------------------------------------------------------------------


def test_instants_of_every_kind() -> None:
    expected = np.datetime64("2024-03-31T10:00", "us")
    utc = dt.timezone.utc
    for value in (
        "2024-03-31T12:00+02:00",
        dt.datetime(2024, 3, 31, 10, tzinfo=utc),
        dt.datetime(2024, 3, 31, 10),
        np.datetime64("2024-03-31T10:00"),
        pa.scalar(dt.datetime(2024, 3, 31, 10)),
    ):
        assert as_instant(value, name="observation_end") == expected
    assert as_instant(dt.date(2024, 3, 31), name="as_of") == np.datetime64("2024-03-31", "us")
    assert as_instant("31.03.2024", name="as_of", date_format="%d.%m.%Y") == np.datetime64(
        "2024-03-31", "us"
    )
    assert as_instant(12, name="end", calendar=False) == 12.0
    assert isinstance(as_instant(np.float32(2.5), name="end"), float)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, r"^`observation_end` is required$"),
        ("soon", r"^`observation_end` must be a time \(an ISO-8601 string, .* got 'soon'$"),
        ("2024-02-30", r"got '2024-02-30'$"),
        ("2024", r"got '2024'$"),
        ("0097-06-01", r"got '0097-06-01'$"),
        (np.datetime64("NaT"), r"^`observation_end` must not be NaT$"),
        (float("nan"), r"^`observation_end` must not be NaN$"),
        (float("inf"), r"^`observation_end` must be finite, got inf$"),
    ],
)
def test_bad_instants_are_refused_naming_the_argument(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        as_instant(value, name="observation_end")
    assert caught.value.argument == "observation_end"


def test_pandas_nat_and_wrong_kinds_of_instant() -> None:
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValidationError, match=r"^`as_of` must not be NaT$"):
        as_instant(pd.NaT, name="as_of")
    with pytest.raises(TypeError, match=r"^`as_of` must be a time, got bool$"):
        as_instant(True, name="as_of")
    with pytest.raises(
        TypeError, match=r"^`as_of` must be a date or datetime for a log with calendar"
    ):
        as_instant(3.0, name="as_of", calendar=True)
    with pytest.raises(
        TypeError, match=r"^`as_of` must be a number for a log with numeric .*got str$"
    ):
        as_instant("2024-01-01", name="as_of", calendar=False)
    with pytest.raises(TypeError, match=r"^`as_of` must be a time .* or a number, got list$"):
        as_instant([1], name="as_of")


def test_timezone_awareness_of_one_time() -> None:
    assert is_timezone_aware(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)) is True
    assert is_timezone_aware("2024-01-01T10:00+01:00") is True
    assert is_timezone_aware("2024-01-01") is False
    assert is_timezone_aware(np.datetime64("2024-01-01")) is False
    assert is_timezone_aware(4.5) is None


# -- units and the period grid ---------------------------------------------------------------------


def test_units_include_the_average_month() -> None:
    assert TIME_UNITS["M"] == 30.436875 * 86400 == 365.2425 / 12 * 86400
    assert [as_time_unit(unit) for unit in TIME_UNITS] == ["s", "min", "h", "D", "W", "M"]
    with pytest.raises(
        ValidationError,
        match=r"^`unit` must be one of 's', 'min', 'h', 'D', 'W', 'M' \(time units; 'M' is an "
        r"average month\), got 'Y'$",
    ):
        as_time_unit("Y")
    with pytest.raises(TypeError, match=r"^`unit` must be one of .*got int$"):
        as_time_unit(7)


def test_month_periods_merge_calendar_months_and_start_on_the_first() -> None:
    grid = PeriodGrid(calendar=True, period="M", unit="D")
    stamps = micros("2024-01-01", "2024-01-31T23:59", "2024-02-01", "2024-03-15")
    ticks = grid.ticks(stamps)
    assert ticks.tolist() == [648, 648, 649, 650]  # months since 1970-01
    starts = grid.starts(ticks)
    assert grid.measure(starts - starts[0]).tolist() == [0.0, 0.0, 31.0, 60.0]
    in_months = PeriodGrid(calendar=True, period="M", unit="M")
    assert in_months.measure(starts[3] - starts[0]) == pytest.approx(60 / 30.436875, rel=1e-15)


def test_fixed_periods_weeks_and_exact_divisions() -> None:
    weekly = PeriodGrid(calendar=True, period="W", unit="W")
    thursday, wednesday = micros("2024-01-04", "2024-01-10")
    assert weekly.ticks(np.array([thursday, wednesday])).tolist() == [2818, 2818]
    daily = PeriodGrid(calendar=True, unit="W")
    days = np.arange(0, 700, dtype=np.float64) * 86_400_000_000
    np.testing.assert_array_equal(daily.measure(days), np.arange(700) / 7)
    assert daily.position(np.datetime64("1970-01-02")) == 86_400_000_000.0


def test_numeric_grids_convert_between_units() -> None:
    assert PeriodGrid(calendar=False, log_unit="W", unit="D").measure(3.0) == 21.0
    np.testing.assert_array_equal(
        PeriodGrid(calendar=False, log_unit="D", unit="W").measure(np.arange(30.0)),
        np.arange(30.0) / 7,
    )
    assert PeriodGrid(calendar=False, log_unit="D").unit == "D"
    assert PeriodGrid(calendar=False).unit is None
    assert PeriodGrid(calendar=False, unit="W").measure(2.0) == 2.0  # no log unit: as they are
    bins = PeriodGrid(calendar=False, period=2.5)
    ticks = bins.ticks(np.array([0.0, 2.4, 2.5, 7.0]))
    assert ticks.tolist() == [0.0, 0.0, 1.0, 2.0] and bins.starts(ticks).tolist() == [0, 0, 2.5, 5]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"calendar": True, "period": "fortnight"}, ValidationError, "^`period` must be one of"),
        ({"calendar": True, "period": 2.0}, ValidationError, "^`period` must be one of"),
        ({"calendar": False, "period": "W"}, ValidationError, "'D' \\(identical timestamps\\)"),
        ({"calendar": False, "period": -1.0}, ValidationError, "^`period` must be > 0"),
        ({"calendar": True, "log_unit": "D"}, ValidationError, "only for numeric"),
        ({"calendar": "yes"}, TypeError, "^`calendar` must be True or False"),
        ({"calendar": True, "unit": "Y"}, ValidationError, "^`unit` must be one of"),
    ],
)
def test_bad_grids(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        PeriodGrid(**kwargs)


def test_grids_pickle() -> None:
    grid = PeriodGrid(calendar=True, period="M", unit="W")
    assert pickle.loads(pickle.dumps(grid)) == grid


# -- every layer reads its instants through the time axis --------------------------------------


def layer_calls() -> list[tuple[str, Any]]:
    import relmark

    log = relmark.TransactionLog.from_arrays(
        ["a", "a", "b"], ["2024-01-01", "2024-02-01", "2024-01-15"], [10.0, 20.0, 5.0]
    )
    club = relmark.LoyaltyProgram(
        name="Club", points_per_unit=1.0, point_value=0.01,
        tiers=[relmark.Tier(name="M", threshold=0)], qualifying_window=30,
    )  # fmt: skip
    table = relmark.TouchpointTable.from_arrays(["a"], ["2024-01-01"], ["web"], ["visit"])
    return [
        ("observation_end", lambda end: log.summarize(end)),
        ("calibration_end", lambda end: log.split(end)),
        ("observation_end", lambda end: log.split("2024-01-20", end)),
        ("as_of", lambda end: relmark.qualifying_totals(club, log, as_of=end)),
        ("as_of", lambda end: relmark.engagement(table, as_of=end, half_life=7.0)),
        ("acquired_at", lambda end: relmark.Customer(customer_id="a", acquired_at=end)),
        ("timestamp", lambda end: relmark.Touchpoint(
            customer_id="a", timestamp=end, channel="web", kind="visit")),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-02-30", r"must be a time \(an ISO-8601 string, .*got '2024-02-30'$"),
        ("31.01.2024", r"must be a time .*got '31\.01\.2024'$"),
        (np.datetime64("NaT"), r"must not be NaT$"),
        (float("nan"), r"must not be NaN$"),
    ],
)
def test_every_layer_refuses_a_bad_instant_naming_its_argument(value: object, message: str) -> None:
    for argument, call in layer_calls():
        calendar_only = argument not in ("acquired_at", "timestamp")
        if calendar_only and isinstance(value, float):
            with pytest.raises(TypeError, match=rf"^`{argument}` must be a date or datetime"):
                call(value)
            continue
        with pytest.raises(ValidationError, match=rf"^`{argument}` {message}") as caught:
            call(value)
        assert caught.value.argument == argument


def test_plots_read_their_ends_through_the_time_axis() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import relmark
    from relmark.plotting import plot_cumulative_purchases

    log = relmark.TransactionLog.from_arrays(
        ["a", "a", "b", "b"], ["2024-01-01", "2024-03-01", "2024-01-15", "2024-02-20"]
    )
    model = relmark.BetaGeo(r=0.5, alpha=10.0, a=0.8, b=2.4)
    with pytest.raises(ValidationError, match=r"^`observation_end` must be a time .*'2024-04-31'$"):
        plot_cumulative_purchases(
            model, log, calibration_end="2024-02-01", observation_end="2024-04-31"
        )
    with pytest.raises(ValidationError, match=r"^`calibration_end` must not be NaT$"):
        plot_cumulative_purchases(model, log, calibration_end=np.datetime64("NaT"))
    ax = plot_cumulative_purchases(model, log, calibration_end="2024-02-01", unit="M")
    assert "(M)" in ax.get_xlabel()
