"""Figures of the Activity and Incentives pages (pure functions returning Plotly figures).

Activity types keep the colours of :data:`ui.charts.ACTIVITY_COLOURS`; the comparison period is
grey, as on every page.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_date

from i18n import DEFAULT_LANGUAGE, N_, _, current_language
from i18n.formatting import babel_locale, number_separators
from ui.charts import ACTIVITY_COLOURS, COMPARISON, PRIMARY, apply_layout

__all__ = [
    "ACTIVITY_TYPES",
    "activity_heatmap",
    "activity_type_label",
    "days_inside",
    "score_histogram",
    "weekly_activity_figure",
]

#: The activity types of the database (codes) as the page names them (marked; translated by
#: :func:`activity_type_label`).
ACTIVITY_TYPES: dict[str, str] = {
    "call": N_("call"),
    "meeting": N_("meeting"),
    "email": N_("email"),
    "task": N_("task"),
}


def _day_text(day: Any, pattern: str) -> str:
    """``day`` as the CLDR ``pattern`` writes it in the language in force: "02 Nov" /
    "02 нояб.".
    """
    return format_date(pd.Timestamp(day).date(), pattern, locale=babel_locale())


def activity_type_label(code: object) -> str:
    """How the activity type ``code`` reads in the language in force (an unknown code as is).

    Examples
    --------
    >>> activity_type_label("call"), activity_type_label("visit")
    ('call', 'visit')
    """
    text = str(code) if code is not None else ""
    return _(ACTIVITY_TYPES[text]) if text in ACTIVITY_TYPES else text


#: Opacity of the bars of a week only partly inside the period.
PARTIAL_OPACITY = 0.45


def activity_heatmap(heatmap: pd.DataFrame, kind: str | None = None) -> go.Figure:
    """Done activities per employee (rows, busiest first) and week (columns).

    ``heatmap`` is ``ActivityReport.heatmap`` (``name``, ``type``, ``period``, ``activities``);
    ``kind`` keeps one activity type (None or ``"all"``: every type).
    """
    rows = heatmap if kind in (None, "all") else heatmap[heatmap["type"] == kind]
    grid = rows.pivot_table(index="name", columns="period", values="activities", aggfunc="sum",
                            fill_value=0)  # fmt: skip
    grid = grid.loc[grid.sum(axis=1).sort_values(ascending=False).index]
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=[_day_text(p, "dd MMM") for p in grid.columns], y=list(grid.index),
        colorscale="Blues",
        hovertemplate=_("%{y}<br>week of %{x}: %{z} activities") + "<extra></extra>",
        colorbar={"title": _("done")},
    ))  # fmt: skip
    fig.update_layout(separators=number_separators())
    fig.update_yaxes(autorange="reversed")
    return apply_layout(fig, height=max(320, 18 * len(grid) + 80))


def days_inside(weeks: pd.Series, start: date, end: date) -> np.ndarray:
    """Days of each week ``[w, w + 7)`` inside the period ``[start, end)`` (7 for a whole week).

    Examples
    --------
    >>> weeks = pd.Series(pd.to_datetime(["2026-10-26", "2026-11-02", "2026-11-09"]))
    >>> days_inside(weeks, date(2026, 11, 1), date(2026, 11, 12)).tolist()
    [1, 7, 3]
    """
    first = weeks.to_numpy("datetime64[D]")
    lower = np.maximum(first, np.datetime64(start, "D"))
    upper = np.minimum(first + np.timedelta64(7, "D"), np.datetime64(end, "D"))
    return np.clip((upper - lower).astype("int64"), 0, 7)


def weekly_activity_figure(
    trend: pd.DataFrame, previous: pd.DataFrame, period: tuple[date, date] | None = None
) -> go.Figure:
    """Activities per week stacked by type, the comparison period's weekly total as a line.

    ``trend`` and ``previous`` are ``ActivityReport.trend`` and ``previous_trend``.  With the
    ``period`` ``(start, end)``, the bars of a week only partly inside it (the period starts or
    ends mid-week, so the week holds fewer days of activity) are lighter and say so on hover.
    """
    fig = go.Figure()
    for activity_type, part in trend.groupby("type"):
        colour = ACTIVITY_COLOURS.get(str(activity_type), PRIMARY)
        days = np.full(len(part), 7) if period is None else days_inside(part["period"], *period)
        label = activity_type_label(activity_type)
        note = [
            "<br>" + _("partial week: {days} of 7 days in the period").format(days=d)
            if d < 7 else "" for d in days
        ]  # fmt: skip
        weeks = [_day_text(p, "dd MMM yyyy") for p in part["period"]]
        fig.add_bar(
            x=part["period"], y=part["activities"], name=label,
            customdata=note, text=weeks, textposition="none",
            marker={"color": colour, "opacity": np.where(days < 7, PARTIAL_OPACITY, 1.0)},
            hovertemplate=_("week of {week}: {count} {type}").format(
                week="%{text}", count="%{y}", type=label
            ) + "%{customdata}<extra></extra>",
        )  # fmt: skip
    fig.add_scatter(
        x=previous["period"], y=previous["previous"], mode="lines",
        name=_("Comparison period (all types)"), line={"color": COMPARISON, "dash": "dash"},
    )  # fmt: skip
    fig.update_layout(barmode="stack", separators=number_separators())
    if current_language() != DEFAULT_LANGUAGE and len(trend):  # Plotly names months in English
        ticks = sorted(pd.to_datetime(trend["period"]).unique())
        fig.update_xaxes(tickvals=ticks, ticktext=[_day_text(t, "dd MMM") for t in ticks])
    return apply_layout(fig, height=320)


def score_histogram(scores: pd.Series) -> go.Figure:
    """How the reps' scores (fractions, 1.0 = 100 %) spread, in 10-point bins; the count axis
    ticks whole reps only.
    """
    fig = go.Figure(go.Histogram(
        x=scores * 100, marker={"color": PRIMARY}, xbins={"start": 0, "size": 10},
        hovertemplate=_("{score}%: {count} reps").format(score="%{x}", count="%{y}")
        + "<extra></extra>",
    ))  # fmt: skip
    fig.update_layout(separators=number_separators())
    fig.update_xaxes(title=_("score (%)"))
    tallest = int((scores.dropna() * 10 // 1).value_counts().max()) if scores.notna().any() else 1
    fig.update_yaxes(title=_("reps"), tick0=0, dtick=max(1, math.ceil(tallest / 5)))
    return apply_layout(fig, height=260)
