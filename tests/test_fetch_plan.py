"""`abs data fetch --pour`: the plan of a study (pure) and carrying it out.

The plan is checked against the shipped catalog and registry. Downloads go to
a real HTTP server on 127.0.0.1 (conftest ``server``) that serves an archive in
the official layout built from lines of the real Comparateur extract; offline
runs must leave the data folder byte-for-byte as it was.
"""

from __future__ import annotations

import dataclasses
import io
import socket
import time
import zipfile
from pathlib import Path

import pytest

from abs_lib.cli import main
from abs_lib.errors import AbsError
from abs_lib.indicators.registry import load_registry
from abs_lib.sources.acquire import OFFLINE_ENV, OfflineError, carry_out, plan_for, probe_hosts
from abs_lib.sources.catalog import Catalog, load_catalog
from abs_lib.sources.fetch import CACHE_DIR_ENV
from abs_lib.sources.plan import (
    FAILED, FETCHABLE, OBTAINED, PRESENT, UNAVAILABLE, PlanTerritory, baseline_vintage, build_plan,
    check_study, datasets_used, plan_territory,
)
from abs_lib.sources.store import Store
from abs_lib.territories import find_territory

COMPARATEUR = "https://www.insee.fr/fr/statistiques/fichier/2521169/base_cc_comparateur_csv.zip"
SUPRA_2021 = "https://www.insee.fr/fr/statistiques/fichier/7756855/indic-struct-distrib-revenu-2021-SUPRA_XLSX.zip"

EPCI = PlanTerritory(
    level="epci", code="200000925", label="CC de la Plaine Dijonnaise (EPCI 200000925)", n_communes=22,
    references=(("departement", "21", "Côte-d'Or (21)"), ("region", "27", "Bourgogne-Franche-Comté"),
                ("metropole", "METRO", "France métropolitaine")),
)
DEPARTEMENT = PlanTerritory(
    level="departement", code="21", label="Côte-d'Or (département 21)", n_communes=698,
    references=(("region", "27", "Bourgogne-Franche-Comté"), ("metropole", "METRO", "France métropolitaine")),
)


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch):
    for name in (OFFLINE_ENV, CACHE_DIR_ENV, "ABS_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


def _plan(place=EPCI, **kwargs):
    kwargs.setdefault("catalog", load_catalog())
    kwargs.setdefault("registry", load_registry())
    return build_plan(place, **kwargs)


def _rows(plan, dataset):
    return [f for f in plan.files if f.dataset == dataset]


# ------------------------------------------------------------------ the plan (pure)
def test_diagnostic_takes_the_latest_vintage_of_every_dataset_the_registry_reads():
    plan = _plan()
    catalog, registry = load_catalog(), load_registry()
    used = datasets_used(registry)
    planned = {f.dataset for f in plan.files}
    for dataset in used:
        if registry.datasets[dataset].producer == "local":
            assert dataset not in planned
            assert any(note.startswith(dataset) for note in plan.notes)
        elif dataset in catalog.ids():
            assert {f.vintage for f in _rows(plan, dataset)} == {catalog.get(dataset).latest().vintage}, dataset
        else:  # e.g. rp-logement-age-pr: said unavailable, never silently dropped
            (row,) = _rows(plan, dataset)
            assert row.status == UNAVAILABLE and "absent du catalogue" in row.reason
    assert plan.study == "diagnostic" and plan.since is None


def test_filosofi_needs_commune_epci_departement_region_and_metropole_files():
    plan = _plan()
    rows = {f.level: f for f in _rows(plan, "filosofi-disp")}
    assert list(rows) == ["commune", "epci", "departement", "region", "metropole"]
    assert all(f.vintage == 2021 and f.status == FETCHABLE for f in rows.values())
    assert "Côte-d'Or (21)" in rows["departement"].why and "Plaine Dijonnaise" in rows["epci"].why
    # one national SUPRA archive holds the four upper levels: downloaded once
    assert [f.level for f in plan.downloads()[SUPRA_2021]] == ["epci", "departement", "region", "metropole"]
    # a département's study does not need the EPCI file
    assert "epci" not in {f.level for f in _rows(_plan(DEPARTEMENT), "filosofi-disp")}


def test_commune_and_iris_bases_are_national_files_summed_over_communes():
    plan = _plan()
    (iris,) = _rows(plan, "rp-population-iris")
    assert (iris.vintage, iris.level, iris.status) == (2022, "iris", FETCHABLE)
    assert iris.url.endswith("base-ic-evol-struct-pop-2022_csv.zip")
    assert "nationale" in iris.why and "population" in iris.why
    urls = [f.url for f in plan.to_download]
    assert len(plan.downloads()) == len(set(urls))


def test_actualisation_adds_the_vintage_nearest_the_baseline_without_passing_it():
    plan = _plan(study="actualisation", since=2016)
    assert {f.vintage for f in _rows(plan, "rp-population-iris")} == {2016, 2022}
    assert {f.vintage for f in _rows(_plan(study="actualisation", since=2017), "rp-population-iris")} == {2017, 2022}
    assert {f.vintage for f in _rows(_plan(study="actualisation", since=2015), "rp-population-iris")} == {2013, 2022}
    filo = {(f.vintage, f.level): f for f in _rows(plan, "filosofi-disp")}
    assert {v for v, _ in filo} == {2016, 2021}
    assert filo[(2016, "epci")].status == UNAVAILABLE and "aucune adresse" in filo[(2016, "epci")].reason
    assert "point de départ" in filo[(2016, "commune")].why
    # the Comparateur has no vintage up to 2016: said so, with its page
    missing = [f for f in _rows(plan, "insee-comparateur") if f.vintage is None]
    assert len(missing) == 1 and "aucun millésime en 2016 ou avant" in missing[0].reason
    assert missing[0].page_url == "https://www.insee.fr/fr/statistiques/2521169"
    assert baseline_vintage(load_catalog().get("rp-population-iris"), 2012).vintage == 2011


def test_status_known_address_unconfirmed_address_and_already_there():
    plan = _plan(present=[("insee-comparateur", 2022, "commune")])
    (comparateur,) = _rows(plan, "insee-comparateur")
    assert comparateur.status == PRESENT
    (familles,) = _rows(plan, "rp-familles-commune")  # 2022: URL seen in one repository only
    assert familles.status == UNAVAILABLE and familles.url
    assert "non confirmée" in familles.reason
    assert "abs data fetch rp-familles-commune --vintage 2022" in familles.reason
    assert familles.page_url == "https://www.insee.fr/fr/statistiques/8582452"
    (caf,) = _rows(plan, "caf-iris")
    assert caf.status == UNAVAILABLE and caf.url is None and caf.page_url == "https://data.caf.fr"


def test_a_format_fetch_cannot_open_is_unavailable():
    catalog = load_catalog()
    datasets = []
    for d in catalog:
        if d.id == "insee-comparateur":
            edition = d.latest()
            files = tuple(dataclasses.replace(f, url=f.url.replace(".zip", ".7z")) for f in edition.files)
            d = dataclasses.replace(d, vintages=(dataclasses.replace(edition, files=files),))
        datasets.append(d)
    plan = _plan(catalog=Catalog(datasets=tuple(datasets)))
    (row,) = _rows(plan, "insee-comparateur")
    assert row.status == UNAVAILABLE and "7z" in row.reason


def test_study_and_baseline_are_checked():
    assert check_study(None, None) == ("diagnostic", None)
    assert check_study(None, 2016) == ("actualisation", 2016)
    with pytest.raises(AbsError, match="--depuis ANNÉE"):
        check_study("actualisation", None)
    with pytest.raises(AbsError, match="ne sert qu'à l'étude actualisation"):
        check_study("diagnostic", 2016)
    with pytest.raises(AbsError, match="Étude inconnue"):
        check_study("explorer", None)


def test_references_come_from_the_geography():
    place = plan_territory(find_territory("200000925"))
    assert (place.level, place.code, place.n_communes) == ("epci", "200000925", place.n_communes)
    assert [(lv, code) for lv, code, _ in place.references] == [("departement", "21"), ("region", "27"),
                                                                 ("metropole", "METRO")]
    assert place.levels == ("iris", "commune", "epci", "departement", "region", "metropole")


# ------------------------------------------------------------------ offline
def _snapshot(folder: Path) -> dict:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes()) for p in folder.rglob("*")}


