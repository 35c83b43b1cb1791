"""Commune membership turned into integer group ids, so every level is a vectorised group-sum.

The membership table (one row per commune: commune, epci, departement, region, metropole) is
the only geography the indicator engine knows. It is given already harmonised to one COG by
the caller (territories module); this module only validates it, factorises each level once,
and answers "which communes / which references" for one territory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from abs_lib.errors import IndicatorError

LEVELS = ("commune", "epci", "departement", "region", "metropole", "france")
METROPOLE_CODE = "METRO"
FRANCE_CODE = "FRANCE"
MEMBERSHIP_COLUMNS = ("commune", "epci", "departement", "region")


def _codes(series: pd.Series, name: str) -> np.ndarray:
    """Codes as Python strings; numbers are refused (leading zeros would be lost)."""
    if pd.api.types.is_numeric_dtype(series.dtype):
        raise IndicatorError(
            f"La colonne « {name} » de la table d'appartenance est numérique : les codes INSEE "
            "doivent être lus comme du texte (zéros initiaux, 2A/2B). Relisez-la avec dtype=str."
        )
    return series.astype(object).where(series.notna(), None).to_numpy()


@dataclass(frozen=True)
class LevelGroups:
    """For one level: group id of each commune (-1 = none) and the sorted group codes."""

    ids: np.ndarray          # int64, one per commune
    codes: np.ndarray        # object array of str, one per group
    order: np.ndarray        # positions of member communes, sorted by group id
    starts: np.ndarray       # start of each group in ``order`` (for np.*.reduceat)

    @property
    def size(self) -> int:
        return len(self.codes)


@dataclass(frozen=True)
class Geography:
    communes: np.ndarray                # object array of commune codes, membership order
    levels: dict                        # level -> LevelGroups
    membership: pd.DataFrame            # validated copy (str codes, metropole bool)

    @classmethod
    def from_membership(cls, membership: pd.DataFrame) -> "Geography":
        """Validate the membership table and factorise every level (one pass, vectorised)."""
        missing = [c for c in MEMBERSHIP_COLUMNS if c not in membership.columns]
        if missing:
            raise IndicatorError(
                "Table d'appartenance incomplète : colonne(s) " + ", ".join(missing) + " absente(s). "
                "Attendu : une ligne par commune avec commune, epci, departement, region (et metropole)."
            )
        communes = _codes(membership["commune"], "commune")
        if any(c is None for c in communes):
            raise IndicatorError("Table d'appartenance : une ligne n'a pas de code commune.")
        dup = pd.Series(communes).duplicated()
        if dup.any():
            first = pd.Series(communes)[dup].iloc[0]
            raise IndicatorError(
                f"Table d'appartenance : la commune {first} apparaît plusieurs fois. Une commune "
                "appartient à un seul EPCI ; harmonisez la géographie avant de calculer."
            )
        cols = {c: _codes(membership[c], c) for c in MEMBERSHIP_COLUMNS}
        if "metropole" in membership.columns:
            metro = membership["metropole"].fillna(False).astype(bool).to_numpy()
        else:
            deps = pd.Series(cols["departement"], dtype=object).fillna("")
            metro = ~deps.str.startswith("97").to_numpy()
        levels = {"commune": _group(np.arange(len(communes)), communes.astype(object))}
        for level in ("epci", "departement", "region"):
            ids, uniques = pd.factorize(pd.Series(cols[level], dtype=object), sort=True)
            levels[level] = _group(ids.astype(np.int64), np.asarray(uniques, dtype=object))
        metro_ids = np.where(metro, 0, -1).astype(np.int64)
        levels["metropole"] = _group(metro_ids, np.array([METROPOLE_CODE] if metro.any() else [],
                                                         dtype=object))
        levels["france"] = _group(np.zeros(len(communes), np.int64), np.array([FRANCE_CODE], dtype=object))
        clean = pd.DataFrame({**{c: pd.Series(v, dtype=object) for c, v in cols.items()},
                              "metropole": metro})
        return cls(communes=communes.astype(object), levels=levels, membership=clean)

    # ------------------------------------------------------------------ one territory

    def check_territory(self, level: str, code: str) -> None:
        if level not in LEVELS:
            raise IndicatorError(f"Niveau inconnu « {level} » ; niveaux : {', '.join(LEVELS)}.")
        if str(code) not in set(self.levels[level].codes):
            raise IndicatorError(
                f"Le territoire {code} (niveau {level}) n'est pas dans la table d'appartenance. "
                "Vérifiez le code (texte, zéros initiaux) et le millésime de la géographie."
            )

    def members(self, level: str, code: str) -> np.ndarray:
        """Commune codes of one territory (membership order)."""
        self.check_territory(level, code)
        groups = self.levels[level]
        gid = int(np.flatnonzero(groups.codes == str(code))[0])
        return self.communes[groups.ids == gid]

    def references(self, level: str, code: str) -> list[tuple[str, str]]:
        """Comparison territories: its département(s), région(s), then France métropolitaine
        (or France for a territory outside it). An EPCI spanning two départements gets both."""
        self.check_territory(level, code)
        if level == "france":
            return []
        if level == "metropole":
            return [("france", FRANCE_CODE)]
        mask = np.isin(self.communes, self.members(level, code))
        m = self.membership[mask]
        refs: list[tuple[str, str]] = []
        above = LEVELS.index(level)
        for ref_level in ("departement", "region"):
            if LEVELS.index(ref_level) > above:
                refs += [(ref_level, c) for c in sorted(m[ref_level].dropna().unique())]
        refs.append(("metropole", METROPOLE_CODE) if m["metropole"].all() else ("france", FRANCE_CODE))
        return refs


def _group(ids: np.ndarray, codes: np.ndarray) -> LevelGroups:
    member = np.flatnonzero(ids >= 0)
    order = member[np.argsort(ids[member], kind="stable")]
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if len(order) else np.array([], np.int64)
    return LevelGroups(ids=ids, codes=codes, order=order, starts=starts)
