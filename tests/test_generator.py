"""The demo generator builds a coherent, deterministic company (DESIGN.md §3 "Demo data")."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from appdb.demo_plans import make_plans
from appdb.schema import APP_USERS, PLANS
from crm_data.demo import SIZES, SeedReport, is_demo_database, load_truth, people, seed_demo
from crm_data.demo.activities import ACTIVITY_MIX
from crm_data.demo.catalog import CHANNELS, NEW_LINE, NO_REASON_SHARE
from crm_data.demo.clock import ANNUAL_GROWTH, SEASONALITY, Clock
from crm_data.demo.deals import WIN_MODEL
from crm_data.demo.orders import LIFECYCLE
from crm_data.demo.seed import (
    SEED_LOCK,
    reseed_check,
    running_seed,
)
from crm_data.demo.service import QUOTA_UPLIFT, TICKETS
from crm_data.demo.world import REGIONS, World
from crm_data.errors import NotDemoDatabase, SeedingInProgress
from crm_data.previous_layout import PREVIOUS_APP_TABLES
from crm_data.schema import CRM_TABLES, Base
from tests.support.databases import app_databases, url_for

END = date(2025, 6, 30)
END_TS = pd.Timestamp(END)
START_TS = pd.Timestamp(date(2022, 6, 30))


def read(engine: sa.Engine, sql: str) -> pd.DataFrame:
    """A query result with ``*_at`` / date columns as datetime64 (SQLite returns text)."""
    with engine.connect() as conn:
        frame = pd.read_sql(sa.text(sql), conn)
    for col in frame.columns:
        if col.endswith(("_at", "_start", "_end")):
            frame[col] = pd.to_datetime(frame[col], format="ISO8601")
    return frame


@pytest.fixture(scope="module", params=["duckdb", "sqlite"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp(f"xs_{request.param}")
    engine = sa.create_engine(url_for(request.param, folder))
    report = seed_demo(engine, size="XS", seed=7, end=END)
    yield engine, report
    engine.dispose()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    """Size S in DuckDB (about a second) for counts and planted-effect checks."""
    engine = sa.create_engine(url_for("duckdb", tmp_path_factory.mktemp("s")))
    report = seed_demo(engine, size="S", seed=42, end=END)
    yield engine, report
    engine.dispose()


# ---- sizes -----------------------------------------------------------------------------------


def within(actual: int, target: int, tolerance: float = 0.2) -> bool:
    return abs(actual - target) <= tolerance * target


def check_counts(report: SeedReport) -> None:
    spec = SIZES[report.size]
    counts = report.row_counts
    assert counts["accounts"] == spec.accounts
    assert counts["deals"] == spec.deals
    for table, target in [
        ("deal_stage_history", spec.stage_changes),
        ("activities", spec.activities),
        ("orders", spec.orders),
        ("tickets", spec.tickets),
    ]:
        assert within(counts[table], target), (table, counts[table], target)


def test_xs_counts(seeded) -> None:
    engine, report = seeded
    check_counts(report)
    assert report.size == "XS" and report.seed == 7 and report.end == END
    tables = [*CRM_TABLES, Base.metadata.tables["demo_truth"]]
    assert set(report.row_counts) == {t.name for t in tables}
    with engine.connect() as conn:
        for table in tables:
            n = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            assert n == report.row_counts[table.name], table.name


def test_s_counts(small) -> None:
    check_counts(small[1])


def test_size_specs_match_design() -> None:
    design = {  # accounts, deals, stage changes, activities, orders (DESIGN.md §3)
        "S": (2_000, 10_000, 40_000, 100_000, 20_000),
        "M": (20_000, 100_000, 400_000, 1_000_000, 200_000),
        "L": (100_000, 1_000_000, 4_000_000, 10_000_000, 2_000_000),
    }
    for name, numbers in design.items():
        spec = SIZES[name]
        got = (spec.accounts, spec.deals, spec.stage_changes, spec.activities, spec.orders)
        assert got == numbers, name
    assert [SIZES[s].teams for s in ("XS", "S", "M", "L")] == [4, 4, 6, 8]


# ---- deals and stage history -----------------------------------------------------------------


def test_stage_histories(seeded) -> None:
    engine, _ = seeded
    stages = read(engine, "SELECT id, position, is_won, is_lost FROM stages")
    first_stage = int(stages.loc[stages["position"].idxmin(), "id"])
    won_ids = set(stages.loc[stages["is_won"].astype(bool), "id"])
    lost_ids = set(stages.loc[stages["is_lost"].astype(bool), "id"])
    hist = read(engine, "SELECT id, deal_id, stage_id, entered_at FROM deal_stage_history")
    hist = hist.sort_values("id")
    deals = read(
        engine,
        "SELECT id, status, stage_id, created_at, closed_at, lost_reason_id FROM deals",
    ).set_index("id")
    groups = hist.groupby("deal_id")
    assert set(groups.groups) == set(deals.index)  # every deal has a history
    first = groups.first()
    last = groups.last()
    assert (first["stage_id"] == first_stage).all()
    assert (first["entered_at"] == deals["created_at"]).all()
    # strictly time-ordered in id order
    step = hist["entered_at"].diff()[hist["deal_id"].eq(hist["deal_id"].shift())]
    assert (step > pd.Timedelta(0)).all()
    # the deal's current stage is the last history row's
    assert (last["stage_id"] == deals["stage_id"]).all()
    closed = deals["status"] != "open"
    assert last.loc[closed[closed].index, "stage_id"].isin(won_ids | lost_ids).all()
    assert (last.loc[closed[closed].index, "entered_at"] == deals.loc[closed, "closed_at"]).all()
    assert deals.loc[~closed, "closed_at"].isna().all()
    assert not deals.loc[~closed, "stage_id"].isin(won_ids | lost_ids).any()
    assert (deals.loc[deals["status"] == "won", "stage_id"].isin(won_ids)).all()
    assert (deals.loc[deals["status"] == "lost", "stage_id"].isin(lost_ids)).all()
    # the mix: some skips, some backward moves, every status present
    pos = hist["stage_id"].map(stages.set_index("id")["position"])
    moves = pos.diff()[hist["deal_id"].eq(hist["deal_id"].shift())]
    assert (moves < 0).sum() > 20
    assert (moves > 1).sum() > 20
    assert set(deals["status"]) == {"open", "won", "lost"}
    # lost reasons: most lost deals have one, never on won/open deals
    lost = deals["status"] == "lost"
    share = deals.loc[lost, "lost_reason_id"].notna().mean()
    assert 0.85 < share < 0.97
    assert deals.loc[~lost, "lost_reason_id"].isna().all()


def test_open_deals_are_recent_and_nothing_after_end(seeded) -> None:
    engine, _ = seeded
    deals = read(engine, "SELECT status, created_at, closed_at FROM deals")
    assert deals["created_at"].min() >= START_TS
    assert deals["created_at"].max() < END_TS
    assert deals["closed_at"].max() < END_TS
    open_created = deals.loc[deals["status"] == "open", "created_at"]
    assert open_created.median() > END_TS - pd.Timedelta(days=120)
    check_nothing_after_end(engine)


#: Columns of events that happen inside the history (before ``end``).
HISTORY_COLUMNS = {
    "employees": ["hired_at", "left_at"],
    "accounts": ["created_at"],
    "contacts": ["created_at"],
    "campaigns": ["started_at", "ended_at"],
    "deals": ["created_at", "closed_at"],
    "deal_stage_history": ["entered_at"],
    "orders": ["ordered_at"],
    "campaign_members": ["sent_at", "responded_at"],
    "tickets": ["opened_at", "first_response_at", "resolved_at"],
    "activities": ["done_at"],
}


def check_nothing_after_end(engine: sa.Engine) -> None:
    for table, cols in HISTORY_COLUMNS.items():
        frame = read(engine, f"SELECT {', '.join(cols)} FROM {table}")
        for col in cols:
            values = frame[col].dropna()
            assert len(values) > 0 or col == "left_at", (table, col)  # a seed may lose nobody
            assert (values < END_TS).all(), (table, col)
    employees = read(engine, "SELECT hired_at, left_at FROM employees")
    assert employees["hired_at"].notna().all()
    leavers = employees.dropna(subset=["left_at"])
    assert (leavers["left_at"] > leavers["hired_at"]).all()


def check_work_by_employed(engine: sa.Engine) -> None:
    """Activities and stage changes fall inside their employee's employment."""
    acts = read(
        engine,
        "SELECT a.status, a.due_at, a.done_at, e.hired_at, e.left_at "
        "FROM activities a JOIN employees e ON e.id = a.employee_id",
    )
    left, done, due = acts["left_at"].notna(), acts["done_at"].notna(), acts["due_at"].notna()
    if read(engine, "SELECT count(left_at) AS n FROM employees")["n"][0]:
        assert (done & left).sum() > 0  # leavers did work before they left
    assert (acts.loc[done & left, "done_at"] < acts.loc[done & left, "left_at"]).all()
    assert (acts.loc[due & left, "due_at"] < acts.loc[due & left, "left_at"]).all()
    assert (acts.loc[done, "done_at"] >= acts.loc[done, "hired_at"]).all()
    assert (acts.loc[due, "due_at"] >= acts.loc[due, "hired_at"]).all()
    changes = read(
        engine,
        "SELECT h.entered_at, e.hired_at, e.left_at "
        "FROM deal_stage_history h JOIN employees e ON e.id = h.changed_by",
    )
    assert (changes["entered_at"] >= changes["hired_at"]).all()
    gone = changes["left_at"].notna()
    assert (changes.loc[gone, "entered_at"] < changes.loc[gone, "left_at"]).all()
    owners = read(
        engine,
        "SELECT e.role, e.left_at FROM deals d JOIN employees e ON e.id = d.owner_id "
        "WHERE d.status = 'open'",
    )
    assert len(owners) > 0 and (owners["role"] == "rep").all()
    assert (owners["left_at"].isna() | (owners["left_at"] >= END_TS)).all()


