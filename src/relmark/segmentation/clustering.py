"""Data-driven segments: k-means on standardised (log) features, described in plain words."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.cluster.vq import ClusterError, kmeans2
from scipy.spatial.distance import cdist

from relmark._validation import (
    FloatArray,
    as_count,
    as_flag,
    as_float_array,
    as_mapping,
    as_rng,
    check_same_length,
    readonly,
)
from relmark.domain.rules import Feature
from relmark.domain.segment import Segment
from relmark.exceptions import ConvergenceError, ValidationError

__all__ = ["Clustering", "kmeans_segments"]


@attrs.frozen(kw_only=True)
class Clustering:
    """The result of :func:`kmeans_segments`.

    Attributes
    ----------
    labels : ndarray of int
        Cluster of each customer, 0..k-1 (ordered by decreasing size).
    centres : mapping of str to ndarray
        Each feature's cluster centre, in the feature's original units.
    segments : tuple of Segment
        One per cluster: rule ``Feature("cluster") == i``, and a description
        of its centre; evaluate them on ``{"cluster": labels}``.

    Examples
    --------
    >>> import numpy as np, relmark
    >>> features = {"frequency": np.r_[np.zeros(50), np.full(50, 10.0)],
    ...             "spend": np.r_[np.full(50, 5.0), np.full(50, 80.0)]}
    >>> result = relmark.kmeans_segments(features, k=2, rng=1)
    >>> sorted(np.bincount(result.labels).tolist())
    [50, 50]
    """

    labels: NDArray[np.int64]
    centres: Mapping[str, FloatArray]
    segments: tuple[Segment, ...]


def kmeans_segments(
    features: Mapping[str, ArrayLike],
    *,
    k: int,
    rng: np.random.Generator | int | None = None,
    log: bool = True,
) -> Clustering:
    r"""Cluster customers by k-means (scipy's, k-means++ seeding) into described segments.

    Parameters
    ----------
    features : mapping of str to array_like
        Non-negative customer features (frequency, recency, spend, CLV, ...).
    k : int
        Number of clusters (>= 1, at most the number of customers).
    rng : numpy.random.Generator, int or None
        Seed: the same seed gives the same segments.
    log : bool, default True
        Cluster on :math:`\log(1 + x)` (skewed money and counts), then on
        z-scores of every feature so that units do not matter.

    Returns
    -------
    Clustering
        Labels ``0..k-1`` ordered by decreasing cluster size (ties by
        scipy's label), each cluster's centre as the mean of its customers'
        features in the original units, and one :class:`~relmark.Segment`
        per cluster whose rule is ``Feature("cluster") == i`` and whose
        description reads e.g. ``"412 customers; high frequency (5.2), low
        spend (12.3)"`` (high/low: centre above 1.25 or below 0.8 times the
        overall mean).

    Raises
    ------
    ValidationError
        If there are no features, columns differ in length, a value is
        negative (with ``log``), NaN or infinite, or ``k`` exceeds the
        number of distinct customers.
    ConvergenceError
        If k-means leaves a cluster empty.

    Notes
    -----
    Each feature :math:`x` becomes :math:`u = \log(1 + x)` (with ``log``)
    and then :math:`z = (u - \bar u) / s_u` (a constant feature keeps
    :math:`s_u = 1`); k-means minimises the within-cluster sum of squared
    distances of :math:`z`.  Nearest-centre membership is not a threshold
    rule, hence the ``cluster`` feature: evaluate the segments on
    ``{"cluster": result.labels}`` or add that column to your features.

    References
    ----------
    Arthur, D. & Vassilvitskii, S. (2007). k-means++: the advantages of
    careful seeding. *SODA*, 1027-1035 (as implemented by
    ``scipy.cluster.vq.kmeans2(minit="++")``).

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> s = cdnow_sample_summary()
    >>> result = relmark.kmeans_segments(
    ...     {"frequency": s.frequency, "recency": s.recency, "spend": s.monetary_value},
    ...     k=3, rng=7,
    ... )
    >>> len(result.segments), result.segments[0].name
    (3, 'Cluster 1')
    >>> result.segments[0].description
    '... customers; ... frequency (...), ... recency (...), ... spend (...)'
    >>> int(result.segments[0].members({"cluster": result.labels}).sum()) == int(
    ...     (result.labels == 0).sum()
    ... )
    True
    """
    as_mapping("features", features)
    if not features:
        raise ValidationError("`features` must hold at least one column")
    on_logs = as_flag("log", log)
    columns = {
        name: as_float_array(name, value, nonnegative=on_logs, noun="customers")
        for name, value in features.items()
    }
    n = check_same_length(columns)
    clusters = as_count("k", k, minimum=1)
    generator = as_rng(rng)
    if clusters > n:
        raise ValidationError(f"`k` ({clusters}) must not exceed the number of customers ({n})")
    data = np.column_stack([np.log1p(v) if on_logs else v for v in columns.values()])
    spread = data.std(axis=0)
    scaled = (data - data.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    distinct = np.unique(scaled, axis=0).shape[0]
    if clusters > distinct:
        raise ValidationError(
            f"`k` ({clusters}) must not exceed the number of distinct feature rows ({distinct}): "
            "k-means++ cannot seed more centres than there are different customers"
        )
    try:
        _, raw = kmeans2(scaled, _seed_centres(scaled, clusters, generator), minit="matrix",
                         missing="raise")  # fmt: skip
    except ClusterError as error:
        raise ConvergenceError(
            f"k-means left a cluster empty with k = {clusters}; try another seed or a smaller k"
        ) from error
    by_size = np.argsort(-np.bincount(raw, minlength=clusters), kind="stable")
    relabel = np.empty(clusters, dtype=np.int64)
    relabel[by_size] = np.arange(clusters)
    labels = relabel[raw]
    counts = np.bincount(labels, minlength=clusters)
    centres = {
        name: np.bincount(labels, weights=value, minlength=clusters) / np.maximum(counts, 1)
        for name, value in columns.items()
    }
    overall = {name: float(value.mean()) for name, value in columns.items()}
    segments = tuple(
        Segment(
            name=f"Cluster {i + 1}",
            rule=Feature("cluster") == i,
            description=f"{counts[i]:,} customer{'' if counts[i] == 1 else 's'}; "
            + ", ".join(
                f"{_level(centres[name][i], overall[name])} {name} ({centres[name][i]:.3g})"
                for name in columns
            ),
        )
        for i in range(clusters)
    )
    return Clustering(
        labels=readonly(labels),
        centres=MappingProxyType({name: readonly(c) for name, c in centres.items()}),
        segments=segments,
    )


def _seed_centres(data: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    """Pick ``k`` starting centres by k-means++ in O(n k) work.

    The same draws, and so the same centres, as ``scipy.cluster.vq.kmeans2``'s
    ``minit="++"``, which recomputes every point's distance to all centres so
    far at each step (O(n k^2): minutes for k in the thousands); here each
    point's distance to its nearest centre is updated with the newest centre
    only.
    """
    centres = np.empty((k, data.shape[1]))
    centres[0] = data[rng.integers(data.shape[0])]
    nearest = np.full(data.shape[0], np.inf)
    for i in range(1, k):
        np.minimum(nearest, cdist(centres[i - 1 : i], data, metric="sqeuclidean")[0], out=nearest)
        cumulative = (nearest / nearest.sum()).cumsum()
        centres[i] = data[int(np.searchsorted(cumulative, rng.uniform()))]
    return centres


def _level(value: float, mean: float) -> str:
    """Describe a centre against the overall mean, in words."""
    if mean == 0:
        return "average"
    ratio = value / mean
    return "high" if ratio > 1.25 else "low" if ratio < 0.8 else "average"
