"""abs_lib: reproducible social-needs analyses (ABS) for French territories.

Data flows one way: ``sources`` (catalog, fetch/import, readers) ->
``territories`` (membership, history) -> ``indicators`` -> notebooks -> reports.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("abs-lib")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"
