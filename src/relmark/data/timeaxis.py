"""The one time axis: how timestamps become times, and how times are measured.

Every layer of relmark (transaction logs, touchpoint tables, ``relmark.dask``,
loyalty and engagement ``as_of``, plots, the domain objects) turns user
timestamps into times here, so that one column reads the same everywhere:

- :func:`as_times` converts a column: numpy arrays, lists, pandas or polars
  columns (through numpy) and pyarrow ``Array``/``ChunkedArray`` (string,
  timestamp with or without a time zone, date32/64, integer, float,
  dictionary).  A column is *calendar* (``datetime64[us]``, UTC for
  tz-aware input) or *numeric* (float64: plain numbers already in a time
  unit), never a mixture of the two.
- :func:`as_instant` converts one instant (``observation_end``, ``as_of``,
  ...), checked against the kind of the log it is used with.
- :func:`as_time_unit` checks a time unit; :data:`TIME_UNITS` gives each
  unit's length in seconds, calendar months (``"M"``) included.
- :class:`PeriodGrid` merges timestamps into purchase periods and measures
  durations in a unit: the time half of the one summary kernel
  (:mod:`relmark.data.periods` is the other half).

This module imports nothing from relmark's other layers except
:mod:`relmark._validation` and :mod:`relmark.exceptions`, so that the domain
objects may use it too.  The rules, in full, are in the user guide's page
"Time: calendar and numeric timestamps, units, refunds".
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from relmark._validation import (
    BoolArray,
    FloatArray,
    IntArray,
    TimeArray,
    as_choice,
    as_flag,
    as_scalar,
    describe,
    fail_rows,
    readonly,
)
from relmark.data._arrow import arrow_of, numpy_mask, numpy_of, text_array
from relmark.exceptions import ValidationError

__all__ = [
    "FAR_VALUE_FACTOR",
    "FAR_VALUE_MIN_ROWS",
    "TIME_UNITS",
    "PeriodGrid",
    "as_instant",
    "as_time_unit",
    "as_times",
    "is_timezone_aware",
]

#: Length of each time unit in seconds.  ``"M"`` is the average Gregorian
#: month, 365.2425 / 12 = 30.436875 days, as a unit of duration; as a merging
#: period, ``"M"`` is the calendar month.
TIME_UNITS: Mapping[str, float] = MappingProxyType(
    {"s": 1.0, "min": 60.0, "h": 3600.0, "D": 86400.0, "W": 604800.0, "M": 2629746.0}
)
#: A column with fewer values than this skips the far-value rule (too few to say what is far).
FAR_VALUE_MIN_ROWS = 20
#: How many central spans beyond the central values a value may lie (see :func:`as_times`).
FAR_VALUE_FACTOR = 10.0

_YEAR_SECONDS = 31556952.0  # the average Gregorian year, 365.2425 days
_MICROS = 1_000_000
_EARLIEST = np.datetime64("1000-01-01", "us")
_LATEST = np.datetime64("10000-01-01", "us")
_ISO = (
    r"^\d{4}-\d{2}-\d{2}"
    r"([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$"
)
_ZONED = r"(Z|[+-]\d{2}:\d{2})$"
_ISO_RULE = (
    "must be ISO-8601 dates or datetimes (YYYY-MM-DD, optionally with T or a space and "
    "hh:mm[:ss[.ffffff]], optionally Z or +hh:mm)"
)
_MISSING_RULE = "must not be missing (None, NaN, NaT or null)"

Picker = Callable[[int], object]


def as_time_unit(value: object, *, name: str = "unit") -> str:
    """Return a time unit: one of :data:`TIME_UNITS` (``"s"``, ``"min"``, ``"h"``, ``"D"``, ...).

    The units are ``"s"``, ``"min"``, ``"h"``, ``"D"``, ``"W"`` and ``"M"`` (the
    average month).
    Raises ``TypeError`` for a non-string and :class:`~relmark.ValidationError`
    for any other string.

    Examples
    --------
    >>> from relmark.data.timeaxis import as_time_unit
    >>> as_time_unit("M")
    'M'
    >>> as_time_unit("fortnight")
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `unit` must be one of 's', 'min', 'h', 'D', 'W', 'M' ...
    """
    return as_choice(name, value, tuple(TIME_UNITS), what="time units; 'M' is an average month")


# ------------------------------------------------------------------------------- columns


def as_times(
    values: object,
    *,
    name: str = "timestamp",
    date_format: str | None = None,
    unit: str | None = None,
) -> TimeArray:
    r"""Return a column of timestamps as a read-only copy: calendar or numeric, checked.

    Parameters
    ----------
    values : array_like or pyarrow.Array or pyarrow.ChunkedArray, shape (n,)
        numpy ``datetime64`` (any resolution), ``datetime``/``date`` objects
        (aware ones are converted to UTC), strings, or plain numbers already
        in a time unit; pandas and polars columns are read through numpy;
        pyarrow arrays of strings, timestamps (with or without a time
        zone), dates, integers, floats or a dictionary of those.
    name : str, default "timestamp"
        The argument, as messages name it.
    date_format : str, optional
        strftime layout of text (and integer) timestamps, e.g. ``"%d.%m.%Y"``,
        ``"%Y/%m/%d"``, ``"%Y%m%d"``, ``"%d/%m/%Y %H:%M"``; ``%z`` reads UTC
        offsets.  Without it, text must be strict ISO-8601.  Ignored for
        values that already are dates or datetimes.
    unit : str, optional
        Declares the values plain numbers in this unit (one of
        :data:`TIME_UNITS`): integers shaped like YYYYMMDD are then read as
        numbers, and the far-value rule measures in this unit.  Calendar
        values with a ``unit`` are refused.

    Returns
    -------
    ndarray of datetime64[us] or float64, shape (n,)
        Calendar times (naive, in UTC for tz-aware input) or numbers.

    Raises
    ------
    ValidationError
        Naming the first offending row (``.row``, ``.value``): a missing
        value; text that is not strict ISO-8601 (or does not match
        ``date_format``, or is not a valid date: 2024-02-30); a mix of
        calendar times and numbers, or of times with and without a UTC
        offset; integers shaped like YYYYMMDD without ``date_format`` or
        ``unit``; a calendar time outside the years 1000 to 9999; a value
        far outside the span of the others (see Notes).
    TypeError
        For a single string, booleans and other kinds of value.

    Notes
    -----
    **Strict ISO-8601.**  Text is ``YYYY-MM-DD``, optionally followed by ``T``
    or a space and ``hh:mm``, ``hh:mm:ss`` or ``hh:mm:ss.ffffff``, optionally
    ended by ``Z`` or ``±hh:mm`` (converted to UTC).  Reduced forms
    (``2024``, ``2024-06``), two-digit years (``97-06-01``), ``19970601``,
    ``31.01.2024``, ``2024/01/31`` and epoch seconds as text are refused
    unless ``date_format`` says how to read them (``"%s"`` for epoch
    seconds).  ``date_format`` is parsed vectorised by
    :func:`pyarrow.compute.strptime`; the rows that pyarrow cannot read, or
    that it may have read leniently (a day 29-31 it could have rolled into
    the next month), are decided by Python's :meth:`datetime.datetime.strptime`,
    which refuses invalid dates.

    **YYYYMMDD integers.**  When every value is an integer of eight digits
    forming a valid date (what pandas reads from a ``19970101`` column), the
    column is refused unless ``date_format="%Y%m%d"`` reads them as dates or
    a ``unit`` declares them numbers.

    **Far values.**  For columns of at least :data:`FAR_VALUE_MIN_ROWS`
    values, let :math:`q_-` and :math:`q_+` be the 1st and 99th percentile
    (order statistics that leave out at least the smallest and the largest
    value) and :math:`w = \max(q_+ - q_-, w_0)`, with the floor :math:`w_0`
    one year (for calendar columns and numbers in a ``unit``) or 1 (numbers
    of no stated unit).  A value below :math:`q_- - 10w` or above
    :math:`q_+ + 10w` is refused.  A 1997-1998 column refuses one 2024 or
    1970 value; a genuine ten-year span passes.

    Examples
    --------
    >>> from relmark.data.timeaxis import as_times
    >>> as_times(["2024-01-02T12:00+02:00", "2024-01-02T23:00Z"]).tolist()
    [datetime.datetime(2024, 1, 2, 10, 0), datetime.datetime(2024, 1, 2, 23, 0)]
    >>> as_times(["31.01.2024"], date_format="%d.%m.%Y").tolist()
    [datetime.datetime(2024, 1, 31, 0, 0)]
    >>> as_times([19970101, 19970102], date_format="%Y%m%d").astype(str).tolist()
    ['1997-01-01T00:00:00.000000', '1997-01-02T00:00:00.000000']
    >>> as_times([19970101, 19970102])
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `timestamp` holds integers shaped like YYYYMMDD dates; ...
    >>> as_times(["2024-01-01", "2024"])
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `timestamp` must be ISO-8601 ... (first at index 1: '2024')
    """
    if unit is not None:
        unit = as_time_unit(unit)
    if date_format is not None:
        _check_date_format(date_format)
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"`{name}` must be an array of timestamps, got a single {type(values).__name__}"
        )
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        times, pick = _from_arrow(name, values, date_format, unit)
    else:
        times, pick = _from_python(name, values, date_format, unit)
    if times.dtype.kind == "M":
        if unit is not None:
            raise ValidationError(
                "`unit` is only for numeric timestamps; calendar timestamps carry their own",
                argument="unit",
            )
        _check_years(name, times, pick)
    _check_far_values(name, times, unit, pick)
    return readonly(times if times.flags.owndata else np.array(times, copy=True))


def _check_date_format(date_format: object) -> None:
    if not isinstance(date_format, str):
        raise TypeError(f"`date_format` must be a string, got {type(date_format).__name__}")
    if "%" not in date_format:
        raise ValidationError(
            f"`date_format` must be a strftime layout such as '%d.%m.%Y', "
            f"got {describe(date_format)}",
            argument="date_format",
        )


def _refuse(name: str, rule: str, bad: BoolArray, pick: Picker) -> None:
    """Raise through :func:`fail_rows` if any row is bad, quoting the first one's input value."""
    if not bad.any():
        return
    shown = np.full(bad.size, None, dtype=object)
    first = int(np.argmax(bad))
    shown[first] = pick(first)
    fail_rows(name, rule, bad, shown)


