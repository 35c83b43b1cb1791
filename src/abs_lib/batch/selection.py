"""Which territories a batch covers: a département's EPCI, every EPCI, an EPCI's communes, a list.

Every code is checked against the geography before any report starts, so a
typo in a list of 1,200 codes stops the batch at once, with suggestions, rather
than after an hour. Territories are built in bulk (``Geography.territory`` costs
about half a millisecond each, too slow for the 35,000 communes of France).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from abs_lib.errors import AbsError, BatchError, TerritoryNotFoundError
from abs_lib.territories import Geography, Territory, load_geography
from abs_lib.territories.codes import LEVEL_LABELS, parse_code

@dataclass(frozen=True)
class Selection:
    """The territories of a batch, in the geography they were read from."""

    territories: list[Territory]
    geography: Geography
    description: str

    @property
    def fictional(self) -> bool:
        return self.geography.fictional


def read_codes_file(path: str | Path) -> list[tuple[int, str]]:
    """``(line number, code)`` for each code of a list file: one code per line, ``#`` comments.

    Codes stay text (``01001`` keeps its zero); blank lines are ignored.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise BatchError(f"Liste de territoires illisible : {path} ({error.strerror or error}).") from None
    except UnicodeDecodeError:
        raise BatchError(f"Liste de territoires {path} : encodage non UTF-8. Enregistrez-la en UTF-8.") from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0].strip().strip(";,").strip().strip('"')
        if code:
            found.append((number, code))
    if not found:
        raise BatchError(f"La liste de territoires {path} ne contient aucun code (un code par ligne).")
    return found


def select_territories(
    *,
    departement: str | None = None,
    all_epci: bool = False,
    communes_of: str | None = None,
    codes: list[str] | list[tuple[int, str]] | None = None,
    year: int | None = None,
    geography: Geography | None = None,
) -> Selection:
    """The territories of a batch, chosen by exactly one criterion.

    ``departement``: every EPCI with at least one commune in it. ``all_epci``: every
    EPCI. ``communes_of``: the member communes of an EPCI. ``codes``: a list of codes
    (or of ``(line, code)`` pairs from :func:`read_codes_file`), any level.
    ``geography``: default ``load_geography(year)``; pass :func:`demo_geography` for the demo.

    Raises ``TerritoryNotFoundError`` (with suggestions) for unknown codes, listing
    them all, and ``BatchError`` when the criterion gives no territory.
    """
    chosen = [departement is not None, bool(all_epci), communes_of is not None, codes is not None]
    if sum(chosen) != 1:
        raise BatchError(
            "Choisissez les territoires par un seul critère : --departement, --all-epci, "
            "--communes-of ou --territories."
        )
    geography = geography or load_geography(year)
    where = f"géographie {geography.year}" + (" fictive" if geography.fictional else "")
    if departement is not None:
        dep = _one(geography, departement, "departement")
        in_dep = geography.communes[geography.communes["departement"] == dep.code]
        epcis = sorted(in_dep["epci"].dropna().unique())
        territories = _epcis(geography, epcis)
        description = f"EPCI du département {dep.name} ({dep.code}), {where}"
    elif all_epci:
        territories = _epcis(geography, sorted(geography.epci.index))
        description = f"tous les EPCI, {where}"
    elif communes_of is not None:
        epci = _one(geography, communes_of, "epci")
        territories = _communes(geography, list(epci.communes))
        description = f"communes de {epci.name} (EPCI {epci.code}), {where}"
    else:
        territories = _from_codes(geography, codes)
        description = f"liste de {len(territories)} territoire(s), {where}"
    if not territories:
        raise BatchError(f"Aucun territoire à produire ({description}).")
    return Selection(territories=territories, geography=geography, description=description)


def _one(geography: Geography, query, level: str) -> Territory:
    """A département or EPCI by code or name, with close codes added to the suggestions."""
    try:
        return geography.find(query, level=level)
    except TerritoryNotFoundError as error:
        raise _with_close_codes(geography, str(query), level, error) from None


