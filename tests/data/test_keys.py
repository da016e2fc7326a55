"""The one factorisation of keys: the same result as ``np.unique``, by its fast paths."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark.data import _keys
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


# -- strings by hashing their bytes ----------------------------------------------------------

#: Prefixes that put the differences past one or more 8-byte words, across the chained
#: 64 bytes and into the tail: long shared prefixes, non-ASCII, embedded NULs.
PREFIXES = [
    "",
    "a",
    "customer-",
    "x" * 7,
    "x" * 8,
    "x" * 9,
    "ab\x00",
    "été·",
    "日本語の名前",
    "\U0001f600",
]
PREFIXES += ["p" * 56, "q" * 63, "q" * 64, "r" * 65, "s" * 200]


def key_texts(max_pool: int = 12, max_size: int = 80) -> st.SearchStrategy[list[str]]:
    """Lists of strings drawn, with repeats, from a pool sharing awkward prefixes."""
    tails = st.text(st.characters(codec="utf-8"), max_size=17)  # NULs, non-ASCII, any length
    word = st.builds(str.__add__, st.sampled_from(PREFIXES), tails)
    pools = st.lists(word, min_size=1, max_size=max_pool)
    return pools.flatmap(lambda pool: st.lists(st.sampled_from(pool), max_size=max_size))


def objects(words: list[str]) -> np.ndarray[Any, Any]:
    """The strings as a numpy object array (nothing stripped, as Python holds them)."""
    array = np.empty(len(words), dtype=object)
    array[:] = words
    return array


def assert_as_python(values: Any, words: list[str]) -> None:
    """``factorize`` gives ``np.unique`` of the strings as Python objects compare them."""
    distinct, codes = factorize(values)
    expected, inverse = np.unique(objects(words), return_inverse=True)
    assert distinct.dtype == object and distinct.tolist() == expected.tolist()
    assert codes.dtype == np.int64 and codes.tolist() == inverse.reshape(-1).tolist()


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 5 rows, tails of 3 words, no sort in Python: small examples cross every path."""
    monkeypatch.setattr(_keys, "_BLOCK", 5)
    monkeypatch.setattr(_keys, "_TAIL_WORDS", 3)
    monkeypatch.setattr(_keys, "_FEW_TIED", 1)


@given(words=key_texts())
def test_strings_as_numpy_unicode_bytes_and_objects(words: list[str]) -> None:
    assert_as_unique(np.array(words, dtype=str))  # U strips trailing NULs, as np.unique sees
    assert_as_unique(np.array([w.encode() for w in words], dtype=bytes))
    assert_as_unique(objects(words))


@given(words=key_texts())
def test_strings_as_arrow_arrays(words: list[str]) -> None:
    assert_as_python(pa.array(words, pa.string()), words)
    assert_as_python(pa.array(words, pa.large_string()), words)
    assert_as_python(pa.array(words, pa.string_view()), words)
    assert_as_python(pa.array(words).dictionary_encode(), words)


@given(words=key_texts(), cuts=st.lists(st.integers(0, 80), max_size=3))
def test_strings_as_chunked_arrow_arrays(words: list[str], cuts: list[int]) -> None:
    bounds = [0, *sorted(min(c, len(words)) for c in cuts), len(words)]
    chunks = [words[a:b] for a, b in pairwise(bounds)]
    assert_as_python(
        pa.chunked_array([pa.array(c, pa.string()) for c in chunks], pa.string()), words
    )
    # each chunk its own dictionary: different entries, different codes for the same string
    dictionaries = [pa.array(c, pa.string()).dictionary_encode() for c in chunks]
    assert_as_python(pa.chunked_array(dictionaries, dictionaries[0].type), words)


@pytest.mark.usefixtures("small_blocks")
@given(words=key_texts(max_size=40))
def test_strings_across_blocks_and_tail_chunks(words: list[str]) -> None:
    assert_as_unique(np.array(words, dtype=str))
    assert_as_unique(objects(words))
    assert_as_python(pa.array(words), words)


