"""Uplift of randomised campaigns: Newcombe intervals, per-customer models, Qini curves.

Reference values: Newcombe (1998), Table II (method 10, the hybrid score interval);
closed-form logistic MLEs of a saturated two-group model; Qini curves computed by hand
below.  Recovery: campaigns simulated here with a known effect, the intervals covering it
at their nominal rate within binomial error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize
from scipy.special import expit, logit

import relmark
from relmark import ConvergenceError, ValidationError
from relmark.economics.uplift import (
    QiniCurve,
    Uplift,
    _fit_logistic,
    _newcombe,
    measure_uplift,
    qini_coefficient,
    qini_curve,
)

# -- helpers ---------------------------------------------------------------------------------


def campaign(
    n: int, rng: np.random.Generator, *, control_rate: float, effect: float, share: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """A randomised campaign: treated at random with ``share``, retained with a known effect."""
    treated = rng.random(n) < share
    kept = rng.random(n) < control_rate + effect * treated
    return treated, kept


def covered_share(hits: int, r: int, level: float = 0.9) -> tuple[float, float]:
    """The acceptance band for a coverage count: nominal rate +- 3 binomial sd."""
    sd = math.sqrt(level * (1 - level) / r)
    return level - 3 * sd, level + 3 * sd


def logistic_campaign(
    x: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A campaign whose effect depends on ``x``, logistic in both groups (true tau returned)."""
    p0 = expit(-0.3 + 0.4 * x)
    p1 = expit(-0.3 + 0.4 * x + 0.5 + 0.7 * x)
    treated = rng.random(x.size) < 0.5
    kept = rng.random(x.size) < np.where(treated, p1, p0)
    return treated, kept, p1 - p0


# -- overall and per-segment effect: Newcombe's interval -------------------------------------

# Newcombe, R. G. (1998). Statistics in Medicine 17, 873-890, Table II, method 10
# (95% hybrid score interval for theta = pi1 - pi2): the eight examples (a)-(h).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


def arrays_of(x1: int, n1: int, x0: int, n0: int) -> tuple[list[int], list[int]]:
    treated = [1] * n1 + [0] * n0
    kept = [1] * x1 + [0] * (n1 - x1) + [1] * x0 + [0] * (n0 - x0)
    return treated, kept


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_interval_matches_table_ii(
    counts: tuple[int, int, int, int], published: tuple[float, float]
) -> None:
    x1, n1, x0, n0 = (np.array([float(v)]) for v in counts)
    d, lower, upper = _newcombe(x1, n1, x0, n0, 0.95)
    assert d[0] == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert (round(float(lower[0]), 4), round(float(upper[0]), 4)) == published
    if counts[0] + counts[2] > 0:  # measure_uplift refuses an outcome False for everyone
        o = measure_uplift(*arrays_of(*counts), level=0.95).overall
        assert (round(o.lower, 4), round(o.upper, 4)) == published
        assert (o.n_treated, o.n_control) == (counts[1], counts[3])
        assert o.treated_rate == counts[0] / counts[1]
        assert o.control_rate == counts[2] / counts[3]


def test_overall_interval_covers_the_true_effect_at_the_nominal_rate() -> None:
    # 200 small randomised campaigns (n = 200, control 30%, true effect +10 points, two
    # segments with true effects +5 and +20 points): the 90% intervals cover the truth
    # at a rate within 3 binomial sd of 0.90.
    rng = np.random.default_rng(20261202)
    r, n = 200, 200
    hits_overall = hits_segment = 0
    for _ in range(r):
        segment = np.where(rng.random(n) < 0.5, "web", "store")
        treated = rng.random(n) < 0.5
        effect = np.where(segment == "web", 0.05, 0.20)
        kept = rng.random(n) < 0.3 + effect * treated
        up = measure_uplift(treated, kept, segment=segment)
        truth = 0.125  # p_T - p_C: half the customers in each segment
        hits_overall += up.overall.lower <= truth <= up.overall.upper
        table = up.by_segment
        assert table is not None
        true_seg = np.where(table["segment"] == "web", 0.05, 0.20)
        hits_segment += int(np.sum((table["lower"] <= true_seg) & (true_seg <= table["upper"])))
    low, high = covered_share(hits_overall, r)
    assert low <= hits_overall / r <= high
    low, high = covered_share(hits_segment, 2 * r)
    assert low <= hits_segment / (2 * r) <= high


