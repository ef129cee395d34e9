"""Segments: who the customers are and what they are worth — RFM segments and grid, an explorer
over any attribute, Pareto/ABC, clusters, cohort retention and every segment's customer list."""

from __future__ import annotations

import streamlit as st

from i18n import _, translated
from i18n.formatting import format_day
from reports.clv import HORIZON_MONTHS, MONTHLY_DISCOUNT, customer_values
from reports.segments import (
    DIMENSIONS,
    customer_value_table,
    explore,
    segment_customers,
    segments_report,
)
from ui.cache import cached_report
from ui.empty import empty_state
from ui.engine import get_engine
from ui.format import escape_markdown, format_value
from ui.labels import COLUMNS, labelled
from ui.page import filtered_page_start, page_header
from ui.page_options import seed_from_url, write_to_url
from ui.segment_charts import (
    cluster_scatter,
    clv_histogram,
    group_name,
    group_share_figure,
    pareto_figure,
    retention_heatmap,
    rfm_grid_heatmap,
    segment_treemap,
    shown_groups,
)
from ui.tables import data_table

context = filtered_page_start("segments")
engine = get_engine()
page_header(_("Segments"), context, _("Who the customers are and what they are worth"))

with st.spinner(_("Segmenting the customers…"), show_time=True):
    report = cached_report(segments_report, engine, context.filters, context.scope)
currency = report.currency
as_of = format_day(report.as_of)
if report.customers.empty:
    empty_state(
        _("No customer has ordered before {day}.").format(day=as_of),
        _("Segments need orders: widen the filters in the sidebar or pick a later period."),
    )
    st.stop()

st.caption(
    _("Every order before {day} counts, whatever the period's start: customers are segmented "
      "on their whole history.").format(day=as_of)
)  # fmt: skip
CARDS = [
    (_("Customers"), format_value(report.customer_count, "count"),
     _("Customers with an order before {day}.").format(day=as_of)),
    (_("Revenue"), format_value(report.revenue, "money", currency),
     _("Their orders' revenue before {day}.").format(day=as_of)),
    (_("Revenue per customer"), format_value(report.revenue_per_customer, "money", currency),
     _("Revenue ÷ customers.")),
    (_("Customers making 80% of revenue"), format_value(report.customer_share_80, "ratio"),
     _("The fewest top customers whose revenue reaches 80% (class A), as a share of all.")),
    (_("Repeat buyers"), format_value(report.repeat_share, "ratio"),
     _("Share of customers who ordered on two days or more.")),
]  # fmt: skip
for column, (label, value, help_text) in zip(st.columns(len(CARDS)), CARDS, strict=True):
    with column, st.container(border=True, height="stretch"):
        st.metric(label, value, help=help_text)


# ---- explorer ------------------------------------------------------------------------------------
st.subheader(_("Explore the customers"), anchor=False)
DIMENSION_LABELS = {d: COLUMNS[d].label for d in DIMENSIONS}
seed_from_url("by", "seg_by", list(DIMENSIONS), ["segment"], many=True)
by_column, group_column = st.columns([2, 3])
with by_column:
    by = st.multiselect(
        _("Group customers by"), list(DIMENSIONS), key="seg_by", max_selections=2,
        format_func=translated(DIMENSION_LABELS).__getitem__,
        help=_("One or two of the customers' attributes, their RFM segment, cluster or ABC "
               "class."),
    )  # fmt: skip
write_to_url("by", by, ["segment"])
if not by:
    st.caption(_("Pick a grouping to compare the groups."))
    write_to_url("group", None, None)
