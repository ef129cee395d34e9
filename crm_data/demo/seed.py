"""``seed_demo``: generate the demo company and load it table by table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_data.bulk import analyze_tables, bulk_insert, sync_sequences
from crm_data.config import mask_url
from crm_data.demo import activities, catalog, deals, orders, people, plans, service
from crm_data.demo.clock import ANNUAL_GROWTH, MONTHS, SEASONALITY, Clock
from crm_data.demo.sizes import SIZES
from crm_data.demo.truth import GENERATOR_KEY, is_demo_database, truth_frame
from crm_data.demo.world import World
from crm_data.errors import NotDemoDatabase
from crm_data.schema import CRM_TABLES, Base

__all__ = ["SeedReport", "seed_demo", "GENERATOR_VERSION"]

GENERATOR_VERSION = 1
Progress = Callable[[float, str], None]


@dataclass
class SeedReport:
    """What :func:`seed_demo` did.

    Attributes
    ----------
    size, seed : str, int
        The size name and random seed used.
    end : date
        Exclusive end of the 36-month history.
    seconds : float
        Wall time of the whole seeding.
    row_counts : dict[str, int]
        Rows loaded per table (CRM tables in load order, then ``demo_truth``).
    """

    size: str
    seed: int
    end: date
    seconds: float
    row_counts: dict[str, int]


def _foreign_data(engine: sa.Engine) -> str | None:
    """Name of an existing CRM table holding rows when the database is not a demo one."""
    if is_demo_database(engine):
        return None
    existing = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in CRM_TABLES:
            if table.name not in existing:
                continue
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                return table.name
    return None


def _load(engine: sa.Engine, name: str, frames: Iterable[pd.DataFrame]) -> int:
    """Insert the frames into one table in one transaction; returns the row count."""
    table = Base.metadata.tables[name]
    rows = 0
    with engine.begin() as conn:
        for frame in frames:
            rows += bulk_insert(conn, table, frame)
    return rows


def seed_demo(
    engine: sa.Engine,
    size: str = "S",
    seed: int = 42,
    end: date | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> SeedReport:
    """Fill the database with a deterministic demo company.

    Unless the database is refused (see ``force``), existing CRM, ``demo_truth`` and app-owned
    tables are dropped and re-created (sequences restart), then every CRM table is generated
    and loaded in one transaction per table, in :data:`crm_data.schema.CRM_TABLES` order, and
    one incentive plan per team is saved for the quarter of the last day
    (:func:`crm_data.demo.plans.make_plans`).

    Parameters
    ----------
    engine : sa.Engine
        Target database (DuckDB, SQLite, PostgreSQL, MySQL/MariaDB).
    size : str
        A key of :data:`crm_data.demo.SIZES` (``XS``, ``S``, ``M``, ``L``).
    seed : int
        Random seed; the same size, seed and ``end`` give identical data.
    end : date, optional
        Exclusive end of the 36-month history (no event on or after it except planned
        next steps, expected close dates and the ``period_end`` of the current quarter's
        quotas).  Default: today (the only clock read).
    force : bool
        Overwrite a database whose CRM tables hold data not made by the generator.  Without
        it such a database is left untouched (no table is created or dropped).
    progress : callable, optional
        Called with (fraction done 0..1, what is being done, e.g. ``"activities"``).

    Returns
    -------
    SeedReport
        Size, seed, end, wall time and row counts.

    Raises
    ------
    NotDemoDatabase
        If CRM tables hold non-demo rows and ``force`` is false.
    ValueError
        If ``size`` is unknown.
    """
    key = size.upper()
    if key not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    spec = SIZES[key]
    end = end or date.today()
    report: Progress = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    report(0.0, "checking database")
    table = _foreign_data(engine)
    if table is not None and not force:
        raise NotDemoDatabase(
            f"The database {mask_url(engine.url)} holds CRM data that the demo generator did "
            f"not make (table {table} has rows); seeding would overwrite it. Use --force "
            "(force=True) to overwrite it, or point --url / CRM_DATABASE_URL at another database."
        )
    report(0.01, "creating schema")
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    clock = Clock(end)
    w = World(rng=np.random.default_rng(seed), spec=spec, clock=clock)
    w.truth[GENERATOR_KEY] = {
        "size": key,
        "seed": seed,
        "start": str(clock.start),
        "end": str(end),
        "months": MONTHS,
        "version": GENERATOR_VERSION,
    }
    _load(engine, "demo_truth", [truth_frame({GENERATOR_KEY: w.truth[GENERATOR_KEY]})])
    w.truth["seasonality"] = [round(float(x), 4) for x in SEASONALITY]
    w.truth["trend"] = {"annual_growth": ANNUAL_GROWTH}
    counts: dict[str, int] = {}

    def load(name: str, fraction: float) -> None:
        report(fraction, name)
        counts[name] = _load(engine, name, [w.tables.pop(name)])

    report(0.02, "generating people")
    people.make_people(w)
    people.make_accounts(w)
    catalog.make_catalog(w)
    catalog.make_campaigns(w)
    names = [t.name for t in CRM_TABLES]
    for name in names[: names.index("deals")]:
        load(name, 0.04)
    report(0.05, "generating deals")
    deals.make_deals(w)
    load("deals", 0.1)
    load("deal_stage_history", 0.13)
    report(0.17, "generating orders")
    orders.make_orders(w)
    expected = w.spec.activities

    def chunks() -> Iterable[pd.DataFrame]:
        done = 0
        for frame in activities.make_activities(w):
            done += len(frame)
            report(0.2 + 0.55 * min(done / expected, 1), "activities")
            yield frame

    report(0.2, "activities")
    counts["activities"] = _load(engine, "activities", chunks())
    load("orders", 0.78)
    load("order_items", 0.88)
    report(0.95, "generating tickets")
    service.make_tickets(w)
    load("tickets", 0.96)
    service.make_quotas(w)
    load("quotas", 0.97)
    report(0.98, "demo_truth")
    w.truth["activities"] = {
        "mix": activities.ACTIVITY_MIX,
        "customer_care_share": activities.CARE_SHARE,
        "diligence": "share of planned activities done by due_at + 1 day",
        "head_diligence": activities.HEAD_DILIGENCE,
    }
    rest = {k: v for k, v in w.truth.items() if k != GENERATOR_KEY}
    _load(engine, "demo_truth", [truth_frame(rest)])
    counts["demo_truth"] = len(w.truth)
    sync_sequences(engine)
    report(0.99, "statistics")
    analyze_tables(engine, CRM_TABLES)
    report(0.995, "incentive plans")
    plans.make_plans(engine, end)
    ordered = {name: counts[name] for name in names}
    ordered["demo_truth"] = counts["demo_truth"]
    report(1.0, "done")
    return SeedReport(key, seed, end, round(time.perf_counter() - started, 3), ordered)
