"""Public functions check their input once, at their entry, through relmark._validation.

- The wrong kind of object is a ``TypeError`` naming the argument.
- Arrays of different lengths are a ``ValidationError`` naming both
  arguments (never a numpy broadcast error that names none).
- Absurd sizes are refused with a ``ValidationError`` before any work or
  allocation (checked by counting the model's calls and by tracing memory),
  or cost nothing (closed forms).
- The caller's arrays are never changed.
"""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.cluster.vq import kmeans2

import relmark
from relmark import CustomerSummary, ValidationError
from relmark.datasets import simulate_transactions
from relmark.segmentation import check_partition, clustering

BG = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
SBG = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)
SUMMARY = CustomerSummary.from_arrays([0, 2, 5], [0.0, 10.0, 30.0], [40.0, 40.0, 40.0], [0, 20, 15])
CLUB = relmark.LoyaltyProgram(
    name="Club", points_per_unit=1, point_value=0.01, tiers=[relmark.Tier(name="M", threshold=0)]
)
LOG = relmark.TransactionLog.from_arrays(["a", "b"], ["2024-01-01", "2024-02-01"], [10.0, 5.0])
TOUCHPOINTS = relmark.TouchpointTable.from_arrays([1], [0.0], ["web"], ["visit"])


@contextmanager
def peak_bytes(limit: int) -> Iterator[None]:
    """Assert the block allocates at most ``limit`` bytes at its peak (numpy arrays included)."""
    tracemalloc.start()
    try:
        yield
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak <= limit, f"peak allocation {peak:,} bytes > {limit:,}"


# ------------------------------------------------------------------------------ wrong kinds

WRONG_OBJECTS = [None, "BetaGeo", 3.0, [1.0, 2.0], {"a": 1}, BG, GG, SBG, SUMMARY, LOG, CLUB]


def _clv(**change: Any) -> Any:
    arguments = {"transaction_model": BG, "spend_model": GG, "summary": SUMMARY} | change
    return relmark.customer_lifetime_value(**arguments, horizon=4.0, discount_rate=0.01)


#: (argument, call with the object in that place, the kinds of object it does not refuse
#: as the wrong kind)
SLOTS: list[tuple[str, Callable[[Any], Any], tuple[type, ...]]] = [
    ("transaction_model", lambda o: _clv(transaction_model=o), (relmark.BetaGeo,)),
    ("spend_model", lambda o: _clv(spend_model=o), (relmark.GammaGamma, type(None))),
    ("summary", lambda o: _clv(summary=o), (CustomerSummary,)),
    ("model", lambda o: relmark.subscriber_lifetime_value(o, margin=1.0, discount_rate=0.1),
     (relmark.ShiftedBetaGeo,)),
    ("program", lambda o: relmark.qualifying_totals(o, LOG), (relmark.LoyaltyProgram,)),
    ("log", lambda o: relmark.qualifying_totals(CLUB, o), (relmark.TransactionLog,)),
    ("log", lambda o: relmark.points_balance(CLUB, o), (relmark.TransactionLog,)),
    ("program", lambda o: relmark.points_liability(o, 10.0), (relmark.LoyaltyProgram,)),
    ("program", lambda o: relmark.assign_tiers(o, [1.0]), (relmark.LoyaltyProgram,)),
    ("program", lambda o: relmark.loyalty_program_value(
        o, spend=100, margin=0.3, retention=0.7, retention_lift=0.05, discount_rate=0.1),
     (relmark.LoyaltyProgram,)),
    ("touchpoints", lambda o: relmark.customer_profitability(o), (relmark.TouchpointTable,)),
    ("summary", lambda o: relmark.lifecycle_stages(o), (CustomerSummary,)),
    ("features", lambda o: relmark.kmeans_segments(o, k=1), (dict,)),
    ("features", lambda o: relmark.assign_segments(o, relmark.RFM_SEGMENTS[:1]),
     (dict, CustomerSummary)),
    ("attributes", lambda o: relmark.Customer(customer_id="a", attributes=o), (dict,)),
    ("periods", lambda o: relmark.customer_equity([1.0], periods=o), (float,)),
    ("periods", lambda o: relmark.clv_closed_form(1.0, 0.5, 0.1, periods=o), (float, type(None))),
    ("timing", lambda o: relmark.clv_closed_form(1.0, 0.5, 0.1, timing=o), (str,)),
    ("k", lambda o: relmark.kmeans_segments({"a": [1.0, 2.0]}, k=o), ()),
    ("log", lambda o: relmark.kmeans_segments({"a": [1.0, 2.0]}, k=1, log=o), (bool,)),
    # a bool or a number is the right kind of entry (1/0): its wrong values are tested below
    ("partner", lambda o: relmark.loyalty_ladder(purchases=[1, 2], partner=o),
     (list, type(None), bool, float)),
    ("n_customers", lambda o: simulate_transactions(o), ()),
    ("order", lambda o: relmark.funnel(["a"], o), ()),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "kinds"), SLOTS, ids=[slot[0] for slot in SLOTS])
