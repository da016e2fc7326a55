"""Ingestion: the customer summary, relmark vs polars vs DuckDB vs lifetimes, and `relmark score`.

a. The customer summary of a simulated log (default 1,000,000 customers, about 2.8
   million purchases on daily dates over 546 days, with amounts; rows shuffled so no
   one gets pre-sorted input), the same rows with three kinds of customer id: integers,
   uuid-like hex strings and e-mail-like strings.  Each library starts from its own
   in-memory table of those rows, built before the clock starts, and computes the
   same definition: merge each customer's purchases per day, then per customer the
   first and last day, the number of days and the total and first-day spend, giving
   frequency (days - 1), recency and T (in days) and the mean repeat-day spend.

   - relmark: ``TransactionLog.from_frame(arrow_table, ...).summarize(end, unit="D")``
     (the Arrow table is what ``relmark.read_transactions`` gives and what DuckDB reads);
   - polars: a lazy group-by of the polars frame, collected;
   - DuckDB: SQL on the Arrow table, fetched as an Arrow table;
   - lifetimes 0.11.3: ``summary_data_from_transaction_data`` on the pandas frame
     (only up to ``--lifetimes-max`` customers).

   The results are checked to be equal (frequency, recency, T exactly; monetary value
   to 1e-9 relative) before anything is timed.  polars and DuckDB run their group-bys
   on every core and return customers in hash order; relmark sorts them by id.

b. ``relmark score`` on a CSV file of ``--rows`` purchases (default 5,000,000: about
   1,000,000 customers with uuid-like ids, ISO dates, amounts), generated once into
   ``--workdir`` and reused: wall time and the subprocess's own peak resident memory.

Medians of ``--repeats`` runs.  Run: ``python benchmarks/bench_ingest.py`` (full sizes;
a few minutes), ``--quick`` for a smoke run of a few seconds, or choose the sizes
with ``--customers``, ``--rows`` and ``--repeats``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from _common import measured_run, median_of  # benchmarks/ is on the path as a script

import relmark
from relmark.datasets import simulate_transactions

#: Purchases per customer of the CSV log: BG/NBD with CDNOW's r, a, b and a shorter
#: mean time between purchases, about 5.2 purchases per customer over 546 days.
CSV_PURCHASES = relmark.BetaGeo(r=0.243, alpha=6.0, a=0.793, b=2.426)
CSV_ROWS_PER_CUSTOMER = 5.0
ISSUE_CUSTOMERS, ISSUE_ROWS = 1_000_000, 5_000_000  # the sizes issue 11 sets targets for
SLOW_RUN_SECONDS = 60.0  # a peer slower than this is run once, not ``--repeats`` times
FIRST_NAMES = ("anna", "ben", "chloe", "david", "emma", "felix", "grace", "hugo", "iris", "jon")
LAST_NAMES = ("adams", "baker", "chen", "dubois", "evans", "fischer", "garcia", "hansen")
DOMAINS = ("example.com", "mail.example.org", "shop.example.net", "post.example.de")
COLUMNS = ("frequency", "recency", "T", "monetary_value")


# -- the data: the same rows, three kinds of customer id ---------------------------------


def uuid_like(count: int, rng: np.random.Generator) -> list[str]:
    """Return ``count`` distinct random ids shaped like UUIDs (36 characters, hex and dashes)."""
    hexed = rng.bytes(16 * count).hex()
    ids = []
    for start in range(0, 32 * count, 32):
        h = hexed[start : start + 32]
        ids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    if len(set(ids)) != count:  # 128 random bits: a collision would be a broken generator
        raise RuntimeError("uuid-like ids collided")
    return ids


def email_like(count: int, rng: np.random.Generator) -> list[str]:
    """Return ``count`` distinct e-mail-like ids (a name, a number, one of a few domains)."""
    first = rng.integers(len(FIRST_NAMES), size=count).tolist()
    last = rng.integers(len(LAST_NAMES), size=count).tolist()
    domain = rng.integers(len(DOMAINS), size=count).tolist()
    return [
        f"{FIRST_NAMES[f]}.{LAST_NAMES[s]}{i}@{DOMAINS[d]}"
        for i, (f, s, d) in enumerate(zip(first, last, domain, strict=True))
    ]


def simulated_rows(
    customers: int, *, purchases: relmark.BetaGeo | None = None, seed: int = 2024
) -> pa.Table:
    """Return the simulated purchases, shuffled: ``code`` (0..n-1), ``date``, ``amount``."""
    log = simulate_transactions(customers, purchases=purchases, rng=seed)
    assert log.amount is not None
    shuffle = np.random.default_rng(seed + 1).permutation(len(log))
    return pa.table(
        {
            "code": pa.array(log.customer_id[shuffle].astype(np.int64)),
            "date": pa.array(log.timestamp[shuffle].astype("datetime64[D]")).cast(pa.date32()),
            "amount": pa.array(log.amount[shuffle]),
        }
    )


def with_ids(rows: pa.Table, kind: str, customers: int, seed: int = 7) -> pa.Table:
    """Return the rows with a ``customer`` column of ``kind`` ids in place of the codes."""
    rng = np.random.default_rng(seed)
    codes = rows.column("code")
    if kind == "integer":  # auto-increment-like keys, in an order unrelated to the rows
        keys = pa.array(100_000_000 + rng.permutation(customers).astype(np.int64))
    elif kind == "uuid-like hex":
        keys = pa.array(uuid_like(customers, rng), type=pa.string())
    else:
        keys = pa.array(email_like(customers, rng), type=pa.string())
    customer = pc.take(keys, codes)
    return pa.table({"customer": customer, "date": rows["date"], "amount": rows["amount"]})


# -- the four summaries ----------------------------------------------------------------------


def relmark_summary(table: Any, end: np.datetime64) -> relmark.CustomerSummary:
    log = relmark.TransactionLog.from_frame(
        table, customer_id="customer", timestamp="date", amount="amount"
    )
    return log.summarize(end, unit="D")


def polars_summary(frame: Any, end: np.datetime64) -> Any:
    import polars as pl

    daily = frame.lazy().group_by("customer", "date").agg(pl.col("amount").sum())
    per_customer = daily.group_by("customer").agg(
        first=pl.col("date").min(),
        last=pl.col("date").max(),
        days=pl.len(),
        total=pl.col("amount").sum(),
        first_amount=pl.col("amount").get(pl.col("date").arg_min()),
    )
    repeats = pl.col("days") - 1
    return per_customer.select(
        "customer",
        frequency=repeats,
        recency=(pl.col("last") - pl.col("first")).dt.total_days(),
        T=(pl.lit(end.astype(object)) - pl.col("first")).dt.total_days(),
        monetary_value=pl.when(repeats > 0)
        .then((pl.col("total") - pl.col("first_amount")) / repeats)
        .otherwise(0.0),
    ).collect()


DUCKDB_SQL = """
WITH daily AS (
    SELECT customer, date, sum(amount) AS amount FROM purchases GROUP BY customer, date
)
SELECT
    customer,
    count(*) - 1 AS frequency,
    max(date) - min(date) AS recency,
    DATE '{end}' - min(date) AS T,
    CASE WHEN count(*) > 1
        THEN (sum(amount) - arg_min(amount, date)) / (count(*) - 1) ELSE 0 END AS monetary_value
