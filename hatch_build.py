"""Build hook: record the git commit a wheel or sdist of abs was built from.

An installed wheel has no .git beside it, so ``abs_lib.reports.environment.code_revision``
reads ``abs_lib/_build_info.json`` written here (commit, and whether ``src/``,
``notebooks/``, ``data/reference/`` or ``pyproject.toml`` had uncommitted changes).
The sdist carries the file as ``src/abs_lib/_build_info.json``, so a wheel built from
it (no git there) keeps the record. Nothing is written into the source tree; editable
installs are left alone (they read git directly); without git nothing is recorded
and the report says "inconnue".
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

CODE_PATHS = ("src", "notebooks", "data/reference", "pyproject.toml")
RECORD = "_build_info.json"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=10, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


class BuildInfoHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root).resolve()
        if version == "editable" or (root / "src" / "abs_lib" / RECORD).is_file():
            return  # editable: git is read at run time; from an sdist: already recorded
        top = _git(root, "rev-parse", "--show-toplevel")
        commit = _git(root, "rev-parse", "HEAD") if top and Path(top).resolve() == root else None
        if not commit:
            return
        status = _git(root, "status", "--porcelain", "--", *CODE_PATHS)
        self._folder = Path(tempfile.mkdtemp(prefix="abs-build-info-"))
        record = self._folder / RECORD
        record.write_text(json.dumps({"commit": commit, "dirty": None if status is None else bool(status)}),
                          encoding="utf-8")
        inside = f"abs_lib/{RECORD}" if self.target_name == "wheel" else f"src/abs_lib/{RECORD}"
        build_data.setdefault("force_include", {})[str(record)] = inside

    def finalize(self, version: str, build_data: dict, artifact_path: str) -> None:
        folder = getattr(self, "_folder", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
