"""The source catalog: which official files exist, where, and how they are laid out.

The catalog is data (``catalog.yaml`` beside this module), read once and
validated strictly, so a typo in it is a clear French error at load time rather
than a silent wrong download. Entries are exposed as frozen dataclasses;
``abs data fetch`` downloads from them and ``abs data import`` recognises a
file from their ``signature``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import yaml

from abs_lib.errors import CatalogError, DatasetNotFoundError

#: libyaml's safe loader when built (5x faster on the packaged YAML files), else the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")

LEVELS = ("iris", "commune", "epci", "departement", "region", "metropole", "france")
PRODUCERS = ("INSEE", "CAF", "DREES", "IGN", "Etalab", "DGCL")
THEMES = ("démographie", "familles", "logement", "emploi", "formation", "revenus", "caf", "petite-enfance",
          "équipements", "géographie")
FILE_KINDS = ("csv", "xlsx", "xls", "parquet", "geojson", "shapefile")
TABULAR_KINDS = ("csv", "xlsx", "xls", "parquet")
VINTAGE_SOURCES = ("columns", "filename", "column")
LAYOUTS = ("years-in-columns",)

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TEMPLATE = re.compile(r"\{(yy|yyyy)\}")


def expand_pattern(pattern: str, vintage: int) -> str:
    """Fill a column pattern: ``"NBMEN{yy}"`` with 2019 gives ``"NBMEN19"``."""
    return _TEMPLATE.sub(lambda m: f"{vintage % 100:02d}" if m[1] == "yy" else f"{vintage:04d}", pattern)


@dataclass(frozen=True)
class SignatureMatch:
    """A header fits a signature: with which vintage, and how specifically."""

    vintage: int | None
    specificity: int


@dataclass(frozen=True)
class Signature:
    """How to recognise a file of a dataset from its header (and name).

    ``required``/``forbidden`` are column patterns ({yy}, {yyyy}); at least one
    of ``code_columns`` must be present. When several datasets match a file,
    the signature with the most required columns is the most specific.
    """

    code_columns: tuple[str, ...]
    required: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    vintage_from: str = "columns"
    filename_pattern: str | None = None
    vintage_column: str | None = None
    ignore_case: bool = False

    def required_for(self, vintage: int) -> tuple[str, ...]:
        return tuple(expand_pattern(p, vintage) for p in self.required)

    def forbidden_for(self, vintage: int) -> tuple[str, ...]:
        return tuple(expand_pattern(p, vintage) for p in self.forbidden)

    def match(self, columns, filename: str | None = None) -> "SignatureMatch | None":
        """Does a header (and file name) fit this signature? Returns the vintage found.

        With ``vintage_from: columns`` the most recent vintage whose required
        columns are all present wins (older columns are history, e.g. P16_POP
        beside P22_POP). With ``vintage_from: column`` the vintage is in the
        rows, so ``vintage`` is None.
        """
        norm = (lambda c: str(c).strip().upper()) if self.ignore_case else (lambda c: str(c).strip())
        present = {norm(c) for c in columns}
        if not any(norm(c) in present for c in self.code_columns):
            return None
        if self.vintage_from == "filename":
            # No year in the name: still recognised (vintage None), so the analyst is told
            # to keep the year in the file name rather than that the file is unknown.
            year = self.vintage_from_filename(Path(filename).name) if filename else None
            candidates = [year]
        elif self.vintage_from == "columns":
            candidates = sorted(self._vintages_in(present, norm), reverse=True)
        else:
            candidates = [None]
        for year in candidates:
            required = self.required_for(year) if year else self.required
            forbidden = self.forbidden_for(year) if year else self.forbidden
            if all(norm(c) in present for c in required) and not any(norm(c) in present for c in forbidden):
                return SignatureMatch(vintage=year, specificity=len(required))
        return None

    def _vintages_in(self, present: set[str], norm) -> set[int]:
        templated = [p for p in self.required if _TEMPLATE.search(p)]
        if not templated:
            return set()
        parts = re.split(r"(\{yy\}|\{yyyy\})", templated[0])
        regex = "".join(
            r"(\d{2})" if part == "{yy}" else r"(\d{4})" if part == "{yyyy}" else re.escape(norm(part))
            for part in parts
        )
        found = set()
        for column in present:
            m = re.fullmatch(regex, column)
            if m:
                digits = m.group(1)
                value = int(digits)
                found.add(value if len(digits) == 4 else (1900 + value if value >= 60 else 2000 + value))
        return found

    def vintage_from_filename(self, name: str) -> int | None:
        """The vintage written in a file name, or None (``vintage_from: filename``)."""
        if not self.filename_pattern:
            return None
        match = re.search(self.filename_pattern, name)
        if not match:
            return None
        groups = match.groupdict()
        if groups.get("vintage"):
            return int(groups["vintage"])
        if groups.get("yy"):
            return 2000 + int(groups["yy"])
        return None


@dataclass(frozen=True)
class FileSpec:
    """One table of a vintage: a file (or archive member) holding one geographic level."""

    level: str
    format: dict
    member: str | None = None
    url: str | None = None
    sha256: str | None = None
    confirmed: bool = False
    seen_in: tuple[str, ...] = ()
    note: str | None = None

    @property
    def kind(self) -> str:
        return self.format.get("kind", "csv")

    @property
    def archive(self) -> str | None:
        """Archive type deduced from the URL: "zip", "gzip", "7z" or None (plain file)."""
        return archive_type(self.url)


@dataclass(frozen=True)
class Vintage:
    """One published edition of a dataset (census vintage, income year, COG year…)."""

    dataset: str
    vintage: int
    geography_year: int | None
    page_url: str
    file_url: str | None
    confirmed: bool
    sha256: str | None
    files: tuple[FileSpec, ...]
    seen_in: tuple[str, ...] = ()
    note: str | None = None

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.level for f in self.files))

    @property
    def urls(self) -> tuple[str, ...]:
        """Distinct download URLs of this vintage (one per archive)."""
        return tuple(dict.fromkeys(f.url for f in self.files if f.url))


@dataclass(frozen=True)
class Layout:
    """A table whose years are columns (``Code département;…;2015;2016;…``): one vintage per
    year column, and one file per measure, the measure (``part``) named in the file name only.

    ``parts`` maps each known part (``Tab23``) to its meaning; ``part_from_filename`` is a
    regular expression with a group ``part`` matched case-insensitively against them.
    """

    kind: str
    part_from_filename: str
    parts: tuple[tuple[str, str], ...]

    def part_of(self, filename: str) -> str | None:
        """The declared part a file name names, or None."""
        match = re.search(self.part_from_filename, Path(filename).name)
        if not match:
            return None
        found = match.group("part").upper()
        return next((part for part, _ in self.parts if part.upper() == found), None)

    def title(self, part: str) -> str:
        return dict(self.parts)[part]


@dataclass(frozen=True)
class Dataset:
    """A dataset of the catalog with its vintages, oldest first.

    ``aliases`` maps column labels used by known redistributors (matched without regard to
    case) to the producer's own column names: a file is recognised and stored under the
    producer's names.
    """

    id: str
    producer: str
    title: str
    theme: str
    page_url: str
    licence: str
    signature: Signature | None
    vintages: tuple[Vintage, ...]
    note: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()
    layout: Layout | None = None

    def renaming(self, columns) -> dict[str, str]:
        """{column of the file: producer's name} for the columns of ``columns`` that are aliases."""
        if not self.aliases:
            return {}
        lookup = {label.upper(): name for label, name in self.aliases}
        return {c: lookup[str(c).strip().upper()] for c in columns if str(c).strip().upper() in lookup}

    @property
    def levels(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(level for v in self.vintages for level in v.levels))

    @property
    def vintage_years(self) -> tuple[int, ...]:
        return tuple(v.vintage for v in self.vintages)

    def latest(self) -> Vintage:
        """The most recent vintage (the one ``fetch`` takes by default)."""
        return self.vintages[-1]

    def get_vintage(self, vintage: int | None = None) -> Vintage:
        if vintage is None:
            return self.latest()
        for v in self.vintages:
            if v.vintage == int(vintage):
                return v
        known = ", ".join(str(y) for y in self.vintage_years)
        raise DatasetNotFoundError(
            f"Millésime {vintage} inconnu pour le jeu « {self.id} ». Millésimes au catalogue : {known}. "
            "Pour un autre millésime, téléchargez le fichier à la main puis `abs data import FICHIER`."
        )


@dataclass(frozen=True)
class Catalog:
    """All datasets, looked up by id."""

    datasets: tuple[Dataset, ...]
    source: str = field(default="", compare=False)

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self.datasets)

    def __len__(self) -> int:
        return len(self.datasets)

    def ids(self) -> list[str]:
        return [d.id for d in self.datasets]

    def get(self, dataset_id: str) -> Dataset:
        for d in self.datasets:
            if d.id == dataset_id:
                return d
        close = difflib.get_close_matches(str(dataset_id), self.ids(), n=3, cutoff=0.4)
        hint = (" Vouliez-vous dire : " + ", ".join(close) + " ?") if close else ""
        raise DatasetNotFoundError(
            f"Jeu de données inconnu du catalogue : « {dataset_id} ».{hint} "
            "La liste complète s'obtient avec `abs data fetch` sans argument."
        )

    def vintage(self, dataset_id: str, vintage: int | None = None) -> Vintage:
        return self.get(dataset_id).get_vintage(vintage)

    def summary_rows(self) -> list[dict]:
        """One row per dataset: what the CLI and docs/sources.md show."""
        rows = []
        for d in self.datasets:
            fetchable = [v.vintage for v in d.vintages if any(f.url for f in v.files)]
            rows.append({
                "id": d.id,
                "producteur": d.producer,
                "titre": d.title,
                "millésimes": ", ".join(str(y) for y in d.vintage_years),
                "téléchargeables": ", ".join(str(y) for y in fetchable) or "—",
                "niveaux": ", ".join(d.levels),
                "page": d.page_url,
            })
        return rows


