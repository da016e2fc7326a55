"""The uncertainty engine: delta method, resampling, bootstrap refits, bootstrap bands."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import ndtri

from relmark import BetaGeo, ConvergenceError, CustomerSummary, ValidationError
from relmark.datasets import cdnow_sample_summary
from relmark.uncertainty import (
    Band,
    BandAccumulator,
    BootstrapWarning,
    bootstrap_bounds,
    bootstrap_thetas,
    chunked_draws_band,
    delta_band,
    draws_band,
    newton_refit,
    percentile_bounds,
    resampled_weights,
)

Z90 = float(ndtri(0.95))


@pytest.fixture(scope="module")
def cdnow() -> CustomerSummary:
    return cdnow_sample_summary()


@pytest.fixture(scope="module")
def fitted(cdnow: CustomerSummary) -> BetaGeo:
    return BetaGeo.fit(cdnow)


FEW = CustomerSummary.from_arrays([0, 2, 7, 1], [0.0, 30.43, 35.0, 2.0], [38.86, 38.86, 39.0, 30.0])


def expected_few(theta: np.ndarray) -> np.ndarray:
    r, alpha, a, b = theta
    return BetaGeo(r=r, alpha=alpha, a=a, b=b).expected_purchases(FEW, 39.0)


# ----------------------------------------------------------------- delta method: reference


def numerical_hessian(f, theta: np.ndarray, relative: float = 1e-4) -> np.ndarray:
    """Hessian of f at theta by central second differences of values (natural parameters)."""
    k = theta.size
    h = relative * theta
    hessian = np.empty((k, k))
    for i in range(k):
        for j in range(k):

            def at(di: int, dj: int, i: int = i, j: int = j) -> float:
                point = theta.copy()
                point[i] += di * h[i]
                point[j] += dj * h[j]
                return f(point)

            hessian[i, j] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])
    return hessian


def richardson_gradient(f, theta: np.ndarray) -> np.ndarray:
    """Gradient of vector-valued f at theta: central differences, Richardson-extrapolated."""
    columns = []
    for j in range(theta.size):

        def difference(step: float, j: int = j) -> np.ndarray:
            up, down = theta.copy(), theta.copy()
            up[j] += step
            down[j] -= step
            return (f(up) - f(down)) / (2 * step)

        step = 1e-3 * theta[j]
        columns.append((4 * difference(step / 2) - difference(step)) / 3)
    return np.stack(columns, axis=-1)


def test_delta_stderr_matches_an_independent_numerical_computation(
    cdnow: CustomerSummary, fitted: BetaGeo
) -> None:
    # Independent chain: the observed information by second differences of the
    # log-likelihood's values (not the fit's gradients), inverted on the natural
    # scale, and the gradient of the prediction in natural parameters.
    theta = fitted._theta
    names = BetaGeo.parameter_names()

    def log_likelihood(point: np.ndarray) -> float:
        return BetaGeo(**dict(zip(names, point, strict=True))).log_likelihood(cdnow)

    covariance = np.linalg.inv(-numerical_hessian(log_likelihood, theta))
    gradient = richardson_gradient(expected_few, theta)
    stderr = np.sqrt(np.einsum("ij,jk,ik->i", gradient, covariance, gradient))
    band = delta_band(
        "expected", expected_few, theta, fitted.fit_info.log_covariance, level=0.9, scale="linear"
    )
    implied = (band.upper - band.estimate) / Z90
    np.testing.assert_allclose(implied, stderr, rtol=2e-3)
    np.testing.assert_allclose(band.estimate, expected_few(theta), rtol=1e-15)


def test_delta_band_of_a_linear_prediction_is_exact() -> None:
    # f(theta) = A theta: J in log-theta is A diag(theta), exactly, for any step
    a = np.array([[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]])
    theta = np.array([2.0, 5.0])
    log_cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    band = delta_band("linear", lambda t: a @ t, theta, log_cov, level=0.95, scale="linear")
    jacobian = a * theta
    stderr = np.sqrt(np.diag(jacobian @ log_cov @ jacobian.T))
    np.testing.assert_allclose(band.upper - band.estimate, ndtri(0.975) * stderr, rtol=1e-8)
    np.testing.assert_allclose(band.estimate - band.lower, ndtri(0.975) * stderr, rtol=1e-8)


def test_delta_log_and_logit_scales_map_back_inside_the_domain() -> None:
    theta = np.array([0.5, 2.0])
    log_cov = np.diag([0.5, 0.5])  # wide: a linear band would leave the domain

    def probability(t: np.ndarray) -> np.ndarray:
        return np.array([t[0] / (t[0] + t[1]), 1.0, 0.0])  # two constants on the edges

    band = delta_band("p", probability, theta, log_cov, level=0.99, scale="logit")
    assert 0.0 < band.lower[0] < band.estimate[0] < band.upper[0] < 1.0
    assert band.lower[1] == band.upper[1] == 1.0 and band.lower[2] == band.upper[2] == 0.0
    positive = delta_band("m", lambda t: t * 3.0, theta, log_cov, level=0.99, scale="log")
    assert np.all(positive.lower > 0)
    # the log scale: the band is symmetric in log
    np.testing.assert_allclose(
        np.log(positive.upper / positive.estimate), np.log(positive.estimate / positive.lower)
    )


@given(st.floats(0.05, 0.9), st.floats(0.01, 0.09))
def test_delta_bands_grow_with_level(low: float, gap: float) -> None:
    theta = np.array([0.243, 4.414, 0.793, 2.426])
    log_cov = np.diag([0.003, 0.007, 0.05, 0.08])
    narrow = delta_band("e", expected_few, theta, log_cov, level=low, scale="log")
    wide = delta_band("e", expected_few, theta, log_cov, level=low + gap, scale="log")
    assert np.all(wide.lower <= narrow.lower) and np.all(narrow.upper <= wide.upper)
    assert np.all(narrow.lower <= narrow.estimate) and np.all(narrow.estimate <= narrow.upper)


def test_delta_band_refuses_bad_inputs() -> None:
    with pytest.raises(ValidationError, match=r"`level` must be < 1"):
        delta_band("x", lambda t: t, [1.0], [[0.1]], level=1.0, scale="log")
    with pytest.raises(ValidationError, match=r"`level` must be > 0"):
        delta_band("x", lambda t: t, [1.0], [[0.1]], level=0.0, scale="log")
    with pytest.raises(ValidationError, match=r"`log_covariance` must have shape \(1, 1\)"):
        delta_band("x", lambda t: t, [1.0], np.eye(2), level=0.9, scale="log")
    with pytest.raises(ValidationError, match=r"`scale` must be one of"):
        delta_band("x", lambda t: t, [1.0], [[0.1]], level=0.9, scale="sqrt")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"negative; use scale='linear'"):
        delta_band("x", lambda t: -t, [1.0], [[0.1]], level=0.9, scale="log")
    with pytest.raises(ValidationError, match=r"not a probability"):
        delta_band("x", lambda t: t * 2, [1.0], [[0.1]], level=0.9, scale="logit")
    with pytest.raises(ValidationError, match=r"not finite"):
        delta_band("x", lambda t: t * np.nan, [1.0], [[0.1]], level=0.9, scale="linear")
    with pytest.raises(ValidationError, match=r"`theta` must be > 0"):
        delta_band("x", lambda t: t, [-1.0], [[0.1]], level=0.9, scale="linear")


# ----------------------------------------------------------------- resampling


def test_resampled_weights_are_reproducible_whole_counts_of_the_same_total() -> None:
    weights = np.array([3.0, 1.0, 6.0, 10.0])
    first = list(resampled_weights(weights, 5, np.random.default_rng(3)))
    again = list(resampled_weights(weights, 5, np.random.default_rng(3)))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.sum() == 20.0 and np.all(a == np.floor(a)) and np.all(a >= 0)
    assert not all(np.array_equal(first[0], other) for other in first[1:])


@pytest.mark.parametrize(
    "weights",
    [[1.0, 4.0, 15.0], [1.0, 2.0, 1.0, 1.0, 3.0]],  # drawn as a multinomial; customer by customer
)
def test_resampled_weights_draw_customers_with_replacement(weights: list[float]) -> None:
    # Multinomial(n, w / n): mean n p, variance n p (1 - p), as drawing customers one by one
    counts = np.array(weights)
    n = counts.sum()
    draws = np.stack(list(resampled_weights(counts, 4000, np.random.default_rng(11))))
    p = counts / n
    tolerance = 4 * np.sqrt(n * p * (1 - p) / 4000)  # four standard errors of the mean
    assert np.all(np.abs(draws.mean(axis=0) - n * p) < tolerance)
    np.testing.assert_allclose(draws.var(axis=0), n * p * (1 - p), rtol=0.1)
    assert np.all(draws.sum(axis=1) == n)


def test_resampled_weights_refuse_bad_inputs() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValidationError, match=r"`n_draws` must be >= 2"):
        list(resampled_weights([1.0, 2.0], 1, rng))
    with pytest.raises(ValidationError, match=r"`n_draws` must be <= 100,000"):
        list(resampled_weights([1.0, 2.0], 10**6, rng))
    with pytest.raises(TypeError, match=r"`n_draws` must be an integer"):
        list(resampled_weights([1.0, 2.0], 2.0, rng))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"`weights` must be > 0"):
        list(resampled_weights([1.0, 0.0], 2, rng))
    with pytest.raises(TypeError, match=r"`rng` must be a numpy Generator"):
        list(resampled_weights([1.0, 2.0], 2, 7))  # type: ignore[arg-type]


# ----------------------------------------------------------------- bootstrap refits


def test_bootstrap_thetas_of_a_mean_match_a_literal_bootstrap() -> None:
    values = np.random.default_rng(5).gamma(2.0, 3.0, 400)

    def mean(weights: np.ndarray) -> np.ndarray:
        return np.array([np.average(values, weights=weights)])

    thetas = bootstrap_thetas(mean, np.ones(values.size), 2000, np.random.default_rng(1))
    literal = np.random.default_rng(2).choice(values, (2000, values.size)).mean(axis=1)
    stderr = values.std() / np.sqrt(values.size)
    assert thetas.shape == (2000, 1)
    assert abs(thetas.std() - literal.std()) < 0.1 * stderr
    # Monte-Carlo error of a 5% quantile of 2,000 draws: about 0.05 standard errors each
    for q in (0.05, 0.95):
        assert abs(np.quantile(thetas, q) - np.quantile(literal, q)) < 0.3 * stderr


def test_bootstrap_thetas_count_and_report_failed_refits() -> None:
    calls = iter(range(100))

    def refit(weights: np.ndarray) -> np.ndarray:
        if next(calls) % 4 == 0:
            raise ConvergenceError("no interior maximum")
        return np.array([float(weights[0])])

    with pytest.warns(BootstrapWarning, match=r"5 of 20 bootstrap refits failed"):
        thetas = bootstrap_thetas(refit, [1.0, 1.0], 20, np.random.default_rng(0))
    assert thetas.shape == (15, 1)


def test_bootstrap_thetas_refuse_when_too_few_refits_succeed() -> None:
    def refit(weights: np.ndarray) -> np.ndarray:
        raise ValidationError("no repeat buyers in this resample")

    with pytest.raises(ConvergenceError, match=r"only 0 of 10 bootstrap refits succeeded"):
        bootstrap_thetas(refit, [1.0, 1.0], 10, np.random.default_rng(0))


def test_bootstrap_thetas_do_not_warn_when_every_refit_succeeds() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        thetas = bootstrap_thetas(lambda w: w[:1] + 1.0, [1.0, 1.0], 4, np.random.default_rng(0))
    assert thetas.shape == (4, 1)


def test_newton_refit_reaches_the_cold_fit_of_a_resample(cdnow: CustomerSummary) -> None:
    rows = cdnow.compress()
    model = BetaGeo.fit(rows)
    counts = next(resampled_weights(rows.weights, 2, np.random.default_rng(4)))
    keep = counts > 0
    resample = CustomerSummary.from_arrays(
        rows.frequency[keep], rows.recency[keep], rows.T[keep], weights=counts[keep]
    )
    warm = newton_refit(BetaGeo._objective(resample), model._theta, model.fit_info.log_covariance)
    cold = BetaGeo.fit(resample)
    assert warm is not None
    np.testing.assert_allclose(warm, cold._theta, rtol=2e-5)
    _, gradient = BetaGeo._objective(resample)(warm)
    assert np.abs(gradient * warm).max() < 1e-5  # at least as close to the maximum as a fit


def test_newton_refit_gives_up_where_there_is_no_maximum() -> None:
    def rising(theta: np.ndarray) -> tuple[float, np.ndarray]:  # decreasing without end
        return -float(theta[0]), np.array([-1.0])

    assert newton_refit(rising, [1.0], [[1.0]]) is None

    def undefined(theta: np.ndarray) -> tuple[float, np.ndarray]:
        return float("nan"), np.array([np.nan])

    assert newton_refit(undefined, [1.0], [[1.0]]) is None


# ----------------------------------------------------------------- bootstrap bands


def test_bootstrap_bounds_match_a_hand_computation() -> None:
    # By hand, z = Phi^-1(0.95) = 1.6448536; the centre is 2 g(estimate) - mean g(draws):
    # log: draws 1, 2, 4 around 2: log-draws 0, ln 2, 2 ln 2, mean ln 2 = log of the estimate
    #      (no bias), sd (ddof 1) = ln 2 = 0.6931472,
    #      bounds 2 exp(-+ 1.6448536 x 0.6931472) = 2 exp(-+1.1401331) = 0.63956, 6.25428
    lower, upper = bootstrap_bounds(np.array([[1.0], [2.0], [4.0]]), [2.0], 0.9, scale="log")
    assert float(lower[0]) == pytest.approx(2.0 * np.exp(-Z90 * np.log(2.0)), rel=1e-12)
    assert float(upper[0]) == pytest.approx(2.0 * np.exp(Z90 * np.log(2.0)), rel=1e-12)
    assert (round(float(lower[0]), 4), round(float(upper[0]), 4)) == (0.6396, 6.2543)
    # logit: draws expit(-1), 1/2, expit(1) around 1/2: logit-draws -1, 0, 1, mean 0, sd 1,
    #        bounds expit(-+1.6448536) = 0.16181, 0.83819
    draws = 1.0 / (1.0 + np.exp(-np.array([[-1.0], [0.0], [1.0]])))
    lower, upper = bootstrap_bounds(draws, [0.5], 0.9, scale="logit")
    assert (round(float(lower[0]), 5), round(float(upper[0]), 5)) == (0.16181, 0.83819)
    # linear: draws 1, 2, 3 around 2.5: their mean 2 is 0.5 below, so the centre is
    #         2.5 + 0.5 = 3; sd 1, bounds 3 -+ 1.6448536 = 1.35515, 4.64485
    lower, upper = bootstrap_bounds(np.array([1.0, 2.0, 3.0]), 2.5, 0.9, scale="linear")
    assert (float(lower), float(upper)) == pytest.approx((3.0 - Z90, 3.0 + Z90), rel=1e-12)
    # log with a bias: draws 2, 4, 8 around 2: mean log-draw 2 ln 2, one ln 2 above the
    #      estimate's, so the centre is ln 2 - ln 2 = 0: bounds exp(-+1.1401257) = 0.31978,
    #      3.12716, which leave out the estimate 2 (the draws say it is biased upwards)
    lower, upper = bootstrap_bounds(np.array([2.0, 4.0, 8.0]), 2.0, 0.9, scale="log")
    assert (round(float(lower), 5), round(float(upper), 5)) == (0.31978, 3.12716)


def test_bootstrap_bounds_on_the_edge_of_the_domain_are_linear_and_clipped() -> None:
    # a row whose estimate or a draw is 0 (log) or 0/1 (logit) has no finite g: there the
    # bounds are estimate -+ z sd(draws), clipped to the domain; other rows are unaffected
    draws = np.array([[0.0, 1.0], [0.0, 2.0], [0.0, 4.0]])
    lower, upper = bootstrap_bounds(draws, [0.0, 2.0], 0.9, scale="log")
    assert lower.tolist()[0] == upper.tolist()[0] == 0.0  # does not move: zero width
    assert float(lower[1]) == pytest.approx(2.0 * np.exp(-Z90 * np.log(2.0)), rel=1e-12)
    draws = np.array([[1.0, 0.4], [0.9, 0.5], [1.0, 0.6]])
    lower, upper = bootstrap_bounds(draws, [1.0, 0.5], 0.9, scale="logit")
    spread = Z90 * np.std([1.0, 0.9, 1.0], ddof=1)
    assert (float(lower[0]), float(upper[0])) == pytest.approx((1.0 - spread, 1.0))
    assert 0.0 < float(lower[1]) < 0.4 and 0.6 < float(upper[1]) < 1.0
    # logit-draws of 0.4, 0.5, 0.6 are symmetric about logit 0.5 = 0: no bias, symmetric band
    assert float(lower[1]) == pytest.approx(1.0 - float(upper[1]), abs=1e-12)


@given(
    st.lists(st.floats(0.05, 20.0), min_size=2, max_size=30),
    st.floats(0.05, 20.0),
    st.floats(0.5, 0.99),
    st.floats(0.1, 10.0),
)
def test_bootstrap_bounds_are_symmetric_about_the_corrected_estimate_and_follow_the_scale(
    values: list[float], estimate: float, level: float, factor: float
) -> None:
    draws = np.array(values)
    lower, upper = bootstrap_bounds(draws, estimate, level, scale="log")
    assert 0.0 < float(lower) <= float(upper)
    # log-symmetric about the corrected centre 2 log(estimate) - mean log(draws)
    centre = 2.0 * np.log(estimate) - np.log(draws).mean()
    assert np.log(float(lower)) + np.log(float(upper)) == pytest.approx(2 * centre, abs=1e-9)
    # the estimate is inside when the draws' bias is under z of their sd
    z = float(ndtri((1 + level) / 2))
    if abs(np.log(draws).mean() - np.log(estimate)) < z * np.log(draws).std(ddof=1) - 1e-9:
        assert float(lower) <= estimate <= float(upper)
    # equivariant: scaling the draws and the estimate scales the log-scale bounds
    scaled = bootstrap_bounds(draws * factor, estimate * factor, level, scale="log")
    assert float(scaled[0]) == pytest.approx(float(lower) * factor, rel=1e-9)
    assert float(scaled[1]) == pytest.approx(float(upper) * factor, rel=1e-9)
    # logit: the band of 1 - p is 1 - the band of p, reversed
    p = draws / (1.0 + draws)
    low_p, high_p = bootstrap_bounds(p, estimate / (1 + estimate), level, scale="logit")
    low_q, high_q = bootstrap_bounds(1.0 - p, 1.0 / (1 + estimate), level, scale="logit")
    assert float(low_q) == pytest.approx(1.0 - float(high_p), abs=1e-9)
    assert float(high_q) == pytest.approx(1.0 - float(low_p), abs=1e-9)
    assert 0.0 <= float(low_p) <= float(high_p) <= 1.0


@pytest.mark.parametrize(
    ("draws", "estimate", "scale", "error", "match"),
    [
        ([[1.0], [2.0]], [1.0], "sqrt", ValidationError, r"`scale` must be one of"),
        (
            [[1.0], [2.0]],
            [1.0, 2.0],
            "log",
            ValidationError,
            r"must have shape \(n_draws, \*\(2,\)\)",
        ),
        ([[1.0]], [1.0], "log", ValidationError, r"needs at least 2 draws for an interval, got 1"),
        ([[1.0], [np.nan]], [1.0], "log", ValidationError, r"not finite at the estimate or some"),
        ([[1.0], [-2.0]], [1.0], "log", ValidationError, r"is negative; use scale='linear'"),
        ([[0.5], [1.5]], [0.5], "logit", ValidationError, r"is not a probability in \[0, 1\]"),
    ],
)
def test_bootstrap_bounds_refuse_bad_input(
    draws: list[list[float]], estimate: list[float], scale: str, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        bootstrap_bounds(draws, estimate, 0.9, scale=scale)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"`level` must be < 1"):
        bootstrap_bounds([[1.0], [2.0]], [1.0], 1.0, scale="log")


def test_percentile_bounds_are_numpy_quantiles() -> None:
    values = np.random.default_rng(0).normal(size=(301, 3))
    lower, upper = percentile_bounds(values, 0.8)
    np.testing.assert_allclose(lower, np.quantile(values, 0.1, axis=0), rtol=1e-12)
    np.testing.assert_allclose(upper, np.quantile(values, 0.9, axis=0), rtol=1e-12)


def test_draws_band_keeps_draws_and_estimates_at_theta() -> None:
    thetas = np.random.default_rng(1).gamma(50.0, 0.02, size=(200, 4)) * [
        0.243,
        4.414,
        0.793,
        2.426,
    ]
    theta = np.array([0.243, 4.414, 0.793, 2.426])
    band = draws_band("e", expected_few, thetas, theta, level=0.9, scale="log", keep_draws=True)
    np.testing.assert_array_equal(band.estimate, expected_few(theta))
    assert band.draws is not None and band.draws.shape == (200, 4)
    # the normal interval on the log scale with the draws' bias and standard deviation
    spread = Z90 * np.log(band.draws).std(axis=0, ddof=1)
    centre = 2.0 * np.log(band.estimate) - np.log(band.draws).mean(axis=0)
    np.testing.assert_allclose(band.lower, np.exp(centre - spread), rtol=1e-12)
    np.testing.assert_allclose(band.upper, np.exp(centre + spread), rtol=1e-12)
    again = draws_band("e", expected_few, thetas, theta, level=0.9, scale="log", keep_draws=False)
    assert again.draws is None


@pytest.mark.parametrize("chunk_rows", [1, 3, 7, 1000])
def test_chunked_draws_band_does_not_depend_on_the_chunks(chunk_rows: int) -> None:
    x = np.linspace(0.0, 5.0, 17)
    thetas = np.random.default_rng(2).uniform(0.5, 2.0, size=(50, 2))

    def predict(theta: np.ndarray) -> np.ndarray:
        return theta[0] * x + theta[1] * x**2

    whole = draws_band("f", predict, thetas, [1.0, 1.0], level=0.7, scale="log", keep_draws=True)
    chunked = chunked_draws_band(
        "f",
        lambda t, rows: predict(t)[rows],
        17,
        thetas,
        [1.0, 1.0],
        level=0.7,
        scale="log",
        keep_draws=True,
        chunk_rows=chunk_rows,
    )
    # numpy sums a column of one chunk and of the whole in a different order: rounding only
    np.testing.assert_allclose(chunked.lower, whole.lower, rtol=1e-14)
    np.testing.assert_allclose(chunked.upper, whole.upper, rtol=1e-14)
    np.testing.assert_array_equal(chunked.draws, whole.draws)


def test_band_accumulator_total_is_the_band_of_each_draws_total() -> None:
    block = np.random.default_rng(3).uniform(size=(40, 6))
    weights = np.array([1.0, 2.0, 1.0, 3.0, 1.0, 1.0])
    bands = BandAccumulator("q", 6, 40, level=0.9, scale="log", weights=weights)
    bands.add(slice(0, 2), block[:, :2].mean(axis=0), block[:, :2])
    bands.add(slice(2, 6), block[:, 2:].mean(axis=0), block[:, 2:])
    total = bands.total("sum")
    np.testing.assert_allclose(total.draws, block @ weights)
    # the total's band is the bootstrap band of the draws' totals, on the accumulator's scale
    lower, upper = bootstrap_bounds(block @ weights, total.estimate, 0.9, scale="log")
    assert float(total.lower) == pytest.approx(float(lower))
    assert float(total.upper) == pytest.approx(float(upper))
    assert float(total.estimate) == pytest.approx(float(weights @ block.mean(axis=0)))


def test_bands_refuse_too_much_work_and_too_many_kept_draws() -> None:
    with pytest.raises(ValidationError, match=r"at most 1,000,000,000 are supported"):
        BandAccumulator("q", 10**8, 100, level=0.9, scale="log")
    with pytest.raises(ValidationError, match=r"use keep_draws=False"):
        BandAccumulator("q", 10**6, 1000, level=0.9, scale="log", keep_draws=True)
    with pytest.raises(ValidationError, match=r"`thetas` must hold at least 2 draws"):
        draws_band("x", lambda t: t, [[1.0]], [1.0], level=0.9, scale="log", keep_draws=False)
    with pytest.raises(ValidationError, match=r"`thetas` must have shape \(n_draws, 2\)"):
        draws_band(
            "x", lambda t: t, [[1.0], [2.0]], [1.0, 2.0], level=0.9, scale="log", keep_draws=False
        )
    with pytest.raises(ValidationError, match=r"not finite at some bootstrap draws"):
        draws_band(
            "x",
            lambda t: np.where(t > 1.5, t, np.inf),
            [[1.0], [2.0]],
            [2.0],
            level=0.9,
            scale="log",
            keep_draws=False,
        )


def test_band_checks_its_arrays() -> None:
    one = np.array([1.0])
    with pytest.raises(ValidationError, match=r"must have one shape"):
        Band(
            name="b", estimate=one, lower=np.array([0.0, 0.0]), upper=one, level=0.9, method="delta"
        )
    with pytest.raises(ValidationError, match=r"must be finite"):
        Band(name="b", estimate=one * np.nan, lower=one, upper=one, level=0.9, method="delta")
    with pytest.raises(ValidationError, match=r"`lower` must be <= `upper`"):
        Band(name="b", estimate=one, lower=one * 2, upper=one, level=0.9, method="delta")
    with pytest.raises(ValidationError, match=r"`method` must be one of"):
        Band(name="b", estimate=one, lower=one, upper=one, level=0.9, method="guess")
    with pytest.raises(ValidationError, match=r"`level` must be < 1"):
        Band(name="b", estimate=one, lower=one, upper=one, level=1.5, method="delta")


def test_band_is_read_only_and_copies_its_input() -> None:
    estimate = np.array([1.0, 2.0])
    band = Band(
        name="b",
        estimate=estimate,
        lower=estimate - 1,
        upper=estimate + 1,
        level=0.9,
        method="delta",
    )
    estimate[0] = 99.0
    assert band.estimate[0] == 1.0
    with pytest.raises(ValueError, match=r"read-only"):
        band.lower[0] = 0.0
    assert band.to_pandas()["estimate"].tolist() == [1.0, 2.0]
    assert repr(band) == "Band('b', 2 values, 90% delta)"


def test_bootstrap_thetas_do_not_depend_on_the_threads() -> None:
    values = np.random.default_rng(6).normal(size=50)

    def mean(weights: np.ndarray) -> np.ndarray:
        return np.array([np.average(values, weights=weights)])

    one, four = (
        bootstrap_thetas(mean, np.ones(50), 30, np.random.default_rng(3), n_threads=threads)
        for threads in (1, 4)
    )
    np.testing.assert_array_equal(one, four)
    with pytest.raises(ValidationError, match=r"`n_threads` must be >= 1"):
        bootstrap_thetas(mean, np.ones(50), 30, np.random.default_rng(3), n_threads=0)