@pytest.fixture
def used_data_dir(tmp_path):
    """A data folder that already holds a table (and an unrelated file)."""
    root = tmp_path / "data"
    import pandas as pd

    frame = pd.DataFrame({"CODGEO": ["21001"], "P22_POP": [1.0]})
    source = tmp_path / "source.csv"
    source.write_text("CODGEO;P22_POP\n21001;1\n", encoding="utf-8")
    Store(root).save(frame, dataset="rp-population-commune", vintage=2022, level="commune",
                     origin="test", source_file=source)
    (root / "notes.txt").write_text("à garder", encoding="utf-8")
    return root


ACCEPTANCE = ["data", "fetch", "--pour", "200000925", "--etude", "actualisation", "--depuis", "2016"]


def test_offline_lists_every_file_with_its_url_and_writes_nothing(used_data_dir, monkeypatch, capsys):
    monkeypatch.setenv(OFFLINE_ENV, "1")
    before = _snapshot(used_data_dir)
    assert main([*ACCEPTANCE, "--data-dir", str(used_data_dir)]) == 1
    out, err = capsys.readouterr()
    assert _snapshot(used_data_dir) == before
    plan = plan_for("200000925", study="actualisation", since=2016, data_dir=used_data_dir)
    assert plan.to_download
    for url, files in plan.downloads().items():
        assert f"  {url}\n" in out
        for f in files:
            assert f.name in out
    for f in plan.having(UNAVAILABLE):
        assert f.name in out
    assert "Hors ligne" in out and "abs data import DOSSIER" in out
    assert "Déjà là (1)" in out and "rp-population-commune 2022, niveau commune" in out
    assert "Erreur : Hors ligne" in err and "rien n'a été écrit" in err


