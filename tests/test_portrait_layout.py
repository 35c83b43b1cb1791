"""What a report shows first and last: the written summary, the reader tables, « Vos
communes », « Données manquantes » and « Notes de méthode », checked against the
portrait's own values on the demo and on the real Côte-d'Or extracts."""

import re

import pytest

from abs_lib.formatting import format_number
from abs_lib.indicators.compute import FLAG_TEXT, SMALL
from abs_lib.portrait import open_portrait, side_by_side, theme_table, value
from abs_lib.portrait import display as show
from abs_lib.portrait.communes import COMMUNE_COLUMNS, SMALL_MARK, commune_table
from abs_lib.portrait.method_notes import geography_notes, method_notes
from abs_lib.portrait.missing import missing_data
from abs_lib.portrait.periods import resolve_periods
from abs_lib.portrait.reader import before_after_table, missing_words, reader_table
from abs_lib.portrait.summary import KEY_FIGURES, summary_sentences, update_sentences
from abs_lib.portrait.tables import cell, commune_values

NUMBER = re.compile(r"(?:(?<!\d)[+-])?\d[\d\u00a0\u202f ]*(?:,\d+)?")


@pytest.fixture(scope="module")
def demo():
    return open_portrait("000000001")


@pytest.fixture(scope="module")
def plaine(real_store):
    return open_portrait("200000925", data_dir=real_store)


def _numbers(text: str) -> set[str]:
    return {n.strip().replace("\u202f", "\u00a0") for n in NUMBER.findall(text) if n.strip()}


def _known_numbers(portrait) -> set[str]:
    """Every number the portrait could honestly print: its values (territory and references,
    any vintage, formatted and signed changes aside) and its years."""
    registry = portrait.registry
    t = portrait.table
    known = {str(int(v)) for v in t["vintage"].unique()} | {str(len(portrait.territory.communes))}
    for ind in registry:   # numbers of the labels themselves (« 75 ans ou plus », « pour 100 enfants »)
        known |= _numbers(ind.label) | _numbers(ind.unit)
    rows = t[t["value"].notna().to_numpy() & (t["level"].astype(str) != "commune").to_numpy()]
    for indicator, number in zip(rows["indicator"].astype(str), rows["value"]):
        unit = registry.units[registry[indicator].unit]
        known |= _numbers(format_number(float(number), unit.suffix.strip() or None, decimals=unit.decimals))
    return known


def _check_summary_numbers(portrait, sentences):
    """No number in the summary that the portrait does not hold (never an invented figure)."""
    known = _known_numbers(portrait)
    for sentence in sentences:
        for number in _numbers(sentence):
            assert number.lstrip("+") in known or number in known, f"« {number} » not from the portrait: {sentence}"


def test_demo_summary_is_short_and_every_number_comes_from_the_portrait(demo):
    sentences = summary_sentences(demo)
    assert 3 <= len(sentences) <= 6
    population, year = value(demo, "population")
    assert sentences[0].startswith(f"Le territoire (CA du Val-Imaginaire, 10 communes) compte "
                                   f"{format_number(population, decimals=0)} habitants en {year}")
    children, _ = value(demo, "enfants_0_2")
    assert f"{format_number(children, decimals=0)} enfants de moins de 3 ans" in sentences[1]
    median, _ = value(demo, "revenu_median")
    dep_median, _ = value(demo, "revenu_median", level="departement", code="00")
    assert any(f"{format_number(median, '€', decimals=0)} par unité de consommation" in s
               and f"contre {format_number(dep_median, '€', decimals=0)} dans le département" in s for s in sentences)
    _check_summary_numbers(demo, sentences)


def test_real_summary_says_missing_figures_with_their_reason(plaine):
    sentences = summary_sentences(plaine)
    assert 3 <= len(sentences) <= 6
    text = " ".join(sentences)
    assert "Le territoire (CC de la Plaine Dijonnaise, 22 communes) compte" in text
    children, _ = value(plaine, "enfants_0_2")
    if children == children:
        assert f"{format_number(children, decimals=0)} enfants de moins de 3 ans" in text
    else:
        reason = missing_words(cell(plaine, "enfants_0_2")["flags"])
        assert f"Le nombre d'enfants de moins de 3 ans n'est pas disponible ({reason})" in text
    single, _ = value(plaine, "part_familles_monoparentales")
    assert f"{format_number(single, '%', decimals=1)} des familles sont monoparentales" in text
    _check_summary_numbers(plaine, sentences)


