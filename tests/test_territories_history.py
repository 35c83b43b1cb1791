"""Harmonisation of commune tables across geography years (mergers, splits, code changes)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abs_lib.errors import HarmonisationError, MissingColumnError
from abs_lib.territories import (
    available_years,
    commune_changes,
    find_territory,
    follow_code,
    harmonise,
    load_geography,
)


def _table(rows):
    return pd.DataFrame(rows, columns=["CODGEO", "LIBGEO", "POP", "MEN", "MED"])


# Geography 2019, Côte-d'Or. Between 2019 and 2020:
#   21183 Collonges-lès-Premières + 21507 Premières -> 21183 Collonges-et-Premières
#   21452 Neuilly-lès-Dijon + 21213 Crimolois       -> 21452 Neuilly-Crimolois
# 21292 Genlis is unchanged.
HAND_MADE = _table(
    [
        ["21183", "Collonges-lès-Premières", 1040.5, 410.0, 21000.0],
        ["21507", "Premières", 160.25, 70.0, 23000.0],
        ["21452", "Neuilly-lès-Dijon", 2000.0, 800.0, 25000.0],
        ["21213", "Crimolois", 700.0, 300.0, 26000.0],
        ["21292", "Genlis", 5200.0, 2300.0, 20000.0],
    ]
)


def test_mergers_sum_additive_columns():
    result = harmonise(
        HAND_MADE, from_year=2019, to_year=2026, additive=["POP", "MEN"], flag_column="fusion"
    )
    out = result.frame.set_index("CODGEO")
    assert list(out.index) == ["21183", "21292", "21452"]
    # Worked out by hand: 1040.5 + 160.25 = 1200.75 ; 410 + 70 = 480 ;
    # 2000 + 700 = 2700 ; 800 + 300 = 1100 ; Genlis unchanged.
    assert out.loc["21183", "POP"] == 1200.75
    assert out.loc["21183", "MEN"] == 480.0
    assert out.loc["21452", "POP"] == 2700.0
    assert out.loc["21452", "MEN"] == 1100.0
    assert out.loc["21292", "POP"] == 5200.0
    # A median cannot be rebuilt: missing on merged communes, kept elsewhere.
    assert math.isnan(out.loc["21183", "MED"]) and math.isnan(out.loc["21452", "MED"])
    assert out.loc["21292", "MED"] == 20000.0
    assert result.nan_columns == ["MED"]
    assert out["fusion"].to_dict() == {"21183": True, "21292": False, "21452": True}
    # Names are those of the target geography.
    assert out.loc["21183", "LIBGEO"] == "Collonges-et-Premières"
    assert out.loc["21452", "LIBGEO"] == "Neuilly-Crimolois"
    merges = result.merges.set_index("new_code")
    assert merges.loc["21183", "old_codes"] == ("21183", "21507")
    assert merges.loc["21183", "old_names"] == ("Collonges-lès-Premières", "Premières")
    assert merges.loc["21452", "old_codes"] == ("21213", "21452")
    assert merges["complete"].all()
    summary = result.summary()
    assert (
        "Fusion : 21183 Collonges-lès-Premières, 21507 Premières -> 21183 "
        "Collonges-et-Premières." in summary
    )
    assert "géographie 2019 à la géographie 2026" in summary


def test_original_table_is_left_untouched():
    before = HAND_MADE.copy()
    harmonise(HAND_MADE, from_year=2019, additive=["POP"])
    pd.testing.assert_frame_equal(HAND_MADE, before)


def test_incomplete_merger_is_missing_not_a_partial_sum():
    table = HAND_MADE[HAND_MADE["CODGEO"] != "21507"]  # Premières absent
    result = harmonise(table, from_year=2019, additive=["POP", "MEN"])
    out = result.frame.set_index("CODGEO")
    assert math.isnan(out.loc["21183", "POP"])
    assert out.loc["21452", "POP"] == 2700.0
    merges = result.merges.set_index("new_code")
    assert not merges.loc["21183", "complete"]
    assert "incomplètes" in result.summary()


def test_missing_value_in_a_merged_commune_makes_the_sum_missing():
    table = HAND_MADE.copy()
    table.loc[table["CODGEO"] == "21213", "POP"] = np.nan  # secret statistique
    out = harmonise(table, from_year=2019, additive=["POP", "MEN"]).frame.set_index("CODGEO")
    assert math.isnan(out.loc["21452", "POP"])
    assert out.loc["21452", "MEN"] == 1100.0


def test_mergers_before_2019_come_from_the_insee_history():
    # Geography 2017 -> 2026 in the Plaine Dijonnaise: on 1 January 2019
    # Longeault (21352) + Pluvault (21486) -> Longeault-Pluvault (21352) and
    # Tart-l'Abbaye (21621) + Tart-le-Haut (21623) -> Tart (21623); in 2020 Premières.
    table = pd.DataFrame(
        {
            "CODGEO": ["21352", "21486", "21621", "21623", "21183", "21507"],
            "POP": [300.0, 200.0, 1000.0, 400.0, 1040.5, 160.25],
        }
    )
    result = harmonise(table, from_year=2017, additive=["POP"], name_column=None)
    out = result.frame.set_index("CODGEO")["POP"].to_dict()
    assert out == {"21183": 1200.75, "21352": 500.0, "21623": 1400.0}
    assert set(result.merges["new_code"]) == {"21183", "21352", "21623"}


def test_split_is_refused_with_the_communes_named():
    # Saline (14712) was split into Troarn (14712) and Sannerville (14666) on 1 January 2020.
    table = pd.DataFrame({"CODGEO": ["14712", "21292"], "POP": [5000.0, 5200.0]})
    with pytest.raises(HarmonisationError) as info:
        harmonise(table, from_year=2019, additive=["POP"])
    message = str(info.value)
    assert "14712 (Saline)" in message and "14666 (Sannerville)" in message
    assert "14712 (Troarn)" in message and "on_split" in message


def test_split_can_be_reported_instead():
    table = pd.DataFrame({"CODGEO": ["14712", "21292"], "POP": [5000.0, 5200.0]})
    result = harmonise(table, from_year=2019, additive=["POP"], on_split="report")
    out = result.frame.set_index("CODGEO")["POP"]
    assert list(out.index) == ["14666", "14712", "21292"]
    assert out[["14666", "14712"]].isna().all() and out["21292"] == 5200.0
    split = result.splits.iloc[0]
    assert split["old_code"] == "14712" and split["new_codes"] == ("14666", "14712")
    assert "Scission : 14712 Saline" in result.summary()
    assert result.merges.empty


def test_code_change_keeps_values():
    # Conques-en-Rouergue changed code (12076 -> 12218) between 2024 and 2025.
    table = pd.DataFrame({"CODGEO": ["12076"], "POP": [1500.0], "MED": [19000.0]})
    result = harmonise(table, from_year=2024, to_year=2025, additive=["POP"], name_column=None)
    assert result.frame.to_dict("records") == [{"CODGEO": "12218", "POP": 1500.0, "MED": 19000.0}]
    assert result.code_changes.to_dict("records") == [
        {"old_code": "12076", "new_code": "12218", "new_name": "Conques-en-Rouergue"}
    ]


def test_int_codes_and_unknown_codes():
    table = pd.DataFrame({"CODGEO": [1001, 99999], "POP": [800.0, 10.0]})
    result = harmonise(table, from_year=2019, additive=["POP"], name_column=None)
    assert result.frame["CODGEO"].tolist() == ["01001"]
    assert result.unknown_codes == ["99999"]
    assert "99999" in result.summary()


def test_bad_requests_are_explained():
    with pytest.raises(HarmonisationError, match="plus récente"):
        harmonise(HAND_MADE, from_year=2026, to_year=2019)
    with pytest.raises(HarmonisationError, match="en double"):
        harmonise(pd.concat([HAND_MADE, HAND_MADE.head(1)]), from_year=2019)
    with pytest.raises(MissingColumnError):
        harmonise(HAND_MADE, from_year=2019, additive=["NOPE"])
    with pytest.raises(HarmonisationError, match="on_split"):
        harmonise(HAND_MADE, from_year=2019, on_split="guess")


def test_same_year_is_identity():
    result = harmonise(HAND_MADE, from_year=2019, to_year=2019, additive=["POP"])
    assert result.frame["POP"].tolist() == HAND_MADE.sort_values("CODGEO")["POP"].tolist()
    assert result.merges.empty


def test_plaine_dijonnaise_2019_communes_land_on_the_2026_epci():
    old = find_territory("200000925", 2019)
    new = find_territory("200000925", 2026)
    table = pd.DataFrame({"CODGEO": list(old.communes), "N": 1.0})
    out = harmonise(table, from_year=2019, additive=["N"], name_column=None).frame
    assert tuple(out["CODGEO"]) == new.communes
    assert out["N"].sum() == 23.0 and out.set_index("CODGEO").loc["21183", "N"] == 2.0


@pytest.mark.parametrize("year", available_years()[1:])
def test_changes_cover_every_year_to_year_difference(year):
    """Each commune of year-1 lands on year's list, and every commune of year is reached."""
    old = load_geography(year - 1).communes
    new = load_geography(year).communes
    table = pd.DataFrame({"CODGEO": old.index, "N": 1.0})
    result = harmonise(
        table, from_year=year - 1, to_year=year, additive=["N"], on_split="report", name_column=None
    )
    assert result.unknown_codes == []
    assert set(result.frame["CODGEO"]) == set(new.index)
    split_parts = {c for codes in result.splits["new_codes"] for c in codes}
    assert result.frame.loc[~result.frame["CODGEO"].isin(split_parts), "N"].sum() == len(old) - len(
        result.splits
    )


