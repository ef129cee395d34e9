"""Nothing at or after ``as_of`` counts: a property of every query function (issue #13 item 6).

A small hand-built CRM, period Q1 2024 = [2024-01-01, 2024-04-01), ``as_of`` = 2024-03-01 (inside
the period).  Every public query function of ``crm_data.queries`` that takes ``Filters`` is found
from the modules' ``__all__`` and must have an entry in :data:`CALLS` (the functions that take no
``Filters`` must be in :data:`NO_AS_OF`, with the reason), so a new query function without an
entry fails :func:`test_every_query_function_is_listed`.  For each one:

* rows planted at and after ``as_of`` (:func:`plant_after`: new deals, stage changes, won and lost
  closures, done activities and calls, orders, tickets opened and resolved, a hire, a leaving
  date, campaign responses) leave its result unchanged;
* the same rows do change it when ``as_of`` is the period end (the planted rows matter);
* rows planted just before ``as_of`` (:func:`plant_before`) change it.

Each variant (as built, with the rows after ``as_of``, with the rows before it) is a whole CRM
loaded in turn, so changed records (a deal won later, a leaving date) are rows as they would be
read later, on every dialect.

Activities carry no creation time: a planned activity (or one done after ``as_of`` with a due
date) is taken as planned at every ``as_of``; only ``done_at`` dates an activity, so the planted
activities done after ``as_of`` have no due date.  Deal attributes without history (owner,
product line, expected close date) are read as they are now and are not changed here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import crm_data.queries
from analytics.funnel import win_rates
from crm_data.filters import Filters, Scope
from crm_data.queries.activity import activities_by_rep_type_period
from crm_data.queries.activity_kpis import (
    call_counts,
    employment_spans,
    followup_stats,
    lead_response_times,
    new_line_clients,
)
from crm_data.queries.campaigns import campaign_results
from crm_data.queries.customer_attributes import customer_attributes, orders_by_customer_month
from crm_data.queries.customer_contacts import customer_contacts, customer_contacts_at
from crm_data.queries.customer_record import (
    customer_activities,
    customer_campaigns,
    customer_deals,
    customer_order_totals,
    customer_orders,
    customer_tickets,
)
from crm_data.queries.customers import customer_summary, order_rhythm
from crm_data.queries.deal_flow import deal_flow_by_month
from crm_data.queries.deal_lists import largest_deals
from crm_data.queries.demand import demand_by_month
from crm_data.queries.funnel import deals_closed, stage_high_water_marks, stage_visits
from crm_data.queries.funnel_stats import (
    closed_deal_stats,
    funnel_facts,
    lost_deal_reasons,
    open_deal_counts,
    pipeline_pairs,
    quota_total,
    stage_durations,
    stage_transitions,
)
from crm_data.queries.open_items import open_items
from crm_data.queries.orders import orders_by_month
from crm_data.queries.overdue import count_overdue_activities, overdue_activities
from crm_data.queries.pipeline import (
    open_pipeline_by_stage,
    pipeline_snapshots,
    stuck_deal_candidates,
)
from crm_data.queries.pipeline_training import (
    deal_cycle_times,
    open_deal_features,
    pipeline_training_rows,
)
from crm_data.queries.purchases import purchase_totals
from crm_data.queries.rep_spread import (
    quotas_by_rep,
    satisfaction_moments,
    ticket_time_moments,
    won_deal_moments,
)
from crm_data.queries.rfm import rfm_scores
from crm_data.queries.service import ticket_outcomes, ticket_resolution_times
from crm_data.queries.service_quality import (
    customer_complaints,
    ticket_counts,
    ticket_ratings,
    ticket_times,
)
from reports.activity import activity_report
from reports.overview import overview_report
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import DIALECTS, fresh_engine
from tests.support.frames import check, frame

dt = datetime
ADMIN = Scope.everyone()
AS_OF = date(2024, 3, 1)
PERIOD = Filters(date(2024, 1, 1), date(2024, 4, 1), as_of=AS_OF)
AT_END = replace(PERIOD, as_of=None)
LEAD, QUAL, PROP, WON, LOST = 1, 2, 3, 4, 5
PRICE, TIMING = 1, 2
CORE, NEW = 1, 2


def build() -> CrmBuilder:
    """The CRM before anything is planted (every row before ``as_of`` unless said)."""
    b = CrmBuilder()
    b.team(1, "North", region="North", head_id=10)
    b.team(2, "South", region="South", head_id=20)
    for emp, team, role in [(10, 1, "head"), (11, 1, "rep"), (12, 1, "rep"), (20, 2, "head"),
                            (21, 2, "rep"), (30, None, "service")]:  # fmt: skip
        b.employee(emp, team_id=team, role=role)
    for account, owner, region in [(100, 11, "North"), (101, 12, "North"), (102, 21, "South"),
                                   (103, 21, "South"), (104, 11, "North")]:  # fmt: skip
        b.account(account, owner_id=owner, region=region)
    b.stage(LEAD, 1, "Lead", probability=0.1, rot_days=10)
    b.stage(QUAL, 2, "Qualified", probability=0.3, rot_days=14)
    b.stage(PROP, 3, "Proposal", probability=0.6)
    b.stage(WON, 4, "Won", probability=1.0, is_won=True)
    b.stage(LOST, 5, "Lost", is_lost=True)
    b.lost_reason(PRICE, "Price")
    b.lost_reason(TIMING, "Timing")
    b.product(CORE, "core")
    b.product(NEW, "new", is_new_line=True)

    b.deal(1, 11, 100, status="won", closed_at=dt(2024, 2, 10), history=[
        (LEAD, dt(2024, 1, 5), 800.0), (QUAL, dt(2024, 1, 10), 900.0),
        (PROP, dt(2024, 1, 20), 1000.0), (WON, dt(2024, 2, 10), 1000.0)])  # fmt: skip
    b.deal(2, 11, 100, status="lost", closed_at=dt(2024, 2, 5), lost_reason_id=PRICE, history=[
        (LEAD, dt(2024, 1, 8), 500.0), (LOST, dt(2024, 2, 5), 500.0)])  # fmt: skip
    # D3, D4 and D5 are open at as_of; plant_after moves, wins and loses them
    b.deal(3, 12, 101, history=[(LEAD, dt(2024, 1, 15), 2000.0), (QUAL, dt(2024, 2, 1), 2000.0)])
    b.deal(4, 21, 102, history=[(LEAD, dt(2024, 2, 10), 800.0)])
    b.deal(5, 21, 103, history=[
        (LEAD, dt(2023, 12, 1), 3000.0), (QUAL, dt(2024, 1, 10), 3000.0)])  # fmt: skip
    b.deal(6, 12, 101, product_line="new", status="won", closed_at=dt(2024, 1, 20), history=[
        (LEAD, dt(2023, 11, 1), 700.0), (WON, dt(2024, 1, 20), 700.0)])  # fmt: skip
    b.deal(7, 11, 104, expected_close_at=date(2024, 2, 25),
           history=[(LEAD, dt(2024, 2, 20), 400.0)])  # fmt: skip

    # (id, employee, type, status, done_at, due_at, deal, account, minutes)
    for aid, emp, kind, status, done, due, deal, account, minutes in [
        (1, 11, "call", "done", dt(2024, 1, 6, 10), dt(2024, 1, 6), 1, 100, 5.0),
        (2, 11, "meeting", "done", dt(2024, 1, 25), dt(2024, 1, 24), 1, 100, 60.0),
        (3, 12, "call", "done", dt(2024, 1, 16), None, 3, 101, 1.5),
        (4, 21, "call", "done", dt(2024, 2, 11), dt(2024, 2, 11), 4, 102, 10.0),
        (5, 21, "task", "planned", None, dt(2024, 2, 20), 5, 103, None),  # done after as_of
        (6, 12, "email", "done", dt(2024, 2, 15), None, None, 101, None),
        (7, 11, "call", "planned", None, dt(2024, 3, 20), 7, 104, None),
        (8, 30, "call", "done", dt(2024, 2, 1), None, None, 102, 4.0),
    ]:  # fmt: skip
        b.activity(aid, emp, kind, status, done_at=done, due_at=due, deal_id=deal,
                   account_id=account, duration_min=minutes)  # fmt: skip

    b.order(1, 100, dt(2023, 10, 1), [(CORE, 1, 100.0)])
    b.order(2, 100, dt(2024, 1, 15), [(CORE, 2, 100.0)])
    b.order(3, 101, dt(2024, 2, 1), [(NEW, 1, 300.0)])
    b.order(4, 102, dt(2023, 6, 1), [(CORE, 1, 50.0)])
    ticket(b, 1, 100, dt(2024, 1, 10), dt(2024, 1, 10, 2), dt(2024, 1, 12), 5)
    ticket(b, 2, 102, dt(2024, 2, 20))  # answered and resolved after as_of
    for qid, emp, target in [(1, 11, 10000.0), (2, 12, 8000.0)]:
        b.row("quotas", id=qid, employee_id=emp, period_start=PERIOD.start,
              period_end=PERIOD.end, revenue_target=target)  # fmt: skip
    b.row("campaigns", id=1, name="Spring", channel="email", started_at=dt(2024, 1, 1),
          ended_at=None, budget=1000.0, segment=None)  # fmt: skip
    member(b, 1, 100, dt(2024, 1, 5))
    return b


def ticket(
    b: CrmBuilder,
    id: int,
    account: int,
    opened: datetime,
    answered: datetime | None = None,
    resolved: datetime | None = None,
    satisfaction: int | None = None,
) -> None:
    b.row("tickets", id=id, account_id=account, assignee_id=30, category="question",
          priority="high", opened_at=opened, first_response_at=answered, resolved_at=resolved,
          satisfaction=satisfaction)  # fmt: skip


def member(
    b: CrmBuilder, id: int, account: int, sent: datetime, responded: datetime | None = None
) -> None:
    b.row("campaign_members", id=id, campaign_id=1, account_id=account, sent_at=sent,
          responded_at=responded, response=None if responded is None else "clicked")  # fmt: skip


def change(b: CrmBuilder, table: str, id: int, **values: object) -> None:
    """Change the row ``id`` of ``table`` (a later state of the same record)."""
    next(row for row in b.rows[table] if row["id"] == id).update(values)


def move(b: CrmBuilder, deal: int, stage: int, at: datetime, amount: float) -> None:
    """Append a stage change to an existing deal's history."""
    b._history_id += 1
    b.row("deal_stage_history", id=b._history_id, deal_id=deal, stage_id=stage, entered_at=at,
          amount=amount, changed_by=None)  # fmt: skip


