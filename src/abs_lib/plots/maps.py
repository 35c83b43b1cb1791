"""Commune maps of a territory: choropleths (rates, shares, medians) and
proportional symbols (counts).

Choropleth communes are coloured by class (see :mod:`abs_lib.plots.classify`,
limits rounded for display so that legend labels never overlap); counts are
circles whose area is proportional to the value, over grey communes (colouring
counts would make large communes look important). Missing values are hatched
grey ("secret / non disponible", never drawn as 0) and their reason is noted,
the territory's outline is drawn thick, neighbouring communes may be drawn in
light grey for context. Communes are named on the map when the names fit,
otherwise numbered with a key under the map. Maps have no axes: coordinates
mean nothing to the reader. Geometries are simplified to a tolerance of a
third of a pixel at the rendered size (invisible, fewer vertices to draw).

Projection: contours in geographic coordinates (EPSG:4326...) are projected
to Lambert-93 (EPSG:2154) when they lie in metropolitan France, otherwise to a
Lambert azimuthal equal-area projection centred on the data (an equal-area
projection keeps the visual weight of communes right, unlike Web-Mercator).
Contours already projected, or without CRS (fictional demo polygons), are
drawn as they are.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.collections import PathCollection, PatchCollection
from matplotlib.path import Path as MplPath
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import CRS

from abs_lib.errors import FigureError, MissingColumnError, SourceFileError
from abs_lib.plots import style
from abs_lib.plots._axes import to_float
from abs_lib.formatting import format_number
from abs_lib.plots.classify import METHODS, display_classes, display_labels, rounded_breaks

LAMBERT_93 = "EPSG:2154"
#: lon/lat box of metropolitan France with Corsica (west, south, east, north).
METRO_BOUNDS = (-5.5, 41.0, 10.0, 51.5)
METHOD_NOTES = {
    "quantiles": "classes par quantiles (même nombre de communes dans chaque classe)",
    "natural": "classes par seuils naturels (méthode de Jenks)",
    "equal": "classes d'amplitudes égales",
}
MISSING_EDGE = "#9a9a9a"
OUTLINE_WIDTH = 1.8
#: Most communes labelled on a map (names or numbers); beyond, labels would be unreadable.
MAX_LABELLED = 60
#: Diameter (points) of the largest proportional symbol.
SYMBOL_MAX_PT = 40.0
SYMBOL_FACE = "#d9812b"
SHORT_MAP_UNITS = ("%", "‰", "€")


def load_contours(path: str | Path, code_field: str = "INSEE_COM") -> gpd.GeoDataFrame:
    """Read commune contours (GeoJSON, GeoPackage, shapefile...) with codes as strings.

    An integer code column (a file that lost its leading zeros) is put back to
    5 characters ("1001" -> "01001"); anything else non-text is refused.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceFileError(f"Fichier de contours introuvable : {path}. Vérifiez le chemin.")
    try:
        contours = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise SourceFileError(
            f"Fichier de contours illisible : {path} ({exc}). Attendu un GeoJSON, GeoPackage ou shapefile."
        ) from None
    if code_field not in contours.columns:
        raise MissingColumnError(path, [code_field], dataset="contours communaux")
    codes = contours[code_field]
    if pd.api.types.is_integer_dtype(codes):
        codes = codes.astype("int64").astype(str).str.zfill(5)
    elif not (pd.api.types.is_string_dtype(codes) or pd.api.types.is_object_dtype(codes)):
        raise SourceFileError(
            f"Codes communes illisibles dans {path} (colonne {code_field}, type {codes.dtype}) : "
            "attendu du texte à 5 caractères (« 21292 »)."
        )
    elif pd.api.types.is_object_dtype(codes):
        codes = codes.map(lambda c: c if pd.isna(c) else str(c))
    contours[code_field] = codes
    return contours


def map_crs(frame: gpd.GeoDataFrame):
    """CRS the map is drawn in (see module docstring); None keeps the input as is."""
    crs = frame.crs
    if crs is None or not crs.is_geographic:
        return crs
    west, south, east, north = frame.to_crs("EPSG:4326").total_bounds
    w, s, e, n = METRO_BOUNDS
    if west >= w and east <= e and south >= s and north <= n:
        return CRS.from_user_input(LAMBERT_93)
    lat, lon = (south + north) / 2, (west + east) / 2
    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +datum=WGS84 +units=m +no_defs")


