"""Prediction intervals for customer-base models: every customer's scores and their totals.

:func:`prediction_intervals` is :func:`relmark.score` with bands: the same
summary, models and CLV options, and for each of ``probability_alive``,
``expected_purchases``, ``expected_spend`` and ``clv`` an interval per
customer, plus intervals for the total expected purchases and the customer
equity (the sum of the CLVs).  :func:`interval` gives the band of any other
prediction of one fitted model.

How the work stays small:

- the customers are grouped into their distinct rows once: ``(x, t_x, T)``
  for the purchase model, ``(x, m_x)`` for the spend model, ``(x, t_x, T,
  m_x)`` for the CLV, which needs both;
- a bootstrap draw resamples customers as multinomial counts over the
  distinct rows and refits on the rows drawn, warm-started at the full-data
  estimate (a few optimiser steps instead of a cold fit);
- predictions are evaluated per draw on distinct rows only, in chunks of
  rows, each chunk's ``(n_draws, rows)`` block reduced to bounds at once;
  the bounds are then gathered back to customers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import NDArray

from relmark._validation import (
    FloatArray,
    IntArray,
    as_choice,
    as_flag,
    as_instance,
    as_rng,
    check_size,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.data._keys import distinct_rows
from relmark.data._tables import KEY, PerCustomerTable, pandas_frame
from relmark.data.summary import CustomerSummary
from relmark.economics.clv import ClvOptions, clv_options, discounted_purchases
from relmark.economics.scores import ModelClass
from relmark.exceptions import ValidationError
from relmark.models._base import Model, SummaryModel
from relmark.models.contracts import PurchaseModel, SpendModel
from relmark.uncertainty._core import (
    _CHUNK_CELLS,
    MAX_CELLS,
    MAX_KEPT_CELLS,
    Band,
    BandAccumulator,
    Method,
    Scale,
    bootstrap_thetas,
    check_level,
    check_n_draws,
    delta_band,
    draws_band,
    newton_refit,
    one_blas_thread,
    ordered_map,
    thread_count,
)

if TYPE_CHECKING:  # pandas is optional: imported only to type to_pandas
    import pandas as pd

    from relmark.data.covariates import Covariates

__all__ = ["Intervals", "interval", "prediction_intervals"]

#: The per-customer quantities, in the order of :meth:`Intervals.to_dict`.
QUANTITIES = ("probability_alive", "expected_purchases", "expected_spend", "clv")
#: The totals over customers.
TOTALS = ("total_expected_purchases", "customer_equity")
# the scale on which each quantity's interval (delta method and bootstrap) is symmetric
_SCALES: dict[str, Scale] = {
    "probability_alive": "logit",
    "expected_purchases": "log",
    "expected_spend": "log",
    "clv": "log",
    "total_expected_purchases": "log",
    "customer_equity": "log",
}


def _bands(value: Mapping[str, Band]) -> dict[str, Band]:
    return dict(value)


def _customer_id(value: NDArray[Any] | None) -> NDArray[Any] | None:
    return None if value is None else readonly(np.array(value, copy=True).reshape(-1))


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Intervals(PerCustomerTable):
    r"""Bands for every customer's scores and their totals, from :func:`prediction_intervals`.

    Attributes
    ----------
    bands : dict of str to Band
        Per customer, aligned with the summary's rows (shape ``(n,)``):
        ``probability_alive``, ``expected_purchases`` and, with a spend
        model, ``expected_spend`` and ``clv``.
    totals : dict of str to Band
        Over all customers (shape ``()``, weighted by the summary's
        ``weights``): ``total_expected_purchases`` and, with a spend model,
        ``customer_equity`` (the sum of the CLVs).  A bootstrap total's
        ``draws`` are always kept (one value per draw).
    level : float
        The nominal coverage of every band.
    method : {"bootstrap", "delta"}
        How the bands were computed.
    n_draws : int or None
        Bootstrap draws asked for (None for the delta method).
    n_failed : int
        Bootstrap refits that failed and were left out (0 for the delta
        method); a :class:`~relmark.uncertainty.BootstrapWarning` said so.
    customer_id : ndarray or None
        The summary's customer ids, when it has them.
    purchase_model : PurchaseModel
        The fitted purchase model the estimates come from.
    spend_model : SpendModel or None
        The fitted spend model, likewise.
    horizon, discount_rate, margin, step : float
        The options of :func:`relmark.score`, in the summary's time unit.
    unit : str or None
        The summary's time unit.

    Notes
    -----
    The bands are for the models' *expected values* (the numbers
    :func:`relmark.score` reports) and say how sure the estimate of each
    is given the data the models were fitted to: they do not include the
    randomness of a customer's future purchases around that expectation.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> from relmark.uncertainty import interval, prediction_intervals
    >>> summary = cdnow_sample_summary()
    >>> bands = prediction_intervals(summary, relmark.BetaGeo, horizon=39.0,
    ...                                      method="delta")
    >>> bands
    Intervals(2,357 customers, 90% delta; probability_alive, expected_purchases)
    >>> total = bands["total_expected_purchases"]
    >>> round(float(total.lower)), round(float(total.estimate)), round(float(total.upper))
    (1536, 1653, 1780)
    >>> list(bands.to_dict())[:4]
    ['customer_id', 'probability_alive', 'probability_alive_lower', 'probability_alive_upper']
    """

    bands: dict[str, Band] = attrs.field(converter=_bands)
    totals: dict[str, Band] = attrs.field(converter=_bands)
    level: float
    method: str
    n_draws: int | None
    n_failed: int = 0
    customer_id: NDArray[Any] | None = attrs.field(default=None, converter=_customer_id)
    purchase_model: PurchaseModel
    spend_model: SpendModel | None = None
    horizon: float
    discount_rate: float = 0.0
    margin: float = 1.0
    step: float = 1.0
    unit: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    def __len__(self) -> int:
        return int(self.bands["probability_alive"].estimate.size)

    @property
    def names(self) -> tuple[str, ...]:
        """The quantities with a band: per customer first, then the totals."""
        return (*self.bands, *self.totals)

    def __getitem__(self, name: str) -> Band:
        """Return the band of one quantity (per customer or a total), by name.

        Raises
        ------
        KeyError
            Naming the quantities there are.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> from relmark.uncertainty import prediction_intervals
        >>> bands = prediction_intervals(cdnow_sample_summary(), relmark.BetaGeo,
        ...                                      horizon=39.0, method="delta")
        >>> bands["expected_purchases"].estimate.shape
        (2357,)
        """
        found = self.bands.get(name, self.totals.get(name))
        if found is None:
            raise KeyError(f"no band {name!r}; the bands are {', '.join(map(repr, self.names))}")
        return found

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the per-customer bands as plain columns: each quantity, its lower and upper bound.

        Returns
        -------
        dict of str to ndarray
            ``customer_id`` (when known), then ``q``, ``q_lower``, ``q_upper``
            for each quantity ``q`` of :attr:`bands`.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> from relmark.uncertainty import prediction_intervals
        >>> bands = prediction_intervals(cdnow_sample_summary(), relmark.BetaGeo, horizon=39.0,
        ...                              method="delta")
        >>> columns = bands.to_dict()
        >>> columns["customer_id"][:2].tolist()
        [1, 2]
        >>> columns["expected_purchases_upper"][:2].round(3).tolist()
        [1.303, 0.241]
        """
        columns: dict[str, NDArray[Any]] = {}
        if self.customer_id is not None:
            columns[KEY] = self.customer_id
        for name, band in self.bands.items():
            columns[name] = band.estimate
            columns[f"{name}_lower"] = band.lower
            columns[f"{name}_upper"] = band.upper
        return columns

    def totals_to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the totals as columns ``quantity``, ``estimate``, ``lower``, ``upper``.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> from relmark.uncertainty import prediction_intervals
        >>> bands = prediction_intervals(cdnow_sample_summary(), relmark.BetaGeo,
        ...                                      horizon=39.0, method="delta")
        >>> bands.totals_to_dict()["quantity"].tolist()
        ['total_expected_purchases']
        """
        totals = list(self.totals.values())
        return {
            "quantity": np.array([band.name for band in totals]),
            "estimate": np.array([float(band.estimate) for band in totals]),
            "lower": np.array([float(band.lower) for band in totals]),
            "upper": np.array([float(band.upper) for band in totals]),
        }

    def totals_to_pandas(self) -> pd.DataFrame:
        """Return the totals as a pandas DataFrame indexed by ``quantity``.

        Raises
        ------
        ImportError
            If pandas is not installed.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> from relmark.uncertainty import prediction_intervals
        >>> bands = prediction_intervals(cdnow_sample_summary(), relmark.BetaGeo,
        ...                                      horizon=39.0, method="delta")
        >>> bands.totals_to_pandas().columns.tolist()
        ['estimate', 'lower', 'upper']
        """
        columns = self.totals_to_dict()
        frame: pd.DataFrame = pandas_frame(columns, owner="Intervals").set_index("quantity")
        return frame

    def __repr__(self) -> str:
        failed = f", {self.n_failed} failed" if self.n_failed else ""
        draws = f" of {self.n_draws:,} draws{failed}" if self.n_draws is not None else ""
        return (
            f"Intervals({len(self):,} customers, {self.level:.0%} {self.method}{draws}; "
            f"{', '.join(self.bands)})"
        )


# --------------------------------------------------------------------------- distinct rows


@attrs.frozen
class _Layout:
    """The summary's distinct rows for each kind of prediction, and how they map to customers.

    ``joint`` rows are distinct ``(x, t_x, T[, m])``, sorted so that each
    purchase row's joint rows are contiguous; ``purchase`` rows are distinct
    ``(x, t_x, T)``; ``spend`` rows distinct ``(x, m)``, ``spend_fit`` the
    ones with ``x > 0`` and ``m > 0`` that a spend model is fitted to.
    """

    customer_row: IntArray  # customer -> joint row
    joint_weights: FloatArray
    joint_purchase: IntArray  # joint row -> purchase row (non-decreasing)
    joint_spend: IntArray | None  # joint row -> spend row
    purchase: CustomerSummary
    spend: CustomerSummary | None
    spend_fit: IntArray | None  # the spend rows a spend model is fitted to

    @classmethod
    def of(cls, summary: CustomerSummary, *, spend: bool) -> _Layout:
        x, t_x, T, w = summary.frequency, summary.recency, summary.T, summary.weights
        # covariates belong to the rows: customers alike in history but not in them stay apart
        covariates = () if summary.covariates is None else tuple(summary.covariates.values.T)
        first_p, purchase_of = distinct_rows(x, t_x, T, *covariates)
        purchase = _rows(summary, first_p, np.bincount(purchase_of, w, first_p.size).astype(float))
        if not spend:
            return cls(
                purchase_of, purchase.weights, np.arange(first_p.size), None, purchase, None, None
            )
        m = summary.monetary_value
        assert m is not None  # checked at the entry
        first_j, joint_of = distinct_rows(purchase_of.astype(np.float64), m)
        order = np.argsort(purchase_of[first_j], kind="stable")  # purchase rows contiguous
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        first_j, joint_of = first_j[order], rank[joint_of]
        first_s, spend_of = distinct_rows(x[first_j], m[first_j], *(c[first_j] for c in covariates))
        spend_rows = first_j[first_s]
        joint_weights = np.bincount(joint_of, w, first_j.size).astype(np.float64)
        spend_summary = CustomerSummary._trusted(
            frequency=readonly(x[spend_rows]),
            recency=readonly(np.zeros(spend_rows.size)),
            T=readonly(np.zeros(spend_rows.size)),
            monetary_value=readonly(m[spend_rows]),
            weights=readonly(np.bincount(spend_of, joint_weights, first_s.size).astype(np.float64)),
            unit=summary.unit,
            covariates=_covariates_of(summary, spend_rows),
        )
        fit = np.flatnonzero((x[spend_rows] > 0) & (m[spend_rows] > 0))
        return cls(
            joint_of, joint_weights, purchase_of[first_j], spend_of, purchase, spend_summary, fit
        )

    @property
    def n_joint(self) -> int:
        return int(self.joint_weights.size)

    def purchase_weights(self, joint: FloatArray) -> FloatArray:
        """Return the purchase rows' counts for counts over the joint rows."""
        return np.bincount(self.joint_purchase, joint, len(self.purchase)).astype(np.float64)

    def spend_weights(self, joint: FloatArray) -> FloatArray:
        """Return the spend-fit rows' counts for counts over the joint rows."""
        assert self.joint_spend is not None and self.spend is not None
        assert self.spend_fit is not None
        counts = np.bincount(self.joint_spend, joint, len(self.spend)).astype(np.float64)
        return counts[self.spend_fit]

    def chunks(self, rows_per_chunk: int) -> Iterator[tuple[slice, slice]]:
        """Yield (joint rows, purchase rows) chunks, cut where a purchase row ends."""
        ends = np.flatnonzero(np.diff(self.joint_purchase)) + 1  # first joint row of a new one
        start = 0
        while start < self.n_joint:
            stop = start + rows_per_chunk
            if stop >= self.n_joint:
                stop = self.n_joint
            else:
                after = ends[np.searchsorted(ends, stop) :]  # never split a purchase row
                stop = int(after[0]) if after.size else self.n_joint
            first = int(self.joint_purchase[start])
            last = int(self.joint_purchase[stop - 1]) + 1
            yield slice(start, stop), slice(first, last)
            start = stop


