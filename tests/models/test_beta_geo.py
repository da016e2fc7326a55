"""BG/NBD: published estimates, lifetimes agreement, gradient, numeric safety, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings

import relmark
from relmark import BetaGeo, CustomerSummary, ValidationError
from relmark.datasets import cdnow_sample_summary
from relmark.models.beta_geo import _Histories
from tests.strategies import customer_histories, horizons, models

PAPER = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)


def test_cdnow_estimates_match_the_paper() -> None:
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 5:
    # r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    model = BetaGeo.fit(cdnow_sample_summary())
    assert model.fit_info is not None
    assert model.r == pytest.approx(0.243, abs=6e-4)
    assert model.alpha == pytest.approx(4.414, abs=6e-3)
    assert model.a == pytest.approx(0.793, abs=6e-4)
    assert model.b == pytest.approx(2.426, abs=6e-3)
    assert model.fit_info.log_likelihood == pytest.approx(-9582.4, abs=0.05)
    # lifetimes 0.11.3 on the same data: r=0.242593 alpha=4.413532 a=0.792886 b=2.425752
    assert model.r == pytest.approx(0.242593, rel=1e-4)
    assert model.b == pytest.approx(2.425752, rel=1e-4)
    assert set(model.fit_info.stderr) == {"r", "alpha", "a", "b"}


def test_conditional_expectation_of_the_paper() -> None:
    # Same paper, section 5: a customer with x = 2, t_x = 30.43, T = 38.86 weeks
    # is expected to make 1.226 purchases in the next 39 weeks.
    one = CustomerSummary.from_arrays([2], [30.43], [38.86])
    assert PAPER.expected_purchases(one, 39.0)[0] == pytest.approx(1.226, abs=5e-4)


def test_weights_equal_repeated_rows() -> None:
    summary = cdnow_sample_summary()
    compressed = summary.compress()
    assert len(compressed) < len(summary)
    assert BetaGeo.fit(compressed).params == pytest.approx(BetaGeo.fit(summary).params, rel=1e-6)
    assert PAPER.log_likelihood(compressed) == pytest.approx(PAPER.log_likelihood(summary))


def histories(rng: np.random.Generator, n: int) -> CustomerSummary:
    x = rng.integers(0, 30, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    return CustomerSummary.from_arrays(x, t_x, T)


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_lifetimes(seed: int) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    r, alpha, a, b = np.exp(rng.uniform(-2.0, 2.0, 4))
    model = BetaGeo(r=r, alpha=alpha, a=a, b=b)
    peer = lifetimes.BetaGeoFitter()
    peer.params_ = pd.Series({"r": r, "alpha": alpha, "a": a, "b": b})
    s = histories(rng, 200)
    x, t_x, T = s.frequency, s.recency, s.T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = peer.conditional_expected_number_of_purchases_up_to_time(10.0, x, t_x, T)
        alive = peer.conditional_probability_alive(x, t_x, T)
        new = peer.expected_number_of_purchases_up_to_time(np.array([0.5, 7.0, 52.0]))
        pmf = [peer.probability_of_n_purchases_up_to_time(7.0, n) for n in range(6)]
    finite = np.isfinite(np.asarray(expected))  # lifetimes' hyp2f1 fails on some rows
    assert finite.mean() > 0.9
    assert model.expected_purchases(s, 10.0)[finite] == pytest.approx(
        np.asarray(expected)[finite], rel=1e-7
    )
    assert model.probability_alive(s) == pytest.approx(np.asarray(alive), rel=1e-9)
    assert model.expected_purchases_new_customer(np.array([0.5, 7.0, 52.0])) == pytest.approx(
        np.asarray(new), rel=1e-9
    )
    assert model.probability_of_purchases(np.arange(6), 7.0) == pytest.approx(
        np.asarray(pmf, dtype=float), abs=1e-12
    )


def test_the_fit_gradient_matches_finite_differences() -> None:
    # The kernel the fit uses (the factored form over distinct x, t_x and T values).
    s = histories(np.random.default_rng(3), 50).compress()
    theta = np.array([0.7, 3.0, 0.8, 2.5])
    for shift in (0, 1):
        objective = _Histories.of(s, shift).neg_log_likelihood
        _, gradient = objective(theta)
        for k in range(4):
            step = np.zeros(4)
            step[k] = 1e-6 * theta[k]
            numeric = (objective(theta + step)[0] - objective(theta - step)[0]) / (2 * step[k])
            assert gradient[k] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_probabilities_of_purchases_sum_to_one() -> None:
    total = PAPER.probability_of_purchases(np.arange(400), 39.0).sum()
    assert total == pytest.approx(1.0, abs=1e-9)
    assert PAPER.probability_of_purchases(0, 0.0) == 1.0


def test_expectation_is_continuous_at_a_equal_one() -> None:
    s = histories(np.random.default_rng(5), 20)
    at_one = BetaGeo(r=0.5, alpha=3.0, a=1.0, b=2.0).expected_purchases(s, 12.0)
    near = BetaGeo(r=0.5, alpha=3.0, a=1.0 + 1e-4, b=2.0).expected_purchases(s, 12.0)
    assert np.all(np.isfinite(at_one))
    assert at_one == pytest.approx(near, rel=1e-3)


def test_simulated_customers_recover_the_parameters() -> None:
    truth = BetaGeo(r=0.8, alpha=5.0, a=0.9, b=3.0)
    fitted = BetaGeo.fit(truth.simulate(40_000, 52.0, rng=11))
    for name, value in truth.params.items():
        assert fitted.params[name] == pytest.approx(value, rel=0.15), name


@settings(max_examples=60, deadline=None)
@given(model=models(BetaGeo), history=customer_histories(), t=horizons())
def test_predictions_stay_finite_and_bounded(
    model: BetaGeo, history: tuple[float, float, float], t: float
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


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"r": 0.0}, r"^`r` must be > 0, got 0\.0$"),
        ({"alpha": -1.0}, r"^`alpha` must be > 0, got -1\.0$"),
        ({"a": float("nan")}, r"^`a` must not be NaN$"),
        ({"b": float("inf")}, r"^`b` must be finite, got inf$"),
    ],
)
def test_bad_parameters_raise(kwargs: dict[str, float], message: str) -> None:
    values = {"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0, **kwargs}
    with pytest.raises(ValidationError, match=message):
        BetaGeo(**values)


def test_bad_arguments_raise() -> None:
    s = cdnow_sample_summary()
    with pytest.raises(TypeError, match=r"^`r` must be a real number, got str$"):
        BetaGeo(r="one", alpha=1.0, a=1.0, b=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`summary` must be a CustomerSummary, got ndarray$"):
        PAPER.probability_alive(np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^`t` must be >= 0; 1 of 1 .*: -1\.0\)$"):
        PAPER.expected_purchases(s, -1.0)
    with pytest.raises(
        ValidationError, match=r"^`t` must be a scalar or one value per customer \(2,357\), got 2"
    ):
        PAPER.expected_purchases(s, [1.0, 2.0])
    with pytest.raises(
        ValidationError,
        match=r"^`n` must be whole numbers; 1 of 1 rows violate this \(first at index 0: 1.5\)$",
    ):
        PAPER.probability_of_purchases(1.5, 2.0)
    with pytest.raises(ValidationError, match=r"^cannot fit BetaGeo to an empty summary$"):
        BetaGeo.fit(s.subset(np.zeros(len(s), dtype=bool)))
    with pytest.raises(ValidationError, match=r"^`start\['r'\]` must be > 0, got -1\.0$"):
        BetaGeo.fit(s, start={"r": -1.0, "alpha": 1.0, "a": 1.0, "b": 1.0})


def test_start_values_reach_the_same_optimum() -> None:
    start = {"r": 2.0, "alpha": 10.0, "a": 0.3, "b": 5.0}
    fitted = BetaGeo.fit(cdnow_sample_summary(), start=start)
    assert fitted.params == pytest.approx(BetaGeo.fit(cdnow_sample_summary()).params, rel=1e-4)


def test_top_level_export() -> None:
    assert relmark.BetaGeo is BetaGeo


def test_factored_objective_equals_the_row_by_row_sum() -> None:
    summary = cdnow_sample_summary().compress()
    theta = np.array([0.5, 3.0, 0.9, 2.0])
    for shift, model in ((0, BetaGeo), (1, relmark.ModifiedBetaGeo)):
        value, _ = _Histories.of(summary, shift).neg_log_likelihood(theta)
        rows = model(**dict(zip(model.parameter_names(), theta, strict=True)))
        assert value == pytest.approx(-rows.log_likelihood(summary), rel=1e-12)


def test_large_summaries_predict_through_distinct_pairs() -> None:
    model = BetaGeo(r=0.5, alpha=3.0, a=0.8, b=2.0)
    rng = np.random.default_rng(9)
    T = rng.integers(1, 40, 30_000).astype(float)
    drawn = model.simulate(30_000, T, rng=rng)
    expected = model.expected_purchases(drawn, 26.0)
    direct = model._purchases_if_alive(drawn.frequency, drawn.T, np.array([26.0]))
    assert expected == pytest.approx(direct * model.probability_alive(drawn), rel=1e-12)
