"""One look for every figure: palette, sizes, layout of title, legend, notes and caption.

Figures are read on a desktop (shown about 640 CSS px wide) and on a phone
(about 370 px wide): text must stay at least 12 px there. An image ``W``
inches wide whose text is ``s`` points reads ``s / 72 * 370 / W`` px on a
phone whatever the dpi, so figures are 5 inches wide with 12 pt text, and
rendered at 150 dpi (750 px: sharper than the 640 px shown on a desktop, 1,2 x the
desktop width). The layout is computed, not left to a layout engine: title,
legend, axes, notes and caption are measured once and stacked, the figure's
height follows, so nothing overlaps whatever the data (see :func:`finish`).
Every figure carries its source on a caption line and a French alt text
(``fig.abs_alt``). Figures are built with :class:`matplotlib.figure.Figure`
(not pyplot) so batch runs do not pile up open figures.
"""

from __future__ import annotations

import contextlib
import functools
import textwrap

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from abs_lib.errors import FigureError

# Colours ---------------------------------------------------------------------
#: The studied territory.
HIGHLIGHT = "#1f5f99"
#: Comparison territories (département, région, France).
REFERENCE = "#a7b1ba"
#: Reference markers and outlines.
INK = "#222222"
#: Secondary text (caption, notes, value labels of references).
MUTED = "#4f5a63"
#: Missing values: grey, hatched on maps.
MISSING_FACE = "#e3e3e3"
MISSING_HATCH = "////"
#: Neighbouring communes drawn for context on maps, and communes under proportional symbols.
CONTEXT_FACE = "#f2f2f2"
CONTEXT_EDGE = "#c8c8c8"
#: Several territories on one line chart (studied territory first).
SERIES = ("#1f5f99", "#d9812b", "#5a9e6f", "#8c6bb1", "#7f7f7f")
#: Men / women in age pyramids.
MEN = "#4c7fb3"
WOMEN = "#c8605a"
#: Sequential colour map of choropleths (light = low, dark = high; prints in grey).
SEQUENTIAL_CMAP = "YlGnBu"

# Texts -----------------------------------------------------------------------
MISSING_NOTE = "donnée manquante"
MISSING_LEGEND = "secret / non disponible"

# Sizes -----------------------------------------------------------------------
WIDTH_IN = 5.0
#: Rendering resolution: 750 px wide images (1,2 x the desktop width: maps stay under 80 KB).
DPI = 150
#: Width the image is shown at on a desktop (CSS px); the report's body is 832 px.
CSS_WIDTH = 640
#: Width of a phone's text column (CSS px) on which text must stay legible.
PHONE_WIDTH = 370
#: Smallest text (points): 12 * 370 / (72 * 5) = 12,3 px on a phone.
FONT = 12.0
TITLE_FONT = 14.0
MARGIN_IN = 0.12
GAP_IN = 0.1
LINE_SPACING = 1.25
#: Characters per line of territory labels on bar charts.
LABEL_WIDTH = 22

RC = {
    "font.family": "DejaVu Sans",
    "font.size": FONT,
    "axes.titlesize": TITLE_FONT,
    "axes.labelsize": FONT,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.color": INK,
    "xtick.labelsize": FONT,
    "ytick.labelsize": FONT,
    "legend.frameon": False,
    "legend.fontsize": FONT,
    "legend.title_fontsize": FONT,
    "hatch.color": "#8a8a8a",
    "hatch.linewidth": 0.6,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "path.simplify": True,
    # unhinted glyphs: a third faster to draw, and as sharp at 160 dpi
    "text.hinting": "no_hinting",
}


@contextlib.contextmanager
def house_style():
    """Apply the house rcParams while a figure is being built (no global change)."""
    with mpl.rc_context(RC):
        yield


def require_source(source: str | None) -> str:
    """Refuse to draw a figure whose data source is not stated."""
    if source is None or not str(source).strip():
        raise FigureError(
            "Source absente : chaque figure doit citer sa source, par exemple "
            "source=\"Insee, RP 2019 (géographie 2022)\"."
        )
    return str(source).strip()


def new_figure(height_in: float = 4.0) -> Figure:
    """A blank figure 5 inches wide; :func:`finish` sets its height. Call inside :func:`house_style`."""
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI)
    FigureCanvasAgg(fig)  # measured with the renderer that will draw it
    return fig


def caption_text(source: str) -> str:
    """``"Source : Insee, RP 2019"``; a caller who already wrote "Source" is kept as is."""
    source = require_source(source)
    if source.lower().startswith("source"):
        return source
    return f"Source\u00a0: {source}"


def wrap(text: str, width: int) -> str:
    """Break a label over lines of at most ``width`` characters (tick labels)."""
    return textwrap.fill(str(text), width=width, break_long_words=False, break_on_hyphens=False)


@functools.lru_cache(maxsize=1)
def _measurer() -> RendererAgg:
    return RendererAgg(10, 10, DPI)  # measured at the rendering dpi (hinting changes widths)


