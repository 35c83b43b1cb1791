"""The registry of studies: which notebook a study runs and which parameters it takes.

A study notebook (``notebooks/<name>.ipynb``, stored without outputs) follows a
small contract so that ``abs report`` can run any of them:

- one cell tagged ``parameters`` declaring at least ``territory = "…"`` (a string),
  ``year = None`` and ``data_dir = ""`` (optionally ``level = None``, needed only to
  tell fictional demo codes such as EPCI ``000000001`` from a département when
  they arrive as numbers); everything derived from them is computed
  *below* that cell (papermill does not recompute the parameters cell);
- the next cell normalises them: ``territory = normalize_code(territory)`` (or
  ``normalize_parameters(...)`` with ``STUDIES[name].parameters``), so a run from
  the ``papermill`` command with ``-p territory 01001`` still works;
- no Markdown ``#`` title (the page title is written by the export);
- the last cell displays ``report_provenance(portrait, study, **parameters)`` with every
  parameter of the notebook (reports/provenance.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from abs_lib.errors import ReportError
from abs_lib.reports.parameters import Param

#: Parameters every study accepts (name -> what it must be after normalisation).
COMMON_PARAMETERS = {
    "territory": Param("code", level_param="level"),
    "level": Param("str", optional=True),
    "year": Param("int", optional=True),
    "data_dir": Param("str", optional=True),
    "shared_tables": Param("str", optional=True),
    "tables_dir": Param("str", optional=True),
}


@dataclass(frozen=True)
class Study:
    """One kind of report.

    name: identifier used on the command line and as file stem.
    title: French title of the report (the territory is appended).
    notebook: explicit notebook path; default ``<notebooks dir>/<name>.ipynb``.
    """

    name: str
    title: str
    notebook: Path | None = None
    parameters: dict = field(default_factory=lambda: dict(COMMON_PARAMETERS))

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


def notebooks_dir() -> Path:
    """Study notebooks: ``abs_lib/_notebooks`` in an installed wheel, else ``notebooks/`` of the checkout."""
    inside = resources.files("abs_lib") / "_notebooks"
    if inside.is_dir():
        return Path(str(inside))
    return Path(__file__).resolve().parents[3] / "notebooks"


STUDIES: dict[str, Study] = {
    "diagnostic": Study("diagnostic", "Diagnostic sociodémographique"),
    "actualisation": Study("actualisation", "Actualisation du diagnostic"),
    "explorer": Study("explorer", "Exploration des indicateurs"),
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
