"""Customer summary from a transaction log: relmark vs lifetimes, in one run.

Builds a simulated log (default 1,000,000 customers, ~2.8 million purchases,
rows shuffled so neither library gets pre-sorted input) and times, from the
same raw columns:

- relmark: ``TransactionLog.from_arrays(...).summarize(end, unit="D")``
- lifetimes 0.11.3: ``summary_data_from_transaction_data(frame, ..., freq="D")``

Both merge same-day purchases and measure days.  The results are checked to
agree before the times are printed.

Run: ``python benchmarks/bench_summary.py [--customers N] [--quick]``.
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np
from _common import timed  # benchmarks/ is on the path when run as a script

import relmark
from relmark.datasets import simulate_transactions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10,000 customers")
    args = parser.parse_args()
    n = 10_000 if args.quick else args.customers

    log = simulate_transactions(n, rng=2024)
    shuffle = np.random.default_rng(0).permutation(len(log))
    ids, stamps = log.customer_id[shuffle], log.timestamp[shuffle]
    assert log.amount is not None
    amounts = log.amount[shuffle]
    end = np.datetime64("2025-07-01")
    print(f"{n:,} customers, {len(log):,} purchases (shuffled)")

    def with_relmark() -> relmark.CustomerSummary:
        built = relmark.TransactionLog.from_arrays(ids, stamps, amounts)
        return built.summarize(end, unit="D")

    relmark_seconds, ours = timed(with_relmark, repeat=3)

    try:
        import pandas as pd
        from lifetimes.utils import summary_data_from_transaction_data
    except ImportError:
        print(f"relmark: {relmark_seconds:.3f} s (lifetimes not installed: no comparison)")
        return
    frame = pd.DataFrame({"customer_id": ids, "date": stamps, "amount": amounts})

    def with_lifetimes() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return summary_data_from_transaction_data(
                frame,
                "customer_id",
                "date",
                monetary_value_col="amount",
                observation_period_end=pd.Timestamp(end),
                freq="D",
            )

    lifetimes_seconds, theirs = timed(with_lifetimes)
    theirs = theirs.sort_index()
    assert ours.customer_id is not None and ours.monetary_value is not None
    np.testing.assert_array_equal(ours.customer_id, theirs.index.to_numpy())
    np.testing.assert_array_equal(ours.frequency, theirs["frequency"].to_numpy())
    np.testing.assert_array_equal(ours.recency, theirs["recency"].to_numpy())
    np.testing.assert_array_equal(ours.T, theirs["T"].to_numpy())
    np.testing.assert_allclose(ours.monetary_value, theirs["monetary_value"].to_numpy())

    print(f"{'step':<36}{'relmark':>10}{'lifetimes':>12}{'ratio':>9}")
    print(
        f"{'summary of ' + format(len(log), ',') + ' purchases':<36}"
        f"{relmark_seconds:>9.3f}s{lifetimes_seconds:>11.3f}s"
        f"{lifetimes_seconds / relmark_seconds:>8.1f}x"
    )
    print("results identical: frequency, recency, T; monetary value to float rounding")


if __name__ == "__main__":
    main()
