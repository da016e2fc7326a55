"""Rules over customer-level features, composed with ``&``, ``|`` and ``~``.

A :class:`Feature` compared with a value is a :class:`Rule`; rules evaluate
on columns of features (numpy arrays) all at once.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

from relmark._validation import as_scalar, describe, readonly
from relmark.exceptions import ValidationError

__all__ = ["Feature", "Rule", "SummaryColumns", "summary_features"]

Features = Mapping[str, ArrayLike]
_OPERATORS = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


@runtime_checkable
class SummaryColumns(Protocol):
    """The columns of a customer summary that rules can use as features.

    :class:`relmark.CustomerSummary` has them; so may any object of yours.
    Rules see a summary only through these attributes, so the domain layer
    does not depend on the data layer's containers.

    Examples
    --------
    >>> import relmark
    >>> from relmark.domain.rules import SummaryColumns
    >>> summary = relmark.CustomerSummary.from_arrays([1, 0], [3.0, 0.0], [5.0, 4.0])
    >>> isinstance(summary, SummaryColumns), isinstance({"frequency": [1]}, SummaryColumns)
    (True, False)
    """

    @property
    def frequency(self) -> NDArray[Any]:
        """Repeat purchases of each customer."""

    @property
    def recency(self) -> NDArray[Any]:
        """Time from each customer's first to last purchase."""

    @property
    def T(self) -> NDArray[Any]:
        """Time from each customer's first purchase to the end of observation."""

    @property
    def monetary_value(self) -> NDArray[Any] | None:
        """Mean spend per repeat purchase, or None without amounts."""

    @property
    def customer_id(self) -> NDArray[Any] | None:
        """Who each row is, or None."""


def summary_features(summary: SummaryColumns) -> dict[str, NDArray[Any]]:
    """Return a summary's columns as named features for rules.

    Parameters
    ----------
    summary : CustomerSummary or SummaryColumns
        The customers: a :class:`relmark.CustomerSummary`, or any object with
        its ``frequency``, ``recency``, ``T``, ``monetary_value`` and
        ``customer_id`` attributes (see :class:`SummaryColumns`).

    Returns
    -------
    dict of str to ndarray
        ``frequency``, ``recency``, ``T`` and, when present,
        ``monetary_value`` and ``customer_id``.

    Examples
    --------
    >>> import relmark
    >>> from relmark.domain import summary_features
    >>> s = relmark.CustomerSummary.from_arrays([1, 0], [3.0, 0.0], [5.0, 4.0])
    >>> sorted(summary_features(s))
    ['T', 'frequency', 'recency']
    """
    if not isinstance(summary, SummaryColumns):
        raise TypeError(
            "expected a CustomerSummary (frequency, recency, T, monetary_value and "
            f"customer_id columns), got {type(summary).__name__}"
        )
    columns: dict[str, NDArray[Any]] = {
        "frequency": summary.frequency,
        "recency": summary.recency,
        "T": summary.T,
    }
    if summary.monetary_value is not None:
        columns["monetary_value"] = summary.monetary_value
    if summary.customer_id is not None:
        columns["customer_id"] = summary.customer_id
    return columns


def _as_columns(features: Features | SummaryColumns) -> Mapping[str, ArrayLike]:
    if isinstance(features, SummaryColumns):
        return summary_features(features)
    if not isinstance(features, Mapping):
        raise TypeError(
            f"features must be a CustomerSummary or a mapping of columns, "
            f"got {type(features).__name__}"
        )
    return features


def _check_value(value: object) -> object:
    if isinstance(value, np.generic):  # numpy scalars compare, show and print as Python ones
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise TypeError(f"a rule compares with a number or a string, got {describe(value)}")
    if isinstance(value, numbers.Real) and not np.isfinite(float(value)):
        raise ValidationError(f"a rule compares with a finite number, got {describe(value)}")
    return value


class Rule:
    """A condition on customer-level features: build with :class:`Feature`, combine freely.

    Examples
    --------
    >>> from relmark import Feature
    >>> rule = (Feature("frequency") >= 2) & ~(Feature("recency") < 10)
    >>> str(rule)
    '(frequency >= 2) & ~(recency < 10)'
    >>> rule.evaluate({"frequency": [0, 3, 5], "recency": [0.0, 12.0, 4.0]}).tolist()
    [False, True, False]
    """

    def evaluate(self, features: Features | SummaryColumns) -> NDArray[np.bool_]:
        """Return a read-only boolean mask: which rows satisfy the rule.

        Parameters
        ----------
        features : CustomerSummary (or SummaryColumns) or mapping of str to array_like
            Equal-length columns of features.

        Returns
        -------
        ndarray of bool

        Raises
        ------
        ValidationError
            If a feature the rule uses is missing, or columns differ in length.
        """
        columns = _as_columns(features)
        missing = sorted(self.features - set(columns))
        if missing:
            raise ValidationError(
                f"the rule {self} needs feature(s) {', '.join(missing)}; "
                f"available: {', '.join(sorted(columns)) or 'none'}"
            )
        arrays = {name: np.asarray(columns[name]) for name in self.features}
        lengths = {array.shape for array in arrays.values()}
        if len(lengths) > 1:
            raise ValidationError(f"feature columns differ in shape: {sorted(lengths)}")
        return readonly(np.asarray(self._evaluate(arrays), dtype=bool))

    @property
    def features(self) -> frozenset[str]:
        """The names of the features the rule uses."""
        raise NotImplementedError  # pragma: no cover

    def _evaluate(self, arrays: Mapping[str, NDArray[Any]]) -> NDArray[np.bool_]:
        raise NotImplementedError  # pragma: no cover

    def __and__(self, other: Rule) -> Rule:
        return _Both(self, _rule(other, "&"))

    def __or__(self, other: Rule) -> Rule:
        return _Either(self, _rule(other, "|"))

    def __invert__(self) -> Rule:
        return _Not(self)

    def __bool__(self) -> bool:
        raise TypeError("a Rule has no truth value; combine rules with &, | and ~")


