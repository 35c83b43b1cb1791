"""Indicator engine on small hand-made tables; expected values are worked out in comments.

Geography used throughout:
    commune  epci        dep  region
    01001 A  200000001   01   84
    01002 B  200000001   01   84
    01003 D  200000003   01   84
    02001 C  200000002   02   32
"""

import math

import numpy as np
import pandas as pd
import pytest

from abs_lib.errors import IndicatorError
from abs_lib.indicators import (
    compute_indicators,
    has_flag,
    local_places_by_commune,
    sum_iris_to_communes,
    territory_view,
)

A, B, D, C = "01001", "01002", "01003", "02001"
E1, E2, E3 = "200000001", "200000002", "200000003"


def membership():
    return pd.DataFrame({
        "commune": [A, B, D, C],
        "epci": [E1, E1, E3, E2],
        "departement": ["01", "01", "01", "02"],
        "region": ["84", "84", "84", "32"],
        "metropole": True,
    })


def frame(rows: dict, index=None) -> pd.DataFrame:
    """{code: {var: value}} -> commune-indexed frame with str codes."""
    out = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    out.index = pd.Index(list(rows), dtype=object)
    return out


def value(table, level, code, indicator, vintage=None):
    sel = (table["level"] == level) & (table["territory"] == code) & (table["indicator"] == indicator)
    if vintage is not None:
        sel &= table["vintage"] == vintage
    rows = table[sel]
    assert len(rows) == 1, (level, code, indicator, len(rows))
    return rows.iloc[0]


POP_2019 = frame({
    A: {"P_POP": 3000, "P_POP75P": 300, "P_POP65P": 600, "P_POP0019": 700, "P_POP6074": 420, "P_POP0002": 100.5},
    B: {"P_POP": 1500, "P_POP75P": 240, "P_POP65P": 400, "P_POP0019": 250, "P_POP6074": 300, "P_POP0002": 60.25},
    D: {"P_POP": 500, "P_POP75P": 110, "P_POP65P": 150, "P_POP0019": 90, "P_POP6074": 80, "P_POP0002": 40},
    C: {"P_POP": 2500, "P_POP75P": 250, "P_POP65P": 500, "P_POP0019": 500, "P_POP6074": 400, "P_POP0002": 80},
})


# ------------------------------------------------------------------------- démographie

def test_demography_counts_and_ratios_are_sum_then_divide():
    t = compute_indicators(membership(), {("rp-population-iris", 2019): POP_2019},
                           indicators=["population", "part_75_plus", "indice_vieillissement", "part_60_plus"])
    # EPCI 1 = A + B: population 3000 + 1500 = 4500
    assert value(t, "epci", E1, "population").value == 4500
    # part of 75+: (300 + 240) / 4500 × 100 = 12.0 (a mean of ratios would give (10 + 16) / 2 = 13)
    row = value(t, "epci", E1, "part_75_plus")
    assert row.value == pytest.approx(12.0)
    assert (row.numerator, row.denominator) == (540, 4500)
    assert value(t, "commune", B, "part_75_plus").value == pytest.approx(16.0)   # 240 / 1500
    # ageing index: (600 + 400) / (700 + 250) × 100 = 105.263…
    assert value(t, "epci", E1, "indice_vieillissement").value == pytest.approx(1000 / 950 * 100)
    # 60+ = 60-74 + 75+: (420 + 300 + 300 + 240) / 4500 × 100 = 28.0
    assert value(t, "epci", E1, "part_60_plus").value == pytest.approx(28.0)
    # département 01 = A + B + D: (300 + 240 + 110) / 5000 × 100 = 13.0
    assert value(t, "departement", "01", "part_75_plus").value == pytest.approx(13.0)
    # France: (300 + 240 + 110 + 250) / 7500 × 100 = 12.0
    assert value(t, "france", "FRANCE", "part_75_plus").value == pytest.approx(12.0)
    assert value(t, "metropole", "METRO", "population").value == 7500
    # D has 110 people aged 75+: fewer than 200 -> flagged, still computed
    row = value(t, "commune", D, "part_75_plus")
    assert row.value == pytest.approx(22.0) and "petit effectif" in row["flags"]
    assert value(t, "commune", A, "part_75_plus")["flags"] == ""
    assert value(t, "epci", E1, "part_75_plus").source == "rp-population-iris 2019"