def _numpy_mask(array: pa.Array | pa.ChunkedArray) -> BoolArray:
    """Return a boolean Arrow result as numpy (nulls as False)."""
    return numpy_mask(array)


# -- numpy, lists, pandas and polars columns --------------------------------------------------

_MISSING, _TEXT, _CALENDAR, _NUMBER, _OTHER = range(5)


def _from_python(
    name: str, values: object, date_format: str | None, unit: str | None
) -> tuple[TimeArray, Picker]:
    try:
        raw = np.asarray(values)
    except ValueError:  # nested sequences of different lengths
        raise ValidationError(
            f"`{name}` must be a one-dimensional array of timestamps, got a ragged sequence",
            argument=name,
        ) from None
    if raw.ndim == 0:
        raw = raw.reshape(1)
    if raw.ndim != 1:
        raise ValidationError(
            f"`{name}` must be one-dimensional, got shape {raw.shape}", argument=name
        )

    def pick(row: int) -> object:
        item = raw[row]
        return np.datetime_as_string(item, unit="auto") if isinstance(item, np.datetime64) else item

    kind = raw.dtype.kind
    if kind == "M":
        return _from_datetime64(name, raw, pick), pick
    if kind in "US":
        text = text_array(raw.astype(str) if kind == "S" else raw)
        return _from_text(name, text, date_format, pick), pick
    if kind in "iuf":
        return _from_numbers(name, raw, date_format, unit, pick), pick
    if kind == "O":
        return _from_objects(name, raw, date_format, unit, pick), pick
    raise TypeError(f"`{name}` must hold timestamps, got dtype {raw.dtype}")


