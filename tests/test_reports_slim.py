"""The stored executed notebook keeps every cell and text, and names each figure instead of embedding it twice."""

import base64

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from abs_lib.reports.slim import without_images

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 64).decode()


def _notebook():
    return new_notebook(cells=[
        new_code_cell("show.figure(...)", outputs=[new_output(
            "display_data", data={"image/png": PNG, "text/plain": "<Png>"},
            metadata={"image/png": {"alt": "Carte : revenu médian par commune (2019)", "width": 640}})]),
        new_code_cell("show.table(...)", outputs=[new_output(
            "display_data", data={"text/html": "<table class='abs-communes'></table>", "text/plain": "t"})]),
        new_code_cell("figure sans description", outputs=[new_output(
            "display_data", data={"image/png": PNG}, metadata={})]),
    ])


def test_figures_become_their_description_and_tables_stay():
    nb = without_images(_notebook(), "diagnostic.html")
    first, table, bare = (c.outputs[0] for c in nb.cells)
    assert first.data == {"text/plain": "[Figure dans diagnostic.html : Carte : revenu médian par commune (2019)]"}
    assert bare.data == {"text/plain": "[Figure dans diagnostic.html]"}
    assert table.data["text/html"] == "<table class='abs-communes'></table>"
    assert nb.metadata["abs"]["images_dans_la_page"] == 2
    assert [c.source for c in nb.cells] == ["show.figure(...)", "show.table(...)", "figure sans description"]
    nbformat.validate(nb)   # still a valid notebook JupyterLab opens
    assert PNG not in nbformat.writes(nb)
