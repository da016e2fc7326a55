"""Data-driven segments: seeded k-means on standardised log features."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relmark
from relmark import Feature, ValidationError
from relmark.datasets import cdnow_sample_summary


def _features() -> dict[str, np.ndarray]:
    s = cdnow_sample_summary()
    return {"frequency": s.frequency, "recency": s.recency, "spend": s.monetary_value}


def test_two_obvious_groups_by_hand() -> None:
    # 60 light buyers (1 purchase, 5 spend) and 40 heavy ones (10 purchases, 80 spend)
    features = {"frequency": np.r_[np.ones(60), np.full(40, 10.0)],
                "spend": np.r_[np.full(60, 5.0), np.full(40, 80.0)]}  # fmt: skip
    result = relmark.kmeans_segments(features, k=2, rng=3)
    assert result.labels.tolist() == [0] * 60 + [1] * 40  # largest cluster first
    assert result.centres["frequency"].tolist() == [1.0, 10.0]  # original units
    assert result.centres["spend"].tolist() == [5.0, 80.0]
    # overall means 4.6 and 35: 1/4.6 < 0.8 -> low, 10/4.6 > 1.25 -> high
    assert result.segments[0].description == "60 customers; low frequency (1), low spend (5)"
    assert result.segments[1].description == "40 customers; high frequency (10), high spend (80)"
    assert result.segments[1].rule == (Feature("cluster") == 1)
    assert str(result.segments[1].rule) == "cluster == 1"


def test_deterministic_for_a_seed_and_segments_partition() -> None:
    features = _features()
    first = relmark.kmeans_segments(features, k=4, rng=11)
    again = relmark.kmeans_segments(features, k=4, rng=np.random.default_rng(11))
    assert np.array_equal(first.labels, again.labels)
    assert all(np.array_equal(first.centres[name], again.centres[name]) for name in features)
    assert [s.description for s in first.segments] == [s.description for s in again.segments]
    counts = np.bincount(first.labels)
    assert np.all(np.diff(counts) <= 0)  # ordered by size
    masks = np.array([seg.members({"cluster": first.labels}) for seg in first.segments])
    assert np.all(masks.sum(axis=0) == 1)  # every customer in exactly one segment
    assert not first.labels.flags.writeable


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 5), log=st.booleans())
def test_any_seed_is_reproducible(seed: int, k: int, log: bool) -> None:
    rng = np.random.default_rng(5)
    features = {"x": rng.gamma(2.0, 3.0, 300), "y": rng.poisson(3.0, 300).astype(float)}
    first = relmark.kmeans_segments(features, k=k, rng=seed, log=log)
    again = relmark.kmeans_segments(features, k=k, rng=seed, log=log)
    assert np.array_equal(first.labels, again.labels)
    assert set(first.labels.tolist()) == set(range(k))
    for name, values in features.items():  # centres are cluster means in original units
        means = [values[first.labels == i].mean() for i in range(k)]
        assert first.centres[name] == pytest.approx(means)


def test_log_and_constant_features() -> None:
    # without the log, the spend outlier dominates; a constant column is harmless
    features = {"spend": np.r_[np.full(9, 10.0), 1e6], "one": np.ones(10)}
    linear = relmark.kmeans_segments(features, k=2, rng=0, log=False)
    assert np.bincount(linear.labels).tolist() == [9, 1]
    assert "average one (1)" in linear.segments[0].description


def test_bad_inputs() -> None:
    features = _features()
    with pytest.raises(ValidationError, match="number of customers"):
        relmark.kmeans_segments(features, k=5000)
    with pytest.raises(
        ValidationError, match=r"^`x` must be >= 0; 1 of 2 .*first at index 0: -1\.0\)$"
    ):
        relmark.kmeans_segments({"x": [-1.0, 2.0]}, k=1)
    with pytest.raises(ValidationError, match="distinct feature rows \\(2\\)"):
        relmark.kmeans_segments({"x": [1.0, 1.0, 2.0, 2.0]}, k=3, rng=0)
    with pytest.raises(ValidationError, match="at least one column"):
        relmark.kmeans_segments({}, k=1)
    with pytest.raises(ValidationError, match="same length"):
        relmark.kmeans_segments({"x": [1.0, 2.0], "y": [1.0]}, k=1)
    with pytest.raises(
        ValidationError, match=r"^`x` must not be NaN; 1 of 2 .*first at index 1\)$"
    ):
        relmark.kmeans_segments({"x": [1.0, np.nan]}, k=1)
    with pytest.raises(ValidationError, match=r"^`k` must be >= 1, got 0$"):
        relmark.kmeans_segments({"x": [1.0, 2.0]}, k=0)
    with pytest.raises(TypeError, match="mapping"):
        relmark.kmeans_segments([[1.0, 2.0]], k=1)  # type: ignore[arg-type]
