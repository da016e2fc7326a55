"""Models with static covariates: the no-effect limit, errors, predictions, intervals, recovery."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relmark
from relmark.comparison import compare
from relmark.exceptions import ValidationError

PURCHASE_MODELS: dict[str, tuple[Any, dict[str, float]]] = {
    "BetaGeo": (relmark.BetaGeo, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    "ModifiedBetaGeo": (relmark.ModifiedBetaGeo, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    "ParetoNBD": (relmark.ParetoNBD, {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0}),
}
# true coefficients: purchase faster online, dropout slower for members
TRUE_COEFFICIENTS: dict[str, dict[str, float]] = {
    "BetaGeo": {"purchase[online]": 0.5, "dropout.a[member]": -0.6, "dropout.b[member]": 0.4},
    "ModifiedBetaGeo": {
        "purchase[online]": 0.5,
        "dropout.a[member]": -0.6,
        "dropout.b[member]": 0.4,
    },
    "ParetoNBD": {"purchase[online]": 0.5, "dropout[member]": -0.6},
}
CHOICE: dict[str, dict[str, list[str]]] = {
    "BetaGeo": {"purchase": ["online"], "dropout": ["member"]},
    "ModifiedBetaGeo": {"purchase": ["online"], "dropout": ["member"]},
    "ParetoNBD": {"purchase": ["online"], "dropout": ["member"]},
}


def covariates(n: int, rng: np.random.Generator) -> relmark.Covariates:
    values = np.column_stack([rng.random(n) < 0.5, rng.random(n) < 0.4]).astype(np.float64)
    return relmark.Covariates(names=("online", "member"), values=values)


def base(name: str, n: int, seed: int) -> relmark.CustomerSummary:
    cls, params = PURCHASE_MODELS[name]
    rng = np.random.default_rng(seed)
    model = cls(**params).with_coefficients(TRUE_COEFFICIENTS[name])
    z = covariates(n, rng)
    return model.simulate(n, rng.uniform(20.0, 60.0, size=n), rng=rng, covariates=z)


def with_ids(summary: relmark.CustomerSummary) -> relmark.CustomerSummary:
    return relmark.CustomerSummary.from_arrays(
        summary.frequency,
        summary.recency,
        summary.T,
        monetary_value=summary.monetary_value,
        customer_id=np.arange(len(summary)),
        covariates=summary.covariates,
    )


@pytest.mark.parametrize("name", list(PURCHASE_MODELS))
def test_a_covariate_of_zeros_pinned_by_a_penalty_gives_the_fit_without_covariates(
    name: str,
) -> None:
    cls, _ = PURCHASE_MODELS[name]
    summary = base(name, 3000, seed=1)
    zeros = relmark.Covariates(names=("zero",), values=np.zeros((len(summary), 1)))
    with_zeros = relmark.CustomerSummary.from_arrays(
        summary.frequency, summary.recency, summary.T, covariates=zeros
    )
    plain = cls.fit(with_zeros)
    pinned = cls.fit(with_zeros, covariates=["zero"], penalty=1.0)
    assert pinned.coefficients == pytest.approx(dict.fromkeys(pinned.coefficients, 0.0), abs=1e-12)
    for key, value in plain.params.items():  # both are the maximum, to the optimiser's tolerance
        assert pinned.params[key] == pytest.approx(value, rel=2e-7)
    assert pinned.fit_info.log_likelihood == pytest.approx(plain.fit_info.log_likelihood, rel=1e-10)
    np.testing.assert_allclose(
        pinned.probability_alive(with_zeros), plain.probability_alive(with_zeros), rtol=1e-6
    )


@pytest.mark.parametrize("name", list(PURCHASE_MODELS))
def test_the_likelihood_with_coefficients_zero_is_the_model_without_covariates(name: str) -> None:
    cls, params = PURCHASE_MODELS[name]
    summary = base(name, 500, seed=2)
    plain = cls(**params)
    zero = plain.with_coefficients(dict.fromkeys(TRUE_COEFFICIENTS[name], 0.0))
    np.testing.assert_allclose(
        zero.customer_log_likelihood(summary), plain.customer_log_likelihood(summary), rtol=1e-12
    )
    np.testing.assert_allclose(
        zero.expected_purchases(summary, 10.0), plain.expected_purchases(summary, 10.0), rtol=1e-12
    )


@pytest.mark.parametrize("name", list(PURCHASE_MODELS))
def test_a_customer_predicts_as_the_model_at_their_own_parameters(name: str) -> None:
    cls, params = PURCHASE_MODELS[name]
    summary = base(name, 200, seed=3)
    model = cls(**params).with_coefficients(TRUE_COEFFICIENTS[name])
    alive = model.probability_alive(summary)
    expected = model.expected_purchases(summary, 26.0)
    assert summary.covariates is not None
    for i in (0, 1, 2, 3, 50, 199):  # a few customers, each against a model of their own
        z = dict(zip(summary.covariates.names, summary.covariates.values[i], strict=True))
        own = _at_covariates(cls, params, TRUE_COEFFICIENTS[name], z)
        one = summary.subset([i])
        own_summary = relmark.CustomerSummary.from_arrays(one.frequency, one.recency, one.T)
        assert alive[i] == pytest.approx(own.probability_alive(own_summary)[0], rel=1e-12)
        assert expected[i] == pytest.approx(own.expected_purchases(own_summary, 26.0)[0], rel=1e-12)


def _at_covariates(
    cls: Any, params: dict[str, float], coefficients: dict[str, float], z: dict[str, float]
) -> Any:
    """The model without covariates at a customer's parameters (the links written out)."""
    own = dict(params)
    for name, gamma in coefficients.items():
        head, covariate = name[:-1].split("[")
        parameter = {"purchase": "alpha", "dropout": "beta"}.get(head, head.partition(".")[2])
        sign = -1.0 if parameter in ("alpha", "beta") else 1.0
        own[parameter] *= np.exp(sign * gamma * z[covariate])
    return cls(**own)