def test_update_summary_states_changes_from_the_same_cells(demo):
    periods = resolve_periods(demo, 2016, None)
    sentences = update_sentences(demo, periods)
    assert 2 <= len(sentences) <= 6
    before = format_number(value(demo, "population", max_vintage=2016)[0], decimals=0)
    after = format_number(value(demo, "population", max_vintage=periods.update)[0], decimals=0)
    assert f"population : {before} en 2016, {after} en" in sentences[1].lower().replace("Population", "population")
    assert "trop proches" in " ".join(sentences)   # children: RP 2016 vs 2019, not comparable


def test_reader_table_is_narrow_and_matches_the_full_table(demo):
    for theme in demo.registry.by_theme():
        full = theme_table(demo, theme).set_index("Indicateur")
        indicators = demo.registry.by_theme()[theme]
        reader = reader_table(demo, indicators)
        names = ["Indicateur", "CA du Val-Imaginaire", "Département fictif (démo) (00)", "Région fictive (démo)",
                 "France métropolitaine (fictive)", "Millésime"]
        assert list(reader.frame.columns[:6]) == names and len(reader.frame.columns) <= 7
        shown = set(reader.frame["Indicateur"])
        hidden = {label for labels in reader.missing.values() for label in labels}
        assert shown | hidden == set(full.index) and not shown & hidden   # every indicator once
        for _, row in reader.frame.iterrows():
            for column in names[1:]:
                assert row[column] == full.loc[row["Indicateur"], column]
        for label in hidden:
            assert full.loc[label, "CA du Val-Imaginaire"] == "n.d."


def test_reader_footnotes_explain_cautions_in_plain_words(demo):
    reader = reader_table(demo, KEY_FIGURES, keep_missing=True)
    assert list(reader.frame["Indicateur"])[0] == "Population" and len(reader.frame) == len(KEY_FIGURES)
    assert all(re.fullmatch(r"(\d+(, \d+)*)?", n) for n in reader.frame["Note"])
    assert reader.footnotes and all("_" not in text and ":" not in text.split(" : ")[0][:0] for text in reader.footnotes)
    for note in reader.frame["Note"]:
        for number in filter(None, note.split(", ")):
            assert 1 <= int(number) <= len(reader.footnotes)


def test_before_after_table_has_four_columns_and_the_same_change(demo):
    indicators = ["population", "part_75_plus", "enfants_0_2", "taux_pauvrete"]
    narrow = before_after_table(demo, indicators, baseline=2016, update=2022)
    assert list(narrow.frame.columns) == ["Indicateur", "Avant (2016)", "Après (2022)", "Évolution", "Note"]
    full = side_by_side(demo, indicators, baseline=2016, update=2022).set_index("Indicateur")
    for _, row in narrow.frame.iterrows():
        assert row["Évolution"] == full.loc[row["Indicateur"], "Évolution"].split(" (")[0]
        assert row["Avant (2016)"].startswith(full.loc[row["Indicateur"], "Avant"])
    assert "Taux de pauvreté" in {label for labels in narrow.missing.values() for label in labels}


def test_commune_table_one_row_per_member_with_small_number_marks(demo):
    table = commune_table(demo)
    assert len(table.frame) == len(demo.territory.communes) == 10
    assert set(table.values.index) == set(demo.territory.communes)
    population = [c for c in table.frame.columns if c.startswith("Population (")][0]
    pops, _ = commune_values(demo, "population")
    names = dict(zip(demo.membership["commune"], demo.membership["commune_name"]))
    by_name = dict(zip(table.frame["Commune"], table.frame[population]))
    for code, number in pops.items():
        assert by_name[names[code]] == format_number(number, decimals=0)
    assert 8 <= len(table.frame.columns) - 1 + sum("non disponible pour les communes" in n for n in table.notes) <= 10
    # a cell of a count under 200 carries the mark, and the mark is explained below the table
    t = demo.table
    column = [c for c in table.frame.columns if c.startswith(COMMUNE_COLUMNS["enfants_0_2"])][0]
    vintage = int(column[-5:-1])
    rows = t[(t["level"].astype(str) == "commune").to_numpy() & (t["indicator"].astype(str) == "enfants_0_2").to_numpy()
             & (t["vintage"] == vintage).to_numpy()]
    small = {names[str(c)] for c, f in zip(rows["territory"], rows["flags"].astype(str)) if FLAG_TEXT[SMALL] in f}
    assert small, "the demo has communes under 200 children"
    for name, text in zip(table.frame["Commune"], table.frame[column]):
        assert text.endswith(SMALL_MARK) == (name in small)
    assert any(n.startswith(SMALL_MARK + " ") for n in table.notes)