def class_colors(n_classes: int, cmap: str = style.SEQUENTIAL_CMAP) -> list[tuple[float, float, float, float]]:
    """RGBA colour of each class, light (low values) to dark (high values)."""
    if n_classes <= 0:
        return []
    colormap = mpl.colormaps[cmap]
    if n_classes == 1:
        return [colormap(0.55)]
    return [colormap(x) for x in np.linspace(0.12, 0.9, n_classes)]



def _finish_legend(handles: list, data, outline_label: str, unit: str | None, legend_title: str | None):
    """Add the hatched « missing » entry (when a commune lacks a value) and the outline to
    ``handles``; return the legend's title (the unit unless the labels already carry it)."""
    if data.missing.any():
        handles.append(Patch(facecolor=style.MISSING_FACE, edgecolor=MISSING_EDGE, hatch=style.MISSING_HATCH,
                             label=style.MISSING_LEGEND))
    handles.append(Line2D([], [], color=style.INK, linewidth=OUTLINE_WIDTH, label=outline_label))
    if legend_title is None:
        legend_title = unit if unit and unit not in SHORT_MAP_UNITS else None
    return legend_title

def commune_choropleth(
    contours: gpd.GeoDataFrame,
    values: pd.Series,
    *,
    title: str,
    unit: str | None,
    source: str,
    classes: int = 5,
    method: str = "quantiles",
    outline: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    context: gpd.GeoDataFrame | None = None,
    labels: bool | str = "auto",
    code_field: str = "INSEE_COM",
    name_field: str = "NOM",
    legend_title: str | None = None,
    outline_label: str = "Limite du territoire",
    cmap: str = style.SEQUENTIAL_CMAP,
    note: str | None = None,
    reasons: dict | None = None,
    key_in_figure: bool = True,
) -> Figure:
    """Map one rate, share or median by commune, coloured by class.

    Parameters
    ----------
    contours : GeoDataFrame
        The communes of the territory, with their code in ``code_field``.
    values : Series
        Indicator indexed by commune code (str); codes absent from ``values``
        or NaN are drawn hatched as "secret / non disponible"; values of
        communes absent from ``contours`` are ignored.
    title, unit, source : str
        Title, unit of the values ("%", "€"...), data source for the caption (required).
    classes, method : int, {"quantiles", "natural", "equal"}
        Number of classes and how their limits are computed (:func:`rounded_breaks`).
    outline : GeoDataFrame or GeoSeries, optional
        The territory's limit; by default the union of ``contours``.
    context : GeoDataFrame, optional
        Neighbouring communes drawn in light grey (the territory's communes are left out).
    labels : bool or {"auto", "names", "numbers"}
        Commune labels (``name_field``, else the code): names when they fit, else numbers
        with a key under the map ("auto" or True); False for none.
    legend_title : str, optional
        Title of the legend (default: ``unit`` when it is a long unit).
    reasons : dict, optional
        Why a commune's value is missing, by code (« secret statistique »…), said in the note.
    key_in_figure : bool
        Numbered communes: their key drawn under the map (default), or, when False, left to
        the caller as ``fig.abs_key`` (the names, number 1 first) to write as text beside
        the image (a report's HTML list: real text, and a map drawn a third faster).
    """
    source = style.require_source(source)
    if method not in METHODS:
        raise FigureError(f"Méthode de classes inconnue : « {method} ». Choisissez parmi : {', '.join(METHODS)}.")
    short = unit if unit in SHORT_MAP_UNITS else None
    data = _prepare(contours, values, code_field, name_field, title, reasons)
    shown = data.shown
    breaks = rounded_breaks(shown.dropna().to_numpy(), classes, method, short)
    klass = display_classes(shown, breaks)
    n_classes = len(breaks) + 1
    colors = class_colors(n_classes, cmap)
    known = shown.dropna()
    labels_text = display_labels(breaks, short, single=(known.min(), known.max()))
    notes = [note] if note else []
    if n_classes > 1:
        notes.append(METHOD_NOTES[method] + ", limites arrondies")
    notes += data.notes
    alt_range = _range_text(data, lambda v: format_number(v, short))
    alt = (f"Carte des communes : {title}. {alt_range} {n_classes} classe{'s' if n_classes > 1 else ''} de "
           f"couleur, du plus clair (valeurs basses) au plus foncé.{data.missing_alt}")

    with style.house_style():
        fig, ax = _map_axes(data, context, code_field, contours.crs)
        positions = klass.reset_index(drop=True)
        _draw_communes(ax, data, [(f"classe-{i + 1}", color, np.flatnonzero((positions == i).fillna(False)))
                                  for i, color in enumerate(colors)])
        _draw_outline(ax, data, outline, contours.crs)
        key = _key(fig, _write_labels(ax, data, labels), key_in_figure)
        handles = [Patch(facecolor=c, edgecolor="white", label=lbl) for c, lbl in zip(colors, labels_text)][::-1]
        legend_title = _finish_legend(handles, data, outline_label, unit, legend_title)
        return style.finish(fig, title, source, notes, ax=ax, aspect=data.aspect, legend=handles,
                            legend_title=legend_title, key=key, decorations=False, alt=alt)


