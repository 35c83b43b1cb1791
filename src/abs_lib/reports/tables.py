"""Indicator tables written beside a report (CSV and XLSX).

Why both: CSV for scripts and archives (UTF-8, comma, dot decimals, codes as
text), XLSX for the analysts who open everything in a spreadsheet (one sheet per
table, territory codes kept as text so ``01001`` keeps its zero).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - imported by save_tables (the `abs report` process only globs)
    import pandas as pd

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r"[^\w.-]+", re.UNICODE)


def _sheet_name(name: str, used: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub("_", name)[:31] or "tableau"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f"_{n}"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def save_tables(tables: Mapping[str, pd.DataFrame], folder: str | Path, stem: str) -> list[Path]:
    """Write ``<stem>_<name>.csv`` for each table and ``<stem>_tableaux.xlsx`` with one sheet each.

    Returns the written paths (empty when ``tables`` is empty). Object/string
    columns stay text in both formats.
    """
    import pandas as pd

    folder = Path(folder)
    if not tables:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = folder / f"{stem}_{_FILE_FORBIDDEN.sub('_', name).strip('_')}.csv"
        frame.to_csv(path, index=False, encoding="utf-8")
        written.append(path)
    xlsx = folder / f"{stem}_tableaux.xlsx"
    used: set[str] = set()
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=_sheet_name(name, used), index=False)
    written.append(xlsx)
    return written


def write_tables(territory: str, study: str, *, year: int | None, data_dir: Path, folder: Path) -> list[Path]:
    """Default hook of ``build_report``: the indicator tables the notebook wrote into ``folder``.

    The study notebook already holds the computed indicators, so it saves them
    itself (``abs_lib.portrait.tables.save_study_tables`` into its ``tables_dir``
    parameter); computing them again here would double the cost of a report.
    """
    folder = Path(folder)
    return sorted(p for p in folder.glob(f"{study}_*") if p.suffix in (".csv", ".xlsx"))
