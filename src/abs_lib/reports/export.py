"""Export an executed study notebook to one self-contained French HTML page.

Choices, and why:
- nbconvert's ``basic`` template renders the cells only (no ``<head>``). The ``lab``
  and ``classic`` templates put require.js and MathJax ``<script src=https://cdn…>``
  in the head (and ~300 kB of JupyterLab CSS); a report must open offline, on a
  phone, years later. This module writes its own page around the cells:
  ``<html lang="fr">``, the title, and a small embedded stylesheet for screens,
  phones and print. Any output that would still load a script or stylesheet from
  the network (e.g. a plotly figure using its CDN) makes the export fail.
- No code: ``exclude_input`` and the prompts are dropped; cells tagged ``remove``,
  ``hide``, ``remove_cell`` and the (injected-)parameters cells are removed,
  ``hide_output``/``remove_output`` drop a cell's outputs.
- Images are embedded (nbconvert writes output images as ``data:`` URIs;
  ``embed_images`` does the same for images referenced in Markdown cells).
- A notebook with an error output is refused; Python warnings (stderr) are left
  out of the page (they stay in the executed notebook) and counted.
- The file is written to a temporary name and renamed: a failed export never
  leaves a partial page under the report's name.
"""

from __future__ import annotations

import functools

import html as html_lib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from abs_lib.atomic import atomic_write_text
from abs_lib.errors import ReportError

FICTIONAL_MENTION = "(territoire fictif — démonstration)"
REMOVE_CELL_TAGS = frozenset({"remove", "remove_cell", "hide", "hide_cell", "parameters", "injected-parameters"})
DEFAULT_ALT = "Graphique (pas de description fournie)"
REMOVE_OUTPUT_TAGS = frozenset({"remove_output", "hide_output"})

_EXTERNAL = re.compile(
    r"<(?:script|link|iframe|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//[^\"'\s>]+",
    re.IGNORECASE,
)
_CSS_IMPORT = re.compile(r"@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 52rem; padding: 1rem; font: 16px/1.5 system-ui, -apple-system,
  "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.1rem; }
img, svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; display: block; overflow-x: auto; max-width: 100%;
  margin: 0.75rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
td { font-variant-numeric: tabular-nums; }
thead th { background: #f2f2f2; }
pre { white-space: pre-wrap; word-wrap: break-word; font-size: 0.9rem; }
.abs-sha { min-width: 14em; }
.abs-sha code { word-break: break-all; font-size: 0.75rem; }
.abs-fictif { background: #fff3cd; border-left: 4px solid #e0a800; padding: 0.5rem 0.75rem; }
.abs-banner { background: #fff3cd; border: 1px solid #e0a800; padding: 0.5rem 0.75rem; }
.cell, .output_area, .output_subarea { margin: 0; padding: 0; }
.prompt, .input_prompt, .output_prompt { display: none; }
@media (max-width: 600px) { body { padding: 0.75rem; font-size: 15px; } h1 { font-size: 1.35rem; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h1, h2, h3 { page-break-after: avoid; break-after: avoid; }
  img, svg, tr, .abs-provenance { page-break-inside: avoid; break-inside: avoid; }
  table { display: table; overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
"""


@dataclass(frozen=True)
class ExportResult:
    """What ``export_html`` wrote."""

    path: Path
    bytes: int
    hidden_warnings: int


def report_title(title: str, fictional: bool) -> str:
    """The title shown, with the fictional mention for demo territories."""
    if fictional and FICTIONAL_MENTION not in title:
        return f"{title} {FICTIONAL_MENTION}"
    return title


def _error_outputs(nb) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cellule {index + 1} : {output.get('ename')} : {output.get('evalue')}")
    return found


def _drop_stderr(nb) -> int:
    """Remove stderr streams (Python warnings) from the copy being exported."""
    count = 0
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        count += len(outputs) - len(kept)
        cell["outputs"] = kept
    return count


def _tidy(nb) -> None:
    """Drop code cells left without output and give images a French alternative text."""
    kept = []
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.get("outputs"):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if any(m.startswith("image/") for m in data):
                meta = output.setdefault("metadata", {})
                if not meta.get("alt") and not cell.get("metadata", {}).get("alt"):
                    meta["alt"] = DEFAULT_ALT
        kept.append(cell)
    nb.cells = kept


@functools.lru_cache(maxsize=1)
def _exporter():
    """One configured exporter per process: its Jinja templates compile once (batch workers)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    config.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    exporter = HTMLExporter(config=config, template_name="basic")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_anchor_links = True
    exporter.embed_images = True
    return exporter


def render_html(nb, *, title: str, fictional: bool = False) -> tuple[str, int]:
    """The page for executed notebook ``nb`` (a NotebookNode) and the number of hidden warnings."""
    import copy

    errors = _error_outputs(nb)
    if errors:
        raise ReportError(
            "Export HTML refusé : le notebook contient une erreur d'exécution ("
            + " ; ".join(errors)
            + "). Corrigez la cellule et relancez le rapport."
        )
    nb = copy.deepcopy(nb)
    hidden = _drop_stderr(nb)
    _tidy(nb)

    body, _ = _exporter().from_notebook_node(nb)

    shown = report_title(title, fictional)
    banner = ""
    if fictional:
        banner = ('<p class="abs-banner">Démonstration : ce territoire et ses données sont fictifs ; '
                  "aucun chiffre ne décrit un territoire réel.</p>\n")
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html_lib.escape(shown)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        f'<header><h1>{html_lib.escape(shown)}</h1>\n{banner}</header>\n<main>\n{body}\n</main>\n'
        "</body>\n</html>\n"
    )
    external = _EXTERNAL.findall(page) + _CSS_IMPORT.findall(page)
    if external:
        raise ReportError(
            "Export HTML refusé : le rapport chargerait des ressources depuis Internet ("
            + ", ".join(sorted(set(external))[:5])
            + "). Un rapport doit s'ouvrir hors ligne : utilisez des figures statiques (PNG/SVG)."
        )
    return page, hidden


def export_html(executed_notebook, html_path: str | Path, *, title: str, fictional: bool = False) -> ExportResult:
    """Write the report page of ``executed_notebook`` (path or NotebookNode) to ``html_path``.

    Raises ``ReportError`` (and writes nothing) when the notebook holds an error
    output or when the page would load anything from the network.
    """
    import nbformat

    if isinstance(executed_notebook, (str, os.PathLike)):
        nb = nbformat.read(executed_notebook, as_version=4)
    else:
        nb = executed_notebook
    page, hidden = render_html(nb, title=title, fictional=fictional)
    html_path = Path(html_path)
    atomic_write_text(html_path, page)
    return ExportResult(path=html_path, bytes=len(page.encode("utf-8")), hidden_warnings=hidden)
