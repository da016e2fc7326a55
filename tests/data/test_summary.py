from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import CustomerSummary, ValidationError


def test_from_arrays_copies_and_is_readonly() -> None:
    frequency = np.array([1.0, 0.0])
    summary = CustomerSummary.from_arrays(frequency, [2.0, 0.0], [5.0, 3.0])
    frequency[0] = 99
    assert summary.frequency.tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match=r"^assignment destination is read-only$"):
        summary.frequency[0] = 3.0
    assert summary.weights.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequency": [1.5], "recency": [1.0], "T": [2.0]}, "`frequency` must be whole numbers"),
        ({"frequency": [-1], "recency": [0.0], "T": [2.0]}, "`frequency` must be >= 0"),
        ({"frequency": [1], "recency": [3.0], "T": [2.0]}, "`recency` must be <= `T`"),
        ({"frequency": [0], "recency": [1.0], "T": [2.0]}, "must be 0 where `frequency` is 0"),
        ({"frequency": [1], "recency": [np.nan], "T": [2.0]}, "`recency` must not be NaN"),
        ({"frequency": [1], "recency": [1.0], "T": [np.inf]}, "`T` must be finite"),
        ({"frequency": [1, 2], "recency": [1.0], "T": [2.0]}, "same length"),
        (
            {"frequency": [1], "recency": [1.0], "T": [2.0], "weights": [0.0]},
            "`weights` must be > 0",
        ),
        (
            {"frequency": [1], "recency": [1.0], "T": [2.0], "monetary_value": [-3.0]},
            "`monetary_value` must be >= 0",
        ),
    ],
)
def test_bad_values_raise_validation_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CustomerSummary.from_arrays(**kwargs)  # type: ignore[arg-type]


def test_message_counts_rows_and_names_first_index() -> None:
    message = (
        r"^`recency` must be <= `T`; 2 of 3 rows violate this \(first at index 1: 5\.0 > 2\.0\)$"
    )
    with pytest.raises(ValidationError, match=message):
        CustomerSummary.from_arrays([1, 1, 1], [1.0, 5.0, 6.0], [2.0, 2.0, 2.0])


