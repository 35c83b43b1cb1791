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


@lru_cache(maxsize=4)
def _communes(year: int) -> dict[str, CommuneRow] | None:
    """Communes of ``year`` by code, or None when the file is not laid out by year."""
    import pyarrow.parquet as pq

    columns = ["year", "code", "name", "epci", "departement", "region"]
    # ParquetFile and to_pylist only: read_table (pyarrow.dataset) and to_numpy import pandas.
    table = pq.ParquetFile(reference._path(reference.COMMUNES_FILE)).read(columns=columns)
    years = table.column("year").to_pylist()
    if year not in years:
        return None
    start = years.index(year)
    count = years.count(year)
    if years[start + count - 1] != year or (start + count < len(years) and years[start + count] == year):
        return None
    part = table.slice(start, count)
    values = [part.column(c).to_pylist() for c in columns[1:]]
    return {row[0]: CommuneRow(*row) for row in zip(*values)}


@lru_cache(maxsize=16)
def _names(name: str, year: int) -> dict[str, dict]:
    """One small CSV table of ``year`` by code; empty cells are None (as pandas reads them)."""
    out = {}
    with open(reference._path(reference.CSV_FILES[name]), encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if int(row["year"]) == year:
                out[row["code"]] = {k: (v if v != "" else None) for k, v in row.items()}
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
        years = reference.available_years()
    except Exception:  # noqa: BLE001 - the full path raises the right French error
        return None
    if parsed is None:
        return None
    level, code = parsed
    year = years[-1] if year is None else int(year)
    if year not in years or level not in ("commune", "epci", "departement", "region"):
        return None
    communes = _communes(year)
    if communes is None:
        return None
    geography = QuickGeography(year)
    if level == "commune":
        row = communes.get(code)
        if row is None:
            return None
        return QuickTerritory("commune", code, row.name, year, (code,), (row,), epci=row.epci, geography=geography)
    named = _names(_LEVEL_TABLES[level], year).get(code)
    if named is None:
        return None
    rows = tuple(sorted((r for r in communes.values() if getattr(r, level) == code), key=lambda r: r.code))
    return QuickTerritory(level, code, named["name"], year, tuple(r.code for r in rows), rows, geography=geography)
