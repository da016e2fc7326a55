"""What the benchmark scripts share: timing one call, or one command with its peak memory."""

from __future__ import annotations

import statistics
import subprocess
import sys
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


# Linux carries a process's peak RSS across fork and exec, so a child forked from this
# (large) benchmark process would report our peak, not its own: a small launcher, started
# fresh, forks the command and reports that grandchild's ``ru_maxrss`` from ``os.wait4``.
_LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "wb"))
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def measured_run(command: Sequence[str], log_path: str) -> tuple[float, int, int]:
    """Run ``command``; return its wall time, its own peak resident set size and exit code.

    The peak is the command's own ``ru_maxrss`` (in bytes), measured by a small launcher
    process so that this process's memory does not count; the command's standard output
    is discarded and its standard error written to ``log_path``.
    """
    began = time.perf_counter()
    report = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, log_path, *command],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - began
    code, peak_kib = (int(word) for word in report.stdout.split())
    return seconds, peak_kib * 1024, code  # Linux reports KiB
