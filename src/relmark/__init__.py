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
from relmark.economics import (
    CustomerProfitability,
    LoyaltyProgramValue,
    PointsBalance,
    RetentionCampaign,
    acquisition_retention_ratio,
    amortized_acquisition_cost,
    assign_tiers,
    break_even_retention_lift,
    clv_closed_form,
    clv_to_cac,
    customer_equity,
    customer_lifetime_value,
    customer_profitability,
    loyalty_program_value,
    payback_period,
    points_balance,
    points_liability,
    qualifying_totals,
    retention_campaign,
    retention_lift_value,
    reward_cost_rate,
    subscriber_lifetime_value,
    unprofitable_relationships,
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
    "CustomerProfitability",
    "CustomerSummary",
    "Feature",
    "FitInfo",
    "GammaGamma",
    "LoyaltyProgram",
    "LoyaltyProgramValue",
    "ModifiedBetaGeo",
    "Office",
    "ParetoNBD",
    "PointsBalance",
    "RelmarkError",
    "RetentionCampaign",
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
    "acquisition_retention_ratio",
    "amortized_acquisition_cost",
    "assign_tiers",
    "break_even_retention_lift",
    "clv_closed_form",
    "clv_to_cac",
    "customer_equity",
    "customer_lifetime_value",
    "customer_profitability",
    "loyalty_program_value",
    "payback_period",
    "points_balance",
    "points_liability",
    "qualifying_totals",
    "retention_campaign",
    "retention_lift_value",
    "reward_cost_rate",
    "subscriber_lifetime_value",
    "unprofitable_relationships",
]
