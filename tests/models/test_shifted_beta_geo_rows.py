"""sBG with per-row parameters: the covariate kernel and the row-view predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark import ShiftedBetaGeo
from relmark.models.shifted_beta_geo import _individual_rows, _neg_log_likelihood, _row_view
from tests.strategies import log_uniform


def _tenures(n: int, seed: int, top: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Whole tenures with churn flags (churned customers have tenure >= 1)."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, top + 1, size=n).astype(float)
    churned = ((rng.random(n) < 0.6) & (tenure >= 1)).astype(float)
    return tenure, churned


@pytest.mark.parametrize("n", [30, 2_000])  # per-row evaluation and the objective's tables
@given(alpha=log_uniform(1e-2, 1e2), beta=log_uniform(1e-2, 1e2))
def test_row_sums_equal_the_fit_objective(n: int, alpha: float, beta: float) -> None:
    tenure, churned = _tenures(n, seed=n)
    churn_t, churn_w, alive_t, alive_w, _ = _individual_rows(tenure, churned)
    theta = np.array([alpha, beta])
    value, gradient = _neg_log_likelihood(
        theta, churn_t=churn_t, churn_w=churn_w, alive_t=alive_t, alive_w=alive_w
    )
    ll, scores = ShiftedBetaGeo._row_scores(np.repeat(theta[:, None], n, axis=1), tenure, churned)
    scale = max(1.0, abs(value))
    assert abs(ll.sum() + value) <= 1e-10 * scale
    np.testing.assert_allclose(
        scores.sum(axis=1), -gradient * theta, rtol=1e-10, atol=1e-10 * scale
    )


def test_row_log_likelihood_is_the_individual_log_likelihood() -> None:
    tenure, churned = _tenures(500, seed=4)
    model = ShiftedBetaGeo(alpha=0.704, beta=1.182)
    ll, _ = ShiftedBetaGeo._row_scores(
        np.repeat(model._theta[:, None], 500, axis=1), tenure, churned
    )
    np.testing.assert_allclose(ll, model.individual_log_likelihood(tenure, churned), rtol=1e-13)


@given(
    alpha=log_uniform(1e-2, 1e2),
    beta=log_uniform(1e-2, 1e2),
    seed=st.integers(0, 2**16),
)
def test_scores_match_finite_differences(alpha: float, beta: float, seed: int) -> None:
    tenure, churned = _tenures(16, seed=seed, top=200)
    rng = np.random.default_rng(seed)
    params = np.array([[alpha], [beta]]) * np.exp(rng.normal(0.0, 0.5, size=(2, 16)))
    _, scores = ShiftedBetaGeo._row_scores(params, tenure, churned)
    step = 1e-5
    for j in range(2):
        up, down = params.copy(), params.copy()
        up[j] *= np.exp(step)
        down[j] *= np.exp(-step)
        ll_up, _ = ShiftedBetaGeo._row_scores(up, tenure, churned)
        ll_down, _ = ShiftedBetaGeo._row_scores(down, tenure, churned)
        numeric = (ll_up - ll_down) / (2.0 * step)
        size = np.abs(ll_up) + np.abs(scores[j]) + 1.0
        np.testing.assert_allclose(scores[j], numeric, rtol=1e-6, atol=1e-8 * size.max())


def test_scores_of_large_parameters_are_exact() -> None:
    # alpha + beta = 2e6: digamma differences of size 1e-6 would lose four digits;
    # psi(z + t) - psi(z) = sum_{k<t} 1/(z + k) by hand
    a, b, t = 1e6, 1e6, 5.0
    _, scores = ShiftedBetaGeo._row_scores(np.array([[a], [b]]), np.array([t]), np.array([0.0]))
    steps = np.arange(5.0)
    lasting = math.fsum(1.0 / (a + b + steps))
    assert scores[0, 0] == pytest.approx(-a * lasting, rel=1e-13)
    assert scores[1, 0] == pytest.approx(b * (math.fsum(1.0 / (b + steps)) - lasting), rel=1e-9)


@given(
    values=st.lists(log_uniform(1e-6, 1e6), min_size=2, max_size=2),
    tenure=st.integers(1, 10_000),
)
def test_extreme_parameters_stay_finite(values: list[float], tenure: int) -> None:
    params = np.array(values)[:, None] * np.array([[1.0, 1e-3, 1e3, 1.0]])
    t = np.array([tenure, tenure, tenure, 0.0])
    churned = np.array([1.0, 0.0, 1.0, 0.0])
    ll, scores = ShiftedBetaGeo._row_scores(params, t, churned)
    assert np.all(np.isfinite(ll)) and np.all(ll <= 0.0)
    assert np.all(np.isfinite(scores))


# rows far apart: alpha and beta each over several orders of magnitude, both sides of alpha = 1
_ALPHA = np.array([0.704, 0.05, 30.0, 2.5, 1.0, 500.0, 0.3, 3.0])
_BETA = np.array([1.182, 40.0, 0.2, 900.0, 1.0, 7.0, 0.01, 4.0])


def _scalar(i: int) -> ShiftedBetaGeo:
    return ShiftedBetaGeo(alpha=_ALPHA[i], beta=_BETA[i])


def test_row_view_predictions_equal_scalar_models_row_by_row() -> None:
    view = _row_view(_ALPHA, _BETA)
    t = np.array([0.0, 3.0, 1.0, 40.0, 7.0, 2.0, 150.0, 12.0])
    periods = np.maximum(t, 1.0)
    survival = view._survival_probability_rows(t)
    churn = view._churn_probability_rows(periods)
    retention = view._retention_rows(periods)
    lifetime = view._expected_lifetime_rows()
    for i in range(t.size):  # a loop over a handful of rows, in the test only
        model = _scalar(i)
        assert survival[i] == pytest.approx(model.survival(t[i]), rel=1e-12)
        assert churn[i] == pytest.approx(model.churn_probability(periods[i]), rel=1e-12)
        assert retention[i] == pytest.approx(model.retention_rate(periods[i]), rel=1e-12)
        assert lifetime[i] == pytest.approx(model.expected_lifetime(), rel=1e-12)
    assert math.isinf(lifetime[4]) and view.fit_info is None


def test_row_view_log_likelihood_equals_scalar_models_row_by_row() -> None:
    tenure = np.array([1.0, 3.0, 0.0, 40.0, 7.0, 2.0, 150.0, 12.0])
    churned = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    ll = _row_view(_ALPHA, _BETA)._log_likelihood_rows(tenure, churned)
    kernel, _ = ShiftedBetaGeo._row_scores(np.stack([_ALPHA, _BETA]), tenure, churned)
    for i in range(tenure.size):
        expected = _scalar(i).individual_log_likelihood([tenure[i]], [churned[i]])[0]
        assert ll[i] == pytest.approx(expected, rel=1e-12)
        assert kernel[i] == pytest.approx(expected, rel=1e-12)


def test_row_view_survival_on_many_rows_uses_each_rows_parameters() -> None:
    # more than 64 periods: the scalar model tabulates per period, the view must not
    rng = np.random.default_rng(2)
    alpha, beta = 0.7 * np.exp(rng.normal(0, 1, 300)), 2.0 * np.exp(rng.normal(0, 1, 300))
    t = rng.integers(0, 60, 300).astype(float)
    survival = _row_view(alpha, beta)._survival_probability_rows(t)
    for i in (0, 111, 299):
        expected = ShiftedBetaGeo(alpha=alpha[i], beta=beta[i]).survival(t[i])
        assert survival[i] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.01, 1e-3])
def test_row_view_residual_lifetime_equals_scalar_models_row_by_row(rate: float) -> None:
    survived = np.array([0.0, 4.0, 1.0, 30.0, 7.0, 0.0, 2.0, 12.0])
    derl = _row_view(_ALPHA, _BETA)._residual_lifetime_rows(survived, rate)
    for i in range(survived.size):
        expected = _scalar(i).expected_residual_lifetime(survived[i], rate)
        if math.isinf(expected):
            assert math.isinf(derl[i])
        else:
            assert derl[i] == pytest.approx(expected, rel=1e-12)


def test_row_view_residual_lifetime_shares_one_tenure_and_repeats_rows() -> None:
    view = _row_view(np.r_[_ALPHA, _ALPHA], np.r_[_BETA, _BETA])
    derl = view._residual_lifetime_rows(np.array([3.0]), 0.05)
    np.testing.assert_array_equal(derl[:8], derl[8:])
    for i in range(8):
        assert derl[i] == pytest.approx(_scalar(i).expected_residual_lifetime(3, 0.05), rel=1e-12)


def test_row_view_draws_each_customer_from_their_own_parameters() -> None:
    tenure, churned = _row_view(_ALPHA, _BETA)._draw_tenures(8, 10, np.random.default_rng(7))
    generator = np.random.default_rng(7)
    theta = [generator.beta(_ALPHA[i], _BETA[i]) for i in range(8)]
    cancelled = generator.geometric(np.clip(theta, 1e-300, 1.0))
    np.testing.assert_array_equal(tenure, np.minimum(cancelled, 10))
    np.testing.assert_array_equal(churned, cancelled <= 10)


def test_row_view_with_equal_rows_draws_as_the_model() -> None:
    model = ShiftedBetaGeo(alpha=0.668, beta=3.806)
    view = _row_view(np.full(500, 0.668), np.full(500, 3.806))
    drawn = view._draw_tenures(500, 7, np.random.default_rng(1))
    expected = model.simulate(500, 7, rng=1)
    np.testing.assert_array_equal(drawn[0], expected[0])
    np.testing.assert_array_equal(drawn[1], expected[1])
