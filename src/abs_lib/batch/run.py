"""Regenerate the report of one study for many territories, on Dask, resumably.

Steps, all in the driver except the reports themselves:

1. the prepare hook (once for the whole batch, see ``prepare``) gives extra parameters;
2. each territory's inputs are compared with those of its published report
   (``inputs``): unchanged reports are skipped unless ``force``;
3. the others go to the Dask workers (``worker.run_report_task``), largest
   territories first; a tqdm bar shows counts and the remaining time;
4. ``index.html`` and ``batch-<horodatage>.json`` are written (also after Ctrl-C or SIGTERM:
   reports that never came back are then « non lancé », the staging folders of the
   stopped local workers removed).

With ``scheduler``, the cluster is reached and its workers checked before the
prepare hook (minutes for every EPCI of France): an unreachable or unsuitable
cluster fails at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from abs_lib.batch.inputs import data_fingerprint, file_checksums, report_inputs, why_regenerate
from abs_lib.batch.prepare import RESERVED, resolve_prepare_hook, run_prepare
from abs_lib.batch.worker import FAILURE, NOT_RUN, STATUSES, SUCCESS, UNCHANGED, ReportOutcome, ReportTask
from abs_lib.errors import BatchError
from abs_lib.reports.provenance import PARIS

SHARED_DIR = "_partage"
NOT_RUN_TEXT = "lot interrompu avant la fin de ce rapport : relancez le lot pour le produire"


@dataclass
class BatchResult:
    """What a batch did."""

    outcomes: list[ReportOutcome]
    index: Path
    log: Path
    seconds: float
    prepare_seconds: float
    # worker -> peak memory in bytes, kernels included: {"peak_rss": …, "peak_pss": …}
    workers: dict[str, dict] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[ReportOutcome]:
        return [o for o in self.outcomes if o.status == FAILURE]

    @property
    def not_run(self) -> list[ReportOutcome]:
        """Reports the batch did not produce because it was interrupted."""
        return [o for o in self.outcomes if o.status == NOT_RUN]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_run


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def plan_tasks(territories, study, *, year, data_dir: Path | None, data_source: Path, reports_dir: Path,
               params: Mapping, force: bool = False,
               timeout: int | None = 600) -> tuple[list[ReportTask], list[ReportOutcome]]:
    """Split the batch into reports to produce and reports whose inputs did not change.

    ``data_dir`` is what ``build_report`` receives (None: its default, the demo's own
    store for demo codes); ``data_source`` is the folder whose content is checksummed.
    """
    from abs_lib import __version__

    notebook_sha = _sha256(study.notebook_path())
    data_sha = data_fingerprint(data_source)
    files_sha = file_checksums(params)  # once: the shared tables may be large
    tasks, skipped = [], []
    for territory in territories:
        requested = {"territory": territory.code, "year": year,
                     "data_dir": str(data_dir) if data_dir is not None else None,
                     **params, "level": territory.level}
        inputs = report_inputs(study=study.name, notebook_sha256=notebook_sha, abs_version=__version__,
                               parameters=requested, data_sha256=data_sha, parameter_files_sha256=files_sha)
        folder = reports_dir / territory.code
        reason = "régénération demandée (--force)" if force else why_regenerate(folder, study.name, inputs)
        if reason is None:
            skipped.append(ReportOutcome(
                territory=territory.code, level=territory.level, name=territory.name, status=UNCHANGED,
                generated_at=_published_at(folder / f"{study.name}.provenance.json"),
                fictional=territory.fictional,
            ))
            continue
        tasks.append(ReportTask(
            territory=territory.code, level=territory.level, name=territory.name, study=study, year=year,
            data_dir=requested["data_dir"], reports_dir=str(reports_dir), params=dict(params),
            inputs=inputs, timeout=timeout, reason=reason,
        ))
    return tasks, skipped


def _last_good_at(folder: Path, stem: str) -> str | None:
    """When the territory's last good report was made: published, or retired by a failure."""
    return _published_at(folder / f"{stem}.provenance.json") or _published_at(
        folder / f"{stem}.ancien.provenance.json")


