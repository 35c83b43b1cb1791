"""What software and which reference geography produced a report.

Why: the same files and parameters can give other figures with another abs
commit, another pandas, or another reference geography (communes merge every
year). The provenance block records them so a report can be reproduced, or a
difference explained, years later.

- :func:`code_revision`: the git commit of the abs checkout (and whether it had
  uncommitted changes), or the one recorded in an installed wheel at build time
  (``abs_lib/_build_info.json``), else ``"inconnue"``.
- :func:`software_versions`: Python and the libraries that shape the figures and the page.
- :func:`reference_geography`: the geography year of the study and the version of the
  npm package ``@etalab/decoupage-administratif`` it was built from
  (``data/reference/PROVENANCE.md``).
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

UNKNOWN = "inconnue"
#: Libraries whose version is recorded (distribution names).
KEY_DEPENDENCIES = ("pandas", "numpy", "pyarrow", "matplotlib", "geopandas", "papermill", "nbconvert")
#: Parts of the checkout whose changes alter a report (a "dirty" revision).
_CODE_PATHS = ("src", "notebooks", "data/reference", "pyproject.toml")
BUILD_INFO = "_build_info.json"
REFERENCE_PACKAGE = "@etalab/decoupage-administratif"


def _package_dir() -> Path:
    import abs_lib

    return Path(abs_lib.__file__).resolve().parent


def _git(root: Path, *args: str) -> str | None:
    """Output of one git command in ``root``, or None when git is absent, fails or hangs."""
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=10, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@lru_cache(maxsize=1)
def code_revision() -> dict:
    """``{"commit": sha or "inconnue", "dirty": bool or None, "source": …}``.

    ``source``: ``"git"`` (a checkout: ``src/abs_lib`` of the repository where git
    runs; an installed copy inside some other repository is not mistaken for it),
    ``"build"`` (recorded in the wheel when it was built), or ``"inconnue"``.
    ``dirty``: uncommitted changes under ``src/``, ``notebooks/``, ``data/reference/``
    or in ``pyproject.toml`` (untracked files included).
    """
    package = _package_dir()
    root = package.parents[1]  # <checkout>/src/abs_lib
    if package.parent.name == "src" and (root / "pyproject.toml").is_file():
        top = _git(root, "rev-parse", "--show-toplevel")
        commit = _git(root, "rev-parse", "HEAD") if top and Path(top).resolve() == root.resolve() else None
        if commit:
            status = _git(root, "status", "--porcelain", "--", *_CODE_PATHS)
            return {"commit": commit, "dirty": None if status is None else bool(status), "source": "git"}
    built = package / BUILD_INFO
    if built.is_file():
        try:
            info = json.loads(built.read_text(encoding="utf-8"))
        except ValueError:
            info = {}
        if info.get("commit"):
            return {"commit": str(info["commit"]), "dirty": info.get("dirty"), "source": "build"}
    return {"commit": UNKNOWN, "dirty": None, "source": UNKNOWN}


def software_versions() -> dict:
    """``{"python": "3.11.9", "pandas": "2.2.3", …}``; a library not installed is "absente"."""
    versions = {"python": platform.python_version()}
    for name in KEY_DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absente"
    return versions


@lru_cache(maxsize=1)
def reference_package_versions() -> dict[int, str]:
    """Geography year -> version of the npm package it was built from (PROVENANCE.md table)."""
    from abs_lib.config import reference_dir

    path = reference_dir() / "PROVENANCE.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    rows = re.findall(r"^\|\s*(\d{4})\s*\|\s*(\d+\.\d+\.\d+)\s*\|", text, flags=re.MULTILINE)
    return {int(year): version for year, version in rows}


def reference_geography(geography) -> dict:
    """The study's reference geography: year, source, package version (or fictional)."""
    year = int(geography.year)
    if getattr(geography, "fictional", False):
        return {"year": year, "fictional": True, "source": "géographie fictive de démonstration",
                "package_version": None}
    return {"year": year, "fictional": False, "source": REFERENCE_PACKAGE,
            "package_version": reference_package_versions().get(year, UNKNOWN)}
