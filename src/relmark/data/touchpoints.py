"""`TouchpointTable`: every contact between customers and the firm, one row each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    TimeArray,
    as_float_array,
    as_timestamps,
    check_same_length,
    fail_rows,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.domain.channels import Channel, TouchpointKind
from relmark.domain.touchpoint import NEEDS_AMOUNT, Touchpoint
from relmark.exceptions import ValidationError

__all__ = ["TouchpointTable"]

CHANNELS = list(Channel)
KINDS = list(TouchpointKind)
_SURVEY = KINDS.index(TouchpointKind.SURVEY_RESPONSE)
_NEEDS_AMOUNT = [KINDS.index(kind) for kind in NEEDS_AMOUNT]
Codes = NDArray[np.int8]


def _codes(name: str, values: Iterable[Any] | ArrayLike, members: list[Any]) -> Codes:
    """Return int8 codes (positions in ``members``) of enum members or their string values.

    String columns are compared with each member's value, vectorised, not row by row.
    """
    raw = np.asarray(values)
    if raw.dtype.kind not in "US":
        raw = np.array([getattr(value, "value", value) for value in raw.reshape(-1).tolist()])
    raw = raw.reshape(-1)
    codes: Codes = np.full(raw.size, -1, dtype=np.int8)
    for code, member in enumerate(members):  # a loop over the few members, not the rows
        codes[raw == member.value] = code
    if codes.size and codes.min() < 0:
        first = int(np.argmax(codes < 0))
        known = ", ".join(repr(member.value) for member in members)
        raise ValidationError(
            f"`{name}` has unknown value {str(raw[first])!r} at index {first}; "
            f"expected one of {known}"
        )
    return codes


@attrs.frozen(kw_only=True, eq=False, repr=False)
class TouchpointTable:
    """Touchpoints as read-only columns, built once from objects or arrays.

    Attributes
    ----------
    customer_id : ndarray, shape (n,)
        Who.
    timestamp : ndarray, shape (n,)
        When: ``datetime64[us]`` (UTC for aware datetimes) or float64.
    channel, kind : ndarray of int8, shape (n,)
        Codes: positions in ``list(Channel)`` and ``list(TouchpointKind)``.
    amount, cost : ndarray of float64, shape (n,)
        Purchase or return value and cost to serve; 0 where absent.
    score : ndarray of float64, shape (n,)
        Survey answers; NaN on rows that are not survey responses (the one
        place a NaN means "no value").

    Examples
    --------
    >>> import relmark
    >>> table = relmark.TouchpointTable.from_arrays(
    ...     customer_id=["ann", "ann", "bob"],
    ...     timestamp=["2024-01-03", "2024-01-09", "2024-01-05"],
    ...     channel=["web", "email", "store"],
    ...     kind=["purchase", "survey_response", "purchase"],
    ...     amount=[30.0, 0.0, 12.0],
    ...     score=[float("nan"), 9.0, float("nan")],
    ... )
    >>> len(table), table.of_kind("purchase").tolist()
    (3, [True, False, True])
    """

    customer_id: NDArray[Any]
    timestamp: TimeArray
    channel: Codes
    kind: Codes
    amount: FloatArray
    cost: FloatArray
    score: FloatArray

    @classmethod
    def from_arrays(
        cls,
        customer_id: ArrayLike,
        timestamp: ArrayLike,
        channel: Iterable[Any] | ArrayLike,
        kind: Iterable[Any] | ArrayLike,
        amount: ArrayLike | None = None,
        cost: ArrayLike | None = None,
        score: ArrayLike | None = None,
    ) -> TouchpointTable:
        """Build a table from columns (copied; the caller's arrays are never changed).

        Parameters
        ----------
        customer_id : array_like
            Who (no empty strings).
        timestamp : array_like
            When: datetimes, ISO-8601 strings or numbers in a time unit.
        channel, kind : array_like
            :class:`~relmark.Channel` / :class:`~relmark.TouchpointKind`
            members or their string values.
        amount : array_like, optional
            >= 0; required (finite) on purchase and return rows.
        cost : array_like, optional
            Cost to serve, >= 0.
        score : array_like, optional
            Survey answers on survey-response rows (finite there), NaN elsewhere.

        Returns
        -------
        TouchpointTable

        Raises
        ------
        ValidationError
            Naming the column, the rule, how many rows break it and the first.

        Examples
        --------
        >>> import relmark
        >>> relmark.TouchpointTable.from_arrays(
        ...     [1, 2], [0.0, 1.0], ["web", "web"], ["purchase", "visit"], amount=[-5.0, 0.0]
        ... )
        Traceback (most recent call last):
        ...
        relmark.exceptions.ValidationError: `amount` must be >= 0; 1 of 2 rows violate this (first at index 0: -5.0)
        """  # noqa: E501
        ids = np.array(customer_id, copy=True).reshape(-1)
        n = ids.size
        if ids.dtype.kind in "UO":
            empty = np.array([not str(value).strip() for value in ids.tolist()], dtype=bool)
            fail_rows("customer_id", "must not be empty", empty)
        columns: dict[str, Any] = {"customer_id": ids}
        columns["timestamp"] = as_timestamps("timestamp", timestamp)
        columns["channel"] = _codes("channel", channel, CHANNELS)
        columns["kind"] = _codes("kind", kind, KINDS)
        zeros = np.zeros(n)
        columns["amount"] = (
            zeros if amount is None else as_float_array("amount", amount, nonnegative=True)
        )
        columns["cost"] = zeros if cost is None else as_float_array("cost", cost, nonnegative=True)
        check_same_length(columns)
        if amount is None and np.isin(columns["kind"], _NEEDS_AMOUNT).any():
            raise ValidationError("`amount` is required: the table has purchases or returns")
        answers = np.full(n, np.nan)
        if score is not None:
            answers = np.array(score, dtype=np.float64, copy=True).reshape(-1)
            check_same_length({"customer_id": ids, "score": answers})
        survey = columns["kind"] == _SURVEY
        fail_rows("score", "must be finite on survey responses", survey & ~np.isfinite(answers))
        fail_rows(
            "score", "must be NaN (absent) on other touchpoints", ~survey & ~np.isnan(answers)
        )
        return cls(
            customer_id=readonly(ids),
            timestamp=readonly(np.array(columns["timestamp"], copy=True)),
            channel=readonly(columns["channel"]),
            kind=readonly(columns["kind"]),
            amount=readonly(np.array(columns["amount"], dtype=np.float64, copy=True)),
            cost=readonly(np.array(columns["cost"], dtype=np.float64, copy=True)),
            score=readonly(answers),
        )

    @classmethod
    def from_touchpoints(cls, touchpoints: Iterable[Touchpoint]) -> TouchpointTable:
        """Build a table from :class:`~relmark.Touchpoint` objects (already validated).

        Parameters
        ----------
        touchpoints : iterable of Touchpoint

        Returns
        -------
        TouchpointTable

        Raises
        ------
        TypeError
            If an item is not a Touchpoint.
        ValidationError
            If timezone-aware and naive datetimes are mixed, or calendar and
            numeric times.

        Examples
        --------
        >>> import relmark
        >>> visit = relmark.Touchpoint(customer_id=7, timestamp=3.0, channel="app", kind="visit")
        >>> relmark.TouchpointTable.from_touchpoints([visit]).channel.tolist()
        [8]
        """
        items = list(touchpoints)
        for position, item in enumerate(items):
            if not isinstance(item, Touchpoint):
                raise TypeError(f"item {position} is a {type(item).__name__}, not a Touchpoint")
        awareness = {item.timezone_aware for item in items} - {None}
        if len(awareness) > 1:
            raise ValidationError(
                "`timestamp` mixes timezone-aware and naive datetimes; use one or the other"
            )
        kinds = {isinstance(item.timestamp, float) for item in items}
        if len(kinds) > 1:
            raise ValidationError("`timestamp` mixes calendar times and plain numbers")
        return cls.from_arrays(
            customer_id=np.array([item.customer_id for item in items]),
            timestamp=np.array([item.timestamp for item in items]),
            channel=[item.channel for item in items],
            kind=[item.kind for item in items],
            amount=[item.amount or 0.0 for item in items],
            cost=[item.cost for item in items],
            score=[np.nan if item.score is None else item.score for item in items],
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    def __len__(self) -> int:
        return int(self.customer_id.size)

    def __repr__(self) -> str:
        return f"TouchpointTable({len(self):,} touchpoints)"

    @property
    def is_calendar(self) -> bool:
        """Whether timestamps are calendar times (``datetime64``) rather than numbers."""
        return self.timestamp.dtype.kind == "M"

    def of_kind(self, *kinds: TouchpointKind | str) -> NDArray[np.bool_]:
        """Return a mask of the rows of any of ``kinds``.

        Examples
        --------
        >>> import relmark
        >>> t = relmark.TouchpointTable.from_arrays(
        ...     [1, 1], [0.0, 1.0], ["web", "phone"], ["visit", "complaint"]
        ... )
        >>> t.of_kind("complaint", "return").tolist()
        [False, True]
        """
        codes = [KINDS.index(TouchpointKind.parse(kind)) for kind in kinds]  # type: ignore[arg-type]
        return np.isin(self.kind, codes)

    def select(self, mask: ArrayLike) -> TouchpointTable:
        """Return the rows where ``mask`` is true.

        Examples
        --------
        >>> import relmark
        >>> t = relmark.TouchpointTable.from_arrays([1, 2], [0.0, 1.0], ["web"] * 2, ["visit"] * 2)
        >>> len(t.select([False, True]))
        1
        """
        rows = np.asarray(mask, dtype=bool)
        if rows.shape != (len(self),):
            raise ValidationError(f"`mask` must have one entry per row ({len(self):,})")
        return TouchpointTable(
            **{
                field.name: readonly(getattr(self, field.name)[rows])
                for field in attrs.fields(TouchpointTable)
            }
        )
