"""The model-independent covariate machinery: terms, per-row parameters, the chain rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relmark.exceptions import ValidationError
from relmark.models._covariates import Effects, Link, covariate_objective

LINKS = (
    Link("alpha", "purchase", -1),
    Link("a", "dropout", 1),
    Link("b", "dropout", 1),
)
ORDER = ("r", "alpha", "a", "b")


def test_terms_are_named_by_process_and_by_parameter_where_a_process_links_several() -> None:
    effects = Effects.specify(
        LINKS, {"purchase": ["channel"], "dropout": ["channel", "age"]}, model="BetaGeo"
    )
    assert effects.names == (
        "purchase[channel]",
        "dropout.a[channel]",
        "dropout.a[age]",
        "dropout.b[channel]",
        "dropout.b[age]",
    )
    assert effects.covariates == ("channel", "age")
    assert effects.multipliers == (1.0,) * 5


def test_a_shared_covariate_has_one_coefficient_in_every_process() -> None:
    effects = Effects.specify(LINKS, ["channel"], shared=["channel"], model="BetaGeo")
    assert effects.names == ("shared[channel]",)
    assert [(t.parameter, t.sign) for t in effects.terms] == [("alpha", -1), ("a", 1), ("b", 1)]


@pytest.mark.parametrize(
    ("covariates", "shared", "penalty", "error", "message"),
    [
        ({"spend": ["x"]}, (), 0.0, ValidationError, "unknown process.*'spend'.*'purchase'"),
        ("channel", (), 0.0, TypeError, r"got the string 'channel'; write \['channel'\]"),
        ({"purchase": "x"}, (), 0.0, TypeError, r"`covariates\['purchase'\]` must be a sequence"),
        ({"purchase": ["x", "x"]}, (), 0.0, ValidationError, "repeats 'x'"),
        ({"purchase": ["x"]}, ["x"], 0.0, ValidationError, "must enter at least two processes"),
        ({"purchase": []}, (), 0.0, ValidationError, "chooses no covariate"),
        ({"purchase": ["x"]}, (), -1.0, ValidationError, "penalty"),
    ],
)
def test_bad_choices_are_refused_naming_the_argument(
    covariates: object, shared: object, penalty: float, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Effects.specify(LINKS, covariates, shared=shared, penalty=penalty, model="BetaGeo")  # type: ignore[arg-type]


def test_multipliers_must_match_the_coefficients() -> None:
    effects = Effects.specify(LINKS, {"purchase": ["x"]}, model="BetaGeo")
    with pytest.raises(ValidationError, match="one value for each of 1 coefficients"):
        effects.with_multipliers([1.0, 2.0])


def test_row_parameters_follow_the_links() -> None:
    effects = Effects.specify(
        LINKS, {"purchase": ["x"], "dropout": ["x"]}, model="BetaGeo"
    ).with_multipliers(np.exp([0.5, -0.2, 0.3]))
    design = np.array([[0.0], [1.0], [2.0]])
    base = {"r": 0.3, "alpha": 4.0, "a": 0.8, "b": 2.5}
    params = effects.row_parameters(base, np.array([0.5, -0.2, 0.3]), design, ORDER)
    z = design[:, 0]
    np.testing.assert_allclose(params[0], 0.3)
    np.testing.assert_allclose(params[1], 4.0 * np.exp(-0.5 * z), rtol=1e-15)
    np.testing.assert_allclose(params[2], 0.8 * np.exp(-0.2 * z), rtol=1e-15)
    np.testing.assert_allclose(params[3], 2.5 * np.exp(0.3 * z), rtol=1e-15)


def _toy_kernel(params: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ll_i = sum_k x_i log(theta_ki) - theta_ki: scores x_i - theta_ki in log-parameters."""
    ll = (x * np.log(params) - params).sum(axis=0)
    return ll, x - params


@settings(max_examples=30, deadline=None)
@given(
    gamma=st.lists(st.floats(-2.0, 2.0), min_size=5, max_size=5),
    penalty=st.sampled_from([0.0, 0.7]),
)
def test_the_gradient_is_the_derivative_of_the_objective(
    gamma: list[float], penalty: float
) -> None:
    rng = np.random.default_rng(3)
    design = rng.normal(size=(40, 2))
    x = rng.gamma(2.0, size=40)
    weights = rng.integers(1, 4, size=40).astype(float)
    effects = Effects.specify(
        LINKS, {"purchase": ["u", "v"], "dropout": ["u"]}, penalty=penalty, model="BetaGeo"
    )
    objective = covariate_objective(_toy_kernel, (x,), weights, design, effects, ORDER)
    theta = np.concatenate([[0.5, 2.0, 0.8, 1.5], np.exp(gamma[: len(effects.names)])])
    value, gradient = objective(theta)
    step = 1e-6
    for j in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[j] *= np.exp(step)
        down[j] *= np.exp(-step)
        numeric = (objective(up)[0] - objective(down)[0]) / (2 * step)  # d/d log theta_j
        assert gradient[j] * theta[j] == pytest.approx(numeric, rel=1e-6, abs=1e-6)
    assert np.isfinite(value)


def test_the_penalty_adds_lambda_times_the_squared_coefficients() -> None:
    design = np.array([[1.0], [0.0]])
    x = np.array([1.0, 2.0])
    plain = Effects.specify(LINKS, {"purchase": ["u"]}, model="BetaGeo")
    penalised = Effects.specify(LINKS, {"purchase": ["u"]}, penalty=2.0, model="BetaGeo")
    theta = np.array([0.5, 2.0, 0.8, 1.5, np.exp(0.4)])
    weights = np.ones(2)
    a = covariate_objective(_toy_kernel, (x,), weights, design, plain, ORDER)(theta)[0]
    b = covariate_objective(_toy_kernel, (x,), weights, design, penalised, ORDER)(theta)[0]
    assert b - a == pytest.approx(2.0 * 0.4**2, rel=1e-12)


@pytest.mark.parametrize("penalty", [0.0, 0.7])
def test_the_structured_hessian_is_the_derivative_of_the_gradient(penalty: float) -> None:
    rng = np.random.default_rng(4)
    design = rng.normal(size=(50, 2))
    x = rng.gamma(2.0, size=50)
    weights = rng.integers(1, 4, size=50).astype(float)
    effects = Effects.specify(
        LINKS,
        {"purchase": ["u", "v"], "dropout": ["u"]},
        shared=["u"],
        penalty=penalty,
        model="BetaGeo",
    )
    objective = covariate_objective(_toy_kernel, (x,), weights, design, effects, ORDER)
    theta = np.concatenate(
        [[0.5, 2.0, 0.8, 1.5], np.exp([0.3, -0.2, 0.1, 0.4][: len(effects.names)])]
    )

    def log_gradient(u: np.ndarray) -> np.ndarray:
        return objective(np.exp(u))[1] * np.exp(u)

    u, step = np.log(theta), 1e-6
    numeric = np.column_stack(
        [
            (log_gradient(u + step * e) - log_gradient(u - step * e)) / (2 * step)
            for e in np.eye(u.size)
        ]
    )
    np.testing.assert_allclose(objective.hessian(theta, 1e-7), numeric, rtol=1e-5, atol=1e-6)