@functools.lru_cache(maxsize=4096)
def text_width_pt(text: str, size: float = FONT, weight: str = "normal") -> float:
    """Width of one line of text in points, in the house font."""
    prop = FontProperties(family=RC["font.family"], size=size, weight=weight)
    width, _, _ = _measurer().get_text_width_height_descent(text, prop, ismath=False)
    return float(width) * 72 / DPI


def wrap_to(text: str, width_in: float, size: float = FONT, weight: str = "normal") -> str:
    """Break ``text`` so that no line is wider than ``width_in`` inches (measured, not guessed).

    Words are split on plain spaces only: no-break spaces keep "12 345 €" together.
    """
    limit = width_in * 72 - 4  # hinting at the rendering dpi may widen a line by a point or two
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and text_width_pt(candidate, size, weight) > limit:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return "\n".join(lines)


def block_height_in(text: str, size: float) -> float:
    """Height of a block of lines, in inches."""
    return (text.count("\n") + 1) * size * LINE_SPACING / 72


def finish(
    fig: Figure,
    title: str | None,
    source: str,
    notes: list[str] | tuple[str, ...] = (),
    *,
    ax=None,
    body_in: float = 3.0,
    aspect: float | None = None,
    legend: list | None = None,
    legend_title: str | None = None,
    key: list[str] | None = None,
    decorations: bool = True,
    legend_kw: dict | None = None,
    alt: str,
) -> Figure:
    """Lay the figure out top to bottom: title, legend, axes, key, notes, caption.

    Each block is measured with the renderer and the figure's height is their
    sum, so blocks never overlap and long titles wrap instead of being cut.
    ``body_in`` is the height of the axes (inches); with ``aspect`` (maps) it
    is the width times ``aspect``. ``key`` lists lines written in columns
    under the axes (numbered commune names). ``decorations=False`` (maps)
    gives the axes the full width. ``alt`` is the French alt text.
    """
    ax = ax if ax is not None else (fig.axes[0] if fig.axes else None)
    renderer = fig.canvas.get_renderer()
    dpi = fig.dpi
    avail = WIDTH_IN - 2 * MARGIN_IN
    title_text = wrap_to(title, avail, TITLE_FONT, "bold") if title else ""
    title_h = block_height_in(title_text, TITLE_FONT) if title else 0.0

    lines = [f"Note\u00a0: {note}" for note in dict.fromkeys(notes) if note]
    lines.append(caption_text(source))
    foot_text = "\n".join(wrap_to(line, avail, FONT) for line in lines)
    foot_h = block_height_in(foot_text, FONT)

    leg = _fit_legend(fig, legend, legend_title, avail, renderer, legend_kw or {}) if legend else None
    legend_h = leg.get_window_extent(renderer).height / dpi if leg else 0.0

    key_texts, key_h = _key_columns(fig, key, avail) if key else ([], 0.0)

    top = MARGIN_IN + title_h + (GAP_IN + legend_h if leg else 0.0) + GAP_IN
    if ax is not None:
        left, right, above, below = _decorations(ax, renderer, dpi) if decorations else (0.0, 0.0, 0.0, 0.0)
        ax_w = max(avail - left - right, 1.0)
        if aspect is not None:
            body_in = ax_w * aspect
        height = top + above + body_in + below + GAP_IN + (key_h + GAP_IN if key_texts else 0.0) + foot_h + MARGIN_IN
        fig.set_size_inches(WIDTH_IN, height)
        ax.set_position([(MARGIN_IN + left) / WIDTH_IN, (height - top - above - body_in) / height,
                         ax_w / WIDTH_IN, body_in / height])
        if aspect is None:
            _fit_texts(ax, renderer)
            # second pass: decorations measured at the final size (tick labels, fitted texts)
            left, right, above2, below2 = _decorations(ax, renderer, dpi)
            ax_w = max(avail - left - right, 1.0)
            ax.set_position([(MARGIN_IN + left) / WIDTH_IN, (height - top - above - body_in) / height,
                             ax_w / WIDTH_IN, body_in / height])
            _fit_texts(ax, renderer)
        body_bottom = top + above + body_in + below
    else:
        height = top + (key_h + GAP_IN if key_texts else 0.0) + foot_h + MARGIN_IN
        fig.set_size_inches(WIDTH_IN, height)
        body_bottom = top - GAP_IN

    x0 = MARGIN_IN / WIDTH_IN
    if title:
        fig.text(x0, 1 - MARGIN_IN / height, title_text, ha="left", va="top", fontsize=TITLE_FONT,
                 fontweight="bold", color=INK, linespacing=LINE_SPACING, gid="titre")
    if leg:
        leg.set_bbox_to_anchor((x0, 1 - (MARGIN_IN + title_h + GAP_IN) / height), transform=fig.transFigure)
    for i, (text, column_x) in enumerate(key_texts):
        text.set_position((x0 + column_x / WIDTH_IN, 1 - (body_bottom + GAP_IN) / height))
    fig.text(x0, MARGIN_IN / height, foot_text, ha="left", va="bottom", fontsize=FONT, color=MUTED,
             linespacing=LINE_SPACING, gid="source")
    fig.set_gid("abs-figure")
    fig.abs_alt = alt
    return fig


