from __future__ import annotations

import numpy as np
import pytest

import relmark
from relmark import ValidationError
from relmark.datasets import cdnow_sample_summary, load_cdnow_sample, simulate_transactions


def test_cdnow_sample_shape() -> None:
    log = load_cdnow_sample()
    assert len(log) == 6919
    assert str(log.timestamp.min())[:10] == "1997-01-01"
    assert str(log.timestamp.max())[:10] == "1998-06-30"
    summary = cdnow_sample_summary()
    assert len(summary) == 2357
    assert int((summary.frequency > 0).sum()) == 946  # the 946 repeat buyers of the papers


def test_simulator_draws_from_the_models_it_is_given() -> None:
    # The log's repeat purchases are exactly those the purchase model draws, seed for seed.
    purchases = relmark.ParetoNBD(r=0.553, alpha=74.0, s=0.606, beta=81.7)  # per day
    spend = relmark.GammaGamma(p=2.0, q=3.0, gamma=40.0)
    log = simulate_transactions(5_000, purchases=purchases, spend=spend, rng=5)
    generator = np.random.default_rng(5)
    first = generator.uniform(0.0, 84.0, 5_000)
    owner, _ = purchases.simulate_purchase_times(5_000, 546.0 - first, rng=generator)
    assert len(log) == 5_000 + owner.size
    values = spend.simulate_transaction_values(
        np.concatenate([np.arange(5_000), owner]), 5_000, rng=generator
    )
    assert log.amount is not None
    assert float(log.amount.sum()) == pytest.approx(float(np.round(values, 2).sum()), rel=1e-12)


def test_simulator_is_seeded_and_plausible() -> None:
    first = simulate_transactions(2000, rng=3)
    second = simulate_transactions(2000, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(first.timestamp, second.timestamp)
    summary = first.summarize()
    assert len(summary) == 2000
    assert 1.0 < len(first) / 2000 < 5.0
    assert first.amount is not None and np.all(first.amount >= 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_customers": 0}, ValidationError, r"^`n_customers` must be >= 1, got 0$"),
        (
            {"n_customers": 10, "purchases": "BG/NBD"},
            TypeError,
            r"^`purchases` must be a ContinuousPurchaseModel, got str$",
        ),
        (
            {"n_customers": 10, "spend": relmark.BetaGeo(r=1, alpha=1, a=1, b=1)},
            TypeError,
            r"^`spend` must be a GammaGamma, got BetaGeo$",
        ),
        (
            {"n_customers": 10, "acquisition_days": 900.0},
            ValidationError,
            r"^`acquisition_days` must be <= `days` \(546\), got 900$",
        ),
        ({"n_customers": 1.5}, TypeError, r"^`n_customers` must be an integer, got float$"),
        (
            {"n_customers": 10, "rng": "seed"},
            TypeError,
            r"^`rng` must be a numpy Generator, an int seed or None, got str$",
        ),
    ],
)
def test_simulator_rejects_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        simulate_transactions(**kwargs)  # type: ignore[arg-type]
