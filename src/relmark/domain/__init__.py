"""Typed domain objects: customers, touchpoints, segments and loyalty programs.

Frozen, keyword-only attrs classes validated on construction, for
applications that hold a few customers at a time.  Computations run on the
columnar containers of :mod:`relmark.data`, built once from these objects.
"""

from relmark.domain.channels import Channel, Office, TouchpointKind
from relmark.domain.customer import Customer
from relmark.domain.loyalty import LoyaltyProgram, Tier
from relmark.domain.rules import Feature, Rule, summary_features
from relmark.domain.segment import Segment
from relmark.domain.touchpoint import Touchpoint

__all__ = [
    "Channel",
    "Customer",
    "Feature",
    "LoyaltyProgram",
    "Office",
    "Rule",
    "Segment",
    "Tier",
    "Touchpoint",
    "TouchpointKind",
    "summary_features",
]
