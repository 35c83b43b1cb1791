"""A rehearsal of the study in the kernel fork server, on the fictional demo, before any fork.

Why: every report's kernel is a fork of the server (``forkkernel``). Whatever a process
pays the first time it draws a report (text laid out at each font size, matplotlib's axes
machinery, pandas and pyarrow code paths, the XLSX writer…) each forked kernel paid again,
since its caches die with it: measured, the cells of a first report take 5.6 s in a process
and 3.4 s from the second one on. The server runs the study's own cells once on a territory
of the fictional demo; every kernel then starts with those caches (copy-on-write).

Nothing of the rehearsal reaches a report: it runs in a temporary folder with its output
discarded, its namespace is dropped afterwards, and the caches it fills are keyed by their
inputs (file paths, fonts, sizes), never by a territory. A failure only leaves kernels colder.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import warnings
from pathlib import Path

#: The demo EPCI the rehearsal draws (the demo ships with the package: no data needed).
REHEARSAL_TERRITORY = "000000001"
#: The tag of papermill's parameters cell: the rehearsal sets its own values right after it.
_CELL_TAG = "parameters"


def rehearse(notebook: str | Path, territory: str = REHEARSAL_TERRITORY) -> bool:
    """Run the code cells of a packaged study ``notebook`` for a demo ``territory``; True if all ran."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    namespace: dict = {"__name__": "__repetition__"}
    here = os.getcwd()
    sink = io.StringIO()
    try:
        with tempfile.TemporaryDirectory(prefix="abs-repetition-") as folder, \
                contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            os.chdir(folder)
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
                exec(compile("\n".join(lines), f"<répétition {Path(notebook).name}>", "exec"), namespace)
                if _CELL_TAG in cell.metadata.get("tags", []):
                    namespace.update(territory=territory, data_dir="", shared_tables="", level=None,
                                     tables_dir=str(Path(folder) / "tableaux"))
        return True
    except Exception:  # noqa: BLE001 - a rehearsal that fails only leaves the kernels colder
        return False
    finally:
        os.chdir(here)
        namespace.clear()
