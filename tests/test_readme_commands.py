"""Every command of the README's ```bash blocks is known here, and runs as the README says.

The README is the user's first contact: a command there that fails, or that nobody
checks, is a bug. ``COMMANDS`` maps each README command line (comment removed,
spaces collapsed) to how it is checked. A new README command that is not listed
here makes ``test_every_readme_command_is_listed`` fail.

How they run: through ``bash -c`` exactly as written, with ``abs`` being this
interpreter's abs, in a scratch working folder (so ``./data`` and ``./reports`` are
the README defaults, ``ABS_DATA_DIR`` unset), with the network cut (proxies pointing
at a closed port): only ``abs data fetch`` needs it, and it must then fail in French.
The data are the real extracts of ``../shared/data``, imported by the README's own
``abs data import ~/Téléchargements/*.csv`` with ``HOME`` pointing at a folder whose
``Téléchargements`` holds them. ``make demo``/``make test`` are checked with
``make -n`` (the target exists and runs what the README says), not run recursively.

Slow: the three batches produce ~45 reports (several minutes on 2 cores).
``--scheduler tcp://HOTE:8786`` fails at once: the scheduler is reached before
the indicators of every French EPCI are precomputed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DEMO_STRUCTURES = REPO / "data" / "demo" / "local" / "structures_petite_enfance.csv"
OFFLINE_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused


@dataclass(frozen=True)
class Case:
    """How one README command is checked.

    exit: expected exit code. output: fragments of stdout+stderr. files: path (from the
    working folder) -> fragment of its text ("" : the file exists). make: a Makefile target
    checked with ``make -n`` for ``output`` instead of being run. why: when the expected
    outcome is not plain success, the reason.
    """

    exit: int = 0
    output: tuple[str, ...] = ()
    files: dict = field(default_factory=dict)
    make: str | None = None
    why: str = ""


# The PDF is printed by a Chromium-family browser (CI installs Debian's when it can).
_BROWSER = bool(os.environ.get("ABS_CHROMIUM") or any(
    shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")))

COMMANDS: dict[str, Case] = {
    # -- Démarrer
    "make demo": Case(make="demo", output=("abs demo",)),
    "make test": Case(make="test", output=("-m pytest",)),
    # -- Les données
    "abs data fetch filosofi-disp --vintage 2019": Case(
        exit=1, output=("Erreur : Téléchargement impossible", "hors ligne", "abs data import FICHIER"),
        why="run offline: must fail with a French message saying how to import by hand"),
    "abs data fetch --pour 200000925 --etude actualisation --depuis 2016": Case(
        exit=1, output=("Hors ligne", "https://www.insee.fr/fr/statistiques/fichier/", "abs data import DOSSIER"),
        why="run offline: lists, in French, every file the study needs with its URL, and writes nothing"),
    "abs data import ~/Téléchargements/*.csv": Case(
        exit=1,
        output=("importé  FILO2019_DISP_EPCI.csv : filosofi-disp, millésime 2019, niveau epci",
                "importé  dossier_complet_light_dep21.csv : insee-dossier-complet",
                "importé  DREES_Tab23_dep21__NadNadou.csv : drees-accueil-jeune-enfant",
                "refusé   ptod_agg_iris_21_subset.csv", "fichier(s) importé(s)"),
        why="the shared folder also holds a third party's computed shares (ptod…): refused, exit 1"),
    "abs data import RP2019_LOGEMT_csv.zip": Case(
        exit=1, output=("Fichier introuvable : RP2019_LOGEMT_csv.zip",),
        why="the national dwellings detail file (hundreds of MB) is not among the shared extracts: the line "
            "must fail cleanly; its streaming import is tested on files of the real layout in test_fd_logement.py"),
    "abs data list": Case(output=("filosofi-disp", "insee-dossier-complet", "table(s) dans")),
    # -- Les territoires
    "abs territory show 200000925": Case(output=("CC de la Plaine Dijonnaise", "code 200000925", "21005  Aiserey")),
    "abs territory show 200000925 --year 2019": Case(output=("CC de la Plaine Dijonnaise", "géographie 2019")),
    'abs territory show "plaine dijonnaise"': Case(output=("CC de la Plaine Dijonnaise", "code 200000925")),
    "abs territory search dijon": Case(output=("Dijon (commune 21231", "Dijon Métropole (EPCI 242100410)")),
    # -- Les indicateurs
    "abs indicators 200000925 --format csv > plaine.csv": Case(
        files={"plaine.csv": '"200000925","CC de la Plaine Dijonnaise","epci","territoire","population"'}),
    "abs indicators 200000925 --compare-to 2016 --year 2022 -o evolution.csv": Case(
        output=("lignes écrites dans evolution.csv",), files={"evolution.csv": "200000925"}),
    "abs indicators 000000001 --format xlsx -o demo.xlsx": Case(
        output=("lignes écrites dans demo.xlsx",), files={"demo.xlsx": ""}),
    # -- Les rapports
    "abs report 200000925 --study diagnostic": Case(
        output=("Rapport prêt", "reports/200000925/diagnostic.html"),
        files={"reports/200000925/diagnostic.html": "CC de la Plaine Dijonnaise"}),
    # structures.csv: the README's example file (data/demo/local/), copied into the working folder.
    "abs report 200000925 --study actualisation -p baseline 2016 -p local_data structures.csv": Case(
        output=("Rapport prêt", "reports/200000925/actualisation.html"),
        files={"reports/200000925/actualisation.html": "Places en structures (fichier local)"}),
    "abs report 200000925 --study diagnostic --format html,docx,pdf": (
        Case(output=("Rapport prêt", "version DOCX", "version PDF"),
             files={"reports/200000925/diagnostic.docx": "", "reports/200000925/diagnostic.pdf": ""})
        if _BROWSER else
        Case(exit=1, output=("Export PDF impossible", "ABS_CHROMIUM", "version DOCX"),
             files={"reports/200000925/diagnostic.docx": ""},
             why="no Chromium-family browser on this machine: the page and the DOCX are written, the PDF "
                 "is refused in French with what to install")),
    "abs demo": Case(output=("Rapport de démonstration (territoire fictif)",),
                     files={"reports/000000001/diagnostic.html": "fictif"}),
    # -- Explorer dans JupyterLab (the README's `abs lab 200000925` starts a server and waits: it is run
    # through a real headless JupyterLab in test_lab.py; here the preparation, then `make -n lab`)
    "abs lab 200000925 --preparer-seulement": Case(
        output=("Notebook prêt : explorations/explorer_200000925.ipynb", "jupyter lab explorer_200000925.ipynb"),
        files={"explorations/explorer_200000925.ipynb": "injected-parameters"}),
    "make lab": Case(make="lab", output=("abs lab 000000001",)),
    # -- Les lots de rapports
    "abs batch --departement 21 --study diagnostic": Case(
        exit=1,
        output=("18 réussi(s), 1 en échec", "ÉCHEC 200006682", "Il manque 5 commune(s) sur 53"),
        files={"reports/index.html": "CC de la Plaine Dijonnaise"},
        why="the CA Beaune Côte et Sud (200006682) has 5 communes in Saône-et-Loire (71), absent from "
            "the département 21 extracts: that report fails with a French message, the 18 others are made"),
    "abs batch --communes-of 200000925 --study diagnostic": Case(
        output=("22 réussi(s), 0 en échec",), files={"reports/21005/diagnostic.html": "Aiserey"}),
    "abs batch --demo --all-epci --study diagnostic": Case(
        output=("réussi(s), 0 en échec",), files={"reports/000000001/diagnostic.html": "fictif"}),
    "abs batch --all-epci --scheduler tcp://HOTE:8786": Case(
        exit=1, output=("Erreur : Ordonnanceur Dask injoignable à tcp://HOTE:8786",),
        why="no scheduler at HOTE: must fail cleanly, in French, before any preparation"),
}


def _strip_comment(line: str) -> str:
    """The line without its ``# comment`` (a ``#`` inside quotes or a word is kept)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def readme_commands(text: str) -> list[str]:
    """Command lines of the ```bash blocks: comments removed, continuations joined, spaces collapsed."""
    commands = []
    for block in re.findall(r"^```bash[^\n]*\n(.*?)^```", text, flags=re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+", " ", _strip_comment(line)).strip()
            if command:
                commands.append(command)
    return commands


def test_readme_parser():
    text = "x\n```bash\nabs a   # c\n\nabs b \"x # y\" \\\n  --c\n```\n```\nnot bash\n```\n"
    assert readme_commands(text) == ["abs a", 'abs b "x # y" --c']


def test_every_readme_command_is_listed():
    commands = readme_commands(README.read_text(encoding="utf-8"))
    assert commands, "no ```bash block found in README.md"
    assert len(commands) == len(set(commands)), "a README command appears twice"
    unlisted = [c for c in commands if c not in COMMANDS]
    assert not unlisted, f"README commands not checked by this test (add them to COMMANDS): {unlisted}"
    stale = [c for c in COMMANDS if c not in commands]
    assert not stale, f"COMMANDS lists commands the README no longer has: {stale}"


# -- running them ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def workspace(shared_data, tmp_path_factory):
    """A working folder, a HOME whose Téléchargements holds the shared CSVs, ``abs`` on PATH;
    the README's import command already run (its result is checked by its own case)."""
    root = tmp_path_factory.mktemp("readme")
    work, home, bin_dir = root / "travail", root / "home", root / "bin"
    downloads = home / "Téléchargements"
    for folder in (work, downloads, bin_dir):
        folder.mkdir(parents=True)
    for path in sorted(shared_data.glob("*/*.csv")):
        os.symlink(path, downloads / path.name)
    shutil.copy(DEMO_STRUCTURES, work / "structures.csv")
    # This interpreter's abs, whatever is installed elsewhere; written like pip's console script
    # (the __main__ guard matters: Dask starts its workers by re-importing the main module).
    launcher = bin_dir / "abs"
    launcher.write_text(f"#!{sys.executable}\nimport sys\n\nfrom abs_lib.cli import main\n\n"
                        "if __name__ == \"__main__\":\n    sys.exit(main())\n", encoding="utf-8")
    launcher.chmod(0o755)
    env = {k: v for k, v in os.environ.items()
           if k not in {"ABS_DATA_DIR", "ABS_CACHE_DIR", "NO_PROXY", "no_proxy"}}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", HTTP_PROXY=OFFLINE_PROXY,
               HTTPS_PROXY=OFFLINE_PROXY, http_proxy=OFFLINE_PROXY, https_proxy=OFFLINE_PROXY,
               ALL_PROXY=OFFLINE_PROXY)
    space = {"work": work, "home": home, "env": env, "results": {}}
    space["results"]["abs data import ~/Téléchargements/*.csv"] = _run(
        "abs data import ~/Téléchargements/*.csv", space)
    return space


def _run(command: str, space) -> subprocess.CompletedProcess:
    env = dict(space["env"])
    if "~" in command:
        env["HOME"] = str(space["home"])  # ~/Téléchargements: the shared extracts
    return subprocess.run(["bash", "-c", command], cwd=space["work"], env=env, capture_output=True,
                          text=True, timeout=3600)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_readme_command(command, workspace):
    case = COMMANDS[command]
    if case.make:
        done = subprocess.run(["make", "-n", case.make], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"make target « {case.make} » missing: {done.stderr}"
        for fragment in case.output:
            assert fragment in done.stdout, f"`make {case.make}` does not run {fragment!r}:\n{done.stdout}"
        return
    done = workspace["results"].get(command) or _run(command, workspace)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-4000:]
    assert done.returncode == case.exit, f"exit {done.returncode}, expected {case.exit} ({case.why}):\n{output[-4000:]}"
    for fragment in case.output:
        assert fragment in output, f"{fragment!r} not in the output:\n{output[-4000:]}"
    for name, fragment in case.files.items():
        path = workspace["work"] / name
        assert path.is_file(), f"{name} was not written"
        if fragment:
            assert fragment in path.read_text(encoding="utf-8"), f"{fragment!r} not in {name}"
