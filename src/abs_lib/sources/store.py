"""The local data store: originals kept untouched, tables converted to parquet once.

Layout under the data directory (cookiecutter-data-science):

    raw/<dataset>/<vintage>/<original file>              immutable copy of what was fetched/imported
    processed/<dataset>/<vintage>/<level>.parquet         the table as read (codes as text)
    processed/<dataset>/<vintage>/<level>.json            manifest: origin, checksum, rows…
    processed/<dataset>/<vintage>/<level>.<part>.parquet  one measure of a dataset published as
                                                          one file per measure (DREES ``Tab23``…)

Every write goes to a temporary file first and is renamed into place, so an
interrupted import never leaves a half-written table that looks valid.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from abs_lib.atomic import atomic_write, atomic_write_text
from abs_lib.errors import DatasetNotFoundError
from abs_lib.sources.columns import column_kinds


def sha256_of(path: str | Path) -> str:
    """Checksum of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """One table in the store, as described by its manifest."""

    dataset: str
    vintage: int
    level: str
    rows: int
    origin: str
    source_file: str
    sha256: str
    saved_at: str
    fictional: bool = False
    member: str | None = None
    parquet: str = ""
    columns: dict | None = None       # column -> count / level / label (sources/columns.py)
    geography: dict | None = None     # evidence of the file's commune geography (territories/fit.py)
    part: str | None = None           # the measure, when a dataset comes as one file per measure

    @property
    def geography_year(self) -> int | None:
        return int(self.geography["year"]) if self.geography else None


class Store:
    """Tables saved under a data directory, one per (dataset, vintage, level)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    # -- paths ---------------------------------------------------------------
    def _processed(self, dataset: str, vintage: int) -> Path:
        return self.root / "processed" / dataset / str(vintage)

    def _raw(self, dataset: str, vintage: int) -> Path:
        return self.root / "raw" / dataset / str(vintage)

    # -- writing -------------------------------------------------------------
    def save(
        self,
        frame: pd.DataFrame,
        *,
        dataset: str,
        vintage: int,
        level: str,
        origin: str,
        source_file: str | Path,
        sha256: str | None = None,
        member: str | None = None,
        fictional: bool = False,
        keep_raw: bool = True,
        part: str | None = None,
    ) -> StoredEntry:
        """Store ``frame`` as parquet with its manifest; copy the original file.

        The manifest is written last: a table without manifest is not listed,
        so a crash between the two leaves the store consistent. ``part`` names one
        measure of a dataset published as one file per measure: each part is stored
        (and traced to its file) on its own, and ``load`` joins the parts of a vintage.
        """
        source_file = Path(source_file)
        checksum = sha256 or sha256_of(source_file)
        folder = self._processed(dataset, int(vintage))
        stem = f"{level}.{part}" if part else level
        parquet = folder / f"{stem}.parquet"
        if keep_raw and source_file.is_file():
            raw_target = self._raw(dataset, int(vintage)) / source_file.name
            if not raw_target.exists() or sha256_of(raw_target) != checksum:
                atomic_write(raw_target, lambda tmp: shutil.copyfile(source_file, tmp))
        atomic_write(parquet, lambda tmp: frame.to_parquet(tmp, index=False))
        entry = StoredEntry(
            dataset=dataset,
            vintage=int(vintage),
            level=level,
            rows=int(len(frame)),
            origin=str(origin),
            source_file=source_file.name,
            sha256=checksum,
            saved_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            fictional=bool(fictional),
            member=member,
            parquet=str(parquet.relative_to(self.root)),
            columns=column_kinds(dataset, frame),
            part=part,
        )
        self._write_manifest(entry)
        return entry

    def _write_manifest(self, entry: StoredEntry) -> None:
        manifest = self.root / Path(entry.parquet).with_suffix(".json")
        atomic_write_text(manifest, json.dumps(asdict(entry), ensure_ascii=False, indent=2))

    def annotate(self, entry: StoredEntry, **facts) -> StoredEntry:
        """Record facts learnt about a stored table (e.g. its geography) in its manifest.

        Facts are derived from the table itself, so failing to record them (a
        read-only data directory) only means computing them again next time.
        """
        updated = replace(entry, **facts)
        try:
            self._write_manifest(updated)
        except OSError:
            pass
        return updated

    # -- reading -------------------------------------------------------------
    def entries(self) -> list[StoredEntry]:
        """Every complete table in the store (those with a manifest and a parquet file)."""
        found = []
        for manifest in sorted((self.root / "processed").glob("*/*/*.json")):
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                entry = StoredEntry(**data)
            except (ValueError, TypeError):
                continue
            if (self.root / entry.parquet).is_file():
                found.append(entry)
        return found

    def list_frame(self) -> pd.DataFrame:
        """The store's contents as a table (one row per dataset, vintage and level)."""
        rows = [asdict(e) for e in self.entries()]
        columns = list(StoredEntry.__dataclass_fields__)
        return pd.DataFrame(rows, columns=columns)

    def has(self, dataset: str, vintage: int, level: str) -> bool:
        return any(e.dataset == dataset and e.vintage == int(vintage) and e.level == level for e in self.entries())

    def entry(self, dataset: str, vintage: int, level: str) -> StoredEntry:
        for e in self.entries():
            if e.dataset == dataset and e.vintage == int(vintage) and e.level == level:
                return e
        have = sorted({(e.dataset, e.vintage, e.level) for e in self.entries() if e.dataset == dataset})
        hint = (" Disponibles pour ce jeu : " + ", ".join(f"{v} ({lvl})" for _, v, lvl in have) + ".") if have else ""
        raise DatasetNotFoundError(
            f"Données absentes du dossier {self.root} : {dataset}, millésime {vintage}, niveau {level}.{hint} "
            f"Récupérez-les avec `abs data fetch {dataset} --vintage {vintage}` ou importez le fichier "
            "téléchargé à la main avec `abs data import FICHIER`."
        )

    def load(self, dataset: str, vintage: int, level: str) -> pd.DataFrame:
        """The stored table, columns as in the original file (codes as text).

        A dataset stored in parts (one file per measure) is given back as one table: the
        parts are joined on their shared columns (codes and labels), one row per territory.
        """
        entry = self.entry(dataset, vintage, level)
        if entry.part is None:
            return pd.read_parquet(self.root / entry.parquet)
        return self.load_parts([e for e in self.entries()
                                if (e.dataset, e.vintage, e.level) == (dataset, int(vintage), level)])

    def load_parts(self, entries: list[StoredEntry]) -> pd.DataFrame:
        """The tables of ``entries`` (parts of one dataset, vintage and level) joined into one."""
        out = None
        for entry in sorted(entries, key=lambda e: e.part or ""):
            frame = pd.read_parquet(self.root / entry.parquet)
            if out is None:
                out = frame
                continue
            shared = [c for c in frame.columns if c in out.columns]
            out = out.merge(frame, on=shared, how="outer", validate="one_to_one")
        return out

    def vintages(self, dataset: str, level: str | None = None) -> list[int]:
        return sorted({e.vintage for e in self.entries() if e.dataset == dataset and (level is None or e.level == level)})
