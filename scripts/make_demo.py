"""Generate the fictional offline demo territory under ``data/demo/``.

Why: a fresh clone must be able to run the whole pipeline without network access.
Every file written here imitates the raw layout (separator, encoding, BOM, line
ends, column names, secret cells) of a real INSEE / CAF file, but every code, name,
geometry and number is invented. Codes start with ``00`` so they can never collide
with real ones (région 00, département 00, communes 00001.., EPCI 000000001..).

Determinism: one seed and ``numpy.random.RandomState`` (whose streams NumPy keeps
frozen across versions), only +, -, *, / on floats, and fixed-precision formatting,
so ``python scripts/make_demo.py`` rewrites byte-identical files.

The README of ``data/demo`` is hand-written and is not produced here.
"""

from __future__ import annotations

import argparse
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SEED = 20240611
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "data" / "demo"

REG_CODE, REG_NAME = "00", "Région fictive (démo)"
DEP_CODE, DEP_NAME = "00", "Département fictif (démo)"
METRO_CODE, METRO_NAME = "1", "France métropolitaine (fictive)"
RP_VINTAGES = (2013, 2016, 2019)
ALL_VINTAGES = (2011, 2013, 2016, 2019, 2022)
CAF_YEARS = (2016, 2017, 2018, 2019, 2020)
PLACE_YEARS = (2017, 2018, 2019, 2020, 2021, 2022)
BOM = "\ufeff"
NNBSP = "\u202f"  # thousands separator of the real CAF 2016 file

# --------------------------------------------------------------------------------------
# The territory: 4 EPCI, 36 communes (name, population 2013, rurality 0..1)
# --------------------------------------------------------------------------------------
EPCIS = [
    ("000000001", "CA du Val-Imaginaire", 0.006, [
        ("Fictiville", 15200, 0.0), ("Saint-Fictif-sur-Songe", 4100, 0.45),
        ("Montchimère", 3300, 0.55), ("Belleillusion", 2800, 0.6),
        ("Quimerville", 2300, 0.65), ("Fantaisie-les-Bains", 2100, 0.7),
        ("Rêvecourt", 1900, 0.75), ("Mirageac", 1600, 0.8), ("Utopieux", 1400, 0.85),
        ("Sornette-la-Grande", 1100, 0.9)]),
    ("000000002", "CC des Coteaux de Nulle-Part", 0.002, [
        ("Nulle-Part-en-Coteaux", 4800, 0.4), ("Chimèrebourg", 3200, 0.55),
        ("Illusac", 2500, 0.65), ("Songeval", 2000, 0.7), ("Brumeloup", 1700, 0.75),
        ("Saint-Onirique", 1300, 0.8), ("Ombrelieu", 1000, 0.85),
        ("Lanterne-sur-Brume", 800, 0.9), ("Vapeurville", 600, 0.95)]),
    ("000000003", "CC du Plateau d'Ailleurs", -0.001, [
        ("Ailleurs-le-Château", 2600, 0.6), ("Lointainville", 1900, 0.7),
        ("Hypothèse", 1500, 0.75), ("Supposac", 1200, 0.8), ("Mythecourt", 1000, 0.85),
        ("Fabuleux", 900, 0.9), ("Légende-les-Prés", 700, 0.9), ("Conteval", 500, 0.95),
        ("Fablemont", 350, 1.0)]),
    ("000000004", "CC de la Vallée Songée", -0.005, [
        ("Songée-la-Vallée", 1400, 0.8), ("Rêverie-les-Songes", 1000, 0.85),
        ("Nébuleux", 800, 0.9), ("Vaporeuse", 700, 0.9), ("Fantasmagore", 550, 0.95),
        ("Irréel-sur-Ruisseau", 450, 1.0), ("Chimériac", 350, 1.0), ("Inventis", 250, 1.0)]),
]

# 6 x 6 grid of cells, north row first: which EPCI (index) each cell belongs to.
EPCI_GRID = ["DDBBBB", "DAABBB", "DAAABB", "DAAACC", "DAACCC", "DDCCCC"]
TOWN_CELL = (2, 2)  # (row from north, column): Fictiville sits in the middle of EPCI A
LON0, LAT0, DLON, DLAT = -40.0, 45.0, 0.06, 0.04  # open North Atlantic: no real place

# Fictiville IRIS: suffix, name, type, population share, youth tilt, social-housing tilt
TOWN_IRIS = [
    ("0101", "Fictiville-Centre", "H", 0.22, -0.3, 0.10),
    ("0102", "Quartier des Songes", "H", 0.24, 0.4, 0.45),
    ("0103", "Les Hauts de Fictiville", "H", 0.20, 0.1, 0.05),
    ("0104", "La Gare Imaginaire", "H", 0.17, 0.0, 0.15),
    ("0105", "Le Pré Fictif", "H", 0.17, 0.2, 0.05),
    ("9801", "Zone d'Activités des Chimères", "A", 0.0, 0.0, 0.0),
]
TOWN_ACTIVITY_POP = 23  # a handful of residents in the activity IRIS

# --------------------------------------------------------------------------------------
# Age atoms: the common refinement of every band used by the INSEE bases
# --------------------------------------------------------------------------------------
ATOMS = ["0002", "0305", "0610", "1114", "1517", "1819", "2024", "2529", "3039",
         "4044", "4554", "5559", "6064", "6574", "7579", "8089", "90P"]
BASE_SHARE = [0.0264, 0.031, 0.060, 0.049, 0.036, 0.022, 0.048, 0.052, 0.122,
              0.066, 0.136, 0.066, 0.062, 0.099, 0.038, 0.051, 0.010]
AGE_TILT = [-1.2, -1.0, -0.8, -0.5, -0.3, -0.3, -0.4, -0.5, -0.6,
            -0.4, -0.2, 0.3, 0.6, 1.0, 1.1, 1.0, 1.5]
RURAL_TILT = [-0.1, -0.05, 0.0, 0.0, 0.0, -0.3, -0.6, -0.5, -0.3,
              0.0, 0.05, 0.2, 0.25, 0.35, 0.3, 0.25, 0.2]
YOUTH_TILT = [0.6, 0.5, 0.4, 0.3, 0.2, 0.3, 0.5, 0.6, 0.4,
              0.1, -0.1, -0.3, -0.4, -0.5, -0.5, -0.5, -0.5]
FEMALE_SHARE = [0.488, 0.488, 0.49, 0.49, 0.49, 0.49, 0.495, 0.5, 0.505,
                0.505, 0.505, 0.51, 0.515, 0.53, 0.56, 0.62, 0.75]

BANDS = {
    "0002": ["0002"], "0305": ["0305"], "0610": ["0610"], "1117": ["1114", "1517"],
    "1824": ["1819", "2024"], "2539": ["2529", "3039"], "4054": ["4044", "4554"],
    "5564": ["5559", "6064"], "6579": ["6574", "7579"], "80P": ["8089", "90P"],
    "0014": ["0002", "0305", "0610", "1114"], "1529": ["1517", "1819", "2024", "2529"],
    "3044": ["3039", "4044"], "4559": ["4554", "5559"], "6074": ["6064", "6574"],
    "75P": ["7579", "8089", "90P"], "7589": ["7579", "8089"], "90P": ["90P"],
    "0019": ["0002", "0305", "0610", "1114", "1517", "1819"],
    "2064": ["2024", "2529", "3039", "4044", "4554", "5559", "6064"],
    "65P": ["6574", "7579", "8089", "90P"], "15P": ATOMS[4:],
    "1519": ["1517", "1819"], "2024": ["2024"], "1524": ["1517", "1819", "2024"],
    "2554": ["2529", "3039", "4044", "4554"], "1564": ATOMS[4:13],
}
FINE = ["0002", "0305", "0610", "1117", "1824", "2539", "4054", "5564", "6579", "80P"]
BROAD_IRIS = ["0014", "1529", "3044", "4559", "6074", "75P"]
BROAD_COM = ["0014", "1529", "3044", "4559", "6074", "7589", "90P"]
FAM_BANDS = ["1519", "2024", "2539", "4054", "5564", "6579", "80P"]


