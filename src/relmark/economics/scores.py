"""Score every customer: the one function the command line, relmark.dask and applications call.

:func:`score` takes a summary and a purchase model (and optionally a spend
model), fitted already or as classes to fit there, and returns
:class:`Scores`: each customer's probability of being alive, expected
purchases, expected spend per transaction and lifetime value, aligned with
the summary's rows and keyed by ``customer_id``, with the models actually
used and, in plain words, anything done in their place.

It lives in ``economics`` because it values customers through
:func:`~relmark.economics.clv.customer_lifetime_value` (the one CLV path), and
the layers only import downwards: ``scoring`` (RFM, engagement) sits above
``economics``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    as_choice,
    as_float_array,
    as_instance,
    as_model,
    check_same_length,
    readonly,
)
from relmark.data._frozen import reduce_read_only
from relmark.data._tables import KEY, PerCustomerTable
from relmark.data.summary import CustomerSummary
from relmark.economics.clv import ClvOptions, clv_options, discounted_margin
from relmark.exceptions import ConvergenceError, ValidationError
from relmark.models._limits import Fallback, common_spend_limit, no_dropout_limit
from relmark.models.contracts import PurchaseModel, SpendModel

if TYPE_CHECKING:  # the frame libraries are optional: imported only to type their methods
    pass

__all__ = ["ModelClass", "Scores", "score"]

_Fitted = TypeVar("_Fitted", covariant=True)

#: What :func:`score` does when a model class it fits finds no interior maximum.
Unidentified = Literal["raise", "limit"]

# the methods score() calls on each kind of model
_USES = {
    "purchase_model": ("probability_alive", "expected_purchases"),
    "spend_model": ("expected_spend",),
}


class ModelClass(Protocol[_Fitted]):
    """A model class: ``fit(summary)`` returns a fitted model (``BetaGeo``, ``GammaGamma``, ...).

    Examples
    --------
    >>> import relmark
    >>> from relmark.economics.scores import ModelClass
    >>> callable(relmark.BetaGeo.fit)
    True
    """

    def fit(self, summary: CustomerSummary) -> _Fitted:
        """Return the model fitted to ``summary``."""
        ...


# attrs converters (mypy's attrs plugin needs named functions): read-only float64 copies
def _probability_alive(value: ArrayLike) -> FloatArray:
    return as_float_array("probability_alive", value, low=0.0, high=1.0, noun="customers")


def _expected_purchases(value: ArrayLike) -> FloatArray:
    return as_float_array("expected_purchases", value, nonnegative=True, noun="customers")


def _expected_spend(value: ArrayLike | None) -> FloatArray | None:
    if value is None:
        return None
    return as_float_array("expected_spend", value, nonnegative=True, noun="customers")


def _clv(value: ArrayLike | None) -> FloatArray | None:
    return None if value is None else as_float_array("clv", value, noun="customers")


def _customer_id(value: ArrayLike | None) -> NDArray[Any] | None:
    return None if value is None else readonly(np.array(value, copy=True).reshape(-1))


def _notes(value: Sequence[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError("`notes` must be a sequence of strings, got one str")
    notes = tuple(value)
    for note in notes:
        if not isinstance(note, str):
            raise TypeError(f"`notes` must be strings, got {type(note).__name__}")
    return notes


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Scores(PerCustomerTable):
    r"""Each customer's scores, aligned with a summary's rows: what :func:`score` returns.

    The constructor (and so ``attrs.evolve``) checks the columns: equal
    lengths, probabilities in [0, 1], no NaN, expectations >= 0, spend and
    CLV together; the arrays are read-only float64 copies.

    Attributes
    ----------
    probability_alive : ndarray, shape (n,)
        :math:`P(\text{alive} \mid x, t_x, T)` at the end of observation.
    expected_purchases : ndarray, shape (n,)
        :math:`E[X(T, T + \text{horizon}) \mid x, t_x, T]`, purchases expected
        in the next ``horizon``.
    expected_spend : ndarray, shape (n,) or None
        Expected spend per transaction given the customer's spend so far
        (with a spend model).
    clv : ndarray, shape (n,) or None
        Discounted expected margin over ``horizon``
        (:func:`~relmark.customer_lifetime_value`; with a spend model).
    customer_id : ndarray, shape (n,) or None
        The summary's customer ids, when it has them.
    purchase_model : PurchaseModel
        The purchase model the scores come from (fitted here when a class
        was given; its limit when the fit fell back on one).
    spend_model : SpendModel or None
        The spend model likewise.
    horizon, discount_rate, margin, step : float
        The options of the scores (in the summary's time unit).
    unit : str or None
        The summary's time unit.
    notes : tuple of str
        What was done in a model's place, in plain words, one note per model
        replaced by its limit; empty when every model was used as given or
        as fitted.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> purchases = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> scores = relmark.score(cdnow_sample_summary(), purchases, horizon=39.0)
    >>> scores
    Scores(2,357 customers, horizon 39 W; BetaGeo)
    >>> list(scores.to_dict())
    ['customer_id', 'probability_alive', 'expected_purchases']
    """

    probability_alive: FloatArray = attrs.field(converter=_probability_alive)
    expected_purchases: FloatArray = attrs.field(converter=_expected_purchases)
    expected_spend: FloatArray | None = attrs.field(default=None, converter=_expected_spend)
    clv: FloatArray | None = attrs.field(default=None, converter=_clv)
    customer_id: NDArray[Any] | None = attrs.field(default=None, converter=_customer_id)
    purchase_model: PurchaseModel
    spend_model: SpendModel | None = None
    horizon: float
    discount_rate: float = 0.0
    margin: float = 1.0
    step: float = 1.0
    unit: str | None = None
    notes: tuple[str, ...] = attrs.field(default=(), converter=_notes)

    def __attrs_post_init__(self) -> None:
        check_same_length(self.to_dict())
        if (self.expected_spend is None) != (self.clv is None):
            raise ValidationError("`expected_spend` and `clv` go together: give both or neither")
        if (self.spend_model is None) != (self.expected_spend is None):
            raise ValidationError("`expected_spend` needs its `spend_model`, and vice versa")
        as_model("purchase_model", self.purchase_model, PurchaseModel, uses=["expected_purchases"])
        if self.spend_model is not None:
            as_model("spend_model", self.spend_model, SpendModel)
        clv_options(
            horizon=self.horizon,
            discount_rate=self.discount_rate,
            margin=self.margin,
            step=self.step,
        )
        if self.unit is not None and not isinstance(self.unit, str):
            raise TypeError(f"`unit` must be a string or None, got {type(self.unit).__name__}")

    def __reduce__(self) -> tuple[Any, ...]:
        return reduce_read_only(self)  # read-only arrays again after unpickling

    def __len__(self) -> int:
        return int(self.probability_alive.size)

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the scores as plain columns, name to 1-D array (for CSV and Parquet writers).

        Returns
        -------
        dict of str to ndarray
            ``customer_id`` (when known), ``probability_alive``,
            ``expected_purchases`` and, with a spend model, ``expected_spend``
            and ``clv``; the arrays themselves, read-only.

        Examples
        --------
        >>> import relmark
        >>> s = relmark.CustomerSummary.from_arrays([0, 2], [0.0, 30.0], [39.0, 39.0],
        ...                                         customer_id=["ann", "bob"])
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> relmark.score(s, model, horizon=39.0).to_dict()["probability_alive"].round(2).tolist()
        [1.0, 0.72]
        """
        columns: dict[str, NDArray[Any]] = {}
        if self.customer_id is not None:
            columns[KEY] = self.customer_id
        columns["probability_alive"] = self.probability_alive
        columns["expected_purchases"] = self.expected_purchases
        if self.expected_spend is not None and self.clv is not None:
            columns["expected_spend"] = self.expected_spend
            columns["clv"] = self.clv
        return columns

    def __repr__(self) -> str:
        models = type(self.purchase_model).__name__
        if self.spend_model is not None:
            models += f", {type(self.spend_model).__name__}"
        unit = f" {self.unit}" if self.unit else ""
        notes = f"; {len(self.notes)} note{'s' * (len(self.notes) != 1)}" if self.notes else ""
        return f"Scores({len(self):,} customers, horizon {self.horizon:g}{unit}; {models}{notes})"


def score(
    summary: CustomerSummary,
    purchase_model: PurchaseModel | ModelClass[PurchaseModel],
    spend_model: SpendModel | ModelClass[SpendModel] | None = None,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    step: float = 1.0,
    unidentified: Unidentified = "raise",
) -> Scores:
    r"""Score every customer of a summary: alive, purchases, spend and lifetime value.

    Parameters
    ----------
    summary : CustomerSummary
        The customers (with ``monetary_value`` for a spend model).
    purchase_model : PurchaseModel or model class
        A fitted purchase model (``BetaGeo(...)``, ...; any object with
        ``probability_alive`` and ``expected_purchases``), or a class with
        ``fit`` (``relmark.BetaGeo``), fitted here to ``summary``.
    spend_model : SpendModel or model class, optional
        A fitted spend model (``GammaGamma(...)``), or a class fitted here to
        the repeat buyers with positive spend (the customers whose spend the
        Gamma-Gamma likelihood describes; the others are still scored, their
        expected spend shrunk towards the population's).  None: no spend and
        no CLV.
    horizon : float
        How far ahead, in the summary's time unit (> 0).
    discount_rate : float, default 0
        Discount rate per ``step`` (>= 0), for the CLV.
    margin : float, default 1
        Share of spend kept as margin, in [0, 1], for the CLV.
    step : float, default 1
        Length of a discounting period, in the summary's unit (> 0).
    unidentified : {"raise", "limit"}, default "raise"
        What to do when a model class fitted here finds no interior maximum.
        ``"raise"``: raise its :class:`~relmark.ConvergenceError`.
        ``"limit"``: when the data cannot identify the model because nobody
        seems to leave, or because spend does not vary between customers,
        score with the model's well-defined limit (see Notes) and say so in
        ``Scores.notes``; any other failure is still raised.

    Returns
    -------
    Scores
        Aligned with ``summary``'s rows and keyed by its ``customer_id``.

    Raises
    ------
    TypeError
        If ``summary`` is not a CustomerSummary, a model neither keeps its
        contract nor is a model class, or ``unidentified`` is not a string.
    ValidationError
        For options out of range, a spend model without
        ``summary.monetary_value`` or without a repeat buyer with positive
        spend to fit it on, and for what the models themselves refuse.
    ConvergenceError
        If a fit finds no interior maximum and ``unidentified`` is
        ``"raise"``, or the failure has no well-defined limit.

    Notes
    -----
    With the purchase model's :math:`P(\text{alive} \mid x, t_x, T)` and
    :math:`E[X(T, T+t) \mid x, t_x, T]` and the spend model's
    :math:`E[M \mid x, m_x]`:

    - ``probability_alive`` :math:`= P(\text{alive} \mid x, t_x, T)`;
    - ``expected_purchases`` :math:`= E[X(T, T + \text{horizon}) \mid x, t_x, T]`;
    - ``expected_spend`` :math:`= E[M \mid x, m_x]`;
    - ``clv``: :func:`~relmark.customer_lifetime_value` with the same
      options, :math:`m\,E[M]\sum_k \Delta E[X]_k / (1 + d)^k` (with
      :math:`d = 0`, :math:`m\,E[M]\,E[X(T, T+\text{horizon})]`).

    The limits taken with ``unidentified="limit"``
    (:mod:`relmark.models._limits`):

    - **nobody seems to leave**: a BG/NBD, MBG/NBD or Pareto/NBD fit whose
      dropout parameters are unidentified, heading for no dropout, and which
      fits no better than no dropout at all (within half a unit of
      log-likelihood) is replaced by the NBD model
      (:class:`~relmark.models.NBD`, Poisson purchases with gamma
      heterogeneity), fitted to the same summary: every customer alive,
      :math:`E[X(T, T+t)] = (r+x)\,t/(\alpha+T)`;
    - **spend does not vary between customers**: a Gamma-Gamma fit whose
      ``q`` runs to infinity, or whose repeat buyers all spent the same mean
      amount, is replaced by one common mean spend
      (:class:`~relmark.models.CommonMeanSpend`), the pooled mean per
      repeat transaction, for every customer.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using
    iso-value curves for customer base analysis. *Journal of Marketing
    Research*, 42(4), 415-430.

    Examples
    --------
    >>> import relmark
    >>> from relmark.datasets import cdnow_sample_summary
    >>> summary = cdnow_sample_summary()
    >>> scores = relmark.score(summary, relmark.BetaGeo, relmark.GammaGamma, horizon=52.0,
    ...                        discount_rate=0.002, margin=0.3)
    >>> {name: round(value, 3) for name, value in scores.purchase_model.params.items()}
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    >>> round(float(scores.clv.sum()))
    21643

    Customers who never seem to leave: BG/NBD finds no interior maximum, and
    with ``unidentified="limit"`` the scores use its limit without dropout.

    >>> loyal = relmark.models.NBD(r=2.0, alpha=4.0).simulate(3000, 39.0, rng=1)
    >>> scores = relmark.score(loyal, relmark.BetaGeo, horizon=52.0, unidentified="limit")
    >>> type(scores.purchase_model).__name__, float(scores.probability_alive.min())
    ('NBD', 1.0)
    >>> print(scores.notes[0][:40])
    BetaGeo: nobody seems to leave. Its fit
    """
    as_instance("summary", summary, CustomerSummary)
    purchase = _model_or_class("purchase_model", purchase_model, PurchaseModel)
    spend = None if spend_model is None else _model_or_class("spend_model", spend_model, SpendModel)
    options = clv_options(horizon=horizon, discount_rate=discount_rate, margin=margin, step=step)
    policy = as_choice("unidentified", unidentified, ("raise", "limit"))
    if spend is not None and summary.monetary_value is None:
        raise ValidationError(
            "`spend_model` needs `summary.monetary_value`, each customer's mean spend per "
            "repeat transaction; the summary has none (summarise a log with amounts)"
        )
    notes: list[str] = []
    fitted = _fitted_purchase_model(purchase, summary, policy, notes)
    fitted_spend = None if spend is None else _fitted_spend_model(spend, summary, policy, notes)
    return _scores(summary, fitted, fitted_spend, options, notes)


def _scores(
    summary: CustomerSummary,
    purchases: PurchaseModel,
    spend: SpendModel | None,
    options: ClvOptions,
    notes: list[str],
) -> Scores:
    """Predict with fitted models: the vectorised passes over all customers."""
    expected_spend = clv = None
    if spend is not None:
        expected_spend = spend.expected_spend(summary)
        clv = discounted_margin(purchases, spend, summary, options)
    return Scores(
        probability_alive=purchases.probability_alive(summary),
        expected_purchases=purchases.expected_purchases(summary, options.horizon),
        expected_spend=expected_spend,
        clv=clv,
        customer_id=summary.customer_id,
        purchase_model=purchases,
        spend_model=spend,
        horizon=options.horizon,
        discount_rate=options.discount_rate,
        margin=options.margin,
        step=options.step,
        unit=summary.unit,
        notes=tuple(notes),
    )


def _model_or_class(name: str, value: Any, kind: type[Any]) -> Any:
    """Return ``value`` if it is a model keeping ``kind``'s contract or a class with ``fit``."""
    uses = _USES[name]
    if isinstance(value, type):
        if callable(getattr(value, "fit", None)) and all(
            callable(getattr(value, method, None)) for method in uses
        ):
            return value
        methods = ", ".join(f"{method}()" for method in uses)
        raise TypeError(
            f"`{name}` must be a {kind.__name__} (an object with {methods}) or a model class "
            f"with fit(), got the class {value.__name__}"
        )
    return as_model(name, value, kind, uses=list(uses))


def _fit(
    name: str,
    model_class: Any,
    rows: CustomerSummary,
    kind: type[Any],
    limit: Callable[[type, CustomerSummary, ConvergenceError], Fallback | None] | None,
    notes: list[str],
) -> Any:
    """Fit ``model_class`` to ``rows`` and check the contract of what ``fit`` returned.

    A fit the data cannot identify falls back on ``limit``'s model, recording
    why in ``notes``, when a ``limit`` is given and has one; else it raises.
    """
    try:
        fitted = model_class.fit(rows)
    except ConvergenceError as error:
        fallback = None if limit is None else limit(model_class, rows, error)
        if fallback is None:
            raise
        notes.append(fallback.note)
        return fallback.model
    return as_model(f"{name}.fit()", fitted, kind, uses=list(_USES[name]))


def _fitted_purchase_model(
    model: Any, summary: CustomerSummary, policy: str, notes: list[str]
) -> PurchaseModel:
    """Return ``model``, or the class fitted to ``summary`` (or its limit, by ``policy``)."""
    if not isinstance(model, type):
        fitted: PurchaseModel = model
        return fitted
    limit = None if policy == "raise" else no_dropout_limit
    purchases: PurchaseModel = _fit("purchase_model", model, summary, PurchaseModel, limit, notes)
    return purchases


def _fitted_spend_model(
    model: Any, summary: CustomerSummary, policy: str, notes: list[str]
) -> SpendModel:
    """Return ``model``, or the class fitted to the repeat buyers with positive spend."""
    if not isinstance(model, type):
        fitted: SpendModel = model
        return fitted
    assert summary.monetary_value is not None  # checked by score()
    rows = summary.subset((summary.frequency > 0) & (summary.monetary_value > 0))
    if len(rows) == 0:
        raise ValidationError(
            f"`spend_model` {model.__name__} is a class to fit, but none of the "
            f"{len(summary):,} customers is a repeat buyer with positive spend "
            "(`frequency` > 0 and `monetary_value` > 0) to fit it on"
        )
    limit = None if policy == "raise" else common_spend_limit
    spend: SpendModel = _fit("spend_model", model, rows, SpendModel, limit, notes)
    return spend
