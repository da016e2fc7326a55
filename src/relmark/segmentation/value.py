"""Value concentration: the Lorenz curve, the Gini coefficient and value tiers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import FloatArray, as_float_array, as_scalar, readonly
from relmark.exceptions import ValidationError

__all__ = ["gini", "lorenz_curve", "value_tiers"]


def _values(value: ArrayLike) -> FloatArray:
    values = as_float_array("values", value, nonnegative=True)
    if values.size == 0:
        raise ValidationError("`values` is empty")
    return values


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
    if total == 0:
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
        In [0, 1); 0 when all values are equal (or all zero).

    Notes
    -----
    With values sorted ascending, :math:`G = \frac{2\sum_i i\,v_{(i)}}{n\sum_i v_i} - \frac{n+1}{n}`
    (twice the area between the diagonal and the Lorenz curve).

    Examples
    --------
    >>> from relmark import gini
    >>> gini([1.0, 1.0, 1.0]), gini([0.0, 0.0, 0.0, 4.0])
    (0.0, 0.75)
    """
    ordered = np.sort(_values(values))
    n = ordered.size
    total = ordered.sum()
    if total == 0:
        return 0.0
    return float(max(0.0, 2.0 * np.dot(np.arange(1, n + 1), ordered) / (n * total) - (n + 1) / n))


def value_tiers(values: ArrayLike, *, shares: Sequence[float] = (0.8, 0.95)) -> NDArray[np.int64]:
    """Return each customer's value tier: 0 for the top customers making ``shares[0]`` of value, ...

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
        more valuable customer.  Ties are broken by position (stable).

    Examples
    --------
    >>> from relmark import value_tiers
    >>> value_tiers([50.0, 30.0, 10.0, 5.0, 5.0], shares=[0.8]).tolist()
    [0, 0, 1, 1, 1]
    """
    amounts = _values(values)
    cuts = as_float_array("shares", np.asarray(shares, dtype=float))
    if cuts.size == 0 or np.any(np.diff(cuts) <= 0) or cuts[0] <= 0 or cuts[-1] > 1:
        raise ValidationError(f"`shares` must increase within (0, 1], got {list(shares)}")
    for cut in cuts:
        as_scalar("shares", float(cut))
    order = np.argsort(-amounts, kind="stable")
    total = amounts.sum()
    if total == 0:
        return np.full(amounts.size, cuts.size, dtype=np.int64)
    before = (np.cumsum(amounts[order]) - amounts[order]) / total  # value share above each
    tier_sorted = np.searchsorted(cuts, before, side="right")
    tiers = np.empty(amounts.size, dtype=np.int64)
    tiers[order] = tier_sorted
    return tiers