def _published_at(provenance: Path) -> str | None:
    import json

    try:
        return json.loads(provenance.read_text(encoding="utf-8")).get("generated_at")
    except (OSError, ValueError):
        return None


def _check_workers(client, paths: list[str]) -> int:
    """Fail early when a worker runs another abs or cannot see the shared folders; return the worker count."""
    from abs_lib import __version__
    from abs_lib.batch.worker import worker_facts

    facts = client.run(worker_facts, paths)
    if not facts:
        raise BatchError("Aucun processus de calcul (worker Dask) n'est connecté à l'ordonnanceur.")
    for address, fact in facts.items():
        if fact["abs_version"] != __version__:
            raise BatchError(
                f"Le worker {address} a abs {fact['abs_version']}, ce poste abs {__version__} : "
                "installez la même version partout.")
        if fact["missing"]:
            raise BatchError(
                f"Le worker {address} ({fact['host']}) ne voit pas : {', '.join(fact['missing'])}. "
                "Les données, le notebook et le dossier des rapports doivent être sur un système de "
                "fichiers partagé, au même chemin sur chaque machine.")
    return len(facts)


def run_batch(
    territories,
    study,
    *,
    year: int | None = None,
    data_dir: str | Path | None = None,
    reports_dir: str | Path = "reports",
    extra_params: Mapping | None = None,
    prepare: str | Callable | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: bool = True,
    timeout: int | None = 600,
    prewarm: bool = True,
    description: str = "",
    say: Callable[[str], None] | None = None,
) -> BatchResult:
    """Produce the ``study`` report of every territory (``Territory`` objects) on Dask.

    Parameters
    ----------
    territories : list of Territory
        From :func:`abs_lib.batch.selection.select_territories`.
    study : str or Study
        Registered study name or a ``Study`` (custom notebook).
    year, data_dir, reports_dir, timeout :
        As for ``build_report``; paths are made absolute (workers may run elsewhere).
        ``data_dir`` None for demo territories: the demo's own store (checksummed through
        the demo files); otherwise ``$ABS_DATA_DIR`` or ``./data``.
    extra_params : mapping, optional
        Other notebook parameters, the same for every territory, typed by the study
        (see ``build_report``); unknown names are refused.
    prepare : callable, "module:fonction", "aucune" or None
        Prepare hook (see ``abs_lib.batch.prepare``); None: the study's registered hook, if any.
    scheduler : str, optional
        Address of an existing Dask scheduler; None: a LocalCluster of ``workers`` processes.
    force : bool
        Produce every report even when its inputs did not change.
    progress : bool
        Show a tqdm bar (counts, rate, remaining time).
    prewarm : bool
        Keep one kernel per worker for its successive reports, reset between two, started
        with the notebook's modules already imported (``keptkernel``); False: a new
        ``python3`` kernel per report.
    say : callable, optional
        Receives French lines about the batch (default: nothing).

    Returns
    -------
    BatchResult
        Never raises for a failing territory: see ``result.failed``. Raises
        ``BatchError``/``ReportError`` when the batch cannot start.
    """
    from abs_lib.config import data_dir as resolve_data_dir
    from abs_lib.config import demo_dir
    from abs_lib.reports.parameters import check_parameter_names, normalize_parameters, transportable
    from abs_lib.reports.studies import SET_BY_COMMAND, SET_BY_COMMAND_NOTE, get_study

    say = say or (lambda line: None)
    started = time.perf_counter()
    started_at = datetime.now(PARIS).isoformat(timespec="seconds")
    spec = get_study(study)
    notebook = spec.notebook_path()
    territories = list(territories)
    fictional = bool(territories) and all(t.fictional for t in territories)
    if data_dir is None and fictional:
        # The demo: build_report gives demo codes the demo's own store, made from these files.
        data_path, data_source = None, demo_dir().resolve()
    else:
        data_path = data_source = resolve_data_dir(data_dir).resolve()
    reports_path = Path(reports_dir).resolve()
    try:  # a folder where nothing can be written stops the batch before its preparation
        reports_path.mkdir(parents=True, exist_ok=True)
        tempfile.NamedTemporaryFile(dir=reports_path, prefix=".abs-essai-ecriture-").close()
    except OSError as error:
        from abs_lib.errors import describe_os_error

        raise BatchError(f"Dossier des rapports « {reports_path} » inutilisable : "
                         f"{describe_os_error(error, with_path=False)}. Choisissez un dossier où vous pouvez écrire "
                         "(--reports-dir) ou corrigez ses droits.") from None
    if not territories:
        raise BatchError("Aucun territoire à produire.")
    params = dict(extra_params or {})
    clash = sorted(RESERVED & set(params))
    if clash:
        raise BatchError(f"Paramètre(s) {', '.join(clash)} fixé(s) par le lot lui-même : retirez-les de -p.")
    # Checked and typed once here (each report does it again): a bad value stops the batch
    # before any cluster starts, and the inputs compared for resumption are the typed ones.
    check_parameter_names(params, spec.accepted_parameters(), study=spec.name,
                          hidden=RESERVED | set(SET_BY_COMMAND), note=SET_BY_COMMAND_NOTE)
    params = transportable(normalize_parameters(params, spec.parameters))

    hook = resolve_prepare_hook(spec.name, prepare)
    paths = [str(data_source), str(notebook), str(reports_path)]
    preload = None  # the workers' warm-up plugin, with the imports of their kept kernels
    if prewarm:
        from abs_lib.reports.keptkernel import notebook_imports
        from abs_lib.batch.worker import WarmUp

        preload = WarmUp(notebook_imports(notebook))
    with contextlib.ExitStack() as stack:
        client = warming = None
        if scheduler or _surely_work(territories, reports_path, spec.name, force):
            # Before the preparation: an unusable cluster fails fast, and the workers start and
            # pre-warm their kernels (seconds) while the driver computes the shared indicators.
            # A rerun whose reports may all be unchanged starts its local cluster only if needed.
            from abs_lib.batch.cluster import dask_client, scheduler_address

            if scheduler:
                scheduler = scheduler_address(scheduler)
                say(f"Connexion à l'ordonnanceur Dask {scheduler}…")
            client = stack.enter_context(dask_client(scheduler, workers=workers))
            _check_workers(client, paths)
            warming = stack.enter_context(_warm_up_workers(client, preload, shared=bool(scheduler)))
        return _prepare_and_run(
            territories, spec, hook, client, paths, year=year, data_path=data_path, data_source=data_source,
            reports_path=reports_path, params=params, scheduler=scheduler, workers=workers, force=force,
            progress=progress, timeout=timeout, preload=preload, warming=warming, description=description,
            say=say, started=started, started_at=started_at, fictional=fictional, notebook=notebook)


