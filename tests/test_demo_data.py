"""The fictional demo territory (data/demo): reproducible, in real layouts, coherent."""

from __future__ import annotations

import importlib.util
import json
import sys
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
VINTAGES = (2013, 2016, 2019)


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_demo", REPO / "scripts" / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, _load_generator().generate(out)


def read(rel: str, **kwargs) -> pd.DataFrame:
    """Demo file as text, with BOM handled; numbers converted by num()."""
    return pd.read_csv(DEMO / rel, sep=";", dtype=str, keep_default_na=False,
                       encoding="utf-8-sig", **kwargs)


def num(frame: pd.DataFrame, cols=None) -> pd.DataFrame:
    cols = cols if cols is not None else frame.columns
    text = frame[cols].apply(lambda s: s.str.replace("\u202f", "", regex=False)
                             .str.replace(",", ".", regex=False))
    return text.apply(pd.to_numeric, errors="raise").astype(float)


def close(a, b, tol=1e-6):
    a, b = pd.Series(a, dtype=float).reset_index(drop=True), pd.Series(b, dtype=float).reset_index(drop=True)
    return bool(((a - b).abs() <= tol * (1.0 + b.abs())).all())


def first_line(path: Path) -> bytes:
    data = path.read_bytes()
    return data[: data.index(b"\n") + 1]


def row_eol(path: Path) -> bytes | None:
    """Line end of the first data row; None for one-row files (their last line end
    was altered when the shared extracts were cut)."""
    lines = path.read_bytes().split(b"\n")
    if len(lines) <= 3:
        return None
    return b"\r\n" if lines[1].endswith(b"\r") else b"\n"


# ---------------------------------------------------------------------------- determinism
def test_regeneration_is_byte_identical(generated):
    out, written = generated
    assert len(written) == len(set(written)) >= 30
    for rel in written:
        assert (out / rel).read_bytes() == (DEMO / rel).read_bytes(), rel
    committed = {p.relative_to(DEMO).as_posix() for p in DEMO.rglob("*") if p.is_file()}
    assert committed - {"README.md"} == set(written)


def test_demo_is_small():
    assert sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file()) < 1_500_000


# ---------------------------------------------------------------------------- real layouts
REAL_COUNTERPARTS = [
    *[(f"filosofi/FILO{y}_DISP_{lvl}.csv", f"filosofi/FILO{y}_DISP_{real}.csv")
      for y in (2016, 2019)
      for lvl, real in (("COM", "COM_dep21"), ("EPCI", "EPCI"), ("DEP", "DEP"),
                        ("REG", "DEP"), ("METROPOLE", "METROPOLE"))],
    *[(f"caf/data_CAF_{y}_IRIS.csv", f"caf/data_CAF_{y}_IRIS_dep21.csv")
      for y in (2016, 2017, 2018, 2019, 2020)],
    ("geo/EPCI_2020.csv", "geo/EPCI_2020_commune_to_epci.csv"),
    ("insee_dossier_complet/dossier_complet_light_dep00.csv",
     "insee_dossier_complet/dossier_complet_light_dep21.csv"),
    ("insee_dossier_complet/base_cc_comparateur_dep00.csv",
     "insee_dossier_complet/base_cc_comparateur_dep21.csv"),
]


@pytest.mark.parametrize("demo_rel, real_rel", REAL_COUNTERPARTS)
def test_header_and_line_ends_match_real_file(shared_data, demo_rel, real_rel):
    real, demo = shared_data / real_rel, DEMO / demo_rel
    header = first_line(real)
    assert first_line(demo) == header   # BOM, names, order, separator, line end
    eol = b"\r\n" if header.endswith(b"\r\n") else b"\n"
    if row_eol(real) is not None:
        assert row_eol(real) == eol     # real data rows end like the header
    data = demo.read_bytes()
    assert data.endswith(eol) and data.count(b"\n") == data.count(eol)
    assert eol == b"\r\n" or b"\r" not in data