def plant_after(b: CrmBuilder) -> None:
    """Rows at and after ``as_of`` (2024-03-01 00:00), inside the period."""
    b.employee(40, team_id=2, hired_at=AS_OF)  # hired at as_of
    change(b, "employees", 12, left_at=date(2024, 3, 25))
    # D20 created exactly at as_of (already past its expected close); D21 created later, lost
    b.deal(20, 11, 100, expected_close_at=date(2024, 2, 15),
           history=[(LEAD, dt(2024, 3, 1), 900.0)])  # fmt: skip
    b.deal(21, 12, 101, product_line="new", status="lost", closed_at=dt(2024, 3, 20),
           lost_reason_id=PRICE, history=[
        (LEAD, dt(2024, 3, 5), 1500.0), (LOST, dt(2024, 3, 20), 1500.0)])  # fmt: skip
    # D3 moves on (its amount up) and is won; D4 is lost exactly at as_of; D5 and D7 move on
    move(b, 3, PROP, dt(2024, 3, 2), 2500.0)
    move(b, 3, WON, dt(2024, 3, 15), 2500.0)
    change(b, "deals", 3, status="won", closed_at=dt(2024, 3, 15), stage_id=WON, amount=2500.0)
    move(b, 4, LOST, dt(2024, 3, 1), 800.0)
    change(b, "deals", 4, status="lost", closed_at=dt(2024, 3, 1), stage_id=LOST,
           lost_reason_id=TIMING)  # fmt: skip
    move(b, 5, PROP, dt(2024, 3, 5), 3200.0)
    change(b, "deals", 5, stage_id=PROP, amount=3200.0)
    move(b, 7, QUAL, dt(2024, 3, 8), 450.0)  # slipped at as_of, in Lead with 400 then
    change(b, "deals", 7, stage_id=QUAL, amount=450.0)
    for aid, emp, kind, done, deal, account, minutes in [
        (20, 11, "call", dt(2024, 3, 1), 3, 101, 1.0),  # exactly at as_of, short
        (21, 12, "meeting", dt(2024, 3, 10), 21, 101, 30.0),
        (22, 21, "call", dt(2024, 3, 2), 7, 104, 3.0),  # D7's first response, after as_of
        (23, 40, "call", dt(2024, 3, 3), None, 103, 1.0),
    ]:  # fmt: skip
        b.activity(aid, emp, kind, "done", done_at=done, deal_id=deal, account_id=account,
                   duration_min=minutes)  # fmt: skip
    change(b, "activities", 5, status="done", done_at=dt(2024, 3, 3))  # overdue at as_of
    b.order(20, 100, dt(2024, 3, 1), [(NEW, 2, 300.0)])  # exactly at as_of, a new line
    b.order(21, 104, dt(2024, 3, 10), [(CORE, 1, 400.0)])  # 104's first order
    b.order(22, 101, dt(2024, 3, 20), [(CORE, 1, 100.0)])
    ticket(b, 20, 103, dt(2024, 3, 2), dt(2024, 3, 2, 1), dt(2024, 3, 3), 4)
    change(b, "tickets", 2, first_response_at=dt(2024, 3, 2), resolved_at=dt(2024, 3, 4),
           satisfaction=2)  # fmt: skip
    change(b, "campaign_members", 1, responded_at=dt(2024, 3, 2), response="clicked")
    member(b, 2, 101, dt(2024, 3, 5), dt(2024, 3, 6))