def _rows(summary: CustomerSummary, index: IntArray, weights: FloatArray) -> CustomerSummary:
    """Return the rows ``index`` of ``summary`` (no monetary value, no ids) with ``weights``."""
    return CustomerSummary._trusted(
        frequency=readonly(summary.frequency[index]),
        recency=readonly(summary.recency[index]),
        T=readonly(summary.T[index]),
        weights=readonly(np.asarray(weights, dtype=np.float64)),
        unit=summary.unit,
        covariates=_covariates_of(summary, index),
    )


def _covariates_of(summary: CustomerSummary, index: NDArray[Any] | slice) -> Covariates | None:
    """Return the covariates of the rows ``index`` of ``summary`` (None without any)."""
    return None if summary.covariates is None else summary.covariates.subset(index)


def _part(
    rows: CustomerSummary, index: slice | NDArray[np.intp | np.int64 | np.bool_]
) -> CustomerSummary:
    """Return some of ``rows`` (trusted: they were checked as a whole)."""
    return CustomerSummary._trusted(
        frequency=rows.frequency[index],
        recency=rows.recency[index],
        T=rows.T[index],
        monetary_value=None if rows.monetary_value is None else rows.monetary_value[index],
        weights=rows.weights[index],
        unit=rows.unit,
        covariates=_covariates_of(rows, index),
    )


