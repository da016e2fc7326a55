"""DERT (discounted expected residual transactions) and residual lifetime value.

What is checked, and against what:

- ``discount_factor`` G(m, w) = w e^w E_m(w) against mpmath's ``expint`` at 30
  digits, recomputed on every run (a fraction of a second);
- BG/NBD's value given alive, E[lambda / (delta + p lambda)], against the table
  below, written by this script (mpmath 1.4, 30 digits; ``expint`` for the
  purchase rate's integral, tanh-sinh quadrature in the log-odds of ``p``, so
  neither the library's special function nor its quadrature)::

      import mpmath as mp
      mp.mp.dps = 30

      def dert_alive(r, alpha, a, b_k, x, T, delta):
          r, alpha, a, b_k, x, T, delta = map(mp.mpf, (r, alpha, a, b_k, x, T, delta))
          k, rate, bb = r + x, alpha + T, b_k + x
          c = delta * rate
          log_b = mp.log(mp.beta(a, bb))
          def h(p):  # E_lambda[lambda / (delta + p lambda)] = (k / c) w e^w E_{k+1}(w)
              w = c / p
              return k / c * w * mp.exp(w) * mp.expint(k + 1, w)
          def outer(y):
              p = 1 / (1 + mp.exp(-y))
              return mp.exp(a * mp.log(p) + bb * mp.log(1 - p) - log_b) * h(p)
          ym, sd = mp.log(a / bb), mp.sqrt(1 / a + 1 / bb)
          ends = [ym - 80 / a - 60 * sd, ym + 80 / bb + 60 * sd]  # p^a, (1-p)^bb below e^-80
          inner = [ym + j * sd for j in (-60, -15, -5, -2, 0, 2, 5, 15, 60)]
          return mp.quad(outer, [ends[0], *inner, ends[1]])

  The first row was also checked against a nested 20-digit double integral
  over (lambda, p), agreeing to 1e-16;
- Pareto/NBD against eq. 2 of Fader, Hardie & Lee (2005) evaluated with
  mpmath's ``hyperu`` and the library's likelihood;
- every model against the identity DERT = delta * int_0^inf e^(-delta t)
  E[Y(t)] dt over the library's own expected purchases (scipy ``quad``): the
  same number reached through a different, separately tested kernel;
- properties (>= 0, decreasing in the rate, rising with x at t_x = T),
  the distinct-pair path, bad input.

Published figures: the iso-value tables and totals of Fader, Hardie & Lee
(2005, JMR 42(4)) could not be retrieved for this work (only the paper's
first page and abstract were reachable), so no test quotes them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import relmark
from relmark import BetaGeo, CustomerSummary, ModifiedBetaGeo, ParetoNBD, ValidationError
from relmark.models import NBD
from relmark.models._residual import discount_factor
from relmark.models.beta_geo import _discounted_if_alive, _distinct_pairs
from tests.strategies import customer_histories, models

mpmath = pytest.importorskip("mpmath")

WEEKLY_15_PERCENT = math.log(1.15) / 52  # FHL (2005): 15% a year, continuously, per week

# (r, alpha, a, b_k, x, T, delta) -> E[lambda / (delta + p lambda)] (the script above)
ALIVE_TABLE = [
    ((0.243, 4.414, 0.793, 2.426, 0, 38.86, 0.002687729661060743), 1.0187461946469326695),
    ((0.243, 4.414, 0.793, 3.426, 10, 38.86, 0.01), 12.970651922830270976),
    ((2.0, 1.0, 3.0, 0.5, 5, 10.0, 0.1), 2.1002654763220059165),
    ((0.05, 50.0, 0.2, 20.0, 100, 100.0, 0.001), 493.13030736652705089),
    ((5.0, 0.5, 0.05, 0.3, 0, 1.0, 1.0), 2.8235278485211762129),
]


def _mp_discount_factor(m: float, w: float) -> float:
    with mpmath.workdps(30):
        m_, w_ = mpmath.mpf(m), mpmath.mpf(w)
        return float(w_ * mpmath.exp(w_) * mpmath.expint(m_, w_))


def test_discount_factor_matches_mpmath() -> None:
    rng = np.random.default_rng(5)
    m = np.concatenate(
        [
            10 ** rng.uniform(-3, 2.5, 60),
            1 + 10 ** rng.uniform(-6, 1.2, 30),
            0.5 + rng.uniform(-1e-9, 1e-9, 4),  # the switch to gammaincc
            1.5 + rng.uniform(-1e-9, 1e-9, 4),  # the start of the recurrence
            [1.0, 2.0, 19.999, 20.0, 0.999999],
        ]
    )
    w = np.concatenate(
        [
            10 ** rng.uniform(-6, 6, 60),
            10 ** rng.uniform(-3, 0.5, 30),
            10 ** rng.uniform(-3, 0, 8),
            [0.5, 0.999, 0.3, 1.0, 0.7],
        ]
    )
    got = discount_factor(m, w)
    reference = np.array([_mp_discount_factor(a, b) for a, b in zip(m, w, strict=True)])
    assert got == pytest.approx(reference, rel=1e-13)


def test_discount_factor_limits() -> None:
    # G -> w / (w + m) when w >> m (tau ~ m / w small), G ~ w / (m - 1) when w << 1 < m
    assert discount_factor(np.array([2.0]), np.array([1e8]))[0] == pytest.approx(
        1e8 / (1e8 + 2.0), rel=1e-12
    )
    assert discount_factor(np.array([3.0]), np.array([1e-9]))[0] == pytest.approx(
        1e-9 / 2.0, rel=1e-8
    )


@pytest.mark.parametrize(("point", "reference"), ALIVE_TABLE)
def test_bg_nbd_value_if_alive_matches_mpmath(point: tuple[float, ...], reference: float) -> None:
    r, alpha, a, b_k, x, T, delta = point
    got = _discounted_if_alive(r, a, b_k, np.array([float(x)]), np.array([alpha + T]), delta)
    assert got[0] == pytest.approx(reference, rel=1e-12)


def test_bg_nbd_one_time_buyer_matches_the_table() -> None:
    # BG/NBD: no repeat purchase, no dropout chance yet, P(alive) = 1; the table's first row
    model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    s = CustomerSummary.from_arrays([0], [0.0], [38.86])
    dert = model.discounted_expected_residual_transactions(s, WEEKLY_15_PERCENT)
    assert dert[0] == pytest.approx(ALIVE_TABLE[0][1], rel=1e-12)


def test_modified_bg_nbd_uses_one_more_dropout_chance() -> None:
    # MBG/NBD's posterior is Beta(a, b + x + 1): the table's second row, b_k = b + 1
    (r, alpha, a, b_k, x, T, delta), reference = ALIVE_TABLE[1]
    model = ModifiedBetaGeo(r=r, alpha=alpha, a=a, b=b_k - 1.0)
    s = CustomerSummary.from_arrays([x], [T], [T])
    dert = model.discounted_expected_residual_transactions(s, delta)
    assert dert[0] == pytest.approx(model.probability_alive(s)[0] * reference, rel=1e-12)


def _fhl_equation_2(model: ParetoNBD, x: float, t_x: float, T: float, delta: float) -> float:
    """FHL (2005) eq. 2 with mpmath's hyperu and the library's likelihood."""
    r, alpha, s, beta = (mpmath.mpf(v) for v in (model.r, model.alpha, model.s, model.beta))
    log_l = model.customer_log_likelihood(CustomerSummary.from_arrays([x], [t_x], [T]))[0]
    with mpmath.workdps(30):
        value = (
            r * mpmath.log(alpha)
            + s * mpmath.log(beta)
            + (s - 1) * mpmath.log(delta)
            + mpmath.loggamma(r + x + 1)
            + mpmath.log(mpmath.hyperu(s, s, delta * (beta + T)))
            - mpmath.loggamma(r)
            - (r + x + 1) * mpmath.log(alpha + T)
            - mpmath.mpf(log_l)
        )
        return float(mpmath.exp(value))


@pytest.mark.parametrize(
    ("x", "t_x", "T", "delta"),
    [
        (0, 0.0, 38.86, WEEKLY_15_PERCENT),
        (2, 30.43, 38.86, WEEKLY_15_PERCENT),
        (7, 35.0, 77.86, 0.0027),
        (20, 10.0, 38.86, 0.05),
        (150, 38.0, 39.0, 1e-4),
    ],
)
def test_pareto_nbd_matches_equation_2(x: int, t_x: float, T: float, delta: float) -> None:
    model = ParetoNBD(r=0.5533, alpha=10.5776, s=0.6061, beta=11.6650)
    s = CustomerSummary.from_arrays([x], [t_x], [T])
    got = model.discounted_expected_residual_transactions(s, delta)[0]
    assert got == pytest.approx(_fhl_equation_2(model, x, t_x, T, delta), rel=1e-10)


def _laplace_of_expected(
    model: relmark.BetaGeo | ParetoNBD | NBD, s: CustomerSummary, d: float
) -> float:
    """delta * int_0^inf e^(-delta t) E[Y(t)] dt, in u = delta t, by scipy's adaptive quadrature."""

    def integrand(u: float) -> float:
        return math.exp(-u) * float(model.expected_purchases(s, u / d)[0])

    value, _ = integrate.quad(integrand, 0.0, np.inf, epsabs=0.0, epsrel=1e-11, limit=400)
    return float(value)