@given(
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    st.floats(0.5, 0.99),
)
def test_overall_interval_properties(
    treated_counts: tuple[int, int], control_counts: tuple[int, int], level: float
) -> None:
    (n1, x1), (n0, x0) = treated_counts, control_counts
    if x1 + x0 in (0, n1 + n0):
        with pytest.raises(ValidationError, match="`outcome` is"):
            measure_uplift(*arrays_of(x1, n1, x0, n0), level=level)
        return
    o = measure_uplift(*arrays_of(x1, n1, x0, n0), level=level).overall
    assert -1.0 <= o.lower <= o.effect <= o.upper <= 1.0
    assert o.effect == pytest.approx(x1 / n1 - x0 / n0)
    wider = measure_uplift(*arrays_of(x1, n1, x0, n0), level=(1 + level) / 2).overall
    assert wider.lower <= o.lower + 1e-12 and o.upper <= wider.upper + 1e-12


@pytest.mark.slow
def test_overall_interval_coverage_large() -> None:
    # 5,000 campaigns of 400 customers, 25% treated, control 60%, effect +8 points: both
    # the 90% and (separately drawn) 80% intervals cover at their nominal rate +- 3 sd.
    rng = np.random.default_rng(7)
    for level in (0.9, 0.8):
        r = 5000
        hits = 0
        for _ in range(r):
            treated, kept = campaign(400, rng, control_rate=0.6, effect=0.08, share=0.25)
            o = measure_uplift(treated, kept, level=level).overall
            hits += o.lower <= 0.08 <= o.upper
        low, high = covered_share(hits, r, level)
        assert low <= hits / r <= high


def test_segment_table_against_direct_counts() -> None:
    rng = np.random.default_rng(3)
    segment = rng.integers(1, 4, 600)
    treated, kept = campaign(600, rng, control_rate=0.4, effect=0.1)
    table = measure_uplift(treated, kept, segment=segment).by_segment
    assert table is not None
    assert table["segment"].tolist() == [1, 2, 3]
    for i, label in enumerate([1, 2, 3]):
        rows = segment == label
        p1 = kept[rows & treated].mean()
        p0 = kept[rows & ~treated].mean()
        assert table["n"][i] == rows.sum()
        assert table["n_treated"][i] == (rows & treated).sum()
        assert table["effect"][i] == pytest.approx(p1 - p0)
        assert table["lower"][i] < table["effect"][i] < table["upper"][i]
    frame = table.to_pandas()
    assert frame.loc[2, "effect"] == pytest.approx(table["effect"][1])
    assert len(table) == 3
    assert table.to_dict()["n"].tolist() == table["n"].tolist()


# -- the logistic regression against closed forms ------------------------------------------


def test_logistic_saturated_two_group_model_is_the_group_log_odds() -> None:
    # y on [1, g]: the MLE is beta0 = logit(p_0), beta0 + beta1 = logit(p_1), and the inverse
    # information gives Var(beta0) = 1/(n0 p0 (1-p0)), Var(beta0 + beta1) = 1/(n1 p1 (1-p1)).
    g = np.r_[np.zeros(40), np.ones(60)]
    y = np.r_[np.ones(10), np.zeros(30), np.ones(42), np.zeros(18)]
    design = np.column_stack([np.ones(100), g])
    fit = _fit_logistic(design, y, weights=None, penalty=0.0, robust=False, group="g", names=("g",))
    p0, p1 = 10 / 40, 42 / 60
    assert fit.coef[0] == pytest.approx(logit(p0), abs=1e-10)
    assert fit.coef[0] + fit.coef[1] == pytest.approx(logit(p1), abs=1e-10)
    cov = fit.covariance
    assert cov[0, 0] == pytest.approx(1 / (40 * p0 * (1 - p0)), rel=1e-9)
    assert cov[0, 0] + 2 * cov[0, 1] + cov[1, 1] == pytest.approx(
        1 / (60 * p1 * (1 - p1)), rel=1e-9
    )


