"""The one adapter from in-memory tables to Arrow: every library's frame gives the same log."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import relmark
from relmark import ValidationError
from relmark.data._arrow import as_arrow_table

COLUMNS = {
    "who": ["ann", "bob", "ann", "cy"],
    "when": ["2024-01-01", "2024-01-03", "2024-02-01", "2024-01-09"],
    "spent": [10.0, 4.5, 20.0, 7.25],
}


class OldPandasFrame(pd.DataFrame):  # type: ignore[misc]
    """A pandas frame as pandas < 2.2 made them: no Arrow PyCapsule."""

    @property
    def __arrow_c_stream__(self) -> Any:
        raise AttributeError("__arrow_c_stream__")


class InterchangeOnly:
    """A frame library that speaks only the dataframe interchange protocol."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def __dataframe__(self, *args: Any, **kwargs: Any) -> Any:
        return self._table.__dataframe__(*args, **kwargs)


FRAMES = {
    "pyarrow Table": lambda: pa.table(COLUMNS),
    "pyarrow RecordBatch": lambda: pa.RecordBatch.from_pydict(COLUMNS),
    "record batch reader": lambda: pa.table(COLUMNS).to_reader(),
    "pandas": lambda: pd.DataFrame(COLUMNS),
    "pandas < 2.2": lambda: OldPandasFrame(COLUMNS),
    "pandas indexed by customer": lambda: pd.DataFrame(COLUMNS).set_index("who"),
    "polars": lambda: pl.DataFrame(COLUMNS),
    "interchange protocol": lambda: InterchangeOnly(pa.table(COLUMNS)),
    "dict of lists": lambda: dict(COLUMNS),
    "dict of numpy arrays": lambda: {name: np.array(values) for name, values in COLUMNS.items()},
}


@pytest.mark.parametrize("kind", list(FRAMES))
def test_every_kind_of_table_gives_the_same_log(kind: str) -> None:
    assert hasattr(OldPandasFrame(COLUMNS), "__arrow_c_stream__") is False
    log = relmark.TransactionLog.from_frame(
        FRAMES[kind](), customer_id="who", timestamp="when", amount="spent"
    )
    assert log.customer_id.tolist() == COLUMNS["who"]
    assert log.timestamp.astype("datetime64[D]").astype(str).tolist() == COLUMNS["when"]
    assert log.amount is not None and log.amount.tolist() == COLUMNS["spent"]


def test_the_callers_data_is_not_changed() -> None:
    frame = pd.DataFrame(COLUMNS)
    before = frame.copy()
    relmark.TransactionLog.from_frame(frame, customer_id="who", timestamp="when", amount="spent")
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], r"^`frame` must be a table \(pandas, polars or pyarrow, .*got list$"),
        (pd.Series([1, 2]), r"got a single column \(Series\): pass the frame that holds it$"),
        (pl.Series("a", [1]), r"got a single column \(Series\): pass the frame that holds it$"),
        (pa.chunked_array([[1]]), r"got a single column \(ChunkedArray\)"),
        (pl.DataFrame(COLUMNS).lazy(), r"got LazyFrame \(call \.collect\(\) first\)$"),
        ({1: [1, 2]}, r"^`frame` column names must be strings, got int$"),
        ({"a": "text"}, r"^`frame\['a'\]` must be a 1-D array or list, got str$"),
        ({"a": 3.0}, r"^`frame\['a'\]` must be a 1-D array or list, got float$"),
    ],
)
def test_what_is_not_a_table_is_a_type_error(value: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        as_arrow_table(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": [1, 2], "b": [1.0]}, r"^`frame\['a'\]` and `frame\['b'\]` must have the same len"),
        ({"a": np.zeros((2, 2))}, r"^`frame\['a'\]` must be one-dimensional, got shape \(2, 2\)$"),
        ({"a": [1, "x"]}, r"^`frame\['a'\]` cannot be stored in Arrow: "),
        (pd.DataFrame({"a": [1, "x"]}), r"^`frame` cannot be converted to an Arrow table: "),
    ],
)
def test_values_arrow_cannot_hold_name_the_column(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        as_arrow_table(value)


def test_a_missing_column_lists_the_columns_there_are() -> None:
    with pytest.raises(
        ValidationError,
        match=r"^`timestamp` column 'date' is not in the table; columns are \['who', 'when'",
    ):
        relmark.TransactionLog.from_frame(pa.table(COLUMNS), customer_id="who", timestamp="date")
