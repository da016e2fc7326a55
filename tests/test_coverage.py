"""Coverage of the nominal 90% intervals, counted on customer bases simulated from known parameters.

For each model: draw a customer base from the model at known ("true")
parameters, fit it, and check whether the intervals hold

(a) each true parameter: the Wald interval in log-parameters,
    ``FitInfo.intervals(0.9)``;
(b) a true prediction for the periods after the data: for the purchase
    models the base's expected purchases in the next ``horizon``,
    :math:`\\sum_i E[X_i(T_i, T_i + t) \\mid x_i, t_{x,i}, T_i, \\theta]` at the
    true parameters (the delta-method band of
    :func:`~relmark.uncertainty.prediction_intervals`); for Gamma-Gamma the
    base's expected spend per purchase, :math:`\\sum_i E[M_i \\mid x_i, m_i, \\theta]`;
    for sBG the survival beyond the observed periods, :math:`S(t)`
    (:func:`~relmark.uncertainty.contract_interval`).

Over ``reps`` replications each share must lie in [0.85, 0.95].  The seeds are
fixed, so the test is deterministic.  At a true coverage of 0.9 one share's
standard error is 0.021 over 200 replications, 0.017 over 300 and 0.0095 over
1,000: the cheap fits (Gamma-Gamma, sBG) run 1,000.
The bases are large enough (2,000 to 5,000 customers) for the asymptotics the
intervals rest on, and small enough for the whole file to run in a few minutes.

The bootstrap (:func:`~relmark.uncertainty.bootstrap_bounds`, 100 refits per
base, 200 replications on bases of their own) is checked here for the models
whose refits are cheap (Gamma-Gamma, sBG); the purchase models' bootstrap
cells take one to several minutes each and are printed, with the same
replications (:func:`bootstrap_replications`), by
``benchmarks/bench_uncertainty.py`` part (a), beside the delta method and
the other constructions of a bootstrap interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import relmark
from relmark import CustomerSummary, ShiftedBetaGeo
from relmark.models._base import PurchaseModelBase
from relmark.uncertainty import (
    Band,
    BootstrapWarning,
    contract_interval,
    contract_parameter_draws,
    draws_band,
    interval,
    prediction_intervals,
)

pytestmark = pytest.mark.slow

LEVEL = 0.9
ACCEPTED = (0.85, 0.95)
#: Bootstrap replications per case, and refits per replication (issue 13: >= 200 replications).
BOOT_REPS = 200
BOOT_DRAWS = 100

Ages = Callable[[np.random.Generator, int], np.ndarray]


def weekly_cohorts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Observation lengths of customers acquired over 13 weeks, observed to week 39 (CDNOW)."""
    return rng.integers(27, 40, n).astype(np.float64)


def six_opportunities(rng: np.random.Generator, n: int) -> np.ndarray:
    """Six purchase opportunities for everyone (the donations data of the BG/BB paper)."""
    return np.full(n, 6.0)


@dataclass(frozen=True)
class Replication:
    """One simulated base: which true parameters the fit's intervals hold, and the prediction."""

    parameters: dict[str, bool]
    prediction: bool


@dataclass(frozen=True)
class Case:
    """A model at known parameters and how to simulate, fit and predict one replication."""

    name: str
    truth: relmark.models.Model
    n_customers: int
    reps: int
    seed: int
    replicate: Callable[[Case, np.random.Generator], Replication]
    horizon: float = 39.0
    ages: Ages = weekly_cohorts

    def coverage(self) -> tuple[dict[str, float], float]:
        """Return the share of replications covering each parameter, and the prediction."""
        rng = np.random.default_rng(self.seed)
        runs = [self.replicate(self, rng) for _ in range(self.reps)]
        shares = {
            name: float(np.mean([run.parameters[name] for run in runs]))
            for name in self.truth.parameter_names()
        }
        return shares, float(np.mean([run.prediction for run in runs]))


def holds(band: Band, value: float) -> bool:
    return bool(float(band.lower) <= value <= float(band.upper))


def parameters_held(truth: relmark.models.Model, fitted: relmark.models.Model) -> dict[str, bool]:
    assert fitted.fit_info is not None
    bounds = fitted.fit_info.intervals(LEVEL)
    return {
        name: bounds[name][0] <= value <= bounds[name][1] for name, value in truth.params.items()
    }


