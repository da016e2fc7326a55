"""Customer profitability after the cost to serve, and the relationships that lose money."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import (
    FloatArray,
    as_broadcastable,
    as_instance,
    as_scalar,
    check_broadcast,
    readonly,
)
from relmark.data._keys import factorize
from relmark.data.touchpoints import KINDS, TouchpointTable
from relmark.domain.channels import TouchpointKind

__all__ = ["CustomerProfitability", "customer_profitability", "unprofitable_relationships"]

_PURCHASE = KINDS.index(TouchpointKind.PURCHASE)
_RETURN = KINDS.index(TouchpointKind.RETURN)


@attrs.frozen(kw_only=True)
class CustomerProfitability:
    """Revenue, cost to serve and profit per customer.

    Attributes
    ----------
    customer_id : ndarray
        Sorted distinct customers.
    revenue : ndarray
        Purchases minus returns.
    cost_to_serve : ndarray
        Sum of the touchpoints' costs.
    profit : ndarray
        ``margin * revenue - cost_to_serve``.

    Examples
    --------
    >>> import relmark
    >>> table = relmark.TouchpointTable.from_arrays(
    ...     ["a", "a", "b"], [0.0, 1.0, 2.0], ["web", "phone", "store"],
    ...     ["purchase", "support_request", "purchase"], amount=[100.0, 0.0, 20.0],
    ...     cost=[2.0, 15.0, 1.0],
    ... )
    >>> relmark.customer_profitability(table, margin=0.3).profit.tolist()
    [13.0, 5.0]
    """

    customer_id: NDArray[Any]
    revenue: FloatArray
    cost_to_serve: FloatArray
    profit: FloatArray


def customer_profitability(
    touchpoints: TouchpointTable, *, margin: float = 1.0
) -> CustomerProfitability:
    r"""Return each customer's revenue, cost to serve and profit from their touchpoints.

    Parameters
    ----------
    touchpoints : TouchpointTable
        All contacts: purchases and returns bring revenue, every touchpoint
        may carry a cost to serve (calls, visits, deliveries, rewards, ...).
    margin : float, default 1
        Share of revenue kept before the cost to serve, in [0, 1].

    Returns
    -------
    CustomerProfitability

    Notes
    -----
    :math:`\pi_i = m(\sum \text{purchases} - \sum \text{returns}) - \sum \text{cost}`,
    one factorisation of the customer ids and two ``np.bincount`` over the table.

    References
    ----------
    Kaplan, R. S. & Narayanan, V. G. (2001). Measuring and managing customer
    profitability. *Journal of Cost Management*, 15(5), 5-15.

    Examples
    --------
    >>> import relmark
    >>> table = relmark.TouchpointTable.from_arrays(
    ...     [1, 1], [0.0, 3.0], ["store", "store"], ["purchase", "return"], amount=[50.0, 20.0]
    ... )
    >>> relmark.customer_profitability(table).revenue.tolist()
    [30.0]
    """
    as_instance("touchpoints", touchpoints, TouchpointTable)
    keep = as_scalar("margin", margin, low=0.0, high=1.0)
    customers, owner = factorize(touchpoints.customer_id)
    sign = np.where(touchpoints.kind == _PURCHASE, 1.0, 0.0) - (touchpoints.kind == _RETURN)
    revenue = np.bincount(owner, weights=sign * touchpoints.amount, minlength=customers.size)
    cost = np.bincount(owner, weights=touchpoints.cost, minlength=customers.size)
    return CustomerProfitability(
        customer_id=readonly(customers),
        revenue=readonly(revenue),
        cost_to_serve=readonly(cost),
        profit=readonly(keep * revenue - cost),
    )


def unprofitable_relationships(
    expected_revenue: ArrayLike,
    expected_cost_to_serve: ArrayLike,
    *,
    margin: float = 1.0,
) -> bool | NDArray[np.bool_]:
    """Return which relationships are expected to lose money over their lifetime.

    Parameters
    ----------
    expected_revenue : array_like
        Expected revenue over the customer's remaining lifetime (e.g. a CLV
        computed with ``margin=1``).
    expected_cost_to_serve : array_like
        Expected cost to serve over the same period (>= 0).
    margin : float, default 1
        Share of revenue kept before the cost to serve.

    Returns
    -------
    ndarray of bool
        True where ``margin * revenue < cost``: candidates for a cheaper
        service level, or for ending the relationship.

    References
    ----------
    Kaplan, R. S. & Narayanan, V. G. (2001). Measuring and managing customer
    profitability. *Journal of Cost Management*, 15(5), 5-15.

    Examples
    --------
    >>> from relmark import unprofitable_relationships
    >>> unprofitable_relationships([100.0, 300.0], [50.0, 50.0], margin=0.25).tolist()
    [True, False]
    """
    revenue = as_broadcastable("expected_revenue", expected_revenue, low=0.0)
    cost = as_broadcastable("expected_cost_to_serve", expected_cost_to_serve, low=0.0)
    keep = as_scalar("margin", margin, low=0.0, high=1.0)
    check_broadcast({"expected_revenue": revenue, "expected_cost_to_serve": cost})
    losing = keep * revenue < cost
    return losing if losing.ndim else bool(losing)
