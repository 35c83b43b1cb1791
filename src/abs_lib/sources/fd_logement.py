"""The census dwellings detail file (FD_LOGEMT), aggregated by commune without ever loading it.

INSEE publishes, for each census, one row per ordinary dwelling (« fichier détail
Logements ordinaires », ``FD_LOGEMT_2019.csv``: about 20 to 30 million rows, several GB
once unzipped; also split by zone, ``FD_LOGEMTZA_2019.csv`` … ``ZE``). It is the only
public source that crosses the tenure of a main residence with the age of the
household's reference person: no commune base does (field notes §E).

Layout (real sources, see docs/sources.md and the catalog entry ``rp-fd-logement``):
``;``-separated, one header line, codes as text. Columns read here:

- ``COMMUNE``: commune of residence (Paris, Lyon, Marseille: the whole commune, 75056,
  69123, 13055; the arrondissement is in ``ARM``, ``ZZZZZ`` elsewhere), not read;
- ``AGEMEN8``: age band of the reference person, ``00`` (under 15), ``15``, ``20``,
  ``25`` (25 to 39), ``40``, ``55``, ``65``, ``80`` (80 or over), ``YY`` (not a main
  residence);
- ``STOCD``: detailed tenure, ``00`` (unoccupied dwelling), ``10`` owner, ``21`` tenant of
  an unfurnished non-HLM dwelling, ``22`` tenant of an unfurnished HLM dwelling, ``23``
  tenant of a furnished dwelling or hotel room, ``30`` housed free of charge;
- ``IPONDL``: the dwelling's weight (decimal number).

The file is streamed by DuckDB (``read_csv`` with explicit types, every code as
VARCHAR) into weighted sums per (commune, age band, tenure), then pivoted into one
small commune table whose columns are aggregates abs defines (not INSEE variables):

- ``RP_AGEPR2539_PROP``: main residences whose reference person is 25-39, owners
  (``RP_AGEPR{band}_{tenure}`` for every band and tenure);
- ``RP_AGEPR2539``: main residences whose reference person is 25-39, all tenures;
- ``RP_PROP`` …: all ages; ``RP_ENS``: all main residences.

Only that table is stored; the original, hundreds of MB, is not copied into ``raw/``:
its checksum and path are recorded there instead (:func:`import_detail_file`).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from abs_lib.atomic import atomic_write, atomic_write_text
from abs_lib.errors import MissingColumnError, SourceFileError
from abs_lib.sources.readers import is_parquet, is_zip, zip_data_member

DATASET = "rp-fd-logement"
CODE_COLUMN = "CODGEO"

#: Columns of FD_LOGEMT read by the aggregation (everything else is skipped).
READ_COLUMNS = ("COMMUNE", "AGEMEN8", "STOCD", "IPONDL")
WEIGHT = "IPONDL"

#: AGEMEN8 modality -> band suffix of the variable names, and its French label.
AGE_BANDS = {
    "00": ("0014", "moins de 15 ans"),
    "15": ("1519", "15 à 19 ans"),
    "20": ("2024", "20 à 24 ans"),
    "25": ("2539", "25 à 39 ans"),
    "40": ("4054", "40 à 54 ans"),
    "55": ("5564", "55 à 64 ans"),
    "65": ("6579", "65 à 79 ans"),
    "80": ("80P", "80 ans ou plus"),
}
#: AGEMEN8 of a dwelling that is not a main residence.
NOT_MAIN_AGE = "YY"

#: STOCD modality -> tenure suffix of the variable names, and its French label.
TENURES = {
    "10": ("PROP", "propriétaires"),
    "21": ("LOCVIDE", "locataires d'un logement loué vide non HLM"),
    "22": ("LOCHLMV", "locataires d'un logement loué vide HLM"),
    "23": ("LOCMEUB", "locataires d'un logement loué meublé ou d'une chambre d'hôtel"),
    "30": ("GRAT", "logés gratuitement"),
}
#: STOCD of an unoccupied ordinary dwelling (second home, vacant…): not a household.
UNOCCUPIED = "00"

#: DuckDB settings for a 2-core machine: bounded memory, spill to a temporary folder.
DEFAULT_MEMORY_LIMIT = "1GB"


def band_variable(band: str, tenure: str | None = None) -> str:
    """``RP_AGEPR2539`` (all tenures) or ``RP_AGEPR2539_PROP`` for an AGEMEN8 and STOCD code."""
    name = f"RP_AGEPR{AGE_BANDS[band][0]}"
    return name if tenure is None else f"{name}_{TENURES[tenure][0]}"


def tenure_variable(tenure: str) -> str:
    """``RP_PROP``…: main residences of a tenure, every age."""
    return f"RP_{TENURES[tenure][0]}"


TOTAL_VARIABLE = "RP_ENS"


def variable_names() -> list[str]:
    """Every column of the stored commune table but the code, in a stable order."""
    suffixes = list(dict.fromkeys(suffix for suffix, _ in TENURES.values()))
    names = []
    for band, (band_suffix, _) in AGE_BANDS.items():
        names.append(f"RP_AGEPR{band_suffix}")
        names += [f"RP_AGEPR{band_suffix}_{s}" for s in suffixes]
    names += [f"RP_{s}" for s in suffixes]
    names.append(TOTAL_VARIABLE)
    return names


def variable_label(name: str) -> str:
    """What a column of the stored table counts, in French (docs and tests)."""
    suffix_label = {suffix: label for suffix, label in TENURES.values()}
    if name == TOTAL_VARIABLE:
        return "résidences principales (ménages)"
    parts = name.split("_")
    if parts[1].startswith("AGEPR"):
        band = next(label for suffix, label in AGE_BANDS.values() if f"AGEPR{suffix}" == parts[1])
        who = f"ménages dont la personne de référence a {band}"
        return who if len(parts) == 2 else f"{who}, {suffix_label[parts[2]]}"
    return f"résidences principales, {suffix_label[parts[1]]}"


# ------------------------------------------------------------------ the source file
@dataclass(frozen=True)
class DetailSource:
    """Where the rows are: a CSV file, the CSV inside a zip archive, or a parquet file."""

    path: Path
    kind: str                   # "csv", "zip" or "parquet"
    member: str | None = None   # the CSV inside the archive
    header: tuple[str, ...] = ()
    sep: str = ";"
    decimal: str = "."

    @property
    def name(self) -> str:
        return Path(self.member).name if self.member else self.path.name


def open_source(path: str | Path) -> DetailSource:
    """Look at a FD_LOGEMT file (its header and first rows only) and check its columns."""
    path = Path(path)
    if not path.is_file():
        raise SourceFileError(f"Fichier introuvable : {path}")
    if is_parquet(path):
        import pyarrow.parquet as pq

        try:
            header = tuple(pq.read_schema(path).names)
        except Exception as error:
            raise SourceFileError(f"Fichier parquet illisible : {path} ({error}).") from error
        source = DetailSource(path, "parquet", header=header)
    elif is_zip(path):
        member = zip_data_member(path)
        with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
            head = handle.read(1 << 20)
        source = _text_source(path, "zip", member, head)
    else:
        with path.open("rb") as handle:
            head = handle.read(1 << 20)
        source = _text_source(path, "csv", None, head)
    missing = [c for c in READ_COLUMNS if c not in source.header]
    if missing:
        raise MissingColumnError(path, missing, DATASET)
    return source


def _text_source(path: Path, kind: str, member: str | None, head: bytes) -> DetailSource:
    text = head.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SourceFileError(f"Le fichier {path} est vide ou n'a pas d'en-tête.")
    first = lines[0]
    sep = ";" if first.count(";") else max(("\t", ",", "|"), key=first.count)
    header = tuple(h.strip() for h in first.split(sep))
    if len(set(header)) != len(header):
        raise SourceFileError(f"Colonne en double dans l'en-tête de {path}.")
    decimal = "."
    if WEIGHT in header:
        index = header.index(WEIGHT)
        sample = [line.split(sep) for line in lines[1:-1] if line.strip()]  # the last line may be cut
        values = [cells[index] for cells in sample if len(cells) > index]
        if any("," in v for v in values) and not any("." in v for v in values):
            decimal = ","
    return DetailSource(path, kind, member, header, sep, decimal)


# ------------------------------------------------------------------ aggregation
@dataclass(frozen=True)
class Aggregate:
    """Weighted counts by (commune, AGEMEN8, STOCD), and what was read."""

    cells: pd.DataFrame          # COMMUNE, AGEMEN8, STOCD, weight, rows, weighted_rows
    rows: int                    # rows of the file
    seconds: float
    source: DetailSource


_SQL = f"""
SELECT COMMUNE, AGEMEN8, STOCD,
       sum({WEIGHT}) AS weight, count(*) AS rows, count({WEIGHT}) AS weighted_rows
