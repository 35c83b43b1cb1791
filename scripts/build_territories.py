#!/usr/bin/env python
"""Build the committed territory reference files (data/reference/) from npm.

Source: the npm package ``@etalab/decoupage-administratif`` (Etalab, Licence
Ouverte for the data), one version per geography year as given by the table
"Millésimes et versions de package" of the package README. The tarballs are
fetched with ``npm pack`` into a temporary directory, their sha512 is checked
against the npm ``integrity`` string, and only the JSON files are read.

Outputs (see PROVENANCE.md, written by this script):

- communes.parquet        year, code, name, epci, departement, region
- epci.csv                year, code, name, type, financing
- departements.csv        year, code, name, region, zone
- regions.csv             year, code, name, zone
- arrondissements_municipaux.csv  year, code, name, commune
- commune_changes.csv     year, kind, old_code, old_name, new_code, new_name, source

Run: ``python scripts/build_territories.py [--out data/reference] [--cache DIR]``.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime as dt
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd

PACKAGE = "@etalab/decoupage-administratif"
# Geography year -> package version (README table "Millésimes et versions de package").
VERSIONS = {
    2019: "0.7.0",
    2020: "0.8.0",  # EPCI 2020 only; its communes.json is the 2019 one
    2021: "1.1.1",
    2022: "2.3.1",
    2023: "3.1.1",
    2024: "4.1.0",
    2025: "5.3.0",
    2026: "6.0.0",
}
EPCI_ONLY_YEARS = {2020}
HISTORY_VERSION = "0.7.0"  # ships data/historique-communes.json (events up to 2019-01-01)
HISTORY_FIRST_YEAR = 1999  # first geography year covered by commune_changes.csv
KEPT_ZONES = {"metro", "drom"}  # collectivités d'outre-mer (zone "com") are left out

REPO = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- fetching


def fetch(version: str, workdir: Path) -> dict:
    """``npm pack`` one version; return its tarball path, integrity and local sha512 check."""
    target = workdir / version
    target.mkdir(parents=True, exist_ok=True)
    existing = list(target.glob("*.tgz"))
    meta_file = target / "npm-pack.json"
    if existing and meta_file.exists():
        meta = json.loads(meta_file.read_text())
    else:
        out = subprocess.run(
            ["npm", "pack", f"{PACKAGE}@{version}", "--json"],
            cwd=target,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        meta = json.loads(out)[0]
        meta_file.write_text(json.dumps(meta))
    tgz = target / meta["filename"]
    digest = base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
    if meta["integrity"] != f"sha512-{digest}":
        sys.exit(f"Somme de contrôle différente pour {tgz.name} : archive corrompue, relancez.")
    return {
        "version": version,
        "tarball": tgz,
        "integrity": meta["integrity"],
        "shasum": meta.get("shasum"),
        "size": tgz.stat().st_size,
    }


def read_json(tgz: Path, name: str):
    with tarfile.open(tgz) as tar:
        return json.load(tar.extractfile(f"package/data/{name}.json"))


# ----------------------------------------------------------------------------- per-year tables


def dep_of(code: str) -> str:
    """Département of a commune code: 3 characters overseas (97x), else 2 (incl. 2A/2B)."""
    return code[:3] if code.startswith("97") else code[:2]


def zone_of_dep(dep: str) -> str:
    return "drom" if dep.startswith("97") else "metro"


def _loose(name: str) -> str:
    text = name.casefold().replace("œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if ch.isalnum())


def _cog_spelling(name: str, code: str, previous: dict, following: dict) -> str:
    for other in (following["names"].get(code), previous["names"].get(code)):
        if other and _loose(other) == _loose(name):
            return other
    return name


def commune_names(tgz: Path) -> dict[str, str]:
    return {
        c["code"]: c["nom"] for c in read_json(tgz, "communes") if c["type"] == "commune-actuelle"
    }


def year_tables(year: int, tgz: Path, previous: dict | None, following: dict | None = None) -> dict:
    """Communes with their EPCI/département/région, and the name tables, for one year."""
    departements = [
        d
        for d in read_json(tgz, "departements")
        if d.get("zone", zone_of_dep(d["code"])) in KEPT_ZONES
    ]
    dep_region = {d["code"]: d["region"] for d in departements}
    regions = [
        r
        for r in read_json(tgz, "regions")
        if r.get("zone", "drom" if r["code"] < "10" else "metro") in KEPT_ZONES
    ]
    epcis = read_json(tgz, "epci")
    epci_of = {}
    for e in epcis:
        for m in e["membres"]:
            if m["code"] in epci_of:
                sys.exit(f"{year} : commune {m['code']} dans deux EPCI")
            epci_of[m["code"]] = e["code"]

    if year in EPCI_ONLY_YEARS:
        # Communes = EPCI members + the previous year's communes outside any EPCI
        # (islands), which are unchanged. The EPCI file spells names its own way
        # ("FAUX", "Oeuilly"): keep the COG spelling of the year before or after when
        # it is the same name up to case, accents and ligatures.
        names = {
            m["code"]: _cog_spelling(m["nom"], m["code"], previous, following)
            for e in epcis
            for m in e["membres"]
        }
        for code in previous["outside_epci"]:
            names.setdefault(code, previous["names"][code])
        communes = [{"code": c, "name": n, "departement": dep_of(c)} for c, n in names.items()]
        raw_communes = None
    else:
        raw_communes = read_json(tgz, "communes")
        communes = []
        for c in raw_communes:
            if c["type"] != "commune-actuelle" or not c.get("departement"):
                continue
            if c["departement"] not in dep_region:
                continue  # collectivités d'outre-mer
            if dep_of(c["code"]) != c["departement"]:
                sys.exit(f"{year} : code {c['code']} hors de son département {c['departement']}")
            communes.append({"code": c["code"], "name": c["nom"], "departement": c["departement"]})
    frame = pd.DataFrame(communes)
    frame["region"] = frame["departement"].map(dep_region)
    frame["epci"] = frame["code"].map(epci_of)
    if frame["region"].isna().any():
        sys.exit(
            f"{year} : région inconnue pour {frame.loc[frame['region'].isna(), 'code'].tolist()}"
        )
    unknown_members = set(epci_of) - set(frame["code"])
    if unknown_members:
        sys.exit(f"{year} : membres d'EPCI absents des communes : {sorted(unknown_members)}")
    frame.insert(0, "year", year)
    frame = frame[["year", "code", "name", "epci", "departement", "region"]].sort_values("code")

    raw_arrondissements = [
        c
        for c in (raw_communes or previous["raw_arrondissements"])
        if c["type"] == "arrondissement-municipal"
    ]
    arrondissements = [
        {"year": year, "code": c["code"], "name": c["nom"], "commune": c["commune"]}
        for c in raw_arrondissements
    ]
    return {
        "communes": frame,
        "raw_communes": raw_communes,
        "raw_arrondissements": raw_arrondissements,
        "names": dict(zip(frame["code"], frame["name"])),
        "outside_epci": frame.loc[frame["epci"].isna(), "code"].tolist(),
        "epci": pd.DataFrame(
            [
                {
                    "year": year,
                    "code": e["code"],
                    "name": e["nom"],
                    "type": e["type"],
                    "financing": e["modeFinancement"],
                }
                for e in epcis
            ]
        ),
        "departements": pd.DataFrame(
            [
                {
                    "year": year,
                    "code": d["code"],
                    "name": d["nom"],
                    "region": d["region"],
                    "zone": d.get("zone", zone_of_dep(d["code"])),
                }
                for d in departements
            ]
        ),
        "regions": pd.DataFrame(
            [
                {
                    "year": year,
                    "code": r["code"],
                    "name": r["nom"],
                    "zone": r.get("zone", "drom" if r["code"] < "10" else "metro"),
                }
                for r in regions
            ]
        ),
        "arrondissements": pd.DataFrame(arrondissements),
    }


# ----------------------------------------------------------------------------- changes


def classify(
    year: int, forward: dict[str, set[str]], old_names: dict, new_names: dict, source: str
) -> list[dict]:
    """Turn old code -> set of new codes into change rows (fusion, scission, code change)."""
    sources_of = collections.defaultdict(set)
    for old, news in forward.items():
        for new in news:
            sources_of[new].add(old)
    rows = []
    for old, news in sorted(forward.items()):
        for new in sorted(news):
            if len(news) > 1:
                kind = "scission"
            elif len(sources_of[new]) > 1:
                kind = "fusion"
            elif old != new:
                kind = "changement de code"
            else:
                continue
            rows.append(
                {
                    "year": year,
                    "kind": kind,
                    "old_code": old,
                    "old_name": old_names.get(old),
                    "new_code": new,
                    "new_name": new_names.get(new),
                    "source": source,
                }
            )
    return rows


def changes_between_lists(
    year: int, old: dict, new: dict, resolver: list, parents: list, source: str
) -> list[dict]:
    """Changes from geography ``year - 1`` to ``year`` by comparing the two commune lists.

    ``resolver``: raw commune records of a version at or after ``year`` (where former
    codes went: ``anciensCodes`` of current communes, ``chefLieu`` of communes
    déléguées/associées). ``parents``: raw records of the older year (which commune a
    re-established code was part of).
    """
    old_codes, new_codes = set(old["names"]), set(new["names"])
    went_to = {}
    for c in resolver:
        if c["type"] == "commune-actuelle":
            for former in c.get("anciensCodes") or []:
                went_to.setdefault(former, c["code"])
        elif c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            went_to.setdefault(c["code"], c["chefLieu"])
    forward = collections.defaultdict(set)
    for code in sorted(old_codes - new_codes):
        target = went_to.get(code)
        if target not in new_codes:
            sys.exit(f"{year} : destination inconnue pour l'ancienne commune {code} ({target})")
        forward[code].add(target)
        if target in old_codes:
            forward[target].add(target)
    reached = {t for targets in forward.values() for t in targets}
    part_of = {}
    for c in parents:
        if c["type"] in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            part_of.setdefault(c["code"], c["chefLieu"])
        if c["type"] == "commune-actuelle":
            for former in c.get("anciensCodes") or []:
                part_of.setdefault(former, c["code"])
    for code in sorted(new_codes - old_codes):
        if code in reached:
            continue  # a code change, already recorded
        parent = part_of.get(code)
        if parent not in old_codes:
            sys.exit(f"{year} : origine inconnue pour la nouvelle commune {code}")
        forward[parent].add(code)
        if parent in new_codes:
            forward[parent].add(parent)
    return classify(year, forward, old["names"], new["names"], source)


class History:
    """INSEE commune history (1943 -> 2019-01-01) as shipped in the 0.7.0 package."""

    START = "1943-01-01"

    def __init__(self, records: list[dict]):
        self.records = records
        self.by_id = {r["id"]: r for r in records}
        self.communes = [r for r in records if r["type"] == "COM"]

    def _alive(self, r, day):
        return r.get("dateDebut", self.START) <= day and (
            r.get("dateFin") is None or r["dateFin"] > day
        )

    def alive(self, day: str) -> dict[str, dict]:
        return {r["code"]: r for r in self.communes if self._alive(r, day)}

    def resolve(self, rid: str, day: str, depth: int = 0) -> str | None:
        """Code of the commune that holds record ``rid``'s territory on ``day``."""
        if depth > 60:
            sys.exit(f"historique : boucle sur {rid}")
        r = self.by_id[rid]
        if r.get("dateFin") is not None and r["dateFin"] <= day:
            return self.resolve(r["successeur"], day, depth + 1) if r.get("successeur") else None
        if r["type"] == "COM":
            return r["code"] if r.get("dateDebut", self.START) <= day else None
        return self.resolve(r["pole"], day, depth + 1)

    def changes(self, year: int, source: str) -> list[dict]:
        """Changes from geography ``year - 1`` to ``year`` (1 January each)."""
        d0, d1 = f"{year - 1}-01-01", f"{year}-01-01"
        a0, a1 = self.alive(d0), self.alive(d1)
        forward = collections.defaultdict(set)
        for code in sorted(set(a0) - set(a1)):
            target = self.resolve(a0[code]["id"], d1)
            if target not in a1:
                sys.exit(f"historique {year} : destination inconnue pour {code}")
            forward[code].add(target)
            if target in a0:
                forward[target].add(target)
        reached = {t for targets in forward.values() for t in targets}
        for code in sorted(set(a1) - set(a0)):
            if code in reached:
                continue
            pred = a1[code].get("predecesseur")
            parent = self.resolve(pred, d0) if pred else None
            if parent not in a0:
                sys.exit(f"historique {year} : origine inconnue pour {code}")
            forward[parent].add(code)
            if parent in a1:
                forward[parent].add(parent)
        names0 = {c: r["nom"] for c, r in a0.items()}
        names1 = {c: r["nom"] for c, r in a1.items()}
        return classify(year, forward, names0, names1, source)


