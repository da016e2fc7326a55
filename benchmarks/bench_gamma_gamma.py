"""Gamma-Gamma spend model: relmark vs lifetimes, in one run.

Simulates repeat buyers from a Gamma-Gamma model (default 1,000,000
customers, 1-20 repeat purchases each, continuous spend so almost no rows
compress) and times, on the same arrays:

- fit: ``relmark.GammaGamma.fit(summary)`` vs lifetimes 0.11.3
  ``GammaGammaFitter().fit(frequency, monetary_value)``;
- expected spend: ``model.expected_spend(summary)`` vs
  ``conditional_expected_average_profit(frequency, monetary_value)``.

The estimates and predictions are checked to agree before the times are
printed.

Run: ``python benchmarks/bench_gamma_gamma.py [--customers N] [--quick]``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _common import timed  # benchmarks/ is on the path when run as a script

import relmark


def print_table(title: str, rows: list[tuple[str, float, float]]) -> None:
    """Print one line per task: relmark time, lifetimes time and the speed-up."""
    print(title)
    print(f"{'task':<28}{'relmark s':>12}{'lifetimes s':>14}{'speed-up':>10}")
    for task, ours, theirs in rows:
        print(f"{task:<28}{ours:>12.4f}{theirs:>14.4f}{theirs / ours:>9.1f}x")


def simulate(n: int, seed: int) -> relmark.CustomerSummary:
    """Repeat buyers drawn from GammaGamma(p=6.25, q=3.74, gamma=15.44)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 21, size=n).astype(float)
    nu = rng.gamma(3.74, 1.0 / 15.44, size=n)
    m = rng.gamma(6.25 * x, 1.0 / (nu * x))
    return relmark.CustomerSummary.from_arrays(x, np.ones(n), np.full(n, 2.0), monetary_value=m)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10,000 customers")
    args = parser.parse_args()
    n = 10_000 if args.quick else args.customers

    import pandas as pd
    from lifetimes import GammaGammaFitter

    summary = simulate(n, seed=42)
    frequency = pd.Series(summary.frequency)
    monetary = pd.Series(summary.monetary_value)

    ours_fit, model = timed(lambda: relmark.GammaGamma.fit(summary))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_fit, peer = timed(lambda: GammaGammaFitter().fit(frequency, monetary))
    ours_params = np.array(list(model.params.values()))
    theirs_params = peer.params_[["p", "q", "v"]].to_numpy()
    np.testing.assert_allclose(ours_params, theirs_params, rtol=1e-3)

    ours_pred, spend = timed(lambda: model.expected_spend(summary), repeat=3)
    theirs_pred, peer_spend = timed(
        lambda: peer.conditional_expected_average_profit(frequency, monetary), repeat=3
    )
    np.testing.assert_allclose(spend, np.asarray(peer_spend), rtol=1e-3)

    print(
        f"relmark {relmark.__version__}: p={ours_params[0]:.4f} q={ours_params[1]:.4f} "
        f"gamma={ours_params[2]:.4f}; lifetimes: p={theirs_params[0]:.4f} "
        f"q={theirs_params[1]:.4f} v={theirs_params[2]:.4f}"
    )
    print_table(
        f"Gamma-Gamma, {n:,} repeat buyers",
        [("fit", ours_fit, theirs_fit), ("expected spend", ours_pred, theirs_pred)],
    )


if __name__ == "__main__":
    main()