def test_logistic_with_penalty_against_scipy_minimize() -> None:
    # the penalised objective minimised independently by BFGS on the same formula
    rng = np.random.default_rng(11)
    design = np.column_stack([np.ones(300), rng.normal(size=(300, 2))])
    y = (rng.random(300) < expit(design @ [0.2, 1.0, -0.5])).astype(float)
    lam = 3.0

    def objective(b: np.ndarray) -> float:
        eta = design @ b
        return float(np.sum(np.logaddexp(0, eta) - y * eta) + 0.5 * lam * np.sum(b[1:] ** 2))

    reference = optimize.minimize(objective, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    fit = _fit_logistic(
        design, y, weights=None, penalty=lam, robust=False, group="g", names=("a", "b")
    )
    np.testing.assert_allclose(fit.coef, reference.x, atol=1e-6)
    assert fit.iterations < 20


def test_two_model_with_one_binary_feature_reproduces_the_segment_effects() -> None:
    # a binary feature makes each logistic model saturated: p_T(g), p_C(g) are the observed
    # rates, so each customer's uplift is their segment's treated-minus-control difference
    rng = np.random.default_rng(5)
    g = rng.random(800) < 0.4
    treated, kept = campaign(800, rng, control_rate=0.35, effect=0.15)
    up = measure_uplift(treated, kept, features={"member": g}, segment=g)
    table = up.by_segment
    assert table is not None
    expected = np.where(g, table["effect"][1], table["effect"][0])
    np.testing.assert_allclose(up.per_customer, expected, atol=1e-9)
    assert up.features == ("member",)


def test_transformed_outcome_on_a_balanced_design_is_the_group_difference() -> None:
    # with exactly half treated within each group, the weighted class-variable mean in group g
    # is (1 + p_T(g) - p_C(g)) / 2, so 2 q(g) - 1 is the group's observed difference
    g = np.repeat([0.0, 1.0], [200, 300])
    treated = np.r_[np.tile([True, False], 100), np.tile([True, False], 150)]
    rng = np.random.default_rng(9)
    kept = rng.random(500) < 0.3 + 0.2 * treated * (1 + g)
    up = measure_uplift(treated, kept, features={"g": g}, method="transformed_outcome")
    for value in (0.0, 1.0):
        rows = g == value
        diff = kept[rows & treated].mean() - kept[rows & ~treated].mean()
        np.testing.assert_allclose(up.per_customer[rows], diff, atol=1e-9)
    assert up.method == "transformed_outcome"


# -- per-customer uplift -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["two_model", "transformed_outcome"])
def test_per_customer_uplift_tracks_the_true_effect(method: str) -> None:
    rng = np.random.default_rng(2026)
    x = rng.normal(size=6000)
    noise = rng.normal(size=6000)  # a feature without effect
    treated, kept, tau = logistic_campaign(x, rng)
    up = measure_uplift(treated, kept, features={"x": x, "noise": noise}, method=method)
    assert np.corrcoef(up.per_customer, tau)[0, 1] > 0.95
    assert np.all(up.per_customer_lower <= up.per_customer)
    assert np.all(up.per_customer <= up.per_customer_upper)
    # the model's uplift averages to about the measured overall effect
    assert abs(up.per_customer.mean() - up.overall.effect) < 0.02
    # ranking by the model is about as good as ranking by the true effect (0.10 here: the
    # perfect ordering of the normalisation knows every outcome, the truth does not)
    assert up.qini_coefficient == pytest.approx(qini_coefficient(tau, treated, kept), abs=0.01)
    assert up.qini_coefficient > 0.05


@pytest.mark.slow
def test_two_model_per_customer_intervals_cover_at_the_nominal_rate() -> None:
    # well-specified logistic groups, x fixed, 1,000 redraws of treatment and outcome: the
    # delta-method 90% intervals of three customers (x = -1.5, 0, 1.5) cover tau(x).
    x = np.r_[-1.5, 0.0, 1.5, np.random.default_rng(1).normal(size=1997)]
    rng = np.random.default_rng(2)
    r = 1000
    hits = np.zeros(3)
    for _ in range(r):
        treated, kept, tau = logistic_campaign(x, rng)
        up = measure_uplift(treated, kept, features={"x": x})
        hits += (up.per_customer_lower[:3] <= tau[:3]) & (tau[:3] <= up.per_customer_upper[:3])
    low, high = covered_share(0, r)
    assert np.all((low <= hits / r) & (hits / r <= high))


def test_predict_new_customers_and_features_from_a_summary() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    frequency = rng.poisson(2.0, n)
    T = rng.uniform(20, 40, n)
    recency = np.where(frequency > 0, T * rng.random(n), 0.0)
    summary = relmark.CustomerSummary.from_arrays(
        frequency, recency, T, customer_id=[f"c{i}" for i in range(n)]
    )
    treated = rng.random(n) < 0.5
    kept = rng.random(n) < 0.3 + treated * 0.05 * frequency
    single_cohort = relmark.CustomerSummary.from_arrays(
        frequency, np.where(frequency > 0, 10.0, 0.0), np.full(n, 30.0)
    )
    assert measure_uplift(treated, kept, features=single_cohort).features == (
        "frequency",
        "recency",
    )
    before = summary.frequency.copy()
    up = measure_uplift(treated, kept, features=summary)
    assert up.features == ("frequency", "recency", "T")  # customer_id and unit weights dropped
    assert up.customer_id is not None and up.customer_id[5] == "c5"
    np.testing.assert_array_equal(summary.frequency, before)
    # predicting on the fitted rows gives the fitted values; extra columns are ignored
    np.testing.assert_allclose(up.predict(summary), up.per_customer)
    new = {"frequency": [0.0, 6.0], "recency": [0.0, 30.0], "T": [30.0, 30.0], "x": [1, 2]}
    low, high = up.predict(new)
    assert low < high  # more purchases, more uplift (the simulated effect grows with frequency)
    # the prediction interval of the fitted rows is the per-customer interval
    lower, upper = up.predict_interval(summary)
    np.testing.assert_allclose(lower, up.per_customer_lower)
    np.testing.assert_allclose(upper, up.per_customer_upper)
    frame = up.to_pandas()
    assert frame.index.name == "customer_id"
    assert frame.loc["c5", "uplift"] == pytest.approx(up.per_customer[5])
    assert list(frame.columns) == ["treated", "outcome", "uplift", "lower", "upper"]
    pytest.importorskip("pyarrow")
    assert up.to_arrow().column_names == ["customer_id", *frame.columns]
    assert len(up) == n


def test_without_features_every_customer_gets_the_overall_effect() -> None:
    rng = np.random.default_rng(8)
    treated, kept = campaign(500, rng, control_rate=0.5, effect=0.1)
    up = measure_uplift(treated, kept)
    assert np.all(up.per_customer == up.overall.effect)
    assert np.all(up.per_customer_lower == up.overall.lower)
    assert up.predict().tolist() == [up.overall.effect]
    assert up.predict({"x": [1.0, 2.0, 3.0]}).tolist() == [up.overall.effect] * 3
    lower, upper = up.predict_interval({"x": [1.0, 2.0]})
    assert lower.tolist() == [up.overall.lower] * 2 and upper.tolist() == [up.overall.upper] * 2
    assert up.features == () and up.iterations == 0
    assert "without features" in repr(up)


def test_results_are_read_only_and_inputs_untouched() -> None:
    rng = np.random.default_rng(12)
    x = rng.normal(size=400)
    treated, kept, _ = logistic_campaign(x, rng)
    copies = x.copy(), treated.copy(), kept.copy()
    up = measure_uplift(treated, kept, features={"x": x}, segment=x > 0)
    for array in (up.per_customer, up.per_customer_lower, up.qini.gain, up.treated):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0
    for original, copy in zip((x, treated, kept), copies, strict=True):
        np.testing.assert_array_equal(original, copy)
    assert isinstance(up, Uplift) and isinstance(up.qini, QiniCurve)


def test_penalty_fits_separated_data_that_the_exact_fit_refuses() -> None:
    x = np.r_[np.linspace(-2, -0.1, 50), np.linspace(0.1, 2, 50)] * np.ones(1)
    treated = np.tile([True, False], 50)
    kept = x > 0  # x separates the outcome perfectly in both groups
    with pytest.raises(ConvergenceError, match=r"separated.*'x'.*penalty"):
        measure_uplift(treated, kept, features={"x": x})
    up = measure_uplift(treated, kept, features={"x": x}, penalty=1.0)
    assert np.all(np.isfinite(up.per_customer)) and up.penalty == 1.0
    assert np.all(np.abs(up.per_customer) < 0.5)  # no effect of treatment in these data


def test_collinear_features_raise_with_advice() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=300)
    treated, kept, _ = logistic_campaign(x, rng)
    with pytest.raises(ConvergenceError, match=r"collinear.*penalty"):
        measure_uplift(treated, kept, features={"x": x, "twice": 2 * x + 1})
    up = measure_uplift(treated, kept, features={"x": x, "twice": 2 * x + 1}, penalty=1.0)
    assert np.all(np.isfinite(up.per_customer))