def test_second_alternative_when_75_plus_is_split_in_two_bands():
    # Dossier complet 2022 gives 75-89 and 90+ instead of 75+
    pop = frame({A: {"P_POP": 1000, "P_POP7589": 80.5, "P_POP90P": 9.5}})
    m = membership().iloc[:1]
    t = compute_indicators(m, {("insee-dossier-complet", 2022): pop}, indicators=["part_75_plus"])
    assert value(t, "commune", A, "part_75_plus").value == pytest.approx(9.0)   # (80.5 + 9.5) / 1000


def test_population_growth_uses_the_closest_comparable_census():
    pop2013 = frame({A: {"P_POP": 2800}, B: {"P_POP": 1500}, D: {"P_POP": 520}, C: {"P_POP": 2500}})
    pop2016 = frame({A: {"P_POP": 2900}, B: {"P_POP": 1500}, D: {"P_POP": 510}, C: {"P_POP": 2500}})
    tables = {("rp-population-commune", 2013): pop2013, ("rp-population-commune", 2016): pop2016,
              ("rp-population-commune", 2019): POP_2019}
    t = compute_indicators(membership(), tables, vintages=[2019], indicators=["evolution_population"])
    # 2016 is only 3 years before 2019 (6 required with 2019): 2013 is used.
    # EPCI 1: 4300 -> 4500 in 6 years: ((4500 / 4300) ** (1 / 6) - 1) × 100 = 0.7604… % per year
    row = value(t, "epci", E1, "evolution_population")
    assert row.value == pytest.approx(((4500 / 4300) ** (1 / 6) - 1) * 100)
    assert (row.numerator, row.denominator) == (4500, 4300)
    assert row.source == "rp-population-commune 2019 + rp-population-commune 2013"
    t2 = compute_indicators(membership(), {k: v for k, v in tables.items() if k[1] != 2013},
                            vintages=[2019], indicators=["evolution_population"])
    row = value(t2, "epci", E1, "evolution_population")
    assert math.isnan(row.value) and row["flags"].startswith("non comparable")


# ------------------------------------------------------------------------- petite enfance

def test_coverage_rate_published_per_epci_wins_over_sum_of_communes():
    places_com = frame({A: {"tot_offre": 50}, B: {"tot_offre": 30}})      # communes published (10k+)
    places_epci = frame({E1: {"tot_offre": 70}})                          # EPCI published
    t = compute_indicators(
        membership(),
        {("rp-population-iris", 2019): POP_2019, ("caf-places-accueil-jeune-enfant", 2019): places_com},
        {("caf-places-accueil-jeune-enfant", 2019, "epci"): places_epci},
        indicators=["taux_couverture_accueil_jeune_enfant"])
    # commune A: 50 / 100.5 × 100 = 49.75…
    assert value(t, "commune", A, "taux_couverture_accueil_jeune_enfant").value == pytest.approx(50 / 100.5 * 100)
    # EPCI 1 reads the published 70 places (not 50 + 30): 70 / (100.5 + 60.25) × 100 = 43.55…
    row = value(t, "epci", E1, "taux_couverture_accueil_jeune_enfant")
    assert row.value == pytest.approx(70 / 160.75 * 100) and row.numerator == 70
    # département 01: no published table, D is absent from the commune table -> missing, not 0
    row = value(t, "departement", "01", "taux_couverture_accueil_jeune_enfant")
    assert math.isnan(row.value) and row["flags"] == "hors champ du fichier"
    assert math.isnan(value(t, "epci", E3, "taux_couverture_accueil_jeune_enfant").value)


