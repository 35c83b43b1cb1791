"""The geography of one year: which commune belongs to which EPCI, département, région.

Real geographies come from the committed reference files (:func:`load_geography`,
cached per year). A fictional one (the offline demo) is built from a commune
table in INSEE's ``EPCI_YYYY.csv`` layout with :meth:`Geography.from_commune_table`.
"""

from __future__ import annotations

import os
from functools import cached_property, lru_cache

import pandas as pd

from abs_lib.errors import (
    DatasetNotFoundError,
    MissingColumnError,
    SourceFileError,
    TerritoryNotFoundError,
)
from abs_lib.territories import reference
from abs_lib.territories.codes import (
    FRANCE_CODE,
    METROPOLE_CODE,
    normalize_code,
    normalize_level,
    parse_code,
)
from abs_lib.territories.territory import Territory

COMMUNE_TABLE_COLUMNS = ("CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG")
NO_EPCI = {"", "ZZZZZZZZZ"}  # INSEE writes ZZZZZZZZZ ("Sans objet") for communes outside any EPCI
DROM_REGIONS = {"01", "02", "03", "04", "06"}
METROPOLE_NAME = "France métropolitaine"
FRANCE_NAME = "France"


def available_years() -> list[int]:
    """Geography years that can be loaded, oldest first (the last one is the default)."""
    return list(reference.available_years())


def latest_year() -> int:
    return reference.available_years()[-1]


@lru_cache(maxsize=16)
def _load(year: int) -> Geography:
    return Geography(
        year,
        reference.communes(year),
        reference.for_year("epci", year),
        reference.for_year("departements", year),
        reference.for_year("regions", year),
        reference.for_year("arrondissements", year),
        source="@etalab/decoupage-administratif (voir data/reference/PROVENANCE.md)",
    )


def load_geography(year: int | None = None) -> Geography:
    """Geography of ``year`` (default: the latest available), read once per process."""
    years = reference.available_years()
    year = years[-1] if year is None else int(year)
    if year not in years:
        raise DatasetNotFoundError(
            f"Géographie {year} non disponible. Années disponibles : "
            f"{', '.join(map(str, years))}. Choisissez l'une d'elles (par défaut la plus récente, "
            f"{years[-1]})."
        )
    return _load(year)


