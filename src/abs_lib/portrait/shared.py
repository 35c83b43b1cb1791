"""Indicators computed once for a whole batch, read by each report.

``abs batch`` runs this in its driver before any report (the batch "prepare
hook"): every EPCI, département, région and France, plus the communes of the
batch's territories, in one parquet file; each study notebook then reads only
its own rows (``open_portrait(..., shared_tables=path)``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from abs_lib.atomic import atomic_write_bytes, atomic_write_text
from abs_lib.config import data_dir as resolve_data_dir
from abs_lib.demo import demo_geography, demo_store
from abs_lib.indicators import load_registry
from abs_lib.indicators.loading import load_inputs
from abs_lib.portrait.build import compute_table
from abs_lib.sources.store import Store
from abs_lib.territories import load_geography

SHARED_FILE = "indicateurs.parquet"
#: Rows per parquet row group. The table is sorted by territory and each report reads only its
#: own rows (``open_portrait`` filters on ``territory``): with small groups the reader skips the
#: others from their statistics. One group per million rows (the default) made every report of a
#: France-wide batch decode the whole table: 1.2 s and ~340 MiB per report, against 0.04 s.
ROW_GROUP_ROWS = 20_000


def notes_path(table_path: str | Path) -> Path:
    return Path(table_path).with_suffix(".notes.json")


def _write_if_changed(frame: pd.DataFrame, target: Path) -> None:
    """Write atomically, and leave an identical file untouched (reruns then skip every report)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, row_group_size=ROW_GROUP_ROWS)
    data = buffer.getvalue()
    if not target.exists() or target.read_bytes() != data:
        atomic_write_bytes(target, data)


def _batch_table(store: Store, geography, inputs, registry, communes: list[str]) -> pd.DataFrame:
    """The batch's table, sorted by territory, kept in the input cache like one study's table
    (``portrait.build._computed_table``): a batch run again (an edited notebook, another study on
    the same territories) reads it instead of computing it (the demo's 20 territories: 2 s).
    Its key: every input file's key, the geography, the communes and the registry."""
    from abs_lib.indicators import cache

    def compute() -> pd.DataFrame:
        table = compute_table(geography.membership(), inputs, registry, communes=communes)
        table = table.astype({c: str for c in table.columns if isinstance(table[c].dtype, pd.CategoricalDtype)})
        return table.sort_values(["territory", "indicator", "vintage"], kind="stable").reset_index(drop=True)

    parts = ("lot", geography.year, communes, registry.path, len(inputs.entries))
    return cache.cached_table(store.root, inputs.cache_keys, parts, compute)


def precompute_shared_tables(territories, study, year, data_dir, out_dir) -> dict:
    """Batch prepare hook: compute the indicators of every territory of the batch once.

    ``data_dir`` None means the fictional demo (its own store and geography).
    Returns ``{"shared_tables": path}`` for the notebooks.
    """
    territories = list(territories)
    demo = data_dir is None and all(t.fictional for t in territories)
    store = demo_store() if demo else Store(resolve_data_dir(data_dir))
    geography = demo_geography() if demo else load_geography(year)
    registry = load_registry()
    inputs = load_inputs(store, geography_year=None if demo else geography.year, registry=registry, fictional=demo)
    if not inputs.entries:  # nothing to share: each notebook reports the missing data itself
        return {}
    communes = sorted({c for t in territories for c in t.communes})
    table = _batch_table(store, geography, inputs, registry, communes)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / SHARED_FILE
    _write_if_changed(table, target)
    notes = json.dumps({"notes": [n.to_dict() for n in inputs.geography_notes],
                        "datasets": sorted({e.dataset for e in inputs.entries})}, ensure_ascii=False, indent=1)
    if not notes_path(target).exists() or notes_path(target).read_text(encoding="utf-8") != notes:
        atomic_write_text(notes_path(target), notes)
    return {"shared_tables": str(target.resolve())}
