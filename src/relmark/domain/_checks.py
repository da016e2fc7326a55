"""Field converters shared by the domain objects: one rule each, clear messages."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from relmark._validation import as_scalar, as_timestamps
from relmark.exceptions import ValidationError


def customer_id(value: object) -> str | int:
    """Return a customer id: a non-empty string or an integer."""
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)):
        raise TypeError(f"`customer_id` must be a string or an integer, got {type(value).__name__}")
    if isinstance(value, str):
        if not value.strip():
            raise ValidationError(f"`customer_id` must not be empty, got {value!r}")
        return value
    return int(value)


def text(name: str, value: object) -> str:
    """Return a non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError(f"`{name}` must not be empty, got {value!r}")
    return value


def instant(name: str, value: object) -> tuple[Any, bool | None]:
    """Return a time as ``numpy.datetime64[us]`` or float, and whether it was tz-aware.

    The flag is True/False for ``datetime`` objects (aware/naive) and None
    otherwise; tables built from many objects use it to reject mixtures.
    """
    import datetime as dt

    if value is None:
        raise ValidationError(f"`{name}` is required")
    if isinstance(value, bool):
        raise TypeError(f"`{name}` must be a time, got bool")
    aware = None
    if isinstance(value, dt.datetime):
        aware = value.tzinfo is not None
    parsed = as_timestamps(name, np.array([value], dtype=object))
    single = parsed[0]
    return (float(single) if parsed.dtype.kind == "f" else single), aware


def optional_amount(name: str, value: object) -> float | None:
    """Return None or a finite amount >= 0."""
    return None if value is None else as_scalar(name, value, low=0.0)