def purchase_replication(case: Case, rng: np.random.Generator) -> Replication:
    truth = case.truth
    assert isinstance(truth, PurchaseModelBase)
    summary = truth.simulate(case.n_customers, case.ages(rng, case.n_customers), rng=rng)
    fitted = type(truth).fit(summary)
    bands = prediction_intervals(summary, fitted, horizon=case.horizon, method="delta", level=LEVEL)
    expected = float(summary.weights @ truth.expected_purchases(summary, case.horizon))
    return Replication(
        parameters_held(truth, fitted), holds(bands["total_expected_purchases"], expected)
    )


def spend_history(case: Case, rng: np.random.Generator) -> CustomerSummary:
    """Repeat buyers with 1 to 20 repeat purchases, spend drawn from the true Gamma-Gamma."""
    truth = case.truth
    assert isinstance(truth, relmark.GammaGamma)
    n = case.n_customers
    x = rng.integers(1, 21, n).astype(np.float64)
    base = CustomerSummary.from_arrays(x, np.ones(n), np.full(n, 2.0))
    return truth.simulate(base, rng=rng)


def spend_replication(case: Case, rng: np.random.Generator) -> Replication:
    truth = case.truth
    assert isinstance(truth, relmark.GammaGamma)
    summary = spend_history(case, rng)
    fitted = relmark.GammaGamma.fit(summary)
    band = interval(
        fitted,
        summary,
        lambda model: summary.weights @ model.expected_spend(summary),
        method="delta",
        level=LEVEL,
        scale="log",
        name="total_expected_spend",
    )
    expected = float(summary.weights @ truth.expected_spend(summary))
    return Replication(parameters_held(truth, fitted), holds(band, expected))


def survivors(tenure: np.ndarray, churned: np.ndarray, periods: int) -> np.ndarray:
    """Survivor counts of one cohort after 0 .. ``periods`` periods."""
    lost = np.bincount(tenure[churned], minlength=periods + 1)[1:]
    return tenure.size - np.r_[0, np.cumsum(lost)]


def cohort_replication(case: Case, rng: np.random.Generator) -> Replication:
    """One cohort observed for 8 periods, fitted to its survivor counts; S(12) predicted."""
    truth = case.truth
    assert isinstance(truth, ShiftedBetaGeo)
    tenure, churned = truth.simulate(case.n_customers, 8, rng=rng)
    fitted = ShiftedBetaGeo.fit_survival(survivors(tenure, churned, 8))
    band = contract_interval(fitted, "survival", t=12, level=LEVEL)
    return Replication(parameters_held(truth, fitted), holds(band, truth.survival(12)))


def staggered_replication(case: Case, rng: np.random.Generator) -> Replication:
    """Customers who joined over 10 periods, fitted to their tenures; S(15) predicted."""
    truth = case.truth
    assert isinstance(truth, ShiftedBetaGeo)
    observed = rng.integers(1, 11, case.n_customers)
    tenure, churned = truth.simulate(case.n_customers, 10, rng=rng)
    churned &= tenure <= observed  # those who churn after today are still subscribers
    tenure = np.minimum(tenure, observed)
    fitted = ShiftedBetaGeo.fit_individual(tenure, churned)
    band = contract_interval(fitted, "survival", t=15, level=LEVEL)
    return Replication(parameters_held(truth, fitted), holds(band, truth.survival(15)))


# --------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class BootstrapReplication:
    """One base's bootstrap: per value (the parameters, then the prediction) the estimate,
    the draws ``(n_draws, m)``, the truth, relmark's bootstrap band and the delta method's."""

    estimate: np.ndarray
    draws: np.ndarray
    truth: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    delta_lower: np.ndarray
    delta_upper: np.ndarray

    def held(self) -> np.ndarray:
        return (self.lower <= self.truth) & (self.truth <= self.upper)


