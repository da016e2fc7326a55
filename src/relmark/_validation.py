"""The one place that turns user input into checked numpy arrays, scalars and objects.

Every public function validates through these helpers, once, at its entry, so
that messages read the same everywhere: they name the argument, the rule, the
offending value and, for arrays, how many rows break the rule and where the
first one is.  Arrays are always copied, so the caller's data is never
changed, and handed back read-only.  Wrong kinds of object (a string for a
number, a list for a mapping, a spend model for a purchase model, ``None`` for
a log) raise ``TypeError``; bad values raise :class:`~relmark.ValidationError`.

One helper per rule:

- rows of an array: :func:`fail_rows` (reports the first offending value
  itself), :func:`check_range`, :func:`check_whole`,
  :func:`check_same_length`, :func:`check_length`, :func:`check_broadcast`;
- arrays: :func:`as_float_array` (1-D), :func:`as_broadcastable` (any
  shape, for broadcasting), :func:`as_bool_array`,
  :func:`as_survivor_counts` (a cohort's counts, never rising);
- scalars: :func:`as_scalar`, :func:`as_positive`, :func:`as_probability`,
  :func:`as_count`, :func:`as_periods`, :func:`as_flag`, :func:`as_choice`,
  :func:`as_text`, :func:`as_customer_id`, :func:`as_amount`;
- objects: :func:`as_instance`, :func:`as_mapping`, :func:`as_model`,
  :func:`as_rng`;
- the work a call may ask for: :func:`check_size` and the limits
  :data:`MAX_STEPS`;
- results: :func:`float_or_array` (a scalar in gives a float out).

Times (columns of timestamps, single instants, time units) have their own
module, :mod:`relmark.data.timeaxis`, built on these helpers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Mapping, Sequence, Sized
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark.exceptions import ValidationError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
TimeArray = NDArray[np.datetime64] | FloatArray

T = TypeVar("T")

#: Most discounting periods (or other passes over all customers) one call may ask for.
MAX_STEPS = 100_000
#: Most customers a simulator draws in one call (about 100 bytes each while drawing).
MAX_SIMULATED_CUSTOMERS = 100_000_000
#: Most purchase events a simulator draws in one call (about 50 bytes each while drawing).
MAX_SIMULATED_EVENTS = 1_000_000_000


def readonly(array: NDArray[Any]) -> NDArray[Any]:
    """Mark ``array`` read-only and return it."""
    array.flags.writeable = False
    return array


def one_line(error: BaseException) -> str:
    """Return an error's message on one line (its type's name when it has none)."""
    return " ".join(str(error).split()) or type(error).__name__


def describe(value: Any) -> str:
    """Return a short ``repr`` of one value as a message quotes it (numpy scalars unwrapped)."""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"{'-' if value < 0 else ''}~1e+{int(math.log10(abs(value)))}"  # any size
    return repr(value)


# ---------------------------------------------------------------------------- rows of arrays


def fail_rows(
    name: str,
    rule: str,
    bad: BoolArray,
    values: ArrayLike | str | None = None,
    *,
    versus: tuple[str, ArrayLike] | None = None,
    noun: str = "rows",
) -> None:
    """Raise a :class:`ValidationError` if any entry of ``bad`` is true.

    Parameters
    ----------
    name, rule : str
        The argument and the rule it breaks: "`{name}` {rule}; ...".
    bad : ndarray of bool
        True where a row breaks the rule (any shape; counted flat).
    values : array_like, optional
        The argument's values, aligned with ``bad``: the first offending one
        is quoted (``first at index 17: -1.0``).  A ``str`` is quoted as it is
        (kept for callers that still format the value themselves).
    versus : (str, array_like), optional
        A relation and the values compared against, quoted after the value:
        ``("> ", T)`` reads ``first at index 17: 5.0 > 3.0``.
    noun : str, default "rows"
        What the rows are ("customers", "values", ...).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark._validation import fail_rows
    >>> x = np.array([1.0, -2.0, -3.0])
    >>> fail_rows("x", "must be >= 0", x < 0, x, noun="customers")
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `x` must be >= 0; 2 of 3 ... (first at index 1: -2.0)
    """
    flat = np.asarray(bad, dtype=bool).reshape(-1)
    if not flat.any():
        return
    first = int(np.argmax(flat))
    count = int(flat.sum())
    value: str | None = None
    if isinstance(values, str):
        detail: str | None = values
    elif values is not None:
        detail = describe(np.asarray(values).reshape(-1)[first])
        value = str(np.asarray(values).reshape(-1)[first])
        if versus is not None:
            relation, other = versus
            detail += f" {relation.strip()} {describe(np.asarray(other).reshape(-1)[first])}"
    else:
        detail = None
    where = f"first at index {first}" + (f": {detail}" if detail else "")
    raise ValidationError(
        f"`{name}` {rule}; {count:,} of {flat.size:,} {noun} violate this ({where})",
        argument=name,
        row=first,
        value=value,
    )


def _bound_rule(
    low: float | None, high: float | None, low_open: bool, high_open: bool
) -> str | None:
    """Say in words what ``[low, high]`` (with open ends) accepts."""
    if low is not None and high is not None:
        return f"must lie in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"must be {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"must be {'<' if high_open else '<='} {high:g}"
    return None


def check_range(
    name: str,
    array: FloatArray,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    noun: str = "rows",
) -> None:
    """Raise unless every (non-NaN) entry of ``array`` lies within ``[low, high]``.

    The message states the accepted range, e.g. "must lie in [0, 1)" or "must be > 0".

    Examples
    --------
    >>> import numpy as np
    >>> from relmark._validation import check_range
    >>> check_range("p", np.array([0.5, 1.5]), low=0.0, high=1.0)
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `p` must lie in [0, 1]; 1 of 2 ... (first at index 1: 1.5)
    """
    rule = _bound_rule(low, high, low_open, high_open)
    if rule is None:
        return
    bad = np.zeros(array.shape, dtype=bool)
    if low is not None:
        bad |= (array <= low) if low_open else (array < low)
    if high is not None:
        bad |= (array >= high) if high_open else (array > high)
    fail_rows(name, rule, bad, array, noun=noun)


def check_whole(name: str, array: FloatArray, *, noun: str = "rows") -> None:
    """Raise unless every entry of ``array`` is a whole number.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark._validation import check_whole
    >>> check_whole("n", np.array([1.0, 2.5]))
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `n` must be whole numbers; ... (first at index 1: 2.5)
    """
    fail_rows(name, "must be whole numbers", array != np.floor(array), array, noun=noun)


def _names(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def check_same_length(arrays: Mapping[str, Sequence[Any] | NDArray[Any]]) -> int:
    """Return the common length of ``arrays``; raise naming each argument if they differ.

    Examples
    --------
    >>> from relmark._validation import check_same_length
    >>> check_same_length({"frequency": [1, 2], "recency": [1.0]})
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `frequency` and `recency` must have the same length: ...
    """
    lengths = {key: len(value) for key, value in arrays.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"`{key}` has {n:,}" for key, n in lengths.items())
        raise ValidationError(f"{_names(list(lengths))} must have the same length: {listing}")
    return next(iter(lengths.values()), 0)


def check_length(name: str, array: Sized, expected: int, *, per: str = "customer") -> None:
    """Raise unless ``array`` has ``expected`` entries: one ``per`` something.

    Examples
    --------
    >>> from relmark._validation import check_length
    >>> check_length("redeemed", [1.0], 2, per="distinct customer of `log`")
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `redeemed` must have one value per ... (2), got 1
    """
    if len(array) != expected:
        raise ValidationError(
            f"`{name}` must have one value per {per} ({expected:,}), got {len(array):,}"
        )


def check_broadcast(arrays: Mapping[str, ArrayLike]) -> tuple[int, ...]:
    """Return the shape ``arrays`` broadcast to; raise naming the arguments that clash.

    Scalars go with anything; arrays must have equal lengths (or be of
    length 1), as in numpy broadcasting.

    Examples
    --------
    >>> from relmark._validation import check_broadcast
    >>> check_broadcast({"margin": 1.0, "retention": [0.5, 0.6]})
    (2,)
    >>> check_broadcast({"margin": [1.0, 2.0], "retention": [0.5, 0.6, 0.7]})
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `margin` and `retention` must have the same length ...
    """
    shapes = {key: np.shape(value) for key, value in arrays.items()}
    try:
        return tuple(np.broadcast_shapes(*shapes.values()))
    except ValueError:
        pass
    clashing = {key: shape for key, shape in shapes.items() if shape not in ((), (1,))}
    listing = ", ".join(f"`{key}` has shape {shape}" for key, shape in clashing.items())
    raise ValidationError(
        f"{_names(list(clashing))} must have the same length (or be scalars): {listing}"
    )


# ---------------------------------------------------------------------------- arrays


def as_float_array(
    name: str,
    value: ArrayLike,
    *,
    nonnegative: bool = False,
    positive: bool = False,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_nan: bool = False,
    any_shape: bool = False,
    noun: str = "rows",
) -> FloatArray:
    """Return a read-only float64 copy of ``value``, checked.

    Parameters
    ----------
    name : str
        The argument, as messages name it.
    value : array_like
        Numbers: a scalar or a 1-D array (any shape with ``any_shape``).
    nonnegative, positive : bool
        Shorthands for ``low=0`` and ``low=0, low_open=True``.
    low, high, low_open, high_open : optional
        The accepted range (see :func:`check_range`).
    allow_nan : bool, default False
        Let NaN through (for "no answer"); ranges then skip NaN.
    any_shape : bool, default False
        Keep the input's shape (for numpy broadcasting) instead of 1-D.
    noun : str, default "rows"
        What the entries are, for messages.

    Raises
    ------
    TypeError
        For strings, booleans and other non-numbers.
    ValidationError
        For NaN, infinite or out-of-range entries, and for more than one
        dimension without ``any_shape``.

    Examples
    --------
    >>> from relmark._validation import as_float_array
    >>> as_float_array("spend", [1, 2.5]).tolist()
    [1.0, 2.5]
    >>> as_float_array("spend", [1.0, -2.0], nonnegative=True)
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `spend` must be >= 0; 1 of 2 ... (first at index 1: -2.0)
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"`{name}` must be an array of numbers, got {type(value).__name__}")
    if value is None:
        raise TypeError(f"`{name}` must be an array of numbers, got None")
    try:
        raw = np.asarray(value)
    except ValueError:  # nested sequences of different lengths
        raise ValidationError(
            f"`{name}` must be a one-dimensional array of numbers, got a ragged sequence"
        ) from None
    if raw.dtype.kind == "O":
        raw = _object_numbers(name, raw, noun)
    elif raw.dtype.kind not in "iuf":
        raise TypeError(f"`{name}` must hold numbers, got dtype {raw.dtype}")
    if raw.ndim > 1 and not any_shape:
        raise ValidationError(f"`{name}` must be one-dimensional, got shape {raw.shape}")
    array = np.array(raw, dtype=np.float64, copy=True)
    flat = array.reshape(-1)
    nan = np.isnan(flat)
    if not allow_nan:
        fail_rows(name, "must not be NaN", nan, noun=noun)
    fail_rows(name, "must be finite", np.isinf(flat), flat, noun=noun)
    if positive:
        low, low_open = 0.0, True
    elif nonnegative and low is None:
        low = 0.0
    # NaN compares false, so a range never flags it (it was refused above unless allowed)
    check_range(name, flat, low=low, high=high, low_open=low_open, high_open=high_open, noun=noun)
    return readonly(array if any_shape else flat)