def archive_type(url: str | None) -> str | None:
    """What kind of container a URL points to, from its path."""
    if not url:
        return None
    path = urlparse(url).path.lower()
    if path.endswith(".zip"):
        return "zip"
    if path.endswith(".gz"):
        return "gzip"
    if path.endswith(".7z"):
        return "7z"
    return None


# ---------------------------------------------------------------- validation
class _Checker:
    """Collects every problem of a catalog so the analyst fixes them in one go."""

    def __init__(self, source: str, allow_http_hosts: tuple[str, ...]):
        self.source = source
        self.allow_http_hosts = allow_http_hosts
        self.problems: list[str] = []

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where} : {what}")

    def url(self, where: str, value, *, optional: bool) -> str | None:
        if value is None:
            if not optional:
                self.fail(where, "URL manquante")
            return None
        if not isinstance(value, str):
            self.fail(where, f"URL invalide ({value!r})")
            return None
        parsed = urlparse(value)
        local_http = parsed.scheme == "http" and parsed.hostname in self.allow_http_hosts
        if parsed.scheme != "https" and not local_http:
            self.fail(where, f"l'URL doit commencer par https:// ({value})")
        if not parsed.netloc:
            self.fail(where, f"URL sans domaine ({value})")
        return value

    def raise_if_any(self) -> None:
        if self.problems:
            listing = "\n  - ".join(self.problems[:30])
            more = f"\n  … et {len(self.problems) - 30} autre(s)" if len(self.problems) > 30 else ""
            raise CatalogError(
                f"Catalogue des sources invalide ({self.source}) :\n  - {listing}{more}\n"
                "Corrigez le fichier YAML (voir l'en-tête de catalog.yaml pour le format attendu)."
            )


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def _parse_signature(raw, where: str, check: _Checker) -> Signature | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.fail(where, "« signature » doit être un dictionnaire ou null")
        return None
    codes = _as_tuple(raw.get("code_columns"))
    if not codes:
        check.fail(where, "signature sans « code_columns »")
    vintage_from = raw.get("vintage_from", "columns")
    if vintage_from not in VINTAGE_SOURCES:
        check.fail(where, f"vintage_from doit valoir {', '.join(VINTAGE_SOURCES)} (lu : {vintage_from!r})")
    pattern = raw.get("filename_pattern")
    if vintage_from == "filename":
        if not pattern:
            check.fail(where, "vintage_from: filename exige un filename_pattern")
        else:
            try:
                compiled = re.compile(pattern)
            except re.error as error:
                check.fail(where, f"filename_pattern n'est pas une expression régulière valide ({error})")
            else:
                if not {"vintage", "yy"} & set(compiled.groupindex):
                    check.fail(where, "filename_pattern doit contenir un groupe (?P<vintage>…) ou (?P<yy>…)")
    if vintage_from == "column" and not raw.get("vintage_column"):
        check.fail(where, "vintage_from: column exige un vintage_column")
    if vintage_from == "columns" and not any(_TEMPLATE.search(p) for p in _as_tuple(raw.get("required"))):
        check.fail(where, "vintage_from: columns exige au moins une colonne obligatoire avec {yy} ou {yyyy}")
    unknown = set(raw) - {"code_columns", "required", "forbidden", "vintage_from", "filename_pattern",
                          "vintage_column", "ignore_case"}
    if unknown:
        check.fail(where, f"clé(s) de signature inconnue(s) : {', '.join(sorted(unknown))}")
    return Signature(
        code_columns=codes,
        required=_as_tuple(raw.get("required")),
        forbidden=_as_tuple(raw.get("forbidden")),
        vintage_from=vintage_from,
        filename_pattern=pattern,
        vintage_column=raw.get("vintage_column"),
        ignore_case=bool(raw.get("ignore_case", False)),
    )


