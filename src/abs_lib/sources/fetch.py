"""Download an official file listed in the catalog, once, into the local store.

Why pooch: it streams to a temporary file, checks the sha256 before moving
the file into the cache and deletes it on mismatch, and it reuses the cache on
the next call. We add what an analyst needs on top: French errors that name
the file and the official page, the manual fallback (`abs data import`), a
refusal of truncated or corrupt archives, and a store left untouched on any
failure.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import sys
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

import pandas as pd
import pooch
import requests

from abs_lib import __version__
from abs_lib.config import CACHE_DIR_ENV  # defined there for the CLI's help; imported from here too
from abs_lib.config import data_dir as resolve_data_dir
from abs_lib.errors import DatasetNotFoundError, DownloadError, SourceFileError
from abs_lib.sources import fd_logement
from abs_lib.sources.catalog import Catalog, Dataset, FileSpec, Vintage, load_catalog
from abs_lib.sources.readers import FileFormat, is_code_column, read_contours, read_table
from abs_lib.sources.store import StoredEntry, Store

USER_AGENT = f"abs/{__version__} (outil d'analyse des besoins sociaux)"
TIMEOUT_SECONDS = 120
FETCHABLE_KINDS = ("csv", "xlsx", "xls", "parquet", "geojson")
_DATA_SUFFIXES = (".csv", ".txt", ".xls", ".xlsx", ".parquet", ".geojson", ".json")
_AUXILIARY_PREFIXES = ("meta", "varmod", "doc", "lisez", "readme")


class UnconfirmedSourceWarning(UserWarning):
    """The URL about to be used was not seen on an official page (catalog: confirmed: false)."""


def cache_directory(data_root: Path, explicit: str | os.PathLike | None = None) -> Path:
    """Where downloads are kept: argument, then ``ABS_CACHE_DIR``, then ``<data_dir>/cache``."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return data_root / "cache"


def fetch_dataset(
    dataset_id: str,
    vintage: int | None = None,
    levels: list[str] | tuple[str, ...] | None = None,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
    *,
    catalog: Catalog | None = None,
    base_url: str | None = None,
) -> list[StoredEntry]:
    """Download a dataset vintage (latest by default) and store each level as parquet.

    ``catalog`` replaces the shipped catalog and ``base_url`` replaces the
    scheme and host of every URL (a mirror, or a local test server). Raises
    ``DownloadError`` when the file cannot be had or fails its checksum; in
    that case nothing is added to the store and no partial file stays in the
    cache.
    """
    catalog = catalog or load_catalog()
    dataset = catalog.get(dataset_id)
    edition = dataset.get_vintage(vintage)
    files = _select_files(dataset, edition, levels)
    for spec in files:
        _check_fetchable(dataset, edition, spec)

    root = resolve_data_dir(data_dir)
    cache = cache_directory(root, cache_dir)
    cache.mkdir(parents=True, exist_ok=True)

    if fd_logement.is_detail_dataset(dataset.id):
        return _fetch_detail(dataset, edition, files, root, cache, progress, base_url)

    tables = []
    for url in dict.fromkeys(spec.url for spec in files):
        group = [spec for spec in files if spec.url == url]
        head = group[0]
        if not head.confirmed:
            warnings.warn(_unconfirmed_message(dataset, edition, head), UnconfirmedSourceWarning, stacklevel=2)
        effective = _rebase(url, base_url)
        local = _download(effective, head.sha256, cache, progress, dataset, edition, head.kind)
        for spec in group:
            path, member = _unpack(local, spec, dataset, edition, effective)
            tables.append((spec, path, member, _read(path, spec, dataset.id), effective))

    store = Store(root)
    saved: list[StoredEntry] = []
    try:
        for spec, path, member, frame, origin in tables:
            saved.append(store.save(
                frame, dataset=dataset.id, vintage=edition.vintage, level=spec.level,
                origin=origin, source_file=path, member=member,
            ))
    except BaseException:
        _forget(root, saved)
        raise
    return saved


def _fetch_detail(dataset: Dataset, edition: Vintage, files: list[FileSpec], root: Path, cache: Path,
                  progress: bool, base_url: str | None) -> list[StoredEntry]:
    """The census dwellings detail file: downloaded once into the cache, then streamed
    straight from the archive into its commune table (never unzipped, never loaded)."""
    spec = files[0]
    if not spec.confirmed:
        warnings.warn(_unconfirmed_message(dataset, edition, spec), UnconfirmedSourceWarning, stacklevel=3)
    effective = _rebase(spec.url, base_url)
    local = _download(effective, spec.sha256, cache, progress, dataset, edition, spec.kind)
    try:
        return [fd_logement.import_detail_file(local, Store(root), vintage=edition.vintage, progress=progress,
                                               origin=effective)]
    except SourceFileError:
        _discard(local)
        raise