FROM fd_source
GROUP BY ALL
"""


def aggregate_counts(
    path: str | Path | DetailSource,
    *,
    progress: bool = False,
    threads: int | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    temp_dir: str | Path | None = None,
) -> Aggregate:
    """Stream a FD_LOGEMT file through DuckDB into weighted counts per (commune, age, tenure).

    Never loads the file: DuckDB reads it in blocks (a zip archive is decompressed on
    the fly through a pyarrow CSV stream) and keeps only the running sums.
    """
    import duckdb
    from pyarrow.lib import ArrowException

    source = path if isinstance(path, DetailSource) else open_source(path)
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="abs-duckdb-", dir=temp_dir))
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(scratch),
                                 "preserve_insertion_order": False})
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        holder = _register_source(con, source)
        cells = _run_with_progress(con, _SQL, source, progress, holder)
    except (duckdb.Error, ArrowException, zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise SourceFileError(
            f"Lecture impossible de {source.name} (fichier détail Logements) : {_first_line(error)}. "
            "Le fichier est peut-être tronqué ou modifié ; retéléchargez l'original depuis insee.fr."
        ) from error
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    rows = int(cells["rows"].sum())
    return Aggregate(cells=cells, rows=rows, seconds=time.perf_counter() - started, source=source)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _register_source(con, source: DetailSource):
    """Make ``fd_source`` a relation over the file; returns what must stay open while it is read."""
    if source.kind == "csv":
        columns = {name or f"_vide{i}": ("DOUBLE" if name == WEIGHT else "VARCHAR")
                   for i, name in enumerate(source.header)}
        spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
        path = str(source.path).replace("'", "''")
        con.execute(
            f"CREATE VIEW fd_source AS SELECT {', '.join(READ_COLUMNS)} FROM read_csv('{path}', "
            f"delim='{source.sep}', header=true, auto_detect=false, columns={spec}, "
            f"decimal_separator='{source.decimal}')"
        )
        return None
    if source.kind == "parquet":
        path = str(source.path).replace("'", "''")
        casts = ", ".join(
            f"CAST({c} AS DOUBLE) AS {c}" if c == WEIGHT else f"CAST({c} AS VARCHAR) AS {c}" for c in READ_COLUMNS
        )
        con.execute(f"CREATE VIEW fd_source AS SELECT {casts} FROM read_parquet('{path}')")
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    archive = zipfile.ZipFile(source.path)
    handle = archive.open(source.member)
    try:
        counted = _CountingReader(handle)
        reader = pacsv.open_csv(
            counted,
            read_options=pacsv.ReadOptions(block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter=source.sep),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(READ_COLUMNS),
                column_types={c: (pa.float64() if c == WEIGHT else pa.string()) for c in READ_COLUMNS},
                decimal_point=source.decimal, null_values=[""], strings_can_be_null=True,
            ),
        )
        con.register("fd_source", reader)
    except BaseException:
        handle.close()
        archive.close()
        raise
    return (archive, handle, counted, archive.getinfo(source.member).file_size)


class _CountingReader(io.RawIOBase):
    """A read-only stream that counts the bytes handed out (progress of a zip member)."""

    def __init__(self, inner):
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.count += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _run_with_progress(con, sql: str, source: DetailSource, progress: bool, holder) -> pd.DataFrame:
    """Run the aggregation in a worker thread; the caller's thread shows a tqdm bar (percent)."""
    result: dict = {}

    def work():
        try:
            result["frame"] = con.execute(sql).df()
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    worker = threading.Thread(target=work, name="abs-fd-logement", daemon=True)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=100, unit="%", desc=f"Agrégation de {source.name}", leave=True, disable=None,
                   bar_format="{desc} : {percentage:3.0f} % |{bar}| {elapsed} écoulées")
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.5)
            if bar is not None:
                done = _progress(con, holder)
                if done is not None and done > bar.n:
                    bar.update(done - bar.n)
    except KeyboardInterrupt:
        con.interrupt()
        worker.join()
        raise
    finally:
        if bar is not None:
            if "frame" in result:
                bar.update(100 - bar.n)
            bar.close()
        if holder is not None:
            for item in holder[:2]:
                item.close()
    if "error" in result:
        raise result["error"]
    return result["frame"]


