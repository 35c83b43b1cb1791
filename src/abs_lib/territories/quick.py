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


def _years() -> list[int]:
    return sorted(set(_reference_table()[1]))


@lru_cache(maxsize=4)
def _year_columns(year: int) -> dict[str, list] | None:
    """The columns of the communes of ``year`` (rows of a year are contiguous), or None."""
    table, years = _reference_table()
    if year not in years:
        return None
    start, count = years.index(year), years.count(year)
    if years[start + count - 1] != year:
        return None
    part = table.slice(start, count)
    return {c: part.column(c).to_pylist() for c in ("code", "name", "epci", "departement", "region")}


def _communes_where(year: int, level: str, code: str) -> list[CommuneRow] | None:
    """Communes of geography ``year`` whose ``level`` code is ``code``, sorted by code."""
    data = _year_columns(year)
    if data is None:
        return None
    keys = data[level]
    rows = [CommuneRow(data["code"][i], data["name"][i], data["epci"][i], data["departement"][i], data["region"][i])
            for i in range(len(keys)) if keys[i] == code]
    return sorted(rows, key=lambda r: r.code)


@lru_cache(maxsize=16)
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
        return (_names("epci", self.year).get(code) or {}).get("name") or code

    def epci_type(self, code: str) -> str | None:
        return (_names("epci", self.year).get(code) or {}).get("type")

    def departement_name(self, code: str) -> str:
        return (_names("departements", self.year).get(code) or {}).get("name") or code

    def region_name(self, code: str) -> str:
        return (_names("regions", self.year).get(code) or {}).get("name") or code


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
    named = _names(_LEVEL_TABLES[level], year).get(code)
    if named is None:
        return None
    rows = _communes_where(year, level, code)
    if rows is None:
        return None
    rows = tuple(rows)
    return QuickTerritory(level, code, named["name"], year, tuple(r.code for r in rows), rows, geography=geography)
