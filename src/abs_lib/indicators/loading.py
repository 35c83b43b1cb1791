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

from abs_lib.indicators.compute import INCOMPLETE_COLUMN, MERGED_COLUMN
from abs_lib.indicators.inputs import caf_places_tables, sum_iris_to_communes
from abs_lib.indicators.registry import Registry, load_registry
from abs_lib.sources.columns import COUNT, column_kind
from abs_lib.sources.store import Store, StoredEntry
from abs_lib.sources.variables import normalise_columns, vintages_in
from abs_lib.territories import commune_changes, harmonise
from abs_lib.territories.fit import GeographyFit, fit_geography

#: Datasets whose files hold one row per territory and year (data.caf.fr exports).
_YEAR_ROW_DATASETS = ("caf-places-accueil-jeune-enfant", "caf-couverture-petite-enfance-epci",
                      "caf-couverture-petite-enfance-commune")
#: Code columns by level, in order of preference.
_CODE_COLUMNS = ("CODGEO", "IRIS", "COM", "INSEE_COM", "numcom", "numepci", "Code département")
#: IRIS tables whose rows are summed to communes (allowed partial: small IRIS are not published).
_PARTIAL_IRIS = ("caf-iris",)


@dataclass
class IndicatorInputs:
    """What ``compute_indicators`` needs, and what was done to get it (for the report)."""

    commune_tables: dict = field(default_factory=dict)
    level_tables: dict = field(default_factory=dict)
    entries: list[StoredEntry] = field(default_factory=list)
    geography_notes: list = field(default_factory=list)   # GeographyNote, one per file that changed
    #: Cache keys of every file read (``indicators.cache``): what a computed table depends on.
    #: Empty when the cache is off.
    cache_keys: list = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """Every geography note in full (``abs indicators``, batch sidecars)."""
        return [note.text() for note in self.geography_notes]

    @property
    def vintages(self) -> list[int]:
        keys = [v for (_, v) in self.commune_tables] + [v for (_, v, _) in self.level_tables]
        return sorted(set(keys))


def code_column_of(columns) -> str | None:
    """The column holding the territory (or IRIS) code of a stored table, or None."""
    return next((c for c in _CODE_COLUMNS if c in columns), None)


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


def geography_fit(store: Store, entry: StoredEntry, communes) -> tuple[StoredEntry, GeographyFit | None]:
    """The geography of a commune or IRIS table, from its manifest or found once from its codes."""
    if entry.geography:
        return entry, GeographyFit.from_dict(entry.geography)
    fit = fit_geography(communes)
    if fit is None:
        return entry, None
    return store.annotate(entry, geography=fit.to_dict()), fit


@dataclass(frozen=True)
class GeographyNote:
    """How one file's communes were put on the study's geography, every code accounted for.

    ``events`` pairs the commune codes concerned (old and new) with a French sentence, so a
    report can say only what concerns its territory while ``abs indicators`` says it all.
    """

    label: str
    fit: str
    summary: str = ""
    events: tuple[tuple[frozenset, str], ...] = ()
    tail: str = ""

    def to_dict(self) -> dict:
        return {"label": self.label, "fit": self.fit, "summary": self.summary, "tail": self.tail,
                "events": [[sorted(codes), text] for codes, text in self.events]}

    @classmethod
    def from_dict(cls, data: dict) -> "GeographyNote":
        events = tuple((frozenset(codes), text) for codes, text in data.get("events", []))
        return cls(data["label"], data["fit"], data.get("summary", ""), events, data.get("tail", ""))

    def text(self, communes=None) -> str:
        """The note in French; with ``communes``, only the events about them ("" if none)."""
        events = self.events
        if communes is not None:
            wanted = set(communes)
            events = tuple(e for e in events if e[0] & wanted)
            if not events:
                return ""
        parts = [self.summary] if self.summary and communes is None else []
        parts += [text for _, text in events]
        body = " ; ".join(parts)
        body = body[:1].upper() + body[1:]
        return f"{self.label} : {self.fit}." + (f" {body}." if body else "") + (f" {self.tail}" if self.tail else "")


