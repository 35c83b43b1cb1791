"""Benchmark: many reports, the naive way (papermill + nbconvert commands) against ``abs batch``.

Same territories (the fictional demo: its 4 EPCI, then its communes), same notebook,
same data (the demo's own, ``data_dir`` left empty):

(a) naive: for each territory, sequentially, the ``papermill`` command (codes passed
    with ``-r``), then ``jupyter nbconvert --to html --no-input``; when the notebook takes a
    ``tables_dir`` parameter, (a) passes it, so that its notebooks write the CSV/XLSX tables
    that (b) writes beside each report (before 2 December 2026, 5ᵉ partie, (a) did not:
    it did 0.2 to 0.6 s less work per report than (b));
(b) ``abs batch`` with its default settings (a local Dask cluster, one worker per
    core), in a fresh reports folder so that nothing is skipped.

Prints both wall times, reports per minute, the ratio (a)/(b), the report-seconds of
(b) (time spent inside the workers per report) and the peak memory of each worker
including its Jupyter kernels: RSS summed over the processes (an upper bound: pages
shared between processes count in each) and PSS (shared pages divided). Not a test: run it by hand, e.g.

    .venv/bin/python benchmarks/bench_batch.py --territories 20
    .venv/bin/python benchmarks/bench_batch.py --notebook tests/fixtures/notebooks/batch_study.ipynb

Default notebook: ``notebooks/diagnostic.ipynb`` when it exists, else the batch test fixture.

Bytecode: ``abs_lib`` is compiled first (``compileall``), as ``pip install`` does. Without it,
on a machine with ``PYTHONDONTWRITEBYTECODE=1`` (this one) and an editable install, each
process compiles abs's modules again: (a) paid it twice per report and (b) once per process,
which flattered the ratio (measures of this file before 2 December 2026, 4ᵉ partie).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "notebooks" / "batch_study.ipynb"
BIN = Path(sys.executable).parent


def demo_territories(n: int) -> list[tuple[str, str]]:
    """(code, level): the demo EPCI first, then its communes in code order."""
    from abs_lib.demo import demo_geography

    geography = demo_geography()
    found = [(code, "epci") for code in sorted(geography.epci.index)]
    found += [(code, "commune") for code in sorted(geography.communes.index)]
    if n > len(found):
        raise SystemExit(f"la démo n'a que {len(found)} territoires")
    return found[:n]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"échec de {' '.join(cmd[:3])}… :\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done


def takes_tables_dir(notebook: Path) -> bool:
    """True when the notebook's ``parameters`` cell declares ``tables_dir``."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    return any("parameters" in c.metadata.get("tags", []) and "tables_dir" in c.source for c in nb.cells)


def naive(territories, notebook: Path, out: Path, year: int | None) -> float:
    out.mkdir(parents=True)
    tables = takes_tables_dir(notebook)
    start = time.perf_counter()
    for code, level in territories:
        executed = out / f"{code}.ipynb"
        # data_dir left at "": the demo notebooks then read the demo's own data.
        cmd = [str(BIN / "papermill"), str(notebook), str(executed), "-r", "territory", code,
               "-r", "level", level, "--no-progress-bar"]
        if tables:  # the same tables as (b) writes beside each report
            cmd += ["-r", "tables_dir", str(out / f"{code}-tableaux")]
        if year is not None:
            cmd += ["-p", "year", str(year)]
        run(cmd)
        run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)])
    seconds = time.perf_counter() - start
    made = len(list(out.glob("*.html")))
    assert made == len(territories), f"{made} pages HTML au lieu de {len(territories)}"
    if tables:
        workbooks = len(list(out.glob("*-tableaux/*.xlsx")))
        assert workbooks == len(territories), f"{workbooks} classeurs XLSX au lieu de {len(territories)}"
    return seconds


def batch(territories, notebook: Path, out: Path, year: int | None) -> tuple[float, dict]:
    listing = out.parent / "territoires.txt"
    listing.write_text("".join(f"{code}\n" for code, _ in territories), encoding="utf-8")
    cmd = [str(BIN / "abs"), "batch", "--demo", "--territories", str(listing), "--notebook", str(notebook),
           "--reports-dir", str(out), "--sans-progression"]
    if year is not None:
        cmd += ["--year", str(year)]
    start = time.perf_counter()
    done = run(cmd)
    seconds = time.perf_counter() - start
    log = json.loads(next(out.glob("batch-*.json")).read_text(encoding="utf-8"))
    assert log["counts"]["reussi"] == len(territories), done.stdout
    return seconds, log


