"""The study notebooks end to end: papermill execution, HTML export, figures checked
against the library's own tables, on the real Côte-d'Or extracts and on the demo."""

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from abs_lib.demo import demo_local_structures
from abs_lib.portrait import open_portrait
from abs_lib.portrait.display import key_figures
from abs_lib.reports.run import build_report
from abs_lib.reports.studies import notebooks_dir

REAL = ["200000925", "242100410"]


def _key_figure_output(notebook_path: Path) -> str:
    nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and ("show_key_figures" in "".join(cell["source"]) or "update_key_figures" in "".join(cell["source"])):
            return "".join(o["data"]["text/html"] if isinstance(o["data"]["text/html"], str) else "".join(o["data"]["text/html"])
                           for o in cell["outputs"] if "text/html" in o.get("data", {}))
    raise AssertionError("no key-figure cell")


def _check_html(page: Path, *, fictional: bool, images: int = 3):
    text = page.read_text(encoding="utf-8")
    assert '<html lang="fr">' in text
    assert "open_portrait(" not in text and "from abs_lib" not in text, "input code leaked into the report"
    assert "Traceback" not in text and "Error" not in text.replace("FigureError", "")
    assert text.count("data:image/png;base64,") >= images
    assert "<section class=\"abs-provenance\"" in text and "SHA-256" in text
    assert ("fictif" in text.split("</title>")[0]) == fictional


def _check_layout(page: Path, study: str):
    """Issue 11: summary and key figures first, « Vos communes », then one « Données manquantes »
    and the « Notes de méthode » last; no developer notes, raw commands or unreachable file pointers."""
    text = page.read_text(encoding="utf-8")
    titles = re.findall(r"<h2[^>]*>(.*?)</h2>", text)
    titles = [html.unescape(re.sub(r"<[^>]+>", "", t)).strip().rstrip("¶").strip() for t in titles]
    titles = [t for t in titles if t != "Sommaire"]   # the page's table of contents (reports/export.py)
    opening = "L'essentiel" if study == "diagnostic" else "L'essentiel : avant / après"
    order = [opening, "Vos communes", "Synthèse des enjeux", "Données manquantes", "Notes de méthode"]
    assert [t for t in titles if t in order] == order, titles
    assert titles.index("Vos communes") == 1
    assert 'id="abs-key-figures"' in text and 'id="abs-communes"' in text and 'class="abs-summary"' in text
    head = text.split("L&#x27;essentiel" if "L&#x27;essentiel" in text else "L'essentiel", 1)[0]
    assert "déduite des codes communes" not in head and "LIBGEO" not in text
    assert "Sources absentes" not in text and "docs/indicators.md" not in text and "`abs data" not in text
    assert "<code>abs data" in text or "Toutes les sources attendues sont présentes" in text


def _check_key_figures(result, portrait):
    shown = html.unescape(_key_figure_output(result.notebook))
    for _, row in key_figures(portrait).iterrows():
        assert row["Valeur"] in shown, f"{row['Indicateur']}: {row['Valeur']} not in the report"


@pytest.mark.parametrize("territory", REAL)
@pytest.mark.parametrize("study", ["diagnostic", "actualisation"])
def test_real_studies(territory, study, real_store, tmp_path):
    extra = {"baseline": 2016} if study == "actualisation" else None
    result = build_report(territory, study, data_dir=real_store, reports_dir=tmp_path, extra_params=extra)
    # The update's only figure is the childcare coverage chart: these extracts hold no coverage rate
    # for the territory or its references, so the page says why instead of drawing empty bars.
    _check_html(result.html, fictional=False, images=3 if study == "diagnostic" else 0)
    if study == "actualisation":
        assert "Figure non disponible" in result.html.read_text(encoding="utf-8")
    _check_layout(result.html, study)
    _check_key_figures(result, open_portrait(territory, data_dir=real_store))
    names = {p.name for p in result.tables}
    assert f"{study}_indicateurs.csv" in names and f"{study}_tableaux.xlsx" in names