def _progress(con, holder) -> int | None:
    if holder is not None:  # zip: bytes decompressed out of the member's size
        _, _, counted, size = holder
        return min(99, int(100 * counted.count / size)) if size else None
    value = con.query_progress()
    return min(99, int(value)) if value is not None and value >= 0 else None


# ------------------------------------------------------------------ commune table
def _normalised(codes: pd.Series, width: int) -> pd.Series:
    """Codes as INSEE writes them: stripped, digits left-padded (``0`` -> ``00``, ``1001`` -> ``01001``)."""
    text = codes.astype("string").str.strip()
    digits = text.str.fullmatch(r"\d+").fillna(False)
    return text.where(~digits, text.str.zfill(width))


def _factorised(values: pd.Series, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(position of each value in the sorted normalised codes, those codes); -1 for a missing value.

    Only the distinct values are normalised: a national file has ~35 000 communes for a
    million cells."""
    raw_codes, raw_uniques = pd.factorize(values, use_na_sentinel=True)
    normalised = _normalised(pd.Series(raw_uniques, dtype=object), width).fillna("")
    codes, uniques = pd.factorize(normalised.to_numpy(dtype=object), sort=True)
    mapped = np.where(raw_codes >= 0, codes[np.maximum(raw_codes, 0)], -1)
    return mapped, np.asarray(uniques, dtype=object)


def commune_table(cells: pd.DataFrame, *, source_name: str = "") -> pd.DataFrame:
    """Pivot the weighted counts into one row per commune (``CODGEO`` + :func:`variable_names`).

    Unoccupied dwellings (STOCD 00) are not households and are left out; every commune
    of the file has a row, with zeros where it has no household of a kind. An unknown
    code or a missing weight on a main residence is an error, never a silent drop.
    Vectorised (a national file gives about a million (commune, age, tenure) cells).
    """
    where = f" dans {source_name}" if source_name else ""
    rows = cells["rows"].to_numpy(dtype="int64")
    weights = cells["weight"].to_numpy(dtype="float64", na_value=np.nan)
    weighted = cells["weighted_rows"].to_numpy(dtype="int64")
    commune_idx, communes = _factorised(cells["COMMUNE"], 5)
    age_idx, ages = _factorised(cells["AGEMEN8"], 2)
    tenure_idx, tenures = _factorised(cells["STOCD"], 2)
    blank = (commune_idx < 0) | (communes[np.maximum(commune_idx, 0)] == "")
    if blank.any():
        raise SourceFileError(f"{int(rows[blank].sum())} ligne(s) sans code commune (COMMUNE vide){where}.")
    stocd = np.where(tenure_idx >= 0, tenures[np.maximum(tenure_idx, 0)], "")
    main = stocd != UNOCCUPIED
    agemen8 = np.where(age_idx >= 0, ages[np.maximum(age_idx, 0)], "")
    _check_codes(stocd[main], rows[main], TENURES, "STOCD", "statut d'occupation", where)
    _check_codes(agemen8[main], rows[main], AGE_BANDS, "AGEMEN8", "âge de la personne de référence", where)
    unweighted = int((rows - weighted)[main].sum())
    if unweighted:
        raise SourceFileError(
            f"{unweighted} résidence(s) principale(s) sans poids (IPONDL vide){where} : "
            "fichier tronqué ou modifié ; retéléchargez l'original."
        )
    age_pos = {code: i for i, code in enumerate(AGE_BANDS)}
    tenure_pos = {code: j for j, code in enumerate(TENURES)}
    age_map = np.array([age_pos.get(code, -1) for code in ages] or [-1])
    tenure_map = np.array([tenure_pos.get(code, -1) for code in tenures] or [-1])
    cube = np.zeros((len(communes), len(AGE_BANDS), len(TENURES)))
    np.add.at(cube, (commune_idx[main], age_map[age_idx[main]], tenure_map[tenure_idx[main]]), weights[main])
    columns: dict[str, np.ndarray] = {}
    for i, band in enumerate(AGE_BANDS):
        columns[band_variable(band)] = cube[:, i, :].sum(axis=1)
        for j, tenure in enumerate(TENURES):
            columns[band_variable(band, tenure)] = cube[:, i, j]
    for j, tenure in enumerate(TENURES):
        columns[tenure_variable(tenure)] = cube[:, :, j].sum(axis=1)
    columns[TOTAL_VARIABLE] = cube.sum(axis=(1, 2))
    out = pd.DataFrame({CODE_COLUMN: pd.array(communes, dtype="string")})
    return pd.concat([out, pd.DataFrame({name: columns[name] for name in variable_names()})], axis=1)


def _check_codes(values: np.ndarray, rows: np.ndarray, known: dict, column: str, what: str, where: str) -> None:
    unknown = ~np.isin(values, list(known))
    if not unknown.any():
        return
    counts = pd.Series(rows[unknown]).groupby(values[unknown]).sum().sort_values(ascending=False)
    shown = ", ".join(f"« {code} » ({int(n)} ligne(s))" for code, n in counts.head(5).items())
    raise SourceFileError(
        f"Code(s) {column} ({what}) inconnu(s) pour des résidences principales{where} : {shown}. "
        f"Codes attendus : {', '.join(known)}. Le dictionnaire des variables de ce millésime a peut-être "
        "changé : signalez-le plutôt que de corriger le fichier."
    )


def aggregate_file(path: str | Path | DetailSource, *, progress: bool = False,
                   **options) -> tuple[pd.DataFrame, Aggregate]:
    """The commune table of a FD_LOGEMT file, and the raw aggregate it was pivoted from."""
    aggregate = aggregate_counts(path, progress=progress, **options)
    return commune_table(aggregate.cells, source_name=aggregate.source.name), aggregate


# ------------------------------------------------------------------ store
def _parts_folder(store, vintage: int) -> Path:
    return store.root / "processed" / DATASET / str(int(vintage)) / "parts"


def _sha256(path: Path, progress: bool) -> str:
    """Checksum of the original, read in chunks (with a bar: several GB take a while)."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=size, unit="o", unit_scale=True, desc=f"Somme de contrôle de {path.name}",
                   disable=None, leave=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(8 << 20), b""):
            digest.update(block)
            if bar is not None:
                bar.update(len(block))
    if bar is not None:
        bar.close()
    return digest.hexdigest()


