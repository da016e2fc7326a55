"""Model comparison and choice: every figure against a hand computation or an independent
formula (AIC/BIC from the per-customer log-likelihoods, LR p-values from scipy.stats.chi2,
holdout metrics on a three-customer split, P(active) from closed forms and quadrature),
choose_model on data simulated from a known model, and every refusal with its message."""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import hyp2f1

import relmark
from relmark import ConvergenceError, CustomerSummary, TransactionLog, ValidationError
from relmark.comparison import (
    NESTED_MODELS,
    ActivityCalibration,
    ModelComparison,
    choose_model,
    compare,
    holdout_split,
    probability_active,
    tracking_curves,
)
from relmark.datasets import cdnow_sample_summary, load_cdnow_sample
from relmark.models import FitInfo
from tests.strategies import customer_summaries, models

# Fader, Hardie & Lee (2005), CDNOW estimates (weeks)
BG = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def sample() -> CustomerSummary:
    return cdnow_sample_summary()


@pytest.fixture(scope="module")
def fitted(sample: CustomerSummary) -> dict[str, Any]:
    return {cls.__name__: cls.fit(sample) for cls in (relmark.BetaGeo, relmark.NBD)}


def by_hand(model: Any, summary: CustomerSummary) -> FitInfo:
    """A fit record for a model with known parameters: its log-likelihood of ``summary``."""
    k = len(model.parameter_names())
    return FitInfo(
        names=model.parameter_names(),
        estimates=tuple(model.params.values()),
        log_likelihood=float(np.sum(summary.weights * model.customer_log_likelihood(summary))),
        covariance=np.eye(k),
        log_covariance=np.eye(k),
        iterations=0,
        n_customers=summary.n_customers,
        n_rows=len(summary),
        seconds=0.0,
        message="by hand",
    )


# -- information criteria and likelihood-ratio tests ---------------------------------------


def test_aic_and_bic_by_hand(sample: CustomerSummary, fitted: dict[str, Any]) -> None:
    comparison = compare(fitted, sample)
    n = 2357  # customers, not the 1,016 distinct rows
    for name, k in (("BetaGeo", 4), ("NBD", 2)):
        ll = float(fitted[name].customer_log_likelihood(sample).sum())
        row = comparison[name]
        assert row.n_parameters == k
        assert row.log_likelihood == pytest.approx(ll, rel=1e-9)
        assert row.aic == pytest.approx(2 * k - 2 * ll, rel=1e-9)
        assert row.bic == pytest.approx(k * math.log(n) - 2 * ll, rel=1e-9)
    # Fader, Hardie & Lee (2005): BG/NBD log-likelihood -9,582.4 on the CDNOW sample
    assert comparison["BetaGeo"].log_likelihood == pytest.approx(-9582.43, abs=0.01)
    assert comparison.best("bic") == comparison.best("aic") == "BetaGeo"


def test_bic_counts_customers_of_a_compressed_summary(sample: CustomerSummary) -> None:
    rows = sample.compress()
    assert len(rows) == 1016
    row = compare([relmark.NBD.fit(rows)], rows).rows[0]
    assert row.bic == pytest.approx(2 * math.log(2357) - 2 * row.log_likelihood, rel=1e-12)


def nbd_customers(seed: int) -> CustomerSummary:
    """1,000 customers who never leave: the NBD is true, BG/NBD nests it at its boundary."""
    rng = np.random.default_rng(seed)
    return relmark.NBD(r=0.55, alpha=10.6).simulate(1000, rng.uniform(26, 39, 1000), rng=rng)


def test_likelihood_ratio_test_of_the_nbd_in_bg_nbd_by_hand() -> None:
    summary = nbd_customers(18)  # a seed where BG/NBD finds an interior maximum
    nbd, bg = relmark.NBD.fit(summary), relmark.BetaGeo.fit(summary)
    test = compare({"NBD": nbd, "BG/NBD": bg}, summary).tests[0]
    statistic = 2 * float(
        bg.customer_log_likelihood(summary).sum() - nbd.customer_log_likelihood(summary).sum()
    )
    assert (test.small, test.big, test.df, test.boundary) == ("NBD", "BG/NBD", 2, True)
    assert test.statistic == pytest.approx(statistic, rel=1e-7)
    assert statistic == pytest.approx(4.839, abs=1e-3)
    # chi-bar-square: half the chi2(1) tail (the NBD is on the boundary of BG/NBD)
    assert test.p_value == pytest.approx(0.5 * stats.chi2.sf(statistic, 1), rel=1e-6)
    assert test.p_value == pytest.approx(0.0139, abs=1e-4)
    assert test.distribution == "0.5 chi2(0) + 0.5 chi2(1)"
    assert str(test) == (
        "NBD in BG/NBD: LR 4.84, df 2, p 0.0139 (boundary: 0.5 chi2(0) + 0.5 chi2(1))"
    )


