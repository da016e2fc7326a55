"""Tests for the intervals of the contract models (sBG, BdW): delta method and bootstrap."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit, logit, ndtri

import relmark
from relmark import BetaDiscreteWeibull, ShiftedBetaGeo, ValidationError
from relmark.models._fitting import FitInfo
from relmark.uncertainty import (
    Band,
    BootstrapWarning,
    bootstrap_bounds,
    contract_interval,
    contract_parameter_draws,
)

# Fader & Hardie (2007), Table 1: the high-end cohort, years 0-7 (the fit of the paper).
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]
Z90 = float(ndtri(0.95))
HIGH_END_FIT = ShiftedBetaGeo.fit_survival(HIGH_END)


@pytest.fixture(scope="module")
def high_end() -> ShiftedBetaGeo:
    return HIGH_END_FIT


@pytest.fixture(scope="module")
def cohort() -> tuple[ShiftedBetaGeo, np.ndarray, np.ndarray]:
    """A simulated cohort of 3,000 customers with alpha > 1 (finite mean lifetime)."""
    tenure, churned = ShiftedBetaGeo(alpha=2.5, beta=6.0).simulate(3000, 10, rng=11)
    return ShiftedBetaGeo.fit_individual(tenure, churned), tenure, churned


def _log_likelihood_hessian(alive: list[int], theta: np.ndarray) -> np.ndarray:
    """Hessian of the log-likelihood in log-parameters by central differences of its values."""

    def ll(u: np.ndarray) -> float:
        alpha, beta = np.exp(u)
        return ShiftedBetaGeo(alpha=alpha, beta=beta).survival_log_likelihood(alive)

    u, h = np.log(theta), 1e-4
    hessian = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * h, np.eye(2)[j] * h
            hessian[i, j] = (
                ll(u + e_i + e_j) - ll(u + e_i - e_j) - ll(u - e_i + e_j) + ll(u - e_i - e_j)
            ) / (4 * h * h)
    return hessian


def test_delta_survival_matches_an_independent_computation(high_end: ShiftedBetaGeo) -> None:
    # covariance from a numerical Hessian of the likelihood's values (not the fit's gradient
    # differences), Jacobian of logit S(t) by hand-rolled differences: the band of the
    # delta method on the logit scale, computed from scratch
    theta = np.array([high_end.alpha, high_end.beta])
    covariance = np.linalg.inv(-_log_likelihood_hessian(HIGH_END, theta))
    t = np.array([3.0, 8.0, 12.0])

    def logit_survival(u: np.ndarray) -> np.ndarray:
        alpha, beta = np.exp(u)
        return logit(ShiftedBetaGeo(alpha=alpha, beta=beta).survival(t))

    u, h = np.log(theta), 1e-6
    jacobian = np.stack(
        [(logit_survival(u + e) - logit_survival(u - e)) / (2 * h) for e in np.eye(2) * h], axis=1
    )
    se = np.sqrt(np.einsum("ij,jk,ik->i", jacobian, covariance, jacobian))
    centre = logit_survival(u)
    band = contract_interval(high_end, "survival", t=t, level=0.9)
    np.testing.assert_allclose(band.estimate, high_end.survival(t), rtol=1e-14)
    np.testing.assert_allclose(band.lower, expit(centre - Z90 * se), rtol=1e-5)
    np.testing.assert_allclose(band.upper, expit(centre + Z90 * se), rtol=1e-5)
    assert band.method == "delta" and band.level == 0.9 and band.name == "survival"


def test_delta_lifetime_value_is_symmetric_on_the_log_scale(high_end: ShiftedBetaGeo) -> None:
    band = contract_interval(high_end, "lifetime_value", margin=100.0, discount_rate=0.1)
    expected = relmark.subscriber_lifetime_value(high_end, margin=100.0, discount_rate=0.1)
    assert float(band.estimate) == pytest.approx(expected, rel=1e-14)
    assert band.estimate.shape == ()
    # log-symmetric: lower * upper = estimate^2
    assert float(band.lower * band.upper) == pytest.approx(expected**2, rel=1e-12)
    assert 0.9 * expected < float(band.lower) < expected < float(band.upper) < 1.1 * expected


def test_survival_bootstrap_equals_refits_of_resampled_survivor_counts(
    high_end: ShiftedBetaGeo,
) -> None:
    # brute force: draw each resample of the 1,000 customers as multinomial counts over the
    # churn periods and the survivors, rebuild the survivor counts and fit them from scratch
    draws = contract_parameter_draws(high_end, alive=HIGH_END, n_draws=20, rng=5)
    counts = np.array(HIGH_END, dtype=float)
    shares = np.r_[-np.diff(counts), counts[-1]] / counts[0]
    generator = np.random.default_rng(5)
    for theta in draws:
        drawn = generator.multinomial(1000, shares)
        alive = 1000 - np.r_[0, np.cumsum(drawn[:-1])]
        refit = ShiftedBetaGeo.fit_survival(alive)
        np.testing.assert_allclose(theta, [refit.alpha, refit.beta], rtol=2e-5)


def test_individual_bootstrap_agrees_with_a_brute_force_bootstrap_of_customers() -> None:
    # a small cohort: resample customers by index, refit with fit_individual; the intervals of
    # the two bootstraps (different random draws) agree to Monte Carlo error.  The brute
    # force's, by hand: expit(c -+ z sd(logit S*)), c = 2 logit S - mean logit S*, S at the
    # estimate, S* at the refits
    tenure, churned = ShiftedBetaGeo(alpha=1.2, beta=3.0).simulate(400, 6, rng=3)
    model = ShiftedBetaGeo.fit_individual(tenure, churned)
    generator = np.random.default_rng(8)
    brute = []
    for _ in range(400):
        pick = generator.integers(0, tenure.size, tenure.size)
        refit = ShiftedBetaGeo.fit_individual(tenure[pick], churned[pick], start=model.params)
        brute.append(refit.survival(10))
    centre = float(2.0 * logit(model.survival(10)) - logit(np.array(brute)).mean())
    spread = float(ndtri(0.95) * logit(np.array(brute)).std(ddof=1))
    low, high = float(expit(centre - spread)), float(expit(centre + spread))
    band = contract_interval(
        model,
        "survival",
        t=10,
        method="bootstrap",
        tenure=tenure,
        churned=churned,
        n_draws=400,
        rng=9,
    )
    assert float(band.lower) == pytest.approx(low, abs=0.012)
    assert float(band.upper) == pytest.approx(high, abs=0.012)
    assert band.method == "bootstrap"


def test_delta_and_bootstrap_agree_on_a_large_cohort(
    cohort: tuple[ShiftedBetaGeo, np.ndarray, np.ndarray],
) -> None:
    model, tenure, churned = cohort
    thetas = contract_parameter_draws(model, tenure=tenure, churned=churned, n_draws=300, rng=2)
    for quantity, arguments in [
        ("survival", {"t": [5, 20]}),
        ("retention_rate", {"t": [1, 12]}),
        ("residual_lifetime", {"periods_survived": [0, 6]}),
        ("lifetime_value", {"margin": 30.0, "discount_rate": 0.02, "renewals": [0, 6]}),
    ]:
        delta = contract_interval(model, quantity, **arguments)  # type: ignore[arg-type]
        boot = contract_interval(
            model,
            quantity,  # type: ignore[arg-type]
            method="bootstrap",
            thetas=thetas,
            **arguments,  # type: ignore[arg-type]
        )
        np.testing.assert_allclose(boot.estimate, delta.estimate, rtol=1e-14)
        width = delta.upper - delta.lower
        np.testing.assert_allclose(boot.lower, delta.lower, atol=0.15 * width.max())
        np.testing.assert_allclose(boot.upper, delta.upper, atol=0.15 * width.max())


def test_undiscounted_residual_lifetime_of_a_finite_mean_model(
    cohort: tuple[ShiftedBetaGeo, np.ndarray, np.ndarray],
) -> None:
    model = cohort[0]
    band = contract_interval(model, "residual_lifetime", periods_survived=[0, 3])
    np.testing.assert_allclose(band.estimate, (model.beta + np.array([0, 3])) / (model.alpha - 1))
    assert bool(np.all(band.lower < band.estimate)) and bool(np.all(band.estimate < band.upper))


def test_thetas_reuse_gives_the_band_of_the_same_refits(high_end: ShiftedBetaGeo) -> None:
    thetas = contract_parameter_draws(high_end, alive=HIGH_END, n_draws=60, rng=4)
    direct = contract_interval(
        high_end, "retention_rate", t=[2, 9], method="bootstrap", alive=HIGH_END, n_draws=60,
        rng=4, keep_draws=True,
    )  # fmt: skip
    reused = contract_interval(
        high_end, "retention_rate", t=[2, 9], method="bootstrap", thetas=thetas, keep_draws=True
    )
    np.testing.assert_array_equal(direct.lower, reused.lower)
    np.testing.assert_array_equal(direct.upper, reused.upper)
    assert reused.draws is not None and reused.draws.shape == (60, 2)
    expected = [ShiftedBetaGeo(alpha=a, beta=b).retention_rate([2, 9]) for a, b in thetas]
    np.testing.assert_allclose(reused.draws, expected, rtol=1e-14)
    assert direct.to_pandas()["upper"].tolist() == reused.upper.tolist()


def test_survival_at_zero_is_exactly_one(high_end: ShiftedBetaGeo) -> None:
    band = contract_interval(high_end, "survival", t=[0, 1])
    assert band.estimate[0] == band.lower[0] == band.upper[0] == 1.0
    assert band.lower[1] < band.estimate[1] < band.upper[1]


def test_a_failed_refit_is_left_out_with_a_warning() -> None:
    # 3 of 41 customers churned: many resamples cannot be fitted (too few churners to pin
    # both parameters down, or none at all)
    tenure = np.r_[1.0, 2.0, 3.0, np.full(30, 6.0), np.full(8, 3.0)]
    churned = np.r_[np.ones(3, bool), np.zeros(38, bool)]
    model = ShiftedBetaGeo.fit_individual(tenure, churned)
    with pytest.warns(BootstrapWarning, match=r"\d+ of 80 bootstrap refits failed"):
        draws = contract_parameter_draws(model, tenure=tenure, churned=churned, n_draws=80, rng=1)
    assert 40 <= draws.shape[0] < 80
    assert bool(np.all(draws > 0))


@given(
    t=st.lists(st.integers(0, 60), min_size=1, max_size=8),
    margin=st.floats(0.5, 1e4),
    rate=st.floats(0.01, 0.5),
)
def test_delta_bands_hold_their_estimates(t: list[int], margin: float, rate: float) -> None:
    model = HIGH_END_FIT
    survival = contract_interval(model, "survival", t=t, level=0.8)
    assert bool(np.all((survival.lower >= 0) & (survival.upper <= 1)))
    assert bool(
        np.all((survival.lower <= survival.estimate) & (survival.estimate <= survival.upper))
    )
    value = contract_interval(model, "lifetime_value", margin=margin, discount_rate=rate)
    unit = contract_interval(model, "lifetime_value", margin=1.0, discount_rate=rate)
    # the margin scales the value and, on the log scale, the bounds alike
    scaled = [margin * unit.lower, margin * unit.upper]
    np.testing.assert_allclose([value.lower, value.upper], scaled, rtol=1e-9)
    wider = contract_interval(
        model, "lifetime_value", margin=margin, discount_rate=rate, level=0.99
    )
    assert float(wider.lower) < float(value.lower) and float(value.upper) < float(wider.upper)


# --------------------------------------------------------------------------- bad input


def test_refuses_an_unfitted_model() -> None:
    with pytest.raises(ValidationError, match=r"not fitted \(its fit_info is None\)"):
        contract_interval(ShiftedBetaGeo(alpha=0.7, beta=3.8), "survival", t=3)


def test_refuses_another_kind_of_model() -> None:
    with pytest.raises(TypeError, match=r"`model` must be a ShiftedBetaGeo, got BetaGeo"):
        contract_interval(relmark.BetaGeo(r=1, alpha=1, a=1, b=1), "survival", t=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"quantity": "churn"}, r"`quantity` must be one of 'survival', "),
        ({"quantity": "survival"}, r"quantity 'survival' needs `t`"),
        ({"quantity": "lifetime_value"}, r"needs `margin`"),
        ({"quantity": "survival", "t": 3, "margin": 1.0}, r"`margin` does not apply to quantity"),
        ({"quantity": "residual_lifetime", "t": 3}, r"`t` does not apply to quantity"),
        ({"quantity": "retention_rate", "t": 0}, r"`t` must be >= 1"),
        ({"quantity": "survival", "t": 2.5}, r"`t` must be whole"),
        ({"quantity": "survival", "t": 3, "level": 1.5}, r"`level` must be < 1"),
        ({"quantity": "survival", "t": 3, "method": "mcmc"}, r"`method` must be one of"),
        ({"quantity": "residual_lifetime"}, r"infinite where alpha <= 1.*discount_rate"),
        ({"quantity": "lifetime_value", "margin": 1.0}, r"infinite where alpha <= 1"),
        ({"quantity": "lifetime_value", "margin": -1.0, "discount_rate": 0.1}, r"`margin`"),
        ({"quantity": "survival", "t": 3, "alive": HIGH_END}, r"method='delta' uses the fit's"),
        ({"quantity": "survival", "t": 3, "method": "bootstrap"}, r"give `alive` \(survivor"),
        (
            {"quantity": "survival", "t": 3, "method": "bootstrap", "tenure": [1, 2]},
            r"give `churned` as well",
        ),
        (
            {"quantity": "survival", "t": 3, "method": "bootstrap", "alive": HIGH_END,
             "tenure": [1], "churned": [True]},
            r"either `alive` \(survivor counts\) or `tenure` and `churned`, not both",
        ),
        (
            {"quantity": "survival", "t": 3, "method": "bootstrap", "alive": HIGH_END[:-1]},
            r"`model` was not fitted to the data in `alive`",
        ),
        (
            {"quantity": "survival", "t": 3, "method": "bootstrap", "alive": [1000, 869.5, 700]},
            r"`alive` must be whole",
        ),
        (
            {"quantity": "survival", "t": 3, "method": "bootstrap", "thetas": [[1.0, 2.0]]},
            r"`thetas` must have shape \(n_draws, 2\)",
        ),
        (
            {"quantity": "survival", "t": 3, "method": "bootstrap", "thetas": [[1, 2], [-1, 2]]},
            r"`thetas` must hold positive finite",
        ),
        (
            {"quantity": "survival", "t": 3, "method": "bootstrap", "thetas": [[1, 2], [1, 2]],
             "alive": HIGH_END},
            r"either `thetas` \(draws made before\) or the data",
        ),
        (
            {"quantity": "survival", "t": 3, "method": "bootstrap", "alive": HIGH_END,
             "n_draws": 1},
            r"`n_draws` must be >= 2",
        ),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused(
    high_end: ShiftedBetaGeo, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        contract_interval(high_end, **arguments)  # type: ignore[arg-type]


def test_bootstrap_draws_with_infinite_lifetimes_are_refused() -> None:
    # alpha is about 1.2 at the estimate, and below 1 at some draws of a small cohort
    tenure, churned = ShiftedBetaGeo(alpha=1.2, beta=3.0).simulate(150, 5, rng=3)
    model = ShiftedBetaGeo.fit_individual(tenure, churned)
    assert model.alpha > 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        with pytest.raises(ValidationError, match=r"at \d+ of \d+ the bootstrap draws"):
            contract_interval(
                model, "residual_lifetime", method="bootstrap", tenure=tenure, churned=churned,
                n_draws=60, rng=1,
            )  # fmt: skip


def test_tenure_rules_apply_to_the_bootstrap_data(
    cohort: tuple[ShiftedBetaGeo, np.ndarray, np.ndarray],
) -> None:
    model, tenure, churned = cohort
    with pytest.raises(ValidationError, match=r"`tenure` must be >= 1 for customers who churned"):
        contract_parameter_draws(model, tenure=np.zeros(3), churned=[True, False, False])
    with pytest.raises(ValidationError, match=r"not fitted to the data in `tenure` and `churned`"):
        contract_parameter_draws(model, tenure=tenure[1:], churned=churned[1:])


def test_results_are_bands() -> None:
    model = ShiftedBetaGeo.fit_survival(HIGH_END)
    band = contract_interval(model, "survival", t=[4])
    assert isinstance(band, Band) and band.draws is None
    assert band.to_pandas().columns.tolist() == ["estimate", "lower", "upper"]


def test_the_callers_data_are_left_alone(
    cohort: tuple[ShiftedBetaGeo, np.ndarray, np.ndarray],
) -> None:
    model, tenure, churned = cohort
    tenure_before, churned_before = tenure.copy(), churned.copy()
    alive = np.array(HIGH_END, dtype=float)
    contract_parameter_draws(model, tenure=tenure, churned=churned, n_draws=5, rng=1)
    contract_interval(HIGH_END_FIT, "survival", t=[1, 2], method="bootstrap", alive=alive,
                      n_draws=5, rng=1)  # fmt: skip
    np.testing.assert_array_equal(tenure, tenure_before)
    np.testing.assert_array_equal(churned, churned_before)
    np.testing.assert_array_equal(alive, HIGH_END)


def test_a_model_with_covariates_is_refused_naming_why() -> None:
    rng = np.random.default_rng(5)
    values = relmark.Covariates(names=("annual",), values=(rng.random((2000, 1)) < 0.5) * 1.0)
    truth = ShiftedBetaGeo(alpha=1.0, beta=2.0).with_coefficients({"churn.alpha[annual]": -0.5})
    tenure, churned = truth.simulate(2000, 12, rng=rng, values=values)
    model = ShiftedBetaGeo.fit_individual(tenure, churned, covariates=["annual"], values=values)
    with pytest.raises(ValidationError, match="`model` has covariates: contract_interval bands"):
        contract_interval(model, "survival", t=[1, 2, 3])


# --------------------------------------------------------------------------- the BdW
# The same path bands the beta-discrete-Weibull (BdW), whose class gives the refit (`_fit`),
# the objective of churn and censoring counts and the tail index alpha * c.

BDW_HIGH_END_FIT = BetaDiscreteWeibull.fit_survival(HIGH_END)
# a small cohort of 300 customers over 6 periods: the brute-force bootstrap refits it quickly
BDW_SMALL_TRUTH = BetaDiscreteWeibull(alpha=1.2, beta=2.5, c=1.4)


def _small_bdw_cohort() -> list[int]:
    tenure, churned = BDW_SMALL_TRUTH.simulate(300, 6, rng=21)
    return [int(np.sum(~churned | (tenure > t))) for t in range(7)]


def _bdw_log_likelihood_hessian(alive: list[int], theta: np.ndarray) -> np.ndarray:
    """Hessian of the BdW log-likelihood in log-parameters, central differences of its values."""

    def ll(u: np.ndarray) -> float:
        alpha, beta, c = np.exp(u)
        return BetaDiscreteWeibull(alpha=alpha, beta=beta, c=c).survival_log_likelihood(alive)

    u, h = np.log(theta), 1e-4
    hessian = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            e_i, e_j = np.eye(3)[i] * h, np.eye(3)[j] * h
            hessian[i, j] = (
                ll(u + e_i + e_j) - ll(u + e_i - e_j) - ll(u - e_i + e_j) + ll(u - e_i - e_j)
            ) / (4 * h * h)
    return hessian


def _bdw_at(u: np.ndarray) -> BetaDiscreteWeibull:
    alpha, beta, c = np.exp(u)
    return BetaDiscreteWeibull(alpha=alpha, beta=beta, c=c)


def test_bdw_delta_bands_match_an_independent_computation() -> None:
    # as for the sBG: covariance from a numerical Hessian of the likelihood's values, the
    # Jacobian of g(f) by central differences, the band g^-1(g(f) -+ z se) from scratch; for
    # S(t) and r(t) on the logit scale, for the discounted residual lifetime on the log scale
    model = BDW_HIGH_END_FIT
    theta = np.array([model.alpha, model.beta, model.c])
    covariance = np.linalg.inv(-_bdw_log_likelihood_hessian(HIGH_END, theta))
    u, h = np.log(theta), 1e-6
    cases = [
        ("survival", {"t": [3, 8, 12]}, lambda m: logit(m.survival([3, 8, 12])), expit),
        ("retention_rate", {"t": [1, 12]}, lambda m: logit(m.retention_rate([1, 12])), expit),
        (
            "residual_lifetime",
            {"periods_survived": [0, 5], "discount_rate": 0.1},
            lambda m: np.log(m.expected_residual_lifetime([0, 5], 0.1)),
            np.exp,
        ),
    ]
    for quantity, arguments, transformed, inverse in cases:
        jacobian = np.stack(
            [
                (transformed(_bdw_at(u + e)) - transformed(_bdw_at(u - e))) / (2 * h)
                for e in np.eye(3) * h
            ],
            axis=1,
        )
        se = np.sqrt(np.einsum("ij,jk,ik->i", jacobian, covariance, jacobian))
        centre = transformed(model)
        band = contract_interval(model, quantity, **arguments)  # type: ignore[arg-type]
        np.testing.assert_allclose(band.estimate, inverse(centre), rtol=1e-13)
        np.testing.assert_allclose(band.lower, inverse(centre - Z90 * se), rtol=1e-5)
        np.testing.assert_allclose(band.upper, inverse(centre + Z90 * se), rtol=1e-5)
        assert band.method == "delta" and band.name == quantity


def test_bdw_bootstrap_equals_brute_force_refits_and_their_bootstrap_bounds() -> None:
    # brute force: each resample of the 300 customers as multinomial counts over the churn
    # periods and the survivors (the same generator stream), its survivor counts fitted from
    # scratch by fit_survival; the band of the path against bootstrap_bounds of those refits
    alive = _small_bdw_cohort()
    model = BetaDiscreteWeibull.fit_survival(alive)
    band = contract_interval(
        model, "survival", t=[2, 6, 10], method="bootstrap", alive=alive, n_draws=25, rng=5,
        keep_draws=True,
    )  # fmt: skip
    counts = np.array(alive, dtype=float)
    shares = np.r_[-np.diff(counts), counts[-1]] / counts[0]
    generator = np.random.default_rng(5)
    brute = []
    for _ in range(25):
        drawn = generator.multinomial(300, shares)
        refit = BetaDiscreteWeibull.fit_survival(300 - np.r_[0, np.cumsum(drawn[:-1])])
        brute.append(refit.survival([2, 6, 10]))
    # the warm-started refits and the cold fits stop within the optimiser's tolerance of the
    # same maximum (3e-6 relative apart in S(t) when written), the bounds closer still (2e-7)
    assert band.draws is not None
    np.testing.assert_allclose(band.draws, brute, rtol=2e-5)
    lower, upper = bootstrap_bounds(np.array(brute), model.survival([2, 6, 10]), 0.9, scale="logit")
    np.testing.assert_allclose(band.lower, lower, rtol=2e-6)
    np.testing.assert_allclose(band.upper, upper, rtol=2e-6)


def _bdw_at_sbg_fit(sbg: ShiftedBetaGeo, c_variance: float) -> BetaDiscreteWeibull:
    """The BdW at the sBG's estimate with c = 1, its covariance the sBG's and c's nearly 0."""
    info = sbg.fit_info
    assert info is not None
    log_covariance = np.zeros((3, 3))
    log_covariance[:2, :2] = info.log_covariance
    log_covariance[2, 2] = c_variance
    theta = np.array([sbg.alpha, sbg.beta, 1.0])
    bdw_info = FitInfo(
        names=("alpha", "beta", "c"), estimates=tuple(theta), log_likelihood=info.log_likelihood,
        covariance=log_covariance * np.outer(theta, theta), log_covariance=log_covariance,
        iterations=0, n_customers=info.n_customers, n_rows=info.n_rows, seconds=0.0,
        message="c fixed at 1",
    )  # fmt: skip
    return BetaDiscreteWeibull(alpha=sbg.alpha, beta=sbg.beta, c=1.0, fit_info=bdw_info)


