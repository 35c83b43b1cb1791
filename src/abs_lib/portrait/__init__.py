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

__all__ = [
    "Portrait", "chosen_vintages", "commune_values", "enjeux", "indicator_table", "latest_rows", "missing_sources",
    "open_portrait", "side_by_side", "theme_table", "tidy_table", "value",
]