# -- Qini ------------------------------------------------------------------------------------

# score 6..1, treated T C T C T C, outcome 1 0 0 1 1 0.  By hand, k = 1..6:
#   N_T = 1 1 2 2 3 3, N_C = 0 1 1 2 2 3, Y_T = 1 1 1 1 2 2, Y_C = 0 0 0 1 1 1
#   Q(k) = Y_T - Y_C N_T / N_C = 1, 1, 1, 1 - 2/2 = 0, 2 - 3/2 = 0.5, 2 - 3/3 = 1
#   random line Q(6) k/6 = k/6; Q - line = 0, 5/6, 4/6, 3/6, -4/6, -2/6, 0
#   area = (1/6) * sum of trapezoid means = (1/6) * (5 + 9 + 7 - 1 - 6 - 2)/12 = 1/6
# perfect order: treated responders {0, 4}, non-responders {1, 2, 5}, control responder {3}:
#   points k = 0, 2, 5, 6 with Q = 0, 2, 2, 2 - 1 * 3/3 = 1; line 0, 2/6, 5/6, 1;
#   Q - line = 0, 10/6, 7/6, 0; area = (5/6)(2/6) + (17/12)(3/6) + (7/12)(1/6) = 39/36
#   coefficient = (1/6) / (39/36) = 2/13
TINY = dict(uplift_score=[6, 5, 4, 3, 2, 1], treated=[1, 0, 1, 0, 1, 0], outcome=[1, 0, 0, 1, 1, 0])