@given(data=st.data())
def test_the_wrong_kind_of_object_is_a_type_error_naming_the_argument(
    name: str, call: Callable[[Any], Any], kinds: tuple[type, ...], data: st.DataObject
) -> None:
    # only objects of the wrong kind for this slot are drawn
    wrong = data.draw(
        st.sampled_from([o for o in [*WRONG_OBJECTS, True] if not isinstance(o, kinds)]),
        label="wrong",
    )
    with pytest.raises(TypeError, match=f"`{name}`"):
        call(wrong)


def test_a_flag_or_number_for_an_array_of_flags_is_a_wrong_value() -> None:
    # a bool is the right kind of entry; as a scalar it is one flag for two customers
    with pytest.raises(
        ValidationError, match=r"^`purchases` and `partner` must have the same length: "
    ):
        relmark.loyalty_ladder(purchases=[1, 2], partner=True)
    # a number is the right kind of entry (1/0), 3.0 the wrong value
    with pytest.raises(ValidationError, match=r"^`partner` must be True/False or 1/0"):
        relmark.loyalty_ladder(purchases=[1, 2], partner=3.0)


def test_the_reported_wrong_kinds() -> None:
    with pytest.raises(TypeError, match=r"^`spend_model` must be a SpendModel .*got BetaGeo$"):
        _clv(spend_model=BG)
    with pytest.raises(
        TypeError, match=r"^`transaction_model` must be a PurchaseModel .*NoneType$"
    ):
        _clv(transaction_model=None)
    with pytest.raises(TypeError, match=r"^`log` must be a TransactionLog, got NoneType$"):
        relmark.points_balance(CLUB, None)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"^`features` must be a mapping of name to array, got list$"
    ):
        relmark.kmeans_segments([[1.0]], k=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`periods` must be a whole number, got bool$"):
        relmark.customer_equity([1.0], periods=True)


def test_periods_follow_one_rule() -> None:
    # the drift users found: 2.0 was accepted by one function and refused by the other
    assert relmark.clv_closed_form(100.0, 0.8, 0.1, periods=2.0) == pytest.approx(
        relmark.clv_closed_form(100.0, 0.8, 0.1, periods=2)
    )
    assert relmark.customer_equity(
        [0.0], new_customers_per_period=1, new_customer_value=2, periods=2.0
    ) == pytest.approx(4.0)
    for call in (
        lambda p: relmark.clv_closed_form(1.0, 0.5, 0.1, periods=p),
        lambda p: relmark.customer_equity([1.0], periods=p),
    ):
        with pytest.raises(
            ValidationError, match=r"^`periods` must be a whole number >= 0, got 2.5$"
        ):
            call(2.5)
        with pytest.raises(
            ValidationError, match=r"^`periods` must be a whole number >= 0, got -1$"
        ):
            call(-1)
        with pytest.raises(TypeError, match=r"^`periods` must be a whole number, got bool$"):
            call(True)


@attrs.frozen
class Linear:
    """A purchase-model double: ``rate`` purchases per unit of time."""

    rate: float

    def expected_purchases(self, summary: CustomerSummary, t: Any) -> np.ndarray:
        return np.full(len(summary), self.rate * float(t))


def test_a_model_with_only_the_methods_used_is_accepted() -> None:
    clv = relmark.customer_lifetime_value(
        Linear(1.0), None, SUMMARY, horizon=2.0, discount_rate=0.0
    )
    assert clv.tolist() == [2.0, 2.0, 2.0]


# ------------------------------------------------------------------------------ lengths

LENGTH_PAIRS: list[tuple[str, str, Callable[[np.ndarray, np.ndarray], Any]]] = [
    ("margin", "retention", lambda a, b: relmark.clv_closed_form(a, b * 0.5, 0.1)),
    ("retention", "discount_rate", lambda a, b: relmark.clv_closed_form(1.0, a * 0.5, b)),
    ("margin", "renewals", lambda a, b: relmark.subscriber_lifetime_value(
        SBG, margin=a, discount_rate=0.1, renewals=b)),
    ("values_per_customer", "weights", lambda a, b: relmark.customer_equity(a, weights=b)),
    ("acquisition_cost", "expected_tenure", relmark.amortized_acquisition_cost),
    ("acquisition_cost", "margin", lambda a, b: relmark.payback_period(a, b, 0.5)),
    ("margin", "retention", lambda a, b: relmark.payback_period(1.0, a, b * 0.5)),
    ("clv", "acquisition_cost", relmark.clv_to_cac),
    ("acquisition_cost", "retention_cost", relmark.acquisition_retention_ratio),
    ("retention", "lift", lambda a, b: relmark.retention_lift_value(
        1.0, a * 0.5, 0.1, lift=b * 0.1)),
    ("churn_probability", "remaining_value", lambda a, b: relmark.retention_campaign(
        a * 0.5, 0.5, b, 1.0)),
    ("churn_probability", "save_probability", lambda a, b: relmark.retention_campaign(
        a * 0.5, b * 0.5, a, 1.0)),
    ("churn_probability", "contact_cost", lambda a, b: relmark.retention_campaign(
        a * 0.5, 0.5, a, b)),
    ("expected_revenue", "expected_cost_to_serve", relmark.unprofitable_relationships),
    ("outstanding_points", "outstanding_points", lambda a, b: relmark.points_liability(CLUB, a)),
    ("purchases", "satisfaction", lambda a, b: relmark.loyalty_ladder(
        purchases=a, satisfaction=b)),
    ("purchases", "referrals", lambda a, b: relmark.loyalty_ladder(purchases=a, referrals=b)),
    ("x", "y", lambda a, b: relmark.kmeans_segments({"x": a, "y": b}, k=1)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("first", "second", "call"), LENGTH_PAIRS, ids=[f"{a}-{b}" for a, b, _ in LENGTH_PAIRS]
)
@given(n=st.integers(2, 12), m=st.integers(2, 12))
def test_mismatched_lengths_name_both_arguments(
    first: str, second: str, call: Callable[[np.ndarray, np.ndarray], Any], n: int, m: int
) -> None:
    a, b = np.ones(n), np.ones(m)
    before = a.copy(), b.copy()
    if n == m or first == second:
        call(a, b)  # equal lengths (or a single array) are fine
    else:
        with pytest.raises(ValidationError, match=f"`{first}`.*`{second}`.*same length"):
            call(a, b)
    assert np.array_equal(a, before[0]) and np.array_equal(b, before[1])


@given(n=st.integers(2, 12), m=st.integers(2, 12))
def test_per_customer_arrays_match_the_summary(n: int, m: int) -> None:
    summary = CustomerSummary.from_arrays(np.ones(n), np.ones(n), np.full(n, 2.0))
    for name in ("probability_alive", "longest_pause"):
        arguments = {name: np.full(m, 0.5)}
        if n == m:
            assert relmark.lifecycle_stages(summary, **arguments).shape == (n,)
            continue
        with pytest.raises(
            ValidationError,
            match=re.escape(f"`summary` and `{name}` must have the same length: `summary` has {n}"),
        ):
            relmark.lifecycle_stages(summary, **arguments)


def test_redeemed_needs_one_value_per_customer() -> None:
    with pytest.raises(
        ValidationError,
        match=re.escape("`redeemed` must have one value per distinct customer of `log` (2), got 3"),
    ):
        relmark.points_balance(CLUB, LOG, redeemed=[0.0, 0.0, 0.0])


# ------------------------------------------------------------------------------ sizes


@attrs.define
class Counting:
    """A purchase-model double that counts its calls."""

    calls: int = 0

    def expected_purchases(self, summary: CustomerSummary, t: Any) -> np.ndarray:
        self.calls += 1
        return np.full(len(summary), float(t))


@given(
    horizon=st.floats(100_001.0, 1e308),
    step=st.sampled_from([1.0, 1e-3, 1e-300]),
)
def test_clv_refuses_too_many_steps_before_calling_the_model(horizon: float, step: float) -> None:
    model = Counting()
    with pytest.raises(
        ValidationError, match=r"^`horizon` / `step` = .* steps; at most 100,000 are supported"
    ):
        relmark.customer_lifetime_value(
            model, None, SUMMARY, horizon=horizon * step, discount_rate=0.01, step=step
        )
    assert model.calls == 0


def test_clv_past_71000_steps_discounts_without_overflow() -> None:
    model = Counting()
    clv = relmark.customer_lifetime_value(
        model, None, SUMMARY, horizon=80_000.0, discount_rate=0.01
    )
    assert model.calls == 80_000
    assert clv == pytest.approx(np.full(3, 1 / 0.01))  # one purchase per step, discounted


@given(periods=st.integers(10**6, 10**300), rate=st.floats(0.0, 1.0))
def test_customer_equity_costs_the_same_for_any_number_of_periods(
    periods: int, rate: float
) -> None:
    with peak_bytes(100_000):
        value = relmark.customer_equity(
            [1.0], new_customers_per_period=1.0, new_customer_value=2.0, periods=periods,
            discount_rate=rate,
        )  # fmt: skip
    with mpmath.workdps(60):  # the sum of (1 + d)^-k, k = 1..K, to 60 digits
        r = mpmath.mpf(rate)
        annuity = periods if rate == 0 else -mpmath.expm1(-periods * mpmath.log1p(r)) / r
        expected = float(1 + 2 * annuity)
    assert value == pytest.approx(expected, rel=1e-9)


@given(n=st.integers(10**8 + 1, 10**15))
def test_simulate_transactions_refuses_huge_logs_before_allocating(n: int) -> None:
    with (
        peak_bytes(100_000),
        pytest.raises(ValidationError, match=r"^`n_customers` must be <= 100,000,000"),
    ):
        simulate_transactions(n)


@given(days=st.floats(1e9, 1e300))
def test_simulate_transactions_refuses_huge_event_counts_before_drawing(days: float) -> None:
    with (
        peak_bytes(1_000_000),
        pytest.raises(
            ValidationError,
            match=r"^the expected purchase events = .* events; at most 1,000,000,000",
        ),
    ):
        simulate_transactions(1000, days=days, rng=1)


@given(k=st.integers(101, 10**6))
def test_check_partition_refuses_huge_grids_before_allocating(k: int) -> None:
    with peak_bytes(100_000), pytest.raises(ValidationError, match=r"^`k` must be <= 100, got"):
        check_partition(k=k)


@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 25))
def test_kmeans_seeding_is_scipys_in_linear_work(seed: int, k: int) -> None:
    rng = np.random.default_rng(3)
    data = np.unique(np.round(rng.normal(size=(200, 3)), 1), axis=0)
    calls: list[int] = []
    real = clustering.cdist

    def counted(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
        calls.append(a.shape[0] * b.shape[0])
        return real(a, b, metric=metric)

    clustering.cdist = counted  # type: ignore[assignment]
    try:
        seeds = clustering._seed_centres(data, k, np.random.default_rng(seed))
    finally:
        clustering.cdist = real
    # one distance per point and new centre: (k - 1) n, not scipy's k (k - 1) n / 2
    assert sum(calls) == (k - 1) * data.shape[0]
    ours = kmeans2(data, seeds, iter=1, minit="matrix")
    theirs = kmeans2(data, k, iter=1, minit="++", rng=np.random.default_rng(seed))
    assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])


