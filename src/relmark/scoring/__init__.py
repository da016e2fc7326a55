"""Scores per customer: RFM, engagement from touchpoints, satisfaction (NPS, CSAT, CES)."""

from relmark.scoring.engagement import DEFAULT_KIND_WEIGHTS, Engagement, engagement
from relmark.scoring.rfm import RFMScores, fm_score, quantile_scores, rfm_scores
from relmark.scoring.satisfaction import Score, ces, csat, latest_answers, nps, nps_by_group

__all__ = [
    "DEFAULT_KIND_WEIGHTS",
    "Engagement",
    "RFMScores",
    "Score",
    "ces",
    "csat",
    "engagement",
    "fm_score",
    "latest_answers",
    "nps",
    "nps_by_group",
    "quantile_scores",
    "rfm_scores",
]
