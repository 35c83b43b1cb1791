"""Every figure stays legible whatever its data: no overlapping text, nothing outside the
canvas, no layout warning, text of at least 12 px on a phone, a French alt text.

Checked with the renderer on complete, partial and empty inputs, on the demo and on the
real data of CC de la Plaine Dijonnaise (200000925, 22 communes)."""

import itertools
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from abs_lib.errors import FigureError
from abs_lib.formatting import format_number
from abs_lib.plots import (age_pyramid, commune_choropleth, commune_symbols, compare_bars, coverage_chart,
                           evolution_chart, style)
from abs_lib.plots.classify import display_classes, display_labels, rounded_breaks

SOURCE = "Insee, RP 2019 (géographie 2022)"
BANDS = ["0 à 14 ans", "15 à 29 ans", "30 à 44 ans", "45 à 59 ans", "60 à 74 ans", "75 ans ou plus"]
COUNTS = pd.Series([4112.31, 3508.72, 4201.15, 5104.9, 3902.33, 2170.59], index=BANDS)
TERRITORIES = ["CC de la Plaine Dijonnaise", "Côte-d'Or (21)", "Bourgogne-Franche-Comté", "France métropolitaine"]
LONG_TITLE = ("Revenu disponible médian par unité de consommation des ménages fiscaux par commune "
              "(2019, géographie au 1er janvier 2022)")
EPCI = "200000925"


def render(fig):
    """Draw the figure with every warning turned into an error (layout warnings included)."""
    with warnings.catch_warnings(), style.house_style():  # as display.Png draws it
        warnings.simplefilter("error")
        fig.canvas.draw()
    return fig.canvas.get_renderer()


def text_boxes(fig, renderer):
    """(kind, bbox) of every visible text block; a legend counts as one block."""
    boxes = []
    for text in fig.texts:
        if text.get_visible() and text.get_text().strip():
            boxes.append((text.get_gid() or "texte", text.get_window_extent(renderer)))
    for legend in fig.legends:
        boxes.append(("legende", legend.get_window_extent(renderer)))
    for ax in fig.axes:
        for text in ax.texts:
            if text.get_visible() and text.get_text().strip():
                boxes.append((text.get_gid() or "valeur", text.get_window_extent(renderer)))
        for axis in (ax.xaxis, ax.yaxis):
            if ax.axison:
                lo, hi = sorted(axis.get_view_interval())
                eps = (hi - lo) * 1e-6
                for loc, tick in zip(axis.get_majorticklocs(), axis.get_ticklabels()):
                    # ticks outside the view limits are listed but not drawn
                    if lo - eps <= loc <= hi + eps and tick.get_visible() and tick.get_text().strip():
                        boxes.append(("graduation", tick.get_window_extent(renderer)))
                label = axis.get_label()
                if label.get_visible() and label.get_text().strip():
                    boxes.append(("axe", label.get_window_extent(renderer)))
    return boxes


def overlap(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0) * max(h, 0)


def assert_legible(fig):
    """No two text blocks overlap, all inside the canvas, ≥ 12 px on a phone, an alt text."""
    renderer = render(fig)
    width, height = fig.canvas.get_width_height()
    boxes = text_boxes(fig, renderer)
    assert boxes
    for kind, box in boxes:
        assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, (kind, box, width)
    labels = {"numero-commune", "nom-commune"}
    for (ka, a), (kb, b) in itertools.combinations(boxes, 2):
        shared = overlap(a, b)
        if ka in labels and kb in labels:  # commune labels: small tolerance (close centroids)
            assert shared <= 0.35 * min(a.width * a.height, b.width * b.height), (ka, kb)
        else:
            assert shared <= 1.0, (ka, a, kb, b)
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip():
            assert style.phone_px(text.get_fontsize(), fig) >= 12, (text.get_text(), text.get_fontsize())
    # shown on a desktop at its width metadata, within the page's 832 px body
    assert 600 <= style.CSS_WIDTH <= 700 and fig.get_figwidth() * fig.dpi >= 1.15 * style.CSS_WIDTH
    assert fig.abs_alt and not fig.abs_alt.startswith("Graphique (pas")
    return fig


