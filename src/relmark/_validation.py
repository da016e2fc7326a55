"""The one place that turns user input into checked numpy arrays and scalars.

Every public function validates through these helpers so that messages read
the same everywhere: they name the argument, the rule, the offending value
and, for arrays, how many rows break the rule and where the first one is.
Arrays are always copied, so the caller's data is never changed, and handed
back read-only.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark.exceptions import ValidationError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def readonly(array: NDArray[Any]) -> NDArray[Any]:
    """Mark ``array`` read-only and return it."""
    array.flags.writeable = False
    return array


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.generic):
        return repr(value.item())
    return repr(value)


def fail_rows(
    name: str, rule: str, bad: BoolArray, detail: str | None = None, *, noun: str = "rows"
) -> None:
    """Raise a :class:`ValidationError` if any entry of ``bad`` is true.

    ``detail`` describes the first offending row; by default nothing is added.
    """
    if not bad.any():
        return
    first = int(np.argmax(bad))
    count = int(bad.sum())
    where = f"first at index {first}" + (f": {detail}" if detail else "")
    raise ValidationError(
        f"`{name}` {rule}; {count:,} of {bad.size:,} {noun} violate this ({where})"
    )


def as_float_array(
    name: str,
    value: ArrayLike,
    *,
    nonnegative: bool = False,
    positive: bool = False,
    allow_nan: bool = False,
    noun: str = "rows",
) -> FloatArray:
    """Return a read-only 1-D float64 copy of ``value``, checked.

    Raises ``TypeError`` for non-numeric input and :class:`ValidationError`
    for NaN, infinite, negative (``nonnegative``) or non-positive
    (``positive``) entries.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"`{name}` must be an array of numbers, got {type(value).__name__}")
    raw = np.asarray(value)
    if raw.dtype == object or raw.dtype.kind not in "biuf":
        if raw.dtype.kind == "O":
            try:
                raw = raw.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(
                    f"`{name}` must hold numbers only, got dtype {np.asarray(value).dtype}"
                ) from None
        else:
            raise TypeError(f"`{name}` must hold numbers, got dtype {raw.dtype}")
    array = np.array(raw, dtype=np.float64, copy=True).reshape(-1) if raw.ndim <= 1 else None
    if array is None:
        raise ValidationError(f"`{name}` must be one-dimensional, got shape {raw.shape}")
    nan = np.isnan(array)
    if not allow_nan:
        fail_rows(name, "must not be NaN", nan, noun=noun)
    inf = np.isinf(array)
    fail_rows(
        name, "must be finite", inf, _fmt(array[np.argmax(inf)]) if inf.any() else None, noun=noun
    )
    if positive:
        bad = ~nan & (array <= 0)
        fail_rows(
            name, "must be > 0", bad, _fmt(array[np.argmax(bad)]) if bad.any() else None, noun=noun
        )
    elif nonnegative:
        bad = ~nan & (array < 0)
        fail_rows(
            name, "must be >= 0", bad, _fmt(array[np.argmax(bad)]) if bad.any() else None, noun=noun
        )
    return readonly(array)


def check_whole(name: str, array: FloatArray, *, noun: str = "rows") -> None:
    """Raise unless every entry of ``array`` is a whole number."""
    bad = array != np.floor(array)
    fail_rows(
        name,
        "must be whole numbers",
        bad,
        _fmt(array[np.argmax(bad)]) if bad.any() else None,
        noun=noun,
    )


def check_same_length(arrays: Mapping[str, Sequence[Any] | NDArray[Any]]) -> int:
    """Return the common length of ``arrays``; raise if the lengths differ."""
    lengths = {key: len(value) for key, value in arrays.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"`{key}` has {n:,}" for key, n in lengths.items())
        raise ValidationError(f"arrays must have the same length: {listing}")
    return next(iter(lengths.values()), 0)


