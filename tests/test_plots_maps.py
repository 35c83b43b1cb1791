"""Commune maps on the real contours of Côte-d'Or (CC de la Plaine Dijonnaise, 22 communes)."""

import json
import re

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.text import Text
from shapely.geometry import box

from abs_lib.errors import FigureError, MissingColumnError
from abs_lib.formatting import THOUSANDS as T
from abs_lib.formatting import UNIT_SPACE as U
from abs_lib.plots import assign_classes, class_bounds, class_colors, commune_choropleth, load_contours, map_crs, style

EPCI = "200000925"
SOURCE = "Insee, FiLoSoFi 2021"
FRENCH_NUMBER = rf"-?\d{{1,3}}(?:{T}\d{{3}})*(?:,\d+)?"


@pytest.fixture(scope="module")
def contours(shared_data):
    return load_contours(shared_data / "geo" / "communes_dep21.geojson")


@pytest.fixture(scope="module")
def epci(contours):
    return contours[contours["SIREN_EPCI"] == EPCI]


@pytest.fixture(scope="module")
def median_income(shared_data):
    """MED21 (median income per consumption unit, €) of the communes of dep 21; "s" = secret."""
    table = pd.read_csv(shared_data / "insee_dossier_complet" / "base_cc_comparateur_dep21.csv",
                        sep=";", dtype=str).set_index("CODGEO")
    return pd.to_numeric(table["MED21"].replace("s", np.nan))


def texts(fig) -> str:
    text = " | ".join(t.get_text() for t in fig.findobj(Text))
    return text.replace(T, " ").replace(U, " ").replace("\u00a0", " ").replace("\n", " ")


def collections(fig):
    return {c.get_gid(): c for c in fig.axes[0].collections if c.get_gid()}


def collection_holding(fig, point):
    """gids of the drawn commune collections one of whose paths contains ``point``."""
    return [gid for gid, coll in collections(fig).items()
            if (gid.startswith("classe-") or gid == "non-disponible")
            and any(path.contains_point((point.x, point.y)) for path in coll.get_paths())]


def test_load_contours_keeps_codes_as_text(contours, epci):
    assert len(contours) == 698 and contours.crs.to_epsg() == 4326
    assert contours["INSEE_COM"].map(lambda c: isinstance(c, str) and len(c) == 5).all()
    assert len(epci) == 22 and "21292" in set(epci["INSEE_COM"])  # Genlis


def test_load_contours_restores_lost_leading_zeros(tmp_path):
    path = tmp_path / "ain.geojson"
    feature = {"type": "Feature", "properties": {"INSEE_COM": 1001, "NOM": "L'Abergement-Clémenciat"},
               "geometry": {"type": "Polygon", "coordinates": [[[4.9, 46.1], [5.0, 46.1], [5.0, 46.2], [4.9, 46.1]]]}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    assert load_contours(path)["INSEE_COM"].tolist() == ["01001"]
    with pytest.raises(MissingColumnError, match="CODE"):
        load_contours(path, code_field="CODE")


def test_projection_choice(epci):
    assert map_crs(epci).to_epsg() == 2154  # metropolitan France -> Lambert-93
    assert map_crs(epci.to_crs(3857)).to_epsg() == 3857  # already projected: kept
    reunion = gpd.GeoDataFrame(geometry=[box(55.2, -21.4, 55.8, -20.9)], crs=4326)
    laea = map_crs(reunion)
    assert laea.coordinate_operation.method_name == "Lambert Azimuthal Equal Area" and laea.is_projected
    assert map_crs(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)])) is None  # fictional, no CRS


def test_every_commune_has_the_colour_of_its_class(epci, median_income):
    fig = commune_choropleth(epci, median_income, title="Revenu médian", unit="€", source=SOURCE, classes=4)
    values = median_income.reindex(epci["INSEE_COM"])
    assert values.notna().all()  # MED21 is published for all 22 communes
    bounds = class_bounds(values.to_numpy(), 4, "quantiles")
    klass = assign_classes(values, bounds)
    colours = class_colors(len(bounds) - 1)
    drawn = collections(fig)
    for i, colour in enumerate(colours):
        assert to_hex(drawn[f"classe-{i + 1}"].get_facecolor()[0]) == to_hex(colour)
    points = epci.to_crs(2154).representative_point()
    for code, point in zip(epci["INSEE_COM"], points):
        assert collection_holding(fig, point) == [f"classe-{klass[code] + 1}"], code
    assert "non-disponible" not in drawn


