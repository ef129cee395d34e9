"""One SQLAlchemy engine per process and database URL, and a data-version counter.

Report functions cached with ``st.cache_data`` take :func:`data_version` (and the URL) as
arguments, so bumping the counter after a write (seeding, import) makes every page read fresh
data even where a cache was not cleared.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st
from sqlalchemy.engine import Engine

from crm_data.config import create_crm_engine, resolve_url

__all__ = ["bump_data_version", "current_url", "data_version", "get_engine"]


def current_url() -> str:
    """The database URL the app uses (``CRM_DATABASE_URL``, secrets, or the DuckDB default)."""
    return resolve_url()


@st.cache_resource(show_spinner=False, on_release=lambda engine: engine.dispose())
def _engine_for(url: str) -> Engine:
    """The process-wide engine of ``url`` (created once, shared by all sessions)."""
    return create_crm_engine(url)


def get_engine(url: str | None = None) -> Engine:
    """The engine of ``url`` (default: :func:`current_url`), one per process per URL.

    Raises
    ------
    crm_data.errors.DatabaseUnavailable
        If the URL cannot be parsed or its driver is missing (not cached, so a fixed
        configuration is picked up on the next rerun).
    """
    return _engine_for(resolve_url(url))


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


def bump_data_version() -> int:
    """Mark the data as changed (after seeding or an import); returns the new version."""
    version = _version()
    with version.lock:
        version.value += 1
        return version.value
