"""Every error of the ``abs`` command ends in one French line with its fix, never a traceback.

The table ``CASES`` lists the error paths met in the field (issue 10): the command
line, what is set up first, the exit status expected (2: the command line is wrong,
nothing was done; 1: the command started and failed; 130/143: interrupted) and a
fragment of the message. Real signals (Ctrl-C, SIGTERM) during ``abs report`` are
sent to a real ``abs`` process below the table.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from abs_lib.atomic import atomic_write_text, output_path
from abs_lib.batch.index import write_index
from abs_lib.batch.worker import FAILURE, NOT_RUN, SUCCESS, ReportOutcome
from abs_lib.cli import main
from abs_lib.errors import Interrupted, OutputPathError
from abs_lib.reports.run import STALE_STAGING_SECONDS, remove_stale_staging
from abs_lib.reports.studies import Study

REPO = Path(__file__).resolve().parents[1]
DEMO_FILE = REPO / "data" / "demo" / "filosofi" / "FILO2016_DISP_EPCI.csv"


# ---------------------------------------------------------------- set-ups


def _read_only(path: Path, monkeypatch) -> Path:
    """``path`` as a folder where nothing can be created: chmod, and as root (whom chmod does
    not stop) ``os.mkdir`` refusing under it, as the kernel does for anyone else."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o555)
    real_mkdir = os.mkdir

    def mkdir(target, *args, **kwargs):
        if os.path.abspath(str(target)).startswith(str(path.resolve()) + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        return real_mkdir(target, *args, **kwargs)

    real_open = os.open

    def open_(target, flags, *args, **kwargs):
        if flags & os.O_CREAT and os.path.abspath(str(target)).startswith(str(path.resolve()) + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        return real_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "open", open_)
    return path


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bad_yaml(tmp: Path) -> Path:
    path = tmp / "parametres.yaml"
    path.write_text("focus: [logement\nbaseline: 2016\n", encoding="utf-8")
    return path


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "tube")
    return tmp / "tube"


def _device(tmp: Path) -> Path:
    """A node like /dev/full (character device 1,7), made here so a bug cannot harm the real one."""
    target = tmp / "full"
    try:
        os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("créer un périphérique demande les droits root (CAP_MKNOD)")
    return target


def _interrupt(signum: int):
    def setup(tmp: Path, monkeypatch) -> dict:
        def interrupted(*args, **kwargs):
            assert list((tmp / "rapports" / "000000001").glob(".diagnostic.en-cours-*"))  # staging exists
            raise Interrupted(signum) if signum != signal.SIGINT else KeyboardInterrupt()

        monkeypatch.setattr("abs_lib.reports.run.execute_study", interrupted)
        return {}
    return setup


@dataclass
class Case:
    name: str
    argv: list[str]
    code: int
    fragment: str
    setup: Callable | None = None  # (tmp, monkeypatch) -> {placeholder: value}
    real_data: bool = False


