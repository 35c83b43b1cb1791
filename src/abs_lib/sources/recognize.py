"""Tell which catalog dataset, vintage and geographic level a file holds.

Analysts behind administration proxies download files by hand and rename them;
so a file is recognised by its columns (the catalog's ``signature`` of each
dataset), the file name serving only where the producer writes the vintage
nowhere else (CAF files) or the measure (DREES tables). A redistributor's
relabelled columns are read under the producer's names (the catalog's ``aliases``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from abs_lib.errors import UnrecognizedFileError
from abs_lib.sources.catalog import Catalog, load_catalog
from abs_lib.sources.readers import is_zip, read_header, zip_data_member

#: Région codes (2016 onwards, DOM included): a two-character code that is one
#: of these in a file whose every code is one of these is a région, not a département.
REGION_CODES = frozenset({"01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"})


@dataclass(frozen=True)
class Recognition:
    """What a file is: enough to store it and to say so to the analyst."""

    dataset: str
    vintage: int | None
    code_column: str
    level: str | None  # None when the codes must be read to tell (see ``detect_level``)
    specificity: int
    renaming: dict = field(default_factory=dict)   # {column of the file: producer's name}
    part: str | None = None                        # measure of a years-in-columns table (``Tab23``)
    level_from: str = "codes"                      # what told the level: jeu, colonne, nom (or codes)


def recognize_columns(columns: list[str], filename: str, catalog: Catalog) -> Recognition:
    """Recognise a file from its header and name against the catalog's signatures.

    The most specific signature (most required columns) wins; two equally
    specific matches are refused as ambiguous rather than guessed.
    """
    matches = []
    for dataset in catalog:
        if dataset.signature is None:
            continue
        renaming = dataset.renaming(columns)
        found = dataset.signature.match([renaming.get(c, c) for c in columns], filename)
        if found is not None:
            matches.append((found.specificity, dataset, found.vintage, renaming))
    if not matches:
        raise UnrecognizedFileError(_explain(filename, columns, catalog))
    matches.sort(key=lambda m: (-m[0], m[1].id))
    specificity, dataset, vintage, renaming = matches[0]
    tied = [m[1].id for m in matches if m[0] == specificity]
    if len(tied) > 1:
        raise UnrecognizedFileError(
            f"Fichier {filename} ambigu : il a les colonnes de plusieurs jeux de données ({', '.join(tied)}). "
            "Importez plutôt le fichier d'origine, non retouché."
        )
    if vintage is None and dataset.signature.vintage_from == "filename":
        raise UnrecognizedFileError(
            f"Fichier {filename} : reconnu comme « {dataset.id} », mais son millésime est introuvable. "
            "Gardez l'année dans le nom du fichier, comme le producteur le publie."
        )
    part = None
    if dataset.layout is not None:
        part = dataset.layout.part_of(filename)
        if part is None:
            known = ", ".join(f"{p} ({title})" for p, title in dataset.layout.parts)
            raise UnrecognizedFileError(
                f"Fichier {filename} : reconnu comme « {dataset.id} », mais son nom ne dit pas de quel "
                f"tableau il s'agit (l'en-tête ne le dit pas). Tableaux connus : {known}. Gardez le numéro "
                "du tableau dans le nom du fichier (ex. Tab23.csv)."
            )
    by_upper = {renaming.get(c, c).upper(): renaming.get(c, c) for c in columns}
    code_column = next(by_upper[c.upper()] for c in dataset.signature.code_columns if c.upper() in by_upper)
    level, level_from = _level_from_layout(dataset, code_column, filename)
    return Recognition(
        dataset=dataset.id,
        vintage=vintage,
        code_column=code_column,
        level=level,
        specificity=specificity,
        renaming=renaming,
        part=part,
        level_from=level_from,
    )


#: Code columns that name their level.
_CODE_COLUMN_LEVELS = {"IRIS": "iris", "NUMEPCI": "epci", "NUMCOM": "commune", "SIREN_EPCI": "epci"}


def _level_from_layout(dataset, code_column: str, filename: str) -> tuple[str | None, str]:
    """The level when the layout tells it: a single-level dataset, a telling code
    column, or a file name that starts like a member of the official archive
    (``FILO2019_DISP_REG.csv``…), and which of them told it (``jeu``, ``colonne``,
    ``nom``). None means: read the codes. The codes are checked against it at import."""
    if len(dataset.levels) == 1:
        return dataset.levels[0], "jeu"
    if code_column.upper() in _CODE_COLUMN_LEVELS:
        return _CODE_COLUMN_LEVELS[code_column.upper()], "colonne"
    name = Path(filename).name.upper()
    for vintage in dataset.vintages:
        for spec in vintage.files:
            if spec.member:
                stem = re.escape(Path(spec.member).stem.upper())
                pattern = re.sub(r"\d+", r"\\d+", stem)
                if re.match(pattern + r"(?![A-Z0-9])", name):
                    return spec.level, "nom"
    return None, "codes"


#: Column names that say a share or rate was computed by whoever made the file (``dmv_65p_pct_16``).
_DERIVED_SHARE = re.compile(r"(?i)(^|_)(pct|part|prop|ratio)(_|$)")


def _explain(filename: str, columns: list[str], catalog: Catalog) -> str:
    """Why nothing matched: the closest dataset and what it lacks."""
    shown = ", ".join(columns[:8]) + ("…" if len(columns) > 8 else "")
    derived = [c for c in columns if _DERIVED_SHARE.search(c)]
    if len(derived) >= 3:
        listed = ", ".join(derived[:5]) + ("…" if len(derived) > 5 else "")
        return (
            f"Fichier non reconnu : {filename}. Il contient des parts calculées par un tiers ({listed}), pas les "
            "comptages publiés par l'INSEE ou la CAF : abs ne reprend pas une part dont il ne peut vérifier "
            "ni le numérateur ni le dénominateur (il les recalcule à partir des comptages officiels). "
            "Importez les bases d'origine (ex. bases IRIS du recensement) ; `abs data fetch` les télécharge."
        )
    message = (
        f"Fichier non reconnu : {filename}. Ses colonnes ({shown}) ne correspondent à aucun jeu de "
        "données du catalogue (recensement, FiLoSoFi, Dossier complet, Comparateur, CAF, COG…)."
    )
    present = set(columns)
    best = None
    for dataset in catalog:
        signature = dataset.signature
        if signature is None:
            continue
        has_code = any(c in present for c in signature.code_columns)
        for vintage in dataset.vintage_years[-1:]:
            required = signature.required_for(vintage)
            missing = [c for c in required if c not in present]
            score = (has_code, len(required) - len(missing))
            if best is None or score > best[0]:
                best = (score, dataset, signature, missing, vintage)
    if best and (best[0][0] or best[0][1]):
        _, dataset, signature, missing, vintage = best
        reasons = []
        if not best[0][0]:
            reasons.append("pas de colonne de code géographique (" + " ou ".join(signature.code_columns) + ")")
        if missing:
            reasons.append(f"colonnes attendues absentes (millésime {vintage}) : " + ", ".join(missing[:5]))
        if reasons:
            message += f" Le plus proche est « {dataset.id} » : " + " ; ".join(reasons) + "."
    message += (
        " Seuls les fichiers officiels INSEE/CAF (ou des extraits qui gardent leurs colonnes) sont acceptés ; "
        "`abs data fetch` télécharge les bons fichiers."
    )
    return message


def detect_level(codes: pd.Series, labels: pd.Series | None = None) -> str:
    """Geographic level of a table from its codes (5-char communes, 9-digit EPCI/IRIS…)."""
    codes = codes.dropna().astype(str).str.strip()
    codes = codes[codes != ""]
    if codes.empty:
        raise UnrecognizedFileError("Le fichier ne contient aucun code géographique.")
    lengths = set(codes.str.len())
    if lengths == {5} and codes.str.fullmatch(r"\d[\dAB]\d{3}").all():
        return "commune"
    if lengths == {9} and codes.str.fullmatch(r"\d{9}").all():
        # IRIS codes begin with the commune code, so digits alone cannot tell: EPCI
        # files name their EPCI (CC…, CA…, Métropole…), IRIS files have no such labels.
        return "epci" if labels is not None and _looks_like_epci(labels) else "iris"
    if lengths <= {1} and len(codes) == 1:
        label = str(labels.iloc[0]) if labels is not None and len(labels) else ""
        return "metropole" if "métropol" in label.lower() or codes.iloc[0] == "1" else "france"
    if lengths <= {2, 3}:
        if set(codes) <= REGION_CODES and len(codes) <= len(REGION_CODES):
            return "region"
        return "departement"
    raise UnrecognizedFileError(
        "Niveau géographique indéterminé : les codes mélangent plusieurs formats "
        f"(longueurs {sorted(lengths)})."
    )


_EPCI_WORDS = re.compile(r"\b(?:CC|CA|CU|Métropole|Metropole|Communauté|Communaute|Eurométropole|EPT|Établissement|SAN)\b", re.IGNORECASE)


def _looks_like_epci(labels: pd.Series) -> bool:
    sample = labels.dropna().astype(str).head(200)
    return bool(len(sample)) and sample.str.contains(_EPCI_WORDS).mean() > 0.5


def recognize_file(path: str | Path, catalog: Catalog | None = None) -> Recognition:
    """Recognise a file on disk from its header (cheap: the body is not read).

    A zip archive is recognised by the header of its one data file; the vintage may
    then be in the name of the archive or in that of the file.
    """
    path = Path(path)
    name = path.name
    try:
        header = read_header(path)
        if is_zip(path):
            name = f"{path.name} {Path(zip_data_member(path)).name}"
    except Exception as error:
        raise UnrecognizedFileError(f"Fichier illisible : {path} ({error}).") from error
    return recognize_columns(header, name, catalog or load_catalog())
