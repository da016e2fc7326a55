"""RFM scoring: relmark vs the usual pandas recipe (group-by + qcut), in one run.

On a simulated log (default 1,000,000 customers, about 2.8 purchases each):

- from transactions: ``TransactionLog.summarize`` + ``rfm_scores`` vs a pandas
  ``groupby`` (last purchase, count, mean amount) + ``qcut`` of ranks into quintiles;
- from a summary: ``rfm_scores`` vs ``qcut`` on the summary's columns;
- named segments and a segment profile on top (relmark only; pandas has none);
- engagement from ten touchpoints per customer (relmark only).

Run: ``python benchmarks/bench_scoring.py [--customers N] [--quick]``.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from _common import timed  # benchmarks/ is on the path when run as a script

import relmark
from relmark.datasets import simulate_transactions


def pandas_rfm(frame: Any, end: Any) -> Any:
    """The common pandas recipe: one row per customer, then quintiles of ranks."""
    import pandas as pd

    per_customer = frame.groupby("customer_id").agg(
        last=("timestamp", "max"), frequency=("timestamp", "count"), monetary=("amount", "mean")
    )
    recency_days = (end - per_customer["last"]).dt.days
    labels = [1, 2, 3, 4, 5]
    return pd.DataFrame(
        {
            "R": pd.qcut(recency_days.rank(method="first", ascending=False), 5, labels=labels),
            "F": pd.qcut(per_customer["frequency"].rank(method="first"), 5, labels=labels),
            "M": pd.qcut(per_customer["monetary"].rank(method="first"), 5, labels=labels),
        }
    )


def pandas_scores(summary: relmark.CustomerSummary) -> Any:
    """Quintiles of the summary's columns, the pandas way."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "silence": summary.T - summary.recency,
            "x": summary.frequency,
            "m": summary.monetary_value,
        }
    )
    labels = [1, 2, 3, 4, 5]
    return pd.DataFrame(
        {
            "R": pd.qcut(frame["silence"].rank(method="first", ascending=False), 5, labels=labels),
            "F": pd.qcut(frame["x"].rank(method="first"), 5, labels=labels),
            "M": pd.qcut(frame["m"].rank(method="first"), 5, labels=labels),
        }
    )


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 customers")
    args = parser.parse_args()
    n = 100_000 if args.quick else args.customers
    import pandas as pd

    log = simulate_transactions(n, rng=2026)
    end = log.timestamp.max()
    frame = pd.DataFrame(
        {"customer_id": log.customer_id, "timestamp": log.timestamp, "amount": log.amount}
    )
    ours_log, scores = timed(lambda: relmark.rfm_scores(log.summarize(end, unit="D")))
    theirs_log, peer = timed(lambda: pandas_rfm(frame, pd.Timestamp(end)))
    assert len(peer) == len(scores.recency_score)
    summary = log.summarize(end, unit="D")
    ours_summary, _ = timed(lambda: relmark.rfm_scores(summary))
    theirs_summary, _ = timed(lambda: pandas_scores(summary))
    segments_time, labels = timed(lambda: relmark.rfm_segments(scores))
    profile_time, _ = timed(
        lambda: relmark.segment_profile(labels, revenue=summary.frequency * summary.monetary_value)
    )
    print(f"RFM scoring, {n:,} customers ({len(log):,} purchases)")
    print(f"{'task':<40}{'relmark s':>11}{'pandas s':>11}{'speed-up':>10}")
    for task, mine, theirs in [
        ("RFM scores from transactions", ours_log, theirs_log),
        ("RFM scores from a summary", ours_summary, theirs_summary),
    ]:
        print(f"{task:<40}{mine:>11.3f}{theirs:>11.3f}{theirs / mine:>9.1f}x")
    print(f"{'named segments (relmark only)':<40}{segments_time:>11.3f}")
    print(f"{'segment profile (relmark only)':<40}{profile_time:>11.3f}")
    print(
        f"(pandas {pd.__version__}; ties: pandas ranks 'first' by position, relmark shares scores)"
    )
    contacts = 10 * n
    rng = np.random.default_rng(7)
    channels = np.array([c.value for c in relmark.Channel])[rng.integers(0, 10, contacts)]
    kinds = np.array(["visit", "click", "message_opened", "complaint", "complaint_response"])
    build_time, table = timed(
        lambda: relmark.TouchpointTable.from_arrays(
            rng.integers(0, n, contacts),
            rng.uniform(0.0, 365.0, contacts),
            channels,
            kinds[rng.integers(0, kinds.size, contacts)],
        )
    )
    engagement_time, _ = timed(lambda: relmark.engagement(table, as_of=365.0, half_life=30.0))
    print(f"engagement, {contacts:,} touchpoints of {n:,} customers (relmark only)")
    print(f"{'  build the touchpoint table':<40}{build_time:>11.3f}")
    print(f"{'  engagement scores, complaints, channels':<40}{engagement_time:>11.3f}")


if __name__ == "__main__":
    main()
