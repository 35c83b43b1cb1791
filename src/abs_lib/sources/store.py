"""The local data store: originals kept untouched, tables converted to parquet once.

Layout under the data directory (cookiecutter-data-science):

    raw/<dataset>/<vintage>/<original file>              immutable copy of what was fetched/imported
    processed/<dataset>/<vintage>/<level>.parquet         the table as read (codes as text)
    processed/<dataset>/<vintage>/<level>.json            manifest: origin, checksum, rows…
    processed/<dataset>/<vintage>/<level>.<part>.parquet  one measure of a dataset published as
                                                          one file per measure (DREES ``Tab23``…)
    processed/<dataset>/<vintage>/historique/<level>.vN.json     manifest of every version N
    processed/<dataset>/<vintage>/historique/<level>.vN.parquet  the table of version N ≥ 2

Every write goes to a temporary file first and is renamed into place, so an
interrupted import never leaves a half-written table that looks valid.

Versions: a table is never overwritten. Version 1 is ``<level>.parquet``; a later
version is written beside the others under ``historique/``, and the current
manifest ``<level>.json`` (which names its parquet file) is switched to it in one
rename, so readers see the old table or the new one, never a mix. Every version
stays restorable (``abs data list --historique``, ``abs data restore``). The
manifest records the parquet file's checksum: a table damaged on disk is refused
with a French message rather than a traceback.
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
from abs_lib.errors import DamagedTableError, DatasetNotFoundError
from abs_lib.sources.columns import column_kinds

HISTORY = "historique"


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
    version: int = 1                  # 1, 2… (``historique/``); every version stays restorable
    change: str | None = None         # how this version came (import, fusion, remplacement, restauration)
    coverage: dict | None = None      # codes and communes per département (sources/validation.py)
    sources: list | None = None       # files merged into this table: source_file, sha256, origin, rows
    key: list | None = None           # columns identifying a row
    raw: str | None = None            # the untouched original, relative to the data folder
    parquet_sha256: str | None = None # checksum of the parquet file, checked when read

    @property
    def geography_year(self) -> int | None:
        return int(self.geography["year"]) if self.geography else None

    @property
    def stem(self) -> str:
        return f"{self.level}.{self.part}" if self.part else self.level

    @property
    def label(self) -> str:
        part = f" ({self.part})" if self.part else ""
        return f"{self.dataset}{part}, millésime {self.vintage}, niveau {self.level}"


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
        change: str | None = None,
        coverage: dict | None = None,
        sources: list | None = None,
        key: list | None = None,
        source_name: str | None = None,
    ) -> StoredEntry:
        """Store ``frame`` as the new current version of its table, with its manifest; copy the original.

        The previous version, if any, stays restorable (see the module docstring). The
        manifest is written last: a table without manifest is not listed, so a crash
        between the two leaves the store consistent. ``part`` names one measure of a
        dataset published as one file per measure: each part is stored (and traced to
        its file) on its own, and ``load`` joins the parts of a vintage. ``sources`` lists
        the files merged into the table (default: ``source_file`` alone); ``source_name``
        is what the manifest shows as its file (default: ``source_file``'s name).
        """
        source_file = Path(source_file)
        checksum = sha256 or sha256_of(source_file)
        folder = self._processed(dataset, int(vintage))
        stem = f"{level}.{part}" if part else level
        versions = [e.version for e in self.history(dataset, vintage, level, part)]
        version = max(versions, default=0) + 1
        parquet = folder / f"{stem}.parquet" if version == 1 and not (folder / f"{stem}.parquet").exists() \
            else folder / HISTORY / f"{stem}.v{version}.parquet"
        raw_rel = None
        if keep_raw and source_file.is_file():
            raw_target = self._raw(dataset, int(vintage)) / source_file.name
            if raw_target.exists() and sha256_of(raw_target) != checksum:
                raw_target = self._raw(dataset, int(vintage)) / checksum[:12] / source_file.name
            if not raw_target.exists():
                atomic_write(raw_target, lambda tmp: shutil.copyfile(source_file, tmp))
            raw_rel = str(raw_target.relative_to(self.root))
        atomic_write(parquet, lambda tmp: frame.to_parquet(tmp, index=False))
        saved_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        entry = StoredEntry(
            dataset=dataset,
            vintage=int(vintage),
            level=level,
            rows=int(len(frame)),
            origin=str(origin),
            source_file=source_name or source_file.name,
            sha256=checksum,
            saved_at=saved_at,
            fictional=bool(fictional),
            member=member,
            parquet=str(parquet.relative_to(self.root)),
            columns=column_kinds(dataset, frame),
            part=part,
            version=version,
            change=change or ("import" if version == 1 else f"remplace la version {max(versions)}"),
            coverage=coverage,
            sources=sources or [{"source_file": source_file.name, "sha256": checksum, "origin": str(origin),
                                 "rows": int(len(frame)), "saved_at": saved_at}],
            key=list(key) if key else None,
            raw=raw_rel,
            parquet_sha256=sha256_of(parquet),
        )
        self._write_manifest(entry, history=True)
        return entry

    def restore(self, dataset: str, vintage: int, level: str, version: int | None = None,
                part: str | None = None) -> StoredEntry:
        """Make an earlier version current again (default: the one before the current).

        The current version stays in the history, so a restore is undone by another."""
        versions = self.history(dataset, vintage, level, part)
        what = f"{dataset}, millésime {vintage}, niveau {level}" + (f" ({part})" if part else "")
        if not versions:
            raise DatasetNotFoundError(
                f"Aucune table {what} dans {self.root} : rien à restaurer. `abs data list --historique` liste les "
                "versions gardées.")
        current = _read_manifest(self._processed(dataset, int(vintage)) / f"{versions[0].stem}.json")
        if version is None:
            older = [e for e in versions if current is None or e.version < current.version]
            if not older:
                raise DatasetNotFoundError(
                    f"Table {what} : aucune version antérieure à la version {current.version} (en place). "
                    "`abs data list --historique` liste les versions gardées.")
            target = older[-1]
        else:
            target = next((e for e in versions if e.version == int(version)), None)
            if target is None:
                known = ", ".join(str(e.version) for e in versions)
                raise DatasetNotFoundError(
                    f"Table {what} : pas de version {version} (versions gardées : {known}). "
                    "`abs data list --historique` les détaille.")
        if not (self.root / target.parquet).is_file():
            raise DamagedTableError(
                f"Table {what}, version {target.version} : son fichier {target.parquet} a disparu ; elle ne peut "
                "plus être restaurée. Choisissez une autre version (`abs data list --historique`).")
        if current is not None and current.version == target.version:
            raise DatasetNotFoundError(
                f"Table {what} : la version {target.version} est déjà en place ; rien n'a changé. "
                "`abs data list --historique` liste les autres versions.")
        self._check_parquet(target)
        restored = replace(target, change=f"restauration de la version {target.version}")
        self._write_manifest(restored)
        return restored

    def forget(self, entry: StoredEntry) -> None:
        """Undo the save of ``entry`` (an interrupted fetch): its files go, the version before
        it becomes current again (or the table disappears if it had none)."""
        folder = self._processed(entry.dataset, entry.vintage)
        (self.root / entry.parquet).unlink(missing_ok=True)
        (folder / HISTORY / f"{entry.stem}.v{entry.version}.json").unlink(missing_ok=True)
        earlier = [e for e in self.history(entry.dataset, entry.vintage, entry.level, entry.part)
                   if e.version < entry.version and (self.root / e.parquet).is_file()]
        manifest = folder / f"{entry.stem}.json"
        if earlier:
            self._write_manifest(earlier[-1])
        else:
            manifest.unlink(missing_ok=True)

    def history(self, dataset: str, vintage: int, level: str, part: str | None = None) -> list[StoredEntry]:
        """Every version of one table, oldest first (the current one included)."""
        folder = self._processed(dataset, int(vintage))
        stem = f"{level}.{part}" if part else level
        found = {}
        for manifest in sorted((folder / HISTORY).glob(f"{stem}.v*.json")):
            entry = _read_manifest(manifest)
            if entry is not None and entry.stem == stem:
                found[entry.version] = entry
        current = _read_manifest(folder / f"{stem}.json")
        if current is not None and current.version not in found:
            found[current.version] = current
        return [found[v] for v in sorted(found)]

    def all_history(self) -> list[tuple[StoredEntry, bool]]:
        """Every version of every table, with True for the current ones."""
        out = []
        for current in self.entries(include_damaged=True):
            for entry in self.history(current.dataset, current.vintage, current.level, current.part):
                out.append((entry, entry.version == current.version))
        return out

    def _write_manifest(self, entry: StoredEntry, *, history: bool = False) -> None:
        """Write ``entry`` as the current manifest of its table (and, with ``history``, as the
        record of its version, first: the switch to the new version is the last rename)."""
        folder = self._processed(entry.dataset, entry.vintage)
        text = json.dumps(asdict(entry), ensure_ascii=False, indent=2)
        if history:
            atomic_write_text(folder / HISTORY / f"{entry.stem}.v{entry.version}.json", text)
        atomic_write_text(folder / f"{entry.stem}.json", text)

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
    def entries(self, include_damaged: bool = False) -> list[StoredEntry]:
        """Every complete table in the store (those with a manifest and a parquet file)."""
        found = []
        for manifest in sorted((self.root / "processed").glob("*/*/*.json")):
            entry = _read_manifest(manifest)
            if entry is None:
                continue
            if include_damaged or (self.root / entry.parquet).is_file():
                found.append(entry)
        return found

    def current(self, dataset: str, vintage: int, level: str, part: str | None = None) -> StoredEntry | None:
        """The current version of one table, or None."""
        stem = f"{level}.{part}" if part else level
        entry = _read_manifest(self._processed(dataset, int(vintage)) / f"{stem}.json")
        return entry if entry is not None and (self.root / entry.parquet).is_file() else None

    def read(self, entry: StoredEntry) -> pd.DataFrame:
        """The table of one version, checked against its manifest (DamagedTableError if it is not whole)."""
        self._check_parquet(entry)
        try:
            return pd.read_parquet(self.root / entry.parquet)
        except Exception as error:  # truncated or altered file: pyarrow says so in English
            raise self._damaged(entry, f"est illisible ({type(error).__name__})") from error

    def _check_parquet(self, entry: StoredEntry) -> None:
        path = self.root / entry.parquet
        if not path.is_file():
            raise self._damaged(entry, "a disparu")
        if entry.parquet_sha256 and sha256_of(path) != entry.parquet_sha256:
            raise self._damaged(entry, "a été modifié depuis son enregistrement (somme de contrôle différente)")

    def _damaged(self, entry: StoredEntry, what: str) -> DamagedTableError:
        part = f" {entry.part}" if entry.part else ""
        older = [e for e in self.history(entry.dataset, entry.vintage, entry.level, entry.part) if e.version != entry.version]
        fix = (f"restaurez une autre version (`abs data restore {entry.dataset} {entry.vintage} {entry.level}`"
               f"{' --partie ' + entry.part if entry.part else ''}) ou " if older else "")
        raw = f" (l'original est gardé dans {entry.raw})" if entry.raw else ""
        return DamagedTableError(
            f"Table endommagée dans {self.root} : son fichier {entry.parquet} ({entry.dataset}{part}, millésime "
            f"{entry.vintage}, niveau {entry.level}, version {entry.version}) {what}. Pour la réparer, {fix}réimportez le fichier "
            f"d'origine{raw} avec `abs data import FICHIER --remplacer`.")

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
            return self.read(entry)
        return self.load_parts([e for e in self.entries()
                                if (e.dataset, e.vintage, e.level) == (dataset, int(vintage), level)])

    def load_parts(self, entries: list[StoredEntry]) -> pd.DataFrame:
        """The tables of ``entries`` (parts of one dataset, vintage and level) joined into one."""
        out = None
        for entry in sorted(entries, key=lambda e: e.part or ""):
            frame = self.read(entry)
            if out is None:
                out = frame
                continue
            shared = [c for c in frame.columns if c in out.columns]
            out = out.merge(frame, on=shared, how="outer", validate="one_to_one")
        return out

    def vintages(self, dataset: str, level: str | None = None) -> list[int]:
        return sorted({e.vintage for e in self.entries() if e.dataset == dataset and (level is None or e.level == level)})


def _read_manifest(path: Path) -> StoredEntry | None:
    """A manifest as an entry; None if absent or unreadable (a half-written file is never left:
    manifests are written atomically)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return StoredEntry(**data)
    except (OSError, ValueError, TypeError):
        return None