def test_real_commune_table_says_why_values_are_missing(plaine):
    table = commune_table(plaine)
    assert len(table.frame) == 22
    shown = table.frame.to_numpy().ravel().tolist()
    if "n.d." in shown:
        assert any(" : n.d. pour " in n for n in table.notes)
    for note in table.notes:
        assert "_" not in note and "`" not in note


def test_missing_data_lists_each_source_once_with_a_link_and_a_command(demo):
    found = missing_data(demo)
    assert found and len({m.dataset for m in found}) == len(found)
    page = show.missing_data(demo).text
    assert "`" not in page
    for m in found:
        if m.page_url:
            assert f'<a href="{m.page_url}">' in page and m.page_url.startswith("https://")
            assert f"<code>abs data fetch {m.dataset}</code>" in page
        else:
            assert "<code>abs data import FICHIER</code>" in page
    assert page.count("<li>") == len(found)


def test_reports_tables_carry_the_ids_the_docx_export_looks_for(demo):
    assert 'id="abs-key-figures"' in show.show_key_figures(demo).text
    assert 'id="abs-communes"' in show.communes_table(demo).text
    periods = resolve_periods(demo, 2016, None)
    assert 'id="abs-key-figures"' in show.update_key_figures(demo, periods).text
    assert "Sources absentes" not in show.theme(demo, "logement").text


def test_method_notes_explain_the_enjeux_rule_without_file_pointer(demo):
    notes = method_notes(demo)
    titles = [n.title for n in notes]
    assert "Classement des enjeux" in titles and "Lire les tableaux" in titles
    text = " ".join(p for n in notes for p in n.paragraphs)
    assert "département, sinon la région, sinon la France métropolitaine" in text
    assert "docs/" not in text and "`" not in text
    assert show.method_notes(demo).text.count("<h3>") == len(notes)


def test_real_geography_notes_only_about_the_territory_in_plain_words(plaine):
    notes = geography_notes(plaine)
    text = " ".join(notes)
    for jargon in ("LIBGEO", "->", "filosofi-disp", "insee-comparateur", "Codes inconnus", "code(s) repris"):
        assert jargon not in text
    for elsewhere in ("Valforêt", "Neuilly-Crimolois", "Le Val-Larrey"):   # mergers of other EPCI
        assert elsewhere not in text
    names = set(plaine.membership.loc[plaine.membership["commune"].isin(plaine.territory.communes), "commune_name"])
    for merged in re.findall(r"forment aujourd'hui ([^;.]+)", text):
        assert merged.strip() in names
    intro = show.intro(plaine).text
    assert "géographie au 1er janvier" in intro and "déduite des codes" not in intro
    # every loader note about the territory's communes is said, and only those
    assert bool(notes) == any(n.text(plaine.territory.communes) for n in plaine.notes)


def _check_pointers(portrait):
    """Every indicator whose reason sends the reader to « Données manquantes » is listed there."""
    listed = {label for m in missing_data(portrait) for label in m.indicators}
    for ind in portrait.registry:
        found = cell(portrait, ind.id)
        if found is None or found["value"] == found["value"]:
            continue
        if "Données manquantes" in missing_words(found["flags"]):
            assert ind.label in listed, f"{ind.id}: {found['flags']}"


def test_demo_missing_values_point_to_a_listed_source(demo):
    _check_pointers(demo)


def test_real_missing_values_point_to_a_listed_source(plaine):
    _check_pointers(plaine)
    incomplete = [m for m in missing_data(plaine) if m.incomplete]
    assert all(m.page_url.startswith("https://") or m.command == "abs data import FICHIER" for m in incomplete)


def test_a_commune_study_says_why_it_has_no_commune_map(real_store, demo):
    """A commune has no member communes to map: the report says so, not that its data is absent."""
    commune = open_portrait("21231", data_dir=real_store)  # Dijon: its population is known
    assert value(commune, "population")[0] > 100_000
    shown = show.commune_map(commune, "population").text
    assert "sans objet : le territoire étudié est une seule commune" in shown
    assert "absent" not in shown and "non disponible" not in shown
    assert isinstance(show.commune_map(demo, "population"), (show.Png, show.MapWithKey))  # an EPCI keeps its map
