"""Access scope of the Performance page's reports, and their numbers against plain SQL.

An S demo database (seed 5, data up to 30 Jun 2026, as ``tests/test_rep_metrics.py``) is seeded
once per module and dialect: DuckDB, and SQLite in the slow tier (seeding S into SQLite takes
about 5 s).  The period is July 2025 to June 2026.

Team 3 (East Sales, head 17) has reps 18 to 23, and all six closed deals in the period (rep 20
left in August 2025, rep 21 joined in September).  The rep looked at, 22, is "Henry Smith (#22)":
rep 5 of team 1 has the same name, so owners are checked by id, never by name.  The head's
win-rate board is not pooled (the team's shrunk rates differ), so "the rep's shrunk value is the
one on the head's board" is a real check.  A rep is compared with their team
(``peer_scope``), but only their own row and team aggregates may leave the reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.demo import seed_demo
from crm_data.filters import Filters, Scope
from crm_data.queries.rep_spread import satisfaction_moments, won_deal_moments
from reports.catalogue import metric
from reports.performance import (
    BOARD_KEYS,
    MIN_PEERS,
    activity_outcome,
    quota_attainment,
    rep_board,
    team_board,
    weak_spots,
)
from reports.rep_profile import PROFILE_ROWS, rep_profile, visible_rep
from tests.support.databases import fresh_engine

FILTERS = Filters(date(2025, 7, 1), date(2026, 7, 1))
TEAM, REP = 3, 22
#: A colleague of REP in TEAM, a rep of another team, an executive without a team, a service
#: agent (without a team, rated tickets in the period) and an id nobody has.
COLLEAGUE, OTHER_TEAM_REP, EXECUTIVE, SERVICE_AGENT, NOBODY = 23, 5, 1, 32, 999

#: Won and lost deals closed in the period (``d`` the deals table).
CLOSED = "d.status IN ('won', 'lost') AND d.closed_at >= :start AND d.closed_at < :end"
WON = "d.status = 'won' AND d.closed_at >= :start AND d.closed_at < :end"


@pytest.fixture(scope="module", params=["duckdb", pytest.param("sqlite", marks=pytest.mark.slow)])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    with fresh_engine(request.param, tmp_path_factory.mktemp(request.param)) as engine:
        seed_demo(engine, size="S", seed=5, end=date(2026, 7, 1))
        yield engine


def bind_type(value: Any) -> sa.types.TypeEngine[Any] | None:
    """Timestamps as ``DateTime``, dates as ``Date``: SQLite compares them in its storage
    format."""
    if isinstance(value, datetime):
        return sa.DateTime()
    return sa.Date() if isinstance(value, date) else None


def query(engine: sa.Engine, sql: str, **values: Any) -> list[tuple[Any, ...]]:
    """Rows of ``sql``; ``:start`` and ``:end`` are the period's bounds (timestamps)."""
    values = {"start": FILTERS.start_ts, "end": FILTERS.end_ts, **values}
    binds = [
        sa.bindparam(name, value, type_=bind_type(value))
        for name, value in values.items()
        if f":{name}" in sql
    ]
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql).bindparams(*binds)).all()]


def team_closed(engine: sa.Engine) -> tuple[int, int, int]:
    """Won deals, closed deals and reps with a closed deal of TEAM in the period."""
    ((won, closed, reps),) = query(
        engine,
        "SELECT sum(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END), count(*), "
        "count(DISTINCT d.owner_id) FROM deals d JOIN employees e ON e.id = d.owner_id "
        f"WHERE e.team_id = :team AND {CLOSED}",
        team=TEAM,
    )
    return int(won), int(closed), int(reps)


def owners_of_deals(engine: sa.Engine, ids: list[int]) -> set[int]:
    sql = f"SELECT DISTINCT owner_id FROM deals WHERE id IN ({', '.join(map(str, ids))})"
    return {int(owner) for (owner,) in query(engine, sql)}


def owners_of_accounts(engine: sa.Engine, ids: list[int]) -> set[int]:
    sql = f"SELECT DISTINCT owner_id FROM accounts WHERE id IN ({', '.join(map(str, ids))})"
    return {int(owner) for (owner,) in query(engine, sql)}


# ---- the leaderboard ---------------------------------------------------------------------------


