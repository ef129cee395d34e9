"""Incentives: KPI plans with targets, weights, thresholds, caps and accelerators; live
scorecards with pacing and what it takes to reach each item's next step; for heads, execs,
admins and analysts also the team's score distribution, sanity warnings, gaming signals, the
plan, what-if and history (a rep sees only their own scorecard)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from access.roles import can_edit_plan, can_edit_plans
from analytics.periods import next_period, quarter_start, shift_months
from crm_data.queries.people import filter_options
from reports.incentives import incentive_report, sees_plan_design, simulate
from reports.names import names_by_id
from reports.plan_changes import plan_changes
from reports.plan_store import (
    PlanError,
    StoredItem,
    copy_plan,
    list_plans,
    load_plan,
    plan_history,
    save_plan,
)
from ui.activity_charts import score_histogram
from ui.cache import cached_report
from ui.database_info import crm_tables_present, no_crm_tables
from ui.empty import empty_state
from ui.engine import get_databases, get_engine
from ui.filter_bar import reference_date
from ui.format import currency_symbol, escape_markdown, format_value
from ui.page import page_header, page_start
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
from ui.scorecards import change_rows, next_step_lines, scorecard_rows
from ui.tables import data_table, export_buttons

context = page_start("incentives")
engine = get_engine()
databases = get_databases()  # the plans are in the app database
scope = context.scope
design = sees_plan_design(scope)  # warnings, signals, distribution, plan, what-if, history
page_header("Incentives", context, "KPI plans, live scorecards, pacing and what-if" if design
            else "Your scorecard, pacing and what it takes to reach the next step")  # fmt: skip
if not crm_tables_present(engine):  # an empty database: say so, not the driver's error
    no_crm_tables(scope.role)
    st.stop()
can_edit = can_edit_plans(scope.role)
# whether the user may save company-wide plans (a head only their team's)
company_wide = can_edit_plan(scope.role, None, scope.team_id)
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
            databases, scope, plan_key, items=stored_items(rows, kept), based_on_version=based_on,
            **fields,  # type: ignore[arg-type]
        )  # fmt: skip
    except PlanError as error:
        st.error(str(error), icon=":material/error:")
        return
    # nothing to clear: scorecards are cached by the plan version they score
    st.session_state["inc_pending"] = stored.plan_key  # selected on the rerun, latest version
    st.toast(f"Saved “{stored.name}” as version {stored.version}.", icon=":material/save:")
    st.rerun()


def new_plan_form() -> None:
    """A new plan for this quarter: fields, an empty items table (add a row per metric)."""
    st.caption("Add a row per metric: pick the metric, type its weight and target; the "
               "weights should add up to 100 %.")  # fmt: skip
    with st.form("inc_new"):
        quarter = quarter_start(reference_date())
        fields = plan_fields(
            "inc_new", TEAMS, company_wide=company_wide, name="New plan",
            start=quarter, end=shift_months(quarter, 3), team=scope.team_id, bonus=0.0,
        )  # fmt: skip
        rows = plan_editor("inc_new_items", editor_rows(()))
        if st.form_submit_button("Save plan", type="primary"):
            save(None, None, fields, rows)


LINK_NOTICE = "The link's plan is not one you may see (or no longer exists)"
plans = list_plans(databases, scope)
if plans.empty:
    if "plan" in st.query_params:
        st.info(f"{LINK_NOTICE}.", icon=":material/link_off:")
    empty_state(
        "No incentive plan yet.",
        "Create one below." if can_edit else "Ask your sales head to set up a plan.",
    )
    if can_edit:
        new_plan_form()
    st.stop()

labels: dict[str, str] = {
    str(key): f"{name} · {start:%d %b %Y} – {end - timedelta(days=1):%d %b %Y}"
    for key, name, start, end in zip(
        plans["plan_key"], plans["name"], plans["period_start"], plans["period_end"], strict=True
    )
}
if "inc_pending" in st.session_state:  # a plan just saved or copied: show its latest version
    st.session_state["inc_plan"] = st.session_state.pop("inc_pending")
# a shared link names the plan (always), a version (when not the latest) and a rep's scorecard
unknown_plan = seed_from_url("plan", "inc_plan", list(labels))
pick, version_pick = st.columns([3, 1])
with pick:
    plan_key = st.selectbox("Plan", list(labels), format_func=labels.__getitem__, key="inc_plan")
write_to_url("plan", plan_key, None)
if unknown_plan:
    st.info(f"{LINK_NOTICE}; showing another.", icon=":material/link_off:")
history = plan_history(databases, scope, plan_key)
versions = history["version"].astype(int).tolist()[::-1]
# A widget keeps what it shows under the same key whatever its default, so the widgets of a
# plan's versions and of one version's fields are keyed by the plan and version they show.
version_key = f"inc_version@{plan_key}.{len(versions)}"  # a new version: its latest picked
seed_from_url("version", version_key, versions)
if design:  # a rep is scored by the latest version
    with version_pick:
        version = st.selectbox(
            "Version", versions, key=version_key,
            format_func=lambda v: f"v{v}" + (" (latest)" if v == versions[0] else ""),
        )  # fmt: skip
else:
    version = versions[0]
write_to_url("version", version, versions[0])
suffix = f"@{plan_key}.v{version}"  # of the keys of the widgets showing this version
if can_edit:
    with st.expander("New plan", icon=":material/add:"):
        new_plan_form()

try:
    with st.spinner("Scoring the plan…", show_time=True):
        stored = load_plan(databases, scope, plan_key, version)
        report = cached_report(incentive_report, engine, scope, stored, reference_date())
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


def pick_rep(scored: list[int]) -> int:
    """The rep whose scorecard is shown: picked by a designer (the link's ``?scorecard=`` the
    first time); a rep sees their own.  A link naming a rep the user may not see says so."""
    unknown_rep = seed_from_url("scorecard", "inc_rep", scored)
    if design:
        rep = st.selectbox("Scorecard of", scored, format_func=names.__getitem__, key="inc_rep")
    else:
        rep = scored[0]
    write_to_url("scorecard", rep, scored[0])
    if unknown_rep:
        st.info("The link's scorecard is not one you may see; showing "
                f"{escape_markdown(names[rep])}'s.", icon=":material/link_off:")  # fmt: skip
    return rep


def scorecards() -> None:
    st.caption(
        f"Actuals from {plan.period_start:%d %b %Y} up to "
        f"{report.as_of - timedelta(days=1):%d %b %Y}"
        f" · {report.elapsed_days} of {report.total_days} working days elapsed · on-target bonus "
        f"{money_text(plan.on_target_bonus)}"
    )
    for warning in report.warnings:
        st.warning(escape_markdown(warning.message), icon=":material/warning:")
    signals = report.signals
    for rep_id, message in zip(signals["rep_id"], signals["message"], strict=True):
        who = escape_markdown(str(names.get(int(rep_id), rep_id)))
        st.info(f"**{who}** — {escape_markdown(str(message))}", icon=":material/policy:")
    summary = report.scorecard.summary
    if summary.empty:
        hint = "The plan's team has no rep you may see." if design else (
            "The plan does not score you: ask your sales head.")  # fmt: skip
        empty_state("No rep to score.", hint)
        return
    shown = report.rep_summary()
    if design:
        left, right = st.columns([3, 2])
        with left:
            data_table(
                shown.drop(columns="rep_id").rename(columns={
                    "name": "Rep", "score": "Score", "bonus": "Bonus", "on track": "On track",
                    "at risk": "At risk", "off track": "Off track", "note": "Note"}),
                key="inc_summary", file_stem="scorecards", context=export,
                column_config={"Score": percent, "Bonus": money},
            )  # fmt: skip
        with right:
            st.markdown("**Team distribution of scores**")
            st.plotly_chart(score_histogram(summary["score"]), key="inc_distribution")
    rep = pick_rep(summary["rep_id"].astype(int).tolist())
    if not design:
        mine = shown.set_index("rep_id").loc[rep].to_dict()  # the rep's one row
        paced = int(mine["on track"] + mine["at risk"] + mine["off track"])
        a, b, c = st.columns(3)
        a.metric("Your score", format_value(mine["score"], "ratio"))
        b.metric("Bonus at this score", money_text(mine["bonus"]))
        c.metric("Items on track", f"{int(mine['on track'])} of {paced}")
        if mine["note"]:
            st.caption(escape_markdown(mine["note"]))
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
    steps = next_step_lines(report, rep)
    whom = f" {escape_markdown(names[rep])}" if design else ""
    st.markdown(f"**What it takes{whom} to reach the next step** (for the whole period)")
    if steps:
        st.markdown("\n".join(f"- {line}" for line in steps))
    else:
        st.caption("Every item is at its cap, or above its target with no cap: nothing more "
                   "to reach.")  # fmt: skip


def plan_tab() -> None:
    rows = editor_rows(plan.items)
    grid = target_grid(plan.items, names)
    own = int(grid.drop(columns="rep").notna().to_numpy().sum())
    if not can_edit:
        st.caption("Read only: heads edit their team's plans, executives and admins every plan.")
        data_table(rows.rename(columns=COLUMN_LABELS), key="inc_plan_items",
                   file_stem="incentive_plan", context=export)  # fmt: skip
        if own:
            st.markdown("**Per-rep targets** (empty: the item's common target)")
            data_table(grid.rename(columns=target_labels(grid)), key="inc_plan_targets",
                       file_stem="incentive_plan_rep_targets", context=export)  # fmt: skip
        return
    st.caption(f"Editing adds version {max(versions) + 1}; earlier versions stay readable.")
    with st.form("inc_edit"):
        fields = plan_fields(
            f"inc_edit{suffix}", TEAMS, company_wide=company_wide, name=plan.name,
            start=plan.period_start, end=plan.period_end, team=plan.team_id,
            bonus=plan.on_target_bonus,
        )  # fmt: skip
        edited = plan_editor(f"inc_items{suffix}", rows)
        with st.expander(f"Per-rep targets ({own} set)"):
            st.caption("Empty: the item's common target. Items added now get per-rep "
                       "targets once saved.")  # fmt: skip
            edited_grid = target_editor(f"inc_rep_targets{suffix}", grid)
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
            copied = copy_plan(databases, scope, plan.plan_key,
                               *next_period(plan.period_start, plan.period_end))  # fmt: skip
        except PlanError as error:
            st.error(str(error), icon=":material/error:")
        else:
            st.session_state["inc_pending"] = copied.plan_key
            st.rerun()


def what_if_tab() -> None:
    if report.scorecard.items.empty:
        empty_state("Nothing to simulate.", "The plan has no scored rep.")
        return
    st.caption("Change weights or targets; scores and bonuses are recomputed on the same "
               "actuals. Nothing is saved.")  # fmt: skip
    changed = plan_editor(f"inc_whatif{suffix}", editor_rows(plan.items), fixed_items=True)
    try:
        result = simulate(report, stored_items(changed, plan.items))
    except PlanError as error:
        st.error(str(error), icon=":material/error:")
        return
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


def history_tab() -> None:
    data_table(
        history.rename(columns={"version": "Version", "created_at": "Saved", "created_by_name":
                                "By", "name": "Name", "item_count": "Items"})[
            ["Version", "Saved", "By", "Name", "Items"]],
        key="inc_history", file_stem="plan_history", context=export,
    )  # fmt: skip
    if plan.version == 1:
        return
    st.markdown(f"**What version {plan.version} changed** against version {plan.version - 1} "
                "(pick another version at the top to see its changes)")  # fmt: skip
    changes = plan_changes(load_plan(databases, scope, plan.plan_key, plan.version - 1), plan)
    if changes.empty:
        st.caption("Nothing: saved without changes.")
    else:
        data_table(
            change_rows(changes, report.currency, TEAMS).rename(columns={
                "part": "Item", "field": "Setting", "before": "Before", "after": "After"}),
            key="inc_changes", file_stem=f"plan_changes_v{plan.version}", context=export,
        )  # fmt: skip


if design:
    sections = {"Scorecards": scorecards, "Plan": plan_tab, "What-if": what_if_tab,
                "History": history_tab}  # fmt: skip
    for tab, draw in zip(st.tabs(list(sections)), sections.values(), strict=True):
        with tab:
            draw()
else:
    scorecards()
