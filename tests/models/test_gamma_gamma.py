"""Tests for the Gamma-Gamma spend model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relmark
from relmark import CustomerSummary, GammaGamma, ValidationError
from relmark.datasets import cdnow_sample_summary
from relmark.models.gamma_gamma import _SpendStatistics
from tests.strategies import invalid_parameters, log_uniform


def _simulate(n: int, p: float, q: float, gamma: float, seed: int) -> CustomerSummary:
    """Draw repeat buyers: nu ~ Gamma(q, rate gamma), mean of x spends ~ Gamma(px, rate nu x)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 15, size=n).astype(float)
    nu = rng.gamma(q, 1.0 / gamma, size=n)
    m = rng.gamma(p * x, 1.0 / (nu * x))
    return CustomerSummary.from_arrays(x, np.ones(n), np.full(n, 2.0), monetary_value=m)


def test_cdnow_reference_fit() -> None:
    # Fader, Hardie & Lee (2005), "RFM and CLV", JMR 42(4), p. 424, and Fader & Hardie (2013),
    # "The Gamma-Gamma model of monetary value": p = 6.25, q = 3.74, gamma = 15.44 on the
    # 946 repeat buyers of the 2,357-customer CDNOW sample (39-week calibration period).
    model = GammaGamma.fit(cdnow_sample_summary())
    assert model.fit_info is not None
    assert model.fit_info.n_customers == 946
    assert round(model.p, 2) == 6.25
    assert round(model.q, 2) == 3.74
    assert round(model.gamma, 2) == 15.44
    # Population mean spend p*gamma/(q-1) ~ $35.2 (Fader & Hardie 2013, section 3).
    assert model.population_mean_spend() == pytest.approx(35.2, abs=0.05)
    assert model.fit_info.log_likelihood == pytest.approx(-4055.918, abs=1e-3)
    assert all(math.isfinite(v) and v > 0 for v in model.fit_info.stderr.values())


def test_matches_lifetimes_fit_on_cdnow() -> None:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    summary = cdnow_sample_summary()
    repeat = summary.subset(summary.frequency > 0)
    peer = lifetimes.GammaGammaFitter().fit(
        pd.Series(repeat.frequency), pd.Series(repeat.monetary_value)
    )
    model = GammaGamma.fit(summary)
    np.testing.assert_allclose(
        [model.p, model.q, model.gamma], peer.params_[["p", "q", "v"]].to_numpy(), rtol=1e-4
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expected_spend_matches_lifetimes(seed: int) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    p, gamma = rng.uniform(0.1, 20, size=2)
    q = rng.uniform(1.05, 20)
    x = rng.integers(0, 50, size=200).astype(float)
    m = np.where(x > 0, rng.gamma(2.0, 20.0, size=200), 0.0)
    summary = CustomerSummary.from_arrays(x, np.where(x > 0, 1.0, 0.0), np.full(200, 5.0), m)
    peer = lifetimes.GammaGammaFitter()
    peer.params_ = pd.Series({"p": p, "q": q, "v": gamma})
    expected = peer.conditional_expected_average_profit(pd.Series(x), pd.Series(m))
    ours = GammaGamma(p=p, q=q, gamma=gamma).expected_spend(summary)
    np.testing.assert_allclose(ours, np.asarray(expected), rtol=1e-10)


def test_hand_computed_likelihood_and_spend() -> None:
    # x = 2, m = 30 under p = 2, q = 3, gamma = 10:
    # L = G(7)/(G(4)G(3)) * 10^3 * 30^3 * 2^4 / (10 + 60)^7
    summary = CustomerSummary.from_arrays([2], [1.0], [2.0], monetary_value=[30.0])
    model = GammaGamma(p=2.0, q=3.0, gamma=10.0)
    by_hand = math.log(720 / (6 * 2) * 1e3 * 30**3 * 16 / 70**7)
    assert model.customer_log_likelihood(summary)[0] == pytest.approx(by_hand, rel=1e-12)
    # E[M] = (gamma + m x) p / (p x + q - 1) = 70 * 2 / 6
    assert model.expected_spend(summary)[0] == pytest.approx(70 * 2 / 6, rel=1e-12)


def test_gradient_matches_finite_differences() -> None:
    summary = _simulate(300, 3.0, 4.0, 20.0, seed=5)
    x, m, w = summary.frequency, summary.monetary_value, np.linspace(0.5, 2.0, 300)
    assert m is not None
    objective = _SpendStatistics.from_rows(x, m, w).neg_log_likelihood
    for theta in ([3.0, 4.0, 20.0], [0.2, 1.5, 0.7], [40.0, 80.0, 300.0]):
        point = np.array(theta)
        _, gradient = objective(point)
        numeric = np.empty(3)
        for j in range(3):
            step = 1e-6 * point[j]
            up, down = point.copy(), point.copy()
            up[j] += step
            down[j] -= step
            numeric[j] = (objective(up)[0] - objective(down)[0]) / (2 * step)
        np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-6)


