r"""Kaplan–Meier retention curves of subscribers, with Greenwood log(-log) bands.

The estimator assumes nothing about how churn changes with tenure: it is the
share of a cohort still subscribed, estimated period by period (or at each
distinct churn time) from individual tenures, where subscribers still active
at the end of observation are right-censored.  It is the yardstick the
parametric contract models (:class:`~relmark.ShiftedBetaGeo`, the
beta-discrete-Weibull) are checked against: :func:`relmark.models.retention_check.compare_retention`
fits them on a calibration period and compares their projections with this
curve over the holdout.

One result shape, :class:`RetentionCurve`: a long table with one row per
(group, time), a ``group`` column when ``groups`` are given, and
:meth:`RetentionCurve.curve` to take one group's curve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, overload

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    MAX_STEPS,
    BoolArray,
    FloatArray,
    IntArray,
    as_bool_array,
    as_flag,
    as_float_array,
    as_level,
    as_scalar,
    as_survivor_counts,
    check_same_length,
    check_size,
    check_whole,
    fail_rows,
    readonly,
)
from relmark.data._keys import factorize
from relmark.data._tables import PerCustomerTable
from relmark.exceptions import ValidationError

__all__ = ["RetentionCurve", "kaplan_meier", "tenures_from_survivors"]

#: Most rows (group x period) a discrete curve may have.
MAX_ROWS = 10_000_000


def _readonly_floats(value: ArrayLike) -> FloatArray:
    if (
        isinstance(value, np.ndarray)
        and value.dtype == np.float64
        and value.base is None
        and not value.flags.writeable
    ):
        return value  # read-only and owning its memory: nobody can change it
    return readonly(np.array(value, dtype=np.float64, copy=True))


def _readonly_or_none(value: ArrayLike | None) -> FloatArray | None:
    return None if value is None else _readonly_floats(value)


def _readonly_labels(value: ArrayLike | None) -> NDArray[Any] | None:
    return None if value is None else readonly(np.array(value, copy=True))


@attrs.frozen(kw_only=True, eq=False, repr=False)
class RetentionCurve(PerCustomerTable):
    r"""Kaplan–Meier retention curves as a long table: what :func:`kaplan_meier` returns.

    One row per (group, time): for discrete data every whole period from 1
    to the group's longest tenure, for continuous data each distinct time
    > 0 at which a subscriber churned or was censored.  Rows are sorted by
    group, then time.  Before the first row the survival is 1.

    Attributes
    ----------
    time : ndarray, shape (m,)
        Periods (discrete) or times (continuous).
    at_risk : ndarray, shape (m,)
        Subscribers (weighted) still subscribed just before ``time``: those
        whose tenure is >= ``time``.
    churned : ndarray, shape (m,)
        Subscribers who churned at ``time``.
    censored : ndarray, shape (m,)
        Subscribers still active whose observation ends at ``time``.
    survival : ndarray, shape (m,)
        :math:`\hat S(t)`, the share still subscribed after ``time``.
    std_error : ndarray, shape (m,)
        Greenwood's standard error of :math:`\hat S(t)` (0 where it is 0).
    lower, upper : ndarray, shape (m,)
        The pointwise ``level`` band on the log(-log) scale; both equal
        :math:`\hat S(t)` where it is 1 (nobody has churned yet) or 0.
    retention_rate : ndarray, shape (m,) or None
        For discrete data, :math:`\hat S(t)/\hat S(t-1)`: the share of the
        subscribers of period ``t - 1`` who renew in period ``t``; None for
        continuous data.
    group : ndarray, shape (m,) or None
        Each row's group label, when ``groups`` were given.
    groups : ndarray, shape (k,) or None
        The distinct groups, sorted.
    subscribers : ndarray, shape (k,) or (1,)
        Subscribers (weighted) in each group (or in all, without groups).
    level : float
        Confidence level of the band.
    discrete : bool
        Whether the times are whole periods.

    Examples
    --------
    >>> from relmark.models.kaplan_meier import kaplan_meier
    >>> curve = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    >>> curve.survival.round(3).tolist()
    [0.8, 0.6, 0.3, 0.3]
    >>> curve
    RetentionCurve(4 periods, 5 subscribers, level=0.9)
    """

    time: FloatArray = attrs.field(converter=_readonly_floats)
    at_risk: FloatArray = attrs.field(converter=_readonly_floats)
    churned: FloatArray = attrs.field(converter=_readonly_floats)
    censored: FloatArray = attrs.field(converter=_readonly_floats)
    survival: FloatArray = attrs.field(converter=_readonly_floats)
    std_error: FloatArray = attrs.field(converter=_readonly_floats)
    lower: FloatArray = attrs.field(converter=_readonly_floats)
    upper: FloatArray = attrs.field(converter=_readonly_floats)
    retention_rate: FloatArray | None = attrs.field(converter=_readonly_or_none)
    group: NDArray[Any] | None = attrs.field(converter=_readonly_labels)
    groups: NDArray[Any] | None = attrs.field(converter=_readonly_labels)
    subscribers: FloatArray = attrs.field(converter=_readonly_floats)
    level: float
    discrete: bool

    def __attrs_post_init__(self) -> None:
        columns: dict[str, NDArray[Any]] = {
            name: column for name, column in self.to_dict().items() if column.ndim == 1
        }
        if len(columns) != len(self.to_dict()):
            raise ValidationError("every column of a RetentionCurve must be one-dimensional")
        check_same_length(columns)
        if (self.group is None) != (self.groups is None):
            raise ValidationError("`group` and `groups` must both be given or both be None")
        fail_rows("survival", "must lie in [0, 1]", (self.survival < 0) | (self.survival > 1))
        fail_rows("lower", "must be <= `survival`", self.lower > self.survival)
        fail_rows("upper", "must be >= `survival`", self.upper < self.survival)

    def __len__(self) -> int:
        return int(self.time.size)

    def __repr__(self) -> str:
        kind = "periods" if self.discrete else "times"
        where = "" if self.groups is None else f", {self.groups.size} groups"
        return (
            f"RetentionCurve({len(self)} {kind}{where}, "
            f"{float(self.subscribers.sum()):g} subscribers, level={self.level:g})"
        )

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the columns as a mapping of name to 1-D array (``group`` first when grouped).

        Examples
        --------
        >>> from relmark.models.kaplan_meier import kaplan_meier
        >>> list(kaplan_meier([1, 2], [True, False]).to_dict())
        ['time', 'at_risk', 'churned', 'censored', 'survival', 'std_error', 'lower', 'upper', 'retention_rate']
        """  # noqa: E501
        columns: dict[str, NDArray[Any]] = {} if self.group is None else {"group": self.group}
        columns.update(
            time=self.time,
            at_risk=self.at_risk,
            churned=self.churned,
            censored=self.censored,
            survival=self.survival,
            std_error=self.std_error,
            lower=self.lower,
            upper=self.upper,
        )
        if self.retention_rate is not None:
            columns["retention_rate"] = self.retention_rate
        return columns

    # ------------------------------------------------------------------ one group
    def curve(self, group: object) -> RetentionCurve:
        """Return one group's curve (without a ``group`` column).

        Parameters
        ----------
        group : object
            One of :attr:`groups`.

        Returns
        -------
        RetentionCurve

        Raises
        ------
        ValidationError
            If the curve has no groups, or ``group`` is not one of them.

        Examples
        --------
        >>> from relmark.models.kaplan_meier import kaplan_meier
        >>> curves = kaplan_meier(
        ...     [1, 2, 1, 3], [True, False, True, True], groups=["a", "a", "b", "b"]
        ... )
        >>> curves.curve("b").survival.tolist()
        [0.5, 0.5, 0.0]
        """
        if self.groups is None or self.group is None:
            raise ValidationError(
                "`group` is only for curves estimated with `groups`; this curve has none",
                argument="group",
            )
        index = self._group_index(group)
        rows = self.group == self.groups[index]
        return attrs.evolve(
            self,
            time=self.time[rows],
            at_risk=self.at_risk[rows],
            churned=self.churned[rows],
            censored=self.censored[rows],
            survival=self.survival[rows],
            std_error=self.std_error[rows],
            lower=self.lower[rows],
            upper=self.upper[rows],
            retention_rate=None if self.retention_rate is None else self.retention_rate[rows],
            group=None,
            groups=None,
            subscribers=self.subscribers[index : index + 1],
        )

    def _group_index(self, group: object) -> int:
        assert self.groups is not None
        known = self.groups.tolist()  # the k distinct labels, not the subscribers
        text = isinstance(group, (str, bytes))
        for index, label in enumerate(known):  # 1 matches 1.0 and np.int64(1), never "1"
            if isinstance(label, (str, bytes)) == text and label == group:
                return index
        shown = ", ".join(repr(g) for g in known[:10])
        more = ", ..." if len(known) > 10 else ""
        raise ValidationError(
            f"`group` must be one of {shown}{more}, got {group!r}", argument="group"
        )

    def _single(self, group: object) -> RetentionCurve:
        """Return the curve itself (no groups) or its ``group``'s curve."""
        if self.groups is None:
            if group is not None:
                return self.curve(group)  # raises: the curve has no groups
            return self
        if group is None:
            shown = ", ".join(repr(g) for g in self.groups.tolist()[:10])
            raise ValidationError(
                f"this curve has groups ({shown}{', ...' if self.groups.size > 10 else ''}): "
                "pass `group`, or take one with `curve(group)`",
                argument="group",
            )
        return self.curve(group)

    @overload
    def survival_at(self, t: float, *, group: object = None) -> float: ...

    @overload
    def survival_at(
        self, t: NDArray[Any] | Sequence[float], *, group: object = None
    ) -> FloatArray: ...

    def survival_at(
        self, t: float | NDArray[Any] | Sequence[float], *, group: object = None
    ) -> float | FloatArray:
        r"""Return :math:`\hat S(t)`, the step function, at any times >= 0.

        Parameters
        ----------
        t : float or array_like
            Times >= 0 (any real number, also between periods).
        group : object, optional
            The group, for a curve with groups.

        Returns
        -------
        float or ndarray
            1 before the first row; beyond the last row, the last value (the
            estimate is not defined past the longest tenure observed).

        Raises
        ------
        ValidationError
            If a time is negative or NaN, or ``group`` is missing or unknown.

        Examples
        --------
        >>> from relmark.models.kaplan_meier import kaplan_meier
        >>> curve = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
        >>> curve.survival_at([0, 1.5, 3, 10]).round(3).tolist()
        [1.0, 0.8, 0.3, 0.3]
        """
        scalar = np.ndim(t) == 0
        times = as_float_array("t", np.atleast_1d(np.asarray(t)), nonnegative=True)
        one = self._single(group)
        values = one._step(times)
        return float(values[0]) if scalar else values

    def _step(self, times: FloatArray) -> FloatArray:
        index = np.searchsorted(self.time, times, side="right") - 1
        if not self.time.size:
            return np.ones(times.size)
        values: FloatArray = np.where(index >= 0, self.survival[np.maximum(index, 0)], 1.0)
        return values

    def median_lifetime(self, *, group: object = None) -> float:
        r"""Return the median lifetime: the first time at which :math:`\hat S(t) \le 1/2`.

        Parameters
        ----------
        group : object, optional
            The group, for a curve with groups.

        Returns
        -------
        float
            ``inf`` when the survival never falls to one half.

        Raises
        ------
        ValidationError
            If ``group`` is missing or unknown.

        Examples
        --------
        >>> from relmark.models.kaplan_meier import kaplan_meier
        >>> kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False]).median_lifetime()
        3.0
        """
        one = self._single(group)
        below = np.flatnonzero(one.survival <= 0.5)
        return float(one.time[below[0]]) if below.size else math.inf

    def restricted_mean_lifetime(self, horizon: float, *, group: object = None) -> float:
        r"""Return the restricted mean lifetime: the area under :math:`\hat S` up to ``horizon``.

        Parameters
        ----------
        horizon : float
            > 0, at most the last time of the curve (unless its survival has
            reached 0, when any horizon is fine).
        group : object, optional
            The group, for a curve with groups.

        Returns
        -------
        float
            :math:`\int_0^h \hat S(u)\,du`, the expected time subscribed
            within the first ``horizon``; for discrete data and a whole
            ``horizon`` the expected periods paid, :math:`\sum_{t=0}^{h-1} \hat S(t)`.

        Raises
        ------
        ValidationError
            If ``horizon`` is not > 0, lies beyond the observed times, or
            ``group`` is missing or unknown.

        Notes
        -----
        The step function is constant on :math:`[t_j, t_{j+1})`, so the
        integral is the sum of its values times the lengths of the steps
        (Klein & Moeschberger 2003, section 4.5).

        References
        ----------
        Klein, J. P. & Moeschberger, M. L. (2003). *Survival Analysis:
        Techniques for Censored and Truncated Data*, 2nd ed. Springer.

        Examples
        --------
        >>> from relmark.models.kaplan_meier import kaplan_meier
        >>> curve = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
        >>> round(curve.restricted_mean_lifetime(4), 3)   # 1 + 0.8 + 0.6 + 0.3
        2.7
        """
        h = as_scalar("horizon", horizon, low=0.0, low_open=True)
        one = self._single(group)
        last = float(one.time[-1]) if one.time.size else 0.0
        ended = bool(one.survival.size) and float(one.survival[-1]) == 0.0
        if h > last and not ended:
            raise ValidationError(
                f"`horizon` must be <= the last time of the curve ({last:g}), got {h:g}: the "
                "survival is not known beyond it",
                argument="horizon",
            )
        inside = one.time < h
        knots = np.r_[0.0, one.time[inside], h]
        values = np.r_[1.0, one.survival[inside]]
        return float(values @ np.diff(knots))


