"""One look for every figure: palette, sizes, caption and notes.

Figures are embedded at about 700 px wide in an HTML report and printed, so
they are 7 inches wide at 100 dpi, with fonts large enough for both. Every
figure carries its source on a caption line: a figure without a source is not
drawn. Figures are built with :class:`matplotlib.figure.Figure` (not pyplot)
so batch runs do not pile up open figures and notebooks do not show them twice.
"""

from __future__ import annotations

import contextlib
import textwrap

import matplotlib as mpl
from matplotlib.figure import Figure

from abs_lib.errors import FigureError

# Colours ---------------------------------------------------------------------
#: The studied territory.
HIGHLIGHT = "#1f5f99"
#: Comparison territories (département, région, France).
REFERENCE = "#a7b1ba"
#: Reference markers and outlines.
INK = "#222222"
#: Secondary text (caption, notes, value labels of references).
MUTED = "#5b6670"
#: Missing values: grey, hatched on maps.
MISSING_FACE = "#e3e3e3"
MISSING_HATCH = "////"
#: Neighbouring communes drawn for context on maps.
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
WIDTH_IN = 7.0
DPI = 100
#: Characters per line of notes and caption (8 pt over 700 px).
NOTE_WIDTH = 105  # characters per caption line at 8 pt on a 7-inch figure (margins included)
#: Characters per line of territory labels on bar charts.
LABEL_WIDTH = 28

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "xtick.labelsize": 9,
    "ytick.labelsize": 10,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "hatch.color": "#8a8a8a",
    "hatch.linewidth": 0.6,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.15,
    "savefig.facecolor": "white",
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


def new_figure(height_in: float = 4.2) -> Figure:
    """A blank figure 700 px wide (at 100 dpi); call inside :func:`house_style`."""
    return Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")


def caption_text(source: str) -> str:
    """``"Source : Insee, RP 2019"``; a caller who already wrote "Source" is kept as is."""
    source = require_source(source)
    if source.lower().startswith("source"):
        return source
    return f"Source\u00a0: {source}"


def wrap(text: str, width: int) -> str:
    """Break a long label over several lines (tick labels, notes)."""
    return textwrap.fill(str(text), width=width, break_long_words=False, break_on_hyphens=False)


def finish(fig: Figure, title: str | None, source: str, notes: list[str] | tuple[str, ...] = ()) -> Figure:
    """Add the title, the notes and the caption line with the source.

    Notes (missing values, non-comparable vintages) go just above the source,
    one per line, so the reader sees them when the figure is printed alone.
    """
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=12, fontweight="bold", color=INK)
    lines = [wrap(f"Note\u00a0: {note}", NOTE_WIDTH) for note in dict.fromkeys(notes) if note]
    lines.append(wrap(caption_text(source), NOTE_WIDTH))
    fig.supxlabel("\n".join(lines), x=0.01, ha="left", fontsize=8, color=MUTED, linespacing=1.4)
    fig.get_layout_engine().set(h_pad=0.08)
    fig.set_gid("abs-figure")
    return fig