FROM daily
GROUP BY customer
"""


def duckdb_summary(connection: Any, end: np.datetime64) -> pa.Table:
    return connection.sql(DUCKDB_SQL.format(end=end)).to_arrow_table()


def lifetimes_summary(frame: Any, end: np.datetime64) -> Any:
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return summary_data_from_transaction_data(
            frame,
            "customer",
            "date",
            monetary_value_col="amount",
            observation_period_end=pd.Timestamp(end),
            freq="D",
        )


# -- checking that everyone computed the same thing -----------------------------------------


def sorted_columns(ids: Any, columns: dict[str, Any]) -> dict[str, np.ndarray]:
    """Return the ids and the summary columns as numpy arrays, in the order of the ids."""
    ids = np.asarray(ids)
    order = np.argsort(ids, kind="stable")
    result = {"customer": ids[order].astype(object)}
    result.update(
        {name: np.asarray(values, dtype=np.float64)[order] for name, values in columns.items()}
    )
    return result


def relmark_columns(summary: relmark.CustomerSummary) -> dict[str, np.ndarray]:
    return sorted_columns(summary.customer_id, {name: getattr(summary, name) for name in COLUMNS})


def table_columns(table: Any) -> dict[str, np.ndarray]:
    """Columns of a polars frame or an Arrow table."""
    return sorted_columns(
        np.asarray(table["customer"].to_numpy()),
        {name: table[name].to_numpy() for name in COLUMNS},
    )


def lifetimes_columns(frame: Any) -> dict[str, np.ndarray]:
    return sorted_columns(
        frame.index.to_numpy(), {name: frame[name].to_numpy() for name in COLUMNS}
    )


def check_equal(name: str, ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> None:
    """Raise unless ``theirs`` is relmark's summary: same customers and values."""
    if not np.array_equal(ours["customer"], theirs["customer"]):
        raise AssertionError(f"{name}: not the same customers as relmark")
    for column in ("frequency", "recency", "T"):
        if not np.array_equal(ours[column], theirs[column]):
            raise AssertionError(f"{name}: `{column}` differs from relmark's")
    np.testing.assert_allclose(
        theirs["monetary_value"], ours["monetary_value"], rtol=1e-9, err_msg=f"{name} monetary"
    )


