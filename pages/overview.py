"""Overview: the executive's one screen — KPIs with deltas, revenue trend, pipeline, why won
revenue changed, what changed in the period, and what needs attention."""

from __future__ import annotations

import streamlit as st

from analytics.clients import FORGOTTEN_DAYS
from i18n import _, translated
from reports.forecast import with_weight
from reports.overview import overview_report
from ui.attention import Attention, attention_card
from ui.bridge_charts import (
    BRIDGE_VIEWS,
    REASONS,
    bridge_figure,
    bridge_sentence,
    segment_table,
    split_caption,
)
from ui.cache import cached_report
from ui.charts import pipeline_figure, trend_figure
from ui.deal_panel import deal_panel
from ui.empty import empty_state
from ui.engine import get_engine
from ui.forecast_history import kept_weight, optional_forecast, segment_key
from ui.forecast_text import quarter_name
from ui.format import format_value
from ui.kpi import kpi_row
from ui.labels import labelled
from ui.page import currency_notice, filtered_page_start, page_header
from ui.page_options import seed_from_url, write_to_url
from ui.registry import page_link
from ui.tables import data_table

context = filtered_page_start("overview")
engine = get_engine()
page_header(_("Overview"), context, _("The sales department on one screen"))

with st.spinner(_("Computing the overview…"), show_time=True):
    report = cached_report(overview_report, engine, context.filters, context.scope)
currency = report.currency
currency_notice(currency, report.mixed_currencies)

kpi_row(report.kpis[:5], currency)
kpi_row(report.kpis[5:], currency)

# ---- this quarter: forecast vs plan ----------------------------------------------------------
with st.spinner(_("Forecasting the quarter…"), show_time=True):
    forecast = optional_forecast(engine, context.filters, context.scope)
if forecast is None:
    st.caption(_("The quarter's forecast is not available: it reads the deals, their stage "
                 "history and the quotas, and this database lacks some of them."))  # fmt: skip
if forecast is not None and (forecast.series.history_months or not forecast.pipeline.deals.empty):
    key = segment_key(context.filters, context.scope)
    quarter = with_weight(forecast, kept_weight(key, forecast.series.history)).quarter
    with st.container(border=True):
        st.markdown(
            _("**{quarter}: forecast vs plan**").format(quarter=quarter_name(quarter.start))
        )

        def money(value: float) -> str:
            return format_value(value, "money", currency)

        st.caption(
            _("Won so far {won} · forecast {forecast} (90% range {low} – {high}) · plan {plan} · "
              "gap {gap}").format(
                won=money(quarter.won_so_far), forecast=money(quarter.forecast),
                low=money(quarter.won_so_far + quarter.rest_low),
                high=money(quarter.won_so_far + quarter.rest_high),
                plan=money(quarter.plan) if quarter.plan else "—",
                gap=money(quarter.gap) if quarter.plan else "—")
        )  # fmt: skip
        if quarter.plan:
            share = quarter.forecast / quarter.plan
            st.progress(min(max(share, 0.0), 1.0), text=_("Forecast: {share} of the plan").format(
                share=format_value(share, "ratio")))  # fmt: skip
        page_link("forecast", context.scope.role, _("Open the forecast"))

# ---- trend and pipeline ----------------------------------------------------------------------
left, right = st.columns([3, 2])
with left, st.container(border=True):
    st.markdown(_("**Won revenue by month** vs the comparison period"))
    if not report.has_revenue:
        empty_state(
            _("No deal was won in these months."), _("Pick a longer period in the sidebar.")
        )
    else:
        st.plotly_chart(
            trend_figure(report.trend, currency, _("This period"), _("Comparison period")),
            key="overview_trend",
        )
with right, st.container(border=True):
    st.markdown(_("**Open pipeline by stage** at the end of the period"))
    if report.open_deals == 0:
        empty_state(_("No deal was open at the end of the period."), _("Pick another period."))
    else:
        st.plotly_chart(pipeline_figure(report.pipeline, currency), key="overview_pipeline")

