"""relmark.io: purchases from CSV and Parquet files, scores to CSV and Parquet.

Every file of the corpus below is generated here, as the tools users have
write them (Excel's "CSV UTF-8" with a byte-order mark, European semicolons,
tabs, Latin-1, cp1252, UTF-16, quoted line breaks, ...).  Each one is either
read exactly as a reference reader reads it (Python's ``csv`` module and
``datetime.strptime``, written independently of relmark) or refused with a
one-line message naming the file, the true line and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import relmark
from relmark import ValidationError
from relmark.io import BLOCK_SIZE, read_transactions, write_columns

# ---------------------------------------------------------------------------- the corpus

ISO_DATE = "%Y-%m-%d"
NOTES = ["", "gift, wrapped", 'said "thanks"', "two\nlines", "Crème brûlée", "50% off; |promo|"]


def purchases(n: int, seed: int, *, formats: str = ISO_DATE) -> list[list[str]]:
    """Rows of (order, customer, date, amount, note) as strings, like a shop's export."""
    rng = np.random.default_rng(seed)
    names = ["ann", "José", "Zoë", "O'Neil", "müller", "bob smith", "ann-2"]  # all in Latin-1
    start = dt.datetime(2023, 1, 1)
    rows = []
    for i in range(n):
        when = start + dt.timedelta(minutes=int(rng.integers(0, 600 * 24 * 60)))
        rows.append(
            [
                str(1000 + i),
                names[int(rng.integers(len(names)))] + str(int(rng.integers(40))),
                when.strftime(formats),
                f"{rng.gamma(2.0, 15.0):.2f}",
                NOTES[int(rng.integers(len(NOTES)))],
            ]
        )
    return rows


HEADER = ["order", "customer", "date", "amount", "note"]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
    lineterminator: str = "\n",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, delimiter=delimiter, lineterminator=lineterminator)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def line_of(rows: Sequence[Sequence[str]], index: int) -> int:
    """The physical line data row ``index`` starts on: after the header and every earlier break."""
    return 2 + index + sum(cell.count("\n") for row in rows[:index] for cell in row)


def reference(
    path: Path, *, encoding: str, delimiter: str, date_format: str, amounts: bool = True
) -> tuple[list[object], np.ndarray, list[float] | None]:
    """Read a file with the csv module and strptime only: what relmark must agree with."""
    limit = csv.field_size_limit(sys.maxsize)  # cells of any size
    try:
        with path.open(encoding=encoding, newline="") as file:
            records = [record for record in csv.reader(file, delimiter=delimiter) if record]
    finally:
        csv.field_size_limit(limit)
    names = [name.strip() for name in records[0]]
    body = [dict(zip(names, record, strict=True)) for record in records[1:]]
    ids: list[object] = [row["customer"].strip() for row in body]
    if all(re.fullmatch(r"-?[1-9][0-9]*|0", str(i)) and abs(int(str(i))) < 2**63 for i in ids):
        ids = [int(str(i)) for i in ids]
    times = []
    for row in body:
        when = dt.datetime.strptime(row["date"].strip(), date_format)
        if when.tzinfo is not None:
            when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
        times.append(np.datetime64(when, "us"))
    values = [float(row["amount"]) for row in body] if amounts else None
    return ids, np.array(times, dtype="datetime64[us]"), values


def assert_read_as_reference(
    path: Path,
    *,
    file_encoding: str = "utf-8",
    file_delimiter: str = ",",
    file_format: str = ISO_DATE,
    **options: object,
) -> relmark.TransactionLog:
    """Read ``path`` with relmark (``options``) and check it against the reference read."""
    log = read_transactions(
        path,
        customer="customer",
        timestamp="date",
        amount="amount",
        **options,  # type: ignore[arg-type]
    )
    ids, times, amounts = reference(
        path, encoding=file_encoding, delimiter=file_delimiter, date_format=file_format
    )
    assert log.customer_id.tolist() == ids
    np.testing.assert_array_equal(log.timestamp, times)
    assert log.amount is not None and log.amount.tolist() == amounts
    return log


