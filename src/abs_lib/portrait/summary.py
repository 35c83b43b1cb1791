"""The opening of a study: the key figures and a few plain French sentences written
from them.

Why: an elected official reads the first screen and stops. Every number in these
sentences is read from the portrait's own table (never typed here); a missing figure is
said missing with its reason.
"""

from __future__ import annotations

import pandas as pd

from abs_lib.formatting import format_number
from abs_lib.indicators import census_comparable
from abs_lib.portrait import tables
from abs_lib.portrait.build import Portrait
from abs_lib.portrait.periods import Periods, has_value, period_label
from abs_lib.portrait.reader import missing_words

#: The handful of figures an elected official looks for first.
KEY_FIGURES = ("population", "naissances", "enfants_0_2", "taux_couverture_accueil_jeune_enfant", "part_75_plus",
               "part_familles_monoparentales", "revenu_median", "taux_chomage_15_64", "allocataires_caf")

#: Sentences of the summary: each is the clauses of its indicators (template with {value}
#: and {year}, and what to say when the value is missing), joined by « ; ».
_SENTENCES = (
    (("part_75_plus", "les personnes de 75 ans ou plus y représentent {value} de la population en {year}",
      "la part des 75 ans ou plus"),
     ("part_familles_monoparentales", "{value} des familles sont monoparentales ({year})",
      "la part des familles monoparentales")),
    (("revenu_median", "le revenu disponible médian y est de {value} par unité de consommation ({year})",
      "le revenu disponible médian"),
     ("taux_chomage_15_64", "le taux de chômage des 15-64 ans au sens du recensement est de {value} ({year})",
      "le taux de chômage des 15-64 ans")),
)


def key_figures(portrait: Portrait) -> pd.DataFrame:
    """The key figures (value and vintage, or why the value is missing)."""
    registry = portrait.registry
    records = []
    for indicator in KEY_FIGURES:
        if indicator not in registry:
            continue
        value, vintage = tables.value(portrait, indicator)
        unit = registry.units[registry[indicator].unit]
        records.append({"Indicateur": registry[indicator].label,
                        "Valeur": format_number(value, unit.suffix.strip() or None, decimals=unit.decimals),
                        # a missing figure has no vintage (its row would show the latest one of any source)
                        "Millésime": vintage if vintage and value == value else "",
                        "Remarque": tables.reason(portrait, indicator),
                        "indicator": indicator, "value": value})
    return pd.DataFrame.from_records(records)


def _formatted(portrait: Portrait, indicator: str, value: float) -> str:
    unit = portrait.registry.units[portrait.registry[indicator].unit]
    return format_number(value, unit.suffix.strip() or None, decimals=unit.decimals)


def _reference(portrait: Portrait, indicator: str, named: set | None = None) -> str:
    """« , contre 8,1 % dans le département (Côte-d'Or) »: the nearest reference with a value, or "".

    A reference already in ``named`` is not named again (« dans le département » suffices)."""
    words = {"departement": "dans le département", "region": "dans la région"}
    named = set() if named is None else named
    for level, code in portrait.references:
        value, _ = tables.value(portrait, indicator, level=level, code=code)
        if has_value(value):
            name = portrait.name_of(level, code, with_code=False)
            if level not in words:
                where = f"en {name}"
            elif (level, code) in named and sum(lv == level for lv, _ in portrait.references) == 1:
                where = words[level]
            else:
                where = f"{words[level]} ({name})"
            named.add((level, code))
            return f", contre {_formatted(portrait, indicator, value)} {where}"
    return ""


def _missing(portrait: Portrait, indicator: str, max_vintage: int | None = None) -> str:
    cell = tables.cell(portrait, indicator, max_vintage=max_vintage)
    return missing_words(cell["flags"] if cell is not None else tables.NOT_IMPORTED)


def _year(portrait: Portrait, indicator: str, max_vintage: int | None = None) -> str:
    cell = tables.cell(portrait, indicator, max_vintage=max_vintage)
    if portrait.registry[indicator].kind == "growth":
        return period_label(str(cell["source"]), int(cell["vintage"]))
    return str(int(cell["vintage"]))


