"""Chart theme and figure builders (pure functions returning Plotly figures).

Colours are fixed: a stage keeps its colour on every chart (by its position in the pipeline),
an activity type always has the same colour, and the comparison period is always grey.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from ui.format import currency_symbol

__all__ = [
    "ACTIVITY_COLOURS",
    "COMPARISON",
    "LOST",
    "PRIMARY",
    "STAGE_PALETTE",
    "WON",
    "apply_layout",
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
    symbol = currency_symbol(currency)
    months = trend["month"].dt.strftime("%b %Y")
    previous_months = trend["previous_month"].dt.strftime("%b %Y")
    opacity = [0.45 if partial else 1.0 for partial in trend["partial"]]
    fig = go.Figure()
    fig.add_bar(
        x=months, y=trend["current"], name=current, marker={"color": PRIMARY, "opacity": opacity},
        customdata=trend["partial"].map({True: " (part of the month)", False: ""}),
        hovertemplate=f"%{{x}}%{{customdata}}<br>{symbol}%{{y:,.0f}}<extra>{current}</extra>",
    )  # fmt: skip
    fig.add_scatter(
        x=months, y=trend["previous"], name=previous, mode="lines+markers",
        line={"color": COMPARISON, "dash": "dash", "width": 2}, customdata=previous_months,
        hovertemplate=f"%{{customdata}}<br>{symbol}%{{y:,.0f}}<extra>{previous}</extra>",
    )  # fmt: skip
    fig.update_yaxes(tickprefix=symbol, tickformat="~s", rangemode="tozero")
    return apply_layout(fig)


def pipeline_figure(by_stage: pd.DataFrame, currency: str | None) -> go.Figure:
    """Open pipeline per stage (first stage on top): amount bars, weighted amount as markers.

    ``by_stage`` is ``open_pipeline_by_stage``'s frame.
    """
    symbol = currency_symbol(currency)
    frame = by_stage.sort_values("position")
    colours = stage_colours(list(frame["stage"]))
    fig = go.Figure()
    fig.add_bar(
        y=frame["stage"], x=frame["amount"], orientation="h", name="Amount",
        marker={"color": [colours[s] for s in frame["stage"]]},
        customdata=frame[["deals", "probability"]].to_numpy(),
        text=[f"{n:,} deals" for n in frame["deals"]], textposition="outside", cliponaxis=False,
        hovertemplate=(f"%{{y}}<br>{symbol}%{{x:,.0f}} in %{{customdata[0]:,}} deals"
                       "<br>probability %{customdata[1]:.0%}<extra></extra>"),
    )  # fmt: skip
    fig.add_scatter(
        y=frame["stage"], x=frame["weighted_amount"], mode="markers", name="Weighted",
        marker={"color": "#1f2933", "symbol": "line-ns-open", "size": 18, "line": {"width": 3}},
        hovertemplate=f"%{{y}}<br>weighted {symbol}%{{x:,.0f}}<extra></extra>",
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", gridcolor="rgba(0,0,0,0)")
    widest = float(frame["amount"].max()) if len(frame) else 0.0
    fig.update_xaxes(
        tickprefix=symbol, tickformat="~s", showgrid=True, gridcolor="#eceff3",
        range=[0, 1.25 * widest or 1.0],  # room for the "n deals" labels right of the bars
    )  # fmt: skip
    return apply_layout(fig)
