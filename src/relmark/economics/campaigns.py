"""Campaigns you can run: several offers, a budget, capacities and contact caps.

:func:`plan_campaign` allocates offers (each with a channel, a contact cost,
an incentive, a save rate or a measured uplift, an eligibility and a
capacity) to customers so that the expected net gain is as large as it can
be under a total budget, per-offer capacities and per-customer contact caps,
and returns a typed target list for a mailing or CRM system.

The expected gain of one contact is computed in one place
(:func:`_contact_gain`), which :func:`relmark.retention_campaign` shares.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse

from relmark._validation import (
    BoolArray,
    FloatArray,
    as_bool_array,
    as_choice,
    as_count,
    as_float_array,
    as_scalar,
    as_text,
    check_length,
    check_same_length,
    check_size,
    describe,
    fail_rows,
    readonly,
)
from relmark.data._keys import factorize
from relmark.data._tables import PerCustomerTable, arrow_table, pandas_frame, polars_frame
from relmark.data._write import write_columns
from relmark.domain.channels import Channel
from relmark.domain.rules import Rule, SummaryColumns
from relmark.exceptions import ValidationError

if TYPE_CHECKING:  # the frame libraries are optional: imported only to type the results
    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = ["CampaignPlan", "Offer", "OfferSummary", "TargetList", "plan_campaign"]

#: Most bundles (sets of offers one customer may get) a plan enumerates.
MAX_BUNDLES = 64
#: Most customer x bundle options held in memory at once (8 bytes each, a few arrays).
MAX_OPTIONS = 50_000_000
#: ``method="auto"`` solves exactly (``scipy.optimize.milp``) up to this many options.
EXACT_OPTIONS = 2_000
#: ``method="auto"`` solves the LP with HiGHS up to this many options, the dual above.
LP_OPTIONS = 20_000
#: Rounds of the greedy fill after rounding (each accepts the longest prefix that fits).
_FILL_ROUNDS = 2_000
#: Cutting-plane iterations when minimising the Lagrangian dual.
_DUAL_ITERATIONS = 200

Method = Literal["auto", "exact", "lp", "lagrangian"]
_METHODS = ("auto", "exact", "lp", "lagrangian")
_NO_CAMPAIGN = "no campaign"


# ---------------------------------------------------------------------------- the gain


def _contact_gain(
    uplift: FloatArray,
    churn: FloatArray,
    value: FloatArray,
    *,
    offer_cost: ArrayLike,
    contact_cost: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    r"""Return the expected net gain and expected cost of contacting customers.

    :math:`g = \tau V - o\,(1 - p + \tau) - c` and :math:`\text{cost} = c + o\,(1 - p + \tau)`:
    the value kept by the incremental retention :math:`\tau`, less the
    incentive :math:`o` paid by everyone contacted who stays (probability
    :math:`1 - p + \tau`), less the contact cost :math:`c` (Neslin et al.
    2006; Verbeke et al. 2012, the campaign profit with the incentive paid
    by those who accept).  The one place this formula lives.
    """
    stay = 1.0 - churn + uplift
    cost = np.add(contact_cost, np.multiply(offer_cost, stay))
    gain = uplift * value - cost
    return np.asarray(gain, dtype=np.float64), np.asarray(cost, dtype=np.float64)


# ---------------------------------------------------------------------------- offers


def _offer_name(value: object) -> str:
    return as_text("name", value)


def _offer_channel(value: object) -> Channel:
    return Channel.parse(value, name="channel")  # type: ignore[return-value]


def _contact_cost(value: object) -> float:
    return as_scalar("contact_cost", value, low=0.0)


def _incentive(value: object) -> float:
    return as_scalar("offer_cost", value, low=0.0)


def _rate(name: str, value: object, low: float) -> float | FloatArray | None:
    if value is None:
        return None
    if np.ndim(value) == 0 and not isinstance(value, (str, bytes)):  # type: ignore[arg-type]
        if isinstance(value, np.ndarray):
            value = value.item()
        return as_scalar(name, value, low=low, high=1.0)
    return as_float_array(name, value, low=low, high=1.0, noun="customers")  # type: ignore[arg-type]


def _save_rate(value: object) -> float | FloatArray | None:
    return _rate("save_rate", value, 0.0)


def _uplift(value: object) -> float | FloatArray | None:
    return _rate("uplift", value, -1.0)


def _eligible(value: object) -> BoolArray | frozenset[object] | Rule | None:
    if value is None or isinstance(value, Rule):
        return value
    if isinstance(value, (set, frozenset)):
        labels = frozenset(value)
        if not labels:
            raise ValidationError("`eligible` must name at least one segment, got an empty set")
        return labels
    if isinstance(value, (str, bytes, Mapping)):
        raise TypeError(
            "`eligible` must be a boolean mask per customer, a set of segment labels or a "
            f"Rule, got {type(value).__name__}"
        )
    return as_bool_array("eligible", value, noun="customers")  # type: ignore[arg-type]


def _is_integer(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _capacity(value: object) -> int | None:
    return None if value is None else as_count("capacity", value)


@attrs.frozen(kw_only=True, eq=False)
class Offer:
    r"""A retention offer: its channel, its costs, its effect, who may get it and how often.

    Parameters
    ----------
    name : str
        Unique within a campaign (it names the offer in the target list).
    channel : Channel or str
        How the offer is sent (``"email"``, ``"phone"``, ... see :class:`relmark.Channel`).
    contact_cost : float
        Cost of contacting one customer with the offer (>= 0).
    offer_cost : float, default 0
        The incentive (>= 0), paid by every contacted customer who stays and takes it.
    save_rate : float or array_like, optional
        Share of would-be churners a contact keeps, in [0, 1]: the
        incremental retention of customer :math:`i` is then :math:`s\,p_i`.
    uplift : float or array_like, optional
        Incremental retention probability per contacted customer, in [-1, 1],
        e.g. measured in a randomised test (:func:`relmark.measure_uplift`'s
        ``per_customer``).  Exactly one of ``save_rate`` and ``uplift``.
        Arrays are per customer and checked against the customers at plan time.
    eligible : array_like of bool, set of labels or Rule, optional
        Who may get the offer: a mask per customer, the segment labels matched
        against :func:`plan_campaign`'s ``segment``, or a :class:`relmark.Rule`
        evaluated on its ``features``.  Everyone by default.
    capacity : int, optional
        Most customers the offer can be sent to (call-centre hours, stock of
        gifts); unlimited by default.

    Raises
    ------
    ValidationError
        For negative costs, rates out of range, both or neither of
        ``save_rate`` and ``uplift``, a negative capacity or an unknown channel.

    Examples
    --------
    >>> from relmark.economics.campaigns import Offer
    >>> offer = Offer(name="call", channel="phone", contact_cost=8.0, save_rate=0.3, capacity=100)
    >>> offer.channel, offer.save_rate, offer.capacity
    (<Channel.PHONE: 'phone'>, 0.3, 100)
    """

    name: str = attrs.field(converter=_offer_name)
    channel: Channel = attrs.field(converter=_offer_channel)
    contact_cost: float = attrs.field(converter=_contact_cost)
    offer_cost: float = attrs.field(default=0.0, converter=_incentive)
    save_rate: float | FloatArray | None = attrs.field(default=None, converter=_save_rate)
    uplift: float | FloatArray | None = attrs.field(default=None, converter=_uplift)
    eligible: BoolArray | frozenset[object] | Rule | None = attrs.field(
        default=None, converter=_eligible
    )
    capacity: int | None = attrs.field(default=None, converter=_capacity)

    def __attrs_post_init__(self) -> None:
        if (self.save_rate is None) == (self.uplift is None):
            given = "both" if self.save_rate is not None else "neither"
            raise ValidationError(
                f"offer {self.name!r}: give exactly one of `save_rate` and `uplift`, got {given}"
            )

    def _effect(self, churn: FloatArray, n: int) -> FloatArray:
        """Incremental retention per customer at churn probabilities ``churn``."""
        if self.save_rate is not None:
            rate = self.save_rate
            if isinstance(rate, np.ndarray):
                check_length(f"offer {self.name!r} `save_rate`", rate, n)
            return np.asarray(churn * rate, dtype=np.float64)
        uplift = self.uplift
        if isinstance(uplift, np.ndarray):
            check_length(f"offer {self.name!r} `uplift`", uplift, n)
        # retention 1 - p + tau must stay in [0, 1]: tau in [-(1 - p), p]
        return np.clip(np.broadcast_to(np.asarray(uplift, dtype=np.float64), n), churn - 1.0, churn)

    def _eligibility(
        self, n: int, segment: NDArray[Any] | None, features: object | None
    ) -> BoolArray:
        rule = self.eligible
        if rule is None:
            return np.ones(n, dtype=bool)
        if isinstance(rule, Rule):
            if features is None:
                raise ValidationError(
                    f"offer {self.name!r} is eligible by the rule {rule}; "
                    "give `features` to plan_campaign"
                )
            mask = rule.evaluate(features)  # type: ignore[arg-type]
            check_length(f"offer {self.name!r} eligibility (its rule on `features`)", mask, n)
            return np.asarray(mask, dtype=bool)
        if isinstance(rule, frozenset):
            if segment is None:
                raise ValidationError(
                    f"offer {self.name!r} is eligible by segment; give `segment` to plan_campaign"
                )
            labels = list(rule)
            if segment.dtype.kind == "U" and all(isinstance(label, str) for label in labels):
                return np.isin(segment, np.array(labels))  # text labels: a fast string search
            if segment.dtype.kind in "iu" and all(_is_integer(label) for label in labels):
                return np.isin(segment, np.array(labels, dtype=np.int64))
            wanted = set(labels)  # mixed labels in an object array: compare as Python objects
            return np.fromiter((label in wanted for label in segment.tolist()), bool, n)
        check_length(f"offer {self.name!r} `eligible`", rule, n)
        return np.asarray(rule, dtype=bool)


# ---------------------------------------------------------------------------- result tables


@attrs.frozen(kw_only=True, eq=False)
class TargetList(PerCustomerTable):
    """Who gets which offer: one row per (customer, offer) contact, best first.

    Attributes
    ----------
    customer_id : ndarray, shape (k,)
    offer : ndarray of str
        The offer's name.
    channel : ndarray of str
        The offer's channel (``Channel`` value).
    expected_gain : ndarray
        Expected net gain of the contact.  A customer given several offers
        has a row per offer; the bundle's value kept is split between them in
        proportion to each offer's own uplift and each row carries its own
        cost, so rows add up to the bundle's gain.
    gain_lower, gain_upper : ndarray
        The gain at the ends of the value and churn intervals (equal to
        ``expected_gain`` when no interval was given).
    expected_cost : ndarray
        Contact cost plus the incentive times the probability of staying.
    churn_probability, remaining_value : ndarray
        The customer's inputs.
    segment : ndarray or None
        The customer's segment, when given.
    reason : ndarray of str
        Why: ``"P(alive) 0.31, value 412, segment At Risk"``.

    Examples
    --------
    >>> from relmark.economics.campaigns import Offer, plan_campaign
    >>> plan = plan_campaign(["a", "b"], [0.8, 0.1], [500.0, 100.0],
    ...                      [Offer(name="mail", channel="email", contact_cost=5.0, save_rate=0.2)])
    >>> plan.targets.to_dict()["reason"].tolist()
    ['P(alive) 0.20, value 500']
    """

    customer_id: NDArray[Any]
    offer: NDArray[np.str_]
    channel: NDArray[np.str_]
    expected_gain: FloatArray
    gain_lower: FloatArray
    gain_upper: FloatArray
    expected_cost: FloatArray
    churn_probability: FloatArray
    remaining_value: FloatArray
    segment: NDArray[Any] | None
    reason: NDArray[np.str_]

    def __len__(self) -> int:
        return int(self.offer.size)

    def __repr__(self) -> str:
        customers = np.unique(self.customer_id).size if len(self) else 0
        names, counts = np.unique(self.offer, return_counts=True)
        offers = ", ".join(f"{name} {count:,}" for name, count in zip(names, counts, strict=True))
        return f"TargetList({len(self):,} contacts of {customers:,} customers: {offers or 'none'})"

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the columns by name, ``customer_id`` first (``segment`` only when given).

        Returns
        -------
        dict of str to ndarray
        """
        columns: dict[str, NDArray[Any]] = {
            "customer_id": self.customer_id,
            "offer": self.offer,
            "channel": self.channel,
            "expected_gain": self.expected_gain,
            "gain_lower": self.gain_lower,
            "gain_upper": self.gain_upper,
            "expected_cost": self.expected_cost,
            "churn_probability": self.churn_probability,
            "remaining_value": self.remaining_value,
        }
        if self.segment is not None:
            columns["segment"] = self.segment
        columns["reason"] = self.reason
        return columns

    def to_csv(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the list as CSV (UTF-8, quoted text), atomically.

        The file is written beside ``path`` under a temporary name and moved
        into place, so a crash never leaves half a file.  Text cells a
        spreadsheet would run as a formula get a leading ``'`` (as
        :func:`relmark.io.write_columns`).

        Parameters
        ----------
        path : str or os.PathLike
        overwrite : bool, default False
            Replace an existing file; otherwise an existing file is an error.

        Raises
        ------
        FileExistsError
            If ``path`` exists and ``overwrite`` is False.
        """
        write_columns(path, self.to_dict(), file_format="csv", overwrite=overwrite)

    def to_parquet(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the list as Parquet (pyarrow), atomically; see :meth:`to_csv`.

        Raises
        ------
        FileExistsError
            If ``path`` exists and ``overwrite`` is False.
        """
        write_columns(path, self.to_dict(), file_format="parquet", overwrite=overwrite)


