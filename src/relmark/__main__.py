"""Command line: ``python -m relmark demo`` (and the ``relmark`` console script)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np

from relmark import __version__
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import TransactionLog
from relmark.datasets import (
    CDNOW_CALIBRATION_END,
    cdnow_sample_summary,
    load_cdnow_sample,
)

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
    args = parser.parse_args(argv)
    if args.version:
        print(f"relmark {__version__}")
        return 0
    if args.command == "demo":
        sys.stdout.write(demo())
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
