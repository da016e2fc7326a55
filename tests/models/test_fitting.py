"""The shared fitting core: honest failures, start values, covariance, BLAS threads."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pytest
from scipy import optimize
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
from relmark.models._fitting import maximize_likelihood, profile_likelihood_intervals

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


# -- information criteria, equality, pickling ----------------------------------------------


def test_information_criteria_by_hand() -> None:
    # BG/NBD on the CDNOW sample: LL = -9582.4 (Fader, Hardie & Lee 2005, section 5), k = 4,
    # n = 2,357 customers. AIC = 2k - 2LL; BIC = k ln n - 2LL (CLVTools' and lifetimes' n).
    cdnow = cdnow_sample_summary()
    model = BetaGeo.fit(cdnow)
    info = model.fit_info
    assert info is not None
    log_likelihood = model.log_likelihood(cdnow)  # independent of the fit's own figure
    assert info.log_likelihood == pytest.approx(log_likelihood, abs=1e-6)
    assert info.n_parameters == 4
    assert info.aic == pytest.approx(8.0 - 2.0 * log_likelihood, abs=1e-6)
    assert info.bic == pytest.approx(4.0 * np.log(2357.0) - 2.0 * log_likelihood, abs=1e-6)
    assert round(info.aic, 1) == 19172.9 and round(info.bic, 1) == 19195.9
    gg = GammaGamma.fit(cdnow).fit_info
    assert gg is not None and gg.n_customers == 946  # BIC's n: the repeat buyers it fits
    assert gg.bic - gg.aic == pytest.approx(3 * np.log(946.0) - 6.0)


def test_fit_info_compares_by_value_and_pickles_read_only() -> None:
    info = BetaGeo.fit(cdnow_sample_summary()).fit_info
    assert info is not None
    copy = pickle.loads(pickle.dumps(info))
    assert copy == info and copy is not info
    assert not copy.covariance.flags.writeable and not copy.log_covariance.flags.writeable
    other = attrs.evolve(info, covariance=info.covariance * 2.0)
    assert other != info
    assert hash(copy) == hash(info)


# -- profile likelihood ---------------------------------------------------------------------

Z95 = 1.959963984540054


def _quadratic(mean: np.ndarray, precision: np.ndarray) -> Callable[..., Any]:
    """A log-likelihood exactly quadratic in log-parameters: profile = Wald, exactly."""

    def neg_log_likelihood(theta: np.ndarray) -> tuple[float, np.ndarray]:
        d = np.log(theta) - mean
        return float(0.5 * d @ precision @ d), (precision @ d) / theta

    return neg_log_likelihood


def test_profile_of_a_quadratic_log_likelihood_is_the_wald_interval() -> None:
    mean = np.log(np.array([2.0, 0.5, 7.0]))
    covariance = np.array([[0.04, 0.01, -0.005], [0.01, 0.09, 0.02], [-0.005, 0.02, 0.01]])
    objective = _quadratic(mean, np.linalg.inv(covariance))
    names = ("a", "b", "c")
    _, info = maximize_likelihood(
        "Toy", names, objective, [1.0, 1.0, 1.0], n_customers=1.0, n_rows=1
    )
    bounds = profile_likelihood_intervals("Toy", objective, info, level=0.95)
    for j, name in enumerate(names):
        half = Z95 * np.sqrt(covariance[j, j])
        assert bounds[name] == pytest.approx(
            (np.exp(mean[j] - half), np.exp(mean[j] + half)), rel=1e-6
        )
    assert list(bounds) == list(names)
    only = profile_likelihood_intervals("Toy", objective, info, level=0.5, parameters=["c"])
    half = 0.6744897501960817 * np.sqrt(covariance[2, 2])
    assert only == {"c": pytest.approx((np.exp(mean[2] - half), np.exp(mean[2] + half)))}


def test_a_profile_that_never_reaches_the_threshold_reports_an_open_side() -> None:
    # L(u) = exp(-u^2 / 2) + 0.2 / (1 + exp(-5u)): to the left it falls to 0, so the lower
    # bound is finite; to the right it levels off at 0.2, a deviance of at most
    # 2 ln(1.2 / 0.2) = 3.58 < 3.84, so the data set no upper bound at 95 %.
    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        u = float(np.log(theta[0]))
        s = 1.0 / (1.0 + np.exp(-5.0 * u))
        value = np.exp(-u * u / 2) + 0.2 * s
        slope = -u * np.exp(-u * u / 2) + 0.2 * 5.0 * s * (1.0 - s)
        return float(-np.log(value)), np.array([-slope / value / theta[0]])

    _, info = maximize_likelihood("Toy", ("c",), objective, [1.0], n_customers=1.0, n_rows=1)
    (lower, upper) = profile_likelihood_intervals("Toy", objective, info)["c"]
    assert upper == np.inf
    u_hat = np.log(info.estimates[0])
    best = -objective(np.array(info.estimates))[0]
    # the lower bound solves 2 (LL_max - LL(u)) = z^2 on the left
    root = optimize.brentq(
        lambda u: 2 * (best + objective(np.array([np.exp(u)]))[0]) - Z95**2, -10.0, u_hat
    )
    assert lower == pytest.approx(np.exp(root), rel=1e-7)


def _brute_force_profile_bound(
    model: BetaGeo, data: CustomerSummary, name: str, direction: float
) -> float:
    """One end of the 95 % profile interval by a grid, without relmark's optimiser or gradients.

    The other parameters are re-maximised by Nelder-Mead on ``model.log_likelihood`` at
    each grid point in log(parameter); a coarse grid brackets the crossing of the
    chi-square threshold, a fine one locates it by linear interpolation.
    """
    names = model.parameter_names()
    j = names.index(name)
    best = model.log_likelihood(data)
    others = np.delete(np.log(np.array(list(model.params.values()))), j)

    def deviance(u: float) -> float:
        nonlocal others

        def minus(v: np.ndarray) -> float:
            theta = np.exp(np.insert(v, j, u))
            return -type(model)(**dict(zip(names, theta, strict=True))).log_likelihood(data)

        result = optimize.minimize(
            minus, others, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10}
        )
        others = result.x
        return 2.0 * (best + float(result.fun))

    inside = np.log(model.params[name])
    outside = inside + direction * 0.25
    while deviance(outside) < Z95**2:
        inside, outside = outside, outside + direction * 0.25
    grid = np.linspace(inside, outside, 7)
    values = np.array([deviance(u) for u in grid])
    k = int(np.argmax(values >= Z95**2))
    u = grid[k - 1] + (Z95**2 - values[k - 1]) * (grid[k] - grid[k - 1]) / (
        values[k] - values[k - 1]
    )
    return float(np.exp(u))


def test_profile_intervals_match_a_brute_force_grid_on_a_small_base() -> None:
    # 200 simulated customers: the likelihood is far from quadratic in b.
    data = BetaGeo(r=0.5, alpha=5.0, a=0.8, b=2.5).simulate(200, 39.0, rng=4).compress()
    model = BetaGeo.fit(data)
    low, high = model.profile_intervals(data, parameters=["b"])["b"]
    assert low == pytest.approx(_brute_force_profile_bound(model, data, "b", -1.0), rel=1e-3)
    assert high == pytest.approx(_brute_force_profile_bound(model, data, "b", 1.0), rel=1e-3)
    # ... and there Wald misleads: its upper end is 40 % short of the profile's
    wald_low, wald_high = model.fit_info.intervals()["b"]  # type: ignore[union-attr]
    assert high / wald_high > 1.4 and low / wald_low > 1.1


def test_wald_and_profile_agree_on_cdnow_where_the_likelihood_is_near_quadratic() -> None:
    cdnow = cdnow_sample_summary()
    model = BetaGeo.fit(cdnow)
    profile = model.profile_intervals(cdnow)
    wald = model.fit_info.intervals()  # type: ignore[union-attr]
    for name in ("r", "alpha"):  # the purchase process: 2,357 customers pin it down
        assert profile[name] == pytest.approx(wald[name], rel=5e-3)
    for name in ("a", "b"):  # dropout, seen in fewer customers: profile is right-skewed
        assert profile[name][1] > wald[name][1]
    nbd = relmark.NBD.fit(cdnow)
    for name, bounds in nbd.profile_intervals(cdnow).items():
        assert bounds == pytest.approx(nbd.fit_info.intervals()[name], rel=5e-3)  # type: ignore[union-attr]


def test_profile_intervals_need_the_maximum_of_that_summary() -> None:
    cdnow = cdnow_sample_summary()
    published = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)  # rounded: not the maximum
    with pytest.raises(ValidationError, match="not the maximum-likelihood fit of `summary`"):
        published.profile_intervals(cdnow)
    fitted = BetaGeo.fit(cdnow)
    with pytest.raises(ValidationError, match=r"unknown parameter.*'beta'"):
        fitted.profile_intervals(cdnow, parameters=["beta"])
    with pytest.raises(TypeError, match="`parameters` must be a sequence"):
        fitted.profile_intervals(cdnow, parameters="r")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="`level` must be < 1"):
        fitted.profile_intervals(cdnow, level=1.0)
    with pytest.raises(TypeError, match="`summary` must be a CustomerSummary"):
        fitted.profile_intervals([1, 2, 3])  # type: ignore[arg-type]


def test_profile_intervals_of_the_spend_model() -> None:
    cdnow = cdnow_sample_summary()
    model = GammaGamma.fit(cdnow)
    profile = model.profile_intervals(cdnow, level=0.9)
    wald = model.fit_info.intervals(0.9)  # type: ignore[union-attr]
    for name, (low, high) in profile.items():
        assert low < model.params[name] < high
        assert (low, high) == pytest.approx(wald[name], rel=0.1)


def _donations() -> CustomerSummary:
    from tests.models.test_summary_report import donations

    return donations()


@pytest.mark.parametrize(
    ("model", "data", "parameter"),
    [
        (ModifiedBetaGeo, cdnow_sample_summary, "b"),
        (ParetoNBD, cdnow_sample_summary, "s"),
        (BetaGeoBetaBinom, _donations, "delta"),
        (relmark.NBD, cdnow_sample_summary, "alpha"),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_profile_intervals_of_every_summary_model_are_nested_and_bracket_the_estimate(
    model: Any, data: Callable[[], CustomerSummary], parameter: str
) -> None:
    customers = data()
    fitted = model.fit(customers)
    estimate = fitted.params[parameter]
    low95, high95 = fitted.profile_intervals(customers, parameters=[parameter])[parameter]
    low80, high80 = fitted.profile_intervals(customers, 0.8, [parameter])[parameter]
    assert low95 < low80 < estimate < high80 < high95
    wald = fitted.fit_info.intervals()[parameter]
    assert (low95, high95) == pytest.approx(wald, rel=0.4)


def test_a_profile_whose_other_parameters_run_off_uses_the_best_point_reached() -> None:
    # As c grows, d's precision exp(-log c) fades, and at the far end the conditional fit of d
    # finds no interior maximum (ConvergenceError): the profile of c still is the 1-D function
    # of the test above (d = 1 is optimal for every c), with no upper bound.
    def one_dimensional(u: float) -> float:
        return float(np.exp(-u * u / 2) + 0.2 / (1.0 + np.exp(-5.0 * u)))

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        u, v = np.log(theta)
        s = 1.0 / (1.0 + np.exp(-5.0 * u))
        value = np.exp(-u * u / 2) + 0.2 * s
        slope = -u * np.exp(-u * u / 2) + 0.2 * 5.0 * s * (1.0 - s)
        w = np.exp(-u)
        du = -slope / value - 0.5 * w * v * v
        return float(-np.log(value) + 0.5 * w * v * v), np.array([du, w * v]) / theta

    failures: list[str] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        try:
            return maximize_likelihood(*args, **kwargs)
        except ConvergenceError as error:
            failures.append(str(error))
            raise

    _, info = maximize_likelihood("Toy", ("c", "d"), objective, [1.0, 2.0], n_customers=1.0,
                                  n_rows=1)  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("relmark.models._fitting.maximize_likelihood", recording)
        lower, upper = profile_likelihood_intervals("Toy", objective, info, parameters=["c"])["c"]
    assert failures and all("found no interior maximum" in text for text in failures)
    assert upper == np.inf
    best = np.log(one_dimensional(float(np.log(info.estimates[0]))))
    root = optimize.brentq(
        lambda u: 2 * (best - np.log(one_dimensional(u))) - Z95**2, -10.0, np.log(info.estimates[0])
    )
    assert lower == pytest.approx(np.exp(root), rel=1e-6)
