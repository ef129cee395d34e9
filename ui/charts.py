"""Chart theme and figure builders (pure functions returning Plotly figures).

Colours are fixed: a stage keeps its colour on every chart (by its position in the pipeline),
an activity type always has the same colour, and the comparison period is always grey.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from i18n import _, ngettext
from i18n.formatting import (
    format_count,
    format_money,
    format_month,
    format_percent,
    number_separators,
)
from ui.format import format_value

__all__ = [
    "ACTIVITY_COLOURS",
    "COMPARISON",
    "LOST",
    "PRIMARY",
    "STAGE_PALETTE",
    "WON",
    "apply_layout",
    "house_layout",
    "money_axis",
    "percent_axis",
    "pipeline_figure",
    "stage_colours",
    "trend_figure",
]

PRIMARY = "#3b5b7d"
COMPARISON = "#aab3bf"
WON = "#2e8b57"
LOST = "#c0392b"
#: Open stages in pipeline order, light to dark.
STAGE_PALETTE: tuple[str, ...] = (
    "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b", "#4a1486", "#6a51a3",
)  # fmt: skip
ACTIVITY_COLOURS: dict[str, str] = {
    "call": "#1f77b4",
    "meeting": "#ff7f0e",
    "email": "#2ca02c",
    "task": "#9467bd",
}
_FONT = {"family": "Source Sans Pro, sans-serif", "size": 13}


def stage_colours(stages: Sequence[str]) -> dict[str, str]:
    """Colour per open stage, given the stages in position order (cycles after 8)."""
    return {name: STAGE_PALETTE[i % len(STAGE_PALETTE)] for i, name in enumerate(stages)}


def apply_layout(fig: go.Figure, height: int = 320) -> go.Figure:
    """The house style: white background, light grid, legend on top, tight margins."""
    fig.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        font=_FONT,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font": _FONT},
        plot_bgcolor="white",
    )
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eceff3", zeroline=False)
    return fig


def trend_figure(
    trend: pd.DataFrame, currency: str | None, current: str, previous: str
) -> go.Figure:
    """Monthly won revenue as bars, the comparison period's months as a dashed line.

    ``trend`` is :func:`analytics.trend.monthly_trend`'s frame; partial months (the period
    starts or ends inside them) are drawn lighter.
    """
    months = [format_month(m) for m in trend["month"]]
    previous_months = [format_month(m) for m in trend["previous_month"]]
    opacity = [0.45 if partial else 1.0 for partial in trend["partial"]]
    part = " " + _("(part of the month)")
    fig = go.Figure()
    fig.add_bar(
        x=months, y=trend["current"], name=current, marker={"color": PRIMARY, "opacity": opacity},
        customdata=[[part if partial else "", _money(value, currency)]
                    for partial, value in zip(trend["partial"], trend["current"], strict=True)],
        hovertemplate=f"%{{x}}%{{customdata[0]}}<br>%{{customdata[1]}}<extra>{current}</extra>",
    )  # fmt: skip
    fig.add_scatter(
        x=months, y=trend["previous"], name=previous, mode="lines+markers",
        line={"color": COMPARISON, "dash": "dash", "width": 2}, customdata=previous_months,
        text=[_money(value, currency) for value in trend["previous"]],
        hovertemplate=f"%{{customdata}}<br>%{{text}}<extra>{previous}</extra>",
    )  # fmt: skip
    top = pd.concat([trend["current"], trend["previous"]]).max()
    fig.update_yaxes(rangemode="tozero", **money_axis(0.0, float(top), currency))
    return house_layout(fig)


def pipeline_figure(by_stage: pd.DataFrame, currency: str | None) -> go.Figure:
    """Open pipeline per stage (first stage on top): amount bars, weighted amount as markers.

    ``by_stage`` is ``open_pipeline_by_stage``'s frame.
    """
    frame = by_stage.sort_values("position")
    colours = stage_colours(list(frame["stage"]))
    deals = [int(n) for n in frame["deals"]]
    in_deals = [
        ngettext("{amount} in {n} deal", "{amount} in {n} deals", n).format(
            amount=_money(amount, currency), n=format_count(n)
        )
        for amount, n in zip(frame["amount"], deals, strict=True)
    ]
    probability = [
        _("probability {share}").format(share=format_percent(p, 0)) for p in frame["probability"]
    ]
    fig = go.Figure()
    fig.add_bar(
        y=frame["stage"], x=frame["amount"], orientation="h", name=_("Amount"),
        marker={"color": [colours[s] for s in frame["stage"]]},
        customdata=list(zip(in_deals, probability, strict=True)),
        text=[ngettext("{n} deal", "{n} deals", n).format(n=format_count(n)) for n in deals],
        textposition="outside", cliponaxis=False,
        hovertemplate="%{y}<br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>",
    )  # fmt: skip
    fig.add_scatter(
        y=frame["stage"], x=frame["weighted_amount"], mode="markers", name=_("Weighted"),
        marker={"color": "#1f2933", "symbol": "line-ns-open", "size": 18, "line": {"width": 3}},
        customdata=[
            _("weighted {amount}").format(amount=_money(amount, currency))
            for amount in frame["weighted_amount"]
        ],
        hovertemplate="%{y}<br>%{customdata}<extra></extra>",
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", gridcolor="rgba(0,0,0,0)")
    widest = float(frame["amount"].max()) if len(frame) else 0.0
    right = 1.25 * widest or 1.0  # room for the "n deals" labels right of the bars
    fig.update_xaxes(
        showgrid=True,
        gridcolor="#eceff3",
        range=[0, right],
        **money_axis(0.0, right, currency, count=3),  # a narrow column: few, unturned ticks
    )
    # "30 сделок" is longer than "30 deals"
    return house_layout(fig).update_layout(margin={"r": 48})


def _money(value: float, currency: str | None) -> str:
    """An amount in full as a hover shows it: ``$1,234`` / ``1 234 ₽``."""
    return format_value(value, "money", currency, compact=False)


def money_axis(
    low: float, high: float, currency: str | None, count: int = 5
) -> dict[str, list[Any]]:
    """Ticks of an amount axis spanning ``low`` to ``high`` (and 0): about ``count`` round
    values 1, 2, 2.5 or 5 × a power of ten apart, written compact as the language writes
    amounts (``$250k`` / ``250 тыс. ₽``; Plotly's own compact ticks would stay English).
    Plotly shows those inside the axis range.

    Examples
    --------
    >>> money_axis(0, 1_200_000, "USD")["ticktext"]
    ['$0', '$250k', '$500k', '$750k', '$1M', '$1.25M']
    """
    values = _round_ticks(low, high, count)
    text = [format_money(value, currency, compact=True, trim=True) for value in values]
    return {"tickvals": values, "ticktext": text}


def percent_axis(low: float, high: float, count: int = 5) -> dict[str, list[Any]]:
    """Ticks of a share axis (0.25 = 25 %) spanning ``low`` to ``high`` (and 0), written as the
    language writes percentages (``25%`` / ``25 %``; Plotly's ``.0%`` stays English).

    Examples
    --------
    >>> percent_axis(0, 1)["ticktext"]
    ['0%', '20%', '40%', '60%', '80%', '100%']
    """
    values = _round_ticks(low, high, count)
    digits = 0 if all(round(v * 100, 6).is_integer() for v in values) else 1
    return {"tickvals": values, "ticktext": [format_percent(v, digits) for v in values]}


def _round_ticks(low: float, high: float, count: int) -> list[float]:
    """About ``count`` round values 1, 2, 2.5 or 5 × a power of ten apart covering ``low`` to
    ``high`` and 0.
    """
    low = min(low, 0.0) if math.isfinite(low) else 0.0
    high = max(high, 0.0) if math.isfinite(high) else 0.0
    raw = (high - low) / count or 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    return [k * step for k in range(math.floor(low / step), math.ceil(high / step) + 1)]


def house_layout(fig: go.Figure, height: int = 320) -> go.Figure:
    """The house style with the language's decimal and grouping characters."""
    fig.update_layout(separators=number_separators())
    return apply_layout(fig, height)
