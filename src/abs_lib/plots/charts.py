"""Charts of an ABS diagnostic: age structure, territory vs références, evolutions, childcare.

Each function takes plain pandas data already computed by the indicator layer
and returns a :class:`matplotlib.figure.Figure` in the house style (see
:mod:`abs_lib.plots.style`): French labels and numbers, the source on a
caption line (mandatory), missing values drawn as gaps with a note, never as 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from abs_lib.errors import FigureError
from abs_lib.formatting import format_number
from abs_lib.plots import style
from abs_lib.plots._axes import FrenchFormatter, as_label_values, axis_unit, to_float, value_text

#: Childcare modes of the coverage rate (column name -> label), in stacking order.
COVERAGE_MODES = {
    "eaje": "EAJE (crèches)",
    "childminders": "Assistantes maternelles",
    "home_employees": "Salariés à domicile",
    "preschool": "Préscolarisation",
}
COVERAGE_COLORS = ("#1f5f99", "#d9812b", "#5a9e6f", "#8c6bb1")
COVERAGE_UNIT = "places pour 100 enfants de moins de 3 ans"


#: Height of one bar row (label above the bar, then the bar), inches; bar thickness in rows.
ROW_IN = 0.66
ROW_BAR = 0.42


def _row_labels(ax, labels: list[str], strong: set[int]) -> None:
    """Each row's label written above its bar, from the left edge: bars get the full width
    (labels on the left would take half of a phone's screen). Rows run top to bottom."""
    from matplotlib.transforms import blended_transform_factory

    where = blended_transform_factory(ax.transAxes, ax.transData)
    for i, label in enumerate(labels):
        ax.text(0, i - ROW_BAR / 2 - 0.04, style.wrap_to(label, style.WIDTH_IN - 2 * style.MARGIN_IN), ha="left",
                va="bottom", transform=where, fontweight="bold" if i in strong else "normal", color=style.INK,
                gid="libelle-ligne")
    ax.set_yticks([])
    ax.set_ylim(len(labels) - 0.6, -0.7)


def _noncomparable_note(min_gap: int) -> str:
    return f"non comparable (INSEE\u00a0: moins de {min_gap}\u00a0ans d'écart)"


# Age structure ------------------------------------------------------------------------


def age_pyramid(
    bands: pd.DataFrame | pd.Series,
    title: str,
    source: str,
    *,
    reference: pd.DataFrame | pd.Series | None = None,
    reference_label: str = "Référence",
    territory_label: str = "Territoire",
    as_share: bool = True,
    note: str | None = None,
) -> Figure:
    """Population by age band, as a pyramid (men/women) or bars (total only).

    Parameters
    ----------
    bands : DataFrame or Series
        One row per age band, youngest first, indexed by the band label
        ("0 à 14 ans"...). Either a Series / a ``population`` column (total
        only: INSEE commune bases often give no sex split) or ``men`` and
        ``women`` columns (a true pyramid, men on the left).
    title, source : str
        Figure title; data source for the caption (required).
    reference : DataFrame or Series, optional
        Same bands for a comparison territory (département...), counts or
        shares: normalised to % and drawn as black outline markers.
    reference_label, territory_label : str
        Legend labels of the reference ("Côte-d'Or") and of the bars
        (the studied territory), shown when there is a reference.
    as_share : bool
        Bars in % of the population (default) or in counts (no reference then).
    note : str, optional
        Extra note printed above the source.
    """
    source = style.require_source(source)
    table = _age_table(bands, "Pyramide des âges")
    if table.isna().all().all():
        raise FigureError(f"{title} : aucune donnée par tranche d'âge.")
    sexed = list(table.columns) == ["men", "women"]
    if reference is not None and not as_share:
        raise FigureError("Pyramide des âges : la référence se compare en parts (%) ; gardez as_share=True.")
    notes = [note] if note else []
    missing = table.isna().any(axis=1)
    if missing.any():
        sex = {"men": " (hommes)", "women": " (femmes)", "population": ""}
        cells = [f"{band}{sex[col]}" for band in table.index for col in table.columns if pd.isna(table.at[band, col])]
        notes.append(f"{style.MISSING_NOTE} : {', '.join(cells)}")
        if as_share:
            notes.append("parts calculées sur les tranches d'âge connues")
    values = table / np.nansum(table.to_numpy()) * 100 if as_share else table
    ref = None
    if reference is not None:
        ref = _age_table(reference, "Pyramide des âges (référence)").reindex(table.index)
        if list(ref.columns) != list(table.columns):
            raise FigureError(
                "Pyramide des âges : la référence doit avoir les mêmes colonnes (total ou hommes/femmes)."
            )
        ref = ref / np.nansum(ref.to_numpy()) * 100
    unit = "%" if as_share else None

    with style.house_style():
        fig = style.new_figure()
        ax = fig.add_axes([0.3, 0.2, 0.6, 0.6])
        y = np.arange(len(table))
        height = 0.72
        handles = []
        if sexed:
            ax.barh(y, -values["men"], height=height, color=style.MEN, label="Hommes", gid="men")
            ax.barh(y, values["women"], height=height, color=style.WOMEN, label="Femmes", gid="women")
            handles += [Patch(color=style.MEN, label="Hommes"), Patch(color=style.WOMEN, label="Femmes")]
            ax.axvline(0, color=style.MUTED, linewidth=0.8)
            ax.xaxis.set_major_formatter(FrenchFormatter(absolute=True))
            span = np.nanmax(np.abs(values.to_numpy()))
            if ref is not None:
                span = max(span, np.nanmax(ref.to_numpy()))
            for col, sign in (("men", -1), ("women", 1)):
                ends = _label_anchor(values[col], None if ref is None else ref[col], span)
                for yi, v, end in zip(y, values[col], ends):
                    if pd.notna(v):
                        ax.text(sign * (end + span * 0.03), yi, value_text(v, unit), va="center",
                                ha="left" if sign > 0 else "right", color=style.INK)
                if ref is not None:
                    ax.plot(sign * ref[col], y, linestyle="none", marker="|", markersize=16,
                            markeredgewidth=2.2, color=style.INK, gid=f"reference-{col}")
            ax.set_xlim(-span * 1.3, span * 1.3)
        else:
            total = values["population"]
            ax.barh(y, total, height=height, color=style.HIGHLIGHT, gid="population")
            span = np.nanmax(total.to_numpy())
            if ref is not None:
                span = max(span, np.nanmax(ref["population"].to_numpy()))
                ax.plot(ref["population"], y, linestyle="none", marker="|", markersize=16,
                        markeredgewidth=2.2, color=style.INK, gid="reference-population")
            ends = _label_anchor(total, None if ref is None else ref["population"], span)
            for yi, v, end in zip(y, total, ends):
                if pd.notna(v):
                    ax.text(end + span * 0.03, yi, value_text(v, unit), va="center", color=style.INK)
            ax.set_xlim(0, span * 1.18)
            ax.xaxis.set_major_formatter(FrenchFormatter())
        for col in table.columns:
            sign = -1 if col == "men" else 1
            for yi, v in zip(y, table[col]):
                if pd.isna(v):
                    ax.text(sign * span * 0.02, yi, "n.d.", va="center",
                            ha="right" if sign < 0 else "left", style="italic", color=style.MUTED)
        if ref is not None:
            if not sexed:
                handles.append(Patch(color=style.HIGHLIGHT, label=territory_label))
            handles.append(Line2D([], [], linestyle="none", marker="|", markersize=12, markeredgewidth=2.2,
                                  color=style.INK, label=reference_label))
        ax.set_yticks(y, [style.wrap(b, style.LABEL_WIDTH) for b in table.index])
        ax.set_ylim(-0.6, len(table) - 0.4)
        ax.set_xlabel("Part de la population (%)" if as_share else "Nombre d'habitants")
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        alt = _pyramid_alt(title, table, values, ref, sexed, unit, territory_label, reference_label)
        return style.finish(fig, title, source, notes, ax=ax, body_in=0.42 * len(table), legend=handles or None,
                            alt=alt)


def _pyramid_alt(title, table, values, ref, sexed, unit, territory_label, reference_label) -> str:
    """« Pyramide des âges : … 0 à 14 ans : 19,0 % (Côte-d'Or 15,6 %) ; … »."""
    kind = "Pyramide des âges" if sexed else "Diagramme en barres horizontales"
    parts = []
    for band in table.index:
        if sexed:
            text = (f"{band} : hommes {value_text(values.at[band, 'men'], unit)}, "
                    f"femmes {value_text(values.at[band, 'women'], unit)}")
        else:
            text = f"{band} : {value_text(values.at[band, 'population'], unit)}"
        if ref is not None and not sexed:
            text += f" ({reference_label} {value_text(ref.at[band, 'population'], unit)})"
        parts.append(text)
    who = f"{territory_label}" + (f", comparé à {reference_label}" if ref is not None else "")
    return f"{kind} : {title}. {who}. " + " ; ".join(parts) + "."


def _label_anchor(bars: pd.Series, ref: pd.Series | None, span: float) -> pd.Series:
    """Where a bar's value label starts: its end, or past the reference marker
    when the marker sits just beyond the bar (the label would cover it)."""
    if ref is None:
        return bars
    return np.fmax(bars, ref)


def _age_table(bands, what: str) -> pd.DataFrame:
    if isinstance(bands, pd.Series):
        table = bands.to_frame("population")
    elif isinstance(bands, pd.DataFrame):
        if {"men", "women"} <= set(bands.columns):
            table = bands[["men", "women"]]
        elif "population" in bands.columns:
            table = bands[["population"]]
        else:
            raise FigureError(
                f"{what} : colonnes attendues « population » (total par tranche) ou « men » et "
                f"« women » ; reçu : {', '.join(map(str, bands.columns))}."
            )
    else:
        raise FigureError(f"{what} : attendu un tableau pandas indexé par tranche d'âge.")
    if table.empty:
        raise FigureError(f"{what} : aucune tranche d'âge.")
    table = to_float(table, what)
    table.index = table.index.map(str)
    return table


# Territory vs références --------------------------------------------------------------


def compare_bars(
    values: pd.DataFrame | pd.Series,
    unit: str | None,
    title: str,
    source: str,
    *,
    highlight: str | None = None,
    label: str = "territory",
    value: str = "value",
    decimals: int | None = None,
    note: str | None = None,
    reasons: Mapping[str, str] | None = None,
) -> Figure:
    """One indicator for the studied territory and its références, as labelled bars.

    Parameters
    ----------
    values : DataFrame or Series
        Columns ``territory`` (label) and ``value``, or a Series indexed by
        label; drawn top to bottom in the given order (territory first, then
        département(s), région, France métropolitaine).
    unit : str or None
        "%", "€"... written after each value; a long unit goes to the axis.
    title, source : str
        Title; data source for the caption (required).
    highlight : str, optional
        Label of the studied territory (coloured); default the first row.
    decimals : int, optional
        Decimals of the value labels (default: house rule of :func:`format_number`).
    reasons : mapping, optional
        Why a label's value is missing (« secret statistique », « non importé »…), written
        in place of its bar; default « donnée manquante ».
    """
    source = style.require_source(source)
    series = as_label_values(values, label, value, "Comparaison")
    reasons = dict(reasons or {})
    highlight = series.index[0] if highlight is None else str(highlight)
    if highlight not in series.index:
        raise FigureError(
            f"Comparaison : le territoire à mettre en avant « {highlight} » n'est pas dans les valeurs "
            f"({', '.join(series.index)})."
        )
    notes = [note] if note else []
    described = [f"{name} : {value_text(v, unit, decimals)}" if pd.notna(v)
                 else f"{name} : n.d. ({reasons.get(name) or style.MISSING_NOTE})" for name, v in series.items()]
    if series.isna().all():
        raise FigureError(f"{title} : aucune valeur connue ({' ; '.join(described)}).")
    if series.isna().any():
        notes.append(style.MISSING_NOTE + " : " + ", ".join(
            f"{name} ({reasons[name]})" if reasons.get(name) else name for name in series.index[series.isna()]))

    with style.house_style():
        fig = style.new_figure()
        ax = fig.add_axes([0.3, 0.2, 0.6, 0.6])
        y = np.arange(len(series))
        known = series.dropna()
        hi = max(float(known.max()), 0.0) if len(known) else 1.0
        lo = min(float(known.min()), 0.0) if len(known) else 0.0
        span = (hi - lo) or 1.0
        for yi, name, v in zip(y, series.index, series):
            if pd.isna(v):
                ax.text(0, yi, f" n.d. ({reasons.get(name) or style.MISSING_NOTE})", va="center", ha="left",
                        style="italic", color=style.MUTED)
                continue
            strong = name == highlight
            ax.barh(yi, v, height=ROW_BAR, color=style.HIGHLIGHT if strong else style.REFERENCE, gid=name)
            ax.text(v + (1 if v >= 0 else -1) * span * 0.015, yi, value_text(v, unit, decimals), va="center",
                    ha="left" if v >= 0 else "right",
                    fontweight="bold" if strong else "normal", color=style.INK)
        ax.set_xlim(lo - (0.05 * span if lo < 0 else 0), hi + (0.05 * span if hi > 0 else 0.02 * span))
        _row_labels(ax, list(series.index), {list(series.index).index(highlight)})
        ax.spines["left"].set_visible(False)
        ax.spines["bottom"].set_visible(False)
        ax.set_xticks([])
        if lo < 0:
            ax.axvline(0, color=style.MUTED, linewidth=0.8)
        if axis_unit(unit):
            ax.set_xlabel(unit)
        alt = f"Diagramme en barres : {title}. " + " ; ".join(described) + "."
        return style.finish(fig, title, source, notes, ax=ax, body_in=ROW_IN * len(series), alt=alt)


# Evolutions ---------------------------------------------------------------------------


def evolution_chart(
    series: pd.DataFrame,
    unit: str | None,
    title: str,
    source: str,
    *,
    highlight: str | None = None,
    min_gap: int | None = 5,
    vintage: str = "vintage",
    territory: str = "territory",
    value: str = "value",
    vintage_format: str = "{}",
    note: str | None = None,
) -> Figure:
    """Levels of an indicator at several vintages, one line per territory.

    A step between two vintages less than ``min_gap`` years apart is drawn
    dashed and noted: INSEE advises against comparing census vintages less
    than 5 years apart (6 for RP 2019-2023; pass ``min_gap=6`` then). Use
    ``min_gap=None`` for yearly sources (FiLoSoFi, CAF). A missing value
    leaves a gap: the line is not drawn across it.

    Parameters
    ----------
    series : DataFrame
        Long table with columns ``vintage`` (year, int), ``territory``
        (label) and ``value``. Territories are drawn in order of appearance.
    unit : str or None
        Unit of the values ("%", "€", or long: goes to the y axis).
    highlight : str, optional
        Studied territory (thick line, values labelled); default the first one.
    vintage_format : str
        Tick label of a vintage, e.g. "RP {}".
    """
    source = style.require_source(source)
    missing_cols = [c for c in (vintage, territory, value) if c not in series.columns]
    if missing_cols:
        raise FigureError(
            f"Évolution : colonne(s) absente(s) {', '.join(missing_cols)} ; attendu un tableau long "
            f"avec « {vintage} », « {territory} », « {value} »."
        )
    if series.empty:
        raise FigureError("Évolution : aucune valeur à représenter.")
    data = series[[vintage, territory, value]].copy()
    data[territory] = data[territory].map(str)
    try:
        data[vintage] = data[vintage].astype("int64")
    except (TypeError, ValueError):
        raise FigureError("Évolution : les millésimes doivent être des années (entiers, ex. 2019).") from None
    data[value] = to_float(data[value], "Évolution")
    if data.duplicated([vintage, territory]).any():
        raise FigureError("Évolution : plusieurs valeurs pour un même territoire et millésime.")
    order = list(dict.fromkeys(data[territory]))
    table = data.pivot(index=vintage, columns=territory, values=value).sort_index()[order]
    highlight = order[0] if highlight is None else str(highlight)
    if highlight not in order:
        raise FigureError(f"Évolution : territoire à mettre en avant inconnu : « {highlight} ».")
    vintages = table.index.to_numpy()
    comparable = [min_gap is None or (b - a) >= min_gap for a, b in zip(vintages[:-1], vintages[1:])]
    notes = [note] if note else []
    if table.isna().to_numpy().all():
        raise FigureError(f"{title} : aucune valeur connue à aucun millésime.")
    if table.isna().to_numpy().any():
        gaps = [f"{t} {vintage_format.format(v)}" for v in table.index for t in order if pd.isna(table.at[v, t])]
        notes.append(f"{style.MISSING_NOTE} : {', '.join(gaps)}")

    with style.house_style():
        fig = style.new_figure()
        ax = fig.add_axes([0.2, 0.2, 0.7, 0.6])
        others = iter(style.SERIES[1:] * 3)
        handles = []
        for name in order:
            strong = name == highlight
            color = style.HIGHLIGHT if strong else next(others)
            width = 2.6 if strong else 1.6
            col = table[name]
            for i, ok in enumerate(comparable):
                a, b = col.iloc[i], col.iloc[i + 1]
                if pd.isna(a) or pd.isna(b):
                    continue
                ax.plot(vintages[i:i + 2], [a, b], color=color, linewidth=width,
                        linestyle="-" if ok else (0, (4, 3)), gid=f"{name}|{vintages[i]}-{vintages[i + 1]}")
            ax.plot(vintages, col.to_numpy(), linestyle="none", marker="o", markersize=6 if strong else 4.5,
                    color=color, gid=f"{name}|points")
            if strong:
                for x, v in zip(vintages, col):
                    if pd.notna(v):
                        ax.annotate(value_text(v, unit), (x, v), xytext=(0, 8), textcoords="offset points",
                                    ha="center", fontweight="bold", color=color, annotation_clip=False)
            handles.append(Line2D([], [], color=color, linewidth=width, marker="o",
                                  markersize=6 if strong else 4.5, label=name))
        if not all(comparable):
            handles.append(Line2D([], [], color=style.MUTED, linewidth=1.6, linestyle=(0, (4, 3)),
                                  label=_noncomparable_note(min_gap)))
            notes.insert(0, f"en tirets, millésimes à moins de {min_gap}\u00a0ans d'écart : l'INSEE déconseille "
                         "de les comparer, ne pas lire ces tirets comme une évolution")
        ax.set_xticks(vintages, [vintage_format.format(v) for v in vintages])
        pad = max(1.0, (vintages.max() - vintages.min()) * 0.08)
        ax.set_xlim(vintages.min() - pad, vintages.max() + pad)
        ax.margins(y=0.18)
        ax.yaxis.set_major_formatter(FrenchFormatter())
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set_ylabel(style.wrap(unit, 30) if unit else "")
        alt = f"Graphique d'évolution : {title}. " + " ; ".join(
            f"{name} : " + ", ".join(f"{vintage_format.format(v)} {value_text(table.at[v, name], unit)}"
                                     for v in table.index) for name in order) + "."
        return style.finish(fig, title, source, notes, ax=ax, body_in=2.6, legend=handles, alt=alt)


# Childcare coverage -------------------------------------------------------------------


def coverage_chart(
    rates: pd.DataFrame,
    title: str,
    source: str,
    *,
    highlight: str | None = None,
    after: Mapping[str, float] | pd.Series | None = None,
    after_label: str = "après",
    before_label: str = "avant",
    unit: str = COVERAGE_UNIT,
    note: str | None = None,
    reasons: Mapping[str, str] | None = None,
) -> Figure:
    """Childcare coverage rate by mode, stacked, territory vs références.

    Parameters
    ----------
    rates : DataFrame
        One row per territory (index = label, studied territory first);
        columns among :data:`COVERAGE_MODES` (``eaje``, ``childminders``,
        ``home_employees``, ``preschool``), in places per 100 children under
        3. A missing cell is left out of the bar (the total is then written
        "au moins …") and noted, never counted as 0.
    highlight : str, optional
        Studied territory; default the first row.
    after : mapping or Series, optional
        The studied territory's rates by mode after a change known locally
        (new crèche...). Draws "avant" and "après" bars one under the other,
        with the difference of the total.
    after_label, before_label : str
        Labels of the two bars ("après ouverture de la crèche").
    reasons : mapping, optional
        Why a territory's rates are missing (« non importé »…), by label.
    """
    source = style.require_source(source)
    if not isinstance(rates, pd.DataFrame) or rates.empty:
        raise FigureError("Taux de couverture : attendu un tableau non vide, une ligne par territoire.")
    unknown = [c for c in rates.columns if c not in COVERAGE_MODES]
    if unknown:
        raise FigureError(
            f"Taux de couverture : colonne(s) inconnue(s) {', '.join(map(str, unknown))} ; "
            f"colonnes possibles : {', '.join(COVERAGE_MODES)}."
        )
    table = to_float(rates.reindex(columns=list(COVERAGE_MODES)), "Taux de couverture")
    table.index = table.index.map(str)
    highlight = table.index[0] if highlight is None else str(highlight)
    if highlight not in table.index:
        raise FigureError(f"Taux de couverture : territoire à mettre en avant inconnu : « {highlight} ».")
    rows = list(table.index)
    labels = list(rows)
    if after is not None:
        after_row = pd.Series(after, dtype="object")
        if not set(after_row.index) <= set(COVERAGE_MODES):
            raise FigureError(
                "Taux de couverture (après) : mode(s) inconnu(s) "
                f"{', '.join(map(str, set(after_row.index) - set(COVERAGE_MODES)))} ; "
                f"modes possibles : {', '.join(COVERAGE_MODES)}."
            )
        after_row = after_row.reindex(list(COVERAGE_MODES))
        after_row = to_float(after_row, "Taux de couverture (après)")
        pos = rows.index(highlight)
        table = pd.concat([table.iloc[: pos + 1], after_row.to_frame().T, table.iloc[pos + 1:]])
        labels = rows[:pos] + [f"{highlight} — {before_label}", f"{highlight} — {after_label}"] + rows[pos + 1:]
        strong_rows = {pos, pos + 1}
    else:
        strong_rows = {rows.index(highlight)}
    reasons = dict(reasons or {})
    if table.isna().to_numpy().all():
        why = " ; ".join(f"{name} : {reasons.get(name) or style.MISSING_NOTE}" for name in labels)
        raise FigureError(f"{title} : aucun taux par mode connu ({why}).")
    notes = [note] if note else []
    gaps = []
    for i, name in enumerate(labels):
        row = table.iloc[i]
        why = reasons.get(rows[i] if after is None else name.split(" — ")[0], "")
        suffix = f", {why}" if why else ""
        if row.isna().all():
            gaps.append(f"{name} (tous les modes{suffix})")
        elif row.isna().any():
            gaps.append(f"{name} ({', '.join(COVERAGE_MODES[m].lower() for m in COVERAGE_MODES if pd.isna(row[m]))})")
    if gaps:
        notes.append(f"{style.MISSING_NOTE} : {', '.join(gaps)}")

    with style.house_style():
        fig = style.new_figure()
        ax = fig.add_axes([0.3, 0.2, 0.6, 0.6])
        y = np.arange(len(table))
        totals = table.sum(axis=1, min_count=1)
        span = np.nanmax(totals.to_numpy()) if totals.notna().any() else 1.0
        left = np.zeros(len(table))
        for (mode, mode_label), color in zip(COVERAGE_MODES.items(), COVERAGE_COLORS):
            widths = table[mode].to_numpy()
            present = ~np.isnan(widths)
            alpha = np.where([i in strong_rows for i in range(len(table))], 1.0, 0.55)
            for i in np.flatnonzero(present):
                ax.barh(y[i], widths[i], left=left[i], height=ROW_BAR, color=color, alpha=alpha[i],
                        edgecolor="white", linewidth=0.8, gid=f"{labels[i]}|{mode}")
                if widths[i] >= span * 0.16:
                    ax.text(left[i] + widths[i] / 2, y[i], format_number(widths[i], decimals=0), ha="center",
                            va="center", color="white", gid="valeur-mode")
            left[present] += widths[present]
        for i in range(len(table)):
            row = table.iloc[i]
            strong = i in strong_rows
            if row.isna().all():
                ax.text(0, y[i], f" n.d. ({reasons.get(labels[i]) or style.MISSING_NOTE})", va="center",
                        style="italic", color=style.MUTED)
                continue
            text = format_number(totals.iloc[i], decimals=1)
            if row.isna().any():
                text = f"au moins {text}"
            if after is not None and i == max(strong_rows) and pd.notna(totals.iloc[i - 1]) and row.notna().all():
                text += f" ({format_number(totals.iloc[i] - totals.iloc[i - 1], decimals=1, signed=True)})"
            ax.text(left[i] + span * 0.015, y[i], text, va="center",
                    fontweight="bold" if strong else "normal", color=style.INK)
        ax.set_xlim(0, span * 1.05)
        _row_labels(ax, labels, strong_rows)
        ax.spines["left"].set_visible(False)
        ax.xaxis.set_major_formatter(FrenchFormatter())
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
        ax.set_xlabel(style.wrap_to(unit, style.WIDTH_IN - 2 * style.MARGIN_IN))
        handles = [Patch(color=c, label=lbl) for lbl, c in zip(COVERAGE_MODES.values(), COVERAGE_COLORS)]
        described = []
        for i, name in enumerate(labels):
            row = table.iloc[i]
            if row.isna().all():
                described.append(f"{name} : n.d. ({reasons.get(name) or style.MISSING_NOTE})")
                continue
            modes = ", ".join(f"{COVERAGE_MODES[m]} {format_number(row[m], decimals=1)}" for m in COVERAGE_MODES)
            total = format_number(totals.iloc[i], decimals=1)
            described.append(f"{name} : {'au moins ' if row.isna().any() else ''}{total} ({modes})")
        alt = f"Barres empilées : {title}, en {unit}. " + " ; ".join(described) + "."
        return style.finish(fig, title, source, notes, ax=ax, body_in=ROW_IN * len(table), legend=handles, alt=alt)
