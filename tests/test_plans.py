"""Versioned incentive plans (``appdb.plans``) on every dialect: the plans in an app database,
the teams and employees in a CRM database, of the same dialect.

The scenario CRM (one database per dialect for the whole module; every test makes its own
plans, whose keys are fresh, so tests do not see each other's plans except in ``list_plans``,
which is therefore checked on the test's own keys):

* team 1 "North" headed by 10, with reps 11 and 12;
* team 2 "South" headed by 20, with rep 21;
* 30 exec, 40 analyst (no team).

The app database is at the latest revision and holds no plan at the start.  ``appdb.plans``
parses and stores; the rule that a stored plan can be scored is tested through
``reports.plan_store``, which applies it before storing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.periods import next_period
from appdb import plans
from appdb.databases import Databases
from appdb.plans import (
    PlanError,
    StoredItem,
    StoredPlan,
    copy_plan,
    list_plans,
    load_plan,
    plan_history,
    save_plan,
)
from appdb.schema import PLAN_TABLES
from crm_data.filters import Scope
from reports import plan_store
from reports.incentives import to_plan
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import DIALECTS, app_databases, fresh_engine

ADMIN = Scope.everyone()
EXEC = Scope("exec", employee_id=30)
ANALYST = Scope("analyst", employee_id=40)
HEAD1 = Scope.head(1, employee_id=10)
HEAD2 = Scope.head(2, employee_id=20)
REP11 = Scope("rep", employee_id=11, team_id=1)
REP12 = Scope.rep(12)  # no team in the scope: the employee's team (1) is looked up
REP21 = Scope("rep", employee_id=21, team_id=2)

Q1 = (date(2025, 1, 1), date(2025, 4, 1))

CALLS = StoredItem(
    "calls", 40.0, target=100.0, threshold=0.5, cap=1.5, rep_targets=((11, 120.0), (12, 80.0))
)
REVENUE = StoredItem("won_revenue", 60.0, target=50_000.0, accelerator=2.0)
ITEMS = (CALLS, REVENUE)


def build_scenario() -> CrmBuilder:
    b = CrmBuilder()
    b.team(1, "North", head_id=10)
    b.team(2, "South", head_id=20)
    b.employee(10, team_id=1, role="head", name="Hanna Head")
    b.employee(11, team_id=1, name="Ravi Rep")
    b.employee(12, team_id=1, name="Rita Rep")
    b.employee(20, team_id=2, role="head", name="Hugo Head")
    b.employee(21, team_id=2, name="Sven Rep")
    b.employee(30, role="exec", name="Eva Exec")
    b.employee(40, role="analyst", name="Ana Analyst")
    return b


@pytest.fixture(scope="module", params=DIALECTS)
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    folder = tmp_path_factory.mktemp(f"plans_{request.param}")
    with (
        fresh_engine(request.param, folder) as engine,
        app_databases(build_scenario().load(engine), folder) as databases,
    ):
        yield databases


def new_plan(
    engine: Databases,
    scope: Scope = HEAD1,
    *,
    name: str = "North Q1",
    period: tuple[date, date] = Q1,
    team_id: int | None = 1,
    items: Any = ITEMS,
    bonus: float = 1000.0,
) -> StoredPlan:
    return save_plan(
        engine,
        scope,
        None,
        name=name,
        period_start=period[0],
        period_end=period[1],
        team_id=team_id,
        on_target_bonus=bonus,
        items=items,
        based_on_version=None,
    )


def edit(
    engine: Databases, scope: Scope, plan: StoredPlan, based_on: int | None = None, **changes: Any
) -> StoredPlan:
    """Save ``plan`` with ``changes`` as a new version based on ``based_on`` (default: its own)."""
    values = {
        "name": plan.name,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "team_id": plan.team_id,
        "on_target_bonus": plan.on_target_bonus,
        "items": plan.items,
    }
    values.update(changes)
    version = plan.version if based_on is None else based_on
    return save_plan(engine, scope, plan.plan_key, based_on_version=version, **values)


def table_rows(databases: Databases) -> dict[str, set[tuple[Any, ...]]]:
    with databases.app.connect() as conn:
        return {t.name: {tuple(r) for r in conn.execute(sa.select(t))} for t in PLAN_TABLES}


# ---- no database ----------------------------------------------------------------------------


def test_target_for_prefers_the_rep_target() -> None:
    assert CALLS.target_for(11) == 120.0
    assert CALLS.target_for(21) == 100.0
    assert REVENUE.target_for(11) == 50_000.0


def test_plan_error_is_a_value_error() -> None:
    assert issubclass(PlanError, ValueError)


# ---- saving and versions --------------------------------------------------------------------


def test_new_plan_is_version_1_and_reads_back_as_saved(db: Databases) -> None:
    before = datetime.now().replace(microsecond=0) - timedelta(days=1)
    plan = new_plan(db)
    assert plan.version == 1
    assert plan.plan_key.startswith("north-q1-")
    assert (plan.name, plan.period_start, plan.period_end) == ("North Q1", *Q1)
    assert (plan.team_id, plan.on_target_bonus, plan.created_by) == (1, 1000.0, 10)
    assert plan.items == ITEMS
    assert plan.created_at.microsecond == 0 and plan.created_at > before
    assert load_plan(db, HEAD1, plan.plan_key) == plan
    assert load_plan(db, HEAD1, plan.plan_key, version=1) == plan


def test_items_as_mappings_are_normalised(db: Databases) -> None:
    items = [
        {
            "metric_key": " calls ",
            "weight": 40,
            "target": 100,
            "threshold": 0.5,
            "cap": 1.5,
            "rep_targets": {12: 80, 11: 120},
        },
        {
            "metric_key": "won_revenue",
            "weight": 60,
            "target": 50_000,
            "accelerator": 2,
            "cap": float("nan"),
        },
    ]
    plan = new_plan(db, items=items)
    assert plan.items == ITEMS
    assert all(isinstance(i.weight, float) for i in plan.items)
    assert load_plan(db, ADMIN, plan.plan_key) == plan


def test_a_data_editor_frame_with_numpy_ids(db: Databases) -> None:
    """What the page hands over: a frame of items, NumPy integers, empty cells as NaN/None."""
    frame = pd.DataFrame(
        {
            "metric_key": ["calls", "won_revenue"],
            "weight": [40, 60],
            "target": [100.0, 50_000.0],
            "threshold": [0.5, float("nan")],
            "cap": [1.5, None],
            "accelerator": [None, 2.0],
            "rep_targets": [[(np.int64(12), 80), (np.int64(11), 120.0)], None],
        }
    )
    plan = new_plan(db, HEAD1, items=frame, team_id=np.int64(1))
    assert plan.items == ITEMS and plan.team_id == 1
    history = plan_history(db, HEAD1, plan.plan_key)
    v2 = edit(db, HEAD1, plan, based_on=history["version"].max(), name="From the frame")
    assert v2.version == 2
    assert load_plan(db, HEAD1, plan.plan_key, version=np.int64(1)) == plan


def test_edit_adds_a_version_and_the_old_one_reads_back_unchanged(db: Databases) -> None:
    v1 = new_plan(db)
    rows_v1 = table_rows(db)
    calls = StoredItem("calls", 30.0, target=110.0, threshold=0.6, rep_targets=((11, 130.0),))
    meetings = StoredItem("meetings", 10.0, target=20.0)
    v2 = edit(db, HEAD1, v1, name="North Q1 (revised)", on_target_bonus=1200.0,
              items=(calls, REVENUE, meetings))  # fmt: skip
    assert (v2.plan_key, v2.version) == (v1.plan_key, 2)
    assert v2.name == "North Q1 (revised)" and v2.on_target_bonus == 1200.0
    assert v2.items == (calls, REVENUE, meetings)

    assert load_plan(db, HEAD1, v1.plan_key, version=1) == v1
    assert load_plan(db, HEAD1, v1.plan_key, version=2) == v2
    assert load_plan(db, HEAD1, v1.plan_key) == v2
    # append-only: every row that existed before the edit is still there, unchanged
    rows_v2 = table_rows(db)
    for name, rows in rows_v1.items():
        assert rows <= rows_v2[name]
    assert len(rows_v2["kpi_plans"]) == len(rows_v1["kpi_plans"]) + 1
    assert len(rows_v2["kpi_plan_items"]) == len(rows_v1["kpi_plan_items"]) + 3
    assert len(rows_v2["kpi_targets"]) == len(rows_v1["kpi_targets"]) + 1

    with pytest.raises(PlanError, match=r"has no version 3: its versions are 1 to 2"):
        load_plan(db, HEAD1, v1.plan_key, version=3)


def test_history_lists_every_version(db: Databases) -> None:
    v1 = new_plan(db)
    v2 = edit(db, EXEC, v1, name="North Q1 by exec", items=(REVENUE,))
    history = plan_history(db, HEAD1, v1.plan_key)
    assert list(history.columns) == [
        "version", "created_at", "created_by", "created_by_name", "name", "period_start",
        "period_end", "team_id", "on_target_bonus", "item_count",
    ]  # fmt: skip
    assert history["version"].tolist() == [1, 2]
    assert history["created_by"].tolist() == [10, 30]
    assert history["created_by_name"].tolist() == ["Hanna Head", "Eva Exec"]
    assert history["name"].tolist() == ["North Q1", "North Q1 by exec"]
    assert history["item_count"].tolist() == [2, 1]
    assert history["created_at"].tolist() == [
        pd.Timestamp(v1.created_at),
        pd.Timestamp(v2.created_at),
    ]
    assert history["period_start"].tolist() == [pd.Timestamp(Q1[0])] * 2
    assert str(history["version"].dtype) == "int64"
    assert str(history["team_id"].dtype) == "Int64"
    assert str(history["created_at"].dtype) == "datetime64[us]"


def test_admin_without_employee_saves_with_no_author(db: Databases) -> None:
    plan = new_plan(db, ADMIN, team_id=None, name="Company")
    assert plan.created_by is None and plan.team_id is None
    history = plan_history(db, ADMIN, plan.plan_key)
    assert history["created_by"].isna().all() and history["created_by_name"].isna().all()


# ---- concurrency ----------------------------------------------------------------------------


def test_stale_base_is_refused_and_nothing_is_lost(db: Databases) -> None:
    v1 = new_plan(db)
    mine = edit(db, HEAD1, v1, name="Edit by the head")  # based on 1
    with pytest.raises(PlanError, match=r"changed by someone else since you opened it") as err:
        edit(db, EXEC, v1, name="Edit by the exec")  # also based on 1: stale
    assert "version 1" in str(err.value) and "latest is version 2" in str(err.value)
    assert "reload" in str(err.value)
    assert plan_history(db, ADMIN, v1.plan_key)["name"].tolist() == ["North Q1", "Edit by the head"]
    # the exec reloads and re-applies: both edits are kept, in order
    theirs = edit(db, EXEC, load_plan(db, EXEC, v1.plan_key), name="Edit by the exec")
    assert theirs.version == 3
    assert load_plan(db, ADMIN, v1.plan_key, version=1) == v1
    assert load_plan(db, ADMIN, v1.plan_key, version=2) == mine
    assert load_plan(db, ADMIN, v1.plan_key, version=3) == theirs


def test_existing_key_cannot_be_created_again(db: Databases) -> None:
    v1 = new_plan(db)
    with pytest.raises(PlanError, match="changed by someone else"):
        save_plan(db, HEAD1, v1.plan_key, name="Again", period_start=Q1[0], period_end=Q1[1],
                  team_id=1, items=ITEMS, based_on_version=None)  # fmt: skip
    assert plan_history(db, ADMIN, v1.plan_key)["version"].tolist() == [1]


def test_chosen_key_for_a_new_plan(db: Databases) -> None:
    key = f"chosen-{datetime.now():%H%M%S%f}"
    plan = save_plan(db, EXEC, key, name="Chosen", period_start=Q1[0], period_end=Q1[1],
                     team_id=2, items=ITEMS)  # fmt: skip
    assert (plan.plan_key, plan.version) == (key, 1)


def test_unique_constraint_is_the_backstop(db: Databases, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version committed between the save's read of the latest version and its insert."""
    v1 = new_plan(db)
    original = plans._latest_row

    def latest_then_someone_else_saves(conn: sa.Connection, plan_key: str) -> Any:
        row = original(conn, plan_key)  # the save sees version 1 as the latest ...
        if row.version != 1:  # the save's error message reads the latest again
            return row
        with db.app.begin() as other:  # ... then another session commits version 2
            values = {c: getattr(row, c) for c in row._fields if c != "id"}
            values.update(version=2, name="Inserted directly")
            other.execute(plans.PLANS.insert().values(**values))
        return row

    monkeypatch.setattr(plans, "_latest_row", latest_then_someone_else_saves)
    with pytest.raises(PlanError, match=r"changed by someone else since you opened it") as err:
        edit(db, HEAD1, v1, name="Lost the race")
    assert isinstance(err.value.__cause__, sa.exc.DBAPIError)
    monkeypatch.undo()
    history = plan_history(db, ADMIN, v1.plan_key)
    assert history["name"].tolist() == ["North Q1", "Inserted directly"]
    assert load_plan(db, ADMIN, v1.plan_key, version=1) == v1
    # the losing save left no orphan items: only the directly inserted (item-less) version
    assert history["item_count"].tolist() == [2, 0]


