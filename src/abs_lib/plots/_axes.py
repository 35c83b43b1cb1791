"""Small drawing helpers shared by charts: French tick labels, value labels, input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import Formatter

from abs_lib.errors import FigureError
from abs_lib.formatting import format_number

#: Units short enough to follow every value label ("12,5 %"); longer units go to the axis label.
SHORT_UNITS = ("%", "‰", "€", "ans", "an")


class FrenchFormatter(Formatter):
    """Tick labels in French format, with the same decimals on every tick.

    ``absolute=True`` drops the sign (left half of an age pyramid).
    """

    def __init__(self, absolute: bool = False):
        self.absolute = absolute
        self._decimals = 0

    def __call__(self, x, pos=None):
        value = abs(x) if self.absolute else x
        return format_number(value, decimals=self._decimals)

    def format_ticks(self, values):
        self._decimals = tick_decimals(values)
        return [self(v, i) for i, v in enumerate(values)]


def tick_decimals(values) -> int:
    """Fewest decimals (0 to 3) that write every tick exactly."""
    values = np.asarray(values, dtype=float)
    for decimals in range(4):
        if np.allclose(values, np.round(values, decimals), atol=1e-9):
            return decimals
    return 3


def value_text(value, unit: str | None, decimals: int | None = None) -> str:
    """Label written next to a bar or point; the unit is kept only when short."""
    return format_number(value, unit if unit in SHORT_UNITS else None, decimals=decimals)


def axis_unit(unit: str | None) -> str | None:
    """The unit shown on the axis when value labels do not carry it."""
    return unit if unit and unit not in SHORT_UNITS else None


def as_label_values(values, label: str, value: str, what: str) -> pd.Series:
    """A float Series indexed by territory label from a Series or a 2-column DataFrame."""
    if isinstance(values, pd.Series):
        series = values.copy()
    elif isinstance(values, pd.DataFrame):
        missing = [c for c in (label, value) if c not in values.columns]
        if missing:
            raise FigureError(
                f"{what} : colonne(s) absente(s) {', '.join(missing)} ; attendu un tableau "
                f"avec les colonnes « {label} » (territoire) et « {value} » (valeur)."
            )
        series = values.set_index(label)[value]
    else:
        raise FigureError(f"{what} : attendu un tableau pandas (DataFrame ou Series), reçu {type(values).__name__}.")
    if series.empty:
        raise FigureError(f"{what} : aucune valeur à représenter.")
    series.index = series.index.map(str)
    if series.index.duplicated().any():
        dupes = ", ".join(sorted(set(series.index[series.index.duplicated()])))
        raise FigureError(f"{what} : territoire(s) en double : {dupes}. Donnez une ligne par territoire.")
    return to_float(series, what)


def to_float(data, what: str):
    """Numbers as float64 with missing values as NaN; text markers are refused, not zeroed."""
    try:
        return data.astype("float64")
    except (TypeError, ValueError) as exc:
        raise FigureError(
            f"{what} : valeurs non numériques ({exc}). Convertissez les marqueurs de secret "
            "(« s », « nd »…) en valeurs manquantes avant de tracer."
        ) from None
