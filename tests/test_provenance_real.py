"""Provenance of a real report: CC de la Plaine Dijonnaise (EPCI 200000925) on the real
Côte-d'Or extracts. One store import, one portrait and one diagnostic report per module."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from abs_lib.portrait import open_portrait
from abs_lib.reports.contributions import contributions
from abs_lib.reports.provenance import TEMPORARY, report_provenance
from abs_lib.reports.run import build_report
from abs_lib.sources.store import sha256_of

TERRITORY = "200000925"
CAF_IRIS = [f"data_CAF_{year}_IRIS_dep21.csv" for year in range(2016, 2021)]


@pytest.fixture(scope="module")
def portrait(real_store):
    return open_portrait(TERRITORY, data_dir=real_store)


@pytest.fixture(scope="module")
def report(real_store, tmp_path_factory):
    result = build_report(TERRITORY, "diagnostic", data_dir=real_store, reports_dir=tmp_path_factory.mktemp("rapports"))
    return {"html": result.html.read_text(encoding="utf-8"),
            "json_text": result.provenance.read_text(encoding="utf-8"),
            "record": json.loads(result.provenance.read_text(encoding="utf-8"))}


def _by_file(items) -> dict:
    return {item["source_file"]: item for item in items}


def test_contours_are_a_source_with_their_checksum(portrait, shared_data):
    found = _by_file(contributions(portrait).sources)
    contours = found["communes_dep21.geojson"]
    assert contours["dataset"] == "contours-communes"
    assert contours["sha256"] == sha256_of(shared_data / "geo" / "communes_dep21.geojson")
    assert contours["rows_used"] == len(portrait.territory.communes) == 22
    assert contours["origin"] == "import : communes_dep21.geojson"


def test_caf_iris_files_without_rows_for_the_territory_are_listed_apart(portrait):
    found = contributions(portrait)
    assert not set(CAF_IRIS) & set(_by_file(found.sources))
    assert sorted(_by_file(found.without_rows)) == CAF_IRIS


def test_rows_used_are_the_territory_and_reference_rows_of_the_file(portrait, shared_data):
    raw = pd.read_csv(shared_data / "filosofi" / "FILO2019_DISP_EPCI.csv", sep=";", dtype=str, encoding="utf-8-sig")
    wanted = {TERRITORY} | {code for _, code in portrait.references}
    expected = int(raw["CODGEO"].str.strip().isin(wanted).sum())
    assert expected == 1
    found = _by_file(contributions(portrait).sources)["FILO2019_DISP_EPCI.csv"]
    assert (found["rows_used"], found["rows"]) == (expected, len(raw))
    # Commune files: the 22 communes; the 2016 file (geography 2018) also has the three
    # communes merged since into members: 21486 Pluvault, 21621 Tart-l'Abbaye (2019) and
    # 21507 Premières (2020), summed by the engine into 21352, 21623 and 21183.
    by_file = _by_file(contributions(portrait).sources)
    assert by_file["FILO2019_DISP_COM_dep21.csv"]["rows_used"] == 22
    assert by_file["FILO2016_DISP_COM_dep21.csv"]["rows_used"] == 25
    assert by_file["FILO2016_DISP_COM_dep21.csv"]["geography_year"] == 2018


def test_actualisation_parameters_are_resolved(portrait, real_store):
    local = Path(__file__).resolve().parents[1] / "data" / "demo" / "local" / "structures_petite_enfance.csv"
    block = report_provenance(portrait, "actualisation", territory=TERRITORY, year=None, level=None,
                              data_dir=str(real_store), shared_tables="", baseline=2016, update=2022,
                              focus=["petite-enfance", "logement"], local_data=str(local))
    params = block.parameters
    assert params["year"] == portrait.territory.geography.year and params["level"] == "epci"
    assert (params["baseline"], params["update"], params["focus"]) == (2016, 2022, ["petite-enfance", "logement"])
    assert params["local_data"] == {"file": local.name, "sha256": sha256_of(local)}
    assert params["data_dir"] == f"{TEMPORARY}/{real_store.name}"
    assert block.reproduce.endswith("-p baseline 2016 -p update 2022 -p focus petite-enfance,logement "
                                    "-p local_data structures_petite_enfance.csv")


def _without_images(text: str) -> str:
    return re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+", "", text)


def test_report_html_shows_sources_revision_and_no_machine_path(report, shared_data):
    page = _without_images(report["html"])
    section = page[page.rindex('<section class="abs-provenance">'):]
    contours_sha = sha256_of(shared_data / "geo" / "communes_dep21.geojson")
    assert re.search(r"<td[^>]*>communes_dep21\.geojson</td>", section) and contours_sha in section
    table = section[section.index("<table"):section.index("</table>")]
    assert not any(name in table for name in CAF_IRIS)
    assert "Fichiers importés sans ligne pour ce territoire : " + CAF_IRIS[0] in section
    assert re.search(r"révision ([0-9a-f]{40}|inconnue)", section)
    assert "Logiciels : Python " in section and "pandas " in section and "geopandas " in section
    assert "Géographie de référence" in section and "@etalab/decoupage-administratif" in section
    assert "Reproduire ce rapport" in section and f"abs report {TERRITORY} --study diagnostic --year" in section
    for text in (page, report["json_text"]):
        assert "/tmp/" not in text
        assert str(Path.home()) + "/" not in text


def test_report_json_holds_the_same_facts(report, shared_data):
    record = report["record"]
    assert record["code_revision"]["commit"] and record["software"]["python"]
    assert {"pandas", "numpy", "pyarrow", "matplotlib", "geopandas", "papermill", "nbconvert"} <= set(record["software"])
    assert record["geography"]["year"] == record["parameters"]["year"]
    assert record["geography"]["package_version"]
    sources = _by_file(record["sources"])
    assert sources["communes_dep21.geojson"]["sha256"] == sha256_of(shared_data / "geo" / "communes_dep21.geojson")
    assert sources["FILO2019_DISP_EPCI.csv"]["rows_used"] == 1
    assert sorted(_by_file(record["without_rows"])) == CAF_IRIS
    assert record["parameters"]["territory"] == TERRITORY and record["parameters"]["level"] == "epci"
    assert record["parameters"]["data_dir"].startswith(TEMPORARY)
    assert "tables_dir" not in record["requested_parameters"]
    assert record["reproduce"].startswith(f"abs report {TERRITORY} --study diagnostic")
