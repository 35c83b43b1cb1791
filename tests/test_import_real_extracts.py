"""The real third-party re-exports of ../shared/data (section "Added in December 2026"): a couples
base with eight columns written twice, CAF childcare files whose columns a redistributor renamed,
the DREES département tables (years as columns) and the 2017 comparateur's births.

Expected figures are read from the raw text with the csv module, never through abs's readers.
"""

import csv
import math

import pandas as pd
import pytest

from abs_lib.indicators import compute_indicators
from abs_lib.indicators.loading import load_inputs
from abs_lib.sources.importing import import_files
from abs_lib.sources.store import Store, sha256_of
from abs_lib.territories import load_geography

COUPLES = "rp_iris/couples_familles_menages_21.csv"
PLACES = "caf_accueil/nbpla_pe_com_2017-2022_dep21__NadNadou.csv"
RATES = "caf_accueil/txcouv_pe_com_2017-2022_dep21__NadNadou.csv"
COMPARATEUR_2017 = "insee_comparateur_2017/base_cc_comparateur_21.csv"
DREES = {"Tab23": "drees_creches_collectives", "Tab24": "drees_creches_familiales",
         "Tab27": "drees_etablissements_parentaux", "Tab28": "drees_places_creches_collectives",
         "Tab32": "drees_places_etablissements_parentaux", "Tab33": "drees_agrements_assistants_maternels"}
DIJON, GENLIS, PLAINE = "21231", "21292", "200000925"
#: Redistributor's label -> registry indicator (value read for the commune, as published).
DIJON_PLACES = {"places_EAJE_ensemble": "places_eaje", "places_assistante_maternelle": "places_assistantes_maternelles",
                "places_salariee_domicile": "places_salaries_domicile", "places_prescolarisation": "places_prescolarisation",
                "places_offertes_ensemble": "places_accueil_jeune_enfant"}
INDICATORS = ["part_personnes_seules", "familles_monoparentales", "naissances", "deces", "taux_natalite",
              "taux_couverture_publie", "taux_couverture_accueil_jeune_enfant", *DIJON_PLACES.values(),
              *DREES.values()]


