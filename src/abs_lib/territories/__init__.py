"""Territories: communes, EPCI, départements, régions, by geography year.

Membership (commune -> EPCI -> département -> région -> France métropolitaine)
comes from the committed reference files (data/reference/, built from the npm
package @etalab/decoupage-administratif, one version per year). Typical use::

    from abs_lib.territories import find_territory, harmonise
    epci = find_territory("200000925")            # latest geography
    epci.communes, epci.departement_counts()
    find_territory("plaine dijonnaise", year=2019).n_communes   # 23
    harmonise(table_2019, from_year=2019, additive=["P16_POP"]).frame

The offline demo builds its fictional geography with
:meth:`Geography.from_commune_table` and passes it as ``geography=``.
"""

from __future__ import annotations

import importlib

from abs_lib.errors import UsageError
from abs_lib.territories.codes import (
    LEVEL_LABELS,
    LEVELS,
    normalize_code,
    normalize_level,
    parse_code,
)

# Read on first use (PEP 562): `abs territory show` answers a code without importing pandas.
_LAZY = {
    "Geography": "geography", "available_years": "geography", "latest_year": "geography",
    "load_geography": "geography", "Harmonised": "history", "commune_changes": "history",
    "follow_code": "history", "harmonise": "history", "Territory": "territory",
}


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"abs_lib.territories.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'abs_lib.territories' has no attribute {name!r}")


def find_territory(
    query, year: int | None = None, *, level: str | None = None, geography: "Geography | None" = None
) -> "Territory":
    """A territory by code or by name.

    ``query``: a code (``21231``, ``"2A004"``, ``200000925``, ``"DEP-21"``,
    ``"EPCI-200000925"``; ints are repaired, see :func:`normalize_code`) or a name
    (case/accent-insensitive; "CC de", "Communauté de communes", "Métropole"…
    optional; "Name (21)" narrows homonyms to a département).
    ``year``: geography year (default: the latest); ignored when ``geography`` is given.
    ``level``: force a level ("commune", "epci", "departement", "region"…), e.g.
    ``level="region"`` to read ``"27"`` as a région.

    Raises :class:`~abs_lib.errors.TerritoryNotFoundError` (with suggestions) or
    :class:`~abs_lib.errors.AmbiguousTerritoryError` (homonyms).
    """
    from abs_lib.territories.geography import load_geography

    geography = geography or load_geography(year)
    return geography.find(query, level=level)


def search_territories(
    text: str,
    year: int | None = None,
    *,
    level: str | None = None,
    limit: int = 10,
    geography: "Geography | None" = None,
) -> "list[Territory]":
    """The territories whose names are closest to ``text``, best first (``limit`` ≥ 1 of them)."""
    from abs_lib.territories.geography import load_geography

    if int(limit) < 1:
        raise UsageError(f"Nombre de résultats invalide ({limit}) : demandez-en 1 ou plus.")
    geography = geography or load_geography(year)
    return geography.search(text, level=level, limit=limit)


__all__ = [
    "LEVELS",
    "LEVEL_LABELS",
    "Geography",
    "Harmonised",
    "Territory",
    "available_years",
    "commune_changes",
    "find_territory",
    "follow_code",
    "harmonise",
    "latest_year",
    "load_geography",
    "normalize_code",
    "normalize_level",
    "parse_code",
    "search_territories",
]
