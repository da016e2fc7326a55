"""The sBG with churn covariates: fit, report, intervals, JSON, predictions per subscriber."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark import ShiftedBetaGeo
from relmark.data.covariates import Covariates
from relmark.exceptions import ValidationError
from relmark.models.shifted_beta_geo import _subscriber_rows

# annual-plan subscribers churn less (beta up), older ones are more alike (both move)
TRUE_BASE = {"alpha": 0.9, "beta": 2.5}
TRUE_COEFFICIENTS = {
    "churn.alpha[annual]": 0.4,
    "churn.beta[annual]": 1.0,
    "churn.alpha[age]": -0.3,
    "churn.beta[age]": 0.2,
}
CHOICE = ["annual", "age"]


def subscribers(n: int, rng: np.random.Generator) -> Covariates:
    """A binary plan and a standardised age rounded to 0.1 (so rows repeat)."""
    z = np.column_stack([rng.random(n) < 0.5, np.round(rng.normal(size=n), 1)])
    return Covariates(names=("annual", "age"), values=z.astype(np.float64))


def truth() -> ShiftedBetaGeo:
    return ShiftedBetaGeo(**TRUE_BASE).with_coefficients(TRUE_COEFFICIENTS)


def cohort(n: int, seed: int, periods: int = 24) -> tuple[np.ndarray, np.ndarray, Covariates]:
    rng = np.random.default_rng(seed)
    values = subscribers(n, rng)
    tenure, churned = truth().simulate(n, periods, rng=rng, values=values)
    return tenure, churned, values


def own_parameters(model: ShiftedBetaGeo, values: Covariates) -> tuple[np.ndarray, np.ndarray]:
    """Each subscriber's (alpha_i, beta_i) from the class Notes, written out for the test."""
    gamma = model.coefficients
    alpha = np.full(len(values), model.alpha)
    beta = np.full(len(values), model.beta)
    for j, name in enumerate(values.names):
        alpha = alpha * np.exp(values.values[:, j] * gamma.get(f"churn.alpha[{name}]", 0.0))
        beta = beta * np.exp(values.values[:, j] * gamma.get(f"churn.beta[{name}]", 0.0))
    return alpha, beta


# ----------------------------------------------------------------------------- the no-effect limit


def test_a_covariate_of_zeros_pinned_by_a_penalty_gives_the_fit_without_covariates() -> None:
    tenure, churned, _ = cohort(3000, seed=1, periods=12)
    zeros = Covariates(names=("zero",), values=np.zeros((tenure.size, 1)))
    plain = ShiftedBetaGeo.fit_individual(tenure, churned)
    pinned = ShiftedBetaGeo.fit_individual(
        tenure, churned, covariates=["zero"], values=zeros, penalty=1.0
    )
    assert set(pinned.coefficients) == {"churn.alpha[zero]", "churn.beta[zero]"}
    assert pinned.coefficients == pytest.approx(dict.fromkeys(pinned.coefficients, 0.0), abs=1e-9)
    assert pinned.alpha == pytest.approx(plain.alpha, rel=1e-6)
    assert pinned.beta == pytest.approx(plain.beta, rel=1e-6)
    assert pinned.fit_info is not None and plain.fit_info is not None
    assert pinned.fit_info.log_likelihood == pytest.approx(plain.fit_info.log_likelihood, rel=1e-10)
    assert pinned.fit_info.n_rows == plain.fit_info.n_rows  # a constant column adds no rows
    np.testing.assert_allclose(
        pinned.subscriber_survival(np.arange(zeros.values.shape[0]) % 13, zeros),
        plain.survival(np.arange(zeros.values.shape[0]) % 13),
        rtol=1e-6,
    )


def test_without_covariates_the_fit_is_the_one_on_tenures_alone() -> None:
    tenure, churned, _ = cohort(2000, seed=2, periods=12)
    fitted = ShiftedBetaGeo.fit_individual(tenure, churned)
    again = ShiftedBetaGeo.fit_individual(tenure, churned, covariates=None)
    assert fitted.params == again.params == {"alpha": fitted.alpha, "beta": fitted.beta}
    assert fitted.coefficients == {} and not fitted.effects
    assert fitted.fit_info is not None
    assert fitted.fit_info.log_likelihood == pytest.approx(
        float(fitted.individual_log_likelihood(tenure, churned).sum()), rel=1e-12
    )


