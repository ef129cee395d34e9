"""Campaigns & Service: how the campaigns of the period answered (response, deals, revenue, ROI)
and how service treated the customers (tickets, response and resolution times, SLA breaches,
satisfaction, complaints and what they say about churn)."""

from __future__ import annotations

import streamlit as st

from analytics.service import ACTIVE_DAYS, LAPSE_DAYS, REPEAT_COMPLAINTS, SLA_FIRST_RESPONSE_HOURS
from crm_data.queries.campaigns import CONVERSION_DAYS
from i18n import _, ngettext
from i18n.formatting import format_day, format_number
from reports.campaigns_service import campaigns_report, complaints_vs_churn, service_report
from reports.clv import customer_values
from ui.cache import cached_report
from ui.empty import empty_state
from ui.engine import get_engine
from ui.kpi import kpi_row
from ui.labels import labelled
from ui.page import filtered_page_start, page_header
from ui.service_charts import (
    campaign_rates_figure,
    category_figure,
    churn_figure,
    churn_groups,
    churn_sentence,
    code_text,
    monthly_breach_figure,
    partial_months,
    satisfaction_figure,
    shown_codes,
)
from ui.tables import data_table

context = filtered_page_start("campaigns")
engine = get_engine()
page_header(
    _("Campaigns & Service"), context,
    _("How the campaigns answered and how service treated the customers"),
)  # fmt: skip
campaigns_tab, service_tab = st.tabs([_("Campaigns"), _("Service")])

# ---- campaigns -----------------------------------------------------------------------------------
with campaigns_tab:
    with st.spinner(_("Reading the campaigns…"), show_time=True):
        campaigns = cached_report(campaigns_report, engine, context.filters, context.scope)
    currency = campaigns.currency
    if campaigns.campaigns.empty:
        empty_state(
            _("No campaign started in this period reached your customers."),
            _("Pick a longer period or another comparison in the sidebar."),
        )
    else:
        kpi_row(campaigns.kpis, currency)
        st.caption(
            _("Campaigns started in the period. A member converted when a deal of its account "
              "was created within {days} days of the campaign reaching it; the won amount of "
              "those deals is the attributed revenue. Responses and deals count up to the end "
              "of the period.").format(days=CONVERSION_DAYS)
        )  # fmt: skip
        st.subheader(_("By campaign"), anchor=False)
        TARGET = {"segment": _("Target segment"), "won_amount": _("Attributed revenue")}
        columns = ["name", "channel", "segment", "budget_share", "members", "responded",
                   "response_rate", "converted", "conversion_rate", "deals", "won_amount", "roi",
                   "campaign_id"]  # fmt: skip
        shown, config = labelled(
            shown_codes(campaigns.campaigns, ["segment", "channel"]), columns,
            currency=currency, labels={"name": _("Campaign"), **TARGET},
        )  # fmt: skip
        data_table(
            shown, key="cs_campaigns", file_stem="campaigns", column_config=config,
            context=context.export_context(_("Campaigns — by campaign")),
        )  # fmt: skip
        st.markdown(_("**Response rate** (with its 95% interval) **and conversion to deals**"))
        st.plotly_chart(
            campaign_rates_figure(campaigns.campaigns, "name", currency), key="cs_campaign_chart"
        )
        st.subheader(_("By target segment and channel"), anchor=False)
        GROUPS = {"segment": _("Target segment"), "channel": _("Channel")}
        EXPORT_TITLES = {"segment": _("Campaigns — by target segment"),
                         "channel": _("Campaigns — by channel")}  # fmt: skip
        by = st.segmented_control(
            _("Group the campaigns by"), list(GROUPS), default="segment", key="cs_group_by",
            format_func=GROUPS.__getitem__, required=True,
        )  # fmt: skip
        groups = campaigns.by_channel if by == "channel" else campaigns.by_segment
        left, right = st.columns([3, 2])
        with left:
            shown, config = labelled(
                shown_codes(groups, [by]),
                [by, "campaigns", "budget_share", "members", "responded", "response_rate",
                 "converted", "conversion_rate", "deals", "won_amount", "roi"],
                currency=currency, labels={by: GROUPS[by], "won_amount": TARGET["won_amount"]},
            )  # fmt: skip
            data_table(
                shown, key="cs_groups", file_stem=f"campaigns_by_{by}", column_config=config,
                context=context.export_context(EXPORT_TITLES[by]),
            )  # fmt: skip
        with right:
            st.plotly_chart(campaign_rates_figure(groups, by, currency), key="cs_group_chart")

