"""Turn what the local store holds into the engine's inputs.

The store keeps each file as published (columns ``P16_POP``, ``MED21``…, IRIS
rows, a mixed-vintage Comparateur). The engine wants, per dataset and vintage,
commune counts under vintage-free names on one geography, plus values read
at each level. This module is the one place that does that translation:

- split a file by the vintages written in its columns (``P22_`` / ``P16_``),
- sum IRIS rows to communes (CAF, RP IRIS bases),
- put commune tables on the study's geography (communes nouvelles summed,
  see :func:`abs_lib.territories.harmonise`),
- keep every table at its own level too, for values never rebuilt (medians).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from abs_lib.indicators.compute import PARTIAL_COLUMN
from abs_lib.indicators.inputs import caf_places_tables, sum_iris_to_communes
from abs_lib.indicators.registry import Registry, load_registry
from abs_lib.sources.store import Store, StoredEntry
from abs_lib.sources.variables import normalise_columns, vintages_in
from abs_lib.territories import available_years, harmonise, load_geography

#: Datasets whose files hold one row per territory and year (data.caf.fr exports).
_YEAR_ROW_DATASETS = ("caf-places-accueil-jeune-enfant", "caf-couverture-petite-enfance-epci")
#: Code columns by level, in order of preference.
_CODE_COLUMNS = ("CODGEO", "IRIS", "COM", "INSEE_COM", "numcom", "numepci")
#: IRIS tables whose rows are summed to communes (allowed partial: small IRIS are not published).
_PARTIAL_IRIS = ("caf-iris",)


@dataclass
class IndicatorInputs:
    """What ``compute_indicators`` needs, and what was done to get it (for the report)."""

    commune_tables: dict = field(default_factory=dict)
    level_tables: dict = field(default_factory=dict)
    entries: list[StoredEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def vintages(self) -> list[int]:
        keys = [v for (_, v) in self.commune_tables] + [v for (_, v, _) in self.level_tables]
        return sorted(set(keys))


def _code_column(frame: pd.DataFrame) -> str:
    return next(c for c in _CODE_COLUMNS if c in frame.columns)


def _by_vintage(frame: pd.DataFrame, stored_vintage: int) -> dict[int, pd.DataFrame]:
    """One vintage-free table per vintage written in the columns (or the stored one)."""
    found = vintages_in(frame.columns)
    if not found:
        return {stored_vintage: frame}
    return {vintage: normalise_columns(frame, vintage) for vintage in sorted(found)}


def _indexed(frame: pd.DataFrame, code_column: str, name: str) -> pd.DataFrame:
    out = frame.set_index(code_column)
    out.index = pd.Index(out.index.astype(str), dtype=object, name=name)
    return out.loc[~out.index.duplicated()]


def infer_geography_year(codes) -> int | None:
    """Latest reference geography in which every commune code of a table exists."""
    codes = set(map(str, codes))
    best, best_share = None, -1.0
    for year in reversed(available_years()):
        known = set(load_geography(year).communes.index)
        share = len(codes & known) / max(len(codes), 1)
        if share == 1.0:
            return year
        if share > best_share:
            best, best_share = year, share
    return best


def _on_geography(frame: pd.DataFrame, to_year: int | None, label: str, notes: list[str]) -> pd.DataFrame:
    """A commune table (indexed by code) put on the study's geography, mergers summed."""
    if to_year is None:
        return frame
    from_year = infer_geography_year(frame.index)
    if from_year == to_year:
        return frame
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype) and c != PARTIAL_COLUMN]
    table = frame.reset_index().rename(columns={frame.index.name: "CODGEO"})
    done = harmonise(table, from_year=min(from_year, to_year), to_year=to_year, additive=numeric,
                     name_column=None, on_split="report")
    if not done.merges.empty or not done.splits.empty or done.unknown_codes:
        notes.append(f"{label} : {done.summary()}")
    out = done.frame.set_index("CODGEO")
    out.index = pd.Index(out.index.astype(str), dtype=object, name=frame.index.name)
    return out


def load_inputs(
    store: Store,
    *,
    geography_year: int | None = None,
    registry: Registry | None = None,
    fictional: bool = False,
) -> IndicatorInputs:
    """Read every stored table the indicator registry can use.

    ``geography_year``: the geography commune tables are put on (None: as they
    are; the fictional demo has a geography of its own and is never harmonised).
    """
    registry = registry or load_registry()
    known = set(registry.datasets)
    inputs = IndicatorInputs()
    for entry in store.entries():
        if entry.dataset not in known:
            continue
        inputs.entries.append(entry)
        frame = store.load(entry.dataset, entry.vintage, entry.level)
        if entry.dataset in _YEAR_ROW_DATASETS:
            level, per_year = caf_places_tables(frame)
            for year, part in per_year.items():
                inputs.level_tables[(entry.dataset, year, level)] = part
            continue
        additive = registry.datasets[entry.dataset].additive
        code_column = _code_column(frame)
        for vintage, table in _by_vintage(frame, entry.vintage).items():
            label = f"{entry.dataset} {vintage}"
            if entry.level == "iris":
                communes = sum_iris_to_communes(table, iris_column=code_column,
                                                allow_partial=entry.dataset in _PARTIAL_IRIS)
                if additive:
                    target = None if fictional else geography_year
                    inputs.commune_tables[(entry.dataset, vintage)] = _on_geography(communes, target, label, inputs.notes)
                continue
            indexed = _indexed(table, code_column, entry.level)
            if entry.level == "commune":
                target = None if fictional else geography_year
                indexed = _on_geography(indexed, target, label, inputs.notes)
                if additive:
                    inputs.commune_tables[(entry.dataset, vintage)] = indexed
            inputs.level_tables[(entry.dataset, vintage, entry.level)] = indexed
    return inputs
