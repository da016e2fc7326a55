"""Segment profiles: size, value and health of each segment, as a plain table."""

from __future__ import annotations

import html
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    IntArray,
    as_float_array,
    check_same_length,
    describe,
    fail_rows,
    readonly,
)
from relmark.data._keys import factorize
from relmark.exceptions import ValidationError
from relmark.scoring.satisfaction import nps_counts, nps_values

__all__ = ["SegmentProfile", "segment_profile"]


#: Width of the printed table: blocks of columns wrap to fit it.
WIDTH = 80
_NAME_WIDTH = 24


def _frozen_columns(value: Mapping[str, ArrayLike]) -> Mapping[str, NDArray[Any]]:
    if not isinstance(value, Mapping):
        raise TypeError(
            f"`columns` must be a mapping of column name to array, got {describe(value)}"
        )
    columns = {str(name): readonly(np.array(array)) for name, array in value.items()}
    if "segment" not in columns:
        raise ValidationError("`columns` must include a `segment` column")
    check_same_length(columns)
    return MappingProxyType(columns)


@attrs.frozen(kw_only=True)
class SegmentProfile:
    """One row per segment: a read-only mapping of column name to array.

    Columns: ``segment``, ``customers``, ``share`` and, when given,
    ``revenue_share``, ``mean_clv``, ``mean_p_alive``, ``nps``,
    ``mean_engagement`` and ``mean_<name>`` for extra columns.  ``print``
    shows a fixed-width table wrapped to 80 characters, notebooks an HTML
    table.

    Attributes
    ----------
    columns : mapping of str to ndarray
        Equal-length read-only columns, ``segment`` first.

    Examples
    --------
    >>> from relmark import segment_profile
    >>> profile = segment_profile(["a", "b", "a"], revenue=[10.0, 30.0, 20.0])
    >>> profile["segment"].tolist(), profile["revenue_share"].tolist()
    (['a', 'b'], [0.5, 0.5])
    >>> len(profile), list(profile.columns)
    (2, ['segment', 'customers', 'share', 'revenue_share'])
    """

    columns: Mapping[str, NDArray[Any]] = attrs.field(converter=_frozen_columns)

    def __getitem__(self, name: str) -> NDArray[Any]:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(
                f"no column {name!r}; the profile has {', '.join(self.columns)}"
            ) from None

    def __len__(self) -> int:
        return len(self.columns["segment"])

    def to_dict(self) -> dict[str, list[Any]]:
        """Return the table as ``{column: list of values}``.

        Returns
        -------
        dict of str to list
            Plain Python values, columns in order.

        Examples
        --------
        >>> from relmark import segment_profile
        >>> segment_profile(["a", "b", "a"]).to_dict()["customers"]
        [2, 1]
        """
        return {name: values.tolist() for name, values in self.columns.items()}

    def to_pandas(self) -> Any:
        """Return the table as a pandas DataFrame indexed by segment.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install "relmark[pandas]"``).

        Examples
        --------
        >>> from relmark import segment_profile
        >>> int(segment_profile(["a", "b", "a"]).to_pandas().loc["a", "customers"])
        2
        """
        try:
            import pandas as pd
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(
                'SegmentProfile.to_pandas() needs pandas, the "pandas" extra: '
                'pip install "relmark[pandas]"'
            ) from error
        return pd.DataFrame(dict(self.columns)).set_index("segment")

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        names = list(self.columns)
        rows = []
        for i in range(len(self)):
            row = []
            for name in names:
                value = self.columns[name][i]
                if name == "segment":
                    row.append(str(value))
                elif name in ("customers", "nps_responses"):
                    row.append(f"{int(value):,}")
                elif np.isnan(value):
                    row.append("n/a")
                elif "share" in name:
                    row.append(f"{100 * float(value):.1f}%")
                else:
                    row.append(f"{float(value):,.2f}")
            rows.append(row)
        return names, rows

    def __repr__(self) -> str:
        names, rows = self._cells()
        headers = [_clip(name.replace("_", " ")) for name in names]
        rows = [[_clip(row[0]), *row[1:]] for row in rows]
        widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(headers)]
        blocks: list[list[int]] = [[]]
        used = widths[0]
        for j in range(1, len(names)):  # greedy: as many columns per block as fit
            if blocks[-1] and used + 2 + widths[j] > WIDTH:
                blocks.append([])
                used = widths[0]
            blocks[-1].append(j)
            used += 2 + widths[j]
        lines: list[str] = []
        for block in blocks:
            if lines:
                lines.append("")
            for cells in [headers, *rows]:
                lines.append(
                    "  ".join(
                        [cells[0].ljust(widths[0])] + [cells[j].rjust(widths[j]) for j in block]
                    )
                )
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self) -> str:
        names, rows = self._cells()
        head = "".join(f"<th>{html.escape(n.replace('_', ' '))}</th>" for n in names)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _clip(text: str) -> str:
    """Shorten a long segment or column name for the text table."""
    return text if len(text) <= _NAME_WIDTH else text[: _NAME_WIDTH - 3] + "..."


