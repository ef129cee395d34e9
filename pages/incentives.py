"""Incentives: KPI plans with targets, weights, thresholds, caps and accelerators; live
scorecards with pacing; the team's score distribution; what-if; plan history."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from analytics.periods import next_period, quarter_start, shift_months
from crm_data.plans import PlanError, StoredItem, list_plans, load_plan, plan_history
from crm_data.queries.people import filter_options
from reports.incentives import incentive_report, simulate
from reports.names import names_by_id
from reports.plan_changes import plan_changes
from reports.plan_store import copy_plan, save_plan
from ui.activity_charts import score_histogram
from ui.cache import cached_report
from ui.empty import empty_state
from ui.engine import get_engine, invalidate_data
from ui.filter_bar import reference_date
from ui.format import currency_symbol, escape_markdown, format_value
from ui.page import page_context, page_header
from ui.page_options import seed_from_url, write_to_url
from ui.plan_editor import (
    COLUMN_LABELS,
    editor_rows,
    plan_editor,
    plan_fields,
    stored_items,
    target_editor,
    target_grid,
    target_labels,
    with_grid_targets,
)
from ui.registry import route_through_app
from ui.scorecards import change_rows, scorecard_rows
from ui.tables import data_table, export_buttons

route_through_app()
context = page_context("incentives")
engine = get_engine()
scope = context.scope
page_header("Incentives", context, "KPI plans, live scorecards, pacing and what-if")
can_edit = scope.role in ("admin", "exec", "head")
TEAMS = names_by_id(filter_options(engine, scope).teams, "team_id")
percent = st.column_config.NumberColumn(format="percent")


def save(
    plan_key: str | None,
    based_on: int | None,
    fields: dict[str, object],
    rows: pd.DataFrame,
    kept: tuple[StoredItem, ...] = (),
) -> None:
    """Store a version (the per-rep targets of ``kept`` items carried over); say what went
    wrong instead of raising."""
    try:
        stored = save_plan(
            engine, scope, plan_key, items=stored_items(rows, kept), based_on_version=based_on,
            **fields,  # type: ignore[arg-type]
        )  # fmt: skip
    except PlanError as error:
        st.error(str(error), icon=":material/error:")
        return
    invalidate_data()
    st.session_state["inc_pending"] = stored.plan_key  # selected on the rerun, latest version
    st.toast(f"Saved “{stored.name}” as version {stored.version}.", icon=":material/save:")
    st.rerun()


LINK_NOTICE = "The link's plan is not one you may see (or no longer exists)"
plans = list_plans(engine, scope)
if plans.empty:
    if "plan" in st.query_params:
        st.info(f"{LINK_NOTICE}.", icon=":material/link_off:")
    empty_state(
        "No incentive plan yet.",
        "Create one below." if can_edit else "Ask your sales head to set up a plan.",
    )
    if can_edit:
        with st.form("inc_new"):
            today = reference_date()
            quarter = quarter_start(today)
            fields = plan_fields(
                "inc_new", TEAMS, company_wide=scope.role != "head", name="New plan",
                start=quarter, end=shift_months(quarter, 3),
                team=scope.team_id, bonus=0.0,
            )  # fmt: skip
            rows = plan_editor("inc_new_items", editor_rows(()))
            if st.form_submit_button("Save plan", type="primary"):
                save(None, None, fields, rows)
    st.stop()

labels = {
    row.plan_key: f"{row.name} · {row.period_start:%d %b %Y} – "
    f"{row.period_end - timedelta(days=1):%d %b %Y}"
    for row in plans.itertuples()
}
if "inc_pending" in st.session_state:  # a plan just saved or copied: show its latest version
    st.session_state["inc_plan"] = st.session_state.pop("inc_pending")
    st.session_state.pop("inc_version", None)
# a shared link names the plan (always), a version (when not the latest) and a rep's scorecard
unknown_plan = seed_from_url("plan", "inc_plan", list(labels))
pick, version_pick = st.columns([3, 1])
with pick:
    plan_key = st.selectbox("Plan", list(labels), format_func=labels.get, key="inc_plan")
write_to_url("plan", plan_key, None)
if unknown_plan:
    st.info(f"{LINK_NOTICE}; showing another.", icon=":material/link_off:")
history = plan_history(engine, scope, plan_key)
versions = history["version"].astype(int).tolist()[::-1]
seed_from_url("version", "inc_version", versions)
with version_pick:
    version = st.selectbox(
        "Version", versions, key="inc_version",
        format_func=lambda v: f"v{v}" + (" (latest)" if v == versions[0] else ""),
    )  # fmt: skip
write_to_url("version", version, versions[0])

try:
    with st.spinner("Scoring the plan…", show_time=True):
        report = cached_report(incentive_report, engine, scope, plan_key, version, reference_date())
except PlanError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()
plan = report.plan
export = context.export_context(f"Incentives — {plan.name} v{plan.version}")
money = st.column_config.NumberColumn(format=f"{currency_symbol(report.currency)}%,.0f")
names = dict(zip(report.reps["rep_id"], report.reps["name"], strict=True))  # unique names


def money_text(value: float) -> str:
    """An amount in full with the deals' currency."""
    return format_value(value, "money", report.currency, compact=False)


