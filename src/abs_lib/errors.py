"""Errors raised by abs_lib.

Every error carries a French message for the analyst that names the problem and
the fix. The command line prints ``str(error)`` and exits non-zero, without a
traceback.
"""


class AbsError(Exception):
    """Base class: a user-facing problem with a French explanation."""


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
        msg = f"Territoire introuvable : « {query} »."
        if self.suggestions:
            msg += " Vouliez-vous dire : " + " ; ".join(self.suggestions) + " ?"
        else:
            msg += " Donnez un code INSEE (commune, département, région) ou un SIREN d'EPCI, ou un nom."
        super().__init__(msg)


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
