"""A segment: a named group of customers defined by a rule over their features."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from relmark._validation import describe
from relmark.domain.rules import Features, Rule, SummaryColumns
from relmark.exceptions import ValidationError

__all__ = ["Segment"]


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"`name` must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError(f"`name` must not be empty, got {describe(value)}")
    return value


def _description(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"`description` must be a string, got {type(value).__name__}")
    return value


def _rule(value: object) -> Rule:
    if not isinstance(value, Rule):
        raise TypeError(f"`rule` must be a Rule (e.g. Feature('x') > 1), got {describe(value)}")
    return value


@attrs.frozen(kw_only=True)
class Segment:
    """A named group of customers: those whose features satisfy ``rule``.

    Parameters
    ----------
    name : str
        Short name (non-empty), e.g. ``"At risk"``.
    rule : Rule
        The membership condition, built from :class:`~relmark.Feature`.
    description : str, optional
        What the segment is and what to do with it.

    Examples
    --------
    >>> import relmark
    >>> from relmark import Feature, Segment
    >>> loyal = Segment(
    ...     name="Loyal", rule=(Feature("frequency") >= 3) & (Feature("recency") > 20),
    ...     description="bought often and lately: reward them",
    ... )
    >>> summary = relmark.CustomerSummary.from_arrays([0, 4, 5], [0.0, 30.0, 10.0], [39.0] * 3)
    >>> loyal.members(summary).tolist()
    [False, True, False]
    """

    name: str = attrs.field(converter=_name)
    rule: Rule = attrs.field(converter=_rule)
    description: str = attrs.field(default="", converter=_description)

    def members(self, features: Features | SummaryColumns) -> NDArray[np.bool_]:
        """Return which customers belong to the segment, as a boolean mask.

        Parameters
        ----------
        features : CustomerSummary or mapping of str to array_like
            A summary (features ``frequency``, ``recency``, ``T``,
            ``monetary_value``) or equal-length named columns (scores, CLV, ...).

        Returns
        -------
        ndarray of bool
            Aligned with the rows of ``features``.

        Examples
        --------
        >>> from relmark import Feature, Segment
        >>> Segment(name="Big", rule=Feature("clv") > 100).members({"clv": [50, 150]}).tolist()
        [False, True]
        """
        return self.rule.evaluate(features)

    def size(self, features: Features | SummaryColumns) -> int:
        """Return the number of customers in the segment.

        Examples
        --------
        >>> from relmark import Feature, Segment
        >>> Segment(name="Big", rule=Feature("clv") > 100).size({"clv": [50, 150, 300]})
        2
        """
        mask: Any = self.members(features)
        return int(np.count_nonzero(mask))
