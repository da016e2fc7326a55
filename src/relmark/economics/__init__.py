"""Customer lifetime value, retention against acquisition, profitability and loyalty economics.

Pure, vectorised functions: numpy broadcasting, scalars in give a float out,
keyword-only options, time units stated in each docstring.
"""

from relmark.economics.campaigns import (
    CampaignPlan,
    Offer,
    OfferSummary,
    TargetList,
    plan_campaign,
)
from relmark.economics.clv import (
    clv_closed_form,
    customer_equity,
    customer_lifetime_value,
    residual_lifetime_value,
    subscriber_lifetime_value,
)
from relmark.economics.loyalty import (
    LoyaltyProgramValue,
    PointsBalance,
    assign_tiers,
    break_even_retention_lift,
    loyalty_program_value,
    points_balance,
    points_liability,
    qualifying_totals,
    reward_cost_rate,
)
from relmark.economics.profitability import (
    CustomerProfitability,
    customer_profitability,
    unprofitable_relationships,
)
from relmark.economics.retention import (
    RetentionCampaign,
    acquisition_retention_ratio,
    amortized_acquisition_cost,
    clv_to_cac,
    payback_period,
    retention_campaign,
    retention_lift_value,
)
from relmark.economics.uplift import (
    QiniCurve,
    Uplift,
    UpliftBySegment,
    UpliftEffect,
    measure_uplift,
    qini_coefficient,
    qini_curve,
)

__all__ = [
    "CampaignPlan",
    "CustomerProfitability",
    "LoyaltyProgramValue",
    "Offer",
    "OfferSummary",
    "PointsBalance",
    "QiniCurve",
    "RetentionCampaign",
    "TargetList",
    "Uplift",
    "UpliftBySegment",
    "UpliftEffect",
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
    "measure_uplift",
    "payback_period",
    "plan_campaign",
    "points_balance",
    "points_liability",
    "qini_coefficient",
    "qini_curve",
    "qualifying_totals",
    "residual_lifetime_value",
    "retention_campaign",
    "retention_lift_value",
    "reward_cost_rate",
    "subscriber_lifetime_value",
    "unprofitable_relationships",
]
