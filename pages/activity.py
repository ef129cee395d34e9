"""Activity: the work that leads to money — activities per rep and week, conversations,
follow-up discipline, next steps, lead response, new / reactivated / forgotten clients."""

from __future__ import annotations

import streamlit as st

from analytics.clients import FORGOTTEN_DAYS
from reports.activity import activity_report, reorder_due
from ui.activity_charts import activity_heatmap, days_inside, weekly_activity_figure
from ui.cache import cached_report
from ui.empty import empty_state
from ui.engine import get_engine
from ui.format import currency_symbol, format_value
from ui.kpi import kpi_row
from ui.page import filtered_page_start, page_header
from ui.tables import data_table

context = filtered_page_start("activity")
engine = get_engine()
page_header("Activity", context, "Conversations, follow-ups, next steps and clients")

with st.spinner("Computing the activity KPIs…", show_time=True):
    report = cached_report(activity_report, engine, context.filters, context.scope)
currency = report.currency
money = st.column_config.NumberColumn(format=f"{currency_symbol(currency)}%,.0f")
percent = st.column_config.NumberColumn(format="percent")
one = st.column_config.NumberColumn(format="%.1f")
whole_days = st.column_config.NumberColumn(format="%d", help="Whole days")
day = st.column_config.DateColumn(format="YYYY-MM-DD")

kpi_row(report.kpis[:5], currency)
kpi_row(report.kpis[5:], currency)

# ---- who does what, week by week ------------------------------------------------------------
st.subheader("Activities by rep and week", anchor=False)
heat = report.heatmap
if heat.empty:
    empty_state("No activity was done in this period.", "Pick a longer period in the sidebar.")
else:
    types = sorted(heat["type"].unique())
    kind = st.segmented_control("Type", ["all", *types], default="all", key="act_type",
                                required=True)  # fmt: skip
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(activity_heatmap(heat, kind), key="act_heat")
    with right:
        st.markdown("**Activities per week** vs the comparison period")
        period = (context.filters.start, context.filters.end)
        st.plotly_chart(
            weekly_activity_figure(report.trend, report.previous_trend, period), key="act_trend"
        )
        if (days_inside(report.trend["period"], *period) < 7).any():
            st.caption("Lighter bars: weeks only partly inside the period.")

# ---- per rep ------------------------------------------------------------------------------------
st.subheader("Discipline per rep", anchor=False)
per_rep = report.per_rep
if per_rep.empty:
    empty_state("No rep activity in this period.", "Pick a longer period.")
else:
    data_table(
        per_rep[["name", "activities", "working_days", "per_working_day", "judged", "compliance",
                 "overdue", "open_deals", "coverage"]]
        .sort_values("per_working_day", ascending=False)
        .rename(columns={"name": "Rep", "activities": "Activities", "working_days": "Working days",
                         "per_working_day": "Per working day", "judged": "Follow-ups due",
                         "compliance": "Done on time", "overdue": "Overdue",
                         "open_deals": "Open deals", "coverage": "With a next step"}),
        key="act_reps", file_stem="activity_per_rep",
        context=context.export_context("Activity — per rep"),
        column_config={"Per working day": one, "Done on time": percent,
                       "With a next step": percent},
    )  # fmt: skip

tabs = st.tabs(["Forgotten clients — call list", "Overdue follow-ups", "Negotiations",
                "New and reactivated clients", "Lost reasons"])  # fmt: skip
with tabs[0]:
    st.caption(f"Customers with no order and no done activity for {FORGOTTEN_DAYS} days and no "
               "open deal; call the largest first.")  # fmt: skip
    if report.forgotten.empty:
        empty_state("No forgotten client.",
                    f"Every customer was in touch within {FORGOTTEN_DAYS} days.")  # fmt: skip
    else:
        data_table(
            report.forgotten.rename(columns={
                "account_id": "Account id", "account": "Client", "owner": "Owner",
                "region": "Region", "last_contact_at": "Last contact",
                "last_order_at": "Last order", "days_since_contact": "Days silent",
                "revenue": "Lifetime revenue", "action": "Suggested action"}),
            key="act_forgotten", file_stem="forgotten_clients_call_list",
            context=context.export_context("Activity — forgotten clients call list"),
            column_config={"Last contact": day, "Last order": day, "Days silent": whole_days,
                           "Lifetime revenue": money, "Account id": None},  # id: export only
        )  # fmt: skip
    if st.toggle("Also find repeat customers overdue by their own buying rhythm",
                 key="act_rhythm", help="Silent for more than twice their median gap between "
                 "orders, and no open deal."):  # fmt: skip
        with st.spinner("Reading every customer's order rhythm…"):
            due = cached_report(reorder_due, engine, context.filters, context.scope)
        if due.empty:
            empty_state("Every repeat customer is within their rhythm.", "Nothing to chase.")
        else:
            data_table(
                due.rename(columns={
                    "account_id": "Account id", "account": "Client", "owner": "Owner",
                    "region": "Region", "last_order_at": "Last order",
                    "median_gap_days": "Usual gap (days)", "days_since_order": "Days since order",
                    "overdue_by": "× usual gap", "revenue": "Lifetime revenue"}),
                key="act_reorder", file_stem="reorder_due",
                context=context.export_context("Activity — overdue for a re-order"),
                column_config={"Last order": day, "Usual gap (days)": whole_days,
                               "Days since order": whole_days, "× usual gap": one,
                               "Lifetime revenue": money, "Account id": None},
            )  # fmt: skip
