"""Open the portrait of one territory: its indicators, its communes' and its references'.

This is what a study notebook calls first. It resolves the territory (codes
that papermill turned into numbers are repaired), finds the data (the analyst's
store, or the fictional demo), and either computes the indicator table or reads
the one a batch precomputed for every territory (``shared_tables``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from abs_lib.config import data_dir as resolve_data_dir
from abs_lib.demo import demo_geography, demo_store, is_demo_code
from abs_lib.errors import AbsError
from abs_lib.indicators import Geography as MembershipIndex
from abs_lib.indicators import LEVELS, compute_indicators, load_registry, territory_view
from abs_lib.indicators.compute import OUT_OF_FILE
from abs_lib.indicators.loading import GeographyNote, load_inputs
from abs_lib.indicators.views import name_absent_members
from abs_lib.indicators.registry import Registry
from abs_lib.sources.store import Store, StoredEntry
from abs_lib.territories import Territory, find_territory, load_geography, normalize_code

LEVEL_NAMES = {"metropole": "France métropolitaine", "france": "France"}


@dataclass
class Portrait:
    """Everything a study shows about one territory, already computed."""

    territory: Territory
    table: pd.DataFrame              # tidy rows: territory, its communes, its references (column role)
    membership: pd.DataFrame         # commune -> epci, departement, region (study geography)
    registry: Registry
    entries: list[StoredEntry]       # the stored tables the indicators were computed from
    data_dir: Path
    notes: list = field(default_factory=list)   # GeographyNote: how each file met the study's geography
    contours: pd.DataFrame | None = None
    contours_entry: StoredEntry | None = None  # the stored table ``contours`` was read from
    cache: dict = field(default_factory=dict, repr=False)  # derived tables, computed once

    @property
    def fictional(self) -> bool:
        """A fictional territory (the demo), or any table it was computed from marked fictional
        (e.g. the benchmarks' synthetic France store): the report then says its data are invented."""
        return bool(self.territory.fictional) or any(getattr(e, "fictional", False) for e in self.entries)

    @property
    def level(self) -> str:
        return self.territory.level

    @property
    def code(self) -> str:
        return self.territory.code

    @property
    def references(self) -> list[tuple[str, str]]:
        """(level, code) of the comparison territories, nearest first."""
        if "references" not in self.cache:
            self.cache["references"] = MembershipIndex.from_membership(self.membership).references(self.level, self.code)
        return list(self.cache["references"])

    def name_of(self, level: str, code: str, *, with_code: bool = True) -> str:
        """Display name of a territory of the study ("Côte-d'Or (21)", "France métropolitaine").

        The demo's France is the fictional département itself, and says so.
        """
        if level in LEVEL_NAMES:
            return LEVEL_NAMES[level] + (" (fictive)" if self.fictional else "")
        names = self.cache.get(("names", level))
        if names is None:
            pairs = self.membership[[level, f"{level}_name"]].drop_duplicates(level)
            names = self.cache[("names", level)] = dict(zip(pairs[level].astype(str).tolist(),
                                                            pairs[f"{level}_name"].astype(str).tolist()))
        name = names.get(str(code), str(code))
        return f"{name} ({code})" if with_code and level == "departement" else name


def _resolve(territory, level: str | None, year: int | None, demo: bool | None) -> tuple[Territory, bool]:
    code = normalize_code(territory, level) if not isinstance(territory, str) or territory.strip().isdigit() else territory
    demo = is_demo_code(code) if demo is None else demo
    geography = demo_geography() if demo else load_geography(year)
    return find_territory(code, level=level, geography=geography), demo


def _read_shared(path: str | Path, keep: set[str]) -> pd.DataFrame:
    """Rows of a batch's precomputed table that concern this study (filtered while reading)."""
    table = pd.read_parquet(path, filters=[("territory", "in", sorted(keep))])
    for column in ("territory", "level", "indicator", "label", "theme", "unit", "source", "flags"):
        table[column] = table[column].astype("category")
    return table


def open_portrait(
    territory,
    *,
    year: int | None = None,
    data_dir: str | Path | None = None,
    level: str | None = None,
    demo: bool | None = None,
    shared_tables: str | Path | None = None,
) -> Portrait:
    """The portrait of ``territory`` (code or name) on the geography of ``year``.

    Parameters
    ----------
    territory : code (str or a number papermill made of it) or name.
    year : geography year (default: the latest; the demo has its own).
    data_dir : data directory (default: ``ABS_DATA_DIR`` or ./data; the demo's own store).
    level : level hint for ambiguous codes ("epci" for a demo SIREN passed as a number).
    demo : force or forbid the fictional demo (default: codes starting with "00").
    shared_tables : parquet file of indicators precomputed by a batch for every territory.
    """
    place, demo = _resolve(territory, level, year, demo)
    geography = place.geography
    membership = geography.membership()
    if demo and data_dir is None:
        store = demo_store()
    else:
        store = Store(resolve_data_dir(data_dir))
    registry = load_registry()
    notes: list[str] = []
    index = MembershipIndex.from_membership(membership)
    keep = {place.code, *map(str, index.members(place.level, place.code))} | {c for _, c in index.references(place.level, place.code)}
    if shared_tables:
        table = _read_shared(shared_tables, keep)
        sidecar = Path(shared_tables).with_suffix(".notes.json")
        facts = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
        used = set(facts.get("datasets", registry.datasets))
        entries = [e for e in store.entries() if e.dataset in used]
        notes = [GeographyNote.from_dict(n) for n in facts.get("notes", []) if isinstance(n, dict)]
    else:
        inputs = load_inputs(store, geography_year=None if demo else geography.year, registry=registry, fictional=demo)
        if not inputs.entries:
            raise AbsError(
                f"Aucune donnée utilisable dans {store.root}. Importez les fichiers officiels "
                "(`abs data import FICHIER…`) ou téléchargez-les (`abs data fetch JEU`)."
            )
        supra = {(place.level, place.code), *index.references(place.level, place.code)}
        table = _computed_table(store, membership, inputs, registry, place, supra)
        entries, notes = inputs.entries, inputs.geography_notes
    view = name_absent_members(territory_view(table, index, place.level, place.code), OUT_OF_FILE)
    _require_population(view, place, store)
    contours_entry = _contours_entry(store)
    contours = None if contours_entry is None else store.read(contours_entry)
    portrait = Portrait(territory=place, table=view, membership=membership, registry=registry,
                        entries=list(entries), data_dir=Path(store.root), notes=notes, contours=contours,
                        contours_entry=contours_entry)
    portrait.cache["references"] = index.references(place.level, place.code)  # indexing France again: 0.07 s
    return portrait


def _require_population(view: pd.DataFrame, place: Territory, store: Store) -> None:
    """A social diagnosis without the territory's population is meaningless: say what is missing."""
    own = view[(view["indicator"].astype(str) == "population").to_numpy() & (view["level"].astype(str) == place.level).to_numpy()
               & (view["territory"].astype(str) == place.code).to_numpy()]
    if own["value"].notna().any():
        return
    communes = view[(view["indicator"].astype(str) == "population").to_numpy() & (view["level"].astype(str) == "commune").to_numpy()]
    known = set(communes.loc[communes["value"].notna(), "territory"].astype(str))
    lacking = [c for c in place.communes if c not in known]
    which = ""
    if known and lacking:  # some communes have data: name those that do not (often another département)
        shown = ", ".join(lacking[:6]) + (" …" if len(lacking) > 6 else "")
        which = f" Il manque {len(lacking)} commune(s) sur {len(place.communes)} : {shown}."
        merged = _changed_since(lacking, place.year)
        if merged:
            raise AbsError(
                f"Aucune population connue pour {place.label} dans la géographie {place.year} : "
                + " ; ".join(merged) + ". Les fichiers importés sont publiés dans une géographie plus "
                "récente : la valeur d'une commune fusionnée ne se répartit pas entre ses anciennes communes. "
                "Étudiez le territoire dans la géographie la plus récente (sans --year), ou importez des "
                f"fichiers publiés dans la géographie {place.year}."
            )
    raise AbsError(
        f"Aucune population connue pour {place.label} dans les données de {store.root}.{which} "
        "Importez un fichier du recensement qui couvre tout le territoire (base communale « évolution et "
        "structure de la population », Dossier complet ou Comparateur de territoires), par exemple "
        "`abs data fetch rp-population-commune` ou `abs data import FICHIER`."
    )


def _changed_since(codes, year: int) -> list[str]:
    """French account of the communes among ``codes`` that changed after geography ``year``."""
    from abs_lib.territories import commune_changes

    try:
        changes = commune_changes(year)
    except AbsError:
        return []
    found = changes[changes["old_code"].isin(set(codes))]
    return [f"{r.old_code} {r.old_name} a fusionné en {r.year} dans {r.new_code} {r.new_name}"
            if r.kind == "fusion" else f"{r.old_code} {r.old_name} : {r.kind} en {r.year}"
            for r in found.drop_duplicates("old_code").itertuples()]


def compute_table(membership: pd.DataFrame, inputs, registry: Registry, *, communes,
                  territories: set[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Indicators of every EPCI, département, région and France, and of ``communes`` only.

    Supra-communal sums need the whole membership (a France total over part of
    France would be wrong), but a commune's value depends on that commune alone:
    computing the ~35,000 communes of France for one study would multiply the
    table by thirty for nothing. ``territories``: the (level, code) pairs above the
    commune to keep (one study needs its territory and its references, not the
    1,250 EPCI of France); default: all of them (a batch).
    """
    supra = [lv for lv in LEVELS if lv != "commune"]
    grouped = membership if territories is None else _grouping_only(membership, territories)
    wide = compute_indicators(grouped, inputs.commune_tables, inputs.level_tables, registry=registry, levels=supra)
    if territories is not None:
        wide = _only(wide, territories)
    local = membership[membership["commune"].isin(set(map(str, communes)))]
    if local.empty:
        return wide
    own = compute_indicators(local, inputs.commune_tables, inputs.level_tables, registry=registry, levels=["commune"])
    return _concat(wide, own)


def _computed_table(store: Store, membership: pd.DataFrame, inputs, registry: Registry, place: Territory,
                    supra: set[tuple[str, str]]) -> pd.DataFrame:
    """``compute_table`` for one study, kept in the input cache beside the files it was computed from.

    The key holds the key of every input file (its state, the geography, the code's checksum),
    the territory, its communes and references, and the registry: any change computes it again.
    """
    from abs_lib.indicators import cache

    parts = (place.level, place.code, place.year, sorted(place.communes), sorted(supra), registry.path,
             len(inputs.entries))
    return cache.cached_table(store.root, inputs.cache_keys, parts,
                              lambda: compute_table(membership, inputs, registry, communes=place.communes,
                                                    territories=supra))


_CATEGORIES = ("territory", "level", "indicator", "label", "theme", "unit", "source", "flags")


def _grouping_only(membership: pd.DataFrame, territories: set[tuple[str, str]]) -> pd.DataFrame:
    """The membership where only the EPCI, départements and régions of ``territories`` group
    communes: every commune stays (France's sums need them all), the other groups are not
    formed, so their rows are never computed. A territory's value depends on its own
    communes only: the kept ones are unchanged."""
    out = membership.copy()
    for level in ("epci", "departement", "region"):
        wanted = {c for lv, c in territories if lv == level}
        out[level] = out[level].where(out[level].isin(wanted), None)
    return out


def _only(table: pd.DataFrame, territories: set[tuple[str, str]]) -> pd.DataFrame:
    """Rows of the (level, code) pairs in ``territories`` (categorical codes compared, no text)."""
    keep = np.zeros(len(table), dtype=bool)
    levels, codes = table["level"], table["territory"]
    for level in {lv for lv, _ in territories}:
        wanted = [c for lv, c in territories if lv == level]
        keep |= (levels == level).to_numpy() & codes.isin(wanted).to_numpy()
    out = table[keep].reset_index(drop=True)
    for column in _CATEGORIES:
        if column in out.columns and isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].cat.remove_unused_categories()
    return out


def _concat(*frames: pd.DataFrame) -> pd.DataFrame:
    """Tables of ``compute_indicators`` one after the other, text columns kept categorical.

    ``pd.concat`` turns categoricals with different categories into text (seconds on
    two million rows); their categories are united first.
    """
    from pandas.api.types import union_categoricals

    columns = {}
    for column in frames[0].columns:
        parts = [f[column] for f in frames]
        if column in _CATEGORIES and all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            columns[column] = union_categoricals([p.array for p in parts])
        else:
            columns[column] = pd.concat(parts, ignore_index=True)
    table = pd.DataFrame(columns)
    for column in _CATEGORIES:
        if column in table.columns and not isinstance(table[column].dtype, pd.CategoricalDtype):
            table[column] = table[column].astype("category")
    return table


def _contours_entry(store: Store) -> StoredEntry | None:
    """The stored commune contours (latest vintage), or None when the analyst has none."""
    found = [e for e in store.entries() if e.dataset == "contours-communes" and e.level == "commune" and e.part is None]
    return max(found, key=lambda e: e.vintage) if found else None
