"""Benchmark: wall time of `abs report`, `abs indicators` and `abs territory show`, each run as a
new process several times (the acceptance measure of issue 12: the median of 5 runs).

Not a test. Each command runs as an analyst types it, through the ``abs`` entry point of this
interpreter (``python -c "from abs_lib.cli import main; main()"``, so ``PYTHONPATH`` picks the
code measured); outputs go to a temporary folder; the data directory is only read.

    .venv/bin/python benchmarks/bench_commands.py --data-dir DONNEES [--territory 200000925]
        [--runs 5] [--commands report,indicators,territory] [--cache-dir DOSSIER]

Cache of indicator inputs (``abs_lib.indicators.cache``): by default a temporary folder
(``ABS_CACHE_DIR``), empty at the start, so the first run of the first command that reads data
pays the reading and harmonisation (« à froid », shown apart) and the others find it filled, as
an analyst's second command does. ``--cache-dir`` keeps it elsewhere; ``ABS_NO_CACHE=1`` turns
it off. The data directory itself is never written.

Bytecode: ``pip install`` compiles the package's modules; an editable install run with
``PYTHONDONTWRITEBYTECODE=1`` (set on some machines, this one included) never writes them,
and every command would compile its modules again (0.2 to 0.4 s). The benchmark compiles
``abs_lib`` first (``compileall``, into the ignored ``__pycache__`` folders), as installed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"report": 6.0, "indicators": 1.5, "territory": 0.5}  # seconds, issue 12


def _argv(command: str, territory: str, data_dir: str, out: Path, run: int) -> list[str]:
    if command == "territory":
        return ["territory", "show", territory]
    if command == "indicators":
        return ["indicators", territory, "--data-dir", data_dir, "-o", str(out / f"indicateurs-{run}.csv")]
    return ["report", territory, "--study", "diagnostic", "--data-dir", data_dir,
            "--reports-dir", str(out / f"rapports-{run}")]


def time_command(argv: list[str], env: dict) -> float:
    """Seconds of one ``abs`` process, start to exit; a failure stops the benchmark."""
    code = "import sys; from abs_lib.cli import main; sys.exit(main())"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"Échec de « abs {' '.join(argv)} » (code {done.returncode}) :\n{done.stderr[-2000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="magasin de données importées (seulement lu)")
    parser.add_argument("--territory", default="200000925")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--commands", default="territory,indicators,report")
    parser.add_argument("--cache-dir", default=None, help="cache des entrées (défaut : dossier temporaire neuf)")
    args = parser.parse_args()
    data_dir = str(Path(args.data_dir).resolve())
    out = Path(tempfile.mkdtemp(prefix="abs-bench-"))
    env = dict(os.environ)
    env["ABS_CACHE_DIR"] = args.cache_dir or str(out / "cache")
    import compileall

    import abs_lib

    compileall.compile_dir(str(Path(abs_lib.__file__).parent), quiet=1)  # as pip install does
    print(f"abs_lib : {Path(abs_lib.__file__).parent} ; Python {sys.version.split()[0]} ; "
          f"{os.cpu_count()} cœurs ; charge moyenne au départ {os.getloadavg()[0]:.2f}")
    results = []
    for command in args.commands.split(","):
        times = []
        for run in range(args.runs):
            argv = _argv(command, args.territory, data_dir, out, run)
            times.append(time_command(argv, env))
            print(f"  abs {' '.join(argv[:2])} … essai {run + 1} : {times[-1]:.2f} s", flush=True)
        results.append((command, argv, times))
    print(f"\nCharge moyenne à la fin : {os.getloadavg()[0]:.2f} (machine partagée : comparez des mesures "
          "faites dans les mêmes conditions)")
    print(f"\n| commande | médiane ({args.runs} essais) | 1er essai | min | max | objectif |")
    print("|---|---|---|---|---|---|")
    for command, argv, times in results:
        shown = " ".join(a if not a.startswith(str(out)) else "…" for a in argv)
        target = TARGETS.get(command)
        verdict = "" if target is None else (f"≤ {target:g} s " + ("✓" if statistics.median(times) <= target else "✗"))
        print(f"| `abs {shown}` | **{statistics.median(times):.2f} s** | {times[0]:.2f} s | {min(times):.2f} s | "
              f"{max(times):.2f} s | {verdict} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
