"""Benchmark: stream a national-size FD_LOGEMT file into its commune table (synthetic, deterministic).

Writes a CSV in the real layout of the census dwellings detail file (the real header of
FD_LOGEMT_2020.csv, ``;`` separator, INSEE modality codes, weights with 15 decimals), at
national size by default (20 million rows, 35 000 communes), into a temporary folder,
with DuckDB (one ``COPY … TO`` over ``range(n)``, values derived from ``hash(i)``: no
seed, the same file every time). A child process writes it, so the measuring process
only aggregates. Then times ``abs_lib.sources.fd_logement.aggregate_file`` (DuckDB
``read_csv`` streamed into weighted sums, then the pivot) and measures the peak memory
of the process, DuckDB included (RSS sampled every 50 ms with psutil, and
``getrusage`` ru_maxrss). Goal on the 2-core development machine: < 2 min, < 2 GiB.

    python benchmarks/bench_fd_logement.py                      # 20 000 000 rows
    python benchmarks/bench_fd_logement.py --rows 2000000 --zip --import   # smaller; zip path, whole import
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEADER_FIXTURE = REPO / "tests" / "fixtures" / "real_headers" / "insee_fd_logemt_2016_2020.txt"


def real_header() -> list[str]:
    lines = [line for line in HEADER_FIXTURE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    return lines[0].split(";")


def write_file(path: Path, rows: int, communes: int, threads: int) -> None:
    """The synthetic file, written by DuckDB in parallel: about 1 dwelling in 6 unoccupied."""
    import duckdb

    def h(salt: int) -> str:
        return f"CAST(hash(i + {salt * 1_000_003}) % 1000000007 AS BIGINT)"

    values = {
        "COMMUNE": f"lpad(CAST(1000 + {h(1)} % {communes} AS VARCHAR), 5, '0')",
        "ARM": "'ZZZZZ'",
        "IRIS": "'ZZZZZZZZZ'",
        "STOCD": f"CASE WHEN {h(2)} % 6 = 0 THEN '00' ELSE ['10', '21', '22', '23', '30'][1 + {h(3)} % 5] END",
        "AGEMEN8": (f"CASE WHEN {h(2)} % 6 = 0 THEN 'YY' "
                    f"ELSE ['00', '15', '20', '25', '40', '55', '65', '80'][1 + {h(4)} % 8] END"),
        "CATL": f"CASE WHEN {h(2)} % 6 = 0 THEN '4' ELSE '1' END",
        "HLML": f"CASE WHEN {h(2)} % 6 = 0 THEN 'Y' ELSE CAST(1 + {h(5)} % 2 AS VARCHAR) END",
        "INPER": f"CAST(1 + {h(6)} % 5 AS VARCHAR)",
        "NBPI": f"CAST(1 + {h(7)} % 6 AS VARCHAR)",
        "IPONDL": f"printf('%.15f', 0.5 + {h(8)} / 1000000007.0 * 8.5)",
        "REGION": "'27'",
        "METRODOM": "'M'",
    }
    select = ", ".join(f"{values.get(c, repr('Z'))} AS {c}" for c in real_header())
    con = duckdb.connect(config={"threads": threads, "memory_limit": "1GB", "preserve_insertion_order": False})
    target = str(path).replace("'", "''")
    con.execute(f"COPY (SELECT {select} FROM range({rows}) t(i)) TO '{target}' (DELIMITER ';', HEADER, QUOTE '')")
    con.close()


class PeakRSS:
    """Samples the process RSS (DuckDB's memory is the process's) in a background thread."""

    def __init__(self, interval: float = 0.05):
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def mib(n: float) -> str:
    return f"{count(round(n / 2**20))} Mio"


def count(n: int) -> str:
    """12 345 678 (thin spaces between thousands)."""
    return f"{n:,}".replace(",", "\u202f")


def measure(path: Path, threads: int, memory_limit: str, label: str) -> float:
    from abs_lib.sources import fd_logement as fd

    before = mib(PeakRSS().process.memory_info().rss)
    with PeakRSS() as rss:
        started = time.perf_counter()
        table, aggregate = fd.aggregate_file(path, threads=threads, memory_limit=memory_limit)
        seconds = time.perf_counter() - started
    rows_per_s = aggregate.rows / seconds
    print(f"{label} : {seconds:.1f} s ({rows_per_s / 1e6:.2f} M lignes/s) ; {count(aggregate.rows)} lignes lues, "
          f"{count(len(table))} communes, {table.shape[1] - 1} variables ; dont lecture DuckDB {aggregate.seconds:.1f} s")
    print(f"  mémoire : pic RSS échantillonné {mib(rss.peak)} (avant : {before}) ; "
          f"ru_maxrss du processus {mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}")
    return seconds


def measure_import(path: Path, folder: Path, threads: int, memory_limit: str) -> None:
    """The whole `abs data import`: sha256 of the original, aggregation, commune table stored."""
    from abs_lib.sources import fd_logement as fd
    from abs_lib.sources.store import Store

    with PeakRSS() as rss:
        started = time.perf_counter()
        entry = fd.import_detail_file(path, Store(folder / "donnees"), vintage=2019, threads=threads,
                                      memory_limit=memory_limit)
        seconds = time.perf_counter() - started
    print(f"import complet (sha256 + agrégation + table enregistrée) : {seconds:.1f} s ; {count(entry.rows)} "
          f"communes ; pic RSS échantillonné {mib(rss.peak)}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000, help="lignes du fichier (défaut 20 000 000)")
    parser.add_argument("--communes", type=int, default=35_000, help="communes (défaut 35 000)")
    parser.add_argument("--threads", type=int, default=2, help="threads DuckDB (défaut 2)")
    parser.add_argument("--memory-limit", default="1GB", help="limite mémoire DuckDB (défaut 1GB)")
    parser.add_argument("--dir", default=None, help="dossier du fichier (défaut : dossier temporaire)")
    parser.add_argument("--keep", action="store_true", help="garder le fichier écrit")
    parser.add_argument("--zip", action="store_true", help="mesurer aussi l'archive zip (décompressée au fil de l'eau)")
    parser.add_argument("--import", dest="full_import", action="store_true",
                        help="mesurer aussi l'import complet (somme de contrôle sha256 + agrégation + enregistrement)")
    parser.add_argument("--write-only", metavar="FICHIER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.write_only:
        write_file(Path(args.write_only), args.rows, args.communes, args.threads)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="bench-fd-logement-", dir=args.dir))
    path = folder / "FD_LOGEMT_2019.csv"
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--write-only", str(path), "--rows", str(args.rows),
                        "--communes", str(args.communes), "--threads", str(args.threads)], check=True)
        print(f"fichier écrit : {path.name}, {count(args.rows)} lignes, {path.stat().st_size / 2**30:.2f} Gio, "
              f"en {time.perf_counter() - started:.1f} s (processus enfant)")
        print(f"machine : {os.cpu_count()} cœurs, charge moyenne {os.getloadavg()[0]:.2f} ; DuckDB threads="
              f"{args.threads}, memory_limit={args.memory_limit}")
        measure(path, args.threads, args.memory_limit, "agrégation CSV (read_csv en flux + pivot)")
        if args.full_import:
            measure_import(path, folder, args.threads, args.memory_limit)
        if args.zip:
            archive = folder / "RP2019_LOGEMT_csv.zip"
            started = time.perf_counter()
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as handle:
                handle.write(path, "FD_LOGEMT_2019.csv")
            print(f"archive zip écrite : {archive.stat().st_size / 2**20:.0f} Mio en {time.perf_counter() - started:.1f} s")
            measure(archive, args.threads, args.memory_limit, "agrégation zip (décompression au fil de l'eau + pivot)")
    finally:
        if args.keep:
            print(f"fichier gardé : {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
