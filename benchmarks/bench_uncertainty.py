"""How sure are we, in one run: coverage of 90% intervals, bootstrap times, PyMC-Marketing's MAP.

(a) Coverage: the cases of the slow test ``tests/test_coverage.py`` (BG/NBD,
    MBG/NBD, Pareto/NBD, BG/BB, Gamma-Gamma, sBG), each a model at known
    parameters: simulate a base, fit, and count how often the nominal 90%
    interval holds each true parameter and the true prediction for the
    periods after the data.  The delta method (Wald intervals for the
    parameters) with the test's replications; the bootstrap (``--boot-draws``
    refits per base) with 200 replications, each set of draws read by every
    candidate construction of the interval (percentile, basic on the log or
    logit scale, bias-corrected percentile, normal on that scale with the
    draws' standard deviation, the same bias-corrected), beside relmark's own
    band (``relmark.uncertainty.bootstrap_bounds``: the last one) and the
    delta method on the same bases.  ``--save-draws DIR`` keeps each case's
    estimates, draws and truths (``.npz``) to compare other constructions
    without a rerun.
(b) Bootstrap cost: ``relmark.uncertainty.prediction_intervals`` with
    ``--draws`` refits of BG/NBD + Gamma-Gamma and per-customer 90% CLV
    intervals (52 weeks; undiscounted and over 13 discounting periods) on 1,000,000 simulated
    customers (daily-rounded times in weeks, spend from
    ``GammaGamma.simulate``), on the CDNOW sample and on the full CDNOW file
    when ``../shared/data`` holds it.  Issue 13's targets: under 60 s at
    10^6 customers, under 2 s on CDNOW.
(c) PyMC-Marketing's MAP fit of BG/NBD on the CDNOW sample, when
    ``pymc_marketing`` is importable here or in the interpreter given by
    ``--pymc-python`` (default ``/work/venv-pymc/bin/python``, a separate
    environment); otherwise the column is skipped with the reason.

Times are medians of ``--repeat`` runs (the 10^6 run once unless asked).  The
load average is printed before and after each part: the machine is shared,
so a load above the number of cores means the times are of a busy machine.

Run: ``python benchmarks/bench_uncertainty.py [--quick]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import median_of  # benchmarks/ is on the path when run as a script
from bench_beta_geo import simulate as simulate_purchases
from scipy.special import ndtr, ndtri

import relmark
from relmark.datasets import cdnow_sample_summary
from relmark.uncertainty import (
    prediction_intervals,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the coverage cases are the slow test's: one definition
from tests.test_coverage import (  # noqa: E402
    BOOT_REPS,
    CASES,
    LEVEL,
    BootstrapReplication,
    Case,
    bootstrap_replications,
)

SHARED = ROOT.parent / "shared" / "data"
SPEND = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
# the CLV of (b): over 52 weeks at a 30% margin, undiscounted (one horizon: the score's
# default) and discounted 1% per 4 weeks (13 periods, each one a horizon of the model)
CLV_OPTIONS: dict[str, dict[str, Any]] = {
    "undiscounted": {"horizon": 52.0, "margin": 0.3},
    "13 periods": {"horizon": 52.0, "step": 4.0, "discount_rate": 0.01, "margin": 0.3},
}


def load_note(label: str) -> None:
    one, five, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    state = "busy" if one > cores else "idle enough"
    print(
        f"[{label}: load average {one:.2f} (1 min), {five:.2f} (5 min) on {cores} cores: {state}]"
    )


# --------------------------------------------------------------------------- (a) coverage


def held(lower: np.ndarray, upper: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return (lower <= truth) & (truth <= upper)


# The candidate constructions of a 90% interval from the same draws (issue 13's diagnosis):
# g = log for positive values, logit for probabilities (sBG's survival, the last value).
def transform(values: np.ndarray, probability: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):  # the branch np.where leaves out
        return np.where(probability, np.log(values) - np.log1p(-values), np.log(values))


def untransform(values: np.ndarray, probability: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.where(probability, 1.0 / (1.0 + np.exp(-values)), np.exp(values))


def candidate_bounds(
    rep: BootstrapReplication, probability: np.ndarray
) -> dict[str, tuple[Any, Any]]:
    """(lower, upper) per candidate: percentile, basic (g scale), BC, normal (g scale), ..."""
    z = float(ndtri((1 + LEVEL) / 2))
    tail = (1 - LEVEL) / 2
    draws, estimate = rep.draws, rep.estimate
    n = draws.shape[0]
    low_q, high_q = np.quantile(draws, [tail, 1 - tail], axis=0)
    g_hat = transform(estimate, probability)
    g_draws = transform(draws, probability)
    g_low, g_high = transform(low_q, probability), transform(high_q, probability)
    below = ((draws < estimate).sum(axis=0) + 0.5 * (draws == estimate).sum(axis=0)) / n
    z0 = ndtri(np.clip(below, 0.5 / n, 1 - 0.5 / n))
    bc = np.array(
        [
            np.quantile(draws[:, j], [ndtr(2 * z0[j] - z), ndtr(2 * z0[j] + z)])
            for j in range(draws.shape[1])
        ]
    ).T
    sd = g_draws.std(axis=0, ddof=1)
    shift = g_draws.mean(axis=0) - g_hat  # the bootstrap's estimate of the bias on the g scale
    return {
        "percentile": (low_q, high_q),
        "basic-g": (
            untransform(2 * g_hat - g_high, probability),
            untransform(2 * g_hat - g_low, probability),
        ),
        "BC": (bc[0], bc[1]),
        "normal-g": (
            untransform(g_hat - z * sd, probability),
            untransform(g_hat + z * sd, probability),
        ),
        "normal-g-bc": (
            untransform(g_hat - shift - z * sd, probability),
            untransform(g_hat - shift + z * sd, probability),
        ),
        "library": (rep.lower, rep.upper),
        "delta-same": (rep.delta_lower, rep.delta_upper),
    }


CANDIDATES = ("percentile", "basic-g", "BC", "normal-g", "normal-g-bc", "library", "delta-same")


def padded(blocks: list[np.ndarray]) -> np.ndarray:
    """Stack (n_ok, m) blocks into (reps, n_draws, m), NaN where a refit failed."""
    out = np.full((len(blocks), max(len(b) for b in blocks), blocks[0].shape[1]), np.nan)
    for i, block in enumerate(blocks):
        out[i, : len(block)] = block
    return out


def bootstrap_coverage(
    case: Case, reps: int, draws: int, save: Path | None
) -> dict[str, tuple[dict[str, float], float]]:
    """Coverage per candidate construction: {candidate: ({parameter: share}, prediction share)}."""
    runs = bootstrap_replications(case, reps, draws)  # the slow test's replications
    names = case.truth.parameter_names()
    probability = np.r_[np.zeros(len(names), bool), isinstance(case.truth, relmark.ShiftedBetaGeo)]
    if save is not None:  # every replication's draws, to compare constructions without a rerun
        save.mkdir(parents=True, exist_ok=True)
        stem = case.name.replace(",", "").replace(" ", "_")
        np.savez_compressed(
            save / f"{stem}.npz",
            estimate=np.stack([run.estimate for run in runs]),
            draws=padded([run.draws for run in runs]),
            truth=np.stack([run.truth for run in runs]),
            names=np.array([*names, "prediction"]),
            probability=probability,
        )
    hits = {key: [] for key in CANDIDATES}  # type: dict[str, list[np.ndarray]]
    for run in runs:
        for key, (lower, upper) in candidate_bounds(run, probability).items():
            hits[key].append(held(np.asarray(lower), np.asarray(upper), run.truth))
    result = {}
    for key, rows in hits.items():
        shares = np.mean(rows, axis=0)
        result[key] = (dict(zip(names, map(float, shares[:-1]), strict=True)), float(shares[-1]))
    return result


def coverage_table(
    cases: list[Case], boot_draws: int, boot_scale: float, save: Path | None, delta: bool
) -> None:
    print(f"(a) coverage of the nominal {LEVEL:.0%} intervals: share of replications holding "
          "the truth (acceptance [0.85, 0.95])")  # fmt: skip
    print(f"{'model':<33}{'customers':>10}  {'method':<12}{'reps':>5}{'draws':>6}  "
          f"{'seconds':>8}  parameters | prediction")  # fmt: skip
    for case in cases:
        if delta:
            began = time.perf_counter()
            shares, prediction = case.coverage()
            row(case, "delta", case.reps, None, time.perf_counter() - began, shares, prediction)
        reps = max(2, round(BOOT_REPS * boot_scale))
        began = time.perf_counter()
        by_candidate = bootstrap_coverage(case, reps, boot_draws, save)
        seconds = time.perf_counter() - began
        for key, (shares, prediction) in by_candidate.items():
            row(case, key, reps, boot_draws, seconds, shares, prediction)
    print(
        "prediction: BG/NBD, MBG/NBD, Pareto/NBD: total expected purchases in the next 39 weeks; "
        "BG/BB: in the next 5 opportunities;\nGamma-Gamma: total expected spend per purchase; "
        "sBG: survival S(12) of a cohort seen 8 periods, S(15) of tenures seen up to 10\n"
        "bootstrap rows, one set of draws per replication: percentile; basic-g: reverse "
        "percentile on g = log (logit for S); BC: bias-corrected percentile;\nnormal-g: "
        "g^-1(g(est) +- z sd(g(draws))); normal-g-bc: the same centred at 2 g(est) - "
        "mean g(draws); library: relmark's own bootstrap band;\n"
        "delta-same: the delta method on the bootstrap's bases (the fit's Wald intervals, "
        "the prediction's delta band)"
    )


def row(
    case: Case,
    method: str,
    reps: int,
    draws: int | None,
    seconds: float,
    shares: dict[str, float],
    prediction: float,
) -> None:
    parameters = ", ".join(f"{name} {share:.3f}" for name, share in shares.items())
    print(
        f"{case.name:<33}{case.n_customers:>10,}  {method:<12}{reps:>5}"
        f"{'-' if draws is None else draws:>6}  {seconds:>8.1f}  {parameters} | {prediction:.3f}",
        flush=True,
    )


# --------------------------------------------------------------------------- (b) bootstrap cost


def simulated_base(n: int) -> relmark.CustomerSummary:
    """BG/NBD customers (whole days, in weeks) with spend drawn from the Gamma-Gamma model."""
    return SPEND.simulate(simulate_purchases(n, seed=2026), rng=2027)


def cdnow_full() -> relmark.CustomerSummary | None:
    """The full CDNOW file summarised like the sample: 39 weeks of calibration, in weeks."""
    path = SHARED / "CDNOW_master.txt"
    if not path.exists():
        return None
    ids, dates = np.loadtxt(path, skiprows=1, usecols=(0, 1), dtype=np.int64, unpack=True)
    amounts = np.loadtxt(path, skiprows=1, usecols=3)
    months = ((dates // 10000 - 1970) * 12 + dates // 100 % 100 - 1).astype("datetime64[M]")
    stamps = months.astype("datetime64[D]") + (dates % 100 - 1).astype("timedelta64[D]")
    log = relmark.TransactionLog.from_arrays(ids, stamps, amounts)
    summary = log.summarize(np.datetime64("1997-09-30"), unit="W")
    # Gamma-Gamma needs positive spend from repeat buyers: one customer's repeats cost $0
    assert summary.monetary_value is not None  # the log has amounts
    free = (summary.frequency > 0) & (summary.monetary_value <= 0)
    print(f"(full CDNOW: {int(free.sum())} repeat buyer(s) with $0 spend left out)")
    return summary.subset(np.flatnonzero(~free))


def time_one(label: str, summary: relmark.CustomerSummary, repeat: int, draws: int) -> None:
    """Time the fits, the bootstrap and the delta method on one data set; print its rows."""

    def fits() -> tuple[Any, Any]:
        return relmark.BetaGeo.fit(summary), relmark.GammaGamma.fit(summary)

    fit_s, _, (purchase, spend) = median_of(fits, repeat)
    for discounting, options in CLV_OPTIONS.items():

        def bands_by(method: Any, options: dict[str, Any] = options) -> Any:
            return prediction_intervals(
                summary, purchase, spend, **options, method=method, n_draws=draws, rng=1
            )

        boot_s, runs, bands = median_of(lambda: bands_by("bootstrap"), repeat)
        delta_s, _, _ = median_of(lambda: bands_by("delta"), repeat)
        equity = bands["customer_equity"]
        print(
            f"{label:<26}{len(summary):>11,}{len(summary.compress()):>9,}{discounting:>14}"
            f"{fit_s:>7.2f}s{boot_s:>10.2f}s{delta_s:>7.2f}s  {len(runs):>4}   "
            f"{float(equity.estimate):,.0f} ({float(equity.lower):,.0f} - "
            f"{float(equity.upper):,.0f})",
            flush=True,
        )


def bootstrap_times(data: list[tuple[str, relmark.CustomerSummary, int]], draws: int) -> None:
    print(f"\n(b) {draws} bootstrap refits of BG/NBD + Gamma-Gamma, per-customer {LEVEL:.0%} "
          "intervals of CLV (52 weeks, 30% margin; undiscounted, or 1% per 4 weeks over 13 "
          "periods), customer equity")  # fmt: skip
    print(f"{'data':<26}{'customers':>11}{'rows':>9}{'CLV':>14}{'fits':>8}{'bootstrap':>11}"
          f"{'delta':>8}  runs   equity, 90% interval")  # fmt: skip
    for label, summary, repeat in data:
        time_one(label, summary, repeat, draws)
    print("fits: BG/NBD + Gamma-Gamma, cold; bootstrap and delta: prediction_intervals, "
          "given the fitted models; times are medians of the runs")  # fmt: skip


# --------------------------------------------------------------------------- (c) PyMC-Marketing

# Run in the interpreter that has pymc_marketing (relmark need not be installed there).
PYMC_FIT = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
began = time.perf_counter()
import pandas as pd
from pymc_marketing.clv import BetaGeoModel
imported = time.perf_counter() - began
frame = pd.read_csv(sys.argv[1])
data = pd.DataFrame({"customer_id": frame["ID"], "frequency": frame["x"],
                     "recency": frame["t_x"], "T": frame["T"]})
seconds = []
for _ in range(int(sys.argv[2])):
    began = time.perf_counter()
    model = BetaGeoModel(data=data)
    model.fit(method="map", progressbar=False)
    seconds.append(time.perf_counter() - began)
values = model.fit_summary()
import pymc_marketing
print(json.dumps({"version": pymc_marketing.__version__, "import": imported, "seconds": seconds,
                  "params": {k: float(values[k]) for k in ("r", "alpha", "a", "b")}}))
"""