def _parse_file(raw, where: str, defaults: dict, check: _Checker) -> FileSpec | None:
    if not isinstance(raw, dict):
        check.fail(where, "chaque fichier doit être un dictionnaire")
        return None
    level = raw.get("level")
    if level not in LEVELS:
        check.fail(where, f"niveau « {level} » inconnu (attendu : {', '.join(LEVELS)})")
    fmt = raw.get("format")
    if not isinstance(fmt, dict):
        check.fail(where, "« format » manquant (kind, sep, decimal, encoding, skiprows, sheet)")
        fmt = {}
    else:
        kind = fmt.get("kind")
        if kind not in FILE_KINDS:
            check.fail(where, f"format.kind « {kind} » inconnu (attendu : {', '.join(FILE_KINDS)})")
        if not isinstance(fmt.get("skiprows", 0), int) or fmt.get("skiprows", 0) < 0:
            check.fail(where, "format.skiprows doit être un entier positif ou nul")
    url = check.url(f"{where} file_url", raw.get("file_url", defaults["file_url"]), optional=True)
    confirmed = raw.get("confirmed", defaults["confirmed"])
    if not isinstance(confirmed, bool):
        check.fail(where, "« confirmed » doit valoir true ou false")
        confirmed = False
    note = raw.get("note", defaults["note"])
    if not confirmed and not note:
        check.fail(where, "URL non confirmée sans « note » expliquant pourquoi")
    sha = raw.get("sha256", defaults["sha256"])
    if sha is not None and not (isinstance(sha, str) and _SHA256.match(sha)):
        check.fail(where, "sha256 doit être null ou 64 caractères hexadécimaux minuscules")
    return FileSpec(
        level=level,
        format=dict(fmt),
        member=raw.get("member"),
        url=url,
        sha256=sha,
        confirmed=bool(confirmed),
        seen_in=_as_tuple(raw.get("seen_in", defaults["seen_in"])),
        note=note,
    )


