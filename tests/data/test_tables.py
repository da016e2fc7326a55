"""Tables out: one adapter for every per-customer result, no frame library imported unasked."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import CustomerSummary
from relmark.data._tables import arrow_table, pandas_frame, polars_frame

#: Build a summary (from arrays; from a log with ``--log``, its end given as text, or with
#: ``--log-datetime64``), score it, take its plain columns, then each table in turn,
#: reporting the frame libraries imported after each step.
SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import relmark
    from relmark.economics.scores import score

    def loaded():
        return [name for name in ("pandas", "polars", "pyarrow") if name in sys.modules]

    steps = {"import relmark": loaded()}
    if sys.argv[1].startswith("--log"):
        log = relmark.TransactionLog.from_arrays(
            np.array(["ann", "ann", "bob", "cy", "cy", "cy"]),
            np.array(["2024-01-01", "2024-02-01", "2024-01-15", "2024-01-03", "2024-03-01",
                      "2024-04-01"], dtype="datetime64[D]"),
            np.array([10.0, 20.0, 5.0, 7.0, 9.0, 11.0]),
        )
        end = "2024-06-30" if sys.argv[1] == "--log" else np.datetime64("2024-06-30")
        summary = log.summarize(end, unit="W")
    else:
        summary = relmark.CustomerSummary.from_arrays(
            [1, 0, 2], [4.4, 0.0, 12.6], [25.7, 23.7, 25.4], monetary_value=[20.0, 0.0, 10.0],
            customer_id=np.array(["ann", "bob", "cy"]), unit="W",
        )
    model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    spend = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    scores = score(summary, model, spend, horizon=26.0)
    rfm = relmark.rfm_scores(summary)
    columns = [scores.to_dict(), summary.to_dict(), rfm.to_dict()]
    steps["build, score, rfm, to_dict"] = loaded()
    for method in sys.argv[2:]:
        for result in (summary, scores, rfm):
            getattr(result, method)()
        steps[method] = loaded()
    print(json.dumps(steps))
    """
)


def _imported_after(source: str, *methods: str) -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, source, *methods],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_no_frame_library_is_imported_until_its_table_is_asked_for() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    steps = _imported_after("--arrays", "to_arrow", "to_polars", "to_pandas")
    for step in ("import relmark", "build, score, rfm, to_dict"):
        assert "pandas" not in steps[step] and "polars" not in steps[step], (step, steps)
    # pyarrow.array would import pandas to look for categoricals: the tables avoid it
    assert "pyarrow" in steps["to_arrow"] and "pandas" not in steps["to_arrow"]
    assert "polars" not in steps["to_arrow"]
    assert "polars" in steps["to_polars"] and "pandas" not in steps["to_polars"]
    assert "pandas" in steps["to_pandas"]


@pytest.mark.parametrize("end", ["--log", "--log-datetime64"], ids=["end as text", "datetime64"])
def test_summarising_a_log_and_scoring_it_imports_no_frame_library(end: str) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    steps = _imported_after(end)
    for step in ("import relmark", "build, score, rfm, to_dict"):
        assert "pandas" not in steps[step] and "polars" not in steps[step], (step, steps)


def test_pandas_alone_does_not_bring_polars() -> None:
    pytest.importorskip("pandas")
    steps = _imported_after("--arrays", "to_pandas")
    assert "pandas" in steps["to_pandas"] and "polars" not in steps["to_pandas"]


@pytest.mark.parametrize(
    ("library", "method", "hint"),
    [
        ("pandas", "to_pandas", r'the "pandas" extra: pip install "relmark\[pandas\]"'),
        ("polars", "to_polars", r"pip install polars"),
        ("pyarrow", "to_arrow", r"pip install pyarrow"),
    ],
)
def test_a_missing_library_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, library: str, method: str, hint: str
) -> None:
    monkeypatch.setitem(sys.modules, library, None)  # import -> ImportError
    summary = CustomerSummary.from_arrays([1], [2.0], [5.0])
    with pytest.raises(
        ImportError, match=rf"^CustomerSummary.{method}\(\) needs {library}, {hint}$"
    ):
        getattr(summary, method)()
    scores = relmark.rfm_scores(summary)
    with pytest.raises(ImportError, match=rf"^RFMScores.{method}\(\) needs {library}"):
        getattr(scores, method)()


IDS: list[Any] = [
    np.array(["ann", "bob", "cy"]),
    np.array(["ann", "bob", "cy"], dtype=object),
    np.array([30, 10, 20]),
]