def refused(path: Path, line: int | str, column: str | None, **options: object) -> str:
    """Read ``path``, expecting a one-line refusal naming ``line`` (and ``column``)."""
    options.setdefault("amount", "amount")
    place = f"line {line:,}" if isinstance(line, int) else line
    where = re.escape(f"{path}: {place}") + (
        "" if column is None else re.escape(f", column {column!r}: ")
    )
    with pytest.raises(ValidationError, match=f"^{where}") as raised:
        read_transactions(
            path,
            customer="customer",
            timestamp="date",
            **options,  # type: ignore[arg-type]
        )
    message = str(raised.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ---------------------------------------------------------------------------- read correctly


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_each_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "shop.csv", purchases(300, 1), delimiter=delimiter)
    assert_read_as_reference(path, file_delimiter=delimiter)
    # and given, it is used as it is
    assert_read_as_reference(path, file_delimiter=delimiter, delimiter=delimiter)


def test_excel_csv_utf8_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "excel.csv", purchases(200, 2), encoding="utf-8-sig",
                     lineterminator="\r\n")  # fmt: skip
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert_read_as_reference(path, file_encoding="utf-8-sig")
    assert_read_as_reference(path, file_encoding="utf-8-sig", encoding="utf-8")


@pytest.mark.parametrize(
    ("encoding", "given"),
    [
        ("latin-1", "latin-1"),
        ("cp1252", "cp1252"),
        ("utf-16", None),  # with its byte-order mark: found without being told
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),  # no mark: must be told
        ("utf-32", None),
    ],
)
def test_encodings_python_knows(tmp_path: Path, encoding: str, given: str | None) -> None:
    rows = purchases(150, 3)
    if encoding != "latin-1":
        rows[7][4] = "“smart quotes” – €5 off"  # cp1252 has these, Latin-1 does not
    if encoding.startswith("utf"):
        rows[8][1] = "李"
    path = write_csv(tmp_path / "shop.csv", rows, encoding=encoding)
    assert_read_as_reference(path, file_encoding=encoding, encoding=given)


def test_quoted_delimiters_quotes_and_line_breaks(tmp_path: Path) -> None:
    rows = purchases(400, 4)
    rows[10][1] = "Smith, John"
    rows[11][1] = 'The "Best" Shop'
    rows[12][1] = "multi\nline id"
    path = write_csv(tmp_path / "shop.csv", rows)
    log = assert_read_as_reference(path)
    assert {"Smith, John", 'The "Best" Shop', "multi\nline id"} <= set(log.customer_id.tolist())


def test_blank_lines_and_whitespace_around_values(tmp_path: Path) -> None:
    path = tmp_path / "shop.csv"
    path.write_text(
        "\n customer , date ,amount\n\nann, 2024-01-01 ,3.5\n\n  bob,2024-01-02, 4\n\n\n"
    )
    log = read_transactions(path, customer="customer", timestamp="date", amount="amount")
    assert log.customer_id.tolist() == ["ann", "bob"]
    assert log.amount is not None and log.amount.tolist() == [3.5, 4.0]


@pytest.mark.parametrize(
    ("written", "date_format"),
    [
        ("%Y-%m-%d", None),
        ("%Y-%m-%dT%H:%M:%S", None),
        ("%Y-%m-%d %H:%M:%S", None),
        ("%Y-%m-%dT%H:%M:%SZ", None),
        ("%Y-%m-%dT%H:%M:%S+02:00", None),
        ("%Y-%m-%dT%H:%M:%S-05:30", None),
        ("%d.%m.%Y", "%d.%m.%Y"),
        ("%Y/%m/%d", "%Y/%m/%d"),
        ("%Y%m%d", "%Y%m%d"),
        ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M"),
    ],
)
def test_each_date_format(tmp_path: Path, written: str, date_format: str | None) -> None:
    path = write_csv(tmp_path / "shop.csv", purchases(200, 5, formats=written))
    # the reference parses what was written with strptime, offsets included (``%z``)
    parse = written.replace("Z", "%z").replace("+02:00", "%z").replace("-05:30", "%z")
    assert_read_as_reference(path, file_format=parse, date_format=date_format)


