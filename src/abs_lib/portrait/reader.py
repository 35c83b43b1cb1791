"""The reader's view of an indicator table: values beside their references and the
vintage, a footnote number where a value needs a word, nothing else.

Why: the full technical table (:func:`abs_lib.portrait.tables.theme_table`: unit,
source, every flag) is nine columns wide and reads like a log; an elected official
needs the figures and, below the table, a short sentence for each caution or missing
value. The technical table stays in the exports (CSV/XLSX).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from abs_lib.formatting import format_number
from abs_lib.indicators.compute import (
    FLAG_SEPARATOR,
    FLAG_TEXT,
    COMPLEMENTARY,
    NO_VARIABLE,
    NOT_COMPARABLE,
    NOT_IMPORTED,
    NOT_PUBLISHED,
    OUT_OF_FILE,
    PARTIAL,
    SECRET_TEXT,
    SMALL,
    ZERO_DEN,
)
from abs_lib.portrait import tables
from abs_lib.portrait.build import Portrait
from abs_lib.portrait.periods import has_value

MISSING_SECTION = "« Données manquantes »"
METHOD_SECTION = "« Notes de méthode »"

#: Reader wording of each reason a value is missing (prefix of the technical flag -> sentence).
MISSING_WORDS = (
    (NOT_PUBLISHED + " (commune fusionnée)", f"non publié pour une commune fusionnée, voir {METHOD_SECTION}"),
    (NOT_IMPORTED, f"fichier source non fourni, voir {MISSING_SECTION}"),
    (NO_VARIABLE, f"donnée absente du fichier fourni, voir {MISSING_SECTION}"),
    (OUT_OF_FILE, "le fichier fourni ne couvre pas ce territoire"),
    (SECRET_TEXT, "secret statistique (trop peu d'habitants ou de ménages pour publier)"),
    (NOT_PUBLISHED, "non publié par le producteur à ce niveau"),
    (NOT_COMPARABLE, "non comparable"),
)
#: Reader wording of the cautions a value may carry.
CAUTION_WORDS = (
    (FLAG_TEXT[SMALL], "moins de 200 personnes ou ménages comptés : à lire avec précaution"),
    (FLAG_TEXT[COMPLEMENTARY], "estimation du recensement sur un quart des logements, fragile sous 2 000 habitants"),
    (FLAG_TEXT[PARTIAL], "somme incomplète : des communes manquent dans la source"),
    (FLAG_TEXT[ZERO_DEN], "calcul impossible : effectif de référence nul"),
    (tables.UNCONFIRMED, "définition à confirmer sur le dictionnaire du producteur"),
)


def missing_words(flags) -> str:
    """Why a value is missing, in the reader's words ("non disponible" when no reason is known)."""
    for part in str(flags or "").split(FLAG_SEPARATOR):
        for prefix, words in MISSING_WORDS:
            if part.startswith(prefix):
                return words
    return "non disponible"


def caution_words(flags) -> list[str]:
    """The cautions on a value, in the reader's words, in a stable order."""
    parts = [p.strip() for p in str(flags or "").split(FLAG_SEPARATOR)]
    return [words for prefix, words in CAUTION_WORDS if any(p.startswith(prefix) for p in parts)]


@dataclass
class Footnotes:
    """Numbered sentences shared by the cells of one table (same sentence, same number)."""

    texts: list[str] = field(default_factory=list)

    def mark(self, sentences) -> str:
        """The markers ("1", "1, 2") of ``sentences``, numbering new ones."""
        numbers = []
        for text in sentences:
            if text not in self.texts:
                self.texts.append(text)
            numbers.append(str(self.texts.index(text) + 1))
        return ", ".join(dict.fromkeys(numbers))


@dataclass
class ReaderTable:
    """A narrow table (``frame``), its footnotes, and the indicators the territory lacks
    (``missing``: reader reason -> labels), said below the table instead of empty rows."""

    frame: pd.DataFrame
    footnotes: list[str]
    missing: dict[str, list[str]]

    @property
    def has_unavailable(self) -> bool:
        return bool(self.frame.isin(["n.d."]).to_numpy().any())