def plant_before(b: CrmBuilder) -> None:
    """Rows just before ``as_of``: every dated query sees them."""
    b.employee(41, team_id=1, hired_at=date(2024, 2, 29))
    b.deal(30, 11, 100, status="lost", closed_at=dt(2024, 2, 29, 23), lost_reason_id=PRICE,
           history=[(LEAD, dt(2024, 2, 27), 600.0),
                    (LOST, dt(2024, 2, 29, 23), 600.0)])  # fmt: skip
    b.deal(31, 21, 102, expected_close_at=date(2024, 2, 29),
           history=[(LEAD, dt(2024, 2, 29, 22), 1100.0)])  # fmt: skip
    b.deal(32, 12, 101, product_line="new", status="won", closed_at=dt(2024, 2, 29, 12), history=[
        (LEAD, dt(2024, 2, 26), 5000.0), (WON, dt(2024, 2, 29, 12), 5000.0)])  # fmt: skip
    b.activity(30, 12, "call", "done", done_at=dt(2024, 2, 29, 23, 30), due_at=dt(2024, 2, 29),
               deal_id=31, account_id=102, duration_min=1.0)  # fmt: skip
    b.activity(31, 11, "task", "planned", due_at=dt(2024, 2, 29, 12), account_id=100)
    b.order(30, 103, dt(2024, 2, 29), [(NEW, 1, 300.0)])
    b.order(31, 100, dt(2024, 2, 28), [(CORE, 1, 100.0)])
    ticket(b, 30, 103, dt(2024, 2, 28), dt(2024, 2, 28, 1), dt(2024, 2, 29), 3)
    member(b, 3, 103, dt(2024, 2, 29), dt(2024, 2, 29, 12))