def test_offline_detected_by_a_failed_probe_leaves_no_folder(tmp_path, capsys):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = tmp_path / "absent"
    started = time.monotonic()
    code = main([*ACCEPTANCE, "--data-dir", str(root), "--miroir", f"http://127.0.0.1:{port}"])
    assert code == 1 and time.monotonic() - started < 30
    assert not root.exists() and list(tmp_path.iterdir()) == []
    out, err = capsys.readouterr()
    assert f"(127.0.0.1:{port})" in err and "aucun serveur n'a répondu" in err
    assert "https://www.insee.fr/fr/statistiques/fichier/8647014/base-ic-evol-struct-pop-2022_csv.zip" in out


def test_offline_error_from_the_library(tmp_path, monkeypatch):
    monkeypatch.setenv(OFFLINE_ENV, "oui")
    plan = plan_for("200000925", data_dir=tmp_path / "data")
    with pytest.raises(OfflineError) as caught:
        carry_out(plan, data_dir=tmp_path / "data", progress=False)
    assert caught.value.plan == plan and "https://www.insee.fr" in caught.value.hosts
    assert not (tmp_path / "data").exists()


def test_probe_tells_a_live_server_from_a_closed_port(server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    assert probe_hosts([server.url, dead], timeout=2) == {server.url: True, dead: False}


# ------------------------------------------------------------------ downloads
@pytest.fixture
def comparateur_zip(shared_data) -> bytes:
    """The Comparateur archive as INSEE lays it out, with the header and 40 real rows of dep 21."""
    lines = (shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv").read_bytes().splitlines()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("base_cc_comparateur.csv", b"\n".join(lines[:41]) + b"\n")
        archive.writestr("meta_base_cc_comparateur.csv", "COD_VAR;LIB_VAR\nP22_POP;Population\n".encode("utf-8"))
    return buffer.getvalue()


def _only(catalog: Catalog, *ids: str) -> Catalog:
    return Catalog(datasets=tuple(d for d in catalog if d.id in ids))


def test_plan_downloads_stores_then_finds_the_file_already_there(tmp_path, server, comparateur_zip):
    server.serve(COMPARATEUR, comparateur_zip)
    catalog = _only(load_catalog(), "insee-comparateur")
    root = tmp_path / "data"
    plan = plan_for("200000925", data_dir=root, catalog=catalog)
    assert [f.key for f in plan.to_download] == [("insee-comparateur", 2022, "commune")]
    done = carry_out(plan, data_dir=root, progress=False, base_url=server.url, catalog=catalog)
    (obtained,) = done.having(OBTAINED)
    assert obtained.key == ("insee-comparateur", 2022, "commune") and obtained.rows == 40
    table = Store(root).load("insee-comparateur", 2022, "commune")
    assert len(table) == 40 and table["CODGEO"].str.len().eq(5).all()
    assert not done.having(FAILED)
    again = plan_for("200000925", data_dir=root, catalog=catalog)
    assert [f.key for f in again.having(PRESENT)] == [("insee-comparateur", 2022, "commune")]
    assert carry_out(again, data_dir=root, progress=False, base_url=server.url, catalog=catalog) == again
    assert len(server.hits) == 1


def test_cli_downloads_what_it_can_and_says_what_is_unavailable(tmp_path, server, comparateur_zip, capsys):
    server.serve(COMPARATEUR, comparateur_zip)
    root = tmp_path / "data"
    args = ["data", "fetch", "--pour", "200000925", "--data-dir", str(root), "--miroir", server.url,
            "--sans-progression"]
    assert main(args) == 1  # the other national files are 404 on this server
    out = capsys.readouterr().out
    assert "Obtenus (1) :\n  insee-comparateur 2022, niveau commune : 40 lignes" in out
    assert "Indisponibles" in out and "HTTP 404" in out and "abs data import DOSSIER" in out
    assert "rp-familles-commune 2022, niveau commune : adresse non confirmée" in out
    assert "page : https://www.insee.fr/fr/statistiques/8582452" in out
    assert Store(root).has("insee-comparateur", 2022, "commune")
    assert [e.dataset for e in Store(root).entries()] == ["insee-comparateur"]

    assert main(args) == 1
    out = capsys.readouterr().out
    assert "Déjà là (1) :\n  insee-comparateur 2022, niveau commune" in out
    assert server.hits.count("/fr/statistiques/fichier/2521169/base_cc_comparateur_csv.zip") == 1


def test_cli_refuses_a_dataset_with_pour_and_a_fictional_territory(tmp_path, capsys):
    assert main(["data", "fetch", "filosofi-disp", "--pour", "200000925", "--data-dir", str(tmp_path)]) == 1
    assert "soit un JEU" in capsys.readouterr().err
    assert main(["data", "fetch", "--pour", "000000001", "--data-dir", str(tmp_path)]) == 1
    assert "fictif" in capsys.readouterr().err
    assert main(["data", "fetch", "--depuis", "2016", "--data-dir", str(tmp_path)]) == 1
    assert "--pour TERRITOIRE" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
