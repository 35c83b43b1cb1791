"""Figures of an ABS diagnostic: charts and commune maps, in one house style.

Every function takes plain pandas/geopandas data and returns a matplotlib
Figure with French labels and its source on a caption line. Notebooks only
call these functions; nothing is computed here beyond what drawing needs.

Map functions need geopandas; they are imported on first use so that charts
work without it.
"""

from abs_lib.plots.charts import (
    COVERAGE_MODES,
    COVERAGE_UNIT,
    age_pyramid,
    compare_bars,
    coverage_chart,
    evolution_chart,
)
from abs_lib.plots.classify import assign_classes, class_bounds, class_labels, display_labels, rounded_breaks

_MAP_NAMES = ("commune_choropleth", "commune_symbols", "load_contours", "map_crs", "class_colors")

__all__ = [
    "COVERAGE_MODES",
    "COVERAGE_UNIT",
    "age_pyramid",
    "assign_classes",
    "class_bounds",
    "class_colors",
    "class_labels",
    "commune_choropleth",
    "commune_symbols",
    "compare_bars",
    "coverage_chart",
    "display_labels",
    "evolution_chart",
    "load_contours",
    "map_crs",
    "rounded_breaks",
]


def __getattr__(name):
    if name in _MAP_NAMES:
        from abs_lib.plots import maps

        return getattr(maps, name)
    raise AttributeError(f"module 'abs_lib.plots' has no attribute {name!r}")
