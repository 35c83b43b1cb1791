"""Optional modules the notebook tooling imports when installed, and abs never uses.

``rfc3987_syntax`` (an IRI format checker that jsonschema loads if present; nbformat imports
jsonschema) compiles an Earley grammar when imported: 2.5 s of CPU in every process that
imports nbformat. A batch has five such processes (driver, two workers, two kernel fork
servers): 12 s of CPU before the first report. Each abs entry point marks it absent first.
"""

from __future__ import annotations

import sys

UNUSED_OPTIONAL_MODULES = ("rfc3987_syntax",)


def skip_unused_optional_imports() -> None:
    """Mark :data:`UNUSED_OPTIONAL_MODULES` absent in this process, before nbformat is imported.

    jsonschema then leaves out the « iri » format check, which neither nbformat nor papermill
    asks for. A module already imported is left as it is.
    """
    for name in UNUSED_OPTIONAL_MODULES:
        sys.modules.setdefault(name, None)
