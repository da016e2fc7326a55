"""Customer summaries, fits and scores on a Dask cluster (optional extra ``dask``).

Nothing here is imported by ``import relmark``; importing this module imports
``dask.dataframe``.  The pipeline mirrors the single-machine one:

- :func:`summarize`: transactions (a Dask DataFrame) to a distributed
  customer summary: Dask's own group-bys feeding relmark's one summary
  kernel (:mod:`relmark.data.periods`, :class:`relmark.data.PeriodGrid`);
- :func:`compress`: the distinct summary rows with their counts, reduced on
  the cluster; only this small table comes back, as a local
  :class:`~relmark.CustomerSummary` with weights (the sufficient statistics
  of every model's likelihood);
- :func:`fit`: ``model_cls.fit`` on that compressed summary: local and exact;
- :func:`score`: predictions for every customer with ``map_partitions``, a
  Dask DataFrame that can be written with ``to_parquet``.

The definitions are those of :meth:`relmark.TransactionLog.summarize`, by
construction (the same public kernel, no private reach-ins): purchases in the
same period are one transaction, refunds net within their period,
``frequency`` counts the transactions after the first, ``recency`` and ``T``
are measured from the first one, and ``monetary_value`` is the mean value of
the repeat ones.
"""

from __future__ import annotations

from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd

from relmark._validation import as_choice, readonly
from relmark.data.periods import CustomerPeriods, finish_summary, is_purchase_period
from relmark.data.summary import CustomerSummary
from relmark.data.timeaxis import PeriodGrid, as_instant
from relmark.data.transactions import RETURNS, TransactionLog
from relmark.economics.scores import Scores
from relmark.economics.scores import score as score_customers
from relmark.exceptions import ValidationError
from relmark.models.contracts import PurchaseModel, SpendModel

__all__ = ["compress", "fit", "score", "summarize"]

_SUMMARY_COLUMNS = ("frequency", "recency", "T")


