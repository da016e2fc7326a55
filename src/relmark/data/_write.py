"""Writing columns to CSV or Parquet files without ever losing what was there.

The one writer of relmark's tables: :func:`relmark.io.write_columns` (the
command line's output) and the tables' own ``to_csv``/``to_parquet``
(:class:`relmark.TargetList`) call it.  In the data layer so that every layer
above can write; :mod:`relmark.io` re-exports it.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from relmark._validation import (
    as_choice,
    as_flag,
    as_mapping,
    check_same_length,
    describe,
    one_line,
)
from relmark.exceptions import ValidationError

__all__ = ["PARQUET_SUFFIXES", "write_columns"]

#: File name endings (any case) read and written as Parquet; anything else is CSV.
PARQUET_SUFFIXES = (".parquet", ".pq")
_FORMATS = ("csv", "parquet")


def write_columns(
    path: str | os.PathLike[str],
    columns: Mapping[str, NDArray[Any]],
    *,
    file_format: str | None = None,
    overwrite: bool = True,
) -> None:
    """Write equal-length columns as CSV or Parquet without ever losing what was there.

    - the format follows the name unless ``file_format`` says: ``.parquet``
      or ``.pq`` (any case) is Parquet, anything else CSV; ``"-"`` writes CSV
      to standard output;
    - with ``overwrite=False`` an existing file is refused, and a file that
      appears while this one is written is never replaced;
    - a FIFO, a terminal or another device is written into directly, never
      replaced by a regular file;
    - a regular file (or the file a symbolic link points to, keeping the
      link) is replaced atomically: all of it or nothing, with the old
      file's permissions, or the umask's for a new file;
    - in CSV, text cells a spreadsheet would evaluate as a formula (starting
      with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) are
      prefixed with ``'``, and text is quoted; Parquet keeps values as they
      are, typed.

    Parameters
    ----------
    path : str or os.PathLike
        Where to write, or ``"-"``.
    columns : mapping of str to 1-D array_like
        The header names and their columns, all of one length.
    file_format : {"csv", "parquet"}, optional
        The format, whatever the name (default: by the name's extension).
    overwrite : bool, default True
        Replace an existing regular file (atomically); False refuses it.

    Raises
    ------
    TypeError
        If ``columns`` is not a mapping or ``path`` not a path.
    ValidationError
        If a column is not one-dimensional, cannot be stored, or the columns
        differ in length (checked before anything is written).
    FileExistsError
        If ``overwrite`` is False and ``path`` exists.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from relmark.io import write_columns
    >>> write_columns("-", {"id": np.array(["=1+1", "bob"]), "value": np.array([1.5, -2.0])})
    "id","value"
    "'=1+1",1.5
    "bob",-2
    >>> out = Path(tempfile.mkdtemp()) / "scores.parquet"
    >>> write_columns(out, {"id": np.array(["=1+1"]), "value": np.array([1.5])})
    >>> import pyarrow.parquet as pq
    >>> pq.read_table(out).to_pylist()
    [{'id': '=1+1', 'value': 1.5}]
    >>> write_columns(out, {"id": np.array(["a"]), "value": np.array([1.0, 2.0])})
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `columns['id']` and `columns['value']` must have the ...
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`path` must be a str or os.PathLike, got {type(path).__name__}")
    chosen = None if file_format is None else as_choice("file_format", file_format, _FORMATS)
    keep = not as_flag("overwrite", overwrite)
    table = _output_table(columns)
    if os.fspath(path) == "-":
        _write_stdout(_csv_table(table))
        return
    if keep and os.path.lexists(path):
        raise FileExistsError(f"{os.fspath(path)} exists; pass overwrite=True to replace it")
    write: Callable[[BinaryIO], None]
    parquet = (
        Path(path).suffix.lower() in PARQUET_SUFFIXES if chosen is None else chosen == "parquet"
    )
    if parquet:
        write = lambda out: pq.write_table(table, out)  # noqa: E731
    else:
        write = lambda out: _write_csv(_csv_table(table), out)  # noqa: E731
    descriptor = _open_descriptor(path)
    if descriptor is not None:  # /dev/stdout, /dev/fd/3, ...: write where it stands
        with os.fdopen(os.dup(descriptor), "wb") as out:
            write(out)
        return
    target = Path(path).resolve()  # through a symbolic link: replace what it points to
    if target.exists() and not target.is_file():  # a FIFO, a terminal, /dev/null, ...
        with open(target, "wb") as out:
            write(out)
        return
    _replace_atomically(target, write, keep=keep)


_DESCRIPTOR_PATH = re.compile(r"/dev/(stdout|stderr)|/dev/fd/(\d+)|/proc/self/fd/(\d+)")


def _open_descriptor(path: str | os.PathLike[str]) -> int | None:
    """Return the open file descriptor ``path`` names (``/dev/stdout``, ...), or ``None``.

    Such a path is written through the descriptor the process already has,
    never reopened (which truncates a file the shell opened with ``>>``)
    and never resolved and replaced (``/proc/self/fd/1`` links to the file
    the shell chose, or to no file at all for a pipe).
    """
    found = _DESCRIPTOR_PATH.fullmatch(os.path.normpath(os.path.abspath(path)))
    if found is None:
        return None
    stream, *numbers = found.groups()
    descriptor = (
        {"stdout": 1, "stderr": 2}[stream] if stream else int(next(n for n in numbers if n))
    )
    try:
        os.fstat(descriptor)
    except OSError:
        return None  # not open here: the path is then an ordinary (missing) file
    if descriptor == 1:
        sys.stdout.flush()  # what Python buffered goes first
    return descriptor


def _output_table(columns: object) -> pa.Table:
    """Check the columns (all before writing anything) and return them as one table."""
    arrays = {name: np.asarray(column) for name, column in as_mapping("columns", columns).items()}
    for name, array in arrays.items():
        if array.ndim != 1:
            raise ValidationError(
                f"`columns[{describe(name)}]` must be one-dimensional, got shape {array.shape}"
            )
    check_same_length({f"columns[{describe(name)}]": array for name, array in arrays.items()})
    try:
        return pa.Table.from_arrays(
            [pa.array(array) for array in arrays.values()], names=[str(name) for name in arrays]
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise ValidationError(f"`columns` cannot be written: {one_line(error)}") from None


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_PATTERN = "^[=+\\-@\t\r]"


def _csv_table(table: pa.Table) -> pa.Table:
    """Return the table with formula-like text cells and names prefixed by ``'``."""
    names = ["'" + name if name.startswith(_FORMULA_START) else name for name in table.column_names]
    cells = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            risky = pc.match_substring_regex(column, _FORMULA_PATTERN)
            column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        cells.append(column)
    return pa.Table.from_arrays(cells, names=names)


def _write_csv(table: pa.Table, out: BinaryIO) -> None:
    pv.write_csv(table, out, pv.WriteOptions(quoting_style="needed"))


def _write_stdout(table: pa.Table) -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        _write_csv(table, buffer)
        buffer.flush()
        return
    sink = pa.BufferOutputStream()  # a text-only stdout (a doctest's, a notebook's)
    _write_csv(table, sink)
    sys.stdout.write(sink.getvalue().to_pybytes().decode("utf-8"))


def _replace_atomically(
    target: Path, write: Callable[[BinaryIO], None], *, keep: bool = False
) -> None:
    """Write a temporary file beside ``target``, then rename it over ``target``.

    With ``keep``, link it to ``target`` instead: the link fails if a file
    took the name meanwhile, so none is ever replaced.
    """
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())  # the new content is on disk before the old name moves
        os.chmod(temporary, mode)
        if keep:
            os.link(temporary, target)
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _umask() -> int:
    """Return the process's umask (reading it means setting it; restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