def test_coefficients_zero_predict_as_the_model_without_covariates() -> None:
    _, _, values = cohort(400, seed=3)
    plain = ShiftedBetaGeo(**TRUE_BASE)
    zero = plain.with_coefficients(dict.fromkeys(TRUE_COEFFICIENTS, 0.0))
    t = np.arange(400) % 17 + 1
    churned = (np.arange(400) % 3 == 0).astype(float)
    pairs = [
        (zero.subscriber_survival(t, values), plain.survival(t)),
        (zero.subscriber_churn_probability(t, values), plain.churn_probability(t)),
        (zero.subscriber_retention_rate(t, values), plain.retention_rate(t)),
        (
            zero.subscriber_residual_lifetime(t, values, discount_rate=0.1),
            plain.expected_residual_lifetime(t, discount_rate=0.1),
        ),
        (zero.subscriber_residual_lifetime(t, values), plain.expected_residual_lifetime(t)),
        (zero.subscriber_expected_lifetime(values), np.full(400, plain.expected_lifetime())),
        (
            zero.individual_log_likelihood(t, churned, values=values),
            plain.individual_log_likelihood(t, churned),
        ),
    ]
    for with_zeros, without in pairs:
        assert with_zeros.shape == (400,)
        np.testing.assert_allclose(with_zeros, without, rtol=1e-12)


def test_a_model_without_covariates_gives_every_subscriber_the_population_prediction() -> None:
    model = ShiftedBetaGeo(alpha=0.704, beta=1.182)
    values = Covariates(names=("x",), values=[[0.0], [1.0], [2.0]])
    np.testing.assert_array_equal(model.subscriber_survival(3, values), [model.survival(3)] * 3)
    np.testing.assert_array_equal(
        model.subscriber_residual_lifetime([0, 1, 2], values, discount_rate=0.1),
        model.expected_residual_lifetime([0, 1, 2], discount_rate=0.1),
    )
    np.testing.assert_array_equal(
        model.subscriber_expected_lifetime(values), [model.expected_lifetime()] * 3
    )


# ----------------------------------------------------------------------------- per subscriber


def test_each_subscriber_predicts_as_the_model_at_their_own_parameters() -> None:
    rng = np.random.default_rng(4)
    # rows with very different parameters: the covariates reach +-3, alpha_i from 0.2 to 3
    values = Covariates(
        names=("annual", "age"),
        values=np.column_stack([rng.random(12) < 0.5, rng.uniform(-3.0, 3.0, 12)]),
    )
    model = truth()
    tenure = rng.integers(1, 40, size=12).astype(float)
    churned = (rng.random(12) < 0.5).astype(float)
    alpha, beta = own_parameters(model, values)
    assert alpha.max() / alpha.min() > 5.0
    survival = model.subscriber_survival(tenure, values)
    churn = model.subscriber_churn_probability(tenure, values)
    retention = model.subscriber_retention_rate(tenure, values)
    lifetime = model.subscriber_expected_lifetime(values)
    residual = model.subscriber_residual_lifetime(tenure, values)
    discounted = model.subscriber_residual_lifetime(tenure, values, discount_rate=0.1)
    log_likelihood = model.individual_log_likelihood(tenure, churned, values=values)
    for i in range(values.values.shape[0]):  # a handful of rows, each its own scalar model
        own = ShiftedBetaGeo(alpha=float(alpha[i]), beta=float(beta[i]))
        t = float(tenure[i])
        assert survival[i] == pytest.approx(own.survival(t), rel=1e-12)
        assert churn[i] == pytest.approx(own.churn_probability(t), rel=1e-12)
        assert retention[i] == pytest.approx(own.retention_rate(t), rel=1e-12)
        assert lifetime[i] == pytest.approx(own.expected_lifetime(), rel=1e-12)
        assert residual[i] == pytest.approx(own.expected_residual_lifetime(t), rel=1e-12)
        assert discounted[i] == pytest.approx(
            own.expected_residual_lifetime(t, discount_rate=0.1), rel=1e-12
        )
        ll = own.individual_log_likelihood([t], [churned[i]])[0]
        assert log_likelihood[i] == pytest.approx(ll, rel=1e-12)


def test_population_methods_describe_the_reference_subscriber() -> None:
    model = truth()
    reference = Covariates(names=("annual", "age"), values=[[0.0, 0.0]])
    assert model.subscriber_survival(5, reference)[0] == pytest.approx(
        ShiftedBetaGeo(**TRUE_BASE).survival(5), rel=1e-14
    )
    assert model.survival(5) == ShiftedBetaGeo(**TRUE_BASE).survival(5)