@pytest.mark.parametrize(
    "model",
    [
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
        BetaGeo(r=2.0, alpha=1.0, a=3.0, b=0.5),
        ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614),
        ParetoNBD(r=0.5533, alpha=10.5776, s=0.6061, beta=11.6650),
        ParetoNBD(r=2.0, alpha=3.0, s=1.0, beta=5.0),  # s = 1 exactly
        NBD(r=0.5, alpha=10.0),
    ],
    ids=repr,
)
@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 38.86), (3, 20.0, 38.86), (12, 38.0, 40.0)])
def test_dert_is_the_discounted_integral_of_expected_purchases(
    model: BetaGeo | ParetoNBD | NBD, x: int, t_x: float, T: float
) -> None:
    s = CustomerSummary.from_arrays([x], [t_x], [T])
    for delta in (0.05, 0.5):
        got = model.discounted_expected_residual_transactions(s, delta)[0]
        assert got == pytest.approx(_laplace_of_expected(model, s, delta), rel=1e-8)


def test_nbd_dert_closed_form_and_limit_of_bg_nbd() -> None:
    s = CustomerSummary.from_arrays([0, 4], [0.0, 30.0], [39.0, 39.0])
    nbd = NBD(r=0.5, alpha=10.0).discounted_expected_residual_transactions(s, 0.01)
    assert nbd.tolist() == pytest.approx([0.5 / (49.0 * 0.01), 4.5 / (49.0 * 0.01)], rel=1e-15)
    # BG/NBD with dropout probabilities near 0 (a tiny, b large) approaches it
    almost = BetaGeo(r=0.5, alpha=10.0, a=1e-6, b=1e3).discounted_expected_residual_transactions(
        s, 0.01
    )
    assert almost == pytest.approx(nbd, rel=1e-5)


