"""The source catalog: valid, complete for the studies, honest about its URLs, and able
to recognise the real files of shared/data (and only those)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from abs_lib.errors import CatalogError, DatasetNotFoundError
from abs_lib.sources.catalog import (
    FILE_KINDS, LEVELS, PRODUCERS, THEMES, get_dataset, get_vintage, load_catalog, parse_catalog, read_catalog,
)
from abs_lib.sources.readers import read_header

REPO = Path(__file__).resolve().parents[1]
RP_THEMES = ("population", "familles", "logement", "activite")
RP_VINTAGES = {2008, 2011, 2013, 2016, 2019, 2022}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_dataset_has_the_required_fields(catalog):
    assert len(catalog) >= 25
    for d in catalog:
        assert d.producer in PRODUCERS and d.theme in THEMES, d.id
        assert d.title and d.licence and d.page_url.startswith("https://"), d.id
        assert d.vintages, d.id
        for v in d.vintages:
            assert v.page_url.startswith("https://"), (d.id, v.vintage)
            assert v.files, (d.id, v.vintage)
            for f in v.files:
                assert f.level in LEVELS, (d.id, v.vintage)
                assert f.format["kind"] in FILE_KINDS, (d.id, v.vintage)
                assert {"sep", "decimal", "encoding", "skiprows", "sheet"} <= set(f.format), (d.id, v.vintage)


def test_every_url_is_https_and_confirmed_or_explained(catalog):
    urls = 0
    for d in catalog:
        for v in d.vintages:
            for f in v.files:
                if f.url is None:
                    assert f.note, f"{d.id} {v.vintage} : pas d'URL et pas de note"
                    continue
                urls += 1
                assert urlparse(f.url).scheme == "https", f.url
                assert f.confirmed or f.note, f"{d.id} {v.vintage} : URL non confirmée sans note"
                assert f.seen_in, f"{d.id} {v.vintage} : URL sans seen_in"
    assert urls > 50


def test_census_themes_cover_the_study_vintages_at_iris_and_commune_level(catalog):
    for theme in RP_THEMES:
        for level in ("iris", "commune"):
            d = catalog.get(f"rp-{theme}-{level}")
            assert RP_VINTAGES <= set(d.vintage_years), d.id
            assert d.latest().vintage == 2022, d.id
            assert d.levels == (level,), d.id
            assert any(f.url for f in d.latest().files), f"{d.id} : pas d'URL pour le dernier millésime"


def test_other_sources_of_the_studies_are_present(catalog):
    filo = catalog.get("filosofi-disp")
    assert {"commune", "epci", "departement", "region", "metropole"} <= set(filo.levels)
    assert {2016, 2019, 2021} <= set(filo.vintage_years)
    assert {2016, 2019} <= set(catalog.get("filosofi-iris").vintage_years)
    assert {2019} <= set(catalog.get("filosofi-pauvrete").vintage_years)
    assert set(catalog.get("caf-iris").vintage_years) == {2016, 2017, 2018, 2019, 2020}
    for dataset_id in ("insee-dossier-complet", "insee-comparateur", "caf-couverture-petite-enfance-epci",
                       "caf-places-accueil-jeune-enfant", "caf-rsa-iris", "caf-aides-logement-iris", "bpe-ensemble",
                       "cog-communes", "cog-mouvements", "epci-composition", "epci-composition-dgcl",
                       "contours-communes"):
        assert catalog.get(dataset_id).vintages
    assert {"iris", "epci"} <= {lvl for d in catalog if d.producer == "CAF" for lvl in d.levels}


@pytest.mark.parametrize(("path", "dataset_id", "vintage"), [
    ("filosofi/FILO2016_DISP_COM_dep21.csv", "filosofi-disp", 2016),
    ("filosofi/FILO2019_DISP_COM_dep21.csv", "filosofi-disp", 2019),
    ("filosofi/FILO2016_DISP_EPCI.csv", "filosofi-disp", 2016),
    ("filosofi/FILO2019_DISP_EPCI.csv", "filosofi-disp", 2019),
    ("filosofi/FILO2016_DISP_DEP.csv", "filosofi-disp", 2016),
    ("filosofi/FILO2019_DISP_DEP.csv", "filosofi-disp", 2019),
    ("filosofi/FILO2016_DISP_METROPOLE.csv", "filosofi-disp", 2016),
    ("filosofi/FILO2019_DISP_METROPOLE.csv", "filosofi-disp", 2019),
    ("filosofi/BASE_TD_FILO_DISP_IRIS_2016_dep21.csv", "filosofi-iris", 2016),
    ("filosofi/BASE_TD_FILO_DISP_IRIS_2019_dep21.csv", "filosofi-iris", 2019),
    ("caf/data_CAF_2016_IRIS_dep21.csv", "caf-iris", 2016),
    ("caf/data_CAF_2017_IRIS_dep21.csv", "caf-iris", 2017),
    ("caf/data_CAF_2018_IRIS_dep21.csv", "caf-iris", 2018),
    ("caf/data_CAF_2019_IRIS_dep21.csv", "caf-iris", 2019),
    ("caf/data_CAF_2020_IRIS_dep21.csv", "caf-iris", 2020),
    ("insee_dossier_complet/dossier_complet_light_dep21.csv", "insee-dossier-complet", 2022),
    ("insee_dossier_complet/base_cc_comparateur_dep21.csv", "insee-comparateur", 2022),
    ("geo/EPCI_2020_commune_to_epci.csv", "epci-composition", 2020),
])
def test_signatures_recognise_the_real_files_and_nothing_else(catalog, shared_data, path, dataset_id, vintage):
    file = shared_data / path
    columns = read_header(file)
    matches = {d.id: d.signature.match(columns, file.name) for d in catalog if d.signature}
    found = {k: m.vintage for k, m in matches.items() if m}
    assert found == {dataset_id: vintage}


@pytest.mark.parametrize(("path", "dataset_id", "vintage", "part"), [
    ("rp_iris/couples_familles_menages_21.csv", "rp-familles-iris", 2019, None),
    ("insee_comparateur_2017/base_cc_comparateur_21.csv", "insee-comparateur", 2017, None),
    ("caf_accueil/nbpla_pe_com_2017-2022_dep21__NadNadou.csv", "caf-places-accueil-jeune-enfant", None, None),
    ("caf_accueil/txcouv_pe_com_2017-2022_dep21__NadNadou.csv", "caf-couverture-petite-enfance-commune", None, None),
    ("drees/DREES_Tab23_dep21__NadNadou.csv", "drees-accueil-jeune-enfant", 2023, "Tab23"),
    ("drees/DREES_Tab33_dep21__NadNadou.csv", "drees-accueil-jeune-enfant", 2023, "Tab33"),
])
def test_re_exports_are_recognised_through_the_catalog(catalog, shared_data, path, dataset_id, vintage, part):
    """Files of the December 2026 extracts: relabelled columns are matched through the catalog's aliases."""
    from abs_lib.sources.recognize import recognize_file

    found = recognize_file(shared_data / path, catalog)
    assert (found.dataset, found.vintage, found.part) == (dataset_id, vintage, part)
    if "caf_accueil" in path:
        assert (found.code_column, found.level) == ("numcom", "commune")
        assert found.renaming["date_reference"] == "annee"
        assert all(v.startswith(("pl_", "tot_offre_", "txcouv_", "num", "nom", "annee")) for v in found.renaming.values())


