"""Benchmark: DynamicParetoNBD (time-varying covariates), simulated and on the apparel data.

Default: 100,000 customers x 100 weekly periods x 3 covariates (a season of 13-week
blocks shared by all, and two static dummies: a segment in 40 % and a channel in 50 %
of the customers), fitted with purchase covariates season and channel, dropout
covariate channel and a segment coefficient shared by both processes.  Printed: the
fit's time (median of ``--repeat`` fits) and iterations, one likelihood evaluation with
its exact gradient, the (customer, period) cells with observed time and the pieces of
constant covariates they merge into, the peak memory of the fit (tracemalloc, first
fit) and the sizes of the arrays; then the apparel data set's fit (High.Season,
Gender, Channel, calibration to the end of 2006) and its time, when the shared data
folder holds it.

    python benchmarks/bench_dynamic_covariates.py [--customers N] [--periods K]
        [--repeat R] [--data FOLDER]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np

from relmark.data.period_covariates import PeriodCovariates
from relmark.models import pareto_dynamic as dyn
from relmark.models.pareto_dynamic import DynamicHistory, DynamicParetoNBD

TRUTH = DynamicParetoNBD(r=0.8, alpha=6.0, s=0.9, beta=12.0).with_coefficients(
    {
        "purchase[season]": math.log(1.5),
        "purchase[channel]": math.log(1.3),
        "dropout[channel]": math.log(0.7),
        "shared[segment]": math.log(1.2),
    }
)
SPEC = {"purchase": ["season", "channel"], "dropout": ["channel"], "shared": ["segment"]}


def covariates(n: int, periods: int, seed: int = 0) -> PeriodCovariates:
    """One seasonal covariate and two static ones, repeated in every period."""
    rng = np.random.default_rng(seed)
    season = np.tile(((np.arange(periods) // 13) % 2).astype(float), (n, 1))
    segment = np.repeat(rng.binomial(1, 0.4, (n, 1)).astype(float), periods, axis=1)
    channel = np.repeat(rng.binomial(1, 0.5, (n, 1)).astype(float), periods, axis=1)
    return PeriodCovariates(
        customers=np.arange(n),
        start=0.0,
        period_length=1.0,
        unit="W",
        names=("season", "segment", "channel"),
        values=np.stack([season, segment, channel], axis=2),
    )


def simulated(n: int, periods: int, repeat: int) -> list[tuple[str, str]]:
    cov = covariates(n, periods)
    first = np.random.default_rng(1).uniform(0.0, periods / 4, n)
    log = TRUTH.simulate(cov, first=first, end=float(periods), rng=2)
    began = time.perf_counter()
    history = DynamicHistory.from_log(log, cov, observation_end=float(periods))
    build = time.perf_counter() - began
    design = TRUTH._design(cov)
    began = time.perf_counter()
    pieces = dyn._merged_pieces(history, design.columns)
    cut = time.perf_counter() - began
    theta = np.array([TRUTH.r, TRUTH.alpha, TRUTH.s, TRUTH.beta])
    began = time.perf_counter()
    dyn._terms(theta, design, history, with_gradient=True, pieces=pieces)
    evaluation = time.perf_counter() - began
    seconds, peak = [], 0
    for run in range(repeat):
        if run == 0:
            tracemalloc.start()
        began = time.perf_counter()
        fitted = DynamicParetoNBD.fit(history, **SPEC)
        seconds.append(time.perf_counter() - began)
        if run == 0:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert fitted.fit_info is not None
    block_bytes = sum(b.z.nbytes + b.before.nbytes + b.after.nbytes for b in pieces.blocks)
    print(fitted.summary())
    return [
        ("customers x periods x covariates", f"{n:,} x {periods} x {len(cov.names)}"),
        ("repeat purchases", f"{int(history.frequency.sum()):,}"),
        ("history build", f"{build:.2f} s"),
        ("cells with observed time", f"{pieces.cells:,}"),
        ("pieces after merging", f"{pieces.count:,} in {len(pieces.blocks)} blocks"),
        ("cutting the pieces (once per fit)", f"{cut:.2f} s"),
        ("one likelihood + gradient", f"{evaluation:.2f} s"),
        (
            f"fit (median of {repeat})",
            f"{statistics.median(seconds):.1f} s, {fitted.fit_info.iterations} iterations",
        ),
        ("peak memory of the fit", f"{peak / 1e6:,.0f} MB (tracemalloc)"),
        ("covariates (n x K x k float64)", f"{cov.values.nbytes / 1e6:,.0f} MB"),
        ("history arrays (per customer)", f"{_history_bytes(history) / 1e6:,.1f} MB"),
        ("pieces (z, exposures, padded)", f"{block_bytes / 1e6:,.1f} MB"),
    ]


def apparel(folder: Path) -> list[tuple[str, str]]:
    if not (folder / "apparel_transactions.csv").exists():
        return [("apparel", f"skipped: no apparel_transactions.csv in {folder}")]
    import pandas as pd

    import relmark

    trans = pd.read_csv(folder / "apparel_transactions.csv", dtype={"Id": str})
    log = relmark.TransactionLog.from_frame(
        trans, customer_id="Id", timestamp="Date", amount="Price"
    )
    table = pd.read_csv(folder / "apparel_dynamic_covariates.csv", dtype={"Id": str})
    names = ["High.Season", "Gender", "Channel"]
    cov = PeriodCovariates.from_table(
        table, id_column="Id", period_column="Cov.Date", columns=names
    )
    history = DynamicHistory.from_log(log, cov, observation_end="2006-12-31")
    began = time.perf_counter()
    model = DynamicParetoNBD.fit(history, purchase=names, dropout=names[1:])
    seconds = time.perf_counter() - began
    static = relmark.ParetoNBD.fit(history.summary())
    assert model.fit_info is not None and static.fit_info is not None
    pieces = dyn._merged_pieces(history, model._design(cov).columns)
    print(model.summary())
    statistic = 2.0 * (model.fit_info.log_likelihood - static.fit_info.log_likelihood)
    return [
        ("apparel customers x weeks", f"{len(history):,} x {cov.n_periods}"),
        ("apparel cells -> pieces", f"{pieces.cells:,} -> {pieces.count:,}"),
        ("apparel fit", f"{seconds:.2f} s, {model.fit_info.iterations} iterations"),
        ("apparel LR statistic (df 5)", f"{statistic:.2f}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1)
    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    parser.add_argument("--data", type=Path, default=default)
    args = parser.parse_args()
    rows = simulated(args.customers, args.periods, args.repeat) + apparel(args.data)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def _history_bytes(history: DynamicHistory) -> int:
    arrays = (
        history.frequency,
        history.recency,
        history.T,
        history.first,
        history.rows,
        history.sums,
    )
    return sum(a.nbytes for a in arrays)


if __name__ == "__main__":
    main()
