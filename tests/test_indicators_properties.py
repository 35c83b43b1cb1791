"""Properties of the engine on random small geographies (hypothesis)."""

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abs_lib.indicators import compute_indicators

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def territories(draw, allow_missing=False):
    """A membership table and an rp-population table with P_POP75P <= P_POP."""
    n = draw(st.integers(1, 25))
    n_epci = draw(st.integers(1, 5))
    epci = draw(st.lists(st.integers(0, n_epci - 1), min_size=n, max_size=n))
    deps = draw(st.lists(st.sampled_from(["01", "02", "2A"]), min_size=n, max_size=n))
    pop = draw(st.lists(st.floats(0.5, 1e5, allow_nan=False), min_size=n, max_size=n))
    share = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    old = [p * s for p, s in zip(pop, share)]
    if allow_missing:
        holes = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        old = [math.nan if h else o for o, h in zip(old, holes)]
    codes = [f"{d}{i:03d}" for i, d in enumerate(deps)]
    membership = pd.DataFrame({
        "commune": codes, "epci": [f"2000000{e:02d}" for e in epci], "departement": deps,
        "region": ["84" if d != "2A" else "94" for d in deps], "metropole": True})
    table = pd.DataFrame({"P_POP": pop, "P_POP75P": old}, index=pd.Index(codes, dtype=object))
    return membership, table


def run(membership, table):
    return compute_indicators(membership, {("rp-population-commune", 2019): table},
                              indicators=["population", "personnes_75_plus", "part_75_plus"])


def by_key(t):
    return {(str(r.level), str(r.territory), str(r.indicator)): (r.value, r.flags)
            for r in t[["level", "territory", "indicator", "value", "flags"]].itertuples(index=False)}


@SETTINGS
@given(territories())
def test_territory_count_is_the_sum_of_its_communes(data):
    membership, table = data
    t = run(membership, table)
    for level in ("epci", "departement", "region", "france"):
        col = "commune" if level == "france" else level
        expected = table["P_POP75P"].groupby(membership.set_index("commune")[col] if level != "france"
                                             else np.zeros(len(table))).sum()
        rows = t[(t["level"] == level) & (t["indicator"] == "personnes_75_plus")]
        got = dict(zip(rows["territory"].astype(str), rows["value"]))
        if level == "france":
            assert math.isclose(got["FRANCE"], expected.iloc[0], rel_tol=1e-12, abs_tol=1e-9)
        else:
            for code, total in expected.items():
                assert math.isclose(got[code], total, rel_tol=1e-12, abs_tol=1e-9)


@SETTINGS
@given(territories(), st.randoms(use_true_random=False))
def test_ratio_is_sum_over_sum_and_ignores_row_order(data, rnd):
    membership, table = data
    t = run(membership, table)
    order = list(range(len(table)))
    rnd.shuffle(order)
    shuffled = run(membership.iloc[order[::-1]], table.iloc[order])
    before, after = by_key(t), by_key(shuffled)
    assert before.keys() == after.keys()
    for key, (v, flags) in before.items():
        v2, flags2 = after[key]
        assert flags == flags2
        assert math.isclose(v, v2, rel_tol=1e-9, abs_tol=1e-9)
    groups = membership.set_index("commune")["epci"]
    num = table["P_POP75P"].groupby(groups).sum()
    den = table["P_POP"].groupby(groups).sum()
    rows = t[(t["level"] == "epci") & (t["indicator"] == "part_75_plus")]
    for code, v in zip(rows["territory"].astype(str), rows["value"]):
        assert math.isclose(v, num[code] / den[code] * 100, rel_tol=1e-9)


@SETTINGS
@given(territories(allow_missing=True))
def test_missing_inputs_give_missing_outputs_never_zero(data):
    membership, table = data
    t = run(membership, table)
    m = membership.set_index("commune")
    holes = table["P_POP75P"].isna()
    for level in ("commune", "epci", "departement"):
        has_hole = holes if level == "commune" else holes.groupby(m[level]).any()
        rows = t[(t["level"] == level) & (t["indicator"].isin(["personnes_75_plus", "part_75_plus"]))]
        for code, v, flags in zip(rows["territory"].astype(str), rows["value"], rows["flags"].astype(str)):
            if has_hole[code]:
                assert math.isnan(v) and flags == "secret statistique"
            else:
                assert not math.isnan(v) and "secret" not in flags
