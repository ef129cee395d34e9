"""The Activity report against plain SQL on a fresh S demo database (activities done, follow-up
compliance, next-step coverage, new-direction clients, lost without a reason), its agreement
with the Overview, the scope of a rep, and the Activity page through AppTest."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.filters import Scope
from reports.activity import activity_report, reorder_due
from reports.overview import overview_report
from tests.support.apptest import TODAY, app_database_fixtures, metric, run
from ui.activity_charts import activity_heatmap
from ui.format import format_value
from ui.url_filters import Selection, build_filters

FILTERS, _ = build_filters(Selection(), TODAY)  # the app's default: the last 12 months
AS_OF = datetime.combine(FILTERS.end, datetime.min.time())


url, engine, databases = app_database_fixtures("activity")


@pytest.fixture(scope="module")
def report(engine: sa.Engine):
    return activity_report(engine, FILTERS, Scope.everyone())


def scalar(engine: sa.Engine, sql: str, **params: object) -> float:
    values = {"s": FILTERS.start, "e": FILTERS.end, "as_of": AS_OF, **params}
    with engine.connect() as conn:
        return float(conn.execute(sa.text(sql), values).scalar_one() or 0)


def test_activities_and_follow_ups_against_sql(engine: sa.Engine, report) -> None:
    done = scalar(engine, "SELECT count(*) FROM activities WHERE status = 'done' "
                          "AND done_at >= :s AND done_at < :e")  # fmt: skip
    assert report.kpi("activities_done").value == done > 1000
    # follow-ups due in the period (before as_of), not cancelled; on time = done by due + 1 day
    base = ("FROM activities WHERE due_at >= :s AND due_at < :e AND due_at < :as_of "
            "AND status <> 'cancelled'")  # fmt: skip
    grace = AS_OF - timedelta(days=1)
    on_time = scalar(engine, f"SELECT count(*) {base} AND status = 'done' AND done_at < :as_of "
                             "AND done_at <= due_at + INTERVAL 1 DAY")  # fmt: skip
    pending = scalar(engine, f"SELECT count(*) {base} AND due_at >= :g AND NOT (status = 'done' "
                             "AND done_at < :as_of)", g=grace)  # fmt: skip
    due = scalar(engine, f"SELECT count(*) {base}")
    assert report.kpi("followup_compliance").value == pytest.approx(on_time / (due - pending))


def test_next_step_coverage_and_new_direction(engine: sa.Engine, report) -> None:
    open_now = ("FROM deals d WHERE d.created_at < :as_of AND (d.closed_at IS NULL "
                "OR d.closed_at >= :as_of)")  # fmt: skip
    total = scalar(engine, f"SELECT count(*) {open_now}")
    planned = (
        "SELECT 1 FROM activities a WHERE a.deal_id = d.id AND a.due_at >= :as_of AND "
        "(a.status = 'planned' OR (a.status = 'done' AND a.done_at >= :as_of))"
    )
    covered = scalar(engine, f"SELECT count(*) {open_now} AND EXISTS ({planned})")
    assert report.kpi("next_step_coverage").value == pytest.approx(covered / total)
    assert report.new_direction["clients"].sum() >= report.kpi("new_direction_clients").value > 0


def test_agrees_with_the_overview_and_lists_every_forgotten_client(
    engine: sa.Engine,
    report,
) -> None:
    overview = overview_report(engine, FILTERS, Scope.everyone())
    for key in ("active_conversations", "new_clients", "forgotten_clients"):
        assert report.kpi(key).value == overview.kpi(key).value
    assert len(report.forgotten) == report.kpi("forgotten_clients").value
    assert report.forgotten["revenue"].is_monotonic_decreasing
    assert set(report.forgotten["action"]) <= {
        "Call about a re-order", "Check-in call", "Introduction call: never contacted"
    }  # fmt: skip


def test_comparison_cards_equal_the_comparison_periods_own_report(
    engine: sa.Engine, report
) -> None:
    # the comparison period is read lighter (weekly totals, snapshots without names) and at
    # the same time as the period; its values must be those of a full report of that period
    previous = activity_report(engine, FILTERS.comparison(), Scope.everyone())
    for kpi in report.kpis:
        assert kpi.previous == pytest.approx(previous.kpi(kpi.key).value, nan_ok=True), kpi.key
    assert report.kpi("activities_done").previous > 1000
    weekly = previous.trend.groupby("period")["activities"].sum().sort_index().tolist()
    aligned = report.previous_trend["previous"].tolist()
    assert len(aligned) >= 50 and aligned == weekly[: len(aligned)]


def test_one_query_at_a_time_gives_the_same_report(engine: sa.Engine, report) -> None:
    with engine.connect() as conn:  # one connection: gather runs the calls in turn
        serial = activity_report(conn, FILTERS, Scope.everyone())

    def values(kpis: tuple) -> list[float]:  # flat: pytest.approx compares no nested tuples
        return [value for kpi in kpis for value in (kpi.value, kpi.previous)]

    assert values(serial.kpis) == pytest.approx(values(report.kpis), nan_ok=True)
    for name in ("per_rep", "heatmap", "negotiations", "overdue", "forgotten", "reactivated",
                 "new_direction", "lost", "previous_trend"):  # fmt: skip
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(report, name), obj=name)


def test_lost_reasons_keep_the_no_reason_row(engine: sa.Engine, report) -> None:
    lost = scalar(engine, "SELECT count(*) FROM deals WHERE status = 'lost' AND closed_at >= :s "
                          "AND closed_at < :e")  # fmt: skip
    blank = scalar(engine, "SELECT count(*) FROM deals WHERE status = 'lost' AND closed_at >= :s "
                           "AND closed_at < :e AND lost_reason_id IS NULL")  # fmt: skip
    assert report.lost["deals"].sum() == lost
    no_reason = report.lost[report.lost["lost_reason"] == "No reason given"]["deals"].sum()
    assert no_reason == blank > 0
    assert report.no_reason_share == pytest.approx(blank / lost)


def test_activities_per_working_day_is_the_per_rep_tables_total(engine: sa.Engine, report) -> None:
    # the card divides by the working days of the employees listed per rep (reps, and anyone
    # else who logged an activity), not those of service agents, analysts and executives
    table = report.per_rep
    card = report.kpi("activities_per_day").value
    assert card == pytest.approx(table["activities"].sum() / table["working_days"].sum())
    assert table["activities"].sum() == report.kpi("activities_done").value
    with engine.connect() as conn:
        roles = dict(conn.execute(sa.text("SELECT id, role FROM employees")).all())
    listed = {roles[e] for e in table["employee_id"]}
    assert listed == {"rep", "head"}  # the S demo's heads log activities; nobody else does
    assert {"service", "analyst", "exec"} <= set(roles.values())


def test_a_rep_sees_only_own_activity(engine: sa.Engine) -> None:
    rep = int(scalar(engine, "SELECT min(employee_id) FROM activities WHERE status = 'done' "
                             "AND done_at >= :s"))  # fmt: skip
    mine = activity_report(engine, FILTERS, Scope.rep(rep))
    active = mine.per_rep[mine.per_rep["activities"] > 0]
    assert active["employee_id"].tolist() == [rep]
    done = scalar(engine, "SELECT count(*) FROM activities WHERE status = 'done' AND done_at >= "
                          ":s AND done_at < :e AND employee_id = :r", r=rep)  # fmt: skip
    assert mine.kpi("activities_done").value == done
    assert set(mine.heatmap["employee_id"]) == {rep}


def test_activity_page_shows_the_report(url: str, report) -> None:
    at = run()
    at.switch_page("pages/activity.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Activity"
    for kpi in report.kpis:
        assert metric(at, kpi.label) == format_value(kpi.value, kpi.unit, report.currency)
    call_list = [d.value for d in at.dataframe if "Suggested action" in d.value.columns]
    assert len(call_list) == 1 and len(call_list[0]) == len(report.forgotten)
    assert not [d for d in at.dataframe if "Usual gap (days)" in d.value.columns]
    at.toggle(key="act_rhythm").set_value(True).run()
    assert not at.exception, at.exception
    due = [d.value for d in at.dataframe if "Usual gap (days)" in d.value.columns]
    assert len(due) == 1 and len(due[0]) > 0
    assert "1 Jul 2025 – 29 Jun 2026" in at.caption[0].value  # the period the cards cover


def shown(table: Any) -> tuple[list[str], dict[str, Any]]:
    """An AppTest table's visible columns and their column config."""
    config = json.loads(table.proto.columns or "{}")
    columns = [c for c in table.value.columns if not config.get(c, {}).get("hidden")]
    return columns, config


