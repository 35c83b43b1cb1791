"""Indicators of the ABS: a declarative registry (registry.yaml), a vectorised engine that
computes every indicator for every territory into one tidy table, evolutions under INSEE's
comparison rule, and the ranking of "enjeux" phrased in French. See docs/indicators.md."""

from abs_lib.indicators.compute import FLAG_TEXT, PARTIAL_COLUMN, compute_indicators, has_flag
from abs_lib.indicators.enjeux import phrase, rank_enjeux
from abs_lib.indicators.evolution import (
    annual_rate,
    census_comparable,
    check_comparable,
    compute_evolutions,
    min_census_gap,
)
from abs_lib.indicators.geography import FRANCE_CODE, LEVELS, METROPOLE_CODE, Geography
from abs_lib.indicators.inputs import caf_places_tables, local_places_by_commune, sum_iris_to_communes
from abs_lib.indicators.registry import Indicator, Registry, load_registry
from abs_lib.indicators.views import territory_view

__all__ = [
    "FLAG_TEXT", "FRANCE_CODE", "LEVELS", "METROPOLE_CODE", "PARTIAL_COLUMN", "Geography",
    "Indicator", "Registry", "annual_rate", "caf_places_tables", "census_comparable", "check_comparable",
    "compute_evolutions", "compute_indicators", "has_flag", "load_registry",
    "local_places_by_commune", "min_census_gap", "phrase", "rank_enjeux",
    "sum_iris_to_communes", "territory_view",
]
