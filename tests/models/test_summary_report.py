"""Fit reports: model.summary() as text, HTML, pandas and a dict, for every model."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import relmark
from relmark import (
    NBD,
    BetaGeo,
    BetaGeoBetaBinom,
    CustomerSummary,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeo,
    ValidationError,
)
from relmark.datasets import cdnow_sample_summary
from relmark.models import CommonMeanSpend
from relmark.models._report import FitReport

# Fader, Hardie & Shang (2010), section 4: the donations data, (x, t_x, n, count).
DONATIONS = [
    (6, 6, 6, 1203), (5, 6, 6, 728), (4, 6, 6, 512), (3, 6, 6, 357), (2, 6, 6, 234),
    (1, 6, 6, 129), (5, 5, 6, 335), (4, 5, 6, 284), (3, 5, 6, 225), (2, 5, 6, 173),
    (1, 5, 6, 119), (4, 4, 6, 240), (3, 4, 6, 181), (2, 4, 6, 155), (1, 4, 6, 78),
    (3, 3, 6, 322), (2, 3, 6, 255), (1, 3, 6, 129), (2, 2, 6, 613), (1, 2, 6, 277),
    (1, 1, 6, 1091), (0, 0, 6, 3464),
]  # fmt: skip


def donations() -> CustomerSummary:
    x, t_x, n, count = (np.array(column, dtype=float) for column in zip(*DONATIONS, strict=True))
    return CustomerSummary.from_arrays(x, t_x, n, weights=count)


FITS: dict[str, Callable[[], Any]] = {
    "BetaGeo": lambda: BetaGeo.fit(cdnow_sample_summary()),
    "ModifiedBetaGeo": lambda: ModifiedBetaGeo.fit(cdnow_sample_summary()),
    "ParetoNBD": lambda: ParetoNBD.fit(cdnow_sample_summary()),
    "NBD": lambda: NBD.fit(cdnow_sample_summary()),
    "GammaGamma": lambda: GammaGamma.fit(cdnow_sample_summary()),
    "BetaGeoBetaBinom": lambda: BetaGeoBetaBinom.fit(donations()),
    "ShiftedBetaGeo": lambda: ShiftedBetaGeo.fit_survival([1000, 869, 743, 653, 593, 551, 517]),
}


@functools.cache
def fitted(name: str) -> Any:
    """The fit of one model, made once: models are immutable, so tests can share it."""
    return FITS[name]()


@pytest.mark.parametrize("name", list(FITS))
def test_every_fitted_model_reports_the_statisticians_table(name: str) -> None:
    model = fitted(name)
    info = model.fit_info
    report = model.summary(level=0.9)
    assert isinstance(report, FitReport) and report.fitted and report.model == name
    wald = info.intervals(0.9)
    for row, (parameter, value) in zip(report.parameters, model.params.items(), strict=True):
        assert row.name == parameter and row.estimate == value
        assert row.std_error == info.stderr[parameter]
        assert (row.lower, row.upper) == wald[parameter]
        assert row.profile_lower is None and row.profile_upper is None
    lines = report.text.splitlines()
    assert lines[0] == f"{name}: maximum-likelihood fit"
    assert lines[1].split() == ["parameter", "estimate", "std.", "error", "90%", "interval"]
    assert [line.split()[0] for line in lines[2 : 2 + info.n_parameters]] == list(model.params)
    footer = "\n".join(lines[2 + info.n_parameters :])
    assert f"log-likelihood {info.log_likelihood:.2f}" in footer
    assert f"AIC {info.aic:.2f}; BIC {info.bic:.2f}" in footer
    assert f"{info.n_rows:,} distinct rows" in footer and f"{info.iterations} iterations" in footer
    assert info.message in footer
    assert str(report) == report.text
    # FitInfo.table is the same text without the title line
    assert info.table(0.9) == "\n".join(lines[1:])


@pytest.mark.parametrize("name", list(FITS))
def test_the_dict_and_pandas_views_hold_the_same_numbers(name: str) -> None:
    model = fitted(name)
    info = model.fit_info
    report = model.summary()
    as_dict = report.to_dict()
    assert as_dict["model"] == name and as_dict["level"] == 0.95
    assert as_dict["fit"] == {
        "log_likelihood": info.log_likelihood,
        "n_parameters": len(model.params),
        "aic": info.aic,
        "bic": info.bic,
        "n_customers": info.n_customers,
        "n_rows": info.n_rows,
        "iterations": info.iterations,
        "seconds": info.seconds,
        "message": info.message,
    }
    frame = report.to_pandas()
    assert list(frame.index) == list(model.params) and frame.index.name == "parameter"
    assert list(frame.columns) == ["estimate", "std_error", "lower", "upper"]
    for parameter, row in as_dict["parameters"].items():
        assert frame.loc[parameter, "estimate"] == row["estimate"] == model.params[parameter]
        assert frame.loc[parameter, "std_error"] == row["std_error"]
        assert (frame.loc[parameter, "lower"], frame.loc[parameter, "upper"]) == (
            row["lower"],
            row["upper"],
        )


@pytest.mark.parametrize("name", list(FITS))
def test_the_html_shows_the_same_cells_and_is_the_models_own(name: str) -> None:
    model = fitted(name)
    report = model.summary()
    page = report._repr_html_()
    assert model._repr_html_() == page
    assert page.startswith('<div class="relmark-fit-report">') and page.endswith("</div>")
    assert page.count("<tr>") == 1 + len(model.params)
    for row in report.parameters:
        assert f"<td>{row.name}</td><td>{row.estimate:.4g}</td>" in page
    assert f"AIC {model.fit_info.aic:.2f}" in page


def test_a_model_built_by_hand_reports_estimates_only() -> None:
    model = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    report = model.summary()
    assert not report.fitted and report.fit_info is None
    assert report.text.splitlines() == [
        "BetaGeo: parameters as given, not fitted (no fit_info)",
        "parameter  estimate",
        "r             0.243",
        "alpha         4.414",
        "a             0.793",
        "b             2.426",
        "no standard errors, intervals or fit statistics without a fit",
    ]
    assert report.to_dict()["fit"] is None
    assert all(
        row == {"estimate": model.params[name], "std_error": None, "lower": None, "upper": None,
                "profile_lower": None, "profile_upper": None}
        for name, row in report.to_dict()["parameters"].items()
    )  # fmt: skip
    frame = report.to_pandas()
    assert list(frame.columns) == ["estimate"]
    assert frame["estimate"].tolist() == list(model.params.values())
    assert "not fitted" in model._repr_html_()
    closed_form = CommonMeanSpend.fit(cdnow_sample_summary())  # no likelihood maximum
    assert closed_form.summary().text.startswith("CommonMeanSpend: parameters as given")


def test_the_profile_columns_join_the_report() -> None:
    cdnow = cdnow_sample_summary()
    model = NBD.fit(cdnow)
    report = model.summary(profile=cdnow)
    bounds = model.profile_intervals(cdnow)
    assert report.has_profile
    for row in report.parameters:
        assert (row.profile_lower, row.profile_upper) == bounds[row.name]
    assert report.text.splitlines()[1].split()[-2:] == ["95%", "profile"]
    frame = report.to_pandas()
    assert list(frame.columns)[-2:] == ["profile_lower", "profile_upper"]
    assert frame.loc["r", "profile_upper"] == bounds["r"][1]
    assert "95% profile" in report._repr_html_()
    level_90 = model.summary(0.9, profile=cdnow).parameters[0]
    assert level_90.profile_upper is not None and level_90.profile_upper < bounds["r"][1]


def test_an_unbounded_profile_side_is_shown_and_explained() -> None:
    info = NBD.fit(cdnow_sample_summary()).fit_info
    assert info is not None
    report = FitReport.build(
        "NBD", dict(zip(info.names, info.estimates, strict=True)), info,
        profile={"r": (0.3, math.inf), "alpha": (0.0, 20.0)},
    )  # fmt: skip
    lines = report.text.splitlines()
    assert lines[2].endswith("0.3 - inf") and lines[3].endswith("0 - 20")
    assert "profile bound 0 or inf for r, alpha" in report.text


def test_a_profile_of_some_parameters_leaves_the_others_missing() -> None:
    info = NBD.fit(cdnow_sample_summary()).fit_info
    assert info is not None
    params = dict(zip(info.names, info.estimates, strict=True))
    report = FitReport.build("NBD", params, info, profile={"alpha": (10.0, 14.0)})
    frame = report.to_pandas()
    assert math.isnan(frame.loc["r", "profile_lower"]) and frame.loc["alpha", "profile_upper"] == 14
    assert report.text.splitlines()[2].endswith(f"{info.intervals()['r'][1]:.4g}")


def test_names_and_cells_are_escaped_in_html() -> None:
    report = FitReport.build("<Model & Co>", {"a<b": 1.0}, None)
    page = report._repr_html_()
    assert "&lt;Model &amp; Co&gt;" in page and "<td>a&lt;b</td>" in page
    assert "<Model" not in page


def test_levels_print_as_percentages() -> None:
    info = NBD.fit(cdnow_sample_summary()).fit_info
    assert info is not None
    assert "97.5% interval" in info.table(0.975) and "50% interval" in info.table(0.5)


@pytest.mark.parametrize(
    ("level", "error", "message"),
    [
        (1.0, ValidationError, "`level` must be < 1"),
        (0.0, ValidationError, "`level` must be > 0"),
        (math.nan, ValidationError, "`level` must not be NaN"),
        ("95%", TypeError, "`level` must be a real number"),
    ],
)
def test_bad_levels_raise(level: Any, error: type, message: str) -> None:
    fitted = NBD.fit(cdnow_sample_summary())
    with pytest.raises(error, match=message):
        fitted.summary(level)
    with pytest.raises(error, match=message):
        NBD(r=1.0, alpha=1.0).summary(level)
    with pytest.raises(error, match=message):
        ShiftedBetaGeo(alpha=1.0, beta=1.0).summary(level)


def test_to_pandas_without_pandas_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    report = relmark.NBD(r=1.0, alpha=2.0).summary()
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(
        ImportError, match=r"FitReport.to_pandas\(\) needs pandas.*relmark\[pandas\]"
    ):
        report.to_pandas()


def test_the_report_is_immutable() -> None:
    report = NBD(r=1.0, alpha=2.0).summary()
    with pytest.raises(AttributeError, match=r"can't set attribute"):
        report.level = 0.5  # type: ignore[misc]