@dataclass
class Unit:
    """A statistical unit: an IRIS of Fictiville, or a whole non-irisé commune."""
    code: str            # 9-character IRIS code
    name: str
    typ: str             # H, A or Z
    com: str
    pop: dict = field(default_factory=dict)      # vintage -> integer population
    men: dict = field(default_factory=dict)      # vintage -> atom -> male count
    women: dict = field(default_factory=dict)    # vintage -> atom -> female count
    extra: dict = field(default_factory=dict)    # vintage -> derived variables
    youth: float = 0.0
    hlm: float = 0.0
    noise: list = field(default_factory=list)    # per-atom structural noise
    fem: list = field(default_factory=list)      # per-atom female share


@dataclass
class Commune:
    code: str
    name: str
    epci: str
    epci_name: str
    rural: float
    pop2013: int
    growth: float
    units: list = field(default_factory=list)
    ring: list = field(default_factory=list)
    area_km2: float = 0.0


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------
class Rng:
    """Seeded draws as plain Python floats (RandomState streams are frozen)."""

    def __init__(self, seed: int):
        self._state = np.random.RandomState(seed)

    def u(self, low: float, high: float) -> float:
        return float(self._state.uniform(low, high))

    def jitter(self, scale: float) -> float:
        return 1.0 + self.u(-scale, scale)


class Blend:
    """Territory-stable draws with a little per-vintage noise.

    Structural traits (owners' share, household size...) must persist from one
    vintage to the next; only ``noise`` changes between calls for different years.
    """

    def __init__(self, key: str, salt: int, noise: Rng):
        self.stable = Rng(SEED + salt + zlib.crc32(key.encode("utf-8")))
        self.noise = noise

    def u(self, low: float, high: float) -> float:
        return self.stable.u(low, high)

    def jitter(self, scale: float) -> float:
        return self.stable.jitter(scale) * self.noise.jitter(0.2 * scale)


def powi(base: float, exponent: int) -> float:
    """Integer power by repeated products: exact IEEE arithmetic, no libm."""
    result = 1.0
    for _ in range(abs(exponent)):
        result *= base
    return result if exponent >= 0 else 1.0 / result


def g(x: float) -> str:
    """RP-style count: up to 13 significant digits, decimal point."""
    text = f"{x:.13g}"
    return "0" if text == "-0" else text


def dec(x: float, digits: int = 1) -> str:
    """French decimal comma with a fixed number of decimals."""
    return f"{x:.{digits}f}".replace(".", ",")


def fl(x: float) -> str:
    """pandas-like float text of the dossier complet extract ('34.0', '57.06')."""
    if float(x).is_integer():
        return f"{x:.1f}"
    return f"{x:.15g}"


def band(atoms: dict, name: str) -> float:
    total = 0.0
    for key in BANDS[name]:
        total += atoms[key]
    return total


def add(a: dict, b: dict) -> dict:
    """Atom-wise sum in ATOMS order (a set order would vary with PYTHONHASHSEED)."""
    return {k: a.get(k, 0.0) + b.get(k, 0.0) for k in ATOMS}


def csv_text(header: list, rows: list, *, bom: bool, eol: str = "\r\n") -> bytes:
    lines = [";".join(header)] + [";".join(r) for r in rows]
    return ((BOM if bom else "") + eol.join(lines) + eol).encode("utf-8")


# --------------------------------------------------------------------------------------
# Territory, geometry
# --------------------------------------------------------------------------------------
def build_communes(rng: Rng) -> list:
    """Codes 00001.. in EPCI order; growth per EPCI with a commune-level wobble."""
    communes, number = [], 1
    for siren, epci_name, growth, members in EPCIS:
        for name, pop, rural in members:
            communes.append(Commune(code=f"{number:05d}", name=name, epci=siren,
                                    epci_name=epci_name, rural=rural, pop2013=pop,
                                    growth=growth + rng.u(-0.003, 0.003)))
            number += 1
    return communes


def build_geometry(communes: list, rng: Rng) -> None:
    """Jittered 6x6 quadrilateral mesh with wiggly shared edges: cells tile exactly."""
    nrow, ncol = len(EPCI_GRID), len(EPCI_GRID[0])
    vert = {}
    for i in range(nrow + 1):          # i counts rows from the south
        for j in range(ncol + 1):
            vert[i, j] = (LON0 + (j + rng.u(-0.22, 0.22)) * DLON,
                          LAT0 + (i + rng.u(-0.22, 0.22)) * DLAT)
    edges = {}

    def edge(a, b):
        key = (a, b) if a < b else (b, a)
        if key not in edges:
            (x0, y0), (x1, y1) = vert[key[0]], vert[key[1]]
            nx, ny = -(y1 - y0), (x1 - x0)
            pts = []
            for t in (1 / 3, 2 / 3):
                off = rng.u(-0.09, 0.09)
                pts.append((x0 + t * (x1 - x0) + off * nx, y0 + t * (y1 - y0) + off * ny))
            edges[key] = pts
        pts = edges[key]
        return pts if key == (a, b) else pts[::-1]

    letters = "ABCD"
    cells = {k: [] for k in letters}
    for r, line in enumerate(EPCI_GRID):
        for c, letter in enumerate(line):
            cells[letter].append((r, c))
    by_epci = {}
    for com in communes:
        by_epci.setdefault(com.epci, []).append(com)
    for index, (siren, *_rest) in enumerate(EPCIS):
        slots = cells[letters[index]]
        if index == 0:
            slots = [TOWN_CELL] + [s for s in slots if s != TOWN_CELL]
        for com, (r, c) in zip(by_epci[siren], slots):
            i = nrow - 1 - r
            corners = [(i, c), (i, c + 1), (i + 1, c + 1), (i + 1, c)]
            ring = []
            for k in range(4):
                a, b = corners[k], corners[(k + 1) % 4]
                ring.append(vert[a])
                ring.extend(edge(a, b))
            ring.append(ring[0])
            com.ring = [(round(x, 6), round(y, 6)) for x, y in ring]
            com.area_km2 = ring_area_km2(com.ring)


def ring_area_km2(ring: list) -> float:
    """Shoelace area on a local equirectangular projection (good enough at this scale)."""
    kx, ky = 111.32 * 0.7071, 110.57  # cos(45°) is about 0.7071
    s = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        s += (x0 * kx) * (y1 * ky) - (x1 * kx) * (y0 * ky)
    return abs(s) / 2.0


# --------------------------------------------------------------------------------------
# Population model
# --------------------------------------------------------------------------------------
def build_units(communes: list) -> None:
    for com in communes:
        if com.code == "00001":
            for suffix, name, typ, _share, youth, hlm in TOWN_IRIS:
                com.units.append(Unit(code=com.code + suffix, name=name, typ=typ,
                                      com=com.code, youth=youth, hlm=hlm))
        else:
            com.units.append(Unit(code=com.code + "0000", name=com.name, typ="Z",
                                  com=com.code, hlm=0.03 * (1.0 - com.rural)))


def commune_pops(com: Commune, rng: Rng) -> dict:
    pops = {}
    for v in ALL_VINTAGES:
        factor = powi(1.0 + com.growth, v - 2013) if v >= 2013 else 1.0 / powi(1.0 + com.growth, 2013 - v)
        pops[v] = int(com.pop2013 * factor * rng.jitter(0.004) + 0.5)
    return pops


def split_town(total: int, rng: Rng) -> list:
    """Integer split of Fictiville across its IRIS (activity IRIS gets a handful)."""
    habitat = total - TOWN_ACTIVITY_POP
    shares = [s * rng.jitter(0.03) for _, _, typ, s, _, _ in TOWN_IRIS if typ == "H"]
    norm = sum(shares)
    parts = [int(habitat * s / norm) for s in shares]
    parts[0] += habitat - sum(parts)
    return parts + [TOWN_ACTIVITY_POP]


def age_shares(unit: Unit, rural: float, vintage: int, noise: list) -> list:
    shares = []
    for k in range(len(ATOMS)):
        m = (1.0 + 0.012 * (vintage - 2013) * AGE_TILT[k]) * (1.0 + 0.25 * rural * RURAL_TILT[k])
        m *= (1.0 + 0.3 * unit.youth * YOUTH_TILT[k]) * noise[k]
        shares.append(BASE_SHARE[k] * m)
    total = sum(shares)
    return [s / total for s in shares]


