"""relmark vs lifetimes 0.11.3 in one run: summary and fits at 300,000 and 1,000,000 customers.

The targets of the "Models you can trust" issue, side by side, in the
default environment (no thread settings changed):

- customer summary from a shuffled transaction log (``summarize`` vs
  ``summary_data_from_transaction_data``), target >= 10x;
- BG/NBD fit, target >= 20x; Gamma-Gamma fit, target >= 10x;
- Pareto/NBD fit on 20,000 customers, target >= 30x.

relmark's times are medians of ``--repeat`` runs, lifetimes' medians of
``--peer-repeat`` runs.  Estimates are checked to agree before any time is
printed.

Run: ``python benchmarks/bench_peers.py [--sizes 300000 1000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _common import median_time  # benchmarks/ is on the path when run as a script
from bench_beta_geo import simulate as simulate_bgnbd
from bench_gamma_gamma import simulate as simulate_spend
from bench_pareto_nbd import simulate as simulate_pareto
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
from lifetimes.utils import summary_data_from_transaction_data

import relmark
from relmark.datasets import simulate_transactions


def quiet(function: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap a lifetimes call so its deprecation warnings stay off the table."""

    def call() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function()

    return call


def summary_times(n: int, repeat: int, peer_repeat: int) -> tuple[float, float]:
    log = simulate_transactions(n, rng=2024)
    order = np.random.default_rng(0).permutation(len(log))
    ids, stamps, amounts = log.customer_id[order], log.timestamp[order], log.amount[order]
    end = np.datetime64("2025-07-01")
    ours_s, ours = median_time(
        lambda: relmark.TransactionLog.from_arrays(ids, stamps, amounts).summarize(end, unit="D"),
        repeat,
    )
    frame = pd.DataFrame({"customer_id": ids, "date": stamps, "amount": amounts})
    theirs_s, theirs = median_time(
        quiet(
            lambda: summary_data_from_transaction_data(
                frame,
                "customer_id",
                "date",
                monetary_value_col="amount",
                observation_period_end=pd.Timestamp(end),
                freq="D",
            )
        ),
        peer_repeat,
    )
    np.testing.assert_array_equal(ours.frequency, theirs.sort_index()["frequency"].to_numpy())
    return ours_s, theirs_s


def bgnbd_times(n: int, repeat: int, peer_repeat: int) -> tuple[float, float]:
    summary = simulate_bgnbd(n, seed=2026)
    ours_s, model = median_time(lambda: relmark.BetaGeo.fit(summary), repeat)
    peer = BetaGeoFitter()
    theirs_s, _ = median_time(
        quiet(lambda: peer.fit(summary.frequency, summary.recency, summary.T)), peer_repeat
    )
    theirs = peer.params_[["r", "alpha", "a", "b"]].to_numpy()
    np.testing.assert_allclose(list(model.params.values()), theirs, rtol=5e-3)
    return ours_s, theirs_s


def gamma_gamma_times(n: int, repeat: int, peer_repeat: int) -> tuple[float, float]:
    summary = simulate_spend(n, seed=42)
    ours_s, model = median_time(lambda: relmark.GammaGamma.fit(summary), repeat)
    frequency, spend = pd.Series(summary.frequency), pd.Series(summary.monetary_value)
    theirs_s, peer = median_time(
        quiet(lambda: GammaGammaFitter().fit(frequency, spend)), peer_repeat
    )
    theirs = peer.params_[["p", "q", "v"]].to_numpy()
    np.testing.assert_allclose(list(model.params.values()), theirs, rtol=1e-3)
    return ours_s, theirs_s


def pareto_times(n: int, repeat: int, peer_repeat: int) -> tuple[float, float]:
    summary = simulate_pareto(n, seed=2026)
    ours_s, model = median_time(lambda: relmark.ParetoNBD.fit(summary), repeat)
    x, t_x, T = (np.array(v) for v in (summary.frequency, summary.recency, summary.T))
    peer = ParetoNBDFitter()
    theirs_s, _ = median_time(quiet(lambda: peer.fit(x, t_x, T)), peer_repeat)
    theirs = peer.params_[["r", "alpha", "s", "beta"]].to_numpy()
    np.testing.assert_allclose(list(model.params.values()), theirs, rtol=1e-2)
    return ours_s, theirs_s


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300_000, 1_000_000])
    parser.add_argument("--pareto-customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-repeat", type=int, default=1)
    args = parser.parse_args()
    rows: list[tuple[str, float, float, float]] = []
    for n in args.sizes:
        for task, times, target in [
            ("summary", summary_times, 10.0),
            ("BG/NBD fit", bgnbd_times, 20.0),
            ("Gamma-Gamma fit", gamma_gamma_times, 10.0),
        ]:
            ours, theirs = times(n, args.repeat, args.peer_repeat)
            rows.append((f"{task}, {n:,}", ours, theirs, target))
    ours, theirs = pareto_times(args.pareto_customers, args.repeat, args.peer_repeat)
    rows.append((f"Pareto/NBD fit, {args.pareto_customers:,}", ours, theirs, 30.0))
    print(f"medians: relmark of {args.repeat} runs, lifetimes of {args.peer_repeat}")
    print(f"{'task':<30}{'relmark s':>11}{'lifetimes s':>13}{'ratio':>9}{'target':>9}")
    for task, ours, theirs, target in rows:
        mark = "" if theirs / ours >= target else "  (below target)"
        print(f"{task:<30}{ours:>11.3f}{theirs:>13.3f}{theirs / ours:>8.1f}x{target:>8.0f}x{mark}")


if __name__ == "__main__":
    main()