def _check_groups(groups: ArrayLike, n: int) -> tuple[NDArray[Any], IntArray]:
    if isinstance(groups, (str, bytes)):
        raise TypeError(f"`groups` must be an array of labels, got {type(groups).__name__}")
    labels = np.asarray(groups)
    if labels.ndim != 1:
        raise ValidationError(f"`groups` must be one-dimensional, got shape {labels.shape}")
    if labels.size != n:
        raise ValidationError(
            f"`groups` must have one label per subscriber ({n:,}), got {labels.size:,}",
            argument="groups",
        )
    if labels.dtype.kind == "f":
        fail_rows("groups", "must not be NaN", np.isnan(labels), noun="subscribers")
    if labels.dtype.kind == "O":
        fail_rows(
            "groups",
            "must not be None",
            np.array([label is None for label in labels.tolist()], dtype=bool),
            noun="subscribers",
        )
    try:
        distinct, codes = factorize(labels)
    except TypeError as error:
        raise TypeError(f"`groups` must hold labels of one comparable kind: {error}") from None
    return distinct, np.asarray(codes, dtype=np.int64)


def _segment_cumsum(values: FloatArray, starts: IntArray, row_group: IntArray) -> FloatArray:
    """Return cumulative sums of ``values`` restarting at each group's first row."""
    total: FloatArray = np.cumsum(values)
    if starts.size == 1:
        return total
    before = np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0.0)
    result: FloatArray = total - before[row_group]
    return result