@pytest.mark.parametrize("study", ["diagnostic", "actualisation"])
def test_demo_studies(study, tmp_path):
    extra = {"local_data": str(demo_local_structures())} if study == "actualisation" else None
    result = build_report("000000001", study, reports_dir=tmp_path, extra_params=extra)
    assert result.fictional
    _check_html(result.html, fictional=True, images=3 if study == "diagnostic" else 1)
    _check_layout(result.html, study)
    _check_key_figures(result, open_portrait("000000001"))
    if study == "actualisation":
        text = result.html.read_text(encoding="utf-8")
        assert "Places en structures (fichier local)" in text
        # The notebook's last cell records the study's own parameters, resolved.
        from abs_lib.sources.store import sha256_of

        params = json.loads(result.provenance.read_text(encoding="utf-8"))["parameters"]
        local = demo_local_structures()
        assert params["local_data"] == {"file": local.name, "sha256": sha256_of(local)}
        assert isinstance(params["baseline"], int) and isinstance(params["update"], int)
        assert params["focus"] and params["data_dir"] == "données de démonstration d'abs"


def test_explorer_runs_headless(tmp_path):
    result = build_report("000000002", "explorer", reports_dir=tmp_path)
    assert "Thème" in result.notebook.read_text(encoding="utf-8")  # the widget was built


def test_numeric_territory_code_survives_papermill_p(real_store, tmp_path):
    """`papermill -p territory 200000925` injects an int: the notebook still finds the EPCI."""
    out = tmp_path / "out.ipynb"
    subprocess.run(
        [sys.executable, "-m", "papermill", str(notebooks_dir() / "diagnostic.ipynb"), str(out),
         "-p", "territory", "200000925", "-p", "data_dir", str(real_store), "--no-progress-bar"],
        check=True, capture_output=True, text=True, timeout=300,
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert "territory = 200000925" in "".join(injected["source"])  # papermill made it a number
    intro = "".join("".join(o.get("data", {}).get("text/html", "")) for o in nb["cells"][2]["outputs"])
    assert "CC de la Plaine Dijonnaise" in intro and "200000925" in intro


def _focus_section(page: str) -> tuple[str, str]:
    """The priority themes (before/after) and the other themes of an actualisation page."""
    body = page.split("<main", 1)[-1]  # past the page's « Sommaire », which names the sections too
    after = body.split("Thèmes prioritaires : avant / après", 1)[1]
    focus, others = after.split("Tous les thèmes au dernier millésime", 1)
    return focus, others


def test_actualisation_parameters_typed_from_the_command_line(real_store, tmp_path, capsys):
    """`abs report 200000925 --study actualisation -p baseline 2016 -p focus logement`: both values
    arrive as text; the year must become an int and the theme a one-item list (not letters)."""
    from abs_lib.cli import main

    code = main(["report", "200000925", "--study", "actualisation", "-p", "baseline", "2016",
                 "-p", "focus", "logement", "--data-dir", str(real_store), "--reports-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    folder = tmp_path / "200000925"
    page = (folder / "actualisation.html").read_text(encoding="utf-8")
    focus, others = _focus_section(page)
    heading = re.compile(r"<h3[^>]*>Logement</h3>")  # the page gives headings ids (id="logement")
    assert heading.search(focus) and not heading.search(others)
    assert not re.search(r"<h3[^>]*>l</h3>", page)  # the theme was not split into letters
    assert "Traceback" not in page
    requested = json.loads((folder / "actualisation.provenance.json").read_text(encoding="utf-8"))
    assert requested["requested_parameters"]["baseline"] == 2016
    assert requested["requested_parameters"]["focus"] == ["logement"]


def test_actualisation_parameters_typed_through_papermill(real_store, tmp_path):
    """Papermill directly, with the types its command line produces (`-p territory 200000925
    -p baseline 2016 -p focus logement`: ints and a string): the notebook types them itself."""
    import papermill

    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(notebooks_dir() / "actualisation.ipynb"), str(out), kernel_name="python3", progress_bar=False,
        parameters={"territory": 200000925, "baseline": 2016, "focus": "logement", "data_dir": str(real_store)},
    )
    nb = json.loads(out.read_text(encoding="utf-8"))
    injected = "".join(next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))["source"])
    assert "territory = 200000925" in injected and "baseline = 2016" in injected and 'focus = "logement"' in injected
    def html_of(call):
        cell = next(c for c in nb["cells"] if call in "".join(c["source"]))
        return "".join("".join(o.get("data", {}).get("text/html", "")) for o in cell["outputs"])

    focus, others = html_of("show.focus_themes("), html_of("show.other_themes(")
    assert "<h3>Logement</h3>" in focus and "<h3>Logement</h3>" not in others
    assert "<h3>l</h3>" not in focus
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
