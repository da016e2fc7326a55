"""What every model shares: its parameters, its fit record and its display."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike

from relmark._validation import (
    FloatArray,
    as_count,
    as_float_array,
    as_positive,
    check_same_length,
)
from relmark.data.summary import CustomerSummary
from relmark.exceptions import ValidationError
from relmark.models._fitting import FitInfo

__all__ = [
    "Model",
    "aligned_horizon",
    "as_horizon",
    "fit_rows",
    "history",
    "simulation_ages",
]


class Model:
    """Mixin for frozen attrs models whose fields are the parameters plus ``fit_info``.

    Subclasses implement ``customer_log_likelihood(summary)``; this class adds
    ``params``, the weighted ``log_likelihood`` and the plain and HTML
    representations.
    """

    fit_info: FitInfo | None

    @property
    def params(self) -> dict[str, float]:
        """The parameters as a ``{name: value}`` dict, in the model's order."""
        return {
            field.name: float(getattr(self, field.name))
            for field in attrs.fields(type(self))  # type: ignore[arg-type]
            if field.name != "fit_info"
        }

    def customer_log_likelihood(self, summary: CustomerSummary) -> FloatArray:
        """Log-likelihood of each row of ``summary`` (unweighted)."""
        raise NotImplementedError  # pragma: no cover

    def log_likelihood(self, summary: CustomerSummary) -> float:
        """Weighted total log-likelihood of ``summary`` under this model.

        Parameters
        ----------
        summary : CustomerSummary
            Customers; their ``weights`` count as repetitions.

        Returns
        -------
        float
        """
        return float(np.dot(summary.weights, self.customer_log_likelihood(summary)))

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value:.6g}" for name, value in self.params.items())
        fitted = ""
        if self.fit_info is not None:
            fitted = f", log_likelihood={self.fit_info.log_likelihood:.6g}"
        return f"{type(self).__name__}({values}{fitted})"

    def _repr_html_(self) -> str:
        info = self.fit_info
        rows = []
        for name, value in self.params.items():
            stderr = "" if info is None else f"{info.stderr.get(name, float('nan')):.4g}"
            rows.append(
                f"<tr><td>{html.escape(name)}</td><td>{value:.6g}</td><td>{stderr}</td></tr>"
            )
        footer = ""
        if info is not None:
            footer = (
                f"<p>log-likelihood {info.log_likelihood:.6g}; "
                f"{'converged' if info.converged else 'NOT converged'} in {info.iterations} "
                f"iterations; {info.n_customers:,.0f} customers ({info.n_rows:,} distinct rows); "
                f"{info.seconds:.3g} s</p>"
            )
        return (
            f"<div><strong>{html.escape(type(self).__name__)}</strong>"
            "<table><thead><tr><th>parameter</th><th>estimate</th><th>std. error</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{footer}</div>"
        )


def as_horizon(name: str, t: Any) -> tuple[FloatArray, bool]:
    """Return ``t`` checked (non-negative floats, same shape; 1-D for a scalar) and if scalar."""
    scalar = np.ndim(t) == 0
    checked = as_float_array(name, np.ravel(t), nonnegative=True)
    return checked if scalar else checked.reshape(np.shape(t)), scalar


def history(summary: CustomerSummary) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return a summary's (frequency, recency, T), checking it is a summary."""
    if not isinstance(summary, CustomerSummary):
        raise TypeError(f"`summary` must be a CustomerSummary, got {type(summary).__name__}")
    return summary.frequency, summary.recency, summary.T


def aligned_horizon(name: str, t: Any, n_rows: int) -> FloatArray:
    """Return a horizon that is a scalar or one value per row, checked non-negative."""
    horizon, scalar = as_horizon(name, t)
    if not scalar and horizon.size != n_rows:
        raise ValidationError(
            f"`{name}` must be a scalar or one value per customer ({n_rows:,}), "
            f"got {horizon.size:,} values"
        )
    return horizon


def fit_rows(
    model: str,
    summary: CustomerSummary,
    start: Mapping[str, float] | None,
    default: Sequence[float],
    names: Sequence[str],
) -> tuple[CustomerSummary, list[float]]:
    """Return the distinct rows a fit runs on and its checked starting values."""
    history(summary)
    if len(summary) == 0:
        raise ValidationError(f"cannot fit {model} to an empty summary")
    if start is None:
        return summary.compress(), list(default)
    return summary.compress(), [as_positive(f"start[{name!r}]", start[name]) for name in names]


def simulation_ages(n_customers: int, T: ArrayLike) -> tuple[int, FloatArray]:
    """Return the number of customers to draw and each one's observation length (> 0)."""
    count = as_count("n_customers", n_customers)
    ages = as_float_array("T", np.atleast_1d(T), positive=True)
    if ages.size not in (1, count):
        check_same_length({"T": ages, "customers": np.zeros(count)})
    return count, np.broadcast_to(ages, (count,)).astype(np.float64)
