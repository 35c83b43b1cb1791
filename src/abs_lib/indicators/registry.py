"""Load and validate the indicator registry (registry.yaml): indicators are data, not code.

The YAML file lists datasets, units, themes and indicators; this module turns it into frozen
dataclasses and refuses, with a French message, anything the engine could misread (unknown
dataset, unit or theme, a ratio without denominator, a caution that does not match the
variables…). Nothing here computes a statistic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from abs_lib.errors import IndicatorError

#: libyaml's safe loader when built (5x faster on the packaged YAML files), else the pure-Python one.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KINDS = ("count", "ratio", "level", "growth")
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_VAR_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_REQUIRED = ("id", "label", "definition", "theme", "kind", "numerator", "unit", "source",
             "since", "higher_is_need", "caution", "confirmed")


#: Prefixes of census counts: INSEE's P_ (exploitation principale) and C_ (complémentaire),
#: and RP_, the aggregates abs computes itself from census detail files (FD_LOGEMT, see
#: abs_lib/sources/fd_logement.py). All are weighted census counts: small-count caution
#: and INSEE's 5-year comparison rule apply to them alike.
CENSUS_PREFIXES = ("P_", "C_", "RP_")


def is_census_variable(variable: str) -> bool:
    """Census variables are prefixed P_, C_ (INSEE bases) or RP_ (abs aggregates of detail files)."""
    return variable.startswith(CENSUS_PREFIXES)


def is_complementary_variable(variable: str) -> bool:
    """Exploitation complémentaire variables: INSEE advises against them below 2,000 inhabitants."""
    return variable.startswith("C_")


@dataclass(frozen=True)
class Alternative:
    """One way to get a term: the first listed dataset that has all ``variables`` and
    ``minus``; the ``variables`` are summed and the ``minus`` ones subtracted
    (natural balance = NAISD - DECESD)."""

    datasets: tuple[str, ...]
    variables: tuple[str, ...]
    minus: tuple[str, ...] = ()

    @property
    def needed(self) -> tuple[str, ...]:
        """Every column the alternative reads."""
        return self.variables + self.minus


@dataclass(frozen=True)
class Term:
    """A numerator or denominator: alternatives tried in order (e.g. Q2 in DISP, else MED)."""

    alternatives: tuple[Alternative, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for alt in self.alternatives:
            seen.update(dict.fromkeys(alt.needed))
        return tuple(seen)

    @property
    def is_census(self) -> bool:
        return any(is_census_variable(v) for v in self.variables)


@dataclass(frozen=True)
class Unit:
    name: str
    scale: float | None
    decimals: int
    suffix: str


@dataclass(frozen=True)
class Dataset:
    id: str
    label: str
    producer: str
    additive: bool
    since: int | None
    since_confirmed: bool


@dataclass(frozen=True)
class Indicator:
    """One registry entry; see docs/indicators.md for the meaning of each field."""

    id: str
    label: str
    definition: str
    theme: str
    kind: str
    numerator: Term
    denominator: Term | None
    unit: str
    source: str
    since: int | None
    higher_is_need: bool | None
    small_counts: bool
    complementary: bool
    confirmed: bool
    num_label: str | None = None
    den_label: str | None = None
    phrase: str | None = None
    notes: str | None = None

    @property
    def terms(self) -> tuple[Term, ...]:
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)

    @property
    def variables(self) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for term in self.terms:
            out.update(dict.fromkeys(term.variables))
        return tuple(out)

    @property
    def is_census(self) -> bool:
        """True when any input is a census variable: INSEE's comparison rule then applies."""
        return any(t.is_census for t in self.terms)


