"""Which geography a file is in, told by its commune codes.

Why: INSEE publishes each base in the geography of a stated year (FiLoSoFi 2016
still holds communes merged on 1 January 2019; RP 2017 IRIS bases too), and a
file re-exported by a third party rarely says which. Guessing "the latest year
where most codes exist" drops the merged communes' codes. Here the year is the
one whose commune list the file's codes fit best, with the evidence kept so a
report can show it:

- candidate years: every year (1999 to the latest reference) in which all the
  file's commune codes exist; when none, the years with the largest share;
- years that differ only outside the file's départements are the same answer
  (a file of the Côte-d'Or fits 2017 and 2018 alike when nothing changed there);
- among the remaining answers, the one whose commune list of the file's
  départements is closest to the file's codes (Jaccard index) wins: a file in
  the 2019 geography lacks the codes that vanished on 1 January 2019;
- when two answers tie, the fit is ``ambiguous`` and the communes whose
  territory differs between them are named, so their values can be left out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

from abs_lib.territories import reference


def _departement(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


@lru_cache(maxsize=None)
def commune_codes(year: int) -> frozenset[str]:
    """Commune codes of geography ``year``, from 1999 to the latest reference year.

    Reference years come from the committed files; earlier years are rebuilt
    backwards from the oldest reference year with the commune history (each
    year's changes undone: new codes removed, old codes restored).
    """
    years = reference.available_years()
    year = int(year)
    if year in years:
        return reference.commune_codes_by_year()[year]
    first = years[0]
    oldest = int(reference.table("changes")["year"].min()) - 1
    if year < oldest or year > years[-1]:
        raise ValueError(f"geography {year} outside {oldest}..{years[-1]}")
    if year > first:  # a gap between reference years (none today)
        raise ValueError(f"no commune list for geography {year}")
    codes = set(commune_codes(year + 1))
    changes = reference.table("changes")
    step = changes[changes["year"] == year + 1]
    codes -= set(step["new_code"])
    codes |= set(step["old_code"])
    return frozenset(codes)


@lru_cache(maxsize=None)
def _by_departement(year: int) -> dict[str, frozenset[str]]:
    """Commune codes of geography ``year`` by département.

    Grouped once for the latest year; an earlier year is the next one with only the
    départements whose list changed redone (a few per year instead of 35,000 codes).
    """
    year = int(year)
    latest = reference.available_years()[-1]
    if year >= latest:
        groups: dict[str, set[str]] = {}
        for code in commune_codes(year):
            groups.setdefault(_departement(code), set()).add(code)
        return {dep: frozenset(codes) for dep, codes in groups.items()}
    after = _by_departement(year + 1)
    now, then = commune_codes(year), commune_codes(year + 1)
    gone, new = then - now, now - then
    out = dict(after)
    for dep in {_departement(c) for c in gone | new}:
        codes = (after.get(dep, frozenset()) - gone) | {c for c in new if _departement(c) == dep}
        if codes:
            out[dep] = frozenset(codes)
        else:
            out.pop(dep, None)
    return out


@lru_cache(maxsize=1)
def _ever_known() -> frozenset[str]:
    return frozenset().union(*(commune_codes(y) for y in geography_years()))


def geography_years() -> list[int]:
    """Every geography year a file can be placed in."""
    years = reference.available_years()
    oldest = int(reference.table("changes")["year"].min()) - 1
    return list(range(oldest, years[-1] + 1))


@dataclass(frozen=True)
class GeographyFit:
    """Where a file's commune codes fit, and why (stored in the manifest, shown in reports).

    year: the chosen geography; candidates: every year the file fits as well
    (same answer for its départements); matched/total: codes found in ``year``;
    unknown: codes that are communes of no year considered; ambiguous_with: a
    different, equally good answer (then ``uncertain`` lists the communes whose
    territory differs between the two).
    """

    year: int
    candidates: tuple[int, ...]
    matched: int
    total: int
    jaccard: float
    unknown: tuple[str, ...] = ()
    ambiguous_with: int | None = None
    uncertain: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        data = asdict(self)
        data["candidates"] = list(self.candidates)
        data["unknown"] = list(self.unknown)
        data["uncertain"] = list(self.uncertain)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "GeographyFit":
        return cls(
            year=int(data["year"]), candidates=tuple(int(y) for y in data["candidates"]),
            matched=int(data["matched"]), total=int(data["total"]), jaccard=float(data["jaccard"]),
            unknown=tuple(data.get("unknown", ())), ambiguous_with=data.get("ambiguous_with"),
            uncertain=tuple(data.get("uncertain", ())),
        )

    def sentence(self) -> str:
        """French account of the evidence, for notes and ``abs data list``."""
        span = self.candidates
        years = f"{span[0]}" if len(span) == 1 else f"{span[0]} à {span[-1]}"
        text = (f"géographie {self.year} déduite des codes communes ({self.matched} sur {self.total} "
                f"reconnus ; liste identique pour ses départements de {years})")
        if self.unknown:
            shown = ", ".join(self.unknown[:10]) + (" …" if len(self.unknown) > 10 else "")
            text += f" ; codes qui ne sont des communes d'aucune géographie connue : {shown}"
        if self.ambiguous_with is not None:
            text += (f" ; la géographie {self.ambiguous_with} convient aussi bien : valeurs laissées vides pour "
                     + ", ".join(self.uncertain))
        return text


def fit_geography(codes) -> GeographyFit | None:
    """The geography year whose commune list ``codes`` fits best (None without codes)."""
    codes = {str(c) for c in codes if isinstance(c, str) and c}
    if not codes:
        return None
    departements = {_departement(c) for c in codes}
    scored = []
    for year in geography_years():
        parts = _by_departement(year)
        own = frozenset().union(*(parts.get(d, frozenset()) for d in departements))
        matched = len(codes & own)
        scored.append((year, matched, own))
    best_matched = max(m for _, m, _ in scored)
    fitting = [(y, own) for y, m, own in scored if m == best_matched]
    answers: dict[frozenset, list[int]] = {}
    for year, own in fitting:
        answers.setdefault(own, []).append(year)
    ranked = sorted(answers.items(), key=lambda kv: (_jaccard(codes, kv[0]), kv[1][-1]), reverse=True)
    own, years = ranked[0]
    year = years[-1]
    jac = _jaccard(codes, own)
    ambiguous_with, uncertain = None, ()
    if len(ranked) > 1 and _jaccard(codes, ranked[1][0]) == jac:
        other_own, other_years = ranked[1]
        ambiguous_with = other_years[-1]
        uncertain = tuple(sorted(_touched(own, other_own, min(year, ambiguous_with), max(year, ambiguous_with))))
    return GeographyFit(
        year=year, candidates=tuple(years), matched=best_matched, total=len(codes), jaccard=round(jac, 6),
        unknown=tuple(sorted(codes - _ever_known())), ambiguous_with=ambiguous_with, uncertain=uncertain,
    )


def _jaccard(codes: set[str], own: frozenset[str]) -> float:
    union = len(codes | own)
    return len(codes & own) / union if union else 0.0


def _touched(a: frozenset, b: frozenset, start: int, end: int) -> set[str]:
    """Codes of either answer whose territory changes between the two years."""
    changes = reference.table("changes")
    step = changes[(changes["year"] > start) & (changes["year"] <= end)]
    involved = set(step["old_code"]) | set(step["new_code"])
    return (involved & (a | b)) | (a ^ b)
