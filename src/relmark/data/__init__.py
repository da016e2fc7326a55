"""Columnar containers: transaction logs and customer summaries."""

from relmark.data.summary import CustomerSummary
from relmark.data.transactions import CalibrationHoldout, TransactionLog

__all__ = ["CalibrationHoldout", "CustomerSummary", "TransactionLog"]
