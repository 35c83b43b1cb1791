"""Produce one report: execute the study notebook, export the page, write the tables.

Used by ``abs report`` and, later, by batch workers: no global state, no
``os.chdir``; every path is explicit.

Layout, in ``<reports_dir>/<territory>/``::

    <study>.html              the report (self-contained, French)
    <study>.docx, <study>.pdf the same report for Word and for print, when asked (``formats``)
    <study>.ipynb             the executed notebook
    <study>.provenance.json   sources, checksums, parameters, versions, output files
    <study>_<table>.csv, <study>_tableaux.xlsx   indicator tables

Stale-report rule (« jamais de rapport périmé sous le nom courant »): a run works
in a hidden staging folder and publishes its files only when every step has
succeeded, the HTML last. When a run fails, the previous good outputs of that
study are renamed ``<study>.ancien.*`` (``diagnostic.ancien.html``…) and the
failed notebook is kept as ``<study>.echec.ipynb``: after a failure no file named
``<study>.html`` exists, so an outdated page can never be taken for the report
that was just asked for; the command exits non-zero and says where the old page
is. A later successful run removes the ``.ancien.*`` and ``.echec.ipynb`` files.

DOCX and PDF are made from the exported page (same content). When one of them
cannot be made (no browser for the PDF…), the other outputs are still published,
that format is not (an older file of it is removed, never left as current), and
``ReportResult.format_errors`` says why, in French.

Interrupted runs (Ctrl-C, SIGTERM turned into an exception by the ``abs`` command)
remove their staging folder and stop their kernel on the way out, like failures.
A process killed outright (SIGKILL, power cut, a batch worker stopped) cannot: its
``.<study>.en-cours-*`` folder is removed by the next ``build_report`` under the
same reports folder once it is older than :data:`STALE_STAGING_SECONDS` (a day:
a younger one may belong to a run still going, e.g. in a batch).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from abs_lib.atomic import atomic_write_text
from abs_lib.errors import ReportError
from abs_lib.reports.execute import FAILED_SUFFIX, execute_study, skip_unused_optional_imports
from abs_lib.reports.slim import without_images
from abs_lib.reports.parameters import check_parameter_names, normalize_parameters, transportable
from abs_lib.reports.studies import SET_BY_COMMAND, SET_BY_COMMAND_NOTE, Study, get_study
from abs_lib.reports.tables import write_tables

OLD_TAG = ".ancien"
STAGING_TAG = ".en-cours-"
STALE_STAGING_SECONDS = 24 * 3600
TablesWriter = Callable[..., list]
FORMATS = ("html", "docx", "pdf")
"""Report formats: the HTML page is always written (DOCX and PDF are made from it)."""


def parse_formats(value) -> tuple[str, ...]:
    """``"html,docx,pdf"`` or ``["pdf"]`` -> ``("html", "docx", "pdf")`` (HTML always, in that order).

    Raises ``ReportError`` (French) for an unknown format.
    """
    items = value.split(",") if isinstance(value, str) else list(value or [])
    wanted = {str(item).strip().lower().lstrip(".") for item in items} - {""}
    unknown = sorted(wanted - set(FORMATS))
    if unknown:
        raise ReportError(f"Format de rapport inconnu : {', '.join(unknown)}. Formats possibles : "
                          f"{', '.join(FORMATS)} (séparés par des virgules, par exemple html,docx,pdf).")
    return tuple(f for f in FORMATS if f == "html" or f in wanted)


def staging_prefix(stem: str) -> str:
    """``.diagnostic.en-cours-``: the hidden staging folders of a study's runs start so."""
    return f".{stem}{STAGING_TAG}"


def remove_stale_staging(reports_dir: str | Path, *, older_than: float = STALE_STAGING_SECONDS,
                         now: float | None = None) -> list[Path]:
    """Remove ``<reports_dir>/*/.<study>.en-cours-*`` folders not modified for ``older_than`` seconds.

    They are left by runs killed outright; return what was removed. Best effort: a
    folder that cannot be removed stays (the report itself does not need it).
    """
    root = Path(reports_dir)
    limit = (time.time() if now is None else now) - older_than
    removed = []
    try:
        candidates = list(root.glob(f"*/.*{STAGING_TAG}*"))
    except OSError:
        return removed
    for path in candidates:
        try:
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < limit:
                shutil.rmtree(path)
                removed.append(path)
        except OSError:
            continue
    return removed


