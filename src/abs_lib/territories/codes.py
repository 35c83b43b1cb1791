"""Territory levels and codes: French labels, INSEE geo syntax, codes that became numbers.

INSEE codes are strings (leading zeros, Corsica's 2A/2B, 9-digit SIREN). Tools
often turn them into numbers: ``papermill -p territory 01001`` passes the int
``1001``, a spreadsheet turns ``01`` into ``1``. :func:`normalize_code` puts them
back, following the rules written in its docstring.
"""

from __future__ import annotations

import math
import numbers
import re

from abs_lib.errors import AbsError, InvalidCodeError, TerritoryNotFoundError, echo

LEVELS = ("commune", "epci", "departement", "region", "metropole", "france")
"""Levels a territory can have (the contract's levels, without ``iris``)."""

LEVEL_LABELS = {
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "region": "région",
    "metropole": "France métropolitaine",
    "france": "France",
}

# INSEE geo syntax, as in insee.fr URLs (…/statistiques/2011101?geo=EPCI-200000925).
GEO_PREFIXES = {
    "COM": "commune",
    "EPCI": "epci",
    "DEP": "departement",
    "REG": "region",
    "METRO": "metropole",
    "FE": "france",
    "FRANCE": "france",
}
LEVEL_PREFIX = {
    "commune": "COM",
    "epci": "EPCI",
    "departement": "DEP",
    "region": "REG",
    "metropole": "METRO",
    "france": "FE",
}
METROPOLE_CODE = "METRO"
FRANCE_CODE = "FRANCE"  # as abs_lib.indicators.geography; INSEE geo syntax: FE-1

_LEVEL_ALIASES = {
    "commune": "commune",
    "communes": "commune",
    "com": "commune",
    "epci": "epci",
    "interco": "epci",
    "intercommunalite": "epci",
    "intercommunalité": "epci",
    "departement": "departement",
    "département": "departement",
    "dep": "departement",
    "region": "region",
    "région": "region",
    "reg": "region",
    "metropole": "metropole",
    "métropole": "metropole",
    "metro": "metropole",
    "france_metropolitaine": "metropole",
    "france": "france",
    "fe": "france",
}
_GEO_SYNTAX = re.compile(r"^(COM|EPCI|DEP|REG|METRO|FE|FRANCE)-([0-9A-Z]+)$")
_CORSICA = re.compile(r"^2[AB](\d{3})?$")


def normalize_level(level: str | None) -> str | None:
    """Accept French spellings (``département``, ``région``…) and return the contract's level."""
    if level is None:
        return None
    key = str(level).strip().lower().replace(" ", "_").replace("-", "_")
    if key not in _LEVEL_ALIASES:
        raise AbsError(f"Niveau inconnu : « {echo(level)} ». Niveaux possibles : {', '.join(LEVELS)}.")
    return _LEVEL_ALIASES[key]


def _level_mismatch(value, found: str, asked: str) -> AbsError:
    return AbsError(
        f"« {value} » est un code de niveau « {LEVEL_LABELS[found]} », pas "
        f"« {LEVEL_LABELS[asked]} » : retirez le niveau demandé ou donnez un code de ce niveau."
    )