def _is_number(item: object) -> bool:
    """Whether one entry of an object array is a real number (booleans are not)."""
    return isinstance(item, (numbers.Real, Decimal)) and not isinstance(item, (bool, np.bool_))


def _object_numbers(name: str, raw: NDArray[Any], noun: str) -> FloatArray:
    """Return an object array of numbers as float64; ``TypeError`` naming the first non-number.

    ``None``, strings (even ``"1.5"``), booleans and other objects are not numbers:
    ``astype(float)`` would turn ``None`` into NaN and parse strings.
    """
    items = raw.reshape(-1).tolist()
    bad = np.fromiter((not _is_number(item) for item in items), dtype=bool, count=len(items))
    if bad.any():
        first = int(np.argmax(bad))
        shown = describe(items[first])
        shown = shown if len(shown) <= 40 else f"a {type(items[first]).__name__}"
        raise TypeError(
            f"`{name}` must hold numbers only; {int(bad.sum()):,} of {bad.size:,} {noun} "
            f"are not (first at index {first}: {shown})"
        )
    try:
        return raw.astype(np.float64)
    except OverflowError:  # an int beyond the float range
        big = np.fromiter(map(_overflows, items), dtype=bool, count=len(items))
        fail_rows(name, "must be finite", big, np.array(items, dtype=object), noun=noun)
        raise