def test_grouped_objective_equals_row_by_row_likelihood() -> None:
    summary = _simulate(500, 2.0, 3.0, 9.0, seed=6)
    w = np.random.default_rng(6).uniform(0.5, 3.0, size=500)
    weighted = CustomerSummary.from_arrays(
        summary.frequency, summary.recency, summary.T, summary.monetary_value, weights=w
    )
    assert summary.monetary_value is not None
    objective = _SpendStatistics.from_rows(summary.frequency, summary.monetary_value, w)
    for p, q, gamma in [(2.0, 3.0, 9.0), (0.01, 500.0, 0.3), (300.0, 0.02, 1e3)]:
        value, _ = objective.neg_log_likelihood(np.array([p, q, gamma]))
        model = GammaGamma(p=p, q=q, gamma=gamma)
        assert -value == pytest.approx(model.log_likelihood(weighted), rel=1e-10)


def test_fit_recovers_simulated_parameters() -> None:
    model = GammaGamma.fit(_simulate(20_000, 3.0, 4.0, 20.0, seed=11))
    np.testing.assert_allclose([model.p, model.q, model.gamma], [3.0, 4.0, 20.0], rtol=0.15)


def test_weights_count_as_repetitions() -> None:
    base = _simulate(300, 3.0, 4.0, 20.0, seed=8)
    weights = np.random.default_rng(8).integers(1, 4, size=300).astype(float)
    weighted = CustomerSummary.from_arrays(
        base.frequency, base.recency, base.T, base.monetary_value, weights=weights
    )
    repeated = weighted.subset(np.repeat(np.arange(300), weights.astype(int)))
    repeated = CustomerSummary.from_arrays(
        repeated.frequency, repeated.recency, repeated.T, repeated.monetary_value
    )
    a, b = GammaGamma.fit(weighted), GammaGamma.fit(repeated)
    np.testing.assert_allclose(list(a.params.values()), list(b.params.values()), rtol=1e-4)
    assert a.log_likelihood(weighted) == pytest.approx(b.log_likelihood(repeated), rel=1e-10)


def test_fit_ignores_non_repeat_buyers_and_start_values() -> None:
    base = _simulate(2_000, 2.0, 3.0, 15.0, seed=3)
    extra = CustomerSummary.from_arrays(
        np.r_[base.frequency, np.zeros(50)],
        np.r_[base.recency, np.zeros(50)],
        np.r_[base.T, np.full(50, 2.0)],
        np.r_[base.monetary_value, np.zeros(50)],
    )
    a = GammaGamma.fit(base)
    b = GammaGamma.fit(extra, start={"p": 1.0, "q": 1.5, "gamma": 3.0})
    np.testing.assert_allclose(list(a.params.values()), list(b.params.values()), rtol=1e-4)


def test_expected_spend_shrinks_towards_population_mean() -> None:
    model = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    x = np.array([0.0, 1.0, 5.0, 50.0])
    summary = CustomerSummary.from_arrays(x, x, np.full(4, 60.0), [0.0, 100.0, 100.0, 100.0])
    spend = model.expected_spend(summary)
    assert spend[0] == pytest.approx(model.population_mean_spend())
    assert np.all(np.diff(spend) > 0)
    assert np.all(spend < 100.0)


def test_repr_params_and_immutability() -> None:
    model = GammaGamma(p=1, q=2, gamma=3)
    assert model.params == {"p": 1.0, "q": 2.0, "gamma": 3.0}
    assert isinstance(model.p, float)
    assert repr(model) == "GammaGamma(p=1, q=2, gamma=3)"
    with pytest.raises(AttributeError, match=r"^can't set attribute$"):  # frozen attrs class
        model.p = 2.0  # type: ignore[misc]
    assert relmark.GammaGamma is GammaGamma


