"""Figures of the Segments page (pure functions returning Plotly figures).

The RFM segment names of :mod:`analytics.segments` are English data codes; they read in the
user's language through :func:`segment_label`.  Every axis writes its ticks in the language in
force (``ui.charts.money_axis`` / ``percent_axis``, Babel for counts and months).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.segment_profiles import MISSING
from analytics.segments import SEGMENT_ORDER
from i18n import _, ngettext, pgettext
from i18n.formatting import format_count, format_money, format_month, format_percent
from ui.charts import PRIMARY, house_layout, percent_axis
from ui.format import format_value

__all__ = [
    "SEGMENT_COLOURS",
    "cluster_scatter",
    "clv_histogram",
    "group_name",
    "group_share_figure",
    "pareto_figure",
    "retention_heatmap",
    "rfm_grid_heatmap",
    "segment_label",
    "segment_labels",
    "segment_treemap",
    "shown_groups",
]


def segment_labels() -> dict[str, str]:
    """The RFM segments (data codes) as the page names them, in the language in force (in the
    message context "RFM segment": "Lost" customers are not a lost deal).
    """
    return {
        "Champions": pgettext("RFM segment", "Champions"),
        "Loyal": pgettext("RFM segment", "Loyal"),
        "Potential loyal": pgettext("RFM segment", "Potential loyal"),
        "New": pgettext("RFM segment", "New"),
        "Promising": pgettext("RFM segment", "Promising"),
        "Need attention": pgettext("RFM segment", "Need attention"),
        "At risk": pgettext("RFM segment", "At risk"),
        "Can't lose": pgettext("RFM segment", "Can't lose"),
        "Hibernating": pgettext("RFM segment", "Hibernating"),
        "Lost": pgettext("RFM segment", "Lost"),
    }


#: One colour per segment, best (green) to worst (grey), in :data:`SEGMENT_ORDER`.
SEGMENT_COLOURS: dict[str, str] = dict(
    zip(
        SEGMENT_ORDER,
        ("#1a7f4b", "#2e9e62", "#7cc08f", "#4e9fd1", "#8cc2e3", "#f2b84b", "#e07b39",
         "#c0392b", "#9aa5b1", "#5f6b7a"),
        strict=True,
    )
)  # fmt: skip
#: Colours of clusters 1, 2, ... (cycled).
CLUSTER_PALETTE: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f")  # fmt: skip
#: Points drawn at most on the cluster scatter (a fixed-seed sample above it).
SCATTER_POINTS = 4_000


def segment_label(code: object) -> str:
    """How the RFM segment ``code`` reads in the language in force (an unknown code as is,
    the missing group in words).

    Examples
    --------
    >>> segment_label("Can't lose"), segment_label("Other")
    ("Can't lose", 'Other')
    """
    if code is None or (isinstance(code, float) and math.isnan(code)) or code == MISSING:
        return _("(none)")
    text = str(code)
    return segment_labels().get(text, text)


def group_name(column: str, value: object) -> str:
    """A group's value as the page writes it: segments, ABC classes and clusters in words, the
    missing group "(none)"; other values (data) as they are.

    Examples
    --------
    >>> group_name("abc_class", "A"), group_name("cluster", 2), group_name("region", "North")
    ('Class A', 'Cluster 2', 'North')
    """
    if value is None or value == MISSING or (isinstance(value, float) and math.isnan(value)):
        return _("(none)")
    if column == "segment":
        return segment_label(value)
    if column == "abc_class":
        return _("Class {abc}").format(abc=value)
    if column == "cluster":
        return _("Cluster {n}").format(n=value)
    return str(value)


def shown_groups(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with its group ``columns`` written as :func:`group_name` writes them."""
    return frame.assign(**{c: [group_name(c, v) for v in frame[c]] for c in columns})


def _money(value: float, currency: str | None) -> str:
    return format_value(value, "money", currency)


def _customers(n: int) -> str:
    return ngettext("{n} customer", "{n} customers", n).format(n=format_count(n))


