"""The ``abs`` command line: parses arguments in French and delegates to abs_lib.

Each subcommand group lives in its own module (``data``, ``territory``…) and
exposes ``register(subparsers)``; this module only assembles them and turns
``AbsError`` into a French message and a non-zero exit status.
"""

from __future__ import annotations

import os
import sys

from abs_lib import __version__
from abs_lib.cli import batch as batch_cmd
from abs_lib.cli import data as data_cmd
from abs_lib.cli import demo as demo_cmd
from abs_lib.cli import indicators as indicators_cmd
from abs_lib.cli import report as report_cmd
from abs_lib.cli import territory as territory_cmd
from abs_lib.cli._parser import FrenchArgumentParser
from abs_lib.errors import AbsError

GROUPS = [data_cmd, territory_cmd, indicators_cmd, report_cmd, batch_cmd, demo_cmd]


def build_parser() -> FrenchArgumentParser:
    parser = FrenchArgumentParser(
        prog="abs",
        description=(
            "abs : analyses des besoins sociaux (ABS) reproductibles. Télécharge ou importe les "
            "fichiers officiels INSEE/CAF, connaît les territoires (communes, EPCI, départements, "
            "régions) et produit indicateurs et rapports."
        ),
    )
    parser.add_argument("--version", action="version", version=f"abs {__version__}",
                        help="affiche la version et quitte")
    sub = parser.add_subparsers(title="sous-commandes", dest="command", metavar="COMMANDE")
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AbsError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `abs ... | head`: the reader left, nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