def raw_rows(path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a raw file as text (duplicated names kept, BOM removed)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        sample = handle.readline()
        handle.seek(0)
        rows = list(csv.reader(handle, delimiter=";" if sample.count(";") > sample.count(",") else ","))
    return rows[0], rows[1:]


def raw_records(path) -> list[dict]:
    """One dict per row; a name written twice keeps its FIRST copy."""
    header, rows = raw_rows(path)
    first = {name: header.index(name) for name in header}
    return [{name: row[i] for name, i in first.items()} for row in rows]


@pytest.fixture(scope="module")
def imported(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("extracts")
    files = [COUPLES, PLACES, RATES, COMPARATEUR_2017, "insee_dossier_complet/base_cc_comparateur_dep21.csv"]
    files += sorted(str(p.relative_to(shared_data)) for p in (shared_data / "drees").glob("*.csv"))
    results = import_files([shared_data / f for f in files], Store(root))
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return Store(root), {r.path.name: r for r in results}


@pytest.fixture(scope="module")
def table(imported):
    store, _ = imported
    geography = load_geography()
    inputs = load_inputs(store, geography_year=geography.year)
    return compute_indicators(geography.membership(), inputs.commune_tables, inputs.level_tables,
                              levels=("commune", "epci", "departement"), indicators=INDICATORS)


def cell(table, territory, indicator, vintage) -> pd.Series:
    rows = table[(table["territory"] == territory) & (table["indicator"] == indicator) & (table["vintage"] == vintage)]
    assert len(rows) == 1, (territory, indicator, vintage)
    return rows.iloc[0]


# ------------------------------------------------------------------ couples base, eight names twice

def test_couples_file_imports_as_familles_iris_2019_with_one_row_per_iris(imported, shared_data):
    store, results = imported
    result = results["couples_familles_menages_21.csv"]
    entry = result.entry
    assert (entry.dataset, entry.vintage, entry.level) == ("rp-familles-iris", 2019, "iris")
    assert entry.sha256 == sha256_of(shared_data / COUPLES)
    note, coverage = result.notes            # the collapsed columns, then the coverage of the 418-commune subset
    assert note.startswith("8 colonne(s) présente(s) deux fois avec des valeurs identiques")
    assert coverage.startswith("Couverture partielle") and "21 : 418 sur 698" in coverage
    header, rows = raw_rows(shared_data / COUPLES)
    doubled = sorted({name for name in header if header.count(name) > 1})
    assert len(doubled) == 8 and all(name in note for name in doubled)
    stored = store.load("rp-familles-iris", 2019, "iris")
    assert list(stored.columns) == list(dict.fromkeys(header))        # each name once, first place kept
    assert stored["IRIS"].is_unique and len(stored) == len(rows) == 534
    assert stored["INSEE_COM"].nunique() == 418
    records = {r["IRIS"]: r for r in raw_records(shared_data / COUPLES)}
    for _, row in stored.iterrows():
        raw = records[row["IRIS"]]
        for name in doubled + ["C19_MEN", "C19_MENPSEUL"]:
            assert row[name] == float(raw[name]), (row["IRIS"], name)    # exact: no rounding


def test_genlis_households_and_single_parent_families_2019_are_the_raw_iris_sums(table, shared_data):
    genlis = [r for r in raw_records(shared_data / COUPLES) if r["INSEE_COM"] == GENLIS]
    assert len(genlis) == 2                                            # two IRIS
    alone = cell(table, GENLIS, "part_personnes_seules", 2019)
    assert alone["numerator"] == pytest.approx(sum(float(r["C19_MENPSEUL"]) for r in genlis), rel=1e-12)
    assert alone["denominator"] == pytest.approx(sum(float(r["C19_MEN"]) for r in genlis), rel=1e-12)
    assert alone["source"] == "rp-familles-iris 2019"
    single = cell(table, GENLIS, "familles_monoparentales", 2019)
    assert single["value"] == pytest.approx(sum(float(r["C19_FAMMONO"]) for r in genlis), rel=1e-12)


def test_a_subset_file_is_never_summed_over_a_partial_territory(table, shared_data):
    """18 of the 22 communes of the Plaine Dijonnaise are in the 418-commune subset."""
    covered = {r["INSEE_COM"] for r in raw_records(shared_data / COUPLES)}
    members = load_geography().membership().query("epci == @PLAINE")["commune"]
    assert len(members) == 22 and len(set(members) - covered) == 4
    for indicator in ("part_personnes_seules", "familles_monoparentales"):
        row = cell(table, PLAINE, indicator, 2019)
        assert math.isnan(row["value"]) and "hors champ du fichier" in row["flags"]


def test_duplicated_columns_that_differ_are_refused_naming_the_column(tmp_path, shared_data):
    lines = (shared_data / COUPLES).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(";")
    last = len(header) - 1 - header[::-1].index("C19_FAMMONO")       # the second copy
    fields = lines[1].split(";")
    fields[last] = "999.5"
    path = tmp_path / "couples_modifie.csv"
    path.write_text("\n".join([lines[0], ";".join(fields), *lines[2:5]]) + "\n", encoding="utf-8")
    (result,) = import_files([path], Store(tmp_path / "data"))
    assert not result.ok
    assert "Colonne « C19_FAMMONO » en double" in result.error and "valeurs différentes" in result.error
    assert "ligne 2" in result.error and "999.5" in result.error
    assert Store(tmp_path / "data").entries() == []


# ------------------------------------------------------------------ CAF childcare, renamed columns

def test_renamed_caf_files_are_stored_under_the_caf_names_with_every_year(imported, shared_data):
    store, results = imported
    places = results[PLACES.split("/")[1]]
    assert places.entry.dataset == "caf-places-accueil-jeune-enfant" and places.entry.level == "commune"
    assert places.years == (2017, 2018, 2019, 2020, 2021, 2022) and "pl_psu_col_com" in places.notes[0]
    stored = store.load("caf-places-accueil-jeune-enfant", places.entry.vintage, "commune")
    assert len(stored) == 25 and sorted(set(stored["annee"])) == [str(y) for y in range(2017, 2023)]
    assert not stored[["annee", "numcom"]].duplicated().any()             # one row per commune and year
    assert {"pl_psu_col_com", "pl_hors_psu_col_com", "pl_eaje_com", "pl_prescol_com", "pl_am_ind_com",
            "pl_gad_ind_com", "tot_offre_com"} <= set(stored.columns)
    assert stored["numcom"].str.fullmatch(r"21\d{3}").all()               # codes stay text
    # the pairs derived from meaning hold on every row (README checks: EAJE = PSU + hors PSU exactly;
    # total = EAJE + préscolarisation + individuel within the published rounding of 1 place)
    assert (stored["pl_eaje_com"] == stored["pl_psu_col_com"] + stored["pl_hors_psu_col_com"]).all()
    assert (stored["places_accueil_individuel_ensemble"] == stored["pl_am_ind_com"] + stored["pl_gad_ind_com"]).sum() >= 20
    total = stored["pl_eaje_com"] + stored["pl_prescol_com"] + stored["pl_am_ind_com"] + stored["pl_gad_ind_com"]
    assert (total - stored["tot_offre_com"]).abs().max() <= 1 and (total == stored["tot_offre_com"]).sum() == 20
    rates = results[RATES.split("/")[1]]
    assert rates.entry.dataset == "caf-couverture-petite-enfance-commune" and rates.years[-1] == 2022
    kinds = rates.entry.columns
    assert {k for c, k in kinds.items() if c.startswith("txcouv_")} == {"level"}   # rates are never summed
    assert {k for c, k in places.entry.columns.items() if c.startswith(("pl_", "tot_"))} == {"count"}


def test_dijon_places_by_mode_and_published_rate_equal_the_raw_files(table, shared_data):
    places = {r["date_reference"]: r for r in raw_records(shared_data / PLACES) if r["num_commune"] == DIJON}
    rates = {r["date_reference"]: r for r in raw_records(shared_data / RATES) if r["numero_commune"] == DIJON}
    assert sorted(places) == sorted(rates) == [str(y) for y in range(2017, 2023)]
    for year in range(2017, 2023):
        for label, indicator in DIJON_PLACES.items():
            row = cell(table, DIJON, indicator, year)
            assert row["value"] == float(places[str(year)][label]), (indicator, year)
            assert row["source"] == f"caf-places-accueil-jeune-enfant {year}" and row["flags"] == ""
        published = cell(table, DIJON, "taux_couverture_publie", year)
        assert published["value"] == float(rates[str(year)]["taux_de_couv_global"])
        assert published["source"] == f"caf-couverture-petite-enfance-commune {year}"
        # under-3s are not in the shared data: the recomputed rate is missing and says why
        recomputed = cell(table, DIJON, "taux_couverture_accueil_jeune_enfant", year)
        assert math.isnan(recomputed["value"])
        # under-3s are only in the IRIS base (not imported here, or imported without that band)
        assert recomputed["flags"].startswith(("non importé: rp-population-iris", "variable absente du fichier importé: P_POP0002 (rp-population-iris",
                                               "non importé pour")), recomputed["flags"]


def test_places_published_for_communes_are_not_summed_to_their_epci(table):
    """Four communes of Dijon Métropole are published; the EPCI's own figure is not in the file."""
    row = cell(table, "242100410", "places_accueil_jeune_enfant", 2022)
    assert math.isnan(row["value"]) and row["flags"].startswith("non importé au niveau EPCI")
    assert math.isnan(cell(table, "242100410", "taux_couverture_publie", 2022)["value"])


def test_recomputed_rate_sits_beside_the_published_one_once_under_3s_are_imported(imported, shared_data):
    store, _ = imported
    geography = load_geography()
    inputs = load_inputs(store, geography_year=geography.year)
    under_3 = 4321.0   # made-up count for this test only: no real file gives P_POP0002 for Dijon
    inputs.commune_tables[("rp-population-iris", 2019)] = pd.DataFrame(
        {"P_POP": [156000.0], "P_POP0002": [under_3]}, index=pd.Index([DIJON], name="commune"))
    table = compute_indicators(geography.membership(), inputs.commune_tables, inputs.level_tables,
                               levels=("commune",), vintages=[2019],
                               indicators=["taux_couverture_accueil_jeune_enfant", "taux_couverture_publie"])
    places = {r["date_reference"]: r for r in raw_records(shared_data / PLACES) if r["num_commune"] == DIJON}
    recomputed = cell(table, DIJON, "taux_couverture_accueil_jeune_enfant", 2019)
    assert recomputed["value"] == pytest.approx(float(places["2019"]["places_offertes_ensemble"]) / under_3 * 100)
    assert cell(table, DIJON, "taux_couverture_publie", 2019)["value"] == 70.2


# ------------------------------------------------------------------ DREES, years as columns

def test_drees_tables_are_stored_per_year_at_departement_level(imported, shared_data):
    store, results = imported
    for part in DREES:
        result = results[f"DREES_{part}_dep21__NadNadou.csv"]
        header, (row,) = raw_rows(shared_data / "drees" / f"DREES_{part}_dep21__NadNadou.csv")
        years = [int(c) for c in header[3:]]
        assert sorted(e.vintage for e in result.entries) == years
        assert {(e.dataset, e.level, e.part, e.rows) for e in result.entries} == {
            ("drees-accueil-jeune-enfant", "departement", part, 1)}
        assert {e.sha256 for e in result.entries} == {sha256_of(shared_data / "drees" / f"DREES_{part}_dep21__NadNadou.csv")}
    joined = store.load("drees-accueil-jeune-enfant", 2019, "departement")
    assert joined["Code département"].tolist() == ["21"] and joined["Code région"].tolist() == ["27"]
    assert set(DREES) <= set(joined.columns)


def test_drees_values_for_21_equal_the_raw_row(table, shared_data):
    for part, indicator in DREES.items():
        header, (row,) = raw_rows(shared_data / "drees" / f"DREES_{part}_dep21__NadNadou.csv")
        assert row[:3] == ["27", "21", "Côte-d'Or"]
        for year, text in zip(header[3:], row[3:]):
            expected = float(text.replace("\u202f", "").replace("\u00a0", "").replace(" ", ""))
            got = cell(table, "21", indicator, int(year))
            assert got["value"] == expected and got["source"] == f"drees-accueil-jeune-enfant {year}", (part, year)
        commune = cell(table, DIJON, indicator, int(header[-1]))    # published per département only
        assert math.isnan(commune["value"]) and "non importé au niveau commune" in commune["flags"]
    assert cell(table, "21", "drees_agrements_assistants_maternels", 2010)["value"] == 4362


def test_a_drees_table_whose_name_lost_its_number_is_refused(tmp_path, shared_data):
    path = tmp_path / "drees_departements.csv"
    path.write_bytes((shared_data / "drees" / "DREES_Tab23_dep21__NadNadou.csv").read_bytes())
    (result,) = import_files([path], Store(tmp_path / "data"))
    assert not result.ok and "drees-accueil-jeune-enfant" in result.error and "Tab23" in result.error


# ------------------------------------------------------------------ 2017 comparateur: births and deaths

def test_2017_comparateur_births_reach_the_natural_movement_indicators(table, shared_data):
    raw = {r["CODGEO"]: r for r in raw_records(shared_data / COMPARATEUR_2017)}
    for code in (DIJON, GENLIS):
        r = raw[code]
        assert cell(table, code, "naissances", 2019)["value"] == float(r["NAISD19"])
        assert cell(table, code, "deces", 2019)["value"] == float(r["DECESD19"])
        rate = cell(table, code, "taux_natalite", 2017)
        assert rate["numerator"] == pytest.approx(float(r["NAIS1217"]) / 5)   # 2012 to 2016: 5 years
        assert rate["value"] == pytest.approx(float(r["NAIS1217"]) / 5 / float(r["P17_POP"]) * 1000)
        assert rate["source"] == "insee-comparateur 2017"
