"""Reading transaction files for the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from relmark import ValidationError
from relmark.io import read_transactions, write_columns


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "purchases.csv"
    path.write_text(text)
    return path


def read(path: Path) -> object:
    return read_transactions(path, customer_col="cid", date_col="date", amount_col="amount")


def test_reads_iso_and_compact_dates(tmp_path: Path) -> None:
    iso = read_transactions(
        write(tmp_path, "cid,date,amount\nann,1997-01-03,10.5\nbob,1997-02-01T10:30,3\n"),
        customer_col="cid",
        date_col="date",
        amount_col="amount",
    )
    assert iso.customer_id.tolist() == ["ann", "bob"]
    assert iso.timestamp.astype("datetime64[m]").astype(str).tolist() == [
        "1997-01-03T00:00",
        "1997-02-01T10:30",
    ]
    compact = read_transactions(
        write(tmp_path, "date,cid\n19970103,1\n19961231,2\n20000229,3\n"),
        customer_col="cid",
        date_col="date",
    )
    assert compact.amount is None
    assert compact.timestamp.astype("datetime64[D]").astype(str).tolist() == [
        "1997-01-03",
        "1996-12-31",
        "2000-02-29",
    ]


def test_quoted_fields_and_extra_columns(tmp_path: Path) -> None:
    log = read(write(tmp_path, 'x,cid,date,amount\n"a,b",c1,1997-01-03,15\n'))
    assert log.customer_id.tolist() == ["c1"]
    assert log.amount is not None and log.amount.tolist() == [15.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("cid,date\n1,1997-01-01\n", "'amount' (from --amount-col) is not in the header"),
        ("cid,date,amount\n", "no purchases"),
        ("cid,date,amount\n1,1997-01-01,1\n2,1997-13-01,1\n", "line 3, column 'date'"),
        ("cid,date,amount\n1,19970101,1\n2,19970230,1\n", "line 3, column 'date'"),
        ("cid,date,amount\n1,1997-01-01,1\n2,1997-01-02,-4\n", "line 3, column 'amount'"),
        ("cid,date,amount\n1,1997-01-01,1\n2,1997-01-02,nan\n", "line 3, column 'amount'"),
        ("cid,date,amount\n1,1997-01-01,abc\n", "line 2, column 'amount': cannot parse 'abc'"),
        ("cid,date,amount\n1,1997-01-01,1\n,1997-01-02,1\n", "line 3, column 'cid'"),
        ("cid,date,amount\n1,1997-01-01,1\n2,1997-01-02\n", "line 3: wrong number of columns"),
    ],
)
def test_bad_files_name_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(write(tmp_path, text))


def test_write_columns_is_atomic(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    write_columns(out, {"id": np.array(["a", "b,c"]), "value": np.array([1.5, 2.0])})
    assert out.read_text().splitlines() == ["id,value", "a,1.5", '"b,c",2.0']
    # unequal columns are refused at entry, naming each column and its length
    with pytest.raises(
        ValidationError,
        match=r"^`columns\['id'\]` and `columns\['value'\]` must have the same length: "
        r"`columns\['id'\]` has 1, `columns\['value'\]` has 2$",
    ):
        write_columns(out, {"id": np.array(["a"]), "value": np.array([1.0, 2.0])})
    assert out.read_text().splitlines()[0] == "id,value"  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left behind


def test_write_columns_checks_its_columns_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(
        TypeError, match=r"^`columns` must be a mapping of name to array, got list$"
    ):
        write_columns(out, [np.array([1.0])])  # type: ignore[arg-type]
    with pytest.raises(
        ValidationError, match=r"^`columns\['value'\]` must be one-dimensional, got shape \(2, 1\)$"
    ):
        write_columns(out, {"value": np.zeros((2, 1))})
    assert list(tmp_path.iterdir()) == []


def test_write_columns_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("cannot print")

    out = tmp_path / "out.csv"
    write_columns(out, {"id": np.array(["a"])})
    with pytest.raises(RuntimeError, match=r"^cannot print$"):
        write_columns(out, {"id": np.array(["a", Unprintable()], dtype=object)})
    assert out.read_text().splitlines() == ["id", "a"]
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
