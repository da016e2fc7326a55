r"""Static covariates: how a customer's characteristics move a model's parameters.

A model with covariates makes some of its parameters per customer through
*links* (Fader & Hardie 2007):

.. math::

    \theta_{k,i} = \theta_k \exp(\sigma_k\, z_i^\top \gamma_k),

with :math:`z_i` the customer's covariates, :math:`\gamma_k` the coefficients
of parameter :math:`k` and :math:`\sigma_k = \pm 1` the link's sign, chosen so
that a positive coefficient means *more* of what the process is about: faster
buying (BG/NBD's and Pareto/NBD's ``alpha`` has sign -1, the rates being
:math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`), faster dropout (Pareto/NBD's
``beta``, sign -1), higher spend (Gamma-Gamma's ``gamma``, sign +1).  A model
class declares its links; a fit chooses which covariates enter which process.

Each coefficient is carried as its multiplier :math:`e^{\gamma}`, a positive
parameter beside the model's own: the fit's log-parameter machinery, its
Wald and profile intervals, the bootstrap and the delta method then apply to
coefficients unchanged, the covariance of :math:`\gamma` is the fit's
``log_covariance``, and the report shows what a marketer reads: "online
customers buy at 1.4 times the rate".  The parameters the model reports
without a suffix (``r``, ``alpha``, ...) are those of a customer whose
covariates are all 0, the reference customer.

This module holds the model-independent part: the covariate structure of a
fit (:class:`Effects`), the per-row parameters, and the chain rule that turns
a model's per-row scores (:math:`\partial \ell_i / \partial \log\theta_{k,i}`)
into the gradient of the coefficients.  A model supplies the per-row kernel,
``_row_scores(params, *columns)``.

References
----------
Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant
covariates into the Pareto/NBD and BG/NBD models.
http://www.brucehardie.com/notes/019/
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
import numpy as np

from relmark._validation import FloatArray, as_scalar, readonly
from relmark.exceptions import ValidationError

if TYPE_CHECKING:
    from relmark.data.covariates import Covariates

__all__ = [
    "NO_EFFECTS",
    "CovariateObjective",
    "Effects",
    "Link",
    "RowKernel",
    "Term",
    "covariate_objective",
]

# params (k, n) and the data columns -> (per-row log-likelihood (n,), scores (k, n))
RowKernel = Callable[..., tuple[FloatArray, FloatArray]]


@attrs.frozen
class Link:
    r"""One parameter a process's covariates move, and the sign they move it with.

    Attributes
    ----------
    parameter : str
        The model parameter made per customer (``"alpha"``).
    process : str
        The process whose covariates enter (``"purchase"``, ``"dropout"``,
        ``"spend"``, ``"churn"``).
    sign : {1, -1}
        :math:`\theta_{k,i} = \theta_k \exp(\text{sign}\, z_i^\top\gamma)`.
    """

    parameter: str
    process: str
    sign: int


@attrs.frozen
class Term:
    """One covariate in one link: ``coefficient`` is the name of its multiplier."""

    coefficient: str
    covariate: str
    parameter: str
    sign: int


def _terms(value: Sequence[Term]) -> tuple[Term, ...]:
    return tuple(value)


def _values(value: Sequence[float] | FloatArray) -> tuple[float, ...]:
    return tuple(float(v) for v in value)


@attrs.frozen
class Effects:
    r"""The covariate structure of a model and its fitted multipliers.

    Attributes
    ----------
    terms : tuple of Term
        Every (covariate, parameter) pair; shared covariates have several
        terms with one coefficient name.
    multipliers : tuple of float
        :math:`e^{\gamma}` per coefficient name, in the order of :attr:`names`.
    penalty : float
        The L2 penalty of the fit, :math:`\lambda \sum \gamma^2` (0: none).
    """

    terms: tuple[Term, ...] = attrs.field(default=(), converter=_terms)
    multipliers: tuple[float, ...] = attrs.field(default=(), converter=_values)
    penalty: float = 0.0

    def __attrs_post_init__(self) -> None:
        if len(self.multipliers) != len(self.names):
            raise ValidationError(
                f"`multipliers` must give one value for each of {len(self.names)} coefficients "
                f"({', '.join(self.names)}), got {len(self.multipliers)}"
            )

    @property
    def names(self) -> tuple[str, ...]:
        """The coefficients' names, each once, in the order of the terms."""
        return tuple(dict.fromkeys(term.coefficient for term in self.terms))

    @property
    def covariates(self) -> tuple[str, ...]:
        """The covariates the model needs, each once."""
        return tuple(dict.fromkeys(term.covariate for term in self.terms))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def with_multipliers(self, values: Sequence[float] | FloatArray) -> Effects:
        """Return the same structure with other multipliers (a refit, a bootstrap draw)."""
        return Effects(self.terms, values, self.penalty)

    @classmethod
    def specify(
        cls,
        links: Sequence[Link],
        covariates: Mapping[str, Sequence[str]] | Sequence[str],
        *,
        shared: Sequence[str] = (),
        penalty: float = 0.0,
        model: str,
    ) -> Effects:
        """Check a fit's covariate choice against the model's links and build the terms.

        ``covariates`` maps each process to its covariates; a plain sequence
        puts the same covariates in every process.  ``shared`` covariates
        take one coefficient in every process they enter.  Multipliers start
        at 1 (coefficient 0).
        """
        processes = tuple(dict.fromkeys(link.process for link in links))
        chosen = _chosen(covariates, processes, model)
        shared_names = _shared(shared, chosen)
        strength = as_scalar("penalty", penalty, low=0.0)
        terms = []
        for link in links:
            for covariate in chosen.get(link.process, ()):
                several = sum(other.process == link.process for other in links) > 1
                coefficient = (
                    f"shared[{covariate}]"
                    if covariate in shared_names
                    else f"{link.process}.{link.parameter}[{covariate}]"
                    if several
                    else f"{link.process}[{covariate}]"
                )
                terms.append(Term(coefficient, covariate, link.parameter, link.sign))
        if not terms:
            raise ValidationError("`covariates` chooses no covariate for any process")
        names = tuple(dict.fromkeys(term.coefficient for term in terms))
        return cls(tuple(terms), [1.0] * len(names), strength)

    @classmethod
    def from_coefficients(
        cls, links: Sequence[Link], coefficients: Mapping[str, float], *, model: str
    ) -> Effects:
        """Build the structure and multipliers named as :attr:`names` names them.

        ``"process[covariate]"`` moves every parameter the process links (it
        must link one: otherwise ``"process.parameter[covariate]"``), and
        ``"shared[covariate]"`` every link of the model.
        """
        if not isinstance(coefficients, Mapping) or not coefficients:
            raise ValidationError(
                "`coefficients` must be a non-empty mapping of names such as "
                "'purchase[channel]' to coefficients"
            )
        terms: list[Term] = []
        values: list[float] = []
        for name, value in coefficients.items():
            chosen, covariate = _parse_name(name, links, model)
            terms.extend(Term(name, covariate, link.parameter, link.sign) for link in chosen)
            values.append(math.exp(as_scalar(f"coefficients[{name!r}]", value)))
        return cls(tuple(terms), values)

    def design(
        self, covariates: Covariates | None, *, model: str, missing: str | None = None
    ) -> FloatArray:
        """Return the values of the covariates the terms need (one column each, in order).

        ``missing`` says what to do when ``covariates`` is None (default: give
        the summary its covariates).
        """
        if covariates is None:
            hint = missing or (
                "the summary has none: add them with summary.with_covariates(table, id_column=...)"
            )
            raise ValidationError(
                f"the {model} has covariates ({', '.join(self.covariates)}) and {hint}"
            )
        values: FloatArray = covariates.columns(self.covariates)
        return values

    def row_parameters(
        self, base: Mapping[str, float], gamma: FloatArray, design: FloatArray, order: Sequence[str]
    ) -> FloatArray:
        r"""Return each row's parameters :math:`\theta_k e^{\sigma z^\top\gamma}`, ``(k, n)``.

        ``base`` gives the reference customer's parameters by name.
        """
        exponents = self._exponents(gamma, design, order)
        params = np.exp(exponents, out=exponents)
        params *= np.array([base[name] for name in order])[:, None]
        return params

    def loadings(self, order: Sequence[str]) -> FloatArray:
        r"""Return how the coefficients load on the covariates, per parameter: ``(k, c, q)``.

        ``loadings[k, c, j]`` is the sum of the signs of the terms of
        coefficient ``c`` on parameter ``order[k]`` and covariate ``j``, so
        that :math:`\log\theta_{k,i} = \log\theta_k + \sum_{c,j}
        \text{loadings}[k,c,j]\,\gamma_c z_{ij}` (the links are linear in
        the coefficients).  The one table the per-row parameters, the
        gradient and the Hessian of a fit are built from.
        """
        loadings = np.zeros((len(order), len(self.names), len(self.covariates)))
        coefficient = {name: c for c, name in enumerate(self.names)}
        covariate = {name: j for j, name in enumerate(self.covariates)}
        for term in self.terms:  # a loop over terms, not rows
            k = list(order).index(term.parameter)
            loadings[k, coefficient[term.coefficient], covariate[term.covariate]] += term.sign
        return loadings

    def _exponents(self, gamma: FloatArray, design: FloatArray, order: Sequence[str]) -> FloatArray:
        r"""Return :math:`\sigma_k z_i^\top \gamma_k` per parameter and row, ``(k, n)``."""
        per_covariate = np.einsum("kcj,c->kj", self.loadings(order), gamma)
        exponents: FloatArray = per_covariate @ design.T
        return exponents

    def coefficient_gradient(
        self, weighted_scores: FloatArray, design: FloatArray, order: Sequence[str]
    ) -> FloatArray:
        r"""Return :math:`\partial_\gamma \sum_i w_i \ell_i` from the weighted per-row scores.

        With :math:`s_{k,i} = w_i\,\partial\ell_i/\partial\log\theta_{k,i}`,
        the derivative for coefficient :math:`c` is
        :math:`\sum_{k,j} \text{loadings}[k,c,j] \sum_i s_{k,i} z_{ij}`
        (:meth:`loadings`).
        """
        per_covariate = weighted_scores @ design  # (k, covariates): one matrix product
        gradient: FloatArray = np.einsum("kcj,kj->c", self.loadings(order), per_covariate)
        return gradient


