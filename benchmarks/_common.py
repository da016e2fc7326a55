"""What the benchmark scripts share: timing one call, or one command with its peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
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


def median_of(function: Callable[[], Any], repeat: int = 3) -> tuple[float, list[float], Any]:
    """Return the median wall-clock time of ``repeat`` calls, every time, and the last result."""
    seconds, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - began)
    return float(statistics.median(seconds)), seconds, result


def measured_run(command: Sequence[str], log_path: str) -> tuple[float, int, int]:
    """Run ``command``; return its wall time, its own peak resident set size and exit code.

    The peak is the child's ``ru_maxrss`` from ``os.wait4`` (this child only, not the
    maximum over every child so far as ``RUSAGE_CHILDREN`` would give), in bytes; the
    child's standard output is discarded and its standard error written to ``log_path``.
    """
    with open(log_path, "wb") as log:
        began = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return seconds, usage.ru_maxrss * 1024, child.returncode  # Linux reports KiB
