"""Figures and sentences of the Campaigns & Service page (pure functions returning Plotly
figures or text, in the language in force).

Ticket categories and priorities are English codes in the database; they read in the user's
language through :func:`ui.customer_text.code_label`.  Every axis writes its ticks as the
language writes numbers (``ui.charts.percent_axis``, Babel).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from i18n import _, ngettext
from i18n.formatting import format_count, format_month, format_number, format_percent
from ui.charts import COMPARISON, LOST, PRIMARY, WON, house_layout, percent_axis
from ui.customer_text import code_label
from ui.format import format_value

__all__ = [
    "campaign_rates_figure",
    "category_figure",
    "churn_figure",
    "churn_groups",
    "churn_sentence",
    "code_text",
    "monthly_breach_figure",
    "partial_months",
    "satisfaction_figure",
    "shown_codes",
]

#: Opacity of the marks of a month only partly inside the period.
PARTIAL_OPACITY = 0.45
#: Churn risk or lapse share this close (0.01 = 1 percentage point) counts as "about as likely".
SAME_RISK = 0.01


def code_text(value: object) -> str:
    """A ticket category or priority (or a campaign's segment or channel) as the page writes
    it: translated when it is a known code, "(none)" when missing.

    Examples
    --------
    >>> code_text("complaint"), code_text(None), code_text("SMB")
    ('complaint', '(none)', 'SMB')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return _("(none)")
    return str(code_label(value))


def shown_codes(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with its code ``columns`` written as :func:`code_text` writes them."""
    return frame.assign(**{c: [code_text(v) for v in frame[c]] for c in columns})


def _money(value: float, currency: str | None) -> str:
    return format_value(value, "money", currency, compact=False)


def campaign_rates_figure(
    frame: pd.DataFrame, label_column: str, currency: str | None
) -> go.Figure:
    """Response rate (with its 95 % Wilson interval) and conversion to deals per campaign or
    group of campaigns, as horizontal bars; attributed revenue, budget and ROI in the hover.

    ``frame`` holds :func:`analytics.campaigns.campaign_metrics` (or ``campaign_groups``)
    columns and ``label_column`` the bars' names (first row on top).
    """
    names = [code_text(v) for v in frame[label_column]]
    details = [
        "<br>".join([
            _("{responded} of {members} responded").format(
                responded=format_count(r), members=format_count(m)),
            _("{converted} with a deal that followed").format(converted=format_count(c)),
            _("Attributed revenue: {amount}").format(amount=_money(w, currency)),
            _("Budget: {amount}").format(amount=_money(b, currency)),
            _("ROI: {roi}").format(roi=format_value(roi, "multiple")),
        ])
        for r, m, c, w, b, roi in zip(
            frame["responded"], frame["members"], frame["converted"], frame["won_amount"],
            frame["budget_share"], frame["roi"], strict=True)
    ]  # fmt: skip
    response, conversion = frame["response_rate"], frame["conversion_rate"]
    fig = go.Figure()
    fig.add_bar(
        y=names, x=response, orientation="h", name=_("Response rate"),
        marker={"color": PRIMARY}, customdata=details,
        error_x={"type": "data", "symmetric": False, "color": "#1f2933", "thickness": 1,
                 "array": (frame["response_high"] - response).tolist(),
                 "arrayminus": (response - frame["response_low"]).tolist()},
        text=[format_percent(v) for v in response], textposition="none",
        hovertemplate="<b>%{y}</b><br>" + _("Response rate") + ": %{text}<br>%{customdata}"
        + "<extra></extra>",
    )  # fmt: skip
    fig.add_bar(
        y=names, x=conversion, orientation="h", name=_("Conversion to deals"),
        marker={"color": WON}, customdata=details,
        text=[format_percent(v) for v in conversion], textposition="none",
        hovertemplate="<b>%{y}</b><br>" + _("Conversion to deals") + ": %{text}<br>"
        + "%{customdata}<extra></extra>",
    )  # fmt: skip
    values = pd.concat([frame["response_high"], conversion]).dropna()
    top = float(values.max()) if len(values) else 1.0
    fig.update_xaxes(range=[0, top * 1.05 or 1.0], showgrid=True, gridcolor="#eceff3",
                     **percent_axis(0.0, top, count=4))  # fmt: skip
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(barmode="group", bargap=0.3)
    return house_layout(fig, height=max(240, 56 * len(names) + 90))


def category_figure(categories: pd.DataFrame) -> go.Figure:
    """Tickets opened per category (the most first), the share written on the bar, medians,
    SLA breach share and satisfaction in the hover; ``categories`` is
    :func:`analytics.service.category_table`.
    """
    names = [code_text(v) for v in categories["category"]]
    hours = _("{value} h")
    details = [
        "<br>".join([
            _("Median first response: {hours}").format(hours=hours.format(
                value=format_number(fr, 1))),
            _("Median resolution: {hours}").format(hours=hours.format(
                value=format_number(res, 1))),
            _("SLA breached: {share}").format(share=format_percent(breach)),
            _("Satisfaction: {score}").format(score=format_number(csat, 1)),
        ])
        for fr, res, breach, csat in zip(
            categories["median_first_response_hours"], categories["median_resolution_hours"],
            categories["breach_share"], categories["csat"], strict=True)
    ]  # fmt: skip
    fig = go.Figure()
    fig.add_bar(
        y=names, x=categories["tickets"], orientation="h", marker={"color": PRIMARY},
        text=[format_percent(v) for v in categories["share"]], textposition="outside",
        cliponaxis=False, customdata=details, name=_("Tickets"),
        hovertemplate="<b>%{y}</b><br>" + _("{n} tickets").format(n="%{x}")
        + " (%{text})<br>%{customdata}<extra></extra>",
    )  # fmt: skip
    widest = float(categories["tickets"].max()) if len(categories) else 0.0
    fig.update_xaxes(title=_("Tickets opened"), range=[0, 1.2 * widest or 1.0], showgrid=True,
                     gridcolor="#eceff3")  # fmt: skip
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(showlegend=False)
    return house_layout(fig, height=max(220, 44 * len(names) + 80))


def partial_months(months: pd.Series, start: date, until: date) -> np.ndarray:
    """Whether each month (its first day) lies only partly inside the period ``[start, until)``.

    Examples
    --------
    >>> months = pd.Series(pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]))
    >>> partial_months(months, date(2026, 1, 15), date(2026, 3, 10)).tolist()
    [True, False, True]
    """
    first = pd.to_datetime(months)
    after = first + pd.offsets.MonthBegin(1)
    inside = (first >= pd.Timestamp(start)) & (after <= pd.Timestamp(until))
    return ~inside.to_numpy(dtype=bool)


def _partial_note(partial: np.ndarray) -> list[str]:
    """The hover's note on a month only partly inside the period."""
    note = "<br>" + _("(part of the month)")
    return [note if flag else "" for flag in partial]


