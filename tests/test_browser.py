"""Report pages in a real browser (Chromium, Chrome or Edge driven by Playwright).

For the diagnostic and the actualisation of the real EPCI 200000925 (Côte-d'Or
extracts), the demo diagnostic and a batch index page, at 1280 px and 400 px wide:
no horizontal overflow, every figure described (no generic alternative text), text
of 12 px or more on a phone, a table of contents whose links land on a heading,
tables turned into cards on a phone. Full-page screenshots are saved under
``reports/screenshots/<page>-<width>.png`` (ignored by git) for a human look.

The same real diagnostic is also exported to DOCX and PDF: its key-figure and
« Vos communes » tables must be Word tables, and the PDF must have as many pages as
Chromium's own print of the page.

Without a Chromium-family browser the browser tests skip, saying what to install.
"""

from __future__ import annotations

import pytest

from conftest import REPO
from abs_lib.reports.export import DEFAULT_ALT

SCREENSHOTS = REPO / "reports" / "screenshots"
WIDTHS = (1280, 400)
PAGES = ("diagnostic-200000925", "actualisation-200000925", "diagnostic-demo", "index-lot")
MIN_FONT_PX = 12
A4_TEXT_PX = 680  # A4 width less the print stylesheet's margins (210 - 30 mm), in CSS pixels


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("module playwright absent (pip install playwright) / Playwright not installed")
    from abs_lib.reports.pdf import BrowserNotFoundError, launch

    with sync_playwright() as playwright:
        try:
            started = launch(playwright)
        except BrowserNotFoundError as error:
            pytest.skip(f"aucun navigateur / no browser: {error}")
        yield started
        started.close()


@pytest.fixture(scope="module")
def reports(real_store, tmp_path_factory):
    """The real diagnostic (HTML, DOCX, PDF), the real actualisation, the demo diagnostic, a batch index."""
    from abs_lib.batch.index import write_index
    from abs_lib.batch.worker import FAILURE, SUCCESS, ReportOutcome
    from abs_lib.reports.run import build_report
    from abs_lib.reports.studies import get_study

    root = tmp_path_factory.mktemp("navigateur")
    real = root / "reels"
    diagnostic = build_report("200000925", "diagnostic", data_dir=real_store, reports_dir=real,
                              formats=("html", "docx", "pdf"))
    update = build_report("200000925", "actualisation", data_dir=real_store, reports_dir=real)
    demo = build_report("000000001", "diagnostic", reports_dir=root / "demo")
    outcomes = [
        ReportOutcome("200000925", "epci", "CC de la Plaine Dijonnaise", SUCCESS,
                      generated_at="2025-03-14T09:30:00+01:00"),
        ReportOutcome("242100410", "epci", "CC de la Plaine de Saône (nom long pour éprouver la mise en page)",
                      FAILURE, generated_at="2025-03-14T09:31:00+01:00", error_cell=12,
                      error_name="LookupError", error_value="Aucune donnée importée pour rp-population au niveau "
                      "commune : importez le fichier « base-cc-evol-struct-pop-2021.CSV » (abs import FICHIER)."),
    ]
    index = write_index(real, get_study("diagnostic"), outcomes, description="EPCI de Côte-d'Or",
                        started_at="2025-03-14T09:29:00+01:00")
    return {"diagnostic-200000925": diagnostic.html, "actualisation-200000925": update.html,
            "diagnostic-demo": demo.html, "index-lot": index, "diagnostic": diagnostic, "root": root}


