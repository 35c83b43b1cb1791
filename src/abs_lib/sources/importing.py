"""``abs data import``: take files the analyst downloaded by hand into the store.

Each file is recognised from its columns, read by the strict reader, checked against
the declared rules (``validation.py``: codes, level, totals, ranges, duplicates,
coverage) and only then stored, as parquet beside an untouched copy of the original.
A file that is not recognised or breaks a rule is refused with the reason, and the
store is left exactly as it was; the others still go in. What was done on the way (a
redistributor's labels read under the producer's names, identical duplicated columns
or rows kept once, years spread over columns) is said in the import report. A folder
stands for every file under it and a zip archive (as INSEE publishes them, even saved
without its .zip extension) for every data file in it; hidden files and the producers'
documentation files (meta_*, varmod_*…) are skipped and said so.

A table already stored for the same dataset, vintage and level is never silently
replaced (``_store``):

- a file with the same content changes nothing;
- a file whose rows agree with the stored ones on every code they share is merged with
  them by code (two halves of a département, two départements, a complete file after a
  partial one); one that brings nothing new changes nothing;
- a file that contradicts the stored table on some code is refused, the codes named;
  ``replace=True`` (``abs data import --remplacer``) stores it instead.

Each change is a new version; the previous ones stay restorable (``Store.restore``).

The census dwellings detail file (FD_LOGEMT, hundreds of MB) is the exception: it is
streamed into a commune table (``sources/fd_logement.py``) and only its checksum and
path are kept, not a copy.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import tempfile
import zipfile
import zlib
from datetime import date
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

from abs_lib.errors import AbsError
import pandas as pd

from abs_lib.errors import DamagedTableError
from abs_lib.sources import fd_logement
from abs_lib.sources.catalog import Catalog, load_catalog
from abs_lib.sources.readers import is_parquet, is_zip, read_contours, read_table
from abs_lib.sources.recognize import Recognition, detect_level, recognize_file
from abs_lib.sources.store import Store, StoredEntry, sha256_of
from abs_lib.sources.validation import Checked, ValidationError, check_table, load_rules

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
    outcome: str = "importé"      # importé, fusionné, remplacé, inchangé (what happened to the store)

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
    replace: bool = False,
    progress: bool = False,
) -> StoredEntry:
    """Recognise, read, check and store one file; raise an AbsError if it is refused.

    Returns the entry of the latest vintage (see :func:`import_file_result` for all of them
    and the notes of the import report). ``origin`` is what the manifest records as the
    file's origin (default: its path). ``progress``: show progress bars on long work (the
    FD_LOGEMT detail file)."""
    return import_file_result(path, store, catalog=catalog, fictional=fictional, origin=origin,
                              replace=replace, progress=progress).entry


def import_file_result(
    path: str | Path,
    store: Store,
    *,
    catalog: Catalog | None = None,
    fictional: bool = False,
    origin: str | None = None,
    replace: bool = False,
    progress: bool = False,
) -> ImportResult:
    """Recognise, read, check and store one file: every entry stored and the notes for the report.

    Nothing is written before every table of the file has passed its checks. ``replace``
    stores the file even where it contradicts or covers less than the stored table (the
    stored one stays restorable)."""
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
                       rename=found.renaming, notes=notes, text_columns=load_rules().text_columns(found.dataset))
    if found.renaming:
        notes.insert(0, f"{len(found.renaming)} colonne(s) d'une rediffusion lue(s) sous le nom du producteur ("
                     + ", ".join(f"{a} -> {b}" for a, b in found.renaming.items()) + ").")
    level, level_from = found.level, found.level_from
    labels = next((frame[c] for c in _LABEL_COLUMNS if c in frame.columns), None)
    if level is None:
        level, level_from = detect_level(frame[found.code_column], labels), "codes"
    checks = dict(dataset=dataset, level=level, level_from=level_from, code_column=found.code_column,
                  filename=path.name, labels=labels, fictional=fictional)
    common = dict(level=level, origin=origin, source_file=path, sha256=sha256_of(path), fictional=fictional)
    if dataset.layout is not None:
        tables = _years_in_columns(frame, found)
        checked = [(year, check_table(table, vintage=year, **checks)) for year, table in tables]
        notes.append(f"Tableau {found.part} ({dataset.layout.title(found.part)}) : une colonne par année, "
                     f"rangé en {len(tables)} millésime(s) ({tables[0][0]} à {tables[-1][0]}).")
        stored = [_store(store, c, dataset=found.dataset, vintage=year, part=found.part, replace=replace, **common)
                  for year, c in checked]
        if checked[-1][1].coverage_note and any(o != "inchangé" for _, o, _ in stored):
            notes.append(checked[-1][1].coverage_note)
        notes += [note for _, _, said in stored for note in said]
        return ImportResult(path=path, entries=tuple(e for e, _, _ in stored), notes=tuple(notes),
                            outcome=_overall(o for _, o, _ in stored))
    vintage, years, year_column = found.vintage, (), None
    if vintage is None:  # the vintage is in the rows (one file, several years): all kept in one table
        year_column = dataset.signature.vintage_column
        found_years = pd.to_numeric(frame[year_column], errors="coerce").dropna().astype(int)
        if found_years.empty:
            raise ValidationError(
                f"Fichier {path.name} refusé : sa colonne {year_column} ne donne aucune année. Reprenez le fichier "
                "d'origine.")
        vintage, years = int(found_years.max()), tuple(sorted(set(found_years)))
    checked = check_table(frame, vintage=vintage, year_column=year_column, **checks)
    entry, outcome, said = _store(store, checked, dataset=found.dataset, vintage=vintage, replace=replace, **common)
    if checked.coverage_note and outcome in ("importé", "remplacé"):
        notes.append(checked.coverage_note)
    return ImportResult(path=path, entries=(entry,), notes=tuple(checked.notes + notes + said), years=years,
                        outcome=outcome)


def _overall(outcomes) -> str:
    outcomes = set(outcomes)
    return outcomes.pop() if len(outcomes) == 1 else "importé"


def _years_in_columns(frame: pd.DataFrame, found: Recognition) -> list[tuple[int, pd.DataFrame]]:
    """One table per year column: the code and label columns, and the year's values
    under the measure's name (``Tab23``)."""
    years = [c for c in frame.columns if re.fullmatch(r"(19|20)\d{2}", str(c))]
    labels = [c for c in frame.columns if c not in years]
    return [(int(year), frame[labels].assign(**{found.part: frame[year].to_numpy()}))
            for year in sorted(years, key=int)]