# -- part a -----------------------------------------------------------------------------------


def peers(
    table: pa.Table, end: np.datetime64, *, lifetimes_too: bool, relmark_input: str
) -> dict[str, Callable[[], Any]]:
    """Return, per library, the timed call on its own in-memory table (built here, untimed)."""
    import polars as pl

    frame = pl.from_arrow(table)
    ours = table if relmark_input == "arrow" else frame
    calls: dict[str, Callable[[], Any]] = {
        "relmark": lambda: relmark_summary(ours, end),
        "polars": lambda: polars_summary(frame, end),
    }
    try:
        import duckdb

        connection = duckdb.connect()
        connection.register("purchases", table)
        calls["DuckDB"] = lambda: duckdb_summary(connection, end)
    except ImportError:
        pass
    if lifetimes_too:
        try:
            import lifetimes  # noqa: F401

            pandas_frame = table.to_pandas(date_as_object=False)
            calls["lifetimes"] = lambda: lifetimes_summary(pandas_frame, end)
        except ImportError:
            pass
    return calls


def timed_runs(call: Callable[[], Any], repeats: int) -> tuple[float, int, Any]:
    """Median time of ``repeats`` runs; one run only when the first is slower than a minute."""
    first, _, result = median_of(call, 1)
    if first > SLOW_RUN_SECONDS or repeats == 1:
        return first, 1, result
    _, seconds, result = median_of(call, repeats - 1)
    return float(np.median([first, *seconds])), repeats, result


