"""Study parameters typed by the study, whatever way they arrive (no Jupyter kernel here).

``abs report -p`` gives text, ``papermill -p`` numbers for anything ``int()`` accepts,
YAML (``-f``) numbers, lists or octal surprises: each study declares every parameter
with its kind (``abs_lib.reports.studies``) and ``normalize_parameters`` restores it.
"""

from __future__ import annotations

import ast
import io
from pathlib import Path

import nbformat
import pytest
import yaml

from abs_lib.cli import main
from abs_lib.demo import demo_local_structures
from abs_lib.errors import ReportError
from abs_lib.indicators import load_registry
from abs_lib.reports.parameters import (
    Param,
    check_parameter_names,
    normalize_parameters,
    transportable,
)
from abs_lib.reports.studies import STUDIES, Study, declared_parameters

ACTUALISATION = STUDIES["actualisation"].parameters
THEMES = list(load_registry().themes)


def _one(name, value, spec=ACTUALISATION):
    return normalize_parameters({name: value}, spec)[name]


# -- conversions -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016", 2016),      # abs report -p baseline 2016
        (" 2016 ", 2016),
        (2016, 2016),        # papermill -p baseline 2016, YAML baseline: 2016
        (2016.0, 2016),      # a float that is a whole number
        ("+2016", 2016),
    ],
)
def test_int_parameter_accepts_text_int_and_whole_float(value, expected):
    converted = _one("baseline", value)
    assert converted == expected and type(converted) is int


@pytest.mark.parametrize("value", ["2016a", "deux mille seize", 2016.5, True, "", [2016]])
def test_int_parameter_refuses_the_rest_in_french(value):
    with pytest.raises(ReportError, match=r"« baseline » invalide.*nombre entier"):
        _one("baseline", value)


def test_required_and_optional_parameters():
    assert _one("update", None) is None
    assert _one("update", "2019") == 2019
    assert _one("baseline", None) is None   # the study then picks it (INSEE's census rule)
    with pytest.raises(ReportError, match="« focus » manquant"):
        _one("focus", None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("logement", ["logement"]),                                   # abs report -p focus logement
        ("petite-enfance,logement", ["petite-enfance", "logement"]),
        ("petite-enfance ; logement;", ["petite-enfance", "logement"]),
        (["logement", "emploi"], ["logement", "emploi"]),             # YAML list, notebook default
        (("logement",), ["logement"]),
        ("[logement, emploi]", ["logement", "emploi"]),                # YAML flow list typed as text
        ("['logement', 'emploi']", ["logement", "emploi"]),            # Python list typed as text
        ("Logement", ["logement"]),                                    # case
        ("personnes-agees", ["personnes-âgées"]),                      # accents
        ("Petite enfance", ["petite-enfance"]),                        # the French title
        ("Familles et ménages", ["familles"]),
        ("logement,logement", ["logement"]),                           # no repeats
        ("", []),                                                      # no priority theme
    ],
)
def test_focus_is_a_list_of_registry_themes(value, expected):
    converted = _one("focus", value)
    assert converted == expected and type(converted) is list
    assert set(converted) <= set(THEMES)


def test_focus_is_never_split_into_letters():
    assert _one("focus", "logement") != list("logement")


def test_unknown_theme_is_refused_with_the_valid_ones_and_a_suggestion():
    with pytest.raises(ReportError) as caught:
        _one("focus", "petite-enfance,logment")
    message = str(caught.value)
    assert "« focus »" in message and "« logment » inconnu" in message
    assert "Vouliez-vous dire « logement » ?" in message
    assert all(theme in message for theme in THEMES)
    with pytest.raises(ReportError, match="chaque élément doit être un texte"):
        _one("focus", ["logement", 3.5])


def test_explorer_theme_and_indicator_are_checked_against_the_registry():
    spec = STUDIES["explorer"].parameters
    assert _one("theme", "Logement", spec) == "logement"
    assert _one("indicator", "part_75_plus", spec) == "part_75_plus"
    with pytest.raises(ReportError, match="Vouliez-vous dire « part_75_plus » ?"):
        _one("indicator", "part_75_plu", spec)


