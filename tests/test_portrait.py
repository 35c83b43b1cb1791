"""The portrait layer: what a study shows, checked against independent sums of the raw files."""

import pandas as pd
import pytest

from abs_lib.config import demo_dir
from abs_lib.errors import AbsError
from abs_lib.portrait import (
    chosen_vintages,
    enjeux,
    indicator_table,
    missing_sources,
    open_portrait,
    side_by_side,
    theme_table,
    value,
)
from abs_lib.portrait.display import key_figures
from abs_lib.portrait.tables import local_coverage


@pytest.fixture(scope="module")
def demo():
    return open_portrait("000000001")


def _raw(path, sep=";"):
    return pd.read_csv(path, sep=sep, dtype=str, encoding="utf-8-sig")


def test_demo_children_under_3_is_the_sum_of_its_iris(demo):
    iris = _raw(demo_dir() / "rp" / "base-ic-evol-struct-pop-2019.CSV")
    members = _raw(demo_dir() / "geo" / "EPCI_2020.csv")
    communes = set(members.loc[members["EPCI"] == "000000001", "CODGEO"])
    expected = iris.loc[iris["COM"].isin(communes), "P19_POP0002"].astype(float).sum()
    got, vintage = value(demo, "enfants_0_2")
    assert vintage == 2019 and got == pytest.approx(expected, rel=1e-12)


def test_each_indicator_is_shown_at_its_latest_vintage_with_data(demo):
    chosen = chosen_vintages(demo)
    assert chosen["enfants_0_2"] == 2019          # RP IRIS base of the demo: 2013, 2016, 2019
    assert chosen["revenu_median"] == 2019        # FiLoSoFi 2016 and 2019
    assert chosen["allocataires_caf"] == 2020     # CAF 2016-2020
    before, year = value(demo, "enfants_0_2", max_vintage=2016)
    assert year == 2016 and before > 0


def test_theme_table_compares_with_references_in_french(demo):
    table = theme_table(demo, "revenus-pauvreté")
    assert list(table.columns[:5]) == ["Indicateur", "CA du Val-Imaginaire", "Département fictif (démo) (00)",
                                       "Région fictive (démo)", "France métropolitaine (fictive)"]
    median = table.set_index("Indicateur").loc["Revenu disponible médian par unité de consommation"]
    filo = _raw(demo_dir() / "filosofi" / "FILO2019_DISP_EPCI.csv").set_index("CODGEO")
    published = int(filo.loc["000000001", "Q219"])
    assert median["CA du Val-Imaginaire"] == f"{published:,}".replace(",", "\u00a0") + "\u00a0€"  # read, not recomputed
    assert median["Millésime"] == "2019"


def test_missing_sources_say_how_to_get_them(demo):
    missing = missing_sources(demo)
    row = missing.set_index("Identifiant").loc["filosofi-pauvrete"]
    assert "abs data fetch filosofi-pauvrete" in row["Comment l'obtenir"]
    assert "Taux de pauvreté" in row["Indicateurs concernés"]


def test_side_by_side_refuses_a_trend_between_close_census_vintages(demo):
    table = side_by_side(demo, ["enfants_0_2", "part_75_plus"], baseline=2016, update=2019).set_index("Indicateur")
    row = table.loc["Enfants de moins de 3 ans"]
    assert row["Évolution"] == "" and "non comparable" in row["Remarques"]
    ok = side_by_side(demo, ["enfants_0_2"], baseline=2013, update=2019).set_index("Indicateur").loc["Enfants de moins de 3 ans"]
    v0, _ = value(demo, "enfants_0_2", max_vintage=2013)
    v1, _ = value(demo, "enfants_0_2", max_vintage=2019)
    assert ok["Évolution"].replace("\u00a0", " ") == f"{v1 - v0:+.0f} (2013 → 2019)"


