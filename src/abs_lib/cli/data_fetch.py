"""``abs data fetch``: download an official dataset of the catalog into the data folder.

Only parses arguments and prints: ``abs data fetch JEU`` calls
:func:`abs_lib.sources.fetch.fetch_dataset`; ``abs data fetch --pour TERRITOIRE``
asks :mod:`abs_lib.sources.acquire` for the plan of a study and carries it out;
without a dataset it prints the catalog so the analyst can pick one.
"""

from __future__ import annotations

import sys
import warnings

from typing import TYPE_CHECKING

from abs_lib.config import CACHE_DIR_ENV, OFFLINE_ENV, data_dir
from abs_lib.errors import AbsError
from abs_lib.sources.catalog import LEVELS, load_catalog
from abs_lib.sources.plan import FAILED, OBTAINED, PRESENT, STUDIES, UNAVAILABLE

if TYPE_CHECKING:  # pragma: no cover - the fetching modules (requests, pandas) load when a fetch runs
    from abs_lib.sources.plan import FetchPlan


def add_fetch_parser(data_subparsers) -> None:
    """Add the ``fetch`` action to the ``abs data`` group."""
    from abs_lib.cli.data import add_data_dir_option

    parser = data_subparsers.add_parser(
        "fetch", help="télécharge un jeu officiel du catalogue (INSEE, CAF…) et l'enregistre",
        description=(
            "Télécharge un jeu de données officiel décrit dans le catalogue des sources, vérifie sa "
            "somme de contrôle quand elle est connue, le garde en cache et l'enregistre une fois en "
            "parquet. Sans argument : affiche le catalogue. Avec --pour TERRITOIRE : récupère tout ce "
            "qu'une étude demande pour ce territoire et ses références (département, région, France). "
            f"Hors ligne (aucun serveur ne répond, ou variable {OFFLINE_ENV}=1), --pour liste chaque "
            "fichier et son adresse, n'écrit rien et se termine en erreur. Derrière un proxy, "
            "téléchargez les fichiers à la main puis `abs data import DOSSIER`."
        ),
    )
    parser.add_argument("dataset", nargs="?", metavar="JEU",
                        help="identifiant du jeu de données (ex. filosofi-disp) ; sans argument : le catalogue")
    parser.add_argument("--vintage", "--millesime", dest="vintage", type=int, metavar="ANNÉE",
                        help="millésime voulu (défaut : le plus récent du catalogue)")
    parser.add_argument("--level", "--niveau", dest="levels", action="append", choices=LEVELS,
                        metavar="NIVEAU", help=f"niveau géographique à garder, répétable ({', '.join(LEVELS)})")
    parser.add_argument("--pour", dest="territory", metavar="TERRITOIRE",
                        help="récupère tous les fichiers qu'une étude demande pour ce territoire (code ou nom) "
                             "et ses références : déjà là, obtenus, indisponibles (avec la page officielle)")
    parser.add_argument("--etude", "--study", dest="study", choices=STUDIES, default=None, metavar="ÉTUDE",
                        help="avec --pour : diagnostic (défaut) ou actualisation")
    parser.add_argument("--depuis", "--since", dest="since", type=int, metavar="ANNÉE",
                        help="avec --pour : année du diagnostic initial (actualisation) ; les millésimes les "
                             "plus proches sans la dépasser sont ajoutés aux derniers")
    parser.add_argument("--annee-geo", "--year", dest="year", type=int, metavar="ANNÉE", default=None,
                        help="avec --pour : géographie du territoire (défaut : la plus récente)")
    add_data_dir_option(parser)
    parser.add_argument("--cache-dir", metavar="DOSSIER", default=None,
                        help=f"cache des téléchargements (défaut : variable {CACHE_DIR_ENV}, sinon DOSSIER_DONNÉES/cache)")
    parser.add_argument("--sans-progression", "--no-progress", dest="progress", action="store_false",
                        help="n'affiche pas la barre de progression")
    parser.add_argument("--miroir", dest="base_url", metavar="URL", default=None,
                        help="prend les fichiers sur ce miroir (schéma et hôte remplacés, chemins gardés)")
    parser.set_defaults(func=run_fetch)


def _show_catalog() -> int:
    rows = load_catalog().summary_rows()
    width = max(len(r["id"]) for r in rows)
    print(f"{'jeu'.ljust(width)}  producteur  téléchargeables")
    for r in rows:
        print(f"{r['id'].ljust(width)}  {r['producteur'].ljust(10)}  {r['téléchargeables']}")
    print(f"{len(rows)} jeux au catalogue. `abs data fetch JEU --vintage ANNÉE` pour en télécharger un.")
    return 0


def _french_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"Attention : {message}", file=sys.stderr)