def _surely_work(territories, reports_path: Path, stem: str, force: bool) -> bool:
    """True when some report will be produced whatever the preparation gives (forced, or never published)."""
    return force or any(not (reports_path / t.code / f"{stem}.provenance.json").is_file() for t in territories)


@contextlib.contextmanager
def _warm_up_workers(client, preload, *, shared: bool):  # preload: a worker.WarmUp, or None
    """Register the workers' warm-up (``worker.WarmUp``) in a thread; yield that thread.

    The warm-up imports papermill/nbconvert and starts each worker's kept kernel; it
    runs while the driver prepares. On a shared cluster the kept kernels are stopped at
    the end, their memory given back.
    """
    import threading

    from abs_lib.batch.worker import WarmUp

    failure: list[BaseException] = []

    def register():
        try:
            client.register_plugin(preload if preload is not None else WarmUp(None), name=WarmUp.name)
        except BaseException as error:  # noqa: BLE001 - raised again where the reports start
            failure.append(error)

    thread = threading.Thread(target=register, name="abs-echauffement", daemon=True)
    thread.failure = failure
    thread.start()
    try:
        yield thread
    finally:
        if shared:
            thread.join(60)
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(WarmUp.name)


def _prepare_and_run(territories, spec, hook, client, paths, *, year, data_path, data_source, reports_path,
                     params, scheduler, workers, force, progress, timeout, preload, warming, description, say,
                     started, started_at, fictional, notebook) -> BatchResult:
    """The prepare hook, the plan, the reports on Dask (``client``, or a local cluster), the index."""
    from abs_lib.reports.parameters import check_parameter_names

    prep_start = time.perf_counter()
    if hook is not None:
        say(f"Préparation commune aux {len(territories)} territoires ({getattr(hook, '__name__', hook)})…")
    prepared = run_prepare(hook, territories, spec.name, year, data_path, reports_path / SHARED_DIR / spec.name)
    check_parameter_names(prepared, spec.accepted_parameters(), study=spec.name)  # else every report would fail
    params.update(prepared)
    prepare_seconds = time.perf_counter() - prep_start

    tasks, outcomes = plan_tasks(territories, spec, year=year, data_dir=data_path, data_source=data_source,
                                 reports_dir=reports_path, params=params, force=force, timeout=timeout)
    # Largest first: a big EPCI started last would leave the other workers idle at the end.
    sizes = {t.code: len(t.communes) for t in territories}
    tasks.sort(key=lambda t: -sizes.get(t.territory, 0))
    say(f"{len(territories)} territoire(s) : {len(outcomes)} inchangé(s), {len(tasks)} à produire.")

    worker_peaks: dict[str, dict] = {}
    record = {
        "study": spec.name, "notebook": str(notebook), "description": description,
        "started_at": started_at, "year": year, "data_dir": str(data_path) if data_path else None,
        "data_checksummed": str(data_source), "reports_dir": str(reports_path),
        "parameters": params, "scheduler": scheduler or "LocalCluster", "force": force,
        "prepare": getattr(hook, "__name__", None) if hook else None, "prewarm": preload is not None,
    }
    state = {"submitted": False}
    try:
        if tasks:
            _run_on_dask(tasks, outcomes, worker_peaks, state, preload, client=client, warming=warming,
                         scheduler=scheduler, workers=workers, paths=paths, progress=progress, say=say)
    except BaseException:
        if state["submitted"]:  # interrupted mid-batch: still list what was done
            if not scheduler:  # the local workers are gone: nothing uses their staging folders any more
                _remove_staging(reports_path, spec.name, tasks, outcomes)
            _finish(tasks, outcomes, worker_peaks, record, started, prepare_seconds, reports_path, spec,
                    fictional)
        raise
    seconds, index, log = _finish(tasks, outcomes, worker_peaks, record, started, prepare_seconds,
                                  reports_path, spec, fictional)
    return BatchResult(outcomes=outcomes, index=index, log=log, seconds=seconds,
                       prepare_seconds=prepare_seconds, workers=worker_peaks)