# --------------------------------------------------------------------------- the models


def _rebuilt(model: Model, theta: FloatArray) -> Any:
    """Return ``model`` with parameters ``theta`` (in its ``params`` order) and no fit record."""
    return model._with_theta(theta)


def _refitter(model: Model, rows: CustomerSummary) -> Callable[[FloatArray], FloatArray]:
    """Return ``weights -> theta``: ``model``'s class refitted to ``rows`` reweighted.

    A model fitted by maximum likelihood is refitted by Newton steps from its
    estimate with its fit's curvature (:func:`~relmark.uncertainty.newton_refit`),
    on its objective over ``rows`` tabulated once for every draw
    (``_reweighting``); should those steps not settle, by the shared optimiser
    from the same start, which finds the maximum or raises
    :class:`~relmark.ConvergenceError`.  Other models (a closed-form fit) are
    refitted by their ``fit`` on the rows drawn.
    """
    cls = type(model)
    info = model.fit_info
    if not isinstance(model, SummaryModel) or info is None:

        def closed_form(weights: FloatArray) -> FloatArray:
            refitted: Model = getattr(cls, "fit")(rows._drawn(weights))  # noqa: B009
            return refitted._theta

        return closed_form
    objective_at = model._reweighting(rows)

    def refit(weights: FloatArray) -> FloatArray:
        objective = objective_at(weights)
        theta = newton_refit(objective, model._theta, info.log_covariance)
        if theta is not None:
            return theta
        drawn = rows._drawn(weights)
        fitted = cls._maximize(
            objective,
            start=model.params,
            scales=type(model)._scales(drawn),
            n_customers=drawn.n_customers,
            n_rows=len(drawn),
            explain=lambda: type(model)._explain(drawn),
            effects=model.effects,
        )
        return fitted._theta

    return refit


