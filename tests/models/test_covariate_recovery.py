"""Known covariate effects are recovered, with standard errors that match the spread (slow).

BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma and the time-varying Pareto/NBD (the
sBG's own replication test is in test_shifted_beta_geo_covariates.py).

Each case simulates customers whose parameters follow known coefficients,
fits the model with covariates, and repeats over seeded replications.  Per
coefficient, z = (estimate - truth) / standard error (both of the
coefficient gamma, the log of the reported multiplier): every |z| stays
below 4.5, the mean z is within 3 / sqrt(replications) of 0 (no bias beyond
chance), and the standard deviation of z is within [0.7, 1.4] (the reported
standard errors match the spread over replications: a standard deviation
estimated from 30 draws is itself uncertain by about 13%).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import relmark

REPLICATIONS = 30

PURCHASE_CASES: dict[str, tuple[Any, dict[str, float], dict[str, float]]] = {
    "BetaGeo": (
        relmark.BetaGeo,
        {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5},
        {"purchase[online]": 0.4, "dropout.a[member]": -0.5, "dropout.b[member]": 0.3},
    ),
    "ModifiedBetaGeo": (
        relmark.ModifiedBetaGeo,
        {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5},
        {"purchase[online]": 0.4, "dropout.a[member]": -0.5, "dropout.b[member]": 0.3},
    ),
    "ParetoNBD": (
        relmark.ParetoNBD,
        {"r": 0.8, "alpha": 8.0, "s": 0.8, "beta": 12.0},
        {"purchase[online]": 0.4, "dropout[member]": -0.5},
    ),
}


def _covariates(n: int, rng: np.random.Generator) -> relmark.Covariates:
    values = np.column_stack([rng.random(n) < 0.5, rng.random(n) < 0.4]).astype(np.float64)
    return relmark.Covariates(names=("online", "member"), values=values)


def _z_scores(fits: list[relmark.BetaGeo], truth: dict[str, float]) -> dict[str, np.ndarray]:
    z: dict[str, list[float]] = {name: [] for name in truth}
    for model in fits:
        info = model.fit_info
        assert info is not None
        errors = dict(zip(info.names, np.sqrt(np.diag(info.log_covariance)), strict=True))
        for name, value in truth.items():
            z[name].append((model.coefficients[name] - value) / errors[name])
    return {name: np.array(values) for name, values in z.items()}


def _check(z: dict[str, np.ndarray]) -> None:
    for name, scores in z.items():
        assert np.abs(scores).max() < 4.5, name
        assert abs(scores.mean()) < 3.0 / np.sqrt(scores.size), (name, scores.mean())
        assert 0.7 < scores.std(ddof=1) < 1.4, (name, scores.std(ddof=1))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(PURCHASE_CASES))
def test_purchase_models_recover_known_coefficients(name: str) -> None:
    cls, params, truth = PURCHASE_CASES[name]
    model = cls(**params).with_coefficients(truth)
    fits = []
    for seed in range(REPLICATIONS):
        rng = np.random.default_rng(1000 + seed)
        covariates = _covariates(3000, rng)
        summary = model.simulate(
            3000, rng.uniform(30.0, 80.0, 3000), rng=rng, covariates=covariates
        )
        choice = {"purchase": ["online"], "dropout": ["member"]}
        fits.append(cls.fit(summary, covariates=choice))
    _check(_z_scores(fits, truth))


@pytest.mark.slow
def test_gamma_gamma_recovers_known_spend_coefficients() -> None:
    purchases = relmark.BetaGeo(r=0.8, alpha=5.0, a=0.5, b=3.0)
    truth = {"spend[online]": 0.3, "spend[member]": -0.2}
    spend = relmark.GammaGamma(p=5.0, q=4.0, gamma=20.0).with_coefficients(truth)
    fits = []
    for seed in range(REPLICATIONS):
        rng = np.random.default_rng(2000 + seed)
        covariates = _covariates(3000, rng)
        summary = purchases.simulate(3000, 52.0, rng=rng, covariates=covariates)
        summary = spend.simulate(summary, rng=rng)
        fits.append(relmark.GammaGamma.fit(summary, covariates={"spend": ["online", "member"]}))
    _check(_z_scores(fits, truth))  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_time_varying_model_recovers_known_coefficients() -> None:
    from tests.models.test_pareto_dynamic import TRUTH, _history

    truth = TRUTH.coefficients  # a seasonal and a weekly promotion covariate
    fits = [
        relmark.DynamicParetoNBD.fit(
            _history(TRUTH, n=2000, periods=52, seed=3000 + 10 * seed),
            purchase=["season", "promo"],
            dropout=["promo"],
        )
        for seed in range(REPLICATIONS)
    ]
    _check(_z_scores(fits, truth))  # type: ignore[arg-type]