def _kind_of(item: object) -> int:
    """Classify one entry of an object column: missing, text, calendar, number or other."""
    if item is None or type(item).__name__ == "NAType":  # pandas.NA
        return _MISSING
    if isinstance(item, str):
        return _TEXT
    if isinstance(item, (bool, np.bool_)):
        return _OTHER
    if isinstance(item, (dt.date, np.datetime64)):  # datetimes, pandas Timestamps and NaT
        return _MISSING if item != item else _CALENDAR
    if isinstance(item, (numbers.Real, Decimal)):
        return _MISSING if item != item else _NUMBER
    return _OTHER


def _from_objects(
    name: str, raw: NDArray[Any], date_format: str | None, unit: str | None, pick: Picker
) -> TimeArray:
    items = raw.tolist()
    kinds = np.fromiter(map(_kind_of, items), dtype=np.int8, count=len(items))
    _refuse(name, _MISSING_RULE, kinds == _MISSING, pick)
    other = kinds == _OTHER
    if other.any():
        first = int(np.argmax(other))
        shown = describe(items[first])
        shown = shown if len(shown) <= 40 else f"a {type(items[first]).__name__}"
        raise TypeError(
            f"`{name}` must hold datetimes, strings or numbers; {int(other.sum()):,} of "
            f"{other.size:,} rows do not (first at index {first}: {shown})"
        )
    present = np.bincount(kinds, minlength=5)
    if np.count_nonzero(present) > 1:
        usual = _usual_kind(kinds, present)
        _refuse(
            name,
            "must be one kind of value (all datetimes, all strings or all numbers), not a mix",
            kinds != usual,
            pick,
        )
    if kinds.size == 0 or kinds[0] == _TEXT:
        return _from_text(name, text_array(np.array(items, dtype=str)), date_format, pick)
    if kinds[0] == _CALENDAR:
        return _from_datetime_objects(name, items, pick)
    try:
        numbers_ = np.array([float(item) for item in items], dtype=np.float64)
    except OverflowError:
        big = np.array([abs(item) > 1e308 for item in items], dtype=bool)
        _refuse(name, "must be finite", big, pick)
        raise
    return _from_numbers(name, numbers_, date_format, unit, pick)


def _usual_kind(kinds: NDArray[np.int8], present: IntArray) -> int:
    """Return the most common kind; of kinds equally common, the one that comes first."""
    tied = np.flatnonzero(present == present.max())
    firsts = [int(np.argmax(kinds == kind)) for kind in tied]
    return int(tied[int(np.argmin(firsts))])


