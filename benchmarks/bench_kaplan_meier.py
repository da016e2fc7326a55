"""Kaplan–Meier retention curves: relmark's ``kaplan_meier`` vs lifelines' ``KaplanMeierFitter``.

One run prints relmark and lifelines side by side on

- Fader & Hardie (2007), Table 1: the regular and high-end cohorts of 1,000
  subscribers each (``tenures_from_survivors``: churned in years 1-12 or
  still there, censored at 12);
- simulated subscribers at 10^4, 10^5, 10^6, 10^7, right-censored at a
  uniform end of observation, as whole periods (tenure ~ geometric with a
  Beta(1, 3) churn probability each, the sBG; censored at 1-60 periods) and
  as continuous times (exponential with a Gamma(1.5, 1/20) rate each;
  censored at Uniform(0, 60)), in one group and in 50 groups (lifelines fits
  each group in a loop, as its users do: ``for g in groups: kmf.fit(...)``).

Before any time is printed the two estimates are checked to agree at every
time of lifelines' timeline: the survival to 1e-9 (relative, 1e-12 absolute)
and the pointwise band to 1e-7 (relative) wherever lifelines' band is
defined (0 < S < 1).  Both bands are Greenwood's log(-log) one at the same
level (lifelines' default band type, ``alpha = 1 - level``).  relmark's
discrete curve has a row per period (also periods without events), read
at lifelines' times with ``survival_at``-style step lookup.

Times are medians of ``--repeat`` runs (relmark) and ``--peer-repeat`` runs
(lifelines), after one untimed warm-up call of each (whose
results are the ones checked); the load average is printed before and after.

Run: ``python benchmarks/bench_kaplan_meier.py [--sizes 1e4 1e5 1e6 1e7] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import median_time  # benchmarks/ is on the path when run as a script

from relmark.models.kaplan_meier import RetentionCurve, kaplan_meier, tenures_from_survivors

# Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1),
# Table 1: customers still active at the start of years 1-13 for two cohorts of 1,000.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]

GROUPS = 50
SURVIVAL_RTOL, SURVIVAL_ATOL, BAND_RTOL = 1e-9, 1e-12, 1e-7

try:
    import lifelines
    from lifelines import KaplanMeierFitter
except ImportError as error:  # pragma: no cover - the bench extra has it
    lifelines, KaplanMeierFitter, MISSING = None, None, str(error)
else:
    MISSING = ""


def simulate(n: int, discrete: bool, seed: int = 2026) -> tuple[np.ndarray, np.ndarray]:
    """Return ``n`` right-censored tenures and churn flags (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    if discrete:
        lifetime = rng.geometric(rng.beta(1.0, 3.0, n)).astype(np.float64)
        end = rng.integers(1, 61, n).astype(np.float64)
    else:
        lifetime = rng.exponential(1.0 / rng.gamma(1.5, 1.0 / 20.0, n))
        end = rng.uniform(0.0, 60.0, n)
        end[end == 0.0] = 60.0  # a tenure must be > 0 for a subscriber who churned
    return np.minimum(lifetime, end), lifetime <= end


def peer_fit(tenure: np.ndarray, churned: np.ndarray, level: float) -> Any:
    """One lifelines fit, its warnings kept off the table."""
    assert KaplanMeierFitter is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KaplanMeierFitter(alpha=1.0 - level).fit(tenure, churned)


def peer_by_group(
    tenure: np.ndarray, churned: np.ndarray, groups: np.ndarray, level: float
) -> list[Any]:
    """What a lifelines user writes for one curve per group: a fit per group in a loop."""
    return [peer_fit(tenure[groups == g], churned[groups == g], level) for g in np.unique(groups)]


class Deviation:
    """The largest differences seen between relmark and lifelines, over all checks."""

    survival = 0.0
    band = 0.0
    points = 0


def agree(curve: RetentionCurve, fitter: Any) -> None:
    """Check one curve against one lifelines fit at each time of lifelines' timeline."""
    timeline = fitter.survival_function_.index.to_numpy(dtype=np.float64)
    theirs = fitter.survival_function_.iloc[:, 0].to_numpy(dtype=np.float64)
    band = fitter.confidence_interval_.to_numpy(dtype=np.float64)
    row = np.searchsorted(curve.time, timeline, side="right") - 1
    before = row < 0  # before relmark's first row the survival (and its band) is 1
    at = np.maximum(row, 0)
    ours = np.where(before, 1.0, curve.survival[at])
    lower = np.where(before, 1.0, curve.lower[at])
    upper = np.where(before, 1.0, curve.upper[at])
    np.testing.assert_allclose(ours, theirs, rtol=SURVIVAL_RTOL, atol=SURVIVAL_ATOL)
    inside = (theirs > 0) & (theirs < 1) & np.isfinite(band).all(axis=1)
    np.testing.assert_allclose(lower[inside], band[inside, 0], rtol=BAND_RTOL)
    np.testing.assert_allclose(upper[inside], band[inside, 1], rtol=BAND_RTOL)
    Deviation.survival = max(Deviation.survival, float(np.max(np.abs(ours - theirs))))
    if inside.any():
        gap = np.abs(np.c_[lower, upper][inside] - band[inside])
        Deviation.band = max(Deviation.band, float(gap.max()))
    Deviation.points += int(timeline.size)


def timed_pair(
    ours: Callable[[], RetentionCurve],
    theirs: Callable[[], Any],
    repeat: int,
    peer_repeat: int,
    grouped: bool,
) -> tuple[float, float | None, RetentionCurve]:
    """Check both agree, then time them: relmark's and lifelines' medians and the curve.

    The first call of each (its result is the one checked) is a warm-up and is not
    timed: at 10^7 subscribers a first call in a fresh process pays several seconds of
    first-touch memory that later calls do not.
    """
    curve = ours()
    if KaplanMeierFitter is None:
        return median_time(ours, repeat)[0], None, curve
    fitted = theirs()
    if grouped:
        assert curve.groups is not None
        for label, fitter in zip(curve.groups.tolist(), fitted, strict=True):
            agree(curve.curve(label), fitter)
    else:
        agree(curve, fitted)
    del fitted
    seconds, _ = median_time(ours, repeat)
    peer_seconds, _ = median_time(theirs, peer_repeat)
    return seconds, peer_seconds, curve


def row(label: str, n: int, k: int, m: int, ours: float, theirs: float | None) -> str:
    peer = "skipped" if theirs is None else f"{theirs:.4f}"
    ratio = "" if theirs is None else f"{theirs / ours:.1f}x"
    return f"{label:<24}{n:>12,}{k:>7}{m:>12,}{ours:>11.4f}{peer:>12}{ratio:>9}"


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e4, 1e5, 1e6, 1e7])
    parser.add_argument("--repeat", type=int, default=3, help="relmark runs (median)")
    parser.add_argument("--peer-repeat", type=int, default=3, help="lifelines runs (median)")
    parser.add_argument("--level", type=float, default=0.9)
    args = parser.parse_args()
    level = args.level
    one, five, _ = os.getloadavg()
    print(f"load average before: {one:.2f} (1 min), {five:.2f} (5 min); {os.cpu_count()} cores")
    if lifelines is None:
        print(f"lifelines skipped: not installed ({MISSING}); relmark times only")
    else:
        print(f"lifelines {lifelines.__version__}, KaplanMeierFitter(alpha={1 - level:g})")
    head = f"{'data':<24}{'subscribers':>12}{'groups':>7}{'rows':>12}"
    print(f"{head}{'relmark s':>11}{'lifelines s':>12}{'ratio':>9}")

    for name, alive in [("F&H 2007 regular", REGULAR), ("F&H 2007 high end", HIGH_END)]:
        tenure, churned = tenures_from_survivors(alive)
        seconds, peer_seconds, curve = timed_pair(
            lambda t=tenure, c=churned: kaplan_meier(t, c, level=level),
            lambda t=tenure, c=churned: peer_fit(t, c, level),
            repeat=max(args.repeat, 21),
            peer_repeat=max(args.peer_repeat, 21),
            grouped=False,
        )
        print(row(name, tenure.size, 1, len(curve), seconds, peer_seconds), flush=True)

    for size in args.sizes:
        n = int(size)
        for discrete in (True, False):
            tenure, churned = simulate(n, discrete)
            labels = np.random.default_rng(7).integers(0, GROUPS, n)
            kind = "periods" if discrete else "continuous"
            for grouped in (False, True):
                g = labels if grouped else None
                seconds, peer_seconds, curve = timed_pair(
                    lambda t=tenure, c=churned, g=g: kaplan_meier(t, c, groups=g, level=level),
                    lambda t=tenure, c=churned, g=g: (
                        peer_fit(t, c, level) if g is None else peer_by_group(t, c, g, level)
                    ),
                    repeat=args.repeat,
                    peer_repeat=args.peer_repeat,
                    grouped=grouped,
                )
                k = GROUPS if grouped else 1
                line = row(f"simulated, {kind}", n, k, len(curve), seconds, peer_seconds)
                print(line, flush=True)
                del curve
            del tenure, churned, labels

    one, five, _ = os.getloadavg()
    print(f"load average after: {one:.2f} (1 min), {five:.2f} (5 min)")
    print(
        f"medians: relmark of {args.repeat} runs, lifelines of {args.peer_repeat} "
        "(21 each on F&H), after an untimed warm-up call of each; "
        "ratio = lifelines / relmark"
    )
    if lifelines is not None:
        print(
            f"agreement at {Deviation.points:,} timeline points: survival max |diff| "
            f"{Deviation.survival:.1e} (checked to rtol {SURVIVAL_RTOL:g}), "
            f"{level:g} log(-log) band max |diff| {Deviation.band:.1e} "
            f"(checked to rtol {BAND_RTOL:g})"
        )


if __name__ == "__main__":
    main()