@attrs.frozen(kw_only=True, eq=False)
class OfferSummary:
    """A plan's result per offer: contacts, cost, value kept, net gain and ROI.

    Attributes
    ----------
    offer, channel : ndarray of str
    contacts : ndarray of int
    expected_cost, value_kept, net_gain : ndarray
        ``net_gain = value_kept - expected_cost``.
    roi : ndarray
        ``net_gain / expected_cost``; 0 for an offer nobody gets or that costs nothing.

    Examples
    --------
    >>> from relmark.economics.campaigns import Offer, plan_campaign
    >>> plan = plan_campaign([1, 2], [0.8, 0.5], [500.0, 300.0],
    ...                      [Offer(name="mail", channel="email", contact_cost=5.0, save_rate=0.2)])
    >>> plan.offers.to_dict()["contacts"].tolist()
    [2]
    """

    offer: NDArray[np.str_]
    channel: NDArray[np.str_]
    contacts: NDArray[np.int64]
    expected_cost: FloatArray
    value_kept: FloatArray
    net_gain: FloatArray
    roi: FloatArray

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the columns by name.

        Returns
        -------
        dict of str to ndarray
        """
        return {
            "offer": self.offer,
            "channel": self.channel,
            "contacts": self.contacts,
            "expected_cost": self.expected_cost,
            "value_kept": self.value_kept,
            "net_gain": self.net_gain,
            "roi": self.roi,
        }

    def to_pandas(self) -> pd.DataFrame:
        """Return the table as a pandas DataFrame (one row per offer).

        Returns
        -------
        pandas.DataFrame
        """
        return pandas_frame(self.to_dict(), owner="OfferSummary")

    def to_polars(self) -> pl.DataFrame:
        """Return the table as a polars DataFrame.

        Returns
        -------
        polars.DataFrame
        """
        return polars_frame(self.to_dict(), owner="OfferSummary")

    def to_arrow(self) -> pa.Table:
        """Return the table as a pyarrow Table.

        Returns
        -------
        pyarrow.Table
        """
        return arrow_table(self.to_dict(), owner="OfferSummary")


@attrs.frozen(kw_only=True, eq=False)
class CampaignPlan:
    """What :func:`plan_campaign` returns: the target list, its summary and its certificate.

    Attributes
    ----------
    targets : TargetList
        One row per contact, best first.
    offers : OfferSummary
        Per offer: contacts, expected cost, value kept, net gain, ROI.
    cost, value_kept, net_gain : float
        Totals: expected cost, expected value kept, their difference.
    roi : float
        ``net_gain / cost``; 0 when nothing is spent.
    budget : float
        The budget the plan keeps within (``inf`` for none).
    upper_bound : float
        A proven upper bound on the best achievable net gain (the LP
        relaxation's value, or the optimum for ``method="exact"``):
        ``upper_bound - net_gain`` bounds how far from optimal the plan is.
    method : str
        ``"exact"``, ``"lp"`` or ``"lagrangian"``: how the plan was solved
        (``"exact"`` also when no budget or capacity binds).
    alternatives : mapping of str to float
        Net gains of ``"no campaign"`` (0) and of each single-offer plan,
        ``"only <name>"``, found by the same method.  The plan returned is
        the best of these and of the combined plan.
    chosen : str
        Which of them the plan is: ``"combined"``, ``"only <name>"`` or
        ``"no campaign"``.

    Examples
    --------
    >>> from relmark.economics.campaigns import Offer, plan_campaign
    >>> offers = [Offer(name="mail", channel="email", contact_cost=2.0, save_rate=0.1),
    ...           Offer(name="call", channel="phone", contact_cost=20.0, save_rate=0.4)]
    >>> plan = plan_campaign(["a", "b", "c"], [0.9, 0.5, 0.1], [400.0, 300.0, 50.0],
    ...                      offers, budget=25.0)
    >>> plan.targets.offer.tolist(), plan.targets.customer_id.tolist()
    (['call', 'mail'], ['a', 'b'])
    >>> round(plan.net_gain, 2), plan.cost <= plan.budget, plan.method
    (137.0, True, 'exact')
    """

    targets: TargetList
    offers: OfferSummary
    cost: float
    value_kept: float
    net_gain: float
    roi: float
    budget: float
    upper_bound: float
    method: str
    alternatives: Mapping[str, float]
    chosen: str

    @property
    def gap(self) -> float:
        """``upper_bound - net_gain`` (>= 0): at most this much better is possible."""
        return max(self.upper_bound - self.net_gain, 0.0)

    def __repr__(self) -> str:
        budget = "no budget" if math.isinf(self.budget) else f"budget {self.budget:,.2f}"
        return (
            f"CampaignPlan({len(self.targets):,} contacts, cost {self.cost:,.2f} of {budget}, "
            f"net gain {self.net_gain:,.2f}, {self.chosen}, {self.method}, gap {self.gap:,.2g})"
        )


# ---------------------------------------------------------------------------- inputs


def _ids(value: ArrayLike) -> NDArray[Any]:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"`customer_id` must be an array of ids, got {type(value).__name__}")
    ids = np.array(value, copy=True)
    if ids.ndim != 1:
        raise ValidationError(f"`customer_id` must be one-dimensional, got shape {ids.shape}")
    if ids.size == 0:
        ids = ids.astype(np.int64)
    if ids.dtype.kind not in "iuUSO":
        raise TypeError(f"`customer_id` must hold integers or strings, got dtype {ids.dtype}")
    if ids.size:
        distinct, codes = factorize(ids)
        if distinct.size < ids.size:
            order = np.argsort(codes, kind="stable")
            repeat = order[1:][codes[order][1:] == codes[order][:-1]]
            first = int(repeat.min())
            raise ValidationError(
                f"`customer_id` must be unique; {ids.size - distinct.size:,} of {ids.size:,} "
                f"customers repeat an earlier id (first at index {first}: {describe(ids[first])})",
                argument="customer_id",
                row=first,
            )
    return readonly(ids)


def _offers(value: object) -> tuple[Offer, ...]:
    if isinstance(value, Offer):
        value = [value]
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise TypeError(f"`offers` must be a sequence of Offer, got {type(value).__name__}")
    offers = tuple(value)
    if not offers:
        raise ValidationError("`offers` must hold at least one Offer")
    for offer in offers:
        if not isinstance(offer, Offer):
            raise TypeError(f"`offers` must hold Offer objects, got {describe(offer)}")
    names = [offer.name for offer in offers]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValidationError(f"`offers` names must be unique; repeated: {repeated}")
    return offers


def _caps(value: object, n: int, m: int) -> NDArray[np.int64]:
    if np.ndim(value) == 0:  # type: ignore[arg-type]
        if isinstance(value, np.ndarray):
            value = value.item()
        return np.full(n, as_count("max_offers", value), dtype=np.int64)
    caps = as_float_array("max_offers", value, low=0.0, noun="customers")  # type: ignore[arg-type]
    check_length("max_offers", caps, n)
    fail_rows("max_offers", "must be whole numbers", caps != np.floor(caps), caps, noun="customers")
    return np.minimum(caps, m).astype(np.int64)


def _bound(name: str, value: ArrayLike | None, point: FloatArray, *, lower: bool) -> FloatArray:
    if value is None:
        return point
    low, high = (0.0, None) if name.startswith("value") else (0.0, 1.0)
    bound = as_float_array(name, value, low=low, high=high, noun="customers")
    check_length(name, bound, point.size)
    point_name = "remaining_value" if name.startswith("value") else "churn_probability"
    if lower:
        fail_rows(
            name,
            f"must be <= `{point_name}`",
            bound > point,
            bound,
            versus=(">", point),
            noun="customers",
        )
    else:
        fail_rows(
            name,
            f"must be >= `{point_name}`",
            bound < point,
            bound,
            versus=("<", point),
            noun="customers",
        )
    return bound


def _segment(value: ArrayLike | None, n: int) -> NDArray[Any] | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        raise TypeError("`segment` must be an array of labels per customer, got one str")
    labels = np.array(value, copy=True)
    if labels.ndim != 1:
        raise ValidationError(f"`segment` must be one-dimensional, got shape {labels.shape}")
    check_length("segment", labels, n)
    return readonly(labels)


# ---------------------------------------------------------------------------- options


@attrs.frozen(eq=False)
class _Options:
    """Every (customer, bundle) worth considering: positive gain, eligible, within the cap."""

    customer: NDArray[np.int64]  # row of each option
    bundle: NDArray[np.int64]  # column (bundle) of each option
    gain: FloatArray
    cost: FloatArray
    members: BoolArray  # (bundles, offers): which offers each bundle holds


def _combined(churn: FloatArray, effects: Sequence[FloatArray]) -> FloatArray:
    r"""Return a bundle's combined uplift, :math:`p\,(1 - \prod_j (1 - \tau_j / p))`."""
    if len(effects) == 1:
        return effects[0]
    positive = churn > 0
    keep = np.ones_like(churn)
    safe = np.where(positive, churn, 1.0)
    for effect in effects:
        keep = keep * np.where(positive, 1.0 - np.minimum(effect / safe, 1.0), 1.0)
    return np.asarray(churn * (1.0 - keep), dtype=np.float64)


def _bundle_gain(
    churn: FloatArray,
    value: FloatArray,
    effects: Sequence[FloatArray],
    offers: Sequence[Offer],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the bundle's combined uplift, gain and cost at ``churn`` and ``value``."""
    tau = _combined(churn, effects)
    incentive = sum(offer.offer_cost for offer in offers)
    contact = sum(offer.contact_cost for offer in offers)
    gain, cost = _contact_gain(tau, churn, value, offer_cost=incentive, contact_cost=contact)
    return tau, gain, cost


# ---------------------------------------------------------------------------- solvers


@attrs.frozen(eq=False)
class _Problem:
    gain: FloatArray  # per option
    cost: FloatArray
    customer: NDArray[np.int64]  # dense 0..k-1 per option, non-decreasing (grouped)
    uses: BoolArray  # (options, capacitated offers)
    capacity: FloatArray  # per capacitated offer
    budget: float


@attrs.frozen(eq=False)
class _Solution:
    chosen: BoolArray  # per option
    upper_bound: float
    method: str


def _net(problem: _Problem, chosen: BoolArray) -> float:
    return float(problem.gain[chosen].sum())


def _binding(problem: _Problem) -> tuple[bool, BoolArray]:
    """Whether the budget binds, and which capacities can bind at all."""
    cap_binds = problem.uses.sum(axis=0) > problem.capacity
    return bool(problem.cost.sum() > problem.budget), np.asarray(cap_binds, dtype=bool)


def _best_per_customer(problem: _Problem, score: FloatArray) -> BoolArray:
    """Each customer's option with the highest ``score`` when it is > 0 (first on ties).

    Options are grouped by customer (contiguous), so this is one pass, no sort.
    """
    customer = problem.customer
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]])
    top = np.maximum.reduceat(score, starts)
    hits = np.flatnonzero((score == top[customer]) & (score > 0))
    first = hits[np.r_[True, customer[hits][1:] != customer[hits][:-1]]] if hits.size else hits
    chosen = np.zeros(score.size, dtype=bool)
    chosen[first] = True
    return chosen


