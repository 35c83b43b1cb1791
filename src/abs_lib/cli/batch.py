"""``abs batch``: produce one study's report for many territories (Dask, resumable)."""

from __future__ import annotations

from abs_lib.cli._parser import positive_int
from abs_lib.cli.report import _extra_params, add_study_options, study_of


def register(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="produit le rapport d'une étude pour de nombreux territoires (lot reprenable, Dask)",
        description=(
            "Produit le rapport d'une étude pour chaque territoire choisi, sur plusieurs processus\n"
            "(un cluster Dask local par défaut, un par cœur, ou un cluster existant avec --scheduler).\n"
            "L'échec d'un territoire n'arrête pas les autres ; il est listé avec la cellule et l'erreur.\n"
            "Un rapport dont les entrées (paramètres, données, notebook, version d'abs) n'ont pas changé\n"
            "n'est pas refait (sauf --force). À la fin : DOSSIER_RAPPORTS/index.html (liste des\n"
            "territoires, statut, date, liens) et DOSSIER_RAPPORTS/batch-<horodatage>.json (journal).\n"
            "Code de sortie 1 si un rapport a échoué.\n\n"
            "Exemples :\n"
            "  abs batch --departement 21 --study diagnostic --data-dir donnees\n"
            "  abs batch --demo --all-epci\n"
            "  abs batch --territories liste.txt --scheduler tcp://10.0.0.5:8786"
        ),
    )
    which = p.add_argument_group("territoires (un seul de ces choix)")
    which.add_argument("--territories", "--territoires", dest="territories_file", metavar="FICHIER",
                       help="liste de codes, un par ligne (# pour un commentaire)")
    which.add_argument("--departement", metavar="DÉP",
                       help="tous les EPCI ayant au moins une commune dans ce département")
    which.add_argument("--all-epci", "--tous-les-epci", dest="all_epci", action="store_true",
                       help="tous les EPCI de France")
    which.add_argument("--communes-of", "--communes-de", dest="communes_of", metavar="EPCI",
                       help="les communes membres de cet EPCI (SIREN)")
    p.add_argument("--demo", action="store_true",
                   help="territoires fictifs de démonstration (département 00) ; données : celles de la démo "
                        "sauf --data-dir")
    add_study_options(p, year_help="année de l'étude (paramètre year) et de la géographie des territoires "
                                   "(défaut : la plus récente)",
                      param_help="autre paramètre du notebook, le même pour tous (répétable)")
    p.add_argument("--scheduler", "--ordonnanceur", dest="scheduler", default=None, metavar="tcp://HÔTE:PORT",
                   help="ordonnanceur Dask existant (défaut : cluster local)")
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="processus du cluster local (défaut : un par cœur)")
    p.add_argument("--preparation", default=None, metavar="MODULE:FONCTION",
                   help="préparation commune exécutée une fois avant les rapports (défaut : celle de "
                        "l'étude ; « aucune » pour s'en passer)")
    p.add_argument("--noyaux-neufs", dest="prewarm", action="store_false",
                   help="un noyau Python neuf par rapport, au lieu d'un noyau gardé par worker et remis à neuf entre deux rapports (plus lent)")
    p.add_argument("--force", action="store_true", help="refait tous les rapports, même inchangés")
    p.add_argument("--sans-progression", dest="progress", action="store_false",
                   help="n'affiche pas la barre de progression")
    p.set_defaults(func=run)


def _megabytes(value: int) -> str:
    return f"{value / 2**20:.0f} Mio"


def run(args) -> int:
    from pathlib import Path

    from abs_lib.batch.cluster import scheduler_address
    from abs_lib.batch.index import INDEX_NAME
    from abs_lib.batch.run import run_batch
    from abs_lib.batch.selection import read_codes_file, select_territories
    from abs_lib.demo import demo_geography

    scheduler = scheduler_address(args.scheduler) if args.scheduler else None  # malformed: refused first
    extra = _extra_params(args)
    study = study_of(args)
    study.notebook_path()  # a missing notebook stops here, before any selection or cluster
    geography = demo_geography() if args.demo else None
    selection = select_territories(
        departement=args.departement,
        all_epci=args.all_epci,
        communes_of=args.communes_of,
        codes=read_codes_file(args.territories_file) if args.territories_file else None,
        year=args.year,
        geography=geography,
    )
    print(f"Lot « {study.name} » : {selection.description}.", flush=True)
    index = Path(args.reports_dir) / INDEX_NAME
    before = index.stat().st_mtime if index.is_file() else None
    try:
        result = run_batch(
            selection.territories,
            study,
            year=args.year,
            data_dir=args.data_dir,
            reports_dir=args.reports_dir,
            extra_params=extra,
            prepare=args.preparation,
            scheduler=scheduler,
            workers=args.workers,
            force=args.force,
            progress=args.progress,
            timeout=args.timeout,
            prewarm=args.prewarm,
            description=selection.description,
            say=lambda line: print(line, flush=True),
        )
    except KeyboardInterrupt:
        if index.is_file() and index.stat().st_mtime != before:
            print(f"\nIndex des rapports faits avant l'interruption (les autres y sont « non lancé ») : {index}",
                  flush=True)
        raise
    produced = result.count("reussi") + result.count("echec")
    rate = f", {produced / result.seconds * 60:.1f} rapports/min" if produced and result.seconds else ""
    print(f"Terminé en {result.seconds:.1f} s{rate} : {result.count('reussi')} réussi(s), "
          f"{result.count('echec')} en échec, {result.count('inchange')} inchangé(s).")
    if result.workers:
        peaks = ", ".join(
            _megabytes(p["peak_rss"]) + (f" (PSS {_megabytes(p['peak_pss'])})" if p.get("peak_pss") else "")
            for _, p in sorted(result.workers.items()))
        print(f"Mémoire maximale par processus de calcul, noyaux compris (RSS) : {peaks}.")
    for outcome in result.failed:
        print(f"  ÉCHEC {outcome.territory} ({outcome.name}) : {outcome.short_error()}")
    print(f"Index : {result.index}")
    print(f"Journal : {result.log}")
    return 1 if result.failed else 0
