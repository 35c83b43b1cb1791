"""The on-disk cache of indicator inputs (``abs_lib.indicators.cache``) never serves stale data.

Real FiLoSoFi 2016 commune extract (geography 2018: merged communes are summed when put on
the latest geography) imported into a fresh store; the cache folder is a temporary one.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import abs_lib
from abs_lib.errors import DamagedTableError
from abs_lib.indicators import cache, loading
from abs_lib.indicators.loading import load_inputs
from abs_lib.sources.importing import import_files
from abs_lib.sources.store import Store
from abs_lib.territories import latest_year

FILE = "FILO2016_DISP_COM_dep21.csv"
MERGED_OLD, MERGED_NEW = "21213", "21452"  # Crimolois went into Neuilly-Crimolois in 2019
KEY = ("filosofi-disp", 2016, "commune")


@pytest.fixture
def store(shared_data, tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(cache.DISABLE_ENV, raising=False)
    root = tmp_path / "donnees"
    store = Store(root)
    assert all(r.ok for r in import_files([shared_data / "filosofi" / FILE], store))
    return store


def _count_builds(monkeypatch) -> list:
    """Every call of the uncached path (read + harmonise one file) is recorded."""
    calls = []
    original = loading._file_inputs

    def counting(*args, **kwargs):
        calls.append(args[1].dataset)
        return original(*args, **kwargs)

    monkeypatch.setattr(loading, "_file_inputs", counting)
    return calls


def _households(inputs, code: str) -> float:
    return float(inputs.level_tables[KEY].loc[code, "NBMEN"])


def test_second_read_comes_from_the_cache_and_equals_a_fresh_computation(store, monkeypatch, tmp_path):
    calls = _count_builds(monkeypatch)
    first = load_inputs(store, geography_year=latest_year())
    assert calls == ["filosofi-disp"]
    assert list((tmp_path / "cache" / cache.FOLDER).glob("*.pickle"))
    second = load_inputs(store, geography_year=latest_year())
    assert calls == ["filosofi-disp"], "the second read must not read and harmonise the file again"
    monkeypatch.setenv(cache.DISABLE_ENV, "1")
    fresh = load_inputs(store, geography_year=latest_year())
    assert calls == ["filosofi-disp", "filosofi-disp"]
    for got in (first, second):
        assert sorted(got.commune_tables) == sorted(fresh.commune_tables)
        for key, table in fresh.commune_tables.items():
            pd.testing.assert_frame_equal(got.commune_tables[key], table)
        for key, table in fresh.level_tables.items():
            pd.testing.assert_frame_equal(got.level_tables[key], table)
        assert got.notes == fresh.notes and got.notes  # the merges are told, from the cache too
        assert got.entries == fresh.entries
    # the merged commune is the sum of its former communes, as read from the file
    raw = pd.read_csv(store.root / store.entries()[0].raw, sep=";", dtype=str, encoding="utf-8-sig")
    nbmen = raw.set_index("CODGEO")["NBMEN16"].str.replace(",", ".").astype(float)
    assert _households(second, MERGED_NEW) == nbmen[MERGED_OLD] + nbmen[MERGED_NEW]


def test_a_reimported_file_is_read_again(store, shared_data, monkeypatch, tmp_path):
    before = load_inputs(store, geography_year=latest_year())
    calls = _count_builds(monkeypatch)
    edited = tmp_path / "edite" / FILE
    edited.parent.mkdir()
    text = (shared_data / "filosofi" / FILE).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith(MERGED_OLD + ";"))
    cells = lines[row].split(";")
    cells[2] = str(int(cells[2]) + 1000)  # NBMEN16 of Crimolois
    lines[row] = ";".join(cells)
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert all(r.ok for r in import_files([edited], store, replace=True))
    after = load_inputs(store, geography_year=latest_year())
    assert calls == ["filosofi-disp"]
    assert _households(after, MERGED_NEW) == _households(before, MERGED_NEW) + 1000


def test_another_geography_is_another_entry(store, monkeypatch):
    calls = _count_builds(monkeypatch)
    latest = load_inputs(store, geography_year=latest_year())
    as_published = load_inputs(store, geography_year=2018)
    assert calls == ["filosofi-disp", "filosofi-disp"]
    assert MERGED_OLD in as_published.level_tables[KEY].index  # 2018: Crimolois still a commune
    assert MERGED_OLD not in latest.level_tables[KEY].index
    load_inputs(store, geography_year=2018)
    assert len(calls) == 2


def test_a_code_change_invalidates(store, monkeypatch):
    calls = _count_builds(monkeypatch)
    load_inputs(store, geography_year=latest_year())
    monkeypatch.setattr(abs_lib, "__version__", "999.0.0", raising=False)
    cache.code_fingerprint.cache_clear()
    try:
        load_inputs(store, geography_year=latest_year())
    finally:
        cache.code_fingerprint.cache_clear()
    assert calls == ["filosofi-disp", "filosofi-disp"]


def test_code_fingerprint_covers_the_package_files():
    package = cache.code_fingerprint()
    assert len(package) == 64
    # every module and the registry are hashed: a change in any of them changes the key
    files = {p.name for p in __import__("pathlib").Path(abs_lib.__file__).parent.rglob("*") if p.suffix in (".py", ".yaml")}
    assert {"loading.py", "history.py", "registry.yaml", "compute.py"} <= files


def test_a_table_altered_on_disk_is_refused_not_served_from_the_cache(store, monkeypatch):
    load_inputs(store, geography_year=latest_year())
    entry = store.entries()[0]
    parquet = store.root / entry.parquet
    other = parquet.with_name("copie.parquet")
    table = pd.read_parquet(parquet)
    table.loc[table.index[0], "NBMEN16"] = 1.0 + float(table["NBMEN16"].iloc[0])
    table.to_parquet(other)
    shutil.move(other, parquet)  # same manifest, other bytes
    with pytest.raises(DamagedTableError, match="somme de contrôle différente"):
        load_inputs(store, geography_year=latest_year())


def test_an_unwritable_cache_folder_only_costs_time(store, monkeypatch, tmp_path):
    blocker = tmp_path / "fichier"
    blocker.write_text("pas un dossier", encoding="utf-8")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(blocker))
    calls = _count_builds(monkeypatch)
    first = load_inputs(store, geography_year=latest_year())
    second = load_inputs(store, geography_year=latest_year())
    assert calls == ["filosofi-disp", "filosofi-disp"]
    pd.testing.assert_frame_equal(first.level_tables[KEY], second.level_tables[KEY])


def test_a_damaged_cache_file_is_ignored(store, monkeypatch, tmp_path):
    load_inputs(store, geography_year=latest_year())
    for path in (tmp_path / "cache" / cache.FOLDER).glob("*.pickle"):
        path.write_bytes(b"tronque")
    calls = _count_builds(monkeypatch)
    again = load_inputs(store, geography_year=latest_year())
    assert calls == ["filosofi-disp"]
    assert KEY in again.level_tables


def _reimport_with_aiserey_richer(store, shared_data, tmp_path) -> None:
    """Re-import the FiLoSoFi extract with Aiserey's (21005, in the EPCI 200000925) median raised."""
    edited = tmp_path / "edite" / FILE
    edited.parent.mkdir()
    lines = (shared_data / "filosofi" / FILE).read_text(encoding="utf-8-sig").splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("21005;"))
    cells = lines[row].split(";")
    cells[6] = str(int(cells[6]) + 1000)  # Q216, its median income
    lines[row] = ";".join(cells)
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert all(r.ok for r in import_files([edited], store, replace=True))


