"""Plan the official files a study needs for one territory: datasets, vintages, levels.

``abs data fetch --pour TERRITOIRE`` asks: which files must be in the store
before ``abs report`` can run the diagnostic (or the actualisation) of this
territory and of its references (département, région, France)? The answer is
a :class:`FetchPlan`, one :class:`PlannedFile` per (dataset, vintage, level):

- datasets: every dataset the indicator registry reads (any alternative of any
  term, and the population used for cautions); the analyst's own files
  (producer ``local``) are not downloadable and are only mentioned;
- vintages: the latest of the catalog; for the actualisation also, per dataset,
  the latest vintage not after the baseline year (``since``);
- levels: commune and IRIS files are national and cover every commune (counts
  are summed); values never recomputed (FiLoSoFi medians, CAF rates) are read
  at the territory's own level and at each reference level, so their EPCI,
  département, région and France métropolitaine files are needed too;
- status: already in the store, fetchable (URL known and confirmed, format
  ``abs data fetch`` can open), or unavailable with the French reason and the
  official page to download it by hand.

Everything here is pure: the catalog, the registry, the territory and what the
store holds are given; nothing is read from the network or written anywhere.
:mod:`abs_lib.sources.acquire` carries the plan out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from abs_lib.errors import AbsError
from abs_lib.sources.catalog import Catalog, Dataset, FileSpec, Vintage

STUDIES = ("diagnostic", "actualisation")

#: Statuses of a planned file (the CLI prints them in French).
PRESENT = "present"          # déjà là
FETCHABLE = "fetchable"      # à télécharger
UNAVAILABLE = "unavailable"  # indisponible (pas d'adresse, non confirmée, format…)
OBTAINED = "obtained"        # obtenu (après exécution)
FAILED = "failed"            # téléchargement tenté et échoué (après exécution)
STATUSES = (PRESENT, FETCHABLE, UNAVAILABLE, OBTAINED, FAILED)

#: Levels whose files cover every commune: their counts are summed to any territory.
COMMUNE_LEVELS = ("iris", "commune")

LEVEL_WORDS = {"iris": "IRIS", "commune": "commune", "epci": "EPCI", "departement": "département",
               "region": "région", "metropole": "France métropolitaine", "france": "France"}


@dataclass(frozen=True)
class PlanTerritory:
    """The territory of the study and its references, as the plan needs them."""

    level: str
    code: str
    label: str                                   # "CC de la Plaine Dijonnaise (EPCI 200000925)"
    n_communes: int
    references: tuple[tuple[str, str, str], ...]  # (level, code, name), nearest first

    @property
    def levels(self) -> tuple[str, ...]:
        """Levels at which a value is shown: IRIS and communes, the territory, its references."""
        wanted = ["iris", "commune", self.level, *(level for level, _, _ in self.references)]
        return tuple(dict.fromkeys(wanted))


@dataclass(frozen=True)
class PlannedFile:
    """One table the study needs: (dataset, vintage, level, url, why, status)."""

    dataset: str
    vintage: int | None            # None: no vintage of the catalog fits (see ``reason``)
    level: str | None              # None: the dataset is not in the catalog
    url: str | None                # download address (None: none known)
    why: str                       # why the study needs it (French)
    status: str
    page_url: str | None = None    # official page, to download by hand
    reason: str | None = None      # why it is unavailable, or what went wrong (French)
    rows: int | None = None        # rows stored, once obtained

    @property
    def key(self) -> tuple[str, int | None, str | None]:
        return (self.dataset, self.vintage, self.level)

    @property
    def name(self) -> str:
        """How messages name it: "filosofi-disp 2021, niveau EPCI"."""
        text = self.dataset
        if self.vintage is not None:
            text += f" {self.vintage}"
        if self.level is not None:
            text += f", niveau {LEVEL_WORDS.get(self.level, self.level)}"
        return text


@dataclass(frozen=True)
class FetchPlan:
    """Every file a study needs for a territory, with what to do about each."""

    territory: PlanTerritory
    study: str
    since: int | None
    files: tuple[PlannedFile, ...]
    notes: tuple[str, ...] = ()

    def having(self, *statuses: str) -> list[PlannedFile]:
        return [f for f in self.files if f.status in statuses]

    @property
    def to_download(self) -> list[PlannedFile]:
        return self.having(FETCHABLE)

    def downloads(self) -> dict[str, list[PlannedFile]]:
        """Files to download grouped by address: one national archive is fetched once."""
        out: dict[str, list[PlannedFile]] = {}
        for f in self.to_download:
            out.setdefault(f.url, []).append(f)
        return out

    def describe_study(self) -> str:
        """"le diagnostic de …" / "l'actualisation (depuis 2016) de …"."""
        if self.study == "actualisation":
            return f"l'actualisation depuis {self.since} de {self.territory.label}"
        return f"le diagnostic de {self.territory.label}"

    def updated(self, changes: dict[tuple, PlannedFile]) -> "FetchPlan":
        """The same plan with some files replaced (after a download), order kept."""
        return replace(self, files=tuple(changes.get(f.key, f) for f in self.files))


# ------------------------------------------------------------------ registry
def datasets_used(registry) -> dict[str, list[str]]:
    """Dataset id -> ids of the indicators that read it, in registry order.

    Every alternative counts: the first one whose dataset is imported is used,
    so each is worth having. The population term (caution below 2,000
    inhabitants) counts as the pseudo-indicator "population de la zone".
    """
    used: dict[str, list[str]] = {d: [] for d in registry.datasets}
    for indicator in registry:
        for term in indicator.terms:
            for alternative in term.alternatives:
                for dataset in alternative.datasets:
                    ids = used.setdefault(dataset, [])
                    if indicator.id not in ids:
                        ids.append(indicator.id)
        ids = used.setdefault(indicator.source, [])
        if indicator.id not in ids:
            ids.append(indicator.id)
    population = {d for alt in registry.population.alternatives for d in alt.datasets}
    for dataset in population:
        used.setdefault(dataset, [])
    return {d: ids for d, ids in used.items() if ids or d in population}


# ------------------------------------------------------------------ vintages
def baseline_vintage(dataset: Dataset, since: int) -> Vintage | None:
    """The latest vintage of ``dataset`` that is not after ``since`` (None if all are later)."""
    earlier = [v for v in dataset.vintages if v.vintage <= since]
    return earlier[-1] if earlier else None


def _roles(dataset: Dataset, study: str, since: int | None) -> tuple[dict[int, list[str]], str | None]:
    """Vintage -> why it is wanted; and a French reason when no baseline vintage fits."""
    latest = dataset.latest()
    roles: dict[int, list[str]] = {latest.vintage: ["dernier millésime au catalogue"]}
    missing = None
    if study == "actualisation":
        base = baseline_vintage(dataset, since)
        if base is None:
            years = ", ".join(str(y) for y in dataset.vintage_years)
            missing = (f"aucun millésime en {since} ou avant au catalogue (millésimes : {years}) : "
                       "le point de départ de l'actualisation viendra d'un autre jeu ou d'un fichier importé")
        else:
            roles.setdefault(base.vintage, []).append(f"point de départ de l'actualisation (le plus proche de {since} "
                                                      "sans le dépasser)")
    return dict(sorted(roles.items())), missing


# ------------------------------------------------------------------ levels
def _level_scope(level: str, place: PlanTerritory, additive: bool) -> str:
    """What a file at ``level`` brings to the study, in French."""
    if level in COMMUNE_LEVELS:
        unit = "base IRIS nationale" if level == "iris" else "base communale nationale"
        if additive:
            return f"{unit}, sommée sur les communes du territoire et de ses références"
        return f"{unit} : valeurs des {place.n_communes} commune(s) du territoire"
    if level == place.level:
        return f"valeur publiée pour {place.label}"
    names = [name for lv, _, name in place.references if lv == level]
    if names:
        return f"valeur publiée pour la référence {', '.join(names)}"
    return f"niveau {LEVEL_WORDS.get(level, level)}"


def _wanted_files(edition: Vintage, place: PlanTerritory) -> list[FileSpec]:
    """Files of a vintage the study reads: commune and IRIS files (national, they cover every
    commune), and the files published at the territory's level and at its references' levels
    (a table published at a level wins over a sum of communes, and is the only source of the
    values never recomputed: medians, rates)."""
    levels = set(place.levels)
    return [spec for spec in edition.files if spec.level in levels]


# ------------------------------------------------------------------ status
def _why_not(dataset: Dataset, edition: Vintage, spec: FileSpec) -> str | None:
    """French reason why ``abs data fetch`` will not download this file, or None."""
    hint = f"`abs data fetch {dataset.id} --vintage {edition.vintage}`"
    if not spec.url:
        return "aucune adresse de téléchargement connue" + _note(spec.note)
    if not spec.confirmed:
        return (f"adresse non confirmée ({spec.url}){_note(spec.note)} ; pour l'essayer quand même : {hint}, "
                "puis vérifiez le fichier")
    from abs_lib.sources.fetch import FETCHABLE_KINDS  # fetch imports pandas, requests: not for `abs --help`

    if spec.archive == "7z" or spec.kind not in FETCHABLE_KINDS:
        return f"format que `abs data fetch` ne sait pas ouvrir (archive 7z ou cartographique : {spec.url})"
    return None


def _note(note: str | None) -> str:
    return f" : {note.rstrip('. ')}" if note else ""


def _indicators_phrase(ids: list[str]) -> str:
    if not ids:
        return "population de la zone (précautions de lecture)"
    shown = ", ".join(ids[:3]) + ("…" if len(ids) > 3 else "")
    return f"{len(ids)} indicateur(s) ({shown})"


# ------------------------------------------------------------------ the plan
def build_plan(
    place: PlanTerritory,
    *,
    catalog: Catalog,
    registry,
    study: str = "diagnostic",
    since: int | None = None,
    present: Iterable[tuple[str, int, str]] = (),
) -> FetchPlan:
    """Every (dataset, vintage, level) the study needs for ``place``, with its status.

    ``present`` lists the (dataset, vintage, level) already in the store.
    Raises an AbsError (French) for an unknown study or an actualisation without
    a baseline year.
    """
    study, since = check_study(study, since)
    have = {(d, int(v), lv) for d, v, lv in present}
    files: list[PlannedFile] = []
    notes: list[str] = []
    registry_datasets = registry.datasets
    for dataset_id, indicator_ids in datasets_used(registry).items():
        described = registry_datasets.get(dataset_id)
        producer = getattr(described, "producer", "")
        what = _indicators_phrase(indicator_ids)
        if producer == "local":
            notes.append(f"{dataset_id} : fichier de l'analyste, rien à télécharger "
                         f"({getattr(described, 'label', dataset_id)}) ; utilisé par {what}.")
            continue
        if dataset_id not in catalog.ids():
            files.append(PlannedFile(
                dataset=dataset_id, vintage=None, level=None, url=None, why=what, status=UNAVAILABLE,
                reason="jeu absent du catalogue des sources : aucun fichier officiel n'y est décrit, "
                       "ces indicateurs resteront vides sauf import d'un fichier reconnu",
            ))
            continue
        dataset = catalog.get(dataset_id)
        additive = bool(getattr(described, "additive", True))
        roles, missing = _roles(dataset, study, since)
        if missing:
            files.append(PlannedFile(
                dataset=dataset_id, vintage=None, level=None, url=None,
                why=f"{what} ; point de départ de l'actualisation",
                status=UNAVAILABLE, page_url=dataset.page_url, reason=missing,
            ))
        for year, role in roles.items():
            edition = dataset.get_vintage(year)
            wanted = _wanted_files(edition, place)
            if not wanted:
                notes.append(f"{dataset_id} {year} : publié seulement au(x) niveau(x) "
                             f"{', '.join(LEVEL_WORDS.get(lv, lv) for lv in edition.levels)}, "
                             f"sans objet pour {place.label}.")
                continue
            for spec in wanted:
                why = f"{what} ; {' et '.join(role)} ; {_level_scope(spec.level, place, additive)}"
                key = (dataset_id, year, spec.level)
                if key in have:
                    status, reason = PRESENT, None
                else:
                    reason = _why_not(dataset, edition, spec)
                    status = UNAVAILABLE if reason else FETCHABLE
                files.append(PlannedFile(
                    dataset=dataset_id, vintage=year, level=spec.level, url=spec.url, why=why,
                    status=status, page_url=edition.page_url or dataset.page_url, reason=reason,
                ))
    return FetchPlan(territory=place, study=study, since=since, files=tuple(files), notes=tuple(notes))


def check_study(study: str | None, since: int | None) -> tuple[str, int | None]:
    """Normalise (study, since): ``since`` alone means the actualisation; refuse contradictions."""
    if study is None:
        study = "actualisation" if since is not None else "diagnostic"
    if study not in STUDIES:
        raise AbsError(f"Étude inconnue : « {study} ». Études possibles : {', '.join(STUDIES)}.")
    if study == "actualisation" and since is None:
        raise AbsError(
            "L'actualisation compare deux dates : donnez l'année du diagnostic initial avec "
            "--depuis ANNÉE (ex. --depuis 2016)."
        )
    if study == "diagnostic" and since is not None:
        raise AbsError(
            "--depuis ne sert qu'à l'étude actualisation : ajoutez --etude actualisation, "
            "ou retirez --depuis pour le diagnostic."
        )
    if since is not None and not 1960 <= int(since) <= 2100:
        raise AbsError(f"Année --depuis invalide : {since} (une année sur 4 chiffres est attendue).")
    return study, (int(since) if since is not None else None)


def plan_territory(territory, references: list[tuple[str, str]] | None = None) -> PlanTerritory:
    """A :class:`PlanTerritory` from a :class:`~abs_lib.territories.Territory` of a real geography."""
    from abs_lib.indicators import Geography as MembershipIndex

    geography = territory.geography
    if references is None:
        index = MembershipIndex.from_membership(geography.membership())
        references = index.references(territory.level, territory.code)
    named = []
    for level, code in references:
        if level == "departement":
            name = f"{geography.departement_name(code)} ({code})"
        elif level == "region":
            name = geography.region_name(code)
        else:
            name = LEVEL_WORDS.get(level, level)
        named.append((level, str(code), name))
    return PlanTerritory(level=territory.level, code=territory.code, label=territory.label,
                         n_communes=territory.n_communes, references=tuple(named))
