"""``abs data import``: take files the analyst downloaded by hand into the store.

Each file is recognised from its columns, read by the strict reader and
stored once as parquet beside an untouched copy of the original. A file that
is not recognised is refused with the reason; the others still go in. What
was done on the way (a redistributor's labels read under the producer's
names, identical duplicated columns kept once, years spread over columns) is
said in the import report.
"""

from __future__ import annotations

import re
from datetime import date
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from abs_lib.errors import AbsError
import pandas as pd

from abs_lib.sources.catalog import Catalog, load_catalog
from abs_lib.sources.readers import read_contours, read_table
from abs_lib.sources.recognize import Recognition, detect_level, recognize_file
from abs_lib.sources.store import Store, StoredEntry, sha256_of

_LABEL_COLUMNS = ("LIBGEO", "LIBEPCI", "LIBIRIS", "LIBCOM", "NOM")


@dataclass(frozen=True)
class ImportResult:
    """Outcome for one file: the stored entries (one per vintage when a file spreads its years
    over columns), what was done on the way, or the French reason it was refused."""

    path: Path
    entries: tuple[StoredEntry, ...] = ()
    error: str | None = None
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
) -> StoredEntry:
    """Recognise, read and store one file; raise an AbsError if it is refused.

    Returns the entry of the latest vintage (see :func:`import_file_result` for all of them
    and the notes of the import report)."""
    return import_file_result(path, store, catalog=catalog, fictional=fictional).entry


def import_file_result(
    path: str | Path,
    store: Store,
    *,
    catalog: Catalog | None = None,
    fictional: bool = False,
) -> ImportResult:
    """Recognise, read and store one file: every entry stored and the notes for the report."""
    path = Path(path)
    if not path.is_file():
        raise AbsError(f"Fichier introuvable : {path}")
    if path.suffix.lower() in (".geojson", ".json"):
        return ImportResult(path=path, entries=(_import_contours(path, store, fictional=fictional),))
    catalog = catalog or load_catalog()
    found: Recognition = recognize_file(path, catalog)
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
    common = dict(level=level, origin=f"import : {path.resolve()}", source_file=path,
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


def _import_contours(path: Path, store: Store, *, fictional: bool) -> StoredEntry:
    """Commune contours (GeoJSON): stored as dataset ``contours-communes``.

    The vintage is the year in the file name, else the current year: contours
    without a date describe the geography in force when they were downloaded.
    """
    frame = read_contours(path)
    year = re.search(r"(?<!\d)(20\d{2})(?!\d)", path.name)
    vintage = int(year.group(1)) if year else date.today().year
    return store.save(frame, dataset="contours-communes", vintage=vintage, level="commune",
                      origin=f"import : {path.resolve()}", source_file=path, fictional=fictional)


def import_files(
    paths: Iterable[str | Path],
    store: Store,
    *,
    catalog: Catalog | None = None,
    fictional: bool = False,
) -> list[ImportResult]:
    """Import several files; one refused file does not stop the others."""
    catalog = catalog or load_catalog()
    results = []
    for path in paths:
        path = Path(path)
        try:
            result = import_file_result(path, store, catalog=catalog, fictional=fictional)
        except AbsError as error:
            results.append(ImportResult(path=path, error=str(error)))
        else:
            results.append(result)
    return results
