"""Check a file read for import against the declared rules before anything is stored.

The rules are data (``rules.yaml`` beside this module): code format per level, totals the
source guarantees, orders (unemployed ≤ active ≤ population), plausible ranges, the key
of a row. For each file they are bound to the columns it has and turned into a pandera
schema; every failure is reported in French with the codes at fault, and the file is
refused whole. Beyond the schema:

- a file without data rows is refused;
- the level the file is filed under (from its name, its code column or its dataset) must
  match its codes: ``FILO2019_DISP_EPCI.csv`` renamed ``…_COM.csv`` is refused, naming both;
- a census-based file is filed under the latest census vintage of its columns (a
  comparateur without ``P22_POP`` is not filed under 2016 for its ``P16_POP``);
- commune and IRIS codes must be communes of some geography since 1999 (or Paris, Lyon,
  Marseille arrondissements, or overseas collectivities): a code that is no commune is refused;
- rows with the same key: identical ones are kept once (said in a note), different ones make
  the file refused with the codes named;
- coverage against the territory reference (communes of each département present) is
  computed and said in a note; a partial file is not refused here, but it never replaces a
  more complete table silently (see ``importing.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from abs_lib.errors import SourceFileError, UnrecognizedFileError
from abs_lib.sources.columns import COUNT, column_kind

#: libyaml's safe loader when built (5x faster on the packaged YAML files), else the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RULES_PATH = Path(__file__).with_name("rules.yaml")
_YY = re.compile(r"\{yy\}")

#: Code prefixes of overseas collectivities (Saint-Pierre-et-Miquelon, Saint-Barthélemy,
#: Saint-Martin, Pacific): valid commune codes that the territory reference does not list.
_OVERSEAS = ("975", "977", "978", "98")


class ValidationError(SourceFileError):
    """A file breaks the import rules: refused, the store untouched."""


@dataclass(frozen=True)
class Rules:
    """The rules of ``rules.yaml``."""

    codes: dict
    totals: tuple
    order: tuple
    ranges: tuple
    datasets: dict

    def for_dataset(self, dataset: str) -> dict:
        return self.datasets.get(dataset) or {}

    def text_columns(self, dataset: str) -> tuple[str, ...]:
        return tuple(self.for_dataset(dataset).get("text_columns") or ())


@lru_cache(maxsize=1)
def load_rules() -> Rules:
    data = yaml.load(RULES_PATH.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)  # noqa: S506 - the C SafeLoader
    for level, spec in data["codes"].items():
        re.compile(spec["pattern"])
    return Rules(codes=data["codes"], totals=tuple(data.get("totals") or ()), order=tuple(data.get("order") or ()),
                 ranges=tuple(data.get("ranges") or ()), datasets=data.get("datasets") or {})


@dataclass
class Checked:
    """A file that passed: the table to store (identical duplicate rows kept once), its key
    columns, what was said on the way, and its coverage (for the manifest)."""

    frame: pd.DataFrame
    key: list[str]
    notes: list[str] = field(default_factory=list)
    coverage: dict | None = None
    coverage_note: str | None = None


# ------------------------------------------------------------------ binding patterns to columns
def _bind(patterns: list[str], columns) -> list[list[str]]:
    """Every way to fill ``{yy}`` so that all ``patterns`` name present columns."""
    present = set(map(str, columns))
    if not any(_YY.search(p) for p in patterns):
        return [list(patterns)] if all(p in present for p in patterns) else []
    head = next(p for p in patterns if _YY.search(p))
    regex = re.compile("^" + re.escape(head).replace(re.escape("{yy}"), r"(\d{2})") + "$")
    found = []
    for yy in sorted({m.group(1) for c in present if (m := regex.match(c))}):
        names = [_YY.sub(yy, p) for p in patterns]
        if all(n in present for n in names):
            found.append(names)
    return found


def _matching(patterns: list[str], columns) -> list[str]:
    """Columns that match any of ``patterns`` (each on its own)."""
    out = []
    for pattern in patterns:
        for names in _bind([pattern], columns):
            out += names
    return list(dict.fromkeys(out))


# ------------------------------------------------------------------ the checks
def _codes_shown(codes: pd.Series, limit: int = 5) -> str:
    values = [str(c) for c in codes.tolist()]
    return ", ".join(values[:limit]) + (f" … ({len(values)} au total)" if len(values) > limit else "")


def _number(value: float) -> str:
    if pd.isna(value):
        return "vide"
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return text[:-3] if text.endswith(",00") else text


def _schema_failures(frame: pd.DataFrame, dataset: str, code_column: str, rules: Rules) -> list[str]:
    """Ranges, totals and orders, as a pandera schema; French sentences for what fails."""
    import pandera.pandas as pa

    numeric = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    column_checks: dict[str, list] = {}
    column_says: dict[tuple[str, int], str] = {}       # (column, check number) -> what is wrong
    frame_checks: list = []
    frame_says: list = []                              # check number -> row -> what is wrong

    def on_column(name: str, check, sentence: str) -> None:
        column_says[(name, len(column_checks.setdefault(name, [])))] = sentence
        column_checks[name].append(check)

    for name in numeric:
        if column_kind(dataset, name, frame[name].dtype) == COUNT:
            on_column(name, pa.Check.ge(0), f"{name} négatif (un effectif est positif ou nul)")
    for rule in (*rules.ranges, *(rules.for_dataset(dataset).get("ranges") or ())):
        low, high, what = rule.get("min"), rule.get("max"), rule.get("what", "valeur")
        for name in _matching(rule["columns"], numeric):
            if low is not None and high is not None:
                on_column(name, pa.Check.in_range(low, high), f"{name} hors de [{low} ; {high}] ({what})")
            elif low is not None:
                on_column(name, pa.Check.ge(low), f"{name} inférieur à {low} ({what})")
            else:
                on_column(name, pa.Check.le(high), f"{name} supérieur à {high} ({what})")
    for rule in rules.totals:
        for names in _bind([rule["total"], *rule["parts"]], numeric):
            total, parts = names[0], names[1:]
            tolerance = float(rule.get("tolerance", 0.5 * len(names)))

            def total_holds(d, total=total, parts=parts, tolerance=tolerance):
                known = d[[total, *parts]].notna().all(axis=1)
                gap = (d[total] - d[parts].sum(axis=1)).abs()
                return ~known | (gap <= tolerance + 1e-9 * d[total].abs())

            frame_checks.append(pa.Check(total_holds, name=f"total {total}"))
            frame_says.append(lambda row, total=total, parts=parts: (
                f"{total} ({_number(row[total])}) ≠ {' + '.join(parts)} ({_number(sum(row[p] for p in parts))})"))
    for chain in rules.order:
        for names in _bind(chain, numeric):
            def ordered(d, names=names):
                ok = pd.Series(True, index=d.index)
                for low, high in zip(names, names[1:]):
                    a, b = d[low], d[high]
                    ok &= a.isna() | b.isna() | (a <= b + 1e-9 * b.abs() + 1e-9)
                return ok

            frame_checks.append(pa.Check(ordered, name="ordre " + " ≤ ".join(names)))
            frame_says.append(lambda row, names=names: (
                "il faut " + " ≤ ".join(f"{n} ({_number(row[n])})" for n in names)))
    if not column_checks and not frame_checks:
        return []
    schema = pa.DataFrameSchema(
        {name: pa.Column(nullable=True, checks=checks) for name, checks in column_checks.items()},
        checks=frame_checks, strict=False, coerce=False)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return []
    cases = cases[cases["index"].notna()]
    sentences = []
    columns = cases[cases["schema_context"] == "Column"]
    for (name, number), group in columns.groupby(["column", "check_number"], sort=False):
        rows = sorted({int(i) for i in group["index"]})
        detail = ", ".join(f"{frame.at[r, code_column]} : {_number(frame.at[r, name])}" for r in rows[:3])
        what = column_says.get((name, int(number)), f"{name} : {group['check'].iloc[0]}")
        sentences.append(f"{what}, {len(rows)} ligne(s) ({detail}{' …' if len(rows) > 3 else ''})")
    whole = cases[cases["schema_context"] == "DataFrameSchema"]
    for number, group in whole.groupby("check_number", sort=False):
        rows = sorted({int(i) for i in group["index"]})
        says = frame_says[int(number)]
        detail = " ; ".join(f"{frame.at[r, code_column]} : {says(frame.loc[r])}" for r in rows[:2])
        sentences.append(f"{len(rows)} ligne(s) où {detail}{' …' if len(rows) > 2 else ''}")
    return sentences


def _level_problem(codes: pd.Series, level: str, rules: Rules) -> pd.Series:
    pattern = rules.codes.get(level, {}).get("pattern")
    return ~codes.str.fullmatch(pattern) if pattern else pd.Series(False, index=codes.index)


def _unknown_communes(codes: pd.Series) -> list[str]:
    """Commune codes (or IRIS codes' commune part) that are no commune of any geography since 1999."""
    from abs_lib.territories import fit, reference

    communes = set(codes.str[:5])
    arrondissements = frozenset(reference.table("arrondissements")["code"].astype(str))
    left = communes - fit.commune_codes(fit.geography_years()[-1]) - arrondissements   # most files: nothing left
    if left:
        left -= fit._ever_known()
    return sorted(c for c in left if not c.startswith(_OVERSEAS))


def _coverage(codes: pd.Series, level: str) -> tuple[dict | None, str | None]:
    """Communes present per département against the reference geography the codes fit."""
    if level not in ("commune", "iris"):
        return {"level": level, "codes": int(codes.nunique())}, None
    from abs_lib.territories import fit

    communes = set(codes.str[:5])
    found = fit.fit_geography(communes)
    if found is None:
        return None, None
    by_dep = fit._by_departement(found.year)
    per_dep = {}
    for dep in sorted({fit._departement(c) for c in communes}):
        own = by_dep.get(dep, frozenset())
        per_dep[dep] = [len(communes & own), len(own)]
    coverage = {"level": level, "codes": int(codes.nunique()), "communes": len(communes),
                "geography_year": found.year, "departements": per_dep}
    partial = {d: v for d, v in per_dep.items() if v[1] and v[0] < v[1]}
    shown = ", ".join(f"{d} : {v[0]} sur {v[1]}" for d, v in list(per_dep.items())[:6])
    more = " …" if len(per_dep) > 6 else ""
    if partial:
        note = (f"couverture partielle : communes présentes par département ({shown}{more}) ; les territoires "
                "dont une commune manque seront dits « hors champ du fichier ».")
    else:
        note = f"couverture : toutes les communes de {len(per_dep)} département(s) ({shown}{more})."
    return coverage, note


def _census_vintage_problem(frame: pd.DataFrame, vintage: int | None, required: tuple[str, ...]) -> str | None:
    years = {int(m.group(1)) for c in frame.columns if (m := re.match(r"^[PC](\d{2})_", str(c)))}
    if vintage is None or not years:
        return None
    latest = max(years)
    latest = 1900 + latest if latest >= 60 else 2000 + latest
    if latest <= vintage:
        return None
    yy = f"{latest % 100:02d}"
    newer = [c for c in frame.columns if str(c).startswith((f"P{yy}_", f"C{yy}_"))]
    missing = [r.replace("{yy}", yy) for r in required if r.replace("{yy}", yy) not in frame.columns]
    return (f"il a des colonnes du recensement {latest} ({', '.join(newer[:4])}{'…' if len(newer) > 4 else ''}) mais "
            f"pas {', '.join(missing) or 'les colonnes attendues'} : il serait rangé au millésime {vintage} d'après "
            f"ses colonnes anciennes. Reprenez le fichier complet (avec {', '.join(missing)})")


def _duplicates(frame: pd.DataFrame, key: list[str]) -> tuple[pd.DataFrame, str | None]:
    """Identical rows with the same key kept once (note); different ones refused."""
    dup = frame.duplicated(subset=key, keep=False)
    if not dup.any():
        return frame, None
    rows = frame[dup]
    # rows compared as read: numbers as numbers, a missing cell equal to a missing cell
    canonical = rows.astype(object).where(rows.notna(), None).map(repr)
    distinct = rows.loc[canonical.drop_duplicates().index]
    per_key = distinct.groupby(key, dropna=False, sort=False).size()
    conflicting = per_key[per_key > 1]
    if not conflicting.empty:
        names = [" ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in conflicting.index]
        first = conflicting.index[0]
        first = first if isinstance(first, tuple) else (first,)
        sample = distinct[np.logical_and.reduce([distinct[k] == v for k, v in zip(key, first)])]
        differ = [c for c in frame.columns if sample[c].astype(object).map(repr).nunique() > 1]
        shown = ", ".join(f"{c} : " + " puis ".join(_cell(v) for v in sample[c].tolist()[:3]) for c in differ[:3])
        others = f" ; en tout {len(names)} code(s) : {_codes_shown(pd.Series(names))}" if len(names) > 1 else ""
        raise ValidationError(
            f"code {names[0]} en double avec des valeurs différentes ({shown}{others}) : impossible de savoir "
            "quelle ligne est la bonne. Reprenez le fichier d'origine.")
    kept = frame.drop_duplicates(subset=key, keep="first").reset_index(drop=True)
    codes = rows.drop_duplicates(subset=key)[key[0]]
    return kept, (f"{len(frame) - len(kept)} ligne(s) en double à l'identique, gardée(s) une seule fois "
                  f"(codes {_codes_shown(codes)}).")


def _cell(value) -> str:
    if isinstance(value, float):
        return _number(value)
    return "vide" if value is None or pd.isna(value) else f"« {value} »"


def _describe_level(level: str, rules: Rules) -> str:
    return rules.codes.get(level, {}).get("description", level)


def check_table(
    frame: pd.DataFrame,
    *,
    dataset,
    level: str,
    level_from: str,
    code_column: str,
    vintage: int | None,
    filename: str,
    labels: pd.Series | None = None,
    fictional: bool = False,
    year_column: str | None = None,
) -> Checked:
    """Validate a table read from ``filename`` before it is stored; raise ValidationError.

    ``dataset`` is the catalog's Dataset, ``level_from`` says where the level came from
    (``nom``: the file name, ``jeu``: the dataset has one level, ``colonne``: the code
    column's name, ``codes``: read from the codes), for the message when codes contradict it.
    ``year_column`` is the column holding the year in files with one row per territory and year.
    """
    rules = load_rules()
    own = rules.for_dataset(dataset.id)
    if frame.empty:
        raise ValidationError(
            f"Fichier {filename} refusé : il ne contient aucune ligne de données (seulement l'en-tête). "
            "Retéléchargez le fichier complet.")
    notes: list[str] = []
    codes = frame[code_column].astype("string").str.strip()
    empty = codes.isna() | codes.eq("")
    if empty.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(empty.to_numpy())[:5])
        raise ValidationError(
            f"Fichier {filename} refusé : {int(empty.sum())} ligne(s) sans code géographique dans {code_column} "
            f"(ligne(s) {lines}). Chaque ligne doit nommer son territoire ; reprenez le fichier d'origine")

    # the level must be the codes' level
    if own.get("codes", True):
        bad = _level_problem(codes, level, rules)
        if bad.any():
            try:
                from abs_lib.sources.recognize import detect_level

                actual = detect_level(codes, labels)
            except UnrecognizedFileError:
                actual = None
            example = _codes_shown(codes[bad], 3)
            origin = {"nom": f"son nom ({filename}) le range au niveau {level}",
                      "jeu": f"le jeu « {dataset.id} » n'existe qu'au niveau {level}",
                      "colonne": f"sa colonne {code_column} le range au niveau {level}",
                      }.get(level_from, f"il est rangé au niveau {level}")
            if actual and actual != level and not _level_problem(codes, actual, rules).any():
                raise ValidationError(
                    f"Fichier {filename} refusé : {origin}, mais ses codes ({code_column} : {example}) sont de niveau "
                    f"{actual} ({_describe_level(actual, rules)}). Donnez au fichier le nom publié par le producteur "
                    "pour son niveau, ou vérifiez qu'il s'agit du bon fichier.")
            raise ValidationError(
                f"Fichier {filename} refusé : {int(bad.sum())} code(s) {code_column} qui ne sont pas au format du niveau "
                f"{level} ({_describe_level(level, rules)}) : {example}. Reprenez le fichier d'origine.")
        if level in ("commune", "iris") and not fictional:
            unknown = _unknown_communes(codes)
            if unknown:
                raise ValidationError(
                    f"Fichier {filename} refusé : {len(unknown)} code(s) qui ne sont une commune d'aucune géographie "
                    f"depuis 1999 ({_codes_shown(pd.Series(unknown))}). Vérifiez ces codes ou reprenez le fichier "
                    "d'origine.")

    if own.get("census_vintage") and dataset.signature is not None:
        problem = _census_vintage_problem(frame, vintage, dataset.signature.required)
        if problem:
            raise ValidationError(f"Fichier {filename} refusé : {problem}.")

    frame = frame.assign(**{code_column: codes})
    key = own.get("key", "default")
    if key == "default":
        key = [code_column] + ([year_column] if year_column and year_column in frame.columns else [])
    elif key is not None:
        key = [c for c in key if c in frame.columns] or None
    if key:
        try:
            frame, note = _duplicates(frame, key)
        except ValidationError as error:
            raise ValidationError(f"Fichier {filename} refusé : {error}") from None
        if note:
            notes.append(note)
    failures = _schema_failures(frame, dataset.id, code_column, rules)
    if failures:
        shown = " ; ".join(failures[:4]) + (f" ; et {len(failures) - 4} autre(s) contrôle(s)" if len(failures) > 4 else "")
        raise ValidationError(
            f"Fichier {filename} refusé, valeurs impossibles : {shown}. Le fichier est peut-être endommagé ou "
            "modifié : reprenez l'original publié par le producteur.")
    coverage, note = (None, None) if fictional else _coverage(codes.drop_duplicates(), level)
    return Checked(frame=frame, key=key or [], notes=notes, coverage=coverage,
                   coverage_note=note[0].upper() + note[1:] if note else None)
