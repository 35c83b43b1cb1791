"""What runs on a Dask worker: one report per task, in a long-lived process.

Why a long-lived worker: the ``papermill`` and ``jupyter nbconvert`` commands pay
seconds of interpreter start and imports per report. A worker imports papermill,
nbconvert and abs once (:class:`WarmUp`, a worker plugin, also renders a tiny page
so nbconvert's templates are loaded), then each task pays only the notebook's
execution and the export.

When the study notebook's imports are known, the worker also keeps one kernel
(``keptkernel``), started with them already imported and reset between two reports:
``kernel`` is ``neuf`` in the outcome of a kernel's first report, ``reutilise`` in
the next ones. Without it, a new ``python3`` kernel per report (``neuf``).

A task never raises: whatever happens to one territory is returned as a
:class:`ReportOutcome` (with the failing cell and error), so that one failure
never stops the others. Each task also measures the peak memory (RSS) of its
worker process plus its children (the Jupyter kernel) with psutil.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from abs_lib.reports.provenance import PARIS

SUCCESS, FAILURE, UNCHANGED = "reussi", "echec", "inchange"
NOT_RUN = "non-lance"  # the batch was interrupted before this report was produced (not a failure)
STATUSES = (SUCCESS, FAILURE, UNCHANGED, NOT_RUN)
STATUS_LABELS = {SUCCESS: "réussi", FAILURE: "échec", UNCHANGED: "inchangé", NOT_RUN: "non lancé"}


@dataclass(frozen=True)
class ReportTask:
    """One report to produce; plain data, cheap to send to a worker."""

    territory: str
    level: str
    name: str
    study: object  # abs_lib.reports.studies.Study (picklable dataclass)
    year: int | None
    data_dir: str | None  # None: build_report's default (the demo's own store for demo codes)
    reports_dir: str
    params: dict
    inputs: dict
    timeout: int | None = 600
    reason: str | None = None


@dataclass
class ReportOutcome:
    """What became of one territory's report."""

    territory: str
    level: str
    name: str
    status: str
    generated_at: str | None = None
    reason: str | None = None
    error: str | None = None
    error_cell: int | None = None
    error_name: str | None = None
    error_value: str | None = None
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)
    worker: str | None = None
    peak_rss: int | None = None
    peak_pss: int | None = None
    fictional: bool = False
    hidden_warnings: int = 0
    kernel: str | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def short_error(self) -> str | None:
        """One line: ``cellule n°7 : KeyError : 'P16_POP'`` or the first line of the message."""
        if self.error_name is not None:
            where = f"cellule n°{self.error_cell} : " if self.error_cell is not None else ""
            return f"{where}{self.error_name} : {self.error_value}"
        if self.error:
            return self.error.strip().splitlines()[0]
        return None


