"""Commune maps (choropleths) of a territory.

Communes are coloured by class (see :mod:`abs_lib.plots.classify`), missing
values are hatched grey ("secret / non disponible", never drawn as 0), the
territory's outline is drawn thick, neighbouring communes may be drawn in
light grey for context. Maps have no axes: coordinates mean nothing to the
reader.

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
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import CRS

from abs_lib.errors import FigureError, MissingColumnError, SourceFileError
from abs_lib.plots import style
from abs_lib.plots._axes import to_float
from abs_lib.plots.classify import METHODS, assign_classes, class_bounds, class_labels

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
    labels: bool = False,
    code_field: str = "INSEE_COM",
    name_field: str = "NOM",
    legend_title: str | None = None,
    outline_label: str = "Limite du territoire",
    cmap: str = style.SEQUENTIAL_CMAP,
    note: str | None = None,
    reasons: dict | None = None,
) -> Figure:
    """Map one indicator by commune, coloured by class.

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
        Number of classes and how their bounds are computed (:func:`class_bounds`).
    outline : GeoDataFrame or GeoSeries, optional
        The territory's limit; by default the union of ``contours``.
    context : GeoDataFrame, optional
        Neighbouring communes drawn in light grey (the territory's communes are left out).
    labels : bool
        Write commune names (``name_field``, else the code) on the map.
    legend_title : str, optional
        Title of the legend (default: ``unit`` when it is a long unit).
    reasons : dict, optional
        Why a commune's value is missing, by code (« secret statistique »…), said in the note.
    """
    source = style.require_source(source)
    if method not in METHODS:
        raise FigureError(f"Méthode de classes inconnue : « {method} ». Choisissez parmi : {', '.join(METHODS)}.")
    communes = _check_contours(contours, code_field)
    series = _check_values(values, communes[code_field])
    target = map_crs(communes)
    communes = _project(communes, target, communes.crs)
    shown = series.reindex(communes[code_field].to_numpy())
    shown.index = communes.index
    bounds = class_bounds(shown.dropna().to_numpy(), classes, method)
    klass = assign_classes(shown, bounds)
    n_classes = max(len(bounds) - 1, 0)
    colors = class_colors(n_classes, cmap)
    labels_text = class_labels(bounds, unit if unit in ("%", "‰", "€") else None)

    notes = [note] if note else []
    if n_classes > 1:
        notes.append(METHOD_NOTES[method])
    missing = klass.isna()
    if missing.any():
        names = communes.loc[missing, name_field if name_field in communes.columns else code_field]
        codes = communes.loc[missing, code_field].astype(str)
        why = {c: (reasons or {}).get(c) for c in codes}
        if missing.sum() <= 8:
            listed = ", ".join(f"{n} ({why[c]})" if why[c] else str(n) for n, c in zip(names, codes))
        else:
            counts = pd.Series([why[c] or style.MISSING_NOTE for c in codes]).value_counts()
            listed = ", ".join(f"{n} communes ({r})" for r, n in counts.items())
        notes.append(f"{style.MISSING_NOTE} : {listed}")

    with style.house_style():
        west, south, east, north = communes.total_bounds
        ratio = (north - south) / max(east - west, 1e-9)
        fig = style.new_figure(height_in=float(np.clip(4.3 * ratio + 1.4, 4.0, 8.0)))
        ax = fig.add_subplot()
        if context is not None:
            neighbours = _project(_as_frame(context), target, contours.crs)
            if code_field in neighbours.columns:
                neighbours = neighbours[~neighbours[code_field].isin(communes[code_field])]
            if len(neighbours):
                neighbours.plot(ax=ax, facecolor=style.CONTEXT_FACE, edgecolor=style.CONTEXT_EDGE, linewidth=0.4)
                ax.collections[-1].set_gid("contexte")
        edge_width = 0.6 if len(communes) <= 100 else 0.3
        for i, color in enumerate(colors):
            part = communes[klass == i]
            if len(part):
                part.plot(ax=ax, facecolor=color, edgecolor="white", linewidth=edge_width)
                ax.collections[-1].set_gid(f"classe-{i + 1}")
        if missing.any():
            communes[missing].plot(ax=ax, facecolor=style.MISSING_FACE, edgecolor=MISSING_EDGE,
                                   hatch=style.MISSING_HATCH, linewidth=0.4)
            ax.collections[-1].set_gid("non-disponible")
        limit = _outline(communes, outline, target, contours.crs)
        limit.boundary.plot(ax=ax, color=style.INK, linewidth=OUTLINE_WIDTH)
        ax.collections[-1].set_gid("limite")
        if labels:
            _write_names(ax, communes, name_field if name_field in communes.columns else code_field)
        pad_x, pad_y = (east - west) * 0.03, (north - south) * 0.03
        ax.set_xlim(west - pad_x, east + pad_x)
        ax.set_ylim(south - pad_y, north + pad_y)
        ax.set_aspect("equal")
        ax.set_axis_off()

        handles = [Patch(facecolor=c, edgecolor="white", label=lbl) for c, lbl in zip(colors, labels_text)][::-1]
        if missing.any():
            handles.append(Patch(facecolor=style.MISSING_FACE, edgecolor=MISSING_EDGE, hatch=style.MISSING_HATCH,
                                 label=style.MISSING_LEGEND))
        handles.append(Line2D([], [], color=style.INK, linewidth=OUTLINE_WIDTH, label=outline_label))
        if legend_title is None:
            legend_title = unit if unit and unit not in ("%", "‰", "€") else None
        legend = ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9,
                           title=style.wrap(legend_title, 26) if legend_title else None, title_fontsize=9,
                           handlelength=1.6, handleheight=1.2, alignment="left")
        legend.set_gid("legende")
        return style.finish(fig, title, source, notes)


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


def _outline(communes: gpd.GeoDataFrame, outline, target, default_crs) -> gpd.GeoSeries:
    if outline is None:
        geometry = communes.geometry
        union = geometry.union_all() if hasattr(geometry, "union_all") else geometry.unary_union
        return gpd.GeoSeries([union], crs=communes.crs)
    return _project(_as_frame(outline), target, default_crs).geometry


def _write_names(ax, communes: gpd.GeoDataFrame, field: str) -> None:
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    size = 7 if len(communes) <= 40 else 5.5
    for point, name in zip(communes.geometry.representative_point(), communes[field]):
        ax.text(point.x, point.y, str(name), ha="center", va="center", fontsize=size, color=style.INK,
                path_effects=halo, gid="nom-commune")
