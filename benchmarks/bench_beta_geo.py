"""BG/NBD: relmark vs lifetimes 0.11.3, fit and predictions, in one run.

Simulates customers from BG/NBD with the CDNOW estimates (default 1,000,000),
observed for 1 to 52 weeks with times recorded in whole days (as summaries
of daily transaction logs are), and times on the same arrays:

- fit: ``relmark.BetaGeo.fit(summary)`` vs ``BetaGeoFitter().fit(x, t_x, T)``
  (lifetimes on the customer rows, as it is normally called);
- P(alive) and expected purchases in the next 52 weeks for every customer.

Fits are timed as the best of two runs each; estimates and predictions are
checked to agree before times are printed.

Run: ``python benchmarks/bench_beta_geo.py [--customers N] [--quick]``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from _common import timed  # benchmarks/ is on the path when run as a script

import relmark


def simulate(n: int, seed: int) -> relmark.CustomerSummary:
    """Customers from BG/NBD(0.243, 4.414, 0.793, 2.426), times in whole days (in weeks)."""
    rng = np.random.default_rng(seed)
    truth = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    ages = rng.integers(7, 365, size=n) / 7.0
    drawn = truth.simulate(n, ages, rng=rng)
    recency = np.floor(drawn.recency * 7.0) / 7.0
    return relmark.CustomerSummary.from_arrays(drawn.frequency, recency, drawn.T, unit="W")


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 customers")
    args = parser.parse_args()
    n = 100_000 if args.quick else args.customers
    from lifetimes import BetaGeoFitter

    summary = simulate(n, seed=2026)
    x, t_x, T = summary.frequency, summary.recency, summary.T
    ours_fit, model = timed(lambda: relmark.BetaGeo.fit(summary), repeat=2)
    peer = BetaGeoFitter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_fit, _ = timed(lambda: peer.fit(x, t_x, T), repeat=2)
        theirs_alive, alive = timed(lambda: peer.conditional_probability_alive(x, t_x, T))
        theirs_expected, expected = timed(
            lambda: peer.conditional_expected_number_of_purchases_up_to_time(52.0, x, t_x, T)
        )
    ours_alive, our_alive = timed(lambda: model.probability_alive(summary))
    ours_expected, our_expected = timed(lambda: model.expected_purchases(summary, 52.0))

    ours = np.array(list(model.params.values()))
    theirs = peer.params_[["r", "alpha", "a", "b"]].to_numpy()
    relative = float(np.max(np.abs(ours - theirs) / theirs))
    # lifetimes' own optimiser stops early; its estimates agree to about 1e-3
    assert relative < 5e-3, (model.params, dict(peer.params_))
    peer.params_[["r", "alpha", "a", "b"]] = ours  # compare predictions at the same parameters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alive = peer.conditional_probability_alive(x, t_x, T)
        expected = np.asarray(
            peer.conditional_expected_number_of_purchases_up_to_time(52.0, x, t_x, T)
        )
    finite = np.isfinite(expected)
    assert np.allclose(our_alive, alive, rtol=1e-9)
    assert np.allclose(our_expected[finite], expected[finite], rtol=1e-7)

    print(
        f"BG/NBD, {n:,} customers ({len(summary.compress()):,} distinct rows); "
        f"estimates agree to {relative:.1e} relative"
    )
    print(f"{'task':<34}{'relmark s':>11}{'lifetimes s':>13}{'speed-up':>10}")
    for task, mine, peer_time in [
        ("fit", ours_fit, theirs_fit),
        ("P(alive), every customer", ours_alive, theirs_alive),
        ("expected purchases, 52 weeks", ours_expected, theirs_expected),
    ]:
        print(f"{task:<34}{mine:>11.3f}{peer_time:>13.3f}{peer_time / mine:>9.1f}x")
    if not finite.all():
        print(f"(lifetimes returned NaN for {int((~finite).sum()):,} customers' expectations)")


if __name__ == "__main__":
    main()
