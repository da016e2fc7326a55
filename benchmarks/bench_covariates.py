"""Static covariates, in one run: how the fit's rows grow, fit times at 10^6, PyMC-Marketing's MAP.

(a) Rows: the distinct (covariates, frequency, recency, T) rows a fit runs on,
    for ``--customers`` simulated customers (BG/NBD, times in weeks rounded
    to whole days, as a daily transaction log gives them): without
    covariates, with 1, 2 and 3 binary covariates, one 5-level categorical,
    and one continuous covariate (every customer a row of their own).
(b) Fit times at ``--customers`` with 3 binary covariates: BG/NBD (all
    three in the purchase and the dropout process), Pareto/NBD (the same)
    and Gamma-Gamma (all three on spend), each beside the same model's fit
    without covariates; medians of ``--repeat`` runs.  Issue 14's target:
    under 10 s for 10^6 customers with 3 static covariates.
(c) PyMC-Marketing's MAP fit of BG/NBD and Pareto/NBD with the same
    covariates on the first ``--peer-customers`` of those customers, run by
    ``benchmarks/_peer_pymc_covariates.py`` in the interpreter
    ``--pymc-python`` (a separate environment); skipped with the reason when
    it is missing.  relmark's fit of the same customers is timed beside it.

The load average is printed before and after: the machine is shared, so a
load above the number of cores means the times are of a busy machine.

Run: ``python benchmarks/bench_covariates.py [--customers N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from _common import median_of  # benchmarks/ is on the path when run as a script

import relmark

HERE = Path(__file__).resolve().parent
TRUE_BETA_GEO = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
TRUE_PARETO = {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}
COVARIATES = ("online", "female", "member")
# the effects the customers are simulated with (coefficients gamma)
PURCHASE_EFFECTS = {"online": 0.4, "female": -0.2, "member": 0.3}
DROPOUT_EFFECTS = {"online": -0.3, "female": 0.1, "member": -0.5}
SPEND_EFFECTS = {"online": 0.25, "female": 0.1, "member": -0.15}


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def binary_covariates(n: int, rng: np.random.Generator) -> relmark.Covariates:
    shares = (0.6, 0.5, 0.3)
    values = np.column_stack([rng.random(n) < p for p in shares]).astype(np.float64)
    return relmark.Covariates(names=COVARIATES, values=values)


def daily(summary: relmark.CustomerSummary) -> relmark.CustomerSummary:
    """Round times in weeks to whole days (recency down, so it stays within T)."""
    T = np.ceil(summary.T * 7.0) / 7.0
    recency = np.floor(summary.recency * 7.0) / 7.0
    return relmark.CustomerSummary.from_arrays(
        summary.frequency,
        recency,
        T,
        monetary_value=summary.monetary_value,
        customer_id=np.arange(len(summary)),
        covariates=summary.covariates,
    )


def simulate(n: int, seed: int) -> dict[str, relmark.CustomerSummary]:
    """Return BG/NBD and Pareto/NBD bases (with spend) of ``n`` customers with 3 covariates."""
    rng = np.random.default_rng(seed)
    covariates = binary_covariates(n, rng)
    ages = rng.uniform(13.0, 78.0, size=n)
    purchase = {f"purchase[{k}]": v for k, v in PURCHASE_EFFECTS.items()}
    bgnbd = relmark.BetaGeo(**TRUE_BETA_GEO).with_coefficients(
        purchase
        | {f"dropout.a[{k}]": v for k, v in DROPOUT_EFFECTS.items()}
        | {f"dropout.b[{k}]": 0.0 for k in DROPOUT_EFFECTS}
    )
    pnbd = relmark.ParetoNBD(**TRUE_PARETO).with_coefficients(
        purchase | {f"dropout[{k}]": v for k, v in DROPOUT_EFFECTS.items()}
    )
    spend = relmark.GammaGamma(p=6.0, q=4.0, gamma=15.0).with_coefficients(
        {f"spend[{k}]": v for k, v in SPEND_EFFECTS.items()}
    )
    bases = {}
    for name, model in (("BG/NBD", bgnbd), ("Pareto/NBD", pnbd)):
        base = model.simulate(n, ages, rng=rng, covariates=covariates)
        with_spend = spend.simulate(base, rng=rng)
        bases[name] = daily(with_spend)
    return bases


def rows_table(summary: relmark.CustomerSummary, rng: np.random.Generator) -> list[tuple[str, int]]:
    n = len(summary)
    plain = relmark.CustomerSummary.from_arrays(summary.frequency, summary.recency, summary.T)
    binary = summary.covariates
    assert binary is not None
    five_levels = rng.integers(0, 5, size=n)
    categorical = relmark.Covariates(
        names=tuple(f"region={k}" for k in range(1, 5)),
        values=(five_levels[:, None] == np.arange(1, 5)[None, :]).astype(np.float64),
    )
    continuous = relmark.Covariates(names=("age",), values=rng.normal(40.0, 12.0, size=(n, 1)))
    cases: list[tuple[str, relmark.Covariates | None]] = [("no covariates", None)]
    for k in (1, 2, 3):
        cases.append(
            (
                f"{k} binary",
                relmark.Covariates(names=COVARIATES[:k], values=binary.values[:, :k].copy()),
            )
        )
    cases += [("1 categorical, 5 levels", categorical), ("1 continuous", continuous)]
    table = []
    for label, covariates in cases:
        with_covariates = relmark.CustomerSummary.from_arrays(
            plain.frequency, plain.recency, plain.T, covariates=covariates
        )
        table.append((label, len(with_covariates.compress())))
    return table


def fit_times(
    bases: dict[str, relmark.CustomerSummary], repeat: int
) -> list[tuple[str, float, float, int, int]]:
    """(model, seconds without, seconds with, rows without, rows with) per model."""
    spend_covariates = {"spend": list(COVARIATES)}
    cases: list[tuple[str, Any, relmark.CustomerSummary, Any]] = [
        ("BG/NBD", relmark.BetaGeo, bases["BG/NBD"], list(COVARIATES)),
        ("Pareto/NBD", relmark.ParetoNBD, bases["Pareto/NBD"], list(COVARIATES)),
        ("Gamma-Gamma", relmark.GammaGamma, bases["BG/NBD"], spend_covariates),
    ]
    results = []
    for label, cls, summary, covariates in cases:
        plain, _, without = median_of(partial(cls.fit, summary), repeat)
        timed, _, fitted = median_of(partial(cls.fit, summary, covariates=covariates), repeat)
        results.append((label, plain, timed, without.fit_info.n_rows, fitted.fit_info.n_rows))
        print(f"  {label}: {fitted!r}", flush=True)
    return results


def peer(
    bases: dict[str, relmark.CustomerSummary], n_peer: int, python: str
) -> list[dict[str, Any]] | str:
    script = HERE / "_peer_pymc_covariates.py"
    if not Path(python).exists():
        return f"skipped: no interpreter {python}"
    if not script.exists():
        return f"skipped: {script.name} is missing"
    results: list[dict[str, Any]] = []
    for label, model in (("BG/NBD", "bgnbd"), ("Pareto/NBD", "pnbd")):
        summary = bases[label].subset(np.arange(min(n_peer, len(bases[label]))))
        covariates = summary.covariates
        assert covariates is not None
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as file:
            columns = summary.to_dict()
            header = ["customer_id", "frequency", "recency", "T", *COVARIATES]
            data = np.column_stack([columns[name] for name in header])
            np.savetxt(file, data, delimiter=",", header=",".join(header), comments="", fmt="%.10g")
        command = [python, str(script), file.name, "--purchase", ",".join(COVARIATES)]
        command += ["--dropout", ",".join(COVARIATES), "--models", model]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
        os.unlink(file.name)
        if done.returncode != 0:
            return f"failed: {done.stderr.strip().splitlines()[-1:]}"
        peer_result = json.loads(done.stdout.strip().splitlines()[-1])
        cls = relmark.BetaGeo if model == "bgnbd" else relmark.ParetoNBD
        fit = partial(cls.fit, summary, covariates=list(COVARIATES))
        seconds, _, fitted = median_of(fit, 3)
        peer_result["relmark_seconds"] = seconds
        peer_result["relmark_coefficients"] = fitted.coefficients
        peer_result["label"] = label
        results.append(peer_result)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-customers", type=int, default=100_000)
    parser.add_argument("--pymc-python", default="/work/venv-pymc/bin/python")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    print(f"relmark {relmark.__version__}; {load()}", flush=True)
    bases = simulate(args.customers, seed=2026)
    rng = np.random.default_rng(7)

    print(f"\n(a) distinct rows a fit sees, {args.customers:,} customers (daily-rounded times)")
    for label, rows in rows_table(bases["BG/NBD"], rng):
        print(f"  {label:<26} {rows:>10,} rows")

    print(f"\n(b) fit times, {args.customers:,} customers, 3 binary covariates; {load()}")
    header = f"{'model':<12} {'no covariates':>14} {'3 covariates':>13} {'rows':>10}"
    print(f"  {header} {'rows with':>10}")
    for label, plain, timed, rows, rows_with in fit_times(bases, args.repeat):
        print(f"  {label:<12} {plain:>12.2f} s {timed:>11.2f} s {rows:>10,} {rows_with:>10,}")

    if not args.skip_peer:
        n_peer = args.peer_customers
        print(f"\n(c) PyMC-Marketing MAP with the same covariates, {n_peer:,} customers")
        outcome = peer(bases, args.peer_customers, args.pymc_python)
        if isinstance(outcome, str):
            print(f"  {outcome}")
        else:
            for row in outcome:
                print(f"  {row['label']}: {json.dumps(row, sort_keys=True)}")
    print(f"\ndone; {load()}")


if __name__ == "__main__":
    main()