class Geography:
    """Communes of one year with their EPCI, département and région, plus names.

    Tables (index = code, strings): ``communes`` (name, epci, departement, region),
    ``epci`` (name, type), ``departements`` (name, region, zone), ``regions``
    (name, zone), ``arrondissements`` (name, commune; Paris/Lyon/Marseille
    arrondissements municipaux, which are not communes).
    """

    def __init__(
        self,
        year: int,
        communes: pd.DataFrame,
        epci: pd.DataFrame,
        departements: pd.DataFrame,
        regions: pd.DataFrame,
        arrondissements: pd.DataFrame | None = None,
        *,
        fictional: bool = False,
        source: str = "",
    ):
        self.year = int(year)
        self.fictional = bool(fictional)
        self.source = source
        self.communes = _indexed(communes, ["name", "epci", "departement", "region"])
        self.epci = _indexed(epci, ["name", "type"])
        deps = _indexed(departements, ["name", "region", "zone"])
        deps["zone"] = deps["zone"].fillna(
            pd.Series(
                ["drom" if c.startswith("97") else "metro" for c in deps.index], index=deps.index
            )
        )
        self.departements = deps
        regs = _indexed(regions, ["name", "zone"])
        self.regions = regs
        if arrondissements is None:
            arrondissements = pd.DataFrame(columns=["code", "name", "commune"])
        self.arrondissements = _indexed(arrondissements, ["name", "commune"])

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_commune_table(
        cls,
        table: pd.DataFrame | str | os.PathLike,
        *,
        year: int,
        fictional: bool = False,
        names: pd.DataFrame | dict | None = None,
        source: str = "",
    ) -> Geography:
        """Build a geography from a table in INSEE's ``EPCI_YYYY.csv`` layout.

        ``table``: a DataFrame or a path (``;`` or ``,`` separated) with columns
        CODGEO;LIBGEO;EPCI;LIBEPCI;DEP;REG. EPCI ``ZZZZZZZZZ`` or empty = outside
        any EPCI. ``names`` (optional) gives département and région names, either as
        ``{"departement": {"00": "…"}, "region": {"00": "…"}}`` or as a table with
        columns level (or NIVGEO: departement/DEP, region/REG), code (or CODGEO) and
        name (or LIBGEO); missing names read "Département 00", "Région 00".
        ``fictional=True`` marks every territory of it as fictional (the demo).
        """
        source_name = str(table) if not isinstance(table, pd.DataFrame) else "table des communes"
        if not isinstance(table, pd.DataFrame):
            table = pd.read_csv(
                table,
                sep=None,
                engine="python",
                dtype=str,
                encoding="utf-8-sig",
                keep_default_na=False,
            )
        missing = [c for c in COMMUNE_TABLE_COLUMNS if c not in table.columns]
        if missing:
            raise MissingColumnError(source_name, missing, dataset="géographie (EPCI_AAAA)")
        frame = pd.DataFrame(
            {
                "code": [normalize_code(v, "commune") for v in table["CODGEO"]],
                "name": table["LIBGEO"].astype(str).to_numpy(),
                "epci": [_epci_code(v) for v in table["EPCI"]],
                "departement": [normalize_code(v, "departement") for v in table["DEP"]],
                "region": [normalize_code(v, "region") for v in table["REG"]],
            }
        )
        duplicated = frame.loc[frame["code"].duplicated(), "code"].tolist()
        if duplicated:
            raise SourceFileError(
                f"Table des communes {source_name} : code(s) commune en double "
                f"({', '.join(duplicated[:5])}). Gardez une seule ligne par commune."
            )
        epci = (
            pd.DataFrame({"code": frame["epci"], "name": table["LIBEPCI"].astype(str).to_numpy()})
            .dropna(subset=["code"])
            .drop_duplicates("code")
        )
        epci["type"] = [_epci_type(name) for name in epci["name"]]
        dep_names, reg_names = _extra_names(names)
        deps = frame[["departement", "region"]].drop_duplicates("departement")
        deps = pd.DataFrame(
            {
                "code": deps["departement"],
                "name": [dep_names.get(c, f"Département {c}") for c in deps["departement"]],
                "region": deps["region"],
                "zone": None,
            }
        )
        regs = pd.DataFrame({"code": frame["region"].drop_duplicates()})
        regs["name"] = [reg_names.get(c, f"Région {c}") for c in regs["code"]]
        regs["zone"] = ["drom" if c in DROM_REGIONS else "metro" for c in regs["code"]]
        return cls(year, frame, epci, deps, regs, fictional=fictional, source=source or source_name)

    # ------------------------------------------------------------------ names

    def departement_name(self, code: str) -> str:
        return self.departements["name"].get(code, code)

    def region_name(self, code: str) -> str:
        return self.regions["name"].get(code, code)

    def epci_name(self, code: str) -> str:
        return self.epci["name"].get(code, code)

    # ------------------------------------------------------------------ territories

    def territory(self, code, level: str | None = None) -> Territory:
        """The territory with this code (rules of :func:`normalize_code`)."""
        from abs_lib.territories.lookup import code_not_found

        parsed = parse_code(code, normalize_level(level))
        if parsed is None:
            raise TerritoryNotFoundError(code)
        level, code = parsed
        communes = self.communes
        if level == "commune":
            if code not in communes.index:
                raise code_not_found(self, code, level)
            row = communes.loc[code]
            epci = row["epci"] if isinstance(row["epci"], str) else None
            return self._make("commune", code, row["name"], (code,), epci=epci)
        if level == "metropole":
            zone = communes["departement"].map(self.departements["zone"])
            return self._make(
                "metropole",
                METROPOLE_CODE,
                METROPOLE_NAME,
                tuple(communes.index[(zone == "metro").to_numpy()]),
            )
        if level == "france":
            return self._make("france", FRANCE_CODE, FRANCE_NAME, tuple(communes.index))
        names = {"epci": self.epci, "departement": self.departements, "region": self.regions}[level]
        if code not in names.index:
            raise code_not_found(self, code, level)
        members = communes.index[(communes[level] == code).to_numpy()]
        return self._make(level, code, names.at[code, "name"], tuple(members))

    def _make(self, level, code, name, members, epci=None) -> Territory:
        members = tuple(sorted(members))
        sub = self.communes.loc[list(members)]
        return Territory(
            level=level,
            code=code,
            name=name,
            year=self.year,
            communes=members,
            departements=tuple(sorted(sub["departement"].unique())),
            regions=tuple(sorted(sub["region"].unique())),
            epci=epci,
            fictional=self.fictional,
            geography=self,
        )

    def find(self, query, level: str | None = None) -> Territory:
        """A territory by code (``21231``, ``EPCI-200000925``…) or by name."""
        from abs_lib.territories.lookup import find

        return find(self, query, normalize_level(level))

    def search(self, text: str, level: str | None = None, limit: int = 10) -> list[Territory]:
        """The territories whose names are closest to ``text``, best first."""
        from abs_lib.territories.lookup import search

        return search(self, text, normalize_level(level), limit)

    def membership(self) -> pd.DataFrame:
        """One row per commune with the codes and names of all its levels.

        Columns: commune, commune_name, epci, epci_name, departement, departement_name,
        region, region_name, metropole (True for metropolitan France, DROM excluded):
        the membership table of :meth:`abs_lib.indicators.geography.Geography.from_membership`.
        """
        table = self.communes.reset_index().rename(
            columns={"code": "commune", "name": "commune_name"}
        )
        table.insert(
            table.columns.get_loc("epci") + 1, "epci_name", table["epci"].map(self.epci["name"])
        )
        table.insert(
            table.columns.get_loc("departement") + 1,
            "departement_name",
            table["departement"].map(self.departements["name"]),
        )
        table.insert(
            table.columns.get_loc("region") + 1,
            "region_name",
            table["region"].map(self.regions["name"]),
        )
        table["metropole"] = table["departement"].map(self.departements["zone"]).eq("metro")
        return table

    @cached_property
    def name_index(self):
        from abs_lib.territories.lookup import NameIndex

        return NameIndex(self)

    def __repr__(self) -> str:
        kind = "fictive" if self.fictional else "réelle"
        return (
            f"<Geography {self.year} ({kind}) : {len(self.communes)} communes, "
            f"{len(self.epci)} EPCI, {len(self.departements)} départements>"
        )


