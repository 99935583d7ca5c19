"""Fixtures for the screen tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Sample inputs live in shared/samples beside the repository.
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    """The folder of outside sample ledgers; under CI its absence fails the run."""
    if not SAMPLES.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"sample folder missing: {SAMPLES}")
        pytest.skip("shared/samples is not beside this checkout")
    return SAMPLES