def _digits_of(value) -> str | None:
    """Digits of an int-like value (``1001``, ``1001.0``, ``"1001"``), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return str(int(value)) if value >= 0 else None
    if isinstance(value, numbers.Real):
        if math.isnan(value) or value < 0 or value != int(value):
            return None
        return str(int(value))
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return text
    if re.fullmatch(r"\d+\.0+", text):  # "1001.0" from a float column written as text
        return text.split(".")[0]
    return None


def _pad_for(digits: str, level: str) -> str | None:
    width = {"commune": 5, "epci": 9, "region": 2}.get(level)
    if level == "departement":
        width = 3 if len(digits) == 3 else 2
    if width is None or len(digits) > width:
        return None
    return digits.zfill(width)


def parse_code(value, level: str | None = None) -> tuple[str, str] | None:
    """Return ``(level, code)`` if ``value`` looks like a code, None if it looks like a name.

    Raises :class:`TerritoryNotFoundError` for something code-like that fits no level
    (e.g. a 12-digit number). See :func:`normalize_code` for the rules.
    """
    level = normalize_level(level)
    if value is None:
        return None
    text = str(value).strip().upper()
    match = _GEO_SYNTAX.match(text)
    if match:
        prefix, rest = match.groups()
        geo_level = GEO_PREFIXES[prefix]
        if level is not None and level != geo_level:
            raise _level_mismatch(value, geo_level, level)
        if geo_level in ("metropole", "france"):
            return geo_level, METROPOLE_CODE if geo_level == "metropole" else FRANCE_CODE
        code = _pad_for(rest, geo_level) if rest.isdigit() else rest
        if code is None:
            raise TerritoryNotFoundError(value)
        return geo_level, code
    if text in (METROPOLE_CODE, FRANCE_CODE, "FE") and level in (None, "metropole", "france"):
        return ("metropole", METROPOLE_CODE) if text == METROPOLE_CODE else ("france", FRANCE_CODE)
    if _CORSICA.match(text):
        found = "departement" if len(text) == 2 else "commune"
        if level is not None and level != found:
            raise _level_mismatch(value, found, level)
        return found, text
    digits = _digits_of(value)
    if digits is None:
        return None
    if level is not None:
        code = _pad_for(digits, level)
        if code is None and level in ("commune", "epci", "departement", "region"):
            raise InvalidCodeError(value, f"{len(digits)} chiffres, trop pour un code de {LEVEL_LABELS[level]}")
        if code is None:
            raise TerritoryNotFoundError(value)
        return level, code
    n = len(digits)
    if n <= 2:
        return "departement", digits.zfill(2)
    if n == 3 and digits.startswith("97"):
        return "departement", digits
    if n <= 5:
        return "commune", digits.zfill(5)
    if n == 9:
        return "epci", digits
    # 6 to 8 digits fit no level: no EPCI SIREN lost its zeros (they start with 2), and
    # "021292" is a mistyped commune code far more often than an EPCI.
    raise InvalidCodeError(value, f"{n} chiffres")


def normalize_code(value, level: str | None = None) -> str:
    """Return the INSEE code (a string) for ``value``, repairing codes that became numbers.

    Rules, ``level`` not given:

    - INSEE geo syntax as in insee.fr URLs: ``COM-21231``, ``EPCI-200000925``,
      ``DEP-21``, ``REG-27`` -> the code after the dash; ``METRO-1`` (or ``METRO``) ->
      ``"METRO"``, ``FE-1`` (or ``FE``, ``FRANCE``) -> ``"FRANCE"``.
    - Corsica: ``2A``/``2B`` (département), ``2A004`` (commune), any case.
    - Digits (int, integral float, or text of digits): 1-2 digits -> département,
      zero-padded to 2 (``1`` -> ``"01"``); 3 digits starting with 97 -> overseas
      département; 3-5 digits -> commune, zero-padded to 5 (``1001`` -> ``"01001"``);
      9 digits -> EPCI SIREN. 6 to 8 digits, or more than 9, are no code
      (:class:`~abs_lib.errors.InvalidCodeError`, which says what codes look like):
      ``"021292"`` is not read as EPCI ``000021292``.
    - A bare 2-digit code is a département, never a région, unless ``level="region"``.

    With ``level`` given, digits are zero-padded to that level's width (commune 5,
    EPCI 9, département 2 or 3, région 2): use it for fictional codes such as EPCI
    ``"000000001"`` passed as the int ``1``.

    Raises :class:`TerritoryNotFoundError` when the value is not a code.
    """
    parsed = parse_code(value, level)
    if parsed is None:
        raise TerritoryNotFoundError(value)
    return parsed[1]
