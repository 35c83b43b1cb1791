"""Write a SYNTHETIC France-size data store, for benchmarks only: every number in it is invented.

Why: ``abs batch`` must be measured at the scale of France (about 35,000 communes, 1,254
EPCI) while the real extracts of ``shared/data`` cover one département. This script
writes a store in the exact layout of ``abs_lib.sources.store`` (``processed/<jeu>/<millésime>/
<niveau>.parquet`` plus manifests), with the columns the importer produces from the
official files, so that the whole chain (``load_inputs``, the batch's shared indicators,
the study notebooks) runs on it unchanged.

How the values are made (nothing comes from a real statistic):

- the territories are the real reference communes of the latest geography (codes, EPCI,
  départements, régions of ``data/reference``), so that the batch selects and groups
  them as it would real data; one IRIS per commune (``<commune>0000``);
- each commune gets an invented population (log-normal, seeded by its code) and copies a
  commune of the fictional demo (``data/demo``, itself invented), chosen by its code: every
  count of the demo commune is multiplied by the ratio of the two populations (so age
  bands still sum to the population, numerators stay below their denominators), every
  level value (medians, rates) is copied as is; the demo's secret cells stay missing;
- EPCI, départements, régions and France copy a demo territory of the same level, counts
  scaled by the ratio of (invented) populations;
- the up to three latest vintages the demo has for each dataset; the demo's datasets are
  those its diagnostic reads (the registry's alternatives it lacks are not written);
- contours: one invented square per commune, laid out on a grid by EPCI (no real shape).

Every table is saved ``fictional=True``, with an origin and file names that say
« SYNTHETIQUE », and the store holds ``AVERTISSEMENT-DONNEES-FICTIVES.txt``. Reports made
from it say their data are fictional. Run:

    python benchmarks/make_france_store.py DOSSIER      # about a minute, ~100 Mo
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

ORIGIN = "synthétique : benchmarks/make_france_store.py (valeurs inventées, banc d'essai, aucune statistique réelle)"
NOTICE_FILE = "AVERTISSEMENT-DONNEES-FICTIVES.txt"
NOTICE = (
    "DONNÉES FICTIVES — banc d'essai de abs uniquement.\n"
    "Ce magasin a été écrit par benchmarks/make_france_store.py : les territoires sont ceux du référentiel\n"
    "(codes des communes, EPCI, départements, régions) mais TOUTES les valeurs sont inventées (copies mises à\n"
    "l'échelle des communes fictives de la démonstration). Aucun chiffre n'est une statistique réelle :\n"
    "ne publiez, ne diffusez et ne citez aucun rapport produit à partir de ce dossier.\n"
)
SKIPPED = ("epci-composition", "contours-communes")  # the reference geography and invented squares stand in
CODE_LIKE = {"COM": "commune", "DEPCOM": "commune", "INSEE_COM": "commune", "numcom": "commune",
             "EPCI": "epci", "SIREN_EPCI": "epci", "numepci": "epci", "DEP": "departement", "numdep": "departement",
             "REG": "region"}


def _seed(code: str, salt: int = 0) -> int:
    return zlib.crc32(f"{salt}:{code}".encode())


def invented_population(codes) -> np.ndarray:
    """One invented population per code (log-normal like French communes, seeded by the code)."""
    u = np.array([_seed(c, 1) for c in codes], dtype=np.float64) / 2**32
    v = np.array([_seed(c, 2) for c in codes], dtype=np.float64) / 2**32
    normal = np.sqrt(-2 * np.log(np.maximum(u, 1e-12))) * np.cos(2 * np.pi * v)  # Box-Muller
    return np.clip(np.round(np.exp(6.2 + 1.3 * normal)), 20, 900_000)


def _pick(codes, templates: list[str]) -> list[str]:
    """A template code per target code, chosen by the code (stable across datasets and vintages)."""
    return [templates[_seed(c, 3) % len(templates)] for c in codes]


def _latest(entries, keep: int) -> list:
    by_dataset: dict[str, list[int]] = {}
    for e in entries:
        by_dataset.setdefault(e.dataset, []).append(e.vintage)
    chosen = {d: sorted(set(v))[-keep:] for d, v in by_dataset.items()}
    return [e for e in entries if e.vintage in chosen[e.dataset] and e.dataset not in SKIPPED]


class France:
    """The reference territories, each with an invented population and a demo template."""

    def __init__(self, demo_membership: pd.DataFrame, demo_pop: pd.Series):
        from abs_lib.territories import load_geography

        self.geography = load_geography()
        communes = self.geography.communes
        self.communes = communes.index.astype(str).tolist()
        pop = pd.Series(invented_population(self.communes), index=self.communes)
        templates = sorted(demo_pop.index)
        pick = pd.Series(_pick(self.communes, templates), index=self.communes)
        self.membership = pd.DataFrame({
            "commune": self.communes, "epci": communes["epci"].astype(str).to_numpy(),
            "departement": communes["departement"].astype(str).to_numpy(),
            "region": communes["region"].astype(str).to_numpy()})
        # level -> DataFrame(target, template, factor)
        self.maps = {"commune": pd.DataFrame({"target": self.communes, "template": pick.to_numpy(),
                                              "factor": (pop / demo_pop.reindex(pick).to_numpy()).to_numpy()})}
        demo_totals = {lv: demo_pop.groupby(demo_membership.set_index("commune")[lv].reindex(demo_pop.index)).sum()
                       for lv in ("epci", "departement", "region")}
        for level in ("epci", "departement", "region"):
            totals = pop.groupby(self.membership.set_index("commune")[level]).sum()
            totals = totals[totals.index.notna() & (totals.index != "nan") & (totals.index != "None")]
            tmpl = _pick(totals.index.tolist(), sorted(demo_totals[level].index))
            self.maps[level] = pd.DataFrame({"target": totals.index.tolist(), "template": tmpl,
                                             "factor": totals.to_numpy() / demo_totals[level].reindex(tmpl).to_numpy()})
        self.maps["metropole"] = None  # one row: counts scaled by France / demo totals
        self.france_factor = float(pop.sum() / demo_pop.sum())
        self.population = pop


def _synthetic_frame(frame: pd.DataFrame, entry, france: France) -> pd.DataFrame | None:
    """The demo table ``frame`` made France-size (see the module docstring)."""
    from abs_lib.indicators.loading import code_column_of

    kinds = entry.columns or {}
    code = code_column_of(frame.columns)
    if code is None:
        return None
    counts = [c for c in frame.columns if kinds.get(c) == "count" and pd.api.types.is_numeric_dtype(frame[c])]
    level = entry.level
    frame = frame.copy()
    frame[code] = frame[code].astype(str)
    if level == "iris":  # one IRIS per commune: the demo's IRIS summed to their commune
        commune_of = frame["COM"].astype(str) if "COM" in frame.columns else frame[code].str[:5]
        labels = [c for c in frame.columns if c not in counts]
        grouped = frame.groupby(commune_of.to_numpy(), sort=False)
        frame = grouped[labels].first().join(grouped[counts].sum(min_count=1)) if counts else grouped[labels].first()
        frame[code] = frame.index.astype(str)
        frame = frame.reset_index(drop=True)[[c for c in entry.columns] if entry.columns else frame.columns]
        mapping = france.maps["commune"]
    elif level == "metropole":
        out = frame.copy()
        out[counts] = out[counts] * france.france_factor
        return out
    else:
        mapping = france.maps.get(level)
        if mapping is None:
            return None
    out = mapping.merge(frame, left_on="template", right_on=code, how="inner")
    out[counts] = out[counts].mul(out["factor"], axis=0)
    target = out["target"].astype(str)
    out[code] = target + "0000" if level == "iris" else target
    targets_commune = target if level in ("commune", "iris") else None
    for column, kind in CODE_LIKE.items():
        if column in out.columns and column != code and targets_commune is not None and kind != "commune":
            out[column] = france.membership.set_index("commune")[kind].reindex(targets_commune).to_numpy()
        elif column in out.columns and column != code and kind == "commune" and targets_commune is not None:
            out[column] = targets_commune.to_numpy()
    for column in out.columns:  # names of the demo's places become « synthétique <code> »
        if column.lower() in ("libgeo", "nom", "nomcom", "nomepci", "lab_iris", "libiris", "libcom", "libepci",
                              "nomdep", "nomregi", "nom_com"):
            out[column] = "synthétique " + target
    return out[list(frame.columns)].reset_index(drop=True)


def _contours(france: France) -> pd.DataFrame:
    """One invented square per commune, the communes of an EPCI side by side (no real shape)."""
    m = france.membership.sort_values(["epci", "commune"]).reset_index(drop=True)
    epci_rank = m["epci"].astype("category").cat.codes.to_numpy()
    within = m.groupby("epci").cumcount().to_numpy()
    side = 0.02
    x0 = (epci_rank % 40) * 0.3 + (within % 6) * side
    y0 = (epci_rank // 40) * 0.3 + (within // 6) * side
    geometry = [json.dumps({"type": "Polygon", "coordinates": [[[round(x, 4), round(y, 4)], [round(x + side, 4), round(y, 4)],
                            [round(x + side, 4), round(y + side, 4)], [round(x, 4), round(y + side, 4)],
                            [round(x, 4), round(y, 4)]]]}, separators=(",", ":")) for x, y in zip(x0, y0)]
    return pd.DataFrame({"INSEE_COM": m["commune"].astype("string"),
                         "NOM": ("synthétique " + m["commune"]).astype("string"),
                         "SIREN_EPCI": m["epci"].astype("string"), "geometry": pd.Series(geometry, dtype="string")})


def _save(store, frame: pd.DataFrame, *, dataset: str, vintage: int, level: str, key=None, part=None):
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    checksum = hashlib.sha256(buffer.getvalue()).hexdigest()
    name = f"SYNTHETIQUE_{dataset}_{vintage}_{level}{'_' + part if part else ''}.csv"
    return store.save(frame, dataset=dataset, vintage=vintage, level=level, origin=ORIGIN, source_file=name,
                      sha256=checksum, fictional=True, keep_raw=False, key=key, part=part,
                      change="synthétique (banc d'essai)")


def make_store(target: str | Path, *, vintages: int = 3, say=print) -> dict:
    """Write the synthetic store under ``target`` (refused if it holds anything); return counts."""
    from abs_lib.demo import demo_geography, demo_store
    from abs_lib.sources.store import Store

    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise SystemExit(f"Le dossier {target} n'est pas vide : choisissez un dossier neuf pour le magasin synthétique.")
    target.mkdir(parents=True, exist_ok=True)
    (target / NOTICE_FILE).write_text(NOTICE, encoding="utf-8")
    start = time.perf_counter()
    demo = demo_store()
    demo_membership = demo_geography().membership()
    population = demo.load("rp-population-commune", 2019, "commune")
    code = "CODGEO" if "CODGEO" in population.columns else population.columns[0]
    demo_pop = population.set_index(population[code].astype(str))["P19_POP"].astype(float)
    france = France(demo_membership, demo_pop)
    store = Store(target)
    written = {"tables": 0, "rows": 0}
    for entry in _latest(demo.entries(), vintages):
        frame = pd.read_parquet(demo.root / entry.parquet)
        out = _synthetic_frame(frame, entry, france)
        if out is None:
            say(f"  (non écrit : {entry.label})")
            continue
        _save(store, out, dataset=entry.dataset, vintage=entry.vintage, level=entry.level, key=entry.key,
              part=entry.part)
        written["tables"] += 1
        written["rows"] += len(out)
        say(f"  {entry.dataset} {entry.vintage} {entry.level} : {len(out)} lignes")
    contours = _contours(france)
    _save(store, contours, dataset="contours-communes", vintage=france.geography.year, level="commune")
    written["tables"] += 1
    written["rows"] += len(contours)
    written.update(communes=len(france.communes), epci=len(france.maps["epci"]), seconds=time.perf_counter() - start,
                   geography=france.geography.year)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, help="dossier neuf où écrire le magasin synthétique")
    parser.add_argument("--vintages", type=int, default=3, help="millésimes par jeu (les plus récents de la démo)")
    args = parser.parse_args(argv)
    print("Magasin SYNTHÉTIQUE (valeurs inventées, banc d'essai uniquement) →", args.target)
    done = make_store(args.target, vintages=args.vintages)
    print(f"{done['tables']} tables, {done['rows']} lignes, {done['communes']} communes et {done['epci']} EPCI "
          f"du référentiel {done['geography']} (valeurs inventées), en {done['seconds']:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
