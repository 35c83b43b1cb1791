"""Benchmark: ``abs batch`` at the scale of France, on a SYNTHETIC store (every value invented).

Runs the diagnostic for ``--epci`` EPCI (default 100, spread over France: every k-th EPCI
of the reference by code) and ``--communes`` communes (default 20) on a Dask cluster
(a LocalCluster by default, one worker per core; ``--scheduler tcp://HÔTE:8786`` for an
existing one), on the store written by ``make_france_store.py`` (built first when
``--store`` is absent or empty). Prints reports per minute, per minute and per core, the
seconds of one report in the workers, the peak memory of a worker (kernels included) and
an extrapolation to the 1,254 EPCI and ~35,000 communes of France:

    extrapolated time = shared preparation for France + N × (seconds per report) / cores

The reports are written to a temporary folder removed at the end (``--keep`` keeps it):
they are made from invented values and say so. Not a test: run it by hand, e.g.

    python benchmarks/bench_france.py --store /chemin/magasin-synthetique --epci 100
    python benchmarks/bench_france.py --store /chemin/magasin-synthetique --scheduler tcp://10.0.0.5:8786
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FRANCE_EPCI = 1254
FRANCE_COMMUNES = 34_875  # communes of the latest reference geography


def pick(codes: list[str], n: int) -> list[str]:
    """``n`` codes spread over the sorted list (every k-th), so every part of France is sampled."""
    codes = sorted(codes)
    if n >= len(codes):
        return codes
    step = len(codes) / n
    return [codes[int(i * step)] for i in range(n)]


def run_batch(listing: Path, store: Path, reports: Path, scheduler: str | None, workers: int | None) -> dict:
    cmd = [sys.executable, "-c", "import sys; from abs_lib.cli import main; sys.exit(main())", "batch",
           "--territories", str(listing), "--data-dir", str(store), "--reports-dir", str(reports),
           "--sans-progression"]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    if workers:
        cmd += ["--workers", str(workers)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    logs = sorted(reports.glob("batch-*.json"))
    if not logs:
        raise SystemExit(f"abs batch a échoué :\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    log = json.loads(logs[-1].read_text(encoding="utf-8"))
    log["wall_seconds"] = seconds
    return log


def summary(label: str, log: dict, cores: int) -> dict:
    made = [o for o in log["outcomes"] if o["status"] == "reussi"]
    failed = [o for o in log["outcomes"] if o["status"] == "echec"]
    seconds = [o["seconds"] for o in made]
    wall = log["wall_seconds"]
    per_report = statistics.mean(seconds) if seconds else float("nan")
    rss = max((w["peak_rss"] for w in log["workers"].values()), default=0) / 2**20
    pss = max((w.get("peak_pss") or 0 for w in log["workers"].values()), default=0) / 2**20
    print(f"{label} : {len(made)} réussis, {len(failed)} en échec, {wall:.1f} s au total "
          f"(préparation commune {log['prepare_seconds']:.1f} s)")
    if failed:
        print("  échecs :", "; ".join(f"{o['territory']} : {o.get('error_summary') or o.get('error')}"[:200]
                                       for o in failed[:5]))
    if seconds:
        work = wall - log["prepare_seconds"]
        print(f"  {len(made) / wall * 60:.1f} rapports/min ({len(made) / wall * 60 / cores:.1f} par cœur) ; "
              f"hors préparation {len(made) / work * 60:.1f} rapports/min")
        print(f"  secondes par rapport dans les workers : moyenne {per_report:.2f}, médiane "
              f"{statistics.median(seconds):.2f}, max {max(seconds):.2f}")
        print(f"  mémoire max. d'un worker, noyaux compris : {rss:.0f} Mio RSS additionnée, {pss:.0f} Mio PSS")
    return {"per_report": per_report, "prepare": log["prepare_seconds"], "rss": rss, "pss": pss, "made": len(made)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None, help="magasin synthétique (construit s'il est absent)")
    parser.add_argument("--epci", type=int, default=100, help="nombre d'EPCI (défaut 100)")
    parser.add_argument("--communes", type=int, default=20, help="nombre de communes (défaut 20 ; 0 : aucune)")
    parser.add_argument("--scheduler", default=None, help="ordonnanceur Dask existant (tcp://HÔTE:PORT)")
    parser.add_argument("--workers", type=int, default=None, help="workers du cluster local (défaut : un par cœur)")
    parser.add_argument("--keep", action="store_true", help="garder les rapports (données FICTIVES)")
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    from make_france_store import NOTICE_FILE, make_store

    from abs_lib.batch.cluster import default_workers
    from abs_lib.territories import load_geography

    print("DONNÉES FICTIVES : magasin synthétique à l'échelle de la France, valeurs inventées (banc d'essai).")
    work = Path(tempfile.mkdtemp(prefix="bench-france-"))
    store = args.store or work / "magasin-synthetique"
    if not store.exists() or not any(store.iterdir()):
        print(f"Construction du magasin synthétique dans {store}…")
        made = make_store(store, say=lambda line: None)
        print(f"  {made['tables']} tables, {made['rows']} lignes en {made['seconds']:.1f} s")
    elif not (store / NOTICE_FILE).is_file():
        raise SystemExit(f"{store} n'est pas un magasin synthétique de make_france_store.py : ce banc d'essai "
                         "n'écrit des rapports que sur des données inventées.")
    cores = args.workers or default_workers()
    if args.scheduler:
        from distributed import Client

        with Client(args.scheduler, timeout=20) as client:
            cores = sum(client.nthreads().values())
    geography = load_geography()
    print(f"Cœurs (workers) : {cores} ; géographie {geography.year}")
    results = {}
    try:
        for level, n in (("epci", args.epci), ("commune", args.communes)):
            if n <= 0:
                continue
            codes = pick(list(map(str, geography.epci.index if level == "epci" else geography.communes.index)), n)
            listing = work / f"{level}.txt"
            listing.write_text("".join(f"{c}\n" for c in codes), encoding="utf-8")
            log = run_batch(listing, store, work / f"rapports-{level}", args.scheduler, args.workers)
            results[level] = summary(f"{len(codes)} {'EPCI' if level == 'epci' else 'communes'}", log, cores)
        print("Extrapolation (préparation commune pour toute la France + N × secondes par rapport / cœurs) :")
        prepare = max(r["prepare"] for r in results.values())
        for level, total in (("epci", FRANCE_EPCI), ("commune", FRANCE_COMMUNES)):
            if level not in results:
                continue
            estimate = prepare + total * results[level]["per_report"] / cores
            print(f"  {total} {'EPCI' if level == 'epci' else 'communes'} sur {cores} cœur(s) : "
                  f"{estimate / 60:.0f} min ({estimate / 3600:.1f} h) ; sur 32 cœurs : "
                  f"{(prepare + total * results[level]['per_report'] / 32) / 60:.0f} min")
    finally:
        if args.keep:
            print(f"Rapports gardés (données FICTIVES) : {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
