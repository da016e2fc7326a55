"""Columnar containers: transaction logs, touchpoint tables and customer summaries."""

from relmark.data.summary import CustomerSummary
from relmark.data.touchpoints import TouchpointTable
from relmark.data.transactions import CalibrationHoldout, TransactionLog

__all__ = ["CalibrationHoldout", "CustomerSummary", "TouchpointTable", "TransactionLog"]
