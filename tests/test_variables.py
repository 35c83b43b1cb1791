"""Vintage prefixes normalised to vintage-free names plus a vintage."""

import pandas as pd
import pytest

from abs_lib.sources.variables import normalise_columns, split_vintage, vintages_in


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