def test_annual_subscribers_are_predicted_to_stay_longer() -> None:
    model = ShiftedBetaGeo(**TRUE_BASE).with_coefficients(
        {"churn.alpha[annual]": 0.0, "churn.beta[annual]": 1.0}
    )
    plans = Covariates(names=("annual",), values=[[0.0], [1.0]])
    monthly, annual = model.subscriber_survival(6, plans)
    assert annual > monthly
    monthly_value, annual_value = model.subscriber_residual_lifetime(6, plans, discount_rate=0.1)
    assert annual_value > monthly_value


def test_simulate_draws_each_subscriber_from_their_own_parameters() -> None:
    n = 40_000
    plans = Covariates(names=("annual",), values=(np.arange(n) % 2)[:, None].astype(float))
    model = ShiftedBetaGeo(**TRUE_BASE).with_coefficients(
        {"churn.alpha[annual]": 0.0, "churn.beta[annual]": 1.0}
    )
    tenure, churned = model.simulate(n, 1, rng=5, values=plans)
    annual = plans.values[:, 0] == 1.0
    expected = model.subscriber_churn_probability(1, plans)
    for group in (annual, ~annual):  # P(churn in period 1) = alpha_i / (alpha_i + beta_i)
        p = float(expected[group][0])
        share = float(churned[group].mean())
        assert abs(share - p) < 4.0 * math.sqrt(p * (1.0 - p) / group.sum())
    assert tenure.dtype == np.int64 and int(tenure.max()) == 1


# ----------------------------------------------------------------------------- the fit itself


def test_the_fit_runs_on_distinct_covariate_tenure_rows() -> None:
    tenure, churned, values = cohort(3000, seed=6, periods=12)
    model = ShiftedBetaGeo.fit_individual(tenure, churned, covariates=CHOICE, values=values)
    distinct = set(zip(values.values[:, 0], values.values[:, 1], tenure, churned, strict=True))
    assert model.fit_info is not None
    assert model.fit_info.n_rows == len(distinct)
    assert model.fit_info.n_customers == 3000
    assert model.fit_info.names == (
        "alpha",
        "beta",
        "churn.alpha[annual]",
        "churn.alpha[age]",
        "churn.beta[annual]",
        "churn.beta[age]",
    )
    # the fit's log-likelihood is the subscribers' total; nested, it beats the fit without
    total = float(model.individual_log_likelihood(tenure, churned, values=values).sum())
    assert model.fit_info.log_likelihood == pytest.approx(total, rel=1e-10)
    plain = ShiftedBetaGeo.fit_individual(tenure, churned)
    assert plain.fit_info is not None
    assert model.fit_info.log_likelihood > plain.fit_info.log_likelihood


def test_a_process_mapping_and_a_start_give_the_same_fit() -> None:
    tenure, churned, values = cohort(2000, seed=7, periods=12)
    by_list = ShiftedBetaGeo.fit_individual(tenure, churned, covariates=["annual"], values=values)
    by_process = ShiftedBetaGeo.fit_individual(
        tenure, churned, covariates={"churn": ["annual"]}, values=values, start=TRUE_BASE
    )
    for name, value in by_list.params.items():
        assert by_process.params[name] == pytest.approx(value, rel=1e-4)


def test_the_gradient_of_the_covariate_objective_matches_finite_differences() -> None:
    tenure, churned, values = cohort(500, seed=8, periods=12)
    model = truth()
    rows = _subscriber_rows(tenure, churned, values, model.effects)
    objective = rows.objective(model.effects)
    theta = model._theta
    _, gradient = objective(theta)
    step = 1e-6
    for j in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[j] *= math.exp(step)
        down[j] *= math.exp(-step)
        numeric = (objective(up)[0] - objective(down)[0]) / (2.0 * step)
        assert gradient[j] * theta[j] == pytest.approx(numeric, rel=1e-6, abs=1e-6)