def _segment_suffix(values: FloatArray, ends: IntArray, row_group: IntArray) -> FloatArray:
    """Return the sums of ``values`` from each row to the end of its group."""
    suffix: FloatArray = np.cumsum(values[::-1])[::-1]
    if ends.size == 1:
        return suffix
    after = np.where(ends < suffix.size, suffix[np.minimum(ends, suffix.size - 1)], 0.0)
    result: FloatArray = suffix - after[row_group]
    return result


def _by_group_then_time(codes: IntArray, times: FloatArray, k: int) -> IntArray:
    """Return the order sorting rows by group code, then time (ties in any order)."""
    order: IntArray = np.argsort(times)
    if k == 1:
        return order
    if k <= np.iinfo(np.uint16).max:  # a stable radix sort of 16-bit codes: linear time
        return order[np.argsort(codes[order].astype(np.uint16), kind="stable")]
    lexical: IntArray = np.lexsort((times, codes))
    return lexical


def _row_counts(
    row_of: IntArray, churned: BoolArray, weight: FloatArray | None, m: int
) -> tuple[FloatArray, FloatArray]:
    """Return each row's churned and censored (weighted) counts of subscribers."""
    if weight is None:  # integer counts: no weight arrays to build
        everyone = np.bincount(row_of, minlength=m)
        churn = np.bincount(row_of[churned], minlength=m)
        return churn.astype(np.float64), (everyone - churn).astype(np.float64)
    churn_w = np.bincount(row_of, np.where(churned, weight, 0.0), m).astype(np.float64)
    censor_w = np.bincount(row_of, np.where(churned, 0.0, weight), m).astype(np.float64)
    return churn_w, censor_w


