"""The engine on real extracts (Côte-d'Or, all-France EPCI membership 2020).

Files are read in place through the ``shared_data`` fixture with the project's reader.
Expected values come from the files themselves (read independently with pandas) or from
figures printed in shared/data/README.md.
"""

import math

import pandas as pd
import pytest

from abs_lib.indicators import (
    compute_evolutions,
    compute_indicators,
    rank_enjeux,
    sum_iris_to_communes,
    territory_view,
)
from abs_lib.sources.readers import read_table
from abs_lib.sources.variables import normalise_columns

PLAINE_DIJONNAISE = "200000925"


@pytest.fixture(scope="module")
def membership(shared_data):
    geo = read_table(shared_data / "geo" / "EPCI_2020_commune_to_epci.csv")
    return pd.DataFrame({"commune": geo["CODGEO"], "epci": geo["EPCI"], "departement": geo["DEP"],
                         "region": geo["REG"]})


def indexed(frame, code="CODGEO"):
    out = frame.set_index(code)
    out.index = pd.Index(out.index.astype(str), dtype=object)
    return out


@pytest.fixture(scope="module")
def comparateur(shared_data):
    return read_table(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv")


@pytest.fixture(scope="module")
def table(shared_data, membership, comparateur):
    commune_tables = {
        ("insee-comparateur", 2022): indexed(normalise_columns(comparateur, vintage=2022)),
        ("insee-comparateur", 2016): indexed(normalise_columns(comparateur, vintage=2016)),
    }
    level_tables = {("insee-comparateur", 2021, "commune"): indexed(normalise_columns(comparateur, vintage=2021))}
    for level, name in (("epci", "EPCI"), ("departement", "DEP"), ("metropole", "METROPOLE")):
        frame = read_table(shared_data / "filosofi" / f"FILO2019_DISP_{name}.csv")
        level_tables[("filosofi-disp", 2019, level)] = indexed(normalise_columns(frame))
    return compute_indicators(
        membership, commune_tables, level_tables, vintages=[2016, 2019, 2021, 2022],
        indicators=["population", "evolution_population", "taux_chomage_15_64", "part_proprietaires",
                    "revenu_median", "rapport_interdecile", "part_prestations_sociales", "part_menages_imposes"])


def row(t, level, code, indicator, vintage):
    sel = t[(t["level"] == level) & (t["territory"] == code) & (t["indicator"] == indicator)
            & (t["vintage"] == vintage)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_departement_totals_match_the_published_figures(table):
    # shared/data/README.md: département 21 totals P22_POP 537 577, P16_POP 533 213
    assert row(table, "departement", "21", "population", 2022)["value"] == pytest.approx(537577)
    assert row(table, "departement", "21", "population", 2016)["value"] == pytest.approx(533213)
    # ((537577 / 533213) ** (1 / 6) - 1) × 100: 2016 -> 2022 is 6 years, allowed with RP2022
    r = row(table, "departement", "21", "evolution_population", 2022)
    assert r["value"] == pytest.approx(((537577 / 533213) ** (1 / 6) - 1) * 100)
    # communes of other départements are absent from the extract: their totals are missing
    r = row(table, "departement", "75", "population", 2022)
    assert math.isnan(r["value"]) and r["flags"] == "hors champ du fichier"


def test_epci_is_the_sum_of_its_22_communes(table, membership, comparateur):
    members = membership.loc[membership["epci"] == PLAINE_DIJONNAISE, "commune"]
    assert len(members) == 22
    data = comparateur.set_index("CODGEO")
    expected_pop = data.loc[list(members), "P22_POP"].sum()
    assert row(table, "epci", PLAINE_DIJONNAISE, "population", 2022)["value"] == pytest.approx(expected_pop)
    chom = data.loc[list(members), "P22_CHOM1564"].sum() / data.loc[list(members), "P22_ACT1564"].sum() * 100
    assert row(table, "epci", PLAINE_DIJONNAISE, "taux_chomage_15_64", 2022)["value"] == pytest.approx(chom)


def test_filosofi_values_are_read_at_each_level(table, shared_data):
    epci = read_table(shared_data / "filosofi" / "FILO2019_DISP_EPCI.csv").set_index("CODGEO")
    dep = read_table(shared_data / "filosofi" / "FILO2019_DISP_DEP.csv").set_index("CODGEO")
    assert row(table, "epci", PLAINE_DIJONNAISE, "revenu_median", 2019)["value"] == epci.loc[PLAINE_DIJONNAISE, "Q219"]
    assert row(table, "departement", "21", "rapport_interdecile", 2019)["value"] == dep.loc["21", "RD"]
    # France métropolitaine 2019: Q219 = 21 930 (first data row of FILO2019_DISP_METROPOLE.csv)
    assert row(table, "metropole", "METRO", "revenu_median", 2019)["value"] == 21930
    # no région file: never rebuilt from départements or communes
    assert row(table, "region", "27", "revenu_median", 2019)["flags"] == "non importé au niveau région: filosofi-disp 2019"


def test_comparateur_median_and_secret_share(table):
    # 21001: MED21 = 27800 ; PIMP21 = "s" (secret) in the file
    assert row(table, "commune", "21001", "revenu_median", 2021)["value"] == 27800
    r = row(table, "commune", "21001", "part_menages_imposes", 2021)
    assert math.isnan(r["value"]) and r["flags"] == "secret statistique"


def test_view_of_the_plaine_dijonnaise(table, membership):
    view = territory_view(table[table["vintage"] == 2019], membership, "epci", PLAINE_DIJONNAISE)
    assert (view["role"] == "commune membre").sum() == 22 * view["indicator"].nunique()
    refs = set(zip(view.loc[view["role"] == "référence", "level"].astype(str),
                   view.loc[view["role"] == "référence", "territory"].astype(str)))
    assert refs == {("departement", "21"), ("region", "27"), ("metropole", "METRO")}


def test_enjeux_on_real_filosofi(table, membership, shared_data):
    epci = read_table(shared_data / "filosofi" / "FILO2019_DISP_EPCI.csv").set_index("CODGEO")
    dep = read_table(shared_data / "filosofi" / "FILO2019_DISP_DEP.csv").set_index("CODGEO")
    code = "242101442"
    # its median (file: 19 930) is below the département's (22 590): lower income signals need
    assert epci.loc[code, "Q219"] < dep.loc["21", "Q219"]
    enjeux = rank_enjeux(table, membership, "epci", code, vintage=2019)
    again = rank_enjeux(table, membership, "epci", code, vintage=2019)
    pd.testing.assert_frame_equal(enjeux, again)
    first = enjeux.iloc[0]
    assert first["indicator"] == "revenu_median"
    assert first["relative_gap"] == pytest.approx((dep.loc["21", "Q219"] - epci.loc[code, "Q219"]) / dep.loc["21", "Q219"])
    assert first["text"] == ("Revenu disponible médian par unité de consommation : 19\u00a0930\u00a0€, contre "
                             "22\u00a0590\u00a0€ dans le département (21) et 21\u00a0930\u00a0€ en France métropolitaine")


def test_real_epci_spanning_two_departements(table, membership):
    # 200006682 has communes in Côte-d'Or (21) and Saône-et-Loire (71) in the 2020 membership file
    assert set(membership.loc[membership["epci"] == "200006682", "departement"]) == {"21", "71"}
    enjeux = rank_enjeux(table, membership, "epci", "200006682", vintage=2019)
    assert len(enjeux) >= 1
    for r in enjeux.itertuples():
        assert r.reference_codes == "21, 71"
        assert "dans le département (21)" in r.text and "dans le département (71)" in r.text


def test_close_census_vintages_refused_on_real_table(table):
    from abs_lib.errors import NonComparableVintagesError
    with pytest.raises(NonComparableVintagesError):
        compute_evolutions(table, 2019, 2022, indicators=["population"])
    ev = compute_evolutions(table, 2016, 2022, indicators=["population"])
    r = ev[(ev["level"] == "departement") & (ev["territory"] == "21")].iloc[0]
    assert r["change"] == pytest.approx(537577 - 533213)


def test_caf_iris_files_summed_by_commune(shared_data):
    # 2016 carries DEPCOM, 2019 does not: both give the same communes (IRIS code[:5])
    f16 = read_table(shared_data / "caf" / "data_CAF_2016_IRIS_dep21.csv")
    f19 = read_table(shared_data / "caf" / "data_CAF_2019_IRIS_dep21.csv")
    assert (f16["DEPCOM"] == f16["CODGEO"].str[:5]).all()
    strict = sum_iris_to_communes(f19)
    partial = sum_iris_to_communes(f19, allow_partial=True)
    assert list(strict.index) == sorted(f19["CODGEO"].str[:5].unique())
    assert list(sum_iris_to_communes(f16).index) == list(strict.index)
    by_commune = f19.assign(com=f19["CODGEO"].str[:5]).groupby("com")
    for commune, iris in by_commune:
        if iris["A"].isna().any():          # a non-disseminated IRIS (NOTE > 0) makes the sum missing
            assert math.isnan(strict.loc[commune, "A"])
            assert partial.loc[commune, "A"] == iris["A"].sum() and partial.loc[commune, "_partial"]
        else:
            assert strict.loc[commune, "A"] == iris["A"].sum()
    assert "NOTE" not in strict.columns


# ----------------------------------------------------------------- alternatives and natural movement
# Expected values are sums of the raw CSV cells, read with plain pandas (not the project's reader).


def _raw_csv(path):
    return pd.read_csv(path, sep=";", dtype={"CODGEO": str}, encoding="utf-8-sig").set_index("CODGEO")


@pytest.fixture(scope="module")
def raw_files(shared_data):
    folder = shared_data / "insee_dossier_complet"
    return _raw_csv(folder / "dossier_complet_light_dep21.csv"), _raw_csv(folder / "base_cc_comparateur_dep21.csv")


@pytest.fixture(scope="module")
def movement_table(shared_data, membership):
    """Every vintage the two 2022 extracts hold, as the store loader splits them."""
    folder = shared_data / "insee_dossier_complet"
    dossier = read_table(folder / "dossier_complet_light_dep21.csv")
    comparateur = read_table(folder / "base_cc_comparateur_dep21.csv")
    tables = {("insee-dossier-complet", 2022): indexed(normalise_columns(dossier, vintage=2022))}
    for vintage in (2016, 2022, 2024):
        tables[("insee-comparateur", vintage)] = indexed(normalise_columns(comparateur, vintage=vintage))
    return compute_indicators(
        membership[membership["departement"] == "21"], tables, vintages=[2022, 2024],
        levels=("commune", "epci", "departement"),
        indicators=["part_familles_monoparentales", "part_couples_avec_enfants", "pop_75_plus", "part_75_plus",
                    "naissances", "deces", "solde_naturel", "taux_natalite", "taux_mortalite"])


def _members(membership, epci=PLAINE_DIJONNAISE):
    members = list(membership.loc[membership["epci"] == epci, "commune"])
    assert len(members) == 22
    return members


def test_single_parent_share_from_the_three_family_types(movement_table, membership, raw_files):
    """The 2022 extract has no C22_FAM: families = couples with children + couples without + single parents."""
    from abs_lib.formatting import format_number

    dossier, _ = raw_files
    assert "C22_FAM" not in dossier.columns
    parts = ["C22_COUPAENF", "C22_COUPSENF", "C22_FAMMONO"]
    for level, code, members, shown in (("epci", PLAINE_DIJONNAISE, _members(membership), "11,5"),
                                        ("departement", "21", list(dossier.index), "14,9")):
        sums = dossier.loc[members, parts].sum()
        r = row(movement_table, level, code, "part_familles_monoparentales", 2022)
        assert r["numerator"] == pytest.approx(sums["C22_FAMMONO"])
        assert r["denominator"] == pytest.approx(sums.sum())
        assert r["value"] == pytest.approx(sums["C22_FAMMONO"] / sums.sum() * 100)   # ratio of sums
        assert format_number(r["value"], "%", decimals=1) == f"{shown}\u00a0%"
        assert r["source"] == "insee-dossier-complet 2022"
    couples = row(movement_table, "epci", PLAINE_DIJONNAISE, "part_couples_avec_enfants", 2022)
    sums = dossier.loc[_members(membership), parts].sum()
    assert couples["value"] == pytest.approx(sums["C22_COUPAENF"] / sums.sum() * 100)


def test_75_plus_is_75_89_plus_90_and_over(movement_table, membership, raw_files):
    dossier, comparateur = raw_files
    members = _members(membership)
    expected = dossier.loc[members, "P22_POP7589"].sum() + dossier.loc[members, "P22_POP90P"].sum()
    assert row(movement_table, "epci", PLAINE_DIJONNAISE, "pop_75_plus", 2022)["value"] == pytest.approx(expected)
    share = row(movement_table, "epci", PLAINE_DIJONNAISE, "part_75_plus", 2022)
    assert share["value"] == pytest.approx(expected / comparateur.loc[members, "P22_POP"].sum() * 100)


def test_births_and_deaths_of_2024_are_summed_over_the_22_communes(movement_table, membership, raw_files):
    _, comparateur = raw_files
    members = _members(membership)
    births, deaths = comparateur.loc[members, "NAISD24"].sum(), comparateur.loc[members, "DECESD24"].sum()
    r = row(movement_table, "epci", PLAINE_DIJONNAISE, "naissances", 2024)
    assert r["value"] == births == 207 and r["source"] == "insee-comparateur 2024" and r["flags"] == ""
    assert row(movement_table, "epci", PLAINE_DIJONNAISE, "deces", 2024)["value"] == deaths
    assert row(movement_table, "epci", PLAINE_DIJONNAISE, "solde_naturel", 2024)["value"] == births - deaths
    # Côte-d'Or: more deaths than births, a negative balance stays negative
    assert row(movement_table, "departement", "21", "solde_naturel", 2024)["value"] == \
        comparateur["NAISD24"].sum() - comparateur["DECESD24"].sum() < 0
    # births are not census counts: no "petit effectif" flag on a village with 1 birth
    village = comparateur.index[comparateur["NAISD24"] == 1][0]
    assert row(movement_table, "commune", village, "naissances", 2024)["flags"] == ""
    # the year's births are not the census year's
    assert math.isnan(row(movement_table, "epci", PLAINE_DIJONNAISE, "naissances", 2022)["value"])


def test_birth_and_death_rates_over_the_intercensal_period(movement_table, membership, raw_files):
    """NAIS1621 = births 2016-2021 (6 years), paired with the RP2022 population that closes the period."""
    _, comparateur = raw_files
    members = _members(membership)
    pop = comparateur.loc[members, "P22_POP"].sum()
    r = row(movement_table, "epci", PLAINE_DIJONNAISE, "taux_natalite", 2022)
    assert r["numerator"] == pytest.approx(comparateur.loc[members, "NAIS1621"].sum() / 6)
    assert r["value"] == pytest.approx(comparateur.loc[members, "NAIS1621"].sum() / 6 / pop * 1000)
    r = row(movement_table, "departement", "21", "taux_mortalite", 2022)
    assert r["value"] == pytest.approx(comparateur["DECE1621"].sum() / 6 / comparateur["P22_POP"].sum() * 1000)


def test_period_lengths_agree_with_the_fall_in_births(shared_data):
    """Why 5 years for NAIS1217 and 6 for NAIS1621 (registry notes of taux_natalite): on the
    communes present in both editions, mean yearly births fall 2012-2016 > 2016-2021 > 2024,
    like French births; the other reading of either name would make them rise."""
    old = _raw_csv(shared_data / "insee_comparateur_2017" / "base_cc_comparateur_21.csv")
    new = _raw_csv(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv")
    both = old.index[old["NAIS1217"].notna()].intersection(new.index)
    p1217, p1621, y2024 = (old.loc[both, "NAIS1217"].sum(), new.loc[both, "NAIS1621"].sum(),
                           new.loc[both, "NAISD24"].sum())
    assert p1217 / 5 > p1621 / 6 > y2024
    assert p1217 / 6 < p1621 / 6 and p1217 / 5 < p1621 / 5
