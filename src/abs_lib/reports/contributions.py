"""Which stored files a report drew on, and how many of their rows concern its territory.

Why: a store holds whole files (every EPCI of France, every IRIS of a
département), and the indicator engine reads all of them. The provenance must
not list a file as a source when it contributed nothing to *this* territory
(the CAF IRIS files only cover large communes), nor leave out one that did (the
commune contours drawn on the maps). A table contributes the rows whose code is
one the report shows:

- commune tables: the territory's member communes, and the former communes
  merged into them since the file's geography (found from its codes,
  ``territories.fit``, as the indicator engine does before harmonising; codes it
  leaves out are not counted);
- IRIS tables: IRIS of those communes;
- EPCI, département, région tables: the territory itself and its references;
- France (métropolitaine) tables: their single row, when that level is a reference.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import PurePosixPath, PureWindowsPath

from typing import TYPE_CHECKING

from abs_lib.errors import AbsError

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where used: a batch worker imports this
    import pandas as pd  # module (public_origin) and need not hold pandas in memory

_NATIONAL_LEVELS = ("metropole", "france")


@dataclass
class Contributions:
    """Stored files of a report: those with rows for its territory, and those without."""

    sources: list[dict] = field(default_factory=list)
    without_rows: list[dict] = field(default_factory=list)


def file_name(path) -> str:
    """The last component of a path written by any system ("" for None)."""
    if not path:
        return ""
    text = str(path)
    return PureWindowsPath(text).name if "\\" in text else PurePosixPath(text).name


def public_origin(origin) -> str:
    """A stored origin without the folders it was imported from.

    ``import : <dossier>/FILO.csv`` -> ``import : FILO.csv``; URLs are kept whole.
    """
    text = str(origin or "")
    if "://" in text:
        return text
    match = re.fullmatch(r"(\s*[\w ]+?\s*:\s*)(.+)", text)
    if match:
        return match.group(1) + file_name(match.group(2))
    return file_name(text)


def former_codes(communes, year: int, since: int | None = None) -> set[str]:
    """``communes`` and every older commune code whose territory went into one of them
    between geography ``since`` (excluded; default: the oldest) and geography ``year``
    (mergers, code changes; a split commune counts for each part)."""
    from abs_lib.territories import reference

    changes = reference.table("changes")
    keep = changes["year"] <= int(year)
    if since is not None:
        keep &= changes["year"] > int(since)
    changes = changes[keep]
    into: dict[str, set[str]] = {}
    for old, new in zip(changes["old_code"].astype(str), changes["new_code"].astype(str)):
        into.setdefault(new, set()).add(old)
    found = set(map(str, communes))
    todo = list(found)
    while todo:
        for old in into.get(todo.pop(), ()):
            if old not in found:
                found.add(old)
                todo.append(old)
    return found


def _read_codes(path, columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(path, columns=columns)


# Cached per file and state (``cache.file_state``: size, times, inode): a batch worker's kept
# kernel reads each stored file's codes once for all its reports (0.1 s of a demo report's
# provenance), and a rewritten file is read again.
@functools.lru_cache(maxsize=256)
def _code_column(path: str, state: tuple) -> str | None:
    import pyarrow.parquet as pq

    from abs_lib.indicators.loading import code_column_of

    return code_column_of(pq.read_schema(path).names)


@functools.lru_cache(maxsize=64)
def _stored_codes(path: str, state: tuple, iris: bool) -> _ArrowCodes:
    """The codes of a stored table; of an IRIS table, the communes of its IRIS."""
    import pyarrow.parquet as pq

    from abs_lib.indicators.inputs import iris_communes

    column = _code_column(path, state)
    if not iris:
        return _ArrowCodes.read(path, column)
    columns = pq.read_schema(path).names
    extra = [c for c in ("DEPCOM", "COM") if c in columns and c != column]
    return _ArrowCodes.of_series(iris_communes(_read_codes(path, [column, *extra]), iris_column=column))


class _ArrowCodes:
    """The codes of a stored table as an Arrow array (text, spaces trimmed, nulls kept null).

    Counting a report's rows among them in Arrow, without a pandas copy of every file, took
    the provenance of a demo report from 0.28 s to 0.21 s (36 stored files)."""

    def __init__(self, array):
        self.array = array

    @classmethod
    def read(cls, path, column: str) -> _ArrowCodes:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        column_data = pq.read_table(path, columns=[column]).column(column)
        return cls(pc.utf8_trim_whitespace(column_data.cast(pa.string())))

    @classmethod
    def of_series(cls, series: pd.Series) -> _ArrowCodes:
        import pyarrow as pa

        values = series.astype(object).where(series.notna(), None).tolist()
        return cls(pa.chunked_array([pa.array(values, pa.string())]))

    def __len__(self) -> int:
        return len(self.array)

    def series(self) -> pd.Series:
        import pandas as pd

        return pd.Series(self.array.to_pylist(), dtype=object)

    def count_in(self, targets) -> int:
        import pyarrow as pa
        import pyarrow.compute as pc

        if not targets or not len(self.array):
            return 0
        found = pc.is_in(self.array, value_set=pa.array(sorted(map(str, targets)), pa.string()))
        return int(pc.sum(found).as_py() or 0)


def _catalog_geography(dataset: str, vintage: int) -> int | None:
    from abs_lib.sources.catalog import load_catalog

    try:
        return load_catalog().get(dataset).get_vintage(vintage).geography_year
    except (AbsError, KeyError, ValueError):
        return None


def _entry_dict(entry) -> dict:
    return asdict(entry) if is_dataclass(entry) else dict(entry)


def _study_targets(members: set[str], fit, year: int) -> set[str]:
    """Commune codes of a file (in geography ``fit.year``) that the engine puts on the study's
    communes (geography ``year``), as ``indicators.loading`` does: former communes merged
    since are summed in; a file newer than the study keeps only communes unchanged in
    between; the communes of an ambiguous fit are left out."""
    from abs_lib.territories import commune_changes

    if fit is None or fit.year == year:
        targets = set(members)
    elif fit.year < year:
        targets = former_codes(members, year, since=fit.year)
    else:
        changes = commune_changes(year, fit.year)
        targets = set(members) - set(changes["old_code"].astype(str)) - set(changes["new_code"].astype(str))
    return targets - set(fit.uncertain if fit is not None else ())


def _fit_of_file(root, path, data: dict, codes):
    """``fit_geography`` of a stored file whose manifest does not record it (CAF yearly files,
    contours), kept in the input cache under the file's manifest, state and abs's code."""
    from abs_lib.indicators import cache
    from abs_lib.territories.fit import GeographyFit, fit_geography

    folder = cache.cache_folder(root)
    key = cache.table_key([], "geography-fit", sorted(data.items(), key=lambda kv: kv[0]), cache.file_state(path))
    found = cache.read(folder, key)
    if isinstance(found, dict):
        return GeographyFit.from_dict(found) if found else None
    fit = fit_geography(codes.dropna().unique())
    cache.write(folder, key, fit.to_dict() if fit is not None else {})
    return fit


def contributions(portrait) -> Contributions:
    """Split the files ``portrait`` was built from (its indicator tables and its contours)
    into those with rows for the territory and those without.

    Each item: dataset, vintage, level, geography_year and geography_basis (commune and
    IRIS files: the geography found from their codes, ``"codes"``, the one the engine
    harmonised them from; other levels: the catalog's, ``"catalogue"``), origin (no
    folders), source_file (name), sha256, rows (of the stored table), rows_used (rows of
    the territory, its communes or its references), saved_at, fictional, member.
    """
    from abs_lib.indicators import Geography as MembershipIndex
    from abs_lib.indicators.cache import file_state
    from abs_lib.territories.fit import GeographyFit

    place = portrait.territory
    geography = place.geography
    index = MembershipIndex.from_membership(portrait.membership)
    members = {str(c) for c in index.members(place.level, place.code)}
    wanted: dict[str, set[str]] = {place.level: {str(place.code)}}
    for level, code in portrait.references:
        wanted.setdefault(level, set()).add(str(code))
    wanted.setdefault("commune", set()).update(members)

    entries = list(portrait.entries)
    if getattr(portrait, "contours_entry", None) is not None:
        entries.append(portrait.contours_entry)
    result = Contributions()
    seen = set()
    for entry in entries:
        data = _entry_dict(entry)
        key = (data.get("dataset"), data.get("vintage"), data.get("level"), data.get("part"))
        if key in seen:
            continue
        seen.add(key)
        level = str(data.get("level"))
        used: int | None = None
        geo, basis = None, None
        parquet = data.get("parquet")
        path = portrait.data_dir / parquet if parquet else None
        state = tuple(file_state(path)) if path is not None and path.is_file() else None
        if state is not None:
            column = _code_column(str(path), state)
            if level in _NATIONAL_LEVELS:
                used = int(data.get("rows") or 0) if level in wanted else 0
            elif column is not None:
                codes = _stored_codes(str(path), state, level == "iris")
                targets = wanted.get("commune" if level == "iris" else level, set())
                if level in ("commune", "iris") and len(codes):
                    if portrait.fictional:  # the demo's files are in its own geography, never harmonised
                        geo = geography.year
                    else:
                        found = data.get("geography")
                        fit = GeographyFit.from_dict(found) if found else _fit_of_file(
                            portrait.data_dir, path, data, codes.series())
                        targets = _study_targets(members, fit, geography.year)
                        geo, basis = (fit.year, "codes") if fit is not None else (None, None)
                used = codes.count_in(targets)
        if geo is None:
            geo = _catalog_geography(str(data.get("dataset")), int(data.get("vintage")))
            basis = "catalogue" if geo else None
        item = {
            "dataset": data.get("dataset"),
            "vintage": data.get("vintage"),
            "level": level,
            "geography_year": geo,
            "geography_basis": basis,
            "origin": public_origin(data.get("origin")),
            "source_file": file_name(data.get("source_file")),
            "sha256": data.get("sha256"),
            "rows": data.get("rows"),
            "rows_used": used,
            "saved_at": data.get("saved_at"),
            "fictional": bool(data.get("fictional")),
            "member": data.get("member"),
            "part": data.get("part"),
        }
        (result.without_rows if used == 0 else result.sources).append(item)
    order = lambda s: (str(s["dataset"]), str(s["vintage"]), str(s["level"]))  # noqa: E731
    result.sources.sort(key=order)
    result.without_rows.sort(key=order)
    return result