def test_fit_errors_name_the_argument() -> None:
    summary = base("BetaGeo", 300, seed=4)
    with pytest.raises(ValidationError, match="NBD takes no covariates"):
        relmark.NBD.fit(summary, covariates=["online"])
    with pytest.raises(ValidationError, match=r"unknown process.*'spend'"):
        relmark.BetaGeo.fit(summary, covariates={"spend": ["online"]})
    plain = relmark.CustomerSummary.from_arrays(summary.frequency, summary.recency, summary.T)
    with pytest.raises(ValidationError, match="the summary has none: add them"):
        relmark.BetaGeo.fit(plain, covariates=["online"])
    ones = relmark.Covariates(names=("one",), values=np.ones((len(summary), 1)))
    constant = relmark.CustomerSummary.from_arrays(
        summary.frequency, summary.recency, summary.T, covariates=ones
    )
    with pytest.raises(ValidationError, match=r"'one' \(always 1\) take one value"):
        relmark.BetaGeo.fit(constant, covariates=["one"])
    with pytest.raises(ValidationError, match="`shared` and `penalty` apply to covariates"):
        relmark.BetaGeo.fit(summary, penalty=1.0)
    model = relmark.BetaGeo.fit(summary, covariates=CHOICE["BetaGeo"])
    with pytest.raises(ValidationError, match="has covariates \\(online, member\\)"):
        model.probability_alive(plain)
    with pytest.raises(ValidationError, match="none were given: pass `covariates`, one row per"):
        model.simulate(10, 30.0, rng=1)


def test_the_report_json_and_the_likelihood_ratio_test_cover_the_coefficients() -> None:
    summary = base("ParetoNBD", 4000, seed=5)
    plain = relmark.ParetoNBD.fit(summary)
    model = relmark.ParetoNBD.fit(summary, covariates=CHOICE["ParetoNBD"])
    assert list(model.params)[4:] == ["purchase[online]", "dropout[member]"]
    assert model.fit_info.names == tuple(model.params)
    text = model.summary().text
    assert "purchase[online]" in text and "dropout[member]" in text
    copy = relmark.ParetoNBD.from_json(model.to_json())
    assert copy.params == model.params and copy.fit_info == model.fit_info
    assert json.loads(model.to_json())["schema_version"] == 2
    np.testing.assert_array_equal(copy.probability_alive(summary), model.probability_alive(summary))
    comparison = compare({"plain": plain, "covariates": model}, summary)
    (test,) = comparison.tests
    assert (test.df, test.statistic > 20.0, test.p_value < 1e-4) == (2, True, True)


