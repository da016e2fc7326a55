"""CLV: closed forms by hand, model-based CLV two ways, properties, bad input."""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import (
    CustomerSummary,
    ShiftedBetaGeo,
    ValidationError,
    clv_closed_form,
    customer_equity,
    customer_lifetime_value,
    subscriber_lifetime_value,
)
from relmark.datasets import cdnow_sample_summary


def test_closed_forms_by_hand() -> None:
    # margin 100, retention 0.8, discount 10 %: 100 * 0.8 / (1.1 - 0.8)
    assert clv_closed_form(100.0, 0.8, 0.1) == pytest.approx(266.6667, rel=1e-6)
    assert clv_closed_form(100.0, 0.8, 0.1, timing="start") == pytest.approx(366.6667, rel=1e-6)
    # three periods, end timing: 100 * (q + q^2 + q^3), q = 0.8 / 1.1
    q = 0.8 / 1.1
    assert clv_closed_form(100.0, 0.8, 0.1, periods=3) == pytest.approx(100 * (q + q**2 + q**3))
    assert clv_closed_form(100.0, 0.8, 0.1, periods=3, timing="start") == pytest.approx(
        100 * (1 + q + q**2)
    )
    assert clv_closed_form(100.0, 0.0, 0.1) == 0.0
    assert clv_closed_form([1.0, 2.0], 0.5, 0.0).tolist() == [1.0, 2.0]


@given(
    margin=st.floats(0.01, 1e4),
    retention=st.floats(0.0, 0.99),
    rate=st.floats(0.0, 1.0),
    step=st.floats(0.001, 0.5),
)
def test_clv_falls_with_discount_and_grows_with_retention_and_margin(
    margin: float, retention: float, rate: float, step: float
) -> None:
    base = clv_closed_form(margin, retention, rate)
    assert clv_closed_form(margin, retention, rate + step) <= base
    assert clv_closed_form(margin * (1 + step), retention, rate) >= base
    assert clv_closed_form(margin, min(retention + step, 0.995), rate) >= base


@attrs.frozen
class Linear:
    """A test double: every customer buys ``rate`` purchases per unit of time."""

    rate: float

    def expected_purchases(self, summary: CustomerSummary, t: Any) -> np.ndarray:
        return np.full(len(summary), self.rate * float(t))


@attrs.frozen
class Flat:
    spend: float

    def expected_spend(self, summary: CustomerSummary) -> np.ndarray:
        return np.full(len(summary), self.spend)


def test_model_based_clv_with_a_constant_rate_is_an_annuity() -> None:
    summary = CustomerSummary.from_arrays([0, 1], [0.0, 2.0], [5.0, 5.0])
    clv = customer_lifetime_value(
        Linear(0.5), Flat(20.0), summary, horizon=10.0, discount_rate=0.05, margin=0.3, step=2.0
    )
    annuity = sum(1.05**-k for k in range(1, 6))  # 5 periods of 2 units
    assert clv == pytest.approx(np.full(2, 0.3 * 20.0 * 0.5 * 2.0 * annuity))
    # a partial last period is discounted as a whole period at its end
    partial = customer_lifetime_value(
        Linear(1.0), None, summary, horizon=3.0, discount_rate=0.0, step=2.0
    )
    assert partial == pytest.approx([3.0, 3.0])


def test_model_based_clv_equals_a_customer_by_customer_sum() -> None:
    summary = cdnow_sample_summary().subset(np.arange(0, 2357, 97))
    purchases = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    spend = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    clv = customer_lifetime_value(
        purchases, spend, summary, horizon=26.0, discount_rate=0.02, margin=0.4, step=4.0
    )
    for i in range(len(summary)):
        one = summary.subset([i])
        ends = [4.0, 8.0, 12.0, 16.0, 20.0, 24.0, 26.0]
        cumulative = [0.0] + [float(purchases.expected_purchases(one, t)[0]) for t in ends]
        flows = np.diff(cumulative) * np.exp(-np.log(1.02) * np.arange(1, 8))
        direct = 0.4 * float(spend.expected_spend(one)[0]) * flows.sum()
        assert clv[i] == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize(
    "purchases",
    [
        relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426),
        relmark.ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614),
        relmark.ParetoNBD(r=0.553, alpha=10.578, s=0.606, beta=11.669),
        relmark.NBD(r=0.385, alpha=12.072),
    ],
    ids=lambda model: type(model).__name__,
)
def test_every_period_in_one_pass_equals_one_pass_per_period(
    purchases: relmark.models.PurchaseModel,
) -> None:
    # more than 10,000 distinct rows, so BG/NBD's distinct (x, T) pairs are used
    summary = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426).simulate(
        12_000, np.arange(12_000) % 84 / 7 + 27, rng=4
    )
    clv = customer_lifetime_value(
        purchases, None, summary, horizon=30.0, discount_rate=0.02, margin=1.0, step=4.0
    )
    ends = [4.0, 8.0, 12.0, 16.0, 20.0, 24.0, 28.0, 30.0]
    cumulative = np.stack(
        [np.zeros(len(summary))] + [purchases.expected_purchases(summary, t) for t in ends]
    )
    direct = np.exp(-np.log(1.02) * np.arange(1, 9)) @ np.diff(cumulative, axis=0)
    np.testing.assert_allclose(clv, direct, rtol=1e-12, atol=1e-15)


