"""Fit times with the machine idle and busy, with and without relmark's BLAS limit.

relmark's fits run their optimiser with BLAS limited to one thread
(threadpoolctl).  This script times the fits on an idle machine and with a
CPU-bound process running beside them ("busy"), and the same fits with the
limit switched off (what they did before), in one run:

- CDNOW (2,357 customers): BG/NBD, Pareto/NBD, Gamma-Gamma;
- 300,000 simulated customers: BG/NBD and Gamma-Gamma.

Times are medians of several fits.  The "busy / idle" column should stay
near 1 with the limit; without it BLAS thread hand-offs dominate small fits.

Run: ``python benchmarks/bench_busy.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from _common import median_time  # benchmarks/ is on the path when run as a script
from bench_beta_geo import simulate as simulate_bgnbd
from bench_gamma_gamma import simulate as simulate_spend

import relmark
from relmark.datasets import cdnow_sample_summary
from relmark.models import _fitting


class _NoLimit:
    """Stands in for the thread-pool controller: leaves BLAS threads as they are."""

    def limit(self, **_: Any) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


@contextlib.contextmanager
def blas_limit(enabled: bool) -> Iterator[None]:
    """Run with relmark's BLAS limit on (as shipped) or off (as before)."""
    original = _fitting._blas
    if not enabled:
        _fitting._blas = lambda: _NoLimit()  # type: ignore[assignment,return-value]
    try:
        yield
    finally:
        _fitting._blas = original


@contextlib.contextmanager
def busy_machine(busy: bool) -> Iterator[None]:
    """Keep one core busy with a CPU-bound process while the block runs."""
    if not busy:
        yield
        return
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)  # let the interpreter start before timing: its start-up is not "busy"
    try:
        yield
    finally:
        burner.kill()
        burner.wait()


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="fits per median")
    args = parser.parse_args()
    cdnow = cdnow_sample_summary()
    large = simulate_bgnbd(300_000, seed=2026)
    spend = simulate_spend(300_000, seed=42)
    fits: list[tuple[str, Callable[[], Any], int]] = [
        ("BG/NBD, CDNOW", lambda: relmark.BetaGeo.fit(cdnow), args.repeat),
        ("Pareto/NBD, CDNOW", lambda: relmark.ParetoNBD.fit(cdnow), args.repeat),
        ("Gamma-Gamma, CDNOW", lambda: relmark.GammaGamma.fit(cdnow), args.repeat),
        ("BG/NBD, 300,000", lambda: relmark.BetaGeo.fit(large), max(3, args.repeat // 3)),
        ("Gamma-Gamma, 300,000", lambda: relmark.GammaGamma.fit(spend), max(3, args.repeat // 3)),
    ]
    print("median fit times in seconds; busy = one CPU-bound process beside the fit")
    print(
        f"{'fit':<22}{'limit idle':>11}{'limit busy':>11}{'busy/idle':>10}"
        f"{'no-limit idle':>14}{'no-limit busy':>14}{'busy/idle':>10}"
    )
    for name, fit, repeat in fits:
        fit()  # warm caches
        cells = []
        for enabled in (True, False):
            with blas_limit(enabled):
                for busy in (False, True):
                    with busy_machine(busy):
                        cells.append(median_time(fit, repeat)[0])
        idle, busy, idle_off, busy_off = cells
        print(
            f"{name:<22}{idle:>11.4f}{busy:>11.4f}{busy / idle:>9.2f}x"
            f"{idle_off:>14.4f}{busy_off:>14.4f}{busy_off / idle_off:>9.2f}x"
        )


if __name__ == "__main__":
    main()
