"""The one factorisation of keys: the same result as ``np.unique``, by its fast paths."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark.data._keys import distinct_rows, factorize


def assert_as_unique(values: np.ndarray[Any, Any]) -> None:
    """``factorize`` gives exactly what ``np.unique(..., return_inverse=True)`` gives."""
    distinct, codes = factorize(values)
    expected, inverse = np.unique(values, return_inverse=True)
    np.testing.assert_array_equal(distinct, expected, strict=True)  # NaN equals NaN here
    np.testing.assert_array_equal(codes, inverse.reshape(-1).astype(np.int64), strict=True)


integer_dtypes = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])


@given(values=hnp.arrays(integer_dtypes, st.integers(0, 300)))
def test_integers_of_any_range_and_dtype(values: np.ndarray[Any, Any]) -> None:
    assert_as_unique(values)


@given(
    low=st.integers(-(2**62), 2**62),
    offsets=st.lists(st.integers(0, 2_000), min_size=1, max_size=300),
)
def test_dense_integer_ranges_with_gaps(low: int, offsets: list[int]) -> None:
    assert_as_unique(np.array(offsets, dtype=np.int64) + low)


def test_integers_at_the_ends_of_their_dtype() -> None:
    # int8 ids around zero: the offset from -100 overflows int8 if not widened first
    assert_as_unique(np.array([-100, 100, 5, -100], dtype=np.int8))
    assert_as_unique(np.array([2**63 + 3, 2**63 + 1, 2**63 + 3], dtype=np.uint64))
    assert_as_unique(np.array([2**64 - 1, 0], dtype=np.uint64))
    assert_as_unique(np.array([-(2**63), 2**63 - 1], dtype=np.int64))


@given(words=st.lists(st.text(max_size=4), max_size=200))
def test_strings_as_unicode_and_as_objects(words: list[str]) -> None:
    unicode = np.array(words, dtype=str)
    assert_as_unique(unicode)
    objects = np.empty(len(words), dtype=object)
    objects[:] = unicode.tolist()  # as numpy keeps them (no trailing NULs)
    assert_as_unique(objects)


@pytest.mark.parametrize(
    "values",
    [
        np.array([], dtype=np.int64),
        np.array([], dtype=object),
        np.array([0.5, -0.0, 0.0, 0.5, np.nan, np.nan]),
        np.array([True, False, True]),
        np.array(["2024-01-02", "2024-01-01"], dtype="datetime64[D]"),
        np.array([b"b", b"a", b"b"]),
        np.array([3, 1, 2, 1], dtype=object),
    ],
)
def test_other_dtypes(values: np.ndarray[Any, Any]) -> None:
    assert_as_unique(values)


def test_tuples_stay_one_object_each() -> None:
    values = np.empty(3, dtype=object)
    values[:] = [(1, 2), (0, 1), (1, 2)]
    distinct, codes = factorize(values)
    assert distinct.shape == (2,) and distinct.tolist() == [(0, 1), (1, 2)]
    assert codes.tolist() == [1, 0, 1]


def test_dense_int64_codes_are_not_copied() -> None:
    values = np.array([2, 0, 1, 1, 0], dtype=np.int64)
    distinct, codes = factorize(values)
    assert codes is values and distinct.tolist() == [0, 1, 2]


def test_key_groups_and_sorts_by_the_key() -> None:
    values = np.array([1, "1", "a", 2.5, None], dtype=object)
    distinct, codes = factorize(values, key=str)
    assert distinct.dtype == object and distinct.tolist() == ["1", "2.5", "None", "a"]
    assert codes.tolist() == [0, 0, 3, 1, 2]


def test_mixed_types_without_a_key_fail_as_in_numpy() -> None:
    with pytest.raises(TypeError, match="not supported between instances"):
        factorize(np.array([1, "a"], dtype=object))


def test_summaries_of_small_integer_ids_around_zero() -> None:
    # these ids used to be coded by an int8 subtraction that overflowed
    ids = np.array([-100, 100, 5, -100, 100], dtype=np.int8)
    times = [0.0, 1.0, 2.0, 3.0, 5.0]
    narrow = relmark.TransactionLog.from_arrays(ids, times, unit="D").summarize(6.0)
    wide = relmark.TransactionLog.from_arrays(ids.astype(np.int64), times, unit="D").summarize(6.0)
    assert narrow.customer_id is not None and narrow.customer_id.dtype == np.int8
    assert narrow.customer_id.tolist() == [-100, 5, 100]
    for column in ("frequency", "recency", "T"):
        assert getattr(narrow, column).tolist() == getattr(wide, column).tolist()
    assert narrow.frequency.tolist() == [1.0, 0.0, 1.0]


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.sampled_from([0.0, 0.5, 2.25, 7.0]), st.integers(-3, 3)),
        min_size=0,
        max_size=60,
    )
)
def test_distinct_rows_are_the_sorted_unique_rows(rows: list[tuple[int, float, int]]) -> None:
    columns = [np.array([row[j] for row in rows], dtype=float) for j in range(3)]
    first, codes = distinct_rows(*columns)
    expected = sorted(set(rows))
    assert [tuple(float(c[i]) for c in columns) for i in first] == [
        tuple(map(float, row)) for row in expected
    ]
    assert [expected[k] for k in codes] == rows


def test_distinct_rows_beyond_a_62_bit_key_compare_column_by_column() -> None:
    rng = np.random.default_rng(4)
    columns = [rng.normal(size=3000) for _ in range(6)]  # 3000**6 combinations > 2**62
    columns = [np.concatenate([c, c[:10]]) for c in columns]
    first, codes = distinct_rows(*columns)
    assert first.size == 3000
    np.testing.assert_array_equal(codes[3000:], codes[:10])
