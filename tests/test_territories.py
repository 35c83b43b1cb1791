"""Territories: codes, look-up by code and by name, membership, fictional geographies."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from abs_lib.errors import (
    AbsError,
    AmbiguousTerritoryError,
    DatasetNotFoundError,
    MissingColumnError,
    SourceFileError,
    TerritoryNotFoundError,
)
from abs_lib.territories import (
    Geography,
    available_years,
    find_territory,
    load_geography,
    normalize_code,
    normalize_level,
    parse_code,
    search_territories,
)

PLAINE_DIJONNAISE = "200000925"
PLAINE_LABEL = "CC de la Plaine Dijonnaise (EPCI 200000925)"


# ----------------------------------------------------------------------------- codes


@pytest.mark.parametrize(
    ("value", "level", "expected"),
    [
        (1001, None, "01001"),  # papermill -p territory 01001
        ("1001", None, "01001"),
        (1001.0, None, "01001"),  # float column
        ("01001", None, "01001"),
        (200000925, None, "200000925"),
        (1, None, "01"),
        ("1", None, "01"),
        (21, None, "21"),
        (971, None, "971"),
        ("2a004", None, "2A004"),
        ("2B", None, "2B"),
        (" COM-21231 ", None, "21231"),
        ("EPCI-200000925", None, "200000925"),
        ("DEP-21", None, "21"),
        ("REG-27", None, "27"),
        ("com-1001", None, "01001"),
        (1, "epci", "000000001"),  # fictional SIREN that became an int
        (1, "commune", "00001"),
        (27, "region", "27"),
        (6, "region", "06"),
    ],
)
def test_normalize_code(value, level, expected):
    assert normalize_code(value, level) == expected


def test_parse_code_levels():
    assert parse_code("21") == ("departement", "21")  # a 2-digit code is a département...
    assert parse_code("27", level="region") == ("region", "27")  # ...unless told otherwise
    assert parse_code(21231) == ("commune", "21231")
    assert parse_code("2A004") == ("commune", "2A004")
    assert parse_code("METRO-1") == ("metropole", "METRO")
    assert parse_code("FE-1") == ("france", "FRANCE")
    assert parse_code("france") == ("france", "FRANCE")
    assert parse_code("Plaine Dijonnaise") is None  # a name, not a code


@pytest.mark.parametrize("value", ["abc", 1234567890, -5, 12.5])
def test_normalize_code_rejects_non_codes(value):
    with pytest.raises(TerritoryNotFoundError):
        normalize_code(value)


def test_code_of_the_wrong_level_is_refused():
    with pytest.raises(AbsError, match="pas « EPCI »"):
        normalize_code("COM-21231", level="epci")


def test_normalize_level_accepts_french_spellings():
    assert normalize_level("Département") == "departement"
    assert normalize_level("région") == "region"
    with pytest.raises(AbsError, match="Niveau inconnu"):
        normalize_level("canton")


# ----------------------------------------------------------------------------- years, loading


def test_available_years_and_default():
    years = available_years()
    assert years == list(range(2019, 2027))
    assert load_geography().year == years[-1]
    assert load_geography() is load_geography(years[-1])  # cached


def test_unavailable_year_is_a_french_error():
    with pytest.raises(DatasetNotFoundError, match="Géographie 2018 non disponible"):
        load_geography(2018)


def test_lookup_is_fast_once_loaded():
    load_geography(2026)
    start = time.perf_counter()
    for _ in range(20):
        find_territory(PLAINE_DIJONNAISE)
    assert (time.perf_counter() - start) / 20 < 0.2


# ----------------------------------------------------------------------------- EPCI membership


def test_plaine_dijonnaise_2019_vs_2026():
    old = find_territory(PLAINE_DIJONNAISE, 2019)
    new = find_territory(PLAINE_DIJONNAISE, 2026)
    assert (old.n_communes, new.n_communes) == (23, 22)
    # Premières (21507) merged into Collonges-et-Premières (21183), a commune nouvelle.
    assert set(old.communes) - set(new.communes) == {"21507"}
    assert "21183" in new.communes
    assert new.label == PLAINE_LABEL
    assert new.insee_geo == "EPCI-200000925"
    assert new.departements == ("21",) and new.regions == ("27",)
    assert list(new.communes) == sorted(new.communes)


def test_commune_parents_up_to_france_metropolitaine():
    genlis = find_territory("21292")
    assert genlis.name == "Genlis" and genlis.epci == PLAINE_DIJONNAISE
    parents = genlis.parents()
    assert [t.code for t in parents["epci"]] == [PLAINE_DIJONNAISE]
    assert [t.code for t in parents["departement"]] == ["21"]
    assert [t.code for t in parents["region"]] == ["27"]
    membership = load_geography().membership().set_index("commune")
    row = membership.loc["21292"]
    assert row["epci_name"] == "CC de la Plaine Dijonnaise"
    assert row["departement_name"] == "Côte-d'Or"
    assert row["region_name"] == "Bourgogne-Franche-Comté"
    assert bool(row["metropole"]) is True
    assert not membership.loc["97411", "metropole"]  # Saint-Denis (La Réunion)


def test_metropole_excludes_overseas_departements():
    metro = find_territory("METRO-1")
    france = find_territory("FE-1")
    assert metro.level == "metropole" and metro.name == "France métropolitaine"
    assert (metro.code, metro.insee_geo) == ("METRO", "METRO-1")
    assert (france.code, france.insee_geo) == ("FRANCE", "FE-1")
    assert not any(code.startswith("97") for code in metro.communes)
    overseas = [c for c in france.communes if c.startswith("97")]
    assert overseas and len(metro.communes) + len(overseas) == len(france.communes)
    assert "2A004" in metro.communes  # Corsica is metropolitan


def test_epci_over_two_departements():
    # CA Beaune, Côte et Sud: communes in Côte-d'Or and in Saône-et-Loire.
    beaune = find_territory("200006682")
    assert beaune.spans_several_departements
    assert beaune.departements == ("21", "71")
    counts = beaune.departement_counts()
    assert counts["code"].tolist() == ["21", "71"]
    assert counts["name"].tolist() == ["Côte-d'Or", "Saône-et-Loire"]
    assert counts["n_communes"].sum() == beaune.n_communes
    table = beaune.communes_table()
    assert table.groupby("departement").size().to_dict() == dict(
        zip(counts["code"], counts["n_communes"])
    )
    assert [t.code for t in beaune.parents()["departement"]] == ["21", "71"]
    assert beaune.regions == ("27",)


def test_epci_over_two_regions():
    aire = find_territory("200030435")  # CC d'Aire-sur-l'Adour: Landes and Gers
    assert aire.departements == ("32", "40")
    assert aire.regions == ("75", "76")
    regions = aire.region_counts()
    assert set(regions["name"]) == {"Nouvelle-Aquitaine", "Occitanie"}
    assert regions["n_communes"].sum() == aire.n_communes


# ----------------------------------------------------------------------------- look-up by code


def test_lookup_by_code_and_insee_syntax():
    assert find_territory(1001).code == "01001"
    assert find_territory("COM-21231").name == "Dijon"
    assert find_territory("EPCI-200000925").label == PLAINE_LABEL
    assert find_territory("DEP-21").name == "Côte-d'Or"
    assert find_territory("REG-27").name == "Bourgogne-Franche-Comté"
    assert find_territory(27).name == "Eure"  # bare 2-digit: département
    assert find_territory(27, level="region").name == "Bourgogne-Franche-Comté"


def test_corsica_codes():
    ajaccio = find_territory("2A004")
    assert ajaccio.name == "Ajaccio" and ajaccio.departements == ("2A",)
    south = find_territory("2a")
    assert south.level == "departement" and south.name == "Corse-du-Sud"
    assert south.regions == ("94",)
    assert all(code.startswith("2A") for code in south.communes)
    assert find_territory("2B033").name == "Bastia"


def test_former_commune_code_suggests_its_successor():
    with pytest.raises(TerritoryNotFoundError) as info:
        find_territory("21507")  # Premières, merged into 21183 in 2020
    assert any("21183" in s for s in info.value.suggestions)
    assert "Territoire introuvable" in str(info.value)
    assert find_territory("21507", 2019).name == "Premières"


def test_arrondissement_municipal_is_not_a_commune():
    with pytest.raises(TerritoryNotFoundError) as info:
        find_territory("75101")
    assert "arrondissement municipal" in info.value.suggestions[0]
    assert "75056" in info.value.suggestions[0]
    assert "75101" in load_geography().arrondissements.index


# ----------------------------------------------------------------------------- look-up by name


def test_typo_suggests_the_right_epci():
    with pytest.raises(TerritoryNotFoundError) as info:
        find_territory("plaine dijonaise")
    assert info.value.suggestions[0] == PLAINE_LABEL
    assert "Vouliez-vous dire" in str(info.value)


@pytest.mark.parametrize(
    "name",
    [
        "Plaine Dijonnaise",
        "plaine dijonnaise",
        "CC de la Plaine Dijonnaise",
        "Communauté de communes de la Plaine Dijonnaise",
        "CC Plaine dijonnaise",
        "PLAINE-DIJONNAISE",
    ],
)
def test_epci_names_with_or_without_legal_form(name):
    assert find_territory(name).code == PLAINE_DIJONNAISE


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("genlis", "21292"),
        ("echigey", "21242"),
        ("ÉCHIGEY", "21242"),
        ("cote d'or", "21"),
        ("COTE-D'OR", "21"),
        ("bourgogne franche comte", "27"),
        ("Dijon", "21231"),  # the commune: exact full name
        ("Métropole de Dijon", "242100410"),  # legal-form word: the EPCI
        ("Dijon Métropole", "242100410"),
        ("St Jean de Luz", "64483"),
        ("ajaccio", "2A004"),
        ("Cœuvres-et-Valsery", "02201"),
        ("coeuvres et valsery", "02201"),
    ],
)
def test_names_ignore_case_accents_and_punctuation(name, code):
    assert find_territory(name).code == code


def test_homonymous_communes_are_ambiguous():
    with pytest.raises(AmbiguousTerritoryError) as info:
        find_territory("Sainte-Colombe")
    error = info.value
    assert "Sainte-Colombe (commune 35262, Ille-et-Vilaine)" in error.candidates
    assert "Sainte-Colombe (commune 05135, Hautes-Alpes)" in error.candidates
    assert len(error.candidates) == len(set(error.candidates)) > 5
    assert "Plusieurs territoires" in str(error)


def test_departement_in_brackets_picks_a_homonym():
    assert find_territory("Sainte-Colombe (35)").code == "35262"
    with pytest.raises(TerritoryNotFoundError) as info:
        find_territory("Sainte-Colombe (21)")  # none of that exact name in Côte-d'Or
    assert info.value.suggestions[0].startswith("Sainte-Colombe-")
    assert "Côte-d'Or" in info.value.suggestions[0]


def test_same_name_at_two_levels_asks_for_the_level():
    with pytest.raises(AmbiguousTerritoryError):
        find_territory("Paris")
    assert find_territory("Paris", level="commune").code == "75056"
    assert find_territory("Paris", level="departement").code == "75"


def test_search_lists_closest_names_first():
    found = search_territories("dijon", limit=5)
    assert [t.code for t in found[:2]] == ["21231", "242100410"]
    assert all("Dijon" in t.name or "dijon" in t.name.lower() for t in found)
    assert search_territories("plaine dijonaise")[0].code == PLAINE_DIJONNAISE
    assert [t.level for t in search_territories("dijon", level="epci")] == ["epci"] * len(
        search_territories("dijon", level="epci")
    )


def test_name_lookup_in_an_older_geography():
    old = find_territory("Premières", 2019)
    assert old.code == "21507" and old.epci == PLAINE_DIJONNAISE


# ----------------------------------------------------------------------------- fictional geography

DEMO_TABLE = pd.DataFrame(
    {
        "CODGEO": ["00001", "00002", "00003", "00004"],
        "LIBGEO": ["Villefictive", "Bourg-Imaginaire", "Saint-Exemple", "Hameau-Isolé"],
        "EPCI": ["000000001", "000000001", "000000001", "ZZZZZZZZZ"],
        "LIBEPCI": ["CC du Pays Fictif", "CC du Pays Fictif", "CC du Pays Fictif", "Sans objet"],
        "DEP": ["00", "00", "00", "00"],
        "REG": ["00", "00", "00", "00"],
    }
)
DEMO_NAMES = pd.DataFrame(
    {
        "level": ["departement", "region"],
        "code": ["00", "00"],
        "name": ["Département fictif", "Région fictive"],
    }
)


def test_fictional_geography_from_commune_table():
    geo = Geography.from_commune_table(DEMO_TABLE, year=2022, fictional=True, names=DEMO_NAMES)
    epci = find_territory("000000001", geography=geo)
    assert epci.fictional and epci.year == 2022
    assert epci.communes == ("00001", "00002", "00003")
    assert epci.name == "CC du Pays Fictif"
    assert find_territory(1, level="epci", geography=geo).code == "000000001"
    assert find_territory("pays fictif", geography=geo).code == "000000001"
    assert find_territory("saint exemple", geography=geo).code == "00003"
    isolated = find_territory("00004", geography=geo)
    assert isolated.epci is None
    dep = find_territory("00", geography=geo)
    assert dep.name == "Département fictif" and dep.n_communes == 4
    assert find_territory("00", level="region", geography=geo).name == "Région fictive"
    assert "Département fictif" in isolated.label
    with pytest.raises(TerritoryNotFoundError):
        find_territory("21231", geography=geo)


def test_fictional_geography_from_a_file_and_default_names(tmp_path):
    path = tmp_path / "EPCI_demo.csv"
    DEMO_TABLE.to_csv(path, sep=";", index=False)
    geo = Geography.from_commune_table(
        path, year=2022, fictional=True, names={"departement": {"00": "Département fictif"}}
    )
    assert geo.territory("00").name == "Département fictif"
    assert geo.territory("00", level="region").name == "Région 00"
    assert find_territory("METRO-1", geography=geo).n_communes == 4


def test_commune_table_needs_the_insee_columns():
    with pytest.raises(MissingColumnError, match="LIBEPCI"):
        Geography.from_commune_table(DEMO_TABLE.drop(columns="LIBEPCI"), year=2022)
    doubled = pd.concat([DEMO_TABLE, DEMO_TABLE.head(1)])
    with pytest.raises(SourceFileError, match="00001"):
        Geography.from_commune_table(doubled, year=2022)
