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
from contextlib import contextmanager

from abs_lib.errors import BatchError


def default_workers() -> int:
    """One worker per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@contextmanager
def dask_client(scheduler: str | None = None, *, workers: int | None = None, connect_timeout: float = 20):
    """A connected ``distributed.Client``; the local cluster (if any) is closed on exit.

    ``scheduler``: address of an existing scheduler (``tcp://host:8786``); None starts a
    LocalCluster of ``workers`` processes (default :func:`default_workers`), 1 thread each.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError) as error:
            raise BatchError(
                f"Ordonnanceur Dask injoignable à {scheduler} ({error}). Vérifiez l'adresse "
                "(tcp://HÔTE:PORT, port 8786 par défaut) et que « dask scheduler » tourne."
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers or default_workers(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: 8787 may be taken
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