def check_work_ends_with_deal(engine: sa.Engine) -> None:
    """No activity of a closed deal is due, done or still planned after the close."""
    acts = read(
        engine,
        "SELECT a.status, a.due_at, a.done_at, d.closed_at FROM activities a "
        "JOIN deals d ON d.id = a.deal_id WHERE d.closed_at IS NOT NULL",
    )
    done, due = acts["done_at"].notna(), acts["due_at"].notna()
    assert (acts.loc[done, "done_at"] < acts.loc[done, "closed_at"]).all()
    assert (acts.loc[due, "due_at"] < acts.loc[due, "closed_at"]).all()
    assert not (acts["status"] == "planned").any()
    assert (acts["status"] == "cancelled").any()


def check_leavers_hand_over(engine: sa.Engine) -> None:
    """A leaver's deals still open on the leaving date belong to the successor (issue #13 item 5).

    No deal closes after its owner left, no deal open at a month start is owned by someone who
    had left by then, and every stage change from the creator's leaving date on is by the deal's
    owner (the successor).
    """
    deals = read(
        engine,
        "SELECT d.id, d.created_at, d.closed_at, e.left_at FROM deals d "
        "JOIN employees e ON e.id = d.owner_id",
    )
    gone = deals["left_at"].notna()
    assert not (gone & deals["closed_at"].isna()).any()  # open deals: owner still employed
    assert (deals.loc[gone, "closed_at"] < deals.loc[gone, "left_at"]).all()
    for day in pd.date_range(START_TS, END_TS, freq="MS"):
        open_then = (deals["created_at"] < day) & ~(deals["closed_at"] < day)
        assert not (open_then & (deals["left_at"] <= day)).any(), day
    changes = read(
        engine,
        "SELECT h.deal_id, h.entered_at, h.changed_by, d.owner_id, c.left_at AS creator_left_at "
        "FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id "
        "JOIN deal_stage_history f ON f.deal_id = d.id AND f.entered_at = d.created_at "
        "JOIN employees c ON c.id = f.changed_by",
    )
    after = changes["entered_at"] >= changes["creator_left_at"]
    if read(engine, "SELECT count(left_at) AS n FROM employees")["n"][0]:
        assert after.any()  # some deals did change hands (a seed may lose nobody)
    assert (changes.loc[after, "changed_by"] == changes.loc[after, "owner_id"]).all()