def pymc_interpreter(requested: str) -> tuple[str | None, str]:
    """Return an interpreter with pymc_marketing (this one first), or None and why not."""
    candidates = [sys.executable, requested]
    for python in candidates:
        if not Path(python).exists():
            continue
        found = subprocess.run(
            [
                python,
                "-c",
                "import importlib.util as u; print(u.find_spec('pymc_marketing') is not None)",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if found.stdout.strip() == "True":
            return python, ""
    return None, (
        f"pymc_marketing is not importable in {sys.executable} nor in {requested} "
        "(install it with the `bench` extra, or in a separate venv given by --pymc-python)"
    )


def pymc_column(requested: str, repeat: int) -> None:
    print("\n(c) BG/NBD on the CDNOW sample (2,357 customers): relmark's maximum likelihood "
          "vs PyMC-Marketing's MAP")  # fmt: skip
    summary = cdnow_sample_summary()
    ours_s, _, ours = median_of(lambda: relmark.BetaGeo.fit(summary), max(repeat, 5))
    params = ", ".join(f"{k} {v:.3f}" for k, v in ours.params.items())
    print(f"relmark BetaGeo.fit             {ours_s:>8.3f} s   {params}")
    python, reason = pymc_interpreter(requested)
    csv = SHARED / "cdnow_customers_summary_with_transactions.csv"
    if python is None or not csv.exists():
        print(f"PyMC-Marketing: skipped: {reason or f'{csv} not found'}")
        return
    done = subprocess.run(
        [python, "-c", PYMC_FIT, str(csv), str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"PyMC-Marketing: failed ({python}): {done.stderr.strip().splitlines()[-1:]}")
        return
    result = json.loads(done.stdout.strip().splitlines()[-1])
    first, *rest = result["seconds"]
    theirs = ", ".join(f"{k} {v:.3f}" for k, v in result["params"].items())
    later = f"; later fits {np.median(rest):.1f} s (median of {len(rest)})" if rest else ""
    print(
        f"PyMC-Marketing {result['version']} MAP fit {first:>7.1f} s   {theirs}\n"
        f"  (first fit, model build and compilation included{later}; import "
        f"{result['import']:.1f} s; {python}; its default priors, so MAP is not the MLE)\n"
        f"  relmark is {first / ours_s:,.0f}x faster than the first MAP fit"
    )


# --------------------------------------------------------------------------- main


def main() -> None:
    """Run the three parts and print their tables."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--draws", type=int, default=200, help="bootstrap refits in (b)")
    parser.add_argument("--boot-draws", type=int, default=100, help="refits per replication in (a)")
    parser.add_argument("--boot-scale", type=float, default=1.0, help="scales (a)'s bootstrap reps")
    parser.add_argument("--repeat", type=int, default=3, help="runs per median on CDNOW")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--pymc-python", default="/work/venv-pymc/bin/python")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: few reps, 20,000 customers"
    )
    parser.add_argument("--skip-coverage", action="store_true")
    parser.add_argument("--coverage-only", action="store_true", help="part (a) only")
    parser.add_argument("--skip-delta", action="store_true", help="(a): bootstrap rows only")
    parser.add_argument("--save-draws", type=Path, help="(a): a folder for each case's draws")
    parser.add_argument(
        "--seed-offset", type=int, default=0,
        help="(a): add this to every case's seed, for a run on other bases than the test's",
    )  # fmt: skip
    args = parser.parse_args()
    cases = [dataclasses.replace(case, seed=case.seed + args.seed_offset) for case in CASES]
    if args.quick:
        args.customers, args.boot_scale, args.boot_draws, args.draws = 20_000, 0.02, 20, 20
        cases = [dataclasses.replace(case, reps=3) for case in cases]
    print(f"relmark {relmark.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}")
    load_note("start")
    if not args.skip_coverage:
        coverage_table(
            cases, args.boot_draws, args.boot_scale, args.save_draws, not args.skip_delta
        )
        load_note("after (a)")
    if args.coverage_only:
        return
    data: list[tuple[str, relmark.CustomerSummary, int]] = [
        (f"simulated, {args.customers:,}", simulated_base(args.customers), 1),
        ("CDNOW sample", cdnow_sample_summary(), args.repeat),
    ]
    full = cdnow_full()
    if full is None:
        print(f"(the full CDNOW file is not in {SHARED}: its row is skipped)")
    else:
        data.append(("CDNOW full (39 weeks)", full, args.repeat))
    bootstrap_times(data, args.draws)
    load_note("after (b)")
    pymc_column(args.pymc_python, 1 if args.quick else 2)
    load_note("end")


if __name__ == "__main__":
    main()
