"""``seed_demo``: generate the demo company and load it table by table.

Reseeding
---------
A seed drops and re-creates the CRM tables, ``demo_truth`` and the importer's own tables
(:data:`SEEDED_TABLES`) and touches nothing else.  The app's own tables (dashboard users,
incentive plans with all their versions) live in the app database (DESIGN.md §3), which a seed
does not open: they are kept, and the app adds the demo's plans after it seeds
(``appdb.demo_plans``).  A CRM database of the previous layout may still hold the app's old
tables (:mod:`crm_data.previous_layout`); they are kept too, and rebuilt without foreign keys
into the CRM tables first where they have them, rows kept.

What a reseed would lose for good is told beforehand (:func:`reseed_check`): in a database the
generator did not make, every CRM row; in a demo database, the rows added since the seed, found
by comparing each table's row count and highest id with those the seed recorded in
``demo_truth`` (key :data:`LOADED_KEY`).  Rows *changed* in place since the seed are not found
that way.  A demo database seeded before that record existed cannot be checked and counts as
holding such rows.  Without ``force``, :func:`seed_demo` refuses to lose any of them.

One seeding at a time: a seed holds the single row of ``demo_seed_lock`` (its own table, never
dropped) while it runs, and a second one is refused with who started the first and when.  A
seed that stopped without releasing it (a killed process) is considered abandoned after
:data:`STALE_AFTER` without progress.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_data.bulk import analyze_tables, bulk_insert, sync_sequences
from crm_data.config import mask_url
from crm_data.demo import activities, catalog, deals, orders, people, service
from crm_data.demo.clock import ANNUAL_GROWTH, MONTHS, SEASONALITY, Clock
from crm_data.demo.sizes import SIZES
from crm_data.demo.truth import GENERATOR_KEY, load_truth, truth_frame
from crm_data.demo.world import World
from crm_data.errors import NotDemoDatabase, SeedingInProgress
from crm_data.previous_layout import PREVIOUS_APP_TABLES
from crm_data.schema import CRM_TABLES, Base, DemoTruth, ImportKey, PendingHistory
from i18n import N_

__all__ = [
    "GENERATOR_VERSION",
    "KEPT_TEXT",
    "LOADED_KEY",
    "SEEDED_TABLES",
    "STALE_AFTER",
    "ReseedCheck",
    "SeedReport",
    "SeedRun",
    "confirmation_word",
    "reseed_check",
    "running_seed",
    "seed_demo",
]

GENERATOR_VERSION = 1
Progress = Callable[[float, str], None]
#: The tables a seed drops and re-creates; every other table is kept.
SEEDED_TABLES: tuple[sa.Table, ...] = (
    *CRM_TABLES,
    Base.metadata.tables[DemoTruth.__tablename__],
    # the importer's external ids point at rows the seed replaces: a later re-import must not
    # take a demo row for the one it imported
    Base.metadata.tables[ImportKey.__tablename__],
    Base.metadata.tables[PendingHistory.__tablename__],
)
#: What a seed keeps, in words (marked for translation: show it with ``_()``).
KEPT_TEXT = N_(
    "Dashboard users and incentive plans (every version) live in the app database: a seed does "
    "not touch them. Plans of teams the new demo does not have stay, for no team."
)
#: ``demo_truth`` key of the rows and highest id of each CRM table as the seed loaded them.
LOADED_KEY = "loaded"
#: A seed without progress for this long is considered abandoned (its lock may be taken).
STALE_AFTER = timedelta(minutes=10)
#: How often a running seed records its progress in the lock row.
HEARTBEAT = timedelta(seconds=20)
BY_LENGTH = 200

LOCK_METADATA = sa.MetaData()
#: The seed lock: at most one row (``id`` 1), held while a seed runs.
SEED_LOCK = sa.Table(
    "demo_seed_lock",
    LOCK_METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("token", sa.String(32), nullable=False),
    sa.Column("started_by", sa.String(BY_LENGTH), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("heartbeat_at", sa.DateTime, nullable=False),
)


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


@dataclass(frozen=True)
class SeedRun:
    """A seeding that holds the lock: who started it, when, and its last progress (UTC)."""

    started_by: str
    started_at: datetime
    heartbeat_at: datetime

    def message(self) -> str:
        """The refusal of a second seeding, saying who runs the first and what to do."""
        return (
            f"A seeding is already running on this database, started at "
            f"{self.started_at:%Y-%m-%d %H:%M} UTC by {self.started_by}. Wait for it to "
            "finish, then reload. If it was stopped, it counts as abandoned "
            f"{STALE_AFTER.seconds // 60} minutes after its last progress "
            f"({self.heartbeat_at:%H:%M} UTC); seed again then."
        )


@dataclass(frozen=True)
class ReseedCheck:
    """What seeding the database would replace, lose for good and keep.

    Attributes
    ----------
    is_demo : bool
        Whether the demo generator made the database.
    crm_rows : int
        Rows in the CRM tables now (all replaced).
    foreign_rows : dict[str, int]
        Per CRM table, the rows the generator did not make (lost for good); only tables with
        such rows.
    unverified : bool
        A demo database without the seed's record of its rows: whether rows were added since
        cannot be told.
    running : SeedRun or None
        A seeding running now (a new one would be refused).
    """

    is_demo: bool
    crm_rows: int
    foreign_rows: dict[str, int] = field(default_factory=dict)
    unverified: bool = False
    running: SeedRun | None = None

    @property
    def loses_data(self) -> bool:
        """Whether seeding would delete rows the generator did not make (or may do so)."""
        return bool(self.foreign_rows) or self.unverified

    def losses(self) -> str:
        """What would be lost for good, in words (empty when nothing would)."""
        rows = ", ".join(f"{_plural(n, 'row')} of {t}" for t, n in self.foreign_rows.items())
        if not self.is_demo and rows:
            return f"This database holds data the demo generator did not make: {rows}."
        if rows:
            return f"Rows were added since the demo was seeded: {rows}."
        if self.unverified:
            return (
                f"This demo database was seeded by an older version of the generator, which "
                f"kept no record of its rows: whether any of its {self.crm_rows:,} rows were "
                "added since cannot be told."
            )
        return ""


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _now() -> datetime:
    """Now as naive UTC (the schema's convention), whole seconds."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def confirmation_word(url: str | sa.URL) -> str:
    """What an operator types to confirm a reseed: the database's name (a file's name for an
    embedded database), else ``RESEED``.

    Examples
    --------
    >>> confirmation_word("duckdb:////srv/crm/crm.duckdb")
    'crm.duckdb'
    >>> confirmation_word("postgresql+psycopg://bob@db/sales")
    'sales'
    >>> confirmation_word("duckdb:///:memory:")
    'RESEED'
    """
    name = sa.make_url(url).database or ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "RESEED" if name in ("", ":memory:") else name


def running_seed(engine: sa.Engine) -> SeedRun | None:
    """The seeding running on the database now, None if there is none (or it was abandoned)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(SEED_LOCK.name):
            return None
        row = conn.execute(sa.select(SEED_LOCK)).first()
    if row is None or row.heartbeat_at < _now() - STALE_AFTER:
        return None
    return SeedRun(row.started_by, row.started_at, row.heartbeat_at)


def _rows_and_top(conn: sa.Connection, table: sa.Table) -> tuple[int, int]:
    """A table's row count and highest id (0 when empty)."""
    rows, top = conn.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(table.c.id), 0)).select_from(table)
    ).one()
    return int(rows), int(top)


