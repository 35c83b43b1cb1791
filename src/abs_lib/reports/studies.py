"""The registry of studies: which notebook a study runs and which parameters it takes.

A study notebook (``notebooks/<name>.ipynb``, stored without outputs) follows a
small contract so that ``abs report`` can run any of them:

- one cell tagged ``parameters`` declaring at least ``territory = "…"`` (a string),
  ``year = None`` and ``data_dir = ""`` (optionally ``level = None``, needed only to
  tell fictional demo codes such as EPCI ``000000001`` from a département when
  they arrive as numbers); everything derived from them is computed
  *below* that cell (papermill does not recompute the parameters cell);
- every name that cell declares is declared, with its kind, in the study's
  ``parameters`` below (a test checks both lists agree); ``abs report -p``/``-f`` and
  ``abs batch -p`` refuse any other name;
- the next cell normalises them with one call,
  ``globals().update(normalize_parameters(globals(), STUDIES[STUDY].parameters))``,
  so a run from the ``papermill`` command (``-p territory 01001`` gives the int 1001,
  ``-p focus logement`` a string) gets the same typed values as ``abs report``;
- no Markdown ``#`` title (the page title is written by the export);
- the last cell displays ``report_provenance(portrait, study, **parameters)`` with every
  parameter of the notebook (reports/provenance.py).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from abs_lib.errors import ReportError
from abs_lib.reports.parameters import Param


def registry_themes() -> dict[str, str]:
    """Theme ids of the indicator registry -> French titles (valid values of ``focus``, ``theme``)."""
    from abs_lib.indicators import load_registry

    return dict(load_registry().themes)


def registry_indicators() -> dict[str, str]:
    """Indicator ids of the registry -> French labels (valid values of ``indicator``)."""
    from abs_lib.indicators import load_registry

    return {indicator.id: indicator.label for indicator in load_registry()}


#: Parameters every study accepts (name -> what it must be after normalisation).
COMMON_PARAMETERS = {
    "territory": Param("code", level_param="level", names=True),
    "year": Param("int", optional=True),
    "data_dir": Param("path", optional=True),
    "level": Param("str", optional=True),
    "shared_tables": Param("path", optional=True),
    "tables_dir": Param("path", optional=True),
}

#: Set by ``abs report``/``abs batch`` themselves (argument TERRITOIRE, --year, --data-dir, the
#: staging folder), not with -p: left out of the list shown when a name is unknown.
SET_BY_COMMAND = ("territory", "year", "data_dir", "tables_dir")
SET_BY_COMMAND_NOTE = ("Le territoire, l'année et le dossier des données se donnent par l'argument "
                       "TERRITOIRE et les options --year et --data-dir.")


@dataclass(frozen=True)
class Study:
    """One kind of report.

    name: identifier used on the command line and as file stem.
    title: French title of the report (the territory is appended).
    notebook: explicit notebook path; default ``<notebooks dir>/<name>.ipynb``.
    parameters: every parameter of the notebook (name -> ``Param``), common ones included.
    interactive: its content lives in widgets that only a running Jupyter shows (``abs lab``);
    ``abs report``/``abs batch`` refuse it rather than publish a page without it.
    """

    name: str
    title: str
    notebook: Path | None = None
    parameters: dict = field(default_factory=lambda: dict(COMMON_PARAMETERS))
    interactive: bool = False

    def notebook_path(self) -> Path:
        """The study notebook, from the installed package or the source tree."""
        if self.notebook is not None:
            path = Path(self.notebook)
        else:
            path = notebooks_dir() / f"{self.name}.ipynb"
        if not path.is_file():
            raise ReportError(
                f"Notebook de l'étude « {self.name} » introuvable : {path}. "
                "Réinstallez abs, ou indiquez un notebook avec --notebook."
            )
        check_parameters_cell(path)
        return path

    def accepted_parameters(self) -> list[str]:
        """Names ``-p`` may set: the declared ones, plus those a custom notebook's parameters cell declares."""
        names = list(self.parameters)
        if self.notebook is not None:
            names += [n for n in declared_parameters(self.notebook_path()) if n not in self.parameters]
        return names


def check_parameters_cell(path: Path) -> None:
    """Refuse a study notebook without exactly one cell tagged ``parameters`` declaring ``territory``.

    Without the tag papermill injects the values at the top, where the notebook's own
    defaults then overwrite them: the report would silently describe the wrong territory.
    """
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable file
        raise ReportError(f"Notebook illisible : {path} ({error}).") from None
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1 or "territory" not in tagged[0].source:
        raise ReportError(
            f"Le notebook {path.name} doit avoir une (et une seule) cellule marquée « parameters » "
            "qui déclare territory = \"…\" (balise de cellule dans Jupyter : View > Cell toolbar > Tags)."
        )


def _parameters_cell(path: Path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return next(c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", []))


def declared_parameters(path: Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``, in order."""
    names: list[str] = []
    for node in ast.parse(_parameters_cell(path).source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name) and leaf.id not in names:
                    names.append(leaf.id)
    return names


def notebooks_dir() -> Path:
    """Study notebooks: ``abs_lib/_notebooks`` in an installed wheel, else ``notebooks/`` of the checkout."""
    inside = resources.files("abs_lib") / "_notebooks"
    if inside.is_dir():
        return Path(str(inside))
    return Path(__file__).resolve().parents[3] / "notebooks"


STUDIES: dict[str, Study] = {
    "diagnostic": Study("diagnostic", "Diagnostic sociodémographique"),
    "actualisation": Study("actualisation", "Actualisation du diagnostic", parameters={
        **COMMON_PARAMETERS,
        "baseline": Param("int", optional=True),  # year of the initial diagnosis (None: see resolve_periods)
        "update": Param("int", optional=True),  # None: the latest vintage
        "focus": Param("list", choices=registry_themes, label="thème"),  # priority themes, in order
        "local_data": Param("path", optional=True, must_exist=True),  # the analyst's structures file
    }),
    "explorer": Study("explorer", "Exploration des indicateurs", parameters={
        **COMMON_PARAMETERS,
        "theme": Param("str", choices=registry_themes, label="thème"),
        "indicator": Param("str", choices=registry_indicators, label="indicateur"),
    }, interactive=True),
}


def get_study(study: str | Study) -> Study:
    """A registered study by name (or the Study given)."""
    if isinstance(study, Study):
        return study
    try:
        return STUDIES[study]
    except KeyError:
        raise ReportError(
            f"Étude inconnue : « {study} ». Études disponibles : {', '.join(STUDIES)}."
        ) from None
