"""The indicator registry: content required by the ABS and validation of mistakes."""

import copy

import pytest
import yaml

from abs_lib.errors import IndicatorError
from abs_lib.indicators import load_registry
from abs_lib.indicators.registry import default_registry_path, parse_registry


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(default_registry_path().read_text(encoding="utf-8"))


def test_registry_has_at_least_40_indicators_over_all_themes():
    reg = load_registry()
    assert len(reg) >= 40
    counts = {theme: len(ids) for theme, ids in reg.by_theme().items()}
    for theme in ("démographie", "petite-enfance", "enfance-jeunesse", "familles", "personnes-âgées",
                  "logement", "revenus-pauvreté", "emploi", "caf"):
        assert counts[theme] >= 3, theme


@pytest.mark.parametrize("iid, kind, num, den, unit", [
    ("part_personnes_seules", "ratio", ("C_MENPSEUL",), ("C_MEN",), "%"),
    ("part_familles_monoparentales", "ratio", ("C_FAMMONO",), ("C_FAM",), "%"),
    ("part_familles_nombreuses", "ratio", ("C_NE24F3", "C_NE24F4P"), ("C_FAM",), "%"),
    ("part_80_plus_seuls", "ratio", ("P_POP80P_PSEUL",), ("P_POPMEN80P",), "%"),
    ("part_locataires_hlm", "ratio", ("P_RP_LOCHLMV",), ("P_RP",), "%"),
    ("taille_moyenne_menages", "ratio", ("P_PMEN",), ("P_RP",), "personnes par ménage"),
    ("indice_vieillissement", "ratio", ("P_POP65P",), ("P_POP0019",), "pour 100 moins de 20 ans"),
    ("taux_chomage_15_64", "ratio", ("P_CHOM1564",), ("P_ACT1564",), "%"),
    ("part_population_couverte_caf", "ratio", ("PERCOU",), ("P_POP",), "%"),
])
def test_core_formulas(iid, kind, num, den, unit):
    ind = load_registry()[iid]
    assert ind.kind == kind
    assert ind.numerator.alternatives[0].variables == num
    assert ind.denominator.alternatives[0].variables == den
    assert ind.unit == unit


def test_coverage_rate_is_the_onape_definition():
    ind = load_registry()["taux_couverture_accueil_jeune_enfant"]
    # total offer first, else the four modes summed: EAJE, childminders, home, preschool
    assert ind.numerator.alternatives[0].variables == ("tot_offre",)
    assert set(ind.numerator.alternatives[1].variables) == {"pl_eaje", "pl_am_ind", "pl_gad_ind", "pl_prescol"}
    assert ind.denominator.variables == ("P_POP0002",)
    assert ind.unit == "pour 100 enfants" and ind.higher_is_need is False


def test_income_values_are_read_not_summed_and_have_alternatives():
    reg = load_registry()
    med = reg["revenu_median"]
    assert med.kind == "level"
    assert [a.variables for a in med.numerator.alternatives] == [("Q2",), ("MED",)]
    for iid in ("taux_pauvrete", "rapport_interdecile", "part_prestations_sociales"):
        assert reg[iid].kind == "level"


def test_ageing_index_says_it_is_our_choice():
    assert "aucune formule officielle" in load_registry()["indice_vieillissement"].definition


def test_cautions_follow_variables():
    reg = load_registry()
    assert reg["part_personnes_seules"].complementary and reg["part_personnes_seules"].small_counts
    assert not reg["part_80_plus"].complementary and reg["part_80_plus"].small_counts
    assert not reg["part_allocataires_rsa"].small_counts      # CAF counts are not census samples


def test_unverified_names_are_marked():
    reg = load_registry()
    assert reg["allocataires_aide_logement"].confirmed is False


def test_tenure_of_25_39_year_olds_comes_from_the_detail_file_and_is_a_census_count():
    reg = load_registry()
    for iid in ("part_proprietaires_25_39", "part_locataires_prives_25_39", "part_locataires_hlm_25_39"):
        assert reg[iid].source == "rp-fd-logement" and reg[iid].is_census and reg[iid].small_counts
        assert not reg[iid].complementary
    assert reg["part_locataires_prives_25_39"].numerator.variables == ("RP_AGEPR2539_LOCVIDE", "RP_AGEPR2539_LOCMEUB")


def test_unknown_indicator_message_is_french():
    with pytest.raises(IndicatorError, match="Indicateur inconnu"):
        load_registry()["nope"]