def test_a_rep_sees_their_own_row_against_their_team(engine: sa.Engine) -> None:
    mine = rep_board(engine, FILTERS, Scope.rep(REP), "win_rate")
    head = rep_board(engine, FILTERS, Scope.head(TEAM), "win_rate")
    won, closed, reps = team_closed(engine)
    assert reps == 6
    # one row, the rep's own; the team's aggregates over all six reps
    assert mine.table["rep_id"].tolist() == [REP]
    assert mine.table["name"].tolist() == ["Henry Smith (#22)"]
    assert mine.reps == reps == head.reps == len(head.table)
    assert mine.team_size == closed == head.team_size
    assert mine.team_value == pytest.approx(won / closed, abs=1e-12)
    assert head.team_value == pytest.approx(won / closed, abs=1e-12)
    assert (mine.raw_range, mine.shrunk_range) == (head.raw_range, head.shrunk_range)
    # the head's board holds the team's reps with closed deals, and is not pooled
    team_owners = query(
        engine,
        f"SELECT DISTINCT d.owner_id FROM deals d JOIN employees e ON e.id = d.owner_id "
        f"WHERE e.team_id = :team AND {CLOSED}",
        team=TEAM,
    )
    assert set(head.table["rep_id"]) == {int(owner) for (owner,) in team_owners}
    assert not head.pooled and head.shrunk_range[1] - head.shrunk_range[0] > 0.1
    # the rep's raw numbers are their deals', the shrunk ones those of the head's board
    ((rep_won, rep_closed),) = query(
        engine,
        f"SELECT sum(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END), count(*) FROM deals d "
        f"WHERE d.owner_id = :rep AND {CLOSED}",
        rep=REP,
    )
    own = mine.table.iloc[0]
    assert own["size"] == rep_closed
    assert own["value"] == pytest.approx(rep_won / rep_closed, abs=1e-12)
    theirs = head.table.set_index("rep_id").loc[REP]
    for column in ("value", "value_low", "value_high", "shrunk", "shrunk_low", "shrunk_high",
                   "p_above_team", "previous"):  # fmt: skip
        assert own[column] == pytest.approx(theirs[column], rel=1e-12), column
    for column in ("size", "rank", "rank_low", "rank_high", "team"):
        assert own[column] == theirs[column], column


def test_a_reps_weak_spot_quota_and_team_are_their_own(engine: sa.Engine) -> None:
    rep, head = Scope.rep(REP), Scope.head(TEAM)
    spots = weak_spots(engine, FILTERS, rep)
    assert spots["rep_id"].tolist() == [REP]
    # judged against the same team totals as on the head's page
    team_spots = weak_spots(engine, FILTERS, head).set_index("rep_id")
    assert set(team_spots.index) == {18, 19, 20, 21, 22, 23}
    pd.testing.assert_series_equal(
        spots.set_index("rep_id").loc[REP], team_spots.loc[REP], check_names=False
    )
    quotas = quota_attainment(engine, FILTERS, rep)
    assert quotas["rep_id"].tolist() == [REP]
    teams = team_board(engine, FILTERS, rep)
    ((name,),) = query(engine, "SELECT name FROM teams WHERE id = :team", team=TEAM)
    won, closed, _ = team_closed(engine)
    assert teams["team"].tolist() == [name] == ["East Sales"]
    assert teams[["closed", "won"]].iloc[0].tolist() == [closed, won]
    assert teams["win_rate"].iloc[0] == pytest.approx(won / closed, abs=1e-12)
    # everyone sees every team, the rep's among them with the same numbers
    everyone = team_board(engine, FILTERS, Scope.everyone()).set_index("team")
    assert len(everyone) == 4
    assert everyone.loc[name, ["closed", "won"]].tolist() == [closed, won]


