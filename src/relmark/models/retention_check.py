r"""Contract models against the Kaplan–Meier curve on a holdout period.

:func:`compare_retention` censors subscribers' tenures at the end of a
calibration period, fits each contract model (the sBG, the
beta-discrete-Weibull, or any class with ``fit_individual``) to the censored
data, and checks each model's projected survival over the holdout periods
against the Kaplan–Meier curve of the full data and its band: the model-free
yardstick.  It also reports each model's fit (log-likelihood, AIC, BIC) and
what it implies for the business: the expected residual lifetime of the
subscribers active at the end of calibration and, given a value per
period, a new subscriber's value and the residual value of the active base.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    BoolArray,
    FloatArray,
    IntArray,
    as_amount,
    as_bool_array,
    as_float_array,
    as_level,
    as_model,
    as_periods,
    as_scalar,
    check_same_length,
    check_whole,
    fail_rows,
    readonly,
)
from relmark.data._tables import pandas_frame
from relmark.exceptions import ValidationError
from relmark.models.contracts import ContractModel
from relmark.models.kaplan_meier import RetentionCurve, kaplan_meier

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RetentionComparison", "compare_retention"]


def _floats(value: ArrayLike) -> FloatArray:
    return readonly(np.array(value, dtype=np.float64, copy=True))


def _floats_or_none(value: ArrayLike | None) -> FloatArray | None:
    return None if value is None else _floats(value)


def _flags(value: ArrayLike) -> BoolArray:
    return readonly(np.array(value, dtype=bool, copy=True))


def _ints(value: ArrayLike) -> IntArray:
    return readonly(np.array(value, dtype=np.int64, copy=True))


@attrs.frozen(kw_only=True, eq=False, repr=False)
class RetentionComparison:
    r"""Contract models fitted on a calibration, checked on the holdout: :func:`compare_retention`.

    Per-model attributes are arrays aligned with :attr:`names`.

    Attributes
    ----------
    names : tuple of str
        The models, as given (class names by default).
    models : tuple of ContractModel
        Each model fitted to the censored calibration data.
    calibration_periods : int
        Periods of the calibration: tenures were censored there.
    periods : ndarray, shape (h,)
        The holdout periods, ``calibration_periods + 1`` to the longest tenure.
    observed : RetentionCurve
        The Kaplan–Meier curve of the full (uncensored) data.
    km_survival, km_lower, km_upper : ndarray, shape (h,)
        Its survival and band at the holdout periods.
    projected : ndarray, shape (len(names), h)
        Each model's survival :math:`S(t)` at the holdout periods.
    n_parameters : ndarray of int64
        Parameters of each model.
    log_likelihood, aic, bic : ndarray
        On the calibration data: :math:`LL`, :math:`2k - 2LL`,
        :math:`k \ln n - 2LL` (``n`` subscribers).
    mean_abs_error, max_abs_error : ndarray
        Mean and largest :math:`|S(t) - \hat S_{KM}(t)|` over the holdout.
    share_inside : ndarray
        Share of the holdout periods where :math:`S(t)` lies in the band.
    inside_band : ndarray of bool
        Whether the projection stays inside the band over the whole holdout.
    residual_lifetime : ndarray
        Mean discounted expected residual lifetime (DERL, periods) of the
        subscribers active at the end of calibration, each at their tenure;
        ``inf`` where the model's expectation diverges (sBG with
        :math:`\alpha \le 1` and no discounting).
    subscriber_value : ndarray or None
        A new subscriber's expected discounted value (DEL times
        ``value_per_period``), with ``value_per_period``.
    base_value : ndarray or None
        Residual value of the subscribers active at the end of calibration
        (the sum of their DERL times ``value_per_period``).
    active : float
        Subscribers not seen to churn in the calibration (active at the end
        of their observation there).
    level : float
        Level of the Kaplan–Meier band.
    discount_rate : float
        Discount rate per period of the lifetimes and values.
    value_per_period : float or None
        Value (margin) per period paid.

    Examples
    --------
    See :func:`compare_retention`.
    """

    names: tuple[str, ...]
    models: tuple[ContractModel, ...]
    calibration_periods: int
    periods: FloatArray = attrs.field(converter=_floats)
    observed: RetentionCurve
    km_survival: FloatArray = attrs.field(converter=_floats)
    km_lower: FloatArray = attrs.field(converter=_floats)
    km_upper: FloatArray = attrs.field(converter=_floats)
    projected: FloatArray = attrs.field(converter=_floats)
    n_parameters: IntArray = attrs.field(converter=_ints)
    log_likelihood: FloatArray = attrs.field(converter=_floats)
    aic: FloatArray = attrs.field(converter=_floats)
    bic: FloatArray = attrs.field(converter=_floats)
    mean_abs_error: FloatArray = attrs.field(converter=_floats)
    max_abs_error: FloatArray = attrs.field(converter=_floats)
    share_inside: FloatArray = attrs.field(converter=_floats)
    inside_band: BoolArray = attrs.field(converter=_flags)
    residual_lifetime: FloatArray = attrs.field(converter=_floats)
    subscriber_value: FloatArray | None = attrs.field(converter=_floats_or_none)
    base_value: FloatArray | None = attrs.field(converter=_floats_or_none)
    active: float
    level: float
    discount_rate: float
    value_per_period: float | None

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return (
            f"RetentionComparison({', '.join(self.names)}; calibration "
            f"{self.calibration_periods} periods, holdout {self.periods.size})"
        )

    def model(self, name: str) -> ContractModel:
        """Return the fitted model called ``name``.

        Raises
        ------
        ValidationError
            If no model has that name.
        """
        if name not in self.names:
            raise ValidationError(
                f"`name` must be one of {', '.join(map(repr, self.names))}, got {name!r}",
                argument="name",
            )
        return self.models[self.names.index(name)]

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return one row per model: its fit, holdout errors, band check and values.

        Examples
        --------
        See :func:`compare_retention`.
        """
        columns: dict[str, NDArray[Any]] = {
            "model": np.array(self.names, dtype=object),
            "n_parameters": self.n_parameters,
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            "mean_abs_error": self.mean_abs_error,
            "max_abs_error": self.max_abs_error,
            "share_inside": self.share_inside,
            "inside_band": self.inside_band,
            "residual_lifetime": self.residual_lifetime,
        }
        if self.subscriber_value is not None and self.base_value is not None:
            columns["subscriber_value"] = self.subscriber_value
            columns["base_value"] = self.base_value
        return columns

    def to_pandas(self) -> pd.DataFrame:
        """Return :meth:`to_dict` as a pandas DataFrame indexed by ``model``.

        Raises
        ------
        ImportError
            If pandas is not installed.
        """
        frame: pd.DataFrame = pandas_frame(self.to_dict(), owner=type(self).__name__)
        indexed: pd.DataFrame = frame.set_index("model")
        return indexed

    def projection_table(self) -> dict[str, FloatArray]:
        """Return the holdout period by period: Kaplan–Meier, its band, each model's projection.

        Returns
        -------
        dict of str to ndarray
            ``period``, ``km_survival``, ``km_lower``, ``km_upper``, then one
            column per model name.
        """
        table = {
            "period": self.periods,
            "km_survival": self.km_survival,
            "km_lower": self.km_lower,
            "km_upper": self.km_upper,
        }
        table.update({name: self.projected[i] for i, name in enumerate(self.names)})
        return table

    def __str__(self) -> str:
        first, last = int(self.periods[0]), int(self.periods[-1])
        head = (
            f"Retention check: calibration periods 1-{self.calibration_periods}, holdout "
            f"{first}-{last}, against Kaplan-Meier with its {self.level:.0%} band\n"
        )
        width = max(12, *(len(name) for name in self.names))
        valued = self.subscriber_value is not None and self.base_value is not None
        title = (
            f"{'model':<{width}} {'k':>2} {'log-lik':>10} {'AIC':>10} {'BIC':>10} "
            f"{'MAE':>7} {'max err':>7} {'in band':>7} {'DERL':>7}"
            + (f" {'value':>10} {'base value':>12}" if valued else "")
        )
        lines = [head + title]
        for i, name in enumerate(self.names):
            band = "yes" if self.inside_band[i] else f"{self.share_inside[i]:.0%}"
            row = (
                f"{name:<{width}} {self.n_parameters[i]:>2d} {self.log_likelihood[i]:>10.2f} "
                f"{self.aic[i]:>10.2f} {self.bic[i]:>10.2f} {self.mean_abs_error[i]:>7.4f} "
                f"{self.max_abs_error[i]:>7.4f} {band:>7} {self.residual_lifetime[i]:>7.3g}"
            )
            if self.subscriber_value is not None and self.base_value is not None:
                row += f" {self.subscriber_value[i]:>10.4g} {self.base_value[i]:>12.4g}"
            lines.append(row)
        lines.append(
            f"({self.active:g} subscribers active at the end of calibration; discount rate "
            f"{self.discount_rate:g} per period)"
        )
        return "\n".join(lines)


