"""How a study notebook shows things: French HTML tables without index, figures
that say plainly when their data are missing, and the introduction text.

Kept apart from tables/figures so those stay testable without IPython.
"""

from __future__ import annotations

import html
import io

import numpy as np
import pandas as pd

from abs_lib.demo import FICTIONAL_NOTICE
from abs_lib.errors import FigureError
from abs_lib.formatting import format_number
from abs_lib.portrait import figures, tables
from abs_lib.portrait.build import Portrait
from abs_lib.portrait.periods import Periods, vintages_used

THEME_TITLES = {
    "démographie": "Démographie", "petite-enfance": "Petite enfance", "enfance-jeunesse": "Enfance et jeunesse",
    "familles": "Familles et ménages", "personnes-âgées": "Personnes âgées", "logement": "Logement",
    "revenus-pauvreté": "Revenus et pauvreté", "emploi": "Emploi", "caf": "Prestations CAF",
}


class Html:
    """Minimal rich-display object (IPython shows ``_repr_html_``), no IPython import needed."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def html_table(frame: pd.DataFrame, *, empty: str = "Aucune donnée.") -> Html:
    if frame is None or frame.empty:
        return Html(f"<p><em>{html.escape(empty)}</em></p>")
    return Html(frame.to_html(index=False, border=0, classes="abs-table", na_rep="n.d.", escape=True))


def message(text: str) -> Html:
    return Html(f"<p class=\"abs-note\"><em>{html.escape(text)}</em></p>")


def intro(portrait: Portrait) -> Html:
    """Who is studied: name, level, communes, départements, geography; fictional notice."""
    t = portrait.territory
    deps = ", ".join(portrait.name_of("departement", d) for d in t.departements)
    parts = [f"<p><strong>{html.escape(t.name)}</strong> — {html.escape(t.level_label)} {html.escape(t.code)}, "
             f"{len(t.communes)} commune{'s' if len(t.communes) > 1 else ''} ; "
             f"département{'s' if len(t.departements) > 1 else ''} : {html.escape(deps)} ; "
             f"géographie au 1er janvier {t.year}.</p>"]
    if portrait.fictional:
        parts.insert(0, f"<p class=\"abs-fictif\"><strong>{html.escape(FICTIONAL_NOTICE)}</strong></p>")
    for note in portrait.notes:   # only what concerns the territory's communes
        text = note.text(t.communes)
        if text:
            parts.append(f"<p class=\"abs-note\"><em>{html.escape(text)}</em></p>")
    return Html("\n".join(parts))


#: The handful of figures an elected official looks for first.
KEY_FIGURES = ("population", "naissances", "enfants_0_2", "taux_couverture_accueil_jeune_enfant", "part_75_plus",
               "part_familles_monoparentales", "revenu_median", "taux_chomage_15_64", "allocataires_caf")


def key_figures(portrait: Portrait) -> pd.DataFrame:
    """The key figures (value and vintage, or why the value is missing)."""
    registry = portrait.registry
    records = []
    for indicator in KEY_FIGURES:
        if indicator not in registry:
            continue
        value, vintage = tables.value(portrait, indicator)
        unit = registry.units[registry[indicator].unit]
        records.append({"Indicateur": registry[indicator].label,
                        "Valeur": format_number(value, unit.suffix.strip() or None, decimals=unit.decimals),
                        # a missing figure has no vintage (its row would show the latest one of any source)
                        "Millésime": vintage if vintage and value == value else "",
                        "Remarque": tables.reason(portrait, indicator),
                        "indicator": indicator, "value": value})
    return pd.DataFrame.from_records(records)


def show_key_figures(portrait: Portrait) -> Html:
    return html_table(key_figures(portrait).drop(columns=["indicator", "value"]))


def communes_table(portrait: Portrait) -> Html:
    members = portrait.membership[portrait.membership["commune"].isin(portrait.territory.communes)]
    pop = tables.commune_values(portrait, "population")[0]
    frame = pd.DataFrame({
        "Code": members["commune"].to_numpy(), "Commune": members["commune_name"].to_numpy(),
        "Population": [format_number(pop.get(c), decimals=0) for c in members["commune"]],
    })
    return html_table(frame)


def theme(portrait: Portrait, theme_id: str, *, max_vintage: int | None = None) -> Html:
    """A theme's table, then the sources it lacks and how to get them."""
    table = tables.theme_table(portrait, theme_id, max_vintage=max_vintage)
    parts = [html_table(table, empty="Aucun indicateur pour ce thème.").text]
    missing = tables.missing_sources(portrait, theme_id)
    if not missing.empty:
        parts.append("<p><em>Sources absentes pour ce thème :</em></p>")
        parts.append(html_table(missing).text)
    return Html("\n".join(parts))


