"""`abs data import` / `abs data list` on the real extracts and on the demo files."""

import pandas as pd
import pytest

from abs_lib.cli import main
from abs_lib.config import demo_dir
from abs_lib.sources.importing import import_files
from abs_lib.sources.store import Store, sha256_of

# (file, dataset, vintage, level, rows) — rows counted from the files themselves in the test.
EXPECTED = [
    ("filosofi/FILO2016_DISP_COM_dep21.csv", "filosofi-disp", 2016, "commune"),
    ("filosofi/FILO2019_DISP_COM_dep21.csv", "filosofi-disp", 2019, "commune"),
    ("filosofi/FILO2016_DISP_EPCI.csv", "filosofi-disp", 2016, "epci"),
    ("filosofi/FILO2019_DISP_EPCI.csv", "filosofi-disp", 2019, "epci"),
    ("filosofi/FILO2016_DISP_DEP.csv", "filosofi-disp", 2016, "departement"),
    ("filosofi/FILO2019_DISP_DEP.csv", "filosofi-disp", 2019, "departement"),
    ("filosofi/FILO2016_DISP_METROPOLE.csv", "filosofi-disp", 2016, "metropole"),
    ("filosofi/FILO2019_DISP_METROPOLE.csv", "filosofi-disp", 2019, "metropole"),
    ("filosofi/BASE_TD_FILO_DISP_IRIS_2016_dep21.csv", "filosofi-iris", 2016, "iris"),
    ("filosofi/BASE_TD_FILO_DISP_IRIS_2019_dep21.csv", "filosofi-iris", 2019, "iris"),
    ("insee_dossier_complet/dossier_complet_light_dep21.csv", "insee-dossier-complet", 2022, "commune"),
    ("insee_dossier_complet/base_cc_comparateur_dep21.csv", "insee-comparateur", 2022, "commune"),
    ("caf/data_CAF_2016_IRIS_dep21.csv", "caf-iris", 2016, "iris"),
    ("caf/data_CAF_2017_IRIS_dep21.csv", "caf-iris", 2017, "iris"),
    ("caf/data_CAF_2018_IRIS_dep21.csv", "caf-iris", 2018, "iris"),
    ("caf/data_CAF_2019_IRIS_dep21.csv", "caf-iris", 2019, "iris"),
    ("caf/data_CAF_2020_IRIS_dep21.csv", "caf-iris", 2020, "iris"),
    ("geo/EPCI_2020_commune_to_epci.csv", "epci-composition", 2020, "commune"),
]


def _data_lines(path):
    text = path.read_bytes().decode("utf-8-sig")
    return sum(1 for line in text.splitlines()[1:] if line.strip(";").strip())


