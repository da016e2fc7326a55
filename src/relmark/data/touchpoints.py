"""`TouchpointTable`: every contact between customers and the firm, one row each."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    TimeArray,
    as_float_array,
    check_same_length,
    fail_rows,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.data.timeaxis import as_time_unit, as_times
from relmark.domain.channels import Channel, TouchpointKind
from relmark.domain.touchpoint import NEEDS_AMOUNT, Touchpoint
from relmark.exceptions import ValidationError

__all__ = ["TouchpointTable"]

CHANNELS = list(Channel)
KINDS = list(TouchpointKind)
_SURVEY = KINDS.index(TouchpointKind.SURVEY_RESPONSE)
_NEEDS_AMOUNT = [KINDS.index(kind) for kind in NEEDS_AMOUNT]
_COLUMNS = ("customer_id", "timestamp", "channel", "kind", "amount", "cost", "score")
Codes = NDArray[np.int8]


def _codes(name: str, values: Iterable[Any] | ArrayLike, members: list[Any]) -> Codes:
    """Return int8 codes (positions in ``members``) of enum members, their string values, or codes.

    Integer columns are codes already (a table's own, through ``attrs.evolve``):
    checked to lie in range.  String columns are compared with each member's
    value, vectorised, not row by row.
    """
    raw = np.asarray(values).reshape(-1)
    if raw.dtype.kind in "iu":
        fail_rows(name, f"codes must lie in [0, {len(members) - 1}]",
                  (raw < 0) | (raw >= len(members)), raw)  # fmt: skip
        return readonly(raw.astype(np.int8))
    if raw.dtype.kind not in "US":
        raw = np.array([getattr(value, "value", value) for value in raw.tolist()])
    codes: Codes = np.full(raw.size, -1, dtype=np.int8)
    for code, member in enumerate(members):  # a loop over the few members, not the rows
        codes[raw == member.value] = code
    if codes.size and codes.min() < 0:
        first = int(np.argmax(codes < 0))
        known = ", ".join(repr(member.value) for member in members)
        raise ValidationError(
            f"`{name}` has unknown value {str(raw[first])!r} at index {first}; "
            f"expected one of {known}",
            argument=name,
            row=first,
            value=str(raw[first]),
        )
    return readonly(codes)


# attrs converters (named functions, for mypy's attrs plugin): read-only checked copies
def _customer_id(value: ArrayLike) -> NDArray[Any]:
    ids = np.array(value, copy=True).reshape(-1)
    if ids.dtype.kind in "UO":
        empty = np.array([not str(item).strip() for item in ids.tolist()], dtype=bool)
        fail_rows("customer_id", "must not be empty", empty)
    if ids.dtype.kind == "O":
        missing = np.array([item is None for item in ids.tolist()], dtype=bool)
        fail_rows("customer_id", "must not be missing", missing)
    elif ids.dtype.kind == "f":
        fail_rows("customer_id", "must not be missing (NaN)", np.isnan(ids))
    return readonly(ids)


def _timestamp(value: Any) -> Any:
    """Keep the column as given: it is converted with ``unit`` in ``__attrs_post_init__``."""
    return value if isinstance(value, (pa.Array, pa.ChunkedArray)) else np.asarray(value)


def _channel(value: Iterable[Any] | ArrayLike) -> Codes:
    return _codes("channel", value, CHANNELS)


def _kind(value: Iterable[Any] | ArrayLike) -> Codes:
    return _codes("kind", value, KINDS)


def _amount(value: ArrayLike) -> FloatArray:
    return as_float_array("amount", value, nonnegative=True)


def _cost(value: ArrayLike) -> FloatArray:
    return as_float_array("cost", value, nonnegative=True)


def _score(value: ArrayLike) -> FloatArray:
    return readonly(np.array(value, dtype=np.float64, copy=True).reshape(-1))


def _unit(value: object) -> str | None:
    return None if value is None else as_time_unit(value)


@attrs.frozen(kw_only=True, eq=False, repr=False)
class TouchpointTable:
    """Touchpoints as read-only columns, built once from objects or arrays.

    The constructor (and so ``attrs.evolve``) checks every rule of
    :meth:`from_arrays`; the arrays are read-only copies, read-only again
    after unpickling.

    Attributes
    ----------
    customer_id : ndarray, shape (n,)
        Who.
    timestamp : ndarray, shape (n,)
        When: ``datetime64[us]`` (UTC for aware datetimes) or float64
        (the rules of :func:`relmark.data.as_times`).
    channel, kind : ndarray of int8, shape (n,)
        Codes: positions in ``list(Channel)`` and ``list(TouchpointKind)``.
    amount, cost : ndarray of float64, shape (n,)
        Purchase or return value and cost to serve; 0 where absent.
    score : ndarray of float64, shape (n,)
        Survey answers; NaN on rows that are not survey responses (the one
        place a NaN means "no value").
    unit : str or None
        For numeric timestamps, their unit (None: unspecified).

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

    customer_id: NDArray[Any] = attrs.field(converter=_customer_id)
    timestamp: TimeArray = attrs.field(converter=_timestamp)
    channel: Codes = attrs.field(converter=_channel)
    kind: Codes = attrs.field(converter=_kind)
    amount: FloatArray = attrs.field(converter=_amount)
    cost: FloatArray = attrs.field(converter=_cost)
    score: FloatArray = attrs.field(converter=_score)
    unit: str | None = attrs.field(default=None, converter=_unit)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "timestamp", as_times(self.timestamp, unit=self.unit))
        check_same_length({field: getattr(self, field) for field in _COLUMNS})
        survey = self.kind == _SURVEY
        answers = self.score
        fail_rows("score", "must be finite on survey responses", survey & ~np.isfinite(answers))
        fail_rows(
            "score", "must be NaN (absent) on other touchpoints", ~survey & ~np.isnan(answers)
        )

    @classmethod
    def _trusted(cls, **fields: Any) -> TouchpointTable:
        """Build from columns already checked (read-only, consistent): no checks.

        For relmark's own fast paths only (:meth:`select`).
        """
        table = object.__new__(cls)
        for field in attrs.fields(cls):
            object.__setattr__(table, field.name, fields.get(field.name, field.default))
        return table

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
        *,
        unit: str | None = None,
        date_format: str | None = None,
    ) -> TouchpointTable:
        """Build a table from columns (copied; the caller's arrays are never changed).

        Parameters
        ----------
        customer_id : array_like
            Who (no empty strings).
        timestamp : array_like
            When: datetimes, strict ISO-8601 strings or numbers in a time
            unit (the rules of :func:`relmark.data.as_times`).
        channel, kind : array_like
            :class:`~relmark.Channel` / :class:`~relmark.TouchpointKind`
            members or their string values.
        amount : array_like, optional
            >= 0; required (finite) on purchase and return rows.
        cost : array_like, optional
            Cost to serve, >= 0.
        score : array_like, optional
            Survey answers on survey-response rows (finite there), NaN elsewhere.
        unit : str, optional
            Unit of numeric timestamps; declares them numbers.
        date_format : str, optional
            strftime layout of text timestamps (e.g. ``"%d.%m.%Y"``).

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
        n = int(np.size(customer_id))
        table = cls(
            customer_id=customer_id,
            timestamp=as_times(timestamp, name="timestamp", date_format=date_format, unit=unit),
            channel=channel,
            kind=kind,
            amount=np.zeros(n) if amount is None else amount,
            cost=np.zeros(n) if cost is None else cost,
            score=np.full(n, np.nan) if score is None else score,
            unit=unit,
        )
        if amount is None and np.isin(table.kind, _NEEDS_AMOUNT).any():
            raise ValidationError("`amount` is required: the table has purchases or returns")
        return table

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
        picked = {name: readonly(getattr(self, name)[rows]) for name in _COLUMNS}
        return TouchpointTable._trusted(**picked, unit=self.unit)