def test_2019_to_2026_changes_are_listed():
    changes = commune_changes(2019, 2026)
    assert set(changes["year"]) <= set(range(2020, 2027))
    row = changes[changes["old_code"] == "21507"].iloc[0]
    assert (row["kind"], row["new_code"], row["year"]) == ("fusion", "21183", 2020)
    assert follow_code("21507", 2026) == {"21183"}
    assert follow_code("14712", 2026, from_year=2019) == {"14666", "14712"}


# Communes of three départements with many mergers (Calvados, Manche, Côte-d'Or), in the
# 2019 geography, without those later split (their values cannot be apportioned), with
# the 2026 commune each one lands on.
def _targets_without_splits() -> dict[str, str]:
    communes = load_geography(2019).communes
    codes = communes.index[communes["departement"].isin(["14", "21", "50"])]
    targets = {c: follow_code(c, 2026, from_year=2019) for c in codes}
    return {c: next(iter(t)) for c, t in targets.items() if len(t) == 1}


_TARGETS = _targets_without_splits()
_CODES = sorted(_TARGETS)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), keep=st.floats(0.3, 1.0))
def test_harmonised_total_equals_original_total(seed, keep):
    """Additive totals are kept over every merger group whose old communes are all given."""
    rng = np.random.default_rng(seed)
    codes = [c for c in _CODES if rng.random() < keep]
    values = rng.uniform(0, 1e5, size=len(codes)).round(3)
    table = pd.DataFrame({"CODGEO": codes, "X": values})
    out = harmonise(table, from_year=2019, additive=["X"], name_column=None).frame
    assert out["CODGEO"].is_unique
    assert set(out["CODGEO"]) == {_TARGETS[c] for c in codes}
    # Expected, group by group: a 2026 commune gets a value only if all its 2019 communes
    # (of the full list) are in the table.
    group_size = pd.Series(_TARGETS).value_counts()
    given_size = pd.Series([_TARGETS[c] for c in codes]).value_counts()
    complete = set(given_size.index[given_size == group_size[given_size.index]])
    expected = sum(v for c, v in zip(codes, values) if _TARGETS[c] in complete)
    assert math.isclose(out["X"].sum(), expected, rel_tol=1e-9, abs_tol=1e-6)
    assert out.set_index("CODGEO")["X"].isna().sum() == len(set(given_size.index) - complete)


def test_harmonised_total_equals_original_total_on_whole_departements():
    values = np.linspace(0.5, 900.25, num=len(_CODES))
    table = pd.DataFrame({"CODGEO": _CODES, "X": values})
    result = harmonise(table, from_year=2019, additive=["X"], name_column=None)
    assert math.isclose(result.frame["X"].sum(), values.sum(), rel_tol=1e-12)
    assert len(result.frame) == len(set(_TARGETS.values())) < len(_CODES)
    assert result.merges["complete"].all()