# ----------------------------------------------------------------------------- main


def human_size(path: Path) -> str:
    return f"{path.stat().st_size / 1024:.0f} Kio"


def write_provenance(out: Path, fetched: dict, files: dict[str, str], notes: list[str]) -> None:
    lines = [
        "# Provenance of the territory reference files",
        "",
        f"Built on {dt.date.today().isoformat()} by `scripts/build_territories.py` from the npm",
        f"package `{PACKAGE}` (Etalab; data under Licence Ouverte / Open Licence, code MIT;",
        "sources named in its README: INSEE Code officiel géographique, DGCL list of EPCI à",
        "fiscalité propre). One package version per geography year, as in the README table",
        '"Millésimes et versions de package". Tarballs fetched with `npm pack`; the sha512 below',
        "is the npm `integrity` value, checked against the downloaded file.",
        "",
        "| geography year | version | tarball sha512 (npm integrity) | sha1 (npm shasum) |",
        "|---|---|---|---|",
    ]
    for year, info in sorted(fetched.items()):
        lines.append(f"| {year} | {info['version']} | `{info['integrity']}` | `{info['shasum']}` |")
    lines += [
        "",
        "Caveats:",
        "- 2020: the package has no 2020 commune file (0.8.0 ships the 2019 `communes.json`),",
        "  only the EPCI 2020 composition. The 2020 commune list is therefore the EPCI 2020",
        "  members plus the 2019 communes outside any EPCI (4 islands: 22016, 29083, 29155,",
        "  85113). Names: the 2021 or 2019 COG spelling when equal to the EPCI file's name up to",
        "  case/accents/ligatures, else the EPCI file's spelling. Département = first 2",
        "  characters of the code (3 overseas), région from the département table.",
        "- Only communes of type `commune-actuelle` in a département of metropolitan France or",
        "  a DROM are kept (collectivités d'outre-mer left out). Communes déléguées/associées",
        "  are not communes. The 45 arrondissements municipaux of Paris, Lyon and Marseille are",
        "  kept apart (their commune is the EPCI member).",
        "- EPCI membership is the DGCL composition used by the package for that year.",
        *notes,
        f"- commune_changes.csv: up to 2019 from `historique-communes.json` ({HISTORY_VERSION},",
        f"  events up to 2019-01-01; from geography {HISTORY_FIRST_YEAR} to 2019); from 2020 on,",
        "  by comparing consecutive years' commune lists, the destination of a vanished code",
        "  being read from `anciensCodes` / communes déléguées of that year's package (2021's for",
        "  2020), and the origin of a re-established code from the previous year's communes",
        "  déléguées/associées. `year` is the first geography year with the new situation.",
        "",
        "Checks made by the build (it stops otherwise): the history at 2019-01-01 gives exactly",
        "the 2019 commune list; every vanished code has a destination and every new code an",
        "origin; a commune is in at most one EPCI and every EPCI member is a commune of the",
        "year; a commune code starts with its département code.",
        "",
        "| file | size | content |",
        "|---|---|---|",
    ]
    for name, what in files.items():
        lines.append(f"| {name} | {human_size(out / name)} | {what} |")
    (out / "PROVENANCE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Construit data/reference/ depuis npm.")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "reference")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="dossier où garder les archives npm (défaut : dossier temporaire)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.cache or Path(tmp)
        fetched = {year: fetch(version, workdir) for year, version in VERSIONS.items()}

        per_year, previous = {}, None
        for year in sorted(VERSIONS):
            print(f"géographie {year} ({VERSIONS[year]})", file=sys.stderr)
            following = None
            if year in EPCI_ONLY_YEARS:
                following = {"names": commune_names(fetched[year + 1]["tarball"])}
            previous = per_year[year] = year_tables(
                year, fetched[year]["tarball"], previous, following
            )

        history = History(read_json(fetched[2019]["tarball"], "historique-communes"))
        if set(history.alive("2019-01-01")) != set(per_year[2019]["names"]):
            sys.exit("L'historique au 01/01/2019 ne redonne pas la liste des communes 2019.")
        changes = []
        for year in range(HISTORY_FIRST_YEAR + 1, 2020):
            changes += history.changes(year, f"historique-communes {HISTORY_VERSION}")
        years = sorted(VERSIONS)
        for old_year, new_year in zip(years, years[1:]):
            resolver_year = next(y for y in years if y >= new_year and y not in EPCI_ONLY_YEARS)
            parent_year = max(y for y in years if y <= old_year and y not in EPCI_ONLY_YEARS)
            source = (
                f"comparaison des listes {old_year}/{new_year} "
                f"({VERSIONS[old_year]}, {VERSIONS[new_year]}"
                + (f", {VERSIONS[resolver_year]}" if resolver_year != new_year else "")
                + ")"
            )
            changes += changes_between_lists(
                new_year,
                per_year[old_year],
                per_year[new_year],
                per_year[resolver_year]["raw_communes"],
                per_year[parent_year]["raw_communes"],
                source,
            )

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    communes = pd.concat([t["communes"] for t in per_year.values()], ignore_index=True)
    communes["year"] = communes["year"].astype("int16")
    communes.to_parquet(
        out / "communes.parquet", index=False, compression="zstd", compression_level=19
    )
    for name in ("epci", "departements", "regions", "arrondissements"):
        table = pd.concat([t[name] for t in per_year.values()], ignore_index=True)
        table = table.sort_values(["year", "code"])
        filename = "arrondissements_municipaux.csv" if name == "arrondissements" else f"{name}.csv"
        table.to_csv(out / filename, index=False, encoding="utf-8", lineterminator="\n")
    pd.DataFrame(changes).to_csv(
        out / "commune_changes.csv", index=False, encoding="utf-8", lineterminator="\n"
    )
    gitkeep = out / ".gitkeep"
    if gitkeep.exists():
        gitkeep.unlink()
    notes = []
    for old_year, new_year in zip(sorted(per_year), sorted(per_year)[1:]):
        a = per_year[old_year]["communes"].drop(columns="year").set_index("code")
        b = per_year[new_year]["communes"].drop(columns="year").set_index("code")
        if a.drop(columns="name").equals(b.drop(columns="name")):
            renamed = int((a["name"] != b["name"]).sum())
            notes.append(
                f"- {old_year} and {new_year}: same communes and EPCI membership "
                f"({renamed} communes renamed)."
            )
    write_provenance(
        out,
        fetched,
        {
            "communes.parquet": "one row per (year, commune): code, name, EPCI SIREN (empty for "
            "the 4 island communes outside any EPCI), département, région",
            "epci.csv": "EPCI per year: SIREN, name, type (CC, CA, CU, METRO, MET69), "
            "fiscal regime",
            "departements.csv": "départements per year: code, name, région, zone (metro/drom)",
            "regions.csv": "régions per year: code, name, zone (metro/drom)",
            "arrondissements_municipaux.csv": "Paris/Lyon/Marseille arrondissements per year, with "
            "their commune",
            "commune_changes.csv": "commune mergers (fusion), splits (scission) and code changes, "
            f"geography years {HISTORY_FIRST_YEAR + 1}-{max(VERSIONS)}",
        },
        notes,
    )
    print(f"Fichiers écrits dans {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