# ------------------------------------------------------------------------------ plain numbers

#: (call with numpy scalars or arrays as input, error, the message: plain numbers and strings)
NUMPY_VALUES: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: relmark.ShiftedBetaGeo.fit_survival([0, 0, 0]), ValidationError,
     r"^`alive\[0\]` \(the cohort size\) must be > 0, got 0$"),
    (lambda: relmark.ShiftedBetaGeo.fit_survival([10, 5, 6]), ValidationError,
     r"^`alive` must not increase .*; 1 of 3 periods violate this \(first at index 2: 6\.0\)$"),
    (lambda: relmark.scoring.nps([11]), ValidationError,
     r"^`answers` must hold whole answers from 0 to 10; 1 of 1 do not "
     r"\(first at index 0: 11\.0\)$"),
    (lambda: relmark.Feature("x") > np.float64(np.inf), ValidationError,
     r"^a rule compares with a finite number, got inf$"),
    (lambda: relmark.Feature("x") > np.True_, TypeError,
     r"^a rule compares with a number or a string, got True$"),
    (lambda: relmark.Channel.parse(np.int64(3), name="channel"), TypeError,
     r"^`channel` must be a Channel or the string of one, got 3$"),
    (lambda: relmark.Channel.parse(np.str_("fax"), name="channel"), ValidationError,
     r"^`channel`: unknown Channel 'fax'; expected one of 'email', "),
    (lambda: relmark.value_tiers([1.0], shares=np.float64(0.5)), TypeError,
     r"^`shares` must be a sequence of numbers, got 0\.5$"),
    (lambda: relmark.funnel(["a"], np.array(["a", "a"])), ValidationError,  # type: ignore[arg-type]
     r"^`order` must list distinct stages, got \['a', 'a'\]$"),
    (lambda: relmark.funnel(["z"], np.array(["a", "b"])), ValidationError,  # type: ignore[arg-type]
     r"^stages \['z'\] are not in `order` \['a', 'b'\]$"),
    (lambda: LOG.summarize(period=np.float64(2.0)), ValidationError,
     r"^`period` must be one of s, min, h, D, W, M or None for a calendar log, got 2\.0$"),
    (lambda: relmark.Segment(name=np.str_(" "), rule=relmark.Feature("x") > 1), ValidationError,
     r"^`name` must not be empty, got ' '$"),
    (lambda: relmark.clv_closed_form(1.0, 0.5, 0.1, timing=np.str_("mid")), ValidationError,
     r"^`timing` must be one of 'end', 'start', got 'mid'$"),
    (lambda: relmark.BetaGeoBetaBinom.fit(CustomerSummary.from_arrays([3], [2], [5])),
     ValidationError,
     r"^`recency` must be >= `frequency` for discrete opportunities \(each purchase takes one\); "
     r"1 of 1 customers violate this \(first at index 0: 2\.0 < 3\.0\)$"),
    (lambda: relmark.GammaGamma.fit(
        CustomerSummary.from_arrays([1, 2], [1, 2], [3, 3], monetary_value=[5, 0])),
     ValidationError,
     r"^`monetary_value` must be > 0 where `frequency` > 0; 1 of 2 customers violate this "
     r"\(first at index 1: 0\.0\)$"),
    (lambda: relmark.segment_profile(["a", "b"], nps_answers=np.array([np.nan, 11.0])),
     ValidationError,
     r"^`nps_answers` must be 0-10 answers \(NaN for no answer\); 1 of 2 customers violate "
     r"this \(first at index 1: 11\.0\)$"),
    (lambda: relmark.segment_profile(["a", "b", "c"], probability_alive=[0.5, 1.5, 0.0]),
     ValidationError,
     r"^`probability_alive` must lie in \[0, 1\]; 1 of 3 customers violate this "
     r"\(first at index 1: 1\.5\)$"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "message"), NUMPY_VALUES)
def test_messages_quote_plain_numbers_not_numpy_reprs(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as raised:
        call()
    assert "np." not in str(raised.value)


def test_rules_show_numpy_values_as_plain_ones() -> None:
    assert str(relmark.Feature("x").isin([np.int64(1), np.str_("a")])) == "x in [1, 'a']"
    assert str(relmark.Feature("x") == np.str_("gold")) == "x == 'gold'"
    assert str(relmark.Feature("x") > np.float64(2.5)) == "x > 2.5"