def test_geojson_matches_real_layout(shared_data):
    real = json.loads((shared_data / "geo" / "communes_dep21.geojson").read_text(encoding="utf-8"))
    demo = json.loads((DEMO / "geo" / "communes_dep00.geojson").read_text(encoding="utf-8"))
    assert demo["crs"] == real["crs"] and demo["type"] == real["type"]
    keys = list(real["features"][0]["properties"])
    epci = read("geo/EPCI_2020.csv")
    assert len(demo["features"]) == len(epci)
    for feature, (_, row) in zip(demo["features"], epci.iterrows()):
        assert list(feature["properties"]) == keys
        assert feature["properties"]["INSEE_COM"] == row["CODGEO"]
        assert feature["properties"]["SIREN_EPCI"] == row["EPCI"]
        assert feature["geometry"]["type"] == "MultiPolygon"
        ring = feature["geometry"]["coordinates"][0][0]
        assert ring[0] == ring[-1] and len(ring) >= 12


def test_polygons_tile_without_overlap():
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import shape
    from shapely.ops import unary_union

    demo = json.loads((DEMO / "geo" / "communes_dep00.geojson").read_text(encoding="utf-8"))
    shapes = [shape(f["geometry"]) for f in demo["features"]]
    assert all(s.is_valid for s in shapes), shapely.__version__
    union = unary_union(shapes)
    assert union.geom_type == "Polygon"   # one connected territory, no holes between cells
    assert abs(union.area - sum(s.area for s in shapes)) < 1e-9


# ---------------------------------------------------------------------------- census (RP)
@pytest.mark.parametrize("v", VINTAGES)
def test_census_age_bands_add_up(v):
    yy = f"P{v % 100:02d}_"
    cc = num(read(f"rp/base-cc-evol-struct-pop-{v}.CSV").iloc[:, 4:])
    broad = ["0014", "1529", "3044", "4559", "6074", "7589", "90P"]
    assert close(cc[[yy + "POP" + b for b in broad]].sum(axis=1), cc[yy + "POP"])
    assert close(cc[yy + "POPH"] + cc[yy + "POPF"], cc[yy + "POP"])
    for s in "HF":
        assert close(cc[[yy + s + b for b in broad]].sum(axis=1), cc[yy + "POP" + s])
        assert close(cc[[yy + s + b for b in ("0019", "2064", "65P")]].sum(axis=1), cc[yy + "POP" + s])
    assert (cc[yy + "POP"] % 1 == 0).all()          # municipal population: whole number
    assert (cc[yy + "POP0014"] % 1 != 0).any()      # weighted counts: never rounded

    ic_raw = read(f"rp/base-ic-evol-struct-pop-{v}.CSV")
    ic = num(ic_raw, [c for c in ic_raw.columns if c.startswith(("P1", "C1"))])
    fine = ["0002", "0305", "0610", "1117", "1824", "2539", "4054", "5564", "6579", "80P"]
    assert close(ic[[yy + "POP" + b for b in fine]].sum(axis=1), ic[yy + "POP"])
    assert close(ic[[yy + "POP" + b for b in ("0019", "2064", "65P")]].sum(axis=1), ic[yy + "POP"])
    assert close(ic[yy + "PMEN"] + ic[yy + "PHORMEN"], ic[yy + "POP"])
    assert all(code.startswith(com) and len(code) == 9
               for code, com in zip(ic_raw["IRIS"], ic_raw["COM"]))
    by_com = ic.groupby(ic_raw["COM"].values).sum()
    c15 = f"C{v % 100:02d}_POP15P"
    for col in (yy + "POP", yy + "POP0014", yy + "POPH", yy + "H65P", c15):
        assert close(by_com[col].values, cc[col].values), col
    logement = num(read(f"rp/base-cc-logement-{v}.CSV").iloc[:, 4:])
    assert close(by_com[yy + "PMEN"].values, logement[yy + "PMEN"].values)