def run_fetch(args) -> int:
    from abs_lib.sources.fetch import UnconfirmedSourceWarning, fetch_dataset

    if args.territory:
        return run_fetch_for(args)
    if args.study or args.since is not None or args.year is not None:
        raise AbsError("--etude, --depuis et --annee-geo s'emploient avec --pour TERRITOIRE.")
    if not args.dataset:
        return _show_catalog()
    with warnings.catch_warnings():
        warnings.simplefilter("always", UnconfirmedSourceWarning)
        warnings.showwarning = _french_warning
        entries = fetch_dataset(
            args.dataset, vintage=args.vintage, levels=args.levels, data_dir=args.data_dir,
            cache_dir=args.cache_dir, progress=args.progress, base_url=args.base_url,
        )
    for e in entries:
        print(f"enregistré  {e.dataset}, millésime {e.vintage}, niveau {e.level} : {e.rows} lignes ({e.parquet})")
    print(f"{len(entries)} table(s) enregistrée(s) dans {data_dir(args.data_dir)}")
    return 0


# ------------------------------------------------------------------ --pour TERRITOIRE
def run_fetch_for(args) -> int:
    """``abs data fetch --pour TERRITOIRE``: plan, download, then the summary in French."""
    from abs_lib.sources.acquire import OfflineError, carry_out, plan_for

    if args.dataset or args.vintage is not None or args.levels:
        raise AbsError(
            "Donnez soit un JEU (avec --vintage, --niveau), soit --pour TERRITOIRE : "
            "--pour choisit lui-même les jeux, millésimes et niveaux de l'étude."
        )
    plan = plan_for(args.territory, study=args.study, since=args.since, data_dir=args.data_dir, year=args.year)
    print(f"Fichiers demandés par {plan.describe_study()} et ses références "
          f"({', '.join(name for _, _, name in plan.territory.references) or 'aucune'}) : "
          f"{len(plan.files)} au total.")
    try:
        done = carry_out(plan, data_dir=args.data_dir, cache_dir=args.cache_dir, progress=args.progress,
                         base_url=args.base_url)
    except OfflineError as error:
        _print_offline(error.plan, args)
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    _print_summary(done)
    return 1 if done.having(FAILED) else 0


def _command(args) -> str:
    words = ["abs data fetch --pour", args.territory if " " not in args.territory else f'"{args.territory}"']
    if args.study:
        words.append(f"--etude {args.study}")
    if args.since is not None:
        words.append(f"--depuis {args.since}")
    return " ".join(words)


def _print_offline(plan: FetchPlan, args) -> None:
    from abs_lib.sources.acquire import offline_forced

    downloads = plan.downloads()
    print(f"\nHors ligne : voici les {len(plan.to_download)} fichier(s) que cette commande téléchargerait "
          f"({len(downloads)} téléchargement(s) ; un fichier national n'est téléchargé qu'une fois) :")
    for url, files in downloads.items():
        print(f"  {url}")
        for f in files:
            print(f"      {f.name} : {f.why}")
    _print_group("Déjà là", plan.having(PRESENT))
    _print_unavailable(plan.having(UNAVAILABLE))
    _print_notes(plan)
    print(f"\nUne fois en ligne, relancez `{_command(args)}`. Sans accès à ces serveurs (proxy), téléchargez "
          "les fichiers à la main depuis ces adresses, rangez-les dans un dossier puis lancez "
          "`abs data import DOSSIER`.")
    if offline_forced():
        print(f"(La variable {OFFLINE_ENV} interdit les téléchargements : retirez-la pour les autoriser.)")


def _print_group(title: str, files) -> None:
    if not files:
        return
    print(f"\n{title} ({len(files)}) :")
    for f in files:
        extra = f" : {f.rows} lignes" if f.rows is not None else ""
        print(f"  {f.name}{extra}")


def _print_unavailable(files) -> None:
    if not files:
        return
    print(f"\nIndisponibles ({len(files)}) — à télécharger à la main depuis la page officielle :")
    for f in files:
        print(f"  {f.name} : {f.reason}.")
        where = f.page_url or "aucune page officielle au catalogue"
        print(f"      page : {where}")


def _print_notes(plan: FetchPlan) -> None:
    if plan.notes:
        print("\nÀ savoir :")
        for note in plan.notes:
            print(f"  {note}")


def _print_summary(plan: FetchPlan) -> None:
    _print_group("Obtenus", plan.having(OBTAINED))
    _print_group("Déjà là", plan.having(PRESENT))
    _print_unavailable(plan.having(UNAVAILABLE, FAILED))
    _print_notes(plan)
    if plan.having(UNAVAILABLE, FAILED):
        print("\nPour les fichiers indisponibles : téléchargez-les depuis la page indiquée, rangez-les dans un "
              "dossier puis lancez `abs data import DOSSIER`.")
    n_ok = len(plan.having(OBTAINED, PRESENT))
    print(f"\n{n_ok} fichier(s) sur {len(plan.files)} prêts pour {plan.describe_study()}.")
