"""``abs demo``: the whole pipeline on the fictional territory, offline."""

from __future__ import annotations

from abs_lib.cli.report import STUDY_CHOICES, refuse_interactive


def register(sub) -> None:
    p = sub.add_parser(
        "demo", help="démonstration hors ligne sur un territoire fictif (rapport HTML)",
        description=(
            "Importe les fichiers bruts du territoire fictif de démonstration (département 00, données "
            "inventées aux formats officiels) et produit son diagnostic HTML, sans réseau. Tout ce que "
            "produit la démonstration se déclare fictif."
        ),
    )
    p.add_argument("--territory", "--territoire", default="000000001", metavar="CODE",
                   help="territoire fictif étudié, code commençant par 00 ou nom (défaut : 000000001, CA du "
                        "Val-Imaginaire) ; un territoire réel est refusé")
    p.add_argument("--study", "--etude", default="diagnostic", choices=STUDY_CHOICES,
                   help="étude à produire (défaut : diagnostic)")
    p.add_argument("--reports-dir", default="reports", metavar="DOSSIER", help="dossier des rapports (défaut : reports)")
    p.set_defaults(func=run)


def run(args) -> int:
    from abs_lib.demo import demo_local_structures, demo_store, demo_territory
    from abs_lib.reports.run import build_report

    territory = demo_territory(args.territory)  # a real territory is refused before any work
    refuse_interactive(args.study, territory.code)
    store = demo_store()
    print(f"Données fictives de démonstration : {len(store.entries())} tables ({store.root})")
    extra = {"local_data": str(demo_local_structures())} if args.study == "actualisation" else None
    result = build_report(territory.code, args.study, reports_dir=args.reports_dir, extra_params=extra, progress=print)
    print(f"Rapport de démonstration (territoire fictif) : {result.html}")
    return 0
