"""``abs report --format html,docx,pdf`` end to end (a real Jupyter kernel on the test notebook).

The PDF is printed by the Chromium-family browser found on the machine; without
one, the tests needing it skip, saying so. The missing-browser path is tested
everywhere with ``ABS_CHROMIUM`` naming a program that is not a browser.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from abs_lib.cli import main
from abs_lib.errors import ReportError
from abs_lib.reports.pdf import ENV_VAR, BROWSER_ARGS, BrowserNotFoundError, candidate_browsers, export_pdf
from abs_lib.reports.run import parse_formats
from abs_lib.sources.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"


def _store(root: Path) -> Path:
    source = root / "demo_population.csv"
    source.write_text("CODGEO;P_POP\n99001;120.5\n", encoding="utf-8")
    store = Store(root / "data")
    store.save(pd.DataFrame({"CODGEO": ["99001"], "P_POP": [120.5]}), dataset="rp-population", vintage=2019,
               level="commune", origin="import:demo_population.csv", source_file=source, fictional=True)
    return store.root


def _report(root: Path, *options: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["report", "1001", "--notebook", str(FIXTURES / "report_ok.ipynb"), "--data-dir",
                     str(root / "data"), "--reports-dir", str(root / "reports"), *options])
    return code, out.getvalue(), err.getvalue()


def _browser_executable() -> str:
    """The browser the PDF export would use, as a program path (for its own ``--print-to-pdf``)."""
    try:
        found = [b.executable for b in candidate_browsers() if b.executable]
    except BrowserNotFoundError as error:
        pytest.skip(f"pas de navigateur pour le PDF / no browser for the PDF: {error}")
    if not found:
        pytest.skip("aucun Chromium/Chrome/Edge sur le PATH ni dans ABS_CHROMIUM / no Chromium-family browser "
                    "on PATH or in ABS_CHROMIUM (Debian: apt-get install chromium)")
    return found[0]


def chromium_own_print_pages(executable: str, html: Path, workdir: Path) -> int:
    """Pages of Chromium's own print of ``html`` (``--print-to-pdf``, no header/footer)."""
    import pypdf

    target = workdir / "impression-chromium.pdf"
    subprocess.run([executable, "--headless", "--no-sandbox", *BROWSER_ARGS, f"--user-data-dir={workdir / 'profil'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={target}", html.resolve().as_uri()],
                   check=True, capture_output=True, timeout=300)
    return len(pypdf.PdfReader(str(target)).pages)


def test_parse_formats():
    assert parse_formats("html") == ("html",)
    assert parse_formats(" PDF,docx ") == ("html", "docx", "pdf")  # HTML always, fixed order
    assert parse_formats(["docx", ".pdf", ""]) == ("html", "docx", "pdf")
    with pytest.raises(ReportError, match="Format de rapport inconnu : odt, rtf. Formats possibles : html, docx, pdf"):
        parse_formats("html,odt,rtf")


def test_cli_refuses_an_unknown_format_before_running(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "1001", "--format", "html,odt", "--reports-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "Format de rapport inconnu : odt" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_wrong_browser_path_is_refused_in_french(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "absent" / "chromium"))
    with pytest.raises(BrowserNotFoundError, match="ABS_CHROMIUM indique .* qui n'est pas un fichier"):
        export_pdf(tmp_path / "x.html", tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_without_a_browser_the_other_formats_are_written(tmp_path, monkeypatch):
    """No usable browser: HTML and DOCX published, no PDF (not even an older one), exit 1 with the fix."""
    root = tmp_path
    _store(root)
    fake = root / "pas-un-navigateur"
    fake.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    folder = root / "reports" / "01001"
    folder.mkdir(parents=True)
    monkeypatch.setenv(ENV_VAR, str(fake))
    code, out, err = _report(root, "--format", "html,docx,pdf")
    assert code == 1, out + err
    assert "Format PDF non produit (les autres fichiers sont écrits)" in err
    assert "installez Chromium, Google Chrome ou Microsoft Edge" in err and ENV_VAR in err
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["diagnostic.docx", "diagnostic.html", "diagnostic.ipynb", "diagnostic.provenance.json"]
    record = json.loads((folder / "diagnostic.provenance.json").read_text(encoding="utf-8"))
    assert record["files"][-1] == "diagnostic.html" and "diagnostic.docx" in record["files"]
    assert "version DOCX" in out


def test_pdf_and_docx_are_published_and_never_left_stale(tmp_path, monkeypatch):
    import docx
    import pypdf

    executable = _browser_executable()
    monkeypatch.delenv(ENV_VAR, raising=False)
    _store(tmp_path)
    folder = tmp_path / "reports" / "01001"
    code, out, err = _report(tmp_path, "--format", "html,docx,pdf")
    assert code == 0, out + err
    assert f"version PDF : {folder / 'diagnostic.pdf'}" in out
    pdf = pypdf.PdfReader(str(folder / "diagnostic.pdf"))
    assert pdf.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4 portrait, in points
    assert pdf.pages[0].mediabox.height == pytest.approx(842, abs=1)
    text = pdf.pages[0].extract_text()
    assert f"Page 1 sur {len(pdf.pages)}" in text and "Gabarit de test" in text
    assert "Sommaire" not in text  # the table of contents is for screens
    assert len(pdf.pages) == chromium_own_print_pages(executable, folder / "diagnostic.html", tmp_path)
    assert docx.Document(str(folder / "diagnostic.docx")).paragraphs[0].style.name == "Heading 1"

    code, out, err = _report(tmp_path)  # HTML only now: the older DOCX and PDF must go
    assert code == 0, out + err
    assert sorted(p.name for p in folder.iterdir()) == [
        "diagnostic.html", "diagnostic.ipynb", "diagnostic.provenance.json"]
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".") and p.is_file()]  # no temporary file
