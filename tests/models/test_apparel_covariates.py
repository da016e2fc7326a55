"""The apparel data with static covariates against CLVTools 0.12.1's published fits.

Reference figures: Meierer, Bachmann, Näf, Schilter & Algesheimer, "Estimating
individual customer lifetime values with R: the CLVTools package"
(arXiv:2602.09845, section 6.4.1, Pareto/NBD with Gender and Channel in both
processes; section 6.2.3, Gamma-Gamma), and the vignette "CLVTools advanced
techniques" of CLVTools 0.12.1 (section 4: Gender constrained to one
coefficient, and its likelihood-ratio test).  CLVTools links the covariates as
relmark does for these models (``alpha_i = alpha exp(-z'g_trans)``,
``beta_i = beta exp(-z'g_life)``), so its coefficients are relmark's
``coefficients`` and its standard errors those of the log-multipliers.  The
data: ``../shared/data/apparel_*.csv`` (see APPAREL.md), the first 104 weeks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import relmark
from relmark.comparison import compare


@pytest.fixture(scope="module")
def apparel(shared_data: Path) -> relmark.CustomerSummary:
    pandas = pytest.importorskip("pandas")
    if not (shared_data / "apparel_transactions.csv").exists():
        pytest.skip(f"the apparel data is not in {shared_data}")
    log = relmark.read_transactions(
        shared_data / "apparel_transactions.csv", customer="Id", timestamp="Date", amount="Price"
    )
    static = pandas.read_csv(shared_data / "apparel_static_covariates.csv")
    return log.summarize("2006-12-31", unit="W").with_covariates(static, id_column="Id")


def log_stderr(model: relmark.ParetoNBD) -> dict[str, float]:
    info = model.fit_info
    assert info is not None
    errors = np.sqrt(np.diag(info.log_covariance))
    return dict(zip(info.names, errors.tolist(), strict=True))


def test_the_summary_is_clvtools_estimation_period(apparel: relmark.CustomerSummary) -> None:
    # paper section 6.1.2: 1,866 transactions in the estimation period, 213 zero-repeaters
    assert len(apparel) == 600
    assert apparel.frequency.sum() + len(apparel) == 1866
    assert int((apparel.frequency == 0).sum()) == 213


def test_pareto_nbd_with_gender_and_channel_is_clvtools_fit(
    apparel: relmark.CustomerSummary,
) -> None:
    model = relmark.ParetoNBD.fit(apparel, covariates=["Gender", "Channel"])
    # estimate, standard error; the two optima agree within 1% of a standard error (beta's
    # likelihood is nearly flat: its estimates differ by 0.2% at the same log-likelihood)
    published = {
        "r": (1.8378, 0.3455),
        "alpha": (92.9123, 16.9670),
        "s": (0.5920, 0.2609),
        "beta": (49.6227, 36.2509),
    }
    for name, (value, error) in published.items():
        assert model.params[name] == pytest.approx(value, abs=0.01 * error)
        assert model.fit_info.stderr[name] == pytest.approx(error, rel=0.01)
    coefficients = {
        "purchase[Gender]": (0.2859, 0.1041),
        "purchase[Channel]": (0.6241, 0.1050),
        "dropout[Gender]": (-0.6430, 0.2955),
        "dropout[Channel]": (0.7907, 0.3059),
    }
    errors = log_stderr(model)
    for name, (value, error) in coefficients.items():
        assert model.coefficients[name] == pytest.approx(value, abs=2e-3)
        assert errors[name] == pytest.approx(error, rel=5e-3)
    assert model.fit_info.log_likelihood == pytest.approx(-5821.0627, abs=1e-3)
    assert model.fit_info.aic == pytest.approx(11658.1254, abs=2e-3)
    assert model.fit_info.bic == pytest.approx(11693.3009, abs=2e-3)


def test_covariates_matter_by_the_likelihood_ratio_test(apparel: relmark.CustomerSummary) -> None:
    plain = relmark.ParetoNBD.fit(apparel)
    assert plain.fit_info.log_likelihood == pytest.approx(-5848.0978, abs=1e-3)
    model = relmark.ParetoNBD.fit(apparel, covariates=["Gender", "Channel"])
    (test,) = compare({"plain": plain, "covariates": model}, apparel).tests
    # 2 (5848.0978 - 5821.0627) = 54.07 on 4 degrees of freedom
    assert (test.small, test.big, test.df) == ("plain", "covariates", 4)
    assert test.statistic == pytest.approx(54.070, abs=2e-3)
    assert test.p_value < 1e-10


def test_gender_shared_by_both_processes_is_clvtools_constrained_fit(
    apparel: relmark.CustomerSummary,
) -> None:
    free = relmark.ParetoNBD.fit(apparel, covariates=["Gender", "Channel"])
    shared = relmark.ParetoNBD.fit(apparel, covariates=["Gender", "Channel"], shared=["Gender"])
    published = {"shared[Gender]": 0.3283, "purchase[Channel]": 0.6384, "dropout[Channel]": 1.0228}
    for name, value in published.items():
        assert shared.coefficients[name] == pytest.approx(value, abs=2e-3)
    assert shared.fit_info.log_likelihood == pytest.approx(-5826.5342, abs=1e-3)
    (test,) = compare({"shared": shared, "free": free}, apparel, nested=[("shared", "free")]).tests
    # the vignette's lrtest: chi-square 10.943 on 1 df, p = 0.0009396
    assert test.statistic == pytest.approx(10.943, abs=2e-3)
    assert test.p_value == pytest.approx(0.0009396, rel=2e-3)


def test_gamma_gamma_without_covariates_is_clvtools_spend_fit(
    apparel: relmark.CustomerSummary,
) -> None:
    model = relmark.GammaGamma.fit(apparel)
    for name, value in {"p": 3.099, "q": 5.654, "gamma": 56.504}.items():
        assert model.params[name] == pytest.approx(value, rel=1e-3)


def test_covariates_forecast_the_holdout_better(shared_data: Path) -> None:
    pandas = pytest.importorskip("pandas")
    if not (shared_data / "apparel_transactions.csv").exists():
        pytest.skip(f"the apparel data is not in {shared_data}")
    log = relmark.read_transactions(
        shared_data / "apparel_transactions.csv", customer="Id", timestamp="Date", amount="Price"
    )
    static = pandas.read_csv(shared_data / "apparel_static_covariates.csv")
    split = log.split("2006-12-31", "2010-12-20", unit="W").with_covariates(static, id_column="Id")
    assert split.calibration.covariates is not None
    plain = relmark.ParetoNBD.fit(split.calibration)
    model = relmark.ParetoNBD.fit(split.calibration, covariates=["Gender", "Channel"])
    comparison = compare({"plain": plain, "covariates": model}, split)
    without, covariates = comparison["plain"].holdout, comparison["covariates"].holdout
    assert without is not None and covariates is not None
    # the 207 weeks after CLVTools' estimation period: each customer's own forecast is closer
    assert covariates.mae < without.mae and covariates.rmse < without.rmse
    assert comparison.best("holdout_rmse") == "covariates"