# ---- service -------------------------------------------------------------------------------------
with service_tab:
    with st.spinner(_("Reading the service tickets…"), show_time=True):
        service = cached_report(service_report, engine, context.filters, context.scope)
    if not service.has_tickets:
        empty_state(
            _("No service ticket was opened or resolved in this period."),
            _("Pick a longer period in the sidebar."),
        )
    else:
        kpi_row(service.kpis, None)
        targets = ", ".join(
            _("{priority} {hours} h").format(priority=code_text(p), hours=format_number(h))
            for p, h in SLA_FIRST_RESPONSE_HOURS.items()
        )
        st.caption(
            _("Tickets opened in the period, as they stood before {day}. First-response targets: "
              "{targets}. Active customers: accounts with an order in the {days} days before "
              "that day.").format(day=format_day(service.as_of), targets=targets,
                                  days=ACTIVE_DAYS)
        )  # fmt: skip

        st.subheader(_("Tickets by category"), anchor=False)
        shown, config = labelled(
            shown_codes(service.categories, ["category"]),
            ["category", "tickets", "share", "median_first_response_hours",
             "median_resolution_hours", "breached", "breach_share", "resolved", "rated", "csat"],
            labels={"share": _("Share of tickets")},
        )  # fmt: skip
        data_table(
            shown, key="cs_categories", file_stem="tickets_by_category", column_config=config,
            context=context.export_context(_("Service — tickets by category")),
        )  # fmt: skip
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(category_figure(service.categories), key="cs_category_chart")
        with right:
            st.caption(
                _("Tickets, medians and SLA: tickets opened in the period (Kaplan–Meier medians: "
                  "tickets still waiting count as waiting so far). Resolved, rated and "
                  "satisfaction: tickets resolved in the period.")
            )  # fmt: skip

        period = (context.filters.start, context.filters.until)
        left, right = st.columns(2)
        with left:
            st.subheader(_("Satisfaction trend"), anchor=False)
            st.caption(_("Mean score (1–5) of the tickets resolved each month that were rated."))
            st.plotly_chart(satisfaction_figure(service.monthly, period), key="cs_satisfaction")
        with right:
            st.subheader(_("SLA breaches"), anchor=False)
            st.caption(
                _("Share of the tickets opened each month answered later than their target, or "
                  "still unanswered past it.")
            )  # fmt: skip
            st.plotly_chart(monthly_breach_figure(service.monthly, period), key="cs_breaches")
        if partial_months(service.monthly["month"], *period).any():
            st.caption(_("Hollow points and lighter bars: months only partly inside the period."))
        shown, config = labelled(
            shown_codes(service.sla, ["priority"]),
            ["priority", "target_hours", "tickets", "judged", "breached", "breach_share",
             "median_first_response_hours"],
            labels={"judged": _("Judged against the SLA")},
        )  # fmt: skip
        data_table(
            shown, key="cs_sla", file_stem="sla_by_priority", column_config=config,
            context=context.export_context(_("Service — SLA by priority")),
        )  # fmt: skip

        st.subheader(_("Customers with repeated complaints"), anchor=False)
        complainers = service.complainers
        st.caption(
            ngettext(
                "Accounts with {n} complaint or more opened in the period, the most first.",
                "Accounts with {n} complaints or more opened in the period, the most first.",
                REPEAT_COMPLAINTS,
            ).format(n=REPEAT_COMPLAINTS)
        )
        if complainers.empty:
            st.info(_("No account complained more than once in this period."))
        else:
            shown, config = labelled(
                complainers,
                ["name", "owner", "complaints", "last_complaint_at", "last_order_at",
                 "account_id"],
                labels={"name": _("Customer")},
            )  # fmt: skip
            data_table(
                shown, key="cs_complainers", file_stem="repeat_complainers", column_config=config,
                context=context.export_context(_("Service — customers with repeated "
                                                 "complaints")),
            )  # fmt: skip

        st.subheader(_("Complaints and churn"), anchor=False)
        with st.spinner(_("Fitting the purchase model…"), show_time=True):
            values = cached_report(customer_values, engine, context.filters, context.scope)
        churn = complaints_vs_churn(service, values)
        st.markdown(churn_sentence(churn, LAPSE_DAYS))
        if not values.fitted:
            st.caption(_("Too few repeat buyers to model churn risk; the lapse share compares "
                         "the groups alone."))  # fmt: skip
        shown, config = labelled(
            churn_groups(churn), ["group", "customers", "lapsed", "lapse_share", "churn_risk"],
            labels={"group": _("Active customers"),
                    "lapsed": ngettext("No order for over {n} day", "No order for over {n} days",
                                       LAPSE_DAYS).format(n=LAPSE_DAYS),
                    "churn_risk": _("Mean churn risk")},
        )  # fmt: skip
        data_table(
            shown, key="cs_churn_table", file_stem="complaints_and_churn", column_config=config,
            context=context.export_context(_("Service — complaints and churn")),
        )  # fmt: skip
        left, right = st.columns([3, 2])
        with left:
            st.plotly_chart(churn_figure(churn), key="cs_churn")
        with right:
            st.caption(
                _("Churn risk: 1 − the probability the customer still buys (modified BG/NBD), "
                  "as on the Segments page. Lapsed: no order in the last {days} days before "
                  "{day}.").format(days=LAPSE_DAYS, day=format_day(service.as_of))
            )  # fmt: skip
