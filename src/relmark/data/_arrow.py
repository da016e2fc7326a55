"""The one adapter from in-memory tables (pandas, polars, pyarrow, ...) to Arrow.

Every table a user hands relmark goes through :func:`as_arrow_table`, so no
part of relmark has a code path per frame library, and none is imported:

1. a :class:`pyarrow.Table` or :class:`pyarrow.RecordBatch` as it is;
2. any object speaking the Arrow PyCapsule stream protocol
   (``__arrow_c_stream__``: pandas >= 2.2, polars, DuckDB relations,
   record-batch readers, ...), read through it without a copy where the
   producer allows;
3. an older pandas ``DataFrame`` (no capsule before pandas 2.2) through
   pyarrow's own pandas conversion, ``pyarrow.Table.from_pandas``, which
   is what the capsule of newer pandas calls: either way a named index
   (``set_index("customer")``) becomes a column;
4. any object with the dataframe interchange protocol (``__dataframe__``);
5. a mapping of column names to 1-D arrays or lists (what a user holds
   before any frame library), each column converted by ``pyarrow.array``.

A column (a Series, an Arrow array) or a lazy frame is a ``TypeError`` that
says what to pass instead; values Arrow cannot hold (a column mixing numbers
and text, say) raise :class:`~relmark.ValidationError` naming the column.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.interchange
from numpy.typing import NDArray

from relmark._validation import check_same_length
from relmark.exceptions import ValidationError

__all__ = ["text_array", "as_arrow_table", "table_column"]

_TABLES = (
    "a table (pandas, polars or pyarrow, anything with `__arrow_c_stream__`, or a dict of columns)"
)


def as_arrow_table(frame: object, argument: str = "frame") -> pa.Table:
    """Return ``frame`` as a :class:`pyarrow.Table`, whatever library made it.

    Parameters
    ----------
    frame : table-like
        See the module's list: pyarrow, the PyCapsule stream protocol, older
        pandas, the interchange protocol, or a mapping of columns.
    argument : str, default "frame"
        The caller's name for ``frame``, quoted in errors.

    Returns
    -------
    pyarrow.Table
        Sharing the producer's memory where it allows; never a view that
        writes back into the caller's data (Arrow data is immutable).

    Raises
    ------
    TypeError
        For objects that are not tables (a column, a lazy frame, a list, ...).
    ValidationError
        For columns Arrow cannot hold, or a mapping's columns of different
        lengths or more than one dimension.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data._arrow import as_arrow_table
    >>> as_arrow_table({"who": ["a", "b"], "spent": np.array([1.5, 2.0])}).schema.names
    ['who', 'spent']
    >>> as_arrow_table([1, 2])
    Traceback (most recent call last):
    ...
    TypeError: `frame` must be a table (pandas, polars or pyarrow, ...), got list
    """
    if isinstance(frame, pa.Table):
        return frame
    if isinstance(frame, pa.RecordBatch):
        return pa.Table.from_batches([frame])
    if isinstance(frame, Mapping):
        return _from_columns(frame, argument)
    _refuse_columns(frame, argument)
    try:
        if hasattr(frame, "__arrow_c_stream__"):
            # not ``pa.table(frame)``: it imports pandas to ask whether ``frame`` is one
            return pa.RecordBatchReader.from_stream(frame).read_all()
        pandas = sys.modules.get("pandas")  # a pandas frame implies pandas is imported
        if pandas is not None and isinstance(frame, pandas.DataFrame):
            # as pandas >= 2.2's capsule does: a named or non-range index becomes a column
            return pa.Table.from_pandas(frame)
        if hasattr(frame, "__dataframe__"):
            return pyarrow.interchange.from_dataframe(frame)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise ValidationError(
            f"`{argument}` cannot be converted to an Arrow table: {_one_line(error)}"
        ) from None
    hint = " (call .collect() first)" if hasattr(frame, "collect") else ""
    raise TypeError(f"`{argument}` must be {_TABLES}, got {type(frame).__name__}{hint}")


def _refuse_columns(frame: object, argument: str) -> None:
    """Raise ``TypeError`` for a single column: its capsule is a stream of one array, not rows."""
    if isinstance(frame, (pa.Array, pa.ChunkedArray)) or type(frame).__name__ == "Series":
        raise TypeError(
            f"`{argument}` must be {_TABLES}, got a single column ({type(frame).__name__}): "
            "pass the frame that holds it"
        )


def _from_columns(columns: Mapping[object, object], argument: str) -> pa.Table:
    """Return a mapping of names to 1-D columns as a table, each column converted by pyarrow."""
    arrays: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name, values in columns.items():
        if not isinstance(name, str):
            raise TypeError(f"`{argument}` column names must be strings, got {type(name).__name__}")
        arrays[name] = _column_array(values, f"{argument}[{name!r}]")
    check_same_length({f"{argument}[{name!r}]": array for name, array in arrays.items()})
    return pa.Table.from_arrays(list(arrays.values()), names=list(arrays))  # pandas not imported


def _column_array(values: object, label: str) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"`{label}` must be a 1-D array or list, got {type(values).__name__}")
    # lists go to pyarrow as they are: numpy would silently turn [1, "x"] into ["1", "x"]
    array = np.asarray(values) if type(values).__name__ == "Series" else values
    if isinstance(array, np.ndarray) and array.ndim != 1:
        raise ValidationError(f"`{label}` must be one-dimensional, got shape {array.shape}")
    try:
        converted = pa.array(array)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise ValidationError(f"`{label}` cannot be stored in Arrow: {_one_line(error)}") from None
    if pa.types.is_nested(converted.type):
        raise ValidationError(f"`{label}` must be one-dimensional, got {converted.type} values")
    return converted


def table_column(table: pa.Table, name: str, argument: str) -> pa.ChunkedArray:
    """Return column ``name`` of ``table``; a missing one is named with the columns there are.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from relmark.data._arrow import table_column
    >>> table_column(pa.table({"who": [1]}), "id", "customer_id")
    Traceback (most recent call last):
    ...
    relmark.exceptions.ValidationError: `customer_id` column 'id' is not in the table; ...
    """
    if name not in table.column_names:
        raise ValidationError(
            f"`{argument}` column {name!r} is not in the table; columns are {table.column_names}",
            argument=argument,
        )
    return table.column(name)


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def text_array(values: NDArray[np.str_]) -> pa.LargeStringArray:
    """Return text as an Arrow ``large_string`` array, built from its UTF-8 bytes and offsets.

    Not by ``pyarrow.array``, which asks pandas whether the input is a
    categorical and so imports pandas wherever it is installed.

    numpy pads each entry to the widest with zeros, which no entry of a
    ``str`` array ends with (numpy strips trailing NULs), so each entry's
    bytes are its first ``str_len`` ones.  ASCII text (ids usually are) is
    its own UTF-8: its code points are the bytes, with no per-string
    encoding.
    """
    values = np.ascontiguousarray(values)  # a column sliced from a 2-D array is strided
    lengths = np.char.str_len(values)
    width = values.dtype.itemsize // 4
    points = values.view(np.uint32).reshape(values.size, width)
    if points.size == 0 or int(points.max()) < 128:
        data = points[np.arange(width) < lengths[:, None]].astype(np.uint8)
    else:
        encoded = np.char.encode(values, "utf-8")
        lengths = np.char.str_len(encoded)
        padded = encoded.view(np.uint8).reshape(values.size, encoded.dtype.itemsize)
        data = padded[np.arange(encoded.dtype.itemsize) < lengths[:, None]]
    offsets = np.zeros(values.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    array: pa.LargeStringArray = pa.Array.from_buffers(pa.large_string(), values.size, buffers)
    return array


# pyarrow's own conversions between numpy and Arrow (``pyarrow.array``, ``to_numpy``) ask
# pandas about every array, importing it wherever it is installed (a heavy import of a
# library nobody asked for); relmark's conversions of plain columns go through buffers.


def arrow_of(values: NDArray[Any]) -> pa.Array:
    """Return a one-dimensional numpy column as an Arrow array, without importing pandas.

    Numbers are shared, not copied (both sides read-only); text is encoded by
    :func:`text_array`; booleans are packed; other columns (datetimes,
    objects that are not all strings) take ``pyarrow.array``.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data._arrow import arrow_of
    >>> arrow_of(np.array([1.5, 2.0])).to_pylist(), arrow_of(np.array(["a", "bc"])).to_pylist()
    ([1.5, 2.0], ['a', 'bc'])
    """
    kind = values.dtype.kind
    if kind in "iuf" and values.dtype.isnative:
        contiguous = np.ascontiguousarray(values)
        return pa.Array.from_buffers(
            pa.from_numpy_dtype(values.dtype), values.size, [None, pa.py_buffer(contiguous)]
        )
    if kind == "b":
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), values.size, [None, pa.py_buffer(bits)])
    if kind == "O":
        text = values.astype(str)
        if bool(np.all(text.astype(object) == values)):  # every entry a string already
            values, kind = text, "U"
    if kind == "U":
        return text_array(values)
    return pa.array(values)


def _numpy_dtype(kind: pa.DataType) -> np.dtype[Any] | None:
    """Return the numpy dtype whose items are the values buffer of ``kind``, if there is one."""
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        letter = (
            "f" if pa.types.is_floating(kind) else "i" if pa.types.is_signed_integer(kind) else "u"
        )
        return np.dtype(f"{letter}{kind.bit_width // 8}")
    if pa.types.is_timestamp(kind):  # an aware timestamp's values are UTC already
        return np.dtype(f"datetime64[{kind.unit}]")
    if pa.types.is_duration(kind):
        return np.dtype(f"timedelta64[{kind.unit}]")
    if pa.types.is_date32(kind):
        return np.dtype("datetime64[D]")
    return None


def numpy_of(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    """Return an Arrow array as numpy, without importing pandas.

    Null-free numbers, times and booleans are read from the array's buffers (a
    view for numbers and times); anything else (text, nulls) takes
    ``to_numpy(zero_copy_only=False)``.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data._arrow import arrow_of, numpy_of
    >>> numpy_of(arrow_of(np.array([True, False, True]))[1:]).tolist()
    [False, True]
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count == 0:
        start, stop = values.offset, values.offset + len(values)
        if pa.types.is_boolean(values.type):
            bits = np.frombuffer(values.buffers()[1], dtype=np.uint8)
            unpacked = np.unpackbits(bits, count=stop, bitorder="little")[start:]
            return unpacked.astype(bool)
        dtype = _numpy_dtype(values.type)
        if dtype is not None:
            items: NDArray[Any] = np.frombuffer(values.buffers()[1], dtype=dtype, count=stop)
            return items[start:]
    converted: NDArray[Any] = np.asarray(values.to_numpy(zero_copy_only=False))
    return converted


def numpy_mask(values: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
    """Return a boolean Arrow array as numpy, nulls as False, without importing pandas.

    (``pyarrow.compute.fill_null(values, False)`` would: it makes a pyarrow scalar.)

    Examples
    --------
    >>> import pyarrow as pa
    >>> from relmark.data._arrow import numpy_mask
    >>> numpy_mask(pa.array([True, None, False, True])).tolist()
    [True, False, False, True]
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    start, stop = values.offset, values.offset + len(values)
    validity, data = values.buffers()[:2]
    if data is None:  # an array of nulls only
        return np.zeros(len(values), dtype=bool)
    mask = _bits(data, start, stop)
    if validity is not None and values.null_count:
        mask &= _bits(validity, start, stop)
    return mask


def _bits(buffer: pa.Buffer, start: int, stop: int) -> NDArray[np.bool_]:
    """Return bits ``start:stop`` of an Arrow bitmap (least significant bit first)."""
    packed = np.frombuffer(buffer, dtype=np.uint8)
    bits: NDArray[np.bool_] = np.unpackbits(packed, count=stop, bitorder="little")[start:].astype(
        bool
    )
    return bits