def group_share_figure(profile: pd.DataFrame, columns: Sequence[str]) -> go.Figure:
    """Share of customers vs share of revenue per group of the explorer (bars side by side).

    ``profile`` is :func:`analytics.segment_profiles.segment_profile`'s frame grouped by
    ``columns`` (a segment column reads through :func:`segment_label`).
    """
    groups = [
        " · ".join(group_name(c, v) for c, v in zip(columns, row, strict=True))
        for row in profile[list(columns)].itertuples(index=False)
    ]
    fig = go.Figure()
    for column, label, colour in (("customer_share", _("Share of customers"), "#aab3bf"),
                                  ("revenue_share", _("Share of revenue"), PRIMARY)):  # fmt: skip
        fig.add_bar(
            y=groups, x=profile[column], orientation="h", name=label, marker={"color": colour},
            text=[format_percent(v) for v in profile[column]], textposition="none",
            hovertemplate="%{y}<br>" + label + ": %{text}<extra></extra>",
        )  # fmt: skip
    top = float(profile[["customer_share", "revenue_share"]].max().max()) if len(profile) else 1.0
    fig.update_xaxes(range=[0, top * 1.05], **percent_axis(0.0, top, count=4))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(barmode="group", bargap=0.25)
    return house_layout(fig, height=max(260, 26 * len(groups) + 90))


def _wrapped(text: str, width: int = 12) -> str:
    """``text`` on two lines (at its first space) when longer than ``width`` characters."""
    return text.replace(" ", "<br>", 1) if len(text) > width else text


def rfm_grid_heatmap(grid: pd.DataFrame, currency: str | None) -> go.Figure:
    """The R × FM grid: customers per cell (colour), with the cell's segment, customers and
    revenue written in it; R 5 (most recent) on top, FM 1 to 5 left to right.
    """
    rows, cols = [5, 4, 3, 2, 1], [1, 2, 3, 4, 5]
    keys = [(int(r), int(fm)) for r, fm in zip(grid["r_score"], grid["fm_score"], strict=True)]
    customers = dict(zip(keys, grid["customers"].astype(int).tolist(), strict=True))
    revenue = dict(zip(keys, grid["revenue"].astype(float).tolist(), strict=True))
    segments = dict(zip(keys, grid["segment"].astype(str).tolist(), strict=True))
    z = [[customers[(r, fm)] for fm in cols] for r in rows]
    text = [
        [
            "<br>".join((
                f"<b>{_wrapped(segment_label(segments[(r, fm)]))}</b>",
                _customers(customers[(r, fm)]),
                _money(revenue[(r, fm)], currency),
            ))
            for fm in cols
        ]
        for r in rows
    ]  # fmt: skip
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(c) for c in cols], y=[str(r) for r in rows], text=text,
        texttemplate="%{text}", textfont={"size": 10}, colorscale="Blues", showscale=False,
        hovertemplate=_("R {r}, FM {fm}").format(r="%{y}", fm="%{x}")
        + "<br>%{text}<extra></extra>",
    ))  # fmt: skip
    fig.update_xaxes(title=_("FM score (frequency and money, 5 = best)"), type="category")
    fig.update_yaxes(title=_("R score (5 = most recent)"), type="category", autorange="reversed")
    return house_layout(fig, height=480)


def segment_treemap(segments: pd.DataFrame, currency: str | None) -> go.Figure:
    """One tile per RFM segment sized by its customers, with its share of revenue written in
    it; ``segments`` is :attr:`reports.segments.SegmentsReport.segments`.
    """
    labels = [segment_label(s) for s in segments["segment"]]
    text = [
        _customers(int(n))
        + "<br>"
        + _("{share} of revenue").format(share=format_percent(share))
        + "<br>"
        + _money(float(revenue), currency)
        for n, share, revenue in zip(
            segments["customers"], segments["revenue_share"], segments["revenue"], strict=True
        )
    ]
    fig = go.Figure(go.Treemap(
        labels=labels, parents=[""] * len(labels), values=segments["customers"],
        text=text, texttemplate="<b>%{label}</b><br>%{text}", textinfo="label+text",
        marker={"colors": [SEGMENT_COLOURS.get(s, PRIMARY) for s in segments["segment"]]},
        hovertemplate="<b>%{label}</b><br>%{text}<extra></extra>", sort=False,
    ))  # fmt: skip
    return house_layout(fig, height=420)