def _from_codes(geography: Geography, codes) -> list[Territory]:
    pairs = [(None, c) if not isinstance(c, tuple) else c for c in codes]
    by_level: dict[str, list[str]] = {}
    unknown: list[tuple[str, list[str]]] = []
    seen: set[tuple[str, str]] = set()
    for line, raw in pairs:
        where = f"{raw} (ligne {line})" if line is not None else str(raw)
        try:
            parsed = parse_code(raw)
        except AbsError:
            parsed = None
        if parsed is None:
            unknown.append((where, []))
            continue
        level, code = parsed
        if not _exists(geography, level, code):
            error = None
            try:
                geography.territory(code, level=level)
            except TerritoryNotFoundError as err:
                error = err
            unknown.append((where, _suggestions(geography, code, level, error)))
            continue
        if (level, code) not in seen:
            seen.add((level, code))
            by_level.setdefault(level, []).append(code)
    if unknown:
        hints = [f"pour {where} : {', '.join(s)}" for where, s in unknown if s]
        raise TerritoryNotFoundError(", ".join(where for where, _ in unknown), hints)
    territories: list[Territory] = []
    for level, level_codes in by_level.items():
        if level == "commune":
            territories += _communes(geography, level_codes)
        elif level == "epci":
            territories += _epcis(geography, level_codes)
        else:
            territories += [geography.territory(c, level=level) for c in level_codes]
    return territories


def _exists(geography: Geography, level: str, code: str) -> bool:
    table = {"commune": geography.communes, "epci": geography.epci,
             "departement": geography.departements, "region": geography.regions}.get(level)
    return True if table is None else code in table.index


def _suggestions(geography, code: str, level: str, error: TerritoryNotFoundError | None) -> list[str]:
    found = list(error.suggestions) if error is not None else []
    return found + [s for s in _close_codes(geography, code, level) if s not in found]


def _close_codes(geography: Geography, code: str, level: str, n: int = 3) -> list[str]:
    """Existing codes of ``level`` that differ from ``code`` by a typo, with their names."""
    table = {"commune": geography.communes, "epci": geography.epci,
             "departement": geography.departements, "region": geography.regions}.get(level)
    if table is None:
        return []
    close = difflib.get_close_matches(code.upper(), list(table.index), n=n, cutoff=0.6)
    return [f"{table.at[c, 'name']} ({LEVEL_LABELS[level]} {c})" for c in close]


def _with_close_codes(geography, code, level, error: TerritoryNotFoundError) -> TerritoryNotFoundError:
    suggestions = _suggestions(geography, code, level, error)
    return TerritoryNotFoundError(error.query, suggestions)


def _communes(geography: Geography, codes: list[str]) -> list[Territory]:
    """Commune territories built in bulk (same values as ``geography.territory(code, "commune")``)."""
    table = geography.communes.loc[list(codes)]
    out = []
    for code, name, epci, dep, reg in zip(table.index, table["name"], table["epci"],
                                          table["departement"], table["region"]):
        out.append(Territory(
            level="commune", code=code, name=name, year=geography.year, communes=(code,),
            departements=(dep,), regions=(reg,), epci=epci if isinstance(epci, str) else None,
            fictional=geography.fictional, geography=geography,
        ))
    return out


def _epcis(geography: Geography, codes: list[str]) -> list[Territory]:
    """EPCI territories built in bulk (same values as ``geography.territory(code, "epci")``)."""
    wanted = set(codes)
    members = geography.communes[geography.communes["epci"].isin(wanted)]
    groups = {epci: frame for epci, frame in members.groupby("epci", sort=False)}
    out = []
    for code in codes:
        frame = groups.get(code)
        communes = tuple(sorted(frame.index)) if frame is not None else ()
        out.append(Territory(
            level="epci", code=code, name=geography.epci.at[code, "name"], year=geography.year,
            communes=communes,
            departements=tuple(sorted(frame["departement"].unique())) if frame is not None else (),
            regions=tuple(sorted(frame["region"].unique())) if frame is not None else (),
            fictional=geography.fictional, geography=geography,
        ))
    return out
