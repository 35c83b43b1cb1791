"""Turn two kinds of files into commune tables the engine can sum: IRIS files (CAF allocataires,
RP IRIS bases) and the analyst's local list of childcare structures.

Both keep the engine's rule: a commune with a missing member is missing, unless the caller
allows partial sums, in which case the commune is marked in the ``_partial`` column (the
engine then flags "somme partielle").
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from abs_lib.errors import IndicatorError
from abs_lib.indicators.compute import PARTIAL_COLUMN

LOCAL_PLACES = "PLACES_LOCAL"
LOCAL_COMMUNE_COLUMNS = ("code_commune", "commune")
#: Code column of a data.caf.fr export and its level, finest first: commune exports also name
#: the commune's EPCI (numepci), which is then a label, not the row's territory.
CAF_PLACES_CODES = {"numcom": ("commune", "_com"), "numepci": ("epci", "_epci")}
CAF_PLACES_DROP = ("annee", "nomepci", "nomcom", "numdep", "nomdep", "numregi", "nomregi")


def commune_of_iris(codes: pd.Series) -> pd.Series:
    """Commune code of an IRIS code: its first 5 characters (a non-irisé commune's single
    "IRIS" is the commune code itself, 5 characters long)."""
    codes = codes.astype(str).str.strip()
    bad = ~codes.str.len().isin([5, 9])
    if bad.any():
        raise IndicatorError(
            f"Code IRIS inattendu « {codes[bad].iloc[0]} » : 9 caractères (IRIS) ou 5 (commune non "
            "irisée) attendus. Lisez la colonne comme du texte pour garder les zéros initiaux."
        )
    return codes.str[:5]


def iris_communes(frame: pd.DataFrame, *, iris_column: str = "CODGEO", commune_column: str | None = None) -> pd.Series:
    """The commune of each row of an IRIS table: ``commune_column`` when given (else ``DEPCOM``
    or ``COM`` if present and filled), otherwise the first 5 characters of the IRIS code."""
    if iris_column not in frame.columns:
        raise IndicatorError(f"Colonne IRIS « {iris_column} » absente (colonnes : {', '.join(map(str, frame.columns))}).")
    commune = commune_of_iris(frame[iris_column])
    column = commune_column or next((c for c in ("DEPCOM", "COM") if c in frame.columns), None)
    if column is not None:
        given = frame[column].astype(object).where(frame[column].notna())
        given = given.astype(str).str.strip().where(given.notna())
        commune = given.fillna(commune)
    return commune


def sum_iris_to_communes(
    frame: pd.DataFrame,
    *,
    iris_column: str = "CODGEO",
    commune_column: str | None = None,
    allow_partial: bool = False,
    exclude: Iterable[str] = ("NOTE",),
) -> pd.DataFrame:
    """Sum the numeric columns of an IRIS table to communes.

    The commune is ``commune_column`` when given (else ``DEPCOM`` or ``COM`` if present and
    filled), otherwise the first 5 characters of the IRIS code (CAF files 2019-2020 carry no
    DEPCOM). Non-numeric columns and ``exclude`` (CAF ``NOTE``, a code, not a count) are
    dropped. A commune with a missing IRIS value is missing in that column; with
    ``allow_partial`` it gets the sum of the IRIS present and ``_partial = True``.
    Returns a DataFrame indexed by commune code (str), index name ``commune``.
    """
    commune = iris_communes(frame, iris_column=iris_column, commune_column=commune_column)
    skip = set(exclude) | {iris_column}
    cols = [c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c].dtype)]
    values = frame[cols].astype(np.float64)
    groups = values.groupby(commune.to_numpy(), sort=True)
    sums = groups.sum(min_count=1)
    has_missing = values.isna().groupby(commune.to_numpy(), sort=True).any()
    if allow_partial:
        partial = (has_missing & sums.notna()).any(axis=1)
        sums[PARTIAL_COLUMN] = partial
    else:
        sums = sums.mask(has_missing)
    sums.index = pd.Index(sums.index.astype(str), dtype=object, name="commune")
    return sums


#: Largest plausible number of approved places in one childcare structure.
MAX_PLACES = 500


def local_commune_codes(codes: pd.Series) -> pd.Series:
    """Commune codes of the analyst's file, repaired where a spreadsheet damaged them
    (« 21292.0 » → « 21292 », « 1001 » → « 01001 »); anything else that is not a commune
    code is refused naming it (a silently dropped row would show 0 places)."""
    text = codes.astype(str).str.strip().str.replace(r"\.0+$", "", regex=True)
    text = text.where(~text.str.fullmatch(r"\d{4}"), "0" + text)
    bad = ~text.str.fullmatch(r"\d{5}|2[AB]\d{3}")
    if bad.any():
        raise IndicatorError(
            f"Fichier local des places d'accueil : code commune « {codes[bad].iloc[0]} » invalide. Un code "
            "INSEE de commune a 5 caractères (01001, 21292, 2A004) : écrivez la colonne code_commune en texte."
        )
    return text


def local_places_by_commune(
    frame: pd.DataFrame,
    *,
    as_of: str | pd.Timestamp | None = None,
    communes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Places per commune from the analyst's CSV of childcare structures (one row per structure).

    Columns (data/demo/local/structures_petite_enfance.csv): ``code_commune`` (code INSEE, text;
    ``commune`` also accepted) and ``places`` (number) are required; ``nom_structure``, ``type``
    (multi-accueil, micro-crèche…), ``date_ouverture`` and ``date_fermeture`` are optional. With ``as_of``, only structures open on that date count
    (opened on or before it, not closed on or before it; a row without opening date counts).
    ``communes`` lists the communes the file covers exhaustively: those without a structure get
    0 places; communes not listed stay absent (missing, never 0).
    Returns a DataFrame indexed by commune with column ``PLACES_LOCAL``.
    """
    commune_col = next((c for c in LOCAL_COMMUNE_COLUMNS if c in frame.columns), None)
    missing = ([] if commune_col else ["code_commune"]) + ([] if "places" in frame.columns else ["places"])
    if missing:
        raise IndicatorError(
            "Fichier local des places d'accueil : colonne(s) " + ", ".join(missing) + " absente(s). "
            "Colonnes attendues : code_commune (code INSEE), places, et facultativement nom_structure, "
            "type, date_ouverture, date_fermeture."
        )
    if pd.api.types.is_numeric_dtype(frame[commune_col].dtype):
        raise IndicatorError(
            "Fichier local des places d'accueil : la colonne des codes communes est numérique ; lisez-la "
            "comme du texte (dtype=str) pour garder les zéros initiaux (ex. 01001)."
        )
    data = frame.copy()
    data["commune"] = local_commune_codes(data[commune_col])
    places = pd.to_numeric(data["places"], errors="coerce")
    bad = places.isna() & data["places"].notna() & (data["places"].astype(str).str.strip() != "")
    if bad.any():
        raise IndicatorError(
            f"Fichier local des places d'accueil : nombre de places illisible « {data['places'][bad].iloc[0]} »."
        )
    implausible = places.notna() & ((places < 0) | (places > MAX_PLACES) | (places % 1 != 0))
    if implausible.any():
        row = data[implausible].iloc[0]
        name = row.get("nom_structure", row["commune"])
        raise IndicatorError(
            f"Fichier local des places d'accueil : {row['places']} place(s) pour « {name} » : un nombre entier "
            f"de 0 à {MAX_PLACES} est attendu par structure. Corrigez la ligne (places agréées de la structure)."
        )
    data["places"] = places
    if as_of is not None:
        day = pd.Timestamp(as_of)
        opened = _dates(data["date_ouverture"]) if "date_ouverture" in data else pd.Series(pd.NaT, index=data.index)
        closed = _dates(data["date_fermeture"]) if "date_fermeture" in data else pd.Series(pd.NaT, index=data.index)
        open_mask = (opened.isna() | (opened <= day)) & (closed.isna() | (closed > day))
        data = data[open_mask]
    sums = data.groupby("commune", sort=True)["places"].sum(min_count=1)
    has_missing = data["places"].isna().groupby(data["commune"], sort=True).any()
    sums = sums.mask(has_missing)
    if communes is not None:
        covered = pd.Index([str(c) for c in communes], dtype=object)
        outside = sums.index.difference(covered)
        if len(outside):
            raise IndicatorError(
                f"Fichier local des places d'accueil : la commune {outside[0]} n'est pas dans la liste "
                "des communes couvertes ; ajoutez-la ou corrigez son code."
            )
        sums = sums.reindex(covered).fillna(0.0).where(~covered.isin(has_missing[has_missing].index))
    out = pd.DataFrame({LOCAL_PLACES: sums.astype(np.float64)})
    out.index = pd.Index(out.index.astype(str), dtype=object, name="commune")
    return out


