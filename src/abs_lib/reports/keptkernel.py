"""One Jupyter kernel per batch worker, kept for its successive reports and reset between two.

Why: profiling ``abs batch`` showed that, once papermill and nbconvert live in a
long-lived worker, a report's time was dominated by its kernel: a new process (or a
fork of a pre-warmed server) paid its start, its pages copied on write and, each time,
the caches a process fills on its first report (text layout, matplotlib axes, pandas
and pyarrow code paths: 5.6 s of cells for a first report, 3.4 s from the second on).
A kept kernel pays them once per worker, and a worker holds one Python process with
the study's modules instead of a fork server and its fork (counted twice in RSS).

A report sees the kernel as new: before each report but the first, the kernel is reset
(:func:`restore_state`, run inside it): IPython's namespaces (every variable of the
notebook), output caches and execution counter (cells numbered from 1 again), open
figures, random generators seeded anew, warnings shown again (their « already shown »
registries voided) and the working folder of a new kernel. What stays is what modules
keep for themselves: imports and caches keyed by their inputs (file paths and dates,
fonts, sizes; never a territory), and whatever a notebook changed in a module's state
(environment variables, warning filters, options), as a notebook that is not abs's own
might. A kernel that failed a report, died, or grew beyond ``max_rss`` is replaced by a
new one; so is one that ran ``max_reports`` reports.

:class:`KeptKernel` lives in the worker; :func:`remember_state` and
:func:`restore_state` run in the kernel (this module imports nothing heavy).

A single report (``build_report`` without a kernel given) uses one too, for one report: its
kernel starts, in a thread, with the notebook's imports, while the command imports papermill
and nbconvert (0.3 to 0.5 s less for ``abs report``, BENCHMARKS.md).
"""

from __future__ import annotations

import functools
import os
import sys
import threading

#: Extra arguments of a kept kernel: no SQLite history (a report's is never read).
KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False",)
#: What abs's studies import inside their functions (maps, XLSX tables, parquet reads): a
#: notebook's ``import`` lines do not show them; imported with the notebook's own.
LIBRARY_MODULES = ("geopandas", "shapely.geometry", "pyproj", "xlsxwriter", "pyarrow.parquet",
                   "PIL.PngImagePlugin")
_REMEMBER = "import abs_lib.reports.keptkernel as _abs_k; _abs_k.remember_state(); del _abs_k"
_RESTORE = "import abs_lib.reports.keptkernel as _abs_k; _abs_k.restore_state()"

_STATE: dict | None = None  # in the kernel: what it was like when new


def remember_state() -> None:
    """In a new kernel: note what :func:`restore_state` brings back before each later report."""
    global _STATE
    _STATE = {"cwd": os.getcwd()}


def restore_state() -> None:
    """In a kept kernel, between two reports: back to a new kernel's state (see module)."""
    import gc
    import random
    import warnings

    from IPython import get_ipython

    if _STATE is None:
        raise RuntimeError("état initial du noyau non mémorisé")
    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)  # namespaces, Out/_ caches, execution_count = 1; gc.collect()
    else:
        gc.collect()
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
    # Resetting the filters voids every « already shown » registry: a warning the previous
    # report showed is shown again in this one, as in a new kernel. The filters themselves
    # stay (a module may have added its own when it was imported).
    filters = list(warnings.filters)
    warnings.resetwarnings()
    warnings.filters[:] = filters
    warnings.onceregistry.clear()
    os.chdir(_STATE["cwd"])
    random.seed()  # seeded from the OS, as a new process is
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    # What is alive now (modules, their caches) lives as long as the kernel: the reset above
    # collected the garbage, freezing the rest spares every later collection from walking it
    # again (0.1 s per full collection of a kernel's 160 000 objects).
    gc.freeze()