def fill_population(communes: list, rng: Rng) -> None:
    for com in communes:
        pops = commune_pops(com, rng)
        for unit in com.units:
            unit.noise = [rng.jitter(0.08) for _ in ATOMS]
            unit.fem = [f * rng.jitter(0.02) for f in FEMALE_SHARE]
        for v in ALL_VINTAGES:
            parts = split_town(pops[v], rng) if len(com.units) > 1 else [pops[v]]
            for unit, p in zip(com.units, parts):
                unit.pop[v] = p
                shares = age_shares(unit, com.rural, v, unit.noise)
                unit.men[v], unit.women[v] = {}, {}
                for k, atom in enumerate(ATOMS):
                    n = p * shares[k]
                    women = n * unit.fem[k]
                    unit.women[v][atom] = women
                    unit.men[v][atom] = n - women


def atoms_of(unit_or_units, v: int) -> tuple:
    units = unit_or_units if isinstance(unit_or_units, list) else [unit_or_units]
    men, women = {}, {}
    for u in units:
        men, women = add(men, u.men[v]), add(women, u.women[v])
    return men, women, add(men, women)


# --------------------------------------------------------------------------------------
# Census variables (RP)
# --------------------------------------------------------------------------------------
CS_SHARES_TOWN = [0.003, 0.035, 0.09, 0.15, 0.17, 0.14, 0.27, 0.142]
CS_SHARES_RURAL = [0.04, 0.045, 0.06, 0.13, 0.15, 0.16, 0.33, 0.085]
CS_MALE = [0.72, 0.68, 0.58, 0.48, 0.24, 0.80, 0.47, 0.38]


def pop_extra(unit: Unit, rural: float, v: int, rng: Rng) -> dict:
    """Unit-level variables of the population base (IRIS dictionary list)."""
    rng = Blend(unit.code, 2000, rng)
    men, women, tot = atoms_of(unit, v)
    p = float(unit.pop[v])
    hormen_share = (0.035 if unit.name == "Fictiville-Centre" else 0.008) * rng.jitter(0.3)
    if unit.typ == "A":
        hormen_share = 0.0
    out = {"PHORMEN": p * hormen_share}
    out["PMEN"] = p - out["PHORMEN"]
    etr = p * (0.012 + 0.03 * (1 - rural) + 0.04 * unit.hlm) * rng.jitter(0.2)
    out["POP_ETR"], out["POP_FR"] = etr, p - etr
    out["POP_IMM"] = etr * 1.45 * rng.jitter(0.1)
    c15 = band(tot, "15P") * rng.jitter(0.01)
    out["C_POP15P"] = c15
    mix = [(1 - rural) * a + rural * b for a, b in zip(CS_SHARES_TOWN, CS_SHARES_RURAL)]
    mix = [m * rng.jitter(0.12) for m in mix]
    norm = sum(mix)
    cs = [c15 * m / norm for m in mix]
    cs_h = [c * CS_MALE[k] * rng.jitter(0.05) for k, c in enumerate(cs)]
    out["CS"], out["CS_H"] = cs, cs_h
    out["CS_F"] = [c - h for c, h in zip(cs, cs_h)]
    return out


def iris_pop_values(unit: Unit, v: int) -> list:
    men, women, tot = atoms_of(unit, v)
    x = unit.extra[v]
    vals = [float(unit.pop[v])] + [band(tot, b) for b in FINE] + [band(tot, b) for b in BROAD_IRIS]
    vals += [band(tot, b) for b in ("0019", "2064", "65P")]
    for atoms in (men, women):
        vals += [sum(atoms.values())] + [band(atoms, b) for b in BROAD_IRIS]
        vals += [band(atoms, b) for b in ("0019", "2064", "65P")]
    vals += [x["C_POP15P"]] + x["CS"] + [sum(x["CS_H"])] + x["CS_H"] + [sum(x["CS_F"])] + x["CS_F"]
    vals += [x["POP_FR"], x["POP_ETR"], x["POP_IMM"], x["PMEN"], x["PHORMEN"]]
    return vals


def iris_pop_columns(yy: str) -> list:
    p, c = f"P{yy}_", f"C{yy}_"
    cols = [p + "POP"] + [p + "POP" + b for b in FINE + BROAD_IRIS + ["0019", "2064", "65P"]]
    for s in ("H", "F"):
        cols += [p + "POP" + s] + [p + s + b for b in BROAD_IRIS + ["0019", "2064", "65P"]]
    cols += [c + "POP15P"] + [f"{c}POP15P_CS{k}" for k in range(1, 9)]
    cols += [c + "H15P"] + [f"{c}H15P_CS{k}" for k in range(1, 9)]
    cols += [c + "F15P"] + [f"{c}F15P_CS{k}" for k in range(1, 9)]
    cols += [p + x for x in ("POP_FR", "POP_ETR", "POP_IMM", "PMEN", "PHORMEN")]
    return cols


def com_pop_columns(yy: str) -> list:
    p, c = f"P{yy}_", f"C{yy}_"
    cols = [p + "POP"] + [p + "POP" + b for b in BROAD_COM]
    for s in ("H", "F"):
        cols += [p + "POP" + s] + [p + s + b for b in BROAD_COM + ["0019", "2064", "65P"]]
    cols += [c + "POP15P"] + [f"{c}POP15P_CS{k}" for k in range(1, 9)]
    return cols


def com_pop_values(com: Commune, v: int) -> list:
    men, women, tot = atoms_of(com.units, v)
    vals = [float(sum(u.pop[v] for u in com.units))] + [band(tot, b) for b in BROAD_COM]
    for atoms in (men, women):
        vals += [sum(atoms.values())] + [band(atoms, b) for b in BROAD_COM + ["0019", "2064", "65P"]]
    c15 = sum(u.extra[v]["C_POP15P"] for u in com.units)
    cs = [sum(u.extra[v]["CS"][k] for u in com.units) for k in range(8)]
    return vals + [c15] + cs