def test_bdw_with_c_fixed_at_one_gives_the_sbgs_intervals(high_end: ShiftedBetaGeo) -> None:
    # At c = 1 the BdW's curve is the sBG's, so with c all but fixed (log-variance 1e-12, no
    # correlation) the delta band is the sBG's up to (i) the c term J_c^2 1e-12, below 1e-9 of
    # se^2 here, and (ii) rounding in the two kernels amplified by the difference step 1e-5,
    # about 1e-11 relative: rtol 1e-8.  With the sBG's bootstrap draws (c = 1 added) the
    # bootstrap band differs only by the kernels' rounding: rtol 1e-10.
    bdw = _bdw_at_sbg_fit(high_end, c_variance=1e-12)
    thetas = contract_parameter_draws(high_end, alive=HIGH_END, n_draws=60, rng=3)
    with_c = np.c_[thetas, np.ones(len(thetas))]
    for quantity, arguments in [
        ("survival", {"t": [1, 4, 12]}),
        ("retention_rate", {"t": [1, 4, 12]}),
        ("residual_lifetime", {"periods_survived": [0, 4], "discount_rate": 0.1}),
        ("lifetime_value", {"margin": 100.0, "discount_rate": 0.1, "renewals": [0, 4]}),
    ]:
        sbg_band = contract_interval(high_end, quantity, **arguments)  # type: ignore[arg-type]
        bdw_band = contract_interval(bdw, quantity, **arguments)  # type: ignore[arg-type]
        np.testing.assert_allclose(bdw_band.estimate, sbg_band.estimate, rtol=1e-12)
        np.testing.assert_allclose(bdw_band.lower, sbg_band.lower, rtol=1e-8)
        np.testing.assert_allclose(bdw_band.upper, sbg_band.upper, rtol=1e-8)
        sbg_boot = contract_interval(
            high_end,
            quantity,
            method="bootstrap",
            thetas=thetas,
            **arguments,  # type: ignore[arg-type]
        )
        bdw_boot = contract_interval(
            bdw,
            quantity,
            method="bootstrap",
            thetas=with_c,
            **arguments,  # type: ignore[arg-type]
        )
        np.testing.assert_allclose(bdw_boot.lower, sbg_boot.lower, rtol=1e-10)
        np.testing.assert_allclose(bdw_boot.upper, sbg_boot.upper, rtol=1e-10)


