"""French number formatting shared by figures and report text.

Elected officials read "12 345,6 %" (comma decimal, space thousands, a space
before the unit). Python's format mini-language only knows the English
convention, so we format in English and swap the separators. The spaces are
no-break spaces so that a number never wraps across two lines in HTML or in a
figure: ``THOUSANDS`` between digit groups, ``UNIT_SPACE`` before the unit
(both U+00A0 here; INSEE typesets thousands with a narrow U+202F, which some
fonts lack: change ``THOUSANDS`` alone if wanted).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral, Real

NBSP = "\u00a0"
THOUSANDS = NBSP
UNIT_SPACE = NBSP
MISSING_TEXT = "n.d."


def default_decimals(value: float, unit: str | None = None) -> int:
    """Decimals shown when the caller gives none.

    Rates in % keep one decimal; euros none above 100; other values get fewer
    decimals as they grow (a census count of 1 234,56 reads as 1 235).
    Integers (Python or numpy) are shown without decimals.
    """
    magnitude = abs(value)
    if unit == "%" or unit == "‰":
        return 1
    if unit == "€":
        return 0 if magnitude >= 100 else 2
    if magnitude >= 100:
        return 0
    if magnitude >= 1:
        return 1
    return 2


def format_number(
    value: Real | None,
    unit: str | None = None,
    *,
    decimals: int | None = None,
    signed: bool = False,
    missing: str = MISSING_TEXT,
) -> str:
    """Format ``value`` the French way: ``format_number(12345.678, "€") == "12 346 €"``.

    Parameters
    ----------
    value : number or None
        NaN/None/pd.NA give ``missing`` (a missing value is never shown as 0).
    unit : str, optional
        Appended after a no-break space ("%", "€", "habitants"...).
    decimals : int, optional
        Fixed number of decimals; by default chosen by :func:`default_decimals`.
    signed : bool
        Prefix positive values with "+" (evolutions, differences).
    missing : str
        Text for a missing value.

    Rounding is for display only (half up, as readers expect: 14,25 -> 14,3);
    compute on the full-precision values.
    """
    if value is None or _is_missing(value):
        return missing
    if not isinstance(value, Real):
        raise TypeError(f"format_number attend un nombre, reçu {value!r}")
    if decimals is None:
        decimals = 0 if isinstance(value, Integral) else default_decimals(value, unit)
    value = float(value)
    if math.isinf(value):
        raise ValueError("format_number : valeur infinie (division par zéro en amont ?)")
    rounded = _round_half_up(abs(value), decimals)
    text = f"{rounded:,.{decimals}f}".replace(",", THOUSANDS).replace(".", ",")
    # A value that rounds to zero is shown without a sign ("0,0", not "-0,0").
    is_zero = rounded == 0
    if value < 0 and not is_zero:
        text = "-" + text
    elif signed and value > 0 and not is_zero:
        text = "+" + text
    if unit:
        text = f"{text}{UNIT_SPACE}{unit}"
    return text


def _round_half_up(value: float, decimals: int) -> Decimal:
    """Round as people do (12,35 -> 12,4; 14,25 -> 14,3), not to even like ``format``.

    ``repr`` gives the shortest decimal that reads back as the same float, so
    12.35 (stored as 12.3499…) is rounded as the 12.35 the reader sees.
    """
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _is_missing(value) -> bool:
    """True for NaN, pd.NA and friends without importing pandas."""
    try:
        return bool(value != value)
    except TypeError:  # pd.NA refuses bool()
        return True