# ---- the query functions ---------------------------------------------------------------------

Call = Callable[[sa.Engine | sa.Connection, Filters, Scope], object]
#: The accounts of :func:`build`, for the queries of one account.
ACCOUNT_IDS = (100, 101, 102, 103, 104)

#: Every public query function that takes Filters ("module.function") and how to call it.
CALLS: dict[str, Call] = {
    "activity.activities_by_rep_type_period": activities_by_rep_type_period,
    "activity_kpis.call_counts": call_counts,
    "activity_kpis.employment_spans": employment_spans,
    "activity_kpis.followup_stats": followup_stats,
    "activity_kpis.lead_response_times": lead_response_times,
    "activity_kpis.new_line_clients": new_line_clients,
    "campaigns.campaign_results": campaign_results,
    "customer_attributes.customer_attributes": customer_attributes,
    "customer_attributes.orders_by_customer_month": orders_by_customer_month,
    "customer_contacts.customer_contacts": customer_contacts,
    "customer_contacts.customer_contacts_at": lambda b, f, s: customer_contacts_at(
        b, f, s, [f.start, date(2024, 2, 15), f.end], named=f.end
    ),
    **{
        f"customer_record.{query.__name__}": (
            lambda b, f, s, query=query: tuple(query(b, f, s, a) for a in ACCOUNT_IDS)
        )
        for query in (
            customer_activities,
            customer_campaigns,
            customer_deals,
            customer_order_totals,
            customer_orders,
            customer_tickets,
        )
    },
    "customers.customer_summary": customer_summary,
    "customers.order_rhythm": order_rhythm,
    "deal_flow.deal_flow_by_month": deal_flow_by_month,
    "demand.demand_by_month": demand_by_month,
    "deal_lists.largest_deals": lambda b, f, s: tuple(
        largest_deals(b, f, s, kind) for kind in ("won", "lost", "slipped")
    ),
    "funnel.deals_closed": deals_closed,
    "funnel.stage_high_water_marks": stage_high_water_marks,
    "funnel.stage_visits": stage_visits,
    "funnel_stats.closed_deal_stats": lambda b, f, s: (
        closed_deal_stats(b, f, s),
        closed_deal_stats(b, f, s, group="rep_id", binned=False),
    ),
    "funnel_stats.funnel_facts": lambda b, f, s: (
        funnel_facts(b, f, s, strict=True),
        funnel_facts(b, f, s, group="team"),
        funnel_facts(b, f, s, reach_only=True),
    ),
    "funnel_stats.lost_deal_reasons": lost_deal_reasons,
    "funnel_stats.open_deal_counts": lambda b, f, s: open_deal_counts(b, f, s, group="rep"),
    "funnel_stats.pipeline_pairs": lambda b, f, s: pipeline_pairs(b, f, s, f.start, f.end),
    "funnel_stats.quota_total": lambda b, f, s: quota_total(b, f, s, f.start, f.end),
    "funnel_stats.stage_durations": stage_durations,
    "funnel_stats.stage_transitions": stage_transitions,
    "open_items.open_items": open_items,
    "orders.orders_by_month": orders_by_month,
    "overdue.count_overdue_activities": count_overdue_activities,
    "overdue.overdue_activities": overdue_activities,
    "pipeline.open_pipeline_by_stage": open_pipeline_by_stage,
    "pipeline.pipeline_snapshots": lambda b, f, s: pipeline_snapshots(
        b, f, s, [f.start, date(2024, 2, 1), date(2024, 3, 15), f.end]
    ),
    "pipeline.stuck_deal_candidates": stuck_deal_candidates,
    "pipeline_training.deal_cycle_times": deal_cycle_times,
    "pipeline_training.open_deal_features": open_deal_features,
    "pipeline_training.pipeline_training_rows": lambda b, f, s: pipeline_training_rows(
        b, f, s, [f.start, date(2024, 2, 1), date(2024, 2, 15), f.end], horizon_days=30
    ),
    "purchases.purchase_totals": purchase_totals,
    "rep_spread.quotas_by_rep": lambda b, f, s: quotas_by_rep(b, f, s, f.start, f.end),
    "rep_spread.satisfaction_moments": satisfaction_moments,
    "rep_spread.ticket_time_moments": ticket_time_moments,
    "rep_spread.won_deal_moments": won_deal_moments,
    "rfm.rfm_scores": rfm_scores,
    "service.ticket_outcomes": ticket_outcomes,
    "service.ticket_resolution_times": ticket_resolution_times,
    "service_quality.customer_complaints": lambda b, f, s: customer_complaints(
        b, f, s, category="question", active_days=365
    ),
    "service_quality.ticket_counts": lambda b, f, s: ticket_counts(b, f, s, {"high": 4.0}),
    "service_quality.ticket_ratings": ticket_ratings,
    "service_quality.ticket_times": ticket_times,
}

