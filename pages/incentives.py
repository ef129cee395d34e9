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
from i18n import _, ngettext
from i18n.formatting import format_count
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
from ui.format import escape_markdown, format_value, money_pattern
from ui.page import page_header, page_start
from ui.page_options import seed_from_url, write_to_url
from ui.plan_editor import (
    column_labels,
    editor_rows,
    plan_editor,
    plan_fields,
    stored_items,
    target_editor,
    target_grid,
    target_labels,
    with_grid_targets,
)
from ui.scorecards import (
    change_rows,
    next_step_lines,
    plan_day_text,
    scorecard_rows,
    state_text,
)
from ui.tables import data_table, export_buttons

context = page_start("incentives")
engine = get_engine()
databases = get_databases()  # the plans are in the app database
scope = context.scope
design = sees_plan_design(scope)  # warnings, signals, distribution, plan, what-if, history
page_header(_("Incentives"), context, _("KPI plans, live scorecards, pacing and what-if")
            if design else _("Your scorecard, pacing and what it takes to reach the next "
                             "step"))  # fmt: skip
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
    st.toast(_("Saved “{name}” as version {version}.").format(
        name=stored.name, version=stored.version), icon=":material/save:")  # fmt: skip
    st.rerun()


def new_plan_form() -> None:
    """A new plan for this quarter: fields, an empty items table (add a row per metric)."""
    st.caption(_("Add a row per metric: pick the metric, type its weight and target; the "
                 "weights should add up to 100 %."))  # fmt: skip
    with st.form("inc_new"):
        quarter = quarter_start(reference_date())
        fields = plan_fields(
            "inc_new", TEAMS, company_wide=company_wide, name=_("New plan"),
            start=quarter, end=shift_months(quarter, 3), team=scope.team_id, bonus=0.0,
        )  # fmt: skip
        rows = plan_editor("inc_new_items", editor_rows(()))
        if st.form_submit_button(_("Save plan"), type="primary"):
            save(None, None, fields, rows)


plans = list_plans(databases, scope)
if plans.empty:
    if "plan" in st.query_params:
        st.info(_("The link's plan is not one you may see (or no longer exists)."),
                icon=":material/link_off:")  # fmt: skip
    empty_state(
        _("No incentive plan yet."),
        _("Create one below.") if can_edit else _("Ask your sales head to set up a plan."),
    )
    if can_edit:
        new_plan_form()
    st.stop()

