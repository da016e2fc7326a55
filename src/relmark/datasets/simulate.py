"""Seeded simulators: a customer base's touchpoints, and a randomised retention campaign.

- :func:`simulate_touchpoints`: customers acquired over a window through
  several acquisition channels, buying per BG/NBD with Gamma-Gamma spend,
  with the e-mails, visits, service calls, complaints, billing contacts and
  survey answers around their purchases: a :class:`~relmark.TouchpointTable`
  and the truth behind it (:class:`SimulatedBase`).
- :func:`simulate_campaign`: a retention campaign with a randomised control
  group and a known per-customer treatment effect (:class:`CampaignOutcome`),
  to check uplift estimates against.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    MAX_SIMULATED_EVENTS,
    BoolArray,
    FloatArray,
    IntArray,
    as_count,
    as_flag,
    as_float_array,
    as_instance,
    as_probability,
    as_rng,
    as_scalar,
    check_same_length,
    check_size,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.data._tables import PerCustomerTable
from relmark.data.timeaxis import as_instant
from relmark.data.touchpoints import CHANNELS, KINDS, TouchpointTable
from relmark.data.touchpoints import _customer_id as _checked_ids
from relmark.data.transactions import TransactionLog
from relmark.domain.channels import Channel, TouchpointKind
from relmark.exceptions import ValidationError
from relmark.models import BetaGeo, GammaGamma

__all__ = [
    "ACQUISITION_CHANNELS",
    "DEFAULT_PURCHASE_MODEL",
    "DEFAULT_SPEND_MODEL",
    "PURCHASE_COST",
    "SEGMENTS",
    "TOUCHPOINT_COST",
    "CampaignOutcome",
    "SimulatedBase",
    "simulate_campaign",
    "simulate_touchpoints",
]

#: Default purchase process, time in weeks: the CDNOW BG/NBD estimates
#: (Fader, Hardie & Lee 2005), about 2.9 purchases a year while alive on average.
DEFAULT_PURCHASE_MODEL = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
#: Default spend per purchase: the CDNOW Gamma-Gamma estimates (mean about 35).
DEFAULT_SPEND_MODEL = GammaGamma(p=6.25, q=3.74, gamma=15.44)

#: Acquisition channels: (share of customers, purchase-rate multiplier, dropout
#: multiplier).  A channel's customers follow BG/NBD(r, alpha / rate, a, b / dropout):
#: their purchase rates are the base rates times ``rate`` and their dropout
#: probabilities Beta(a, b / dropout), whose mean a / (a + b / dropout) grows with
#: ``dropout``.  Sales-rep customers buy most and stay longest; social ones least.
ACQUISITION_CHANNELS: Mapping[str, tuple[float, float, float]] = MappingProxyType(
    {
        "web": (0.40, 1.0, 1.0),
        "store": (0.30, 1.25, 0.8),
        "sales_rep": (0.10, 1.5, 0.6),
        "social": (0.20, 0.75, 1.5),
    }
)
#: Latent segments: (share, spend multiplier, mean satisfaction, complaint multiplier).
#: A segment's spend is Gamma-Gamma(p, q, gamma * spend): mean spend times ``spend``.
SEGMENTS: Mapping[str, tuple[float, float, float, float]] = MappingProxyType(
    {
        "budget": (0.30, 0.6, 0.65, 1.5),
        "core": (0.50, 1.0, 0.75, 1.0),
        "premium": (0.20, 1.8, 0.82, 0.7),
    }
)

_WEEK_US = 7.0 * 86400.0 * 1e6
_DAY = 1.0 / 7.0  # a day in weeks
# the behaviour around purchases (rates per week, probabilities per event)
_EMAIL_RATE = 0.5  # marketing e-mails sent per week, to every customer until the end
_OPEN = 0.3  # chance an alive customer opens an e-mail
_CLICK = 0.25  # chance an opened e-mail is clicked
_VISIT_BASE, _VISIT_PER_RATE = 0.05, 1.5  # web/app visits per week while alive: 0.05 + 1.5 rate
_SUPPORT_RATE = 0.01  # service calls per week while alive
_COMPLAINT = 0.05  # base chance a purchase leads to a complaint
_ANSWERED = 0.9  # chance a complaint is answered
_BILLING = 0.05  # chance a purchase leads to a billing contact
_SURVEY = 0.15  # chance a purchase is followed by a survey answer
_REPEAT_SAME = 0.6  # chance a repeat purchase uses the acquisition channel
_OTHER_PURCHASE = (("web", 0.5), ("store", 0.3), ("app", 0.2))  # otherwise
#: Cost to serve of each purchase by channel, and of each other kind of touchpoint.
PURCHASE_COST: Mapping[str, float] = MappingProxyType(
    {"web": 1.0, "store": 2.5, "sales_rep": 12.0, "social": 1.0, "app": 0.8}
)
TOUCHPOINT_COST: Mapping[str, float] = MappingProxyType(
    {
        "message_sent": 0.02,
        "message_opened": 0.0,
        "click": 0.0,
        "visit": 0.01,
        "support_request": 4.0,
        "complaint": 5.0,
        "complaint_response": 8.0,
        "billing": 3.0,
        "survey_response": 0.5,
    }
)


def _channel(name: str) -> int:
    return CHANNELS.index(Channel(name))


def _kind(kind: TouchpointKind) -> int:
    return KINDS.index(kind)


def _ids_frozen(value: ArrayLike) -> NDArray[Any]:
    return readonly(np.array(value, copy=True).reshape(-1))


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True, eq=False, repr=False)
class SimulatedBase(PerCustomerTable):
    """A simulated customer base: its touchpoints and the truth behind them.

    Attributes
    ----------
    touchpoints : TouchpointTable
        Every contact, sorted by customer, then time (calendar timestamps,
        microsecond resolution).
    customers : ndarray of int64, shape (n,)
        Customer ids ``0 .. n - 1``.
    acquisition_channel, segment : ndarray of str, shape (n,)
        Each customer's acquisition channel (a key of
        :data:`ACQUISITION_CHANNELS`) and latent segment (of :data:`SEGMENTS`).
    acquired_at : ndarray of datetime64[us], shape (n,)
        The first purchase.
    alive_at_end : ndarray of bool, shape (n,)
        Whether the customer is still alive (has not dropped out) at ``end``.
    purchase_rate, dropout_probability : ndarray of float64, shape (n,)
        Each customer's true BG/NBD rate (purchases per week while alive)
        and dropout probability after each repeat purchase.
    satisfaction : ndarray of float64, shape (n,)
        Latent satisfaction in (0, 1): survey answers are Binomial(10, it).
    repeat_purchases : ndarray of int64, shape (n,)
        Repeat purchases made by ``end``.
    start, end : numpy.datetime64
        The observation window ``[start, end]``.
    purchase_model : BetaGeo
        The base purchase process (weeks).
    spend_model : GammaGamma
        The base spend process.
    channel_models : mapping of str to BetaGeo
        The true purchase process (weeks) of each acquisition channel.
    segment_spend : mapping of str to GammaGamma
        The true spend process of each segment.
    """

    touchpoints: TouchpointTable
    customers: IntArray = attrs.field(converter=_ids_frozen)
    acquisition_channel: NDArray[np.str_] = attrs.field(converter=_ids_frozen)
    segment: NDArray[np.str_] = attrs.field(converter=_ids_frozen)
    acquired_at: NDArray[np.datetime64] = attrs.field(converter=_ids_frozen)
    alive_at_end: BoolArray = attrs.field(converter=_ids_frozen)
    purchase_rate: FloatArray = attrs.field(converter=_ids_frozen)
    dropout_probability: FloatArray = attrs.field(converter=_ids_frozen)
    satisfaction: FloatArray = attrs.field(converter=_ids_frozen)
    repeat_purchases: IntArray = attrs.field(converter=_ids_frozen)
    start: np.datetime64
    end: np.datetime64
    purchase_model: BetaGeo
    spend_model: GammaGamma
    channel_models: Mapping[str, BetaGeo] = attrs.field(converter=_frozen_mapping)
    segment_spend: Mapping[str, GammaGamma] = attrs.field(converter=_frozen_mapping)

    def __len__(self) -> int:
        return int(self.customers.size)

    def __reduce__(self) -> tuple[Any, ...]:
        # read-only arrays and mappings again after unpickling (a mappingproxy does not pickle)
        fields = {field.name: getattr(self, field.name) for field in attrs.fields(SimulatedBase)}
        plain = {k: dict(v) if isinstance(v, MappingProxyType) else v for k, v in fields.items()}
        return (_rebuild, (SimulatedBase, plain))

    def __repr__(self) -> str:
        return f"SimulatedBase({len(self):,} customers, {len(self.touchpoints):,} touchpoints)"

    def transactions(self) -> TransactionLog:
        """Return the purchases as a :class:`~relmark.TransactionLog` (calendar times).

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets.simulate import simulate_touchpoints
        >>> base = simulate_touchpoints(200, rng=1)
        >>> log = base.transactions()
        >>> len(set(log.customer_id.tolist())), int(base.repeat_purchases.sum()) + 200 == len(log)
        (200, True)
        """
        return TransactionLog.from_touchpoints(self.touchpoints)

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the per-customer truth as columns (``customer_id`` first).

        Examples
        --------
        >>> from relmark.datasets.simulate import simulate_touchpoints
        >>> list(simulate_touchpoints(5, rng=1).to_dict())[:3]
        ['customer_id', 'acquisition_channel', 'segment']
        """
        return {
            "customer_id": self.customers,
            "acquisition_channel": self.acquisition_channel,
            "segment": self.segment,
            "acquired_at": self.acquired_at,
            "alive_at_end": self.alive_at_end,
            "purchase_rate": self.purchase_rate,
            "dropout_probability": self.dropout_probability,
            "satisfaction": self.satisfaction,
            "repeat_purchases": self.repeat_purchases,
        }


