"""``abs data fetch``: download an official dataset of the catalog into the data folder.

Only parses arguments and calls :func:`abs_lib.sources.fetch.fetch_dataset`;
without a dataset it prints the catalog so the analyst can pick one.
"""

from __future__ import annotations

import sys
import warnings

from abs_lib.config import data_dir
from abs_lib.sources.catalog import LEVELS, load_catalog
from abs_lib.sources.fetch import CACHE_DIR_ENV, UnconfirmedSourceWarning, fetch_dataset


def add_fetch_parser(data_subparsers) -> None:
    """Add the ``fetch`` action to the ``abs data`` group."""
    from abs_lib.cli.data import add_data_dir_option

    parser = data_subparsers.add_parser(
        "fetch", help="télécharge un jeu officiel du catalogue (INSEE, CAF…) et l'enregistre",
        description=(
            "Télécharge un jeu de données officiel décrit dans le catalogue des sources, vérifie sa "
            "somme de contrôle quand elle est connue, le garde en cache et l'enregistre une fois en "
            "parquet. Sans argument : affiche le catalogue. Hors ligne ou derrière un proxy, "
            "téléchargez le fichier à la main puis `abs data import FICHIER`."
        ),
    )
    parser.add_argument("dataset", nargs="?", metavar="JEU",
                        help="identifiant du jeu de données (ex. filosofi-disp) ; sans argument : le catalogue")
    parser.add_argument("--vintage", "--millesime", dest="vintage", type=int, metavar="ANNÉE",
                        help="millésime voulu (défaut : le plus récent du catalogue)")
    parser.add_argument("--level", "--niveau", dest="levels", action="append", choices=LEVELS,
                        metavar="NIVEAU", help=f"niveau géographique à garder, répétable ({', '.join(LEVELS)})")
    add_data_dir_option(parser)
    parser.add_argument("--cache-dir", metavar="DOSSIER", default=None,
                        help=f"cache des téléchargements (défaut : variable {CACHE_DIR_ENV}, sinon DOSSIER_DONNÉES/cache)")
    parser.add_argument("--sans-progression", "--no-progress", dest="progress", action="store_false",
                        help="n'affiche pas la barre de progression")
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
    if not args.dataset:
        return _show_catalog()
    with warnings.catch_warnings():
        warnings.simplefilter("always", UnconfirmedSourceWarning)
        warnings.showwarning = _french_warning
        entries = fetch_dataset(
            args.dataset, vintage=args.vintage, levels=args.levels, data_dir=args.data_dir,
            cache_dir=args.cache_dir, progress=args.progress,
        )
    for e in entries:
        print(f"enregistré  {e.dataset}, millésime {e.vintage}, niveau {e.level} : {e.rows} lignes ({e.parquet})")
    print(f"{len(entries)} table(s) enregistrée(s) dans {data_dir(args.data_dir)}")
    return 0
