"""How a study notebook shows things: French HTML tables without index, figures
that say plainly when their data are missing, the opening summary, « Vos communes »,
« Données manquantes » and the « Notes de méthode » appendix.

Kept apart from the table builders (tables, reader, summary, communes, missing,
method_notes) so those stay testable without IPython. Sections are ``<h2>``, their
parts ``<h3>`` (the report's table of contents is built from them).
"""

from __future__ import annotations

import html
import io

import numpy as np
import pandas as pd

from abs_lib.demo import FICTIONAL_NOTICE
from abs_lib.errors import FigureError
from abs_lib.portrait import figures, tables
from abs_lib.portrait.build import Portrait
from abs_lib.portrait.communes import commune_table
from abs_lib.portrait.method_notes import method_notes as build_method_notes
from abs_lib.portrait.method_notes import update_remarks
from abs_lib.portrait.missing import missing_data as build_missing_data
from abs_lib.portrait.periods import Periods, vintages_used
from abs_lib.portrait.reader import ReaderTable, before_after_table, reader_table
from abs_lib.portrait.summary import KEY_FIGURES, summary_sentences, update_sentences
from abs_lib.portrait.summary import key_figures  # noqa: F401  (notebooks and tests import it from here)

THEME_TITLES = {
    "démographie": "Démographie", "petite-enfance": "Petite enfance", "enfance-jeunesse": "Enfance et jeunesse",
    "familles": "Familles et ménages", "personnes-âgées": "Personnes âgées", "logement": "Logement",
    "revenus-pauvreté": "Revenus et pauvreté", "emploi": "Emploi", "caf": "Prestations CAF",
}
KEY_FIGURES_CLASS = "abs-key-figures"
COMMUNES_CLASS = "abs-communes"


class Html:
    """Minimal rich-display object (IPython shows ``_repr_html_``), no IPython import needed."""

    def __init__(self, text: str):
        self.text = text

    def _repr_html_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def html_table(frame: pd.DataFrame, *, empty: str = "Aucune donnée.", css: str = "", table_id: str | None = None) -> Html:
    if frame is None or frame.empty:
        return Html(f"<p><em>{html.escape(empty)}</em></p>")
    classes = "abs-table" + (f" {css}" if css else "")
    return Html(frame.to_html(index=False, border=0, classes=classes, na_rep="n.d.", escape=True, table_id=table_id))


def message(text: str) -> Html:
    return Html(f"<p class=\"abs-note\"><em>{html.escape(text)}</em></p>")


def heading(text: str, level: int = 3) -> Html:
    return Html(f"<h{level}>{html.escape(text)}</h{level}>")


def _paragraphs(texts, css: str = "") -> str:
    attr = f" class=\"{css}\"" if css else ""
    return "\n".join(f"<p{attr}>{html.escape(t)}</p>" for t in texts)


def intro(portrait: Portrait, *, with_notes: bool = False) -> Html:
    """Who is studied: name, level, communes, départements, geography; fictional notice.

    The files' geography notes go to the « Notes de méthode » appendix; ``with_notes``
    keeps them here for the analyst's explorer."""
    t = portrait.territory
    deps = ", ".join(portrait.name_of("departement", d) for d in t.departements)
    parts = [f"<p><strong>{html.escape(t.name)}</strong> — {html.escape(t.level_label)} {html.escape(t.code)}, "
             f"{len(t.communes)} commune{'s' if len(t.communes) > 1 else ''} ; "
             f"département{'s' if len(t.departements) > 1 else ''} : {html.escape(deps)} ; "
             f"géographie au 1er janvier {t.year}.</p>"]
    if portrait.fictional:
        parts.insert(0, f"<p class=\"abs-fictif\"><strong>{html.escape(FICTIONAL_NOTICE)}</strong></p>")
    if with_notes:
        from abs_lib.portrait.method_notes import geography_notes

        parts += [f"<p class=\"abs-note\"><em>{html.escape(text)}</em></p>" for text in geography_notes(portrait)]
    return Html("\n".join(parts))


def _reader_html(table: ReaderTable, *, css: str = "", table_id: str | None = None,
                 empty: str = "Aucun indicateur disponible.") -> str:
    """A reader table, its numbered footnotes, and the indicators it lacks with why."""
    parts = [] if table.frame.empty and table.missing else [html_table(table.frame, empty=empty, css=css,
                                                                        table_id=table_id).text]
    if table.footnotes:
        items = "".join(f"<li>{html.escape(text)}</li>" for text in table.footnotes)
        parts.append(f"<ol class=\"abs-footnotes\">{items}</ol>")
    if table.has_unavailable and not table.footnotes:
        parts.append("<p class=\"abs-note\">« n.d. » : non disponible à ce niveau (détail dans les tableaux joints).</p>")
    for why, labels in table.missing.items():
        parts.append(f"<p class=\"abs-missing\">Non disponibles pour ce territoire ({html.escape(why)}) : "
                     f"{html.escape(', '.join(labels))}.</p>")
    return "\n".join(parts)


