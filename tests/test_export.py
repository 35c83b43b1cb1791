"""The report page's accessible shell, and its Word version, from hand-built executed notebooks.

No kernel: the notebooks are built with nbformat as papermill leaves them (outputs
included), the tables are real pandas HTML (``DataFrame.to_html``, as the report
notebooks display them).
"""

from __future__ import annotations

import base64
import io
import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from abs_lib.reports.export import DEFAULT_ALT, export_html, make_accessible


def _png(width=4, height=2) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    ax.bar(["a", "b"], [3, 5])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


KEY_FIGURES = pd.DataFrame({
    "Indicateur": ["Population", "Part des 75 ans ou plus", "Foyers allocataires de la CAF"],
    "Valeur": ["22 152", "6,8 %", "n.d."],
    "Millésime": ["2022", "2022", ""],
    "Remarque": ["", "", "hors champ du fichier"],
})
COMMUNES = pd.DataFrame({"Code": ["21005", "21057"], "Commune": ["Aiserey", "Beire-le-Fort"],
                         "Population": ["1 489", "343"]})


def _html_output(frame: pd.DataFrame, css: str):
    return new_output("display_data", data={"text/html": frame.to_html(index=False, classes=css),
                                            "text/plain": "table"})


def _notebook():
    compared = pd.DataFrame(
        [[6.8, 9.9, 10.1], [11.5, 12.0, 13.2]],
        index=pd.Index(["Part des 75 ans ou plus", "Familles monoparentales"], name="Indicateur"),
        columns=pd.MultiIndex.from_tuples([("Territoire", "EPCI"), ("Comparaison", "Département"),
                                           ("Comparaison", "France")]))
    cells = [
        new_code_cell('territory = "200000925"', metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("Ce diagnostic rassemble les indicateurs ; voir [la démographie](#Démographie)."),
        new_markdown_cell("## Chiffres clés"),
        new_code_cell("chiffres_cles()", execution_count=1, outputs=[_html_output(KEY_FIGURES, "abs-key-figures")]),
        new_markdown_cell("## Vos communes"),
        new_code_cell("communes()", execution_count=2, outputs=[_html_output(COMMUNES, "abs-communes")]),
        new_markdown_cell("## Démographie\n\n### Structure par âge"),
        new_code_cell("figure()", execution_count=3, outputs=[new_output(
            "display_data", data={"image/png": _png(), "text/plain": "<Figure>"},
            metadata={"image/png": {"width": 480}, "alt": "Pyramide des âges : plus de femmes après 75 ans"})]),
        new_code_cell("figure_sans_description()", execution_count=4, outputs=[new_output(
            "display_data", data={"image/png": _png(), "text/plain": "<Figure>"})]),
        new_code_cell("comparaison()", execution_count=5, outputs=[new_output(
            "display_data", data={"text/html": compared.to_html(), "text/plain": "table"})]),
        new_markdown_cell("### Structure par âge\n\nMême titre, autre section : un autre identifiant. "
                          "Source : [INSEE](https://www.insee.fr/fr/statistiques)."),
    ]
    return new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    target = tmp_path_factory.mktemp("page") / "diagnostic.html"
    export_html(_notebook(), target, title="Diagnostic — CC de la Plaine Dijonnaise")
    return target.read_text(encoding="utf-8")


def test_page_has_skip_link_french_toc_and_unique_heading_ids(page):
    soup = BeautifulSoup(page, "html.parser")
    assert soup.html["lang"] == "fr"
    skip = soup.body.find("a")
    assert skip["href"] == "#contenu" and skip.get_text() == "Aller au contenu" and soup.find(id="contenu").name == "main"
    nav = soup.find("nav")
    assert nav.find("h2").get_text() == "Sommaire"
    assert [a.get_text() for a in nav.find_all("a")] == [
        "Chiffres clés", "Vos communes", "Démographie", "Structure par âge", "Structure par âge"]
    nested = nav.find("ol").find("ol")  # the h3 entries sit under their h2
    assert [a.get_text() for a in nested.find_all("a")] == ["Structure par âge", "Structure par âge"]
    targets = [a["href"] for a in nav.find_all("a")]
    assert targets == ["#chiffres-cles", "#vos-communes", "#demographie", "#structure-par-age",
                       "#structure-par-age-2"]
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    for target in targets:
        assert soup.find(id=target[1:]).name in ("h2", "h3")
    # A link written in the notebook to nbconvert's heading id follows the heading's new id.
    assert soup.find("a", string="la démographie")["href"] == "#demographie"


def test_table_cells_are_labelled_by_their_column_headers(page):
    soup = BeautifulSoup(page, "html.parser")
    key = soup.find("table", class_="abs-key-figures")
    assert "abs-cards" in key["class"] and key["role"] == "table"  # 4 columns: cards on a phone
    first = [(td["data-label"], td.get_text()) for td in key.find("tbody").find("tr").find_all("td")]
    assert first == [("Indicateur", "Population"), ("Valeur", "22 152"), ("Millésime", "2022"),
                     ("Remarque", "")]
    assert "abs-num" in key.find("td", string="22 152")["class"]
    assert "abs-num" not in key.find("td", string="n.d.").get("class", [])
    communes = soup.find("table", class_="abs-communes")
    assert "abs-cards" not in communes["class"]  # 3 narrow columns fit a phone as a table
    assert [td["data-label"] for td in communes.find("tbody").find("tr").find_all("td")] == [
        "Code", "Commune", "Population"]
    # pandas MultiIndex columns (colspan) and a named row index: each value gets both header levels.
    compared = [t for t in soup.find_all("table") if "Comparaison" in t.get_text()][0]
    row = compared.find("tbody").find("tr")
    assert row.find("th").get_text() == "Part des 75 ans ou plus" and row.find("th")["role"] == "rowheader"
    assert [td["data-label"] for td in row.find_all("td")] == [
        "Territoire – EPCI", "Comparaison – Département", "Comparaison – France"]


def test_images_keep_alt_and_width_and_get_the_fallback_only_without_alt(page):
    images = BeautifulSoup(page, "html.parser").find_all("img")
    assert len(images) == 2
    assert images[0]["alt"] == "Pyramide des âges : plus de femmes après 75 ans" and images[0]["width"] == "480"
    assert images[1]["alt"] == DEFAULT_ALT
    assert all(img["src"].startswith("data:image/png;base64,") for img in images)


def test_stylesheet_reflows_on_phones_and_prints_on_a4(page):
    style = BeautifulSoup(page, "html.parser").find("style").get_text()
    phone = style[style.index("@media (max-width: 600px)"):style.index("@media print")]
    assert "td[data-label]::before" in phone and "content: attr(data-label)" in phone
    assert "overflow-x" not in style  # wide tables wrap; no scroll box hiding columns
    assert "img, svg { max-width: 100%; height: auto; }" in style
    assert "@page { size: A4;" in style
    printing = style[style.index("@media print"):]
    assert ".abs-toc { display: none; }" in printing or ".abs-skip, .abs-toc { display: none; }" in printing
    assert "thead { display: table-header-group; }" in printing
    assert 'a[href^="http"]::after { content: " (" attr(href) ")"' in printing
    assert re.search(r"tr, figure[^{]*\{ break-inside: avoid;", printing)
    # Body text is 16 px on every screen: never under 12 px on a phone.
    assert re.search(r"@media \(max-width: 600px\) \{\s*body \{ padding: 0.75rem; font-size: 16px; \}", style)


def test_make_accessible_leaves_a_plain_table_and_odd_spans_alone():
    body = ('<table><tbody><tr><th>territory</th><td>01001</td></tr></tbody></table>'
            '<table><thead><tr><th colspan="x">A</th><th rowspan="2">B</th></tr><tr><th>a</th></tr></thead>'
            '<tbody><tr><td>1</td><td>2</td></tr></tbody></table><h2></h2><h2>2024</h2>')
    out, toc = make_accessible(body)
    soup = BeautifulSoup(out, "html.parser")
    plain, spans = soup.find_all("table")
    assert not plain.find(attrs={"data-label": True}) and "class" not in plain.attrs
    assert [td["data-label"] for td in spans.find_all("td")] == ["A – a", "B"]
    assert [h["id"] for h in soup.find_all("h2")] == ["section", "s-2024"]
    assert toc.count("<li>") == 1 and 'href="#s-2024"' in toc


def test_docx_has_word_tables_headings_figures_and_a4_french_setup(page, tmp_path):
    import docx
    from docx.oxml.ns import qn

    from abs_lib.reports.docx import export_docx

    target = tmp_path / "diagnostic.docx"
    export_docx(page, target, title="Diagnostic — CC de la Plaine Dijonnaise")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagnostic.docx"]  # no temporary file left
    document = docx.Document(str(target))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == [("Heading 1", "Diagnostic — CC de la Plaine Dijonnaise"),
                            ("Heading 2", "Chiffres clés"), ("Heading 2", "Vos communes")]
    assert ("Heading 3", "Structure par âge") in headings
    assert "Sommaire" not in [p.text for p in document.paragraphs]  # Word has its own navigation
    cells = [[[c.text for c in row.cells] for row in table.rows] for table in document.tables]
    assert [["Indicateur", "Valeur", "Millésime", "Remarque"], ["Population", "22 152", "2022", ""],
            ["Part des 75 ans ou plus", "6,8 %", "2022", ""],
            ["Foyers allocataires de la CAF", "n.d.", "", "hors champ du fichier"]] in cells
    assert [["Code", "Commune", "Population"], ["21005", "Aiserey", "1 489"],
            ["21057", "Beire-le-Fort", "343"]] in cells
    assert len(document.inline_shapes) == 2
    descriptions = [el.get("descr") for el in document.element.body.iter(qn("wp:docPr"))]
    assert "Pyramide des âges : plus de femmes après 75 ans" in descriptions
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert round(section.left_margin.cm, 1) == 2.0
    assert document.core_properties.language == "fr-FR"
    assert document.core_properties.title == "Diagnostic — CC de la Plaine Dijonnaise"


def test_a_fictional_page_says_it_once_at_the_top():
    from abs_lib.demo import FICTIONAL_NOTICE
    from abs_lib.reports.export import render_html

    notice = new_output("display_data", data={
        "text/html": f'<p class="abs-fictif"><strong>{FICTIONAL_NOTICE}</strong></p>\n<p>CC fictive</p>',
        "text/plain": "intro"})
    nb = new_notebook(cells=[new_code_cell("show.intro(portrait)", outputs=[notice])])
    page, _ = render_html(nb, title="Diagnostic — CC fictive", fictional=True)
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("header").find(class_="abs-banner") is not None
    assert soup.find(class_="abs-fictif") is None and "CC fictive</p>" in page
    real, _ = render_html(nb, title="Diagnostic — CC fictive", fictional=False)
    assert 'class="abs-fictif"' in real   # only the banner replaces it