def test_local_data_is_an_absolute_existing_path(tmp_path, monkeypatch):
    source = demo_local_structures()
    assert _one("local_data", str(source)) == source.resolve()
    assert isinstance(_one("local_data", source), Path)
    assert _one("local_data", "") is None            # "" means no file
    assert _one("local_data", None) is None
    (tmp_path / "structures.csv").write_text("nom_structure;code_commune\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert _one("local_data", "structures.csv") == tmp_path / "structures.csv"  # from the current folder


def test_missing_local_file_is_named_in_french(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReportError) as caught:
        _one("local_data", "structures.csv")
    message = str(caught.value)
    assert "Fichier introuvable pour le paramètre « local_data »" in message
    assert str(tmp_path / "structures.csv") in message
    with pytest.raises(ReportError, match="n'est pas un fichier"):
        _one("local_data", str(tmp_path))
    with pytest.raises(ReportError, match="chemin de fichier"):
        _one("local_data", 12)


def test_directory_parameters_are_paths_and_empty_means_default():
    spec = STUDIES["diagnostic"].parameters
    out = normalize_parameters({"data_dir": "", "shared_tables": "", "tables_dir": "/tmp/x"}, spec)
    assert out == {"data_dir": None, "shared_tables": None, "tables_dir": Path("/tmp/x")}


@pytest.mark.parametrize(
    ("value", "level", "expected"),
    [
        (1001, None, "01001"),              # papermill -p territory 01001
        ("01001", None, "01001"),           # abs report, quoted YAML
        (200000925, None, "200000925"),     # papermill -p territory 200000925
        (1, "epci", "000000001"),           # fictional EPCI code that became 1
        ("plaine dijonnaise", None, "plaine dijonnaise"),  # a name: open_portrait resolves it
    ],
)
def test_territory_code(value, level, expected):
    assert normalize_parameters({"territory": value, "level": level}, ACTUALISATION)["territory"] == expected


def test_yaml_parameter_file_forms(tmp_path):
    """``-f`` through abs: leading-zero codes stay text, years are ints, lists are lists."""
    from abs_lib.cli.report import _load_yaml

    text = "territory: 01001\nbaseline: 2016\nupdate: 2019\nfocus: [logement, Petite enfance]\n"
    loaded = _load_yaml(io.StringIO(text))
    assert normalize_parameters(loaded, ACTUALISATION) == {
        "territory": "01001", "baseline": 2016, "update": 2019, "focus": ["logement", "petite-enfance"]}
    # Plain YAML 1.1 (papermill -f) reads the unquoted code as octal: 513, a commune code that
    # normalises to 00513 (no such commune, refused later by the territory lookup).
    assert yaml.safe_load(text)["territory"] == 513
    assert normalize_parameters(yaml.safe_load("focus: logement; emploi\n"), ACTUALISATION) == {
        "focus": ["logement", "emploi"]}


def test_normalisation_is_idempotent_and_transportable(tmp_path):
    source = demo_local_structures()
    once = normalize_parameters({"territory": 1001, "baseline": "2016", "focus": "logement,emploi",
                                 "local_data": str(source), "data_dir": str(tmp_path)}, ACTUALISATION)
    assert normalize_parameters(once, ACTUALISATION) == once
    carried = transportable(once)  # what papermill injects and JSON records
    assert carried["local_data"] == str(source.resolve()) and carried["data_dir"] == str(tmp_path)
    assert normalize_parameters(carried, ACTUALISATION) == once


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        Param("date")


# -- names -------------------------------------------------------------------------------------

def test_unknown_name_lists_the_study_parameters_with_the_closest():
    with pytest.raises(ReportError) as caught:
        check_parameter_names(["baselin"], STUDIES["actualisation"].accepted_parameters(), study="actualisation",
                              hidden=("territory",), note="Le territoire se donne en argument.")
    message = str(caught.value)
    assert "Paramètre inconnu pour l'étude « actualisation » : « baselin »" in message
    assert "vouliez-vous dire « baseline » ?" in message
    assert "baseline, update, focus, local_data" in message and "territory," not in message
    assert message.endswith("Le territoire se donne en argument.")


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_each_study_declares_every_parameter_of_its_notebook(name):
    study = STUDIES[name]
    path = study.notebook_path()
    assert declared_parameters(path) == list(study.parameters)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # stored without outputs
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    # The cell below the parameters: one normalize_parameters call with the study's spec, no logic.
    second = nb.cells[1].source
    assert second.count("normalize_parameters(") == 1
    assert f'STUDY = "{name}"' in second
    assert "globals().update(normalize_parameters(globals(), STUDIES[STUDY].parameters))" in second
    tree = ast.parse(second)
    assert not any(isinstance(node, (ast.If, ast.For, ast.While, ast.Try, ast.FunctionDef)) for node in ast.walk(tree))


def test_custom_notebook_keeps_the_study_parameters_and_adds_its_own(tmp_path):
    path = tmp_path / "perso.ipynb"
    cell = nbformat.v4.new_code_cell('territory = "21231"\nseuil = 3\na, b = 1, 2\n')
    cell.metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    study = Study("actualisation", "Perso", notebook=path, parameters=ACTUALISATION)
    assert study.accepted_parameters() == [*ACTUALISATION, "seuil", "a", "b"]


# -- refused before any kernel starts ----------------------------------------------------------

@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (["-p", "baselin", "2016"], "vouliez-vous dire « baseline » ?"),
        (["-p", "focus", "logment"], "Vouliez-vous dire « logement » ?"),
        (["-p", "baseline", "deux-mille"], "attendu un nombre entier"),
        (["-p", "local_data", "absent.csv"], "absent.csv"),
    ],
)
@pytest.mark.parametrize("command", [["report", "200000925"], ["batch", "--demo", "--all-epci"]])
def test_cli_refuses_bad_parameters_in_french(command, params, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main([*command, "--study", "actualisation", "--data-dir", str(tmp_path / "donnees"),
                 "--reports-dir", str(tmp_path / "rapports"), *params])
    captured = capsys.readouterr()
    assert code != 0
    assert expected in captured.err + captured.out
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "rapports" / "200000925" / "actualisation.html").exists()


def test_cli_yaml_file_names_are_checked_too(tmp_path, capsys):
    params = tmp_path / "params.yaml"
    params.write_text("baseline: 2016\nfocuss: logement\n", encoding="utf-8")
    code = main(["report", "200000925", "--study", "actualisation", "--data-dir", str(tmp_path),
                 "--reports-dir", str(tmp_path / "rapports"), "-f", str(params)])
    assert code != 0
    assert "vouliez-vous dire « focus » ?" in capsys.readouterr().err


def test_batch_refuses_a_prepare_hook_parameter_the_study_does_not_take(tmp_path):
    """Checked once in the driver: otherwise every report of the batch would fail on it."""
    from abs_lib.batch.run import run_batch
    from abs_lib.batch.selection import select_territories
    from abs_lib.demo import demo_geography

    selection = select_territories(all_epci=True, geography=demo_geography())
    with pytest.raises(ReportError, match="« seuil »"):
        run_batch(selection.territories, "diagnostic", reports_dir=tmp_path, progress=False,
                  prepare=lambda *args: {"seuil": 3})