@given(rate=st.floats(0.0, 0.5), more=st.floats(0.001, 0.5))
def test_model_based_clv_falls_as_the_discount_rate_rises(rate: float, more: float) -> None:
    summary = cdnow_sample_summary().subset(np.arange(0, 2357, 211))
    model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    low = customer_lifetime_value(model, None, summary, horizon=20.0, discount_rate=rate)
    high = customer_lifetime_value(model, None, summary, horizon=20.0, discount_rate=rate + more)
    assert np.all(high <= low + 1e-12)


def test_subscriber_value_matches_a_direct_sum_of_survival() -> None:
    sbg = relmark.ShiftedBetaGeo(alpha=1.2, beta=3.0)
    survival = np.asarray(sbg.survival(np.arange(0, 3000)))
    direct = 50.0 * np.sum(survival / 1.1 ** np.arange(0, 3000))  # paid at each period start
    assert subscriber_lifetime_value(sbg, margin=50.0, discount_rate=0.1) == pytest.approx(
        direct, rel=1e-8
    )


def test_customer_equity_by_hand() -> None:
    assert customer_equity([10.0, 20.0], weights=[2, 1]) == 40.0
    future = 5 * (80 - 30) * (1 / 1.1 + 1 / 1.21)
    assert customer_equity(
        [0.0], new_customers_per_period=5, new_customer_value=80, acquisition_cost=30,
        periods=2, discount_rate=0.1,
    ) == pytest.approx(future)  # fmt: skip


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: clv_closed_form(-1.0, 0.5, 0.1), r"^`margin` must be >= 0; 1 of 1 "),
        (lambda: clv_closed_form(1.0, 1.0, 0.1), r"^`retention` must lie in \[0, 1\); 1 of 1 "),
        (lambda: clv_closed_form(1.0, 0.5, float("nan")), r"^`discount_rate` must not be NaN"),
        (
            lambda: clv_closed_form(1.0, 0.5, 0.1, periods=2.5),
            r"^`periods` must be a whole number >= 0, got 2\.5$",
        ),
        (
            lambda: clv_closed_form(1.0, 0.5, 0.1, timing="middle"),  # type: ignore[arg-type]
            r"^`timing` must be one of 'end', 'start', got 'middle'$",
        ),
        (
            lambda: customer_equity([1.0], weights=[1.0, 2.0]),
            r"`weights` must have the same length: .* has 1, `weights` has 2$",
        ),
        (
            lambda: customer_equity([1.0], periods=-1),
            r"^`periods` must be a whole number >= 0, got -1$",
        ),
        (
            lambda: customer_lifetime_value(
                Linear(1.0), None, cdnow_sample_summary(), horizon=0.0, discount_rate=0.1
            ),
            r"^`horizon` must be > 0, got 0\.0$",
        ),
        (
            lambda: customer_lifetime_value(
                Linear(1.0), None, cdnow_sample_summary(), horizon=5.0, discount_rate=-0.1
            ),
            r"^`discount_rate` must be >= 0, got -0\.1$",
        ),
        (
            lambda: customer_lifetime_value(
                Linear(1.0), None, cdnow_sample_summary(), horizon=5.0, discount_rate=0.1, margin=2
            ),
            r"^`margin` must be <= 1, got 2\.0$",
        ),
    ],
)
def test_bad_input_raises(call: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()


def test_wrong_types_raise() -> None:
    with pytest.raises(TypeError, match=r"^`margin` must be an array of numbers, got str$"):
        clv_closed_form("100", 0.5, 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`summary` must be a CustomerSummary, got list$"):
        customer_lifetime_value(Linear(1.0), None, [1, 2], horizon=1.0, discount_rate=0.0)  # type: ignore[arg-type]


def test_subscriber_value_without_margin_is_zero_even_when_the_lifetime_is_infinite() -> None:
    sbg = ShiftedBetaGeo(alpha=0.8, beta=1.5)  # alpha <= 1: undiscounted lifetime diverges
    assert subscriber_lifetime_value(sbg, margin=0.0, discount_rate=0.0) == 0.0
    assert subscriber_lifetime_value(sbg, margin=10.0, discount_rate=0.0) == math.inf
    values = subscriber_lifetime_value(sbg, margin=[0.0, 10.0], discount_rate=0.0, renewals=2)
    assert values.tolist() == [0.0, math.inf]