#: Functions in CALLS that read no dated rows: no planted row can change them.
UNDATED = {
    "funnel_stats.quota_total": "a quota is a target for a period, not an event",
    "rep_spread.quotas_by_rep": "a quota is a target for a period, not an event",
}

#: Public functions with a ``bind`` that take no Filters, and why they have no as_of.
NO_AS_OF = {
    "currency.deal_currencies": "which currencies amounts are in: a label, not a metric",
    "customer_record.customer_profile": "an account's attributes as they are now",
    "customer_record.find_customers": "a search among today's names",
    "currency.main_currency": "which currencies amounts are in: a label, not a metric",
    "deal_detail.deal_activities": "a deal's whole record, for the drill-through panel",
    "deal_detail.deal_history": "a deal's whole record, for the drill-through panel",
    "deal_lists.deal_labels": "names and today's state of deals a list already picked",
    "demand.product_prices": "the catalogue's list prices as they are now: configuration",
    "people.people": "every employee, for login and 'view as'",
    "people.filter_options": "what the filter bar offers today",
    "people.peer_scope": "the team a rep is compared with today",
    "funnel_stats.funnel_stages": "the pipeline's stages: configuration",
    "funnel_stats.pipeline_names": "the pipelines: configuration",
    "frames.connect": "a connection helper, not a query",
    "frames.read_frame": "runs any statement, not a query of its own",
}


