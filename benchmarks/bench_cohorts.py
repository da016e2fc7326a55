"""Monthly acquisition-cohort table: relmark's ``cohort_table`` vs a pandas group-by.

clvkit and lifetimes have no cohort table; a pandas group-by is what users
write today, so it is the peer baseline.  For each size, a log is simulated
(``relmark.datasets.simulate_transactions``, the CDNOW BG/NBD and
Gamma-Gamma estimates in days, 78 weeks, first purchases over 12 weeks),
its rows shuffled (no pre-sorted input), and from the same columns this
script times the median of ``--repeat`` runs of:

- relmark: ``cohort_table(log, period="M")`` on the built log (the log is
  built once, as an application holds it);
- pandas: month of each purchase (``dt.to_period("M")``), each customer's
  first and last month, then active customers, revenue per (cohort, month)
  and survivors per (cohort, age) by ``groupby``.

The two tables are checked to agree (acquired, active, revenue, survivors)
before the times are printed.

Run: ``python benchmarks/bench_cohorts.py [--sizes 1e6 1e7] [--repeat 3] [--quick]``.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from _common import median_time  # benchmarks/ is on the path when run as a script

import relmark
from relmark.data.cohorts import CohortTable, cohort_table
from relmark.datasets import simulate_transactions

_PURCHASES_PER_CUSTOMER = 2.9  # the simulator's default process, about 2.9 purchases each


def _shuffled_log(purchases: int) -> relmark.TransactionLog:
    log = simulate_transactions(
        max(1, int(purchases / _PURCHASES_PER_CUSTOMER)), acquisition_days=84.0, rng=2024
    )
    order = np.random.default_rng(0).permutation(len(log))
    assert log.amount is not None
    return relmark.TransactionLog.from_arrays(
        log.customer_code[order], log.timestamp[order], log.amount[order]
    )


def _pandas_table(frame: Any) -> Any:
    """The same table by pandas: active, revenue, acquired and survivors per (cohort, age)."""
    import pandas as pd

    month = frame["timestamp"].dt.to_period("M")
    frame = frame.assign(month=month.astype("int64"))  # months since 1970-01
    per_customer = frame.groupby("customer")["month"].agg(["min", "max"])
    frame = frame.join(per_customer["min"].rename("cohort"), on="customer")
    frame["age"] = frame["month"] - frame["cohort"]
    cells = frame.groupby(["cohort", "age"]).agg(
        active=("customer", "nunique"), revenue=("amount", "sum")
    )
    acquired = per_customer.groupby("min").size().rename("acquired")
    lost = (
        per_customer.assign(age=per_customer["max"] - per_customer["min"])
        .groupby(["min", "age"])
        .size()
    )
    last = int(frame["month"].max())
    index = pd.MultiIndex.from_tuples(
        [(c, a) for c in acquired.index for a in range(last - c + 1)], names=["cohort", "age"]
    )
    table = cells.reindex(index, fill_value=0)
    table = table.join(acquired, on="cohort")
    lost = lost.reindex(index, fill_value=0)
    survivors = lost.iloc[::-1].groupby(level="cohort").cumsum().iloc[::-1]
    return table.assign(survivors=survivors.to_numpy())


def _agree(ours: CohortTable, theirs: Any) -> None:
    months = ours.cohort.astype("datetime64[M]").view(np.int64)
    np.testing.assert_array_equal(months, theirs.index.get_level_values("cohort").to_numpy())
    np.testing.assert_array_equal(ours.age, theirs.index.get_level_values("age").to_numpy())
    np.testing.assert_array_equal(ours.acquired, theirs["acquired"].to_numpy())
    np.testing.assert_array_equal(ours.active, theirs["active"].to_numpy())
    np.testing.assert_array_equal(ours.survivors, theirs["survivors"].to_numpy())
    assert ours.revenue is not None
    np.testing.assert_allclose(ours.revenue, theirs["revenue"].to_numpy(), rtol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e6, 1e7])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10^5 purchases, one run")
    args = parser.parse_args()
    sizes = [1e5] if args.quick else args.sizes
    repeat = 1 if args.quick else args.repeat
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - the bench extra has it
        pd = None

    print(f"{'purchases':>12}{'cells':>8}{'relmark':>11}{'pandas':>11}{'ratio':>8}")
    for size in sizes:
        log = _shuffled_log(int(size))
        seconds, ours = median_time(lambda log=log: cohort_table(log, period="M"), repeat)
        line = f"{len(log):>12,}{len(ours):>8,}{seconds:>10.3f}s"
        if pd is not None:
            frame = pd.DataFrame(
                {"customer": log.customer_code, "timestamp": log.timestamp, "amount": log.amount}
            )
            theirs_seconds, theirs = median_time(lambda frame=frame: _pandas_table(frame), repeat)
            _agree(ours, theirs)
            line += f"{theirs_seconds:>10.3f}s{theirs_seconds / seconds:>7.1f}x"
        print(line, flush=True)
        del log, ours
    print(f"median of {repeat} run(s); tables identical (revenue to float rounding)")


if __name__ == "__main__":
    main()
