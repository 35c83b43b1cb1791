"""Pre-warmed Jupyter kernels: a fork server that imports the study's modules once.

Why: profiling ``abs batch`` showed that, once papermill and nbconvert live in a
long-lived worker, a report's time is dominated by its kernel: a new Python
process, ipykernel, then the notebook's own imports (pandas, geopandas,
matplotlib…: about 0.6 s of a 0.8 s execution, plus about 1 s of kernel start).
The fork server is started once per worker, imports ipykernel and every module
the study notebook imports, then forks one fresh kernel per report. Each report
still gets its own new process (nothing is shared between two reports: the fork
copies the server, which only ever imported modules); only the imports are paid
once.

Protocol (AF_UNIX, SOCK_SEQPACKET): the launcher (``_kernel_launcher.py``) sends
``{"argv", "cwd", "env"}`` with its stdin/stdout/stderr as ancillary file
descriptors; the server forks, replies ``{"pid"}``, and when the kernel exits
sends ``{"exit": status}``. A closed launcher socket kills its kernel; the
server stops when its parent (the Dask worker) is gone. POSIX only (fork).

Run as ``python -m abs_lib.batch.forkkernel SOCKET [--repetition NOTEBOOK] [MODULE …]``; it prints
``pret`` on stdout once the modules are imported and the socket listens.
"""

from __future__ import annotations

import ast
import atexit
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import traceback
import warnings

READY = "pret"
FOLDER_PREFIX = "abs-noyaux-"
# What every kernel imports while it starts (the debugger alone is ~0.06 s of a kernel's start).
BASE_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger", "IPython")
# What abs's studies import inside their functions (maps, XLSX tables, parquet reads): a
# notebook's ``import`` lines do not show them, each kernel would import them again.
LIBRARY_MODULES = ("geopandas", "shapely.geometry", "pyproj", "xlsxwriter", "pyarrow.parquet", "matplotlib.pyplot",
                   "pandas.io.formats.style", "PIL.PngImagePlugin")
# Modules a kernel imported that the server learns (imports for the next kernels) after it
# exits; never the debugger's internals nor the kernel's own entry points.
_NOT_LEARNED = ("__main__", "__mp_main__", "ipykernel_launcher", "pydevd", "_pydev", "_pydevd", "debugpy",
                "_cython_")
MODULES_FILE = "modules-{pid}.txt"
REHEARSE_FLAG = "--repetition"


def notebook_imports(path) -> list[str]:
    """The modules a notebook's code cells import (``import a.b``, ``from a.b import c``), in order."""
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
            for name in names:
                if name not in found:
                    found.append(name)
    return found


def preload(modules) -> list[str]:
    """Import ``modules`` (those that fail are left to fail in the notebook); return those imported."""
    # ipykernel would set this before the notebook imports matplotlib: do it before we do.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # pydevd (imported by ipykernel's debugger) warns about frozen modules on import: once
    # per kernel is the usual noise, here it would go to the worker's log; the kernels'
    # own environment is the launcher's, so this only silences the server.
    quiet = "PYDEVD_DISABLE_FILE_VALIDATION" not in os.environ
    if quiet:
        os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    done = []
    try:
        library = LIBRARY_MODULES if any(str(m).split(".")[0] == "abs_lib" for m in modules) else ()
        for name in (*BASE_MODULES, *modules, *library):
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - e.g. a module of the notebook that is missing here
                continue
            done.append(name)
        for name in done:  # modules may offer caches to fill once for every forked kernel
            warm = getattr(sys.modules.get(name), "warm_caches", None)
            if callable(warm):
                try:
                    warm()
                except Exception:  # noqa: BLE001 - a cold cache is only slower
                    pass
    finally:
        if quiet:
            os.environ.pop("PYDEVD_DISABLE_FILE_VALIDATION", None)
    return done


