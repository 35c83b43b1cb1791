"""Batch regeneration without a cluster: territory selection, inputs of a report, prepare hook, index page.

The end-to-end runs on Dask (LocalCluster, separate scheduler and workers) are in
test_batch_dask.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from abs_lib.reports.keptkernel import LIBRARY_MODULES, notebook_imports
from abs_lib.batch.index import write_index
from abs_lib.batch.inputs import data_fingerprint, report_inputs, why_regenerate, write_inputs
from abs_lib.batch.prepare import register_prepare_hook, resolve_prepare_hook, run_prepare
from abs_lib.batch.selection import read_codes_file, select_territories
from abs_lib.demo import demo_geography
from abs_lib.batch.worker import FAILURE, SUCCESS, UNCHANGED, ReportOutcome
from abs_lib.cli import main
from abs_lib.errors import BatchError, TerritoryNotFoundError
from abs_lib.reports.studies import Study
from abs_lib.sources.store import Store
from abs_lib.territories import load_geography

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks" / "batch_study.ipynb"


# ---------------------------------------------------------------- selection


def test_departement_gives_every_epci_with_a_commune_there():
    geography = load_geography()
    selection = select_territories(departement="21", geography=geography)
    codes = [t.code for t in selection.territories]
    communes = geography.communes
    expected = sorted(communes.loc[communes["departement"] == "21", "epci"].dropna().unique())
    assert codes == expected and "200000925" in codes
    for territory in selection.territories:
        assert territory.level == "epci"
        assert "21" in territory.departements
        assert territory == geography.territory(territory.code, level="epci")  # bulk build = one by one
    assert "Côte-d'Or" in selection.description


def test_all_epci_and_communes_of_an_epci():
    geography = load_geography()
    every = select_territories(all_epci=True, geography=geography)
    assert len(every.territories) == len(geography.epci) > 1000
    members = select_territories(communes_of="200000925", geography=geography)
    epci = geography.territory("200000925", level="epci")
    assert [t.code for t in members.territories] == list(epci.communes)
    assert members.territories[3] == geography.territory(epci.communes[3], level="commune")
    assert all(t.epci == "200000925" for t in members.territories)


def test_list_file_codes_stay_text_comments_and_duplicates(tmp_path):
    listing = tmp_path / "liste.txt"
    listing.write_text("\ufeff# EPCI du test\n200000925\n\n01001   # commune de l'Ain\n21\n01001\n", encoding="utf-8")
    assert read_codes_file(listing) == [(2, "200000925"), (4, "01001"), (5, "21"), (6, "01001")]
    selection = select_territories(codes=read_codes_file(listing))
    assert [(t.level, t.code) for t in selection.territories] == [
        ("epci", "200000925"), ("commune", "01001"), ("departement", "21")]


def test_unknown_codes_are_all_listed_with_suggestions_before_anything_runs(tmp_path):
    listing = tmp_path / "liste.txt"
    listing.write_text("21231\n21999\n20000092\nabc\n", encoding="utf-8")
    with pytest.raises(TerritoryNotFoundError) as error:
        select_territories(codes=read_codes_file(listing))
    message = str(error.value)
    assert "21999 (ligne 2)" in message and "20000092 (ligne 3)" in message and "abc (ligne 4)" in message
    assert "21231" not in message.split("Vouliez-vous dire")[0]
    assert "Vouliez-vous dire" in message and "pour 21999 (ligne 2) :" in message
    with pytest.raises(TerritoryNotFoundError, match="Territoire introuvable"):
        select_territories(departement="2l")
    named = select_territories(departement="cote d'or")  # a name works too
    assert [t.code for t in named.territories] == [t.code for t in select_territories(departement="21").territories]
    with pytest.raises(BatchError, match="un seul critère"):
        select_territories(departement="21", all_epci=True)


def test_demo_selection_is_fictional():
    selection = select_territories(all_epci=True, geography=demo_geography())
    assert [t.code for t in selection.territories] == ["000000001", "000000002", "000000003", "000000004"]
    assert selection.fictional and all(t.fictional for t in selection.territories)
    communes = select_territories(communes_of="000000001", geography=demo_geography()).territories
    assert len(communes) == 10 and communes[0].name == "Fictiville"


def test_empty_list_file_is_refused(tmp_path):
    listing = tmp_path / "vide.txt"
    listing.write_text("# rien\n\n", encoding="utf-8")
    with pytest.raises(BatchError, match="aucun code"):
        read_codes_file(listing)


# ---------------------------------------------------------------- inputs of a report


def _store_with(tmp_path: Path, value: float) -> Store:
    source = tmp_path / "pop.csv"
    source.write_text(f"CODGEO;P_POP\n00001;{value}\n", encoding="utf-8")
    store = Store(tmp_path / "data")
    store.save(pd.DataFrame({"CODGEO": ["00001"], "P_POP": [value]}), dataset="rp-population", vintage=2019,
               level="commune", origin="test", source_file=source, fictional=True)
    return store


def test_data_fingerprint_follows_content_not_import_time(tmp_path):
    store = _store_with(tmp_path, 120.5)
    first = data_fingerprint(store.root)
    manifest = next((store.root / "processed").rglob("*.json"))
    record = json.loads(manifest.read_text(encoding="utf-8"))
    record["saved_at"] = "2031-01-01T00:00:00+00:00"  # re-imported identical file
    manifest.write_text(json.dumps(record), encoding="utf-8")
    assert data_fingerprint(store.root) == first
    (store.root / "raw" / "extra.csv").write_text("ignored: originals are covered by the manifests")
    assert data_fingerprint(store.root) == first
    _store_with(tmp_path, 130.0)  # new content, same dataset/vintage/level
    assert data_fingerprint(store.root) != first
    (store.root / "geo").mkdir()
    second = data_fingerprint(store.root)
    (store.root / "geo" / "contours.geojson").write_text("{}")
    assert data_fingerprint(store.root) != second
    assert data_fingerprint(tmp_path / "absent") == "absent"


def _publish(folder: Path, study: str, inputs: dict, generated_at: str = "2025-03-14T09:30:00+01:00") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{study}.html").write_text("<html></html>")
    (folder / f"{study}.ipynb").write_text("{}")
    (folder / f"{study}.provenance.json").write_text(json.dumps({
        "generated_at": generated_at, "files": [f"{study}.ipynb", f"{study}.provenance.json", f"{study}.html"]}))
    write_inputs(folder, study, inputs, generated_at)


def test_why_regenerate(tmp_path):
    shared = tmp_path / "indicateurs.parquet"
    shared.write_bytes(b"version 1")
    params = {"territory": "00001", "year": None, "data_dir": str(tmp_path), "level": "commune",
              "shared_tables": str(shared)}
    inputs = report_inputs(study="diagnostic", notebook_sha256="a" * 64, abs_version="0.1.0",
                           parameters=params, data_sha256="d" * 64)
    folder = tmp_path / "reports" / "00001"
    assert why_regenerate(folder, "diagnostic", inputs) == "aucun rapport publié"
    _publish(folder, "diagnostic", inputs)
    assert why_regenerate(folder, "diagnostic", inputs) is None

    changed = dict(inputs, parameters=dict(inputs["parameters"], year=2019))
    assert why_regenerate(folder, "diagnostic", changed) == "paramètres modifiés"
    assert why_regenerate(folder, "diagnostic", dict(inputs, data_sha256="e" * 64)) == "données modifiées"
    assert why_regenerate(folder, "diagnostic", dict(inputs, notebook_sha256="b" * 64)) == "notebook de l'étude modifié"
    assert why_regenerate(folder, "diagnostic", dict(inputs, abs_version="0.2.0")) == "version d'abs différente"
    shared.write_bytes(b"version 2")
    again = report_inputs(study="diagnostic", notebook_sha256="a" * 64, abs_version="0.1.0",
                          parameters=params, data_sha256="d" * 64)
    assert why_regenerate(folder, "diagnostic", again) == "tables partagées modifiées"

    (folder / "diagnostic.ipynb").unlink()
    assert "manquant" in why_regenerate(folder, "diagnostic", inputs)
    _publish(folder, "diagnostic", inputs)
    provenance = json.loads((folder / "diagnostic.provenance.json").read_text())
    provenance["generated_at"] = "2025-04-01T10:00:00+02:00"  # `abs report` by hand since
    (folder / "diagnostic.provenance.json").write_text(json.dumps(provenance))
    assert "hors du lot" in why_regenerate(folder, "diagnostic", inputs)
    (folder / "diagnostic.entrees.json").unlink()
    assert "inconnues" in why_regenerate(folder, "diagnostic", inputs)


# ---------------------------------------------------------------- prepare hook


def _hook_counts(territories, study, year, data_dir, out_dir):
    path = Path(out_dir) / "membres.parquet"
    pd.DataFrame({"territory": [t.code for t in territories],
                  "n_communes": [t.n_communes for t in territories]}).to_parquet(path)
    return {"shared_tables": path}


def test_prepare_hook_registry_and_checks(tmp_path):
    territories = select_territories(all_epci=True, geography=demo_geography()).territories
    from abs_lib.portrait.shared import precompute_shared_tables

    assert resolve_prepare_hook("diagnostic") is precompute_shared_tables  # packaged studies: shared indicators
    assert resolve_prepare_hook("diagnostic", "aucune") is None
    assert resolve_prepare_hook("une-autre-etude") is None  # default for other studies: no hook
    register_prepare_hook("test-lot", _hook_counts)
    try:
        hook = resolve_prepare_hook("test-lot")
        assert hook is _hook_counts
        assert resolve_prepare_hook("test-lot", "aucune") is None
        params = run_prepare(hook, territories, "test-lot", None, tmp_path, tmp_path / "partage")
    finally:
        register_prepare_hook("test-lot", None)
    assert params == {"shared_tables": str((tmp_path / "partage" / "membres.parquet").resolve())}
    table = pd.read_parquet(params["shared_tables"])
    assert table["n_communes"].tolist() == [10, 9, 9, 8]
    with pytest.raises(BatchError, match="introuvable"):
        resolve_prepare_hook("x", "abs_lib.batch.prepare:inexistante")
    with pytest.raises(BatchError, match="paquet.module:fonction"):
        resolve_prepare_hook("x", "sans_deux_points")
    with pytest.raises(BatchError, match="ne peut pas fixer"):
        run_prepare(lambda *a: {"territory": "21"}, territories, "x", None, tmp_path, tmp_path / "p")
    with pytest.raises(BatchError, match="dictionnaire"):
        run_prepare(lambda *a: ["shared_tables"], territories, "x", None, tmp_path, tmp_path / "p")


# ---------------------------------------------------------------- index page


def test_index_lists_every_territory_with_status_links_and_error(tmp_path):
    study = Study("diagnostic", "Diagnostic sociodémographique", notebook=FIXTURE)
    (tmp_path / "00001").mkdir()
    (tmp_path / "00001" / "diagnostic.html").write_text("x")
    (tmp_path / "00002").mkdir()
    (tmp_path / "00002" / "diagnostic.echec.ipynb").write_text("{}")
    outcomes = [
        ReportOutcome("00002", "commune", "Saint-<Fictif>", FAILURE, generated_at="2025-03-14T09:31:00+01:00",
                      error="long message", error_cell=4, error_name="KeyError", error_value="'P16_POP'"),
        ReportOutcome("00001", "commune", "Fictiville", SUCCESS, generated_at="2025-03-14T09:30:00+01:00"),
        ReportOutcome("00003", "commune", "Montchimère", UNCHANGED, generated_at="2025-03-01T08:00:00+01:00"),
    ]
    page = write_index(tmp_path, study, outcomes, description="communes de test",
                       started_at="2025-03-14T09:29:00+01:00", fictional=True).read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "fictifs" in page
    assert "src=" not in page and "http" not in page  # self-contained
    rows = page.split("<tbody>")[1].split("</tr>")
    assert "00001" in rows[0] and "00002" in rows[1] and "00003" in rows[2]  # by code
    assert 'href="00001/diagnostic.html"' in rows[0] and "réussi" in rows[0] and "14/03/2025 09:30" in rows[0]
    assert "Saint-&lt;Fictif&gt;" in rows[1] and "échec" in rows[1]
    assert 'href="00002/diagnostic.echec.ipynb"' in rows[1]
    assert "cellule n°4 : KeyError : &#x27;P16_POP&#x27;" in rows[1]
    assert "inchangé" in rows[2] and "href" not in rows[2]  # its page is not there: no dead link
    assert "1 réussi(s), 1 en échec, 1 inchangé(s)" in page
    assert not list(tmp_path.glob(".index.html.*"))  # written through a temporary file


# ---------------------------------------------------------------- kernels and CLI


def test_kept_kernel_preloads_what_the_notebook_imports():
    modules = notebook_imports(FIXTURE)
    for name in ("geopandas", "matplotlib.pyplot", "pandas", "abs_lib.reports.provenance"):
        assert name in modules
    assert set(LIBRARY_MODULES) <= set(modules)  # abs's own function-level imports, since it imports abs


def test_batch_cli_needs_exactly_one_selection(capsys):
    assert main(["batch", "--study", "diagnostic", "--notebook", str(FIXTURE)]) == 1
    assert "un seul critère" in capsys.readouterr().err
    assert main(["batch", "--departement", "21", "--all-epci", "--notebook", str(FIXTURE)]) == 1
    assert "un seul critère" in capsys.readouterr().err


def test_batch_cli_unknown_code_stops_before_any_report(tmp_path, capsys):
    listing = tmp_path / "liste.txt"
    listing.write_text("000000009\n", encoding="utf-8")
    code = main(["batch", "--demo", "--territories", str(listing), "--notebook", str(FIXTURE),
                 "--reports-dir", str(tmp_path / "rapports")])
    assert code == 1
    err = capsys.readouterr().err
    assert "Territoire introuvable" in err and "000000009 (ligne 1)" in err
    assert not (tmp_path / "rapports").exists()
