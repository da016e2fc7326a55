"""What the benchmark scripts share: timing one call."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(function: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Return the best wall-clock time of ``repeat`` calls and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - began)
    return best, result


def median_time(function: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """Return the median wall-clock time of ``repeat`` calls and the last result."""
    seconds, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - began)
    return float(statistics.median(seconds)), result
