"""Benchmark: each figure of a diagnostic, drawn and written as the report's PNG.

Opens the portrait of a territory (default: the real EPCI 200000925 from a store given
with --data-dir, or the fictional demo with --demo), then for each figure of the
diagnostic times draw + PNG (median of --repeat runs) and prints the PNG size. Timings
depend on the machine's load: run it alone for numbers worth comparing; the CPU time
(process time) column is less sensitive to other processes.

    .venv/bin/python benchmarks/bench_figures.py --data-dir DATA_DIR [--territory 200000925] [--repeat 5]
    .venv/bin/python benchmarks/bench_figures.py --demo
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from abs_lib.errors import FigureError  # noqa: E402
from abs_lib.portrait import figures, open_portrait  # noqa: E402
from abs_lib.portrait.display import Png  # noqa: E402

FIGURES = [
    ("carte population", figures.map_indicator, ("population",)),
    ("structure par âge", figures.figure_age_structure, ()),
    ("carte part 60 ans ou plus", figures.map_indicator, ("part_60_plus",)),
    ("couverture accueil jeune enfant", figures.figure_coverage, ()),
    ("barres enfants 0-2 ans", figures.figure_indicator, ("enfants_0_2",)),
    ("barres familles monoparentales", figures.figure_indicator, ("part_familles_monoparentales",)),
    ("barres part 75 ans ou plus", figures.figure_indicator, ("part_75_plus",)),
    ("carte part 75 ans ou plus", figures.map_indicator, ("part_75_plus",)),
    ("barres locataires HLM", figures.figure_indicator, ("part_locataires_hlm",)),
    ("barres revenu médian", figures.figure_indicator, ("revenu_median",)),
    ("carte revenu médian", figures.map_indicator, ("revenu_median",)),
    ("barres chômage", figures.figure_indicator, ("taux_chomage_15_64",)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--territory", default="200000925")
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    if args.demo:
        portrait = open_portrait("000000001")
    else:
        portrait = open_portrait(args.territory, data_dir=args.data_dir)
    print(f"portrait {portrait.territory.name}: {time.perf_counter() - start:.1f} s")
    Png(figures.figure_age_structure(portrait))  # fonts and caches warm, as in a report after the first figure
    total_time = total_cpu = total_bytes = 0.0
    for name, draw, extra in FIGURES:
        times, cpu, size = [], [], 0
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                png = Png(draw(portrait, *extra))
                size = len(png.data)
            except FigureError:
                size = -1  # not drawn: the report shows why in French
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        median = statistics.median(times)
        total_time += median
        total_cpu += statistics.median(cpu)
        total_bytes += max(size, 0)
        shown = "non dessinée (FigureError)" if size < 0 else f"{size / 1024:6.1f} Ko"
        print(f"{name:34s} {median * 1000:7.0f} ms  CPU {statistics.median(cpu) * 1000:6.0f} ms  {shown}")
    print(f"{'total':34s} {total_time * 1000:7.0f} ms  CPU {total_cpu * 1000:6.0f} ms  {total_bytes / 1024:6.1f} Ko")


if __name__ == "__main__":
    main()
