"""The portrait of one territory, as study notebooks show it.

``open_portrait`` computes (or reads from a batch) the indicators of a
territory, its communes and its references; ``tables`` and ``figures`` turn
them into what a report shows. Notebooks call these and hold no logic.
"""

from abs_lib.portrait.build import Portrait, open_portrait
from abs_lib.portrait.tables import (
    chosen_vintages,
    commune_values,
    enjeux,
    indicator_table,
    latest_rows,
    missing_sources,
    side_by_side,
    tidy_table,
    theme_table,
    value,
)

def warm_caches() -> None:
    """Fill the per-process caches every study uses (registry, catalog, geographies, fonts).

    A batch worker's kept kernel calls this when it starts (``reports.keptkernel``), while
    the batch prepares, instead of its first report reading the same files.
    """
    import io

    from matplotlib.figure import Figure

    from abs_lib.demo import demo_geography
    from abs_lib.indicators import load_registry
    from abs_lib.sources.catalog import load_catalog
    from abs_lib.territories import load_geography

    load_registry()
    load_catalog()
    demo_geography().membership()
    load_geography().membership()
    figure = Figure(figsize=(2, 1))
    figure.text(0.1, 0.5, "Échauffement 1 234,5 €", fontweight="bold")
    figure.savefig(io.BytesIO(), format="png")


__all__ = [
    "Portrait", "warm_caches", "chosen_vintages", "commune_values", "enjeux", "indicator_table", "latest_rows", "missing_sources",
    "open_portrait", "side_by_side", "theme_table", "tidy_table", "value",
]
