"""Run a report's independent queries at the same time.

A report such as the Activity page's issues about twenty aggregate queries that do not depend
on each other.  Each spends its time inside the database driver, which releases the GIL, and
no single query keeps every core busy (DuckDB's hash aggregates and joins have serial phases;
a server answers one connection with one backend).  Running them on a few threads, each on its
own pooled connection, overlaps that idle time.

Only an :class:`~sqlalchemy.engine.Engine` whose pool hands out a separate connection per
checkout can be shared this way.  A :class:`~sqlalchemy.engine.Connection` (a test's
transaction, say) or an in-memory database (``SingletonThreadPool``/``StaticPool``: one
connection, or one database per thread) runs the same calls one after the other, with the same
results.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from sqlalchemy.pool import SingletonThreadPool, StaticPool

if TYPE_CHECKING:  # crm_data.queries imports this module
    from crm_data.queries.frames import Bind

__all__ = ["WORKERS", "gather", "shares_connections"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")

#: Threads per report.  Three keep two cores busy while a query's result is being converted
#: to a DataFrame (Python, holding the GIL); more only queue on the database.
WORKERS = 3


def shares_connections(bind: Bind) -> bool:
    """Whether ``bind`` gives each thread its own connection to the same database.

    Examples
    --------
    >>> shares_connections(sa.create_engine("sqlite://"))
    False
    """
    return isinstance(bind, sa.Engine) and not isinstance(
        bind.pool, SingletonThreadPool | StaticPool
    )


def gather(
    bind: Bind, calls: Mapping[K, Callable[[Bind], T]], workers: int = WORKERS
) -> dict[K, T]:
    """Run every ``call(bind)`` and return their results under the same keys.

    Parameters
    ----------
    bind : Engine or Connection
        Passed to every call.  Calls run concurrently only when :func:`shares_connections`.
    calls : mapping of key to callable
        Independent calls: none may rely on another's result or side effect.
    workers : int
        At most this many calls at once.

    Returns
    -------
    dict
        ``{key: call(bind)}`` in the order of ``calls``.

    Raises
    ------
    Exception
        The first failing call's exception (in the order of ``calls``), once every call has
        finished; nothing is left running.

    Examples
    --------
    >>> engine = sa.create_engine("sqlite://")
    >>> gather(engine, {"one": lambda b: 1, "two": lambda b: 2})
    {'one': 1, 'two': 2}
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if len(calls) < 2 or workers == 1 or not shares_connections(bind):
        return {key: call(bind) for key, call in calls.items()}
    with ThreadPoolExecutor(max_workers=min(workers, len(calls))) as pool:
        # each call in a copy of the caller's context: the language in force (i18n) goes along
        futures = {
            key: pool.submit(contextvars.copy_context().run, call, bind)
            for key, call in calls.items()
        }
    return {key: future.result() for key, future in futures.items()}
