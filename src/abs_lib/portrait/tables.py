"""The tables a study shows: one theme's indicators beside their references,
the same at two dates, and what is missing with how to get it.

Each indicator is shown at the latest vintage where the territory has a value
(sources do not share a year: RP 2022, FiLoSoFi 2019, CAF 2020), and its
references at that same vintage, so a row never compares different years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abs_lib.formatting import format_number
from abs_lib.indicators import census_comparable, rank_enjeux
from abs_lib.indicators.compute import MISSING_REASONS, NO_VARIABLE, NOT_COMPARABLE, NOT_IMPORTED
from abs_lib.indicators.views import ROLE_COMMUNE, ROLE_TERRITORY
from abs_lib.portrait.build import Portrait
from abs_lib.portrait.periods import has_value, period_label
from abs_lib.sources.catalog import load_catalog



def _own_rows(portrait: Portrait) -> pd.DataFrame:
    t = portrait.table
    return t[(t["role"] == ROLE_TERRITORY).to_numpy()]


def chosen_vintages(portrait: Portrait, max_vintage: int | None = None) -> pd.Series:
    """Per indicator, the latest vintage (≤ max_vintage) with a value for the territory;
    else the latest vintage where a file was found (the row says why the value is missing:
    secret, outside the file's communes, variable absent from the file…); else the latest vintage at all (the row says
    « non importé », and no vintage is shown for it)."""
    own = _own_rows(portrait)
    if max_vintage is not None:
        own = own[own["vintage"] <= max_vintage]
    # a file of that vintage was found: a value came from it, or it lacks the variable
    found = ((own["source"].astype(str).str.len() > 0) | own["flags"].astype(str).str.contains(NO_VARIABLE, regex=False)).to_numpy()
    own = own.assign(has=own["value"].notna(), found=found, indicator=own["indicator"].astype(str))
    best = own.sort_values(["indicator", "has", "found", "vintage"]).groupby("indicator").tail(1)
    return best.set_index("indicator")["vintage"].astype(int)


def latest_rows(portrait: Portrait, max_vintage: int | None = None) -> pd.DataFrame:
    """Territory and reference rows at each indicator's chosen vintage (computed once per portrait)."""
    cache = portrait.cache.setdefault("latest_rows", {})
    if max_vintage not in cache:
        cache[max_vintage] = _latest_rows(portrait, max_vintage)
    return cache[max_vintage]


def _latest_rows(portrait: Portrait, max_vintage: int | None) -> pd.DataFrame:
    chosen = chosen_vintages(portrait, max_vintage)
    t = portrait.table
    t = t[(t["role"] != ROLE_COMMUNE).to_numpy()]
    wanted = t["indicator"].astype(str).map(chosen)
    return t[(t["vintage"] == wanted).to_numpy()].copy()


def _label_for(portrait: Portrait, level: str, code: str) -> str:
    return portrait.name_of(level, code)


def _reason(flags: str) -> str:
    """A flag text as shown to readers (French typography: a space before the colon)."""
    return re.sub(r"(?<! ): ", " : ", str(flags or ""))


def _cells(portrait: Portrait, max_vintage: int | None) -> dict:
    """``{(indicator, level, code): row}`` of :func:`latest_rows`, built once per portrait:
    every table and figure looks cells up here instead of filtering the frame again."""
    cache = portrait.cache.setdefault("cells", {})
    if max_vintage not in cache:
        rows = latest_rows(portrait, max_vintage)
        keys = zip(rows["indicator"].astype(str), rows["level"].astype(str), rows["territory"].astype(str))
        records = rows[["value", "vintage", "source", "flags", "role"]].to_dict("records")
        cache[max_vintage] = dict(zip(keys, records))
    return cache[max_vintage]


def cell(portrait: Portrait, indicator: str, *, level: str | None = None, code: str | None = None,
         max_vintage: int | None = None) -> dict | None:
    """The row (value, vintage, source, flags, role) of one indicator for the territory (or a
    reference) at its chosen vintage, None when the table has none."""
    return _cells(portrait, max_vintage).get((indicator, level or portrait.level, code or portrait.code))