def test_work_by_employed_and_before_close(seeded) -> None:
    engine, _ = seeded
    check_work_by_employed(engine)
    check_work_ends_with_deal(engine)
    check_leavers_hand_over(engine)


def test_leavers_hand_over_at_s(small) -> None:
    check_leavers_hand_over(small[0])


@pytest.mark.parametrize("seed", [1, 2, 3, 11])
def test_history_bounds_across_seeds(seed: int, tmp_path: Path) -> None:
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'xs.duckdb'}")
    seed_demo(engine, size="XS", seed=seed, end=END)
    check_nothing_after_end(engine)
    check_work_by_employed(engine)
    check_work_ends_with_deal(engine)
    check_leavers_hand_over(engine)
    engine.dispose()


def test_people_step_hires_before_end() -> None:
    """Reps (and their replacements) are hired and leave before the end, on whole days.

    ``make_people`` is the first step of ``seed_demo`` and the first user of its random
    generator, so this is the people of a real seed (L seed 42 once hired a rep after the end).
    """
    for size in ("M", "L"):
        for seed in [*range(40), 42]:
            w = World(rng=np.random.default_rng(seed), spec=SIZES[size], clock=Clock(END))
            people.make_people(w)
            emp = w.tables["employees"]
            assert emp["hired_at"].max() < END_TS, (size, seed)
            assert (emp["left_at"].dropna() < END_TS).all(), (size, seed)
            hired, left = w["emp_hired"], w["emp_left"]
            assert (hired == np.round(hired)).all()
            assert (left[np.isfinite(left)] == np.round(left[np.isfinite(left)])).all()
            # every team has a rep employed at every day of the history
            days = np.arange(int(w.clock.horizon))
            for team in range(len(w["team_head"])):
                reps = np.flatnonzero(w["rep_team"] == team)
                employed = (w["rep_hired"][reps, None] <= days) & (w["rep_left"][reps, None] > days)
                assert employed.any(axis=0).all(), (size, seed, team)


# ---- activities ------------------------------------------------------------------------------


def test_activities(seeded) -> None:
    engine, _ = seeded
    acts = read(
        engine,
        "SELECT a.status, a.due_at, a.done_at, a.deal_id, a.account_id, a.employee_id, "
        "c.created_at AS account_at, d.account_id AS deal_account "
        "FROM activities a JOIN accounts c ON c.id = a.account_id "
        "LEFT JOIN deals d ON d.id = a.deal_id",
    )
    done = acts["status"] == "done"
    assert acts.loc[done, "done_at"].notna().all()
    assert acts.loc[~done, "done_at"].isna().all()
    assert acts.loc[acts["status"] == "planned", "due_at"].notna().all()
    assert set(acts["status"]) == {"planned", "done", "cancelled"}
    # inside the account's life
    assert (acts.loc[done, "done_at"] >= acts.loc[done, "account_at"]).all()
    due = acts["due_at"].notna()
    assert (acts.loc[due, "due_at"] >= acts.loc[due, "account_at"]).all()
    assert (acts.loc[acts["due_at"] >= END_TS, "status"] == "planned").all()
    assert (acts["due_at"] >= END_TS).sum() > 0  # next steps of open deals
    # deal activities belong to the deal's account; customer care has no deal
    on_deal = acts["deal_id"].notna()
    assert (acts.loc[on_deal, "account_id"] == acts.loc[on_deal, "deal_account"]).all()
    assert 0.05 < (~on_deal).mean() < 0.3


