"""The Overview report against plain SQL written independently of the query layer, on a fresh S
demo database, for everyone and for one rep."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from reports.overview import overview_report
from tests.support.databases import demo_fixture

START, END = date(2026, 1, 1), date(2026, 4, 1)  # Q1 2026, as of 1 Apr 2026 (midnight)
AS_OF = datetime(2026, 4, 1)


engine = demo_fixture("overview", seed=7, end=date(2026, 6, 30))


def scalar(engine: sa.Engine, sql: str, **params: object) -> float:
    with engine.connect() as conn:
        return float(conn.execute(sa.text(sql), {"as_of": AS_OF, **params}).scalar_one() or 0)


OWNED = "AND owner_id = :rep"


def expected(engine: sa.Engine, rep: int | None) -> dict[str, float]:
    """Every KPI of Q1 2026 from plain SQL (``rep``: only that rep's rows)."""
    deals = OWNED if rep else ""
    accounts = "AND a.owner_id = :rep" if rep else ""
    p = {"s": START, "e": END, "rep": rep, "d14": AS_OF - timedelta(days=14),
         "d90": AS_OF - timedelta(days=90)}  # fmt: skip
    won = scalar(engine, f"SELECT count(*) FROM deals WHERE status='won' AND closed_at >= :s "
                         f"AND closed_at < :e {deals}", **p)  # fmt: skip
    lost = scalar(engine, f"SELECT count(*) FROM deals WHERE status='lost' AND closed_at >= :s "
                          f"AND closed_at < :e {deals}", **p)  # fmt: skip
    revenue = scalar(engine, f"SELECT sum(amount) FROM deals WHERE status='won' AND "
                             f"closed_at >= :s AND closed_at < :e {deals}", **p)  # fmt: skip
    open_now = "created_at < :as_of AND (closed_at IS NULL OR closed_at >= :as_of)"
    # a deal's amount in the pipeline is the amount of its last stage change before as_of
    last_amount = (
        "(SELECT h.amount FROM deal_stage_history h WHERE h.deal_id = d.id AND h.entered_at "
        "< :as_of ORDER BY h.entered_at DESC, h.id DESC LIMIT 1)"
    )
    # customers: an order or a won deal before as_of; first purchase = first order, else won
    firsts = f"""
        SELECT a.id,
          (SELECT min(ordered_at) FROM orders o WHERE o.account_id = a.id
             AND o.ordered_at < :as_of) AS first_order,
          (SELECT min(closed_at) FROM deals d WHERE d.account_id = a.id AND d.status = 'won'
             AND d.closed_at < :as_of) AS first_won,
          (SELECT max(ordered_at) FROM orders o WHERE o.account_id = a.id
             AND o.ordered_at < :as_of) AS last_order,
          (SELECT max(done_at) FROM activities t WHERE t.account_id = a.id AND t.status = 'done'
             AND t.done_at < :as_of) AS last_activity,
          (SELECT count(*) FROM deals d WHERE d.account_id = a.id AND d.created_at < :as_of
             AND (d.closed_at IS NULL OR d.closed_at >= :as_of)) AS open_deals
        FROM accounts a WHERE true {accounts}
    """
    return {
        "won_deals": won,
        "won_revenue": revenue,
        "win_rate": won / (won + lost),
        "new_deals": scalar(
            engine,
            f"SELECT count(*) FROM deals WHERE created_at >= :s AND created_at < :e {deals}",
            **p,
        ),
        "open_pipeline": scalar(
            engine, f"SELECT sum({last_amount}) FROM deals d WHERE {open_now} {deals}", **p
        ),
        "active_conversations": scalar(
            engine,
            f"SELECT count(*) FROM deals d WHERE {open_now} {deals} AND EXISTS (SELECT 1 FROM "
            "activities t WHERE t.deal_id = d.id AND t.status = 'done' AND t.done_at >= :d14 "
            "AND t.done_at < :as_of)",
            **p,
        ),
        "new_clients": scalar(
            engine,
            f"SELECT count(*) FROM ({firsts}) c WHERE coalesce(first_order, first_won) >= :s "
            "AND coalesce(first_order, first_won) < :e",
            **p,
        ),
        "forgotten_clients": scalar(
            engine,
            f"SELECT count(*) FROM ({firsts}) c WHERE coalesce(first_order, first_won) IS NOT "
            "NULL AND open_deals = 0 AND coalesce(last_order, first_won) < :d90 "
            "AND (last_activity IS NULL OR last_activity < :d90)",
            **p,
        ),
    }


@pytest.mark.parametrize("who", ["everyone", "rep"])
def test_overview_kpis_equal_plain_sql(engine: sa.Engine, who: str) -> None:
    rep = None
    scope = Scope.everyone()
    if who == "rep":
        rep = int(scalar(engine, "SELECT min(id) FROM employees WHERE role = 'rep'"))
        scope = Scope.rep(rep)
    report = overview_report(engine, Filters(START, END), scope)
    values = expected(engine, rep)
    for key, value in values.items():
        assert report.kpi(key).value == pytest.approx(value), key
    assert all(values[k] > 0 for k in ("won_deals", "open_pipeline", "active_conversations"))
    if who == "everyone":  # enough customers for both client counts to mean something
        assert values["new_clients"] > 10 and values["forgotten_clients"] > 10


def test_a_rep_cannot_drill_into_another_reps_deal(engine: sa.Engine) -> None:
    from reports.deal_detail import deal_detail

    rep = int(scalar(engine, "SELECT min(id) FROM employees WHERE role = 'rep'"))
    own = int(scalar(engine, "SELECT min(id) FROM deals WHERE owner_id = :rep", rep=rep))
    other = int(scalar(engine, "SELECT min(id) FROM deals WHERE owner_id <> :rep", rep=rep))
    mine = deal_detail(engine, Scope.rep(rep), own)
    assert mine.found and not mine.history.empty
    assert len(mine.history) == scalar(
        engine, "SELECT count(*) FROM deal_stage_history WHERE deal_id = :d", d=own
    )
    theirs = deal_detail(engine, Scope.rep(rep), other)
    assert not theirs.found and theirs.history.empty and theirs.activities.empty
    assert deal_detail(engine, Scope.everyone(), other).found


def test_open_deals_and_an_empty_period(engine: sa.Engine) -> None:
    report = overview_report(engine, Filters(START, END), Scope.everyone())
    open_sql = scalar(
        engine,
        "SELECT count(*) FROM deals d WHERE created_at < :as_of AND (closed_at IS NULL OR "
        "closed_at >= :as_of) AND EXISTS (SELECT 1 FROM deal_stage_history h WHERE "
        "h.deal_id = d.id AND h.entered_at < :as_of)",
    )
    assert report.open_deals == open_sql > 0 and report.has_revenue
    # the demo history starts in mid 2023: nothing was open or won in 2020 or the year before
    empty = overview_report(engine, Filters(date(2020, 1, 1), date(2021, 1, 1)), Scope.everyone())
    assert empty.open_deals == 0 and not empty.has_revenue
    assert empty.won.empty and empty.stuck_count == empty.overdue_count == 0
    assert math.isnan(empty.kpi("win_rate").value)  # no closed deal: undefined, not 0
