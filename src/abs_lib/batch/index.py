"""The pages a batch leaves in the reports folder: ``index.html`` and ``batch-<horodatage>.json``.

``index.html`` is for people: one self-contained French page listing every
territory of the batch with its status (réussi / échec / inchangé / non lancé),
the date of its report, a link to it, and for failures the failing cell, the
error and a link to the failed notebook. « non lancé » is a report an interrupted
batch never produced: not a failure, and its last good report (still published,
or renamed ``*.ancien.html`` by an earlier failure) is linked with its date.
A failure links the last good report too (``*.ancien.html``). On a phone (under 600 px) each row
of the table becomes a card whose cells are labelled by their column (``data-label``), as
in the reports. The JSON log is for scripts and for the record:
every outcome with timings, worker and peak memory. Both are written atomically.
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from abs_lib.batch.worker import FAILURE, NOT_RUN, STATUS_LABELS, STATUSES, SUCCESS, UNCHANGED
from abs_lib.atomic import atomic_write_text
from abs_lib.reports.provenance import PARIS

INDEX_NAME = "index.html"

COLUMNS = ("Code", "Territoire", "Niveau", "Statut", "Date de génération", "Liens et erreur")

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 70rem; padding: 1rem; font: 16px/1.45 system-ui, -apple-system,
  "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a; background: #fff; overflow-wrap: break-word; }
a { color: #0b4f9c; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
td { overflow-wrap: anywhere; }
thead th { background: #f0f0f0; position: sticky; top: 0; }
td.code { font-variant-numeric: tabular-nums; white-space: nowrap; }
.reussi { color: #1b6e20; } .echec { color: #a40000; font-weight: bold; } .inchange { color: #505050; }
.non-lance { color: #7a4f00; font-style: italic; }
.erreur { font-size: 0.85rem; white-space: pre-wrap; }
.abs-banner { background: #fff3cd; border: 1px solid #e0a800; padding: 0.5rem 0.75rem; }
@media (max-width: 600px) {
  body { padding: 0.75rem; }
  h1 { font-size: 1.3rem; }
  table, tbody, tr, td { display: block; width: 100%; }
  thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
    white-space: nowrap; }
  tr { border: 1px solid #bbb; border-radius: 4px; margin: 0 0 0.75rem; padding: 0.25rem 0.6rem; }
  td { border: none; padding: 0.2rem 0; font-size: 0.95rem; }
  td:empty { display: none; }
  td[data-label]::before { content: attr(data-label) " : "; font-weight: 600; color: #404040; }
  .erreur { font-size: 0.9rem; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  thead { display: table-header-group; }
  thead th { position: static; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; }
}
"""


def _date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return value


def _link(href: Path | str, text: str) -> str:
    return f'<a href="{html.escape(str(href), quote=True)}">{html.escape(text)}</a>'


def write_index(reports_dir: str | Path, study, outcomes, *, description: str, started_at: str,
                fictional: bool = False) -> Path:
    """Write ``<reports_dir>/index.html`` for ``outcomes`` (sorted by code); return its path."""
    from abs_lib.reports.execute import FAILED_SUFFIX

    root = Path(reports_dir)
    stem = study.name
    counts = {status: sum(o.status == status for o in outcomes) for status in STATUSES}
    rows = []
    for o in sorted(outcomes, key=lambda o: (o.level, o.territory)):
        folder = root / o.territory
        links = []
        current = (folder / f"{stem}.html").is_file()
        if o.status in (SUCCESS, UNCHANGED) and current:
            links.append(_link(f"{o.territory}/{stem}.html", "rapport"))
        elif o.status == NOT_RUN and current:  # published by an earlier run, not by this batch
            links.append(_link(f"{o.territory}/{stem}.html", "dernier rapport réussi (antérieur à ce lot)"))
        detail = ""
        if o.status == FAILURE and (folder / f"{stem}{FAILED_SUFFIX}").is_file():
            links.append(_link(f"{o.territory}/{stem}{FAILED_SUFFIX}", "notebook en échec"))
        if o.status in (FAILURE, NOT_RUN) and not current and (folder / f"{stem}.ancien.html").is_file():
            links.append(_link(f"{o.territory}/{stem}.ancien.html", "dernier rapport réussi (périmé)"))
        if o.status == FAILURE:
            detail = f'<div class="erreur">{html.escape(o.short_error() or "erreur inconnue")}</div>'
        elif o.status == NOT_RUN:
            detail = f'<div class="erreur">{html.escape(o.short_error() or "lot interrompu")}</div>'
        cells = (
            ("code", html.escape(o.territory)),
            ("", html.escape(o.name)),
            ("", html.escape(o.level)),
            (o.status, STATUS_LABELS[o.status]),
            ("", _date(o.generated_at)),
            ("", f"{' · '.join(links)}{detail}"),
        )
        rows.append('<tr role="row">' + "".join(
            f'<td role="cell" data-label="{label}"' + (f' class="{css}"' if css else "") + f">{content}</td>"
            for label, (css, content) in zip(COLUMNS, cells)) + "</tr>")
    title = f"{study.title} — rapports par territoire"
    banner = ""
    if fictional:
        title += " (territoires fictifs — démonstration)"
        banner = ('<p class="abs-banner">Démonstration : ces territoires et leurs données sont fictifs ; '
                  "aucun chiffre ne décrit un territoire réel.</p>\n")
    not_run = ""
    if counts[NOT_RUN]:
        not_run = (f", {counts[NOT_RUN]} non lancé(s) (lot interrompu : relancez la même commande, seuls ceux-là "
                   "et les échecs seront refaits)")
    summary = (f"Lot du {_date(started_at)} : {html.escape(description)}. "
               f"{len(outcomes)} territoire(s) : {counts[SUCCESS]} réussi(s), {counts[FAILURE]} en échec, "
               f"{counts[UNCHANGED]} inchangé(s){not_run}.")
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n{banner}<p>{summary}</p>\n"
        '<table role="table">\n<thead><tr role="row">'
        + "".join(f'<th role="columnheader" scope="col">{label}</th>' for label in COLUMNS)
        + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n</body>\n</html>\n"
    )
    path = root / INDEX_NAME
    atomic_write_text(path, page)
    return path


def log_name(started_at: str) -> str:
    """``batch-20250314-093012.json`` for a batch started at that time (Paris)."""
    when = datetime.fromisoformat(started_at).astimezone(PARIS)
    return f"batch-{when:%Y%m%d-%H%M%S}.json"


def write_log(reports_dir: str | Path, record: dict, outcomes) -> Path:
    """Write ``<reports_dir>/batch-<horodatage>.json``: the batch record and every outcome."""
    data = dict(record)
    data["outcomes"] = [asdict(o) | {"error_summary": o.short_error()} for o in outcomes]
    path = Path(reports_dir) / log_name(record["started_at"])
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2))
    return path
