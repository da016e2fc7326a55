"""Plots: each is checked on what it drew (line data, bar heights, heat-map cells, labels,
titles, legends) against numbers computed here, from the model's formulas or from the data."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln, hyp2f1

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402

import relmark  # noqa: E402
from relmark import CustomerSummary, TransactionLog, ValidationError, plotting  # noqa: E402
from relmark.datasets import cdnow_sample_summary, load_cdnow_sample  # noqa: E402
from tests.strategies import amounts, survivor_counts  # noqa: E402

# Fader, Hardie & Lee (2005), CDNOW estimates (weeks); Fader & Hardie (2007), high-end cohort.
BG = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
SBG = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)
# Fader & Hardie (2007), Table 1, regular cohort, years 0-7.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


# -- independent formulas -------------------------------------------------------------------


def bg_alive(x: Any, t_x: Any, T: Any) -> np.ndarray:
    """BG/NBD P(alive | x, t_x, T), Fader, Hardie & Lee (2005), eq. 11 (closed form)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = BG.r, BG.alpha, BG.a, BG.b
    odds = a / (b + np.maximum(x, 1.0) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    return 1.0 / (1.0 + np.where(x > 0, odds, 0.0))


def bg_expected(x: Any, t_x: Any, T: Any, t: float) -> np.ndarray:
    """BG/NBD E[Y(t) | x, t_x, T], Fader, Hardie & Lee (2005), eq. 10 (closed form)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    r, alpha, a, b = BG.r, BG.alpha, BG.a, BG.b
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    return (a + b + x - 1) / (a - 1) * bracket * bg_alive(x, t_x, T)


def bg_expected_new(t: Any) -> np.ndarray:
    """BG/NBD E[X(t)] of a new customer, Fader, Hardie & Lee (2005), eq. 9."""
    t = np.asarray(t, dtype=float)
    r, alpha, a, b = BG.r, BG.alpha, BG.a, BG.b
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


def sbg_survival(t: np.ndarray, alpha: float = SBG.alpha, beta: float = SBG.beta) -> np.ndarray:
    """sBG S(t) = B(alpha, beta + t) / B(alpha, beta), Fader & Hardie (2007), eq. 4."""
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


def sbg_retention(t: np.ndarray, alpha: float = SBG.alpha, beta: float = SBG.beta) -> np.ndarray:
    """sBG r(t) = (beta + t - 1) / (alpha + beta + t - 1), Fader & Hardie (2007), eq. 6."""
    return (beta + t - 1) / (alpha + beta + t - 1)


def test_the_formulas_here_reproduce_published_and_hand_values() -> None:
    # Fader, Hardie & Lee (2005), section 5: x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226
    # purchases expected in the next 39 weeks.
    assert bg_expected(2, 30.43, 38.86, 39.0) == pytest.approx(1.226, abs=5e-4)
    assert bg_alive(0, 0.0, 39.0) == 1.0
    # E[X(t)] is the mean of P(X(t) = n) (eq. 8, through the model's pmf)
    n = np.arange(3000)
    assert bg_expected_new(39.0) == pytest.approx(
        float(n @ BG.probability_of_purchases(n, 39.0)), rel=1e-9
    )
    # sBG with alpha = beta = 1 (uniform churn probabilities): S(t) = 1 / (t + 1),
    # r(t) = t / (t + 1)
    t = np.arange(1.0, 6.0)
    assert sbg_survival(t, 1.0, 1.0) == pytest.approx(1 / (t + 1), rel=1e-12)
    assert sbg_retention(t, 1.0, 1.0) == pytest.approx(t / (t + 1), rel=1e-12)
    assert sbg_retention(t) == pytest.approx(sbg_survival(t) / sbg_survival(t - 1), rel=1e-12)


# -- reading a plot back ---------------------------------------------------------------------


@contextmanager
def drawn(plot: Callable[..., Axes], *args: Any, **kwargs: Any) -> Iterator[Axes]:
    """Draw ``plot`` on fresh axes, check it returns them, and close the figure afterwards."""
    figure, ax = plt.subplots()
    try:
        assert plot(*args, ax=ax, **kwargs) is ax
        yield ax
    finally:
        plt.close(figure)


def heat_map(ax: Axes) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Return the cell centres (x, y), the cell values (NaN where blank) and the colour bar label.

    ``values[i, j]`` is the cell centred at ``(x[j], y[i])``.
    """
    (mesh,) = ax.collections
    assert isinstance(mesh, QuadMesh)
    edges = np.asarray(mesh.get_coordinates(), dtype=float)  # (rows + 1, columns + 1, 2) corners
    x = (edges[0, :-1, 0] + edges[0, 1:, 0]) / 2
    y = (edges[:-1, 0, 1] + edges[1:, 0, 1]) / 2
    data = np.ma.masked_invalid(np.ma.asarray(mesh.get_array(), dtype=float))
    values = np.ma.filled(data, np.nan).reshape(y.size, x.size)
    assert mesh.colorbar is not None
    return x, y, values, mesh.colorbar.ax.get_ylabel()


def lines(ax: Axes) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return each line's (x, y) data by its label."""
    return {
        line.get_label(): (np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float))
        for line in ax.get_lines()
    }


