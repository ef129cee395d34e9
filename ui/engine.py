"""One SQLAlchemy engine per process and database URL, and a data-version counter.

Two databases (DESIGN.md §3): the CRM database (:func:`get_engine`), which the app only reads,
and the app database (:func:`get_app_engine`: users, plans), which it reads and writes;
:func:`get_databases` gives both to the stores of ``appdb``.

The app opens an embedded DuckDB file read-only, so notebooks and the command line's read
commands can read it while the app runs.  Seeding (the first start, the Data page) is the one
writer: :func:`crm_writer` closes the app's reading engine and gives a writing one, which the
app's other sessions read through meanwhile (a process opens a DuckDB file either read-only or
for writing, and they are told that a seeding runs); afterwards :func:`get_engine` opens the
file read-only again.

Report functions cached with ``st.cache_data`` take :func:`data_version` (and the URL) as
arguments, so bumping the counter after a write (seeding, import) makes every page read fresh
data even where a cache was not cleared.

An embedded database file (DuckDB, SQLite) is watched: deleted while the app runs, an open
connection would go on reading the deleted file (and a new one would create an empty file in
its place), so every run checks that the file is still the one the engine opened and says so
when it is gone; a file put back (or replaced) is opened afresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine

from appdb import open_app_database
from appdb.config import create_app_engine
from appdb.config import resolve_url as resolve_app_url
from appdb.databases import Databases
from appdb.demo_plans import ensure_demo_plans
from crm_data.config import create_crm_engine, embedded_path, mask_url, query_timeout, resolve_url
from crm_data.errors import CrmDataError, DatabaseUnavailable
from i18n import _

_LOG = logging.getLogger(__name__)

__all__ = [
    "close_crm_engine",
    "crm_writer",
    "data_version",
    "get_app_engine",
    "get_databases",
    "get_engine",
    "invalidate_data",
]


def _file_identity(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of ``path``, None when there is no such file."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


@dataclass
class _Opened:
    """An engine and, for an embedded database, the file it has open."""

    engine: Engine
    path: Path | None
    identity: tuple[int, int] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check_file(self) -> None:
        """Raise if the engine's database file was deleted; reopen a file that was replaced.

        Raises
        ------
        crm_data.errors.DatabaseUnavailable
            If the file the engine opened is gone.
        """
        if self.path is None:
            return
        with self.lock:
            now = _file_identity(self.path)
            if self.identity is None or now == self.identity:  # not opened yet, or unchanged
                self.identity = now
                return
            if now is not None:  # put back or replaced: connections reopen the new file
                self.engine.dispose()
                self.identity = now
                return
        # kept open (not disposed): a new connection would create an empty file in its place
        raise DatabaseUnavailable(
            mask_url(self.engine.url),
            _("The database file {path} was deleted or moved while the app was running").format(
                path=self.path
            ),
            _(
                "Put the file back (e.g. from a backup) and press Retry, or point "
                "CRM_DATABASE_URL at another database and restart the app. Until then no data "
                "is shown."
            ),
        )


@st.cache_resource(show_spinner=False, on_release=lambda opened: opened.engine.dispose())
def _engine_for(url: str, timeout: float) -> _Opened:
    """The process-wide reading engine of ``url`` (created once, shared by all sessions): an
    existing DuckDB file opened read-only; a file not there yet is created (the first start
    seeds it through :func:`crm_writer`).
    """
    path = embedded_path(url)
    engine = create_crm_engine(url, timeout, read_only=path is not None and path.exists())
    return _Opened(engine, path)


@dataclass
class _Writing:
    """The writing engine of a seeding running in this process, if any."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    engine: Engine | None = None
    url: str = ""


@st.cache_resource(show_spinner=False)
def _writing() -> _Writing:
    return _Writing()


def close_crm_engine() -> None:
    """Close the process's reading engines of the CRM database; the next :func:`get_engine`
    opens the database afresh (read-only again for a DuckDB file).
    """
    _engine_for.clear()  # each engine disposed on release