def commune_symbols(
    contours: gpd.GeoDataFrame,
    values: pd.Series,
    *,
    title: str,
    source: str,
    unit: str | None = None,
    legend_title: str | None = None,
    outline: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    context: gpd.GeoDataFrame | None = None,
    labels: bool | str = "auto",
    code_field: str = "INSEE_COM",
    name_field: str = "NOM",
    outline_label: str = "Limite du territoire",
    note: str | None = None,
    reasons: dict | None = None,
    key_in_figure: bool = True,
) -> Figure:
    """Map a count by commune (population, births…) as circles whose area is proportional to it.

    Same parameters as :func:`commune_choropleth`; ``legend_title`` names what is
    counted (« Population »); the legend shows two or three reference circles.
    Negative values cannot be drawn as areas and are refused.
    """
    source = style.require_source(source)
    data = _prepare(contours, values, code_field, name_field, title, reasons)
    shown = data.shown
    if (shown.dropna() < 0).any():
        raise FigureError(f"{title} : valeurs négatives, impossibles à représenter par des cercles "
                          "proportionnels ; utilisez une carte en classes (commune_choropleth).")
    vmax = float(shown.max())
    short = unit if unit in SHORT_MAP_UNITS else None
    notes = [note] if note else []
    notes.append("surface des cercles proportionnelle à la valeur")
    notes += data.notes
    alt = (f"Carte des communes en cercles proportionnels : {title}. "
           f"{_range_text(data, lambda v: format_number(v, short))}{data.missing_alt}")

    def area(v):  # scatter sizes are areas in points²
        return (SYMBOL_MAX_PT ** 2) * np.asarray(v, dtype=float) / vmax if vmax > 0 else np.zeros_like(v)

    with style.house_style():
        fig, ax = _map_axes(data, context, code_field, contours.crs)
        _draw_communes(ax, data, [("communes", style.CONTEXT_FACE, np.flatnonzero(~data.missing.to_numpy()))],
                       edge=style.CONTEXT_EDGE)
        _draw_outline(ax, data, outline, contours.crs)
        order = np.argsort(-shown.fillna(-1).to_numpy())  # small circles on top of large ones
        order = [i for i in order if pd.notna(shown.iloc[i])]
        points = data.points
        ax.scatter([points[i].x for i in order], [points[i].y for i in order], s=area(shown.iloc[order]),
                   facecolor=SYMBOL_FACE, alpha=0.8, edgecolor="white", linewidth=0.8, zorder=3, gid="cercles")
        key = _key(fig, _write_labels(ax, data, labels, zorder=4), key_in_figure)
        refs = style.nice_values(vmax)
        handles = [Line2D([], [], linestyle="none", marker="o", markersize=float(np.sqrt(area(r))),
                          markerfacecolor=SYMBOL_FACE, markeredgecolor="white", alpha=0.8,
                          label=format_number(r, short)) for r in refs]
        legend_title = _finish_legend(handles, data, outline_label, unit, legend_title)
        return style.finish(fig, title, source, notes, ax=ax, aspect=data.aspect, legend=handles,
                            legend_title=legend_title, key=key, decorations=False, alt=alt,
                            legend_kw={"handleheight": (SYMBOL_MAX_PT + 14) / style.FONT,
                                       "handlelength": SYMBOL_MAX_PT / style.FONT})


