"""The bootstrap's reweighted objective equals the objective rebuilt on the rows drawn."""

from __future__ import annotations

import numpy as np
import pytest

import relmark
from relmark.datasets import cdnow_sample_summary
from relmark.models._base import SummaryModel

MODELS = [
    relmark.BetaGeo,
    relmark.ModifiedBetaGeo,
    relmark.ParetoNBD,
    relmark.NBD,
    relmark.GammaGamma,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_reweighted_objective_is_the_objective_of_the_resample(
    model: type[SummaryModel],
) -> None:
    rows = model._fit_rows(cdnow_sample_summary())
    rows = rows.compress(monetary=rows.monetary_value is not None)
    generator = np.random.default_rng(5)
    weights = generator.multinomial(int(rows.n_customers), rows.weights / rows.n_customers)
    weights = weights.astype(np.float64)
    assert (weights == 0).any()  # some rows drawn by nobody: they must drop out exactly
    theta = model.fit(rows)._theta * 1.1  # away from the optimum: a non-zero gradient
    value, gradient = model._reweighted(rows)(weights)(theta)
    expected_value, expected_gradient = model._objective(rows._drawn(weights))(theta)
    assert value == pytest.approx(expected_value, rel=1e-12)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-10, atol=1e-9)
