"""What every model shares: its parameters, its fit record and its display."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray
from typing_extensions import Self

from relmark._validation import (
    MAX_SIMULATED_CUSTOMERS,
    MAX_SIMULATED_EVENTS,
    FloatArray,
    IntArray,
    as_count,
    as_float_array,
    as_positive,
    as_rng,
    check_same_length,
    check_size,
    check_whole,
    readonly,
)
from relmark.data.summary import CustomerSummary
from relmark.exceptions import ConvergenceError, ValidationError
from relmark.models._covariates import (
    NO_EFFECTS,
    CovariateObjective,
    Effects,
    Link,
    covariate_objective,
)
from relmark.models._fitting import (
    FitInfo,
    NegLogLikelihood,
    maximize_likelihood,
    newton_refit,
    profile_likelihood_intervals,
    start_values,
)
from relmark.models._report import FitReport

if TYPE_CHECKING:
    from relmark.data.covariates import Covariates

# A fit with covariates on more distinct rows than this starts from a fit to a sample
# of its customers of about this many rows (see SummaryModel._start_with_covariates).
_SAMPLE_ROWS = 40_000
_SAMPLE_SEED = 20_141  # the sample is seeded: a fit gives the same result every time
# what a simulation of a model with covariates lacks when it gets none
_GIVE_COVARIATES = "none were given: pass `covariates`, one row per customer"

# How far below the refit's maximum (in deviance, 2 * log-likelihood) a model may be and
# still count as that maximum: far below chi-square thresholds (3.84 at 95 %), far
# above the optimiser's own imprecision (about 1e-6 on a million customers).
_AT_MAXIMUM = 1e-3

__all__ = [
    "ContinuousPurchaseModel",
    "Model",
    "Parameter",
    "PurchaseModelBase",
    "SummaryModel",
    "as_horizon",
    "describe_histories",
    "history",
    "simulation_ages",
    "sort_within",
    "uniform_event_times",
]


@attrs.frozen
class Parameter:
    """One row of a model's parameter table.

    Attributes
    ----------
    name : str
        The attrs field holding the parameter (every parameter is > 0).
    start : float
        Starting value of a fit, multiplied by the data's scale when
        ``scale`` is set.
    scale : {"time", "spend"} or None
        ``"time"`` for a parameter in the data's time unit (a rate's scale
        such as BG/NBD's ``alpha``): its start is ``start`` times the mean
        observation length ``T``; ``"spend"`` for one in money (Gamma-Gamma's
        ``gamma``): ``start`` times the mean spend.
    """

    name: str
    start: float = 1.0
    scale: Literal["time", "spend"] | None = None


class Model:
    """Base of every model: a frozen attrs class whose fields are its parameters.

    A subclass declares ``parameters``, its parameter table (a tuple of
    :class:`Parameter`), and one attrs field per parameter plus
    ``fit_info``.  This class checks every parameter at construction
    (positive and finite), and provides ``params``, the vector ``_theta``
    the kernels take, the fit (start values, the shared optimiser, the
    rebuild from its estimates), the fit report (:meth:`summary`, also the
    HTML representation), JSON (:meth:`to_json`, :meth:`from_json`) and the
    plain representation.
    """

    parameters: ClassVar[tuple[Parameter, ...]]
    #: The parameters covariates can move, and how (empty: the model takes none).
    links: ClassVar[tuple[Link, ...]] = ()
    fit_info: FitInfo | None
    #: The covariate structure and multipliers (a field of the models with ``links``).
    effects: Effects = NO_EFFECTS

    def __attrs_post_init__(self) -> None:
        for parameter in self.parameters:
            name = parameter.name
            object.__setattr__(self, name, as_positive(name, getattr(self, name)))

    @classmethod
    def parameter_names(cls) -> tuple[str, ...]:
        """Return the names of the parameters, in the model's order.

        Returns
        -------
        tuple of str

        Examples
        --------
        >>> import relmark
        >>> relmark.BetaGeo.parameter_names()
        ('r', 'alpha', 'a', 'b')
        """
        return tuple(parameter.name for parameter in cls.parameters)

    @property
    def params(self) -> dict[str, float]:
        r"""The parameters as a ``{name: value}`` dict, in the model's order.

        A model with covariates adds each coefficient's multiplier
        :math:`e^{\gamma}` after the model's own parameters (see
        :mod:`relmark.models._covariates`).
        """
        own = {name: float(getattr(self, name)) for name in self.parameter_names()}
        return own | dict(zip(self.effects.names, self.effects.multipliers, strict=True))

    @property
    def coefficients(self) -> dict[str, float]:
        r"""The covariates' coefficients :math:`\gamma`, the logs of their multipliers, by name.

        Empty for a model without covariates.
        """
        return {
            name: math.log(value)
            for name, value in zip(self.effects.names, self.effects.multipliers, strict=True)
        }

    def with_coefficients(self, coefficients: Mapping[str, float]) -> Self:
        r"""Return the model with covariates of the given coefficients (to simulate or predict).

        Parameters
        ----------
        coefficients : mapping of str to float
            :math:`\gamma` by name, as :attr:`coefficients` names them:
            ``"purchase[channel]"`` (a process that links one parameter),
            ``"dropout.a[channel]"`` (one parameter of a process that links
            several), ``"shared[channel]"`` (every link).

        Returns
        -------
        Self
            The model's parameters, now those of the reference customer
            (covariates all 0), with the covariates' effects; no fit record.

        Raises
        ------
        ValidationError
            If the model takes no covariates, or a name does not parse or
            names no link of the model.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ParetoNBD(r=0.55, alpha=10.6, s=0.61, beta=11.7)
        >>> with_channel = model.with_coefficients({"purchase[online]": 0.4})
        >>> round(with_channel.params["purchase[online]"], 4)   # the multiplier e^0.4
        1.4918
        """
        if not self.links:
            raise ValidationError(f"{type(self).__name__} takes no covariates")
        effects = Effects.from_coefficients(self.links, coefficients, model=type(self).__name__)
        return attrs.evolve(self, fit_info=None, effects=effects)  # type: ignore[misc]

    @property
    def _theta(self) -> FloatArray:
        return np.array(list(self.params.values()), dtype=float)

    def _with_theta(self, theta: FloatArray) -> Self:
        """Return the model at parameters ``theta`` (in ``params`` order), with no fit record."""
        names = self.parameter_names()
        values = dict(zip(names, map(float, theta[: len(names)]), strict=True))
        if self.effects:
            values["effects"] = self.effects.with_multipliers(theta[len(names) :])  # type: ignore[assignment]
        return attrs.evolve(self, fit_info=None, **values)  # type: ignore[misc]

    @classmethod
    def _maximize(
        cls,
        objective: NegLogLikelihood,
        *,
        start: Mapping[str, float] | None,
        scales: Mapping[str, float],
        n_customers: float,
        n_rows: int,
        explain: Callable[[], str],
        effects: Effects = NO_EFFECTS,
    ) -> Self:
        """Fit by maximum likelihood from the table's starts and rebuild the model.

        With ``effects``, the objective takes the coefficients' multipliers
        after the model's parameters; they start at ``effects.multipliers``
        unless ``start`` gives them.
        """
        own = cls.parameter_names()
        names = own + effects.names
        default = [
            p.start * (scales[p.scale] if p.scale is not None else 1.0) for p in cls.parameters
        ] + list(effects.multipliers)
        if start is not None and effects and set(start) == set(own):
            start = dict(start) | dict(zip(effects.names, effects.multipliers, strict=True))
        initial = start_values(cls.__name__, start, names, default)
        theta, info = maximize_likelihood(
            cls.__name__,
            names,
            objective,
            initial,
            n_customers=n_customers,
            n_rows=n_rows,
            explain=explain,
            hessian=objective.hessian if isinstance(objective, CovariateObjective) else None,
        )
        values: dict[str, object] = dict(zip(own, map(float, theta), strict=False))
        if effects:
            fitted = effects.with_multipliers(theta[len(own) :])
            values["effects"] = fitted
            if fitted.penalty:  # report the data's log-likelihood, not the penalised objective
                gamma = np.log(theta[len(own) :])
                penalty = fitted.penalty * float(gamma @ gamma)
                info = attrs.evolve(info, log_likelihood=info.log_likelihood + penalty)
        return cls(**values, fit_info=info)  # type: ignore[call-arg]

    def _view(self, covariates: Covariates | None, *, missing: str | None = None) -> Self:
        """Return the model for rows with ``covariates``: itself, or with them its row view.

        The row view is an instance whose parameter attributes are arrays of
        each row's parameters (unchecked: the kernels are written to take
        them); only the kernels see it.  ``missing`` says what to give when a
        model with covariates gets none (see :meth:`Effects.design`).
        """
        if not self.effects:
            return self
        names = self.parameter_names()
        design = self.effects.design(covariates, model=type(self).__name__, missing=missing)
        gamma = np.log(np.array(self.effects.multipliers))
        params = self.effects.row_parameters(self.params, gamma, design, names)
        view = object.__new__(type(self))
        for field in attrs.fields(type(self)):  # type: ignore[arg-type]
            object.__setattr__(view, field.name, getattr(self, field.name))
        for name, values in zip(names, params, strict=True):
            object.__setattr__(view, name, readonly(values))
        object.__setattr__(view, "effects", NO_EFFECTS)
        object.__setattr__(view, "fit_info", None)
        return view

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value:.6g}" for name, value in self.params.items())
        fitted = ""
        if self.fit_info is not None:
            fitted = f", log_likelihood={self.fit_info.log_likelihood:.6g}"
        return f"{type(self).__name__}({values}{fitted})"

    def summary(self, level: float = 0.95) -> FitReport:
        """Return the fit report: estimates, standard errors, intervals and the fit's figures.

        Parameters
        ----------
        level : float
            Coverage of the Wald intervals, in (0, 1).

        Returns
        -------
        FitReport
            Text when printed, HTML in Jupyter, ``to_pandas()`` and
            ``to_dict()``; a model without ``fit_info`` (built from given
            parameters) reports its estimates only and says it was not fitted.

        Raises
        ------
        ValidationError
            If ``level`` is not in (0, 1).

        Examples
        --------
        >>> import relmark
        >>> model = relmark.ShiftedBetaGeo.fit_survival([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> report = model.summary()
        >>> [round(v, 3) for v in (report.fit_info.aic, report.fit_info.bic)]
        [3226.316, 3236.132]
        >>> print(report.text.splitlines()[1])
        parameter  estimate  std. error     95% interval
        """
        return FitReport.build(type(self).__name__, self.params, self.fit_info, level=level)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def to_json(self) -> str:
        """Return the model as a ``relmark.model`` JSON document (schema version 1).

        The parameters and the whole ``fit_info`` (covariances included);
        floats round-trip exactly.  The schema is documented on the page
        "Saved models (JSON)" and stays readable by every later release.

        Returns
        -------
        str

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> model = relmark.ParetoNBD.fit(cdnow_sample_summary())
        >>> copy = relmark.ParetoNBD.from_json(model.to_json())
        >>> copy.params == model.params, copy.fit_info == model.fit_info
        (True, True)
        """
        from relmark.models._persist import model_to_json  # it builds on this class

        return model_to_json(self)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Return the model a ``relmark.model`` JSON document describes.

        Parameters
        ----------
        text : str
            The document, as :meth:`to_json` writes it.

        Returns
        -------
        Self
            An instance of the class the document names, which must be this
            class or derive from it: ``Model.from_json`` reads any model.

        Raises
        ------
        TypeError
            If ``text`` is not a string.
        ValidationError
            If the text is not such a document of a version this release
            reads, names an unknown model or another class, or has a
            missing or unknown key, a non-finite number or a wrong shape;
            the message names the key.

        Examples
        --------
        >>> import relmark
        >>> text = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426).to_json()
        >>> relmark.BetaGeo.from_json(text)
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> relmark.ParetoNBD.from_json(text)
        Traceback (most recent call last):
        ...
        relmark.exceptions.ValidationError: `model` is 'BetaGeo', which is not a ParetoNBD
        """
        from relmark.models._persist import model_from_json  # it builds on this class

        return model_from_json(text, cls)


class SummaryModel(Model):
    """Base of the models fitted to a :class:`~relmark.data.summary.CustomerSummary`.

    A subclass supplies its likelihood kernel, ``_objective(rows)`` (minus
    the weighted log-likelihood of the fit's rows and its exact gradient),
    and ``customer_log_likelihood(summary)``; it may refine which rows a fit
    runs on (``_fit_rows``), the data's scales for start values
    (``_scales``) and the account of a failed fit (``_explain``).  This
    class provides ``fit``, the weighted ``log_likelihood``, profile-likelihood
    intervals and the report with them.
    """

    @classmethod
    def fit(
        cls,
        summary: CustomerSummary,
        *,
        start: Mapping[str, float] | None = None,
        covariates: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
        shared: Sequence[str] = (),
        penalty: float = 0.0,
    ) -> Self:
        r"""Estimate the parameters by maximum likelihood, optionally with covariates.

        The fit runs on the distinct rows of ``summary`` with their counts as
        weights, in log-parameters, with the model's exact gradient; see
        :mod:`relmark.models._fitting` for how an interior maximum is told
        from a failure.  With covariates, the distinct rows are those of
        (covariate values, history): a few categorical covariates multiply
        the rows by at most their number of cells.

        Parameters
        ----------
        summary : CustomerSummary
            The customers; ``weights`` count as repetitions.  With
            ``covariates``, it carries them
            (:meth:`~relmark.CustomerSummary.with_covariates`).
        start : mapping of str to float, optional
            Starting values, one for every parameter (default: the model's
            parameter table, scaled to the data's time unit or spend; with
            covariates, the fit without them).  With covariates, the
            multipliers may be left out (they start at 1).
        covariates : mapping of str to sequence of str, or sequence of str, optional
            The covariates of each process the model's ``links`` name
            (``{"purchase": ["channel"], "dropout": ["channel"]}``); a plain
            sequence puts the same covariates in every process.  Each
            parameter a process links gets
            :math:`\theta_i = \theta\exp(\sigma z_i^\top\gamma)`.
        shared : sequence of str
            Covariates whose coefficient is the same in every process they
            enter (CLVTools' constraint), named ``"shared[<covariate>]"``.
        penalty : float, default 0
            L2 penalty :math:`\lambda\sum\gamma^2` on the coefficients,
            subtracted from the log-likelihood; ``fit_info.log_likelihood``
            stays the data's.  A penalty > 0 pins coefficients the data
            cannot identify (a covariate constant over the customers) at 0.

        Returns
        -------
        Self
            The same model class with the estimates and ``fit_info`` set;
            with covariates, ``params`` adds each coefficient's multiplier
            :math:`e^{\gamma}` and ``coefficients`` the :math:`\gamma`.

        Raises
        ------
        TypeError
            If ``summary`` is not a CustomerSummary, ``start`` not a mapping
            or ``covariates`` a single string.
        ValidationError
            If the summary is empty or unfit for the model, ``start`` does
            not give every parameter a positive value, the model takes no
            covariates, ``covariates`` names an unknown process or covariate,
            a covariate is constant over the customers (without a penalty),
            a ``shared`` covariate enters fewer than two processes, or
            ``penalty`` is negative.
        ConvergenceError
            If the fit finds no interior maximum; the message says which
            parameters the data cannot identify and why.

        References
        ----------
        Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant
        covariates into the Pareto/NBD and BG/NBD models.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> model = relmark.BetaGeo.fit(cdnow_sample_summary())
        >>> model.fit_info.n_rows, round(model.fit_info.stderr["r"], 3)
        (1016, 0.013)
        """
        effects = cls._effects_of(covariates, shared, penalty)
        rows, objective = cls._likelihood(summary, effects)
        if start is None and effects:
            start = cls._start_with_covariates(rows, objective, effects)
        return cls._maximize(
            objective,
            start=start,
            scales=cls._scales(rows),
            n_customers=rows.n_customers,
            n_rows=len(rows),
            explain=lambda: cls._explain(rows),
            effects=effects,
        )

    @classmethod
    def _effects_of(
        cls,
        covariates: Mapping[str, Sequence[str]] | Sequence[str] | None,
        shared: Sequence[str],
        penalty: float,
    ) -> Effects:
        """Return the covariate structure a fit asks for (none without ``covariates``)."""
        if covariates is None:
            if shared or penalty:
                raise ValidationError(
                    "`shared` and `penalty` apply to covariates: give `covariates`"
                )
            return NO_EFFECTS
        if not cls.links:
            raise ValidationError(
                f"{cls.__name__} takes no covariates; BetaGeo, ModifiedBetaGeo, ParetoNBD, "
                "GammaGamma and ShiftedBetaGeo.fit_individual do"
            )
        return Effects.specify(
            cls.links, covariates, shared=shared, penalty=penalty, model=cls.__name__
        )

    @classmethod
    def _likelihood(
        cls, summary: CustomerSummary, effects: Effects
    ) -> tuple[CustomerSummary, NegLogLikelihood]:
        """Return the fit's distinct rows and its objective over them, with ``effects``."""
        if not isinstance(summary, CustomerSummary):
            raise TypeError(f"`summary` must be a CustomerSummary, got {type(summary).__name__}")
        if not effects:
            rows = cls._fit_rows(_without_covariates(summary))
            return rows, cls._objective(rows)
        rows = cls._fit_rows(summary)
        design = effects.design(rows.covariates, model=cls.__name__)
        _check_design(design, effects, rows.weights)
        objective = covariate_objective(
            cls._row_scores,
            cls._row_columns(rows),
            rows.weights,
            design,
            effects,
            cls.parameter_names(),
        )
        return rows, objective

    @classmethod
    def _start_without_covariates(cls, rows: CustomerSummary) -> Mapping[str, float] | None:
        """Return the fit without covariates as a start (None where it fails: table starts)."""
        try:
            return cls.fit(_without_covariates(rows)).params
        except ConvergenceError:
            return None

    @classmethod
    def _start_with_covariates(
        cls, rows: CustomerSummary, objective: NegLogLikelihood, effects: Effects
    ) -> Mapping[str, float] | None:
        """Return a start for a fit with covariates (None: the table's starts).

        On few rows, the fit without covariates.  On many, the fit with them
        to a seeded sample of the customers, polished on all rows by
        quasi-Newton steps from the sample's curvature (scaled to all the
        customers): a handful of evaluations of the full objective, where
        the optimiser from the fit without covariates needs some forty.
        The full fit then starts at (or next to) its maximum; the sample
        only chooses where it starts, never what it finds.
        """
        if len(rows) <= _SAMPLE_ROWS:
            return cls._start_without_covariates(rows)
        sample = _sample_of(rows, _SAMPLE_ROWS / len(rows))
        try:
            fitted = cls._maximize(
                cls._likelihood(sample, effects)[1],
                start=cls._start_without_covariates(sample),
                scales=cls._scales(sample),
                n_customers=sample.n_customers,
                n_rows=len(sample),
                explain=lambda: cls._explain(sample),
                effects=effects,
            )
        except ConvergenceError:
            return None
        assert fitted.fit_info is not None
        curvature = fitted.fit_info.log_covariance * (sample.n_customers / rows.n_customers)
        polished = newton_refit(objective, fitted._theta, curvature)
        theta = fitted._theta if polished is None else polished
        return dict(zip(fitted.params, map(float, theta), strict=True))

    @classmethod
    def _row_scores(cls, params: FloatArray, *columns: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return each row's log-likelihood and scores for per-row ``params`` (k, n).

        ``scores[j, i]`` is the derivative of row ``i``'s log-likelihood with
        respect to the log of ``params[j, i]``; a model with ``links``
        supplies it (see :mod:`relmark.models._covariates`).
        """
        raise NotImplementedError  # pragma: no cover

    @classmethod
    def _row_columns(cls, rows: CustomerSummary) -> tuple[FloatArray, ...]:
        """Return the data columns ``_row_scores`` takes, from the fit's rows."""
        return history(rows)

    def _at(self, summary: CustomerSummary) -> Self:
        """Return the model for ``summary``'s rows: itself, or with covariates its row view."""
        return self._view(summary.covariates) if self.effects else self

    def profile_intervals(
        self,
        summary: CustomerSummary,
        level: float = 0.95,
        parameters: Sequence[str] | None = None,
    ) -> dict[str, tuple[float, float]]:
        r"""Return profile-likelihood intervals of the parameters, fitted to ``summary``.

        Where the log-likelihood is far from quadratic in the log-parameters
        (small data sets, parameters near a limit) the Wald intervals of
        :meth:`FitInfo.intervals` mislead; the profile-likelihood interval
        does not assume that shape.  The model must be the maximum-likelihood
        fit of ``summary`` (``Model.fit(summary)``): its parameters start a
        refit, which must not move the log-likelihood.

        Parameters
        ----------
        summary : CustomerSummary
            The customers the model was fitted to.
        level : float
            Coverage, in (0, 1).
        parameters : sequence of str, optional
            The parameters to profile (default: all of them).

        Returns
        -------
        dict of str to (float, float)
            ``(lower, upper)`` per parameter, in the model's order.  A lower
            bound of ``0.0`` or an upper bound of ``inf`` means the data set
            no bound on that side: the deviance stays below the threshold
            out to :math:`e^{-30}` or :math:`e^{30}`, the edge of the search.

        Raises
        ------
        TypeError
            If ``summary`` is not a CustomerSummary or ``parameters`` not a
            sequence of names.
        ValidationError
            If ``level`` is not in (0, 1), ``parameters`` names an unknown
            parameter, or the model is not the maximum-likelihood fit of
            ``summary``.
        ConvergenceError
            If the fit to ``summary`` finds no interior maximum.

        Notes
        -----
        For each parameter :math:`\theta_j` the profile log-likelihood
        :math:`LL_p(\theta_j) = \max_{\theta_{-j}} LL(\theta)` re-maximises
        the others with the shared optimiser; the interval is where
        :math:`2[LL(\hat\theta) - LL_p(\theta_j)] \le \chi^2_{1,\,level}`,
        its ends found by root-finding in :math:`\log\theta_j`
        (:func:`~relmark.models._fitting.profile_likelihood_intervals`).
        Each end costs about a dozen fits of the other parameters on the
        distinct rows.

        References
        ----------
        Venzon, D. J. & Moolgavkar, S. H. (1988). A method for computing
        profile-likelihood-based confidence intervals. *Applied Statistics*,
        37(1), 87-94.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> cdnow = cdnow_sample_summary()
        >>> model = relmark.BetaGeo.fit(cdnow)
        >>> bounds = model.profile_intervals(cdnow, parameters=["r", "a"])
        >>> {name: [round(v, 3) for v in pair] for name, pair in bounds.items()}
        {'r': [0.219, 0.269], 'a': [0.515, 1.319]}
        """
        rows, objective = self._likelihood(summary, self.effects)
        refit = self._maximize(
            objective,
            start=self.params,
            scales=self._scales(rows),
            n_customers=rows.n_customers,
            n_rows=len(rows),
            explain=lambda: self._explain(rows),
            effects=self.effects,
        )
        assert refit.fit_info is not None  # a fitted model always has one
        # compare on the objective the fit maximised (penalised, with a penalty)
        own = -objective(self._theta)[0]
        best = -objective(refit._theta)[0]
        info = attrs.evolve(refit.fit_info, log_likelihood=best)
        if not 2.0 * (best - own) <= _AT_MAXIMUM:
            raise ValidationError(
                f"the {type(self).__name__} is not the maximum-likelihood fit of `summary`: "
                f"its log-likelihood is {own:,.4f} against {best:,.4f} at the maximum; "
                f"profile the model {type(self).__name__}.fit(summary) returns"
            )
        return profile_likelihood_intervals(
            type(self).__name__, objective, info, level=level, parameters=parameters
        )

    def summary(self, level: float = 0.95, *, profile: CustomerSummary | None = None) -> FitReport:
        """Return the fit report; with ``profile``, profile-likelihood intervals too.

        Parameters
        ----------
        level : float
            Coverage of the intervals, in (0, 1).
        profile : CustomerSummary, optional
            The customers the model was fitted to: adds the
            profile-likelihood interval of every parameter
            (:meth:`profile_intervals`) beside the Wald interval.

        Returns
        -------
        FitReport

        Raises
        ------
        ValidationError
            If ``level`` is not in (0, 1), or as :meth:`profile_intervals`.

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> cdnow = cdnow_sample_summary()
        >>> report = relmark.NBD.fit(cdnow).summary(profile=cdnow)
        >>> for line in report.text.splitlines()[:4]:
        ...     print(line)
        NBD: maximum-likelihood fit
        parameter  estimate  std. error     95% interval      95% profile
        r            0.3848     0.02099  0.3458 - 0.4282  0.3459 - 0.4284
        alpha         12.07      0.8087    10.59 - 13.77    10.57 - 13.75
        """
        bounds = None if profile is None else self.profile_intervals(profile, level)
        return FitReport.build(
            type(self).__name__, self.params, self.fit_info, level=level, profile=bounds
        )

    @classmethod
    def _fit_rows(cls, summary: CustomerSummary) -> CustomerSummary:
        """Return the checked, distinct rows a fit runs on."""
        history(summary)
        if len(summary) == 0:
            raise ValidationError(f"cannot fit {cls.__name__} to an empty summary")
        return summary.compress()

    @classmethod
    def _objective(cls, rows: CustomerSummary) -> NegLogLikelihood:
        """Return ``theta -> (-log-likelihood, gradient)`` over ``rows`` (weighted)."""
        raise NotImplementedError  # pragma: no cover

    @classmethod
    def _reweighted(cls, rows: CustomerSummary) -> Callable[[FloatArray], NegLogLikelihood]:
        """Return ``weights -> objective`` over ``rows`` reweighted (a weight may be 0).

        The bootstrap refits one set of distinct rows under hundreds of
        weightings.  This default builds the objective anew on the rows of
        positive weight; a model whose objective first tabulates its rows
        (sorting out the distinct values) overrides it to tabulate once.
        """

        def objective(weights: FloatArray) -> NegLogLikelihood:
            return cls._objective(rows._drawn(weights))

        return objective

    def _reweighting(self, rows: CustomerSummary) -> Callable[[FloatArray], NegLogLikelihood]:
        """Return ``weights -> objective`` over ``rows`` for this model's covariates (if any).

        Without covariates, the class's :meth:`_reweighted`; with them, the
        covariate objective over ``rows`` (design and columns taken once).
        """
        cls = type(self)
        if not self.effects:
            return cls._reweighted(rows)
        design = self.effects.design(rows.covariates, model=cls.__name__)
        columns = cls._row_columns(rows)
        effects, order = self.effects, cls.parameter_names()

        def objective(weights: FloatArray) -> NegLogLikelihood:
            return covariate_objective(cls._row_scores, columns, weights, design, effects, order)

        return objective

    @classmethod
    def _scales(cls, rows: CustomerSummary) -> dict[str, float]:
        """Return the data's scales for start values: the weighted mean ``T``."""
        return {"time": max(float(np.average(rows.T, weights=rows.weights)), 1e-3)}

    @classmethod
    def _explain(cls, rows: CustomerSummary) -> str:
        """Say what in ``rows`` leaves the parameters unidentified (after a failed fit)."""
        return describe_histories(rows, len(cls.parameters))

    def customer_log_likelihood(self, summary: CustomerSummary) -> FloatArray:
        """Return the log-likelihood of each row of ``summary`` (unweighted)."""
        raise NotImplementedError  # pragma: no cover

    def log_likelihood(self, summary: CustomerSummary) -> float:
        """Return the weighted total log-likelihood of ``summary`` under this model.

        Parameters
        ----------
        summary : CustomerSummary
            Customers; their ``weights`` count as repetitions.

        Returns
        -------
        float

        Examples
        --------
        >>> import relmark
        >>> from relmark.datasets import cdnow_sample_summary
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(model.log_likelihood(cdnow_sample_summary()), 1)
        -9582.4
        """
        return float(np.dot(summary.weights, self.customer_log_likelihood(summary)))


class PurchaseModelBase(SummaryModel):
    """Base of the purchase models: every prediction checks its inputs here, once.

    A purchase model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB) supplies kernels
    that trust their inputs: ``_alive(x, t_x, T)``, ``_expected(x, t_x, T, t)``
    (``t`` one value or one per row), ``_expected_new(t)`` and ``_pmf(n, t)``
    (flat arrays of equal length) and ``_draw(T, generator) -> (x, t_x)``; the
    formulas are in each model's class Notes and kernels.  Discrete-time
    models set ``_discrete`` so that times must be whole numbers of
    opportunities.
    """

    _discrete: ClassVar[bool] = False

    def _alive(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def _expected(self, x: FloatArray, t_x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def _expected_sums(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        horizons: FloatArray,
        weights: FloatArray,
    ) -> FloatArray:
        r"""Return weighted sums of ``_expected`` over horizons, :math:`\sum_k w_{jk} E[Y(h_k)]`.

        ``weights`` has shape ``(m, horizons.size)``; the result ``(m, n)``.
        A discounted lifetime value is such a sum over the periods' ends.
        This default makes one pass per horizon (memory ``m`` by ``n``); a
        model whose expectation shares work across horizons (P(alive),
        distinct rows) overrides it.
        """
        sums = np.zeros((weights.shape[0], x.size))
        for k in range(horizons.size):  # a loop over horizons, not customers
            sums += weights[:, k : k + 1] * self._expected(x, t_x, T, horizons[k : k + 1])
        return sums

    def _expected_new(self, t: FloatArray) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def _pmf(self, n: FloatArray, t: FloatArray) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def _draw(self, T: FloatArray, generator: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError  # pragma: no cover

    @classmethod
    def _columns(cls, summary: CustomerSummary) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Return a summary's (frequency, recency, T), checked for this model."""
        return history(summary)

    def _times(self, name: str, t: ArrayLike) -> tuple[FloatArray, bool]:
        """Return times checked (>= 0; whole for a discrete model) and whether scalar."""
        checked, scalar = as_horizon(name, t)
        if self._discrete:
            check_whole(name, checked)
        return checked, scalar

    def _log_likelihood_rows(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        raise NotImplementedError  # pragma: no cover

    def customer_log_likelihood(self, summary: CustomerSummary) -> FloatArray:
        """Return the log-likelihood of each row of ``summary`` (unweighted).

        Parameters
        ----------
        summary : CustomerSummary
            The customers (whole-number times for a discrete model).

        Returns
        -------
        ndarray, shape (n,)

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = relmark.CustomerSummary.from_arrays([0, 2], [0.0, 30.43], [38.86, 38.86])
        >>> model.customer_log_likelihood(s).round(3).tolist()
        [-0.555, -9.459]
        """
        return self._at(summary)._log_likelihood_rows(*self._columns(summary))

    def probability_alive(self, summary: CustomerSummary) -> FloatArray:
        r"""Return each customer's probability of still being active at the end of observation.

        Parameters
        ----------
        summary : CustomerSummary
            The customers.

        Returns
        -------
        ndarray, shape (n,)
            In [0, 1].

        Notes
        -----
        :math:`P(\text{alive} \mid x, t_x, T)`; the model's formula is in its
        class Notes and its page under "The models".

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = relmark.CustomerSummary.from_arrays([0, 2, 2], [0.0, 30.43, 5.0], [38.86] * 3)
        >>> model.probability_alive(s).round(3).tolist()
        [1.0, 0.727, 0.124]
        """
        return self._at(summary)._alive(*self._columns(summary))

    def expected_purchases(self, summary: CustomerSummary, t: ArrayLike) -> FloatArray:
        r"""Return the purchases each customer is expected to make in the next ``t``.

        Parameters
        ----------
        summary : CustomerSummary
            The customers.
        t : float or array_like
            Horizon (>= 0, in the summary's unit; whole opportunities for a
            discrete model): a scalar, or one per customer.

        Returns
        -------
        ndarray, shape (n,)
            Non-decreasing in ``t``.

        Notes
        -----
        :math:`E[Y(t) \mid x, t_x, T]`, the expectation while alive times
        :math:`P(\text{alive})`; the model's formula is in its class Notes.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = relmark.CustomerSummary.from_arrays([2], [30.43], [38.86])
        >>> round(float(model.expected_purchases(s, 39.0)[0]), 3)   # Fader et al. (2005)
        1.226
        """
        x, t_x, T = self._columns(summary)
        horizon, scalar = self._times("t", t)
        if not scalar and horizon.size != x.size:
            raise ValidationError(
                f"`t` must be a scalar or one value per customer ({x.size:,}), "
                f"got {horizon.size:,} values"
            )
        return self._at(summary)._expected(x, t_x, T, horizon.ravel())

    @overload
    def expected_purchases_new_customer(self, t: float) -> float: ...

    @overload
    def expected_purchases_new_customer(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def expected_purchases_new_customer(
        self, t: float | NDArray[Any] | Sequence[float]
    ) -> float | FloatArray:
        """Return the repeat purchases a new customer is expected to make by ``t``.

        Parameters
        ----------
        t : float or array_like
            Time since the first purchase (>= 0, in the model's unit; whole
            opportunities for a discrete model).

        Returns
        -------
        float or ndarray
            A float for a scalar ``t``, else an array of ``t``'s shape;
            non-decreasing in ``t``.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(model.expected_purchases_new_customer(39.0), 3)
        1.197
        """
        horizon, scalar = self._times("t", t)
        values = self._expected_new(horizon.ravel())
        return float(values[0]) if scalar else values.reshape(horizon.shape)

    @overload
    def probability_of_purchases(self, n: int, t: float) -> float: ...

    @overload
    def probability_of_purchases(
        self, n: ArrayLike, t: NDArray[Any] | Sequence[float]
    ) -> FloatArray: ...

    @overload
    def probability_of_purchases(
        self, n: NDArray[Any] | Sequence[int], t: ArrayLike
    ) -> FloatArray: ...

    def probability_of_purchases(self, n: ArrayLike, t: ArrayLike) -> float | FloatArray:
        """Return the probability that a new customer makes exactly ``n`` repeat purchases by ``t``.

        Parameters
        ----------
        n : int or array_like
            Numbers of purchases (whole, >= 0); broadcasts against ``t``.
        t : float or array_like
            Time since the first purchase (>= 0, in the model's unit; whole
            opportunities for a discrete model).

        Returns
        -------
        float or ndarray
            A float when both are scalars, else the broadcast shape; in
            [0, 1], summing to at most 1 over ``n``.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> [round(model.probability_of_purchases(n, 39.0), 3) for n in range(3)]
        [0.574, 0.199, 0.085]
        """
        counts = as_float_array("n", np.ravel(n), nonnegative=True)
        check_whole("n", counts)
        horizons, _ = self._times("t", np.ravel(t))
        try:
            shape = np.broadcast_shapes(np.shape(n), np.shape(t))
        except ValueError:
            raise ValidationError(
                f"`n` and `t` must broadcast together, got shapes {np.shape(n)} and {np.shape(t)}"
            ) from None
        flat_n = np.broadcast_to(counts.reshape(np.shape(n)), shape).ravel()
        flat_t = np.broadcast_to(horizons.reshape(np.shape(t)), shape).ravel()
        values = np.clip(self._pmf(flat_n, flat_t), 0.0, 1.0)
        return float(values[0]) if shape == () else values.reshape(shape)

    def simulate(
        self,
        n_customers: int,
        T: ArrayLike,
        rng: np.random.Generator | int | None = None,
        *,
        covariates: Covariates | None = None,
    ) -> CustomerSummary:
        """Draw customers' (x, t_x, T) summaries from the model.

        Parameters
        ----------
        n_customers : int
            Number of customers (0 to 10^8).
        T : float or array_like
            Observation length since each first purchase (> 0; whole
            opportunities for a discrete model), scalar or one per customer,
            in the model's unit.
        rng : numpy.random.Generator, int or None
            Randomness source or seed.
        covariates : Covariates, optional
            The customers' covariates, one row per customer: needed by a
            model with covariates, whose customers each draw from their own
            parameters.

        Returns
        -------
        CustomerSummary
            With ``unit`` None (the model's unit), and ``covariates`` when given.

        Raises
        ------
        ValidationError
            If a model with covariates gets none, or not one row per customer.

        Examples
        --------
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> s = model.simulate(1000, 39.0, rng=7)
        >>> len(s), bool((s.recency <= s.T).all())
        (1000, True)
        """
        _, ages = simulation_ages(n_customers, T, whole=self._discrete)
        model = self._view(_one_per_customer(covariates, ages.size), missing=_GIVE_COVARIATES)
        x, t_x = model._draw(ages, as_rng(rng))
        if covariates is None:
            return CustomerSummary.from_arrays(x, t_x, ages, unit=None)
        return CustomerSummary.from_arrays(x, t_x, ages, unit=None, covariates=covariates)


class ContinuousPurchaseModel(PurchaseModelBase):
    """Base of the continuous-time purchase models, which can draw every purchase's time.

    A subclass supplies ``_mean_rate()`` (the population's mean purchase
    rate while alive) and ``_draw_times(T, generator) -> (owner, offset)``.
    """

    def _mean_rate(self) -> float:
        raise NotImplementedError  # pragma: no cover

    def _draw_times(
        self, T: FloatArray, generator: np.random.Generator
    ) -> tuple[IntArray, FloatArray]:
        raise NotImplementedError  # pragma: no cover

    def simulate_purchase_times(
        self,
        n_customers: int,
        T: ArrayLike,
        rng: np.random.Generator | int | None = None,
        *,
        covariates: Covariates | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """Draw every repeat purchase of new customers observed for ``T``.

        Parameters
        ----------
        n_customers : int
            Number of customers (0 to 10^8).
        T : float or array_like
            Observation length since each first purchase (> 0), scalar or
            one per customer, in the model's unit.
        rng : numpy.random.Generator, int or None
            Randomness source or seed.
        covariates : Covariates, optional
            The customers' covariates, one row per customer, as for
            :meth:`simulate`: needed by a model with covariates.

        Returns
        -------
        owner : ndarray of int64, shape (m,)
            The customer (``0 .. n_customers - 1``) of each repeat purchase.
        offset : ndarray, shape (m,)
            Its time since that customer's first purchase, in ``(0, T]``;
            sorted by customer, then time.

        Raises
        ------
        ValidationError
            If more than 10^9 purchases are expected (refused before drawing).

        Examples
        --------
        >>> import numpy as np
        >>> import relmark
        >>> model = relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> owner, offset = model.simulate_purchase_times(1000, 39.0, rng=7)
        >>> bool((offset <= 39.0).all()), bool((np.diff(owner) >= 0).all())
        (True, True)
        """
        _, ages = simulation_ages(n_customers, T)
        model = self._view(_one_per_customer(covariates, ages.size), missing=_GIVE_COVARIATES)
        check_size(
            "the expected purchase events",
            float(np.sum(ages * model._mean_rate())),
            MAX_SIMULATED_EVENTS,
            unit="events",
            why="about 50 bytes of memory each; use fewer customers, a shorter `T` or a lower rate",
        )
        return model._draw_times(ages, as_rng(rng))


def uniform_event_times(
    events: IntArray, window: FloatArray, generator: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    """Place ``events[i]`` uniform times in ``(0, window[i]]`` for each customer ``i``.

    Returns each event's customer and time, sorted by customer, then time:
    the times of a Poisson process given its number of events.
    """
    owner = np.repeat(np.arange(events.size), events)
    fraction = sort_within(owner, generator.uniform(0.0, 1.0, owner.size), events.size)
    times: FloatArray = fraction * window[owner]
    return owner.astype(np.int64), times


def sort_within(group: IntArray, values: FloatArray, n_groups: int) -> FloatArray:
    """Sort ``values`` within runs of equal ``group`` (``group`` sorted, values in [0, 1)).

    One ``argsort`` of an int64 key packing the group above the leading bits of
    the value: much faster than ``lexsort``.  Should two values share a key (a
    near-impossible tie on the truncated bits), fall back to ``lexsort``.
    """
    group_bits = max(int(n_groups - 1).bit_length(), 1)
    value_bits = min(63 - group_bits, 53)
    key = (values * float(2**value_bits)).astype(np.int64)
    np.minimum(key, 2**value_bits - 1, out=key)
    key |= group << value_bits
    order = np.argsort(key)
    key = key[order]
    if key.size > 1 and bool(np.any(key[1:] == key[:-1])):
        order = np.lexsort((values, group))
    del key
    sorted_values: FloatArray = values[order]
    return sorted_values


def as_horizon(name: str, t: Any) -> tuple[FloatArray, bool]:
    """Return ``t`` checked (non-negative floats, same shape; 1-D for a scalar) and if scalar."""
    scalar = np.ndim(t) == 0
    checked = as_float_array(name, np.ravel(t), nonnegative=True)
    return checked if scalar else checked.reshape(np.shape(t)), scalar


def history(summary: CustomerSummary) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return a summary's (frequency, recency, T), checking it is a summary."""
    if not isinstance(summary, CustomerSummary):
        raise TypeError(f"`summary` must be a CustomerSummary, got {type(summary).__name__}")
    return summary.frequency, summary.recency, summary.T


def describe_histories(rows: CustomerSummary, n_params: int) -> str:
    """Say what in purchase histories can leave a model's parameters unidentified.

    Called only after a failed fit, on its distinct rows; "" when nothing
    stands out.
    """
    x, t_x, T, w = rows.frequency, rows.recency, rows.T, rows.weights
    n, repeat = float(w.sum()), x > 0
    buyers = float(w[repeat].sum())
    if buyers == 0:
        return (
            f"none of the {n:,.0f} customers made a repeat purchase, so neither the purchase "
            "rates nor the dropout process are identified"
        )
    if len(rows) == 1:
        if n == 1:
            return "there is only one customer, and one history cannot show how customers differ"
        return (
            f"all {n:,.0f} customers have the same history (frequency, recency, T), which "
            "cannot show how customers differ"
        )
    causes = []
    if len(rows) < n_params:
        causes.append(f"only {len(rows)} distinct histories for {n_params} parameters")
    if buyers < 2 * n_params:
        causes.append(f"only {buyers:,.0f} of {n:,.0f} customers made a repeat purchase")
    if np.all(T[repeat] - t_x[repeat] <= 1e-9 * T[repeat]):
        causes.append(
            "every repeat buyer purchased at the very end of their observation, so nothing "
            "shows dropout"
        )
    if np.all(x[repeat] == x[repeat][0]) and buyers > 1:
        causes.append(
            f"every repeat buyer made exactly {x[repeat][0]:,.0f} repeat purchases, so "
            "purchase rates show no spread across customers"
        )
    typical = float(np.median(x[repeat]))
    if x.max() > 100.0 * max(typical, 1.0):
        causes.append(
            f"a customer with {x.max():,.0f} repeat purchases against a median of "
            f"{typical:,.0f} among repeat buyers dominates the purchase rates"
        )
    if T.max() > 1000.0:
        unit = f"unit {rows.unit!r}" if rows.unit else "the summary's unit"
        causes.append(f"T reaches {T.max():,.4g} in {unit}; a coarser time unit may fit")
    return "; ".join(causes)


def simulation_ages(
    n_customers: int, T: ArrayLike, *, whole: bool = False
) -> tuple[int, FloatArray]:
    """Return the number of customers to draw and each one's observation length (> 0)."""
    count = as_count(
        "n_customers",
        n_customers,
        maximum=MAX_SIMULATED_CUSTOMERS,
        why="simulate larger bases in parts with different seeds",
    )
    ages = as_float_array("T", np.atleast_1d(T), positive=True)
    if whole:
        check_whole("T", ages)
    if ages.size not in (1, count):
        check_same_length({"T": ages, "customers": np.zeros(count)})
    return count, np.broadcast_to(ages, (count,)).astype(np.float64)


def _sample_of(rows: CustomerSummary, share: float) -> CustomerSummary:
    """Return a seeded sample of ``rows``' customers: each kept with probability ``share``."""
    # Poisson thinning takes any weights (counts or not); a start needs no more exactness
    kept = np.random.default_rng(_SAMPLE_SEED).poisson(rows.weights * share)
    return rows._drawn(kept.astype(np.float64))


def _one_per_customer(covariates: Covariates | None, n_customers: int) -> Covariates | None:
    """Return ``covariates`` checked to have one row per simulated customer."""
    if covariates is not None and len(covariates) != n_customers:
        raise ValidationError(
            f"`covariates` must have one row per customer ({n_customers:,}), "
            f"got {len(covariates):,}"
        )
    return covariates


def _without_covariates(summary: CustomerSummary) -> CustomerSummary:
    """Return ``summary`` without its covariates (the same arrays otherwise)."""
    if summary.covariates is None:
        return summary
    fields = {field.name: getattr(summary, field.name) for field in attrs.fields(CustomerSummary)}
    return CustomerSummary._trusted(**(fields | {"covariates": None}))


def _check_design(design: FloatArray, effects: Effects, weights: FloatArray) -> None:
    """Refuse covariates constant over the customers fitted, unless a penalty pins them."""
    if effects.penalty:
        return
    fitted = design[weights > 0]
    constant = [
        name
        for name, column in zip(effects.covariates, fitted.T, strict=True)
        if column.size and (column == column[0]).all()
    ]
    if constant:
        values = ", ".join(
            f"{name!r} (always {fitted[0, effects.covariates.index(name)]:g})" for name in constant
        )
        raise ValidationError(
            f"covariate(s) {values} take one value over the customers fitted: their "
            "coefficients cannot be told apart from the model's parameters; drop them, or "
            "set `penalty` > 0 to pin them at 0"
        )