def test_qini_curve_and_coefficient_by_hand() -> None:
    curve = qini_curve(**TINY)
    np.testing.assert_allclose(curve.gain, [0, 1, 1, 1, 0, 0.5, 1])
    np.testing.assert_allclose(curve.random, np.arange(7) / 6)
    assert curve.targeted.tolist() == list(range(7))
    assert curve.area == pytest.approx(1 / 6)
    assert curve.perfect_area == pytest.approx(39 / 36)
    assert curve.coefficient == pytest.approx(2 / 13)
    assert qini_coefficient(**TINY) == pytest.approx(2 / 13)
    assert qini_coefficient(**TINY, normalize=False) == pytest.approx(1 / 6)
    assert curve.to_pandas()["gain"].tolist() == curve.gain.tolist()
    assert len(curve) == 7


def test_qini_ties_are_one_group() -> None:
    # score 2 2 1 1 0 0 on the data above: groups end at k = 2, 4, 6 with
    #   Q = 1 (Y_T 1, N_T 1, N_C 1), 1 - 1 * 2/2 = 0, 1; line 1/3, 2/3, 1
    #   Q - line = 0, 2/3, -2/3, 0: trapezoids (1/3)(1/3) + 0 - (1/3)(1/3) = 0
    curve = qini_curve([2, 2, 1, 1, 0, 0], TINY["treated"], TINY["outcome"])
    assert curve.targeted.tolist() == [0, 2, 4, 6]
    np.testing.assert_allclose(curve.gain, [0, 1, 0, 1])
    assert curve.area == pytest.approx(0.0, abs=1e-15)
    # a constant score is random targeting: the curve is the random line
    flat = qini_curve(np.zeros(6), TINY["treated"], TINY["outcome"])
    assert flat.targeted.tolist() == [0, 6] and flat.coefficient == 0.0


