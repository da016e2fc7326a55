"""PyMC-Marketing's MAP fits with static covariates: BG/NBD and Pareto/NBD, one JSON line per model.

This is the peer side of the covariate benchmark (issue 14).  It runs in the
venv that has PyMC-Marketing, not in relmark's, and imports nothing of relmark:

    /work/venv-pymc/bin/python benchmarks/_peer_pymc_covariates.py FILE \
        --purchase a,b --dropout a,b [--models bgnbd,pnbd] [--priors flat|package]

``FILE`` is a CSV with ``customer_id, frequency, recency, T`` and the covariate
columns.  Each model is fitted twice by ``fit(method="map")`` (``pymc.find_MAP``,
L-BFGS-B on the unconstrained parameters, no Jacobian term), each time from a new
model object; the first time includes PyTensor's compilation (PyTensor caches
compiled code on disk, so "first" in a fresh process can already hit that cache).

Priors.  ``--priors flat`` (the default) gives every parameter a flat prior
(``HalfFlat`` for r, alpha, a, b, s, beta; ``Flat`` for the coefficients), so the
MAP is the maximum-likelihood estimate and compares with CLVTools and relmark.
``--priors package`` keeps PyMC-Marketing's default priors (then the BG/NBD's
a and b come from its phi/kappa pooling) and the MAP is a penalised estimate.

Covariate links (PyMC-Marketing 0.19.2, ``clv/models/beta_geo.py`` and
``pareto_nbd.py``), z_i the customer's covariate row:

- both models: ``alpha_i = alpha * exp(-z_i' g_purchase)``; a positive purchase
  coefficient raises the mean purchase rate r / alpha_i;
- Pareto/NBD: ``beta_i = beta * exp(-z_i' g_dropout)``; a positive dropout
  coefficient raises the mean dropout rate s / beta_i;
- BG/NBD: ``a_i = a * exp(z_i' g_a)`` and ``b_i = b * exp(z_i' g_b)`` with two
  separate coefficient vectors; the mean dropout probability a_i / (a_i + b_i)
  rises with ``g_a - g_b``.

The same links as CLVTools' for alpha and beta; CLVTools' BG/NBD uses ONE
vector for both a and b (so its life covariates move only a + b, never the mean
a / (a + b)).

Making inputs (the same positional FILE is then written, not read):

    ... FILE --make apparel [--data-dir ../shared/data]
        the CLVTools apparel set, summary of the first 104 weeks in weeks,
        same-day transactions merged, with the static Gender and Channel;
    ... FILE --make simulated --customers 100000 [--seed 14]
        a Pareto/NBD base with three covariates x1 (0/1), x2 (normal), x3 (0/1)
        and known coefficients, written beside FILE as FILE.truth.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ESTIMATION_WEEKS = 104
SUMMARY_COLUMNS = ["customer_id", "frequency", "recency", "T"]

# The simulated base: weekly Pareto/NBD parameters and the covariate effects,
# in the links above (alpha_i = alpha * exp(-z'g), beta_i = beta * exp(-z'g)).
TRUTH: dict[str, Any] = {
    "r": 0.9,
    "alpha": 12.0,
    "s": 0.7,
    "beta": 40.0,
    "purchase_coefficient": {"x1": 0.4, "x2": -0.2, "x3": 0.3},
    "dropout_coefficient": {"x1": -0.3, "x2": 0.2, "x3": 0.5},
    "T_weeks": [26.0, 104.0],
}

LINKS = {
    "bgnbd": (
        "alpha_i = alpha*exp(-z'purchase_coefficient_alpha); "
        "a_i = a*exp(z'dropout_coefficient_a); b_i = b*exp(z'dropout_coefficient_b)"
    ),
    "pnbd": (
        "alpha_i = alpha*exp(-z'purchase_coefficient); beta_i = beta*exp(-z'dropout_coefficient)"
    ),
}


# -- inputs ---------------------------------------------------------------------------------


def apparel_summary(data_dir: Path) -> pd.DataFrame:
    """The apparel calibration summary as CLVTools builds it, with Gender and Channel."""
    log = pd.read_csv(data_dir / "apparel_transactions.csv", dtype={"Id": str})
    log["Date"] = pd.to_datetime(log["Date"])
    first = log.groupby("Id")["Date"].transform("min")
    # CLVTools: estimation.split = 104 weeks counted from the first purchase in the data.
    end = log["Date"].min() + pd.Timedelta(weeks=ESTIMATION_WEEKS)
    days = log.loc[log["Date"] <= end, ["Id", "Date"]].assign(first=first).drop_duplicates()
    per_customer = days.groupby("Id").agg(
        n_days=("Date", "size"), last=("Date", "max"), first=("first", "min")
    )
    week = pd.Timedelta(weeks=1)
    summary = pd.DataFrame(
        {
            "customer_id": per_customer.index,
            "frequency": per_customer["n_days"].to_numpy() - 1,
            "recency": ((per_customer["last"] - per_customer["first"]) / week).to_numpy(),
            "T": ((end - per_customer["first"]) / week).to_numpy(),
        }
    )
    static = pd.read_csv(data_dir / "apparel_static_covariates.csv", dtype={"Id": str})
    static = static.rename(columns={"Id": "customer_id"})
    merged = summary.merge(static, on="customer_id", how="left", validate="one_to_one")
    if merged[["Gender", "Channel"]].isna().any().any():
        raise ValueError("some apparel customers have no static covariates")
    return merged


def simulated_summary(customers: int, seed: int) -> pd.DataFrame:
    """A Pareto/NBD customer base with three static covariates and the TRUTH coefficients."""
    rng = np.random.default_rng(seed)
    z = pd.DataFrame(
        {
            "x1": rng.binomial(1, 0.5, customers).astype(float),
            "x2": rng.standard_normal(customers),
            "x3": rng.binomial(1, 0.3, customers).astype(float),
        }
    )
    g_purchase = np.array(list(TRUTH["purchase_coefficient"].values()))
    g_dropout = np.array(list(TRUTH["dropout_coefficient"].values()))
    alpha_i = TRUTH["alpha"] * np.exp(-z.to_numpy() @ g_purchase)
    beta_i = TRUTH["beta"] * np.exp(-z.to_numpy() @ g_dropout)
    rate = rng.gamma(TRUTH["r"], 1.0 / alpha_i)
    dropout_rate = rng.gamma(TRUTH["s"], 1.0 / beta_i)
    low, high = TRUTH["T_weeks"]
    horizon = rng.uniform(low, high, customers)
    alive_for = np.minimum(rng.exponential(1.0 / dropout_rate), horizon)
    frequency = rng.poisson(rate * alive_for)
    # Given n purchases in (0, w], the last one sits at w * U^(1/n) (max of n uniforms).
    safe_n = np.maximum(frequency, 1)
    recency = np.where(frequency > 0, alive_for * rng.uniform(size=customers) ** (1.0 / safe_n), 0)
    summary = pd.DataFrame(
        {
            "customer_id": np.arange(customers).astype(str),
            "frequency": frequency,
            "recency": recency,
            "T": horizon,
        }
    )
    return pd.concat([summary, z], axis=1)


def write_input(path: Path, arguments: argparse.Namespace) -> None:
    if arguments.make == "apparel":
        frame = apparel_summary(Path(arguments.data_dir))
    else:
        frame = simulated_summary(arguments.customers, arguments.seed)
        truth_path = path.with_name(path.name + ".truth.json")
        truth_path.write_text(json.dumps({**TRUTH, "seed": arguments.seed}) + "\n")
    frame.to_csv(path, index=False)
    print(f"wrote {len(frame)} customers to {path}", file=sys.stderr)


# -- fits -----------------------------------------------------------------------------------


def model_config(
    model: str, purchase: Sequence[str], dropout: Sequence[str], priors: str
) -> dict[str, Any]:
    """PyMC-Marketing model_config: the covariate columns and, for 'flat', flat priors."""
    from pymc_extras.prior import Prior

    config: dict[str, Any] = {
        "purchase_covariate_cols": list(purchase),
        "dropout_covariate_cols": list(dropout),
    }
    if priors == "package":
        return config
    scales = ["r", "alpha", "a", "b"] if model == "bgnbd" else ["r", "alpha", "s", "beta"]
    config.update({name: Prior("HalfFlat") for name in scales})
    config["purchase_coefficient"] = Prior("Flat")
    config["dropout_coefficient"] = Prior("Flat")
    return config


def estimates(idata: Any) -> dict[str, Any]:
    """The MAP point: scalars as floats, coefficient vectors as {covariate: value}."""
    posterior = idata.posterior.isel(chain=0, draw=0)
    point: dict[str, Any] = {}
    for name, values in posterior.data_vars.items():
        if "customer_id" in values.dims:
            continue  # per-customer deterministics (alpha_i, a_i, ...) are not estimates
        if values.ndim == 0:
            point[str(name)] = float(values)
        else:
            labels = values.coords[values.dims[0]].to_numpy()
            point[str(name)] = {
                str(k): float(v) for k, v in zip(labels, values.to_numpy(), strict=True)
            }
    return point


def log_likelihood(fitted: Any) -> float:
    """Sum of the observed log-likelihood at the MAP point (priors excluded)."""
    import pymc as pm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        computed = pm.compute_log_likelihood(
            fitted.idata, model=fitted.model, extend_inferencedata=False, progressbar=False
        )
    return float(sum(float(values.sum()) for values in computed.data_vars.values()))


def fit_once(model: str, data: pd.DataFrame, config: dict[str, Any]) -> tuple[float, Any]:
    from pymc_marketing.clv import BetaGeoModel, ParetoNBDModel

    model_class = BetaGeoModel if model == "bgnbd" else ParetoNBDModel
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = model_class(model_config=config)
        fitted.fit(data=data, method="map", progressbar=False)
    return time.perf_counter() - began, fitted


def fit_report(
    model: str, data: pd.DataFrame, arguments: argparse.Namespace, source: str
) -> dict[str, Any]:
    load_before = os.getloadavg()
    config = model_config(model, arguments.purchase, arguments.dropout, arguments.priors)
    first_s, _ = fit_once(model, data, config)
    # On stderr as soon as known, so a run stopped during the second fit still tells the first.
    print(f"{model}: first fit {first_s:.1f} s", file=sys.stderr, flush=True)
    config = model_config(model, arguments.purchase, arguments.dropout, arguments.priors)
    second_s, fitted = fit_once(model, data, config)
    return {
        "model": model,
        "package": "pymc-marketing",
        "version": version("pymc-marketing"),
        "pymc": version("pymc"),
        "pytensor": version("pytensor"),
        "file": source,
        "customers": len(data),
        "purchase_covariates": arguments.purchase,
        "dropout_covariates": arguments.dropout,
        "priors": arguments.priors,
        "method": "fit(method='map'): pymc.find_MAP, L-BFGS-B, no Jacobian",
        "first_fit_s": round(first_s, 3),
        "second_fit_s": round(second_s, 3),
        "loglik": log_likelihood(fitted),
        "estimates": estimates(fitted.idata),
        "link": LINKS[model],
        "load_avg_1_5_15_before": [round(value, 2) for value in load_before],
    }


# -- command line ---------------------------------------------------------------------------


def column_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="summary CSV to fit (or to write with --make)")
    parser.add_argument("--purchase", type=column_list, default=[], help="a,b: purchase columns")
    parser.add_argument("--dropout", type=column_list, default=[], help="a,b: dropout columns")
    parser.add_argument("--models", type=column_list, default=["bgnbd", "pnbd"])
    parser.add_argument("--priors", choices=["flat", "package"], default="flat")
    parser.add_argument("--make", choices=["apparel", "simulated"], default=None)
    parser.add_argument("--data-dir", default=str(Path(__file__).parents[2] / "shared" / "data"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=14)
    arguments = parser.parse_args(argv)
    unknown = set(arguments.models) - set(LINKS)
    if unknown:
        parser.error(f"--models: unknown {sorted(unknown)}; choose from bgnbd, pnbd")
    return arguments


def main(argv: Sequence[str] | None = None) -> None:
    arguments = parse(argv)
    if arguments.make is not None:
        write_input(arguments.file, arguments)
        return
    data = pd.read_csv(arguments.file, dtype={"customer_id": str})
    missing = [c for c in SUMMARY_COLUMNS + arguments.purchase + arguments.dropout if c not in data]
    if missing:
        raise SystemExit(f"{arguments.file}: missing columns {missing}")
    for model in arguments.models:
        print(json.dumps(fit_report(model, data, arguments, str(arguments.file))), flush=True)


if __name__ == "__main__":
    main()
