"""The provenance block that ends every report: sources, parameters, abs version, date.

Why: a diagnostic is shared and re-read years later; the reader must see which
files (vintage, checksum, origin) and which parameters produced it, and whether
the territory is fictional. The study notebook's last cell displays
``provenance_block(...)``; the displayed object carries, besides its HTML, the
same facts as JSON (mimetype ``PROVENANCE_MIME``) so that ``abs report`` reads them
back from the executed notebook (fictional title, ``<étude>.provenance.json``)
instead of guessing them a second time.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROVENANCE_MIME = "application/vnd.abs.provenance+json"
PARIS = ZoneInfo("Europe/Paris")

_SOURCE_KEYS = ("dataset", "vintage", "level", "geography_year", "origin", "source_file", "sha256",
                "rows", "saved_at", "fictional")


def _source_dict(entry) -> dict:
    """A StoredEntry (or a dict with the same keys) as a plain dict of the fields shown."""
    data = asdict(entry) if is_dataclass(entry) else dict(entry)
    return {key: data.get(key) for key in _SOURCE_KEYS}


@dataclass
class ProvenanceBlock:
    """What produced a report; displays as an HTML section in the notebook."""

    sources: list[dict]
    parameters: dict
    abs_version: str
    generated_at: str
    fictional: bool
    study: str | None = None
    extra: dict = field(default_factory=dict)

    # -- machine-readable ----------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    # -- display -------------------------------------------------------------
    def to_html(self) -> str:
        esc = html.escape
        when = datetime.fromisoformat(self.generated_at)
        parts = ['<section class="abs-provenance">', "<h2>Provenance</h2>"]
        sentence = (
            f"Rapport généré le {when:%d/%m/%Y} à {when:%H:%M} (heure de Paris) "
            f"par abs {esc(self.abs_version)}"
        )
        if self.study:
            sentence += f", étude « {esc(self.study)} »"
        parts.append(f"<p>{sentence}.</p>")
        if self.fictional:
            parts.append(
                '<p class="abs-fictif"><strong>Territoire et données fictifs (démonstration)</strong> : '
                "aucun chiffre de ce rapport ne décrit un territoire réel.</p>"
            )
        parts.append("<h3>Sources</h3>")
        if self.sources:
            head = ("Jeu de données", "Millésime", "Niveau", "Géographie", "Origine", "Fichier", "SHA-256")
            parts.append('<table class="abs-table"><thead><tr>'
                         + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>")
            for s in self.sources:
                geo = s.get("geography_year") or "non renseignée"
                dataset = esc(str(s.get("dataset") or ""))
                if s.get("fictional"):
                    dataset += " (fictif)"
                cells = (dataset, s.get("vintage"), s.get("level"), geo, s.get("origin"),
                         s.get("source_file"))
                row = "".join(f"<td>{c if i == 0 else esc(str(c if c is not None else ''))}</td>"
                              for i, c in enumerate(cells))
                row += f'<td class="abs-sha"><code>{esc(str(s.get("sha256") or ""))}</code></td>'
                parts.append(f"<tr>{row}</tr>")
            parts.append("</tbody></table>")
        else:
            parts.append("<p>Aucune source de données déclarée.</p>")
        parts.append("<h3>Paramètres</h3>")
        if self.parameters:
            parts.append('<table class="abs-table"><tbody>')
            for key, value in self.parameters.items():
                parts.append(f"<tr><th>{esc(str(key))}</th><td><code>{esc(repr(value))}</code></td></tr>")
            parts.append("</tbody></table>")
        else:
            parts.append("<p>Aucun paramètre.</p>")
        parts.append("</section>")
        return "\n".join(parts)

    def to_markdown(self) -> str:
        lines = [
            "## Provenance",
            "",
            f"Rapport généré le {self.generated_at} (heure de Paris) par abs {self.abs_version}.",
        ]
        if self.fictional:
            lines.append("**Territoire et données fictifs (démonstration).**")
        lines += ["", "| Jeu | Millésime | Niveau | Géographie | Origine | SHA-256 |", "|---|---|---|---|---|---|"]
        for s in self.sources:
            lines.append(
                f"| {s.get('dataset')} | {s.get('vintage')} | {s.get('level')} | "
                f"{s.get('geography_year') or 'non renseignée'} | {s.get('origin')} | {s.get('sha256')} |"
            )
        lines += ["", "Paramètres : " + ", ".join(f"{k} = {v!r}" for k, v in self.parameters.items())]
        return "\n".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/html": self.to_html(),
            "text/plain": self.to_markdown(),
            PROVENANCE_MIME: self.to_dict(),
        }


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
) -> ProvenanceBlock:
    """Build the provenance block of a report.

    Parameters
    ----------
    entries : iterable of StoredEntry or dict, optional
        The tables the report used (``Store(root).entries()`` items). Dicts may add
        ``geography_year``. Default: every table of the store at ``data_dir``.
    data_dir : path, optional
        Data directory read when ``entries`` is not given.
    parameters : mapping
        The report's parameters, as the notebook ran with them.
    datasets : iterable of str, optional
        Keep only these datasets (those the study actually read).
    fictional : bool, optional
        Default: true when any source is fictional.
    now : datetime, optional
        Generation time (default: now); shown in Europe/Paris time.
    """
    from abs_lib import __version__

    if entries is None:
        entries = []
        if data_dir:
            from abs_lib.sources.store import Store

            entries = Store(data_dir).entries()
    sources = [_source_dict(e) for e in entries]
    if datasets is not None:
        wanted = set(datasets)
        sources = [s for s in sources if s["dataset"] in wanted]
    sources.sort(key=lambda s: (str(s["dataset"]), str(s["vintage"]), str(s["level"])))
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
