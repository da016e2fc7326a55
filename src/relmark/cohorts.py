r"""Models fitted per acquisition cohort, side by side.

- :func:`cohort_fits` splits a transaction log's customers by acquisition
  cohort (the period of their first purchase), fits each purchase model
  class to each cohort's summary and compares them with
  :func:`relmark.compare` (log-likelihood, AIC, BIC and, with a
  calibration end, holdout accuracy): one row per (cohort, model) in a
  :class:`CohortFits`.
- :func:`cohort_survival_fits` fits a contract model (the sBG by default,
  any class with ``fit_survival``, such as the beta-discrete-Weibull) to the
  survivor curve of each cohort of a :class:`~relmark.data.cohorts.CohortTable`:
  a :class:`CohortSurvivalFits`.

A fit that fails is a row that says so (``status`` ``"failed"`` and the
error's message), never dropped and never an exception that loses the other
cohorts' fits.  The tables themselves are built in :mod:`relmark.data.cohorts`,
which imports no model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from relmark._validation import (
    FloatArray,
    IntArray,
    as_count,
    as_instance,
    readonly,
)
from relmark.comparison import Criterion, ModelComparison, compare, named
from relmark.data._tables import PerCustomerTable
from relmark.data.cohorts import CohortTable, cohort_period
from relmark.data.periods import purchase_periods
from relmark.data.summary import CustomerSummary
from relmark.data.timeaxis import PeriodGrid, as_instant
from relmark.data.touchpoints import TouchpointTable
from relmark.data.transactions import CalibrationHoldout, TransactionLog
from relmark.exceptions import ConvergenceError, ValidationError
from relmark.models._base import Model, PurchaseModelBase
from relmark.models.shifted_beta_geo import ShiftedBetaGeo

__all__ = [
    "STATUSES",
    "CohortFits",
    "CohortSurvivalFits",
    "cohort_fits",
    "cohort_survival_fits",
]

#: What a row's ``status`` says: the model was fitted, its fit failed, or the cohort was
#: skipped (too few customers, or too short a curve).
STATUSES = ("fitted", "failed", "skipped")

_HOLDOUT = (
    "holdout_mae",
    "holdout_rmse",
    "expected_total",
    "actual_total",
    "relative_total_error",
    "calibration_error",
)


def _ro(value: NDArray[Any]) -> Any:
    return readonly(np.array(value, copy=True))


def _ro_columns(value: Mapping[str, NDArray[Any]]) -> Mapping[str, NDArray[Any]]:
    return {name: readonly(np.array(column, copy=True)) for name, column in value.items()}


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split())


# ------------------------------------------------------------------------- per-cohort fits


@attrs.frozen(kw_only=True, eq=False, repr=False)
class CohortFits(PerCustomerTable):
    """Purchase models fitted to each acquisition cohort: one row per (cohort, model).

    What :func:`cohort_fits` returns.  ``to_dict()``, ``to_pandas()``,
    ``to_polars()`` and ``to_arrow()`` give the rows as a table.

    Attributes
    ----------
    cohort : ndarray
        Start of the acquisition period (``datetime64[us]``, or float for
        numeric logs), one per row.
    model : ndarray of str
        The model's name.
    n_customers : ndarray of int64
        Customers of the cohort the model was fitted to.
    status : ndarray of str
        ``"fitted"``, ``"failed"`` (the fit raised :class:`~relmark.ConvergenceError`)
        or ``"skipped"`` (fewer than ``min_customers`` customers).
    message : ndarray of str
        Empty for a fitted model; else why not (the error's message).
    n_parameters : ndarray of int64
        The model's number of parameters.
    log_likelihood, aic, bic : ndarray of float
        As :func:`relmark.compare` reports them; NaN where not fitted.
    parameters : mapping of str to ndarray of float
        Each parameter name of any of the models (``r``, ``alpha``, ``a``,
        ``b``, ``s``, ``beta``, ...) to its estimate per row; NaN where the
        row's model has no such parameter or was not fitted.
    holdout : mapping of str to ndarray of float
        With a calibration end: ``holdout_mae``, ``holdout_rmse``,
        ``expected_total``, ``actual_total``, ``relative_total_error`` and
        ``calibration_error`` per row (NaN where not fitted, or where the
        cohort made no holdout purchase); empty without one.
    fitted : tuple
        The fitted model of each row, or None.
    comparisons : mapping
        Each cohort (as in ``cohort``) to the :class:`~relmark.comparison.ModelComparison`
        of its fitted models (cohorts without one are absent).
    unit : str or None
        The summaries' time unit.

    Examples
    --------
    >>> import relmark
    >>> from relmark.cohorts import cohort_fits
    >>> from relmark.datasets import load_cdnow_sample
    >>> fits = cohort_fits(load_cdnow_sample(), [relmark.BetaGeo, relmark.NBD], period="M",
    ...                    calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> fits
    CohortFits(3 cohorts x 2 models, 6 fitted, unit 'W', with holdout)
    >>> fits.n_customers.tolist()
    [781, 781, 857, 857, 719, 719]
    """

    cohort: NDArray[Any] = attrs.field(converter=_ro)
    model: NDArray[Any] = attrs.field(converter=_ro)
    n_customers: IntArray = attrs.field(converter=_ro)
    status: NDArray[Any] = attrs.field(converter=_ro)
    message: NDArray[Any] = attrs.field(converter=_ro)
    n_parameters: IntArray = attrs.field(converter=_ro)
    log_likelihood: FloatArray = attrs.field(converter=_ro)
    aic: FloatArray = attrs.field(converter=_ro)
    bic: FloatArray = attrs.field(converter=_ro)
    parameters: Mapping[str, FloatArray] = attrs.field(converter=_ro_columns)
    holdout: Mapping[str, FloatArray] = attrs.field(converter=_ro_columns)
    fitted: tuple[PurchaseModelBase | None, ...]
    comparisons: Mapping[Any, ModelComparison]
    unit: str | None

    def __len__(self) -> int:
        return int(self.model.size)

    def __repr__(self) -> str:
        cohorts = np.unique(self.cohort).size
        models = np.unique(self.model).size
        fitted = int((self.status == "fitted").sum())
        holdout = ", with holdout" if self.holdout else ""
        return (
            f"CohortFits({cohorts} cohorts x {models} models, {fitted} fitted, "
            f"unit {self.unit!r}{holdout})"
        )

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the rows as columns, name to array.

        Returns
        -------
        dict of str to ndarray
            ``cohort``, ``model``, ``n_customers``, ``status``, ``message``,
            ``n_parameters``, ``log_likelihood``, ``aic``, ``bic``, each
            parameter, then the holdout columns (with a calibration end).

        Examples
        --------
        >>> import relmark
        >>> from relmark.cohorts import cohort_fits
        >>> from relmark.datasets import load_cdnow_sample
        >>> fits = cohort_fits(load_cdnow_sample(), [relmark.NBD], period="Q")
        >>> list(fits.to_dict())[:4], fits.to_pandas()["status"].tolist()
        (['cohort', 'model', 'n_customers', 'status'], ['fitted'])
        """
        return {
            "cohort": self.cohort,
            "model": self.model,
            "n_customers": self.n_customers,
            "status": self.status,
            "message": self.message,
            "n_parameters": self.n_parameters,
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            **self.parameters,
            **self.holdout,
        }

    def best(self, by: Criterion | None = None) -> dict[Any, str]:
        """Return the best model of each cohort, by :meth:`ModelComparison.best`.

        Parameters
        ----------
        by : str, optional
            ``"bic"``, ``"aic"``, ``"holdout_rmse"``, ``"holdout_mae"``,
            ``"calibration_error"``; default ``"holdout_rmse"`` with a
            holdout, else ``"bic"``.

        Returns
        -------
        dict
            Cohort (period start) to the name of its best model, for every
            cohort with a fitted model, in cohort order.

        Raises
        ------
        ValidationError
            For an unknown criterion or a holdout criterion without a holdout.

        Examples
        --------
        >>> import relmark
        >>> from relmark.cohorts import cohort_fits
        >>> from relmark.datasets import load_cdnow_sample
        >>> fits = cohort_fits(load_cdnow_sample(), [relmark.BetaGeo, relmark.NBD], period="Q")
        >>> list(fits.best("bic").values())
        ['BetaGeo']
        """
        return {cohort: comparison.best(by) for cohort, comparison in self.comparisons.items()}


def _as_log(log: object) -> TransactionLog:
    if isinstance(log, TouchpointTable):
        return TransactionLog.from_touchpoints(log)
    return as_instance("log", log, TransactionLog)


def _model_classes(models: object) -> dict[str, type[PurchaseModelBase]]:
    classes = named(models, "models")
    for name, cls in classes.items():
        if not (isinstance(cls, type) and issubclass(cls, PurchaseModelBase)):
            shown = cls.__name__ if isinstance(cls, type) else type(cls).__name__
            raise TypeError(
                f"`models[{name!r}]` must be a purchase model class (BetaGeo, ParetoNBD, NBD, "
                f"...), got {shown}"
            )
    return classes


def _first_purchase_cohorts(
    log: TransactionLog, period: object, end: np.datetime64 | float
) -> tuple[IntArray, Any]:
    """Return each log customer's cohort tick (first counted daily purchase period to ``end``).

    The daily periods are those of :meth:`TransactionLog.summarize` (its default
    ``period="D"``), so a customer's cohort is the period of the first
    transaction their summary counts.  Customers with none get -1.
    """
    axis = cohort_period(log, period)
    grid = PeriodGrid(calendar=log.is_calendar, log_unit=log.unit, period="D")
    kept = np.less_equal(log.timestamp, end)
    amount = None if log.amount is None else log.amount[kept]
    codes = log.customer_code[kept]
    owner, when, _ = purchase_periods(codes, grid.ticks(log.timestamp[kept]), amount)
    new = np.ones(owner.size, dtype=bool)
    new[1:] = owner[1:] != owner[:-1]
    starts = grid.starts(when[new])
    if log.is_calendar:
        first_times: Any = np.rint(starts).astype(np.int64).view("datetime64[us]")
    else:
        first_times = starts
    cohort = np.full(log.customers.size, -1, dtype=np.int64)
    cohort[owner[new]] = axis.ticks(first_times)
    return cohort, axis


def _subset_split(split: CalibrationHoldout, rows: NDArray[np.bool_]) -> CalibrationHoldout:
    return CalibrationHoldout(
        calibration=split.calibration.subset(rows),
        holdout_purchases=readonly(split.holdout_purchases[rows]),
        holdout_value=readonly(split.holdout_value[rows]),
        holdout_length=split.holdout_length,
    )


def _no_holdout_purchase(error: ValidationError) -> bool:
    return "no holdout purchase" in str(error)


def cohort_fits(
    log: TransactionLog | TouchpointTable,
    models: Mapping[str, type[PurchaseModelBase]] | Sequence[type[PurchaseModelBase]],
    *,
    period: str | float = "Q",
    calibration_end: object = None,
    observation_end: object = None,
    unit: str | None = "W",
    min_customers: int = 100,
) -> CohortFits:
    r"""Fit purchase models to each acquisition cohort and compare them side by side.

    Parameters
    ----------
    log : TransactionLog or TouchpointTable
        Purchases (a touchpoint table's rows of kind purchase).
    models : sequence or mapping of purchase model classes
        E.g. ``(BetaGeo, ParetoNBD)``; a sequence is named by class, a
        mapping names them.
    period : str or float, default "Q"
        The cohort period (:func:`relmark.data.cohorts.cohort_period`):
        ``"M"``, ``"Q"``, ``"Y"``, ... or a numeric width.
    calibration_end : datetime-like or float, optional
        With it, each cohort's models are fitted on the calibration period
        (:meth:`~relmark.TransactionLog.split`) and compared on the holdout
        up to ``observation_end``; only cohorts acquired by then take part.
    observation_end : datetime-like or float, optional
        End of observation (default: the last purchase).
    unit : str, default "W"
        Time unit of the summaries (``recency``, ``T``).
    min_customers : int, default 100
        Cohorts with fewer customers are not fitted (rows with status
        ``"skipped"``).

    Returns
    -------
    CohortFits
        One row per (cohort, model), cohorts in order, models in the order given.

    Raises
    ------
    TypeError
        For a ``log`` that is no log, or a model that is not a purchase model class.
    ValidationError
        For no models, a bad period, ends or unit (as
        :meth:`~relmark.TransactionLog.summarize` and ``split`` refuse them).

    Notes
    -----
    A customer's cohort is the period holding the first transaction their
    summary counts (same-day purchases merged, refunds netted).  Each
    (cohort, model) is one maximum-likelihood fit of the cohort's summary
    (:meth:`CustomerSummary.subset` of the whole log's summary, so every
    cohort's times are measured from the same ``observation_end``); the
    cohorts are looped over in Python, each fit vectorised.  Per cohort,
    :math:`AIC = 2k - 2\ell` and :math:`BIC = k \ln n - 2\ell` with
    :math:`n` the cohort's customers (:func:`relmark.compare`); a cohort
    with no holdout purchase is compared without holdout accuracy.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your
    customers" the easy way. *Marketing Science*, 24(2), 275-284.

    Examples
    --------
    >>> import relmark
    >>> from relmark.cohorts import cohort_fits
    >>> from relmark.datasets import load_cdnow_sample
    >>> fits = cohort_fits(load_cdnow_sample(), {"BG/NBD": relmark.BetaGeo}, period="M",
    ...                    calibration_end="1997-09-30", observation_end="1998-06-30")
    >>> fits.parameters["r"].round(3).tolist()
    [0.247, 0.231, 0.251]
    """
    log = _as_log(log)
    classes = _model_classes(models)
    minimum = as_count("min_customers", min_customers, minimum=1)
    split: CalibrationHoldout | None = None
    if calibration_end is not None:
        split = log.split(calibration_end, observation_end, unit=unit)
        summary = split.calibration
        end = as_instant(calibration_end, name="calibration_end", calendar=log.is_calendar)
    else:
        summary = log.summarize(observation_end, unit=unit)
        end = (
            log.timestamp.max()
            if observation_end is None
            else as_instant(observation_end, name="observation_end", calendar=log.is_calendar)
        )
    customer_cohort, axis = _first_purchase_cohorts(log, period, end)
    assert summary.customer_id is not None  # summaries of a log know their customers
    row_cohort = customer_cohort[np.searchsorted(log.customers, summary.customer_id)]
    ticks = np.unique(row_cohort)

    names = list(classes)
    parameter_names = list(
        dict.fromkeys(name for cls in classes.values() for name in cls.parameter_names())
    )
    records: list[dict[str, Any]] = []
    fitted: list[PurchaseModelBase | None] = []
    comparisons: dict[Any, ModelComparison] = {}
    starts = axis.starts(ticks)
    for tick, start in zip(ticks.tolist(), starts, strict=True):  # one pass per cohort
        rows = row_cohort == tick
        n = int(rows.sum())
        key = start if log.is_calendar else float(start)
        base = {"cohort": start, "n_customers": n}
        if n < minimum:
            for name in names:
                records.append(
                    base | {"model": name, "status": "skipped",
                            "message": f"{n} customers, fewer than min_customers={minimum}"}
                )  # fmt: skip
                fitted.append(None)
            continue
        cohort_summary: CustomerSummary = summary.subset(rows)
        models_ok: dict[str, PurchaseModelBase] = {}
        failures: dict[str, str] = {}
        for name, cls in classes.items():
            try:
                models_ok[name] = cls.fit(cohort_summary)
            except ConvergenceError as error:
                failures[name] = _first_line(error)
        comparison = None
        note = ""
        if models_ok:
            if split is not None:
                try:
                    comparison = compare(models_ok, _subset_split(split, rows))
                except ValidationError as error:
                    if not _no_holdout_purchase(error):
                        raise
                    note = "no holdout purchase in this cohort: compared without holdout"
            if comparison is None:
                comparison = compare(models_ok, cohort_summary)
            comparisons[key] = comparison
        for name in names:
            if name in failures:
                records.append(
                    base | {"model": name, "status": "failed", "message": failures[name]}
                )
                fitted.append(None)
                continue
            assert comparison is not None
            row = comparison[name]
            record = base | {
                "model": name, "status": "fitted", "message": note,
                "log_likelihood": row.log_likelihood, "aic": row.aic, "bic": row.bic,
            } | {f"param:{p}": v for p, v in row.model.params.items()}  # fmt: skip
            if row.holdout is not None:
                h = row.holdout
                record |= {
                    "holdout_mae": h.mae, "holdout_rmse": h.rmse,
                    "expected_total": h.expected_total, "actual_total": h.actual_total,
                    "relative_total_error": h.relative_total_error,
                    "calibration_error": h.calibration_error,
                }  # fmt: skip
            records.append(record)
            fitted.append(models_ok[name])

    def floats(field: str) -> FloatArray:
        return np.array([r.get(field, np.nan) for r in records], dtype=np.float64)

    cohorts = np.array([r["cohort"] for r in records])
    if not log.is_calendar:
        cohorts = cohorts.astype(np.float64)
    return CohortFits(
        cohort=cohorts,
        model=np.array([r["model"] for r in records], dtype=str),
        n_customers=np.array([r["n_customers"] for r in records], dtype=np.int64),
        status=np.array([r["status"] for r in records], dtype=str),
        message=np.array([r["message"] for r in records], dtype=str),
        n_parameters=np.array(
            [len(classes[r["model"]].parameter_names()) for r in records], dtype=np.int64
        ),
        log_likelihood=floats("log_likelihood"),
        aic=floats("aic"),
        bic=floats("bic"),
        parameters={p: floats(f"param:{p}") for p in parameter_names},
        holdout={} if split is None else {h: floats(h) for h in _HOLDOUT},
        fitted=tuple(fitted),
        comparisons=comparisons,
        unit=summary.unit,
    )


# ------------------------------------------------------------------------ survivor curves


@attrs.frozen(kw_only=True, eq=False, repr=False)
class CohortSurvivalFits(PerCustomerTable):
    """A contract model fitted to each cohort's survivor curve: one row per (group, cohort).

    What :func:`cohort_survival_fits` returns.  ``to_dict()``,
    ``to_pandas()``, ``to_polars()`` and ``to_arrow()`` give the rows.

    Attributes
    ----------
    group : ndarray or None
        Each row's group (None for a table without groups).
    cohort : ndarray
        The cohort (period start).
    n_customers : ndarray of int64
        The cohort's size, ``survivors`` at age 0.
    periods : ndarray of int64
        Ages fitted: the curve ``survivors[0 .. periods]``.
    status : ndarray of str
        ``"fitted"``, ``"failed"`` (the fit refused the curve or did not
        converge) or ``"skipped"`` (too few customers or ages).
    message : ndarray of str
        Empty when fitted; else why not.
    log_likelihood : ndarray of float
        The fit's maximised log-likelihood (NaN where not fitted).
    parameters : mapping of str to ndarray of float
        The model's parameters per row (NaN where not fitted).
    fitted : tuple
        The fitted model of each row, or None.
    model : str
        The model class's name.

    Examples
    --------
    >>> from relmark.cohorts import cohort_survival_fits
    >>> from relmark.data.cohorts import cohort_table
    >>> from relmark.datasets import load_cdnow_sample
    >>> fits = cohort_survival_fits(cohort_table(load_cdnow_sample(), period="Q"), drop_last=1)
    >>> fits.status.tolist(), fits.periods.tolist()
    (['fitted'], [4])
    """

    group: NDArray[Any] | None
    cohort: NDArray[Any] = attrs.field(converter=_ro)
    n_customers: IntArray = attrs.field(converter=_ro)
    periods: IntArray = attrs.field(converter=_ro)
    status: NDArray[Any] = attrs.field(converter=_ro)
    message: NDArray[Any] = attrs.field(converter=_ro)
    log_likelihood: FloatArray = attrs.field(converter=_ro)
    parameters: Mapping[str, FloatArray] = attrs.field(converter=_ro_columns)
    fitted: tuple[Model | None, ...]
    model: str

    def __len__(self) -> int:
        return int(self.cohort.size)

    def __repr__(self) -> str:
        fitted = int((self.status == "fitted").sum())
        return f"CohortSurvivalFits({self.model}, {len(self)} cohorts, {fitted} fitted)"

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the rows as columns: ``group`` (with groups), ``cohort``, ... the parameters.

        Examples
        --------
        >>> from relmark.cohorts import cohort_survival_fits
        >>> from relmark.data.cohorts import cohort_table
        >>> from relmark.datasets import load_cdnow_sample
        >>> fits = cohort_survival_fits(cohort_table(load_cdnow_sample(), period="Q"))
        >>> list(fits.to_dict())
        ['cohort', 'n_customers', 'periods', 'status', 'message', 'log_likelihood', 'alpha', 'beta']
        """
        columns: dict[str, NDArray[Any]] = {} if self.group is None else {"group": self.group}
        return columns | {
            "cohort": self.cohort,
            "n_customers": self.n_customers,
            "periods": self.periods,
            "status": self.status,
            "message": self.message,
            "log_likelihood": self.log_likelihood,
            **self.parameters,
        }


def _survival_class(model: object) -> type[Model]:
    if not (isinstance(model, type) and issubclass(model, Model)):
        shown = model.__name__ if isinstance(model, type) else type(model).__name__
        raise TypeError(
            f"`model` must be a contract model class with fit_survival (ShiftedBetaGeo, "
            f"BetaDiscreteWeibull), got {shown}"
        )
    if not callable(getattr(model, "fit_survival", None)):
        raise TypeError(f"`model` {model.__name__} has no fit_survival(alive) classmethod")
    return model


def cohort_survival_fits(
    table: CohortTable,
    model: type[Model] = ShiftedBetaGeo,
    *,
    drop_last: int = 0,
    min_customers: int = 1,
) -> CohortSurvivalFits:
    r"""Fit a contract model to the survivor curve of every cohort of a cohort table.

    Parameters
    ----------
    table : CohortTable
        From :func:`relmark.data.cohorts.cohort_table`.
    model : class, default ShiftedBetaGeo
        A contract model class with ``fit_survival(alive)``, e.g.
        :class:`~relmark.ShiftedBetaGeo` or
        ``relmark.models.beta_discrete_weibull.BetaDiscreteWeibull``.
    drop_last : int, default 0
        Observed ages to leave out at the end of each curve: the survivors
        near the table's ``end`` are biased low (see
        :class:`~relmark.data.cohorts.CohortTable`, Notes).
    min_customers : int, default 1
        Cohorts with fewer customers are skipped.

    Returns
    -------
    CohortSurvivalFits
        One row per (group, cohort), in the table's order.

    Raises
    ------
    TypeError
        For a table that is no CohortTable or a model class without ``fit_survival``.
    ValidationError
        For a negative ``drop_last`` or ``min_customers`` below 1.

    Notes
    -----
    Each curve :math:`n_0 \ge n_1 \ge \dots \ge n_K` (``survivors``, with
    :math:`K` the cohort's last observed age less ``drop_last``) is fitted by
    the model's ``fit_survival``; for the sBG it maximises
    :math:`\sum_{t=1}^{K}(n_{t-1}-n_t)\log P(T=t) + n_K \log S(K)`.
    A curve with fewer than two ages is skipped; one the model refuses
    (nobody lost) or cannot fit is a ``"failed"`` row with the message.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90 (eq. 9).

    Examples
    --------
    >>> from relmark.cohorts import cohort_survival_fits
    >>> from relmark.data.cohorts import cohort_table
    >>> from relmark.datasets import load_cdnow_sample
    >>> fits = cohort_survival_fits(cohort_table(load_cdnow_sample(), period="M"), drop_last=3)
    >>> fits.n_customers.tolist(), fits.parameters["alpha"].round(3).tolist()
    ([781, 857, 719], [0.356, 0.309, 0.328])
    """
    as_instance("table", table, CohortTable)
    cls = _survival_class(model)
    dropped = as_count("drop_last", drop_last, minimum=0)
    minimum = as_count("min_customers", min_customers, minimum=1)
    starts = np.flatnonzero(table.age == 0)
    stops = np.append(starts[1:], len(table))
    names = cls.parameter_names()
    rows: list[dict[str, Any]] = []
    fitted: list[Model | None] = []
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):  # one per cohort
        alive = table.survivors[start : max(start, stop - dropped)]
        size = int(table.acquired[start])
        row: dict[str, Any] = {"n_customers": size, "periods": max(alive.size - 1, 0)}
        result: Model | None = None
        if size < minimum:
            message = f"{size} customers, fewer than min_customers={minimum}"
            row |= {"status": "skipped", "message": message}
        elif alive.size < 2:
            message = f"{alive.size} ages left after drop_last={dropped}; a fit needs 2"
            row |= {"status": "skipped", "message": message}
        else:
            try:
                result = getattr(cls, "fit_survival")(alive)  # noqa: B009 - checked above
            except (ValidationError, ConvergenceError) as error:
                row |= {"status": "failed", "message": _first_line(error)}
            else:
                assert result is not None and result.fit_info is not None
                likelihood = result.fit_info.log_likelihood
                row |= {"status": "fitted", "message": "", "log_likelihood": likelihood}
                row |= result.params
        rows.append(row)
        fitted.append(result)

    def floats(field: str) -> FloatArray:
        return np.array([r.get(field, np.nan) for r in rows], dtype=np.float64)

    return CohortSurvivalFits(
        group=None if table.group is None else readonly(np.array(table.group[starts])),
        cohort=table.cohort[starts],
        n_customers=np.array([r["n_customers"] for r in rows], dtype=np.int64),
        periods=np.array([r["periods"] for r in rows], dtype=np.int64),
        status=np.array([r["status"] for r in rows], dtype=str),
        message=np.array([r["message"] for r in rows], dtype=str),
        log_likelihood=floats("log_likelihood"),
        parameters={name: floats(name) for name in names},
        fitted=tuple(fitted),
        model=cls.__name__,
    )
