"""Shared fixtures: where the real data extracts live."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real INSEE/CAF extracts beside the checkout (CI has them)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"données réelles absentes : {SHARED_DATA} introuvable")
    return SHARED_DATA
