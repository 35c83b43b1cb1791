"""French number formatting for sentences shown to analysts ("1 234,5 %").

Thousands are separated by a narrow no-break space (U+202F), decimals by a comma, and a
no-break space (U+00A0) sits before a unit symbol, as in INSEE publications. Rounding happens
here only, for display: computations keep full precision (census counts are non-integer).
"""

from __future__ import annotations

import math

THOUSANDS = "\u202f"   # narrow no-break space
UNIT_SPACE = "\u00a0"  # no-break space before %, €, ‰


def format_number(value: float | None, decimals: int = 0) -> str:
    """``1234.56, 1 -> '1 234,6'`` (narrow no-break space); missing -> 'n.d.'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n.d."
    text = f"{float(value):,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]                      # no "-0,0"
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", THOUSANDS)
    return text


def with_suffix(text: str, suffix: str) -> str:
    """Attach a unit suffix such as ' %' or ' €' with a no-break space."""
    if not suffix:
        return text
    return text + suffix.replace(" ", UNIT_SPACE, 1) if suffix.startswith(" ") else text + suffix