@pytest.mark.parametrize("v", VINTAGES)
def test_households_dwellings_activity_are_consistent(v):
    p, c = f"P{v % 100:02d}_", f"C{v % 100:02d}_"
    lg = num(read(f"rp/base-cc-logement-{v}.CSV").iloc[:, 4:])
    assert close(lg[p + "RP"] + lg[p + "RSECOCC"] + lg[p + "LOGVAC"], lg[p + "LOG"])
    assert close(lg[p + "RP_PROP"] + lg[p + "RP_LOC"] + lg[p + "RP_GRAT"], lg[p + "RP"])
    assert close(lg[[p + f"RP_{k}P" for k in "1234"] + [p + "RP_5PP"]].sum(axis=1), lg[p + "RP"])
    assert (lg[p + "RP_LOCHLMV"] <= lg[p + "RP_LOC"]).all()
    assert (lg[p + "MAISON"] + lg[p + "APPART"] <= lg[p + "LOG"] + 1e-6).all()
    assert close(lg[p + "MEN"], lg[p + "RP"]) and close(lg[p + "NPER_RP"], lg[p + "PMEN"])

    fam = num(read(f"rp/base-cc-coupl-fam-men-{v}.CSV").iloc[:, 4:])
    assert close(fam[c + "MENPSEUL"] + fam[c + "MENSFAM"] + fam[c + "MENFAM"], fam[c + "MEN"])
    assert close(fam[c + "COUPAENF"] + fam[c + "FAMMONO"] + fam[c + "COUPSENF"], fam[c + "FAM"])
    assert close(fam[[c + f"NE24F{k}" for k in ("0", "1", "2", "3", "4P")]].sum(axis=1), fam[c + "FAM"])
    bands = ["1519", "2024", "2539", "4054", "5564", "6579", "80P"]
    assert close(fam[[p + "POP" + b for b in bands]].sum(axis=1), fam[p + "POP15P"])
    for b in bands:
        assert (fam[p + f"POP{b}_PSEUL"] <= fam[p + "POPMEN" + b]).all()
        assert (fam[p + "POPMEN" + b] <= fam[p + "POP" + b]).all()
    assert close(fam[c + "MEN"], lg[p + "MEN"], tol=0.02)   # two exploitations, close

    act = num(read(f"rp/base-cc-emploi-pop-active-{v}.CSV").iloc[:, 4:])
    for s in ("", "H", "F"):
        for b in ("1564", "1524", "2554", "5564"):
            assert close(act[f"{p}{s}ACTOCC{b}"] + (act[f"{p}{s}CHOM{b}"] if s or b == "1564" else
                         act[f"{p}HCHOM{b}"] + act[f"{p}FCHOM{b}"]), act[f"{p}{s}ACT{b}"])
    assert close(act[p + "ETUD1564"] + act[p + "RETR1564"] + act[p + "AINACT1564"], act[p + "INACT1564"])
    assert close(act[p + "POP1564"] - act[p + "ACT1564"], act[p + "INACT1564"])
    for frame in (lg, fam, act):
        assert (frame >= 0).all().all()


# ---------------------------------------------------------------------------- FiLoSoFi, CAF
@pytest.mark.parametrize("year", (2016, 2019))
def test_filosofi_distribution_and_secret_cells(year):
    yy = f"{year % 100:02d}"
    for level in ("COM", "EPCI", "DEP", "REG", "METROPOLE"):
        raw = read(f"filosofi/FILO{year}_DISP_{level}.csv")
        full = raw[raw[f"D1{yy}"] != ""]
        partial = raw[raw[f"D1{yy}"] == ""]
        assert (partial.iloc[:, 5:] == "").drop(columns=[f"Q2{yy}"]).all().all()
        assert (partial[[f"NBMEN{yy}", f"Q2{yy}"]] != "").all().all()
        q = num(full, [f"D{k}{yy}" for k in (1, 2, 3, 4)] + [f"Q2{yy}"] +
                [f"D{k}{yy}" for k in (6, 7, 8, 9)])
        assert (q.diff(axis=1).iloc[:, 1:] > 0).all().all()
        shares = num(full, [f"P{n}{yy}" for n in ("ACT", "TSA", "CHO", "BEN", "PEN", "PAT",
                                                  "PSOC", "PFAM", "PMINI", "PLOGT", "IMPOT")])
        assert close(shares.iloc[:, 1:4].sum(axis=1), shares.iloc[:, 0], tol=1e-3)
        total = shares[[f"PACT{yy}", f"PPEN{yy}", f"PPAT{yy}", f"PPSOC{yy}", f"PIMPOT{yy}"]].sum(axis=1)
        assert close(total, [100.0] * len(total), tol=1e-3)
    assert len(read(f"filosofi/FILO{year}_DISP_COM.csv")) < len(read("geo/EPCI_2020.csv"))