def test_quota_attainment_equals_plain_sql(engine: sa.Engine) -> None:
    """Quota: Σ revenue_target of the quotas whose period lies inside the period; won: Σ amount
    of the deals won in it; attainment won / quota; gap quota − won, at least 0."""
    team = quota_attainment(engine, FILTERS, Scope.head(TEAM)).set_index("rep_id")
    with_quota = query(
        engine,
        "SELECT q.employee_id, sum(q.revenue_target) FROM quotas q JOIN employees e "
        "ON e.id = q.employee_id WHERE e.team_id = :team AND q.period_start >= :first "
        "AND q.period_end <= :last GROUP BY q.employee_id",
        team=TEAM,
        first=FILTERS.start,
        last=FILTERS.end,
    )
    quotas = {int(rep): float(quota) for rep, quota in with_quota}
    assert set(team.index) == set(quotas) and REP in quotas
    for rep_id, quota in quotas.items():
        ((won,),) = query(
            engine, f"SELECT coalesce(sum(d.amount), 0) FROM deals d WHERE d.owner_id = :rep "
            f"AND {WON}", rep=rep_id
        )  # fmt: skip
        row = team.loc[rep_id]
        assert row["quota"] == pytest.approx(quota, rel=1e-12), rep_id
        assert row["won_amount"] == pytest.approx(float(won), rel=1e-12), rep_id
        assert row["attainment"] == pytest.approx(float(won) / quota, rel=1e-12), rep_id
        assert row["gap"] == pytest.approx(max(quota - float(won), 0.0), abs=1e-6), rep_id
    assert (team["gap"] > 0).any() and (team["gap"] == 0).any()
    assert team["attainment"].is_monotonic_decreasing
    # the rep's own table: their row, the same numbers
    mine = quota_attainment(engine, FILTERS, Scope.rep(REP)).iloc[0]
    assert mine["quota"] == pytest.approx(quotas[REP], rel=1e-12)
    assert mine[["won_amount", "attainment", "gap"]].tolist() == pytest.approx(
        team.loc[REP, ["won_amount", "attainment", "gap"]].tolist(), rel=1e-12
    )


# ---- the rep profile ---------------------------------------------------------------------------


def test_who_may_open_whose_profile(engine: sa.Engine) -> None:
    rep, head = Scope.rep(REP), Scope.head(TEAM)
    for other in (COLLEAGUE, OTHER_TEAM_REP, NOBODY):
        with pytest.raises(PermissionError, match=f"employee {other}"):
            rep_profile(engine, FILTERS, rep, other)
        assert visible_rep(engine, rep, other) == REP
    assert visible_rep(engine, rep, None) == REP
    assert visible_rep(engine, head, OTHER_TEAM_REP) is None
    assert visible_rep(engine, head, NOBODY) is None
    assert visible_rep(engine, head, COLLEAGUE) == COLLEAGUE
    with pytest.raises(PermissionError):
        rep_profile(engine, FILTERS, head, OTHER_TEAM_REP)
    assert visible_rep(engine, Scope.everyone(), OTHER_TEAM_REP) == OTHER_TEAM_REP


def test_a_head_asking_for_an_employee_without_a_team_gets_none(engine: sa.Engine) -> None:
    head = Scope.head(TEAM)
    assert visible_rep(engine, head, EXECUTIVE) is None
    assert visible_rep(engine, head, SERVICE_AGENT) is None
    with pytest.raises(PermissionError):
        rep_profile(engine, FILTERS, head, SERVICE_AGENT)


def test_profile_lists_hold_only_the_reps_deals_and_clients(engine: sa.Engine) -> None:
    counts = set()
    for viewer in (Scope.rep(REP), Scope.head(TEAM), Scope.everyone()):
        profile = rep_profile(engine, FILTERS, viewer, REP)
        assert profile.rep_id == REP and profile.team == "East Sales"
        assert 0 < len(profile.stuck) == profile.stuck_count < PROFILE_ROWS
        assert 0 < len(profile.forgotten) == profile.forgotten_count < PROFILE_ROWS
        assert owners_of_deals(engine, profile.stuck["deal_id"].astype(int).tolist()) == {REP}
        accounts = profile.forgotten["account_id"].astype(int).tolist()
        assert owners_of_accounts(engine, accounts) == {REP}
        assert profile.weak_spot is not None and profile.weak_spot["rep_id"] == REP
        assert profile.quota is not None and profile.quota["rep_id"] == REP
        counts.add((profile.stuck_count, profile.forgotten_count))
    assert len(counts) == 1  # every viewer who may open it sees the same lists


# ---- per-rep moments ---------------------------------------------------------------------------