def theme_table(portrait: Portrait, theme: str, *, max_vintage: int | None = None) -> pd.DataFrame:
    """One row per indicator of ``theme``: the territory, each reference, the vintage,
    the source and the cautions, formatted in French (numbers kept as text).

    This is the full technical table (written to the exports); reports show its reader
    view (:mod:`abs_lib.portrait.reader`)."""
    key = ("theme_table", theme, max_vintage)
    if key in portrait.cache:
        return portrait.cache[key].copy()
    portrait.cache[key] = indicators_table(portrait, portrait.registry.by_theme().get(theme, []), max_vintage=max_vintage)
    return portrait.cache[key].copy()


def indicators_table(portrait: Portrait, indicators, *, max_vintage: int | None = None) -> pd.DataFrame:
    """The full technical table of ``indicators`` (see :func:`theme_table`), in the order given."""
    registry = portrait.registry
    cells = _cells(portrait, max_vintage)
    columns = [(portrait.level, portrait.code)] + portrait.references
    records = []
    for indicator in indicators:
        ind = registry[indicator]
        unit = registry.units[ind.unit]
        own = cells.get((indicator, portrait.level, portrait.code))
        if own is None:
            continue
        record = {"Indicateur": ind.label}
        for level, code in columns:
            cell = cells.get((indicator, level, code))
            number = float(cell["value"]) if cell is not None else np.nan
            record[_label_for(portrait, level, code)] = format_number(number, unit.suffix.strip() or None, decimals=unit.decimals)
        record["Unité"] = ind.unit
        source = str(own["source"]) if pd.notna(own["source"]) else ""
        record["Millésime"] = _vintage_label(ind, own["vintage"], source)
        record["Source"] = source
        record["Remarques"] = "; ".join(p for p in (_reason(own["flags"]), _unconfirmed(ind, own)) if p)
        records.append(record)
    return pd.DataFrame.from_records(records)


UNCONFIRMED = "variable ou définition non vérifiée sur le dictionnaire du producteur"


def _unconfirmed(ind, cell) -> str:
    """Said beside a value whose registry entry is ``confirmed: false`` (docs/indicators.md)."""
    return UNCONFIRMED if not ind.confirmed and has_value(cell["value"]) else ""


def _vintage_label(ind, vintage, source: str) -> str:
    """The vintage a row shows: none when nothing was found (no invented year); a growth
    rate's period with both years."""
    if not source:
        return ""
    if ind.kind == "growth":
        return period_label(source, int(vintage))
    return str(int(vintage))


def missing_reason(flags) -> str:
    """The short reason a missing value shows in charts (« secret statistique », « non importé »…)."""
    for part in str(flags or "").split("; "):
        if part.startswith(MISSING_REASONS):
            return part.split(":", 1)[0].strip()
    return ""


def reason(portrait: Portrait, indicator: str, *, level: str | None = None, code: str | None = None,
           max_vintage: int | None = None) -> str:
    """Why one indicator is missing for the territory (or a reference); "" when it has a value."""
    cell = _cells(portrait, max_vintage).get((indicator, level or portrait.level, code or portrait.code))
    if cell is None:
        return NOT_IMPORTED
    return "" if has_value(cell["value"]) else missing_reason(cell["flags"])


def commune_reasons(portrait: Portrait, indicator: str, vintage: int) -> dict[str, str]:
    """Why each member commune's value is missing, by code (for map notes)."""
    t = portrait.table
    mask = ((t["role"] == ROLE_COMMUNE).to_numpy() & (t["indicator"].astype(str) == indicator).to_numpy()
            & (t["vintage"] == vintage).to_numpy() & t["value"].isna().to_numpy())
    part = t[mask]
    return {str(c): missing_reason(f) for c, f in zip(part["territory"].astype(str), part["flags"].astype(str))}


def value(portrait: Portrait, indicator: str, *, level: str | None = None, code: str | None = None,
          max_vintage: int | None = None) -> tuple[float, int]:
    """(value, vintage) of one indicator for the territory (or one of its references)."""
    cell = _cells(portrait, max_vintage).get((indicator, level or portrait.level, code or portrait.code))
    if cell is None:
        return np.nan, 0
    return float(cell["value"]), int(cell["vintage"])


