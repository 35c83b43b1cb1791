"""Preparing inputs: data.caf.fr childcare exports and the analyst's local file (demo files)."""

import math

import pandas as pd
import pytest

from abs_lib.config import demo_dir
from abs_lib.errors import IndicatorError
from abs_lib.indicators import caf_places_tables, compute_indicators, local_places_by_commune
from abs_lib.sources.readers import read_table


@pytest.fixture(scope="module")
def demo():
    path = demo_dir()
    if not (path / "caf_accueil" / "nbpla_pe_epci.csv").is_file():
        pytest.skip(f"données de démonstration absentes : {path}")
    return path


def test_caf_places_split_by_year_without_level_suffix(demo):
    raw = read_table(demo / "caf_accueil" / "nbpla_pe_epci.csv")
    level, tables = caf_places_tables(raw)
    assert level == "epci"
    assert sorted(tables) == sorted(pd.to_numeric(raw["annee"]).astype(int).unique())
    first = min(tables)
    t = tables[first]
    assert "pl_eaje" in t.columns and "tot_offre" in t.columns and "nomepci" not in t.columns
    src = raw[pd.to_numeric(raw["annee"]) == first].set_index("numepci")
    for code in t.index:
        assert t.loc[code, "tot_offre"] == src.loc[code, "tot_offre_epci"]
        # total offer = EAJE + preschool + childminders + home-based (demo file is consistent)
        assert t.loc[code, "tot_offre"] == pytest.approx(
            t.loc[code, ["pl_eaje", "pl_prescol", "pl_am_ind", "pl_gad_ind"]].sum())
    level, rates = caf_places_tables(read_table(demo / "caf_accueil" / "txcouv_pe_epci.csv"))
    assert level == "epci" and "txcouv" in rates[first].columns


def test_a_commune_export_is_indexed_by_commune_even_though_it_names_the_epci():
    """txcouv_pe_com / nbpla_pe_com carry numcom and numepci: the row is the commune's."""
    raw = pd.DataFrame({"annee": ["2021", "2022"], "numcom": ["21231", "21231"], "numepci": ["242100410"] * 2,
                        "nomcom": ["DIJON"] * 2, "txcouv_com": [67.4, 70.2], "txcouv_eaje_com": [42.2, 43.1]})
    level, tables = caf_places_tables(raw)
    assert level == "commune" and sorted(tables) == [2021, 2022]
    assert list(tables[2022].columns) == ["txcouv", "txcouv_eaje"] and tables[2022].index.tolist() == ["21231"]
    assert tables[2022].loc["21231", "txcouv"] == 70.2


def test_published_places_feed_the_coverage_rate(demo):
    geo = read_table(demo / "geo" / "EPCI_2020.csv")
    membership = pd.DataFrame({"commune": geo["CODGEO"], "epci": geo["EPCI"], "departement": geo["DEP"],
                               "region": geo["REG"]})
    level, tables = caf_places_tables(read_table(demo / "caf_accueil" / "nbpla_pe_epci.csv"))
    _, rates = caf_places_tables(read_table(demo / "caf_accueil" / "txcouv_pe_epci.csv"))
    epci = sorted(membership["epci"].unique())[0]
    kids = pd.DataFrame({"P_POP0002": 1000.0}, index=pd.Index(membership["commune"], dtype=object))
    t = compute_indicators(
        membership, {("rp-population-iris", 2019): kids},
        {("caf-places-accueil-jeune-enfant", 2019, level): tables[2019],
         ("caf-couverture-petite-enfance-epci", 2019, level): rates[2019]},
        vintages=[2019], levels=["epci"],
        indicators=["taux_couverture_accueil_jeune_enfant", "taux_couverture_publie"])
    n_kids = 1000.0 * (membership["epci"] == epci).sum()
    got = t.set_index(["territory", "indicator"])["value"]
    assert got[(epci, "taux_couverture_accueil_jeune_enfant")] == pytest.approx(
        tables[2019].loc[epci, "tot_offre"] / n_kids * 100)
    assert got[(epci, "taux_couverture_publie")] == rates[2019].loc[epci, "txcouv"]


def test_local_file_of_the_demo(demo):
    raw = read_table(demo / "local" / "structures_petite_enfance.csv")
    before = local_places_by_commune(raw, as_of="2019-08-31")
    after = local_places_by_commune(raw, as_of="2019-12-31")
    # the demo's multi-accueil of 30 places opens in Fictiville (00001) on 2 September 2019
    assert after.loc["00001", "PLACES_LOCAL"] - before.loc["00001", "PLACES_LOCAL"] == 30
    opened = pd.to_datetime(raw["date_ouverture"])
    assert after["PLACES_LOCAL"].sum() == raw.loc[opened <= "2019-12-31", "places"].sum()


def test_local_file_errors_are_french():
    with pytest.raises(IndicatorError, match="code_commune"):
        local_places_by_commune(pd.DataFrame({"places": [1]}))
    with pytest.raises(IndicatorError, match="texte"):
        local_places_by_commune(pd.DataFrame({"code_commune": [1001], "places": [1]}))
    with pytest.raises(IndicatorError, match="date illisible"):
        local_places_by_commune(pd.DataFrame({"code_commune": ["01001"], "places": [1],
                                              "date_ouverture": ["demain"]}), as_of="2020-01-01")
    with pytest.raises(IndicatorError, match="pas dans la liste"):
        local_places_by_commune(pd.DataFrame({"code_commune": ["01001"], "places": [1]}), communes=["01002"])


def test_local_missing_places_stay_missing():
    frame = pd.DataFrame({"code_commune": ["01001", "01001", "01002"], "places": [10, None, 5],
                          "date_ouverture": ["01/09/2019", "2018-01-01", "2018-01-01"]})
    out = local_places_by_commune(frame, communes=["01001", "01002", "01003"])
    assert math.isnan(out.loc["01001", "PLACES_LOCAL"])          # one structure without a count
    assert out.loc["01002", "PLACES_LOCAL"] == 5 and out.loc["01003", "PLACES_LOCAL"] == 0


def test_local_codes_damaged_by_a_spreadsheet_are_repaired_not_dropped():
    """« 21292.0 » and « 1001 » (Excel) are Genlis and 01001, not rows to drop (0 places shown)."""
    frame = pd.DataFrame({"code_commune": ["21292.0", "1001", "2A004"], "places": ["20", "12", "8"]})
    out = local_places_by_commune(frame)
    assert out["PLACES_LOCAL"].to_dict() == {"01001": 12.0, "21292": 20.0, "2A004": 8.0}


@pytest.mark.parametrize(("code", "places", "message"), [
    ("21292", "-30", "un nombre entier de 0 à 500"),
    ("21292", "1e9", "un nombre entier de 0 à 500"),
    ("21292", "12.5", "un nombre entier de 0 à 500"),
    ("Genlis", "10", "code commune « Genlis » invalide"),
])
def test_local_absurd_places_and_codes_are_refused_in_french(code, places, message):
    with pytest.raises(IndicatorError, match=message):
        local_places_by_commune(pd.DataFrame({"code_commune": [code], "places": [places]}))