def kaplan_meier(
    tenure: ArrayLike,
    churned: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    level: float = 0.9,
    weights: ArrayLike | None = None,
    discrete: bool | None = None,
) -> RetentionCurve:
    r"""Estimate the share of subscribers still subscribed over tenure, without assuming a model.

    Parameters
    ----------
    tenure : array_like, shape (n,)
        Each subscriber's observed tenure, >= 0: for one who churned the
        period (or time) of churn, > 0; for one still active the periods (or
        time) completed so far, where they are right-censored.  The meaning
        of :meth:`relmark.ShiftedBetaGeo.fit_individual`.
    churned : array_like of bool, shape (n,)
        Whether each subscriber has churned (False: censored at ``tenure``).
    groups : array_like, shape (n,), optional
        A label per subscriber (cohort, segment, channel): one curve per
        distinct label, in one long table with a ``group`` column.
    level : float, default 0.9
        Confidence level of the band, in (0, 1).
    weights : array_like, shape (n,), optional
        Subscribers each row stands for (> 0; default 1 each).
    discrete : bool, optional
        Whether tenures are whole periods (a row per period, and
        ``retention_rate``) or continuous times (a row per distinct time).
        Default: discrete when every tenure is a whole number.

    Returns
    -------
    RetentionCurve

    Raises
    ------
    TypeError
        For non-numeric tenures, non-boolean ``churned``, a string as
        ``groups`` or labels that cannot be compared.
    ValidationError
        For no subscribers, negative or NaN tenures, a churned subscriber at
        tenure 0, fractional tenures with ``discrete=True``, lengths that
        differ, weights not > 0, ``level`` outside (0, 1), or a discrete
        curve of more than 10 million rows (longest tenure above 100,000
        periods: pass ``discrete=False``).

    Notes
    -----
    With :math:`n_j` subscribers at risk (tenure :math:`\ge t_j`) and
    :math:`d_j` churning at :math:`t_j`,

    .. math::

        \hat S(t) = \prod_{t_j \le t}\Bigl(1 - \frac{d_j}{n_j}\Bigr),\qquad
        \widehat{\mathrm{Var}}\,\hat S(t) = \hat S(t)^2
        \sum_{t_j \le t}\frac{d_j}{n_j (n_j - d_j)}\quad\text{(Greenwood)}.

    The band is built on :math:`\log(-\log \hat S)`, whose standard error
    is :math:`\sigma(t) = \sqrt{\sum d_j / (n_j(n_j - d_j))}\,/\,|\log \hat S(t)|`:
    :math:`[\hat S^{\exp(z\sigma)},\ \hat S^{\exp(-z\sigma)}]` with
    :math:`z` the normal :math:`(1 + \text{level})/2` quantile; it stays in
    [0, 1].  A subscriber censored at :math:`t` counts as at risk at
    :math:`t` (censoring after churn), so an active subscriber with tenure
    :math:`t` has survived :math:`t` periods, as in the sBG; for discrete
    data :math:`\hat S(t)/\hat S(t-1) = 1 - d_t/n_t` is the period's
    retention rate.  Subscribers censored at tenure 0 are at risk at no
    time > 0 and count in no row (only in ``subscribers``).  Computed with
    counts per (group, period) (discrete) or one sort by group and time
    (continuous), then cumulative sums within groups: no loop over
    subscribers or groups.  Measured on the shared 2-core machine under
    load: 10 million subscribers in 50 groups, 0.3 s discrete, 8 s with 10
    million distinct continuous times.

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from
    incomplete observations. *Journal of the American Statistical
    Association*, 53(282), 457-481.

    Greenwood, M. (1926). The natural duration of cancer. *Reports on Public
    Health and Medical Subjects*, 33, 1-26.

    Kalbfleisch, J. D. & Prentice, R. L. (1980). *The Statistical Analysis
    of Failure Time Data*. Wiley, section 1.3 (the log(-log) band).

    Examples
    --------
    >>> from relmark.models.kaplan_meier import kaplan_meier
    >>> curve = kaplan_meier([1, 2, 2, 3, 4], [True, True, False, True, False])
    >>> curve.at_risk.tolist(), curve.churned.tolist(), curve.censored.tolist()
    ([5.0, 4.0, 2.0, 1.0], [1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0])
    >>> curve.survival.round(3).tolist(), curve.retention_rate.round(3).tolist()
    ([0.8, 0.6, 0.3, 0.3], [0.8, 0.75, 0.5, 1.0])
    >>> bool((curve.lower <= curve.survival).all() and (curve.survival <= curve.upper).all())
    True
    """
    t = as_float_array("tenure", tenure, nonnegative=True, noun="subscribers")
    c = as_bool_array("churned", churned, noun="subscribers")
    lengths = {"tenure": t, "churned": c}
    w = None
    if weights is not None:
        w = as_float_array("weights", weights, positive=True, noun="subscribers")
        lengths["weights"] = w
    n = check_same_length(lengths)
    if n == 0:
        raise ValidationError("`tenure` is empty: give at least one subscriber", argument="tenure")
    fail_rows(
        "tenure",
        "must be > 0 for subscribers who churned",
        c & (t == 0),
        t,
        noun="subscribers",
    )
    z = float(ndtri(0.5 + as_level(level) / 2.0))
    whole = bool(np.all(t == np.floor(t)))
    if discrete is None:
        is_discrete = whole
    else:
        is_discrete = as_flag("discrete", discrete)
        if is_discrete:
            check_whole("tenure", t, noun="subscribers")
    if groups is None:
        labels: NDArray[Any] | None = None
        codes = np.zeros(n, dtype=np.int64)
        k = 1
    else:
        labels, codes = _check_groups(groups, n)
        k = int(labels.size)
    subscribers = np.bincount(codes, weights=w, minlength=k).astype(np.float64)

    seen = t > 0  # subscribers censored at 0 are at risk at no time > 0
    if bool(seen.all()):  # the usual case: no copies
        t_seen, g_seen, c_seen, w_seen = t, codes, c, w
    else:
        t_seen, g_seen, c_seen = t[seen], codes[seen], c[seen]
        w_seen = None if w is None else w[seen]
    if is_discrete:
        longest = float(t.max())
        if longest > MAX_STEPS:
            raise ValidationError(
                f"the longest `tenure` is {longest:,.0f} periods; a discrete curve has a row per "
                f"period and supports at most {MAX_STEPS:,}: pass `discrete=False` for a row "
                "per distinct time",
                argument="tenure",
            )
        if k == 1:
            size = np.array([int(longest)], dtype=np.int64)
        else:
            most = np.zeros(k)
            np.maximum.at(most, codes, t)
            size = most.astype(np.int64)
        check_size("rows (groups x periods)", int(size.sum()), MAX_ROWS, unit="rows",
                   why="a discrete curve has a row per period of each group")  # fmt: skip
        starts = np.r_[0, np.cumsum(size)[:-1]].astype(np.int64)
        row_group = np.repeat(np.arange(k, dtype=np.int64), size)
        times = (np.arange(row_group.size) - starts[row_group] + 1).astype(np.float64)
        row_of = t_seen.astype(np.int64) - 1
        if k > 1:
            row_of += starts[g_seen]
        m = int(times.size)
    else:  # rows in (group, time) order: a row's rank among the distinct pairs
        order = _by_group_then_time(g_seen, t_seen, k)
        g_sorted, t_sorted = g_seen[order], t_seen[order]
        new = np.empty(order.size, dtype=bool)
        new[:1] = True
        np.not_equal(t_sorted[1:], t_sorted[:-1], out=new[1:])
        if k > 1:
            new[1:] |= g_sorted[1:] != g_sorted[:-1]
        row_of = np.empty(order.size, dtype=np.int64)
        row_of[order] = np.cumsum(new) - 1  # each subscriber's row, in their own order
        times, row_group = t_sorted[new], g_sorted[new]
        m = int(times.size)
        size = np.bincount(row_group, minlength=k)
        starts = np.r_[0, np.cumsum(size)[:-1]].astype(np.int64)
    churn_n, censor_n = _row_counts(row_of, c_seen, w_seen, m)
    ends = starts + size
    at_risk = _segment_suffix(churn_n + censor_n, ends, row_group)
    # all still at risk churn: only in a group's last row, when nobody is censored there
    wiped: BoolArray = np.zeros(m, dtype=bool)
    wiped[ends[size > 0] - 1] = True
    wiped &= (censor_n == 0) & (churn_n > 0)
    hazard = np.minimum(churn_n / at_risk, 1.0)  # at_risk > 0: each row has a subscriber
    hazard[wiped] = 0.0
    log_survival = _segment_cumsum(np.log1p(-hazard), starts, row_group)
    survival = np.minimum(np.exp(log_survival), 1.0)
    survival[wiped] = 0.0  # the last row of its group: nothing after it
    left = at_risk - churn_n
    left[wiped] = 1.0
    terms = churn_n / (at_risk * np.maximum(left, 1e-300))
    terms[wiped] = 0.0
    greenwood = _segment_cumsum(terms, starts, row_group)
    spread = np.sqrt(greenwood)
    std_error = survival * spread
    inner = (survival > 0) & (survival < 1)
    sigma = spread / np.abs(np.log(np.where(inner, survival, 0.5)))
    lower = np.where(inner, survival ** np.exp(z * sigma), survival)
    upper = np.where(inner, survival ** np.exp(-z * sigma), survival)
    stays = 1.0 - hazard
    stays[wiped] = 0.0
    return RetentionCurve(
        time=_handover(times),
        at_risk=_handover(at_risk),
        churned=_handover(churn_n),
        censored=_handover(censor_n),
        survival=_handover(survival),
        std_error=_handover(std_error),
        lower=_handover(np.minimum(lower, survival, out=lower)),
        upper=_handover(np.maximum(upper, survival, out=upper)),
        retention_rate=_handover(stays) if is_discrete else None,
        group=None if labels is None else labels[row_group],
        groups=labels,
        subscribers=subscribers,
        level=float(level),
        discrete=is_discrete,
    )


