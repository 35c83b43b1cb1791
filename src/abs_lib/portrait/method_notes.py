"""« Notes de méthode »: what was done to the data and why it matters, for readers.

Why: the loaders' notes (:class:`abs_lib.indicators.loading.GeographyNote`) are written
for analysts (codes, file fits, every commune of the file). A report keeps only what
concerns its territory's communes and says it in plain French; the rules a reader needs
to trust the synthesis (how the « enjeux » are ranked, what « n.d. » means) are here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from abs_lib.errors import DatasetNotFoundError
from abs_lib.portrait import tables
from abs_lib.portrait.build import Portrait
from abs_lib.sources.catalog import load_catalog


@dataclass(frozen=True)
class MethodNote:
    """One sub-section of the appendix: a title and its paragraphs (plain text)."""

    title: str
    paragraphs: tuple[str, ...]


_LABEL = re.compile(r"^(?P<dataset>\S+) \((?P<file>.+)\)$")
_FIT_YEAR = re.compile(r"géographie (\d{4})")
_MERGER = re.compile(r"^fusion (?P<olds>.+?) -> (?P<code>\S+) (?P<name>.+?)"
                     r"(?P<incomplete> \(communes d'origine absentes du fichier : valeurs manquantes\))?$")
_SPLIT = re.compile(r"^scission de (?P<code>\S+) (?P<name>.+?) \(")
_CODE_CHANGE = re.compile(r"^changement de code (?P<old>\S+) -> (?P<new>\S+) (?P<name>.+)$")
_NEWER = re.compile(r"^fichier en géographie (?P<year>\d{4}), plus récente que celle de l'étude \((?P<study>\d{4})\) : "
                    r"valeurs de (?P<code>\S+) ")
_UNKNOWN = re.compile(r"^codes inconnus en géographie (?P<year>\d{4}), non utilisés : (?P<codes>.+)$")

ENJEUX_RULE = (
    "Les enjeux sont les indicateurs où le territoire s'écarte le plus de ses références dans le sens d'un besoin "
    "(une valeur élevée, ou basse selon l'indicateur, signale un besoin ; les indicateurs de contexte ne sont "
    "jamais classés).",
    "Seules les parts, les taux et les valeurs publiées (revenu médian…) sont comparés : les effectifs et les "
    "évolutions ne se comparent pas entre territoires de tailles différentes. Une valeur manquante ou fragile "
    "(secret statistique, somme incomplète, moins de 200 personnes comptées, estimation du recensement sous "
    "2 000 habitants) n'est pas classée.",
    "Chaque indicateur est comparé à la référence la plus proche qui a une valeur : le département, sinon la "
    "région, sinon la France métropolitaine ; un territoire à cheval sur plusieurs départements doit s'écarter de "
    "chacun, et l'écart retenu est le plus faible. L'écart est relatif (différence rapportée à la valeur de "
    "référence) ; les enjeux sont classés du plus fort au plus faible écart, puis, à égalité, selon l'écart à la "
    "région et à la France métropolitaine.",
)

READING = (
    "« n.d. » signifie « non disponible » : une valeur manquante n'est jamais remplacée par zéro, et la raison est "
    "donnée sous le tableau (secret statistique, fichier non fourni, commune fusionnée…).",
    "Chaque ligne compare le territoire et ses références au même millésime. Les sources n'ont pas la même année "
    "(recensement, revenus FiLoSoFi, CAF, état civil) : la colonne « Millésime » dit laquelle.",
    "Les tableaux complets (source, unité, raison détaillée de chaque valeur manquante) accompagnent le rapport "
    "produit par abs report, en CSV et en classeur XLSX.",
)


def _file_name(label: str) -> str:
    """« Revenus … (FiLoSoFi) (FILO2016_DISP_COM_dep21.csv) » from a note's « dataset (file) »."""
    match = _LABEL.match(label)
    if not match:
        return label
    try:
        title = load_catalog().get(match["dataset"]).title
    except DatasetNotFoundError:
        return match["file"]
    return f"{title} (fichier {match['file']})"


def _names(olds: str) -> list[str]:
    """Commune names of « 21183 Collonges-lès-Premières + 21507 Premières »."""
    return [part.split(" ", 1)[1] if " " in part else part for part in olds.split(" + ")]


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " et " + items[-1]


