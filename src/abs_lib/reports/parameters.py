"""Turn parameters that went through papermill, the CLI or YAML back into what a study expects.

Why: ``papermill -p territory 01001`` converts anything ``int()`` accepts, so the
commune code ``01001`` arrives as the integer ``1001``; YAML 1.1 (PyYAML, used by
``papermill -f``) even reads an unquoted ``01001`` as the octal number 513. INSEE
codes are strings: this module restores their shape (the rules live in
``abs_lib.territories.codes``) and converts the other study parameters
(years, flags) to their declared type, with French errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from abs_lib.errors import AbsError, ReportError

_YAML_HINT = (
    " Si le code vient d'un fichier YAML, mettez-le entre guillemets (territory: \"01001\") : "
    "sans guillemets, YAML lit 01001 comme le nombre octal 513. Avec la commande papermill, "
    "passez-le avec -r (valeur brute) plutôt que -p."
)


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
        hint = "" if isinstance(value, str) else _YAML_HINT
        raise ReportError(f"Code de territoire invalide : {value!r}. {error}{hint}") from None


@dataclass(frozen=True)
class Param:
    """What a study parameter must be once normalised.

    kind: ``code`` (territory code, see ``normalize_code``), ``int``, ``str`` or ``bool``.
    level: fixed territory level for a ``code``; level_param: name of another
    parameter holding the level (e.g. ``"level"``). optional: ``None`` is allowed.
    """

    kind: str
    level: str | None = None
    level_param: str | None = None
    optional: bool = False


_TRUE = {"true", "vrai", "oui", "yes", "1"}
_FALSE = {"false", "faux", "non", "no", "0"}


def _convert(name: str, value, param: Param, params: Mapping):
    if value is None:
        if param.optional:
            return None
        raise ReportError(f"Paramètre « {name} » manquant : il est obligatoire pour cette étude.")
    kind = param.kind
    if kind == "code":
        level = param.level or (params.get(param.level_param) if param.level_param else None)
        return normalize_code(value, level=level)
    if kind == "str":
        return value if isinstance(value, str) else str(value)
    if kind == "int":
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return value
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        raise ReportError(f"Paramètre « {name} » invalide : {value!r} ; attendu un nombre entier (ex. 2019).")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        key = str(value).strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise ReportError(f"Paramètre « {name} » invalide : {value!r} ; attendu oui/non (true/false).")
    raise ValueError(f"unknown parameter kind {kind!r}")


def normalize_parameters(params: Mapping, spec: Mapping[str, Param]) -> dict:
    """Return a copy of ``params`` where each parameter named in ``spec`` has its expected type.

    Parameters not in ``spec`` are passed through unchanged; parameters of ``spec``
    absent from ``params`` are not added (the notebook's defaults apply).
    """
    out = dict(params)
    for name, param in spec.items():
        if name in out:
            out[name] = _convert(name, out[name], param, out)
    return out
