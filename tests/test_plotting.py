"""Every plot renders to a non-empty image with the Agg backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import relmark  # noqa: E402
from relmark import plotting  # noqa: E402
from relmark.datasets import cdnow_sample_summary, load_cdnow_sample  # noqa: E402

BG = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
SBG = relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


def split() -> relmark.CalibrationHoldout:
    return load_cdnow_sample().split("1997-09-30", "1998-06-30", unit="W")


PLOTS: dict[str, Callable[[], Any]] = {
    "expected_matrix": lambda: plotting.plot_frequency_recency_matrix(BG, T=39.0),
    "alive_matrix": lambda: plotting.plot_frequency_recency_matrix(
        BG, T=39.0, kind="probability_alive", max_frequency=20
    ),
    "period_transactions": lambda: plotting.plot_period_transactions(BG, cdnow_sample_summary()),
    "calibration_holdout": lambda: plotting.plot_calibration_holdout(BG, split()),
    "cumulative": lambda: plotting.plot_cumulative_purchases(
        BG, load_cdnow_sample(), calibration_end="1997-09-30"
    ),
    "incremental": lambda: plotting.plot_incremental_purchases(
        BG, load_cdnow_sample(), calibration_end="1997-09-30"
    ),
    "survival": lambda: plotting.plot_survival(SBG, periods=12, observed=REGULAR),
    "retention": lambda: plotting.plot_retention_rate(SBG, periods=12, observed=REGULAR),
    "lorenz": lambda: plotting.plot_lorenz_curve(np.arange(1.0, 50.0) ** 2),
    "segment_profile": lambda: plotting.plot_segment_profile(
        relmark.segment_profile(["a", "b", "a", "c"], revenue=[1.0, 2.0, 3.0, 4.0]),
        column="revenue_share",
    ),
    "rfm_heatmap": lambda: plotting.plot_rfm_heatmap(
        [1, 2, 3, 4, 5, 5], [1, 1, 2, 5, 5, 4], values=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    ),
}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plot_renders_to_a_file(name: str, tmp_path: Path) -> None:
    ax = PLOTS[name]()
    path = tmp_path / f"{name}.png"
    ax.figure.savefig(path)
    plt.close(ax.figure)
    assert path.stat().st_size > 5_000


def test_plots_draw_on_given_axes() -> None:
    figure, ax = plt.subplots()
    assert plotting.plot_survival(SBG, periods=5, ax=ax) is ax
    plt.close(figure)


def test_period_transactions_model_bars_sum_to_customers() -> None:
    summary = cdnow_sample_summary()
    ax = plotting.plot_period_transactions(BG, summary, max_frequency=7)
    heights = np.array([patch.get_height() for patch in ax.patches])
    actual, model = heights[:8], heights[8:]
    assert actual.sum() == pytest.approx(len(summary))
    assert model.sum() == pytest.approx(len(summary))
    assert actual[0] == np.sum(summary.frequency == 0)
    plt.close(ax.figure)


def test_cumulative_tracking_matches_the_holdout_totals() -> None:
    log = load_cdnow_sample()
    ax = plotting.plot_cumulative_purchases(BG, log, calibration_end="1997-09-30")
    actual = ax.get_lines()[0].get_ydata()
    # every repeat purchase of the 2,357 customers by the end of the log is counted once
    assert actual[-1] == pytest.approx(log.summarize(unit="W").frequency.sum(), rel=0.02)
    model = ax.get_lines()[1].get_ydata()
    assert np.all(np.diff(model) >= 0)
    plt.close(ax.figure)


@pytest.mark.parametrize(
    "call",
    [
        lambda: plotting.plot_frequency_recency_matrix(BG, T=-1.0),
        lambda: plotting.plot_frequency_recency_matrix(BG, T=10.0, kind="nope"),  # type: ignore[arg-type]
        lambda: plotting.plot_survival(SBG, periods=0),
        lambda: plotting.plot_survival(SBG, periods=3, observed=[0, 1]),
        lambda: plotting.plot_retention_rate(SBG, periods=3, observed=[10]),
        lambda: plotting.plot_rfm_heatmap([0, 1], [1, 1]),
        lambda: plotting.plot_rfm_heatmap([1, 2], [1]),
    ],
)
def test_bad_arguments_raise_validation_errors(call: Callable[[], Any]) -> None:
    with pytest.raises(relmark.ValidationError):
        call()
