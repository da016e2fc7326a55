"""Tests of the touchpoint and campaign simulators (relmark.datasets.simulate)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import relmark
from relmark import ValidationError
from relmark.data.touchpoints import CHANNELS, KINDS
from relmark.datasets.simulate import (
    ACQUISITION_CHANNELS,
    SEGMENTS,
    CampaignOutcome,
    SimulatedBase,
    simulate_campaign,
    simulate_touchpoints,
)
from relmark.domain.channels import Office, TouchpointKind

PURCHASE = KINDS.index(TouchpointKind.PURCHASE)
SURVEY = KINDS.index(TouchpointKind.SURVEY_RESPONSE)
VISIT = KINDS.index(TouchpointKind.VISIT)
WEEK = np.timedelta64(7 * 86400 * 10**6, "us")


@pytest.fixture(scope="module")
def base() -> SimulatedBase:
    return simulate_touchpoints(6000, rng=20)


def _weeks(base: SimulatedBase, times: np.ndarray) -> np.ndarray:
    return (times - base.start) / WEEK


# -- simulate_touchpoints ------------------------------------------------------------------


def test_seeded_reproducibility() -> None:
    first = simulate_touchpoints(300, rng=4)
    second = simulate_touchpoints(300, rng=np.random.default_rng(4))
    other = simulate_touchpoints(300, rng=5)
    for name in ("customer_id", "timestamp", "channel", "kind", "amount", "cost"):
        np.testing.assert_array_equal(
            getattr(first.touchpoints, name), getattr(second.touchpoints, name)
        )
    np.testing.assert_array_equal(first.touchpoints.score, second.touchpoints.score)
    np.testing.assert_array_equal(first.alive_at_end, second.alive_at_end)
    assert len(first.touchpoints) != len(other.touchpoints) or not np.array_equal(
        first.touchpoints.timestamp, other.touchpoints.timestamp
    )


def test_sizes_ranges_and_order(base: SimulatedBase) -> None:
    tp = base.touchpoints
    n = len(base)
    assert n == 6000 and base.customers.tolist() == list(range(n))
    assert set(np.unique(tp.customer_id).tolist()) == set(range(n))
    assert tp.timestamp.min() >= base.start and tp.timestamp.max() < base.end
    # sorted by customer, then time
    key_customer = tp.customer_id.astype(np.int64)
    step = np.diff(key_customer)
    assert np.all(step >= 0)
    same = step == 0
    assert np.all(np.diff(tp.timestamp.view(np.int64))[same] >= 0)
    purchase = tp.kind == PURCHASE
    assert np.all(tp.amount[purchase] >= 0.01) and np.all(tp.amount[~purchase] == 0.0)
    assert np.all(tp.cost >= 0.0) and float(tp.cost.sum()) > 0.0
    answers = tp.score[tp.kind == SURVEY]
    assert answers.size > 100 and np.all(np.isin(answers, np.arange(11)))
    # every customer's first purchase is their acquisition, then their repeats
    counts = np.bincount(key_customer[purchase], minlength=n)
    np.testing.assert_array_equal(counts, base.repeat_purchases + 1)
    first_row = np.searchsorted(key_customer, np.arange(n))
    assert np.all(tp.kind[first_row] == PURCHASE)
    np.testing.assert_array_equal(tp.timestamp[first_row], base.acquired_at)
    # attributes: the documented categories, both offices, the truth in range
    assert set(base.acquisition_channel.tolist()) == set(ACQUISITION_CHANNELS)
    assert set(base.segment.tolist()) == set(SEGMENTS)
    offices = {CHANNELS[code].office for code in np.unique(tp.channel).tolist()}
    assert offices == {Office.FRONT, Office.BACK}
    assert np.all(base.purchase_rate > 0) and np.all(
        (base.dropout_probability > 0) & (base.dropout_probability <= 1)
    )
    assert np.all((base.satisfaction > 0) & (base.satisfaction < 1))
    # acquisition channel shares near the documented ones (binomial, 4 sd)
    for name, (share, _, _) in ACQUISITION_CHANNELS.items():
        seen = float(np.mean(base.acquisition_channel == name))
        assert abs(seen - share) < 4 * np.sqrt(share * (1 - share) / n)


def test_the_table_passes_the_checked_constructor(base: SimulatedBase) -> None:
    # The simulator builds its table without a second pass of checks: the checked
    # constructor must accept the same columns and keep them as they are.
    tp = base.touchpoints
    columns = ("customer_id", "timestamp", "channel", "kind", "amount", "cost", "score")
    checked = relmark.TouchpointTable(**{name: getattr(tp, name) for name in columns})
    for name in columns:
        np.testing.assert_array_equal(getattr(checked, name), getattr(tp, name))
        assert getattr(checked, name).dtype == getattr(tp, name).dtype
        assert not getattr(tp, name).flags.writeable


def test_the_dead_stop_buying_and_visiting(base: SimulatedBase) -> None:
    # A customer who dropped out did so right after their last purchase: no visit or
    # support call later, while e-mails keep arriving until the end.
    tp = base.touchpoints
    who = tp.customer_id.astype(np.int64)
    t = _weeks(base, tp.timestamp)
    n = len(base)
    last_purchase = np.full(n, -np.inf)
    np.maximum.at(last_purchase, who[tp.kind == PURCHASE], t[tp.kind == PURCHASE])
    visits = tp.kind == VISIT
    dead = ~base.alive_at_end
    assert dead.sum() > 100
    late_visit = visits & dead[who] & (t > last_purchase[who] + 1e-9)
    assert not late_visit.any()
    sent = tp.kind == KINDS.index(TouchpointKind.MESSAGE_SENT)
    assert (sent & dead[who] & (t > last_purchase[who])).sum() > 0


def test_cohorts_exist_in_every_month(base: SimulatedBase) -> None:
    months = base.acquired_at.astype("datetime64[M]")
    counts = np.unique(months, return_counts=True)
    assert counts[0].size == 24  # 2024-01 .. 2025-12
    assert str(counts[0][0]) == "2024-01" and str(counts[0][-1]) == "2025-12"
    # uniform acquisition: 6000 / 24 = 250 a month, Poisson-like spread
    assert counts[1].min() > 250 - 4 * np.sqrt(250) - 10


def test_refit_recovers_the_true_bgnbd() -> None:
    # Without channel effects every customer follows the one BG/NBD: its maximum-likelihood
    # fit on the simulated purchases (time in weeks, no merging of same-day purchases, so
    # the summary is the model's own (x, t_x, T)) must lie within 3 standard errors of the
    # truth, parameter by parameter (asymptotic normality of the MLE; seed fixed).  Measured
    # with this seed: r 0.240 (truth 0.243), alpha 4.23 (4.414; 1.6 se), a 0.776, b 2.428.
    sim = simulate_touchpoints(20_000, rng=11, channel_effects=False)
    summary = sim.transactions().summarize(sim.end, unit="W", period=None)
    fitted = relmark.BetaGeo.fit(summary)
    assert fitted.fit_info is not None
    se = np.sqrt(np.diag(fitted.fit_info.covariance))
    truth = sim.purchase_model.params
    for (name, value), error in zip(fitted.params.items(), se, strict=True):
        assert abs(value - truth[name]) < 3 * error, (name, value, truth[name], error)
    # The true model's P(alive) is calibrated on the truth: its mean is the expected share
    # of the alive (sd of the share given the histories: sqrt(sum p(1-p)) / n).
    p_alive = sim.purchase_model.probability_alive(summary)
    spread = np.sqrt(np.sum(p_alive * (1 - p_alive))) / p_alive.size
    assert abs(float(p_alive.mean()) - float(sim.alive_at_end.mean())) < 4 * spread


def test_channel_effects_shift_purchasing(base: SimulatedBase) -> None:
    # Documented truth: sales-rep customers buy 1.5x as fast as web ones, social ones 0.75x,
    # each channel following its own BG/NBD(r, alpha / rate, a, b / dropout).
    models = base.channel_models
    assert models["web"].params == base.purchase_model.params
    assert models["sales_rep"].alpha == pytest.approx(base.purchase_model.alpha / 1.5)
    assert models["social"].b == pytest.approx(base.purchase_model.b / 1.5)
    mean_rate = {
        name: float(base.purchase_rate[base.acquisition_channel == name].mean())
        for name in ACQUISITION_CHANNELS
    }
    assert mean_rate["sales_rep"] > mean_rate["web"] > mean_rate["social"]
    # the mean of Gamma(r, alpha_c) is r / alpha_c: within 25 % on a few hundred customers
    for name, model in models.items():
        assert mean_rate[name] == pytest.approx(model.r / model.alpha, rel=0.25)
    plain = simulate_touchpoints(50, rng=1, channel_effects=False)
    assert {m.params["alpha"] for m in plain.channel_models.values()} == {
        plain.purchase_model.alpha
    }


def test_segments_shift_spend(base: SimulatedBase) -> None:
    log = base.transactions()
    assert log.amount is not None
    order = {
        name: float(log.amount[base.segment[log.customer_code] == name].mean()) for name in SEGMENTS
    }
    assert order["premium"] > order["core"] > order["budget"]
    for name, model in base.segment_spend.items():  # mean p gamma / (q - 1)
        assert model.gamma == pytest.approx(base.spend_model.gamma * SEGMENTS[name][1])


def test_modified_bgnbd_is_accepted() -> None:
    model = relmark.ModifiedBetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    sim = simulate_touchpoints(400, rng=2, purchase_model=model)
    assert isinstance(sim.channel_models["store"], relmark.ModifiedBetaGeo)
    assert len(sim.transactions()) == 400 + int(sim.repeat_purchases.sum())


def test_engagement_nps_and_lifecycle_run_on_the_table(base: SimulatedBase) -> None:
    tp = base.touchpoints
    engaged = relmark.engagement(tp, as_of=base.end, half_life=8.0, unit="W")
    assert engaged.customer_id.tolist() == list(range(len(base)))
    alive = base.alive_at_end
    # the alive keep visiting and buying: more engaged than the dead
    assert engaged.score[alive].mean() > 1.5 * engaged.score[~alive].mean()
    assert 0.0 < float(engaged.back_office_share.mean()) < 0.2
    complaints = int(engaged.complaints.sum())
    assert complaints > 50
    answered = int(engaged.complaints_answered.sum()) / complaints
    assert 0.75 < answered <= 0.9 + 4 * np.sqrt(0.09 / complaints)  # 0.9, fewer near the end
    waited = engaged.mean_response_time[engaged.complaints_answered > 0]
    # in weeks (``unit``): exponential with mean 2 days; an unanswered complaint is matched
    # to the answer of a later one, so somewhat longer on average
    assert 1.5 / 7 < float(waited.mean()) < 3.5 / 7

    # NPS of the survey answers against its expectation from the true satisfaction:
    # each answer is Binomial(10, s) so P(promoter) = P(X >= 9), P(detractor) = P(X <= 6).
    survey = tp.kind == SURVEY
    owner_sat = base.satisfaction[tp.customer_id[survey].astype(np.int64)]
    expected = 100 * float(
        np.mean(stats.binom.sf(8, 10, owner_sat) - stats.binom.cdf(6, 10, owner_sat))
    )
    score = relmark.nps(tp.score[survey])
    half_width = (score.high - score.low) / 2
    assert abs(score.value - expected) < 2 * half_width  # ~4 sd
    by_segment = relmark.nps_by_group(tp.score[survey], base.segment[tp.customer_id[survey]])
    assert by_segment["premium"].value > by_segment["core"].value > by_segment["budget"].value

    # lifecycle stages with the true model's P(alive): the dead are churned far more often
    summary = base.transactions().summarize(base.end, unit="W", period=None)
    p_alive = base.channel_models["web"].probability_alive(summary)
    stages = relmark.lifecycle_stages(summary, probability_alive=p_alive)
    churned = stages == "churned"
    assert churned[~alive].mean() > 3 * churned[alive].mean()
    assert set(stages.tolist()) >= {"new", "active", "churned"}


def test_pickles_stay_read_only(base: SimulatedBase) -> None:
    small = simulate_touchpoints(50, rng=3)
    again = pickle.loads(pickle.dumps(small))
    np.testing.assert_array_equal(again.alive_at_end, small.alive_at_end)
    assert not again.purchase_rate.flags.writeable
    assert not again.touchpoints.timestamp.flags.writeable
    assert again.channel_models["web"] == small.channel_models["web"]
    with pytest.raises(TypeError, match="does not support item assignment"):
        again.channel_models["web"] = small.purchase_model  # type: ignore[index]
    out = simulate_campaign(small, rng=1)
    copied = pickle.loads(pickle.dumps(out))
    assert copied.true_average_effect == out.true_average_effect
    assert not copied.true_effect.flags.writeable


def test_to_pandas_and_repr(base: SimulatedBase) -> None:
    pytest.importorskip("pandas")
    frame = base.to_pandas()
    assert frame.shape == (6000, 8) and frame.index.name == "customer_id"
    assert frame["alive_at_end"].sum() == int(base.alive_at_end.sum())
    assert repr(base).startswith("SimulatedBase(6,000 customers, ")
    assert not base.alive_at_end.flags.writeable


@settings(max_examples=10)
@given(n=st.integers(1, 60), seed=st.integers(0, 2**31), days=st.integers(1, 400))
def test_small_bases_obey_the_rules(n: int, seed: int, days: int) -> None:
    end = np.datetime64("2024-01-01") + np.timedelta64(days, "D")
    sim = simulate_touchpoints(n, rng=seed, end=str(end))
    tp = sim.touchpoints
    assert len(sim) == n and np.all(tp.timestamp < sim.end)
    purchases = np.bincount(tp.customer_id[tp.kind == PURCHASE].astype(np.int64), minlength=n)
    np.testing.assert_array_equal(purchases, sim.repeat_purchases + 1)
    assert np.all(np.isnan(tp.score[tp.kind != SURVEY]))


# -- simulate_campaign ---------------------------------------------------------------------


def _difference(out: CampaignOutcome) -> tuple[float, float]:
    t, c = out.outcome[out.treated], out.outcome[~out.treated]
    p1, p0 = t.mean(), c.mean()
    return float(p1 - p0), float(np.sqrt(p1 * (1 - p1) / t.size + p0 * (1 - p0) / c.size))


def test_campaign_truth_from_a_base(base: SimulatedBase) -> None:
    out = simulate_campaign(base, rng=8, effect=0.4, horizon=26.0)
    assert len(out) == 6000 and int(out.treated.sum()) == 3000
    dead = ~base.alive_at_end
    assert np.all(out.true_effect[dead] == 0) and np.all(out.true_baseline[dead] == 0)
    # control retention of the alive is the documented exp(-rate * dropout * horizon): the
    # chance of no dropout among the purchases of the next 26 weeks.  Independent check on
    # a few customers by Monte Carlo over N ~ Poisson(rate * 26): E[(1 - p)^N].
    hazard = base.purchase_rate * base.dropout_probability
    np.testing.assert_allclose(out.true_baseline[~dead], np.exp(-hazard[~dead] * 26.0))
    check = np.random.default_rng(0)
    for i in np.flatnonzero(~dead)[:3].tolist():
        draws = check.poisson(base.purchase_rate[i] * 26.0, 200_000)
        mc = float(np.mean((1 - base.dropout_probability[i]) ** draws))
        assert mc == pytest.approx(out.true_baseline[i], abs=0.01)
    x = base.repeat_purchases
    np.testing.assert_allclose(out.save_rate, np.where(dead, 0.0, 0.4 * x / (x + 1)))
    np.testing.assert_allclose(out.true_effect, out.save_rate * (1 - out.true_baseline))
    assert out.true_average_effect == pytest.approx(float(out.true_effect.mean()))
    # the dead are never retained; one-time buyers have no effect
    assert not out.outcome[dead].any()
    assert np.all(out.true_effect[x == 0] == 0)
    # frequent alive buyers respond more than occasional ones, on average
    alive = ~dead
    assert out.true_effect[alive & (x >= 3)].mean() > out.true_effect[alive & (x == 1)].mean()
    difference, se = _difference(out)
    assert abs(difference - out.true_average_effect) < 4 * se
    assert out.horizon == 26.0


def test_frequency_cells_rank_customers_by_the_true_effect() -> None:
    # A two-model uplift in its simplest form: retention of the treated and of the control
    # group estimated separately in cells of the observed repeat frequency (0, 1-2, 3+),
    # their difference the cell's uplift.  It must follow the true effect: increasing
    # across the cells, each within 4 standard errors of the cell's mean true effect.
    sim = simulate_touchpoints(30_000, rng=21)
    out = simulate_campaign(sim, rng=22)  # defaults: 52 weeks, save rate 0.5
    frequency = sim.transactions().summarize(sim.end, unit="W").frequency
    cell = np.digitize(frequency, [1, 3])
    estimates = []
    for k in range(3):
        inside = cell == k
        t, c = out.outcome[inside & out.treated], out.outcome[inside & ~out.treated]
        p1, p0 = t.mean(), c.mean()
        se = np.sqrt(p1 * (1 - p1) / t.size + p0 * (1 - p0) / c.size)
        truth = float(out.true_effect[inside].mean())
        assert abs(p1 - p0 - truth) < 4 * se, (k, p1 - p0, truth, se)
        estimates.append(p1 - p0)
    assert estimates[0] < estimates[1] < estimates[2]
    assert out.true_effect[cell == 2].mean() > 2 * out.true_effect[cell == 1].mean() > 0


def test_campaign_difference_covers_the_truth_at_the_nominal_rate() -> None:
    # 300 campaigns of 2,000 customers: the 95 % normal interval of the treated-minus-control
    # difference must cover the true average effect in 95 % of them (binomial: 4 sd of
    # 300 draws is +-0.05).
    rng = np.random.default_rng(99)
    baseline = rng.uniform(0.05, 0.6, 2000)
    save = rng.uniform(0.0, 0.5, 2000)
    covered = 0
    for seed in range(300):
        out = simulate_campaign(np.arange(2000), baseline=baseline, effect=save, rng=seed)
        difference, se = _difference(out)
        covered += abs(difference - out.true_average_effect) < 1.96 * se
    assert abs(covered / 300 - 0.95) < 0.05


def test_campaign_with_ids_and_a_scalar_effect() -> None:
    ids = np.array([f"c{i}" for i in range(4000)])
    out = simulate_campaign(ids, baseline=np.full(4000, 0.3), effect=0.2, treated_share=0.25,
                            rng=1)  # fmt: skip
    assert out.customer_id.tolist() == ids.tolist() and int(out.treated.sum()) == 1000
    assert out.true_average_effect == pytest.approx(0.2 * 0.7)  # s (1 - b)
    assert out.horizon is None
    difference, se = _difference(out)
    assert abs(difference - 0.14) < 4 * se
    # treatment never hurts: with the same seed and no effect, the control outcomes are equal
    none = simulate_campaign(ids, baseline=np.full(4000, 0.3), effect=0.0, treated_share=0.25,
                             rng=1)  # fmt: skip
    assert np.all(out.outcome >= none.outcome)
    np.testing.assert_array_equal(out.outcome[~out.treated], none.outcome[~none.treated])
    pytest.importorskip("pandas")
    frame = out.to_pandas()
    assert list(frame.columns) == [
        "treated", "outcome", "true_baseline", "save_rate", "true_effect"
    ]  # fmt: skip
    assert frame.index.name == "customer_id"


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_customers": 0}, ValidationError, r"^`n_customers` must be >= 1, got 0$"),
        ({"n_customers": 2.0}, TypeError, r"^`n_customers` must be an integer, got float$"),
        ({"n_customers": 10**8 + 1}, ValidationError, r"^`n_customers` must be <= 100,000,000"),
        ({"n_customers": 10**8}, ValidationError, r"^the expected touchpoints = .* events"),
        (
            {"n_customers": 5, "start": "2025-01-01", "end": "2024-01-01"},
            ValidationError,
            r"^`end` \(2024-01-01T00:00:00.000000\) must be after `start`",
        ),
        ({"n_customers": 5, "end": "soon"}, ValidationError, r"`end`"),
        ({"n_customers": 5, "start": 3.0}, TypeError, r"`start`"),
        (
            {"n_customers": 5, "purchase_model": relmark.ParetoNBD(r=1, alpha=1, s=1, beta=1)},
            TypeError,
            r"^`purchase_model` must be a BetaGeo, got ParetoNBD$",
        ),
        (
            {"n_customers": 5, "spend_model": "gg"},
            TypeError,
            r"^`spend_model` must be a GammaGamma, got str$",
        ),
        ({"n_customers": 5, "channel_effects": "yes"}, TypeError, r"`channel_effects`"),
        ({"n_customers": 5, "rng": -1}, ValidationError, r"^`rng` seed must be >= 0, got -1$"),
        ({"n_customers": 5, "rng": "x"}, TypeError, r"^`rng` must be a numpy Generator"),
    ],
)
def test_simulate_touchpoints_refuses_bad_input(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        simulate_touchpoints(**kwargs)  # type: ignore[arg-type]


def test_simulate_touchpoints_refuses_a_model_with_covariates() -> None:
    model = relmark.BetaGeo(r=1, alpha=1, a=1, b=1)
    with_covariates = model.with_coefficients({"purchase[vip]": 0.5})
    with pytest.raises(ValidationError, match=r"^`purchase_model` must be a model without"):
        simulate_touchpoints(5, purchase_model=with_covariates)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((None,), {}, TypeError, r"^`population` must be a SimulatedBase or an array"),
        (("abc",), {}, TypeError, r"^`population` must be a SimulatedBase or an array"),
        (([1, 2, 3],), {}, ValidationError, r"^`baseline` is required when `population`"),
        (([1.0, float("nan")],), {"baseline": [0.5, 0.5]}, ValidationError,
         r"^`customer_id` must not be missing \(NaN\)"),
        (([1],), {"baseline": [0.5]}, ValidationError, r"at least 2 customers, got 1$"),
        (
            ([1, 2],),
            {"baseline": [0.5, 1.5]},
            ValidationError,
            r"^`baseline` must lie in \[0, 1\]; 1 of 2 customers",
        ),
        (([1, 2],), {"baseline": [0.5]}, ValidationError, r"`baseline`"),
        (([1, 2],), {"baseline": [0.5, 0.5], "effect": 1.5}, ValidationError,
         r"^`effect` must be <= 1, got 1.5$"),
        (([1, 2],), {"baseline": [0.5, 0.5], "effect": [0.1, -0.1]}, ValidationError,
         r"^`effect` must lie in \[0, 1\]; 1 of 2 customers"),
        (([1, 2],), {"baseline": [0.5, 0.5], "effect": [0.1]}, ValidationError, r"`effect`"),
        (([1, 2],), {"baseline": [0.5, 0.5], "treated_share": 1.0}, ValidationError,
         r"^`treated_share` must be < 1, got 1.0$"),
        (([1, 2],), {"baseline": [0.5, 0.5], "treated_share": 0.0}, ValidationError,
         r"^`treated_share` must be > 0, got 0.0$"),
        (([1, 2, 3],), {"baseline": [0.5] * 3, "treated_share": 0.1}, ValidationError,
         r"^`treated_share` = 0.1 of 3 customers leaves a group empty"),
        (([1, 2],), {"baseline": [0.5, 0.5], "horizon": 0.0}, ValidationError,
         r"^`horizon` must be > 0, got 0.0$"),
    ],
)  # fmt: skip
def test_simulate_campaign_refuses_bad_input(
    args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        simulate_campaign(*args, **kwargs)  # type: ignore[arg-type]