def _rule(value: object, operator: str) -> Rule:
    if not isinstance(value, Rule):
        raise TypeError(f"`{operator}` combines rules, got {type(value).__name__}")
    return value


@attrs.frozen
class _Compare(Rule):
    name: str
    operator: str
    value: object

    @property
    def features(self) -> frozenset[str]:
        return frozenset({self.name})

    def _evaluate(self, arrays: Mapping[str, NDArray[Any]]) -> NDArray[np.bool_]:
        column = arrays[self.name]
        if isinstance(self.value, str) != (column.dtype.kind in "UOS"):
            raise TypeError(
                f"feature {self.name!r} ({column.dtype}) cannot be compared with {self.value!r}"
            )
        value: Any = self.value
        result: NDArray[np.bool_] = _OPERATORS[self.operator](column, value)
        return result

    def __str__(self) -> str:
        shown = repr(self.value) if isinstance(self.value, str) else f"{float(self.value):g}"  # type: ignore[arg-type]
        return f"{self.name} {self.operator} {shown}"


@attrs.frozen
class _IsIn(Rule):
    name: str
    values: tuple[object, ...]

    @property
    def features(self) -> frozenset[str]:
        return frozenset({self.name})

    def _evaluate(self, arrays: Mapping[str, NDArray[Any]]) -> NDArray[np.bool_]:
        values: Any = list(self.values)
        return np.isin(arrays[self.name], values)

    def __str__(self) -> str:
        return f"{self.name} in {list(self.values)!r}"


@attrs.frozen
class _Both(Rule):
    left: Rule
    right: Rule

    @property
    def features(self) -> frozenset[str]:
        return self.left.features | self.right.features

    def _evaluate(self, arrays: Mapping[str, NDArray[Any]]) -> NDArray[np.bool_]:
        return self.left._evaluate(arrays) & self.right._evaluate(arrays)

    def __str__(self) -> str:
        return f"{_grouped(self.left)} & {_grouped(self.right)}"


@attrs.frozen
class _Either(Rule):
    left: Rule
    right: Rule

    @property
    def features(self) -> frozenset[str]:
        return self.left.features | self.right.features

    def _evaluate(self, arrays: Mapping[str, NDArray[Any]]) -> NDArray[np.bool_]:
        return self.left._evaluate(arrays) | self.right._evaluate(arrays)

    def __str__(self) -> str:
        return f"{_grouped(self.left)} | {_grouped(self.right)}"


@attrs.frozen
class _Not(Rule):
    inner: Rule

    @property
    def features(self) -> frozenset[str]:
        return self.inner.features

    def _evaluate(self, arrays: Mapping[str, NDArray[Any]]) -> NDArray[np.bool_]:
        return ~self.inner._evaluate(arrays)

    def __str__(self) -> str:
        return f"~{_grouped(self.inner)}"


def _grouped(rule: Rule) -> str:
    return f"({rule})" if isinstance(rule, (_Compare, _IsIn, _Both, _Either)) else str(rule)


@attrs.frozen(eq=False)
class Feature:
    """A named customer-level feature; compare it with a value to get a :class:`Rule`.

    Parameters
    ----------
    name : str
        The feature's column name (``frequency``, ``recency_score``, ``clv``, ...).

    Examples
    --------
    >>> from relmark import Feature
    >>> str(Feature("clv").between(100, 500) | (Feature("stage") == "at risk"))
    "((clv >= 100) & (clv <= 500)) | (stage == 'at risk')"
    """

    name: str = attrs.field()

    @name.validator
    def _check(self, _: object, value: object) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a feature name must be a string, got {type(value).__name__}")
        if not value.strip():
            raise ValidationError("a feature name must not be empty")

    def _compare(self, operator: str, value: object) -> Rule:
        checked = _check_value(value)
        if isinstance(checked, str) and operator not in ("==", "!="):
            raise TypeError(f"strings compare only with == and !=, got {operator}")
        return _Compare(self.name, operator, checked)

    def __lt__(self, value: object) -> Rule:
        return self._compare("<", value)

    def __le__(self, value: object) -> Rule:
        return self._compare("<=", value)

    def __gt__(self, value: object) -> Rule:
        return self._compare(">", value)

    def __ge__(self, value: object) -> Rule:
        return self._compare(">=", value)

    def __eq__(self, value: object) -> Rule:  # type: ignore[override]
        return self._compare("==", value)

    def __ne__(self, value: object) -> Rule:  # type: ignore[override]
        return self._compare("!=", value)

    def __hash__(self) -> int:
        return hash((Feature, self.name))

    def isin(self, values: Iterable[object]) -> Rule:
        """Return the rule "the feature is one of ``values``"."""
        checked = tuple(_check_value(v) for v in values)
        if not checked:
            raise ValidationError(f"{self.name}.isin() needs at least one value")
        return _IsIn(self.name, checked)

    def between(self, low: float, high: float) -> Rule:
        """Return the rule ``low <= feature <= high``."""
        low, high = as_scalar("low", low), as_scalar("high", high)
        if low > high:
            raise ValidationError(f"between() needs low <= high, got {low!r} > {high!r}")
        return (self >= low) & (self <= high)