else:
    profile = explore(report, by)
    rows = list(profile[by].itertuples(index=False))
    keys = ["|".join(str(v) for v in row) for row in rows]  # the link's text of a group
    members_of = {key: dict(zip(by, row, strict=True)) for key, row in zip(keys, rows, strict=True)}
    names = {key: " · ".join(group_name(c, v) for c, v in picked.items())
             for key, picked in members_of.items()}  # fmt: skip
    seed_from_url("group", "seg_group", keys, keys[0])
    if st.session_state.get("seg_group") not in names:  # the grouping changed
        st.session_state["seg_group"] = keys[0]
    with group_column:
        group = st.selectbox(
            _("Show the customers of"), keys, key="seg_group", format_func=names.__getitem__,
        )  # fmt: skip
    write_to_url("group", group, keys[0])
    left, right = st.columns([3, 2])
    with left:
        shown, config = labelled(
            shown_groups(profile, by),
            [*by, "customers", "customer_share", "revenue", "revenue_share",
             "revenue_per_customer", "orders_per_customer", "average_order",
             "median_recency_days"],
            currency=currency, labels={"revenue": _("Revenue")},
        )  # fmt: skip
        data_table(
            shown, key="seg_profile", file_stem="customer_groups", column_config=config,
            context=context.export_context(_("Segments — customer groups")),
        )  # fmt: skip
    with right:
        st.plotly_chart(group_share_figure(shown_groups(profile, by), by), key="seg_groups")
    members = segment_customers(report, group=members_of.get(group or keys[0], {}))
    st.markdown(
        _("**{group}**: {n} customers").format(
            group=escape_markdown(names.get(group or "", "")),
            n=format_value(len(members), "count"),
        )
    )
    shown, config = labelled(
        shown_groups(members, ["segment", "abc_class"]),
        currency=currency,
        labels={"name": _("Customer"), "revenue": _("Revenue")},
    )
    data_table(
        shown, key="seg_members", file_stem="segment_customers", column_config=config,
        context={
            **context.export_context(_("Segments — customers of a group")),
            _("Group"): names.get(group or "", ""),
        },
    )  # fmt: skip

# ---- RFM -----------------------------------------------------------------------------------------
st.subheader(_("RFM segments"), anchor=False)
st.caption(
    _("R: days since the last order; F: order days; M: revenue per order day. Each is scored 1–5 "
      "by quintiles among these customers; the segment is read from R and the FM score, the "
      "rounded-up mean of F and M.")
)  # fmt: skip
left, right = st.columns(2)
with left:
    st.markdown(_("**R × FM grid**: customers and revenue per cell"))
    st.plotly_chart(rfm_grid_heatmap(report.grid, currency), key="seg_grid")
with right:
    st.markdown(_("**Segments** sized by their customers"))
    st.plotly_chart(segment_treemap(report.segments, currency), key="seg_treemap")

# ---- Pareto --------------------------------------------------------------------------------------
st.subheader(_("Pareto and ABC classes"), anchor=False)
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(pareto_figure(report.pareto, report.customer_share_80), key="seg_pareto")
with right:
    st.caption(
        _("{share} of the customers make 80% of the revenue. A: those customers; B: the next "
          "15% of revenue; C: the rest.").format(
            share=format_value(report.customer_share_80, "ratio"))
    )  # fmt: skip
    shown, config = labelled(
        shown_groups(explore(report, "abc_class"), ["abc_class"]),
        ["abc_class", "customers", "customer_share", "revenue", "revenue_share",
         "revenue_per_customer"],
        currency=currency, labels={"revenue": _("Revenue")},
    )  # fmt: skip
    data_table(
        shown, key="seg_abc", file_stem="abc_classes", column_config=config,
        context=context.export_context(_("Segments — ABC classes")),
    )  # fmt: skip

# ---- clusters ------------------------------------------------------------------------------------
st.subheader(_("Clusters"), anchor=False)
if report.clusters.empty:
    empty_state(_("Too few customers to cluster."), _("Clusters need at least three customers "
                "who differ in recency, frequency or revenue."))  # fmt: skip
