"""Compute every registry indicator for every territory, vectorised, into one tidy table.

Rules (docs/indicators.md): additive counts are summed over member communes first and the
ratio is taken last (sum(num) / sum(den), never a mean of ratios); non-additive values
(FiLoSoFi medians, rates…) are read at the level asked, never rebuilt from communes; a table
published at a level (e.g. CAF places per EPCI) wins over the sum of communes; a missing input
gives a missing output with its reason, never 0.

Inputs are plain pandas (see ``compute_indicators``); the store and the territories module are
wired by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from abs_lib.errors import IndicatorError
from abs_lib.indicators.evolution import census_comparable
from abs_lib.indicators.geography import LEVELS, Geography
from abs_lib.indicators.registry import Indicator, Registry, Term, load_registry
from abs_lib.sources.columns import COUNT, column_kind

PARTIAL_COLUMN = "_partial"
#: Bool column of a commune table: rows that are communes merged from several of the file's.
MERGED_COLUMN = "_merged"
#: Bool column: merged communes some of whose former communes are missing from the file.
INCOMPLETE_COLUMN = "_merged_incomplete"

# Per-cell flag bits (combined with OR when summing communes).
SECRET, ABSENT, PARTIAL, SMALL, COMPLEMENTARY, ZERO_DEN, MERGED = 1, 2, 4, 8, 16, 32, 64
# One vocabulary for missing values (tables, charts, CSV): see docs/indicators.md.
NOT_IMPORTED = "non importé"
OUT_OF_FILE = "hors champ du fichier"
SECRET_TEXT = "secret statistique"
NOT_PUBLISHED = "non publié à ce niveau"
NOT_COMPARABLE = "non comparable"
NO_VARIABLE = "variable absente du fichier importé"
FLAG_TEXT = {
    SECRET: SECRET_TEXT,
    ABSENT: OUT_OF_FILE,
    PARTIAL: "somme partielle",
    SMALL: "petit effectif",
    COMPLEMENTARY: "exploitation complémentaire < 2 000 hab.",
    ZERO_DEN: "dénominateur nul",
    MERGED: NOT_PUBLISHED + " (commune fusionnée)",
}
LEVEL_WORDS = {"commune": "commune", "epci": "EPCI", "departement": "département", "region": "région",
               "metropole": "France métropolitaine", "france": "France"}
#: Reasons that say why a value is missing (the others are cautions on a value).
MISSING_REASONS = (NOT_IMPORTED, OUT_OF_FILE, SECRET_TEXT, NOT_PUBLISHED, NOT_COMPARABLE, NO_VARIABLE)
FLAG_SEPARATOR = "; "
COLUMNS = ["territory", "level", "indicator", "label", "theme", "vintage", "value", "numerator",
           "denominator", "unit", "source", "flags"]

CommuneTables = Mapping[tuple[str, int], pd.DataFrame]
LevelTables = Mapping[tuple[str, int, str], pd.DataFrame]


@dataclass
class _Cell:
    """A term evaluated at one level: values and flag bits per territory, and where it came from."""

    values: np.ndarray
    status: np.ndarray
    source: str


def _as_codes_index(frame: pd.DataFrame, what: str) -> pd.Index:
    index = frame.index
    if pd.api.types.is_numeric_dtype(index.dtype):
        raise IndicatorError(
            f"{what} : l'index est numérique. Les codes INSEE doivent être du texte (zéros initiaux, "
            "2A/2B) : relisez le fichier avec dtype=str et mettez le code en index."
        )
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise IndicatorError(f"{what} : le code {dup} apparaît plusieurs fois dans l'index.")
    return pd.Index(index.astype(object), dtype=object)


def _numeric(frame: pd.DataFrame, columns: list[str], what: str) -> np.ndarray:
    try:
        return frame[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        bad = [c for c in columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
        raise IndicatorError(
            f"{what} : colonne(s) non numérique(s) {', '.join(bad)}. Les marques de secret "
            "(« s », « nd »…) doivent être converties en valeurs manquantes par le lecteur."
        ) from None


class _Engine:
    """Caches aligned inputs for one run; every method works on whole levels at once."""

    def __init__(self, registry: Registry, geo: Geography, commune_tables: CommuneTables,
                 level_tables: LevelTables, vintage_map, allow_partial: bool,
                 indicators: tuple[Indicator, ...]):
        self.registry, self.geo = registry, geo
        self.commune_tables = {(str(d), int(v)): f for (d, v), f in commune_tables.items()}
        self.level_tables = {(str(d), int(v), str(lv)): f for (d, v, lv), f in level_tables.items()}
        for (_, _, lv) in self.level_tables:
            if lv not in LEVELS:
                raise IndicatorError(f"Table par niveau : niveau inconnu « {lv} » ({', '.join(LEVELS)}).")
        self.vintage_map = {str(d): {int(a): int(b) for a, b in m.items()} for d, m in (vintage_map or {}).items()}
        self.allow_partial = allow_partial
        wanted: dict[str, set[str]] = {}
        for term in [t for ind in indicators for t in ind.terms] + [registry.population]:
            for alt in term.alternatives:
                for ds in alt.datasets:
                    wanted.setdefault(ds, set()).update(alt.needed)
        self.wanted = wanted
        self._commune_cache: dict = {}
        self._level_cache: dict = {}
        self._term_cache: dict = {}

    # ---------------------------------------------------------------- inputs

    def _commune_matrix(self, ds: str, dv: int):
        """Values and flags of the wanted columns of one commune table, aligned on membership."""
        key = (ds, dv)
        if key not in self._commune_cache:
            frame = self.commune_tables[key]
            what = f"Table communale {ds} {dv}"
            index = _as_codes_index(frame, what)
            cols = sorted(c for c in self.wanted.get(ds, ()) if c in frame.columns)
            pos = index.get_indexer(self.geo.communes)
            absent = pos < 0
            raw = _numeric(frame, cols, what)
            values = raw[np.where(absent, 0, pos)] if len(raw) else np.full((len(pos), len(cols)), np.nan)
            values[absent] = np.nan
            status = np.where(np.isnan(values), SECRET, 0).astype(np.uint8)
            status[absent] = ABSENT
            if PARTIAL_COLUMN in frame.columns:
                part = frame[PARTIAL_COLUMN].fillna(False).astype(bool).to_numpy()[np.where(absent, 0, pos)]
                status[part & ~absent] |= PARTIAL
            _mark_merged(frame, ds, cols, pos, absent, values, status)
            self._commune_cache[key] = ({c: i for i, c in enumerate(cols)}, values, status, {})
        return self._commune_cache[key]

    def _aggregated(self, ds: str, dv: int, level: str):
        """All wanted columns of a commune table summed to ``level`` at once (reduceat)."""
        cols, values, status, per_level = self._commune_matrix(ds, dv)
        if level not in per_level:
            if level == "commune":
                per_level[level] = (values, status)
            else:
                groups = self.geo.levels[level]
                if groups.size == 0:
                    shape = (0, values.shape[1])
                    per_level[level] = (np.empty(shape), np.empty(shape, np.uint8))
                else:
                    v = values[groups.order]
                    s = status[groups.order]
                    st = np.bitwise_or.reduceat(s, groups.starts, axis=0)
                    if self.allow_partial:
                        present = np.add.reduceat(~np.isnan(v), groups.starts, axis=0)
                        sums = np.add.reduceat(np.nan_to_num(v), groups.starts, axis=0)
                        sums[present == 0] = np.nan
                        st = np.where((st & (SECRET | ABSENT)) & (present > 0), st | PARTIAL, st).astype(np.uint8)
                    else:
                        sums = np.add.reduceat(v, groups.starts, axis=0)   # any NaN member -> NaN
                    per_level[level] = (sums, st)
        return cols, per_level[level]

    def _level_matrix(self, ds: str, dv: int, level: str):
        """Values read at ``level`` from a published table, aligned on that level's codes."""
        key = (ds, dv, level)
        if key not in self._level_cache:
            frame = self.level_tables[key]
            what = f"Table {ds} {dv} au niveau {level}"
            codes = self.geo.levels[level].codes
            cols = sorted(c for c in self.wanted.get(ds, ()) if c in frame.columns)
            raw = _numeric(frame, cols, what)
            if level in ("metropole", "france"):
                if len(frame) != 1:
                    raise IndicatorError(f"{what} : une seule ligne attendue, {len(frame)} trouvées.")
                pos = np.zeros(len(codes), np.int64)
            else:
                pos = _as_codes_index(frame, what).get_indexer(codes)
            absent = pos < 0
            values = raw[np.where(absent, 0, pos)] if len(raw) else np.full((len(pos), len(cols)), np.nan)
            values[absent] = np.nan
            status = np.where(np.isnan(values), SECRET, 0).astype(np.uint8)
            status[absent] = ABSENT
            _mark_merged(frame, ds, cols, pos, absent, values, status)
            self._level_cache[key] = ({c: i for i, c in enumerate(cols)}, values, status)
        return self._level_cache[key]

    def dataset_vintage(self, ds: str, vintage: int) -> int:
        return self.vintage_map.get(ds, {}).get(vintage, vintage)

    def term(self, term: Term, vintage: int, level: str, *, read_only: bool,
             exact: bool = False) -> _Cell | None:
        """First alternative whose dataset is given with all its variables; None if none is.

        Published tables at ``level`` win; otherwise commune tables are summed (never for
        ``read_only`` terms, i.e. non-additive values). ``exact`` ignores vintage_map.
        """
        key = (term, vintage, level, read_only, exact)
        if key in self._term_cache:
            return self._term_cache[key]
        cell = None
        for alt in term.alternatives:
            for ds in alt.datasets:
                dv = vintage if exact else self.dataset_vintage(ds, vintage)
                found = None
                if (ds, dv, level) in self.level_tables:
                    cols, values, status = self._level_matrix(ds, dv, level)
                    if all(v in cols for v in alt.needed):
                        found = (cols, values, status)
                if found is None and not read_only and (ds, dv) in self.commune_tables:
                    cols, (values, status) = self._aggregated(ds, dv, level)
                    if all(v in cols for v in alt.needed):
                        found = (cols, values, status)
                if found is not None:
                    cols, values, status = found
                    idx = [cols[v] for v in alt.variables]
                    vals = values[:, idx[0]].copy() if len(idx) == 1 else values[:, idx].sum(axis=1)
                    if alt.minus:
                        vals = vals - values[:, [cols[v] for v in alt.minus]].sum(axis=1)
                        idx += [cols[v] for v in alt.minus]
                    st = np.bitwise_or.reduce(status[:, idx], axis=1) if len(idx) > 1 else status[:, idx[0]].copy()
                    cell = _Cell(vals, st, f"{ds} {dv}")
                    break
            if cell is not None:
                break
        self._term_cache[key] = cell
        return cell

    def missing_reason(self, term: Term, vintage: int, level: str, read_only: bool, *,
                       exact: bool = False) -> str:
        """Why a term could not be evaluated, in the study's vocabulary.

        The preferred source (first dataset listed) is imported but lacks a variable
        (« variable absente du fichier importé »); else it is imported, but not for this
        vintage or at this level (« non importé » saying which), or not at all
        (« non importé : <dataset> »). When another listed source is imported but lacks the
        variable too (a re-export without the fine age bands), the reason says so in brackets:
        the value is missing because its source is not imported, not because of that file.
        """
        lacking = None
        for alt in term.alternatives:
            for ds in alt.datasets:
                dv = vintage if exact else self.dataset_vintage(ds, vintage)
                frame = self.level_tables.get((ds, dv, level))
                if frame is None and not read_only:
                    frame = self.commune_tables.get((ds, dv))
                if frame is not None and lacking is None:
                    lacking = (ds, dv, [v for v in alt.needed if v not in frame.columns])
        ds = term.alternatives[0].datasets[0]  # the preferred source
        dv = vintage if exact else self.dataset_vintage(ds, vintage)
        if lacking is not None and lacking[0] == ds:
            return f"{NO_VARIABLE}: {', '.join(lacking[2])} ({ds} {dv})"
        years = self.imported_vintages(ds)
        if dv in years:
            reason = f"{NOT_IMPORTED} au niveau {LEVEL_WORDS.get(level, level)}: {ds} {dv}"
        elif years:
            reason = f"{NOT_IMPORTED} pour {dv}: {ds} (millésimes importés : {', '.join(map(str, years))})"
        else:
            reason = f"{NOT_IMPORTED}: {ds}"
        if lacking is not None:
            other, other_vintage, absent = lacking
            reason += f" ({', '.join(absent)} absente(s) de {other} {other_vintage})"
        return reason

    def imported_vintages(self, ds: str) -> list[int]:
        return sorted({v for (d, v) in self.commune_tables if d == ds}
                      | {v for (d, v, _) in self.level_tables if d == ds})

    def forget_vintage_terms(self) -> None:
        """Drop evaluated terms once an indicator is done (bounded memory); the commune and
        level matrices, the expensive part, stay cached for the whole run."""
        self._term_cache.clear()

    def available_vintages(self, term: Term) -> list[int]:
        out = set()
        for alt in term.alternatives:
            for ds in alt.datasets:
                out |= {v for (d, v) in self.commune_tables if d == ds}
                out |= {v for (d, v, _) in self.level_tables if d == ds}
        return sorted(out)

    # ---------------------------------------------------------------- one block

    def block(self, ind: Indicator, vintage: int, level: str):
        """Value, numerator, denominator, flag bits, absent-source text and source for one
        (indicator, vintage, level): arrays over all territories of the level."""
        n = self.geo.levels[level].size
        nan = np.full(n, np.nan)
        bits = np.zeros(n, np.uint8)
        read_only = ind.kind == "level"
        num_term, den_term = ind.numerator, ind.denominator
        min_count = self.registry.min_count

        if ind.kind == "growth":
            return self._growth_block(ind, vintage, level)

        num = self.term(num_term, vintage, level, read_only=read_only)
        den = self.term(den_term, vintage, level, read_only=False) if den_term is not None else None
        missing = []
        if num is None:
            missing.append(self.missing_reason(num_term, vintage, level, read_only))
        if den_term is not None and den is None:
            missing.append(self.missing_reason(den_term, vintage, level, False))
        if missing:
            text = FLAG_SEPARATOR.join(dict.fromkeys(missing))
            return nan, nan, nan, bits, text, self._sources(num, den)

        bits |= num.status
        if ind.kind == "level":
            value, numerator, denominator = num.values, nan, nan
        elif ind.kind == "count":
            value, numerator, denominator = num.values, num.values, nan
            if num_term.is_census:
                bits |= np.where(num.values < min_count, SMALL, 0).astype(np.uint8)
        else:
            bits |= den.status
            numerator, denominator = num.values, den.values
            scale = self.registry.units[ind.unit].scale
            with np.errstate(divide="ignore", invalid="ignore"):
                value = numerator / denominator * scale
            zero = denominator == 0
            value = np.where(zero, np.nan, value)
            bits |= np.where(zero, ZERO_DEN, 0).astype(np.uint8)
            for term, cell in ((num_term, num), (den_term, den)):
                if term.is_census:
                    bits |= np.where(cell.values < min_count, SMALL, 0).astype(np.uint8)
        bits = self._complementary(ind, vintage, level, bits)
        return value, numerator, denominator, _cautions_on_values_only(value, bits), "", self._sources(num, den)

    def _growth_block(self, ind: Indicator, vintage: int, level: str):
        n = self.geo.levels[level].size
        nan = np.full(n, np.nan)
        term = ind.numerator
        end = self.term(term, vintage, level, read_only=False, exact=True)
        start, start_vintage = None, None
        for v0 in reversed(self.available_vintages(term)):
            if v0 < vintage and (not term.is_census or census_comparable(v0, vintage)):
                start = self.term(term, v0, level, read_only=False, exact=True)
                if start is not None:
                    start_vintage = v0
                    break
        if end is None or start is None:
            if end is None:
                text = self.missing_reason(term, vintage, level, False, exact=True)
            else:
                text = (f"{NOT_COMPARABLE}: aucun millésime antérieur comparable importé "
                        f"({term.alternatives[0].datasets[0]})")
            return nan, nan, nan, np.zeros(n, np.uint8), text, self._sources(end, start)
        years = vintage - start_vintage
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = end.values / start.values
            value = np.where(ratio > 0, np.power(np.where(ratio > 0, ratio, 1.0), 1.0 / years) - 1.0, np.nan) * 100
        bits = (end.status | start.status).astype(np.uint8)
        bits |= np.where(start.values == 0, ZERO_DEN, 0).astype(np.uint8)
        if term.is_census:
            small = (end.values < self.registry.min_count) | (start.values < self.registry.min_count)
            bits |= np.where(small, SMALL, 0).astype(np.uint8)
        return value, end.values, start.values, _cautions_on_values_only(value, bits), "", self._sources(end, start)

    def _complementary(self, ind: Indicator, vintage: int, level: str, bits: np.ndarray) -> np.ndarray:
        if not ind.complementary:
            return bits
        pop = self.term(self.registry.population, vintage, level, read_only=False)
        if pop is None:
            return bits
        small = pop.values < self.registry.complementary_min_population
        return bits | np.where(small, COMPLEMENTARY, 0).astype(np.uint8)

    @staticmethod
    def _sources(*cells) -> str:
        return " + ".join(dict.fromkeys(c.source for c in cells if c is not None))