def test_diligence_and_activity_effects(small) -> None:
    engine, _ = small
    truth = load_truth(engine)
    reps = pd.DataFrame(truth["reps"]).set_index("id")
    acts = read(
        engine,
        "SELECT employee_id, due_at, done_at FROM activities WHERE due_at IS NOT NULL "
        f"AND due_at < '{END.isoformat()}' AND deal_id IS NOT NULL",
    )
    acts = acts[acts["employee_id"].isin(reps.index)]
    on_time = acts["done_at"].notna() & (acts["done_at"] <= acts["due_at"] + pd.Timedelta(days=1))
    measured = on_time.groupby(acts["employee_id"]).mean()
    joined = pd.concat([measured.rename("measured"), reps["diligence"]], axis=1).dropna()
    assert joined["measured"].corr(joined["diligence"], method="spearman") > 0.8
    assert (joined["measured"] - joined["diligence"]).abs().median() < 0.05
    # more activity, more wins: deals with the most activities per week open win more often
    per_deal = read(
        engine,
        "SELECT d.status, d.created_at, d.closed_at, count(a.id) AS n FROM deals d "
        "LEFT JOIN activities a ON a.deal_id = d.id WHERE d.status <> 'open' "
        "GROUP BY d.id, d.status, d.created_at, d.closed_at",
    )
    weeks = (per_deal["closed_at"] - per_deal["created_at"]).dt.total_seconds() / 604_800 + 0.3
    quartile = pd.qcut(per_deal["n"] / weeks, 4, labels=False)
    win_by_q = (per_deal["status"] == "won").groupby(quartile).mean()
    assert win_by_q[3] > win_by_q[0] + 0.1
    assert (
        per_deal["n"].groupby(per_deal["status"]).mean()["won"]
        > 1.3 * per_deal["n"].groupby(per_deal["status"]).mean()["lost"]
    )
    # skill shows in the win rate
    deals = read(engine, "SELECT owner_id, status FROM deals WHERE status <> 'open'")
    win = (deals["status"] == "won").groupby(deals["owner_id"]).mean()
    both = pd.concat([win.rename("win"), reps["skill"]], axis=1).dropna()
    assert both["win"].corr(both["skill"], method="spearman") > 0.5


def test_seasonality_trend_and_new_line(small) -> None:
    engine, _ = small
    truth = load_truth(engine)
    deals = read(engine, "SELECT created_at, product_line FROM deals")
    by_month = deals["created_at"].dt.month.value_counts()
    season = truth["seasonality"]
    assert season[11] > season[6]
    assert by_month[11] > 1.3 * by_month[7]  # November (peak) vs July (trough)
    # the deal volume grows like the planted trend (1.18 a year), not with the number of
    # accounts accumulated so far; the first year holds the backlog, so compare years 2 and 3
    last_year = (deals["created_at"] >= END_TS - pd.DateOffset(years=1)).sum()
    middle = deals["created_at"].between(
        END_TS - pd.DateOffset(years=2), END_TS - pd.DateOffset(years=1), inclusive="left"
    )
    growth = last_year / middle.sum()
    assert 1 + 0.6 * truth["trend"]["annual_growth"] < growth < 1.35
    launched = pd.Timestamp(truth["new_line"]["launched_at"])
    line = truth["new_line"]["product_line"]
    new = deals["product_line"] == line
    assert new.sum() > 100
    assert deals.loc[new, "created_at"].min() >= launched
    products = read(engine, "SELECT product_line, is_new_line, launched_at FROM products")
    flagged = products["is_new_line"].astype(bool)
    assert set(products.loc[flagged, "product_line"]) == {line}
    assert (products.loc[flagged, "launched_at"] == launched).all()
    items = read(
        engine,
        "SELECT o.ordered_at FROM order_items i JOIN orders o ON o.id = i.order_id "
        "JOIN products p ON p.id = i.product_id WHERE p.is_new_line",
    )
    assert len(items) > 100 and items["ordered_at"].min() >= launched


def test_lost_reasons_depend_on_stage(small) -> None:
    engine, _ = small
    lost = read(
        engine,
        "SELECT r.name AS reason, s.name AS stage FROM deals d "
        "JOIN lost_reasons r ON r.id = d.lost_reason_id "
        "JOIN deal_stage_history h ON h.deal_id = d.id "
        "JOIN stages s ON s.id = h.stage_id "
        "WHERE d.status = 'lost' AND h.entered_at = (SELECT max(h2.entered_at) "
        "FROM deal_stage_history h2 WHERE h2.deal_id = d.id AND h2.stage_id <> d.stage_id)",
    )
    share = pd.crosstab(lost["stage"], lost["reason"], normalize="index")
    assert share.loc["Negotiation", "Price too high"] > 0.3
    assert share.loc["Lead", "Price too high"] < 0.1
    assert share.loc["Lead", "No response"] > 0.3