else:
    sample = ""
    if report.clustered < report.customer_count:
        sample = " " + _("Found on a sample of {n} customers; the others have no cluster.").format(
            n=format_value(report.clustered, "count")
        )
    st.caption(
        _("k-means on the logarithms of days since the last order, order days and revenue per "
          "order day; {k} clusters (the best silhouette), cluster 1 the most revenue per "
          "customer.").format(k=len(report.clusters)) + sample
    )  # fmt: skip
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(cluster_scatter(report.customers, currency), key="seg_scatter")
    with right:
        shown, config = labelled(
            report.clusters,
            ["cluster", "customers", "share", "revenue", "revenue_share", "recency_days",
             "frequency", "monetary"],
            currency=currency,
            labels={"revenue": _("Revenue"), "share": _("Share of customers"),
                    "recency_days": _("Median days since order"),
                    "frequency": _("Median order days"),
                    "monetary": _("Median revenue per order day")},
        )  # fmt: skip
        data_table(
            shown, key="seg_clusters", file_stem="customer_clusters", column_config=config,
            context=context.export_context(_("Segments — clusters")),
        )  # fmt: skip

# ---- cohorts -------------------------------------------------------------------------------------
st.subheader(_("Cohort retention"), anchor=False)
retention = report.retention
if retention is None or retention.customers.empty:
    empty_state(_("No order to build cohorts from."), _("Pick a later period."))
else:
    MEASURES = {"customers": _("Customers who ordered"), "revenue": _("Revenue vs the first month")}
    measure = st.segmented_control(
        _("Retention of"), list(MEASURES), default="customers", key="seg_cohort",
        format_func=MEASURES.__getitem__, required=True,
    )  # fmt: skip
    st.caption(
        _("Cohort: the month of a customer's first order. A cell: the share of the cohort who "
          "ordered that many months later (revenue: that month's revenue ÷ the first month's); "
          "months not yet reached are blank.")
    )  # fmt: skip
    matrix = retention.revenue if measure == "revenue" else retention.customers
    if matrix is not None:
        st.plotly_chart(retention_heatmap(matrix, retention.sizes), key="seg_cohorts")

# ---- CLV -----------------------------------------------------------------------------------------
#: Customers the value table shows (the export holds the same rows).
TOP_CUSTOMERS = 100
st.subheader(_("CLV distribution and top customers"), anchor=False)
with st.spinner(_("Fitting the purchase and spend models…"), show_time=True):
    values = cached_report(customer_values, engine, context.filters, context.scope)
if not values.fitted:
    empty_state(
        _("Too few repeat buyers to model what the customers are worth."),
        _("The models need at least 20 customers who ordered on two days or more."),
    )
else:
    valued = customer_value_table(report, values.table)
    spend = (
        _("their value from the Gamma-Gamma model") if values.spend_model == "gamma-gamma"
        else _("their value from each repeat buyer's own average purchase (the spend is too "
               "uneven for the Gamma-Gamma model; others get the repeat buyers' average)")
    )  # fmt: skip
    st.caption(
        _("Expected revenue of the next {months} months, discounted {rate} a month: repeat "
          "purchases from the modified BG/NBD model, {spend}. All customers together: "
          "{total}.").format(
            spend=spend,
            months=HORIZON_MONTHS, rate=format_value(MONTHLY_DISCOUNT, "ratio"),
            total=format_value(float(valued["clv"].sum()), "money", currency))
    )  # fmt: skip
    left, right = st.columns(2)
    with left:
        st.plotly_chart(clv_histogram(valued["clv"], currency), key="seg_clv")
    with right:
        st.markdown(
            _("**Top {n} customers** by CLV").format(n=format_value(TOP_CUSTOMERS, "count"))
        )
        shown, config = labelled(
            shown_groups(valued.head(TOP_CUSTOMERS), ["segment"]),
            currency=currency,
            labels={"name": _("Customer"), "revenue": _("Revenue")},
        )
        data_table(
            shown, key="seg_top_clv", file_stem="top_customers_by_clv", column_config=config,
            context=context.export_context(_("Segments — top customers by CLV")),
        )  # fmt: skip