def commune_values(portrait: Portrait, indicator: str, vintage: int | None = None) -> tuple[pd.Series, int]:
    """Values of the member communes (indexed by code) at the territory's chosen vintage."""
    vintage = vintage or int(chosen_vintages(portrait).get(indicator, 0))
    t = portrait.table
    mask = (t["role"] == ROLE_COMMUNE).to_numpy() & (t["indicator"].astype(str) == indicator).to_numpy() & (t["vintage"] == vintage).to_numpy()
    part = t[mask]
    return pd.Series(part["value"].to_numpy(), index=part["territory"].astype(str).to_numpy(), name=indicator), vintage


def missing_sources(portrait: Portrait, theme: str | None = None) -> pd.DataFrame:
    """Datasets the study lacks, with the indicators that need them and how to get them."""
    registry = portrait.registry
    catalog = load_catalog()
    needs = missing_datasets(portrait, theme)
    records = []
    for dataset, labels in sorted(needs.items()):
        try:
            entry = catalog.get(dataset)
            title, page = entry.title, entry.page_url
            how = f"`abs data fetch {dataset}` ou téléchargement sur {page} puis `abs data import FICHIER`"
        except Exception:
            title = registry.datasets[dataset].label if dataset in registry.datasets else dataset
            how = "fichier à fournir par l'analyste (`abs data import FICHIER`)"
        records.append({"Jeu de données": title, "Identifiant": dataset,
                        "Indicateurs concernés": ", ".join(dict.fromkeys(labels)), "Comment l'obtenir": how})
    return pd.DataFrame.from_records(records, columns=["Jeu de données", "Identifiant", "Indicateurs concernés", "Comment l'obtenir"])


_FILE_OF = re.compile(r"\((\S+) \d{4}\)$")


def missing_datasets(portrait: Portrait, theme: str | None = None, *, incomplete: bool = False) -> dict[str, list[str]]:
    """``{dataset: [indicator labels]}``: each dataset the study lacks, once, with the
    indicators of the territory that stay missing without it.

    ``incomplete``: instead, the datasets that were imported but lack a variable no missing
    dataset would bring (a "light" extract: the complete file is needed), or the vintage or
    level the indicator needs."""
    registry = portrait.registry
    rows = latest_rows(portrait)
    own = rows[(rows["role"] == ROLE_TERRITORY).to_numpy() & rows["value"].isna().to_numpy()]
    have = {e.dataset for e in portrait.entries}
    needs: dict[str, list[str]] = {}
    partial: dict[str, list[str]] = {}
    for _, row in own.iterrows():
        ind = registry[str(row["indicator"])]
        if theme and ind.theme != theme:
            continue
        for part in str(row["flags"] or "").split("; "):
            dataset = _not_imported(part)
            if dataset and dataset not in have:
                needs.setdefault(dataset, []).append(ind.label)
            elif dataset:   # imported, but not for this vintage or level
                partial.setdefault(dataset, []).append(ind.label)
            elif part.startswith(NO_VARIABLE + ": "):
                # The dataset we have lacks the column (a "light" extract): name the source that has it.
                variable = part.split(": ", 1)[1].split(" ")[0].rstrip(",")
                for dataset in _datasets_with(ind, variable):
                    if dataset not in have:
                        needs.setdefault(dataset, []).append(ind.label)
                        break
                else:
                    named = _FILE_OF.search(part)
                    if named:
                        partial.setdefault(named.group(1), []).append(ind.label)
    found = partial if incomplete else needs
    return {d: list(dict.fromkeys(labels)) for d, labels in found.items()}


def _not_imported(reason: str) -> str | None:
    """The dataset named by a « non importé … : <dataset> [vintage] » reason, if it is one."""
    if not reason.startswith(NOT_IMPORTED):
        return None
    return reason.split(": ", 1)[1].split(" ")[0] if ": " in reason else None