@attrs.frozen
class _Models:
    """The fitted purchase model and optionally the spend model, as one parameter vector."""

    purchase: Model
    spend: Model | None

    @property
    def theta(self) -> FloatArray:
        parts = [self.purchase._theta] + ([] if self.spend is None else [self.spend._theta])
        return np.concatenate(parts)

    @property
    def split(self) -> int:
        return int(self.purchase._theta.size)

    def at(self, theta: FloatArray) -> tuple[Any, Any]:
        """Return the models at parameters ``theta`` (purchase first, then spend)."""
        purchase = _rebuilt(self.purchase, theta[: self.split])
        spend = None if self.spend is None else _rebuilt(self.spend, theta[self.split :])
        return purchase, spend

    def log_covariance(self) -> FloatArray:
        """Return the joint covariance of the log-parameters: block diagonal.

        The purchase and spend models are fitted separately, and by the
        models' assumption (spend independent of the purchase process) their
        likelihoods are independent, so their estimates are uncorrelated.
        """
        blocks = [_fit_covariance("purchase_model", self.purchase)]
        if self.spend is not None:
            blocks.append(_fit_covariance("spend_model", self.spend))
        size = sum(block.shape[0] for block in blocks)
        joint = np.zeros((size, size))
        at = 0
        for block in blocks:
            k = block.shape[0]
            joint[at : at + k, at : at + k] = block
            at += k
        return joint


def _fit_covariance(name: str, model: Model) -> FloatArray:
    info = model.fit_info
    if info is None:
        raise ValidationError(
            f"`{name}` {type(model).__name__} has no fit record (fit_info), so no covariance for "
            "the delta method; fit it by maximum likelihood, pass its class, or use "
            "method='bootstrap'"
        )
    covariance: FloatArray = info.log_covariance
    return covariance


def _fitted(name: str, model: Any, kind: type[Any], rows: CustomerSummary, what: str) -> Model:
    """Return ``model`` checked to be fitted to ``rows``, or the class fitted to them."""
    if isinstance(model, type):
        if not (issubclass(model, Model) and callable(getattr(model, "fit", None))):
            raise TypeError(
                f"`{name}` must be a relmark model or model class, got {model.__name__}"
            )
        fit: Callable[[CustomerSummary], object] = getattr(model, "fit")  # noqa: B009
        return as_instance(f"{name}.fit()", fit(rows), Model)
    if not isinstance(model, Model):
        raise TypeError(
            f"`{name}` must be a fitted relmark model (it is refitted or its covariance used), "
            f"got {type(model).__name__}"
        )
    if not isinstance(model, kind):
        raise TypeError(f"`{name}` must be a {kind.__name__}, got {type(model).__name__}")
    fitted: Model = model
    info = fitted.fit_info
    if info is None:
        raise ValidationError(
            f"`{name}` {type(model).__name__} is not fitted (its fit_info is None): intervals "
            "need the model fitted to these customers; pass its class to fit it here"
        )
    if isinstance(model, SummaryModel):
        type(model)._fit_rows(rows)  # the model's own checks of the data
    if not np.isclose(info.n_customers, rows.n_customers, rtol=1e-9, atol=0.0):
        raise ValidationError(
            f"`{name}` {type(model).__name__} was fitted to {info.n_customers:,.0f} customers, "
            f"but `summary` has {rows.n_customers:,.0f} {what}: intervals need the model "
            "fitted to these customers (pass its class to fit it here)"
        )
    return fitted


# --------------------------------------------------------------------------- the public API


