"""RFMScores as tables: the same columns, keyed by customer id, in pandas, polars and Arrow."""

from __future__ import annotations

import numpy as np
import pytest

import relmark
from relmark import CustomerSummary
from relmark.datasets import cdnow_sample_summary


def test_columns_are_the_features_and_the_cell() -> None:
    summary = CustomerSummary.from_arrays(
        [0, 2, 6], [0.0, 20.0, 30.0], [30.0] * 3, monetary_value=[0.0, 15.0, 40.0],
        customer_id=["ann", "bob", "cy"],
    )  # fmt: skip
    scores = relmark.rfm_scores(summary, k=3)
    columns = scores.to_dict()
    assert list(columns) == [
        "customer_id", "recency_score", "frequency_score", "monetary_score", "fm_score",
        "rfm_total", "rfm_cell",
    ]  # fmt: skip
    assert columns["customer_id"].tolist() == ["ann", "bob", "cy"]
    assert columns["rfm_cell"].tolist() == ["111", "222", "333"]
    assert columns["rfm_total"].tolist() == [3, 6, 9] and columns["fm_score"].tolist() == [1, 2, 3]
    anonymous = relmark.rfm_scores(CustomerSummary.from_arrays([1], [2.0], [5.0])).to_dict()
    assert "customer_id" not in anonymous


def test_tables_round_trip_values_and_ids() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    summary = cdnow_sample_summary()
    scores = relmark.rfm_scores(summary)
    columns = scores.to_dict()
    ids = summary.customer_id.tolist()
    frame = scores.to_pandas()
    assert frame.index.name == "customer_id" and frame.index.tolist() == ids
    assert list(frame.columns) == list(columns)[1:]
    assert frame["recency_score"].dtype == np.int8
    polars_frame = scores.to_polars()
    table = scores.to_arrow()
    assert polars_frame.columns == table.column_names == list(columns)
    assert polars_frame["customer_id"].to_list() == table.column("customer_id").to_pylist() == ids
    for name, column in columns.items():
        if name == "customer_id":
            continue
        assert frame[name].tolist() == column.tolist()
        assert polars_frame[name].to_list() == column.tolist()
        assert table.column(name).to_pylist() == column.tolist()
