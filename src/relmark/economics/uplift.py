r"""Measured save rates: the uplift of a past campaign with a randomised control group.

A retention campaign that kept a random control group uncontacted tells
what contacting someone is worth: the difference between the treated and the
control group's retention rates is the *incremental* (uplift) rate, the share
of customers kept *because* they were contacted.  :func:`measure_uplift`
estimates it

- overall and per segment, with Newcombe's hybrid score interval for a
  difference of two proportions;
- per customer, from the customer features relmark computes (frequency,
  recency, ``T``, P(alive), CLV, ...), by a two-model or a
  transformed-outcome logistic regression, with delta-method intervals;

and scores the per-customer model by its Qini curve and coefficient
(:func:`qini_curve`, :func:`qini_coefficient`).  ``Uplift.per_customer`` is
what a campaign offer takes as its per-customer ``uplift``, in place of a
guessed save probability; :meth:`Uplift.predict` gives it for the customers
to target next.

Everything is numpy and scipy: one small exact logistic regression (Newton's
method with the exact Hessian and an optional ridge penalty) serves both
methods.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, ndtri

from relmark._validation import (
    BoolArray,
    FloatArray,
    IntArray,
    as_bool_array,
    as_choice,
    as_float_array,
    as_level,
    as_scalar,
    check_same_length,
    check_size,
    describe,
    readonly,
)
from relmark.data._keys import factorize
from relmark.data._tables import KEY, PerCustomerTable, pandas_frame
from relmark.exceptions import ConvergenceError, ValidationError

if TYPE_CHECKING:  # pandas is optional: imported only to type ``to_pandas``
    import pandas as pd

__all__ = [
    "QiniCurve",
    "Uplift",
    "UpliftBySegment",
    "UpliftEffect",
    "measure_uplift",
    "qini_coefficient",
    "qini_curve",
]

#: How :func:`measure_uplift` models the per-customer uplift.
UpliftMethod = Literal["two_model", "transformed_outcome"]

#: Most features one uplift model takes (the Newton step solves a system of this size).
MAX_FEATURES = 500

_MAX_NEWTON = 100  # Newton iterations before a fit is declared not converged
_NEWTON_TOLERANCE = 1e-10  # largest coefficient change of a converged step
_HALVINGS = 40  # step halvings before a line search gives up
_SEPARATED = 25.0  # a standardised slope beyond this: the outcome is (nearly) separated
_SATURATED = 30.0  # |logit| of a fitted probability beyond which it is 0 or 1 to rounding
_COLLINEAR = 1e12  # condition number of the information matrix beyond which it is singular


# ---------------------------------------------------------------------------- results


@attrs.frozen(kw_only=True)
class UpliftEffect:
    r"""A measured incremental rate: treated minus control, with its interval.

    Attributes
    ----------
    effect : float
        :math:`\hat p_T - \hat p_C`, the treated group's outcome rate minus
        the control group's (e.g. retention), in [-1, 1].
    lower, upper : float
        Newcombe's hybrid score interval at ``level``.
    level : float
        The interval's confidence level.
    treated_rate, control_rate : float
        :math:`\hat p_T = x_T / n_T` and :math:`\hat p_C = x_C / n_C`.
    n_treated, n_control : int
        Customers in each group.

    Examples
    --------
    >>> from relmark.economics.uplift import measure_uplift
    >>> effect = measure_uplift([1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 0, 0]).overall
    >>> round(effect.effect, 3), effect.n_treated, effect.n_control
    (0.333, 3, 3)
    """

    effect: float
    lower: float
    upper: float
    level: float
    treated_rate: float
    control_rate: float
    n_treated: int
    n_control: int


def _frozen_columns(value: Mapping[str, NDArray[Any]]) -> Mapping[str, NDArray[Any]]:
    return MappingProxyType({name: readonly(np.array(array)) for name, array in value.items()})


@attrs.frozen(kw_only=True, eq=False)
class UpliftBySegment:
    """One row per segment: the measured uplift of each, as a read-only table.

    Columns: ``segment`` (the labels as strings, sorted; numeric labels as
    numbers), ``n``, ``n_treated``, ``n_control``, ``treated_rate``,
    ``control_rate``, ``effect``, ``lower``, ``upper`` (Newcombe's interval at
    ``level``, as for :attr:`Uplift.overall`).

    Attributes
    ----------
    columns : mapping of str to ndarray
        Equal-length read-only columns, ``segment`` first.
    level : float
        The intervals' confidence level.

    Examples
    --------
    >>> from relmark.economics.uplift import measure_uplift
    >>> table = measure_uplift([1, 0, 1, 0], [1, 0, 1, 1], segment=["a", "a", "b", "b"]).by_segment
    >>> table["segment"].tolist(), table["effect"].tolist()
    (['a', 'b'], [1.0, 0.0])
    """

    columns: Mapping[str, NDArray[Any]] = attrs.field(converter=_frozen_columns)
    level: float

    def __getitem__(self, name: str) -> NDArray[Any]:
        try:
            return self.columns[name]
        except KeyError:
            raise KeyError(f"no column {name!r}; the table has {', '.join(self.columns)}") from None

    def __len__(self) -> int:
        return len(self.columns["segment"])

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the columns by name, ``segment`` first.

        Returns
        -------
        dict of str to ndarray

        Examples
        --------
        >>> from relmark.economics.uplift import measure_uplift
        >>> up = measure_uplift([1, 0, 1, 0], [1, 0, 1, 1], segment=["a", "a", "b", "b"])
        >>> up.by_segment.to_dict()["n"].tolist()
        [2, 2]
        """
        return dict(self.columns)

    def to_pandas(self) -> pd.DataFrame:
        """Return the table as a pandas DataFrame indexed by segment.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ImportError
            If pandas is not installed (``pip install "relmark[pandas]"``).

        Examples
        --------
        >>> from relmark.economics.uplift import measure_uplift
        >>> up = measure_uplift([1, 0, 1, 0], [1, 0, 1, 1], segment=["a", "a", "b", "b"])
        >>> float(up.by_segment.to_pandas().loc["a", "effect"])
        1.0
        """
        frame: pd.DataFrame = pandas_frame(self.to_dict(), owner="UpliftBySegment")
        indexed: pd.DataFrame = frame.set_index("segment")
        return indexed