def _calendar_instant(name: str, value: object) -> np.datetime64:
    """Return a calendar instant as ``datetime64[us]`` (a number is a ``TypeError``)."""
    instant = as_instant(value, name=name, calendar=True)
    if not isinstance(instant, np.datetime64):  # pragma: no cover - as_instant refuses numbers
        raise TypeError(f"`{name}` must be a calendar date or time, got {type(value).__name__}")
    micro: np.datetime64 = instant.astype("datetime64[us]")
    return micro


# one kind of simulated event: owners, times (weeks), channel (codes or one name), kind,
# amounts (None: 0), costs (array or a key of TOUCHPOINT_COST)
_Part = tuple[
    IntArray,
    FloatArray,
    NDArray[np.int8] | str,
    TouchpointKind,
    FloatArray | None,
    FloatArray | str,
]


def _uniform_times(
    counts: IntArray, window: FloatArray, gen: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    """Place ``counts[i]`` uniform times in ``[0, window[i])`` for each customer ``i``.

    The times of a Poisson process given its number of events, unsorted within a
    customer (the table is sorted once at the end).
    """
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    times: FloatArray = gen.random(owner.size) * window[owner]
    return owner, times


def _by_customer_and_time(owner: IntArray, when: FloatArray, n: int, weeks: float) -> IntArray:
    """Return the order of events by customer, then time (``when`` in ``[0, weeks)``).

    One ``argsort`` of an int64 key packing the customer above the leading bits of
    the time, several times faster than ``lexsort``; should two keys tie (events of
    one customer closer than the key's resolution), ``lexsort`` settles it exactly.
    """
    owner_bits = max((n - 1).bit_length(), 1)
    value_bits = min(63 - owner_bits, 53)
    key = (when * (float(2**value_bits) / weeks)).astype(np.int64)
    np.clip(key, 0, 2**value_bits - 1, out=key)
    key |= owner.astype(np.int64) << value_bits
    order: IntArray = np.argsort(key)
    ordered = key[order]
    if ordered.size > 1 and bool(np.any(ordered[1:] == ordered[:-1])):
        order = np.lexsort((when, owner))
    return order


def _rebuild(cls: type[SimulatedBase], fields: dict[str, object]) -> SimulatedBase:
    """Rebuild a pickled base: arrays read-only, mappings behind a read-only view."""
    base: SimulatedBase = object.__new__(cls)
    for name, value in fields.items():
        if isinstance(value, np.ndarray):
            value = readonly(value)
        elif isinstance(value, dict):
            value = MappingProxyType(value)
        object.__setattr__(base, name, value)
    return base


def _after(
    owner: IntArray,
    when: FloatArray,
    chance: float | FloatArray,
    mean_delay: float,
    limit: float,
    gen: np.random.Generator,
) -> tuple[IntArray, FloatArray]:
    """Events that follow others with probability ``chance``, after an exponential delay.

    Returns their owners and times, those before ``limit`` (the end) only.
    """
    hit = gen.random(when.size) < chance
    delay = gen.exponential(mean_delay, int(hit.sum()))
    later = when[hit] + delay
    inside = later < limit
    return owner[hit][inside], later[inside]


def simulate_touchpoints(
    n_customers: int,
    *,
    start: object = "2024-01-01",
    end: object = "2025-12-31",
    rng: np.random.Generator | int | None = None,
    purchase_model: BetaGeo | None = None,
    spend_model: GammaGamma | None = None,
    channel_effects: bool = True,
) -> SimulatedBase:
    r"""Simulate a customer base's touchpoints across front- and back-office channels.

    Customers are acquired (make their first purchase) uniformly over
    ``[start, end)``, so every calendar month of the window has a cohort.
    Each gets an acquisition channel and a latent segment
    (:data:`ACQUISITION_CHANNELS`, :data:`SEGMENTS`), buys per BG/NBD with
    Gamma-Gamma spend, and meets the firm at other touchpoints with costs
    to serve (:data:`PURCHASE_COST`, :data:`TOUCHPOINT_COST`).

    Parameters
    ----------
    n_customers : int
        Number of customers (ids ``0 .. n_customers - 1``), 1 to 10^8.
    start, end : datetime-like, default "2024-01-01", "2025-12-31"
        The observation window; events fall in ``[start, end)`` (a date is
        its midnight), so ``base.transactions().summarize(base.end)`` sees
        them all.
    rng : numpy.random.Generator or int or None
        Source of randomness (a seed gives a reproducible base).
    purchase_model : BetaGeo or ModifiedBetaGeo, optional
        The base purchase process, time in **weeks**, without covariates;
        default :data:`DEFAULT_PURCHASE_MODEL` (the CDNOW estimates).
    spend_model : GammaGamma, optional
        The base spend per purchase; default :data:`DEFAULT_SPEND_MODEL`.
    channel_effects : bool, default True
        Whether the acquisition channel shifts purchase rate and dropout
        (:data:`ACQUISITION_CHANNELS`); with False every customer follows
        ``purchase_model`` itself.

    Returns
    -------
    SimulatedBase
        The touchpoints and the truth (true rates, dropout, who is alive at
        ``end``, the per-channel and per-segment models).

    Raises
    ------
    TypeError
        For a ``purchase_model`` that is not a BetaGeo, a ``spend_model``
        that is not a GammaGamma, or a non-integer ``n_customers``.
    ValidationError
        For ``end`` not after ``start``, more than 10^8 customers, or more
        than 10^9 expected touchpoints (refused before any is drawn).

    Notes
    -----
    Time runs in weeks from ``start``; :math:`W` is the window length.  For
    customer :math:`i` (all draws vectorised over customers):

    - acquisition time :math:`a_i \sim U(0, W)`, age :math:`T_i = W - a_i`;
      channel :math:`c_i` and segment :math:`g_i` drawn by their shares;
    - BG/NBD: :math:`\lambda_i \sim \mathrm{Gamma}(r, \alpha / m_c)`,
      :math:`p_i \sim \mathrm{Beta}(a, b / d_c)` with the channel's rate
      and dropout multipliers :math:`m_c, d_c` (1 without channel effects).
      A Poisson process would place :math:`N_i \sim
      \mathrm{Poisson}(\lambda_i T_i)` repeat purchases uniformly in
      :math:`(0, T_i]`; the customer leaves right after repeat purchase
      :math:`K_i \sim \mathrm{Geometric}(p_i)`, so :math:`x_i = \min(N_i,
      K_i)` happen, the last at :math:`T_i \mathrm{Beta}(x_i, N_i - x_i +
      1)` (an order statistic) and the others uniformly before it.  The
      customer is alive at the end iff :math:`N_i < K_i`; otherwise their
      life ends at their last purchase (MBG/NBD: :math:`K_i` one less, so
      possibly at the first);
    - spend: :math:`\nu_i \sim \mathrm{Gamma}(q, \gamma s_g)` (rate), each
      purchase :math:`z \sim \mathrm{Gamma}(p, \nu_i)`, rounded to cents
      (at least 0.01);
    - the first purchase is on the acquisition channel, a repeat one on it
      with probability 0.6, else on web/store/app (0.5/0.3/0.2);
    - satisfaction :math:`s_i = \mathrm{expit}(\mathrm{logit}(\bar s_g) +
      0.8 Z)`, :math:`Z \sim N(0, 1)`;
    - e-mails (``message_sent``) at rate 0.5 per week from acquisition to
      the end, to the dead too; each opened with probability 0.3 while the
      customer is alive (about a day later), each opened one clicked with
      probability 0.25;
    - web (70 %) or app visits at rate :math:`0.05 + 1.5 \lambda_i` per
      week while alive; phone support requests at 0.01 per week while alive;
    - after each purchase: a complaint (after-sales) with probability
      :math:`\min(1, 0.1\,k_g (1 - s_i))`, about 3 days later, answered
      with probability 0.9 about 2 days after; a billing support request
      with probability 0.05, about 2 weeks later; a survey answer (e-mail)
      with probability 0.15, about 3 days later, scored
      :math:`\mathrm{Binomial}(10, s_i)`.  Follow-ups after the end are
      not observed.

    Delays ("about ... later") are exponential with that mean; times are
    floored to the microsecond.  Memory is linear in the number of
    touchpoints: about 42 per customer over the default two years, most of
    them e-mails.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting Your
    Customers" the Easy Way: An Alternative to the Pareto/NBD Model.
    Marketing Science, 24(2), 275-284.

    Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma Model of
    Monetary Value. http://www.brucehardie.com/notes/025/

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets.simulate import simulate_touchpoints
    >>> base = simulate_touchpoints(500, rng=3)
    >>> len(base), sorted(set(base.acquisition_channel.tolist()))
    (500, ['sales_rep', 'social', 'store', 'web'])
    >>> bool(base.touchpoints.of_kind("survey_response").any()), base.end
    (True, np.datetime64('2025-12-31T00:00:00.000000'))
    """
    n = as_count(
        "n_customers",
        n_customers,
        minimum=1,
        maximum=MAX_SIMULATED_CUSTOMERS,
        why="simulate larger bases in parts with different seeds",
    )
    begin = _calendar_instant("start", start)
    finish = _calendar_instant("end", end)
    if not finish > begin:
        raise ValidationError(f"`end` ({finish}) must be after `start` ({begin})")
    weeks = float((finish - begin) / np.timedelta64(1, "us")) / _WEEK_US
    model = (
        DEFAULT_PURCHASE_MODEL
        if purchase_model is None
        else as_instance("purchase_model", purchase_model, BetaGeo)
    )
    spend = (
        DEFAULT_SPEND_MODEL
        if spend_model is None
        else as_instance("spend_model", spend_model, GammaGamma)
    )
    effects = as_flag("channel_effects", channel_effects)
    if model.effects:
        raise ValidationError("`purchase_model` must be a model without covariates")
    names = list(ACQUISITION_CHANNELS)
    shares = np.array([ACQUISITION_CHANNELS[c][0] for c in names])
    rate_mult = np.array([ACQUISITION_CHANNELS[c][1] if effects else 1.0 for c in names])
    drop_mult = np.array([ACQUISITION_CHANNELS[c][2] if effects else 1.0 for c in names])
    mean_rate = model.r / model.alpha * float(rate_mult.max())
    # each purchase: itself, its follow-ups (complaint and answer at most 0.15 each), visits
    per_purchase = 1.0 + _BILLING + _SURVEY + 0.3 + _VISIT_PER_RATE
    per_week = _EMAIL_RATE * (1.0 + _OPEN + _OPEN * _CLICK) + _VISIT_BASE + _SUPPORT_RATE
    check_size(
        "the expected touchpoints",
        float(n) * (1.0 + weeks * (per_week + mean_rate * per_purchase)),
        MAX_SIMULATED_EVENTS,
        unit="events",
        why="about 60 bytes of memory each; use fewer customers or a shorter window",
    )
    segments = list(SEGMENTS)
    seg_share = np.array([SEGMENTS[s][0] for s in segments])
    seg_spend = np.array([SEGMENTS[s][1] for s in segments])
    seg_sat = np.array([SEGMENTS[s][2] for s in segments])
    seg_complaint = np.array([SEGMENTS[s][3] for s in segments])
    gen = as_rng(rng)

    # -- customers
    channel = gen.choice(len(names), size=n, p=shares)
    segment = gen.choice(len(segments), size=n, p=seg_share)
    acquired = gen.uniform(0.0, weeks, n)
    age = weeks - acquired
    rate = gen.gamma(model.r, rate_mult[channel] / model.alpha)
    dropout = np.clip(gen.beta(model.a, model.b / drop_mult[channel]), 1e-12, 1.0)
    events = gen.poisson(rate * age)
    # BG/NBD leaves after repeat purchase K >= 1; MBG/NBD may leave at the first (K >= 0)
    lives = gen.geometric(dropout) - model._shift
    repeats = np.minimum(events, lives)
    dead = lives <= events  # left right after their last purchase
    buyer = repeats > 0
    last = np.zeros(n)
    last[buyer] = age[buyer] * gen.beta(repeats[buyer], events[buyer] - repeats[buyer] + 1)
    owner_r, earlier = _uniform_times(np.maximum(repeats - 1, 0), last, gen)
    lifetime = np.where(dead, last, age)
    logit = np.log(seg_sat / (1.0 - seg_sat))[segment] + gen.normal(0.0, 0.8, n)
    satisfaction = 1.0 / (1.0 + np.exp(-logit))

    # -- purchases: the first, the earlier repeats, the last repeat
    who = np.arange(n)
    p_owner = np.concatenate([who, owner_r, who[buyer]])
    p_time = np.concatenate([acquired, acquired[owner_r] + earlier, acquired[buyer] + last[buyer]])
    acq_code = np.array([_channel(c) for c in names], dtype=np.int8)[channel]
    other_names = [c for c, _ in _OTHER_PURCHASE]
    other = np.array([_channel(c) for c in other_names], dtype=np.int8)[
        gen.choice(len(other_names), size=p_owner.size, p=[w for _, w in _OTHER_PURCHASE])
    ]
    same = gen.random(p_owner.size) < _REPEAT_SAME
    same[:n] = True
    p_channel = np.where(same, acq_code[p_owner], other)
    nu = gen.gamma(spend.q, 1.0 / (spend.gamma * seg_spend[segment]))
    p_amount = np.maximum(np.round(gen.gamma(spend.p, 1.0 / nu[p_owner]), 2), 0.01)
    cost_by_channel = np.zeros(len(CHANNELS))
    for name, price in PURCHASE_COST.items():  # a loop over channels, not rows
        cost_by_channel[_channel(name)] = price
    p_cost = cost_by_channel[p_channel]

    # -- e-mails, opens, clicks
    sent = gen.poisson(_EMAIL_RATE * age)
    e_owner, e_offset = _uniform_times(sent, age, gen)
    e_time = acquired[e_owner] + e_offset
    alive_then = e_offset < lifetime[e_owner]
    o_owner, o_time = _after(e_owner, e_time, np.where(alive_then, _OPEN, 0.0), _DAY, weeks, gen)
    c_owner, c_time = _after(o_owner, o_time, _CLICK, 10.0 / (7 * 1440), weeks, gen)

    # -- visits and support calls while alive
    visits = gen.poisson((_VISIT_BASE + _VISIT_PER_RATE * rate) * lifetime)
    v_owner, v_offset = _uniform_times(visits, lifetime, gen)
    v_time = acquired[v_owner] + v_offset
    v_channel = np.where(gen.random(v_owner.size) < 0.7, _channel("web"), _channel("app")).astype(
        np.int8
    )
    calls = gen.poisson(_SUPPORT_RATE * lifetime)
    s_owner, s_offset = _uniform_times(calls, lifetime, gen)
    s_time = acquired[s_owner] + s_offset

    # -- follow-ups of purchases: complaints and answers, billing contacts, surveys
    chance = np.minimum(1.0, 2.0 * _COMPLAINT * seg_complaint[segment] * (1.0 - satisfaction))
    k_owner, k_time = _after(p_owner, p_time, chance[p_owner], 3 * _DAY, weeks, gen)
    a_owner, a_time = _after(k_owner, k_time, _ANSWERED, 2 * _DAY, weeks, gen)
    b_owner, b_time = _after(p_owner, p_time, _BILLING, 2.0, weeks, gen)
    q_owner, q_time = _after(p_owner, p_time, _SURVEY, 3 * _DAY, weeks, gen)
    q_score = gen.binomial(10, satisfaction[q_owner]).astype(np.float64)

    parts: list[_Part] = [  # (owner, time, channel, kind, amount, cost)
        (p_owner, p_time, p_channel, TouchpointKind.PURCHASE, p_amount, p_cost),
        (e_owner, e_time, "email", TouchpointKind.MESSAGE_SENT, None, "message_sent"),
        (o_owner, o_time, "email", TouchpointKind.MESSAGE_OPENED, None, "message_opened"),
        (c_owner, c_time, "email", TouchpointKind.CLICK, None, "click"),
        (v_owner, v_time, v_channel, TouchpointKind.VISIT, None, "visit"),
        (s_owner, s_time, "phone", TouchpointKind.SUPPORT_REQUEST, None, "support_request"),
        (k_owner, k_time, "after_sales", TouchpointKind.COMPLAINT, None, "complaint"),
        (a_owner, a_time, "after_sales", TouchpointKind.COMPLAINT_RESPONSE, None,
         "complaint_response"),
        (b_owner, b_time, "billing", TouchpointKind.SUPPORT_REQUEST, None, "billing"),
        (q_owner, q_time, "email", TouchpointKind.SURVEY_RESPONSE, None, "survey_response"),
    ]  # fmt: skip
    owners: list[IntArray] = []
    times: list[FloatArray] = []
    channels: list[NDArray[np.int8]] = []
    kinds: list[NDArray[np.int8]] = []
    amounts: list[FloatArray] = []
    costs: list[FloatArray] = []
    for owner, when, where, kind, amount, cost in parts:  # ten kinds of event, not rows
        size = owner.size
        owners.append(owner)
        times.append(when)
        channels.append(
            np.full(size, _channel(where), np.int8) if isinstance(where, str) else where
        )
        kinds.append(np.full(size, _kind(kind), np.int8))
        amounts.append(np.zeros(size) if amount is None else amount)
        costs.append(np.full(size, TOUCHPOINT_COST[cost]) if isinstance(cost, str) else cost)
    owner_all = np.concatenate(owners)
    time_all = np.concatenate(times)
    kind_all = np.concatenate(kinds)
    score_all = np.full(owner_all.size, np.nan)
    score_all[kind_all == _kind(TouchpointKind.SURVEY_RESPONSE)] = q_score
    order = _by_customer_and_time(owner_all, time_all, n, weeks)
    start_us = begin.astype(np.int64)
    micros = start_us + np.floor(time_all[order] * _WEEK_US).astype(np.int64)
    # the columns obey the table's rules by construction (codes in range, amounts and
    # costs >= 0 and finite, scores exactly on survey rows): no second pass of checks
    table = TouchpointTable._trusted(
        customer_id=readonly(owner_all[order]),
        timestamp=readonly(micros.view("datetime64[us]")),
        channel=readonly(np.concatenate(channels)[order]),
        kind=readonly(kind_all[order]),
        amount=readonly(np.concatenate(amounts)[order]),
        cost=readonly(np.concatenate(costs)[order]),
        score=readonly(score_all[order]),
        unit=None,
    )
    acquired_us = start_us + np.floor(acquired * _WEEK_US).astype(np.int64)
    channel_models = {
        name: type(model)(r=model.r, alpha=model.alpha / m, a=model.a, b=model.b / d)
        for name, m, d in zip(names, rate_mult.tolist(), drop_mult.tolist(), strict=True)
    }
    segment_spend = {
        name: GammaGamma(p=spend.p, q=spend.q, gamma=spend.gamma * s)
        for name, s in zip(segments, seg_spend.tolist(), strict=True)
    }
    return SimulatedBase(
        touchpoints=table,
        customers=who.astype(np.int64),
        acquisition_channel=np.array(names)[channel],
        segment=np.array(segments)[segment],
        acquired_at=acquired_us.view("datetime64[us]"),
        alive_at_end=~dead,
        purchase_rate=rate,
        dropout_probability=dropout,
        satisfaction=satisfaction,
        repeat_purchases=repeats.astype(np.int64),
        start=begin,
        end=finish,
        purchase_model=model,
        spend_model=spend,
        channel_models=channel_models,
        segment_spend=segment_spend,
    )


@attrs.frozen(kw_only=True, eq=False, repr=False)
class CampaignOutcome(PerCustomerTable):
    """A randomised retention campaign: who was treated, who was retained, the true effects.

    Attributes
    ----------
    customer_id : ndarray, shape (n,)
        The customers in the campaign.
    treated : ndarray of bool, shape (n,)
        Assigned to the campaign (else to the control group), at random.
    outcome : ndarray of bool, shape (n,)
        Retained (for a base: not dropped out by ``horizon`` after the campaign).
    true_baseline : ndarray of float64, shape (n,)
        Each customer's retention probability without the campaign.
    save_rate : ndarray of float64, shape (n,)
        Each customer's chance of being kept by the campaign when they would
        not have been retained otherwise.
    true_effect : ndarray of float64, shape (n,)
        The true uplift, P(retained | treated) - P(retained | control):
        ``save_rate * (1 - true_baseline)``.
    true_average_effect : float
        The mean of ``true_effect`` over the customers: what the treated
        minus control difference in retention estimates without bias.
    horizon : float or None
        Weeks after the campaign at which retention is measured (None when
        ``true_baseline`` was given rather than derived).
    """

    customer_id: NDArray[Any] = attrs.field(converter=_ids_frozen)
    treated: BoolArray = attrs.field(converter=_ids_frozen)
    outcome: BoolArray = attrs.field(converter=_ids_frozen)
    true_baseline: FloatArray = attrs.field(converter=_ids_frozen)
    save_rate: FloatArray = attrs.field(converter=_ids_frozen)
    true_effect: FloatArray = attrs.field(converter=_ids_frozen)
    true_average_effect: float
    horizon: float | None

    def __len__(self) -> int:
        return int(self.customer_id.size)

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    def __repr__(self) -> str:
        return (
            f"CampaignOutcome({len(self):,} customers, {int(self.treated.sum()):,} treated, "
            f"true average effect {self.true_average_effect:.4f})"
        )

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the columns (``customer_id`` first).

        Examples
        --------
        >>> from relmark.datasets.simulate import simulate_campaign
        >>> out = simulate_campaign([1, 2, 3, 4], baseline=[0.2] * 4, effect=0.5, rng=0)
        >>> list(out.to_dict())
        ['customer_id', 'treated', 'outcome', 'true_baseline', 'save_rate', 'true_effect']
        """
        return {
            "customer_id": self.customer_id,
            "treated": self.treated,
            "outcome": self.outcome,
            "true_baseline": self.true_baseline,
            "save_rate": self.save_rate,
            "true_effect": self.true_effect,
        }


def simulate_campaign(
    population: SimulatedBase | ArrayLike,
    *,
    horizon: float = 52.0,
    treated_share: float = 0.5,
    baseline: ArrayLike | None = None,
    effect: float | ArrayLike = 0.5,
    rng: np.random.Generator | int | None = None,
) -> CampaignOutcome:
    r"""Simulate a randomised retention campaign with a known per-customer effect.

    At the end of a simulated base (or for any customers with given
    probabilities), each customer is assigned to the campaign or to a
    control group by complete randomisation; each is retained or not, with
    a probability from their true state, raised for the treated by a known
    effect.

    Parameters
    ----------
    population : SimulatedBase or array_like
        A base from :func:`simulate_touchpoints` (the campaign runs at its
        ``end``, on all its customers), or the ids of the customers.
    horizon : float, default 52
        Weeks after the campaign at which a customer of a base must still
        be alive to count as retained (> 0); used to derive ``baseline``.
    treated_share : float, default 0.5
        Share of customers treated, in (0, 1): ``round(treated_share * n)``
        of them, at least one in each group.
    baseline : array_like, optional
        Each customer's retention probability without the campaign, in
        [0, 1].  Default for a base: its truth (see Notes); required with ids.
    effect : float or array_like, default 0.5
        The save rate, in [0, 1]: the chance a treated customer who would
        not have been retained is.  A float for a base is the save rate of
        its most frequent buyers (see Notes); an array gives each
        customer's own (for a base, still 0 for the dead).  On a base the
        average effect is small (about 0.02 at the default): a 90 %
        interval of it is at most about ``+- 1.645 sqrt(1 / n)`` wide for ``n``
        customers split in half, so measuring it needs ``n`` in the tens of
        thousands, or a larger ``effect``.
    rng : numpy.random.Generator or int or None
        Source of randomness.

    Returns
    -------
    CampaignOutcome

    Raises
    ------
    TypeError
        For a ``population`` that is neither.
    ValidationError
        For a ``treated_share`` outside (0, 1) or that leaves a group empty,
        probabilities outside [0, 1], ids without ``baseline``, arrays not
        one per customer, or more than 10^8 customers.

    Notes
    -----
    Potential outcomes, drawn with one uniform :math:`U_i` per customer:
    :math:`Y_i(0) = [U_i < b_i]` and :math:`Y_i(1) = [U_i < b_i + \tau_i]`,
    with the true effect :math:`\tau_i = s_i (1 - b_i)` (a saved customer
    is one who would not have been retained), so treatment never hurts and
    :math:`P(Y_i(1)) - P(Y_i(0)) = \tau_i` exactly.  The observed outcome is
    :math:`Y_i(W_i)` for the random assignment :math:`W_i`.  Because the
    assignment is independent of :math:`U`, the difference of the treated
    and control retention rates is unbiased for :math:`\bar\tau =
    \frac{1}{n} \sum_i \tau_i` (``true_average_effect``), with variance
    about :math:`\bar p_1 (1 - \bar p_1)/n_1 + \bar p_0 (1 - \bar p_0)/n_0`
    (Neyman's, slightly conservative).

    For a base, retained means not having dropped out by ``horizon`` weeks
    after ``end`` (the BG/NBD truth, known to the simulation).  An alive
    customer buys at rate :math:`\lambda_i` and leaves after each purchase
    with probability :math:`p_i`, so they are still there after :math:`h`
    weeks with probability :math:`b_i = E[(1 - p_i)^{N(h)}] = e^{-\lambda_i
    p_i h}` (a thinned Poisson process); the dead have :math:`b_i = 0`.  The
    save rate grows with the customer's repeat purchases so far
    :math:`x_i`: :math:`s_i = e \, x_i / (x_i + 1)` for the alive (0 for
    one-time buyers, near :math:`e` for frequent ones) and 0 for the dead,
    who cannot be saved.  Frequent buyers, who also risk more dropouts,
    respond most, so an uplift model on relmark's summary features
    (frequency, recency, ...) can find them.

    References
    ----------
    Imbens, G. W., & Rubin, D. B. (2015). *Causal Inference for Statistics,
    Social, and Biomedical Sciences*. Cambridge University Press, ch. 6
    (Neyman's repeated sampling approach to completely randomised experiments).

    Examples
    --------
    >>> from relmark.datasets.simulate import simulate_campaign, simulate_touchpoints
    >>> base = simulate_touchpoints(2000, rng=5)
    >>> out = simulate_campaign(base, rng=6)
    >>> int(out.treated.sum()), bool((out.true_effect[~base.alive_at_end] == 0).all())
    (1000, True)
    >>> 0.0 < out.true_average_effect < 0.3
    True
    """
    share = as_scalar("treated_share", treated_share, low=0.0, high=1.0, low_open=True,
                      high_open=True)  # fmt: skip
    weeks = as_scalar("horizon", horizon, low=0.0, low_open=True)
    if isinstance(population, SimulatedBase):
        ids: NDArray[Any] = population.customers
        n = ids.size
        alive = population.alive_at_end
    elif isinstance(population, (str, bytes, Mapping)) or population is None:
        raise TypeError(
            "`population` must be a SimulatedBase or an array of customer ids, "
            f"got {type(population).__name__}"
        )
    else:
        ids = _checked_ids(population)  # no missing or empty ids, as in a TouchpointTable
        n = ids.size
        if n > MAX_SIMULATED_CUSTOMERS:
            raise ValidationError(
                f"`population` has {n:,} customers; at most "
                f"{MAX_SIMULATED_CUSTOMERS:,} are supported"
            )
        alive = None
    if n < 2:
        raise ValidationError(f"`population` needs at least 2 customers, got {n}")
    if baseline is not None:
        base_p = as_float_array("baseline", baseline, low=0.0, high=1.0, noun="customers")
        check_same_length({"population": ids, "baseline": base_p})
        used_horizon: float | None = None
    elif isinstance(population, SimulatedBase):
        hazard = population.purchase_rate * population.dropout_probability
        base_p = np.where(population.alive_at_end, np.exp(-hazard * weeks), 0.0)
        used_horizon = weeks
    else:
        raise ValidationError("`baseline` is required when `population` is an array of ids")
    if np.ndim(effect) == 0:
        rate = as_probability("effect", effect)
        if isinstance(population, SimulatedBase):
            x = population.repeat_purchases.astype(np.float64)
            save = rate * x / (x + 1.0)
        else:
            save = np.full(n, rate)
    else:
        save = as_float_array("effect", effect, low=0.0, high=1.0, noun="customers")
        check_same_length({"population": ids, "effect": save})
    if alive is not None:
        save = np.where(alive, save, 0.0)
    treated_n = round(share * n)
    if not 0 < treated_n < n:
        raise ValidationError(
            f"`treated_share` = {share:g} of {n:,} customers leaves a group empty "
            f"({treated_n:,} treated); both groups need a customer"
        )
    gen = as_rng(rng)
    treated = np.zeros(n, dtype=bool)
    treated[gen.permutation(n)[:treated_n]] = True
    tau = save * (1.0 - base_p)
    draw = gen.random(n)
    outcome = draw < base_p + np.where(treated, tau, 0.0)
    return CampaignOutcome(
        customer_id=ids,
        treated=treated,
        outcome=outcome,
        true_baseline=base_p,
        save_rate=save,
        true_effect=tau,
        true_average_effect=float(tau.mean()),
        horizon=used_horizon,
    )
