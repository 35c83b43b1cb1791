"""Read a column of text cells as numbers, deciding its conventions from the column itself.

French files write ``1 234,5`` (space, no-break space U+00A0 or narrow no-break space U+202F
between thousands, comma before decimals); others ``1,234.5``; INSEE's own CSV files
``1234.5`` or ``1234,5`` depending on the base. A cell alone cannot always tell: ``5,125``
is five thousand one hundred and twenty-five in a column that writes its decimals with a
point, and five point one two five in a column that writes them with a comma. So the
conventions are decided once per column, from its unambiguous cells:

- a decimal mark is proven by a cell where it cannot be a thousands separator: not exactly
  three digits after it (``49,0``, ``57.0641``), more than three digits or a leading zero
  before it (``12345,678``, ``0,125``), or an exponent (``1.5e3``);
- a thousands separator is proven by a cell where it cannot be a decimal mark: written
  twice (``1,234,567``), or followed by the other mark (``1,234.5`` / ``1.234,5``);
  spaces (U+0020, U+00A0, U+202F) are always thousands separators, and must group digits
  by three (``12 34`` is not a number);
- a cell with one mark, one to three digits before it (no leading zero) and exactly three
  after it (``5,125``, ``5.125``) is ambiguous. It is read with the column's proven
  convention; when the column proves none (every other cell is an integer, or every cell
  looks like ``3,540`` as FiLoSoFi's S80/S20 ratios), with the convention the file's other
  columns prove, if they all agree (FiLoSoFi files write every decimal with a comma);
  else with the convention declared for the file (catalog ``decimal``); else the file is
  refused rather than guessed (« 5,125 » among integers in the comparateur, whose other
  columns write decimals with a point here and a comma there);
- a column that proves both marks as decimal (``49,0`` and ``1.5``), or one mark both as
  decimal and as thousands separator, mixes conventions: refused.

Cells that are secret markers (« s », « nd », empty…) are missing values, never zeros. A
column whose cells are mostly numbers but some are text (« 5125 hab ») is reported, not
turned into a text column: the caller refuses it unless the column is declared as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Cell values INSEE and the CAF use for "secret", "not available", "not significant".
SECRET_MARKERS = frozenset({"", "s", "nd", "n.d.", "nc", "ns", "n.s.", "so", "/", "-", "x", "secret", "na", "nan"})

#: Characters used as thousands separators between groups of three digits.
SPACES = " \u00a0\u202f"
_S = "[ \u00a0\u202f]"
_SIGN = r"[+-]?"

_INTEGER = re.compile(rf"{_SIGN}\d+")
_SPACE_GROUPED = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}(?:{_S}\d{{3}})+(?:[.,]\d+)?")
_EXPONENT = re.compile(rf"{_SIGN}(?:\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+")


def _one_mark(mark: str) -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    m = re.escape(mark)
    ambiguous = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}{m}\d{{3}}")
    decimal = re.compile(rf"{_SIGN}(?:\d*{m}\d+|\d+{m})")          # ambiguous cells excluded by the caller
    thousands = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}(?:{m}\d{{3}}){{2,}}")
    return ambiguous, decimal, thousands


_COMMA = _one_mark(",")
_POINT = _one_mark(".")
_COMMA_THEN_POINT = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}(?:,\d{{3}})+\.\d+")   # 1,234.5
_POINT_THEN_COMMA = re.compile(rf"{_SIGN}[1-9]\d{{0,2}}(?:\.\d{{3}})+,\d+")   # 1.234,5

_NAMES = {",": "virgule", ".": "point"}


@dataclass(frozen=True)
class NumberProblem:
    """Why a column cannot be read as numbers: ``kind`` is ``text`` (cells that are no
    number, listed in ``examples``), ``ambiguous`` (cells readable two ways) or ``mixed``
    (two conventions in one column). ``examples`` holds (row position, cell) pairs."""

    kind: str
    examples: tuple[tuple[int, str], ...]
    numbers: int = 0          # cells that are numbers
    detail: str = ""
    count: int = 0            # cells at fault (``examples`` keeps the first 20)

    def sentence(self, column: str, first_line: int = 2) -> str:
        """French explanation naming the column, the file lines (row 0 = ``first_line``) and values."""
        shown = ", ".join(f"ligne {first_line + row} : « {cell} »" for row, cell in self.examples[:3])
        extra = max(self.count, len(self.examples)) - 3
        more = f" (et {extra} autre(s))" if extra > 0 else ""
        if self.kind == "text":
            return (f"colonne « {column} » : {max(self.count, len(self.examples))} cellule(s) qui ne sont pas des nombres "
                    f"({shown}{more}) parmi {self.numbers} nombres ; corrigez ces cellules (une cellule secrète "
                    "s'écrit vide ou « s ») ou reprenez le fichier d'origine")
        if self.kind == "ambiguous":
            return (f"colonne « {column} » : {shown}{more} se lit de deux façons ({self.detail}) et ni les autres "
                    "cellules de la colonne ni les autres colonnes du fichier ne disent si la virgule ou le point y "
                    "marque les décimales ; écrivez ces nombres sans séparateur de milliers (ou avec des espaces), "
                    "ou reprenez le fichier d'origine")
        return f"colonne « {column} » : conventions mêlées ({self.detail}) ; reprenez le fichier d'origine"


@dataclass(frozen=True)
class ParsedNumbers:
    """A column read as numbers (``values``), or the reason it cannot be (``problem``);
    ``proven`` is the decimal mark the column's own cells prove (None if they prove none)."""

    values: pd.Series | None
    problem: NumberProblem | None = None
    proven: str | None = None


