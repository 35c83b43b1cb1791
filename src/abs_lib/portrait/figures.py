"""The figures of a study, drawn from a portrait with abs_lib.plots.

Each function picks the values (territory and references at one vintage) and
writes the caption's source from the registry and the vintage, so a figure
always says where its numbers come from.
"""

from __future__ import annotations

import json

import pandas as pd

from abs_lib.plots import age_pyramid, compare_bars, coverage_chart
from abs_lib.portrait.build import Portrait
from abs_lib.indicators.views import ROLE_COMMUNE
from abs_lib.portrait.tables import missing_reason, reason, value

AGE_BANDS = [("pop_0_14", "0 à 14 ans"), ("pop_15_29", "15 à 29 ans"), ("pop_30_44", "30 à 44 ans"),
             ("pop_45_59", "45 à 59 ans"), ("pop_60_74", "60 à 74 ans"), ("pop_75_plus", "75 ans ou plus")]
COVERAGE_PARTS = {"eaje": "taux_couverture_eaje", "childminders": "taux_couverture_assistantes_maternelles",
                  "home_employees": "taux_couverture_salaries_domicile", "preschool": "taux_couverture_prescolarisation"}


def source_text(portrait: Portrait, indicator: str, vintage: int) -> str:
    """"Insee, Recensement de la population … 2019" — producer and dataset of the indicator."""
    registry = portrait.registry
    dataset = registry[indicator].source
    info = registry.datasets.get(dataset)
    producer = getattr(info, "producer", "") or ""
    label = getattr(info, "label", dataset)
    fictional = " — données fictives (démonstration)" if portrait.fictional else ""
    return f"{producer.title() if producer.isupper() and len(producer) > 3 else producer}, {label}, {vintage}{fictional}"


def _row_values(portrait: Portrait, indicator: str) -> pd.Series:
    """The indicator for the territory and each reference, at its chosen vintage, by display name."""
    places = [(portrait.level, portrait.code)] + portrait.references
    return pd.Series({portrait.name_of(lv, c): value(portrait, indicator, level=lv, code=c)[0] for lv, c in places})


def figure_indicator(portrait: Portrait, indicator: str):
    """Bars: the territory and its references for one indicator, at its latest vintage."""
    ind = portrait.registry[indicator]
    unit = portrait.registry.units[ind.unit]
    _, vintage = value(portrait, indicator)
    values = _row_values(portrait, indicator)
    places = [(portrait.level, portrait.code)] + portrait.references
    reasons = {portrait.name_of(lv, c): reason(portrait, indicator, level=lv, code=c) for lv, c in places}
    shown_unit = unit.suffix.strip() or ind.unit if ind.unit != "nombre" else None
    return compare_bars(values, shown_unit, f"{ind.label} ({vintage})", source_text(portrait, indicator, vintage),
                        highlight=values.index[0], decimals=unit.decimals, reasons=reasons)


def figure_age_structure(portrait: Portrait):
    """Population by age band, the territory against its first reference (département)."""
    ref_level, ref_code = portrait.references[0]

    def bands(level, code):
        return pd.Series({label: value(portrait, indicator, level=level, code=code)[0] for indicator, label in AGE_BANDS})

    _, vintage = value(portrait, "pop_0_14")
    return age_pyramid(
        bands(portrait.level, portrait.code), f"Structure par âge de la population ({vintage})",
        source_text(portrait, "pop_0_14", vintage), reference=bands(ref_level, ref_code),
        reference_label=portrait.name_of(ref_level, ref_code), territory_label=portrait.territory.name,
    )


def coverage_rates(portrait: Portrait) -> pd.DataFrame:
    """Places per 100 children under 3, by mode, for the territory and its references."""
    table = {mode: _row_values(portrait, indicator) for mode, indicator in COVERAGE_PARTS.items()}
    return pd.DataFrame(table)


def figure_coverage(portrait: Portrait, after: pd.Series | dict | None = None):
    """Childcare coverage by mode (CAF/ONAPE definition), optionally before/after a local change."""
    _, vintage = value(portrait, "taux_couverture_accueil_jeune_enfant")
    rates = coverage_rates(portrait)
    places = [(portrait.level, portrait.code)] + portrait.references
    reasons = {portrait.name_of(lv, c): reason(portrait, "taux_couverture_eaje", level=lv, code=c) for lv, c in places}
    shown = rates[rates.notna().any(axis=1) | (rates.index == rates.index[0])]
    absent = [name for name in rates.index if name not in shown.index]
    note = ("Non disponible (places publiées par EPCI seulement) pour : " + ", ".join(absent)) if absent else None
    if shown.isna().all().all() and after is None:
        shown, note = rates, None  # nothing at all: the error lists every territory and its reason
    return coverage_chart(
        shown, f"Taux de couverture de l'accueil du jeune enfant ({vintage})",
        source_text(portrait, "taux_couverture_accueil_jeune_enfant", vintage), after=after, note=note,
        reasons=reasons,
    )


