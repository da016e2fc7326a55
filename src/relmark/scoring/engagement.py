"""Engagement from touchpoints: time-decayed, weighted by channel and kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from relmark._validation import FloatArray, as_scalar, readonly
from relmark.data._keys import factorize
from relmark.data.timeaxis import TIME_UNITS, as_instant, as_time_unit
from relmark.data.touchpoints import CHANNELS, KINDS, TouchpointTable
from relmark.domain.channels import Channel, Office, TouchpointKind

__all__ = ["DEFAULT_KIND_WEIGHTS", "Engagement", "engagement"]

#: Weight of each kind of touchpoint: what the customer chose to do counts
#: most; messages the firm sent count nothing, answers to complaints too.
DEFAULT_KIND_WEIGHTS: Mapping[TouchpointKind, float] = {
    TouchpointKind.PURCHASE: 3.0,
    TouchpointKind.REFERRAL: 3.0,
    TouchpointKind.REWARD_REDEMPTION: 2.0,
    TouchpointKind.SURVEY_RESPONSE: 2.0,
    TouchpointKind.VISIT: 1.0,
    TouchpointKind.CLICK: 1.0,
    TouchpointKind.MESSAGE_OPENED: 0.5,
    TouchpointKind.SUPPORT_REQUEST: 0.5,
    TouchpointKind.COMPLAINT: 0.5,
    TouchpointKind.RETURN: 0.5,
    TouchpointKind.OTHER: 0.5,
    TouchpointKind.MESSAGE_SENT: 0.0,
    TouchpointKind.COMPLAINT_RESPONSE: 0.0,
}
_COMPLAINT = KINDS.index(TouchpointKind.COMPLAINT)
_RESPONSE = KINDS.index(TouchpointKind.COMPLAINT_RESPONSE)
_BACK = np.array([channel.office is Office.BACK for channel in CHANNELS])


@attrs.frozen(kw_only=True)
class Engagement:
    """Engagement of each customer with their touchpoints up to a date.

    Attributes
    ----------
    customer_id : ndarray
        Sorted distinct customers.
    score : ndarray
        Sum of touchpoint weights, each halved every ``half_life``.
    counts : ndarray, shape (n, channels)
        Touchpoints per channel (columns in ``channels`` order).
    channels : tuple of str
        Channel names of the ``counts`` columns.
    channels_used : ndarray of int
        Distinct channels each customer used.
    back_office_share : ndarray
        Share of their touchpoints on back-office channels.
    complaints, complaints_answered : ndarray of int
        Complaints, and those followed by a complaint response.
    mean_response_time : ndarray
        Mean time from complaint to its first response, in ``unit``, over the
        answered complaints (0 where none was answered).

    Examples
    --------
    >>> import relmark
    >>> t = relmark.TouchpointTable.from_arrays(
    ...     ["a", "a", "b"], [0.0, 7.0, 14.0], ["web", "billing", "app"],
    ...     ["visit", "complaint", "click"],
    ... )
    >>> e = relmark.engagement(t, as_of=14.0, half_life=7.0)
    >>> e.score.tolist(), e.back_office_share.tolist()
    ([0.5, 1.0], [0.5, 0.0])
    """

    customer_id: NDArray[Any]
    score: FloatArray
    counts: NDArray[np.int64]
    channels: tuple[str, ...]
    channels_used: NDArray[np.int64]
    back_office_share: FloatArray
    complaints: NDArray[np.int64]
    complaints_answered: NDArray[np.int64]
    mean_response_time: FloatArray


def _weights(
    given: Mapping[Any, float] | None, members: list[Any], defaults: Mapping[Any, float]
) -> FloatArray:
    table = {member: defaults.get(member, 1.0) for member in members}
    for key, value in (given or {}).items():
        member = type(members[0]).parse(key)
        table[member] = as_scalar(f"weight of {member.value}", value, low=0.0)
    return np.array([table[member] for member in members])


def engagement(
    touchpoints: TouchpointTable,
    *,
    as_of: Any,
    half_life: float,
    unit: str = "D",
    channel_weights: Mapping[Channel | str, float] | None = None,
    kind_weights: Mapping[TouchpointKind | str, float] | None = None,
) -> Engagement:
    r"""Score each customer's engagement from their touchpoints, most recent counting most.

    Parameters
    ----------
    touchpoints : TouchpointTable
        All contacts; those after ``as_of`` are ignored.
    as_of : datetime-like or float
        When engagement is measured.
    half_life : float
        Time after which a touchpoint counts half (> 0), in ``unit``.
    unit : str, default "D"
        Unit of ``half_life`` and response times for calendar tables; a
        numeric table's times are used as they are.
    channel_weights : mapping, optional
        Weight per channel (default 1 each); unlisted channels keep theirs.
    kind_weights : mapping, optional
        Weight per kind (defaults in :data:`DEFAULT_KIND_WEIGHTS`).

    Returns
    -------
    Engagement

    Notes
    -----
    :math:`E_i = \sum_j w_{c(j)}\,w_{k(j)}\,2^{-(t - t_j)/h}` over customer
    :math:`i`'s touchpoints :math:`j` at or before :math:`t`; a touchpoint
    never counts more as it ages.  Complaint response time: each complaint
    is matched to the customer's first complaint response at or after it
    (one ``np.searchsorted`` over a combined (customer, time) key).

    Examples
    --------
    >>> import relmark
    >>> t = relmark.TouchpointTable.from_arrays(
    ...     [1, 1, 1], ["2024-01-01", "2024-01-01T06:00", "2024-01-10"],
    ...     ["phone", "phone", "email"], ["complaint", "complaint_response", "click"],
    ... )
    >>> e = relmark.engagement(t, as_of="2024-01-10", half_life=30.0, unit="D")
    >>> e.complaints.tolist(), e.mean_response_time.tolist()
    ([1], [0.25])
    """
    if not isinstance(touchpoints, TouchpointTable):
        raise TypeError(
            f"`touchpoints` must be a TouchpointTable, got {type(touchpoints).__name__}"
        )
    life = as_scalar("half_life", half_life, low=0.0, low_open=True)
    if touchpoints.is_calendar:
        scale = 1e6 * TIME_UNITS[as_time_unit(unit)]
        times = touchpoints.timestamp.view(np.int64) / scale
        end = as_instant(as_of, name="as_of", calendar=True)
        now = float(np.asarray(end, dtype="datetime64[us]").view(np.int64)) / scale
    else:
        times = touchpoints.timestamp.astype(np.float64)
        now = float(as_instant(as_of, name="as_of", calendar=False))
    channel_w = _weights(channel_weights, CHANNELS, {})
    kind_w = _weights(kind_weights, KINDS, DEFAULT_KIND_WEIGHTS)
    seen = times <= now
    customers, owner = factorize(touchpoints.customer_id)
    n = customers.size
    decay = np.exp2(-(now - times) / life)
    weight = np.where(seen, channel_w[touchpoints.channel] * kind_w[touchpoints.kind] * decay, 0.0)
    score = np.bincount(owner, weights=weight, minlength=n)
    cell = owner * len(CHANNELS) + touchpoints.channel
    counts = np.bincount(cell[seen], minlength=n * len(CHANNELS)).reshape(n, len(CHANNELS))
    total = counts.sum(axis=1)
    back = counts[:, _BACK].sum(axis=1)
    share = np.divide(back, total, out=np.zeros(n), where=total > 0)
    complaints, answered, mean_time = _complaint_responses(touchpoints, owner, times, seen, n)
    return Engagement(
        customer_id=readonly(customers),
        score=readonly(score),
        counts=readonly(counts.astype(np.int64)),
        channels=tuple(channel.value for channel in CHANNELS),
        channels_used=readonly((counts > 0).sum(axis=1).astype(np.int64)),
        back_office_share=readonly(share),
        complaints=readonly(complaints),
        complaints_answered=readonly(answered),
        mean_response_time=readonly(mean_time),
    )


def _complaint_responses(
    touchpoints: TouchpointTable,
    owner: NDArray[np.int64],
    times: FloatArray,
    seen: NDArray[np.bool_],
    n: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], FloatArray]:
    """Count complaints, match each to the customer's next response, average the waits."""
    is_complaint = seen & (touchpoints.kind == _COMPLAINT)
    is_response = seen & (touchpoints.kind == _RESPONSE)
    complaints = np.bincount(owner[is_complaint], minlength=n).astype(np.int64)
    if not is_complaint.any() or not is_response.any():
        return complaints, np.zeros(n, dtype=np.int64), np.zeros(n)
    start = float(times.min())
    span = float(times.max()) - start + 1.0
    key = owner * span + (times - start)  # orders by customer, then time
    responses = np.sort(key[is_response])
    asked = key[is_complaint]
    found = np.searchsorted(responses, asked, side="left")
    inside = found < responses.size
    match = np.where(inside, responses[np.minimum(found, responses.size - 1)], np.inf)
    same_customer = np.floor(match / span) == owner[is_complaint]
    wait = np.where(same_customer, match - asked, 0.0)
    who = owner[is_complaint]
    answered = np.bincount(who[same_customer], minlength=n).astype(np.int64)
    waited = np.bincount(who, weights=wait, minlength=n)
    mean = np.divide(waited, answered, out=np.zeros(n), where=answered > 0)
    return complaints, answered, mean
