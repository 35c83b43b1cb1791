"""The census dwellings detail file (FD_LOGEMT): streamed aggregation, import, indicators.

The files are synthetic but written in the real layout: the real header line of
FD_LOGEMT_2020.csv (tests/fixtures/real_headers/insee_fd_logemt_2016_2020.txt), the
modality codes of INSEE's dictionary (AGEMEN8 00…80 and YY, STOCD 00/10/21/22/23/30,
HLML 1/2/Y, ARM ZZZZZ outside Paris/Lyon/Marseille), ``;`` separator, CRLF line ends
and weights with many decimals. Every expected value is recomputed with pandas from
the same file. Nothing is mocked.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abs_lib.cli import main
from abs_lib.errors import NonComparableVintagesError, SourceFileError
from abs_lib.indicators import compute_evolutions, compute_indicators, load_registry
from abs_lib.indicators.loading import load_inputs
from abs_lib.sources import fd_logement as fd
from abs_lib.sources.catalog import load_catalog
from abs_lib.sources.importing import import_file, import_files
from abs_lib.sources.recognize import recognize_file
from abs_lib.sources.store import Store

HEADER_FIXTURE = Path(__file__).parent / "fixtures" / "real_headers" / "insee_fd_logemt_2016_2020.txt"
AGES = ["00", "15", "20", "25", "40", "55", "65", "80"]
TENURES = ["10", "21", "22", "23", "30"]


def real_header(year: int = 2020) -> list[str]:
    lines = [line for line in HEADER_FIXTURE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    return lines[0 if year >= 2019 else 1].split(";")


def synthetic_rows(communes, n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` dwellings in the real layout: about 1 in 6 unoccupied (STOCD 00, AGEMEN8 YY)."""
    rng = np.random.default_rng(seed)
    communes = np.asarray(communes, dtype=object)
    commune = communes[rng.integers(0, len(communes), n)]
    occupied = rng.random(n) > 1 / 6
    stocd = np.where(occupied, np.asarray(TENURES, dtype=object)[rng.integers(0, 5, n)], "00")
    agemen8 = np.where(occupied, np.asarray(AGES, dtype=object)[rng.integers(0, 8, n)], "YY")
    hlml = np.where(~occupied, "Y", np.where(stocd == "22", "1", np.where(rng.random(n) < 0.1, "1", "2")))
    weights = rng.uniform(0.5, 9.0, n)
    weights[rng.random(n) < 0.05] = 1.0
    frame = pd.DataFrame({c: "Z" for c in real_header()}, index=range(n))
    frame["COMMUNE"] = commune
    paris = commune == "75056"
    frame["ARM"] = np.where(paris, np.asarray(["75101", "75102", "75111"], dtype=object)[rng.integers(0, 3, n)], "ZZZZZ")
    frame["IRIS"] = np.where(paris, frame["ARM"] + "0101", "ZZZZZZZZZ")
    frame["AGEMEN8"] = agemen8
    frame["STOCD"] = stocd
    frame["HLML"] = hlml
    frame["CATL"] = np.where(occupied, "1", np.asarray(["2", "3", "4"], dtype=object)[rng.integers(0, 3, n)])
    frame["INPER"] = np.where(occupied, rng.integers(1, 6, n).astype(str), "Y")
    frame["IPONDL"] = [f"{w:.15f}" for w in weights]
    return frame


def write_csv(frame: pd.DataFrame, path: Path, *, decimal: str = ".") -> Path:
    out = frame.copy()
    if decimal == ",":
        out["IPONDL"] = out["IPONDL"].str.replace(".", ",", regex=False)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out.to_csv(handle, sep=";", index=False, lineterminator="\r\n")
    return path