def test_coverage_rate_sums_the_four_modes_when_total_is_missing():
    places = frame({E1: {"pl_eaje": 20, "pl_am_ind": 40.0, "pl_gad_ind": 3, "pl_prescol": 7}})
    t = compute_indicators(membership(), {("rp-population-iris", 2019): POP_2019},
                           {("caf-places-accueil-jeune-enfant", 2019, "epci"): places},
                           levels=["epci"], indicators=["taux_couverture_accueil_jeune_enfant",
                                                        "taux_couverture_eaje"])
    # (20 + 40 + 3 + 7) / 160.75 × 100 = 43.55… ; EAJE only: 20 / 160.75 × 100 = 12.44…
    assert value(t, "epci", E1, "taux_couverture_accueil_jeune_enfant").value == pytest.approx(70 / 160.75 * 100)
    assert value(t, "epci", E1, "taux_couverture_eaje").value == pytest.approx(20 / 160.75 * 100)


def test_local_coverage_rate_from_the_analysts_file():
    structures = pd.DataFrame({
        "nom_structure": ["Crèche 1", "Micro-crèche", "Halte fermée", "Crèche D"],
        "code_commune": [A, A, A, D],
        "type": ["multi-accueil", "micro-crèche", "halte-garderie", "multi-accueil"],
        "places": [30, 10, 15, 12],
        "date_ouverture": ["2010-01-04", "2019-09-02", "2001-01-01", "2015-05-01"],
        "date_fermeture": [None, None, "2018-06-30", None],
    })
    local = local_places_by_commune(structures, as_of="2019-12-31", communes=[A, B, D])
    # A: 30 + 10 (the halte closed in 2018); B: covered, no structure -> 0; C not covered -> absent
    assert local["PLACES_LOCAL"].to_dict() == {A: 40.0, B: 0.0, D: 12.0}
    t = compute_indicators(membership(), {("rp-population-iris", 2019): POP_2019,
                                          ("local-accueil-jeune-enfant", 2019): local},
                           indicators=["taux_couverture_local"])
    # EPCI 1: 40 / 160.75 × 100 = 24.88… ; D: 12 / 40 × 100 = 30
    assert value(t, "epci", E1, "taux_couverture_local").value == pytest.approx(40 / 160.75 * 100)
    assert value(t, "commune", D, "taux_couverture_local").value == pytest.approx(30.0)
    assert math.isnan(value(t, "commune", C, "taux_couverture_local").value)


def test_vintage_map_pairs_local_places_with_an_older_census():
    local = frame({A: {"PLACES_LOCAL": 40}})
    t = compute_indicators(membership().iloc[:1], {("rp-population-iris", 2019): POP_2019.loc[[A]],
                                                   ("local-accueil-jeune-enfant", 2024): local},
                           vintages=[2024], indicators=["taux_couverture_local"],
                           vintage_map={"rp-population-iris": {2024: 2019}})
    row = value(t, "commune", A, "taux_couverture_local")
    assert row.value == pytest.approx(40 / 100.5 * 100)
    assert row.source == "local-accueil-jeune-enfant 2024 + rp-population-iris 2019"


# ------------------------------------------------------------------------- familles

def test_complementary_variables_flag_small_zones():
    fam = frame({A: {"C_MENPSEUL": 400, "C_MEN": 1300}, B: {"C_MENPSEUL": 210, "C_MEN": 640},
                 D: {"C_MENPSEUL": 60, "C_MEN": 220}, C: {"C_MENPSEUL": 300, "C_MEN": 1100}})
    t = compute_indicators(membership(), {("rp-population-iris", 2019): POP_2019,
                                          ("rp-familles-commune", 2019): fam},
                           indicators=["part_personnes_seules"])
    # EPCI 1: (400 + 210) / (1300 + 640) × 100 = 31.44… ; 4 500 inhabitants: no caution
    row = value(t, "epci", E1, "part_personnes_seules")
    assert row.value == pytest.approx(610 / 1940 * 100) and row["flags"] == ""
    # B has 1 500 inhabitants (< 2 000): complementary exploitation flagged
    assert value(t, "commune", B, "part_personnes_seules")["flags"] == "exploitation complémentaire < 2 000 hab."
    # D: 500 inhabitants and 60 single-person households: both cautions
    assert value(t, "commune", D, "part_personnes_seules")["flags"] == \
        "petit effectif; exploitation complémentaire < 2 000 hab."