@dataclass(frozen=True)
class Registry:
    """The validated registry: look indicators up by id, iterate them in file order."""

    indicators: tuple[Indicator, ...]
    datasets: Mapping[str, Dataset]
    units: Mapping[str, Unit]
    themes: Mapping[str, str]
    population: Term
    min_count: float
    complementary_min_population: float
    path: str = ""
    _by_id: Mapping[str, Indicator] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_by_id", {ind.id: ind for ind in self.indicators})

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def __contains__(self, indicator_id: object) -> bool:
        return indicator_id in self._by_id

    def __getitem__(self, indicator_id: str) -> Indicator:
        try:
            return self._by_id[indicator_id]
        except KeyError:
            raise IndicatorError(
                f"Indicateur inconnu : « {indicator_id} ». Les identifiants valides sont listés "
                "dans abs_lib/indicators/registry.yaml (ex. : part_75_plus, taux_pauvrete)."
            ) from None

    def select(self, ids=None) -> tuple[Indicator, ...]:
        """Indicators in registry order, restricted to ``ids`` when given."""
        if ids is None:
            return self.indicators
        wanted = list(ids)
        for i in wanted:
            self[i]  # raises a French error on unknown ids
        keep = set(wanted)
        return tuple(ind for ind in self.indicators if ind.id in keep)

    def by_theme(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {t: [] for t in self.themes}
        for ind in self.indicators:
            out[ind.theme].append(ind.id)
        return out


def default_registry_path() -> Path:
    return Path(str(resources.files("abs_lib.indicators") / "registry.yaml"))


@lru_cache(maxsize=8)
def _load_cached(path: str) -> Registry:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise IndicatorError(f"Registre des indicateurs illisible : {path} ({error}).") from None
    try:
        raw = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - the C SafeLoader
    except yaml.YAMLError as error:
        raise IndicatorError(
            f"Registre des indicateurs invalide (YAML) : {path}. Détail : {error}"
        ) from None
    return parse_registry(raw, path=path)


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate the registry (the packaged registry.yaml by default); cached."""
    return _load_cached(str(Path(path) if path else default_registry_path()))


# --------------------------------------------------------------------------- validation


def _fail(where: str, message: str) -> IndicatorError:
    return IndicatorError(f"Registre des indicateurs, {where} : {message}")


def _term(raw: Any, where: str, datasets: Mapping[str, Dataset]) -> Term:
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise _fail(where, "il faut une liste non vide d'alternatives {datasets: [...], variables: [...]}.")
    alts = []
    for n, alt in enumerate(raw, 1):
        if not isinstance(alt, Mapping) or not {"datasets", "variables"} <= set(alt) <= {"datasets", "variables", "minus"}:
            raise _fail(where, f"l'alternative n°{n} doit avoir les clés datasets et variables (et, au "
                               "besoin, minus pour les variables à soustraire), et aucune autre.")
        ds = alt["datasets"] if isinstance(alt["datasets"], list) else [alt["datasets"]]
        vs = alt["variables"] if isinstance(alt["variables"], list) else [alt["variables"]]
        minus = alt.get("minus", [])
        minus = minus if isinstance(minus, list) else [minus]
        if not ds or not vs or ("minus" in alt and not minus):
            raise _fail(where, f"l'alternative n°{n} a une liste vide.")
        for d in ds:
            if d not in datasets:
                raise _fail(where, f"jeu de données inconnu « {d} » (à déclarer sous datasets:).")
        for v in vs + minus:
            if not isinstance(v, str) or not _VAR_RE.match(v):
                raise _fail(where, f"nom de variable invalide : {v!r}.")
            if re.search(r"^[PC]\d\d_", v):
                raise _fail(where, f"{v} porte un millésime ; utilisez le nom sans millésime (ex. P_POP).")
        if set(vs) & set(minus) or len(set(vs)) != len(vs) or len(set(minus)) != len(minus):
            raise _fail(where, f"l'alternative n°{n} nomme deux fois la même variable.")
        alts.append(Alternative(tuple(ds), tuple(vs), tuple(minus)))
    return Term(tuple(alts))


def parse_registry(raw: Any, *, path: str = "") -> Registry:
    """Validate the parsed YAML mapping and build a Registry (French errors on any problem)."""
    if not isinstance(raw, Mapping):
        raise _fail("racine", "le fichier doit être un dictionnaire YAML.")
    for key in ("themes", "units", "datasets", "indicators", "caution", "population"):
        if key not in raw:
            raise _fail("racine", f"clé « {key} » absente.")
    themes = dict(raw["themes"])
    units = {}
    for name, spec in raw["units"].items():
        if not {"scale", "decimals", "suffix"} <= set(spec):
            raise _fail(f"unité « {name} »", "scale, decimals et suffix sont obligatoires.")
        units[name] = Unit(name, None if spec["scale"] is None else float(spec["scale"]),
                           int(spec["decimals"]), str(spec["suffix"]))
    datasets = {}
    for did, spec in raw["datasets"].items():
        for key in ("label", "producer", "additive", "since", "since_confirmed"):
            if key not in spec:
                raise _fail(f"jeu de données « {did} »", f"clé « {key} » absente.")
        datasets[did] = Dataset(did, spec["label"], spec["producer"], bool(spec["additive"]),
                                spec["since"], bool(spec["since_confirmed"]))
    caution = raw["caution"]
    population = _term(raw["population"], "population", datasets)

    indicators = []
    seen = set()
    for n, entry in enumerate(raw["indicators"], 1):
        iid = entry.get("id") if isinstance(entry, Mapping) else None
        where = f"indicateur « {iid or n} »"
        if not isinstance(entry, Mapping):
            raise _fail(where, "chaque indicateur est un dictionnaire.")
        missing = [k for k in _REQUIRED if k not in entry]
        if missing:
            raise _fail(where, "champ(s) obligatoire(s) absent(s) : " + ", ".join(missing) + ".")
        if not _ID_RE.match(str(iid)):
            raise _fail(where, "l'identifiant doit être en minuscules, chiffres et _ (ex. part_75_plus).")
        if iid in seen:
            raise _fail(where, "identifiant en double.")
        seen.add(iid)
        kind = entry["kind"]
        if kind not in KINDS:
            raise _fail(where, f"kind doit être l'un de {', '.join(KINDS)} (et non {kind!r}).")
        if entry["theme"] not in themes:
            raise _fail(where, f"thème inconnu « {entry['theme']} » (thèmes : {', '.join(themes)}).")
        if entry["unit"] not in units:
            raise _fail(where, f"unité inconnue « {entry['unit']} » (unités : {', '.join(units)}).")
        if entry["source"] not in datasets:
            raise _fail(where, f"source inconnue « {entry['source']} ».")
        if entry["higher_is_need"] not in (True, False, None):
            raise _fail(where, "higher_is_need doit valoir true, false ou null.")
        numerator = _term(entry["numerator"], where + ", numérateur", datasets)
        denominator = None
        if kind == "ratio":
            if "denominator" not in entry:
                raise _fail(where, "un rapport (kind: ratio) exige un dénominateur.")
            denominator = _term(entry["denominator"], where + ", dénominateur", datasets)
            if units[entry["unit"]].scale is None:
                raise _fail(where, f"l'unité « {entry['unit']} » n'a pas d'échelle pour un rapport.")
        elif "denominator" in entry:
            raise _fail(where, f"un indicateur de type {kind} n'a pas de dénominateur.")
        terms = [t for t in (numerator, denominator) if t is not None]
        used = {d for t in terms for a in t.alternatives for d in a.datasets}
        if kind == "level" and any(is_census_variable(v) for t in terms for v in t.variables):
            raise _fail(where, "une valeur lue par niveau (kind: level) ne porte pas sur des comptages "
                               "du recensement (P_/C_/RP_) : utilisez count ou ratio.")
        if kind != "level":
            bad = sorted(d for d in used if not datasets[d].additive)
            if bad:
                raise _fail(where, f"les jeux de données {', '.join(bad)} ne sont pas additifs : "
                                   "utilisez kind: level pour une valeur lue à chaque niveau.")
        cau = entry["caution"]
        if not isinstance(cau, Mapping) or set(cau) != {"small_counts", "complementary"}:
            raise _fail(where, "caution doit être {small_counts: true|false, complementary: true|false}.")
        census = any(t.is_census for t in terms)
        compl = any(is_complementary_variable(v) for t in terms for v in t.variables)
        if bool(cau["small_counts"]) != census:
            raise _fail(where, f"caution.small_counts doit valoir {str(census).lower()} "
                               "(vrai si et seulement si une variable du recensement P_/C_/RP_ est utilisée).")
        if bool(cau["complementary"]) != compl:
            raise _fail(where, f"caution.complementary doit valoir {str(compl).lower()} "
                               "(vrai si et seulement si une variable C_ est utilisée).")
        phrase = entry.get("phrase")
        if phrase is not None and "{refs}" not in phrase:
            raise _fail(where, "la phrase doit contenir {refs}.")
        if kind == "ratio" and phrase is None and not (entry.get("num_label") and entry.get("den_label")):
            raise _fail(where, "un rapport sans phrase exige num_label et den_label.")
        indicators.append(Indicator(
            id=iid, label=str(entry["label"]), definition=" ".join(str(entry["definition"]).split()),
            theme=entry["theme"], kind=kind, numerator=numerator, denominator=denominator,
            unit=entry["unit"], source=entry["source"], since=entry["since"],
            higher_is_need=entry["higher_is_need"], small_counts=bool(cau["small_counts"]),
            complementary=bool(cau["complementary"]), confirmed=bool(entry["confirmed"]),
            num_label=entry.get("num_label"), den_label=entry.get("den_label"), phrase=phrase,
            notes=" ".join(str(entry["notes"]).split()) if entry.get("notes") else None,
        ))
    return Registry(
        indicators=tuple(indicators), datasets=datasets, units=units, themes=themes,
        population=population, min_count=float(caution["min_count"]),
        complementary_min_population=float(caution["complementary_min_population"]), path=path,
    )