def _mutate(raw, iid, **changes):
    data = copy.deepcopy(raw)
    entry = next(e for e in data["indicators"] if e["id"] == iid)
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    return data


@pytest.mark.parametrize("iid, changes, message", [
    ("part_75_plus", {"denominator": None}, "exige un dénominateur"),
    ("part_75_plus", {"theme": "sport"}, "thème inconnu"),
    ("part_75_plus", {"unit": "kg"}, "unité inconnue"),
    ("part_75_plus", {"kind": "mean"}, "kind doit"),
    ("part_75_plus", {"numerator": [{"datasets": ["nulle-part"], "variables": ["P_POP75P"]}]}, "jeu de données inconnu"),
    ("part_75_plus", {"numerator": [{"datasets": ["rp-population-commune"], "variables": ["P16_POP75P"]}]}, "millésime"),
    ("part_75_plus", {"caution": {"small_counts": False, "complementary": False}}, "small_counts"),
    ("part_personnes_seules", {"caution": {"small_counts": True, "complementary": False}}, "complementary"),
    ("revenu_median", {"numerator": [{"datasets": ["filosofi-disp"], "variables": ["P_POP"]}]}, "kind: level"),
    ("part_75_plus", {"numerator": [{"datasets": ["filosofi-disp"], "variables": ["Q2"]}]}, "pas additifs"),
    ("part_75_plus", {"higher_is_need": "oui"}, "higher_is_need"),
    ("part_75_plus", {"numerator": [{"datasets": ["rp-population-commune"], "variables": ["P_POP"], "plus": ["X"]}]},
     "aucune autre"),
    ("part_75_plus", {"numerator": [{"datasets": ["rp-population-commune"], "variables": ["P_POP"], "minus": []}]},
     "liste vide"),
    ("part_75_plus", {"numerator": [{"datasets": ["rp-population-commune"], "variables": ["P_POP"], "minus": ["P_POP"]}]},
     "deux fois"),
    ("part_75_plus", {"numerator": [{"datasets": ["rp-population-commune"], "variables": ["P_POP"], "minus": ["P16_POP0014"]}]},
     "millésime"),
])
def test_validation_refuses_mistakes(raw, iid, changes, message):
    with pytest.raises(IndicatorError, match=message):
        parse_registry(_mutate(raw, iid, **changes))


def test_duplicate_ids_are_refused(raw):
    data = copy.deepcopy(raw)
    data["indicators"].append(copy.deepcopy(data["indicators"][0]))
    with pytest.raises(IndicatorError, match="en double"):
        parse_registry(data)


def test_an_alternative_can_subtract_variables(raw):
    """``minus``: summed variables less subtracted ones, all read from the same table."""
    import pandas as pd

    from abs_lib.indicators import compute_indicators

    data = _mutate(raw, "pop_15_29", numerator=[
        {"datasets": ["rp-population-commune"], "variables": ["P_POP"], "minus": ["P_POP0014", "P_POP3044"]}])
    registry = parse_registry(data)
    term = registry["pop_15_29"].numerator
    assert term.alternatives[0].minus == ("P_POP0014", "P_POP3044")
    assert term.variables == ("P_POP", "P_POP0014", "P_POP3044")     # every column read
    membership = pd.DataFrame({"commune": ["01001", "01002"], "epci": ["200000001"] * 2,
                               "departement": ["01"] * 2, "region": ["84"] * 2, "metropole": True})
    pop = pd.DataFrame({"P_POP": [1000.0, 500.0], "P_POP0014": [150.0, 80.0], "P_POP3044": [200.0, float("nan")]},
                       index=pd.Index(["01001", "01002"], dtype=object))
    table = compute_indicators(membership, {("rp-population-commune", 2019): pop}, registry=registry,
                               indicators=["pop_15_29"])
    rows = table.set_index(["level", "territory"])
    assert rows.loc[("commune", "01001"), "value"] == 1000 - 150 - 200
    # a secret subtracted cell makes the result missing, never a bigger number
    assert pd.isna(rows.loc[("commune", "01002"), "value"]) and rows.loc[("commune", "01002"), "flags"] == "secret statistique"
    assert pd.isna(rows.loc[("epci", "200000001"), "value"])
    without = pop.drop(columns=["P_POP3044"])
    table = compute_indicators(membership, {("rp-population-commune", 2019): without}, registry=registry,
                               indicators=["pop_15_29"])
    assert set(table["flags"].astype(str)) == {"variable absente du fichier importé: P_POP3044 (rp-population-commune 2019)"}