def contours_frame(portrait: Portrait):
    """The stored commune contours of the territory as a GeoDataFrame (codes as text), or None.

    Parsed once per portrait (several maps per report)."""
    if portrait.contours is None:
        return None
    if "contours" in portrait.cache:
        return portrait.cache["contours"]
    import geopandas as gpd
    from shapely.geometry import shape

    frame = portrait.contours
    frame = frame[frame["INSEE_COM"].isin(set(portrait.territory.communes))]
    geometry = [shape(json.loads(g)) for g in frame["geometry"]]
    crs = None if portrait.fictional else "EPSG:4326"
    frame = gpd.GeoDataFrame(frame.drop(columns=["geometry"]), geometry=geometry, crs=crs)
    from abs_lib.plots.maps import map_crs

    target = map_crs(frame)  # projected once per portrait, not once per map
    portrait.cache["contours"] = frame if target is None or target == frame.crs else frame.to_crs(target)
    return portrait.cache["contours"]


def _commune_cells(portrait: Portrait, indicator: str) -> tuple[pd.Series, dict[str, str], int]:
    """Member communes' values (by code) at the territory's vintage, and why some are missing.

    Same rows as ``tables.commune_values``/``commune_reasons``, but the commune rows are split
    by indicator once per portrait: a report draws several maps."""
    if "figures:commune-rows" not in portrait.cache:
        t = portrait.table
        part = t[(t["role"] == ROLE_COMMUNE).to_numpy()]
        portrait.cache["figures:commune-rows"] = {
            str(k): g for k, g in part.groupby(part["indicator"].astype(str), observed=True, sort=False)}
    _, vintage = value(portrait, indicator)
    if not vintage:
        from abs_lib.portrait.tables import chosen_vintages

        vintage = int(chosen_vintages(portrait).get(indicator, 0))
    rows = portrait.cache["figures:commune-rows"].get(indicator)
    if rows is None:
        return pd.Series(dtype="float64", name=indicator), {}, vintage
    rows = rows[(rows["vintage"] == vintage).to_numpy()]
    codes = rows["territory"].astype(str).to_numpy()
    values = pd.Series(rows["value"].to_numpy(dtype="float64"), index=codes, name=indicator)
    missing = rows["value"].isna().to_numpy()
    reasons = {c: missing_reason(f) for c, f in zip(codes[missing], rows["flags"].astype(str).to_numpy()[missing])}
    return values, reasons, vintage


#: Units of counts, mapped as proportional symbols (colouring counts by area misleads).
COUNT_UNITS = ("nombre",)


def map_indicator(portrait: Portrait, indicator: str, *, classes: int = 5):
    """Map of the member communes for one indicator (None when no contours are stored).

    Counts (unit « nombre ») are drawn as proportional circles, rates, shares and
    medians as a choropleth. Numbered communes have their key in ``fig.abs_key``.
    """
    from abs_lib.plots.maps import commune_choropleth, commune_symbols

    contours = contours_frame(portrait)
    if contours is None:
        return None
    ind = portrait.registry[indicator]
    values, reasons, vintage = _commune_cells(portrait, indicator)
    members = contours[contours["INSEE_COM"].isin(set(portrait.territory.communes))]
    unit = portrait.registry.units[ind.unit]
    title = f"{ind.label} par commune ({vintage})"
    source = source_text(portrait, indicator, vintage)
    if ind.unit in COUNT_UNITS:
        return commune_symbols(members, values, title=title, source=source,
                               name_field="NOM", reasons=reasons, key_in_figure=False)
    shown_unit = unit.suffix.strip() or ind.unit
    n_classes = max(1, min(classes, int(values.notna().sum())))
    return commune_choropleth(
        members, values, title=title, unit=shown_unit, source=source, classes=n_classes, name_field="NOM",
        reasons=reasons, key_in_figure=False,  # the key: an HTML list under the image (display.figure)
    )