def _parse_vintage(raw, dataset_id: str, check: _Checker) -> Vintage | None:
    where = f"{dataset_id}"
    if not isinstance(raw, dict):
        check.fail(where, "chaque millésime doit être un dictionnaire")
        return None
    year = raw.get("vintage")
    if not isinstance(year, int) or not 1960 <= year <= 2100:
        check.fail(where, f"millésime invalide ({year!r}) : une année sur 4 chiffres est attendue")
        return None
    where = f"{dataset_id} {year}"
    geo = raw.get("geography_year")
    if geo is not None and (not isinstance(geo, int) or not 1960 <= geo <= 2100):
        check.fail(where, f"geography_year invalide ({geo!r})")
    page = check.url(f"{where} page_url", raw.get("page_url"), optional=False)
    file_url = check.url(f"{where} file_url", raw.get("file_url"), optional=True)
    confirmed = raw.get("confirmed")
    if not isinstance(confirmed, bool):
        check.fail(where, "« confirmed » (true/false) manquant")
        confirmed = False
    if "file_url" not in raw:
        check.fail(where, "« file_url » manquant (null si aucune URL n'est connue)")
    defaults = {
        "file_url": file_url, "confirmed": confirmed, "note": raw.get("note"),
        "sha256": raw.get("sha256"), "seen_in": raw.get("seen_in"),
    }
    raw_files = raw.get("files")
    if not isinstance(raw_files, list) or not raw_files:
        check.fail(where, "« files » manquant : au moins un fichier avec son niveau et son format")
        raw_files = []
    files = [_parse_file(f, f"{where} fichier {i + 1}", defaults, check) for i, f in enumerate(raw_files)]
    files = tuple(f for f in files if f is not None)
    levels = [f.level for f in files]
    for level in sorted({lv for lv in levels if levels.count(lv) > 1}):
        check.fail(where, f"niveau « {level} » décrit deux fois")
    return Vintage(
        dataset=dataset_id,
        vintage=year,
        geography_year=geo,
        page_url=page or "",
        file_url=file_url,
        confirmed=confirmed,
        sha256=raw.get("sha256"),
        files=files,
        seen_in=_as_tuple(raw.get("seen_in")),
        note=raw.get("note"),
    )