def _overflows(item: Any) -> bool:
    try:
        float(item)
    except OverflowError:
        return True
    return False


def as_bool_array(name: str, value: ArrayLike, *, noun: str = "rows") -> BoolArray:
    """Return a read-only 1-D bool copy of ``value``: True/False, or the numbers 1/0.

    Examples
    --------
    >>> from relmark._validation import as_bool_array
    >>> as_bool_array("churned", [1, 0, True]).tolist()
    [True, False, True]
    >>> as_bool_array("churned", [1, 2])
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `churned` must be True/False ... (first at index 1: 2.0)
    """
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"`{name}` must be an array of True/False, got {type(value).__name__}")
    raw = np.asarray(value)
    if raw.dtype.kind == "b":
        if raw.ndim > 1:
            raise ValidationError(f"`{name}` must be one-dimensional, got shape {raw.shape}")
        return readonly(np.array(raw, dtype=bool, copy=True).reshape(-1))
    if raw.dtype.kind not in "iufO":
        raise TypeError(f"`{name}` must hold True/False (or 1/0), got dtype {raw.dtype}")
    if raw.dtype.kind == "O":  # True/False objects (a pandas object column) count as 1/0
        flags = [int(v) if isinstance(v, (bool, np.bool_)) else v for v in raw.reshape(-1).tolist()]
        raw = np.array(flags, dtype=object).reshape(raw.shape)
    numbers_ = as_float_array(name, raw, noun=noun)
    fail_rows(name, "must be True/False or 1/0", (numbers_ != 0) & (numbers_ != 1), numbers_,
              noun=noun)  # fmt: skip
    return readonly(numbers_ == 1)


