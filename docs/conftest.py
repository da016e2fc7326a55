"""Collect the documentation pages' examples as doctests, but not the Sphinx config.

Pages that read the shared data sets (``../shared/data``, beside the project)
find its path as ``SHARED_DATA``, and are skipped, with the reason, where
the folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

collect_ignore = ["conf.py"]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# page -> the shared file its examples read
_NEEDS = {"covariates.md": "apparel_transactions.csv"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needed = _NEEDS.get(item.path.name)
        if needed is not None and not (SHARED_DATA / needed).exists():
            item.add_marker(pytest.mark.skip(reason=f"{needed} is not in {SHARED_DATA}"))


@pytest.fixture(autouse=True)
def _shared_data(doctest_namespace: dict[str, object]) -> None:
    doctest_namespace["SHARED_DATA"] = SHARED_DATA