def household_model(com: Commune, v: int, rng: Rng) -> dict:
    """Households, families, dwellings and activity of one commune for one vintage."""
    rng = Blend(com.code, 3000, rng)
    men, women, tot = atoms_of(com.units, v)
    pmen = sum(u.extra[v]["PMEN"] for u in com.units)
    phormen = sum(u.extra[v]["PHORMEN"] for u in com.units)
    town = 1.0 - com.rural
    hlm = sum(u.hlm * u.pop[v] for u in com.units) / max(1, sum(u.pop[v] for u in com.units))
    size = (2.42 - 0.28 * town - 0.012 * (v - 2013)) * rng.jitter(0.03)
    m = {"PMEN": pmen, "MEN": pmen / size}
    # -- families (exploitation complémentaire: C_ values drift a little from P_ ones)
    cmen = m["MEN"] * rng.jitter(0.006)
    hormen_band = {"80P": 0.72 * phormen, "2024": 0.14 * phormen, "6579": 0.14 * phormen}
    alone_rate = {"1519": 0.02, "2024": 0.14, "2539": 0.17, "4054": 0.13,
                  "5564": 0.19, "6579": 0.26, "80P": 0.44}
    fam = {}
    for b in FAM_BANDS:
        pb = band(tot, b)
        popmen = pb - min(hormen_band.get(b, 0.0), 0.6 * pb)
        fam["POP" + b] = pb
        fam["POPMEN" + b] = popmen
        fam["POP" + b + "_PSEUL"] = popmen * alone_rate[b] * (0.8 + 0.45 * town) * rng.jitter(0.1)
    alone = sum(fam["POP" + b + "_PSEUL"] for b in FAM_BANDS)
    c = {"MEN": cmen, "MENPSEUL": alone * rng.jitter(0.02)}
    c["MENHSEUL"] = c["MENPSEUL"] * 0.44 * rng.jitter(0.05)
    c["MENFSEUL"] = c["MENPSEUL"] - c["MENHSEUL"]
    c["MENSFAM"] = cmen * 0.025 * rng.jitter(0.3)
    c["MENFAM"] = cmen - c["MENPSEUL"] - c["MENSFAM"]
    mono = (0.11 + 0.07 * town + 0.12 * hlm) * rng.jitter(0.1)
    with_kids = (0.44 - 0.06 * com.rural - 0.01 * (v - 2013) / 3) * rng.jitter(0.05)
    c["MENFAMMONO"] = c["MENFAM"] * mono
    c["MENCOUPAENF"] = c["MENFAM"] * with_kids
    c["MENCOUPSENF"] = c["MENFAM"] - c["MENFAMMONO"] - c["MENCOUPAENF"]
    cpmen = pmen * rng.jitter(0.005)
    c["PMEN"] = cpmen
    c["PMEN_MENPSEUL"], c["PMEN_MENHSEUL"], c["PMEN_MENFSEUL"] = (
        c["MENPSEUL"], c["MENHSEUL"], c["MENFSEUL"])
    c["PMEN_MENSFAM"] = c["MENSFAM"] * 2.2 * rng.jitter(0.05)
    c["PMEN_MENFAM"] = cpmen - c["PMEN_MENPSEUL"] - c["PMEN_MENSFAM"]
    c["PMEN_MENCOUPSENF"] = c["MENCOUPSENF"] * 2.04 * rng.jitter(0.01)
    c["PMEN_MENFAMMONO"] = c["MENFAMMONO"] * 2.55 * rng.jitter(0.03)
    c["PMEN_MENCOUPAENF"] = c["PMEN_MENFAM"] - c["PMEN_MENCOUPSENF"] - c["PMEN_MENFAMMONO"]
    extra_fam = 1.0 + rng.u(0.0, 0.03)
    c["COUPAENF"] = c["MENCOUPAENF"] * extra_fam
    c["FAMMONO"] = c["MENFAMMONO"] * extra_fam
    c["COUPSENF"] = c["MENCOUPSENF"] * extra_fam
    c["FAM"] = c["COUPAENF"] + c["FAMMONO"] + c["COUPSENF"]
    c["HMONO"] = c["FAMMONO"] * 0.16 * rng.jitter(0.2)
    c["FMONO"] = c["FAMMONO"] - c["HMONO"]
    kids = (c["COUPAENF"] + c["FAMMONO"]) * 0.9
    split = [0.44 * rng.jitter(0.05), 0.38 * rng.jitter(0.05), 0.135 * rng.jitter(0.1),
             0.045 * rng.jitter(0.2)]
    total = sum(split)
    for k, name in enumerate(("NE24F1", "NE24F2", "NE24F3", "NE24F4P")):
        c[name] = kids * split[k] / total
    c["NE24F0"] = c["FAM"] - c["NE24F1"] - c["NE24F2"] - c["NE24F3"] - c["NE24F4P"]
    # -- dwellings (exploitation principale)
    lg = {"RP": m["MEN"], "MEN": m["MEN"], "PMEN": pmen}
    rsec = (0.02 + 0.09 * com.rural) * rng.jitter(0.25)
    vac = (0.065 + 0.02 * com.rural + 0.003 * (v - 2013)) * rng.jitter(0.15)
    lg["LOG"] = lg["RP"] / (1.0 - rsec - vac)
    lg["RSECOCC"] = lg["LOG"] * rsec
    lg["LOGVAC"] = lg["LOG"] - lg["RP"] - lg["RSECOCC"]
    maison = (0.52 + 0.42 * com.rural) * rng.jitter(0.03)
    lg["MAISON"] = lg["LOG"] * min(maison, 0.97)
    lg["APPART"] = (lg["LOG"] - lg["MAISON"]) * (0.985 * rng.jitter(0.005))
    rooms = [0.02 + 0.06 * town, 0.07 + 0.06 * town, 0.16 + 0.04 * town, 0.25, 0.0]
    rooms = [r * rng.jitter(0.1) for r in rooms[:4]]
    rooms.append(1.0 - sum(rooms))
    for k, name in enumerate(("RP_1P", "RP_2P", "RP_3P", "RP_4P", "RP_5PP")):
        lg[name] = lg["RP"] * rooms[k]
    lg["NBPI_RP"] = sum(lg[n] * w for n, w in zip(
        ("RP_1P", "RP_2P", "RP_3P", "RP_4P", "RP_5PP"), (1, 2, 3, 4, 5.7)))
    prop = (0.80 - 0.22 * town - 0.3 * hlm) * rng.jitter(0.04)
    grat = 0.015 * rng.jitter(0.3)
    lg["RP_PROP"] = lg["RP"] * prop
    lg["RP_GRAT"] = lg["RP"] * grat
    lg["RP_LOC"] = lg["RP"] - lg["RP_PROP"] - lg["RP_GRAT"]
    lg["RP_LOCHLMV"] = min(lg["RP"] * (0.02 + 0.9 * hlm) * rng.jitter(0.1), 0.9 * lg["RP_LOC"])
    weights = {"PROP": 2.3, "LOC": 1.95, "GRAT": 1.8}
    raw = {k: lg["RP_" + k] * w for k, w in weights.items()}
    scale = pmen / sum(raw.values())
    lg["NPER_RP"] = pmen
    lg["NPER_RP_PROP"], lg["NPER_RP_GRAT"] = raw["PROP"] * scale, raw["GRAT"] * scale
    lg["NPER_RP_LOC"] = pmen - lg["NPER_RP_PROP"] - lg["NPER_RP_GRAT"]
    lg["NPER_RP_LOCHLMV"] = lg["RP_LOCHLMV"] * 2.15 * rng.jitter(0.03)
    lg["RP_VOIT1P"] = lg["RP"] * (0.80 + 0.14 * com.rural) * rng.jitter(0.02)
    lg["RP_VOIT1"] = lg["RP_VOIT1P"] * (0.52 - 0.12 * com.rural) * rng.jitter(0.04)
    lg["RP_VOIT2P"] = lg["RP_VOIT1P"] - lg["RP_VOIT1"]
    # -- activity
    act = {}
    rates = {"1524": (0.44, 0.37), "2554": (0.93, 0.86), "5564": (0.55, 0.50)}
    unemp = {"1524": 0.19, "2554": 0.085, "5564": 0.075}
    trend = 0.004 * (v - 2013)
    for sex, atoms, idx in (("H", men, 0), ("F", women, 1)):
        for b in ("1524", "2554", "5564"):
            popb = band(atoms, b) if b != "5564" else band(atoms, "5564")
            rate = min(0.97, (rates[b][idx] + (trend if b == "5564" else 0.0)) * rng.jitter(0.03))
            a = popb * rate
            ch = a * unemp[b] * (1.0 + 0.5 * town + 0.8 * hlm) * rng.jitter(0.12)
            act[f"{sex}{b}"], act[f"{sex}ACT{b}"], act[f"{sex}CHOM{b}"] = popb, a, ch
            act[f"{sex}ACTOCC{b}"] = a - ch
    return {"m": m, "fam": fam, "c": c, "lg": lg, "act": act, "tot": tot}


FAM_C_ORDER = ["MEN", "MENPSEUL", "MENHSEUL", "MENFSEUL", "MENSFAM", "MENFAM",
               "MENCOUPSENF", "MENCOUPAENF", "MENFAMMONO", "PMEN", "PMEN_MENPSEUL",
               "PMEN_MENHSEUL", "PMEN_MENFSEUL", "PMEN_MENSFAM", "PMEN_MENFAM",
               "PMEN_MENCOUPSENF", "PMEN_MENCOUPAENF", "PMEN_MENFAMMONO"]
FAM_C_TAIL = ["FAM", "COUPAENF", "FAMMONO", "HMONO", "FMONO", "COUPSENF",
              "NE24F0", "NE24F1", "NE24F2", "NE24F3", "NE24F4P"]
LOG_ORDER = ["LOG", "RP", "RSECOCC", "LOGVAC", "MAISON", "APPART", "RP_1P", "RP_2P",
             "RP_3P", "RP_4P", "RP_5PP", "NBPI_RP", "MEN", "PMEN", "RP_PROP", "RP_LOC",
             "RP_LOCHLMV", "RP_GRAT", "NPER_RP", "NPER_RP_PROP", "NPER_RP_LOC",
             "NPER_RP_LOCHLMV", "NPER_RP_GRAT", "RP_VOIT1P", "RP_VOIT1", "RP_VOIT2P"]