def _on_geography(frame: pd.DataFrame, fit: GeographyFit | None, to_year: int | None, dataset: str,
                  label: str, notes: list) -> pd.DataFrame:
    """A commune table (indexed by code) put on the study's geography, every code accounted for.

    Counts of merged communes are summed; values read at their level (medians, rates)
    become missing there (``_merged`` marks the rows). A table in a geography newer than
    the study's keeps the communes that did not change in between. Codes of an
    ambiguous fit whose territory differs between the candidate geographies are left
    out. Each step is said in ``notes`` (:class:`GeographyNote`).
    """
    if to_year is None or fit is None:
        return frame
    code_name = frame.index.name
    table = frame.copy()
    table.index = pd.Index(table.index.astype(str), dtype=object, name="CODGEO")
    counts = [c for c in table.columns if column_kind(dataset, c, table[c].dtype) == COUNT]
    events: list = []
    if fit.uncertain:
        table = table.drop(index=[c for c in fit.uncertain if c in table.index])
    summary, tail = "", ""
    if fit.year > to_year:
        out, events = _newer_geography(table, fit.year, to_year)
    elif fit.year == to_year:
        out = table
    else:
        done = harmonise(table.reset_index(), from_year=fit.year, to_year=to_year, additive=counts,
                         name_column=None, on_split="report", flag_column=MERGED_COLUMN)
        out = done.frame.set_index("CODGEO")
        incomplete = set(done.merges.loc[~done.merges["complete"].astype(bool), "new_code"]) if not done.merges.empty else set()
        out[INCOMPLETE_COLUMN] = out.index.isin(incomplete)
        summary, events = accounting(done, set(table.index))
        if not done.merges.empty:
            tail = ("Comptages additionnés sur les communes fusionnées ; médianes, taux et parts non "
                    "publiés pour elles (valeurs manquantes).")
    if events or fit.unknown or fit.uncertain:
        note = GeographyNote(label, fit.sentence(), summary, tuple(events), tail)
        if note not in notes:
            notes.append(note)
    out.index = pd.Index(out.index.astype(str), dtype=object, name=code_name)
    return out


def accounting(done, codes: set[str]) -> tuple[str, list]:
    """Every code of a harmonised table, accounted for: how many kept, and one event
    (codes concerned, French sentence) per merger, split, code change or unknown code."""
    merged = {c for olds in done.merges["old_codes"] for c in olds} if not done.merges.empty else set()
    moved = merged | set(done.splits["old_code"]) | set(done.code_changes["old_code"]) | set(done.unknown_codes)
    summary = f"Passage en géographie {done.to_year} : {len(codes - moved)} code(s) repris tels quels"
    events = []
    for row in done.merges.itertuples():
        olds = " + ".join(f"{c} {n}" for c, n in zip(row.old_codes, row.old_names))
        text = f"fusion {olds} -> {row.new_code} {row.new_name}"
        if not row.complete:
            text += " (communes d'origine absentes du fichier : valeurs manquantes)"
        events.append((frozenset(row.old_codes) | {row.new_code}, text))
    for row in done.splits.itertuples():
        events.append((frozenset({row.old_code, *row.new_codes}),
                       f"scission de {row.old_code} {row.old_name} (valeurs non réparties, manquantes)"))
    for row in done.code_changes.itertuples():
        events.append((frozenset({row.old_code, row.new_code}),
                       f"changement de code {row.old_code} -> {row.new_code} {row.new_name}"))
    if done.unknown_codes:
        events.append((frozenset(done.unknown_codes), f"codes inconnus en géographie {done.from_year}, non utilisés : "
                       + ", ".join(done.unknown_codes)))
    return summary, events


