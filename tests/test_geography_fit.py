"""A file's geography is found from its commune codes, and every code is accounted for.

Real extracts (``shared_data``) for the fit; the commune history of the reference
files for the laws of harmonisation (hypothesis draws merger chains from it).
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abs_lib.indicators.compute import MERGED_COLUMN
from abs_lib.indicators.loading import _on_geography
from abs_lib.sources.readers import read_table
from abs_lib.territories import commune_changes
from abs_lib.territories.fit import GeographyFit, commune_codes, fit_geography, geography_years
from abs_lib.territories.reference import available_years


def test_rebuilt_years_lead_to_the_first_reference_year():
    """Undoing the changes of year N+1 on the list of N+1 gives N; redoing them gives N+1 back."""
    first = available_years()[0]
    before = set(commune_codes(first - 1))
    step = commune_changes(first - 1, first)
    redone = (before - set(step["old_code"])) | set(step["new_code"])
    assert redone == set(commune_codes(first))
    assert "21486" in before and "21486" not in commune_codes(first)   # Pluvault, merged on 1 January 2019
    assert geography_years()[0] <= 2000


def test_filosofi_2016_communes_are_in_a_geography_before_the_2019_mergers(shared_data):
    codes = read_table(shared_data / "filosofi" / "FILO2016_DISP_COM_dep21.csv")["CODGEO"]
    fit = fit_geography(codes)
    assert fit.year == 2018 and 2017 in fit.candidates   # nothing changed in the Côte-d'Or in 2018
    assert (fit.matched, fit.total, fit.unknown) == (533, 533, ())
    assert fit.ambiguous_with is None
    assert "géographie 2018" in fit.sentence() and "533 sur 533" in fit.sentence()
    assert GeographyFit.from_dict(fit.to_dict()) == fit


def test_census_2017_iris_housing_base_is_in_the_2019_geography(shared_data):
    iris = read_table(shared_data / "rp_iris" / "logement_21.csv")
    fit = fit_geography(iris["COM"])
    assert fit.year == 2019 and fit.candidates == (2019,)   # Pluvault gone, Premières and Crimolois still there


def test_recent_comparateur_fits_the_current_geography(shared_data):
    codes = read_table(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv")["CODGEO"]
    fit = fit_geography(codes)
    assert fit.year == max(geography_years()) and fit.total == 698 and fit.jaccard == 1.0


def test_codes_of_no_geography_are_named():
    fit = fit_geography(["21231", "21054", "21999"])
    assert fit.unknown == ("21999",) and fit.matched == 2
    assert "21999" in fit.sentence()


def _filosofi_2016(shared_data):
    frame = read_table(shared_data / "filosofi" / "FILO2016_DISP_COM_dep21.csv")
    frame = frame.set_index("CODGEO")
    frame.index = pd.Index(frame.index.astype(str), dtype=object, name="commune")
    return frame[["NBMEN16", "Q216"]].rename(columns={"NBMEN16": "NBMEN", "Q216": "Q2"})


def test_merged_commune_keeps_counts_summed_and_loses_its_median(shared_data):
    """Collonges-et-Premières (21183) = Collonges-lès-Premières (21183) + Premières (21507)."""
    frame = _filosofi_2016(shared_data)
    notes = []
    out = _on_geography(frame, fit_geography(frame.index), 2026, "filosofi-disp", "FiLoSoFi 2016", notes)
    assert out.loc["21183", "NBMEN"] == frame.loc["21183", "NBMEN"] + frame.loc["21507", "NBMEN"]
    assert math.isnan(out.loc["21183", "Q2"]) and bool(out.loc["21183", MERGED_COLUMN])
    assert out.loc["21231", "Q2"] == frame.loc["21231", "Q2"] and not out.loc["21231", MERGED_COLUMN]
    assert "21507" not in out.index
    # every code of the file is accounted for in the note: kept, or named in a merger
    (note,) = [n.text() for n in notes]
    kept = int(note.split("Passage en géographie 2026 : ")[1].split(" code(s)")[0])
    named = {code for code in frame.index if code in note}
    merged = {c for c in named if f"+ {c} " in note or f"fusion {c} " in note}
    assert kept + len(merged) == len(frame)
    assert {"21507", "21183", "21486", "21352", "21513", "21621"} <= merged
    # a report says only what concerns its communes (CC de la Plaine Dijonnaise: not Neuilly-Crimolois)
    mine = notes[0].text(["21183", "21292"])
    assert "21507 Premières" in mine and "21452" not in mine and "Passage" not in mine
    assert notes[0].text(["21231"]) == ""


def test_a_newer_file_leaves_out_the_communes_that_changed_since(shared_data):
    codes = read_table(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv")
    frame = codes.set_index("CODGEO")[["P22_POP"]]
    frame.index = pd.Index(frame.index.astype(str), dtype=object, name="commune")
    notes = []
    out = _on_geography(frame, fit_geography(frame.index), 2019, "insee-comparateur", "Comparateur", notes)
    # 21183 in 2026 is Collonges-et-Premières; in the 2019 geography 21183 is only Collonges-lès-Premières
    assert "21183" not in out.index and "21452" not in out.index
    assert out.loc["21231", "P22_POP"] == frame.loc["21231", "P22_POP"]
    assert "21183" in notes[0].text() and "plus récente" in notes[0].text()


# ---------------------------------------------------------------- laws, over real merger chains

def _departements_with_mergers(start: int, end: int) -> list[str]:
    changes = commune_changes(start, end)
    merged = changes[changes["kind"] == "fusion"]
    return sorted({c[:2] for c in merged["new_code"] if not c.startswith("97")})


@st.composite
def merger_cases(draw):
    start = draw(st.integers(min_value=2014, max_value=2024))
    end = draw(st.integers(min_value=start + 1, max_value=max(available_years())))
    departements = _departements_with_mergers(start, end) or ["21"]
    dep = draw(st.sampled_from(departements))
    codes = sorted(c for c in commune_codes(start) if c.startswith(dep))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    keep = rng.random(len(codes)) > draw(st.sampled_from([0.0, 0.05, 0.3]))   # files miss communes (secret)
    kept = [c for c, k in zip(codes, keep) if k]
    frame = pd.DataFrame({"NBMEN": rng.integers(0, 5000, len(kept)).astype(float),
                          "Q2": rng.uniform(15000, 30000, len(kept))},
                         index=pd.Index(kept, dtype=object, name="commune"))
    return start, end, frame


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(merger_cases())
def test_counts_are_summed_and_levels_never_are(case):
    start, end, frame = case
    fit = GeographyFit(year=start, candidates=(start,), matched=len(frame), total=len(frame), jaccard=1.0)
    out = _on_geography(frame, fit, end, "filosofi-disp", "test", [])
    changes = commune_changes(start, end)
    # where each code of the file ends up, following every change of the chain
    from abs_lib.territories.history import _forward
    forward = _forward(set(frame.index) | set(changes["old_code"]), start, end)
    sources: dict[str, set[str]] = {}
    for old, news in forward.items():
        if old in commune_codes(start):
            for new in news:
                sources.setdefault(new, set()).add(old)
    for target, row in out.iterrows():
        olds = sources.get(target, {target})
        split = any(len(forward[o]) > 1 for o in olds)
        if split:
            assert math.isnan(row["NBMEN"]) and math.isnan(row["Q2"])
        elif len(olds) == 1:
            (old,) = olds
            assert row["NBMEN"] == frame.loc[old, "NBMEN"] and row["Q2"] == frame.loc[old, "Q2"]
        elif olds <= set(frame.index):       # complete merger: the sum, never a median
            assert row["NBMEN"] == pytest.approx(frame.loc[sorted(olds), "NBMEN"].sum())
            assert math.isnan(row["Q2"]) and row[MERGED_COLUMN]
        else:                                # a member is missing from the file: no partial sum
            assert math.isnan(row["NBMEN"]) and math.isnan(row["Q2"])
    # nothing dropped: every code of the file lands on a commune of the end geography
    landed = set().union(*(forward[c] for c in frame.index))
    assert landed == set(out.index)
    # the total of counts is kept over the complete, unsplit mergers
    complete = [t for t in out.index if sources.get(t, {t}) <= set(frame.index)
                and not any(len(forward[o]) > 1 for o in sources.get(t, {t}))]
    olds = set().union(*(sources.get(t, {t}) for t in complete))
    assert out.loc[complete, "NBMEN"].sum() == pytest.approx(frame.loc[sorted(olds), "NBMEN"].sum())
