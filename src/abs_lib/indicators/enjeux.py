"""Rank the "enjeux": indicators where a territory deviates most from its references in the
direction that signals need, each phrased in plain French with its figures.

Rule (deterministic; docs/indicators.md §Enjeux):
1. candidates: registry ``higher_is_need`` true/false, kind ratio or level (counts and growth
   are not compared across territories of different size), a value for the territory, and no
   reliability flag (secret, absent, partial sum, small count, complementary < 2,000 inh.);
2. primary reference = the first reference level above the territory that has a value
   (département(s), else région(s), else France métropolitaine / France); for an EPCI spanning
   several départements the gap must hold against each of them (the smallest gap is kept);
3. need gap = (value - reference) / |reference|, sign flipped when lower values signal need;
   only gaps above ``min_relative_gap`` are kept;
4. order: primary gap descending, then the gap against the région(s), then against France
   métropolitaine (or France), then indicator id.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from abs_lib.errors import IndicatorError
from abs_lib.indicators.compute import (
    ABSENT, COMPLEMENTARY, FLAG_SEPARATOR, FLAG_TEXT, MISSING_REASONS, PARTIAL, SECRET, SMALL,
)
from abs_lib.formatting import format_number
from abs_lib.indicators.geography import Geography
from abs_lib.indicators.registry import Indicator, Registry, load_registry

UNRELIABLE = tuple(dict.fromkeys(
    tuple(FLAG_TEXT[b] for b in (SECRET, ABSENT, PARTIAL, SMALL, COMPLEMENTARY)) + MISSING_REASONS))
PLACE = {
    "departement": ("dans le département", "dans les départements"),
    "region": ("dans la région", "dans les régions"),
    "metropole": ("en France métropolitaine", "en France métropolitaine"),
    "france": ("en France", "en France"),
}


def _place(level: str, code: str, names) -> str:
    base = PLACE[level][0]
    if level in ("metropole", "france"):
        return base
    name = (names or {}).get((level, code))
    return f"{base} ({name})" if name else f"{base} ({code})"


def _unreliable(flags: str) -> str | None:
    for part in str(flags).split(FLAG_SEPARATOR):
        for bad in UNRELIABLE:
            if part.startswith(bad):
                return part
    return None


def _need_gap(value: float, ref: float, higher_is_need: bool) -> float:
    if ref is None or math.isnan(ref) or ref == 0:
        return math.nan
    gap = (value - ref) / abs(ref)
    return gap if higher_is_need else -gap


def phrase(ind: Indicator, registry: Registry, value: float, numerator: float, denominator: float,
           refs: list[tuple[str, str, float]], names=None) -> str:
    """French sentence: figures of the territory, then 'contre <ref> <place>…'."""
    unit = registry.units[ind.unit]
    fmt = lambda x: format_number(x, unit.suffix.strip() or None, decimals=unit.decimals)  # noqa: E731
    ref_texts = [f"{fmt(v)} {_place(lv, code, names)}" for lv, code, v in refs]
    refs_text = ref_texts[0] if len(ref_texts) == 1 else ", ".join(ref_texts[:-1]) + " et " + ref_texts[-1]
    fields = {"num": format_number(numerator, decimals=0), "den": format_number(denominator, decimals=0),
              "value": format_number(value, decimals=unit.decimals), "refs": refs_text}
    if ind.phrase:
        return ind.phrase.format(**fields)
    if ind.kind == "ratio":
        return (f"{fields['num']} {ind.num_label} sur {fields['den']} {ind.den_label} : "
                f"{fmt(value)}, contre {refs_text}")
    return f"{ind.label} : {fmt(value)}, contre {refs_text}"


def rank_enjeux(
    table: pd.DataFrame,
    membership: pd.DataFrame | Geography,
    level: str,
    code: str,
    *,
    vintage: int | None = None,
    registry: Registry | None = None,
    names: dict | None = None,
    top: int | None = None,
    min_relative_gap: float = 0.0,
) -> pd.DataFrame:
    """Indicators where ``(level, code)`` deviates most, in the need direction, from its references.

    Parameters
    ----------
    table
        Output of ``compute_indicators`` covering the territory and its references.
    membership
        Membership table (or a ``Geography``) giving the territory's départements/régions.
    level, code
        The territory, e.g. ``("epci", "200000925")``.
    vintage
        Vintage to rank (default: the latest one with rows for the territory).
    names
        Optional ``{(level, code): name}`` used in the sentences ("dans le département (Côte-d'Or)").
    top
        Keep only the first ``top`` enjeux.
    min_relative_gap
        Minimum relative gap to the primary reference (0.05 = 5 %).

    Returns
    -------
    DataFrame ordered by rank: rank, indicator, label, theme, value, unit, reference_level,
    reference_codes, reference_value, relative_gap, gap_second, gap_third, text. ``attrs["écartés"]``
    maps indicators left out to the reason (flag, missing reference…).
    """
    registry = registry or load_registry()
    geo = membership if isinstance(membership, Geography) else Geography.from_membership(membership)
    code = str(code)
    refs = geo.references(level, code)
    ref_levels = list(dict.fromkeys(lv for lv, _ in refs))

    def rows_of(frame, lv, c):
        # comparing a categorical column with a scalar is vectorised and cheap
        return (frame["level"] == lv).to_numpy() & (frame["territory"] == c).to_numpy()

    own = table[rows_of(table, level, code)]
    if vintage is None and len(own):
        vintage = int(own["vintage"].max())
    own = own[own["vintage"] == vintage]
    if own.empty:
        raise IndicatorError(
            f"Aucune ligne pour le territoire {code} (niveau {level})"
            + (f" en {vintage}" if vintage is not None else "")
            + " dans la table des indicateurs : calculez-la avec ce niveau et ce millésime."
        )
    mask = np.zeros(len(table), bool)
    for lv, c in refs:
        mask |= rows_of(table, lv, c)
    ref_rows = table[mask & (table["vintage"] == vintage).to_numpy()]
    ref_value = {(str(r.level), str(r.territory), str(r.indicator)): r.value
                 for r in ref_rows.itertuples(index=False)}

    rows, skipped = [], {}
    for r in own.itertuples(index=False):
        iid = str(r.indicator)
        if iid not in registry:
            continue
        ind = registry[iid]
        if ind.higher_is_need is None or ind.kind not in ("ratio", "level"):
            continue
        if r.value is None or math.isnan(r.value):
            skipped[iid] = "valeur manquante" + (f" ({r.flags})" if str(r.flags) else "")
            continue
        bad = _unreliable(r.flags)
        if bad:
            skipped[iid] = bad
            continue
        gaps_by_level, refs_by_level = {}, {}
        for rl in ref_levels:
            vals = [(rl, c, ref_value.get((rl, c, iid), math.nan)) for lv, c in refs if lv == rl]
            gaps = [_need_gap(r.value, v, ind.higher_is_need) for _, _, v in vals]
            if vals and not any(math.isnan(g) for g in gaps):
                k = int(np.argmin(gaps))
                gaps_by_level[rl] = (gaps[k], vals[k][2])
                refs_by_level[rl] = vals
        avail = [rl for rl in ref_levels if rl in gaps_by_level]
        if not avail:
            skipped[iid] = "aucune valeur de référence"
            continue
        primary = avail[0]
        gap, binding = gaps_by_level[primary]
        if not gap > min_relative_gap:
            continue
        others = [gaps_by_level[rl][0] for rl in avail[1:]] + [math.nan, math.nan]
        shown = list(refs_by_level[primary])
        last = avail[-1]
        if last != primary and last in ("metropole", "france"):
            shown += refs_by_level[last]
        rows.append({
            "indicator": iid, "label": ind.label, "theme": ind.theme, "value": r.value,
            "unit": ind.unit, "reference_level": primary,
            "reference_codes": ", ".join(c for _, c, _ in refs_by_level[primary]),
            "reference_value": binding, "relative_gap": gap,
            "gap_second": others[0], "gap_third": others[1],
            "text": phrase(ind, registry, r.value, r.numerator, r.denominator, shown, names),
        })
    cols = ["rank", "indicator", "label", "theme", "value", "unit", "reference_level",
            "reference_codes", "reference_value", "relative_gap", "gap_second", "gap_third", "text"]
    if not rows:
        out = pd.DataFrame(columns=cols)
    else:
        out = pd.DataFrame(rows)
        sort_keys = pd.DataFrame({
            "a": -out["relative_gap"], "b": -out["gap_second"].fillna(-np.inf),
            "c": -out["gap_third"].fillna(-np.inf), "d": out["indicator"]})
        order = sort_keys.sort_values(["a", "b", "c", "d"], kind="mergesort").index
        out = out.loc[order].reset_index(drop=True)
        out.insert(0, "rank", np.arange(1, len(out) + 1))
        if top is not None:
            out = out.head(int(top))
    out.attrs["écartés"] = skipped
    out.attrs["vintage"] = vintage
    return out[cols]
