"""Files in and out: purchases from CSV or Parquet, scores to CSV or Parquet.

Reading goes through pyarrow (``pyarrow.csv``, ``pyarrow.parquet``) and then
:meth:`relmark.TransactionLog.from_frame`, which parses and checks the
values; any problem is reported with the file, its true line, the column and
the value.  Writing never loses data: see :func:`write_columns`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import itertools
import operator
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from relmark._validation import (
    as_choice,
    as_text,
    describe,
    one_line,
)
from relmark.data._write import PARQUET_SUFFIXES, write_columns
from relmark.data.transactions import TransactionLog
from relmark.exceptions import ValidationError

if TYPE_CHECKING:  # the csv module's reader type, for annotations only
    import _csv

__all__ = ["read_covariates", "read_transactions", "write_columns"]

#: Bytes pyarrow reads and parses as one piece: a row longer than this is refused.
BLOCK_SIZE = 16 << 20
#: Bytes read from the start of a CSV file to find its header and delimiter.
_SAMPLE_SIZE = 1 << 20
#: Lines of that sample given to :class:`csv.Sniffer` (it is slow on long samples).
_SNIFF_LINES = 50
_DELIMITERS = (",", ";", "\t", "|")
_PARQUET_MAGIC = b"PAR1"
#: Byte-order marks and the codec that reads past them; UTF-32 LE before UTF-16 LE (a prefix).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: The codecs a file with each byte-order mark may be declared in (all read it the same).
_BOM_FAMILIES = {
    "utf-8-sig": {"utf-8", "utf-8-sig"},
    "utf-16": {"utf-16", "utf-16-le", "utf-16-be"},
    "utf-32": {"utf-32", "utf-32-le", "utf-32-be"},
}
#: ``from_frame``'s argument for each role of a column.
_ARGUMENTS = {"customer": "customer_id", "timestamp": "timestamp", "amount": "amount"}
_SHOWN_CHARS = 60


# ---------------------------------------------------------------------------- reading


def read_transactions(
    path: str | os.PathLike[str],
    *,
    customer: str,
    timestamp: str,
    amount: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    date_format: str | None = None,
    returns: str = "error",
    unit: str | None = None,
) -> TransactionLog:
    r"""Read a CSV or Parquet file of purchases into a :class:`~relmark.TransactionLog`.

    Parameters
    ----------
    path : str or os.PathLike
        A regular file: Parquet when its name ends in ``.parquet`` or ``.pq``
        or it starts with Parquet's magic bytes ``PAR1``, else CSV with a
        header line.
    customer, timestamp : str
        Header names of the customer-id and purchase-time columns.
    amount : str, optional
        Header name of the purchase-value column.
    delimiter : str, optional
        The CSV field delimiter; by default sniffed from the start of the
        file among ``,`` ``;`` tab and ``|``.
    encoding : str, optional
        The CSV file's text encoding, any Python knows (``"latin-1"``,
        ``"cp1252"``, ``"utf-16"``, ...).  By default a byte-order mark
        decides (UTF-8, UTF-16, UTF-32), else UTF-8.
    date_format : str, optional
        strftime format of the timestamps (``"%d.%m.%Y"``, ``"%Y%m%d"``,
        ...); by default they must be ISO-8601.
    returns : {"error", "net", "drop"}, default "error"
        What negative amounts (refunds) do: refused, netted within the
        customer's purchase period, or dropped; see
        :meth:`~relmark.TransactionLog.from_frame`.
    unit : str, optional
        Unit of numeric timestamps, as in :meth:`~relmark.TransactionLog.from_frame`.

    Returns
    -------
    TransactionLog

    Raises
    ------
    ValidationError
        For a file that cannot be read as purchases; the one-line message
        names the file, the line (rows for Parquet), the column and the
        value.
    TypeError
        For arguments of the wrong type.
    OSError
        If the file cannot be opened.

    Notes
    -----
    Only the named columns are converted.  CSV rules:

    - quoting is RFC 4180's: ``"`` around a value, ``""`` inside it; quoted
      values may hold delimiters and line breaks;
    - every row has as many fields as the header: a row with an extra or a
      missing field is refused, never read shifted;
    - blank lines are skipped; whitespace around values and header names is
      removed;
    - customer ids that are all canonical decimal integers (``str(int(s)) ==
      s``: no sign, no leading zero, within int64) become int64; others,
      such as ``"00123"``, stay strings;
    - line numbers are physical lines from 1 (the header's first), so line
      breaks inside quoted values count;
    - a row longer than :data:`BLOCK_SIZE` bytes (16 MiB) is refused: memory
      stays proportional to the file, never to its widest cell.

    Parquet columns keep their types (timestamps, dates, strings, numbers);
    rows are counted from 1.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from relmark.io import read_transactions
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "shop.csv").write_text(
    ...     "order;client;day;total\n1;ann;31.01.2024;10.5\n2;bob;01.02.2024;3\n"
    ... )
    >>> log = read_transactions(folder / "shop.csv", customer="client", timestamp="day",
    ...                         amount="total", date_format="%d.%m.%Y")
    >>> log.customer_id.tolist(), log.amount.tolist()
    (['ann', 'bob'], [10.5, 3.0])
    >>> _ = (folder / "bad.csv").write_text("client,day\nann,2024-01-31\nbob,2024-02-30\n")
    >>> read_transactions(folder / "bad.csv", customer="client", timestamp="day")
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: ...bad.csv: line 3, column 'day': ...
    """
    file = _as_file(path)
    columns = _columns(customer=customer, timestamp=timestamp, amount=amount)
    as_choice("returns", returns, ("error", "net", "drop"))
    if delimiter is not None:
        _check_delimiter(delimiter)
    codec = None if encoding is None else _codec(encoding)
    if _is_parquet(file):
        table, where = _read_parquet(file, columns)
    else:
        table, where = _read_csv(file, columns, delimiter, codec)
    if table.num_rows == 0:
        raise ValidationError(f"{file}: no purchases after the header line")
    try:
        return TransactionLog.from_frame(
            table,
            customer_id=columns["customer"],
            timestamp=columns["timestamp"],
            amount=columns.get("amount"),
            unit=unit,
            date_format=date_format,
            returns=returns,
        )
    except ValidationError as error:
        raise _located(file, error, columns, where) from None


def _as_file(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`path` must be a str or os.PathLike, got {type(path).__name__}")
    file = Path(path)
    mode = file.stat().st_mode  # FileNotFoundError, PermissionError: an OSError as it is
    if not stat.S_ISREG(mode):
        raise ValidationError(
            f"{file}: not a regular file; relmark reads purchases from files it can read twice "
            "(once more to find the line of an error): save the data to a file first"
        )
    return file


def _columns(**names: str | None) -> dict[str, str]:
    """Return each role's column name (stripped), leaving out an absent amount."""
    return {role: as_text(role, name).strip() for role, name in names.items() if name is not None}