def _write_modules(socket_path: str) -> None:
    """In a kernel that is exiting: list the modules it imported, for the server to learn."""
    try:
        target = os.path.join(os.path.dirname(socket_path), MODULES_FILE.format(pid=os.getpid()))
        with open(target, "w", encoding="utf-8") as handle:
            handle.write("\n".join(sorted(sys.modules)))
    except Exception:  # noqa: BLE001 - only a missed speed-up
        pass


def learn(socket_path: str, pid: int) -> list[str]:
    """Import the modules kernel ``pid`` imported and this server lacks; return those imported.

    Why: a study imports modules inside its functions (maps, XLSX…) that no ``import``
    line of the notebook shows; the first report of a worker pays for them, the next
    ones start with them already imported (forked).
    """
    target = os.path.join(os.path.dirname(socket_path), MODULES_FILE.format(pid=pid))
    try:
        with open(target, encoding="utf-8") as handle:
            names = handle.read().split()
        os.unlink(target)
    except OSError:
        return []
    done = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            if name in sys.modules or name.startswith(_NOT_LEARNED) or name.split(".")[0] in _NOT_LEARNED:
                continue
            try:
                importlib.import_module(name)
            except BaseException:  # noqa: BLE001 - e.g. a module that only imports inside a kernel
                continue
            done.append(name)
    return done


def _exit_status(status: int) -> int:
    return os.waitstatus_to_exitcode(status)


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.send(json.dumps(message).encode())
    except OSError:
        pass