def _mark_merged(frame: pd.DataFrame, ds: str, cols: list[str], pos: np.ndarray, absent: np.ndarray,
                 values: np.ndarray, status: np.ndarray) -> None:
    """Why merged communes lack a value: a median or rate is not published for the merged
    commune (« non publié à ce niveau »); a count whose former communes are not all in the
    file is out of its scope (« hors champ du fichier »); a secret member stays secret."""
    if not len(values):
        return
    at = np.where(absent, 0, pos)
    missing = np.isnan(values) & ~absent[:, None]
    if INCOMPLETE_COLUMN in frame.columns:
        incomplete = frame[INCOMPLETE_COLUMN].fillna(False).astype(bool).to_numpy()[at]
        hit = incomplete[:, None] & missing
        status[hit] = (status[hit] & ~np.uint8(SECRET)) | ABSENT
    if MERGED_COLUMN in frame.columns:
        merged = frame[MERGED_COLUMN].fillna(False).astype(bool).to_numpy()[at]
        not_counts = np.array([column_kind(ds, c) != COUNT for c in cols], dtype=bool)
        hit = merged[:, None] & missing & not_counts[None, :]
        status[hit] = (status[hit] & ~np.uint8(SECRET | ABSENT)) | MERGED


def _cautions_on_values_only(value: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Reliability cautions (small count, complementary) only make sense on a value."""
    return np.where(np.isnan(value), bits & np.uint8(0xFF ^ (SMALL | COMPLEMENTARY)), bits).astype(np.uint8)


def _flag_strings(bits: int, text: str) -> str:
    parts = [FLAG_TEXT[b] for b in (MERGED, SECRET, ABSENT, PARTIAL, SMALL, COMPLEMENTARY, ZERO_DEN) if bits & b]
    if text:
        parts.append(text)
    return FLAG_SEPARATOR.join(parts)


def compute_indicators(
    membership: pd.DataFrame,
    commune_tables: CommuneTables | None = None,
    level_tables: LevelTables | None = None,
    *,
    vintages: Iterable[int] | None = None,
    levels: Iterable[str] = LEVELS,
    indicators: Iterable[str] | None = None,
    registry: Registry | None = None,
    vintage_map: Mapping[str, Mapping[int, int]] | None = None,
    allow_partial: bool = False,
) -> pd.DataFrame:
    """Compute registry indicators for every territory of every level, as one tidy table.

    Parameters
    ----------
    membership
        One row per commune: ``commune``, ``epci``, ``departement``, ``region`` (str codes) and
        ``metropole`` (bool; derived from the département code when absent). Already harmonised
        to the geography of the data.
    commune_tables
        ``{(dataset, vintage): DataFrame}``: additive commune counts indexed by commune code
        (str), vintage-free columns (``P_POP``, ``C_MENPSEUL``, ``A``…), NaN = secret. An
        optional bool column ``_partial`` marks communes that are themselves partial sums.
    level_tables
        ``{(dataset, vintage, level): DataFrame}`` indexed by the code of that level: values read
        as published (FiLoSoFi ``Q2``, ``TP60``…; counts published per level such as CAF places
        per EPCI). ``metropole``/``france`` tables have one row (its code is ignored).
    vintages
        Vintages to compute (default: every vintage found in the inputs).
    levels
        Levels to compute, among commune, epci, departement, region, metropole, france.
    indicators
        Registry ids to compute (default: all).
    registry
        Registry to use (default: the packaged registry.yaml).
    vintage_map
        ``{dataset: {row_vintage: dataset_vintage}}``, e.g. ``{"rp-population": {2024: 2021}}``
        to pair 2024 local places with RP2021; the ``source`` column shows the pairing.
    allow_partial
        Sum over the communes present when some are secret or absent (flag "somme partielle")
        instead of returning a missing value.

    Returns
    -------
    DataFrame with columns territory, level, indicator, label, theme, vintage, value,
    numerator, denominator, unit, source, flags (categoricals for the repeated text). Every
    (territory, indicator, vintage) appears, with value NaN and a reason in ``flags`` when it
    cannot be computed (« secret statistique », « hors champ du fichier », « non importé: <dataset> »…).
    """
    registry = registry or load_registry()
    geo = Geography.from_membership(membership)
    commune_tables = commune_tables or {}
    level_tables = level_tables or {}
    levels = tuple(levels)
    for lv in levels:
        if lv not in LEVELS:
            raise IndicatorError(f"Niveau inconnu « {lv} » ; niveaux possibles : {', '.join(LEVELS)}.")
    selected = registry.select(indicators)
    if vintages is None:
        vintages = sorted({int(v) for (_, v) in commune_tables} | {int(v) for (_, v, _) in level_tables})
    vintages = [int(v) for v in vintages]
    if not vintages:
        raise IndicatorError("Aucun millésime à calculer : fournissez des tables ou le paramètre vintages.")
    engine = _Engine(registry, geo, commune_tables, level_tables, vintage_map, allow_partial, selected)

    territory_categories = pd.Index(pd.unique(np.concatenate([geo.levels[lv].codes for lv in levels])),
                                    dtype=object)
    territory_codes = {lv: territory_categories.get_indexer(geo.levels[lv].codes).astype(np.int32)
                       for lv in levels}
    per_block = sum(geo.levels[lv].size for lv in levels)
    total = per_block * len(selected) * len(vintages)
    out = {
        "territory": np.empty(total, np.int32), "level": np.empty(total, np.int8),
        "indicator": np.empty(total, np.int16), "vintage": np.empty(total, np.int32),
        "value": np.empty(total), "numerator": np.empty(total), "denominator": np.empty(total),
        "flags": np.empty(total, np.int32), "source": np.empty(total, np.int32),
    }
    flag_ids: dict[tuple[int, str], int] = {}
    sources: dict[str, int] = {}
    pos = 0
    for i, ind in enumerate(selected):
        for vintage in vintages:
            for li, lv in enumerate(levels):
                n = geo.levels[lv].size
                if n == 0:
                    continue
                value, num, den, bits, text, source = engine.block(ind, vintage, lv)
                sl = slice(pos, pos + n)
                pos += n
                out["territory"][sl] = territory_codes[lv]
                out["level"][sl] = li
                out["indicator"][sl] = i
                out["vintage"][sl] = vintage
                out["value"][sl] = value
                out["numerator"][sl] = num
                out["denominator"][sl] = den
                out["source"][sl] = sources.setdefault(source, len(sources))
                first = bits[0]
                if n == 1 or (bits == first).all():  # one territory, or one flag for all: no np.unique
                    out["flags"][sl] = flag_ids.setdefault((int(first), text), len(flag_ids))
                else:
                    uniq, inverse = np.unique(bits, return_inverse=True)
                    ids = np.array([flag_ids.setdefault((int(b), text), len(flag_ids)) for b in uniq], np.int32)
                    out["flags"][sl] = ids[inverse.reshape(-1)]
        engine.forget_vintage_terms()
    assert pos == total
    flag_categories = [""] * len(flag_ids)
    for (b, text), k in flag_ids.items():
        flag_categories[k] = _flag_strings(b, text)

    def by_indicator(attr):
        values = [getattr(ind, attr) for ind in selected]
        uniq = list(dict.fromkeys(values))
        lookup = np.array([uniq.index(v) for v in values], dtype=np.int16)
        return pd.Categorical.from_codes(lookup[out["indicator"]], categories=uniq)

    frame = pd.DataFrame({
        "territory": pd.Categorical.from_codes(out["territory"], categories=territory_categories),
        "level": pd.Categorical.from_codes(out["level"], categories=list(levels)),
        "indicator": pd.Categorical.from_codes(out["indicator"], categories=[ind.id for ind in selected]),
        "label": by_indicator("label"),
        "theme": by_indicator("theme"),
        "vintage": out["vintage"],
        "value": out["value"],
        "numerator": out["numerator"],
        "denominator": out["denominator"],
        "unit": by_indicator("unit"),
        "source": pd.Categorical.from_codes(out["source"], categories=_unique_categories(sources)),
        "flags": pd.Categorical.from_codes(out["flags"], categories=flag_categories),
    }, copy=False)
    return frame


def _unique_categories(mapping: dict[str, int]) -> list[str]:
    out = [""] * len(mapping)
    for text, i in mapping.items():
        out[i] = text
    return out


def has_flag(table: pd.DataFrame, flag: str) -> pd.Series:
    """Rows whose ``flags`` contain ``flag`` (a prefix such as "non importé" works)."""
    flags = table["flags"].astype("category")
    hits = [c for c in flags.cat.categories if any(p.startswith(flag) for p in str(c).split(FLAG_SEPARATOR))]
    return flags.isin(hits)