def _datasets_with(indicator, variable: str) -> list[str]:
    """Datasets that the registry lists for ``variable`` in the indicator's terms, in order."""
    found = []
    for term in indicator.terms:
        for alternative in term.alternatives:
            if variable in alternative.needed:
                found += [d for d in alternative.datasets if d not in found]
    return found


def enjeux(portrait: Portrait, *, top: int = 8) -> pd.DataFrame:
    """The conclusion: indicators where the territory deviates most, in the direction of need,
    each at its latest vintage (references at the same vintage). Columns rank, theme, text."""
    rows = latest_rows(portrait)
    rows = rows.assign(source_vintage=rows["vintage"], vintage=0)
    names = {(lv, c): portrait.name_of(lv, c, with_code=False) for lv, c in portrait.references}
    ranked = rank_enjeux(rows, portrait.membership, portrait.level, portrait.code, vintage=0,
                         registry=portrait.registry, names=names, top=top)
    return ranked


def side_by_side(portrait: Portrait, indicators, *, baseline: int, update: int) -> pd.DataFrame:
    """Each indicator at the baseline and at the update (each source at its own vintage, the
    latest not after that year), and the change: always for non-census sources, for the
    census only where INSEE deems the two vintages comparable (else the row says why)."""
    registry = portrait.registry
    records = []
    for indicator in indicators:
        ind = registry[indicator]
        unit = registry.units[ind.unit]
        v0, y0, s0 = _dated(portrait, indicator, baseline)
        v1, y1, s1 = _dated(portrait, indicator, update)
        fmt = lambda v: format_number(v, unit.suffix.strip() or None, decimals=unit.decimals)  # noqa: E731
        label0 = _vintage_label(ind, y0, s0) if has_value(v0) else ""
        label1 = _vintage_label(ind, y1, s1) if has_value(v1) else ""
        change, remark = "", ""
        if not has_value(v0) or not has_value(v1):
            remark = _missing_side(portrait, indicator, v0, v1, baseline, update)
        elif y0 == y1:
            remark = f"une seule date disponible ({y1})"
        elif ind.is_census and not census_comparable(y0, y1):
            remark = f"{NOT_COMPARABLE} (INSEE : recensements {y0} et {y1} trop proches)"
        else:
            change_unit = "pt" if ind.unit == "%" else (unit.suffix.strip() or None)  # a change of a share is in points
            change = format_number(v1 - v0, change_unit, decimals=unit.decimals, signed=True)
            change = f"{change} ({label0} → {label1})"
        records.append({"Indicateur": ind.label, "Avant": fmt(v0), "Millésime avant": label0,
                        "Après": fmt(v1), "Millésime après": label1, "Évolution": change, "Remarques": remark})
    return pd.DataFrame.from_records(records)


def _dated(portrait: Portrait, indicator: str, max_vintage: int) -> tuple[float, int, str]:
    """(value, vintage, source) of the territory's cell at the latest vintage ≤ max_vintage."""
    cell = _cells(portrait, max_vintage).get((indicator, portrait.level, portrait.code))
    if cell is None:
        return np.nan, 0, ""
    source = str(cell["source"]) if pd.notna(cell["source"]) else ""
    return float(cell["value"]), int(cell["vintage"]), source


def _missing_side(portrait: Portrait, indicator: str, v0, v1, baseline: int, update: int) -> str:
    """Why the before or after value is missing, in the study's vocabulary."""
    parts = []
    for label, v, year in (("avant", v0, baseline), ("après", v1, update)):
        if has_value(v):
            continue
        cell = _cells(portrait, year).get((indicator, portrait.level, portrait.code))
        reason = _reason(cell["flags"]) if cell is not None else ""
        parts.append(f"{label} : {reason or 'donnée manquante'}")
    return " ; ".join(parts)


@dataclass(frozen=True)
class LocalCoverage:
    """Childcare coverage recomputed from the analyst's list of structures, before and after."""

    table: pd.DataFrame          # French table: date, places, children, places per 100 children
    before_rates: pd.Series | None  # rates by mode (coverage_chart columns), EAJE from the local file;
    after_rates: pd.Series | None   # None when the file has no structure in the territory
    note: str | None = None      # why the places are not counted, in French


