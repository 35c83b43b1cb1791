"""The local store keeps originals, writes parquet once, and never leaves half-written tables."""

import json

import pandas as pd
import pytest

from abs_lib.errors import DatasetNotFoundError
from abs_lib.sources.readers import read_table
from abs_lib.sources.store import Store, sha256_of


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "FILO2019_DISP_COM.csv"
    path.write_bytes("\ufeffCODGEO;LIBGEO;NBMEN19;Q219\r\n01001;L'Abergement;300;s\r\n2A004;Ajaccio;30 000;21 500\r\n".encode())
    return path


def test_save_then_load_round_trip_keeps_codes_and_missing(tmp_path, source):
    store = Store(tmp_path / "data")
    frame = read_table(source)
    entry = store.save(frame, dataset="filosofi-disp", vintage=2019, level="commune",
                       origin="import : test", source_file=source)
    assert entry.rows == 2 and entry.sha256 == sha256_of(source)
    loaded = store.load("filosofi-disp", 2019, "commune")
    assert loaded["CODGEO"].tolist() == ["01001", "2A004"]
    assert pd.isna(loaded.loc[0, "Q219"]) and loaded.loc[1, "Q219"] == 21500
    # The original is kept byte for byte.
    raw = tmp_path / "data" / "raw" / "filosofi-disp" / "2019" / source.name
    assert raw.read_bytes() == source.read_bytes()
    listed = store.list_frame()
    assert listed[["dataset", "vintage", "level", "rows"]].values.tolist() == [["filosofi-disp", 2019, "commune", 2]]


def test_failed_write_leaves_nothing_listed(tmp_path, source):
    store = Store(tmp_path / "data")

    class Unwritable(pd.DataFrame):
        def to_parquet(self, *args, **kwargs):  # a disk-full or crash in the middle of writing
            raise OSError("disque plein")

    frame = Unwritable(read_table(source))
    with pytest.raises(OSError):
        store.save(frame, dataset="filosofi-disp", vintage=2019, level="commune", origin="x", source_file=source)
    assert store.entries() == []
    leftovers = [p for p in (tmp_path / "data" / "processed").rglob("*") if p.is_file()]
    assert leftovers == []


def test_manifest_without_parquet_is_not_listed(tmp_path, source):
    store = Store(tmp_path / "data")
    store.save(read_table(source), dataset="filosofi-disp", vintage=2019, level="commune", origin="x", source_file=source)
    (tmp_path / "data" / "processed" / "filosofi-disp" / "2019" / "commune.parquet").unlink()
    assert store.entries() == []


def test_missing_table_names_fetch_and_import(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        Store(tmp_path).load("rp-evol-struct-pop", 2019, "commune")
    assert "abs data fetch rp-evol-struct-pop" in str(info.value) and "abs data import" in str(info.value)


def test_manifest_is_readable_json(tmp_path, source):
    store = Store(tmp_path / "data")
    store.save(read_table(source), dataset="filosofi-disp", vintage=2019, level="commune",
               origin="https://www.insee.fr/x.zip", source_file=source, fictional=True)
    manifest = json.loads((tmp_path / "data" / "processed" / "filosofi-disp" / "2019" / "commune.json").read_text())
    assert manifest["origin"] == "https://www.insee.fr/x.zip" and manifest["fictional"] is True


def test_parts_of_one_dataset_are_stored_apart_and_loaded_together(tmp_path):
    """One file per measure (DREES Tab23, Tab33): each part keeps its own file and checksum."""
    store = Store(tmp_path / "data")
    saved = {}
    for part, value in (("Tab23", 110.0), ("Tab33", 4101.0)):
        source = tmp_path / f"{part}.csv"
        source.write_text(f"Code département;{part}\n21;{value}\n", encoding="utf-8")
        frame = pd.DataFrame({"Code département": ["21"], part: [value]})
        saved[part] = store.save(frame, dataset="drees-accueil-jeune-enfant", vintage=2019, level="departement",
                                 origin="import : test", source_file=source, part=part)
    assert {e.part: e.sha256 for e in store.entries()} == {p: e.sha256 for p, e in saved.items()}
    assert saved["Tab23"].sha256 != saved["Tab33"].sha256
    joined = store.load("drees-accueil-jeune-enfant", 2019, "departement")
    assert joined.to_dict("records") == [{"Code département": "21", "Tab23": 110.0, "Tab33": 4101.0}]
    again = pd.DataFrame({"Code département": ["21"], "Tab23": [111.0]})   # a part imported again replaces itself
    store.save(again, dataset="drees-accueil-jeune-enfant", vintage=2019, level="departement",
               origin="import : test", source_file=tmp_path / "Tab23.csv", part="Tab23")
    assert len(store.entries()) == 2
    assert store.load("drees-accueil-jeune-enfant", 2019, "departement").loc[0, "Tab23"] == 111.0