def _finish(tasks, outcomes, worker_peaks, record, started, prepare_seconds, reports_path, spec, fictional):
    """Account for reports that never came back, then write index.html and the JSON log."""
    from abs_lib.batch.index import write_index, write_log

    seconds = time.perf_counter() - started
    done = {o.territory for o in outcomes}
    for task in tasks:  # interrupted: what never came back is listed « non lancé », neither a gap nor a failure
        if task.territory not in done:
            outcomes.append(ReportOutcome(
                territory=task.territory, level=task.level, name=task.name, status=NOT_RUN,
                generated_at=_last_good_at(Path(task.reports_dir) / task.territory, spec.name),
                error=NOT_RUN_TEXT, reason=task.reason))
    produced = [o for o in outcomes if o.status != UNCHANGED and o.seconds]
    record.update(
        finished_at=datetime.now(PARIS).isoformat(timespec="seconds"),
        interrupted=any(o.status == NOT_RUN for o in outcomes),
        seconds=round(seconds, 3), prepare_seconds=round(prepare_seconds, 3),
        counts={s: sum(o.status == s for o in outcomes) for s in STATUSES},
        report_seconds=round(sum(o.seconds for o in produced), 3),
        workers={w: dict(p) for w, p in sorted(worker_peaks.items())},
    )
    index = write_index(reports_path, spec, outcomes, description=record["description"] or spec.name,
                        started_at=record["started_at"], fictional=fictional)
    log = write_log(reports_path, record, outcomes)
    return seconds, index, log