@attrs.frozen(kw_only=True, eq=False)
class QiniCurve:
    r"""The Qini curve of an uplift score: incremental gains against the fraction targeted.

    Customers are targeted in decreasing order of the score; the curve has a
    point before anyone is targeted and one after each group of tied scores.

    Attributes
    ----------
    fraction : ndarray
        :math:`k/n`, the share of customers targeted, from 0 to 1.
    targeted : ndarray of int
        :math:`k`, the customers targeted.
    gain : ndarray
        :math:`Q(k) = Y_T(k) - Y_C(k)\,N_T(k)/N_C(k)`: the incremental
        responders among the first :math:`k` (0 while no control customer is
        among them).  Starts at 0 and ends at :math:`Q(n) = N_T(\hat p_T -
        \hat p_C)`, the overall incremental count.
    random : ndarray
        The random-targeting line :math:`Q(n)\,k/n` at the same points.
    area : float
        Area between the curve and the random line (trapezoids over
        ``fraction``), in customers.
    perfect_area : float
        The same area for the perfect ordering of this sample: treated
        responders first, then non-responders, control responders last
        (Radcliffe's optimum curve), > 0.
    coefficient : float
        ``area / perfect_area``: 1 for the perfect ordering, about 0 for a
        random score, negative for a score worse than random (see
        :func:`qini_curve` on why small samples can exceed 1).

    Examples
    --------
    >>> from relmark.economics.uplift import qini_curve
    >>> curve = qini_curve([0.9, 0.8, 0.2, 0.1], [1, 0, 1, 0], [1, 0, 0, 1])
    >>> curve.gain.tolist(), curve.random.tolist()
    ([0.0, 1.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0])
    """

    fraction: FloatArray
    targeted: IntArray
    gain: FloatArray
    random: FloatArray
    area: float
    perfect_area: float
    coefficient: float

    def __len__(self) -> int:
        return int(self.fraction.size)

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the curve's points as columns: fraction, targeted, gain, random.

        Examples
        --------
        >>> from relmark.economics.uplift import qini_curve
        >>> list(qini_curve([0.9, 0.1], [1, 0], [1, 0]).to_dict())
        ['fraction', 'targeted', 'gain', 'random']
        """
        return {
            "fraction": self.fraction,
            "targeted": self.targeted,
            "gain": self.gain,
            "random": self.random,
        }

    def to_pandas(self) -> pd.DataFrame:
        """Return the curve's points as a pandas DataFrame, one row per point.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> from relmark.economics.uplift import qini_curve
        >>> qini_curve([0.9, 0.1], [1, 0], [1, 0]).to_pandas()["gain"].tolist()
        [0.0, 1.0, 1.0]
        """
        try:
            import pandas
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise ImportError(
                'QiniCurve.to_pandas() needs pandas, the "pandas" extra: '
                'pip install "relmark[pandas]"'
            ) from error
        frame: pd.DataFrame = pandas.DataFrame(self.to_dict(), copy=True)
        return frame


@attrs.frozen(kw_only=True, eq=False)
class _Logistic:
    """A fitted logistic regression on the standardised design (intercept first)."""

    coef: FloatArray
    covariance: FloatArray
    iterations: int


@attrs.frozen(kw_only=True, eq=False)
class _Features:
    """The features as the model saw them: names and the standardisation of each."""

    names: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray

    def design(self, columns: Mapping[str, FloatArray], n: int) -> FloatArray:
        """Return the design matrix: a column of ones, then each standardised feature."""
        design = np.empty((n, len(self.names) + 1))
        design[:, 0] = 1.0
        for j, name in enumerate(self.names):
            design[:, j + 1] = (columns[name] - self.mean[j]) / self.scale[j]
        return design


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Uplift(PerCustomerTable):
    r"""The measured uplift of a randomised campaign: overall, per segment and per customer.

    Built by :func:`measure_uplift`.  ``to_dict()``, ``to_pandas()``,
    ``to_polars()`` and ``to_arrow()`` give the per-customer table:
    ``customer_id`` (when the features carried one), ``treated``, ``outcome``,
    ``segment`` (when given), ``uplift``, ``lower``, ``upper``.

    Attributes
    ----------
    overall : UpliftEffect
        Treated minus control outcome rate, with Newcombe's interval.
    by_segment : UpliftBySegment or None
        The same per segment (None without ``segment``).
    per_customer : ndarray
        Each customer's predicted uplift :math:`\hat\tau(x_i)`, aligned with
        the input rows: the increase in their outcome probability if
        contacted.  This is what a campaign offer takes as its per-customer
        ``uplift``.
    per_customer_lower, per_customer_upper : ndarray
        Delta-method intervals at ``level`` from the logistic fits'
        covariance (clipped to [-1, 1]); without features, the overall
        effect's interval.
    qini : QiniCurve
        The Qini curve of ``per_customer`` on the data it was fitted to (an
        in-sample, so optimistic, assessment; score a holdout campaign with
        :func:`qini_curve` and :meth:`predict` for an honest one).
    qini_coefficient : float
        ``qini.coefficient``.
    method : {"two_model", "transformed_outcome"}
        How ``per_customer`` was modelled.
    features : tuple of str
        The features of the per-customer model, in order (empty without).
    level : float
        The intervals' confidence level.
    penalty : float
        The ridge penalty of the logistic fits.
    iterations : int
        Newton iterations of the logistic fits, in all (0 without features).
    treated, outcome : ndarray of bool
        The campaign's flags, as given (read-only copies).
    segment : ndarray or None
        The segment labels, as given (read-only copy), or None.
    customer_id : ndarray or None
        The customers' ids, when the features carried them.

    Examples
    --------
    >>> import numpy as np
    >>> from relmark.economics.uplift import measure_uplift
    >>> rng = np.random.default_rng(7)
    >>> x = rng.normal(size=4000)
    >>> treated = rng.random(4000) < 0.5
    >>> kept = rng.random(4000) < 0.5 + treated * (0.1 + 0.08 * x).clip(0, None)
    >>> up = measure_uplift(treated, kept, features={"x": x})
    >>> up
    Uplift(4,000 customers, two_model on 1 feature; overall 0.081 [0.055, 0.107] at 90%)
    >>> bool(np.corrcoef(up.per_customer, x)[0, 1] > 0.9)
    True
    """

    overall: UpliftEffect
    by_segment: UpliftBySegment | None
    per_customer: FloatArray
    per_customer_lower: FloatArray
    per_customer_upper: FloatArray
    qini: QiniCurve
    method: UpliftMethod
    level: float
    penalty: float
    iterations: int
    treated: BoolArray
    outcome: BoolArray
    segment: NDArray[Any] | None = None
    customer_id: NDArray[Any] | None = None
    _standardised: _Features = attrs.field(alias="standardised")
    _fits: tuple[_Logistic, ...] = attrs.field(alias="fits")

    @property
    def features(self) -> tuple[str, ...]:
        """The features of the per-customer model, in order."""
        return self._standardised.names

    @property
    def qini_coefficient(self) -> float:
        """The Qini coefficient of ``per_customer`` on the data (``qini.coefficient``)."""
        return self.qini.coefficient

    def __len__(self) -> int:
        return int(self.per_customer.size)

    def __repr__(self) -> str:
        count = len(self.features)
        on = f" on {count} feature{'s' * (count != 1)}" if count else " without features"
        o = self.overall
        return (
            f"Uplift({len(self):,} customers, {self.method}{on}; overall {o.effect:.3f} "
            f"[{o.lower:.3f}, {o.upper:.3f}] at {100 * self.level:g}%)"
        )

    def to_dict(self) -> dict[str, NDArray[Any]]:
        """Return the per-customer table as columns, name to 1-D array.

        Returns
        -------
        dict of str to ndarray
            ``customer_id`` (when known), ``treated``, ``outcome``,
            ``segment`` (when given), ``uplift``, ``lower``, ``upper``.

        Examples
        --------
        >>> from relmark.economics.uplift import measure_uplift
        >>> list(measure_uplift([1, 0, 1, 0], [1, 0, 0, 1]).to_dict())
        ['treated', 'outcome', 'uplift', 'lower', 'upper']
        """
        columns: dict[str, NDArray[Any]] = {}
        if self.customer_id is not None:
            columns[KEY] = self.customer_id
        columns["treated"] = self.treated
        columns["outcome"] = self.outcome
        if self.segment is not None:
            columns["segment"] = self.segment
        columns["uplift"] = self.per_customer
        columns["lower"] = self.per_customer_lower
        columns["upper"] = self.per_customer_upper
        return columns

    def predict(self, features: Mapping[str, ArrayLike] | object | None = None) -> FloatArray:
        r"""Return the predicted uplift of new customers (e.g. those to target next).

        Parameters
        ----------
        features : mapping of str to array_like, or an object with ``to_dict()``
            At least the columns the uplift was fitted on (:attr:`features`),
            one value per customer; other columns are ignored.  For an
            uplift fitted without features every row gets the overall effect
            (None gives it once, as a 1-element array).

        Returns
        -------
        ndarray
            :math:`\hat\tau(x)` per customer, aligned with the rows of
            ``features``, standardised with the fitted data's means and
            standard deviations.

        Raises
        ------
        ValidationError
            If a fitted feature is missing, columns differ in length or hold
            NaN/infinite values.

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.economics.uplift import measure_uplift
        >>> rng = np.random.default_rng(3)
        >>> x = rng.normal(size=2000)
        >>> treated = rng.random(2000) < 0.5
        >>> kept = rng.random(2000) < 0.4 + treated * (0.1 + 0.1 * (x > 0))
        >>> up = measure_uplift(treated, kept, features={"x": x})
        >>> up.predict({"x": [-2.0, 2.0]}).round(2).tolist()
        [0.03, 0.23]
        """
        estimate, _ = self._predict(self._design_of(features))
        return readonly(estimate)

    def predict_interval(
        self, features: Mapping[str, ArrayLike] | object | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Return the ``level`` interval of the predicted uplift of new customers.

        Parameters
        ----------
        features : mapping of str to array_like, or an object with ``to_dict()``
            As in :meth:`predict`.

        Returns
        -------
        lower, upper : ndarray
            Delta-method bounds, as :attr:`per_customer_lower` and
            :attr:`per_customer_upper` are for the fitted rows (the overall
            effect's interval for an uplift fitted without features).

        Examples
        --------
        >>> import numpy as np
        >>> from relmark.economics.uplift import measure_uplift
        >>> rng = np.random.default_rng(3)
        >>> x = rng.normal(size=2000)
        >>> treated = rng.random(2000) < 0.5
        >>> kept = rng.random(2000) < 0.4 + treated * (0.1 + 0.1 * (x > 0))
        >>> lower, upper = measure_uplift(treated, kept, features={"x": x}).predict_interval(
        ...     {"x": [2.0]})
        >>> bool(lower[0] < 0.23 < upper[0])
        True
        """
        design = self._design_of(features)
        if not self._fits:
            rows = design.shape[0]
            return readonly(np.full(rows, self.overall.lower)), readonly(
                np.full(rows, self.overall.upper)
            )
        estimate, stderr = self._predict(design)
        spread = float(ndtri(0.5 + self.level / 2.0)) * stderr
        return (
            readonly(np.clip(estimate - spread, -1.0, 1.0)),
            readonly(np.clip(estimate + spread, -1.0, 1.0)),
        )

    def _design_of(self, features: Mapping[str, ArrayLike] | object | None) -> FloatArray:
        """Return the standardised design of new customers' features."""
        names = self.features
        if not names:
            if features is None:
                return np.ones((1, 1))
            _, n = _feature_columns(features, required=None)
            return np.ones((n, 1))
        if features is None:
            raise ValidationError(
                f"`features` must give the columns the uplift was fitted on: {', '.join(names)}"
            )
        columns, n = _feature_columns(features, required=names)
        return self._standardised.design(columns, n)

    def _predict(self, design: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return the uplift and its delta-method standard error at each row of ``design``."""
        if not self._fits:
            return np.full(design.shape[0], self.overall.effect), np.zeros(design.shape[0])
        return _uplift_of(self.method, self._fits, design)


# ---------------------------------------------------------------------------- intervals


def _wilson(successes: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    """Return Wilson's score interval for ``successes / n`` (``n > 0``)."""
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n)
    half = z / (1.0 + z2 / n) * np.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def _newcombe(
    x_treated: FloatArray, n_treated: FloatArray, x_control: FloatArray, n_control: FloatArray,
    level: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:  # fmt: skip
    """Return the difference of proportions and Newcombe's (1998) method-10 interval."""
    z = float(ndtri(0.5 + level / 2.0))
    p1, p0 = x_treated / n_treated, x_control / n_control
    l1, u1 = _wilson(x_treated, n_treated, z)
    l0, u0 = _wilson(x_control, n_control, z)
    d = p1 - p0
    lower = d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    upper = d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return d, np.clip(lower, -1.0, 1.0), np.clip(upper, -1.0, 1.0)


# ---------------------------------------------------------------------------- logistic


def _fit_logistic(
    design: FloatArray,
    y: FloatArray,
    *,
    weights: FloatArray | None,
    penalty: float,
    robust: bool,
    group: str,
    names: tuple[str, ...],
) -> _Logistic:
    r"""Fit :math:`P(y=1|x) = \operatorname{expit}(x^\top\beta)` by Newton's method.

    Minimises :math:`-\sum_i w_i[y_i\eta_i - \log(1+e^{\eta_i})] +
    \tfrac{\lambda}{2}\sum_{j\ge1}\beta_j^2` (the intercept unpenalised) with
    the exact Hessian :math:`X^\top\mathrm{diag}(w\,p(1-p))X + \lambda D` and a
    halving line search; the covariance is the inverse Hessian at the
    optimum, or the sandwich :math:`H^{-1}MH^{-1}`, :math:`M = \sum_i
    w_i^2(y_i - p_i)^2 x_i x_i^\top`, with ``robust`` (weights that are not
    counts).
    """
    n, k = design.shape
    w = np.ones(n) if weights is None else weights
    ridge = np.full(k, penalty)
    ridge[0] = 0.0
    mean = float(np.sum(w * y) / np.sum(w))
    beta = np.zeros(k)
    beta[0] = math.log(mean / (1.0 - mean))

    def objective(b: FloatArray) -> float:
        eta = design @ b
        # log(1 + e^eta) - y eta, stably
        loss = np.logaddexp(0.0, eta) - y * eta
        return float(np.sum(w * loss) + 0.5 * np.sum(ridge * b * b))

    def advice(reason: str) -> ConvergenceError:
        return ConvergenceError(
            f"the logistic regression of `outcome` on the features in the {group} did not "
            f"converge: {reason}. Give `penalty` > 0 (e.g. penalty=1.0, a ridge penalty on the "
            "standardised features), or drop or merge the features concerned",
            params={
                name: float(value) for name, value in zip(("intercept", *names), beta, strict=True)
            },
        )

    def failure(default: str) -> ConvergenceError:
        """Say why a fit failed: fitted probabilities at 0 or 1 mean separation."""
        if k > 1 and float(np.max(np.abs(design @ beta))) > _SATURATED:
            j = 1 + int(np.argmax(np.abs(beta[1:])))
            return advice(
                f"the outcome is (nearly) perfectly separated: the coefficient of "
                f"{names[j - 1]!r} runs off to {beta[j]:+.3g} per standard deviation"
            )
        return advice(default)

    collinear = "the features are collinear (one is a linear combination of the others)"
    gram = (design * w[:, None]).T @ design + np.diag(ridge)
    if np.linalg.cond(gram) > _COLLINEAR:
        raise advice(collinear)
    current = objective(beta)
    iterations = 0
    converged = False
    while iterations < _MAX_NEWTON:
        iterations += 1
        p = expit(design @ beta)
        gradient = design.T @ (w * (p - y)) + ridge * beta
        hessian = (design * (w * p * (1.0 - p))[:, None]).T @ design + np.diag(ridge)
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            raise failure("the information matrix is singular") from None
        size = 1.0
        for _ in range(_HALVINGS):
            trial = beta - size * step
            value = objective(trial)
            if value <= current + 1e-12 * max(1.0, abs(current)):
                break
            size /= 2.0
        else:
            raise failure("the line search found no decrease")
        beta, current = trial, value
        if float(np.max(np.abs(size * step))) < _NEWTON_TOLERANCE:
            converged = True
            break
    slopes = np.abs(beta[1:])
    if slopes.size and float(slopes.max()) > _SEPARATED:
        raise failure(f"a coefficient runs off to {float(slopes.max()):.3g}")
    if not converged:
        raise failure(f"no convergence after {_MAX_NEWTON} Newton steps")
    p = expit(design @ beta)
    hessian = (design * (w * p * (1.0 - p))[:, None]).T @ design + np.diag(ridge)
    if not np.isfinite(hessian).all() or np.linalg.cond(hessian) > _COLLINEAR:
        raise failure("the information matrix is singular at the estimate")
    inverse = np.linalg.inv(hessian)
    if robust:
        scores = design * (w * (y - p))[:, None]
        covariance = inverse @ (scores.T @ scores) @ inverse
    else:
        covariance = inverse
    covariance = 0.5 * (covariance + covariance.T)
    return _Logistic(coef=readonly(beta), covariance=readonly(covariance), iterations=iterations)


def _quadratic(design: FloatArray, covariance: FloatArray) -> FloatArray:
    r"""Return :math:`x_i^\top \Sigma x_i` for each row (no n-by-n matrix)."""
    quadratic: FloatArray = np.einsum("ij,ij->i", design @ covariance, design)  # one pass
    return np.maximum(quadratic, 0.0)


def _uplift_of(
    method: str, fits: tuple[_Logistic, ...], design: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return the uplift and its delta-method standard error at each row of ``design``."""
    if method == "two_model":
        treated, control = fits
        p1 = expit(design @ treated.coef)
        p0 = expit(design @ control.coef)
        variance = (p1 * (1.0 - p1)) ** 2 * _quadratic(design, treated.covariance) + (
            p0 * (1.0 - p0)
        ) ** 2 * _quadratic(design, control.covariance)
        return p1 - p0, np.sqrt(variance)
    (fit,) = fits
    q = expit(design @ fit.coef)
    variance = (2.0 * q * (1.0 - q)) ** 2 * _quadratic(design, fit.covariance)
    return 2.0 * q - 1.0, np.sqrt(variance)


# ---------------------------------------------------------------------------- inputs


def _feature_columns(
    features: Mapping[str, ArrayLike] | object, *, required: tuple[str, ...] | None
) -> tuple[dict[str, FloatArray], int]:
    """Return the features as checked float columns and their common length.

    ``required`` None takes every column; otherwise those named (others ignored,
    a missing one refused).  An object with ``to_dict()`` (a ``CustomerSummary``,
    ``Scores``) gives its columns, without ``customer_id`` and with
    ``weights`` dropped when every weight is 1; with ``required`` None its
    constant columns are left out too.
    """
    raw: Mapping[Any, Any]
    from_object = not isinstance(features, Mapping)
    if from_object:
        to_dict = getattr(features, "to_dict", None)
        if not callable(to_dict):
            raise TypeError(
                "`features` must be a mapping of name to array or an object with to_dict() "
                f"(a CustomerSummary, Scores, ...), got {type(features).__name__}"
            )
        raw = dict(to_dict())
        raw.pop(KEY, None)
        if "weights" in raw:
            weights = np.asarray(raw.pop("weights"), dtype=np.float64)
            if weights.size and not np.all(weights == 1.0):
                raise ValidationError(
                    "`features` has `weights` other than 1: its rows are groups of customers, "
                    "but uplift needs one row per customer (build the summary without "
                    "compressing it)"
                )
    else:
        raw = features  # type: ignore[assignment]
    for name in raw:
        if not isinstance(name, str):
            raise TypeError(f"`features` names must be strings, got {type(name).__name__}")
    if required is not None:
        missing = [name for name in required if name not in raw]
        if missing:
            raise ValidationError(
                f"`features` must have the columns the uplift was fitted on; missing "
                f"{', '.join(repr(m) for m in missing)}"
            )
        names: tuple[str, ...] = required
    else:
        names = tuple(raw)
    check_size("the number of `features`", len(names), MAX_FEATURES, unit="columns",
               why="the logistic fit solves a system of this size at each step")  # fmt: skip
    columns: dict[str, FloatArray] = {}
    for name in names:
        value = raw[name]
        array = np.asarray(value)
        if array.dtype.kind == "b":
            array = array.astype(np.float64)
        columns[name] = as_float_array(f"features[{name!r}]", array, noun="customers")
    n = check_same_length({f"features[{name!r}]": col for name, col in columns.items()})
    if from_object and required is None:  # columns nobody chose: a constant one is left out
        columns = {name: col for name, col in columns.items() if col.size and np.ptp(col) > 0}
    return columns, n


def _customer_ids(features: object) -> NDArray[Any] | None:
    """Return the ``customer_id`` column of an object with ``to_dict()``, when it has one."""
    if isinstance(features, Mapping) or features is None:
        return None
    to_dict = getattr(features, "to_dict", None)
    if not callable(to_dict):
        return None
    ids = to_dict().get(KEY)
    return None if ids is None else readonly(np.array(ids, copy=True))


def _labels(segment: ArrayLike) -> tuple[NDArray[Any], NDArray[Any], IntArray]:
    """Return the labels (a read-only copy), the sorted distinct ones and each row's code."""
    labels = np.array(segment, copy=True)
    if labels.ndim != 1:
        raise ValidationError(f"`segment` must be one-dimensional, got shape {labels.shape}")
    if labels.dtype.kind in "biuf":
        if labels.dtype.kind == "f" and np.isnan(labels).any():
            raise ValidationError("`segment` must not hold NaN labels")
        distinct, codes = factorize(labels)
    else:
        distinct, codes = factorize(labels, key=str)
    return readonly(labels), distinct, np.asarray(codes, dtype=np.int64)


def _both_groups(treated: BoolArray) -> None:
    n_treated = int(treated.sum())
    if n_treated == 0:
        raise ValidationError(
            f"`treated` has no treated customers (all {treated.size:,} are False): "
            "an uplift needs contacted and control customers"
        )
    if n_treated == treated.size:
        raise ValidationError(
            f"`treated` has no control group (all {treated.size:,} customers are True): "
            "an uplift needs a randomised control group that was not contacted"
        )


# ---------------------------------------------------------------------------- Qini


def _qini_points(
    score: FloatArray, treated: BoolArray, outcome: BoolArray
) -> tuple[IntArray, FloatArray]:
    """Return the targeted counts k (0 and the end of each tied group) and Q(k)."""
    order = np.argsort(-score, kind="stable")
    t = treated[order]
    y = outcome[order]
    n_t = np.cumsum(t, dtype=np.float64)
    n_c = np.cumsum(~t, dtype=np.float64)
    y_t = np.cumsum(t & y, dtype=np.float64)
    y_c = np.cumsum(~t & y, dtype=np.float64)
    ordered = score[order]
    ends = np.flatnonzero(np.r_[ordered[1:] != ordered[:-1], True])
    ratio = np.divide(n_t[ends], n_c[ends], out=np.zeros(ends.size), where=n_c[ends] > 0)
    gain = y_t[ends] - y_c[ends] * ratio
    return np.r_[0, ends + 1].astype(np.int64), np.r_[0.0, gain]


def _area(targeted: IntArray, gain: FloatArray, n: int) -> float:
    """Return the trapezoid area between the curve and the random line, over k/n."""
    fraction = targeted / n
    above = gain - gain[-1] * fraction
    return float(np.sum(0.5 * (above[1:] + above[:-1]) * np.diff(fraction)))


def _qini(score: FloatArray, treated: BoolArray, outcome: BoolArray) -> QiniCurve:
    n = score.size
    targeted, gain = _qini_points(score, treated, outcome)
    # the best ordering of this sample: treated responders, then non-responders, then
    # control responders (Radcliffe 2007, the "optimum" Qini curve)
    best = np.where(outcome, np.where(treated, 2.0, 0.0), 1.0)
    perfect = _area(*_qini_points(best, treated, outcome), n)
    area = _area(targeted, gain, n)
    fraction = targeted / n
    return QiniCurve(
        fraction=readonly(fraction),
        targeted=readonly(targeted),
        gain=readonly(gain),
        random=readonly(gain[-1] * fraction),
        area=area,
        perfect_area=perfect,
        coefficient=area / perfect,
    )


def _qini_inputs(
    uplift_score: ArrayLike, treated: ArrayLike, outcome: ArrayLike
) -> tuple[FloatArray, BoolArray, BoolArray]:
    score = as_float_array("uplift_score", uplift_score, noun="customers")
    t = as_bool_array("treated", treated, noun="customers")
    y = as_bool_array("outcome", outcome, noun="customers")
    check_same_length({"uplift_score": score, "treated": t, "outcome": y})
    _both_groups(t)
    if not y.any():
        raise ValidationError(
            f"`outcome` is False for all {y.size:,} customers: with no responders there is "
            "nothing to rank and the Qini coefficient is undefined"
        )
    return score, t, y


def qini_curve(uplift_score: ArrayLike, treated: ArrayLike, outcome: ArrayLike) -> QiniCurve:
    r"""Return the Qini curve of an uplift score on a randomised campaign's results.

    Parameters
    ----------
    uplift_score : array_like
        A score per customer; higher means more worth contacting (e.g.
        :attr:`Uplift.per_customer` or :meth:`Uplift.predict` on a holdout).
    treated : array_like of bool
        Whether each customer was contacted (randomised); both groups needed.
    outcome : array_like of bool
        Whether each responded (was retained, purchased); at least one did.

    Returns
    -------
    QiniCurve
        Points at :math:`k = 0` and after each group of tied scores.

    Raises
    ------
    ValidationError
        For lengths that differ, a missing treated or control group, outcomes
        that are not True/False (1/0) or all False, NaN scores.

    Notes
    -----
    Customers are sorted by decreasing score.  Among the first :math:`k`,
    :math:`N_T(k), N_C(k)` are the treated and control customers and
    :math:`Y_T(k), Y_C(k)` their responders; the incremental gain is
    (Radcliffe 2007)

    .. math:: Q(k) = Y_T(k) - Y_C(k)\,\frac{N_T(k)}{N_C(k)},

    the responders among the treated minus those expected without contact
    (0 for the second term while :math:`N_C(k) = 0`).  Random targeting gives
    on average the straight line from 0 to :math:`Q(n)`.  Ties: customers with
    equal scores cannot be told apart, so they are targeted together: the
    curve has a point only after each tied group and straight lines in
    between (as ROC curves treat ties), so it does not depend on row order.

    The *area* is :math:`\int_0^1 [Q(\phi) - \phi\,Q(n)]\,d\phi` by trapezoids
    (Gutierrez & Gerardy 2017 call this area the Qini coefficient); the
    *coefficient* divides it by the area of the sample's perfect ordering
    (treated responders first, then non-responders, control responders
    last), Radcliffe's (2007) normalisation: 1 is the perfect ordering and 0
    random targeting.  The perfect ordering knows every outcome, yet it is
    not always the largest area: while no control customer (or no treated
    one) has been targeted, :math:`Q(k)` ignores the control responders, so on
    a handful of customers an ordering that exploits how the two groups
    interleave can score above 1 (a search over every ordering of five
    customers found twice the perfect area).

    On retention outcomes the coefficient is small even for a good score:
    the perfect ordering is credited with every treated customer who would
    have stayed anyway, whom no score can single out.  Judge a score against
    another on the same customers (or against the true effect on simulated
    data), not against 1.

    References
    ----------
    Radcliffe, N. J. (2007). Using control groups to target on predicted
    lift: building and assessing uplift models. *Direct Marketing Analytics
    Journal*, 1, 14-21.

    Gutierrez, P. & Gérardy, J.-Y. (2017). Causal inference and uplift
    modelling: a review of the literature. *Proceedings of Machine Learning
    Research*, 67, 1-13.

    Examples
    --------
    >>> from relmark.economics.uplift import qini_curve
    >>> curve = qini_curve([4, 3, 2, 1], [1, 1, 0, 0], [1, 0, 0, 1])
    >>> curve.gain.tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    >>> round(curve.area, 4), round(curve.coefficient, 4)
    (0.75, 1.0)
    """
    score, t, y = _qini_inputs(uplift_score, treated, outcome)
    return _qini(score, t, y)


def qini_coefficient(
    uplift_score: ArrayLike,
    treated: ArrayLike,
    outcome: ArrayLike,
    *,
    normalize: bool = True,
) -> float:
    r"""Return the Qini coefficient of an uplift score: how much better than random it targets.

    Parameters
    ----------
    uplift_score, treated, outcome : array_like
        As in :func:`qini_curve`.
    normalize : bool, default True
        Divide by the area of the sample's perfect ordering (Radcliffe 2007):
        1 is the perfect ranking of these customers (treated responders
        first, control responders last), 0 random, below 0 worse than
        random.  False gives the raw area between the Qini curve
        and the random line, in incremental customers (Gutierrez & Gerardy
        2017).

    Returns
    -------
    float

    Notes
    -----
    See :func:`qini_curve` for the curve, the area and how ties are treated.

    References
    ----------
    Radcliffe, N. J. (2007). Using control groups to target on predicted
    lift. *Direct Marketing Analytics Journal*, 1, 14-21; Gutierrez, P. &
    Gérardy, J.-Y. (2017). Causal inference and uplift modelling: a review
    of the literature. *PMLR*, 67, 1-13.

    Examples
    --------
    >>> from relmark.economics.uplift import qini_coefficient
    >>> score, treated, outcome = [4, 3, 2, 1], [1, 0, 1, 0], [1, 0, 0, 1]
    >>> qini_coefficient(score, treated, outcome), qini_coefficient([1, 2, 3, 4], treated, outcome)
    (1.0, -0.4)
    """
    if not isinstance(normalize, (bool, np.bool_)):
        raise TypeError(f"`normalize` must be True or False, got {type(normalize).__name__}")
    curve = qini_curve(uplift_score, treated, outcome)
    return curve.coefficient if normalize else curve.area


# ---------------------------------------------------------------------------- measure


def measure_uplift(
    treated: ArrayLike,
    outcome: ArrayLike,
    *,
    features: Mapping[str, ArrayLike] | object | None = None,
    segment: ArrayLike | None = None,
    method: UpliftMethod = "two_model",
    level: float = 0.9,
    penalty: float = 0.0,
) -> Uplift:
    r"""Measure a randomised campaign's uplift: overall, per segment and per customer.

    Parameters
    ----------
    treated : array_like of bool
        Whether each customer was contacted; the contacted were chosen at
        random (one probability for all), the others are the control group.
    outcome : array_like of bool
        Whether each customer was retained (or purchased, ...) in the period
        after the campaign.
    features : mapping of str to array_like, or an object with ``to_dict()``, optional
        Customer features for the per-customer model, one value per customer
        (e.g. ``frequency``, ``recency``, ``T``, ``probability_alive``,
        ``clv``): a mapping, or a ``CustomerSummary``/``Scores`` whose
        ``to_dict()`` columns are used (its ``customer_id`` keys the result;
        its ``weights`` must all be 1; its constant columns, such as ``T``
        of a single cohort, are left out, where a constant column of a
        mapping is an error).  Standardised internally (mean 0, sd 1);
        booleans count as 0/1.  Without features every customer gets the
        overall effect.
    segment : array_like, optional
        A label per customer; the uplift is measured in each segment too
        (each needs treated and control customers).
    method : {"two_model", "transformed_outcome"}, default "two_model"
        How the per-customer uplift is modelled (see Notes).
    level : float, default 0.9
        Confidence level of every interval, in (0, 1).
    penalty : float, default 0
        Ridge penalty :math:`\lambda \ge 0` on the standardised slopes of
        the logistic fits (not the intercept).  0 is the exact maximum
        likelihood; give e.g. 1.0 when a fit reports separation or collinear
        features.

    Returns
    -------
    Uplift

    Raises
    ------
    ValidationError
        For lengths that differ; no treated or no control customer (overall
        or in a segment); outcomes or flags that are not True/False (1/0);
        NaN or infinite features; a constant feature; ``level`` outside
        (0, 1); a negative ``penalty``; an outcome the same for every
        customer; with features and ``method="two_model"``, a group whose
        outcome is all True or all False.
    ConvergenceError
        If a logistic fit does not converge (separation, collinear features),
        with advice.
    TypeError
        For features that are neither a mapping nor have ``to_dict()``, and
        non-numeric columns.

    Notes
    -----
    **Overall and per segment.**  With :math:`x_T` of :math:`n_T` treated
    and :math:`x_C` of :math:`n_C` control customers responding, the effect
    is :math:`\hat\tau = x_T/n_T - x_C/n_C`.  Its interval is Newcombe's
    (1998) hybrid score interval (his method 10): with Wilson score intervals
    :math:`[l_T, u_T]`, :math:`[l_C, u_C]` for the two rates,

    .. math:: \left[\hat\tau - \sqrt{(\hat p_T - l_T)^2 + (u_C - \hat p_C)^2},\;
              \hat\tau + \sqrt{(u_T - \hat p_T)^2 + (\hat p_C - l_C)^2}\right],

    which stays within [-1, 1] and keeps close to its nominal coverage for
    small groups and rates near 0 or 1, where the Wald interval does not.

    **Per customer, two models.**  Logistic regressions of the outcome on
    the standardised features :math:`x` in the treated and in the control
    group give :math:`p_T(x)` and :math:`p_C(x)`;
    :math:`\hat\tau(x) = p_T(x) - p_C(x)`.  Its variance by the delta method,
    the two fits being independent, is
    :math:`[p_T(1-p_T)]^2 x^\top\Sigma_T x + [p_C(1-p_C)]^2 x^\top\Sigma_C x`
    with :math:`\Sigma` each fit's inverse (penalised) Hessian; the interval
    is :math:`\hat\tau \pm z\,\mathrm{se}`, clipped to [-1, 1].

    **Per customer, transformed outcome.**  With the treatment share
    :math:`e = n_T/n`, the class variable :math:`Z = y\,t + (1-y)(1-t)`
    (Jaskowski & Jaroszewicz 2012), weighted :math:`1/(2e)` for treated and
    :math:`1/(2(1-e))` for control customers, has
    :math:`E_w[Z \mid x] = (1 + \tau(x))/2` for any :math:`e`: the weights
    balance the groups, so this is Athey & Imbens' (2015) transformed
    outcome :math:`y(t-e)/(e(1-e))` up to the map :math:`\tau \mapsto
    (1+\tau)/2`.  One weighted logistic regression of :math:`Z` gives
    :math:`q(x)`, :math:`\hat\tau(x) = 2q(x) - 1` (within (-1, 1)), with the
    sandwich covariance (the weights are not counts) and the delta method
    :math:`\mathrm{se} = 2q(1-q)\sqrt{x^\top\Sigma x}`.

    Without features no model is fitted: every customer gets
    :math:`\hat\tau` itself and its Newcombe interval.  The logistic fits are Newton's method
    with the exact Hessian; separation (a feature that splits responders
    from non-responders), collinear features or no convergence raise
    :class:`~relmark.ConvergenceError`.

    Feeding a campaign: :attr:`Uplift.per_customer` is the expected increase
    in each customer's retention probability from a contact, what a
    campaign offer takes as ``uplift``; it already includes their chance of
    leaving, so it should not be multiplied by a model's P(churn) again.  No
    save-rate view (uplift / P(churn)) is offered: it is a save rate only if
    a contact never makes anyone leave (monotonicity) and P(churn) is the
    control group's own over the same period; divided by another model's
    P(churn) and multiplied back by it in an allocation it returns the
    uplift at best, and clipping it hides measured harm.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. *Statistics in
    Medicine*, 17(8), 873-890 (method 10).

    Jaskowski, M. & Jaroszewicz, S. (2012). Uplift modeling for clinical
    trial data. *ICML 2012 Workshop on Clinical Data Analysis*.

    Athey, S. & Imbens, G. W. (2015). Machine learning methods for
    estimating heterogeneous causal effects. *arXiv:1504.01132*.

    Radcliffe, N. J. (2007). Using control groups to target on predicted
    lift. *Direct Marketing Analytics Journal*, 1, 14-21.

    Examples
    --------
    >>> from relmark.economics.uplift import measure_uplift
    >>> treated = [1] * 70 + [0] * 80
    >>> kept = [1] * 56 + [0] * 14 + [1] * 48 + [0] * 32
    >>> o = measure_uplift(treated, kept, level=0.95).overall   # Newcombe (1998), Table II (a)
    >>> round(o.effect, 4), round(o.lower, 4), round(o.upper, 4)
    (0.2, 0.0524, 0.3339)
    """
    t = as_bool_array("treated", treated, noun="customers")
    y = as_bool_array("outcome", outcome, noun="customers")
    chosen = cast(UpliftMethod, as_choice("method", method, ("two_model", "transformed_outcome")))
    level = as_level(level)
    penalty = as_scalar("penalty", penalty, low=0.0)
    lengths: dict[str, NDArray[Any]] = {"treated": t, "outcome": y}
    labels = None
    if segment is not None:
        labels, distinct, codes = _labels(segment)
        lengths["segment"] = labels
    n = check_same_length(lengths)
    _both_groups(t)
    if y.all() or not y.any():
        raise ValidationError(
            f"`outcome` is {bool(y[0])} for all {n:,} customers: with everyone responding "
            "alike there is no difference to measure"
        )
    if features is None:
        columns: dict[str, FloatArray] = {}
        ids = None
    else:
        columns, n_features = _feature_columns(features, required=None)
        if n_features != n and columns:
            check_same_length({"treated": t, "features": next(iter(columns.values()))})
        ids = _customer_ids(features)
        if ids is not None:
            check_same_length({"treated": t, "features' customer_id": ids})
    names = tuple(columns)
    for name, column in columns.items():
        if float(np.ptp(column)) == 0.0:
            raise ValidationError(
                f"`features[{name!r}]` is constant (every customer has {describe(column[0])}): "
                "it says nothing about who responds; drop it"
            )

    # overall and per segment
    x_t, n_t = float(np.sum(t & y)), float(np.sum(t))
    x_c, n_c = float(np.sum(~t & y)), float(n - n_t)
    d, lo, hi = _newcombe(np.array([x_t]), np.array([n_t]), np.array([x_c]), np.array([n_c]), level)
    overall = UpliftEffect(
        effect=float(d[0]), lower=float(lo[0]), upper=float(hi[0]), level=level,
        treated_rate=x_t / n_t, control_rate=x_c / n_c, n_treated=int(n_t), n_control=int(n_c),
    )  # fmt: skip
    by_segment = None
    if labels is not None:
        by_segment = _segments(distinct, codes, t, y, level)

    # per customer
    mean = np.array([column.mean() for column in columns.values()])
    scale = np.array([column.std() for column in columns.values()])
    standardised = _Features(names=names, mean=readonly(mean), scale=readonly(scale))
    design = standardised.design(columns, n)
    fits = _per_customer_fits(chosen, design, t, y, penalty=penalty, names=names) if names else ()
    if fits:
        estimate, stderr = _uplift_of(chosen, fits, design)
        spread = float(ndtri(0.5 + level / 2.0)) * stderr
        lower = np.clip(estimate - spread, -1.0, 1.0)
        upper = np.clip(estimate + spread, -1.0, 1.0)
    else:  # intercepts only: every customer has the overall effect and its interval
        estimate = np.full(n, overall.effect)
        lower, upper = np.full(n, overall.lower), np.full(n, overall.upper)
    return Uplift(
        overall=overall,
        by_segment=by_segment,
        per_customer=readonly(estimate),
        per_customer_lower=readonly(lower),
        per_customer_upper=readonly(upper),
        qini=_qini(estimate, t, y),
        method=chosen,
        level=level,
        penalty=penalty,
        iterations=sum(fit.iterations for fit in fits),
        treated=t,
        outcome=y,
        segment=labels,
        customer_id=ids,
        standardised=standardised,
        fits=fits,
    )


def _per_customer_fits(
    method: UpliftMethod,
    design: FloatArray,
    t: BoolArray,
    y: BoolArray,
    *,
    penalty: float,
    names: tuple[str, ...],
) -> tuple[_Logistic, ...]:
    """Return the logistic fits of the per-customer model: (treated, control) or (class,)."""
    if method == "two_model":
        groups = (("treated group", t), ("control group", ~t))
        for group, rows in groups:
            kept = int(np.sum(y[rows]))
            if kept in (0, int(rows.sum())):
                raise ValidationError(
                    f"`outcome` is {'True' if kept else 'False'} for every customer of the "
                    f"{group}: a logistic model of it has no finite fit; use "
                    "method='transformed_outcome' or a longer outcome period"
                )
        return tuple(
            _fit_logistic(design[rows], y[rows].astype(np.float64), weights=None,
                          penalty=penalty, robust=False, group=group, names=names)
            for group, rows in groups
        )  # fmt: skip
    share = float(t.mean())
    z = (t == y).astype(np.float64)
    if z.min() == z.max():
        raise ValidationError(
            "the transformed outcome (retained treated or lost control customers) is "
            "the same for everyone: there is nothing to model"
        )
    weights = np.where(t, 0.5 / share, 0.5 / (1.0 - share))
    fit = _fit_logistic(design, z, weights=weights, penalty=penalty, robust=True,
                        group="transformed outcome", names=names)  # fmt: skip
    return (fit,)


def _segments(
    distinct: NDArray[Any], codes: IntArray, t: BoolArray, y: BoolArray, level: float
) -> UpliftBySegment:
    """Return the per-segment table: counts, rates and Newcombe intervals, by bincount."""
    k = distinct.size
    n_seg = np.bincount(codes, minlength=k).astype(np.float64)
    n_t = np.asarray(np.bincount(codes, weights=t.astype(np.float64), minlength=k), np.float64)
    x_t = np.asarray(
        np.bincount(codes, weights=(t & y).astype(np.float64), minlength=k), np.float64
    )
    x_c = np.asarray(
        np.bincount(codes, weights=(~t & y).astype(np.float64), minlength=k), np.float64
    )
    n_c = n_seg - n_t
    for count, kind in ((n_t, "treated"), (n_c, "control")):
        if (count == 0).any():
            first = int(np.argmax(count == 0))
            raise ValidationError(
                f"`segment` {describe(distinct[first])} has no {kind} customers "
                f"({int((count == 0).sum()):,} of {k:,} segments lack them): its uplift cannot "
                "be measured; merge it with another segment"
            )
    d, lo, hi = _newcombe(x_t, n_t, x_c, n_c, level)
    return UpliftBySegment(
        columns={
            "segment": distinct,
            "n": n_seg.astype(np.int64),
            "n_treated": n_t.astype(np.int64),
            "n_control": n_c.astype(np.int64),
            "treated_rate": x_t / n_t,
            "control_rate": x_c / n_c,
            "effect": d,
            "lower": lo,
            "upper": hi,
        },
        level=level,
    )