@pytest.mark.parametrize("year", (2016, 2017, 2018, 2019, 2020))
def test_caf_counts_add_up(year):
    raw = read(f"caf/data_CAF_{year}_IRIS.csv")
    body = (DEMO / f"caf/data_CAF_{year}_IRIS.csv").read_text(encoding="utf-8-sig")
    assert ("\u202f" in body) == (year == 2016)
    hidden = raw[raw["NOTE"] == "3"]
    assert len(hidden) == 1 and (hidden.loc[:, "A":] == "").all().all()
    shown = raw[(raw["NOTE"] == "0")]
    parts = ["AI", "AM", "ACSSENF", "ACAVENF"]
    complete = shown[(shown[["A"] + parts] != "").all(axis=1)]
    assert len(complete) >= 30
    n = num(complete, ["A"] + parts)
    assert close(n[parts].sum(axis=1), n["A"])
    kids = ["ENF_2", "ENF_3_5", "ENF_6_10", "ENF_11_14", "ENF_15_17", "ENF_18_24"]
    k = num(shown[(shown[["ENF"] + kids] != "").all(axis=1)], ["ENF"] + kids)
    assert close(k[kids].sum(axis=1), k["ENF"])
    cells = [x for x in shown.loc[:, "A":].to_numpy().ravel() if x != ""]
    assert min(float(x.replace("\u202f", "")) for x in cells) >= 5   # small counts blanked


# ---------------------------------------------------------------------------- fictional
def _norm(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in text if ch.isalnum())


def test_codes_are_fictional():
    epci = read("geo/EPCI_2020.csv")
    assert (epci["CODGEO"].str.fullmatch(r"000\d\d")).all()
    assert (epci["EPCI"].str.fullmatch(r"00000000\d")).all()
    assert set(epci["DEP"]) == {"00"} and set(epci["REG"]) == {"00"}
    for year in (2016, 2019):
        for level in ("COM", "EPCI", "DEP", "REG"):
            assert read(f"filosofi/FILO{year}_DISP_{level}.csv")["CODGEO"].str.startswith("00").all()
        assert read(f"filosofi/FILO{year}_DISP_METROPOLE.csv")["CODGEO"].tolist() == ["1"]
    for year in (2016, 2017, 2018, 2019, 2020):
        assert read(f"caf/data_CAF_{year}_IRIS.csv")["CODGEO"].str.fullmatch(r"000\d{6}").all()
    for v in VINTAGES:
        assert read(f"rp/base-ic-evol-struct-pop-{v}.CSV")["IRIS"].str.fullmatch(r"000\d{6}").all()
    for rel, col in (("caf_accueil/nbpla_pe_epci.csv", "numepci"), ("caf_accueil/nbpla_pe_com.csv", "numcom"),
                     ("local/structures_petite_enfance.csv", "code_commune")):
        assert read(rel)[col].str.startswith("00").all()


def test_names_are_not_real_communes(shared_data):
    real = pd.read_csv(shared_data / "geo" / "EPCI_2020_commune_to_epci.csv", sep=";",
                       dtype=str, encoding="utf-8-sig")
    real_names = {_norm(n) for n in real["LIBGEO"]}
    real_epci = {_norm(n) for n in real["LIBEPCI"]}
    epci = read("geo/EPCI_2020.csv")
    iris = read("caf/data_CAF_2016_IRIS.csv")["LIBGEO"]
    ours = set(epci["LIBGEO"]) | set(iris)
    assert not {n for n in ours if _norm(n) in real_names}
    assert not {n for n in set(epci["LIBEPCI"]) if _norm(n) in real_epci}