def test_a_shared_coefficient_is_one_parameter_in_both_processes() -> None:
    summary = base("ParetoNBD", 2000, seed=6)
    model = relmark.ParetoNBD.fit(summary, covariates=["online"], shared=["online"])
    assert list(model.coefficients) == ["shared[online]"]
    assert model.fit_info.n_parameters == 5


@pytest.mark.parametrize("name", list(PURCHASE_MODELS))
def test_intervals_work_for_a_model_with_covariates(name: str) -> None:
    summary = with_ids(base(name, 1500, seed=7))
    cls, _ = PURCHASE_MODELS[name]
    model = cls.fit(summary, covariates=CHOICE[name])
    for method in ("delta", "bootstrap"):
        bands = relmark.prediction_intervals(
            summary, model, horizon=26.0, method=method, n_draws=30, rng=1
        )
        alive = bands["probability_alive"]
        point = model.probability_alive(summary)
        np.testing.assert_allclose(alive.estimate, point, rtol=1e-12)
        assert bool(((alive.lower <= point + 1e-12) & (point <= alive.upper + 1e-12)).all())


@pytest.mark.parametrize("name", list(PURCHASE_MODELS))
def test_the_fit_covariance_is_the_inverse_of_the_numerical_hessian(name: str) -> None:
    cls, _ = PURCHASE_MODELS[name]
    summary = base(name, 3000, seed=8)
    model = cls.fit(summary, covariates=CHOICE[name])
    _, objective = cls._likelihood(summary, model.effects)
    u, step = np.log(model._theta), 1e-5

    def log_gradient(v: np.ndarray) -> np.ndarray:
        return objective(np.exp(v))[1] * np.exp(v)

    numeric = np.column_stack(
        [
            (log_gradient(u + step * e) - log_gradient(u - step * e)) / (2 * step)
            for e in np.eye(u.size)
        ]
    )
    np.testing.assert_allclose(
        model.fit_info.log_covariance, np.linalg.inv((numeric + numeric.T) / 2), rtol=1e-4
    )


@pytest.mark.parametrize("penalty", [0.0, 2.0])
def test_profile_intervals_of_a_multiplier_bracket_it_near_the_wald_interval(
    penalty: float,
) -> None:
    summary = base("BetaGeo", 3000, seed=9)
    model = relmark.BetaGeo.fit(summary, covariates=CHOICE["BetaGeo"], penalty=penalty)
    name = "purchase[online]"
    ((low, high),) = model.profile_intervals(summary, parameters=[name]).values()
    wald_low, wald_high = model.fit_info.intervals(0.95)[name]
    assert low < model.params[name] < high
    assert low == pytest.approx(wald_low, rel=0.02) and high == pytest.approx(wald_high, rel=0.02)


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(list(PURCHASE_MODELS)),
    gammas=st.lists(st.floats(-10.0, 10.0), min_size=3, max_size=3),
)
def test_the_likelihood_stays_finite_for_extreme_coefficients(
    name: str, gammas: list[float]
) -> None:
    cls, params = PURCHASE_MODELS[name]
    summary = _BASES[name]
    coefficients = dict(zip(TRUE_COEFFICIENTS[name], gammas, strict=False))
    model = cls(**params).with_coefficients(coefficients)
    _, objective = cls._likelihood(summary, model.effects)
    value, gradient = objective(model._theta)
    assert np.isfinite(value) and np.isfinite(gradient).all()
    alive = model.probability_alive(summary)
    assert bool(((alive >= 0.0) & (alive <= 1.0)).all())


_BASES = {name: base(name, 400, seed=10) for name in PURCHASE_MODELS}
