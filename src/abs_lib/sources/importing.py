"""``abs data import``: take files the analyst downloaded by hand into the store.

Each file is recognised from its columns, read by the strict reader and
stored once as parquet beside an untouched copy of the original. A file that
is not recognised is refused with the reason; the others still go in. What
was done on the way (a redistributor's labels read under the producer's
names, identical duplicated columns kept once, years spread over columns) is
said in the import report. A folder stands for every file under it and a zip
archive (as INSEE publishes them) for every data file in it; hidden files and
the producers' documentation files (meta_*, varmod_*…) are skipped and said so.

The census dwellings detail file (FD_LOGEMT, hundreds of MB) is the exception: it is
streamed into a commune table (``sources/fd_logement.py``) and only its checksum and
path are kept, not a copy.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from datetime import date
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from abs_lib.errors import AbsError
import pandas as pd

from abs_lib.sources import fd_logement
from abs_lib.sources.catalog import Catalog, load_catalog
from abs_lib.sources.readers import is_parquet, is_zip, read_contours, read_table
from abs_lib.sources.recognize import Recognition, detect_level, recognize_file
from abs_lib.sources.store import Store, StoredEntry, sha256_of

_LABEL_COLUMNS = ("LIBGEO", "LIBEPCI", "LIBIRIS", "LIBCOM", "NOM")
#: Documentation files shipped beside the data in the producers' archives (INSEE meta_/varmod_…).
AUXILIARY_PREFIXES = ("meta", "varmod", "doc", "lisez", "readme")
_AUXILIARY_REASON = "fichier de documentation du producteur (meta, varmod, lisez-moi…), ignoré"


@dataclass(frozen=True)
class ImportResult:
    """Outcome for one file: the stored entries (one per vintage when a file spreads its years
    over columns), what was done on the way, the French reason it was refused, or why it was
    skipped."""

    path: Path
    entries: tuple[StoredEntry, ...] = ()
    error: str | None = None
    skipped: str | None = None
    notes: tuple[str, ...] = ()
    years: tuple[int, ...] = ()   # years held by a file with one row per territory and year

    @property
    def ok(self) -> bool:
        return bool(self.entries)

    @property
    def entry(self) -> StoredEntry | None:
        """The entry of the latest vintage (the only one for most files)."""
        return max(self.entries, key=lambda e: e.vintage) if self.entries else None


def import_file(
    path: str | Path,
    store: Store,
    *,
    catalog: Catalog | None = None,
    fictional: bool = False,
    origin: str | None = None,
    progress: bool = False,
) -> StoredEntry:
    """Recognise, read and store one file; raise an AbsError if it is refused.

    Returns the entry of the latest vintage (see :func:`import_file_result` for all of them
    and the notes of the import report). ``origin`` is what the manifest records as the
    file's origin (default: its path). ``progress``: show progress bars on long work (the
    FD_LOGEMT detail file)."""
    return import_file_result(path, store, catalog=catalog, fictional=fictional, origin=origin,
                              progress=progress).entry


def import_file_result(
    path: str | Path,
    store: Store,
    *,
    catalog: Catalog | None = None,
    fictional: bool = False,
    origin: str | None = None,
    progress: bool = False,
) -> ImportResult:
    """Recognise, read and store one file: every entry stored and the notes for the report."""
    path = Path(path)
    origin = origin or f"import : {path.resolve()}"
    if path.is_dir():
        raise AbsError(f"Dossier vide : {path} ne contient aucun fichier à importer.")
    if not path.is_file():
        raise AbsError(f"Fichier introuvable : {path}")
    if path.suffix.lower() in (".geojson", ".json"):
        return ImportResult(path=path, entries=(_import_contours(path, store, fictional=fictional, origin=origin),))
    catalog = catalog or load_catalog()
    found: Recognition = recognize_file(path, catalog)
    if fd_logement.is_detail_dataset(found.dataset):
        entry = fd_logement.import_detail_file(path, store, vintage=found.vintage, progress=progress,
                                               fictional=fictional)
        return ImportResult(path=path, entries=(entry,))
    if is_zip(path) or is_parquet(path):
        raise AbsError(
            f"Fichier {path.name} reconnu comme « {found.dataset} », mais `abs data import` ne lit ce jeu qu'en "
            "CSV, XLS ou XLSX : extrayez le fichier de l'archive (ou téléchargez la version CSV) puis importez-le."
        )
    dataset = catalog.get(found.dataset)
    notes: list[str] = []
    frame = read_table(path, required=[found.code_column], dataset=found.dataset,
                       rename=found.renaming, notes=notes)
    if found.renaming:
        notes.insert(0, f"{len(found.renaming)} colonne(s) d'une rediffusion lue(s) sous le nom du producteur ("
                     + ", ".join(f"{a} -> {b}" for a, b in found.renaming.items()) + ").")
    level = found.level
    if level is None:
        labels = next((frame[c] for c in _LABEL_COLUMNS if c in frame.columns), None)
        level = detect_level(frame[found.code_column], labels)
    common = dict(level=level, origin=origin, source_file=path,
                  sha256=sha256_of(path), fictional=fictional)
    if dataset.layout is not None:
        entries = _save_years_in_columns(frame, found, dataset, store, common)
        notes.append(f"Tableau {found.part} ({dataset.layout.title(found.part)}) : une colonne par année, "
                     f"rangé en {len(entries)} millésime(s) ({entries[0].vintage} à {entries[-1].vintage}).")
        return ImportResult(path=path, entries=tuple(entries), notes=tuple(notes))
    vintage, years = found.vintage, ()
    if vintage is None:  # the vintage is in the rows (one file, several years): all kept in one table
        column = dataset.signature.vintage_column
        found_years = pd.to_numeric(frame[column], errors="coerce").dropna().astype(int)
        vintage, years = int(found_years.max()), tuple(sorted(set(found_years)))
    entry = store.save(frame, dataset=found.dataset, vintage=vintage, **common)
    return ImportResult(path=path, entries=(entry,), notes=tuple(notes), years=years)


def _save_years_in_columns(frame: pd.DataFrame, found: Recognition, dataset, store: Store,
                           common: dict) -> list[StoredEntry]:
    """One stored table per year column: the code and label columns, and the year's values
    under the measure's name (``Tab23``)."""
    years = [c for c in frame.columns if re.fullmatch(r"(19|20)\d{2}", str(c))]
    labels = [c for c in frame.columns if c not in years]
    entries = []
    for year in sorted(years, key=int):
        table = frame[labels].assign(**{found.part: frame[year].to_numpy()})
        entries.append(store.save(table, dataset=found.dataset, vintage=int(year), part=found.part, **common))
    return entries


