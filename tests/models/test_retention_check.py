"""Tests for the holdout comparison of contract models with Kaplan–Meier (issue 15, point 4)."""

from __future__ import annotations

import numpy as np
import pytest

from relmark import ShiftedBetaGeo, ValidationError, subscriber_lifetime_value
from relmark.models.beta_discrete_weibull import BetaDiscreteWeibull
from relmark.models.kaplan_meier import kaplan_meier, tenures_from_survivors
from relmark.models.retention_check import RetentionComparison, compare_retention

# Fader & Hardie (2007), Table 1 (see tests/models/test_kaplan_meier.py): survivors of two
# cohorts of 1,000 after 0-12 years; the paper calibrates on years 1-7 and projects to 12.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


@pytest.mark.parametrize(
    ("alive", "alpha", "beta"),
    [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)],
    ids=["regular", "high end"],
)
def test_table_1_calibration_on_years_1_to_7(alive: list[int], alpha: float, beta: float) -> None:
    tenure, churned = tenures_from_survivors(alive)
    check = compare_retention(
        tenure,
        churned,
        calibration_periods=7,
        models=[ShiftedBetaGeo],
        value_per_period=100.0,
        discount_rate=0.1,
    )
    sbg = check.model("ShiftedBetaGeo")
    assert isinstance(sbg, ShiftedBetaGeo)
    # Fader & Hardie (2007), section 4: the published estimates of the fit to years 0-7
    assert (round(sbg.alpha, 3), round(sbg.beta, 3)) == (alpha, beta)
    # the censored individual data carry exactly the survivor counts of years 0-7
    same = ShiftedBetaGeo.fit_survival(alive[:8])
    assert sbg.alpha == pytest.approx(same.alpha, rel=1e-6)
    assert check.log_likelihood[0] == pytest.approx(same.survival_log_likelihood(alive[:8]))
    assert check.aic[0] == pytest.approx(4 - 2 * check.log_likelihood[0])
    assert check.bic[0] == pytest.approx(2 * np.log(1000) - 2 * check.log_likelihood[0])
    np.testing.assert_array_equal(check.periods, [8, 9, 10, 11, 12])
    np.testing.assert_allclose(check.km_survival, np.array(alive[8:]) / 1000, rtol=1e-13)
    projected = sbg.survival(np.arange(8, 13))
    np.testing.assert_allclose(check.projected[0], projected)
    error = np.abs(projected - np.array(alive[8:]) / 1000)
    assert check.mean_abs_error[0] == pytest.approx(error.mean())
    assert check.max_abs_error[0] == pytest.approx(error.max())
    # the projection stays inside Kaplan-Meier's 90 % band over years 8-12 (measured: max
    # errors 0.0031 regular, 0.0160 high end, against half-widths of 0.02-0.025)
    assert check.inside_band[0] and check.share_inside[0] == 1.0
    assert np.all(check.km_lower < check.km_survival) and np.all(check.km_survival < check.km_upper)
    # every active subscriber at the end of year 7 has tenure 7: DERL(0.1 | 7) for each
    assert check.active == alive[7]
    assert check.residual_lifetime[0] == pytest.approx(sbg.expected_residual_lifetime(7, 0.1))
    assert check.base_value is not None and check.subscriber_value is not None
    assert check.base_value[0] == pytest.approx(100 * alive[7] * check.residual_lifetime[0])
    assert check.subscriber_value[0] == pytest.approx(
        subscriber_lifetime_value(sbg, margin=100.0, discount_rate=0.1)
    )
    if alive is HIGH_END:
        # jdmaturen/shifted_beta_geometric_py (README): projections 0.460 0.436 0.414 0.395
        # 0.378 and DERL(d = 10 %) of the survivors after 7 years = 7.530; Fader & Hardie
        # (2007), Figure 5: the projection falls slightly below the actual survivors.
        np.testing.assert_allclose(projected, [0.460, 0.436, 0.414, 0.395, 0.378], atol=5e-4)
        assert check.residual_lifetime[0] == pytest.approx(7.530, abs=5e-4)
        assert np.all(check.projected[0] < check.km_survival)


def test_default_models_are_the_sbg_and_the_bdw() -> None:
    tenure, churned = tenures_from_survivors(HIGH_END)
    check = compare_retention(tenure, churned, calibration_periods=7)
    assert check.names == ("ShiftedBetaGeo", "BetaDiscreteWeibull")
    bdw = check.model("BetaDiscreteWeibull")
    assert isinstance(bdw, BetaDiscreteWeibull)
    np.testing.assert_array_equal(check.n_parameters, [2, 3])
    # the sBG is the BdW with c = 1: the BdW fits the calibration at least as well
    assert check.log_likelihood[1] >= check.log_likelihood[0] - 1e-6
    np.testing.assert_allclose(check.projected[1], bdw.survival(np.arange(8, 13)))
    assert check.subscriber_value is None and check.base_value is None
    assert "subscriber_value" not in check.to_dict()
    # no discounting, alpha < 1: the sBG's expected residual lifetime diverges
    assert check.residual_lifetime[0] == np.inf
    free = compare_retention(
        tenure, churned, calibration_periods=7, models=[ShiftedBetaGeo], value_per_period=0.0
    )
    assert free.subscriber_value is not None and free.base_value is not None
    assert free.subscriber_value.tolist() == [0.0] and free.base_value.tolist() == [0.0]
    priced = compare_retention(
        tenure, churned, calibration_periods=7, models=[ShiftedBetaGeo], value_per_period=10.0
    )
    assert priced.base_value is not None and priced.base_value[0] == np.inf