def test_local_structures_tell_the_new_creche_story(demo):
    local = local_coverage(demo, demo_dir() / "local" / "structures_petite_enfance.csv", baseline=2013, after="2020-01-01")
    rows = local.table.set_index("")
    # Communes 00001 and 00003 of the EPCI: a 15-place halte-garderie (1998), a 10-place
    # micro-crèche (2014) and a 30-place multi-accueil (2019-09-02) -> 15 then 55 places.
    assert rows.loc["avant", "Places en structures (fichier local)"] == "15"
    assert rows.loc["après", "Places en structures (fichier local)"] == "55"
    children, _ = value(demo, "enfants_0_2")
    assert local.after_rates["eaje"] == pytest.approx(55 / children * 100)


def test_a_local_file_of_another_territory_counts_no_place(demo, tmp_path):
    """A file whose structures are all outside the territory must not read « 0 place »."""
    from abs_lib.portrait import display as show

    other = tmp_path / "structures_dijon.csv"
    other.write_text("nom_structure;code_commune;type;places;date_ouverture\n"
                     "Crèche A;21231;EAJE;40;2010-01-04\nCrèche B;21231;EAJE;20;2021-09-01\n", encoding="utf-8")
    local = local_coverage(demo, other, baseline=2013, after="2022-01-01")
    rows = local.table.set_index("")
    assert rows.loc["avant", "Places en structures (fichier local)"] == "n.d."
    assert rows.loc["après", "Places pour 100 enfants"] == "n.d."
    assert local.after_rates is None and "aucune des 2 structure(s)" in local.note and "21231" in local.note
    shown = show.local_coverage(demo, local).text
    assert "n.d." in shown and "structures_dijon.csv" in shown and "taux publié par la CAF" in shown

    # One structure of the territory among others: only it is counted, without the note.
    mixed = tmp_path / "structures_departement.csv"
    mixed.write_text("nom_structure;code_commune;type;places;date_ouverture\n"
                     "Crèche A;21231;EAJE;40;2010-01-04\nHalte;00001;halte-garderie;15;1998-09-01\n",
                     encoding="utf-8")
    counted = local_coverage(demo, mixed, baseline=2013, after="2022-01-01")
    assert counted.note is None
    assert counted.table.set_index("").loc["après", "Places en structures (fichier local)"] == "15"


def test_enjeux_are_phrased_with_figures_and_references(demo):
    ranked = enjeux(demo, top=5)
    assert 1 <= len(ranked) <= 5
    assert all("contre" in text and "dans le département (Département fictif (démo))" in text for text in ranked["text"])


def test_key_figures_come_from_the_same_table(demo):
    figures = key_figures(demo).set_index("indicator")
    for indicator in ("population", "enfants_0_2", "revenu_median", "naissances", "part_familles_monoparentales"):
        assert figures.loc[indicator, "value"] == pytest.approx(value(demo, indicator)[0])
    assert figures.loc["naissances", "Millésime"] == 2024                 # the demo Comparateur's NAISD24


def test_tidy_table_keeps_codes_as_text_and_names_territories():
    table = indicator_table("000000001")
    assert set(table["level"]) >= {"epci", "commune", "departement", "region", "metropole"}
    communes = table[table["level"] == "commune"]["territory"]
    assert communes.str.fullmatch(r"000\d\d").all()
    assert (table.loc[table["level"] == "epci", "name"] == "CA du Val-Imaginaire").all()
    assert table["value"].isna().any() and (table.loc[table["value"].isna(), "flags"] != "").all()


def test_unknown_territory_gets_suggestions():
    with pytest.raises(AbsError, match="Vouliez-vous dire"):
        open_portrait("plaine dijonaise")


def test_papermill_number_is_repaired_to_the_demo_epci():
    assert open_portrait(1, level="epci").code == "000000001"


def test_real_epci_filosofi_values_equal_the_source_rows(real_store, shared_data):
    portrait = open_portrait("200000925", data_dir=real_store)
    filo = _raw(shared_data / "filosofi" / "FILO2019_DISP_EPCI.csv").set_index("CODGEO")
    assert value(portrait, "revenu_median") == (float(filo.loc["200000925", "Q219"]), 2019)
    dep = _raw(shared_data / "filosofi" / "FILO2019_DISP_DEP.csv").set_index("CODGEO")
    assert value(portrait, "revenu_median", level="departement", code="21")[0] == float(dep.loc["21", "Q219"])