class MemorySampler:
    """Peak memory of this process plus all its children, sampled in a thread while active.

    ``peak`` sums the RSS (resident set) of every process: pages shared between processes
    (libraries) are counted in each, so it is an upper bound. ``peak_pss``
    sums the PSS (each shared page divided among its sharers: what the processes really
    hold together), read less often because it costs more; None where the system has no PSS.

    Measuring must not slow what it measures: reading the PSS walks every page of a
    process (~20 ms of CPU for 500 MiB, times three processes), and listing the process
    tree ~2 ms. Sampled every 50 ms and 250 ms, they took a fifth of a core per worker;
    now RSS every 0.1 s (µs per process), the tree every 0.5 s, the PSS after 1 s then
    every 2 s (at the end if the report was shorter).
    """

    def __init__(self, interval: float = 0.1, pss_every: int = 20, tree_every: int = 5):
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self._pss_every = pss_every
        self._tree_every = tree_every
        self._processes: list = []
        self._stop = threading.Event()
        self.peak = 0
        self.peak_pss: int | None = None
        self._thread = threading.Thread(target=self._run, name="abs-memoire", daemon=True)

    def _tree(self, refresh: bool = True):
        if refresh or not self._processes:
            self._processes = [self._process, *self._process.children(recursive=True)]
        return self._processes

    def sample(self, pss: bool = False, refresh: bool = True) -> int:
        import psutil

        total = total_pss = 0
        for process in self._tree(refresh):
            try:
                if pss:
                    info = process.memory_full_info()
                    total_pss += getattr(info, "pss", 0)
                else:
                    info = process.memory_info()
                total += info.rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass
        self.peak = max(self.peak, total)
        if pss and total_pss:
            self.peak_pss = max(self.peak_pss or 0, total_pss)
        return total

    def _run(self) -> None:
        tick = 0
        while not self._stop.wait(self._interval):
            tick += 1
            try:
                # PSS first after half a period (a report's kernel is up), then every period.
                self.sample(pss=tick % self._pss_every == self._pss_every // 2, refresh=tick % self._tree_every == 0)
            except Exception:  # noqa: BLE001 - never let a measurement break a report
                pass

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample(pss=self.peak_pss is None)  # a report too short for a periodic PSS reading


def worker_name() -> str:
    """The Dask worker address, or host:pid outside a worker."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


def _cell_error(error: BaseException):
    """The papermill cell error behind a ReportError, if the notebook failed in a cell."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if type(error).__name__ == "PapermillExecutionError":
            return error
        error = error.__cause__ or error.__context__
    return None


def run_report_task(task: ReportTask) -> ReportOutcome:
    """Produce one report with ``build_report``; record its inputs on success. Never raises."""
    from abs_lib.batch.inputs import write_inputs
    from abs_lib.reports.run import build_report

    outcome = ReportOutcome(territory=task.territory, level=task.level, name=task.name, status=FAILURE,
                            worker=worker_name(), reason=task.reason)
    start = time.perf_counter()
    kept = _KEPT_KERNEL
    ok = False
    with MemorySampler() as memory:
        try:
            kernel_manager = _kept_kernel_manager(kept) if kept is not None else None
            outcome.kernel = "reutilise" if kept is not None and not kept.fresh else "neuf"
            result = build_report(
                task.territory, task.study, year=task.year, data_dir=task.data_dir,
                reports_dir=task.reports_dir, extra_params=dict(task.params, level=task.level),
                timeout=task.timeout, kernel_manager=kernel_manager,
            )
            ok = True
            outcome.generated_at = _generated_at(result.provenance)
            write_inputs(result.folder, result.study, task.inputs, outcome.generated_at)
            outcome.status = SUCCESS
            outcome.timings = dict(result.timings)
            outcome.fictional = result.fictional
            outcome.hidden_warnings = result.hidden_warnings
        except Exception as error:  # noqa: BLE001 - one territory's failure must not stop the batch
            outcome.error = str(error) or type(error).__name__
            cell = _cell_error(error)
            if cell is not None:
                outcome.error_cell = getattr(cell, "exec_count", None)
                outcome.error_name = getattr(cell, "ename", None)
                outcome.error_value = getattr(cell, "evalue", None)
            elif type(error).__name__ != "ReportError":
                outcome.error_name = type(error).__name__
                outcome.error_value = str(error)
            outcome.generated_at = datetime.now(PARIS).isoformat(timespec="seconds")
        finally:
            if kept is not None:
                kept.after_report(ok)
    outcome.seconds = time.perf_counter() - start
    outcome.peak_rss = memory.peak
    outcome.peak_pss = memory.peak_pss
    return outcome


def _kept_kernel_manager(kept):
    """The worker's kept kernel, started or reset; a French ``ReportError`` when it cannot be."""
    return kept.ready("Relancez le lot ; si l'échec revient, essayez --noyaux-neufs.", whose=" du worker")


def _generated_at(provenance: Path) -> str | None:
    import json

    try:
        return json.loads(Path(provenance).read_text(encoding="utf-8")).get("generated_at")
    except (OSError, ValueError):
        return None


def warm_up() -> dict:
    """Import what every report needs and load nbconvert's templates once; return facts on the worker."""
    start = time.perf_counter()
    from abs_lib.optional_imports import skip_unused_optional_imports

    skip_unused_optional_imports()
    import nbformat
    import papermill  # noqa: F401
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    import abs_lib
    from abs_lib.reports import execute, kernel, provenance, run  # noqa: F401
    from abs_lib.reports.export import render_html

    # Outputs like a study's (HTML table, PNG image, Markdown): the first real export then finds
    # every template, filter and parser already loaded (measured: 0.9 s of a worker's first report).
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    cell = new_code_cell("x", outputs=[
        new_output("display_data", data={"text/html": "<table><thead><tr><th>a</th></tr></thead>"
                                                      "<tbody><tr><td>1</td></tr></tbody></table>",
                                         "text/plain": "a"}),
        new_output("display_data", data={"image/png": png, "text/plain": "figure"}),
        new_output("stream", name="stderr", text="avertissement"),
    ])
    sample = new_notebook(cells=[new_markdown_cell("## Échauffement\n\nTexte **gras**, [lien](#a).\n\n"
                                                   "| a | b |\n|---|---|\n| 1 | 2 |"), cell])
    nbformat.validate(sample)
    render_html(sample, title="échauffement", fictional=True)
    nbformat.validator.get_validator(version=4)
    return {"pid": os.getpid(), "abs_version": abs_lib.__version__, "seconds": time.perf_counter() - start}


def worker_facts(paths: list[str]) -> dict:
    """For the driver's checks: abs version of the worker and which of ``paths`` it cannot see."""
    import abs_lib

    return {"abs_version": abs_lib.__version__, "missing": [p for p in paths if not os.path.exists(p)],
            "host": socket.gethostname()}


_KEPT_KERNEL = None  # this worker's KeptKernel, set by WarmUp


class WarmUp(WorkerPlugin):
    """Dask worker plugin, run when a worker joins (also for workers added later).

    With ``preload`` (the study notebook's imports; None: a new kernel per report), starts
    the worker's kept kernel (``keptkernel``) and imports them in it, in a thread, then
    runs :func:`warm_up`. Registering it again (next batch, other study) replaces the kernel.
    """

    name = "abs-echauffement"

    def __init__(self, preload: list[str] | None = None):
        self.preload = list(preload) if preload is not None else None

    def setup(self, worker) -> None:
        global _KEPT_KERNEL
        self.teardown(worker)
        if self.preload is not None:
            from abs_lib.reports.keptkernel import KeptKernel

            _KEPT_KERNEL = KeptKernel(modules=self.preload)
            _KEPT_KERNEL.start_soon()
        warm_up()

    def teardown(self, worker) -> None:
        global _KEPT_KERNEL
        if _KEPT_KERNEL is not None:
            _KEPT_KERNEL.close()
            _KEPT_KERNEL = None