def summary_sentences(portrait: Portrait) -> list[str]:
    """3 to 6 sentences on the territory, each from the computed values (or saying what is missing)."""
    registry = portrait.registry
    t = portrait.territory
    n = len(t.communes)
    where = f"{t.name}, {n} commune{'s' if n > 1 else ''}" if t.level != "commune" else t.name
    population, year = tables.value(portrait, "population")
    if has_value(population):
        first = f"Le territoire ({where}) compte {format_number(population, decimals=0)} habitants en {year}"
        growth, _ = tables.value(portrait, "evolution_population") if "evolution_population" in registry else (float("nan"), 0)
        if has_value(growth):
            decimals = registry.units[registry["evolution_population"].unit].decimals
            first += (f" ; sa population a varié de {format_number(growth, '%', decimals=decimals, signed=True)} "
                      f"par an sur la période {_year(portrait, 'evolution_population')}")
    else:
        first = f"Le territoire ({where}) : population non disponible ({_missing(portrait, 'population')})"
    sentences = [first + "."]
    named: set = set()
    sentences.append(_young_children(portrait, named))
    for clauses in _SENTENCES:
        parts = []
        for indicator, template, name in clauses:
            if indicator not in registry:
                continue
            value, _ = tables.value(portrait, indicator)
            if has_value(value):
                parts.append(template.format(value=_formatted(portrait, indicator, value), year=_year(portrait, indicator))
                             + _reference(portrait, indicator, named))
            else:
                parts.append(f"{name} n'est pas disponible ({_missing(portrait, indicator)})")
        if parts:
            sentences.append(_capital(" ; ".join(parts)) + ".")
    sentences.append(_enjeux_sentence(portrait))
    return sentences


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _young_children(portrait: Portrait, named: set) -> str:
    """Children under 3 and the childcare coverage, the figures the CCAS is asked for first."""
    children, year = tables.value(portrait, "enfants_0_2")
    coverage, cyear = tables.value(portrait, "taux_couverture_accueil_jeune_enfant")
    if not has_value(coverage):  # the CAF's published rate, when abs cannot compute its own
        coverage, cyear = tables.value(portrait, "taux_couverture_publie")
        which = "taux_couverture_publie"
    else:
        which = "taux_couverture_accueil_jeune_enfant"
    if has_value(children):
        part = f"On y compte {format_number(children, decimals=0)} enfants de moins de 3 ans ({year})"
    else:
        part = f"Le nombre d'enfants de moins de 3 ans n'est pas disponible ({_missing(portrait, 'enfants_0_2')})"
    if has_value(coverage):
        part += (f" ; l'accueil du jeune enfant offre {_formatted(portrait, which, coverage)} places pour 100 enfants "
                 f"({cyear}){_reference(portrait, which, named)}")
    else:
        part += f" ; le taux de couverture de l'accueil du jeune enfant n'est pas disponible ({_missing(portrait, 'taux_couverture_accueil_jeune_enfant')})"
    return part + "."


def _enjeux_sentence(portrait: Portrait) -> str:
    ranked = tables.enjeux(portrait, top=3)
    if ranked.empty:
        return ("Parmi les indicateurs disponibles et fiables, aucun ne s'écarte de ses références dans le sens "
                "d'un besoin (règle de classement dans « Notes de méthode »).")
    labels = [str(label)[:1].lower() + str(label)[1:] for label in ranked["label"]]
    return "Les écarts les plus marqués dans le sens d'un besoin portent sur : " + " ; ".join(labels) + "."


#: Figures whose change the update summary states, two to a sentence.
UPDATE_FIGURES = (("population", "enfants_0_2"), ("part_75_plus", "part_familles_monoparentales"),
                  ("revenu_median", "taux_chomage_15_64"))


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def update_sentences(portrait: Portrait, periods: Periods) -> list[str]:
    """What changed between the two dates, from the same cells as the tables (or why it cannot be said)."""
    registry = portrait.registry
    sentences = [f"Cette actualisation compare le territoire ({portrait.territory.name}) à deux dates : "
                 f"{periods.baseline} (avant) et {periods.update} (après) ; chaque source y figure à son "
                 "millésime le plus proche de la date, sans la dépasser."]
    unknown = []
    for pair in UPDATE_FIGURES:
        clauses = []
        for indicator in pair:
            if indicator not in registry:
                continue
            clause = _change_clause(portrait, indicator, periods)
            if clause:
                clauses.append(clause)
            else:
                unknown.append(_lower(registry[indicator].label))
        if clauses:
            sentences.append(_capital(" ; ".join(clauses)) + ".")
    if unknown:
        sentences.append("Non mesurables aux deux dates : " + ", ".join(unknown) + " (voir « Données manquantes »).")
    return sentences


def _change_clause(portrait: Portrait, indicator: str, periods: Periods) -> str:
    """« population : 21 563 en 2016, 22 152 en 2022 (+589) », or "" when a date lacks the value."""
    ind = portrait.registry[indicator]
    before = tables.cell(portrait, indicator, max_vintage=periods.baseline)
    after = tables.cell(portrait, indicator, max_vintage=periods.update)
    if before is None or after is None or not has_value(before["value"]) or not has_value(after["value"]):
        return ""
    y0, y1 = int(before["vintage"]), int(after["vintage"])
    v0, v1 = float(before["value"]), float(after["value"])
    text = f"{_lower(ind.label)} : {_formatted(portrait, indicator, v0)} en {y0}, {_formatted(portrait, indicator, v1)} en {y1}"
    if y0 == y1:
        return text + " (une seule date disponible)"
    if ind.is_census and not census_comparable(y0, y1):
        return text + " (recensements trop proches pour mesurer une évolution, selon l'INSEE)"
    unit = portrait.registry.units[ind.unit]
    change_unit = "pt" if ind.unit == "%" else (unit.suffix.strip() or None)
    return text + f" ({format_number(v1 - v0, change_unit, decimals=unit.decimals, signed=True)})"