class Png:
    """A drawn figure as a PNG output with its French alt text and display width.

    The notebook never imports pyplot, so nothing else would render a matplotlib
    Figure. ``_repr_png_`` returns ``(png, {"alt": …, "width": …})``: nbconvert
    writes both on the ``<img>``. Colours are reduced to a palette (figures use
    few) to keep pages light; the figure is closed once rendered.
    """

    def __init__(self, fig, dpi: int | None = None):
        from abs_lib.plots.style import CSS_WIDTH

        self.data = figure_png(fig, dpi)
        self.alt = getattr(fig, "abs_alt", None) or "Figure (description non fournie)"
        self.width = CSS_WIDTH
        fig.clear()

    def _repr_png_(self):
        return self.data, {"alt": self.alt, "width": self.width}


#: Colours of a figure's palette: its most frequent ones (figures use about ten flat colours).
PALETTE_SIZE = 40


def figure_png(fig, dpi: int | None = None) -> bytes:
    """The figure drawn once with Agg and written as a palette PNG, 3 to 5 times smaller.

    The palette is the image's most frequent colours, exact (white, ink, class colours…);
    rarer anti-aliasing shades take the nearest of them. (Pillow's quantizers average
    clusters: white became #fcfcfc, light grey merged with white.)"""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    if dpi and dpi != fig.dpi:
        fig.set_dpi(dpi)
    from abs_lib.plots.style import house_style

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    with house_style():  # drawn with the settings it was measured with
        canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    rgb = np.asarray(image)[..., :3]
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    keys, counts = np.unique(packed, return_counts=True)
    palette = keys[np.argsort(-counts, kind="stable")[:PALETTE_SIZE]]
    unpack = lambda k: np.stack([(k >> 16) & 255, (k >> 8) & 255, k & 255], axis=-1).astype(np.int32)  # noqa: E731
    colours, choices = unpack(keys), unpack(palette)
    nearest = np.concatenate([((colours[i:i + 2048, None, :] - choices[None, :, :]) ** 2).sum(-1).argmin(1)
                              for i in range(0, len(keys), 2048)])
    out_image = Image.fromarray(nearest[np.searchsorted(keys, packed)].astype(np.uint8), mode="P")
    out_image.putpalette(choices.astype(np.uint8).ravel().tolist())
    out = io.BytesIO()
    out_image.save(out, format="PNG", compress_level=8)  # 9 is 3 times slower for 1 % less
    return out.getvalue()


def figure(draw, *args, missing: str = "Figure non disponible : données absentes.", **kwargs):
    """Draw a figure, or say in French why it cannot be drawn (missing data only)."""
    try:
        fig = draw(*args, **kwargs)
    except FigureError as error:  # missing data; any other error is a bug and must surface
        return message(f"{missing} ({error})")
    if fig is None:
        return message(missing)
    return Png(fig)


def indicator_figure(portrait: Portrait, indicator: str):
    value, _ = tables.value(portrait, indicator)
    if value != value:  # NaN: nothing to compare
        return message(f"{portrait.registry[indicator].label} : non disponible pour ce territoire.")
    return figure(figures.figure_indicator, portrait, indicator)


def commune_map(portrait: Portrait, indicator: str):
    if portrait.contours is None:
        return message("Carte non disponible : aucun contour de communes dans les données "
                       "(`abs data fetch contours-communes` ou `abs data import communes.geojson`).")
    values, _ = tables.commune_values(portrait, indicator)
    if values.notna().sum() == 0:
        return message(f"Carte non disponible : {portrait.registry[indicator].label} absent à la commune.")
    return figure(figures.map_indicator, portrait, indicator)


