"""The one adapter from in-memory tables (pandas, polars, pyarrow, ...) to Arrow.

Every table a user hands relmark goes through :func:`as_arrow_table`: any
object speaking the Arrow PyCapsule stream protocol (``__arrow_c_stream__``:
pandas >= 2.2, polars, pyarrow, DuckDB relations, ...) is read through it
without a copy where the producer allows; no frame library is imported.
"""

from __future__ import annotations

import pyarrow as pa

from relmark.exceptions import ValidationError

__all__ = ["as_arrow_table", "table_column"]


def as_arrow_table(frame: object, argument: str = "frame") -> pa.Table:
    """Return ``frame`` as a :class:`pyarrow.Table` through the Arrow PyCapsule interface.

    Raises ``TypeError`` naming ``argument`` for objects that are not tables.
    """
    if isinstance(frame, pa.Table):
        return frame
    if isinstance(frame, pa.RecordBatch):
        return pa.Table.from_batches([frame])
    if hasattr(frame, "__arrow_c_stream__"):
        return pa.table(frame)
    raise TypeError(
        f"`{argument}` must be a table (pandas, polars or pyarrow, or anything with "
        f"`__arrow_c_stream__`), got {type(frame).__name__}"
    )


def table_column(table: pa.Table, name: str, argument: str) -> pa.ChunkedArray:
    """Return column ``name`` of ``table``; a missing one is named with the columns there are."""
    if name not in table.column_names:
        raise ValidationError(
            f"`{argument}` column {name!r} is not in the table; columns are {table.column_names}"
        )
    return table.column(name)