def local_coverage(portrait: Portrait, path, *, before: str | None = None, after: str | None = None,
                   baseline: int | None = None) -> LocalCoverage | None:
    """Places of the analyst's structures open at two dates, per 100 children under 3
    (None when the analyst gave no file: the study then shows the CAF rate only).

    ``before`` defaults to 31 December of ``baseline`` (or of the oldest census
    vintage), ``after`` to today. The other modes (childminders, home employees,
    preschool) stay the CAF's; the EAJE part is replaced by the local count.
    """
    from abs_lib.indicators.inputs import local_commune_codes, local_places_by_commune
    from abs_lib.sources.readers import read_table

    if not path:
        return None
    frame = read_table(path)
    communes = list(portrait.territory.communes)
    code_column = next((c for c in ("code_commune", "commune") if c in frame.columns), None)
    note = None
    if code_column is not None:  # a file of the whole département: keep the territory's structures
        codes = local_commune_codes(frame[code_column])
        inside = codes.isin(communes).to_numpy()
        if len(frame) and not inside.any():
            # Another territory's file (or a mislabelled one) would otherwise read « 0 place ».
            note = _no_local_structure_note(portrait, codes, path)
        frame = frame.assign(**{code_column: codes})[inside]
    children, vintage = value(portrait, "enfants_0_2")
    if baseline is None:
        baseline = int(portrait.table["vintage"].min())
    before = before or f"{baseline}-12-31"
    after = after or pd.Timestamp.today().strftime("%Y-%m-%d")
    from abs_lib.portrait.figures import coverage_rates

    caf = coverage_rates(portrait).iloc[0]
    records, rates = [], []
    for label, day in (("avant", before), ("après", after)):
        places = (np.nan if note is not None else
                  local_places_by_commune(frame, as_of=day, communes=communes)["PLACES_LOCAL"].sum(min_count=1))
        rate = places / children * 100 if children and not np.isnan(children) else np.nan
        records.append({"": label, "Date": pd.Timestamp(day).strftime("%d/%m/%Y"),
                        "Places en structures (fichier local)": format_number(places, decimals=0),
                        f"Enfants de moins de 3 ans (RP {vintage})": format_number(children, decimals=0),
                        "Places pour 100 enfants": format_number(rate, decimals=1)})
        rates.append(caf.copy().astype(float))
        rates[-1]["eaje"] = rate
    if note is not None:  # no local count: the figure keeps the CAF's rates only
        rates = [None, None]
    return LocalCoverage(pd.DataFrame.from_records(records), rates[0], rates[1], note)


def _no_local_structure_note(portrait: Portrait, codes: pd.Series, path) -> str:
    """Why no place is counted: none of the file's structures is in one of the territory's communes."""
    from pathlib import Path

    found = sorted(set(codes.dropna()))
    shown = ", ".join(found[:5]) + (f" et {len(found) - 5} autre(s)" if len(found) > 5 else "")
    return (f"Places non comptées : aucune des {len(codes)} structure(s) du fichier local « {Path(str(path)).name} » "
            f"n'est dans une commune de {portrait.territory.name} (communes du fichier : {shown}). Vérifiez que le "
            "fichier (paramètre local_data) est celui de ce territoire ; seul le taux publié par la CAF est montré.")


def study_tables(portrait: Portrait) -> dict[str, pd.DataFrame]:
    """Each theme's French table, as written beside a report."""
    return {theme: theme_table(portrait, theme) for theme in portrait.registry.by_theme()}


def save_study_tables(portrait: Portrait, folder, study: str) -> list:
    """Write a study's tables into ``folder`` (no-op without a folder): the indicators
    trimmed to the rows an analyst uses, their data dictionary, and each theme's table
    (CSV for a French Excel, and one XLSX workbook); see :mod:`abs_lib.reports.tables`."""
    if not folder:
        return []
    from abs_lib.reports.tables import save_indicator_tables

    return save_indicator_tables(portrait.table, study_tables(portrait), folder, study,
                                 registry=portrait.registry,
                                 name_of=lambda level, code: portrait.name_of(level, code, with_code=False))