@given(
    st.integers(4, 60).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 5), min_size=n, max_size=n),
            st.lists(st.booleans(), min_size=n, max_size=n),
            st.lists(st.booleans(), min_size=n, max_size=n),
            st.randoms(use_true_random=False),
        )
    )
)
def test_qini_invariants(data: tuple[list[int], list[bool], list[bool], object]) -> None:
    score, treated, outcome, random = data
    t, y = np.array(treated), np.array(outcome)
    if t.all() or not t.any() or not y.any():
        with pytest.raises(ValidationError, match=r"`treated`|`outcome`"):
            qini_curve(score, t, y)
        return
    curve = qini_curve(score, t, y)
    # starts at 0, ends at the overall incremental count N_T (p_T - p_C)
    total = t.sum() * (y[t].mean() - y[~t].mean())
    assert curve.gain[0] == 0.0 and curve.fraction[0] == 0.0 and curve.fraction[-1] == 1.0
    assert curve.gain[-1] == pytest.approx(total)
    assert curve.random[-1] == pytest.approx(total)
    assert np.all(np.diff(curve.targeted) > 0)
    # the perfect score has coefficient 1; rows in another order give the same curve
    perfect = np.where(y, np.where(t, 2, 0), 1)
    assert qini_coefficient(perfect, t, y) == pytest.approx(1.0)
    order = np.array(random.sample(range(t.size), t.size))  # type: ignore[attr-defined]
    again = qini_curve(np.array(score)[order], t[order], y[order])
    np.testing.assert_allclose(again.gain, curve.gain)
    assert again.area == pytest.approx(curve.area)


def test_random_scores_have_qini_about_zero_and_good_scores_beat_them() -> None:
    rng = np.random.default_rng(31)
    x = rng.normal(size=2000)
    treated, kept, tau = logistic_campaign(x, rng)
    random_scores = [qini_coefficient(rng.random(2000), treated, kept) for _ in range(200)]
    mean, sd = np.mean(random_scores), np.std(random_scores)
    assert abs(mean) < 3 * sd / math.sqrt(200)
    truth = qini_coefficient(tau, treated, kept)
    assert truth > mean + 3 * sd  # the true effect ranks far better than chance
    assert qini_coefficient(-tau, treated, kept) < 0  # and its reverse worse
    assert truth < 1.0  # the perfect ordering knows each outcome; the truth does not


def test_plot_qini_draws_the_curve_and_the_random_line() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from relmark.plotting import plot_qini

    curve = qini_curve(**TINY)
    ax = plot_qini(curve)
    model, random = ax.get_lines()
    np.testing.assert_allclose(model.get_xdata(), 100 * np.arange(7) / 6)
    np.testing.assert_allclose(model.get_ydata(), [0, 1, 1, 1, 0, 0.5, 1])
    np.testing.assert_allclose(random.get_ydata(), np.arange(7) / 6)
    assert ax.get_title() == "Qini curve (coefficient 0.15)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "uplift score",
        "random targeting",
    ]
    with pytest.raises(TypeError, match="`curve` must be a QiniCurve"):
        plot_qini(curve.to_dict())  # type: ignore[arg-type]
    plt.close("all")


# -- bad input -------------------------------------------------------------------------------


