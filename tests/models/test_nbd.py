"""NBD model: against 50-digit mpmath references, scipy's negative binomial, its limits, its fit.

The promise checked here: for ``r``, ``alpha`` in 1e-3..1e3, frequencies ``x``, ages
``T``, horizons ``t`` and counts ``n`` up to 10^4, the log-likelihood, the conditional
expectation E[X(T, T+t) | x, T] and P(X(t) = n) are exact to a relative 1e-12
(P(X(t) = n) to 1e-300 absolute where it underflows).

The reference table below was written by this script (mpmath 1.4, 50 significant
digits); ``test_table_matches_the_mpmath_functions`` recomputes it on every run
where mpmath is installed.  The expectation is integrated over the posterior of
the purchase rate (``mpmath.quad``), not taken from the closed form the library
uses::

    import mpmath
    mpmath.mp.dps = 50

    def log_likelihood(r, alpha, x, T):   # the purchase times' density, gamma-mixed
        r, alpha, x, T = map(mpmath.mpf, (r, alpha, x, T))
        return (mpmath.loggamma(r + x) - mpmath.loggamma(r) + r * mpmath.log(alpha)
                - (r + x) * mpmath.log(alpha + T))

    def expected(r, alpha, x, T, t):      # E[lambda t], lambda ~ Gamma(r + x, alpha + T)
        r, alpha, x, T, t = map(mpmath.mpf, (r, alpha, x, T, t))
        k, rate = r + x, alpha + T
        density = lambda lam: mpmath.exp(k * mpmath.log(rate) + (k - 1) * mpmath.log(lam)
                                         - rate * lam - mpmath.loggamma(k))
        return mpmath.quad(lambda lam: lam * t * density(lam), [0, k / rate, mpmath.inf])

    def pmf(r, alpha, n, t):              # the negative binomial
        r, alpha, n, t = map(mpmath.mpf, (r, alpha, n, t))
        return mpmath.exp(mpmath.loggamma(r + n) - mpmath.loggamma(r)
                          - mpmath.loggamma(n + 1) + r * mpmath.log(alpha / (alpha + t))
                          + n * mpmath.log(t / (alpha + t)))

    for r, alpha, x, T, t, n in POINTS:
        print(mpmath.nstr(log_likelihood(r, alpha, x, T), 20),
              mpmath.nstr(expected(r, alpha, x, T, t), 20), mpmath.nstr(pmf(r, alpha, n, t), 20))

References: Ehrenberg (1959), "The pattern of consumer purchases"; Morrison &
Schmittlein (1988), "Generalizing the NBD model for customer purchases".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import gammaln

from relmark import BetaGeo, CustomerSummary, ModifiedBetaGeo, ParetoNBD, ValidationError
from relmark.exceptions import ConvergenceError
from relmark.models import NBD, PurchaseModel
from relmark.models._base import ContinuousPurchaseModel
from tests.strategies import log_uniform

try:
    import mpmath
except ImportError:  # pragma: no cover - only the live check needs it
    mpmath = None

# (r, alpha, x, T, t, n) and the 50-digit references, rounded to 20 digits by the script above:
# log-likelihood, E[X(T, T+t) | x, T], P(X(t) = n)
REFERENCE = [
    ((0.243, 4.414, 0, 38.86, 39.0, 0),
     ("-0.55471327643815844845", "0.2189998613486157958", "0.57378635209600940476")),
    ((0.243, 4.414, 2, 38.86, 39.0, 2),
     ("-9.2869832850816487167", "2.0214678559874289761", "0.069930596193839669331")),
    ((1e-3, 1e3, 0, 1e-3, 1e-3, 0),
     ("-9.9999950000033337472e-10", "9.9999900000100004063e-10", "0.9999999990000005005")),
    ((1e-3, 1e-3, 1e4, 1e4, 1e4, 1e4),
     ("-10010.601310010113755", "10000.0", "9.9269539756055444604e-8")),
    ((1e3, 1e-3, 1e4, 1e-3, 1e4, 1e4),
     ("146906.13557087144625", "54999999999.999998855", "2.5074727360195203485e-5548")),
    ((1e3, 1e3, 1.0, 1e4, 1.0, 1.0),
     ("-2400.2931680711689146", "0.091", "0.36769560868009696648")),
    ((2.5, 0.07, 37.0, 512.3, 3.5, 11.0),
     ("-148.57841586746534363", "0.26982454085914478261", "0.0013957720971346768046")),
    ((0.031, 271.8, 5.0, 0.5, 7000.0, 3.0),
     ("-28.266382477888638042", "129.33161953727505886", "0.0087156184233743104571")),
    ((17.0, 6.0, 180.0, 52.0, 52.0, 150.0),
     ("41.94967203485207358", "176.62068965517241379", "0.010315861150583501348")),
    ((1e-3, 1e-3, 1.0, 1e-3, 1e4, 0.0),
     ("-0.69384032774050525474", "5004999.9999999998959", "0.98401110566273263888")),
]  # fmt: skip
RTOL = 1e-12


def _library_values(point: tuple[float, ...]) -> tuple[float, float, float]:
    r, alpha, x, T, t, n = point
    model = NBD(r=r, alpha=alpha)
    summary = CustomerSummary.from_arrays([x], [T if x > 0 else 0.0], [T])
    return (
        float(model.customer_log_likelihood(summary)[0]),
        float(model.expected_purchases(summary, t)[0]),
        model.probability_of_purchases(int(n), t),
    )


def _close(got: float, reference: float) -> bool:
    return math.isfinite(got) and abs(got - reference) <= max(RTOL * abs(reference), 1e-300)


@pytest.mark.parametrize(("point", "expected"), REFERENCE)
def test_matches_the_mpmath_references(point: tuple[float, ...], expected: tuple[str, ...]) -> None:
    got = _library_values(point)
    for name, value, reference in zip(("ll", "expected", "pmf"), got, expected, strict=True):
        assert _close(value, float(reference)), (name, point, value, reference)


# -- the reference script, live ---------------------------------------------------------------


def _mp_log_likelihood(r: float, alpha: float, x: float, T: float) -> Any:
    r_, alpha_, x_, T_ = (mpmath.mpf(v) for v in (r, alpha, x, T))
    return (
        mpmath.loggamma(r_ + x_)
        - mpmath.loggamma(r_)
        + r_ * mpmath.log(alpha_)
        - (r_ + x_) * mpmath.log(alpha_ + T_)
    )


def _mp_expected(r: float, alpha: float, x: float, T: float, t: float) -> Any:
    r_, alpha_, x_, T_, t_ = (mpmath.mpf(v) for v in (r, alpha, x, T, t))
    k, rate = r_ + x_, alpha_ + T_

    def density(lam: Any) -> Any:
        return mpmath.exp(
            k * mpmath.log(rate) + (k - 1) * mpmath.log(lam) - rate * lam - mpmath.loggamma(k)
        )

    return mpmath.quad(lambda lam: lam * t_ * density(lam), [0, k / rate, mpmath.inf])


def _mp_pmf(r: float, alpha: float, n: float, t: float) -> Any:
    r_, alpha_, n_, t_ = (mpmath.mpf(v) for v in (r, alpha, n, t))
    return mpmath.exp(
        mpmath.loggamma(r_ + n_)
        - mpmath.loggamma(r_)
        - mpmath.loggamma(n_ + 1)
        + r_ * mpmath.log(alpha_ / (alpha_ + t_))
        + n_ * mpmath.log(t_ / (alpha_ + t_))
    )


def _mp_row(point: tuple[float, ...]) -> tuple[Any, Any, Any]:
    r, alpha, x, T, t, n = point
    with mpmath.workdps(50):
        return (
            _mp_log_likelihood(r, alpha, x, T),
            _mp_expected(r, alpha, x, T, t),
            _mp_pmf(r, alpha, n, t),
        )


@pytest.mark.skipif(mpmath is None, reason="mpmath is not installed")
def test_table_matches_the_mpmath_functions() -> None:
    for point, expected in REFERENCE:
        with mpmath.workdps(50):
            for value, reference in zip(_mp_row(point), expected, strict=True):
                # the table keeps 20 digits: agreement to 1e-18 relative
                assert abs(value - mpmath.mpf(reference)) <= mpmath.mpf(10) ** -18 * abs(value)


@pytest.mark.skipif(mpmath is None, reason="mpmath is not installed")
@settings(max_examples=25)
@given(
    r=log_uniform(),
    alpha=log_uniform(),
    x=st.integers(0, 10_000),
    T=log_uniform(1e-3, 1e4),
    t=log_uniform(1e-3, 1e4),
    n=st.integers(0, 10_000),
)
def test_random_points_match_mpmath(
    r: float, alpha: float, x: int, T: float, t: float, n: int
) -> None:
    point = (r, alpha, float(x), T, t, float(n))
    for name, value, reference in zip(
        ("ll", "expected", "pmf"), _library_values(point), _mp_row(point), strict=True
    ):
        assert _close(value, float(reference)), (name, point, value, reference)


# -- independent routes -----------------------------------------------------------------------


@given(
    r=log_uniform(1e-2, 1e2),
    alpha=log_uniform(1e-2, 1e2),
    x=st.integers(0, 500),
    T=log_uniform(1e-2, 1e3),
)
def test_log_likelihood_is_scipys_negative_binomial_count_with_the_times_density(
    r: float, alpha: float, x: int, T: float
) -> None:
    # P(X(T) = x) is negative binomial(r, alpha / (alpha + T)); the purchase times of a
    # Poisson process given x of them are uniform on (0, T]: density x! / T^x.  Their
    # product is the likelihood of the times, the form BG/NBD and Pareto/NBD use.
    summary = CustomerSummary.from_arrays([x], [T / 2 if x else 0.0], [T])
    count = stats.nbinom.logpmf(x, r, alpha / (alpha + T))
    times = gammaln(x + 1.0) - x * math.log(T)
    got = float(NBD(r=r, alpha=alpha).customer_log_likelihood(summary)[0])
    assert got == pytest.approx(count + times, rel=1e-9, abs=1e-9)


@given(r=log_uniform(1e-2, 1e2), alpha=log_uniform(1e-2, 1e2), t=log_uniform(1e-2, 1e2))
def test_new_customer_counts_are_scipys_negative_binomial(r: float, alpha: float, t: float) -> None:
    model = NBD(r=r, alpha=alpha)
    n = np.arange(0, 40)
    expected = stats.nbinom.pmf(n, r, alpha / (alpha + t))
    np.testing.assert_allclose(model.probability_of_purchases(n, np.full(n.size, t)), expected,
                               rtol=1e-9, atol=1e-300)  # fmt: skip
    assert model.expected_purchases_new_customer(t) == pytest.approx(r * t / alpha, rel=1e-15)


@pytest.mark.parametrize(
    "dropout",
    [
        BetaGeo(r=0.8, alpha=3.0, a=1e-200, b=2.0),
        ModifiedBetaGeo(r=0.8, alpha=3.0, a=1e-200, b=2.0),
        ParetoNBD(r=0.8, alpha=3.0, s=1e-200, beta=5.0),
        ParetoNBD(r=0.8, alpha=3.0, s=0.5, beta=1e200),
    ],
    ids=["BG/NBD a->0", "MBG/NBD a->0", "Pareto/NBD s->0", "Pareto/NBD beta->inf"],
)
def test_is_the_no_dropout_limit_of_the_dropout_models(dropout: Any) -> None:
    # a, s of 1e-200: the dropout terms (a tiny parameter times a ratio of (alpha + T) to
    # (alpha + t_x) to the power r + x) are far below rounding for every history
    summary = BetaGeo(r=0.8, alpha=3.0, a=0.5, b=2.0).simulate(300, 39.0, rng=5)
    limit = NBD(r=0.8, alpha=3.0)
    np.testing.assert_allclose(
        dropout.customer_log_likelihood(summary), limit.customer_log_likelihood(summary),
        rtol=1e-9, atol=1e-9,
    )  # fmt: skip
    np.testing.assert_allclose(dropout.probability_alive(summary), 1.0, atol=1e-9)
    np.testing.assert_allclose(
        dropout.expected_purchases(summary, 26.0), limit.expected_purchases(summary, 26.0),
        rtol=1e-8,
    )  # fmt: skip


# -- the model contract -----------------------------------------------------------------------

TRUTH = NBD(r=2.0, alpha=4.0)


@pytest.fixture(scope="module")
def simulated() -> CustomerSummary:
    return TRUTH.simulate(20_000, 39.0, rng=np.random.default_rng(20261201))


def test_fit_recovers_the_parameters_within_the_reported_standard_errors(
    simulated: CustomerSummary,
) -> None:
    model = NBD.fit(simulated)
    assert type(model) is NBD and model.fit_info is not None
    assert model.fit_info.names == ("r", "alpha") and model == NBD(**model.params)
    for name, truth in TRUTH.params.items():
        error = model.fit_info.stderr[name]
        assert 0 < error < 0.1 * truth
        assert abs(model.params[name] - truth) < 4 * error, (name, model.params[name])
    assert model.fit_info.log_likelihood == pytest.approx(model.log_likelihood(simulated))


def test_the_fit_gradient_matches_finite_differences(simulated: CustomerSummary) -> None:
    objective = NBD._objective(NBD._fit_rows(simulated))
    theta = np.array([2.2, 4.4])
    value, gradient = objective(theta)
    assert value == pytest.approx(-TRUTH.__class__(r=2.2, alpha=4.4).log_likelihood(simulated))
    for j in range(2):
        up, down = theta.copy(), theta.copy()
        up[j] *= 1 + 1e-6
        down[j] *= 1 - 1e-6
        numeric = (objective(up)[0] - objective(down)[0]) / (up[j] - down[j])
        assert gradient[j] == pytest.approx(numeric, rel=1e-5)


def test_weights_count_as_repeated_rows() -> None:
    rows = CustomerSummary.from_arrays([0, 3, 1], [0.0, 20.0, 5.0], [30.0, 30.0, 12.0])
    weighted = CustomerSummary.from_arrays(
        [0, 3, 1], [0.0, 20.0, 5.0], [30.0, 30.0, 12.0], weights=[2, 1, 3]
    )
    repeated = rows.subset(np.array([0, 0, 1, 2, 2, 2]))
    assert TRUTH.log_likelihood(weighted) == pytest.approx(TRUTH.log_likelihood(repeated))


def test_predictions_keep_the_purchase_model_contract(simulated: CustomerSummary) -> None:
    assert isinstance(TRUTH, PurchaseModel) and isinstance(TRUTH, ContinuousPurchaseModel)
    assert TRUTH.probability_alive(simulated).tolist() == [1.0] * len(simulated)
    rows = simulated.subset(np.arange(0, len(simulated), 400))
    horizons = [0.0, 0.5, 3.0, 52.0, 1e4]
    conditional = np.stack([TRUTH.expected_purchases(rows, h) for h in horizons])
    assert np.all(conditional[0] == 0) and np.all(np.diff(conditional, axis=0) >= 0)
    # linear in t: the posterior mean rate (r + x) / (alpha + T) times t
    np.testing.assert_allclose(conditional[3], (2.0 + rows.frequency) / (4.0 + rows.T) * 52.0)
    pmf = TRUTH.probability_of_purchases(np.arange(0, 400)[:, None], np.array([[1.0, 39.0]]))
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, rtol=1e-12)
    owner, offset = TRUTH.simulate_purchase_times(20_000, 39.0, rng=9)
    counts = np.bincount(owner, minlength=20_000)
    spread = float(np.std(counts)) / math.sqrt(20_000)
    assert abs(counts.mean() - TRUTH.expected_purchases_new_customer(39.0)) < 4 * spread
    assert np.all((offset > 0) & (offset <= 39.0))


def test_simulated_summaries_have_the_models_mean() -> None:
    summary = TRUTH.simulate(20_000, 39.0, rng=2)
    assert bool(np.all(summary.recency <= summary.T))
    expected = TRUTH.expected_purchases_new_customer(39.0)  # 19.5
    assert abs(summary.frequency.mean() - expected) < 4 * summary.frequency.std() / math.sqrt(2e4)


def test_data_without_heterogeneity_leave_r_unidentified() -> None:
    # every customer buys exactly half a purchase a week: counts vary less than any Poisson
    # mixture's, and the gamma mixing collapses to one rate (r, alpha -> infinity)
    T = np.random.default_rng(4).uniform(20.0, 60.0, 5_000)
    x = np.round(0.5 * T)
    summary = CustomerSummary.from_arrays(x, 0.9 * T, T)
    with pytest.raises(ConvergenceError, match=r"^NBD fit found no interior maximum") as caught:
        NBD.fit(summary)
    assert caught.value.unidentified == {"r": "infinity", "alpha": "infinity"}


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_bad_parameters_raise_naming_them(bad: float) -> None:
    with pytest.raises(ValidationError, match=r"^`r` must"):
        NBD(r=bad, alpha=1.0)
    with pytest.raises(ValidationError, match=r"^`alpha` must"):
        NBD(r=1.0, alpha=bad)
    with pytest.raises(TypeError, match=r"`r` must be a real number"):
        NBD(r="1", alpha=1.0)  # type: ignore[arg-type]


def test_bad_inputs_raise_naming_them(simulated: CustomerSummary) -> None:
    with pytest.raises(TypeError, match=r"`summary` must be a CustomerSummary"):
        TRUTH.expected_purchases([1, 2], 3.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"`t` must be >= 0"):
        TRUTH.expected_purchases(simulated, -1.0)
    with pytest.raises(ValidationError, match=r"`start` is missing 'r'"):
        NBD.fit(simulated, start={"alpha": 1.0})
    with pytest.raises(ValidationError, match=r"cannot fit NBD to an empty summary"):
        NBD.fit(CustomerSummary.from_arrays([], [], []))
