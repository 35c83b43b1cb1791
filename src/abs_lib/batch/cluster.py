"""The Dask client of a batch: a LocalCluster on this machine, or an existing cluster.

Same code path either way: the batch only sees a ``distributed.Client``. The
local cluster has one worker process per core with one thread each (a report
is one Python kernel: threads would only share one core); reports on an
existing cluster need the same abs version on every worker and the data,
notebook and reports folders at the same paths (a shared file system).
"""

from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager

from abs_lib.errors import BatchError, UsageError, echo

_ADDRESS = re.compile(r"^(?:(tcp|tls|ucx|ws|wss)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")


def scheduler_address(address: str) -> str:
    """``address`` checked and completed (``HÔTE:PORT`` -> ``tcp://HÔTE:PORT``), or ``UsageError``.

    Checked before any work: a malformed address would otherwise only fail once the
    batch's indicators were computed.
    """
    match = _ADDRESS.match(str(address).strip())
    if not match or not 1 <= int(match.group(3)) <= 65535:
        raise UsageError(
            f"Adresse d'ordonnanceur Dask invalide : « {echo(address)} ». Forme attendue : tcp://HÔTE:PORT "
            "(p. ex. tcp://10.0.0.5:8786, port 8786 par défaut de « dask scheduler »).")
    scheme = match.group(1) or "tcp"
    return f"{scheme}://{match.group(2)}:{match.group(3)}"


def default_workers() -> int:
    """One worker per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def _children_ignore_sigint():
    """Processes started inside (the local workers and their kernels) ignore SIGINT.

    Ctrl-C in a terminal reaches the whole process group: each worker would print its
    own KeyboardInterrupt traceback and abandon its report half-way (renaming the
    territory's good report as failed). The driver alone handles it: it lists what was
    done and closes the cluster, which stops the workers. An ignored signal stays
    ignored across fork and exec, and Python keeps it so.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _probe(address: str, timeout: float) -> None:
    """A plain TCP connection first: a refused port or an unknown host fails in a moment,
    where the Dask client would retry for ``connect_timeout`` seconds."""
    import socket

    scheme, _, rest = address.partition("://")
    if scheme != "tcp":
        return
    host, _, port = rest.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except socket.gaierror:
        raise BatchError(f"Ordonnanceur Dask injoignable à {address} : hôte « {host} » inconnu. Vérifiez "
                         "l'adresse (tcp://HÔTE:PORT).") from None
    except OSError as error:
        why = "connexion refusée" if isinstance(error, ConnectionRefusedError) else f"pas de réponse en {timeout:.0f} s"
        raise BatchError(f"Ordonnanceur Dask injoignable à {address} ({why}). Vérifiez l'adresse (tcp://HÔTE:PORT, "
                         "port 8786 par défaut) et que « dask scheduler » tourne sur cette machine.") from None


@contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None, connect_timeout: float = 20):
    """A connected ``distributed.Client``; the local cluster (if any) is closed on exit.

    ``scheduler``: address of an existing scheduler (``tcp://host:8786``); None starts a
    LocalCluster of ``workers`` processes (default :func:`default_workers`), 1 thread each.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        scheduler = scheduler_address(scheduler)
        _probe(scheduler, min(5.0, connect_timeout))
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError):
            raise BatchError(
                f"Ordonnanceur Dask injoignable à {scheduler} (aucune réponse en {connect_timeout:.0f} s). "
                "Vérifiez l'adresse (tcp://HÔTE:PORT, port 8786 par défaut) et que « dask scheduler » tourne."
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # Nothing shows the dashboard (bokeh: a second of the scheduler's start), and the
    # workers' statistical profiler samples their threads every 10 ms while reports run.
    with _children_ignore_sigint(), dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(
            n_workers=workers or default_workers(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()
