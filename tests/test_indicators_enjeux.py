"""Ranking of enjeux: rule, determinism and French wording."""

import pandas as pd
import pytest

from abs_lib.indicators import compute_indicators, rank_enjeux
from abs_lib.formatting import THOUSANDS, UNIT_SPACE, format_number

A, B, D, C = "01001", "01002", "01003", "02001"
E1, E2, E3 = "200000001", "200000002", "200000003"
MEMBERSHIP = pd.DataFrame({
    "commune": [A, B, D, C], "epci": [E1, E1, E3, E2], "departement": ["01", "01", "01", "02"],
    "region": ["84", "84", "84", "32"], "metropole": True,
})


def frame(rows):
    out = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    out.index = pd.Index(list(rows), dtype=object)
    return out


def inputs():
    pop = frame({
        A: {"P_POP": 5000, "P_POP75P": 600, "P_POP80P": 150, "P_POP0002": 700},
        B: {"P_POP": 2000, "P_POP75P": 240, "P_POP80P": 40, "P_POP0002": 280},
        D: {"P_POP": 6000, "P_POP75P": 360, "P_POP80P": 100, "P_POP0002": 1020},
        C: {"P_POP": 7000, "P_POP75P": 560, "P_POP80P": 300, "P_POP0002": 1000},
    })
    act = frame({A: {"P_CHOM1564": 200, "P_ACT1564": 2500}, B: {"P_CHOM1564": 60, "P_ACT1564": 1000},
                 D: {"P_CHOM1564": 400, "P_ACT1564": 3000}, C: {"P_CHOM1564": 300, "P_ACT1564": 3500}})
    levels = {
        ("caf-places-accueil-jeune-enfant", 2019, "epci"): frame({E1: {"tot_offre": 310}}),
        ("caf-places-accueil-jeune-enfant", 2019, "departement"): frame({"01": {"tot_offre": 1102}}),
        ("caf-places-accueil-jeune-enfant", 2019, "metropole"): frame({"1": {"tot_offre": 1749}}),
        ("filosofi-disp", 2019, "epci"): frame({E1: {"Q2": 19000}}),
        ("filosofi-disp", 2019, "departement"): frame({"01": {"Q2": 21000}}),
        ("filosofi-disp", 2019, "metropole"): frame({"1": {"Q2": 22000}}),
    }
    return {("rp-population-iris", 2019): pop, ("rp-activite-commune", 2019): act}, levels


@pytest.fixture(scope="module")
def table():
    communes, levels = inputs()
    return compute_indicators(MEMBERSHIP, communes, levels, vintages=[2019])


def test_ranking_rule_and_sentences(table):
    enjeux = rank_enjeux(table, MEMBERSHIP, "epci", E1)
    assert list(enjeux["indicator"]) == ["taux_couverture_accueil_jeune_enfant", "part_75_plus", "revenu_median"]
    assert list(enjeux["rank"]) == [1, 2, 3]
    first = enjeux.iloc[0]
    # places: 310 / 980 × 100 = 31.63 ; département: 1102 / (980 + 1020) × 100 = 55.1
    # need gap (lower is need): -(31.63 - 55.1) / 55.1 = 0.426
    assert first["relative_gap"] == pytest.approx((55.1 - 310 / 980 * 100) / 55.1)
    assert first["reference_level"] == "departement" and first["reference_codes"] == "01"
    # France métropolitaine: 1749 / 3000 × 100 = 58.3
    assert first["text"] == ("980 enfants de moins de 3 ans pour 310 places d'accueil : 31,6 places pour "
                             "100 enfants, contre 55,1 dans le département (01) et 58,3 en France métropolitaine")
    # 75+: EPCI (600 + 240) / 7000 = 12.0 % ; département 1200 / 13000 = 9.23 % ; métropole 1760 / 20000 = 8.8 %
    second = enjeux.iloc[1]
    assert second["relative_gap"] == pytest.approx((12.0 - 1200 / 130) / (1200 / 130))
    assert second["text"] == (f"840 habitants de 75 ans ou plus sur 7{THOUSANDS}000 habitants : 12,0{UNIT_SPACE}%, "
                              f"contre 9,2{UNIT_SPACE}% dans le département (01) et 8,8{UNIT_SPACE}% en France "
                              "métropolitaine")
    # median income (lower is need): 19 000 € vs 21 000 €
    assert enjeux.iloc[2]["text"] == (
        f"Revenu disponible médian par unité de consommation : 19{THOUSANDS}000{UNIT_SPACE}€, contre "
        f"21{THOUSANDS}000{UNIT_SPACE}€ dans le département (01) et 22{THOUSANDS}000{UNIT_SPACE}€ en France "
        "métropolitaine")


def test_unreliable_and_favourable_indicators_are_left_out(table):
    enjeux = rank_enjeux(table, MEMBERSHIP, "epci", E1)
    # 80+: 150 + 40 = 190 people (< 200): would rank, but flagged
    assert "part_80_plus" not in set(enjeux["indicator"])
    assert enjeux.attrs["écartés"]["part_80_plus"] == "petit effectif"
    # unemployment: EPCI 260 / 3500 = 7.4 % < département 660 / 6500 = 10.2 %: not a need
    assert "taux_chomage_15_64" not in set(enjeux["indicator"])
    # context indicators (higher_is_need: null) and counts are never ranked
    assert "population" not in set(enjeux["indicator"]) and "part_0_2" not in set(enjeux["indicator"])
    assert enjeux.attrs["écartés"]["taux_pauvrete"].startswith("valeur manquante")


