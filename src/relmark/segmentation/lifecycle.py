"""Lifecycle stages, the loyalty ladder and funnel conversion."""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    as_bool_array,
    as_float_array,
    as_instance,
    as_probability,
    as_scalar,
    check_same_length,
    check_whole,
    describe,
    readonly,
)
from relmark.data._keys import factorize
from relmark.data.summary import CustomerSummary
from relmark.exceptions import ValidationError

__all__ = ["LADDER", "STAGES", "Funnel", "funnel", "lifecycle_stages", "loyalty_ladder"]

#: Lifecycle stages, in the order they are checked.
STAGES = ("new", "churned", "lapsed", "at risk", "reactivated", "active")
#: Rungs of the loyalty ladder (Christopher, Payne & Ballantyne 1991), bottom up.
LADDER = ("prospect", "customer", "client", "supporter", "advocate", "partner")


def lifecycle_stages(
    summary: CustomerSummary,
    *,
    probability_alive: ArrayLike | None = None,
    longest_pause: ArrayLike | None = None,
    new_within: float | None = None,
    at_risk_after: float = 2.0,
    lapsed_after: float = 4.0,
    churned_below: float = 0.1,
) -> NDArray[np.object_]:
    r"""Return each customer's lifecycle stage.

    Silence is measured against each customer's own purchase rhythm: their
    mean time between purchases, :math:`t_x / x` (the median of those among
    repeat buyers for customers without a repeat purchase).

    Parameters
    ----------
    summary : CustomerSummary
        The customers.
    probability_alive : array_like, optional
        A model's P(alive); below ``churned_below`` a customer is churned.
        Without it, a silence longer than twice ``lapsed_after`` rhythms is.
    longest_pause : array_like, optional
        Each customer's longest gap between two purchases before now (same
        unit); a customer who came back after a gap longer than
        ``lapsed_after`` rhythms, and is active again, is reactivated.
    new_within : float, optional
        A first purchase this recent (``T <= new_within``) makes a customer
        new; default one population rhythm.
    at_risk_after, lapsed_after : float
        Silences longer than this many rhythms (defaults 2 and 4).
    churned_below : float, default 0.1
        P(alive) threshold for churned.

    Returns
    -------
    ndarray of str (object)
        One of :data:`STAGES` per customer, checked in that order: new,
        churned, lapsed, at risk, reactivated, active; so stages partition
        the customers.

    Examples
    --------
    >>> import relmark
    >>> s = relmark.CustomerSummary.from_arrays(
    ...     [0, 4, 4, 4], [0.0, 20.0, 20.0, 38.0], [2.0, 24.0, 40.0, 40.0]
    ... )
    >>> relmark.lifecycle_stages(s).tolist()
    ['new', 'active', 'at risk', 'active']
    """
    as_instance("summary", summary, CustomerSummary)
    x, t_x, T = summary.frequency, summary.recency, summary.T
    risk = as_scalar("at_risk_after", at_risk_after, low=0.0, low_open=True)
    lapse = as_scalar("lapsed_after", lapsed_after, low=risk)
    below = as_probability("churned_below", churned_below)
    within = None if new_within is None else as_scalar("new_within", new_within, low=0.0)
    alive = None
    if probability_alive is not None:
        alive = as_float_array(
            "probability_alive", probability_alive, low=0.0, high=1.0, noun="customers"
        )
        check_same_length({"summary": x, "probability_alive": alive})
    pause = None
    if longest_pause is not None:
        pause = as_float_array("longest_pause", longest_pause, nonnegative=True, noun="customers")
        check_same_length({"summary": x, "longest_pause": pause})
    own = np.divide(t_x, x, out=np.zeros_like(t_x), where=x > 0)
    # a rhythm needs a measurable gap; vanishing ones (all purchases at once) borrow the typical
    measured = own > 1e-9 * max(float(T.max(initial=1.0)), 1.0)
    typical = float(np.median(own[measured])) if measured.any() else 1.0
    rhythm = np.where(measured, own, typical)
    silence = (T - t_x) / rhythm
    recent = typical if within is None else within
    churned = silence > 2.0 * lapse if alive is None else alive < below
    came_back = np.zeros(x.size, dtype=bool) if pause is None else pause / rhythm > lapse
    choices = [recent >= T, churned, silence > lapse, silence > risk, came_back]
    stages: NDArray[np.object_] = np.select(
        choices, np.array(STAGES[:-1], dtype=object), default=STAGES[-1]
    ).astype(object)
    return stages


