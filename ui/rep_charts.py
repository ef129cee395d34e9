"""Figures of the Performance page: intervals per rep, the funnel plot, a rep against the team.

Pure functions of the ``reports.performance`` / ``reports.rep_profile`` frames returning Plotly
figures; every label and number is written in the language in force.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from i18n import _
from i18n.formatting import format_count, format_month
from reports.kpi import Unit
from ui.activity_charts import activity_type_label
from ui.charts import COMPARISON, LOST, PRIMARY, WON, house_layout, money_axis, percent_axis
from ui.format import format_value
from ui.funnel_charts import display_step

__all__ = [
    "activity_mix_figure",
    "funnel_plot_figure",
    "interval_figure",
    "overlay_figure",
    "quota_figure",
    "rep_trend_figure",
    "stage_time_figure",
]

#: Colours of the control limits (95%, 99.8%).
_LIMIT_95 = "#e6a23c"
_LIMIT_998 = "#c0392b"
#: A rep's point by where it lies on the funnel plot (named when outside the 95 % limits).
_FUNNEL_COLOURS = {"above998": WON, "above95": WON, "below95": LOST, "below998": LOST}


def _axis(unit: Unit, low: float, high: float, currency: str | None) -> dict[str, Any]:
    """Ticks of a value axis written as the unit reads."""
    if unit == "ratio":
        return percent_axis(max(low, 0.0), min(high, 1.0) if high <= 1 else high)
    if unit == "money":
        return money_axis(low, high, currency)
    return {}


def _texts(values: pd.Series, unit: Unit, currency: str | None) -> list[str]:
    return [format_value(v, unit, currency, compact=False) for v in values]


def interval_figure(
    table: pd.DataFrame, unit: Unit, currency: str | None, team_value: float, kind: str
) -> go.Figure:
    """Each rep's raw value with its 95% interval (grey) and the shrunk value with its 95%
    credible interval (blue), best rank on top, and the team's value as a dashed line; a total
    (nothing to shrink) is a plain bar per rep.
    """
    rows = table.iloc[::-1].reset_index(drop=True)  # Plotly draws the first row at the bottom
    y = np.arange(len(rows), dtype="float64")
    fig = go.Figure()
    names = rows["name"].astype(str).tolist()
    hover = [
        _("{name}: {value} (n = {n})").format(
            name=name, value=format_value(v, unit, currency, compact=False), n=format_count(n)
        ) if n else f"{name}: {format_value(v, unit, currency, compact=False)}"
        for name, v, n in zip(names, rows["value"], rows["size"], strict=True)
    ]  # fmt: skip
    if kind == "total":
        fig.add_bar(y=y, x=rows["value"], orientation="h", marker_color=PRIMARY, name=_("Value"),
                    hovertext=hover, hoverinfo="text")  # fmt: skip
        high = float(rows["value"].max()) if len(rows) else 0.0
        fig.update_xaxes(**_axis(unit, 0.0, high, currency))
    else:
        shrunk_hover = [
            _("{name}: shrunk {value}, 95% between {low} and {high}").format(
                name=name, value=format_value(v, unit, currency, compact=False),
                low=format_value(lo, unit, currency, compact=False),
                high=format_value(hi, unit, currency, compact=False),
            )
            for name, v, lo, hi in zip(names, rows["shrunk"], rows["shrunk_low"],
                                       rows["shrunk_high"], strict=True)
        ]  # fmt: skip
        _interval_trace(fig, rows, "value", y - 0.18, _("Raw, 95% interval"), COMPARISON, hover)
        _interval_trace(fig, rows, "shrunk", y + 0.18, _("Shrunk, 95% credible"), PRIMARY,
                        shrunk_hover)  # fmt: skip
        values = pd.concat([rows["value_low"], rows["value_high"], rows["shrunk_low"],
                            rows["shrunk_high"]]).dropna()  # fmt: skip
        if len(values):
            fig.update_xaxes(**_axis(unit, float(values.min()), float(values.max()), currency))
    if np.isfinite(team_value) and kind != "total":
        fig.add_vline(x=team_value, line={"color": "#555", "dash": "dash", "width": 1},
                      annotation_text=_("team"), annotation_position="top")  # fmt: skip
    fig.update_yaxes(tickvals=y, ticktext=names, range=[-0.6, len(rows) - 0.4])
    return house_layout(fig, height=max(220, 60 + 28 * len(rows)))


def _interval_trace(
    fig: go.Figure,
    rows: pd.DataFrame,
    column: str,
    y: np.ndarray,
    name: str,
    colour: str,
    hover: list[str],
) -> None:
    """Points of ``rows[column]`` at heights ``y`` with whiskers to ``{column}_low`` and
    ``{column}_high``.
    """
    fig.add_scatter(
        y=y, x=rows[column], mode="markers", name=name, marker={"color": colour, "size": 8},
        error_x={"type": "data", "symmetric": False, "color": colour,
                 "array": rows[f"{column}_high"] - rows[column],
                 "arrayminus": rows[column] - rows[f"{column}_low"]},
        hovertext=hover, hoverinfo="text",
    )  # fmt: skip


def funnel_plot_figure(
    table: pd.DataFrame, limits: pd.DataFrame, team_rate: float, sample_label: str
) -> go.Figure:
    """The funnel plot (METRICS.md "Funnel plot"): each rep's rate against the deals behind it,
    inside 95% and 99.8% control limits around the team rate.  A rep outside the 99.8%
    funnel differs from the team by more than chance; inside it, by no more than chance.  Reps
    outside the 95% limits are named and coloured (green above, red below); the others are
    named on hover.
    """
    fig = go.Figure()
    bands = (("low95", "high95", _LIMIT_95, _("95% limits")),
             ("low998", "high998", _LIMIT_998, _("99.8% limits")))  # fmt: skip
    for low, high, colour, name in bands:
        for column, legend in ((low, True), (high, False)):
            fig.add_scatter(x=limits["n"], y=limits[column], mode="lines", name=name,
                            line={"color": colour, "width": 1, "dash": "dot"}, hoverinfo="skip",
                            legendgroup=name, showlegend=legend)  # fmt: skip
    fig.add_hline(y=team_rate, line={"color": "#555", "dash": "dash", "width": 1})
    hover = [
        _("{name}: {rate} of {n}").format(name=name, rate=format_value(rate, "ratio"),
                                          n=format_count(n))
        for name, rate, n in zip(table["name"], table["value"], table["size"], strict=True)
    ]  # fmt: skip
    outside = table["funnel"].astype(str).str.startswith(("above", "below")).to_numpy()
    colours = [_FUNNEL_COLOURS.get(str(p), PRIMARY) for p in table["funnel"]]
    fig.add_scatter(x=table["size"], y=table["value"], mode="markers+text", name=_("Reps"),
                    text=[n if out else "" for n, out in zip(table["name"], outside, strict=True)],
                    textposition="top center", textfont={"size": 11},
                    marker={"color": colours, "size": 9}, hovertext=hover,
                    hoverinfo="text", showlegend=False)  # fmt: skip
    top = float(table["size"].max()) * 1.1 if len(table) else 10.0
    fig.update_xaxes(title=sample_label, range=[0, top])
    fig.update_yaxes(**percent_axis(0.0, 1.0), range=[0, 1.02])
    return house_layout(fig, height=380)


def overlay_figure(funnel: pd.DataFrame, rep: str) -> go.Figure:
    """The rep's funnel over the team's: the share of the first stage's deals that got to each
    step (the step "Won" last).
    """
    steps = [str(display_step(s)) for s in funnel["stage"]]
    fig = go.Figure()
    fig.add_bar(x=steps, y=funnel["team_cumulative"], name=_("Team"), marker_color=COMPARISON,
                text=[format_value(v, "ratio") for v in funnel["team_cumulative"]],
                textposition="outside", textfont={"size": 10})  # fmt: skip
    fig.add_bar(x=steps, y=funnel["rep_cumulative"], name=rep, marker_color=PRIMARY,
                text=[format_value(v, "ratio") for v in funnel["rep_cumulative"]],
                textposition="outside", textfont={"size": 10})  # fmt: skip
    fig.update_yaxes(**percent_axis(0.0, 1.0), range=[0, 1.12])
    fig.update_layout(barmode="group")
    return house_layout(fig, height=320)


def stage_time_figure(times: pd.DataFrame, rep: str) -> go.Figure:
    """Median days in each stage (Kaplan–Meier), the rep beside the team."""
    fig = go.Figure()
    for column, name, colour in (("team_median", _("Team"), COMPARISON),
                                 ("rep_median", rep, PRIMARY)):  # fmt: skip
        fig.add_bar(x=times["stage"], y=times[column], name=name, marker_color=colour,
                    text=[format_value(v, "days") for v in times[column]],
                    textposition="outside", textfont={"size": 10})  # fmt: skip
    fig.update_yaxes(title=_("median days in the stage"), rangemode="tozero")
    fig.update_layout(barmode="group")
    return house_layout(fig, height=300)


def activity_mix_figure(types: pd.Series, shares: dict[str, pd.Series]) -> go.Figure:
    """The share of each activity type in several groups' activities, side by side (the first
    group grey: the team, or the bottom quartile).
    """
    labels = [activity_type_label(t) for t in types]
    fig = go.Figure()
    for (name, values), colour in zip(shares.items(), (COMPARISON, PRIMARY), strict=False):
        fig.add_bar(x=labels, y=values, name=name, marker_color=colour,
                    text=[format_value(v, "ratio") for v in values],
                    textposition="outside", textfont={"size": 10})  # fmt: skip
    high = max((float(v.max()) for v in shares.values() if len(v)), default=1.0)
    high = high if np.isfinite(high) and high > 0 else 1.0
    fig.update_yaxes(**percent_axis(0.0, high), range=[0, min(1.0, high * 1.2)])
    fig.update_layout(barmode="group")
    return house_layout(fig, height=300)


def rep_trend_figure(trend: pd.DataFrame, rep: str, currency: str | None) -> go.Figure:
    """Won revenue per month: the rep's bars against the team's average per rep (a line)."""
    months = [format_month(m) for m in trend["month"]]
    fig = go.Figure()
    fig.add_bar(x=months, y=trend["rep_won_amount"], name=rep, marker_color=PRIMARY,
                hovertext=_texts(trend["rep_won_amount"], "money", currency),
                hoverinfo="x+text")  # fmt: skip
    fig.add_scatter(x=months, y=trend["team_won_amount"], name=_("Team average per rep"),
                    mode="lines+markers", line={"color": COMPARISON, "dash": "dash", "width": 2},
                    hovertext=_texts(trend["team_won_amount"], "money", currency),
                    hoverinfo="x+text")  # fmt: skip
    top = float(pd.concat([trend["rep_won_amount"], trend["team_won_amount"]]).max() or 0.0)
    fig.update_yaxes(rangemode="tozero", **money_axis(0.0, top, currency))
    return house_layout(fig, height=300)


def quota_figure(quota: pd.DataFrame) -> go.Figure:
    """Quota attainment per rep (won revenue ÷ quota), with the 100 % line; best on top."""
    rows = quota.iloc[::-1]
    colours = [PRIMARY if a >= 1 else COMPARISON for a in rows["attainment"].fillna(0)]
    fig = go.Figure()
    fig.add_bar(y=rows["name"], x=rows["attainment"], orientation="h", marker_color=colours,
                text=[format_value(v, "ratio") for v in rows["attainment"]],
                textposition="outside", hoverinfo="y+text", name=_("Attainment"))  # fmt: skip
    fig.add_vline(x=1.0, line={"color": "#555", "dash": "dash", "width": 1})
    high = float(rows["attainment"].max()) if len(rows) else 1.0
    fig.update_xaxes(**percent_axis(0.0, max(high, 1.0)), range=[0, max(high, 1.0) * 1.15])
    return house_layout(fig, height=max(220, 60 + 26 * len(rows)))