def test_phone_rule_by_hand():
    # 12 pt on a 5-inch figure shown 370 px wide: 12 / 72 * 370 / 5 = 12,33 px whatever the dpi
    fig = style.new_figure()
    assert style.phone_px(12, fig) == pytest.approx(12 / 72 * 370 / 5)
    assert style.phone_px(10, fig) < 12


# Charts: complete, partial, empty --------------------------------------------------------------


COMPARE = pd.Series([7.1, 10.9, 10.4, np.nan], index=TERRITORIES)


@pytest.mark.parametrize("values", [COMPARE.fillna(9.8), COMPARE, COMPARE.iloc[:1]], ids=["complete", "partial", "one"])
def test_compare_bars_legible(values):
    fig = compare_bars(values, "%", "Part des 75 ans ou plus (2019)", SOURCE,
                       reasons={"France métropolitaine": "non importé"})
    assert_legible(fig)
    if values.isna().any():
        assert fig.abs_alt == ("Diagramme en barres : Part des 75 ans ou plus (2019). CC de la Plaine Dijonnaise : "
                               "7,1\u00a0% ; Côte-d'Or (21) : 10,9\u00a0% ; Bourgogne-Franche-Comté : 10,4\u00a0% ; "
                               "France métropolitaine : n.d. (non importé).")


def test_compare_bars_long_title_wraps_and_negative_values():
    fig = compare_bars(pd.Series([-1.2, 0.4, 2.5], index=TERRITORIES[:3]), "% par an", LONG_TITLE, SOURCE)
    assert_legible(fig)
    title = next(t for t in fig.texts if t.get_gid() == "titre")
    assert "\n" in title.get_text() and title.get_text().replace("\n", " ") == LONG_TITLE


def test_compare_bars_empty_says_why():
    with pytest.raises(FigureError, match="aucune valeur connue.*non importé"):
        compare_bars(pd.Series([np.nan, np.nan], index=TERRITORIES[:2]), "%", "Part", SOURCE,
                     reasons={TERRITORIES[0]: "non importé"})


@pytest.mark.parametrize("case", ["total", "partial", "sexed", "sexed-partial", "counts"])
def test_age_pyramid_legible(case):
    ref = COUNTS * 40
    if case == "total":
        fig = age_pyramid(COUNTS, "Structure par âge", SOURCE, reference=ref, reference_label="Côte-d'Or (21)",
                          territory_label=TERRITORIES[0])
    elif case == "partial":
        fig = age_pyramid(COUNTS.where(COUNTS.index != "75 ans ou plus"), "Structure par âge", SOURCE, reference=ref)
    elif case == "counts":
        fig = age_pyramid(COUNTS, "Structure par âge", SOURCE, as_share=False)
    else:
        sexed = pd.DataFrame({"men": COUNTS * 0.49, "women": COUNTS * 0.51})
        if case == "sexed-partial":
            sexed.iloc[2, 0] = np.nan
        fig = age_pyramid(sexed, "Pyramide des âges", SOURCE, reference=sexed * 30)
    assert_legible(fig)
    assert "0 à 14 ans" in fig.abs_alt


def test_age_pyramid_empty():
    with pytest.raises(FigureError, match="aucune donnée"):
        age_pyramid(COUNTS * np.nan, "Structure par âge", SOURCE)


RATES = pd.DataFrame({"eaje": [12.3, 18.2, np.nan], "childminders": [38.2, 34.1, np.nan],
                      "home_employees": [1.2, 2.0, np.nan], "preschool": [3.1, np.nan, np.nan]},
                     index=TERRITORIES[:3])


@pytest.mark.parametrize("after", [None, {"eaje": 20.0, "childminders": 38.2, "home_employees": 1.2, "preschool": 3.1},
                                   {"eaje": 20.0}], ids=["before", "after", "after-partial"])