# ---- orders, tickets, quotas ----------------------------------------------------------------


def test_orders(seeded) -> None:
    engine, _ = seeded
    won = read(engine, "SELECT id, closed_at, amount FROM deals WHERE status = 'won'")
    orders = read(engine, "SELECT id, account_id, deal_id, ordered_at, amount FROM orders")
    by_deal = orders.dropna(subset=["deal_id"]).set_index("deal_id")
    assert set(won["id"]) == set(by_deal.index.astype(int))
    won = won.set_index("id")
    assert (by_deal["ordered_at"] >= won.loc[by_deal.index.astype(int), "closed_at"].values).all()
    assert np.allclose(by_deal["amount"], won.loc[by_deal.index.astype(int), "amount"], rtol=0.01)
    items = read(engine, "SELECT order_id, quantity, unit_price FROM order_items")
    assert (items["quantity"] >= 1).all() and (items["unit_price"] > 0).all()
    total = (items["quantity"] * items["unit_price"]).groupby(items["order_id"]).sum()
    joined = orders.set_index("id")["amount"]
    assert set(total.index) == set(joined.index)
    assert np.allclose(total.loc[joined.index], joined, atol=0.006)
    # repeat orders: most orders are not tied to a deal; customers order repeatedly
    assert orders["deal_id"].isna().mean() > 0.5
    assert orders.groupby("account_id").size().median() >= 3


def test_lapsing_and_returning_customers(small) -> None:
    engine, _ = small
    truth = load_truth(engine)["customers"]
    assert truth["lapsed"] > 0 and truth["returned"] > 0
    orders = read(
        engine, "SELECT account_id, ordered_at FROM orders ORDER BY account_id, ordered_at"
    )
    gaps = orders.groupby("account_id")["ordered_at"].diff().dt.days
    returned = orders.loc[gaps > 110, "account_id"].unique()
    sample = truth["returned_account_ids_sample"]
    assert 0 < len(sample) <= 200
    assert len(set(sample) & set(returned)) > 0.5 * len(sample)
    last = orders.groupby("account_id")["ordered_at"].max()
    assert ((END_TS - last).dt.days > 180).sum() > 100  # forgotten customers


def test_tickets_and_quotas(seeded) -> None:
    engine, _ = seeded
    tickets = read(
        engine,
        "SELECT category, opened_at, first_response_at, resolved_at, satisfaction FROM tickets",
    )
    assert "complaint" in set(tickets["category"])
    answered = tickets["first_response_at"].notna()
    assert (tickets.loc[answered, "first_response_at"] >= tickets.loc[answered, "opened_at"]).all()
    resolved = tickets["resolved_at"].notna()
    assert (
        tickets.loc[resolved, "resolved_at"] >= tickets.loc[resolved, "first_response_at"]
    ).all()
    assert tickets["satisfaction"].dropna().between(1, 5).all()
    sat = tickets.dropna(subset=["satisfaction"]).groupby("category")["satisfaction"].mean()
    assert sat["complaint"] < sat["question"]
    quotas = read(
        engine,
        "SELECT q.employee_id, q.period_start, q.period_end, q.revenue_target, "
        "e.role FROM quotas q JOIN employees e ON e.id = q.employee_id",
    )
    assert (quotas["role"] == "rep").all()
    assert (quotas["revenue_target"] > 0).all()
    assert (quotas["period_start"].dt.month.isin([1, 4, 7, 10])).all()
    assert (quotas["period_start"].dt.day == 1).all()
    assert ((quotas["period_end"] - quotas["period_start"]).dt.days.between(89, 92)).all()


def test_people(seeded) -> None:
    engine, _ = seeded
    emp = read(engine, "SELECT id, role, team_id, hired_at, left_at FROM employees")
    teams = read(engine, "SELECT id, region, head_id FROM teams")
    assert len(teams) == 4 and teams["region"].is_unique
    heads = emp.set_index("id").loc[teams["head_id"]]
    assert (heads["role"] == "head").all()
    assert set(emp["role"]) == {"exec", "analyst", "head", "rep", "service"}
    reps = emp[emp["role"] == "rep"]
    assert reps["left_at"].notna().any() and (reps["hired_at"] > START_TS).any()
    accounts = read(
        engine,
        "SELECT a.kind, a.owner_id, e.role FROM accounts a JOIN employees e ON e.id = a.owner_id",
    )
    assert (accounts["role"] == "rep").all()
    assert set(accounts["kind"]) == {"company", "person"}
    truth = load_truth(engine)
    assert sorted(r["id"] for r in truth["reps"]) == sorted(reps["id"])
    phones = read(engine, "SELECT phone FROM contacts")["phone"]
    assert phones.str.fullmatch(r"\+1-555-0\d{6}").all()
    assert phones.str.startswith("+1-555-00").any()  # leading zeros are kept


# ---- determinism, truth, refusal -------------------------------------------------------------


def table_hash(engine: sa.Engine, table: str) -> str:
    frame = read(engine, f"SELECT * FROM {table} ORDER BY id")
    return hashlib.sha256(
        pd.util.hash_pandas_object(frame, index=False).values.tobytes()
    ).hexdigest()


