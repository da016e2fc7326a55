"""Unidentified fits: the machine-readable account of a ConvergenceError, and the limits taken.

Each situation is built from data that produce it (no dropout, constant spend, no
heterogeneity, everybody buying at the end), so the tests follow the fitting core
rather than a hand-made error; one hand-made error checks the likelihood guard.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from relmark import (
    BetaGeo,
    BetaGeoBetaBinom,
    ConvergenceError,
    CustomerSummary,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
)
from relmark.models import NBD, CommonMeanSpend
from relmark.models._limits import (
    LIKELIHOOD_TOLERANCE,
    common_spend_limit,
    no_dropout_limit,
)

CDNOW_LIKE = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)


def loyal_customers(seed: int = 1, n: int = 3000) -> CustomerSummary:
    """Customers of a Poisson-gamma (NBD) world: nobody ever leaves."""
    return NBD(r=2.0, alpha=4.0).simulate(n, 39.0, rng=seed)


def with_spend(summary: CustomerSummary, spend: np.ndarray) -> CustomerSummary:
    return CustomerSummary.from_arrays(
        summary.frequency, summary.recency, summary.T, monetary_value=spend
    )


def constant_spend(summary: CustomerSummary, amount: float) -> CustomerSummary:
    # each repeat buyer's mean of x purchases of `amount`, averaged as a reader would
    x = summary.frequency
    return with_spend(summary, np.where(x > 0, amount * x / np.maximum(x, 1.0), 0.0))


def steady_buyers() -> CustomerSummary:
    """Customers who all buy every other week: no spread in purchase rates at all."""
    T = np.arange(20.0, 60.0)
    return CustomerSummary.from_arrays(np.round(0.5 * T), 0.999 * T, T)


def failure(fit: object, summary: CustomerSummary) -> ConvergenceError:
    with pytest.raises(ConvergenceError, match=r"fit found no interior maximum") as caught:
        fit(summary)  # type: ignore[operator]
    return caught.value


# -- ConvergenceError.unidentified -------------------------------------------------------------


def _named_in_message(error: ConvergenceError) -> None:
    """Every unidentified parameter is in the message with the same limit, and only those."""
    problem = str(error).split(": ", 1)[1].split(" (stopped at")[0]
    for name, limit in error.unidentified.items():
        if limit is None:
            assert re.search(rf"\b{name}\b(?! \(heading| ran| heading)", problem), (name, problem)
        else:
            said = (f"{name} (heading to {limit})", f"{name} ran to {limit}",
                    f"{name} heading to {limit}")  # fmt: skip
            assert any(words in problem for words in said), (name, problem)
    named = set(re.findall(r"\b(\w+) (?:\(heading to|ran to|heading to)", problem))
    assert named <= set(error.unidentified)


@pytest.mark.parametrize(
    ("fit", "data", "expected"),
    [
        (BetaGeo.fit, loyal_customers(1), {"a": None}),
        (ParetoNBD.fit, loyal_customers(1), {"s": None, "beta": "infinity"}),
        (GammaGamma.fit, constant_spend(CDNOW_LIKE.simulate(3000, 39.0, rng=0), 9.99),
         {"q": "infinity", "p": "infinity"}),
        (NBD.fit, steady_buyers(), {"r": "infinity", "alpha": "infinity"}),
    ],
    ids=["BG/NBD no dropout", "Pareto/NBD no dropout", "Gamma-Gamma constant", "NBD Poisson"],
)  # fmt: skip
def test_unidentified_says_what_the_message_says(
    fit: object, data: CustomerSummary, expected: dict[str, str | None]
) -> None:
    error = failure(fit, data)
    # at least these; where the optimiser stops along a flat ridge decides whether a
    # partner of the parameter (BG/NBD's b beside a) leans on it enough to be named too
    assert expected.items() <= error.unidentified.items()
    assert error.params is not None and set(expected) <= set(error.params)
    _named_in_message(error)


def test_a_failure_without_a_flat_direction_names_no_parameter() -> None:
    # constant spend where the optimiser ends on a slope: the message names no parameter
    data = constant_spend(CDNOW_LIKE.simulate(3000, 39.0, rng=2), 1234.56)
    error = failure(GammaGamma.fit, data)
    assert "the gradient does not vanish" in str(error)
    assert error.unidentified == {}


def test_the_error_keeps_its_attributes_for_callers() -> None:
    error = ConvergenceError("x", params={"a": 1.0}, unidentified={"a": "zero", "b": None})
    assert error.unidentified == {"a": "zero", "b": None} and error.params == {"a": 1.0}
    assert ConvergenceError("x").unidentified == {}


# -- no dropout: the NBD ------------------------------------------------------------------------


@pytest.mark.parametrize("model_cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_no_dropout_limit_is_the_nbd_fit_of_the_same_summary(model_cls: type) -> None:
    data = loyal_customers(1)
    error = failure(model_cls.fit, data)  # type: ignore[attr-defined]
    fallback = no_dropout_limit(model_cls, data, error)
    assert fallback is not None
    assert fallback.model == NBD.fit(data)
    assert fallback.model.fit_info is not None
    # the failed fit's best point is no better than the limit: the guard held
    assert error.params is not None
    stopped = model_cls(**error.params).log_likelihood(data)
    assert stopped <= fallback.model.fit_info.log_likelihood + LIKELIHOOD_TOLERANCE
    assert fallback.note.startswith(f"{model_cls.__name__}: nobody seems to leave.")
    assert "NBD model (r=" in fallback.note and "every customer counts as alive" in fallback.note


def test_a_point_clearly_better_than_no_dropout_keeps_the_error() -> None:
    # customers who do leave, and an error pointing at the true parameters: dropout is
    # plainly in the data, so the NBD is no limit of this fit
    data = CDNOW_LIKE.simulate(3000, 39.0, rng=3)
    error = ConvergenceError("made up", params=CDNOW_LIKE.params, unidentified={"a": None})
    assert CDNOW_LIKE.log_likelihood(data) > NBD.fit(data).log_likelihood(data) + 10
    assert no_dropout_limit(BetaGeo, data, error) is None


def test_failures_beyond_dropout_keep_their_error() -> None:
    # everybody bought at the very end: the purchase rates run off (r, alpha to infinity)
    # beside the dropout; the NBD cannot fit such data either, so the error stands
    T = np.arange(10.0, 60.0)
    data = CustomerSummary.from_arrays(np.floor(T), np.floor(T), T)
    error = failure(BetaGeo.fit, data)
    assert error.unidentified["r"] == "infinity" and error.unidentified["a"] == "zero"
    with pytest.raises(ConvergenceError, match=r"^BetaGeo fit found no interior maximum") as caught:
        no_dropout_limit(BetaGeo, data, error)
    assert caught.value is error and str(caught.value.__cause__).startswith("NBD fit found")
    # a model without an NBD limit, a failure not about dropout, an error without a stop
    assert no_dropout_limit(BetaGeoBetaBinom, data, error) is None
    rates = ConvergenceError("x", params=CDNOW_LIKE.params, unidentified={"r": "infinity"})
    assert no_dropout_limit(BetaGeo, data, rates) is None
    assert (
        no_dropout_limit(BetaGeo, data, ConvergenceError("x", unidentified={"a": "zero"})) is None
    )


def test_when_the_nbd_fails_too_the_original_error_is_raised_from_it() -> None:
    # no heterogeneity in rates and no dropout: neither BG/NBD nor its limit is identified
    data = steady_buyers()
    error = ConvergenceError("original", params=CDNOW_LIKE.params, unidentified={"b": None})
    with pytest.raises(ConvergenceError, match=r"^original$") as caught:
        no_dropout_limit(BetaGeo, data, error)
    assert isinstance(caught.value.__cause__, ConvergenceError)
    assert str(caught.value.__cause__).startswith("NBD fit found no interior maximum")


# -- spend that does not vary between customers: one common mean --------------------------------


def test_constant_spend_limit_is_the_common_mean() -> None:
    data = constant_spend(CDNOW_LIKE.simulate(3000, 39.0, rng=2), 1234.56)
    rows = data.subset(data.frequency > 0)
    error = failure(GammaGamma.fit, rows)
    fallback = common_spend_limit(GammaGamma, rows, error)
    assert fallback is not None and isinstance(fallback.model, CommonMeanSpend)
    assert fallback.model.mean == pytest.approx(1234.56, rel=1e-14)
    assert "every repeat buyer spent 1,234.56 per transaction on average" in fallback.note
    transactions = f"{rows.frequency.sum():,.0f} repeat transactions"
    assert fallback.note.endswith(f"(the pooled mean of {transactions}).")


def test_spend_rates_that_do_not_differ_give_the_pooled_mean() -> None:
    # every customer's purchases are Gamma(4, 0.1): spend varies within customers, and
    # their means differ only by chance; the fit's q runs to infinity
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, 2000).astype(float)
    spend = rng.gamma(4.0 * x, 1.0 / (0.1 * x))
    rows = CustomerSummary.from_arrays(x, np.ones(2000), np.full(2000, 2.0), monetary_value=spend)
    error = failure(GammaGamma.fit, rows)
    assert error.unidentified.get("q") == "infinity"
    fallback = common_spend_limit(GammaGamma, rows, error)
    assert fallback is not None
    assert fallback.model.mean == pytest.approx(float((x * spend).sum() / x.sum()), rel=1e-12)
    assert "the fit's q ran to infinity" in fallback.note


def test_spend_that_varies_between_customers_has_no_common_mean_limit() -> None:
    # every customer always pays their own price: p runs off, but customers differ
    rng = np.random.default_rng(3)
    x = rng.integers(1, 10, 2000).astype(float)
    rows = CustomerSummary.from_arrays(
        x, np.ones(2000), np.full(2000, 2.0), monetary_value=rng.gamma(3.0, 10.0, 2000)
    )
    error = ConvergenceError("p ran off", params={"p": 1e13, "q": 3.0, "gamma": 20.0},
                             unidentified={"p": "infinity"})  # fmt: skip
    assert common_spend_limit(GammaGamma, rows, error) is None
    assert common_spend_limit(BetaGeo, rows, error) is None