def test_the_computed_table_of_a_study_is_cached_and_renewed_by_a_reimport(store, shared_data, monkeypatch, tmp_path):
    from abs_lib.indicators import Geography as MembershipIndex
    from abs_lib.indicators import load_registry
    from abs_lib.portrait import build
    from abs_lib.territories import find_territory

    place = find_territory("200000925")
    membership = place.geography.membership()
    supra = {(place.level, place.code), *MembershipIndex.from_membership(membership).references(place.level, place.code)}
    computed = []
    original = build.compute_table
    monkeypatch.setattr(build, "compute_table", lambda *a, **k: computed.append(1) or original(*a, **k))

    def table():
        inputs = load_inputs(store, geography_year=place.year)
        return build._computed_table(store, membership, inputs, load_registry(), place, supra)

    first, second = table(), table()
    assert len(computed) == 1
    pd.testing.assert_frame_equal(first, second)
    fresh = original(membership, load_inputs(store, geography_year=place.year), load_registry(),
                     communes=place.communes, territories=supra)
    pd.testing.assert_frame_equal(first, fresh)

    _reimport_with_aiserey_richer(store, shared_data, tmp_path)
    third = table()
    assert len(computed) == 2, "a re-imported file must recompute the table"
    assert not third.equals(first)


def test_the_table_of_a_batch_is_cached_and_renewed_by_a_reimport(store, shared_data, monkeypatch, tmp_path):
    from abs_lib.portrait import shared
    from abs_lib.territories import find_territory

    territories = [find_territory("200000925"), find_territory("21231")]
    computed = []
    original = shared.compute_table
    monkeypatch.setattr(shared, "compute_table", lambda *a, **k: computed.append(1) or original(*a, **k))

    def batch_table(out: str) -> pd.DataFrame:
        params = shared.precompute_shared_tables(territories, "diagnostic", None, store.root, tmp_path / out)
        return pd.read_parquet(params["shared_tables"])

    first, second = batch_table("lot1"), batch_table("lot2")
    assert len(computed) == 1, "a batch run again on the same data reads its table from the cache"
    pd.testing.assert_frame_equal(first, second)
    assert (tmp_path / "lot1" / shared.SHARED_FILE).read_bytes() == (tmp_path / "lot2" / shared.SHARED_FILE).read_bytes()
    assert {"200000925", "21231", "21005"} <= set(first["territory"])

    _reimport_with_aiserey_richer(store, shared_data, tmp_path)
    third = batch_table("lot3")
    assert len(computed) == 2, "a re-imported file must recompute the batch's table"
    assert not third.equals(first)