def test_average_household_size_mixes_two_census_tables():
    log = frame({A: {"P_RP": 1250, "P_PMEN": 2950}, B: {"P_RP": 640, "P_PMEN": 1480}})
    t = compute_indicators(membership().iloc[:2], {("rp-logement-commune", 2019): log},
                           indicators=["taille_moyenne_menages"])
    # (2950 + 1480) / (1250 + 640) = 2.3439… persons per household (scale 1)
    assert value(t, "epci", E1, "taille_moyenne_menages").value == pytest.approx(4430 / 1890)


# ------------------------------------------------------------------------- revenus

def test_income_values_are_read_at_each_level_never_rebuilt():
    disp_com = frame({A: {"Q2": 21500.0}, B: {"Q2": np.nan}})            # B secret, D and C absent
    disp_epci = frame({E1: {"Q2": 21000.0}, E2: {"Q2": np.nan}})
    disp_dep = frame({"01": {"Q2": 20500.0}, "02": {"Q2": 19000.0}})
    disp_metro = frame({"1": {"Q2": 21930.0}})
    levels = {("filosofi-disp", 2019, "commune"): disp_com, ("filosofi-disp", 2019, "epci"): disp_epci,
              ("filosofi-disp", 2019, "departement"): disp_dep, ("filosofi-disp", 2019, "metropole"): disp_metro}
    t = compute_indicators(membership(), None, levels, indicators=["revenu_median"])
    assert value(t, "epci", E1, "revenu_median").value == 21000            # as published
    assert value(t, "metropole", "METRO", "revenu_median").value == 21930  # single row, code ignored
    row = value(t, "epci", E2, "revenu_median")
    assert math.isnan(row.value) and row["flags"] == "secret statistique"
    row = value(t, "commune", D, "revenu_median")
    assert math.isnan(row.value) and row["flags"] == "hors champ du fichier"
    # no EPCI 3 / région table: never recomputed from communes
    assert math.isnan(value(t, "epci", E3, "revenu_median").value)
    row = value(t, "region", "84", "revenu_median")
    assert math.isnan(row.value) and row["flags"] == "non importé au niveau région: filosofi-disp 2019"


def test_median_falls_back_to_the_comparateur():
    comp = frame({A: {"MED": 22000.0}})
    t = compute_indicators(membership().iloc[:1], None, {("insee-comparateur", 2021, "commune"): comp},
                           levels=["commune"], indicators=["revenu_median"])
    row = value(t, "commune", A, "revenu_median")
    assert row.value == 22000 and row.source == "insee-comparateur 2021"


# ------------------------------------------------------------------------- emploi

def test_unemployment_rate():
    act = frame({A: {"P_CHOM1564": 150, "P_ACT1564": 1400}, B: {"P_CHOM1564": 90, "P_ACT1564": 700}})
    t = compute_indicators(membership().iloc[:2], {("rp-activite-commune", 2019): act},
                           indicators=["taux_chomage_15_64"])
    # (150 + 90) / (1400 + 700) × 100 = 11.428…
    assert value(t, "epci", E1, "taux_chomage_15_64").value == pytest.approx(240 / 2100 * 100)
    # B: 90 unemployed (< 200) -> caution
    assert "petit effectif" in value(t, "commune", B, "taux_chomage_15_64")["flags"]


# ------------------------------------------------------------------------- CAF