def test_missing_values_are_hatched_grey_and_in_the_legend(epci, median_income):
    values = median_income.copy()
    secret = ["21292", "21319"]  # Genlis, Izeure
    values[secret] = np.nan
    values = values.drop("21487")  # Pluvet  # absent from the table: also "non disponible"
    fig = commune_choropleth(epci, values, title="Revenu médian", unit="€", source=SOURCE)
    hatched = collections(fig)["non-disponible"]
    assert hatched.get_hatch() == style.MISSING_HATCH
    assert to_hex(hatched.get_facecolor()[0]) == style.MISSING_FACE
    projected = epci.to_crs(2154).set_index("INSEE_COM").representative_point()
    for code in [*secret, "21487"]:
        assert collection_holding(fig, projected[code]) == ["non-disponible"], code
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert style.MISSING_LEGEND in labels
    missing_handle = legend.legend_handles[labels.index(style.MISSING_LEGEND)]
    assert missing_handle.get_hatch() == style.MISSING_HATCH
    assert "Note : donnée manquante :" in texts(fig)
    assert "Genlis" in texts(fig)  # missing communes are named in the note


def test_legend_bounds_in_french_format(epci, median_income):
    fig = commune_choropleth(epci, median_income, title="Revenu médian", unit="€", source=SOURCE,
                             method="natural")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    classes = labels[:-1]  # the last entry is the outline
    assert labels[-1] == "Limite du territoire" and len(classes) == 5
    # highest class first; classes meet at rounded limits and never overlap
    assert re.fullmatch(rf"{FRENCH_NUMBER}{U}€ ou plus", classes[0]), classes[0]
    for label in classes[1:-1]:
        assert re.fullmatch(rf"de {FRENCH_NUMBER} à moins de {FRENCH_NUMBER}{U}€", label), label
    assert re.fullmatch(rf"moins de {FRENCH_NUMBER}{U}€", classes[-1]), classes[-1]
    limits = [re.findall(FRENCH_NUMBER, c) for c in classes[::-1]]
    for lower, upper in zip(limits, limits[1:]):
        assert lower[-1] == upper[0]  # "moins de 23 400 €" then "de 23 400 à moins de …"
    assert "seuils naturels" in texts(fig)


def test_caption_outline_context_and_names(contours, epci, median_income):
    fig = commune_choropleth(epci, median_income, title="Revenu médian", unit="€", source=SOURCE,
                             context=contours, labels=True)
    text = texts(fig)
    assert f"Source : {SOURCE}" in text and "Revenu médian" in text
    assert "Genlis" in text and "Izeure" in text
    drawn = collections(fig)
    assert to_hex(drawn["contexte"].get_facecolor()[0]) == style.CONTEXT_FACE
    assert drawn["limite"].get_linewidth()[0] >= 1.5
    # the map is framed on the territory, not on the whole département given as context
    west, south, east, north = epci.to_crs(2154).total_bounds
    x0, x1 = fig.axes[0].get_xlim()
    assert x0 < west and x1 > east and (x1 - x0) < 1.2 * (east - west)
    assert not fig.axes[0].axison


def test_refusals(epci, median_income):
    with pytest.raises(FigureError, match="Source absente"):
        commune_choropleth(epci, median_income, title="x", unit="€", source=" ")
    by_int = median_income.copy()
    by_int.index = by_int.index.astype(int)
    with pytest.raises(FigureError, match="texte"):
        commune_choropleth(epci, by_int, title="x", unit="€", source=SOURCE)
    with pytest.raises(FigureError, match="aucun code"):
        commune_choropleth(epci, pd.Series([1.0], index=["75056"]), title="x", unit="€", source=SOURCE)
    with pytest.raises(FigureError, match="Méthode"):
        commune_choropleth(epci, median_income, title="x", unit="€", source=SOURCE, method="kmeans")


def test_fictional_polygons_without_crs_are_drawn_as_is():
    demo = gpd.GeoDataFrame({"INSEE_COM": ["99001", "99002", "99003"], "NOM": ["Alpha", "Bêta", "Gamma"]},
                            geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(0, 10, 20, 20)])
    fig = commune_choropleth(demo, pd.Series([1.5, 2.5, np.nan], index=["99001", "99002", "99003"]),
                             title="Démo", unit="%", source="Données fictives", classes=2, labels=True)
    x0, x1 = fig.axes[0].get_xlim()
    assert x0 == pytest.approx(-0.6) and x1 == pytest.approx(20.6)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [f"2{U}% ou plus", f"moins de 2{U}%", style.MISSING_LEGEND, "Limite du territoire"]


def test_map_saves_to_small_png(epci, median_income, contours, tmp_path):
    path = tmp_path / "carte.png"
    commune_choropleth(epci, median_income, title="Revenu médian", unit="€", source=SOURCE,
                       context=contours, labels=True).savefig(path, dpi=100)
    size = path.stat().st_size
    assert path.read_bytes()[:4] == b"\x89PNG" and 20_000 < size < 300_000