@contextmanager
def crm_writer() -> Iterator[Engine]:
    """An engine that may write the CRM database (seeding), while the app's reading engine is
    closed: DuckDB lets one process open a file either for reading or for writing.  The next
    :func:`get_engine` opens the database afresh.

    Raises
    ------
    crm_data.errors.DatabaseUnavailable
        If the URL cannot be parsed or its driver is missing.
    """
    writing = _writing()
    with writing.lock:
        close_crm_engine()
        url = resolve_url()
        writer = create_crm_engine(url, query_timeout())
        writing.engine, writing.url = writer, url
    try:
        yield writer
    finally:
        with writing.lock:
            writing.engine = None
            writer.dispose()


def get_engine() -> Engine:
    """The engine of the configured URL (``crm_data.config.resolve_url``) and query timeout
    (``crm_data.config.query_timeout``), one per process: the reading engine, or while this
    process seeds the database (:func:`crm_writer`) the seeding's.

    Raises
    ------
    crm_data.errors.DatabaseUnavailable
        If the URL cannot be parsed or its driver is missing (not cached, so a fixed
        configuration is picked up on the next rerun), or the embedded database file was
        deleted while the app was running.
    crm_data.errors.ConfigurationError
        If ``.streamlit/secrets.toml`` cannot be read or ``CRM_QUERY_TIMEOUT`` is not valid.
    """
    url = resolve_url()
    writing = _writing()
    with writing.lock:
        writer, seeded = writing.engine, writing.url
    if writer is not None and seeded == url:
        return writer  # a seeding runs in this process: read through its engine meanwhile
    opened = _engine_for(url, query_timeout())
    opened.check_file()
    return opened.engine


def _demo_plans(databases: Databases) -> None:
    """The demo's incentive plans if the CRM database is a demo without them; a failure is
    logged, not raised: the app works without them (they can be made with
    ``python -m appdb demo-plans``).
    """
    try:
        ensure_demo_plans(databases)
    except (CrmDataError, sa.exc.SQLAlchemyError):
        _LOG.warning("The demo's incentive plans could not be made", exc_info=True)


@st.cache_resource(show_spinner=False, on_release=lambda engine: engine.dispose())
def _app_engine_for(url: str, timeout: float, crm_url: str, _crm: Engine) -> Engine:
    """The process-wide engine of the app database ``url``, brought to the latest revision and,
    the first time, given the app rows of the CRM database ``crm_url`` (open as ``_crm``) of the
    previous layout
    (:func:`appdb.open_app_database`, which logs what it imported); for a demo CRM database
    seeded on the command line, the demo's incentive plans are saved
    (:func:`appdb.demo_plans.ensure_demo_plans`).
    """
    engine = create_app_engine(url, timeout)
    try:
        open_app_database(engine, _crm)
        _demo_plans(Databases(app=engine, crm=_crm))
    except BaseException:
        engine.dispose()
        raise
    return engine


def get_app_engine() -> Engine:
    """The engine of the app database (``appdb.config.resolve_url``), one per process, at the
    latest revision.

    Raises
    ------
    crm_data.errors.DatabaseUnavailable
        If the URL cannot be parsed or its driver is missing (not cached), or the CRM database
        cannot be opened (the first time, the app database's rows of the previous layout and
        the demo's plans are read from it).
    crm_data.errors.ConfigurationError
        If ``.streamlit/secrets.toml`` cannot be read or ``CRM_QUERY_TIMEOUT`` is not valid.
    """
    return _app_engine_for(resolve_app_url(), query_timeout(), resolve_url(), get_engine())


def get_databases() -> Databases:
    """The app database and the CRM database, for the stores of ``appdb`` (users, plans)."""
    return Databases(app=get_app_engine(), crm=get_engine())


@dataclass
class _Version:
    """The data-version counter, shared by all sessions of the process."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    value: int = 0


@st.cache_resource(show_spinner=False)
def _version() -> _Version:
    return _Version()


def data_version() -> int:
    """The current data version (0 until the first bump); an argument of cached reports."""
    version = _version()
    with version.lock:
        return version.value


def invalidate_data() -> int:
    """Mark the data as changed (after seeding or an import): clear ``st.cache_data`` and bump
    the data version, so every page reads fresh data; returns the new version.
    """
    st.cache_data.clear()
    version = _version()
    with version.lock:
        version.value += 1
        return version.value
