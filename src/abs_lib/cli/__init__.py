"""The ``abs`` command line: parses arguments in French and delegates to abs_lib.

Each subcommand group lives in its own module (``data``, ``territory``…) and
exposes ``register(subparsers)``; this module only assembles them and turns
every error into ONE French line on stderr, without a Python traceback (unless
``--debug``):

- exit status 2: the command line is wrong (argparse, :class:`~abs_lib.errors.UsageError`:
  a malformed code or address, a folder given for a file…); nothing was done;
- exit status 1: the command started and could not finish (``AbsError``, a file
  system refusal, an unexpected error);
- 130 after Ctrl-C (SIGINT), 143 after SIGTERM: both raise :class:`~abs_lib.errors.Interrupted`
  so that the work in progress is cleaned up (``abs report`` removes its staging folder
  and stops its kernel, ``abs batch`` writes its index) before one French line.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import traceback

from abs_lib.cli import batch as batch_cmd
from abs_lib.cli import data as data_cmd
from abs_lib.cli import demo as demo_cmd
from abs_lib.cli import indicators as indicators_cmd
from abs_lib.cli import lab as lab_cmd
from abs_lib.cli import report as report_cmd
from abs_lib.cli import territory as territory_cmd
from abs_lib.cli._parser import FrenchArgumentParser
from abs_lib.errors import AbsError, Interrupted, UsageError, describe_os_error, echo

GROUPS = [data_cmd, territory_cmd, indicators_cmd, report_cmd, batch_cmd, lab_cmd, demo_cmd]

DEBUG_ENV = "ABS_DEBUG"
USAGE, FAILURE = 2, 1
MAX_LINE = 2000  # no line of an error message is echoed longer than this

# Folder options checked before any work: (attribute, option, what it is).
FOLDER_OPTIONS = (
    ("data_dir", "--data-dir", "dossier des données"),
    ("reports_dir", "--reports-dir", "dossier des rapports"),
    ("cache_dir", "--cache-dir", "dossier du cache"),
)


class _VersionAction(argparse.Action):
    """``--version``: the version is read only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from abs_lib import __version__

        print(f"abs {__version__}")  # on stdout, as argparse's "version" action does
        parser.exit()


def build_parser() -> FrenchArgumentParser:
    parser = FrenchArgumentParser(
        prog="abs",
        description=(
            "abs : analyses des besoins sociaux (ABS) reproductibles. Télécharge ou importe les "
            "fichiers officiels INSEE/CAF, connaît les territoires (communes, EPCI, départements, "
            "régions) et produit indicateurs et rapports."
        ),
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0,
                        help="affiche la version et quitte")
    parser.add_argument("--debug", action="store_true",
                        help=f"en cas d'erreur, affiche aussi la trace Python complète (ou variable {DEBUG_ENV}=1)")
    sub = parser.add_subparsers(title="sous-commandes", dest="command", metavar="COMMANDE")
    for group in GROUPS:
        group.register(sub)
    return parser


def _say(message: str) -> None:
    """The error on stderr: ``Erreur : …``, each line cut to a sane length."""
    lines = [line if len(line) <= MAX_LINE else echo(line, MAX_LINE) for line in str(message).splitlines()]
    print("Erreur : " + "\n".join(lines or [""]), file=sys.stderr)


def check_folder_options(args) -> None:
    """A folder option (or ``ABS_DATA_DIR``) naming an existing file is refused before any work."""
    from abs_lib.config import DATA_DIR_ENV

    for attribute, option, what in FOLDER_OPTIONS:
        if not hasattr(args, attribute):
            continue
        value = getattr(args, attribute)
        where = f"avec {option}"
        if value is None and attribute == "data_dir" and os.environ.get(DATA_DIR_ENV):
            value, where = os.environ[DATA_DIR_ENV], f"dans la variable {DATA_DIR_ENV} ou avec {option}"
        if not value:
            continue
        path = os.path.expanduser(str(value))
        if os.path.exists(path) and not os.path.isdir(path):
            raise UsageError(f"Le {what} « {echo(value, 200)} » est un fichier, pas un dossier : "
                             f"donnez un dossier (existant ou à créer) {where}.")


def _os_error_line(error: OSError, args) -> str:
    """A file system refusal in French, with the option to change when the path is one of them."""
    text = describe_os_error(error)
    failing = os.path.abspath(str(error.filename)) if error.filename is not None else None
    options = [(a, o) for a, o, _ in FOLDER_OPTIONS] + [("output", "-o")]
    for attribute, option in options:
        value = getattr(args, attribute, None)
        if value and failing:
            root = os.path.abspath(os.path.expanduser(str(value)))
            if failing == root or failing.startswith(root.rstrip(os.sep) + os.sep):
                return (f"Impossible d'écrire ou de lire {text}. Choisissez un autre chemin avec {option}, "
                        "ou corrigez les droits de ce dossier.")
    return f"Impossible d'écrire ou de lire {text}. Vérifiez le chemin et ses droits."


@contextlib.contextmanager
def _interrupts_raise(keep_quiet: bool):
    """SIGINT and SIGTERM raise :class:`Interrupted`, cleaned up like Ctrl-C; handlers restored after.

    From the signal on, logging is muted: the work being abandoned (nbclient, asyncio,
    Dask) would otherwise log its own end (« Kernel died… », tasks never retrieved).
    ``keep_quiet``: leave it muted after return (the process is about to end and
    asyncio reports abandoned tasks as it exits); otherwise it is restored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    interrupted = []

    def _raise(signum, frame):
        interrupted.append(signum)
        logging.disable(logging.CRITICAL)
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, _raise) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if interrupted and not keep_quiet:
            logging.disable(logging.NOTSET)


def main(argv: list[str] | None = None) -> int:
    from abs_lib.optional_imports import skip_unused_optional_imports

    skip_unused_optional_imports()  # before any command imports nbformat
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return USAGE
    debug = bool(args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0"))

    def trace() -> None:
        if debug:
            traceback.print_exc()

    try:
        with _interrupts_raise(keep_quiet=argv is None):
            check_folder_options(args)
            return int(args.func(args) or 0)
    except UsageError as error:
        trace()
        _say(str(error))
        return USAGE
    except AbsError as error:
        trace()
        _say(str(error))
        return FAILURE
    except KeyboardInterrupt as error:
        trace()
        signum = error.signum if isinstance(error, Interrupted) else signal.SIGINT
        how = "Ctrl-C" if signum == signal.SIGINT else f"signal {signal.Signals(signum).name}"
        print(f"Interrompu ({how}) : le travail en cours est abandonné sans rien laisser de partiel ; "
              "relancez la même commande pour le refaire.", file=sys.stderr)
        return 128 + int(signum)
    except BrokenPipeError:  # `abs ... | head`: the reader left, nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as error:
        trace()
        _say(_os_error_line(error, args))
        return FAILURE
    except MemoryError:
        trace()
        _say("Mémoire insuffisante pour cette commande : fermez d'autres programmes ou réduisez le territoire "
             "(moins de communes, un seul millésime).")
        return FAILURE
    except Exception as error:  # noqa: BLE001 - the last resort: one line, never a traceback
        trace()
        detail = echo(f"{type(error).__name__} : {error}", 300)
        hint = "" if debug else " Relancez avec « abs --debug … » pour la trace complète et signalez-la."
        _say(f"Erreur inattendue ({detail}).{hint}")
        return FAILURE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
