"""Figures of the Funnel page (pure functions returning Plotly figures).

Stages keep the colours of :func:`ui.charts.stage_colours`; won is green, lost red, and the
comparison period grey, as on every page.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from i18n import N_, _
from i18n.formatting import format_count, format_percent
from ui.charts import (
    COMPARISON,
    LOST,
    PRIMARY,
    WON,
    house_layout,
    money_axis,
    percent_axis,
    stage_colours,
)
from ui.format import format_value

__all__ = [
    "display_change",
    "display_step",
    "funnel_figure",
    "group_funnel_figure",
    "lost_reasons_figure",
    "sankey_figure",
    "survival_figure",
    "waterfall_figure",
]

#: Colours of the Sankey links by kind of move (every kind of ``analytics.funnel.FLOW_KINDS``).
FLOW_COLOURS: dict[str, str] = {
    "created": "rgba(170, 179, 191, 0.45)",
    "forward": "rgba(59, 91, 125, 0.35)",
    "skip": "rgba(230, 145, 56, 0.55)",
    "back": "rgba(192, 57, 43, 0.55)",
    "won": "rgba(46, 139, 87, 0.5)",
    "lost": "rgba(192, 57, 43, 0.3)",
    "reopened": "rgba(142, 68, 173, 0.55)",
}


#: Steps and reasons the analytics name in English (not stage names, which are data).
STEP_LABELS: dict[str, str] = {
    "Won": N_("Won"),
    "Lost": N_("Lost"),
    "Created": N_("Created"),
    "No reason given": N_("No reason given"),
    "Before any open stage": N_("Before any open stage"),
}
#: Steps of the pipeline waterfall and the kinds of stage moves
#: (``analytics.pipeline_change``).
CHANGE_LABELS: dict[str, str] = {
    "Pipeline at start": N_("Pipeline at start"),
    "New": N_("New"),
    "Amount increased": N_("Amount increased"),
    "Amount decreased": N_("Amount decreased"),
    "Won": N_("Won"),
    "Lost": N_("Lost"),
    "Dropped": N_("Dropped"),
    "Pipeline at end": N_("Pipeline at end"),
    "advanced": N_("advanced"),
    "slipped back": N_("slipped back"),
    "unchanged": N_("unchanged"),
}
#: The kinds of Sankey links as the hover names them.
FLOW_LABELS: dict[str, str] = {
    "created": N_("created"),
    "forward": N_("forward"),
    "skip": N_("skip"),
    "back": N_("back"),
    "won": N_("won"),
    "lost": N_("lost"),
    "reopened": N_("reopened"),
}


def display_step(name: object) -> object:
    """A funnel step or lost reason as shown: "Won", "No reason given"... translated, stage
    names (data) as they are.
    """
    return _(STEP_LABELS[name]) if isinstance(name, str) and name in STEP_LABELS else name


def display_change(name: object) -> object:
    """A waterfall step or stage move (``analytics.pipeline_change``) as shown."""
    return _(CHANGE_LABELS[name]) if isinstance(name, str) and name in CHANGE_LABELS else name


def _step_colours(steps: Sequence[str]) -> list[str]:
    """Stage colours for the open steps, green for the final "Won" step."""
    colours = stage_colours(list(steps[:-1]))
    return [colours.get(step, WON) for step in steps[:-1]] + [WON]


def funnel_figure(funnel: pd.DataFrame, previous: pd.DataFrame) -> go.Figure:
    """Deals reaching each stage (bars), with the comparison cohort's conversion in the hover.

    ``funnel`` and ``previous`` are :func:`analytics.funnel.reached` frames without groups.
    """
    steps = list(funnel["stage"])
    before = previous.set_index("stage")["cumulative_conversion"].reindex(steps)
    custom = pd.DataFrame(
        {
            "cumulative": funnel["cumulative_conversion"].fillna(0).to_numpy(),
            "next": funnel["next_conversion"].to_numpy(),
            "open": funnel["pct_still_open"].fillna(0).to_numpy(),
            "before": before.to_numpy(),
        }
    )
    text = [
        f"{format_count(n)} · {format_percent(c, 0)}"
        for n, c in zip(funnel["reached"], custom["cumulative"], strict=True)
    ]
    hover = _(
        "%{y}: %{x:,} deals<br>%{customdata[0]:.1%} of the cohort"
        "<br>next step: %{customdata[1]:.1%}<br>still open: %{customdata[2]:.1%}"
        "<br>comparison cohort: %{customdata[3]:.1%} of its cohort"
    )
    fig = go.Figure(
        go.Funnel(
            y=[display_step(step) for step in steps], x=funnel["reached"], text=text,
            textinfo="text",
            marker={"color": _step_colours(steps)}, connector={"fillcolor": "#eef1f5"},
            customdata=custom.to_numpy(),
            hovertemplate=hover + "<extra></extra>",
        )
    )  # fmt: skip
    return house_layout(fig, 340)


def group_funnel_figure(funnel: pd.DataFrame, groups: Sequence[str]) -> go.Figure:
    """Cumulative conversion per stage, one bar colour per group (groups of different sizes
    compare on rates; the hover gives the counts).

    ``funnel`` is :func:`analytics.funnel.reached` with ``by="group"``.
    """
    palette = [PRIMARY, "#e69138", "#6aa84f", "#8e7cc3", "#c27ba0", "#45818e", COMPARISON]
    fig = go.Figure()
    for i, group in enumerate(groups):
        rows = funnel[funnel["group"] == group]
        fig.add_bar(
            y=rows["stage"].map(display_step), x=rows["cumulative_conversion"],
            orientation="h", name=str(group),
            marker={"color": palette[i % len(palette)]},
            customdata=rows[["reached", "cohort", "next_conversion"]].to_numpy(),
            hovertemplate=_("%{y}<br>%{x:.1%} of %{customdata[1]:,} new deals"
                            " (%{customdata[0]:,})<br>next step: %{customdata[2]:.1%}")
                          + f"<extra>{group}</extra>",
        )  # fmt: skip
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed", gridcolor="rgba(0,0,0,0)")
    fig.update_xaxes(**percent_axis(0.0, 1.0), showgrid=True, gridcolor="#eceff3", range=[0, 1.05])
    return house_layout(fig, max(300, 60 + 26 * len(groups) * funnel["stage"].nunique()))


def survival_figure(
    survival: pd.DataFrame, stages: Sequence[str], x_max: float | None = None
) -> go.Figure:
    """Share of visits still in each stage after *x* days (Kaplan–Meier, censored visits
    included); where a curve crosses 50 % is the stage's median time.  ``x_max`` cuts the
    days axis (the long tail of a few slow visits would squeeze the curves).
    """
    colours = stage_colours(list(stages))
    hover = _("%{y:.0%} still in the stage after %{x:.1f} days")
    fig = go.Figure()
    for stage in stages:
        curve = survival[survival["stage"] == stage]
        if curve.empty:
            continue
        x = [0.0, *curve["time"]]
        y = [1.0, *curve["survival"]]
        fig.add_scatter(
            x=x, y=y, mode="lines", line={"shape": "hv", "color": colours[stage], "width": 2},
            name=stage, hovertemplate=f"{stage}<br>" + hover + "<extra></extra>",
        )  # fmt: skip
    fig.add_hline(y=0.5, line={"dash": "dot", "color": COMPARISON}, annotation_text=_("median"))
    fig.update_yaxes(**percent_axis(0.0, 1.0), range=[0, 1.02], title=_("still in the stage"))
    fig.update_xaxes(title=_("days in the stage"), rangemode="tozero")
    if x_max is not None and x_max > 0:
        fig.update_xaxes(range=[0, x_max])
    return house_layout(fig, 340)


def lost_reasons_figure(lost_by_stage: pd.DataFrame, stages: Sequence[str]) -> go.Figure:
    """Lost deals per stage where they were lost, stacked by reason ("No reason given" grey)."""
    fig = go.Figure()
    reasons = lost_by_stage.groupby("lost_reason")["deals"].sum().sort_values(ascending=False).index
    palette = ["#c0392b", "#e67e22", "#8e44ad", "#2980b9", "#16a085", "#f1c40f", "#d35400",
               "#2c3e50", "#27ae60", "#e84393"]  # fmt: skip
    order = [s for s in stages if s in set(lost_by_stage["stage"])]
    order += [s for s in lost_by_stage["stage"].unique() if s not in order]
    hover = _("%{y}: %{x:,} deals (%{customdata:.0%} of the stage's lost)")
    for i, reason in enumerate(reasons):
        rows = lost_by_stage[lost_by_stage["lost_reason"] == reason].set_index("stage")
        rows = rows.reindex(order)
        colour = COMPARISON if reason == "No reason given" else palette[i % len(palette)]
        name = str(display_step(reason))
        fig.add_bar(
            y=[display_step(stage) for stage in order], x=rows["deals"].fillna(0),
            orientation="h", name=name, marker={"color": colour},
            customdata=rows["share"].fillna(0),
            hovertemplate=f"{name}<br>" + hover + "<extra></extra>",
        )  # fmt: skip
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", gridcolor="rgba(0,0,0,0)")
    fig.update_xaxes(title=_("lost deals"), showgrid=True, gridcolor="#eceff3")
    return house_layout(fig, 320)


def _levels(waterfall: pd.DataFrame) -> list[float]:
    """The heights the waterfall's bars reach: its running total after each step."""
    level, levels = 0.0, []
    for measure, amount in zip(waterfall["measure"], waterfall["amount"], strict=True):
        if measure == "absolute":
            level = float(amount)
        elif measure == "relative":
            level += float(amount)
        levels.append(level)  # a total shows the running level
    return levels


