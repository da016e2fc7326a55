"""Pickling the columnar containers so that their arrays stay read-only.

numpy unpickles every array writeable; a container rebuilt from its pickle
would then let ``summary.frequency[0] = ...`` through.  The containers'
``__reduce__`` uses :func:`reduce_read_only`, which restores the fields as
they were, read-only, without re-running the constructor's checks (the
pickled state already passed them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import attrs
import numpy as np
from attrs import AttrsInstance

from relmark._validation import readonly

__all__ = ["reduce_read_only"]

C = TypeVar("C", bound=AttrsInstance)


def reduce_read_only(
    container: C,
) -> tuple[Callable[[type[C], dict[str, object]], C], tuple[type[C], dict[str, object]]]:
    """Return ``__reduce__``'s tuple for a frozen attrs container of numpy arrays."""
    fields = {field.name: getattr(container, field.name) for field in attrs.fields(type(container))}
    return (_rebuild, (type(container), fields))


def _rebuild(cls: type[C], fields: dict[str, object]) -> C:
    container: C = object.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(
            container, name, readonly(value) if isinstance(value, np.ndarray) else value
        )
    return container