# ------------------------------------------------------------------ selection
def _select_files(dataset: Dataset, edition: Vintage, levels) -> list[FileSpec]:
    if not levels:
        return list(edition.files)
    wanted = list(dict.fromkeys(levels))
    unknown = [level for level in wanted if level not in edition.levels]
    if unknown:
        raise DatasetNotFoundError(
            f"Niveau(x) {', '.join(unknown)} absent(s) du jeu « {dataset.id} » {edition.vintage}. "
            f"Niveaux disponibles : {', '.join(edition.levels)}."
        )
    return [spec for spec in edition.files if spec.level in wanted]


def _manual_hint(dataset: Dataset, edition: Vintage) -> str:
    """The way out when a download cannot be done: the analyst fetches the file and imports it."""
    return (
        f"téléchargez le fichier à la main depuis la page officielle {edition.page_url or dataset.page_url} "
        "puis lancez `abs data import FICHIER`."
    )


def _why(note: str | None) -> str:
    return f" ({note.rstrip('. ')})" if note else ""


def _check_fetchable(dataset: Dataset, edition: Vintage, spec: FileSpec) -> None:
    label = f"« {dataset.id} » {edition.vintage} (niveau {spec.level})"
    if not spec.url:
        raise DownloadError(
            f"Aucune adresse de téléchargement connue pour {label}{_why(spec.note)}. "
            f"Solution : {_manual_hint(dataset, edition)}"
        )
    if spec.archive == "7z" or spec.kind not in FETCHABLE_KINDS:
        raise DownloadError(
            f"Le fichier de {label} ({Path(urlparse(spec.url).path).name}, format {spec.kind}) ne peut pas être "
            f"ouvert par `abs data fetch` (archive 7z ou format cartographique). Adresse : {spec.url}. "
            f"Solution : {_manual_hint(dataset, edition)}"
        )


def _unconfirmed_message(dataset: Dataset, edition: Vintage, spec: FileSpec) -> str:
    return (
        f"source non confirmée pour « {dataset.id} » {edition.vintage} : l'adresse {spec.url} n'a pas été vue "
        f"sur une page officielle{_why(spec.note)}. Vérifiez le fichier obtenu ; en cas de doute, "
        + _manual_hint(dataset, edition)
    )


# ------------------------------------------------------------------ download
def _rebase(url: str, base_url: str | None) -> str:
    """Keep the path and query of ``url`` but take scheme and host from ``base_url``."""
    if not base_url:
        return url
    parsed = urlparse(url)
    query = f"?{parsed.query}" if parsed.query else ""
    return base_url.rstrip("/") + parsed.path + query


def _cache_name(url: str, kind: str) -> str:
    """A cache file name that keeps the original name and cannot collide between URLs."""
    name = PurePosixPath(urlparse(url).path).name or "telechargement"
    if "." not in name:
        name = f"{name}.{kind}"
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:10]
    return f"{digest}-{name}"