def test_caf_iris_summed_to_communes_then_ratios():
    iris = pd.DataFrame({
        "CODGEO": ["010010101", "010010102", "01002"],
        "NOTE": ["0", "0", "0"],
        "A": [100.0, 150.0, 80.0], "ARSAS": [10.0, 20.0, 8.0],
    })
    caf = sum_iris_to_communes(iris)
    assert caf.to_dict("index") == {A: {"A": 250.0, "ARSAS": 30.0}, B: {"A": 80.0, "ARSAS": 8.0}}
    t = compute_indicators(membership().iloc[:2], {("caf-iris", 2019): caf},
                           indicators=["allocataires_caf", "part_allocataires_rsa"])
    # EPCI 1: 250 + 80 = 330 allocataires; RSA share (30 + 8) / 330 × 100 = 11.51…
    assert value(t, "epci", E1, "allocataires_caf").value == 330
    assert value(t, "epci", E1, "part_allocataires_rsa").value == pytest.approx(38 / 330 * 100)
    assert value(t, "commune", B, "part_allocataires_rsa")["flags"] == ""     # not a census sample


# ------------------------------------------------------------------------- missing values

def test_a_secret_member_makes_the_sum_missing_never_zero():
    pop = POP_2019.copy()
    pop.loc[B, "P_POP75P"] = np.nan
    t = compute_indicators(membership(), {("rp-population-commune", 2019): pop},
                           indicators=["personnes_75_plus", "part_75_plus"])
    for indicator in ("personnes_75_plus", "part_75_plus"):
        row = value(t, "epci", E1, indicator)
        assert math.isnan(row.value) and row["flags"] == "secret statistique"
        assert math.isnan(value(t, "departement", "01", indicator).value)
    assert value(t, "departement", "02", "personnes_75_plus").value == 250   # untouched


def test_partial_sums_only_when_allowed_and_flagged():
    pop = POP_2019.copy()
    pop.loc[B, "P_POP75P"] = np.nan
    t = compute_indicators(membership(), {("rp-population-commune", 2019): pop}, allow_partial=True,
                           indicators=["personnes_75_plus"])
    row = value(t, "epci", E1, "personnes_75_plus")
    assert row.value == 300 and row["flags"] == "secret statistique; somme partielle"
    assert value(t, "commune", B, "personnes_75_plus")["flags"] == "secret statistique"


def test_iris_partial_sums_propagate_to_the_flags():
    iris = pd.DataFrame({"CODGEO": ["010010101", "010010102", "01002"], "A": [100.0, np.nan, 80.0]})
    strict = sum_iris_to_communes(iris)
    assert math.isnan(strict.loc[A, "A"]) and strict.loc[B, "A"] == 80
    partial = sum_iris_to_communes(iris, allow_partial=True)
    assert partial.loc[A, "A"] == 100 and bool(partial.loc[A, "_partial"]) and not partial.loc[B, "_partial"]
    t = compute_indicators(membership().iloc[:2], {("caf-iris", 2019): partial}, indicators=["allocataires_caf"])
    assert value(t, "commune", A, "allocataires_caf")["flags"] == "somme partielle"
    row = value(t, "epci", E1, "allocataires_caf")
    assert row.value == 180 and row["flags"] == "somme partielle"


def test_zero_denominator_gives_missing_value_with_reason():
    act = frame({A: {"P_CHOM1564": 0, "P_ACT1564": 0}})
    t = compute_indicators(membership().iloc[:1], {("rp-activite-commune", 2019): act},
                           levels=["commune"], indicators=["taux_chomage_15_64"])
    row = value(t, "commune", A, "taux_chomage_15_64")
    assert math.isnan(row.value) and "dénominateur nul" in row["flags"]


