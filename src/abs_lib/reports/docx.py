"""Convert a report page to a Word document (DOCX), from the same HTML the reader sees.

Pandoc (shipped inside the ``pypandoc-binary`` wheel: nothing to install beside
it) reads the final page and writes real Word tables (merged header cells kept),
headings as Word headings (« Titre 1 », « Titre 2 »…) and the figures, with their
alternative text, from the page's embedded ``data:`` images (no network). The
page's table of contents, skip link and stylesheet are left out: Word has its
own navigation pane. python-docx then sets the French page setup (A4, 2 cm
margins, French language) and gives the tables visible borders.

Written atomically: a failed conversion leaves nothing under the DOCX name.
"""

from __future__ import annotations

from pathlib import Path

from abs_lib.atomic import atomic_write
from abs_lib.errors import ReportError

PANDOC_TIMEOUT_S = 300
MARGIN_CM = 2.0
LANGUAGE = "fr-FR"


def _pandoc_input(page: str) -> str:
    """The page without what only a browser uses (table of contents, skip link, styles).

    ``<title>`` goes too: pandoc would print it as a title above the page's own h1.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    for tag in soup.select("nav.abs-toc, a.abs-skip, style, script, title"):
        tag.decompose()
    for tag in soup.select("header, main"):  # pandoc skips the page's <header>, title included
        tag.unwrap()
    return str(soup)


def _table_borders(document) -> None:
    """Thin grey borders on every table (pandoc's « Table » style has almost none)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for table in document.tables:
        properties = table._tbl.tblPr
        for old in properties.findall(qn("w:tblBorders")):
            properties.remove(old)
        borders = OxmlElement("w:tblBorders")
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            edge = OxmlElement(f"w:{side}")
            edge.set(qn("w:val"), "single")
            edge.set(qn("w:sz"), "4")
            edge.set(qn("w:space"), "0")
            edge.set(qn("w:color"), "A0A0A0")
            borders.append(edge)
        properties.append(borders)


def _french_page_setup(path: Path, title: str) -> None:
    """A4 portrait, 2 cm margins, French language, title in the document's properties."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    document = docx.Document(str(path))
    for section in document.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(MARGIN_CM)
        section.top_margin = section.bottom_margin = Cm(MARGIN_CM)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        run_defaults = defaults.find(qn("w:rPrDefault"))
        if run_defaults is None:
            run_defaults = OxmlElement("w:rPrDefault")
            defaults.insert(0, run_defaults)
        run_properties = run_defaults.find(qn("w:rPr"))
        if run_properties is None:
            run_properties = OxmlElement("w:rPr")
            run_defaults.append(run_properties)
        lang = run_properties.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            run_properties.append(lang)
        lang.set(qn("w:val"), LANGUAGE)
    _table_borders(document)
    document.core_properties.title = title
    document.core_properties.language = LANGUAGE
    document.save(str(path))


def export_docx(page: str, docx_path: str | Path, *, title: str) -> Path:
    """Write the Word version of report ``page`` (the exported HTML, as text) to ``docx_path``.

    Raises ``ReportError`` (French) when pandoc is missing or fails; nothing is then
    written under ``docx_path``.
    """
    try:
        import pypandoc
    except ImportError:
        raise ReportError("Export DOCX impossible : le module Python « pypandoc-binary » n'est pas installé "
                          "(pip install pypandoc-binary).") from None
    source = _pandoc_input(page)

    def write(tmp: Path) -> None:
        target = tmp.with_suffix(".docx")  # pandoc picks its writer from the extension
        try:
            pypandoc.convert_text(source, "docx", format="html", outputfile=str(target),
                                  extra_args=["--metadata", f"lang={LANGUAGE}"],
                                  sandbox=True)
            _french_page_setup(target, title)
            target.replace(tmp)
        finally:
            target.unlink(missing_ok=True)

    try:
        return atomic_write(docx_path, write)
    except OSError as error:
        if isinstance(error, FileNotFoundError) and "pandoc" in str(error).lower():
            raise ReportError("Export DOCX impossible : pandoc est introuvable. Installez le paquet Python "
                              "« pypandoc-binary » (il contient pandoc).") from None
        raise
    except RuntimeError as error:  # pypandoc reports pandoc's own failures so
        first = str(error).strip().splitlines()[0] if str(error).strip() else "erreur inconnue"
        raise ReportError(f"Export DOCX impossible : pandoc a échoué ({first[:200]}).") from None
