"""The import guard changes nothing for good files: every real extract of ../shared/data and every
demo file is stored exactly as before it (commit 50542bb), value for value.

``tests/fixtures/import_baseline/tables.json`` holds, for each table the old code stored, a digest
of its columns, types and values (``table_digest`` below, computed with the old code on the same
files); the new code must store the same tables with the same digests.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from abs_lib.config import demo_dir
from abs_lib.sources.importing import import_files
from abs_lib.sources.store import Store

BASELINE = json.loads((Path(__file__).parent / "fixtures" / "import_baseline" / "tables.json").read_text(encoding="utf-8"))


def table_digest(frame: pd.DataFrame) -> str:
    """Columns, dtypes and every value (floats by repr, missing as such), hashed."""
    cells = []
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column.dtype):
            values = ["nan" if np.isnan(v) else repr(float(v)) for v in column.to_numpy(dtype="float64")]
        else:
            values = ["<NA>" if pd.isna(v) else str(v) for v in column.astype(object)]
        cells.append([str(name), str(column.dtype), values])
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def digests(store: Store) -> dict:
    out = {}
    for entry in store.entries():
        if entry.dataset == "contours-communes":
            continue
        frame = store.read(entry)
        out[f"{entry.dataset}|{entry.vintage}|{entry.level}|{entry.part or ''}"] = {
            "source_file": entry.source_file, "rows": len(frame), "digest": table_digest(frame)}
    return out


def test_every_real_table_is_stored_as_before(shared_data, tmp_path):
    store = Store(tmp_path / "data")
    results = import_files([shared_data], store)
    refused = {r.path.name for r in results if r.error}
    assert refused == {"ORIGINAL_HEADERS.txt", "ptod_agg_iris_21_subset.csv"}   # refused before too
    assert digests(store) == BASELINE["real"]


def test_every_demo_table_is_stored_as_before(tmp_path):
    files = sorted(p for p in demo_dir().rglob("*") if p.suffix.lower() == ".csv" and p.parent.name != "local")
    store = Store(tmp_path / "demo")
    results = import_files(files, store, fictional=True)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert digests(store) == BASELINE["demo"]


def test_importing_the_real_files_again_changes_nothing(shared_data, tmp_path):
    store = Store(tmp_path / "data")
    files = [shared_data / "insee_dossier_complet", shared_data / "filosofi", shared_data / "rp_iris"]
    import_files(files, store)
    before = {p: p.read_bytes() for p in sorted((tmp_path / "data").rglob("*")) if p.is_file()}
    again = import_files(files, store)
    assert {r.outcome for r in again if r.ok} == {"inchangé"}
    assert {p: p.read_bytes() for p in sorted((tmp_path / "data").rglob("*")) if p.is_file()} == before
