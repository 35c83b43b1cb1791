"""Write a file so that readers see either the old one or the whole new one.

Every output of abs (stored tables, manifests, reports, indexes, exported
tables) goes through here: it is written beside its target under a unique
temporary name, then renamed into place; on any failure the temporary file is
removed, so nothing half-written is ever left that looks valid.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable


def atomic_write(target: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp_path)`` then rename ``tmp_path`` to ``target``.

    ``write`` creates the file itself (``frame.to_parquet``, ``shutil.copyfile``…),
    so it gets the usual permissions.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(target: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write(target, lambda tmp: tmp.write_bytes(data))