def _parse_aliases(raw, where: str, check: _Checker) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        check.fail(where, "« aliases » doit associer des noms de colonnes (texte) à des noms de colonnes (texte)")
        return ()
    labels = [k.upper() for k in raw]
    for dup in sorted({k for k in labels if labels.count(k) > 1}):
        check.fail(where, f"alias « {dup} » en double (la casse est ignorée)")
    return tuple(raw.items())


def _parse_layout(raw, where: str, check: _Checker) -> Layout | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.fail(where, "« layout » doit être un dictionnaire ou être absent")
        return None
    kind = raw.get("kind")
    if kind not in LAYOUTS:
        check.fail(where, f"layout.kind doit valoir {', '.join(LAYOUTS)} (lu : {kind!r})")
    pattern = raw.get("part_from_filename")
    try:
        if "part" not in re.compile(str(pattern)).groupindex:
            check.fail(where, "layout.part_from_filename doit contenir un groupe (?P<part>…)")
    except re.error as error:
        check.fail(where, f"layout.part_from_filename n'est pas une expression régulière valide ({error})")
    parts = raw.get("parts")
    if not isinstance(parts, dict) or not parts or not all(isinstance(v, str) and v for v in parts.values()):
        check.fail(where, "layout.parts doit associer chaque partie (ex. Tab23) à sa signification")
        parts = {}
    unknown = set(raw) - {"kind", "part_from_filename", "parts"}
    if unknown:
        check.fail(where, f"clé(s) de layout inconnue(s) : {', '.join(sorted(unknown))}")
    return Layout(kind=str(kind), part_from_filename=str(pattern),
                  parts=tuple((str(k), str(v)) for k, v in parts.items()))