def test_recency_of_non_repeaters_message_quotes_the_value() -> None:
    message = (
        r"^`recency` must be 0 where `frequency` is 0; 1 of 3 rows violate this "
        r"\(first at index 2: 1\.5\)$"
    )
    with pytest.raises(ValidationError, match=message):
        CustomerSummary.from_arrays([1, 0, 0], [1.0, 0.0, 1.5], [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ("abc", TypeError, r"^`frequency` must be an array of numbers, got str$"),
        ([["x"]], TypeError, r"^`frequency` must hold numbers, got dtype <U1$"),
        (
            [1.0, object()],
            TypeError,
            r"^`frequency` must hold numbers only; 1 of 2 rows are not "
            r"\(first at index 1: <object object at 0x[0-9a-f]+>\)$",
        ),
        # None is not a number (a TypeError, not read as NaN) ...
        (
            [None],
            TypeError,
            r"^`frequency` must hold numbers only; 1 of 1 rows are not \(first at index 0: None\)$",
        ),
        # ... nor a string inside an object array, even one that parses, nor a bool
        (
            np.array([1, "2", None], dtype=object),
            TypeError,
            r"^`frequency` must hold numbers only; 2 of 3 rows are not \(first at index 1: '2'\)$",
        ),
        (
            np.array([1, True], dtype=object),
            TypeError,
            r"^`frequency` must hold numbers only; 1 of 2 rows are not \(first at index 1: True\)$",
        ),
        # NaN itself is a number, and a bad value
        (
            np.array([np.nan], dtype=object),
            ValidationError,
            r"^`frequency` must not be NaN; 1 of 1 rows violate this \(first at index 0\)$",
        ),
    ],
)
def test_wrong_types_raise_type_error(bad: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        CustomerSummary.from_arrays(bad, [0.0], [1.0])  # type: ignore[arg-type]


def test_string_values_raise_type_error() -> None:
    with pytest.raises(TypeError, match=r"^`frequency` must hold numbers, got dtype <U1$"):
        CustomerSummary.from_arrays(["1"], [0.0], [1.0])


rows = st.lists(
    st.tuples(
        st.integers(0, 20),
        st.floats(0, 1, allow_nan=False),
        st.floats(0, 100, allow_nan=False),
        st.floats(0.5, 4, allow_nan=False),
    ),
    min_size=1,
    max_size=60,
)


@given(rows)
def test_compress_preserves_counts_and_rows(data: list[tuple[int, float, float, float]]) -> None:
    f = np.array([d[0] for d in data], dtype=float)
    age = np.round(np.array([d[2] for d in data]), 0)
    r = np.where(f > 0, np.round(np.array([d[1] for d in data]) * age, 0), 0.0)
    w = np.array([d[3] for d in data])
    summary = CustomerSummary.from_arrays(f, r, age, weights=w)
    compressed = summary.compress()
    assert compressed.n_customers == pytest.approx(summary.n_customers)
    distinct = {(a, b, c) for a, b, c in zip(f, r, age, strict=True)}
    assert len(compressed) == len(distinct)
    for a, b, c, weight in zip(
        compressed.frequency, compressed.recency, compressed.T, compressed.weights, strict=True
    ):
        mask = (f == a) & (r == b) & (age == c)
        assert weight == pytest.approx(w[mask].sum())


def test_compress_with_monetary_keeps_spend() -> None:
    summary = CustomerSummary.from_arrays(
        [1, 1, 1], [2.0, 2.0, 2.0], [5.0, 5.0, 5.0], monetary_value=[3.0, 3.0, 4.0]
    )
    compressed = summary.compress(monetary=True)
    assert compressed.monetary_value is not None
    assert compressed.monetary_value.tolist() == [3.0, 4.0]
    assert compressed.weights.tolist() == [2.0, 1.0]
    with pytest.raises(
        ValidationError, match=r"^`monetary_value` is needed to compress with monetary=True$"
    ):
        CustomerSummary.from_arrays([1], [1.0], [2.0]).compress(monetary=True)


def test_subset_and_to_dict() -> None:
    summary = CustomerSummary.from_arrays(
        [1, 0, 2], [1.0, 0.0, 2.0], [3.0, 3.0, 3.0], customer_id=["a", "b", "c"]
    )
    part = summary.subset(summary.frequency > 0)
    assert part.customer_id is not None
    assert part.customer_id.tolist() == ["a", "c"]
    assert set(summary.to_dict()) == {"customer_id", "frequency", "recency", "T", "weights"}
    with pytest.raises(
        ValidationError, match=r"^`rows` mask must have length 3, got shape \(2,\)$"
    ):
        summary.subset(np.array([True, False]))
    assert "3 rows" in repr(summary)


def test_top_level_reexports() -> None:
    assert relmark.CustomerSummary is CustomerSummary
    assert sorted(relmark.__all__) == relmark.__all__


def test_an_empty_summary_is_valid() -> None:
    empty = CustomerSummary.from_arrays([], [], [])
    assert len(empty) == 0 and len(empty.compress()) == 0


def test_the_constructor_and_evolve_enforce_the_rules() -> None:
    import attrs

    with pytest.raises(ValidationError, match=r"^`recency` must be <= `T`; 1 of 1 rows"):
        CustomerSummary(frequency=[1.0], recency=[9.0], T=[5.0])
    summary = CustomerSummary.from_arrays([1, 0], [2.0, 0.0], [5.0, 5.0])
    with pytest.raises(ValidationError, match=r"^`recency` must be <= `T`; 1 of 2 rows"):
        attrs.evolve(summary, recency=np.array([9.0, 0.0]))
    with pytest.raises(ValidationError, match=r"^`frequency` must be whole numbers"):
        attrs.evolve(summary, frequency=[1.5, 0.0])
    with pytest.raises(ValidationError, match="same length"):
        attrs.evolve(summary, weights=[1.0, 1.0, 1.0])
    assert CustomerSummary(frequency=[1.0], recency=[2.0], T=[5.0]).weights.tolist() == [1.0]


def test_arrays_stay_read_only_after_pickling() -> None:
    import pickle

    summary = CustomerSummary.from_arrays([1, 0], [2.0, 0.0], [5.0, 5.0], customer_id=["a", "b"])
    copy = pickle.loads(pickle.dumps(summary))
    for name in ("frequency", "recency", "T", "weights", "customer_id"):
        assert not getattr(copy, name).flags.writeable, name
        np.testing.assert_array_equal(getattr(copy, name), getattr(summary, name))
    assert copy.unit == summary.unit


def test_logs_touchpoints_and_customers_pickle_read_only() -> None:
    import pickle

    log = relmark.TransactionLog.from_arrays(["a", "b"], ["2024-01-01", "2024-02-01"], [1.0, 2.0])
    copy = pickle.loads(pickle.dumps(log))
    assert not copy.timestamp.flags.writeable and not copy.customer_id.flags.writeable
    np.testing.assert_array_equal(copy.timestamp, log.timestamp)
    table = relmark.TouchpointTable.from_arrays(
        customer_id=["a"], timestamp=["2024-01-01"], channel=["email"], kind=["click"]
    )
    table_copy = pickle.loads(pickle.dumps(table))
    assert not table_copy.customer_id.flags.writeable
    np.testing.assert_array_equal(table_copy.channel, table.channel)
    ann = relmark.Customer(customer_id="a", attributes={"region": "north"})
    assert pickle.loads(pickle.dumps(ann)) == ann


def test_tables_out_are_keyed_by_customer_and_hold_every_column() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    summary = CustomerSummary.from_arrays(
        [2, 0], [3.0, 0.0], [5.0, 4.0], monetary_value=[12.5, 0.0], customer_id=["ann", "bob"]
    )
    frame = summary.to_pandas()
    assert isinstance(frame, pd.DataFrame) and frame.index.name == "customer_id"
    assert frame.loc["ann"].tolist() == [2.0, 3.0, 5.0, 12.5, 1.0]
    assert list(frame.columns) == ["frequency", "recency", "T", "monetary_value", "weights"]
    polars_frame = summary.to_polars()
    assert isinstance(polars_frame, pl.DataFrame)
    assert polars_frame["customer_id"].to_list() == ["ann", "bob"]
    assert polars_frame["monetary_value"].to_list() == [12.5, 0.0]
    table = summary.to_arrow()
    assert isinstance(table, pa.Table) and table.num_rows == 2
    assert table.column("T").to_pylist() == [5.0, 4.0]
    anonymous = CustomerSummary.from_arrays([1], [2.0], [5.0]).to_pandas()
    assert anonymous.index.tolist() == [0] and "customer_id" not in anonymous.columns


def test_compress_by_whole_number_keys_matches_the_general_path() -> None:
    from relmark.data._keys import distinct_rows
    from relmark.data.covariates import Covariates

    rng = np.random.default_rng(11)
    n = 2_000
    x = rng.integers(0, 6, n).astype(float)
    T = rng.integers(20, 40, n) / 7.0  # days in weeks: on the 1/7 grid
    t_x = np.where(x > 0, np.floor(T * 7.0 * rng.random(n)) / 7.0, 0.0)
    z = np.column_stack([rng.integers(-2, 3, n), rng.integers(0, 2, n)]).astype(float)
    for covariates in (None, Covariates(names=("score", "web"), values=z)):
        summary = CustomerSummary.from_arrays(x, t_x, T, covariates=covariates)
        fast = summary.compress()  # unit weights on grids: one int64 sort
        columns = [x, t_x, T] + ([] if covariates is None else list(z.T))
        first, codes = distinct_rows(*columns)
        np.testing.assert_array_equal(fast.weights, np.bincount(codes).astype(float))
        for got, column in zip([fast.frequency, fast.recency, fast.T], columns, strict=False):
            np.testing.assert_array_equal(got, column[first])
        if covariates is not None:
            assert fast.covariates is not None
            np.testing.assert_array_equal(fast.covariates.values, z[first])
        else:
            assert fast.covariates is None


def test_repr_says_how_many_covariates() -> None:
    from relmark.data.covariates import Covariates

    plain = CustomerSummary.from_arrays([1], [2.0], [5.0], unit="W")
    assert repr(plain) == "CustomerSummary(1 rows, 1 customers, unit='W')"
    one = CustomerSummary.from_arrays(
        [1], [2.0], [5.0], covariates=Covariates(names=("a",), values=[[1.0]])
    )
    assert repr(one) == "CustomerSummary(1 rows, 1 customers, 1 covariate)"
