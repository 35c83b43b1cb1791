"""Errors raised by abs_lib.

Every error carries a French message for the analyst that names the problem and
the fix. The command line prints ``str(error)`` and exits non-zero, without a
traceback: status 2 for a :class:`UsageError` (the command line itself is wrong:
a malformed value, a path of the wrong kind; nothing was done), 1 for any other
error (the command started and could not finish).
"""

from __future__ import annotations

import errno

ECHO_LIMIT = 80
"""Longest piece of the analyst's input echoed back in a message (see :func:`echo`)."""


def echo(value, limit: int = ECHO_LIMIT) -> str:
    """``value`` as text for a message, cut to ``limit`` characters with its length said.

    A message quotes what the analyst typed (« dijon »); a 100 000-character name
    must not come back whole.
    """
    text = str(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} caractères)"


class AbsError(Exception):
    """Base class: a user-facing problem with a French explanation."""


class UsageError(AbsError):
    """The command line asks for something that cannot be (exit status 2): a malformed
    value (code, address, number), a path of the wrong kind (a folder for a file…)."""


class OutputPathError(UsageError):
    """An output path that abs must not replace: a folder, a device, a named pipe (FIFO)…"""


class Interrupted(KeyboardInterrupt):
    """The process received SIGTERM (or SIGINT): cleaned up like Ctrl-C, then exit 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class SourceFileError(AbsError):
    """A data file is unreadable, of an unknown kind, or lacks a required column."""


class MissingColumnError(SourceFileError):
    """A required column is absent from a file."""

    def __init__(self, path, columns, dataset=None):
        self.path = str(path)
        self.columns = list(columns)
        what = f" (jeu de données « {dataset} »)" if dataset else ""
        cols = ", ".join(self.columns)
        super().__init__(
            f"Colonne(s) obligatoire(s) absente(s) du fichier {self.path}{what} : {cols}. "
            "Vérifiez que le fichier est bien l'original publié (ou un extrait qui garde ces colonnes)."
        )


class UnrecognizedFileError(SourceFileError):
    """``abs data import`` could not tell which dataset a file is."""


class DamagedTableError(AbsError):
    """A table of the local store no longer reads (truncated or altered parquet file)."""


class DownloadError(AbsError):
    """A download failed (offline, proxy, HTTP error) or its checksum did not match."""


class DatasetNotFoundError(AbsError):
    """A dataset or vintage asked for is neither in the catalog nor in the local store."""


class TerritoryNotFoundError(AbsError):
    """A territory code or name matches nothing; carries the closest matches."""

    def __init__(self, query, suggestions=()):
        self.query = query
        self.suggestions = list(suggestions)
        msg = f"Territoire introuvable : « {echo(query)} »."
        if self.suggestions:
            msg += " Vouliez-vous dire : " + " ; ".join(self.suggestions) + " ?"
        else:
            msg += " Donnez un code INSEE (commune, département, région) ou un SIREN d'EPCI, ou un nom."
        super().__init__(msg)


CODE_SHAPES = (
    "Un code de commune a 5 caractères (21231, 2A004), un code d'EPCI (SIREN) 9 chiffres (200000925), "
    "un code de département 2 ou 3 (21, 2A, 971), un code de région 2 (27, avec le niveau « region ») ; "
    "on peut aussi donner un nom (« Plaine Dijonnaise »)."
)


class InvalidCodeError(TerritoryNotFoundError, UsageError):
    """Something code-like (digits) that is no territory code of any level: ``021292``."""

    def __init__(self, query, why: str):
        Exception.__init__(self, f"« {echo(query)} » n'est pas un code de territoire : {why}. {CODE_SHAPES}")
        self.query = query
        self.suggestions = []


class AmbiguousTerritoryError(AbsError):
    """A name matches several territories equally well."""


class HarmonisationError(AbsError):
    """Data cannot be put on another geography (e.g. a commune was split)."""


class IndicatorError(AbsError):
    """The indicator registry is invalid, or inputs given to the indicator engine are malformed."""


class NonComparableVintagesError(IndicatorError):
    """Two census vintages are too close for INSEE to allow comparing them as a trend."""


class FigureError(AbsError):
    """A figure cannot be drawn from what it was given (no source, malformed table, codes…)."""


class ReportError(AbsError):
    """A report could not be produced: study notebook missing or failing, export refused."""


class CatalogError(AbsError):
    """The source catalog (catalog.yaml) is malformed: a missing field, a bad URL or level."""


class BatchError(AbsError):
    """A batch of reports cannot start: bad selection, unreachable Dask scheduler, workers unlike the driver."""


_OS_ERRORS = {
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EDQUOT: "quota de disque dépassé",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin est un fichier, pas un dossier",
    errno.EISDIR: "c'est un dossier",
    errno.EEXIST: "existe déjà",
    errno.ENOTEMPTY: "dossier non vide",
    errno.ELOOP: "liens symboliques en boucle",
    errno.ENAMETOOLONG: "nom trop long",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EXDEV: "déplacement impossible entre deux systèmes de fichiers",
}


def describe_os_error(error: OSError, *, with_path: bool = True) -> str:
    """``error`` in French: what failed (on which path), without Python's English."""
    what = _OS_ERRORS.get(error.errno) or (error.strerror or type(error).__name__)
    paths = [p for p in (error.filename, error.filename2) if p is not None and with_path]
    where = " -> ".join(f"« {echo(p, 200)} »" for p in paths)
    return f"{where} : {what}" if where else what