def waterfall_figure(waterfall: pd.DataFrame, currency: str | None) -> go.Figure:
    """The pipeline at the start, what was added and removed, and the pipeline at the end.

    ``waterfall`` is :func:`analytics.pipeline_change.pipeline_waterfall`'s frame.
    """
    fig = go.Figure(
        go.Waterfall(
            x=[display_change(step) for step in waterfall["step"]], y=waterfall["amount"],
            measure=waterfall["measure"],
            customdata=[
                [deals, format_value(amount, "money", currency, compact=False)]
                for deals, amount in zip(waterfall["deals"], waterfall["amount"], strict=True)
            ],
            text=[format_value(v, "money", currency) for v in waterfall["amount"]],
            textposition="outside", cliponaxis=False,
            increasing={"marker": {"color": WON}}, decreasing={"marker": {"color": LOST}},
            totals={"marker": {"color": PRIMARY}}, connector={"line": {"color": COMPARISON}},
            hovertemplate=("%{x}<br>%{customdata[1]}<br>"
                           + _("%{customdata[0]:,} deals") + "<extra></extra>"),
        )
    )  # fmt: skip
    levels = _levels(waterfall)
    fig.update_yaxes(**money_axis(min(levels, default=0.0), max(levels, default=0.0), currency))
    fig.update_layout(showlegend=False)
    return house_layout(fig, 360)


