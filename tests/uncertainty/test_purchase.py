"""prediction_intervals() and interval(): customer-base models' bands, per customer and in total."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy.special import ndtri

from relmark import (
    BetaGeo,
    ConvergenceError,
    CustomerSummary,
    GammaGamma,
    ParetoNBD,
    ValidationError,
    score,
)
from relmark.datasets import cdnow_sample_summary
from relmark.uncertainty import (
    BootstrapWarning,
    Intervals,
    _purchase,
    bootstrap_bounds,
    interval,
    prediction_intervals,
)

Z90 = float(ndtri(0.95))
OPTIONS = {"horizon": 52.0, "margin": 0.3}


@pytest.fixture(scope="module")
def cdnow() -> CustomerSummary:
    return cdnow_sample_summary()


@pytest.fixture(scope="module")
def bootstrap(cdnow: CustomerSummary) -> Intervals:
    return prediction_intervals(
        cdnow, BetaGeo, GammaGamma, n_draws=100, rng=1, keep_draws=True, **OPTIONS
    )


@pytest.fixture(scope="module")
def delta(cdnow: CustomerSummary) -> Intervals:
    return prediction_intervals(cdnow, BetaGeo, GammaGamma, method="delta", **OPTIONS)


def small_base(n: int = 400, seed: int = 3) -> CustomerSummary:
    """A customer base drawn from BG/NBD with Gamma-Gamma-like spend, for brute-force checks."""
    generator = np.random.default_rng(seed)
    drawn = BetaGeo(r=0.8, alpha=5.0, a=0.6, b=2.5).simulate(n, 39.0, rng=generator)
    spend = np.where(drawn.frequency > 0, np.round(generator.gamma(4.0, 8.0, n), 2), 0.0)
    ids = np.arange(n)
    return CustomerSummary.from_arrays(
        drawn.frequency, drawn.recency, drawn.T, monetary_value=spend, customer_id=ids
    )


# ----------------------------------------------------------------- the estimates are the scores


@pytest.mark.parametrize("discount", [0.0, 0.01])
def test_estimates_are_the_scores(cdnow: CustomerSummary, discount: float) -> None:
    options = {**OPTIONS, "discount_rate": discount, "step": 4.0}
    scores = score(cdnow, BetaGeo, GammaGamma, **options)
    bands = prediction_intervals(cdnow, BetaGeo, GammaGamma, method="delta", **options)
    for name in ("probability_alive", "expected_purchases", "expected_spend", "clv"):
        np.testing.assert_allclose(bands[name].estimate, getattr(scores, name), rtol=1e-8)
    assert float(bands["customer_equity"].estimate) == pytest.approx(scores.clv.sum(), rel=1e-8)
    assert float(bands["total_expected_purchases"].estimate) == pytest.approx(
        scores.expected_purchases.sum(), rel=1e-12
    )
    np.testing.assert_array_equal(bands.customer_id, cdnow.customer_id)


# ----------------------------------------------------------------- reference: brute force


def test_each_refit_is_the_cold_fit_of_the_literally_resampled_customers() -> None:
    base = small_base()
    purchases = BetaGeo.fit(base)
    spend = GammaGamma.fit(base.subset(base.frequency > 0))
    layout = _purchase._Layout.of(base, spend=True)
    refit = _purchase._joint_refit(layout, _purchase._Models(purchases, spend))
    generator = np.random.default_rng(8)
    for _ in range(3):
        chosen = generator.choice(len(base), len(base))  # customers drawn with replacement
        literal = base.subset(chosen)
        counts = np.bincount(layout.customer_row[chosen], minlength=layout.n_joint).astype(float)
        theta = refit(counts)
        cold_purchases = BetaGeo.fit(literal)._theta
        cold_spend = GammaGamma.fit(literal.subset(literal.frequency > 0))._theta
        np.testing.assert_allclose(theta, np.concatenate([cold_purchases, cold_spend]), rtol=1e-4)


def test_bootstrap_matches_a_brute_force_bootstrap_within_monte_carlo_error() -> None:
    # Brute force: resample customers with np.random.choice, refit cold, predict.
    base = small_base()
    horizon, draws = 39.0, 200
    generator = np.random.default_rng(21)
    totals, alive = [], []
    repeat_buyers = np.flatnonzero(base.frequency > 0)[:3]  # P(alive) < 1: inside the logit
    for _ in range(draws):
        literal = base.subset(generator.choice(len(base), len(base)))
        model = BetaGeo.fit(literal)
        totals.append(model.expected_purchases(base, horizon).sum())
        alive.append(model.probability_alive(base.subset(repeat_buyers)))
    brute_total, brute_alive = np.array(totals), np.array(alive)
    bands = prediction_intervals(
        base, BetaGeo, horizon=horizon, n_draws=draws, rng=5, keep_draws=True
    )
    spread = brute_total.std()
    # the brute force's interval, by hand: exp(c -+ z sd(log totals)), c = 2 log(estimate) -
    # mean log(totals) (log scale); expit(c -+ z sd(logit p)), c = 2 logit(p) - mean logit(p)
    # for P(alive) (logit scale).  Each sd and mean of 200 draws has a Monte-Carlo error of
    # 5% and 0.07 sd, so the bounds differ by about 0.15 sd: allow 0.3 sd
    fitted = BetaGeo.fit(base)
    total = bands["total_expected_purchases"]
    estimate = float(fitted.expected_purchases(base, horizon).sum())
    assert float(total.estimate) == pytest.approx(estimate, rel=1e-12)
    log_spread = Z90 * np.log(brute_total).std(ddof=1)
    centre = 2.0 * np.log(estimate) - np.log(brute_total).mean()
    assert abs(float(total.lower) - np.exp(centre - log_spread)) < 0.3 * spread
    assert abs(float(total.upper) - np.exp(centre + log_spread)) < 0.3 * spread
    assert float(np.std(total.draws)) == pytest.approx(spread, rel=0.25)
    band = bands["probability_alive"]
    for j, customer in enumerate(repeat_buyers):
        column = brute_alive[:, j]
        p = float(fitted.probability_alive(base.subset([customer]))[0])
        logits = np.log(column / (1 - column))
        logit_spread = Z90 * logits.std(ddof=1)
        centre = 2.0 * np.log(p / (1 - p)) - logits.mean()
        brute_lower = 1 / (1 + np.exp(-(centre - logit_spread)))
        brute_upper = 1 / (1 + np.exp(-(centre + logit_spread)))
        assert abs(band.lower[customer] - brute_lower) <= 0.3 * column.std() + 1e-12
        assert abs(band.upper[customer] - brute_upper) <= 0.3 * column.std() + 1e-12


def test_delta_and_bootstrap_agree_on_cdnow(delta: Intervals, bootstrap: Intervals) -> None:
    for name in ("total_expected_purchases", "customer_equity"):
        width_delta = float(delta[name].upper - delta[name].lower)
        width_bootstrap = float(bootstrap[name].upper - bootstrap[name].lower)
        assert width_bootstrap == pytest.approx(width_delta, rel=0.25)
    for name in ("expected_purchases", "clv"):
        ratio = np.median(bootstrap[name].width[delta[name].width > 0]) / np.median(
            delta[name].width[delta[name].width > 0]
        )
        assert 0.75 < ratio < 1.33


# ----------------------------------------------------------------- properties


def test_bands_hold_their_estimates_and_probabilities_stay_probabilities(
    delta: Intervals, bootstrap: Intervals
) -> None:
    for bands in (delta, bootstrap):
        for name in bands.names:
            band = bands[name]
            assert np.all(band.lower <= band.upper)
            inside = (band.lower <= band.estimate + 1e-12) & (band.estimate <= band.upper + 1e-12)
            assert inside.mean() == 1.0  # the bias-corrected bootstrap bands too, on CDNOW
        alive = bands["probability_alive"]
        assert np.all(alive.lower >= 0.0) and np.all(alive.upper <= 1.0)
        for name in ("expected_purchases", "expected_spend", "clv"):
            assert np.all(bands[name].lower >= 0.0)


def test_bootstrap_bounds_come_from_the_kept_draws(bootstrap: Intervals) -> None:
    for name in ("probability_alive", "expected_purchases", "expected_spend", "clv"):
        band = bootstrap[name]
        assert band.draws is not None and band.draws.shape == (100, 2357)
        scale = "logit" if name == "probability_alive" else "log"
        lower, upper = bootstrap_bounds(band.draws, band.estimate, 0.9, scale=scale)
        np.testing.assert_allclose(band.lower, lower, rtol=1e-12)
        np.testing.assert_allclose(band.upper, upper, rtol=1e-12)
    # by hand on one customer with repeat purchases: normal on the log scale, bias-corrected
    clv = bootstrap["clv"]
    assert clv.draws is not None
    row = int(np.argmax(clv.estimate))
    logs = np.log(clv.draws[:, row])
    centre = 2.0 * np.log(clv.estimate[row]) - logs.mean()
    assert clv.lower[row] == pytest.approx(np.exp(centre - Z90 * logs.std(ddof=1)), rel=1e-12)
    for name in ("total_expected_purchases", "customer_equity"):
        total = bootstrap[name]
        assert total.draws is not None
        lower, upper = bootstrap_bounds(total.draws, total.estimate, 0.9, scale="log")
        assert float(total.lower) == pytest.approx(float(lower), rel=1e-12)
        assert float(total.upper) == pytest.approx(float(upper), rel=1e-12)


def test_totals_come_from_the_same_draws_not_from_summed_bounds(bootstrap: Intervals) -> None:
    equity, clv = bootstrap["customer_equity"], bootstrap["clv"]
    assert clv.draws is not None and equity.draws is not None
    np.testing.assert_allclose(equity.draws, clv.draws.sum(axis=1), rtol=1e-10)
    assert float(equity.estimate) == pytest.approx(clv.estimate.sum(), rel=1e-12)
    assert clv.lower.sum() < float(equity.lower) < float(equity.upper) < clv.upper.sum()


@pytest.mark.parametrize("method", ["delta", "bootstrap"])
def test_bands_grow_with_level(cdnow: CustomerSummary, method: str) -> None:
    narrow, wide = (
        prediction_intervals(
            cdnow, BetaGeo, horizon=39.0, method=method, level=level, n_draws=40, rng=2
        )
        for level in (0.5, 0.95)
    )
    for name in narrow.names:
        assert np.all(wide[name].lower <= narrow[name].lower + 1e-12)
        assert np.all(narrow[name].upper <= wide[name].upper + 1e-12)
    assert float(wide["total_expected_purchases"].width) > float(
        narrow["total_expected_purchases"].width
    )


def test_the_same_seed_gives_the_same_bands(cdnow: CustomerSummary) -> None:
    first, again, other = (
        prediction_intervals(cdnow, BetaGeo, GammaGamma, n_draws=20, rng=seed, **OPTIONS)
        for seed in (4, 4, 5)
    )
    for name in first.names:
        np.testing.assert_array_equal(first[name].lower, again[name].lower)
        np.testing.assert_array_equal(first[name].upper, again[name].upper)
    assert float(first["customer_equity"].lower) != float(other["customer_equity"].lower)


@pytest.mark.filterwarnings("ignore::relmark.uncertainty.BootstrapWarning")
def test_chunks_of_rows_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    base = small_base(300)
    whole = prediction_intervals(base, BetaGeo, GammaGamma, n_draws=20, rng=6, **OPTIONS)
    monkeypatch.setattr(_purchase, "_CHUNK_CELLS", 100)  # 5 rows per chunk of 20 draws
    chunked = prediction_intervals(base, BetaGeo, GammaGamma, n_draws=20, rng=6, **OPTIONS)
    for name in whole.names:
        np.testing.assert_allclose(chunked[name].lower, whole[name].lower, rtol=1e-13)
        np.testing.assert_allclose(chunked[name].upper, whole[name].upper, rtol=1e-13)


def test_fitted_models_give_the_same_bands_as_classes(cdnow: CustomerSummary) -> None:
    purchases = BetaGeo.fit(cdnow)
    spend = GammaGamma.fit(cdnow.subset(cdnow.frequency > 0))
    given = prediction_intervals(cdnow, purchases, spend, method="delta", **OPTIONS)
    fitted = prediction_intervals(cdnow, BetaGeo, GammaGamma, method="delta", **OPTIONS)
    np.testing.assert_allclose(given["clv"].upper, fitted["clv"].upper, rtol=1e-6)
    assert given.purchase_model is purchases


def test_pareto_nbd_bands(cdnow: CustomerSummary) -> None:
    bands = prediction_intervals(cdnow, ParetoNBD, horizon=39.0, n_draws=20, rng=3)
    alive = bands["probability_alive"]
    assert np.all((alive.lower >= 0) & (alive.upper <= 1)) and float(alive.width.max()) > 0.01


# ----------------------------------------------------------------- failed refits


def test_failed_refits_are_counted_and_reported(
    cdnow: CustomerSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = iter(range(1000))
    refitter = _purchase._refitter

    def flaky(model: object, rows: CustomerSummary) -> object:
        refit = refitter(model, rows)  # type: ignore[arg-type]

        def every_tenth_fails(weights: np.ndarray) -> np.ndarray:
            if next(calls) % 10 == 0:
                raise ConvergenceError("no interior maximum in this resample")
            return refit(weights)

        return every_tenth_fails

    monkeypatch.setattr(_purchase, "_refitter", flaky)
    with pytest.warns(BootstrapWarning, match=r"3 of 30 bootstrap refits failed"):
        bands = prediction_intervals(cdnow, BetaGeo, horizon=39.0, n_draws=30, rng=1)
    assert bands.n_failed == 3
    assert "3 failed" in repr(bands)


# ----------------------------------------------------------------- the result object


def test_intervals_tables(bootstrap: Intervals, cdnow: CustomerSummary) -> None:
    frame = bootstrap.to_pandas()
    assert frame.index.name == "customer_id" and len(frame) == len(cdnow)
    assert list(frame.columns[:3]) == [
        "probability_alive",
        "probability_alive_lower",
        "probability_alive_upper",
    ]
    totals = bootstrap.totals_to_pandas()
    assert totals.index.tolist() == ["total_expected_purchases", "customer_equity"]
    assert totals.loc["customer_equity", "lower"] == float(bootstrap["customer_equity"].lower)
    assert repr(bootstrap).startswith("Intervals(2,357 customers, 90% bootstrap of 100 draws;")
    with pytest.raises(KeyError, match=r"no band 'dert'; the bands are 'probability_alive'"):
        bootstrap["dert"]


def test_intervals_pickle_and_stay_read_only(delta: Intervals) -> None:
    again = pickle.loads(pickle.dumps(delta))
    np.testing.assert_array_equal(again["clv"].upper, delta["clv"].upper)
    with pytest.raises(ValueError, match=r"read-only"):
        again["clv"].upper[0] = 0.0


# ----------------------------------------------------------------- any prediction


def test_interval_of_a_new_customers_predictions(cdnow: CustomerSummary) -> None:
    model = BetaGeo.fit(cdnow)

    def pmf(m: BetaGeo) -> np.ndarray:
        return m.probability_of_purchases([0, 1, 2], 39.0)

    by_delta = interval(model, cdnow, pmf, method="delta", scale="logit")
    by_bootstrap = interval(model, cdnow, pmf, n_draws=60, rng=3, keep_draws=True)
    np.testing.assert_allclose(by_delta.estimate, pmf(model))
    assert np.all(by_bootstrap.lower < by_delta.estimate) and np.all(
        by_delta.estimate < by_bootstrap.upper
    )
    np.testing.assert_allclose(by_bootstrap.width, by_delta.width, rtol=0.35)
    assert by_bootstrap.draws is not None and by_bootstrap.draws.shape == (60, 3)
    new = interval(model, cdnow, lambda m: m.expected_purchases_new_customer(52.0), method="delta")
    assert new.estimate.shape == () and float(new.lower) < float(new.estimate) < float(new.upper)


def test_interval_of_a_spend_model(cdnow: CustomerSummary) -> None:
    repeat = cdnow.subset(cdnow.frequency > 0)
    model = GammaGamma.fit(repeat)
    band = interval(model, cdnow, lambda m: m.population_mean_spend(), method="delta")
    boot = interval(model, cdnow, lambda m: m.population_mean_spend(), n_draws=60, rng=2)
    assert float(band.lower) < model.population_mean_spend() < float(band.upper)
    assert float(boot.width) == pytest.approx(float(band.width), rel=0.35)


# ----------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"level": 1.0}, ValidationError, r"`level` must be < 1"),
        ({"level": 0.0}, ValidationError, r"`level` must be > 0"),
        ({"level": float("nan")}, ValidationError, r"`level` must not be NaN"),
        ({"n_draws": 1}, ValidationError, r"`n_draws` must be >= 2"),
        ({"n_draws": 10**7}, ValidationError, r"`n_draws` must be <= 100,000"),
        ({"n_draws": 20.0}, TypeError, r"`n_draws` must be an integer"),
        ({"method": "jackknife"}, ValidationError, r"`method` must be one of 'bootstrap', 'delta'"),
        ({"horizon": -1.0}, ValidationError, r"`horizon` must be > 0"),
        ({"margin": 2.0}, ValidationError, r"`margin` must be <= 1"),
        ({"rng": -3}, ValidationError, r"`rng` seed must be >= 0"),
        ({"keep_draws": 1}, TypeError, r"`keep_draws` must be True or False"),
        ({"method": "delta", "keep_draws": True}, ValidationError, r"needs method='bootstrap'"),
    ],
)
def test_prediction_intervals_refuse_bad_options(
    cdnow: CustomerSummary, options: dict[str, object], error: type[Exception], message: str
) -> None:
    arguments: dict[str, object] = {"horizon": 39.0, **options}
    with pytest.raises(error, match=message):
        prediction_intervals(cdnow, BetaGeo, **arguments)  # type: ignore[arg-type]


def test_prediction_intervals_refuse_unfitted_and_foreign_models(cdnow: CustomerSummary) -> None:
    unfitted = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ValidationError, match=r"is not fitted \(its fit_info is None\)"):
        prediction_intervals(cdnow, unfitted, horizon=39.0, method="delta")
    other = BetaGeo.fit(cdnow.subset(np.arange(1000)))
    with pytest.raises(
        ValidationError, match=r"was fitted to 1,000 customers, but `summary` has 2,357"
    ):
        prediction_intervals(cdnow, other, horizon=39.0)
    with pytest.raises(TypeError, match=r"`purchase_model` must be a model \(or model class\)"):
        prediction_intervals(cdnow, GammaGamma, horizon=39.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`spend_model` must be a model \(or model class\)"):
        prediction_intervals(cdnow, BetaGeo, BetaGeo, horizon=39.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`summary` must be a CustomerSummary"):
        prediction_intervals(cdnow.to_dict(), BetaGeo, horizon=39.0)  # type: ignore[arg-type]
    no_spend = CustomerSummary.from_arrays(cdnow.frequency, cdnow.recency, cdnow.T)
    with pytest.raises(ValidationError, match=r"`spend_model` needs `summary.monetary_value`"):
        prediction_intervals(no_spend, BetaGeo, GammaGamma, horizon=39.0)


def test_prediction_intervals_refuse_too_much_work(
    cdnow: CustomerSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_purchase, "MAX_CELLS", 10_000)
    with pytest.raises(ValidationError, match=r"`n_draws` x distinct rows = 1\.016e\+05"):
        prediction_intervals(cdnow, BetaGeo, horizon=39.0, n_draws=100)
    monkeypatch.setattr(_purchase, "MAX_KEPT_CELLS", 10_000)
    monkeypatch.setattr(_purchase, "MAX_CELLS", 10**9)
    with pytest.raises(ValidationError, match=r"use keep_draws=False"):
        prediction_intervals(cdnow, BetaGeo, horizon=39.0, n_draws=100, keep_draws=True)


def test_interval_refuses_bad_inputs(cdnow: CustomerSummary) -> None:
    model = BetaGeo.fit(cdnow)
    with pytest.raises(TypeError, match=r"`model` must be a relmark model fitted by maximum"):
        interval(object(), cdnow, lambda m: 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`predict` must be callable"):
        interval(model, cdnow, 3.0)  # type: ignore[arg-type]
    with pytest.raises(
        ValidationError, match=r"was fitted to 2,357 customers, but `summary` has 100"
    ):
        interval(
            model, cdnow.subset(np.arange(100)), lambda m: m.expected_purchases_new_customer(1.0)
        )
    unfitted = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(ValidationError, match=r"is not fitted"):
        interval(unfitted, cdnow, lambda m: 1.0, method="delta")
    with pytest.raises(ValidationError, match=r"`level` must be < 1"):
        interval(model, cdnow, lambda m: 1.0, level=2.0)


def test_threads_change_nothing(cdnow: CustomerSummary, monkeypatch: pytest.MonkeyPatch) -> None:
    from relmark.uncertainty import _core

    results = []
    for threads in (1, 3):
        monkeypatch.setattr(_core, "thread_count", lambda n_threads=None, n=threads: n)
        monkeypatch.setattr(_purchase, "thread_count", lambda n_threads=None, n=threads: n)
        results.append(
            prediction_intervals(cdnow, BetaGeo, GammaGamma, n_draws=12, rng=9, **OPTIONS)
        )
    for name in results[0].names:
        np.testing.assert_array_equal(results[0][name].lower, results[1][name].lower)
        np.testing.assert_array_equal(results[0][name].upper, results[1][name].upper)
