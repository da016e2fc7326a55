"""Segment profiles: size, value and health of each segment, as a plain table."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import as_float_array, check_same_length, readonly
from relmark.exceptions import ValidationError

__all__ = ["SegmentProfile", "segment_profile"]


@attrs.frozen
class SegmentProfile:
    """One row per segment: a mapping of column name to array.

    Columns: ``segment``, ``customers``, ``share`` and, when given,
    ``revenue_share``, ``mean_clv``, ``mean_p_alive``, ``nps``,
    ``mean_engagement`` and ``mean_<name>`` for extra columns.

    Examples
    --------
    >>> from relmark import segment_profile
    >>> profile = segment_profile(["a", "b", "a"], revenue=[10.0, 30.0, 20.0])
    >>> profile["segment"].tolist(), profile["revenue_share"].tolist()
    (['a', 'b'], [0.5, 0.5])
    """

    columns: Mapping[str, NDArray[Any]]

    def __getitem__(self, name: str) -> NDArray[Any]:
        return self.columns[name]

    def __len__(self) -> int:
        return len(self.columns["segment"])

    def to_dict(self) -> dict[str, list[Any]]:
        """Return the table as ``{column: list of values}``."""
        return {name: values.tolist() for name, values in self.columns.items()}

    def to_pandas(self) -> Any:
        """Return the table as a pandas DataFrame indexed by segment (needs pandas).

        Examples
        --------
        >>> from relmark import segment_profile
        >>> segment_profile(["a", "b", "a"]).to_pandas().loc["a", "customers"]
        np.int64(2)
        """
        try:
            import pandas as pd
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError('to_pandas() needs pandas: pip install "relmark[pandas]"') from error
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
                elif name == "customers":
                    row.append(f"{int(value):,}")
                elif "share" in name:
                    row.append(f"{100 * float(value):.1f}%")
                else:
                    row.append(f"{float(value):,.2f}")
            rows.append(row)
        return names, rows

    def __repr__(self) -> str:
        names, rows = self._cells()
        headers = [name.replace("_", " ") for name in names]
        widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(headers)]
        line = "  ".join(
            h.ljust(w) if j == 0 else h.rjust(w)
            for j, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
        body = [
            "  ".join(
                c.ljust(w) if j == 0 else c.rjust(w)
                for j, (c, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        return "\n".join([line, *body])

    def _repr_html_(self) -> str:
        names, rows = self._cells()
        head = "".join(f"<th>{html.escape(n.replace('_', ' '))}</th>" for n in names)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


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
    """Profile each segment: how big, how valuable, how healthy.

    Parameters
    ----------
    labels : array_like
        Each customer's segment.
    revenue, clv, probability_alive, engagement : array_like, optional
        Per customer; revenue is summarised as each segment's share of the
        total, the others as segment means.
    nps_answers : array_like, optional
        Each customer's latest 0-10 answer, NaN where they never answered;
        the segment's NPS is computed over its answers (0 without any).
    **extra : array_like
        Any other numeric column, summarised as ``mean_<name>``.

    Returns
    -------
    SegmentProfile
        Segments in sorted order; printable, shown as HTML in notebooks,
        convertible with ``to_dict()`` and ``to_pandas()``.

    Examples
    --------
    >>> from relmark import segment_profile
    >>> print(segment_profile(["Loyal", "Lost", "Loyal"], clv=[300.0, 5.0, 100.0]))
    segment  customers  share  mean clv
    Lost             1  33.3%      5.00
    Loyal            2  66.7%    200.00
    """
    names = np.asarray(labels).reshape(-1)
    if names.size == 0:
        raise ValidationError("`labels` is empty")
    segments, of = np.unique(names.astype(str), return_inverse=True)
    size = np.bincount(of, minlength=segments.size)
    columns: dict[str, NDArray[Any]] = {
        "segment": segments.astype(object),
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
        columns["mean_p_alive"] = mean("probability_alive", probability_alive)
    if nps_answers is not None:
        answers = np.asarray(nps_answers, dtype=np.float64).reshape(-1)
        check_same_length({"labels": names, "nps_answers": answers})
        answered = ~np.isnan(answers)
        valid = answers[answered]
        if np.any((valid < 0) | (valid > 10)):
            raise ValidationError("`nps_answers` must be 0-10 answers or NaN for no answer")
        count = np.bincount(of[answered], minlength=segments.size)
        promoters = np.bincount(of[answered], weights=valid >= 9, minlength=segments.size)
        detractors = np.bincount(of[answered], weights=valid <= 6, minlength=segments.size)
        columns["nps"] = np.divide(
            100.0 * (promoters - detractors), count, out=np.zeros(segments.size), where=count > 0
        )
    if engagement is not None:
        columns["mean_engagement"] = mean("engagement", engagement)
    for name, value in extra.items():
        columns[f"mean_{name}"] = mean(name, value)
    return SegmentProfile({name: readonly(np.asarray(values)) for name, values in columns.items()})
