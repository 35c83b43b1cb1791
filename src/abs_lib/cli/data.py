"""``abs data``: fetch, import and list the official files."""


def register(sub) -> None:
    p = sub.add_parser("data", help="données : téléchargement, import, inventaire")
    p.set_defaults(func=lambda args: p.print_help())