def test_won_deal_moments_equal_plain_sql(engine: sa.Engine) -> None:
    rows = query(
        engine, f"SELECT d.amount, d.created_at, d.closed_at FROM deals d WHERE "
        f"d.owner_id = :rep AND {WON}", rep=REP
    )  # fmt: skip
    deals = pd.DataFrame(rows, columns=["amount", "created_at", "closed_at"])
    cycle = (
        pd.to_datetime(deals["closed_at"]) - pd.to_datetime(deals["created_at"])
    ).dt.total_seconds() / 86_400
    ((count, total, squares),) = query(
        engine, f"SELECT count(*), sum(d.amount), sum(d.amount * d.amount) FROM deals d WHERE "
        f"d.owner_id = :rep AND {WON}", rep=REP
    )  # fmt: skip
    assert count == len(deals) > 50
    everyone = won_deal_moments(engine, FILTERS, Scope.everyone()).set_index("employee_id")
    mine = won_deal_moments(engine, FILTERS, Scope.rep(REP))
    assert mine["employee_id"].tolist() == [REP]
    for moments in (everyone.loc[REP], mine.set_index("employee_id").loc[REP]):
        assert moments["won"] == count
        assert moments["amount_sum"] == pytest.approx(float(total), rel=1e-12)
        assert moments["amount_sq"] == pytest.approx(float(squares), rel=1e-12)
        assert moments["cycle_sum"] == pytest.approx(cycle.sum(), rel=1e-9)
        assert moments["cycle_sq"] == pytest.approx((cycle**2).sum(), rel=1e-9)
    # every owner's count is their number of won deals
    owners = query(engine, f"SELECT d.owner_id, count(*) FROM deals d WHERE {WON} "
                           f"GROUP BY d.owner_id")  # fmt: skip
    assert everyone["won"].to_dict() == {int(owner): int(n) for owner, n in owners}


def test_satisfaction_moments_equal_plain_sql(engine: sa.Engine) -> None:
    ((rated, total, squares),) = query(
        engine,
        "SELECT count(*), sum(satisfaction), sum(satisfaction * satisfaction) FROM tickets "
        "WHERE assignee_id = :agent AND resolved_at >= :start AND resolved_at < :end AND "
        "satisfaction IS NOT NULL",
        agent=SERVICE_AGENT,
    )
    assert rated > 50
    moments = satisfaction_moments(engine, FILTERS, Scope.everyone()).set_index("employee_id")
    assert set(moments.index) == {32, 33, 34, 35}
    row = moments.loc[SERVICE_AGENT]
    assert (row["rated"], row["score_sum"], row["score_sq"]) == (rated, total, squares)


def test_activity_outcome_for_a_rep_and_a_head(engine: sa.Engine) -> None:
    """Activities per won deal against SQL; a rep gets their own row, no quartile mix (it would
    be a colleague or two), and the team's ratio over the whole team."""
    done = "a.status = 'done' AND a.done_at >= :start AND a.done_at < :end"
    ((activities,),) = query(engine, f"SELECT count(*) FROM activities a WHERE {done} AND "
                                     "a.employee_id = :rep", rep=REP)  # fmt: skip
    ((won,),) = query(engine, f"SELECT count(*) FROM deals d WHERE {WON} AND d.owner_id = :rep",
                      rep=REP)  # fmt: skip
    mine = activity_outcome(engine, FILTERS, Scope.rep(REP))
    assert mine.mix.empty
    assert mine.per_won["rep_id"].tolist() == [REP]
    row = mine.per_won.iloc[0]
    assert (row["activities"], row["won"]) == (activities, won)
    assert row["per_won_deal"] == pytest.approx(activities / won)
    head = activity_outcome(engine, FILTERS, Scope.head(TEAM))
    assert mine.team_per_won == pytest.approx(head.team_per_won)
    assert len(head.per_won) == team_closed(engine)[2]
    assert head.team_per_won == pytest.approx(
        head.per_won["activities"].sum() / head.per_won["won"].sum()
    )
    assert set(head.mix["quartile"]) == {"top", "bottom"}
    for _quartile, shares in head.mix.groupby("quartile")["share"]:
        assert shares.sum() == pytest.approx(1.0)


