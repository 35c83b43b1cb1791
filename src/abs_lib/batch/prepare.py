"""The prepare hook: work done once for the whole batch, in the driver, before any report.

Why: computing the indicators of 1,250 EPCI one notebook at a time reads the
same national files 1,250 times. A hook computes them once for every territory
of the batch, writes them to a shared file, and returns the notebook parameters
that point to it (e.g. ``{"shared_tables": "/…/indicateurs.parquet"}``); every
report of the batch then receives these parameters.

A hook is ``prepare(territories, study, year, data_dir, out_dir) -> dict``:
``territories`` the batch's :class:`~abs_lib.territories.Territory` list,
``study`` the study name, ``year`` the study year (or None), ``data_dir`` the
absolute data folder (None for the demo: like the notebooks, use the demo's own
store), ``out_dir`` a folder reserved for the hook (on the shared file system,
under the reports folder: ``<rapports>/_partage/<étude>/``). Register one per study with
:func:`register_prepare_hook`, or name one on the command line
(``--preparation paquet.module:fonction``). Default: the packaged studies
precompute their indicators (``abs_lib.portrait.shared``); other studies, none.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path

from abs_lib.errors import BatchError

PrepareHook = Callable[..., Mapping]

#: Study name -> hook run before its batches, registered at run time.
PREPARE_HOOKS: dict[str, PrepareHook] = {}

#: Hooks of the packaged studies: their indicators are computed once per batch.
DEFAULT_HOOKS = {study: "abs_lib.portrait.shared:precompute_shared_tables"
                 for study in ("diagnostic", "actualisation", "explorer")}

#: Parameters set by the batch itself, which a hook may not override.
RESERVED = frozenset({"territory", "year", "data_dir", "level", "tables_dir"})
NO_HOOK = "aucune"


def register_prepare_hook(study: str, hook: PrepareHook | None) -> None:
    """Run ``hook`` before every batch of ``study`` (None removes it)."""
    if hook is None:
        PREPARE_HOOKS.pop(study, None)
    else:
        PREPARE_HOOKS[study] = hook


def resolve_prepare_hook(study: str, spec: str | PrepareHook | None = None) -> PrepareHook | None:
    """The hook to run: ``spec`` (a callable, ``"module:fonction"`` or ``"aucune"``), else the study's."""
    if callable(spec):
        return spec
    if spec is None:
        if study in PREPARE_HOOKS:
            return PREPARE_HOOKS[study]
        spec = DEFAULT_HOOKS.get(study)
        if spec is None:
            return None
    if spec.strip().lower() == NO_HOOK:
        return None
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise BatchError(f"Préparation « {spec} » invalide : écrivez paquet.module:fonction (ou « {NO_HOOK} »).")
    try:
        hook = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as error:
        raise BatchError(f"Préparation « {spec} » introuvable : {error}.") from None
    if not callable(hook):
        raise BatchError(f"Préparation « {spec} » : ce n'est pas une fonction.")
    return hook


def run_prepare(hook: PrepareHook | None, territories, study: str, year, data_dir: Path | None,
                out_dir: Path) -> dict:
    """Run ``hook`` once and check what it returns: a dict of JSON-able notebook parameters."""
    if hook is None:
        return {}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = hook(list(territories), study, year, Path(data_dir) if data_dir is not None else None, out_dir)
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise BatchError(f"La préparation du lot doit renvoyer un dictionnaire de paramètres, pas {type(params).__name__}.")
    params = dict(params)
    clash = sorted(RESERVED & set(params))
    if clash:
        raise BatchError(f"La préparation du lot ne peut pas fixer le(s) paramètre(s) {', '.join(clash)}.")
    for name, value in params.items():
        if isinstance(value, Path):
            params[name] = str(value.resolve())
        try:
            json.dumps(params[name])
        except TypeError:
            raise BatchError(f"Paramètre « {name} » de la préparation non transmissible au notebook "
                             f"({type(value).__name__}) : donnez un texte, un nombre ou un chemin.") from None
    return params
