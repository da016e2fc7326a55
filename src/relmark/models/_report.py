"""Fit reports: the table a statistician expects of a model, as text, HTML, pandas or a dict.

One path renders every view: :meth:`FitReport._cells` formats the numbers
once, and the text (``FitInfo.table`` too), the HTML of Jupyter and the
models' own ``_repr_html_`` lay out those same cells.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypedDict

import attrs
import numpy as np

from relmark._validation import as_level
from relmark.data._tables import pandas_frame
from relmark.models._fitting import FitInfo

if TYPE_CHECKING:  # pandas is optional: imported only to type the result
    import pandas as pd

__all__ = ["FitReport", "FitReportDict", "FitStatistics", "ParameterEstimate", "ParameterRow"]


class ParameterRow(TypedDict):
    """One parameter of :meth:`FitReport.to_dict`; ``None`` where the report has no value."""

    estimate: float
    std_error: float | None
    lower: float | None
    upper: float | None
    profile_lower: float | None
    profile_upper: float | None


class FitStatistics(TypedDict):
    """The fit's figures in :meth:`FitReport.to_dict`."""

    log_likelihood: float
    n_parameters: int
    aic: float
    bic: float
    n_customers: float
    n_rows: int
    iterations: int
    seconds: float
    message: str


class FitReportDict(TypedDict):
    """:meth:`FitReport.to_dict`: the model, the level, the parameters and the fit."""

    model: str | None
    level: float
    parameters: dict[str, ParameterRow]
    fit: FitStatistics | None


@attrs.frozen(kw_only=True)
class ParameterEstimate:
    """One row of a :class:`FitReport`: a parameter's estimate and, for a fit, its uncertainty.

    Attributes
    ----------
    name : str
        The parameter.
    estimate : float
        Its value in the model.
    std_error : float or None
        Standard error on the natural scale (``None`` without a fit).
    lower, upper : float or None
        Wald interval on the log scale at the report's level.
    profile_lower, profile_upper : float or None
        Profile-likelihood interval, when the report was asked for one;
        ``0.0``/``inf`` where the data set no bound on that side.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> row = relmark.NBD.fit(cdnow_sample_summary()).summary().parameters[0]
    >>> row.name, round(row.estimate, 4), round(row.std_error, 4)
    ('r', 0.3848, 0.021)
    """

    name: str
    estimate: float
    std_error: float | None = None
    lower: float | None = None
    upper: float | None = None
    profile_lower: float | None = None
    profile_upper: float | None = None

    def as_row(self) -> ParameterRow:
        """Return the row as a dict (``None`` where there is no value)."""
        return ParameterRow(
            estimate=self.estimate,
            std_error=self.std_error,
            lower=self.lower,
            upper=self.upper,
            profile_lower=self.profile_lower,
            profile_upper=self.profile_upper,
        )