@dataclass(frozen=True)
class ReportResult:
    """What ``build_report`` produced."""

    territory: str
    study: str
    folder: Path
    html: Path
    notebook: Path
    provenance: Path
    tables: list[Path]
    fictional: bool
    hidden_warnings: int
    timings: dict = field(default_factory=dict)
    documents: dict = field(default_factory=dict)
    """``{"docx": path, "pdf": path}``: the other formats written."""
    format_errors: dict = field(default_factory=dict)
    """``{"pdf": "message"}``: the formats asked for that could not be made, and why (French)."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _old_name(path: Path) -> Path:
    """``diagnostic.html`` -> ``diagnostic.ancien.html``; ``diagnostic_pop.csv`` -> ``diagnostic_pop.ancien.csv``."""
    head, _, tail = path.name.partition(".")
    return path.with_name(f"{head}{OLD_TAG}.{tail}")


def _published_files(folder: Path, stem: str) -> list[Path]:
    """The files of the last good run of ``stem`` in ``folder`` (from its provenance file)."""
    manifest = folder / f"{stem}.provenance.json"
    names = {f"{stem}.html", f"{stem}.ipynb", manifest.name}
    if manifest.is_file():
        try:
            names.update(json.loads(manifest.read_text(encoding="utf-8")).get("files", []))
        except ValueError:
            pass
    return [folder / name for name in sorted(names) if (folder / name).is_file()]


def _retire_previous(folder: Path, stem: str) -> tuple[Path | None, str | None]:
    """Rename the last good outputs to ``*.ancien.*``; return the old page and its date."""
    manifest = folder / f"{stem}.provenance.json"
    when = None
    if manifest.is_file():
        try:
            when = json.loads(manifest.read_text(encoding="utf-8")).get("generated_at")
        except ValueError:
            pass
    old_html = None
    for path in _published_files(folder, stem):
        os.replace(path, _old_name(path))
        if path.suffix == ".html":
            old_html = _old_name(path)
    return old_html, when


def _clear_previous(folder: Path, stem: str, keep: set[str]) -> None:
    """After a success: remove old pages, the failed notebook and files no longer produced."""
    for path in _published_files(folder, stem):
        if path.name not in keep:
            path.unlink(missing_ok=True)
    for path in folder.glob(f"{stem}*{OLD_TAG}.*"):
        path.unlink(missing_ok=True)
    (folder / f"{stem}{FAILED_SUFFIX}").unlink(missing_ok=True)


def _after_failure(folder: Path, staging: Path, stem: str) -> tuple[Path | None, str | None]:
    """Keep the executed notebook as failed, retire the previous report (see the module's rule)."""
    executed = staging / f"{stem}.ipynb"
    if executed.exists():  # executed fine, a later step failed: keep it, marked as failed
        os.replace(executed, folder / f"{stem}{FAILED_SUFFIX}")
    return _retire_previous(folder, stem)


def _other_formats(formats, staging: Path, stem: str, title: str, say, timings: dict) -> tuple[dict, dict]:
    """Write the DOCX and PDF versions of the staged page; a format that fails is reported, not fatal."""
    documents: dict[str, Path] = {}
    errors: dict[str, str] = {}
    page_path = staging / f"{stem}.html"
    for fmt in formats:
        if fmt == "html":
            continue
        start = time.perf_counter()
        target = staging / f"{stem}.{fmt}"
        try:
            if fmt == "docx":
                from abs_lib.reports.docx import export_docx

                say("   Version Word (DOCX)…")
                export_docx(page_path.read_text(encoding="utf-8"), target, title=title)
            else:
                from abs_lib.reports.pdf import export_pdf

                say("   Version PDF (impression A4 par un navigateur sans interface)…")
                export_pdf(page_path, target)
            documents[fmt] = target
        except ReportError as error:
            target.unlink(missing_ok=True)
            errors[fmt] = str(error)
            say(f"   {fmt.upper()} non produit : {error}")
        timings[fmt] = time.perf_counter() - start
    return documents, errors


def _prepare_export_meanwhile():
    """Import nbconvert and build the HTML exporter in a thread while the kernel computes.

    This process only waits for the kernel during the execution; the second core builds the
    exporter (seconds of imports and templates) instead of the export step doing it after.
    A failure here is left for the export step to report.
    """
    import threading

    def warm():
        try:
            from abs_lib.reports import export

            getattr(export, "_exporter", lambda: None)()
        except Exception:  # noqa: BLE001 - the export step raises it again, in French
            pass

    thread = threading.Thread(target=warm, name="abs-export-warmup", daemon=True)
    thread.start()
    return thread


def _kernel_starting_now(notebook: Path, kernel_name: str):
    """A kernel for this report, started at once in a thread with the notebook's imports
    (``reports.keptkernel``), or None for a kernel of another interpreter (papermill starts it).

    Why: the kernel starts and imports pandas, matplotlib, geopandas… (about 2 s) on one core
    while this process imports papermill and nbconvert on the other, instead of after them.
    """
    from abs_lib.reports.kernel import SAME_INTERPRETER_KERNELS

    if kernel_name.lower() not in SAME_INTERPRETER_KERNELS:
        return None
    from abs_lib.reports.keptkernel import KeptKernel, notebook_imports

    kernel = KeptKernel(kernel_name, modules=notebook_imports(notebook), max_reports=1)
    kernel.start_soon()
    return kernel


def _started(kernel):
    """The kernel manager of ``kernel`` once started; a French ``ReportError`` when it cannot start."""
    return kernel.ready("Relancez la commande ; si l'échec revient, vérifiez que le paquet ipykernel est "
                        "installé dans l'environnement d'abs.")


def build_report(
    territory,
    study: str | Study,
    *,
    year: int | None = None,
    data_dir: str | Path | None = None,
    reports_dir: str | Path = "reports",
    extra_params: Mapping | None = None,
    tables_writer: TablesWriter | None = write_tables,
    progress: Callable[[str], None] | None = None,
    kernel_name: str = "python3",
    timeout: int | None = 600,
    formats=("html",),
    kernel_manager=None,
) -> ReportResult:
    """Produce the report of ``study`` for ``territory`` in ``<reports_dir>/<territory>/``.

    Parameters
    ----------
    territory : str or int
        Territory code (normalised: ``1001`` becomes ``"01001"``).
    study : str or Study
        ``diagnostic``, ``actualisation``, ``explorer`` or a ``Study`` (custom notebook).
    year : int, optional
        Passed to the notebook as ``year``.
    data_dir : path, optional
        Data directory (default: ``ABS_DATA_DIR`` or ``./data``), passed absolute.
    reports_dir : path
        Root of the reports.
    extra_params : mapping, optional
        Other notebook parameters, in any shape (``"2016"``, ``"petite-enfance,logement"``…):
        each gets the type the study declares (``Study.parameters``); a name the study does
        not take is refused (a custom notebook may also take the names its parameters cell
        declares).
    tables_writer : callable, optional
        ``f(territory, study, *, year, data_dir, folder) -> list[Path]`` writing the
        indicator tables into ``folder``; default ``tables.write_tables``; None: no tables.
    progress : callable, optional
        Receives one French line per step.
    kernel_name, timeout, kernel_manager :
        See ``execute_study``.
    formats : str or iterable
        ``html`` (always), ``docx``, ``pdf`` (see :func:`parse_formats`).

    Raises
    ------
    ReportError
        On any failure; the previous good outputs are then renamed ``*.ancien.*``.
    """
    from abs_lib.config import data_dir as resolve_data_dir
    from abs_lib.demo import is_demo_code
    from abs_lib.reports.export import export_html, report_title
    from abs_lib.reports.parameters import normalize_code as normalize_code_strict
    from abs_lib.territories import normalize_code
    from abs_lib.reports.provenance import display_path, public_parameters, read_provenance

    say = progress or (lambda line: None)
    formats = parse_formats(formats)
    spec = get_study(study)
    notebook = spec.notebook_path()
    data_path = resolve_data_dir(data_dir).resolve()
    # The fictional demo reads its own store unless a data directory is named explicitly.
    demo_default = data_dir is None and is_demo_code(normalize_code(territory) if not isinstance(territory, str) else territory)
    params = {"territory": territory, "year": year, "data_dir": "" if demo_default else str(data_path)}
    extra = dict(extra_params or {})
    clash = sorted(set(extra) & set(params))
    if clash:
        raise ReportError(
            f"Paramètre(s) {', '.join(clash)} en double : le territoire, l'année et le dossier des données "
            "se donnent par l'argument TERRITOIRE et les options --year et --data-dir."
        )
    check_parameter_names(extra, spec.accepted_parameters(), study=spec.name, hidden=SET_BY_COMMAND,
                          note=SET_BY_COMMAND_NOTE)
    params.update(extra)
    params = normalize_parameters(params, spec.parameters)
    # A name is fine in a notebook (open_portrait resolves it), not here: the folder is the code.
    code = params["territory"] = normalize_code_strict(params["territory"], level=params.get("level"))
    stem = spec.name

    folder = Path(reports_dir) / code
    for stale in remove_stale_staging(reports_dir):
        say(f"Dossier de travail abandonné supprimé (plus d'un jour) : {stale}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=staging_prefix(stem)))
    except OSError as error:
        from abs_lib.errors import describe_os_error

        raise ReportError(
            f"Impossible d'écrire le rapport dans {describe_os_error(error)}. Choisissez un dossier des rapports "
            "où vous pouvez écrire (--reports-dir) ou corrigez ses droits.") from None
    params["tables_dir"] = str(staging)  # the notebook writes its indicator tables there
    timings: dict[str, float] = {}
    skip_unused_optional_imports()
    warming = _prepare_export_meanwhile()
    try:
        start = time.perf_counter()
        say(f"1/4 Exécution du notebook « {notebook.name} » pour le territoire {code}…")
        early = _kernel_starting_now(notebook, kernel_name) if kernel_manager is None else None
        if early is not None:
            kernel_manager = functools.partial(_started, early)
        try:
            nb = execute_study(notebook, staging / f"{stem}.ipynb", transportable(params), kernel_name=kernel_name,
                               timeout=timeout, keep_failed_as=folder / f"{stem}{FAILED_SUFFIX}",
                               kernel_manager=kernel_manager)
        finally:
            if early is not None:
                early.close()
        timings["execution"] = time.perf_counter() - start

        provenance = read_provenance(nb)
        if provenance is None:
            raise ReportError(
                f"Le notebook {notebook.name} n'affiche pas de bloc de provenance : sa dernière cellule doit "
                "afficher abs_lib.reports.provenance.report_provenance(portrait, étude, **paramètres)."
            )
        fictional = bool(provenance.get("fictional"))

        start = time.perf_counter()
        say("2/4 Export HTML (sans code, images intégrées)…")
        warming.join()
        label = (provenance.get("extra") or {}).get("territoire")
        title = f"{spec.title} — {label}" if label else f"{spec.title} — territoire {code}"
        exported = export_html(nb, staging / f"{stem}.html", title=title, fictional=fictional)
        # The page holds the figures: the stored notebook keeps the cells and a text per figure.
        import nbformat

        atomic_write_text(staging / f"{stem}.ipynb",
                          nbformat.writes(without_images(nb, f"{stem}.html")))
        timings["export"] = time.perf_counter() - start
        documents, format_errors = _other_formats(formats, staging, stem, report_title(title, fictional), say,
                                                  timings)

        start = time.perf_counter()
        tables: list[Path] = []
        if tables_writer is not None:
            say("3/4 Tableaux d'indicateurs (CSV, XLSX)…")
            tables = [Path(p) for p in tables_writer(code, stem, year=params.get("year"),
                                                     data_dir=data_path, folder=staging)]
        else:
            say("3/4 Tableaux d'indicateurs : aucun demandé.")
        timings["tables"] = time.perf_counter() - start

        say(f"4/4 Publication dans {folder}…")
        files = ([p.name for p in tables] + [f"{stem}.ipynb", f"{stem}.provenance.json"]
                 + [p.name for p in documents.values()] + [f"{stem}.html"])
        record = dict(provenance)
        record.update(  # no folder of this machine: the file is shared with the report
            study=stem,
            notebook=display_path(notebook),
            notebook_sha256=_sha256(notebook),
            requested_parameters=public_parameters(transportable(params), demo=demo_default),
            files=files,
        )
        (staging / f"{stem}.provenance.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        _clear_previous(folder, stem, keep=set(files))
        for name in files:  # the HTML last: its presence means a complete report
            os.replace(staging / name, folder / name)
    except BaseException as error:
        if not isinstance(error, Exception):  # KeyboardInterrupt, SystemExit: clean up, publish nothing
            with contextlib.suppress(Exception):
                _after_failure(folder, staging, stem)
            raise
        old_html, when = _after_failure(folder, staging, stem)
        message = str(error) if isinstance(error, ReportError) else (
            f"Échec du rapport {stem} pour {code} : {type(error).__name__} : {error}")
        if old_html is not None:
            date = f" (généré le {when})" if when else ""
            message += (f"\nLe rapport précédent{date} ne correspond pas à cette demande : "
                        f"il a été renommé {old_html}.")
        raise ReportError(message) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    return ReportResult(
        territory=code,
        study=stem,
        folder=folder,
        html=folder / f"{stem}.html",
        notebook=folder / f"{stem}.ipynb",
        provenance=folder / f"{stem}.provenance.json",
        tables=[folder / p.name for p in tables],
        fictional=fictional,
        hidden_warnings=exported.hidden_warnings,
        timings=timings,
        documents={fmt: folder / p.name for fmt, p in documents.items()},
        format_errors=format_errors,
    )