def _feasible(problem: _Problem, chosen: BoolArray) -> bool:
    if problem.cost[chosen].sum() > problem.budget:
        return False
    return bool(np.all(problem.uses[chosen].sum(axis=0) <= problem.capacity))


def _repair(problem: _Problem, chosen: BoolArray) -> BoolArray:
    """Drop the weakest chosen options until budget and capacities hold exactly."""
    chosen = chosen.copy()
    picked = np.flatnonzero(chosen)
    order = picked[np.argsort(problem.gain[picked], kind="stable")]  # weakest first
    excess = problem.cost[chosen].sum() - problem.budget
    drop = np.zeros(order.size, dtype=bool)
    if excess > 0:
        freed = np.cumsum(problem.cost[order])
        drop |= np.arange(order.size) <= np.searchsorted(freed, excess, side="left")
    for j in np.flatnonzero(np.isfinite(problem.capacity)):  # offers, not customers
        over = int(problem.uses[order, j][~drop].sum() - problem.capacity[j])
        if over > 0:
            using = np.flatnonzero(problem.uses[order, j] & ~drop)
            drop[using[:over]] = True
    chosen[order[drop]] = False
    return chosen


def _fill(problem: _Problem, chosen: BoolArray, priority: FloatArray) -> BoolArray:
    """Add the best remaining options that fit, by ``priority``, in vectorised rounds.

    Each round takes the longest prefix of the remaining candidates (one
    per customer, highest priority first) that fits the residual budget and
    capacities, then discards the first candidate that did not fit.
    """
    chosen = chosen.copy()
    taken = np.zeros(int(problem.customer.max()) + 1 if problem.customer.size else 0, dtype=bool)
    taken[problem.customer[chosen]] = True
    budget_left = problem.budget - float(problem.cost[chosen].sum())
    caps_left = problem.capacity - problem.uses[chosen].sum(axis=0)
    candidates = np.flatnonzero(~chosen & ~taken[problem.customer])
    candidates = candidates[np.argsort(-priority[candidates], kind="stable")]
    for _ in range(_FILL_ROUNDS):
        fits = (problem.cost[candidates] <= budget_left) & ~taken[problem.customer[candidates]]
        fits &= np.all(~problem.uses[candidates] | (caps_left > 0.5), axis=1)
        candidates = candidates[fits]
        if candidates.size == 0:
            break
        first = np.zeros(candidates.size, dtype=bool)  # first option of each customer
        _, where = np.unique(problem.customer[candidates], return_index=True)
        first[where] = True
        heads = candidates[first]
        spent = np.cumsum(problem.cost[heads])
        used = np.cumsum(problem.uses[heads], axis=0)
        ok = (spent <= budget_left) & np.all(used <= caps_left, axis=1)
        stop = int(np.argmin(ok)) if not ok.all() else heads.size
        accepted = heads[:stop]
        chosen[accepted] = True
        taken[problem.customer[accepted]] = True
        budget_left -= float(problem.cost[accepted].sum())
        caps_left = caps_left - problem.uses[accepted].sum(axis=0)
        blocked = heads[stop] if stop < heads.size else -1
        candidates = candidates[(candidates != blocked) & ~taken[problem.customer[candidates]]]
    return chosen


