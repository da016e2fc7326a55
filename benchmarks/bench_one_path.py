"""The computations the "one path per job" work made linear or shared, timed in one run.

- ``nps_by_group``: 10^6 answers in 10^5 groups (was quadratic in the groups);
- ``kmeans_segments``: 20,000 customers, 3 features, k = 1,000 (k-means++
  seeding was quadratic in k);
- ``TransactionLog.summarize`` with 10^6 string customer ids (one dictionary
  pass instead of a sort of Python strings) beside the same log with integer ids;
- ``CustomerSummary.compress`` of 10^6 all-distinct continuous-time rows
  (``distinct_rows``) beside numpy's lexicographic sort of the same rows.

Times are medians of ``--repeat`` runs.  Run: ``python benchmarks/bench_one_path.py``.
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import median_time  # benchmarks/ is on the path when run as a script

import relmark
from relmark.datasets import simulate_transactions


def lexsort_rows(columns: list[np.ndarray]) -> np.ndarray:
    """Distinct rows by numpy's lexicographic sort, the method compress used before."""
    order = np.lexsort(columns[::-1])
    stacked = np.stack([c[order] for c in columns])
    new = np.empty(order.size, dtype=bool)
    new[:1] = True
    np.any(stacked[:, 1:] != stacked[:, :-1], axis=0, out=new[1:])
    return stacked[:, np.flatnonzero(new)]


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    rows: list[tuple[str, float]] = []

    answers = rng.integers(0, 11, 1_000_000)
    groups = rng.integers(0, 100_000, 1_000_000)
    rows.append(
        (
            "nps_by_group, 10^6 answers, 10^5 groups",
            median_time(lambda: relmark.nps_by_group(answers, groups), args.repeat)[0],
        )
    )

    features = {name: rng.uniform(size=20_000) for name in ("a", "b", "c")}
    rows.append(
        (
            "kmeans_segments, 20,000 x 3, k = 1,000",
            median_time(lambda: relmark.kmeans_segments(features, k=1_000, rng=2), args.repeat)[0],
        )
    )

    log = simulate_transactions(1_000_000, rng=2024)
    text_ids = np.array([f"customer-{i:07d}" for i in log.customer_id], dtype=object)
    end = np.datetime64("2025-07-01")
    with_text = relmark.TransactionLog.from_arrays(text_ids, log.timestamp, log.amount)
    rows.append(
        (
            "summarize, 10^6 customers, integer ids",
            median_time(lambda: log.summarize(end, unit="D"), args.repeat)[0],
        )
    )
    rows.append(
        (
            "summarize, 10^6 customers, string ids",
            median_time(lambda: with_text.summarize(end, unit="D"), args.repeat)[0],
        )
    )

    model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    summary = model.simulate(1_000_000, rng.uniform(1.0, 52.0, 1_000_000), rng=1)
    columns = [summary.frequency, summary.recency, summary.T]
    rows.append(("compress, 10^6 continuous rows", median_time(summary.compress, args.repeat)[0]))
    rows.append(
        (
            "  numpy lexsort of the same rows",
            median_time(lambda: lexsort_rows(columns), args.repeat)[0],
        )
    )

    print(f"medians of {args.repeat} runs")
    for task, seconds in rows:
        print(f"{task:<44}{seconds:>9.3f} s")


if __name__ == "__main__":
    main()