def summary(portrait: Portrait) -> Html:
    """The written summary that opens the diagnostic (every figure from the portrait)."""
    return Html(f"<div class=\"abs-summary\">{_paragraphs([' '.join(summary_sentences(portrait))])}</div>")


def show_key_figures(portrait: Portrait) -> Html:
    """The key figures beside the references (rows kept when missing: « n.d. » and why)."""
    table = reader_table(portrait, KEY_FIGURES, keep_missing=True)
    return Html(_reader_html(table, css=KEY_FIGURES_CLASS, table_id=KEY_FIGURES_CLASS))


#: Where a long word of the commune table's titles may break (soft hyphens: nine columns in 832 px).
_BREAKS = {"Population": "Popu\u00adlation", "parentales": "paren\u00adtales", "Locataires": "Loca\u00adtaires",
           "d'accueil": "d'ac\u00adcueil", "Chômage": "Chô\u00admage", "médian": "mé\u00addian"}


def _breakable(title: str) -> str:
    for word, broken in _BREAKS.items():
        title = title.replace(word, broken)
    return title


def communes_table(portrait: Portrait) -> Html:
    """« Vos communes »: one row per member commune, key indicators, marks explained below."""
    table = commune_table(portrait)
    frame = table.frame.rename(columns=_breakable)
    parts = [html_table(frame, css=COMMUNES_CLASS, table_id=COMMUNES_CLASS).text]
    if table.notes:
        items = "".join(f"<li>{html.escape(text)}</li>" for text in table.notes)
        parts.append(f"<ul class=\"abs-footnotes\">{items}</ul>")
    return Html("\n".join(parts))


def theme(portrait: Portrait, theme_id: str, *, max_vintage: int | None = None) -> Html:
    """A theme's reader table (the full technical table goes to the exports)."""
    indicators = portrait.registry.by_theme().get(theme_id, [])
    return Html(_reader_html(reader_table(portrait, indicators, max_vintage=max_vintage),
                             empty="Aucun indicateur pour ce thème."))


def missing_data(portrait: Portrait) -> Html:
    """« Données manquantes »: each missing source once, what it would measure, where to get it."""
    found = build_missing_data(portrait)
    if not found:
        return message("Toutes les sources attendues sont présentes.")
    items = []
    for source in found:
        text = f"<strong>{html.escape(source.title)}</strong>"
        if source.incomplete:
            text += (" — les fichiers fournis (extrait partiel, autre millésime ou autre niveau géographique) ne "
                     f"suffisent pas pour : {html.escape(', '.join(source.indicators))}.")
        else:
            text += f" — mesurerait : {html.escape(', '.join(source.indicators))}."
        if source.page_url:
            producer = f" ({html.escape(source.producer)})" if source.producer else ""
            text += (f" Où l'obtenir : <a href=\"{html.escape(source.page_url, quote=True)}\">page du producteur"
                     f"{producer}</a> ")
            text += f"ou, pour l'analyste, <code>{html.escape(source.command)}</code>."
        else:
            text += f" Fichier à fournir par l'analyste : <code>{html.escape(source.command)}</code>."
        items.append(f"<li>{text}</li>")
    return Html(f"<ul class=\"abs-missing-data\">{''.join(items)}</ul>")


def method_notes(portrait: Portrait, periods: Periods | None = None, focus=()) -> Html:
    """« Notes de méthode »: one ``<h3>`` per note (plus, for an update, the dates and the
    detail of each change not computed)."""
    remarks = None
    if periods is not None:
        indicators = [i for i in KEY_FIGURES if i in portrait.registry]
        for t in focus:
            indicators += [i for i in portrait.registry.by_theme().get(t, []) if i not in indicators]
        remarks = update_remarks(portrait, indicators, baseline=periods.baseline, update=periods.update)
    notes = build_method_notes(portrait, update_remarks=remarks,
                               periods_notes=list(periods.notes) if periods is not None else None)
    return Html("\n".join(heading(n.title).text + _paragraphs(n.paragraphs) for n in notes))


class Png:
    """A drawn figure as a PNG output with its French alt text and display width.

    The notebook never imports pyplot, so nothing else would render a matplotlib
    Figure. ``_repr_png_`` returns ``(png, {"alt": …, "width": …})``: nbconvert
    writes both on the ``<img>``. Colours are reduced to a palette (figures use
    few) to keep pages light.
    """

    def __init__(self, fig, dpi: int | None = None):
        from abs_lib.plots.style import CSS_WIDTH

        self.data = figure_png(fig, dpi)
        self.alt = getattr(fig, "abs_alt", None) or "Figure (description non fournie)"
        self.width = CSS_WIDTH
        # Not ``fig.clear()``: clearing each axes costs ~20 ms per figure; the figure, never
        # registered with pyplot, is freed with its last reference.

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
    where = pd.Index(keys).get_indexer(packed.ravel()).reshape(packed.shape)  # hashed: 3x faster than searchsorted
    out_image = Image.fromarray(nearest[where].astype(np.uint8), mode="P")
    out_image.putpalette(choices.astype(np.uint8).ravel().tolist())
    out = io.BytesIO()
    out_image.save(out, format="PNG", compress_level=7)  # 8 is twice slower for 3 % less, 9 three times
    return out.getvalue()