labels: dict[str, str] = {
    str(key): _("{name} · {start} – {end}").format(
        name=name, start=plan_day_text(start), end=plan_day_text(end - timedelta(days=1))
    )
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
    plan_key = st.selectbox(_("Plan"), list(labels), format_func=labels.__getitem__, key="inc_plan")
write_to_url("plan", plan_key, None)
if unknown_plan:
    st.info(_("The link's plan is not one you may see (or no longer exists); showing "
              "another."), icon=":material/link_off:")  # fmt: skip
history = plan_history(databases, scope, plan_key)
versions = history["version"].astype(int).tolist()[::-1]
# A widget keeps what it shows under the same key whatever its default, so the widgets of a
# plan's versions and of one version's fields are keyed by the plan and version they show.
version_key = f"inc_version@{plan_key}.{len(versions)}"  # a new version: its latest picked
seed_from_url("version", version_key, versions)
if design:  # a rep is scored by the latest version
    with version_pick:
        version_labels = {v: _("v{version}").format(version=v) for v in versions}
        version_labels[versions[0]] = _("v{version} (latest)").format(version=versions[0])
        version = st.selectbox(_("Version"), versions, key=version_key,
                               format_func=version_labels.__getitem__)  # fmt: skip
else:
    version = versions[0]
write_to_url("version", version, versions[0])
suffix = f"@{plan_key}.v{version}"  # of the keys of the widgets showing this version
if can_edit:
    with st.expander(_("New plan"), icon=":material/add:"):
        new_plan_form()

try:
    with st.spinner(_("Scoring the plan…"), show_time=True):
        stored = load_plan(databases, scope, plan_key, version)
        report = cached_report(incentive_report, engine, scope, stored, reference_date())
except PlanError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()
plan = report.plan
export = context.export_context(
    _("Incentives — {name} v{version}").format(name=plan.name, version=plan.version)
)
money = st.column_config.NumberColumn(format=money_pattern(report.currency))
names = dict(zip(report.reps["rep_id"], report.reps["name"], strict=True))  # unique names


def money_text(value: float) -> str:
    """An amount in full with the deals' currency."""
    return format_value(value, "money", report.currency, compact=False)


def pick_rep(scored: list[int]) -> int:
    """The rep whose scorecard is shown: picked by a designer (the link's ``?scorecard=`` the
    first time); a rep sees their own.  A link naming a rep the user may not see says so."""
    unknown_rep = seed_from_url("scorecard", "inc_rep", scored)
    if design:
        rep = st.selectbox(_("Scorecard of"), scored, format_func=names.__getitem__, key="inc_rep")
    else:
        rep = scored[0]
    write_to_url("scorecard", rep, scored[0])
    if unknown_rep:
        st.info(_("The link's scorecard is not one you may see; showing {name}'s.").format(
            name=escape_markdown(names[rep])), icon=":material/link_off:")  # fmt: skip
    return rep


def scorecards() -> None:
    days = ngettext(
        "{elapsed} of {total} working day elapsed",
        "{elapsed} of {total} working days elapsed",
        report.total_days,
    ).format(elapsed=format_count(report.elapsed_days), total=format_count(report.total_days))
    st.caption(
        _("Actuals from {start} up to {end}").format(
            start=plan_day_text(plan.period_start),
            end=plan_day_text(report.as_of - timedelta(days=1)),
        )
        + f" · {days} · "
        + _("on-target bonus {amount}").format(amount=money_text(plan.on_target_bonus))
    )
    for warning in report.warnings:
        st.warning(escape_markdown(warning.message), icon=":material/warning:")
    signals = report.signals
    for rep_id, message in zip(signals["rep_id"], signals["message"], strict=True):
        who = escape_markdown(str(names.get(int(rep_id), rep_id)))
        st.info(f"**{who}** — {escape_markdown(str(message))}", icon=":material/policy:")
    summary = report.scorecard.summary
    if summary.empty:
        hint = _("The plan's team has no rep you may see.") if design else _(
            "The plan does not score you: ask your sales head.")  # fmt: skip
        empty_state(_("No rep to score."), hint)
        return
    shown = report.rep_summary()
    if design:
        left, right = st.columns([3, 2])
        with left:
            data_table(
                shown.drop(columns="rep_id").rename(columns={
                    "name": _("Rep"), "score": _("Score"), "bonus": _("Bonus"),
                    "on track": _("On track"), "at risk": _("At risk"),
                    "off track": _("Off track"), "note": _("Note")}),
                key="inc_summary", file_stem="scorecards", context=export,
                column_config={_("Score"): percent, _("Bonus"): money},
            )  # fmt: skip
        with right:
            heading = _("Team distribution of scores")
            st.markdown(f"**{heading}**")
            st.plotly_chart(score_histogram(summary["score"]), key="inc_distribution")
    rep = pick_rep(summary["rep_id"].astype(int).tolist())
    if not design:
        mine = shown.set_index("rep_id").loc[rep].to_dict()  # the rep's one row
        paced = int(mine["on track"] + mine["at risk"] + mine["off track"])
        a, b, c = st.columns(3)
        a.metric(_("Your score"), format_value(mine["score"], "ratio"))
        b.metric(_("Bonus at this score"), money_text(mine["bonus"]))
        c.metric(_("Items on track"), _("{count} of {total}").format(
            count=format_count(int(mine["on track"])), total=format_count(paced)))  # fmt: skip
        if mine["note"]:
            st.caption(escape_markdown(mine["note"]))
    detail = scorecard_rows(report.rep_detail(rep), report.currency)
    detail = detail.assign(
        metric=detail["metric"].map(_),
        status=detail["status"].map(lambda value: state_text(value)),
    )
    data_table(
        detail.rename(columns={
            "metric": _("Metric"), "actual": _("Actual"), "target": _("Target"),
            "attainment": _("Attainment"), "credited": _("Credited"),
            "effective_weight": _("Weight"), "points": _("Points"),
            "expected": _("Expected by now"), "status": _("Pacing"), "note": _("Note")}),
        key="inc_detail", file_stem=f"scorecard_{rep}", context=export,
        column_config={_("Attainment"): percent, _("Credited"): percent, _("Weight"): percent,
                       _("Points"): percent},
    )  # fmt: skip
    steps = next_step_lines(report, rep)
    title = (_("What it takes {name} to reach the next step").format(
        name=escape_markdown(names[rep])) if design
        else _("What it takes to reach the next step"))  # fmt: skip
    whole = _("(for the whole period)")
    st.markdown(f"**{title}** {whole}")
    if steps:
        st.markdown("\n".join(f"- {line}" for line in steps))
    else:
        st.caption(_("Every item is at its cap, or above its target with no cap: nothing more "
                     "to reach."))  # fmt: skip


def plan_tab() -> None:
    rows = editor_rows(plan.items)
    shown_rows = rows.assign(metric=rows["metric"].map(_)).rename(columns=column_labels())
    grid = target_grid(plan.items, names)
    own = int(grid.drop(columns="rep").notna().to_numpy().sum())
    if not can_edit:
        st.caption(_("Read only: heads edit their team's plans, executives and admins every "
                     "plan."))  # fmt: skip
        data_table(shown_rows, key="inc_plan_items",
                   file_stem="incentive_plan", context=export)  # fmt: skip
        if own:
            heading, note = _("Per-rep targets"), _("(empty: the item's common target)")
            st.markdown(f"**{heading}** {note}")
            data_table(grid.rename(columns=target_labels(grid)), key="inc_plan_targets",
                       file_stem="incentive_plan_rep_targets", context=export)  # fmt: skip
        return
    st.caption(_("Editing adds version {version}; earlier versions stay readable.").format(
        version=max(versions) + 1))  # fmt: skip
    with st.form("inc_edit"):
        fields = plan_fields(
            f"inc_edit{suffix}", TEAMS, company_wide=company_wide, name=plan.name,
            start=plan.period_start, end=plan.period_end, team=plan.team_id,
            bonus=plan.on_target_bonus,
        )  # fmt: skip
        edited = plan_editor(f"inc_items{suffix}", rows)
        with st.expander(_("Per-rep targets ({count} set)").format(count=format_count(own))):
            st.caption(_("Empty: the item's common target. Items added now get per-rep "
                         "targets once saved."))  # fmt: skip
            edited_grid = target_editor(f"inc_rep_targets{suffix}", grid)
        if st.form_submit_button(_("Save as a new version"), type="primary"):
            kept = with_grid_targets(plan.items, edited_grid)
            save(plan.plan_key, max(versions), fields, edited, kept)
    export_buttons(shown_rows, key="inc_plan_export",
                   file_stem="incentive_plan", context=export)  # fmt: skip
    if own:
        st.caption(_("Per-rep targets as saved:"))
        export_buttons(grid.rename(columns=target_labels(grid)), key="inc_targets_export",
                       file_stem="incentive_plan_rep_targets", context=export)  # fmt: skip
    if st.button(_("Copy to the next period"), icon=":material/content_copy:", key="inc_copy"):
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
        empty_state(_("Nothing to simulate."), _("The plan has no scored rep."))
        return
    st.caption(_("Change weights or targets; scores and bonuses are recomputed on the same "
                 "actuals. Nothing is saved."))  # fmt: skip
    changed = plan_editor(f"inc_whatif{suffix}", editor_rows(plan.items), fixed_items=True)
    try:
        result = simulate(report, stored_items(changed, plan.items))
    except PlanError as error:
        st.error(str(error), icon=":material/error:")
        return
    a, b, c = st.columns(3)
    a.metric(_("Bonus pool now"), money_text(result.pool))
    change = money_text(result.pool_delta) if result.pool_delta else None
    b.metric(_("Bonus pool with the changes"), money_text(result.new_pool), delta=change)
    c.metric(_("Gain / lose"), f"{format_count(len(result.gainers))} / "
             f"{format_count(len(result.losers))}")  # fmt: skip
    diff = result.reps.assign(
        name=result.reps["rep_id"].map(names),
        change=result.reps["change"].map(lambda value: state_text(value)),
    )
    data_table(
        diff[["name", "score", "new_score", "bonus", "new_bonus", "bonus_delta", "change"]]
        .rename(columns={"name": _("Rep"), "score": _("Score"), "new_score": _("New score"),
                         "bonus": _("Bonus"), "new_bonus": _("New bonus"),
                         "bonus_delta": _("Change"), "change": _("Effect")}),
        key="inc_whatif_table", file_stem="what_if", context=export,
        column_config={_("Score"): percent, _("New score"): percent, _("Bonus"): money,
                       _("New bonus"): money, _("Change"): money},
    )  # fmt: skip


def history_tab() -> None:
    columns = {"version": _("Version"), "created_at": _("Saved"), "created_by_name": _("By"),
               "name": _("Name"), "item_count": _("Items")}  # fmt: skip
    data_table(
        history.rename(columns=columns)[list(columns.values())],
        key="inc_history", file_stem="plan_history", context=export,
    )  # fmt: skip
    if plan.version == 1:
        return
    what = _("What version {version} changed").format(version=plan.version)
    against = _("against version {version} (pick another version at the top to see its "
                "changes)").format(version=plan.version - 1)  # fmt: skip
    st.markdown(f"**{what}** {against}")
    changes = plan_changes(load_plan(databases, scope, plan.plan_key, plan.version - 1), plan)
    if changes.empty:
        st.caption(_("Nothing: saved without changes."))
    else:
        data_table(
            change_rows(changes, report.currency, TEAMS).rename(columns={
                "part": _("Item"), "field": _("Setting"), "before": _("Before"),
                "after": _("After")}),
            key="inc_changes", file_stem=f"plan_changes_v{plan.version}", context=export,
        )  # fmt: skip


if design:
    sections = {_("Scorecards"): scorecards, _("Plan"): plan_tab, _("What-if"): what_if_tab,
                _("History"): history_tab}  # fmt: skip
    for tab, draw in zip(st.tabs(list(sections)), sections.values(), strict=True):
        with tab:
            draw()
else:
    scorecards()
