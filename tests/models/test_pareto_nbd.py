"""Pareto/NBD: published estimates, lifetimes agreement, exact integral, gradient, safety."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from scipy.integrate import quad
from scipy.special import hyp2f1

import relmark
from relmark import CustomerSummary, ParetoNBD, ValidationError
from relmark.datasets import cdnow_sample_summary
from relmark.models.pareto_nbd import _Dropout, _log_likelihood
from tests.strategies import customer_histories, horizons, models

PAPER = ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669)


def test_cdnow_estimates_match_the_paper() -> None:
    # Fader, Hardie & Lee (2005), "RFM and CLV", and the Fader-Hardie Pareto/NBD note on
    # the same 2,357 customers: r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669,
    # LL = -9595.0.  lifetimes 0.11.3: r=0.553288 alpha=10.577823 s=0.606233 beta=11.667849.
    model = ParetoNBD.fit(cdnow_sample_summary())
    assert model.fit_info is not None
    assert model.r == pytest.approx(0.553, abs=6e-4)
    assert model.alpha == pytest.approx(10.578, abs=6e-3)
    assert model.s == pytest.approx(0.606, abs=6e-4)
    assert model.beta == pytest.approx(11.669, abs=6e-3)
    assert model.fit_info.log_likelihood == pytest.approx(-9595.0, abs=0.05)


def closed_form_integral(
    r: float, alpha: float, s: float, beta: float, x: float, t_x: float, T: float
) -> float:
    """The dropout integral from the hypergeometric expressions of Fader & Hardie (2005)."""
    m = r + s + x
    if alpha >= beta:

        def part(y: float) -> float:
            return float(hyp2f1(m, s + 1, m + 1, (alpha - beta) / (alpha + y)) / (alpha + y) ** m)
    else:

        def part(y: float) -> float:
            return float(hyp2f1(m, r + x, m + 1, (beta - alpha) / (beta + y)) / (beta + y) ** m)

    return (part(t_x) - part(T)) / m


@pytest.mark.parametrize("seed", range(40))
def test_dropout_integral_matches_closed_form_and_adaptive_quadrature(seed: int) -> None:
    rng = np.random.default_rng(seed)
    r, alpha, s, beta = np.exp(rng.uniform(-3.0, 3.0, 4))
    x = float(rng.integers(0, 60))
    T = float(rng.uniform(0.5, 100.0))
    t_x = T * float(rng.uniform()) if x > 0 else 0.0
    theta = np.array([r, alpha, s, beta])
    ours = np.exp(_Dropout.of(theta, np.array([x]), np.array([t_x]), np.array([T])).log_integral)
    adaptive = quad(
        lambda y: (alpha + y) ** -(r + x) * (beta + y) ** -(s + 1), t_x, T, epsrel=1e-13
    )[0]
    assert ours[0] == pytest.approx(adaptive, rel=1e-9)
    closed = closed_form_integral(r, alpha, s, beta, x, t_x, T)
    if np.isfinite(closed) and closed > 1e-250:
        assert ours[0] == pytest.approx(closed, rel=1e-8)


def histories(rng: np.random.Generator, n: int) -> CustomerSummary:
    x = rng.integers(0, 30, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    return CustomerSummary.from_arrays(x, t_x, T)


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_lifetimes(seed: int) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    r, alpha, s, beta = np.exp(rng.uniform(-1.5, 1.5, 4))
    model = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)
    peer = lifetimes.ParetoNBDFitter()
    peer.params_ = pd.Series({"r": r, "alpha": alpha, "s": s, "beta": beta})
    summary = histories(rng, 200)
    x, t_x, T = (np.array(v) for v in (summary.frequency, summary.recency, summary.T))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alive = np.asarray(peer.conditional_probability_alive(x, t_x, T))
        expected = np.asarray(
            peer.conditional_expected_number_of_purchases_up_to_time(10.0, x, t_x, T)
        )
        new = peer.expected_number_of_purchases_up_to_time(np.array([0.5, 7.0, 52.0]))
    finite = np.isfinite(alive) & np.isfinite(expected)
    assert finite.mean() > 0.9
    assert model.probability_alive(summary)[finite] == pytest.approx(alive[finite], rel=1e-8)
    assert model.expected_purchases(summary, 10.0)[finite] == pytest.approx(
        expected[finite], rel=1e-8
    )
    assert model.expected_purchases_new_customer(np.array([0.5, 7.0, 52.0])) == pytest.approx(
        np.asarray(new), rel=1e-10
    )


def test_gradient_matches_finite_differences() -> None:
    s = histories(np.random.default_rng(3), 40)
    theta = np.array([0.7, 3.0, 0.8, 2.5])
    _, gradient, _ = _log_likelihood(theta, s.frequency, s.recency, s.T, with_gradient=True)
    assert gradient is not None
    for k in range(4):
        step = np.zeros(4)
        step[k] = 1e-6 * theta[k]
        up = _log_likelihood(theta + step, s.frequency, s.recency, s.T, with_gradient=False)[0]
        down = _log_likelihood(theta - step, s.frequency, s.recency, s.T, with_gradient=False)[0]
        assert gradient[k] == pytest.approx((up - down) / (2 * step[k]), rel=1e-5, abs=1e-7)


def test_probabilities_of_purchases_sum_to_one() -> None:
    assert PAPER.probability_of_purchases(np.arange(400), 39.0).sum() == pytest.approx(1.0)
    assert PAPER.probability_of_purchases(0, 0.0) == 1.0


def test_expected_purchases_continuous_at_s_equal_one() -> None:
    s = histories(np.random.default_rng(2), 20)
    at_one = ParetoNBD(r=0.5, alpha=3.0, s=1.0, beta=2.0).expected_purchases(s, 12.0)
    near = ParetoNBD(r=0.5, alpha=3.0, s=1.0 + 1e-7, beta=2.0).expected_purchases(s, 12.0)
    assert at_one == pytest.approx(near, rel=1e-5)


def test_simulated_customers_recover_the_parameters() -> None:
    truth = ParetoNBD(r=0.8, alpha=6.0, s=0.9, beta=10.0)
    fitted = ParetoNBD.fit(truth.simulate(30_000, 52.0, rng=5))
    for name, value in truth.params.items():
        assert fitted.params[name] == pytest.approx(value, rel=0.2), name


def test_weights_equal_repeated_rows() -> None:
    summary = cdnow_sample_summary()
    assert PAPER.log_likelihood(summary.compress()) == pytest.approx(PAPER.log_likelihood(summary))


@settings(max_examples=40, deadline=None)
@given(model=models(ParetoNBD), history=customer_histories(), t=horizons())
def test_predictions_stay_finite_and_bounded(
    model: ParetoNBD, history: tuple[float, float, float], t: float
) -> None:
    x, t_x, T = history
    summary = CustomerSummary.from_arrays([x], [t_x], [T])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alive = model.probability_alive(summary)
        soon = model.expected_purchases(summary, t)
        later = model.expected_purchases(summary, 2 * t + 1)
        ll = model.customer_log_likelihood(summary)
    assert 0.0 <= alive[0] <= 1.0
    assert np.isfinite(ll).all() and np.isfinite(soon).all() and np.isfinite(later).all()
    assert 0.0 <= soon[0] <= later[0] * (1 + 1e-9) + 1e-12


def test_bad_input_raises() -> None:
    with pytest.raises(ValidationError, match=r"^`s` must be > 0, got 0\.0$"):
        ParetoNBD(r=1.0, alpha=1.0, s=0.0, beta=1.0)
    with pytest.raises(TypeError, match=r"^`r` must be a real number, got str$"):
        ParetoNBD(r="1", alpha=1.0, s=1.0, beta=1.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^cannot fit ParetoNBD to an empty summary$"):
        ParetoNBD.fit(CustomerSummary.from_arrays([], [], []))
    with pytest.raises(ValidationError, match=r"^`t` must be >= 0; 1 of 1 .*: -1\.0\)$"):
        PAPER.expected_purchases(cdnow_sample_summary(), -1.0)
    with pytest.raises(ValidationError, match=r"^`n` must be whole numbers; .*: 0\.5\)$"):
        PAPER.probability_of_purchases(0.5, 1.0)


def test_top_level_export() -> None:
    assert relmark.ParetoNBD is ParetoNBD


@pytest.mark.parametrize("seed", range(5))
def test_closed_form_probability_alive_equals_the_quadrature(seed: int) -> None:
    rng = np.random.default_rng(seed)
    r, alpha, s, beta = np.exp(rng.uniform(-2, 2, 4))
    model = ParetoNBD(r=r, alpha=alpha, s=s, beta=beta)
    summary = histories(rng, 500)
    near_end = CustomerSummary.from_arrays([3, 5], [9.999999, 20.0], [10.0, 20.0])  # cancels
    for rows in (summary, near_end):
        quadrature = _log_likelihood(
            model._theta, rows.frequency, rows.recency, rows.T, with_gradient=False
        )[2]
        assert model.probability_alive(rows) == pytest.approx(quadrature, rel=1e-9, abs=1e-12)
