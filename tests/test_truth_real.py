"""Every number true on the real Côte-d'Or extracts: mergers, file geographies, baselines, and
why a value is missing (issue: CC de la Plaine Dijonnaise, 200000925).

All of ``../shared/data`` is imported as an analyst would (files that abs does not
recognise are refused, the rest stored); expected figures are read from the raw files.
"""

import math

import pandas as pd
import pytest

from abs_lib.portrait import indicator_table, open_portrait
from abs_lib.portrait.periods import resolve_periods, vintages_used
from abs_lib.portrait.tables import side_by_side
from abs_lib.sources.importing import import_files
from abs_lib.sources.readers import read_table
from abs_lib.sources.store import Store

PLAINE = "200000925"


@pytest.fixture(scope="module")
def store(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("everything")
    files = sorted(p for p in shared_data.rglob("*") if p.suffix in (".csv", ".geojson"))
    results = import_files(files, Store(root))
    assert sum(r.ok for r in results) >= 20
    return root


@pytest.fixture(scope="module")
def table_2016(store):
    return indicator_table(PLAINE, data_dir=store, vintage=2016)


def test_a_merged_commune_gets_no_summed_median(table_2016, shared_data):
    """Collonges-et-Premières (21183): 22 056 € + 23 102 € is not a median."""
    row = table_2016[(table_2016["territory"] == "21183") & (table_2016["indicator"] == "revenu_median")].iloc[0]
    assert math.isnan(row["value"])
    assert row["flags"] == "non publié à ce niveau (commune fusionnée)"
    raw = read_table(shared_data / "filosofi" / "FILO2016_DISP_COM_dep21.csv").set_index("CODGEO")
    households = table_2016[(table_2016["territory"] == "21183") & (table_2016["indicator"] == "menages_fiscaux")]
    assert households["value"].item() == raw.loc["21183", "NBMEN16"] + raw.loc["21507", "NBMEN16"]


def test_no_non_additive_commune_value_is_a_sum_of_published_ones(table_2016, shared_data):
    raw = read_table(shared_data / "filosofi" / "FILO2016_DISP_COM_dep21.csv").set_index("CODGEO")
    communes = table_2016[(table_2016["level"] == "commune") & (table_2016["unit"] == "€")]
    for _, row in communes.dropna(subset=["value"]).iterrows():
        assert row["territory"] in raw.index     # a value is only ever the one published for that commune
        published = pd.to_numeric(raw.loc[row["territory"]].drop("LIBGEO"), errors="coerce").dropna()
        assert row["value"] in set(published)


def test_every_code_of_the_2016_file_is_accounted_for(table_2016, shared_data):
    notes = table_2016.attrs["notes"]
    (note,) = [n for n in notes if "FILO2016_DISP_COM_dep21.csv" in n]
    assert "géographie 2018" in note and "533 sur 533" in note
    codes = set(read_table(shared_data / "filosofi" / "FILO2016_DISP_COM_dep21.csv")["CODGEO"])
    kept = int(note.split("code(s) repris tels quels")[0].rsplit(" ", 2)[-2])
    named = {c for c in codes if c in note}
    assert kept + len(named) == len(codes)
    assert {"21507", "21213", "21486"} <= named


def test_missing_reasons_never_call_an_imported_dataset_absent(store, table_2016):
    imported = {e.dataset for e in Store(store).entries()}
    flags = table_2016["flags"].astype(str)
    assert not flags.str.contains("source absente").any()
    named = flags[flags.str.startswith("non importé: ")].str.split(": ").str[1].str.split(" ").str[0]
    assert not set(named) & imported
    # the CAF IRIS files are imported but do not cover the Plaine's communes: said so
    caf = table_2016[(table_2016["territory"] == "21292") & (table_2016["indicator"] == "allocataires_caf")]
    assert caf.empty or "non importé: caf-iris" not in set(caf["flags"])


@pytest.fixture(scope="module")
def portrait(store):
    return open_portrait(PLAINE, data_dir=store)


def test_update_shows_income_and_population_before_and_after(portrait, shared_data):
    periods = resolve_periods(portrait)
    assert (periods.baseline, periods.update) == (2016, 2022) or periods.baseline == 2016
    table = side_by_side(portrait, ["revenu_median", "population"], baseline=2016, update=2022).set_index("Indicateur")
    median = table.loc["Revenu disponible médian par unité de consommation"]
    epci16 = read_table(shared_data / "filosofi" / "FILO2016_DISP_EPCI.csv").set_index("CODGEO").loc[PLAINE, "Q216"]
    epci19 = read_table(shared_data / "filosofi" / "FILO2019_DISP_EPCI.csv").set_index("CODGEO").loc[PLAINE, "Q219"]
    assert (epci16, epci19) == (22346, 23660)
    assert median["Avant"].replace("\u00a0", " ") == "22 346 €" and median["Millésime avant"] == "2016"
    assert median["Après"].replace("\u00a0", " ") == "23 660 €" and median["Millésime après"] == "2019"
    assert median["Évolution"].replace("\u00a0", " ") == "+1 314 € (2016 → 2019)"   # FiLoSoFi: no census rule
    population = table.loc["Population"]
    comparateur = read_table(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv").set_index("CODGEO")
    members = list(portrait.territory.communes)
    p16, p22 = comparateur.loc[members, "P16_POP"].sum(), comparateur.loc[members, "P22_POP"].sum()
    assert population["Avant"].replace("\u00a0", " ") == f"{p16:,.0f}".replace(",", " ")
    assert population["Après"].replace("\u00a0", " ") == f"{p22:,.0f}".replace(",", " ")
    assert (population["Millésime avant"], population["Millésime après"]) == ("2016", "2022")
    assert population["Évolution"].endswith("(2016 → 2022)")   # 6 years apart: INSEE allows it


def test_update_says_which_vintage_each_source_brings(portrait):
    text = vintages_used(portrait, ["revenu_median", "population"], 2016)
    assert text == "FiLoSoFi 2016, RP 2016"


def test_default_baseline_follows_the_census_rule(portrait):
    periods = resolve_periods(portrait, update=2022)
    assert periods.baseline == 2016 and "2016" in periods.notes[0]
    close = resolve_periods(portrait, baseline=2019, update=2022)
    table = side_by_side(portrait, ["population"], baseline=close.baseline, update=close.update)
    assert table.loc[0, "Évolution"] == "" or "2016" in table.loc[0, "Millésime avant"]


def test_a_file_covering_part_of_the_territory_names_the_communes_it_lacks(store):
    """The RP 2019 IRIS population extract covers 18 of the 22 communes: no partial sum."""
    table = indicator_table(PLAINE, data_dir=store, vintage=2019)
    own = table[(table["territory"] == PLAINE) & (table["indicator"] == "population")].iloc[0]
    assert math.isnan(own["value"])
    assert own["flags"] == "hors champ du fichier (communes non couvertes : 21130, 21242, 21330, 21487)"
    genlis = table[(table["territory"] == "21292") & (table["indicator"] == "population")].iloc[0]
    assert genlis["value"] > 5000 and genlis["source"] == "rp-population-iris 2019"


def test_a_merged_commune_missing_a_former_commune_is_out_of_scope_not_secret(store):
    """The 2017-edition comparateur lacks Premières (21507): Collonges-et-Premières' 2019 births
    cannot be summed; it is said to be outside the file, not secret."""
    table = indicator_table(PLAINE, data_dir=store, vintage=2019)
    row = table[(table["territory"] == "21183") & (table["indicator"] == "naissances")].iloc[0]
    assert math.isnan(row["value"]) and row["flags"] == "hors champ du fichier"


def test_an_older_geography_says_which_merger_prevents_the_figure(store):
    """The files are in the 2026 geography: in 2019's, Premières (21507) cannot be separated
    from Collonges-et-Premières; the message names the merger, not a missing census file."""
    from abs_lib.errors import AbsError

    with pytest.raises(AbsError, match="21507 Premières a fusionné en 2020 dans 21183 Collonges-et-Premières"):
        open_portrait(PLAINE, year=2019, data_dir=store)


def test_a_figure_resting_on_an_unconfirmed_registry_entry_says_so(store):
    """The CAF coverage rate's columns come from a redistributor's file (data.caf.fr header not
    seen): the value is shown, with the caution, in the report's theme table."""
    from abs_lib.portrait.tables import UNCONFIRMED, theme_table

    dijon = open_portrait("21231", data_dir=store)
    table = theme_table(dijon, "petite-enfance").set_index("Indicateur")
    row = table.loc["Taux de couverture global de l'accueil du jeune enfant (publié par la CAF)"]
    assert row["Dijon"] != "n.d." and UNCONFIRMED in row["Remarques"]
    assert UNCONFIRMED not in table.loc["Enfants de moins de 3 ans", "Remarques"]   # no value, no caution