def test_a_declared_nested_pair_is_tested_with_chi2_of_the_parameter_difference() -> None:
    @attrs.frozen(kw_only=True, repr=False)
    class MyNBD(relmark.NBD):
        """Not in NESTED_MODELS (pairs match by exact class): declared by the user."""

    summary = nbd_customers(18)
    mine = MyNBD.fit(summary)
    bg = relmark.BetaGeo.fit(summary)
    assert compare({"mine": mine, "bg": bg}).tests == ()
    test = compare({"mine": mine, "bg": bg}, nested=[("mine", "bg")]).tests[0]
    assert (test.df, test.boundary, test.distribution) == (2, False, "chi2(2)")
    statistic = 2 * (bg.fit_info.log_likelihood - mine.fit_info.log_likelihood)
    assert test.p_value == pytest.approx(stats.chi2.sf(statistic, 2), rel=1e-12)
    assert test.p_value == pytest.approx(math.exp(-statistic / 2), rel=1e-9)  # chi2(2) tail


def test_the_known_nested_pairs_are_the_nbd_in_each_dropout_model(
    sample: CustomerSummary,
) -> None:
    assert set(NESTED_MODELS) == {
        (relmark.NBD, relmark.BetaGeo),
        (relmark.NBD, relmark.ModifiedBetaGeo),
        (relmark.NBD, relmark.ParetoNBD),
    }
    assert all(NESTED_MODELS.values())
    # the NBD is each one's limit without dropout: their likelihoods tend to the NBD's
    nbd = relmark.NBD(r=0.4, alpha=6.0)
    expected = nbd.customer_log_likelihood(sample)
    limits = [
        relmark.BetaGeo(r=0.4, alpha=6.0, a=1e-40, b=1.0),
        relmark.ModifiedBetaGeo(r=0.4, alpha=6.0, a=1.0, b=1e40),
        relmark.ParetoNBD(r=0.4, alpha=6.0, s=1e-40, beta=1.0),
    ]
    for limit in limits:
        np.testing.assert_allclose(limit.customer_log_likelihood(sample), expected, rtol=1e-9)


def test_ties_go_to_fewer_parameters_then_to_the_first_listed(sample: CustomerSummary) -> None:
    info = by_hand(BG, sample)
    small = relmark.NBD(r=0.3, alpha=5.0)
    # the NBD's log-likelihood 2 lower makes the two AICs equal: 8 - 2(l + 2) = 4 - 2l
    small_info = attrs.evolve(by_hand(small, sample), log_likelihood=info.log_likelihood - 2.0)
    tied = compare({"bg": attrs.evolve(BG, fit_info=info),
                    "nbd": attrs.evolve(small, fit_info=small_info)})  # fmt: skip
    assert tied["bg"].aic == pytest.approx(tied["nbd"].aic, rel=1e-15)
    assert tied.best("aic") == "nbd"
    twins = compare({"first": attrs.evolve(BG, fit_info=info),
                     "second": attrs.evolve(BG, fit_info=info)})  # fmt: skip
    assert twins.best("bic") == "first"


# -- holdout accuracy: a three-customer split by hand ------------------------------------------


def tracking_log() -> TransactionLog:
    """Days: a buys on 0, 3 (twice: one purchase day), 7, 12; b on 2, 5, 14; c on 4; d, first
    seen on day 9 after calibration (day 8) ends, on 9 and 11."""
    ids = ["a", "a", "a", "a", "a", "b", "b", "b", "c", "d", "d"]
    days = [0.0, 3.0, 3.0, 7.0, 12.0, 2.0, 5.0, 14.0, 4.0, 9.0, 11.0]
    return TransactionLog.from_arrays(ids, days, unit="D")


def bg_expected(x: Any, t_x: Any, T: Any, t: float) -> np.ndarray:
    """BG/NBD E[Y(t) | x, t_x, T], Fader, Hardie & Lee (2005), eq. 10 (closed form)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = BG.r, BG.alpha, BG.a, BG.b
    odds = a / (b + np.maximum(x, 1.0) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    alive = 1.0 / (1.0 + np.where(x > 0, odds, 0.0))
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    return np.asarray((a + b + x - 1) / (a - 1) * bracket * alive)


def bg_active(x: Any, t_x: Any, T: Any, t: float) -> np.ndarray:
    """P(a purchase in (T, T+t]): P(alive) times P(a Poisson purchase | alive), by posterior
    lambda ~ Gamma(r + x, alpha + T): 1 - ((alpha + T) / (alpha + T + t)) ** (r + x)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    summary = CustomerSummary.from_arrays(x, t_x, T)
    alive = BG.probability_alive(summary)
    return np.asarray(alive * (1 - ((BG.alpha + T) / (BG.alpha + T + t)) ** (BG.r + x)))