def legend(ax: Axes) -> list[str]:
    box = ax.get_legend()
    assert box is not None
    return [text.get_text() for text in box.get_texts()]


def tick_labels(axis: Any) -> list[str]:
    return [label.get_text() for label in axis.get_ticklabels()]


# -- heat map over (frequency, recency) -------------------------------------------------------


def test_frequency_recency_matrix_shows_probability_alive_of_each_history() -> None:
    with drawn(
        plotting.plot_frequency_recency_matrix,
        BG,
        T=39.0,
        kind="probability_alive",
        max_frequency=20,
    ) as ax:
        recency, frequency, values, colour_label = heat_map(ax)
        assert recency == pytest.approx(np.linspace(0.0, 39.0, 50), abs=1e-12)
        assert frequency == pytest.approx(np.arange(21.0), abs=1e-12)
        f, r = np.meshgrid(frequency.round(), recency, indexing="ij")
        possible = (f > 0) | (r == 0)  # a one-time buyer's last purchase is the first
        assert int((~possible).sum()) == 49  # frequency 0 with recency > 0: left blank
        assert np.isnan(values[~possible]).all()
        assert values[possible] == pytest.approx(bg_alive(f, r, 39.0)[possible], rel=1e-9)
        assert values[0, 0] == 1.0  # under BG/NBD a customer who never came back is alive
        assert colour_label == "P(alive)"
        assert ax.get_title() == "P(alive), by history (T = 39)"
        assert ax.get_xlabel() == "recency (time of the last purchase)"
        assert ax.get_ylabel() == "frequency (repeat purchases)"


def test_frequency_recency_matrix_shows_expected_purchases_of_each_history() -> None:
    with drawn(plotting.plot_frequency_recency_matrix, BG, T=12.6, t=10.0) as ax:
        recency, frequency, values, colour_label = heat_map(ax)
        assert recency == pytest.approx(np.linspace(0.0, 12.6, 50), abs=1e-12)
        assert frequency == pytest.approx(np.arange(14.0), abs=1e-12)  # default: up to round(T)
        f, r = np.meshgrid(frequency.round(), recency, indexing="ij")
        possible = (f > 0) | (r == 0)
        assert np.isnan(values[~possible]).all()
        expected = bg_expected(f, r, 12.6, 10.0)
        assert values[possible] == pytest.approx(expected[possible], rel=1e-9)
        # the most recent heavy buyer is expected to buy the most
        assert np.nanargmax(values) == np.ravel_multi_index((13, 49), values.shape)
        assert colour_label == "expected purchases in the next 10"
        assert ax.get_title() == "expected purchases in the next 10, by history (T = 12.6)"


# -- bars of repeat-purchase counts -----------------------------------------------------------


def bar_pairs(ax: Axes) -> tuple[np.ndarray, np.ndarray]:
    """Return the heights of the "actual" and "model" bars, checking where they stand."""
    containers = {container.get_label(): container for container in ax.containers}
    assert list(containers) == ["actual", "model"]
    heights = []
    for name, shift in (("actual", -0.2), ("model", 0.2)):
        bars = containers[name].patches
        centres = [bar.get_x() + bar.get_width() / 2 for bar in bars]
        assert centres == pytest.approx(np.arange(len(bars)) + shift, abs=1e-12)
        assert [bar.get_width() for bar in bars] == pytest.approx([0.4] * len(bars))
        heights.append(np.array([bar.get_height() for bar in bars]))
    return heights[0], heights[1]


def test_period_transactions_bars_count_weighted_customers_and_model_probabilities() -> None:
    summary = CustomerSummary.from_arrays(
        [0, 0, 1, 2, 5, 9, 3],
        [0.0, 0.0, 3.0, 5.0, 7.5, 30.0, 10.0],
        [10.0, 40.0, 12.0, 20.0, 30.0, 39.0, 10.0],
        weights=[1.0, 2.5, 1.0, 1.0, 3.0, 1.0, 0.5],
    )
    with drawn(plotting.plot_period_transactions, BG, summary, max_frequency=3) as ax:
        actual, model = bar_pairs(ax)
        # by hand: weights of frequency 0 (1 + 2.5), 1, 2, and 3 or more (3 + 1 + 0.5)
        assert actual.tolist() == [3.5, 1.0, 1.0, 4.5]
        # model: sum_i w_i P(X(T_i) = n) for n = 0, 1, 2, and the tail P(X(T_i) >= 3)
        w, T = summary.weights, summary.T
        by_count = [
            sum(w[i] * BG.probability_of_purchases(n, T[i]) for i in range(7)) for n in (0, 1, 2)
        ]
        tail = sum(
            w[i] * BG.probability_of_purchases(np.arange(3, 5000), T[i]).sum() for i in range(7)
        )
        assert model == pytest.approx([*by_count, tail], rel=1e-9)
        assert model.sum() == pytest.approx(10.0, rel=1e-12)
        assert tick_labels(ax.xaxis) == ["0", "1", "2", "3+"]
        assert ax.get_xticks().tolist() == [0, 1, 2, 3]
        assert legend(ax) == ["actual", "model"]
        assert ax.get_xlabel() == "repeat purchases in calibration"
        assert ax.get_ylabel() == "customers"
        assert ax.get_title() == "Repeat purchases: actual and model"