def _from_datetime_objects(name: str, items: list[Any], pick: Picker) -> TimeArray:
    """Convert ``datetime``/``date``/``datetime64`` objects to naive-UTC datetime64[us]."""
    aware = np.array([getattr(item, "tzinfo", None) is not None for item in items], dtype=bool)
    if aware.any() and not aware.all():
        _refuse(
            name,
            "must not mix timezone-aware and naive datetimes",
            aware if not aware[0] else ~aware,
            pick,
        )
    if aware.any():
        items = [item.astimezone(dt.timezone.utc).replace(tzinfo=None) for item in items]
    try:
        return np.array(items, dtype=object).astype("datetime64[us]")
    except (ValueError, OverflowError):
        raise ValidationError(
            f"`{name}` holds datetimes outside the supported range (years 1000 to 9999)",
            argument=name,
        ) from None


def _from_datetime64(name: str, raw: NDArray[np.datetime64], pick: Picker) -> TimeArray:
    _refuse(name, _MISSING_RULE, np.isnat(raw), pick)
    out = raw.astype("datetime64[us]")
    resolution = np.datetime_data(raw.dtype)[0]
    if resolution in ("Y", "M", "W", "D", "h", "m", "s", "ms") and raw.size:
        # coarse units can hold dates beyond the microsecond range: numpy would wrap them
        _refuse(name, "must lie in the years 1000 to 9999", out.astype(raw.dtype) != raw, pick)
    return out


# -- numbers -------------------------------------------------------------------------------


def _from_numbers(
    name: str,
    raw: NDArray[Any],
    date_format: str | None,
    unit: str | None,
    pick: Picker,
) -> TimeArray:
    """Numbers: plain times in a unit, or (with ``date_format``) dates written as integers."""
    if raw.dtype.kind == "f":
        _refuse(name, _MISSING_RULE, np.isnan(raw), pick)
        _refuse(name, "must be finite", np.isinf(raw), pick)
    if date_format is not None:
        if raw.dtype.kind == "f":
            _refuse(name, "must be whole numbers to be read with `date_format`",
                    raw != np.floor(raw), pick)  # fmt: skip
        whole = raw.astype(np.int64)
        if date_format == "%Y%m%d":
            return _yyyymmdd(name, whole, pick)
        return _from_text(name, arrow_of(whole).cast(pa.large_string()), date_format, pick)
    if unit is None and _shaped_like_yyyymmdd(raw):
        _refuse(
            name,
            "holds integers shaped like YYYYMMDD dates; give date_format='%Y%m%d' to read "
            "them as dates, or a `unit` (e.g. unit='D') if they are plain numbers in that unit",
            np.ones(raw.size, dtype=bool),
            pick,
        )
    return np.array(raw, dtype=np.float64)