def test_holdout_accuracy_of_a_three_customer_split_by_hand() -> None:
    log = tracking_log()
    split = log.split(8.0, 15.0)
    calibration = split.calibration
    # a: repeats on days 3 and 7, observed from day 0; b: day 5, from day 2; c: none, from 4
    x, t_x, T = [2.0, 1.0, 0.0], [7.0, 3.0, 0.0], [8.0, 6.0, 4.0]
    assert calibration.customer_id.tolist() == ["a", "b", "c"]
    assert (calibration.frequency.tolist(), calibration.recency.tolist()) == (x, t_x)
    assert calibration.T.tolist() == T
    assert split.holdout_purchases.tolist() == [1.0, 1.0, 0.0] and split.holdout_length == 7.0
    model = attrs.evolve(BG, fit_info=by_hand(BG, calibration))
    curves = tracking_curves(log, calibration_end=8.0, observation_end=15.0, unit="D")
    accuracy = compare({"bg": model}, split, tracking=curves)["bg"].holdout
    assert accuracy is not None
    error = bg_expected(x, t_x, T, 7.0) - np.array([1.0, 1.0, 0.0])
    assert accuracy.mae == pytest.approx(np.mean(np.abs(error)), rel=1e-9)
    assert accuracy.rmse == pytest.approx(math.sqrt(np.mean(error**2)), rel=1e-9)
    assert accuracy.actual_total == 2.0
    assert accuracy.expected_total == pytest.approx(2.0 + error.sum(), rel=1e-9)
    assert accuracy.total_error == pytest.approx(error.sum(), rel=1e-9)
    assert accuracy.relative_total_error == pytest.approx(error.sum() / 2.0, rel=1e-9)
    # three equal weights fall in deciles 1, 4 and 8 (of 0..9): one customer per group
    active = bg_active(x, t_x, T, 7.0)
    bins = accuracy.calibration
    order = np.argsort(active)
    np.testing.assert_allclose(bins.predicted, active[order], rtol=1e-9)
    assert bins.observed.tolist() == [[1.0, 1.0, 0.0][i] for i in order]
    assert bins.customers.tolist() == [1.0, 1.0, 1.0]
    assert accuracy.calibration_error == pytest.approx(
        np.mean(np.abs(active - [1.0, 1.0, 0.0])), rel=1e-9
    )
    # tracking: the cohort (a, b, c) has 3, 3, 3, 4, 4, 5, 5 repeat purchases by days 9..15
    actual = np.array([3.0, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0])
    days = np.arange(9.0, 16.0)
    ages = np.maximum(days[:, None] - np.array([0.0, 2.0, 4.0])[None, :], 0.0)
    expected = np.asarray(BG.expected_purchases_new_customer(ages)).sum(axis=1)
    assert accuracy.tracking_error == pytest.approx(
        np.mean(np.abs(expected - actual) / actual), rel=1e-9
    )


def test_holdout_accuracy_weights_customers_by_their_weights() -> None:
    split = tracking_log().split(8.0, 15.0)
    heavy = attrs.evolve(split.calibration, weights=np.array([3.0, 1.0, 2.0]))
    weighted = attrs.evolve(split, calibration=heavy)
    model = attrs.evolve(BG, fit_info=by_hand(BG, heavy))
    accuracy = compare([model], weighted)["BetaGeo"].holdout
    assert accuracy is not None
    x, t_x, T = [2.0, 1.0, 0.0], [7.0, 3.0, 0.0], [8.0, 6.0, 4.0]
    error = bg_expected(x, t_x, T, 7.0) - np.array([1.0, 1.0, 0.0])
    w = np.array([3.0, 1.0, 2.0])
    assert accuracy.mae == pytest.approx(w @ np.abs(error) / 6.0, rel=1e-9)
    assert accuracy.rmse == pytest.approx(math.sqrt(w @ error**2 / 6.0), rel=1e-9)
    assert accuracy.actual_total == 4.0
    assert accuracy.calibration.customers.sum() == 6.0


def test_activity_calibration_cuts_deciles_of_equal_weight() -> None:
    from relmark.comparison import _activity_calibration

    predicted = np.linspace(0.0, 0.99, 100)
    bought = (np.arange(100) % 2).astype(float)
    bins = _activity_calibration(predicted, bought, np.ones(100))
    assert bins.customers.tolist() == [10.0] * 10
    np.testing.assert_allclose(bins.predicted, [predicted[10 * g : 10 * g + 10].mean()
                                                for g in range(10)])  # fmt: skip
    assert bins.observed.tolist() == [0.5] * 10
    assert bins.error == pytest.approx(np.mean(np.abs(bins.predicted - 0.5)), rel=1e-12)
    single = ActivityCalibration(predicted=[0.2], observed=[0.0], customers=[5.0])
    assert single.error == pytest.approx(0.2)


def test_cdnow_holdout_figures(fitted: dict[str, Any]) -> None:
    log = load_cdnow_sample()
    split = log.split("1997-09-30", "1998-06-30", unit="W")
    models = {cls.__name__: cls.fit(split.calibration)
              for cls in (relmark.BetaGeo, relmark.ModifiedBetaGeo, relmark.ParetoNBD)}  # fmt: skip
    curves = tracking_curves(log, calibration_end="1997-09-30", observation_end="1998-06-30")
    comparison = compare(models, split, tracking=curves)
    bg = comparison["BetaGeo"].holdout
    assert bg is not None
    # Fader, Hardie & Lee (2005): BG/NBD forecasts 1,653 of the 1,882 holdout repeat purchases
    assert (round(bg.expected_total), bg.actual_total) == (1653, 1882.0)
    assert [round(row.holdout.rmse, 4) for row in comparison if row.holdout] == [
        1.608, 1.6072, 1.6028,
    ]  # fmt: skip
    assert comparison.best() == "ParetoNBD"
    assert comparison.best("bic") == "ModifiedBetaGeo"
    assert comparison.best("tracking_error") == "ParetoNBD"
    assert comparison.best("calibration_error") == "BetaGeo"
    # the whole table, as the demo prints it
    text = str(comparison)
    assert "ParetoNBD        0.7545  1.6028  -216 (-11.5%)      1.4%        0.068" in text
    assert text.endswith("\n\nbest: ParetoNBD (lowest holdout RMSE)")
    assert comparison.to_text() == text
    assert text.startswith(comparison.to_text(best=False))
    assert "best:" not in comparison.to_text(best=False)
    with pytest.raises(TypeError, match=r"^`best` must be True or False, got str$"):
        comparison.to_text(best="no")  # type: ignore[arg-type]