def _indexed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    frame = frame.set_index("code")[columns]
    frame.index = frame.index.astype(str)
    frame.index.name = "code"
    return frame


def _epci_code(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text.upper() in NO_EPCI:
        return None
    return normalize_code(text, "epci")


def _epci_type(name: str) -> str | None:
    """Legal form read from the name ("CC …", "CA …", "CU …", "… Métropole"), if written."""
    first = name.split(" ", 1)[0]
    if first in ("CC", "CA", "CU"):
        return first
    return "METRO" if "Métropole" in name.split() else None


def _extra_names(names) -> tuple[dict, dict]:
    if names is None:
        return {}, {}
    if isinstance(names, dict):
        return dict(names.get("departement", {})), dict(names.get("region", {}))
    frame = names.rename(columns=lambda c: str(c).strip())
    found = [
        next((c for c in options if c in frame.columns), None)
        for options in (("level", "NIVGEO"), ("code", "CODGEO"), ("name", "LIBGEO"))
    ]
    if None in found:
        raise MissingColumnError(
            "table des noms",
            ["level (NIVGEO)", "code (CODGEO)", "name (LIBGEO)"],
            dataset="noms des départements et régions",
        )
    level_col, code_col, name_col = found
    deps, regs = {}, {}
    for level, code, name in zip(frame[level_col], frame[code_col], frame[name_col]):
        level = {"DEP": "departement", "REG": "region"}.get(str(level).upper(), str(level))
        level = normalize_level(level)
        if level == "departement":
            deps[normalize_code(code, "departement")] = name
        elif level == "region":
            regs[normalize_code(code, "region")] = name
    return deps, regs