tabs = st.tabs(["Scorecards", "Plan", "What-if", "History"])
with tabs[0]:
    st.caption(
        f"Actuals from {plan.period_start:%d %b %Y} up to "
        f"{report.as_of - timedelta(days=1):%d %b %Y}"
        f" · {report.elapsed_days} of {report.total_days} working days elapsed · on-target bonus "
        f"{money_text(plan.on_target_bonus)}"
    )
    for warning in report.warnings:
        st.warning(escape_markdown(warning.message), icon=":material/warning:")
    for signal in report.signals.itertuples():
        who = escape_markdown(str(names.get(int(signal.rep_id), signal.rep_id)))
        st.info(f"**{who}** — {escape_markdown(signal.message)}", icon=":material/policy:")
    summary = report.scorecard.summary
    if summary.empty:
        empty_state("No rep to score.", "The plan's team has no rep you may see.")
    else:
        shown = report.rep_summary().drop(columns="rep_id")
        left, right = st.columns([3, 2])
        with left:
            data_table(
                shown.rename(columns={"name": "Rep", "score": "Score", "bonus": "Bonus",
                                      "on track": "On track", "at risk": "At risk",
                                      "off track": "Off track", "note": "Note"}),
                key="inc_summary", file_stem="scorecards", context=export,
                column_config={"Score": percent, "Bonus": money},
            )  # fmt: skip
        with right:
            st.markdown("**Team distribution of scores**")
            st.plotly_chart(score_histogram(summary["score"]), key="inc_distribution")
        scored = summary["rep_id"].astype(int).tolist()
        unknown_rep = seed_from_url("scorecard", "inc_rep", scored)
        rep = st.selectbox("Scorecard of", scored, format_func=names.get, key="inc_rep")
        write_to_url("scorecard", rep, scored[0])
        if unknown_rep:
            st.info("The link's scorecard is not one you may see; showing "
                    f"{escape_markdown(names[rep])}'s.", icon=":material/link_off:")  # fmt: skip
        data_table(
            scorecard_rows(report.rep_detail(rep), report.currency).rename(columns={
                "metric": "Metric", "actual": "Actual", "target": "Target",
                "attainment": "Attainment", "credited": "Credited", "effective_weight": "Weight",
                "points": "Points", "expected": "Expected by now", "status": "Pacing",
                "note": "Note"}),
            key="inc_detail", file_stem=f"scorecard_{rep}", context=export,
            column_config={"Attainment": percent, "Credited": percent, "Weight": percent,
                           "Points": percent},
        )  # fmt: skip

