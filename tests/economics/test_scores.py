"""score(): the models' own predictions and CLV, fits of classes, the limits, bad input, Scores."""

from __future__ import annotations

import math
import pickle
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relmark import (
    BetaGeo,
    BetaGeoBetaBinom,
    ConvergenceError,
    CustomerSummary,
    GammaGamma,
    ParetoNBD,
    ValidationError,
    customer_lifetime_value,
)
from relmark.datasets import cdnow_sample_summary
from relmark.economics.scores import Scores, score
from relmark.models import NBD, CommonMeanSpend

PURCHASES = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)  # Fader, Hardie & Lee (2005)
SPEND = GammaGamma(p=6.25, q=3.74, gamma=15.44)  # Fader, Hardie & Lee (2005), "RFM and CLV"


@pytest.fixture(scope="module")
def cdnow() -> CustomerSummary:
    return cdnow_sample_summary()


def repeat_buyers_with_spend(summary: CustomerSummary) -> CustomerSummary:
    assert summary.monetary_value is not None
    return summary.subset((summary.frequency > 0) & (summary.monetary_value > 0))


# -- the scores are the models' own predictions and the one CLV ------------------------------


@pytest.mark.parametrize("rate", [0.0, 0.01])
def test_scores_are_the_models_predictions_and_customer_lifetime_value(
    cdnow: CustomerSummary, rate: float
) -> None:
    scores = score(cdnow, PURCHASES, SPEND, horizon=52.0, discount_rate=rate, margin=0.3, step=4.0)
    np.testing.assert_array_equal(scores.probability_alive, PURCHASES.probability_alive(cdnow))
    np.testing.assert_array_equal(
        scores.expected_purchases, PURCHASES.expected_purchases(cdnow, 52.0)
    )
    np.testing.assert_array_equal(scores.expected_spend, SPEND.expected_spend(cdnow))
    clv = customer_lifetime_value(
        PURCHASES, SPEND, cdnow, horizon=52.0, discount_rate=rate, margin=0.3, step=4.0
    )
    np.testing.assert_array_equal(scores.clv, clv)
    np.testing.assert_array_equal(scores.customer_id, cdnow.customer_id)
    assert scores.purchase_model is PURCHASES and scores.spend_model is SPEND
    assert (scores.horizon, scores.discount_rate, scores.margin, scores.step) == (
        52.0,
        rate,
        0.3,
        4.0,
    )
    assert scores.unit == "W" and scores.notes == () and len(scores) == len(cdnow)


def test_undiscounted_clv_is_margin_times_spend_times_purchases(cdnow: CustomerSummary) -> None:
    # with d = 0 the discounted sum telescopes: m E[M] E[X(T, T + horizon)]
    scores = score(cdnow, PURCHASES, SPEND, horizon=39.0, margin=0.25)
    assert scores.clv is not None and scores.expected_spend is not None
    np.testing.assert_allclose(
        scores.clv, 0.25 * scores.expected_spend * scores.expected_purchases, rtol=1e-15
    )
    by_period = customer_lifetime_value(
        PURCHASES, SPEND, cdnow, horizon=39.0, discount_rate=1e-300, margin=0.25
    )  # discounted by a rate too small to matter: the sum over 39 weekly passes
    np.testing.assert_allclose(scores.clv, by_period, rtol=1e-12)


def test_classes_are_fitted_as_the_command_line_fits_them(cdnow: CustomerSummary) -> None:
    scores = score(cdnow, BetaGeo, GammaGamma, horizon=52.0)
    purchases = BetaGeo.fit(cdnow)
    spend = GammaGamma.fit(repeat_buyers_with_spend(cdnow))
    assert scores.purchase_model == purchases and scores.spend_model == spend
    assert scores.purchase_model.fit_info is not None  # type: ignore[attr-defined]
    np.testing.assert_array_equal(scores.expected_spend, spend.expected_spend(cdnow))
    np.testing.assert_array_equal(scores.clv, customer_lifetime_value(
        purchases, spend, cdnow, horizon=52.0, discount_rate=0.0))  # fmt: skip


