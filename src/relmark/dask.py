"""Customer summaries, fits and scores on a Dask cluster (optional extra ``dask``).

Nothing here is imported by ``import relmark``; importing this module imports
``dask.dataframe``.  The pipeline mirrors the single-machine one:

- :func:`summarize`: transactions (a Dask DataFrame) to a distributed
  customer summary, with Dask's own group-by;
- :func:`compress`: the distinct summary rows with their counts, reduced on
  the cluster; only this small table comes back, as a local
  :class:`~relmark.CustomerSummary` with weights (the sufficient statistics
  of every model's likelihood);
- :func:`fit`: ``model_cls.fit`` on that compressed summary: local and exact;
- :func:`score`: predictions for every customer with ``map_partitions``, a
  Dask DataFrame that can be written with ``to_parquet``.

The definitions are those of :meth:`relmark.TransactionLog.summarize`:
purchases in the same period are one transaction, ``frequency`` counts the
transactions after the first, ``recency`` and ``T`` are measured from the
first one, and ``monetary_value`` is the mean value of the repeat ones.
"""

from __future__ import annotations

from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd

from relmark._validation import as_model, as_scalar, readonly
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import TransactionLog
from relmark.exceptions import ValidationError
from relmark.models.contracts import PurchaseModel, SpendModel

__all__ = ["compress", "fit", "score", "summarize"]

_SUMMARY_COLUMNS = ("frequency", "recency", "T")


def _template(calendar: bool, unit: str | None) -> TransactionLog:
    """Return an empty log with the right kind of timestamps, to reuse its time rules."""
    if calendar:
        return TransactionLog.from_arrays(np.zeros(0, np.int64), np.zeros(0, "datetime64[us]"))
    return TransactionLog.from_arrays(np.zeros(0, np.int64), np.zeros(0), unit=unit)