# ------------------------------------------------------------------ storing: never silently for the worse
def _store(store: Store, checked: Checked, *, dataset: str, vintage: int, level: str, origin: str,
           source_file: Path, sha256: str, fictional: bool, replace: bool,
           part: str | None = None) -> tuple[StoredEntry, str, list[str]]:
    """Store a checked table against what the store holds: (entry, outcome, notes).

    See the module docstring for the rules; a refusal raises ValidationError and writes nothing."""
    new = checked.frame
    save = dict(dataset=dataset, vintage=vintage, level=level, origin=origin, source_file=source_file,
                sha256=sha256, fictional=fictional, part=part, coverage=checked.coverage, key=checked.key)
    current = store.current(dataset, vintage, level, part)
    if current is None:
        return store.save(new, **save), "importé", []
    what = f"{current.label}{f' ({part})' if part and part not in current.label else ''}"
    placed = (f"la table en place ({what}, version {current.version}, {current.rows} ligne(s), "
              f"de {current.source_file})")
    restore = (f"`abs data restore {dataset} {vintage} {level}{' --partie ' + part if part else ''} "
               f"--version {current.version}`")
    try:
        old = store.read(current)
    except DamagedTableError:
        entry = store.save(new, change=f"remplace la version {current.version}, endommagée", **save)
        return entry, "remplacé", [f"La table en place (version {current.version}) était endommagée : remplacée par "
                                   f"ce fichier (version {entry.version})."]
    if replace:
        entry = store.save(new, change=f"remplace la version {current.version} (--remplacer)", **save)
        return entry, "remplacé", [
            f"Remplace {placed} (version {entry.version}) ; l'ancienne reste restaurable : {restore}."]
    key = [k for k in checked.key if k in old.columns]
    if _same_table(old, new):
        return current, "inchangé", [f"Contenu identique à {placed} : rien n'a changé."]
    if not key or key != checked.key:
        raise ValidationError(
            f"Fichier {source_file.name} refusé : il diffère de {placed}, et ses lignes ne peuvent être rapprochées "
            "par code. Pour remplacer la table (l'ancienne version reste restaurable), relancez avec --remplacer.")
    merged, added_rows, added_columns, conflicts = _merge(old, new, key)
    if conflicts:
        shown = " ; ".join(conflicts[:3]) + (f" ; et {len(conflicts) - 3} autre(s)" if len(conflicts) > 3 else "")
        raise ValidationError(
            f"Fichier {source_file.name} refusé : il contredit {placed} ({shown}). Si ce fichier est la bonne "
            "version, relancez avec --remplacer (l'ancienne table reste restaurable).")
    if not added_rows and not added_columns:
        return current, "inchangé", [
            f"Rien de nouveau : ses {len(new)} ligne(s) sont déjà dans {placed}, avec les mêmes valeurs ; "
            "la table en place est gardée telle quelle."]
    sources = list(current.sources or [{"source_file": current.source_file, "sha256": current.sha256,
                                        "origin": current.origin, "rows": current.rows}])
    sources.append({"source_file": source_file.name, "sha256": sha256, "origin": origin, "rows": int(len(new))})
    names = list(dict.fromkeys(s["source_file"] for s in sources))
    combined = hashlib.sha256("\n".join(s["sha256"] for s in sources).encode()).hexdigest()
    coverage, coverage_note = _merged_coverage(merged, level, key[0], fictional)
    entry = store.save(merged, **{**save, "sha256": combined, "coverage": coverage},
                       source_name=" + ".join(names), sources=sources,
                       change=f"fusion de la version {current.version} et de {source_file.name}")
    gained = []
    if added_rows:
        gained.append(f"{added_rows} code(s) ajouté(s)")
    if added_columns:
        gained.append(f"{len(added_columns)} colonne(s) ajoutée(s) ({', '.join(added_columns[:5])})")
    said = [f"Fusionné par code avec {placed}, sans contradiction : {', '.join(gained)}, {entry.rows} ligne(s) en "
            f"tout (version {entry.version} ; la précédente reste restaurable : {restore})."]
    if coverage_note:
        said.append(f"Après fusion, {coverage_note[0].lower()}{coverage_note[1:]}")
    return entry, "fusionné", said