def _fit_legend(fig, handles, title, avail, renderer, extra):
    """A legend under the title, with as many columns as the width allows (widths measured
    from the labels, the legend is built once)."""
    options = {"handlelength": 1.4, "handleheight": 1.0, **extra}
    room = avail - (options["handlelength"] + 0.5) * FONT / 72
    for handle in handles:  # a label longer than the width wraps
        handle.set_label(wrap_to(handle.get_label().replace("\n", " "), room))
    entry = [(options["handlelength"] + 0.5) * FONT + max(text_width_pt(line) for line in h.get_label().split("\n"))
             for h in handles]
    spacing = 1.0 * FONT
    ncol = 1
    for n in range(len(handles), 0, -1):
        # matplotlib's split: the first (len % n) columns hold one more entry
        rows, large = divmod(len(handles), n)
        sizes = [rows + 1] * large + [rows] * (n - large)
        starts = np.cumsum([0] + sizes)
        columns = [max(entry[a:b]) for a, b in zip(starts[:-1], starts[1:]) if b > a]
        if sum(columns) + spacing * (len(columns) - 1) <= avail * 72 - 12:
            ncol = n
            break
    leg = fig.legend(handles=handles, loc="upper left", ncol=ncol, frameon=False, fontsize=FONT,
                     title=title, title_fontsize=FONT, alignment="left", borderaxespad=0, borderpad=0,
                     columnspacing=1.0, handletextpad=0.5, **options)
    leg.set_gid("legende")
    return leg


def _key_columns(fig, key, avail):
    """Key lines in as many columns as fit (filled top to bottom)."""
    widest = max(text_width_pt(line) for line in key) / 72 + 0.2
    ncol = max(1, min(len(key), int(avail // widest)))
    rows = -(-len(key) // ncol)
    texts = []
    for c in range(ncol):
        chunk = key[c * rows:(c + 1) * rows]
        if chunk:
            text = fig.text(0, 0, "\n".join(chunk), ha="left", va="top", fontsize=FONT, color=INK,
                            linespacing=LINE_SPACING, gid="cle-communes")
            texts.append((text, c * widest))
    return texts, rows * FONT * LINE_SPACING / 72


def _decorations(ax, renderer, dpi):
    """Inches taken by tick labels, axis labels and texts around the axes box (left, right, top, bottom)."""
    tight = ax.get_tightbbox(renderer)
    box = ax.get_window_extent(renderer)
    if tight is None:
        return 0.0, 0.0, 0.0, 0.0
    return (max(box.x0 - tight.x0, 0) / dpi, max(tight.x1 - box.x1, 0) / dpi,
            max(tight.y1 - box.y1, 0) / dpi, max(box.y0 - tight.y0, 0) / dpi)


def _fit_texts(ax, renderer) -> None:
    """Widen the x limits so that every text written in data coordinates stays inside the axes."""
    texts = [t for t in ax.texts if t.get_visible() and t.get_text()]
    if not texts:
        return
    lo, hi = ax.get_xlim()
    box = ax.get_window_extent(renderer)
    width = box.width
    new_lo, new_hi = lo, hi
    for text in texts:
        if text.get_transform() is not ax.transData:
            continue
        ext = text.get_window_extent(renderer)
        anchor = text.get_position()[0]
        frac = (anchor - lo) / (hi - lo)
        right = ext.x1 - box.x0 - frac * width  # px right of the anchor
        left = frac * width - (ext.x0 - box.x0)  # px left of the anchor
        pad = 0.06 * fig_dpi(ax)  # a few points of air between a text and the axes' edge
        if right > 0 and right + pad < width * 0.9:
            new_hi = max(new_hi, lo + (anchor - lo) * width / (width - right - pad))
        if left > 0 and left + pad < width * 0.9:
            new_lo = min(new_lo, hi - (hi - anchor) * width / (width - left - pad))
    if (new_lo, new_hi) != (lo, hi):
        ax.set_xlim(new_lo, new_hi)


def fig_dpi(ax) -> float:
    return ax.figure.dpi


def phone_px(fontsize_pt: float, fig: Figure) -> float:
    """Height in CSS px of text of ``fontsize_pt`` when the image is shown on a phone."""
    return fontsize_pt / 72 * fig.dpi * PHONE_WIDTH / (fig.get_figwidth() * fig.dpi)


def nice_values(vmax: float, count: int = 3) -> list[float]:
    """Round reference values for a legend of proportional symbols (largest first)."""
    if not np.isfinite(vmax) or vmax <= 0:
        return []
    exponent = np.floor(np.log10(vmax))
    top = np.floor(vmax / 10 ** exponent) * 10 ** exponent
    values = [top]
    for fraction in (0.3, 0.1)[: count - 1]:
        v = top * fraction
        digits = 10 ** np.floor(np.log10(v))
        values.append(float(np.round(v / digits) * digits))
    return [float(v) for v in values]