def test_compact_dates_need_their_format(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shop.csv", purchases(50, 6, formats="%Y%m%d"))
    message = refused(path, 2, "date")
    assert "%Y%m%d" in message  # the message says how to read them


def test_integer_ids_become_int64_only_when_exact(tmp_path: Path) -> None:
    def ids_of(values: list[str]) -> np.ndarray:
        rows = [[str(i), v, "2024-01-01", "1", ""] for i, v in enumerate(values)]
        path = write_csv(tmp_path / "ids.csv", rows)
        return read_transactions(path, customer="customer", timestamp="date").customer_id

    assert ids_of(["17", "0", "-4", "9223372036854775807"]).dtype == np.int64
    for kept in (["17", "00123"], ["+5", "6"], ["-0", "1"], ["9223372036854775808"], ["1e3"]):
        ids = ids_of(kept)
        assert ids.dtype.kind in "OU" and ids.tolist() == kept


# ---------------------------------------------------------------------------- refunds


def refunds_file(tmp_path: Path) -> Path:
    rows = [
        ["1", "ann", "2024-01-01", "30.00", ""],
        ["2", "ann", "2024-01-01", "-10.00", "partial refund, same day"],
        ["3", "ann", "2024-02-01", "20.00", ""],
        ["4", "ann", "2024-02-01", "-20.00", "whole refund"],
        ["5", "ann", "2024-03-01", "15.00", ""],
        ["6", "bob", "2024-01-05", "12.50", ""],
        ["7", "bob", "2024-01-20", "-2.50", "refund a later day"],
    ]
    return write_csv(tmp_path / "refunds.csv", rows)


def test_refunds_are_refused_by_default_naming_the_line(tmp_path: Path) -> None:
    refused(refunds_file(tmp_path), 3, "amount")


def test_refunds_dropped(tmp_path: Path) -> None:
    log = read_transactions(refunds_file(tmp_path), customer="customer", timestamp="date",
                            amount="amount", returns="drop")  # fmt: skip
    assert log.amount is not None and log.amount.tolist() == [30.0, 20.0, 15.0, 12.5]


def test_refunds_netted_within_the_purchase_period(tmp_path: Path) -> None:
    log = read_transactions(refunds_file(tmp_path), customer="customer", timestamp="date",
                            amount="amount", returns="net")  # fmt: skip
    summary = log.summarize("2024-03-31", unit="D")
    assert summary.customer_id is not None and summary.customer_id.tolist() == ["ann", "bob"]
    # ann: Jan 1 nets to 20, Feb 1 nets to 0 (no longer a purchase), Mar 1 is 15
    # bob: Jan 5 is 12.5, the refund on Jan 20 nets to -2.5 (not a purchase)
    assert summary.frequency.tolist() == [1.0, 0.0]
    assert summary.monetary_value is not None and summary.monetary_value.tolist() == [15.0, 0.0]
    assert summary.recency.tolist() == [60.0, 0.0]


# ---------------------------------------------------------------------------- refused


def test_bad_values_name_the_true_line_and_column(tmp_path: Path) -> None:
    rows = purchases(30, 7)
    rows[3][4] = "a note\nover\nthree lines"  # the lines after it move down by two
    path = tmp_path / "shop.csv"
    line = line_of(rows, 20)
    assert line >= 24
    for field, bad, column in [
        (2, "2024-13-01", "date"),
        (2, "", "date"),
        (2, "19970601", "date"),
        (3, "abc", "amount"),
        (3, "", "amount"),
        (3, "-4.00", "amount"),
        (3, "nan", "amount"),
        (1, "  ", "customer"),
    ]:
        broken = [list(row) for row in rows]
        broken[20][field] = bad
        write_csv(path, broken)
        message = refused(path, line, column)
        assert "index" not in message


def test_rows_with_an_extra_or_a_missing_field_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "shop.csv"
    rows = purchases(40, 8)
    rows[2][4] = "quoted\nbreak"
    extra = [list(r) for r in rows]
    extra[30] = [*extra[30], "surplus"]
    write_csv(path, extra)
    assert "6 fields where the header has 5" in refused(path, line_of(rows, 30), None)
    missing = [list(r) for r in rows]
    missing[35] = missing[35][:4]
    write_csv(path, missing)
    assert "4 fields where the header has 5" in refused(path, line_of(rows, 35), None)


def test_unquoted_comma_in_a_value_is_a_field_count_error(tmp_path: Path) -> None:
    path = tmp_path / "shop.csv"
    path.write_text("customer,date,amount\nann,2024-01-01,3\nSmith, John,2024-01-02,4\n")
    assert "4 fields where the header has 3" in refused(path, 3, None)


def test_a_wrong_encoding_is_one_line_naming_the_line(tmp_path: Path) -> None:
    rows = [[str(i), f"c{i % 70}", "2024-01-01", "1.00", "a\nb" if i % 9 else ""]
            for i in range(500)]  # fmt: skip
    rows[400][1] = "Renée"
    path = write_csv(tmp_path / "latin.csv", rows, encoding="latin-1")
    message = refused(path, line_of(rows, 400), None)
    assert "encoding" in message and "b'\\xe9'" in message
    with pytest.raises(ValidationError, match=r"\bcannot decode b'\\x81' as cp1252"):
        (tmp_path / "bad.csv").write_bytes(b"customer,date,amount\n\x81,2024-01-01,1\n")
        read_transactions(tmp_path / "bad.csv", customer="customer", timestamp="date",
                          encoding="cp1252")  # fmt: skip


def test_a_byte_order_mark_against_the_given_encoding(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shop.csv", purchases(5, 10), encoding="utf-16")
    with pytest.raises(ValidationError, match="starts with a utf-16 byte-order mark, but `enc"):
        read_transactions(path, customer="customer", timestamp="date", encoding="latin-1")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the file is empty"),
        ("\n\n  \n", "the file is empty"),
        ("\ufeff", "the file is empty"),
        ("customer,date,amount\n", "no purchases after the header line"),
        ("customer,date,amount\n\n\n", "no purchases after the header line"),
        ("customer,day,amount\nann,2024-01-01,1\n",
         "no column 'date' (timestamp) in the header; the columns are 'customer', 'day', 'amount'"),
        ("customer,date,value\nann,2024-01-01,1\n", "no column 'amount' (amount) in the header"),
        ("customer,date,amount,date\nann,2024-01-01,1,x\n", "column 'date' (timestamp) appears 2"),
    ],
)  # fmt: skip
def test_files_without_purchases(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "shop.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=f"^{re.escape(str(path))}: {re.escape(problem)}"):
        read_transactions(path, customer="customer", timestamp="date", amount="amount")


def test_a_wrong_delimiter_is_hinted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shop.csv", purchases(5, 11), delimiter=";")
    with pytest.raises(ValidationError, match=r"one column only: is the delimiter not ','\?"):
        read_transactions(path, customer="customer", timestamp="date", delimiter=",")


def test_arguments_are_checked_before_reading(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shop.csv", purchases(5, 12))
    with pytest.raises(TypeError, match=r"^`path` must be a str or os.PathLike, got int$"):
        read_transactions(3, customer="customer", timestamp="date")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^`customer` must be a string, got int$"):
        read_transactions(path, customer=1, timestamp="date")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^`delimiter` must be one character other"):
        read_transactions(path, customer="customer", timestamp="date", delimiter=";;")
    with pytest.raises(ValidationError, match=r"^`encoding` must be a text encoding Python kno"):
        read_transactions(path, customer="customer", timestamp="date", encoding="klingon")
    with pytest.raises(ValidationError, match=r"^`encoding` must be a text encoding Python kno"):
        read_transactions(path, customer="customer", timestamp="date", encoding="base64")
    with pytest.raises(ValidationError, match=r"^`returns` must be one of 'error', 'net', 'dr"):
        read_transactions(path, customer="customer", timestamp="date", returns="keep")
    with pytest.raises(FileNotFoundError, match=r"missing\.csv"):
        read_transactions(tmp_path / "missing.csv", customer="customer", timestamp="date")
    with pytest.raises(ValidationError, match="not a regular file"):
        read_transactions(tmp_path, customer="customer", timestamp="date")


# ---------------------------------------------------------------------------- big files


def test_error_near_the_end_of_120000_rows_after_quoted_line_breaks(tmp_path: Path) -> None:
    rows = purchases(120_000, 13)
    bad = 119_990
    rows[bad][2] = "2024-02-30"
    path = write_csv(tmp_path / "big.csv", rows)
    # the true line: the header, then each row's lines (its note's breaks included)
    line = line_of(rows, bad)
    assert line > bad + 2 + 1000  # many quoted breaks before it
    refused(path, line, "date")
    rows[bad][2] = rows[bad - 1][2]
    rows[bad] = rows[bad][:3]
    write_csv(path, rows)
    refused(path, line, None)


def test_a_10_mb_cell_is_read_in_memory_proportional_to_the_file(tmp_path: Path) -> None:
    rows = purchases(1000, 14)
    rows[500][4] = "x" * 10_000_000
    path = write_csv(tmp_path / "huge.csv", rows)
    assert_read_as_reference(path)
    # peak resident memory of a fresh process, beyond what a small read needs
    small = write_csv(tmp_path / "small.csv", purchases(1000, 14))
    script = (
        "import resource, sys\n"
        "from relmark.io import read_transactions\n"
        "def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024\n"
        "read_transactions(sys.argv[1], customer='customer', timestamp='date', amount='amount')\n"
        "before = peak()\n"
        "read_transactions(sys.argv[2], customer='customer', timestamp='date', amount='amount')\n"
        "print(peak() - before)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(small), str(path)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    grown = int(done.stdout)
    assert grown < 6 * path.stat().st_size, f"{grown:,} bytes more for a 10 MB cell"


def test_a_row_longer_than_the_block_is_refused_naming_line_and_column(tmp_path: Path) -> None:
    rows = purchases(300, 15)
    rows[250][4] = "y" * (2 * BLOCK_SIZE + 10)
    path = write_csv(tmp_path / "huger.csv", rows)
    line = line_of(rows, 250)
    assert "MiB" in refused(path, line, "note")


# ---------------------------------------------------------------------------- Parquet


def parquet_table(n: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    ids = np.array([f"C{int(k):05d}" for k in rng.integers(0, n // 3, n)])
    times = np.datetime64("2023-01-01T00:00", "us") + rng.integers(0, 10**6, n).astype(
        "timedelta64[m]"
    )
    return pa.table(
        {
            "note": pa.array(["x"] * n),
            "customer": pa.array(ids).dictionary_encode(),  # a pandas category, say
            "date": pa.array(times),
            "amount": pa.array(np.round(rng.gamma(2.0, 10.0, n), 2)),
        }
    )


@pytest.mark.parametrize("name", ["shop.parquet", "shop.PQ", "shop.data"])
def test_parquet_by_extension_or_magic(tmp_path: Path, name: str) -> None:
    table = parquet_table(3000, 16)
    path = tmp_path / name
    pq.write_table(table, path)
    log = read_transactions(path, customer="customer", timestamp="date", amount="amount")
    assert log.customer_id.tolist() == table.column("customer").to_pylist()
    np.testing.assert_array_equal(log.timestamp, table.column("date").to_numpy())
    assert log.amount is not None
    assert log.amount.tolist() == table.column("amount").to_pylist()


def test_parquet_string_dates_with_a_format_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "shop.parquet"
    dates = ["31.01.2024", "01.02.2024", "30.02.2024"]
    pq.write_table(pa.table({"customer": ["a", "b", "c"], "date": dates, "amount": [1.0] * 3}),
                   path)  # fmt: skip
    refused(path, "row 3", "date", date_format="%d.%m.%Y")
    pq.write_table(pa.table({"customer": ["a", None], "date": dates[:2], "amount": [1.0, 2.0]}),
                   path)  # fmt: skip
    assert "missing" in refused(path, "row 2", "customer", date_format="%d.%m.%Y")
    pq.write_table(pa.table({"customer": ["a", "b"], "date": dates[:2], "amount": [1.0, -2.0]}),
                   path)  # fmt: skip
    refused(path, "row 2", "amount", date_format="%d.%m.%Y")
    with pytest.raises(ValidationError, match=r"no column 'when' \(timestamp\) in the header"):
        read_transactions(path, customer="customer", timestamp="when")


def test_a_file_that_says_parquet_but_is_not(tmp_path: Path) -> None:
    path = tmp_path / "shop.parquet"
    path.write_text("customer,date\nann,2024-01-01\n")
    with pytest.raises(ValidationError, match=r"shop.parquet: not a readable Parquet file \("):
        read_transactions(path, customer="customer", timestamp="date")


# ---------------------------------------------------------------------------- any CSV text


cells = st.text(
    st.sampled_from(list("ab ,;|\t\"'\n\r=é€"))
    | st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
    max_size=12,
)


@given(
    ids=st.lists(cells.filter(lambda s: s.strip() != ""), min_size=1, max_size=15),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_any_quoted_text_reads_back_as_the_csv_module_reads_it(
    tmp_path_factory: pytest.TempPathFactory, ids: list[str], delimiter: str, encoding: str
) -> None:
    rows = [[str(i), c, "2024-01-01", "1.5", "n"] for i, c in enumerate(ids)]
    path = tmp_path_factory.mktemp("any") / "any.csv"
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file, delimiter=delimiter, quoting=csv.QUOTE_ALL)
        writer.writerow(HEADER)
        writer.writerows(rows)
    assert_read_as_reference(path, file_encoding=encoding, file_delimiter=delimiter,
                             delimiter=delimiter)  # fmt: skip


# ---------------------------------------------------------------------------- writing


def test_write_columns_csv_is_atomic_and_escapes_formulas(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    write_columns(out, {"id": np.array(["a", "b,c", "=cmd|' /C calc'!A0", "-2"]),
                        "value": np.array([1.5, 2.0, -3.0, 4.25])})  # fmt: skip
    with out.open(newline="") as file:
        assert list(csv.reader(file)) == [
            ["id", "value"],
            ["a", "1.5"],
            ["b,c", "2"],
            ["'=cmd|' /C calc'!A0", "-3"],
            ["'-2", "4.25"],
        ]
    # unequal columns are refused at entry, naming each column and its length
    with pytest.raises(
        ValidationError,
        match=r"^`columns\['id'\]` and `columns\['value'\]` must have the same length: "
        r"`columns\['id'\]` has 1, `columns\['value'\]` has 2$",
    ):
        write_columns(out, {"id": np.array(["a"]), "value": np.array([1.0, 2.0])})
    assert out.read_text().splitlines()[0] == '"id","value"'  # the old file is intact
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left behind


def test_write_columns_parquet_keeps_values_and_types(tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"
    ids = np.array(["=1+1", "ann"], dtype=object)
    write_columns(out, {"customer_id": ids, "n": np.array([1, 2]), "p": np.array([0.5, 1.0])})
    table = pq.read_table(out)
    assert table.to_pylist() == [
        {"customer_id": "=1+1", "n": 1, "p": 0.5},
        {"customer_id": "ann", "n": 2, "p": 1.0},
    ]
    assert table.schema.field("n").type == pa.int64()
    out.chmod(0o640)
    write_columns(out, {"customer_id": ids[:1]})
    assert out.stat().st_mode & 0o777 == 0o640 and pq.read_table(out).num_rows == 1


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
    with pytest.raises(ValidationError, match=r"^`columns` cannot be written: "):
        write_columns(out, {"value": np.array([1, "a"], dtype=object)})
    with pytest.raises(TypeError, match=r"^`path` must be a str or os.PathLike, got NoneType$"):
        write_columns(None, {"value": np.zeros(2)})  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import relmark.io

    out = tmp_path / "scores.parquet"
    out.write_bytes(b"old scores")

    def interrupted(table: pa.Table, where: object) -> None:
        where.write(b"PAR1 half a file")  # type: ignore[attr-defined]
        raise KeyboardInterrupt("interrupted while writing")

    monkeypatch.setattr(relmark.io.pq, "write_table", interrupted)
    with pytest.raises(KeyboardInterrupt, match=r"^interrupted while writing$"):
        write_columns(out, {"id": np.array(["a"])})
    assert out.read_bytes() == b"old scores"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.parquet"]


def test_write_columns_takes_a_format_and_can_refuse_to_replace_a_file(tmp_path: Path) -> None:
    out = tmp_path / "targets.txt"
    write_columns(out, {"id": np.array([1, 2])}, file_format="parquet", overwrite=False)
    assert pq.read_table(out).to_pylist() == [{"id": 1}, {"id": 2}]  # Parquet, whatever the name
    with pytest.raises(FileExistsError, match=r"targets\.txt exists; pass overwrite=True"):
        write_columns(out, {"id": np.array([3])}, overwrite=False)
    assert pq.read_table(out).num_rows == 2  # untouched
    write_columns(out, {"id": np.array([3])}, file_format="csv")
    assert out.read_text().splitlines() == ['"id"', "3"]
    assert [p.name for p in tmp_path.iterdir()] == ["targets.txt"]  # no temporary left
    with pytest.raises(ValidationError, match="`file_format` must be one of"):
        write_columns(out, {"id": np.array([3])}, file_format="xlsx")