def test_aliases_are_data_and_name_only_caf_columns(catalog):
    places = dict(catalog.get("caf-places-accueil-jeune-enfant").aliases)
    assert places["places_EAJE_PSU"] == "pl_psu_col_com" and places["places_offertes_ensemble"] == "tot_offre_com"
    assert "places_accueil_individuel_ensemble" not in places        # no CAF name seen: kept as it is
    rates = dict(catalog.get("caf-couverture-petite-enfance-commune").aliases)
    assert rates["taux_de_couv_global"] == "txcouv_com" and rates["taux_de_couv_eaje_ensemble"] == "txcouv_eaje_com"
    with pytest.raises(CatalogError, match="alias « NUMCOM » en double"):
        parse_catalog(_minimal(aliases={"numcom": "a", "NUMCOM": "b"}))


def test_third_party_derived_file_is_not_recognised(catalog, shared_data):
    file = shared_data / "derived_iris" / "ptod_agg_iris_21_subset.csv"
    columns = read_header(file)
    assert "P22_POP" in columns and "TYP_IRIS" in columns  # looks census-like…
    assert [d.id for d in catalog if d.signature and d.signature.match(columns, file.name)] == []


def test_a_light_extract_keeps_its_identity(catalog):
    """A column subset of an official file is still recognised; a foreign column set is not."""
    light = ["CODGEO", "NBMEN19", "Q219"]
    assert catalog.get("filosofi-disp").signature.match(light, "extrait.csv").vintage == 2019
    assert catalog.get("filosofi-disp").signature.match(["CODGEO", "Q219"], "extrait.csv") is None
    assert catalog.get("rp-population-iris").signature.match(
        ["IRIS", "COM", "P22_POP", "P22_POP0014"], "x.csv").vintage == 2022