def _constraints(problem: _Problem) -> tuple[sparse.csr_array, FloatArray]:
    """Rows ``A x <= b``: customers with several options, the budget, capacities that bind."""
    n_opt = problem.gain.size
    budget_binds, cap_binds = _binding(problem)
    counts = np.bincount(problem.customer)
    shared = counts[problem.customer] > 1
    rows_of = np.cumsum(counts > 1) - 1
    blocks: list[sparse.csr_array] = []
    bounds: list[FloatArray] = []
    if shared.any():
        k = int((counts > 1).sum())
        cols = np.flatnonzero(shared)
        blocks.append(
            sparse.csr_array(
                (np.ones(cols.size), (rows_of[problem.customer[cols]], cols)), shape=(k, n_opt)
            )
        )
        bounds.append(np.ones(k))
    if budget_binds:
        blocks.append(sparse.csr_array(problem.cost.reshape(1, -1)))
        bounds.append(np.array([problem.budget]))
    for j in np.flatnonzero(cap_binds):
        blocks.append(sparse.csr_array(problem.uses[:, j].astype(np.float64).reshape(1, -1)))
        bounds.append(np.array([problem.capacity[j]]))
    if not blocks:
        return sparse.csr_array((0, n_opt)), np.zeros(0)
    return sparse.csr_array(sparse.vstack(blocks)), np.concatenate(bounds)