@given(
    width=st.integers(0, 70),
    codes=st.lists(st.integers(0, 5), min_size=1, max_size=40),
    seed=st.integers(0, 2**32 - 1),
)
def test_strings_of_one_length_read_with_a_stride(width: int, codes: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    letters = np.array(list("ab\x00é"))
    pool = ["".join(rng.choice(letters, width)) for _ in range(6)]
    words = [pool[c] for c in codes]
    array = pa.array(words)
    assert_as_python(array, words)
    assert_as_python(array.slice(1), words[1:])  # offsets that do not start at zero


def test_dictionaries_with_unused_duplicate_and_null_entries() -> None:
    dictionary = pa.array(["zed", "amy", "amy", None, "bob", "unused"])
    indices = pa.array([4, 1, 2, 0, 1], pa.int8())
    values = pa.DictionaryArray.from_arrays(indices, dictionary)
    distinct, codes = factorize(values)
    assert distinct.tolist() == ["amy", "bob", "zed"]
    assert codes.tolist() == [1, 0, 0, 2, 0]


def test_arrow_integers_and_empty_arrays() -> None:
    distinct, codes = factorize(pa.chunked_array([[30, 10], [30, 50]]))
    assert distinct.tolist() == [10, 30, 50] and codes.tolist() == [1, 0, 1, 2]
    for empty in (pa.array([], pa.string()), pa.chunked_array([], pa.string())):
        distinct, codes = factorize(empty)
        assert distinct.dtype == object and distinct.size == 0 and codes.size == 0
    assert factorize(pa.array([], pa.string()).dictionary_encode())[0].size == 0


@pytest.mark.parametrize(
    ("values", "row"),
    [
        (pa.array(["a", None, "b", None]), 1),
        (pa.chunked_array([["a", "b"], ["c", None]]), 3),
        (pa.array(["a", None]).dictionary_encode(), 1),
        (pa.DictionaryArray.from_arrays(pa.array([0, 1, 1]), pa.array(["a", None])), 1),
    ],
)
def test_missing_values_in_arrow_are_refused(values: Any, row: int) -> None:
    with pytest.raises(relmark.ValidationError, match="`values` must not be missing") as error:
        factorize(values)
    assert error.value.argument == "values" and error.value.row == row


def test_wrong_kinds_of_values_are_refused() -> None:
    with pytest.raises(TypeError, match="`values` must be a numpy array or a pyarrow"):
        factorize(["a", "b"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "values",
    [
        [b"b", b"a", b"b"],  # bytes objects: Python's bytes order
        ["a\ud800", "a", "a\ud800"],  # a lone surrogate has no UTF-8
        [np.str_("b"), "a", "b"],
    ],
)
def test_objects_without_one_utf8_form_take_the_dictionary_path(values: list[Any]) -> None:
    assert_as_unique(objects(values))


def test_text_mixed_with_other_objects_fails_as_in_numpy() -> None:
    for mixed in (["a", b"a"], ["a", None], ["a", 1]):
        with pytest.raises(TypeError, match="not supported between instances"):
            factorize(objects(mixed))


def test_non_latin1_unicode_goes_through_utf8() -> None:
    words = ["zoë", "ωμέγα", "", "日本", "zoë", "\U0001f600", "ÿ"]
    assert_as_unique(np.array(words))
    assert_as_unique(np.array(words, dtype=">U6"))  # big-endian code units


def test_objects_come_back_as_the_callers_own() -> None:
    values = objects(["bob", "amy", "bob"])
    distinct, codes = factorize(values)
    assert distinct[0] is values[1] and distinct[1] is values[0]
    assert codes.tolist() == [1, 0, 1]


def test_inputs_are_left_as_they_were() -> None:
    unicode = np.array(["b", "a", "b"])
    frozen = unicode.copy()
    factorize(unicode)
    np.testing.assert_array_equal(unicode, frozen)


def test_long_strings_differing_only_in_their_tails() -> None:
    head = "h" * 1000
    words = [head + "b", head + "a", head + "b", head + "ab", head, "h" * 2000, head + "a"]
    words += ["x" * 100_000 + "1", "x" * 100_000 + "0", "x" * 100_000 + "1"]
    assert_as_unique(objects(words))
    assert_as_python(pa.array(words), words)
    assert_as_python(pa.chunked_array([words[:5], words[5:]]), words)


@pytest.mark.parametrize("few_tied", [1, 64])
def test_trailing_nuls_order_by_length(monkeypatch: pytest.MonkeyPatch, few_tied: int) -> None:
    monkeypatch.setattr(_keys, "_FEW_TIED", few_tied)
    words = ["a\x00\x00", "a", "a\x00", "a\x00\x00\x00\x00\x00\x00\x00\x00", "a\x00"]
    assert_as_unique(objects(words))
    assert_as_python(pa.array(words), words)


@pytest.mark.parametrize("hash_of", [lambda hashes: hashes * 0, lambda hashes: hashes & 1])
@given(words=key_texts(max_size=40))
def test_hash_collisions_still_give_the_exact_answer(
    hash_of: Callable[[Any], Any], words: list[str]
) -> None:
    splits = []
    real_hashes, real_split = _keys._hashes, _keys._split_collisions

    def spy_split(*args: Any) -> Any:
        splits.append(True)
        return real_split(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_keys, "_hashes", lambda text: hash_of(real_hashes(text)))
        patch.setattr(_keys, "_split_collisions", spy_split)
        assert_as_python(pa.array(words), words)
        assert_as_unique(np.array(words, dtype=str))
        assert_as_unique(objects(words))
    if len(set(words)) > 2:  # three strings cannot all avoid sharing one bit of hash
        assert splits


def test_groups_in_first_appearance_order() -> None:
    values = np.array(["pear", "fig", "pear", "apple", "fig"])
    text = _keys._fixed_text(values)
    distinct, codes = _keys._factorize_text(text, values.__getitem__, in_order=False)
    assert distinct.tolist() == ["pear", "fig", "apple"]
    assert codes.tolist() == [0, 1, 0, 2, 1]


def test_many_uuids_across_blocks() -> None:
    rng = np.random.default_rng(11)
    pool = np.array([f"{value:032x}" for value in rng.integers(0, 2**63, 3_000)])
    words = pool[rng.integers(0, pool.size, 150_000)].tolist()
    assert_as_python(pa.array(words), words)
    assert_as_unique(np.array(words))


def test_arrow_values_with_a_key_and_arrays_of_two_dimensions() -> None:
    distinct, codes = factorize(pa.array(["b", "a", "b"]), key=str.upper)
    assert distinct.tolist() == ["A", "B"] and codes.tolist() == [1, 0, 1]
    assert_as_unique(np.array([["b", "a"], ["a", "c"]]))


def test_chunks_too_large_for_32_bit_offsets_are_joined_as_large_strings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_keys, "_MAX_STRING_BYTES", 4)
    joined = _keys._one_array(pa.chunked_array([["ab", "c"], ["de"]]))
    assert joined.type == pa.large_string()
    assert_as_python(pa.chunked_array([["ab", "c"], ["de", "c"]]), ["ab", "c", "de", "c"])


@pytest.mark.parametrize("few_tied", [1, 64])
def test_sorting_equal_strings_is_an_internal_error(
    monkeypatch: pytest.MonkeyPatch, few_tied: int
) -> None:
    monkeypatch.setattr(_keys, "_FEW_TIED", few_tied)
    text = _keys._arrow_text(pa.array(["a\x00", "a\x00"]))
    with pytest.raises(AssertionError, match="two distinct strings compared equal"):
        _keys._sorted_order(text, np.array([0, 1]))


@given(words=key_texts(max_pool=2, max_size=80), repeat=st.integers(8, 12))
def test_few_distinct_strings_through_pyarrows_hash_table(words: list[str], repeat: int) -> None:
    words = words * repeat  # at least 32 rows of at most 2 distinct values, when any
    taken = []
    real = _keys._factorize_dictionary

    def spy(values: Any) -> Any:
        taken.append(len(values))
        return real(values)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_keys, "_SAMPLE", 8)
        patch.setattr(_keys, "_factorize_dictionary", spy)
        assert_as_python(pa.array(words), words)
        values = objects(words)
        assert_as_unique(values)
        distinct, _ = factorize(values)
        assert all(any(d is v for v in values) for d in distinct)  # the caller's objects
    assert len(taken) == (3 if len(words) >= 32 else 0)


def test_summaries_of_string_ids_match_those_of_integer_ids() -> None:
    rng = np.random.default_rng(5)
    numbers = rng.integers(0, 300, 2_000)
    names = np.array([f"customer-{n:05d}@example.org" for n in range(300)])
    times = np.sort(rng.uniform(0.0, 100.0, numbers.size))
    by_number = relmark.TransactionLog.from_arrays(numbers, times, unit="D").summarize(120.0)
    for ids in (names[numbers], objects(names[numbers].tolist())):
        by_name = relmark.TransactionLog.from_arrays(ids, times, unit="D").summarize(120.0)
        assert by_name.customer_id is not None and by_number.customer_id is not None
        assert by_name.customer_id.tolist() == names[by_number.customer_id].tolist()
        for column in ("frequency", "recency", "T"):
            assert getattr(by_name, column).tolist() == getattr(by_number, column).tolist()


def test_a_few_strings_sharing_a_long_prefix_sort_at_once() -> None:
    head = "z" * 3_000_000  # rounds of 64 bits would take 375,000 passes
    words = [head + "b", head + "a", "z", head + "b", head]
    assert_as_python(pa.array(words), words)
