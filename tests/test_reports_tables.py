"""The tables beside a report, on the real Côte-d'Or extracts: trimmed to the rows an analyst
uses, with a data dictionary, readable by a French Excel, within a size budget."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from abs_lib.portrait import open_portrait
from abs_lib.portrait.tables import save_study_tables
from abs_lib.reports.tables import DICTIONARY_SHEET, INDICATORS_SHEET, read_csv

TERRITORY = "200000925"
KEY = ["niveau", "code", "indicateur"]
#: Before the trimming, a CSV of every vintage × level combination made the tables weigh 7 MB on the
#: full Côte-d'Or store (36 270 rows); trimmed (CSV + XLSX + dictionary + theme tables) they weigh
#: 0.52 MB on this fixture's store, 0.67 MB on the full one: about 3 300 rows written twice (CSV, XLSX).
TABLES_BUDGET = 600_000
#: The whole folder (page and executed notebook each ~0.85 MB of images, provenance, tables): 2.24 MB.
FOLDER_BUDGET = 2_500_000


@pytest.fixture(scope="module")
def written(real_store, tmp_path_factory):
    portrait = open_portrait(TERRITORY, data_dir=real_store)
    folder = tmp_path_factory.mktemp("tableaux")
    paths = save_study_tables(portrait, folder, "diagnostic")
    return portrait, folder, {p.name: p for p in paths}


def _tidy(portrait) -> pd.DataFrame:
    t = portrait.table
    return pd.DataFrame({c: t[c].astype(str) if isinstance(t[c].dtype, pd.CategoricalDtype) else t[c]
                         for c in t.columns}).drop_duplicates()


def test_the_files_written(written):
    _, _, files = written
    assert {"diagnostic_indicateurs.csv", "diagnostic.dictionnaire.csv", "diagnostic_tableaux.xlsx",
            "diagnostic_logement.csv"} <= set(files)


def test_trimmed_indicators_keep_every_value_and_one_reason_per_missing_place(written):
    portrait, folder, _ = written
    rows = read_csv(folder / "diagnostic_indicateurs.csv", dtype={"code": str, "remarque": str})
    value, reason = rows["valeur"], rows["remarque"].fillna("")
    assert not (value.isna() & (reason == "")).any(), "a row without value nor reason"
    assert not rows.duplicated(KEY + ["millésime"]).any(), "a place, indicator and vintage written twice"
    tidy = _tidy(portrait).rename(columns={"level": "niveau", "territory": "code", "indicator": "indicateur",
                                           "vintage": "millésime"})
    # Every value of the portrait is there, equal (ten significant digits).
    known = tidy[tidy["value"].notna()]
    merged = known.merge(rows, on=KEY + ["millésime"], how="left")
    assert len(merged) == len(known) == int(value.notna().sum())
    assert np.allclose(merged["valeur"].to_numpy(float), merged["value"].to_numpy(float), rtol=1e-9)
    # A place × indicator without any value: exactly one row, with its reason.
    has = tidy.groupby(KEY)["value"].apply(lambda v: v.notna().any())
    missing = rows[value.isna()]
    assert set(map(tuple, missing[KEY].to_numpy())) == set(has[~has].index)
    assert not missing.duplicated(KEY).any()
    assert (missing["remarque"].fillna("").str.len() > 0).all()
    # The trimming is real: far fewer rows than the portrait holds.
    assert len(rows) < len(tidy) / 4


def test_dictionary_covers_every_column_and_indicator(written):
    portrait, folder, _ = written
    rows = read_csv(folder / "diagnostic_indicateurs.csv", dtype={"code": str})
    dictionary = read_csv(folder / "diagnostic.dictionnaire.csv", dtype=str).fillna("")
    columns = dictionary[dictionary["type"] == "colonne"]
    assert columns["nom"].tolist() == list(rows.columns)
    assert (columns["définition"].str.len() > 10).all()
    indicators = dictionary[dictionary["type"] == "indicateur"].set_index("nom")
    assert set(indicators.index) == set(rows["indicateur"])
    for ident, entry in indicators.iterrows():
        ind = portrait.registry[ident]
        assert entry["libellé"] == ind.label and entry["unité"] == ind.unit and entry["source"] == ind.source
        assert entry["définition"].startswith(ind.definition.strip())
        assert all(v in entry["numérateur"] for v in ind.numerator.variables)
        if ind.denominator is not None:
            assert all(v in entry["dénominateur"] for v in ind.denominator.variables)
        else:
            assert entry["dénominateur"] == ""


def test_csv_opens_in_a_french_excel(written):
    _, folder, files = written
    for name, path in files.items():
        if name.endswith(".csv"):
            raw = path.read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf"), f"{name}: no UTF-8 BOM, Excel would garble the accents"
            assert ";" in raw.splitlines()[0].decode("utf-8-sig"), f"{name}: not « ; »-separated"
    lines = (folder / "diagnostic_indicateurs.csv").read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(";")
    at = header.index("valeur")
    values = [line.split(";")[at] for line in lines[1:] if line.count(";") == len(header) - 1]
    decimals = [v for v in values if v and not v.lstrip("-").isdigit()]
    assert decimals and all("," in v and "." not in v for v in decimals), decimals[:5]


def test_workbook_indicators_then_dictionary_then_themes_codes_as_text(written):
    portrait, folder, _ = written
    book = openpyxl.load_workbook(folder / "diagnostic_tableaux.xlsx", read_only=True)
    assert book.sheetnames[:2] == [INDICATORS_SHEET, DICTIONARY_SHEET]
    assert len(book.sheetnames) == 2 + len(portrait.registry.by_theme())
    sheet = book[INDICATORS_SHEET]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    at = header.index("code")
    codes = {row[at] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert all(isinstance(code, str) for code in codes) and {"200000925", "21", "21005"} <= codes
    book.close()


def test_report_folder_within_its_size_budget(real_store, tmp_path):
    from abs_lib.reports.run import build_report

    result = build_report(TERRITORY, "diagnostic", data_dir=real_store, reports_dir=tmp_path)
    folder = result.html.parent
    sizes = {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}
    tables = sum(sizes[p.name] for p in result.tables)
    listing = "\n".join(f"{size:>10}  {name}" for name, size in sorted(sizes.items()))
    assert tables <= TABLES_BUDGET, f"tables {tables} B > {TABLES_BUDGET}:\n{listing}"
    assert sum(sizes.values()) <= FOLDER_BUDGET, f"folder {sum(sizes.values())} B > {FOLDER_BUDGET}:\n{listing}"
    assert {"diagnostic.provenance.json", "diagnostic.ipynb", "diagnostic.dictionnaire.csv"} <= set(sizes)


def test_workbook_keeps_missing_values_empty_and_codes_as_text(tmp_path):
    from abs_lib.reports.tables import write_workbook

    frame = pd.DataFrame({"code": ["01001", "2A004", "21005"], "valeur": [1.5, float("nan"), 0.0],
                          "note": ["", None, "secret"]})
    write_workbook({"Feuille": frame, "Vide": frame.iloc[:0]}, tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(tmp_path / "t.xlsx", read_only=True)
    assert book.sheetnames == ["Feuille", "Vide"]
    rows = list(book["Feuille"].iter_rows(values_only=True))
    assert rows == [("code", "valeur", "note"), ("01001", 1.5, None), ("2A004", None, None), ("21005", 0, "secret")]
    assert list(book["Vide"].iter_rows(values_only=True)) == [("code", "valeur", "note")]
    book.close()