def test_deterministic(tmp_path: Path) -> None:
    hashes = []
    for name, seed in [("a", 3), ("b", 3), ("c", 4)]:
        engine = sa.create_engine(f"duckdb:///{tmp_path / name}.duckdb")
        seed_demo(engine, size="XS", seed=seed, end=END)
        hashes.append(
            [
                table_hash(engine, t)
                for t in (
                    "accounts",
                    "deals",
                    "deal_stage_history",
                    "activities",
                    "orders",
                    "order_items",
                )
            ]
        )
        engine.dispose()
    assert hashes[0] == hashes[1]
    assert all(x != y for x, y in zip(hashes[0], hashes[2], strict=True))


def test_truth(seeded) -> None:
    engine, _ = seeded
    assert is_demo_database(engine)
    truth = load_truth(engine)
    assert truth["generator"] == {
        "size": "XS",
        "seed": 7,
        "start": "2022-06-30",
        "end": "2025-06-30",
        "months": 36,
        "version": 1,
    }
    assert len(truth["seasonality"]) == 12
    assert truth["trend"]["annual_growth"] > 0
    for rep in truth["reps"]:
        assert 0 < rep["diligence"] < 1 and rep["activity_level"] > 0
        assert 0 < rep["base_win_prob"] < 1
    for key in (
        "regions",
        "lost_reasons_by_stage",
        "campaign_response",
        "win_model",
        "customers",
        "new_line",
    ):
        assert truth[key]

    def plain(value):
        return json.loads(json.dumps(value))

    assert truth["win_model"] == plain(WIN_MODEL)
    assert truth["seasonality"] == [round(float(x), 4) for x in SEASONALITY]
    assert truth["trend"] == {"annual_growth": ANNUAL_GROWTH}
    assert {k: truth["customers"][k] for k in LIFECYCLE} == plain(LIFECYCLE)
    assert truth["tickets"] == plain(TICKETS)
    assert truth["quotas"] == {"uplift": QUOTA_UPLIFT, "annual_growth": ANNUAL_GROWTH}
    assert truth["activities"]["mix"] == plain(ACTIVITY_MIX)
    assert truth["campaign_response"] == {
        ch: {"response_rate": v[0], "deal_conversion_of_responders": v[1], "response_label": v[3]}
        for ch, v in CHANNELS.items()
    }
    teams = read(engine, "SELECT region FROM teams")["region"]
    assert truth["regions"] == {
        r: {k: v for k, v in REGIONS[r].items() if k != "cities"} for r in teams
    }
    assert truth["lost_reasons_by_stage"]["no_reason_share"] == NO_REASON_SHARE
    assert truth["new_line"]["product_line"] == NEW_LINE
    n_deals = read(engine, "SELECT count(*) AS n FROM deals")["n"][0]
    assert sum(rep["deals"] for rep in truth["reps"]) == n_deals


def test_not_demo_database_is_refused(tmp_path: Path) -> None:
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'real.duckdb'}")
    assert not is_demo_database(engine)
    assert load_truth(engine) == {}
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO teams (id, name) VALUES (1, 'Real team')"))
    with pytest.raises(NotDemoDatabase, match="--force"):
        seed_demo(engine, size="XS", end=END)
    with engine.connect() as conn:  # untouched
        assert conn.execute(sa.text("SELECT name FROM teams")).scalars().all() == ["Real team"]
    report = seed_demo(engine, size="XS", end=END, force=True)
    assert report.row_counts["teams"] == 4 and is_demo_database(engine)
    # a demo database is reseeded without force, and sequences continue after the ids
    seen: list[tuple[float, str]] = []
    seed_demo(engine, size="XS", seed=1, end=END, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0 and fractions[-1] == 1
    assert "activities" in {m for _, m in seen}
    assert not sa.inspect(engine).has_table("kpi_plans")  # the app's tables are not here
    with engine.begin() as conn:
        deal_id = conn.execute(sa.text("SELECT nextval('deals_id_seq')")).scalar()
        assert deal_id == 1_501
    engine.dispose()


def test_refused_database_gains_no_tables(tmp_path: Path) -> None:
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'real.duckdb'}")
    teams = Base.metadata.tables["teams"]
    teams.create(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO teams (id, name) VALUES (1, 'Real team')"))
    with pytest.raises(NotDemoDatabase, match="the demo generator did not make: 1 row of teams"):
        seed_demo(engine, size="XS", end=END)
    assert sa.inspect(engine).get_table_names() == ["teams"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM teams")).scalars().all() == ["Real team"]
    engine.dispose()


def test_unknown_size() -> None:
    with pytest.raises(ValueError, match="XS, S, M, L"):
        seed_demo(sa.create_engine("sqlite://"), size="XXL")


@pytest.mark.services
@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_seed_on_servers(dialect: str, tmp_path: Path) -> None:
    url = url_for(dialect, tmp_path)
    engine = sa.create_engine(url)
    Base.metadata.drop_all(engine)
    try:
        report = seed_demo(engine, size="XS", seed=7, end=END, force=True)
        check_counts(report)
        assert load_truth(engine)["generator"]["seed"] == 7
        with engine.connect() as conn:
            won, orders = conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM deals WHERE status = 'won'), "
                    "(SELECT count(*) FROM orders WHERE deal_id IS NOT NULL)"
                )
            ).one()
        assert won == orders > 0
        if dialect == "postgresql":  # planner statistics were refreshed after the load
            with engine.connect() as conn:
                estimated = conn.execute(
                    sa.text("SELECT reltuples FROM pg_class WHERE relname = 'deals'")
                ).scalar_one()
            assert estimated == report.row_counts["deals"]
        with engine.begin() as conn:  # explicit ids were followed by a sequence move
            new_id = conn.execute(
                CRM_TABLES[0].insert().values(name="New team")
            ).inserted_primary_key[0]
        assert new_id == report.row_counts["teams"] + 1
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()