CASES = [
    Case("dossier des données qui est un fichier", ["indicators", "000000001", "--data-dir", "{fichier}"], 2,
         "est un fichier, pas un dossier : donnez un dossier"),
    Case("ABS_DATA_DIR qui est un fichier", ["data", "list"], 2, "dans la variable ABS_DATA_DIR",
         lambda tmp, mp: mp.setenv("ABS_DATA_DIR", str(tmp / "fichier")) or {}),
    Case("dossier des données en lecture seule", ["data", "import", str(DEMO_FILE), "--data-dir", "{lecture}"], 1,
         "permission refusée. Choisissez un autre chemin avec --data-dir",
         lambda tmp, mp: {"lecture": str(_read_only(tmp / "ro", mp))}),
    Case("dossier des rapports en lecture seule", ["report", "000000001", "--reports-dir", "{lecture}"], 1,
         "Choisissez un dossier des rapports où vous pouvez écrire (--reports-dir)",
         lambda tmp, mp: {"lecture": str(_read_only(tmp / "ro", mp))}),
    Case("dossier des rapports qui est un fichier", ["report", "000000001", "--reports-dir", "{fichier}"], 2,
         "Le dossier des rapports"),
    Case("lot dans un dossier des rapports en lecture seule",
         ["batch", "--demo", "--all-epci", "--reports-dir", "{lecture}"], 1, "Dossier des rapports",
         lambda tmp, mp: {"lecture": str(_read_only(tmp / "ro", mp))}),
    Case("-o un dossier", ["indicators", "000000001", "-o", "{tmp}"], 2, "est un dossier"),
    Case("-o un tube nommé", ["indicators", "000000001", "-o", "{tube}"], 2, "est un tube nommé (FIFO)",
         lambda tmp, mp: {"tube": str(_fifo(tmp))}),
    Case("-o un périphérique (comme /dev/full)", ["indicators", "000000001", "-o", "{dev}"], 2,
         "est un périphérique", lambda tmp, mp: {"dev": str(_device(tmp))}),
    Case("-o dans un « dossier » qui est un fichier", ["indicators", "000000001", "-o", "{fichier}/x.csv"], 2,
         "est un fichier, pas un dossier"),
    Case("-o XLSX dans un dossier", ["indicators", "000000001", "--format", "xlsx", "-o", "{tmp}"], 2,
         "indicateurs.xlsx"),
    Case("--compare-to sans données", ["indicators", "200000925", "--compare-to", "1990", "--data-dir", "{reel}"],
         1, "Aucune donnée pour le millésime 1990", real_data=True),
    Case("--year sans données", ["indicators", "200000925", "--year", "2050", "--data-dir", "{reel}"], 1,
         "millésimes disponibles pour CC de la Plaine Dijonnaise (EPCI 200000925) : 2011, 2016, 2019",
         real_data=True),
    Case("--year sans données (démo)", ["indicators", "000000001", "--year", "2050"], 1, "Choisissez l'un d'eux"),
    Case("-f YAML mal formé", ["report", "000000001", "-f", "{yaml}", "--reports-dir", "{tmp}"], 2,
         "mal formé (YAML, ligne 2, colonne 9)", lambda tmp, mp: {"yaml": str(_bad_yaml(tmp))}),
    Case("-f introuvable", ["report", "000000001", "-f", "{tmp}/absent.yaml", "--reports-dir", "{tmp}"], 2,
         "fichier ou dossier introuvable. Vérifiez le chemin donné à -f"),
    Case("--limite 0", ["territory", "search", "dijon", "--limite", "0"], 2, "un nombre entier de 1 ou plus"),
    Case("--workers 0", ["batch", "--demo", "--all-epci", "--workers", "0"], 2, "un nombre entier de 1 ou plus"),
    Case("--scheduler mal formé", ["batch", "--demo", "--all-epci", "--scheduler", "nonsense",
                                   "--reports-dir", "{tmp}"], 2, "Forme attendue : tcp://HÔTE:PORT"),
    Case("--scheduler injoignable", ["batch", "--demo", "--all-epci", "--scheduler", "tcp://127.0.0.1:{port}",
                                     "--reports-dir", "{tmp}"], 1, "injoignable à tcp://127.0.0.1",
         lambda tmp, mp: {"port": str(_closed_port())}),
    Case("nom de 100 000 caractères", ["territory", "show", "a" * 100_000], 1, "(100000 caractères)"),
    Case("recherche de 100 000 caractères", ["territory", "search", "a b" * 30_000], 1, "(90000 caractères)"),
    Case("code à 6 chiffres", ["territory", "show", "021292"], 2,
         "« 021292 » n'est pas un code de territoire : 6 chiffres. Un code de commune a 5 caractères"),
    Case("code à 6 chiffres (rapport)", ["report", "021292", "--reports-dir", "{tmp}"], 2,
         "un code d'EPCI (SIREN) 9 chiffres"),
    Case("démo sur un territoire réel", ["demo", "--territory", "21292", "--reports-dir", "{tmp}"], 2,
         "est un code de territoire réel : la démonstration ne porte que sur des territoires fictifs"),
    Case("démo sur un territoire fictif inconnu", ["demo", "--territory", "00999", "--reports-dir", "{tmp}"], 1,
         "Territoire fictif introuvable : « 00999 »"),
    Case("Ctrl-C pendant abs report", ["report", "000000001", "--reports-dir", "{tmp}/rapports"], 130,
         "Interrompu (Ctrl-C)", _interrupt(signal.SIGINT)),
    Case("SIGTERM pendant abs report", ["report", "000000001", "--reports-dir", "{tmp}/rapports"], 143,
         "Interrompu (signal SIGTERM)", _interrupt(signal.SIGTERM)),
    Case("erreur inattendue", ["territory", "years"], 1, "Erreur inattendue (RuntimeError : panne). Relancez avec",
         lambda tmp, mp: mp.setattr("abs_lib.territories.available_years",
                                    lambda: (_ for _ in ()).throw(RuntimeError("panne"))) or {}),
]


@pytest.fixture(scope="module")
def real_data_dir(tmp_path_factory):
    """The real FiLoSoFi and dossier complet extracts, imported once."""
    shared = REPO.parent / "shared" / "data"
    if not shared.is_dir():
        pytest.skip(f"données réelles absentes : {shared} introuvable")
    from abs_lib.sources.importing import import_files
    from abs_lib.sources.store import Store

    root = tmp_path_factory.mktemp("reel")
    files = sorted((shared / "filosofi").glob("*.csv")) + sorted((shared / "insee_dossier_complet").glob("*.csv"))
    assert all(r.ok for r in import_files(files, Store(root)))
    return root


