"""Report machinery without a Jupyter kernel: parameters, provenance, tables, export, CLI errors."""

from __future__ import annotations

import base64
import io
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from abs_lib import __version__
from abs_lib.cli import main
from abs_lib.errors import AbsError, ReportError
from abs_lib.reports.export import export_html
from abs_lib.reports.parameters import Param, normalize_code, normalize_parameters
from abs_lib.reports.provenance import PROVENANCE_MIME, provenance_block, read_provenance
from abs_lib.reports.studies import STUDIES, Study, get_study
from abs_lib.reports.tables import read_csv, save_tables
from abs_lib.sources.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"


# -- parameters --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "level", "expected"),
    [
        (1001, None, "01001"),          # papermill -p territory 01001
        (1001, "commune", "01001"),
        ("01001", None, "01001"),
        (" 2a004 ", None, "2A004"),
        (21231.0, None, "21231"),
        (200000925, None, "200000925"),  # EPCI SIREN
        ("200000925", "epci", "200000925"),
        (1, "departement", "01"),
        (1, "département", "01"),
        (1, "region", "01"),
        (1, None, "01"),
        (971, None, "971"),
        (971, "departement", "971"),
        ("2B", "departement", "2B"),
        (11, "région", "11"),
    ],
)
def test_normalize_code_restores_insee_shape(value, level, expected):
    assert normalize_code(value, level=level) == expected


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (971, "region"),
        ("abc", None),
        (True, None),
        (10.5, None),
        (-1001, None),
        ("", None),
        (None, None),
        ([1001], None),
    ],
)
def test_normalize_code_refuses_what_it_cannot_restore(value, level):
    with pytest.raises(ReportError):
        normalize_code(value, level=level)


def test_unknown_level_is_a_french_error():
    with pytest.raises(ReportError, match="Niveau inconnu"):
        normalize_code("01001", level="canton")


def test_fictional_demo_codes_need_the_level_hint():
    # The demo's EPCI "000000001" arrives as 1 through papermill -p.
    assert normalize_code(1, level="epci") == "000000001"
    assert normalize_code(1, level="commune") == "00001"
    assert normalize_code(1) == "01"


def test_parameter_files_keep_leading_zero_codes_as_text(tmp_path):
    from abs_lib.cli.report import _load_yaml

    text = "territory: 01001\ncomparison: 01\ncount: 0\nyear: 2019\nname: 2A004\n"
    # Plain YAML 1.1 (PyYAML, papermill -f) reads 01001 as the octal number 513.
    assert yaml.safe_load(text)["territory"] == 513
    assert _load_yaml(io.StringIO(text)) == {"territory": "01001", "comparison": "01", "count": 0,
                                            "year": 2019, "name": "2A004"}


def test_normalize_parameters_uses_the_spec():
    spec = {
        "territory": Param("code"),
        "comparison": Param("code", level_param="comparison_level"),
        "year": Param("int", optional=True),
        "label": Param("str"),
        "demo": Param("bool"),
    }
    out = normalize_parameters(
        {"territory": 1001, "comparison": 1, "comparison_level": "epci", "year": "2019",
         "label": 2019, "demo": "oui", "other": 5},
        spec,
    )
    assert out == {"territory": "01001", "comparison": "000000001", "comparison_level": "epci",
                   "year": 2019, "label": "2019", "demo": True, "other": 5}
    assert normalize_parameters({"year": None}, spec) == {"year": None}
    with pytest.raises(ReportError, match="manquant"):
        normalize_parameters({"territory": None}, spec)
    with pytest.raises(ReportError, match="entier"):
        normalize_parameters({"year": "deux mille"}, spec)


def test_study_registry():
    assert set(STUDIES) == {"diagnostic", "actualisation", "explorer"}
    assert get_study("diagnostic").parameters["territory"].kind == "code"
    with pytest.raises(ReportError, match="Étude inconnue"):
        get_study("bilan")
    with pytest.raises(ReportError, match="introuvable"):
        Study("absente", "Absente", notebook=Path("/nulle/part.ipynb")).notebook_path()


def test_study_notebook_needs_a_parameters_cell(tmp_path):
    path = tmp_path / "sans_parametres.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell('territory = "21231"')]), path)
    with pytest.raises(ReportError, match="parameters"):
        Study("essai", "Essai", notebook=path).notebook_path()
    assert Study("essai", "Essai", notebook=FIXTURES / "report_ok.ipynb").notebook_path() == FIXTURES / "report_ok.ipynb"


def test_fixture_notebooks_are_stored_without_outputs():
    for path in FIXTURES.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and 'territory = "21231"' in tagged[0].source, path.name


# -- provenance --------------------------------------------------------------------------------

@pytest.fixture
def fictional_store(tmp_path):
    source = tmp_path / "demo_population.csv"
    source.write_text("CODGEO;P_POP\n99001;120.5\n", encoding="utf-8")
    store = Store(tmp_path / "data")
    store.save(pd.DataFrame({"CODGEO": ["99001"], "P_POP": [120.5]}), dataset="rp-population",
               vintage=2019, level="commune", origin="import:demo_population.csv", source_file=source,
               fictional=True)
    return store


def test_provenance_block_from_store_entries(fictional_store):
    entries = fictional_store.entries()
    when = datetime(2024, 7, 1, 12, 0, tzinfo=timezone.utc)
    block = provenance_block(entries, parameters={"territory": "01001", "year": 2019}, study="diagnostic", now=when)
    assert block.fictional is True
    assert block.generated_at == "2024-07-01T14:00:00+02:00"  # Europe/Paris, summer time
    assert block.abs_version == __version__
    page = block.to_html()
    assert entries[0].sha256 in page
    assert "Provenance" in page and "14:00 (heure de Paris)" in page
    assert "<td>demo_population.csv</td><td>import</td>" in page and "fictifs" in page
    assert "&#x27;01001&#x27;" in page  # parameters shown as typed (a string)
    bundle = block._repr_mimebundle_()
    assert bundle[PROVENANCE_MIME]["sources"][0]["sha256"] == entries[0].sha256
    assert "text/html" in bundle and "text/plain" in bundle


