"""Gamma-Gamma with per-row parameters: the covariate kernel and the row-view predictions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark import CustomerSummary, GammaGamma, ValidationError
from relmark.models.gamma_gamma import _row_view, _SpendStatistics
from tests.strategies import log_uniform


def _spend_rows(n: int, seed: int, top: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """Repeat buyers' (frequency, mean spend), positive spend of varied size."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, top + 1, size=n).astype(float)
    m = rng.gamma(2.0, 15.0, size=n) + 0.01
    return x, m


def _varied(theta: np.ndarray, n: int, seed: int, spread: float = 1.0) -> np.ndarray:
    """Per-row parameters scattered around ``theta`` over about e^(+-2 spread)."""
    rng = np.random.default_rng(seed)
    return theta[:, None] * np.exp(rng.normal(0.0, spread, size=(3, n)))


@pytest.mark.parametrize("n", [40, 500])  # per-row evaluation and the per-frequency table
@given(p=log_uniform(1e-2, 1e2), q=log_uniform(1e-2, 1e2), g=log_uniform(1e-2, 1e3))
def test_row_sums_equal_the_fit_objective(n: int, p: float, q: float, g: float) -> None:
    x, m = _spend_rows(n, seed=n)
    weights = np.random.default_rng(1).uniform(0.5, 3.0, size=n)
    theta = np.array([p, q, g])
    value, gradient = _SpendStatistics.from_rows(x, m, weights).neg_log_likelihood(theta)
    ll, scores = GammaGamma._row_scores(np.repeat(theta[:, None], n, axis=1), x, m)
    scale = max(1.0, abs(value))
    assert abs(weights @ ll + value) <= 1e-10 * scale
    np.testing.assert_allclose(scores @ weights, -gradient * theta, rtol=1e-10, atol=1e-10 * scale)


def test_row_log_likelihood_is_the_customer_log_likelihood() -> None:
    x, m = _spend_rows(300, seed=3)
    summary = CustomerSummary.from_arrays(x, np.ones(300), np.full(300, 2.0), monetary_value=m)
    model = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    ll, _ = GammaGamma._row_scores(np.repeat(model._theta[:, None], 300, axis=1), x, m)
    np.testing.assert_allclose(ll, model.customer_log_likelihood(summary), rtol=1e-13)


@given(
    p=log_uniform(1e-2, 1e2),
    q=log_uniform(1e-2, 1e2),
    g=log_uniform(1e-2, 1e3),
    seed=st.integers(0, 2**16),
)
def test_scores_match_finite_differences(p: float, q: float, g: float, seed: int) -> None:
    x, m = _spend_rows(12, seed=seed, top=40)
    params = _varied(np.array([p, q, g]), 12, seed, spread=0.5)
    _, scores = GammaGamma._row_scores(params, x, m)
    step = 1e-5
    for j in range(3):
        up, down = params.copy(), params.copy()
        up[j] *= np.exp(step)
        down[j] *= np.exp(-step)
        ll_up, _ = GammaGamma._row_scores(up, x, m)
        ll_down, _ = GammaGamma._row_scores(down, x, m)
        numeric = (ll_up - ll_down) / (2.0 * step)
        size = np.abs(ll_up) + np.abs(scores[j]) + 1.0
        np.testing.assert_allclose(scores[j], numeric, rtol=1e-6, atol=1e-7 * size.max())


@given(
    values=st.lists(log_uniform(1e-6, 1e6), min_size=3, max_size=3),
    x=st.integers(1, 10_000),
    m=log_uniform(1e-4, 1e6),
)
def test_extreme_parameters_stay_finite(values: list[float], x: int, m: float) -> None:
    params = np.array(values)[:, None] * np.array([[1.0, 1e-3, 1e3]])
    xs = np.full(3, float(x))
    ll, scores = GammaGamma._row_scores(params, xs, np.full(3, m))
    assert np.all(np.isfinite(ll))
    assert np.all(np.isfinite(scores))


def _scalar(params: np.ndarray, i: int) -> GammaGamma:
    return GammaGamma(p=params[0, i], q=params[1, i], gamma=params[2, i])


# rows 0-4 far apart: p, q and gamma each over several orders of magnitude
_PARAMS = np.array(
    [
        [6.25, 0.05, 300.0, 1.5, 20.0, 2.0, 2.0, 2.0],
        [3.74, 1.2, 80.0, 40.0, 1.01, 3.0, 3.0, 3.0],
        [15.44, 0.3, 5e3, 1e-2, 900.0, 10.0, 10.0, 10.0],
    ]
)


