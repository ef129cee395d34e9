"""Report results cached per (report, database, data version, language, filters, scope).

DESIGN.md §7.

One cache for every report function of ``reports``: entries live 15 minutes, at most
:data:`MAX_ENTRIES` are kept, and a data change (seeding, import, "Clear caches") bumps the data
version (``ui.engine.invalidate_data``), so no page shows stale numbers.  The scope is part of
the key: two users never share an entry unless they may see the same rows.

A report that waits on the database for more than half a second shows "Waiting for the
database…" with the time elapsed (:func:`waiting_for_database`), until the engine's query
timeout (``CRM_QUERY_TIMEOUT``) ends the wait with an error panel and a Retry button.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine

from i18n import N_, _, current_language, use_language
from ui.engine import data_version

__all__ = ["MAX_ENTRIES", "REPORT_TTL", "WAITING", "cached_report", "waiting_for_database"]

REPORT_TTL = "15m"
MAX_ENTRIES = 128
#: What a page shows while it waits on the database (after half a second, with the time).
WAITING = N_("Waiting for the database…")

T = TypeVar("T")


@contextmanager
def waiting_for_database() -> Iterator[None]:
    """Show :data:`WAITING` with the elapsed time while the block runs longer than 0.5 s."""
    with st.spinner(_(WAITING), show_time=True):
        yield


@st.cache_data(ttl=REPORT_TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def _run(
    name: str,
    url: str,
    version: int,
    language: str,
    args: tuple[Any, ...],
    _report: Callable[..., Any],
    _engine: Engine,
) -> Any:
    """Run ``_report`` (identified by ``name``) once per key, in ``language`` (reports translate
    their labels and messages); callers get a copy.
    """
    with use_language(language):
        return _report(_engine, *args)


class _NotCached(Exception):
    """A lookup found no entry (raised inside the cache, so nothing is stored)."""


def _not_cached(_engine: Engine, *_args: Any) -> Any:
    raise _NotCached


def cached_report(
    report: Callable[..., T],
    engine: Engine,
    *args: Any,
    progress: Callable[[int, int], None] | None = None,
) -> T:
    """``report(engine, *args)``, cached (see the module docstring).

    ``args`` are small hashable values: :class:`~crm_data.filters.Filters`,
    :class:`~crm_data.filters.Scope`, ids.  With ``progress`` (for a report that takes a
    ``progress(done, total)`` keyword, e.g. one that fits many series), a cached result is
    returned at once; otherwise the report runs outside the cache, telling ``progress`` how
    far it got (an element it updates is then never replayed from the cache), and its
    result is stored under the same key.
    """
    name = f"{report.__module__}.{report.__qualname__}"
    language = current_language()
    if progress is None:
        with waiting_for_database():
            version = data_version()
            result = _run(name, str(engine.url), version, language, args, report, engine)
        return result  # type: ignore[no-any-return]
    key = (name, str(engine.url), data_version(), language, args)
    try:
        return _run(*key, _not_cached, engine)  # type: ignore[no-any-return]
    except _NotCached:
        pass
    with use_language(language):
        fresh = report(engine, *args, progress=progress)
    return _run(*key, lambda _engine, *_args: fresh, engine)  # type: ignore[no-any-return]
