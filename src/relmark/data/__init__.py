"""Columnar containers, the time axis and the summary kernel they share.

- :class:`TransactionLog`, :class:`TouchpointTable`, :class:`CustomerSummary`,
  :class:`CalibrationHoldout`: the containers; :class:`Covariates`, who each
  customer is, aligned with a summary's rows; :class:`PeriodCovariates`,
  covariates per customer and period.
- :mod:`relmark.data.timeaxis`: how timestamps become times
  (:func:`as_times`, :func:`as_instant`, :func:`as_time_unit`,
  :data:`TIME_UNITS`, :func:`is_timezone_aware`) and the period grid of
  summaries (:class:`PeriodGrid`).
- :mod:`relmark.data.periods`: the one summary kernel
  (:func:`customer_periods`, :class:`CustomerPeriods`,
  :func:`is_purchase_period`, :func:`finish_summary`), used by
  :meth:`TransactionLog.summarize` and :func:`relmark.dask.summarize`.
"""

from relmark.data.covariates import Covariates
from relmark.data.period_covariates import PeriodCovariates
from relmark.data.periods import (
    CustomerPeriods,
    customer_periods,
    finish_summary,
    is_purchase_period,
)
from relmark.data.summary import CustomerSummary
from relmark.data.timeaxis import (
    TIME_UNITS,
    PeriodGrid,
    as_instant,
    as_time_unit,
    as_times,
    is_timezone_aware,
)
from relmark.data.touchpoints import TouchpointTable
from relmark.data.transactions import CalibrationHoldout, TransactionLog

__all__ = [
    "TIME_UNITS",
    "CalibrationHoldout",
    "Covariates",
    "CustomerPeriods",
    "CustomerSummary",
    "PeriodCovariates",
    "PeriodGrid",
    "TouchpointTable",
    "TransactionLog",
    "as_instant",
    "as_time_unit",
    "as_times",
    "customer_periods",
    "finish_summary",
    "is_purchase_period",
    "is_timezone_aware",
]