def _same_table(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    if list(old.columns) != list(new.columns) or len(old) != len(new):
        return False
    try:
        pd.testing.assert_frame_equal(old.reset_index(drop=True), new.reset_index(drop=True),
                                      check_dtype=False, check_exact=True)
    except AssertionError:
        return False
    return True


def _equal(a: pd.Series, b: pd.Series) -> pd.Series:
    """Cell by cell: same value, or both missing (numbers as numbers, text as text)."""
    a_num, b_num = pd.api.types.is_numeric_dtype(a.dtype), pd.api.types.is_numeric_dtype(b.dtype)
    if a_num != b_num:
        return a.isna() & b.isna()
    if not a_num:
        a, b = a.astype("string").str.strip(), b.astype("string").str.strip()
    same = (a == b).fillna(False).astype(bool)
    return same | (a.isna() & b.isna())


def _merge(old: pd.DataFrame, new: pd.DataFrame, key: list[str]):
    """Rows of ``new`` joined to ``old`` by ``key``: (merged table, rows added, columns added,
    contradictions as French phrases naming code, column and both values)."""
    old_i = old.set_index(key, drop=False)
    new_i = new.set_index(key, drop=False)
    shared = old_i.index.intersection(new_i.index)
    conflicts = []
    for column in [c for c in new.columns if c in old.columns and c not in key]:
        a, b = old_i.loc[shared, column], new_i.loc[shared, column]
        differ = ~_equal(a, b)
        for code in a.index[differ.to_numpy()][:3]:
            shown = " ".join(map(str, code)) if isinstance(code, tuple) else code
            conflicts.append(f"{shown} {column} : {_cell(a.loc[code])} en place, {_cell(b.loc[code])} dans le fichier")
        if differ.sum() > 3:
            conflicts.append(f"{int(differ.sum()) - 3} autre(s) différence(s) dans {column}")
    added_columns = [c for c in new.columns if c not in old.columns]
    fresh = new_i.loc[new_i.index.difference(old_i.index, sort=False)]
    merged = pd.concat([old_i, fresh[[c for c in old.columns if c in fresh.columns] + added_columns]],
                       ignore_index=True, sort=False)
    if added_columns:
        extra = new_i.loc[:, added_columns]
        filled = merged.set_index(key, drop=False)
        for column in added_columns:
            filled[column] = extra[column].reindex(filled.index).to_numpy()
        merged = filled.reset_index(drop=True)
    merged = merged[list(old.columns) + added_columns]
    if _is_sorted(old, key) and _is_sorted(new, key):
        merged = merged.sort_values(key, kind="stable").reset_index(drop=True)
    for column in merged.columns:  # keep the stored types (concat of string columns gives object)
        source = old[column] if column in old.columns else new[column]
        if merged[column].dtype != source.dtype:
            merged[column] = merged[column].astype(source.dtype)
    return merged, len(fresh), added_columns, conflicts


def _is_sorted(frame: pd.DataFrame, key: list[str]) -> bool:
    values = frame[key[0]].astype("string")
    return bool(values.is_monotonic_increasing)


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "vide"
    if isinstance(value, float):
        return f"{value:,.10g}".replace(",", "\u202f").replace(".", ",") if abs(value) < 1e15 else repr(value)
    return f"« {value} »"


def _merged_coverage(frame: pd.DataFrame, level: str, code_column: str,
                     fictional: bool) -> tuple[dict | None, str | None]:
    if fictional:
        return None, None
    from abs_lib.sources.validation import _coverage

    return _coverage(frame[code_column].astype("string").drop_duplicates(), level)


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
    replace: bool = False,
    progress: bool = False,
) -> list[ImportResult]:
    """Import several files (a folder: every file under it; a zip archive: every data file in it;
    a gzip file: the file inside); one refused file does not stop the others."""
    catalog = catalog or load_catalog()
    results = []
    for path, skipped in expand_paths(paths):
        if skipped:
            results.append(ImportResult(path=path, skipped=skipped))
            continue
        kind = _container(path)
        if kind == "zip" and not _is_detail_archive(path, catalog):
            results += _import_archive(path, store, catalog=catalog, fictional=fictional, replace=replace)
            continue
        if kind == "gzip":
            results.append(_import_gzip(path, store, catalog=catalog, fictional=fictional, replace=replace))
            continue
        try:
            result = import_file_result(path, store, catalog=catalog, fictional=fictional, replace=replace,
                                        progress=progress)
        except AbsError as error:
            results.append(ImportResult(path=path, error=str(error)))
        else:
            results.append(result)
    return results