def _default_models() -> dict[str, Any]:
    """Return the sBG and the beta-discrete-Weibull, imported only when called."""
    from relmark.models.beta_discrete_weibull import BetaDiscreteWeibull
    from relmark.models.shifted_beta_geo import ShiftedBetaGeo

    return {"ShiftedBetaGeo": ShiftedBetaGeo, "BetaDiscreteWeibull": BetaDiscreteWeibull}


def _check_models(models: object) -> dict[str, Any]:
    if models is None:
        return _default_models()
    if isinstance(models, Mapping):
        pairs = list(models.items())
        for name, _ in pairs:
            if not isinstance(name, str) or not name.strip():
                raise TypeError(f"`models` names must be non-empty strings, got {name!r}")
    elif isinstance(models, Sequence) and not isinstance(models, str):
        pairs = [(getattr(model, "__name__", type(model).__name__), model) for model in models]
    else:
        raise TypeError(
            "`models` must be a sequence of contract model classes or a mapping of names to "
            f"them, got {type(models).__name__}"
        )
    if not pairs:
        raise ValidationError("`models` is empty: give at least one model", argument="models")
    names = [name for name, _ in pairs]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValidationError(
            f"`models` has two models named {twice[0]!r}: give a mapping of names to models",
            argument="models",
        )
    for name, model in pairs:
        if not isinstance(model, type) or not callable(getattr(model, "fit_individual", None)):
            raise TypeError(
                f"`models` must hold contract model classes with a fit_individual() "
                f"classmethod (ShiftedBetaGeo, ...); {name!r} is {type(model).__name__}"
            )
    return dict(pairs)