class _MapData:
    """Communes projected and simplified, their values, missing communes and their notes."""

    def __init__(self, communes, shown, names, codes, missing, notes, missing_alt, target):
        self.communes, self.shown, self.names, self.codes = communes, shown, names, codes
        self.missing, self.notes, self.missing_alt, self.target = missing, notes, missing_alt, target
        west, south, east, north = communes.total_bounds
        pad_x, pad_y = (east - west) * 0.03, (north - south) * 0.03
        self.xlim = (west - pad_x, east + pad_x)
        self.ylim = (south - pad_y, north + pad_y)
        self.aspect = float(np.clip((self.ylim[1] - self.ylim[0]) / max(self.xlim[1] - self.xlim[0], 1e-9), 0.3, 1.5))
        self.points = communes.geometry.representative_point().to_numpy()
        # data units per point at the rendered size (the map spans the figure's width)
        width_pt = (style.WIDTH_IN - 2 * style.MARGIN_IN) * 72
        self.units_per_pt = max((self.xlim[1] - self.xlim[0]) / width_pt,
                                (self.ylim[1] - self.ylim[0]) / (width_pt * self.aspect))


def _prepare(contours, values, code_field, name_field, title, reasons) -> _MapData:
    communes = _check_contours(contours, code_field)
    series = _check_values(values, communes[code_field])
    target = map_crs(communes)
    communes = _project(communes, target, communes.crs)
    shown = series.reindex(communes[code_field].to_numpy())
    shown.index = communes.index
    codes = communes[code_field].astype(str)
    names = communes[name_field] if name_field in communes.columns else codes
    names = names.map(str)
    missing = shown.isna()
    why = {c: (reasons or {}).get(c) or style.MISSING_NOTE for c in codes[missing]}
    if missing.all():
        counts = pd.Series(list(why.values())).value_counts()
        listed = ", ".join(f"{n} commune{'s' if n > 1 else ''} ({r})" for r, n in counts.items())
        raise FigureError(f"{title} : aucune valeur connue pour les communes du territoire ({listed}).")
    notes, missing_alt = [], ""
    if missing.any():
        if missing.sum() <= 8:
            listed = ", ".join(f"{n} ({why[c]})" for n, c in zip(names[missing], codes[missing]))
        else:
            counts = pd.Series([why[c] for c in codes[missing]]).value_counts()
            listed = ", ".join(f"{n} communes ({r})" for r, n in counts.items())
        notes.append(f"{style.MISSING_NOTE} : {listed}")
        n = int(missing.sum())
        missing_alt = f" {n} commune{'s' if n > 1 else ''} sans donnée : {listed}."
    # simplify to a third of a pixel at the rendered size: invisible, far fewer vertices
    west, south, east, north = communes.total_bounds
    tolerance = (east - west) / ((style.WIDTH_IN - 2 * style.MARGIN_IN) * style.DPI) / 3
    simplified = communes.copy()
    simplified["geometry"] = communes.geometry.simplify(tolerance, preserve_topology=True)
    data = _MapData(simplified, shown, names, codes, missing, notes, missing_alt, target)
    data.original, data.tolerance = communes.geometry, tolerance
    return data


def _range_text(data: _MapData, fmt) -> str:
    known = data.shown.dropna()
    lo, hi = known.idxmin(), known.idxmax()
    if known.size == 1 or known[lo] == known[hi]:
        return f"Valeur : {fmt(known[hi])} ({data.names[hi]})."
    return (f"Valeurs de {fmt(known[lo])} ({data.names[lo]}, la plus basse) à {fmt(known[hi])} "
            f"({data.names[hi]}, la plus haute) ; {known.size} commune{'s' if known.size > 1 else ''} renseignée"
            f"{'s' if known.size > 1 else ''}.")


