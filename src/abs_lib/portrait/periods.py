"""The two dates of an update: which year is "before", which is "after", and which
vintage each source brings to each.

Why: an update study names years (the baseline diagnosis of 2016, the update of
2022), not files. Each source contributes its own vintage nearest to that year
without exceeding it (RP 2016, FiLoSoFi 2016, CAF 2016), and the report says
which. The census has INSEE's comparison rule (5 years apart, 6 with RP 2019-2023);
other sources (FiLoSoFi, CAF, état civil) have none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from abs_lib.indicators import census_comparable
from abs_lib.indicators.views import ROLE_TERRITORY
from abs_lib.portrait.build import Portrait

_SOURCE = re.compile(r"([a-z0-9-]+) (\d{4})")


@dataclass(frozen=True)
class Periods:
    """Resolved baseline and update years, and what the reader must be told about them."""

    baseline: int
    update: int
    notes: list[str] = field(default_factory=list)


def _census_vintages(portrait: Portrait) -> list[int]:
    """Vintages at which some census indicator has a value for the territory."""
    t = portrait.table
    own = t[(t["role"] == ROLE_TERRITORY).to_numpy() & t["value"].notna().to_numpy()]
    census = [ind.id for ind in portrait.registry if ind.is_census and ind.kind != "growth"]
    own = own[own["indicator"].astype(str).isin(census).to_numpy()]
    return sorted({int(v) for v in own["vintage"]})


def _valued_vintages(portrait: Portrait) -> list[int]:
    t = portrait.table
    own = t[(t["role"] == ROLE_TERRITORY).to_numpy() & t["value"].notna().to_numpy()]
    return sorted({int(v) for v in own["vintage"]})


def resolve_periods(portrait: Portrait, baseline: int | None = None, update: int | None = None) -> Periods:
    """The update (default: the latest vintage with a value) and the baseline (default: the
    latest census vintage INSEE deems comparable with the update's census, else the oldest
    vintage with a value, said in a note)."""
    notes: list[str] = []
    valued = _valued_vintages(portrait)
    if update is None:
        update = valued[-1] if valued else int(portrait.table["vintage"].max())
    if baseline is None:
        census = _census_vintages(portrait)
        update_census = max((v for v in census if v <= update), default=None)
        comparable = [v for v in census if update_census is not None and v < update_census
                      and census_comparable(v, update_census)]
        if comparable:
            baseline = comparable[-1]
            notes.append(f"Date de référence par défaut : {baseline}, le recensement le plus récent que l'INSEE "
                         f"juge comparable avec celui de {update_census} (paramètre baseline pour en choisir une autre).")
        else:
            earlier = [v for v in valued if v < update]
            baseline = earlier[0] if earlier else update
            notes.append(f"Aucun recensement importé n'est assez ancien pour être comparé à celui de l'actualisation "
                         f"(5 ans d'écart, 6 pour les recensements 2019 à 2023) : date de référence {baseline}, "
                         "la plus ancienne disponible ; les évolutions du recensement ne sont pas calculées.")
    if baseline > update:
        raise ValueError(f"baseline {baseline} after update {update}")
    return Periods(int(baseline), int(update), notes)


_CIVIL = ("NAIS", "DECE")
_FILOSOFI = ("MED", "PIMP", "TP60", "NBMENFISC", "NBPERSMENFISC", "Q2", "D1", "D9")


def source_family(dataset: str, census: bool, variables=()) -> str:
    """The name a reader knows a source by: RP, FiLoSoFi, CAF, état civil…

    The Comparateur and the Dossier complet gather several: the variables tell which.
    """
    if census:
        return "RP"
    if any(str(v).startswith(_CIVIL) for v in variables):
        return "état civil"
    if dataset.startswith("filosofi") or any(str(v).startswith(_FILOSOFI) for v in variables):
        return "FiLoSoFi"
    if dataset.startswith("caf"):
        return "CAF"
    if dataset.startswith("local"):
        return "fichier local"
    return dataset


def vintages_used(portrait: Portrait, indicators, max_vintage: int) -> str:
    """« RP 2016, FiLoSoFi 2016, CAF 2016 »: the vintage each source brings at a date."""
    from abs_lib.portrait.tables import _cells

    cells = _cells(portrait, max_vintage)
    found: dict[str, set[int]] = {}
    for indicator in indicators:
        cell = cells.get((indicator, portrait.level, portrait.code))
        if cell is None or cell["value"] != cell["value"]:
            continue
        ind = portrait.registry[indicator]
        for dataset, year in _SOURCE.findall(str(cell["source"] or ""))[:1]:
            family = source_family(dataset, ind.is_census, ind.variables)
            found.setdefault(family, set()).add(int(year))
    return ", ".join(f"{family} {'/'.join(map(str, sorted(years)))}" for family, years in sorted(found.items()))


def period_label(source: str, vintage: int) -> str:
    """A growth rate's period from its source text (« … 2022 + … 2016 » -> « 2016-2022 »)."""
    years = sorted({int(y) for _, y in _SOURCE.findall(str(source or ""))})
    return f"{years[0]}-{years[-1]}" if len(years) > 1 else str(vintage)


def has_value(value) -> bool:
    return value is not None and not np.isnan(value)
