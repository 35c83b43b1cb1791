"""Vintage-free variable names, so one indicator definition serves every year.

INSEE writes the vintage inside variable names: ``P16_POP0014`` (census 2016,
exploitation principale), ``C19_MENPSEUL`` (census 2019, complémentaire),
``MED21`` or ``Q216`` (FiLoSoFi), ``DISP_TP6016`` (FiLoSoFi IRIS), ``NAISD24``
(état civil, births of 2024). We split each name into a vintage-free name and a
vintage: ``("P_POP0014", 2016)``, ``("NAISD", 2024)``. Names we do not recognise are
kept unchanged with no vintage.

Births and deaths over a period (``NAIS1621``, ``DECE1217`` in the Comparateur and
the Dossier complet) need the whole header: the period is the one between the
file's two censuses, and INSEE names it two ways (``NAIS1621`` = 2016-2021, closed by
RP2022; ``NAIS1217`` or ``NAIS1318`` = closed by RP2017 or RP2018). See
:func:`civil_periods`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

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

# État civil, one year: NAISD24 / DECESD24 = births / deaths domiciled in 2024.
_CIVIL_YEAR = re.compile(r"^(?P<rest>NAISD|DECESD)(?P<yy>\d{2})$")
# État civil over a period: NAIS1621 / DECE1621 (start and end two-digit years).
_CIVIL_PERIOD = re.compile(r"^(?P<stem>NAIS|DECE)(?P<start>\d{2})(?P<end>\d{2})$")
#: Vintage-free names of period counts, and the suffix of their annual mean.
PERIOD_NAMES = {"NAIS": "NAIS_PERIODE", "DECE": "DECE_PERIODE"}
PER_YEAR = "_PAR_AN"

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
    match = _CIVIL_YEAR.match(name)
    if match:
        return match["rest"], _year(match["yy"])
    return name, None


@dataclass(frozen=True)
class CivilPeriod:
    """Births or deaths over the period between two censuses of one file.

    ``vintage`` is the census that closes the period (the row it is paired with,
    e.g. P22_POP for NAIS1621), ``first_year`` the first calendar year counted and
    ``years`` the length: births from 1 January ``first_year`` to 1 January
    ``vintage`` (NAIS1621: 2016 to 2021 included, 6 years).
    """

    column: str
    name: str
    vintage: int
    first_year: int
    years: int

    @property
    def per_year_name(self) -> str:
        return self.name + PER_YEAR


def civil_periods(columns) -> dict[str, CivilPeriod]:
    """The period counts of a header (``NAIS1621``, ``DECE1217``…), resolved against its censuses.

    INSEE ends the name either with the closing census year (``NAIS1217`` beside
    ``P17_POP``/``P12_POP``, ``NAIS1318`` beside ``P18_POP``) or with the last year
    counted (``NAIS1621`` beside ``P22_POP``/``P16_POP``). Either way the period runs
    from the first year to the census that closes it, so the closing census is the
    end year when the file has that census, else the next year when it has that one.
    A period with no such census in the file (or both) is left unresolved: the column
    then keeps its name, with no vintage.
    """
    names = [str(c).strip() for c in columns]
    censuses = {_year(m["yy"]) for m in map(_CENSUS.match, names) if m}
    out = {}
    for column in names:
        match = _CIVIL_PERIOD.match(column)
        if not match:
            continue
        first, end = _year(match["start"]), _year(match["end"])
        closing = [year for year in (end, end + 1) if year in censuses]
        if len(closing) != 1 or closing[0] <= first:
            continue
        out[column] = CivilPeriod(column, PERIOD_NAMES[match["stem"]], closing[0], first, closing[0] - first)
    return out


def vintages_in(columns) -> dict[int, list[str]]:
    """Group the columns of a file by the vintage written in their names."""
    columns = list(columns)
    periods = civil_periods(columns)
    groups: dict[int, list[str]] = defaultdict(list)
    for column in columns:
        period = periods.get(str(column).strip())
        vintage = period.vintage if period else split_vintage(column)[1]
        if vintage is not None:
            groups[vintage].append(column)
    return dict(groups)


def normalise_columns(frame: pd.DataFrame, vintage: int | None = None) -> pd.DataFrame:
    """Return the columns of ``frame`` for one vintage, under vintage-free names.

    Columns without a vintage (codes, labels, CAF variables) are kept. When a
    file mixes vintages (e.g. ``P22_POP`` and ``P16_POP``) pass the one wanted;
    columns of other vintages are left out. With ``vintage=None`` the file must
    hold a single vintage.

    Period counts go with the census that closes their period (``NAIS1621`` ->
    ``NAIS_PERIODE`` of 2022) and get their annual mean beside them
    (``NAIS_PERIODE_PAR_AN`` = ``NAIS1621`` / 6): the period length is known only
    from the header, and a mean of additive counts stays additive.
    """
    present = vintages_in(frame.columns)
    if vintage is None and len(present) > 1:
        raise ValueError(f"several vintages in one table ({sorted(present)}): choose one")
    periods = civil_periods(frame.columns)
    renamed, per_year = {}, {}
    for column in frame.columns:
        period = periods.get(str(column).strip())
        name, col_vintage = (period.name, period.vintage) if period else split_vintage(column)
        if col_vintage is None:
            renamed[column] = column
        elif vintage is None or col_vintage == vintage:
            renamed[column] = name
            if period:
                per_year[period.per_year_name] = (column, period.years)
    out = frame.loc[:, list(renamed)].rename(columns=renamed)
    if per_year:
        out = out.assign(**{name: pd.to_numeric(frame[column], errors="coerce").to_numpy() / years
                            for name, (column, years) in per_year.items()})
    if out.columns.duplicated().any():
        dupes = sorted(set(out.columns[out.columns.duplicated()]))
        raise ValueError(f"normalised names collide: {dupes}")
    return out