@contextlib.contextmanager
def _solver_output_hidden() -> Iterator[None]:
    """Send what the solver's C++ code prints to the null device, not to standard output.

    HiGHS's MIP solver (in scipy 1.17) prints debug lines to the process's
    standard output whatever its options say, which would corrupt a target
    list written there (``relmark campaign --out -``).  The file descriptor
    is redirected, so output of other threads during the solve is lost too.
    """
    stdout = 1  # C code prints to descriptor 1, whatever sys.stdout is
    try:
        saved = os.dup(stdout)
    except OSError:  # descriptor 1 is closed: nothing to protect
        yield
        return
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stdout.flush()  # what Python buffered goes out first
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), stdout)
        yield
    finally:
        os.dup2(saved, stdout)
        os.close(saved)


def _solve_exact(problem: _Problem) -> _Solution:
    a, b = _constraints(problem)
    constraints = [optimize.LinearConstraint(a, -np.inf, b)] if b.size else []
    with _solver_output_hidden():
        result = optimize.milp(
            -problem.gain,
            integrality=np.ones(problem.gain.size),
            bounds=optimize.Bounds(0.0, 1.0),
            constraints=constraints,
            options={"mip_rel_gap": 0.0},
        )
    if result.x is None:  # pragma: no cover - x = 0 is always feasible
        raise ValidationError(f"the exact allocation failed: {result.message}")
    chosen = _fill(problem, _repair(problem, result.x > 0.5), problem.gain)  # solver tolerances
    bound = -float(getattr(result, "mip_dual_bound", result.fun))
    return _Solution(chosen=chosen, upper_bound=max(bound, _net(problem, chosen)), method="exact")


def _solve_lp(problem: _Problem) -> _Solution:
    a, b = _constraints(problem)
    result = optimize.linprog(
        -problem.gain,
        A_ub=a if b.size else None,
        b_ub=b if b.size else None,
        bounds=(0.0, 1.0),
        method="highs-ds",  # dual simplex: a basic (vertex) solution, few fractions
    )
    if result.x is None:  # pragma: no cover - x = 0 is always feasible
        raise ValidationError(f"the LP allocation failed: {result.message}")
    chosen = _repair(problem, result.x > 1.0 - 1e-9)
    chosen = _fill(problem, chosen, problem.gain)
    return _Solution(
        chosen=chosen, upper_bound=max(-float(result.fun), _net(problem, chosen)), method="lp"
    )


def _dual(
    problem: _Problem, theta: FloatArray, budget_binds: bool, caps: NDArray[np.int64]
) -> tuple[float, FloatArray, BoolArray]:
    """Return the Lagrangian dual's value, a subgradient and the customers' picks at ``theta``."""
    price = theta[0] if budget_binds else 0.0
    reduced = problem.gain - price * problem.cost
    if caps.size:
        reduced = reduced - problem.uses[:, caps].astype(np.float64) @ theta[1:]
    picks = _best_per_customer(problem, reduced)
    value = float(reduced[picks].sum()) + float(theta[1:] @ problem.capacity[caps])
    grad_caps = problem.capacity[caps] - problem.uses[picks][:, caps].sum(axis=0)
    if budget_binds:
        value += price * problem.budget
        head = np.array([problem.budget - problem.cost[picks].sum()])
    else:
        head = np.zeros(1)
    return value, np.concatenate([head, grad_caps]), picks


