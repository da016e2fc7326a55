"""Tests for the shifted-beta-geometric (sBG) retention model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln, hyp2f1

from relmark import ShiftedBetaGeo, ValidationError
from relmark.models.shifted_beta_geo import _neg_log_likelihood
from tests.strategies import invalid_parameters, log_uniform

# Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1),
# Table 1: customers still active at the start of years 1-13 for two cohorts of 1,000.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize(
    ("data", "alpha", "beta"),
    [
        # Fader & Hardie (2007), section 4 (fitted on years 0-7): regular alpha = 0.704,
        # beta = 1.182; high end alpha = 0.668, beta = 3.806.  (The regular cohort is the one
        # with the lower retention: mean churn alpha / (alpha + beta) = 0.37 vs 0.15.)
        (REGULAR, 0.704, 1.182),
        (HIGH_END, 0.668, 3.806),
    ],
)
def test_published_estimates(data: list[int], alpha: float, beta: float) -> None:
    model = ShiftedBetaGeo.fit_survival(data[:8])
    assert round(model.alpha, 3) == alpha
    assert round(model.beta, 3) == beta
    assert model.fit_info is not None and model.fit_info.n_customers == 1000
    assert model.fit_info.log_likelihood == pytest.approx(
        model.survival_log_likelihood(data[:8]), rel=1e-12
    )


@pytest.mark.parametrize("data", [REGULAR, HIGH_END])
def test_projection_tracks_holdout_years(data: list[int]) -> None:
    # Fader & Hardie (2007), Figures 4-5: the sBG fitted to years 0-7 projects the survivors
    # of years 8-12 closely (within a few percent), slightly below the actuals.
    model = ShiftedBetaGeo.fit_survival(data[:8])
    projected = 1000 * model.survival(np.arange(8, 13))
    actual = np.array(data[8:], dtype=float)
    assert np.all(np.abs(projected / actual - 1) < 0.05)
    assert np.all(projected < actual)
    if data is HIGH_END:
        # Cross-check with an independent implementation (jdmaturen/shifted_beta_geometric_py,
        # README): projections 0.460, 0.436, 0.414, 0.395, 0.378 and DERL(d = 10 %) of the
        # survivors after 7 years = 7.530.
        np.testing.assert_allclose(projected / 1000, [0.460, 0.436, 0.414, 0.395, 0.378], atol=5e-4)
        assert model.expected_residual_lifetime(7, 0.1) == pytest.approx(7.530, abs=5e-4)
    # retention rates rise over time (the sorting effect, section 3)
    assert np.all(np.diff(model.retention_rate(np.arange(1, 13))) > 0)


def test_hand_computed_quantities() -> None:
    model = ShiftedBetaGeo(alpha=1.0, beta=1.0)  # theta ~ uniform
    # P(T = t) = 1 / (t (t + 1)), S(t) = 1 / (t + 1)
    np.testing.assert_allclose(model.churn_probability([1, 2, 3]), [1 / 2, 1 / 6, 1 / 12])
    np.testing.assert_allclose(model.survival([0, 1, 2, 3]), [1, 1 / 2, 1 / 3, 1 / 4])
    np.testing.assert_allclose(model.retention_rate([1, 2, 3]), [1 / 2, 2 / 3, 3 / 4])
    assert model.expected_lifetime() == math.inf
    other = ShiftedBetaGeo(alpha=3.0, beta=4.0)
    assert other.expected_lifetime() == pytest.approx(3.0)
    # E[T] = sum_t t P(T = t)
    t = np.arange(1, 200_000)
    assert other.expected_lifetime() == pytest.approx(
        float(np.sum(t * other.churn_probability(t))), rel=1e-6
    )
    assert isinstance(model.survival(2), float)


@pytest.mark.parametrize(
    ("alpha", "beta", "survived", "d"),
    [(0.668, 3.806, 0, 0.1), (0.704, 1.182, 4, 0.1), (3.0, 4.0, 10, 0.05), (1.5, 30.0, 2, 0.5)],
)
def test_derl_matches_hypergeometric_formula_and_series(
    alpha: float, beta: float, survived: int, d: float
) -> None:
    # Fader & Hardie (2010), eq. 6 with n - 1 = survived renewals:
    # DERL = B(a, b + n) / B(a, b + n - 1) * 2F1(1, b + n; a + b + n; 1 / (1 + d)).
    n = survived + 1
    formula = math.exp(betaln(alpha, beta + n) - betaln(alpha, beta + n - 1)) * hyp2f1(
        1, beta + n, alpha + beta + n, 1 / (1 + d)
    )
    model = ShiftedBetaGeo(alpha=alpha, beta=beta)
    assert model.expected_residual_lifetime(survived, d) == pytest.approx(formula, rel=1e-9)
    # the same as the discounted sum of conditional survival probabilities
    k = np.arange(0, 5_000)
    conditional = np.exp(betaln(alpha, beta + survived + 1 + k) - betaln(alpha, beta + survived))
    series = float(np.sum(conditional * np.exp(-k * math.log1p(d))))
    assert model.expected_residual_lifetime(survived, d) == pytest.approx(series, rel=1e-9)


def test_derl_without_discounting_and_growth_with_tenure() -> None:
    model = ShiftedBetaGeo(alpha=3.0, beta=4.0)
    # d = 0: (beta + s) / (alpha - 1)
    np.testing.assert_allclose(model.expected_residual_lifetime([0, 5], 0.0), [2.0, 4.5])
    assert model.expected_residual_lifetime(0, 1e-5) == pytest.approx(2.0, rel=1e-3)
    assert ShiftedBetaGeo(alpha=0.5, beta=1.0).expected_residual_lifetime(3, 0) == math.inf
    # heterogeneity: customers who stayed longer are worth more (Fader & Hardie 2010, sec. 3)
    derl = model.expected_residual_lifetime(np.arange(0, 30), 0.1)
    assert np.all(np.diff(derl) > 0)


def test_gradient_matches_finite_differences() -> None:
    kwargs = {
        "churn_t": np.arange(1.0, 8.0),
        "churn_w": -np.diff(np.array(HIGH_END[:8], dtype=float)),
        "alive_t": np.array([7.0, 3.0]),
        "alive_w": np.array([491.0, 12.0]),
    }
    for theta in ([0.668, 3.806], [5.0, 0.2], [120.0, 300.0]):
        point = np.array(theta)
        _, gradient = _neg_log_likelihood(point, **kwargs)
        numeric = np.empty(2)
        for j in range(2):
            step = 1e-6 * point[j]
            up, down = point.copy(), point.copy()
            up[j] += step
            down[j] -= step
            numeric[j] = (
                _neg_log_likelihood(up, **kwargs)[0] - _neg_log_likelihood(down, **kwargs)[0]
            ) / (2 * step)
        np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-6)


def test_individual_fit_equals_survival_fit() -> None:
    # The cohort as 1,000 individual records gives the same likelihood and estimates.
    counts = np.array(HIGH_END[:8])
    lost = -np.diff(counts)
    tenure = np.r_[np.repeat(np.arange(1, 8), lost), np.full(counts[-1], 7)]
    churned = np.r_[np.ones(lost.sum(), dtype=bool), np.zeros(counts[-1], dtype=bool)]
    a = ShiftedBetaGeo.fit_survival(counts)
    b = ShiftedBetaGeo.fit_individual(tenure, churned)
    np.testing.assert_allclose([a.alpha, a.beta], [b.alpha, b.beta], rtol=1e-5)
    assert float(np.sum(b.individual_log_likelihood(tenure, churned))) == pytest.approx(
        b.survival_log_likelihood(counts), rel=1e-12
    )


def test_fit_individual_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(3)
    theta = rng.beta(2.0, 5.0, size=20_000)
    lifetime = rng.geometric(theta)
    observed = rng.integers(1, 12, size=20_000)  # periods each customer could be observed
    churned = lifetime <= observed
    tenure = np.where(churned, lifetime, observed)
    model = ShiftedBetaGeo.fit_individual(tenure, churned.astype(int))
    np.testing.assert_allclose([model.alpha, model.beta], [2.0, 5.0], rtol=0.15)


@settings(max_examples=40)
@given(
    alpha=log_uniform(),
    beta=log_uniform(),
    t=st.integers(min_value=1, max_value=10_000),
    d=st.sampled_from([0.0, 1e-3, 0.01, 0.1, 1.0, 5.0]),
)
def test_numerically_safe(alpha: float, beta: float, t: int, d: float) -> None:
    model = ShiftedBetaGeo(alpha=alpha, beta=beta)
    survival = model.survival([t - 1, t])
    assert np.all((survival >= 0) & (survival <= 1)) and survival[1] <= survival[0]
    assert 0 <= model.churn_probability(t) <= 1
    assert 0 <= model.retention_rate(t) <= 1
    ll = model.individual_log_likelihood([t, t], [True, False])
    assert np.all(np.isfinite(ll)) and np.all(ll <= 0)
    derl = model.expected_residual_lifetime([0, t], d)
    if d > 0:
        assert np.all(np.isfinite(derl)) and np.all(derl > 0)
        assert np.all(derl <= (1 + d) / d * (1 + 1e-9))  # never more than a perpetuity
        assert derl[1] >= derl[0] * (1 - 1e-9)
    else:
        assert np.all(np.isinf(derl)) if alpha <= 1 else np.all(np.isfinite(derl))


@given(
    value=invalid_parameters,
    name=st.sampled_from(["alpha", "beta"]),
)
def test_bad_parameters_raise_validation_error(value: float, name: str) -> None:
    params = {"alpha": 1.0, "beta": 2.0, name: value}
    with pytest.raises(
        ValidationError, match=rf"^`{name}` must (be > 0, got |not be NaN$|be finite, got )"
    ):
        ShiftedBetaGeo(**params)


def test_bad_inputs() -> None:
    model = ShiftedBetaGeo(alpha=1.0, beta=2.0)
    with pytest.raises(TypeError, match=r"^`alpha` must be a real number, got str$"):
        ShiftedBetaGeo(alpha="1", beta=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at least one later count"):
        ShiftedBetaGeo.fit_survival([1000])
    with pytest.raises(ValidationError, match="cohort size"):
        ShiftedBetaGeo.fit_survival([0, 0, 0])
    with pytest.raises(ValidationError, match=r"must not increase.*first at index 2"):
        ShiftedBetaGeo.fit_survival([1000, 800, 900])
    with pytest.raises(
        ValidationError, match=r"^`alive` must be >= 0; 1 of 2 .*first at index 1: -1\.0\)$"
    ):
        ShiftedBetaGeo.fit_survival([1000, -1])
    with pytest.raises(ValidationError, match="churned"):
        ShiftedBetaGeo.fit_survival([1000, 1000, 1000])
    with pytest.raises(
        ValidationError, match=r"^`tenure` must be whole numbers; 1 of 2 .*: 1\.5\)$"
    ):
        ShiftedBetaGeo.fit_individual([1.5, 2], [True, False])
    with pytest.raises(ValidationError, match="same length"):
        ShiftedBetaGeo.fit_individual([1, 2, 3], [True, False])
    with pytest.raises(ValidationError, match="churn in period 1"):
        ShiftedBetaGeo.fit_individual([0, 2], [True, False])
    with pytest.raises(ValidationError, match="True/False"):
        ShiftedBetaGeo.fit_individual([1, 2], [2, 0])
    with pytest.raises(ValidationError, match=r"^`t` must be whole numbers; 1 of 1 .*: 1\.5\)$"):
        model.survival(1.5)
    with pytest.raises(ValidationError, match=r"^`t` must be >= 1; 1 of 1 .*: 0\.0\)$"):
        model.retention_rate(0)
    with pytest.raises(ValidationError, match=r"^`t` must be >= 1; 1 of 2 .*first at index 1"):
        model.churn_probability([1, 0])
    with pytest.raises(ValidationError, match=r"^`discount_rate` must be >= 0, got -0\.1$"):
        model.expected_residual_lifetime(1, -0.1)
    with pytest.raises(ValidationError, match=r"^`discount_rate` 1e-09 is too close to 0"):
        model.expected_residual_lifetime(1, 1e-9)
    assert not hasattr(model, "customer_log_likelihood")  # tenures, not purchase summaries
    assert repr(model) == "ShiftedBetaGeo(alpha=1, beta=2)"


# ----------------------------------------------------------------- profile likelihood


def _deviance_with_alpha_fixed(alive: list[int], alpha: float, best: float) -> float:
    """2 (LL_max - max over beta of LL(alpha, beta)): an independent 1-D profile."""
    from scipy.optimize import minimize_scalar

    def minus_ll(log_beta: float) -> float:
        return (
            ShiftedBetaGeo(alpha=alpha, beta=math.exp(log_beta)).survival_log_likelihood(alive)
            * -1.0
        )

    found = minimize_scalar(minus_ll, bounds=(-10.0, 10.0), method="bounded",
                            options={"xatol": 1e-10})  # fmt: skip
    return 2.0 * (best + float(found.fun))


def test_profile_bounds_are_where_the_profile_deviance_reaches_the_chi2_quantile() -> None:
    alive = [1000, 869, 743, 653, 593, 551, 517, 491]
    model = ShiftedBetaGeo.fit_survival(alive)
    assert model.fit_info is not None
    low, high = model.profile_intervals(alive=alive)["alpha"]
    best = model.fit_info.log_likelihood
    for bound in (low, high):
        assert _deviance_with_alpha_fixed(alive, bound, best) == pytest.approx(3.8415, abs=2e-3)
    wald_low, wald_high = model.fit_info.intervals()["alpha"]
    assert low > wald_low and high > wald_high  # the profile is skewed to the right here


def test_profile_intervals_from_individual_tenures() -> None:
    tenure = [1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 6, 6] * 20
    churned = [1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0] * 20
    model = ShiftedBetaGeo.fit_individual(tenure, churned)
    bounds = model.profile_intervals(tenure=tenure, churned=churned, level=0.9)
    for name, (low, high) in bounds.items():
        assert low < getattr(model, name) < high


def test_profile_intervals_refuse_missing_or_other_data() -> None:
    alive = [1000, 869, 743, 653, 593, 551, 517, 491]
    model = ShiftedBetaGeo.fit_survival(alive)
    with pytest.raises(ValidationError, match=r"^give the data the model was fitted to"):
        model.profile_intervals()
    with pytest.raises(ValidationError, match=r"not both and not neither"):
        model.profile_intervals(alive=alive, tenure=[1], churned=[1])
    with pytest.raises(ValidationError, match=r"is not the maximum-likelihood fit of these data"):
        model.profile_intervals(alive=[1000, 700, 500, 400, 350])