def figure(draw, *args, missing: str = "Figure non disponible : données absentes.", **kwargs):
    """Draw a figure, or say in French why it cannot be drawn (missing data only)."""
    try:
        fig = draw(*args, **kwargs)
    except FigureError as error:  # missing data; any other error is a bug and must surface
        return message(f"{missing} ({error})")
    if fig is None:
        return message(missing)
    key = getattr(fig, "abs_key", None)
    return MapWithKey(Png(fig), key) if key else Png(fig)


class MapWithKey:
    """A map's image, then its key as a numbered HTML list (``maps`` with ``key_in_figure=False``).

    Why: the key is real text (read aloud, found by the browser's search, copied), flows
    in columns on a wide screen and in one on a phone, and the map is drawn a third
    faster without it (0.40 to 0.27 s for an EPCI of 22 communes).
    """

    def __init__(self, png: Png, names: list[str]):
        self.png = png
        self.names = list(names)

    def key_html(self) -> str:
        items = "".join(f"<li>{html.escape(str(name))}</li>" for name in self.names)
        return f'<ol class="abs-cle-carte" aria-label="Communes numérotées sur la carte">{items}</ol>'

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.png)
        display(Html(self.key_html()))


def indicator_figure(portrait: Portrait, indicator: str):
    value, _ = tables.value(portrait, indicator)
    if value != value:  # NaN: nothing to compare
        return message(f"{portrait.registry[indicator].label} : non disponible pour ce territoire.")
    return figure(figures.figure_indicator, portrait, indicator)


def commune_map(portrait: Portrait, indicator: str):
    if portrait.level == "commune":  # no member communes: the value is in the theme's table
        return message(f"Carte par commune sans objet : le territoire étudié est une seule commune "
                       f"({portrait.registry[indicator].label.lower()} : voir le tableau du thème).")
    if portrait.contours is None:
        return message("Carte non disponible : aucun contour de communes dans les données (téléchargez-les "
                       "avec « abs data fetch contours-communes » ou importez un fichier de contours GeoJSON "
                       "avec « abs data import »).")
    values, _ = tables.commune_values(portrait, indicator)
    if values.notna().sum() == 0:
        return message(f"Carte non disponible : {portrait.registry[indicator].label} absent à la commune.")
    return figure(figures.map_indicator, portrait, indicator)


def enjeux(portrait: Portrait, *, top: int = 8) -> Html:
    ranked = tables.enjeux(portrait, top=top)
    if ranked.empty:
        return message("Aucun enjeu ne ressort des indicateurs disponibles : aucun ne s'écarte de ses références "
                       "dans le sens d'un besoin sans réserve de fiabilité.")
    items = "".join(f"<li>{html.escape(str(text))}</li>" for text in ranked["text"])
    return Html(f"<ol class=\"abs-enjeux\">{items}</ol>")


def before_after(portrait: Portrait, theme_id: str, *, baseline: int, update: int) -> Html:
    """A theme's indicators at the baseline and at the update (territory only; the references
    are in the theme tables and the exports)."""
    indicators = portrait.registry.by_theme().get(theme_id, [])
    table = before_after_table(portrait, indicators, baseline=baseline, update=update)
    return Html(heading(THEME_TITLES.get(theme_id, theme_id)).text + _reader_html(table))


def local_coverage(portrait: Portrait, local) -> Html:
    if local is None:
        return message("Pas de fichier local fourni (paramètre local_data) : seul le taux publié par la CAF est montré.")
    if local.note:
        return Html(html_table(local.table).text + message(local.note).text)
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
    """The update's opening: a short summary of what changed, which vintage each source brings
    at each date, then the key figures before and after with their evolution."""
    registry = portrait.registry
    keys = [i for i in KEY_FIGURES if i in registry]
    every = keys + [i for ind in registry for i in [ind.id] if i not in keys]
    before = vintages_used(portrait, every, periods.baseline) or "aucune donnée"
    after = vintages_used(portrait, every, periods.update) or "aucune donnée"
    parts = [f"<div class=\"abs-summary\">{_paragraphs([' '.join(update_sentences(portrait, periods))])}</div>",
             f"<p>Sources : avant ({periods.baseline}) {html.escape(before)} ; après ({periods.update}) "
             f"{html.escape(after)}.</p>"]
    table = before_after_table(portrait, keys, baseline=periods.baseline, update=periods.update, keep_missing=True)
    parts.append(_reader_html(table, css=KEY_FIGURES_CLASS, table_id=KEY_FIGURES_CLASS))
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