# ---- why won revenue changed ----------------------------------------------------------------
st.subheader(_("Why won revenue changed"), anchor=False)
seed_from_url("bridge", "overview_bridge", list(BRIDGE_VIEWS), "company")
view = st.segmented_control(
    _("Show the change"), list(BRIDGE_VIEWS), format_func=translated(BRIDGE_VIEWS).__getitem__,
    key="overview_bridge", required=True, label_visibility="collapsed",
) or "company"  # fmt: skip
write_to_url("bridge", view, "company")
split = report.bridge_splits.get(view)
bridge = report.bridge if split is None else split.total
with st.container(border=True):
    if bridge.reason == "no_revenue":
        empty_state(_(REASONS["no_revenue"]), _("Pick a longer period in the sidebar."))
    else:
        st.markdown(bridge_sentence(bridge, currency))
        if bridge.reason is not None:
            st.caption(_(REASONS[bridge.reason]))
        elif split is not None:
            st.caption(split_caption(split, view))
        st.plotly_chart(
            bridge_figure(bridge, currency, None if split is None else view),
            key="overview_bridge_chart",
        )
        if split is not None:
            shown, export = segment_table(split, view, currency)
            data_table(
                shown, key=f"overview_bridge_{view}", file_stem=f"revenue_bridge_{view}",
                export=export,
                context=context.export_context(
                    _("Overview — why won revenue changed, {view}").format(
                        view=_(BRIDGE_VIEWS[view]).lower()
                    )
                ),
                column_config={
                    column: st.column_config.TextColumn(alignment="right")
                    for column in shown.columns[1:]
                },
            )  # fmt: skip

# ---- what changed ----------------------------------------------------------------------------
st.subheader(_("What changed"), anchor=False)
LISTS = {
    "won": (_("Largest won"), report.won, ["closed_at"]),
    "lost": (_("Largest lost"), report.lost, ["closed_at", "lost_reason"]),
    "slipped": (_("Slipped"), report.slipped, ["expected_close_at", "stage"]),
}
selected: int | None = None
for tab, (kind, (label, frame, extra)) in zip(
    st.tabs([label for label, _frame, _extra in LISTS.values()]), LISTS.items(), strict=True
):
    with tab:
        if kind == "slipped":
            st.caption(_("Open deals that were expected to close in the period and did not."))
        if frame.empty:
            empty_state(
                _("No deal in “{list}”.").format(list=label.lower()),
                _("Widen the period or the filters."),
            )
            continue
        columns = ["deal_id", "title", "account", "owner", "amount", *extra]
        shown, config = labelled(frame, columns, currency=currency)
        row = data_table(
            shown,
            key=f"overview_{kind}",
            file_stem=f"overview_{kind}",
            context=context.export_context(_("Overview — {list}").format(list=label)),
            selectable=True,
            column_config=config,
        )
        if row is not None:
            selected = int(frame["deal_id"].iloc[row])
if selected is not None:
    deal_panel(engine, context.scope, selected, currency)
else:
    st.caption(
        ":material/touch_app: " + _("Select a row to see the deal's stage history and activities.")
    )

# ---- attention -------------------------------------------------------------------------------
st.subheader(_("Needs attention"), anchor=False)
ITEMS = [
    Attention(
        _("Stuck deals"), report.stuck_count, report.stuck, "funnel", "overview_stuck",
        _("Open deals longer in their current stage than the stage's limit (rot days)."),
        ("title", "owner", "stage", "days_in_stage", "amount", "reasons"), {"title": _("Deal")},
    ),
    Attention(
        _("Overdue follow-ups"), report.overdue_count, report.overdue, "activity",
        "overview_overdue", _("Planned activities due before the end of the period and not done."),
        ("employee", "type", "due_at", "days_overdue", "deal", "account"),
    ),
    Attention(
        _("Forgotten clients"), report.forgotten_count, report.forgotten, "activity",
        "overview_forgotten",
        _("Customers with no contact and no order for {days} days (since the first "
          "purchase when never contacted) and no open deal.").format(days=FORGOTTEN_DAYS),
        ("account", "owner", "last_contact_at", "days_since_contact", "revenue"),
        {"account": _("Client")},
    ),
]  # fmt: skip
for column, item in zip(st.columns(len(ITEMS)), ITEMS, strict=True):
    with column:
        attention_card(item, context, currency)
