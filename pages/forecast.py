"""Forecast: will the quarter make the plan? The combined forecast with its range, what it
rests on (the time-series backtest, the open pipeline), the gap to the plan and what closes
it, and how accurate the forecast has been here before."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from analytics.forecast_accuracy import forecast_accuracy, hit_rate
from analytics.forecast_combination import track_record
from crm_data.queries.deal_lists import deal_labels
from crm_data.queries.people import filter_options
from i18n import N_, _, ngettext, translated
from i18n.formatting import format_day
from reports.demand_forecast import HISTORY_YEARS, demand_forecast
from reports.forecast import (
    OUTLOOK_COLUMNS,
    REPLAYS_AT_ONCE,
    forecast_filters,
    forecast_report,
    quarters_to_replay,
    rep_outlook,
    replay_quarters,
    segment_outlook,
    with_weight,
)
from ui.cache import cached_report
from ui.demand_charts import demand_figure, segment_label
from ui.empty import empty_state
from ui.engine import get_engine
from ui.forecast_charts import fan_chart, pipeline_months_figure
from ui.forecast_history import kept_forecasts, remember, segment_key
from ui.forecast_text import method_label, model_label, quarter_name, rejection_text
from ui.format import format_value
from ui.labels import labelled
from ui.page import filtered_page_start, page_header
from ui.page_options import seed_from_url, write_to_url
from ui.tables import data_table

context = filtered_page_start("forecast")
engine = get_engine()
# every forecast reads only the narrowing lists and the as_of: periods ending the same day share one
filters, scope = forecast_filters(context.filters), context.scope
page_header(
    _("Forecast"), context,
    _("Will the quarter make the plan: the forecast, its range, what it rests on and how "
      "accurate it has been"),
)  # fmt: skip


with st.spinner(_("Forecasting…"), show_time=True):
    report = cached_report(forecast_report, engine, filters, scope)
if report.series.history_months == 0 and report.pipeline.deals.empty:
    empty_state(
        _("No won deal and no open deal before {day}.").format(day=format_day(report.as_of)),
        _("A forecast needs history: widen the filters or pick a later period."),
    )
    st.stop()

# ---- the track record: the forecast replayed at the middle of past quarters ---------------------
history = report.series.history
dates = quarters_to_replay(report)
replays: list[dict[str, object]] = []
if dates:
    bar = st.progress(0.0, text=_("Replaying the forecasts of past quarters…"))
    for first in range(0, len(dates), REPLAYS_AT_ONCE):
        days = tuple(dates[first : first + REPLAYS_AT_ONCE])
        replays.extend(cached_report(replay_quarters, engine, filters, scope, days))
        done = first + len(days)
        bar.progress(done / len(dates), text=_("Replaying past quarters: {done} of {n}").format(
            done=done, n=len(dates)))  # fmt: skip
    bar.empty()
replayed = pd.DataFrame(replays)
record, weight = track_record(replayed) if len(replayed) else (pd.DataFrame(), 0.5)
report = with_weight(report, weight)
key = segment_key(filters, scope)
if key is not None:
    remember(report, record, key)

# ---- the quarter against the plan ---------------------------------------------------------------
q, currency = report.quarter, report.currency
quarter = quarter_name(q.start)
st.subheader(_("{quarter}: forecast vs plan").format(quarter=quarter), anchor=False)


def money(value: float) -> str:
    return format_value(value, "money", currency)


hits = {m: hit_rate(record.loc[record["method"] == m]) for m in ("combined", "pipeline")} \
    if len(record) else {"combined": float("nan"), "pipeline": float("nan")}  # fmt: skip
CARDS = [
    (_("Won so far"), money(q.won_so_far),
     _("Won before {day} in {quarter}.").format(day=format_day(report.as_of), quarter=quarter)),
    (_("Forecast for the quarter"), money(q.forecast),
     _("Won so far + the combined forecast of the rest; 90% range {low} – {high}.").format(
         low=money(q.won_so_far + q.rest_low), high=money(q.won_so_far + q.rest_high))),
    (_("Plan"), money(q.plan) if q.plan else "—",
     _("The quotas of the quarter of the reps in view.")),
    (_("Gap to plan"), money(q.gap) if q.plan else "—",
     _("Plan − forecast; negative: the forecast is above the plan.")),
    (_("Pipeline needed"), money(q.pipeline_needed) if q.plan else "—",
     _("New open pipeline that closes the gap at today's win rate of {rate}.").format(
         rate=format_value(q.win_rate, "ratio"))),
    (_("Track record"), format_value(hits["combined"], "ratio"),
     _("Share of past quarters whose forecast, made at the middle of the quarter, landed "
       "within 10% of the actual; the stage-weighted pipeline alone: {pipeline}.").format(
         pipeline=format_value(hits["pipeline"], "ratio"))),
]  # fmt: skip
for column, (label, value, help_text) in zip(st.columns(len(CARDS)), CARDS, strict=True):
    with column, st.container(border=True, height="stretch"):
        st.metric(label, value, help=help_text)

ts = report.time_series
st.caption(
    _("Combined forecast = {w} × the time series ({model}) + {v} × the open pipeline; the "
      "weights follow the errors of the {n} replayed quarters (equal below 4).").format(
        w=format_value(weight, "ratio"), v=format_value(1 - weight, "ratio"),
        model=model_label(ts.model), n=len(replayed))
)  # fmt: skip
if report.series.label:
    st.caption(_("Less than 24 months of history: non-seasonal models only."))
for rejection in ts.rejections:
    st.caption(rejection_text(rejection))
st.plotly_chart(fan_chart(history, report.months, currency), key="fc_fan")
months = report.months
shown, config = labelled(
    months.assign(month_forecast=months["won_so_far"] + months["combined"]),
    ["month", "won_so_far", "time_series", "pipeline", "combined", "low", "high",
     "month_forecast"],
    currency=currency,
)  # fmt: skip
data_table(shown, key="fc_months", file_stem="forecast_by_month", column_config=config,
           context=context.export_context(_("Forecast — by month")))  # fmt: skip

# ---- by segment ---------------------------------------------------------------------------
options = filter_options(engine, scope)
SEGMENTS = {"team": N_("Team"), "rep": N_("Rep"), "region": N_("Region"),
            "product_line": N_("Product line")}  # fmt: skip
offered = {
    "team": list(zip(options.teams["team_id"], options.teams["name"], strict=True))
    if not filters.teams and not filters.reps else [],
    "rep": list(options.reps["employee_id"]) if not filters.reps else [],
    "region": [] if filters.regions else list(options.regions),
    "product_line": [] if filters.product_lines else list(options.product_lines),
}  # fmt: skip
kinds = [kind for kind in SEGMENTS if len(offered[kind]) > 1]
if kinds:
    st.subheader(_("{quarter} by segment").format(quarter=quarter), anchor=False)
    # a head's first view shows each rep (cheap); a forecast per segment waits to be asked for
    default_kind = "rep" if kinds[0] == "rep" else None
    seed_from_url("segment", "fc_segment", kinds, default_kind)
    kind = st.segmented_control(
        _("Break the forecast down by"), kinds, format_func=translated(SEGMENTS).__getitem__,
        key="fc_segment",
    )  # fmt: skip
    write_to_url("segment", kind, default_kind)
    if kind is None:
        st.caption(_(
            "Pick a breakdown: each team, region or product line gets a forecast of its own (a "
            "few seconds each); each rep, their pipeline against their quota."
        ))  # fmt: skip
    elif kind == "rep":
        with st.spinner(_("Forecasting each rep's pipeline…"), show_time=True):
            table = cached_report(rep_outlook, engine, filters, scope)
        st.caption(_(
            "Each rep: won so far + their open deals expected to be won in the rest of the "
            "quarter (the pipeline alone: one rep's months are too few for a time series), "
            "against their quotas; the furthest below plan first."
        ))  # fmt: skip
        columns = ["name", "won_so_far", "pipeline", "forecast", "low", "high", "plan",
                   "gap_to_plan", "forecast_share", "open_deals"]  # fmt: skip
    else:
        values = offered[kind]
        reports = {}
        bar = st.progress(0.0, text=_("Forecasting each segment…"))
        for done, value in enumerate(values, 1):
            key_value, name = value if kind == "team" else (value, value)
            narrowed = (
                replace(filters, teams=(int(key_value),)) if kind == "team"
                else replace(filters, regions=(str(key_value),)) if kind == "region"
                else replace(filters, product_lines=(str(key_value),))
            )  # fmt: skip
            reports[str(name)] = cached_report(forecast_report, engine, narrowed, scope)
            bar.progress(done / len(values), text=_("Forecasting each segment: {done} of {n}")
                         .format(done=done, n=len(values)))  # fmt: skip
        bar.empty()
        table = segment_outlook(reports, weight, kind, with_plan=kind == "team")
        st.caption(
            _("Each segment's own forecast (its won revenue, its open deals), weighted as the "
              "company's; the segments' forecasts need not add up to the company's.")
            + " " + (_("The plan is the quotas of the team's reps.") if kind == "team" else
                     _("Quotas belong to reps, so a region or product line has no plan."))
        )  # fmt: skip
        columns = [kind, *OUTLOOK_COLUMNS]
    if kind is not None:
        shown, config = labelled(table, columns, currency=currency)
        data_table(shown, key="fc_segments", file_stem=f"forecast_by_{kind}",
                   column_config=config,
                   context=context.export_context(_("Forecast — by segment")))  # fmt: skip

# ---- what the forecast rests on ---------------------------------------------------------------
st.subheader(_("Time-series backtest"), anchor=False)
if report.backtest is None or not report.backtest.origins:
    st.caption(_("Too little history to backtest: the models are used untested."))
else:
    st.caption(
        ngettext("Each model forecast the next 3 months from {n} past month, as if it were "
                 "today; the chosen one has the lowest MASE and beats seasonal naive.",
                 "Each model forecast the next 3 months from {n} past months, as if each were "
                 "today; the chosen one has the lowest MASE and beats seasonal naive.",
                 len(report.backtest.origins)).format(n=len(report.backtest.origins))
    )  # fmt: skip
    table = report.backtest.table.assign(model=report.backtest.table["model"].map(model_label))
    shown, config = labelled(table, ["model", "mase", "smape", "mae", "skill", "origins",
                                     "fallbacks"], currency=currency)  # fmt: skip
    data_table(shown, key="fc_backtest", file_stem="forecast_backtest", column_config=config,
               context=context.export_context(_("Forecast — backtest")))  # fmt: skip

st.subheader(_("Open pipeline"), anchor=False)
pipe = report.pipeline
if pipe.deals.empty:
    st.caption(_("No deal is open."))
else:
    st.caption(
        _("Each open deal counts with its stage's win rate (deals of the last two years that "
          "reached it) and its chance to close each month (their cycle times); the range "
          "comes from 2,000 simulations.")
    )  # fmt: skip
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(pipeline_months_figure(pipe.by_month, currency), key="fc_pipeline")
    with right:
        categories = pipe.categories.assign(category=pipe.categories["category"].map(method_label))
        shown, config = labelled(categories, ["category", "deals", "amount", "expected",
                                              "rollup_amount", "rollup_expected"],
                                 currency=currency)  # fmt: skip
        data_table(shown, key="fc_categories", file_stem="forecast_categories",
                   column_config=config,
                   context=context.export_context(_("Forecast — categories")))  # fmt: skip
    st.markdown(_("**The deals that move the forecast most**"))
    top = pipe.deals.head(10)
    names = deal_labels(engine, scope, [int(d) for d in top["deal_id"]])
    labels = names[["deal_id", "title", "account", "owner"]]
    top = top.merge(labels, on="deal_id", how="left")
    top = top.assign(category=top["category"].map(method_label))
    columns = ["title", "account", "owner", "amount", "p_win", "p_close", "expected",
               "category", "deal_id"]  # fmt: skip
    shown, config = labelled(top, columns, currency=currency)
    data_table(shown, key="fc_movers", file_stem="forecast_top_deals", column_config=config,
               context=context.export_context(_("Forecast — top deals")))  # fmt: skip

# ---- accuracy -------------------------------------------------------------------------------
st.subheader(_("How accurate the forecast has been"), anchor=False)
if record.empty:
    st.caption(_("Not enough history yet to replay a past quarter."))
else:
    st.caption(
        _("Each past quarter's forecast as it would have been made at its middle, on the data "
          "before that day, against the quarter's actual won revenue.")
    )  # fmt: skip
    shown, config = labelled(
        record.assign(method=record["method"].map(method_label),
                      hit=record["hit"].map({True: _("yes"), False: _("no")})),
        ["quarter", "made_on", "method", "forecast", "actual", "error_share", "hit"],
        currency=currency,
    )  # fmt: skip
    data_table(shown, key="fc_record", file_stem="forecast_track_record", column_config=config,
               context=context.export_context(_("Forecast — track record")))  # fmt: skip
    if key is not None:
        kept = kept_forecasts(key)
        ends = replayed["quarter"] + pd.DateOffset(months=3)
        actuals = replayed.assign(target_start=replayed["quarter"], target_end=ends)
        judged = forecast_accuracy(kept, actuals[["target_start", "target_end", "actual"]],
                                   report.as_of) if len(kept) else kept  # fmt: skip
        if len(judged):
            st.markdown(_("**Forecasts shown on this page before**, judged now that their "
                          "quarter is over: {rate} within 10%.").format(
                rate=format_value(hit_rate(judged), "ratio")))  # fmt: skip
            shown, config = labelled(
                judged.rename(columns={"value": "forecast", "target_start": "quarter"}),
                ["quarter", "made_on", "forecast", "actual", "error_share"], currency=currency,
            )  # fmt: skip
            data_table(shown, key="fc_kept", file_stem="forecast_history", column_config=config,
                       context=context.export_context(_("Forecast — history")))  # fmt: skip

# ---- demand by product line and price segment ---------------------------------------------
st.subheader(_("Demand forecast"), anchor=False)
DEMAND_BY = {"product_line": N_("By product line"), "price_segment": N_("By price segment")}
DEMAND_MEASURES = {"revenue": N_("Revenue"), "units": N_("Units")}
seed_from_url("demand", "fc_demand_by", list(DEMAND_BY))
seed_from_url("measure", "fc_demand_measure", list(DEMAND_MEASURES), "revenue")
by_column, measure_column = st.columns(2)
with by_column:
    demand_by = st.segmented_control(
        _("Demand"), list(DEMAND_BY), key="fc_demand_by",
        format_func=translated(DEMAND_BY).__getitem__,
    )  # fmt: skip
with measure_column:
    demand_measure = st.segmented_control(
        _("Measure"), list(DEMAND_MEASURES), key="fc_demand_measure",
        format_func=translated(DEMAND_MEASURES).__getitem__, required=True,
    ) or "revenue"  # fmt: skip
write_to_url("demand", demand_by, None)
write_to_url("measure", demand_measure, "revenue")
if demand_by is None:
    st.caption(_(
        "Pick product line or price segment to forecast the demand of the order items of each: "
        "every series is backtested, which takes a few seconds each."
    ))  # fmt: skip
    st.stop()
demand_bar = st.progress(0.0, text=_("Forecasting demand…"))


def demand_progress(done: int, total: int) -> None:
    demand_bar.progress(done / total, text=_("Forecasting demand: {done} of {n} series").format(
        done=done, n=total))  # fmt: skip


demand = cached_report(demand_forecast, engine, filters, scope, demand_by, demand_measure,
                       progress=demand_progress)  # fmt: skip
demand_bar.empty()
if demand.empty:
    st.caption(_("No order before {day}: no demand to forecast.").format(
        day=format_day(demand.as_of)))  # fmt: skip
else:
    st.caption(
        _("The order items' revenue or units per month (up to {years} years), each segment "
          "forecast by the model its backtest chooses, never one that loses to seasonal "
          "naive; the band is the 90% interval. Price segments: the cheapest, middle and "
          "dearest thirds of the catalogue by list price.").format(years=HISTORY_YEARS)
    )  # fmt: skip
    st.plotly_chart(demand_figure(demand.months, demand.measure, demand.currency),
                    key="fc_demand_chart")  # fmt: skip
    segments = demand.segments
    table = segments.assign(segment=segments["segment"].map(segment_label),
                            model=segments["model"].map(model_label))  # fmt: skip
    shown, config = labelled(
        table.rename(columns={"segment": demand_by}),
        [demand_by, "model", "mase", "naive_mase", "next_quarter", "next_quarter_low",
         "next_quarter_high", "next_6_months", "next_6_months_low", "next_6_months_high",
         "last_12_months", "yoy_change", "history_months"],
        currency=demand.currency,
    )  # fmt: skip
    data_table(shown, key="fc_demand", file_stem=f"demand_forecast_{demand_by}",
               column_config=config,
               context=context.export_context(_("Forecast — demand")))  # fmt: skip
