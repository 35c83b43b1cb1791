"""Indicator tables written beside a report (CSV and XLSX), with their data dictionary.

Why this shape: these files are opened by analysts, mostly in a French Excel. CSV is
written in ``utf-8-sig`` (Excel then reads the accents), with ``;`` as separator and
a decimal comma; XLSX keeps codes as text (``01001`` keeps its zero). The indicator
table keeps what an analyst can use: every value (each place, indicator and vintage),
and for an indicator a place has at no vintage, one row saying why; not the thousands
of vintage × level combinations that never existed. The dictionary (a sibling
``<study>.dictionnaire.csv``, and the « Dictionnaire » sheet of the workbook) says what
each column and each indicator is: label, definition, unit, source, variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - imported by save_tables (the `abs report` process only globs)
    import pandas as pd

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r"[^\w.-]+", re.UNICODE)

#: CSV for people: what a French Excel opens by double-click.
CSV_ENCODING, CSV_SEPARATOR, CSV_DECIMAL = "utf-8-sig", ";", ","
#: Ten significant digits: float noise (21764.99999999999) goes, no published digit does.
CSV_FLOAT_FORMAT = "%.10g"

INDICATORS_SHEET, DICTIONARY_SHEET = "Indicateurs", "Dictionnaire"

#: The indicator table's columns: tidy column of the portrait -> (French header, meaning).
INDICATOR_COLUMNS = {
    "level": ("niveau", "Niveau géographique (commune, epci, departement, region, metropole). Les lignes du "
                        "niveau de l'étude sont le territoire étudié, celles des communes ses communes "
                        "membres, les autres les références de comparaison."),
    "territory": ("code", "Code INSEE de la commune, du département, de la région, SIREN de l'EPCI "
                          "(texte : les zéros de tête comptent ; Excel les efface en ouvrant un CSV, le "
                          "classeur XLSX les garde)."),
    "name": ("territoire", "Nom du territoire dans la géographie de l'étude."),
    "indicator": ("indicateur", "Identifiant de l'indicateur (voir les lignes « indicateur » de ce dictionnaire)."),
    "vintage": ("millésime", "Millésime de la donnée (année du recensement, des revenus, des prestations…)."),
    "value": ("valeur", "Valeur de l'indicateur, dans l'unité de l'indicateur ; vide si elle manque "
                        "(la remarque dit pourquoi)."),
    "numerator": ("numérateur", "Valeur du numérateur (ou du comptage) dont l'indicateur est calculé."),
    "denominator": ("dénominateur", "Valeur du dénominateur (vide pour un comptage ou une valeur publiée)."),
    "source": ("source", "Jeu de données et millésime du fichier importé d'où vient la valeur."),
    "flags": ("remarque", "Précaution (petit effectif, exploitation complémentaire…) ou, sans valeur, la "
                          "raison de son absence (secret statistique, non importé, variable absente…)."),
}

DICTIONARY_COLUMNS = ["type", "nom", "libellé", "thème", "définition", "unité", "source", "numérateur",
                      "dénominateur"]


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub("_", name)[:31] or "tableau"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f"_{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """One CSV for people: ``utf-8-sig``, ``;``, decimal comma, codes as written."""
    path = Path(path)
    frame.to_csv(path, index=False, encoding=CSV_ENCODING, sep=CSV_SEPARATOR, decimal=CSV_DECIMAL,
                 float_format=CSV_FLOAT_FORMAT)
    return path


def read_csv(path: str | Path, **kwargs) -> pd.DataFrame:
    """Read back a CSV written by :func:`write_csv` (texts stay texts)."""
    import pandas as pd

    return pd.read_csv(path, encoding=CSV_ENCODING, sep=CSV_SEPARATOR, decimal=CSV_DECIMAL, **kwargs)


def save_tables(tables: Mapping[str, pd.DataFrame], folder: str | Path, stem: str, *,
                first_sheets: Mapping[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write ``<stem>_<name>.csv`` for each table and ``<stem>_tableaux.xlsx`` with one sheet each.

    ``first_sheets`` go first in the workbook only (their CSV is written by the caller).
    Returns the written paths (empty when there is nothing to write). Object/string
    columns stay text in both formats.
    """
    folder = Path(folder)
    first_sheets = dict(first_sheets or {})
    if not tables and not first_sheets:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        written.append(write_csv(frame, folder / f"{stem}_{_FILE_FORBIDDEN.sub('_', name).strip('_')}.csv"))
    xlsx = folder / f"{stem}_tableaux.xlsx"
    write_workbook({**first_sheets, **tables}, xlsx)
    written.append(xlsx)
    return written