def _import_contours(path: Path, store: Store, *, fictional: bool, origin: str) -> StoredEntry:
    """Commune contours (GeoJSON): stored as dataset ``contours-communes``.

    The vintage is the year in the file name, else the current year: contours
    without a date describe the geography in force when they were downloaded.
    """
    frame = read_contours(path)
    year = re.search(r"(?<!\d)(20\d{2})(?!\d)", path.name)
    vintage = int(year.group(1)) if year else date.today().year
    return store.save(frame, dataset="contours-communes", vintage=vintage, level="commune",
                      origin=origin, source_file=path, fictional=fictional)


def import_files(
    paths: Iterable[str | Path],
    store: Store,
    *,
    catalog: Catalog | None = None,
    fictional: bool = False,
    progress: bool = False,
) -> list[ImportResult]:
    """Import several files (a folder: every file under it; a zip archive: every data file in it);
    one refused file does not stop the others."""
    catalog = catalog or load_catalog()
    results = []
    for path, skipped in expand_paths(paths):
        if skipped:
            results.append(ImportResult(path=path, skipped=skipped))
            continue
        if path.suffix.lower() == ".zip" and path.is_file() and not _is_detail_archive(path, catalog):
            results += _import_archive(path, store, catalog=catalog, fictional=fictional)
            continue
        try:
            result = import_file_result(path, store, catalog=catalog, fictional=fictional, progress=progress)
        except AbsError as error:
            results.append(ImportResult(path=path, error=str(error)))
        else:
            results.append(result)
    return results


def _is_detail_archive(path: Path, catalog: Catalog) -> bool:
    """A zip holding the census detail file: streamed as it is, not unpacked member by member."""
    try:
        return fd_logement.is_detail_dataset(recognize_file(path, catalog).dataset)
    except AbsError:
        return False


def _import_archive(path: Path, store: Store, *, catalog: Catalog, fictional: bool) -> list[ImportResult]:
    """Every data file of a zip archive as published (INSEE ``…_csv.zip``), documentation skipped.

    Members are unpacked to a temporary folder, imported, and the folder removed; the
    manifest names the archive and the member.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if not members:
                return [ImportResult(path=path, error=f"Archive vide : {path.name} ne contient aucun fichier.")]
            results = []
            with tempfile.TemporaryDirectory(prefix="abs-import-") as tmp:
                for info in members:
                    name = PurePosixPath(info.filename).name
                    shown = path / name
                    if name.lower().startswith(AUXILIARY_PREFIXES) or name.startswith("."):
                        results.append(ImportResult(path=shown, skipped=_AUXILIARY_REASON))
                        continue
                    target = Path(tmp) / name
                    with archive.open(info) as source, open(target, "wb") as out:
                        shutil.copyfileobj(source, out)
                    try:
                        result = import_file_result(target, store, catalog=catalog, fictional=fictional,
                                                    origin=f"import : {path.resolve()} ({info.filename})")
                    except AbsError as error:
                        results.append(ImportResult(path=shown, error=str(error).replace(str(target), name)))
                    else:
                        results.append(ImportResult(path=shown, entries=result.entries, notes=result.notes,
                                                    years=result.years))
            return results
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        return [ImportResult(path=path, error=(
            f"Archive illisible : {path.name} ({error}). Retéléchargez-la depuis la page officielle, "
            "ou décompressez-la et importez le fichier de données."))]


def expand_paths(paths: Iterable[str | Path]) -> list[tuple[Path, str | None]]:
    """Files to import, in order: a folder gives every file under it, sorted.

    Returns (path, reason to skip or None). Inside a folder, hidden files and the
    producers' documentation files (meta_*, varmod_*, doc*, lisez-moi, readme) are
    skipped; a file named explicitly is always tried. An empty folder is reported
    as a path to try, so its import is refused with the reason.
    """
    out: list[tuple[Path, str | None]] = []
    for path in map(Path, paths):
        if not path.is_dir():
            out.append((path, None))
            continue
        found = sorted(
            p for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not found:
            out.append((path, None))
        for file in found:
            out.append((file, _AUXILIARY_REASON if file.name.lower().startswith(AUXILIARY_PREFIXES) else None))
    return out
