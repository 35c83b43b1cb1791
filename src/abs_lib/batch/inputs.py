"""What a report was made from, to skip reports whose inputs did not change (resumable batches).

A report's inputs are: the study and the checksum of its notebook, the abs
version, the parameters passed to the notebook, the checksum of the data folder
and of any file given as a parameter (e.g. the shared indicator tables). The
batch writes them to ``<territory>/<study>.entrees.json`` after each success;
the next batch skips the report when they are equal, when the published files
listed by ``<study>.provenance.json`` all exist, and when that provenance is still
the one the record was written for (same generation date: a later ``abs report``
by hand is noticed). The parameters recorded are those the batch gives
``build_report``, which derives the notebook's own from them.

The data checksum reads the store manifests (``processed/<jeu>/<millésime>/<niveau>.json``:
the SHA-256 of each original file) instead of the parquet tables, and hashes every
other file of the data folder except the untouched originals under ``raw/``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from abs_lib.sources.store import sha256_of

INPUTS_SUFFIX = ".entrees.json"
_MANIFEST_KEYS = ("dataset", "vintage", "level", "sha256", "rows", "member", "fictional")


def _jsonable(value):
    """The value as it reads back from JSON (tuples become lists…): what is compared."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def data_fingerprint(data_dir: str | Path) -> str:
    """SHA-256 of the data folder's content (see module docstring); ``"absent"`` if it does not exist."""
    root = Path(data_dir)
    if not root.is_dir():
        return "absent"
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not (rel_dir == Path(".") and d == "raw"))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            rel = path.relative_to(root).as_posix()
            if rel.startswith("processed/") and name.endswith(".parquet") and path.with_suffix(".json").is_file():
                continue  # described by its manifest
            if rel.startswith("processed/") and name.endswith(".json"):
                content = _manifest_content(path)
                if content is not None:
                    digest.update(f"{rel}\0{content}\n".encode())
                    continue
            digest.update(f"{rel}\0{sha256_of(path)}\n".encode())
    return digest.hexdigest()


def _manifest_content(path: Path) -> str | None:
    """The stable part of a store manifest (its ``saved_at`` changes on an identical re-import)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "sha256" not in data:
        return None
    return json.dumps({k: data.get(k) for k in _MANIFEST_KEYS}, sort_keys=True)


def file_checksums(params: Mapping) -> dict[str, str]:
    """SHA-256 of every parameter whose value is the path of an existing file (``shared_tables``…)."""
    out = {}
    for name, value in params.items():
        if isinstance(value, str) and value and os.path.isabs(value) and os.path.isfile(value):
            out[name] = sha256_of(value)
    return out


def report_inputs(*, study: str, notebook_sha256: str, abs_version: str, parameters: Mapping,
                  data_sha256: str, parameter_files_sha256: Mapping | None = None) -> dict:
    """The inputs record of one report (what ``<study>.entrees.json`` holds).

    ``parameter_files_sha256``: from :func:`file_checksums`, computed once for the
    parameters common to a batch (default: computed here from ``parameters``).
    """
    if parameter_files_sha256 is None:
        parameter_files_sha256 = file_checksums(parameters)
    return {
        "study": study,
        "notebook_sha256": notebook_sha256,
        "abs_version": abs_version,
        "parameters": _jsonable(dict(parameters)),
        "data_sha256": data_sha256,
        "parameter_files_sha256": dict(parameter_files_sha256),
    }


def inputs_path(folder: str | Path, study: str) -> Path:
    return Path(folder) / f"{study}{INPUTS_SUFFIX}"


def write_inputs(folder: str | Path, study: str, inputs: Mapping, generated_at: str | None) -> Path:
    """Record the inputs of a report just published, with its provenance date (atomically).

    The date ties the record to that very report: a report made again by hand later
    has another date, and the next batch makes it again rather than trust the record.
    """
    from abs_lib.atomic import atomic_write_text

    path = inputs_path(folder, study)
    record = dict(inputs, generated_at=generated_at)
    atomic_write_text(path, json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True))
    return path


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def why_regenerate(folder: str | Path, study: str, inputs: Mapping) -> str | None:
    """None when the published report of ``study`` in ``folder`` was made from ``inputs``;
    otherwise the French reason to produce it again."""
    folder = Path(folder)
    provenance = _read_json(folder / f"{study}.provenance.json")
    if provenance is None or not (folder / f"{study}.html").is_file():
        return "aucun rapport publié"
    missing = [name for name in provenance.get("files", []) if not (folder / name).is_file()]
    if missing:
        return f"fichier(s) du rapport manquant(s) : {', '.join(missing)}"
    recorded = _read_json(inputs_path(folder, study))
    if recorded is None:
        return "entrées du rapport précédent inconnues (rapport produit hors traitement par lots)"
    if recorded.get("generated_at") != provenance.get("generated_at"):
        return "rapport refait hors du lot depuis (abs report ?)"
    reasons = {
        "study": "étude différente",
        "notebook_sha256": "notebook de l'étude modifié",
        "abs_version": "version d'abs différente",
        "parameters": "paramètres modifiés",
        "data_sha256": "données modifiées",
        "parameter_files_sha256": "tables partagées modifiées",
    }
    changed = [text for key, text in reasons.items() if recorded.get(key) != inputs.get(key)]
    return ", ".join(changed) if changed else None
