"""Reports: run a study notebook for a territory and publish a self-contained French page.

One module per step, each usable alone by a batch worker:
``parameters`` (codes back to strings) -> ``execute`` (papermill, same interpreter
via ``kernel``) -> ``export`` (HTML without code) -> ``provenance`` (the closing
block) -> ``tables`` (CSV/XLSX) ; ``run.build_report`` chains them, ``studies`` is
the registry of studies. Heavy imports (papermill, nbconvert) happen inside the
functions, so importing this package stays cheap.
"""
