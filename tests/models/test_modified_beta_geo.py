"""MBG/NBD: lifetimes agreement, gradient, numeric safety, what differs from BG/NBD."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings

import relmark
from relmark import CustomerSummary, ModifiedBetaGeo, ValidationError
from relmark.datasets import cdnow_sample_summary
from relmark.models.beta_geo import _Histories, _log_likelihood
from tests.strategies import customer_histories, horizons, models


def test_cdnow_fit_matches_lifetimes() -> None:
    # lifetimes 0.11.3 ModifiedBetaGeoFitter on the same 2,357 customers (weeks):
    # r=0.524843 alpha=6.183082 a=0.891360 b=1.614003.
    model = ModifiedBetaGeo.fit(cdnow_sample_summary())
    assert model.fit_info is not None
    expected = {"r": 0.524843, "alpha": 6.183082, "a": 0.891360, "b": 1.614003}
    assert model.params == pytest.approx(expected, rel=1e-5)
    # MBG/NBD fits CDNOW about as well as BG/NBD (LL -9582.4)
    assert model.fit_info.log_likelihood == pytest.approx(-9582.14, abs=0.01)


def histories(rng: np.random.Generator, n: int) -> CustomerSummary:
    x = rng.integers(0, 30, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    return CustomerSummary.from_arrays(x, t_x, T)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_lifetimes(seed: int) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    r, alpha, a, b = np.exp(rng.uniform(-2.0, 2.0, 4))
    model = ModifiedBetaGeo(r=r, alpha=alpha, a=a, b=b)
    peer = lifetimes.ModifiedBetaGeoFitter()
    peer.params_ = pd.Series({"r": r, "alpha": alpha, "a": a, "b": b})
    s = histories(rng, 200)
    x, t_x, T = (np.array(v) for v in (s.frequency, s.recency, s.T))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(
            peer.conditional_expected_number_of_purchases_up_to_time(10.0, x, t_x, T)
        )
        alive = peer.conditional_probability_alive(x, t_x, T)
        new = peer.expected_number_of_purchases_up_to_time(np.array([0.5, 7.0, 52.0]))
        pmf = [peer.probability_of_n_purchases_up_to_time(7.0, n) for n in range(6)]
    finite = np.isfinite(expected)
    assert finite.mean() > 0.9
    assert model.expected_purchases(s, 10.0)[finite] == pytest.approx(expected[finite], rel=1e-7)
    assert model.probability_alive(s) == pytest.approx(np.asarray(alive), rel=1e-9)
    assert model.expected_purchases_new_customer(np.array([0.5, 7.0, 52.0])) == pytest.approx(
        np.asarray(new), rel=1e-9
    )
    assert model.probability_of_purchases(np.arange(6), 7.0) == pytest.approx(
        np.asarray(pmf, dtype=float), abs=1e-12
    )


def test_one_time_buyers_are_not_certainly_alive() -> None:
    model = ModifiedBetaGeo(r=0.5, alpha=6.0, a=0.9, b=1.6)
    s = CustomerSummary.from_arrays([0, 0], [0.0, 0.0], [1.0, 40.0])
    alive = model.probability_alive(s)
    assert 0.0 < alive[1] < alive[0] < 1.0
    assert relmark.BetaGeo(**model.params).probability_alive(s).tolist() == [1.0, 1.0]


def test_gradient_matches_finite_differences() -> None:
    s = histories(np.random.default_rng(3), 50).compress()
    theta = np.array([0.7, 3.0, 0.8, 2.5])
    value, gradient = _Histories.of(s, 1).neg_log_likelihood(theta)
    rows = _log_likelihood(theta, s.frequency, s.recency, s.T, 1)
    assert value == pytest.approx(-float(s.weights @ rows))
    for k in range(4):
        step = np.zeros(4)
        step[k] = 1e-6 * theta[k]
        up = _Histories.of(s, 1).neg_log_likelihood(theta + step)[0]
        down = _Histories.of(s, 1).neg_log_likelihood(theta - step)[0]
        assert gradient[k] == pytest.approx((up - down) / (2 * step[k]), rel=1e-5, abs=1e-7)


def test_probabilities_of_purchases_sum_to_one() -> None:
    model = ModifiedBetaGeo(r=0.52, alpha=6.18, a=0.89, b=1.61)
    assert model.probability_of_purchases(np.arange(400), 39.0).sum() == pytest.approx(1.0)


def test_simulated_customers_recover_the_parameters() -> None:
    truth = ModifiedBetaGeo(r=0.8, alpha=5.0, a=0.9, b=3.0)
    fitted = ModifiedBetaGeo.fit(truth.simulate(40_000, 52.0, rng=11))
    for name, value in truth.params.items():
        assert fitted.params[name] == pytest.approx(value, rel=0.15), name


@settings(max_examples=40, deadline=None)
@given(model=models(ModifiedBetaGeo), history=customer_histories(), t=horizons())
def test_predictions_stay_finite_and_bounded(
    model: ModifiedBetaGeo, history: tuple[float, float, float], t: float
) -> None:
    x, t_x, T = history
    s = CustomerSummary.from_arrays([x], [t_x], [T])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alive = model.probability_alive(s)
        soon, later = model.expected_purchases(s, t), model.expected_purchases(s, 2 * t + 1)
        ll = model.customer_log_likelihood(s)
    assert 0.0 <= alive[0] <= 1.0
    assert np.isfinite(ll).all() and np.isfinite(soon).all() and np.isfinite(later).all()
    assert 0.0 <= soon[0] <= later[0] * (1 + 1e-9) + 1e-12


def test_bad_input_raises() -> None:
    with pytest.raises(ValidationError, match=r"^`alpha` must be > 0, got -1\.0$"):
        ModifiedBetaGeo(r=1.0, alpha=-1.0, a=1.0, b=1.0)
    with pytest.raises(ValidationError, match=r"^cannot fit ModifiedBetaGeo to an empty summary$"):
        ModifiedBetaGeo.fit(CustomerSummary.from_arrays([], [], []))
