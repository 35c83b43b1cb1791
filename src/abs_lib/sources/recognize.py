"""Tell which catalog dataset, vintage and geographic level a file holds.

Analysts behind administration proxies download files by hand and rename them;
so a file is recognised by its columns (the catalog's ``signature`` of each
dataset), the file name serving only where the producer writes the vintage
nowhere else (CAF files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from abs_lib.errors import UnrecognizedFileError
from abs_lib.sources.readers import read_header

#: Région codes (2016 onwards, DOM included): a two-character code that is one
#: of these in a file whose every code is one of these is a région, not a département.
REGION_CODES = frozenset({"01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"})


@dataclass(frozen=True)
class Recognition:
    """What a file is: enough to store it and to say so to the analyst."""

    dataset: str
    vintage: int
    code_column: str
    level: str | None  # None until the codes are read (see ``detect_level``)
    matched: tuple[str, ...]


def _pattern_regex(pattern: str) -> re.Pattern:
    escaped = re.escape(pattern).replace(r"\{yy\}", r"(?P<yy>\d{2})").replace(r"\{yyyy\}", r"(?P<yyyy>\d{4})")
    return re.compile(f"^{escaped}$")


def _vintages_for(pattern: str, columns: list[str]) -> set[int]:
    regex = _pattern_regex(pattern)
    found = set()
    for column in columns:
        match = regex.match(column)
        if not match:
            continue
        groups = match.groupdict()
        if groups.get("yyyy"):
            found.add(int(groups["yyyy"]))
        elif groups.get("yy"):
            yy = int(groups["yy"])
            found.add(1900 + yy if yy >= 60 else 2000 + yy)
        else:
            found.add(-1)  # pattern without vintage: present, any vintage
    return found


def _match_signature(signature: dict, columns: list[str], filename: str) -> tuple[int | None, str | None, list[str], list[str]]:
    """Return (vintage, code column, matched patterns, missing patterns) for one signature."""
    code_column = next((c for c in signature.get("code_columns", []) if c in columns), None)
    matched, missing = [], []
    vintages: set[int] | None = None
    groups = [[p] for p in signature.get("required", [])] + [list(g) for g in signature.get("any_of", [])]
    for group in groups:
        found: set[int] = set()
        for pattern in group:
            found |= _vintages_for(pattern, columns)
        if not found:
            missing.append(" ou ".join(group))
            continue
        matched.append(" | ".join(group))
        dated = {v for v in found if v != -1}
        if dated:
            vintages = dated if vintages is None else vintages & dated
    for pattern in signature.get("forbidden", []):
        if _vintages_for(pattern, columns):
            missing.append(f"pas de colonne {pattern}")
    vintage = None
    if signature.get("vintage_from") == "filename":
        match = re.search(signature.get("filename_pattern", r"(?P<vintage>(19|20)\d{2})"), filename)
        vintage = int(match.group("vintage")) if match else None
    elif vintages:
        vintage = max(vintages)
    return vintage, code_column, matched, missing


def recognize_columns(columns: list[str], filename: str, signatures: dict[str, dict]) -> Recognition:
    """Recognise a file from its header and name against ``{dataset id: signature}``."""
    candidates = []
    near = []
    for dataset, signature in signatures.items():
        vintage, code_column, matched, missing = _match_signature(signature, columns, filename)
        if code_column and not missing and matched and vintage is not None:
            candidates.append((len(matched), dataset, vintage, code_column, matched, signature.get("level")))
        elif matched or code_column:
            near.append((len(matched), dataset, missing, code_column, vintage))
    if candidates:
        candidates.sort(key=lambda c: (-c[0], c[1]))
        best = candidates[0]
        if len(candidates) > 1 and candidates[1][0] == best[0]:
            tied = ", ".join(c[1] for c in candidates if c[0] == best[0])
            raise UnrecognizedFileError(
                f"Fichier {filename} ambigu : il ressemble à plusieurs jeux de données ({tied}). "
                "Importez-le en précisant le jeu avec --jeu."
            )
        return Recognition(dataset=best[1], vintage=best[2], code_column=best[3], level=best[5], matched=tuple(best[4]))
    raise UnrecognizedFileError(_explain(filename, columns, near))


def _explain(filename: str, columns: list[str], near: list) -> str:
    shown = ", ".join(columns[:8]) + ("…" if len(columns) > 8 else "")
    message = (
        f"Fichier non reconnu : {filename}. Ses colonnes ({shown}) ne correspondent à aucun jeu de "
        "données du catalogue (INSEE recensement, FiLoSoFi, Dossier complet, Comparateur, CAF, COG…)."
    )
    if near:
        near.sort(key=lambda n: -n[0])
        _, dataset, missing, code_column, vintage = near[0]
        reasons = []
        if not code_column:
            reasons.append("pas de colonne de code géographique (CODGEO…)")
        if missing:
            reasons.append("colonnes attendues absentes : " + ", ".join(missing[:5]))
        if vintage is None and not missing and code_column:
            reasons.append("millésime introuvable (ni dans les colonnes ni dans le nom du fichier)")
        message += f" Le plus proche est « {dataset} » : " + " ; ".join(reasons) + "."
    message += (
        " Seuls les fichiers officiels (ou des extraits qui gardent leurs colonnes) sont acceptés ; "
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


_EPCI_WORDS = re.compile(r"\b(CC|CA|CU|Métropole|Metropole|Communauté|Communaute|Eurométropole|EPT|Établissement|SAN)\b", re.IGNORECASE)


def _looks_like_epci(labels: pd.Series) -> bool:
    sample = labels.dropna().astype(str).head(200)
    return bool(len(sample)) and sample.str.contains(_EPCI_WORDS).mean() > 0.5


def recognize_file(path: str | Path, signatures: dict[str, dict]) -> Recognition:
    """Recognise a file on disk from its header (cheap: the body is not read)."""
    path = Path(path)
    try:
        header = read_header(path)
    except Exception as error:
        raise UnrecognizedFileError(f"Fichier illisible : {path} ({error}).") from error
    return recognize_columns(header, path.name, signatures)