@attrs.frozen(kw_only=True)
class FitReport:
    r"""A model's parameters with their uncertainty and the fit's figures.

    Returned by every model's ``summary(level)``; print it for a plain-text
    table, show it in Jupyter for HTML, or take ``to_pandas()`` (the
    parameters) and ``to_dict()`` (everything) for programs.

    Attributes
    ----------
    model : str or None
        The model's class name (``None`` for ``FitInfo.table``).
    level : float
        Coverage of the intervals, in (0, 1).
    parameters : tuple of ParameterEstimate
        One row per parameter, in the model's order.
    fit_info : FitInfo or None
        The fit's record; ``None`` for a model built from given parameters,
        whose report holds the estimates only.

    Notes
    -----
    Per parameter: the estimate :math:`\hat\theta`, its standard error
    :math:`\sqrt{\Sigma_{jj}}` (inverse observed information) and the Wald
    interval on the log scale,
    :math:`\hat\theta\exp(\pm z_{(1+level)/2}\,\mathrm{se}(\log\hat\theta))`
    (:meth:`FitInfo.intervals`); optionally the profile-likelihood interval.
    For the fit: the log-likelihood :math:`LL`, :math:`k` parameters,
    :math:`AIC = 2k - 2LL`, :math:`BIC = k\ln n - 2LL` with :math:`n` the
    customers fitted, the distinct rows, iterations, the optimiser's message
    and the seconds it took.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> report = relmark.GammaGamma.fit(cdnow_sample_summary()).summary(level=0.9)
    >>> print(report)
    GammaGamma: maximum-likelihood fit
    parameter  estimate  std. error   90% interval
    p              6.25        1.19  4.569 - 8.548
    q             3.744      0.2901  3.296 - 4.253
    gamma         15.44       4.159  9.916 - 24.05
    log-likelihood -4055.92; 946 customers (946 distinct rows); 3 parameters
    AIC 8117.84; BIC 8132.39 (n = 946 customers)
    optimiser: ...; ... s, ... iterations
    >>> round(report.to_dict()["fit"]["bic"], 2)
    8132.39
    >>> print(relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426).summary())
    BetaGeo: parameters as given, not fitted (no fit_info)
    parameter  estimate
    r             0.243
    alpha         4.414
    a             0.793
    b             2.426
    no standard errors, intervals or fit statistics without a fit
    """

    model: str | None
    level: float
    parameters: tuple[ParameterEstimate, ...]
    fit_info: FitInfo | None

    @classmethod
    def build(
        cls,
        model: str | None,
        params: Mapping[str, float],
        fit_info: FitInfo | None,
        *,
        level: float = 0.95,
        profile: Mapping[str, tuple[float, float]] | None = None,
    ) -> FitReport:
        """Return the report of a model's parameters and its fit record.

        Parameters
        ----------
        model : str or None
            The model's name for the title (``None``: no title line).
        params : mapping of str to float
            The model's parameters, in its order.
        fit_info : FitInfo or None
            The fit; ``None`` gives the estimates only.
        level : float
            Coverage of the intervals, in (0, 1).
        profile : mapping of str to (float, float), optional
            Profile-likelihood intervals at ``level`` (from
            ``profile_intervals``) for some or all of the parameters.

        Returns
        -------
        FitReport

        Raises
        ------
        ValidationError
            If ``level`` is not in (0, 1).

        Examples
        --------
        >>> from relmark.models._report import FitReport
        >>> FitReport.build("Toy", {"r": 0.5}, None).parameters[0].estimate
        0.5
        """
        coverage = as_level(level)
        profiled = dict(profile or {})
        bounds = fit_info.intervals(coverage) if fit_info is not None else {}
        stderr = fit_info.stderr if fit_info is not None else {}
        rows = []
        for name, value in params.items():
            wald = bounds.get(name, (None, None))
            low, high = profiled.get(name, (None, None))
            rows.append(
                ParameterEstimate(
                    name=name,
                    estimate=float(value),
                    std_error=stderr.get(name),
                    lower=wald[0],
                    upper=wald[1],
                    profile_lower=None if low is None else float(low),
                    profile_upper=None if high is None else float(high),
                )
            )
        return cls(model=model, level=coverage, parameters=tuple(rows), fit_info=fit_info)

    @property
    def fitted(self) -> bool:
        """Whether the report describes a maximum-likelihood fit (``fit_info`` is set)."""
        return self.fit_info is not None

    @property
    def has_profile(self) -> bool:
        """Whether any parameter carries a profile-likelihood interval."""
        return any(row.profile_lower is not None for row in self.parameters)

    # --------------------------------------------------------------- the cells
    def _cells(self) -> tuple[str, list[str], list[list[str]], list[str]]:
        """Return the title, the header, the formatted rows and the footer lines."""
        percent = f"{self.level * 100:g}%"
        header = ["parameter", "estimate"]
        if self.fitted:
            header += ["std. error", f"{percent} interval"]
        if self.has_profile:
            header.append(f"{percent} profile")
        rows = []
        for row in self.parameters:
            cells = [row.name, _number(row.estimate)]
            if self.fitted:
                cells += [_optional(row.std_error), _interval(row.lower, row.upper)]
            if self.has_profile:
                cells.append(_interval(row.profile_lower, row.profile_upper))
            rows.append(cells)
        return self._title(), header, rows, self._footer()

    def _title(self) -> str:
        if self.model is None:
            return ""
        if self.fitted:
            return f"{self.model}: maximum-likelihood fit"
        return f"{self.model}: parameters as given, not fitted (no fit_info)"

    def _footer(self) -> list[str]:
        info = self.fit_info
        effects = [row.name for row in self.parameters if row.name.endswith("]")]
        note = (
            ["name[covariate]: the multiplier exp(coefficient) of one unit of the covariate"]
            if effects
            else []
        )
        if info is None:
            return ["no standard errors, intervals or fit statistics without a fit", *note]
        lines = [
            *note,
            f"log-likelihood {info.log_likelihood:.2f}; {info.n_customers:,.0f} customers "
            f"({info.n_rows:,} distinct rows); {info.n_parameters} parameters",
            f"AIC {info.aic:.2f}; BIC {info.bic:.2f} (n = {info.n_customers:,.0f} customers)",
        ]
        unbounded = [
            row.name
            for row in self.parameters
            if row.profile_lower == 0.0 or row.profile_upper == math.inf
        ]
        if unbounded:
            lines.append(
                f"profile bound 0 or inf for {', '.join(unbounded)}: the deviance stays below "
                "the chi-square threshold out to exp(-30) or exp(30)"
            )
        lines.append(
            f"optimiser: {info.message}; {info.seconds:.3g} s, {info.iterations} iterations"
        )
        return lines

    # ------------------------------------------------------------------- views
    @property
    def text(self) -> str:
        """The report as plain text: title, aligned table, fit figures."""
        title, header, rows, footer = self._cells()
        widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]

        def layout(cells: list[str]) -> str:
            first = cells[0].ljust(widths[0])
            rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
            return "  ".join([first, *rest]).rstrip()  # an empty last cell leaves no spaces

        lines = ([title] if title else []) + [layout(header)] + [layout(r) for r in rows]
        return "\n".join(lines + footer)

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        title, header, rows, footer = self._cells()
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in rows
        )
        caption = f"<strong>{html.escape(title)}</strong>" if title else ""
        notes = "".join(f"<p>{html.escape(line)}</p>" for line in footer)
        return (
            f'<div class="relmark-fit-report">{caption}<table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>{notes}</div>"
        )

    def to_dict(self) -> FitReportDict:
        """Return everything in the report as plain Python values.

        Returns
        -------
        dict
            ``model``, ``level``, ``parameters`` (name to a dict of
            ``estimate``, ``std_error``, ``lower``, ``upper``,
            ``profile_lower``, ``profile_upper``; ``None`` where absent) and
            ``fit`` (``log_likelihood``, ``n_parameters``, ``aic``, ``bic``,
            ``n_customers``, ``n_rows``, ``iterations``, ``seconds``,
            ``message``; ``None`` without a fit).

        Examples
        --------
        >>> import relmark
        >>> report = relmark.NBD(r=0.5, alpha=10.0).summary()
        >>> report.to_dict()["parameters"]["r"]["std_error"], report.to_dict()["fit"]
        (None, None)
        """
        info = self.fit_info
        fit = None
        if info is not None:
            fit = FitStatistics(
                log_likelihood=info.log_likelihood,
                n_parameters=info.n_parameters,
                aic=info.aic,
                bic=info.bic,
                n_customers=info.n_customers,
                n_rows=info.n_rows,
                iterations=info.iterations,
                seconds=info.seconds,
                message=info.message,
            )
        return FitReportDict(
            model=self.model,
            level=self.level,
            parameters={row.name: row.as_row() for row in self.parameters},
            fit=fit,
        )

    def to_pandas(self) -> pd.DataFrame:
        """Return the parameters table as a pandas DataFrame indexed by parameter.

        Columns ``estimate``, and for a fit ``std_error``, ``lower`` and
        ``upper`` (the Wald interval), and ``profile_lower`` and
        ``profile_upper`` when the report has profile intervals (NaN for a
        parameter the profile left out); a model without a fit gives the
        ``estimate`` column only.

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
        >>> from relmark.datasets import cdnow_sample_summary
        >>> frame = relmark.BetaGeo.fit(cdnow_sample_summary()).summary().to_pandas()
        >>> list(frame.columns), round(float(frame.loc["r", "upper"]), 4)
        (['estimate', 'std_error', 'lower', 'upper'], 0.2685)
        """
        names = ["estimate"]
        if self.fitted:
            names += ["std_error", "lower", "upper"]
        if self.has_profile:
            names += ["profile_lower", "profile_upper"]
        columns = {
            name: np.array([_value(getattr(row, name)) for row in self.parameters])
            for name in names
        }
        parameter = np.array([row.name for row in self.parameters], dtype=object)
        frame = pandas_frame({"parameter": parameter, **columns}, owner="FitReport")
        indexed: pd.DataFrame = frame.set_index("parameter")
        return indexed


def _value(value: float | None) -> float:
    """Return a cell of a column the report has for every parameter of a fit, as a float."""
    # A fitted report's Wald and profile columns are complete; None would only come from
    # a parameter a profile left out, shown as missing (NaN) like pandas shows any gap.
    return math.nan if value is None else value


def _number(value: float) -> str:
    return f"{value:.4g}"


def _optional(value: float | None) -> str:
    return "" if value is None else _number(value)


def _interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    return f"{_number(low)} - {_number(high)}"