def test_bdw_with_c_free_widens_the_sbgs_band_on_sbg_data() -> None:
    # a freely fitted BdW on a large sBG cohort (c = 1 in truth) lands within 3 standard errors
    # of c = 1 and within 0.01 of the sBG's curve; with c estimated too, the band of a
    # projection (t = 15, beyond the 8 periods observed) is wider (at one and the same point it
    # could not be narrower: the (alpha, beta) block of the inverse 3 x 3 information is at
    # least the inverse of the 2 x 2 one).  Widths at t = 15 here: 0.0171 (sBG), 0.0201 (BdW)
    tenure, churned = ShiftedBetaGeo(alpha=1.5, beta=4.0).simulate(5000, 8, rng=12)
    sbg = ShiftedBetaGeo.fit_individual(tenure, churned)
    bdw = BetaDiscreteWeibull.fit_individual(tenure, churned)
    assert bdw.fit_info is not None
    c_se = float(np.sqrt(bdw.fit_info.covariance[2, 2]))
    assert abs(bdw.c - 1.0) < 3 * c_se
    sbg_band = contract_interval(sbg, "survival", t=[4, 15])
    bdw_band = contract_interval(bdw, "survival", t=[4, 15])
    np.testing.assert_allclose(bdw_band.estimate, sbg_band.estimate, atol=0.01)
    assert float(np.diff([bdw_band.lower[1], bdw_band.upper[1]])[0]) > float(
        np.diff([sbg_band.lower[1], sbg_band.upper[1]])[0]
    )


