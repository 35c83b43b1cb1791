"""The executed notebook kept beside a report, without the pictures the page already holds.

Why: every figure is embedded twice otherwise (base64 PNG in ``<study>.html`` and in
``<study>.ipynb``), which doubles the weight of a report folder an analyst mails or
shares. The stored notebook keeps every cell, every table and every text output, and
each figure becomes a French text output naming it (its alternative text) and the page
that shows it; its metadata records how many pictures were moved out.
"""

from __future__ import annotations

IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif", "image/webp")


def _alt(output) -> str:
    metadata = output.get("metadata") or {}
    for key in IMAGE_TYPES:
        text = (metadata.get(key) or {}).get("alt") if isinstance(metadata.get(key), dict) else None
        if text:
            return text
    return metadata.get("alt") or ""


def without_images(nb, page_name: str):
    """``nb`` with each image output replaced by a text naming the figure and ``page_name`` (in place).

    Returns the notebook; ``nb.metadata["abs"]["images_dans_la_page"]`` counts the pictures moved out.
    """
    moved = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not data or not any(kind in data for kind in IMAGE_TYPES):
                continue
            alt = _alt(output)
            described = f" : {alt}" if alt else ""
            for kind in IMAGE_TYPES:
                data.pop(kind, None)
            data["text/plain"] = f"[Figure dans {page_name}{described}]"
            output["metadata"] = {}
            moved += 1
    nb.metadata.setdefault("abs", {})["images_dans_la_page"] = moved
    return nb