def _solve_lagrangian(problem: _Problem) -> _Solution:
    """Minimise the Lagrangian dual by cutting planes; each value is an upper bound."""
    budget_binds, cap_binds = _binding(problem)
    caps = np.flatnonzero(cap_binds)
    dim = 1 + caps.size
    top = float(problem.gain.max())
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(problem.cost > 0, problem.gain / problem.cost, 0.0)
    high = np.concatenate([[float(ratio.max()) if budget_binds else 0.0], np.full(caps.size, top)])
    theta = np.zeros(dim)
    best_value, grad, picks = _dual(problem, theta, budget_binds, caps)
    best_theta = theta
    cuts_a: list[FloatArray] = []
    cuts_b: list[float] = []
    for _ in range(_DUAL_ITERATIONS):
        value, grad, picks = _dual(problem, theta, budget_binds, caps)
        if value < best_value:
            best_value, best_theta = value, theta
        # cut: z >= value + grad . (t - theta)  <=>  grad . t - z <= grad . theta - value
        cuts_a.append(np.concatenate([grad, [-1.0]]))
        cuts_b.append(float(grad @ theta) - value)
        model = optimize.linprog(
            np.concatenate([np.zeros(dim), [1.0]]),
            A_ub=np.array(cuts_a),
            b_ub=np.array(cuts_b),
            bounds=[(0.0, h) for h in high] + [(None, None)],
            method="highs",
        )
        if model.x is None:  # pragma: no cover - the box keeps the model bounded
            break
        theta = np.asarray(model.x[:dim], dtype=np.float64)
        if best_value - float(model.fun) <= 1e-9 * max(1.0, abs(best_value)):
            break
    _, _, picks = _dual(problem, best_theta, budget_binds, caps)
    reduced = problem.gain - (best_theta[0] * problem.cost if budget_binds else 0.0)
    lift = float(np.ptp(reduced)) + 1.0  # the dual's picks first, by reduced gain
    start = _fill(problem, np.zeros_like(picks), reduced + lift * picks)
    chosen = _fill(problem, start, problem.gain)
    return _Solution(
        chosen=chosen, upper_bound=max(best_value, _net(problem, chosen)), method="lagrangian"
    )


def _solve(problem: _Problem, method: str) -> _Solution:
    if problem.gain.size == 0:
        return _Solution(chosen=np.zeros(0, dtype=bool), upper_bound=0.0, method="exact")
    everyone = _best_per_customer(problem, problem.gain)
    if _feasible(problem, everyone):  # nothing binds: each customer's best is optimal
        return _Solution(chosen=everyone, upper_bound=_net(problem, everyone), method="exact")
    if method == "auto":
        size = problem.gain.size
        method = "exact" if size <= EXACT_OPTIONS else "lp" if size <= LP_OPTIONS else "lagrangian"
    solver = {"exact": _solve_exact, "lp": _solve_lp, "lagrangian": _solve_lagrangian}[method]
    return solver(problem)


# ---------------------------------------------------------------------------- the plan


def _reasons(
    churn: FloatArray, value: FloatArray, segment: NDArray[Any] | None
) -> NDArray[np.str_]:
    alive = np.char.mod("P(alive) %.2f", 1.0 - churn)
    worth = np.char.mod(", value %.0f", value)
    text = np.char.add(alive, worth)
    if segment is not None:
        text = np.char.add(text, np.char.add(", segment ", segment.astype(str)))
    return np.asarray(text, dtype=np.str_)


