"""Activity: the work that leads to money — activities per rep and week, conversations,
follow-up discipline, next steps, lead response, new / reactivated / forgotten clients."""

from __future__ import annotations

import streamlit as st

from analytics.clients import FORGOTTEN_DAYS
from analytics.funnel import NO_REASON
from i18n import _
from reports.activity import activity_report, reorder_due
from ui.activity_charts import (
    activity_heatmap,
    activity_type_label,
    days_inside,
    weekly_activity_figure,
)
from ui.cache import cached_report
from ui.empty import empty_state
from ui.engine import get_engine
from ui.format import format_value
from ui.kpi import kpi_row
from ui.labels import labelled
from ui.page import filtered_page_start, page_header
from ui.tables import data_table

context = filtered_page_start("activity")
engine = get_engine()
page_header(_("Activity"), context, _("Conversations, follow-ups, next steps and clients"))

with st.spinner(_("Computing the activity KPIs…"), show_time=True):
    report = cached_report(activity_report, engine, context.filters, context.scope)
currency = report.currency
#: Lists of clients to call say "Client" where deal lists say "Account".
CLIENT = {"account": _("Client")}

kpi_row(report.kpis[:5], currency)
kpi_row(report.kpis[5:], currency)

# ---- who does what, week by week ------------------------------------------------------------
st.subheader(_("Activities by rep and week"), anchor=False)
heat = report.heatmap
if heat.empty:
    empty_state(_("No activity was done in this period."),
                _("Pick a longer period in the sidebar."))  # fmt: skip
else:
    types = sorted(heat["type"].unique())
    type_labels = {"all": _("all"), **{t: activity_type_label(t) for t in types}}
    kind = st.segmented_control(_("Type"), list(type_labels), default="all", key="act_type",
                                format_func=type_labels.__getitem__, required=True)  # fmt: skip
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(activity_heatmap(heat, kind), key="act_heat")
    with right:
        st.markdown(_("**Activities per week** vs the comparison period"))
        period = (context.filters.start, context.filters.end)
        st.plotly_chart(
            weekly_activity_figure(report.trend, report.previous_trend, period), key="act_trend"
        )
        if (days_inside(report.trend["period"], *period) < 7).any():
            st.caption(_("Lighter bars: weeks only partly inside the period."))

# ---- per rep ------------------------------------------------------------------------------------
st.subheader(_("Discipline per rep"), anchor=False)
per_rep = report.per_rep
if per_rep.empty:
    empty_state(_("No rep activity in this period."), _("Pick a longer period."))
else:
    shown, config = labelled(
        per_rep.sort_values("per_working_day", ascending=False),
        ["name", "activities", "working_days", "per_working_day", "judged", "compliance",
         "overdue", "open_deals", "coverage"],
    )  # fmt: skip
    data_table(
        shown,
        key="act_reps",
        file_stem="activity_per_rep",
        column_config=config,
        context=context.export_context(_("Activity — per rep")),
    )

tabs = st.tabs([_("Forgotten clients — call list"), _("Overdue follow-ups"), _("Negotiations"),
                _("New and reactivated clients"), _("Lost reasons")])  # fmt: skip
with tabs[0]:
    st.caption(_("Customers with no order and no done activity for {days} days and no open "
                 "deal; call the largest first.").format(days=FORGOTTEN_DAYS))  # fmt: skip
    if report.forgotten.empty:
        empty_state(_("No forgotten client."),
                    _("Every customer was in touch within {days} days.").format(
                        days=FORGOTTEN_DAYS))  # fmt: skip
    else:
        shown, config = labelled(report.forgotten, currency=currency, labels=CLIENT)
        data_table(
            shown,
            key="act_forgotten",
            file_stem="forgotten_clients_call_list",
            context=context.export_context(_("Activity — forgotten clients call list")),
            column_config=config,
        )
    if st.toggle(_("Also find repeat customers overdue by their own buying rhythm"),
                 key="act_rhythm", help=_("Silent for more than twice their median gap between "
                 "orders, and no open deal.")):  # fmt: skip
        with st.spinner(_("Reading every customer's order rhythm…")):
            due = cached_report(reorder_due, engine, context.filters, context.scope)
        if due.empty:
            empty_state(_("Every repeat customer is within their rhythm."), _("Nothing to chase."))
        else:
            shown, config = labelled(due, currency=currency, labels=CLIENT)
            data_table(
                shown,
                key="act_reorder",
                file_stem="reorder_due",
                context=context.export_context(_("Activity — overdue for a re-order")),
                column_config=config,
            )
with tabs[1]:
    if report.overdue.empty:
        empty_state(_("No overdue follow-up."),
                    _("Every planned activity is done or not yet due."))  # fmt: skip
    else:
        shown, config = labelled(  # names shown, ids only in the export
            report.overdue.assign(type=report.overdue["type"].map(activity_type_label)),
            ["employee", "type", "due_at", "days_overdue", "deal", "account", "activity_id",
             "employee_id", "deal_id", "account_id"],
            labels={"deal_id": _("Deal id")},
        )  # fmt: skip
        data_table(
            shown,
            key="act_overdue",
            file_stem="overdue_followups",
            context=context.export_context(_("Activity — overdue follow-ups")),
            column_config={**config, _("Deal id"): None},
        )
with tabs[2]:
    st.caption(_("Open deals at the end of the period by stage: how many, how much, how long "
                 "they have been there, and how many are stuck."))  # fmt: skip
    shown, config = labelled(
        report.negotiations,
        ["stage", "deals", "amount", "median_days_in_stage", "median_age_days", "stuck",
         "stuck_share"],
        currency=currency,
    )  # fmt: skip
    data_table(
        shown,
        key="act_negotiations",
        file_stem="negotiations_state",
        context=context.export_context(_("Activity — negotiations state")),
        column_config=config,
    )
with tabs[3]:  # one above the other: the reactivated list needs the page's width
    st.markdown(_("**New-direction clients** by region and product line"))
    if report.new_direction.empty:
        empty_state(_("No client bought into a new line."), _("Pick a longer period."))
    else:
        shown, config = labelled(report.new_direction, ["region", "product_line", "clients"])
        data_table(
            shown,
            key="act_new_direction",
            file_stem="new_direction_clients",
            context=context.export_context(_("Activity — new-direction clients")),
            column_config=config,
        )
    st.markdown(_("**Reactivated clients** (forgotten at the start, back in touch)"))
    if report.reactivated.empty:
        empty_state(_("No client was reactivated."), _("Pick a longer period."))
    else:
        shown, config = labelled(
            report.reactivated,
            ["account", "owner", "region", "last_contact_before", "days_silent", "ordered",
             "contacted"],
            labels=CLIENT,
        )  # fmt: skip
        data_table(
            shown,
            key="act_reactivated",
            file_stem="reactivated_clients",
            context=context.export_context(_("Activity — reactivated clients")),
            column_config=config,
        )
with tabs[4]:
    if report.lost.empty:
        empty_state(_("No deal was lost in this period."), _("Pick a longer period."))
    else:
        st.metric(
            _("Lost without a reason"),
            format_value(report.no_reason_share, "ratio"),
            help=_("A data-quality KPI: lost deals whose reason was left empty."),
        )
        lost = report.lost.assign(  # the placeholder reason is words, other reasons are data
            lost_reason=report.lost["lost_reason"].replace({NO_REASON: _(NO_REASON)})
        )
        shown, config = labelled(lost, currency=currency)
        data_table(
            shown,
            key="act_lost",
            file_stem="lost_reasons",
            context=context.export_context(_("Activity — lost reasons")),
            column_config=config,
        )
