"""Profile: where the time of `abs report`, `abs indicators` and `abs territory show` goes, by phase.

Not a test. Each command is profiled in a fresh Python process (no warm cache of this
process helps it); the breakdown is printed as a table, and optionally saved as JSON:

    .venv/bin/python benchmarks/profile_commands.py --data-dir DONNEES [--territory 200000925]
        [--commands report,indicators,territory] [--json profil.json] [--cold]

Phases are measured with wall-clock timers put around the library's functions (no
profiler overhead); a phase called inside another is shown indented under it.

- process start: ``python -c pass``; CLI imports: ``import abs_lib.cli``;
- ``territory show``: reference reads, lookup, rendering;
- ``indicators``: imports of the command's modules, store reads, harmonisation
  (``indicators/loading.py``), indicator cache, computing, writing the CSV;
- ``report``, in the ``abs`` process: kernel start (papermill's first cell start minus the
  start of the execution), every notebook cell (``cell.metadata.papermill.duration`` of the
  executed notebook), HTML export, tables and provenance written; then the notebook is
  replayed in a plain process, statement by statement, to split its cells: imports,
  portrait (store reads, harmonisation, computing…), each figure, provenance, tables.

``--cold``: the indicator input cache (``ABS_CACHE_DIR``) starts empty for every command
(first run after an import or a code change); by default it is a temporary folder filled by
one run before measuring (what an analyst sees from the second command on).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

PHASES = [  # (label, module, attribute path); nested phases are shown under their parent
    ("géographie de référence (lecture)", "abs_lib.territories.geography", "_load"),
    ("communes de référence d'une année (parquet)", "abs_lib.territories.reference", "communes"),
    ("table d'appartenance des communes", "abs_lib.territories.geography", "Geography.membership"),
    ("registre des indicateurs", "abs_lib.indicators.registry", "load_registry"),
    ("portrait (open_portrait)", "abs_lib.portrait.build", "open_portrait"),
    ("entrées des indicateurs (load_inputs)", "abs_lib.indicators.loading", "load_inputs"),
    ("lecture du magasin (parquet)", "abs_lib.sources.store", "Store.read"),
    ("liste du magasin (manifestes)", "abs_lib.sources.store", "Store.entries"),
    ("somme des IRIS aux communes", "abs_lib.indicators.loading", "sum_iris_to_communes"),
    ("harmonisation géographique", "abs_lib.indicators.loading", "_on_geography"),
    ("cache des entrées : lecture", "abs_lib.indicators.cache", "read"),
    ("cache des entrées : écriture", "abs_lib.indicators.cache", "write"),
    ("table des indicateurs (compute_table)", "abs_lib.portrait.build", "compute_table"),
    ("calcul des indicateurs", "abs_lib.indicators.compute", "compute_indicators"),
    ("vue du territoire", "abs_lib.indicators.views", "territory_view"),
    ("contours des communes", "abs_lib.portrait.build", "_contours_entry"),
    ("tableau tidy (abs indicators)", "abs_lib.portrait.tables", "tidy_table"),
    ("écriture du fichier (atomic_write)", "abs_lib.atomic", "atomic_write"),
    ("exécution du notebook (papermill)", "abs_lib.reports.execute", "execute_study"),
    ("export HTML", "abs_lib.reports.export", "export_html"),
    ("tableaux CSV/XLSX (save_study_tables)", "abs_lib.portrait.tables", "save_study_tables"),
    ("provenance (report_provenance)", "abs_lib.reports.provenance", "report_provenance"),
    ("lignes utilisées (contributions)", "abs_lib.reports.contributions", "contributions"),
    ("territoire par son code (sans pandas)", "abs_lib.territories.quick", "find"),
    ("territoire (find_territory)", "abs_lib.territories", "find_territory"),
    ("texte affiché (render_text)", "abs_lib.cli.territory", "render_text"),
]


# ----------------------------------------------------------------------------- timers

class Timers:
    """Wall time per phase; a phase entered again while running (recursion) counts once."""

    def __init__(self):
        self.total: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.order: list[str] = []
        self.depth: dict[str, int] = {}
        self.stack: list[str] = []
        self.parent: dict[str, str | None] = {}

    @contextmanager
    def phase(self, label: str):
        outer = self.depth.get(label, 0) == 0
        if outer:
            if label not in self.total:
                self.order.append(label)
                self.parent[label] = self.stack[-1] if self.stack else None
            self.stack.append(label)
        self.depth[label] = self.depth.get(label, 0) + 1
        start = time.perf_counter()
        try:
            yield
        finally:
            self.depth[label] -= 1
            if outer:
                self.stack.pop()
                self.total[label] = self.total.get(label, 0.0) + time.perf_counter() - start
                self.calls[label] = self.calls.get(label, 0) + 1

    def rows(self) -> list[dict]:
        def depth(label):
            n, p = 0, self.parent.get(label)
            while p is not None:
                n, p = n + 1, self.parent.get(p)
            return n
        return [{"phase": label, "seconds": round(self.total[label], 3), "calls": self.calls[label],
                 "depth": depth(label)} for label in self.order]


def _wrap(timers: Timers, label: str, original):
    import functools

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        with timers.phase(label):
            return original(*args, **kwargs)
    wrapper._abs_profiled = True
    return wrapper


def install(timers: Timers, phases=PHASES) -> None:
    """Wrap every listed function of the loaded modules, wherever a module holds a reference to it."""
    for label, module_name, attribute in phases:
        module = sys.modules.get(module_name)
        if module is None:  # not imported by the command: importing it here would distort its time
            continue
        owner, name = module, attribute
        if "." in attribute:
            cls_name, name = attribute.split(".", 1)
            owner = getattr(module, cls_name, None)
        original = getattr(owner, name, None) if owner is not None else None
        if original is None or getattr(original, "_abs_profiled", False):
            continue
        wrapped = _wrap(timers, label, original)
        setattr(owner, name, wrapped)
        if owner is module:
            for other in list(sys.modules.values()):
                namespace = getattr(other, "__dict__", None)
                if not isinstance(namespace, dict):
                    continue
                for key, value in list(namespace.items()):
                    if value is original:
                        setattr(other, key, wrapped)


# ----------------------------------------------------------------------------- children

def _command_argv(command: str, args, out: Path) -> list[str]:
    if command == "territory":
        return ["territory", "show", args.territory]
    if command == "indicators":
        return ["indicators", args.territory, "--data-dir", args.data_dir, "-o", str(out / "x.csv")]
    return ["report", args.territory, "--study", "diagnostic", "--data-dir", args.data_dir,
            "--reports-dir", str(out / "rapports")]


COMMAND_MODULES = {  # what each command imports besides abs_lib.cli (imported first, timed apart)
    "territory": ["abs_lib.territories", "abs_lib.territories.quick"],
    "indicators": ["abs_lib.portrait.build", "abs_lib.portrait.tables", "abs_lib.indicators.cache",
                   "abs_lib.indicators.loading", "abs_lib.indicators.compute", "abs_lib.indicators.views",
                   "abs_lib.territories.geography", "abs_lib.territories.reference", "abs_lib.sources.store"],
    "report": ["abs_lib.reports.run", "abs_lib.reports.execute", "abs_lib.reports.export", "papermill",
               "abs_lib.atomic"],
}


def child(command: str, args) -> dict:
    """In a fresh process: import the CLI, then the command's modules, then run it with timers."""
    started = time.perf_counter()
    from abs_lib.cli import main  # noqa: F401
    cli_import = time.perf_counter() - started
    start = time.perf_counter()
    import importlib

    for name in COMMAND_MODULES[command]:
        try:
            module = importlib.import_module(name)
        except ImportError:  # a module of a later version of abs
            continue
        skip = getattr(module, "skip_unused_optional_imports", None)
        if skip is not None:  # as `abs report` does before importing nbformat
            skip()
    command_imports = time.perf_counter() - start
    timers = Timers()
    install(timers)
    out = Path(tempfile.mkdtemp(prefix="abs-profil-"))
    argv = _command_argv(command, args, out)
    start = time.perf_counter()
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        from abs_lib.cli import main as run

        status = run(argv)
    run_seconds = time.perf_counter() - start
    result = {"command": command, "argv": argv, "status": status, "cli_import": round(cli_import, 3),
              "command_imports": round(command_imports, 3), "run": round(run_seconds, 3),
              "phases": timers.rows()}
    if status:
        result["stderr"] = err.getvalue()[-2000:]
    if command == "report":
        result["cells"] = _cells(out / "rapports" / args.territory / "diagnostic.ipynb")
    return result