def loyalty_ladder(
    *,
    purchases: ArrayLike,
    satisfaction: ArrayLike | None = None,
    referrals: ArrayLike | None = None,
    partner: ArrayLike | None = None,
    satisfied_from: float = 9.0,
) -> NDArray[np.object_]:
    """Return each person's rung on the loyalty ladder.

    Parameters
    ----------
    purchases : array_like
        Purchases so far (0: prospect, 1: customer, 2 or more: client).
    satisfaction : array_like, optional
        Latest 0-10 answer; a client at or above ``satisfied_from`` is a supporter.
    referrals : array_like, optional
        Referrals made; a supporter who referred someone is an advocate.
    partner : array_like of bool, optional
        Advocates in a formal partnership (co-creation, ambassador program).
    satisfied_from : float, default 9
        Promoter threshold.

    Returns
    -------
    ndarray of str (object)
        One of :data:`LADDER`.

    References
    ----------
    Christopher, M., Payne, A. & Ballantyne, D. (1991). *Relationship
    Marketing*. Butterworth-Heinemann.

    Examples
    --------
    >>> from relmark import loyalty_ladder
    >>> loyalty_ladder(purchases=[0, 1, 3, 5, 8], satisfaction=[0, 10, 6, 9, 10],
    ...                referrals=[0, 2, 0, 0, 1]).tolist()
    ['prospect', 'customer', 'client', 'supporter', 'advocate']
    """
    count = as_float_array("purchases", purchases, nonnegative=True, noun="customers")
    check_whole("purchases", count, noun="customers")
    n = count.size
    score = (
        np.zeros(n)
        if satisfaction is None
        else as_float_array("satisfaction", satisfaction, noun="customers")
    )
    referred = np.zeros(n)
    if referrals is not None:
        referred = as_float_array("referrals", referrals, nonnegative=True, noun="customers")
        check_whole("referrals", referred, noun="customers")
    partners = np.zeros(n, bool) if partner is None else as_bool_array("partner", partner)
    threshold = as_scalar("satisfied_from", satisfied_from)
    given = {"satisfaction": satisfaction, "referrals": referrals, "partner": partner}
    check_same_length(
        {"purchases": count}
        | {
            name: column
            for name, column in zip(given, (score, referred, partners), strict=True)
            if given[name] is not None
        }
    )
    rung = np.where(count >= 1, 1, 0) + (count >= 2)
    supporter = (rung == 2) & (score >= threshold)
    advocate = supporter & (referred > 0)
    rung = rung + supporter + advocate + (advocate & partners)
    ladder: NDArray[np.object_] = np.array(LADDER, dtype=object)[rung]
    return ladder


@attrs.frozen(kw_only=True)
class Funnel:
    """Customers reaching each stage of an ordered funnel, and the conversion between stages.

    Attributes
    ----------
    stages : tuple of str
        In order.
    reached : ndarray of int
        Customers at or beyond each stage.
    conversion : ndarray
        ``reached[i + 1] / reached[i]`` (0 where no one reached stage ``i``).

    Examples
    --------
    >>> from relmark import funnel
    >>> f = funnel(["customer", "client", "customer", "prospect"],
    ...            ["prospect", "customer", "client"])
    >>> f.reached.tolist(), f.conversion.tolist()
    ([4, 3, 1], [0.75, 0.3333333333333333])
    """

    stages: tuple[str, ...]
    reached: NDArray[np.int64]
    conversion: FloatArray


def funnel(stages: ArrayLike, order: Sequence[str]) -> Funnel:
    """Return how many reached each of ``order``'s stages, and the conversion rates.

    Parameters
    ----------
    stages : array_like of str
        Each customer's current stage (e.g. :func:`loyalty_ladder`).
    order : sequence of str
        The stages from first to last; every stage in ``stages`` must be one.

    Returns
    -------
    Funnel

    Examples
    --------
    >>> from relmark import LADDER, funnel, loyalty_ladder
    >>> rungs = loyalty_ladder(purchases=[0, 1, 2, 2], satisfaction=[0, 0, 10, 3])
    >>> funnel(rungs, LADDER).reached.tolist()[:4]
    [4, 3, 2, 1]
    """
    if isinstance(order, (str, bytes)) or not isinstance(order, Sequence | np.ndarray):
        raise TypeError(f"`order` must be a sequence of stage names, got {describe(order)}")
    steps = tuple(order)
    for step in steps:
        if not isinstance(step, str):
            raise TypeError(f"`order` must hold stage names (strings), got {describe(step)}")
    steps = tuple(str(step) for step in steps)  # numpy strings shown and kept as plain ones
    if len(set(steps)) != len(steps) or not steps:
        raise ValidationError(f"`order` must list distinct stages, got {list(steps)}")
    labels = np.asarray(stages, dtype=object).reshape(-1)
    position = {stage: i for i, stage in enumerate(steps)}
    distinct, of = factorize(labels, key=str)
    unknown = [stage for stage in distinct.tolist() if stage not in position]
    if unknown:
        raise ValidationError(f"stages {unknown} are not in `order` {list(steps)}")
    level = np.array([position[stage] for stage in distinct.tolist()], dtype=np.int64)[of]
    at = np.bincount(level, minlength=len(steps))
    reached = np.cumsum(at[::-1])[::-1].astype(np.int64)
    conversion = np.divide(
        reached[1:], reached[:-1], out=np.zeros(len(steps) - 1), where=reached[:-1] > 0
    )
    return Funnel(stages=steps, reached=readonly(reached), conversion=readonly(conversion))