def import_detail_file(path: str | Path, store, *, vintage: int, progress: bool = False,
                       fictional: bool = False, origin: str | None = None, **options):
    """Aggregate a FD_LOGEMT file and store its commune table (dataset ``rp-fd-logement``).

    The original is not copied into ``raw/`` (hundreds of MB, several GB unzipped):
    ``raw/rp-fd-logement/<vintage>/<file>.reference.json`` records its path, size and
    sha256 instead, so the analyst can prove which file was used and find it again.

    Zone files (``FD_LOGEMTZA_2019.csv`` … ``ZE``) cover disjoint communes: each one
    imported is kept as a part and the stored table is their union. A file that covers
    every commune of an earlier part (the national file, or the same file again)
    replaces it. ``origin``: where the file came from (the URL when fetched).
    """
    path = Path(path)
    source = open_source(path)
    checksum = _sha256(path, progress)
    table, aggregate = aggregate_file(source, progress=progress, **options)
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    part = {"source_file": source.path.name, "member": source.member, "path": str(path.resolve()),
            "origin": origin or f"import : {path.resolve()}",
            "sha256": checksum, "size_bytes": path.stat().st_size, "rows_read": aggregate.rows,
            "communes": int(len(table)), "imported_at": when}
    combined, parts = _merge_part(store, int(vintage), table, part)
    names = [p["source_file"] for p in parts]
    entry = store.save(
        combined,
        dataset=DATASET,
        vintage=int(vintage),
        level="commune",
        origin=(parts[0]["origin"] if len(parts) == 1
                else "import : " + " + ".join(names) + " (fichiers par zone réunis)"),
        source_file=Path(" + ".join(names)),
        sha256=" + ".join(p["sha256"] for p in parts),
        member=source.member if len(parts) == 1 else None,
        fictional=fictional,
        keep_raw=False,
    )
    reference = store.root / "raw" / DATASET / str(int(vintage)) / f"{source.path.name}.reference.json"
    atomic_write_text(reference, json.dumps({
        **part,
        "note": ("Original non copié (fichier détail de plusieurs centaines de Mo) : seuls son chemin, sa taille "
                 "et sa somme de contrôle sont gardés ici. La table agrégée par commune est dans "
                 f"processed/{DATASET}/{int(vintage)}/commune.parquet."),
    }, ensure_ascii=False, indent=2))
    return entry


