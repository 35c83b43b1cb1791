"""``abs lab``: open the interactive explorer study in JupyterLab.

Why a command: the explorer's widgets only live in a running Jupyter (a headless
report cannot show them), and the notebook shipped inside the installed package must
not be edited in place. This copies it into the analyst's own folder with the
territory and data folder injected (papermill's parameters cell, the same one
``abs report`` uses), then starts JupyterLab on that copy.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from abs_lib.cli.data import add_data_dir_option
from abs_lib.errors import AbsError

STUDY = "explorer"
DEFAULT_FOLDER = "explorations"
STOP_SECONDS = 30  # how long JupyterLab gets to stop its kernels after Ctrl-C


def register(sub) -> None:
    p = sub.add_parser(
        "lab",
        help="ouvre l'étude interactive explorer dans JupyterLab",
        description=(
            "Copie le notebook de l'étude explorer dans votre dossier (par défaut ./explorations),\n"
            "avec le territoire et le dossier des données déjà renseignés, puis lance JupyterLab dessus.\n"
            "Le notebook copié vous appartient : une relance ne l'écrase pas (sauf --remplacer).\n"
            "Arrêt : Ctrl-C dans ce terminal.\n\n"
            "Exemples :\n"
            "  abs lab 200000925\n"
            "  abs lab 000000001                            (territoire fictif de démonstration)\n"
            "  abs lab 200000925 --no-browser --port 8888   (sur un serveur, sans navigateur)\n"
            "  abs lab 200000925 --preparer-seulement       (écrit le notebook, affiche la commande)"
        ),
    )
    p.add_argument("territory", metavar="TERRITOIRE", nargs="?", default=None,
                   help="code INSEE du territoire (commune, SIREN d'EPCI…) ; sans lui, le notebook garde "
                        "son territoire par défaut")
    add_data_dir_option(p)
    p.add_argument("--year", "--annee", dest="year", type=int, default=None, metavar="ANNÉE",
                   help="année de la géographie (défaut : la plus récente)")
    p.add_argument("--dossier", "--folder", dest="folder", default=DEFAULT_FOLDER, metavar="DOSSIER",
                   help=f"dossier où copier le notebook (défaut : ./{DEFAULT_FOLDER})")
    p.add_argument("--remplacer", "--replace", dest="replace", action="store_true",
                   help="remplace un notebook déjà copié (vos modifications sont perdues)")
    p.add_argument("--no-browser", "--sans-navigateur", dest="no_browser", action="store_true",
                   help="n'ouvre pas de navigateur (serveur distant : JupyterLab affiche l'adresse à ouvrir)")
    p.add_argument("--port", type=int, default=None, metavar="PORT", help="port de JupyterLab (défaut : le sien, 8888)")
    p.add_argument("--preparer-seulement", "--prepare-only", dest="prepare_only", action="store_true",
                   help="écrit le notebook et affiche la commande JupyterLab, sans la lancer")
    p.set_defaults(func=run)


def _parameters(args) -> dict:
    """The values injected in the copy: territory, level and an absolute data folder."""
    from abs_lib.config import DATA_DIR_ENV
    from abs_lib.config import data_dir as resolve_data_dir
    from abs_lib.demo import demo_geography, is_demo_code
    from abs_lib.reports.parameters import normalize_parameters
    from abs_lib.reports.studies import STUDIES
    from abs_lib.territories import find_territory, load_geography

    if args.territory is None:
        params: dict = {}
        demo = False
    else:
        params = normalize_parameters({"territory": args.territory}, STUDIES[STUDY].parameters)
        demo = is_demo_code(params["territory"])
        geography = demo_geography() if demo else load_geography(args.year)
        place = find_territory(params["territory"], geography=geography)  # unknown: French error, nothing written
        params = {"territory": place.code, "level": place.level}
    if args.year is not None:
        params["year"] = args.year
    if args.data_dir or os.environ.get(DATA_DIR_ENV) or not demo:
        # The kernel runs in the notebook's folder: a relative ./data would point elsewhere.
        params["data_dir"] = str(resolve_data_dir(args.data_dir).resolve())
    return params


def prepare_notebook(args) -> Path:
    """Write the parameterised copy of the explorer notebook; return its path."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from abs_lib.reports.studies import STUDIES

    params = _parameters(args)
    folder = Path(args.folder).expanduser()
    name = f"{STUDY}_{params['territory']}.ipynb" if "territory" in params else f"{STUDY}.ipynb"
    target = folder / name
    if target.exists() and not args.replace:
        print(f"Notebook déjà copié, conservé tel quel : {target} (--remplacer pour repartir de l'original).")
        return target
    source = STUDIES[STUDY].notebook_path()
    notebook = load_notebook_node(str(source))  # papermill's reader: every cell gets its tags list
    if params:
        notebook = parameterize_notebook(notebook, params, comment="Paramètres écrits par abs lab")
    folder.mkdir(parents=True, exist_ok=True)
    from abs_lib.atomic import atomic_write_text

    atomic_write_text(target, nbformat.writes(notebook))
    shown = ", ".join(f"{k} = {v!r}" for k, v in params.items()) or "ceux du notebook"
    print(f"Notebook prêt : {target} (paramètres : {shown}).")
    return target


def lab_command(notebook: Path, args) -> list[str]:
    """The JupyterLab command line, run with this interpreter (the environment abs is in)."""
    command = [sys.executable, "-m", "jupyterlab", notebook.name]  # run from the notebook's folder
    if args.no_browser:
        command.append("--no-browser")
    if args.port is not None:
        command.append(f"--port={args.port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers: Jupyter refuses root without it
        command.append("--allow-root")
    return command


def _jupyterlab_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("jupyterlab") is not None


def run(args) -> int:
    notebook = prepare_notebook(args)
    command = lab_command(notebook, args)
    shown = shlex.join(["jupyter", "lab", *command[3:]])
    if args.prepare_only:
        print(f"Pour l'ouvrir : cd {shlex.quote(str(notebook.parent))} && {shown}")
        return 0
    if not _jupyterlab_installed():
        raise AbsError("JupyterLab n'est pas installé dans cet environnement : installez abs avec ses "
                         "dépendances (pip install -e .[test], ou make install), ou « pip install jupyterlab ».")
    print(f"Lancement de JupyterLab ({shown}) ; Ctrl-C pour l'arrêter.", flush=True)
    process = subprocess.Popen(command, cwd=notebook.parent)
    try:
        return process.wait()
    except KeyboardInterrupt:
        # JupyterLab got the same Ctrl-C; SIGTERM skips its « Shutdown? » question and stops its kernels.
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(f"JupyterLab arrêté. Votre notebook reste dans {notebook}.")
        return 0