def test_spend_is_fitted_on_repeat_buyers_with_positive_spend_only() -> None:
    # a repeat buyer who spent nothing is scored (shrunk to the population) but not fitted on
    summary = SPEND.simulate(PURCHASES.simulate(3000, 39.0, rng=4), rng=4)
    assert summary.monetary_value is not None
    spend = summary.monetary_value.copy()
    first = int(np.flatnonzero(summary.frequency > 0)[0])
    spend[first] = 0.0
    free = attrs.evolve(summary, monetary_value=spend)
    scores = score(free, PURCHASES, GammaGamma, horizon=10.0)
    assert scores.spend_model == GammaGamma.fit(repeat_buyers_with_spend(free))
    assert scores.expected_spend is not None and scores.expected_spend[first] > 0


def test_scoring_in_parts_equals_scoring_whole(cdnow: CustomerSummary) -> None:
    # what relmark.dask does per partition: fitted models, any split of the rows (to
    # rounding: BG/NBD picks its series or quadrature by the cost of each batch of rows)
    whole = score(cdnow, PURCHASES, SPEND, horizon=52.0, discount_rate=0.01, margin=0.3)
    parts = [
        score(cdnow.subset(rows), PURCHASES, SPEND, horizon=52.0, discount_rate=0.01, margin=0.3)
        for rows in np.array_split(np.arange(len(cdnow)), 7)
    ]
    for name, column in whole.to_dict().items():
        joined = np.concatenate([part.to_dict()[name] for part in parts])
        if name == "customer_id":
            np.testing.assert_array_equal(joined, column)
        else:
            np.testing.assert_allclose(joined, column, rtol=1e-13, atol=0)


def test_without_ids_or_spend_the_columns_are_the_purchase_scores() -> None:
    summary = CustomerSummary.from_arrays([0, 2], [0.0, 30.0], [39.0, 39.0])
    scores = score(summary, PURCHASES, horizon=39.0)
    assert list(scores.to_dict()) == ["probability_alive", "expected_purchases"]
    assert scores.expected_spend is None and scores.clv is None and scores.customer_id is None
    assert repr(scores) == "Scores(2 customers, horizon 39; BetaGeo)"


@given(
    x=st.lists(st.integers(0, 30), min_size=1, max_size=20),
    share=st.floats(0.0, 1.0),
    horizon=st.floats(0.1, 500.0),
)
def test_scores_stay_in_range(x: list[int], share: float, horizon: float) -> None:
    T = np.linspace(1.0, 60.0, len(x))
    frequency = np.array(x, dtype=float)
    summary = CustomerSummary.from_arrays(
        frequency, np.where(frequency > 0, share * T, 0.0), T,
        monetary_value=np.where(frequency > 0, 20.0, 0.0),
    )  # fmt: skip
    scores = score(summary, PURCHASES, SPEND, horizon=horizon, discount_rate=0.01, step=7.0)
    assert np.all((scores.probability_alive >= 0) & (scores.probability_alive <= 1))
    assert np.all(scores.expected_purchases >= 0)
    assert scores.clv is not None and np.all(np.isfinite(scores.clv) & (scores.clv >= 0))


# -- unidentified fits ------------------------------------------------------------------------


def loyal_with_constant_spend(amount: float = 25.0) -> CustomerSummary:
    """Customers who never leave and always spend ``amount``: neither model is identified."""
    loyal = NBD(r=2.0, alpha=4.0).simulate(3000, 39.0, rng=1)
    spend = np.where(loyal.frequency > 0, amount, 0.0)
    return attrs.evolve(loyal, monetary_value=spend, unit="W")


def test_by_default_an_unidentified_fit_raises() -> None:
    summary = loyal_with_constant_spend()
    with pytest.raises(ConvergenceError, match=r"^BetaGeo fit found no interior maximum"):
        score(summary, BetaGeo, GammaGamma, horizon=52.0)
    with pytest.raises(ConvergenceError, match=r"^GammaGamma fit found no interior maximum"):
        score(summary, PURCHASES, GammaGamma, horizon=52.0)