def _is_detail_archive(path: Path, catalog: Catalog) -> bool:
    """A zip holding the census detail file: streamed as it is, not unpacked member by member."""
    if not is_zip(path):
        return False
    try:
        return fd_logement.is_detail_dataset(recognize_file(path, catalog).dataset)
    except AbsError:
        return False


def _container(path: Path) -> str | None:
    """``zip`` for a zip archive (not a workbook), ``gzip``, or None, read from the first bytes:
    a browser or a proxy may have saved the archive without its extension."""
    if not path.is_file():
        return None
    if path.suffix.lower() == ".zip":
        return "zip"
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
    except OSError:
        return None
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head == b"PK\x03\x04" and path.suffix.lower() not in (".xlsx", ".xlsm"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            return "zip"   # said unreadable by _import_archive
        return None if "[Content_Types].xml" in names else "zip"
    return None


def _import_gzip(path: Path, store: Store, *, catalog: Catalog, fictional: bool, replace: bool) -> ImportResult:
    """A gzip-compressed file (``….csv.gz``): the file inside, under the name without ``.gz``."""
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    with tempfile.TemporaryDirectory(prefix="abs-import-") as tmp:
        target = Path(tmp) / name
        try:
            with gzip.open(path, "rb") as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
        except (OSError, EOFError, zlib.error):
            return ImportResult(path=path, error=(
                f"Archive gzip illisible : {path.name} est tronquée ou endommagée. Retéléchargez-la."))
        try:
            result = import_file_result(target, store, catalog=catalog, fictional=fictional, replace=replace,
                                        origin=f"import : {path.resolve()}")
        except AbsError as error:
            return ImportResult(path=path, error=str(error).replace(str(target), name))
    return ImportResult(path=path, entries=result.entries, notes=result.notes, years=result.years,
                        outcome=result.outcome)


def _import_archive(path: Path, store: Store, *, catalog: Catalog, fictional: bool,
                    replace: bool = False) -> list[ImportResult]:
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
                    try:
                        with archive.open(info) as source, open(target, "wb") as out:
                            shutil.copyfileobj(source, out)
                    except _ZIP_ERRORS as error:
                        results.append(ImportResult(path=shown, error=_unreadable_archive(path, error, member=name)))
                        continue
                    try:
                        result = import_file_result(target, store, catalog=catalog, fictional=fictional,
                                                    replace=replace,
                                                    origin=f"import : {path.resolve()} ({info.filename})")
                    except AbsError as error:
                        results.append(ImportResult(path=shown, error=str(error).replace(str(target), name)))
                    else:
                        results.append(ImportResult(path=shown, entries=result.entries, notes=result.notes,
                                                    years=result.years, outcome=result.outcome))
            return results
    except _ZIP_ERRORS as error:
        return [ImportResult(path=path, error=_unreadable_archive(path, error))]


_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, zlib.error)


def _unreadable_archive(path: Path, error: Exception, member: str | None = None) -> str:
    if isinstance(error, NotImplementedError):
        why = "méthode de compression non prise en charge"
    elif isinstance(error, RuntimeError):
        why = "archive chiffrée ou protégée par un mot de passe"
    else:
        why = "archive tronquée ou endommagée"
    what = f"{path.name} (fichier {member})" if member else path.name
    return (f"Archive illisible : {what}, {why}. Retéléchargez-la depuis la page officielle, ou décompressez-la "
            "avec un autre outil et importez le fichier de données.")


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
