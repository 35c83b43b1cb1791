"""The provenance block's facts, piece by piece: code revision, software, reference
geography, paths without the machine's folders, resolved parameters, reproduce command.

Fast (no kernel, no real-data import); the real-data checks are in test_provenance_real.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abs_lib.reports import environment
from abs_lib.reports.contributions import file_name, former_codes, public_origin
from abs_lib.reports.provenance import (
    DATA_DIR_ENV_SHOWN,
    DEMO_DATA,
    TEMPORARY,
    describe_data_dir,
    display_path,
    local_file,
    provenance_block,
    public_parameters,
    reproduce_command,
)
from abs_lib.sources.store import sha256_of
from abs_lib.territories import load_geography
from conftest import REPO


# -- code revision, software, reference geography ---------------------------------------------

def test_code_revision_of_this_checkout_is_its_git_commit():
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("git indisponible ou dépôt absent")
    revision = environment.code_revision()
    assert revision["source"] == "git"
    assert revision["commit"] == head.stdout.strip()
    assert isinstance(revision["dirty"], bool)


def _copy_of_abs(root: Path) -> Path:
    """abs_lib copied to ``root/src``, beside a pyproject.toml, outside any git repository."""
    shutil.copytree(REPO / "src" / "abs_lib", root / "src" / "abs_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "pyproject.toml").write_text("[project]\nname = \"abs-lib\"\n", encoding="utf-8")
    return root / "src" / "abs_lib"


def _revision_in(root: Path) -> dict:
    code = "import json; from abs_lib.reports.environment import code_revision; print(json.dumps(code_revision()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
                          env={"PYTHONPATH": str(root / "src"), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


def test_code_revision_outside_git_is_unknown_or_read_from_the_build(tmp_path):
    if subprocess.run(["git", "-C", str(tmp_path), "rev-parse"], capture_output=True).returncode == 0:
        pytest.skip("le dossier temporaire est dans un dépôt git")
    package = _copy_of_abs(tmp_path)
    assert _revision_in(tmp_path) == {"commit": "inconnue", "dirty": None, "source": "inconnue"}
    (package / environment.BUILD_INFO).write_text(json.dumps({"commit": "a" * 40, "dirty": False}), encoding="utf-8")
    assert _revision_in(tmp_path) == {"commit": "a" * 40, "dirty": False, "source": "build"}


def test_software_versions_name_python_and_the_key_libraries():
    versions = environment.software_versions()
    assert versions["python"] == ".".join(map(str, sys.version_info[:3]))
    import pandas

    assert versions["pandas"] == pandas.__version__
    assert set(environment.KEY_DEPENDENCIES) <= set(versions)


def test_reference_geography_names_the_package_version_of_its_year():
    assert environment.reference_package_versions()[2019] == "0.7.0"
    assert environment.reference_geography(load_geography(2026)) == {
        "year": 2026, "fictional": False, "source": "@etalab/decoupage-administratif", "package_version": "6.0.0"}
    from abs_lib.demo import demo_geography

    assert environment.reference_geography(demo_geography())["fictional"] is True


# -- paths ---------------------------------------------------------------------------------------

def test_paths_are_shown_without_the_machine_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    assert display_path(REPO / "data") == "./data"
    assert display_path("notebooks/diagnostic.ipynb") == "./notebooks/diagnostic.ipynb"
    assert display_path(tmp_path / "donnees") == f"{TEMPORARY}/donnees"
    if Path.home() != Path("/") and not REPO.is_relative_to(Path.home()):
        assert display_path(Path.home() / "abs" / "data") == "~/abs/data"
    assert display_path("/srv/abs/data") == "/srv/abs/data"
    assert display_path("") is None and display_path(None) is None


def test_data_dir_is_described_as_the_analyst_chose_it(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("ABS_DATA_DIR", raising=False)
    assert describe_data_dir("") == "./data"
    assert describe_data_dir("", demo=True) == DEMO_DATA
    assert describe_data_dir(str(REPO / "data")) == "./data"
    monkeypatch.setenv("ABS_DATA_DIR", str(tmp_path))
    assert describe_data_dir("") == DATA_DIR_ENV_SHOWN
    assert describe_data_dir(str(tmp_path)) == DATA_DIR_ENV_SHOWN  # abs report passes it resolved
    assert describe_data_dir(str(tmp_path / "autre")) == f"{TEMPORARY}/autre"


def test_origins_and_local_files_keep_only_file_names(tmp_path):
    assert public_origin("import : /tmp/x/y/FILO2019_DISP_EPCI.csv") == "import : FILO2019_DISP_EPCI.csv"
    assert public_origin("import:demo.csv") == "import:demo.csv"
    url = "https://www.insee.fr/fr/statistiques/fichier/6036907/indic-struct-distrib-revenu-2019-COMMUNES.zip"
    assert public_origin(url) == url
    assert file_name(r"C:\Users\x\data.csv") == "data.csv"
    local = tmp_path / "structures.csv"
    local.write_text("nom_structure;code_commune\n", encoding="utf-8")
    assert local_file(str(local)) == {"file": "structures.csv", "sha256": sha256_of(local)}
    assert local_file("") is None


def test_requested_parameters_lose_temporary_paths(tmp_path):
    params = {"territory": "01001", "year": None, "data_dir": str(tmp_path / "data"),
              "tables_dir": str(tmp_path / ".diagnostic.en-cours-x"), "baseline": 2016}
    public = public_parameters(params)
    assert public == {"territory": "01001", "year": None, "data_dir": f"{TEMPORARY}/data", "baseline": 2016}


# -- commune history -------------------------------------------------------------------------

def test_former_codes_follow_mergers_since_the_file_geography():
    # 21486 Pluvault merged into 21352 Longeault-Pluvault on 1 January 2019.
    assert "21486" in former_codes({"21352"}, 2026)
    assert "21486" in former_codes({"21352"}, 2026, since=2018)
    assert former_codes({"21352"}, 2026, since=2019) == {"21352"}
    # 21507 Premières merged into 21183 Collonges-et-Premières on 1 January 2020.
    assert former_codes({"21183"}, 2019) == {"21183"}


# -- block and command -----------------------------------------------------------------------

def test_reproduce_command_gives_the_study_parameters():
    params = {"territory": "200000925", "level": "epci", "year": 2026, "data_dir": "./donnees",
              "baseline": 2016, "update": 2022, "focus": ["petite-enfance", "personnes-âgées"],
              "local_data": {"file": "structures.csv", "sha256": "ab" * 32}, "shared_tables": None}
    assert reproduce_command("actualisation", params) == (
        "abs report 200000925 --study actualisation --year 2026 --data-dir ./donnees -p baseline 2016 "
        "-p update 2022 -p focus 'petite-enfance,personnes-âgées' -p local_data structures.csv")
    params.update(data_dir=f"{TEMPORARY}/x", local_data=None, focus=[])
    assert "--data-dir DOSSIER_DES_DONNEES" in reproduce_command("actualisation", params)
    assert reproduce_command("diagnostic", {"territory": "01001", "level": "commune", "year": 2019,
                                            "data_dir": "ABS_DATA_DIR"}) == \
        "abs report 01001 --study diagnostic --year 2019"


def test_block_shows_revision_software_geography_and_files_without_rows():
    used = {"dataset": "filosofi-disp", "vintage": 2019, "level": "epci", "geography_year": None,
            "origin": "import : /tmp/a/FILO2019_DISP_EPCI.csv", "source_file": "FILO2019_DISP_EPCI.csv",
            "sha256": "cd" * 32, "rows": 1240, "rows_used": 1}
    unused = dict(used, dataset="caf-iris", vintage=2016, level="iris", source_file="data_CAF_2016_IRIS_dep21.csv",
                  rows=96, rows_used=0)
    block = provenance_block([used], parameters={"territory": "200000925"}, without_rows=[unused],
                             geography=environment.reference_geography(load_geography(2026)),
                             reproduce="abs report 200000925 --study diagnostic --year 2026")
    page = block.to_html()
    assert "/tmp/" not in page and "import : FILO2019_DISP_EPCI.csv" == block.sources[0]["origin"]
    assert "1 sur 1\u00a0240" in page
    assert "Fichiers importés sans ligne pour ce territoire : data_CAF_2016_IRIS_dep21.csv (caf-iris 2016)." in page
    assert "data_CAF_2016_IRIS_dep21.csv</td>" not in page  # not in the sources table
    assert "1er janvier 2026" in page and "6.0.0" in page
    assert f"pandas {environment.software_versions()['pandas']}" in page
    assert re.search(r"révision ([0-9a-f]{40}|inconnue)", page)
    assert "Reproduire ce rapport" in page and "abs report 200000925 --study diagnostic --year 2026" in page
    facts = block.to_dict()
    assert facts["without_rows"][0]["source_file"] == "data_CAF_2016_IRIS_dep21.csv"
    assert facts["geography"]["package_version"] == "6.0.0"
    assert facts["software"]["python"] and facts["code_revision"]["commit"]


def test_study_targets_follow_the_engine_harmonisation():
    from abs_lib.reports.contributions import _study_targets
    from abs_lib.territories.fit import GeographyFit

    def fit(year, uncertain=()):
        return GeographyFit(year=year, candidates=(year,), matched=1, total=1, jaccard=1.0, uncertain=uncertain)

    assert _study_targets({"21352"}, fit(2018), 2026) == {"21352", "21486"}  # merged in: summed
    assert _study_targets({"21352"}, fit(2026), 2026) == {"21352"}
    # A file newer than the study: communes that changed in between are left out.
    assert _study_targets({"21352", "21486", "21292"}, fit(2026), 2018) == {"21292"}
    assert _study_targets({"21352", "21292"}, fit(2026, uncertain=("21292",)), 2026) == {"21352"}
