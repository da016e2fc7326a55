"""Value concentration: the Lorenz curve, the Gini coefficient and value tiers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import FloatArray, as_float_array, describe, readonly
from relmark.exceptions import ValidationError

__all__ = ["gini", "lorenz_curve", "value_tiers"]


def _values(value: ArrayLike) -> FloatArray:
    """Return checked values scaled by their maximum (no overflow in sums; all zero stays 0)."""
    values = as_float_array("values", value, nonnegative=True, noun="customers")
    if values.size == 0:
        raise ValidationError("`values` is empty")
    top = values.max()
    return values / top if top > 0 else values


def lorenz_curve(values: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return the Lorenz curve: share of customers (least valuable first) vs share of value.

    Parameters
    ----------
    values : array_like
        Value per customer (>= 0).

    Returns
    -------
    population, value : ndarray
        From (0, 0) to (1, 1), one point per customer plus the origin;
        convex.  All-zero values give the diagonal.

    Examples
    --------
    >>> from relmark import lorenz_curve
    >>> population, value = lorenz_curve([1.0, 3.0])
    >>> population.tolist(), value.tolist()
    ([0.0, 0.5, 1.0], [0.0, 0.25, 1.0])
    """
    ordered = np.sort(_values(values))
    n = ordered.size
    population = np.arange(n + 1) / n
    total = ordered.sum()
    if ordered[-1] == 0:
        return readonly(population), readonly(population.copy())
    return readonly(population), readonly(np.concatenate([[0.0], np.cumsum(ordered) / total]))


def gini(values: ArrayLike) -> float:
    r"""Return the Gini coefficient of customer value: 0 all equal, near 1 concentrated.

    Parameters
    ----------
    values : array_like
        Value per customer (>= 0).

    Returns
    -------
    float
        In :math:`[0, (n-1)/n]`, so below 1; exactly 0 when all values are
        equal (or all zero).

    Raises
    ------
    ValidationError
        If ``values`` is empty or has negative, NaN or infinite entries.

    Notes
    -----
    With values sorted ascending, :math:`v_{(1)} \le \dots \le v_{(n)}`,

    .. math::

        G = \frac{\sum_{i=1}^n (2i - n - 1)\, v_{(i)}}{n \sum_{i=1}^n v_i}
          = \frac{2\sum_i i\,v_{(i)}}{n\sum_i v_i} - \frac{n+1}{n},

    twice the area between the diagonal and :func:`lorenz_curve`.  The
    numerator is computed on :math:`v_{(i)} - v_{(1)}` (the weights sum to
    zero), so equal values give exactly 0.  The bias-corrected
    :math:`G\,n/(n-1)` is not applied.

    References
    ----------
    Damgaard, C. & Weiner, J. (2000). Describing inequality in plant size or
    fecundity. *Ecology*, 81(4), 1139-1142 (equation 2).

    Examples
    --------
    >>> from relmark import gini
    >>> gini([1.0, 1.0, 1.0]), gini([0.0, 0.0, 0.0, 4.0])
    (0.0, 0.75)
    >>> round(gini([1.0, 2.0, 3.0]), 6)  # (-2 * 1 + 0 * 2 + 2 * 3) / (3 * 6)
    0.222222
    """
    ordered = np.sort(_values(values))
    n = ordered.size
    total = ordered.sum()
    if ordered[-1] == 0:
        return 0.0
    weights = 2.0 * np.arange(1, n + 1) - n - 1.0
    return float(min(max(0.0, np.dot(weights, ordered - ordered[0]) / (n * total)), (n - 1) / n))


def value_tiers(values: ArrayLike, *, shares: Sequence[float] = (0.8, 0.95)) -> NDArray[np.int64]:
    r"""Return each customer's value tier: 0 for the top customers making ``shares[0]`` of value.

    Parameters
    ----------
    values : array_like
        Value per customer (>= 0).
    shares : sequence of float, default (0.8, 0.95)
        Increasing cumulative shares of total value in (0, 1]: tier 0 is the
        smallest group of most valuable customers holding ``shares[0]`` of
        the value, tier 1 the next ones up to ``shares[1]``, and the last tier
        the rest.

    Returns
    -------
    ndarray of int
        Tier per customer, ``0 .. len(shares)``; never higher (worse) for a
        more valuable customer, and the same for equal values.

    Raises
    ------
    ValidationError
        If ``values`` is empty or has negative, NaN or infinite entries, or
        ``shares`` does not increase within (0, 1].

    Notes
    -----
    With :math:`B_i` the share of total value held by customers strictly
    more valuable than customer :math:`i`, the tier is the number of cuts
    :math:`c_j \le B_i`.  Customers with equal values therefore share a
    tier (whatever their order in the input), so a tier can hold a little
    more than its nominal share when a tie straddles a cut.  All-zero values
    put everyone in the last tier.

    Examples
    --------
    >>> from relmark import value_tiers
    >>> value_tiers([50.0, 30.0, 10.0, 5.0, 5.0], shares=[0.8]).tolist()
    [0, 0, 1, 1, 1]
    >>> value_tiers([40.0, 40.0, 20.0], shares=[0.5]).tolist()  # a tie shares its tier
    [0, 0, 1]
    """
    amounts = _values(values)
    if isinstance(shares, (str, bytes)) or not isinstance(shares, Sequence | np.ndarray):
        raise TypeError(f"`shares` must be a sequence of numbers, got {describe(shares)}")
    cuts = as_float_array("shares", shares)
    if cuts.size == 0 or np.any(np.diff(cuts) <= 0) or cuts[0] <= 0 or cuts[-1] > 1:
        raise ValidationError(f"`shares` must increase within (0, 1], got {cuts.tolist()}")
    total = amounts.sum()
    if amounts.max() == 0:
        return readonly(np.full(amounts.size, cuts.size, dtype=np.int64))
    order = np.argsort(-amounts, kind="stable")
    ranked = amounts[order]
    above = np.cumsum(ranked) - ranked  # value of the customers ranked before each
    first_of_tie = np.searchsorted(-ranked, -ranked, side="left")
    before = above[first_of_tie] / total  # value share held by strictly more valuable ones
    tiers = np.empty(amounts.size, dtype=np.int64)
    tiers[order] = np.searchsorted(cuts, before, side="right")
    return readonly(tiers)