def test_period_transactions_on_cdnow() -> None:
    summary = cdnow_sample_summary()
    with drawn(plotting.plot_period_transactions, BG, summary) as ax:
        actual, model = bar_pairs(ax)
        counts = np.bincount(np.minimum(summary.frequency, 7).astype(int), minlength=8)
        np.testing.assert_array_equal(actual, counts)  # exact: both are customer counts
        assert actual[0] == 1411  # 2,357 customers, 946 of them repeat buyers
        each = BG.probability_of_purchases(np.arange(7)[:, None], summary.T[None, :])
        assert model[:7] == pytest.approx(each.sum(axis=1), rel=1e-9)
        assert model.sum() == pytest.approx(2357.0, rel=1e-12)
        assert tick_labels(ax.xaxis)[-1] == "7+"


# -- calibration vs holdout -------------------------------------------------------------------


def hand_log() -> TransactionLog:
    """Purchases in days; calibration ends on day 9, the holdout on day 14.

    Calibration (x, t_x, T): a (2, 4, 9), b (0, 0, 8), c (1, 2, 6), d (8, 8, 9), e (0, 0, 7);
    holdout purchases: a 2, b 1, c 0, d 1, e 0; f first buys in the holdout.
    """
    purchases = {
        "a": [0, 2, 4, 11, 13],
        "b": [1, 12],
        "c": [3, 5],
        "d": [0, 1, 2, 3, 4, 5, 6, 7, 8, 10],
        "e": [2],
        "f": [11, 12],
    }
    ids = [name for name, days in purchases.items() for _ in days]
    days = [float(day) for all_days in purchases.values() for day in all_days]
    return TransactionLog.from_arrays(ids, days, unit="D")


def test_calibration_holdout_lines_are_group_means() -> None:
    split = hand_log().split(9.0, 14.0)
    expected = {
        name: float(bg_expected(x, t_x, T, 5.0))
        for name, (x, t_x, T) in {
            "a": (2, 4, 9),
            "b": (0, 0, 8),
            "c": (1, 2, 6),
            "d": (8, 8, 9),
            "e": (0, 0, 7),
        }.items()
    }
    with drawn(plotting.plot_calibration_holdout, BG, split, max_frequency=3) as ax:
        drawn_lines = lines(ax)
        assert list(drawn_lines) == ["actual", "model"]
        x, actual = drawn_lines["actual"]
        assert x.tolist() == [0, 1, 2, 3]
        assert actual.tolist() == [0.5, 0.0, 2.0, 1.0]  # (b 1 + e 0) / 2, c, a, d
        x, model = drawn_lines["model"]
        assert x.tolist() == [0, 1, 2, 3]
        group_means = [
            (expected["b"] + expected["e"]) / 2,
            expected["c"],
            expected["a"],
            expected["d"],
        ]
        assert model == pytest.approx(group_means, rel=1e-9)
        assert tick_labels(ax.xaxis) == ["0", "1", "2", "3+"]
        assert legend(ax) == ["actual", "model"]
        assert ax.get_xlabel() == "repeat purchases in calibration"
        assert ax.get_ylabel() == "mean purchases in holdout"
        assert ax.get_title() == "Calibration vs holdout"
    # groups without customers are left out: frequencies 0, 1, 2 and 8 (shown as 7+)
    with drawn(plotting.plot_calibration_holdout, BG, split) as ax:
        x, actual = lines(ax)["actual"]
        assert x.tolist() == [0, 1, 2, 7]
        assert actual.tolist() == [0.5, 0.0, 2.0, 1.0]
        assert tick_labels(ax.xaxis) == ["0", "1", "2", "7+"]


# -- tracking plots ---------------------------------------------------------------------------


def tracking_log() -> TransactionLog:
    """Days: a buys on 0, 3 (twice: one transaction), 7, 12; b on 2, 5, 14; c on 4; d, first
    seen on day 9 after calibration (day 8) ends, on 9 and 11."""
    ids = ["a", "a", "a", "a", "a", "b", "b", "b", "c", "d", "d"]
    days = [0.0, 3.0, 3.0, 7.0, 12.0, 2.0, 5.0, 14.0, 4.0, 9.0, 11.0]
    return TransactionLog.from_arrays(ids, days, unit="D")


# the cohort's (a, b, c) repeat purchases by the end of each day 1..15: a on 3, 7, 12; b on 5, 14
HAND_CUMULATIVE = [0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3, 4, 4, 5, 5]
FIRST_DAYS = np.array([0.0, 2.0, 4.0])  # a, b, c


