"""Funnel: how the period's new deals move through the stages, where they stall or are lost,
and how the open pipeline changed."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from crm_data.queries.grouping import GROUPINGS
from reports.funnel import COMPARED_GROUPS, funnel_by_group, funnel_report, pipeline_change
from ui.cache import cached_report
from ui.deal_panel import deal_panel
from ui.empty import empty_state
from ui.engine import get_engine
from ui.format import format_value
from ui.funnel_charts import (
    funnel_figure,
    group_funnel_figure,
    lost_reasons_figure,
    sankey_figure,
    survival_figure,
    waterfall_figure,
)
from ui.kpi import kpi_row
from ui.labels import labelled
from ui.page import currency_notice, filtered_page_start, page_header
from ui.page_options import seed_from_url, write_to_url
from ui.tables import data_table

context = filtered_page_start("funnel")
engine = get_engine()
filters = context.filters
page_header("Funnel", context, "Conversion, time in stage, stuck and lost deals, pipeline change")

VARIANTS = {"hwm": "High-water mark", "strict": "Strict (every stage in order)"}
seed_from_url("funnel", "funnel_variant", list(VARIANTS), "hwm")
left, right = st.columns([2, 3])
with left:
    variant = st.segmented_control(
        "Count a deal at a stage when", list(VARIANTS), format_func=VARIANTS.__getitem__,
        key="funnel_variant", required=True,
        help="High-water mark: the deal got at least that far (skipped stages count as passed, "
             "a won deal passed every stage). Strict: the deal entered every earlier stage, in "
             "the order of its first entries; it drops out at the first stage it skipped or "
             "first entered before the one below: 1 → 3 → 2 → 3 counts at stages 1 and 2 (it "
             "first entered 2 after 1, but 3 before 2).",
    )  # fmt: skip
write_to_url("funnel", variant or "hwm", "hwm")
strict = variant == "strict"

with st.spinner("Computing the funnel…", show_time=True):
    report = cached_report(funnel_report, engine, filters, context.scope, strict)
currency = report.currency
currency_notice(currency, report.mixed_currencies)
if report.stages.empty:
    empty_state(
        "This pipeline has no open stages.",
        "Pick another pipeline in the sidebar, or check the stages table on the Data page.",
    )
    st.stop()

kpi_row(report.kpis[:5], currency)
kpi_row(report.kpis[5:], currency)
quarter = report.coverage_period
coverage = report.coverage
trailing_rate = format_value(report.velocity.win_rate, "ratio")
period_rate = format_value(report.kpi("win_rate").value, "ratio")
other_rate = "" if trailing_rate == period_rate else (
    f"; the Win rate card's {period_rate} is over the deals closed in the period"
)  # fmt: skip
st.caption(
    f"Velocity: {report.velocity.open_deals:,} open deals × {trailing_rate} win rate × "
    f"{format_value(report.velocity.average_won_amount, 'money', currency)} average won deal ÷ "
    f"{format_value(report.velocity.average_cycle_days, 'days')} average cycle (deals closed in "
    f"the 12 months before the period end{other_rate}). Coverage: "
    f"{format_value(coverage.expected_amount, 'money', currency)} expected to close in "
    f"{quarter[0]:%b %Y}–{quarter[1] - timedelta(days=1):%b %Y} ÷ "
    f"({format_value(coverage.quota, 'money', currency)} quota − "
    f"{format_value(coverage.won_so_far, 'money', currency)} won so far)."
)

# ---- funnel and conversion table ---------------------------------------------------------
variant_text = VARIANTS[variant or "hwm"].split(" (")[0].lower()
st.subheader("Funnel of the period's new deals", anchor=False)
if report.cohort == 0:
    empty_state("No deal was created in this period.", "Pick a longer period in the sidebar.")
else:
    chart, table = st.columns([5, 9])
    with chart, st.container(border=True):
        st.markdown(f"**Deals reaching each stage** ({variant_text}; {report.cohort:,} new deals)")
        st.plotly_chart(funnel_figure(report.funnel, report.previous_funnel), key="funnel_chart")
    with table, st.container(border=True):
        st.markdown("**Conversion** — each rate with the deals behind it")
        shown, config = labelled(  # short headings, so that every column fits
            report.funnel,
            ["stage", "reached", "next_conversion", "cumulative_conversion", "pct_still_open",
             "lost_here", "reached_amount"],
            currency=currency,
        )  # fmt: skip
        data_table(
            shown,
            key="funnel_conversion",
            file_stem="funnel_conversion",
            context=context.export_context(f"Funnel — conversion ({variant_text})"),
            column_config=config,
        )
        st.caption(
            "Young cohorts still have open deals: “Still open” says how much of a stage's "
            "conversion is not decided yet."
        )

# ---- comparison by a dimension -------------------------------------------------------------
st.subheader("Compare", anchor=False)
DIMENSIONS = {"none": "—", **GROUPINGS}
seed_from_url("by", "funnel_by", list(DIMENSIONS))
by_column, groups_column = st.columns([1, 3])
with by_column:
    dimension = st.selectbox(
        "Split the funnel by", list(DIMENSIONS), format_func=DIMENSIONS.__getitem__, key="funnel_by"
    )
write_to_url("by", dimension, "none")
if dimension == "none":
    write_to_url("group", None, None)  # no split: no picks in the link
else:
    with st.spinner(f"Splitting by {GROUPINGS[dimension].lower()}…"):
        split = cached_report(funnel_by_group, engine, filters, context.scope, dimension, strict)
    groups = split.groups
    if not groups:
        empty_state("No deal was created in this period.", "Pick a longer period.")
    else:
        picks_key = f"funnel_groups_{dimension}"
        stored = st.session_state.get(picks_key)
        if stored and not set(stored) & set(groups):
            st.session_state.pop(picks_key)  # the filters removed every pick: back to default
        seed_from_url("group", picks_key, groups, split.default_groups, many=True)
        with groups_column:
            picked = st.multiselect(
                GROUPINGS[dimension], groups, key=picks_key,
                help=f"Up to {COMPARED_GROUPS} are compared at first (the largest); add or "
                     "remove any. The link keeps your picks.",
            )  # fmt: skip
        write_to_url("group", picked, split.default_groups)
        if picked:
            st.plotly_chart(group_funnel_figure(split.funnel, picked), key="funnel_group_chart")
            summary = split.summary(picked)
            shown, config = labelled(
                summary,
                ["group", "closed", "won", "win_rate", "value_win_rate", "won_amount",
                 "open_deals", "per_day"],
                currency=currency, labels={"group": GROUPINGS[dimension]},
            )  # fmt: skip
            data_table(
                shown,
                key="funnel_group_rates",
                file_stem=f"funnel_by_{dimension}",
                context=context.export_context(f"Funnel — win rates by {DIMENSIONS[dimension]}"),
                column_config=config,
            )
        else:
            st.caption("Pick at least one value to compare.")

# ---- details -------------------------------------------------------------------------------
stage_names = list(report.stages["stage"])
tabs = st.tabs([
    "Time in stage", f"Stuck deals ({report.stuck_count:,})", "Lost reasons",
    "Pipeline change", "Stage flow",
])  # fmt: skip
with tabs[0]:
    st.caption(
        "Kaplan–Meier estimate over every visit of the period's new deals to a stage, visits "
        "still running counted up to the period end (so long-open deals are not left out)."
    )
    if report.survival.empty:
        empty_state("No stage visit in this period.", "Pick a longer period.")
    else:
        curve, numbers = st.columns(2)
        with curve:
            slowest = report.time_in_stage["p90"].max()
            x_max = 1.5 * slowest if slowest == slowest else None  # NaN: no p90 reached
            st.plotly_chart(
                survival_figure(report.survival, stage_names, x_max), key="funnel_survival"
            )
        with numbers:
            shown, config = labelled(
                report.time_in_stage, ["stage", "visits", "censored", "median", "p75", "p90"]
            )
            data_table(
                shown,
                key="funnel_time",
                file_stem="funnel_time_in_stage",
                context=context.export_context("Funnel — time in stage"),
                column_config=config,
            )
            st.caption("“—”: fewer than that share of visits has ended yet.")

with tabs[1]:
    st.caption(
        "Open deals at the period end longer in their stage than its limit (rot days, else "
        "the stage's 90th percentile). Select a row for the deal's history and activities."
    )
    if report.stuck.empty:
        empty_state("No stuck deal.", "Every open deal is within its stage's time limit.")
    else:
        shown, config = labelled(  # why a deal is stuck next to it, before the details
            report.stuck,
            ["deal_id", "title", "owner", "stage", "reasons", "amount", "days_in_stage",
             "limit_days", "last_activity_at", "next_activity_due_at", "account"],
            currency=currency,
        )  # fmt: skip
        row = data_table(
            shown,
            key="funnel_stuck",
            file_stem="funnel_stuck_deals",
            context=context.export_context("Funnel — stuck deals"),
            selectable=True,
            column_config={**config, "Why": st.column_config.TextColumn(width="large")},
        )
        if report.stuck_count > len(report.stuck):
            st.caption(f"The {len(report.stuck):,} largest of {report.stuck_count:,}.")
        if row is not None:
            deal_panel(engine, context.scope, int(report.stuck["deal_id"].iloc[row]), currency)

with tabs[2]:
    if report.lost_by_stage.empty:
        empty_state("No deal was lost in this period.", "Pick a longer period.")
    else:
        by_stage, by_rep = st.columns([3, 2])
        with by_stage:
            st.markdown("**Where and why deals were lost** (the last stage before lost)")
            st.plotly_chart(
                lost_reasons_figure(report.lost_by_stage, stage_names), key="funnel_lost"
            )
        with by_rep:
            st.markdown("**By owner**")
            shown, config = labelled(
                report.lost_by_rep, currency=currency,
                labels={"deals": "Lost deals", "amount": "Lost amount"},
            )  # fmt: skip
            data_table(
                shown,
                key="funnel_lost_rep",
                file_stem="funnel_lost_by_owner",
                context=context.export_context("Funnel — lost reasons by owner"),
                column_config=config,
            )

with tabs[3]:
    as_of = filters.as_of or filters.end
    dates = st.date_input(
        "From – to (snapshots at the start of each day)", (filters.start, as_of),
        key="funnel_change_dates", format="YYYY-MM-DD", width=320,
    )  # fmt: skip
    if not isinstance(dates, tuple) or len(dates) != 2 or dates[0] >= dates[1]:
        st.info("Pick two different days: the first and the last snapshot.")
    else:
        change = cached_report(pipeline_change, engine, filters, context.scope, dates[0], dates[1])
        st.caption(
            "Won and Lost count the deals open on the first day that were won or lost by the "
            "second. A deal created and closed in between is in neither snapshot, so the "
            "Overview's won deals (every deal won in the period) are more."
        )
        chart, moves = st.columns([3, 2])
        with chart:
            st.plotly_chart(waterfall_figure(change.waterfall, currency), key="funnel_waterfall")
        with moves:
            st.markdown("**Stage moves** of the deals open on both days")
            shown, config = labelled(
                change.moves, currency=currency, labels={"amount": "Amount at the end"}
            )
            data_table(
                shown,
                key="funnel_moves",
                file_stem="pipeline_moves",
                context=context.export_context(f"Funnel — pipeline moves {dates[0]}–{dates[1]}"),
                column_config=config,
            )
            export, _ = labelled(change.waterfall, ["step", "amount", "deals"])
            signed = export["Amount"].map(
                lambda amount: format_value(amount, "money", currency, compact=False)
            )  # "−$9,280": a number column would read "$-9,280"
            data_table(
                export.assign(Amount=signed), key="funnel_waterfall_table",
                file_stem="pipeline_waterfall", export=export,
                context=context.export_context(f"Funnel — pipeline change {dates[0]}–{dates[1]}"),
                column_config={"Amount": st.column_config.TextColumn(alignment="right")},
            )  # fmt: skip

with tabs[4]:
    st.caption(
        "How the period's new deals moved, up to the period end: blue forward, orange skipping "
        "a stage, red back to an earlier stage, purple reopened after won or lost; link width "
        "= deals."
    )
    if report.flow.empty:
        empty_state("No stage change in this period.", "Pick a longer period.")
    else:
        st.plotly_chart(sankey_figure(report.flow, stage_names), key="funnel_sankey")