def test_two_concurrent_saves_on_the_same_base(
    db: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two threads, two connections: both read version 1 as the latest, then both insert."""
    v1 = new_plan(db)
    original = plans._latest_row
    barrier = threading.Barrier(2, timeout=30)

    waited: set[int] = set()

    def latest_then_wait(conn: sa.Connection, plan_key: str) -> Any:
        row = original(conn, plan_key)
        if threading.get_ident() not in waited:  # not when the loser reads it for its message
            waited.add(threading.get_ident())
            barrier.wait()  # neither inserts before both have read the latest version
        return row

    monkeypatch.setattr(plans, "_latest_row", latest_then_wait)
    outcomes: dict[str, StoredPlan | BaseException] = {}

    def save(who: str, scope: Scope) -> None:
        try:
            outcomes[who] = edit(db, scope, v1, name=f"Edit by {who}")
        except BaseException as exc:
            outcomes[who] = exc

    threads = [threading.Thread(target=save, args=a) for a in (("head", HEAD1), ("exec", EXEC))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.undo()

    saved = [o for o in outcomes.values() if isinstance(o, StoredPlan)]
    refused = [o for o in outcomes.values() if isinstance(o, PlanError)]
    assert len(saved) == 1 and len(refused) == 1, outcomes
    assert "changed by someone else" in str(refused[0])
    assert saved[0].version == 2
    assert load_plan(db, ADMIN, v1.plan_key) == saved[0]
    assert load_plan(db, ADMIN, v1.plan_key, version=1) == v1
    assert plan_history(db, ADMIN, v1.plan_key)["item_count"].tolist() == [2, 2]


# ---- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("scope", [REP11, REP12, ANALYST], ids=["rep", "rep-no-team", "analyst"])
def test_reps_and_analysts_cannot_save(db: Databases, scope: Scope) -> None:
    with pytest.raises(PlanError, match=f"A {scope.role} cannot change incentive plans"):
        new_plan(db, scope)
    v1 = new_plan(db)
    with pytest.raises(PlanError, match="cannot change incentive plans"):
        edit(db, scope, v1)
    with pytest.raises(PlanError, match="cannot change incentive plans"):
        copy_plan(db, scope, v1.plan_key, *next_period(v1.period_start, v1.period_end))
    assert plan_history(db, ADMIN, v1.plan_key)["version"].tolist() == [1]


def test_head_saves_only_their_own_team(db: Databases) -> None:
    with pytest.raises(PlanError, match="only your team's plans: set the plan's team to 2"):
        new_plan(db, HEAD2, team_id=1)
    with pytest.raises(PlanError, match="only your team's plans"):
        new_plan(db, HEAD2, team_id=None)  # company-wide: admin/exec only
    north = new_plan(db, HEAD1)
    # another team's head can neither edit it (moving it to their team) nor copy it
    with pytest.raises(PlanError, match=r"There is no plan .* you may see"):
        edit(db, HEAD2, north, team_id=2)
    with pytest.raises(PlanError, match=r"There is no plan .* you may see"):
        copy_plan(db, HEAD2, north.plan_key, *next_period(north.period_start, north.period_end))
    # execs and admins save any team's plans, and company-wide ones
    assert edit(db, EXEC, north, name="Exec edit").version == 2
    assert new_plan(db, EXEC, team_id=2).team_id == 2
    assert new_plan(db, ADMIN, team_id=None).team_id is None
    assert plan_history(db, ADMIN, north.plan_key)["version"].tolist() == [1, 2]


def test_head_of_another_team_cannot_read(db: Databases) -> None:
    north = new_plan(db, HEAD1)
    for call in (
        lambda: load_plan(db, HEAD2, north.plan_key),
        lambda: load_plan(db, HEAD2, north.plan_key, version=1),
        lambda: plan_history(db, HEAD2, north.plan_key),
        lambda: load_plan(db, REP21, north.plan_key),
    ):
        with pytest.raises(PlanError, match=r"There is no plan .* you may see") as err:
            call()
        # the same message as for a plan that does not exist
        with pytest.raises(PlanError) as missing:
            load_plan(db, HEAD2, "no-such-plan")
        assert str(err.value) == str(missing.value).replace("no-such-plan", north.plan_key)
    assert north.plan_key not in set(list_plans(db, HEAD2)["plan_key"])
    assert north.plan_key not in set(list_plans(db, REP21)["plan_key"])


@pytest.mark.parametrize("scope", [ADMIN, EXEC, ANALYST, HEAD1], ids=lambda s: s.role)
def test_full_readers_see_every_rep_target(db: Databases, scope: Scope) -> None:
    north = new_plan(db, HEAD1)
    assert load_plan(db, scope, north.plan_key) == north


@pytest.mark.parametrize(("scope", "own"), [(REP11, 11), (REP12, 12)], ids=["rep", "rep-no-team"])
def test_rep_reads_only_their_own_target(db: Databases, scope: Scope, own: int) -> None:
    v1 = new_plan(db, HEAD1)
    v2 = edit(
        db,
        HEAD1,
        v1,
        items=(REVENUE, StoredItem("calls", 40.0, 90.0, rep_targets=((11, 1.0), (12, 2.0)))),
    )
    for version, plan in ((1, v1), (2, v2)):
        seen = load_plan(db, scope, v1.plan_key, version=version)
        for item, full in zip(seen.items, plan.items, strict=True):
            assert item.rep_targets == tuple((e, t) for e, t in full.rep_targets if e == own)
            assert item == StoredItem(**{**full.__dict__, "rep_targets": item.rep_targets})
    assert load_plan(db, scope, v1.plan_key).items[1].target_for(own) == (1.0 if own == 11 else 2.0)
    assert load_plan(db, scope, v1.plan_key).items[1].target_for(21) == 90.0
    assert plan_history(db, scope, v1.plan_key)["version"].tolist() == [1, 2]
    assert v1.plan_key in set(list_plans(db, scope)["plan_key"])


def test_company_wide_plan_targets_are_filtered_per_team(db: Databases) -> None:
    item = StoredItem("calls", 100.0, 50.0, rep_targets=((11, 60.0), (12, 70.0), (21, 80.0)))
    plan = new_plan(db, EXEC, team_id=None, items=(item,), name="Company calls")
    assert load_plan(db, ANALYST, plan.plan_key).items[0].rep_targets == item.rep_targets
    assert load_plan(db, HEAD1, plan.plan_key).items[0].rep_targets == ((11, 60.0), (12, 70.0))
    assert load_plan(db, HEAD2, plan.plan_key).items[0].rep_targets == ((21, 80.0),)
    assert load_plan(db, REP21, plan.plan_key).items[0].rep_targets == ((21, 80.0),)
    assert load_plan(db, REP12, plan.plan_key).items[0].rep_targets == ((12, 70.0),)
    for scope in (HEAD1, HEAD2, REP11, REP21):
        assert plan.plan_key in set(list_plans(db, scope)["plan_key"])
    # but a head may not edit it, nor take it over for their team
    with pytest.raises(PlanError, match="only your team's plans"):
        edit(db, HEAD1, plan)
    with pytest.raises(PlanError, match="only your team's plans"):
        edit(db, HEAD1, plan, team_id=1)
    with pytest.raises(PlanError, match="only your team's plans"):
        copy_plan(db, HEAD1, plan.plan_key, *next_period(plan.period_start, plan.period_end))
    assert plan_history(db, ADMIN, plan.plan_key)["version"].tolist() == [1]


def test_a_plan_belongs_to_the_team_of_its_latest_version(db: Databases) -> None:
    v1 = new_plan(db, HEAD1)
    edit(db, EXEC, v1, team_id=2)  # the exec moves the plan to team 2
    for scope in (HEAD1, REP11):
        with pytest.raises(PlanError, match="There is no plan"):
            load_plan(db, scope, v1.plan_key, version=1)
    assert load_plan(db, HEAD2, v1.plan_key, version=1) == v1
    assert edit(db, HEAD2, load_plan(db, HEAD2, v1.plan_key)).version == 3


# ---- listing --------------------------------------------------------------------------------


def test_list_plans_shows_the_latest_version_of_each(db: Databases) -> None:
    period = (date(2031, 1, 1), date(2031, 4, 1))
    north = new_plan(db, HEAD1, name="L North", period=period)
    north2 = edit(db, HEAD1, north, name="L North v2", items=(REVENUE,))
    south = new_plan(
        db, HEAD2, name="L South", team_id=2, period=(date(2031, 3, 1), date(2031, 6, 1))
    )
    company = new_plan(
        db, EXEC, name="L Company", team_id=None, period=(date(2031, 4, 1), date(2031, 7, 1))
    )
    mine = {north.plan_key, south.plan_key, company.plan_key}

    def keys(scope: Scope, when: tuple[date, date] | None = None) -> list[str]:
        frame = list_plans(db, scope, when)
        return [k for k in frame["plan_key"] if k in mine]

    frame = list_plans(db, ANALYST, (date(2031, 1, 1), date(2032, 1, 1)))
    assert list(frame.columns) == [
        "plan_key", "version", "name", "period_start", "period_end", "team_id", "team",
        "on_target_bonus", "item_count", "created_at", "created_by", "created_by_name",
    ]  # fmt: skip
    frame = frame[frame["plan_key"].isin(mine)].set_index("plan_key")
    # ordered by period start, latest first
    assert frame.index.tolist() == [company.plan_key, south.plan_key, north.plan_key]
    assert frame.loc[north.plan_key, "version"] == 2
    assert frame.loc[north.plan_key, "name"] == north2.name
    assert frame.loc[north.plan_key, "item_count"] == 1
    assert frame.loc[north.plan_key, "team"] == "North"
    assert frame.loc[north.plan_key, "created_by_name"] == "Hanna Head"
    assert frame.loc[north.plan_key, "period_end"] == pd.Timestamp(2031, 4, 1)
    assert pd.isna(frame.loc[company.plan_key, "team_id"])
    assert pd.isna(frame.loc[company.plan_key, "team"])

    # half-open periods: [Jan, Mar) overlaps only the North plan; [Apr, May) misses it
    assert keys(ADMIN, (date(2031, 1, 1), date(2031, 3, 1))) == [north.plan_key]
    assert keys(ADMIN, (date(2031, 4, 1), date(2031, 5, 1))) == [company.plan_key, south.plan_key]
    assert keys(ADMIN, (date(2030, 1, 1), date(2031, 1, 1))) == []
    # visibility: own team's plans and company-wide ones
    assert keys(HEAD1) == [company.plan_key, north.plan_key]
    assert keys(REP12) == [company.plan_key, north.plan_key]
    assert keys(HEAD2) == [company.plan_key, south.plan_key]
    assert keys(REP21) == [company.plan_key, south.plan_key]
    assert keys(EXEC) == [company.plan_key, south.plan_key, north.plan_key]


# ---- copying --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ((date(2025, 1, 1), date(2025, 2, 1)), (date(2025, 2, 1), date(2025, 3, 1))),
        ((date(2025, 10, 1), date(2026, 1, 1)), (date(2026, 1, 1), date(2026, 4, 1))),
    ],
    ids=["month", "quarter"],
)
def test_copy_to_the_next_period(
    db: Databases, period: tuple[date, date], expected: tuple[date, date]
) -> None:
    v1 = new_plan(db, HEAD1, period=period)
    v2 = edit(db, HEAD1, v1, name="Revised", items=(CALLS,))
    copy = copy_plan(db, HEAD1, v1.plan_key, *next_period(v1.period_start, v1.period_end))
    assert copy.plan_key != v1.plan_key and copy.version == 1
    assert (copy.period_start, copy.period_end) == expected
    assert (copy.name, copy.team_id, copy.on_target_bonus) == ("Revised", 1, v2.on_target_bonus)
    assert copy.items == v2.items  # the latest version, per-rep targets included
    assert copy.created_by == 10
    assert load_plan(db, HEAD1, copy.plan_key) == copy
    # the source is untouched
    assert plan_history(db, ADMIN, v1.plan_key)["version"].tolist() == [1, 2]
    assert load_plan(db, ADMIN, v1.plan_key) == v2


def test_copy_with_a_new_name_by_an_exec(db: Databases) -> None:
    v1 = new_plan(db, HEAD1)
    start, end = next_period(v1.period_start, v1.period_end)
    copy = copy_plan(db, EXEC, v1.plan_key, start, end, name="North Q2")
    assert copy.name == "North Q2"
    assert (copy.period_start, copy.period_end) == (date(2025, 4, 1), date(2025, 7, 1))
    assert copy.created_by == 30


# ---- parsing --------------------------------------------------------------------------------


def _with(item: StoredItem, **changes: Any) -> dict[str, Any]:
    return {**item.__dict__, **changes}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"period": (datetime(2025, 1, 1, 12), date(2025, 4, 1))}, r"must be a date, not a moment"),
        ({"period": ("2025-01-01", date(2025, 4, 1))}, r"The period start must be a date"),
        ({"name": "  "}, r"The plan has no name"),
        ({"name": "x" * 201}, r"longer than 200 characters"),
        ({"team_id": 99}, r"There is no team 99: choose a team"),
        ({"team_id": "1"}, r"'1' is not a team id"),
        ({"bonus": "a lot"}, r"The on-target bonus must be a number"),
        ({"items": ()}, r"The plan has no items: add at least one metric"),
        (
            {"items": (REVENUE, _with(CALLS, weight="a lot"))},
            r"The weight of item 2 \(calls\) must be a number",
        ),
        ({"items": (_with(CALLS, weight=float("inf")),)}, r"must be a finite number"),
        ({"items": (_with(CALLS, weight=None),)}, r"The weight of item 1 \(calls\) is missing"),
        ({"items": (_with(CALLS, metric_key=""),)}, r"Item 1 has no metric"),
        (
            {"items": (_with(CALLS, rep_targets=((11, 1), (11, 2))),)},
            r"two per-rep targets for employee 11",
        ),
        (
            {"items": (_with(CALLS, rep_targets=((999, 1), (11, 2))),)},
            r"Per-rep targets name unknown employees \(999\)",
        ),
        ({"items": "calls"}, r"The plan items must be a list"),
    ],
)
def test_parsing_messages(db: Databases, changes: dict[str, Any], message: str) -> None:
    changes = dict(changes)  # the parameter is shared by the dialects
    name = changes.pop("name", "Invalid plan")
    with pytest.raises(PlanError, match=message):
        new_plan(db, EXEC, name=name, **changes)
    if isinstance(name, str) and name.strip():
        assert name not in set(list_plans(db, ADMIN)["name"])


def test_the_check_sees_the_version_as_it_would_be_stored(db: Databases) -> None:
    """``check`` gets the parsed version (empty cells as None, the next version number and
    the author) before anything is written; its refusal leaves the tables as they were."""
    seen: list[StoredPlan] = []

    def refuse(plan: StoredPlan) -> None:
        seen.append(plan)
        raise PlanError("Refused by the rule.")

    v1 = new_plan(db)
    before = table_rows(db)
    items = [_with(REVENUE, cap=float("nan"), threshold=None)]
    with pytest.raises(PlanError, match="Refused by the rule"):
        save_plan(db, HEAD1, v1.plan_key, name=" North Q1 ", period_start=Q1[0],
                  period_end=Q1[1], team_id=1, items=items, based_on_version=1,
                  check=refuse)  # fmt: skip
    assert table_rows(db) == before
    (draft,) = seen
    assert (draft.plan_key, draft.version, draft.name, draft.created_by) == (
        v1.plan_key, 2, "North Q1", 10)  # fmt: skip
    assert draft.items == (REVENUE,)
    with pytest.raises(PlanError, match="Refused by the rule"):
        copy_plan(db, HEAD1, v1.plan_key, *next_period(*Q1), check=refuse)
    assert seen[-1].items == v1.items and seen[-1].version == 1
    assert table_rows(db) == before


# ---- the one rule: a stored plan can be scored (reports.plan_store) ---------------------------

WON = StoredItem("won_deals", 0.6, target=10.0, threshold=0.5, cap=1.5, accelerator=2.0)
STUCK = StoredItem("stuck_deals", 0.4, target=3.0, cap=1.5)  # lower is better


def store(engine: Databases, *, period: tuple[date | None, date | None] = Q1,
          items: Any = (WON, STUCK), bonus: float = 1000.0) -> StoredPlan:  # fmt: skip
    return plan_store.save_plan(
        engine, EXEC, None, name="Scored plan", period_start=period[0], period_end=period[1],
        team_id=1, on_target_bonus=bonus, items=items,
    )  # fmt: skip


def test_a_plan_that_can_be_scored_is_stored(db: Databases) -> None:
    plan = store(db)
    assert plan.items == (WON, STUCK)
    assert to_plan(plan).item("stuck_deals").higher_is_better is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # what the plans store kept before the rule, and the scorecards then refused
        ({"items": (_with(WON, accelerator=0.5),)}, r"'Won deals': accelerator must be ≥ 1"),
        ({"items": (WON, _with(STUCK, cap=None))}, r"'Stuck deals': a lower-is-better"),
        ({"items": (_with(WON, accelerator=0),)}, r"'Won deals': accelerator must be ≥ 1"),
        # the same rule as before, now in one place
        ({"items": (_with(WON, weight=-1),)}, r"'Won deals': weight must be ≥ 0"),
        ({"items": (_with(WON, target=-3),)}, r"'Won deals': target must be ≥ 0"),
        ({"items": (_with(WON, threshold=0.8, cap=0.5),)}, r"'Won deals': cap 50 % is below"),
        ({"items": (WON, _with(WON, weight=0.1))}, r"names 'Won deals' more than once"),
        (
            {"items": (_with(WON, rep_targets=((11, -1.0),)),)},
            r"override \('won_deals', 11\) must be ≥ 0",
        ),
        ({"items": (StoredItem("calls", 1.0, target=5.0),)}, r"Unknown metric 'calls'"),
        ({"bonus": -5.0}, r"the on-target bonus must be ≥ 0, got -5"),
        # periods
        ({"period": (date(2025, 4, 1), date(2025, 4, 1))}, r"ends \(2025-04-01\) on or before"),
        ({"period": (date(2025, 4, 1), date(2025, 1, 1))}, r"the end must be after the start"),
        ({"period": (date(1, 1, 1), date(9999, 12, 31))}, r"goes beyond the years 2000–2100"),
        ({"period": (date(2025, 1, 1), date(2030, 1, 1))}, r"longer than 3 years"),
        ({"period": (date(2026, 10, 1), None)}, r"pick the first and the last day"),
        ({"period": (None, None)}, r"pick the first and the last day"),
    ],
)
def test_a_plan_that_cannot_be_scored_is_refused_with_the_reason(
    db: Databases, changes: dict[str, Any], message: str
) -> None:
    before = table_rows(db)
    with pytest.raises(PlanError, match=message):
        store(db, **changes)
    assert table_rows(db) == before  # nothing stored


def test_an_edit_and_a_copy_go_through_the_same_rule(db: Databases) -> None:
    plan = store(db)
    before = table_rows(db)
    with pytest.raises(PlanError, match=r"'Stuck deals': a lower-is-better item needs"):
        plan_store.save_plan(db, EXEC, plan.plan_key, name=plan.name, period_start=Q1[0],
                             period_end=Q1[1], team_id=1, items=(WON, _with(STUCK, cap=None)),
                             based_on_version=1)  # fmt: skip
    with pytest.raises(PlanError, match=r"ends \(2025-04-01\) on or before it starts"):
        plan_store.copy_plan(db, EXEC, plan.plan_key, date(2025, 4, 1), date(2025, 4, 1))
    with pytest.raises(PlanError, match=r"goes beyond the years 2000–2100"):
        plan_store.copy_plan(db, EXEC, plan.plan_key, date(2100, 12, 1), date(2101, 3, 1))
    assert table_rows(db) == before
    copy = plan_store.copy_plan(db, EXEC, plan.plan_key, *next_period(*Q1))
    assert (copy.period_start, copy.period_end) == (date(2025, 4, 1), date(2025, 7, 1))
    assert copy.items == plan.items


def test_edit_validation_and_keys(db: Databases) -> None:
    with pytest.raises(PlanError, match=r"There is no plan 'missing-plan' to edit"):
        save_plan(db, EXEC, "missing-plan", name="X", period_start=Q1[0], period_end=Q1[1],
                  team_id=1, items=ITEMS, based_on_version=1)  # fmt: skip
    with pytest.raises(PlanError, match=r"'a b' is not a plan key"):
        save_plan(db, EXEC, "a b", name="X", period_start=Q1[0], period_end=Q1[1],
                  team_id=1, items=ITEMS)  # fmt: skip
    v1 = new_plan(db)
    with pytest.raises(PlanError, match=r"'2' is not a plan version"):
        edit(db, HEAD1, v1, based_on="2")  # type: ignore[arg-type]
    with pytest.raises(PlanError, match=r"you started from version 7; the latest is version 1"):
        edit(db, HEAD1, v1, based_on=7)


def test_unknown_author_is_refused(db: Databases) -> None:
    with pytest.raises(PlanError, match=r"linked to employee 777, who does not exist"):
        new_plan(db, Scope("exec", employee_id=777))


# ---- an empty app database ------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_an_app_database_without_plans(dialect: str, tmp_path: Path) -> None:
    with (
        fresh_engine(dialect, tmp_path) as engine,
        app_databases(build_scenario().load(engine), tmp_path) as databases,
    ):
        frame = list_plans(databases, ADMIN)
        assert frame.empty and "plan_key" in frame.columns
        with pytest.raises(PlanError, match="There is no plan 'x' you may see"):
            load_plan(databases, ADMIN, "x")
        with pytest.raises(PlanError, match="There is no plan 'x' you may see"):
            plan_history(databases, ADMIN, "x")
        plan = new_plan(databases)
        assert list_plans(databases, ADMIN)["plan_key"].tolist() == [plan.plan_key]
        # nothing of the plans in the CRM database
        assert not any(sa.inspect(engine).has_table(t.name) for t in PLAN_TABLES)