def _examples(cells: pd.Series, mask: pd.Series, limit: int = 20) -> tuple[tuple[int, str], ...]:
    positions = np.flatnonzero(mask.to_numpy())
    return tuple((int(p), str(cells.iloc[p])) for p in positions[:limit])


def parse_numbers(values: pd.Series, decimal: str | None = None) -> ParsedNumbers:
    """Read a column of text cells as float64 (secret cells NaN), or say why not.

    ``decimal`` is the decimal mark of the file ("," or ".": proven by its other columns, or
    declared), used only to read cells the column itself leaves ambiguous. A column with no number at all is returned with
    ``values`` None and no problem: it is a text column.
    """
    cells = values.astype(str).str.strip()
    secret = cells.str.lower().isin(SECRET_MARKERS)
    filled = ~secret
    if not filled.any():
        return ParsedNumbers(pd.Series(np.nan, index=values.index, dtype="float64"))

    def match(pattern: re.Pattern) -> pd.Series:
        return cells.str.fullmatch(pattern.pattern) & filled

    integer = match(_INTEGER)
    rest = filled & ~integer
    if not rest.any():  # the common case: integers and secrets only
        return ParsedNumbers(pd.to_numeric(cells.where(filled, None), errors="raise").astype("float64"))

    spaced = match(_SPACE_GROUPED) & cells.str.contains(_S, regex=True)
    exponent = match(_EXPONENT)
    comma_point, point_comma = match(_COMMA_THEN_POINT), match(_POINT_THEN_COMMA)
    amb_c, dec_c, thou_c = (match(p) for p in _COMMA)
    amb_p, dec_p, thou_p = (match(p) for p in _POINT)
    dec_c &= ~amb_c
    dec_p &= ~amb_p
    valid = integer | spaced | exponent | comma_point | point_comma | amb_c | dec_c | thou_c | amb_p | dec_p | thou_p
    invalid = filled & ~valid
    if invalid.any():
        return ParsedNumbers(None, NumberProblem("text", _examples(cells, invalid), numbers=int(valid.sum()),
                                                 count=int(invalid.sum())))

    proof = {
        ("decimal", ","): dec_c | point_comma | (spaced & cells.str.contains(",", regex=False)),
        ("decimal", "."): dec_p | exponent | comma_point | (spaced & cells.str.contains(".", regex=False)),
        ("thousands", ","): thou_c | comma_point,
        ("thousands", "."): thou_p | point_comma,
    }
    seen = {key for key, mask in proof.items() if mask.any()}

    def clash(a, b) -> NumberProblem:
        first, second = proof[a], proof[b]
        example = _examples(cells, first, 1) + _examples(cells, second, 1)
        words = {"decimal": "décimales", "thousands": "milliers"}
        detail = (f"{_NAMES[a[1]]} des {words[a[0]]} ligne {example[0][0] + 2} : « {example[0][1]} », "
                  f"{_NAMES[b[1]]} des {words[b[0]]} ligne {example[1][0] + 2} : « {example[1][1]} »")
        return NumberProblem("mixed", example, detail=detail)

    for a, b in ((("decimal", ","), ("decimal", ".")), (("decimal", ","), ("thousands", ",")),
                 (("decimal", "."), ("thousands", "."))):
        if a in seen and b in seen:
            return ParsedNumbers(None, clash(a, b))
    if ("decimal", ",") in seen or ("thousands", ".") in seen:
        mark = proven = ","
    elif ("decimal", ".") in seen or ("thousands", ",") in seen:
        mark = proven = "."
    else:
        mark, proven = (decimal if decimal in (",", ".") else None), None
    ambiguous = amb_c | amb_p
    if mark is None and ambiguous.any():
        example = _examples(cells, ambiguous)
        cell = example[0][1]
        sign = "-" if cell.startswith("-") else ""
        digits = cell.lstrip("+-").replace(",", "").replace(".", "")
        as_decimal = cell.lstrip("+-").replace(".", ",")
        detail = f"{sign}{int(digits):,}".replace(",", " ") + f" ou {sign}{as_decimal}"
        return ParsedNumbers(None, NumberProblem("ambiguous", example, detail=detail, count=int(ambiguous.sum())))
    text = cells.str.replace(_S, "", regex=True)
    if mark == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return ParsedNumbers(pd.to_numeric(text.where(filled, None), errors="raise").astype("float64"), proven=proven)
