"""abs_lib: reproducible social-needs analyses (ABS) for French territories.

Data flows one way: ``sources`` (catalog, fetch/import, readers) ->
``territories`` (membership, history) -> ``indicators`` -> notebooks -> reports.
"""



def __getattr__(name: str):
    """``__version__`` read from the installed metadata on first use (importlib.metadata is slow to import)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("abs-lib")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0.0.0+local"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module 'abs_lib' has no attribute {name!r}")