def prediction_intervals(
    summary: CustomerSummary,
    purchase_model: PurchaseModel | ModelClass[PurchaseModel],
    spend_model: SpendModel | ModelClass[SpendModel] | None = None,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    step: float = 1.0,
    method: Method = "bootstrap",
    level: float = 0.9,
    n_draws: int = 200,
    rng: np.random.Generator | int | None = None,
    keep_draws: bool = False,
) -> Intervals:
    r"""Return intervals for every customer's scores and for their totals.

    The scores are those of :func:`relmark.score`, with the same arguments:
    each customer's probability of being alive, expected purchases over
    ``horizon`` and, with a spend model, expected spend per purchase and
    CLV; and the totals over customers: expected purchases and customer
    equity (the sum of the CLVs).

    Parameters
    ----------
    summary : CustomerSummary
        The customers the models are fitted to (with ``monetary_value`` for
        a spend model).
    purchase_model : PurchaseModel or model class
        A purchase model fitted to ``summary`` (``BetaGeo.fit(summary)``),
        or its class, fitted here.
    spend_model : SpendModel or model class, optional
        A spend model fitted to the repeat buyers with positive spend
        (``GammaGamma.fit(summary)``), or its class, fitted here.  None: no
        spend and no CLV.
    horizon : float
        How far ahead, in the summary's time unit (> 0).
    discount_rate : float, default 0
        Discount rate per ``step`` (>= 0), for the CLV.
    margin : float, default 1
        Share of spend kept as margin, in [0, 1], for the CLV.
    step : float, default 1
        Length of a discounting period, in the summary's unit (> 0).
    method : {"bootstrap", "delta"}, default "bootstrap"
        ``"bootstrap"``: refit the models on ``n_draws`` resamples of the
        customers and take normal intervals with the draws' bias and
        standard deviation, on the log or logit scale.  ``"delta"``: propagate the
        fits' covariance to first order (see Notes and the guide "How sure
        are we?" for which to use when).
    level : float, default 0.9
        Nominal coverage of every interval, in (0, 1).
    n_draws : int, default 200
        Bootstrap draws (2 to 100,000); ignored by the delta method.
    rng : numpy.random.Generator, int or None
        Randomness of the bootstrap; the same seed gives the same intervals.
    keep_draws : bool, default False
        Keep every draw's per-customer predictions in ``Band.draws``
        (bootstrap only; at most 10^8 values in all).

    Returns
    -------
    Intervals
        Per-customer bands aligned with ``summary``'s rows, keyed by its
        ``customer_id``, and the totals.

    Raises
    ------
    TypeError
        If ``summary`` is not a CustomerSummary, a model is not a relmark
        model of its kind (or class), or an option has the wrong type.
    ValidationError
        For options out of range (``level`` not in (0, 1), ``n_draws`` < 2 or
        too many, more than 10^9 draw-by-row evaluations), a model not
        fitted or fitted to other customers, a spend model without
        ``summary.monetary_value``, and for what the models refuse.
    ConvergenceError
        If fewer than 2 bootstrap refits succeed.

    Warns
    -----
    BootstrapWarning
        When some refits fail: they are left out, and counted in
        ``Intervals.n_failed``.

    Notes
    -----
    **Bootstrap.**  Each draw resamples the customers with replacement (a
    multinomial count per distinct row), refits the purchase model to them
    and the spend model to the same customers' repeat buyers, each
    warm-started at the full-data estimate, and predicts every quantity.
    With :math:`\hat f` the prediction at the estimate, :math:`s_g` the
    standard deviation of :math:`g(f)` over the draws and :math:`\hat b`
    their mean less :math:`g(\hat f)` (the bootstrap's estimate of bias), the
    interval is :math:`g^{-1}(g(\hat f) - \hat b \pm z\,s_g)`
    (:func:`~relmark.uncertainty.bootstrap_bounds`),
    per customer and of each draw's total (so a total's interval is not
    the sum of the customers' bounds), with :math:`g` the scale below.
    Refits that find no interior maximum are left out and counted.

    **Delta method.**  With :math:`u` the models' log-parameters and
    :math:`\Sigma_u` their covariance, block diagonal since the purchase and
    spend likelihoods are independent by the models' assumption,
    :math:`\mathrm{se}(f) = \sqrt{J\Sigma_u J^\top}`, :math:`J` by central
    differences (:func:`~relmark.uncertainty.delta_band`).  Both
    intervals are symmetric on the logit scale for ``probability_alive``
    and on the log scale for the others.

    Both describe the uncertainty of the *expected* values, from the
    estimation of the parameters; neither adds the randomness of the
    customers' actual future purchases.

    References
    ----------
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the
    Bootstrap*, chapters 6 and 12-14.

    Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their
    Application*, sections 5.2-5.3.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> from relmark.uncertainty import interval, prediction_intervals
    >>> summary = cdnow_sample_summary()
    >>> bands = prediction_intervals(summary, relmark.BetaGeo, relmark.GammaGamma,
    ...                                      horizon=52.0, margin=0.3, n_draws=50, rng=7)
    >>> bands.names[2:]
    ('expected_spend', 'clv', 'total_expected_purchases', 'customer_equity')
    >>> equity = bands["customer_equity"]
    >>> bool(equity.lower < equity.estimate < equity.upper), round(float(equity.estimate))
    (True, 22712)
    >>> bands.to_pandas()[["clv_lower", "clv", "clv_upper"]].iloc[0].round(2).tolist()
    [10.72, 11.53, 12.55]
    """
    as_instance("summary", summary, CustomerSummary)
    options = clv_options(horizon=horizon, discount_rate=discount_rate, margin=margin, step=step)
    chosen = as_choice("method", method, ("bootstrap", "delta"))
    coverage = check_level(level)
    draws = check_n_draws(n_draws)
    generator = as_rng(rng)
    keep = as_flag("keep_draws", keep_draws)
    if keep and chosen == "delta":
        raise ValidationError(
            "`keep_draws` needs method='bootstrap': the delta method has no draws"
        )
    if spend_model is not None and summary.monetary_value is None:
        raise ValidationError(
            "`spend_model` needs `summary.monetary_value`, each customer's mean spend per "
            "repeat transaction; the summary has none (summarise a log with amounts)"
        )
    _check_purchase_kind(purchase_model)
    if spend_model is not None:
        _check_spend_kind(spend_model)
    layout = _Layout.of(summary, spend=spend_model is not None)
    models = _Models(
        _fitted("purchase_model", purchase_model, PurchaseModel, layout.purchase, "customers"),
        None if spend_model is None else _fitted_spend(spend_model, layout),
    )
    if chosen == "delta":
        with one_blas_thread():
            rows, totals = _delta_bands(layout, models, options, coverage)
        return _intervals(summary, layout, models, options, rows, totals, chosen, None, 0)
    check_size(
        "`n_draws` x distinct rows",
        float(draws) * layout.n_joint,
        MAX_CELLS,
        unit="evaluations",
        why="use fewer draws",
    )
    if keep:
        check_size(
            "`n_draws` x customers x quantities kept",
            float(draws) * len(summary) * (2 if models.spend is None else 4),
            MAX_KEPT_CELLS,
            unit="values",
            why="8 bytes each in memory; use keep_draws=False to keep only the bounds",
        )
    thetas = bootstrap_thetas(_joint_refit(layout, models), layout.joint_weights, draws, generator)
    with one_blas_thread():
        rows, totals = _bootstrap_bands(layout, models, thetas, options, coverage, keep)
    return _intervals(
        summary, layout, models, options, rows, totals, chosen, draws, draws - len(thetas)
    )


