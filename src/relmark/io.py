"""Files in and out for the command line.

Reading names the row and column of any bad value; writing never loses data.
"""

from __future__ import annotations

import csv
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from relmark._validation import as_mapping, check_same_length, describe
from relmark.data.transactions import TransactionLog
from relmark.exceptions import ValidationError

__all__ = ["read_transactions", "write_columns"]

_COMPACT_DATE = re.compile(r"^\d{8}$")


def _first_bad(values: NDArray[Any], ok: NDArray[np.bool_]) -> tuple[int, str]:
    row = int(np.argmin(ok))
    return row, str(values[row])


def _fail(path: Path, row: int, column: str, problem: str) -> ValidationError:
    # Data row ``row`` (0-based) sits on line row + 2: the header is line 1.
    return ValidationError(f"{path}: line {row + 2}, column {column!r}: {problem}")


def _parse_dates(path: Path, column: str, values: NDArray[np.str_]) -> NDArray[np.datetime64]:
    """Parse ISO-8601 dates/datetimes, or compact ``YYYYMMDD`` dates, vectorised."""
    text = np.char.strip(values)
    if _COMPACT_DATE.match(str(text[0])):
        return _parse_compact_dates(path, column, text)
    try:
        parsed: NDArray[np.datetime64] = text.astype("datetime64[us]")
    except ValueError:
        ok = np.array([_is_datetime(str(v)) for v in text.tolist()], dtype=bool)
        row, bad = _first_bad(values, ok)
        raise _fail(path, row, column, f"cannot parse {bad!r} as an ISO-8601 date") from None
    return parsed