def _newer_geography(table: pd.DataFrame, from_year: int, to_year: int) -> tuple[pd.DataFrame, list]:
    """A table published after the study's geography: communes that changed in between are left out."""
    changes = commune_changes(to_year, from_year)
    involved = set(changes["old_code"]) | set(changes["new_code"])
    left_out = sorted(c for c in table.index if c in involved)
    events = [(frozenset({code}), f"fichier en géographie {from_year}, plus récente que celle de l'étude "
               f"({to_year}) : valeurs de {code} non ventilables sur ses anciennes communes, laissées manquantes")
              for code in left_out]
    return table.drop(index=left_out), events


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
    from abs_lib.indicators import cache

    registry = registry or load_registry()
    known = set(registry.datasets)
    inputs = IndicatorInputs()
    entries = store.entries()
    target = None if fictional else geography_year
    folder = cache.cache_folder(store.root)
    done_parts: set = set()
    for entry in entries:
        if entry.dataset not in known:
            continue
        if entry.part is not None:   # one file per measure: the parts of a vintage make one table
            key = (entry.dataset, entry.vintage, entry.level)
            if key in done_parts:
                inputs.entries.append(entry)
                continue
            done_parts.add(key)
            used = [e for e in entries if (e.dataset, e.vintage, e.level) == key]
        else:
            used = [entry]
        cache_key = cache.entry_key(store.root, used, target, fictional, registry.datasets[entry.dataset])
        found = cache.read(folder, cache_key)
        if found is None:
            found = _file_inputs(store, entry, used, registry, target)
            cache.write(folder, cache_key, found)
            if found[2] != entry:  # its manifest now records its geography: the next run's key
                annotated = [found[2] if e == entry else e for e in used]
                cache_key = cache.entry_key(store.root, annotated, target, fictional, registry.datasets[entry.dataset])
                cache.write(folder, cache_key, found)
        if folder is not None:
            inputs.cache_keys.append(cache_key)
        commune_tables, level_tables, entry, notes = found
        inputs.commune_tables.update(commune_tables)
        inputs.level_tables.update(level_tables)
        inputs.entries.append(entry)
        for note in notes:
            if note not in inputs.geography_notes:
                inputs.geography_notes.append(note)
    return inputs


def _file_inputs(store: Store, entry: StoredEntry, used: list[StoredEntry], registry: Registry,
                 target: int | None) -> tuple[dict, dict, StoredEntry, list]:
    """What one stored file (or the parts of one) gives the engine: (commune tables, level
    tables, its entry — with the geography found from its codes —, geography notes)."""
    commune_tables: dict = {}
    level_tables: dict = {}
    notes: list = []
    if entry.part is not None:
        parts = store.load_parts(used)
        level_tables[(entry.dataset, entry.vintage, entry.level)] = _indexed(parts, _code_column(parts), entry.level)
        return commune_tables, level_tables, entry, notes
    frame = store.read(entry)
    if entry.dataset in _YEAR_ROW_DATASETS:
        level, per_year = caf_places_tables(frame)
        for year, part in per_year.items():
            level_tables[(entry.dataset, year, level)] = part
        return commune_tables, level_tables, entry, notes
    additive = registry.datasets[entry.dataset].additive
    code_column = _code_column(frame)
    fit = None
    for vintage, table in _by_vintage(frame, entry.vintage).items():
        label = f"{entry.dataset} ({entry.source_file})"
        if entry.level == "iris":
            if not additive:
                continue
            counts = [c for c in table.columns if column_kind(entry.dataset, c, table[c].dtype) == COUNT]
            communes = sum_iris_to_communes(table[[code_column, *counts, *_commune_columns(table)]],
                                            iris_column=code_column,
                                            allow_partial=entry.dataset in _PARTIAL_IRIS)
            if target is not None and fit is None:
                entry, fit = geography_fit(store, entry, communes.index)
            commune_tables[(entry.dataset, vintage)] = _on_geography(
                communes, fit, target, entry.dataset, label, notes)
            continue
        indexed = _indexed(table, code_column, entry.level)
        if entry.level == "commune":
            if target is not None and fit is None:
                entry, fit = geography_fit(store, entry, indexed.index)
            indexed = _on_geography(indexed, fit, target, entry.dataset, label, notes)
            if additive:
                commune_tables[(entry.dataset, vintage)] = indexed
        level_tables[(entry.dataset, vintage, entry.level)] = indexed
    return commune_tables, level_tables, entry, notes


def _commune_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in ("DEPCOM", "COM") if c in table.columns]
