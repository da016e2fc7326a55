"""Input checks shared by the economics functions: broadcastable finite floats."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from relmark._validation import FloatArray, as_float_array, fail_rows


def values(
    name: str,
    value: ArrayLike,
    *,
    low: float | None = None,
    high: float | None = None,
    high_open: bool = False,
    positive: bool = False,
) -> FloatArray:
    """Return ``value`` as a finite float array of any shape, within ``[low, high]``.

    ``positive`` requires every value to be > 0.
    """
    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or array.dtype.kind == "b":
        raise TypeError(f"`{name}` must be numeric, got dtype {array.dtype}")
    checked = as_float_array(name, array.reshape(-1))
    if positive:
        fail_rows(name, "must be > 0", checked <= 0, noun="values")
    if low is not None:
        fail_rows(name, f"must be >= {low:g}", checked < low, noun="values")
    if high is not None:
        bad = checked >= high if high_open else checked > high
        fail_rows(name, f"must be {'<' if high_open else '<='} {high:g}", bad, noun="values")
    return checked.reshape(array.shape)


def result(value: Any) -> Any:
    """Return a float for a 0-d result, else the array (scalars in, float out)."""
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array