class KeptKernel:
    """In a batch worker: the kernel manager its reports run in, started and reset as needed.

    ``before_report()`` gives the kernel manager to pass to ``build_report(kernel_manager=…)``;
    ``after_report(ok)`` replaces the kernel when needed. A worker runs one report at a time;
    a lock only orders them with ``start_soon`` and ``close``.
    """

    def __init__(self, kernel_name: str = "python3", *, modules=(), max_reports: int = 200,
                 max_rss: int = 1024 * 2**20, start_timeout: float = 60):
        self.kernel_name = kernel_name
        self.modules = list(modules)  # imported when the kernel starts (``preload``)
        self.max_reports = max_reports
        self.max_rss = max_rss
        self.start_timeout = start_timeout
        self.km = None
        self.reports = 0  # reports run by the current kernel
        self.started = 0  # kernels started by this object
        self._lock = threading.RLock()

    def start_soon(self) -> threading.Thread:
        """Start the kernel (and its imports) in a thread: a worker does it while the batch prepares.

        jupyter_client is imported here first: imported by this thread while the caller imports
        papermill (which imports it too), its circular ``__init__``/``manager`` imports failed
        with « partially initialized module » (every time in ``WarmUp.setup``)."""
        _manager_class()

        def start():
            with self._lock:
                if self.km is None:
                    try:
                        self._start()
                    except Exception:  # noqa: BLE001 - tried again, and reported, by the first report
                        pass

        thread = threading.Thread(target=start, name="abs-noyau", daemon=True)
        thread.start()
        return thread

    def before_report(self):
        """Start the kernel or reset it; return its kernel manager."""
        with self._lock:
            return self._before_report()

    def _before_report(self):
        if self.km is not None and not self._alive():
            self._close()
        if self.km is None:
            self._start()
        elif self.reports:
            try:
                self._run(_RESTORE)
            except Exception:  # noqa: BLE001 - a kernel that cannot be reset is replaced
                self._close()
                self._start()
        return self.km

    def ready(self, advice: str, *, whose: str = ""):
        """:meth:`before_report`, its failure told in French (jupyter_client's errors are in English):
        « Le noyau Jupyter{whose} n'a pas pu démarrer (…). {advice} »."""
        from abs_lib.errors import ReportError

        try:
            return self.before_report()
        except Exception as error:  # noqa: BLE001 - any start failure, said the same way
            raise ReportError(f"Le noyau Jupyter{whose} n'a pas pu démarrer ({type(error).__name__} : {error}). "
                              f"{advice}") from error

    @property
    def fresh(self) -> bool:
        """True when the next report is the current kernel's first."""
        return self.reports == 0

    def after_report(self, ok: bool) -> None:
        """Replace the kernel after a failure, or when worn (``max_reports``, ``max_rss``)."""
        with self._lock:
            self._after_report(ok)

    def _after_report(self, ok: bool) -> None:
        if self.km is None:
            return
        self.reports += 1
        if not ok or self.reports >= self.max_reports or self._rss() > self.max_rss:
            self._close()

    def close(self) -> None:
        """Stop the kernel (at once: nothing of it is kept)."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        km, self.km = self.km, None
        self.reports = 0
        if km is None:
            return
        from jupyter_core.utils import run_sync

        try:
            if km.kept_client is not None:
                km.kept_client.stop_channels()
        except Exception:  # noqa: BLE001 - the kernel is stopped anyway
            pass
        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - already dead
            pass
        try:
            run_sync(km.cleanup_resources)()
        except Exception:  # noqa: BLE001
            pass

    def pid(self) -> int | None:
        """The kernel's process id, None when no kernel runs."""
        try:
            return self.km.provisioner.process.pid
        except AttributeError:
            return None

    def _start(self) -> None:
        from jupyter_core.utils import run_sync

        km = _manager_class()(kernel_name=self.kernel_name)
        run_sync(km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS))
        self.km = km
        self.reports = 0
        self.started += 1
        try:
            self._run(_REMEMBER, wait=True)
            if self.modules:
                self._run(_preload_code(self.modules))
        except Exception:
            self._close()
            raise

    def _alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:  # noqa: BLE001
            return False

    def _rss(self) -> int:
        pid = self.pid()
        if pid is None:
            return 0
        try:
            import psutil

            return psutil.Process(pid).memory_info().rss
        except Exception:  # noqa: BLE001 - gone: replaced at the next report anyway
            return 0

    def _run(self, code: str, wait: bool = False) -> None:
        """Run ``code`` silently in the kernel; raise RuntimeError if it failed.

        ``wait``: first make sure the kernel answers (a new kernel); otherwise the request
        waits in the socket until it is connected (``wait_for_ready`` costs 0.2 s)."""
        client = self.km.blocking_client()
        client.start_channels(iopub=False, stdin=False, hb=False, control=False)
        try:
            if wait:
                client.wait_for_ready(timeout=self.start_timeout)
            msg_id = client.execute(code, silent=True, store_history=False, allow_stdin=False)
            while True:
                reply = client.get_shell_msg(timeout=self.start_timeout)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            content = reply["content"]
            if content.get("status") != "ok":
                raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
        finally:
            client.stop_channels()


def notebook_imports(path) -> list[str]:
    """The modules a notebook's code cells import (``import a.b``, ``from a.b import c``), in order,
    then :data:`LIBRARY_MODULES` when it imports abs."""
    import ast

    import nbformat

    found: list[str] = []
    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            found += [name for name in names if name not in found]
    if any(name.split(".")[0] == "abs_lib" for name in found):
        found += [name for name in LIBRARY_MODULES if name not in found]
    return found


def preload(modules) -> None:
    """In a new kernel: import ``modules`` and fill the caches they offer (``warm_caches()``).

    A module that fails to import is left to fail in the notebook, with the report's
    French message; a cache that fails to fill is only colder.
    """
    import importlib

    done = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001
            continue
        done.append(name)
    for name in done:
        warm = getattr(sys.modules.get(name), "warm_caches", None)
        if callable(warm):
            try:
                warm()
            except Exception:  # noqa: BLE001
                pass


def _preload_code(modules) -> str:
    return f"import abs_lib.reports.keptkernel as _abs_k; _abs_k.preload({list(modules)!r}); del _abs_k"


@functools.lru_cache(maxsize=1)
def _manager_class():
    """The report's kernel manager (``reports.kernel``) handing out one client, kept connected.

    Why: nbclient makes a client per notebook and waits until its sockets receive (0.2 s
    per report); the kept client is connected, started and checked once."""
    from jupyter_client.asynchronous import AsyncKernelClient

    from abs_lib.reports.kernel import InterpreterKernelManager

    class KeptClient(AsyncKernelClient):
        ready = False  # answered once: its sockets are connected for good

        def start_channels(self, *args, **kwargs) -> None:
            if not self.channels_running:
                super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout=None) -> None:
            # jupyter_client's check waits up to 0.2 s for an IOPub message each time (0.2 s per
            # report, measured); once connected, the kept client has nothing more to wait for
            # (``KeptKernel`` has just run its reset in the kernel).
            if not self.ready:
                await AsyncKernelClient.wait_for_ready(self, timeout)
                self.ready = True

    class KeptKernelManager(InterpreterKernelManager):
        kept_client = None

        def client(self, **kwargs):
            if self.kept_client is None:
                self.kept_client = KeptClient(**{**self.get_connection_info(session=True),
                                                 "connection_file": self.connection_file, "parent": self, **kwargs})
            return self.kept_client

    return KeptKernelManager
