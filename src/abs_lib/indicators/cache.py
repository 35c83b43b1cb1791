"""On-disk cache of what :func:`abs_lib.indicators.loading.load_inputs` makes of each stored file.

Why: reading a file, splitting it by vintage, summing IRIS to communes and putting it
on the study's geography (communes nouvelles summed, every code accounted for) costs
more than computing the indicators, and gives the same result every time for the same
file, geography and code. Each report or ``abs indicators`` run would redo it.

Where: ``<data_dir>/cache/indicateurs/`` (or ``$ABS_CACHE_DIR/indicateurs/``, the folder
of downloads). One pickle per (file, study geography). Nothing there is a source: the
folder can be deleted at any time; a read-only data directory just means no cache.

Never stale: the key holds everything the result depends on —

- the file as stored: its manifest (checksum of the parquet, geography found from its
  codes…) and the parquet's size, modification and change times and inode (a file
  replaced or altered on disk changes them, even when its manifest does not: it is then
  read, and refused as damaged, as without cache);
- the study's geography year (None: not harmonised), whether the data are fictional, and
  what the registry says of the dataset (additive counts or not);
- the code: abs's version and a checksum of every ``.py``/``.yaml`` file of the package
  and of the reference geography files (a code change, a new registry, new reference
  files: everything is computed again).

A re-import writes a new manifest (new checksum, new version): new key. Entries whose
key no longer matches anything are left in place and overwritten by nothing; ``abs``
never reads them again (delete the folder to reclaim the space).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from abs_lib.config import CACHE_DIR_ENV  # the downloads' cache folder (abs_lib.sources.fetch)

#: Sub-folder of the cache folder holding these results.
FOLDER = "indicateurs"
#: Environment variable turning the cache off (``ABS_NO_CACHE=1``): every file read and harmonised again.
DISABLE_ENV = "ABS_NO_CACHE"
_FORMAT = 1


def cache_folder(data_root: Path) -> Path | None:
    """``$ABS_CACHE_DIR/indicateurs`` or ``<data_root>/cache/indicateurs``; None when disabled."""
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return None
    env = os.environ.get(CACHE_DIR_ENV)
    base = Path(env).expanduser() if env else Path(data_root) / "cache"
    return base / FOLDER


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Checksum of abs's code and packaged data (``.py``, ``.yaml``) and the state of the reference
    files (name, size, modification time: reading their megabytes cost a tenth of `abs indicators`)."""
    import abs_lib
    from abs_lib import __version__
    from abs_lib.config import reference_dir

    digest = hashlib.sha256(f"{__version__}|{_FORMAT}".encode())
    package = Path(abs_lib.__file__).resolve().parent
    files = sorted(p for p in package.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file())
    for path in files:
        digest.update(str(path.relative_to(path.parents[1])).encode())
        digest.update(path.read_bytes())
    reference = reference_dir()
    if reference.is_dir():
        for path in sorted(p for p in reference.iterdir() if p.is_file()):
            state = path.stat()
            digest.update(f"{path.name}|{state.st_size}|{state.st_mtime_ns}".encode())
    return digest.hexdigest()


def file_state(path: Path) -> list:
    """Path, size, modification and change times, inode: a file replaced or altered changes them."""
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    return [str(path), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def entry_key(root: Path, entries, geography_year: int | None, fictional: bool, dataset=None) -> str:
    """Key of the result made of ``entries`` (one file, or the parts of one) on ``geography_year``.

    ``dataset``: the registry's description of the file's dataset (a registry other than the
    packaged one may say otherwise whether it is additive)."""
    state = {
        "code": code_fingerprint(),
        "dataset": repr(dataset),
        "geography_year": geography_year,
        "fictional": bool(fictional),
        "entries": [asdict(e) for e in entries],
        "files": [file_state(Path(root) / e.parquet) for e in entries],
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def table_key(input_keys, *parts) -> str:
    """Key of a table computed from the inputs of ``input_keys`` (each already holding the code's
    fingerprint, the file's state and the geography) and ``parts`` (territories, registry…)."""
    state = {"inputs": sorted(input_keys), "parts": [repr(p) for p in parts], "code": code_fingerprint()}
    return "table-" + hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def cached_table(data_root: Path, input_keys, parts, compute):
    """``compute()``, kept in the cache under :func:`table_key` of ``input_keys`` and ``parts``
    (recomputed when any input file, the code or a part changes; computed, not kept, when the
    cache is disabled or the inputs have no key)."""
    folder = cache_folder(data_root)
    key = table_key(input_keys, *parts) if folder is not None and input_keys else None
    if key is not None:
        found = read(folder, key)
        if found is not None:
            return found
    value = compute()
    if key is not None:
        write(folder, key, value)
    return value


def read(folder: Path | None, key: str):
    """The cached result of ``key``, or None (absent, unreadable, or written by another format)."""
    if folder is None:
        return None
    path = folder / f"{key}.pickle"
    try:
        with open(path, "rb") as handle:
            stored_key, value = pickle.load(handle)  # noqa: S301 - written by abs in the analyst's own folder
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
        return None
    return value if stored_key == key else None


def write(folder: Path | None, key: str, value) -> None:
    """Store ``value`` under ``key`` atomically; a folder that cannot be written is not an error."""
    if folder is None:
        return
    from abs_lib.atomic import atomic_write

    try:
        atomic_write(folder / f"{key}.pickle",
                     lambda tmp: tmp.write_bytes(pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)))
    except Exception:  # noqa: BLE001 - a cache that cannot be written only costs time
        return
