"""`abs territory show CODE` without pandas (``territories.quick``) says what the full lookup says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from abs_lib.cli.territory import render_text
from abs_lib.territories import find_territory, quick

CODES = ["200000925", "242100410", "21231", "21", "2A004", "DEP-21", "REG-27", "COM-97101", "976", "75056", "01001"]


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("year", [None, 2019])
def test_same_text_as_the_full_lookup(code, year):
    fast = quick.find(code, year)
    full = find_territory(code, year)
    assert fast is not None, f"{code} is a code of the reference geography"
    assert (fast.level, fast.code, fast.name, fast.year, fast.communes, fast.epci) == (
        full.level, full.code, full.name, full.year, full.communes, full.epci)
    assert render_text(fast) == render_text(full)
    assert [(r.code, r.name, r.n_communes) for r in fast.departement_counts()] == [
        tuple(r) for r in full.departement_counts()[["code", "name", "n_communes"]].itertuples(index=False)]


@pytest.mark.parametrize("query", ["plaine dijonnaise", "99999", "FRANCE", "METRO", "2B999", "", "123456789012"])
def test_anything_else_is_left_to_the_full_lookup(query):
    assert quick.find(query) is None


def test_a_region_code_read_as_a_region():
    assert quick.find("27", level="region").name == find_territory("27", level="region").name


def test_territory_show_imports_no_pandas():
    code = ("import sys; from abs_lib.cli import main; main(['territory', 'show', '200000925']); "
            "print(sorted(m for m in ('pandas', 'geopandas', 'matplotlib', 'papermill', 'dask') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "CC de la Plaine Dijonnaise" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def _fresh(monkeypatch, cache_dir):
    monkeypatch.setenv("ABS_CACHE_DIR", str(cache_dir))
    monkeypatch.delenv("ABS_NO_CACHE", raising=False)
    for function in (quick._reference_key, quick._years, quick._year_columns, quick._year_names,
                     quick._reference_table):
        function.cache_clear()


@pytest.fixture
def clean_caches():
    yield
    for function in (quick._reference_key, quick._years, quick._year_columns, quick._year_names,
                     quick._reference_table):
        function.cache_clear()


def test_snapshot_is_reused_then_renewed_when_the_reference_files_change(monkeypatch, tmp_path, clean_caches):
    import shutil

    from abs_lib.config import reference_dir
    from abs_lib.territories import reference

    _fresh(monkeypatch, tmp_path / "cache")
    assert quick.find("200000925").name == "CC de la Plaine Dijonnaise"
    written = sorted((tmp_path / "cache" / quick.SNAPSHOT_FOLDER).glob("*.pickle"))
    assert written, "the snapshot is written in ABS_CACHE_DIR"
    _fresh(monkeypatch, tmp_path / "cache")
    monkeypatch.setattr(quick, "_reference_table", lambda: pytest.fail("read again instead of the snapshot"))
    assert quick.find("200000925").name == "CC de la Plaine Dijonnaise"
    monkeypatch.undo()

    # other reference files (an update of the package): another key, nothing stale served
    copy = tmp_path / "reference"
    shutil.copytree(reference_dir(), copy)
    epci = copy / reference.CSV_FILES["epci"]
    epci.write_text(epci.read_text(encoding="utf-8").replace("CC de la Plaine Dijonnaise", "CC Renommée"),
                    encoding="utf-8")
    monkeypatch.setattr(reference, "reference_dir", lambda: copy)
    _fresh(monkeypatch, tmp_path / "cache")
    assert quick.find("200000925").name == "CC Renommée"


def test_a_damaged_snapshot_is_rebuilt(monkeypatch, tmp_path, clean_caches):
    _fresh(monkeypatch, tmp_path / "cache")
    quick.find("21231")
    for path in (tmp_path / "cache" / quick.SNAPSHOT_FOLDER).glob("*.pickle"):
        path.write_bytes(b"abime")
    _fresh(monkeypatch, tmp_path / "cache")
    assert quick.find("21231").name == find_territory("21231").name