def test_the_sbg_projection_stays_in_the_band_when_the_sbg_is_true() -> None:
    truth = ShiftedBetaGeo(alpha=0.8, beta=2.5)
    tenure, churned = truth.simulate(20_000, 15, rng=0)
    check = compare_retention(tenure, churned, calibration_periods=6, models=[ShiftedBetaGeo])
    sbg = check.model("ShiftedBetaGeo")
    assert isinstance(sbg, ShiftedBetaGeo)
    assert sbg.alpha == pytest.approx(0.8, rel=0.1) and sbg.beta == pytest.approx(2.5, rel=0.1)
    assert check.inside_band[0]
    assert check.max_abs_error[0] < 0.005


def test_band_coverage_over_seeds_when_the_sbg_is_true() -> None:
    # 10 simulated cohorts of 5,000, calibration 6 of 15 periods: the fitted sBG projection
    # lies in the pointwise 90 % band at most holdout periods (measured with 20 cohorts of
    # 20,000: 96 % of the periods; the whole holdout inside for 16 of 20 cohorts), and the
    # true curve at about the nominal rate.
    truth = ShiftedBetaGeo(alpha=0.8, beta=2.5)
    shares, truth_inside = [], []
    for seed in range(10):
        tenure, churned = truth.simulate(5_000, 15, rng=seed)
        check = compare_retention(tenure, churned, calibration_periods=6, models=[ShiftedBetaGeo])
        shares.append(check.share_inside[0])
        s = truth.survival(check.periods)
        truth_inside.append(np.mean((check.km_lower <= s) & (s <= check.km_upper)))
    assert np.mean(shares) >= 0.85
    assert 0.75 <= np.mean(truth_inside) <= 1.0


def test_staggered_censoring_is_censored_again_at_the_calibration() -> None:
    # subscribers of a later cohort are observed for fewer periods: those censored before the
    # calibration end keep their tenure; the rest are cut at 4
    tenure = np.array([1, 2, 3, 3, 5, 6, 6, 2, 8, 8])
    churned = np.array([1, 1, 0, 1, 1, 1, 0, 0, 1, 0], dtype=bool)
    check = compare_retention(tenure, churned, calibration_periods=4, models=[ShiftedBetaGeo])
    expected = ShiftedBetaGeo.fit_individual(np.minimum(tenure, 4), churned & (tenure <= 4))
    sbg = check.model("ShiftedBetaGeo")
    assert isinstance(sbg, ShiftedBetaGeo)
    assert sbg.alpha == pytest.approx(expected.alpha, rel=1e-9)
    # not seen to churn in calibration: the censored tenures 2 and 3, and 5, 6, 6, 8, 8
    assert check.active == 7
    np.testing.assert_array_equal(check.periods, [5, 6, 7, 8])
    full = kaplan_meier(tenure, churned)
    np.testing.assert_allclose(check.km_survival, full.survival_at([5, 6, 7, 8]))


def test_names_tables_and_text() -> None:
    tenure, churned = tenures_from_survivors(REGULAR)
    check = compare_retention(
        tenure,
        churned,
        calibration_periods=7,
        models={"sBG": ShiftedBetaGeo, "BdW": BetaDiscreteWeibull},
        value_per_period=100.0,
        discount_rate=0.1,
        level=0.95,
    )
    assert isinstance(check, RetentionComparison) and len(check) == 2
    assert check.names == ("sBG", "BdW")
    frame = check.to_pandas()
    assert frame.index.tolist() == ["sBG", "BdW"]
    assert frame.loc["sBG", "aic"] == pytest.approx(check.aic[0])
    table = check.projection_table()
    assert list(table) == ["period", "km_survival", "km_lower", "km_upper", "sBG", "BdW"]
    np.testing.assert_allclose(table["sBG"], check.projected[0])
    text = str(check)
    assert "calibration periods 1-7, holdout 8-12" in text and "95% band" in text
    assert text.splitlines()[2].startswith("sBG ") and "yes" in text.splitlines()[2]
    assert "241 subscribers active" in text
    assert repr(check) == "RetentionComparison(sBG, BdW; calibration 7 periods, holdout 5)"
    # 95 % band is wider than the 90 % one
    narrow = compare_retention(tenure, churned, calibration_periods=7, models=[ShiftedBetaGeo])
    assert np.all(check.km_upper - check.km_lower > narrow.km_upper - narrow.km_lower)
    with pytest.raises(ValidationError, match="`name` must be one of 'sBG', 'BdW'"):
        check.model("ShiftedBetaGeo")
    with pytest.raises(ValueError, match="read-only"):
        check.projected[0, 0] = 1.0