def plan_campaign(
    customer_id: ArrayLike,
    churn_probability: ArrayLike,
    remaining_value: ArrayLike,
    offers: Sequence[Offer] | Offer,
    *,
    budget: float = math.inf,
    max_offers: int | ArrayLike = 1,
    value_lower: ArrayLike | None = None,
    value_upper: ArrayLike | None = None,
    churn_lower: ArrayLike | None = None,
    churn_upper: ArrayLike | None = None,
    segment: ArrayLike | None = None,
    features: Mapping[str, ArrayLike] | SummaryColumns | None = None,
    method: Method = "auto",
) -> CampaignPlan:
    r"""Allocate offers to customers for the largest expected net gain within a budget.

    Parameters
    ----------
    customer_id : array_like, shape (n,)
        Unique ids (integers or strings).
    churn_probability : array_like, shape (n,)
        :math:`p_i`, e.g. ``1 - model.probability_alive(summary)``, in [0, 1].
    remaining_value : array_like, shape (n,)
        :math:`V_i`, the value the customer brings if they stay, >= 0.  With
        a purchase model that is the value *given alive*,
        ``clv / probability_alive``: a model's CLV already weighs the chance
        that the customer has left, so passing it beside
        ``1 - probability_alive`` would count that chance twice.
    offers : sequence of Offer
        The offers (unique names).
    budget : float, default inf
        Most total expected cost (>= 0).
    max_offers : int or array_like of int, default 1
        Most offers per customer (0: do not contact).
    value_lower, value_upper, churn_lower, churn_upper : array_like, optional
        Intervals of :math:`V_i` and :math:`p_i` (e.g. from
        :func:`relmark.prediction_intervals`), for each contact's gain interval.
    segment : array_like, shape (n,), optional
        Each customer's segment label: shown in the reasons and matched by
        offers eligible by segment.
    features : mapping or CustomerSummary, optional
        Columns that offers eligible by a :class:`relmark.Rule` are evaluated on.
    method : {"auto", "exact", "lp", "lagrangian"}, default "auto"
        ``"exact"``: integer program (``scipy.optimize.milp``); ``"lp"``: LP
        relaxation (HiGHS dual simplex) rounded down, then filled greedily;
        ``"lagrangian"``: the LP's Lagrangian dual minimised by cutting
        planes, each customer picking its best option in vectorised numpy,
        then repaired and filled greedily.  ``"auto"`` is exact up to
        :data:`EXACT_OPTIONS` options, LP up to :data:`LP_OPTIONS`, then
        Lagrangian.

    Returns
    -------
    CampaignPlan

    Raises
    ------
    ValidationError
        For out-of-range inputs, lengths that differ, duplicate ids or offer
        names, bounds on the wrong side of their estimate, or more than
        :data:`MAX_BUNDLES` bundles of offers.

    Notes
    -----
    **Gain.** Offer :math:`j` raises customer :math:`i`'s retention by
    :math:`\tau_{ij} = s_j p_i` (a save rate) or :math:`\tau_{ij} = u_{ij}`
    (an uplift, capped to :math:`[-(1-p_i), p_i]` so retention stays a
    probability).  Its expected gain and cost are

    .. math:: g = \tau V - o\,(1 - p + \tau) - c, \qquad
              \text{cost} = c + o\,(1 - p + \tau),

    with contact cost :math:`c` and incentive :math:`o` paid by every contacted
    customer who stays (Verbeke et al. 2012's campaign profit; Neslin et al. 2006).

    **Bundles.** Offers sent to one customer do not add up: each keeps,
    independently, a share :math:`\tau_{ij} / p_i` of the would-be churners, so
    a bundle :math:`S` keeps :math:`1 - \prod_{j \in S} (1 - \tau_{ij} / p_i)` of
    them, :math:`\tau_S = p_i (1 - \prod_{j\in S}(1 - \tau_{ij}/p_i))` (for save
    rates, :math:`1 - \prod (1 - s_j)` on the save-rate scale).  It lies between
    the best single offer's uplift and :math:`p_i`.  Contact and incentive
    costs of a bundle add up.  A bundle is an option of a customer when every
    offer in it is eligible with :math:`\tau_{ij} > 0`, it has at most
    ``max_offers`` offers and its gain is positive.

    **Allocation.** Choose at most one option per customer to maximise the
    total gain subject to total cost :math:`\le` ``budget`` and each offer's
    contacts :math:`\le` its capacity.  When neither binds, each customer's
    best option is optimal.  Otherwise: ``"exact"`` solves the integer
    program; ``"lp"`` solves the LP relaxation, whose basic optimal solution
    has at most :math:`r` fractional customers (:math:`r` = the binding
    budget and capacity rows), drops them and fills greedily, so
    :math:`\text{OPT} - \text{net gain} \le \text{upper\_bound} - \text{net gain}
    \le r\,\max g`; ``"lagrangian"`` relaxes the :math:`r` coupling rows with
    multipliers :math:`\theta \ge 0`, whose dual
    :math:`D(\theta) = \sum_i \max(0, \max_b g_{ib} - \theta^\top a_{ib}) + \theta^\top b`
    is an upper bound at every :math:`\theta` (weak duality), and is
    minimised by cutting planes.  In every method ``upper_bound`` is
    proven, so ``plan.gap`` certifies the plan.  The same method also plans
    each offer alone; the best of those, of the combined plan and of no
    campaign is returned, so the plan is never worse than any of them.

    **Intervals.** The gain increases in :math:`V` (slope :math:`\tau_S \ge 0`)
    and in :math:`p` (slope :math:`\tau_S'(V - o) + o \ge 0`, since
    :math:`0 \le \tau_S' \le 1`; :math:`\tau_S'` is the probability that at
    least two independent offers would each have kept the customer); the
    gain interval is its range over the four corners of the value and churn
    intervals, uplifts held at their estimates.

    References
    ----------
    Neslin, S. A., Gupta, S., Kamakura, W., Lu, J. & Mason, C. H. (2006).
    Defection detection. *Journal of Marketing Research*, 43(2), 204-211.

    Verbeke, W., Dejaeger, K., Martens, D., Hur, J. & Baesens, B. (2012). New
    insights into churn prediction in the telecommunication sector: a profit
    driven data mining approach. *European Journal of Operational Research*,
    218(1), 211-229.

    Examples
    --------
    >>> from relmark.economics.campaigns import Offer, plan_campaign
    >>> offers = [Offer(name="mail", channel="email", contact_cost=1.0, save_rate=0.1),
    ...           Offer(name="voucher", channel="email", contact_cost=1.0, offer_cost=10.0,
    ...                 save_rate=0.3, capacity=1)]
    >>> plan = plan_campaign([7, 8], [0.9, 0.6], [600.0, 200.0], offers, max_offers=2)
    >>> plan.targets.customer_id.tolist(), plan.targets.offer.tolist()
    ([7, 7, 8], ['voucher', 'mail', 'mail'])
    >>> round(plan.net_gain, 2), plan.chosen
    (204.47, 'combined')
    """
    ids = _ids(customer_id)
    churn = as_float_array(
        "churn_probability", churn_probability, low=0.0, high=1.0, noun="customers"
    )
    value = as_float_array("remaining_value", remaining_value, low=0.0, noun="customers")
    n = check_same_length(
        {"customer_id": ids, "churn_probability": churn, "remaining_value": value}
    )
    offer_list = _offers(offers)
    m = len(offer_list)
    cap_budget = as_scalar("budget", budget, low=0.0, allow_inf=True)
    caps = _caps(max_offers, n, m)
    v_low = _bound("value_lower", value_lower, value, lower=True)
    v_high = _bound("value_upper", value_upper, value, lower=False)
    p_low = _bound("churn_lower", churn_lower, churn, lower=True)
    p_high = _bound("churn_upper", churn_upper, churn, lower=False)
    labels = _segment(segment, n)
    method = as_choice("method", method, _METHODS)  # type: ignore[assignment]

    largest = int(caps.max()) if n else 0
    bundles = [
        combo for size in range(1, largest + 1) for combo in itertools.combinations(range(m), size)
    ]
    check_size(
        "the bundles of `offers` up to `max_offers`",
        len(bundles),
        MAX_BUNDLES,
        unit="bundles",
        why="each is an option of every customer",
    )
    check_size(
        "customers x bundles",
        n * len(bundles),
        MAX_OPTIONS,
        unit="options",
        why="all options are held in memory",
    )

    effects = [offer._effect(churn, n) for offer in offer_list]
    usable = [
        offer._eligibility(n, labels, features) & (effect > 0) & (offer.capacity != 0)
        for offer, effect in zip(offer_list, effects, strict=True)
    ]
    gain = np.full((n, len(bundles)), -np.inf)
    cost = np.zeros((n, len(bundles)))
    for b, combo in enumerate(bundles):  # bundles, not customers
        ok = caps >= len(combo)
        for j in combo:
            ok = ok & usable[j]
        _, g, c = _bundle_gain(
            churn, value, [effects[j] for j in combo], [offer_list[j] for j in combo]
        )
        gain[:, b] = np.where(ok, g, -np.inf)
        cost[:, b] = c
    members = np.zeros((len(bundles), m), dtype=bool)
    for b, combo in enumerate(bundles):
        members[b, list(combo)] = True

    rows, cols = np.nonzero(gain > 0)
    capacity = np.array(
        [math.inf if offer.capacity is None else float(offer.capacity) for offer in offer_list]
    )

    def solve(keep: BoolArray) -> tuple[NDArray[np.int64], NDArray[np.int64], _Solution]:
        r, c = rows[keep], cols[keep]
        dense = np.cumsum(np.r_[False, r[1:] != r[:-1]])[: r.size]  # rows sorted (row-major)
        problem = _Problem(
            gain=gain[r, c],
            cost=cost[r, c],
            customer=dense.astype(np.int64),
            uses=members[c],
            capacity=capacity,
            budget=cap_budget,
        )
        return r, c, _solve(problem, method)

    r_all, c_all, combined = solve(np.ones(rows.size, dtype=bool))
    plans = {"combined": (r_all[combined.chosen], c_all[combined.chosen])}
    alternatives = {_NO_CAMPAIGN: 0.0}
    nets = {"combined": float(gain[plans["combined"]].sum())}
    for j, offer in enumerate(offer_list):
        single = bundles.index((j,)) if (j,) in bundles else -1
        r_one, c_one, sol = solve(cols == single)
        key = f"only {offer.name}"
        plans[key] = (r_one[sol.chosen], c_one[sol.chosen])
        nets[key] = alternatives[key] = float(gain[plans[key]].sum())
    chosen_name = max(nets, key=lambda key: (nets[key], key == "combined"))
    if nets[chosen_name] <= 0.0:
        chosen_name = _NO_CAMPAIGN
        pick_rows, pick_cols = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    else:
        pick_rows, pick_cols = plans[chosen_name]

    return _plan(
        ids,
        churn,
        value,
        (v_low, v_high),
        (p_low, p_high),
        labels,
        offer_list,
        bundles,
        effects,
        pick_rows,
        pick_cols,
        cap_budget,
        combined,
        alternatives,
        chosen_name,
    )


