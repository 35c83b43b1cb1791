"""Class bounds for choropleth maps: a pure function, testable without drawing.

Bounds are computed with numpy, following the conventions of ``mapclassify``
(the reference implementation of quantiles, equal intervals and Fisher-Jenks
natural breaks, not imported: see ``class_bounds``):

* classes are closed on the right: class 1 is ``[min, b1]``, class i is
  ``(b(i-1), b(i)]``, the last upper bound is the maximum;
* quantile bounds use linear interpolation between values (numpy's default,
  like ``scipy.stats.scoreatpercentile`` used by mapclassify);
* repeated bounds (many ties, fewer distinct values than classes) collapse,
  so there may be fewer classes than asked.

Missing values (NaN) are left out of the computation and get no class.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abs_lib.errors import FigureError
from abs_lib.formatting import UNIT_SPACE, default_decimals, format_number

METHODS = ("quantiles", "natural", "equal")


def class_bounds(
    values, classes: int = 5, method: str = "quantiles"
) -> np.ndarray:
    """Edges of the classes: ``[min, b1, ..., max]`` (length = number of classes + 1).

    Parameters
    ----------
    values : array-like of numbers
        NaN are ignored.
    classes : int
        Number of classes wanted (fewer when values have fewer distinct levels).
    method : {"quantiles", "natural", "equal"}
        Quantiles (same number of communes per class), natural breaks
        (Fisher-Jenks: minimal variance within classes) or equal intervals.

    Computed with numpy (quantiles as numpy.percentile, Fisher-Jenks by dynamic
    programming). mapclassify gives the same bounds (checked on random data when
    this was written) but its import pulls scipy and scikit-learn: 1.6 s per
    report, more than the map itself.
    """
    if method not in METHODS:
        raise FigureError(
            f"Méthode de classes inconnue : « {method} ». Choisissez parmi : {', '.join(METHODS)}."
        )
    if int(classes) < 1:
        raise FigureError(f"Nombre de classes invalide : {classes}. Il faut au moins 1 classe.")
    y = _clean(values)
    if y.size == 0:
        return np.array([], dtype=float)
    distinct = np.unique(y)
    k = min(int(classes), distinct.size)
    if distinct.size == 1:
        return np.array([distinct[0], distinct[0]])
    upper = _numpy_bins(y, k, method)
    upper = np.unique(np.asarray(upper, dtype=float))
    return np.concatenate([[y.min()], upper])


def assign_classes(values: pd.Series, bounds) -> pd.Series:
    """Class number (0 = lowest) of each value, as nullable Int64; NaN gets <NA>.

    Right-closed like :func:`class_bounds`: a value equal to a bound falls in
    the lower class; the minimum falls in class 0.
    """
    values = pd.Series(values, dtype="float64") if not isinstance(values, pd.Series) else values.astype("float64")
    bounds = np.asarray(bounds, dtype=float)
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if bounds.size < 2:
        return out
    known = values.notna()
    upper = bounds[1:]
    idx = np.searchsorted(upper, values[known].to_numpy(), side="left")
    outside = (values[known].to_numpy() < bounds[0]) | (idx >= upper.size)
    if outside.any():
        raise FigureError(
            "Des valeurs sortent des bornes de classes "
            f"({format_number(bounds[0])} à {format_number(bounds[-1])}) : recalculez les bornes "
            "sur les valeurs affichées."
        )
    out[known] = idx
    return out


def class_labels(bounds, unit: str | None = None, *, decimals: int | None = None) -> list[str]:
    """Legend labels in French format: ``"de 12,5 à 15,0 %"``, one per class.

    Decimals are the fewest that keep neighbouring bounds distinct (at least
    the house default for the magnitude of the values).
    """
    bounds = np.asarray(bounds, dtype=float)
    if bounds.size < 2:
        return []
    if decimals is None:
        decimals = _legend_decimals(bounds, unit)
    text = [format_number(b, decimals=decimals) for b in bounds]
    suffix = f"{UNIT_SPACE}{unit}" if unit else ""
    if bounds[0] == bounds[-1]:
        return [f"{text[0]}{suffix}"]
    # A class reduced to one value (ties: [5, 5]) reads "5,0", not "de 5,0 à 5,0".
    return [
        f"{text[i]}{suffix}" if bounds[i] == bounds[i + 1] else f"de {text[i]} à {text[i + 1]}{suffix}"
        for i in range(bounds.size - 1)
    ]


def _legend_decimals(bounds: np.ndarray, unit: str | None) -> int:
    base = min(default_decimals(float(np.nanmax(np.abs(bounds))), unit), 3)
    for decimals in range(base, 4):
        rounded = np.round(bounds, decimals)
        if np.unique(rounded).size == np.unique(bounds).size:
            return decimals
    return 3


def _clean(values) -> np.ndarray:
    y = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(dtype=float)
    return y[~np.isnan(y)]


def _numpy_bins(y: np.ndarray, k: int, method: str) -> np.ndarray:
    if method == "quantiles":
        return np.percentile(y, np.linspace(100 / k, 100, k))
    if method == "equal":
        width = (y.max() - y.min()) / k
        bins = y.min() + width * np.arange(1, k + 1)
        bins[-1] = y.max()
        return bins
    return _fisher_jenks(y, k)


def _fisher_jenks(y: np.ndarray, k: int) -> np.ndarray:
    """Exact natural breaks (Fisher 1958) by dynamic programming; upper bounds of classes.

    Cost of a class = sum of squared deviations from its mean; minimised over
    all partitions of the sorted values into k contiguous classes. O(k n^2)
    with numpy: fine for the few thousand communes of a département.
    """
    x = np.sort(y)
    n = x.size
    k = min(k, n)
    s1 = np.concatenate([[0.0], np.cumsum(x)])
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])

    def ssd(i, j):  # cost of class x[i:j] (j exclusive), vectorised over i
        m = j - i
        return s2[j] - s2[i] - (s1[j] - s1[i]) ** 2 / m

    cost = np.full((k + 1, n + 1), np.inf)
    back = np.zeros((k + 1, n + 1), dtype=int)
    cost[0, 0] = 0.0
    for c in range(1, k + 1):
        for j in range(c, n + 1):
            i = np.arange(c - 1, j)
            total = cost[c - 1, i] + ssd(i, j)
            best = int(np.argmin(total))
            cost[c, j] = total[best]
            back[c, j] = i[best]
    ends = []
    j = n
    for c in range(k, 0, -1):
        ends.append(j)
        j = back[c, j]
    return np.array([x[e - 1] for e in reversed(ends)])


def rounded_breaks(values, classes: int = 5, method: str = "quantiles", unit: str | None = None) -> np.ndarray:
    """Inner class limits rounded for display, so that legend labels never overlap.

    The limits of :func:`class_bounds` are rounded to the coarsest power of ten
    finer than half the narrowest class (and at least to the decimals shown
    for ``unit``); limits that collapse or leave a class empty are dropped.
    Classes are then read left-closed: ``[b(i), b(i+1))`` (see :func:`display_classes`).
    """
    y = _clean(values)
    bounds = class_bounds(y, classes, method)
    if bounds.size < 3:
        return np.array([], dtype=float)
    lo, hi = float(y.min()), float(y.max())
    inner = bounds[1:-1]
    gaps = np.diff(bounds)
    gaps = gaps[gaps > 0]
    finest = -min(default_decimals(max(abs(lo), abs(hi)), unit), 3)
    step_exp = int(np.floor(np.log10(gaps.min() / 2))) if gaps.size and gaps.min() > 0 else finest
    step_exp = max(step_exp, finest)
    step = 10.0 ** step_exp
    rounded = np.unique(np.round(inner / step) * step)
    rounded = np.round(rounded, max(-step_exp, 0))
    # every class keeps at least one value: lo < b <= hi, and no empty class between two limits
    rounded = rounded[(rounded > lo) & (rounded <= hi)]
    kept: list[float] = []
    for b in rounded:
        below = y[(y >= (kept[-1] if kept else -np.inf)) & (y < b)]
        if below.size:
            kept.append(float(b))
    if kept and not (y >= kept[-1]).any():
        kept.pop()
    return np.array(kept, dtype=float)


def display_classes(values: pd.Series, breaks) -> pd.Series:
    """Class number (0 = lowest) of each value for left-closed limits ``breaks``; NaN gets <NA>."""
    values = values.astype("float64")
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    known = values.notna()
    out[known] = np.searchsorted(np.asarray(breaks, dtype=float), values[known].to_numpy(), side="right")
    return out


def display_labels(breaks, unit: str | None = None, *, single=None) -> list[str]:
    """« moins de 1 000 », « de 1 000 à moins de 2 000 », « 2 000 ou plus » (lowest first).

    With no limit (one class), the label is the range of the values given as ``single``
    (``(lo, hi)``): « 243 » or « de 243 à 5 125 ».
    """
    suffix = f"{UNIT_SPACE}{unit}" if unit else ""
    breaks = np.asarray(breaks, dtype=float)
    if breaks.size == 0:
        if single is None:
            return []
        lo, hi = single
        decimals = default_decimals(max(abs(lo), abs(hi)), unit)
        a, b = format_number(lo, decimals=decimals), format_number(hi, decimals=decimals)
        return [f"{a}{suffix}" if a == b else f"de {a} à {b}{suffix}"]
    decimals = _break_decimals(breaks)
    text = [format_number(b, decimals=decimals) for b in breaks]
    labels = [f"moins de {text[0]}{suffix}"]
    labels += [f"de {text[i]} à moins de {text[i + 1]}{suffix}" for i in range(len(text) - 1)]
    labels.append(f"{text[-1]}{suffix} ou plus")
    return labels


def _break_decimals(breaks: np.ndarray) -> int:
    for decimals in range(4):
        if np.allclose(breaks, np.round(breaks, decimals), atol=1e-9):
            return decimals
    return 3
