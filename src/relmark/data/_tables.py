"""The one place that turns relmark's named columns into pandas, polars and Arrow tables.

Every per-customer result (:class:`~relmark.CustomerSummary`,
:class:`~relmark.Scores`, :class:`~relmark.RFMScores`) has ``to_dict()``, its
columns as a mapping of name to 1-D array with ``customer_id`` first when it
is known, and ``to_pandas()``, ``to_polars()`` and ``to_arrow()``, which call
the functions here.  Each function imports its library only when called, so
``import relmark`` and everything short of these methods never imports
pandas, polars or pyarrow.

Keys: pandas gets ``customer_id`` as its index (named ``customer_id``), the
natural key of a pandas frame for joins and ``.loc``; polars and Arrow,
which have no index, get it as their first column.  A result without
customer ids keeps pandas' default ``RangeIndex`` (row positions) and has no
``customer_id`` column.  A pandas frame holds copies, so changing it never
changes relmark's read-only arrays; polars and Arrow tables are immutable
and may share those arrays' memory instead of copying it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from numpy.typing import NDArray

from relmark.data._arrow import arrow_of

if TYPE_CHECKING:  # the frame libraries are optional: imported only to type the results
    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = ["KEY", "PerCustomerTable", "arrow_table", "pandas_frame", "polars_frame"]

#: The column every per-customer table is keyed by.
KEY = "customer_id"

Columns = Mapping[str, NDArray[Any]]

# the install hint for each library: pandas is relmark's extra, polars is not
_INSTALL = {
    "pandas": 'the "pandas" extra: pip install "relmark[pandas]"',
    "polars": "pip install polars",
    "pyarrow": "pip install pyarrow",
}


def _library(name: str, owner: str, method: str) -> ModuleType:
    """Import ``name`` for ``owner.method()``; a missing library says how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise ImportError(f"{owner}.{method}() needs {name}, {_INSTALL[name]}") from error


def pandas_frame(columns: Columns, *, owner: str) -> pd.DataFrame:
    """Return ``columns`` as a pandas DataFrame indexed by ``customer_id`` when present.

    Parameters
    ----------
    columns : mapping of str to ndarray
        Equal-length 1-D arrays, as a result's ``to_dict()`` returns them.
    owner : str
        The class whose method this is, for the message when pandas is missing.

    Returns
    -------
    pandas.DataFrame
        A copy of the columns; ``customer_id`` as the index, else a RangeIndex.

    Raises
    ------
    ImportError
        If pandas is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data._tables import pandas_frame
    >>> frame = pandas_frame({"customer_id": np.array(["a", "b"]), "clv": np.array([1.0, 2.0])},
    ...                      owner="Scores")
    >>> frame.loc["b", "clv"], frame.index.name
    (np.float64(2.0), 'customer_id')
    """
    pandas = _library("pandas", owner, "to_pandas")
    data = dict(columns)
    ids = data.pop(KEY, None)
    frame: pd.DataFrame = pandas.DataFrame(data, copy=True)
    if ids is not None:
        frame.index = pandas.Index(ids, name=KEY, copy=True)
    return frame


def polars_frame(columns: Columns, *, owner: str) -> pl.DataFrame:
    """Return ``columns`` as a polars DataFrame, ``customer_id`` first when present.

    Parameters
    ----------
    columns : mapping of str to ndarray
        Equal-length 1-D arrays, as a result's ``to_dict()`` returns them.
    owner : str
        The class whose method this is, for the message when polars is missing.

    Returns
    -------
    polars.DataFrame

    Raises
    ------
    ImportError
        If polars is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data._tables import polars_frame
    >>> polars_frame({"customer_id": np.array([7, 9]), "clv": np.array([1.0, 2.0])},
    ...              owner="Scores").columns
    ['customer_id', 'clv']
    """
    polars = _library("polars", owner, "to_polars")
    frame: pl.DataFrame = polars.DataFrame(dict(columns))
    return frame


def arrow_table(columns: Columns, *, owner: str) -> pa.Table:
    """Return ``columns`` as a pyarrow Table, ``customer_id`` first when present.

    Parameters
    ----------
    columns : mapping of str to ndarray
        Equal-length 1-D arrays, as a result's ``to_dict()`` returns them.
    owner : str
        The class whose method this is, for the message when pyarrow is missing.

    Returns
    -------
    pyarrow.Table

    Raises
    ------
    ImportError
        If pyarrow is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.data._tables import arrow_table
    >>> arrow_table({"customer_id": np.array(["a"]), "clv": np.array([1.0])},
    ...             owner="Scores").column_names
    ['customer_id', 'clv']
    """
    pyarrow = _library("pyarrow", owner, "to_arrow")
    arrays = [arrow_of(values) for values in columns.values()]
    table: pa.Table = pyarrow.Table.from_arrays(arrays, names=list(columns))
    return table


class _Columns(Protocol):
    def to_dict(self) -> dict[str, NDArray[Any]]: ...


class PerCustomerTable:
    """``to_pandas()``, ``to_polars()`` and ``to_arrow()`` for a result with ``to_dict()``.

    The one implementation every per-customer result shares: the class gives
    its columns by ``to_dict()`` (``customer_id`` first when known), these
    methods turn them into tables keyed by customer id.
    """

    __slots__ = ()

    def to_pandas(self: _Columns) -> pd.DataFrame:
        """Return the columns of ``to_dict()`` as a pandas DataFrame indexed by ``customer_id``.

        Without customer ids the index is the row position.  The frame holds
        copies: changing it never changes relmark's read-only arrays.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install "relmark[pandas]"``).

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([1], [2.0], [5.0], customer_id=["ann"])
        >>> s.to_pandas().loc["ann", "T"]
        np.float64(5.0)
        """
        return pandas_frame(self.to_dict(), owner=type(self).__name__)

    def to_polars(self: _Columns) -> pl.DataFrame:
        """Return the columns of ``to_dict()`` as a polars DataFrame, ``customer_id`` first.

        Returns
        -------
        polars.DataFrame

        Raises
        ------
        ImportError
            If polars is not installed.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([1], [2.0], [5.0], customer_id=["ann"])
        >>> s.to_polars().columns
        ['customer_id', 'frequency', 'recency', 'T', 'weights']
        """
        return polars_frame(self.to_dict(), owner=type(self).__name__)

    def to_arrow(self: _Columns) -> pa.Table:
        """Return the columns of ``to_dict()`` as a pyarrow Table, ``customer_id`` first.

        Returns
        -------
        pyarrow.Table

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([1], [2.0], [5.0], customer_id=["ann"])
        >>> s.to_arrow().column_names
        ['customer_id', 'frequency', 'recency', 'T', 'weights']
        """
        return arrow_table(self.to_dict(), owner=type(self).__name__)