NO_EFFECTS = Effects()


def _parse_name(name: str, links: Sequence[Link], model: str) -> tuple[list[Link], str]:
    """Return the links and the covariate a coefficient's name stands for."""
    head, bracket, rest = str(name).partition("[")
    if not (bracket and rest.endswith("]") and len(rest) > 1):
        raise ValidationError(
            f"coefficient name {name!r} must read 'process[covariate]', "
            "'process.parameter[covariate]' or 'shared[covariate]'"
        )
    covariate = rest[:-1]
    if head == "shared":
        return list(links), covariate
    process, _, parameter = head.partition(".")
    chosen = [
        link
        for link in links
        if link.process == process and (not parameter or link.parameter == parameter)
    ]
    if not chosen:
        known = ", ".join(sorted({f"{link.process}.{link.parameter}" for link in links}))
        raise ValidationError(
            f"coefficient name {name!r} names no link of {model}; its links are {known}"
        )
    if len(chosen) > 1:
        raise ValidationError(
            f"coefficient name {name!r}: {process!r} links "
            + " and ".join(link.parameter for link in chosen)
            + f" in {model}; name each, as "
            + ", ".join(f"'{process}.{link.parameter}[{covariate}]'" for link in chosen)
        )
    return chosen, covariate


def _chosen(
    covariates: Mapping[str, Sequence[str]] | Sequence[str],
    processes: Sequence[str],
    model: str,
) -> dict[str, tuple[str, ...]]:
    """Return ``process -> covariates`` checked against the model's processes."""
    listed = ", ".join(map(repr, processes))
    if isinstance(covariates, str):
        raise TypeError(
            f"`covariates` must be a mapping of process to covariate names or a sequence of "
            f"names, got the string {covariates!r}; write [{covariates!r}]"
        )
    if not isinstance(covariates, Mapping):
        names = tuple(covariates)
        return dict.fromkeys(processes, names)
    unknown = [process for process in covariates if process not in processes]
    if unknown:
        raise ValidationError(
            f"`covariates` names unknown process(es) {', '.join(map(repr, unknown))}; "
            f"the {model}'s covariates enter {listed}"
        )
    chosen: dict[str, tuple[str, ...]] = {}
    for process, given in covariates.items():
        if isinstance(given, str):
            raise TypeError(
                f"`covariates[{process!r}]` must be a sequence of names, got the string "
                f"{given!r}; write [{given!r}]"
            )
        unique = tuple(given)
        repeated = sorted({name for name in unique if unique.count(name) > 1})
        if repeated:
            raise ValidationError(
                f"`covariates[{process!r}]` repeats {', '.join(map(repr, repeated))}"
            )
        chosen[process] = unique
    return chosen


