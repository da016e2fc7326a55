"""Covariates: the container, and summaries that carry them (issue 14, the data side)."""

from __future__ import annotations

import collections
import pickle
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.csv
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import CustomerSummary, ValidationError
from relmark.data.covariates import Covariates


def _summary(ids: list[Any]) -> CustomerSummary:
    n = len(ids)
    frequency = np.arange(n) % 3
    T = 10.0 + np.arange(n)
    return CustomerSummary.from_arrays(
        frequency, np.where(frequency > 0, 5.0, 0.0), T, customer_id=ids, unit="W"
    )


SUMMARY = _summary(["a", "b", "c", "d"])
TABLE: dict[str, list[Any]] = {
    "customer_id": ["d", "c", "b", "a", "zz"],  # shuffled, with a customer not in the summary
    "region": ["south", "north", "west", "north", "east"],
    "age": [50, 40, 30, 20, 99],
    "member": [True, False, True, False, True],
    "score": [0.5, 1.5, 2.5, 3.5, np.nan],  # the NaN belongs to the ignored customer
}


# ----------------------------------------------------------------------------- the container


def test_covariates_hold_read_only_copies_and_pick_columns_by_name() -> None:
    raw = np.array([[1.0, 0.0], [2.0, 1.0], [3.0, 1.0]])
    covariates = Covariates(names=("age", "web"), values=raw)
    raw[0, 0] = 99.0
    assert covariates.values.tolist() == [[1.0, 0.0], [2.0, 1.0], [3.0, 1.0]]
    with pytest.raises(ValueError, match=r"^assignment destination is read-only$"):
        covariates.values[0, 0] = 5.0
    assert len(covariates) == 3
    assert covariates.columns(["web", "age"]).tolist() == [[0.0, 1.0], [1.0, 2.0], [1.0, 3.0]]
    assert covariates.columns([]).shape == (3, 0)
    assert {name: column.tolist() for name, column in covariates.to_dict().items()} == {
        "age": [1.0, 2.0, 3.0],
        "web": [0.0, 1.0, 1.0],
    }
    assert repr(covariates) == "Covariates(3 rows: age, web)"
    many = Covariates(names=tuple("abcdefgh"), values=np.zeros((2, 8)))
    assert repr(many) == "Covariates(2 rows, 8 columns: a, b, c, d, e, f, ...)"


def test_unknown_columns_are_named_with_the_known_ones() -> None:
    covariates = Covariates(names=("age", "web"), values=[[1.0, 0.0]])
    with pytest.raises(
        ValidationError,
        match=r"^unknown covariates 'x', 'y'; the covariates are 'age', 'web'$",
    ):
        covariates.columns(["age", "x", "y"])
    with pytest.raises(TypeError, match=r"^`names` must be a sequence of strings, got str$"):
        covariates.columns("age")


