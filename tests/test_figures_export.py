"""A figure reaches the report page with its French alt text and its display width.

``display.Png`` returns ``(png, {"alt", "width"})`` from ``_repr_png_``; the kernel files
them as the output's metadata and nbconvert's basic template (based on "classic") writes
them on the ``<img>`` (``get_metadata('alt', 'image/png')``)."""

import html
import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from abs_lib.plots import style
from abs_lib.reports.execute import execute_study
from abs_lib.reports.export import render_html

CELL = """\
import pandas as pd
from IPython.display import display
from abs_lib.plots import compare_bars
from abs_lib.portrait.display import Png
values = pd.Series([7.1, 10.9, float("nan")], index=["CC de la Plaine Dijonnaise", "Côte-d'Or", "France métropolitaine"])
display(Png(compare_bars(values, "%", "Part des 75 ans ou plus (2019)", "Insee, RP 2019",
                         reasons={"France métropolitaine": "non importé"})))
"""
ALT = ("Diagramme en barres : Part des 75 ans ou plus (2019). CC de la Plaine Dijonnaise : 7,1\u00a0% ; "
       "Côte-d'Or : 10,9\u00a0% ; France métropolitaine : n.d. (non importé).")


def test_basic_template_reads_alt_and_width_from_output_metadata():
    import nbconvert

    templates = Path(nbconvert.__file__).resolve().parents[3] / "share" / "jupyter" / "nbconvert" / "templates"
    if not templates.is_dir():  # installed elsewhere (system-wide): ask jupyter where
        from jupyter_core.paths import jupyter_path

        templates = next(Path(p) / "nbconvert" / "templates" for p in jupyter_path()
                         if (Path(p) / "nbconvert" / "templates" / "classic").is_dir())
    assert '"base_template": "classic"' in (templates / "basic" / "conf.json").read_text()
    classic = (templates / "classic" / "base.html.j2").read_text()
    assert "get_metadata('alt', 'image/png')" in classic and "get_metadata('width', 'image/png')" in classic


def test_executed_notebook_exports_img_with_alt_and_width(tmp_path):
    notebook = tmp_path / "figure.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("territory = 'x'", metadata={"tags": ["parameters"]}),
                                       new_code_cell(CELL)],
                                metadata={"kernelspec": {"name": "python3", "language": "python",
                                                         "display_name": "Python 3"}}), notebook)
    nb = execute_study(notebook, tmp_path / "out.ipynb", {}, cwd=tmp_path)
    output = nb.cells[-1].outputs[0]
    assert output.metadata["image/png"] == {"alt": ALT, "width": style.CSS_WIDTH}
    page, _ = render_html(nb, title="Essai")
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) == 1
    img = images[0]
    assert f'alt="{html.escape(ALT)}"' in img or f'alt="{ALT}"' in html.unescape(img)
    assert re.search(rf"width\s*=\s*\"?{style.CSS_WIDTH}\b", img), img
