"""Benchmark: every registry indicator for all of France at once (synthetic, seeded input).

France-sized FICTIONAL input — about 35,000 communes, 1,250 EPCI (a few spanning two
départements), 96 départements, 13 régions, two census vintages — random but consistent
counts (age bands sum to the population, every numerator is below its denominator, a few
secret cells). Nothing here is a real statistic. Prints wall time and peak memory.

    .venv/bin/python benchmarks/bench_indicators.py [--communes 35000] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from abs_lib.indicators import compute_indicators, load_registry

VINTAGES = (2016, 2022)

# variable -> (parent variable, low share, high share): value = parent × U(low, high)
SHARES = {
    "P_POP0019": ("P_POP", 0.18, 0.28), "P_POP2064": ("P_POP", 0.50, 0.60),
    "P_POP0002": ("P_POP0014", 0.15, 0.22), "P_POP0305": ("P_POP0014", 0.18, 0.22),
    "P_POP0610": ("P_POP0014", 0.30, 0.36), "P_POP1117": ("P_POP", 0.06, 0.10),
    "P_POP1824": ("P_POP", 0.05, 0.10), "P_POP1524": ("P_POP", 0.08, 0.14),
    "P_POP65P": ("P_POP", 0.15, 0.30), "P_POP80P": ("P_POP75P", 0.55, 0.70),
    "P_POP1564": ("P_POP", 0.58, 0.66),
    "P_ACT1564": ("P_POP1564", 0.68, 0.80), "P_ACTOCC1564": ("P_ACT1564", 0.82, 0.95),
    "P_CHOM1564": ("P_ACT1564", 0.05, 0.18), "P_ACT1524": ("P_ACT1564", 0.06, 0.12),
    "P_CHOM1524": ("P_ACT1524", 0.10, 0.30),
    "P_LOG": ("P_POP", 0.50, 0.65), "P_RP": ("P_LOG", 0.75, 0.90),
    "P_RSECOCC": ("P_LOG", 0.02, 0.15), "P_LOGVAC": ("P_LOG", 0.04, 0.10),
    "P_RP_PROP": ("P_RP", 0.45, 0.75), "P_RP_LOC": ("P_RP", 0.20, 0.50),
    "P_RP_LOCHLMV": ("P_RP_LOC", 0.0, 0.5), "P_PMEN": ("P_POP", 0.95, 0.99),
    "P_MEN": ("P_RP", 1.0, 1.0),
    "C_MEN": ("P_RP", 0.98, 1.02), "C_MENPSEUL": ("C_MEN", 0.25, 0.45),
    "C_MENFAMMONO": ("C_MEN", 0.05, 0.12), "C_FAM": ("C_MEN", 0.55, 0.70),
    "C_FAMMONO": ("C_FAM", 0.08, 0.20), "C_COUPAENF": ("C_FAM", 0.35, 0.50),
    "C_COUPSENF": ("C_FAM", 0.35, 0.50), "C_NE24F3": ("C_FAM", 0.04, 0.08),
    "C_NE24F4P": ("C_FAM", 0.01, 0.03),
    "P_POPMEN80P": ("P_POP80P", 0.85, 0.95), "P_POP80P_PSEUL": ("P_POPMEN80P", 0.35, 0.55),
    "RP_AGEPR2539": ("P_RP", 0.15, 0.25), "RP_AGEPR2539_PROP": ("RP_AGEPR2539", 0.3, 0.5),
    "RP_AGEPR2539_LOCVIDE": ("RP_AGEPR2539", 0.15, 0.25), "RP_AGEPR2539_LOCMEUB": ("RP_AGEPR2539", 0.02, 0.08),
    "RP_AGEPR2539_LOCHLMV": ("RP_AGEPR2539", 0.05, 0.2),
    "A": ("P_RP", 0.25, 0.45), "PERCOU": ("P_POP", 0.35, 0.55), "ARSAS": ("A", 0.03, 0.12),
    "AAAH": ("A", 0.03, 0.08), "AAL": ("A", 0.2, 0.45), "AAPL": ("AAL", 0.3, 0.6),
    "APPA": ("A", 0.1, 0.25), "AM": ("A", 0.08, 0.2), "APRES100": ("A", 0.05, 0.15),
    "pl_eaje": ("P_POP0002", 0.1, 0.3), "pl_am_ind": ("P_POP0002", 0.2, 0.4),
    "pl_gad_ind": ("P_POP0002", 0.0, 0.05), "pl_prescol": ("P_POP0002", 0.0, 0.05),
    "PLACES_LOCAL": ("P_POP0002", 0.3, 0.7),
}
TABLES = {
    "rp-population-commune": ["P_POP", "P_POP0014", "P_POP1529", "P_POP3044", "P_POP4559", "P_POP6074",
                      "P_POP75P", "P_POP0019", "P_POP2064", "P_POP65P", "P_POP0002", "P_POP0305",
                      "P_POP0610", "P_POP1117", "P_POP1824", "P_POP80P"],
    "rp-familles-commune": ["C_MEN", "C_MENPSEUL", "C_MENFAMMONO", "C_FAM", "C_FAMMONO", "C_COUPAENF",
                    "C_COUPSENF", "C_NE24F3", "C_NE24F4P", "P_POPMEN80P", "P_POP80P_PSEUL", "P_POP1524"],
    "rp-logement-commune": ["P_LOG", "P_RP", "P_RSECOCC", "P_LOGVAC", "P_RP_PROP", "P_RP_LOC", "P_RP_LOCHLMV", "P_PMEN"],
    "rp-activite-commune": ["P_POP1564", "P_ACT1564", "P_ACTOCC1564", "P_CHOM1564", "P_ACT1524", "P_CHOM1524"],
    "rp-fd-logement": ["RP_AGEPR2539", "RP_AGEPR2539_PROP", "RP_AGEPR2539_LOCVIDE", "RP_AGEPR2539_LOCMEUB",
                       "RP_AGEPR2539_LOCHLMV"],
    "caf-iris": ["A", "PERCOU", "ARSAS", "AAAH", "AAL", "AAPL", "APPA", "AM", "APRES100"],
    "caf-places-accueil-jeune-enfant": ["pl_eaje", "pl_am_ind", "pl_gad_ind", "pl_prescol"],
    "local-accueil-jeune-enfant": ["PLACES_LOCAL"],
}
FILOSOFI = {"filosofi-disp": {"Q2": (15000, 30000), "D1": (9000, 15000), "RD": (2.0, 5.0),
                              "GI": (0.2, 0.4), "PPSOC": (2.0, 12.0), "PPMINI": (0.5, 5.0),
                              "NBMEN": (50, 50000)},
            "filosofi-pauvrete": {"TP60": (5.0, 30.0), "TP60AGE6": (5.0, 20.0), "PIMP": (30, 70),
                                  "MED": (15000, 30000)}}


def _department_codes() -> list[str]:
    codes = [f"{i:02d}" for i in range(1, 20)] + ["2A", "2B"] + [f"{i:02d}" for i in range(21, 96)]
    return codes[:96]


def make_membership(n_communes: int, rng: np.random.Generator, n_epci: int = 1250) -> pd.DataFrame:
    deps = _department_codes()
    epci_dep = np.sort(rng.integers(0, len(deps), n_epci))
    epci_dep[: len(deps)] = np.arange(len(deps))           # every département has an EPCI
    epci_dep.sort()
    commune_epci = np.sort(np.r_[np.arange(n_epci), rng.integers(0, n_epci, n_communes - n_epci)])
    commune_dep = epci_dep[commune_epci].copy()
    # ~2 % of EPCI straddle two départements: move their last commune to the next département.
    for e in rng.choice(n_epci, n_epci // 50, replace=False):
        members = np.flatnonzero(commune_epci == e)
        if len(members) > 1 and commune_dep[members[-1]] + 1 < len(deps):
            commune_dep[members[-1]] += 1
    counters = np.zeros(len(deps), int)
    codes = []
    for d in commune_dep:
        counters[d] += 1
        codes.append(f"{deps[d]}{counters[d]:03d}")
    region_of_dep = (np.arange(len(deps)) * 13) // len(deps)
    return pd.DataFrame({
        "commune": pd.Series(codes, dtype=object),
        "epci": pd.Series([str(200000000 + e) for e in commune_epci], dtype=object),
        "departement": pd.Series([deps[d] for d in commune_dep], dtype=object),
        "region": pd.Series([f"{11 + r:02d}" for r in region_of_dep[commune_dep]], dtype=object),
        "metropole": True,
    })


def make_commune_values(n: int, rng: np.random.Generator, scale: float = 1.0) -> dict[str, np.ndarray]:
    values = {"P_POP": rng.lognormal(6.2, 1.3, n) * scale}
    shares = rng.dirichlet([18, 18, 19, 20, 16, 9], n)
    for k, name in enumerate(["P_POP0014", "P_POP1529", "P_POP3044", "P_POP4559", "P_POP6074", "P_POP75P"]):
        values[name] = values["P_POP"] * shares[:, k]
    pending = dict(SHARES)
    while pending:
        for var, (parent, lo, hi) in list(pending.items()):
            if parent in values:
                values[var] = values[parent] * rng.uniform(lo, hi, n)
                del pending[var]
    return values


def make_inputs(n_communes: int = 35_000, seed: int = 1):
    rng = np.random.default_rng(seed)
    membership = make_membership(n_communes, rng)
    index = pd.Index(membership["commune"], dtype=object, name="commune")
    commune_tables, level_tables = {}, {}
    for vintage in VINTAGES:
        values = make_commune_values(n_communes, rng, scale=1.0 + (vintage - 2016) * 0.004)
        for ds, cols in TABLES.items():
            frame = pd.DataFrame({c: values[c] for c in cols}, index=index)
            if ds == "caf-iris":                              # a few secret cells
                frame = frame.mask(rng.random(frame.shape) < 0.001)
            commune_tables[(ds, vintage)] = frame
        epci_codes = pd.Index(sorted(membership["epci"].unique()), dtype=object)
        places = commune_tables[("caf-places-accueil-jeune-enfant", vintage)]
        places = places.assign(tot_offre=places.sum(axis=1))
        commune_tables[("caf-places-accueil-jeune-enfant", vintage)] = places
        by_epci = places.groupby(membership["epci"].to_numpy()).sum()   # published per EPCI
        level_tables[("caf-places-accueil-jeune-enfant", vintage, "epci")] = by_epci
        level_tables[("caf-couverture-petite-enfance-epci", vintage, "epci")] = pd.DataFrame(
            {"txcouv": rng.uniform(30, 80, len(by_epci))}, index=by_epci.index)
        for ds, spec in FILOSOFI.items():
            for level, codes in (("commune", index), ("epci", epci_codes),
                                 ("departement", pd.Index(sorted(membership["departement"].unique()))),
                                 ("region", pd.Index(sorted(membership["region"].unique()))),
                                 ("metropole", pd.Index(["1"]))):
                frame = pd.DataFrame({v: rng.uniform(lo, hi, len(codes)) for v, (lo, hi) in spec.items()},
                                     index=pd.Index(codes, dtype=object))
                if level == "commune":                         # FiLoSoFi secret for small communes
                    frame = frame.mask(rng.random(frame.shape) < 0.3)
                level_tables[(ds, vintage, level)] = frame
    return membership, commune_tables, level_tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=35_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    membership, commune_tables, level_tables = make_inputs(args.communes, args.seed)
    registry = load_registry()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        table = compute_indicators(membership, commune_tables, level_tables, vintages=VINTAGES,
                                   registry=registry)
        times.append(time.perf_counter() - t0)
        del table
    tracemalloc.start()
    table = compute_indicators(membership, commune_tables, level_tables, vintages=VINTAGES, registry=registry)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_levels = {lv: int(membership[lv].nunique()) for lv in ("epci", "departement", "region")}
    print(f"entrée : {len(membership)} communes, {n_levels['epci']} EPCI, "
          f"{n_levels['departement']} départements, {n_levels['region']} régions, "
          f"{len(VINTAGES)} millésimes, {len(registry)} indicateurs")
    print(f"sortie : {len(table)} lignes, {table.memory_usage(deep=True).sum() / 2**20:.0f} Mio")
    print(f"temps (compute_indicators) : meilleur {min(times):.2f} s, médiane {sorted(times)[len(times) // 2]:.2f} s "
          f"sur {len(times)} essais")
    print(f"mémoire : pic alloué pendant le calcul (tracemalloc) {peak / 2**20:.0f} Mio ; "
          f"pic du processus (ru_maxrss) {rss_after:.0f} Mio (avant calcul : {rss_before:.0f} Mio)")
    missing = table["value"].isna().mean()
    print(f"part des valeurs manquantes : {missing:.1%}")


if __name__ == "__main__":
    main()