TIDY_COLUMNS = ["territory", "name", "level", "role", "indicator", "label", "theme", "vintage", "value",
                "numerator", "denominator", "unit", "source", "flags"]


def tidy_table(portrait: Portrait, *, vintage: int | None = None) -> pd.DataFrame:
    """The portrait's rows as plain text/number columns (codes stay text), named territories."""
    table = portrait.table
    if vintage is not None:
        table = table[(table["vintage"] == int(vintage)).to_numpy()]
    out = table.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(str)
    # Names of the few distinct places, joined on (level, code): iterating tens of thousands of
    # rows one by one was a fifth of `abs indicators`.
    pairs = out[["level", "territory"]].drop_duplicates()
    pairs["name"] = [portrait.name_of(lv, c, with_code=False)
                     for lv, c in zip(pairs["level"].tolist(), pairs["territory"].tolist())]
    out = out.drop(columns="name", errors="ignore").merge(pairs, on=["level", "territory"], how="left", sort=False)
    return out[TIDY_COLUMNS].reset_index(drop=True)


def _default_end_vintage(portrait: Portrait) -> int:
    """Where evolutions end by default: the latest census with the territory's population
    (births of a later year alone would leave every census evolution empty), else the latest
    vintage of any indicator."""
    t = portrait.table
    own = t[(t["role"] == ROLE_TERRITORY).to_numpy() & (t["indicator"].astype(str) == "population").to_numpy()]
    known = own.loc[own["value"].notna(), "vintage"]
    return int(known.max()) if len(known) else int(t["vintage"].max())


def available_vintages(portrait: Portrait) -> list[int]:
    """The vintages for which the portrait holds at least one value (any territory of it)."""
    t = portrait.table
    return sorted({int(v) for v in t.loc[t["value"].notna(), "vintage"].unique()})


def _check_vintage(portrait: Portrait, vintage, what: str) -> None:
    """Refuse a vintage with no value at all, listing those there are (else: an empty table)."""
    from abs_lib.errors import IndicatorError

    available = available_vintages(portrait)
    if int(vintage) in available:
        return
    listed = ", ".join(map(str, available)) if available else "aucun (importez des données)"
    raise IndicatorError(
        f"Aucune donnée pour le millésime {vintage} ({what}) : millésimes disponibles pour "
        f"{portrait.territory.label} : {listed}. Choisissez l'un d'eux.")


def indicator_table(territory, *, data_dir=None, year=None, level=None, vintage=None, compare_to=None,
                    allow_non_comparable: bool = False) -> pd.DataFrame:
    """``abs indicators``: the tidy table of a territory, with evolutions since ``compare_to``.

    A ``vintage`` or ``compare_to`` without any value is refused (``IndicatorError``
    listing the available vintages) rather than giving an empty table.
    """
    from abs_lib.indicators import compute_evolutions
    from abs_lib.portrait.build import open_portrait

    portrait = open_portrait(territory, year=year, data_dir=data_dir, level=level)
    if vintage is not None:
        _check_vintage(portrait, vintage, "millésime demandé")
    if compare_to is not None:
        _check_vintage(portrait, compare_to, "millésime de comparaison")
    if compare_to is None:
        table = tidy_table(portrait, vintage=vintage)
        table.attrs["notes"] = [note.text() for note in portrait.notes]
        return table
    end = int(vintage) if vintage is not None else _default_end_vintage(portrait)
    evolutions = compute_evolutions(portrait.table, int(compare_to), end, registry=portrait.registry,
                                    allow_non_comparable=allow_non_comparable)
    tidy = tidy_table(portrait, vintage=end)
    evolutions = evolutions.astype({c: str for c in ("territory", "level", "indicator")})
    keep = evolutions[["territory", "level", "indicator", "vintage_start", "value_start", "change", "annual_rate", "flags"]]
    keep = keep.rename(columns={"flags": "evolution_flags"})
    table = tidy.merge(keep, on=["territory", "level", "indicator"], how="left")
    table.attrs["notes"] = [note.text() for note in portrait.notes]
    return table
