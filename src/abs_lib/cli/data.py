"""``abs data``: fetch, import and list the official files."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from abs_lib.config import DATA_DIR_ENV, data_dir

if TYPE_CHECKING:  # pragma: no cover - imported by the commands that use them (pandas)
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
            "(meta_*, varmod_*…) ignorés. Chaque fichier est contrôlé (codes, niveau, totaux, doublons…) "
            "avant d'être rangé : un fichier refusé ne change rien. Une table déjà rangée n'est jamais "
            "remplacée en silence : un fichier qui la complète sans la contredire y est fusionné par code, "
            "un fichier qui la contredit est refusé (sauf --remplacer) ; chaque version reste restaurable. "
            "Exception : le fichier détail Logements du recensement (FD_LOGEMT_AAAA.csv, son archive .zip "
            "ou le parquet national) est lu en flux et agrégé par commune ; seuls son chemin et sa somme de "
            "contrôle sont gardés dans raw/, pas une copie."
        ),
    )
    imp.add_argument("files", nargs="+", metavar="FICHIER",
                     help="fichier(s) CSV, XLS, XLSX, GeoJSON, archive(s) ZIP, ou dossier(s) qui les contiennent "
                          "(fichier détail Logements : aussi .parquet)")
    imp.add_argument("--remplacer", action="store_true",
                     help="remplace la table en place même si le fichier la contredit ou couvre moins de territoires "
                          "(l'ancienne version reste restaurable avec `abs data restore`)")
    add_data_dir_option(imp)
    imp.set_defaults(func=run_import)

    lst = actions.add_parser(
        "list", help="liste les données disponibles localement",
        description="Liste les tables disponibles : jeu, millésime, niveau, lignes, origine, somme de contrôle.",
    )
    lst.add_argument("--historique", action="store_true",
                     help="liste aussi les versions précédentes de chaque table (restaurables avec `abs data restore`)")
    add_data_dir_option(lst)
    lst.set_defaults(func=run_list)

    res = actions.add_parser(
        "restore", help="remet en place une version précédente d'une table",
        description=("Remet en place une version précédente d'une table (par défaut celle d'avant la version en "
                     "place). La version en place reste dans l'historique : `abs data list --historique`."),
    )
    res.add_argument("dataset", metavar="JEU", help="jeu de données (ex. insee-comparateur)")
    res.add_argument("vintage", metavar="MILLÉSIME", type=int, help="millésime (ex. 2022)")
    res.add_argument("level", metavar="NIVEAU", help="niveau géographique (commune, iris, epci…)")
    res.add_argument("--version", type=int, default=None, metavar="N", help="numéro de la version à remettre en place")
    res.add_argument("--partie", default=None, metavar="PARTIE",
                     help="partie d'un jeu publié en un fichier par mesure (ex. Tab23)")
    add_data_dir_option(res)
    res.set_defaults(func=run_restore)

    try:
        from abs_lib.cli.data_fetch import add_fetch_parser
    except ImportError:  # pragma: no cover - fetch not installed in this build
        pass
    else:
        add_fetch_parser(actions)

    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def run_import(args) -> int:
    from abs_lib.sources.importing import import_files
    from abs_lib.sources.store import Store

    store = Store(data_dir(args.data_dir))
    results = import_files(args.files, store, progress=True, replace=args.remplacer)
    for result in results:
        if result.skipped:
            print(f"ignoré   {result.path.name} : {result.skipped}")
        elif result.ok:
            print(f"{result.outcome:<8} {result.path.name} : {_imported(result)}")
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
    from abs_lib.sources.store import Store

    store = Store(data_dir(args.data_dir))
    if args.historique:
        return _list_history(store)
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


def _list_history(store: Store) -> int:
    versions = store.all_history()
    if not versions:
        print(f"Aucune donnée dans {store.root}. Utilisez `abs data fetch` ou `abs data import FICHIER`.")
        return 0
    rows = [{
        "jeu": e.dataset + (f" ({e.part})" if e.part else ""), "millésime": e.vintage, "niveau": e.level,
        "version": e.version, "en place": "oui" if current else "", "lignes": e.rows,
        "enregistrée": e.saved_at.replace("T", " ")[:16], "fichier": e.source_file, "changement": e.change or "import",
    } for e, current in versions]
    import pandas as pd

    print(pd.DataFrame(rows).to_string(index=False))
    tables = sum(current for _, current in versions)
    print(f"{len(versions)} version(s) de {tables} table(s) dans {store.root} ; "
          "`abs data restore JEU MILLÉSIME NIVEAU --version N` en remet une en place.")
    return 0


def run_restore(args) -> int:
    from abs_lib.sources.store import Store

    store = Store(data_dir(args.data_dir))
    entry = store.restore(args.dataset, args.vintage, args.level, version=args.version, part=args.partie)
    print(f"restauré {entry.label}{f' ({entry.part})' if entry.part else ''} : version {entry.version} remise en "
          f"place ({entry.rows} lignes, {entry.source_file}) ; dossier : {store.root}")
    return 0
