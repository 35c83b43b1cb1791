"""The kernel fork server rehearses a packaged study on the demo: nothing of it may reach a report."""

from __future__ import annotations

import base64
import os
import re

import nbformat
import pytest

from abs_lib.batch.forkkernel import ForkServer, notebook_imports
from abs_lib.batch.rehearsal import rehearse
from abs_lib.reports.run import build_report
from abs_lib.reports.studies import STUDIES

DIAGNOSTIC = STUDIES["diagnostic"].notebook_path()
UPDATE = STUDIES["actualisation"].notebook_path()


def test_rehearsal_runs_both_packaged_studies_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert rehearse(DIAGNOSTIC) is True
    assert rehearse(UPDATE) is True
    assert os.getcwd() == str(tmp_path)
    assert list(tmp_path.iterdir()) == []  # tables, provenance: all in its own temporary folder
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""  # its displays and warnings are not the worker's log


def test_a_failing_rehearsal_only_says_false(tmp_path, monkeypatch):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('territory = "200000925"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("assert territory == '000000001'\nraise RuntimeError('cassé')"),
    ])
    path = tmp_path / "etude.ipynb"
    nbformat.write(nb, str(path))
    work = tmp_path / "travail"
    work.mkdir()
    monkeypatch.chdir(work)
    assert rehearse(path) is False  # the demo territory was set after the parameters cell, then it failed
    assert os.getcwd() == str(work) and list(work.iterdir()) == []


def _images(page) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', page.read_text("utf-8"))]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork server needs fork (Linux, macOS)")
def test_a_rehearsed_kernel_writes_the_same_report_as_a_new_kernel(tmp_path):
    """Same figures, byte for byte, and same tables, from a rehearsed fork and from a new kernel."""
    old_path = os.environ.get("JUPYTER_PATH")
    server = ForkServer(notebook_imports(DIAGNOSTIC), rehearse=str(DIAGNOSTIC))
    try:
        kernel = server.kernel_name()
        assert kernel == ForkServer.KERNEL_NAME, "the fork server did not start"
        warm = build_report("000000002", STUDIES["diagnostic"], reports_dir=tmp_path / "prechauffe",
                            kernel_name=kernel)
    finally:
        server.close()
    assert os.environ.get("JUPYTER_PATH") == old_path
    new = build_report("000000002", STUDIES["diagnostic"], reports_dir=tmp_path / "neuf", kernel_name="python3")
    images = _images(warm.html)
    assert len(images) >= 8 and images == _images(new.html)
    tables = sorted(p.name for p in warm.folder.glob("*.csv"))
    assert tables and tables == sorted(p.name for p in new.folder.glob("*.csv"))
    for name in tables:
        assert (warm.folder / name).read_bytes() == (new.folder / name).read_bytes(), name
