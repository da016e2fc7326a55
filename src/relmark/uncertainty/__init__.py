"""How sure are we: prediction intervals for relmark's models (delta method and bootstrap).

:func:`prediction_intervals` gives every customer's bands for the
probability of being alive, expected purchases, expected spend and CLV, and
bands for their totals (expected purchases and customer equity), from a
purchase model and optionally a spend model; :func:`interval` gives the band
of any other prediction; :func:`contract_interval` the bands of a contract
model's predictions (survival, retention, residual lifetime and value).
The engine underneath (:mod:`relmark.uncertainty._core`) is shared by every
kind of model.
"""

from __future__ import annotations

from relmark.uncertainty._contract import (
    ContractQuantity,
    contract_interval,
    contract_parameter_draws,
)
from relmark.uncertainty._core import (
    Band,
    BandAccumulator,
    BootstrapWarning,
    Method,
    Scale,
    bootstrap_bounds,
    bootstrap_thetas,
    chunked_draws_band,
    delta_band,
    draws_band,
    newton_refit,
    percentile_bounds,
    resampled_weights,
)
from relmark.uncertainty._purchase import Intervals, interval, prediction_intervals

__all__ = [
    "Band",
    "BandAccumulator",
    "BootstrapWarning",
    "ContractQuantity",
    "Intervals",
    "Method",
    "Scale",
    "bootstrap_bounds",
    "bootstrap_thetas",
    "chunked_draws_band",
    "contract_interval",
    "contract_parameter_draws",
    "delta_band",
    "draws_band",
    "interval",
    "newton_refit",
    "percentile_bounds",
    "prediction_intervals",
    "resampled_weights",
]
