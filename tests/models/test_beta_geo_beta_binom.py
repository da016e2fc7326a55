"""Tests for the BG/BB model of discrete-time purchasing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relmark
from relmark import BetaGeoBetaBinom, CustomerSummary, ValidationError
from relmark.models.beta_geo_beta_binom import _log_likelihood_and_gradient
from tests.strategies import discrete_histories, invalid_parameters, model_parameters

# Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
# setting", Marketing Science 29(6), Table 1: the 11,104 first-time supporters of a non-profit
# in 1995, repeat donations over the next 6 annual opportunities, as (x, t_x, n, count).
DONATIONS = [
    (6, 6, 6, 1203),
    (5, 6, 6, 728),
    (4, 6, 6, 512),
    (3, 6, 6, 357),
    (2, 6, 6, 234),
    (1, 6, 6, 129),
    (5, 5, 6, 335),
    (4, 5, 6, 284),
    (3, 5, 6, 225),
    (2, 5, 6, 173),
    (1, 5, 6, 119),
    (4, 4, 6, 240),
    (3, 4, 6, 181),
    (2, 4, 6, 155),
    (1, 4, 6, 78),
    (3, 3, 6, 322),
    (2, 3, 6, 255),
    (1, 3, 6, 129),
    (2, 2, 6, 613),
    (1, 2, 6, 277),
    (1, 1, 6, 1091),
    (0, 0, 6, 3464),
]
PAPER = BetaGeoBetaBinom(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)


def _donations() -> CustomerSummary:
    x, t_x, n, count = (np.array(column, dtype=float) for column in zip(*DONATIONS, strict=True))
    return CustomerSummary.from_arrays(x, t_x, n, weights=count)


def _random_histories(rng: np.random.Generator, size: int, max_n: int) -> CustomerSummary:
    n = rng.integers(1, max_n + 1, size=size).astype(float)
    t_x = np.floor(rng.uniform(0, 1, size=size) * (n + 1))
    x = np.floor(rng.uniform(0, 1, size=size) * (t_x + 1))
    x = np.where(t_x == 0, 0.0, np.maximum(x, 1.0))
    return CustomerSummary.from_arrays(x, t_x, n)


def test_donations_reference_fit() -> None:
    # Fader, Hardie & Shang (2010), section 4: alpha = 1.204, beta = 0.750, gamma = 0.657,
    # delta = 2.783, LL = -33,225.6.
    summary = _donations()
    assert summary.n_customers == 11_104
    model = BetaGeoBetaBinom.fit(summary)
    assert [round(v, 3) for v in model.params.values()] == [1.204, 0.750, 0.657, 2.783]
    assert model.fit_info is not None
    assert round(model.fit_info.log_likelihood, 1) == -33225.6
    assert model.fit_info.n_rows == 22


def test_published_model_reproduces_the_observed_shares() -> None:
    # With the paper's estimates, P(X(6) = x) for a new donor tracks the observed frequency
    # distribution (Fader, Hardie & Shang 2010, Figure 3); it sums to one and its mean is
    # E[X(6)] (eq. 9).
    summary = _donations()
    observed = np.bincount(summary.frequency.astype(int), weights=summary.weights) / 11_104
    predicted = PAPER.probability_of_purchases(np.arange(7), 6)
    np.testing.assert_allclose(predicted, observed, atol=0.015)
    assert predicted.sum() == pytest.approx(1.0, rel=1e-12)
    mean = float(np.arange(7) @ predicted)
    assert PAPER.expected_purchases_new_customer(6) == pytest.approx(mean, rel=1e-12)


def test_hand_computed_case() -> None:
    # All parameters 1 (uniform p and theta), n = 1:
    # x = 1, t_x = 1: L = B(2,1)B(1,2)/(B(1,1)B(1,1)) = 1/4.
    # x = 0, n = 1: L = B(1,2)B(1,2) + B(1,1)B(2,1) = 1/4 + 1/2 = 3/4.
    model = BetaGeoBetaBinom(alpha=1, beta=1, gamma=1, delta=1)
    summary = CustomerSummary.from_arrays([1, 0], [1, 0], [1, 1])
    np.testing.assert_allclose(model.customer_log_likelihood(summary), np.log([0.25, 0.75]))
    # P(alive at 2 | x = 1) = B(2,1)B(1,3)/L = (1/2)(1/3)/(1/4) = 2/3
    assert model.probability_alive(summary)[0] == pytest.approx(2 / 3)
    assert model.expected_purchases_new_customer(1) == pytest.approx(0.25)
    assert model.probability_of_purchases(1, 1) == pytest.approx(0.25)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_matches_lifetimes(seed: int) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    alpha, beta, gamma, delta = rng.uniform(0.3, 5.0, size=4)
    if abs(gamma - 1.0) < 0.05:
        gamma += 0.1  # lifetimes divides by gamma - 1
    summary = _random_histories(rng, 300, 12)
    model = BetaGeoBetaBinom(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    peer = lifetimes.BetaGeoBetaBinomFitter()
    peer.params_ = pd.Series({"alpha": alpha, "beta": beta, "gamma": gamma, "delta": delta})
    x, t_x, n = summary.frequency, summary.recency, summary.T.astype(int)
    np.testing.assert_allclose(
        model.customer_log_likelihood(summary),
        peer._loglikelihood((alpha, beta, gamma, delta), x, t_x, n),
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        model.probability_alive(summary),
        peer.conditional_probability_alive(1, x, t_x, n),
        rtol=1e-6,
    )
    for horizon in (1, 5, 20):
        np.testing.assert_allclose(
            model.expected_purchases(summary, horizon),
            peer.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, n),
            rtol=1e-6,
        )


def test_gradient_matches_finite_differences() -> None:
    summary = _random_histories(np.random.default_rng(9), 200, 15)
    weights = np.linspace(0.5, 2.0, 200)
    x, t_x, n = summary.frequency, summary.recency, summary.T

    def objective(theta: np.ndarray) -> float:
        return float(weights @ _log_likelihood_and_gradient(theta, x, t_x, n, gradient=False)[0])

    for theta in ([1.2, 0.75, 0.66, 2.78], [0.05, 8.0, 3.0, 0.2], [40.0, 60.0, 0.02, 300.0]):
        point = np.array(theta)
        _, grad = _log_likelihood_and_gradient(point, x, t_x, n, gradient=True)
        assert grad is not None
        exact = grad @ weights
        numeric = np.empty(4)
        for j in range(4):
            step = 1e-6 * point[j]
            up, down = point.copy(), point.copy()
            up[j] += step
            down[j] -= step
            numeric[j] = (objective(up) - objective(down)) / (2 * step)
        np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-5)


def test_chunked_likelihood_equals_unchunked(monkeypatch: pytest.MonkeyPatch) -> None:
    import relmark.models.beta_geo_beta_binom as module

    summary = _random_histories(np.random.default_rng(4), 500, 30)
    whole = PAPER.customer_log_likelihood(summary)
    monkeypatch.setattr(module, "_CHUNK_CELLS", 50)
    np.testing.assert_allclose(PAPER.customer_log_likelihood(summary), whole, rtol=1e-14)


def test_distinct_row_shortcut_gives_row_by_row_results() -> None:
    simulated = PAPER.simulate(5_000, 8, rng=2)  # few distinct histories: the shortcut applies
    x, t_x, n = simulated.frequency, simulated.recency, simulated.T
    horizon = np.arange(5_000) % 3
    ll, _ = _log_likelihood_and_gradient(
        np.array(list(PAPER.params.values())), x, t_x, n, gradient=False
    )
    np.testing.assert_allclose(PAPER.customer_log_likelihood(simulated), ll, rtol=1e-13)
    rows = np.arange(0, 5_000, 97)  # fewer than 64 rows: evaluated directly
    subset = simulated.subset(rows)
    np.testing.assert_allclose(
        PAPER.probability_alive(simulated)[rows], PAPER.probability_alive(subset), rtol=1e-13
    )
    np.testing.assert_allclose(
        PAPER.expected_purchases(simulated, horizon)[rows],
        PAPER.expected_purchases(subset, horizon[rows]),
        rtol=1e-13,
    )


def test_simulate_then_fit_recovers_parameters() -> None:
    truth = BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78)
    simulated = truth.simulate(30_000, 10, rng=7)
    assert simulated.unit is None
    np.testing.assert_array_equal(simulated.T, 10.0)
    assert np.all(simulated.recency >= simulated.frequency)
    assert np.all((simulated.frequency == 0) == (simulated.recency == 0))
    # the simulated frequencies follow P(X(10) = x)
    shares = np.bincount(simulated.frequency.astype(int), minlength=11) / 30_000
    np.testing.assert_allclose(shares, truth.probability_of_purchases(np.arange(11), 10), atol=0.01)
    fitted = BetaGeoBetaBinom.fit(simulated)
    np.testing.assert_allclose(list(fitted.params.values()), list(truth.params.values()), rtol=0.2)


def test_gamma_equal_to_one_is_continuous() -> None:
    summary = CustomerSummary.from_arrays([2, 0], [3, 0], [5, 5])
    at_one = BetaGeoBetaBinom(alpha=1.0, beta=2.0, gamma=1.0, delta=3.0)
    near = BetaGeoBetaBinom(alpha=1.0, beta=2.0, gamma=1.0 + 1e-6, delta=3.0)
    np.testing.assert_allclose(
        at_one.expected_purchases(summary, 7), near.expected_purchases(summary, 7), rtol=1e-5
    )
    assert at_one.expected_purchases_new_customer(7) == pytest.approx(
        near.expected_purchases_new_customer(7), rel=1e-5
    )
    # E[X(n)] = alpha/(alpha+beta) * sum_k B(gamma, delta + k)/B(gamma, delta) = 1/3 * sum 3/(3+k)
    assert at_one.expected_purchases_new_customer(7) == pytest.approx(
        sum(3 / (3 + k) for k in range(1, 8)) / 3, rel=1e-12
    )


def test_expected_purchases_accepts_per_row_horizons() -> None:
    summary = _donations()
    per_row = PAPER.expected_purchases(summary, np.arange(22) % 5)
    for h in range(5):
        rows = np.arange(22) % 5 == h
        np.testing.assert_allclose(per_row[rows], PAPER.expected_purchases(summary, h)[rows])
    assert np.all(PAPER.expected_purchases(summary, 0) == 0)


@settings(max_examples=40)
@given(
    params=model_parameters(BetaGeoBetaBinom),
    history=discrete_histories(max_n=10_000),
)
def test_numerically_safe(params: dict[str, float], history: tuple[int, int, int]) -> None:
    model = BetaGeoBetaBinom(**params)
    x, t_x, n = history
    summary = CustomerSummary.from_arrays([x, 0, n], [t_x, 0, n], [n, n, n])
    assert np.all(np.isfinite(model.customer_log_likelihood(summary)))
    alive = model.probability_alive(summary)
    assert np.all((alive >= 0) & (alive <= 1))
    purchases = [model.expected_purchases(summary, h) for h in (0, 1, 10, 10_000)]
    assert all(np.all(np.isfinite(p)) and np.all(p >= 0) for p in purchases)
    assert all(np.all(later >= earlier) for earlier, later in itertools.pairwise(purchases))
    new = model.expected_purchases_new_customer(np.array([0.0, 1.0, 100.0, 10_000.0]))
    assert np.all(np.isfinite(new)) and np.all(np.diff(new) >= 0)
    p = model.probability_of_purchases(np.array([0, 1, min(n, 50)]), min(n, 50))
    assert np.all((p >= 0) & (p <= 1))


@given(
    value=invalid_parameters,
    name=st.sampled_from(["alpha", "beta", "gamma", "delta"]),
)
def test_bad_parameters_raise_validation_error(value: float, name: str) -> None:
    params = {"alpha": 1.0, "beta": 2.0, "gamma": 3.0, "delta": 4.0, name: value}
    with pytest.raises(
        ValidationError, match=rf"^`{name}` must (be > 0, got |not be NaN$|be finite, got )"
    ):
        BetaGeoBetaBinom(**params)


def test_bad_inputs() -> None:
    model = PAPER
    with pytest.raises(TypeError, match=r"^`delta` must be a real number, got str$"):
        BetaGeoBetaBinom(alpha=1, beta=1, gamma=1, delta="x")  # type: ignore[arg-type]
    fractional = CustomerSummary.from_arrays([1], [1.5], [6])
    with pytest.raises(
        ValidationError, match=r"^`recency` must be whole numbers; 1 of 1 .*: 1\.5\)$"
    ):
        model.probability_alive(fractional)
    with pytest.raises(ValidationError, match=r"^`T` must be whole numbers; 1 of 1 .*: 6\.5\)$"):
        BetaGeoBetaBinom.fit(CustomerSummary.from_arrays([1], [1], [6.5]))
    with pytest.raises(ValidationError, match=r"recency.*>= `frequency`.*first at index 1"):
        model.customer_log_likelihood(CustomerSummary.from_arrays([1, 3], [1, 2], [6, 6]))
    with pytest.raises(ValidationError, match="cannot fit BetaGeoBetaBinom to an empty summary"):
        BetaGeoBetaBinom.fit(_donations().subset(np.zeros(22, dtype=bool)))
    with pytest.raises(TypeError, match=r"^`summary` must be a CustomerSummary, got list$"):
        model.expected_purchases([1, 2, 3], 5)  # type: ignore[arg-type]
    summary = _donations()
    with pytest.raises(ValidationError, match=r"^`t` must be whole numbers; 1 of 1 .*: 1\.5\)$"):
        model.expected_purchases(summary, 1.5)
    with pytest.raises(ValidationError, match=r"^`t` must be >= 0; 1 of 1 .*: -1\.0\)$"):
        model.expected_purchases(summary, -1)
    with pytest.raises(
        ValidationError,
        match=r"`t` must be a scalar or one value per customer \(22\), got 2 values",
    ):
        model.expected_purchases(summary, [1, 2])
    with pytest.raises(ValidationError, match=r"^`t` must be whole numbers; 1 of 1 .*: 2\.5\)$"):
        model.expected_purchases_new_customer(2.5)
    with pytest.raises(ValidationError, match="broadcast"):
        model.probability_of_purchases([1, 2], [3, 4, 5])
    assert model.probability_of_purchases(5, 3) == 0.0
    with pytest.raises(ValidationError, match=r"^`n_customers` must be >= 0, got -1$"):
        model.simulate(-1, 6)
    with pytest.raises(ValidationError, match=r"^`T` must be whole numbers; 1 of 1 .*: 2\.5\)$"):
        model.simulate(3, 2.5)
    with pytest.raises(
        TypeError, match=r"^`rng` must be a numpy Generator, an int seed or None, got str$"
    ):
        model.simulate(3, 6, rng="seed")  # type: ignore[arg-type]
    assert relmark.BetaGeoBetaBinom is BetaGeoBetaBinom
    assert repr(model) == "BetaGeoBetaBinom(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783)"