def test_bad_inputs_name_the_argument() -> None:
    t, y = [1, 0, 1, 0], [1, 0, 0, 1]
    with pytest.raises(ValidationError, match="`treated` has no control group"):
        measure_uplift([1, 1, 1], [1, 0, 1])
    with pytest.raises(ValidationError, match="`treated` has no treated customers"):
        measure_uplift([0, 0, 0], [1, 0, 1])
    with pytest.raises(ValidationError, match="`outcome` must be True/False or 1/0"):
        measure_uplift(t, [1, 0, 2, 1])
    with pytest.raises(ValidationError, match="`treated` must be True/False"):
        measure_uplift([1, 0, 0.5, 0], y)
    with pytest.raises(ValidationError, match="`treated` and `outcome` must have the same length"):
        measure_uplift(t, [1, 0, 1])
    with pytest.raises(ValidationError, match="`treated` and `features` must have the same len"):
        measure_uplift(t, y, features={"x": [1.0, 2.0, 3.0]})
    with pytest.raises(ValidationError, match=r"`features\['a'\]` and `features\['b'\]` must"):
        measure_uplift(t, y, features={"a": [1.0, 2, 3, 4], "b": [1.0, 2]})
    with pytest.raises(
        ValidationError, match=r"`treated`, `outcome` and `segment` must have the same length"
    ):
        measure_uplift(t, y, segment=["a", "b"])
    with pytest.raises(ValidationError, match=r"`features\['x'\]` is constant"):
        measure_uplift(t, y, features={"x": [3.0, 3.0, 3.0, 3.0]})
    with pytest.raises(ValidationError, match=r"`features\['x'\]` must not be NaN"):
        measure_uplift(t, y, features={"x": [1.0, np.nan, 2.0, 3.0]})
    with pytest.raises(TypeError, match=r"`features\['x'\]` must hold numbers"):
        measure_uplift(t, y, features={"x": ["a", "b", "c", "d"]})
    with pytest.raises(TypeError, match="`features` must be a mapping"):
        measure_uplift(t, y, features=[[1.0, 2.0, 3.0, 4.0]])
    for level in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValidationError, match="`level` must be"):
            measure_uplift(t, y, level=level)
    with pytest.raises(ValidationError, match="`penalty` must be >= 0"):
        measure_uplift(t, y, penalty=-1.0)
    with pytest.raises(ValidationError, match="`method` must be one of"):
        measure_uplift(t, y, method="causal_forest")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="`outcome` is False for all 4 customers"):
        measure_uplift(t, [0, 0, 0, 0])
    with pytest.raises(ValidationError, match="`segment` 'b' has no control customers"):
        measure_uplift(t, y, segment=["a", "a", "b", "a"])
    with pytest.raises(ValidationError, match="`outcome` is True for every customer of the trea"):
        measure_uplift(t, [1, 0, 1, 0], features={"x": [1.0, 2.0, 3.0, 4.0]})


def test_bad_features_objects_and_predict_inputs() -> None:
    summary = relmark.CustomerSummary.from_arrays(
        [1, 2, 0, 3], [1.0, 2.0, 0.0, 3.0], [4.0, 4.0, 5.0, 6.0], weights=[1, 2, 1, 1]
    )
    with pytest.raises(ValidationError, match="`features` has `weights` other than 1"):
        measure_uplift([1, 0, 1, 0], [1, 0, 0, 1], features=summary)
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    treated, kept, _ = logistic_campaign(x, rng)
    up = measure_uplift(treated, kept, features={"x": x})
    with pytest.raises(ValidationError, match="missing 'x'"):
        up.predict({"z": [1.0]})
    with pytest.raises(ValidationError, match="must give the columns the uplift was fitted on"):
        up.predict()
    with pytest.raises(ValidationError, match=r"`features\['x'\]` must be finite"):
        up.predict({"x": [np.inf]})
    with pytest.raises(ValidationError, match=r"`features\['x'\]` and `features\['y'\]` must"):
        measure_uplift(treated, kept).predict({"x": [1.0, 2.0], "y": [1.0]})


def test_bad_qini_inputs() -> None:
    with pytest.raises(ValidationError, match="`outcome` is False for all 4 customers"):
        qini_curve([1, 2, 3, 4], [1, 0, 1, 0], [0, 0, 0, 0])
    with pytest.raises(ValidationError, match="`treated` has no control group"):
        qini_curve([1, 2, 3], [1, 1, 1], [1, 0, 1])
    with pytest.raises(ValidationError, match="`uplift_score` must not be NaN"):
        qini_curve([1, np.nan], [1, 0], [1, 0])
    with pytest.raises(
        ValidationError, match=r"`uplift_score`, `treated` and `outcome` must have the same length"
    ):
        qini_curve([1, 2, 3], [1, 0], [1, 0])
    with pytest.raises(TypeError, match="`normalize` must be True or False"):
        qini_coefficient([1, 2], [1, 0], [1, 0], normalize=1)  # type: ignore[arg-type]