# -- P(active in the holdout) -------------------------------------------------------------------


def test_probability_active_is_the_bg_nbd_closed_form(sample: CustomerSummary) -> None:
    active = probability_active(BG, sample, 39.0)
    expected = bg_active(sample.frequency, sample.recency, sample.T, 39.0)
    np.testing.assert_allclose(active, expected, rtol=1e-10, atol=1e-14)
    assert probability_active(BG, sample, 0.0).tolist() == [0.0] * len(sample)


@given(
    model=models(relmark.ParetoNBD, 1e-2, 1e2) | models(relmark.ModifiedBetaGeo, 1e-2, 1e2),
    summary=customer_summaries(max_T=500.0),
    t=st.floats(0.0, 500.0),
    more=st.floats(0.0, 500.0),
)
def test_probability_active_is_a_probability_rising_with_the_horizon_below_p_alive(
    model: Any, summary: CustomerSummary, t: float, more: float
) -> None:
    active = probability_active(model, summary, t)
    later = probability_active(model, summary, t + more)
    assert np.all((active >= 0.0) & (later <= 1.0))
    assert np.all(later >= active - 1e-12)
    # a dead customer never buys: buying in the holdout needs being alive
    assert np.all(later <= model.probability_alive(summary) + 1e-9)


def test_probability_active_is_the_nbd_closed_form(sample: CustomerSummary) -> None:
    nbd = relmark.NBD(r=0.4, alpha=6.0)
    posterior_none = ((6.0 + sample.T) / (6.0 + sample.T + 26.0)) ** (0.4 + sample.frequency)
    np.testing.assert_allclose(probability_active(nbd, sample, 26.0), 1 - posterior_none,
                               rtol=1e-10)  # fmt: skip


def test_probability_active_of_pareto_nbd_against_quadrature() -> None:
    # Alive at T with lambda and mu, the next purchase comes at u with density
    # lambda exp(-lambda u) while the customer lives past u (probability exp(-mu u)), so
    # P(a purchase in t | alive) = E[int_0^t lambda exp(-(lambda + mu) u) du], with
    # lambda ~ Gamma(r + x, alpha + T) and mu ~ Gamma(s, beta + T) independent given alive
    # (Schmittlein, Morrison & Colombo 1987): int_0^t (r'/a') (a'/(a'+u))^(r'+1)
    # (b'/(b'+u))^s du, by quadrature, times P(alive)
    model = relmark.ParetoNBD(r=0.55, alpha=10.6, s=0.6, beta=11.7)
    rng = np.random.default_rng(5)
    T = rng.uniform(20.0, 40.0, 12)
    x = rng.integers(0, 15, 12).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0.05, 1.0, 12), 0.0)
    summary = CustomerSummary.from_arrays(x, t_x, T)
    t = 20.0
    alive = model.probability_alive(summary)
    computed = probability_active(model, summary, t)
    for i in range(12):
        r, a, b = 0.55 + x[i], 10.6 + T[i], 11.7 + T[i]

        def density(u: float, r: float = r, a: float = a, b: float = b) -> float:
            return float(r / a * (a / (a + u)) ** (r + 1) * (b / (b + u)) ** 0.6)

        buys, _ = integrate.quad(density, 0.0, t, epsabs=1e-14, epsrel=1e-12)
        assert computed[i] == pytest.approx(alive[i] * buys, rel=1e-8, abs=1e-14)


# -- choose_model -------------------------------------------------------------------------------


