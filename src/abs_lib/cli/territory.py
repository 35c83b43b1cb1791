"""``abs territory``: look up communes, EPCI, départements and régions.

Only parses arguments and prints; the work is done by :mod:`abs_lib.territories`.
"""

from __future__ import annotations

import csv
import sys

from abs_lib import territories
from abs_lib.cli._parser import positive_int
from abs_lib.errors import echo

LEVEL_CHOICES = ["commune", "epci", "departement", "region", "metropole", "france"]


def register(sub) -> None:
    p = sub.add_parser(
        "territory",
        help="territoires : composition, recherche par code ou par nom",
        description="Territoires (communes, EPCI, départements, régions) d'une année de "
        "géographie.",
    )
    p.set_defaults(func=lambda args: p.print_help())
    commands = p.add_subparsers(
        title="sous-commandes", dest="territory_command", metavar="COMMANDE"
    )

    show = commands.add_parser(
        "show",
        help="affiche un territoire et ses communes",
        description=(
            "Affiche un territoire : nom, niveau, code, année de géographie, départements et\n"
            "région ; pour un EPCI ou un département, la liste de ses communes.\n\n"
            "QUERY est un code (21231, 2A004, 200000925, 21, COM-21231, EPCI-200000925,\n"
            "DEP-21, REG-27) ou un nom (« Plaine Dijonnaise », « Sainte-Colombe (35) »).\n"
            "Un code à 2 chiffres est un département, sauf avec --level region."
        ),
    )
    show.add_argument("query", metavar="QUERY", help="code ou nom du territoire")
    _year_and_level(show)
    show.add_argument(
        "--format",
        choices=["texte", "csv"],
        default="texte",
        help="texte (défaut) ou csv (communes au format CODGEO;LIBGEO;EPCI;LIBEPCI;DEP;REG)",
    )
    show.set_defaults(func=_show)

    search = commands.add_parser(
        "search",
        help="cherche les territoires dont le nom ressemble au texte",
        description="Liste les territoires dont le nom est le plus proche du texte donné.",
    )
    search.add_argument("text", metavar="TEXTE", help="nom ou partie de nom")
    _year_and_level(search)
    search.add_argument(
        "--limite", type=positive_int, default=10, metavar="N", help="nombre de résultats, 1 ou plus (défaut : 10)"
    )
    search.set_defaults(func=_search)

    years = commands.add_parser(
        "years",
        help="liste les années de géographie disponibles",
        description="Liste les années de géographie (découpage au 1er janvier) disponibles.",
    )
    years.set_defaults(func=_years)


def _year_and_level(parser) -> None:
    parser.add_argument(
        "--year",
        type=int,
        default=None,
        metavar="ANNÉE",
        help="année de géographie (défaut : la plus récente ; voir « abs territory years »)",
    )
    parser.add_argument(
        "--level",
        choices=LEVEL_CHOICES,
        default=None,
        metavar="NIVEAU",
        help="niveau : " + ", ".join(LEVEL_CHOICES) + " (défaut : déduit du "
        "code ; p. ex. --level region pour lire « 27 » comme une région)",
    )


def _show(args) -> int:
    from abs_lib.territories import quick

    # A code is answered from the reference files without pandas; anything else (a name, an
    # unknown code and its suggestions) by the full lookup.
    territory = quick.find(args.query, args.year, level=args.level)
    if territory is None:
        territory = territories.find_territory(args.query, args.year, level=args.level)
    if args.format == "csv":
        _write_csv(territory)
    else:
        print(render_text(territory))
    return 0


def render_text(territory) -> str:
    """The French text of ``abs territory show``."""
    geography = territory.geography
    lines = [territory.name]
    kind = territory.level_label
    if territory.level == "epci":
        epci_type = _epci_type(geography, territory.code)
        kind += f" ({epci_type})" if isinstance(epci_type, str) else ""
    code = (
        f"code {territory.code}"
        if territory.level not in ("metropole", "france")
        else f"code {territory.insee_geo}"
    )
    fictional = " — territoire fictif" if territory.fictional else ""
    lines.append(f"Niveau : {kind} — {code} — géographie {territory.year}{fictional}")
    if territory.level == "commune":
        if territory.epci:
            lines.append(f"EPCI : {geography.epci_name(territory.epci)} ({territory.epci})")
        else:
            lines.append("EPCI : aucun (commune hors intercommunalité)")
    if territory.level in ("commune", "epci"):
        lines.append(_parents_line("Département", "Départements", territory.departement_counts()))
    if territory.level in ("commune", "epci", "departement"):
        lines.append(_parents_line("Région", "Régions", territory.region_counts()))
    if territory.level in ("epci", "departement"):
        lines.append("Communes membres :")
        lines += [f"  {row.code}  {row.name}" for row in _rows(territory.communes_table())]
        lines.append(_communes(territory.n_communes))
    elif territory.level in ("region", "metropole", "france"):
        deps = sorted(_rows(territory.departement_counts()), key=lambda r: r.code)
        lines.append(f"Départements ({len(deps)}) :")
        lines += [f"  {r.code}  {r.name} : {_communes(r.n_communes)}" for r in deps]
        lines.append(_communes(territory.n_communes))
    return "\n".join(lines)


def _rows(table) -> list:
    """Rows with attributes (``row.code``…): a DataFrame's (full lookup) or a list's (quick one)."""
    return list(table.itertuples()) if hasattr(table, "itertuples") else list(table)


def _epci_type(geography, code: str):
    if hasattr(geography, "epci_type"):
        return geography.epci_type(code)
    return geography.epci["type"].get(code)


def _parents_line(singular: str, plural: str, counts) -> str:
    """ "Département : Côte-d'Or (21)", or all of them with their commune counts."""
    counts = _rows(counts)
    if len(counts) == 1:
        return f"{singular} : {counts[0].name} ({counts[0].code})"
    return f"{plural} : " + " ; ".join(
        f"{r.name} ({r.code}) : {_communes(r.n_communes)}" for r in counts
    )


def _communes(n: int) -> str:
    return f"{n} commune" if n == 1 else f"{n} communes"


def _write_csv(territory) -> None:
    table = territory.communes_table()
    geography = territory.geography
    writer = csv.writer(sys.stdout, delimiter=";", lineterminator="\n")
    writer.writerow(["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"])
    for row in _rows(table):
        epci = row.epci if isinstance(row.epci, str) else ""
        writer.writerow(
            [
                row.code,
                row.name,
                epci,
                geography.epci_name(epci) if epci else "",
                row.departement,
                row.region,
            ]
        )


def _search(args) -> int:
    found = territories.search_territories(
        args.text, args.year, level=args.level, limit=args.limite
    )
    year = args.year or territories.latest_year()
    if not found:
        print(f"Aucun territoire ne ressemble à « {echo(args.text)} » (géographie {year}). "
              "Essayez une partie du nom (« dijon ») ou un code INSEE.", file=sys.stderr)
        return 1
    print(f"Territoires proches de « {echo(args.text)} » (géographie {year}) :")
    for territory in found:
        print(f"  {territory.label}")
    return 0


def _years(args) -> int:
    years = territories.available_years()
    print("Années de géographie disponibles (découpage au 1er janvier) :")
    for year in years:
        print(f"  {year}")
    print(f"Par défaut : {years[-1]}")
    return 0


__all__ = ["register", "render_text"]