@pytest.mark.parametrize("rows", [1, 2, 3])
def test_coverage_chart_legible(after, rows):
    fig = coverage_chart(RATES.iloc[:rows], "Taux de couverture de l'accueil du jeune enfant (2019)", SOURCE,
                         after=after, reasons={TERRITORIES[2]: "non importé au niveau région"})
    assert_legible(fig)
    assert fig.abs_alt.startswith("Barres empilées : Taux de couverture")
    assert "CC de la Plaine Dijonnaise" in fig.abs_alt


def test_coverage_chart_empty_gives_the_reasons():
    with pytest.raises(FigureError, match="aucun taux par mode connu.*non importé au niveau EPCI"):
        coverage_chart(RATES.iloc[2:] * np.nan, "Taux", SOURCE, reasons={TERRITORIES[2]: "non importé au niveau EPCI"})


@pytest.mark.parametrize("gap", [False, True])
def test_evolution_chart_legible(gap):
    values = [8.1, 9.2, 12.0, 9.5, 10.1, 11.0]
    if gap:
        values[1] = np.nan
    series = pd.DataFrame({"vintage": [2013, 2019, 2022] * 2, "territory": [TERRITORIES[0]] * 3 + [TERRITORIES[1]] * 3,
                           "value": values})
    fig = evolution_chart(series, "%", "Part des 75 ans ou plus", SOURCE)
    assert_legible(fig)
    assert "2019" in fig.abs_alt


def test_evolution_chart_empty():
    series = pd.DataFrame({"vintage": [2013, 2019], "territory": ["A", "A"], "value": [np.nan, np.nan]})
    with pytest.raises(FigureError, match="aucune valeur"):
        evolution_chart(series, "%", "Part", SOURCE)


# Maps -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def epci(shared_data):
    from abs_lib.plots import load_contours

    contours = load_contours(shared_data / "geo" / "communes_dep21.geojson")
    return contours[contours["SIREN_EPCI"] == EPCI]


@pytest.fixture(scope="module")
def income(shared_data):
    table = pd.read_csv(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv",
                        sep=";", dtype=str).set_index("CODGEO")
    return pd.to_numeric(table["MED21"].replace("s", np.nan)), pd.to_numeric(table["P22_POP"])


@pytest.mark.parametrize("missing", [0, 3, 21])
def test_choropleth_legible_with_numbered_communes(epci, income, missing):
    values = income[0].reindex(epci["INSEE_COM"])
    values.iloc[:missing] = np.nan
    reasons = {code: "secret statistique" for code in values.index[:missing]}
    fig = commune_choropleth(epci, values, title=LONG_TITLE, unit="€", source=SOURCE, reasons=reasons)
    assert_legible(fig)
    numbers = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "numero-commune"]
    assert sorted(numbers, key=int) == [str(i) for i in range(1, 23)]
    key = "\n".join(t.get_text() for t in fig.texts if t.get_gid() == "cle-communes")
    assert "1\u00a0Aiserey" in key and "Genlis" in key  # alphabetical key
    known = values.dropna()
    lowest = epci.set_index("INSEE_COM").loc[known.idxmin(), "NOM"]
    if len(known) > 1:
        assert f"{format_number(known.min(), '€')} ({lowest}, la plus basse)" in fig.abs_alt
    else:
        assert f"Valeur : {format_number(known.min(), '€')} ({lowest})" in fig.abs_alt
    if missing:
        assert f"{missing} commune{'s' if missing > 1 else ''} sans donnée" in fig.abs_alt
        assert "secret statistique" in fig.abs_alt and "secret statistique" in " ".join(t.get_text() for t in fig.texts).replace("\n", " ")


