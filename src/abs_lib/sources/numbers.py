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

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Cell values INSEE and the CAF use for "secret", "not available", "not significant".
SECRET_MARKERS = frozenset({"", "s", "nd", "n.d.", "nc", "ns", "n.s.", "so", "/", "-", "x", "secret", "na", "nan"})

#: Characters used as thousands separators between groups of three digits.
SPACES = " \u00a0\u202f"
_S = "[ \u00a0\u202f]"
_SIGN = "[+-]?"
_D = "[0-9]"                # not \d: RE2 (pyarrow) reads it as ASCII digits, which is what is meant

_INTEGER = f"{_SIGN}{_D}+"
_SPACE_GROUPED = f"{_SIGN}[1-9]{_D}{{0,2}}(?:{_S}{_D}{{3}})+(?:[.,]{_D}+)?"
_EXPONENT = f"{_SIGN}(?:{_D}+(?:\\.{_D}*)?|\\.{_D}+)[eE][+-]?{_D}+"


def _one_mark(mark: str) -> tuple[str, str, str]:
    m = "\\" + mark if mark == "." else mark
    single = f"{_SIGN}(?:{_D}*{m}{_D}+|{_D}+{m})"                     # one mark, decimal or ambiguous
    ambiguous = f"{_SIGN}[1-9]{_D}{{0,2}}{m}{_D}{{3}}"
    thousands = f"{_SIGN}[1-9]{_D}{{0,2}}(?:{m}{_D}{{3}}){{2,}}"
    return single, ambiguous, thousands


_COMMA = _one_mark(",")
_POINT = _one_mark(".")
_COMMA_THEN_POINT = f"{_SIGN}[1-9]{_D}{{0,2}}(?:,{_D}{{3}})+\\.{_D}+"   # 1,234.5
_POINT_THEN_COMMA = f"{_SIGN}[1-9]{_D}{{0,2}}(?:\\.{_D}{{3}})+,{_D}+"   # 1.234,5

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


def _examples(cells: np.ndarray, mask: np.ndarray, limit: int = 20) -> tuple[tuple[int, str], ...]:
    positions = np.flatnonzero(mask)
    return tuple((int(p), str(cells[p])) for p in positions[:limit])


def _fullmatch(array: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(array, pattern=f"^(?:{pattern})$").to_numpy(zero_copy_only=False)


def parse_numbers(values: pd.Series, decimal: str | None = None) -> ParsedNumbers:
    """Read a column of text cells as float64 (secret cells NaN), or say why not.

    ``decimal`` is the decimal mark of the file ("," or ".": proven by its other columns, or
    declared), used only to read cells the column itself leaves ambiguous. A column with no
    number at all is returned with ``values`` None and no problem: it is a text column.
    """
    index = values.index
    cells = np.array([str(v).strip() if v is not None and not (isinstance(v, float) and np.isnan(v)) else ""
                      for v in values.to_numpy(dtype=object)], dtype=object)
    array = pa.array(cells, type=pa.string())
    secret = pc.is_in(pc.utf8_lower(array), value_set=pa.array(sorted(SECRET_MARKERS))).to_numpy(zero_copy_only=False)
    filled = ~secret
    if not filled.any():
        return ParsedNumbers(pd.Series(np.nan, index=index, dtype="float64"))

    def numbers(text: np.ndarray) -> pd.Series:
        text = np.where(filled, text, None)
        return pd.Series(pd.to_numeric(pd.Series(text, index=index, dtype=object), errors="raise"),
                         index=index).astype("float64")

    integer = _fullmatch(array, _INTEGER) & filled
    rest = filled & ~integer
    if not rest.any():  # the common case: integers and secrets only
        return ParsedNumbers(numbers(cells))

    # Each cell not yet classified is tried against the next shape only (most columns stop early).
    positions = np.flatnonzero(rest)
    sub = array.take(pa.array(positions))
    masks = {}
    left = np.ones(len(positions), dtype=bool)
    for name, pattern in (("dec_p", _POINT[0]), ("dec_c", _COMMA[0]), ("spaced", _SPACE_GROUPED),
                          ("exponent", _EXPONENT), ("thou_c", _COMMA[2]), ("thou_p", _POINT[2]),
                          ("comma_point", _COMMA_THEN_POINT), ("point_comma", _POINT_THEN_COMMA)):
        found = np.zeros(len(positions), dtype=bool)
        if left.any():
            idx = np.flatnonzero(left)
            found[idx] = _fullmatch(sub.take(pa.array(idx)), pattern)
            left &= ~found
        full = np.zeros(len(cells), dtype=bool)
        full[positions] = found
        masks[name] = full
    if left.any():
        invalid = np.zeros(len(cells), dtype=bool)
        invalid[positions[left]] = True
        return ParsedNumbers(None, NumberProblem("text", _examples(cells, invalid), numbers=int(filled.sum() - left.sum()),
                                                 count=int(left.sum())))

    def ambiguous_among(mask: np.ndarray, pattern: str) -> np.ndarray:
        out = np.zeros(len(cells), dtype=bool)
        idx = np.flatnonzero(mask)
        if len(idx):
            out[idx] = _fullmatch(array.take(pa.array(idx)), pattern)
        return out

    amb_p = ambiguous_among(masks["dec_p"], _POINT[1])
    amb_c = ambiguous_among(masks["dec_c"], _COMMA[1])
    spaced = masks["spaced"]
    has_comma = np.char.find(cells.astype(str), ",") >= 0
    has_point = np.char.find(cells.astype(str), ".") >= 0
    proof = {
        ("decimal", ","): (masks["dec_c"] & ~amb_c) | masks["point_comma"] | (spaced & has_comma),
        ("decimal", "."): (masks["dec_p"] & ~amb_p) | masks["exponent"] | masks["comma_point"] | (spaced & has_point),
        ("thousands", ","): masks["thou_c"] | masks["comma_point"],
        ("thousands", "."): masks["thou_p"] | masks["point_comma"],
    }
    seen = {key for key, mask in proof.items() if mask.any()}

    def clash(a, b) -> NumberProblem:
        example = _examples(cells, proof[a], 1) + _examples(cells, proof[b], 1)
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
    text = pd.Series(cells, dtype=object).str.replace(_S, "", regex=True)
    if mark == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    return ParsedNumbers(numbers(text.to_numpy(dtype=object)), proven=proven)