def fam_columns(yy: str) -> list:
    p, c = f"P{yy}_", f"C{yy}_"
    cols = [c + n for n in FAM_C_ORDER] + [p + "POP15P"] + [p + "POP" + b for b in FAM_BANDS]
    cols += [p + "POPMEN" + b for b in FAM_BANDS] + [p + "POP" + b + "_PSEUL" for b in FAM_BANDS]
    return cols + [c + n for n in FAM_C_TAIL]


def fam_values(h: dict) -> list:
    vals = [h["c"][n] for n in FAM_C_ORDER] + [band(h["tot"], "15P")]
    vals += [h["fam"]["POP" + b] for b in FAM_BANDS] + [h["fam"]["POPMEN" + b] for b in FAM_BANDS]
    vals += [h["fam"]["POP" + b + "_PSEUL"] for b in FAM_BANDS]
    return vals + [h["c"][n] for n in FAM_C_TAIL]


def act_columns(yy: str) -> list:
    p = f"P{yy}_"
    cols = [p + "POP1564", p + "POP1524", p + "POP2554"]
    cols += [p + f"{s}{b}" for s in "HF" for b in ("1564", "1524", "2554", "5564")]
    for kind in ("ACT", "ACTOCC"):
        cols += [p + kind + b for b in ("1564", "1524", "2554", "5564")]
        cols += [p + s + kind + b for s in "HF" for b in ("1564", "1524", "2554", "5564")]
    cols += [p + "CHOM1564"] + [p + s + "CHOM" + b for s in "HF" for b in ("1564", "1524", "2554", "5564")]
    return cols + [p + "INACT1564", p + "ETUD1564", p + "RETR1564", p + "AINACT1564"]


def act_table(h: dict) -> dict:
    """All activity variables, including the 15-64 totals built from the bands."""
    a = dict(h["act"])
    for key in ("", "ACT", "ACTOCC", "CHOM"):
        for s in "HF":
            a[f"{s}{key}1564"] = sum(a[f"{s}{key}{b}"] for b in ("1524", "2554", "5564"))
        for b in ("1524", "2554", "5564", "1564"):
            a[f"{key}{b}"] = a[f"H{key}{b}"] + a[f"F{key}{b}"]
    a["INACT1564"] = a["1564"] - a["ACT1564"]
    inact = {b: a[b] - a["ACT" + b] for b in ("1524", "2554", "5564")}
    a["ETUD1564"] = 0.86 * inact["1524"] + 0.02 * inact["2554"]
    a["RETR1564"] = 0.72 * inact["5564"]
    a["AINACT1564"] = a["INACT1564"] - a["ETUD1564"] - a["RETR1564"]
    return a


def act_values(h: dict) -> list:
    a = act_table(h)
    vals = [a["1564"], a["1524"], a["2554"]]
    vals += [a[f"{s}{b}"] for s in "HF" for b in ("1564", "1524", "2554", "5564")]
    for kind in ("ACT", "ACTOCC"):
        vals += [a[kind + b] for b in ("1564", "1524", "2554", "5564")]
        vals += [a[s + kind + b] for s in "HF" for b in ("1564", "1524", "2554", "5564")]
    vals += [a["CHOM1564"]] + [a[s + "CHOM" + b] for s in "HF" for b in ("1564", "1524", "2554", "5564")]
    return vals + [a["INACT1564"], a["ETUD1564"], a["RETR1564"], a["AINACT1564"]]


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------
def write(out: Path, rel: str, data: bytes, written: list) -> None:
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    written.append(rel)


def write_geo(out: Path, communes: list, written: list) -> None:
    rows = [[c.code, c.name, c.epci, c.epci_name, DEP_CODE, REG_CODE] for c in communes]
    write(out, "geo/EPCI_2020.csv",
          csv_text(["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"], rows, bom=True),
          written)
    lines = ['{', '"type": "FeatureCollection",', '"name": "communes_dep00",',
             '"crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:OGC:1.3:CRS84" } },',
             '"features": [']
    feats = []
    for c in communes:
        props = json.dumps({"INSEE_COM": c.code, "NOM": c.name, "SIREN_EPCI": c.epci},
                           ensure_ascii=False, separators=(", ", ": "))
        coords = ", ".join(f"[ {x:.6f}, {y:.6f} ]" for x, y in c.ring)
        feats.append('{ "type": "Feature", "properties": ' + props.replace("{", "{ ", 1)[:-1]
                     + ' }, "geometry": { "type": "MultiPolygon", "coordinates": [ [ [ '
                     + coords + ' ] ] ] } }')
    lines.append(",\n".join(feats))
    lines += [']', '}']
    write(out, "geo/communes_dep00.geojson", ("\n".join(lines) + "\n").encode("utf-8"), written)


def write_rp(out: Path, communes: list, households: dict, written: list) -> None:
    ids = ["CODGEO", "REG", "DEP", "LIBGEO"]
    for v in RP_VINTAGES:
        yy = f"{v % 100:02d}"
        base = [[c.code, REG_CODE, DEP_CODE, c.name] for c in communes]
        tables = {
            "evol-struct-pop": (com_pop_columns(yy), [com_pop_values(c, v) for c in communes]),
            "coupl-fam-men": (fam_columns(yy), [fam_values(households[c.code, v]) for c in communes]),
            "logement": ([f"P{yy}_{n}" for n in LOG_ORDER],
                         [[households[c.code, v]["lg"][n] for n in LOG_ORDER] for c in communes]),
            "emploi-pop-active": (act_columns(yy), [act_values(households[c.code, v]) for c in communes]),
        }
        for theme, (cols, values) in tables.items():
            rows = [b + [g(x) for x in vals] for b, vals in zip(base, values)]
            write(out, f"rp/base-cc-{theme}-{v}.CSV", csv_text(ids + cols, rows, bom=False), written)
        write(out, f"rp/base-ic-evol-struct-pop-{v}.CSV", iris_file(communes, v), written)


def iris_file(communes: list, v: int) -> bytes:
    yy = f"{v % 100:02d}"
    if v >= 2019:
        ids = ["IRIS", "COM", "TYP_IRIS", "LAB_IRIS"]
    else:
        ids = ["IRIS", "REG", "DEP", "UU2010", "COM", "LIBCOM", "TRIRIS", "GRD_QUART",
               "LIBIRIS", "TYP_IRIS", "MODIF_IRIS", "LAB_IRIS"]
    rows = []
    for c in communes:
        for u in c.units:
            lab = {"H": "1", "A": "3", "Z": "5"}[u.typ]
            if v >= 2019:
                idv = [u.code, c.code, u.typ, lab]
            else:
                uu = "00201" if c.code == "00001" else "00000"
                triris = "000010" if c.code == "00001" else "ZZZZZZ"
                idv = [u.code, REG_CODE, DEP_CODE, uu, c.code, c.name, triris,
                       c.code + "01", u.name, u.typ, "00", lab]
            rows.append(idv + [g(x) for x in iris_pop_values(u, v)])
    return csv_text(ids + iris_pop_columns(yy), rows, bom=False)


# --------------------------------------------------------------------------------------
# FiLoSoFi DISP
# --------------------------------------------------------------------------------------
FILO_RATIOS = {"D1": 0.555, "D2": 0.69, "D3": 0.80, "D4": 0.90, "D6": 1.105, "D7": 1.225,
               "D8": 1.385, "D9": 1.72, "Q1": 0.745, "Q3": 1.30}


def filo_header(yy: str) -> list:
    return (["CODGEO", "LIBGEO", f"NBMEN{yy}", f"NBPERS{yy}", f"NBUC{yy}", f"Q1{yy}", f"Q2{yy}",
             f"Q3{yy}", "Q3_Q1"] + [f"D{k}{yy}" for k in (1, 2, 3, 4, 6, 7, 8, 9)]
            + ["RD", f"S80S20{yy}", f"GI{yy}"]
            + [f"P{n}{yy}" for n in ("ACT", "TSA", "CHO", "BEN", "PEN", "PAT", "PSOC",
                                     "PFAM", "PMINI", "PLOGT", "IMPOT")])