def pareto_figure(pareto: pd.DataFrame, share_80: float) -> go.Figure:
    """Cumulative share of revenue against the share of customers, largest first, with the
    point where revenue reaches 80 % marked (``share_80``: the share of customers in class A).

    ``pareto`` is :func:`analytics.segments.pareto_abc`'s frame.
    """
    n = len(pareto)
    x = np.concatenate([[0.0], np.arange(1, n + 1) / n]) if n else np.array([0.0])
    y = np.concatenate([[0.0], pareto["cumulative_share"].to_numpy(dtype=float)])
    fig = go.Figure()
    fig.add_scatter(
        x=x, y=y, mode="lines", name=_("Cumulative revenue"), line={"color": PRIMARY, "width": 2},
        text=[
            _("{customers} of customers make {revenue} of revenue").format(
                customers=format_percent(a), revenue=format_percent(b))
            for a, b in zip(x, y, strict=True)
        ],
        hovertemplate="%{text}<extra></extra>",
    )  # fmt: skip
    fig.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", name=_("Every customer alike"),
        line={"color": "#aab3bf", "dash": "dot"}, hoverinfo="skip",
    )  # fmt: skip
    if not math.isnan(share_80):
        note = _("{customers} of customers make 80% of revenue").format(
            customers=format_percent(share_80)
        )
        fig.add_scatter(
            x=[share_80], y=[0.8], mode="markers", name=note,
            hovertemplate=note + "<extra></extra>",
            marker={"color": "#c0392b", "size": 11, "line": {"color": "white", "width": 1}},
        )  # fmt: skip
        fig.add_shape(type="line", x0=0, x1=share_80, y0=0.8, y1=0.8,
                      line={"color": "#c0392b", "dash": "dash", "width": 1})  # fmt: skip
        fig.add_shape(type="line", x0=share_80, x1=share_80, y0=0, y1=0.8,
                      line={"color": "#c0392b", "dash": "dash", "width": 1})  # fmt: skip
    fig.update_xaxes(title=_("Share of customers, largest revenue first"), range=[0, 1.02],
                     showgrid=True, gridcolor="#eceff3", **percent_axis(0.0, 1.0))  # fmt: skip
    fig.update_yaxes(title=_("Share of revenue"), range=[0, 1.02], **percent_axis(0.0, 1.0))
    return house_layout(fig, height=400)


def _log_ticks(low: float, high: float, text: Callable[[float], str]) -> dict[str, list[Any]]:
    """Ticks 1, 2, 5 × powers of ten between ``low`` and ``high`` (a log axis), written by
    ``text`` (a function of the value).
    """
    low, high = max(low, 1e-9), max(high, low * 10)
    values = [
        m * 10.0**p
        for p in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for m in (1, 2, 5)
        if low <= m * 10.0**p <= high
    ]
    if len(values) > 7:
        values = [v for v in values if round(v / 10 ** math.floor(math.log10(v)), 6) == 1]
    return {"tickvals": values, "ticktext": [text(v) for v in values]}


