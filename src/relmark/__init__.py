"""relmark: relationship-marketing models for Python.

Typed domain objects (customers, touchpoints, segments, loyalty programs),
columnar transaction logs and customer summaries, probabilistic customer-base
models, scoring, segmentation and retention economics.

Examples
--------
>>> import relmark
>>> summary = relmark.CustomerSummary.from_arrays([2, 0], [30.43, 0.0], [38.86, 38.86], unit="W")
>>> len(summary)
2
"""

from relmark.data import CalibrationHoldout, CustomerSummary, TouchpointTable, TransactionLog
from relmark.domain import (
    Channel,
    Customer,
    Feature,
    LoyaltyProgram,
    Office,
    Rule,
    Segment,
    Tier,
    Touchpoint,
    TouchpointKind,
)
from relmark.exceptions import ConvergenceError, RelmarkError, ValidationError
from relmark.models import (
    BetaGeo,
    BetaGeoBetaBinom,
    FitInfo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
)

__version__ = "0.1.0"

__all__ = [
    "BetaGeo",
    "BetaGeoBetaBinom",
    "CalibrationHoldout",
    "Channel",
    "ConvergenceError",
    "Customer",
    "CustomerSummary",
    "Feature",
    "FitInfo",
    "GammaGamma",
    "LoyaltyProgram",
    "ModifiedBetaGeo",
    "Office",
    "ParetoNBD",
    "RelmarkError",
    "Rule",
    "Segment",
    "ShiftedBetaGeo",
    "Tier",
    "Touchpoint",
    "TouchpointKind",
    "TouchpointTable",
    "TransactionLog",
    "ValidationError",
    "__version__",
]
