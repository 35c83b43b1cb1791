"""Evolutions between two vintages on one (already harmonised) geography, with INSEE's rule.

INSEE: « le RP rénové ne permet pas de comparer des indicateurs sur une période inférieure à
5 ans, voire 6 ans pour les RP 2019 à 2023 en raison du report de l'enquête annuelle 2021 »
(Insee Résultats « Ménages et familles en 2022 », 2025; field-notes §0.1). Census-based
indicators of closer vintages are refused unless the caller insists, and then flagged.
Harmonising the geography of two vintages is the territories module's job, not this one's.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from abs_lib.errors import IndicatorError, NonComparableVintagesError

NON_COMPARABLE = "non comparable"
MISSING_SIDE = "absent d'un des deux millésimes"
DISRUPTED_VINTAGES = range(2019, 2024)   # RP2019..RP2023: 2021 survey postponed to 2022


def min_census_gap(v0: int, v1: int) -> int:
    """Minimum number of years INSEE asks between two census vintages (5, or 6 with 2019-2023)."""
    return 6 if (int(v0) in DISRUPTED_VINTAGES or int(v1) in DISRUPTED_VINTAGES) else 5


def census_comparable(v0: int, v1: int) -> bool:
    """True when two census vintages are far enough apart to be compared as a trend."""
    return abs(int(v1) - int(v0)) >= min_census_gap(v0, v1)


def check_comparable(v0: int, v1: int, *, allow_non_comparable: bool = False) -> bool:
    """Raise NonComparableVintagesError (French) unless comparable or explicitly allowed.

    Returns True when the vintages are comparable, False when allowed but not comparable.
    """
    if census_comparable(v0, v1):
        return True
    if allow_non_comparable:
        return False
    gap = min_census_gap(v0, v1)
    raise NonComparableVintagesError(
        f"Les recensements {min(v0, v1)} et {max(v0, v1)} ne sont distants que de "
        f"{abs(int(v1) - int(v0))} an(s) : l'INSEE déconseille de comparer des millésimes distants "
        f"de moins de {gap} ans (ils partagent des enquêtes annuelles ; {gap} ans quand un millésime "
        "est compris entre 2019 et 2023, l'enquête 2021 ayant été reportée). Comparez des millésimes "
        f"plus éloignés (par exemple {max(v0, v1) - gap} et {max(v0, v1)}), présentez les deux niveaux "
        "côte à côte sans parler d'évolution, ou passez allow_non_comparable=True pour obtenir des "
        "lignes marquées « non comparable »."
    )


def annual_rate(v0, v1, years: float):
    """Annual average rate of change in %: ((v1 / v0) ** (1 / years) - 1) × 100 (NaN if v0 <= 0)."""
    v0 = np.asarray(v0, dtype=np.float64)
    v1 = np.asarray(v1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = v1 / v0
        ok = (v0 > 0) & (v1 >= 0)
        return np.where(ok, (np.power(np.where(ok, ratio, 1.0), 1.0 / years) - 1.0) * 100.0, np.nan)


def compute_evolutions(
    table: pd.DataFrame,
    start: int,
    end: int,
    *,
    registry=None,
    indicators: Iterable[str] | None = None,
    allow_non_comparable: bool = False,
) -> pd.DataFrame:
    """Absolute change and annual average rate between two vintages of a tidy indicator table.

    Parameters
    ----------
    table
        Output of ``compute_indicators`` holding both vintages, on ONE harmonised geography.
    start, end
        The two vintages (start < end).
    registry
        Tells which indicators rest on the census (default: packaged registry).
    indicators
        Restrict to these ids (e.g. only CAF indicators to compare 2019 and 2020).
    allow_non_comparable
        Compute census indicators of too-close vintages anyway, flagged « non comparable ».

    Returns
    -------
    DataFrame: territory, level, indicator, label, theme, unit, vintage_start, vintage_end,
    value_start, value_end, change (end - start, in the unit: points for %), annual_rate
    (% per year, ((end/start)^(1/n) - 1) × 100), flags; sorted by indicator, level, territory.
    Growth indicators are left out.
    """
    from abs_lib.indicators.compute import FLAG_TEXT
    from abs_lib.indicators.registry import load_registry

    order = list(FLAG_TEXT.values())
    registry = registry or load_registry()
    start, end = int(start), int(end)
    if start >= end:
        raise IndicatorError(f"Évolution : le millésime de départ ({start}) doit précéder celui d'arrivée ({end}).")
    cats = {k: table[k].astype("category") for k in ("indicator", "level", "territory")}
    ind_cats = [str(c) for c in cats["indicator"].cat.categories]
    ic = cats["indicator"].cat.codes.to_numpy().astype(np.int64)
    present = np.bincount(ic[ic >= 0], minlength=len(ind_cats)) > 0
    ids = [i for i, p in zip(ind_cats, present) if p]
    if indicators is not None:
        wanted = set(indicators)
        ids = [i for i in ids if i in wanted]
    ids = [i for i in ids if registry[i].kind != "growth"]
    census_ids = {i for i in ids if registry[i].is_census}
    comparable = True
    if census_ids:
        comparable = check_comparable(start, end, allow_non_comparable=allow_non_comparable)
    # Vectorised alignment on integer codes (a merge on text keys is ~10× slower at France scale).
    nl, nt = len(cats["level"].cat.categories), len(cats["territory"].cat.categories)
    key = (ic * nl + cats["level"].cat.codes.to_numpy()) * nt + cats["territory"].cat.codes.to_numpy()
    keep_ind = np.isin(np.array(ind_cats, dtype=object), ids)
    vint = table["vintage"].to_numpy()
    sel_a = keep_ind[ic] & (vint == start)
    sel_b = keep_ind[ic] & (vint == end)
    for chosen, vintage in ((sel_a, start), (sel_b, end)):
        if ids and not chosen.any():
            present_vintages = ", ".join(str(int(v)) for v in sorted(pd.unique(table["vintage"].dropna())))
            raise IndicatorError(f"Évolution : aucune ligne au millésime {vintage} ; millésimes présents : "
                                 f"{present_vintages or 'aucun'}.")
    ka, kb = key[sel_a], key[sel_b]
    keys, ia, ib = _align(ka, kb, len(ind_cats) * nl * nt)   # keys sorted: indicator, level, territory
    values = table["value"].to_numpy(dtype=np.float64)
    va = np.where(ia >= 0, values[sel_a][ia], np.nan)
    vb = np.where(ib >= 0, values[sel_b][ib], np.nan)
    flags = table["flags"].astype("category")
    flag_texts = [str(c) for c in flags.cat.categories] + [MISSING_SIDE]
    fcodes = flags.cat.codes.to_numpy().astype(np.int64)
    missing_code = len(flag_texts) - 1
    fa = np.where(ia >= 0, fcodes[sel_a][ia], missing_code)
    fb = np.where(ib >= 0, fcodes[sel_b][ib], missing_code)
    out_ic = keys // (nl * nt)
    census = np.array([i in census_ids for i in ind_cats], dtype=bool)
    nc = census[out_ic] & (not comparable)
    combo = (fa * len(flag_texts) + fb) * 2 + nc
    used = np.bincount(combo, minlength=1) > 0               # small dense range: no hashing
    uniq = np.flatnonzero(used)
    inverse = np.cumsum(used)[combo] - 1
    texts = []
    for c in uniq:
        a, rest = divmod(int(c), 2 * len(flag_texts))
        b, flagged = divmod(rest, 2)
        parts = sorted({p for p in flag_texts[a].split("; ") + flag_texts[b].split("; ") if p},
                       key=lambda p: (order.index(p) if p in order else len(order), p))
        if flagged:
            parts.append(NON_COMPARABLE)
        texts.append("; ".join(dict.fromkeys(parts)))

    def per_indicator(attr):
        names = [getattr(registry[i], attr) if i in registry else "" for i in ind_cats]
        uniq_names = list(dict.fromkeys(names))
        lookup = np.array([uniq_names.index(n) for n in names], dtype=np.int64)
        return pd.Categorical.from_codes(lookup[out_ic], categories=uniq_names)

    out = pd.DataFrame({
        "territory": pd.Categorical.from_codes(keys % nt, categories=cats["territory"].cat.categories),
        "level": pd.Categorical.from_codes((keys // nt) % nl, categories=cats["level"].cat.categories),
        "indicator": pd.Categorical.from_codes(out_ic, categories=cats["indicator"].cat.categories),
        "label": per_indicator("label"), "theme": per_indicator("theme"), "unit": per_indicator("unit"),
        "vintage_start": start, "vintage_end": end, "value_start": va, "value_end": vb,
    })
    out["change"] = vb - va
    out["annual_rate"] = annual_rate(va, vb, end - start)
    # two combinations can read the same ("secret" at start or at end): categories must be unique
    categories = list(dict.fromkeys(texts))
    remap = np.array([categories.index(t) for t in texts], dtype=np.int64)
    out["flags"] = pd.Categorical.from_codes(remap[inverse.reshape(-1)], categories=categories)
    return out


def _align(ka: np.ndarray, kb: np.ndarray, size: int):
    """Sorted union of two unique integer keys and the position of each in ``ka`` / ``kb``
    (-1 when absent), via dense lookup arrays (keys are bounded by ``size``)."""
    if size > 50_000_000:                                    # pragma: no cover - huge tables
        keys = np.union1d(ka, kb)
        return keys, pd.Index(ka).get_indexer(keys), pd.Index(kb).get_indexer(keys)
    pos_a = np.full(size, -1, np.int32)
    pos_b = np.full(size, -1, np.int32)
    pos_a[ka] = np.arange(len(ka), dtype=np.int32)
    pos_b[kb] = np.arange(len(kb), dtype=np.int32)
    if (pos_a >= 0).sum() != len(ka) or (pos_b >= 0).sum() != len(kb):
        raise IndicatorError(
            "Évolution : la table contient plusieurs lignes pour un même territoire, indicateur et "
            "millésime (tables concaténées ?) ; dédoublonnez-la avant de calculer les évolutions."
        )
    keys = np.flatnonzero((pos_a >= 0) | (pos_b >= 0))
    return keys, pos_a[keys].astype(np.int64), pos_b[keys].astype(np.int64)
