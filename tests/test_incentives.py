"""Incentive scorecards end to end on a fresh S demo database: a stored plan scored from the
reps' actuals (checked against plain SQL and a hand computation), scope, versions, what-if, the
demo's own plans, and the Incentives page through AppTest (admin, head creating and editing
plans, rep reading only their own card and what it takes to reach the next step)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from appdb.databases import Databases
from appdb.plans import PlanError, StoredItem, StoredPlan, list_plans, load_plan, save_plan
from crm_data.config import create_crm_engine
from crm_data.demo import seed_demo
from crm_data.filters import Scope
from crm_data.queries.currency import main_currency
from reports.incentives import IncentiveReport, incentive_report, simulate, to_plan
from tests.support.apptest import app_database_fixtures, crm_writes, metric, run
from tests.support.databases import use_app_database
from ui.format import format_value

START, END = date(2026, 4, 1), date(2026, 7, 1)  # Q2 2026; the demo ends on 30 Jun 2026
TODAY = date(2026, 6, 29)
ITEMS = [
    StoredItem("won_revenue", 0.5, target=400_000.0, threshold=0.5, cap=1.5),
    StoredItem("new_deals", 0.3, target=40.0, cap=1.2),
    StoredItem("stuck_deals", 0.2, target=3.0, cap=1.5),
]


url, engine, databases = app_database_fixtures("incentives")


@pytest.fixture(scope="module")
def team(engine: sa.Engine) -> dict[str, int]:
    """A team with its head and two reps, and a rep of another team."""
    with engine.connect() as conn:
        team_id, head = conn.execute(
            sa.text("SELECT id, head_id FROM teams WHERE head_id IS NOT NULL ORDER BY id LIMIT 1")
        ).one()
        reps = conn.execute(
            sa.text("SELECT id FROM employees WHERE role = 'rep' AND team_id = :t "
                    "AND left_at IS NULL ORDER BY id"), {"t": team_id}
        ).scalars().all()  # fmt: skip
        other = conn.execute(
            sa.text("SELECT min(id) FROM employees WHERE role = 'rep' AND team_id <> :t"),
            {"t": team_id},
        ).scalar_one()
    return {"team": team_id, "head": head, "rep": reps[0], "rep2": reps[1], "other": other}


@pytest.fixture(scope="module")
def plan_key(databases: Databases, team: dict[str, int]) -> str:
    plan = save_plan(
        databases, Scope.head(team["team"], team["head"]), None, name="Q2 plan",
        period_start=START, period_end=END, team_id=team["team"], on_target_bonus=4000.0,
        items=ITEMS,
    )  # fmt: skip
    return plan.plan_key


def score(
    databases: Databases, scope: Scope, plan_key: str, version: int | None, today: date
) -> IncentiveReport:
    """The scorecards of ``plan_key`` as the page scores it: the version the scope reads."""
    return incentive_report(databases.crm, scope, load_plan(databases, scope, plan_key, version),
                            today)  # fmt: skip


def won_revenue(engine: sa.Engine, rep: int) -> float:
    with engine.connect() as conn:
        return float(conn.execute(sa.text(
            "SELECT coalesce(sum(amount), 0) FROM deals WHERE status = 'won' AND owner_id = :r "
            "AND closed_at >= :s AND closed_at < :e"), {"r": rep, "s": START, "e": END}
        ).scalar_one())  # fmt: skip


def credited(a: float, threshold: float, cap: float) -> float:
    return 0.0 if a < threshold else min(a, cap)


def test_scorecard_from_the_reps_actuals(
    engine: sa.Engine, databases: Databases, team: dict[str, int], plan_key: str
) -> None:
    report = score(databases, Scope.everyone(), plan_key, None, TODAY)
    assert report.as_of == date(2026, 6, 30)
    assert (report.elapsed_days, report.total_days) == (64, 65)
    items = report.scorecard.items.set_index(["rep_id", "metric_key"])
    rep = team["rep"]
    revenue = won_revenue(engine, rep)
    assert items.loc[(rep, "won_revenue"), "actual"] == pytest.approx(revenue)
    # the score by hand from the three actuals
    actual = {key: items.loc[(rep, key), "actual"] for key in ("won_revenue", "new_deals",
                                                               "stuck_deals")}  # fmt: skip
    stuck = actual["stuck_deals"]
    expected = (
        0.5 * credited(actual["won_revenue"] / 400_000, 0.5, 1.5)
        + 0.3 * credited(actual["new_deals"] / 40, 0.0, 1.2)
        + 0.2 * (1.5 if stuck == 0 else credited(3 / stuck, 0.0, 1.5))
    )
    summary = report.scorecard.summary.set_index("rep_id")
    assert summary.loc[rep, "score"] == pytest.approx(expected)
    assert summary.loc[rep, "bonus"] == pytest.approx(4000 * expected)
    # every rep of the team is scored, a rep without deals with zero counts
    assert {team["rep"], team["rep2"]} <= set(summary.index)
    assert team["other"] not in summary.index
    assert set(report.pacing["status"].dropna()) <= {"on track", "at risk", "off track"}
    # the page's tables: pacing counts per rep cover the three items; the detail adds up
    paced = report.rep_summary().set_index("rep_id")
    counts = paced[["on track", "at risk", "off track"]].sum(axis=1)
    statuses = report.pacing.dropna(subset=["status"]).groupby("rep_id").size()
    assert counts.loc[statuses.index].tolist() == statuses.tolist()
    assert paced.loc[rep, "score"] == pytest.approx(expected)
    detail = report.rep_detail(rep)
    assert detail["metric"].tolist() == ["Won revenue", "New deals", "Stuck deals"]
    assert detail["points"].sum() == pytest.approx(expected)


def test_a_rep_reads_only_their_own_scorecard(
    databases: Databases, team: dict[str, int], plan_key: str
) -> None:
    mine = score(databases, Scope.rep(team["rep"]), plan_key, None, TODAY)
    assert mine.scorecard.summary["rep_id"].tolist() == [team["rep"]]
    everyone = score(databases, Scope.everyone(), plan_key, None, TODAY)
    theirs = everyone.scorecard.summary.set_index("rep_id").loc[team["rep"], "score"]
    assert mine.scorecard.summary["score"].iloc[0] == pytest.approx(theirs)
    with pytest.raises(PlanError):  # another team's rep cannot even see the plan
        score(databases, Scope.rep(team["other"]), plan_key, None, TODAY)


def test_versions_score_separately_and_what_if_moves_the_pool(
    databases: Databases, team: dict[str, int], plan_key: str
) -> None:
    head = Scope.head(team["team"], team["head"])
    first = load_plan(databases, head, plan_key, 1)
    doubled = [StoredItem("won_revenue", 0.5, target=800_000.0, threshold=0.5, cap=1.5),
               *ITEMS[1:]]  # fmt: skip
    save_plan(databases, head, plan_key, name="Q2 plan", period_start=START, period_end=END,
              team_id=team["team"], on_target_bonus=4000.0, items=doubled,
              based_on_version=1)  # fmt: skip
    old = score(databases, head, plan_key, 1, TODAY)
    new = score(databases, head, plan_key, 2, TODAY)
    assert old.plan == first
    assert new.plan.version == 2
    old_total = old.scorecard.summary["score"].sum()
    assert new.scorecard.summary["score"].sum() <= old_total  # a harder target scores less
    # the what-if of the same change, on version 1's actuals
    result = simulate(old, [vars(item) | {"rep_targets": ()} for item in doubled])
    assert result.new_pool == pytest.approx(new.scorecard.summary["bonus"].sum())
    assert result.pool == pytest.approx(old.scorecard.summary["bonus"].sum())
    assert result.pool_delta <= 0
    assert not math.isnan(result.pool)


def summary_table(at: AppTest) -> pd.DataFrame:
    return one_table(at, "Rep", "Score", "On track")


def detail_table(at: AppTest) -> pd.DataFrame:
    return one_table(at, "Metric", "Actual", "Pacing")


def one_table(at: AppTest, *columns: str) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert len(found) == 1
    return found[0]


def version_box(at: AppTest) -> Selectbox:
    """The Version picker (keyed by the plan and its number of versions)."""
    return next(s for s in at.selectbox if s.key.startswith("inc_version@"))


def keyed(plan: StoredPlan | str, version: int = 1) -> str:
    """The key suffix of the widgets showing ``version`` of ``plan`` (the editors and fields)."""
    return f"@{plan if isinstance(plan, str) else plan.plan_key}.v{version}"


def incentives(**kwargs: object) -> AppTest:
    """The app run as in :func:`tests.test_app_shell.run`, switched to the Incentives page."""
    at = run(**kwargs)  # type: ignore[arg-type]
    at.switch_page("pages/incentives.py").run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def linked_plan(databases: Databases, team: dict[str, int]) -> StoredPlan:
    """A plan of the team with two versions (version 2 drops the stuck-deals item)."""
    head = Scope.head(team["team"], team["head"])
    fields = {"name": "Linked plan", "period_start": START, "period_end": END,
              "team_id": team["team"], "on_target_bonus": 2500.0}  # fmt: skip
    first = save_plan(databases, head, None, items=ITEMS, **fields)  # type: ignore[arg-type]
    return save_plan(databases, head, first.plan_key, items=ITEMS[:2], based_on_version=1,
                     **fields)  # type: ignore[arg-type]  # fmt: skip


def test_incentives_page_for_admin_head_and_rep(
    url: str, team: dict[str, int], plan_key: str
) -> None:
    at = run()
    at.switch_page("pages/incentives.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Incentives"
    reps = summary_table(at)["Rep"].tolist()
    assert len(reps) >= 2
    # a rep sees their own card, no table of reps, no editor
    at = run(role="rep", employee=team["rep"])
    at.switch_page("pages/incentives.py").run()
    assert not at.exception, at.exception
    assert not [d for d in at.dataframe if "Rep" in d.value.columns]
    assert len(detail_table(at)) >= 1
    assert not [b for b in at.button if b.label == "Copy to the next period"]
    # a head sees the editor and can copy the plan to the next period
    at = run(role="head", employee=team["head"])
    at.switch_page("pages/incentives.py").run()
    assert not at.exception, at.exception
    at.button(key="inc_copy").click().run()
    assert not at.exception, at.exception
    assert "Jul 2026" in at.selectbox(key="inc_plan").format_func(
        at.selectbox(key="inc_plan").value
    )


@pytest.fixture(scope="module")
def short_calls(url: str, engine: sa.Engine, team: dict[str, int]) -> int:
    """400 one-minute calls of ``rep2`` in May 2026, without a deal (a gaming signal)."""
    rep = team["rep2"]
    with crm_writes(url, engine) as writer, writer.begin() as conn:
        first = conn.execute(sa.text("SELECT max(id) FROM activities")).scalar_one() + 1
        conn.execute(
            sa.text(
                "INSERT INTO activities (id, type, employee_id, done_at, duration_min, "
                "status) VALUES (:i, 'call', :r, :t, 1.0, 'done')"
            ),
            [
                {"i": first + k, "r": rep, "t": datetime(2026, 5, 4 + k % 20, 10 + k % 7, k % 60)}
                for k in range(400)
            ],
        )
    st.cache_data.clear()
    return rep


def test_many_very_short_calls_raise_a_gaming_signal(
    databases: Databases, short_calls: int, plan_key: str
) -> None:
    rep = short_calls
    report = score(databases, Scope.everyone(), plan_key, 1, TODAY)
    short = report.signals[report.signals["signal"] == "short_calls"]
    assert rep in set(short["rep_id"])
    row = short.set_index("rep_id").loc[rep]
    assert row["short_calls"] >= 400 and row["short_share"] > 0.5


def test_a_link_opens_a_plan_version_and_scorecard(
    engine: sa.Engine, team: dict[str, int], linked_plan: StoredPlan
) -> None:
    rep = team["rep2"]
    query = {"plan": linked_plan.plan_key, "version": "1", "scorecard": str(rep)}
    at = incentives(query=query)
    assert at.selectbox(key="inc_plan").value == linked_plan.plan_key
    assert version_box(at).value == 1
    assert at.selectbox(key="inc_rep").value == rep
    detail = detail_table(at)
    assert detail["Metric"].tolist() == ["Won revenue", "New deals", "Stuck deals"]  # version 1
    # values in their unit: the won revenue in full with the deals' currency, from plain SQL
    currency, _ = main_currency(engine, Scope.everyone())
    won = format_value(won_revenue(engine, rep), "money", currency, compact=False)
    assert detail.set_index("Metric").loc["Won revenue", ["Actual", "Target"]].tolist() == [
        won, format_value(400_000.0, "money", currency, compact=False)]  # fmt: skip
    assert at.query_params == query  # the link stays as it came
    # the latest version leaves the URL (a link without it follows the latest)
    version_box(at).set_value(2).run()
    assert "version" not in at.query_params
    assert detail_table(at)["Metric"].tolist() == ["Won revenue", "New deals"]
    assert at.query_params["plan"] == linked_plan.plan_key
    # a plan that does not exist: a notice, and the URL names the plan shown instead
    at = incentives(query={"plan": "no-such-plan"})
    shown = at.selectbox(key="inc_plan").value
    assert at.query_params["plan"] == shown != "no-such-plan"
    assert any("plan is not one you may see" in i.value for i in at.info)


def test_a_rep_cannot_open_another_reps_scorecard_by_link(
    databases: Databases, team: dict[str, int], linked_plan: StoredPlan
) -> None:
    own = incentives(role="rep", employee=team["rep"], query={"plan": linked_plan.plan_key})
    query = {"plan": linked_plan.plan_key, "scorecard": str(team["rep2"])}
    at = incentives(role="rep", employee=team["rep"], query=query)
    assert not [s for s in at.selectbox if s.key == "inc_rep"]  # no one else to pick
    assert detail_table(at).equals(detail_table(own))  # their own card, not the linked one
    assert any("not one you may see" in i.value for i in at.info)
    assert "scorecard" not in at.query_params
    # another team's rep, linked to this team's plan: their own team's plan, and a notice
    at = incentives(role="rep", employee=team["other"], query={"plan": linked_plan.plan_key})
    shown = at.selectbox(key="inc_plan").value
    assert shown != linked_plan.plan_key
    other = score(databases, Scope.rep(team["other"]), shown, None, TODAY)
    assert other.reps["rep_id"].tolist() == [team["other"]]
    assert any("plan is not one you may see" in i.value for i in at.info)


def test_shared_rep_names_are_told_apart_by_their_id(
    url: str, engine: sa.Engine, team: dict[str, int], linked_plan: StoredPlan
) -> None:
    def rename(rep: int, name: str) -> None:
        with crm_writes(url, engine) as writer, writer.begin() as conn:
            conn.execute(sa.text("UPDATE employees SET name = :n WHERE id = :r"),
                         {"n": name, "r": rep})  # fmt: skip

    with engine.connect() as conn:
        name, own = (
            conn.execute(
                sa.text("SELECT name FROM employees WHERE id = :r"), {"r": rep}
            ).scalar_one()
            for rep in (team["rep"], team["rep2"])
        )
    rename(team["rep2"], name)
    try:
        st.cache_data.clear()  # the page caches names with the report
        at = incentives(query={"plan": linked_plan.plan_key})
        reps = summary_table(at)["Rep"].tolist()
        assert f"{name} (#{team['rep']})" in reps and f"{name} (#{team['rep2']})" in reps
        assert name not in reps
    finally:
        rename(team["rep2"], own)
        st.cache_data.clear()


def test_what_if_unchanged_keeps_per_rep_targets(
    databases: Databases, team: dict[str, int]
) -> None:
    """The what-if of an untouched plan changes nothing, also for reps with their own target
    (the editor does not show per-rep targets, but keeps them)."""
    head = Scope.head(team["team"], team["head"])
    own = {team["rep"]: 100_000.0, team["rep2"]: 900_000.0}  # far from the common 400 000
    items = [StoredItem("won_revenue", 0.5, target=400_000.0, threshold=0.5, cap=1.5,
                        rep_targets=own), *ITEMS[1:]]  # fmt: skip
    plan = save_plan(databases, head, None, name="Own targets", period_start=START,
                     period_end=END, team_id=team["team"], on_target_bonus=1000.0,
                     items=items)  # fmt: skip
    at = incentives(query={"plan": plan.plan_key})
    assert metric(at, "Gain / lose") == "0 / 0"
    report = score(databases, Scope.everyone(), plan.plan_key, None, TODAY)
    pool = report.scorecard.summary["bonus"].sum()
    assert metric(at, "Bonus pool with the changes") == format_value(
        pool, "money", report.currency, compact=False
    )
    # the reps' own targets are what they are scored against
    detail = report.rep_detail(team["rep2"]).set_index("metric")
    assert detail.loc["Won revenue", "target"] == 900_000.0
    # a rep is scored against their own target, and sees no one else's
    mine = incentives(role="rep", employee=team["rep"], query={"plan": plan.plan_key})
    shown = detail_table(mine).set_index("Metric").loc["Won revenue", "Target"]
    assert shown == format_value(100_000.0, "money", report.currency, compact=False)
    assert not [d for d in mine.dataframe if "Won revenue (amount)" in d.value.columns]


def test_saving_the_editor_keeps_per_rep_targets(
    databases: Databases, team: dict[str, int]
) -> None:
    head = Scope.head(team["team"], team["head"])
    items = [StoredItem("won_revenue", 0.5, target=400_000.0, threshold=0.5, cap=1.5,
                        rep_targets={team["rep"]: 250_000.0}), *ITEMS[1:]]  # fmt: skip
    plan = save_plan(databases, head, None, name="Kept targets", period_start=START,
                     period_end=END, team_id=team["team"], on_target_bonus=1000.0,
                     items=items)  # fmt: skip
    at = incentives(role="head", employee=team["head"], query={"plan": plan.plan_key})
    save = next(b for b in at.button if b.label == "Save as a new version")
    save.click().run()
    assert not at.exception, at.exception
    saved = load_plan(databases, head, plan.plan_key)
    assert saved.version == 2
    assert saved.items == plan.items  # unchanged rows: the same items, own targets included
    assert saved.items[0].rep_targets == ((team["rep"], 250_000.0),)


def test_a_head_sets_and_clears_per_rep_targets_in_the_grid(
    databases: Databases, team: dict[str, int]
) -> None:
    head = Scope.head(team["team"], team["head"])
    compliance = StoredItem("followup_compliance", 0.5, target=0.9, cap=1.2,
                            rep_targets={team["rep"]: 0.8})  # fmt: skip
    plan = save_plan(databases, head, None, name="Grid plan", period_start=START, period_end=END,
                     team_id=team["team"], on_target_bonus=1000.0,
                     items=[ITEMS[0], compliance])  # fmt: skip
    reps = score(databases, head, plan.plan_key, None, TODAY).reps["rep_id"].tolist()
    at = incentives(role="head", employee=team["head"], query={"plan": plan.plan_key})
    shown = next(d.value for d in at.data_editor if "followup_compliance" in d.value.columns)
    assert shown.loc[team["rep"], "followup_compliance"] == 80.0  # in %, as typed
    assert shown["won_revenue"].isna().all()
    # rep2 gets a revenue target of their own, rep's compliance target is cleared
    at.session_state[f"inc_rep_targets{keyed(plan)}"] = {
        "edited_rows": {
            reps.index(team["rep2"]): {"won_revenue": 250_000.0},
            reps.index(team["rep"]): {"followup_compliance": None},
        },
        "added_rows": [],
        "deleted_rows": [],
    }
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert not at.exception, at.exception
    saved = load_plan(databases, head, plan.plan_key)
    assert saved.version == 2
    assert saved.items[0].rep_targets == ((team["rep2"], 250_000.0),)
    assert saved.items[1].rep_targets == ()
    assert saved.items[1].target == pytest.approx(0.9)  # the common target is untouched
    assert load_plan(databases, head, plan.plan_key, 1) == plan  # version 1 reads as it was


def test_history_says_what_a_version_changed(linked_plan: StoredPlan) -> None:
    at = incentives(query={"plan": linked_plan.plan_key})
    changes = one_table(at, "Item", "Setting", "Before", "After")
    assert changes.values.tolist() == [["Stuck deals", "Item", "in the plan", "removed"]]
    # version 1 has no earlier version to compare with
    version_box(at).set_value(1).run()
    assert not [d for d in at.dataframe if "Setting" in d.value.columns]


# ---- the demo's plans -----------------------------------------------------------------------


def test_the_demo_seeds_a_plan_per_team_for_its_last_quarter(
    engine: sa.Engine, databases: Databases
) -> None:
    """One plan per team for Q2 2026 (the demo's last day is 29 Jun 2026), saved by the head,
    that can be scored, with scores on both sides of 100 %."""
    with engine.connect() as conn:
        teams = dict(conn.execute(sa.text("SELECT id, head_id FROM teams")).all())
    demo = list_plans(databases, Scope.everyone(), (START, END))  # (a copy may be in Q3)
    demo = demo[demo["name"].str.endswith(" Sales Q2 2026")]
    assert sorted(demo["team_id"]) == sorted(teams)
    assert set(demo["period_start"].dt.date) == {START}
    assert set(demo["period_end"].dt.date) == {END}
    assert [teams[t] for t in demo["team_id"]] == demo["created_by"].tolist()
    scores = []
    for key in demo["plan_key"]:
        plan = load_plan(databases, Scope.everyone(), key)
        assert [i.metric_key for i in plan.items] == [
            "won_revenue", "won_deals", "activities_per_day", "followup_compliance"]  # fmt: skip
        assert sum(i.weight for i in plan.items) == pytest.approx(1.0)
        assert all(i.target is not None and i.target > 0 for i in plan.items)
        to_plan(plan)  # can be scored
        report = score(databases, Scope.everyone(), key, None, TODAY)
        scores += report.scorecard.summary["score"].tolist()
    assert min(scores) < 0.8 and max(scores) > 1.0


# ---- creating and editing plans in the editor -----------------------------------------------


@pytest.fixture
def no_plans(tmp_path: Path) -> Iterator[Databases]:
    """A seeded XS CRM that is no longer marked as a demo (so the app makes no demo plan) and
    an empty app database, which the app reads."""
    url = f"duckdb:///{tmp_path / 'xs.duckdb'}"
    engine = sa.create_engine(url)
    seed_demo(engine, size="XS", seed=42, end=date(2026, 6, 30))
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM demo_truth"))
    engine.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRM_DATABASE_URL", url)
        crm = create_crm_engine(url, read_only=True)  # as the app opens it
        databases = Databases(app=use_app_database(tmp_path, mp), crm=crm)
        yield databases
    databases.app.dispose()
    databases.crm.dispose()


def edit_rows(at: AppTest, key: str, added: list[dict[str, object]]) -> None:
    """Rows added to the data editor ``key`` as the browser sends them."""
    at.session_state[key] = {"edited_rows": {}, "added_rows": added, "deleted_rows": []}


def test_a_head_creates_a_plan_in_the_editor_and_sees_its_scorecards(
    no_plans: Databases,
) -> None:
    databases = no_plans
    with databases.crm.connect() as conn:
        team, head = conn.execute(
            sa.text("SELECT id, head_id FROM teams ORDER BY id LIMIT 1")
        ).one()
    at = incentives(role="head", employee=head)
    assert any("No incentive plan yet." in i.value for i in at.info)
    editor = next(d for d in at.data_editor if d.key == "inc_new_items")
    assert editor.value.empty and editor.value["metric"].dtype == "str"  # not a number column
    edit_rows(at, "inc_new_items", [
        {"metric": "Won deals", "weight_pct": 60.0, "target": 12.0},
        {"metric": "Follow-up compliance", "weight_pct": 40.0, "target": 90.0,
         "accelerator": None},
    ])  # fmt: skip
    next(b for b in at.button if b.label == "Save plan").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    (key,) = list_plans(databases, Scope.head(team, head))["plan_key"]
    plan = load_plan(databases, Scope.head(team, head), key)
    assert plan.items == (
        StoredItem("won_deals", 0.6, target=12.0),
        StoredItem("followup_compliance", 0.4, target=0.9),  # typed in %
    )
    assert (plan.period_start, plan.period_end) == (START, END)  # this quarter, 29 Jun 2026
    assert plan.team_id == team and plan.created_by == head
    assert len(summary_table(at)) >= 2  # its scorecards: the team's reps
    assert detail_table(at)["Metric"].tolist() == ["Won deals", "Follow-up compliance"]


def test_what_if_on_items_with_and_without_an_accelerator(
    databases: Databases, team: dict[str, int]
) -> None:
    head = Scope.head(team["team"], team["head"])
    items = [StoredItem("won_revenue", 0.5, target=400_000.0, cap=1.5, accelerator=2.0),
             StoredItem("won_deals", 0.5, target=20.0)]  # fmt: skip
    plan = save_plan(databases, head, None, name="Accelerated", period_start=START, period_end=END,
                     team_id=team["team"], on_target_bonus=1000.0, items=items)  # fmt: skip
    at = incentives(query={"plan": plan.plan_key})
    assert not at.error, [e.value for e in at.error]  # was: accelerator must be finite, got nan
    assert metric(at, "Gain / lose") == "0 / 0"
    # doubling the revenue target: every rep with revenue loses, nobody gains
    edited = {"edited_rows": {0: {"target": 800_000.0}}, "added_rows": [], "deleted_rows": []}
    at.session_state[f"inc_whatif{keyed(plan)}"] = edited
    at.run()
    assert not at.error, [e.value for e in at.error]
    report = score(databases, Scope.everyone(), plan.plan_key, None, TODAY)
    losers = int((report.scorecard.items.query("metric_key == 'won_revenue'")["actual"] > 0).sum())
    assert metric(at, "Gain / lose") == f"0 / {losers}"


def test_the_editor_refuses_what_cannot_be_scored(
    databases: Databases, team: dict[str, int]
) -> None:
    head = Scope.head(team["team"], team["head"])
    plan = save_plan(databases, head, None, name="Checked", period_start=date(2026, 10, 1),
                     period_end=date(2027, 1, 1), team_id=team["team"],
                     items=ITEMS[:2])  # fmt: skip
    at = incentives(role="head", employee=team["head"], query={"plan": plan.plan_key})
    save = next(b for b in at.button if b.label == "Save as a new version")
    # a lower-is-better metric without a cap: named, with what to do
    edit_rows(
        at,
        f"inc_items{keyed(plan)}",
        [{"metric": "Stuck deals", "weight_pct": 10.0, "target": 3.0}],
    )
    save.click().run()
    assert any("'Stuck deals': a lower-is-better item needs a cap" in e.value
               for e in at.error)  # fmt: skip
    assert load_plan(databases, head, plan.plan_key).version == 1
    # only one day of the period picked: refused, the period is not made up
    at = incentives(role="head", employee=team["head"], query={"plan": plan.plan_key})
    period = f"inc_edit{keyed(plan)}_period"
    at.date_input(key=period).set_value((date(2026, 10, 1),))
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert any("pick the first and the last day" in e.value for e in at.error)
    assert load_plan(databases, head, plan.plan_key).version == 1  # was: version 2, to 2 Jan 2027
    # both days: saved as they are
    at.date_input(key=period).set_value((date(2026, 10, 1), date(2026, 12, 31)))
    next(b for b in at.button if b.label == "Save as a new version").click().run()
    assert not at.error, [e.value for e in at.error]
    saved = load_plan(databases, head, plan.plan_key)
    assert (saved.version, saved.period_start, saved.period_end) == (
        2, date(2026, 10, 1), date(2027, 1, 1))  # fmt: skip


# ---- what each role sees --------------------------------------------------------------------

#: Weights summing to 90 %: a sanity warning; targets out of reach, so every item has a step.
GUIDED = [
    StoredItem("won_deals", 0.3, target=1000.0, threshold=0.5, cap=1.5),
    StoredItem("won_revenue", 0.3, target=10_000_000.0, cap=1.2),
    StoredItem("followup_compliance", 0.2, target=0.99, cap=1.0),
    StoredItem("stuck_deals", 0.1, target=3.0, cap=1.5),
]


@pytest.fixture(scope="module")
def guided(databases: Databases, team: dict[str, int], short_calls: int) -> StoredPlan:
    head = Scope.head(team["team"], team["head"])
    return save_plan(databases, head, None, name="Guided", period_start=START, period_end=END,
                     team_id=team["team"], on_target_bonus=1000.0, items=GUIDED)  # fmt: skip


def expected_steps(actual: dict[str, float], currency: str | None) -> list[str]:
    """The next steps of :data:`GUIDED` for ``actual``, by hand."""

    def money(value: float) -> str:
        return format_value(value, "money", currency, compact=False)

    deals, revenue = actual["won_deals"], actual["won_revenue"]
    lines = [  # 50 % of 1000 deals starts the credit; 100 % of 10 000 000
        f"**Won deals**: {500 - deals:,.0f} more (500 in all) to start earning on this item "
        "(threshold 50.0%).",
        f"**Won revenue**: {money(10_000_000 - revenue)} more ({money(10_000_000)} in all) for "
        "100.0% on this item.",
    ]
    compliance = actual["followup_compliance"]
    if compliance < 0.99:  # the cap of 100 % is reached at the target
        lines.append(f"**Follow-up compliance**: at least 99.0% (now {100 * compliance:.1f}%) "
                     "for the cap (100.0%) on this item.")  # fmt: skip
    stuck = actual["stuck_deals"]
    if stuck > 3:  # lower is better: 3 / 1 for 100 %, 3 / 1.5 = 2 for the cap
        lines.append(f"**Stuck deals**: at most 3 (now {stuck:.0f}) for 100.0% on this item.")
    elif stuck > 2:
        lines.append(f"**Stuck deals**: at most 2 (now {stuck:.0f}) for the cap (150.0%) on "
                     "this item.")  # fmt: skip
    return lines


def test_a_rep_sees_their_card_and_next_steps_and_nothing_about_colleagues(
    databases: Databases, team: dict[str, int], guided: StoredPlan
) -> None:
    rep = team["rep2"]  # the rep with 400 very short calls
    head_report = score(databases, Scope.head(team["team"]), guided.plan_key, None, TODAY)
    assert [w.kind for w in head_report.warnings][:1] == ["weights_sum"]
    assert rep in set(head_report.signals["rep_id"])
    mine = score(databases, Scope.rep(rep), guided.plan_key, None, TODAY)
    assert mine.warnings == [] and mine.signals.empty  # not even computed for a rep

    at = incentives(role="rep", employee=rep, query={"plan": guided.plan_key})
    assert not at.tabs  # no Plan, What-if or History
    assert not at.warning and not [i for i in at.info if "calls" in i.value]
    assert not [d for d in at.dataframe if "Rep" in d.value.columns]
    assert not at.get("plotly_chart")  # no distribution of the team's scores
    pickers = [s.key for s in at.selectbox if s.key.startswith("inc_")]
    assert pickers == ["inc_plan"]  # no one else's card, no version
    assert not [d for d in at.data_editor]
    summary = mine.scorecard.summary.iloc[0]
    assert metric(at, "Your score") == format_value(summary["score"], "ratio")
    assert metric(at, "Bonus at this score") == format_value(
        summary["bonus"], "money", mine.currency, compact=False)  # fmt: skip
    items = mine.scorecard.items.set_index("metric_key")["actual"].to_dict()
    shown = "\n".join(m.value for m in at.markdown)
    for line in expected_steps(items, mine.currency):
        assert f"- {line}" in shown


def test_a_head_sees_the_plans_design(team: dict[str, int], guided: StoredPlan) -> None:
    at = incentives(role="head", employee=team["head"], query={"plan": guided.plan_key})
    assert [t.label for t in at.tabs] == ["Scorecards", "Plan", "What-if", "History"]
    assert any("Weights" in w.value or "weights" in w.value for w in at.warning)
    assert any("calls" in i.value for i in at.info)  # rep2's very short calls
    assert len(at.get("plotly_chart")) == 1
    assert len(summary_table(at)) >= 2
    rep = at.selectbox(key="inc_rep")
    heading = f"What it takes {rep.format_func(rep.value)} to reach the next step"
    assert any(heading in m.value for m in at.markdown)


def test_the_editor_shows_the_plan_picked_not_the_one_before(
    team: dict[str, int], guided: StoredPlan, linked_plan: StoredPlan
) -> None:
    at = incentives(role="head", employee=team["head"], query={"plan": guided.plan_key})
    assert at.text_input(key=f"inc_edit{keyed(guided)}_name").value == "Guided"
    at.selectbox(key="inc_plan").set_value(linked_plan.plan_key).run()
    assert version_box(at).value == 2  # its latest, not the version shown before
    names = [t.value for t in at.text_input if t.key.startswith("inc_edit@")]
    assert names == ["Linked plan"]  # was: still "Guided" (a field keeps its value)
    assert at.number_input(key=f"inc_edit{keyed(linked_plan, 2)}_bonus").value == 2500.0
    editor = next(d for d in at.data_editor if d.key == f"inc_items{keyed(linked_plan, 2)}")
    assert editor.value["metric"].tolist() == ["Won revenue", "New deals"]