def cell_profile(reports: Path, log: dict) -> None:
    """Mean seconds per code cell (papermill's ``duration`` in the executed notebooks) and per step."""
    import statistics

    import nbformat

    per_cell: dict[int, list[float]] = {}
    heads: dict[int, str] = {}
    for path in sorted(reports.glob("*/*.ipynb")):
        if path.name.endswith((".echec.ipynb", ".ancien.ipynb")):
            continue
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
            if cell.cell_type != "code" or duration is None:
                continue
            per_cell.setdefault(index, []).append(duration)
            lines = [line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")]
            heads[index] = (lines[-1] if "injected" not in str(cell.metadata.get("tags")) else "(paramètres injectés)")[:70]
    if not per_cell:
        return
    total = sum(statistics.mean(v) for v in per_cell.values())
    print("Durée moyenne des cellules (papermill), en s par rapport :")
    for index, values in per_cell.items():
        mean = statistics.mean(values)
        print(f"  cellule {index:2d} {mean:6.2f} s ({mean / total:4.0%})  {heads[index]}")
    made = [o for o in log["outcomes"] if o["status"] == "reussi"]
    steps = {k: statistics.mean(o["timings"].get(k, 0.0) for o in made) for k in ("execution", "export", "tables")}
    per_report = statistics.mean(o["seconds"] for o in made)
    print(f"  total des cellules {total:.2f} s ; exécution (noyau compris) {steps['execution']:.2f} s ; "
          f"export HTML {steps['export']:.2f} s ; tableaux {steps['tables']:.2f} s ; reste (noyau, "
          f"provenance, publication) {per_report - total - steps['export'] - steps['tables']:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=20, help="nombre de territoires de la démo (20 à 40)")
    parser.add_argument("--notebook", type=Path, default=None, help="notebook d'étude (défaut : diagnostic)")
    parser.add_argument("--year", type=int, default=None, help="paramètre year du notebook")
    parser.add_argument("--skip-naive", action="store_true", help="ne mesure que abs batch")
    parser.add_argument("--cellules", dest="cells", action="store_true",
                        help="affiche aussi la durée moyenne de chaque cellule et de chaque étape")
    args = parser.parse_args()
    import compileall

    import abs_lib

    compileall.compile_dir(str(Path(abs_lib.__file__).parent), quiet=1)  # as pip install does

    notebook = args.notebook or (REPO / "notebooks" / "diagnostic.ipynb")
    if not notebook.is_file():
        notebook = FIXTURE
    notebook = notebook.resolve()
    territories = demo_territories(args.territories)
    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    print(f"Notebook : {notebook.relative_to(REPO) if notebook.is_relative_to(REPO) else notebook}")
    print(f"Territoires : {len(territories)} (démo fictive) ; cœurs : {os.cpu_count()}")
    try:
        naive_seconds = None
        if not args.skip_naive:
            naive_seconds = naive(territories, notebook, work / "naif", args.year)
            print(f"(a) naïf, papermill puis nbconvert en commandes : {naive_seconds:7.1f} s, "
                  f"{len(territories) / naive_seconds * 60:5.1f} rapports/min")
        batch_seconds, log = batch(territories, notebook, work / "lot", args.year)
        print(f"(b) abs batch (réglages par défaut)           : {batch_seconds:7.1f} s, "
              f"{len(territories) / batch_seconds * 60:5.1f} rapports/min")
        if naive_seconds is not None:
            print(f"Rapport (a)/(b) : {naive_seconds / batch_seconds:.2f}")
        per_report = log["report_seconds"] / len(territories)
        print(f"Secondes-rapport dans les workers : {log['report_seconds']:.1f} s au total, "
              f"{per_report:.2f} s par rapport ; préparation {log['prepare_seconds']:.1f} s")
        peaks = ", ".join(f"{w['peak_rss'] / 2**20:.0f} Mio" + (f" (PSS {w['peak_pss'] / 2**20:.0f} Mio)"
                                                               if w.get("peak_pss") else "")
                          for w in log["workers"].values())
        print(f"Mémoire maximale par worker, noyaux compris (RSS) : {peaks}")
        if args.cells:
            cell_profile(work / "lot", log)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
