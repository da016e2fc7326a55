"""The errors relmark raises.

Every error relmark raises on purpose derives from :class:`RelmarkError`, so
``except relmark.RelmarkError`` catches them all; each also derives from the
built-in exception a Python user would expect (``ValueError`` for bad values,
``RuntimeError`` for a failed fit).  Wrong *types* raise the built-in
``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

__all__ = ["ConvergenceError", "Limit", "RelmarkError", "ValidationError"]

#: Where an unidentified parameter runs to, as :attr:`ConvergenceError.unidentified` says.
Limit = Literal["zero", "infinity"]


class RelmarkError(Exception):
    """Base class of every error raised by relmark.

    Examples
    --------
    >>> import relmark
    >>> issubclass(relmark.ValidationError, relmark.RelmarkError)
    True
    """


class ValidationError(RelmarkError, ValueError):
    """An input value breaks a rule (NaN, negative, ``recency > T``, ...).

    The message names the argument, the rule and the offending value; for
    arrays it also says how many rows break the rule and where the first is.

    Examples
    --------
    >>> import relmark
    >>> try:
    ...     relmark.CustomerSummary.from_arrays(frequency=[1], recency=[5.0], T=[2.0])
    ... except relmark.ValidationError as error:
    ...     print(error)
    `recency` must be <= `T`; 1 of 1 rows violate this (first at index 0: 5.0 > 2.0)

    Errors about rows of an array also say which, for callers that map them
    back to their source (a file's line and column, say): ``argument`` is the
    argument's name, ``row`` the 0-based index of the first offending row and
    ``value`` its text; each is ``None`` when the error is not about a row.

    >>> try:
    ...     relmark.CustomerSummary.from_arrays(frequency=[1, 2], recency=[1.0, 5.0], T=[2.0, 2.0])
    ... except relmark.ValidationError as error:
    ...     print(error.argument, error.row, error.value)
    recency 1 5.0
    """

    def __init__(
        self,
        message: str,
        *,
        argument: str | None = None,
        row: int | None = None,
        value: str | None = None,
    ) -> None:
        super().__init__(message)
        self.argument = argument
        self.row = row
        self.value = value


class ConvergenceError(RelmarkError, RuntimeError):
    """A maximum-likelihood fit found no interior maximum.

    The message says which parameters the data cannot identify, what in the
    data likely causes it and what to try.  ``params`` holds the point where
    the optimiser stopped (``None`` when there is none), for inspection only:
    it is not an estimate.  ``unidentified`` says the same as the message for
    programs: each parameter the message names as unidentified or running
    off, mapped to the limit it runs to (``"zero"`` or ``"infinity"``), or to
    ``None`` where the likelihood is flat along it without heading to either;
    it is empty when the message names none (a log-likelihood that is not
    finite, a gradient that does not vanish with every parameter within
    1e-6..1e6).

    Parameters
    ----------
    message : str
        What went wrong.
    params : mapping of str to float, optional
        Where the optimiser stopped.
    unidentified : mapping of str to {"zero", "infinity", None}, optional
        The unidentified parameters and their limits.

    Examples
    --------
    >>> import relmark
    >>> error = relmark.ConvergenceError("BetaGeo fit found no interior maximum")
    >>> isinstance(error, RuntimeError), error.params, error.unidentified
    (True, None, {})

    A fit to customers who never seem to leave: BG/NBD's dropout
    probabilities run to zero (``a`` to zero or ``b`` to infinity).

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> T = rng.uniform(20.0, 52.0, 3000)
    >>> x = rng.poisson(rng.gamma(2.0, 0.25, 3000) * T).astype(float)
    >>> t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1.0), 1.0), 0.0)
    >>> try:
    ...     relmark.BetaGeo.fit(relmark.CustomerSummary.from_arrays(x, t_x, T))
    ... except relmark.ConvergenceError as error:
    ...     print(error.unidentified)  # b may be named too: it moves with a on the ridge
    {...'a': 'zero'...}
    """

    def __init__(
        self,
        message: str,
        *,
        params: Mapping[str, float] | None = None,
        unidentified: Mapping[str, Limit | None] | None = None,
    ) -> None:
        super().__init__(message)
        self.params: dict[str, float] | None = None if params is None else dict(params)
        self.unidentified: dict[str, Limit | None] = (
            {} if unidentified is None else dict(unidentified)
        )
