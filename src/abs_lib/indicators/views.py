"""One territory out of the full tidy table: its own rows, its communes' rows (for tables and
maps) and its references' rows (département(s), région(s), France métropolitaine)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abs_lib.indicators.geography import Geography

ROLE_TERRITORY, ROLE_COMMUNE, ROLE_REFERENCE = "territoire", "commune membre", "référence"
ROLES = [ROLE_TERRITORY, ROLE_COMMUNE, ROLE_REFERENCE]


def territory_view(table: pd.DataFrame, membership: pd.DataFrame | Geography, level: str, code: str,
                   *, communes: bool = True) -> pd.DataFrame:
    """Rows of ``table`` for the territory, its member communes and its references, with a
    ``role`` column ("territoire", "commune membre", "référence"), in that order."""
    geo = membership if isinstance(membership, Geography) else Geography.from_membership(membership)
    code = str(code)
    geo.check_territory(level, code)
    levels = table["level"]
    territories = table["territory"]

    def rows_of(lv, c):
        return (levels == lv).to_numpy() & (territories == c).to_numpy()

    role = np.full(len(table), -1, np.int8)
    for lv, c in geo.references(level, code):
        role[rows_of(lv, c)] = 2
    if communes and level != "commune":
        members = [str(c) for c in geo.members(level, code)]
        role[(levels == "commune").to_numpy() & territories.isin(members).to_numpy()] = 1
    role[rows_of(level, code)] = 0
    keep = role >= 0
    out = table[keep].copy()
    out.insert(0, "role", pd.Categorical.from_codes(role[keep], categories=ROLES))
    return out.sort_values(["role"], kind="stable").reset_index(drop=True)


def name_absent_members(view: pd.DataFrame, out_of_file: str) -> pd.DataFrame:
    """Say which member communes a file does not cover, on the territory's own rows.

    A territory whose file covers only some of its communes is « n.d. » (a partial sum
    would be wrong); the reader must know which communes are missing to fetch the rest.
    """
    flags = view["flags"].astype(str)
    is_member = (view["role"] == ROLE_COMMUNE).to_numpy()
    absent = view[is_member & flags.str.contains(out_of_file, regex=False).to_numpy()]
    if absent.empty:
        return view
    members = int(is_member.sum() and view.loc[is_member, "territory"].nunique())

    def listed(codes) -> str:
        codes = sorted(map(str, codes))
        if len(codes) == members:
            return f"aucune des {members} communes du territoire n'y figure"
        return "communes non couvertes : " + ", ".join(codes)

    missing = absent.groupby([absent["indicator"].astype(str), absent["vintage"]])["territory"].agg(listed)
    own = (view["role"] == ROLE_TERRITORY).to_numpy() & flags.str.contains(out_of_file, regex=False).to_numpy()
    if not own.any():
        return view
    keys = list(zip(view.loc[own, "indicator"].astype(str), view.loc[own, "vintage"]))
    named = [missing.get(k) for k in keys]
    new_flags = flags.copy()
    new_flags.loc[own] = [f"{f} ({n})" if n else f for f, n in zip(flags[own], named)]
    out = view.copy()
    out["flags"] = new_flags.astype("category")
    return out