def _run(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_error_is_one_french_line_with_its_exit_status(case, tmp_path, monkeypatch, capsys, request):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fichier").write_text("pas un dossier\n", encoding="utf-8")
    values = {"tmp": str(tmp_path), "fichier": str(tmp_path / "fichier")}
    if case.real_data:
        values["reel"] = str(request.getfixturevalue("real_data_dir"))
    if case.setup:
        values.update(case.setup(tmp_path, monkeypatch) or {})
    argv = [arg.format(**values) if "{" in arg else arg for arg in case.argv]
    start = time.perf_counter()
    code, out, err = _run(argv, capsys)
    assert code == case.code, err
    assert "Traceback" not in out + err
    assert case.fragment in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(("Erreur : ", "Interrompu (", "abs ", "Aucun territoire")), last
    assert len(err) < 3000  # nothing echoed whole
    if "--scheduler" in case.argv:
        assert "Préparation" not in out and time.perf_counter() - start < 15  # checked before the preparation


def test_debug_shows_the_traceback_too(tmp_path, capsys):
    code, _, err = _run(["--debug", "indicators", "000000001", "-o", str(tmp_path)], capsys)
    assert code == 2 and "Traceback" in err and err.strip().splitlines()[-1].startswith("Erreur : ")


def test_interrupted_report_cleans_up_and_removes_day_old_staging(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "rapports" / "000000001"
    old, fresh = folder / ".diagnostic.en-cours-ancien", folder / ".diagnostic.en-cours-recent"
    for path in (old, fresh):
        path.mkdir(parents=True)
        (path / "diagnostic.ipynb").write_text("{}")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    _interrupt(signal.SIGTERM)(tmp_path, monkeypatch)
    code, out, _ = _run(["report", "000000001", "--reports-dir", str(tmp_path / "rapports")], capsys)
    assert code == 143
    assert not old.exists() and fresh.exists()  # a younger one may be a run still going
    assert sorted(p.name for p in folder.iterdir()) == [fresh.name]  # this run's staging removed too
    assert "Dossier de travail abandonné supprimé" in out


def test_remove_stale_staging_only_takes_day_old_staging_folders(tmp_path):
    stale = tmp_path / "21231" / ".actualisation.en-cours-x"
    stale.mkdir(parents=True)
    report = tmp_path / "21231" / "actualisation.html"
    report.write_text("x")
    now = time.time() + STALE_STAGING_SECONDS + 10
    assert remove_stale_staging(tmp_path, now=now) == [stale]
    assert report.exists() and remove_stale_staging(tmp_path / "absent") == []


# ---------------------------------------------------------------- outputs


def test_output_through_a_symbolic_link_replaces_the_file_it_points_to(tmp_path):
    target = tmp_path / "vrai.csv"
    target.write_text("ancien\n")
    target.chmod(0o640)
    link = tmp_path / "lien.csv"
    link.symlink_to(target.name)
    atomic_write_text(link, "nouveau\n")
    assert link.is_symlink() and target.read_text() == "nouveau\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file replaced keeps its permissions
    dangling = tmp_path / "pendant.csv"
    dangling.symlink_to(tmp_path / "neuf" / "cible.csv")  # as a shell redirection: created where it points
    atomic_write_text(dangling, "x")
    assert dangling.is_symlink() and (tmp_path / "neuf" / "cible.csv").read_text() == "x"


def test_output_links_to_special_files_and_loops_are_refused(tmp_path):
    fifo = _fifo(tmp_path)
    (tmp_path / "vers-tube").symlink_to(fifo)
    with pytest.raises(OutputPathError, match="lien symbolique vers .* est un tube nommé"):
        output_path(tmp_path / "vers-tube")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OutputPathError, match="liens symboliques en boucle"):
        atomic_write_text(tmp_path / "a", "x")


def test_a_device_node_is_never_replaced(tmp_path, capsys):
    device = _device(tmp_path)
    (tmp_path / "vers-full").symlink_to(device)
    for target in (device, tmp_path / "vers-full"):
        with pytest.raises(OutputPathError, match="périphérique"):
            atomic_write_text(target, "x")
    assert stat.S_ISCHR(device.stat().st_mode)
    assert not list(tmp_path.glob(".*.tmp"))


# ---------------------------------------------------------------- batch index after an interruption


def test_index_tells_not_run_from_failed_and_links_the_last_good_report(tmp_path):
    study = Study("diagnostic", "Diagnostic sociodémographique", notebook=REPO / "notebooks" / "diagnostic.ipynb")
    for code, files in {"00001": ["diagnostic.html"], "00002": ["diagnostic.ancien.html"],
                        "00003": ["diagnostic.ancien.html", "diagnostic.echec.ipynb"], "00004": []}.items():
        (tmp_path / code).mkdir()
        for name in files:
            (tmp_path / code / name).write_text("x")
    outcomes = [
        ReportOutcome("00001", "commune", "Fictiville", NOT_RUN, generated_at="2025-03-01T08:00:00+01:00",
                      error="lot interrompu avant la fin de ce rapport : relancez le lot pour le produire"),
        ReportOutcome("00002", "commune", "Montchimère", NOT_RUN, error="lot interrompu"),
        ReportOutcome("00003", "commune", "Rêvecourt", FAILURE, error_name="KeyError", error_value="'P16_POP'"),
        ReportOutcome("00004", "commune", "Utopieux", SUCCESS),
    ]
    page = write_index(tmp_path, study, outcomes, description="test", started_at="2025-03-14T09:29:00+01:00")
    rows = page.read_text(encoding="utf-8").split("<tbody>")[1].split("</tr>")
    assert "non lancé" in rows[0] and "échec" not in rows[0]
    assert 'href="00001/diagnostic.html">dernier rapport réussi (antérieur à ce lot)' in rows[0]
    assert "01/03/2025 08:00" in rows[0] and "relancez le lot" in rows[0]
    assert 'href="00002/diagnostic.ancien.html">dernier rapport réussi (périmé)' in rows[1]
    assert "échec" in rows[2] and 'href="00003/diagnostic.ancien.html"' in rows[2]
    assert "href" not in rows[3]  # no page: no dead link
    assert "1 en échec, 0 inchangé(s), 2 non lancé(s)" in page.read_text(encoding="utf-8")


def test_interrupted_batch_lists_what_never_came_back_as_not_run(tmp_path):
    from abs_lib.batch.run import _finish, _remove_staging
    from abs_lib.batch.worker import ReportTask

    study = Study("diagnostic", "Diagnostic", notebook=REPO / "notebooks" / "diagnostic.ipynb")
    tasks = [ReportTask(territory=code, level="commune", name=code, study=study, year=None, data_dir=None,
                        reports_dir=str(tmp_path), params={}, inputs={}) for code in ("00001", "00002")]
    outcomes = [ReportOutcome("00001", "commune", "00001", SUCCESS)]
    staging = tmp_path / "00002" / ".diagnostic.en-cours-abc"
    staging.mkdir(parents=True)
    _remove_staging(tmp_path, "diagnostic", tasks, outcomes)
    assert not staging.exists()
    record = {"description": "", "started_at": "2025-03-14T09:29:00+01:00"}
    _finish(tasks, outcomes, {}, record, time.perf_counter(), 0.0, tmp_path, study, False)
    assert [o.status for o in outcomes] == [SUCCESS, NOT_RUN]
    assert record["interrupted"] and record["counts"][NOT_RUN] == 1 and record["counts"][FAILURE] == 0


# ---------------------------------------------------------------- real signals


def _slow_notebook(path: Path) -> Path:
    nb = new_notebook(cells=[new_code_cell('territory = "21231"\nyear = None\ndata_dir = ""\ntables_dir = ""'),
                             new_code_cell("import time\ntime.sleep(120)")])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.mark.parametrize(("signum", "code", "how"), [(signal.SIGINT, 130, "Ctrl-C"),
                                                     (signal.SIGTERM, 143, "signal SIGTERM")])
def test_a_signal_during_abs_report_stops_the_kernel_and_removes_the_staging_folder(tmp_path, signum, code, how):
    import psutil

    notebook = _slow_notebook(tmp_path / "lent.ipynb")
    reports = tmp_path / "rapports"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from abs_lib.cli import main; sys.exit(main())", "report", "000000001",
         "--notebook", str(notebook), "--reports-dir", str(reports)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    kernels = []
    deadline = time.time() + 90
    while time.time() < deadline and not kernels:
        time.sleep(0.3)
        kernels = [p for p in psutil.Process(process.pid).children(recursive=True)
                   if "ipykernel_launcher" in " ".join(p.cmdline())]
    assert kernels, "le noyau n'a pas démarré"
    time.sleep(3)  # inside the sleeping cell
    assert list((reports / "000000001").glob(".diagnostic.en-cours-*"))
    os.killpg(process.pid, signum)  # as a terminal does for Ctrl-C: the whole process group
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    assert "Traceback" not in out + err
    assert err.strip().splitlines() == [
        f"Interrompu ({how}) : le travail en cours est abandonné sans rien laisser de partiel ; "
        "relancez la même commande pour le refaire."]
    assert not [p for p in (reports / "000000001").iterdir() if ".en-cours-" in p.name]
    psutil.wait_procs(kernels, timeout=10)
    assert not [k for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