@settings(max_examples=40, deadline=None)
@given(
    model=st.one_of(
        models(BetaGeo, 1e-2, 1e2), models(ModifiedBetaGeo, 1e-2, 1e2), models(ParetoNBD, 1e-2, 1e2)
    ),
    history=customer_histories(max_frequency=500, max_T=1e3),
    delta=st.floats(1e-4, 10.0),
)
def test_dert_is_positive_finite_and_falls_with_the_rate(
    model: BetaGeo | ParetoNBD, history: tuple[float, float, float], delta: float
) -> None:
    x, t_x, T = history
    s = CustomerSummary.from_arrays([x], [t_x], [T])
    low = model.discounted_expected_residual_transactions(s, delta)[0]
    high = model.discounted_expected_residual_transactions(s, 2.0 * delta)[0]
    assert np.isfinite(low) and np.isfinite(high)
    assert 0.0 <= high <= low * (1.0 + 1e-12)


@pytest.mark.parametrize(
    "model",
    [
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
        ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614),
        ParetoNBD(r=0.5533, alpha=10.5776, s=0.6061, beta=11.6650),
        NBD(r=0.5, alpha=10.0),
    ],
    ids=repr,
)
def test_dert_rises_with_frequency_at_the_end_of_observation(
    model: BetaGeo | ParetoNBD | NBD,
) -> None:
    x = np.arange(1.0, 60.0)
    s = CustomerSummary.from_arrays(x, np.full(x.size, 38.86), np.full(x.size, 38.86))
    dert = model.discounted_expected_residual_transactions(s, WEEKLY_15_PERCENT)
    assert (np.diff(dert) > 0).all()


def test_large_summaries_value_through_distinct_pairs() -> None:
    model = BetaGeo(r=0.5, alpha=3.0, a=0.8, b=2.0)
    rng = np.random.default_rng(9)
    drawn = model.simulate(30_000, rng.integers(1, 40, 30_000).astype(float), rng=rng)
    dert = model.discounted_expected_residual_transactions(drawn, 0.02)
    direct = model._discounted_if_alive(drawn.frequency, drawn.T, 0.02)
    assert dert == pytest.approx(direct * model.probability_alive(drawn), rel=1e-12)