def _shared(shared: Sequence[str], chosen: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """Return the shared covariates, each of which must enter at least two processes."""
    if isinstance(shared, str):
        raise TypeError(f"`shared` must be a sequence of covariate names; write [{shared!r}]")
    names = frozenset(shared)
    for name in sorted(names):
        processes = [process for process, covariates in chosen.items() if name in covariates]
        if len(processes) < 2:
            raise ValidationError(
                f"`shared` covariate {name!r} must enter at least two processes to share one "
                f"coefficient; it enters {', '.join(map(repr, processes)) or 'none'}"
            )
    return names


def covariate_objective(
    kernel: RowKernel,
    columns: Sequence[FloatArray],
    weights: FloatArray,
    design: FloatArray,
    effects: Effects,
    order: Sequence[str],
) -> CovariateObjective:
    r"""Return ``theta -> (-penalised log-likelihood, gradient)`` of a model with covariates.

    ``theta`` is the model's parameters in ``order`` followed by the
    multipliers :math:`e^{\gamma}` in ``effects.names`` order; the gradient
    is with respect to these natural values, as the shared optimiser
    expects.  The objective is

    .. math::

        -\sum_i w_i \ell_i(\theta_{\cdot,i}) + \lambda \sum_c \gamma_c^2,

    its gradient :math:`-\sum_i w_i s_{k,i} / \theta_k` for a model
    parameter and :math:`(-\partial_{\gamma_c}\sum_i w_i\ell_i +
    2\lambda\gamma_c) / e^{\gamma_c}` for a multiplier.  The object also
    gives the Hessian in the optimiser's variables (:meth:`CovariateObjective.hessian`).
    """
    return CovariateObjective(
        kernel,
        tuple(columns),
        readonly(np.asarray(weights, dtype=np.float64)),
        design,
        effects,
        tuple(order),
    )


@attrs.frozen(eq=False)
class CovariateObjective:
    """The objective of :func:`covariate_objective`, callable, with its structured Hessian."""

    kernel: RowKernel
    columns: tuple[FloatArray, ...]
    weights: FloatArray
    design: FloatArray
    effects: Effects
    order: tuple[str, ...]

    def _row_parameters(self, theta: FloatArray) -> tuple[FloatArray, FloatArray]:
        k = len(self.order)
        gamma = np.log(theta[k:])
        base = dict(zip(self.order, theta[:k], strict=True))
        return self.effects.row_parameters(base, gamma, self.design, self.order), gamma

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        k, penalty, weights = len(self.order), self.effects.penalty, self.weights
        params, gamma = self._row_parameters(theta)
        ll, scores = self.kernel(params, *self.columns)
        scores *= weights
        value = -float(weights @ ll) + penalty * float(gamma @ gamma)
        gradient = np.empty(theta.size)
        gradient[:k] = -scores.sum(axis=1) / theta[:k]
        coefficients = -self.effects.coefficient_gradient(scores, self.design, self.order)
        gradient[k:] = (coefficients + 2.0 * penalty * gamma) / theta[k:]
        return value, gradient

    def hessian(self, theta: FloatArray, step: float) -> FloatArray:
        r"""Return the Hessian of the objective in the optimiser's variables, :math:`\log\theta`.

        Each row's log-parameters are linear in those variables,
        :math:`\log\theta_{k,i} = \log\theta_k + \sigma_k z_i^\top\gamma_k`,
        so the Hessian is exactly :math:`\sum_i w_i J_i^\top H_i J_i` (plus
        :math:`2\lambda` on the coefficients), with :math:`H_i` the Hessian of
        row :math:`i`'s minus log-likelihood in its own log-parameters and
        :math:`J_i` the linear map.  :math:`H_i` comes from forward
        differences (``step``) of the exact per-row scores, one kernel pass
        per model parameter: a fit with :math:`q` coefficients pays
        :math:`k` passes for its Hessian, not :math:`k + q`.
        """
        k = len(self.order)
        params, _ = self._row_parameters(theta)
        _, scores = self.kernel(params, *self.columns)
        per_row = np.empty((k, k, params.shape[1]))
        for j in range(k):  # a loop over the model's parameters, not rows
            moved = params.copy()
            moved[j] *= math.exp(step)
            per_row[:, j] = (scores - self.kernel(moved, *self.columns)[1]) / step
        per_row = (per_row + per_row.transpose(1, 0, 2)) / 2  # of minus the log-likelihood
        augmented = np.column_stack([np.ones(self.design.shape[0]), self.design])
        loadings = self._loadings(k, theta.size)  # (k, variables, 1 + covariates)
        total = np.zeros((theta.size, theta.size))
        for m in range(k):
            for j in range(m, k):  # each pair once: the moments are symmetric in (m, j)
                moments = augmented.T @ (augmented * (self.weights * per_row[m, j])[:, None])
                block = loadings[m] @ moments @ loadings[j].T
                total += block if m == j else block + block.T
        total[k:, k:] += 2.0 * self.effects.penalty * np.eye(theta.size - k)
        return total

    def _loadings(self, k: int, size: int) -> FloatArray:
        """Return each row log-parameter's derivative in each variable, as loadings on [1, z]."""
        loadings = np.zeros((k, size, 1 + len(self.effects.covariates)))
        loadings[np.arange(k), np.arange(k), 0] = 1.0  # a parameter's own log moves its rows
        loadings[:, k:, 1:] = self.effects.loadings(self.order)
        return loadings
