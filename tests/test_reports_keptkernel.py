"""A batch worker keeps one kernel for its reports: nothing of a report may reach the next one."""

from __future__ import annotations

import base64
import os
import re
import sys

import nbformat
import pytest

from abs_lib.reports.keptkernel import KeptKernel, notebook_imports
from abs_lib.errors import ReportError
from abs_lib.reports.execute import execute_study
from abs_lib.reports.run import build_report
from abs_lib.reports.studies import STUDIES

DIAGNOSTIC = STUDIES["diagnostic"].notebook_path()


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('territoire = ""', metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(source) for source in sources),
    ], metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    nbformat.write(nb, str(path))
    return path


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def _stderr(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")


@pytest.fixture
def kept():
    kernel = KeptKernel()
    yield kernel
    kernel.close()


def test_a_kept_kernel_starts_each_report_as_a_new_kernel_would(tmp_path, kept):
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    study = _notebook(
        tmp_path / "etude.ipynb",
        "import os, warnings\n"
        "print('vu :', sorted(k for k in ('secret', 'territoire_precedent') if k in globals()), os.getcwd())\n"
        "warnings.warn('attention, donnée fragile', UserWarning)\n"
        "territoire_precedent = territoire\nsecret = 42\n"
        f"os.chdir({str(elsewhere)!r})",
        "print(get_ipython().execution_count)",
    )
    runs = []
    pids = []
    for code in ("000000001", "000000002"):
        km = kept.before_report()
        pids.append(kept.pid())
        nb = execute_study(study, tmp_path / f"{code}.ipynb", {"territoire": code}, kernel_manager=km)
        kept.after_report(True)
        runs.append(nb.cells)
    assert pids[0] == pids[1] and kept.started == 1  # one kernel for both reports
    for cells in runs:
        assert _stdout(cells[2]).startswith(f"vu : [] {os.getcwd()}")  # no variable, the kernel's folder
        assert "attention, donnée fragile" in _stderr(cells[2])  # shown again, as in a new kernel
        assert [c.execution_count for c in cells] == [1, 2, 3, 4]  # cells numbered from 1 again
    assert "'territoire': '000000002'" not in _stdout(runs[1][2])


def test_a_kernel_that_failed_a_report_is_replaced(tmp_path, kept):
    failing = _notebook(tmp_path / "echec.ipynb", "import os\nprint(os.getpid())", "raise RuntimeError('cassé')")
    km = kept.before_report()
    first = kept.pid()
    with pytest.raises(ReportError, match="cassé"):
        execute_study(failing, tmp_path / "echec-sortie.ipynb", {}, kernel_manager=km)
    kept.after_report(False)
    assert kept.km is None  # stopped: a failed report may have left anything behind
    ok = _notebook(tmp_path / "ok.ipynb", "import os\nprint(os.getpid())")
    nb = execute_study(ok, tmp_path / "ok-sortie.ipynb", {}, kernel_manager=kept.before_report())
    kept.after_report(True)
    assert kept.pid() != first and kept.started == 2
    assert _stdout(nb.cells[1]).strip() == str(kept.pid())


def test_a_worn_kernel_is_replaced(tmp_path):
    worn = KeptKernel(max_reports=1)
    try:
        study = _notebook(tmp_path / "etude.ipynb", "x = 1")
        for n in range(2):
            execute_study(study, tmp_path / f"sortie{n}.ipynb", {}, kernel_manager=worn.before_report())
            worn.after_report(True)
            assert worn.km is None  # one report only: replaced before the next
        assert worn.started == 2
    finally:
        worn.close()


def _images(page) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', page.read_text("utf-8"))]


def test_a_kept_kernel_writes_the_same_report_as_a_new_kernel(tmp_path):
    """Same figures, byte for byte, and same tables: after another report in a kept kernel, and
    from a new kernel."""
    kept = KeptKernel(modules=notebook_imports(DIAGNOSTIC))
    try:
        for code in ("000000001", "000000002"):
            km = kept.before_report()
            warm = build_report(code, STUDIES["diagnostic"], reports_dir=tmp_path / "garde", kernel_manager=km)
            kept.after_report(True)
        assert kept.started == 1
    finally:
        kept.close()
    bare = KeptKernel()  # a new kernel, nothing imported before the notebook (as papermill starts one)
    try:
        new = build_report("000000002", STUDIES["diagnostic"], reports_dir=tmp_path / "neuf",
                           kernel_manager=bare.before_report())
    finally:
        bare.close()
    images = _images(warm.html)
    assert len(images) >= 8 and images == _images(new.html)
    tables = sorted(p.name for p in warm.folder.glob("*.csv"))
    assert tables and tables == sorted(p.name for p in new.folder.glob("*.csv"))
    for name in tables:
        assert (warm.folder / name).read_bytes() == (new.folder / name).read_bytes(), name


def test_a_kernel_that_cannot_start_is_said_in_french():
    from abs_lib.batch.worker import _kept_kernel_manager

    broken = KeptKernel(kernel_name="noyau-inexistant")
    with pytest.raises(ReportError, match="Le noyau Jupyter du worker n'a pas pu démarrer .*--noyaux-neufs"):
        _kept_kernel_manager(broken)
    assert broken.km is None and broken.started == 0


def test_a_worker_warms_up_while_its_kernel_starts(tmp_path):
    """``WarmUp.setup`` imports papermill while a thread starts the kernel: in a new interpreter
    (nothing imported yet) both imported jupyter_client at once and papermill's import failed."""
    import subprocess

    code = ("from abs_lib.batch import worker\n"
            "from abs_lib.reports.keptkernel import notebook_imports\n"
            f"plugin = worker.WarmUp(preload=notebook_imports({str(DIAGNOSTIC)!r}))\n"
            "plugin.setup(None)\n"
            "assert worker._KEPT_KERNEL.before_report() is not None\n"
            "plugin.teardown(None)\n"
            "print('pret')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.strip() == "pret"


def test_the_kernel_keeps_freed_memory_unless_the_user_said_otherwise(monkeypatch, kept):
    """glibc's allocator settings reach the kernel on Linux (``reports.kernel.KERNEL_MALLOC_SETTINGS``);
    a value the user exported is kept; other systems get nothing added."""
    import psutil

    from abs_lib.reports.kernel import KERNEL_MALLOC_SETTINGS

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    kept.before_report()
    environment = psutil.Process(kept.pid()).environ()
    assert environment["PATH"] == os.environ["PATH"]  # added to this process's environment, not instead of it
    assert environment["MALLOC_TRIM_THRESHOLD_"] == "65536"
    if sys.platform.startswith("linux"):
        assert environment["MALLOC_MMAP_THRESHOLD_"] == KERNEL_MALLOC_SETTINGS["MALLOC_MMAP_THRESHOLD_"] == str(32 * 2**20)
    else:
        assert "MALLOC_MMAP_THRESHOLD_" not in environment


def _kernels() -> list:
    import psutil

    return [p for p in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]


def test_a_single_report_starts_its_kernel_early_and_stops_it(tmp_path, monkeypatch):
    """``build_report`` without a kernel: one kernel, started with the notebook's imports before
    papermill runs, stopped when the notebook has run, whether it succeeded or failed."""
    import psutil

    from abs_lib.reports.studies import Study

    seen = []
    original = KeptKernel.before_report

    def spy(self):
        km = original(self)
        seen.append((list(self.modules), psutil.Process(self.pid()).cmdline()))
        return km

    monkeypatch.setattr(KeptKernel, "before_report", spy)
    result = build_report("000000001", STUDIES["diagnostic"], reports_dir=tmp_path)
    assert result.html.is_file()
    failing = nbformat.read(DIAGNOSTIC, as_version=4)
    failing.cells.insert(3, nbformat.v4.new_code_cell("raise ValueError('exprès')"))
    nbformat.write(failing, tmp_path / "echec.ipynb")
    with pytest.raises(ReportError, match="exprès"):
        build_report("000000001", Study("diagnostic", "Diagnostic", notebook=tmp_path / "echec.ipynb"),
                     reports_dir=tmp_path)
    assert len(seen) == 2
    assert "geopandas" in seen[0][0] and "abs_lib.portrait" in seen[0][0]  # the study's imports, preloaded
    assert all("ipykernel_launcher" in " ".join(cmd) for _, cmd in seen)
    assert _kernels() == []


def test_a_single_report_whose_kernel_cannot_start_says_it_in_french():
    from abs_lib.reports.run import _started

    broken = KeptKernel(kernel_name="noyau-inexistant")
    with pytest.raises(ReportError, match="Le noyau Jupyter n'a pas pu démarrer .*ipykernel"):
        _started(broken)
    broken.close()


def test_the_library_modules_preloaded_are_those_a_study_imports(tmp_path):
    """``LIBRARY_MODULES``, imported in advance by a kept kernel, are modules a diagnostic report
    imports anyway (a module no study uses would only lengthen every kernel's start)."""
    from abs_lib.reports.keptkernel import LIBRARY_MODULES

    nb = nbformat.read(DIAGNOSTIC, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import sys\nprint(sorted(set({list(LIBRARY_MODULES)!r}) - set(sys.modules)))"))
    nbformat.write(nb, tmp_path / "diagnostic.ipynb")
    bare = KeptKernel()  # nothing imported in advance
    try:
        out = execute_study(tmp_path / "diagnostic.ipynb", tmp_path / "fait.ipynb",
                            {"territory": "000000001", "level": "epci", "tables_dir": str(tmp_path / "tableaux")},
                            kernel_manager=bare.before_report())
    finally:
        bare.close()
    assert _stdout(out.cells[-1]).strip() == "[]"