def test_distinct_pairs_agree_with_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, 50_000).astype(float)
    T = np.round(rng.uniform(10, 50, 50_000) * 7) / 7
    (px, pT), row_of = _distinct_pairs(x, T)
    expected = np.unique(np.stack([x, T], axis=1), axis=0)
    assert np.array_equal(np.stack([px, pT], axis=1), expected)
    assert np.array_equal(px[row_of], x) and np.array_equal(pT[row_of], T)
    # many distinct T: the pair codes are sorted rather than counted
    T = rng.uniform(10, 50, 50_000)
    (px, pT), row_of = _distinct_pairs(x, T)
    assert np.array_equal(px[row_of], x) and np.array_equal(pT[row_of], T)


@pytest.mark.parametrize(
    ("rate", "error", "message"),
    [
        (0.0, ValidationError, r"^`discount_rate` must be > 0, got 0\.0$"),
        (-0.1, ValidationError, r"^`discount_rate` must be > 0, got -0\.1$"),
        (float("nan"), ValidationError, r"^`discount_rate` must not be NaN$"),
        (float("inf"), ValidationError, r"^`discount_rate` must be finite, got inf$"),
        (True, TypeError, r"^`discount_rate` must be a real number, got bool$"),
        ("0.1", TypeError, r"^`discount_rate` must be a real number, got str$"),
    ],
)
def test_bad_discount_rates_raise(rate: object, error: type[Exception], message: str) -> None:
    s = CustomerSummary.from_arrays([1], [5.0], [10.0])
    for model in (BetaGeo(r=1, alpha=1, a=1, b=1), ParetoNBD(r=1, alpha=1, s=1, beta=1)):
        with pytest.raises(error, match=message):
            model.discounted_expected_residual_transactions(s, rate)  # type: ignore[arg-type]


def test_a_table_is_not_a_summary() -> None:
    with pytest.raises(TypeError, match=r"^`summary` must be a CustomerSummary, got dict$"):
        NBD(r=1.0, alpha=1.0).discounted_expected_residual_transactions({}, 0.1)  # type: ignore[arg-type]


# -- residual lifetime value ----------------------------------------------------------------


def _customers() -> CustomerSummary:
    return CustomerSummary.from_arrays(
        [0, 2, 6], [0.0, 30.43, 35.0], [38.86, 38.86, 38.86], monetary_value=[0.0, 35.0, 20.0]
    )


def test_residual_lifetime_value_is_dert_times_spend_times_margin() -> None:
    purchases = ParetoNBD(r=0.5533, alpha=10.5776, s=0.6061, beta=11.6650)
    spend = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    s = _customers()
    value = relmark.economics.clv.residual_lifetime_value(
        purchases, spend, s, discount_rate=WEEKLY_15_PERCENT, margin=0.3
    )
    dert = purchases.discounted_expected_residual_transactions(s, WEEKLY_15_PERCENT)
    assert value == pytest.approx(0.3 * spend.expected_spend(s) * dert, rel=1e-15)
    in_purchases = relmark.economics.clv.residual_lifetime_value(
        purchases, None, s, discount_rate=WEEKLY_15_PERCENT
    )
    assert in_purchases == pytest.approx(dert, rel=1e-15)


def test_residual_lifetime_value_needs_a_dert_model() -> None:
    bgbb = relmark.BetaGeoBetaBinom(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78)
    with pytest.raises(
        TypeError,
        match=r"^`purchase_model` must be a ResidualTransactionModel \(an object with "
        r"discounted_expected_residual_transactions\(\)\), got BetaGeoBetaBinom$",
    ):
        relmark.economics.clv.residual_lifetime_value(bgbb, None, _customers(), discount_rate=0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"discount_rate": 0.0}, r"^`discount_rate` must be > 0, got 0\.0$"),
        ({"discount_rate": 0.1, "margin": 1.5}, r"^`margin` must be <= 1, got 1\.5$"),
    ],
)
def test_residual_lifetime_value_bad_options(options: dict[str, float], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        relmark.economics.clv.residual_lifetime_value(
            NBD(r=1.0, alpha=1.0), None, _customers(), **options
        )


def test_residual_lifetime_value_checks_the_spend_model() -> None:
    with pytest.raises(TypeError, match=r"^`spend_model` must be a SpendModel"):
        relmark.economics.clv.residual_lifetime_value(
            NBD(r=1.0, alpha=1.0),
            NBD(r=1.0, alpha=1.0),  # type: ignore[arg-type]
            _customers(),
            discount_rate=0.1,
        )