def write_zip(frame: pd.DataFrame, path: Path, member: str) -> Path:
    buffer = io.StringIO()
    frame.to_csv(buffer, sep=";", index=False, lineterminator="\r\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, buffer.getvalue())
        archive.writestr(member.replace("FD_", "Varmod_"), "COD_VAR;LIB_VAR;COD_MOD;LIB_MOD;TYPE_VAR;LONG_VAR\r\n")
    return path


def expected_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The commune table recomputed with pandas, straight from the rows."""
    main_rows = frame[frame["STOCD"] != "00"].assign(w=frame["IPONDL"].str.replace(",", ".").astype(float))
    out = pd.DataFrame(index=pd.Index(sorted(frame["COMMUNE"].unique()), name="CODGEO"))
    for age in AGES:
        for tenure in TENURES:
            rows = main_rows[(main_rows["AGEMEN8"] == age) & (main_rows["STOCD"] == tenure)]
            out[fd.band_variable(age, tenure)] = rows.groupby("COMMUNE")["w"].sum()
        out[fd.band_variable(age)] = main_rows[main_rows["AGEMEN8"] == age].groupby("COMMUNE")["w"].sum()
    for tenure in TENURES:
        out[fd.tenure_variable(tenure)] = main_rows[main_rows["STOCD"] == tenure].groupby("COMMUNE")["w"].sum()
    out["RP_ENS"] = main_rows.groupby("COMMUNE")["w"].sum()
    return out.fillna(0.0)


def assert_same(table: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = table.set_index("CODGEO")
    assert list(got.index) == list(expected.index)
    assert list(got.columns) == fd.variable_names()
    for column in fd.variable_names():
        np.testing.assert_allclose(got[column].to_numpy(), expected[column].to_numpy(), rtol=1e-12, atol=1e-9,
                                   err_msg=column)


COMMUNES = ["01001", "01002", "2A004", "21231", "75056", "97411"]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    return synthetic_rows(COMMUNES, 4000, seed=1)


# ------------------------------------------------------------------ layout and names
def test_the_columns_read_are_in_the_real_header_of_both_layouts():
    for year in (2016, 2020):
        assert set(fd.READ_COLUMNS) <= set(real_header(year))


def test_variable_names_are_vintage_free_and_labelled_in_french():
    from abs_lib.sources.variables import split_vintage

    names = fd.variable_names()
    assert len(names) == len(set(names)) == 8 * 6 + 5 + 1
    assert {"RP_AGEPR2539", "RP_AGEPR2539_PROP", "RP_AGEPR2539_LOCHLMV", "RP_ENS"} <= set(names)
    assert all(split_vintage(n) == (n, None) for n in names)
    assert fd.variable_label("RP_AGEPR2539_LOCHLMV") == (
        "ménages dont la personne de référence a 25 à 39 ans, locataires d'un logement loué vide HLM")


# ------------------------------------------------------------------ aggregation
def test_aggregate_equals_pandas_on_the_same_file(tmp_path, rows):
    path = write_csv(rows, tmp_path / "FD_LOGEMT_2019.csv")
    table, aggregate = fd.aggregate_file(path)
    assert aggregate.rows == len(rows)
    assert_same(table, expected_table(rows))
    assert table["CODGEO"].tolist() == sorted(COMMUNES)  # 2A004 and 75056 kept as text, Paris as one commune


def test_zip_parquet_and_decimal_comma_give_the_same_table(tmp_path, rows):
    expected = expected_table(rows)
    zipped = write_zip(rows, tmp_path / "RP2019_LOGEMT_csv.zip", "FD_LOGEMT_2019.csv")
    assert_same(fd.aggregate_file(zipped)[0], expected)
    comma = write_csv(rows, tmp_path / "FD_LOGEMT_2019_virgule.csv", decimal=",")
    assert fd.open_source(comma).decimal == ","
    assert_same(fd.aggregate_file(comma)[0], expected)
    parquet = tmp_path / "RP2019_logemt.parquet"
    rows.assign(IPONDL=rows["IPONDL"].astype(float)).to_parquet(parquet, index=False)
    assert_same(fd.aggregate_file(parquet)[0], expected)


def test_unknown_codes_and_missing_weights_are_errors_not_drops(tmp_path, rows):
    bad = rows.copy()
    bad.loc[bad.index[:3], "STOCD"] = "24"
    with pytest.raises(SourceFileError, match=r"STOCD .*« 24 » \(3 ligne\(s\)\)"):
        fd.aggregate_file(write_csv(bad, tmp_path / "FD_LOGEMT_2019.csv"))
    bad = rows.copy()
    occupied = bad.index[bad["STOCD"] != "00"][:2]
    bad.loc[occupied, "IPONDL"] = ""
    with pytest.raises(SourceFileError, match="2 résidence\\(s\\) principale\\(s\\) sans poids"):
        fd.aggregate_file(write_csv(bad, tmp_path / "FD_LOGEMT_2019.csv"))
    bad = rows.copy()
    bad.loc[bad.index[5], "IPONDL"] = "n.d."
    with pytest.raises(SourceFileError, match="Lecture impossible de FD_LOGEMT_2019.csv"):
        fd.aggregate_file(write_csv(bad, tmp_path / "FD_LOGEMT_2019.csv"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=1, max_value=300),
    seed=st.integers(min_value=0, max_value=2**31),
    split=st.sets(st.sampled_from(COMMUNES)),
)
def test_sum_over_communes_equals_the_aggregate_of_their_union(tmp_path_factory, n, seed, split):
    """Additivity: the commune table summed over any set of communes equals the table of a
    file holding only their rows, and two disjoint files make the table of their union."""
    folder = tmp_path_factory.mktemp("additivite")
    rows = synthetic_rows(COMMUNES, n, seed=seed)
    whole = fd.aggregate_file(write_csv(rows, folder / "FD_LOGEMT_2019.csv"))[0].set_index("CODGEO")
    part_a = rows[rows["COMMUNE"].isin(split)]
    part_b = rows[~rows["COMMUNE"].isin(split)]
    pieces = [fd.aggregate_file(write_csv(p, folder / f"FD_LOGEMTZ{z}_2019.csv"))[0].set_index("CODGEO")
              for z, p in (("A", part_a), ("B", part_b)) if len(p)]
    union = pd.concat(pieces).sort_index()
    pd.testing.assert_frame_equal(union, whole, check_exact=False, rtol=1e-12)
    if len(part_a):
        total_a = whole.loc[whole.index.isin(split)].sum()
        direct = fd.aggregate_file(folder / "FD_LOGEMTZA_2019.csv")[0].set_index("CODGEO").sum()
        np.testing.assert_allclose(total_a.to_numpy(), direct.to_numpy(), rtol=1e-12, atol=1e-9)


# ------------------------------------------------------------------ recognition and import
def test_recognised_by_its_columns_whatever_the_container(tmp_path, rows):
    catalog = load_catalog()
    for path in (write_csv(rows.head(50), tmp_path / "FD_LOGEMT_2019.csv"),
                 write_csv(rows.head(50), tmp_path / "FD_LOGEMTZA_2019.csv"),
                 write_zip(rows.head(50), tmp_path / "RP2019_LOGEMT_csv.zip", "FD_LOGEMT_2019.csv")):
        found = recognize_file(path, catalog)
        assert (found.dataset, found.vintage, found.code_column, found.level) == ("rp-fd-logement", 2019, "COMMUNE",
                                                                                 "commune")
    no_year = write_csv(rows.head(5), tmp_path / "logements.csv")
    with pytest.raises(SourceFileError, match="millésime est introuvable"):
        recognize_file(no_year, catalog)


def test_cli_import_stores_one_commune_table_and_only_a_reference_to_the_original(tmp_path, rows, capsys):
    path = write_csv(rows, tmp_path / "FD_LOGEMT_2019.csv")
    data = tmp_path / "donnees"
    assert main(["data", "import", str(path), "--data-dir", str(data)]) == 0
    assert "importé  FD_LOGEMT_2019.csv : rp-fd-logement, millésime 2019, niveau commune, 6 lignes" in capsys.readouterr().out
    store = Store(data)
    entry = store.entry("rp-fd-logement", 2019, "commune")
    assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry.source_file == "FD_LOGEMT_2019.csv" and entry.origin == f"import : {path.resolve()}"
    assert all(entry.columns[c] == "count" for c in fd.variable_names()) and entry.columns["CODGEO"] == "label"
    assert_same(store.load("rp-fd-logement", 2019, "commune"), expected_table(rows))
    raw = list((data / "raw").rglob("*"))
    assert [p.name for p in raw if p.is_file()] == ["FD_LOGEMT_2019.csv.reference.json"]  # no copy
    reference = json.loads(next(p for p in raw if p.is_file()).read_text(encoding="utf-8"))
    assert reference["sha256"] == entry.sha256 and reference["rows_read"] == len(rows)
    assert reference["path"] == str(path.resolve()) and "non copié" in reference["note"]


def test_zone_files_are_united_and_the_national_file_replaces_them(tmp_path, rows):
    store = Store(tmp_path / "donnees")
    zone_a = rows[rows["COMMUNE"].isin(["75056", "01001"])]
    zone_e = rows[~rows["COMMUNE"].isin(["75056", "01001"])]
    write_csv(zone_a, tmp_path / "FD_LOGEMTZA_2019.csv")
    write_zip(zone_e, tmp_path / "RP2019_LOGEMTZE_csv.zip", "FD_LOGEMTZE_2019.csv")
    results = import_files([tmp_path / "FD_LOGEMTZA_2019.csv", tmp_path / "RP2019_LOGEMTZE_csv.zip"], store)
    assert all(r.ok for r in results), [r.error for r in results]
    entry = store.entry("rp-fd-logement", 2019, "commune")
    assert entry.source_file == "FD_LOGEMTZA_2019.csv + RP2019_LOGEMTZE_csv.zip"
    assert entry.sha256.count(" + ") == 1
    assert_same(store.load("rp-fd-logement", 2019, "commune"), expected_table(rows))
    again = import_file(tmp_path / "FD_LOGEMTZA_2019.csv", store)  # the same zone again: no double count
    assert again.rows == len(COMMUNES)
    assert_same(store.load("rp-fd-logement", 2019, "commune"), expected_table(rows))
    national = import_file(write_csv(rows, tmp_path / "FD_LOGEMT_2019.csv"), store)
    assert national.source_file == "FD_LOGEMT_2019.csv" and " + " not in national.sha256
    assert len(list((tmp_path / "donnees" / "processed" / "rp-fd-logement" / "2019" / "parts").glob("*.json"))) == 1
    assert_same(store.load("rp-fd-logement", 2019, "commune"), expected_table(rows))


def test_an_archive_of_another_dataset_is_unpacked_not_streamed(tmp_path):
    """Only the detail file is streamed from its zip; other INSEE archives are unpacked and
    their data file imported as usual."""
    archive = tmp_path / "base-cc-logement-2022_csv.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("base-cc-logement-2022.csv", "CODGEO;P22_LOG;P22_RP\r\n01001;10;8\r\n")
    result = import_files([archive], Store(tmp_path / "donnees"))[0]
    assert result.ok and result.entry.dataset == "rp-logement-commune" and result.entry.rows == 1
    assert not (tmp_path / "donnees" / "raw" / "rp-fd-logement").exists()


# ------------------------------------------------------------------ indicators
MEMBERSHIP = pd.DataFrame({
    "commune": ["01001", "01002", "21231", "2A004", "75056", "97411"],
    "epci": ["200000001", "200000001", "200000002", "200000003", "200054781", "200000004"],
    "departement": ["01", "01", "21", "2A", "75", "974"],
    "region": ["84", "84", "27", "94", "11", "04"],
})


def test_epci_indicator_is_the_ratio_of_weighted_sums(tmp_path, rows):
    store = Store(tmp_path / "donnees")
    import_file(write_csv(rows, tmp_path / "FD_LOGEMT_2019.csv"), store)
    inputs = load_inputs(store, geography_year=None)
    ids = ["part_proprietaires_25_39", "part_locataires_prives_25_39", "part_locataires_hlm_25_39"]
    table = compute_indicators(MEMBERSHIP, inputs.commune_tables, inputs.level_tables, indicators=ids)
    members = rows[rows["COMMUNE"].isin(["01001", "01002"]) & (rows["AGEMEN8"] == "25") & (rows["STOCD"] != "00")]
    weight = members["IPONDL"].astype(float)
    households = weight.sum()
    for iid, tenures in zip(ids, (["10"], ["21", "23"], ["22"])):
        row = table[(table["level"] == "epci") & (table["territory"] == "200000001") & (table["indicator"] == iid)]
        assert len(row) == 1
        assert row["vintage"].item() == 2019 and row["source"].item() == "rp-fd-logement 2019"
        expected = weight[members["STOCD"].isin(tenures)].sum()
        assert row["numerator"].item() == pytest.approx(expected, rel=1e-12)
        assert row["denominator"].item() == pytest.approx(households, rel=1e-12)
        assert row["value"].item() == pytest.approx(100 * expected / households, rel=1e-12)
    shares = table[(table["level"] == "commune") & table["indicator"].isin(ids)].groupby("territory")["value"].sum()
    assert (shares < 100 + 1e-9).all()  # owners + private + HLM renters: at most every household (free lodging apart)
    assert "petit effectif" in set(table.loc[table["level"] == "commune", "flags"].astype(str).str.split("; ").sum())


def test_the_census_five_year_rule_applies(tmp_path):
    store = Store(tmp_path / "donnees")
    for year, seed in ((2016, 3), (2019, 4), (2022, 5)):
        import_file(write_csv(synthetic_rows(COMMUNES, 600, seed=seed), tmp_path / f"FD_LOGEMT_{year}.csv"), store)
    inputs = load_inputs(store, geography_year=None)
    table = compute_indicators(MEMBERSHIP, inputs.commune_tables, inputs.level_tables,
                               indicators=["part_proprietaires_25_39"])
    assert sorted(table["vintage"].unique()) == [2016, 2019, 2022]
    assert load_registry()["part_proprietaires_25_39"].is_census
    with pytest.raises(NonComparableVintagesError):
        compute_evolutions(table, 2016, 2019)
    with pytest.raises(NonComparableVintagesError):
        compute_evolutions(table, 2019, 2022)
    assert not compute_evolutions(table, 2016, 2022).empty


# ------------------------------------------------------------------ download


def test_fetch_streams_the_downloaded_archive_without_unzipping_it(tmp_path, server, rows):
    from abs_lib.sources.fetch import fetch_dataset

    url = load_catalog().vintage("rp-fd-logement", 2019).files[0].url
    assert url == "https://www.insee.fr/fr/statistiques/fichier/6544344/RP2019_LOGEMT_csv.zip"
    archive = write_zip(rows, tmp_path / "RP2019_LOGEMT_csv.zip", "FD_LOGEMT_2019.csv")
    server.serve(url, archive.read_bytes())
    entries = fetch_dataset("rp-fd-logement", 2019, data_dir=tmp_path / "donnees", cache_dir=tmp_path / "cache",
                            progress=False, base_url=server.url)
    assert [(e.dataset, e.vintage, e.level) for e in entries] == [("rp-fd-logement", 2019, "commune")]
    assert entries[0].origin == server.url + "/fr/statistiques/fichier/6544344/RP2019_LOGEMT_csv.zip"
    assert entries[0].member == "FD_LOGEMT_2019.csv"
    assert_same(Store(tmp_path / "donnees").load("rp-fd-logement", 2019, "commune"), expected_table(rows))
    assert [p.name for p in (tmp_path / "cache").iterdir()][0].endswith("RP2019_LOGEMT_csv.zip")
    assert len(list((tmp_path / "cache").iterdir())) == 1  # never unzipped next to the archive


def test_cli_indicators_for_a_real_epci_read_the_detail_file(shared_data, tmp_path, capsys):
    """`abs indicators 200000925` with the real geography and population (Dossier complet extracts):
    the EPCI share is the ratio of the weighted sums over its member communes."""
    from abs_lib.territories import find_territory

    communes = list(find_territory("200000925").communes)
    rows = synthetic_rows(communes + ["21231"], 3000, seed=7)   # 21231 (Dijon) is outside the EPCI
    data = tmp_path / "donnees"
    files = [write_csv(rows, tmp_path / "FD_LOGEMT_2019.csv"),
             *sorted((shared_data / "insee_dossier_complet").glob("*.csv"))]
    assert all(r.ok for r in import_files(files, Store(data)))
    capsys.readouterr()
    assert main(["indicators", "200000925", "--format", "csv", "--data-dir", str(data)]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"territory": str})
    epci = table[(table["level"] == "epci") & (table["territory"] == "200000925") & (table["vintage"] == 2019)]
    members = rows[rows["COMMUNE"].isin(communes) & (rows["AGEMEN8"] == "25") & (rows["STOCD"] != "00")]
    weight = members["IPONDL"].astype(float)
    for iid, tenures in (("part_proprietaires_25_39", ["10"]), ("part_locataires_prives_25_39", ["21", "23"]),
                         ("part_locataires_hlm_25_39", ["22"])):
        row = epci[epci["indicator"] == iid]
        assert row["value"].item() == pytest.approx(100 * weight[members["STOCD"].isin(tenures)].sum() / weight.sum())
        assert row["source"].item() == "rp-fd-logement 2019"