def test_map_key_outside_the_figure_is_the_same_key_as_html(epci, income):
    """A report's maps leave their key to an HTML list under the image: same names, same numbers."""
    from abs_lib.portrait.display import MapWithKey, Png

    values = income[0].reindex(epci["INSEE_COM"])
    drawn = commune_choropleth(epci, values, title=LONG_TITLE, unit="€", source=SOURCE)
    inside = [t.get_text() for t in drawn.texts if t.get_gid() == "cle-communes"]
    fig = commune_choropleth(epci, values, title=LONG_TITLE, unit="€", source=SOURCE, key_in_figure=False)
    assert_legible(fig)
    assert not [t for t in fig.texts if t.get_gid() == "cle-communes"]  # no key in the image
    numbers = sorted(int(t.get_text()) for t in fig.axes[0].texts if t.get_gid() == "numero-commune")
    assert numbers == list(range(1, 23)) and len(fig.abs_key) == 22
    lines = "\n".join(inside).split("\n")
    assert [f"{n}\u00a0{name}" for n, name in enumerate(fig.abs_key, start=1)] == sorted(
        lines, key=lambda line: int(line.split("\u00a0")[0]))
    shown = MapWithKey(Png(fig), fig.abs_key).key_html()
    assert shown.startswith('<ol class="abs-cle-carte"') and shown.count("<li>") == 22
    assert shown.index("<li>Aiserey</li>") < shown.index("<li>Genlis</li>")
    symbols = commune_symbols(epci, income[1].reindex(epci["INSEE_COM"]), title="Population", source=SOURCE,
                              key_in_figure=False)
    assert symbols.abs_key == fig.abs_key


def test_choropleth_without_any_value_says_why(epci):
    values = pd.Series(np.nan, index=epci["INSEE_COM"].to_numpy())
    with pytest.raises(FigureError, match="aucune valeur connue.*22 communes \\(secret statistique\\)"):
        commune_choropleth(epci, values, title="x", unit="%", source=SOURCE,
                           reasons={c: "secret statistique" for c in values.index})


@pytest.mark.parametrize("missing", [0, 2])
def test_symbols_legible_and_proportional(epci, income, missing):
    population = income[1].reindex(epci["INSEE_COM"])
    population.iloc[:missing] = np.nan
    fig = commune_symbols(epci, population, title="Population par commune (2022)", source=SOURCE,
                          legend_title="Population")
    assert_legible(fig)
    circles = next(c for c in fig.axes[0].collections if c.get_gid() == "cercles")
    sizes = circles.get_sizes()
    shown = np.sort(population.dropna().to_numpy())[::-1]
    np.testing.assert_allclose(np.sort(sizes)[::-1] / sizes.max(), shown / shown.max())  # area ∝ value
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert 2 <= sum(t.replace("\u00a0", "").isdigit() for t in legend) <= 3
    assert "cercles proportionnels" in fig.abs_alt and "Genlis, la plus haute" in fig.abs_alt


def test_symbols_refuse_negative_counts(epci):
    values = pd.Series(-1.0, index=epci["INSEE_COM"].to_numpy())
    with pytest.raises(FigureError, match="négatives"):
        commune_symbols(epci, values, title="x", source=SOURCE)


def test_rounded_classes_never_overlap(income, epci):
    values = income[0].reindex(epci["INSEE_COM"])
    breaks = rounded_breaks(values.to_numpy(), 5, "quantiles", "€")
    labels = display_labels(breaks, "€")
    assert labels[0].startswith("moins de ") and labels[-1].endswith("€ ou plus")
    assert all(b == round(b, -2) for b in breaks)  # rounded to the hundred: 23 400, 23 900…
    klass = display_classes(values, breaks)
    for value, k in zip(values, klass):  # each commune lies inside the range its label reads
        assert (k == 0 or value >= breaks[k - 1]) and (k == len(breaks) or value < breaks[k])
    assert klass.value_counts().min() >= 1  # no empty class


# Portraits: demo and real data ----------------------------------------------------------------


FIGURES = [("age", "figure_age_structure", ()), ("coverage", "figure_coverage", ()),
           ("coverage-after", "figure_coverage", ({"eaje": 20.0, "childminders": 30.0},)),
           ("bars-75", "figure_indicator", ("part_75_plus",)), ("bars-revenu", "figure_indicator", ("revenu_median",)),
           ("map-population", "map_indicator", ("population",)), ("map-60", "map_indicator", ("part_60_plus",)),
           ("map-75", "map_indicator", ("part_75_plus",)), ("map-revenu", "map_indicator", ("revenu_median",))]