def cluster_scatter(customers: pd.DataFrame, currency: str | None) -> go.Figure:
    """Customers by order days (x, log) and revenue per order day (y, log), coloured by
    cluster; a fixed-seed sample of :data:`SCATTER_POINTS` when there are more.
    """
    points = customers[customers["cluster"].notna() & (customers["monetary"] > 0)]
    if len(points) > SCATTER_POINTS:
        points = points.sample(SCATTER_POINTS, random_state=0)
    fig = go.Figure()
    for cluster, part in points.groupby("cluster", sort=True):
        number = int(str(cluster))
        fig.add_scatter(
            x=part["frequency"], y=part["monetary"], mode="markers",
            name=_("Cluster {n}").format(n=number),
            marker={"color": CLUSTER_PALETTE[(number - 1) % len(CLUSTER_PALETTE)], "size": 6,
                    "opacity": 0.7},
            text=[
                "{name}<br>{days}<br>{money}".format(
                    name=name,
                    days=ngettext("{n} order day", "{n} order days", int(f)).format(
                        n=format_count(f)),
                    money=_("{amount} per order day").format(amount=_money(m, currency)),
                )
                for name, f, m in zip(part["name"], part["frequency"], part["monetary"],
                                      strict=True)
            ],
            hovertemplate="%{text}<extra>" + _("Cluster {n}").format(n=number) + "</extra>",
        )  # fmt: skip
    if len(points):
        f_low, f_high = float(points["frequency"].min()), float(points["frequency"].max())
        m_low, m_high = float(points["monetary"].min()), float(points["monetary"].max())
        fig.update_xaxes(type="log", **_log_ticks(f_low, f_high, format_count))
        fig.update_yaxes(
            type="log",
            **_log_ticks(m_low, m_high,
                         lambda v: format_money(v, currency, compact=True, trim=True)),
        )  # fmt: skip
    fig.update_xaxes(title=_("Order days (log scale)"), showgrid=True, gridcolor="#eceff3")
    fig.update_yaxes(title=_("Revenue per order day (log scale)"))
    return house_layout(fig, height=440)


def retention_heatmap(retention: pd.DataFrame, sizes: pd.Series) -> go.Figure:
    """Cohort retention: first-order month (rows, oldest on top) × months since (columns); the
    cells not yet observed stay blank.  ``retention`` is a
    :class:`analytics.segments.CohortRetention` matrix (shares), ``sizes`` its cohort sizes.
    """
    months = [format_month(c) for c in retention.index]
    z = retention.to_numpy(dtype=float)
    text = [
        [
            "" if math.isnan(v) else _("{cohort} ({n}), month {k}: {share}").format(
                cohort=month, n=format_count(n), k=k, share=format_percent(v))
            for k, v in enumerate(row)
        ]
        for month, n, row in zip(months, sizes.to_numpy(), z, strict=True)
    ]  # fmt: skip
    finite = z[np.isfinite(z)]
    top = max(1.0, float(finite.max())) if finite.size else 1.0  # revenue can pass 100 %
    ticks = percent_axis(0.0, top, count=4)
    fig = go.Figure(go.Heatmap(
        z=z, x=[str(k) for k in retention.columns], y=months, text=text, colorscale="Blues",
        zmin=0, zmax=top, hoverongaps=False, hovertemplate="%{text}<extra></extra>",
        colorbar={"tickvals": ticks["tickvals"], "ticktext": ticks["ticktext"]},
    ))  # fmt: skip
    fig.update_xaxes(title=_("Months since the first order"), type="category")
    fig.update_yaxes(autorange="reversed", type="category")
    return house_layout(fig, height=max(360, 16 * len(months) + 120))


def clv_histogram(clv: pd.Series, currency: str | None) -> go.Figure:
    """How the customers' CLV spreads: customers per bin of the CLV's logarithm (about five
    bins per power of ten), the axis written in amounts; customers with no positive CLV are
    left out, those under 1 counted at 1.
    """
    values = clv[clv > 0].astype(float).clip(lower=1.0)
    fig = go.Figure()
    if len(values):
        logs = np.log10(values.to_numpy())
        fig.add_histogram(
            x=logs, xbins={"size": 0.2}, marker={"color": PRIMARY},
            hovertemplate=_("{customers} customers").format(customers="%{y}")
            + "<extra></extra>",
        )  # fmt: skip
        ticks = _log_ticks(
            float(values.min()), float(values.max()),
            lambda v: format_money(v, currency, compact=True, trim=True),
        )  # fmt: skip
        fig.update_xaxes(
            tickvals=[math.log10(v) for v in ticks["tickvals"]], ticktext=ticks["ticktext"]
        )
    fig.update_xaxes(title=_("CLV, next 12 months (log scale)"), tickangle=0)
    fig.update_yaxes(title=_("Customers"))
    return house_layout(fig, height=340)
