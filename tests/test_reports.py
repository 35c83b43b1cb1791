"""Reports end to end, with real Jupyter kernels (papermill + nbconvert).

Each kernel start costs ~2 s here, so one good report is produced once (through
the ``abs report`` command) and inspected by several tests; the other tests start
one kernel each: the failing study, a kernel working directory, a kernel that
dies at start (retried), and the ``papermill`` command with -p, -r and -f.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from abs_lib import __version__
from abs_lib.cli import main
from abs_lib.errors import ReportError
from abs_lib.reports.execute import execute_study
from abs_lib.reports.export import export_html
from abs_lib.reports.run import build_report
from abs_lib.reports.studies import Study
from abs_lib.sources.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"


def _write_kernelspec(root: Path, name: str, argv: list[str]) -> None:
    folder = root / "kernels" / name
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": name, "language": "python"}), encoding="utf-8")


@pytest.fixture(scope="module")
def good_report(tmp_path_factory):
    """``abs report 1001`` on the good fixture notebook, with a broken ``python3`` kernelspec
    first on JUPYTER_PATH: the report must still run, in this interpreter."""
    root = tmp_path_factory.mktemp("rapport")
    source = root / "demo_population.csv"
    source.write_text("CODGEO;P_POP\n99001;120.5\n", encoding="utf-8")
    store = Store(root / "data")
    entry = store.save(pd.DataFrame({"CODGEO": ["99001"], "P_POP": [120.5]}), dataset="rp-population",
                       vintage=2019, level="commune", origin="import:demo_population.csv",
                       source_file=source, fictional=True)
    decoy = root / "jupyter"
    _write_kernelspec(decoy, "python3", ["/bin/sh", "-c", "exit 3", "{connection_file}"])
    out = io.StringIO()
    cwd_before = os.getcwd()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("JUPYTER_PATH", str(decoy))
        start = time.perf_counter()
        code = main(["report", "1001", "--study", "diagnostic", "--notebook", str(FIXTURES / "report_ok.ipynb"),
                     "--year", "2019", "--data-dir", str(store.root), "--reports-dir", str(root / "reports")])
        seconds = time.perf_counter() - start
    assert code == 0, out.getvalue()
    assert os.getcwd() == cwd_before
    folder = root / "reports" / "01001"
    return {"root": root, "folder": folder, "stdout": out.getvalue(), "entry": entry, "seconds": seconds,
            "html": (folder / "diagnostic.html").read_text(encoding="utf-8"),
            "nb": nbformat.read(folder / "diagnostic.ipynb", as_version=4)}


def test_report_files_and_progress_lines(good_report):
    folder = good_report["folder"]
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["diagnostic.html", "diagnostic.ipynb", "diagnostic.provenance.json"]
    stdout = good_report["stdout"]
    for step in ("1/4 Exécution", "2/4 Export HTML", "3/4 Tableaux", "4/4 Publication", "Rapport prêt"):
        assert step in stdout
    print(f"rapport complet (exécution + export) : {good_report['seconds']:.1f} s")


def test_executed_notebook_has_injected_string_parameters(good_report):
    nb = good_report["nb"]
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert 'territory = "01001"' in injected[0].source and "year = 2019" in injected[0].source
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "Territoire étudié : 01001 | année : 2019" in text


def test_kernel_ran_in_this_interpreter_despite_a_broken_global_kernelspec(good_report):
    text = "".join(o.get("text", "") for c in good_report["nb"].cells for o in c.get("outputs", []))
    assert f"interpreteur={sys.executable}\n" in text


def test_html_has_no_code_no_traceback_and_is_self_contained(good_report):
    page = good_report["html"]
    assert '<html lang="fr">' in page
    assert "jp-InputArea" not in page and "input_area" not in page and "highlight" not in page
    for source_text in ("normalize_code(", "plt.subplots", "warnings.warn", "provenance_block(", "territory ="):
        assert source_text not in page
    assert "Traceback" not in page and "AVERTISSEMENT-DE-TEST" not in page  # stderr warning left out
    assert "CELLULE-MASQUEE" not in page  # cell tagged "remove"
    assert re.search(r'<img [^>]*src="data:image/png;base64,[A-Za-z0-9+/]{100,}', page)
    assert not re.search(r"<(script|link)\b", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_html_title_says_fictional_and_ends_with_provenance(good_report):
    page = good_report["html"]
    assert "<title>Diagnostic sociodémographique — territoire 01001 (territoire fictif — démonstration)</title>" in page
    assert page.rindex("Provenance") > page.rindex("data:image/png")
    assert good_report["entry"].sha256 in page
    assert f"par abs {__version__}" in page and "heure de Paris" in page
    # Cells carry their column's label for phones (data-label="Fichier"…).
    assert re.search(r'<td [^>]*data-label="Fichier"[^>]*>demo_population\.csv</td><td [^>]*>import</td>', page)
    record = json.loads((good_report["folder"] / "diagnostic.provenance.json").read_text(encoding="utf-8"))
    assert record["fictional"] is True
    assert record["parameters"] == {"territory": "01001", "year": 2019}
    assert record["sources"][0]["sha256"] == good_report["entry"].sha256
    assert record["notebook_sha256"] and record["abs_version"] == __version__
    assert record["files"][-1] == "diagnostic.html"


def test_failing_study_keeps_no_valid_looking_output(good_report, tmp_path):
    """A failing run: error with the cell's text; the previous good page is renamed .ancien.html."""
    reports = tmp_path / "reports"
    shutil.copytree(good_report["folder"], reports / "01001")
    old_page = (reports / "01001" / "diagnostic.html").read_text(encoding="utf-8")
    study = Study("diagnostic", "Diagnostic sociodémographique", notebook=FIXTURES / "report_fail.ipynb")
    with pytest.raises(ReportError) as caught:
        build_report("01001", study, data_dir=good_report["root"] / "data", reports_dir=reports)
    message = str(caught.value)
    assert "ValueError : dénominateur nul pour le territoire 01001" in message
    assert "denominator = 0" in message  # excerpt of the failing cell
    folder = reports / "01001"
    assert f"conservé pour diagnostic : {folder / 'diagnostic.echec.ipynb'}" in message
    assert f"renommé {folder / 'diagnostic.ancien.html'}" in message
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["diagnostic.ancien.html", "diagnostic.ancien.ipynb", "diagnostic.ancien.provenance.json",
                     "diagnostic.echec.ipynb"]
    assert (folder / "diagnostic.ancien.html").read_text(encoding="utf-8") == old_page
    failed = nbformat.read(folder / "diagnostic.echec.ipynb", as_version=4)
    assert any(o.output_type == "error" for c in failed.cells for o in c.get("outputs", []))
    with pytest.raises(ReportError, match="erreur d'exécution"):
        export_html(failed, folder / "essai.html", title="Essai")
    assert not (folder / "essai.html").exists()