def reader_table(portrait: Portrait, indicators, *, max_vintage: int | None = None,
                 keep_missing: bool = False) -> ReaderTable:
    """Indicateur | territory | references | Millésime | Note for ``indicators``.

    A row the territory has no value for is listed in ``missing`` with its reason, unless
    ``keep_missing`` (key figures: the row stays, « n.d. » with a footnote)."""
    registry = portrait.registry
    columns = [(portrait.level, portrait.code)] + portrait.references
    notes = Footnotes()
    records, missing = [], {}
    for indicator in indicators:
        if indicator not in registry:
            continue
        ind = registry[indicator]
        unit = registry.units[ind.unit]
        own = tables.cell(portrait, indicator, max_vintage=max_vintage)
        if own is None:
            continue
        present = has_value(own["value"])
        if not present and not keep_missing:
            missing.setdefault(missing_words(own["flags"]), []).append(ind.label)
            continue
        record = {"Indicateur": ind.label}
        for level, code in columns:
            found = tables.cell(portrait, indicator, level=level, code=code, max_vintage=max_vintage)
            number = float(found["value"]) if found is not None else float("nan")
            record[portrait.name_of(level, code)] = format_number(number, unit.suffix.strip() or None, decimals=unit.decimals)
        source = str(own["source"]) if pd.notna(own["source"]) else ""
        record["Millésime"] = tables._vintage_label(ind, own["vintage"], source) if present else ""
        flags = str(own["flags"] or "")
        if not ind.confirmed and present:
            flags += FLAG_SEPARATOR + tables.UNCONFIRMED
        record["Note"] = notes.mark(caution_words(flags) if present else [missing_words(flags)])
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=["Indicateur", *[portrait.name_of(lv, c) for lv, c in columns],
                                                        "Millésime", "Note"])
    if not frame.empty and not frame["Note"].astype(bool).any():
        frame = frame.drop(columns=["Note"])
    return ReaderTable(frame, notes.texts, missing)


def before_after_table(portrait: Portrait, indicators, *, baseline: int, update: int,
                       keep_missing: bool = False) -> ReaderTable:
    """Indicateur | Avant | Après | Évolution (| Note) for the territory, each value with its
    vintage; an indicator missing at both dates is listed in ``missing`` instead of a row.
    The references and the technical remarks stay in :func:`abs_lib.portrait.tables.side_by_side`."""
    from abs_lib.indicators import census_comparable

    registry = portrait.registry
    notes = Footnotes()
    records, missing = [], {}
    for indicator in indicators:
        if indicator not in registry:
            continue
        ind = registry[indicator]
        unit = registry.units[ind.unit]
        sides = [tables.cell(portrait, indicator, max_vintage=year) for year in (baseline, update)]
        present = [c is not None and has_value(c["value"]) for c in sides]
        if not any(present) and not keep_missing:
            missing.setdefault(missing_words(sides[1]["flags"] if sides[1] is not None else NOT_IMPORTED), []).append(ind.label)
            continue
        shown, remarks = [], []
        for label, c, ok in zip(("avant", "après"), sides, present):
            if ok:
                year = tables._vintage_label(ind, c["vintage"], str(c["source"]) if pd.notna(c["source"]) else "")
                shown.append(f"{format_number(float(c['value']), unit.suffix.strip() or None, decimals=unit.decimals)} ({year})")
            else:
                shown.append("n.d.")
                remarks.append(f"{label} : {missing_words(c['flags'] if c is not None else NOT_IMPORTED)}")
        if len(remarks) == 2 and remarks[0].split(" : ", 1)[1] == remarks[1].split(" : ", 1)[1]:
            remarks = ["avant et après : " + remarks[0].split(" : ", 1)[1]]
        change = ""
        if all(present):
            (v0, y0), (v1, y1) = [(float(c["value"]), int(c["vintage"])) for c in sides]
            if y0 == y1:
                remarks.append("une seule date disponible")
            elif ind.is_census and not census_comparable(y0, y1):
                remarks.append("recensements trop proches pour mesurer une évolution (règle de l'INSEE)")
            else:
                change_unit = "pt" if ind.unit == "%" else (unit.suffix.strip() or None)
                change = format_number(v1 - v0, change_unit, decimals=unit.decimals, signed=True)
        records.append({"Indicateur": ind.label, f"Avant ({baseline})": shown[0], f"Après ({update})": shown[1],
                        "Évolution": change, "Note": notes.mark(remarks)})
    frame = pd.DataFrame.from_records(records, columns=["Indicateur", f"Avant ({baseline})", f"Après ({update})",
                                                        "Évolution", "Note"])
    if not frame.empty and not frame["Note"].astype(bool).any():
        frame = frame.drop(columns=["Note"])
    return ReaderTable(frame, notes.texts, missing)