def _check_purchase_kind(model: Any) -> None:
    _check_kind("purchase_model", model, ("probability_alive", "expected_purchases"))


def _check_spend_kind(model: Any) -> None:
    _check_kind("spend_model", model, ("expected_spend",))


def _check_kind(name: str, model: Any, uses: tuple[str, ...]) -> None:
    """Raise TypeError unless ``model`` (an instance or a class) has the methods ``uses``."""
    if not all(callable(getattr(model, method, None)) for method in uses):
        methods = ", ".join(f"{method}()" for method in uses)
        got = model.__name__ if isinstance(model, type) else type(model).__name__
        raise TypeError(f"`{name}` must be a model (or model class) with {methods}, got {got}")


def _fitted_spend(model: Any, layout: _Layout) -> Model:
    assert layout.spend is not None and layout.spend_fit is not None
    rows = _part(layout.spend, layout.spend_fit)
    if len(rows) == 0:
        raise ValidationError(
            "`spend_model` needs repeat buyers with positive spend (`frequency` > 0 and "
            "`monetary_value` > 0) to be fitted to; the summary has none"
        )
    return _fitted("spend_model", model, SpendModel, rows, "repeat buyers with positive spend")


def _joint_refit(layout: _Layout, models: _Models) -> Callable[[FloatArray], FloatArray]:
    """Return ``joint counts -> theta``: both models refitted to the same resampled customers."""
    refit_purchase = _refitter(models.purchase, layout.purchase)
    refit_spend = None
    if models.spend is not None:
        assert layout.spend is not None and layout.spend_fit is not None
        refit_spend = _refitter(models.spend, _part(layout.spend, layout.spend_fit))
        probe = _part(layout.spend, slice(0, 1))

    def refit(joint: FloatArray) -> FloatArray:
        theta = refit_purchase(layout.purchase_weights(joint))
        if models.spend is None or refit_spend is None:
            return theta
        spend_theta = refit_spend(layout.spend_weights(joint))
        # a draw whose spend model cannot predict (Gamma-Gamma with q <= 1) fails here, counted
        _rebuilt(models.spend, spend_theta).expected_spend(probe)
        return np.concatenate([theta, spend_theta])

    return refit


def _intervals(
    summary: CustomerSummary,
    layout: _Layout,
    models: _Models,
    options: ClvOptions,
    rows: dict[str, Band],
    totals: dict[str, Band],
    method: str,
    n_draws: int | None,
    n_failed: int,
) -> Intervals:
    """Gather the bands on distinct rows back to the customers and build the result."""
    to_purchase = layout.joint_purchase[layout.customer_row]
    index = {
        "probability_alive": to_purchase,
        "expected_purchases": to_purchase,
        "clv": layout.customer_row,
    }
    if layout.joint_spend is not None:
        index["expected_spend"] = layout.joint_spend[layout.customer_row]
    per_customer = {name: _gathered(rows[name], index[name]) for name in QUANTITIES if name in rows}
    return Intervals(
        bands=per_customer,
        totals=totals,
        level=next(iter(rows.values())).level,
        method=method,
        n_draws=n_draws,
        n_failed=n_failed,
        customer_id=summary.customer_id,
        purchase_model=models.purchase,  # type: ignore[arg-type]
        spend_model=models.spend,  # type: ignore[arg-type]
        horizon=options.horizon,
        discount_rate=options.discount_rate,
        margin=options.margin,
        step=options.step,
        unit=summary.unit,
    )


def _gathered(band: Band, index: IntArray) -> Band:
    """Return a band on distinct rows as one per customer."""
    return Band(
        name=band.name,
        estimate=band.estimate[index],
        lower=band.lower[index],
        upper=band.upper[index],
        level=band.level,
        method=band.method,
        draws=None if band.draws is None else band.draws[:, index],
    )


# --------------------------------------------------------------------------- the two passes


