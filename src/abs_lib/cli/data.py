"""``abs data``: fetch, import and list the official files."""

from __future__ import annotations

import sys

from abs_lib.config import DATA_DIR_ENV, data_dir
from abs_lib.sources.importing import import_files
from abs_lib.sources.store import Store


def add_data_dir_option(parser) -> None:
    parser.add_argument(
        "--data-dir", metavar="DOSSIER", default=None,
        help=f"dossier des données (défaut : variable {DATA_DIR_ENV}, sinon ./data)",
    )


def register(sub) -> None:
    parser = sub.add_parser(
        "data", help="données : téléchargement, import, inventaire",
        description="Récupère les fichiers officiels INSEE/CAF et les range dans le dossier des données.",
    )
    actions = parser.add_subparsers(title="actions", dest="action", metavar="ACTION")

    imp = actions.add_parser(
        "import", help="importe des fichiers téléchargés à la main (reconnus par leurs colonnes)",
        description=(
            "Importe des fichiers INSEE/CAF téléchargés à la main (utile derrière un proxy). Chaque "
            "fichier est reconnu par ses colonnes (jeu de données, millésime, niveau géographique), "
            "copié tel quel dans raw/ et converti une fois en parquet dans processed/. Un DOSSIER "
            "importe tous les fichiers qu'il contient (sous-dossiers compris), une archive ZIP telle "
            "que publiée tous ses fichiers de données ; fichiers cachés et fichiers de documentation "
            "(meta_*, varmod_*…) ignorés. Exception : le fichier détail Logements du recensement "
            "(FD_LOGEMT_AAAA.csv, son archive .zip ou le parquet national) est lu en flux et agrégé par "
            "commune ; seuls son chemin et sa somme de contrôle sont gardés dans raw/, pas une copie."
        ),
    )
    imp.add_argument("files", nargs="+", metavar="FICHIER",
                     help="fichier(s) CSV, XLS, XLSX, GeoJSON, archive(s) ZIP, ou dossier(s) qui les contiennent "
                          "(fichier détail Logements : aussi .parquet)")
    add_data_dir_option(imp)
    imp.set_defaults(func=run_import)

    lst = actions.add_parser(
        "list", help="liste les données disponibles localement",
        description="Liste les tables disponibles : jeu, millésime, niveau, lignes, origine, somme de contrôle.",
    )
    add_data_dir_option(lst)
    lst.set_defaults(func=run_list)

    try:
        from abs_lib.cli.data_fetch import add_fetch_parser
    except ImportError:  # pragma: no cover - fetch not installed in this build
        pass
    else:
        add_fetch_parser(actions)

    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def run_import(args) -> int:
    store = Store(data_dir(args.data_dir))
    results = import_files(args.files, store, progress=True)
    for result in results:
        if result.skipped:
            print(f"ignoré   {result.path.name} : {result.skipped}")
        elif result.ok:
            print(f"importé  {result.path.name} : {_imported(result)}")
            for note in result.notes:
                print(f"         note : {note}")
        else:
            print(f"refusé   {result.path.name} : {result.error}", file=sys.stderr)
    refused = sum(not r.ok and not r.skipped for r in results)
    imported = sum(r.ok for r in results)
    skipped = sum(bool(r.skipped) for r in results)
    ignored = f", {skipped} ignoré(s)" if skipped else ""
    print(f"{imported} fichier(s) importé(s), {refused} refusé(s){ignored} ; dossier : {store.root}")
    return 1 if refused else 0


def _imported(result) -> str:
    """What was stored, in one French line."""
    e = result.entry
    if len(result.entries) > 1:
        first = min(x.vintage for x in result.entries)
        part = f" ({e.part})" if e.part else ""
        return (f"{e.dataset}{part}, millésimes {first} à {e.vintage} ({len(result.entries)} tables), "
                f"niveau {e.level}, {e.rows} ligne(s) par millésime")
    if len(result.years) > 1:
        return (f"{e.dataset}, années {result.years[0]} à {result.years[-1]} (une ligne par territoire et par "
                f"année, rangées au millésime {e.vintage}), niveau {e.level}, {e.rows} lignes")
    return f"{e.dataset}, millésime {e.vintage}, niveau {e.level}, {e.rows} lignes"


def run_list(args) -> int:
    store = Store(data_dir(args.data_dir))
    table = store.list_frame()
    if table.empty:
        print(f"Aucune donnée dans {store.root}. Utilisez `abs data fetch` ou `abs data import FICHIER`.")
        return 0
    shown = table.assign(
        sha256=table["sha256"].str[:12],
        origine=table["origin"],
        fictif=table["fictional"].map({True: "oui", False: ""}),
    )[["dataset", "vintage", "level", "rows", "origine", "sha256", "fictif"]]
    shown.columns = ["jeu", "millésime", "niveau", "lignes", "origine", "sha256", "fictif"]
    print(shown.to_string(index=False))
    print(f"{len(shown)} table(s) dans {store.root}")
    return 0