def satisfaction_figure(monthly: pd.DataFrame, period: tuple[date, date]) -> go.Figure:
    """Mean satisfaction (1–5) of the tickets resolved each month, as a line; a month without a
    rating is a gap, a month only partly inside the ``period`` (start, end excluded) a hollow
    marker.  ``monthly`` is :func:`analytics.service.monthly_service`.
    """
    months = [format_month(m) for m in monthly["month"]]
    partial = partial_months(monthly["month"], *period)
    text = [
        ngettext("{score} from {n} rating", "{score} from {n} ratings", int(n)).format(
            score=format_number(score, 2), n=format_count(n)) + note
        for score, n, note in zip(monthly["csat"], monthly["rated"], _partial_note(partial),
                                  strict=True)
    ]  # fmt: skip
    fig = go.Figure()
    fig.add_scatter(
        x=months, y=monthly["csat"], mode="lines+markers", name=_("Satisfaction"),
        line={"color": PRIMARY, "width": 2}, text=text,
        marker={"size": 8, "symbol": ["circle-open" if p else "circle" for p in partial]},
        hovertemplate="%{x}<br>%{text}<extra></extra>",
    )  # fmt: skip
    fig.update_yaxes(title=_("Mean score (1–5)"), range=[1, 5.1], tickvals=[1, 2, 3, 4, 5])
    fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return house_layout(fig, height=300)


