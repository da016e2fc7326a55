"""The shared fitting core: honest failures, start values, covariance, BLAS threads."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import relmark
from relmark import (
    BetaGeo,
    BetaGeoBetaBinom,
    ConvergenceError,
    CustomerSummary,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
    ValidationError,
)
from relmark.datasets import cdnow_sample_summary
from relmark.models._fitting import maximize_likelihood

PURCHASE_MODELS = [BetaGeo, ModifiedBetaGeo, ParetoNBD]


def summary(x: Any, t_x: Any, T: Any) -> CustomerSummary:
    return CustomerSummary.from_arrays(x, t_x, T)


_rng = np.random.default_rng(5)
# Each situation in which a customer-base fit has no interior maximum, and the
# words its error must use to say what in the data causes it.
DEGENERATE = {
    "one customer": (summary([3], [20.0], [30.0]), "only one customer"),
    "two rows": (summary([3, 1], [20.0, 5.0], [30.0, 30.0]), "only 2 distinct histories"),
    "one shared history": (summary([2] * 500, [10.0] * 500, [30.0] * 500), "same history"),
    "frequency 10,000": (
        summary(np.full(200, 10_000), 30.0 * (1 - _rng.uniform(0, 1e-3, 200)), np.full(200, 30.0)),
        "exactly 10,000 repeat purchases",
    ),
    "huge T": (summary([3, 0, 1, 5], [2e4, 0, 1e4, 9e4], [1e5] * 4), "T reaches 1e+05"),
    "no repeat purchase": (
        summary([0] * 50, [0.0] * 50, np.linspace(10.0, 40.0, 50)),
        "none of the 50 customers made a repeat purchase",
    ),
}


@pytest.mark.parametrize("model", PURCHASE_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("case", list(DEGENERATE))
def test_degenerate_purchase_data_raise_with_the_cause(model: type[BetaGeo], case: str) -> None:
    data, cause = DEGENERATE[case]
    with pytest.raises(ConvergenceError, match="found no interior maximum") as caught:
        model.fit(data)
    message = str(caught.value)
    assert f"Likely cause in the data: {cause}" in message or cause in message
    assert "What to do:" in message
    assert caught.value.params is not None and set(caught.value.params) == set(
        model(
            **{n: 1.0 for n in ("r", "alpha", "a", "b", "s", "beta") if n in _names(model)}
        ).params
    )


def _names(model: type[Any]) -> tuple[str, ...]:
    return {"ParetoNBD": ("r", "alpha", "s", "beta")}.get(model.__name__, ("r", "alpha", "a", "b"))


@pytest.mark.parametrize(
    ("fit", "cause"),
    [
        (lambda: BetaGeoBetaBinom.fit(summary([0] * 20, [0] * 20, [6] * 20)), "none of the 20"),
        (lambda: BetaGeoBetaBinom.fit(summary([3], [5], [6])), "only one customer"),
        (lambda: ShiftedBetaGeo.fit_survival([100, 0]), "cancelled in their first period"),
        (lambda: ShiftedBetaGeo.fit_survival([100, 60]), "every tenure ends in period 1"),
        (
            lambda: GammaGamma.fit(
                CustomerSummary.from_arrays(
                    [2, 0, 0], [5.0, 0, 0], [10.0] * 3, monetary_value=[20.0, 0, 0]
                )
            ),
            "only one customer made a repeat purchase",
        ),
        (
            lambda: GammaGamma.fit(
                CustomerSummary.from_arrays(
                    np.arange(1, 50), [5.0] * 49, [10.0] * 49, monetary_value=[20.0] * 49
                )
            ),
            "spent the same mean amount",
        ),
    ],
    ids=["bgbb-no-repeat", "bgbb-one", "sbg-all-first", "sbg-one-period", "gg-one", "gg-same"],
)
def test_other_models_raise_with_the_cause(fit: Callable[[], Any], cause: str) -> None:
    with pytest.raises(ConvergenceError, match=re.escape(cause)):
        fit()


def test_a_flat_direction_is_named() -> None:
    # The likelihood depends on a * b only: any point on a hyperbola is a maximum.
    def flat(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = theta
        value = (np.log(a * b) - 1.0) ** 2
        d = 2.0 * (np.log(a * b) - 1.0)
        return float(value), np.array([d / a, d / b])

    with pytest.raises(ConvergenceError, match="flat in a and b moving together") as caught:
        maximize_likelihood(
            "Toy",
            ("a", "b"),
            flat,
            [1.0, 1.0],
            n_customers=10.0,
            n_rows=1,
            explain=lambda: "a toy",
        )
    assert "Likely cause in the data: a toy." in str(caught.value)
    assert caught.value.params is not None
    assert np.log(caught.value.params["a"] * caught.value.params["b"]) == pytest.approx(1.0)


def test_a_parameter_running_off_is_named() -> None:
    def decreasing(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return float(1.0 / theta[0]), np.array([-1.0 / theta[0] ** 2])

    with pytest.raises(ConvergenceError, match=r"flat in c \(heading to infinity\)"):
        maximize_likelihood("Toy", ("c",), decreasing, [1.0], n_customers=1.0, n_rows=1)


def test_published_fits_report_an_interior_maximum() -> None:
    cdnow = cdnow_sample_summary()
    for model in PURCHASE_MODELS:
        info = model.fit(cdnow).fit_info
        assert info is not None
        assert np.all(np.linalg.eigvalsh(info.covariance) > 0)
        assert info.names == tuple(model.fit(cdnow).params)


@pytest.mark.parametrize(
    ("model", "start", "error", "message"),
    [
        (BetaGeo, {"r": 1.0, "alpha": 1.0, "a": 1.0}, ValidationError, "missing 'b'"),
        (
            BetaGeo,
            {"r": 1, "alfa": 1, "a": 1, "b": 1},
            ValidationError,
            "unknown parameter.*'alfa'",
        ),
        (ParetoNBD, {"r": 1.0}, ValidationError, "missing 'alpha', 's', 'beta'"),
        (BetaGeo, {"r": 1, "alpha": -1, "a": 1, "b": 1}, ValidationError, r"start\['alpha'\]"),
        (BetaGeo, [1.0, 1.0, 1.0, 1.0], TypeError, "`start` must be a mapping"),
        (GammaGamma, {"p": 1.0, "q": 1.0}, ValidationError, "missing 'gamma'"),
        (BetaGeoBetaBinom, {"alpha": 1.0}, ValidationError, "missing 'beta'"),
    ],
)
def test_bad_start_values_raise(model: Any, start: Any, error: type, message: str) -> None:
    data = cdnow_sample_summary()
    if model is BetaGeoBetaBinom:
        data = summary([0, 1, 2], [0, 3, 5], [6, 6, 6])
    with pytest.raises(error, match=message):
        model.fit(data, start=start)


def test_sbg_start_values_are_checked() -> None:
    with pytest.raises(ValidationError, match=r"unknown parameter.*'gamma'"):
        ShiftedBetaGeo.fit_survival([1000, 869, 743], start={"alpha": 1, "beta": 1, "gamma": 1})


def test_covariance_is_the_inverse_observed_information() -> None:
    # Independent check: the Hessian of the log-likelihood *values* by central
    # differences (no gradient code), on the scale of the parameters' logarithms.
    cdnow = cdnow_sample_summary()
    model = BetaGeo.fit(cdnow)
    info = model.fit_info
    assert info is not None
    u0 = np.log(np.array(list(model.params.values())))

    def loglik(u: np.ndarray) -> float:
        return BetaGeo(**dict(zip(info.names, np.exp(u), strict=True))).log_likelihood(cdnow)

    h, k = 1e-4, u0.size
    hessian = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            e_i, e_j = np.eye(k)[i] * h, np.eye(k)[j] * h
            hessian[i, j] = -(
                loglik(u0 + e_i + e_j)
                - loglik(u0 + e_i - e_j)
                - loglik(u0 - e_i + e_j)
                + loglik(u0 - e_i - e_j)
            ) / (4 * h * h)
    independent = np.linalg.inv(hessian)
    scale = np.sqrt(np.outer(np.diag(independent), np.diag(independent)))
    np.testing.assert_allclose(np.diag(info.log_covariance), np.diag(independent), rtol=1e-4)
    np.testing.assert_allclose(info.log_covariance / scale, independent / scale, atol=1e-4)
    theta = np.exp(u0)
    np.testing.assert_allclose(info.covariance, np.outer(theta, theta) * info.log_covariance)
    assert list(info.stderr.values()) == pytest.approx(np.sqrt(np.diag(info.covariance)).tolist())
    assert not info.covariance.flags.writeable and not info.log_covariance.flags.writeable


def test_the_optimiser_runs_on_one_blas_thread_and_restores_the_callers() -> None:
    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    seen: list[list[int]] = []

    def quadratic(theta: np.ndarray) -> tuple[float, np.ndarray]:
        seen.append([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"])
        return float(np.sum((np.log(theta) - 1.0) ** 2)), 2.0 * (np.log(theta) - 1.0) / theta

    theta, _ = maximize_likelihood(
        "Toy", ("a", "b"), quadratic, [1.0, 2.0], n_customers=1.0, n_rows=1
    )
    assert theta == pytest.approx([np.e, np.e])
    assert seen and all(threads == [1] * len(before) for threads in seen)
    after = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert after == before


def test_fit_info_has_no_converged_flag() -> None:
    # A FitInfo exists only for an interior maximum; failures raise instead.
    info = BetaGeo.fit(cdnow_sample_summary()).fit_info
    assert not hasattr(info, "converged")
    assert relmark.ConvergenceError("x").params is None


def test_intervals_are_wald_on_the_log_scale_and_the_table_shows_them() -> None:
    info = GammaGamma.fit(cdnow_sample_summary()).fit_info
    assert info is not None
    bounds = info.intervals(0.9)
    for name, value, log_se in zip(
        info.names, info.estimates, np.sqrt(np.diag(info.log_covariance)), strict=True
    ):
        low, high = bounds[name]
        assert np.log(high / value) == pytest.approx(1.6448536269514722 * log_se)
        assert np.log(value / low) == pytest.approx(1.6448536269514722 * log_se)
    lines = info.table(0.9).splitlines()
    assert lines[0].split() == ["parameter", "estimate", "std.", "error", "90%", "interval"]
    assert [line.split()[0] for line in lines[1:4]] == ["p", "q", "gamma"]
    assert f"{bounds['q'][0]:.4g} - {bounds['q'][1]:.4g}" in lines[2]
    with pytest.raises(ValidationError, match="`level` must be < 1"):
        info.intervals(1.0)
