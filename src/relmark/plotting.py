"""Diagnostic plots of customer-base models, retention and value.

Every function draws on ``ax`` (a new figure's axes when ``ax`` is None) and
returns the axes, so plots compose in notebooks and reports.  matplotlib is
imported only when a plot is drawn (the ``plot`` extra:
``pip install "relmark[plot]"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from relmark._validation import (
    FloatArray,
    as_count,
    as_float_array,
    as_model,
    as_scalar,
    as_survivor_counts,
    check_same_length,
    check_whole,
)
from relmark.comparison import named, tracking_curves
from relmark.data.summary import CustomerSummary
from relmark.data.transactions import CalibrationHoldout, TransactionLog
from relmark.exceptions import ValidationError
from relmark.models.contracts import ContractModel, PurchaseModel
from relmark.segmentation.profile import SegmentProfile

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from relmark.models.kaplan_meier import RetentionCurve

__all__ = [
    "plot_calibration_holdout",
    "plot_cumulative_purchases",
    "plot_frequency_recency_matrix",
    "plot_incremental_purchases",
    "plot_period_transactions",
    "plot_lorenz_curve",
    "plot_retention_curves",
    "plot_retention_rate",
    "plot_rfm_heatmap",
    "plot_segment_profile",
    "plot_survival",
    "plot_tracking_comparison",
]


def _axes(ax: Axes | None) -> Axes:
    """Return ``ax`` or the axes of a new figure, importing matplotlib only now."""
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            'relmark.plotting needs matplotlib: pip install "relmark[plot]"'
        ) from error
    return plt.figure().add_subplot()


def plot_frequency_recency_matrix(
    model: PurchaseModel,
    *,
    T: float,
    kind: Literal["expected_purchases", "probability_alive"] = "expected_purchases",
    t: float = 1.0,
    max_frequency: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot a heat map of a prediction over every (frequency, recency) history of age ``T``.

    Parameters
    ----------
    model : BetaGeo, ParetoNBD, ...
        A non-contractual model.
    T : float
        Age of the histories (time since the first purchase), in the model's unit.
    kind : {"expected_purchases", "probability_alive"}
        What to show: purchases expected in the next ``t``, or P(alive).
    t : float, default 1.0
        Horizon of the expected purchases.
    max_frequency : int, optional
        Largest repeat-purchase count shown; default ``round(T)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.plotting import plot_frequency_recency_matrix
    >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = plot_frequency_recency_matrix(model, T=39.0, kind="probability_alive")
    >>> ax.get_xlabel()
    'recency (time of the last purchase)'
    """
    age = as_scalar("T", T, low=0.0, low_open=True)
    horizon = as_scalar("t", t, low=0.0)
    if kind not in ("expected_purchases", "probability_alive"):
        raise ValidationError(
            f"`kind` must be 'expected_purchases' or 'probability_alive', got {kind!r}"
        )
    top = max(1, round(age)) if max_frequency is None else as_count("max_frequency", max_frequency)
    frequency, recency = np.meshgrid(np.arange(top + 1.0), np.linspace(0.0, age, 50), indexing="ij")
    valid = (frequency > 0) | (recency == 0)
    grid = CustomerSummary.from_arrays(
        frequency[valid], recency[valid], np.full(int(valid.sum()), age)
    )
    values = (
        model.probability_alive(grid)
        if kind == "probability_alive"
        else model.expected_purchases(grid, horizon)
    )
    image = np.full(frequency.shape, np.nan)
    image[valid] = values
    ax = _axes(ax)
    mesh = ax.pcolormesh(recency[0], frequency[:, 0], image, shading="nearest", cmap="viridis")
    label = "P(alive)" if kind == "probability_alive" else f"expected purchases in the next {t:g}"
    ax.figure.colorbar(mesh, ax=ax, label=label)
    ax.set_xlabel("recency (time of the last purchase)")
    ax.set_ylabel("frequency (repeat purchases)")
    ax.set_title(f"{label}, by history (T = {age:g})")
    return ax


def _bar_pair(ax: Axes, labels: list[str], actual: FloatArray, model: FloatArray) -> None:
    positions = np.arange(len(labels))
    ax.bar(positions - 0.2, actual, width=0.4, label="actual")
    ax.bar(positions + 0.2, model, width=0.4, label="model")
    ax.set_xticks(positions, labels)
    ax.legend()


