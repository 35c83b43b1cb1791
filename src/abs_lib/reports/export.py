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

Accessibility (``make_accessible``, a pass of a real HTML parser over nbconvert's
cells): h2/h3 headings get readable unique ids and a « Sommaire » (``<nav>``) is built
from them; a skip link leads to ``<main>``; each data cell gets a ``data-label`` from
its column headers, so that on screens under 600 px the stylesheet turns the rows
of tables with 4 columns or more into labelled cards; wide tables wrap their cells
instead of overflowing; images keep the ``alt`` and ``width`` nbconvert writes from
the output metadata (a generic French ``alt`` only when none was given). The print
stylesheet (A4, margins) hides the navigation, keeps rows and figures whole, repeats
table headers on every page and prints external links' addresses. DOCX and PDF
versions are made from this page (``abs_lib.reports.docx``, ``abs_lib.reports.pdf``).
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
html { font-size: 16px; }
body { margin: 0 auto; max-width: 52rem; padding: 1rem; font: 16px/1.5 system-ui, -apple-system,
  "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; background: #fff;
  overflow-wrap: break-word; }
a { color: #0b4f9c; }
a:focus-visible { outline: 3px solid #e0a800; outline-offset: 2px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; }
img, svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; max-width: 100%; margin: 0.75rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
td.abs-long { overflow-wrap: anywhere; }  /* a long file name wraps rather than push the table out */
td.abs-num { white-space: nowrap; text-align: right; }
table.abs-wide { font-size: 0.8rem; }
table.abs-wide th, table.abs-wide td { padding: 0.2rem 0.3rem; }
table.abs-wide td { overflow-wrap: anywhere; hyphens: auto; }  /* many columns: words break, the table fits */
td { font-variant-numeric: tabular-nums; }
thead th { background: #f0f0f0; }
tbody th { font-weight: 600; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.9rem; }
td code { word-break: break-all; }
.abs-skip { position: absolute; left: -999px; top: 0; background: #fff; padding: 0.5rem; z-index: 10; }
.abs-skip:focus { left: 0.5rem; }
.abs-toc { border: 1px solid #ccc; border-radius: 4px; padding: 0.5rem 1rem; margin: 1rem 0; }
.abs-toc h2 { font-size: 1.1rem; margin: 0.25rem 0; border: none; }
.abs-toc ol { margin: 0.25rem 0; padding-left: 1.25rem; }
.abs-toc ol ol { padding-left: 1rem; }
.abs-toc li { margin: 0.15rem 0; break-inside: avoid; }
@media (min-width: 700px) { .abs-toc > ol { columns: 2; column-gap: 2rem; } }
.abs-cle-carte { margin: 0.25rem 0 1rem; padding-left: 2.25rem; font-size: 0.9rem; columns: 12rem; column-gap: 1.5rem; }
.abs-cle-carte li { break-inside: avoid; }
.abs-sha { min-width: 10em; }
.abs-sha code { word-break: break-all; font-size: 0.75rem; }
.abs-fictif { background: #fff3cd; border-left: 4px solid #e0a800; padding: 0.5rem 0.75rem; }
.abs-banner { background: #fff3cd; border: 1px solid #e0a800; padding: 0.5rem 0.75rem; }
.cell, .output_area, .output_subarea { margin: 0; padding: 0; }
.prompt, .input_prompt, .output_prompt { display: none; }
@media (max-width: 600px) {
  body { padding: 0.75rem; font-size: 16px; }
  h1 { font-size: 1.35rem; }
  table { font-size: 0.95rem; }
  .abs-sha code { font-size: 0.8rem; }
  table.abs-cards { font-size: 0.95rem; }
  table.abs-cards, table.abs-cards > tbody, table.abs-cards > tbody > tr,
  table.abs-cards > tbody > tr > td, table.abs-cards > tbody > tr > th { display: block; width: 100%; }
  table.abs-cards > thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; }
  table.abs-cards > tbody > tr { border: 1px solid #bbb; border-radius: 4px; margin: 0 0 0.75rem;
    padding: 0.25rem 0.6rem; }
  table.abs-cards > tbody > tr > td, table.abs-cards > tbody > tr > th { border: none; padding: 0.2rem 0;
    text-align: left; white-space: normal; }
  table.abs-cards > tbody > tr > :first-child { font-weight: 600; }
  table.abs-cards > tbody > tr > td:empty { display: none; }
  table.abs-cards td[data-label]::before { content: attr(data-label) " : "; font-weight: 600; color: #404040; }
}
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
@media print {
  html { font-size: 10.5pt; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .abs-skip, .abs-toc { display: none; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  h2 { margin-top: 1.25rem; }
  img, svg, tr, figure, .output_png, .abs-fictif, .abs-banner { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  table.abs-wide { font-size: 8pt; }
  a { color: inherit; text-decoration: none; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 0.85em; overflow-wrap: anywhere; }
}
"""


SKIP_LINK = '<a class="abs-skip" href="#contenu">Aller au contenu</a>'
TOC_TITLE = "Sommaire"
CARDS_MIN_COLUMNS = 4  # narrower tables fit a phone as they are
LONG_WORD = 24  # characters: a cell holding a longer word (file name, checksum) may break it anywhere
WIDE_MIN_COLUMNS = 7  # smaller type, so that they fit the text column (and an A4 page)
_NUMBER = re.compile(r"^[-+\u2212]?\d[\d\s\u00a0\u202f]*(?:[,.]\d+)?\s?(?:%|€|‰|ans?)?$")
_RESERVED_IDS = frozenset({"contenu", "abs-sommaire", "titre"})


def _slug(text: str, used: set[str]) -> str:
    """A readable ASCII id for a heading (``Démographie`` -> ``demographie``), unique in the page."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-") or "section"
    if base[0].isdigit():
        base = f"s-{base}"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def _span(cell, name: str) -> int:
    try:
        return max(1, min(int(str(cell.get(name, "1")).strip() or 1), 1000))
    except ValueError:
        return 1


def _cells(tr) -> list:
    """The ``td``/``th`` children of a row (not those of a table nested in it)."""
    return [child for child in tr if child.tag in ("td", "th")]


def _text(element) -> str:
    """The element's text, pieces stripped and joined by one space (BeautifulSoup's
    ``get_text(" ", strip=True)``)."""
    return " ".join(piece.strip() for piece in element.itertext() if piece.strip())


def _add_class(element, name: str) -> None:
    element.set("class", " ".join([*element.get("class", "").split(), name]))


def _layout(rows) -> list[list[tuple[object, int, int]]]:
    """Each row's cells with their first column and width, honouring colspan and rowspan."""
    pending: dict[int, int] = {}  # column -> rows still covered by a rowspan from above
    laid = []
    for tr in rows:
        col, placed = 0, []
        for cell in _cells(tr):
            while pending.get(col, 0) > 0:
                col += 1
            width, height = _span(cell, "colspan"), _span(cell, "rowspan")
            placed.append((cell, col, width))
            if height > 1:
                for c in range(col, col + width):
                    pending[c] = height
            col += width
        pending = {c: n - 1 for c, n in pending.items() if n > 1}
        laid.append(placed)
    return laid


def _owner(element):
    """The nearest table around ``element``."""
    return next(element.iterancestors("table"), None)


def _label_table(table) -> bool:
    """Give each data cell a ``data-label`` (its column headers) so phones can show rows as cards.

    Tables of ``CARDS_MIN_COLUMNS`` columns or more are marked ``abs-cards`` (the
    stylesheet turns their rows into cards on narrow screens) and get ARIA roles, since
    ``display: block`` would hide their table semantics. Number cells get ``abs-num``
    (never wrapped); tables of ``WIDE_MIN_COLUMNS`` columns or more get ``abs-wide``
    (smaller type). Returns whether the table was marked ``abs-cards``.
    """
    rows = [tr for tr in table.iter("tr") if _owner(tr) is table]
    head = [tr for tr in rows if tr.getparent().tag == "thead"]
    if not head and rows and len(_cells(rows[0])) > 1 and not [c for c in rows[0] if c.tag == "td"]:
        head = rows[:1]
    body = [tr for tr in rows if tr not in head]
    labels: dict[int, list[str]] = {}
    for placed in _layout(head):
        for cell, col, width in placed:
            text = " ".join(_text(cell).split())
            for c in range(col, col + width):
                if text and text not in labels.setdefault(c, []):
                    labels[c].append(text)
    labelled = False
    columns = 0
    for placed in _layout(body):
        for cell, col, width in placed:
            columns = max(columns, col + width)
            if cell.tag != "td":
                continue
            text = _text(cell)
            if _NUMBER.match(text):
                _add_class(cell, "abs-num")
            elif any(len(word) > LONG_WORD for word in re.split(r"[\s\-/]+", text)):
                _add_class(cell, "abs-long")
            label = " – ".join(labels.get(col, []))
            if label:
                cell.set("data-label", label)
                labelled = True
    if columns >= WIDE_MIN_COLUMNS:
        _add_class(table, "abs-wide")
    if labelled and columns >= CARDS_MIN_COLUMNS:
        _add_class(table, "abs-cards")
        table.set("role", "table")  # CSS cards (display: block) must not hide the table from screen readers
        for group in table.iter("thead", "tbody", "tfoot"):
            if _owner(group) is table:
                group.set("role", "rowgroup")
        for tr in rows:
            tr.set("role", "row")
            for cell in _cells(tr):
                if cell.tag == "td":
                    cell.set("role", "cell")
                else:
                    cell.set("role", "columnheader" if tr in head else "rowheader")
        return True
    return False


def _toc(entries: list[tuple[str, str, str]]) -> str:
    """The « Sommaire »: h2 entries, each with its h3 entries nested."""
    if not entries:
        return ""
    items: list[str] = []
    sub: list[str] = []

    def close_sub():
        if sub and items:
            items[-1] = items[-1][: -len("</li>")] + "<ol>" + "".join(sub) + "</ol></li>"
        elif sub:
            items.extend(sub)
        sub.clear()

    for level, ident, text in entries:
        link = f'<li><a href="#{ident}">{html_lib.escape(text)}</a></li>'
        if level == "h2":
            close_sub()
            items.append(link)
        else:
            sub.append(link)
    close_sub()
    return (f'<nav class="abs-toc" aria-labelledby="abs-sommaire"><h2 id="abs-sommaire">{TOC_TITLE}</h2>\n'
            f'<ol>{"".join(items)}</ol></nav>\n')


def make_accessible(body: str) -> tuple[str, str]:
    """Post-process nbconvert's cells: heading ids, card labels on table cells, image alt.

    Returns the new body and the table of contents built from its h2/h3 headings.
    Uses a real HTML parser (lxml: a real report's page, base64 figures included, in
    0.03 s where BeautifulSoup over lxml took 0.19 s); attributes nbconvert writes
    (``alt``, ``width``…) are kept.
    """
    from urllib.parse import unquote

    import lxml.html

    parser = lxml.html.HTMLParser(huge_tree=True)  # figures are long base64 attributes
    root = lxml.html.document_fromstring(f"<html><body>{body}</body></html>", parser=parser)
    page = root.body
    headings = list(page.iter("h1", "h2", "h3", "h4", "h5", "h6"))
    used = set(_RESERVED_IDS) | {tag.get("id") for tag in page.iter() if tag.get("id") and tag not in headings}
    renamed: dict[str, str] = {}
    entries = []
    for heading in headings:
        for anchor in list(heading.iter("a")):
            if "anchor-link" in anchor.get("class", "").split():
                anchor.drop_tree()  # its tail text stays
        text = " ".join(_text(heading).split())
        old = heading.get("id")
        new = _slug(text, used)
        # Links written in the notebook use Jupyter's anchors: the heading's text, spaces as "-".
        for alias in (old and unquote(old), text.replace(" ", "-"), text):
            if alias:
                renamed.setdefault(alias, new)
        heading.set("id", new)
        if heading.tag in ("h2", "h3") and text:
            entries.append((heading.tag, new, text))
    for link in page.iter("a"):
        href = link.get("href")
        target = unquote(href[1:]) if href and href.startswith("#") else None
        if target in renamed:
            link.set("href", "#" + renamed[target])
    for table in list(page.iter("table")):
        _label_table(table)
    for image in page.iter("img"):
        if not str(image.get("alt", "")).strip():
            image.set("alt", DEFAULT_ALT)
    lead = html_lib.escape(page.text, quote=False) if page.text else ""  # text before the first tag
    return lead + "".join(lxml.html.tostring(child, encoding="unicode") for child in page), _toc(entries)


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
                given = [meta.get("alt"), cell.get("metadata", {}).get("alt")]
                given += [(meta.get(m) or {}).get("alt") for m in data if isinstance(meta.get(m), dict)]
                if not any(str(a or "").strip() for a in given):
                    meta["alt"] = DEFAULT_ALT
        kept.append(cell)
    nb.cells = kept


def _page_exporter_class():
    """nbconvert's HTML exporter without its closing BeautifulSoup pass.

    ``HTMLExporter.from_notebook_node`` parses the page it rendered with html.parser (base64
    figures included) only to give images without ``alt`` a default one and to make the
    JupyterLab template's cells focusable (the basic template has none): a third of an
    export. :func:`make_accessible` parses the page once anyway, with lxml, and gives every
    image an alt. The rest is nbconvert's own method (filters registered, then the template).
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                     resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PageExporter


@functools.lru_cache(maxsize=1)
def _exporter():
    """One configured exporter per process: its Jinja templates compile once (batch workers)."""
    from traitlets.config import Config

    HTMLExporter = _page_exporter_class()  # noqa: N806 - a class

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
    # The notebook is validated once, after its preprocessors, instead of after each of the
    # twelve (nine of them disabled): 0.03 s per report.
    exporter.optimistic_validation = True
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
    body, toc = make_accessible(body)

    shown = report_title(title, fictional)
    banner = ""
    if fictional:
        # The page's banner says it once, at the top: the notebook's own notice would repeat it.
        body = re.sub(r'<p class="abs-fictif">.*?</p>\s*', "", body, count=1, flags=re.S)
        banner = ('<p class="abs-banner">Démonstration : ce territoire et ses données sont fictifs ; '
                  "aucun chiffre ne décrit un territoire réel.</p>\n")
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html_lib.escape(shown)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n{SKIP_LINK}\n"
        f'<header><h1 id="titre">{html_lib.escape(shown)}</h1>\n{banner}</header>\n{toc}'
        f'<main id="contenu" tabindex="-1">\n{body}\n</main>\n'
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