def public_bind_functions() -> dict[str, Callable[..., object]]:
    """Every function in a ``crm_data.queries`` module's ``__all__`` whose first parameter is
    ``bind``, as ``"module.function"``.
    """
    found: dict[str, Callable[..., object]] = {}
    for info in pkgutil.iter_modules(crm_data.queries.__path__):
        module = importlib.import_module(f"crm_data.queries.{info.name}")
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isfunction(obj) and [*inspect.signature(obj).parameters][:1] == ["bind"]:
                found[f"{info.name}.{name}"] = obj
    return found


def takes_filters(fn: Callable[..., object]) -> bool:
    return Filters in typing.get_type_hints(fn).values()


def test_every_query_function_is_listed() -> None:
    functions = public_bind_functions()
    with_filters = {key for key, fn in functions.items() if takes_filters(fn)}
    assert with_filters == set(CALLS), "every query taking Filters needs an entry in CALLS"
    assert set(functions) - with_filters == set(NO_AS_OF), "say why a query takes no as_of"
    assert set(UNDATED) <= set(CALLS)


# ---- the property -----------------------------------------------------------------------------

#: Per CRM ("base", "before", "after"), per key of :data:`CALLS`: the results at as_of and at
#: the period end.
Results = dict[str, dict[str, tuple[object, object]]]


@dataclass(frozen=True)
class Runs:
    """The results of every call on each CRM of one dialect, and the "after" CRM."""

    results: Results
    after: sa.Engine


@contextmanager
def loaded(
    dialect: str, folder: Path, plant: Callable[[CrmBuilder], None] | None = None
) -> Iterator[sa.Engine]:
    """A fresh database of ``dialect`` holding :func:`build`'s CRM with ``plant``'s rows."""
    b = build()
    if plant is not None:
        plant(b)
    with fresh_engine(dialect, folder) as engine:
        yield b.load(engine)


def read_all(engine: sa.Engine) -> dict[str, tuple[object, object]]:
    return {key: (call(engine, PERIOD, ADMIN), call(engine, AT_END, ADMIN))
            for key, call in CALLS.items()}  # fmt: skip


@pytest.fixture(scope="module", params=DIALECTS)
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    """The three CRMs loaded in turn (one at a time: a server run has one database); the
    "after" CRM stays loaded for the hand-computed cases.
    """
    folder = tmp_path_factory.mktemp(f"as_of_{request.param}")
    results: Results = {}
    for name, plant in [("base", None), ("before", plant_before)]:
        with loaded(request.param, folder, plant) as engine:
            results[name] = read_all(engine)
    with loaded(request.param, folder, plant_after) as engine:
        results["after"] = read_all(engine)
        yield Runs(results, engine)


def same(a: object, b: object) -> bool:
    """Equal results: frames (values and dtypes), dicts and tuples of them, or scalars."""
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(a, b)
        except AssertionError:
            return False
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("key", sorted(CALLS))
def test_nothing_at_or_after_as_of_counts(runs: Runs, key: str) -> None:
    (base, base_at_end), (after, after_at_end), (before, _) = (
        runs.results[name][key] for name in ("base", "after", "before")
    )
    assert same(after, base), f"{key}: rows at or after as_of changed the result"
    if key in UNDATED:
        assert same(after_at_end, base_at_end) and same(before, base)
        return
    assert not same(after_at_end, base_at_end), f"{key}: the planted rows do not matter"
    assert not same(before, base), f"{key}: rows just before as_of are not counted"


# ---- the cases of issue #13 item 6, hand-computed -----------------------------------------------


