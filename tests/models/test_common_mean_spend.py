"""CommonMeanSpend: the pooled mean by hand, Gamma-Gamma's limit, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark import CustomerSummary, GammaGamma, ValidationError
from relmark.models import CommonMeanSpend, SpendModel
from tests.strategies import log_uniform


def test_fit_is_total_repeat_spend_over_repeat_transactions() -> None:
    summary = CustomerSummary.from_arrays(
        [1, 3, 0, 2],
        [2.0, 9.0, 0.0, 4.0],
        [10.0, 10.0, 10.0, 10.0],
        monetary_value=[20.0, 40.0, 0.0, 10.0],
        weights=[1, 1, 5, 2],
    )
    # (1 * 20 + 3 * 40 + 2 * 2 * 10) / (1 + 3 + 2 * 2): one-time buyers carry no spend
    model = CommonMeanSpend.fit(summary)
    assert model.mean == pytest.approx(180.0 / 8.0, rel=1e-15)
    assert model.fit_info is None and model.params == {"mean": 22.5}
    assert model.population_mean_spend() == 22.5
    assert model.expected_spend(summary).tolist() == [22.5] * 4
    assert isinstance(model, SpendModel)
    assert repr(model) == "CommonMeanSpend(mean=22.5)"


@given(
    p=log_uniform(0.5, 50.0),
    q=log_uniform(2.0, 50.0),
    gamma=log_uniform(0.1, 1e3),
    x=st.integers(1, 100),
    m=log_uniform(0.01, 1e4),
)
def test_is_gamma_gammas_limit_as_the_spend_rates_stop_differing(
    p: float, q: float, gamma: float, x: int, m: float
) -> None:
    # q -> infinity with the population mean p gamma / (q - 1) held: every customer's
    # expected spend tends to that mean, whatever their own history
    summary = CustomerSummary.from_arrays([x], [1.0], [2.0], monetary_value=[m])
    mean = p * gamma / (q - 1.0)
    scale = 1e12
    nearly = GammaGamma(p=p, q=(q - 1.0) * scale + 1.0, gamma=gamma * scale)
    limit = CommonMeanSpend(mean=mean)
    got = float(nearly.expected_spend(summary)[0])
    assert got == pytest.approx(
        float(limit.expected_spend(summary)[0]), rel=1e-9 * (1 + m / mean) * x
    )


def test_the_pooled_mean_maximises_the_likelihood_of_the_limit_whatever_p() -> None:
    # In the limit a customer's mean of x transactions is Gamma(p x, nu x); its log-likelihood
    # in the mean spend mu = p / nu peaks at the pooled mean for every p.
    rng = np.random.default_rng(8)
    x = rng.integers(1, 20, 300).astype(float)
    m = rng.gamma(4.0 * x, 25.0 / (4.0 * x))
    pooled = CommonMeanSpend.fit(
        CustomerSummary.from_arrays(x, np.ones(300), np.full(300, 2.0), monetary_value=m)
    ).mean
    for p in (0.5, 4.0, 60.0):
        grid = pooled * np.array([0.98, 0.995, 1.0, 1.005, 1.02])
        shape, rate = p * x[:, None], p * x[:, None] / grid[None, :]
        ll = (shape * np.log(rate) + (shape - 1) * np.log(m[:, None]) - rate * m[:, None]).sum(0)
        assert int(np.argmax(ll)) == 2, p


def test_constant_spend_gives_that_amount() -> None:
    x = np.arange(1.0, 40.0)
    summary = CustomerSummary.from_arrays(x, x, x + 1, monetary_value=9.99 * x / x)
    assert CommonMeanSpend.fit(summary).mean == pytest.approx(9.99, rel=1e-15)


def test_bad_input_raises_naming_it() -> None:
    with pytest.raises(ValidationError, match=r"^`mean` must be > 0, got 0.0"):
        CommonMeanSpend(mean=0.0)
    with pytest.raises(ValidationError, match=r"^`mean` must be finite"):
        CommonMeanSpend(mean=math.inf)
    with pytest.raises(TypeError, match=r"^`mean` must be a real number"):
        CommonMeanSpend(mean="12")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`summary` must be a CustomerSummary, got list"):
        CommonMeanSpend.fit([1.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`summary` must be a CustomerSummary, got dict"):
        CommonMeanSpend(mean=1.0).expected_spend({})  # type: ignore[arg-type]
    no_spend = CustomerSummary.from_arrays([1], [1.0], [2.0])
    with pytest.raises(ValidationError, match=r"`summary.monetary_value` is missing"):
        CommonMeanSpend.fit(no_spend)
    one_time = CustomerSummary.from_arrays([0, 0], [0.0, 0.0], [2.0, 3.0], monetary_value=[0, 0])
    with pytest.raises(ValidationError, match=r"none of the 2 rows has one"):
        CommonMeanSpend.fit(one_time)
    free = CustomerSummary.from_arrays([2], [1.0], [2.0], monetary_value=[0.0])
    with pytest.raises(ValidationError, match=r"needs a repeat buyer who spent something"):
        CommonMeanSpend.fit(free)