def enjeux(portrait: Portrait, *, top: int = 8) -> Html:
    ranked = tables.enjeux(portrait, top=top)
    if ranked.empty:
        return message("Aucun enjeu ne ressort des indicateurs disponibles.")
    items = "".join(f"<li>{html.escape(str(text))}</li>" for text in ranked["text"])
    return Html(f"<ol class=\"abs-enjeux\">{items}</ol>")


def heading(text: str, level: int = 3) -> Html:
    return Html(f"<h{level}>{html.escape(text)}</h{level}>")


def before_after(portrait: Portrait, theme_id: str, *, baseline: int, update: int) -> Html:
    """A theme's indicators at the baseline and at the update, side by side."""
    indicators = portrait.registry.by_theme().get(theme_id, [])
    table = tables.side_by_side(portrait, indicators, baseline=baseline, update=update)
    return Html(heading(THEME_TITLES.get(theme_id, theme_id)).text + html_table(table).text)


def local_coverage(portrait: Portrait, local) -> Html:
    if local is None:
        return message("Pas de fichier local fourni (paramètre local_data) : seul le taux publié par la CAF est montré.")
    return html_table(local.table)


def explorer(portrait: Portrait, *, theme: str, indicator: str):
    """Pick a theme and an indicator; table, comparison and commune map follow (ipywidgets).

    Headless runs (papermill) get the same outputs for the given theme and indicator.
    """
    import ipywidgets as widgets
    from IPython.display import clear_output, display

    registry = portrait.registry
    themes = registry.by_theme()
    theme_box = widgets.Dropdown(options=[(THEME_TITLES.get(t, t), t) for t in themes], value=theme, description="Thème")
    indicator_box = widgets.Dropdown(description="Indicateur", layout=widgets.Layout(width="60%"))
    out = widgets.Output()

    def indicators_of(t):
        return [(registry[i].label, i) for i in themes[t]]

    def render(*_):
        with out:
            clear_output(wait=True)
            display(theme_table_html(theme_box.value))
            if indicator_box.value:
                display(indicator_figure(portrait, indicator_box.value))
                display(commune_map(portrait, indicator_box.value))

    def theme_table_html(t):
        return html_table(tables.theme_table(portrait, t))

    def on_theme(change):
        indicator_box.options = indicators_of(change["new"])
        render()

    indicator_box.options = indicators_of(theme)
    indicator_box.value = indicator if indicator in themes[theme] else themes[theme][0]
    theme_box.observe(on_theme, names="value")
    indicator_box.observe(render, names="value")
    render()
    return widgets.VBox([widgets.HBox([theme_box, indicator_box]), out])


def update_key_figures(portrait: Portrait, periods: Periods) -> Html:
    """The update's opening: which vintage each source brings before and after (and how the
    dates were chosen), then the key figures side by side with their evolution where it is
    meaningful."""
    registry = portrait.registry
    keys = [i for i in KEY_FIGURES if i in registry]
    every = keys + [i for ind in registry for i in [ind.id] if i not in keys]
    before = vintages_used(portrait, every, periods.baseline) or "aucune donnée"
    after = vintages_used(portrait, every, periods.update) or "aucune donnée"
    parts = [f"<p>Avant ({periods.baseline}) : {html.escape(before)}. Après ({periods.update}) : "
             f"{html.escape(after)}.</p>"]
    parts += [message(note).text for note in periods.notes]
    parts.append(html_table(tables.side_by_side(portrait, keys, baseline=periods.baseline,
                                                update=periods.update)).text)
    return Html("\n".join(parts))


def focus_themes(portrait: Portrait, focus, periods: Periods) -> Html:
    """The update's priority themes, each at the baseline and at the update, in the order asked."""
    return Html("\n".join(before_after(portrait, t, baseline=periods.baseline, update=periods.update).text
                          for t in focus))


def other_themes(portrait: Portrait, focus) -> Html:
    """Every theme not in ``focus``, at its latest vintage, with its title."""
    parts = [heading(title).text + theme(portrait, t).text for t, title in THEME_TITLES.items() if t not in focus]
    return Html("\n".join(parts))


def local_coverage_figure(portrait: Portrait, local):
    """The coverage chart, with the "after" bar from the analyst's file when there is one."""
    return figure(figures.figure_coverage, portrait, after=local.after_rates if local is not None else None)
