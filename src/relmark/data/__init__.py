"""Columnar containers: transaction logs and customer summaries."""

from relmark.data.summary import CustomerSummary

__all__ = ["CustomerSummary"]
