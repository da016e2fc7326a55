"""Segments: named RFM segments, lifecycle stages, value tiers, profiles and clustering."""

from relmark.segmentation.clustering import Clustering, kmeans_segments
from relmark.segmentation.lifecycle import (
    LADDER,
    STAGES,
    Funnel,
    funnel,
    lifecycle_stages,
    loyalty_ladder,
)
from relmark.segmentation.profile import SegmentProfile, segment_profile
from relmark.segmentation.rfm_segments import (
    RFM_SEGMENTS,
    assign_segments,
    check_partition,
    rfm_segments,
    score_features,
)
from relmark.segmentation.value import gini, lorenz_curve, value_tiers

__all__ = [
    "LADDER",
    "RFM_SEGMENTS",
    "STAGES",
    "Clustering",
    "Funnel",
    "SegmentProfile",
    "assign_segments",
    "check_partition",
    "funnel",
    "gini",
    "kmeans_segments",
    "lifecycle_stages",
    "lorenz_curve",
    "loyalty_ladder",
    "rfm_segments",
    "score_features",
    "segment_profile",
    "value_tiers",
]
