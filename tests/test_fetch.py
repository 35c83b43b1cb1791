"""fetch_dataset against a real HTTP server on 127.0.0.1 serving archives in the official layout.

The archive is built from lines of the real FiLoSoFi 2019 commune extract
(shared data), so reading, secret cells and decimal commas are the real ones.
The shipped catalog entry is used as is; only the host is redirected with
``base_url``. Nothing is mocked: the server really sends (or truncates) bytes
(fixture ``server`` in conftest.py).
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import socket
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from abs_lib.cli import main
from abs_lib.errors import DatasetNotFoundError, DownloadError
from abs_lib.sources.catalog import Catalog, load_catalog
from abs_lib.sources.fetch import CACHE_DIR_ENV, UnconfirmedSourceWarning, fetch_dataset
from abs_lib.sources.store import Store

COMMUNES_2019 = "https://www.insee.fr/fr/statistiques/fichier/6036907/indic-struct-distrib-revenu-2019-COMMUNES_csv.zip"


@pytest.fixture
def filo_lines(shared_data) -> list[bytes]:
    """Header and 40 rows of the real FiLoSoFi 2019 commune file (BOM, CRLF, decimal commas)."""
    raw = (shared_data / "filosofi" / "FILO2019_DISP_COM_dep21.csv").read_bytes()
    lines = raw.split(b"\r\n")
    return lines[:41]


@pytest.fixture
def filo_zip(filo_lines) -> bytes:
    """An archive laid out like INSEE's COMMUNES_csv.zip: data file plus a meta file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("FILO2019_DISP_COM.csv", b"\r\n".join(filo_lines) + b"\r\n")
        archive.writestr("meta_FILO2019_DISP_COM.csv", "COD_VAR;LIB_VAR\r\nQ219;Médiane\r\n".encode("utf-8"))
    return buffer.getvalue()


def _with_sha(catalog: Catalog, dataset_id: str, vintage: int, sha256: str) -> Catalog:
    """The shipped catalog with a checksum added to one vintage's files."""
    datasets = []
    for d in catalog:
        if d.id == dataset_id:
            vintages = tuple(
                dataclasses.replace(v, files=tuple(dataclasses.replace(f, sha256=sha256) for f in v.files))
                if v.vintage == vintage else v
                for v in d.vintages
            )
            d = dataclasses.replace(d, vintages=vintages)
        datasets.append(d)
    return Catalog(datasets=tuple(datasets))


def _all_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _fetch(tmp_path, server, **kwargs):
    kwargs.setdefault("levels", ["commune"])
    return fetch_dataset(
        "filosofi-disp", 2019, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
        progress=False, base_url=server.url, **kwargs,
    )


def test_fetch_stores_the_table_once_with_codes_as_text_and_secrets_missing(tmp_path, server, filo_zip):
    server.serve(COMMUNES_2019, filo_zip)
    entries = _fetch(tmp_path, server)

    assert [(e.dataset, e.vintage, e.level, e.rows) for e in entries] == [("filosofi-disp", 2019, "commune", 40)]
    assert entries[0].origin == server.url + urlparse(COMMUNES_2019).path
    assert entries[0].member == "FILO2019_DISP_COM.csv"
    table = Store(tmp_path / "data").load("filosofi-disp", 2019, "commune")
    assert len(table) == 40
    assert pd.api.types.is_string_dtype(table["CODGEO"])
    agencourt = table.set_index("CODGEO").loc["21001"]
    assert agencourt["Q219"] == 26400.0
    assert agencourt["NBUC19"] == pytest.approx(240.1)
    assert pd.isna(agencourt["Q119"])  # secret cell: missing, never 0
    raw_copy = tmp_path / "data" / "raw" / "filosofi-disp" / "2019" / "FILO2019_DISP_COM.csv"
    assert raw_copy.read_bytes().startswith(b"\xef\xbb\xbfCODGEO;LIBGEO;NBMEN19")


def test_second_fetch_reuses_the_cache(tmp_path, server, filo_zip):
    server.serve(COMMUNES_2019, filo_zip)
    catalog = _with_sha(load_catalog(), "filosofi-disp", 2019, hashlib.sha256(filo_zip).hexdigest())
    _fetch(tmp_path, server, catalog=catalog)
    _fetch(tmp_path, server, catalog=catalog)
    assert len(server.hits) == 1


def test_cache_directory_from_environment(tmp_path, server, filo_zip, monkeypatch):
    server.serve(COMMUNES_2019, filo_zip)
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "from-env"))
    fetch_dataset("filosofi-disp", 2019, levels=["commune"], data_dir=tmp_path / "data",
                  progress=False, base_url=server.url)
    cached = [p for p in (tmp_path / "from-env").iterdir() if p.is_file()]
    assert len(cached) == 1
    assert cached[0].name.endswith("-indic-struct-distrib-revenu-2019-COMMUNES_csv.zip")
    assert not (tmp_path / "data" / "cache").exists()