def bootstrap_replication(
    case: Case, rng: np.random.Generator, n_draws: int
) -> BootstrapReplication:
    """Simulate and fit one base as the delta-method replication does, then bootstrap it."""
    truth = case.truth
    names = truth.parameter_names()
    true_theta = np.array([truth.params[name] for name in names])
    if isinstance(truth, ShiftedBetaGeo):
        return contract_bootstrap_replication(case, rng, n_draws, true_theta)
    if isinstance(truth, relmark.GammaGamma):
        summary = spend_history(case, rng)
        fitted: Any = relmark.GammaGamma.fit(summary)

        def target(model: Any) -> float:
            return float(summary.weights @ model.expected_spend(summary))

    else:
        summary = truth.simulate(case.n_customers, case.ages(rng, case.n_customers), rng=rng)
        fitted = type(truth).fit(summary)

        def target(model: Any) -> float:
            return float(summary.weights @ model.expected_purchases(summary, case.horizon))

    band = interval(
        fitted,
        summary,
        lambda model: np.r_[[model.params[name] for name in names], target(model)],
        method="bootstrap",
        level=LEVEL,
        n_draws=n_draws,
        rng=rng,
        keep_draws=True,
    )
    assert band.draws is not None
    delta = interval(fitted, summary, target, method="delta", level=LEVEL)
    return _replication(
        band,
        band.draws,
        np.r_[true_theta, target(truth)],
        _wald(fitted, names, delta),
    )


def contract_bootstrap_replication(
    case: Case, rng: np.random.Generator, n_draws: int, true_theta: np.ndarray
) -> BootstrapReplication:
    truth = case.truth
    assert isinstance(truth, ShiftedBetaGeo)
    if case.name.endswith("survivor counts"):
        tenure, churned = truth.simulate(case.n_customers, 8, rng=rng)
        alive = survivors(tenure, churned, 8)
        fitted = ShiftedBetaGeo.fit_survival(alive)
        thetas = contract_parameter_draws(fitted, alive=alive, n_draws=n_draws, rng=rng)
        t = 12
    else:
        observed = rng.integers(1, 11, case.n_customers)
        tenure, churned = truth.simulate(case.n_customers, 10, rng=rng)
        churned &= tenure <= observed
        tenure = np.minimum(tenure, observed)
        fitted = ShiftedBetaGeo.fit_individual(tenure, churned)
        thetas = contract_parameter_draws(
            fitted, tenure=tenure, churned=churned, n_draws=n_draws, rng=rng
        )
        t = 15
    names = truth.parameter_names()
    theta = np.array([fitted.params[name] for name in names])
    parameters = draws_band(
        "theta", lambda at: at, thetas, theta, level=LEVEL, scale="log", keep_draws=True
    )
    band = contract_interval(
        fitted, "survival", t=t, method="bootstrap", thetas=thetas, keep_draws=True
    )
    assert band.draws is not None and parameters.draws is not None
    joint = Band(
        name="theta and S(t)",
        estimate=np.r_[parameters.estimate, band.estimate],
        lower=np.r_[parameters.lower, band.lower],
        upper=np.r_[parameters.upper, band.upper],
        level=LEVEL,
        method="bootstrap",
    )
    delta = contract_interval(fitted, "survival", t=t, level=LEVEL)
    return _replication(
        joint,
        np.c_[parameters.draws, band.draws],
        np.r_[true_theta, truth.survival(t)],
        _wald(fitted, names, delta),
    )


def _wald(
    fitted: relmark.models.Model, names: tuple[str, ...], prediction: Band
) -> tuple[np.ndarray, np.ndarray]:
    """The delta method on the same base: the fit's Wald intervals, the prediction's band."""
    assert fitted.fit_info is not None
    bounds = fitted.fit_info.intervals(LEVEL)
    lower = np.r_[[bounds[name][0] for name in names], prediction.lower]
    upper = np.r_[[bounds[name][1] for name in names], prediction.upper]
    return lower, upper


def _replication(
    band: Band, draws: np.ndarray, truth: np.ndarray, delta: tuple[np.ndarray, np.ndarray]
) -> BootstrapReplication:
    return BootstrapReplication(
        band.estimate, draws, truth, band.lower, band.upper, delta[0], delta[1]
    )


def bootstrap_replications(
    case: Case, reps: int = BOOT_REPS, n_draws: int = BOOT_DRAWS
) -> list[BootstrapReplication]:
    """``reps`` bootstrap replications of ``case``, on bases of their own (seed + 1000)."""
    rng = np.random.default_rng(case.seed + 1000)  # not the delta method's bases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)  # failed refits are left out, rarely
        return [bootstrap_replication(case, rng, n_draws) for _ in range(reps)]