def as_survivor_counts(name: str, value: ArrayLike, *, minimum: int = 1) -> FloatArray:
    """Return a cohort's survivor counts, checked: its size, then counts that never rise.

    ``value[0]`` is the cohort size (> 0) and ``value[t]`` the customers still
    there after ``t`` periods: numbers >= 0, at least ``minimum`` of them, none
    above the one before (customers cannot come back in a cohort).  The rules
    of :meth:`~relmark.ShiftedBetaGeo.fit_survival`.

    Examples
    --------
    >>> from relmark._validation import as_survivor_counts
    >>> as_survivor_counts("observed", [10, 5, 0]).tolist()
    [10.0, 5.0, 0.0]
    >>> as_survivor_counts("observed", [10, 12, 11.5])
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `observed` must not increase ... (... index 1: 12.0 > 10.0)
    """
    counts = as_float_array(name, value, nonnegative=True, noun="periods")
    if counts.size < minimum:
        later = "one later count" if minimum == 2 else f"{minimum - 1} later counts"
        needs = "the cohort size" + (f" and at least {later}" if minimum > 1 else "")
        raise ValidationError(f"`{name}` needs {needs}, got {counts.size} value(s)")
    if counts.size and counts[0] <= 0:
        raise ValidationError(f"`{name}[0]` (the cohort size) must be > 0, got {counts[0]:g}")
    fail_rows(
        name,
        "must not increase over time (customers cannot come back in a cohort)",
        np.r_[False, counts[1:] > counts[:-1]],
        counts,
        versus=(">", np.r_[np.nan, counts[:-1]]),
        noun="periods",
    )
    return counts


def as_broadcastable(
    name: str,
    value: ArrayLike,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    positive: bool = False,
) -> FloatArray:
    """Return an argument of a broadcasting function, checked: a scalar or an array, any shape.

    The same rules as :func:`as_float_array` (numbers, finite, in range),
    with the input's shape kept.  Check the arguments broadcast together with
    :func:`check_broadcast`.

    Examples
    --------
    >>> from relmark._validation import as_broadcastable
    >>> as_broadcastable("retention", [0.5, 1.0], low=0.0, high=1.0, high_open=True)
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `retention` must lie in [0, 1); ... (first at index 1: 1.0)
    """
    return as_float_array(
        name, value, low=low, high=high, low_open=low_open, high_open=high_open,
        positive=positive, any_shape=True, noun="values",
    )  # fmt: skip


# ---------------------------------------------------------------------------- scalars


def _real(name: str, value: object) -> float:
    """Return ``value`` as a float; ``TypeError`` for non-numbers (booleans included)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:
        raise ValidationError(f"`{name}` must be finite, got {describe(value)}") from None


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

    Examples
    --------
    >>> from relmark._validation import as_scalar
    >>> as_scalar("margin", 0.3, low=0.0, high=1.0)
    0.3
    >>> as_scalar("margin", 2, low=0.0, high=1.0)
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `margin` must be <= 1, got 2.0
    """
    number = _real(name, value)
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