def _check_delimiter(delimiter: object) -> None:
    if not isinstance(delimiter, str):
        raise TypeError(
            f"`delimiter` must be a one-character string, got {type(delimiter).__name__}"
        )
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValidationError(
            f"`delimiter` must be one character other than a quote or a line break, "
            f"got {describe(delimiter)}"
        )


def _codec(encoding: object) -> str:
    """Return the canonical name of a text encoding Python knows."""
    if not isinstance(encoding, str):
        raise TypeError(f"`encoding` must be a string, got {type(encoding).__name__}")
    try:
        b"x".decode(encoding, "ignore")  # a LookupError also for codecs that are not text
    except LookupError:
        raise ValidationError(
            f"`encoding` must be a text encoding Python knows (utf-8, latin-1, cp1252, utf-16, "
            f"...), got {describe(encoding)}"
        ) from None
    return codecs.lookup(encoding).name


def _is_parquet(file: Path) -> bool:
    if file.suffix.lower() in PARQUET_SUFFIXES:
        return True
    with file.open("rb") as handle:
        return handle.read(len(_PARQUET_MAGIC)) == _PARQUET_MAGIC


def _located(
    file: Path, error: ValidationError, columns: Mapping[str, str], where: Callable[[int], str]
) -> ValidationError:
    """Return ``error`` about a table row as an error about the file's line and column."""
    message = str(error)
    roles = {argument: role for role, argument in _ARGUMENTS.items()}
    if error.row is None or error.argument not in roles:
        return ValidationError(f"{file}: {message}", argument=error.argument, value=error.value)
    name = columns.get(roles[error.argument], error.argument)
    place = where(error.row)
    message = re.sub(rf"\bindex {error.row}\b", place, message)
    return ValidationError(
        f"{file}: {place}, column {name!r}: {message}",
        argument=error.argument,
        row=error.row,
        value=error.value,
    )


