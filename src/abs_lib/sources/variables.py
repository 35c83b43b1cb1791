"""Vintage-free variable names, so one indicator definition serves every year.

INSEE writes the vintage inside variable names: ``P16_POP0014`` (census 2016,
exploitation principale), ``C19_MENPSEUL`` (census 2019, complémentaire),
``MED21`` or ``Q216`` (FiLoSoFi), ``DISP_TP6016`` (FiLoSoFi IRIS). We split
each name into a vintage-free name and a vintage: ``("P_POP0014", 2016)``.
Names we do not recognise are kept unchanged with no vintage.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pandas as pd

# Census: P16_..., C16_...
_CENSUS = re.compile(r"^(?P<prefix>[PC])(?P<yy>\d{2})_(?P<rest>.+)$")
# FiLoSoFi IRIS: DISP_MED16, DISP_TP6016, DISP_S80S2016, DEC_MED16 …
_FILO_IRIS = re.compile(r"^(?P<prefix>DISP|DEC)_(?P<rest>[A-Z0-9_]*?)(?P<yy>\d{2})$")
# FiLoSoFi commune/EPCI/… stems followed by the two-digit vintage.
_FILO_STEMS = (
    "NBMENFISC", "NBPERSMENFISC", "NBMEN", "NBPERS", "NBUC", "PIMP", "MED", "TP60AGE1", "TP60AGE2",
    "TP60AGE3", "TP60AGE4", "TP60AGE5", "TP60AGE6", "TP60TOL1", "TP60TOL2", "TP60", "Q1", "Q2", "Q3",
    "D1", "D2", "D3", "D4", "D6", "D7", "D8", "D9", "RD", "S80S20", "GI", "PACT", "PTSA", "PCHO",
    "PBEN", "PPEN", "PPAT", "PPSOC", "PPFAM", "PPMINI", "PPLOGT", "PIMPOT", "EQ", "NOTE",
)
_FILO = re.compile(r"^(?P<rest>" + "|".join(sorted(_FILO_STEMS, key=len, reverse=True)) + r")(?P<yy>\d{2})$")

# Columns that end in digits but carry no vintage (age bands, S80S20 of files without one).
_NO_VINTAGE = frozenset({"RD", "Q3_Q1", "S80S20"})


def _year(yy: str) -> int:
    """Two-digit vintage to a year: INSEE bases start in 1968 (census) and 1990s (income)."""
    value = int(yy)
    return 1900 + value if value >= 60 else 2000 + value


def split_vintage(column: str) -> tuple[str, int | None]:
    """Split an INSEE variable name into (vintage-free name, vintage or None)."""
    name = str(column).strip()
    if name in _NO_VINTAGE:
        return name, None
    match = _CENSUS.match(name)
    if match:
        return f"{match['prefix']}_{match['rest']}", _year(match["yy"])
    match = _FILO_IRIS.match(name)
    if match and match["rest"]:
        return f"{match['prefix']}_{match['rest']}", _year(match["yy"])
    match = _FILO.match(name)
    if match:
        return match["rest"], _year(match["yy"])
    return name, None


def vintages_in(columns) -> dict[int, list[str]]:
    """Group the columns of a file by the vintage written in their names."""
    groups: dict[int, list[str]] = defaultdict(list)
    for column in columns:
        _, vintage = split_vintage(column)
        if vintage is not None:
            groups[vintage].append(column)
    return dict(groups)


def normalise_columns(frame: pd.DataFrame, vintage: int | None = None) -> pd.DataFrame:
    """Return the columns of ``frame`` for one vintage, under vintage-free names.

    Columns without a vintage (codes, labels, CAF variables) are kept. When a
    file mixes vintages (e.g. ``P22_POP`` and ``P16_POP``) pass the one wanted;
    columns of other vintages are left out. With ``vintage=None`` the file must
    hold a single vintage.
    """
    present = vintages_in(frame.columns)
    if vintage is None and len(present) > 1:
        raise ValueError(f"several vintages in one table ({sorted(present)}): choose one")
    renamed = {}
    for column in frame.columns:
        name, col_vintage = split_vintage(column)
        if col_vintage is None:
            renamed[column] = column
        elif vintage is None or col_vintage == vintage:
            renamed[column] = name
    out = frame.loc[:, list(renamed)].rename(columns=renamed)
    if out.columns.duplicated().any():
        dupes = sorted(set(out.columns[out.columns.duplicated()]))
        raise ValueError(f"normalised names collide: {dupes}")
    return out
