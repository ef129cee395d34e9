"""crm_data.concurrent.gather: calls really overlap on a file database's engine, run one after
the other where connections cannot be shared, keep their keys, and fail with the first
failing call's error once every call has finished."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_data.concurrent import gather, shares_connections
from crm_data.config import create_crm_engine


@pytest.fixture
def file_engine(tmp_path: Path):
    engine = create_crm_engine(f"duckdb:///{tmp_path / 'crm.duckdb'}")
    yield engine
    engine.dispose()


def query(bind: sa.Engine | sa.Connection, sql: str = "SELECT 41 + 1") -> int:
    if isinstance(bind, sa.Connection):
        return int(bind.execute(sa.text(sql)).scalar_one())
    with bind.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def test_calls_overlap_on_a_file_database(file_engine: sa.Engine) -> None:
    # each call waits at the barrier until the other has started: run one after the other,
    # the first would wait in vain and break the barrier
    barrier = threading.Barrier(2, timeout=20)

    def meet(bind: sa.Engine) -> int:
        barrier.wait()
        return query(bind)

    assert shares_connections(file_engine)
    assert gather(file_engine, {"a": meet, "b": meet}) == {"a": 42, "b": 42}


@pytest.mark.parametrize("kind", ["connection", "in-memory"])
def test_one_after_the_other_where_connections_cannot_be_shared(
    kind: str, file_engine: sa.Engine
) -> None:
    main = threading.get_ident()
    threads: list[int] = []

    def record(bind: sa.Engine | sa.Connection) -> int:
        threads.append(threading.get_ident())
        return query(bind)

    calls = {key: record for key in "xyz"}
    if kind == "connection":
        with file_engine.connect() as conn:
            assert not shares_connections(conn)
            assert gather(conn, calls) == {"x": 42, "y": 42, "z": 42}
    else:
        memory = sa.create_engine("sqlite://")
        assert not shares_connections(memory)
        assert gather(memory, calls) == {"x": 42, "y": 42, "z": 42}
    assert threads == [main, main, main]


def test_results_keep_the_order_of_the_calls(file_engine: sa.Engine) -> None:
    calls = {n: (lambda b, n=n: query(b, f"SELECT {n}")) for n in (5, 3, 9, 1, 7)}
    assert list(gather(file_engine, calls, workers=2).items()) == [(n, n) for n in (5, 3, 9, 1, 7)]


def test_the_first_failure_is_raised_after_every_call_finished(file_engine: sa.Engine) -> None:
    finished: list[str] = []

    def fail(error: Exception):
        def call(bind: sa.Engine) -> int:
            raise error

        return call

    def slow(bind: sa.Engine) -> int:
        value = query(bind, "SELECT count(*) FROM range(2000000)")
        finished.append("slow")
        return value

    calls = {"ok": query, "first": fail(ValueError("first")), "second": fail(KeyError("x")),
             "slow": slow}  # fmt: skip
    with pytest.raises(ValueError, match="first"):
        gather(file_engine, calls)
    assert finished == ["slow"]


def test_workers_must_be_positive(file_engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        gather(file_engine, {"a": query}, workers=0)


@pytest.mark.parametrize("module", ["crm_data.concurrent", "crm_data.queries.customer_contacts"])
def test_imports_first_in_a_fresh_interpreter(module: str) -> None:
    # crm_data.queries imports crm_data.concurrent: no import cycle whichever comes first
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, cwd=Path(__file__).parent.parent)  # fmt: skip
    assert done.returncode == 0, done.stderr