def _fail_at(
    file: Path, place: str, column: str, problem: str, argument: str, row: int, value: str
) -> ValidationError:
    return ValidationError(
        f"{file}: {place}, column {column!r}: {problem}", argument=argument, row=row, value=value
    )


# -- Parquet


def _read_parquet(file: Path, columns: Mapping[str, str]) -> tuple[pa.Table, Callable[[int], str]]:
    try:
        parquet = pq.ParquetFile(file)
    except (pa.ArrowInvalid, OSError) as error:
        raise ValidationError(f"{file}: not a readable Parquet file ({one_line(error)})") from None
    names = list(parquet.schema_arrow.names)
    wanted = list(dict.fromkeys(columns.values()))
    _check_header(file, names, columns, delimiter=None)
    try:
        read = parquet.read(columns=wanted, use_threads=True)
    except (pa.ArrowException, OSError) as error:
        raise ValidationError(f"{file}: cannot read the Parquet file ({one_line(error)})") from None

    def where(row: int) -> str:
        return f"row {row + 1:,}"

    table = _table({name: _decoded(read.column(name)) for name in wanted})
    for role, name in columns.items():
        column = table.column(name)
        if column.null_count:
            row = _first(column.is_null())
            raise _fail_at(
                file, where(row), name, "the value is missing", _ARGUMENTS[role], row, "None"
            )
    if pa.types.is_string(table.column(columns["customer"]).type):
        _check_ids(file, table.column(columns["customer"]), columns["customer"], where)
    return table, where


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Return a dictionary-encoded column (pandas categories) as plain values."""
    if pa.types.is_dictionary(column.type):
        return column.cast(column.type.value_type)
    return column


# -- CSV


@attrs.frozen
class _CsvFile:
    """A CSV file's layout, and the streaming scans that locate an error in it.

    The scans run only on the error path: they read the file again with the
    :mod:`csv` module, which splits records as pyarrow does, and count the
    physical lines (quoted line breaks included) without holding the file.
    """

    path: Path
    codec: str  # the Python codec that reads the text past any byte-order mark
    delimiter: str
    header: list[str]  # the raw header names, as pyarrow sees them

    @property
    def arrow_encoding(self) -> str:
        # pyarrow reads UTF-8 itself (and skips its byte-order mark); others are transcoded
        return "utf8" if self.codec in ("utf-8", "utf-8-sig") else self.codec

    @contextlib.contextmanager
    def records(self) -> Iterator[tuple[_csv.Reader, Iterator[list[str]]]]:
        """Yield the reader (for ``line_num``) and its non-blank records, header first."""
        previous = csv.field_size_limit()
        csv.field_size_limit(sys.maxsize)  # the scans must see rows of any width
        try:
            with self.path.open(encoding=self.codec, newline="") as text:
                reader = csv.reader(text, delimiter=self.delimiter, quotechar='"')
                yield reader, filter(None, reader)  # pyarrow skips blank lines as well
        finally:
            csv.field_size_limit(previous)

    def record(self, row: int) -> tuple[int, list[str]]:
        """Return the line data row ``row`` (0-based, header excluded) starts on, and its fields."""
        with self.records() as (reader, records):
            next(itertools.islice(records, row + 1, row + 1), None)  # skip in C, not in Python
            while True:
                before = reader.line_num
                fields = next(reader, None)
                if fields is None:
                    return before, []
                if fields:
                    return before + 1, fields

    def line(self, row: int) -> str:
        return f"line {self.record(row)[0]:,}"

    def first_row(self, bad: Callable[[list[str]], bool]) -> int | None:
        """Return the first data row for which ``bad`` is true, or ``None``."""
        with self.records() as (_, records):
            next(records, None)
            try:
                return operator.indexOf(map(bad, records), True)
            except ValueError:
                return None

    def decode_error(self) -> tuple[int, bytes] | None:
        """Return the line of the first byte the codec cannot decode, and the bytes, or ``None``."""
        decoder = codecs.getincrementaldecoder(self.codec)()
        line, carriage = 1, False
        with self.path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_SAMPLE_SIZE), b""):
                state = decoder.getstate()
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    decoder.setstate(state)
                    good = error.start - len(state[0])  # the decoder holds a partial character
                    text = decoder.decode(chunk[: max(good, 0)])
                    line += _line_breaks(text, carriage)
                    return line, error.object[error.start : error.end]
                line += _line_breaks(text, carriage)
                carriage = text.endswith("\r")
        return None


def _line_breaks(text: str, carriage: bool) -> int:
    """Count line ends (LF, CR LF, CR); ``carriage``: the text before ended in a CR."""
    count = text.count("\n") + text.count("\r") - text.count("\r\n")
    return count - 1 if carriage and text.startswith("\n") else count


def _read_csv(
    file: Path, columns: Mapping[str, str], delimiter: str | None, codec: str | None
) -> tuple[pa.Table, Callable[[int], str]]:
    layout = _layout(file, columns, delimiter, codec)
    raw = {name: layout.header[[n.strip() for n in layout.header].index(name)] for name in
           columns.values()}  # fmt: skip
    table = _table(_text_columns(file, layout, raw))
    ids = table.column(columns["customer"])
    _check_ids(file, ids, columns["customer"], layout.line)
    return table.set_column(
        table.column_names.index(columns["customer"]), columns["customer"], _integer_ids(ids)
    ), layout.line


def _text_columns(file: Path, layout: _CsvFile, raw: Mapping[str, str]) -> dict[str, Any]:
    """Read the CSV columns ``raw`` names (name -> header text) as trimmed text, by pyarrow.

    Every value is read as text (nothing guessed), quoted fields may hold the
    delimiter and line breaks, and a row pyarrow cannot parse is reported at
    its line.
    """
    try:
        read = pv.read_csv(
            file,
            read_options=pv.ReadOptions(
                block_size=BLOCK_SIZE, encoding=layout.arrow_encoding, use_threads=True
            ),
            parse_options=pv.ParseOptions(
                delimiter=layout.delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=True,
            ),
            convert_options=pv.ConvertOptions(
                include_columns=list(dict.fromkeys(raw.values())),
                column_types=dict.fromkeys(raw.values(), pa.string()),
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeError) as error:
        raise _unreadable(layout, error) from None
    return {name: pc.utf8_trim_whitespace(read.column(source)) for name, source in raw.items()}


def _layout(
    file: Path, columns: Mapping[str, str], delimiter: str | None, codec: str | None
) -> _CsvFile:
    """Find the file's codec, delimiter and header from its first bytes."""
    with file.open("rb") as handle:
        sample = handle.read(_SAMPLE_SIZE)
        complete = len(sample) < _SAMPLE_SIZE
    codec = _bom_codec(file, sample, codec)
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        text = decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        raise _undecodable(_CsvFile(file, codec, delimiter or ",", [])) from None
    if not text.strip():
        raise ValidationError(f"{file}: the file is empty (expected a header line naming columns)")
    if not complete:
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
        if not text:
            raise ValidationError(f"{file}: line 1: the header line is longer than 1 MiB")
    chosen = delimiter if delimiter is not None else _sniff(text, columns.values())
    header = next(filter(None, csv.reader(io.StringIO(text), delimiter=chosen, quotechar='"')))
    _check_header(file, [name.strip() for name in header], columns, delimiter=chosen)
    return _CsvFile(file, codec, chosen, header)