def test_names_top_and_min_gap(table):
    enjeux = rank_enjeux(table, MEMBERSHIP, "epci", E1, names={("departement", "01"): "Ain"}, top=1)
    assert len(enjeux) == 1 and "dans le département (Ain)" in enjeux.iloc[0]["text"]
    strict = rank_enjeux(table, MEMBERSHIP, "epci", E1, min_relative_gap=0.2)
    assert list(strict["indicator"]) == ["taux_couverture_accueil_jeune_enfant", "part_75_plus"]


def test_unknown_territory_or_vintage_is_an_error(table):
    from abs_lib.errors import IndicatorError
    with pytest.raises(IndicatorError, match="Aucune ligne"):
        rank_enjeux(table, MEMBERSHIP, "epci", E1, vintage=2013)
    with pytest.raises(IndicatorError, match="n'est pas dans la table d'appartenance"):
        rank_enjeux(table, MEMBERSHIP, "epci", "999999999")


def test_deterministic_whatever_the_input_order():
    communes, levels = inputs()
    t1 = compute_indicators(MEMBERSHIP, communes, levels, vintages=[2019])
    shuffled = {k: v.iloc[::-1] for k, v in communes.items()}
    t2 = compute_indicators(MEMBERSHIP.iloc[[3, 1, 0, 2]], shuffled, levels, vintages=[2019])
    e1 = rank_enjeux(t1, MEMBERSHIP, "epci", E1)
    e2 = rank_enjeux(t2.sample(frac=1, random_state=3), MEMBERSHIP, "epci", E1)
    pd.testing.assert_frame_equal(e1, e2)


def _tidy(rows):
    """A hand-written tidy table (only the columns rank_enjeux reads)."""
    t = pd.DataFrame(rows, columns=["level", "territory", "indicator", "value", "numerator", "denominator"])
    t["vintage"] = 2019
    t["flags"] = ""
    return t


def test_ties_are_broken_by_region_then_identifier():
    m = MEMBERSHIP
    rows = []
    # both indicators: +20 % against the département
    for ind, own, dep, reg in (("part_75_plus", 12.0, 10.0, 11.0), ("part_80_plus", 6.0, 5.0, 5.0),
                               ("part_familles_monoparentales", 24.0, 20.0, 20.0)):
        rows += [("epci", E1, ind, own, 1000.0, 5000.0), ("departement", "01", ind, dep, 1.0, 1.0),
                 ("region", "84", ind, reg, 1.0, 1.0)]
    enjeux = rank_enjeux(_tidy(rows), m, "epci", E1)
    # gap against the région: 75+ (12 - 11) / 11 = 0.09 ; 80+ and familles monoparentales 0.2 (tie -> id)
    assert list(enjeux["indicator"]) == ["part_80_plus", "part_familles_monoparentales", "part_75_plus"]
    assert enjeux["relative_gap"].tolist() == pytest.approx([0.2, 0.2, 0.2])


def test_epci_spanning_two_departements_must_deviate_from_both():
    m = MEMBERSHIP.copy()
    m.loc[3, "epci"] = E1                       # C joins EPCI 1: départements 01 and 02
    rows = [("epci", E1, "part_75_plus", 12.0, 900.0, 7500.0),
            ("departement", "01", "part_75_plus", 10.0, 1.0, 1.0),
            ("departement", "02", "part_75_plus", 11.0, 1.0, 1.0),
            ("epci", E1, "part_80_plus", 6.0, 450.0, 7500.0),
            ("departement", "01", "part_80_plus", 5.0, 1.0, 1.0),
            ("departement", "02", "part_80_plus", 7.0, 1.0, 1.0)]
    enjeux = rank_enjeux(_tidy(rows), m, "epci", E1)
    # 75+: above both (gaps 0.2 and 0.0909): kept with the smaller gap; 80+: below département 02: left out
    assert list(enjeux["indicator"]) == ["part_75_plus"]
    row = enjeux.iloc[0]
    assert row["relative_gap"] == pytest.approx(1 / 11)
    assert row["reference_codes"] == "01, 02" and row["reference_value"] == 11.0
    assert row["text"].endswith(f"contre 10,0{UNIT_SPACE}% dans le département (01) et "
                                f"11,0{UNIT_SPACE}% dans le département (02)")


@pytest.mark.parametrize("value, decimals, expected", [
    (1234.56, 1, f"1{THOUSANDS}234,6"),
    (31.6326, 1, "31,6"),
    (980.0, 0, "980"),
    (1234567.0, 0, f"1{THOUSANDS}234{THOUSANDS}567"),
    (-0.04, 1, "0,0"),
    (-1234.5, 2, f"-1{THOUSANDS}234,50"),
    (float("nan"), 1, "n.d."),
])
def test_french_numbers(value, decimals, expected):
    assert format_number(value, decimals=decimals) == expected
