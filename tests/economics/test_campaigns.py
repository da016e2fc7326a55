"""Campaign planning: offers, budget, capacities and contact caps (issue 15, point 2)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from relmark import Feature, ValidationError, retention_campaign
from relmark.economics import campaigns
from relmark.economics.campaigns import CampaignPlan, Offer, TargetList, plan_campaign

# ---------------------------------------------------------------------------- brute force


def _effect(offer: Offer, i: int, p: float) -> float:
    """Incremental retention of offer for customer i, written from the formula."""
    if offer.save_rate is not None:
        rate = np.asarray(offer.save_rate, dtype=float)
        return float(p * (rate if rate.ndim == 0 else rate[i]))
    uplift = np.asarray(offer.uplift, dtype=float)
    return float(min(max(float(uplift if uplift.ndim == 0 else uplift[i]), p - 1.0), p))


def _gain_of(
    subset: tuple[int, ...], offers: list[Offer], i: int, p: float, v: float
) -> tuple[float, float]:
    """Gain and cost of giving customer i the offers in subset (independent re-derivation)."""
    if not subset:
        return 0.0, 0.0
    taus = [_effect(offers[j], i, p) for j in subset]
    if len(taus) == 1:
        tau = taus[0]
    else:  # each offer independently keeps tau_j / p of the would-be churners
        tau = p * (1.0 - math.prod(1.0 - t / p for t in taus)) if p > 0 else 0.0
    stay = 1.0 - p + tau
    cost = sum(offers[j].contact_cost + offers[j].offer_cost * stay for j in subset)
    return tau * v - cost, cost


def _allowed(offer: Offer, i: int) -> bool:
    return offer.eligible is None or bool(np.asarray(offer.eligible)[i])


def _brute_force(
    churn: np.ndarray,
    value: np.ndarray,
    offers: list[Offer],
    budget: float,
    caps: np.ndarray,
    only: int | None = None,
) -> float:
    """The best total gain over every feasible assignment (each customer: any subset)."""
    m = len(offers)
    choices = []
    for i in range(churn.size):
        usable = [j for j in range(m) if _allowed(offers[j], i) and (only is None or j == only)]
        subsets = [()] + [
            s for k in range(1, int(caps[i]) + 1) for s in itertools.combinations(usable, k)
        ]
        choices.append(
            [(s, *_gain_of(s, offers, i, float(churn[i]), float(value[i]))) for s in subsets]
        )
    best = 0.0
    for pick in itertools.product(*choices):
        cost = sum(c for _, _, c in pick)
        if cost > budget:  # the budget is a hard limit, as in the plan
            continue
        counts = np.zeros(m)
        for s, _, _ in pick:
            counts[list(s)] += 1
        limits = [math.inf if o.capacity is None else o.capacity for o in offers]
        if np.any(counts > limits):
            continue
        best = max(best, sum(g for _, g, _ in pick))
    return best


@st.composite
def instances(draw: st.DrawFn, tight: bool | None = None) -> dict[str, Any]:
    """Small instances; ``tight`` ones have a budget and capacities that bind."""
    tight = draw(st.booleans()) if tight is None else tight
    n = draw(st.integers(2 if tight else 1, 7))
    m = draw(st.integers(2, 3))
    cap_high = 2 if n <= 4 else 1
    offers = []
    for j in range(m):
        effect: dict[str, Any] = (
            {"save_rate": draw(st.floats(0.05, 1.0))}
            if draw(st.booleans())
            else {"uplift": draw(hnp.arrays(np.float64, n, elements=st.floats(0.02, 0.5)))}
        )
        masks = st.lists(st.booleans(), min_size=n, max_size=n)
        eligible = None if tight else draw(st.none() | masks)
        offers.append(
            Offer(
                name=f"o{j}",
                channel=draw(st.sampled_from(["email", "phone", "web"])),
                contact_cost=draw(st.floats(1.0 if tight else 0.0, 12.0)),
                offer_cost=draw(st.floats(0.0, 8.0)),
                eligible=eligible,
                capacity=draw(
                    st.integers(1, max(1, n // 2)) if tight else st.none() | st.integers(0, 2)
                ),
                **effect,
            )
        )
    caps = draw(
        st.integers(1, cap_high).map(lambda c: np.full(n, c))
        | st.lists(st.integers(0, cap_high), min_size=n, max_size=n).map(np.array)
    )
    return {
        "churn": draw(hnp.arrays(np.float64, n, elements=st.floats(0.3 if tight else 0.05, 1.0))),
        "value": draw(
            hnp.arrays(np.float64, n, elements=st.floats(200.0 if tight else 20.0, 600.0))
        ),
        "offers": offers,
        "budget": draw(
            st.floats(0.1, 0.6).map(lambda share: share * n * 12.0)
            if tight
            else st.floats(0.0, 40.0) | st.just(math.inf)
        ),
        "caps": caps,
    }


def _check_feasible(plan: CampaignPlan, case: dict[str, Any]) -> None:
    t = plan.targets
    assert plan.cost <= case["budget"] * (1 + 1e-12) + 1e-12
    assert plan.cost == pytest.approx(float(t.expected_cost.sum()), abs=1e-9)
    per_customer = np.bincount(t.customer_id.astype(int), minlength=case["churn"].size)
    assert np.all(per_customer <= case["caps"])
    for j, offer in enumerate(case["offers"]):
        mine = t.customer_id[t.offer == offer.name].astype(int)
        if offer.capacity is not None:
            assert mine.size <= offer.capacity
        assert np.all([_allowed(offer, i) for i in mine])
        assert plan.offers.contacts[j] == mine.size
    names = [offer.name for offer in case["offers"]]
    for i in np.unique(t.customer_id.astype(int)):  # one bundle each, gains as derived by hand
        got = sorted(names.index(name) for name in t.offer[t.customer_id == i])
        assert len(set(got)) == len(got)
        expected = _gain_of(tuple(got), case["offers"], i, case["churn"][i], case["value"][i])
        assert t.expected_gain[t.customer_id == i].sum() == pytest.approx(expected[0], abs=1e-9)
    assert np.all(np.diff(t.expected_gain) <= 0)  # best first
    assert plan.net_gain >= 0.0
    assert plan.net_gain >= max(plan.alternatives.values()) - 1e-9


def _plan(case: dict[str, Any], method: str) -> CampaignPlan:
    n = case["churn"].size
    return plan_campaign(
        np.arange(n),
        case["churn"],
        case["value"],
        case["offers"],
        budget=case["budget"],
        max_offers=case["caps"],
        method=method,
    )


@given(case=instances())
def test_exact_method_finds_the_brute_force_optimum(case: dict[str, Any]) -> None:
    plan = _plan(case, "exact")
    best = _brute_force(case["churn"], case["value"], case["offers"], case["budget"], case["caps"])
    _check_feasible(plan, case)
    assert plan.net_gain == pytest.approx(best, rel=1e-7, abs=1e-7)
    assert plan.upper_bound >= best - 1e-7
    for j, offer in enumerate(case["offers"]):  # single-offer plans are optimal for that offer
        alone = _brute_force(
            case["churn"],
            case["value"],
            case["offers"],
            case["budget"],
            np.minimum(case["caps"], 1),
            only=j,
        )
        assert plan.alternatives[f"only {offer.name}"] == pytest.approx(alone, rel=1e-7, abs=1e-7)


@settings(max_examples=40)
@given(case=instances(tight=True), method=st.sampled_from(["lp", "lagrangian", "auto"]))
def test_relaxation_methods_meet_their_bounds(case: dict[str, Any], method: str) -> None:
    plan = _plan(case, method)
    best = _brute_force(case["churn"], case["value"], case["offers"], case["budget"], case["caps"])
    _check_feasible(plan, case)
    assert plan.net_gain <= best + 1e-7  # feasible, so never above the optimum
    assert best <= plan.upper_bound + 1e-7  # the certificate: optimum - net <= gap
    assert best - plan.net_gain <= plan.gap + 1e-7
    if plan.method == "lp":  # at most (budget + capacitated offers) fractional customers dropped
        rows = 1 + sum(o.capacity is not None for o in case["offers"])
        largest = max((g for g in _all_gains(case)), default=0.0)
        assert best - plan.net_gain <= rows * largest + 1e-7


def _all_gains(case: dict[str, Any]) -> list[float]:
    offers, gains = case["offers"], []
    for i in range(case["churn"].size):
        for k in range(1, int(case["caps"][i]) + 1):
            for s in itertools.combinations(range(len(offers)), k):
                gains.append(_gain_of(s, offers, i, case["churn"][i], case["value"][i])[0])
    return gains


def test_the_relaxations_are_certified_against_the_exact_optimum_at_scale() -> None:
    rng = np.random.default_rng(7)
    n = 600
    churn, value = rng.beta(1, 2, n), rng.gamma(2.0, 100.0, n)
    offers = [
        Offer(name="mail", channel="email", contact_cost=1.0, save_rate=0.05),
        Offer(
            name="call",
            channel="phone",
            contact_cost=15.0,
            offer_cost=5.0,
            save_rate=0.3,
            capacity=40,
        ),
    ]
    plans = {
        method: plan_campaign(
            np.arange(n), churn, value, offers, budget=700.0, max_offers=2, method=method
        )
        for method in ("exact", "lp", "lagrangian")
    }
    best = plans["exact"].net_gain
    for method in ("lp", "lagrangian"):
        plan = plans[method]
        assert plan.method == method and plan.cost <= 700.0
        assert plan.net_gain <= best + 1e-6 <= plan.upper_bound + 2e-6
        assert plan.gap / best < 1e-3  # near-optimal, and certified so
        pairs = plan.targets.customer_id * 2 + (plan.targets.offer == "call")
        assert np.unique(pairs).size == len(plan.targets)  # no offer twice to one customer
        assert plan.offers.contacts[1] <= 40
    assert plans["exact"].gap == pytest.approx(0.0, abs=1e-6 * best)


# ---------------------------------------------------------------------------- reference values


def test_hand_computed_three_customers() -> None:
    # a: p=.9, V=400: mail .09*400-2 = 34, call .36*400-20 = 124
    # b: p=.5, V=300: mail .05*300-2 = 13, call .20*300-20 = 40
    # c: p=.1, V=50:  mail .01*50-2 < 0,   call .04*50-20 < 0
    # budget 25: call a + mail b (cost 22, gain 137) beats mail a + call b (74) and
    # call a alone (124); calling both costs 40 > 25.
    offers = [
        Offer(name="mail", channel="email", contact_cost=2.0, save_rate=0.1),
        Offer(name="call", channel="phone", contact_cost=20.0, save_rate=0.4),
    ]
    plan = plan_campaign(
        ["a", "b", "c"], [0.9, 0.5, 0.1], [400.0, 300.0, 50.0], offers, budget=25.0
    )
    assert plan.targets.customer_id.tolist() == ["a", "b"]
    assert plan.targets.offer.tolist() == ["call", "mail"]
    assert plan.targets.channel.tolist() == ["phone", "email"]
    assert plan.targets.expected_gain.tolist() == pytest.approx([124.0, 13.0])
    assert plan.net_gain == pytest.approx(137.0) and plan.cost == pytest.approx(22.0)
    assert plan.value_kept == pytest.approx(144.0 + 15.0)
    assert plan.roi == pytest.approx(137.0 / 22.0)
    assert dict(plan.alternatives) == pytest.approx(
        {"no campaign": 0.0, "only mail": 34.0 + 13.0, "only call": 124.0}
    )
    assert plan.offers.roi.tolist() == pytest.approx([13.0 / 2.0, 124.0 / 20.0])
    assert plan.chosen == "combined" and plan.upper_bound == pytest.approx(137.0)


def test_hand_computed_bundle_with_incentive_and_capacity() -> None:
    # customer 7: p=.9, V=600; mail tau=.09, voucher tau=.27 (incentive 10)
    #   bundle keeps 1-(1-.1)(1-.3)=.37 of churners: tau=.333,
    #   gain = .333*600 - 10*(1-.9+.333) - 2 = 193.47
    # customer 8: p=.6, V=200: mail .06*200-1 = 11; voucher capacity 1 goes to 7.
    offers = [
        Offer(name="mail", channel="email", contact_cost=1.0, save_rate=0.1),
        Offer(
            name="voucher",
            channel="email",
            contact_cost=1.0,
            offer_cost=10.0,
            save_rate=0.3,
            capacity=1,
        ),
    ]
    plan = plan_campaign([7, 8], [0.9, 0.6], [600.0, 200.0], offers, max_offers=2)
    assert plan.net_gain == pytest.approx(193.47 + 11.0)
    t = plan.targets
    assert t.customer_id.tolist() == [7, 7, 8] and t.offer.tolist() == ["voucher", "mail", "mail"]
    # the bundle's value kept (199.8) splits .27 : .09 between voucher and mail
    assert t.expected_gain.tolist() == pytest.approx(
        [0.75 * 199.8 - 5.33, 0.25 * 199.8 - 1.0, 11.0]
    )
    assert t.expected_cost.tolist() == pytest.approx([1.0 + 10.0 * 0.433, 1.0, 1.0])
    assert plan.offers.contacts.tolist() == [2, 1]


def test_retention_campaign_keeps_its_results_and_matches_a_one_offer_plan() -> None:
    rng = np.random.default_rng(3)
    churn, worth = rng.uniform(0, 1, 300), rng.gamma(2.0, 50.0, 300)
    old = retention_campaign(churn, 0.3, worth, 8.0)
    assert old.expected_gain.tolist() == (churn * 0.3 * worth - 8.0).tolist()  # bit for bit
    plan = plan_campaign(
        np.arange(300),
        churn,
        worth,
        [Offer(name="save", channel="phone", contact_cost=8.0, save_rate=0.3)],
    )
    assert plan.targets.customer_id.tolist() == old.targets.tolist()
    assert plan.targets.expected_gain.tolist() == old.expected_gain[old.targets].tolist()
    assert plan.net_gain == pytest.approx(old.net_gain)
    assert plan.value_kept == pytest.approx(old.value_saved) and plan.cost == old.cost


# ---------------------------------------------------------------------------- properties


@given(
    p=st.floats(0.0, 1.0),
    v=st.floats(0.0, 1e4),
    o=st.floats(0.0, 100.0),
    rates=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4),
    uplift=st.booleans(),
)
def test_bundle_uplift_and_gain_are_monotone(
    p: float, v: float, o: float, rates: list[float], uplift: bool
) -> None:
    grid = np.linspace(0.0, 1.0, 41)
    # uplift: fixed absolute uplifts, capped at p; else save rates
    effects = [np.minimum(r * 0.5, grid) if uplift else r * grid for r in rates]
    tau = campaigns._combined(grid, effects)
    assert np.all(tau <= grid + 1e-12) and np.all(tau >= np.max(effects, axis=0) - 1e-12)
    if not uplift:  # on the save-rate scale: 1 - prod(1 - s)
        assert tau == pytest.approx(grid * (1.0 - np.prod([1.0 - r for r in rates])))
    offers = [
        Offer(name=str(k), channel="web", contact_cost=1.0, offer_cost=o, save_rate=0.5)
        for k in range(len(rates))
    ]
    _, gain, _ = campaigns._bundle_gain(grid, np.full(grid.size, v), effects, offers)
    assert np.all(np.diff(gain) >= -1e-9 * max(1.0, v))  # increasing in p
    at_p = [np.full(3, min(r * 0.5, p) if uplift else r * p) for r in rates]
    _, by_value, _ = campaigns._bundle_gain(np.full(3, p), np.array([0.0, v / 2, v]), at_p, offers)
    assert np.all(np.diff(by_value) >= -1e-9)  # increasing in V


@given(case=instances())
def test_gain_intervals_contain_the_estimate(case: dict[str, Any]) -> None:
    n = case["churn"].size
    rng = np.random.default_rng(n)
    churn, value = case["churn"], case["value"]
    plan = plan_campaign(
        np.arange(n),
        churn,
        value,
        case["offers"],
        max_offers=case["caps"],
        value_lower=value * rng.uniform(0.5, 1.0, n),
        value_upper=value * 1.5,
        churn_lower=churn * 0.8,
        churn_upper=np.minimum(churn * 1.2, 1.0),
    )
    t = plan.targets
    assert np.all(t.gain_lower <= t.expected_gain + 1e-9)
    assert np.all(t.expected_gain <= t.gain_upper + 1e-9)


def test_uplift_offers_take_per_customer_arrays_and_are_capped_at_churn() -> None:
    offer = Offer(name="test", channel="email", contact_cost=0.0, uplift=[0.1, 0.9, -0.2])
    plan = plan_campaign([1, 2, 3], [0.5, 0.3, 0.5], [100.0, 100.0, 100.0], [offer])
    # customer 2's uplift 0.9 cannot exceed its churn 0.3; customer 3's negative uplift: no
    assert plan.targets.customer_id.tolist() == [2, 1]
    assert plan.targets.expected_gain.tolist() == pytest.approx([30.0, 10.0])


def test_eligibility_by_segment_rule_and_caps() -> None:
    offers = [
        Offer(
            name="vip", channel="sales_rep", contact_cost=1.0, save_rate=0.5, eligible={"Champions"}
        ),
        Offer(
            name="app",
            channel="app",
            contact_cost=1.0,
            save_rate=0.2,
            eligible=Feature("frequency") >= 2,
        ),
    ]
    plan = plan_campaign(
        ["a", "b", "c"],
        [0.5, 0.5, 0.5],
        [100.0, 100.0, 100.0],
        offers,
        max_offers=[2, 2, 0],
        segment=np.array(["Champions", "At Risk", "Champions"]),
        features={"frequency": [1, 3, 5]},
    )
    t = plan.targets
    assert sorted(zip(t.customer_id.tolist(), t.offer.tolist(), strict=True)) == [
        ("a", "vip"),
        ("b", "app"),
    ]
    assert t.reason.tolist()[0] == "P(alive) 0.50, value 100, segment Champions"
    assert t.segment is not None and t.segment.tolist() == ["Champions", "At Risk"]


def test_eligibility_by_integer_segments() -> None:
    offer = Offer(name="m", channel="web", contact_cost=1.0, save_rate=0.5, eligible={2, 3})
    plan = plan_campaign([10, 11, 12], [0.5, 0.6, 0.7], [100.0] * 3, [offer], segment=[1, 2, 3])
    assert sorted(plan.targets.customer_id.tolist()) == [11, 12]
    assert plan.targets.reason.tolist()[0] == "P(alive) 0.30, value 100, segment 3"


def test_no_customers_or_nobody_worth_it_gives_an_empty_plan() -> None:
    offer = Offer(name="mail", channel="email", contact_cost=5.0, save_rate=0.1)
    for plan in (
        plan_campaign([], [], [], [offer]),
        plan_campaign([1, 2], [0.1, 0.2], [10.0, 20.0], [offer]),
        plan_campaign([1, 2], [0.9, 0.9], [900.0, 900.0], [offer], max_offers=0),
        plan_campaign([1, 2], [0.9, 0.9], [900.0, 900.0], [offer], budget=0.0),
    ):
        assert len(plan.targets) == 0 and plan.net_gain == 0.0 and plan.chosen == "no campaign"
        assert plan.roi == 0.0 and plan.offers.contacts.tolist() == [0]


def test_results_are_read_only_and_inputs_untouched() -> None:
    churn = np.array([0.9, 0.5])
    plan = plan_campaign(
        np.array([1, 2]),
        churn,
        np.array([100.0, 50.0]),
        [Offer(name="m", channel="email", contact_cost=1.0, save_rate=0.5)],
    )
    assert churn.flags.writeable and churn.tolist() == [0.9, 0.5]
    with pytest.raises(ValueError, match="read-only"):
        plan.targets.expected_gain[0] = 0.0
    with pytest.raises(AttributeError, match="set attribute"):
        plan.net_gain = 0.0  # type: ignore[misc]


# ---------------------------------------------------------------------------- exports


def _example_targets() -> TargetList:
    offers = [
        Offer(name="mail", channel="email", contact_cost=1.0, save_rate=0.1),
        Offer(name="call", channel="phone", contact_cost=10.0, save_rate=0.4),
    ]
    return plan_campaign(
        ["ann", "bob", "cy"],
        [0.9, 0.6, 0.3],
        [500.0, 300.0, 80.0],
        offers,
        max_offers=2,
        segment=["Loyal", "At Risk", "New"],
    ).targets


def test_csv_and_parquet_round_trip(tmp_path: Path) -> None:
    import pyarrow.csv as pv
    import pyarrow.parquet as pq

    targets = _example_targets()
    expected = {name: column.tolist() for name, column in targets.to_dict().items()}
    targets.to_csv(tmp_path / "targets.csv")
    targets.to_parquet(tmp_path / "targets.parquet")
    from_csv = pv.read_csv(tmp_path / "targets.csv").to_pydict()
    from_parquet = pq.read_table(tmp_path / "targets.parquet").to_pydict()
    for table in (from_csv, from_parquet):
        assert list(table) == list(expected)
        for name, column in expected.items():
            assert table[name] == (
                pytest.approx(column)
                if name.startswith(("exp", "gain", "churn", "rem"))
                else column
            )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.csv", "targets.parquet"]


def test_exports_refuse_to_overwrite_unless_asked(tmp_path: Path) -> None:
    targets = _example_targets()
    path = tmp_path / "out.csv"
    path.write_text("keep me")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        targets.to_csv(path)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        targets.to_parquet(path)
    assert path.read_text() == "keep me"
    targets.to_csv(path, overwrite=True)
    assert path.read_text().startswith('"customer_id","offer"')
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left


def test_frames() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    targets = _example_targets()
    frame = targets.to_pandas()
    assert isinstance(frame, pd.DataFrame) and frame.index.name == "customer_id"
    assert frame["offer"].tolist() == targets.offer.tolist()
    assert targets.to_polars().columns[0] == "customer_id"
    assert isinstance(targets.to_polars(), pl.DataFrame)
    assert targets.to_arrow().num_rows == len(targets)
    plan_offers = plan_campaign(
        [1], [0.9], [100.0], [Offer(name="m", channel="web", contact_cost=1.0, save_rate=0.5)]
    ).offers
    assert plan_offers.to_pandas()["contacts"].tolist() == [1]
    assert plan_offers.to_arrow().column_names[0] == "offer"
    assert plan_offers.to_polars()["net_gain"].to_list() == pytest.approx([44.0])


# ---------------------------------------------------------------------------- bad inputs


def _mail(**kwargs: Any) -> Offer:
    return Offer(
        **{"name": "mail", "channel": "email", "contact_cost": 1.0, "save_rate": 0.2, **kwargs}
    )


def test_bad_offers() -> None:
    with pytest.raises(ValidationError, match=r"`save_rate` must be <= 1, got 1.5"):
        _mail(save_rate=1.5)
    with pytest.raises(ValidationError, match="exactly one of `save_rate` and `uplift`, got both"):
        _mail(uplift=0.1)
    with pytest.raises(ValidationError, match="got neither"):
        _mail(save_rate=None)
    with pytest.raises(ValidationError, match="unknown Channel 'fax'"):
        _mail(channel="fax")
    with pytest.raises(ValidationError, match=r"`contact_cost` must be >= 0, got -1.0"):
        _mail(contact_cost=-1.0)
    with pytest.raises(ValidationError, match=r"`offer_cost` must be >= 0"):
        _mail(offer_cost=-2.0)
    with pytest.raises(ValidationError, match=r"`capacity` must be >= 0, got -1"):
        _mail(capacity=-1)
    with pytest.raises(TypeError, match="`capacity` must be an integer, got float"):
        _mail(capacity=2.5)
    with pytest.raises(ValidationError, match=r"`uplift` must lie in \[-1, 1\]"):
        _mail(save_rate=None, uplift=[0.1, -1.5])
    with pytest.raises(ValidationError, match="`name` must not be empty"):
        _mail(name=" ")
    with pytest.raises(TypeError, match="`eligible` must be a boolean mask"):
        _mail(eligible="Champions")


def test_bad_plans() -> None:
    ids, churn, value = [1, 2], [0.5, 0.4], [10.0, 20.0]
    with pytest.raises(ValidationError, match=r"`budget` must be >= 0, got -3.0"):
        plan_campaign(ids, churn, value, [_mail()], budget=-3.0)
    with pytest.raises(ValidationError, match=r"`churn_probability` must lie in \[0, 1\]"):
        plan_campaign(ids, [0.5, 1.2], value, [_mail()])
    with pytest.raises(
        ValidationError,
        match="`customer_id`, `churn_probability` and `remaining_value` must have the same length",
    ):
        plan_campaign(ids, churn, [1.0], [_mail()])
    with pytest.raises(ValidationError, match="offer 'mail' `save_rate`"):
        plan_campaign(ids, churn, value, [_mail(save_rate=[0.1, 0.2, 0.3])])
    with pytest.raises(ValidationError, match="offer 'mail' `eligible`"):
        plan_campaign(ids, churn, value, [_mail(eligible=[True])])
    with pytest.raises(
        ValidationError, match=r"`offers` names must be unique; repeated: \['mail'\]"
    ):
        plan_campaign(ids, churn, value, [_mail(), _mail(contact_cost=2.0)])
    with pytest.raises(ValidationError, match="`customer_id` must be unique; 1 of 2"):
        plan_campaign([1, 1], churn, value, [_mail()])
    with pytest.raises(ValidationError, match="`offers` must hold at least one Offer"):
        plan_campaign(ids, churn, value, [])
    with pytest.raises(TypeError, match="`offers` must hold Offer objects"):
        plan_campaign(ids, churn, value, ["mail"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="`method` must be one of"):
        plan_campaign(ids, churn, value, [_mail()], method="greedy")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="`max_offers` must be >= 0, got -1"):
        plan_campaign(ids, churn, value, [_mail()], max_offers=-1)
    with pytest.raises(ValidationError, match="`max_offers` must be whole numbers"):
        plan_campaign(ids, churn, value, [_mail()], max_offers=[1, 0.5])
    with pytest.raises(ValidationError, match=r"`value_lower` must be <= `remaining_value`"):
        plan_campaign(ids, churn, value, [_mail()], value_lower=[11.0, 5.0])
    with pytest.raises(ValidationError, match=r"`churn_upper` must be >= `churn_probability`"):
        plan_campaign(ids, churn, value, [_mail()], churn_upper=[0.4, 0.5])
    with pytest.raises(ValidationError, match="give `segment` to plan_campaign"):
        plan_campaign(ids, churn, value, [_mail(eligible={"VIP"})])
    with pytest.raises(ValidationError, match="give `features` to plan_campaign"):
        plan_campaign(ids, churn, value, [_mail(eligible=Feature("frequency") > 1)])
    many = [_mail(name=f"m{k}") for k in range(8)]
    with pytest.raises(ValidationError, match="at most 64 are supported"):
        plan_campaign(ids, churn, value, many, max_offers=3)


def test_a_plan_and_its_list_print_in_one_line() -> None:
    offers = [Offer(name="mail", channel="email", contact_cost=2.0, save_rate=0.1)]
    plan = plan_campaign(["a", "b"], [0.9, 0.5], [400.0, 300.0], offers, budget=3.0)
    assert repr(plan) == (
        "CampaignPlan(1 contacts, cost 2.00 of budget 3.00, net gain 34.00, combined, exact, gap 0)"
    )
    assert repr(plan.targets) == "TargetList(1 contacts of 1 customers: mail 1)"


def test_the_exact_solver_prints_nothing_to_standard_output(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # HiGHS's MIP solver (scipy 1.17) prints debug lines on descriptor 1 on this plan (checked
    # with the redirection off); a target list written to standard output must not get them
    rng = np.random.default_rng(3)
    n = 1500
    churn, value = rng.beta(0.7, 0.7, n), rng.gamma(0.5, 20.0, n)
    offers = [
        Offer(name="mail", channel="email", contact_cost=0.5, save_rate=0.1),
        Offer(name="call", channel="phone", contact_cost=4.0, offer_cost=2.0, save_rate=0.3,
              capacity=50),
    ]  # fmt: skip
    plan = plan_campaign(np.arange(n), churn, value, offers, budget=300.0, max_offers=2,
                         method="exact")  # fmt: skip
    assert plan.cost <= 300.0
    out, _ = capfd.readouterr()
    assert out == ""
