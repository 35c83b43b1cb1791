"""Vintage prefixes normalised to vintage-free names plus a vintage."""

import pandas as pd
import pytest

from abs_lib.sources.variables import civil_periods, normalise_columns, split_vintage, vintages_in


@pytest.mark.parametrize(
    "column, expected",
    [
        ("P16_POP0014", ("P_POP0014", 2016)),
        ("P19_POP0002", ("P_POP0002", 2019)),
        ("C22_MENPSEUL", ("C_MENPSEUL", 2022)),
        ("P99_POP", ("P_POP", 1999)),
        ("P08_RP_LOCHLMV", ("P_RP_LOCHLMV", 2008)),
        ("NBMEN16", ("NBMEN", 2016)),
        ("NBMENFISC21", ("NBMENFISC", 2021)),
        ("Q216", ("Q2", 2016)),
        ("D916", ("D9", 2016)),
        ("S80S2019", ("S80S20", 2019)),
        ("GI19", ("GI", 2019)),
        ("PPSOC16", ("PPSOC", 2016)),
        ("PIMPOT19", ("PIMPOT", 2019)),
        ("MED21", ("MED", 2021)),
        ("TP6021", ("TP60", 2021)),
        ("TP60AGE616", ("TP60AGE6", 2016)),
        ("PIMP21", ("PIMP", 2021)),
        ("DISP_MED16", ("DISP_MED", 2016)),
        ("DISP_TP6019", ("DISP_TP60", 2019)),
        ("DISP_S80S2016", ("DISP_S80S20", 2016)),
        ("RD", ("RD", None)),
        ("Q3_Q1", ("Q3_Q1", None)),
        ("CODGEO", ("CODGEO", None)),
        ("ENF_3_5", ("ENF_3_5", None)),
        ("ARSAS", ("ARSAS", None)),
        ("BPE_2024_B105", ("BPE_2024_B105", None)),
        ("NAISD24", ("NAISD", 2024)),
        ("DECESD19", ("DECESD", 2019)),
        # a period needs the header (its closing census): see civil_periods
        ("NAIS1621", ("NAIS1621", None)),
    ],
)
def test_split_vintage(column, expected):
    assert split_vintage(column) == expected


def test_one_definition_serves_every_year():
    f16 = pd.DataFrame({"CODGEO": ["21001"], "P16_POP": [455.0], "P16_POP0002": [12.5]})
    f19 = pd.DataFrame({"CODGEO": ["21001"], "P19_POP": [430.0], "P19_POP0002": [10.0]})
    n16, n19 = normalise_columns(f16), normalise_columns(f19)
    assert list(n16.columns) == list(n19.columns) == ["CODGEO", "P_POP", "P_POP0002"]


def test_mixed_vintages_need_a_choice(shared_data):
    from abs_lib.sources.readers import read_table

    frame = read_table(shared_data / "insee_dossier_complet" / "dossier_complet_light_dep21.csv")
    assert set(vintages_in(frame.columns)) == {2022, 2016, 2011}
    with pytest.raises(ValueError):
        normalise_columns(frame)
    old = normalise_columns(frame, 2016)
    assert "P_POP" in old.columns and "P_POP0014" not in old.columns
    new = normalise_columns(frame, 2022)
    assert {"P_POP0014", "C_MENPSEUL", "P_ACT1524"} <= set(new.columns)
    assert (old["P_POP"] == frame["P16_POP"]).all()


def test_births_over_a_period_go_with_the_census_that_closes_it(shared_data):
    """2022 edition: NAIS1621 beside P22_POP/P16_POP = 2016-2021, 6 years, row 2022.
    2017 edition: NAIS1217 beside P17_POP/P12_POP = 2012-2016, 5 years, row 2017."""
    from abs_lib.sources.readers import read_table

    new = read_table(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv")
    periods = civil_periods(new.columns)
    assert {(p.name, p.vintage, p.first_year, p.years) for p in periods.values()} == {
        ("NAIS_PERIODE", 2022, 2016, 6), ("DECE_PERIODE", 2022, 2016, 6)}
    assert set(vintages_in(new.columns)) == {2016, 2021, 2022, 2024}
    table = normalise_columns(new, 2022)
    assert (table["NAIS_PERIODE"] == new["NAIS1621"]).all()
    assert table["NAIS_PERIODE_PAR_AN"].to_numpy() == pytest.approx(new["NAIS1621"].to_numpy() / 6)
    assert table["DECE_PERIODE_PAR_AN"].to_numpy() == pytest.approx(new["DECE1621"].to_numpy() / 6)
    year = normalise_columns(new, 2024)
    assert (year["NAISD"] == new["NAISD24"]).all() and (year["DECESD"] == new["DECESD24"]).all()
    assert "NAIS_PERIODE" not in year.columns and "P_POP" not in year.columns
    assert "NAISD" not in normalise_columns(new, 2016).columns

    old = read_table(shared_data / "insee_comparateur_2017" / "base_cc_comparateur_21.csv")
    assert {(p.column, p.vintage, p.first_year, p.years) for p in civil_periods(old.columns).values()} == {
        ("NAIS1217", 2017, 2012, 5), ("DECE1217", 2017, 2012, 5)}
    assert set(vintages_in(old.columns)) == {2012, 2017, 2019}


@pytest.mark.parametrize("header, expected", [
    # RP2018 edition of the Dossier complet: named by census years, like NAIS1217
    (["CODGEO", "P18_POP", "P13_POP", "NAIS1318", "NAIS0813", "P08_POP"], {"NAIS1318": (2018, 5), "NAIS0813": (2013, 5)}),
    # no census in the file: the period cannot be placed, the column keeps its name
    (["CODGEO", "NAIS1621"], {}),
    # both readings possible (P21 and P22): refused rather than guessed
    (["CODGEO", "P21_POP", "P22_POP", "NAIS1621"], {}),
])
def test_period_needs_exactly_one_closing_census(header, expected):
    found = {c: (p.vintage, p.years) for c, p in civil_periods(header).items()}
    assert found == expected
