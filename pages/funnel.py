"""Funnel: how the period's new deals move through the stages, where they stall or are lost,
and how the open pipeline changed."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from crm_data.queries.grouping import GROUPINGS
from i18n import N_, _, ngettext, translated
from i18n.formatting import date_pattern, format_count, format_day, format_month
from reports.funnel import COMPARED_GROUPS, funnel_by_group, funnel_report, pipeline_change
from ui.cache import cached_report
from ui.deal_panel import deal_panel
from ui.empty import empty_state
from ui.engine import get_engine
from ui.format import format_value
from ui.funnel_charts import (
    display_change,
    display_step,
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
page_header(
    _("Funnel"), context, _("Conversion, time in stage, stuck and lost deals, pipeline change")
)

VARIANTS = {"hwm": N_("High-water mark"), "strict": N_("Strict (every stage in order)")}
#: The variant as a sentence names it.
VARIANT_TEXTS = {"hwm": N_("high-water mark"), "strict": N_("strict")}
seed_from_url("funnel", "funnel_variant", list(VARIANTS), "hwm")
left, right = st.columns([2, 3])
with left:
    variant = st.segmented_control(
        _("Count a deal at a stage when"), list(VARIANTS),
        format_func=translated(VARIANTS).__getitem__, key="funnel_variant", required=True,
        help=_("High-water mark: the deal got at least that far (skipped stages count as passed, "
               "a won deal passed every stage). Strict: the deal entered every earlier stage, in "
               "the order of its first entries; it drops out at the first stage it skipped or "
               "first entered before the one below: 1 → 3 → 2 → 3 counts at stages 1 and 2 (it "
               "first entered 2 after 1, but 3 before 2)."),
    )  # fmt: skip
write_to_url("funnel", variant or "hwm", "hwm")
strict = variant == "strict"

with st.spinner(_("Computing the funnel…"), show_time=True):
    report = cached_report(funnel_report, engine, filters, context.scope, strict)
currency = report.currency
currency_notice(currency, report.mixed_currencies)
if report.stages.empty:
    empty_state(
        _("This pipeline has no open stages."),
        _("Pick another pipeline in the sidebar, or check the stages table on the Data page."),
    )
    st.stop()

kpi_row(report.kpis[:5], currency)
kpi_row(report.kpis[5:], currency)
quarter = report.coverage_period
coverage = report.coverage
trailing_rate = format_value(report.velocity.win_rate, "ratio")
period_rate = format_value(report.kpi("win_rate").value, "ratio")
other_rate = "" if trailing_rate == period_rate else (
    _("; the Win rate card's {rate} is over the deals closed in the period").format(
        rate=period_rate
    )
)  # fmt: skip
open_deals = report.velocity.open_deals
st.caption(
    ngettext(
        "Velocity: {open} open deal × {rate} win rate × {average} average won deal ÷ {cycle} "
        "average cycle (deals closed in the 12 months before the period end{other}). Coverage: "
        "{expected} expected to close in {first}–{last} ÷ ({quota} quota − {won} won so far).",
        "Velocity: {open} open deals × {rate} win rate × {average} average won deal ÷ {cycle} "
        "average cycle (deals closed in the 12 months before the period end{other}). Coverage: "
        "{expected} expected to close in {first}–{last} ÷ ({quota} quota − {won} won so far).",
        open_deals,
    ).format(
        open=format_count(open_deals),
        rate=trailing_rate,
        average=format_value(report.velocity.average_won_amount, "money", currency),
        cycle=format_value(report.velocity.average_cycle_days, "days"),
        other=other_rate,
        expected=format_value(coverage.expected_amount, "money", currency),
        first=format_month(quarter[0]),
        last=format_month(quarter[1] - timedelta(days=1)),
        quota=format_value(coverage.quota, "money", currency),
        won=format_value(coverage.won_so_far, "money", currency),
    )
)

# ---- funnel and conversion table ---------------------------------------------------------
variant_text = _(VARIANT_TEXTS[variant or "hwm"])
st.subheader(_("Funnel of the period's new deals"), anchor=False)
if report.cohort == 0:
    empty_state(_("No deal was created in this period."), _("Pick a longer period in the sidebar."))
else:
    chart, table = st.columns([5, 9])
    with chart, st.container(border=True):
        cohort_text = ngettext("{n} new deal", "{n} new deals", report.cohort).format(
            n=format_count(report.cohort)
        )
        st.markdown(
            _("**Deals reaching each stage** ({variant}; {cohort})").format(
                variant=variant_text, cohort=cohort_text
            )
        )
        st.plotly_chart(funnel_figure(report.funnel, report.previous_funnel), key="funnel_chart")
    with table, st.container(border=True):
        st.markdown(_("**Conversion** — each rate with the deals behind it"))
        shown, config = labelled(  # short headings, so that every column fits
            report.funnel.assign(stage=report.funnel["stage"].map(display_step)),
            ["stage", "reached", "next_conversion", "cumulative_conversion", "pct_still_open",
             "lost_here", "reached_amount"],
            currency=currency,
        )  # fmt: skip
        data_table(
            shown,
            key="funnel_conversion",
            file_stem="funnel_conversion",
            context=context.export_context(
                _("Funnel — conversion ({variant})").format(variant=variant_text)
            ),
            column_config=config,
        )
        st.caption(
            _(
                "Young cohorts still have open deals: “Still open” says how much of a stage's "
                "conversion is not decided yet."
            )
        )

# ---- comparison by a dimension -------------------------------------------------------------
st.subheader(_("Compare"), anchor=False)
DIMENSIONS = {"none": "—", **GROUPINGS}
seed_from_url("by", "funnel_by", list(DIMENSIONS))
by_column, groups_column = st.columns([1, 3])
with by_column:
    dimension = st.selectbox(
        _("Split the funnel by"),
        list(DIMENSIONS),
        format_func=translated(DIMENSIONS).__getitem__,
        key="funnel_by",
    )
write_to_url("by", dimension, "none")
if dimension == "none":
    write_to_url("group", None, None)  # no split: no picks in the link
else:
    with st.spinner(
        _("Splitting by {dimension}…").format(dimension=_(GROUPINGS[dimension]).lower())
    ):
        split = cached_report(funnel_by_group, engine, filters, context.scope, dimension, strict)
    groups = split.groups
    if not groups:
        empty_state(_("No deal was created in this period."), _("Pick a longer period."))
    else:
        picks_key = f"funnel_groups_{dimension}"
        stored = st.session_state.get(picks_key)
        if stored and not set(stored) & set(groups):
            st.session_state.pop(picks_key)  # the filters removed every pick: back to default
        seed_from_url("group", picks_key, groups, split.default_groups, many=True)
        with groups_column:
            picked = st.multiselect(
                _(GROUPINGS[dimension]), groups, key=picks_key,
                help=_("Up to {count} are compared at first (the largest); add or "
                       "remove any. The link keeps your picks.").format(count=COMPARED_GROUPS),
            )  # fmt: skip
        write_to_url("group", picked, split.default_groups)
        if picked:
            st.plotly_chart(group_funnel_figure(split.funnel, picked), key="funnel_group_chart")
            summary = split.summary(picked)
            shown, config = labelled(
                summary,
                ["group", "closed", "won", "win_rate", "value_win_rate", "won_amount",
                 "open_deals", "per_day"],
                currency=currency, labels={"group": _(GROUPINGS[dimension])},
            )  # fmt: skip
            data_table(
                shown,
                key="funnel_group_rates",
                file_stem=f"funnel_by_{dimension}",
                context=context.export_context(
                    _("Funnel — win rates by {dimension}").format(
                        dimension=_(DIMENSIONS[dimension])
                    )
                ),
                column_config=config,
            )
        else:
            st.caption(_("Pick at least one value to compare."))

# ---- details -------------------------------------------------------------------------------
stage_names = list(report.stages["stage"])
tabs = st.tabs([
    _("Time in stage"),
    _("Stuck deals ({count})").format(count=format_count(report.stuck_count)),
    _("Lost reasons"), _("Pipeline change"), _("Stage flow"),
])  # fmt: skip
with tabs[0]:
    st.caption(
        _(
            "Kaplan–Meier estimate over every visit of the period's new deals to a stage, visits "
            "still running counted up to the period end (so long-open deals are not left out)."
        )
    )
    if report.survival.empty:
        empty_state(_("No stage visit in this period."), _("Pick a longer period."))
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
                context=context.export_context(_("Funnel — time in stage")),
                column_config=config,
            )
            st.caption(_("“—”: fewer than that share of visits has ended yet."))

with tabs[1]:
    st.caption(
        _(
            "Open deals at the period end longer in their stage than its limit (rot days, else "
            "the stage's 90th percentile). Select a row for the deal's history and activities."
        )
    )
    if report.stuck.empty:
        empty_state(_("No stuck deal."), _("Every open deal is within its stage's time limit."))
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
            context=context.export_context(_("Funnel — stuck deals")),
            selectable=True,
            column_config={**config, _("Why"): st.column_config.TextColumn(width="large")},
        )
        if report.stuck_count > len(report.stuck):
            st.caption(
                ngettext(
                    "The {shown} largest of {total}.", "The {shown} largest of {total}.",
                    len(report.stuck),
                ).format(
                    shown=format_count(len(report.stuck)), total=format_count(report.stuck_count)
                )
            )  # fmt: skip
        if row is not None:
            deal_panel(engine, context.scope, int(report.stuck["deal_id"].iloc[row]), currency)

with tabs[2]:
    if report.lost_by_stage.empty:
        empty_state(_("No deal was lost in this period."), _("Pick a longer period."))
    else:
        by_stage, by_rep = st.columns([3, 2])
        with by_stage:
            st.markdown(_("**Where and why deals were lost** (the last stage before lost)"))
            st.plotly_chart(
                lost_reasons_figure(report.lost_by_stage, stage_names), key="funnel_lost"
            )
        with by_rep:
            st.markdown("**" + _("By owner") + "**")
            shown, config = labelled(
                report.lost_by_rep.assign(top_reason=report.lost_by_rep["top_reason"].map(
                    display_step, na_action="ignore")), currency=currency,
                labels={"deals": _("Lost deals"), "amount": _("Lost amount")},
            )  # fmt: skip
            data_table(
                shown,
                key="funnel_lost_rep",
                file_stem="funnel_lost_by_owner",
                context=context.export_context(_("Funnel — lost reasons by owner")),
                column_config=config,
            )

with tabs[3]:
    as_of = filters.as_of or filters.end
    dates = st.date_input(
        _("From – to (snapshots at the start of each day)"), (filters.start, as_of),
        key="funnel_change_dates", format=date_pattern(), width=320,
    )  # fmt: skip
    if not isinstance(dates, tuple) or len(dates) != 2 or dates[0] >= dates[1]:
        st.info(_("Pick two different days: the first and the last snapshot."))
    else:
        change = cached_report(pipeline_change, engine, filters, context.scope, dates[0], dates[1])
        st.caption(
            _(
                "Won and Lost count the deals open on the first day that were won or lost by the "
                "second. A deal created and closed in between is in neither snapshot, so the "
                "Overview's won deals (every deal won in the period) are more."
            )
        )
        chart, moves = st.columns([3, 2])
        with chart:
            st.plotly_chart(waterfall_figure(change.waterfall, currency), key="funnel_waterfall")
        with moves:
            st.markdown(_("**Stage moves** of the deals open on both days"))
            shown, config = labelled(
                change.moves.assign(change=change.moves["change"].map(display_change)),
                currency=currency, labels={"amount": _("Amount at the end")},
            )  # fmt: skip
            data_table(
                shown,
                key="funnel_moves",
                file_stem="pipeline_moves",
                context=context.export_context(
                    _("Funnel — pipeline moves {start}–{end}").format(
                        start=format_day(dates[0]), end=format_day(dates[1])
                    )
                ),
                column_config=config,
            )
            export, _config = labelled(
                change.waterfall.assign(step=change.waterfall["step"].map(display_change)),
                ["step", "amount", "deals"],
            )
            amount_label = _("Amount")
            signed = export[amount_label].map(
                lambda amount: format_value(amount, "money", currency, compact=False)
            )  # "−$9,280": a number column would read "$-9,280"
            data_table(
                export.assign(**{amount_label: signed}), key="funnel_waterfall_table",
                file_stem="pipeline_waterfall", export=export,
                context=context.export_context(
                    _("Funnel — pipeline change {start}–{end}").format(
                        start=format_day(dates[0]), end=format_day(dates[1]))
                ),
                column_config={amount_label: st.column_config.TextColumn(alignment="right")},
            )  # fmt: skip

with tabs[4]:
    st.caption(
        _(
            "How the period's new deals moved, up to the period end: blue forward, orange "
            "skipping a stage, red back to an earlier stage, purple reopened after won or lost; "
            "link width = deals."
        )
    )
    if report.flow.empty:
        empty_state(_("No stage change in this period."), _("Pick a longer period."))
    else:
        st.plotly_chart(sankey_figure(report.flow, stage_names), key="funnel_sankey")