@pytest.fixture(scope="module")
def imported(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    store = Store(root)
    results = import_files([shared_data / f for f, *_ in EXPECTED], store)
    return shared_data, store, results


def test_every_real_file_is_recognised(imported):
    shared_data, store, results = imported
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    for (name, dataset, vintage, level), result in zip(EXPECTED, results):
        entry = result.entry
        assert (entry.dataset, entry.vintage, entry.level) == (dataset, vintage, level), name
        assert entry.rows == _data_lines(shared_data / name), name
        assert entry.sha256 == sha256_of(shared_data / name)


def test_stored_tables_sum_like_the_source(imported):
    """Sums over the communes of two EPCI, computed here independently from the raw text."""
    shared_data, store, _ = imported
    members = pd.read_csv(shared_data / "geo" / "EPCI_2020_commune_to_epci.csv", sep=";", dtype=str, encoding="utf-8-sig")
    raw = (shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv").read_text().splitlines()
    header = raw[0].split(";")
    pop = {line.split(";")[0]: float(line.split(";")[header.index("P22_POP")]) for line in raw[1:]}
    table = store.load("insee-comparateur", 2022, "commune").set_index("CODGEO")
    for epci, n_communes in (("200000925", 22), ("242100410", 23)):
        codes = members.loc[members["EPCI"] == epci, "CODGEO"].tolist()
        assert len(codes) == n_communes
        expected = sum(pop[c] for c in codes)
        assert table.loc[codes, "P22_POP"].sum() == pytest.approx(expected, rel=1e-12)
    assert table["P22_POP"].sum() == pytest.approx(537577)  # data README: département total


def test_secrets_are_missing_after_import(imported):
    _, store, _ = imported
    table = store.load("insee-comparateur", 2022, "commune")
    assert table["TP6021"].isna().sum() == 674 and table["PIMP21"].isna().sum() == 669
    assert (table["TP6021"] == 0).sum() == 0


def test_cli_import_then_list(shared_data, tmp_path, capsys):
    files = sorted(str(p) for p in (shared_data / "filosofi").glob("*.csv"))
    files += sorted(str(p) for p in (shared_data / "insee_dossier_complet").glob("*.csv"))
    assert main(["data", "import", *files, "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("importé ") == len(files)
    assert "filosofi-disp, millésime 2019, niveau epci, 1240 lignes" in out
    assert main(["data", "list", "--data-dir", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert f"{len(files)} table(s)" in listing
    assert "insee-dossier-complet" in listing and "metropole" in listing


def test_cli_refuses_a_file_of_another_kind_and_says_why(shared_data, tmp_path, capsys):
    other = shared_data / "derived_iris" / "ptod_agg_iris_21_subset.csv"
    assert main(["data", "import", str(other), "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "refusé" in err and "non reconnu" in err and "ptod_agg_iris_21_subset.csv" in err
    assert Store(tmp_path).entries() == []


def test_env_var_sets_the_data_dir(shared_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ABS_DATA_DIR", str(tmp_path / "ici"))
    assert main(["data", "import", str(shared_data / "filosofi" / "FILO2019_DISP_DEP.csv")]) == 0
    assert [e.dataset for e in Store(tmp_path / "ici").entries()] == ["filosofi-disp"]


def test_every_demo_data_file_is_recognised(tmp_path):
    files = sorted(p for p in demo_dir().rglob("*") if p.suffix.lower() == ".csv" and p.parent.name != "local")
    results = import_files(files, Store(tmp_path), fictional=True)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    levels = {(r.entry.dataset, r.entry.level) for r in results}
    assert ("filosofi-disp", "region") in levels and ("caf-places-accueil-jeune-enfant", "epci") in levels
    assert all(r.entry.fictional for r in results)


def test_contours_are_stored_with_one_code_column_whatever_the_producer(tmp_path, shared_data):
    import json

    real = json.loads((shared_data / "geo" / "communes_dep21.geojson").read_text(encoding="utf-8"))
    etalab = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {"code": f["properties"]["INSEE_COM"], "nom": f["properties"]["NOM"]}}
        for f in real["features"][:3]]}
    path = tmp_path / "communes-2025.geojson"
    path.write_text(json.dumps(etalab), encoding="utf-8")
    entry = import_files([path], Store(tmp_path / "data"))[0].entry
    assert (entry.dataset, entry.vintage) == ("contours-communes", 2025)
    table = Store(tmp_path / "data").load("contours-communes", 2025, "commune")
    assert table["INSEE_COM"].tolist() == [f["properties"]["INSEE_COM"] for f in real["features"][:3]]


def test_cli_imports_every_file_of_a_folder(shared_data, tmp_path, capsys):
    """`abs data import DOSSIER`: every file under it, sub-folders included; the producers'
    documentation files and hidden files are skipped, not refused."""
    import shutil

    folder = tmp_path / "Téléchargements"
    (folder / "revenus").mkdir(parents=True)
    shutil.copy(shared_data / "filosofi" / "FILO2019_DISP_DEP.csv", folder)
    shutil.copy(shared_data / "filosofi" / "FILO2019_DISP_EPCI.csv", folder / "revenus")
    shutil.copy(shared_data / "caf" / "data_CAF_2019_IRIS_dep21.csv", folder / "revenus")
    (folder / "meta_FILO2019_DISP_DEP.csv").write_text("COD_VAR;LIB_VAR\nQ219;Médiane\n", encoding="utf-8")
    (folder / ".~lock.FILO2019_DISP_DEP.csv#").write_text("verrou", encoding="utf-8")
    root = tmp_path / "data"
    assert main(["data", "import", str(folder), "--data-dir", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.count("importé ") == 3
    assert "ignoré   meta_FILO2019_DISP_DEP.csv" in out and ".~lock" not in out
    assert "3 fichier(s) importé(s), 0 refusé(s), 1 ignoré(s)" in out
    stored = {(e.dataset, e.vintage, e.level) for e in Store(root).entries()}
    assert stored == {("filosofi-disp", 2019, "departement"), ("filosofi-disp", 2019, "epci"),
                      ("caf-iris", 2019, "iris")}


def test_cli_empty_folder_is_refused(tmp_path, capsys):
    (tmp_path / "vide").mkdir()
    assert main(["data", "import", str(tmp_path / "vide"), "--data-dir", str(tmp_path / "data")]) == 1
    assert "Dossier vide" in capsys.readouterr().err


def test_cli_imports_the_data_files_of_a_zip_archive_as_published(shared_data, tmp_path, capsys):
    """An INSEE archive downloaded by hand (…_csv.zip) is imported without unpacking it first."""
    import zipfile

    folder = tmp_path / "Téléchargements"
    folder.mkdir()
    with zipfile.ZipFile(folder / "indic-struct-distrib-revenu-2019-SUPRA_csv.zip", "w") as archive:
        archive.write(shared_data / "filosofi" / "FILO2019_DISP_METROPOLE.csv", "FILO2019_DISP_METROPOLE.csv")
        archive.write(shared_data / "filosofi" / "FILO2019_DISP_DEP.csv", "FILO2019_DISP_DEP.csv")
        archive.writestr("meta_FILO2019_DISP.csv", "COD_VAR;LIB_VAR\nQ219;Médiane\n")
    (folder / "coupe.zip").write_bytes(b"PK\x03\x04 pas une archive")
    root = tmp_path / "data"
    assert main(["data", "import", str(folder), "--data-dir", str(root)]) == 1
    captured = capsys.readouterr()
    assert "2 fichier(s) importé(s), 1 refusé(s), 1 ignoré(s)" in captured.out
    assert "ignoré   meta_FILO2019_DISP.csv" in captured.out
    assert "refusé   coupe.zip : Archive illisible" in captured.err
    entry = Store(root).entry("filosofi-disp", 2019, "metropole")
    assert entry.origin.endswith("indic-struct-distrib-revenu-2019-SUPRA_csv.zip (FILO2019_DISP_METROPOLE.csv)")
    assert entry.sha256 == sha256_of(shared_data / "filosofi" / "FILO2019_DISP_METROPOLE.csv")
    assert Store(root).has("filosofi-disp", 2019, "departement")