def write_workbook(sheets: Mapping[str, pd.DataFrame], path) -> None:
    """One XLSX sheet per table (bold frozen header, filters, readable widths), texts as texts.

    Written column by column with xlsxwriter: four times faster than pandas' cell-by-cell
    ``to_excel`` with openpyxl (0.2 s against 0.8 s for a report's 27 000 cells), which was
    a tenth of a report in a batch. Missing values are empty cells, never 0; a code column
    of text keeps its leading zeros. ``path`` is a file path or a binary file object.
    """
    import xlsxwriter

    book = xlsxwriter.Workbook(os.fspath(path) if isinstance(path, os.PathLike) else path, {"nan_inf_to_errors": True})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    used: set[str] = set()
    try:
        for name, frame in sheets.items():
            sheet = book.add_worksheet(_sheet_name(name, used))
            sheet.write_row(0, 0, [str(c) for c in frame.columns], header)
            for at, column in enumerate(frame.columns):
                values = frame[column]
                cells = values.astype(object).where(values.notna(), None).tolist()
                sheet.write_column(1, at, cells)
                longest = max([len(str(column)), *(len(str(v)) for v in cells[:200] if v is not None)])
                sheet.set_column(at, at, min(max(longest, 6), 60) + 1)
            sheet.freeze_panes(1, 0)
            if len(frame.columns):
                sheet.autofilter(0, 0, len(frame), len(frame.columns) - 1)
    finally:
        book.close()


