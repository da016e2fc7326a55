"""Command line: ``python -m relmark demo`` (and the ``relmark`` console script)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from relmark import __version__
from relmark._csv import read_transactions, write_columns
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import TransactionLog
from relmark.datasets import (
    CDNOW_CALIBRATION_END,
    cdnow_sample_summary,
    load_cdnow_sample,
)
from relmark.exceptions import RelmarkError
from relmark.models import BetaGeo, GammaGamma

WIDTH = 78


def _rule(title: str) -> str:
    return f"\n{title}\n{'-' * len(title)}"


def _distribution(name: str, values: np.ndarray, unit: str = "") -> str:
    q = np.percentile(values, [0, 25, 50, 75, 100])
    cells = "".join(f"{v:>9.2f}" for v in q)
    return f"  {name:<22}{cells}  {unit}".rstrip()


def describe_data(log: TransactionLog, summary: CustomerSummary) -> list[str]:
    """Return report lines describing a log and its calibration summary."""
    start, end = log.timestamp.min(), log.timestamp.max()
    repeaters = summary.frequency > 0
    lines = [
        _rule("Data"),
        f"  purchases            {len(log):>10,}",
        f"  customers            {len(summary):>10,}",
        f"  period               {str(start)[:10]} to {str(end)[:10]}",
        f"  calibration ends     {CDNOW_CALIBRATION_END} ({summary.T.max():.1f} weeks)",
        f"  repeat buyers        {int(repeaters.sum()):>10,} ({repeaters.mean():.0%})",
        _rule("Calibration summary (weeks)"),
        f"  {'':<22}{'min':>9}{'25%':>9}{'median':>9}{'75%':>9}{'max':>9}",
        _distribution("frequency (repeats)", summary.frequency),
        _distribution("recency", summary.recency, "weeks"),
        _distribution("T (age)", summary.T, "weeks"),
    ]
    if summary.monetary_value is not None:
        lines.append(
            _distribution("spend (repeat buyers)", summary.monetary_value[repeaters], "USD")
        )
    return lines


def demo() -> str:
    """Build the demo report on the embedded CDNOW sample.

    Returns
    -------
    str
        The report, at most 78 characters wide.

    Examples
    --------
    >>> from relmark.__main__ import demo
    >>> "CDNOW" in demo()
    True
    """
    log = load_cdnow_sample()
    summary = cdnow_sample_summary()
    lines = [
        f"relmark {__version__} demo: the CDNOW sample (2,357 customers of an online CD store)",
        *describe_data(log, summary),
    ]
    return "\n".join(lines) + "\n"


def _progress(message: str) -> None:
    print(f"relmark: {message}", file=sys.stderr, flush=True)


def scored_columns(summary: CustomerSummary, *, horizon: float) -> dict[str, np.ndarray]:
    """Fit BG/NBD (and Gamma-Gamma with amounts) and score every customer.

    Parameters
    ----------
    summary : CustomerSummary
        The customers, with ``customer_id``.
    horizon : float
        Horizon of the expected purchases, in the summary's unit.

    Returns
    -------
    dict of str to ndarray
        Columns aligned with the summary's rows: ``customer_id``,
        ``frequency``, ``recency``, ``T``, ``probability_alive``,
        ``expected_purchases`` and, when the summary has spend,
        ``monetary_value``, ``expected_spend`` and ``expected_value``
        (expected purchases times expected spend over the horizon).

    Examples
    --------
    >>> from relmark.__main__ import scored_columns
    >>> from relmark.datasets import cdnow_sample_summary
    >>> columns = scored_columns(cdnow_sample_summary(), horizon=39.0)
    >>> len(columns["probability_alive"]), sorted(columns)[:3]
    (2357, ['T', 'customer_id', 'expected_purchases'])
    """
    purchases = BetaGeo.fit(summary)
    columns: dict[str, np.ndarray] = {
        "customer_id": np.asarray(summary.customer_id),
        "frequency": summary.frequency,
        "recency": summary.recency,
        "T": summary.T,
        "probability_alive": purchases.probability_alive(summary),
        "expected_purchases": purchases.expected_purchases(summary, horizon),
    }
    if summary.monetary_value is not None and np.any(summary.monetary_value > 0):
        # Gamma-Gamma's likelihood needs positive spend; zero-spend repeat buyers
        # are scored (their mean shrinks towards the population) but not fitted on.
        spend = GammaGamma.fit(summary.subset(summary.monetary_value > 0)).expected_spend(summary)
        columns["monetary_value"] = summary.monetary_value
        columns["expected_spend"] = spend
        columns["expected_value"] = columns["expected_purchases"] * spend
    return columns


def score(args: argparse.Namespace) -> None:
    """Run ``relmark score``: read, summarise, fit, score, and write the output file."""
    _progress(f"reading {args.transactions}")
    log = read_transactions(
        args.transactions,
        customer_col=args.customer_col,
        date_col=args.date_col,
        amount_col=args.amount_col,
    )
    summary = log.summarize(args.observation_end, unit=args.unit)
    _progress(f"{len(log):,} purchases by {len(summary):,} customers; fitting the models")
    columns = scored_columns(summary, horizon=args.horizon)
    write_columns(args.out, columns)
    _progress(f"wrote {len(summary):,} scored customers to {args.out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on bad usage or input.

    Examples
    --------
    >>> from relmark.__main__ import main
    >>> main(["--version"])
    relmark ...
    0
    """
    parser = argparse.ArgumentParser(
        prog="relmark", description="Relationship-marketing models from the command line."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("demo", help="run the full pipeline on the embedded CDNOW sample")
    scoring = commands.add_parser(
        "score",
        help="fit the models to a CSV of purchases and write per-customer scores",
        description="Fit BG/NBD (and Gamma-Gamma when amounts are given) to a CSV file of "
        "purchases and write one scored row per customer. Dates are ISO-8601 or YYYYMMDD.",
    )
    scoring.add_argument("transactions", help="CSV file of purchases with a header line")
    scoring.add_argument("--customer-col", required=True, help="column of customer ids")
    scoring.add_argument("--date-col", required=True, help="column of purchase dates")
    scoring.add_argument("--amount-col", help="column of purchase amounts (optional)")
    scoring.add_argument("--observation-end", help="end of observation (default: last purchase)")
    scoring.add_argument("--unit", default="W", help="time unit: D or W (default W)")
    scoring.add_argument(
        "--horizon", type=float, default=52.0, help="prediction horizon in --unit (default 52)"
    )
    scoring.add_argument("--out", required=True, help="output CSV file")
    args = parser.parse_args(argv)
    if args.version:
        print(f"relmark {__version__}")
        return 0
    if args.command == "demo":
        sys.stdout.write(demo())
        return 0
    if args.command == "score":
        try:
            score(args)
        except (RelmarkError, OSError) as error:
            print(f"relmark score: error: {error}", file=sys.stderr)
            return 2
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