def compare_retention(
    tenure: ArrayLike,
    churned: ArrayLike,
    *,
    calibration_periods: int,
    models: Sequence[type] | Mapping[str, type] | None = None,
    level: float = 0.9,
    value_per_period: float | None = None,
    discount_rate: float = 0.0,
) -> RetentionComparison:
    r"""Fit contract models on a calibration period; check their projections against Kaplan–Meier.

    Parameters
    ----------
    tenure : array_like, shape (n,)
        Whole periods observed, as in :meth:`relmark.ShiftedBetaGeo.fit_individual`:
        for a churned subscriber the period of churn (>= 1), for an active
        one the periods completed.
    churned : array_like of bool, shape (n,)
        Whether each subscriber has churned.
    calibration_periods : int
        Periods the models see (>= 1): every tenure is censored there (a
        churn after it is not seen, a longer tenure is cut to it), as if
        observation had stopped after that many periods of a cohort.
    models : sequence of classes, or mapping of name to class, optional
        Contract model classes with ``fit_individual(tenure, churned)``
        returning a :class:`~relmark.models.ContractModel` with
        ``fit_info``.  Default: :class:`~relmark.ShiftedBetaGeo` and the
        beta-discrete-Weibull.
    level : float, default 0.9
        Level of the Kaplan–Meier band, in (0, 1).
    value_per_period : float, optional
        Margin a subscriber pays per period (>= 0): adds each model's
        ``subscriber_value`` and ``base_value``.
    discount_rate : float, default 0
        Discount rate per period (>= 0) of the lifetimes and values.

    Returns
    -------
    RetentionComparison

    Raises
    ------
    TypeError
        For a ``models`` entry that is not a class with ``fit_individual``,
        or a fitted model that is not a ContractModel.
    ValidationError
        For tenures that are negative, fractional or 0 for a churned
        subscriber, lengths that differ, ``calibration_periods`` < 1 or not
        shorter than the longest tenure (no holdout), nobody churned in the
        calibration, and out-of-range options.
    ConvergenceError
        If a model's fit fails.

    Notes
    -----
    With :math:`C` = ``calibration_periods``, subscriber :math:`i` enters the
    fits with tenure :math:`\min(t_i, C)`, churned only if :math:`t_i \le C`.
    Over the holdout :math:`t = C + 1, \dots, \max_i t_i`, each model's
    :math:`S(t)` is compared with the Kaplan–Meier :math:`\hat S(t)` of the
    full data and its log(-log) band (:func:`~relmark.models.kaplan_meier.kaplan_meier`).
    The active subscribers at the end of calibration, each with tenure
    :math:`s_i`, have residual lifetime :math:`\mathrm{DERL}(d \mid s_i)`
    and value :math:`m\,\mathrm{DERL}(d \mid s_i)`, and a new subscriber is
    worth :math:`m\,\mathrm{DEL}(d)`, by
    :func:`relmark.subscriber_lifetime_value`.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer
    retention. *Journal of Interactive Marketing*, 21(1), 76-90 (the
    calibration on years 1-7, projection to year 12).

    Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T.
    (2018). "How to project customer retention" revisited: the role of
    duration dependence. *Journal of Interactive Marketing*, 43, 1-16.

    Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
    contractual setting: the perils of ignoring heterogeneity. *Marketing
    Science*, 29(1), 85-93.

    Examples
    --------
    The regular cohort of Fader & Hardie (2007, Table 1), calibration on
    years 1-7, holdout years 8-12:

    >>> import relmark
    >>> from relmark.models.kaplan_meier import tenures_from_survivors
    >>> from relmark.models.retention_check import compare_retention
    >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
    >>> tenure, churned = tenures_from_survivors(regular)
    >>> check = compare_retention(
    ...     tenure, churned, calibration_periods=7, models=[relmark.ShiftedBetaGeo],
    ...     value_per_period=100.0, discount_rate=0.1,
    ... )
    >>> sbg = check.model("ShiftedBetaGeo")
    >>> round(sbg.alpha, 3), round(sbg.beta, 3)
    (0.704, 1.182)
    >>> check.periods.tolist()
    [8.0, 9.0, 10.0, 11.0, 12.0]
    >>> check.km_survival.tolist()   # Table 1, years 8-12
    [0.223, 0.207, 0.194, 0.183, 0.173]
    >>> check.projected[0].round(3).tolist()
    [0.22, 0.204, 0.191, 0.18, 0.17]
    >>> bool(check.inside_band[0]), round(float(check.max_abs_error[0]), 4)
    (True, 0.0031)
    >>> round(float(check.subscriber_value[0]), 2)   # 100 x DEL(10 %)
    369.49
    """
    t = as_float_array("tenure", tenure, nonnegative=True, noun="subscribers")
    check_whole("tenure", t, noun="subscribers")
    c = as_bool_array("churned", churned, noun="subscribers")
    n = check_same_length({"tenure": t, "churned": c})
    if n == 0:
        raise ValidationError("`tenure` is empty: give at least one subscriber", argument="tenure")
    fail_rows(
        "tenure",
        "must be >= 1 for subscribers who churned (they churn in period 1 at the earliest)",
        c & (t < 1),
        t,
        noun="subscribers",
    )
    calibration = as_periods("calibration_periods", calibration_periods, minimum=1)
    longest = float(t.max())
    if longest <= calibration:
        raise ValidationError(
            f"`calibration_periods` must be shorter than the longest tenure ({longest:g}) to "
            f"leave a holdout, got {calibration}",
            argument="calibration_periods",
        )
    as_level(level)
    value = as_amount("value_per_period", value_per_period, optional=True)
    rate = as_scalar("discount_rate", discount_rate, low=0.0)
    classes = _check_models(models)

    seen = np.minimum(t, float(calibration))
    seen_churn = c & (t <= calibration)
    if not seen_churn.any():
        raise ValidationError(
            f"nobody churned in the {calibration} calibration periods: the models cannot be fitted",
            argument="calibration_periods",
        )
    observed = kaplan_meier(t, c, level=level, discrete=True)
    periods = np.arange(calibration + 1.0, longest + 1.0)
    rows = periods.astype(np.int64) - 1  # the discrete curve has a row per period 1..longest
    km, lower, upper = observed.survival[rows], observed.lower[rows], observed.upper[rows]
    active_tenure, active_count = np.unique(seen[~seen_churn], return_counts=True)

    # imported here: relmark.economics imports relmark.models (no cycle at import time)
    from relmark.economics.clv import subscriber_lifetime_value

    fitted: list[ContractModel] = []
    stats: dict[str, list[float]] = {
        key: []
        for key in (
            "k", "ll", "aic", "bic", "mae", "max", "share", "derl", "value", "base"
        )
    }  # fmt: skip
    projections = []
    for name, kind in classes.items():  # a handful of models, not subscribers
        model = as_model(f"models[{name!r}]", kind.fit_individual(seen, seen_churn), ContractModel)
        info = getattr(model, "fit_info", None)
        if info is None:
            raise TypeError(f"{name}.fit_individual() must return a model with `fit_info`")
        projected = np.asarray(model.survival(periods), dtype=np.float64)
        error = np.abs(projected - km)
        within = (projected >= lower) & (projected <= upper)
        derl = np.asarray(model.expected_residual_lifetime(active_tenure, rate), dtype=np.float64)
        count = float(active_count.sum())
        stats["k"].append(float(info.n_parameters))
        stats["ll"].append(float(info.log_likelihood))
        stats["aic"].append(float(info.aic))
        stats["bic"].append(float(info.bic))
        stats["mae"].append(float(error.mean()))
        stats["max"].append(float(error.max()))
        stats["share"].append(float(within.mean()))
        stats["derl"].append(float(derl @ active_count) / count)  # count > 0: a holdout exists
        if value is not None:  # a value of 0 is worth 0 even over an infinite lifetime
            new_one = (
                subscriber_lifetime_value(model, margin=value, discount_rate=rate) if value else 0
            )
            stats["value"].append(float(new_one))
            stats["base"].append(value * float(derl @ active_count) if value else 0.0)
        fitted.append(model)
        projections.append(projected)
    share = np.array(stats["share"])
    return RetentionComparison(
        names=tuple(classes),
        models=tuple(fitted),
        calibration_periods=calibration,
        periods=periods,
        observed=observed,
        km_survival=km,
        km_lower=lower,
        km_upper=upper,
        projected=np.vstack(projections),
        n_parameters=np.array(stats["k"]),
        log_likelihood=stats["ll"],
        aic=stats["aic"],
        bic=stats["bic"],
        mean_abs_error=stats["mae"],
        max_abs_error=stats["max"],
        share_inside=share,
        inside_band=share == 1.0,
        residual_lifetime=stats["derl"],
        subscriber_value=None if value is None else stats["value"],
        base_value=None if value is None else stats["base"],
        active=float(active_count.sum()),
        level=float(level),
        discount_rate=rate,
        value_per_period=value,
    )
