"""``abs territory show CODE`` without pandas: the reference files read with pyarrow and csv only.

Why: showing one territory by its code is the command an analyst types most, and importing
pandas costs more than everything else it does. This module answers the common case — a
code (``200000925``, ``21231``, ``DEP-21``…) of a commune, EPCI, département or région that
exists in the geography — from the same committed reference files as
:class:`~abs_lib.territories.geography.Geography`, and says ``None`` for anything else (a
name, an unknown code, France…): the caller then takes the full path, whose errors and
suggestions stay the only ones.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from abs_lib.territories import reference
from abs_lib.territories.codes import LEVEL_LABELS, LEVEL_PREFIX, normalize_level, parse_code

_LEVEL_TABLES = {"epci": "epci", "departement": "departements", "region": "regions"}


class CommuneRow(NamedTuple):
    code: str
    name: str
    epci: str | None
    departement: str
    region: str


class CountRow(NamedTuple):
    code: str
    name: str
    n_communes: int


@lru_cache(maxsize=1)
def _reference_table():
    """The commune reference file and its year column as a list (no pandas)."""
    import pyarrow.parquet as pq

    columns = ["year", "code", "name", "epci", "departement", "region"]
    # ParquetFile and to_pylist only: read_table (pyarrow.dataset) and to_numpy import pandas.
    table = pq.ParquetFile(reference._path(reference.COMMUNES_FILE)).read(columns=columns)
    return table, table.column("year").to_pylist()


def _years_from_file() -> list[int]:
    return sorted(set(_reference_table()[1]))


def _columns_from_file(year: int) -> dict[str, list] | None:
    """The columns of the communes of ``year`` (rows of a year are contiguous), or None."""
    table, years = _reference_table()
    if year not in years:
        return None
    start, count = years.index(year), years.count(year)
    if years[start + count - 1] != year:
        return None
    part = table.slice(start, count)
    return {c: part.column(c).to_pylist() for c in ("code", "name", "epci", "departement", "region")}


# -- snapshot: what one command needs of the reference files, pickled once in the user's cache ----

_FORMAT = 1
SNAPSHOT_FOLDER = "territoires"


def _snapshot_folder() -> Path | None:
    """``$ABS_CACHE_DIR/territoires`` or the user's cache folder (``~/.cache/abs/territoires``…)."""
    import os

    from abs_lib.config import CACHE_DIR_ENV

    if os.environ.get("ABS_NO_CACHE", "") not in ("", "0"):
        return None
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env).expanduser() / SNAPSHOT_FOLDER
    import platformdirs

    return Path(platformdirs.user_cache_dir("abs")) / SNAPSHOT_FOLDER


@lru_cache(maxsize=1)
def _reference_key() -> str:
    """Checksum of the reference files read here (other files, other snapshot)."""
    import hashlib

    digest = hashlib.sha256(f"{_FORMAT}".encode())
    for name in (reference.COMMUNES_FILE, *(reference.CSV_FILES[t] for t in _LEVEL_TABLES.values())):
        digest.update(reference._path(name).read_bytes())
    return digest.hexdigest()[:32]