@given(
    t=st.lists(st.integers(0, 60), min_size=1, max_size=8),
    survived=st.lists(st.integers(0, 30), min_size=1, max_size=4),
    rate=st.floats(0.01, 0.5),
    level=st.floats(0.5, 0.99),
)
def test_bdw_delta_bands_hold_their_estimates(
    t: list[int], survived: list[int], rate: float, level: float
) -> None:
    # the delta band is symmetric about the estimate on the logit or log scale: it holds it
    model = BDW_HIGH_END_FIT
    survival = contract_interval(model, "survival", t=t, level=level)
    assert bool(np.all((survival.lower >= 0) & (survival.upper <= 1)))
    assert bool(
        np.all((survival.lower <= survival.estimate) & (survival.estimate <= survival.upper))
    )
    retention = contract_interval(model, "retention_rate", t=[v + 1 for v in t], level=level)
    assert bool(np.all(retention.lower <= retention.estimate))
    assert bool(np.all(retention.estimate <= retention.upper))
    derl = contract_interval(
        model, "residual_lifetime", periods_survived=survived, discount_rate=rate, level=level
    )
    assert bool(np.all((derl.lower < derl.estimate) & (derl.estimate < derl.upper)))
    np.testing.assert_allclose(derl.lower * derl.upper, derl.estimate**2, rtol=1e-10)


