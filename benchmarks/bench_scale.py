"""The whole pipeline at scale: relmark vs lifetimes 0.11.3, step by step, in one run.

For each size (default 10^5 and 10^6 customers; ``--full`` adds 10^7) a
simulated log (``relmark.datasets.simulate_transactions``, about 2.8
purchases per customer) goes through:

1. simulate       - the transaction log (relmark only)
2. summarize      - transactions to one row per customer (same-day purchases merged, days)
3. compress       - distinct (frequency, recency, T) rows with counts (relmark only)
4. fit BG/NBD     - relmark on the distinct rows; lifetimes ``BetaGeoFitter`` per customer
5. fit GG         - Gamma-Gamma on the repeat buyers
6. predictions    - P(alive), expected purchases in 365 days, expected spend per
                    purchase and their product (a CLV-like value) for every customer

Each size runs in a fresh subprocess.  Time is wall-clock (``perf_counter``);
memory is the peak of memory allocated during the step as traced by
``tracemalloc`` (numpy and pandas buffers included), and "process peak RSS"
is the subprocess's maximum resident set after the relmark steps (before
lifetimes runs).  lifetimes runs up to ``--peer-max`` customers (default
10^6); PyMC-Marketing is reported when installed.

The last table, "distinct rows vs customers", is the data of the figure in
docs/performance.md: how many rows the fit sees as the customer base grows.

Run: ``python benchmarks/bench_scale.py [--quick | --full | --sizes N ...]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

STEPS = ["simulate", "summarize", "compress", "fit BG/NBD", "fit GG", "predictions"]
END = np.datetime64("2025-07-01")  # the default simulation runs 546 days from 2024-01-01
HORIZON = 365.0


def measure(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """Run once; return (seconds, peak traced MiB allocated during the call, result)."""
    tracemalloc.start()
    began = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 2**20, result


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def run_relmark(n: int) -> dict[str, Any]:
    from relmark import GammaGamma
    from relmark.datasets import simulate_transactions

    try:
        from relmark.models.beta_geo import BetaGeo
    except ImportError:  # the BG/NBD model is not in this checkout yet
        BetaGeo = None

    out: dict[str, Any] = {"n": n, "steps": {}}
    steps = out["steps"]
    steps["simulate"] = measure(lambda: simulate_transactions(n, rng=2024))
    log = steps["simulate"][2]
    out["purchases"] = len(log)
    steps["summarize"] = measure(lambda: log.summarize(END, unit="D"))
    summary = steps["summarize"][2]
    steps["compress"] = measure(lambda: summary.compress())
    compressed = steps["compress"][2]
    out["rows"] = len(compressed)
    out["rows_monetary"] = len(summary.subset(summary.frequency > 0).compress(monetary=True))
    out["repeat_buyers"] = int((summary.frequency > 0).sum())
    bg = None
    if BetaGeo is not None:
        steps["fit BG/NBD"] = measure(lambda: BetaGeo.fit(compressed))
        bg = steps["fit BG/NBD"][2]
        out["bg_params"] = bg.params
    steps["fit GG"] = measure(lambda: GammaGamma.fit(summary))
    gg = steps["fit GG"][2]
    out["gg_params"] = gg.params

    if bg is not None:

        def predict() -> tuple[Any, ...]:
            alive = bg.probability_alive(summary)
            purchases = bg.expected_purchases(summary, HORIZON)
            spend = gg.expected_spend(summary)
            return alive, purchases, spend, purchases * spend

        steps["predictions"] = measure(predict)
        out["mean_value"] = float(steps["predictions"][2][3].mean())
    out["peak_rss"] = max_rss_mib()
    out["steps"] = {k: v[:2] for k, v in steps.items()}
    return out


def run_lifetimes(n: int) -> dict[str, Any]:
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    from relmark.datasets import simulate_transactions

    log = simulate_transactions(n, rng=2024)
    frame = pd.DataFrame(
        {"customer_id": log.customer_id, "date": log.timestamp, "amount": log.amount}
    )
    del log
    out: dict[str, Any] = {"steps": {}}
    steps = out["steps"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        steps["summarize"] = measure(
            lambda: summary_data_from_transaction_data(
                frame,
                "customer_id",
                "date",
                monetary_value_col="amount",
                observation_period_end=pd.Timestamp(END),
                freq="D",
            )
        )
        data = steps["summarize"][2]
        f, r, t, m = (data[c] for c in ("frequency", "recency", "T", "monetary_value"))
        steps["fit BG/NBD"] = measure(lambda: BetaGeoFitter().fit(f, r, t))
        bgf = steps["fit BG/NBD"][2]
        repeat = f > 0
        steps["fit GG"] = measure(lambda: GammaGammaFitter().fit(f[repeat], m[repeat]))
        ggf = steps["fit GG"][2]

        def predict() -> tuple[Any, ...]:
            alive = bgf.conditional_probability_alive(f, r, t)
            purchases = bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON, f, r, t)
            spend = ggf.conditional_expected_average_profit(f, m)
            return alive, purchases, spend, purchases * spend

        steps["predictions"] = measure(predict)
    out["bg_params"] = {k: float(v) for k, v in bgf.params_.items()}
    out["gg_params"] = {k: float(v) for k, v in ggf.params_.items()}
    out["steps"] = {k: v[:2] for k, v in steps.items()}
    return out


def one_size(n: int, peer_max: int) -> dict[str, Any]:
    result = run_relmark(n)
    if n <= peer_max:
        try:
            result["lifetimes"] = run_lifetimes(n)
        except ImportError:
            result["lifetimes_missing"] = True
    return result


def print_size(result: dict[str, Any]) -> None:
    n = result["n"]
    print(
        f"\n{n:,} customers, {result['purchases']:,} purchases; relmark process peak RSS "
        f"{result['peak_rss']:,.0f} MiB"
    )
    peer = result.get("lifetimes", {}).get("steps", {})
    header = (
        f"{'step':<14}{'relmark s':>11}{'peak MiB':>10}{'lifetimes s':>13}{'peak MiB':>10}"
        f"{'ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    for step in STEPS:
        ours = result["steps"].get(step)
        theirs = peer.get(step)
        cells = f"{step:<14}"
        cells += f"{ours[0]:>11.3f}{ours[1]:>10.0f}" if ours else f"{'n/a':>11}{'':>10}"
        if theirs:
            cells += f"{theirs[0]:>13.3f}{theirs[1]:>10.0f}"
            cells += f"{theirs[0] / ours[0]:>8.1f}x" if ours else ""
        else:
            cells += f"{'-':>13}{'':>10}"
        print(cells)
    total = sum(v[0] for v in result["steps"].values())
    print(f"{'total':<14}{total:>11.3f}")
    print(
        f"fit sees {result['rows']:,} distinct rows for {n:,} customers (BG/NBD); "
        f"Gamma-Gamma: {result['rows_monetary']:,} distinct rows for "
        f"{result['repeat_buyers']:,} repeat buyers"
    )
    if "bg_params" in result and "lifetimes" in result:
        ours_p, theirs_p = result["bg_params"], result["lifetimes"]["bg_params"]
        gap = max(abs(ours_p[k] / theirs_p[k] - 1) for k in ours_p)
        print(f"BG/NBD parameters relmark vs lifetimes: max relative difference {gap:.1e}")
    if "lifetimes_missing" in result:
        print("lifetimes not installed: no comparison")


def rows_sweep(sizes: list[int], known: dict[int, dict[str, Any]]) -> list[tuple[int, int, int]]:
    from relmark.datasets import simulate_transactions

    table = []
    for n in sizes:
        if n in known:
            table.append((n, known[n]["rows"], known[n]["rows_monetary"]))
            continue
        summary = simulate_transactions(n, rng=2024).summarize(END, unit="D")
        repeat = summary.subset(summary.frequency > 0)
        table.append((n, len(summary.compress()), len(repeat.compress(monetary=True))))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^5 customers only")
    parser.add_argument("--full", action="store_true", help="10^5, 10^6 and 10^7 customers")
    parser.add_argument("--sizes", type=int, nargs="*", help="explicit sizes")
    parser.add_argument("--peer-max", type=int, default=1_000_000, help="largest size for peers")
    parser.add_argument("--figure", help="save the distinct-rows figure to this file (PNG)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.peer_max)))
        return
    if args.sizes:
        sizes = args.sizes
    elif args.quick:
        sizes = [100_000]
    elif args.full:
        sizes = [100_000, 1_000_000, 10_000_000]
    else:
        sizes = [100_000, 1_000_000]
    try:
        import pymc_marketing  # noqa: F401
    except ImportError:
        print("PyMC-Marketing not installed: not compared")
    print("time: wall clock; peak MiB: tracemalloc peak of allocations during the step")
    results: dict[int, dict[str, Any]] = {}
    for n in sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--peer-max", str(args.peer_max)],
            capture_output=True,
            text=True,
            check=True,
        )
        results[n] = json.loads(done.stdout.strip().splitlines()[-1])
        print_size(results[n])

    sweep_sizes = sorted({1_000, 10_000, *sizes} | ({100_000} if not args.quick else set()))
    table = rows_sweep(sweep_sizes, results)
    print("\ndistinct rows vs customers (what the fits see)")
    print(f"{'customers':>12}{'BG/NBD rows':>13}{'share':>8}{'GG rows':>10}")
    for n, rows, rows_m in table:
        print(f"{n:>12,}{rows:>13,}{rows / n:>8.1%}{rows_m:>10,}")
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        ns = [n for n, _, _ in table]
        ax.loglog(ns, ns, ":", color="grey", label="one row per customer")
        ax.loglog(ns, [r for _, r, _ in table], "o-", label="BG/NBD (frequency, recency, T)")
        ax.loglog(ns, [r for _, _, r in table], "s-", label="Gamma-Gamma (+ monetary)")
        ax.set_xlabel("customers")
        ax.set_ylabel("distinct rows the fit sees")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(args.figure, dpi=120)
        print(f"figure saved to {args.figure}")


if __name__ == "__main__":
    main()