# ---------------------------------------------------------------------------- demo story
def test_territory_shape_and_childcare_story():
    epci = read("geo/EPCI_2020.csv")
    pop = num(read("rp/base-cc-evol-struct-pop-2013.CSV"), ["P13_POP"])["P13_POP"]
    assert len(epci) + epci["EPCI"].nunique() + 2 >= 20           # communes, EPCI, dep, région
    by_epci = pop.groupby(epci["EPCI"].values).sum()
    assert by_epci.between(5000, 40000).all() and len(by_epci) == 4
    assert (pop < 2000).sum() >= 10 and pop.between(12000, 18000).sum() == 1

    under3 = {}
    for v in VINTAGES:
        raw = read(f"rp/base-ic-evol-struct-pop-{v}.CSV")
        ic = num(raw, [f"P{v % 100:02d}_POP0002"]).iloc[:, 0]
        under3[v] = ic[raw["COM"].isin(epci.loc[epci["EPCI"] == "000000001", "CODGEO"]).values].sum()
    assert 930 <= under3[2013] <= 1030          # baseline study: about 980 children under 3
    assert under3[2013] > under3[2016] > under3[2019]

    local = read("local/structures_petite_enfance.csv")
    opened = pd.to_datetime(local["date_ouverture"])
    assert ((local["type"] == "halte-garderie") & (local["places"] == "15")).any()
    assert ((opened > "2016-12-31") & (opened < "2022-01-01") & (local["code_commune"] == "00001")).any()
    places = read("caf_accueil/nbpla_pe_epci.csv")
    a = places[places["numepci"] == "000000001"].set_index("annee")
    psu = num(a, ["pl_psu_col_epci"])["pl_psu_col_epci"]
    assert psu["2018"] == 15 and psu["2019"] > psu["2018"]
    n = num(places, ["pl_eaje_epci", "pl_prescol_epci", "pl_ind_epci", "tot_offre_epci"])
    assert close(n.iloc[:, :3].sum(axis=1), n["tot_offre_epci"])
    rates = read("caf_accueil/txcouv_pe_epci.csv")
    r = num(rates, ["txcouv_eaje_epci", "txcouv_prescol_epci", "txcouv_ind_epci", "txcouv_epci"])
    assert ((r.iloc[:, :3].sum(axis=1) - r["txcouv_epci"]).abs() <= 0.21).all()  # rounded parts
    story = r["txcouv_epci"][(rates["numepci"] == "000000001").values]
    assert story.between(30, 45).all()      # a poorly covered EPCI: why the crèche was built


def test_dossier_and_comparateur_agree():
    dossier = read("insee_dossier_complet/dossier_complet_light_dep00.csv")
    comp = read("insee_dossier_complet/base_cc_comparateur_dep00.csv")
    codes = read("geo/EPCI_2020.csv")["CODGEO"].tolist()
    assert dossier["CODGEO"].tolist() == comp["CODGEO"].tolist() == codes
    d = num(dossier, [c for c in dossier.columns if c.startswith(("P22", "P16", "C22"))])
    c = num(comp, ["P22_POP", "P16_POP", "P22_MEN", "P22_RP", "P22_LOG", "P22_RSECOCC", "P22_LOGVAC",
                   "P22_ACT1564", "ETTOT24", "ETAZ24", "ETBE24", "ETFZ24", "ETGU24", "ETOQ24"])
    ages = ["0014", "1529", "3044", "4559", "6074", "7589", "90P"]
    assert close(d[[f"P22_POP{a}" for a in ages]].sum(axis=1), c["P22_POP"])
    assert close(d["P16_POP"], c["P16_POP"])
    assert close(d[["P22_ACT1524", "P22_ACT2554", "P22_ACT5564"]].sum(axis=1), c["P22_ACT1564"])
    assert close(c["P22_MEN"], c["P22_RP"])
    assert close(c["P22_RP"] + c["P22_RSECOCC"] + c["P22_LOGVAC"], c["P22_LOG"])
    assert close(c.iloc[:, -5:].sum(axis=1), c["ETTOT24"])
    assert (comp["MED21"] == "s").any() and (comp["TP6021"] != "s").any()
