"""Fuzzing the import with real extracts: whatever is done to a file, the store never gets worse.

Each example takes a real file of ../shared/data, damages it one way (truncated at a random
byte, a column dropped, separators swapped, text in a numeric cell, a row duplicated with or
without a change, a code changed to one that is no commune, or malformed, or another row's),
and imports it twice: into a data folder that already holds the clean table, and into an empty
one. Each import must either be refused with a French message, leaving the folder byte for byte
as it was, or store values equal to the clean file's (for the codes and columns it has), and,
where the clean table was there, keep every one of its rows.

Bounded (``max_examples``) so that the whole file runs in well under a minute.
"""

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abs_lib.sources.importing import import_files
from abs_lib.sources.numbers import SECRET_MARKERS
from abs_lib.sources.store import Store

FILES = {
    # name the file must keep (it tells the level), path in ../shared/data, code column
    "comparateur": ("base_cc_comparateur_dep21.csv", "insee_dossier_complet/base_cc_comparateur_dep21.csv", "CODGEO"),
    "filosofi": ("FILO2019_DISP_COM_dep21.csv", "filosofi/FILO2019_DISP_COM_dep21.csv", "CODGEO"),
    "iris": ("evol_struc_pop_21.csv", "rp_iris/evol_struc_pop_21.csv", "IRIS"),
}
FRENCH = re.compile(r"(Fichier|Ligne|Dernière ligne|Le fichier|Nombres illisibles|Colonne|Impossible|Séparateur)\b")


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()} if root.exists() else {}


@pytest.fixture(scope="module")
def clean(shared_data, tmp_path_factory):
    """For each file: its bytes, a data folder holding its clean import, and the clean table."""
    out = {}
    for kind, (name, rel, code) in FILES.items():
        root = tmp_path_factory.mktemp(f"clean-{kind}")
        (result,) = import_files([shared_data / rel], Store(root))
        assert result.ok, result.error
        entry = result.entry
        table = Store(root).read(entry)
        out[kind] = dict(name=name, raw=(shared_data / rel).read_bytes(), root=root, code=code,
                         key=(entry.dataset, entry.vintage, entry.level), table=table)
    return out


# ------------------------------------------------------------------ mutations of the raw text
def _split(raw: bytes):
    """(prefix BOM, lines without their ending, line ending) of a real file (';', no quotes)."""
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    text = raw[len(bom):].decode("utf-8")
    ending = "\r\n" if "\r\n" in text else "\n"
    return bom, text.split(ending)[:-1], ending


def _join(bom: bytes, lines: list[str], ending: str) -> bytes:
    return bom + (ending.join(lines) + ending).encode("utf-8")


class Mutated(bytes):
    """The damaged file's bytes, shown briefly when an example fails."""

    def __new__(cls, content: bytes, how: str):
        self = super().__new__(cls, content)
        self.how = how
        return self

    def __repr__(self) -> str:
        return f"<{self.how}, {len(self)} octets>"


def _numeric_cells(data: dict) -> list[str]:
    return [c for c in data["table"].columns if pd.api.types.is_float_dtype(data["table"][c].dtype)]