def plot_period_transactions(
    model: PurchaseModel,
    summary: CustomerSummary,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    r"""Plot customers by number of repeat purchases, actual and as the model expects.

    The model's count for ``n`` repeat purchases is
    :math:`\sum_i w_i P(X(T_i) = n)`; the last bar gathers ``max_frequency``
    or more.

    Parameters
    ----------
    model : BetaGeo, ParetoNBD, ...
        A fitted non-contractual model.
    summary : CustomerSummary
        The customers it was fitted on.
    max_frequency : int, default 7
        Repeat-purchase counts from this one up share the last bar.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> from relmark.plotting import plot_period_transactions
    >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = plot_period_transactions(model, cdnow_sample_summary())
    >>> len(ax.patches)
    16
    """
    top = as_count("max_frequency", max_frequency, minimum=1)
    rows = summary.compress()
    counts = np.arange(top)
    probabilities = np.asarray(model.probability_of_purchases(counts[:, None], rows.T[None, :]))
    expected = probabilities @ rows.weights
    expected = np.append(expected, rows.n_customers - expected.sum())
    actual = np.bincount(
        np.minimum(summary.frequency, top).astype(np.int64),
        weights=summary.weights,
        minlength=top + 1,
    ).astype(np.float64)
    ax = _axes(ax)
    _bar_pair(ax, [*map(str, counts), f"{top}+"], actual, expected)
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("customers")
    ax.set_title("Repeat purchases: actual and model")
    return ax


def plot_calibration_holdout(
    model: PurchaseModel,
    split: CalibrationHoldout,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Plot mean holdout purchases by calibration frequency, actual and predicted.

    Parameters
    ----------
    model : BetaGeo, ParetoNBD, ...
        A model fitted on ``split.calibration``.
    split : CalibrationHoldout
        From :meth:`relmark.TransactionLog.split`.
    max_frequency : int, default 7
        Calibration frequencies from this one up share the last group.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.datasets import load_cdnow_sample
    >>> from relmark.plotting import plot_calibration_holdout
    >>> split = load_cdnow_sample().split("1997-09-30", "1998-06-30", unit="W")
    >>> model = relmark.BetaGeo.fit(split.calibration)
    >>> ax = plot_calibration_holdout(model, split)
    >>> [line.get_label() for line in ax.get_lines()]
    ['actual', 'model']
    """
    top = as_count("max_frequency", max_frequency, minimum=1)
    calibration = split.calibration
    predicted = model.expected_purchases(calibration, split.holdout_length)
    group = np.minimum(calibration.frequency, top).astype(np.int64)
    size = np.bincount(group, weights=calibration.weights, minlength=top + 1)
    present = size > 0

    def group_mean(values: FloatArray) -> FloatArray:
        sums = np.bincount(group, weights=values * calibration.weights, minlength=top + 1)
        return sums[present] / size[present]

    groups = np.arange(top + 1)[present]
    ax = _axes(ax)
    ax.plot(groups, group_mean(split.holdout_purchases), "o-", label="actual")
    ax.plot(groups, group_mean(predicted), "s--", label="model")
    ax.set_xticks(groups, [f"{g}+" if g == top else str(g) for g in groups])
    ax.set_xlabel("repeat purchases in calibration")
    ax.set_ylabel("mean purchases in holdout")
    ax.set_title("Calibration vs holdout")
    ax.legend()
    return ax


def _plot_tracking(
    model: PurchaseModel,
    log: TransactionLog,
    *,
    calibration_end: Any,
    observation_end: Any,
    unit: str,
    cumulative: bool,
    ax: Axes | None,
) -> Axes:
    curves = tracking_curves(
        log, calibration_end=calibration_end, observation_end=observation_end, unit=unit
    )
    actual, expected = curves.actual, curves.expected(model)
    if not cumulative:
        actual, expected = np.diff(actual, prepend=0.0), np.diff(expected, prepend=0.0)
    ax = _axes(ax)
    ax.plot(curves.steps, actual, "-", label="actual")
    ax.plot(curves.steps, expected, "--", label="model")
    ax.axvline(curves.calibration_end, color="grey", linestyle=":", label="end of calibration")
    ax.set_xlabel(f"time since the cohort's first purchase ({unit})")
    ax.set_ylabel("cumulative repeat purchases" if cumulative else "repeat purchases")
    ax.set_title("Tracking " + ("cumulative" if cumulative else "incremental") + " purchases")
    ax.legend()
    return ax


def plot_cumulative_purchases(
    model: PurchaseModel,
    log: TransactionLog,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    unit: str = "W",
    ax: Axes | None = None,
) -> Axes:
    r"""Plot cumulative repeat purchases of the calibration cohort, actual and model.

    The model's curve at time :math:`\tau` is :math:`\sum_i E[X(\tau - s_i)]`
    over the customers who first bought (at :math:`s_i`) by the end of
    calibration; past that end it is a forecast.

    Parameters
    ----------
    model : BetaGeo, ParetoNBD, ...
        A model fitted on the calibration summary in ``unit``.
    log : TransactionLog
        The purchases, calibration and holdout.
    calibration_end : datetime-like or float
        End of calibration, marked on the plot.
    observation_end : datetime-like or float, optional
        End of the plot; default the last purchase.
    unit : str, default "W"
        The model's time unit, and the step of the curve.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.datasets import load_cdnow_sample
    >>> from relmark.plotting import plot_cumulative_purchases
    >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = plot_cumulative_purchases(model, load_cdnow_sample(), calibration_end="1997-09-30")
    >>> ax.get_ylabel()
    'cumulative repeat purchases'
    """
    return _plot_tracking(
        model,
        log,
        calibration_end=calibration_end,
        observation_end=observation_end,
        unit=unit,
        cumulative=True,
        ax=ax,
    )


def plot_incremental_purchases(
    model: PurchaseModel,
    log: TransactionLog,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    unit: str = "W",
    ax: Axes | None = None,
) -> Axes:
    """Plot repeat purchases per step (e.g. weekly) of the calibration cohort, actual and model.

    Parameters
    ----------
    model : BetaGeo, ParetoNBD, ...
        A model fitted on the calibration summary in ``unit``.
    log : TransactionLog
        The purchases, calibration and holdout.
    calibration_end : datetime-like or float
        End of calibration, marked on the plot.
    observation_end : datetime-like or float, optional
        End of the plot; default the last purchase.
    unit : str, default "W"
        The model's time unit, and the step of the curve.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.datasets import load_cdnow_sample
    >>> from relmark.plotting import plot_incremental_purchases
    >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = plot_incremental_purchases(model, load_cdnow_sample(), calibration_end="1997-09-30")
    >>> ax.get_ylabel()
    'repeat purchases'
    """
    return _plot_tracking(
        model,
        log,
        calibration_end=calibration_end,
        observation_end=observation_end,
        unit=unit,
        cumulative=False,
        ax=ax,
    )


def plot_tracking_comparison(
    models: Mapping[str, PurchaseModel] | Sequence[PurchaseModel],
    log: TransactionLog,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    unit: str = "W",
    ax: Axes | None = None,
) -> Axes:
    r"""Plot the calibration cohort's cumulative repeat purchases, actual and by several models.

    The actual curve is counted once (:func:`relmark.comparison.tracking_curves`);
    each model's curve is :math:`\sum_i E[X(\tau - s_i)]` over the customers
    who first bought (at :math:`s_i`) by the end of calibration, a forecast
    past that end.

    Parameters
    ----------
    models : mapping of str to model, or sequence of models
        Models fitted on the calibration summary in ``unit``; a sequence is
        named by class.
    log : TransactionLog
        The purchases, calibration and holdout.
    calibration_end : datetime-like or float
        End of calibration, marked on the plot.
    observation_end : datetime-like or float, optional
        End of the plot; default the last purchase.
    unit : str, default "W"
        The models' time unit, and the step of the curves.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.datasets import load_cdnow_sample
    >>> from relmark.plotting import plot_tracking_comparison
    >>> log = load_cdnow_sample()
    >>> calibration = log.summarize("1997-09-30", unit="W")
    >>> models = {"BG/NBD": relmark.BetaGeo.fit(calibration),
    ...           "Pareto/NBD": relmark.ParetoNBD.fit(calibration)}
    >>> ax = plot_tracking_comparison(models, log, calibration_end="1997-09-30")
    >>> [line.get_label() for line in ax.get_lines()]
    ['actual', 'BG/NBD', 'Pareto/NBD', 'end of calibration']
    """
    by_name = named(models)
    for name, model in by_name.items():
        as_model(
            f"models[{name!r}]", model, PurchaseModel, uses=["expected_purchases_new_customer"]
        )
    curves = tracking_curves(
        log, calibration_end=calibration_end, observation_end=observation_end, unit=unit
    )
    ax = _axes(ax)
    ax.plot(curves.steps, curves.actual, "-", color="black", label="actual")
    for (name, model), style in zip(by_name.items(), _DASHES * len(by_name), strict=False):
        ax.plot(curves.steps, curves.expected(model), linestyle=style, label=name)
    ax.axvline(curves.calibration_end, color="grey", linestyle=":", label="end of calibration")
    ax.set_xlabel(f"time since the cohort's first purchase ({unit})")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title("Tracking cumulative purchases: " + ", ".join(by_name))
    ax.legend()
    return ax


_DASHES = ("--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)))


def plot_survival(
    model: ContractModel,
    *,
    periods: int,
    observed: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot the share of a cohort still customers after each period, model and observed.

    Parameters
    ----------
    model : ShiftedBetaGeo
        A contractual retention model.
    periods : int
        Periods to show (0 to ``periods``).
    observed : array_like, optional
        Survivor counts of a cohort: ``observed[0]`` its size (> 0), then the
        customers left after each period, never rising.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.plotting import plot_survival
    >>> ax = plot_survival(relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806), periods=12)
    >>> ax.get_ylabel()
    'share still customers'
    """
    t = np.arange(as_count("periods", periods, minimum=1) + 1.0)
    alive = None if observed is None else as_survivor_counts("observed", observed)
    ax = _axes(ax)
    ax.plot(t, np.asarray(model.survival(t)), "-", label="model")
    if alive is not None:
        ax.plot(np.arange(alive.size), alive / alive[0], "o", label="observed")
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel("period")
    ax.set_ylabel("share still customers")
    ax.set_title("Survival")
    ax.legend()
    return ax


def plot_retention_rate(
    model: ContractModel,
    *,
    periods: int,
    observed: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot the period-on-period retention rate, model and observed.

    Under heterogeneity (sBG) the retention rate of a cohort rises with
    tenure: the customers likely to leave leave first.

    Parameters
    ----------
    model : ShiftedBetaGeo
        A contractual retention model.
    periods : int
        Periods to show (1 to ``periods``).
    observed : array_like, optional
        Survivor counts of a cohort: ``observed[0]`` its size (> 0), then the
        customers left after each period, never rising (at least one).  The
        observed rate ``observed[t] / observed[t - 1]`` is drawn where it is
        defined: a cohort that dies out has none after its count reaches 0.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.plotting import plot_retention_rate
    >>> ax = plot_retention_rate(relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806), periods=12)
    >>> ax.get_ylabel()
    'retention rate'
    """
    t = np.arange(1.0, as_count("periods", periods, minimum=1) + 1.0)
    alive = None if observed is None else as_survivor_counts("observed", observed, minimum=2)
    ax = _axes(ax)
    ax.plot(t, np.asarray(model.retention_rate(t)), "-", label="model")
    if alive is not None:
        defined = alive[:-1] > 0  # a prefix: the counts never rise, and the first is > 0
        ax.plot(
            np.arange(1, alive.size)[defined],
            alive[1:][defined] / alive[:-1][defined],
            "o",
            label="observed",
        )
    ax.set_xlabel("period")
    ax.set_ylabel("retention rate")
    ax.set_title("Retention rate by tenure")
    ax.legend()
    return ax


def plot_lorenz_curve(values: ArrayLike, *, ax: Axes | None = None) -> Axes:
    """Plot the Lorenz curve of customer value, with the Gini coefficient in the title.

    Parameters
    ----------
    values : array_like
        Value per customer (revenue, CLV, ...), >= 0.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from relmark.plotting import plot_lorenz_curve
    >>> ax = plot_lorenz_curve([1.0, 1.0, 2.0, 6.0])
    >>> ax.get_title()
    'Lorenz curve of value (Gini 0.40)'
    """
    from relmark.segmentation import gini, lorenz_curve

    population, value = lorenz_curve(values)
    ax = _axes(ax)
    ax.plot(population, value, "-", label="customers")
    ax.plot([0.0, 1.0], [0.0, 1.0], ":", color="grey", label="equal value")
    ax.set_xlabel("share of customers (least valuable first)")
    ax.set_ylabel("share of value")
    ax.set_title(f"Lorenz curve of value (Gini {gini(values):.2f})")
    ax.legend()
    return ax


def plot_segment_profile(
    profile: SegmentProfile, *, column: str = "share", ax: Axes | None = None
) -> Axes:
    """Plot one column of a segment profile as horizontal bars, one per segment.

    Parameters
    ----------
    profile : SegmentProfile
        From :func:`relmark.segment_profile`.
    column : str, default "share"
        Which column: ``share``, ``revenue_share``, ``mean_clv``, ...
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.plotting import plot_segment_profile
    >>> profile = relmark.segment_profile(["a", "b", "a"], clv=[1.0, 5.0, 2.0])
    >>> plot_segment_profile(profile, column="mean_clv").get_xlabel()
    'mean clv'
    """
    if column not in profile.columns or column == "segment":
        raise ValidationError(
            f"`column` must be one of the profile's columns "
            f"({', '.join(c for c in profile.columns if c != 'segment')}), got {column!r}"
        )
    values = np.asarray(profile[column], dtype=np.float64)
    if "share" in column:
        values = 100.0 * values
    labels = [str(name) for name in profile["segment"]]
    ax = _axes(ax)
    positions = np.arange(len(labels))
    ax.barh(positions, values)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xlabel(column.replace("_", " ") + (" (%)" if "share" in column else ""))
    ax.set_title("Segment profile")
    return ax


def plot_rfm_heatmap(
    recency_score: ArrayLike,
    frequency_score: ArrayLike,
    values: ArrayLike | None = None,
    *,
    ax: Axes | None = None,
) -> Axes:
    """Plot a heat map over RFM recency and frequency scores: customers, or mean ``values``.

    Parameters
    ----------
    recency_score, frequency_score : array_like of int
        Scores 1..k per customer (see :func:`relmark.scoring.rfm_scores`).
    values : array_like, optional
        A value per customer (spend, CLV, ...) whose mean is shown per cell;
        default the number of customers per cell.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from relmark.plotting import plot_rfm_heatmap
    >>> ax = plot_rfm_heatmap([1, 2, 2, 3], [1, 1, 3, 3])
    >>> ax.get_title()
    'Customers by RFM score'
    """
    recency = as_float_array("recency_score", recency_score)
    frequency = as_float_array("frequency_score", frequency_score)
    check_same_length({"recency_score": recency, "frequency_score": frequency})
    for name, scores in (("recency_score", recency), ("frequency_score", frequency)):
        check_whole(name, scores)
        if scores.size and scores.min() < 1:
            raise ValidationError(f"`{name}` must be scores from 1 up, got {scores.min():g}")
    k = int(max(recency.max(initial=1), frequency.max(initial=1)))
    cell = ((frequency - 1) * k + (recency - 1)).astype(np.int64)
    counts = np.bincount(cell, minlength=k * k).reshape(k, k)
    if values is None:
        image, title, label = counts.astype(np.float64), "Customers by RFM score", "customers"
    else:
        weights = as_float_array("values", values)
        check_same_length({"recency_score": recency, "values": weights})
        sums = np.bincount(cell, weights=weights, minlength=k * k).reshape(k, k)
        image = np.divide(sums, counts, out=np.full((k, k), np.nan), where=counts > 0)
        title, label = "Mean value by RFM score", "mean value"
    ax = _axes(ax)
    ticks = np.arange(1, k + 1)
    mesh = ax.pcolormesh(ticks, ticks, image, shading="nearest", cmap="viridis")
    ax.figure.colorbar(mesh, ax=ax, label=label)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xlabel("recency score (higher = more recent)")
    ax.set_ylabel("frequency score")
    ax.set_title(title)
    return ax


# -- Kaplan-Meier retention curves (issue 15, H4: relmark.models.kaplan_meier) -------------


def plot_retention_curves(
    curve: RetentionCurve,
    models: Sequence[ContractModel] | Mapping[str, ContractModel] = (),
    *,
    ax: Axes | None = None,
) -> Axes:
    """Plot Kaplan-Meier retention curves with their bands, and fitted models' survival on top.

    Parameters
    ----------
    curve : RetentionCurve
        From :func:`~relmark.models.kaplan_meier.kaplan_meier`; a curve with
        groups draws one step curve (and band) per group.
    models : sequence of ContractModel, or mapping of name to ContractModel
        Fitted contract models (ShiftedBetaGeo, BetaDiscreteWeibull, ...):
        each one's :math:`S(t)` at the whole periods 0 to the curve's last
        time, as a dashed line with markers.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Step lines start at (0, 1); each band is a filled area.

    Raises
    ------
    TypeError
        If ``curve`` is not a RetentionCurve or a model has no ``survival``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import relmark
    >>> from relmark.models.kaplan_meier import kaplan_meier, tenures_from_survivors
    >>> from relmark.plotting import plot_retention_curves
    >>> curve = kaplan_meier(*tenures_from_survivors([1000, 869, 743, 653, 593, 551, 517, 491]))
    >>> ax = plot_retention_curves(curve, [relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806)])
    >>> [line.get_label() for line in ax.get_lines()]
    ['Kaplan-Meier', 'ShiftedBetaGeo']
    """
    from relmark.models.kaplan_meier import RetentionCurve

    if not isinstance(curve, RetentionCurve):
        raise TypeError(f"`curve` must be a RetentionCurve, got {type(curve).__name__}")
    fitted = {} if isinstance(models, Sequence) and not models else named(models)
    for name, model in fitted.items():
        as_model(f"models[{name!r}]", model, ContractModel, uses=["survival"])
    ax = _axes(ax)
    labels = [None] if curve.groups is None else curve.groups.tolist()
    for label in labels:
        one = curve if label is None else curve.curve(label)
        x = np.r_[0.0, one.time]
        line = ax.step(
            x, np.r_[1.0, one.survival], where="post",
            label="Kaplan-Meier" if label is None else f"Kaplan-Meier: {label}",
        )[0]  # fmt: skip
        ax.fill_between(
            x, np.r_[1.0, one.lower], np.r_[1.0, one.upper], step="post", alpha=0.2,
            color=line.get_color(), linewidth=0.0,
        )  # fmt: skip
    last = float(curve.time.max()) if curve.time.size else 1.0
    periods = np.arange(0.0, np.ceil(last) + 1.0)
    for name, model in fitted.items():
        ax.plot(periods, np.asarray(model.survival(periods)), "--o", markersize=3, label=name)
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel("tenure (periods)" if curve.discrete else "tenure")
    ax.set_ylabel("share still subscribed")
    ax.set_title(f"Kaplan-Meier retention ({curve.level:.0%} band)")
    ax.legend()
    return ax


# ---------------------------------------------------------------------------- uplift: Qini curve

if TYPE_CHECKING:
    from relmark.economics.uplift import QiniCurve

__all__ += ["plot_qini"]


def plot_qini(curve: QiniCurve, *, ax: Axes | None = None) -> Axes:
    r"""Plot a Qini curve against random targeting, with the Qini coefficient in the title.

    Parameters
    ----------
    curve : QiniCurve
        From :func:`relmark.economics.uplift.qini_curve` or ``Uplift.qini``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        Two lines: the curve (``curve.fraction`` against ``curve.gain``, the
        incremental responders :math:`Q(k)`) and the random line, each in
        percent of customers targeted.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from relmark.economics.uplift import qini_curve
    >>> from relmark.plotting import plot_qini
    >>> ax = plot_qini(qini_curve([4, 3, 2, 1], [1, 0, 1, 0], [1, 0, 0, 1]))
    >>> ax.get_title()
    'Qini curve (coefficient 1.00)'
    """
    from relmark.economics.uplift import QiniCurve as _QiniCurve

    if not isinstance(curve, _QiniCurve):
        raise TypeError(f"`curve` must be a QiniCurve, got {type(curve).__name__}")
    ax = _axes(ax)
    percent = 100.0 * curve.fraction
    ax.plot(percent, curve.gain, "-", label="uplift score")
    ax.plot(percent, curve.random, ":", color="grey", label="random targeting")
    ax.set_xlabel("customers targeted (%, highest predicted uplift first)")
    ax.set_ylabel("incremental responders")
    ax.set_title(f"Qini curve (coefficient {curve.coefficient:.2f})")
    ax.legend()
    return ax


# -------------------------------------------------------------------- cohorts: heat map (H1)

if TYPE_CHECKING:
    from relmark.data.cohorts import CohortTable

__all__ += ["plot_cohort_heatmap"]

#: The most cells ``plot_cohort_heatmap(..., annotate=True)`` writes a number in.
_MAX_ANNOTATED = 2_500


def _cohort_labels(table: CohortTable, cohorts: np.ndarray) -> list[str]:
    """Return each cohort's label as the period reads (1997-01, 1997Q1, 1997, a date, a number)."""
    if not table.period.calendar:
        return [f"{float(value):g}" for value in cohorts]
    name = str(table.period.period)
    if name in ("M", "Y"):
        return [str(value) for value in cohorts.astype(f"datetime64[{name}]")]
    if name == "Q":
        months = cohorts.astype("datetime64[M]").view(np.int64)
        return [f"{1970 + m // 12}Q{m % 12 // 3 + 1}" for m in months.tolist()]
    resolution = {"D": "D", "W": "D", "h": "m", "min": "m", "s": "s"}[name]
    return [str(value) for value in cohorts.astype(f"datetime64[{resolution}]")]


def plot_cohort_heatmap(
    table: CohortTable,
    measure: str = "retention",
    *,
    group: object = None,
    annotate: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Plot a cohort x age heat map of one measure of a cohort table.

    Parameters
    ----------
    table : CohortTable
        From :func:`relmark.data.cohorts.cohort_table`.
    measure : str, default "retention"
        One of ``"acquired"``, ``"active"``, ``"retention"``, ``"revenue"``,
        ``"cumulative_revenue_per_customer"``, ``"survivors"``.
    group : optional
        The group to draw (required for a table with groups).
    annotate : bool, default False
        Write each observed cell's value in it (retention in percent); at
        most 2,500 cells.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One image whose array is ``table.matrix(measure, group)[2]`` with the
        cells not observed (after the table's ``end``) masked and drawn grey;
        one row per cohort (oldest at the top), one column per age.

    Raises
    ------
    TypeError
        If ``table`` is not a CohortTable.
    ValidationError
        As :meth:`~relmark.data.cohorts.CohortTable.matrix`, or for more
        than 2,500 cells with ``annotate``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from relmark.data.cohorts import cohort_table
    >>> from relmark.datasets import load_cdnow_sample
    >>> from relmark.plotting import plot_cohort_heatmap
    >>> ax = plot_cohort_heatmap(cohort_table(load_cdnow_sample(), period="M"))
    >>> ax.get_title(), ax.images[0].get_array().shape
    ('Retention by acquisition cohort', (3, 18))
    """
    from relmark.data.cohorts import CohortTable

    if not isinstance(table, CohortTable):
        raise TypeError(f"`table` must be a CohortTable, got {type(table).__name__}")
    if not isinstance(annotate, (bool, np.bool_)):
        raise TypeError(f"`annotate` must be True or False, got {type(annotate).__name__}")
    cohorts, ages, values = table.matrix(measure, group)
    observed = ~np.isnan(values)
    if annotate and int(observed.sum()) > _MAX_ANNOTATED:
        raise ValidationError(
            f"`annotate` writes one number per cell; at most {_MAX_ANNOTATED:,} cells are "
            f"supported, the map has {int(observed.sum()):,}: draw it without annotations",
            argument="annotate",
        )
    ax = _axes(ax)
    import matplotlib

    colours = matplotlib.colormaps["viridis"].with_extremes(bad="0.85")
    image = ax.imshow(
        np.ma.masked_invalid(values), aspect="auto", interpolation="nearest", cmap=colours
    )
    label = measure.replace("_", " ")
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set_yticks(np.arange(cohorts.size), _cohort_labels(table, cohorts))
    step = max(1, int(np.ceil(ages.size / 24)))  # at most about 24 age ticks
    ax.set_xticks(ages[::step])
    ax.set_xlabel(f"periods since acquisition ({table.period.name})")
    ax.set_ylabel("acquisition cohort")
    what = f"{label[0].upper()}{label[1:]} by acquisition cohort"
    ax.set_title(what if group is None else f"{what}: {group}")
    if annotate:
        low, high = np.nanmin(values), np.nanmax(values)
        middle = (low + high) / 2
        for row, column in zip(*np.nonzero(observed), strict=True):  # at most 2,500 cells
            value = float(values[row, column])
            text = f"{value:.0%}" if measure == "retention" else f"{value:,.4g}"
            ax.text(column, row, text, ha="center", va="center", fontsize=7,
                    color="black" if value > middle else "white")  # fmt: skip
    return ax
