"""« Vos communes »: one row per member commune, the key indicators in columns.

Why: the first question of an elected official is « et ma commune ? ». Values are the
portrait's own commune rows, at the vintage the territory's tables use; the INSEE
cautions (fewer than 200 people counted, complementary census under 2,000 inhabitants)
mark the cell, and a missing value says why below the table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from abs_lib.formatting import format_number
from abs_lib.indicators.compute import COMPLEMENTARY, FLAG_SEPARATOR, FLAG_TEXT, SMALL
from abs_lib.portrait import tables
from abs_lib.portrait.build import Portrait
from abs_lib.portrait.reader import missing_words

#: Indicator -> short column title (the full label is in the theme tables), in column order.
COMMUNE_COLUMNS = {
    "population": "Population",
    "enfants_0_2": "Moins de 3 ans",
    "part_75_plus": "75 ans ou plus",
    "part_familles_monoparentales": "Familles mono-parentales",
    "revenu_median": "Revenu médian par UC",
    "taux_chomage_15_64": "Chômage 15-64 ans",
    "part_locataires_hlm": "Locataires HLM",
    "taux_couverture_accueil_jeune_enfant": "Places d'accueil pour 100 enfants",
}
SMALL_MARK = "*"
COMPLEMENTARY_MARK = "°"
MARKS = {
    SMALL_MARK: "moins de 200 personnes ou ménages comptés dans la commune : à lire avec précaution (INSEE).",
    COMPLEMENTARY_MARK: "estimation du recensement sur un quart des logements (exploitation complémentaire), "
                        "que l'INSEE déconseille pour les communes de moins de 2 000 habitants.",
}


@dataclass
class CommuneTable:
    """The formatted table (``frame``), the numbers behind it (``values``: commune code x
    indicator), and the sentences below it (marks, then missing values and why)."""

    frame: pd.DataFrame
    values: pd.DataFrame
    notes: list[str]


def _commune_rows(portrait: Portrait, indicator: str, vintage: int) -> pd.DataFrame:
    """Value and flags of each commune row (member communes; the territory itself when it is one)."""
    t = portrait.table
    mask = ((t["level"].astype(str) == "commune").to_numpy() & (t["indicator"].astype(str) == indicator).to_numpy()
            & (t["vintage"] == vintage).to_numpy())
    part = t[mask].drop_duplicates("territory")
    return pd.DataFrame({"value": part["value"].to_numpy(dtype=float), "flags": part["flags"].astype(str).to_numpy()},
                        index=part["territory"].astype(str).to_numpy())


def commune_table(portrait: Portrait) -> CommuneTable:
    """One row per member commune (by name), the key indicators that exist at commune level."""
    registry = portrait.registry
    members = portrait.membership[portrait.membership["commune"].isin(portrait.territory.communes)]
    members = members.sort_values("commune_name", key=lambda s: s.str.normalize("NFKD"))
    codes = members["commune"].astype(str).tolist()
    names = dict(zip(codes, members["commune_name"].astype(str)))
    chosen = tables.chosen_vintages(portrait)
    frame = pd.DataFrame({"Commune": [names[c] for c in codes]})
    values = pd.DataFrame(index=pd.Index(codes, name="commune"))
    used = set()
    absent: list[str] = []
    missing: dict[tuple[str, str], list[str]] = {}
    for indicator, title in COMMUNE_COLUMNS.items():
        if indicator not in registry or indicator not in chosen.index:
            continue
        ind = registry[indicator]
        unit = registry.units[ind.unit]
        vintage = int(chosen[indicator])
        rows = _commune_rows(portrait, indicator, vintage).reindex(codes)
        if rows["value"].isna().all():  # a column of « n.d. » says nothing: one sentence below instead
            whys = sorted({missing_words(f if isinstance(f, str) else "") for f in rows["flags"]})
            absent.append(f"{title} : non disponible pour les communes — {' ; '.join(whys)}.")
            continue
        cells = []
        for code in codes:
            value, flags = rows.at[code, "value"], rows.at[code, "flags"]
            if value != value:
                cells.append("n.d.")
                missing.setdefault((title, missing_words(flags if isinstance(flags, str) else "")), []).append(names[code])
                continue
            text = format_number(float(value), decimals=unit.decimals)   # the unit is in the column title
            parts = str(flags).split(FLAG_SEPARATOR)
            for flag, mark in ((FLAG_TEXT[SMALL], SMALL_MARK), (FLAG_TEXT[COMPLEMENTARY], COMPLEMENTARY_MARK)):
                if any(p.startswith(flag) for p in parts):
                    text += mark
                    used.add(mark)
            cells.append(text)
        symbol = unit.suffix.strip()
        frame[f"{title} ({symbol + ', ' if symbol else ''}{vintage})"] = cells
        values[indicator] = rows["value"].to_numpy()
        if indicator == "revenu_median":
            absent.insert(0, "Revenu médian par UC : revenu disponible médian par unité de consommation (INSEE, FiLoSoFi).")
    notes = [f"{mark} {MARKS[mark]}" for mark in (SMALL_MARK, COMPLEMENTARY_MARK) if mark in used]
    for (title, why), communes in missing.items():
        who = "toutes les communes" if len(communes) == len(codes) else ", ".join(communes)
        notes.append(f"{title} : n.d. pour {who} — {why}.")
    return CommuneTable(frame, values, notes + absent)
