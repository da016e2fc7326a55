"""The public surface: everything exported is documented, with a runnable example."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import relmark

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api" / "index.md"
PUBLIC = sorted(name for name in relmark.__all__ if not name.startswith("_"))


def test_all_is_sorted_and_importable() -> None:
    assert relmark.__all__ == sorted(relmark.__all__)
    for name in relmark.__all__:
        assert hasattr(relmark, name), name


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_object_is_in_the_api_reference(name: str) -> None:
    assert f"   {name}\n" in API_PAGE.read_text(), f"{name} missing from docs/api/index.md"


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_object_has_an_example(name: str) -> None:
    obj = getattr(relmark, name)
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return  # exceptions are documented by their one-line purpose
    if not callable(obj):
        return  # constants (RFM_SEGMENTS, STAGES, ...) are documented where they are defined
    doc = inspect.getdoc(obj) or ""
    assert "Examples\n--------" in doc, f"{name} has no Examples section"