class _Reading:
    """How every partition is read and put on the grid: the options of one ``summarize``."""

    def __init__(
        self,
        names: dict[str, str],
        grid: PeriodGrid,
        end: np.datetime64 | float,
        unit: str | None,
        date_format: str | None,
        returns: str,
    ) -> None:
        self.names, self.grid, self.end = names, grid, end
        self.unit, self.date_format, self.returns = unit, date_format, returns

    def purchases(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Check one partition (the rules of ``TransactionLog.from_frame``) and tick its rows."""
        log = TransactionLog.from_frame(
            frame,
            customer_id=self.names["customer_id"],
            timestamp=self.names["timestamp"],
            amount=self.names.get("amount"),
            unit=None if self.grid.calendar else self.unit,
            date_format=self.date_format,
            returns=self.returns,
        )
        if log.is_calendar != self.grid.calendar:
            kind = "calendar times" if log.is_calendar else "numbers"
            raise ValidationError(
                f"`timestamp` holds {kind} in a partition, unlike the column's type "
                f"({'calendar' if self.grid.calendar else 'numeric'})",
                argument="timestamp",
            )
        kept = np.less_equal(log.timestamp, self.end)
        amount = log.amount[kept] if log.amount is not None else np.zeros(int(kept.sum()))
        rows: pd.DataFrame = pd.DataFrame(
            {
                "customer_id": log.customer_id[kept],
                "period": self.grid.ticks(log.timestamp[kept]),
                "value": amount,
                "refund": amount < 0,
            }
        )
        return rows

    def finish(self, frame: pd.DataFrame, monetary: bool) -> pd.DataFrame:
        """Turn one partition of per-customer aggregates into summary rows (the kernel's end)."""
        periods = CustomerPeriods(
            count=frame["count"].to_numpy(np.float64),
            first=frame["first"].to_numpy(),
            last=frame["last"].to_numpy(),
            total=frame["total"].to_numpy(np.float64) if monetary else None,
            first_value=frame["value"].to_numpy(np.float64) if monetary else None,
        )
        summary = finish_summary(
            frame["customer_id"].to_numpy(), periods, grid=self.grid, observation_end=self.end
        )
        columns: dict[str, Any] = {name: getattr(summary, name) for name in _SUMMARY_COLUMNS}
        if monetary:
            columns["monetary_value"] = summary.monetary_value
        assert summary.customer_id is not None  # finish_summary keeps the ids
        index = pd.Index(summary.customer_id, name="customer_id")
        rows: pd.DataFrame = pd.DataFrame(columns, index=index)
        return rows


def _purchase_periods(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the (customer, period) transactions that count as purchases: the refund rule."""
    counted = is_purchase_period(frame["value"].to_numpy(), frame["refund"].to_numpy())
    kept: pd.DataFrame = frame.loc[counted, ["customer_id", "period", "value"]]
    return kept


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Name the per-customer aggregates and move the customer id into a column."""
    flat = frame.copy()
    flat.columns = ["first", "last", "count", "total"]
    flat.index.name = "customer_id"
    flattened: pd.DataFrame = flat.reset_index()
    return flattened


def _is_calendar(ddf: Any, timestamp: str, date_format: str | None) -> bool:
    """Whether a column holds calendar times: datetimes, dates, text, or numbers with a layout."""
    dtype = ddf._meta[timestamp].dtype
    if dtype.kind in "iuf":
        return date_format is not None
    if dtype.kind in "MOUS" or isinstance(dtype, pd.StringDtype) or "date" in str(dtype):
        return True
    raise TypeError(f"`timestamp` must hold timestamps, got dtype {dtype}")


def summarize(
    ddf: Any,
    *,
    customer_id: str,
    timestamp: str,
    amount: str | None = None,
    observation_end: object,
    unit: str | None = None,
    period: str | float | None = "D",
    date_format: str | None = None,
    returns: str = "error",
) -> Any:
    r"""Build the customer summary of a Dask DataFrame of transactions, on the cluster.

    The same summary as ``TransactionLog.from_frame(frame, ...).summarize(...)``
    with the same options: each partition is read and checked by
    :meth:`relmark.TransactionLog.from_frame`, put on the same
    :class:`relmark.data.PeriodGrid`, grouped on the cluster, and finished by
    the same :func:`relmark.data.finish_summary`.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        One row per purchase (or refund), in any order and partitioning.
    customer_id, timestamp : str
        Column names of the customer and the purchase time: calendar times
        (datetimes, dates, text: strict ISO-8601 or ``date_format``) or plain
        numbers already in ``unit``.
    amount : str, optional
        Column name of the purchase value (gives ``monetary_value``).
    observation_end : datetime-like or float
        End of observation, inclusive; later purchases are ignored.  Text is
        ISO-8601 or, failing that, ``date_format``.
    unit : str, optional
        Unit of ``recency`` and ``T`` (``"s"``, ``"min"``, ``"h"``, ``"D"``,
        ``"W"``, ``"M"``); default ``"D"`` for calendar times.  For numeric
        timestamps, also their unit (declaring them numbers, as in
        :meth:`~relmark.TransactionLog.from_arrays`).
    period : str or float or None, default "D"
        Merging period, as in :meth:`relmark.TransactionLog.summarize`.
    date_format : str, optional
        strftime layout of text (or integer) timestamps.
    returns : {"error", "net", "drop"}, default "error"
        Negative amounts, as in :meth:`~relmark.TransactionLog.from_arrays`.

    Returns
    -------
    dask.dataframe.DataFrame
        Indexed by customer id (name: ``customer_id``), columns
        ``frequency``, ``recency``, ``T`` and, with ``amount``,
        ``monetary_value``; one row per customer with a purchase period by
        ``observation_end``, in no particular order.

    Raises
    ------
    ValidationError
        For a missing column or bad ``observation_end``, ``unit``,
        ``period`` or ``returns``; bad values inside partitions raise when
        computed (each partition is checked on its own: the far-value rule
        of :func:`relmark.data.as_times` within the partition).
    TypeError
        If ``ddf`` is not a Dask DataFrame, or a column holds no timestamps.

    Notes
    -----
    Per partition, each purchase gets its period tick; then three group-by
    reductions run on the cluster: purchases to distinct (customer, period)
    transactions with their net value and whether they hold a refund (then
    :func:`relmark.data.is_purchase_period` drops the cancelled ones);
    transactions to each customer's first and last period, count and total
    value; and, after a merge with the first period, the value of the first
    transaction.  :func:`relmark.data.finish_summary` then gives, with
    period starts :math:`s`, end :math:`e` and unit length :math:`u`,

    .. math::

        x = n - 1,\quad t_x = (s_{last} - s_{first}) / u,\quad
        T = (e - s_{first}) / u,\quad m = (v_{total} - v_{first}) / x.

    Counts and times are equal to the single-machine path's;
    ``monetary_value`` is equal up to the rounding of sums taken in a
    different order (bit for bit when the amounts sum exactly, e.g. whole
    currency units).

    Examples
    --------
    >>> import dask
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> import relmark.dask
    >>> frame = pd.DataFrame({
    ...     "who": [1, 1, 2, 1, 2],
    ...     "when": ["2024-01-01", "2024-01-08", "2024-01-03", "2024-01-08", "2024-01-10"],
    ...     "spend": [10.0, 4.0, 8.0, 2.0, -8.0],
    ... })
    >>> purchases = dd.from_pandas(frame, npartitions=2)
    >>> summary = relmark.dask.summarize(
    ...     purchases, customer_id="who", timestamp="when", amount="spend",
    ...     observation_end="2024-01-15", returns="net",
    ... )
    >>> with dask.config.set(scheduler="synchronous"):
    ...     print(summary.compute().sort_index())
                 frequency  recency     T  monetary_value
    customer_id
    1                  1.0      7.0  14.0             6.0
    2                  0.0      0.0  12.0             0.0
    """
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"`ddf` must be a dask DataFrame, got {type(ddf).__name__}")
    policy = as_choice("returns", returns, RETURNS)
    names = {"customer_id": customer_id, "timestamp": timestamp}
    if amount is not None:
        names["amount"] = amount
    columns = [str(c) for c in ddf.columns]
    for argument, name in names.items():
        if name not in columns:
            raise ValidationError(
                f"`{argument}` column {name!r} is not in the frame; columns are {columns}",
                argument=argument,
            )
    calendar = _is_calendar(ddf, timestamp, date_format)
    grid = PeriodGrid(
        calendar=calendar, period=period, unit=unit, log_unit=None if calendar else unit
    )
    end = as_instant(
        observation_end, name="observation_end", calendar=calendar, date_format=date_format
    )
    reading = _Reading(names, grid, end, unit, date_format, policy)
    subset = ddf[list(names.values())]
    meta = reading.purchases(subset._meta)  # an empty partition, read by the same code
    purchases = subset.map_partitions(reading.purchases, meta=meta)
    split = max(int(ddf.npartitions), 1)
    transactions = (
        purchases.groupby(["customer_id", "period"])
        .agg({"value": "sum", "refund": "max"}, split_out=split)
        .reset_index()
    )
    counted = transactions.map_partitions(
        _purchase_periods, meta=meta[["customer_id", "period", "value"]]
    )
    # Plain (not named) aggregations, flattened inside the partitions: renaming the
    # columns with Dask after a split_out group-by trips dask-expr's partition mapping.
    per_customer = counted.groupby("customer_id").agg(
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
        firsts = counted.merge(
            per_customer[["customer_id", "first"]], on="customer_id", how="inner"
        )
        first_value = (
            firsts[firsts["period"] == firsts["first"]]
            .groupby("customer_id")["value"]
            .sum(split_out=split)
            .reset_index()
        )
        per_customer = per_customer.merge(first_value, on="customer_id", how="left")
    empty = flat_meta.assign(value=meta["value"]) if monetary else flat_meta
    out_meta = reading.finish(empty, monetary)
    return per_customer.map_partitions(reading.finish, monetary, meta=out_meta)


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
    frame: pd.DataFrame, model: Any, spend_model: Any, options: tuple[float, float, float, float]
) -> pd.DataFrame:
    """Score the customers of one partition with :func:`relmark.score`, the one scoring path."""
    summary = CustomerSummary.from_arrays(
        frequency=frame["frequency"].to_numpy(np.float64),
        recency=frame["recency"].to_numpy(np.float64),
        T=frame["T"].to_numpy(np.float64),
        monetary_value=None
        if spend_model is None
        else frame["monetary_value"].to_numpy(np.float64),
    )
    columns = _scores(summary, model, spend_model, options).to_dict()
    scores: pd.DataFrame = pd.DataFrame(columns, index=frame.index)
    return scores


def _scores(
    summary: CustomerSummary,
    model: Any,
    spend_model: Any,
    options: tuple[float, float, float, float],
) -> Scores:
    horizon, discount_rate, margin, step = options
    return score_customers(
        summary,
        model,
        spend_model,
        horizon=horizon,
        discount_rate=discount_rate,
        margin=margin,
        step=step,
    )


def score(
    dsummary: Any,
    purchase_model: PurchaseModel,
    *,
    spend_model: SpendModel | None = None,
    horizon: float,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    step: float = 1.0,
) -> dd.DataFrame:
    """Score every customer of a distributed summary with fitted models, by :func:`relmark.score`.

    Parameters
    ----------
    dsummary : dask.dataframe.DataFrame
        As made by :func:`summarize` (with ``monetary_value`` for ``spend_model``).
    purchase_model : PurchaseModel
        A fitted purchase model with ``probability_alive`` and
        ``expected_purchases`` (e.g. :class:`~relmark.BetaGeo`; fit it with
        :func:`fit`: a class is refused, a partition is no place to fit).
    spend_model : SpendModel, optional
        A fitted spend model with ``expected_spend`` (e.g. :class:`~relmark.GammaGamma`).
    horizon, discount_rate, margin, step : float
        As in :func:`relmark.score`: the horizon of the expected purchases and
        of the CLV, in the summary's unit, and the CLV's options.

    Returns
    -------
    dask.dataframe.DataFrame
        Same index and partitions as ``dsummary``; the columns of
        :meth:`relmark.Scores.to_dict`: ``probability_alive``,
        ``expected_purchases`` and, with a spend model, ``expected_spend``
        (per transaction) and ``clv``.  Write it with ``to_parquet``.

    Raises
    ------
    ValidationError
        If an option is out of range or a column is missing.
    TypeError
        If a model is a class or lacks the methods it needs.

    Notes
    -----
    ``map_partitions`` sends the (small, picklable) models to the workers;
    each partition is scored by :func:`relmark.score`, the function a single
    machine uses, so the scores are the same (to rounding: a model may pick
    its series or quadrature by batch size).

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
    >>> purchases = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> spend = relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)
    >>> scores = relmark.dask.score(
    ...     dd.from_pandas(frame, npartitions=1), purchases, spend_model=spend, horizon=8.0
    ... )
    >>> with dask.config.set(scheduler="synchronous"):
    ...     print(scores.compute().round(2))
       probability_alive  expected_purchases  expected_spend    clv
    0               1.00                0.14           35.22   5.06
    1               0.64                0.81           30.94  25.12
    """
    for name, value in (("purchase_model", purchase_model), ("spend_model", spend_model)):
        if isinstance(value, type):
            raise TypeError(
                f"`{name}` must be a fitted model, got the class {value.__name__}: "
                "fit it first (relmark.dask.fit)"
            )
    options = (horizon, discount_rate, margin, step)
    # checked once here, on an empty summary: the same checks relmark.score makes per partition
    empty = CustomerSummary.from_arrays(
        frequency=[], recency=[], T=[], monetary_value=None if spend_model is None else []
    )
    _scores(empty, purchase_model, spend_model, options)
    needed = [*_SUMMARY_COLUMNS, *(["monetary_value"] if spend_model is not None else [])]
    columns = [str(c) for c in dsummary.columns]
    missing = [key for key in needed if key not in columns]
    if missing:
        raise ValidationError(f"the summary lacks column(s) {missing}; columns are {columns}")
    names = ["probability_alive", "expected_purchases"]
    if spend_model is not None:
        names += ["expected_spend", "clv"]
    meta = pd.DataFrame(
        {name: pd.Series([], dtype=np.float64) for name in names},
        index=dsummary._meta.index,
    )
    scores: dd.DataFrame = dsummary[needed].map_partitions(
        _score_partition, purchase_model, spend_model, options, meta=meta
    )
    return scores