MEASURE = """() => {
  const texts = [...document.querySelectorAll('body *')].filter(e => e.getClientRects().length > 0
      && [...e.childNodes].some(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()));
  const main = (document.querySelector('main') || document.body).getBoundingClientRect();
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    bodyFont: parseFloat(getComputedStyle(document.body).fontSize),
    smallText: texts.filter(e => parseFloat(getComputedStyle(e).fontSize) < %d)
        .map(e => e.tagName + ' ' + getComputedStyle(e).fontSize + ' « ' + e.textContent.trim().slice(0, 40) + ' »')
        .slice(0, 10),
    tablesOut: [...document.querySelectorAll('table')]
        .filter(t => t.getBoundingClientRect().right > main.right + 1)
        .map(t => t.className + ' ' + Math.round(t.getBoundingClientRect().right) + ' > ' + Math.round(main.right)),
    images: [...document.images].map(i => ({alt: i.getAttribute('alt'), width: i.getBoundingClientRect().width})),
    tocLinks: [...document.querySelectorAll('nav a[href^="#"]')].map(a => a.getAttribute('href')),
    missingTargets: [...document.querySelectorAll('a[href^="#"]')].map(a => a.getAttribute('href'))
        .filter(h => !document.getElementById(decodeURIComponent(h.slice(1)))),
  };
}""" % MIN_FONT_PX


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_reads_and_describes_its_figures(browser, reports, name, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(reports[name].resolve().as_uri(), wait_until="load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        found = page.evaluate(MEASURE)
    finally:
        page.close()
    assert found["scrollWidth"] <= found["innerWidth"], f"{name} déborde à {width} px : {found['scrollWidth']} px"
    assert found["tablesOut"] == [], f"tableaux plus larges que le texte : {found['tablesOut']}"
    if width <= 600:
        assert found["bodyFont"] >= MIN_FONT_PX
        assert found["smallText"] == [], f"texte sous {MIN_FONT_PX} px sur téléphone : {found['smallText']}"
    for image in found["images"]:
        assert image["width"] <= width
    undescribed = [i["alt"] for i in found["images"] if not (i["alt"] or "").strip() or i["alt"] == DEFAULT_ALT]
    assert undescribed == [], f"{len(undescribed)} figure(s) sans description sur {len(found['images'])}"
    assert found["missingTargets"] == []
    if name != "index-lot":
        assert len(found["tocLinks"]) >= 3  # a Sommaire with the report's sections


@pytest.mark.parametrize("name", ("diagnostic-200000925", "index-lot"))
def test_rows_become_labelled_cards_on_a_phone_only(browser, reports, name):
    selector = "table.abs-cards" if name != "index-lot" else "table"
    layout = """(selector) => {
      const table = document.querySelector(selector);
      const cell = table.querySelector('tbody td[data-label]');
      return {table: getComputedStyle(table).display, row: getComputedStyle(cell.parentElement).display,
              label: cell.dataset.label, before: getComputedStyle(cell, '::before').content,
              head: table.querySelector('thead').getBoundingClientRect().height};
    }"""
    seen = {}
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        try:
            page.goto(reports[name].resolve().as_uri(), wait_until="load")
            seen[width] = page.evaluate(layout, selector)
        finally:
            page.close()
    assert seen[1280]["table"] == "table" and seen[1280]["row"] == "table-row" and seen[1280]["before"] == "none"
    assert seen[400]["table"] == "block" and seen[400]["row"] == "block"
    assert seen[400]["before"] == f'"{seen[400]["label"]} : "' and seen[400]["head"] <= 1  # header hidden visually


@pytest.mark.parametrize("name", ("diagnostic-200000925", "diagnostic-demo"))
def test_print_hides_the_toc_repeats_headers_and_keeps_tables_on_the_page(browser, reports, name):
    page = browser.new_page(viewport={"width": A4_TEXT_PX, "height": 1000})
    try:
        page.goto(reports[name].resolve().as_uri(), wait_until="load")
        page.emulate_media(media="print")
        printed = page.evaluate("""() => ({toc: getComputedStyle(document.querySelector('nav')).display,
            head: getComputedStyle(document.querySelector('thead')).display,
            out: [...document.querySelectorAll('table, img')]
                .filter(t => t.getBoundingClientRect().right > document.body.getBoundingClientRect().right + 1)
                .map(t => t.tagName + '.' + t.className)})""")
    finally:
        page.close()
    assert printed == {"toc": "none", "head": "table-header-group", "out": []}


def test_real_docx_holds_key_figures_and_communes_as_word_tables(reports):
    import docx
    from bs4 import BeautifulSoup

    diagnostic = reports["diagnostic"]
    assert set(diagnostic.documents) >= {"docx"}, diagnostic.format_errors
    soup = BeautifulSoup(diagnostic.html.read_text(encoding="utf-8"), "html.parser")
    document = docx.Document(str(diagnostic.documents["docx"]))
    word_tables = [[[" ".join(c.text.split()) for c in row.cells] for row in table.rows] for table in document.tables]
    for css in ("abs-key-figures", "abs-communes"):
        table = soup.find("table", class_=css)
        assert table is not None, f"pas de tableau {css} dans la page"
        # Soft hyphens (break hints in narrow HTML headers) are invisible and pandoc drops them.
        rows = [[" ".join(c.get_text(" ", strip=True).replace("\xad", "").split()) for c in tr.find_all(["th", "td"])]
                for tr in table.find_all("tr")]
        # Merged cells (colspan) repeat in python-docx's rows: compare row by row, in order, ignoring repeats.
        same = [w for w in word_tables if len(w) == len(rows)
                and all([c for i, c in enumerate(wr) if i == 0 or c != wr[i - 1]] == [c for i, c in enumerate(hr)
                        if i == 0 or c != hr[i - 1]] for wr, hr in zip(w, rows))]
        assert same, f"le tableau {css} ({len(rows)} lignes, en-tête {rows[0]}) n'est pas un tableau Word"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    toc = [a.get_text() for a in soup.find("nav").find_all("a")]
    assert all(title in headings for title in toc)
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7


def test_real_pdf_has_the_pages_of_chromiums_own_print(browser, reports):
    import pypdf

    from test_export_formats import _browser_executable, chromium_own_print_pages

    diagnostic = reports["diagnostic"]
    assert "pdf" in diagnostic.documents, diagnostic.format_errors
    pages = len(pypdf.PdfReader(str(diagnostic.documents["pdf"])).pages)
    own = chromium_own_print_pages(_browser_executable(), diagnostic.html, reports["root"])
    assert pages == own
    print(f"PDF du diagnostic réel : {pages} pages A4 (impression de Chromium : {own})")