def _dates(values: pd.Series) -> pd.Series:
    """ISO dates (2019-09-02), else French day-first dates (02/09/2019); empty -> NaT."""
    text = values.astype(object).where(values.notna())
    iso = pd.to_datetime(text, errors="coerce", format="ISO8601")
    french = pd.to_datetime(text, errors="coerce", format="%d/%m/%Y")
    parsed = iso.fillna(french)
    bad = parsed.isna() & text.notna() & (text.astype(str).str.strip() != "")
    if bad.any():
        raise IndicatorError(
            f"Fichier local des places d'accueil : date illisible « {text[bad].iloc[0]} » "
            "(formats acceptés : 2019-09-02 ou 02/09/2019)."
        )
    return parsed


def caf_places_tables(frame: pd.DataFrame) -> tuple[str, dict[int, pd.DataFrame]]:
    """Split a data.caf.fr childcare export (nbpla_pe_epci, nbpla_pe_com, txcouv_pe_epci,
    txcouv_pe_com: one row per territory and year) into one table per vintage (``annee``),
    indexed by the commune code when there is one (commune exports also carry numepci), else
    the EPCI code, with level-free column names (``pl_eaje_epci`` -> ``pl_eaje``,
    ``tot_offre_com`` -> ``tot_offre``, ``txcouv_epci`` -> ``txcouv``, ``txcouv_com`` -> ``txcouv``).

    Returns ``(level, {vintage: frame})``, ready for ``level_tables[(dataset, vintage, level)]``.
    """
    code = next((c for c in CAF_PLACES_CODES if c in frame.columns), None)
    if code is None or "annee" not in frame.columns:
        raise IndicatorError(
            "Fichier CAF des places d'accueil : colonnes annee et numepci (ou numcom) attendues ; "
            f"colonnes trouvées : {', '.join(map(str, frame.columns))}."
        )
    if pd.api.types.is_numeric_dtype(frame[code].dtype):
        raise IndicatorError(
            f"Fichier CAF des places d'accueil : la colonne {code} est numérique ; lisez-la comme du texte "
            "pour garder les zéros initiaux."
        )
    level, suffix = CAF_PLACES_CODES[code]
    drop = [*CAF_PLACES_DROP, *(c for c in CAF_PLACES_CODES if c != code)]
    values = frame.drop(columns=[c for c in drop if c in frame.columns])
    values = values.rename(columns=lambda c: c[: -len(suffix)] if c.endswith(suffix) else c)
    years = pd.to_numeric(frame["annee"], errors="coerce")
    out = {}
    for year in sorted(years.dropna().unique()):
        part = values[(years == year).to_numpy()].set_index(code)
        part.index = pd.Index(part.index.astype(str), dtype=object, name=level)
        out[int(year)] = part
    return level, out