def test_bdw_undiscounted_lifetime_of_a_finite_mean_model() -> None:
    tenure, churned = BetaDiscreteWeibull(alpha=2.0, beta=5.0, c=1.3).simulate(3000, 10, rng=4)
    model = BetaDiscreteWeibull.fit_individual(tenure, churned)
    assert model.alpha * model.c > 1
    band = contract_interval(model, "residual_lifetime", periods_survived=[0, 3])
    np.testing.assert_allclose(band.estimate, model.expected_residual_lifetime([0, 3]), rtol=1e-14)
    assert bool(np.all((band.lower < band.estimate) & (band.estimate < band.upper)))
    # the undiscounted residual lifetime at 0 periods survived counts the payments after the
    # first: the expected lifetime less 1
    assert float(band.estimate[0]) == pytest.approx(model.expected_lifetime() - 1.0, rel=1e-9)
    bad = [[model.alpha, model.beta, model.c], [0.5, 4.0, 1.5]]  # alpha * c = 0.75 at one draw
    with pytest.raises(ValidationError, match=r"alpha \* c <= 1, as at 1 of 2 the bootstrap draws"):
        contract_interval(model, "residual_lifetime", method="bootstrap", thetas=bad)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"quantity": "residual_lifetime"}, r"infinite where alpha \* c <= 1.*\(alpha \* c = 0\.3"),
        ({"quantity": "survival", "t": 3, "method": "bootstrap", "thetas": [[1, 2], [1, 2]]},
         r"`thetas` must have shape \(n_draws, 3\) with n_draws >= 2 \(alpha, beta, c per draw\)"),
        ({"quantity": "survival", "t": 3, "method": "bootstrap",
          "thetas": [[1, 2, 1], [1, 2, 0]]},
         r"`thetas` must hold positive finite \(alpha, beta, c\)"),
        ({"quantity": "survival", "t": 3, "method": "bootstrap", "alive": HIGH_END[:-1]},
         r"`model` was not fitted to the data in `alive`"),
        ({"quantity": "survival", "t": 3, "method": "bootstrap", "tenure": [1, 2],
          "churned": [1, 0]},
         r"`model` was not fitted to the data in `tenure` and `churned`"),
        ({"quantity": "retention_rate", "t": [0, 1]}, r"`t` must be >= 1"),
    ],
)  # fmt: skip
def test_bdw_bad_arguments_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        contract_interval(BDW_HIGH_END_FIT, **arguments)  # type: ignore[arg-type]