def test_study_without_provenance_block_is_refused(tmp_path):
    study = Study("essai", "Essai", notebook=FIXTURES / "params_echo.ipynb")
    with pytest.raises(ReportError, match="bloc de provenance"):
        build_report("21231", study, data_dir=tmp_path / "data", reports_dir=tmp_path / "reports")
    folder = tmp_path / "reports" / "21231"
    assert sorted(p.name for p in folder.iterdir()) == ["essai.echec.ipynb"]  # executed, kept as failed


def test_execute_study_runs_the_kernel_in_cwd_without_chdir(tmp_path):
    notebook = tmp_path / "cwd.ipynb"
    nbformat.write(new_notebook(cells=[
        new_code_cell('territory = "21231"', metadata={"tags": ["parameters"]}),
        new_code_cell("import os\nprint(os.getcwd(), territory)"),
    ], metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}), notebook)
    work = tmp_path / "travail"
    work.mkdir()
    before = os.getcwd()
    start = time.perf_counter()
    nb = execute_study(notebook, tmp_path / "out" / "cwd.ipynb", {"territory": "01001"}, cwd=work)
    print(f"exécution d'un notebook minimal : {time.perf_counter() - start:.1f} s")
    assert os.getcwd() == before
    assert nb.cells[-1].outputs[0].text.strip() == f"{work.resolve()} 01001"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cwd.ipynb"]


def test_kernel_dying_at_start_is_retried_then_reported(tmp_path, monkeypatch):
    counter = tmp_path / "starts.txt"
    _write_kernelspec(tmp_path / "jupyter", "noyau-mort",
                      ["/bin/sh", "-c", f"echo start >> {counter}; exit 1", "{connection_file}"])
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    output = tmp_path / "out" / "params.ipynb"
    with pytest.raises(ReportError, match="n'a pas démarré"):
        execute_study(FIXTURES / "params_echo.ipynb", output, {"territory": "01001"},
                      kernel_name="noyau-mort", start_retries=1)
    assert counter.read_text().split() == ["start", "start"]
    assert not output.exists()


def test_unknown_kernel_is_not_retried(tmp_path):
    with pytest.raises(ReportError, match="noyau Jupyter introuvable"):
        execute_study(FIXTURES / "params_echo.ipynb", tmp_path / "x.ipynb", {}, kernel_name="noyau-inexistant")


@pytest.mark.parametrize(
    ("how", "args", "injected"),
    [
        ("-p", ["-p", "territory", "01001"], "territory = 1001"),  # papermill turns it into an int
        ("-r", ["-r", "territory", "01001"], 'territory = "01001"'),
        ("-f", ["-f", "params.yaml"], 'territory = "01001"'),
    ],
)
def test_papermill_command_line_code_survives(tmp_path, how, args, injected):
    (tmp_path / "params.yaml").write_text('territory: "01001"\n', encoding="utf-8")
    output = tmp_path / "out.ipynb"
    completed = subprocess.run(
        [sys.executable, "-m", "papermill", str(FIXTURES / "params_echo.ipynb"), str(output),
         "-k", "python3", "--no-progress-bar", *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    nb = nbformat.read(output, as_version=4)
    injected_cell = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert injected in injected_cell.source
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert printed.strip() == "territoire normalisé : 01001"