def _calendar_fields(whole: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Split YYYYMMDD integers into year, month and day."""
    year, rest = np.divmod(whole, 10_000)
    month, day = np.divmod(rest, 100)
    return year, month, day


def _valid_dates(year: IntArray, month: IntArray, day: IntArray) -> BoolArray:
    """Return whether each (year, month, day) is a date of the years 1000-9999."""
    valid: BoolArray = (year >= 1000) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1)
    months = np.where(valid, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    length = (months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")
    valid &= day <= length.astype(np.int64)
    return valid


def _shaped_like_yyyymmdd(raw: NDArray[Any]) -> bool:
    """Whether every value is a whole number of eight digits forming a valid date."""
    if raw.size == 0 or raw.min() < 10_000_101 or raw.max() > 99_991_231:
        return False  # the cheap test settles ordinary columns of times
    if raw.dtype.kind == "f" and not bool(np.all(raw == np.floor(raw))):
        return False
    return bool(_valid_dates(*_calendar_fields(raw.astype(np.int64))).all())


def _yyyymmdd(name: str, whole: IntArray, pick: Picker) -> TimeArray:
    """Read YYYYMMDD integers as dates, by integer arithmetic; refuse the rows that are not."""
    year, month, day = _calendar_fields(whole)
    valid = _valid_dates(year, month, day) & (whole >= 10_000_101)
    _refuse(name, "must be valid dates written as YYYYMMDD (date_format='%Y%m%d')", ~valid, pick)
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (day - 1)
    return days.astype("datetime64[us]")


# -- text -------------------------------------------------------------------------------------


def _from_text(
    name: str, text: pa.Array, date_format: str | None, pick: Picker
) -> NDArray[np.datetime64]:
    """Parse Arrow strings: strict ISO-8601, or ``date_format``."""
    if text.null_count:
        _refuse(name, _MISSING_RULE, _numpy_mask(text.is_null()), pick)
    if date_format is None:
        return _iso(name, text, pick)
    return _formatted(name, text, date_format, pick)


def _hint(value: object) -> str:
    """Say how to read one refused text value, when its shape tells."""
    text = str(value)
    if re.fullmatch(r"\d{8}", text):
        return "; give date_format='%Y%m%d' for YYYYMMDD"
    if re.fullmatch(r"[+-]?\d+(\.\d*)?", text):
        return (
            "; numbers as text are not times: give numbers, or date_format='%s' for epoch seconds"
        )
    if re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}.*|\d{4}/\d{1,2}/\d{1,2}.*", text):
        return "; give `date_format` (e.g. '%d.%m.%Y' or '%Y/%m/%d')"
    return ""


def _iso(name: str, text: pa.Array, pick: Picker) -> NDArray[np.datetime64]:
    """Strict ISO-8601 text to naive-UTC datetime64[us]."""
    ok = _numpy_mask(pc.match_substring_regex(text, _ISO))
    if not ok.all():
        _refuse(name, _ISO_RULE + _hint(pick(int(np.argmin(ok)))), ~ok, pick)
    zoned = _numpy_mask(pc.match_substring_regex(text, _ZONED))
    if zoned.any() and not zoned.all():
        _refuse(
            name,
            "must not mix times with a UTC offset (Z, +hh:mm) and times without",
            zoned if not zoned[0] else ~zoned,
            pick,
        )
    target = pa.timestamp("us", tz="UTC") if zoned.any() else pa.timestamp("us")
    try:
        parsed = text.cast(target)
    except pa.ArrowInvalid as error:
        _refuse(name, "must be valid dates and times", _invalid_iso_fields(text), pick)
        raise ValidationError(f"`{name}` could not be parsed: {error}", argument=name) from None
    return _naive_micros(parsed)


def _invalid_iso_fields(text: pa.Array) -> BoolArray:
    """Rows of well-shaped ISO text whose fields are out of range (2024-02-30, 12:60, ...)."""

    def field(start: int, stop: int) -> IntArray:
        part = pc.utf8_slice_codeunits(text, start, stop)
        digits = pc.if_else(pc.match_substring_regex(part, r"^\d+$"), part, "0")
        return numpy_of(digits.cast(pa.int64())).astype(np.int64, copy=False)

    year, month, day = field(0, 4), field(5, 7), field(8, 10)
    bad = ~_valid_dates(year, month, day)
    bad |= (field(11, 13) > 23) | (field(14, 16) > 59)
    has_seconds = _numpy_mask(pc.match_substring_regex(text, r"^.{16}:"))
    bad |= has_seconds & (field(17, 19) > 59)
    return bad


def _naive_micros(parsed: pa.Array | pa.ChunkedArray) -> NDArray[np.datetime64]:
    """Return Arrow timestamps (any unit, tz or not) as naive-UTC numpy datetime64[us]."""
    coarse = parsed.type.unit != "ns"  # ns to us truncates; coarser units must not overflow
    naive = parsed.cast(pa.timestamp("us"), safe=coarse)
    return numpy_of(naive).astype("datetime64[us]", copy=False)


def _formatted(name: str, text: pa.Array, date_format: str, pick: Picker) -> NDArray[np.datetime64]:
    """Text in a strftime layout: pyarrow's strptime, checked by Python's where it may differ."""
    try:
        parsed = pc.strptime(text, format=date_format, unit="us", error_is_null=True)
    except pa.ArrowInvalid:  # a layout pyarrow does not know at all: Python decides every row
        parsed = pa.nulls(len(text), pa.timestamp("us"))
    doubtful = _numpy_mask(parsed.is_null())
    if "%d" in date_format:
        doubtful |= _may_have_rolled_over(text, parsed, date_format)
    micros = _naive_micros(parsed)
    if doubtful.any():
        micros = np.array(micros, copy=True)  # pyarrow's buffer is read-only
    for row in np.flatnonzero(doubtful):  # few rows, unless pyarrow cannot read the layout
        micros[row] = _python_strptime(str(text[int(row)].as_py()), date_format)
    refused = np.isnat(micros)
    _refuse(name, f"must be valid dates matching date_format {date_format!r}", refused, pick)
    return micros


def _may_have_rolled_over(text: pa.Array, parsed: pa.Array, date_format: str) -> BoolArray:
    """Rows pyarrow may have read leniently (it turns 30.02 into 01.03): check them again.

    A day 29-31 rolled into the next month lands on day 1-3 (in UTC, with a
    UTC offset, within a day of it); those rows are printed back with the
    layout, and the ones that do not give their text back are doubtful.
    """
    day = _numpy_mask(pc.less_equal(pc.day(parsed), 3 if "%z" not in date_format else 4))
    if "%z" in date_format:
        day |= _numpy_mask(pc.greater_equal(pc.day(parsed), 28))
    rows = np.flatnonzero(day)
    doubtful = np.zeros(len(text), dtype=bool)
    if rows.size:
        second = pa.timestamp("s", tz=parsed.type.tz)  # pyarrow's strptime reads whole seconds
        seconds = parsed.take(arrow_of(rows)).cast(second, safe=False)
        printed = pc.strftime(seconds, format=date_format)
        same = _numpy_mask(pc.equal(printed, text.take(arrow_of(rows))))
        doubtful[rows[~same]] = True
    return doubtful


def _python_strptime(text: str, date_format: str) -> np.datetime64:
    """Parse one value with Python's strptime (strict about invalid dates); NaT if it fails."""
    try:
        parsed = dt.datetime.strptime(text, date_format)
    except ValueError:
        return np.datetime64("NaT", "us")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return np.datetime64(parsed, "us")


# -- pyarrow columns ------------------------------------------------------------------------------


def _from_arrow(
    name: str, values: pa.Array | pa.ChunkedArray, date_format: str | None, unit: str | None
) -> tuple[TimeArray, Picker]:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()

    def pick(row: int) -> object:
        item = array[row].as_py()
        return item.isoformat() if isinstance(item, (dt.date, dt.datetime)) else item

    kind = array.type
    if pa.types.is_null(kind) and len(array) == 0:
        return np.zeros(0), pick
    if pa.types.is_null(kind) or array.null_count:
        _refuse(name, _MISSING_RULE, _numpy_mask(array.is_null()), pick)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or _is_string_view(kind):
        return _from_text(name, array.cast(pa.large_string()), date_format, pick), pick
    if pa.types.is_timestamp(kind):
        return _arrow_range(name, array, pick), pick
    if pa.types.is_date(kind):
        return _arrow_range(name, array.cast(pa.timestamp("ms")), pick), pick
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        if pa.types.is_decimal(kind) or pa.types.is_float16(kind):
            array = array.cast(pa.float64())
        raw = numpy_of(array)
        return _from_numbers(name, raw, date_format, unit, pick), pick
    raise TypeError(f"`{name}` must hold timestamps, got Arrow type {kind}")


def _is_string_view(kind: pa.DataType) -> bool:
    return bool(getattr(pa.types, "is_string_view", lambda _: False)(kind))


def _arrow_range(name: str, array: pa.Array, pick: Picker) -> NDArray[np.datetime64]:
    try:
        return _naive_micros(array)
    except pa.ArrowInvalid:
        seconds = numpy_of(array.cast(pa.timestamp("s"), safe=False))
        bad = (seconds < _EARLIEST) | (seconds >= _LATEST)
        _refuse(name, "must lie in the years 1000 to 9999", bad, pick)
        raise


# -- rules on the converted column --------------------------------------------------------------


def _check_years(name: str, times: TimeArray, pick: Picker) -> None:
    """Calendar times lie in the years 1000-9999 (a two-digit year read as %Y is not)."""
    if times.size and (times.min() < _EARLIEST or times.max() >= _LATEST):
        _refuse(
            name,
            "must lie in the years 1000 to 9999 (a two-digit year?)",
            (times < _EARLIEST) | (times >= _LATEST),
            pick,
        )


def _check_far_values(name: str, times: TimeArray, unit: str | None, pick: Picker) -> None:
    """Refuse a value far outside the span of the others (the rule of :func:`as_times`)."""
    n = times.size
    if n < FAR_VALUE_MIN_ROWS:
        return
    calendar = times.dtype.kind == "M"
    values = times.view(np.int64) if calendar else times
    if calendar:
        floor = _YEAR_SECONDS * _MICROS
    else:
        floor = _YEAR_SECONDS / TIME_UNITS[unit] if unit is not None else 1.0
    low, high = float(values.min()), float(values.max())
    if high - low <= FAR_VALUE_FACTOR * floor:
        return  # no value can be far: the common case costs a min and a max
    trim = max(1, n // 100)
    central = np.partition(values, (trim, n - 1 - trim))
    core_low, core_high = float(central[trim]), float(central[n - 1 - trim])
    reach = FAR_VALUE_FACTOR * max(core_high - core_low, floor)
    bad = np.less(values, core_low - reach) | np.greater(values, core_high + reach)
    if calendar:
        span = f"{_shown_micros(core_low)} to {_shown_micros(core_high)}"
    else:
        span = f"{core_low:g} to {core_high:g}"
    _refuse(
        name,
        f"must not lie far outside the other values (the central 98% span {span}; a value "
        f"more than {FAR_VALUE_FACTOR:g} such spans beyond it is taken for a misread time)",
        bad,
        pick,
    )


def _shown_micros(micros: float) -> str:
    return str(np.datetime64(int(micros), "us").astype("datetime64[D]"))


# ------------------------------------------------------------------------------- instants


def is_timezone_aware(value: object) -> bool | None:
    """Return whether one time carries a time zone: True/False for calendar times, else None.

    Aware: a ``datetime`` with ``tzinfo``, or text ending in ``Z`` or ``±hh:mm``.
    Naive: other datetimes, dates, ``numpy.datetime64`` and other text.  Tables
    built from many objects use it to refuse mixtures.

    Examples
    --------
    >>> import datetime as dt
    >>> from relmark.data.timeaxis import is_timezone_aware
    >>> is_timezone_aware("2024-01-01T10:00Z"), is_timezone_aware(dt.date(2024, 1, 1))
    (True, False)
    >>> is_timezone_aware(3.5) is None
    True
    """
    if isinstance(value, dt.datetime):
        return value.tzinfo is not None
    if isinstance(value, str):
        return re.search(_ZONED, value) is not None
    if isinstance(value, (dt.date, np.datetime64)):
        return False
    return None


def as_instant(
    value: object,
    *,
    name: str,
    calendar: bool | None = None,
    date_format: str | None = None,
) -> np.datetime64 | float:
    """Return one instant as ``numpy.datetime64[us]`` (naive UTC) or a float.

    Parameters
    ----------
    value : str, datetime, date, numpy.datetime64, pandas.Timestamp or number
        Text is strict ISO-8601 (as in :func:`as_times`), or, when that fails
        and ``date_format`` is given, text in that layout.
    name : str
        The argument, as messages name it (``"observation_end"``, ``"as_of"``, ...).
    calendar : bool, optional
        The kind of the log the instant is used with: True for calendar
        times, False for numbers, None for either.
    date_format : str, optional
        strftime layout tried for text that is not ISO-8601.

    Returns
    -------
    numpy.datetime64 or float

    Raises
    ------
    ValidationError
        For ``None`` (the instant is required), NaT or NaN, infinities, and
        text that cannot be parsed.
    TypeError
        For booleans, other objects, and a kind that does not fit ``calendar``.

    Examples
    --------
    >>> from relmark.data.timeaxis import as_instant
    >>> as_instant("2024-03-31T12:00+02:00", name="observation_end")
    np.datetime64('2024-03-31T10:00:00.000000')
    >>> as_instant(12, name="observation_end", calendar=False)
    12.0
    >>> as_instant(12, name="observation_end", calendar=True)
    Traceback (most recent call last):
    ...
    TypeError: `observation_end` must be a date or datetime for a log with calendar timestamps, got int
    """  # noqa: E501
    if value is None:
        raise ValidationError(f"`{name}` is required", argument=name)
    if isinstance(value, pa.Scalar):
        value = value.as_py()
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be a time, got bool")
    if isinstance(value, (str, dt.date, np.datetime64)):
        if calendar is False:
            raise TypeError(
                f"`{name}` must be a number for a log with numeric timestamps, "
                f"got {type(value).__name__}"
            )
        return _calendar_instant(name, value, date_format)
    if isinstance(value, (numbers.Real, Decimal)):
        if calendar is True:
            raise TypeError(
                f"`{name}` must be a date or datetime for a log with calendar timestamps, "
                f"got {type(value).__name__}"
            )
        number = float(value)
        if not math.isfinite(number):
            rule = "must not be NaN" if math.isnan(number) else f"must be finite, got {number!r}"
            raise ValidationError(f"`{name}` {rule}", argument=name, value=str(number))
        return number
    raise TypeError(
        f"`{name}` must be a time (an ISO-8601 string, a datetime, a numpy.datetime64) "
        f"or a number, got {type(value).__name__}"
    )


def _calendar_instant(name: str, value: object, date_format: str | None) -> np.datetime64:
    if isinstance(value, (dt.date, np.datetime64)) and value != value:  # NaT
        raise ValidationError(f"`{name}` must not be NaT", argument=name)
    parsed: TimeArray
    try:
        if isinstance(value, str):
            text = text_array(np.array([value], dtype=str))
            if date_format is not None and not re.match(_ISO, value):
                _check_date_format(date_format)
                parsed = _formatted(name, text, date_format, lambda _: value)
            else:
                parsed = _iso(name, text, lambda _: value)
        else:
            parsed = _from_datetime_objects(name, [value], lambda _: value)
        _check_years(name, parsed, lambda _: value)
    except ValidationError:
        layouts = "ISO-8601" if date_format is None else f"ISO-8601 or {date_format!r}"
        raise ValidationError(
            f"`{name}` must be a time (an {layouts} string, a datetime, a numpy.datetime64) "
            f"or a number, got {describe(value)}",
            argument=name,
            value=str(value),
        ) from None
    instant: np.datetime64 = parsed[0]
    return instant


# ------------------------------------------------------------------------------- periods


def _period(calendar: bool, period: object) -> str | float | None:
    if period is None:
        return None
    if calendar:
        if isinstance(period, str) and period in TIME_UNITS:
            return period
        raise ValidationError(
            f"`period` must be one of {', '.join(TIME_UNITS)} or None for a calendar log, "
            f"got {describe(period)}",
            argument="period",
        )
    if period == "D":  # numeric logs: "D" (the default) merges identical timestamps
        return "D"
    if isinstance(period, str):
        raise ValidationError(
            "`period` must be None, 'D' (identical timestamps) or a positive width in the "
            f"log's unit for a log with numeric timestamps, got {describe(period)}",
            argument="period",
        )
    return as_scalar("period", period, low=0.0, low_open=True)


def _calendar_flag(value: object) -> bool:
    return as_flag("calendar", value)


@attrs.frozen(kw_only=True)
class PeriodGrid:
    """How a log's timestamps are merged into purchase periods and measured in a unit.

    The time half of the one summary kernel: :meth:`relmark.TransactionLog.summarize`,
    :meth:`~relmark.TransactionLog.split` and :func:`relmark.dask.summarize`
    all put purchases on this grid.  Times are *positions on the log's axis*:
    microseconds since 1970-01-01 UTC for calendar logs, the log's own numbers
    for numeric ones.

    Parameters
    ----------
    calendar : bool
        Whether the log's timestamps are calendar times.
    period : str or float or None, default "D"
        The merging period.  Calendar logs: ``"s"``, ``"min"``, ``"h"``,
        ``"D"``, ``"W"`` (weeks counted from the epoch, so they start on
        Thursdays like ``datetime64[W]``), ``"M"`` (calendar months) or
        None (identical timestamps only).  Numeric logs: None or ``"D"``
        (identical timestamps only) or a positive width in the log's unit.
        A period's time is its start.
    unit : str, optional
        Unit of durations (:data:`TIME_UNITS`).  Default ``"D"`` for
        calendar logs, the log's unit for numeric ones.  ``"M"`` is the
        average month (30.436875 days).
    log_unit : str, optional
        The unit of a numeric log's timestamps (None: unspecified; its
        durations are then reported as they are).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data.timeaxis import PeriodGrid
    >>> grid = PeriodGrid(calendar=True, period="M", unit="D")
    >>> stamps = np.array(["2024-01-20", "2024-02-03"], dtype="datetime64[us]")
    >>> ticks = grid.ticks(stamps)
    >>> starts = grid.starts(ticks)
    >>> grid.measure(starts[1] - starts[0])  # from the start of January to that of February
    np.float64(31.0)
    """

    calendar: bool = attrs.field(converter=_calendar_flag)
    period: str | float | None = "D"
    unit: str | None = None
    log_unit: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.log_unit is not None:
            as_time_unit(self.log_unit, name="log_unit")
            if self.calendar:
                raise ValidationError(
                    "`log_unit` is only for numeric timestamps", argument="log_unit"
                )
        unit = None if self.unit is None else as_time_unit(self.unit)
        object.__setattr__(self, "unit", unit or ("D" if self.calendar else self.log_unit))
        object.__setattr__(self, "period", _period(self.calendar, self.period))

    def ticks(self, timestamps: TimeArray) -> IntArray | FloatArray:
        """Return each timestamp's period: int64 indices (calendar logs) or floats (numeric).

        Two purchases fall in the same period exactly when their ticks are equal.
        """
        if self.calendar:
            if self.period is None:
                micros: IntArray = timestamps.view(np.int64)
                return micros
            if self.period == "M":
                months: IntArray = timestamps.astype("datetime64[M]").view(np.int64)
                return months
            return timestamps.view(np.int64) // int(TIME_UNITS[str(self.period)] * _MICROS)
        numeric: FloatArray = timestamps.astype(np.float64, copy=False)
        if self.period is None or self.period == "D":
            return numeric
        return np.floor(numeric / float(self.period))

    def starts(self, ticks: IntArray | FloatArray) -> FloatArray:
        """Return the start of each period (of :meth:`ticks`), as a position on the axis."""
        if self.calendar:
            if self.period is None:
                return ticks.astype(np.float64)
            if self.period == "M":
                months = ticks.astype(np.int64).view("datetime64[M]")
                return months.astype("datetime64[us]").view(np.int64).astype(np.float64)
            width = int(TIME_UNITS[str(self.period)] * _MICROS)
            return (ticks.astype(np.int64) * width).astype(np.float64)
        if self.period is None or self.period == "D":
            return ticks.astype(np.float64)
        return ticks.astype(np.float64) * float(self.period)

    def position(self, instant: np.datetime64 | float) -> float:
        """Return an instant (from :func:`as_instant`) as a position on the axis."""
        if self.calendar:
            return float(np.asarray(instant, dtype="datetime64[us]").view(np.int64))
        return float(instant)

    def measure(self, delta: FloatArray | float) -> FloatArray:
        """Return differences of positions as durations in :attr:`unit`.

        Divisions by the unit's length (not products with its inverse), so
        that whole days come out as exact multiples of 1/7 week, etc.
        """
        spans = np.asarray(delta, dtype=np.float64)
        if self.calendar:
            return spans / (TIME_UNITS[str(self.unit)] * _MICROS)
        if self.log_unit is None or self.unit is None or self.unit == self.log_unit:
            return spans
        ratio = TIME_UNITS[self.log_unit] / TIME_UNITS[self.unit]
        if ratio >= 1.0 and ratio == math.floor(ratio):
            return spans * ratio
        return spans / (TIME_UNITS[self.unit] / TIME_UNITS[self.log_unit])