def _plan(
    ids: NDArray[Any],
    churn: FloatArray,
    value: FloatArray,
    value_range: tuple[FloatArray, FloatArray],
    churn_range: tuple[FloatArray, FloatArray],
    labels: NDArray[Any] | None,
    offers: Sequence[Offer],
    bundles: Sequence[tuple[int, ...]],
    effects: Sequence[FloatArray],
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    budget: float,
    combined: _Solution,
    alternatives: Mapping[str, float],
    chosen: str,
) -> CampaignPlan:
    """Expand the chosen (customer, bundle) options into the target list and the summaries."""
    n = ids.size
    m = len(offers)
    row_customer: list[NDArray[np.int64]] = []
    row_offer: list[NDArray[np.int64]] = []
    row_gain: list[FloatArray] = []
    row_cost: list[FloatArray] = []
    row_kept: list[FloatArray] = []
    row_low: list[FloatArray] = []
    row_high: list[FloatArray] = []
    for b, combo in enumerate(bundles):  # bundles, not customers
        who = rows[cols == b]
        if who.size == 0:
            continue
        own = np.stack([effects[j][who] for j in combo])  # (|S|, k)
        share = own / own.sum(axis=0)
        corners = []
        for p_arr, v_arr in itertools.product(
            (churn, churn_range[0], churn_range[1]), (value, value_range[0], value_range[1])
        ):
            p, v = p_arr[who], v_arr[who]
            at_p = [offers[j]._effect(p_arr, n)[who] for j in combo]
            tau = _combined(p, at_p)
            per = []
            for position, j in enumerate(combo):
                _, cost = _contact_gain(
                    tau, p, v, offer_cost=offers[j].offer_cost, contact_cost=offers[j].contact_cost
                )
                kept = tau * v
                per.append((kept * share[position] - cost, cost, kept * share[position]))
            corners.append(per)
        for position, j in enumerate(combo):
            estimates = corners[0][position]
            spread = np.stack([corner[position][0] for corner in corners])
            row_customer.append(who)
            row_offer.append(np.full(who.size, j, dtype=np.int64))
            row_gain.append(estimates[0])
            row_cost.append(estimates[1])
            row_kept.append(estimates[2])
            row_low.append(spread.min(axis=0))
            row_high.append(spread.max(axis=0))

    def join(parts: list[NDArray[Any]], dtype: type) -> NDArray[Any]:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    customer = join(row_customer, np.int64)
    offer_index = join(row_offer, np.int64)
    gain = join(row_gain, np.float64)
    order = np.lexsort((offer_index, customer, -gain))
    customer, offer_index, gain = customer[order], offer_index[order], gain[order]
    cost = join(row_cost, np.float64)[order]
    kept = join(row_kept, np.float64)[order]
    names = np.array([offer.name for offer in offers], dtype=np.str_)
    channels = np.array([offer.channel.value for offer in offers], dtype=np.str_)
    targets = TargetList(
        customer_id=readonly(ids[customer]),
        offer=readonly(names[offer_index]) if m else readonly(np.zeros(0, dtype=np.str_)),
        channel=readonly(channels[offer_index]),
        expected_gain=readonly(gain),
        gain_lower=readonly(join(row_low, np.float64)[order]),
        gain_upper=readonly(join(row_high, np.float64)[order]),
        expected_cost=readonly(cost),
        churn_probability=readonly(churn[customer]),
        remaining_value=readonly(value[customer]),
        segment=None if labels is None else readonly(labels[customer]),
        reason=readonly(
            _reasons(churn[customer], value[customer], None if labels is None else labels[customer])
        ),
    )
    contacts = np.bincount(offer_index, minlength=m).astype(np.int64)
    offer_cost = np.bincount(offer_index, weights=cost, minlength=m)
    offer_kept = np.bincount(offer_index, weights=kept, minlength=m)
    net = offer_kept - offer_cost
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(offer_cost > 0, net / np.where(offer_cost > 0, offer_cost, 1.0), 0.0)
    summary = OfferSummary(
        offer=readonly(names),
        channel=readonly(channels),
        contacts=readonly(contacts),
        expected_cost=readonly(offer_cost),
        value_kept=readonly(offer_kept),
        net_gain=readonly(net),
        roi=readonly(roi),
    )
    total_cost, total_kept = float(cost.sum()), float(kept.sum())
    total_net = float(gain.sum())
    return CampaignPlan(
        targets=targets,
        offers=summary,
        cost=total_cost,
        value_kept=total_kept,
        net_gain=total_net,
        roi=total_net / total_cost if total_cost > 0 else 0.0,
        budget=budget,
        upper_bound=max(combined.upper_bound, total_net),
        method=combined.method,
        alternatives=dict(alternatives),
        chosen=chosen,
    )