def monthly_breach_figure(monthly: pd.DataFrame, period: tuple[date, date]) -> go.Figure:
    """Share of the tickets opened each month that breached their first-response target, as
    bars, lighter for a month only partly inside the ``period`` (start, end excluded);
    ``monthly`` is :func:`analytics.service.monthly_service`.
    """
    months = [format_month(m) for m in monthly["month"]]
    partial = partial_months(monthly["month"], *period)
    text = [
        _("{breached} of {judged} judged: {share}").format(
            breached=format_count(b), judged=format_count(j), share=format_percent(s)) + note
        for b, j, s, note in zip(monthly["breached"], monthly["judged"], monthly["breach_share"],
                                 _partial_note(partial), strict=True)
    ]  # fmt: skip
    fig = go.Figure()
    fig.add_bar(
        x=months, y=monthly["breach_share"], text=text, textposition="none",
        marker={"color": LOST, "opacity": [PARTIAL_OPACITY if p else 1.0 for p in partial]},
        name=_("SLA breach share"), hovertemplate="%{x}<br>%{text}<extra></extra>",
    )  # fmt: skip
    top = monthly["breach_share"].max()
    top = float(top) if pd.notna(top) and top > 0 else 1.0
    fig.update_yaxes(range=[0, top * 1.1], **percent_axis(0.0, top, count=4))
    fig.update_xaxes(type="category")
    fig.update_layout(showlegend=False)
    return house_layout(fig, height=300)


def churn_groups(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`analytics.service.complaints_and_churn`'s rows named for a table: ``group``
    ("Complained in the period" / "No complaint") in place of ``complained``.
    """
    names = {True: _("Complained in the period"), False: _("No complaint")}
    group = [names[bool(flag)] for flag in table["complained"]]
    return table.drop(columns="complained").assign(group=group)


def churn_figure(table: pd.DataFrame) -> go.Figure:
    """Lapse share and mean churn risk of the active customers who complained in the period
    against the others (grouped bars); ``table`` is
    :func:`analytics.service.complaints_and_churn`.
    """
    rows = churn_groups(table)
    measures = [_("Lapsed share"), _("Mean churn risk")]
    fig = go.Figure()
    for (_index, row), colour in zip(rows.iterrows(), (LOST, COMPARISON), strict=True):
        values = [row["lapse_share"], row["churn_risk"]]
        fig.add_bar(
            x=measures, y=values, name=row["group"], marker={"color": colour},
            text=[format_percent(v) for v in values], textposition="outside", cliponaxis=False,
            hovertemplate="%{x}: %{text}<extra>" + row["group"] + "</extra>",
        )  # fmt: skip
    shares = pd.concat([table["lapse_share"], table["churn_risk"]]).dropna()
    top = float(shares.max()) if len(shares) else 1.0
    fig.update_yaxes(range=[0, top * 1.2 or 1.0], **percent_axis(0.0, top, count=4))
    fig.update_layout(barmode="group", bargap=0.35)
    return house_layout(fig, height=300)


def churn_sentence(table: pd.DataFrame, lapse_days: int) -> str:
    """One sentence (Markdown, in bold) on whether the customers who complained leave more often,
    then the figures behind it (churn risk when the purchase model was fitted, and the lapse
    share).

    Examples
    --------
    >>> table = pd.DataFrame({"complained": [True, False], "customers": [10, 30],
    ...                       "lapse_share": [0.4, 0.2], "churn_risk": [0.3, 0.1]})
    >>> print(churn_sentence(table, 90))  # doctest: +NORMALIZE_WHITESPACE
    **Active customers who complained in the period are more likely to leave than the others.**
    Mean churn risk 30.0% against 10.0%; no order for more than 90 days: 40.0% against 20.0%.
    """
    mine, others = (table[table["complained"] == flag].iloc[0] for flag in (True, False))
    if not mine["customers"]:
        return _("No active customer complained in the period.")
    has_risk = pd.notna(mine["churn_risk"]) and pd.notna(others["churn_risk"])
    measure = "churn_risk" if has_risk else "lapse_share"
    gap = float(mine[measure]) - float(others[measure])
    if math.isnan(gap) or abs(gap) < SAME_RISK:
        verdict = _("Active customers who complained in the period are about as likely to leave "
                    "as the others.")  # fmt: skip
    elif gap > 0:
        verdict = _("Active customers who complained in the period are more likely to leave "
                    "than the others.")  # fmt: skip
    else:
        verdict = _("Active customers who complained in the period are less likely to leave "
                    "than the others.")  # fmt: skip
    lapse = ngettext(
        "no order for more than {n} day: {mine} against {others}.",
        "no order for more than {n} days: {mine} against {others}.",
        lapse_days,
    ).format(n=format_count(lapse_days), mine=format_percent(mine["lapse_share"]),
             others=format_percent(others["lapse_share"]))  # fmt: skip
    if has_risk:
        figures = _("Mean churn risk {mine} against {others}; {lapse}").format(
            mine=format_percent(mine["churn_risk"]),
            others=format_percent(others["churn_risk"]),
            lapse=lapse,
        )
    else:
        figures = _("Customers with {lapse}").format(lapse=lapse)
    return f"**{verdict}** {figures}"