def summary_benchmark(
    customers: int, repeats: int, *, lifetimes_max: int, relmark_input: str
) -> None:
    rows = simulated_rows(customers)
    end = np.datetime64(pc.max(rows["date"]).as_py(), "D")
    present = pc.count_distinct(rows["code"]).as_py()
    print(
        f"a. customer summary: {present:,} customers, {rows.num_rows:,} purchases, "
        f"daily dates to {end}, rows shuffled"
    )
    lifetimes_too = customers <= lifetimes_max
    results: dict[str, dict[str, float]] = {}
    notes: list[str] = []
    for kind in ("integer", "uuid-like hex", "e-mail-like"):
        table = with_ids(rows, kind, customers)
        calls = peers(table, end, lifetimes_too=lifetimes_too, relmark_input=relmark_input)
        ours = relmark_columns(calls["relmark"]())
        converters = {
            "polars": table_columns,
            "DuckDB": table_columns,
            "lifetimes": lifetimes_columns,
        }
        for name, call in calls.items():
            if name != "relmark":
                check_equal(f"{name} ({kind} ids)", ours, converters[name](call()))
        results[kind] = {}
        for name, call in calls.items():
            seconds, runs, _ = timed_runs(call, repeats)
            results[kind][name] = seconds
            if runs < repeats:
                notes.append(f"{name}, {kind} ids: {runs} run (slower than a minute)")
        del calls, table
    print_summary_table(results, repeats, customers)
    checked = ", ".join(name for name in results["integer"] if name != "relmark")
    print(
        f"checked before timing: {checked} equal to relmark in frequency, recency and T, "
        "monetary value to 1e-9 relative"
    )
    if not lifetimes_too:
        print(f"lifetimes not run: more than --lifetimes-max {lifetimes_max:,} customers")
    for note in notes:
        print(note)


def print_summary_table(results: dict[str, dict[str, float]], repeats: int, customers: int) -> None:
    libraries = list(results["integer"])
    peers_only = [name for name in libraries if name != "relmark"]
    print(f"medians of {repeats} runs, seconds; ratio = peer time / relmark time")
    header = f"{'ids':<15}" + "".join(f"{name:>11}" for name in libraries)
    header += "".join(f"{name + '/rm':>14}" for name in peers_only) + f"{'rm/rm-int':>11}"
    print(header)
    print("-" * len(header))
    integer_time = results["integer"]["relmark"]
    for kind, times in results.items():
        ours = times["relmark"]
        line = f"{kind:<15}" + "".join(f"{times[name]:>11.3f}" for name in libraries)
        line += "".join(f"{times[name] / ours:>13.2f}x" for name in peers_only)
        line += f"{ours / integer_time:>10.2f}x"
        print(line)
    if customers == ISSUE_CUSTOMERS:
        print_summary_targets(results)
    else:
        print(f"(the targets are for {ISSUE_CUSTOMERS:,} customers)")


def print_summary_targets(results: dict[str, dict[str, float]]) -> None:
    """Say whether issue 11's targets for the summary are met in this run."""
    fast_peers = [name for name in ("polars", "DuckDB") if name in results["integer"]]
    integer = results["integer"]
    ahead = all(integer["relmark"] < integer[name] for name in fast_peers)
    print(f"target: integer ids, relmark faster than {' and '.join(fast_peers)}: {_met(ahead)}")
    for kind in ("uuid-like hex", "e-mail-like"):
        times = results[kind]
        as_fast = all(times["relmark"] <= times[name] for name in fast_peers)
        within = times["relmark"] <= 1.5 * integer["relmark"]
        print(
            f"target: {kind} ids, relmark at least as fast as {' and '.join(fast_peers)}: "
            f"{_met(as_fast)}; within 1.5x of its integer-id time: {_met(within)}"
        )


def _met(condition: bool) -> str:
    return "met" if condition else "NOT met"


# -- part b ------------------------------------------------------------------------------------


def purchases_csv(rows: int, workdir: Path) -> tuple[Path, int]:
    """Return a CSV of ``rows`` purchases (generated once, then reused) and its customers."""
    path = workdir / f"purchases-{rows}.csv"
    customers_file = path.with_suffix(".customers")
    if path.exists() and customers_file.exists():
        return path, int(customers_file.read_text())
    customers = math.ceil(rows / CSV_ROWS_PER_CUSTOMER)
    simulated = simulated_rows(customers, purchases=CSV_PURCHASES, seed=11)
    if simulated.num_rows < rows:
        raise RuntimeError(f"simulated {simulated.num_rows:,} purchases, fewer than {rows:,}")
    kept = with_ids(simulated.slice(0, rows), "uuid-like hex", customers)  # rows are shuffled
    partial = path.with_suffix(".partial")
    # no quotes, like most exports (no cell here holds a comma, a quote or a line end)
    with pa.OSFile(str(partial), "wb") as sink:
        sink.write(",".join(kept.column_names).encode() + b"\n")
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        pa_csv.write_csv(kept, sink, options)
    os.replace(partial, path)
    present = pc.count_distinct(kept["customer"]).as_py()
    customers_file.write_text(str(present))
    return path, present


