"""`abs indicators` and `abs demo` from the command line."""

import io

import pandas as pd

from abs_lib.cli import main
from abs_lib.sources.importing import import_files
from abs_lib.sources.store import Store


def test_indicators_csv_on_the_real_extracts(shared_data, tmp_path, capsys):
    files = sorted((shared_data / "filosofi").glob("*.csv")) + sorted((shared_data / "insee_dossier_complet").glob("*.csv"))
    assert all(r.ok for r in import_files(files, Store(tmp_path)))
    assert main(["indicators", "200000925", "--format", "csv", "--data-dir", str(tmp_path)]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"territory": str})
    assert {"territory", "level", "indicator", "vintage", "value", "numerator", "denominator", "unit",
            "source", "flags"} <= set(table.columns)
    epci = table[(table["level"] == "epci") & (table["territory"] == "200000925")]
    median = epci[(epci["indicator"] == "revenu_median") & (epci["vintage"] == 2019)]["value"].item()
    filo = pd.read_csv(shared_data / "filosofi" / "FILO2019_DISP_EPCI.csv", sep=";", dtype=str, encoding="utf-8-sig")
    assert median == float(filo.set_index("CODGEO").loc["200000925", "Q219"])
    assert {"departement"} <= set(table["level"]) and "21" in set(table.loc[table["level"] == "departement", "territory"])
    missing = table[table["value"].isna()]
    # listed with their reason, not dropped: no source, no column, secret cell, commune absent from the file
    assert missing["flags"].str.contains("non importé|variable absente|secret|hors champ du fichier|non publié|non comparable|dénominateur nul").all()
    assert (epci.loc[epci["indicator"] == "taux_pauvrete", "flags"].str.contains("non importé: filosofi-pauvrete")).all()
    # births of 2024 are the latest vintage; evolutions still end at the latest census by default
    assert epci["vintage"].max() == 2024
    assert main(["indicators", "200000925", "--compare-to", "2016", "--data-dir", str(tmp_path)]) == 0
    evolution = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"territory": str})
    population = evolution[(evolution["territory"] == "200000925") & (evolution["indicator"] == "population")]
    assert population[["vintage", "vintage_start"]].values.tolist() == [[2022, 2016]]
    assert population["change"].item() == population["value"].item() - population["value_start"].item()


def test_indicators_xlsx_on_the_demo(tmp_path):
    target = tmp_path / "demo.xlsx"
    assert main(["indicators", "000000001", "--format", "xlsx", "--output", str(target)]) == 0
    table = pd.read_excel(target, dtype={"territory": str}, engine="calamine")
    assert table.loc[table["level"] == "commune", "territory"].str.startswith("000").all()


def test_non_comparable_evolution_is_refused_with_the_cli_option_named(capsys):
    assert main(["indicators", "000000001", "--compare-to", "2016", "--year", "2019"]) == 1
    assert "--non-comparable" in capsys.readouterr().err
    assert main(["indicators", "000000001", "--compare-to", "2016", "--year", "2019", "--non-comparable"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table["evolution_flags"].fillna("").str.contains("non comparable").any()


def test_demo_command_writes_a_fictional_report(tmp_path, capsys):
    assert main(["demo", "--reports-dir", str(tmp_path)]) == 0
    page = (tmp_path / "000000001" / "diagnostic.html").read_text(encoding="utf-8")
    assert "territoire fictif" in page.split("</title>")[0]
