"""What every model shares: its parameters, its fit record and its display."""

from __future__ import annotations

import html
from typing import Any

import attrs
import numpy as np

from relmark._validation import FloatArray, as_float_array
from relmark.data.summary import CustomerSummary
from relmark.models._fitting import FitInfo

__all__ = ["Model", "as_horizon"]


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