def test_win_rate_mid_period_excludes_deals_closed_after_as_of(runs: Runs) -> None:
    crm = runs.after
    # closed before as_of: D1 won (1000), D6 won (700), D2 lost (500); after it: D3 won (2500),
    # D4 lost exactly at as_of, D21 lost
    rates = win_rates(closed_deal_stats(crm, PERIOD, ADMIN, binned=False))
    assert rates[["won", "closed", "won_amount"]].iloc[0].tolist() == [2, 3, 1700.0]
    assert rates["win_rate"].iloc[0] == pytest.approx(2 / 3)
    assert deals_closed(crm, PERIOD, ADMIN)["deal_id"].tolist() == [6, 2, 1]
    # rep 12 won D6 before as_of, D3 only after it
    per_rep = win_rates(closed_deal_stats(crm, PERIOD, ADMIN, group="rep_id"), by="group")
    assert per_rep.set_index("group")["won_amount"].to_dict() == {"11": 1000.0, "12": 700.0}
    lost = lost_deal_reasons(crm, PERIOD, ADMIN)
    assert lost[["owner_id", "lost_reason", "deals"]].values.tolist() == [[11, "Price", 1]]
    # at the period end all of them count: 3 won of 6
    at_end = win_rates(closed_deal_stats(crm, AT_END, ADMIN, binned=False))
    assert at_end[["won", "closed", "won_amount"]].iloc[0].tolist() == [3, 6, 4200.0]
    assert at_end["win_rate"].iloc[0] == pytest.approx(0.5)


def test_activities_and_calls_mid_period_exclude_those_after_as_of(runs: Runs) -> None:
    crm = runs.after
    # done after as_of: A20 (11, call, exactly at as_of), A21 (12), A22 (21), A23 (40), A5 (21)
    got = activities_by_rep_type_period(crm, PERIOD, ADMIN, unit="month")
    expected = frame([
        (11, "call", dt(2024, 1, 1), 1, 5.0), (11, "meeting", dt(2024, 1, 1), 1, 60.0),
        (12, "call", dt(2024, 1, 1), 1, 1.5), (12, "email", dt(2024, 2, 1), 1, 0.0),
        (21, "call", dt(2024, 2, 1), 1, 10.0), (30, "call", dt(2024, 2, 1), 1, 4.0),
    ], "employee_id type period activities duration_min",
        {"employee_id": "Int64", "type": "str", "period": "datetime",
         "duration_min": "float64"})  # fmt: skip
    check(got, expected)
    calls = frame([(11, 1, 0), (12, 1, 1), (21, 1, 0), (30, 1, 0)],
                  "rep_id calls short_calls", {})  # fmt: skip
    check(call_counts(crm, PERIOD, ADMIN), calls)
    # at the period end the later calls count too: A20 and A23 are short
    at_end = frame([(11, 2, 1), (12, 1, 1), (21, 2, 0), (30, 1, 0), (40, 1, 1)],
                   "rep_id calls short_calls", {})  # fmt: skip
    check(call_counts(crm, AT_END, ADMIN), at_end)


# ---- reports that count the period's days or months stop at as_of too ----------------------


def test_activity_report_divides_by_the_working_days_before_as_of(runs: Runs) -> None:
    # rep 11 did a call and a meeting before as_of (A20 only at it); weekdays of January 2024:
    # 23, of February: 21, so 44 (the 21 of March come after as_of)
    per_rep = activity_report(runs.after, PERIOD, ADMIN).per_rep.set_index("employee_id")
    assert per_rep.loc[11, ["activities", "working_days"]].tolist() == [2, 44]
    assert per_rep.loc[11, "per_working_day"] == pytest.approx(2 / 44)


def test_overview_trend_ends_with_the_month_of_as_of(runs: Runs) -> None:
    # won before as_of: D6 (700) in January, D1 (1000) in February; March is after as_of
    trend = overview_report(runs.after, replace(PERIOD, as_of=date(2024, 2, 15)), ADMIN).trend
    assert trend["month"].tolist() == [pd.Timestamp(2024, 1, 1), pd.Timestamp(2024, 2, 1)]
    assert trend["current"].tolist() == [700.0, 1000.0]
    assert trend["partial"].tolist() == [False, True]
    at_end = overview_report(runs.after, AT_END, ADMIN).trend
    assert at_end["current"].tolist() == [700.0, 1000.0, 2500.0]  # D3 won on 3-15