def cohort_expectation(steps: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Sum over the cohort of E[X(age)] at each step, ages counted from each first purchase."""
    ages = np.maximum(steps[:, None] - first[None, :], 0.0)
    return bg_expected_new(ages).sum(axis=1)


def test_cumulative_purchases_track_the_cohort() -> None:
    log = tracking_log()
    with drawn(
        plotting.plot_cumulative_purchases,
        BG,
        log,
        calibration_end=8.0,
        observation_end=15.0,
        unit="D",
    ) as ax:
        drawn_lines = lines(ax)
        assert list(drawn_lines) == ["actual", "model", "end of calibration"]
        steps, actual = drawn_lines["actual"]
        assert steps.tolist() == list(range(1, 16))
        assert actual.tolist() == HAND_CUMULATIVE  # d's purchase on day 11 is not counted
        steps, model = drawn_lines["model"]
        assert steps.tolist() == list(range(1, 16))
        assert model == pytest.approx(cohort_expectation(steps, FIRST_DAYS), rel=1e-9)
        split_x, _ = drawn_lines["end of calibration"]
        assert split_x.tolist() == [8.0, 8.0]
        assert legend(ax) == ["actual", "model", "end of calibration"]
        assert ax.get_xlabel() == "time since the cohort's first purchase (D)"
        assert ax.get_ylabel() == "cumulative repeat purchases"
        assert ax.get_title() == "Tracking cumulative purchases"
    # by default the plot ends at the last purchase (day 14)
    with drawn(plotting.plot_cumulative_purchases, BG, log, calibration_end=8.0, unit="D") as ax:
        steps, actual = lines(ax)["actual"]
        assert steps.tolist() == list(range(1, 15))
        assert actual.tolist() == HAND_CUMULATIVE[:14]


def test_incremental_purchases_are_the_steps_of_the_cumulative_ones() -> None:
    log = tracking_log()
    with drawn(
        plotting.plot_incremental_purchases,
        BG,
        log,
        calibration_end=8.0,
        observation_end=15.0,
        unit="D",
    ) as ax:
        drawn_lines = lines(ax)
        steps, actual = drawn_lines["actual"]
        assert actual.tolist() == np.diff(HAND_CUMULATIVE, prepend=0).tolist()
        _, model = drawn_lines["model"]
        cumulative = cohort_expectation(steps, FIRST_DAYS)
        assert model == pytest.approx(np.diff(cumulative, prepend=0.0), rel=1e-9, abs=1e-15)
        assert ax.get_ylabel() == "repeat purchases"
        assert ax.get_title() == "Tracking incremental purchases"
    # in weeks: the weeks end on days 7 and 14 (3 and 2 repeat purchases)
    with drawn(plotting.plot_incremental_purchases, BG, log, calibration_end=8.0, unit="W") as ax:
        drawn_lines = lines(ax)
        steps, actual = drawn_lines["actual"]
        assert steps.tolist() == [1.0, 2.0]
        assert actual.tolist() == [3.0, 2.0]
        _, model = drawn_lines["model"]
        cumulative = cohort_expectation(steps, FIRST_DAYS / 7)
        assert model == pytest.approx(np.diff(cumulative, prepend=0.0), rel=1e-9)
        assert drawn_lines["end of calibration"][0] == pytest.approx([8 / 7, 8 / 7], rel=1e-12)
        assert ax.get_xlabel() == "time since the cohort's first purchase (W)"


def test_cumulative_purchases_on_cdnow_count_every_repeat_day() -> None:
    log = load_cdnow_sample()
    # independent count from the raw log: distinct (customer, day) pairs by each week's end,
    # less each customer's first day
    day = log.timestamp.astype("datetime64[D]")
    start = day.min()
    assert str(start) == "1997-01-01"
    pairs = np.unique(np.stack([np.unique(log.customer_id, return_inverse=True)[1],
                                (day - start).astype(int)]), axis=1)  # fmt: skip
    first = np.array([pairs[1][pairs[0] == c].min() for c in np.unique(pairs[0])])
    weeks = np.arange(1.0, 78.0)  # 1997-01-01 to 1998-06-30 is 77 weeks and 6 days
    ends = 7 * weeks
    repeats = (pairs[1][None, :] <= ends[:, None]).sum(axis=1) - (
        first[None, :] <= ends[:, None]
    ).sum(axis=1)
    with drawn(plotting.plot_cumulative_purchases, BG, log, calibration_end="1997-09-30") as ax:
        drawn_lines = lines(ax)
        steps, actual = drawn_lines["actual"]
        assert steps.tolist() == weeks.tolist()
        np.testing.assert_array_equal(actual, repeats)  # exact: both count transactions
        _, model = drawn_lines["model"]
        assert model == pytest.approx(cohort_expectation(weeks, first / 7), rel=1e-9)
        split_x, _ = drawn_lines["end of calibration"]
        assert split_x == pytest.approx([272 / 7, 272 / 7], rel=1e-12)  # 1997-09-30
        assert ax.get_xlabel() == "time since the cohort's first purchase (W)"


def test_tracking_comparison_draws_the_actual_curve_once_and_each_model() -> None:
    log = tracking_log()
    other = relmark.BetaGeo(r=0.5, alpha=2.0, a=1.2, b=3.0)
    models = {"published": BG, "other": other}
    with drawn(plotting.plot_tracking_comparison, models, log, calibration_end=8.0,
               observation_end=15.0, unit="D") as ax:  # fmt: skip
        drawn_lines = lines(ax)
        assert list(drawn_lines) == ["actual", "published", "other", "end of calibration"]
        steps, actual = drawn_lines["actual"]
        assert steps.tolist() == list(range(1, 16))
        assert actual.tolist() == HAND_CUMULATIVE
        _, published = drawn_lines["published"]
        assert published == pytest.approx(cohort_expectation(steps, FIRST_DAYS), rel=1e-9)
        _, drawn_other = drawn_lines["other"]
        ages = np.maximum(steps[:, None] - FIRST_DAYS[None, :], 0.0)
        by_hand = np.asarray(other.expected_purchases_new_customer(ages)).sum(axis=1)
        assert drawn_other == pytest.approx(by_hand, rel=1e-12)
        assert drawn_lines["end of calibration"][0].tolist() == [8.0, 8.0]
        assert legend(ax) == ["actual", "published", "other", "end of calibration"]
        assert ax.get_title() == "Tracking cumulative purchases: published, other"
        assert ax.get_ylabel() == "cumulative repeat purchases"
    # the same curves as the one-model plot, which shares the computation
    with drawn(plotting.plot_cumulative_purchases, BG, log, calibration_end=8.0,
               observation_end=15.0, unit="D") as single:  # fmt: skip
        assert lines(single)["model"][1] == pytest.approx(published, rel=1e-15)
    # a sequence is named by class
    with drawn(plotting.plot_tracking_comparison, [BG, relmark.NBD(r=1.0, alpha=5.0)], log,
               calibration_end=8.0, unit="D") as ax:  # fmt: skip
        assert list(lines(ax)) == ["actual", "BetaGeo", "NBD", "end of calibration"]


def test_tracking_comparison_refuses_what_it_cannot_draw() -> None:
    log = tracking_log()
    with pytest.raises(ValidationError, match=r"^`models` is empty: give at least one model$"):
        plotting.plot_tracking_comparison({}, log, calibration_end=8.0, unit="D")
    with pytest.raises(ValidationError, match=r"two models named 'BetaGeo': give a mapping"):
        plotting.plot_tracking_comparison([BG, BG], log, calibration_end=8.0, unit="D")
    with pytest.raises(TypeError, match=r"^`models\['spend'\]` must be a PurchaseModel"):
        plotting.plot_tracking_comparison(
            {"spend": relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44)}, log,  # type: ignore[dict-item]
            calibration_end=8.0, unit="D",
        )  # fmt: skip
    with pytest.raises(TypeError, match=r"^`models` must be a mapping of names to models"):
        plotting.plot_tracking_comparison(BG, log, calibration_end=8.0, unit="D")  # type: ignore[arg-type]
    plt.close("all")


# -- contractual retention ---------------------------------------------------------------------


def test_survival_lines_show_the_model_and_the_observed_share() -> None:
    with drawn(plotting.plot_survival, SBG, periods=12, observed=REGULAR) as ax:
        drawn_lines = lines(ax)
        assert list(drawn_lines) == ["model", "observed"]
        t, model = drawn_lines["model"]
        assert t.tolist() == list(range(13))
        assert model == pytest.approx(sbg_survival(t), rel=1e-12)
        assert model[0] == 1.0
        t, observed = drawn_lines["observed"]
        assert t.tolist() == list(range(8))
        np.testing.assert_array_equal(observed, np.array(REGULAR) / 1000)
        assert ax.get_lines()[1].get_linestyle() == "None"  # points, not a line
        assert ax.get_ylim() == (0.0, 1.05)
        assert legend(ax) == ["model", "observed"]
        assert ax.get_xlabel() == "period"
        assert ax.get_ylabel() == "share still customers"
        assert ax.get_title() == "Survival"
    with drawn(plotting.plot_survival, SBG, periods=3) as ax:
        assert list(lines(ax)) == ["model"]
        assert legend(ax) == ["model"]


def test_retention_rate_lines_show_the_model_and_the_observed_rate() -> None:
    with drawn(plotting.plot_retention_rate, SBG, periods=12, observed=REGULAR) as ax:
        drawn_lines = lines(ax)
        assert list(drawn_lines) == ["model", "observed"]
        t, model = drawn_lines["model"]
        assert t.tolist() == list(range(1, 13))
        assert model == pytest.approx(sbg_retention(t), rel=1e-12)
        assert np.all(np.diff(model) > 0)  # rises with tenure
        t, observed = drawn_lines["observed"]
        assert t.tolist() == list(range(1, 8))
        np.testing.assert_array_equal(observed, np.array(REGULAR[1:]) / np.array(REGULAR[:-1]))
        assert legend(ax) == ["model", "observed"]
        assert ax.get_xlabel() == "period"
        assert ax.get_ylabel() == "retention rate"
        assert ax.get_title() == "Retention rate by tenure"


@settings(max_examples=25)
@given(counts=survivor_counts(max_periods=15), periods=st.integers(1, 20))
def test_survival_observed_points_are_the_counts_over_the_cohort(
    counts: list[int], periods: int
) -> None:
    with drawn(plotting.plot_survival, SBG, periods=periods, observed=counts) as ax:
        t, observed = lines(ax)["observed"]
        assert t.tolist() == list(range(len(counts)))
        np.testing.assert_array_equal(observed, np.array(counts, dtype=float) / counts[0])
        assert lines(ax)["model"][0].tolist() == list(range(periods + 1))


@settings(max_examples=25)
@given(counts=survivor_counts(max_periods=15, min_count=1))
def test_retention_observed_points_are_period_on_period_ratios(counts: list[int]) -> None:
    with drawn(plotting.plot_retention_rate, SBG, periods=5, observed=counts) as ax:
        t, observed = lines(ax)["observed"]
        assert t.tolist() == list(range(1, len(counts)))
        alive = np.array(counts, dtype=float)
        np.testing.assert_array_equal(observed, alive[1:] / alive[:-1])
        assert np.all((observed > 0) & (observed <= 1))


def test_retention_rate_of_a_cohort_that_dies_out_is_drawn_where_defined() -> None:
    # 10 -> 5 -> 0 -> 0: rates 5/10 and 0/5; 0/0 after the cohort is gone is undefined
    with drawn(plotting.plot_retention_rate, SBG, periods=3, observed=[10, 5, 0, 0]) as ax:
        t, observed = lines(ax)["observed"]
        assert t.tolist() == [1.0, 2.0]
        assert observed.tolist() == [0.5, 0.0]
    with drawn(plotting.plot_retention_rate, SBG, periods=3, observed=[10, 0]) as ax:
        assert [v.tolist() for v in lines(ax)["observed"]] == [[1.0], [0.0]]


@settings(max_examples=25)
@given(counts=survivor_counts(max_periods=15))
def test_retention_observed_points_stop_where_the_cohort_is_gone(counts: list[int]) -> None:
    with drawn(plotting.plot_retention_rate, SBG, periods=5, observed=counts) as ax:
        t, observed = lines(ax)["observed"]
        defined = [i for i in range(1, len(counts)) if counts[i - 1] > 0]
        assert t.tolist() == defined
        assert observed.tolist() == [counts[i] / counts[i - 1] for i in defined]


@pytest.mark.parametrize("plot", [plotting.plot_survival, plotting.plot_retention_rate])
def test_rising_survivor_counts_are_refused_before_drawing(plot: Callable[..., Axes]) -> None:
    figures = plt.get_fignums()
    with pytest.raises(
        ValidationError,
        match=r"^`observed` must not increase over time \(customers cannot come back in a "
        r"cohort\); 1 of 3 periods violate this \(first at index 1: 12\.0 > 10\.0\)$",
    ):
        plot(SBG, periods=3, observed=[10, 12, 11.5])
    with pytest.raises(
        ValidationError, match=r"; 2 of 4 periods violate this \(first at index 2: 6\.0 > 5\.0\)$"
    ):
        plot(SBG, periods=3, observed=[10, 5, 6, 7])
    assert plt.get_fignums() == figures  # checked at entry: no figure was made


# -- value concentration and segments ---------------------------------------------------------


def gini_by_pairs(values: np.ndarray) -> float:
    """Gini as the mean absolute difference over twice the mean, all ordered pairs."""
    if values.sum() == 0:
        return 0.0
    return float(
        np.abs(values[:, None] - values[None, :]).sum() / (2 * values.size**2 * values.mean())
    )


def title_gini(ax: Axes) -> float:
    found = re.fullmatch(r"Lorenz curve of value \(Gini (\d\.\d\d)\)", ax.get_title())
    assert found is not None, ax.get_title()
    return float(found.group(1))


def test_lorenz_curve_by_hand() -> None:
    with drawn(plotting.plot_lorenz_curve, [6.0, 1.0, 2.0, 1.0]) as ax:
        drawn_lines = lines(ax)
        assert list(drawn_lines) == ["customers", "equal value"]
        population, value = drawn_lines["customers"]
        assert population.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
        assert value == pytest.approx([0.0, 0.1, 0.2, 0.4, 1.0], rel=1e-12)
        assert [v.tolist() for v in drawn_lines["equal value"]] == [[0.0, 1.0], [0.0, 1.0]]
        # pairs: 0 + 1 + 5 + 1 + 5 + 4 = 16, twice over, / (2 * 16 * 2.5) = 0.4
        assert ax.get_title() == "Lorenz curve of value (Gini 0.40)"
        assert legend(ax) == ["customers", "equal value"]
        assert ax.get_xlabel() == "share of customers (least valuable first)"
        assert ax.get_ylabel() == "share of value"


@settings(max_examples=25)
@given(values=amounts(st.integers(1, 60)))
def test_lorenz_curve_is_the_sorted_cumulative_share(values: np.ndarray) -> None:
    with drawn(plotting.plot_lorenz_curve, values) as ax:
        population, value = lines(ax)["customers"]
        n = values.size
        assert population == pytest.approx(np.arange(n + 1) / n, rel=1e-12)
        total = values.sum()
        expected = np.r_[0.0, np.cumsum(np.sort(values)) / total] if total > 0 else population
        assert value == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert title_gini(ax) == pytest.approx(gini_by_pairs(values), abs=0.005 + 1e-9)


def test_segment_profile_bars_are_the_column_per_segment() -> None:
    profile = relmark.segment_profile(
        ["b", "a", "c", "a"], revenue=[2.0, 1.0, 4.0, 3.0], clv=[10.0, 5.0, 7.0, 15.0]
    )
    for column, widths, label in [
        ("revenue_share", [40.0, 20.0, 40.0], "revenue share (%)"),  # a: 1 + 3 of 10
        ("share", [50.0, 25.0, 25.0], "share (%)"),
        ("customers", [2.0, 1.0, 1.0], "customers"),
        ("mean_clv", [10.0, 10.0, 7.0], "mean clv"),
    ]:
        with drawn(plotting.plot_segment_profile, profile, column=column) as ax:
            bars = ax.patches
            assert [bar.get_width() for bar in bars] == pytest.approx(widths, rel=1e-12)
            centres = [bar.get_y() + bar.get_height() / 2 for bar in bars]
            assert centres == pytest.approx([0.0, 1.0, 2.0], abs=1e-12)
            assert tick_labels(ax.yaxis) == ["a", "b", "c"]
            assert ax.get_yticks().tolist() == [0, 1, 2]
            assert ax.yaxis_inverted()  # the first segment on top
            assert ax.get_xlabel() == label
            assert ax.get_title() == "Segment profile"


# -- RFM heat map ----------------------------------------------------------------------------


def test_rfm_heatmap_counts_customers_per_cell() -> None:
    recency, frequency = [1, 2, 3, 4, 5, 5], [1, 1, 2, 5, 5, 4]
    with drawn(plotting.plot_rfm_heatmap, recency, frequency) as ax:
        x, y, values, colour_label = heat_map(ax)
        assert x.tolist() == y.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
        expected = np.zeros((5, 5))
        for r, f in zip(recency, frequency, strict=True):
            expected[f - 1, r - 1] += 1  # row: frequency score (y), column: recency score (x)
        np.testing.assert_array_equal(values, expected)
        assert values[1, 2] == 1.0 and values[2, 1] == 0.0  # R = 3, F = 2, not the transpose
        assert colour_label == "customers"
        assert ax.get_title() == "Customers by RFM score"
        assert ax.get_xticks().tolist() == ax.get_yticks().tolist() == [1, 2, 3, 4, 5]
        assert ax.get_xlabel() == "recency score (higher = more recent)"
        assert ax.get_ylabel() == "frequency score"


def test_rfm_heatmap_of_mean_values_leaves_empty_cells_blank() -> None:
    recency, frequency = [1, 2, 3, 4, 5, 5], [1, 1, 2, 5, 5, 4]
    with drawn(plotting.plot_rfm_heatmap, recency, frequency, [1.0, 2, 3, 4, 5, 6]) as ax:
        _, _, values, colour_label = heat_map(ax)
        expected = np.full((5, 5), np.nan)
        expected[0, 0], expected[0, 1], expected[1, 2] = 1.0, 2.0, 3.0
        expected[4, 3], expected[4, 4], expected[3, 4] = 4.0, 5.0, 6.0
        np.testing.assert_array_equal(values, expected)  # NaN where no customer
        assert colour_label == "mean value"
        assert ax.get_title() == "Mean value by RFM score"
    with drawn(plotting.plot_rfm_heatmap, [2, 2, 1], [1, 1, 1], [1.0, 4.0, 7.0]) as ax:
        _, _, values, _ = heat_map(ax)
        np.testing.assert_array_equal(values, [[7.0, 2.5], [np.nan, np.nan]])


@settings(max_examples=25)
@given(cells=st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6)), min_size=1, max_size=80))
def test_rfm_heatmap_cells_add_up_to_the_customers(cells: list[tuple[int, int]]) -> None:
    recency = [cell[0] for cell in cells]
    frequency = [cell[1] for cell in cells]
    k = max(*recency, *frequency)
    with drawn(plotting.plot_rfm_heatmap, recency, frequency) as ax:
        x, y, values, _ = heat_map(ax)
        assert x.tolist() == y.tolist() == list(range(1, k + 1))
        for (i, j), count in np.ndenumerate(values):
            assert count == sum(1 for r, f in cells if (f, r) == (i + 1, j + 1))
        assert values.sum() == len(cells)


# -- every plot: axes handling, and bad arguments ---------------------------------------------

PLOTS: dict[str, Callable[..., Axes]] = {
    "frequency_recency_matrix": lambda ax: plotting.plot_frequency_recency_matrix(BG, T=5.0, ax=ax),
    "period_transactions": lambda ax: plotting.plot_period_transactions(
        BG, CustomerSummary.from_arrays([0, 1], [0.0, 1.0], [2.0, 2.0]), ax=ax
    ),
    "calibration_holdout": lambda ax: plotting.plot_calibration_holdout(
        BG, hand_log().split(9.0, 14.0), ax=ax
    ),
    "cumulative_purchases": lambda ax: plotting.plot_cumulative_purchases(
        BG, tracking_log(), calibration_end=8.0, unit="D", ax=ax
    ),
    "incremental_purchases": lambda ax: plotting.plot_incremental_purchases(
        BG, tracking_log(), calibration_end=8.0, unit="D", ax=ax
    ),
    "tracking_comparison": lambda ax: plotting.plot_tracking_comparison(
        [BG], tracking_log(), calibration_end=8.0, unit="D", ax=ax
    ),
    "survival": lambda ax: plotting.plot_survival(SBG, periods=3, ax=ax),
    "retention_rate": lambda ax: plotting.plot_retention_rate(SBG, periods=3, ax=ax),
    "lorenz_curve": lambda ax: plotting.plot_lorenz_curve([1.0, 2.0], ax=ax),
    "segment_profile": lambda ax: plotting.plot_segment_profile(
        relmark.segment_profile(["a", "b"]), ax=ax
    ),
    "rfm_heatmap": lambda ax: plotting.plot_rfm_heatmap([1, 2], [2, 1], ax=ax),
    "cohort_heatmap": lambda ax: plotting.plot_cohort_heatmap(
        relmark.cohort_table(TransactionLog.from_arrays([1, 1, 2], [0.0, 1.0, 1.0]), period=1.0),
        ax=ax,
    ),
    "retention_curves": lambda ax: plotting.plot_retention_curves(
        relmark.kaplan_meier([1, 2], [True, False]), ax=ax
    ),
    "qini": lambda ax: plotting.plot_qini(relmark.qini_curve([2, 1], [1, 0], [1, 0]), ax=ax),
}


def test_every_plot_of_the_module_is_tested_here() -> None:
    assert {f"plot_{name}" for name in PLOTS} == set(plotting.__all__)


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plots_draw_on_the_given_axes_or_on_a_new_figure(name: str) -> None:
    figure, ax = plt.subplots()
    try:
        assert PLOTS[name](ax) is ax
        assert ax.has_data()
    finally:
        plt.close(figure)
    before = set(plt.get_fignums())
    new = PLOTS[name](None)
    try:
        assert new.figure.number not in before
        assert new.has_data()
    finally:
        plt.close(new.figure)


PROFILE = relmark.segment_profile(["a", "b", "a", "c"], revenue=[1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: plotting.plot_frequency_recency_matrix(BG, T=-1.0),
            r"^`T` must be > 0, got -1\.0$",
        ),
        (
            lambda: plotting.plot_frequency_recency_matrix(BG, T=10.0, kind="nope"),  # type: ignore[arg-type]
            r"^`kind` must be 'expected_purchases' or 'probability_alive', got 'nope'$",
        ),
        (lambda: plotting.plot_frequency_recency_matrix(BG, T=10.0, t=-1.0), r"^`t` must be >= 0"),
        (
            lambda: plotting.plot_period_transactions(BG, cdnow_sample_summary(), max_frequency=0),
            r"^`max_frequency` must be >= 1, got 0$",
        ),
        (
            lambda: plotting.plot_calibration_holdout(BG, hand_log().split(9.0), max_frequency=0),
            r"^`max_frequency` must be >= 1, got 0$",
        ),
        (
            lambda: plotting.plot_cumulative_purchases(
                BG, tracking_log(), calibration_end=8.0, unit="fortnight"
            ),
            r"^`unit` must be one of 's', 'min', 'h', 'D', 'W', 'M' \(time units; 'M' is an "
            r"average month\), got 'fortnight'$",
        ),
        (
            lambda: plotting.plot_incremental_purchases(
                BG, tracking_log(), calibration_end=8.0, unit="Y"
            ),
            r"^`unit` must be one of 's', 'min', 'h', 'D', 'W', 'M' \(time units; 'M' is an "
            r"average month\), got 'Y'$",
        ),
        (lambda: plotting.plot_survival(SBG, periods=0), r"^`periods` must be >= 1, got 0$"),
        (
            lambda: plotting.plot_survival(SBG, periods=3, observed=[0, 1]),
            r"^`observed\[0\]` \(the cohort size\) must be > 0, got 0$",
        ),
        (
            lambda: plotting.plot_survival(SBG, periods=3, observed=[]),
            r"^`observed` needs the cohort size, got 0 value\(s\)$",
        ),
        (
            lambda: plotting.plot_survival(SBG, periods=3, observed=[10, -1]),
            r"^`observed` must be >= 0; 1 of 2 .*first at index 1",
        ),
        (
            lambda: plotting.plot_retention_rate(SBG, periods=3, observed=[10]),
            r"^`observed` needs the cohort size and at least one later count, got 1 value\(s\)$",
        ),
        (
            lambda: plotting.plot_retention_rate(SBG, periods=3, observed=[0, 0]),
            r"^`observed\[0\]` \(the cohort size\) must be > 0, got 0$",
        ),
        (
            lambda: plotting.plot_rfm_heatmap([0, 1], [1, 1]),
            r"^`recency_score` must be scores from 1 up, got 0$",
        ),
        (
            lambda: plotting.plot_rfm_heatmap([1, 2], [1]),
            r"same length: `recency_score` has 2, `frequency_score` has 1$",
        ),
        (
            lambda: plotting.plot_rfm_heatmap([1, 2], [1, 1.5]),
            r"^`frequency_score` must be whole numbers; 1 of 2 .*first at index 1",
        ),
        (
            lambda: plotting.plot_rfm_heatmap([1, 2], [1, 1], values=[1.0]),
            r"same length: `recency_score` has 2, `values` has 1$",
        ),
        (
            lambda: plotting.plot_segment_profile(PROFILE, column="segment"),
            r"^`column` must be one of the profile's columns \(customers, share, revenue_share\), "
            r"got 'segment'$",
        ),
        (lambda: plotting.plot_lorenz_curve([]), r"^`values` is empty$"),
    ],
)
def test_bad_arguments_raise_validation_errors(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()
    plt.close("all")