def _parse_dataset(raw, index: int, check: _Checker) -> Dataset | None:
    if not isinstance(raw, dict):
        check.fail(f"entrée n° {index + 1}", "chaque jeu de données doit être un dictionnaire")
        return None
    dataset_id = raw.get("id")
    if not isinstance(dataset_id, str) or not _ID.match(dataset_id):
        check.fail(f"entrée n° {index + 1}", f"id invalide ({dataset_id!r}) : minuscules, chiffres et tirets")
        dataset_id = f"entrée-{index + 1}"
    for key in ("producer", "title", "theme", "page_url", "licence", "vintages"):
        if key not in raw:
            check.fail(dataset_id, f"champ obligatoire « {key} » manquant")
    if "producer" in raw and raw["producer"] not in PRODUCERS:
        check.fail(dataset_id, f"producteur « {raw['producer']} » inconnu (attendu : {', '.join(PRODUCERS)})")
    if "theme" in raw and raw["theme"] not in THEMES:
        check.fail(dataset_id, f"thème « {raw['theme']} » inconnu (attendu : {', '.join(THEMES)})")
    if "signature" not in raw:
        check.fail(dataset_id, "champ « signature » manquant (null pour un fichier non tabulaire)")
    page = check.url(f"{dataset_id} page_url", raw.get("page_url"), optional=False)
    signature = _parse_signature(raw.get("signature"), dataset_id, check)
    raw_vintages = raw.get("vintages")
    if not isinstance(raw_vintages, list) or not raw_vintages:
        check.fail(dataset_id, "aucun millésime")
        raw_vintages = []
    vintages = [_parse_vintage(v, dataset_id, check) for v in raw_vintages]
    vintages = sorted((v for v in vintages if v is not None), key=lambda v: v.vintage)
    years = [v.vintage for v in vintages]
    if len(set(years)) != len(years):
        check.fail(dataset_id, "millésime en double")
    tabular = any(f.kind in TABULAR_KINDS for v in vintages for f in v.files)
    if tabular and signature is None and not raw.get("note"):
        check.fail(dataset_id, "jeu tabulaire sans signature : ajoutez une signature ou une note qui explique pourquoi")
    return Dataset(
        id=dataset_id,
        producer=str(raw.get("producer", "")),
        title=str(raw.get("title", "")),
        theme=str(raw.get("theme", "")),
        page_url=page or "",
        licence=str(raw.get("licence", "")),
        signature=signature,
        vintages=tuple(vintages),
        note=raw.get("note"),
        aliases=_parse_aliases(raw.get("aliases"), dataset_id, check),
        layout=_parse_layout(raw.get("layout"), dataset_id, check),
    )


def parse_catalog(data, source: str = "<mémoire>", *, allow_http_hosts: tuple[str, ...] = ()) -> Catalog:
    """Validate a catalog already loaded as Python data (a dict with ``datasets``).

    ``allow_http_hosts`` lets tests point entries at a local ``http://127.0.0.1``
    server; the shipped catalog is always https.
    """
    check = _Checker(source, allow_http_hosts)
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), list):
        check.fail("racine", "le fichier doit contenir une liste « datasets: »")
        check.raise_if_any()
    datasets = [_parse_dataset(raw, i, check) for i, raw in enumerate(data["datasets"])]
    datasets = [d for d in datasets if d is not None]
    ids = [d.id for d in datasets]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        check.fail(dup, "id en double")
    check.raise_if_any()
    return Catalog(datasets=tuple(datasets), source=source)


def read_catalog(path: str | Path, *, allow_http_hosts: tuple[str, ...] = ()) -> Catalog:
    """Load and validate a catalog YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogError(f"Catalogue des sources illisible : {path} ({error}).") from error
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - the C SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (ligne {mark.line + 1}, colonne {mark.column + 1})" if mark else ""
        raise CatalogError(
            f"Catalogue des sources mal formé : {path}{where} n'est pas un YAML valide. "
            "Vérifiez l'indentation et les guillemets autour de cette ligne."
        ) from error
    return parse_catalog(data, str(path), allow_http_hosts=allow_http_hosts)


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    return read_catalog(CATALOG_PATH)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The catalog shipped with abs (cached), or the one at ``path``."""
    return _default_catalog() if path is None else read_catalog(path)


def get_dataset(dataset_id: str, catalog: Catalog | None = None) -> Dataset:
    """A dataset by id; unknown id -> DatasetNotFoundError naming the closest ids."""
    return (catalog or load_catalog()).get(dataset_id)


def get_vintage(dataset_id: str, vintage: int | None = None, catalog: Catalog | None = None) -> Vintage:
    """A vintage of a dataset (latest when ``vintage`` is None)."""
    return get_dataset(dataset_id, catalog).get_vintage(vintage)


def iter_datasets(catalog: Catalog | None = None) -> Iterator[Dataset]:
    return iter(catalog or load_catalog())