class _NotAModel:
    @classmethod
    def fit_individual(cls, tenure: object, churned: object) -> object:
        return object()


TENURE, CHURNED = [1, 2, 3, 5], [True, True, False, True]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"calibration_periods": 5}, ValidationError, "shorter than the longest tenure"),
        ({"calibration_periods": 0}, ValidationError, "`calibration_periods` must be a whole"),
        ({"calibration_periods": 2.5}, ValidationError, "`calibration_periods` must be a whole"),
        ({"calibration_periods": True}, TypeError, "`calibration_periods` must be a whole"),
        ({"models": []}, ValidationError, "`models` is empty"),
        ({"models": ShiftedBetaGeo}, TypeError, "`models` must be a sequence"),
        ({"models": [ShiftedBetaGeo, ShiftedBetaGeo]}, ValidationError, "two models named"),
        ({"models": [ShiftedBetaGeo(alpha=1, beta=1)]}, TypeError, "contract model classes"),
        ({"models": {1: ShiftedBetaGeo}}, TypeError, "names must be non-empty strings"),
        ({"models": [_NotAModel]}, TypeError, r"must be a ContractModel"),
        ({"level": 1.5}, ValidationError, "`level` must be < 1"),
        ({"value_per_period": -1.0}, ValidationError, "`value_per_period` must be >= 0"),
        ({"discount_rate": -0.1}, ValidationError, "`discount_rate` must be >= 0"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object], error: type, match: str) -> None:
    options: dict[str, object] = {"calibration_periods": 2, **kwargs}
    with pytest.raises(error, match=match):
        compare_retention(TENURE, CHURNED, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tenure", "churned", "error", "match"),
    [
        ([], [], ValidationError, "`tenure` is empty"),
        ([1, 2.5], [1, 0], ValidationError, "`tenure` must be whole numbers"),
        ([1, -2], [1, 0], ValidationError, "`tenure` must be >= 0"),
        ([0, 4], [1, 0], ValidationError, "must be >= 1 for subscribers who churned"),
        ([1, 4], [1], ValidationError, "must have the same length"),
        ([1, 4], [1, 3], ValidationError, "`churned` must be True/False"),
        ([3, 4], [False, True], ValidationError, "nobody churned in the 2 calibration periods"),
    ],
)
def test_bad_tenures_are_refused(
    tenure: list[float], churned: list[object], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        compare_retention(tenure, churned, calibration_periods=2)


# ---------------------------------------------------------------------------- the plot


def test_plot_draws_the_step_curve_its_band_and_the_models() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    from relmark.plotting import plot_retention_curves

    tenure, churned = tenures_from_survivors(HIGH_END)
    curve = kaplan_meier(tenure, churned)
    sbg = ShiftedBetaGeo(alpha=0.668, beta=3.806)
    ax = plot_retention_curves(curve, {"sBG (years 1-7)": sbg})
    step, model = ax.get_lines()
    assert step.get_label() == "Kaplan-Meier" and step.get_drawstyle() == "steps-post"
    np.testing.assert_array_equal(step.get_xdata(), np.arange(13))
    np.testing.assert_allclose(step.get_ydata(), np.array(HIGH_END) / 1000)
    assert model.get_label() == "sBG (years 1-7)"
    np.testing.assert_array_equal(model.get_xdata(), np.arange(13))
    np.testing.assert_allclose(model.get_ydata(), sbg.survival(np.arange(13)))
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    vertices = band.get_paths()[0].vertices
    assert vertices[:, 1].min() == pytest.approx(curve.lower.min())
    assert vertices[:, 1].max() == pytest.approx(1.0)
    assert ax.get_ylabel() == "share still subscribed" and "90% band" in ax.get_title()
    plt.close(ax.figure)

    two = kaplan_meier(
        np.r_[tenure, tenures_from_survivors(REGULAR)[0]],
        np.r_[churned, tenures_from_survivors(REGULAR)[1]],
        groups=np.repeat(["high end", "regular"], 1000),
    )
    ax = plot_retention_curves(two)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["Kaplan-Meier: high end", "Kaplan-Meier: regular"]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), np.array(REGULAR) / 1000)
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 2
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="`curve` must be a RetentionCurve"):
        plot_retention_curves(np.array(HIGH_END))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`models\['x'\]` must be a ContractModel"):
        plot_retention_curves(curve, {"x": object()})  # type: ignore[dict-item]
