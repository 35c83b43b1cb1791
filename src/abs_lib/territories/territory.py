"""A territory of one geography year: its level, code, name, member communes and parents.

An EPCI may straddle départements (and régions): ``departements`` lists all of
them and :meth:`Territory.departement_counts` gives the commune count in each,
so that no caller silently picks "the" département of such an EPCI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from abs_lib.territories.codes import LEVEL_LABELS, LEVEL_PREFIX

if TYPE_CHECKING:  # pragma: no cover
    from abs_lib.territories.geography import Geography


@dataclass(frozen=True)
class Territory:
    """A commune, EPCI, département, région, France métropolitaine or France.

    ``communes``, ``departements`` and ``regions`` are sorted code tuples;
    ``epci`` is the EPCI of a commune (None otherwise, or for the few communes
    outside any EPCI).
    """

    level: str
    code: str
    name: str
    year: int
    communes: tuple[str, ...]
    departements: tuple[str, ...]
    regions: tuple[str, ...]
    epci: str | None = None
    fictional: bool = False
    geography: Geography | None = field(default=None, repr=False, compare=False)

    @property
    def level_label(self) -> str:
        """French name of the level ("EPCI", "département"…)."""
        return LEVEL_LABELS[self.level]

    @property
    def label(self) -> str:
        """How messages name it: "CC de la Plaine Dijonnaise (EPCI 200000925)"."""
        if self.level in ("metropole", "france"):
            return self.name
        if self.level == "commune" and self.geography is not None:
            dep = self.geography.departement_name(self.departements[0])
            return f"{self.name} (commune {self.code}, {dep})"
        return f"{self.name} ({self.level_label} {self.code})"

    @property
    def insee_geo(self) -> str:
        """INSEE geo syntax, as in insee.fr URLs: "EPCI-200000925", "METRO-1"."""
        if self.level in ("metropole", "france"):
            return f"{LEVEL_PREFIX[self.level]}-1"
        return f"{LEVEL_PREFIX[self.level]}-{self.code}"

    @property
    def n_communes(self) -> int:
        return len(self.communes)

    @property
    def spans_several_departements(self) -> bool:
        return len(self.departements) > 1

    def _require_geography(self) -> Geography:
        if self.geography is None:
            raise ValueError("territory built without its geography")
        return self.geography

    def communes_table(self) -> pd.DataFrame:
        """Member communes sorted by code: code, name, epci, departement, region."""
        table = self._require_geography().communes
        return table.loc[list(self.communes)].reset_index()

    def departement_counts(self) -> pd.DataFrame:
        """Départements of the territory with their number of member communes (most first)."""
        return self._counts("departement")

    def region_counts(self) -> pd.DataFrame:
        """Régions of the territory with their number of member communes (most first)."""
        return self._counts("region")

    def _counts(self, level: str) -> pd.DataFrame:
        geography = self._require_geography()
        members = geography.communes.loc[list(self.communes), level]
        counts = members.value_counts().rename("n_communes").rename_axis("code").reset_index()
        namer = geography.departement_name if level == "departement" else geography.region_name
        counts.insert(1, "name", counts["code"].map(namer))
        return counts.sort_values(
            ["n_communes", "code"], ascending=[False, True], ignore_index=True
        )

    def parents(self) -> dict[str, list[Territory]]:
        """Territories containing this one, by level (several for an EPCI over départements)."""
        geography = self._require_geography()
        out: dict[str, list[Territory]] = {}
        if self.level == "commune" and self.epci:
            out["epci"] = [geography.territory(self.epci, level="epci")]
        if self.level in ("commune", "epci"):
            out["departement"] = [
                geography.territory(c, level="departement")
                for c in self.departement_counts()["code"]
            ]
        if self.level in ("commune", "epci", "departement"):
            out["region"] = [
                geography.territory(c, level="region") for c in self.region_counts()["code"]
            ]
        return out

    def __str__(self) -> str:
        return self.label