def _map_axes(data: _MapData, context, code_field, contours_crs):
    fig = style.new_figure()
    ax = fig.add_axes([0, 0, 1, 1])
    if context is not None:
        neighbours = _project(_as_frame(context), data.target, contours_crs)
        if code_field in neighbours.columns:
            neighbours = neighbours[~neighbours[code_field].isin(data.codes)]
        neighbours = neighbours.clip_by_rect(data.xlim[0], data.ylim[0], data.xlim[1], data.ylim[1])
        neighbours = neighbours[~neighbours.is_empty]
        if len(neighbours):
            coll = PatchCollection([_patch(g) for g in neighbours], facecolor=style.CONTEXT_FACE,
                                   edgecolor=style.CONTEXT_EDGE, linewidth=0.4)
            coll.set_gid("contexte")
            ax.add_collection(coll)
    ax.set_xlim(*data.xlim)
    ax.set_ylim(*data.ylim)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_axis_off()
    return fig, ax


def _draw_communes(ax, data: _MapData, groups, edge="white") -> None:
    """One collection per ``(gid, face colour, commune positions)`` group, one for missing communes."""
    edge_width = 0.6 if len(data.communes) <= 100 else 0.3
    geoms = data.communes.geometry.to_numpy()
    for gid, face, members in groups:
        if len(members):
            coll = PatchCollection([_patch(geoms[i]) for i in members], facecolor=[face], edgecolor=edge,
                                   linewidth=edge_width)
            coll.set_gid(gid)
            ax.add_collection(coll)
    if data.missing.any():
        coll = PatchCollection([_patch(geoms[i]) for i in np.flatnonzero(data.missing.to_numpy())],
                               facecolor=style.MISSING_FACE, edgecolor=MISSING_EDGE, hatch=style.MISSING_HATCH,
                               linewidth=0.4)
        coll.set_gid("non-disponible")
        ax.add_collection(coll)


def _draw_outline(ax, data: _MapData, outline, contours_crs) -> None:
    if outline is None:  # union of the full geometries (simplified ones leave slivers), then simplified
        geometry = data.original
        union = geometry.union_all() if hasattr(geometry, "union_all") else geometry.unary_union
        limit = [union.simplify(data.tolerance)]
    else:
        limit = list(_project(_as_frame(outline), data.target, contours_crs).geometry)
    paths = [p for g in limit for p in _ring_paths(g.boundary if g.geom_type != "LineString" else g)]
    coll = PathCollection(paths, facecolor="none", edgecolor=style.INK, linewidth=OUTLINE_WIDTH, zorder=2.5)
    coll.set_gid("limite")
    ax.add_collection(coll)


def _patch(geom):
    from matplotlib.patches import PathPatch

    return PathPatch(_polygon_path(geom))


def _polygon_path(geom) -> MplPath:
    """A compound matplotlib path of a (multi)polygon, holes included."""
    polygons = getattr(geom, "geoms", [geom])
    paths = []
    for polygon in polygons:
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            paths.append(MplPath(np.asarray(ring.coords)[:, :2], closed=True))
    return MplPath.make_compound_path(*paths) if paths else MplPath(np.zeros((1, 2)))


def _ring_paths(lines) -> list[MplPath]:
    parts = getattr(lines, "geoms", [lines])
    return [MplPath(np.asarray(part.coords)[:, :2]) for part in parts if not part.is_empty]


def _key(fig, names: list[str] | None, in_figure: bool) -> list[str] | None:
    """The key lines ``finish`` draws under the map (« 1 Aiserey »…), or None; when the key is
    not ``in_figure``, its names go to ``fig.abs_key`` instead."""
    if not names:
        return None
    if not in_figure:
        fig.abs_key = list(names)
        return None
    return [f"{n}\u00a0{name}" for n, name in enumerate(names, start=1)]


