"""Put a commune-level table of an older geography onto a newer one.

Why: INSEE bases come in the geography of their publication year (RP2016 in
2019's, FiLoSoFi 2016 in 2017's…); comparing or aggregating them to today's
EPCI needs one common commune list. Mergers (communes nouvelles) are handled by
summing the columns the caller declares additive; other columns (medians,
rates) cannot be rebuilt and become missing for merged communes. A split (one
old commune -> several new ones) cannot be apportioned without an assumption:
it is refused (or only reported), never guessed.

The changes come from data/reference/commune_changes.csv: INSEE's commune
history up to 2019, then year-to-year comparisons of the commune lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from abs_lib.errors import HarmonisationError, MissingColumnError
from abs_lib.territories import reference
from abs_lib.territories.codes import normalize_code


def first_change_year() -> int:
    """The oldest geography a table can be harmonised from."""
    return int(reference.table("changes")["year"].min()) - 1


def commune_changes(from_year: int, to_year: int | None = None) -> pd.DataFrame:
    """Changes between geography ``from_year`` and ``to_year`` (default: latest).

    Columns: year (first geography with the new situation), kind ("fusion",
    "scission", "changement de code"), old_code, old_name, new_code, new_name, source.
    """
    to_year = _check_years(from_year, to_year)
    changes = reference.table("changes")
    mask = (changes["year"] > from_year) & (changes["year"] <= to_year)
    return changes[mask].reset_index(drop=True)


def _check_years(from_year: int, to_year: int | None) -> int:
    years = reference.available_years()
    to_year = years[-1] if to_year is None else int(to_year)
    first = first_change_year()
    if to_year < from_year:
        raise HarmonisationError(
            f"Passage de la géographie {from_year} à {to_year} impossible : seule une géographie "
            "plus récente peut être visée. Inversez les années."
        )
    if from_year < first or to_year > years[-1]:
        raise HarmonisationError(
            f"Géographies connues pour l'harmonisation : {first} à {years[-1]} "
            f"(demandé : {from_year} -> {to_year})."
        )
    return to_year


@lru_cache(maxsize=1)
def _steps() -> dict[int, dict[str, frozenset[str]]]:
    """For each geography year, old code -> codes of that year holding its territory."""
    changes = reference.table("changes")
    steps: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for year, old, new in zip(changes["year"], changes["old_code"], changes["new_code"]):
        steps[int(year)][old].add(new)
    return {
        year: {old: frozenset(news) for old, news in step.items()}
        for year, step in sorted(steps.items())
    }


def _forward(codes: Iterable[str], from_year: int, to_year: int) -> dict[str, set[str]]:
    """Codes of geography ``to_year`` holding each ``from_year`` code's territory."""
    steps = [step for year, step in _steps().items() if from_year < year <= to_year]
    result = {}
    for code in codes:
        current = {code}
        for step in steps:
            if any(c in step for c in current):
                current = set().union(*(step.get(c, {c}) for c in current))
        result[code] = current
    return result


def follow_code(code: str, to_year: int, from_year: int | None = None) -> set[str]:
    """Codes that hold a (possibly former) commune's territory in geography ``to_year``.

    ``from_year`` default: the year before the code's first change.
    """
    if from_year is None:
        years = [year for year, step in _steps().items() if code in step]
        if not years:
            return {code}
        from_year = years[0] - 1
    return _forward([code], from_year, to_year)[code]


def _alive_at_start(changes: pd.DataFrame) -> set[str]:
    """Codes of the changes that existed at the start (first seen as an old code)."""
    first_seen: dict[str, str] = {}
    for _, step in changes.groupby("year", sort=True):
        for code in step["old_code"]:  # old codes of a year first: a commune nouvelle
            first_seen.setdefault(code, "old")  # keeps the code of one of its members
        for code in step["new_code"]:
            first_seen.setdefault(code, "new")
    return {code for code, role in first_seen.items() if role == "old"}


