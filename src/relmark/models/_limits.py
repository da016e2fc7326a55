"""The well-defined limits a fit falls back on when the data cannot identify the model.

Two situations have a limit that is itself a model, and a precise answer:

- **Nobody seems to leave.**  BG/NBD, MBG/NBD and Pareto/NBD describe
  purchasing plus dropout; with no dropout in sight their fit runs its
  dropout parameters towards no dropout at all (``a`` to 0 or ``b`` to
  infinity; ``s`` to 0 or ``beta`` to infinity) and finds no interior
  maximum.  The limit is the :class:`~relmark.models.nbd.NBD` model, whose
  likelihood is those models' likelihood at no dropout, so the two compare
  directly.  The limit is taken when the failed fit names a dropout
  parameter as unidentified, the NBD has an interior maximum, and the best
  point the failed fit found is no better than the NBD by more than
  :data:`LIKELIHOOD_TOLERANCE`: the data show no dropout the NBD misses.
- **Spend does not vary between customers.**  Gamma-Gamma then runs ``q``
  to infinity (or, when every repeat buyer's mean is the same amount, finds
  no maximum at all); the limit is one common mean spend,
  :class:`~relmark.models.common_mean_spend.CommonMeanSpend`.  It is taken
  when the failed fit says ``q`` runs to infinity, or when the repeat
  buyers' mean spends are all equal (to a relative 1e-9, the rounding of
  averaging).

Every other failure has no such answer, and its error is raised again.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from relmark.data.summary import CustomerSummary
from relmark.exceptions import ConvergenceError
from relmark.models.beta_geo import BetaGeo
from relmark.models.common_mean_spend import CommonMeanSpend
from relmark.models.gamma_gamma import GammaGamma
from relmark.models.nbd import NBD
from relmark.models.pareto_nbd import ParetoNBD

__all__ = ["LIKELIHOOD_TOLERANCE", "Fallback", "common_spend_limit", "no_dropout_limit"]

#: How much better (in log-likelihood) the failed fit's best point may be than the
#: NBD's maximum for the NBD to stand as the limit: half a unit, a likelihood-ratio
#: statistic of 1, no evidence of dropout at any usual level.
LIKELIHOOD_TOLERANCE = 0.5

#: The dropout parameters of the models whose no-dropout limit is the NBD.
_DROPOUT: dict[type, tuple[str, ...]] = {BetaGeo: ("a", "b"), ParetoNBD: ("s", "beta")}

_SAME_SPEND = 1e-9  # relative spread of mean spends below which they are one amount


@attrs.frozen
class Fallback:
    """A model the data identify, standing for one they do not, and why in plain words."""

    model: NBD | CommonMeanSpend
    note: str


def _dropout_parameters(model_cls: type) -> tuple[str, ...]:
    """Return the dropout parameters of ``model_cls`` (or a base), () if it has no NBD limit."""
    for base in model_cls.__mro__:
        if base in _DROPOUT:
            return _DROPOUT[base]
    return ()


def no_dropout_limit(
    model_cls: type, summary: CustomerSummary, error: ConvergenceError
) -> Fallback | None:
    """Return the NBD limit of a failed BG/NBD, MBG/NBD or Pareto/NBD fit, or None.

    None when ``error`` is not about dropout, or when the failed fit found a
    point clearly better than no dropout (the data show dropout the NBD
    misses).  When the NBD itself finds no interior maximum, ``error`` is
    raised again, chained to the NBD's.
    """
    dropout = _dropout_parameters(model_cls)
    if error.params is None or not any(name in error.unidentified for name in dropout):
        return None
    try:
        limit = NBD.fit(summary)
    except ConvergenceError as limit_error:
        raise error from limit_error
    assert limit.fit_info is not None  # a fitted model always has one
    stopped = model_cls(**error.params).log_likelihood(summary)
    best = limit.fit_info.log_likelihood
    if not math.isfinite(stopped) or stopped > best + LIKELIHOOD_TOLERANCE:
        return None
    where = ", ".join(f"{name}={error.params[name]:.4g}" for name in dropout)
    return Fallback(
        model=limit,
        note=(
            f"{model_cls.__name__}: nobody seems to leave. Its fit headed for no dropout at all "
            f"({where}) and fits no better than that limit (log-likelihood {stopped:,.2f}, "
            f"against {best:,.2f} without dropout), so the scores use the limit, the NBD model "
            f"(r={limit.r:.4g}, alpha={limit.alpha:.4g}): every customer counts as alive."
        ),
    )


def common_spend_limit(
    model_cls: type, rows: CustomerSummary, error: ConvergenceError
) -> Fallback | None:
    """Return the common-mean limit of a failed Gamma-Gamma fit on ``rows``, or None.

    ``rows`` are the customers the fit ran on; None when spend does vary
    between them and the fit failed for another reason.
    """
    if not issubclass(model_cls, GammaGamma) or rows.monetary_value is None:
        return None
    repeat = rows.frequency > 0
    spend = rows.monetary_value[repeat]
    if spend.size == 0:
        return None
    if float(np.ptp(spend)) <= _SAME_SPEND * float(spend.max()):
        why = f"every repeat buyer spent {float(spend[0]):,.6g} per transaction on average"
    elif error.unidentified.get("q") == "infinity":
        why = (
            "customers' mean spends differ no more than their single purchases do "
            "(the fit's q ran to infinity)"
        )
    else:
        return None
    limit = CommonMeanSpend.fit(rows)
    transactions = float(rows.weights[repeat] @ rows.frequency[repeat])
    return Fallback(
        model=limit,
        note=(
            f"{model_cls.__name__}: spend does not vary between customers: {why}. The scores "
            f"use the limit, one common mean spend for every customer, {limit.mean:,.6g} per "
            f"transaction (the pooled mean of {transactions:,.0f} repeat transactions)."
        ),
    )