def _merge_part(store, vintage: int, table: pd.DataFrame, part: dict) -> tuple[pd.DataFrame, list[dict]]:
    """Add ``table`` as a part of the vintage; return the union of the parts and their descriptions."""
    folder = _parts_folder(store, vintage)
    existing = []
    for manifest in sorted(folder.glob("*.json")):
        try:
            info = json.loads(manifest.read_text(encoding="utf-8"))
            frame = pd.read_parquet(manifest.with_suffix(".parquet"))
        except (OSError, ValueError):
            continue
        existing.append((manifest, info, frame))
    codes = set(table[CODE_COLUMN])
    kept = []
    for manifest, info, frame in existing:
        if info.get("sha256") == part["sha256"] or set(frame[CODE_COLUMN]) <= codes:
            manifest.with_suffix(".parquet").unlink(missing_ok=True)
            manifest.unlink(missing_ok=True)
            continue
        kept.append((info, frame))
    stem = part["sha256"][:16]
    atomic_write(folder / f"{stem}.parquet", lambda tmp: table.to_parquet(tmp, index=False))
    atomic_write_text(folder / f"{stem}.json", json.dumps(part, ensure_ascii=False, indent=2))
    kept.sort(key=lambda item: item[0].get("imported_at", ""))
    frames = [frame for _, frame in kept] + [table]
    combined = pd.concat(frames, ignore_index=True).drop_duplicates(CODE_COLUMN, keep="last")
    combined = combined.sort_values(CODE_COLUMN, kind="stable").reset_index(drop=True)
    return combined, [info for info, _ in kept] + [part]


def is_detail_dataset(dataset: str) -> bool:
    return dataset == DATASET


__all__ = [
    "AGE_BANDS", "Aggregate", "DATASET", "DetailSource", "READ_COLUMNS", "TENURES", "TOTAL_VARIABLE",
    "aggregate_counts", "aggregate_file", "band_variable", "commune_table", "import_detail_file",
    "is_detail_dataset", "open_source", "tenure_variable", "variable_label", "variable_names",
]