def as_level(level: object) -> float:
    """Return ``level`` as a float in (0, 1), the coverage of an interval.

    Examples
    --------
    >>> from relmark._validation import as_level
    >>> as_level(0.9)
    0.9
    >>> as_level(1.0)
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `level` must be < 1, got 1.0
    """
    return as_scalar("level", level, low=0.0, high=1.0, low_open=True, high_open=True)


def as_positive(name: str, value: object) -> float:
    """Return ``value`` as a finite float > 0."""
    return as_scalar(name, value, low=0.0, low_open=True)


def as_probability(name: str, value: object, *, high_open: bool = False) -> float:
    """Return ``value`` as a probability in [0, 1] (or [0, 1) with ``high_open``).

    Examples
    --------
    >>> from relmark._validation import as_probability
    >>> as_probability("retention", 1.0, high_open=True)
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `retention` must be < 1, got 1.0
    """
    return as_scalar(name, value, low=0.0, high=1.0, high_open=high_open)


def check_size(name: str, size: float, limit: int, *, unit: str, why: str) -> None:
    """Refuse a request for more than ``limit`` units of work, saying why, before it starts.

    Examples
    --------
    >>> from relmark._validation import check_size
    >>> check_size("`horizon` / `step`", 1e308, 100_000, unit="steps",
    ...            why="each step is one pass over all customers")
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `horizon` / `step` = 1e+308 steps; at most 100,000 are ...
    """
    if not size <= limit:  # also catches NaN
        shown = f"{size:,}" if isinstance(size, int) else f"{size:.4g}"
        raise ValidationError(f"{name} = {shown} {unit}; at most {limit:,} are supported ({why})")