def filo_profile(rng: Rng, code: str, median: float, spread: float, social: float) -> dict:
    """Full distribution for one territory; spread > 1 widens it."""
    rng = Blend(code, 5000, rng)
    prof = {"Q2": median}
    for key, ratio in FILO_RATIOS.items():
        stretch = 1.0 + (ratio - 1.0) * spread
        prof[key] = median * stretch * rng.jitter(0.01)
    tsa, cho, ben = 62.0 * rng.jitter(0.05), 3.0 * rng.jitter(0.15), 5.5 * rng.jitter(0.2)
    fam_, mini, logt = (1.8 + social) * rng.jitter(0.1), (1.4 + 2 * social) * rng.jitter(0.1), \
        (1.0 + 2 * social) * rng.jitter(0.1)
    prof.update(TSA=tsa, CHO=cho, BEN=ben, PEN=29.0 * rng.jitter(0.08), PAT=9.0 * rng.jitter(0.15),
                FAM=fam_, MINI=mini, LOGT=logt, GI=0.25 * spread * rng.jitter(0.04))
    return prof


def filo_row(code: str, name: str, nbmen: float, nbpers: float, prof: dict, year: int) -> list:
    """One DISP row. ``prof`` with only Q2 gives a small commune's row: the other
    indicators are left empty (secret), as in the real COM file."""
    step = 10 if year >= 2019 else 1          # 2019 euro values are rounded to 10
    q = {k: int(v / step + 0.5) * step for k, v in prof.items() if k in FILO_RATIOS or k == "Q2"}
    row = [code, name, f"{int(nbmen + 0.5)}", f"{int(nbpers + 0.5)}", dec(nbpers * 0.685)]
    if "D1" not in prof:
        return row + ["", f"{q['Q2']}"] + [""] * 24
    row += [f"{q['Q1']}", f"{q['Q2']}", f"{q['Q3']}", f"{q['Q3'] - q['Q1']}"]
    row += [f"{q[f'D{k}']}" for k in (1, 2, 3, 4, 6, 7, 8, 9)]
    rd = q["D9"] / q["D1"]
    s80 = rd * 1.24
    if year >= 2019:                          # published to 0.1, printed with 3 decimals
        s80 = float(dec(s80).replace(",", "."))
    row += [dec(rd), dec(s80, 3), dec(prof["GI"], 3)]
    shares = {k: float(dec(prof[k]).replace(",", ".")) for k in
              ("TSA", "CHO", "BEN", "PEN", "PAT", "FAM", "MINI", "LOGT")}
    pact = shares["TSA"] + shares["CHO"] + shares["BEN"]
    psoc = shares["FAM"] + shares["MINI"] + shares["LOGT"]
    impot = 100.0 - (pact + shares["PEN"] + shares["PAT"] + psoc)
    row += [dec(pact), dec(shares["TSA"]), dec(shares["CHO"]), dec(shares["BEN"]),
            dec(shares["PEN"]), dec(shares["PAT"]), dec(psoc), dec(shares["FAM"]),
            dec(shares["MINI"]), dec(shares["LOGT"]), dec(impot)]
    return row


def write_filo(out: Path, communes: list, households: dict, rng: Rng, written: list) -> dict:
    """FILO20YY_DISP_{COM,EPCI,DEP,REG,METROPOLE}.csv; returns commune medians for reuse."""
    base_median = {"000000001": 21300.0, "000000002": 22100.0, "000000003": 20200.0,
                   "000000004": 19500.0}
    medians = {c.code: base_median[c.epci] * rng.jitter(0.06) for c in communes}
    for year, growth in ((2016, 1.0), (2019, 1.052)):
        yy = f"{year % 100:02d}"
        com_rows, agg = [], {}
        for c in communes:
            h = households[c.code, year]      # RP vintage of the same year
            nbmen, nbpers = h["m"]["MEN"] * 0.985, h["m"]["PMEN"] * 0.988
            med = medians[c.code] * growth
            for key in (c.epci, DEP_CODE):
                a = agg.setdefault(key, [0.0, 0.0, 0.0])
                a[0], a[1], a[2] = a[0] + nbmen, a[1] + nbpers, a[2] + nbpers * med
            if nbmen < 160:   # too few fiscal households: absent, as in the real file
                continue
            social = 0.6 if c.code == "00001" else 0.1
            prof = filo_profile(rng, c.code, med, 1.0 if c.code == "00001" else 0.85, social) \
                if nbpers >= 2000 else {"Q2": med}
            com_rows.append(filo_row(c.code, c.name, nbmen, nbpers, prof, year))
        header = filo_header(yy)
        write(out, f"filosofi/FILO{year}_DISP_COM.csv", csv_text(header, com_rows, bom=True), written)
        epci_rows = []
        for siren, name, *_ in EPCIS:
            nbmen, nbpers, w = agg[siren]
            prof = filo_profile(rng, siren, w / nbpers, 0.9, 0.3)
            epci_rows.append(filo_row(siren, name, nbmen, nbpers, prof, year))
        write(out, f"filosofi/FILO{year}_DISP_EPCI.csv", csv_text(header, epci_rows, bom=True), written)
        nbmen, nbpers, w = agg[DEP_CODE]
        dep_prof = filo_profile(rng, DEP_CODE, w / nbpers, 0.92, 0.3)
        write(out, f"filosofi/FILO{year}_DISP_DEP.csv",
              csv_text(header, [filo_row(DEP_CODE, DEP_NAME, nbmen, nbpers, dep_prof, year)], bom=True),
              written)
        write(out, f"filosofi/FILO{year}_DISP_REG.csv",
              csv_text(header, [filo_row(REG_CODE, REG_NAME, nbmen, nbpers, dep_prof, year)], bom=True),
              written)
        metro_prof = filo_profile(rng, METRO_CODE, (w / nbpers) * 0.985, 1.02, 0.45)
        scale = 870.0 * rng.jitter(0.01)
        write(out, f"filosofi/FILO{year}_DISP_METROPOLE.csv",
              csv_text(header, [filo_row(METRO_CODE, METRO_NAME, nbmen * scale, nbpers * scale,
                                         metro_prof, year)], bom=True), written)
    return medians


# --------------------------------------------------------------------------------------
# CAF
# --------------------------------------------------------------------------------------
CAF_VALUE_COLS = ["A", "PERCOU", "AI", "AM", "ACSSENF", "ACAVENF", "AC3ENF", "ENF", "ENF_2",
                  "ENF_3_5", "ENF_6_10", "ENF_11_14", "ENF_15_17", "ENF_18_24", "A_ETUD",
                  "A_NETUD_24", "AAL", "AAPL", "AAAH", "APPA", "ARSAS"]


def interp(unit: Unit, year: float, fn) -> float:
    """Linear interpolation of fn(vintage) between census vintages."""
    vs = [2013, 2016, 2019, 2022]
    for lo, hi in zip(vs, vs[1:]):
        if lo <= year <= hi:
            t = (year - lo) / (hi - lo)
            return fn(lo) * (1 - t) + fn(hi) * t
    raise ValueError(year)