def test_row_view_predictions_equal_scalar_models_row_by_row() -> None:
    n = _PARAMS.shape[1]
    x = np.array([2.0, 0.0, 7.0, 1.0, 30.0, 0.0, 4.0, 1.0])
    m = np.array([30.0, 0.0, 12.5, 400.0, 3.0, 0.0, 55.0, 0.2])
    view = _row_view(*_PARAMS)
    spend = view._expected_spend_rows(x, m)
    means = view._population_mean_rows()
    repeat = x > 0
    # the likelihood is of repeat buyers only: a view of their rows
    ll = _row_view(*_PARAMS[:, repeat])._log_likelihood_rows(x[repeat], m[repeat])
    for i in range(n):  # a loop over a handful of rows, in the test only
        model = _scalar(_PARAMS, i)
        one = CustomerSummary.from_arrays([x[i]], [min(x[i], 1.0)], [2.0], monetary_value=[m[i]])
        assert spend[i] == pytest.approx(model.expected_spend(one)[0], rel=1e-12)
        assert means[i] == pytest.approx(model.population_mean_spend(), rel=1e-12)
    for k, i in enumerate(np.flatnonzero(repeat)):
        model = _scalar(_PARAMS, i)
        one = CustomerSummary.from_arrays([x[i]], [1.0], [2.0], monetary_value=[m[i]])
        assert ll[k] == pytest.approx(model.customer_log_likelihood(one)[0], rel=1e-12)
    # customers without repeat purchases get their own row's population mean
    np.testing.assert_array_equal(spend[~repeat], means[~repeat])
    assert view.fit_info is None


def test_row_view_log_likelihood_on_many_rows_uses_each_rows_parameters() -> None:
    # more than 64 whole frequencies: the scalar model tabulates per frequency, the view must not
    x, m = _spend_rows(200, seed=9)
    params = _varied(np.array([3.0, 4.0, 20.0]), 200, seed=9)
    ll = _row_view(*params)._log_likelihood_rows(x, m)
    kernel, _ = GammaGamma._row_scores(params, x, m)
    np.testing.assert_allclose(ll, kernel, rtol=1e-12)
    for i in (0, 57, 199):
        one = CustomerSummary.from_arrays([x[i]], [1.0], [2.0], monetary_value=[m[i]])
        expected = _scalar(params, i).customer_log_likelihood(one)[0]
        assert ll[i] == pytest.approx(expected, rel=1e-12)


def test_row_view_refuses_a_row_without_a_mean_spend() -> None:
    view = _row_view([2.0, 2.0, 2.0], [3.0, 0.9, 0.5], [10.0, 10.0, 10.0])
    with pytest.raises(ValidationError, match=r"`q` must be > 1 .*2 of 3 .*first at index 1"):
        view._expected_spend_rows(np.array([1.0, 1.0, 0.0]), np.array([5.0, 5.0, 0.0]))
    with pytest.raises(ValidationError, match="`q` > 1"):
        GammaGamma(p=2.0, q=0.9, gamma=10.0).population_mean_spend()


def test_row_view_draws_each_customer_from_their_own_parameters() -> None:
    x = np.array([3.0, 0.0, 1.0, 12.0, 2.0, 5.0, 0.0, 4.0])
    spend = _row_view(*_PARAMS)._draw_spend(x, np.random.default_rng(5))
    # the same stream, one customer at a time: nu per customer, then each repeat buyer's mean
    generator = np.random.default_rng(5)
    nu = [generator.gamma(_PARAMS[1, i], 1.0 / _PARAMS[2, i]) for i in range(x.size)]
    expected = np.zeros(x.size)
    for i in np.flatnonzero(x > 0):
        expected[i] = generator.gamma(_PARAMS[0, i] * x[i], 1.0 / (nu[i] * x[i]))
    np.testing.assert_array_equal(spend, expected)

    owner = np.array([0, 0, 3, 7, 7, 7, 1])
    values = _row_view(*_PARAMS)._draw_values(owner, 8, np.random.default_rng(6))
    generator = np.random.default_rng(6)
    scale = [1.0 / generator.gamma(_PARAMS[1, i], 1.0 / _PARAMS[2, i]) for i in range(8)]
    expected_values = [generator.gamma(_PARAMS[0, i], scale[i]) for i in owner]
    np.testing.assert_array_equal(values, expected_values)


def test_row_view_with_equal_rows_draws_as_the_model() -> None:
    model = GammaGamma(p=6.25, q=3.74, gamma=15.44)
    summary = CustomerSummary.from_arrays(
        [0, 3, 1, 7], [0.0, 5.0, 2.0, 9.0], [10.0] * 4, monetary_value=[0.0, 1.0, 1.0, 1.0]
    )
    view = _row_view(*np.repeat(model._theta[:, None], 4, axis=1))
    drawn = model.simulate(summary, rng=3).monetary_value
    np.testing.assert_array_equal(
        view._draw_spend(summary.frequency, np.random.default_rng(3)), drawn
    )
    np.testing.assert_array_equal(
        view._draw_values(np.array([0, 2, 2, 3]), 4, np.random.default_rng(4)),
        model.simulate_transaction_values([0, 2, 2, 3], 4, rng=4),
    )