@pytest.mark.parametrize("ids", IDS, ids=["str", "object", "int"])
def test_every_table_keeps_the_ids_and_the_values(ids: np.ndarray) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    columns = {
        "customer_id": ids,
        "x": np.array([1.5, 2.5, 3.5]),
        "k": np.array([1, 2, 3], np.int8),
    }
    frame = pandas_frame(columns, owner="Test")
    assert frame.index.name == "customer_id" and frame.index.tolist() == ids.tolist()
    assert frame.loc[ids[1], "x"] == 2.5 and frame["k"].dtype == np.int8
    assert isinstance(frame.index, pd.Index) and list(frame.columns) == ["x", "k"]
    polars = polars_frame(columns, owner="Test")
    assert polars.columns == ["customer_id", "x", "k"]
    assert polars["customer_id"].to_list() == ids.tolist()
    assert polars["x"].to_list() == [1.5, 2.5, 3.5] and polars["k"].to_list() == [1, 2, 3]
    arrow = arrow_table(columns, owner="Test")
    assert arrow.column_names == ["customer_id", "x", "k"]
    assert arrow.column("customer_id").to_pylist() == ids.tolist()
    assert arrow.column("x").to_pylist() == [1.5, 2.5, 3.5]


def test_without_ids_pandas_keeps_row_positions_and_no_key_column() -> None:
    pytest.importorskip("pandas")
    columns = {"x": np.array([1.0, 2.0])}
    frame = pandas_frame(columns, owner="Test")
    assert frame.index.tolist() == [0, 1] and frame.index.name is None
    assert polars_frame(columns, owner="Test").columns == ["x"]
    assert arrow_table(columns, owner="Test").column_names == ["x"]


def test_a_pandas_table_is_a_copy_and_the_others_are_immutable() -> None:
    pytest.importorskip("pandas")
    summary = CustomerSummary.from_arrays([1, 2], [2.0, 3.0], [5.0, 5.0], customer_id=["a", "b"])
    frame = summary.to_pandas()
    frame.loc["a", "T"] = 99.0
    assert summary.T.tolist() == [5.0, 5.0]
    table = summary.to_arrow()
    assert table.column("T").to_pylist() == [5.0, 5.0]
    assert not summary.T.flags.writeable  # Arrow may share it; nobody can change it


def test_summary_tables_round_trip(tmp_path: Any) -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    summary = CustomerSummary.from_arrays(
        [2, 0, 5], [3.0, 0.0, 4.5], [5.0, 4.0, 6.0], monetary_value=[12.5, 0.0, 3.25],
        customer_id=np.array([11, 12, 13]), unit="W",
    )  # fmt: skip
    for frame in (summary.to_polars(), pl.from_arrow(summary.to_arrow())):
        back = CustomerSummary.from_arrays(
            frame["frequency"].to_numpy(), frame["recency"].to_numpy(), frame["T"].to_numpy(),
            monetary_value=frame["monetary_value"].to_numpy(),
            customer_id=frame["customer_id"].to_numpy(), unit="W",
        )  # fmt: skip
        for name, column in summary.to_dict().items():
            np.testing.assert_array_equal(back.to_dict()[name], column)
    through_pandas = summary.to_pandas().reset_index()
    assert isinstance(through_pandas, pd.DataFrame)
    assert through_pandas["customer_id"].tolist() == [11, 12, 13]


@given(
    texts=st.lists(
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12), max_size=20
    )
)
def test_text_columns_reach_arrow_intact(texts: list[str]) -> None:
    pytest.importorskip("pyarrow")
    values = np.array(texts, dtype=str)  # numpy drops trailing NULs: compare with what it holds
    for column in (values, values.astype(object)):
        table = arrow_table({"customer_id": column}, owner="Test")
        assert table.column("customer_id").to_pylist() == values.tolist()


def test_a_calibration_holdout_split_is_a_table_keyed_by_customer() -> None:
    pytest.importorskip("pandas")
    log = relmark.TransactionLog.from_arrays(
        ["b", "a", "a", "b", "a"], [0.0, 1.0, 3.0, 8.0, 9.0], [5.0, 2.0, 4.0, 7.0, 1.5], unit="D"
    )
    split = log.split(calibration_end=5.0, observation_end=10.0)
    frame = split.to_pandas()
    assert frame.index.tolist() == ["a", "b"]
    assert frame["frequency"].tolist() == [1.0, 0.0]
    assert frame["holdout_purchases"].tolist() == [1.0, 1.0]
    assert frame["holdout_value"].tolist() == [1.5, 7.0]
    table = split.to_arrow()
    assert table.column_names == [
        "customer_id", "frequency", "recency", "T", "monetary_value", "weights",
        "holdout_purchases", "holdout_value",
    ]  # fmt: skip
    assert table.column("holdout_value").to_pylist() == [1.5, 7.0]
