"""Evolutions between vintages and INSEE's census comparison rule (field-notes §0.1)."""

import math

import pandas as pd
import pytest

from abs_lib.errors import NonComparableVintagesError
from abs_lib.indicators import (
    annual_rate,
    census_comparable,
    check_comparable,
    compute_evolutions,
    compute_indicators,
    min_census_gap,
)


@pytest.mark.parametrize("v0, v1, ok", [
    (2016, 2019, False),   # 3 years
    (2014, 2019, False),   # 5 years but RP2019 is in 2019..2023: 6 required
    (2013, 2019, True),    # 6 years
    (2011, 2016, True),    # 5 years, no vintage in 2019..2023
    (2010, 2014, False),   # 4 years
    (2017, 2022, False),   # 5 years, 2022 in 2019..2023
    (2016, 2022, True),
    (2018, 2024, True),    # 6 years
    (2019, 2024, False),   # 5 years, 2019 involved
])
def test_census_rule(v0, v1, ok):
    assert census_comparable(v0, v1) is ok
    assert census_comparable(v1, v0) is ok


def test_min_gap():
    assert min_census_gap(2011, 2016) == 5
    assert min_census_gap(2016, 2019) == 6
    assert min_census_gap(2023, 2029) == 6
    assert min_census_gap(2024, 2029) == 5


def test_refusal_message_is_french_and_actionable():
    with pytest.raises(NonComparableVintagesError) as info:
        check_comparable(2016, 2019)
    message = str(info.value)
    assert "2016" in message and "2019" in message and "allow_non_comparable=True" in message
    assert "moins de 6 ans" in message
    assert check_comparable(2016, 2019, allow_non_comparable=True) is False
    assert check_comparable(2013, 2019) is True


def test_annual_rate_formula():
    # 1000 -> 1100 in 6 years: (1.1 ** (1 / 6) - 1) × 100 = 1.6012… % per year
    assert annual_rate(1000, 1100, 6) == pytest.approx((1.1 ** (1 / 6) - 1) * 100)
    assert annual_rate(1000, 1000, 5) == 0
    assert math.isnan(annual_rate(0, 10, 5))


MEMBERSHIP = pd.DataFrame({"commune": ["01001", "01002"], "epci": ["200000001"] * 2,
                           "departement": ["01"] * 2, "region": ["84"] * 2, "metropole": True})


def pop(p_pop, p75):
    return pd.DataFrame({"P_POP": p_pop, "P_POP75P": p75}, index=pd.Index(["01001", "01002"], dtype=object))


def caf(a):
    return pd.DataFrame({"A": a}, index=pd.Index(["01001", "01002"], dtype=object))


def table(vintages):
    tables = {}
    for v, (p, p75, a) in vintages.items():
        tables[("rp-population-commune", v)] = pop(p, p75)
        tables[("caf-iris", v)] = caf(a)
    return compute_indicators(MEMBERSHIP, tables, indicators=["population", "part_75_plus", "allocataires_caf"])


def test_evolution_between_comparable_censuses():
    t = table({2013: ([2800, 1200], [280, 100], [400, 100]), 2019: ([3000, 1300], [330, 110], [450, 120])})
    ev = compute_evolutions(t, 2013, 2019)
    row = ev[(ev["level"] == "epci") & (ev["indicator"] == "population")].iloc[0]
    # 4000 -> 4300: change 300, ((4300 / 4000) ** (1 / 6) - 1) × 100 = 1.212… % per year
    assert row["change"] == 300
    assert row["annual_rate"] == pytest.approx(((4300 / 4000) ** (1 / 6) - 1) * 100)
    assert row["flags"] == ""
    share = ev[(ev["level"] == "epci") & (ev["indicator"] == "part_75_plus")].iloc[0]
    # 380 / 4000 = 9.5 % -> 440 / 4300 = 10.232… %: change in points
    assert share["change"] == pytest.approx(440 / 4300 * 100 - 9.5)


def test_close_censuses_are_refused_unless_allowed_then_flagged():
    t = table({2016: ([2900, 1250], [300, 100], [420, 110]), 2019: ([3000, 1300], [330, 110], [450, 120])})
    with pytest.raises(NonComparableVintagesError):
        compute_evolutions(t, 2016, 2019)
    ev = compute_evolutions(t, 2016, 2019, allow_non_comparable=True)
    flags = ev.set_index(["level", "territory", "indicator"])["flags"].astype(str)
    assert flags[("epci", "200000001", "population")] == "non comparable"
    assert flags[("epci", "200000001", "allocataires_caf")] == ""    # CAF counts: no census rule
    # CAF only: allowed without the flag
    only_caf = compute_evolutions(t, 2016, 2019, indicators=["allocataires_caf"])
    row = only_caf[only_caf["level"] == "epci"].iloc[0]
    assert row["change"] == (450 + 120) - (420 + 110)


def test_2011_vs_2016_is_accepted():
    t = table({2011: ([2800, 1200], [280, 100], [400, 100]), 2016: ([2900, 1250], [300, 100], [420, 110])})
    ev = compute_evolutions(t, 2011, 2016)
    assert not ev["flags"].astype(str).str.contains("non comparable").any()
    assert ev["annual_rate"].notna().any()


def test_missing_side_and_input_flags_are_kept():
    t = table({2013: ([2800, 1200], [280, float("nan")], [400, 100]), 2019: ([3000, 1300], [330, 110], [450, 120])})
    ev = compute_evolutions(t, 2013, 2019)
    row = ev[(ev["level"] == "epci") & (ev["indicator"] == "part_75_plus")].iloc[0]
    assert math.isnan(row["change"]) and row["flags"] == "secret statistique"


def test_duplicated_rows_are_refused():
    from abs_lib.errors import IndicatorError
    t = table({2013: ([2800, 1200], [280, 100], [400, 100]), 2019: ([3000, 1300], [330, 110], [450, 120])})
    with pytest.raises(IndicatorError, match="plusieurs lignes"):
        compute_evolutions(pd.concat([t, t]), 2013, 2019)