def _transactions_partition(
    frame: pd.DataFrame,
    customer_id: str,
    timestamp: str,
    amount: str | None,
    end: Any,
    period: str | float | None,
    unit: str | None,
) -> pd.DataFrame:
    """Validate one partition and give each purchase its period on the log's tick grid."""
    log = TransactionLog.from_arrays(
        frame[customer_id].to_numpy(),
        frame[timestamp].to_numpy(),
        None if amount is None else frame[amount].to_numpy(),
        unit=None if frame[timestamp].dtype.kind == "M" else unit,
    )
    kept = log.timestamp <= end
    ticks, _ = log._period_times(period)
    value = log.amount[kept] if log.amount is not None else np.zeros(int(kept.sum()))
    periods: pd.DataFrame = pd.DataFrame(
        {"customer_id": log.customer_id[kept], "period": ticks[kept], "value": value}
    )
    return periods


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Name the per-customer aggregates and move the customer id into a column."""
    flat = frame.copy()
    flat.columns = ["first", "last", "count", "total"]
    flat.index.name = "customer_id"
    flattened: pd.DataFrame = flat.reset_index()
    return flattened


def _finish_partition(
    frame: pd.DataFrame, tick: float, factor: float, end_time: float, monetary: bool
) -> pd.DataFrame:
    """Turn per-customer first/last period, counts and values into the summary columns."""
    first = frame["first"].to_numpy().astype(np.float64)
    last = frame["last"].to_numpy().astype(np.float64)
    frequency = frame["count"].to_numpy().astype(np.float64) - 1
    T = (end_time - first * tick) * factor
    columns: dict[str, Any] = {
        "frequency": frequency,
        "recency": np.minimum((last - first) * (tick * factor), T),  # as TransactionLog.summarize
        "T": T,
    }
    if monetary:
        repeat_value = frame["total"].to_numpy(np.float64) - frame["value"].to_numpy(np.float64)
        columns["monetary_value"] = np.divide(
            repeat_value, frequency, out=np.zeros_like(repeat_value), where=frequency > 0
        )
    index = pd.Index(frame["customer_id"].to_numpy(), name="customer_id")
    summary: pd.DataFrame = pd.DataFrame(columns, index=index)
    return summary


def summarize(
    ddf: Any,
    *,
    customer_id: str,
    timestamp: str,
    amount: str | None = None,
    observation_end: object,
    unit: str | None = "D",
    period: str | float | None = "D",
) -> Any:
    r"""Build the customer summary of a Dask DataFrame of transactions, on the cluster.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        One row per purchase, in any order and partitioning.
    customer_id, timestamp : str
        Column names of the customer and the purchase time.  Calendar times
        (a datetime column) or plain numbers already in ``unit``.
    amount : str, optional
        Column name of the purchase value (gives ``monetary_value``).
    observation_end : datetime-like or float
        End of observation, inclusive; later purchases are ignored.
    unit : str, default "D"
        Unit of ``recency`` and ``T`` (``"s"``, ``"min"``, ``"h"``, ``"D"``,
        ``"W"``); for numeric timestamps, also their unit.
    period : str or float or None, default "D"
        Merging period, as in :meth:`relmark.TransactionLog.summarize`.

    Returns
    -------
    dask.dataframe.DataFrame
        Indexed by customer id (name: ``customer_id``), columns
        ``frequency``, ``recency``, ``T`` and, with ``amount``,
        ``monetary_value``; one row per customer who bought by
        ``observation_end``, in no particular order.

    Raises
    ------
    ValidationError
        For a missing column or bad ``observation_end``, ``unit`` or
        ``period``; bad values inside partitions raise when computed.
    TypeError
        If ``ddf`` is not a Dask DataFrame.

    Notes
    -----
    Three group-by reductions run on the cluster: purchases to distinct
    (customer, period) transactions with their summed value; transactions
    to each customer's first and last period, count and total value; and,
    after a merge with the first period, the value of the first
    transaction.  Then, with tick :math:`\Delta` (the period length) and
    :math:`f` the factor to ``unit``,

    .. math::

        x = n - 1,\quad t_x = (p_{last} - p_{first})\,\Delta f,\quad
        T = (t_{end} - p_{first}\Delta) f,\quad m = (v_{total} - v_{first}) / x.

    The float operations are those of the single-machine path, so the
    results are equal; ``monetary_value`` is equal up to the rounding of
    sums taken in a different order (bit for bit when the amounts sum
    exactly, e.g. whole currency units).

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> import relmark.dask
    >>> frame = pd.DataFrame({
    ...     "who": [1, 1, 2, 1],
    ...     "when": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-03", "2024-01-08"]),
    ...     "spend": [10.0, 4.0, 8.0, 2.0],
    ... })
    >>> purchases = dd.from_pandas(frame, npartitions=2)
    >>> summary = relmark.dask.summarize(
    ...     purchases, customer_id="who", timestamp="when", amount="spend",
    ...     observation_end="2024-01-15",
    ... )
    >>> with dask.config.set(scheduler="synchronous"):
    ...     print(summary.compute().sort_index())
              frequency  recency     T  monetary_value
    customer_id
    1                1.0      7.0  14.0             6.0
    2                0.0      0.0  12.0             0.0
    """
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"`ddf` must be a dask DataFrame, got {type(ddf).__name__}")
    names = {"customer_id": customer_id, "timestamp": timestamp}
    if amount is not None:
        names["amount"] = amount
    columns = [str(c) for c in ddf.columns]
    for argument, name in names.items():
        if name not in columns:
            raise ValidationError(
                f"`{argument}` column {name!r} is not in the frame; columns are {columns}"
            )
    calendar = ddf[timestamp].dtype.kind == "M"
    template = _template(calendar, unit)
    end = template._instant("observation_end", observation_end, default_last=False)
    _, factor = template._resolve_unit(unit)
    _, tick = template._period_times(period)
    end_time = template._log_time(end)
    id_meta = ddf._meta[customer_id].to_numpy()
    period_dtype = np.int64 if calendar else np.float64
    meta = pd.DataFrame(
        {
            "customer_id": pd.Series(id_meta, dtype=id_meta.dtype),
            "period": pd.Series([], dtype=period_dtype),
            "value": pd.Series([], dtype=np.float64),
        }
    )
    purchases = ddf[list(names.values())].map_partitions(
        _transactions_partition,
        customer_id,
        timestamp,
        amount,
        end,
        period,
        unit,
        meta=meta,
    )
    split = max(int(ddf.npartitions), 1)
    transactions = (
        purchases.groupby(["customer_id", "period"])["value"].sum(split_out=split).reset_index()
    )
    # Plain (not named) aggregations, flattened inside the partitions: renaming the
    # columns with Dask after a split_out group-by trips dask-expr's partition mapping.
    per_customer = transactions.groupby("customer_id").agg(
        {"period": ["min", "max", "count"], "value": "sum"}, split_out=split
    )
    flat_meta = pd.DataFrame(
        {
            "customer_id": meta["customer_id"],
            "first": meta["period"],
            "last": meta["period"],
            "count": pd.Series([], dtype=np.int64),
            "total": meta["value"],
        }
    )
    per_customer = per_customer.map_partitions(_flatten, meta=flat_meta)
    monetary = amount is not None
    if monetary:
        firsts = transactions.merge(
            per_customer[["customer_id", "first"]], on="customer_id", how="inner"
        )
        first_value = (
            firsts[firsts["period"] == firsts["first"]]
            .groupby("customer_id")["value"]
            .sum(split_out=split)
            .reset_index()
        )
        per_customer = per_customer.merge(first_value, on="customer_id", how="left")
    out_meta = pd.DataFrame(
        {name: pd.Series([], dtype=np.float64) for name in _SUMMARY_COLUMNS}
        | ({"monetary_value": pd.Series([], dtype=np.float64)} if monetary else {}),
        index=pd.Index(id_meta, name="customer_id"),
    )
    return per_customer.map_partitions(
        _finish_partition, tick, factor, end_time, monetary, meta=out_meta
    )


def compress(dsummary: Any, *, monetary: bool = False, unit: str | None = None) -> CustomerSummary:
    r"""Reduce a distributed summary to its distinct rows with counts, on the cluster.

    Parameters
    ----------
    dsummary : dask.dataframe.DataFrame
        Columns ``frequency``, ``recency``, ``T`` (and ``monetary_value``
        with ``monetary=True``; an optional ``weights`` column is summed),
        as made by :func:`summarize`.
    monetary : bool, default False
        Also match on ``monetary_value`` (and keep it), as spend models need.
    unit : str, optional
        Time unit to record on the result (the ``unit`` given to :func:`summarize`).

    Returns
    -------
    CustomerSummary
        Local, validated, sorted by (frequency, recency, T[, monetary]) with
        the counts as ``weights``: the same rows as
        ``summary.compress(monetary=...)`` of the single-machine summary.

    Raises
    ------
    ValidationError
        If a needed column is missing or a row breaks the summary's rules.

    Notes
    -----
    Every model's log-likelihood is a sum over customers of a function of
    their row, so :math:`\sum_i \ell(x_i) = \sum_k w_k\,\ell(\tilde x_k)`
    over the distinct rows :math:`\tilde x_k` with counts :math:`w_k`:
    the fit on the compressed table is exact.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> import relmark.dask
    >>> frame = pd.DataFrame(
    ...     {"frequency": [1.0, 0.0, 1.0], "recency": [3.0, 0.0, 3.0], "T": [9.0, 9.0, 9.0]}
    ... )
    >>> with dask.config.set(scheduler="synchronous"):
    ...     small = relmark.dask.compress(dd.from_pandas(frame, npartitions=2))
    >>> small.frequency.tolist(), small.weights.tolist()
    ([0.0, 1.0], [1.0, 2.0])
    """
    keys = [*_SUMMARY_COLUMNS, "monetary_value"] if monetary else list(_SUMMARY_COLUMNS)
    columns = [str(c) for c in dsummary.columns]
    missing = [key for key in keys if key not in columns]
    if missing:
        raise ValidationError(f"the summary lacks column(s) {missing}; columns are {columns}")
    if "weights" in columns:
        counts = dsummary[[*keys, "weights"]].groupby(keys)["weights"].sum()
    else:
        counts = dsummary[keys].groupby(keys).size()
    table = counts.compute().reset_index()
    table.columns = [*keys, "weights"]
    arrays = [table[key].to_numpy(np.float64) for key in keys]
    order = np.lexsort(arrays[::-1])
    picked = [readonly(array[order]) for array in arrays]
    return CustomerSummary.from_arrays(
        frequency=picked[0],
        recency=picked[1],
        T=picked[2],
        monetary_value=picked[3] if monetary else None,
        weights=table["weights"].to_numpy(np.float64)[order],
        unit=unit,
    )


def fit(model_cls: Any, dsummary: Any, *, monetary: bool | None = None, **kwargs: Any) -> Any:
    """Fit ``model_cls`` to a distributed summary: compress on the cluster, fit locally.

    Parameters
    ----------
    model_cls : type
        A relmark model class with a ``fit(summary, **kwargs)`` classmethod.
    dsummary : dask.dataframe.DataFrame
        As made by :func:`summarize`.
    monetary : bool, optional
        Compress on ``monetary_value`` too.  Default: for spend models (those
        with an ``expected_spend`` method) when the column is present.
    **kwargs
        Passed to ``model_cls.fit`` (e.g. ``start``).

    Returns
    -------
    Model
        The fitted model, equal to ``model_cls.fit`` on the single-machine summary.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> import numpy as np
    >>> import pandas as pd
    >>> import relmark
    >>> import relmark.dask
    >>> from relmark.datasets import simulate_transactions
    >>> log = simulate_transactions(2000, rng=1)
    >>> spend = np.ceil(log.amount)  # whole amounts: sums do not depend on their order
    >>> frame = pd.DataFrame({"who": log.customer_id, "when": log.timestamp, "spend": spend})
    >>> with dask.config.set(scheduler="synchronous"):
    ...     summary = relmark.dask.summarize(
    ...         dd.from_pandas(frame, npartitions=4), customer_id="who", timestamp="when",
    ...         amount="spend", observation_end="2025-06-30",
    ...     )
    ...     model = relmark.dask.fit(relmark.GammaGamma, summary)
    >>> log = relmark.TransactionLog.from_arrays(log.customer_id, log.timestamp, spend)
    >>> local = relmark.GammaGamma.fit(log.summarize("2025-06-30").compress(monetary=True))
    >>> bool(abs(model.p / local.p - 1) < 1e-8)
    True
    >>> type(model).__name__
    'GammaGamma'
    """
    if not hasattr(model_cls, "fit"):
        raise TypeError(f"`model_cls` must be a model class with `fit`, got {model_cls!r}")
    if monetary is None:
        monetary = hasattr(model_cls, "expected_spend") and "monetary_value" in [
            str(c) for c in dsummary.columns
        ]
    return model_cls.fit(compress(dsummary, monetary=bool(monetary)), **kwargs)


def _score_partition(
    frame: pd.DataFrame, model: Any, spend_model: Any, horizon: float
) -> pd.DataFrame:
    """Predict for the customers of one partition."""
    summary = CustomerSummary.from_arrays(
        frequency=frame["frequency"].to_numpy(np.float64),
        recency=frame["recency"].to_numpy(np.float64),
        T=frame["T"].to_numpy(np.float64),
        monetary_value=None
        if spend_model is None
        else frame["monetary_value"].to_numpy(np.float64),
    )
    columns: dict[str, Any] = {
        "probability_alive": model.probability_alive(summary),
        "expected_purchases": model.expected_purchases(summary, horizon),
    }
    if spend_model is not None:
        columns["average_spend"] = spend_model.expected_spend(summary)
        columns["expected_spend"] = columns["expected_purchases"] * columns["average_spend"]
    scores: pd.DataFrame = pd.DataFrame(columns, index=frame.index)
    return scores


def score(
    dsummary: Any,
    model: PurchaseModel,
    *,
    spend_model: SpendModel | None = None,
    horizon: float,
) -> dd.DataFrame:
    """Score every customer of a distributed summary with a fitted model.

    Parameters
    ----------
    dsummary : dask.dataframe.DataFrame
        As made by :func:`summarize` (with ``monetary_value`` for ``spend_model``).
    model : Model
        A purchase model with ``probability_alive`` and ``expected_purchases``
        (e.g. :class:`~relmark.models.BetaGeo`).
    spend_model : Model, optional
        A spend model with ``expected_spend`` (e.g. :class:`~relmark.GammaGamma`).
    horizon : float
        Length of the prediction period, in the summary's unit.

    Returns
    -------
    dask.dataframe.DataFrame
        Same index and partitions as ``dsummary``; columns
        ``probability_alive``, ``expected_purchases`` and, with a spend model,
        ``average_spend`` (expected spend per transaction) and
        ``expected_spend`` (their product: the undiscounted value of the next
        ``horizon``).  Write it with ``to_parquet``.

    Raises
    ------
    ValidationError
        If ``horizon`` is negative or a column is missing.

    Notes
    -----
    ``map_partitions`` sends the (small, picklable) models to the workers;
    each partition is predicted with the same vectorised code as on one
    machine, so the scores are equal.

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> import relmark
    >>> import relmark.dask
    >>> frame = pd.DataFrame(
    ...     {"frequency": [0.0, 2.0], "recency": [0.0, 4.0], "T": [8.0, 8.0],
    ...      "monetary_value": [0.0, 30.0]}
    ... )
    >>> spend = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> class Constant:  # any object with the two prediction methods
    ...     def probability_alive(self, summary):
    ...         return summary.frequency * 0 + 1.0
    ...     def expected_purchases(self, summary, t):
    ...         return summary.frequency * 0 + t / 4
    >>> scores = relmark.dask.score(
    ...     dd.from_pandas(frame, npartitions=1), Constant(), spend_model=spend, horizon=8.0
    ... )
    >>> with dask.config.set(scheduler="synchronous"):
    ...     print(scores.compute().round(2))
       probability_alive  expected_purchases  average_spend  expected_spend
    0                1.0                 2.0          35.22           70.44
    1                1.0                 2.0          30.94           61.88
    """
    as_model("model", model, PurchaseModel, uses=["probability_alive", "expected_purchases"])
    if spend_model is not None:
        as_model("spend_model", spend_model, SpendModel)
    horizon = as_scalar("horizon", horizon, low=0.0)
    needed = [*_SUMMARY_COLUMNS, *(["monetary_value"] if spend_model is not None else [])]
    columns = [str(c) for c in dsummary.columns]
    missing = [key for key in needed if key not in columns]
    if missing:
        raise ValidationError(f"the summary lacks column(s) {missing}; columns are {columns}")
    names = ["probability_alive", "expected_purchases"]
    if spend_model is not None:
        names += ["average_spend", "expected_spend"]
    meta = pd.DataFrame(
        {name: pd.Series([], dtype=np.float64) for name in names},
        index=dsummary._meta.index,
    )
    scores: dd.DataFrame = dsummary[needed].map_partitions(
        _score_partition, model, spend_model, float(horizon), meta=meta
    )
    return scores
