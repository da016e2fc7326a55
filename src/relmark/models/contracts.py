"""What each kind of model promises: the one set of protocols the rest of relmark uses.

Economics, plotting, the command line and :mod:`relmark.dask` accept any
object that keeps one of these contracts, and check it with ``isinstance``
(the protocols are runtime-checkable) so that passing the wrong kind of
object fails with a ``TypeError`` naming the argument, not an
``AttributeError`` deep inside a computation.

- :class:`PurchaseModel`: how many purchases each customer makes and
  whether they are still a customer (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB).
- :class:`SpendModel`: what each customer spends per purchase (Gamma-Gamma).
- :class:`ContractModel`: how long subscribers stay, in whole periods (sBG).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, overload, runtime_checkable

from numpy.typing import ArrayLike, NDArray

from relmark._validation import FloatArray
from relmark.data.summary import CustomerSummary

__all__ = ["ContractModel", "PurchaseModel", "SpendModel"]


@runtime_checkable
class PurchaseModel(Protocol):
    """A non-contractual model of purchases and dropout, customer by customer.

    Examples
    --------
    >>> import relmark
    >>> from relmark.models import PurchaseModel
    >>> isinstance(relmark.BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426), PurchaseModel)
    True
    >>> isinstance(relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44), PurchaseModel)
    False
    """

    def probability_alive(self, summary: CustomerSummary) -> FloatArray:
        """Return each customer's probability of still being a customer."""
        ...

    def expected_purchases(self, summary: CustomerSummary, t: ArrayLike) -> FloatArray:
        """Return each customer's expected purchases in the next ``t``."""
        ...

    @overload
    def expected_purchases_new_customer(self, t: float) -> float: ...

    @overload
    def expected_purchases_new_customer(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def expected_purchases_new_customer(
        self, t: float | NDArray[Any] | Sequence[float]
    ) -> float | FloatArray:
        """Return a new customer's expected repeat purchases by ``t``."""
        ...

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
        """Return a new customer's probability of exactly ``n`` repeat purchases by ``t``."""
        ...


@runtime_checkable
class SpendModel(Protocol):
    """A model of each customer's spend per purchase.

    Examples
    --------
    >>> import relmark
    >>> from relmark.models import SpendModel
    >>> isinstance(relmark.GammaGamma(p=6.25, q=3.74, gamma=15.44), SpendModel)
    True
    """

    def expected_spend(self, summary: CustomerSummary) -> FloatArray:
        """Return each customer's expected spend per purchase."""
        ...


@runtime_checkable
class ContractModel(Protocol):
    """A contractual model of how many whole periods subscribers stay.

    Examples
    --------
    >>> import relmark
    >>> from relmark.models import ContractModel
    >>> isinstance(relmark.ShiftedBetaGeo(alpha=0.668, beta=3.806), ContractModel)
    True
    """

    @overload
    def survival(self, t: float) -> float: ...

    @overload
    def survival(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def survival(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        """Return the share of a cohort still subscribed after ``t`` periods."""
        ...

    @overload
    def retention_rate(self, t: float) -> float: ...

    @overload
    def retention_rate(self, t: NDArray[Any] | Sequence[float]) -> FloatArray: ...

    def retention_rate(self, t: float | NDArray[Any] | Sequence[float]) -> float | FloatArray:
        """Return the share of period ``t - 1``'s subscribers who renew in period ``t``."""
        ...

    @overload
    def expected_residual_lifetime(
        self, periods_survived: float = 0, discount_rate: float = 0.0
    ) -> float: ...

    @overload
    def expected_residual_lifetime(
        self, periods_survived: NDArray[Any] | Sequence[float], discount_rate: float = 0.0
    ) -> FloatArray: ...

    def expected_residual_lifetime(
        self,
        periods_survived: float | NDArray[Any] | Sequence[float] = 0,
        discount_rate: float = 0.0,
    ) -> float | FloatArray:
        """Return the discounted expected number of further periods subscribed."""
        ...