def test_bdw_unfitted_and_models_without_the_hooks_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"`model` BetaDiscreteWeibull is not fitted"):
        contract_interval(BetaDiscreteWeibull(alpha=1.0, beta=2.0, c=1.5), "survival", t=3)
    with pytest.raises(TypeError, match=r"BetaGeo has no `_fit`, `_tenure_objective`"):
        contract_interval(relmark.BetaGeo(r=1, alpha=1, a=1, b=1), "survival", t=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`model` must be a ShiftedBetaGeo, got str"):
        contract_parameter_draws("sbg", alive=HIGH_END)  # type: ignore[arg-type]


def test_bdw_delta_band_covers_the_projected_survival() -> None:
    # 100 cohorts of 1,000 customers observed 8 periods, each fitted; the 90% delta band of the
    # projection S(12) should hold the true value in about 90 of 100 (binomial sd 3).  About
    # 1.5 s (a BdW fit of 8 rows takes about 10 ms), so it runs in every test run
    truth = BetaDiscreteWeibull(alpha=1.0, beta=2.0, c=1.3)
    target = truth.survival(12)
    generator = np.random.default_rng(31)
    covered = 0
    for _ in range(100):
        tenure, churned = truth.simulate(1000, 8, rng=generator)
        model = BetaDiscreteWeibull.fit_individual(tenure, churned)
        band = contract_interval(model, "survival", t=12)
        covered += int(float(band.lower) <= target <= float(band.upper))
    assert 80 <= covered <= 98
