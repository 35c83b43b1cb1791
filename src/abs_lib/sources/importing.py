"""``abs data import``: take files the analyst downloaded by hand into the store.

Each file is recognised from its columns, read by the strict reader and
stored once as parquet beside an untouched copy of the original. A file that
is not recognised is refused with the reason; the others still go in.

The census dwellings detail file (FD_LOGEMT, hundreds of MB) is the exception: it is
streamed into a commune table (``sources/fd_logement.py``) and only its checksum and
path are kept, not a copy.
"""

from __future__ import annotations

import re
from datetime import date
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from abs_lib.errors import AbsError
import pandas as pd

from abs_lib.sources import fd_logement
from abs_lib.sources.catalog import Catalog, load_catalog
from abs_lib.sources.readers import is_parquet, is_zip, read_contours, read_table
from abs_lib.sources.recognize import Recognition, detect_level, recognize_file
from abs_lib.sources.store import Store, StoredEntry, sha256_of

_LABEL_COLUMNS = ("LIBGEO", "LIBEPCI", "LIBIRIS", "LIBCOM", "NOM")


@dataclass(frozen=True)
class ImportResult:
    """Outcome for one file: the stored entry, or the French reason it was refused."""

    path: Path
    entry: StoredEntry | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.entry is not None


def import_file(
    path: str | Path,
    store: Store,
    *,
    catalog: Catalog | None = None,
    fictional: bool = False,
    progress: bool = False,
) -> StoredEntry:
    """Recognise, read and store one file; raise an AbsError if it is refused.

    ``progress``: show progress bars on long work (the FD_LOGEMT detail file).
    """
    path = Path(path)
    if not path.is_file():
        raise AbsError(f"Fichier introuvable : {path}")
    if path.suffix.lower() in (".geojson", ".json"):
        return _import_contours(path, store, fictional=fictional)
    catalog = catalog or load_catalog()
    found: Recognition = recognize_file(path, catalog)
    if fd_logement.is_detail_dataset(found.dataset):
        return fd_logement.import_detail_file(path, store, vintage=found.vintage, progress=progress,
                                              fictional=fictional)
    if is_zip(path) or is_parquet(path):
        raise AbsError(
            f"Fichier {path.name} reconnu comme « {found.dataset} », mais `abs data import` ne lit ce jeu qu'en "
            "CSV, XLS ou XLSX : extrayez le fichier de l'archive (ou téléchargez la version CSV) puis importez-le."
        )
    frame = read_table(path, required=[found.code_column], dataset=found.dataset)
    vintage = found.vintage
    if vintage is None:  # the vintage is in the rows (one file, several years)
        column = catalog.get(found.dataset).signature.vintage_column
        vintage = int(pd.to_numeric(frame[column], errors="coerce").max())
    level = found.level
    if level is None:
        labels = next((frame[c] for c in _LABEL_COLUMNS if c in frame.columns), None)
        level = detect_level(frame[found.code_column], labels)
    return store.save(
        frame,
        dataset=found.dataset,
        vintage=vintage,
        level=level,
        origin=f"import : {path.resolve()}",
        source_file=path,
        sha256=sha256_of(path),
        fictional=fictional,
    )


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
    progress: bool = False,
) -> list[ImportResult]:
    """Import several files; one refused file does not stop the others."""
    catalog = catalog or load_catalog()
    results = []
    for path in paths:
        path = Path(path)
        try:
            entry = import_file(path, store, catalog=catalog, fictional=fictional, progress=progress)
        except AbsError as error:
            results.append(ImportResult(path=path, error=str(error)))
        else:
            results.append(ImportResult(path=path, entry=entry))
    return results