def _write_labels(ax, data: _MapData, labels, zorder=3) -> list[str] | None:
    """Names on the map when none collide, else numbers on the map and a key (alphabetical).

    Returns the key: the names of the numbered communes, number 1 first (or None). Label
    boxes are measured in points and converted to map units at the rendered scale, so the
    check needs no drawing.
    """
    if labels is False or labels is None or len(data.communes) > MAX_LABELLED:
        return None
    mode = "auto" if labels is True else labels
    # a white box, not a path-effect halo: as legible, and drawn ten times faster
    halo = {"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.75}
    xs = np.array([p.x for p in data.points])
    ys = np.array([p.y for p in data.points])
    if mode in ("auto", "names") and (mode == "names" or not _collide(data, list(data.names), xs, ys)):
        for x, y, name in zip(xs, ys, data.names):
            ax.text(x, y, name, ha="center", va="center", fontsize=style.FONT, color=style.INK,
                    bbox=halo, gid="nom-commune", zorder=zorder)
        return None
    order = sorted(range(len(data.names)), key=lambda i: _sort_key(data.names.iloc[i]))
    number = {i: n + 1 for n, i in enumerate(order)}
    for i in range(len(xs)):
        ax.text(xs[i], ys[i], str(number[i]), ha="center", va="center", fontsize=style.FONT, fontweight="bold",
                color=style.INK, bbox=halo, gid="numero-commune", zorder=zorder)
    return [str(data.names.iloc[i]) for i in order]


def _collide(data: _MapData, texts: list[str], xs, ys) -> bool:
    """Whether any two label boxes (at the rendered size) overlap."""
    u = data.units_per_pt
    half_w = np.array([style.text_width_pt(t) for t in texts]) * u / 2 + 2 * u
    half_h = np.full(len(texts), style.FONT * 0.6 * u)
    dx = np.abs(xs[:, None] - xs[None, :]) < (half_w[:, None] + half_w[None, :])
    dy = np.abs(ys[:, None] - ys[None, :]) < (half_h[:, None] + half_h[None, :])
    hit = dx & dy
    np.fill_diagonal(hit, False)
    return bool(hit.any())


def _sort_key(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _check_contours(contours, code_field: str) -> gpd.GeoDataFrame:
    if not isinstance(contours, gpd.GeoDataFrame):
        raise FigureError("Carte : les contours doivent être un GeoDataFrame (voir load_contours).")
    if code_field not in contours.columns:
        raise FigureError(f"Carte : colonne de code commune « {code_field} » absente des contours.")
    if contours.empty:
        raise FigureError("Carte : aucun contour de commune à dessiner.")
    codes = contours[code_field]
    if not codes.map(lambda c: isinstance(c, str)).all():
        raise FigureError(
            f"Carte : les codes communes des contours (« {code_field} ») doivent être du texte "
            "(« 01001 », pas 1001) ; lisez-les avec load_contours."
        )
    if codes.duplicated().any():
        dupes = ", ".join(sorted(set(codes[codes.duplicated()])))
        raise FigureError(f"Carte : communes en double dans les contours : {dupes}.")
    return contours


def _check_values(values, codes: pd.Series) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise FigureError("Carte : les valeurs doivent être une Series pandas indexée par code commune.")
    if len(values) and not all(isinstance(c, str) for c in values.index):
        raise FigureError(
            "Carte : les valeurs doivent être indexées par code commune en texte (« 21292 »), "
            "pas par des nombres : les zéros initiaux seraient perdus."
        )
    if values.index.duplicated().any():
        raise FigureError("Carte : plusieurs valeurs pour une même commune.")
    series = to_float(values, "Carte")
    if len(series) and not series.index.isin(codes).any():
        example = ", ".join(list(series.index[:3]))
        raise FigureError(
            f"Carte : aucun code des valeurs ({example}…) ne correspond aux communes des contours. "
            "Vérifiez la géographie (millésime du COG) et le territoire."
        )
    return series


def _as_frame(shapes) -> gpd.GeoDataFrame:
    if isinstance(shapes, gpd.GeoSeries):
        return gpd.GeoDataFrame(geometry=shapes)
    if isinstance(shapes, gpd.GeoDataFrame):
        return shapes
    raise FigureError("Carte : le contour ou le contexte doit être un GeoDataFrame ou une GeoSeries.")


def _project(frame: gpd.GeoDataFrame, target, default_crs) -> gpd.GeoDataFrame:
    """Put ``frame`` in the map CRS; a frame without CRS is taken to share the contours' one."""
    if frame.crs is None and default_crs is not None:
        frame = frame.set_crs(default_crs)
    if target is None or frame.crs is None or frame.crs == target:
        return frame
    return frame.to_crs(target)