class _Predictions:
    """Every quantity of the models at one parameter vector, on some distinct rows."""

    def __init__(self, options: ClvOptions) -> None:
        self.options = options

    def purchases(
        self, model: Any, rows: CustomerSummary
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return (alive, expected purchases, discounted margin per unit spend) on ``rows``."""
        alive = model.probability_alive(rows)
        expected, discounted = discounted_purchases(model, rows, self.options)
        return alive, expected, self.options.margin * discounted


def _delta_bands(
    layout: _Layout, models: _Models, options: ClvOptions, level: float
) -> tuple[dict[str, Band], dict[str, Band]]:
    """Return the delta-method bands on distinct rows and of the totals."""
    theta, covariance, split = models.theta, models.log_covariance(), models.split
    predictions = _Predictions(options)
    purchase_cache: dict[bytes, tuple[FloatArray, FloatArray, FloatArray]] = {}
    spend_cache: dict[bytes, FloatArray] = {}

    def purchases(at: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        key = at[:split].tobytes()  # perturbing a spend parameter changes nothing here
        if key not in purchase_cache:
            model, _ = models.at(at)
            purchase_cache[key] = predictions.purchases(model, layout.purchase)
        return purchase_cache[key]

    def spend(at: FloatArray) -> FloatArray:
        key = at[split:].tobytes()
        if key not in spend_cache:
            _, model = models.at(at)
            spend_cache[key] = model.expected_spend(layout.spend)
        return spend_cache[key]

    def clv(at: FloatArray) -> FloatArray:
        assert layout.joint_spend is not None
        values: FloatArray = purchases(at)[2][layout.joint_purchase] * spend(at)[layout.joint_spend]
        return values

    weights = layout.purchase.weights
    quantities: dict[str, Callable[[FloatArray], FloatArray]] = {
        "probability_alive": lambda at: purchases(at)[0],
        "expected_purchases": lambda at: purchases(at)[1],
        "total_expected_purchases": lambda at: np.asarray(weights @ purchases(at)[1]),
    }
    if models.spend is not None:
        quantities["expected_spend"] = spend
        quantities["clv"] = clv
        quantities["customer_equity"] = lambda at: np.asarray(layout.joint_weights @ clv(at))
    bands = {
        name: delta_band(name, predict, theta, covariance, level=level, scale=_SCALES[name])
        for name, predict in quantities.items()
    }
    return _split_totals(bands)


def _split_totals(bands: dict[str, Band]) -> tuple[dict[str, Band], dict[str, Band]]:
    rows = {name: band for name, band in bands.items() if name not in TOTALS}
    totals = {name: bands[name] for name in TOTALS if name in bands}
    return rows, totals


def _bootstrap_bands(
    layout: _Layout,
    models: _Models,
    thetas: FloatArray,
    options: ClvOptions,
    level: float,
    keep: bool,
) -> tuple[dict[str, Band], dict[str, Band]]:
    """Return the bootstrap bands on distinct rows and of the totals, in one pass of chunks."""
    n_draws = thetas.shape[0]
    workers = thread_count()
    at_estimate = models.at(models.theta)
    at_draws = [models.at(theta) for theta in thetas]
    predictions = _Predictions(options)
    n_purchase = len(layout.purchase)
    alive = BandAccumulator(
        "probability_alive",
        n_purchase,
        n_draws,
        level=level,
        scale=_SCALES["probability_alive"],
        keep_draws=keep,
    )
    expected = BandAccumulator(
        "expected_purchases",
        n_purchase,
        n_draws,
        level=level,
        scale=_SCALES["expected_purchases"],
        keep_draws=keep,
        weights=layout.purchase.weights,
    )
    clv = None
    if models.spend is not None:
        clv = BandAccumulator(
            "clv",
            layout.n_joint,
            n_draws,
            level=level,
            scale=_SCALES["clv"],
            keep_draws=keep,
            weights=layout.joint_weights,
        )
    for joint_part, purchase_part in layout.chunks(max(_CHUNK_CELLS // n_draws, 1)):
        chunk = _Chunk.of(layout, joint_part, purchase_part, spend=clv is not None)
        point = chunk.values(predictions, at_estimate)
        blocks = list(ordered_map(partial(chunk.values, predictions), at_draws, workers))
        alive.add(purchase_part, point[0], np.stack([block[0] for block in blocks]))
        expected.add(purchase_part, point[1], np.stack([block[1] for block in blocks]))
        if clv is not None:
            clv.add(joint_part, point[2], np.stack([block[2] for block in blocks]))
    rows_bands = {"probability_alive": alive.band(), "expected_purchases": expected.band()}
    totals = {"total_expected_purchases": expected.total("total_expected_purchases")}
    if clv is not None:
        rows_bands["expected_spend"] = _spend_band(layout, models, thetas, level, keep)
        rows_bands["clv"] = clv.band()
        totals["customer_equity"] = clv.total("customer_equity")
    return rows_bands, totals


@attrs.frozen
class _Chunk:
    """Some joint rows with the purchase rows they cover and the spend rows they use."""

    purchase: CustomerSummary
    spend: CustomerSummary | None
    local_purchase: IntArray  # each joint row's purchase row, within the chunk
    local_spend: IntArray  # each joint row's spend row, within ``spend``

    @classmethod
    def of(cls, layout: _Layout, joint: slice, purchase: slice, *, spend: bool) -> _Chunk:
        rows = _part(layout.purchase, purchase)
        local_purchase = layout.joint_purchase[joint] - purchase.start
        if not spend:
            return cls(rows, None, local_purchase, local_purchase)
        assert layout.joint_spend is not None and layout.spend is not None
        distinct, local_spend = np.unique(layout.joint_spend[joint], return_inverse=True)
        return cls(rows, _part(layout.spend, distinct), local_purchase, local_spend.reshape(-1))

    def values(
        self, predictions: _Predictions, models: tuple[Any, Any]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return (alive, expected purchases) on the purchase rows and CLV on the joint rows."""
        alive, expected, discounted = predictions.purchases(models[0], self.purchase)
        if self.spend is None:
            return alive, expected, discounted  # no CLV without spend: unused
        spend = models[1].expected_spend(self.spend)
        clv: FloatArray = discounted[self.local_purchase] * spend[self.local_spend]
        return alive, expected, clv


def _spend_of(rows: CustomerSummary, model: Any) -> FloatArray:
    spend: FloatArray = model.expected_spend(rows)
    return spend


def _spend_band(
    layout: _Layout, models: _Models, thetas: FloatArray, level: float, keep: bool
) -> Band:
    """Return the bootstrap band of the expected spend on the distinct (x, m) rows."""
    assert layout.spend is not None and models.spend is not None
    spend_rows = layout.spend
    split = models.split
    n_draws = thetas.shape[0]
    at_draws = [_rebuilt(models.spend, theta[split:]) for theta in thetas]
    workers = thread_count()
    band = BandAccumulator(
        "expected_spend",
        len(spend_rows),
        n_draws,
        level=level,
        scale=_SCALES["expected_spend"],
        keep_draws=keep,
    )
    size = max(_CHUNK_CELLS // n_draws, 1)
    for start in range(0, len(spend_rows), size):  # chunks of rows, each vectorised
        part = slice(start, min(start + size, len(spend_rows)))
        rows = _part(spend_rows, part)
        block = np.stack(list(ordered_map(partial(_spend_of, rows), at_draws, workers)))
        band.add(part, models.spend.expected_spend(rows), block)  # type: ignore[attr-defined]
    return band.band()


# --------------------------------------------------------------------------- any prediction


def interval(
    model: Model,
    summary: CustomerSummary,
    predict: Callable[[Any], Any],
    *,
    method: Method = "bootstrap",
    level: float = 0.9,
    n_draws: int = 200,
    rng: np.random.Generator | int | None = None,
    scale: Scale = "log",
    name: str = "prediction",
    keep_draws: bool = False,
) -> Band:
    r"""Return the band of any prediction of one fitted model.

    Parameters
    ----------
    model : relmark model
        A model fitted by maximum likelihood to ``summary`` (``fit_info``
        set): a purchase model (``BetaGeo.fit(summary)``, ...) or a spend
        model (``GammaGamma.fit(summary)``).
    summary : CustomerSummary
        The customers ``model`` was fitted to.
    predict : callable
        ``fitted model -> array_like`` (any fixed shape): the prediction,
        e.g. ``lambda m: m.probability_of_purchases([0, 1, 2], 39.0)`` or
        ``lambda m: m.expected_purchases_new_customer(52.0)``.
    method : {"bootstrap", "delta"}, default "bootstrap"
        As in :func:`prediction_intervals`.
    level : float, default 0.9
        Nominal coverage, in (0, 1).
    n_draws : int, default 200
        Bootstrap draws (2 to 100,000).
    rng : numpy.random.Generator, int or None
        Randomness of the bootstrap.
    scale : {"log", "logit", "linear"}, default "log"
        Where the interval (either method) is symmetric: ``"log"`` for
        positive quantities, ``"logit"`` for probabilities, ``"linear"``
        otherwise.
    name : str, default "prediction"
        The band's name.
    keep_draws : bool, default False
        Keep each draw's prediction (bootstrap).

    Returns
    -------
    Band

    Raises
    ------
    TypeError
        If ``model`` is not a relmark model fitted by maximum likelihood,
        ``summary`` not a CustomerSummary, ``predict`` not callable.
    ValidationError
        For options out of range, a model not fitted or fitted to other
        customers, and a prediction that is not finite.
    ConvergenceError
        If fewer than 2 bootstrap refits succeed.

    Notes
    -----
    The bootstrap resamples the customers the model is fitted to (all of
    them for a purchase model, the repeat buyers for a spend model) as
    multinomial counts over their distinct rows, refits warm-started at the
    estimate and takes :math:`g^{-1}(g(\hat f) - \hat b \pm z\,s_g)`, :math:`s_g`
    the standard deviation of :math:`g(f)` over the draws, :math:`\hat b` their
    mean less :math:`g(\hat f)` and :math:`g` the
    ``scale`` (:func:`~relmark.uncertainty.bootstrap_bounds`); the delta method propagates
    ``model.fit_info.log_covariance`` (:func:`~relmark.uncertainty.delta_band`).

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> from relmark.uncertainty import interval, prediction_intervals
    >>> summary = cdnow_sample_summary()
    >>> model = relmark.BetaGeo.fit(summary)
    >>> band = interval(
    ...     model, summary, lambda m: m.probability_of_purchases([0, 1, 2], 39.0),
    ...     method="delta", scale="logit", name="P(X(39) = n)")
    >>> band.lower.round(3).tolist(), band.upper.round(3).tolist()
    ([0.557, 0.187, 0.081], [0.592, 0.212, 0.09])
    """
    as_instance("summary", summary, CustomerSummary)
    if not isinstance(model, SummaryModel):
        raise TypeError(
            f"`model` must be a relmark model fitted by maximum likelihood (BetaGeo, "
            f"GammaGamma, ...), got {type(model).__name__}"
        )
    if not callable(predict):
        raise TypeError(
            f"`predict` must be callable (model -> array), got {type(predict).__name__}"
        )
    chosen = as_choice("method", method, ("bootstrap", "delta"))
    coverage = check_level(level)
    draws = check_n_draws(n_draws)
    generator = as_rng(rng)
    keep = as_flag("keep_draws", keep_draws)
    rows = type(model)._fit_rows(summary)
    rows = rows.compress(monetary=rows.monetary_value is not None)
    fitted = _fitted("model", model, SummaryModel, rows, "customers to fit it to")
    theta = fitted._theta

    def at(parameters: FloatArray) -> FloatArray:
        return np.asarray(predict(_rebuilt(fitted, parameters)), dtype=np.float64)

    if chosen == "delta":
        return delta_band(
            name, at, theta, _fit_covariance("model", fitted), level=coverage, scale=scale
        )
    thetas = bootstrap_thetas(_refitter(fitted, rows), rows.weights, draws, generator)
    return draws_band(name, at, thetas, theta, level=coverage, scale=scale, keep_draws=keep)