def _fingerprint(engine: sa.Engine) -> dict[str, dict[str, int]]:
    """Rows and highest id of every CRM table, as recorded under :data:`LOADED_KEY`."""
    with engine.connect() as conn:
        return {
            table.name: dict(zip(("rows", "max_id"), _rows_and_top(conn, table), strict=True))
            for table in CRM_TABLES
        }


def _added_rows(conn: sa.Connection, table: sa.Table, loaded: dict[str, int]) -> int:
    """Rows of ``table`` the generator did not make: beyond its highest id, or beyond its
    row count (ids given by hand), whichever is more.
    """
    rows, top = _rows_and_top(conn, table)
    if (rows, top) == (loaded["rows"], loaded["max_id"]):
        return 0
    beyond = conn.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.id > loaded["max_id"])
    ).scalar_one()
    return max(rows - loaded["rows"], int(beyond))


def reseed_check(engine: sa.Engine) -> ReseedCheck:
    """What seeding the database now would replace, lose for good and keep.

    Parameters
    ----------
    engine : sa.Engine
        The database.

    Returns
    -------
    ReseedCheck
        See the module docstring for how rows the generator did not make are found.
    """
    running = running_seed(engine)
    truth = load_truth(engine)
    is_demo = GENERATOR_KEY in truth
    loaded: dict[str, dict[str, int]] | None = truth.get(LOADED_KEY)
    foreign: dict[str, int] = {}
    total = 0
    with engine.connect() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        for table in CRM_TABLES:
            if table.name not in existing:
                continue
            rows, _ = _rows_and_top(conn, table)
            total += rows
            if not is_demo:
                lost = rows
            elif loaded is not None and table.name in loaded:
                lost = _added_rows(conn, table, loaded[table.name])
            else:
                lost = 0
            if lost:
                foreign[table.name] = lost
    unverified = is_demo and loaded is None and total > 0
    return ReseedCheck(is_demo, total, foreign, unverified, running)