@dataclass
class Harmonised:
    """Result of :func:`harmonise`: the table on the new geography and what was done.

    ``merges``: one row per new commune made of several old ones present in the
    table (new_code, new_name, old_codes, old_names, complete = every old commune
    was in the table). ``splits``: old communes split between several new ones.
    ``code_changes``: old -> new code without territory change. ``unknown_codes``:
    codes of the input that are not communes of ``from_year`` (dropped).
    ``nan_columns``: columns set to missing on merged (or split) communes.
    """

    frame: pd.DataFrame
    from_year: int
    to_year: int
    merges: pd.DataFrame
    splits: pd.DataFrame
    code_changes: pd.DataFrame
    unknown_codes: list[str] = field(default_factory=list)
    nan_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """French sentences for a report: what was merged, split or dropped."""
        parts = [
            f"Données passées de la géographie {self.from_year} à la géographie {self.to_year}."
        ]
        if self.merges.empty and self.splits.empty and self.code_changes.empty:
            parts.append("Aucune commune du tableau n'a changé entre ces deux géographies.")
        for row in self.merges.itertuples():
            olds = ", ".join(f"{c} {n}" for c, n in zip(row.old_codes, row.old_names))
            text = f"Fusion : {olds} -> {row.new_code} {row.new_name}"
            if not row.complete:
                text += " (communes d'origine incomplètes dans le tableau : valeurs manquantes)"
            parts.append(text + ".")
        for row in self.splits.itertuples():
            news = ", ".join(f"{c} {n}" for c, n in zip(row.new_codes, row.new_names))
            parts.append(
                f"Scission : {row.old_code} {row.old_name} -> {news} "
                "(valeurs non réparties, laissées manquantes)."
            )
        for row in self.code_changes.itertuples():
            parts.append(f"Changement de code : {row.old_code} -> {row.new_code} {row.new_name}.")
        if self.nan_columns:
            parts.append(
                "Colonnes non additives laissées vides pour les communes fusionnées : "
                + ", ".join(self.nan_columns)
                + "."
            )
        if self.unknown_codes:
            parts.append(
                f"Codes inconnus en géographie {self.from_year}, écartés : "
                + ", ".join(self.unknown_codes[:20])
                + (" …" if len(self.unknown_codes) > 20 else "")
                + "."
            )
        return "\n".join(parts)


def harmonise(
    frame: pd.DataFrame,
    *,
    from_year: int,
    to_year: int | None = None,
    additive: Iterable[str] = (),
    code_column: str = "CODGEO",
    name_column: str | None = "LIBGEO",
    on_split: str = "raise",
    flag_column: str | None = None,
) -> Harmonised:
    """Put a commune table of geography ``from_year`` onto geography ``to_year``.

    Parameters
    ----------
    frame : one row per commune, codes in ``code_column``.
    from_year, to_year : geography years (``to_year`` default: the latest).
    additive : columns that can be summed over merged communes (counts). Every other
        column (medians, rates, labels) becomes missing on merged communes.
    name_column : if present, filled with the commune names of ``to_year``.
    on_split : "raise" (default) raises :class:`HarmonisationError` naming the split
        communes; "report" leaves their new communes' values missing and lists them
        in ``splits``.
    flag_column : if given, a boolean column added to the result, True for rows
        made of several old communes (or of part of a split one).

    A merged commune whose old communes are not all in ``frame`` gets missing
    additive values too (a partial sum would be wrong); a missing value in any
    old commune makes the sum missing.
    """
    if on_split not in ("raise", "report"):
        raise HarmonisationError(
            f"on_split doit valoir « raise » ou « report », pas « {on_split} »."
        )
    from_year = int(from_year)
    to_year = _check_years(from_year, to_year)
    additive = list(additive)
    missing = [c for c in [code_column, *additive] if c not in frame.columns]
    if missing:
        raise MissingColumnError("tableau à harmoniser", missing)
    data = frame.copy()
    data[code_column] = [normalize_code(v, "commune") for v in frame[code_column]]
    duplicated = sorted(set(data.loc[data[code_column].duplicated(), code_column]))
    if duplicated:
        raise HarmonisationError(
            f"Codes commune en double dans le tableau : {', '.join(duplicated[:10])}. "
            "Une ligne par commune est attendue."
        )
    data = data.set_index(code_column, drop=False)
    codes = list(data.index)

    years = reference.available_years()
    changes = commune_changes(from_year, to_year)
    old_list = set(_reference_names(from_year)) if from_year in years else None
    new_names = _names_in(to_year, changes)
    new_list = set(new_names) if to_year in years else None
    alive = _alive_at_start(changes)
    forward = _forward(set(codes) | alive, from_year, to_year)
    unknown = sorted(
        c
        for c in codes
        if (old_list is not None and c not in old_list)
        or (new_list is not None and not forward[c] <= new_list)
    )
    known = [c for c in codes if c not in set(unknown)]

    sources_of: dict[str, set[str]] = defaultdict(set)
    for old in alive | set(known):
        for new in forward[old]:
            sources_of[new].add(old)
    split_olds = sorted(c for c in known if len(forward[c]) > 1)
    if split_olds and on_split == "raise":
        raise HarmonisationError(
            _split_message(split_olds, forward, changes, new_names, from_year, to_year)
        )

    present = set(known)
    value_columns = [c for c in data.columns if c != code_column]
    non_additive = [c for c in value_columns if c not in additive and c != name_column]
    single_sources, single_targets, grouped = [], [], []
    merges, code_changes = [], []
    for target in sorted({new for c in known for new in forward[c]}):
        sources = sources_of[target]
        touched_by_split = any(len(forward[s]) > 1 for s in sources)
        if len(sources) == 1 and not touched_by_split:
            (source,) = sources
            single_sources.append(source)
            single_targets.append(target)
            if source != target:
                code_changes.append(
                    {
                        "old_code": source,
                        "new_code": target,
                        "new_name": new_names.get(target, target),
                    }
                )
            continue
        in_table = sorted(sources & present)
        complete = len(in_table) == len(sources) and not touched_by_split
        row = {code_column: target}
        for column in additive:
            row[column] = data.loc[in_table, column].sum(skipna=False) if complete else np.nan
        grouped.append(row)
        if not touched_by_split:
            merges.append(
                {
                    "new_code": target,
                    "new_name": new_names.get(target, target),
                    "old_codes": tuple(sorted(sources)),
                    "old_names": tuple(_old_name(s, changes) for s in sorted(sources)),
                    "complete": complete,
                }
            )

    single = data.loc[single_sources].reset_index(drop=True)
    single[code_column] = single_targets
    out = pd.concat([single, pd.DataFrame(grouped, columns=list(data.columns))], ignore_index=True)
    for column in data.columns:
        if column != code_column:
            out[column] = _like(out[column], frame[column])
    out = out.sort_values(code_column, ignore_index=True)
    merged_codes = {row[code_column] for row in grouped}
    if name_column and name_column in out.columns:
        out[name_column] = [
            new_names.get(c, name) for c, name in zip(out[code_column], out[name_column])
        ]
    if flag_column:
        out[flag_column] = out[code_column].isin(merged_codes)
    splits = [
        {
            "old_code": c,
            "old_name": _old_name(c, changes),
            "new_codes": tuple(sorted(forward[c])),
            "new_names": tuple(new_names.get(n, n) for n in sorted(forward[c])),
        }
        for c in split_olds
    ]
    return Harmonised(
        frame=out,
        from_year=from_year,
        to_year=to_year,
        merges=pd.DataFrame(
            merges, columns=["new_code", "new_name", "old_codes", "old_names", "complete"]
        ),
        splits=pd.DataFrame(splits, columns=["old_code", "old_name", "new_codes", "new_names"]),
        code_changes=pd.DataFrame(code_changes, columns=["old_code", "new_code", "new_name"]),
        unknown_codes=unknown,
        nan_columns=non_additive if grouped else [],
    )