def test_checksum_mismatch_is_rejected_and_leaves_nothing(tmp_path, server, filo_zip):
    server.serve(COMMUNES_2019, filo_zip)
    catalog = _with_sha(load_catalog(), "filosofi-disp", 2019, hashlib.sha256(b"autre fichier").hexdigest())
    with pytest.raises(DownloadError, match="Somme de contrôle") as caught:
        _fetch(tmp_path, server, catalog=catalog)
    assert "indic-struct-distrib-revenu-2019-COMMUNES_csv.zip" in str(caught.value)
    assert _all_files(tmp_path / "cache") == []
    assert Store(tmp_path / "data").entries() == []
    assert not (tmp_path / "data" / "processed").exists()


def test_truncated_transfer_is_rejected_and_leaves_nothing(tmp_path, server, filo_zip):
    server.serve(COMMUNES_2019, filo_zip, mode="truncated")
    with pytest.raises(DownloadError, match="tronqué"):
        _fetch(tmp_path, server)
    assert _all_files(tmp_path / "cache") == []
    assert Store(tmp_path / "data").entries() == []


def test_cut_archive_without_checksum_is_rejected_and_removed(tmp_path, server, filo_zip):
    server.serve(COMMUNES_2019, filo_zip[: len(filo_zip) - 40])
    with pytest.raises(DownloadError, match="Archive corrompue"):
        _fetch(tmp_path, server)
    assert _all_files(tmp_path / "cache") == []
    assert Store(tmp_path / "data").entries() == []


def test_server_down_gives_french_error_with_page_and_import_hint(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError) as caught:
        fetch_dataset("filosofi-disp", 2019, levels=["commune"], data_dir=tmp_path / "data",
                      cache_dir=tmp_path / "cache", progress=False, base_url=f"http://127.0.0.1:{port}")
    message = str(caught.value)
    assert "Téléchargement impossible" in message
    assert f"http://127.0.0.1:{port}/fr/statistiques/fichier/6036907/" in message
    assert "page officielle https://www.insee.fr/fr/statistiques/6036907" in message
    assert "`abs data import FICHIER`" in message
    assert _all_files(tmp_path / "cache") == []


def test_http_error_is_reported(tmp_path, server):
    with pytest.raises(DownloadError, match="HTTP 404"):
        _fetch(tmp_path, server)


def test_web_page_instead_of_file_is_refused(tmp_path, server):
    server.serve(COMMUNES_2019, b"<!DOCTYPE html><html><body>Portail captif</body></html>")
    with pytest.raises(DownloadError, match="page web"):
        _fetch(tmp_path, server)
    assert _all_files(tmp_path / "cache") == []


def test_unconfirmed_source_warns_before_downloading(tmp_path, server, filo_lines):
    url = load_catalog().vintage("filosofi-disp", 2018).files[0].url
    header = filo_lines[0].replace(b"19", b"18")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("FILO2018_DISP_COM.csv", b"\r\n".join([header, *filo_lines[1:3]]) + b"\r\n")
    server.serve(url, buffer.getvalue())
    with pytest.warns(UnconfirmedSourceWarning, match="non confirmée"):
        entries = fetch_dataset("filosofi-disp", 2018, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                                progress=False, base_url=server.url)
    assert entries[0].rows == 2


def test_geojson_contours_keep_codes_and_geometry(tmp_path, server, shared_data):
    collection = json.loads((shared_data / "geo" / "communes_dep21.geojson").read_text(encoding="utf-8"))
    collection["features"] = collection["features"][:3]
    url = load_catalog().vintage("contours-communes", 2024).files[0].url
    server.serve(url, gzip.compress(json.dumps(collection).encode("utf-8")))
    fetch_dataset("contours-communes", 2024, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                  progress=False, base_url=server.url)
    table = Store(tmp_path / "data").load("contours-communes", 2024, "commune")
    assert list(table["INSEE_COM"]) == [f["properties"]["INSEE_COM"] for f in collection["features"]]
    assert pd.api.types.is_string_dtype(table["INSEE_COM"])
    assert json.loads(table["geometry"].iloc[0])["type"] == "MultiPolygon"


def test_no_known_url_sends_to_the_official_page(tmp_path):
    with pytest.raises(DownloadError, match="abs data import FICHIER") as caught:
        fetch_dataset("caf-iris", 2019, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", progress=False)
    assert "https://data.caf.fr" in str(caught.value)


def test_seven_zip_archive_is_not_fetched(tmp_path, server):
    with pytest.raises(DownloadError, match="7z"):
        fetch_dataset("admin-express-cog-carto", 2023, data_dir=tmp_path / "data", progress=False,
                      base_url=server.url)
    assert server.hits == []


def test_unknown_level_and_vintage(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="Niveaux disponibles"):
        fetch_dataset("filosofi-iris", 2019, levels=["epci"], data_dir=tmp_path, progress=False)
    with pytest.raises(DatasetNotFoundError, match="Millésimes au catalogue"):
        fetch_dataset("filosofi-iris", 1999, data_dir=tmp_path, progress=False)


def test_cli_without_dataset_lists_the_catalog(capsys):
    assert main(["data", "fetch"]) == 0
    out = capsys.readouterr().out
    assert "filosofi-disp" in out and "rp-population-iris" in out


def test_cli_unknown_dataset_is_a_french_error(capsys):
    assert main(["data", "fetch", "filosofi-dsip", "--data-dir", "/nonexistent"]) == 1
    assert "Vouliez-vous dire : filosofi-disp" in capsys.readouterr().err