def as_scalar(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a finite float within ``[low, high]`` (or open ends).

    Raises ``TypeError`` for non-numbers (booleans included) and
    :class:`ValidationError` for NaN, infinities and out-of-range values.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {type(value).__name__}")
    number = float(value)
    if math.isnan(number):
        raise ValidationError(f"`{name}` must not be NaN")
    if math.isinf(number) and not allow_inf:
        raise ValidationError(f"`{name}` must be finite, got {number!r}")
    if low is not None and (number < low or (low_open and number == low)):
        sign = ">" if low_open else ">="
        raise ValidationError(f"`{name}` must be {sign} {low:g}, got {number!r}")
    if high is not None and (number > high or (high_open and number == high)):
        sign = "<" if high_open else "<="
        raise ValidationError(f"`{name}` must be {sign} {high:g}, got {number!r}")
    return number


def as_positive(name: str, value: object) -> float:
    """Return ``value`` as a finite float > 0."""
    return as_scalar(name, value, low=0.0, low_open=True)


def as_count(name: str, value: object, *, minimum: int = 0) -> int:
    """Return ``value`` as an ``int`` >= ``minimum`` (numpy integers accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {type(value).__name__}")
    number = int(value)
    if number < minimum:
        raise ValidationError(f"`{name}` must be >= {minimum}, got {number}")
    return number


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a generator, a seed or ``None``."""
    if isinstance(rng, np.random.Generator):
        return rng
    seed: object = rng
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"`rng` must be a numpy Generator, an int seed or None, got {type(rng).__name__}"
    )


TimeArray = NDArray[np.datetime64] | FloatArray


def _datetimes_to_utc(name: str, values: NDArray[Any]) -> NDArray[np.datetime64]:
    """Convert an object array of ``datetime``/``date`` to naive-UTC datetime64[us]."""
    import datetime as dt

    aware = np.array([getattr(v, "tzinfo", None) is not None for v in values.tolist()], dtype=bool)
    if aware.any() and not aware.all():
        fail_rows(
            name,
            "must not mix timezone-aware and naive datetimes",
            aware if not aware[0] else ~aware,
        )
    if aware.any():
        values = np.array(
            [v.astimezone(dt.timezone.utc).replace(tzinfo=None) for v in values.tolist()],
            dtype=object,
        )
    return values.astype("datetime64[us]")


def as_timestamps(name: str, values: ArrayLike, *, noun: str = "rows") -> TimeArray:
    """Return timestamps as a read-only copy: datetime64[us] for dates, float64 for numbers.

    Accepts numpy datetime64, ``datetime``/``date`` objects (timezone-aware ones are converted
    to UTC; mixing aware and naive raises), ISO-8601 strings, or plain numbers already in a
    time unit.  Raises :class:`ValidationError` for missing or unparsable values.
    """
    if isinstance(values, (str, bytes)):
        raise TypeError(
            f"`{name}` must be an array of timestamps, got a single {type(values).__name__}"
        )
    raw = np.asarray(values)
    if raw.ndim != 1:
        raw = raw.reshape(-1) if raw.ndim == 0 else raw
        if raw.ndim != 1:
            raise ValidationError(f"`{name}` must be one-dimensional, got shape {raw.shape}")
    if raw.dtype.kind in "biuf":
        return as_float_array(name, raw, noun=noun)
    if raw.dtype.kind == "M":
        out = raw.astype("datetime64[us]")
    elif raw.dtype.kind in "UST":
        try:
            out = raw.astype("datetime64[us]")
        except ValueError as error:
            parsed = [_try_datetime(v) for v in raw.tolist()]
            bad = np.array([p is None for p in parsed], dtype=bool)
            fail_rows(
                name,
                "must be ISO-8601 dates or datetimes",
                bad,
                repr(str(raw[int(np.argmax(bad))])) if bad.any() else None,
                noun=noun,
            )
            raise ValidationError(f"`{name}` could not be parsed: {error}") from None
    elif raw.dtype.kind == "O":
        sample = raw.tolist()
        if all(isinstance(v, str) for v in sample):
            return as_timestamps(name, np.array(sample, dtype=str), noun=noun)
        import datetime as dt

        is_time = np.array([isinstance(v, (dt.date, np.datetime64)) for v in sample], dtype=bool)
        if not is_time.all():
            first = int(np.argmin(is_time))
            if not is_time.any() and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) for v in sample
            ):
                return as_float_array(name, np.array(sample, dtype=np.float64), noun=noun)
            raise TypeError(
                f"`{name}` must hold datetimes, ISO-8601 strings or numbers; "
                f"index {first} holds {type(sample[first]).__name__}: {sample[first]!r}"
            )
        out = _datetimes_to_utc(name, raw)
    else:
        raise TypeError(f"`{name}` must hold timestamps, got dtype {raw.dtype}")
    fail_rows(name, "must not be missing (NaT)", np.isnat(out), noun=noun)
    return readonly(np.array(out, copy=True))


def _try_datetime(value: str) -> np.datetime64 | None:
    try:
        return np.datetime64(value, "us")
    except ValueError:
        return None