def _like(values: pd.Series, original: pd.Series) -> pd.Series:
    """Give a result column the dtype of the input column when it can hold missing values."""
    if pd.api.types.is_numeric_dtype(original) or pd.api.types.is_bool_dtype(original):
        return pd.to_numeric(values, errors="coerce")
    try:
        return values.astype(original.dtype)
    except (TypeError, ValueError):
        return values


def _names_in(year: int, changes: pd.DataFrame) -> dict[str, str]:
    """Commune names of geography ``year`` (from the reference, else from the changes)."""
    if year in reference.available_years():
        return _reference_names(year)
    return dict(zip(changes["new_code"].tolist(), changes["new_name"].tolist()))


@lru_cache(maxsize=16)
def _reference_names(year: int) -> dict[str, str]:
    communes = reference.communes(year)
    return dict(zip(communes["code"].tolist(), communes["name"].tolist()))


def _old_name(code: str, changes: pd.DataFrame) -> str:
    names = changes.loc[changes["old_code"] == code, "old_name"]
    return str(names.iloc[0]) if not names.empty else code


def _split_message(split_olds, forward, changes, new_names, from_year, to_year) -> str:
    parts = []
    for code in split_olds:
        news = ", ".join(f"{n} ({new_names.get(n, n)})" for n in sorted(forward[code]))
        years = changes.loc[(changes["old_code"] == code) & (changes["kind"] == "scission"), "year"]
        when = f" en {int(years.iloc[0])}" if not years.empty else ""
        parts.append(f"{code} ({_old_name(code, changes)}) scindée{when} en {news}")
    return (
        f"Passage de la géographie {from_year} à {to_year} impossible sans hypothèse : "
        + " ; ".join(parts)
        + ". Les valeurs d'une commune scindée ne peuvent pas être réparties entre ses parties. "
        'Retirez ces communes du tableau, ou appelez harmonise(..., on_split="report") pour '
        "laisser ces valeurs manquantes et obtenir la liste des scissions."
    )