@contextmanager
def _seed_lock(engine: sa.Engine, by: str) -> Iterator[Callable[[], None]]:
    """Hold the seed lock meanwhile; yields a function that records progress (at most every
    :data:`HEARTBEAT`).

    Raises
    ------
    SeedingInProgress
        If another seeding holds it.
    """
    LOCK_METADATA.create_all(engine)
    token, now = secrets.token_hex(16), _now()
    try:
        with engine.begin() as conn:
            conn.execute(SEED_LOCK.delete().where(SEED_LOCK.c.heartbeat_at < now - STALE_AFTER))
            conn.execute(
                SEED_LOCK.insert().values(
                    id=1, token=token, started_by=by[:BY_LENGTH], started_at=now, heartbeat_at=now
                )
            )
    except sa.exc.DBAPIError:
        run = running_seed(engine)
        if run is None:  # not a second seeding: the database refused the write
            raise
        raise SeedingInProgress(run.message()) from None
    mine = SEED_LOCK.c.token == token
    last = now

    def beat() -> None:
        nonlocal last
        if (moment := _now()) - last >= HEARTBEAT:
            with engine.begin() as conn:
                conn.execute(SEED_LOCK.update().where(mine).values(heartbeat_at=moment))
            last = moment

    try:
        yield beat
    finally:
        try:
            with engine.begin() as conn:
                conn.execute(SEED_LOCK.delete().where(mine))
        except sa.exc.DBAPIError:  # the database went away: the lock goes stale by itself
            pass


def _app_tables_referencing_crm(conn: sa.Connection) -> bool:
    """Whether an app table of the previous layout still has a foreign key into a seeded table
    (a database made before they were dropped from the schema).
    """
    seeded = {table.name for table in SEEDED_TABLES}
    existing = set(sa.inspect(conn).get_table_names())
    app = [table.name for table in PREVIOUS_APP_TABLES if table.name in existing]
    if not app:
        return False
    if conn.dialect.name == "duckdb":  # no foreign-key reflection
        found = conn.execute(
            sa.text(
                "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY' "
                "AND table_name IN :app AND referenced_table IN :seeded"
            ).bindparams(
                sa.bindparam("app", expanding=True), sa.bindparam("seeded", expanding=True)
            ),
            {"app": app, "seeded": sorted(seeded)},
        ).scalar_one()
        return bool(found)
    inspector = sa.inspect(conn)
    return any(
        key["referred_table"] in seeded for name in app for key in inspector.get_foreign_keys(name)
    )


def _drop(conn: sa.Connection, tables: Iterable[sa.Table]) -> None:
    """Drop ``tables`` (given in dependency order) and their own sequences, and nothing else
    (``MetaData.drop_all(tables=...)`` drops every sequence of the metadata).
    """
    for table in reversed(list(tables)):
        table.drop(conn, checkfirst=True)


def _detach_app_tables(engine: sa.Engine) -> None:
    """Rebuild the app tables of the previous layout without foreign keys into the seeded ones,
    rows kept, if they have such keys (otherwise the seed could not drop the CRM tables).
    """
    with engine.begin() as conn:  # one transaction where DDL is transactional
        if not _app_tables_referencing_crm(conn):
            return
        existing = set(sa.inspect(conn).get_table_names())
        tables = [table for table in PREVIOUS_APP_TABLES if table.name in existing]
        rows = {table.name: conn.execute(sa.select(table)).mappings().all() for table in tables}
        _drop(conn, tables)
        for table in tables:
            table.create(conn)
        for table in tables:
            if rows[table.name]:
                conn.execute(table.insert(), [dict(row) for row in rows[table.name]])


