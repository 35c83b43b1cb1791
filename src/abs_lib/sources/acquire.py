"""Carry out a fetch plan: probe the network, download and store what can be, say the rest.

:mod:`abs_lib.sources.plan` decides which files a study needs; this module
does the side effects, in an order that keeps the data folder clean:

1. nothing to download: nothing is touched;
2. offline (``ABS_OFFLINE`` set, or no server of the plan answers a short
   probe): :class:`OfflineError` is raised before anything is written, so the
   data folder stays byte-for-byte as it was (no cache, no empty folders);
3. otherwise each archive is downloaded once with
   :func:`abs_lib.sources.fetch.fetch_dataset` (cache, checksum when known,
   progress bar) and its tables stored; a failed download becomes an
   unavailable file with the French reason, and the others still go in.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import requests

from abs_lib.config import OFFLINE_ENV  # defined there for the CLI's help; imported from here too
from abs_lib.config import data_dir as resolve_data_dir
from abs_lib.errors import AbsError, DownloadError
from abs_lib.sources.catalog import Catalog, load_catalog
from abs_lib.sources.fetch import USER_AGENT, _rebase, cache_directory, fetch_dataset
from abs_lib.sources.plan import FAILED, OBTAINED, FetchPlan, PlannedFile, build_plan, plan_territory
from abs_lib.sources.store import Store

PROBE_TIMEOUT_SECONDS = 5.0
_TRUE = ("1", "true", "yes", "oui", "vrai")


class OfflineError(DownloadError):
    """The plan has files to download but no server answers: nothing was written."""

    def __init__(self, plan: FetchPlan, hosts: list[str], why: str, data_root: Path):
        self.plan = plan
        self.hosts = hosts
        self.data_root = data_root
        n = len(plan.to_download)
        super().__init__(
            f"Hors ligne : {why}. Aucun des {n} fichier(s) à télécharger ne l'a été et rien n'a été écrit "
            f"dans {data_root}."
        )


def plan_for(
    query,
    *,
    study: str | None = None,
    since: int | None = None,
    data_dir: str | os.PathLike | None = None,
    year: int | None = None,
    catalog: Catalog | None = None,
    registry=None,
) -> FetchPlan:
    """The plan of ``study`` for the territory ``query`` (code or name), against the local store.

    Reads the reference geography and the store's manifests; writes nothing.
    """
    from abs_lib.demo import is_demo_code
    from abs_lib.indicators.registry import load_registry
    from abs_lib.territories import find_territory

    if isinstance(query, str) and query.strip().isdigit() and is_demo_code(query.strip()):
        raise AbsError(
            f"« {query} » est un territoire fictif de démonstration : ses données sont livrées avec abs, "
            "rien à télécharger (voir `abs demo`)."
        )
    territory = find_territory(query, year)
    root = resolve_data_dir(data_dir)
    present = [(e.dataset, e.vintage, e.level) for e in Store(root).entries()]
    return build_plan(
        plan_territory(territory), catalog=catalog or load_catalog(), registry=registry or load_registry(),
        study=study, since=since, present=present,
    )


# ---------------------------------------------------------------------- network
def offline_forced() -> bool:
    """``ABS_OFFLINE=1`` (or oui/true…): behave as if no server answered."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in _TRUE


def _host(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


def probe_hosts(hosts: list[str], timeout: float = PROBE_TIMEOUT_SECONDS) -> dict[str, bool]:
    """Does each host answer at all (any HTTP status) within ``timeout`` seconds?

    All hosts are probed at once, in daemon threads, so a name lookup that hangs
    cannot hold the command longer than ``timeout`` (plus a second).
    """
    answers: dict[str, bool] = {host: False for host in hosts}

    def knock(host: str) -> None:
        try:
            requests.head(host + "/", timeout=timeout, allow_redirects=False, headers={"User-Agent": USER_AGENT})
        except requests.exceptions.RequestException:
            return
        answers[host] = True

    threads = [threading.Thread(target=knock, args=(host,), daemon=True) for host in hosts]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout + 1
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return dict(answers)


# ---------------------------------------------------------------------- downloads
def carry_out(
    plan: FetchPlan,
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
    base_url: str | None = None,
    catalog: Catalog | None = None,
    probe_timeout: float = PROBE_TIMEOUT_SECONDS,
) -> FetchPlan:
    """Download and store every fetchable file of ``plan``; return the plan with final statuses.

    Raises :class:`OfflineError` before writing anything when there is something
    to download and no server answers (or ``ABS_OFFLINE`` is set).
    """
    root = resolve_data_dir(data_dir)
    todo = plan.to_download
    if not todo:
        return plan
    by_host: dict[str, list[PlannedFile]] = {}
    for f in todo:
        by_host.setdefault(_host(_rebase(f.url, base_url)), []).append(f)
    hosts = list(by_host)
    if offline_forced():
        raise OfflineError(plan, hosts, f"la variable {OFFLINE_ENV} demande de ne rien télécharger", root)
    answers = probe_hosts(hosts, probe_timeout)
    if not any(answers.values()):
        names = ", ".join(urlparse(h).netloc for h in hosts)
        raise OfflineError(plan, hosts, f"aucun serveur n'a répondu en {probe_timeout:g} s ({names})", root)

    changes: dict[tuple, PlannedFile] = {}
    for host, ok in answers.items():
        if not ok:
            for f in by_host[host]:
                changes[f.key] = replace(f, status=FAILED, reason=(
                    f"serveur injoignable ({urlparse(host).netloc} n'a pas répondu en {probe_timeout:g} s) ; "
                    "relancez plus tard ou téléchargez le fichier à la main"))

    cache = cache_directory(root, cache_dir)
    created = [p for p in (root, cache) if not p.exists()]
    catalog = catalog or load_catalog()
    groups: dict[tuple, list[PlannedFile]] = {}
    for f in todo:
        if f.key not in changes:
            groups.setdefault((f.dataset, f.vintage, f.url), []).append(f)
    try:
        for (dataset, vintage, _url), files in groups.items():
            levels = [f.level for f in files]
            try:
                entries = fetch_dataset(dataset, vintage, levels=levels, data_dir=root, cache_dir=cache_dir,
                                        progress=progress, catalog=catalog, base_url=base_url)
            except AbsError as error:
                for f in files:
                    changes[f.key] = replace(f, status=FAILED, reason=str(error))
                continue
            rows = {e.level: e.rows for e in entries}
            for f in files:
                changes[f.key] = replace(f, status=OBTAINED, reason=None, rows=rows.get(f.level))
    finally:
        _remove_if_empty(reversed(created))
    return plan.updated(changes)


def _remove_if_empty(folders) -> None:
    """Folders this run created and left empty (every download failed) are removed again."""
    for folder in folders:
        try:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        except OSError:
            pass