@pytest.mark.parametrize("purchase_cls", [BetaGeo, ParetoNBD])
def test_nobody_leaving_and_constant_spend_use_the_limits(purchase_cls: type) -> None:
    summary = loyal_with_constant_spend(25.0)
    scores = score(summary, purchase_cls, GammaGamma, horizon=52.0, unidentified="limit")
    limit = NBD.fit(summary)
    assert scores.purchase_model == limit
    assert scores.spend_model == CommonMeanSpend(mean=25.0)
    assert scores.probability_alive.tolist() == [1.0] * len(summary)
    np.testing.assert_array_equal(
        scores.expected_purchases, (limit.r + summary.frequency) / (limit.alpha + summary.T) * 52
    )
    assert scores.expected_spend is not None and scores.clv is not None
    assert np.all(scores.expected_spend == 25.0)
    np.testing.assert_allclose(scores.clv, 25.0 * scores.expected_purchases, rtol=1e-15)
    first, second = scores.notes
    assert first.startswith(f"{purchase_cls.__name__}: nobody seems to leave.")
    assert second.startswith("GammaGamma: spend does not vary between customers: every repeat")
    assert "25 per transaction" in second
    assert repr(scores) == "Scores(3,000 customers, horizon 52 W; NBD, CommonMeanSpend; 2 notes)"


def test_the_limit_leaves_identified_fits_alone(cdnow: CustomerSummary) -> None:
    scores = score(cdnow, BetaGeo, GammaGamma, horizon=52.0, unidentified="limit")
    assert scores.notes == () and type(scores.purchase_model) is BetaGeo
    assert type(scores.spend_model) is GammaGamma


def test_other_failures_still_raise_with_limit() -> None:
    nobody_repeats = CustomerSummary.from_arrays([0] * 50, [0.0] * 50, [39.0] * 50)
    with pytest.raises(ConvergenceError, match=r"none of the 50 customers made a repeat"):
        score(nobody_repeats, BetaGeo, horizon=52.0, unidentified="limit")
    # a discrete model without a no-dropout limit in relmark
    loyal = CustomerSummary.from_arrays([6] * 40 + [5] * 10, [6.0] * 40 + [5.0] * 10, [6.0] * 50)
    with pytest.raises(ConvergenceError, match=r"^BetaGeoBetaBinom fit found no interior"):
        score(loyal, BetaGeoBetaBinom, horizon=6, unidentified="limit")


@given(
    amount=st.floats(0.01, 1e4),
    n=st.integers(20, 2000),
    seed=st.integers(0, 2**16),
    weekly=st.booleans(),
)
def test_constant_spend_never_fails_with_a_parameter_error(
    amount: float, n: int, seed: int, weekly: bool
) -> None:
    # The "`b` must be > 0, got -9.997e-06" on files whose spend does not vary:
    # whatever the amount and the histories, the fit ends in a ConvergenceError naming
    # why (never a parameter out of range), and the limit is that amount.
    summary = PURCHASES.simulate(n, 39.0, rng=seed)
    if weekly:  # times on a grid of days, as summaries of dated purchases are
        summary = attrs.evolve(summary, recency=np.round(summary.recency * 7) / 7,
                               T=np.round(summary.T * 7) / 7)  # fmt: skip
    x = summary.frequency
    spend = np.where(x > 0, amount * x / np.maximum(x, 1.0), 0.0)  # the mean of x equal amounts
    summary = attrs.evolve(summary, monetary_value=spend)
    if not np.any(x > 0):
        return
    with pytest.raises(ConvergenceError, match=r"^GammaGamma fit found no interior maximum"):
        score(summary, PURCHASES, GammaGamma, horizon=10.0)
    scores = score(summary, PURCHASES, GammaGamma, horizon=10.0, unidentified="limit")
    assert isinstance(scores.spend_model, CommonMeanSpend)
    assert scores.spend_model.mean == pytest.approx(amount, rel=1e-12)
    assert scores.expected_spend is not None and np.all(
        scores.expected_spend == scores.spend_model.mean
    )


# -- bad input --------------------------------------------------------------------------------