def as_count(
    name: str,
    value: object,
    *,
    minimum: int = 0,
    maximum: int | None = None,
    why: str = "",
) -> int:
    """Return ``value`` as an ``int`` in ``[minimum, maximum]`` (numpy integers accepted).

    A count of things (customers, clusters, scores): integers only, so
    ``2.0`` and ``True`` are a ``TypeError``.  ``why`` explains ``maximum``.

    Examples
    --------
    >>> from relmark._validation import as_count
    >>> as_count("k", 3, minimum=1)
    3
    >>> as_count("k", 2.0)
    Traceback (most recent call last):
    ...
    TypeError: `k` must be an integer, got float
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {type(value).__name__}")
    number = int(value)
    if number < minimum:
        raise ValidationError(f"`{name}` must be >= {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ValidationError(
            f"`{name}` must be <= {maximum:,}, got {number:,}" + (f" ({why})" if why else "")
        )
    return number


def as_periods(name: str, value: object, *, minimum: int = 0) -> int:
    """Return a number of whole periods (an horizon counted in periods) as an ``int``.

    The one rule for periods: an integer or a float with a whole value
    (``3`` and ``3.0`` alike), at least ``minimum``; booleans and other
    non-numbers are a ``TypeError``; ``2.5``, NaN and infinities a
    :class:`ValidationError`.

    Examples
    --------
    >>> from relmark._validation import as_periods
    >>> as_periods("periods", 2.0)
    2
    >>> as_periods("periods", 2.5)
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `periods` must be a whole number >= 0, got 2.5
    >>> as_periods("periods", True)
    Traceback (most recent call last):
    ...
    TypeError: `periods` must be a whole number, got bool
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a whole number, got {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        number = int(value)
        _real(name, number)  # beyond the float range is not a horizon anyone means
    else:
        real = float(value)
        if not math.isfinite(real) or real != math.floor(real):
            raise ValidationError(
                f"`{name}` must be a whole number >= {minimum}, got {describe(real)}"
            )
        number = int(real)
    if number < minimum:
        raise ValidationError(f"`{name}` must be a whole number >= {minimum}, got {number}")
    return number


def as_flag(name: str, value: object) -> bool:
    """Return ``value`` as a ``bool``; anything but True/False is a ``TypeError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"`{name}` must be True or False, got {type(value).__name__}")
    return bool(value)


def as_choice(name: str, value: object, choices: Collection[str], *, what: str = "") -> str:
    """Return ``value`` if it is one of ``choices``; ``TypeError`` for non-strings.

    Examples
    --------
    >>> from relmark._validation import as_choice
    >>> as_choice("timing", "middle", ("end", "start"))
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `timing` must be one of 'end', 'start', got 'middle'
    """
    listing = ", ".join(repr(choice) for choice in choices) + (f" ({what})" if what else "")
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be one of {listing}, got {type(value).__name__}")
    if value not in choices:
        raise ValidationError(f"`{name}` must be one of {listing}, got {describe(value)}")
    return value


def as_text(name: str, value: object) -> str:
    """Return a non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError(f"`{name}` must not be empty, got {describe(value)}")
    return value


def as_customer_id(value: object, name: str = "customer_id") -> str | int:
    """Return a customer id: a non-empty string or an integer."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, numbers.Integral)):
        raise TypeError(f"`{name}` must be a string or an integer, got {type(value).__name__}")
    if isinstance(value, str):
        return as_text(name, value)
    return int(value)


def as_amount(name: str, value: object, *, optional: bool = False) -> float | None:
    """Return a finite amount >= 0 (or None, when ``optional``)."""
    if optional and value is None:
        return None
    return as_scalar(name, value, low=0.0)


# ---------------------------------------------------------------------------- objects


def as_instance(name: str, value: object, kind: type[T]) -> T:
    """Return ``value`` if it is a ``kind``; else a ``TypeError`` naming the argument.

    Examples
    --------
    >>> from relmark._validation import as_instance
    >>> as_instance("log", None, dict)
    Traceback (most recent call last):
    ...
    TypeError: `log` must be a dict, got NoneType
    """
    if not isinstance(value, kind):
        raise TypeError(f"`{name}` must be a {kind.__name__}, got {type(value).__name__}")
    return value


def as_mapping(name: str, value: object, *, of: str = "name to array") -> Mapping[object, object]:
    """Return ``value`` if it is a mapping (a dict, ...); a list or a frame is a ``TypeError``."""
    if not isinstance(value, Mapping):
        raise TypeError(f"`{name}` must be a mapping of {of}, got {type(value).__name__}")
    return value


def _protocol_members(kind: type[Any]) -> set[str]:
    """Return the public members a protocol class declares (its own and its bases')."""
    return {
        member
        for base in kind.__mro__
        if base.__module__ not in ("typing", "typing_extensions", "builtins")
        for member in vars(base)
        if not member.startswith("_")
    }


def as_model(name: str, value: T, kind: type[Any], *, uses: Sequence[str] | None = None) -> T:
    """Return ``value`` if it keeps the ``kind`` contract (a runtime-checkable protocol).

    Parameters
    ----------
    name : str
        The argument.
    value : object
        The model.
    kind : Protocol class
        :class:`~relmark.models.PurchaseModel`, :class:`~relmark.models.SpendModel`
        or :class:`~relmark.models.ContractModel`.
    uses : sequence of str, optional
        The protocol's methods the caller uses; objects with just those are
        accepted (test doubles, your own models).  Default: the whole protocol
        (``isinstance(value, kind)``).

    Raises
    ------
    TypeError
        Naming the argument, the contract and the methods missing.

    Examples
    --------
    >>> import relmark
    >>> from relmark._validation import as_model
    >>> from relmark.models import SpendModel
    >>> as_model("spend_model", relmark.BetaGeo(r=1, alpha=1, a=1, b=1), SpendModel)
    Traceback (most recent call last):
    ...
    TypeError: `spend_model` must be a SpendModel (an object with expected_spend()), got BetaGeo
    """
    members = _protocol_members(kind)
    if uses is None:
        needed = sorted(members)
        ok = isinstance(value, kind)
    else:
        needed = list(uses)
        unknown = sorted(set(needed) - members)
        if unknown:  # a mistake in relmark itself, not in the caller's input
            raise AssertionError(f"{kind.__name__} has no {', '.join(unknown)}")
        ok = all(callable(getattr(value, member, None)) for member in needed)
    if not ok:
        methods = ", ".join(f"{member}()" for member in needed)
        raise TypeError(
            f"`{name}` must be a {kind.__name__} (an object with {methods}), "
            f"got {type(value).__name__}"
        )
    return value


def as_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a generator, a seed or ``None``."""
    if isinstance(rng, np.random.Generator):
        return rng
    seed: object = rng
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if int(seed) < 0:
            raise ValidationError(f"`rng` seed must be >= 0, got {int(seed)}")
        return np.random.default_rng(int(seed))
    raise TypeError(
        f"`rng` must be a numpy Generator, an int seed or None, got {type(rng).__name__}"
    )


# ---------------------------------------------------------------------------- results


def float_or_array(value: ArrayLike) -> float | FloatArray:
    """Return a float for a 0-d result, else the float array (scalars in, float out)."""
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array