def test_indicators_without_data_are_rows_not_dropped():
    t = compute_indicators(membership(), {("rp-population-iris", 2019): POP_2019})
    n_territories = 4 + 3 + 2 + 2 + 1 + 1
    assert len(t) == n_territories * t["indicator"].nunique()
    assert t["indicator"].nunique() >= 40
    absent = t[t["indicator"] == "taux_pauvrete"]
    assert absent["value"].isna().all()
    assert set(absent["flags"].astype(str)) == {"non importé: filosofi-pauvrete"}
    assert has_flag(t, "non importé").sum() > 0
    assert list(t.columns) == ["territory", "level", "indicator", "label", "theme", "vintage", "value",
                               "numerator", "denominator", "unit", "source", "flags"]


def test_a_table_without_the_variable_says_which_one():
    act = frame({A: {"P_ACT1564": 1400}})       # P_POP1564 not in the table
    t = compute_indicators(membership().iloc[:1], {("rp-activite-commune", 2019): act},
                           levels=["commune"], indicators=["taux_activite_15_64"])
    assert value(t, "commune", A, "taux_activite_15_64")["flags"] == \
        "variable absente du fichier importé: P_POP1564 (rp-activite-commune 2019)"


# ------------------------------------------------------------------------- territory view

def test_territory_view_gives_communes_and_references():
    m = membership()
    m.loc[3, "epci"] = E1          # C joins EPCI 1: it now spans départements 01 and 02
    t = compute_indicators(m, {("rp-population-iris", 2019): POP_2019}, indicators=["population"])
    view = territory_view(t, m, "epci", E1)
    got = [(r.role, r.level, r.territory) for r in view.itertuples()]
    assert got == [("territoire", "epci", E1), ("commune membre", "commune", A),
                   ("commune membre", "commune", B), ("commune membre", "commune", C),
                   ("référence", "departement", "01"), ("référence", "departement", "02"),
                   ("référence", "region", "32"), ("référence", "region", "84"),
                   ("référence", "metropole", "METRO")]
    assert view.iloc[0].value == 3000 + 1500 + 2500


def test_overseas_communes_are_compared_with_france_not_metropole():
    m = pd.DataFrame({"commune": [A, "97101"], "epci": [E1, "249710047"], "departement": ["01", "971"],
                      "region": ["84", "01"]})                       # no metropole column: derived
    pop = frame({A: {"P_POP": 3000}, "97101": {"P_POP": 2000}})
    t = compute_indicators(m, {("rp-population-commune", 2019): pop}, indicators=["population"])
    assert value(t, "metropole", "METRO", "population").value == 3000
    assert value(t, "france", "FRANCE", "population").value == 5000
    view = territory_view(t, m, "commune", "97101")
    assert [(r.role, r.level, r.territory) for r in view.itertuples()] == [
        ("territoire", "commune", "97101"), ("référence", "departement", "971"),
        ("référence", "region", "01"), ("référence", "france", "FRANCE")]


# ------------------------------------------------------------------------- input errors

def test_numeric_codes_are_refused():
    pop = POP_2019.copy()
    pop.index = [1001, 1002, 1003, 2001]
    with pytest.raises(IndicatorError, match="texte"):
        compute_indicators(membership(), {("rp-population-commune", 2019): pop}, indicators=["population"])
    m = membership()
    m["commune"] = [1001, 1002, 1003, 2001]
    with pytest.raises(IndicatorError, match="numérique"):
        compute_indicators(m, {("rp-population-iris", 2019): POP_2019}, indicators=["population"])


def test_membership_must_be_complete_and_unique():
    with pytest.raises(IndicatorError, match="epci"):
        compute_indicators(membership().drop(columns="epci"), {("rp-population-iris", 2019): POP_2019})
    m = pd.concat([membership(), membership().iloc[:1]])
    with pytest.raises(IndicatorError, match="plusieurs fois"):
        compute_indicators(m, {("rp-population-iris", 2019): POP_2019})


def test_secret_markers_must_be_converted_first():
    pop = pd.DataFrame({"P_POP": ["1000", "s"]}, index=pd.Index([A, B], dtype=object))
    with pytest.raises(IndicatorError, match="secret"):
        compute_indicators(membership().iloc[:2], {("rp-population-commune", 2019): pop}, indicators=["population"])