def test_subset_takes_masks_indices_and_slices() -> None:
    covariates = Covariates(names=("a",), values=[[1.0], [2.0], [3.0]])
    assert covariates.subset([2, 0]).values.ravel().tolist() == [3.0, 1.0]
    assert covariates.subset(np.array([True, False, True])).values.ravel().tolist() == [1.0, 3.0]
    part = covariates.subset(slice(1, None))
    assert part.values.ravel().tolist() == [2.0, 3.0] and not part.values.flags.writeable
    assert part.names == ("a",)
    with pytest.raises(ValidationError, match=r"^`rows` mask must have length 3, got shape"):
        covariates.subset(np.array([True, False]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"names": ("a",), "values": [[np.nan]]}, ValidationError, r"^`values` must not be NaN"),
        ({"names": ("a",), "values": [[np.inf]]}, ValidationError, r"^`values` must be finite"),
        ({"names": ("a",), "values": [1.0]}, ValidationError, r"must be two-dimensional"),
        (
            {"names": ("a", "b"), "values": [[1.0]]},
            ValidationError,
            r"^`values` must have one column per name \(2\), got 1$",
        ),
        ({"names": ("a", "a"), "values": [[1.0, 2.0]]}, ValidationError, r"holds 'a' twice"),
        ({"names": ("",), "values": [[1.0]]}, ValidationError, r"must not hold empty strings"),
        ({"names": "a", "values": [[1.0]]}, TypeError, r"^`names` must be a sequence of strings"),
        ({"names": (1,), "values": [[1.0]]}, TypeError, r"^`names` must hold strings, got int$"),
        ({"names": ("a",), "values": [["x"]]}, TypeError, r"^`values` must hold numbers"),
    ],
)
def test_bad_covariates_are_refused(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Covariates(**kwargs)


def test_covariates_pickle_read_only() -> None:
    covariates = Covariates(names=("a", "b"), values=[[1.0, 2.0], [3.0, 4.0]])
    copy = pickle.loads(pickle.dumps(covariates))
    assert copy.names == ("a", "b") and not copy.values.flags.writeable
    np.testing.assert_array_equal(copy.values, covariates.values)


# ----------------------------------------------------------------------------- encoding


def _by_customer(summary: CustomerSummary) -> dict[Any, dict[str, float]]:
    assert summary.covariates is not None and summary.customer_id is not None
    columns = summary.covariates.to_dict()
    return {
        key: {name: float(values[i]) for name, values in columns.items()}
        for i, key in enumerate(summary.customer_id.tolist())
    }


EXPECTED = {  # TABLE encoded: region's reference is "north" (first in sorted order)
    "a": {"region=south": 0.0, "region=west": 0.0, "age": 20.0, "member": 0.0, "score": 3.5},
    "b": {"region=south": 0.0, "region=west": 1.0, "age": 30.0, "member": 1.0, "score": 2.5},
    "c": {"region=south": 0.0, "region=west": 0.0, "age": 40.0, "member": 0.0, "score": 1.5},
    "d": {"region=south": 1.0, "region=west": 0.0, "age": 50.0, "member": 1.0, "score": 0.5},
}


def test_a_mapping_of_columns_is_encoded_by_kind_and_aligned_by_id() -> None:
    summary = SUMMARY.with_covariates(TABLE)
    assert summary.covariates is not None
    assert summary.covariates.names == ("region=south", "region=west", "age", "member", "score")
    assert _by_customer(summary) == EXPECTED
    # the rest of the summary is the same summary
    for name in ("frequency", "recency", "T", "weights", "customer_id"):
        np.testing.assert_array_equal(getattr(summary, name), getattr(SUMMARY, name))
    assert summary.unit == "W" and SUMMARY.covariates is None
    assert not summary.covariates.values.flags.writeable


def test_columns_chooses_and_orders_the_covariates() -> None:
    summary = SUMMARY.with_covariates(TABLE, columns=["member", "age"])
    assert summary.covariates is not None
    assert summary.covariates.names == ("member", "age")
    assert summary.covariates.values.tolist() == [[0, 20], [1, 30], [0, 40], [1, 50]]


def test_pandas_frames_categoricals_and_named_indexes() -> None:
    pd = pytest.importorskip("pandas", reason="pandas is not installed")
    frame = pd.DataFrame(TABLE)
    frame["region"] = frame["region"].astype("category")
    before = frame.copy(deep=True)
    summary = SUMMARY.with_covariates(frame)
    assert _by_customer(summary) == EXPECTED
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched
    indexed = frame.set_index("customer_id")
    assert _by_customer(SUMMARY.with_covariates(indexed)) == EXPECTED
    text = frame.astype({"region": object})
    assert _by_customer(SUMMARY.with_covariates(text)) == EXPECTED


def test_polars_frames() -> None:
    pl = pytest.importorskip("polars", reason="polars is not installed")
    frame = pl.DataFrame({name: list(values) for name, values in TABLE.items()})
    assert _by_customer(SUMMARY.with_covariates(frame)) == EXPECTED
    categorical = frame.with_columns(pl.col("region").cast(pl.Categorical))
    assert _by_customer(SUMMARY.with_covariates(categorical)) == EXPECTED


def test_arrow_tables_with_dictionary_columns() -> None:
    table = pa.table(
        {
            "who": pa.array(TABLE["customer_id"]),
            "region": pa.array(TABLE["region"]).dictionary_encode(),
            "age": pa.array(TABLE["age"], type=pa.int16()),
            "member": pa.array(TABLE["member"]),
            "score": pa.array(TABLE["score"], from_pandas=False),
        }
    )
    assert _by_customer(SUMMARY.with_covariates(table, id_column="who")) == EXPECTED


def test_numeric_dictionary_columns_are_categories() -> None:
    table = pa.table(
        {"customer_id": ["a", "b", "c", "d"], "tier": pa.array([3, 1, 2, 1]).dictionary_encode()}
    )
    summary = SUMMARY.with_covariates(table, reference={"tier": 2})
    assert summary.covariates is not None
    assert summary.covariates.names == ("tier=1", "tier=3")
    assert summary.covariates.values.tolist() == [[0, 1], [1, 0], [0, 0], [1, 0]]


def test_customers_give_their_ids_and_attributes() -> None:
    customers = [
        relmark.Customer(customer_id=key, attributes={"region": region, "age": age})
        for key, region, age in [("c", "north", 40), ("a", "north", 20), ("b", "west", 30)]
    ]
    customers.append(relmark.Customer(customer_id="d", attributes={"region": "south", "age": 50}))
    summary = SUMMARY.with_covariates(customers)
    expected = {
        key: {name: value for name, value in row.items() if name in ("region=south", "age")}
        | {"region=west": row["region=west"]}
        for key, row in EXPECTED.items()
    }
    assert summary.covariates is not None
    assert summary.covariates.names == ("region=south", "region=west", "age")
    assert _by_customer(summary) == expected
    only_age = SUMMARY.with_covariates(customers, columns=["age"])
    assert only_age.covariates is not None and only_age.covariates.names == ("age",)


def test_customers_must_all_have_every_attribute() -> None:
    customers = [
        relmark.Customer(customer_id="a", attributes={"region": "north"}),
        relmark.Customer(customer_id="b", attributes={"region": "west", "age": 3}),
    ]
    with pytest.raises(
        ValidationError,
        match=r"^1 of 2 customers have no attribute 'age' \(first: customer 'a'\); every",
    ):
        _summary(["a", "b"]).with_covariates(customers)
    clash = [relmark.Customer(customer_id="a", attributes={"customer_id": 1})]
    with pytest.raises(ValidationError, match=r"^attribute 'customer_id' has the name of"):
        _summary(["a"]).with_covariates(clash)


def test_reference_levels_default_to_the_first_sorted_and_can_be_chosen() -> None:
    table = {"customer_id": ["a", "b", "c", "d"], "channel": ["web", "store", "app", "web"]}
    default = SUMMARY.with_covariates(table)
    assert default.covariates is not None
    assert default.covariates.names == ("channel=store", "channel=web")
    chosen = SUMMARY.with_covariates(table, reference={"channel": "web"})
    assert chosen.covariates is not None
    assert chosen.covariates.names == ("channel=app", "channel=store")
    assert chosen.covariates.values.tolist() == [[0, 0], [0, 1], [1, 0], [0, 0]]


def test_ids_of_integers_match_integers_whatever_their_width() -> None:
    summary = _summary([10, 20, 30])
    table = pa.table({"customer_id": pa.array([30, 10, 20], type=pa.int32()), "x": [3.0, 1.0, 2.0]})
    found = summary.with_covariates(table)
    assert found.covariates is not None
    assert found.covariates.values.ravel().tolist() == [1.0, 2.0, 3.0]
    big = 2**60  # int64 beside uint64: matched as integers, not rounded through float64
    wide = _summary([big + 1, big + 2])
    unsigned = {"customer_id": np.array([big + 2, big + 1], dtype=np.uint64), "x": [2.0, 1.0]}
    matched = wide.with_covariates(unsigned)
    assert matched.covariates is not None
    assert matched.covariates.values.ravel().tolist() == [1.0, 2.0]


def test_text_ids_match_whether_numpy_objects_or_arrow() -> None:
    summary = _summary(np.array(["a", "b", "c"], dtype=object).tolist())
    unicode = CustomerSummary.from_arrays(
        [0, 0, 0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], customer_id=np.array(["a", "b", "c"])
    )
    table = {"customer_id": np.array(["c", "a", "b"]), "x": [3.0, 1.0, 2.0]}
    for each in (summary, unicode):
        found = each.with_covariates(table)
        assert found.covariates is not None
        assert found.covariates.values.ravel().tolist() == [1.0, 2.0, 3.0]


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("table", "kwargs", "message"),
    [
        (
            TABLE | {"age": [50, np.inf, 30, 20, 99]},
            {},
            r"^`table\['age'\]` must be finite \(not NaN or infinite\); 1 of 4 customers violate "
            r"this \(first: customer 'c': inf\)$",
        ),
        (
            TABLE | {"age": [50.0, 40.0, np.nan, 20.0, 99.0]},
            {},
            r"^`table\['age'\]` must be finite .*\(first: customer 'b': nan\)$",
        ),
        (
            TABLE | {"age": [50, 40, 30, None, 99]},
            {},
            r"^`table\['age'\]` must not be missing \(None or null\); 1 of 4 customers violate "
            r"this \(first: customer 'a'\)$",
        ),
        (
            TABLE | {"region": ["a", None, "b", "c", "d"]},
            {},
            r"^`table\['region'\]` must not be missing .*\(first: customer 'c'\)$",
        ),
        (
            TABLE | {"age": [7, 7, 7, 7, 1]},
            {},
            r"^`table\['age'\]` has one value for every customer \(7\.0\): it cannot explain "
            r"differences between customers; drop it from `columns`$",
        ),
        (
            TABLE | {"region": ["x", "x", "x", "x", "y"]},
            {},
            r"^`table\['region'\]` has one value for every customer \(level 'x'\): it cannot",
        ),
        (
            TABLE | {"member": [True, True, True, True, False]},
            {},
            r"^`table\['member'\]` has one value for every customer \(1\.0\)",
        ),
        (
            TABLE,
            {"reference": {"region": "east"}},  # a level of the ignored customer only
            r"^`reference\['region'\]` is 'east', not a level of the column; its levels are "
            r"'north', 'south', 'west'$",
        ),
        (
            TABLE,
            {"reference": {"age": 20}},
            r"^`reference` gives a level for 'age', which holds int64 values, not categories$",
        ),
        (
            TABLE,
            {"reference": {"nope": "x"}, "columns": ["region"]},
            r"^`reference` names 'nope', which is not a covariate column; the columns are",
        ),
        (
            TABLE | {"weights": [1.0, 2.0, 3.0, 4.0, 5.0]},
            {},
            r"^covariate 'weights' has the name of a summary column \(customer_id, frequency, "
            r"recency, T, monetary_value, weights\): rename it$",
        ),
        (
            {"customer_id": TABLE["customer_id"], "T": [1, 2, 3, 4, 5]},
            {},
            r"^covariate 'T' has the name of a summary column",
        ),
        (
            TABLE | {"region=west": [1, 0, 1, 0, 1]},
            {},
            r"^`columns` holds 'region=west' twice",
        ),
        (TABLE, {"id_column": "who"}, r"^`id_column` column 'who' is not in the table; columns"),
        (TABLE, {"columns": ["age", "height"]}, r"^`columns` column 'height' is not in the table"),
        (TABLE, {"columns": ["customer_id"]}, r"^`columns` holds the id column 'customer_id'"),
        (TABLE, {"columns": []}, r"^`table` has no covariate columns besides 'customer_id'$"),
        (
            {"customer_id": TABLE["customer_id"]},
            {},
            r"^`table` has no covariate columns besides 'customer_id'$",
        ),
        (TABLE, {"columns": ["age", "age"]}, r"^`columns` holds 'age' twice"),
        (
            TABLE | {"customer_id": ["d", "c", "b", "a", "a"]},
            {},
            r"^`table\['customer_id'\]` holds customer 'a' 2 times \(1 id repeats\): give one "
            r"row per customer$",
        ),
        (
            TABLE | {"customer_id": ["d", None, "b", "a", "x"]},
            {},
            r"^`table\['customer_id'\]` must not be missing",
        ),
    ],
)
def test_bad_tables_are_refused_naming_the_column(
    table: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SUMMARY.with_covariates(table, **kwargs)


def test_missing_customers_are_counted_and_named() -> None:
    summary = _summary([f"c{i}" for i in range(10)])
    table = {"customer_id": ["c0", "c9", "other"], "x": [1.0, 2.0, 3.0]}
    with pytest.raises(
        ValidationError,
        match=r"^8 of 10 customers of the summary are not in `table\['customer_id'\]` "
        r"\('c1', 'c2', 'c3', 'c4', 'c5', \.\.\.\): every customer needs covariates$",
    ) as raised:
        summary.with_covariates(table)
    assert raised.value.row == 1 and raised.value.value == "c1"
    few = {"customer_id": ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"], "x": np.arange(8.0)}
    with pytest.raises(ValidationError, match=r"^2 of 10 customers .* \('c8', 'c9'\): every"):
        summary.with_covariates(few)


def test_ids_of_different_types_never_match_silently() -> None:
    text_ids = _summary(["1", "2"])
    with pytest.raises(
        ValidationError,
        match=r"^the summary's customer ids are text and `table\['customer_id'\]` holds numbers: "
        r"ids of different types never match",
    ):
        text_ids.with_covariates({"customer_id": [1, 2], "x": [1.0, 2.0]})
    number_ids = _summary([1, 2])
    with pytest.raises(
        ValidationError, match=r"^the summary's customer ids are numbers and .* holds text"
    ):
        number_ids.with_covariates({"customer_id": ["1", "2"], "x": [1.0, 2.0]})


def test_summaries_without_ids_or_customers_cannot_take_covariates() -> None:
    with pytest.raises(ValidationError, match=r"^the summary has no customer ids to match"):
        CustomerSummary.from_arrays([1], [1.0], [2.0]).with_covariates(TABLE)
    empty = CustomerSummary.from_arrays([], [], [], customer_id=np.array([], dtype=str))
    with pytest.raises(ValidationError, match=r"^cannot add covariates to a summary without"):
        empty.with_covariates(TABLE)


@pytest.mark.parametrize(
    ("table", "kwargs", "message"),
    [
        ([1, 2], {}, r"^`table` must be a table"),
        (TABLE, {"columns": "age"}, r"^`columns` must be a sequence of column names, got str$"),
        (TABLE, {"columns": [1]}, r"^`columns` must hold column names \(str\), got int$"),
        (TABLE, {"reference": ["age"]}, r"^`reference` must be a mapping of column to level"),
        (TABLE, {"id_column": 3}, r"^`id_column` must be a string, got int$"),
        (
            TABLE | {"when": np.array(["2024-01-01"] * 5, dtype="datetime64[D]")},
            {},
            r"^`table\['when'\]` must hold numbers, booleans or text \(categories\), got date32",
        ),
    ],
)
def test_wrong_types_raise_type_error(table: object, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        SUMMARY.with_covariates(table, **kwargs)


# ----------------------------------------------------------------------------- alignment


@given(st.permutations(range(12)), st.integers(0, 5))
def test_a_shuffled_table_gives_each_customer_the_same_values(order: list[int], extra: int) -> None:
    ids = [f"id{i:02d}" for i in range(12)]
    rng = np.random.default_rng(7)
    ages = rng.integers(18, 90, 12).astype(float)
    tiers = rng.choice(["gold", "silver", "bronze"], 12)
    summary = _summary(ids)
    reference = summary.with_covariates({"customer_id": ids, "age": ages, "tier": tiers})
    shuffled = {
        "customer_id": [ids[i] for i in order] + [f"other{j}" for j in range(extra)],
        "age": np.concatenate([ages[order], np.full(extra, np.nan)]),  # ignored rows' NaN
        "tier": [str(tiers[i]) for i in order] + ["platinum"] * extra,
    }
    found = summary.with_covariates(shuffled)
    assert found.covariates is not None and reference.covariates is not None
    assert found.covariates.names == reference.covariates.names
    np.testing.assert_array_equal(found.covariates.values, reference.covariates.values)
    by_id = dict(zip(ids, ages.tolist(), strict=True))
    assert found.covariates.columns(["age"]).ravel().tolist() == [by_id[i] for i in ids]


def test_a_million_customers_align_in_vectorised_passes() -> None:
    n = 200_000  # the alignment is a few sorts; a loop over customers would take seconds
    rng = np.random.default_rng(3)
    ids = np.arange(n) * 7
    order = rng.permutation(n)
    summary = CustomerSummary.from_arrays(np.zeros(n), np.zeros(n), np.ones(n), customer_id=ids)
    table = {"customer_id": ids[order], "x": order.astype(np.float64)}
    found = summary.with_covariates(table)
    assert found.covariates is not None
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    np.testing.assert_array_equal(found.covariates.values[:, 0], order[position])


# ----------------------------------------------------------------------------- the apparel data


def test_the_apparel_covariates_align_with_its_transactions(shared_data: Path) -> None:
    transactions = shared_data / "apparel_transactions.csv"
    static = shared_data / "apparel_static_covariates.csv"
    if not (transactions.exists() and static.exists()):
        pytest.skip(f"the apparel files are not in {shared_data}")
    log = relmark.io.read_transactions(transactions, customer="Id", timestamp="Date")
    summary = log.summarize(unit="W")
    table = pyarrow.csv.read_csv(static)
    found = summary.with_covariates(table, id_column="Id")
    assert len(found) == 600 and found.covariates is not None
    assert found.covariates.names == ("Gender", "Channel")
    values = found.covariates.values
    assert set(np.unique(values).tolist()) == {0.0, 1.0}
    # APPAREL.md: 296 customers have Gender 1, 228 have Channel 1
    assert values.sum(axis=0).tolist() == [296.0, 228.0]
    ids = table.column("Id").to_numpy()
    genders = dict(zip(ids.tolist(), table.column("Gender").to_pylist(), strict=True))
    assert found.customer_id is not None
    assert values[:, 0].tolist() == [float(genders[i]) for i in found.customer_id.tolist()]
    compressed = found.compress()
    assert compressed.n_customers == 600.0 and compressed.covariates is not None
    assert set(map(tuple, compressed.covariates.values.tolist())) <= {
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
    }


# ----------------------------------------------------------------------------- the summary


COVARIATES = Covariates(names=("age", "web"), values=[[30.0, 1.0], [40.0, 0.0], [30.0, 1.0]])


def _with_covariates() -> CustomerSummary:
    return CustomerSummary.from_arrays(
        [1, 0, 1],
        [2.0, 0.0, 2.0],
        [5.0, 5.0, 5.0],
        monetary_value=[3.0, 0.0, 3.0],
        customer_id=["a", "b", "c"],
        covariates=COVARIATES,
    )


def test_from_arrays_and_the_constructor_check_the_covariates() -> None:
    summary = _with_covariates()
    assert summary.covariates is COVARIATES
    assert repr(summary) == "CustomerSummary(3 rows, 3 customers, 2 covariates)"
    with pytest.raises(
        ValidationError, match=r"^`covariates` must have one row per summary row \(2\), got 3$"
    ):
        CustomerSummary.from_arrays([1, 0], [2.0, 0.0], [5.0, 5.0], covariates=COVARIATES)
    with pytest.raises(TypeError, match=r"^`covariates` must be a Covariates or None, got ndarray"):
        CustomerSummary.from_arrays([1], [2.0], [5.0], covariates=np.ones((1, 1)))  # type: ignore[arg-type]
    clash = Covariates(names=("recency",), values=[[1.0]])
    with pytest.raises(ValidationError, match=r"^covariate 'recency' has the name of a summary"):
        CustomerSummary.from_arrays([1], [2.0], [5.0], covariates=clash)
    with pytest.raises(ValidationError, match=r"^`covariates` must have one row per summary row"):
        attrs.evolve(summary, covariates=Covariates(names=("a",), values=[[1.0]]))


def test_subset_and_drawn_keep_each_rows_covariates() -> None:
    summary = _with_covariates()
    part = summary.subset(np.array([2, 1]))
    assert part.covariates is not None
    assert part.covariates.values.tolist() == [[30.0, 1.0], [40.0, 0.0]]
    masked = summary.subset(summary.frequency > 0)
    assert masked.covariates is not None and len(masked.covariates) == 2
    drawn = summary._drawn(np.array([2.0, 0.0, 1.0]))
    assert drawn.covariates is not None and drawn.weights.tolist() == [2.0, 1.0]
    assert drawn.covariates.values.tolist() == [[30.0, 1.0], [30.0, 1.0]]


def test_compress_keeps_covariates_and_separates_customers_by_them() -> None:
    summary = _with_covariates()
    compressed = summary.compress()
    assert compressed.covariates is not None and compressed.covariates.names == ("age", "web")
    assert compressed.weights.tolist() == [1.0, 2.0]
    assert compressed.covariates.values.tolist() == [[40.0, 0.0], [30.0, 1.0]]
    spend = summary.compress(monetary=True)
    assert spend.covariates is not None and spend.monetary_value is not None
    assert spend.monetary_value.tolist() == [0.0, 3.0] and spend.weights.tolist() == [1.0, 2.0]
    assert compressed.customer_id is None
    apart = attrs.evolve(summary, covariates=Covariates(names=("x",), values=[[0.0], [0.0], [1.0]]))
    assert apart.compress().weights.tolist() == [1.0, 1.0, 1.0]


_grid_values = st.sampled_from([0.0, 1.0, 2.0, -3.0])  # whole numbers: the int64-key path
_any_values = st.sampled_from([0.0, 1.0, 0.25, -1.5, 1e-9])  # off the grids: the general path


@given(
    st.lists(
        st.tuples(
            st.integers(0, 3), st.integers(0, 2), st.integers(3, 5), _grid_values, _any_values
        ),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
    st.booleans(),
)
def test_compressed_rows_expanded_by_weights_are_the_rows(
    rows: list[tuple[int, int, int, float, float]], off_grid: bool, weighted: bool
) -> None:
    x = np.array([row[0] for row in rows], dtype=float)
    t_x = np.where(x > 0, [row[1] for row in rows], 0.0)
    T = np.array([row[2] for row in rows], dtype=float)
    z = np.array([[row[3], row[4] if off_grid else row[3] * 7.0] for row in rows])
    weights = np.arange(1.0, len(rows) + 1) if weighted else np.ones(len(rows))
    covariates = Covariates(names=("a", "b"), values=z)
    summary = CustomerSummary.from_arrays(x, t_x, T, weights=weights, covariates=covariates)
    compressed = summary.compress()
    assert compressed.covariates is not None

    def counted(s: CustomerSummary, values: np.ndarray) -> collections.Counter[tuple[float, ...]]:
        counts: collections.Counter[tuple[float, ...]] = collections.Counter()
        for i in range(len(s)):
            key = (s.frequency[i], s.recency[i], s.T[i], *values[i].tolist())
            counts[key] += s.weights[i]
        return counts

    assert counted(compressed, compressed.covariates.values) == counted(summary, z)
    keys = [
        (f, r, t, *c)
        for f, r, t, c in zip(
            compressed.frequency,
            compressed.recency,
            compressed.T,
            compressed.covariates.values.tolist(),
            strict=True,
        )
    ]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # distinct, sorted rows


def test_pickled_summaries_keep_read_only_covariates() -> None:
    summary = _with_covariates()
    copy = pickle.loads(pickle.dumps(summary))
    assert copy.covariates is not None and not copy.covariates.values.flags.writeable
    np.testing.assert_array_equal(copy.covariates.values, COVARIATES.values)
    assert copy.covariates.names == COVARIATES.names


def test_tables_out_hold_the_covariate_columns_after_the_summarys() -> None:
    summary = _with_covariates()
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value", "weights"]
    assert list(summary.to_dict()) == [*columns, "age", "web"]
    assert summary.to_dict()["web"].tolist() == [1.0, 0.0, 1.0]
    pd = pytest.importorskip("pandas", reason="pandas is not installed")
    frame = summary.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [*columns[1:], "age", "web"]
    assert frame.loc["b", "age"] == 40.0
    assert summary.to_arrow().column_names == [*columns, "age", "web"]


@given(
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
    n=st.integers(2, 15),
    at=st.integers(0, 100),
)
def test_non_finite_values_name_the_first_customer_and_touch_nothing(
    bad: float, n: int, at: int
) -> None:
    ids = [f"c{i}" for i in range(n)]
    values = np.arange(n, dtype=np.float64)
    values[at % n] = bad
    before = values.copy()
    table = {"customer_id": ids[::-1], "x": values[::-1]}
    message = (
        rf"^`table\['x'\]` must be finite \(not NaN or infinite\); 1 of {n} customers violate "
        rf"this \(first: customer 'c{at % n}': {bad!r}\)$"
    )
    with pytest.raises(ValidationError, match=message) as raised:
        _summary(ids).with_covariates(table)
    assert raised.value.row == at % n and raised.value.value == f"c{at % n}"
    np.testing.assert_array_equal(values, before)
    with pytest.raises(ValidationError, match=r"^`values` must (not be NaN|be finite)"):
        Covariates(names=("x",), values=values[:, None])


def test_a_boolean_array_is_taken_as_zeros_and_ones() -> None:
    covariates = Covariates(names=("annual",), values=np.array([[True], [False]]))
    assert covariates.values.tolist() == [[1.0], [0.0]]
    assert covariates.values.dtype == np.float64
