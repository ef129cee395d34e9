"""bulk_insert and sync_sequences round-trip values on every dialect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.bulk import BATCH_ROWS, analyze_tables, bulk_insert, sync_sequences
from tests.support.databases import fresh_engine, server_url_or_skip

metadata = sa.MetaData()
things = sa.Table(
    "bulk_things",
    metadata,
    sa.Column("id", sa.Integer, sa.Sequence("bulk_things_id_seq"), primary_key=True),
    sa.Column("name", sa.String(50)),
    sa.Column("flag", sa.Boolean),
    sa.Column("day", sa.Date),
    sa.Column("stamp", sa.DateTime),
    sa.Column("amount", sa.Double),
    sa.Column("ref", sa.Integer),
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": np.array([1, 2, 3, 7], dtype="int64"),
            "name": pd.Categorical(["a", "b", None, "d'quote"]),
            "flag": np.array([True, False, True, False]),
            "day": pd.to_datetime(["2024-02-29", None, "2023-01-01", "2025-12-31"]).astype(
                "datetime64[s]"
            ),
            "stamp": np.array(
                ["2024-02-29T13:45:10", "NaT", "2023-01-01T00:00:00", "2025-12-31T23:59:59"],
                dtype="datetime64[us]",
            ),
            "amount": np.array([1.5, np.nan, -2.25, 1e9]),
            "ref": pd.array([10, None, 30, None], dtype="Int64"),
        }
    )


EXPECTED = [
    (1, "a", True, date(2024, 2, 29), datetime(2024, 2, 29, 13, 45, 10), 1.5, 10),
    (2, "b", False, None, None, None, None),
    (3, None, True, date(2023, 1, 1), datetime(2023, 1, 1), -2.25, 30),
    (7, "d'quote", False, date(2025, 12, 31), datetime(2025, 12, 31, 23, 59, 59), 1e9, None),
]


def _normalise(row: sa.Row) -> tuple:
    """SQLite/MySQL return booleans as 0/1; compare as Python bools."""
    values = list(row)
    values[2] = None if values[2] is None else bool(values[2])
    return tuple(values)


@pytest.fixture
def engine(dialect: str, tmp_path: Path) -> Iterator[sa.Engine]:
    with fresh_engine(dialect, tmp_path, metadata) as engine:
        metadata.create_all(engine)
        yield engine


def test_round_trip(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        assert bulk_insert(conn, things, _frame()) == 4
    with engine.connect() as conn:
        rows = conn.execute(sa.select(things).order_by(things.c.id)).all()
    assert [_normalise(r) for r in rows] == EXPECTED


def test_empty_frame_inserts_nothing(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        assert bulk_insert(conn, things, _frame().iloc[:0]) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(things)).scalar() == 0


def test_unknown_column_is_rejected(engine: sa.Engine) -> None:
    with engine.begin() as conn, pytest.raises(KeyError, match="nope"):
        bulk_insert(conn, things, pd.DataFrame({"nope": [1]}))


def test_rolled_back_with_the_transaction(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        bulk_insert(conn, things, _frame())
        raise RuntimeError("abort")
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(things)).scalar() == 0


def test_sync_sequences_then_insert_without_id(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        bulk_insert(conn, things, _frame())
    result = sync_sequences(engine, metadata)
    if engine.dialect.supports_sequences:
        assert result == {"bulk_things_id_seq": 8}
    with engine.begin() as conn:
        new_id = conn.execute(things.insert().values(name="new")).inserted_primary_key[0]
    assert new_id == 8


def test_frame_larger_than_a_batch_is_loaded_whole(engine: sa.Engine) -> None:
    n = 2 * BATCH_ROWS + 5_001
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "name": np.where(np.arange(n) % 2 == 0, "even", "odd"),
            "amount": np.arange(n) / 4,
        }
    )
    with engine.begin() as conn:
        assert bulk_insert(conn, things, frame) == n
    with engine.connect() as conn:
        count, total, evens = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(things.c.amount),
                sa.func.sum(sa.case((things.c.name == "even", 1), else_=0)),
            )
        ).one()
    assert (count, float(total), int(evens)) == (n, float(np.arange(n).sum() / 4), 12_501)


@pytest.mark.services
def test_mariadb_dialect_name() -> None:
    """A ``mariadb+pymysql://`` URL (dialect name "mariadb") gets sequences and statistics."""
    url = server_url_or_skip("mysql").replace("mysql+pymysql://", "mariadb+pymysql://", 1)
    if not url.startswith("mariadb+pymysql://"):
        pytest.skip(f"not a PyMySQL URL: {url}")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not conn.dialect.is_mariadb:
                pytest.skip("the server is MySQL, not MariaDB")
        engine.dispose()
        engine = sa.create_engine(url)  # fresh: nothing learnt from a first connect yet
        assert engine.dialect.name == "mariadb"
        metadata.drop_all(engine)
        metadata.create_all(engine)
        engine.dispose()
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            bulk_insert(conn, things, _frame())
        engine.dispose()
        engine = sa.create_engine(url)
        assert sync_sequences(engine, metadata) == {"bulk_things_id_seq": 8}
        with engine.begin() as conn:
            new_id = conn.execute(things.insert().values(name="new")).inserted_primary_key[0]
        assert new_id == 8
        statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        analyze_tables(engine, [things])
        assert any(s.startswith("ANALYZE TABLE") and "bulk_things" in s for s in statements)
    finally:
        metadata.drop_all(engine)
        engine.dispose()