def _handover(array: FloatArray) -> FloatArray:
    """Return a new array of this module's as read-only, to be kept without a copy."""
    owned = array if array.base is None else array.copy()
    return readonly(np.asarray(owned, dtype=np.float64))


def tenures_from_survivors(alive: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Expand a cohort's survivor counts into one (tenure, churned) row per subscriber.

    Parameters
    ----------
    alive : array_like, shape (n + 1,)
        ``alive[0]`` the cohort size, ``alive[t]`` the subscribers still there
        after ``t`` periods: whole numbers, never rising (as in
        :meth:`relmark.ShiftedBetaGeo.fit_survival`, e.g. Fader & Hardie
        2007, Table 1).

    Returns
    -------
    tenure : ndarray of int64, shape (alive[0],)
        ``alive[t - 1] - alive[t]`` rows with tenure ``t`` (churned in period
        ``t``), then ``alive[n]`` rows with tenure ``n``.
    churned : ndarray of bool, shape (alive[0],)
        True for those who churned; False for the ``alive[n]`` still there,
        right-censored at ``n``.

    Raises
    ------
    ValidationError
        If ``alive`` has fewer than two counts, a count that is negative,
        fractional or above the one before, a cohort size of 0, or more
        than 100 million subscribers.

    Examples
    --------
    >>> from relmark.models.kaplan_meier import tenures_from_survivors
    >>> tenure, churned = tenures_from_survivors([5, 3, 2])
    >>> tenure.tolist(), churned.tolist()
    ([1, 1, 2, 2, 2], [True, True, True, False, False])
    """
    counts = as_survivor_counts("alive", alive, minimum=2)
    check_whole("alive", counts, noun="periods")
    check_size("`alive[0]`", int(counts[0]), MAX_SIMULATED_CUSTOMERS, unit="subscribers",
               why="each becomes one row")  # fmt: skip
    periods = counts.size - 1
    lost = (counts[:-1] - counts[1:]).astype(np.int64)
    repeats = np.r_[lost, np.int64(counts[-1])]
    tenure = np.repeat(np.r_[np.arange(1, periods + 1), periods].astype(np.int64), repeats)
    churned = np.repeat(np.r_[np.ones(periods, dtype=bool), False], repeats)
    return readonly(tenure), readonly(churned)