# ---- reseeding: what is lost, what is kept, one at a time (issue #14 item 7) ----------------


def _add_deal(engine: sa.Engine, deal_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO deals (id, account_id, owner_id, title, product_line, amount, "
                "currency, created_at, status, stage_id) VALUES (:id, 1, 5, 'Real deal', 'core', "
                "10, 'EUR', '2025-06-01', 'open', 1)"
            ),
            {"id": deal_id},
        )


def _plan_rows(app: sa.Engine) -> list[tuple[str, int, int | None]]:
    with app.connect() as conn:
        stmt = sa.select(PLANS.c.name, PLANS.c.version, PLANS.c.team_id)
        rows = conn.execute(stmt.order_by(PLANS.c.name, PLANS.c.version)).all()
    return [tuple(row) for row in rows]


def test_reseed_refuses_rows_added_after_the_seed(tmp_path: Path) -> None:
    engine = sa.create_engine(url_for("duckdb", tmp_path))
    seed_demo(engine, size="XS", seed=3, end=END)
    assert reseed_check(engine).losses() == ""
    _add_deal(engine, 9_001)  # beyond the generator's ids
    with engine.begin() as conn:  # a deleted row is no loss; a row changed in place is not seen
        conn.execute(sa.text("DELETE FROM activities WHERE id = 7"))
        conn.execute(sa.text("UPDATE deals SET title = 'Renamed' WHERE id = 2"))
    check = reseed_check(engine)
    assert check.foreign_rows == {"deals": 1}
    assert check.losses() == "Rows were added since the demo was seeded: 1 row of deals."
    with pytest.raises(NotDemoDatabase) as refused:
        seed_demo(engine, size="XS", seed=4, end=END)
    assert str(refused.value) == (
        f"Refused to seed {engine.url}. Rows were added since the demo was seeded: 1 row of "
        "deals. Seeding would delete them for good: use --force (force=True) to do so anyway, "
        "or point --url / CRM_DATABASE_URL at another database."
    )
    assert load_truth(engine)["generator"]["seed"] == 3  # untouched
    seed_demo(engine, size="XS", seed=4, end=END, force=True)
    assert reseed_check(engine).foreign_rows == {}
    engine.dispose()


def test_a_demo_seeded_without_the_record_cannot_be_checked(tmp_path: Path) -> None:
    engine = sa.create_engine(url_for("duckdb", tmp_path))
    seed_demo(engine, size="XS", seed=3, end=END)
    with engine.begin() as conn:  # as an older generator left it
        conn.execute(sa.text("DELETE FROM demo_truth WHERE key = 'loaded'"))
    check = reseed_check(engine)
    assert check.unverified and check.loses_data
    assert check.losses().startswith(
        "This demo database was seeded by an older version of the generator, which kept no "
        f"record of its rows: whether any of its {check.crm_rows:,} rows were added"
    )
    with pytest.raises(NotDemoDatabase):
        seed_demo(engine, size="XS", seed=3, end=END)
    engine.dispose()