def test_lookup_errors_are_french_and_suggest(catalog):
    with pytest.raises(DatasetNotFoundError, match="Vouliez-vous dire : filosofi-disp"):
        get_dataset("filosofi-dsip")
    with pytest.raises(DatasetNotFoundError, match="Millésimes au catalogue : 2016, 2019"):
        get_vintage("filosofi-iris", 2017)
    assert get_vintage("filosofi-iris").vintage == max(catalog.get("filosofi-iris").vintage_years)


def test_malformed_yaml_is_a_clear_french_error(tmp_path):
    bad = tmp_path / "catalog.yaml"
    bad.write_text("datasets:\n  - id: x\n   producer: INSEE\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"ligne 3, colonne \d+\) n'est pas un YAML valide"):
        read_catalog(bad)


def _minimal(**overrides):
    vintage = {"vintage": 2019, "page_url": "https://www.insee.fr/p", "file_url": "https://www.insee.fr/f.zip",
               "confirmed": True, "files": [{"member": "a.csv", "level": "commune", "format": {"kind": "csv"}}]}
    vintage.update(overrides.pop("vintage", {}))
    dataset = {"id": "jeu-test", "producer": "INSEE", "title": "t", "theme": "revenus",
               "page_url": "https://www.insee.fr/p", "licence": "LO",
               "signature": {"code_columns": ["CODGEO"], "required": ["MED{yy}"]}, "vintages": [vintage]}
    dataset.update(overrides)
    return {"datasets": [dataset]}


def test_validation_names_each_problem():
    assert parse_catalog(_minimal()).get("jeu-test").latest().vintage == 2019
    with pytest.raises(CatalogError, match="https://"):
        parse_catalog(_minimal(vintage={"file_url": "http://www.insee.fr/f.zip"}))
    with pytest.raises(CatalogError, match="non confirmée sans « note »"):
        parse_catalog(_minimal(vintage={"confirmed": False}))
    with pytest.raises(CatalogError, match="niveau « canton » inconnu"):
        parse_catalog(_minimal(vintage={"files": [{"level": "canton", "format": {"kind": "csv"}}]}))
    with pytest.raises(CatalogError, match="« licence » manquant"):
        data = _minimal()
        del data["datasets"][0]["licence"]
        parse_catalog(data)
    local = parse_catalog(_minimal(vintage={"file_url": "http://127.0.0.1:8000/f.zip"}), allow_http_hosts=("127.0.0.1",))
    assert local.get("jeu-test").latest().files[0].url == "http://127.0.0.1:8000/f.zip"


def test_docs_table_lists_every_dataset(catalog):
    text = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
    for d in catalog:
        assert f"`{d.id}`" in text, d.id
