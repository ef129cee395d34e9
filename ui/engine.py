"""One SQLAlchemy engine per process and database URL, and a data-version counter.

Two databases (DESIGN.md §3): the CRM database (:func:`get_engine`), which the app reads, and
the app database (:func:`get_app_engine`: users, plans), which it reads and writes;
:func:`get_databases` gives both to the stores of ``appdb``.

Report functions cached with ``st.cache_data`` take :func:`data_version` (and the URL) as
arguments, so bumping the counter after a write (seeding, import) makes every page read fresh
data even where a cache was not cleared.

An embedded database file (DuckDB, SQLite) is watched: deleted while the app runs, an open
connection would go on reading the deleted file (and a new one would create an empty file in
its place), so every run checks that the file is still the one the engine opened and says so
when it is gone; a file put back (or replaced) is opened afresh.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import Engine

from appdb import open_app_database
from appdb.config import create_app_engine
from appdb.config import resolve_url as resolve_app_url
from appdb.databases import Databases
from crm_data.config import create_crm_engine, embedded_path, mask_url, query_timeout, resolve_url
from crm_data.errors import DatabaseUnavailable

__all__ = ["data_version", "get_app_engine", "get_databases", "get_engine", "invalidate_data"]


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
            f"The database file {self.path} was deleted or moved while the app was running",
            "Put the file back (e.g. from a backup) and press Retry, or point CRM_DATABASE_URL "
            "at another database and restart the app. Until then no data is shown.",
        )


@st.cache_resource(show_spinner=False, on_release=lambda opened: opened.engine.dispose())
def _engine_for(url: str, timeout: float) -> _Opened:
    """The process-wide engine of ``url`` (created once, shared by all sessions)."""
    return _Opened(create_crm_engine(url, timeout), embedded_path(url))


def get_engine() -> Engine:
    """The engine of the configured URL (``crm_data.config.resolve_url``) and query timeout
    (``crm_data.config.query_timeout``), one per process.

    Raises
    ------
    crm_data.errors.DatabaseUnavailable
        If the URL cannot be parsed or its driver is missing (not cached, so a fixed
        configuration is picked up on the next rerun), or the embedded database file was
        deleted while the app was running.
    crm_data.errors.ConfigurationError
        If ``.streamlit/secrets.toml`` cannot be read or ``CRM_QUERY_TIMEOUT`` is not valid.
    """
    opened = _engine_for(resolve_url(), query_timeout())
    opened.check_file()
    return opened.engine


@st.cache_resource(show_spinner=False, on_release=lambda engine: engine.dispose())
def _app_engine_for(url: str, timeout: float, crm_url: str) -> Engine:
    """The process-wide engine of the app database ``url``, brought to the latest revision and,
    the first time, given the app rows of the CRM database ``crm_url`` of the previous layout
    (:func:`appdb.open_app_database`, which logs what it imported).
    """
    engine = create_app_engine(url, timeout)
    try:
        open_app_database(engine, _engine_for(crm_url, timeout).engine)
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
        If the URL cannot be parsed or its driver is missing (not cached).
    crm_data.errors.ConfigurationError
        If ``.streamlit/secrets.toml`` cannot be read or ``CRM_QUERY_TIMEOUT`` is not valid.
    """
    return _app_engine_for(resolve_app_url(), query_timeout(), resolve_url())


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
