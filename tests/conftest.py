"""Shared fixtures. Tests that need ../shared skip with a clear reason where it is absent."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder (data, conformance vectors, knowledge, seeds)."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): test data and conformance vectors are not available")
    return SHARED


@pytest.fixture(scope="session")
def sample_photo() -> "np.ndarray":
    """A real photo that ships with scikit-image and works offline (astronaut, RGB uint8)."""
    from skimage import data

    return data.astronaut()