def _parse_compact_dates(path: Path, column: str, text: NDArray[np.str_]) -> NDArray[np.datetime64]:
    """Parse ``YYYYMMDD`` by integer arithmetic; a date that rolls over a month is invalid."""
    ok = (np.char.str_len(text) == 8) & np.char.isdigit(text)
    number = np.where(ok, text, "19700101").astype(np.int64)
    month = np.clip(number // 100 % 100, 1, 12)
    months = ((number // 10_000 - 1970) * 12 + month - 1).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (number % 100 - 1).astype("timedelta64[D]")
    ok &= (number // 100 % 100 == month) & (number % 100 >= 1)
    ok &= days.astype("datetime64[M]") == months
    if not ok.all():
        row, bad = _first_bad(text, ok)
        raise _fail(path, row, column, f"cannot parse {bad!r} as a YYYYMMDD date")
    parsed: NDArray[np.datetime64] = days.astype("datetime64[us]")
    return parsed


def _is_datetime(text: str) -> bool:
    try:
        np.datetime64(text, "us")
    except ValueError:
        return False
    return True


def _parse_amounts(path: Path, column: str, values: NDArray[np.str_]) -> NDArray[np.float64]:
    try:
        amounts = np.char.strip(values).astype(np.float64)
    except ValueError:
        ok = np.array([_is_number(str(v)) for v in values.tolist()], dtype=bool)
        row, text = _first_bad(values, ok)
        raise _fail(path, row, column, f"cannot parse {text!r} as a number") from None
    ok = np.isfinite(amounts) & (amounts >= 0)
    if not ok.all():
        row, text = _first_bad(values, ok)
        raise _fail(path, row, column, f"amounts must be finite and >= 0, got {text!r}")
    return amounts


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_transactions(
    path: str | os.PathLike[str],
    *,
    customer_col: str,
    date_col: str,
    amount_col: str | None = None,
) -> TransactionLog:
    """Read a CSV file of purchases into a :class:`~relmark.TransactionLog`.

    Dates are ISO-8601 (``1997-01-01``, ``1997-01-01T10:30``) or compact
    ``YYYYMMDD``; amounts are non-negative numbers.  Any problem raises a
    :class:`~relmark.ValidationError` naming the file, the line and the column.
    """
    file = Path(path)
    with file.open(newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise ValidationError(f"{file}: the file is empty (expected a header line)")
    header = [name.strip() for name in header]
    wanted = {"--customer-col": customer_col, "--date-col": date_col}
    if amount_col is not None:
        wanted["--amount-col"] = amount_col
    for option, name in wanted.items():
        if name not in header:
            raise ValidationError(
                f"{file}: column {name!r} (from {option}) is not in the header; "
                f"columns: {', '.join(header)}"
            )
    positions = [header.index(name) for name in wanted.values()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an empty body is reported below
            table = np.loadtxt(
                file,
                delimiter=",",
                dtype=str,
                skiprows=1,
                usecols=positions,
                quotechar='"',
                ndmin=2,
            )
    except ValueError as error:
        found = re.search(r"at row (\d+)", str(error))
        if found is None:
            raise ValidationError(f"{file}: cannot read the file as CSV: {error}") from None
        line = int(found.group(1)) + 1  # numpy counts data rows from 1; the header is line 1
        raise ValidationError(f"{file}: line {line}: wrong number of columns") from None
    if table.shape[0] == 0:
        raise ValidationError(f"{file}: no purchases after the header line")
    customers = np.char.strip(table[:, 0])
    empty = np.char.str_len(customers) == 0
    if empty.any():
        raise _fail(file, int(np.argmax(empty)), customer_col, "the customer id is empty")
    dates = _parse_dates(file, date_col, table[:, 1])
    amounts = None if amount_col is None else _parse_amounts(file, amount_col, table[:, 2])
    return TransactionLog.from_arrays(customers, dates, amounts)


def write_columns(path: str | os.PathLike[str], columns: Mapping[str, NDArray[Any]]) -> None:
    """Write equal-length columns as CSV without ever losing what was there.

    - ``"-"`` writes to standard output;
    - a FIFO, a terminal or another device is written into directly, never
      replaced by a regular file;
    - a regular file (or the file a symbolic link points to, keeping the
      link) is replaced atomically: all of it or nothing, with the old
      file's permissions, or the umask's for a new file;
    - text cells a spreadsheet would evaluate as a formula (starting with
      ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are prefixed
      with ``'``.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write, or ``"-"``.
    columns : mapping of str to 1-D array_like
        The header names and their columns, all of one length.

    Raises
    ------
    TypeError
        If ``columns`` is not a mapping.
    ValidationError
        If a column is not one-dimensional or the columns differ in length
        (checked before anything is written).

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.io import write_columns
    >>> write_columns("-", {"id": np.array(["=1+1", "bob"]), "value": np.array([1.5, -2.0])})
    id,value
    '=1+1,1.5
    bob,-2.0
    >>> write_columns("out.csv", {"id": np.array(["a"]), "value": np.array([1.0, 2.0])})
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `columns['id']` and `columns['value']` must have the ...
    """
    arrays = {name: np.asarray(column) for name, column in as_mapping("columns", columns).items()}
    for name, array in arrays.items():
        if array.ndim != 1:
            raise ValidationError(
                f"`columns[{describe(name)}]` must be one-dimensional, got shape {array.shape}"
            )
    check_same_length({f"columns[{describe(name)}]": array for name, array in arrays.items()})
    header = [_safe_cell(name) for name in arrays]
    cells = [
        [_safe_cell(v) for v in array.tolist()] if array.dtype.kind in "OUS" else array.tolist()
        for array in arrays.values()
    ]
    rows = zip(*cells, strict=True)
    if os.fspath(path) == "-":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        sys.stdout.flush()
        return
    target = Path(path).resolve()  # through a symbolic link: replace what it points to
    if target.exists() and not target.is_file():  # a FIFO, a terminal, /dev/null, ...
        with open(target, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        return
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows(rows)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: object) -> object:
    """Prefix text a spreadsheet would evaluate (``=cmd|...``) with ``'``; others unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _umask() -> int:
    """Return the process's umask (reading it means setting it; restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
