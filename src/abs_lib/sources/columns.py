"""What each column of a stored table is: a count, a value read at its own level, or a label.

Why: a commune nouvelle's population is the sum of its former communes', but its
median income is not the sum of their medians (45 158 € for Collonges-et-Premières
in 2016 was exactly that mistake). Only counts may be summed across communes or
mergers; medians, rates, shares, indices and quality notes are read where the
source publishes them, and are missing elsewhere.

The kinds are declared here once (by vintage-free name, see ``variables.py``) and
written into each table's manifest at import, so every reader of the store agrees.
Unknown numeric columns of a dataset of counts are counts; of any other dataset,
values read at their level (when in doubt, missing rather than wrong).
"""

from __future__ import annotations

import re

import pandas as pd

from abs_lib.sources.variables import split_vintage

COUNT, LEVEL, LABEL = "count", "level", "label"

#: Datasets whose numeric columns are counts unless declared otherwise below.
COUNT_DATASETS = frozenset({
    "rp-population-commune", "rp-population-iris", "rp-familles-commune", "rp-familles-iris",
    "rp-logement-commune", "rp-logement-iris", "rp-activite-commune", "rp-activite-iris",
    "rp-formation-commune", "rp-formation-iris", "rp-fd-logement", "insee-comparateur", "insee-dossier-complet", "caf-iris",
    "caf-places-accueil-jeune-enfant", "local-accueil-jeune-enfant", "epci-composition",
    "drees-accueil-jeune-enfant",
})

#: FiLoSoFi counts (households, persons, consumption units): the only additive FiLoSoFi columns.
_FILOSOFI_COUNTS = frozenset({"NBMENFISC", "NBPERSMENFISC", "NBMEN", "NBPERS", "NBUC"})

#: Values that are never sums, whatever the dataset (vintage-free names; regular expressions).
_LEVEL_PATTERNS = tuple(re.compile(p) for p in (
    r"^(MED|PIMP|TP60.*|Q[123]|Q3_Q1|D[1-9]|RD|S80S20|GI|EQ|NOTE)$",          # FiLoSoFi distribution
    r"^P(ACT|TSA|CHO|BEN|PEN|PAT|PSOC|PFAM|PMINI|PLOGT|IMPOT)$",              # FiLoSoFi income shares
    r"^(DISP|DEC)_",                                                          # FiLoSoFi IRIS
    r"(?i)^(tx|taux)",                                                        # CAF coverage rates
    r"(?i)_(pct|part|taux|tx)(_|$)",                                          # third-party shares
))

#: Code and label columns that may look numeric (REG 27, DEP 21, EPCI SIREN…).
_LABEL_COLUMNS = frozenset({
    "CODGEO", "LIBGEO", "IRIS", "LIBIRIS", "COM", "LIBCOM", "DEPCOM", "INSEE_COM", "EPCI", "LIBEPCI",
    "DEP", "REG", "UU2010", "TYP_IRIS", "MODIF_IRIS", "LAB_IRIS", "TRIRIS", "GRD_QUART", "ARR", "CV",
    "ZE2010", "AU2010", "numcom", "numepci", "numdep", "date_reference", "annee",
    "Code région", "Code département",
})


def column_kind(dataset: str, column: str, dtype=None) -> str:
    """``count``, ``level`` or ``label`` for one column (vintage prefixes ignored)."""
    if column in _LABEL_COLUMNS or column.startswith("_"):
        return LABEL
    if dtype is not None and not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
        return LABEL
    name, _ = split_vintage(column)
    if name in _FILOSOFI_COUNTS:
        return COUNT
    if any(p.search(name) for p in _LEVEL_PATTERNS):
        return LEVEL
    return COUNT if dataset in COUNT_DATASETS else LEVEL


def column_kinds(dataset: str, frame: pd.DataFrame) -> dict[str, str]:
    """Kind of every column of ``frame`` (the manifest's ``columns``)."""
    return {str(c): column_kind(dataset, str(c), frame[c].dtype) for c in frame.columns}


def counts_of(kinds: dict[str, str], columns) -> list[str]:
    """The columns among ``columns`` that may be summed."""
    return [c for c in columns if kinds.get(c) == COUNT]