def simulated_log(model: Any, n: int, seed: int) -> TransactionLog:
    """Customers arriving over 13 weeks, every purchase drawn from ``model`` to week 78."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(0.0, 13.0, n)
    owner, offset = model.simulate_purchase_times(n, 78.0 - start, rng=rng)
    ids = np.concatenate([np.arange(n), owner])
    return TransactionLog.from_arrays(ids, np.concatenate([start, start[owner] + offset]), unit="W")


PARETO = relmark.ParetoNBD(r=0.55, alpha=10.6, s=0.6, beta=11.7)  # ~ the CDNOW estimates


@pytest.mark.parametrize(
    ("truth", "seed", "other"),
    [(PARETO, 0, "BetaGeo"), (BG, 2, "ParetoNBD")],
)
def test_choose_model_picks_the_generating_model(truth: Any, seed: int, other: str) -> None:
    # 4,000 customers, 39 weeks of calibration then 39 of holdout.  By BIC the generating model
    # won on each of 10 seeds tried for each truth; by holdout RMSE, a noisier judge of the two
    # close models, on 7 of 10: these seeds are among those, with margins of 0.7% and 1%
    log = simulated_log(truth, 4000, seed)
    split = log.split(39.0, 78.0, unit="W", period=None)
    full = log.summarize(78.0, unit="W", period=None)
    choice = choose_model(split, (relmark.BetaGeo, relmark.ParetoNBD), refit_on=full)
    truth_name = type(truth).__name__
    assert choice.name == truth_name and choice.criterion == "holdout_rmse"
    assert choice.comparison.best("bic") == truth_name
    assert type(choice.model) is type(truth) and choice.refitted
    assert choice.model.fit_info is not None and choice.model.fit_info.n_customers == 4000
    rmse = {row.name: row.holdout.rmse for row in choice.comparison if row.holdout}
    assert rmse[truth_name] < rmse[other]
    assert choice.reason.startswith(f"{truth_name}: lowest holdout RMSE {rmse[truth_name]:.4g} ")
    assert choice.reason.endswith("refitted on the full period (4,000 customers) for scoring")
    by_bic = choose_model(full, (relmark.BetaGeo, relmark.ParetoNBD))
    assert by_bic.name == truth_name and by_bic.criterion == "bic" and not by_bic.refitted


def test_choose_model_reports_a_candidate_that_does_not_converge_and_never_chooses_it() -> None:
    summary = nbd_customers(0)  # nobody leaves: BG/NBD finds no interior maximum
    with pytest.raises(ConvergenceError, match="no interior maximum"):
        relmark.BetaGeo.fit(summary)
    choice = choose_model(summary, (relmark.BetaGeo, relmark.NBD))
    assert choice.name == "NBD" and list(choice.failed) == ["BetaGeo"]
    assert choice.failed["BetaGeo"].startswith("BetaGeo fit found no interior maximum")
    assert choice.comparison.names == ("NBD",)
    assert choice.reason.startswith("NBD: the only candidate that converged (BIC ")
    assert choice.reason.endswith("; BetaGeo did not converge")


def test_choose_model_stands_in_the_no_dropout_limit_only_when_asked() -> None:
    summary = nbd_customers(0)
    with pytest.raises(ConvergenceError, match=r"^no candidate model found an interior maximum "
                       r"\(BetaGeo: BetaGeo fit found no interior maximum"):  # fmt: skip
        choose_model(summary, (relmark.BetaGeo,))
    choice = choose_model(summary, (relmark.BetaGeo,), unidentified="limit")
    assert choice.name == "NBD" and choice.criterion == "limit"
    assert isinstance(choice.model, relmark.NBD)
    limit = relmark.NBD.fit(summary)
    assert choice.model.params == pytest.approx(limit.params, rel=1e-12)
    assert choice.reason.startswith("NBD: no candidate found an interior maximum; BetaGeo: "
                                    "nobody seems to leave")  # fmt: skip
    assert len(choice.notes) == 1 and choice.notes[0] in choice.reason


def test_the_limit_is_refitted_on_the_full_period_too() -> None:
    log = simulated_log(relmark.NBD(r=0.55, alpha=10.6), 1000, 3)
    split = log.split(39.0, 78.0, unit="W", period=None)
    full = log.summarize(78.0, unit="W", period=None)
    choice = choose_model(split, (relmark.BetaGeo,), refit_on=full, unidentified="limit")
    assert (choice.name, choice.criterion, choice.refitted) == ("NBD", "limit", True)
    assert choice.model.params == pytest.approx(relmark.NBD.fit(full).params, rel=1e-12)
    assert choice.comparison["NBD"].model.fit_info.n_customers == len(split.calibration)
    assert choice.reason.endswith("refitted on the full period (1,000 customers) for scoring")


def test_choice_by_holdout_ties_go_to_the_first_listed(sample: CustomerSummary) -> None:
    split = load_cdnow_sample().split("1997-09-30", "1998-06-30", unit="W")
    choice = choose_model(split, {"one": relmark.BetaGeo, "two": relmark.BetaGeo})
    assert choice.name == "one"
    assert choice.reason.endswith("(tied with two: fewer parameters, or listed first)")


# -- holdout_split and the tracking curves -----------------------------------------------------


def test_holdout_split_is_the_split_at_the_end_minus_the_holdout() -> None:
    log = load_cdnow_sample()
    split = holdout_split(log, 39.0, observation_end="1998-06-30")
    # 1998-06-30 less 39 weeks is 1997-09-30, the calibration end of Fader et al. (2005)
    direct = log.split("1997-09-30", "1998-06-30", unit="W")
    assert split.holdout_length == direct.holdout_length == 39.0
    np.testing.assert_array_equal(split.holdout_purchases, direct.holdout_purchases)
    np.testing.assert_array_equal(split.calibration.T, direct.calibration.T)
    numeric = tracking_log()
    by_days = holdout_split(numeric, 1.0, unit="W")  # the last 7 days of 14
    assert by_days.calibration.customer_id.tolist() == ["a", "b", "c"]
    assert by_days.holdout_length == pytest.approx(1.0)
    np.testing.assert_array_equal(
        by_days.holdout_purchases, numeric.split(7.0, 14.0, unit="W").holdout_purchases
    )


def test_tracking_curves_match_the_cumulative_tracking_plot() -> None:
    curves = tracking_curves(tracking_log(), calibration_end=8.0, observation_end=15.0, unit="D")
    assert curves.steps.tolist() == list(range(1, 16))
    assert curves.actual.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 4, 5, 5]
    assert curves.calibration_end == 8.0 and curves.unit == "D"
    assert curves.first_purchase.tolist() == [0.0, 2.0, 4.0]
    assert curves.customers.tolist() == [1.0, 1.0, 1.0]
    assert curves.holdout.tolist() == [False] * 8 + [True] * 7
    with pytest.raises(ValueError, match="read-only"):
        curves.actual[0] = 1.0


# -- output ---------------------------------------------------------------------------------------


def test_to_pandas_and_to_dict_hold_the_figures(
    sample: CustomerSummary, fitted: dict[str, Any]
) -> None:
    comparison = compare(fitted, sample)
    columns = comparison.to_dict()
    assert list(columns) == ["model", "n_parameters", "log_likelihood", "aic", "bic"]
    assert columns["model"].tolist() == ["BetaGeo", "NBD"]
    assert columns["bic"].tolist() == [row.bic for row in comparison]
    frame = comparison.to_pandas()
    assert frame.index.name == "model" and list(frame.index) == ["BetaGeo", "NBD"]
    assert frame.loc["NBD", "aic"] == comparison["NBD"].aic
    assert frame["n_parameters"].tolist() == [4, 2]
    split = load_cdnow_sample().split("1997-09-30", "1998-06-30", unit="W")
    with_holdout = compare([relmark.NBD.fit(split.calibration)], split).to_dict()
    assert "tracking_error" not in with_holdout  # no tracking curve given
    assert with_holdout["actual_total"].tolist() == [1882.0]
    assert list(with_holdout)[5:] == ["holdout_mae", "holdout_rmse", "expected_total",
                                      "actual_total", "total_error", "relative_total_error",
                                      "calibration_error"]  # fmt: skip


def test_html_escapes_names_and_shows_every_table(
    sample: CustomerSummary, fitted: dict[str, Any]
) -> None:
    comparison = compare({"<b>BG</b>": fitted["BetaGeo"], "NBD": fitted["NBD"]}, sample)
    page = comparison._repr_html_()
    assert "&lt;b&gt;BG&lt;/b&gt;" in page and "<b>BG</b>" not in page
    assert page.count("<table>") == 1 and "likelihood-ratio tests" in page
    assert "<td>19,195.92</td>" in page
    assert repr(comparison) == "ModelComparison(<b>BG</b>, NBD; 2,357 customers)"
    assert isinstance(comparison, ModelComparison) and len(comparison) == 2
    with pytest.raises(KeyError, match=r"no model named 'x'; the models are <b>BG</b>, NBD"):
        comparison["x"]


# -- refusals -------------------------------------------------------------------------------------


def test_refuses_models_of_different_data(sample: CustomerSummary) -> None:
    bg = relmark.BetaGeo.fit(sample)
    fewer = relmark.NBD.fit(sample.subset(np.arange(2000)))
    with pytest.raises(ValidationError, match=r"^`models` must be fitted to the same customers: "
                       r"BetaGeo was fitted to 2,357, NBD to 2,000$"):  # fmt: skip
        compare([bg, fewer])
    # as many customers, but other ones: only the data can tell
    other = relmark.NBD.fit(relmark.NBD(r=1.0, alpha=3.0).simulate(2357, 39.0, rng=1))
    compare([bg, other])
    number = r"-[0-9,]+\.[0-9]{4}"
    not_fitted = rf"there is {number}, its fit's {number}$"
    with pytest.raises(ValidationError, match=r"^`models\['NBD'\]` was not fitted to `data`: its "
                       r"log-likelihood " + not_fitted):  # fmt: skip
        compare([bg, other], sample)
    with pytest.raises(ValidationError, match=r"^`models\['BetaGeo'\]` was fitted to 2,357 "
                       r"customers, `data` has 2,000"):  # fmt: skip
        compare([bg], sample.subset(np.arange(2000)))


@pytest.mark.parametrize(
    ("models", "error", "message"),
    [
        ({}, ValidationError, r"^`models` is empty: give at least one model$"),
        ([], ValidationError, r"^`models` is empty: give at least one model$"),
        ([BG], ValidationError, r"^`models\['BetaGeo'\]` \(BetaGeo\) is not fitted: it has no "
         r"fit_info, so no maximised log-likelihood to compare; fit it with "
         r"BetaGeo.fit\(summary\)$"),
        ([relmark.BetaGeo], TypeError, r"^`models\['BetaGeo'\]` is the class BetaGeo, not a "
         r"fitted model: fit it first \(BetaGeo.fit\(summary\)\)$"),
        ({"x": 3}, TypeError, r"^`models\['x'\]` must be a fitted relmark model"),
        ("BetaGeo", TypeError, r"^`models` must be a mapping of names to models or a sequence"),
        ({1: BG}, TypeError, r"^`models` names must be non-empty strings, got 1$"),
    ],
)  # fmt: skip
def test_refuses_what_is_not_a_set_of_fitted_models(
    models: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        compare(models)


def test_refuses_bad_data_tracking_and_nesting(
    sample: CustomerSummary, fitted: dict[str, Any]
) -> None:
    log = tracking_log()
    split = log.split(8.0, 15.0)
    model = attrs.evolve(BG, fit_info=by_hand(BG, split.calibration))
    curves = tracking_curves(log, calibration_end=8.0, unit="D")
    with pytest.raises(TypeError, match=r"^`data` must be a CustomerSummary or a "
                       r"CalibrationHoldout, got dict$"):  # fmt: skip
        compare([model], {"frequency": [1]})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^`tracking` needs `data`, the CalibrationHoldout"):
        compare([model], tracking=curves)
    other = tracking_curves(log, calibration_end=5.0, unit="D")  # a cohort of 3, cut elsewhere
    wrong_unit = tracking_curves(log, calibration_end=8.0, unit="h")
    compare([model], split, tracking=other)  # the same cohort: accepted
    with pytest.raises(ValidationError, match=r"^`tracking` \(unit 'h', a cohort of 3 customers\) "
                       r"does not belong to `data` \(unit 'D', 3 customers\)"):  # fmt: skip
        compare([model], split, tracking=wrong_unit)
    quiet = attrs.evolve(split, holdout_purchases=np.zeros(3))
    with pytest.raises(ValidationError, match=r"^`data` has no holdout purchase"):
        compare([model], quiet)
    spend = relmark.GammaGamma.fit(sample.subset(sample.frequency > 0))
    repeaters = sample.subset(sample.frequency > 0)
    lonely = attrs.evolve(split, calibration=repeaters, holdout_purchases=np.ones(946),
                          holdout_value=np.zeros(946))  # fmt: skip
    not_purchases = r"holdout accuracy compares forecasts of purchases"
    with pytest.raises(TypeError, match=r"^`models\['GammaGamma'\]` \(GammaGamma\) is not a "
                       r"purchase model: " + not_purchases):  # fmt: skip
        compare([spend], lonely)
    with pytest.raises(ValidationError, match=r"^`nested` names 'x', which is not one of the "
                       r"models \(BetaGeo, NBD\)$"):  # fmt: skip
        compare(fitted, nested=[("x", "BetaGeo")])
    with pytest.raises(ValidationError, match=r"^`nested`: BetaGeo \(4 parameters\) cannot be "
                       r"nested in NBD \(2\): the bigger model needs more parameters"):  # fmt: skip
        compare(fitted, nested=[("BetaGeo", "NBD")])
    with pytest.raises(TypeError, match=r"^`nested` must hold \(smaller, bigger\) name pairs"):
        compare(fitted, nested=["NBD"])  # type: ignore[list-item]
    worse = attrs.evolve(
        fitted["BetaGeo"],
        fit_info=attrs.evolve(fitted["BetaGeo"].fit_info, log_likelihood=-10_000.0),
    )
    better = r"fits better than BetaGeo \(-10,000.0000\), which contains it"
    with pytest.raises(ValidationError, match=r"^`nested`: NBD \(log-likelihood -9,763.65"
                       r"[0-9]{2}\) " + better):  # fmt: skip
        compare({"NBD": fitted["NBD"], "BetaGeo": worse})


def test_refuses_criteria_the_comparison_cannot_rank(fitted: dict[str, Any]) -> None:
    comparison = compare(fitted)
    with pytest.raises(ValidationError, match=r"^`by` 'holdout_rmse' needs a holdout"):
        comparison.best("holdout_rmse")
    with pytest.raises(ValidationError, match=r"^`by` must be one of 'bic', 'aic', "):
        comparison.best("likelihood")  # type: ignore[arg-type]
    split = tracking_log().split(8.0, 15.0)
    model = attrs.evolve(BG, fit_info=by_hand(BG, split.calibration))
    with pytest.raises(ValidationError, match=r"^`by` 'tracking_error' needs `tracking`"):
        compare([model], split).best("tracking_error")
    curves = tracking_curves(tracking_log(), calibration_end=8.0, observation_end=8.5, unit="D")
    with pytest.raises(ValidationError, match=r"^`tracking` has no step after the end of "
                       r"calibration \(8 D\) with a repeat purchase"):  # fmt: skip
        curves.holdout_error(BG)


def test_choose_model_refuses_bad_arguments(sample: CustomerSummary) -> None:
    split = tracking_log().split(8.0, 15.0)
    with pytest.raises(ValidationError, match=r"^`by='holdout'` needs a CalibrationHoldout"):
        choose_model(sample, by="holdout")
    with pytest.raises(TypeError, match=r"^`data` must be a CustomerSummary or a "
                       r"CalibrationHoldout, got list$"):  # fmt: skip
        choose_model([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`candidates\['GammaGamma'\]` must be a purchase "
                       r"model class"):  # fmt: skip
        choose_model(sample, (relmark.GammaGamma,))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^`candidates` is empty"):
        choose_model(sample, ())
    with pytest.raises(ValidationError, match=r"^`by` must be one of 'holdout', 'bic', 'aic'"):
        choose_model(sample, by="rmse")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`refit_on` must be a CustomerSummary, got str$"):
        choose_model(split, refit_on="all")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^`holdout` must be > 0, got -1"):
        holdout_split(tracking_log(), -1.0)
    with pytest.raises(ValidationError, match=r"^`holdout` \(3 W\) reaches back before the first "
                       r"purchase"):  # fmt: skip
        holdout_split(tracking_log(), 3.0)
    with pytest.raises(ValidationError, match=r"^`t` must be >= 0"):
        probability_active(BG, sample, -1.0)
    with pytest.raises(TypeError, match=r"^`model` must be a PurchaseModelBase, got GammaGamma$"):
        probability_active(relmark.GammaGamma(p=1.0, q=2.0, gamma=3.0), sample, 1.0)  # type: ignore[arg-type]


# -- choose_model with covariates --------------------------------------------------------------


def members_log(n: int, seed: int) -> tuple[TransactionLog, dict[str, Any]]:
    """Customers drawn from BG/NBD where members (half of them) buy twice as fast, to week 78."""
    rng = np.random.default_rng(seed)
    member = (rng.random(n) < 0.5) * 1.0
    truth = BG.with_coefficients({"purchase[member]": math.log(2.0)})
    start = rng.uniform(0.0, 13.0, n)
    covariates = relmark.Covariates(names=("member",), values=member[:, None])
    owner, offset = truth.simulate_purchase_times(n, 78.0 - start, rng=rng, covariates=covariates)
    ids = np.concatenate([np.arange(n), owner])
    log = TransactionLog.from_arrays(ids, np.concatenate([start, start[owner] + offset]), unit="W")
    return log, {"customer_id": np.arange(n), "member": member}


@pytest.mark.parametrize("options", [{}, {"penalty": 0.5}, {"shared": ["member"]}])
def test_choose_model_fits_every_candidate_with_the_covariates(options: dict[str, Any]) -> None:
    log, table = members_log(3000, 4)
    split = log.split(39.0, 78.0, unit="W", period=None).with_covariates(table)
    full = log.summarize(78.0, unit="W", period=None).with_covariates(table)
    candidates = (relmark.BetaGeo, relmark.ParetoNBD)
    choice = choose_model(split, candidates, refit_on=full, covariates=["member"], **options)
    for cls in candidates:
        alone = cls.fit(split.calibration, covariates=["member"], **options)
        compared = choice.comparison[cls.__name__].model
        assert compared.params == pytest.approx(alone.params, rel=1e-9)
        assert compared.fit_info is not None and alone.fit_info is not None
        assert compared.fit_info.log_likelihood == pytest.approx(alone.fit_info.log_likelihood)
    chosen = type(choice.model)
    refit = chosen.fit(full, covariates=["member"], **options)
    assert choice.refitted and choice.model.params == pytest.approx(refit.params, rel=1e-9)
    name = "shared[member]" if options.get("shared") else "purchase[member]"
    assert abs(choice.model.coefficients[name] - math.log(2.0)) < 0.15  # about 3 s.e.
    assert choice.comparison[choice.name].holdout is not None  # judged on the holdout


def test_choose_model_with_covariates_needs_them_on_the_data_and_a_model_that_takes_them() -> None:
    log, table = members_log(500, 5)
    plain = log.summarize(78.0, unit="W", period=None)
    with pytest.raises(
        ValidationError, match=r"has covariates \(member\) and the summary has none"
    ):
        choose_model(plain, (relmark.BetaGeo,), covariates=["member"])
    summary = plain.with_covariates(table)
    with pytest.raises(
        ValidationError, match=r"has covariates \(member\) and the summary has none"
    ):
        choose_model(summary, (relmark.BetaGeo,), covariates=["member"], refit_on=plain)
    with pytest.raises(ValidationError, match=r"`candidates\['NBD'\]` is NBD, which takes no cov"):
        choose_model(summary, (relmark.BetaGeo, relmark.NBD), covariates=["member"])
    with pytest.raises(ValidationError, match="unknown covariate 'age'"):
        choose_model(summary, (relmark.BetaGeo,), covariates=["age"])
    with pytest.raises(ValidationError, match="`shared` and `penalty` apply to covariates"):
        choose_model(summary, (relmark.BetaGeo,), penalty=1.0)


def test_the_limit_after_a_fit_with_covariates_leaves_them_out_and_says_so() -> None:
    summary = nbd_customers(0)  # nobody leaves, with or without a covariate
    member = np.random.default_rng(1).random(len(summary)) < 0.5
    ids = np.arange(len(summary))
    summary = CustomerSummary.from_arrays(
        summary.frequency, summary.recency, summary.T, customer_id=ids
    ).with_covariates({"customer_id": ids, "member": member})
    with pytest.raises(ConvergenceError, match="no candidate model found an interior maximum"):
        choose_model(summary, (relmark.BetaGeo,), covariates=["member"])
    choice = choose_model(summary, (relmark.BetaGeo,), covariates=["member"], unidentified="limit")
    assert (choice.name, choice.criterion) == ("NBD", "limit")
    assert choice.model.params == pytest.approx(relmark.NBD.fit(summary).params, rel=1e-12)
    assert choice.notes[0].endswith(
        "The NBD takes no covariates: the limit leaves out member (fitted without them, "
        "BetaGeo heads for no dropout as well)."
    )
    assert choice.notes[0] in choice.reason