def sankey_figure(flow: pd.DataFrame, stages: Sequence[str]) -> go.Figure:
    """How deals move: creation into a stage, forward, skipping, back, to won and lost.

    ``flow`` is :func:`analytics.funnel.stage_flow`'s frame.
    """
    colours = stage_colours(list(stages))
    nodes = ["Created", *stages]
    nodes += [n for n in pd.unique(flow[["source", "target"]].to_numpy().ravel()) if n not in nodes]
    index = {name: i for i, name in enumerate(nodes)}
    node_colours = [
        WON if n == "Won" else LOST if n == "Lost" else colours.get(n, COMPARISON) for n in nodes
    ]
    kinds = [_(FLOW_LABELS.get(k, k)) for k in flow["kind"]]
    hover = _("%{source.label} → %{target.label}<br>%{value:,} deals"
              " (%{customdata[1]:,} moves, %{customdata[0]})")  # fmt: skip
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": [display_step(n) for n in nodes], "color": node_colours,
                  "pad": 18, "thickness": 16},
            link={
                "source": [index[s] for s in flow["source"]],
                "target": [index[t] for t in flow["target"]],
                "value": flow["deals"], "color": [FLOW_COLOURS[k] for k in flow["kind"]],
                "customdata": list(zip(kinds, flow["moves"], strict=True)),
                "hovertemplate": hover + "<extra></extra>",
            },
        )
    )  # fmt: skip
    return house_layout(fig, 380)