# The true parameters are published fits: BG/NBD, MBG/NBD and Pareto/NBD of the CDNOW
# sample (Fader, Hardie & Lee 2005; Batislam et al. 2007; Fader, Hardie & Lee 2005 Pareto
# note), Gamma-Gamma of its spend (Fader, Hardie & Lee 2005 "RFM and CLV"), sBG of the
# high-end cohort (Fader & Hardie 2007), BG/BB of the donations (Fader, Hardie & Shang 2010).
CASES = [
    Case(
        name="BetaGeo",
        truth=relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
        n_customers=4000,
        reps=300,
        seed=1301,
        replicate=purchase_replication,
    ),
    Case(
        name="ModifiedBetaGeo",
        truth=relmark.ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614),
        # at 4,000 customers MBG/NBD's Wald intervals cover 0.865 to 0.885 (400 replications):
        # its sampling distribution is still a little wider than the information says
        n_customers=6000,
        reps=300,
        seed=1302,
        replicate=purchase_replication,
    ),
    Case(
        name="ParetoNBD",
        truth=relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
        n_customers=4000,
        reps=200,
        seed=1303,
        replicate=purchase_replication,
    ),
    Case(
        name="BetaGeoBetaBinom",
        truth=relmark.BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783),
        n_customers=4000,
        reps=200,
        seed=1304,
        replicate=purchase_replication,
        horizon=5.0,
        ages=six_opportunities,
    ),
    Case(
        name="GammaGamma",
        truth=relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44),
        n_customers=3000,
        reps=1000,
        seed=1305,
        replicate=spend_replication,
    ),
    Case(
        name="ShiftedBetaGeo, survivor counts",
        truth=ShiftedBetaGeo(alpha=0.668, beta=3.806),
        n_customers=2000,
        reps=1000,
        seed=1306,
        replicate=cohort_replication,
    ),
    Case(
        name="ShiftedBetaGeo, tenures",
        truth=ShiftedBetaGeo(alpha=0.668, beta=3.806),
        n_customers=3000,
        reps=1000,
        seed=1307,
        replicate=staggered_replication,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_nominal_90_percent_intervals_cover_about_90_percent(case: Case) -> None:
    shares, prediction = case.coverage()
    shares["prediction"] = prediction
    report = ", ".join(f"{name} {share:.3f}" for name, share in shares.items())
    low, high = ACCEPTED
    outside = [name for name, share in shares.items() if not low <= share <= high]
    assert not outside, (
        f"{case.name}: coverage of the nominal {LEVEL:.0%} intervals over {case.reps} "
        f"replications of {case.n_customers:,} customers is outside [{low}, {high}] for "
        f"{', '.join(outside)}: {report}"
    )


# The bootstrap refits 100 times per base: 200 replications take seconds for Gamma-Gamma
# and the sBG, one to several minutes for the purchase models (BG/NBD 49 s, MBG/NBD 73 s,
# Pareto/NBD 249 s on a busy machine), whose bootstrap cells are in
# benchmarks/bench_uncertainty.py instead (part a).
BOOTSTRAP_TESTED = ("GammaGamma", "ShiftedBetaGeo, survivor counts", "ShiftedBetaGeo, tenures")


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if case.name in BOOTSTRAP_TESTED],
    ids=list(BOOTSTRAP_TESTED),
)
def test_bootstrap_90_percent_intervals_cover_about_90_percent(case: Case) -> None:
    runs = bootstrap_replications(case)
    shares = np.mean([run.held() for run in runs], axis=0)
    names = [*case.truth.parameter_names(), "prediction"]
    report = ", ".join(f"{name} {share:.3f}" for name, share in zip(names, shares, strict=True))
    low, high = ACCEPTED
    outside = [name for name, share in zip(names, shares, strict=True) if not low <= share <= high]
    assert not outside, (
        f"{case.name}: coverage of the nominal {LEVEL:.0%} bootstrap intervals ({BOOT_DRAWS} "
        f"draws) over {len(runs)} replications is outside [{low}, {high}] for "
        f"{', '.join(outside)}: {report}"
    )