def score_benchmark(rows: int, repeats: int, workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    path, customers = purchases_csv(rows, workdir)
    size = path.stat().st_size / 2**20
    print(
        f"b. relmark score on {path} ({rows:,} purchases, {customers:,} customers, "
        f"uuid-like ids, ISO dates, amounts; {size:,.0f} MiB)"
    )
    out = workdir / "scores.csv"
    command = [
        sys.executable, "-m", "relmark", "score", str(path),
        "--customer-col", "customer", "--date-col", "date", "--amount-col", "amount",
        "--out", str(out),
    ]  # fmt: skip
    print(f"{'run':<8}{'seconds':>10}{'peak MiB':>10}")
    times, peaks = [], []
    for run in range(1, repeats + 1):
        seconds, peak, code = measured_run(command, str(workdir / "score.log"))
        if code != 0:
            report = (workdir / "score.log").read_text(errors="replace").strip()
            raise RuntimeError(f"relmark score exited with {code}:\n{report}")
        scored = sum(1 for _ in out.open("rb")) - 1
        if scored != customers:
            raise AssertionError(f"relmark score wrote {scored:,} rows for {customers:,} customers")
        times.append(seconds)
        peaks.append(peak / 2**20)
        print(f"{run:<8}{seconds:>10.2f}{peaks[-1]:>10,.0f}")
        if seconds > 2 * SLOW_RUN_SECONDS:
            print("(slower than two minutes: not repeated)")
            break
    seconds, peak = float(np.median(times)), float(np.median(peaks))
    print(f"{'median':<8}{seconds:>10.2f}{peak:>10,.0f}")
    print(f"each run wrote one scored row per customer ({customers:,})")
    if rows == ISSUE_ROWS:
        print(
            f"target: under 20 s: {_met(seconds < 20.0)}; peak under 2 GiB: {_met(peak < 2048.0)}"
        )
    else:
        print(f"(the targets are for {ISSUE_ROWS:,} rows)")
    out.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=ISSUE_CUSTOMERS, help="part a's size")
    parser.add_argument("--rows", type=int, default=ISSUE_ROWS, help="part b's CSV rows")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement")
    parser.add_argument(
        "--lifetimes-max", type=int, default=1_000_000, help="run lifetimes up to this size"
    )
    parser.add_argument(
        "--quick", action="store_true", help="20,000 customers and 100,000 CSV rows"
    )
    parser.add_argument(
        "--relmark-input",
        choices=("arrow", "polars"),
        default="arrow",
        help="the table relmark starts from (default: the Arrow table DuckDB reads)",
    )
    parser.add_argument("--only", choices=("summary", "score"), help="run one part only")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "relmark-bench-ingest",
        help="where the CSV is generated once and reused",
    )
    args = parser.parse_args()
    if args.quick:
        args.customers, args.rows = 20_000, 100_000
    print(f"relmark {relmark.__version__}, pyarrow {pa.__version__}, {os.cpu_count()} cores")
    print(f"relmark starts from the {args.relmark_input} table")
    if args.only != "score":
        summary_benchmark(
            args.customers,
            args.repeats,
            lifetimes_max=args.lifetimes_max,
            relmark_input=args.relmark_input,
        )
    if args.only != "summary":
        print()
        score_benchmark(args.rows, args.repeats, args.workdir)


if __name__ == "__main__":
    main()
