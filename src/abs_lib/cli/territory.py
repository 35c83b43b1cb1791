"""``abs territory``: look up communes, EPCI, départements and régions."""


def register(sub) -> None:
    p = sub.add_parser("territory", help="territoires : composition, recherche par code ou par nom")
    p.set_defaults(func=lambda args: p.print_help())