def test_a_reseed_keeps_the_plans_and_adds_no_second_demo_plan(tmp_path: Path) -> None:
    """The plans live in the app database, which a reseed does not open: every plan keeps its
    key and versions, a plan of a team the new demo does not have stays (for no team), and the
    demo's plans of a quarter are made once."""
    engine = sa.create_engine(url_for("duckdb", tmp_path))
    seed_demo(engine, size="XS", seed=3, end=END)
    with app_databases(engine, tmp_path) as databases:
        assert make_plans(databases, END) == 4
        with databases.app.begin() as conn:  # an edited demo plan and a plan of a team XS lacks
            demo = conn.execute(sa.select(PLANS).where(PLANS.c.team_id == 2)).mappings().one()
            conn.execute(PLANS.insert(), [
                {**demo, "id": 10, "version": 2},
                {**demo, "id": 11, "plan_key": "far", "name": "Far away", "team_id": 9},
            ])  # fmt: skip
        APP_USERS.create(engine)  # a user of the previous layout, in the CRM database
        with engine.begin() as conn:
            user = {"id": 1, "email": "ann@example.com", "role": "exec", "active": True,
                    "created_at": END, "updated_at": END, "session_version": 0}  # fmt: skip
            conn.execute(APP_USERS.insert().values(**user))
        seed_demo(engine, size="XS", seed=8, end=END)  # the same quarter
        assert make_plans(databases, END) == 0
        assert _plan_rows(databases.app) == [
            ("East Sales Q2 2025", 1, 3), ("Far away", 1, 9), ("North Sales Q2 2025", 1, 1),
            ("South Sales Q2 2025", 1, 2), ("South Sales Q2 2025", 2, 2),
            ("West Sales Q2 2025", 1, 4),
        ]  # fmt: skip
        with engine.connect() as conn:  # the previous layout's table is left as it was
            assert conn.execute(sa.select(APP_USERS.c.email)).scalars().all() == ["ann@example.com"]
        seed_demo(engine, size="XS", seed=8, end=date(2025, 9, 30))  # the next quarter
        assert make_plans(databases, date(2025, 9, 30)) == 4
        assert len(_plan_rows(databases.app)) == 10
    engine.dispose()


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite", "postgresql", "mysql"])
def test_reseed_rebuilds_app_tables_that_reference_crm_tables(dialect: str, tmp_path: Path) -> None:
    """A CRM database of the previous layout made when the plan tables had foreign keys into
    teams and employees (which block dropping them on DuckDB, PostgreSQL and MariaDB): its
    plans survive the reseed, rows kept, for the app to import (``appdb.previous_layout``)."""
    engine = sa.create_engine(url_for(dialect, tmp_path))
    Base.metadata.drop_all(engine)
    try:
        seed_demo(engine, size="XS", seed=3, end=END, force=True)
        old = sa.MetaData()
        for table in CRM_TABLES:
            table.to_metadata(old)
        plan, item, target, view = (table.to_metadata(old) for table in PREVIOUS_APP_TABLES)
        plan.append_constraint(sa.ForeignKeyConstraint(["team_id"], ["teams.id"]))
        item.append_constraint(sa.ForeignKeyConstraint(["plan_id"], ["kpi_plans.id"]))
        target.append_constraint(sa.ForeignKeyConstraint(["item_id"], ["kpi_plan_items.id"]))
        target.append_constraint(sa.ForeignKeyConstraint(["employee_id"], ["employees.id"]))
        old.create_all(engine, tables=[plan, item, target, view])
        with engine.begin() as conn:
            conn.execute(
                plan.insert().values(
                    id=7, plan_key="real", version=1, name="Real plan", team_id=2,
                    period_start=date(2025, 4, 1), period_end=date(2025, 7, 1),
                    created_at=datetime(2025, 5, 1), on_target_bonus=100.0,
                )
            )  # fmt: skip
            conn.execute(item.insert().values(id=8, plan_id=7, metric_key="won_deals", weight=1,
                                              threshold=0.0))  # fmt: skip
            conn.execute(target.insert().values(id=9, item_id=8, employee_id=5, target=6.0))
        seed_demo(engine, size="XS", seed=4, end=END)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT * FROM kpi_targets")).all() == [(9, 8, 5, 6.0)]
            assert conn.execute(sa.text("SELECT id, name FROM kpi_plans")).all() == [
                (7, "Real plan")
            ]
    finally:
        with engine.begin() as conn:
            for table in reversed(PREVIOUS_APP_TABLES):
                table.drop(conn, checkfirst=True)
        Base.metadata.drop_all(engine)
        engine.dispose()


@pytest.mark.parametrize("dialect", ["duckdb", "postgresql"])
def test_one_seeding_at_a_time(dialect: str, tmp_path: Path) -> None:
    engine = sa.create_engine(url_for(dialect, tmp_path))
    Base.metadata.drop_all(engine)
    started, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hold(fraction: float, message: str) -> None:
        if message == "generating people":
            started.set()
            release.wait(60)

    def first_seed() -> None:
        try:
            seed_demo(engine, size="XS", end=END, force=True, progress=hold, by="ann (Data page)")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    first = threading.Thread(target=first_seed)
    first.start()
    try:
        assert started.wait(60)
        running = running_seed(engine)
        assert running is not None and running.started_by == "ann (Data page)"
        with pytest.raises(SeedingInProgress) as refused:
            seed_demo(engine, size="XS", end=END, force=True, by="bob")
        message = str(refused.value)
        assert message.startswith("A seeding is already running on this database, started at ")
        assert f"{running.started_at:%Y-%m-%d %H:%M} UTC by ann (Data page). Wait for it" in message
    finally:
        release.set()
        first.join(120)
    assert not failures and not first.is_alive()
    assert running_seed(engine) is None  # released
    report = seed_demo(engine, size="XS", end=END, by="bob")  # now it may
    assert report.row_counts["teams"] == 4
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
    engine.dispose()


def test_an_abandoned_seeding_does_not_block_for_ever(tmp_path: Path) -> None:
    engine = sa.create_engine(url_for("duckdb", tmp_path))
    SEED_LOCK.create(engine)
    long_ago = datetime(2025, 1, 1, 9, 0)
    with engine.begin() as conn:  # a killed seeding's lock, last progress long ago
        conn.execute(
            SEED_LOCK.insert().values(
                id=1, token="x", started_by="cli", started_at=long_ago, heartbeat_at=long_ago
            )
        )
    assert running_seed(engine) is None
    assert seed_demo(engine, size="XS", end=END).row_counts["teams"] == 4
    engine.dispose()
