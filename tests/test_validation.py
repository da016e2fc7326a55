"""The input-check primitives of relmark._validation: one rule each, one message each.

Every rule: a good value passes (and comes back as documented), each bad value
raises the right type with a message naming the argument, the rule and the
value; array messages give how many rows break the rule and the first index;
inputs are never changed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import relmark
from relmark import ValidationError
from relmark._validation import (
    MAX_STEPS,
    as_amount,
    as_bool_array,
    as_broadcastable,
    as_choice,
    as_count,
    as_customer_id,
    as_flag,
    as_float_array,
    as_instance,
    as_mapping,
    as_model,
    as_periods,
    as_positive,
    as_probability,
    as_rng,
    as_scalar,
    as_survivor_counts,
    as_text,
    check_broadcast,
    check_length,
    check_range,
    check_same_length,
    check_size,
    check_whole,
    describe,
    fail_rows,
    float_or_array,
)
from relmark.models import ContractModel, PurchaseModel, SpendModel

BG = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
GG = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
SBG = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)


def column(n: int, at: int, bad: float, base: float = 1.0) -> np.ndarray:
    values = np.full(n, base)
    values[at] = bad
    return values


# ------------------------------------------------------------------------------ fail_rows


def test_fail_rows_passes_when_no_row_is_bad() -> None:
    assert fail_rows("x", "must be >= 0", np.zeros(3, dtype=bool), np.ones(3)) is None


@given(n=st.integers(1, 50), data=st.data())
def test_fail_rows_counts_and_quotes_the_first_offending_value(n: int, data: st.DataObject) -> None:
    bad = data.draw(hnp.arrays(bool, n).filter(lambda b: b.any()))
    values = np.arange(n, dtype=float) + 0.5
    first = int(np.flatnonzero(bad)[0])
    expected = (
        f"`x` must be small; {int(bad.sum()):,} of {n:,} customers violate this "
        f"(first at index {first}: {float(values[first])!r})"
    )
    with pytest.raises(ValidationError, match=re.escape(expected)):
        fail_rows("x", "must be small", bad, values, noun="customers")


def test_fail_rows_formats_a_relation_and_keeps_ready_details() -> None:
    r, t = np.array([1.0, 5.0]), np.array([2.0, 3.0])
    with pytest.raises(ValidationError, match=re.escape("(first at index 1: 5.0 > 3.0)")):
        fail_rows("recency", "must be <= `T`", r > t, r, versus=(">", t))
    with pytest.raises(ValidationError, match=re.escape("(first at index 0: as given)")):
        fail_rows("x", "must be odd", np.array([True]), "as given")
    with pytest.raises(
        ValidationError, match=re.escape("1 of 4 rows violate this (first at index 3)") + "$"
    ):
        fail_rows("x", "must be odd", np.array([[False, False], [False, True]]))
    names = np.array(["ok", "soon"])
    with pytest.raises(ValidationError, match=re.escape("(first at index 1: 'soon')")):
        fail_rows("when", "must be a date", names == "soon", names)


def test_describe_keeps_values_short() -> None:
    assert describe(np.float64(2.5)) == "2.5"
    assert describe(np.int64(3)) == "3"
    assert describe("a") == "'a'"
    assert describe(10**400) == "~1e+400"


# ------------------------------------------------------------------------------ row rules


@pytest.mark.parametrize(
    ("bounds", "rule", "bad"),
    [
        ({"low": 0.0}, "must be >= 0", -1.0),
        ({"low": 0.0, "low_open": True}, "must be > 0", 0.0),
        ({"high": 1.0}, "must be <= 1", 1.5),
        ({"high": 1.0, "high_open": True}, "must be < 1", 1.0),
        ({"low": 0.0, "high": 1.0}, "must lie in [0, 1]", -0.5),
        ({"low": 0.0, "high": 1.0, "high_open": True}, "must lie in [0, 1)", 1.0),
        ({"low": 0.0, "high": 1.0, "low_open": True}, "must lie in (0, 1]", 0.0),
    ],
)
def test_check_range_states_what_is_accepted(bounds: dict[str, Any], rule: str, bad: float) -> None:
    check_range("p", np.array([0.5, 0.25]), **bounds)
    values = np.array([0.5, bad, bad])
    with pytest.raises(
        ValidationError,
        match=re.escape(f"`p` {rule}; 2 of 3 rows violate this (first at index 1: {bad!r})"),
    ):
        check_range("p", values, **bounds)


def test_check_range_lets_nan_through_and_needs_a_bound() -> None:
    check_range("p", np.array([np.nan, 0.5]), low=0.0, high=1.0)
    check_range("p", np.array([-1e300, 1e300]))  # no bound, no rule


def test_check_whole() -> None:
    check_whole("n", np.array([0.0, 3.0, -2.0]))
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "`n` must be whole numbers; 1 of 3 scores violate this (first at index 2: 0.5)"
        ),
    ):
        check_whole("n", np.array([1.0, 2.0, 0.5]), noun="scores")


def test_check_same_length_names_every_argument() -> None:
    assert check_same_length({"a": [1, 2], "b": np.zeros(2)}) == 2
    assert check_same_length({}) == 0
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "`a`, `b` and `c` must have the same length: `a` has 2, `b` has 2, `c` has 1"
        ),
    ):
        check_same_length({"a": [1, 2], "b": [1, 2], "c": [1]})


def test_check_length() -> None:
    check_length("redeemed", [1.0, 2.0], 2)
    with pytest.raises(
        ValidationError, match=re.escape("`redeemed` must have one value per customer (3), got 2")
    ):
        check_length("redeemed", [1.0, 2.0], 3)


@given(lengths=st.lists(st.integers(2, 9), min_size=2, max_size=2, unique=True))
def test_check_broadcast_names_the_arguments_that_clash(lengths: list[int]) -> None:
    n, m = lengths  # two different lengths
    assert check_broadcast({"a": np.ones(n), "b": 1.0, "c": np.ones(1)}) == (n,)
    assert check_broadcast({"a": np.ones(n), "b": np.ones(n)}) == (n,)
    with pytest.raises(
        ValidationError,
        match=re.escape(
            f"`a` and `b` must have the same length (or be scalars): `a` has shape ({n},), "
            f"`b` has shape ({m},)"
        ),
    ):
        check_broadcast({"a": np.ones(n), "scalar": 2.0, "b": np.ones(m)})


# ------------------------------------------------------------------------------ arrays


@given(values=hnp.arrays(np.float64, st.integers(0, 30), elements=st.floats(0.0, 1e9)))
def test_as_float_array_returns_a_read_only_copy(values: np.ndarray) -> None:
    before = values.copy()
    checked = as_float_array("x", values, nonnegative=True)
    assert np.array_equal(checked, values) and checked.dtype == np.float64
    assert not checked.flags.writeable and not np.shares_memory(checked, values)
    assert values.flags.writeable and np.array_equal(values, before)


@given(
    n=st.integers(1, 40),
    data=st.data(),
    bad=st.sampled_from([np.nan, np.inf, -np.inf, -1.0, -1e-300]),
)
def test_as_float_array_reports_count_and_first_index(
    n: int, data: st.DataObject, bad: float
) -> None:
    at = data.draw(st.integers(0, n - 1))
    values = column(n, at, bad)
    before = values.copy()
    rule = (
        "must not be NaN"
        if np.isnan(bad)
        else "must be finite"
        if np.isinf(bad)
        else "must be >= 0"
    )
    shown = "" if np.isnan(bad) else f": {bad!r}"
    with pytest.raises(
        ValidationError,
        match=re.escape(
            f"`x` {rule}; 1 of {n:,} customers violate this (first at index {at}{shown})"
        ),
    ):
        as_float_array("x", values, nonnegative=True, noun="customers")
    assert np.array_equal(values, before, equal_nan=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("12", "`x` must be an array of numbers, got str"),
        (None, "`x` must be an array of numbers, got None"),
        ([True, False], "`x` must hold numbers, got dtype bool"),
        (["a", "b"], "`x` must hold numbers, got dtype <U1"),
        (
            np.array([1, "a"], dtype=object),
            "`x` must hold numbers only; 1 of 2 rows are not (first at index 1: 'a')",
        ),
        # None in a list is not read as NaN, nor a string that parses as a number
        ([None], "`x` must hold numbers only; 1 of 1 rows are not (first at index 0: None)"),
        (
            [1.0, None, 3.0, None],
            "`x` must hold numbers only; 2 of 4 rows are not (first at index 1: None)",
        ),
        (
            np.array([1.5, "2.5"], dtype=object),
            "`x` must hold numbers only; 1 of 2 rows are not (first at index 1: '2.5')",
        ),
        (
            np.array([np.bool_(True), 1.0], dtype=object),
            "`x` must hold numbers only; 1 of 2 rows are not (first at index 0: True)",
        ),
        (
            np.array([1.0, dict.fromkeys(range(30))], dtype=object),
            "`x` must hold numbers only; 1 of 2 rows are not (first at index 1: a dict)",
        ),
    ],
)
def test_as_float_array_wrong_types(value: Any, message: str) -> None:
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        as_float_array("x", value)


def test_as_float_array_reads_object_arrays_of_numbers() -> None:
    numbers = np.array(
        [1, np.float64(2.5), Fraction(1, 4), Decimal("0.5"), np.int8(3)], dtype=object
    )
    assert as_float_array("x", numbers).tolist() == [1.0, 2.5, 0.25, 0.5, 3.0]
    # NaN is a number, so a bad value, not a wrong kind
    with pytest.raises(
        ValidationError,
        match=r"^`x` must not be NaN; 1 of 2 rows violate this \(first at index 1\)$",
    ):
        as_float_array("x", np.array([1.0, float("nan")], dtype=object))
    assert np.isnan(as_float_array("x", np.array([float("nan")], dtype=object), allow_nan=True)[0])
    with pytest.raises(
        ValidationError,
        match=r"^`x` must be finite; 1 of 2 rows violate this \(first at index 1: ~1e\+400\)$",
    ):
        as_float_array("x", np.array([1, 10**400], dtype=object))


def test_as_float_array_options() -> None:
    with pytest.raises(
        ValidationError, match=re.escape("`x` must be one-dimensional, got shape (2, 1)")
    ):
        as_float_array("x", [[1.0], [2.0]])
    assert as_float_array("x", [[1.0], [2.0]], any_shape=True).shape == (2, 1)
    assert as_float_array("x", 3).tolist() == [3.0]
    assert np.isnan(as_float_array("x", [np.nan, 1.0], allow_nan=True, positive=True)[0])
    with pytest.raises(
        ValidationError,
        match=re.escape("`x` must be > 0; 1 of 2 rows violate this (first at index 1: 0.0)"),
    ):
        as_float_array("x", [1.0, 0.0], positive=True)
    with pytest.raises(ValidationError, match=re.escape("`x` must lie in [0, 1]; 1 of 2 rows")):
        as_float_array("x", [1.0, 2.0], low=0.0, high=1.0)
    assert as_float_array("x", np.array([1, 2], dtype=object)).tolist() == [1.0, 2.0]
    with pytest.raises(
        ValidationError,
        match=r"^`x` must be a one-dimensional array of numbers, got a ragged sequence$",
    ):
        as_float_array("x", [1.0, [2.0, 3.0]])


def test_as_broadcastable_keeps_the_shape() -> None:
    assert as_broadcastable("m", 2.0).shape == ()
    assert as_broadcastable("m", [[1.0, 2.0]]).shape == (1, 2)
    with pytest.raises(
        ValidationError,
        match=re.escape("`m` must be > 0; 1 of 2 values violate this (first at index 1: -1.0)"),
    ):
        as_broadcastable("m", [[1.0, -1.0]], positive=True)


def test_as_bool_array() -> None:
    flags = [True, False]
    assert as_bool_array("churned", flags).tolist() == flags
    assert as_bool_array("churned", np.array([1.0, 0.0])).tolist() == flags
    assert not as_bool_array("churned", flags).flags.writeable
    with pytest.raises(
        ValidationError,
        match=re.escape(
            "`churned` must be True/False or 1/0; 1 of 3 rows violate this (first at index 2: 2.0)"
        ),
    ):
        as_bool_array("churned", [1, 0, 2])
    with pytest.raises(
        TypeError, match=re.escape("`churned` must hold True/False (or 1/0), got dtype <U3")
    ):
        as_bool_array("churned", ["yes", "no"])
    with pytest.raises(TypeError, match="`churned` must be an array of True/False, got NoneType"):
        as_bool_array("churned", None)  # type: ignore[arg-type]
    # True/False objects (a pandas object column) are flags; None among them is not
    assert as_bool_array("churned", np.array([True, 0, 1.0], dtype=object)).tolist() == [
        True,
        False,
        True,
    ]
    with pytest.raises(
        TypeError,
        match=r"^`churned` must hold numbers only; 1 of 2 rows are not \(first at index 1: None\)$",
    ):
        as_bool_array("churned", [True, None])


def test_as_survivor_counts() -> None:
    assert as_survivor_counts("alive", [10, 5, 5, 0]).tolist() == [10.0, 5.0, 5.0, 0.0]
    assert as_survivor_counts("alive", [3]).tolist() == [3.0]
    cases = [
        ([10, 12, 11.5], {}, "`alive` must not increase over time (customers cannot come back "
         "in a cohort); 1 of 3 periods violate this (first at index 1: 12.0 > 10.0)"),
        ([], {}, "`alive` needs the cohort size, got 0 value(s)"),
        ([10], {"minimum": 2}, "`alive` needs the cohort size and at least one later count, "
         "got 1 value(s)"),
        ([10, 5], {"minimum": 3}, "`alive` needs the cohort size and at least 2 later counts, "
         "got 2 value(s)"),
        ([0, 0], {}, "`alive[0]` (the cohort size) must be > 0, got 0"),
        ([10, -1], {}, "`alive` must be >= 0; 1 of 2 periods violate this "
         "(first at index 1: -1.0)"),
    ]  # fmt: skip
    for counts, options, message in cases:
        with pytest.raises(ValidationError, match=f"^{re.escape(message)}$"):
            as_survivor_counts("alive", counts, **options)


# ------------------------------------------------------------------------------ scalars


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, "`x` must be a real number, got bool"),
        ("1", TypeError, "`x` must be a real number, got str"),
        (None, TypeError, "`x` must be a real number, got NoneType"),
        ([1.0], TypeError, "`x` must be a real number, got list"),
        (float("nan"), ValidationError, "`x` must not be NaN"),
        (float("inf"), ValidationError, "`x` must be finite, got inf"),
        (10**400, ValidationError, "`x` must be finite, got ~1e+400"),
        (-1, ValidationError, "`x` must be >= 0, got -1.0"),
        (11, ValidationError, "`x` must be < 10, got 11.0"),
    ],
)
def test_as_scalar_rejects(value: object, error: type[Exception], message: str) -> None:
    assert as_scalar("x", 5, low=0.0, high=10.0, high_open=True) == 5.0
    with pytest.raises(error, match=re.escape(message)):
        as_scalar("x", value, low=0.0, high=10.0, high_open=True)


def test_as_positive_and_as_probability() -> None:
    assert as_positive("step", np.float32(0.5)) == 0.5
    with pytest.raises(ValidationError, match=re.escape("`step` must be > 0, got 0.0")):
        as_positive("step", 0)
    assert as_probability("p", 1) == 1.0
    with pytest.raises(ValidationError, match=re.escape("`p` must be <= 1, got 1.5")):
        as_probability("p", 1.5)
    with pytest.raises(ValidationError, match=re.escape("`p` must be < 1, got 1.0")):
        as_probability("p", 1.0, high_open=True)
    with pytest.raises(TypeError, match="`p` must be a real number, got bool"):
        as_probability("p", True)


def test_as_count() -> None:
    assert as_count("k", np.int64(4), minimum=1) == 4
    for wrong in (2.0, True, "3", None):
        with pytest.raises(TypeError, match=f"`k` must be an integer, got {type(wrong).__name__}"):
            as_count("k", wrong)
    with pytest.raises(ValidationError, match=re.escape("`k` must be >= 1, got 0")):
        as_count("k", 0, minimum=1)
    with pytest.raises(
        ValidationError, match=re.escape("`k` must be <= 100, got 1,000 (too many)")
    ):
        as_count("k", 1000, maximum=100, why="too many")


@given(periods=st.integers(0, 10**30))
def test_as_periods_accepts_integers_and_whole_floats(periods: int) -> None:
    assert as_periods("periods", periods) == periods
    if periods < 2**53:
        assert as_periods("periods", float(periods)) == periods


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, "`periods` must be a whole number, got bool"),
        (np.True_, TypeError, "`periods` must be a whole number, got bool"),
        ("3", TypeError, "`periods` must be a whole number, got str"),
        (None, TypeError, "`periods` must be a whole number, got NoneType"),
        (2.5, ValidationError, "`periods` must be a whole number >= 1, got 2.5"),
        (float("nan"), ValidationError, "`periods` must be a whole number >= 1, got nan"),
        (float("inf"), ValidationError, "`periods` must be a whole number >= 1, got inf"),
        (0, ValidationError, "`periods` must be a whole number >= 1, got 0"),
        (0.0, ValidationError, "`periods` must be a whole number >= 1, got 0"),
        (10**400, ValidationError, "`periods` must be finite, got ~1e+400"),
    ],
)
def test_as_periods_rejects(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        as_periods("periods", value, minimum=1)


def test_as_flag_and_as_choice() -> None:
    assert as_flag("log", np.bool_(True)) is True
    with pytest.raises(TypeError, match="`log` must be True or False, got int"):
        as_flag("log", 1)
    assert as_choice("timing", "end", ("end", "start")) == "end"
    with pytest.raises(
        ValidationError, match="`timing` must be one of 'end', 'start', got 'middle'"
    ):
        as_choice("timing", "middle", ("end", "start"))
    with pytest.raises(TypeError, match="`timing` must be one of 'end', 'start', got int"):
        as_choice("timing", 1, ("end", "start"))
    # numpy strings are quoted as plain ones
    with pytest.raises(
        ValidationError, match=r"^`timing` must be one of 'end', 'start', got 'mid'$"
    ):
        as_choice("timing", np.str_("mid"), ("end", "start"))


def test_text_ids_instants_and_amounts() -> None:
    assert as_text("name", "Club") == "Club"
    with pytest.raises(ValidationError, match="`name` must not be empty, got ' '"):
        as_text("name", " ")
    with pytest.raises(TypeError, match="`name` must be a string, got int"):
        as_text("name", 3)
    assert as_customer_id(np.int64(7)) == 7 and as_customer_id("a") == "a"
    with pytest.raises(TypeError, match="`customer_id` must be a string or an integer, got bool"):
        as_customer_id(True)
    assert as_amount("cost", None, optional=True) is None
    with pytest.raises(TypeError, match="`cost` must be a real number, got NoneType"):
        as_amount("cost", None)
    with pytest.raises(ValidationError, match=re.escape("`cost` must be >= 0, got -1.0")):
        as_amount("cost", -1)


def test_check_size_refuses_before_the_work() -> None:
    check_size("`horizon` / `step`", 10.0, MAX_STEPS, unit="steps", why="one pass each")
    for size, shown in (
        (1e308, "1e+308"),
        (float("inf"), "inf"),
        (float("nan"), "nan"),
        (10**6, "1,000,000"),
    ):
        with pytest.raises(
            ValidationError,
            match=re.escape(
                f"`horizon` / `step` = {shown} steps; at most 100,000 are supported (one pass each)"
            ),
        ):
            check_size("`horizon` / `step`", size, MAX_STEPS, unit="steps", why="one pass each")


# ------------------------------------------------------------------------------ objects


def test_as_instance_and_as_mapping() -> None:
    summary = relmark.CustomerSummary.from_arrays([0], [0.0], [1.0])
    assert as_instance("summary", summary, relmark.CustomerSummary) is summary
    with pytest.raises(TypeError, match="`summary` must be a CustomerSummary, got NoneType"):
        as_instance("summary", None, relmark.CustomerSummary)
    mapping = {"x": [1.0]}
    assert as_mapping("features", mapping) is mapping
    with pytest.raises(TypeError, match="`features` must be a mapping of name to array, got list"):
        as_mapping("features", [[1.0]])


@attrs.frozen
class OnlyPurchases:
    def expected_purchases(self, summary: Any, t: Any) -> Any:
        return t


def test_as_model_checks_the_contract() -> None:
    assert as_model("m", BG, PurchaseModel) is BG
    assert as_model("m", GG, SpendModel) is GG
    assert as_model("m", SBG, ContractModel) is SBG
    with pytest.raises(
        TypeError,
        match=re.escape(
            "`spend_model` must be a SpendModel (an object with expected_spend()), got BetaGeo"
        ),
    ):
        as_model("spend_model", BG, SpendModel)
    with pytest.raises(
        TypeError,
        match=r"`m` must be a PurchaseModel \(an object with expected_purchases\(\), .*NoneType",
    ):
        as_model("m", None, PurchaseModel)
    # only what the caller uses
    double = OnlyPurchases()
    assert as_model("m", double, PurchaseModel, uses=["expected_purchases"]) is double
    with pytest.raises(
        TypeError, match=r"`m` must be a PurchaseModel .*probability_alive\(\).*got OnlyPurchases"
    ):
        as_model("m", double, PurchaseModel)
    with pytest.raises(AssertionError, match="PurchaseModel has no expected_spend"):
        as_model("m", double, PurchaseModel, uses=["expected_spend"])


def test_as_rng() -> None:
    gen = np.random.default_rng(1)
    assert as_rng(gen) is gen
    assert as_rng(3).integers(100) == np.random.default_rng(3).integers(100)
    assert isinstance(as_rng(None), np.random.Generator)
    for wrong in (True, "3", 1.5):
        with pytest.raises(
            TypeError,
            match=f"an int seed or None, got {type(wrong).__name__}$",
        ):
            as_rng(wrong)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="`rng` seed must be >= 0, got -1"):
        as_rng(-1)


def test_float_or_array() -> None:
    assert float_or_array(np.float64(2.0)) == 2.0 and isinstance(float_or_array(np.array(2)), float)
    assert float_or_array([1, 2]).tolist() == [1.0, 2.0]