def _run_kernel(request: dict, fds: list[int]) -> int:
    """In the forked child: become a kernel started by ``python -m ipykernel_launcher ARGV``."""
    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
    for fd in fds:
        if fd > 2:
            os.close(fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a new Python process
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits if this server dies
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    # A fresh process would seed its random generators from the OS: so does each fork.
    import random

    random.seed()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; the shell adds the kernel's cwd back
    from ipykernel import kernelapp

    # ipykernel read JPY_PARENT_PID when this server imported it: give the parent explicitly.
    argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
    sys.argv = [kernelapp.__file__, *argv]
    try:
        kernelapp.launch_new_instance(argv=argv)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return code


def serve(path: str, modules, rehearse: str | None = None) -> None:
    """Import ``modules``, listen on ``path`` and fork kernels until the parent process is gone.

    ``rehearse``: a packaged study notebook run once on the demo first (``rehearsal``)."""
    warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
    preload(modules)
    if rehearse:
        from abs_lib.batch.rehearsal import rehearse as run_rehearsal

        run_rehearsal(rehearse)
    import gc

    gc.collect()
    gc.freeze()  # keep the imported objects' pages shared with the kernels (copy-on-write)
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *args: None)
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
    # Ctrl-C in the terminal reaches the whole process group: the batch driver handles it and
    # stops its workers; this server stops with its parent, without a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "wake")
    kernels: dict[int, socket.socket] = {}
    by_conn: dict[socket.socket, int] = {}
    print(READY, flush=True)
    try:
        while os.getppid() == parent:
            for key, _ in selector.select(timeout=1.0):
                if key.data == "accept":
                    conn, _ = listener.accept()
                    try:
                        payload, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                        request = json.loads(payload)
                    except (OSError, ValueError):
                        conn.close()
                        continue
                    pid = os.fork()
                    if pid == 0:  # the kernel
                        code = 1
                        try:
                            signal.set_wakeup_fd(-1)
                            for sig in (signal.SIGCHLD, signal.SIGTERM):
                                signal.signal(sig, signal.SIG_DFL)
                            signal.signal(signal.SIGINT, signal.default_int_handler)
                            selector.close()
                            for fd in (wake_r, wake_w):
                                os.close(fd)
                            for other in (listener, conn, *by_conn):
                                other.close()
                            code = _run_kernel(request, fds)
                        except BaseException:  # noqa: BLE001 - report, never return to the server loop
                            traceback.print_exc()
                        finally:
                            try:
                                _write_modules(path)
                                atexit._run_exitfuncs()
                                sys.stdout.flush()
                                sys.stderr.flush()
                            finally:
                                os._exit(code)
                    for fd in fds:
                        os.close(fd)
                    kernels[pid] = conn
                    by_conn[conn] = pid
                    selector.register(conn, selectors.EVENT_READ, "launcher")
                    _send(conn, {"pid": pid})
                elif key.data == "wake":
                    try:
                        while os.read(wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                else:  # a launcher socket: closed means the launcher is gone
                    conn = key.fileobj
                    try:
                        gone = not conn.recv(1)
                    except OSError:
                        gone = True
                    if gone:
                        selector.unregister(conn)
                        pid = by_conn.pop(conn)
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                        conn.close()
                        kernels[pid] = None
            while kernels:  # reap the kernels that exited and tell their launchers
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                if learn(path, pid):
                    gc.collect()
                    gc.freeze()
                conn = kernels.pop(pid, None)
                if conn is not None:
                    _send(conn, {"exit": _exit_status(status)})
                    selector.unregister(conn)
                    by_conn.pop(conn, None)
                    conn.close()
    finally:
        for pid in kernels:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.unlink(path)
        except OSError:
            pass
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.basename(folder).startswith(FOLDER_PREFIX):  # the worker died without cleaning up
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


class ForkServer:
    """A fork server started by a Dask worker, and the kernelspec that launches its kernels.

    The kernelspec lives in a private folder put first on ``JUPYTER_PATH`` of this
    process, so that ``build_report(..., kernel_name=KERNEL_NAME)`` resolves to it.
    """

    KERNEL_NAME = "abs-lot-prechauffe"

    def __init__(self, modules, *, rehearse: str | None = None, ready_timeout: float = 180):
        import subprocess
        import tempfile
        from pathlib import Path

        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        self.socket = self.folder / "noyaux.sock"
        self.ready_timeout = ready_timeout
        self._ready: bool | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "abs_lib.batch.forkkernel", str(self.socket),
             *([REHEARSE_FLAG, str(rehearse)] if rehearse else []), *modules],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )
        from abs_lib.batch import _kernel_launcher

        spec = self.folder / "kernels" / self.KERNEL_NAME
        spec.mkdir(parents=True)
        argv = [sys.executable, "-I", "-S", _kernel_launcher.__file__, str(self.socket),
                "-f", "{connection_file}",
                # CRITICAL: jupyter_client interrupts every kernel before its shutdown, which
                # ipykernel logs as an ERROR: one useless line per report otherwise.
                "--IPKernelApp.log_level=CRITICAL",
                # A report's kernel is never asked for its history: no SQLite writes per cell.
                "--HistoryManager.enabled=False"]
        (spec / "kernel.json").write_text(json.dumps({
            "argv": argv, "display_name": "Python 3 (abs, noyau préchauffé)", "language": "python",
            "interrupt_mode": "signal", "metadata": {"debugger": False},
        }), encoding="utf-8")
        self._old_path = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(self.folder), self._old_path) if p)

    def kernel_name(self) -> str | None:
        """The kernel name to run reports with, once the server is ready; None if it failed to start."""
        if self._ready is None:
            import threading

            line: list[str] = []
            reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
            reader.start()
            reader.join(self.ready_timeout)
            self._ready = bool(line) and line[0].strip() == READY
            if not self._ready:
                self.close()
        return self.KERNEL_NAME if self._ready else None

    def close(self) -> None:
        import shutil

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except Exception:  # noqa: BLE001
                self.process.kill()
        if os.environ.get("JUPYTER_PATH", "").split(os.pathsep)[0] == str(self.folder):
            if self._old_path is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = self._old_path
        shutil.rmtree(self.folder, ignore_errors=True)


def main(argv: list[str]) -> None:
    from abs_lib.optional_imports import skip_unused_optional_imports

    skip_unused_optional_imports()  # the rehearsal reads the notebook with nbformat
    socket_path, rest = argv[0], list(argv[1:])
    rehearse = None
    if rest[:1] == [REHEARSE_FLAG]:
        rehearse, rest = rest[1], rest[2:]
    serve(socket_path, rest, rehearse)


if __name__ == "__main__":
    main(sys.argv[1:])
