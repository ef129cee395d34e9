"""The demand forecast's chart and words (the Forecast page's last section): each segment's
monthly history and forecast with its 90 % interval, axes and hovers in the user's language.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from i18n import N_, _
from i18n.formatting import format_month
from ui.charts import house_layout, money_axis
from ui.format import format_value

__all__ = ["HISTORY_SHOWN", "PRICE_SEGMENT_LABELS", "demand_figure", "segment_label"]

#: Months of history shown before the forecast.
HISTORY_SHOWN = 24
#: How a price segment reads (English, marked; :func:`segment_label` translates).
PRICE_SEGMENT_LABELS: dict[str, str] = {
    "economy": N_("Economy"),
    "mid": N_("Mid-range"),
    "premium": N_("Premium"),
}
_PALETTE = ("#3b5b7d", "#2e8b57", "#c77c02", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d")


def segment_label(segment: str) -> str:
    """A segment as the table and chart show it: a price segment translated, a product line
    (data) as it is.

    Examples
    --------
    >>> segment_label("premium"), segment_label("Hardware")
    ('Premium', 'Hardware')
    """
    return _(PRICE_SEGMENT_LABELS[segment]) if segment in PRICE_SEGMENT_LABELS else segment


def _band(colour: str) -> str:
    """``colour`` (``#rrggbb``) as a translucent fill."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, 0.15)"


def _value(value: float, measure: str, currency: str | None) -> str:
    return format_value(value, "money", currency, compact=False) if measure == "revenue" \
        else format_value(value, "count")  # fmt: skip


def demand_figure(months: pd.DataFrame, measure: str, currency: str | None) -> go.Figure:
    """Each segment's last :data:`HISTORY_SHOWN` complete months (solid) and its forecast
    (dashed) with the 90 % interval as a band of the same colour.

    Parameters
    ----------
    months : DataFrame
        :attr:`reports.demand_forecast.DemandForecast.months`.
    measure : str
        ``"revenue"`` (amounts in ``currency``) or ``"units"``.
    currency : str or None
        The amounts' unit.

    Returns
    -------
    Figure
        The chart, in the house style.
    """
    fig = go.Figure()
    top = 0.0
    shown: set[pd.Timestamp] = set()
    forecast_word, interval = _("forecast"), _("90% interval")
    for index, (segment, rows) in enumerate(months.groupby("segment", sort=False)):
        colour, name = _PALETTE[index % len(_PALETTE)], segment_label(str(segment))
        past = rows.loc[rows["actual"].notna()].iloc[-HISTORY_SHOWN:]
        ahead = rows.loc[rows["forecast"].notna()]
        shown.update(past["month"])
        shown.update(ahead["month"])
        x_past = [format_month(m) for m in past["month"]]
        x_ahead = [format_month(m) for m in ahead["month"]]
        fig.add_scatter(
            x=x_ahead + x_ahead[::-1], y=list(ahead["high"]) + list(ahead["low"])[::-1],
            fill="toself", fillcolor=_band(colour), line={"width": 0}, hoverinfo="skip",
            mode="lines", legendgroup=name, showlegend=False,
        )  # fmt: skip
        fig.add_scatter(
            x=x_past, y=past["actual"], name=name, mode="lines", legendgroup=name,
            line={"color": colour, "width": 2},
            text=[_value(v, measure, currency) for v in past["actual"]],
            hovertemplate=f"%{{x}}<br>%{{text}}<extra>{name}</extra>",
        )  # fmt: skip
        fig.add_scatter(
            x=x_ahead, y=ahead["forecast"], name=name, mode="lines+markers", legendgroup=name,
            showlegend=False, line={"color": colour, "width": 2, "dash": "dash"},
            customdata=[[_value(v, measure, currency), _value(lo, measure, currency),
                         _value(hi, measure, currency)]
                        for v, lo, hi in zip(ahead["forecast"], ahead["low"], ahead["high"],
                                             strict=True)],
            hovertemplate=f"%{{x}}<br>{forecast_word}: %{{customdata[0]}} ({interval}: "
            f"%{{customdata[1]}} – %{{customdata[2]}})<extra>{name}</extra>",
        )  # fmt: skip
        top = max(top, float(past["actual"].max()) if len(past) else 0.0,
                  float(ahead["high"].max()) if len(ahead) else 0.0)  # fmt: skip
    # the months as categories in time order (a trace's own order would put the first one's
    # forecast before the history)
    fig.update_xaxes(categoryorder="array",
                     categoryarray=[format_month(m) for m in sorted(shown)])  # fmt: skip
    if measure == "revenue":
        fig.update_yaxes(rangemode="tozero", **money_axis(0.0, top, currency))
    else:
        fig.update_yaxes(rangemode="tozero", tickformat=",d")
    return house_layout(fig, height=380)