with tabs[1]:
    rows = editor_rows(plan.items)
    grid = target_grid(plan.items, names)
    own = int(grid.drop(columns="rep").notna().to_numpy().sum())
    if not can_edit:
        data_table(rows.rename(columns=COLUMN_LABELS), key="inc_plan_items",
                   file_stem="incentive_plan", context=export)  # fmt: skip
        if own:
            st.markdown("**Per-rep targets** (empty: the item's common target)")
            data_table(grid.rename(columns=target_labels(grid)), key="inc_plan_targets",
                       file_stem="incentive_plan_rep_targets", context=export)  # fmt: skip
    else:
        st.caption(f"Editing adds version {max(versions) + 1}; earlier versions stay readable.")
        with st.form("inc_edit"):
            fields = plan_fields(
                "inc_edit", TEAMS, company_wide=scope.role != "head", name=plan.name,
                start=plan.period_start, end=plan.period_end, team=plan.team_id,
                bonus=plan.on_target_bonus,
            )  # fmt: skip
            edited = plan_editor("inc_items", rows)
            with st.expander(f"Per-rep targets ({own} set)"):
                st.caption("Empty: the item's common target. Items added now get per-rep "
                           "targets once saved.")  # fmt: skip
                edited_grid = target_editor("inc_rep_targets", grid)
            if st.form_submit_button("Save as a new version", type="primary"):
                kept = with_grid_targets(plan.items, edited_grid)
                save(plan.plan_key, max(versions), fields, edited, kept)
        export_buttons(rows.rename(columns=COLUMN_LABELS), key="inc_plan_export",
                       file_stem="incentive_plan", context=export)  # fmt: skip
        if own:
            st.caption("Per-rep targets as saved:")
            export_buttons(grid.rename(columns=target_labels(grid)), key="inc_targets_export",
                           file_stem="incentive_plan_rep_targets", context=export)  # fmt: skip
        if st.button("Copy to the next period", icon=":material/content_copy:", key="inc_copy"):
            try:
                copied = copy_plan(engine, scope, plan.plan_key,
                                   *next_period(plan.period_start, plan.period_end))  # fmt: skip
            except PlanError as error:
                st.error(str(error), icon=":material/error:")
            else:
                invalidate_data()
                st.session_state["inc_pending"] = copied.plan_key
                st.rerun()

with tabs[2]:
    if report.scorecard.items.empty:
        empty_state("Nothing to simulate.", "The plan has no scored rep.")
    else:
        st.caption("Change weights or targets; scores and bonuses are recomputed on the same "
                   "actuals. Nothing is saved.")  # fmt: skip
        changed = plan_editor("inc_whatif", editor_rows(plan.items), fixed_items=True)
        try:
            result = simulate(report, stored_items(changed, plan.items))
        except PlanError as error:
            st.error(str(error), icon=":material/error:")
        else:
            a, b, c = st.columns(3)
            a.metric("Bonus pool now", money_text(result.pool))
            change = money_text(result.pool_delta) if result.pool_delta else None
            b.metric("Bonus pool with the changes", money_text(result.new_pool), delta=change)
            c.metric("Gain / lose", f"{len(result.gainers)} / {len(result.losers)}")
            diff = result.reps.assign(name=result.reps["rep_id"].map(names))
            data_table(
                diff[["name", "score", "new_score", "bonus", "new_bonus", "bonus_delta", "change"]]
                .rename(columns={"name": "Rep", "score": "Score", "new_score": "New score",
                                 "bonus": "Bonus", "new_bonus": "New bonus",
                                 "bonus_delta": "Change", "change": "Effect"}),
                key="inc_whatif_table", file_stem="what_if", context=export,
                column_config={"Score": percent, "New score": percent, "Bonus": money,
                               "New bonus": money, "Change": money},
            )  # fmt: skip

with tabs[3]:
    data_table(
        history.rename(columns={"version": "Version", "created_at": "Saved", "created_by_name":
                                "By", "name": "Name", "item_count": "Items"})[
            ["Version", "Saved", "By", "Name", "Items"]],
        key="inc_history", file_stem="plan_history", context=export,
    )  # fmt: skip
    if plan.version > 1:
        st.markdown(f"**What version {plan.version} changed** against version {plan.version - 1} "
                    "(pick another version at the top to see its changes)")  # fmt: skip
        changes = plan_changes(load_plan(engine, scope, plan.plan_key, plan.version - 1), plan)
        if changes.empty:
            st.caption("Nothing: saved without changes.")
        else:
            data_table(
                change_rows(changes, report.currency, TEAMS).rename(columns={
                    "part": "Item", "field": "Setting", "before": "Before", "after": "After"}),
                key="inc_changes", file_stem=f"plan_changes_v{plan.version}", context=export,
            )  # fmt: skip
