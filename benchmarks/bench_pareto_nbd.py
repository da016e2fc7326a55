"""Pareto/NBD: relmark vs lifetimes 0.11.3, fit and predictions, in one run.

Simulates customers from Pareto/NBD with the CDNOW estimates (default
100,000), observed for 1 to 52 weeks with times in whole days, and times on
the same arrays:

- fit: ``relmark.ParetoNBD.fit(summary)`` vs ``ParetoNBDFitter().fit(x, t_x, T)``;
- P(alive) and expected purchases in the next 52 weeks for every customer.

Fits are timed as the best of two runs each; estimates are checked to agree
before the times are printed.

Run: ``python benchmarks/bench_pareto_nbd.py [--customers N] [--quick]``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _common import timed  # benchmarks/ is on the path when run as a script

import relmark


def simulate(n: int, seed: int) -> relmark.CustomerSummary:
    """Customers from Pareto/NBD(0.553, 10.578, 0.606, 11.669), times in whole days (weeks)."""
    rng = np.random.default_rng(seed)
    truth = relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    ages = rng.integers(7, 365, size=n) / 7.0
    drawn = truth.simulate(n, ages, rng=rng)
    recency = np.floor(drawn.recency * 7.0) / 7.0
    return relmark.CustomerSummary.from_arrays(drawn.frequency, recency, drawn.T, unit="W")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="10,000 customers")
    args = parser.parse_args()
    n = 10_000 if args.quick else args.customers
    from lifetimes import ParetoNBDFitter

    summary = simulate(n, seed=2026)
    x, t_x, T = (np.array(v) for v in (summary.frequency, summary.recency, summary.T))
    ours_fit, model = timed(lambda: relmark.ParetoNBD.fit(summary), repeat=2)
    peer = ParetoNBDFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_fit, _ = timed(lambda: peer.fit(x, t_x, T), repeat=2)
        theirs_alive, _ = timed(lambda: peer.conditional_probability_alive(x, t_x, T))
        theirs_expected, _ = timed(
            lambda: peer.conditional_expected_number_of_purchases_up_to_time(52.0, x, t_x, T)
        )
    ours_alive, _ = timed(lambda: model.probability_alive(summary))
    ours_expected, _ = timed(lambda: model.expected_purchases(summary, 52.0))
    ours = np.array(list(model.params.values()))
    theirs = peer.params_[["r", "alpha", "s", "beta"]].to_numpy()
    relative = float(np.max(np.abs(ours - theirs) / theirs))
    assert relative < 1e-2, (model.params, dict(peer.params_))
    ll_ours = model.log_likelihood(summary)
    ll_theirs = relmark.ParetoNBD(**dict(zip(model.params, theirs, strict=True))).log_likelihood(
        summary
    )
    print(
        f"Pareto/NBD, {n:,} customers ({len(summary.compress()):,} distinct rows); estimates "
        f"agree to {relative:.1e} relative; log-likelihood relmark {ll_ours:,.3f}, "
        f"at lifetimes' estimates {ll_theirs:,.3f}"
    )
    print(f"{'task':<34}{'relmark s':>11}{'lifetimes s':>13}{'speed-up':>10}")
    for task, mine, theirs_time in [
        ("fit", ours_fit, theirs_fit),
        ("P(alive), every customer", ours_alive, theirs_alive),
        ("expected purchases, 52 weeks", ours_expected, theirs_expected),
    ]:
        print(f"{task:<34}{mine:>11.3f}{theirs_time:>13.3f}{theirs_time / mine:>9.1f}x")


if __name__ == "__main__":
    main()