@contextlib.contextmanager
def _quiet_pooch():
    """pooch logs in English; abs speaks French, so silence its INFO lines."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")
    try:
        yield
    finally:
        logger.setLevel(level)


def _download(url: str, sha256: str | None, cache: Path, progress: bool, dataset: Dataset,
              edition: Vintage, kind: str) -> Path:
    fname = _cache_name(url, kind)
    target = cache / fname
    shown = PurePosixPath(urlparse(url).path).name or url
    if progress and not target.exists():
        print(f"Téléchargement de {shown} ({dataset.id} {edition.vintage}) depuis {url}", file=sys.stderr)
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=TIMEOUT_SECONDS,
                                      headers={"User-Agent": USER_AGENT})
    try:
        with _quiet_pooch():
            local = pooch.retrieve(url, known_hash=f"sha256:{sha256}" if sha256 else None, fname=fname,
                                   path=cache, downloader=downloader, progressbar=progress)
    except requests.exceptions.RequestException as error:
        _discard(target)
        raise DownloadError(
            f"Téléchargement impossible de {shown} ({dataset.id} {edition.vintage}) depuis {url} : "
            f"{_describe(error)}. Hors ligne ou derrière un proxy : {_manual_hint(dataset, edition)}"
        ) from error
    except ValueError as error:  # pooch: hash mismatch (the download is already deleted)
        _discard(target)
        raise DownloadError(
            f"Somme de contrôle incorrecte pour {shown} ({dataset.id} {edition.vintage}, {url}) : le fichier "
            f"reçu ne correspond pas au sha256 attendu ({sha256}). Fichier corrompu, tronqué ou modifié par le "
            f"producteur : rien n'a été enregistré. Réessayez plus tard ou {_manual_hint(dataset, edition)}"
        ) from error
    local = Path(local)
    _refuse_web_page(local, shown, url, dataset, edition)
    return local


def _describe(error: Exception) -> str:
    if isinstance(error, requests.exceptions.HTTPError) and error.response is not None:
        return f"le serveur a répondu HTTP {error.response.status_code}"
    if isinstance(error, requests.exceptions.Timeout):
        return "délai dépassé"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "téléchargement interrompu (fichier tronqué)"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "connexion impossible (hors ligne, proxy ou serveur indisponible)"
    return f"erreur réseau ({type(error).__name__})"


def _refuse_web_page(path: Path, shown: str, url: str, dataset: Dataset, edition: Vintage) -> None:
    """A proxy or an error page answers 200 with HTML: that is not the data file."""
    with path.open("rb") as handle:
        head = handle.read(512).lstrip().lower()
    if head.startswith(b"<!doctype html") or head.startswith(b"<html"):
        _discard(path)
        raise DownloadError(
            f"Le serveur a renvoyé une page web au lieu du fichier {shown} ({url}) : portail captif, proxy ou "
            f"page d'erreur. Solution : {_manual_hint(dataset, edition)}"
        )


def _discard(path: Path) -> None:
    """Remove a cached download and anything unpacked from it."""
    path = Path(path)
    for leftover in (path, Path(f"{path}.unzip"), Path(f"{path}.decomp")):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        elif leftover.exists():
            leftover.unlink()


# -------------------------------------------------------------------- unpack
def _unpack(local: Path, spec: FileSpec, dataset: Dataset, edition: Vintage, url: str) -> tuple[Path, str | None]:
    archive = spec.archive
    if archive == "zip":
        return _unzip(local, spec, dataset, edition, url)
    if archive == "gzip":
        try:
            with gzip.open(local, "rb") as handle:
                while handle.read(1 << 20):
                    pass
        except (OSError, EOFError) as error:
            _discard(local)
            raise _corrupt(local, url, dataset, edition, error) from error
        name = local.name[: -len(".gz")] if local.name.endswith(".gz") else f"{local.name}.decomp"
        unpacked = pooch.Decompress(method="gzip", name=name)(str(local), "fetch", None)
        return Path(unpacked), None
    return local, None


def _corrupt(local: Path, url: str, dataset: Dataset, edition: Vintage, error: Exception) -> DownloadError:
    return DownloadError(
        f"Archive corrompue ou tronquée : {PurePosixPath(urlparse(url).path).name} ({url}) ne s'ouvre pas "
        f"({error}). Le fichier a été supprimé du cache ; somme de contrôle ou contenu invalide, rien n'a été "
        f"enregistré. Réessayez ou {_manual_hint(dataset, edition)}"
    )


def _unzip(local: Path, spec: FileSpec, dataset: Dataset, edition: Vintage, url: str) -> tuple[Path, str]:
    try:
        with zipfile.ZipFile(local) as archive:
            bad = archive.testzip()
            names = archive.namelist()
        if bad is not None:
            raise zipfile.BadZipFile(f"membre {bad} endommagé")
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        _discard(local)
        raise _corrupt(local, url, dataset, edition, error) from error
    member = _resolve_member(names, spec.member, local, dataset, edition)
    paths = pooch.Unzip(members=[member])(str(local), "fetch", None)
    wanted = Path(f"{local}.unzip") / member
    for path in map(Path, paths):
        if path == wanted:
            return path, member
    return wanted, member


def _resolve_member(names: list[str], wanted: str | None, local: Path, dataset: Dataset, edition: Vintage) -> str:
    """Find the archive member: exact name, same name ignoring case, or the only data file."""
    files = [n for n in names if not n.endswith("/")]
    if wanted:
        if wanted in files:
            return wanted
        for name in files:
            if PurePosixPath(name).name.lower() == PurePosixPath(wanted).name.lower():
                return name
        raise SourceFileError(
            f"Le fichier {wanted} attendu dans l'archive {local.name} ({dataset.id} {edition.vintage}) est absent. "
            f"Contenu de l'archive : {', '.join(files) or 'vide'}. Le producteur a peut-être changé ses noms de "
            "fichiers : importez le bon fichier avec `abs data import FICHIER` et signalez-le."
        )
    data = [
        n for n in files
        if PurePosixPath(n).suffix.lower() in _DATA_SUFFIXES
        and not PurePosixPath(n).name.lower().startswith(_AUXILIARY_PREFIXES)
    ]
    if len(data) == 1:
        return data[0]
    raise SourceFileError(
        f"L'archive {local.name} ({dataset.id} {edition.vintage}) contient {len(data)} fichiers de données "
        f"({', '.join(data) or 'aucun'}) et le catalogue ne dit pas lequel prendre. "
        "Importez le bon fichier avec `abs data import FICHIER`."
    )


# ---------------------------------------------------------------------- read
def _read(path: Path, spec: FileSpec, dataset_id: str) -> pd.DataFrame:
    if spec.kind == "parquet":
        frame = pd.read_parquet(path)
        for column in frame.columns:
            if is_code_column(column):
                frame[column] = frame[column].astype("string")
        return frame
    if spec.kind == "geojson":
        return read_contours(path)
    return read_table(path, FileFormat.from_mapping(spec.format), dataset=dataset_id)


def _forget(root: Path, entries: list[StoredEntry]) -> None:
    """Undo the tables saved by an interrupted fetch, so the store stays consistent."""
    store = Store(root)
    for entry in entries:
        store.forget(entry)