def test_activity_page_lists_names_and_whole_days(url: str, report) -> None:
    at = run()
    at.switch_page("pages/activity.py").run()
    assert not at.exception, at.exception
    overdue = next(d for d in at.dataframe if "Days overdue" in d.value.columns)
    names = ["Owner", "Type", "Due", "Days overdue", "Deal", "Account"]
    assert shown(overdue)[0] == names  # the ids only in the export
    assert overdue.value["Activity id"].tolist() == report.overdue["activity_id"].tolist()
    assert (overdue.value["Days overdue"] > 0).all()
    calls = next(d for d in at.dataframe if "Suggested action" in d.value.columns)
    assert "Account id" not in shown(calls)[0] and "Client" in shown(calls)[0]
    for table, column in ((overdue, "Days overdue"), (calls, "Days since contact")):
        assert shown(table)[1][column]["type_config"]["format"] == "%d", column


def test_reorder_due_by_own_rhythm(engine: sa.Engine) -> None:
    due = reorder_due(engine, FILTERS, Scope.everyone())
    assert len(due) > 0
    assert (due["days_since_order"] > 2 * due["median_gap_days"]).all()
    assert (due["overdue_by"] > 2).all()
    assert due["revenue"].is_monotonic_decreasing


def test_reps_sharing_a_name_keep_their_own_heatmap_row(engine: sa.Engine, report) -> None:
    with engine.connect() as conn:
        shared = conn.execute(sa.text(
            "SELECT e.id, e.name, count(a.id) AS done FROM employees e "
            "JOIN activities a ON a.employee_id = e.id AND a.status = 'done' "
            "AND a.done_at >= :s AND a.done_at < :e WHERE e.name IN (SELECT name FROM employees "
            "GROUP BY name HAVING count(*) > 1) GROUP BY e.id, e.name ORDER BY e.id"),
            {"s": FILTERS.start, "e": FILTERS.end},
        ).all()  # fmt: skip
        busy = conn.execute(sa.text(
            "SELECT count(DISTINCT employee_id) FROM activities WHERE status = 'done' "
            "AND done_at >= :s AND done_at < :e"), {"s": FILTERS.start, "e": FILTERS.end},
        ).scalar_one()  # fmt: skip
    assert len(shared) >= 2  # the S demo has namesakes with activities (precondition)
    grid = activity_heatmap(report.heatmap)
    rows = dict(zip(grid.data[0].y, grid.data[0].z.sum(axis=1), strict=True))
    assert len(rows) == busy  # one row per employee, namesakes not merged
    for employee, name, done in shared:
        assert rows[f"{name} (#{employee})"] == done
    per_rep = report.per_rep.set_index("employee_id")["name"]
    assert per_rep.is_unique