def _bom_codec(file: Path, sample: bytes, codec: str | None) -> str:
    """Return the codec a byte-order mark asks for, checked against the one given."""
    for bom, marked in _BOMS:
        if sample.startswith(bom):
            if codec is not None and codec not in _BOM_FAMILIES[marked]:
                raise ValidationError(
                    f"{file}: the file starts with a {marked.replace('-sig', '')} byte-order "
                    f"mark, but `encoding` is {codec!r}: leave `encoding` out to follow the mark"
                )
            return marked
    return codec if codec is not None else "utf-8"


def _sniff(text: str, wanted: Any) -> str:
    """Return the delimiter: :class:`csv.Sniffer`'s, unless another one finds every wanted column.

    The header must name the columns asked for, so a candidate under which
    it does beats the sniffer's guess (fooled, say, by decimal commas).
    """
    lines = "".join(text.splitlines(keepends=True)[:_SNIFF_LINES])
    try:
        sniffed: str | None = csv.Sniffer().sniff(lines, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    for candidate in ([sniffed] if sniffed else []) + list(_DELIMITERS):
        first = next(csv.reader(io.StringIO(lines), delimiter=candidate, quotechar='"'), [])
        if set(wanted) <= {name.strip() for name in first}:
            return candidate
    return sniffed or ","


def _check_header(
    file: Path, names: list[str], columns: Mapping[str, str], delimiter: str | None
) -> None:
    for role, name in columns.items():
        found = names.count(name)
        if found == 1:
            continue
        if found > 1:
            raise ValidationError(
                f"{file}: column {name!r} ({role}) appears {found} times in the header: "
                "rename the copies"
            )
        hint = ""
        if delimiter is not None and len(names) == 1:
            hint = f" (one column only: is the delimiter not {delimiter!r}? pass `delimiter`)"
        raise ValidationError(
            f"{file}: no column {name!r} ({role}) in the header; the columns are "
            f"{', '.join(repr(n) for n in names)}{hint}"
        )


def _unreadable(layout: _CsvFile, error: Exception) -> ValidationError:
    """Turn pyarrow's complaint into a message naming the line."""
    message = one_line(error)
    file, width = layout.path, len(layout.header)
    if isinstance(error, UnicodeError) or "invalid UTF8" in message:
        return _undecodable(layout)
    if "columns, got" in message:
        row = layout.first_row(lambda fields: len(fields) != width)
        if row is not None:
            line, fields = layout.record(row)
            return ValidationError(
                f"{file}: line {line:,}: {len(fields)} fields where the header has {width} "
                f"({_shown(layout.delimiter.join(fields))}): a row must have one value per "
                "column (quote values that hold the delimiter)",
                row=row,
            )
    if "straddl" in message or "block" in message:
        row = layout.first_row(lambda fields: _row_bytes(fields) >= BLOCK_SIZE)
        if row is not None:
            line, fields = layout.record(row)
            column = layout.header[int(np.argmax([len(f) for f in fields]))] if fields else ""
            return ValidationError(
                f"{file}: line {line:,}, column {column.strip()!r}: the row is longer than "
                f"{BLOCK_SIZE >> 20} MiB, the most relmark reads in one piece",
                row=row,
            )
    return ValidationError(f"{file}: cannot read the file as CSV: {message}")


def _row_bytes(fields: list[str]) -> int:
    # counted only where the characters alone could reach the limit (4 bytes at most each)
    chars = sum(map(len, fields)) + len(fields)
    if 4 * chars < BLOCK_SIZE:
        return chars
    return sum(len(f.encode("utf-8", "surrogatepass")) for f in fields) + len(fields)


def _undecodable(layout: _CsvFile) -> ValidationError:
    found = layout.decode_error()
    problem = "cannot decode the text" if found is None else f"cannot decode {found[1]!r}"
    place = "" if found is None else f"line {found[0]:,}: "
    return ValidationError(
        f"{layout.path}: {place}{problem} as {layout.codec}: the file is in another encoding; "
        "say which with `encoding` (--encoding), e.g. 'cp1252' or 'latin-1'"
    )


def _check_ids(file: Path, ids: pa.ChunkedArray, column: str, where: Callable[[int], str]) -> None:
    lengths = pc.binary_length(ids)  # from the offsets alone: no pass over the text
    if len(ids) and pc.min(lengths).as_py() == 0:
        row = _first(pc.equal(lengths, 0))
        raise _fail_at(file, where(row), column, "the customer id is empty", "customer_id", row, "")


def _integer_ids(ids: pa.ChunkedArray) -> pa.ChunkedArray:
    """Return ids as int64 when every one reads back as itself (``str(int(s)) == s``), else as is.

    Integer ids factorise much faster; the round trip keeps the conversion
    exact, so ``"00123"``, ``"+5"`` or ``"1e3"`` keep every id a string.
    """
    try:
        pc.cast(ids.slice(0, 1000), pa.int64())  # text ids fail here, at once
        numbers = pc.cast(ids, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return ids
    if pc.all(pc.equal(pc.cast(numbers, pa.string()), ids)).as_py():
        return numbers
    return ids


def _table(columns: Mapping[str, pa.ChunkedArray]) -> pa.Table:
    # not ``pa.table(dict)``: it imports pandas (half a second) to ask whether it is a frame
    return pa.Table.from_arrays(list(columns.values()), names=list(columns))


def _first(mask: pa.ChunkedArray | pa.Array) -> int:
    return int(pc.index(mask, True).as_py())


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "...")


# ---------------------------------------------------------------------------- writing


def read_covariates(
    path: str | os.PathLike[str],
    *,
    id_column: str,
    columns: Sequence[str] | None = None,
    encoding: str | None = None,
) -> dict[str, NDArray[Any]]:
    r"""Read a CSV or Parquet table of customers' covariates, keyed by customer id.

    Read as :func:`relmark.read_transactions` reads purchases (the same
    file types, CSV layout, delimiter sniffing, encodings and line-located
    errors), with its rule for ids, so that ids match theirs: CSV ids that
    are all canonical decimal integers become int64, others stay text.
    A CSV covariate column becomes numbers when every value reads as one,
    else booleans when every value is ``true``/``false`` (any case), else
    text (for :meth:`~relmark.CustomerSummary.with_covariates` to encode
    one-hot); whitespace around values is removed.  Parquet columns keep
    their types.

    Parameters
    ----------
    path : str or os.PathLike
        The file: Parquet by extension (``.parquet``, ``.pq``) or magic
        bytes, else CSV with a header line.
    id_column : str
        The column of customer ids.
    columns : sequence of str, optional
        The covariate columns (default: every column but ``id_column``).
    encoding : str, optional
        The CSV text encoding (default: by byte-order mark, else UTF-8).

    Returns
    -------
    dict of str to ndarray
        The id column, then the covariate columns in order (text as object
        arrays): a table :meth:`~relmark.CustomerSummary.with_covariates`
        takes as it is.

    Raises
    ------
    ValidationError
        For a column not in the header (or in it twice), a file with no
        covariate column, an empty id or a missing value (naming the line,
        rows for Parquet), or a file that cannot be read.
    OSError
        If the file cannot be opened.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from relmark.io import read_covariates
    >>> file = Path(tempfile.mkdtemp()) / "who.csv"
    >>> _ = file.write_text("cid;region;age;vip\n7;north;31;true\n8;south;45.5;FALSE\n")
    >>> table = read_covariates(file, id_column="cid")
    >>> {name: str(column.dtype) for name, column in table.items()}
    {'cid': 'int64', 'region': 'object', 'age': 'float64', 'vip': 'bool'}
    >>> read_covariates(file, id_column="cid", columns=["income"])
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: ...who.csv: no column 'income' (columns) in the ...
    """
    file = _as_file(path)
    codec = None if encoding is None else _codec(encoding)
    wanted = None if columns is None else list(dict.fromkeys(columns))
    if _is_parquet(file):
        table = _covariates_parquet(file, id_column, wanted)
    else:
        table = _covariates_csv(file, id_column, wanted, codec)
    if table.num_columns < 2:
        raise ValidationError(f"{file}: no covariate columns besides {id_column!r}")
    if table.num_rows == 0:
        raise ValidationError(f"{file}: no customers after the header line")
    return {name: table.column(name).to_numpy() for name in table.column_names}


def _covariate_names(
    file: Path, header: list[str], id_column: str, wanted: list[str] | None, delimiter: str | None
) -> list[str]:
    """Return the covariate columns, each checked to be in the header once."""
    names = [name for name in header if name != id_column] if wanted is None else wanted
    for name in names:
        _check_header(file, header, {"columns": name}, delimiter=delimiter)
    return names


def _covariates_csv(
    file: Path, id_column: str, wanted: list[str] | None, codec: str | None
) -> pa.Table:
    layout = _layout(file, {"id_column": id_column}, None, codec)
    header = [name.strip() for name in layout.header]
    names = _covariate_names(file, header, id_column, wanted, layout.delimiter)
    raw = {name: layout.header[header.index(name)] for name in [id_column, *names]}
    text = _text_columns(file, layout, raw)
    _check_ids(file, text[id_column], id_column, layout.line)
    for name in names:
        empty = pc.equal(pc.binary_length(text[name]), 0)
        if pc.any(empty).as_py():
            row = _first(empty)
            problem = "the value is missing"
            raise _fail_at(file, layout.line(row), name, problem, "covariates", row, "")
    typed = [_integer_ids(text[id_column]), *(_typed(text[name]) for name in names)]
    return pa.Table.from_arrays(typed, names=[id_column, *names])


def _typed(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Return a text column as numbers, else booleans, when every value reads as one."""
    for kind in (pa.float64(), pa.bool_()):
        try:
            converted: pa.ChunkedArray = pc.cast(column, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        return converted
    return column


def _covariates_parquet(file: Path, id_column: str, wanted: list[str] | None) -> pa.Table:
    try:
        parquet = pq.ParquetFile(file)
    except (pa.ArrowInvalid, OSError) as error:
        raise ValidationError(f"{file}: not a readable Parquet file ({one_line(error)})") from None
    header = list(parquet.schema_arrow.names)
    _check_header(file, header, {"id_column": id_column}, delimiter=None)
    names = _covariate_names(file, header, id_column, wanted, None)
    try:
        read = parquet.read(columns=[id_column, *names], use_threads=True)
    except (pa.ArrowException, OSError) as error:
        raise ValidationError(f"{file}: cannot read the Parquet file ({one_line(error)})") from None
    for name in [id_column, *names]:
        column = read.column(name)
        if column.null_count:
            row = _first(column.is_null())
            where = f"row {row + 1:,}"
            raise _fail_at(file, where, name, "the value is missing", "covariates", row, "None")
    ids = read.column(id_column)
    if pa.types.is_string(ids.type):
        _check_ids(file, ids, id_column, lambda row: f"row {row + 1:,}")
    return read
