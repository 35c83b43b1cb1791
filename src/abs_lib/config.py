"""Where abs keeps the analyst's data, and where its committed reference files live.

The data directory is chosen, in order, by an explicit argument, the
``ABS_DATA_DIR`` environment variable, or ``./data`` (cookiecutter-data-science
layout: ``raw/`` immutable originals, ``processed/`` parquet conversions).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

DATA_DIR_ENV = "ABS_DATA_DIR"
#: Downloads (and derived tables) cache folder; default ``<data_dir>/cache``.
CACHE_DIR_ENV = "ABS_CACHE_DIR"
#: Set to 1: never try the network (``abs data fetch``).
OFFLINE_ENV = "ABS_OFFLINE"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Return the analyst's data directory (not created here)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path.cwd() / "data"


def _packaged_or_source(packaged: str, source: str) -> Path:
    """Locate committed data: inside an installed wheel, else in the source tree."""
    inside = resources.files("abs_lib") / packaged
    if inside.is_dir():
        return Path(str(inside))
    return Path(__file__).resolve().parents[2] / "data" / source


def reference_dir() -> Path:
    """Committed reference files (territories by year, commune history)."""
    return _packaged_or_source("_reference", "reference")


def demo_dir() -> Path:
    """Committed raw files of the fictional demo territory."""
    return _packaged_or_source("_demo", "demo")