with tabs[1]:
    if report.overdue.empty:
        empty_state("No overdue follow-up.", "Every planned activity is done or not yet due.")
    else:
        ids = {"activity_id": None, "employee_id": None, "deal_id": None, "account_id": None}
        data_table(  # names shown, ids only in the export
            report.overdue[["employee", "type", "due_at", "days_overdue", "deal", "account",
                            *ids]]
            .rename(columns={"employee": "Owner", "type": "Type", "due_at": "Due",
                             "days_overdue": "Days overdue", "deal": "Deal",
                             "account": "Account"}),
            key="act_overdue", file_stem="overdue_followups",
            context=context.export_context("Activity — overdue follow-ups"),
            column_config={"Due": day, "Days overdue": whole_days, **ids},
        )  # fmt: skip
with tabs[2]:
    st.caption("Open deals at the end of the period by stage: how many, how much, how long "
               "they have been there, and how many are stuck.")  # fmt: skip
    data_table(
        report.negotiations[["stage", "deals", "amount", "median_days_in_stage",
                             "median_age_days", "stuck", "stuck_share"]]
        .rename(columns={"stage": "Stage", "deals": "Deals", "amount": "Amount",
                         "median_days_in_stage": "Median days in stage",
                         "median_age_days": "Median age (days)", "stuck": "Stuck",
                         "stuck_share": "Stuck share"}),
        key="act_negotiations", file_stem="negotiations_state",
        context=context.export_context("Activity — negotiations state"),
        column_config={"Amount": money, "Median days in stage": one, "Median age (days)": one,
                       "Stuck share": percent},
    )  # fmt: skip
with tabs[3]:  # one above the other: the reactivated list needs the page's width
    st.markdown("**New-direction clients** by region and product line")
    if report.new_direction.empty:
        empty_state("No client bought into a new line.", "Pick a longer period.")
    else:
        data_table(
            report.new_direction.rename(columns={"region": "Region",
                                                 "product_line": "Product line",
                                                 "clients": "Clients"}),
            key="act_new_direction", file_stem="new_direction_clients",
            context=context.export_context("Activity — new-direction clients"),
        )  # fmt: skip
    st.markdown("**Reactivated clients** (forgotten at the start, back in touch)")
    if report.reactivated.empty:
        empty_state("No client was reactivated.", "Pick a longer period.")
    else:
        data_table(
            report.reactivated[["account", "owner", "region", "last_contact_before",
                                "days_silent", "ordered", "contacted"]]
            .rename(columns={"account": "Client", "owner": "Owner", "region": "Region",
                             "last_contact_before": "Last contact before",
                             "days_silent": "Days silent", "ordered": "Ordered",
                             "contacted": "Contacted"}),
            key="act_reactivated", file_stem="reactivated_clients",
            context=context.export_context("Activity — reactivated clients"),
            column_config={"Last contact before": day, "Days silent": whole_days},
        )  # fmt: skip
with tabs[4]:
    if report.lost.empty:
        empty_state("No deal was lost in this period.", "Pick a longer period.")
    else:
        st.metric("Lost without a reason", format_value(report.no_reason_share, "ratio"),
                  help="A data-quality KPI: lost deals whose reason was left empty.")  # fmt: skip
        data_table(
            report.lost.rename(columns={"stage": "Stage", "lost_reason": "Reason",
                                        "deals": "Deals", "amount": "Amount", "share": "Share",
                                        "amount_share": "Amount share"}),
            key="act_lost", file_stem="lost_reasons",
            context=context.export_context("Activity — lost reasons"),
            column_config={"Amount": money, "Share": percent, "Amount share": percent},
        )  # fmt: skip
