"""Property test: no filter can widen a scope, in any query function, on any dialect.

For random ``Filters`` (reps, teams, regions, segments, product lines, pipeline, period and
as_of; lists freely include other reps' and unknown ids) a rep's scope only ever returns the
rep's own rows, and a head's scope only rows of the head's team.  Frames without an owner column
are checked through amounts: every deal and order amount is a distinct power of two, so a sum
tells exactly which rows went into it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_data.filters import Filters, Scope
from crm_data.queries import (
    activities_by_rep_type_period,
    customer_summary,
    deals_closed,
    open_pipeline_by_stage,
    orders_by_month,
    pipeline_snapshots,
    stage_high_water_marks,
    stage_visits,
    stuck_deal_candidates,
)
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import DIALECTS, fresh_engine

TEAMS = {1: (10, 11, 12), 2: (20, 21, 22)}  # team -> members (head first)
EMPLOYEES = [e for members in TEAMS.values() for e in members]
REPS = [11, 12, 21, 22]
REGIONS = ["North", "South", "West"]
SEGMENTS = ["small", "large"]
LINES = ["core", "new"]
START = datetime(2024, 1, 1)


def build() -> tuple[CrmBuilder, dict[int, int | None], dict[int, int | None]]:
    """The data, plus the owner of every deal and of every order (through its account)."""
    b = CrmBuilder()
    for team, members in TEAMS.items():
        b.team(team, head_id=members[0])
        for emp in members:
            b.employee(emp, team_id=team, role="head" if emp == members[0] else "rep")
    b.employee(30, team_id=None, role="exec")
    for pos, (name, prob) in enumerate([("Lead", 0.1), ("Qual", 0.3), ("Prop", 0.6)], start=1):
        b.stage(pos, pos, name, probability=prob, rot_days=10)
    b.stage(4, 4, "Won", probability=1.0, is_won=True)
    b.stage(5, 5, "Lost", is_lost=True)
    b.stage(6, 1, "P-Intro", pipeline="partner", probability=0.2)
    b.product(1, "core")
    b.product(2, "new", is_new_line=True)

    account_owner: dict[int, int | None] = {}
    owners: list[int | None] = [*EMPLOYEES, None]
    for i, owner in enumerate(owners):
        for k in range(2):
            account = 100 + 2 * i + k
            account_owner[account] = owner
            b.account(account, owner, region=REGIONS[(i + k) % 3], size_band=SEGMENTS[k])

    deal_owner: dict[int, int | None] = {}
    paths = [[1, 2, 3], [1, 3, 2, 4], [2, 5], [1, 2, 1], [6], [1, 3, 4]]
    deal_id = 0
    for i, owner in enumerate(EMPLOYEES):
        for j, path in enumerate(paths):
            deal_id += 1
            deal_owner[deal_id] = owner
            created = START + timedelta(days=7 * j + i, hours=i)
            amount = float(2**deal_id)
            history = [(s, created + timedelta(days=9 * n), amount) for n, s in enumerate(path)]
            last = path[-1]
            closed = history[-1][1] if last in (4, 5) else None
            status = {4: "won", 5: "lost"}.get(last, "open")
            account = 100 + 2 * EMPLOYEES.index(owner) + j % 2
            b.deal(deal_id, owner, account, history, status=status, closed_at=closed,
                   product_line=LINES[j % 2])  # fmt: skip
            # an activity by the owner, one by a rep of the other team on this deal
            other = REPS[(REPS.index(owner) + 2) % 4] if owner in REPS else 30
            b.activity(2 * deal_id, owner, "call", "done", done_at=created + timedelta(days=3),
                       deal_id=deal_id, account_id=account, duration_min=10.0)  # fmt: skip
            b.activity(2 * deal_id + 1, other, "meeting", "planned",
                       due_at=created + timedelta(days=60), deal_id=deal_id,
                       account_id=account)  # fmt: skip

    order_owner: dict[int, int | None] = {}
    for n, (account, owner) in enumerate(account_owner.items(), start=1):
        for k in range(2):
            order_id = 2 * n + k
            order_owner[order_id] = owner
            when = START + timedelta(days=20 * k + n, hours=3)
            b.order(order_id, account, when, [(1 + (n + k) % 2, 1, float(2**order_id))])
    return b, deal_owner, order_owner


BUILDER, DEAL_OWNER, ORDER_OWNER = build()


@pytest.fixture(scope="module", params=DIALECTS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with fresh_engine(request.param, tmp_path_factory.mktemp(f"scope_{request.param}")) as eng:
        yield BUILDER.load(eng)


def decode(total: float) -> set[int]:
    """The exponents of the powers of two that sum to ``total``."""
    bits = round(float(total))
    return {i for i in range(bits.bit_length()) if bits >> i & 1}


months = st.sampled_from([date(2024, m, 1) for m in range(1, 8)])


@st.composite
def filters_strategy(draw: st.DrawFn) -> Filters:
    start = draw(months)
    end = draw(months.filter(lambda d: d > start)) if start < date(2024, 7, 1) else None
    end = end or date(2024, 8, 1)
    as_of = draw(st.one_of(st.none(), months))
    return Filters(
        start,
        end,
        reps=tuple(draw(st.lists(st.sampled_from([*EMPLOYEES, 30, 99]), max_size=3))),
        teams=tuple(draw(st.lists(st.sampled_from([1, 2, 3]), max_size=2))),
        regions=tuple(draw(st.lists(st.sampled_from(REGIONS), max_size=2))),
        segments=tuple(draw(st.lists(st.sampled_from(SEGMENTS), max_size=1))),
        product_lines=tuple(draw(st.lists(st.sampled_from(LINES), max_size=1))),
        pipeline=draw(st.sampled_from([None, "sales", "partner"])),
        as_of=as_of,
    )


scopes = st.one_of(
    st.sampled_from(REPS).map(Scope.rep),
    st.sampled_from(sorted(TEAMS)).map(lambda t: Scope.head(t, employee_id=TEAMS[t][0])),
)

OWNER_COLUMN: dict[str, tuple[Callable[..., pd.DataFrame], str]] = {
    "stuck_deal_candidates": (stuck_deal_candidates, "owner_id"),
    "stage_high_water_marks": (stage_high_water_marks, "owner_id"),
    "stage_visits": (stage_visits, "owner_id"),
    "deals_closed": (deals_closed, "owner_id"),
    "activities_by_rep_type_period": (activities_by_rep_type_period, "employee_id"),
    "customer_summary": (customer_summary, "owner_id"),
}


def allowed(scope: Scope) -> set[int]:
    if scope.role == "rep":
        assert scope.employee_id is not None
        return {scope.employee_id}
    assert scope.team_id is not None
    return set(TEAMS[scope.team_id])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(filters=filters_strategy(), scope=scopes)
def test_scope_never_widens(engine: sa.Engine, filters: Filters, scope: Scope) -> None:
    ok = allowed(scope)
    for name, (fn, column) in OWNER_COLUMN.items():
        seen = set(fn(engine, filters, scope)[column].dropna().astype(int))
        assert seen <= ok, f"{name} leaked rows of {seen - ok} into {scope}"

    snaps = pipeline_snapshots(engine, filters, scope, [date(2024, 2, 1), filters.end])
    assert set(snaps["owner_id"]) <= ok

    pipeline = open_pipeline_by_stage(engine, filters, scope)
    deals = decode(pipeline["amount"].sum())
    assert {DEAL_OWNER[d] for d in deals} <= ok
    assert pipeline["deals"].sum() == len(deals)

    orders = orders_by_month(engine, filters, scope)
    order_ids = decode(orders["revenue"].sum())
    assert {ORDER_OWNER[o] for o in order_ids} <= ok
    assert orders["orders"].sum() == len(order_ids)


def test_scope_rows_exist_without_filters(engine: sa.Engine) -> None:
    """The property is not vacuous: an unfiltered rep and head do see their own rows."""
    everything = Filters(date(2024, 1, 1), date(2024, 8, 1), as_of=date(2024, 2, 20))
    rep = Scope.rep(21)
    assert set(stage_high_water_marks(engine, everything, rep)["owner_id"]) == {21}
    assert set(activities_by_rep_type_period(engine, everything, rep)["employee_id"]) == {21}
    head = Scope.head(1)
    assert set(stage_visits(engine, everything, head)["owner_id"]) == {10, 11, 12}
    assert set(customer_summary(engine, everything, head)["owner_id"]) == {10, 11, 12}
    assert {DEAL_OWNER[d] for d in decode(open_pipeline_by_stage(engine, everything, head)[
        "amount"].sum())} == {10, 11, 12}  # fmt: skip
    revenue = orders_by_month(engine, everything, rep)["revenue"].sum()
    assert {ORDER_OWNER[o] for o in decode(revenue)} == {21}