def _refuse(check: ReseedCheck, engine: sa.Engine, force: bool) -> None:
    """Raise unless seeding may go ahead."""
    if check.running is not None:
        raise SeedingInProgress(check.running.message())
    if check.loses_data and not force:
        raise NotDemoDatabase(
            f"Refused to seed {mask_url(engine.url)}. {check.losses()} Seeding would delete them "
            "for good: use --force (force=True) to do so anyway, or point --url / "
            "CRM_DATABASE_URL at another database."
        )


def _load(engine: sa.Engine, name: str, frames: Iterable[pd.DataFrame]) -> int:
    """Insert the frames into one table in one transaction; returns the row count."""
    table = Base.metadata.tables[name]
    rows = 0
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # a bulk COPY may outlast the query timeout
            conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
        for frame in frames:
            rows += bulk_insert(conn, table, frame)
    return rows


def _default_runner() -> str:
    """Who seeds when the caller does not say: this process and host."""
    return f"process {os.getpid()} on {socket.gethostname()}"


def seed_demo(
    engine: sa.Engine,
    size: str = "S",
    seed: int = 42,
    end: date | None = None,
    force: bool = False,
    progress: Progress | None = None,
    by: str | None = None,
) -> SeedReport:
    """Fill the database with a deterministic demo company.

    Unless the database is refused (see ``force``; and while another seeding runs), the
    :data:`SEEDED_TABLES` are dropped and re-created (sequences restart), every other table
    kept (see the module docstring), then every CRM table is generated and loaded in one
    transaction per table, in :data:`crm_data.schema.CRM_TABLES` order.

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
        Overwrite CRM rows the generator did not make (:meth:`ReseedCheck.losses`).  Without
        it such a database is left untouched (no table is created or dropped).
    progress : callable, optional
        Called with (fraction done 0..1, what is being done, e.g. ``"activities"``).
    by : str, optional
        Who seeds, shown to anyone who tries to seed meanwhile (default: this process and
        host; cut to 200 characters).

    Returns
    -------
    SeedReport
        Size, seed, end, wall time and row counts.

    Raises
    ------
    NotDemoDatabase
        If CRM tables hold rows the generator did not make and ``force`` is false.
    SeedingInProgress
        If another seeding of the database is running.
    ValueError
        If ``size`` is unknown.
    """
    key = size.upper()
    if key not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    end = end or date.today()
    report: Progress = progress or (lambda fraction, message: None)
    started = time.perf_counter()
    report(0.0, "checking database")
    _refuse(reseed_check(engine), engine, force)
    with _seed_lock(engine, by or _default_runner()) as beat:
        # again, now that nobody else seeds (the running seed is this one): rows may have come in
        _refuse(replace(reseed_check(engine), running=None), engine, force)

        def step(fraction: float, message: str) -> None:
            beat()
            report(fraction, message)

        step(0.01, "creating schema")
        _detach_app_tables(engine)
        with engine.begin() as conn:
            _drop(conn, SEEDED_TABLES)
        Base.metadata.create_all(engine)
        counts = _generate(engine, key, seed, end, step)
    report(1.0, "done")
    seconds = round(time.perf_counter() - started, 3)
    return SeedReport(key, seed, end, seconds, counts)


def _generate(
    engine: sa.Engine, key: str, seed: int, end: date, report: Progress
) -> dict[str, int]:
    """Generate and load the CRM tables and ``demo_truth``; rows per table in load order."""
    clock = Clock(end)
    w = World(rng=np.random.default_rng(seed), spec=SIZES[key], clock=clock)
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
    w.truth[LOADED_KEY] = _fingerprint(engine)
    rest = {k: v for k, v in w.truth.items() if k != GENERATOR_KEY}
    _load(engine, "demo_truth", [truth_frame(rest)])
    sync_sequences(engine)
    report(0.99, "statistics")
    analyze_tables(engine, CRM_TABLES)
    ordered = {name: counts[name] for name in names}
    ordered["demo_truth"] = len(w.truth)
    return ordered