def _factorize(names: NDArray[Any]) -> tuple[NDArray[np.object_], IntArray]:
    """Return the distinct labels as sorted strings and each row's index into them.

    Numeric labels sort as numbers; others are keyed by ``str`` in one
    dictionary pass (sorting a million strings is ten times slower).
    """
    if names.dtype.kind in "biuf":
        distinct, of = factorize(names)
        return np.array([str(x) for x in distinct.tolist()], dtype=object), of
    return factorize(names, key=str)


def segment_profile(
    labels: ArrayLike,
    *,
    revenue: ArrayLike | None = None,
    clv: ArrayLike | None = None,
    probability_alive: ArrayLike | None = None,
    nps_answers: ArrayLike | None = None,
    engagement: ArrayLike | None = None,
    **extra: ArrayLike,
) -> SegmentProfile:
    r"""Profile each segment: how big, how valuable, how healthy.

    Parameters
    ----------
    labels : array_like
        Each customer's segment.
    revenue, clv, probability_alive, engagement : array_like, optional
        Per customer; revenue is summarised as each segment's share of the
        total, the others as segment means.
    nps_answers : array_like, optional
        Each customer's latest 0-10 answer (whole numbers), NaN where they
        never answered.  Gives ``nps_responses``, the number of answers in
        the segment, and ``nps``, the percentage of promoters (9-10) minus
        that of detractors (0-6) among them: NaN for a segment without
        answers (shown as ``n/a``).
    **extra : array_like
        Any other numeric column, summarised as ``mean_<name>``.

    Returns
    -------
    SegmentProfile
        Segments in sorted order (numeric labels such as cluster numbers as
        numbers, others as strings); ``customers`` sums to the number of
        labels and ``share``, ``revenue_share`` each sum to 1.  Printable,
        shown as HTML in notebooks, convertible with ``to_dict()`` and
        ``to_pandas()``.

    Raises
    ------
    ValidationError
        If ``labels`` is empty or not one-dimensional, a column's length
        differs from it, a value is NaN or infinite, a probability is outside
        [0, 1] or an NPS answer is not a whole number in 0..10.

    Notes
    -----
    For a segment :math:`S` with :math:`a` answers, :math:`p` of them 9 or 10
    and :math:`d` of them 0 to 6, :math:`\mathrm{NPS}_S = 100\,(p - d)/a`
    (Reichheld, 2003).  ``revenue_share`` is
    :math:`\sum_{i \in S} r_i / \sum_i r_i` (0 when total revenue is 0).

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard
    Business Review*, 81(12), 46-54.

    Examples
    --------
    >>> from relmark import segment_profile
    >>> print(segment_profile(["Loyal", "Lost", "Loyal"], clv=[300.0, 5.0, 100.0]))
    segment  customers  share  mean clv
    Lost             1  33.3%      5.00
    Loyal            2  66.7%    200.00
    """
    names = np.asarray(labels)
    if names.ndim != 1:
        raise ValidationError(f"`labels` must be one-dimensional, got shape {names.shape}")
    if names.size == 0:
        raise ValidationError("`labels` is empty")
    segments, of = _factorize(names)
    size = np.bincount(of, minlength=segments.size)
    columns: dict[str, NDArray[Any]] = {
        "segment": segments,
        "customers": size.astype(np.int64),
        "share": size / names.size,
    }

    def per_customer(name: str, value: ArrayLike) -> NDArray[np.float64]:
        array = as_float_array(name, value)
        check_same_length({"labels": names, name: array})
        return array

    def mean(name: str, value: ArrayLike) -> NDArray[np.float64]:
        return np.bincount(of, weights=per_customer(name, value), minlength=segments.size) / size

    if revenue is not None:
        money = per_customer("revenue", revenue)
        total = money.sum()
        by_segment = np.bincount(of, weights=money, minlength=segments.size)
        columns["revenue_share"] = by_segment / total if total else np.zeros(segments.size)
    if clv is not None:
        columns["mean_clv"] = mean("clv", clv)
    if probability_alive is not None:
        alive = per_customer("probability_alive", probability_alive)
        outside = (alive < 0) | (alive > 1)
        fail_rows("probability_alive", "must lie in [0, 1]", outside, alive, noun="customers")
        columns["mean_p_alive"] = mean("probability_alive", alive)
    if nps_answers is not None:
        answers = as_float_array("nps_answers", nps_answers, allow_nan=True, noun="customers")
        check_same_length({"labels": names, "nps_answers": answers})
        answered = ~np.isnan(answers)
        # checked on all rows (NaN compares false), so indices are the customers'
        fractional = answered & (answers != np.floor(answers))
        fail_rows("nps_answers", "must be whole numbers", fractional, answers, noun="customers")
        outside = (answers < 0) | (answers > 10)
        rule = "must be 0-10 answers (NaN for no answer)"
        fail_rows("nps_answers", rule, outside, answers, noun="customers")
        valid = answers[answered]
        promoters, detractors, count = nps_counts(valid, of[answered], segments.size)
        columns["nps_responses"] = count.astype(np.int64)
        columns["nps"] = nps_values(promoters, detractors, count)
    if engagement is not None:
        columns["mean_engagement"] = mean("engagement", engagement)
    for name, value in extra.items():
        columns[f"mean_{name}"] = mean(name, value)
    return SegmentProfile(columns=columns)
