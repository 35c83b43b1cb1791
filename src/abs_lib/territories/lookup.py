"""Find a territory by code or by name, with suggestions when nothing matches.

Names are compared on keys (see :mod:`abs_lib.territories.names`): an exact
full-name match wins, then an exact match without EPCI legal-form words and
articles. Several equal matches (homonymous communes) raise
:class:`AmbiguousTerritoryError`; none raises :class:`TerritoryNotFoundError`
with the closest names (``difflib``).
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass

from abs_lib.errors import AmbiguousTerritoryError, TerritoryNotFoundError, echo
from abs_lib.territories.codes import FRANCE_CODE, LEVEL_LABELS, METROPOLE_CODE, parse_code
from abs_lib.territories.names import core_key, name_key, names_an_epci
from abs_lib.territories.territory import Territory

_LEVEL_ORDER = {"epci": 0, "commune": 1, "departement": 2, "region": 3, "metropole": 4, "france": 5}
# "Sainte-Colombe (21)": a département code in brackets narrows homonymous communes.
_DEP_SUFFIX = re.compile(r"^(.*\S)\s*\(\s*(\d{2,3}|2[AB])\s*\)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Entry:
    level: str
    code: str
    name: str
    key: str
    core: str
    departement: str | None  # communes only
    words: tuple[str, ...]  # words of the core key


class NameIndex:
    """All names of a geography with their keys (built once per geography)."""

    def __init__(self, geography):
        entries = []
        communes = geography.communes
        for code, name, dep in zip(
            communes.index.tolist(), communes["name"].tolist(), communes["departement"].tolist()
        ):
            entries.append(("commune", code, name, dep))
        for level, table in (
            ("epci", geography.epci),
            ("departement", geography.departements),
            ("region", geography.regions),
        ):
            entries += [
                (level, code, name, None)
                for code, name in zip(table.index.tolist(), table["name"].tolist())
            ]
        entries += [
            ("metropole", METROPOLE_CODE, "France métropolitaine", None),
            ("france", FRANCE_CODE, "France", None),
            ("france", FRANCE_CODE, "France entière", None),
        ]
        self.entries: list[_Entry] = []
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_core: dict[str, list[int]] = defaultdict(list)
        for level, code, name, dep in entries:
            key = name_key(name)
            core = core_key(key)
            self.by_key[key].append(len(self.entries))
            if core:
                self.by_core[core].append(len(self.entries))
            self.entries.append(_Entry(level, code, str(name), key, core, dep, tuple(core.split())))
        self._keys_of: dict[str | None, tuple[list[str], list[str]]] = {}
        self.by_word: dict[str, set[int]] = defaultdict(set)
        for i, entry in enumerate(self.entries):
            for word in entry.words:
                self.by_word[word].add(i)
        self.vocabulary = list(self.by_word)

    def keys_of(self, level: str | None) -> tuple[list[str], list[str]]:
        """Distinct full keys and core keys of one level (all levels for None)."""
        if level not in self._keys_of:
            chosen = [e for e in self.entries if level is None or e.level == level]
            self._keys_of[level] = (
                list(dict.fromkeys(e.key for e in chosen)),
                list(dict.fromkeys(e.core for e in chosen if e.core)),
            )
        return self._keys_of[level]


def _territories(geography, indices, level) -> list[Territory]:
    """Distinct territories for entry indices, optionally of one level."""
    seen, out = set(), []
    for i in indices:
        entry = geography.name_index.entries[i]
        if level and entry.level != level:
            continue
        if (entry.level, entry.code) in seen:
            continue
        seen.add((entry.level, entry.code))
        out.append(geography.territory(entry.code, level=entry.level))
    return out


def find(geography, query, level: str | None = None) -> Territory:
    """A territory by code (any syntax of :func:`normalize_code`) or by name."""
    parsed = parse_code(query, level)
    if parsed is not None:
        return geography.territory(parsed[1], level=parsed[0])
    text = str(query).strip()
    departement = None
    match = _DEP_SUFFIX.match(text)
    if match and match.group(2).upper().zfill(2) in geography.departements.index:
        text, departement = match.group(1), match.group(2).upper().zfill(2)
    key = name_key(text)
    index = geography.name_index
    candidates: list[Territory] = []
    for tier in (index.by_key.get(key, []), index.by_core.get(core_key(key), []) if key else []):
        candidates = _territories(geography, tier, level)
        if level is None and names_an_epci(key) and any(t.level == "epci" for t in candidates):
            candidates = [t for t in candidates if t.level == "epci"]
        if departement:
            candidates = [t for t in candidates if departement in t.departements]
        if candidates:
            break
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise ambiguous(query, candidates, geography.year)
    suggestions = [
        t.label for t in search(geography, text, level, limit=5, departement=departement)
    ]
    raise TerritoryNotFoundError(query, suggestions)


def ambiguous(query, candidates: list[Territory], year: int) -> AmbiguousTerritoryError:
    """The error for several equal matches, listing them with codes and départements."""
    candidates = sorted(candidates, key=lambda t: (_LEVEL_ORDER[t.level], t.code))
    labels = [t.label for t in candidates]
    hint = ""
    communes = [t for t in candidates if t.level == "commune"]
    if len(communes) > 1:
        hint = (
            f" ou le département entre parenthèses, p. ex. « {communes[0].name} "
            f"({communes[0].departements[0]}) »"
        )
    error = AmbiguousTerritoryError(
        f"Plusieurs territoires correspondent à « {echo(query)} » (géographie {year}) : "
        + " ; ".join(labels)
        + f". Précisez le code INSEE (ou le niveau : commune, epci, departement, region){hint}."
    )
    error.query = query
    error.candidates = labels
    error.territories = candidates
    return error


LONGEST_QUERY = 200
"""Longer texts match no territory (the longest name has about 60 characters): searched for nothing."""


def search(
    geography, text, level: str | None = None, limit: int = 10, departement: str | None = None
) -> list[Territory]:
    """Territories whose names are closest to ``text``, best first.

    ``departement`` ranks the communes of that département first among equals.
    """
    key = name_key(text)
    if not key or len(key) > LONGEST_QUERY:  # no name is that long: not worth seconds of fuzzy matching
        return []
    core = core_key(key) or key
    index = geography.name_index
    scores: dict[int, float] = {}

    def score(indices, value):
        for i in indices:
            if value > scores.get(i, 0.0):
                scores[i] = value

    score(index.by_key.get(key, []), 1.0)
    score(index.by_core.get(core, []), 0.98)
    # Word by word: each query word starts a word of the name, or is close to one (typos).
    words = core.split()
    matched: set[int] | None = None
    best: dict[tuple[int, str], float] = {}
    for word in words:
        hits: set[int] = set()
        close = {w: 1.0 for w in index.vocabulary if w.startswith(word)}
        for other in difflib.get_close_matches(word, index.vocabulary, n=10, cutoff=0.8):
            close.setdefault(other, difflib.SequenceMatcher(None, word, other).ratio())
        for other, ratio in close.items():
            for i in index.by_word[other]:
                hits.add(i)
                best[(i, word)] = max(best.get((i, word), 0.0), ratio)
        matched = hits if matched is None else matched & hits
    for i in matched or ():
        mean = sum(best[(i, w)] for w in words) / len(words)
        coverage = len(core) / max(len(index.entries[i].core), 1)
        score([i], (0.85 + 0.1 * min(coverage, 1.0)) * mean)
    # Whole name with typos (missing spaces, letters swapped across words).
    keys, _ = index.keys_of(level)
    for close in difflib.get_close_matches(key, keys, n=limit * 2, cutoff=0.6):
        score(index.by_key[close], 0.9 * difflib.SequenceMatcher(None, key, close).ratio())
    if departement:
        for i in scores:
            if index.entries[i].departement == departement:
                scores[i] += 0.2
    ranked = sorted(
        scores,
        key=lambda i: (-scores[i], _LEVEL_ORDER[index.entries[i].level], index.entries[i].code),
    )
    chosen, seen = [], set()
    for i in ranked:
        entry = index.entries[i]
        if (level and entry.level != level) or (entry.level, entry.code) in seen:
            continue
        seen.add((entry.level, entry.code))
        chosen.append(i)
        if len(chosen) == limit:
            break
    return _territories(geography, chosen, None)


def code_not_found(geography, code: str, level: str) -> TerritoryNotFoundError:
    """The error for an unknown code, suggesting what became of it when known."""
    suggestions: list[str] = []
    if level == "commune" and code in geography.arrondissements.index:
        parent = geography.arrondissements.at[code, "commune"]
        if parent in geography.communes.index:
            name = geography.arrondissements.at[code, "name"]
            suggestions.append(
                f"{geography.territory(parent, 'commune').label} — {code} ({name}) "
                "est un arrondissement municipal, pas une commune"
            )
    elif level == "commune" and not geography.fictional:
        from abs_lib.territories.history import follow_code

        for new_code in sorted(follow_code(code, geography.year)):
            if new_code in geography.communes.index and new_code != code:
                suggestions.append(
                    geography.territory(new_code, "commune").label
                    + f" — ancienne commune {code} fusionnée ou renumérotée"
                )
    elif level == "epci" and not geography.fictional:
        from abs_lib.territories import reference

        other = reference.table("epci")
        other = other[other["code"] == code]
        for year, name in zip(other["year"], other["name"]):
            suggestions.append(f"{name} (EPCI {code}, géographie {year})")
        suggestions = suggestions[-2:]
    return TerritoryNotFoundError(
        f"{code} ({LEVEL_LABELS[level]}, géographie {geography.year})", suggestions
    )
