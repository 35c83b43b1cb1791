"""Turn parameters that went through papermill, the CLI or YAML back into what a study expects.

Why: the same study parameter reaches a notebook in many shapes. ``abs report -p NAME
VALUE`` gives text (``"2016"``); ``papermill -p territory 01001`` converts anything
``int()`` accepts, so the commune code ``01001`` arrives as the integer ``1001``;
YAML 1.1 (PyYAML, used by ``papermill -f``) even reads an unquoted ``01001`` as the
octal number 513; a list of themes may come as a YAML list or as the text
``"petite-enfance,logement"``. Each study declares its parameters
(``abs_lib.reports.studies``: name -> :class:`Param`) and :func:`normalize_parameters`
gives each one its declared type, with French errors: codes are text (the rules live
in ``abs_lib.territories.codes``), years integers, lists lists, paths
``pathlib.Path``. ``abs report``/``abs batch`` call it before papermill, and the study
notebook calls it again right below its parameters cell, so a notebook run with the
``papermill`` command gets the same values.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from abs_lib.errors import AbsError, ReportError, UsageError, echo

_YAML_HINT = (
    " Si le code vient d'un fichier YAML, mettez-le entre guillemets (territory: \"01001\") : "
    "sans guillemets, YAML lit 01001 comme le nombre octal 513. Avec la commande papermill, "
    "passez-le avec -r (valeur brute) plutôt que -p."
)

#: What each kind of parameter must be once normalised (used in French messages).
KINDS = {
    "code": "un code de territoire (texte)",
    "str": "un texte",
    "int": "un nombre entier (ex. 2019)",
    "bool": "oui/non (true/false)",
    "list": "une liste (ex. petite-enfance,logement)",
    "path": "un chemin de fichier",
}


def normalize_code(value, level: str | None = None) -> str:
    """Return ``value`` as an INSEE-shaped territory code (string), or raise ``ReportError``.

    Delegates to :func:`abs_lib.territories.codes.normalize_code` (the one set of
    rules: ``1001`` -> ``"01001"``, ``1`` -> ``"01"``, ``200000925`` stays; give
    ``level`` for fictional demo codes such as EPCI ``"000000001"`` that arrived as
    ``1``) and turns its error into a ``ReportError`` that says how to pass codes
    to papermill or YAML.
    """
    from abs_lib.territories.codes import normalize_code as territory_code

    try:
        return territory_code(value, level=level)
    except AbsError as error:
        if isinstance(error, UsageError) and isinstance(value, str):
            raise  # typed as text and malformed ("021292"): its message says what codes look like
        hint = "" if isinstance(value, str) else _YAML_HINT
        raise ReportError(f"Code de territoire invalide : {echo(repr(value))}. {error}{hint}") from None


@dataclass(frozen=True)
class Param:
    """What a study parameter must be once normalised.

    kind: one of :data:`KINDS`:

    - ``code``: territory code, see :func:`normalize_code`; with ``names`` a text that
      is not a code (a territory name) is kept as is, for ``open_portrait`` to resolve;
    - ``int``: ``2016``, ``"2016"``, ``2016.0``; ``bool``: true/false, oui/non, 1/0;
    - ``str``: any value, as text;
    - ``list``: a list (or tuple), or a text split on commas and semicolons
      (``"petite-enfance;logement"``); ``""`` is the empty list;
    - ``path``: an absolute ``pathlib.Path`` (``~`` expanded; a relative path is taken
      from the current folder); ``""`` means none (an optional parameter is then None).

    level: fixed territory level for a ``code``; level_param: name of another
    parameter holding the level (e.g. ``"level"``). optional: ``None`` is allowed.
    choices: for ``str`` and ``list``, a callable returning the valid values (a mapping
    id -> French label, or ids); a value matches an id or a label whatever its case,
    accents, spaces or underscores, and becomes the id. must_exist: for ``path``,
    the file must exist. label: French description used in errors (e.g. "thème").
    """

    kind: str
    level: str | None = None
    level_param: str | None = None
    optional: bool = False
    names: bool = False
    choices: Callable[[], Mapping | Iterable] | None = None
    must_exist: bool = False
    label: str = "choix"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r}")


_TRUE = {"true", "vrai", "oui", "yes", "1"}
_FALSE = {"false", "faux", "non", "no", "0"}
_SEPARATORS = re.compile(r"[,;]")


def _fold(text: str) -> str:
    """Comparison key: lower case, no accents, spaces and underscores as dashes."""
    text = unicodedata.normalize("NFKD", str(text).strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s_]+", "-", text)


def _choices(param: Param) -> tuple[list[str], dict[str, str]]:
    """The valid ids, and each comparison key (of an id or a label) -> id."""
    raw = param.choices()
    labels = dict(raw) if isinstance(raw, Mapping) else {str(c): str(c) for c in raw}
    keys: dict[str, str] = {}
    for ident, label in labels.items():
        keys.setdefault(_fold(label), ident)
    for ident in labels:
        keys[_fold(ident)] = ident
    return list(labels), keys


def _choose(name: str, value, param: Param) -> str:
    ids, keys = _choices(param)
    text = str(value).strip()
    if text in ids:
        return text
    found = keys.get(_fold(text))
    if found is not None:
        return found
    close = difflib.get_close_matches(_fold(text), list(keys), n=1, cutoff=0.6)
    hint = f" Vouliez-vous dire « {keys[close[0]]} » ?" if close else ""
    raise ReportError(
        f"Paramètre « {name} » : {param.label} « {text} » inconnu.{hint} "
        f"Valeurs possibles : {', '.join(ids)}."
    )


def _as_list(name: str, value) -> list:
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):  # "[logement, petite-enfance]", YAML-like
            import yaml

            try:
                loaded = yaml.safe_load(text)
            except yaml.YAMLError:
                loaded = None
            if isinstance(loaded, list):
                return _as_list(name, loaded)
            text = text[1:-1]
        return [part.strip().strip("'\"").strip() for part in _SEPARATORS.split(text)]
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if isinstance(item, (str, int)) and not isinstance(item, bool):
                items.append(str(item).strip())
            else:
                raise ReportError(
                    f"Paramètre « {name} » invalide : {value!r} ; chaque élément doit être un texte.")
        return items
    raise ReportError(f"Paramètre « {name} » invalide : {value!r} ; attendu {KINDS['list']}.")


def _path(name: str, value, param: Param):
    if isinstance(value, str) and not value.strip():
        if param.optional:
            return None
        raise ReportError(f"Paramètre « {name} » manquant : indiquez un chemin de fichier.")
    if not isinstance(value, (str, os.PathLike)):
        raise ReportError(f"Paramètre « {name} » invalide : {value!r} ; attendu {KINDS['path']}.")
    path = Path(os.path.abspath(os.path.expanduser(os.fspath(value).strip())))
    if param.must_exist:
        if not path.exists():
            given = "" if str(path) == os.fspath(value) else f" (chemin donné : {os.fspath(value)})"
            raise ReportError(
                f"Fichier introuvable pour le paramètre « {name} » : {path}{given}. "
                "Vérifiez le chemin (relatif au dossier où la commande est lancée)."
            )
        if not path.is_file():
            raise ReportError(f"Paramètre « {name} » : {path} n'est pas un fichier.")
    return path


def _convert(name: str, value, param: Param, params: Mapping):
    if value is None:
        if param.optional:
            return None
        raise ReportError(f"Paramètre « {name} » manquant : il est obligatoire pour cette étude.")
    kind = param.kind
    if kind == "code":
        level = param.level or (params.get(param.level_param) if param.level_param else None)
        if param.names and isinstance(value, str):
            from abs_lib.territories.codes import parse_code

            try:
                is_name = parse_code(value, level) is None
            except AbsError:  # code-like but fits no level: normalize_code says why
                is_name = False
            if is_name:
                return value  # a territory name: open_portrait resolves it
        return normalize_code(value, level=level)
    if kind == "str":
        text = value if isinstance(value, str) else str(value)
        return _choose(name, text, param) if param.choices is not None else text
    if kind == "int":
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
            return int(value)
        raise ReportError(f"Paramètre « {name} » invalide : {value!r} ; attendu {KINDS['int']}.")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        key = str(value).strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise ReportError(f"Paramètre « {name} » invalide : {value!r} ; attendu {KINDS['bool']}.")
    if kind == "list":
        items = [item for item in _as_list(name, value) if item]
        if param.choices is not None:
            items = [_choose(name, item, param) for item in items]
        return list(dict.fromkeys(items))  # without repeats, in the order given
    if kind == "path":
        return _path(name, value, param)
    raise ValueError(f"unknown parameter kind {kind!r}")


def normalize_parameters(params: Mapping, spec: Mapping[str, Param]) -> dict:
    """Return a copy of ``params`` where each parameter named in ``spec`` has its expected type.

    Parameters not in ``spec`` are passed through unchanged (refuse them first with
    :func:`check_parameter_names` where that matters); parameters of ``spec`` absent
    from ``params`` are not added (the notebook's defaults apply). Idempotent.

    In a study notebook, right below the parameters cell::

        globals().update(normalize_parameters(globals(), STUDIES[STUDY].parameters))
    """
    out = dict(params)
    for name, param in spec.items():
        if name in out:
            out[name] = _convert(name, out[name], param, out)
    return out


def check_parameter_names(names: Iterable[str], accepted: Iterable[str], *, study: str,
                          hidden: Iterable[str] = (), note: str = "") -> None:
    """Refuse parameter names the study does not take, in French, with the closest match.

    The message lists ``accepted`` but ``hidden`` (names set by other means, which
    ``note`` may explain).
    """
    accepted = list(accepted)
    unknown = [name for name in names if name not in accepted]
    if not unknown:
        return
    hidden = set(hidden)
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(str(name), accepted, n=1, cutoff=0.6)
        parts.append(f"« {name} »" + (f" (vouliez-vous dire « {close[0]} » ?)" if close else ""))
    plural = "s" if len(unknown) > 1 else ""
    shown = ", ".join(name for name in accepted if name not in hidden)
    raise ReportError(
        f"Paramètre{plural} inconnu{plural} pour l'étude « {study} » : {', '.join(parts)}. "
        f"Paramètres de cette étude : {shown}.{' ' + note if note else ''}"
    )


def transportable(params: Mapping) -> dict:
    """``params`` as papermill and JSON carry them: paths as text, tuples as lists."""
    out = {}
    for name, value in params.items():
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out