def _cells(path: Path) -> dict:
    """Cell durations recorded by papermill in the executed notebook, and when the first started."""
    import nbformat

    if not path.is_file():
        return {}
    nb = nbformat.read(path, as_version=4)
    cells = []
    first_start = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("papermill", {})
        if first_start is None and meta.get("start_time"):
            first_start = meta["start_time"]
        source = cell.source.strip().splitlines()
        label = next((line for line in source if line and not line.startswith("#")), source[0] if source else "")
        cells.append({"cell": i, "seconds": round(float(meta.get("duration") or 0.0), 3), "source": label[:90]})
    total = nb.metadata.get("papermill", {}).get("duration")
    return {"cells": cells, "notebook_seconds": total, "first_start": first_start,
            "notebook_start": nb.metadata.get("papermill", {}).get("start_time")}


def replay(args) -> dict:
    """The diagnostic notebook's code run in this process, statement by statement, timed."""
    import matplotlib

    matplotlib.use("Agg")
    from abs_lib.reports.studies import get_study

    notebook = get_study("diagnostic").notebook_path()
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    tables_dir = tempfile.mkdtemp(prefix="abs-profil-tables-")
    namespace: dict = {"__name__": "__main__"}
    statements = []
    timers = Timers()
    formatter = None
    first = True
    installed = False
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if first:  # the parameters cell: papermill injects the values after it
            exec(compile(cell.source, "<cellule>", "exec"), namespace)  # noqa: S102 - the study's own code
            namespace.update(territory=args.territory, year=None, data_dir=args.data_dir, level=None,
                             shared_tables="", tables_dir=tables_dir)
            first = False
            continue
        for node in ast.parse(cell.source).body:
            code = compile(ast.Module([node], []), "<cellule>", "exec")
            label = ast.get_source_segment(cell.source, node).splitlines()[0][:90]
            if label.startswith("portrait =") and not installed:
                installed = len(sys.modules)
                install(timers)  # imports done: time the library's phases of what follows
            elif installed and len(sys.modules) != installed:  # a cell imported more: wrap it too
                installed = len(sys.modules)
                install(timers)
            start = time.perf_counter()
            exec(code, namespace)  # noqa: S102
            seconds = time.perf_counter() - start
            statements.append({"statement": label, "seconds": round(seconds, 3)})
            if formatter is None and "display" in namespace:
                from IPython.core.formatters import DisplayFormatter

                formatter = DisplayFormatter()
                namespace["display"] = lambda *objs: [formatter.format(o) for o in objs]
    return {"statements": statements, "phases": timers.rows()}