@attrs.frozen
class OnlyAlive:
    """A test double keeping half the purchase contract."""

    def probability_alive(self, summary: CustomerSummary) -> np.ndarray:
        return np.ones(len(summary))


class NotAModel:
    @classmethod
    def fit(cls, summary: CustomerSummary) -> str:
        return "fitted"

    def probability_alive(self, summary: CustomerSummary) -> np.ndarray:
        return np.ones(len(summary))  # pragma: no cover - never fitted into a model

    def expected_purchases(self, summary: CustomerSummary, t: Any) -> np.ndarray:
        return np.zeros(len(summary))  # pragma: no cover


SMALL = CustomerSummary.from_arrays([0, 2], [0.0, 30.0], [39.0, 39.0], monetary_value=[0, 20.0])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: score({"frequency": [1]}, PURCHASES, horizon=1.0), TypeError,
         r"^`summary` must be a CustomerSummary, got dict$"),
        (lambda: score(SMALL, OnlyAlive(), horizon=1.0), TypeError,
         r"^`purchase_model` must be a PurchaseModel \(an object with probability_alive\(\), "
         r"expected_purchases\(\)\), got OnlyAlive$"),
        (lambda: score(SMALL, SPEND, horizon=1.0), TypeError,
         r"^`purchase_model` must be a PurchaseModel .*got GammaGamma$"),
        (lambda: score(SMALL, GammaGamma, horizon=1.0), TypeError,
         r"^`purchase_model` must be .* or a model class with fit\(\), got the class GammaGamma$"),
        (lambda: score(SMALL, PURCHASES, PURCHASES, horizon=1.0), TypeError,
         r"^`spend_model` must be a SpendModel \(an object with expected_spend\(\)\), got BetaGeo"),
        (lambda: score(SMALL, NotAModel, horizon=1.0), TypeError,
         r"^`purchase_model.fit\(\)` must be a PurchaseModel .*got str$"),
        (lambda: score(SMALL, PURCHASES, horizon=0.0), ValidationError,
         r"^`horizon` must be > 0, got 0.0$"),
        (lambda: score(SMALL, PURCHASES, horizon=math.nan), ValidationError,
         r"^`horizon` must not be NaN$"),
        (lambda: score(SMALL, PURCHASES, horizon="52"), TypeError,
         r"^`horizon` must be a real number, got str$"),
        (lambda: score(SMALL, PURCHASES, SPEND, horizon=1.0, discount_rate=-0.1), ValidationError,
         r"^`discount_rate` must be >= 0, got -0.1$"),
        (lambda: score(SMALL, PURCHASES, SPEND, horizon=1.0, margin=1.5), ValidationError,
         r"^`margin` must be <= 1, got 1.5$"),
        (lambda: score(SMALL, PURCHASES, SPEND, horizon=1.0, step=0.0), ValidationError,
         r"^`step` must be > 0, got 0.0$"),
        (lambda: score(SMALL, PURCHASES, horizon=1e6, step=1.0), ValidationError,
         r"`horizon` / `step`"),
        (lambda: score(SMALL, PURCHASES, horizon=1.0, unidentified="ignore"), ValidationError,
         r"^`unidentified` must be one of 'raise', 'limit', got 'ignore'$"),
        (lambda: score(SMALL, PURCHASES, horizon=1.0, unidentified=True), TypeError,
         r"^`unidentified` must be one of 'raise', 'limit', got bool$"),
        (lambda: score(CustomerSummary.from_arrays([1], [1.0], [2.0]), PURCHASES, SPEND,
                       horizon=1.0), ValidationError,
         r"^`spend_model` needs `summary.monetary_value`"),
        (lambda: score(CustomerSummary.from_arrays([0, 1], [0.0, 1.0], [2.0, 2.0],
                                                   monetary_value=[0.0, 0.0]),
                       PURCHASES, GammaGamma, horizon=1.0), ValidationError,
         r"^`spend_model` GammaGamma is a class to fit, but none of the 2 customers is a repeat "
         r"buyer with positive spend"),
    ],
)  # fmt: skip
def test_bad_input_raises_naming_the_argument(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


def test_options_are_checked_before_any_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    fitted: list[str] = []
    monkeypatch.setattr(BetaGeo, "fit", classmethod(lambda cls, s: fitted.append("fit")))
    with pytest.raises(ValidationError, match=r"^`margin` must be <= 1"):
        score(SMALL, BetaGeo, horizon=1.0, margin=2.0)
    assert fitted == []


# -- Scores, the container --------------------------------------------------------------------


@pytest.fixture(scope="module")
def scored(cdnow: CustomerSummary) -> Scores:
    return score(cdnow, PURCHASES, SPEND, horizon=52.0, discount_rate=0.01, margin=0.3)


def test_scores_are_read_only_copies_also_after_pickling(scored: Scores) -> None:
    for name, column in scored.to_dict().items():
        with pytest.raises(ValueError, match=r"^assignment destination is read-only$"):
            column[0] = column[1]
        copy = pickle.loads(pickle.dumps(scored))
        assert not copy.to_dict()[name].flags.writeable
        np.testing.assert_array_equal(copy.to_dict()[name], column)
    with pytest.raises(attrs.exceptions.FrozenInstanceError, match=r"^can.t set attribute$"):
        scored.horizon = 1.0  # type: ignore[misc]


def test_the_constructor_and_evolve_check_the_columns(scored: Scores) -> None:
    with pytest.raises(
        ValidationError, match=r"^`probability_alive` must lie in \[0, 1\]; 1 of 2 customers"
    ):
        Scores(probability_alive=[0.5, 1.5], expected_purchases=[1.0, 2.0],
               purchase_model=PURCHASES, horizon=1.0)  # fmt: skip
    with pytest.raises(ValidationError, match=r"same length"):
        attrs.evolve(scored, expected_purchases=np.ones(3))
    with pytest.raises(ValidationError, match=r"^`expected_purchases` must not be NaN"):
        attrs.evolve(scored, expected_purchases=np.full(len(scored), np.nan))
    with pytest.raises(ValidationError, match=r"^`expected_spend` and `clv` go together"):
        attrs.evolve(scored, clv=None)
    with pytest.raises(ValidationError, match=r"needs its `spend_model`"):
        attrs.evolve(scored, spend_model=None)
    with pytest.raises(TypeError, match=r"^`purchase_model` must be a PurchaseModel"):
        attrs.evolve(scored, purchase_model=SPEND)
    with pytest.raises(ValidationError, match=r"^`horizon` must be > 0"):
        attrs.evolve(scored, horizon=-1.0)
    with pytest.raises(TypeError, match=r"^`notes` must be strings, got int"):
        attrs.evolve(scored, notes=(1,))


def test_tables_round_trip_values_and_ids(scored: Scores, cdnow: CustomerSummary) -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    columns = scored.to_dict()
    names = ["probability_alive", "expected_purchases", "expected_spend", "clv"]
    assert list(columns) == ["customer_id", *names]
    frame = scored.to_pandas()
    assert isinstance(frame, pd.DataFrame) and frame.index.name == "customer_id"
    assert frame.index.tolist() == cdnow.customer_id.tolist() and list(frame.columns) == names
    polars_frame = scored.to_polars()
    table = scored.to_arrow()
    assert isinstance(polars_frame, pl.DataFrame) and isinstance(table, pa.Table)
    assert polars_frame.columns == table.column_names == ["customer_id", *names]
    assert table.column("customer_id").to_pylist() == cdnow.customer_id.tolist()
    for name in names:
        np.testing.assert_array_equal(frame[name].to_numpy(), columns[name])
        np.testing.assert_array_equal(polars_frame[name].to_numpy(), columns[name])
        np.testing.assert_array_equal(table.column(name).to_numpy(), columns[name])
    # joined to the summary on the customer id, row for row
    joined = cdnow.to_pandas().join(frame)
    assert len(joined) == len(cdnow) and joined["clv"].tolist() == columns["clv"].tolist()
    frame.loc[frame.index[0], "clv"] = -1.0  # the frame is a copy
    assert scored.clv is not None and scored.clv[0] != -1.0