def geography_notes(portrait: Portrait) -> list[str]:
    """The geography notes that concern the territory's communes, rewritten for readers."""
    communes = set(portrait.territory.communes)
    names = dict(zip(portrait.membership["commune"].astype(str), portrait.membership["commune_name"].astype(str)))
    mergers: dict[str, dict] = {}
    others: list[str] = []
    for note in portrait.notes:
        events = [text for codes, text in note.events if codes & communes]
        if not events:
            continue
        fit = _FIT_YEAR.search(note.fit)
        source = _file_name(note.label) + (f", publié dans la géographie communale de {fit.group(1)}" if fit else "")
        for text in events:
            if (m := _MERGER.match(text)):
                merger = mergers.setdefault(m["code"], {"olds": _names(m["olds"]), "new": m["name"],
                                                        "sources": [], "incomplete": []})
                merger["sources"].append(source)
                if m["incomplete"]:
                    merger["incomplete"].append(source)
            elif (m := _SPLIT.match(text)):
                others.append(f"{m['name']} a été scindée depuis la publication du fichier {source} : ses valeurs ne "
                              "peuvent pas être réparties entre les communes issues de la scission et restent non "
                              "disponibles pour elles.")
            elif (m := _CODE_CHANGE.match(text)):
                others.append(f"{m['name']} a changé de code commune ({m['old']} devenu {m['new']}) depuis la "
                              f"publication du fichier {source} : ses valeurs ont été reprises sous le nouveau code.")
            elif (m := _NEWER.match(text)):
                name = names.get(m["code"], m["code"])
                others.append(f"Le fichier {_file_name(note.label)} est publié dans la géographie {m['year']}, plus "
                              f"récente que celle de l'étude ({m['study']}) : la valeur de {name}, commune qui a "
                              "changé entre-temps, ne peut pas être répartie entre ses anciennes communes et reste "
                              "non disponible.")
            elif (m := _UNKNOWN.match(text)):
                others.append(f"Le fichier {source} contient des codes de commune inconnus en {m['year']} "
                              f"({m['codes']}) : ces lignes n'ont pas été utilisées.")
            else:
                others.append(f"{source} : {text}.")
    paragraphs = []
    if mergers:
        listed = " ; ".join(f"{_and(m['olds'])} forment aujourd'hui {m['new']}" for m in mergers.values())
        sources = sorted({s for m in mergers.values() for s in m["sources"]})
        paragraphs.append(
            f"Des communes du territoire ont fusionné depuis la publication de certains fichiers : {listed}. "
            "Dans ces fichiers, les effectifs des anciennes communes ont été additionnés pour la commune nouvelle ; "
            "les médianes, taux et parts, qui ne s'additionnent pas, restent non disponibles (« n.d. ») pour elle. "
            f"Fichiers concernés : {' ; '.join(sources)}.")
        for m in mergers.values():
            for source in m["incomplete"]:
                paragraphs.append(f"Dans le fichier {source}, une partie des anciennes communes de {m['new']} manque : "
                                  "ses valeurs sont laissées non disponibles plutôt que calculées sur une partie de la "
                                  "commune.")
    return paragraphs + others


def method_notes(portrait: Portrait, *, update_remarks: list[str] | None = None,
                 periods_notes: list[str] | None = None) -> list[MethodNote]:
    """The appendix: reading the tables, the geography of the files, the ranking of the enjeux,
    and for an update how the dates were chosen and the detail of each change."""
    notes = [MethodNote("Lire les tableaux", READING)]
    geography = geography_notes(portrait)
    if geography:
        notes.append(MethodNote("Communes qui ont changé depuis la publication des fichiers", tuple(geography)))
    if periods_notes is not None:
        notes.append(MethodNote("Dates comparées", tuple(periods_notes) + (
            "Chaque source contribue par son millésime le plus proche de la date sans la dépasser. Les évolutions "
            "des sources annuelles (revenus, CAF, état civil) sont toujours calculées ; celles du recensement "
            "seulement si l'INSEE juge les deux recensements comparables (au moins 5 ans d'écart, 6 pour les "
            "recensements 2019 à 2023).",)))
    if update_remarks:
        notes.append(MethodNote("Détail technique des évolutions non calculées (pour l'analyste)", tuple(update_remarks)))
    notes.append(MethodNote("Classement des enjeux", ENJEUX_RULE))
    return notes


def update_remarks(portrait: Portrait, indicators, *, baseline: int, update: int) -> list[str]:
    """« Indicateur : remarque » for each row of the full before/after table that has one."""
    full = tables.side_by_side(portrait, indicators, baseline=baseline, update=update)
    if full.empty:
        return []
    return [f"{row['Indicateur']} : {row['Remarques']}." for _, row in full.iterrows() if row["Remarques"]]
