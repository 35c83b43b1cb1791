"""Charts: French labels, mandatory source, missing values as gaps, right bar sizes."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.image import imread
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from abs_lib.errors import FigureError
from abs_lib.formatting import THOUSANDS as T
from abs_lib.formatting import UNIT_SPACE as U
from abs_lib.plots import age_pyramid, compare_bars, coverage_chart, evolution_chart, style

SOURCE = "Insee, RP 2019 (géographie 2022)"
BANDS = ["0 à 14 ans", "15 à 29 ans", "30 à 44 ans", "45 à 59 ans", "60 à 74 ans", "75 ans ou plus"]
# Faithfully formatted census counts (weighted, non-integer); values are made up for the test.
COUNTS = pd.Series([4112.31, 3508.72, 4201.15, 5104.9, 3902.33, 2170.59], index=BANDS)
TERRITORIES = ["CC de la Plaine Dijonnaise", "Côte-d'Or", "Bourgogne-Franche-Comté", "France métropolitaine"]


def texts(fig) -> str:
    """All text of a figure, no-break spaces and line breaks read as plain spaces."""
    found = [t.get_text() for t in fig.findobj(Text)]
    return " | ".join(found).replace(T, " ").replace(U, " ").replace("\u00a0", " ").replace("\n", " ")


def bars(ax):
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def sample_figures():
    ref = COUNTS * 40
    compare = pd.DataFrame({"territory": TERRITORIES, "value": [21345.3, 22110.0, 21800.4, 22400.9]})
    series = pd.DataFrame({"vintage": [2013, 2019] * 2, "territory": TERRITORIES[:1] * 2 + TERRITORIES[1:2] * 2,
                           "value": [8.1, 9.2, 9.5, 10.1]})
    rates = pd.DataFrame({"eaje": [12.3, 18.2], "childminders": [38.2, 34.1], "home_employees": [1.2, 2.0],
                          "preschool": [3.1, 2.8]}, index=TERRITORIES[:2])
    return {
        "pyramid": lambda source: age_pyramid(COUNTS, "Population par âge", source, reference=ref),
        "compare": lambda source: compare_bars(compare, "€", "Revenu médian", source),
        "evolution": lambda source: evolution_chart(series, "%", "Part des 75 ans ou plus", source),
        "coverage": lambda source: coverage_chart(rates, "Accueil du jeune enfant", source),
    }


@pytest.mark.parametrize("name", list(sample_figures()))
def test_every_figure_carries_its_source(name):
    fig = sample_figures()[name](SOURCE)
    assert f"Source : {SOURCE}" in texts(fig)


@pytest.mark.parametrize("name", list(sample_figures()))
@pytest.mark.parametrize("source", ["", "   ", None])
def test_no_figure_without_source(name, source):
    with pytest.raises(FigureError, match="Source absente"):
        sample_figures()[name](source)


@pytest.mark.parametrize("name", list(sample_figures()))
def test_figures_save_to_small_png_750px_wide(name, tmp_path):
    path = tmp_path / f"{name}.png"
    sample_figures()[name](SOURCE).savefig(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 5_000 < len(data) < 300_000
    height, width = imread(path).shape[:2]
    assert width == 750 and 300 <= height <= 1400


# Age pyramid ----------------------------------------------------------------------------------


def test_pyramid_shares_sum_to_100_and_reference_is_normalised():
    ref = pd.Series([90000, 85000, 100000, 110000, 100000, 52577.0], index=BANDS)
    fig = age_pyramid(COUNTS, "Population par âge", SOURCE, reference=ref, reference_label="Côte-d'Or")
    ax = fig.axes[0]
    widths = np.array([b.get_width() for b in bars(ax)])
    assert len(widths) == len(BANDS)
    assert widths.sum() == pytest.approx(100)
    np.testing.assert_allclose(widths, COUNTS / COUNTS.sum() * 100)
    marker = next(line for line in ax.lines if line.get_gid() == "reference-population")
    np.testing.assert_allclose(marker.get_xdata(), ref / ref.sum() * 100)
    text = texts(fig)
    assert "Côte-d'Or" in text and "0 à 14 ans" in text and "Part de la population (%)" in text
    assert f"{COUNTS.iloc[0] / COUNTS.sum() * 100:.1f} %".replace(".", ",") in text


def test_pyramid_counts_sum_to_population_and_refuse_reference():
    fig = age_pyramid(COUNTS.to_frame("population"), "Population", SOURCE, as_share=False)
    assert sum(b.get_width() for b in bars(fig.axes[0])) == pytest.approx(COUNTS.sum())
    assert "Nombre d'habitants" in texts(fig)
    with pytest.raises(FigureError, match="parts"):
        age_pyramid(COUNTS, "Population", SOURCE, as_share=False, reference=COUNTS)


def test_sexed_pyramid_men_left_women_right():
    table = pd.DataFrame({"men": COUNTS * 0.48, "women": COUNTS * 0.52})
    fig = age_pyramid(table, "Pyramide des âges", SOURCE)
    ax = fig.axes[0]
    men = [b.get_width() for b in bars(ax) if b.get_gid() == "men"]
    women = [b.get_width() for b in bars(ax) if b.get_gid() == "women"]
    assert all(w < 0 for w in men) and all(w > 0 for w in women)
    assert -sum(men) + sum(women) == pytest.approx(100)
    assert -sum(men) == pytest.approx(48)
    assert "Hommes" in texts(fig) and "Femmes" in texts(fig)
    # tick labels of the men's side are positive numbers
    fig.canvas.draw()
    assert not any(t.get_text().startswith("-") for t in ax.get_xticklabels())


def test_pyramid_missing_band_is_a_gap_with_a_note_not_a_zero():
    counts = COUNTS.copy()
    counts.iloc[5] = np.nan
    fig = age_pyramid(counts, "Population par âge", SOURCE)
    widths = [b.get_width() for b in bars(fig.axes[0])]
    assert np.isnan(widths[5])  # not drawn, and not 0
    assert 0 not in widths
    assert np.nansum(widths) == pytest.approx(100)
    text = texts(fig)
    assert "donnée manquante : 75 ans ou plus" in text
    assert "parts calculées sur les tranches d'âge connues" in text


def test_pyramid_rejects_unknown_columns():
    with pytest.raises(FigureError, match="population"):
        age_pyramid(pd.DataFrame({"pop": COUNTS}), "x", SOURCE)


# Territory vs références ------------------------------------------------------------------------


def test_compare_bars_highlights_the_territory_and_labels_in_french():
    values = pd.DataFrame({"territory": TERRITORIES, "value": [21345.3, 22110.0, 21800.4, 22400.9]})
    fig = compare_bars(values, "€", "Revenu disponible médian", SOURCE)
    colors = {b.get_gid(): to_hex(b.get_facecolor()) for b in bars(fig.axes[0])}
    assert colors[TERRITORIES[0]] == style.HIGHLIGHT
    assert {colors[t] for t in TERRITORIES[1:]} == {style.REFERENCE}
    text = texts(fig)
    assert "21 345 €" in text and "22 401 €" in text
    rows = [t for t in fig.axes[0].texts if t.get_gid() == "libelle-ligne"]
    assert [t.get_text() for t in rows] == TERRITORIES  # one label above each bar, in order
    assert [t.get_text() for t in rows if t.get_fontweight() == "bold"] == [TERRITORIES[0]]


def test_compare_bars_highlight_by_name_and_missing_value():
    values = pd.Series([12.5, np.nan, 14.25], index=["Genlis", "Côte-d'Or", "France"])
    fig = compare_bars(values, "%", "Part des 75 ans ou plus", SOURCE, highlight="Côte-d'Or")
    drawn = {b.get_gid(): b.get_width() for b in bars(fig.axes[0])}
    assert drawn == {"Genlis": 12.5, "France": 14.25}  # the missing value has no bar at all
    text = texts(fig)
    assert "12,5 %" in text and "14,3 %" in text
    assert "Note : donnée manquante : Côte-d'Or" in text
    with pytest.raises(FigureError, match="Dijon"):
        compare_bars(values, "%", "x", SOURCE, highlight="Dijon")


def test_compare_bars_refuses_secret_markers_left_as_text():
    values = pd.Series(["12,5", "s"], index=["Genlis", "France"], dtype=object)
    with pytest.raises(FigureError, match="marqueurs de secret"):
        compare_bars(values, "%", "x", SOURCE)


# Evolutions -----------------------------------------------------------------------------------


def long_series(vintages, values_by_territory):
    rows = [(v, t, x) for t, xs in values_by_territory.items() for v, x in zip(vintages, xs)]
    return pd.DataFrame(rows, columns=["vintage", "territory", "value"])


def segments(fig):
    return {line.get_gid(): line.get_linestyle() for line in fig.axes[0].lines if "|" in (line.get_gid() or "")
            and not line.get_gid().endswith("|points")}


def test_close_vintages_are_dashed_and_noted():
    data = long_series([2013, 2016, 2019, 2025], {"Genlis": [8.1, 8.6, 9.2, 10.4]})
    fig = evolution_chart(data, "%", "Part des 75 ans ou plus", SOURCE, vintage_format="RP {}")
    styles = segments(fig)
    assert styles == {"Genlis|2013-2016": "--", "Genlis|2016-2019": "--", "Genlis|2019-2025": "-"}
    text = texts(fig)
    assert "non comparable (INSEE : moins de 5 ans d'écart)" in text
    assert "RP 2013" in text and "8,1 %" in text


def test_six_year_rule_and_yearly_sources():
    data = long_series([2013, 2019], {"Genlis": [8.1, 9.2]})
    assert segments(evolution_chart(data, "%", "x", SOURCE)) == {"Genlis|2013-2019": "-"}
    assert "non comparable" not in texts(evolution_chart(data, "%", "x", SOURCE))
    assert segments(evolution_chart(data, "%", "x", SOURCE, min_gap=7)) == {"Genlis|2013-2019": "--"}
    yearly = long_series([2017, 2018, 2019], {"Genlis": [20100, 20400, 20900]})
    assert set(segments(evolution_chart(yearly, "€", "x", SOURCE, min_gap=None)).values()) == {"-"}


def test_missing_vintage_breaks_the_line():
    data = long_series([2008, 2013, 2019], {"Genlis": [8.1, 8.6, 9.2], "Côte-d'Or": [9.0, np.nan, 10.1]})
    fig = evolution_chart(data, "%", "Part des 75 ans ou plus", SOURCE)
    styles = segments(fig)
    assert "Genlis|2008-2013" in styles and "Genlis|2013-2019" in styles
    assert not any(gid.startswith("Côte-d'Or|") for gid in styles)  # not drawn across the gap
    points = next(line for line in fig.axes[0].lines if line.get_gid() == "Côte-d'Or|points")
    ys = np.asarray(points.get_ydata(), dtype=float)
    assert np.isnan(ys[1]) and not (ys == 0).any()
    assert "donnée manquante : Côte-d'Or 2013" in texts(fig)


def test_evolution_rejects_duplicates():
    data = long_series([2013, 2013], {"Genlis": [8.1, 8.2]})
    with pytest.raises(FigureError, match="plusieurs valeurs"):
        evolution_chart(data, "%", "x", SOURCE)


# Childcare coverage --------------------------------------------------------------------------


def coverage_rows(fig):
    rows = {}
    for b in bars(fig.axes[0]):
        if b.get_gid():
            label, mode = b.get_gid().split("|")
            rows.setdefault(label, {})[mode] = (b.get_x(), b.get_width())
    return rows


def test_coverage_stacks_modes_and_labels_totals():
    rates = pd.DataFrame({"eaje": [12.3, 18.2], "childminders": [38.2, 34.1], "home_employees": [1.2, 2.0],
                          "preschool": [3.1, 2.8]}, index=["Genlis", "Côte-d'Or"])
    fig = coverage_chart(rates, "Accueil du jeune enfant", SOURCE)
    rows = coverage_rows(fig)
    for label in rates.index:
        segs = [rows[label][m] for m in ("eaje", "childminders", "home_employees", "preschool")]
        assert segs[0][0] == 0
        for (x0, w0), (x1, _) in zip(segs, segs[1:]):
            assert x1 == pytest.approx(x0 + w0)  # stacked end to end
        assert sum(w for _, w in segs) == pytest.approx(rates.loc[label].sum())
    text = texts(fig)
    assert "54,8" in text and "57,1" in text
    assert "Assistantes maternelles" in text and "places pour 100 enfants de moins de 3 ans" in text


def test_coverage_missing_mode_and_before_after():
    rates = pd.DataFrame({"eaje": [12.3, 21.0], "childminders": [38.2, np.nan], "home_employees": [1.2, 2.1],
                          "preschool": [3.1, 3.9]}, index=["Genlis", "France"])
    after = {"eaje": 16.5, "childminders": 38.2, "home_employees": 1.2, "preschool": 3.1}
    fig = coverage_chart(rates, "Accueil du jeune enfant", SOURCE, after=after,
                         after_label="après la nouvelle crèche")
    rows = coverage_rows(fig)
    assert set(rows) == {"Genlis — avant", "Genlis — après la nouvelle crèche", "France"}
    assert "childminders" not in rows["France"]  # a gap, not a zero-width bar
    text = texts(fig)
    assert "au moins 27,0" in text
    assert "59,0 (+4,2)" in text
    assert "donnée manquante : France (assistantes maternelles)" in text


def test_coverage_rejects_unknown_modes():
    with pytest.raises(FigureError, match="childminders"):
        coverage_chart(pd.DataFrame({"creches": [10.0]}, index=["Genlis"]), "x", SOURCE)
    with pytest.raises(FigureError, match="creches"):
        coverage_chart(pd.DataFrame({"eaje": [10.0]}, index=["Genlis"]), "x", SOURCE, after={"creches": 12.0})


def test_compare_bars_says_why_a_value_is_missing():
    values = pd.Series([23660.0, np.nan, 21930.0], index=["CC de la Plaine Dijonnaise", "Bourgogne-Franche-Comté",
                                                          "France métropolitaine"])
    fig = compare_bars(values, "€", "Revenu médian", SOURCE,
                       reasons={"Bourgogne-Franche-Comté": "non importé au niveau région"})
    text = texts(fig)
    assert "Note : donnée manquante : Bourgogne-Franche-Comté (non importé au niveau région)" in text
    assert "secret" not in text   # never called secret when the file was simply not imported