@given(
    gamma=st.lists(st.floats(-6.0, 6.0), min_size=4, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_the_likelihood_is_finite_for_extreme_coefficients(gamma: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 64
    values = Covariates(
        names=("annual", "age"),
        values=np.column_stack([rng.random(n) < 0.5, rng.uniform(-2.0, 2.0, n)]),
    )
    tenure = rng.integers(0, 200, size=n).astype(float)
    churned = ((rng.random(n) < 0.5) & (tenure >= 1)).astype(float)
    model = ShiftedBetaGeo(**TRUE_BASE).with_coefficients(
        dict(zip(TRUE_COEFFICIENTS, gamma, strict=True))
    )
    rows = _subscriber_rows(tenure, churned, values, model.effects)
    value, gradient = rows.objective(model.effects)(model._theta)
    assert math.isfinite(value) and value > 0.0
    assert np.isfinite(gradient).all()
    assert np.isfinite(model.individual_log_likelihood(tenure, churned, values=values)).all()


# ----------------------------------------------------------------------------- report and JSON


def test_summary_and_profile_intervals_cover_the_coefficients() -> None:
    tenure, churned, values = cohort(3000, seed=9, periods=12)
    model = ShiftedBetaGeo.fit_individual(tenure, churned, covariates=["annual"], values=values)
    text = model.summary().text
    assert "churn.alpha[annual]" in text and "churn.beta[annual]" in text
    assert "4 parameters" in text
    bounds = model.profile_intervals(tenure=tenure, churned=churned, values=values)
    assert model.fit_info is not None
    wald = model.fit_info.intervals()
    assert list(bounds) == list(model.params)
    for name, (lower, upper) in bounds.items():
        assert lower < model.params[name] < upper
        assert lower == pytest.approx(wald[name][0], rel=0.1)
        assert upper == pytest.approx(wald[name][1], rel=0.1)


def test_profile_intervals_of_a_penalised_fit_contain_its_estimates() -> None:
    tenure, churned, values = cohort(2000, seed=10, periods=12)
    model = ShiftedBetaGeo.fit_individual(
        tenure, churned, covariates=["annual"], values=values, penalty=5.0
    )
    bounds = model.profile_intervals(
        tenure=tenure, churned=churned, values=values, parameters=["churn.beta[annual]"]
    )
    lower, upper = bounds["churn.beta[annual]"]
    assert lower < model.params["churn.beta[annual]"] < upper


def test_a_fitted_covariate_model_survives_json() -> None:
    tenure, churned, values = cohort(2000, seed=11, periods=12)
    model = ShiftedBetaGeo.fit_individual(
        tenure, churned, covariates=CHOICE, values=values, penalty=0.5
    )
    copy = ShiftedBetaGeo.from_json(model.to_json())
    assert copy == model
    assert copy.params == model.params
    assert copy.effects == model.effects and copy.effects.penalty == 0.5
    assert copy.fit_info == model.fit_info
    np.testing.assert_array_equal(
        copy.subscriber_residual_lifetime(tenure, values, discount_rate=0.1),
        model.subscriber_residual_lifetime(tenure, values, discount_rate=0.1),
    )


# ----------------------------------------------------------------------------- errors


def test_fit_errors_name_the_argument() -> None:
    tenure, churned, values = cohort(300, seed=12, periods=12)
    fit = ShiftedBetaGeo.fit_individual
    with pytest.raises(ValidationError, match=r"need `values`"):
        fit(tenure, churned, covariates=["annual"])
    with pytest.raises(ValidationError, match=r"one row per subscriber \(299\), got 300"):
        fit(tenure[:-1], churned[:-1], covariates=["annual"], values=values)
    with pytest.raises(TypeError, match=r"`values` must be a Covariates, got ndarray"):
        fit(tenure, churned, covariates=["annual"], values=values.values)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"unknown covariate 'plan'"):
        fit(tenure, churned, covariates=["plan"], values=values)
    with pytest.raises(ValidationError, match=r"unknown process\(es\) 'dropout'"):
        fit(tenure, churned, covariates={"dropout": ["annual"]}, values=values)
    with pytest.raises(TypeError, match=r"got the string 'annual'"):
        fit(tenure, churned, covariates="annual", values=values)
    with pytest.raises(ValidationError, match=r"must enter at least two processes"):
        fit(tenure, churned, covariates=["annual"], values=values, shared=["annual"])
    with pytest.raises(ValidationError, match=r"`penalty` must be >= 0"):
        fit(tenure, churned, covariates=["annual"], values=values, penalty=-1.0)
    with pytest.raises(ValidationError, match=r"`values`, `shared` and `penalty` apply"):
        fit(tenure, churned, values=values)
    with pytest.raises(ValidationError, match=r"`values`, `shared` and `penalty` apply"):
        fit(tenure, churned, penalty=1.0)
    constant = Covariates(names=("one",), values=np.ones((tenure.size, 1)))
    with pytest.raises(ValidationError, match=r"'one' \(always 1\) take one value"):
        fit(tenure, churned, covariates=["one"], values=constant)
    with pytest.raises(ValidationError, match=r"at least one churned customer"):
        fit(np.full(300, 3.0), np.zeros(300), covariates=["annual"], values=values)


def test_prediction_errors_name_the_argument() -> None:
    model = truth()
    values = Covariates(names=("annual", "age"), values=[[0.0, 1.0], [1.0, -1.0]])
    plain = ShiftedBetaGeo(**TRUE_BASE)
    with pytest.raises(ValidationError, match=r"`t` must be one value or one per subscriber"):
        model.subscriber_survival([1, 2, 3], values)
    with pytest.raises(ValidationError, match=r"`tenure` must be >= 0"):
        model.subscriber_residual_lifetime(-1, values)
    with pytest.raises(ValidationError, match=r"`t` must be >= 1"):
        model.subscriber_retention_rate(0, values)
    with pytest.raises(ValidationError, match=r"`discount_rate` must be >= 0"):
        model.subscriber_residual_lifetime(0, values, discount_rate=-0.1)
    with pytest.raises(TypeError, match=r"`values` must be a Covariates, got list"):
        model.subscriber_expected_lifetime([[0.0, 1.0]])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"unknown covariate 'age'"):
        model.subscriber_survival(1, Covariates(names=("annual",), values=[[1.0]]))
    with pytest.raises(ValidationError, match=r"need `values`"):
        model.individual_log_likelihood([1, 2], [1, 0])
    with pytest.raises(ValidationError, match=r"one row per subscriber \(3\), got 2"):
        model.individual_log_likelihood([1, 2, 3], [1, 0, 0], values=values)
    with pytest.raises(ValidationError, match=r"need `values`"):
        model.simulate(2, 5, rng=1)
    with pytest.raises(ValidationError, match=r"one row per subscriber \(3\), got 2"):
        model.simulate(3, 5, rng=1, values=values)
    with pytest.raises(ValidationError, match=r"one row per subscriber \(3\), got 2"):
        plain.simulate(3, 5, rng=1, values=values)
    with pytest.raises(ValidationError, match=r"name each, as 'churn.alpha\[x\]'"):
        plain.with_coefficients({"churn[x]": 0.1})


def test_profile_interval_errors_name_the_data() -> None:
    tenure, churned, values = cohort(500, seed=13, periods=12)
    model = ShiftedBetaGeo.fit_individual(tenure, churned, covariates=["annual"], values=values)
    plain = ShiftedBetaGeo.fit_individual(tenure, churned)
    with pytest.raises(ValidationError, match=r"fitted to subscribers: give `tenure`"):
        model.profile_intervals(alive=[100, 80, 70])
    with pytest.raises(ValidationError, match=r"need `values`"):
        model.profile_intervals(tenure=tenure, churned=churned)
    with pytest.raises(ValidationError, match=r"`values` apply to a model with covariates"):
        plain.profile_intervals(tenure=tenure, churned=churned, values=values)
    other = model.with_coefficients({"churn.alpha[annual]": 0.0, "churn.beta[annual]": 0.0})
    with pytest.raises(ValidationError, match=r"not the maximum-likelihood fit"):
        other.profile_intervals(tenure=tenure, churned=churned, values=values)


# ----------------------------------------------------------------------------- recovery


def test_known_coefficients_are_recovered_within_four_standard_errors() -> None:
    tenure, churned, values = cohort(10_000, seed=14)
    model = ShiftedBetaGeo.fit_individual(tenure, churned, covariates=CHOICE, values=values)
    assert model.fit_info is not None
    log_se = dict(
        zip(model.fit_info.names, np.sqrt(np.diag(model.fit_info.log_covariance)), strict=True)
    )
    for name, value in TRUE_BASE.items():
        assert abs(math.log(model.params[name] / value)) < 4.0 * log_se[name]
    for name, gamma in TRUE_COEFFICIENTS.items():
        assert abs(model.coefficients[name] - gamma) < 4.0 * log_se[name]


@pytest.mark.slow
def test_standard_errors_match_the_spread_over_replications() -> None:
    # 30 cohorts of 10,000 subscribers observed 24 periods: about 2 s in all
    estimates, reported = [], []
    for seed in range(30):
        tenure, churned, values = cohort(10_000, seed=100 + seed)
        model = ShiftedBetaGeo.fit_individual(tenure, churned, covariates=CHOICE, values=values)
        assert model.fit_info is not None
        estimates.append(np.log(model._theta))
        reported.append(np.sqrt(np.diag(model.fit_info.log_covariance)))
    spread = np.std(estimates, axis=0, ddof=1)
    mean_se = np.mean(reported, axis=0)
    names = model.fit_info.names
    for name, se, sd in zip(names, mean_se, spread, strict=True):
        assert 0.75 < se / sd < 1.25, name
    truth_log = np.log([*TRUE_BASE.values()] + [math.exp(TRUE_COEFFICIENTS[n]) for n in names[2:]])
    centred = (np.mean(estimates, axis=0) - truth_log) / (spread / math.sqrt(30))
    assert (np.abs(centred) < 4.0).all()