@st.composite
def mutation(draw, data: dict):
    raw = data["raw"]
    bom, lines, ending = _split(raw)
    header = lines[0].split(";")
    rows = len(lines) - 1
    kind = draw(st.sampled_from(["truncate", "drop_column", "field_separator", "decimal_marks", "text_in_number",
                                 "duplicate", "duplicate_changed", "code_unknown", "code_malformed", "code_other_row"]))
    row = draw(st.integers(1, rows))
    fields = lines[row].split(";")
    if kind == "truncate":
        at = draw(st.integers(1, len(raw) - 1))
        return kind, Mutated(raw[:at], f"coupé à l'octet {at}")
    if kind == "drop_column":
        i = draw(st.integers(0, len(header) - 1))
        return kind, Mutated(_join(bom, [";".join(f for j, f in enumerate(line.split(";")) if j != i)
                                         for line in lines], ending), f"sans la colonne {header[i]}")
    if kind == "field_separator":
        new = draw(st.sampled_from([",", "\t", "|"]))
        return kind, Mutated(_join(bom, [line.replace(";", new) for line in lines], ending), f"séparateur {new!r}")
    if kind == "decimal_marks":
        swap = str.maketrans({",": ".", ".": ","})
        return kind, Mutated(_join(bom, lines[:1] + [line.translate(swap) for line in lines[1:]], ending),
                             "virgules et points échangés")
    if kind == "text_in_number":
        column = draw(st.sampled_from(_numeric_cells(data)))
        text = draw(st.from_regex(r"[0-9]{0,4} ?[a-zA-Zéè]{2,6}", fullmatch=True)
                    .filter(lambda t: t.strip().lower() not in SECRET_MARKERS))
        fields[header.index(column)] = text
        lines[row] = ";".join(fields)
        return kind, Mutated(_join(bom, lines, ending), f"ligne {row + 1}, {column} = {text!r}")
    if kind == "duplicate":
        return kind, Mutated(_join(bom, lines + [lines[row]], ending), f"ligne {row + 1} en double")
    if kind == "duplicate_changed":
        column = draw(st.sampled_from(_numeric_cells(data)))
        i = header.index(column)
        changed = list(fields)
        changed[i] = str(draw(st.integers(0, 10**6)))
        if changed[i] == fields[i].strip():
            changed[i] += "1"
        return kind, Mutated(_join(bom, lines + [";".join(changed)], ending),
                             f"ligne {row + 1} en double avec {column} = {changed[i]}")
    i = header.index(data["code"])
    code = fields[i]
    if kind == "code_unknown":            # in the file's département, beyond its last commune
        fields[i] = code[:2] + str(draw(st.integers(800, 999))) + code[5:]
    elif kind == "code_malformed":
        fields[i] = draw(st.sampled_from([code[:-1] + "X", code + "0", code[:3], "", "ABCDE", code[:2] + "-" + code[3:]]))
    else:
        fields[i] = lines[draw(st.integers(1, rows).filter(lambda r: r != row))].split(";")[i]
    lines[row] = ";".join(fields)
    return kind, Mutated(_join(bom, lines, ending), f"ligne {row + 1}, code {code} -> {fields[i]!r}")


# ------------------------------------------------------------------ the property
def _equal_to_clean(stored: pd.DataFrame, clean: pd.DataFrame, code: str) -> None:
    """Every stored value is the clean file's, for the codes and columns the stored table has."""
    assert set(stored.columns) <= set(clean.columns)
    assert stored[code].is_unique
    assert set(stored[code]) <= set(clean[code])
    ours = stored.set_index(code)
    theirs = clean.set_index(code).loc[ours.index, list(ours.columns)]
    for column in ours.columns:
        a, b = ours[column], theirs[column]
        if pd.api.types.is_float_dtype(b.dtype):
            assert pd.api.types.is_float_dtype(a.dtype), column
            same = (a.to_numpy() == b.to_numpy()) | (np.isnan(a.to_numpy()) & np.isnan(b.to_numpy()))
        else:
            same = (a.astype("string").fillna("<NA>") == b.astype("string").fillna("<NA>")).to_numpy()
        assert same.all(), (column, list(ours.index[~same][:3]))


def _import(data: dict, content: bytes, root: Path, folder: Path):
    path = folder / data["name"]
    path.write_bytes(content)
    before = snapshot(root)
    (result,) = import_files([path], Store(root))
    if result.ok:
        store = Store(root)
        stored = store.load(*data["key"])
        _equal_to_clean(stored, data["table"], data["code"])
        return result, stored
    assert result.error and FRENCH.search(result.error) and "Traceback" not in result.error, result.error
    assert snapshot(root) == before, result.error
    return result, None


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_damaged_real_file_is_refused_or_stored_as_the_clean_one(clean, kind):
    data = clean[kind]

    @settings(max_examples=24, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutation(data))
    def check(mutated):
        name, content = mutated
        with tempfile.TemporaryDirectory(prefix="abs-fuzz-") as tmp:
            tmp = Path(tmp)
            (tmp / "in").mkdir()
            # 1. the clean table is there: refused and untouched, or kept whole with equal values
            filled = tmp / "filled"
            shutil.copytree(data["root"], filled)
            result, stored = _import(data, content, filled, tmp / "in")
            if stored is not None:
                assert set(stored[data["code"]]) == set(data["table"][data["code"]]), name
            # 2. nothing is there: refused and nothing written, or values equal to the clean file's
            result, stored = _import(data, content, tmp / "empty", tmp / "in")
            if name in ("text_in_number", "duplicate_changed", "code_unknown", "code_other_row"):
                assert stored is None, (name, result.notes)

    check()
