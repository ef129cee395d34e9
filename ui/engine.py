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

from crm_data.config import create_crm_engine, query_timeout, resolve_url

__all__ = ["data_version", "get_engine", "invalidate_data"]


@st.cache_resource(show_spinner=False, on_release=lambda engine: engine.dispose())
def _engine_for(url: str, timeout: float) -> Engine:
    """The process-wide engine of ``url`` (created once, shared by all sessions)."""
    return create_crm_engine(url, timeout)


def get_engine() -> Engine:
    """The engine of the configured URL (``crm_data.config.resolve_url``) and query timeout
    (``crm_data.config.query_timeout``), one per process.

    Raises
    ------
    crm_data.errors.DatabaseUnavailable
        If the URL cannot be parsed or its driver is missing (not cached, so a fixed
        configuration is picked up on the next rerun).
    crm_data.errors.ConfigurationError
        If ``.streamlit/secrets.toml`` cannot be read or ``CRM_QUERY_TIMEOUT`` is not valid.
    """
    return _engine_for(resolve_url(), query_timeout())


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