def caf_counts(unit: Unit, rural: float, year: int, rng: Rng) -> dict:
    rng = Blend(unit.code, 6000, rng)
    def tot(v):
        return atoms_of(unit, v)[2]
    p = interp(unit, year, lambda v: float(unit.pop[v]))
    kids = {name: interp(unit, year, lambda v, b=b: band(tot(v), b))
            for name, b in (("ENF_2", "0002"), ("ENF_3_5", "0305"), ("ENF_6_10", "0610"))}
    kids["ENF_11_14"] = interp(unit, year, lambda v: tot(v)["1114"])
    kids["ENF_15_17"] = interp(unit, year, lambda v: tot(v)["1517"])
    kids["ENF_18_24"] = interp(unit, year, lambda v: band(tot(v), "1824"))
    cover = {"ENF_2": 0.93, "ENF_3_5": 0.9, "ENF_6_10": 0.85, "ENF_11_14": 0.8,
             "ENF_15_17": 0.75, "ENF_18_24": 0.18}
    social = 1.0 + 1.5 * unit.hlm + 0.4 * (1 - rural)
    n = {k: int(kids[k] * cover[k] * rng.jitter(0.05) + 0.5) for k in cover}
    n["ENF"] = sum(n[k] for k in cover)
    n["ACAVENF"] = int(n["ENF"] / 2.05 * 0.8 * rng.jitter(0.05) + 0.5)
    n["AM"] = int(n["ENF"] / 1.7 * 0.2 * social * rng.jitter(0.08) + 0.5)
    n["AC3ENF"] = int(n["ACAVENF"] * 0.2 * rng.jitter(0.1) + 0.5)
    n["ACSSENF"] = int(p * 0.012 * rng.jitter(0.2) + 0.5)
    n["AI"] = int(p * 0.05 * social * rng.jitter(0.1) + 0.5)
    n["A"] = n["AI"] + n["AM"] + n["ACSSENF"] + n["ACAVENF"]
    n["PERCOU"] = n["A"] + n["ACSSENF"] + n["ACAVENF"] + n["ENF"]
    n["A_ETUD"] = int(n["AI"] * 0.08 * rng.jitter(0.3) + 0.5)
    n["A_NETUD_24"] = int(n["A"] * 0.05 * rng.jitter(0.2) + 0.5)
    n["AAL"] = int(n["A"] * 0.17 * social * rng.jitter(0.1) + 0.5)
    n["AAPL"] = int(n["A"] * 0.10 * social * social * rng.jitter(0.1) + 0.5)
    n["AAAH"] = int(n["A"] * 0.05 * rng.jitter(0.2) + 0.5)
    n["APPA"] = int(n["A"] * (0.15 + 0.01 * (year - 2016)) * rng.jitter(0.1) + 0.5)
    n["ARSAS"] = int(n["A"] * 0.06 * social * rng.jitter(0.15) + 0.5)
    n["APRES50"] = int(n["A"] * 0.10 * social * rng.jitter(0.1) + 0.5)
    n["APRES100"] = int(n["APRES50"] * 0.45 * rng.jitter(0.1) + 0.5)
    return n


def caf_cell(value: int, year: int) -> str:
    if value < 5:         # small counts are blanked, as in the real files
        return ""
    text = str(value)
    if year == 2016 and value >= 1000:
        text = text[:-3] + NNBSP + text[-3:]
    return text


def write_caf(out: Path, communes: list, rng: Rng, written: list) -> None:
    for year in CAF_YEARS:
        cols = CAF_VALUE_COLS + (["APRES50", "APRES100"] if year <= 2017 else [])
        if year == 2016:
            ids = ["CODGEO", "LIBGEO", "DEPCOM", "LIBCOM", "EPCI", "REG", "NOTE"]
        elif year <= 2018:
            ids = ["CODGEO", "LIBGEO", "DEPCOM", "LIBCOM", "EPCI", "UU", "REG", "NOTE"]
        else:
            ids = ["CODGEO", "NOTE"]
        rows = []
        for c in communes:
            for u in c.units:
                counts = caf_counts(u, c.rural, year, rng)
                note = "3" if u.typ == "A" else "0"
                if year == 2016:
                    idv = [u.code, u.name, c.code, c.name, c.epci, REG_CODE, note]
                elif year <= 2018:
                    uu = "00201" if c.code == "00001" else "00000"
                    idv = [u.code, u.name, c.code, c.name, c.epci, uu, REG_CODE, note]
                else:
                    idv = [u.code, note]
                vals = [""] * len(cols) if note == "3" else [caf_cell(counts[k], year) for k in cols]
                rows.append(idv + vals)
        write(out, f"caf/data_CAF_{year}_IRIS.csv", csv_text(ids + cols, rows, bom=year <= 2017), written)


# Places for children under 3 (data.caf.fr "nbpla_pe_*"): the EPCI A story.
PLACE_PLAN = {
    # siren: (psu 2017, crèche added in 2019, hors PSU, prescol, am 2017, am yearly change, gad)
    "000000001": (15, 30, 10, 24, 300, -6, 9),
    "000000002": (20, 0, 10, 14, 215, -4, 4),
    "000000003": (0, 0, 0, 9, 150, -3, 2),
    "000000004": (0, 0, 0, 5, 88, -2, 1),
}
PLACE_COLS = ["pl_psu_col", "pl_hors_psu_col", "pl_eaje", "pl_prescol", "pl_am_ind",
              "pl_gad_ind", "pl_ind", "tot_offre"]


def place_row(year: int, plan: tuple, rng: Rng, share: float = 1.0) -> list:
    """One year of places; ``share`` scales the home-based modes (a commune's part)."""
    psu, creche, hors, prescol, am, am_step, gad = plan
    psu_y = psu + (creche if year >= 2019 else 0)
    hors_y = hors
    pres_y = int(prescol * share * rng.jitter(0.15) + 0.5)
    am_y = int((am + am_step * (year - 2017)) * share * rng.jitter(0.02) + 0.5)
    gad_y = int(gad * share * rng.jitter(0.2) + 0.5)
    eaje, ind = psu_y + hors_y, am_y + gad_y
    return [str(x) for x in (psu_y, hors_y, eaje, pres_y, am_y, gad_y, ind, eaje + pres_y + ind)]


def write_places(out: Path, communes: list, rng: Rng, written: list) -> None:
    epci_rows = []
    for year in PLACE_YEARS:
        for siren, name, *_ in EPCIS:
            epci_rows.append([str(year), siren, name] + place_row(year, PLACE_PLAN[siren], rng))
    header = ["annee", "numepci", "nomepci"] + [c + "_epci" for c in PLACE_COLS]
    write(out, "caf_accueil/nbpla_pe_epci.csv", csv_text(header, epci_rows, bom=False, eol="\n"),
          written)
    town = communes[0]
    rows = []
    for year in PLACE_YEARS:
        plan = PLACE_PLAN[town.epci]
        town_plan = (plan[0], plan[1], 0, plan[3], plan[4], plan[5], plan[6])
        rows.append([str(year), town.code, town.name] + place_row(year, town_plan, rng, share=0.42))
    header = ["annee", "numcom", "nomcom"] + [c + "_com" for c in PLACE_COLS]
    write(out, "caf_accueil/nbpla_pe_com.csv", csv_text(header, rows, bom=False, eol="\n"), written)
    write_rates(out, communes, epci_rows, written)


RATE_STEMS = ["psu_col", "hors_psu_col", "eaje", "prescol", "am_ind", "gad_ind", "ind"]


def write_rates(out: Path, communes: list, place_rows: list, written: list) -> None:
    """txcouv_pe_epci: places per 100 children under 3 (children interpolated from RP)."""
    under3 = {}
    for c in communes:
        for year in PLACE_YEARS:
            n = sum(interp(u, year, lambda v, u=u: band(atoms_of(u, v)[2], "0002")) for u in c.units)
            under3[c.epci, year] = under3.get((c.epci, year), 0.0) + n
    rows = []
    for row in place_rows:
        year, siren, name = int(row[0]), row[1], row[2]
        places = dict(zip(PLACE_COLS, (int(x) for x in row[3:])))
        kids = under3[siren, year]
        rates = [f"{100.0 * places['pl_' + stem] / kids:.1f}" for stem in RATE_STEMS]
        rows.append([str(year), siren, name, DEP_CODE, DEP_NAME, REG_NAME] + rates
                    + [f"{100.0 * places['tot_offre'] / kids:.1f}"])
    header = (["annee", "numepci", "nomepci", "numdep", "nomdep", "nomregi"]
              + [f"txcouv_{stem}_epci" for stem in RATE_STEMS] + ["txcouv_epci"])
    write(out, "caf_accueil/txcouv_pe_epci.csv", csv_text(header, rows, bom=False, eol="\n"), written)


def write_local(out: Path, written: list) -> None:
    """The analyst's own list of childcare structures (the project's format)."""
    header = ["nom_structure", "code_commune", "type", "places", "date_ouverture"]
    rows = [
        ["Halte-garderie Les Lucioles", "00001", "halte-garderie", "15", "1998-09-01"],
        ["Micro-crèche Les Farfadets", "00003", "micro-crèche", "10", "2014-01-06"],
        ["Multi-accueil Les Petits Songes", "00001", "multi-accueil", "30", "2019-09-02"],
        ["Crèche parentale La Brume Douce", "00011", "crèche parentale", "20", "2009-03-02"],
        ["Micro-crèche Le Nid Imaginaire", "00012", "micro-crèche", "10", "2016-09-05"],
    ]
    write(out, "local/structures_petite_enfance.csv", csv_text(header, rows, bom=True), written)