# ----------------------------------------------------------------------------- parent

def _run_child(mode: str, command: str, args, env) -> tuple[dict, float]:
    argv = [sys.executable, __file__, "--child", mode, "--command", command, "--data-dir", args.data_dir,
            "--territory", args.territory]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"Échec du profilage de {command} ({mode}) :\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def _python_seconds(code: str, env, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _print_phases(rows, indent="  "):
    for row in rows:
        pad = indent + "  " * row["depth"]
        calls = f" ({row['calls']} appels)" if row["calls"] > 1 else ""
        print(f"{pad}{row['phase']:<{52 - len(pad)}} {row['seconds']:>8.3f} s{calls}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="magasin de données importées")
    parser.add_argument("--territory", default="200000925")
    parser.add_argument("--commands", default="territory,indicators,report")
    parser.add_argument("--json", default=None, help="écrit aussi le profil dans ce fichier JSON")
    parser.add_argument("--cold", action="store_true", help="cache des entrées vide pour chaque commande")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--command", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data_dir = str(Path(args.data_dir).resolve())

    if args.child == "run":
        print(json.dumps(child(args.command, args)))
        return 0
    if args.child == "replay":
        print(json.dumps(replay(args)))
        return 0

    env = dict(os.environ)
    cache = tempfile.mkdtemp(prefix="abs-profil-cache-")
    env["ABS_CACHE_DIR"] = cache
    profile = {"python": sys.version.split()[0], "load": os.getloadavg(), "cold": args.cold}
    profile["python_start"] = round(_python_seconds("pass", env), 3)
    profile["import_cli"] = round(_python_seconds("import abs_lib.cli", env), 3)
    print(f"Démarrage de Python (python -c pass) : {profile['python_start']:.3f} s ; "
          f"import abs_lib.cli (démarrage compris) : {profile['import_cli']:.3f} s ; "
          f"charge moyenne {profile['load'][0]:.2f}")
    for command in args.commands.split(","):
        if args.cold:
            import shutil

            shutil.rmtree(cache, ignore_errors=True)
        elif command != "territory":
            _run_child("run", "indicators", args, env)  # fills the input cache once
        result, wall = _run_child("run", command, args, env)
        result["wall"] = round(wall, 3)
        profile[command] = result
        print(f"\n== abs {' '.join(result['argv'])}")
        print(f"  processus entier (mesuré de l'extérieur, profilage compris) {wall:>13.3f} s")
        print(f"  import abs_lib.cli {result['cli_import']:>41.3f} s")
        print(f"  imports de la commande {result['command_imports']:>37.3f} s")
        print(f"  exécution de la commande {result['run']:>35.3f} s")
        _print_phases(result["phases"], indent="    ")
        if command == "report":
            cells = result.get("cells") or {}
            execute = next((r["seconds"] for r in result["phases"] if r["phase"].startswith("exécution du notebook")), None)
            cell_total = sum(c["seconds"] for c in cells.get("cells", []))
            if execute is not None:
                print(f"    démarrage du noyau et papermill (exécution − cellules) {execute - cell_total:>6.3f} s")
            print("    cellules du notebook (papermill) :")
            for c in cells.get("cells", []):
                print(f"      n°{c['cell']:<3} {c['seconds']:>7.3f} s  {c['source']}")
            replayed, _ = _run_child("replay", command, args, env)
            profile["report_replay"] = replayed
            print("  notebook rejoué instruction par instruction (processus simple, sans noyau) :")
            for s in replayed["statements"]:
                if s["seconds"] >= 0.01:
                    print(f"      {s['seconds']:>7.3f} s  {s['statement']}")
            print("    dont, dans la bibliothèque :")
            _print_phases(replayed["phases"], indent="      ")
    if args.json:
        Path(args.json).write_text(json.dumps(profile, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