@settings(max_examples=40)
@given(
    p=log_uniform(),
    q=log_uniform(),
    gamma=log_uniform(),
    x=st.integers(min_value=0, max_value=10_000),
    m=st.floats(min_value=1e-3, max_value=1e6),
)
def test_numerically_safe(p: float, q: float, gamma: float, x: int, m: float) -> None:
    model = GammaGamma(p=p, q=q, gamma=gamma)
    summary = CustomerSummary.from_arrays(
        [x, 1], [min(x, 1), 1.0], [1e4, 1e4], monetary_value=[m if x else 0.0, m]
    )
    repeat = summary.subset(summary.frequency > 0)
    assert np.all(np.isfinite(model.customer_log_likelihood(repeat)))
    if q > 1:
        spend = model.expected_spend(summary)
        assert np.all(np.isfinite(spend)) and np.all(spend > 0)
    else:
        with pytest.raises(ValidationError, match=r"^the expected spend needs `q` > 1 .*got q="):
            model.expected_spend(summary)


@given(
    value=invalid_parameters,
    name=st.sampled_from(["p", "q", "gamma"]),
)
def test_bad_parameters_raise_validation_error(value: float, name: str) -> None:
    params = {"p": 1.0, "q": 2.0, "gamma": 3.0, name: value}
    with pytest.raises(
        ValidationError, match=rf"^`{name}` must (be > 0, got |not be NaN$|be finite, got )"
    ):
        GammaGamma(**params)


@pytest.mark.parametrize("value", ["1", None, True, [1.0]])
def test_non_numeric_parameters_raise_type_error(value: object) -> None:
    with pytest.raises(
        TypeError, match=rf"^`gamma` must be a real number, got {type(value).__name__}$"
    ):
        GammaGamma(p=1.0, q=2.0, gamma=value)  # type: ignore[arg-type]


def test_bad_inputs() -> None:
    model = GammaGamma(p=1.0, q=2.0, gamma=3.0)
    no_money = CustomerSummary.from_arrays([1, 2], [1.0, 2.0], [3.0, 3.0])
    with pytest.raises(ValidationError, match=r"^`summary\.monetary_value` is missing; "):
        GammaGamma.fit(no_money)
    with pytest.raises(ValidationError, match=r"^`summary\.monetary_value` is missing; "):
        model.expected_spend(no_money)
    only_new = CustomerSummary.from_arrays([0, 0], [0.0, 0.0], [3.0, 3.0], [0.0, 0.0])
    with pytest.raises(ValidationError, match="repeat purchases"):
        GammaGamma.fit(only_new)
    with pytest.raises(ValidationError, match=r"^`frequency` must be > 0 here; 2 of 2 customers"):
        model.customer_log_likelihood(only_new)
    zero_spend = CustomerSummary.from_arrays([1, 2], [1.0, 2.0], [3.0, 3.0], [5.0, 0.0])
    with pytest.raises(ValidationError, match=r"1 of 2 customers .*first at index 1"):
        GammaGamma.fit(zero_spend)
    with pytest.raises(TypeError, match=r"^`summary` must be a CustomerSummary, got dict$"):
        model.expected_spend({"frequency": [1]})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^the expected spend needs `q` > 1 .*got q=0\.9$"):
        GammaGamma(p=1.0, q=0.9, gamma=3.0).population_mean_spend()
    with pytest.raises(ValidationError, match=r"^`start\['p'\]` must be > 0, got -1\.0$"):
        GammaGamma.fit(_simulate(10, 1.0, 2.0, 3.0, seed=0), start={"p": -1, "q": 1, "gamma": 1})


def test_zero_spend_repeat_buyers_can_be_scored_but_not_fitted() -> None:
    s = relmark.CustomerSummary.from_arrays([3], [5.0], [9.0], monetary_value=[0.0])
    model = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    px = 6.25 * 3
    expected = (3.74 - 1) / (px + 3.74 - 1) * model.population_mean_spend()
    assert model.expected_spend(s)[0] == pytest.approx(expected)
    with pytest.raises(
        relmark.ValidationError,
        match=r"^`monetary_value` must be > 0 where `frequency` > 0; 1 of 1 ",
    ):
        relmark.GammaGamma.fit(s)
