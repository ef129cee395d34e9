"""Report results cached per (report, database, data version, filters, scope) — DESIGN.md §7.

One cache for every report function of ``reports``: entries live 15 minutes, at most
:data:`MAX_ENTRIES` are kept, and a data change (seeding, import, "Clear caches") bumps the data
version (``ui.engine.invalidate_data``), so no page shows stale numbers.  The scope is part of
the key: two users never share an entry unless they may see the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine

from ui.engine import data_version

__all__ = ["MAX_ENTRIES", "REPORT_TTL", "cached_report"]

REPORT_TTL = "15m"
MAX_ENTRIES = 128

T = TypeVar("T")


@st.cache_data(ttl=REPORT_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _run(
    name: str,
    url: str,
    version: int,
    args: tuple[Any, ...],
    _report: Callable[..., Any],
    _engine: Engine,
) -> Any:
    """Run ``_report`` (identified by ``name``) once per key; callers get a copy."""
    return _report(_engine, *args)


def cached_report(report: Callable[..., T], engine: Engine, *args: Any) -> T:
    """``report(engine, *args)``, cached (see the module docstring).

    ``args`` are small hashable values: :class:`~crm_data.filters.Filters`,
    :class:`~crm_data.filters.Scope`, ids.
    """
    name = f"{report.__module__}.{report.__qualname__}"
    return _run(name, str(engine.url), data_version(), args, report, engine)  # type: ignore[no-any-return]