def test_quota_attainment_counts_the_quotas_months_only(engine: sa.Engine) -> None:
    """A period ending mid-quarter holds the whole quarters' quotas only, and is held against the
    revenue of those quarters: 1 Jul 2025 – 15 Jun 2026 keeps Q3 2025 to Q1 2026."""
    period = Filters(date(2025, 7, 1), date(2026, 6, 15))
    row = quota_attainment(engine, period, Scope.rep(REP)).iloc[0]
    assert (row["quota_start"].date(), row["quota_end"].date()) == (
        date(2025, 7, 1), date(2026, 4, 1)
    )  # fmt: skip
    quarters = Filters(date(2025, 7, 1), date(2026, 4, 1))
    ((won,),) = query(
        engine, "SELECT coalesce(sum(d.amount), 0) FROM deals d WHERE d.owner_id = :rep AND "
        "d.status = 'won' AND d.closed_at >= :first AND d.closed_at < :last", rep=REP,
        first=quarters.start_ts, last=quarters.end_ts,
    )  # fmt: skip
    ((quota,),) = query(
        engine, "SELECT sum(revenue_target) FROM quotas WHERE employee_id = :rep AND "
        "period_start >= :first AND period_end <= :last", rep=REP, first=period.start,
        last=period.end,
    )  # fmt: skip
    assert row["won_amount"] == pytest.approx(float(won), rel=1e-12)
    assert row["attainment"] == pytest.approx(float(won) / float(quota), rel=1e-12)


def test_profile_cards_set_the_rep_against_the_team(engine: sa.Engine) -> None:
    """The profile's closed-deal cards: the rep's counts and the team's pooled win rate, by SQL."""
    profile = rep_profile(engine, FILTERS, Scope.rep(REP), REP)
    ((won, closed),) = query(
        engine, "SELECT sum(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END), count(*) FROM deals d "
        f"WHERE d.owner_id = :rep AND {CLOSED}", rep=REP,
    )  # fmt: skip
    rep, team = profile.closed.loc["rep"], profile.closed.loc["team"]
    assert (rep["won"], rep["closed"]) == (won, closed)
    assert rep["win_rate"] == pytest.approx(won / closed)
    team_won, team_closed_deals, _reps = team_closed(engine)
    assert team["win_rate"] == pytest.approx(team_won / team_closed_deals)
    assert team["closed"] == team_closed_deals
    assert rep["closed_per_rep"] == closed
    assert team["closed_per_rep"] == pytest.approx(team_closed_deals / profile.team_reps)


def test_every_metric_of_the_leaderboard(engine: sa.Engine) -> None:
    """Every metric the page offers ranks the reps: best first in the metric's direction, a
    sample size wherever one stands behind the values; stuck deals rank the fewest first."""
    for key in BOARD_KEYS:
        board = rep_board(engine, FILTERS, Scope.everyone(), key)
        assert board.reps > 0 and len(board.table) == board.reps, key
        values = board.table["value"].to_numpy()
        ranks = board.table["rank"].to_numpy(dtype="float64")
        assert (ranks == np.sort(ranks)).all(), key
        if board.kind == "total":  # ranked by the raw value, in the metric's direction
            ordered = values if metric(key).higher_is_better else -values
            assert (np.diff(ordered) <= 1e-9).all(), key
        assert board.sized == (board.table["size"] > 0).all(), key
    stuck = rep_board(engine, FILTERS, Scope.everyone(), "stuck_deals").table
    assert stuck["value"].iloc[0] == stuck["value"].min()


def test_a_rep_in_a_small_team_sees_no_spread(engine: sa.Engine) -> None:
    """In a team of fewer than MIN_PEERS reps the range's ends would be colleagues' values:
    a rep gets none, their head does."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT d.owner_id FROM deals d JOIN employees e ON e.id = d.owner_id "
            "WHERE d.status IN ('won', 'lost') AND d.closed_at >= :start AND d.closed_at < :end "
            "AND e.team_id = :team GROUP BY d.owner_id ORDER BY d.owner_id"
        ), {"start": FILTERS.start_ts, "end": FILTERS.end_ts, "team": TEAM}).all()  # fmt: skip
    two = Filters(FILTERS.start, FILTERS.end, reps=(int(rows[0][0]), int(rows[1][0])))
    mine = rep_board(engine, two, Scope.rep(int(rows[0][0])), "win_rate")
    head = rep_board(engine, two, Scope.head(TEAM), "win_rate")
    assert mine.reps == head.reps == 2 < MIN_PEERS
    assert np.isnan(mine.raw_range).all() and np.isnan(mine.shrunk_range).all()
    assert np.isfinite(head.raw_range).all()