def test_real_epci_population_is_the_sum_of_its_communes(real_store, shared_data):
    portrait = open_portrait("242100410", data_dir=real_store)
    comparateur = _raw(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv").set_index("CODGEO")
    expected = comparateur.loc[list(portrait.territory.communes), "P22_POP"].astype(float).sum()
    assert value(portrait, "population") == (pytest.approx(expected), 2022)
    missing = missing_sources(portrait)
    assert "rp-population-iris" in set(missing["Identifiant"]) or "rp-population-commune" in set(missing["Identifiant"])
    assert portrait.contours is not None and len(portrait.contours) == 698


def test_real_key_figures_show_single_parent_share_and_births(real_store, shared_data):
    """Issue 8: the diagnostic's key figures show the single-parent share (11,5 %) and births."""
    portrait = open_portrait("200000925", data_dir=real_store)
    figures = key_figures(portrait).set_index("indicator")
    members = list(portrait.territory.communes)
    assert len(members) == 22
    dossier = _raw(shared_data / "insee_dossier_complet" / "dossier_complet_light_dep21.csv").set_index("CODGEO")
    families = dossier.loc[members, ["C22_COUPAENF", "C22_COUPSENF", "C22_FAMMONO"]].astype(float).sum()
    single = figures.loc["part_familles_monoparentales"]
    assert single["value"] == pytest.approx(families["C22_FAMMONO"] / families.sum() * 100)
    assert (single["Valeur"], single["Millésime"]) == ("11,5\u00a0%", 2022)
    comparateur = _raw(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv").set_index("CODGEO")
    births = figures.loc["naissances"]
    assert births["value"] == comparateur.loc[members, "NAISD24"].astype(float).sum() == 207
    assert (births["Indicateur"], births["Valeur"], births["Millésime"]) == ("Naissances domiciliées", "207", 2024)
    assert list(figures.index[:2]) == ["population", "naissances"]


def test_batch_shared_tables_give_the_same_portrait(demo, tmp_path):
    from abs_lib.demo import demo_geography
    from abs_lib.portrait.shared import precompute_shared_tables

    territories = [demo_geography().territory(code, level="epci") for code in ("000000001", "000000002")]
    params = precompute_shared_tables(territories, "diagnostic", None, None, tmp_path)
    first = (tmp_path / "indicateurs.parquet").read_bytes()
    shared = open_portrait("000000001", shared_tables=params["shared_tables"])
    for theme in ("petite-enfance", "revenus-pauvreté", "logement"):
        pd.testing.assert_frame_equal(theme_table(shared, theme), theme_table(demo, theme))
    assert [e.dataset for e in shared.entries] == [e.dataset for e in demo.entries]
    precompute_shared_tables(territories, "diagnostic", None, None, tmp_path)
    assert (tmp_path / "indicateurs.parquet").read_bytes() == first  # reruns leave it untouched


def test_a_territory_without_population_fails_with_what_to_import(real_store):
    with pytest.raises(AbsError) as info:
        open_portrait("200069193", data_dir=real_store)  # CC de la Dombes (Ain): not in the extracts
    message = str(info.value)
    assert "Aucune population connue pour CC de la Dombes (EPCI 200069193)" in message
    assert "abs data import" in message


def test_an_epci_over_two_departements_names_the_communes_without_data(real_store):
    # CA Beaune (200006682): 48 communes in Côte-d'Or, 5 in Saône-et-Loire, absent from the extracts:
    # its total is unknown (never a partial sum), and the message says which communes lack data.
    with pytest.raises(AbsError) as info:
        open_portrait("200006682", data_dir=real_store)
    message = str(info.value)
    assert "Il manque 5 commune(s) sur 53" in message
    assert all(code.startswith("71") for code in message.split("sur 53 : ")[1].split(".")[0].split(", "))