def _remove_staging(reports_path: Path, stem: str, tasks, outcomes) -> None:
    """Staging folders of the reports that never came back (their local workers were stopped)."""
    import shutil

    from abs_lib.reports.run import staging_prefix

    done = {o.territory for o in outcomes}
    for task in tasks:
        if task.territory not in done:
            for path in (reports_path / task.territory).glob(f"{staging_prefix(stem)}*"):
                shutil.rmtree(path, ignore_errors=True)


def _run_on_dask(tasks, outcomes, worker_peaks, state, preload, *, client=None, warming=None, scheduler, workers,
                 paths, progress, say) -> None:
    """Run ``tasks`` on ``client`` (already checked and warming up), else on a new local cluster."""
    from abs_lib.batch.cluster import dask_client

    if client is not None:
        _run_with_client(client, _check_workers(client, paths), tasks, outcomes, worker_peaks, state, warming,
                         scheduler=scheduler, progress=progress, say=say)
        return
    with dask_client(scheduler, workers=workers) as local:
        n_workers = _check_workers(local, paths)
        with _warm_up_workers(local, preload, shared=False) as warming:
            _run_with_client(local, n_workers, tasks, outcomes, worker_peaks, state, warming,
                             scheduler=scheduler, progress=progress, say=say)


def _run_with_client(client, n_workers, tasks, outcomes, worker_peaks, state, warming, *, scheduler, progress,
                     say) -> None:
    token = uuid.uuid4().hex[:8]  # two batches on one shared cluster never share a task key
    warming.join()
    if warming.failure:
        raise warming.failure[0]
    say(f"{len(tasks)} rapport(s) sur {n_workers} processus de calcul "
        f"({'ordonnanceur ' + scheduler if scheduler else 'cluster local'}).")
    state["submitted"] = True
    _submit_and_collect(client, tasks, outcomes, worker_peaks, token, progress)


def _submit_and_collect(client, tasks, outcomes, worker_peaks, token, progress) -> None:
    from distributed import as_completed
    from tqdm.auto import tqdm

    from abs_lib.batch.worker import run_report_task

    by_key = {}
    futures = []
    for rank, task in enumerate(tasks):
        future = client.submit(run_report_task, task, key=f"rapport-{task.study.name}-{task.territory}-{token}",
                               pure=False, priority=len(tasks) - rank)
        by_key[future.key] = task
        futures.append(future)
    counts = {SUCCESS: 0, FAILURE: 0}
    with tqdm(total=len(tasks), unit="rapport", desc="Rapports", disable=not progress,
              dynamic_ncols=True) as bar:
        for future in as_completed(futures):
            task = by_key[future.key]
            try:
                outcome = future.result()
            except Exception as error:  # noqa: BLE001 - a worker lost, a task killed: record it
                outcome = ReportOutcome(
                    territory=task.territory, level=task.level, name=task.name, status=FAILURE,
                    error=f"le processus de calcul a échoué : {type(error).__name__} : {error}",
                    reason=task.reason)
            outcomes.append(outcome)
            if outcome.worker and outcome.peak_rss:
                peaks = worker_peaks.setdefault(outcome.worker, {"peak_rss": 0, "peak_pss": None})
                peaks["peak_rss"] = max(peaks["peak_rss"], outcome.peak_rss)
                if outcome.peak_pss:
                    peaks["peak_pss"] = max(peaks["peak_pss"] or 0, outcome.peak_pss)
            counts[outcome.status] += 1
            bar.set_postfix_str(f"réussis={counts[SUCCESS]}, échecs={counts[FAILURE]}", refresh=False)
            bar.update(1)
            future.release()
