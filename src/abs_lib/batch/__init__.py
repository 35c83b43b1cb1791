"""Batch regeneration: one study's report for many territories, fast and resumable, on Dask.

``selection`` chooses the territories (a département's EPCI, every EPCI, an EPCI's
communes, a list of codes, the fictional demo); ``prepare`` runs the once-per-batch
hook (shared indicator tables); ``inputs`` decides which reports are unchanged;
``worker`` produces one report per task in long-lived Dask workers; ``cluster``
gives the Dask client (LocalCluster or an existing scheduler); ``index`` writes
``index.html`` and the JSON log; ``run.run_batch`` chains them. dask is imported
only when a batch runs.
"""

from __future__ import annotations

__all__ = ["run_batch", "select_territories", "read_codes_file",
           "register_prepare_hook", "PREPARE_HOOKS"]


def __getattr__(name):
    if name == "run_batch":
        from abs_lib.batch.run import run_batch

        return run_batch
    if name in ("select_territories", "read_codes_file"):
        from abs_lib.batch import selection

        return getattr(selection, name)
    if name in ("register_prepare_hook", "PREPARE_HOOKS"):
        from abs_lib.batch import prepare

        return getattr(prepare, name)
    raise AttributeError(name)
