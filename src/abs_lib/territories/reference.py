"""Read the committed reference files (data/reference/, built by scripts/build_territories.py).

Each table is read once per process (``functools.lru_cache``); codes stay strings.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from abs_lib.config import reference_dir
from abs_lib.errors import DatasetNotFoundError

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

    years = pq.read_table(_path(COMMUNES_FILE), columns=["year"]).column("year").unique()
    return tuple(sorted(int(y) for y in years.to_pylist()))


@lru_cache(maxsize=16)
def communes(year: int) -> pd.DataFrame:
    """Communes of one geography year: code, name, epci, departement, region."""
    frame = pd.read_parquet(_path(COMMUNES_FILE), filters=[("year", "==", year)])
    return frame.drop(columns="year").reset_index(drop=True)


@lru_cache(maxsize=None)
def table(name: str) -> pd.DataFrame:
    """One of the small CSV tables, all columns as strings except ``year``."""
    frame = pd.read_csv(
        _path(CSV_FILES[name]), dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8"
    )
    frame["year"] = frame["year"].astype(int)
    return frame


def for_year(name: str, year: int) -> pd.DataFrame:
    frame = table(name)
    return frame[frame["year"] == year].drop(columns="year").reset_index(drop=True)
