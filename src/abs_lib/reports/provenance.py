"""The provenance block that ends every report: sources, parameters, software, date.

Why: a diagnostic is shared and re-read years later; the reader must see which
files (vintage, checksum, origin, rows used) and which parameters produced it,
with which abs revision, libraries and reference geography, and whether the
territory is fictional. The study notebook's last cell displays
``report_provenance(portrait, study, **parameters)``; the displayed object carries,
besides its HTML, the same facts as JSON (mimetype ``PROVENANCE_MIME``) so that
``abs report`` reads them back from the executed notebook (fictional title,
``<étude>.provenance.json``) instead of guessing them a second time.

No path of the machine that made the report is shown: files by their name, the
data directory as the analyst named it (``ABS_DATA_DIR``, ``./data``, ``~/…``),
temporary folders as such.
"""

from __future__ import annotations

import html
import json
import os
import shlex
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from abs_lib.reports.contributions import public_origin

PROVENANCE_MIME = "application/vnd.abs.provenance+json"
PARIS = ZoneInfo("Europe/Paris")

_SOURCE_KEYS = ("dataset", "vintage", "level", "geography_year", "origin", "source_file", "sha256",
                "rows", "saved_at", "fictional")


def _source_dict(entry) -> dict:
    """A StoredEntry (or a dict with the same keys) as a plain dict of the fields shown."""
    data = asdict(entry) if is_dataclass(entry) else dict(entry)
    out = {key: data.get(key) for key in _SOURCE_KEYS}
    if out["geography_year"] is None:  # StoredEntry: a property read from its geography fit
        out["geography_year"] = getattr(entry, "geography_year", None)
    out["origin"] = public_origin(out["origin"])
    for key in ("geography_basis", "rows_used", "member", "part"):
        if key in data:
            out[key] = data[key]
    return out


# -- paths shown without the machine's folders ---------------------------------------------------

TEMPORARY = "(dossier temporaire)"
DATA_DIR_ENV_SHOWN = "ABS_DATA_DIR"
DEMO_DATA = "données de démonstration d'abs"


def _resolved(path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser())).resolve()


