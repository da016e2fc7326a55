"""Shared test configuration: hypothesis profiles and the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with the CDNOW files beside the project; skip when it is absent."""
    if not (SHARED_DATA / "CDNOW_sample.txt").exists():
        pytest.skip(f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA
