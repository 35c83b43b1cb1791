"""Execute one study notebook with papermill's Python API.

Why the Python API and not the ``papermill`` command: a long-lived batch worker
imports papermill/nbconvert once and pays only the kernel start per report.
Nothing here changes process state (no ``os.chdir``: the kernel's working
directory is passed to the kernel itself), so the function is safe to call from
a worker that runs many reports one after the other.

Files: the notebook is written to ``<stem>.en-cours.ipynb`` while it runs; on
success it is renamed to ``output_path``; on failure to ``<stem>.echec.ipynb`` (kept
for debugging, never under a name that looks like a good result).
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from pathlib import Path

from abs_lib.errors import ReportError
from abs_lib.optional_imports import skip_unused_optional_imports  # noqa: F401 - used by run.py

RUNNING_SUFFIX = ".en-cours.ipynb"
FAILED_SUFFIX = ".echec.ipynb"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _NoKernelDeathLine(logging.Filter):
    """nbclient logs « Kernel died while waiting for execute reply. » (English) just before
    raising the error that :func:`execute_study` reports in French: drop the duplicate."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Kernel died")


_PAPERMILL_LOG = logging.getLogger("papermill")  # the logger papermill gives nbclient
if not any(isinstance(f, _NoKernelDeathLine) for f in _PAPERMILL_LOG.filters):
    _PAPERMILL_LOG.addFilter(_NoKernelDeathLine())


def running_path(output_path: str | Path) -> Path:
    """Where the notebook is written while it executes."""
    output_path = Path(output_path)
    return output_path.with_name(output_path.stem + RUNNING_SUFFIX)


def failed_path(output_path: str | Path) -> Path:
    """Where a failed execution is kept for debugging."""
    output_path = Path(output_path)
    return output_path.with_name(output_path.stem + FAILED_SUFFIX)


def _excerpt(source: str, max_lines: int = 12) -> str:
    lines = (source or "").rstrip().splitlines()
    if len(lines) > max_lines:
        lines = lines[:max_lines] + ["    […]"]
    return "\n".join("    " + line for line in lines)


def _failing_line(traceback: list[str] | None) -> str | None:
    """The ``----> N line`` marker IPython puts in the cell's traceback, if any."""
    for block in traceback or []:
        for line in _ANSI.sub("", block).splitlines():
            if line.lstrip().startswith("---->") or line.lstrip().startswith("->"):
                return line.strip()
    return None


def _never_started(path: Path) -> bool:
    """True when papermill saved the notebook with no cell started (kernel start failure)."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - unreadable or absent: nothing ran
        return True
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is not None or cell.metadata.get("papermill", {}).get("start_time"):
            return False
    return True


def execute_study(
    notebook_path: str | Path,
    output_path: str | Path,
    parameters: dict | None = None,
    *,
    kernel_name: str = "python3",
    cwd: str | Path | None = None,
    timeout: int | None = 600,
    start_timeout: int = 60,
    start_retries: int = 2,
    log_output: bool = False,
    keep_failed_as: str | Path | None = None,
    kernel_manager=None,
):
    """Execute ``notebook_path`` with ``parameters`` injected, write it to ``output_path``.

    Parameters
    ----------
    notebook_path : path
        Study notebook, stored without outputs, with a cell tagged ``parameters``.
    output_path : path
        Executed notebook (written only if every cell succeeded).
    parameters : dict, optional
        Values injected after the ``parameters`` cell (types kept: pass codes as str).
    kernel_name : str
        ``python3`` runs in this interpreter whatever kernelspecs exist (see kernel.py).
    cwd : path, optional
        Working directory of the kernel (default: this process's).
    timeout : int or None
        Seconds allowed per cell (None: no limit).
    start_timeout : int
        Seconds allowed for the kernel to start.
    start_retries : int
        Extra attempts when the kernel fails to start before any cell ran (the
        ZMQ port race of parallel kernels, field notes D1).
    log_output : bool
        Copy cell outputs to papermill's logger.
    keep_failed_as : path, optional
        Where to keep a failed notebook (default: ``<stem>.echec.ipynb`` beside ``output_path``).
    kernel_manager : jupyter_client kernel manager, or a function giving one, optional
        A kernel kept by the caller (``reports.keptkernel``): the notebook runs in it and it is
        left running; default: a new kernel, stopped once the notebook ran. A function is
        called once papermill is imported: a kernel starting meanwhile is waited for then.

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook.

    Raises
    ------
    ReportError
        French message with the failing cell's source excerpt, the exception name
        and message, and the path of the notebook kept as ``*.echec.ipynb``.
    """
    skip_unused_optional_imports()
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from abs_lib.reports.kernel import InterpreterKernelManager

    if callable(kernel_manager):  # a kernel started before these imports (``build_report``)
        kernel_manager = kernel_manager()

    notebook_path = Path(notebook_path)
    output_path = Path(output_path)
    if not notebook_path.is_file():
        raise ReportError(f"Notebook d'étude introuvable : {notebook_path}.")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    running = running_path(output_path)
    failed = Path(keep_failed_as) if keep_failed_as else failed_path(output_path)
    engine_kwargs = {"kernel_manager_class": InterpreterKernelManager}
    if kernel_manager is not None:
        engine_kwargs["km"] = kernel_manager
        start_retries = 0  # the kernel is already up: no start to retry
    if cwd is not None:
        # nbclient starts the kernel in resources["metadata"]["path"]: no chdir here.
        engine_kwargs["resources"] = {"metadata": {"path": str(Path(cwd).resolve())}}

    attempt = 0
    while True:
        running.unlink(missing_ok=True)
        try:
            nb = pm.execute_notebook(
                str(notebook_path),
                str(running),
                parameters=dict(parameters or {}),
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=log_output,
                start_timeout=start_timeout,
                execution_timeout=timeout,
                # The output is written once at the end: saving it after every cell rewrote
                # the whole notebook (figures included) dozens of times per report.
                request_save_on_cell_execute=False,
                # Its outputs are collected: the kernel has nothing left to save, stop it at once.
                shutdown_kernel="immediate",
                **engine_kwargs,
            )
            break
        except PapermillExecutionError as error:
            kept = _keep_failed(running, failed)
            where = _failing_line(error.traceback)
            raise ReportError(
                f"Échec du notebook {notebook_path.name}, cellule n°{error.exec_count} : "
                f"{error.ename} : {error.evalue}\n"
                + (f"Ligne en cause : {where}\n" if where else "")
                + f"Source de la cellule :\n{_excerpt(error.source)}\n"
                + f"Notebook exécuté conservé pour diagnostic : {kept}"
            ) from error
        except Exception as error:  # kernel start/death, cell timeout, I/O
            retry = type(error).__name__ not in ("NoSuchKernel", "TraitError")
            if retry and attempt < start_retries and _never_started(running):
                attempt += 1
                time.sleep(0.5 + random.random())  # stagger against the ZMQ port race
                continue
            kept = _keep_failed(running, failed)
            raise ReportError(_describe_crash(notebook_path, error, timeout, kept)) from error
        except BaseException:
            _keep_failed(running, failed)
            raise
    os.replace(running, output_path)
    failed.unlink(missing_ok=True)
    return nb


def _keep_failed(running: Path, failed: Path) -> Path | None:
    if running.exists():
        failed.parent.mkdir(parents=True, exist_ok=True)
        os.replace(running, failed)
        return failed
    return None


def _describe_crash(notebook_path: Path, error: Exception, timeout, kept: Path | None) -> str:
    name = type(error).__name__
    if name == "CellTimeoutError":
        what = f"une cellule a dépassé le délai de {timeout} s (augmentez le délai ou allégez la cellule)"
    elif name == "DeadKernelError":
        what = "le noyau Python s'est arrêté en cours de route (mémoire insuffisante ?)"
    elif name == "NoSuchKernel":
        what = f"noyau Jupyter introuvable ({error}) ; laissez le noyau par défaut « python3 »"
    elif isinstance(error, (RuntimeError, TimeoutError)) and "kernel" in str(error).lower():
        what = "le noyau Python n'a pas démarré (réessayez ; vérifiez que ipykernel est installé)"
    else:
        what = "erreur inattendue pendant l'exécution"
    text = f"Échec du notebook {notebook_path.name} : {what}. Détail : {name} : {error}"
    if kept:
        text += f"\nNotebook exécuté conservé pour diagnostic : {kept}"
    return text