# --------------------------------------------------------------------------------------
# "Dossier complet" and "Comparateur" extracts (same columns as the shared real extracts)
# --------------------------------------------------------------------------------------
DOSSIER_COLS = ("CODGEO;P22_POP0014;P22_POP1529;P22_POP3044;P22_POP4559;P22_POP6074;P22_POP7589;"
                "P22_POP90P;P16_POP;P11_POP;C22_MENPSEUL;C22_MENFAM;C22_COUPAENF;C22_FAMMONO;"
                "C22_COUPSENF;P22_ACT1524;P22_ACT2554;P22_ACT5564;P22_CHOM1524;P22_CHOM2554;"
                "P22_CHOM5564;SNEMM_23;ENCTOT25;ENCTOT24;ENCTOT23;ENCTOT22;ENCITOT25;ETCTOT25;HT26;"
                "CPG26;VV26;RT26;AJCS26;ELECTEURSLP2024;BPE_2024_B105;BPE_2024_B201;BPE_2024_C201;"
                "BPE_2024_C301;BPE_2024_D307").split(";")
COMPARATEUR_COLS = ("CODGEO;P22_POP;P16_POP;SUPERF;NAIS1621;DECE1621;P22_MEN;NAISD24;DECESD24;"
                    "P22_LOG;P22_RP;P22_RSECOCC;P22_LOGVAC;P22_RP_PROP;NBMENFISC21;PIMP21;MED21;"
                    "TP6021;P22_EMPLT;P22_EMPLT_SAL;P16_EMPLT;P22_POP1564;P22_CHOM1564;P22_ACT1564;"
                    "ETTOT24;ETAZ24;ETBE24;ETFZ24;ETGU24;ETOQ24;ETTEF124;ETTEFP1024").split(";")


def count(x: float) -> int:
    return int(x + 0.5)


def dossier_row(c: Commune, households: dict, rng: Rng) -> list:
    """One commune of the "dossier complet" extract (pandas-like float text)."""
    h22 = households[c.code, 2022]
    pop = {v: sum(u.pop[v] for u in c.units) for v in ALL_VINTAGES}
    a22 = act_table(h22)
    town = 1.0 if c.code == "00001" else 0.0
    ent = pop[2022] * 0.0075

    def n(x: float) -> str:
        return fl(float(count(x)))

    d = [c.code] + [fl(band(h22["tot"], b)) for b in BROAD_COM] + [fl(pop[2016]), fl(pop[2011])]
    d += [fl(h22["c"][k]) for k in ("MENPSEUL", "MENFAM", "COUPAENF", "FAMMONO", "COUPSENF")]
    d += [fl(a22[k]) for k in ("ACT1524", "ACT2554", "ACT5564", "CHOM1524", "CHOM2554", "CHOM5564")]
    d += [n(3 * rng.u(0.5, 1.5)) if pop[2022] > 4000 else ""]            # SNEMM_23
    d += [n(ent * rng.jitter(0.25)) for _ in range(4)]                    # ENCTOT25..22
    d += [n(ent * 0.7 * rng.jitter(0.2)), n(ent * 1.2 * rng.jitter(0.2))]
    d += [n(town * 3 + rng.u(0, 0.8)), n(rng.u(0, 0.6)), "0.0", "0.0", "0.0"]  # tourism
    d += [n(pop[2022] * 0.74 * rng.jitter(0.03))]                         # electors
    d += [n(k * pop[2022] / 1000 * rng.jitter(0.3)) for k in (0.3, 0.15, 0.12, 0.05, 0.4)]
    return d


def comparateur_row(c: Commune, households: dict, medians: dict, rng: Rng) -> list:
    """One commune of the "comparateur" extract: `s` marks secret FiLoSoFi cells."""
    h22, h16 = households[c.code, 2022], households[c.code, 2016]
    pop = {v: sum(u.pop[v] for u in c.units) for v in ALL_VINTAGES}
    a22, lg22 = act_table(h22), h22["lg"]
    town = 1.0 if c.code == "00001" else 0.0
    jobs_ratio = 1.35 if town else 0.3 + 0.2 * (1 - c.rural)
    emplt = a22["ACTOCC1564"] * jobs_ratio * rng.jitter(0.1)
    emplt16 = act_table(h16)["ACTOCC1564"] * jobs_ratio * rng.jitter(0.1)
    nbmenfisc = h22["m"]["MEN"] * 0.985
    secret, large = nbmenfisc < 160, nbmenfisc >= 1000
    sectors = [count(pop[2022] * k / 1000 * rng.jitter(0.3)) for k in (2 + 8 * c.rural, 6, 9, 45, 8)]
    row = [c.code, str(pop[2022]), str(pop[2016]), f"{round(c.area_km2, 2):g}",
           str(count(pop[2019] * 0.062 * rng.jitter(0.1))),
           str(count(pop[2019] * (0.052 + 0.02 * c.rural) * rng.jitter(0.1))),
           g(lg22["MEN"]), str(count(pop[2022] * 0.0098 * rng.jitter(0.2))),
           str(count(pop[2022] * (0.009 + 0.004 * c.rural) * rng.jitter(0.2))),
           g(lg22["LOG"]), g(lg22["RP"]), g(lg22["RSECOCC"]), g(lg22["LOGVAC"]), g(lg22["RP_PROP"]),
           "s" if secret else str(count(nbmenfisc)),
           dec(float(count(48 + 8 * (1 - c.rural) * rng.u(0, 1)))) if large else "s",
           "s" if secret else str(count(medians[c.code] * 1.08 / 10) * 10),
           dec(float(count(10 + 7 * town + 3 * rng.u(0, 1)))) if large else "s",
           g(emplt), g(emplt * 0.86 * rng.jitter(0.03)), g(emplt16),
           g(a22["1564"]), g(a22["CHOM1564"]), g(a22["ACT1564"]),
           str(sum(sectors))] + [str(s) for s in sectors]
    return row + [str(count(sum(sectors) * 0.62 * rng.jitter(0.05))),
                  str(count(sum(sectors) * 0.2 * rng.jitter(0.1)))]


def write_dossier(out: Path, communes: list, households: dict, medians: dict, rng: Rng,
                  written: list) -> None:
    d_rows = [dossier_row(c, households, rng) for c in communes]
    c_rows = [comparateur_row(c, households, medians, rng) for c in communes]
    write(out, "insee_dossier_complet/dossier_complet_light_dep00.csv",
          csv_text(DOSSIER_COLS, d_rows, bom=False, eol="\n"), written)
    write(out, "insee_dossier_complet/base_cc_comparateur_dep00.csv",
          csv_text(COMPARATEUR_COLS, c_rows, bom=False, eol="\n"), written)


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------
def generate(out: Path) -> list:
    """Write every demo file under ``out``; returns the relative paths written."""
    rng = Rng(SEED)
    communes = build_communes(rng)
    build_geometry(communes, Rng(SEED + 1))
    build_units(communes)
    fill_population(communes, Rng(SEED + 2))
    pop_rng = Rng(SEED + 3)
    for c in communes:
        for u in c.units:
            for v in ALL_VINTAGES:
                u.extra[v] = pop_extra(u, c.rural, v, pop_rng)
    hh_rng = Rng(SEED + 4)
    households = {(c.code, v): household_model(c, v, hh_rng)
                  for c in communes for v in (2013, 2016, 2019, 2022)}
    written: list = []
    write_geo(out, communes, written)
    write_rp(out, communes, households, written)
    medians = write_filo(out, communes, households, Rng(SEED + 5), written)
    write_caf(out, communes, Rng(SEED + 6), written)
    write_places(out, communes, Rng(SEED + 7), written)
    write_local(out, written)
    write_dossier(out, communes, households, medians, Rng(SEED + 8), written)
    return written


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Génère le territoire fictif de démonstration (données hors ligne).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="dossier de sortie (défaut : data/demo du dépôt)")
    args = parser.parse_args(argv)
    written = generate(args.out)
    print(f"{len(written)} fichiers écrits dans {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
