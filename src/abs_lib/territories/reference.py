"""Read the committed reference files (data/reference/, built by scripts/build_territories.py).

Each table is read once per process (``functools.lru_cache``); codes stay strings.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from abs_lib.config import reference_dir
from abs_lib.errors import DatasetNotFoundError

if TYPE_CHECKING:  # pragma: no cover - pandas is imported by the readers that need it
    import pandas as pd

COMMUNES_FILE = "communes.parquet"
CSV_FILES = {
    "epci": "epci.csv",
    "departements": "departements.csv",
    "regions": "regions.csv",
    "arrondissements": "arrondissements_municipaux.csv",
    "changes": "commune_changes.csv",
}


def _path(name: str):
    path = reference_dir() / name
    if not path.is_file():
        raise DatasetNotFoundError(
            f"Fichier de référence des territoires absent : {path}. Reconstruisez-le avec "
            "« python scripts/build_territories.py » ou réinstallez abs."
        )
    return path


@lru_cache(maxsize=None)
def available_years() -> tuple[int, ...]:
    """Geography years present in the reference files, oldest first."""
    import pyarrow.parquet as pq

    # ParquetFile, not read_table: pyarrow.dataset would import pandas (`abs territory show`).
    years = pq.ParquetFile(_path(COMMUNES_FILE)).read(columns=["year"]).column("year").unique().to_pylist()
    return tuple(sorted(int(y) for y in years))


@lru_cache(maxsize=16)
def communes(year: int) -> pd.DataFrame:
    """Communes of one geography year: code, name, epci, departement, region."""
    import pandas as pd

    frame = pd.read_parquet(_path(COMMUNES_FILE), filters=[("year", "==", year)])
    return frame.drop(columns="year").reset_index(drop=True)


@lru_cache(maxsize=1)
def commune_codes_by_year() -> dict[int, frozenset[str]]:
    """Commune codes of every reference year, read in one pass (two columns, no pandas)."""
    import pyarrow.parquet as pq

    read = pq.ParquetFile(_path(COMMUNES_FILE)).read(columns=["year", "code"])
    grouped: dict[int, list[str]] = {}
    for year, code in zip(read.column("year").to_pylist(), read.column("code").to_pylist()):
        grouped.setdefault(int(year), []).append(code)
    return {year: frozenset(codes) for year, codes in grouped.items()}


@lru_cache(maxsize=None)
def table(name: str) -> pd.DataFrame:
    """One of the small CSV tables, all columns as strings except ``year``."""
    import pandas as pd

    frame = pd.read_csv(
        _path(CSV_FILES[name]), dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8"
    )
    frame["year"] = frame["year"].astype(int)
    return frame


def for_year(name: str, year: int) -> pd.DataFrame:
    frame = table(name)
    return frame[frame["year"] == year].drop(columns="year").reset_index(drop=True)