def _snapshot(name: str, build):
    """``build()``, kept in the snapshot folder under the reference files' checksum."""
    import os
    import pickle
    import tempfile

    folder = _snapshot_folder()
    path = None if folder is None else folder / f"{_reference_key()}-{name}.pickle"
    if path is not None:
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)  # noqa: S301 - written by abs in the user's own cache
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
            pass
    value = build()
    if path is not None:
        from abs_lib.atomic import atomic_write

        try:
            atomic_write(path, lambda tmp: tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
        except Exception:  # noqa: BLE001 - a cache that cannot be written only costs time
            pass
    return value


@lru_cache(maxsize=1)
def _years() -> list[int]:
    return _snapshot("annees", _years_from_file)


@lru_cache(maxsize=4)
def _year_columns(year: int) -> dict[str, list] | None:
    return _snapshot(f"communes-{year}", lambda: _columns_from_file(year))


@lru_cache(maxsize=4)
def _year_names(year: int) -> dict[str, dict]:
    return _snapshot(f"noms-{year}", lambda: {t: _names(t, year) for t in _LEVEL_TABLES.values()})


def _communes_where(year: int, level: str, code: str) -> list[CommuneRow] | None:
    """Communes of geography ``year`` whose ``level`` code is ``code``, sorted by code."""
    data = _year_columns(year)
    if data is None:
        return None
    keys = data[level]
    rows = [CommuneRow(data["code"][i], data["name"][i], data["epci"][i], data["departement"][i], data["region"][i])
            for i in range(len(keys)) if keys[i] == code]
    return sorted(rows, key=lambda r: r.code)


def _names(name: str, year: int) -> dict[str, dict]:
    """One small CSV table of ``year`` by code; empty cells are None (as pandas reads them)."""
    with open(reference._path(reference.CSV_FILES[name]), encoding="utf-8", newline="") as handle:
        lines = handle.read().splitlines()
    prefix = f"{year},"
    header = next(csv.reader(lines[:1]))
    out = {}
    for row in csv.reader(line for line in lines[1:] if line.startswith(prefix)):
        record = {k: (v if v != "" else None) for k, v in zip(header, row)}
        if record.get("year") == str(year):
            out[record["code"]] = record
    return out


@dataclass(frozen=True)
class QuickGeography:
    year: int
    fictional: bool = False

    def epci_name(self, code: str) -> str:
        return (_year_names(self.year)["epci"].get(code) or {}).get("name") or code

    def epci_type(self, code: str) -> str | None:
        return (_year_names(self.year)["epci"].get(code) or {}).get("type")

    def departement_name(self, code: str) -> str:
        return (_year_names(self.year)["departements"].get(code) or {}).get("name") or code

    def region_name(self, code: str) -> str:
        return (_year_names(self.year)["regions"].get(code) or {}).get("name") or code


@dataclass(frozen=True)
class QuickTerritory:
    """What ``abs territory show`` prints of a territory; same names as :class:`Territory`."""

    level: str
    code: str
    name: str
    year: int
    communes: tuple[str, ...]
    rows: tuple[CommuneRow, ...] = field(repr=False)
    epci: str | None = None
    fictional: bool = False
    geography: QuickGeography | None = field(default=None, repr=False)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def insee_geo(self) -> str:
        return f"{LEVEL_PREFIX[self.level]}-{self.code}"

    @property
    def n_communes(self) -> int:
        return len(self.communes)

    def communes_table(self) -> list[CommuneRow]:
        return list(self.rows)

    def departement_counts(self) -> list[CountRow]:
        return self._counts("departement", self.geography.departement_name)

    def region_counts(self) -> list[CountRow]:
        return self._counts("region", self.geography.region_name)

    def _counts(self, level: str, namer) -> list[CountRow]:
        counts = Counter(getattr(row, level) for row in self.rows)
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [CountRow(code, namer(code), n) for code, n in ordered]


def find(query, year: int | None = None, *, level: str | None = None) -> QuickTerritory | None:
    """The territory a code names, or None when only the full lookup can answer (or explain)."""
    try:
        parsed = parse_code(query, normalize_level(level))
        years = _years()
    except Exception:  # noqa: BLE001 - the full path raises the right French error
        return None
    if parsed is None:
        return None
    level, code = parsed
    year = years[-1] if year is None else int(year)
    if year not in years or level not in ("commune", "epci", "departement", "region"):
        return None
    geography = QuickGeography(year)
    if level == "commune":
        rows = _communes_where(year, "code", code)
        if rows is None or len(rows) != 1:
            return None
        row = rows[0]
        return QuickTerritory("commune", code, row.name, year, (code,), (row,), epci=row.epci, geography=geography)
    named = _year_names(year)[_LEVEL_TABLES[level]].get(code)
    if named is None:
        return None
    rows = _communes_where(year, level, code)
    if rows is None:
        return None
    rows = tuple(rows)
    return QuickTerritory(level, code, named["name"], year, tuple(r.code for r in rows), rows, geography=geography)