@pytest.fixture(scope="module")
def demo():
    from abs_lib.portrait import open_portrait

    return open_portrait("000000001")


@pytest.fixture(scope="module")
def real(real_store):
    from abs_lib.portrait import open_portrait

    return open_portrait(EPCI, data_dir=real_store)


@pytest.mark.parametrize("name,function,args", FIGURES, ids=[f[0] for f in FIGURES])
@pytest.mark.parametrize("which", ["demo", "real"])
def test_portrait_figures_legible(request, which, name, function, args):
    from abs_lib.portrait import figures

    portrait = request.getfixturevalue(which)
    try:
        fig = getattr(figures, function)(portrait, *args)
    except FigureError as error:  # shown by display.figure as a French message
        assert which == "real" and name == "coverage", error
        assert "aucun taux par mode connu (CC de la Plaine Dijonnaise : non importé" in str(error)
        return
    assert_legible(fig)
    if name == "map-population":
        gids = {c.get_gid() for c in fig.axes[0].collections}
        assert "cercles" in gids and "classe-1" not in gids  # counts: proportional symbols


def test_real_report_pngs_are_small_with_alt_and_width(real):
    from abs_lib.portrait import display, figures

    total = 0
    for name, function, args in FIGURES:
        if name == "coverage":
            continue
        png = display.Png(getattr(figures, function)(real, *args))
        data, meta = png._repr_png_()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) <= 80_000, (name, len(data))
        assert meta["width"] == style.CSS_WIDTH and meta["alt"] and "Graphique (pas" not in meta["alt"]
        total += len(data)
    assert total < 9 * 80_000


def test_map_names_missing_communes_with_their_reason(real):
    from abs_lib.portrait import figures
    from abs_lib.portrait.tables import commune_values

    values, _ = commune_values(real, "revenu_median")
    fig = figures.map_indicator(real, "revenu_median")
    if values.isna().any():  # FiLoSoFi secrets: hatched and named with the reason
        assert "sans donnée" in fig.abs_alt
    else:
        assert "sans donnée" not in fig.abs_alt and "22 communes renseignées" in fig.abs_alt


def test_png_palette_keeps_the_figure_colours():
    """The palette PNG keeps white, the class colours and the ink exactly (no colour drift)."""
    import io

    from matplotlib.colors import to_rgb
    from PIL import Image

    from abs_lib.portrait.display import Png

    fig = compare_bars(COMPARE, "%", "Part des 75 ans ou plus (2019)", SOURCE)
    with style.house_style():  # drawn as display.Png draws it
        fig.canvas.draw()
    raw = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    png = Png(fig)
    image = np.asarray(Image.open(io.BytesIO(png.data)).convert("RGB"))
    assert image.shape == raw.shape
    for colour in ("white", style.HIGHLIGHT, style.REFERENCE):
        rgb = np.round(np.array(to_rgb(colour)) * 255).astype(np.uint8)
        original = (raw == rgb).all(-1)
        assert original.sum() > 100 and (image[original] == rgb).all()
    assert np.abs(image.astype(int) - raw.astype(int)).mean() < 1.0


@pytest.mark.parametrize("indicator", ["population", "part_60_plus", "revenu_median", "part_75_plus"])
def test_map_values_are_the_tables_commune_values(demo, real, indicator):
    """Maps read the commune rows split once per portrait: same values, vintage and reasons."""
    from abs_lib.portrait import figures, tables

    for portrait in (demo, real):
        expected, vintage = tables.commune_values(portrait, indicator)
        values, reasons, got_vintage = figures._commune_cells(portrait, indicator)
        assert got_vintage == vintage
        pd.testing.assert_series_equal(values.sort_index(), expected.sort_index(), check_names=False)
        assert reasons == tables.commune_reasons(portrait, indicator, vintage)