def _temporary_roots() -> list[Path]:
    roots = {Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp"), Path("/dev/shm")}
    return [_resolved(r) for r in roots]


def display_path(path) -> str | None:
    """A path as it can be shown in a shared report: ``./x`` under the working directory,
    ``~/x`` under the home folder, ``(dossier temporaire)/x`` in a temporary folder,
    otherwise as it is (``/srv/abs/data``). None/"" -> None."""
    if path is None or str(path) == "":
        return None
    full = _resolved(path)
    cwd = _resolved(os.getcwd())
    if cwd != Path(cwd.anchor) and full.is_relative_to(cwd):
        rel = full.relative_to(cwd).as_posix()
        return "." if rel == "." else f"./{rel}"
    if any(full.is_relative_to(root) for root in _temporary_roots()):
        return f"{TEMPORARY}/{full.name}"
    home = _resolved(Path.home())
    if home != Path(home.anchor) and full.is_relative_to(home):
        return f"~/{full.relative_to(home).as_posix()}"
    return str(full)


def describe_data_dir(given, *, demo: bool = False) -> str:
    """The data directory as the analyst chose it: ``ABS_DATA_DIR`` (the environment
    variable), ``./data`` (the default), the demo's own data, or the path given."""
    env = os.environ.get("ABS_DATA_DIR")
    if not given:
        if demo:
            return DEMO_DATA
        return DATA_DIR_ENV_SHOWN if env else "./data"
    if env and _resolved(env) == _resolved(given):
        return DATA_DIR_ENV_SHOWN
    return display_path(given)


def local_file(path) -> dict | None:
    """An analyst's file shown by its name and checksum (None when no file was given)."""
    if not path:
        return None
    from abs_lib.sources.store import sha256_of

    target = Path(path).expanduser()
    return {"file": target.name, "sha256": sha256_of(target) if target.is_file() else None}


#: Parameters holding paths of the machine, shown through ``display_path``.
_PATH_PARAMETERS = ("data_dir", "shared_tables")
#: Parameters that say where to write, not what to compute: not recorded.
_OUTPUT_PARAMETERS = ("tables_dir",)


def public_parameters(parameters: Mapping, *, demo: bool = False) -> dict:
    """Parameters as requested, without the machine's folders (for ``<étude>.provenance.json``)."""
    out = {}
    for key, value in dict(parameters).items():
        if key in _OUTPUT_PARAMETERS:
            continue
        if key == "data_dir":
            value = describe_data_dir(value, demo=demo)
        elif key in _PATH_PARAMETERS:
            value = display_path(value)
        elif key == "local_data":
            value = local_file(value)
        out[key] = _jsonable(value)
    return out


@dataclass
class ProvenanceBlock:
    """What produced a report; displays as an HTML section in the notebook.

    ``sources``: files with rows for the territory (``rows_used``); ``without_rows``:
    files the study read that had none. ``code_revision``, ``software``, ``geography``:
    see ``abs_lib.reports.environment``. ``reproduce``: the ``abs report`` command.
    """

    sources: list[dict]
    parameters: dict
    abs_version: str
    generated_at: str
    fictional: bool
    study: str | None = None
    extra: dict = field(default_factory=dict)
    code_revision: dict = field(default_factory=dict)
    software: dict = field(default_factory=dict)
    geography: dict = field(default_factory=dict)
    without_rows: list[dict] = field(default_factory=list)
    reproduce: str | None = None

    # -- machine-readable ----------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    # -- display -------------------------------------------------------------
    def _revision_text(self) -> str | None:
        if not self.code_revision:
            return None
        commit = self.code_revision.get("commit") or "inconnue"
        if commit == "inconnue":
            return "révision du code inconnue"
        text = f"révision {commit}"
        if self.code_revision.get("dirty"):
            text += " (avec des modifications non enregistrées)"
        return text

    def _geography_text(self) -> str | None:
        geo = self.geography
        if not geo:
            return None
        if geo.get("fictional"):
            return f"Géographie de référence : géographie fictive de démonstration ({geo.get('year')})."
        text = f"Géographie de référence : communes et intercommunalités au 1er janvier {geo.get('year')}"
        if geo.get("source"):
            text += f" (paquet {geo['source']}"
            text += f" version {geo['package_version']})" if geo.get("package_version") else ")"
        return text + "."

    def to_html(self) -> str:
        esc = html.escape
        when = datetime.fromisoformat(self.generated_at)
        parts = ['<section class="abs-provenance">', "<h2>Provenance</h2>"]
        sentence = (
            f"Rapport généré le {when:%d/%m/%Y} à {when:%H:%M} (heure de Paris) "
            f"par abs {esc(self.abs_version)}"
        )
        revision = self._revision_text()
        if revision:
            sentence += f", {esc(revision)}"
        if self.study:
            sentence += f", étude « {esc(self.study)} »"
        parts.append(f"<p>{sentence}.</p>")
        if self.fictional:
            parts.append(
                '<p class="abs-fictif"><strong>Territoire et données fictifs (démonstration)</strong> : '
                "aucun chiffre de ce rapport ne décrit un territoire réel.</p>"
            )
        if self.software:
            listed = ", ".join(f"{esc('Python' if name == 'python' else name)} {esc(str(v))}"
                               for name, v in self.software.items())
            parts.append(f"<p>Logiciels : {listed}.</p>")
        geography = self._geography_text()
        if geography:
            parts.append(f"<p>{esc(geography)}</p>")
        parts.append("<h3>Sources</h3>")
        if self.sources:
            head = ("Jeu de données", "Millésime", "Niveau", "Géographie", "Fichier", "Origine",
                    "Lignes utilisées", "SHA-256")
            parts.append('<table class="abs-table"><thead><tr>'
                         + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>")
            for s in self.sources:
                dataset = esc(str(s.get("dataset") or ""))
                if s.get("fictional"):
                    dataset += " (fictif)"
                cells = (s.get("vintage"), s.get("level"), _geography_cell(s), s.get("source_file"),
                         _origin_cell(s), _rows_cell(s))
                row = f"<td>{dataset}</td>" + "".join(
                    f"<td>{esc(str(c if c is not None else ''))}</td>" for c in cells)
                row += f'<td class="abs-sha"><code>{esc(str(s.get("sha256") or ""))}</code></td>'
                parts.append(f"<tr>{row}</tr>")
            parts.append("</tbody></table>")
        else:
            parts.append("<p>Aucune source de données déclarée.</p>")
        if self.without_rows:
            parts.append(f"<p>{esc(_without_rows_sentence(self.without_rows))}</p>")
        parts.append("<h3>Paramètres</h3>")
        if self.parameters:
            parts.append('<table class="abs-table"><tbody>')
            for key, value in self.parameters.items():
                parts.append(f"<tr><th>{esc(str(key))}</th><td><code>{esc(_parameter_text(value))}</code></td></tr>")
            parts.append("</tbody></table>")
        else:
            parts.append("<p>Aucun paramètre.</p>")
        if self.reproduce:
            parts.append(f"<p>Reproduire ce rapport (mêmes fichiers de données importés) : "
                         f"<code>{esc(self.reproduce)}</code></p>")
        parts.append("</section>")
        return "\n".join(parts)

    def to_markdown(self) -> str:
        head = f"Rapport généré le {self.generated_at} (heure de Paris) par abs {self.abs_version}"
        revision = self._revision_text()
        lines = ["## Provenance", "", head + (f", {revision}" if revision else "") + "."]
        if self.fictional:
            lines.append("**Territoire et données fictifs (démonstration).**")
        if self.software:
            lines.append("Logiciels : " + ", ".join(f"{k} {v}" for k, v in self.software.items()) + ".")
        geography = self._geography_text()
        if geography:
            lines.append(geography)
        lines += ["", "| Jeu | Millésime | Niveau | Géographie | Fichier | Origine | Lignes utilisées | SHA-256 |",
                  "|---|---|---|---|---|---|---|---|"]
        for s in self.sources:
            lines.append(
                f"| {s.get('dataset')} | {s.get('vintage')} | {s.get('level')} | {_geography_cell(s)} | "
                f"{s.get('source_file')} | {_origin_cell(s)} | {_rows_cell(s)} | {s.get('sha256')} |"
            )
        if self.without_rows:
            lines += ["", _without_rows_sentence(self.without_rows)]
        lines += ["", "Paramètres : " + ", ".join(f"{k} = {_parameter_text(v)}" for k, v in self.parameters.items())]
        if self.reproduce:
            lines += ["", f"Reproduire ce rapport : `{self.reproduce}`"]
        return "\n".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": self.to_html(),
            "text/plain": self.to_markdown(),
            PROVENANCE_MIME: self.to_dict(),
        }


def _geography_cell(source: Mapping) -> str:
    year = source.get("geography_year")
    if not year:
        return "non renseignée"
    return f"{year} (d'après les codes)" if source.get("geography_basis") == "codes" else str(year)


def _origin_cell(source: Mapping) -> str:
    """``import`` for a file imported by hand (its name is in the next column), else the URL."""
    origin = str(source.get("origin") or "")
    return "import" if origin.split(":", 1)[0].strip().lower() == "import" else origin


def _rows_cell(source: Mapping) -> str:
    from abs_lib.formatting import format_number

    used, total = source.get("rows_used"), source.get("rows")
    if used is None:
        return "" if total is None else f"{format_number(total, decimals=0)} (fichier entier)"
    if total is None:
        return format_number(used, decimals=0)
    return f"{format_number(used, decimals=0)} sur {format_number(total, decimals=0)}"


def _without_rows_sentence(files: Iterable[Mapping]) -> str:
    listed = ", ".join(f"{f.get('source_file') or f.get('dataset')} ({f.get('dataset')} {f.get('vintage')})"
                       for f in files)
    return f"Fichiers importés sans ligne pour ce territoire : {listed}."


def _parameter_text(value) -> str:
    if isinstance(value, Mapping) and "file" in value:
        checksum = value.get("sha256")
        return f"{value['file']} (SHA-256 {checksum})" if checksum else f"{value['file']} (fichier introuvable)"
    return repr(value)


def provenance_block(
    entries: Iterable | None = None,
    *,
    data_dir: str | Path | None = None,
    parameters: Mapping | None = None,
    datasets: Iterable[str] | None = None,
    study: str | None = None,
    fictional: bool | None = None,
    now: datetime | None = None,
    extra: Mapping | None = None,
    without_rows: Iterable[Mapping] | None = None,
    geography: Mapping | None = None,
    reproduce: str | None = None,
) -> ProvenanceBlock:
    """Build the provenance block of a report.

    Study notebooks call :func:`report_provenance`, which computes everything from the
    portrait; this lower-level builder takes the pieces.

    Parameters
    ----------
    entries : iterable of StoredEntry or dict, optional
        The tables the report used (``Store(root).entries()`` items, or the dicts of
        ``contributions(...).sources``). Default: every table of the store at ``data_dir``.
    data_dir : path, optional
        Data directory read when ``entries`` is not given.
    parameters : mapping
        The report's parameters, as the notebook ran with them (shown as given).
    datasets : iterable of str, optional
        Keep only these datasets (those the study actually read).
    fictional : bool, optional
        Default: true when any source is fictional.
    now : datetime, optional
        Generation time (default: now); shown in Europe/Paris time.
    without_rows : iterable of dict, optional
        Files the study read that had no row for the territory.
    geography : mapping, optional
        ``environment.reference_geography(...)`` of the study.
    reproduce : str, optional
        The ``abs report`` command that makes the report again.
    """
    from abs_lib import __version__
    from abs_lib.reports.environment import code_revision, software_versions

    if entries is None:
        entries = []
        if data_dir:
            from abs_lib.sources.store import Store

            entries = Store(data_dir).entries()
    sources = [_source_dict(e) for e in entries]
    unused = [_source_dict(e) for e in (without_rows or [])]
    if datasets is not None:
        wanted = set(datasets)
        sources = [s for s in sources if s["dataset"] in wanted]
        unused = [s for s in unused if s["dataset"] in wanted]
    order = lambda s: (str(s["dataset"]), str(s["vintage"]), str(s["level"]))  # noqa: E731
    sources.sort(key=order)
    unused.sort(key=order)
    if fictional is None:
        fictional = any(bool(s.get("fictional")) for s in sources)
    when = (now or datetime.now(PARIS)).astimezone(PARIS)
    params = {k: _jsonable(v) for k, v in dict(parameters or {}).items()}
    return ProvenanceBlock(
        sources=[{k: _jsonable(v) for k, v in s.items()} for s in sources],
        parameters=params,
        abs_version=__version__,
        generated_at=when.isoformat(timespec="seconds"),
        fictional=bool(fictional),
        study=study,
        extra={k: _jsonable(v) for k, v in dict(extra or {}).items()},
        code_revision=dict(code_revision()),
        software=software_versions(),
        geography={k: _jsonable(v) for k, v in dict(geography or {}).items()},
        without_rows=[{k: _jsonable(v) for k, v in s.items()} for s in unused],
        reproduce=reproduce,
    )


#: Parameters every study has, in the order they are shown.
_COMMON = ("territory", "level", "year", "data_dir")
#: Parameters that change nothing in the figures (a batch's precomputed copy of the same
#: indicators, the folder for the CSV/XLSX tables): recorded, never in the command.
_NOT_IN_COMMAND = ("territory", "level", "year", "data_dir", "shared_tables", "tables_dir")


def resolved_parameters(portrait, *, data_dir=None, shared_tables=None, local_data=None,
                        tables_dir=None, **study_parameters) -> dict:
    """The parameters the study ran with, defaults resolved, paths shown without folders.

    ``territory``, ``level`` and ``year`` (the geography year) are read from the portrait
    (what a default or a code given as a number became); ``data_dir`` as the analyst
    chose it (:func:`describe_data_dir`); ``local_data`` as ``{"file", "sha256"}``; the
    study's own parameters (``baseline``, ``update``, ``focus``…) as given;
    ``tables_dir`` (where the tables were written) is not recorded.
    """
    params = {
        "territory": portrait.code,
        "level": portrait.level,
        "year": int(portrait.territory.geography.year),
        "data_dir": describe_data_dir(data_dir, demo=portrait.fictional and not data_dir),
    }
    for key, value in study_parameters.items():
        if isinstance(value, (tuple, set, frozenset)):
            value = list(value)
        params[key] = value
    if local_data is not None:
        params["local_data"] = local_file(local_data)
    params["shared_tables"] = display_path(shared_tables)
    return {k: _jsonable(v) for k, v in params.items()}


def reproduce_command(study: str, parameters: Mapping, *, level_given: bool = False) -> str:
    """The ``abs report`` command that makes the report again from the same data.

    The data directory is named only when the analyst gave one (not ``./data`` nor
    ``ABS_DATA_DIR``); a temporary one becomes ``DOSSIER_DES_DONNEES``. Lists (``focus``)
    are written comma-separated, the local file by its name.
    """
    words = ["abs", "report", str(parameters["territory"]), "--study", study]
    if parameters.get("year") is not None:
        words += ["--year", str(parameters["year"])]
    data = parameters.get("data_dir")
    if data and data not in ("./data", DATA_DIR_ENV_SHOWN, DEMO_DATA):
        words += ["--data-dir", "DOSSIER_DES_DONNEES" if data.startswith(TEMPORARY) else data]
    if level_given and parameters.get("level"):
        words += ["-p", "level", str(parameters["level"])]
    for key, value in parameters.items():
        if key in _NOT_IN_COMMAND or value is None or value == "":
            continue
        if isinstance(value, Mapping) and "file" in value:
            value = value["file"]
        elif isinstance(value, list):
            value = ",".join(map(str, value))
        words += ["-p", key, str(value)]
    return " ".join(shlex.quote(w) for w in words)


def report_provenance(portrait, study: str, *, now: datetime | None = None, **parameters) -> ProvenanceBlock:
    """The provenance block of a study notebook: call it last with the notebook's parameters.

    ``report_provenance(portrait, "actualisation", territory=territory, year=year, level=level,
    data_dir=data_dir, shared_tables=shared_tables, baseline=baseline, update=update,
    focus=focus, local_data=local_data)``. Lists the files with rows for the territory
    (contours included) and, apart, those without; records the revision, the software,
    the reference geography, the resolved parameters and the command to reproduce.
    """
    from abs_lib.reports.contributions import contributions
    from abs_lib.reports.environment import reference_geography

    level_given = parameters.get("level") not in (None, "")
    for given in ("territory", "level", "year"):
        parameters.pop(given, None)
    resolved = resolved_parameters(portrait, **parameters)
    found = contributions(portrait)
    return provenance_block(
        found.sources,
        parameters=resolved,
        study=study,
        fictional=portrait.fictional,
        now=now,
        extra={"territoire": portrait.territory.label},
        without_rows=found.without_rows,
        geography=reference_geography(portrait.territory.geography),
        reproduce=reproduce_command(study, resolved, level_given=level_given),
    )


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def read_provenance(nb) -> dict | None:
    """The provenance facts displayed by an executed notebook (last one wins), or None."""
    found = None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if PROVENANCE_MIME in data:
                value = data[PROVENANCE_MIME]
                found = json.loads(value) if isinstance(value, str) else dict(value)
    return found