def trim_indicator_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a tidy indicator table an analyst can use.

    Every row with a value is kept. A place × indicator without a value at any
    vintage keeps one row, the one that best says why: the latest vintage where a
    file was found (secret, outside the file's communes, variable absent…), else the
    latest vintage looked for (« non importé »). Identical rows are written once.
    """
    import pandas as pd

    from abs_lib.indicators.compute import NO_VARIABLE

    key = ["level", "territory", "indicator"]
    frame = table.copy()
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(str)
    frame = frame.drop_duplicates()
    has = frame["value"].notna()
    known = has.groupby([frame[k] for k in key]).transform("any")
    source = frame["source"].fillna("").astype(str)
    flags = frame["flags"].fillna("").astype(str)
    found = (source.str.len() > 0) | flags.str.contains(NO_VARIABLE, regex=False)
    missing = frame[(~known).to_numpy()].assign(_found=found[~known])
    why = missing.sort_values([*key, "_found", "vintage"]).groupby(key, sort=False).tail(1)
    kept = pd.concat([frame[has.to_numpy()], why.drop(columns="_found")])
    return kept.drop_duplicates()


def indicator_rows_for_people(table: pd.DataFrame, name_of, indicator_order: list[str]) -> pd.DataFrame:
    """:func:`trim_indicator_rows` with French headers, names of places, in a reading order
    (territory, references, communes; indicators in registry order; vintages ascending).

    ``name_of(level, code)``: the place's name.
    """
    from abs_lib.indicators.views import ROLE_COMMUNE, ROLE_REFERENCE, ROLE_TERRITORY

    rows = trim_indicator_rows(table)
    pairs = rows[["level", "territory"]].drop_duplicates()
    names = {(lv, c): name_of(lv, c) for lv, c in zip(pairs["level"], pairs["territory"])}
    rows = rows.assign(name=[names[(lv, c)] for lv, c in zip(rows["level"], rows["territory"])])
    roles = {ROLE_TERRITORY: 0, ROLE_REFERENCE: 1, ROLE_COMMUNE: 2}
    order = {ident: n for n, ident in enumerate(indicator_order)}
    levels = {"commune": 0, "epci": 1, "departement": 2, "region": 3, "metropole": 4}
    rows = rows.assign(_role=rows["role"].map(roles).fillna(3), _level=rows["level"].map(levels).fillna(5),
                       _ind=rows["indicator"].map(order).fillna(len(order)))
    rows = rows.sort_values(["_role", "_level", "territory", "_ind", "vintage"], kind="stable")
    rows = rows.assign(vintage=rows["vintage"].astype(int), flags=rows["flags"].fillna("").astype(str))
    for column in ("value", "numerator", "denominator"):  # the same digits in the CSV and the workbook
        rows[column] = [float(CSV_FLOAT_FORMAT % v) if v == v else v for v in rows[column].astype(float)]
    out = rows[list(INDICATOR_COLUMNS)].rename(columns={k: v[0] for k, v in INDICATOR_COLUMNS.items()})
    return out.reset_index(drop=True)


def _term_text(term, label: str | None) -> str:
    """A numerator or denominator: its variables (summed, minus subtracted) per alternative."""
    if term is None:
        return ""
    ways = []
    for alternative in term.alternatives:
        formula = " + ".join(alternative.variables) + "".join(f" − {v}" for v in alternative.minus)
        ways.append(f"{formula} ({', '.join(alternative.datasets)})")
    text = " ; sinon ".join(ways)
    return f"{label} : {text}" if label else text


def data_dictionary(columns: list[str], registry, indicators) -> pd.DataFrame:
    """What each column of the indicator table and each indicator in it is.

    ``columns``: the French headers present; ``indicators``: ids present.
    """
    import pandas as pd

    meanings = {french: meaning for french, meaning in INDICATOR_COLUMNS.values()}
    records = [{"type": "colonne", "nom": column, "définition": meanings.get(column, "")} for column in columns]
    present = set(indicators)
    for indicator in registry:
        if indicator.id not in present:
            continue
        definition = indicator.definition + (f" Note : {indicator.notes}" if indicator.notes else "")
        records.append({
            "type": "indicateur", "nom": indicator.id, "libellé": indicator.label,
            "thème": registry.themes.get(indicator.theme, indicator.theme), "définition": definition.strip(),
            "unité": indicator.unit, "source": indicator.source,
            "numérateur": _term_text(indicator.numerator, indicator.num_label),
            "dénominateur": _term_text(indicator.denominator, indicator.den_label),
        })
    return pd.DataFrame.from_records(records, columns=DICTIONARY_COLUMNS).fillna("")


def save_indicator_tables(table: pd.DataFrame, theme_tables: Mapping[str, pd.DataFrame], folder: str | Path,
                          study: str, *, registry, name_of) -> list[Path]:
    """Write a study's tables: ``<study>_indicateurs.csv`` (trimmed), ``<study>.dictionnaire.csv``,
    one CSV per theme table and ``<study>_tableaux.xlsx`` (sheets « Indicateurs »,
    « Dictionnaire », then the themes)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = indicator_rows_for_people(table, name_of, [i.id for i in registry])
    dictionary = data_dictionary(list(rows.columns), registry, rows["indicateur"].unique())
    written = [write_csv(rows, folder / f"{study}_indicateurs.csv"),
               write_csv(dictionary, folder / f"{study}.dictionnaire.csv")]
    return written + save_tables(theme_tables, folder, study,
                                 first_sheets={INDICATORS_SHEET: rows, DICTIONARY_SHEET: dictionary})


def write_tables(territory: str, study: str, *, year: int | None, data_dir: Path, folder: Path) -> list[Path]:
    """Default hook of ``build_report``: the indicator tables the notebook wrote into ``folder``.

    The study notebook already holds the computed indicators, so it saves them
    itself (``abs_lib.portrait.tables.save_study_tables`` into its ``tables_dir``
    parameter); computing them again here would double the cost of a report.
    """
    folder = Path(folder)
    names = [f"{study}_*.csv", f"{study}_*.xlsx", f"{study}.dictionnaire.csv"]
    return sorted({p for pattern in names for p in folder.glob(pattern)})
