"""The errors relmark raises.

Every error relmark raises on purpose derives from :class:`RelmarkError`, so
``except relmark.RelmarkError`` catches them all; each also derives from the
built-in exception a Python user would expect (``ValueError`` for bad values,
``RuntimeError`` for a failed fit).  Wrong *types* raise the built-in
``TypeError``.
"""

from __future__ import annotations

__all__ = ["ConvergenceError", "RelmarkError", "ValidationError"]


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
    """


class ConvergenceError(RelmarkError, RuntimeError):
    """A maximum-likelihood fit did not converge.

    The message carries the optimiser's own message and advice on what to try.

    Examples
    --------
    >>> import relmark
    >>> error = relmark.ConvergenceError("BetaGeo fit did not converge")
    >>> isinstance(error, RuntimeError)
    True
    """