def test_provenance_block_reads_data_dir_filters_datasets_and_accepts_dicts(fictional_store):
    assert len(provenance_block(data_dir=fictional_store.root).sources) == 1
    assert provenance_block(data_dir=fictional_store.root, datasets=["filosofi"]).sources == []
    real = {"dataset": "filosofi", "vintage": 2019, "level": "epci", "geography_year": 2022,
            "origin": "https://exemple.invalid/f.zip", "source_file": "f.zip", "sha256": "ab" * 32}
    block = provenance_block([real], parameters={})
    assert block.fictional is False
    assert "2022" in block.to_html() and "fictifs" not in block.to_html()


def test_read_provenance_from_an_executed_notebook_node(fictional_store):
    block = provenance_block(data_dir=fictional_store.root, parameters={"territory": "01001"})
    nb = new_notebook(cells=[new_code_cell("x", outputs=[
        new_output("execute_result", data=block._repr_mimebundle_(), execution_count=1)])])
    nbformat.validate(nb)
    assert read_provenance(nb)["parameters"] == {"territory": "01001"}
    assert read_provenance(new_notebook(cells=[])) is None


# -- tables ------------------------------------------------------------------------------------

def test_save_tables_keeps_codes_as_text(tmp_path):
    frame = pd.DataFrame({"code": ["01001", "2A004"], "population": [767.25, 120.0]})
    long_name = "part des familles monoparentales parmi les familles avec enfants"
    written = save_tables({"population": frame, long_name: frame}, tmp_path, "diagnostic")
    names = sorted(p.name for p in written)
    assert "diagnostic_population.csv" in names and "diagnostic_tableaux.xlsx" in names
    raw = (tmp_path / "diagnostic_population.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"code;population" in raw and b"767,25" in raw  # French Excel
    back = read_csv(tmp_path / "diagnostic_population.csv", dtype={"code": str})
    assert back["code"].tolist() == ["01001", "2A004"]
    assert back["population"].tolist() == [767.25, 120.0]
    sheets = pd.read_excel(tmp_path / "diagnostic_tableaux.xlsx", sheet_name=None, dtype={"code": str},
                           engine="openpyxl")
    assert all(len(name) <= 31 for name in sheets)
    assert [s["code"].tolist() for s in sheets.values()] == [["01001", "2A004"]] * 2
    assert save_tables({}, tmp_path / "vide", "diagnostic") == []


# -- export (hand-built executed notebooks) ----------------------------------------------------

def _png_bytes() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _executed(*extra_cells):
    png = base64.b64encode(_png_bytes()).decode()
    cells = [
        new_code_cell('territory = "01001"', metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("## Population"),
        new_code_cell("afficher_figure()", execution_count=2,
                      outputs=[new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})]),
        new_code_cell("secret()", execution_count=3, metadata={"tags": ["remove"]},
                      outputs=[new_output("stream", name="stdout", text="TEXTE-RETIRE\n")]),
        *extra_cells,
    ]
    return new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})


def test_export_html_is_french_self_contained_and_without_code(tmp_path):
    target = tmp_path / "diagnostic.html"
    result = export_html(_executed(), target, title="Diagnostic — territoire 99001", fictional=True)
    page = target.read_text(encoding="utf-8")
    assert result.path == target and result.bytes == len(page.encode())
    assert '<html lang="fr">' in page
    assert "<title>Diagnostic — territoire 99001 (territoire fictif — démonstration)</title>" in page
    assert "data:image/png;base64," in page
    assert "afficher_figure" not in page and "TEXTE-RETIRE" not in page and "territory =" not in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "@media print" in page and "max-width" in page
    assert "No description" not in page


@pytest.mark.parametrize(
    ("bad_cell", "message"),
    [
        (new_code_cell("1/0", execution_count=4, outputs=[new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["Traceback…"])]),
         "erreur d'exécution"),
        (new_code_cell("fig.show()", execution_count=4, outputs=[new_output("display_data", data={
            "text/html": '<script src="https://cdn.plot.ly/plotly-2.35.2.min.js"></script><div></div>'})]),
         "Internet"),
    ],
)
def test_export_html_refuses_errors_and_network_assets(tmp_path, bad_cell, message):
    target = tmp_path / "diagnostic.html"
    with pytest.raises(ReportError, match=message):
        export_html(_executed(bad_cell), target, title="Diagnostic")
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a temporary file


# -- CLI (errors raised before any kernel starts) ----------------------------------------------

def test_cli_report_help_is_french(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "utilisation : abs report" in out and "TERRITOIRE" in out and "ancien.html" in out


def test_cli_report_rejects_a_bad_code_before_running(tmp_path, capsys):
    code = main(["report", "abc", "--notebook", str(FIXTURES / "report_ok.ipynb"),
                 "--reports-dir", str(tmp_path)])
    assert code == 1
    assert "Code de territoire invalide" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_cli_report_parameter_file_cannot_redefine_the_territory(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_text('territory: "01001"\n', encoding="utf-8")
    code = main(["report", "21231", "-f", str(params), "--notebook", str(FIXTURES / "report_ok.ipynb"),
                 "--reports-dir", str(tmp_path / "reports")])
    assert code == 1
    assert "argument" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_report_error_is_an_abs_error():
    assert issubclass(ReportError, AbsError)
