"""``trunc_date`` and ``days_between`` on every dialect, with hand-picked timestamps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.portable import UNITS, days_between, trunc_date
from crm_data.queries.frames import read_frame
from tests.support.databases import fresh_engine

metadata = sa.MetaData()
moments = sa.Table(
    "portable_moments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("ts", sa.DateTime),
    sa.Column("day", sa.Date),
    sa.Column("later", sa.DateTime),
)

#: timestamp -> (day, week, month, quarter, year)
TRUNC_CASES: dict[datetime, tuple[date, date, date, date, date]] = {
    datetime(2024, 2, 29, 13, 45): (
        date(2024, 2, 29), date(2024, 2, 26), date(2024, 2, 1), date(2024, 1, 1), date(2024, 1, 1)
    ),
    datetime(2024, 12, 31, 23, 59, 59): (
        date(2024, 12, 31), date(2024, 12, 30), date(2024, 12, 1), date(2024, 10, 1),
        date(2024, 1, 1),
    ),
    datetime(2023, 1, 1, 0, 0): (  # a Sunday: its ISO week starts in the previous year
        date(2023, 1, 1), date(2022, 12, 26), date(2023, 1, 1), date(2023, 1, 1), date(2023, 1, 1)
    ),
    datetime(2024, 3, 4, 0, 0): (  # a Monday at midnight
        date(2024, 3, 4), date(2024, 3, 4), date(2024, 3, 1), date(2024, 1, 1), date(2024, 1, 1)
    ),
    datetime(2024, 5, 15, 8, 0): (
        date(2024, 5, 15), date(2024, 5, 13), date(2024, 5, 1), date(2024, 4, 1), date(2024, 1, 1)
    ),
    datetime(2024, 9, 30, 18, 30): (
        date(2024, 9, 30), date(2024, 9, 30), date(2024, 9, 1), date(2024, 7, 1), date(2024, 1, 1)
    ),
}  # fmt: skip

#: (start, end) -> end - start in days
DAYS_CASES: list[tuple[datetime, datetime, float]] = [
    (datetime(2024, 1, 1), datetime(2024, 1, 2, 12), 1.5),
    (datetime(2024, 2, 28, 12), datetime(2024, 3, 1, 12), 2.0),
    (datetime(2024, 1, 2), datetime(2024, 1, 1), -1.0),
    (datetime(2024, 3, 1), datetime(2024, 3, 1, 0, 0, 30), 30 / 86400),
    (datetime(2023, 12, 1), datetime(2024, 3, 15), 105.0),
    (datetime(2024, 6, 1, 6), datetime(2024, 6, 1, 6), 0.0),
]


@pytest.fixture
def engine(dialect: str, tmp_path: Path) -> Iterator[sa.Engine]:
    with fresh_engine(dialect, tmp_path, metadata) as eng:
        metadata.create_all(eng)
        yield from _filled(eng)


def _filled(eng: sa.Engine) -> Iterator[sa.Engine]:
    rows = [
        {"id": i, "ts": ts, "day": ts.date(), "later": None}
        for i, ts in enumerate(TRUNC_CASES, start=1)
    ]
    rows += [
        {"id": 100 + i, "ts": start, "day": None, "later": end}
        for i, (start, end, _) in enumerate(DAYS_CASES)
    ]
    rows.append({"id": 200, "ts": datetime(2024, 1, 1), "day": None, "later": None})
    with eng.begin() as conn:
        conn.execute(moments.insert(), rows)
    yield eng


@pytest.mark.parametrize("column", ["ts", "day"])
def test_trunc_date_each_unit(engine: sa.Engine, column: str) -> None:
    source = moments.c[column]
    stmt = (
        sa.select(moments.c.ts, *(trunc_date(u, source).label(u) for u in UNITS))  # type: ignore[arg-type]
        .where(moments.c.id < 100)
        .order_by(moments.c.id)
    )
    kinds = {"ts": "datetime", **{u: "datetime" for u in UNITS}}
    got = read_frame(engine, stmt, kinds)  # type: ignore[arg-type]
    expected = pd.DataFrame(
        [[ts, *values] for ts, values in TRUNC_CASES.items()], columns=["ts", *UNITS]
    ).astype("datetime64[us]")
    pd.testing.assert_frame_equal(got, expected)


def test_trunc_date_returns_dates(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(trunc_date("week", moments.c.ts)).where(moments.c.id == 1)
        ).scalar_one()
    assert pd.Timestamp(value) == pd.Timestamp(2024, 2, 26)


def test_trunc_date_unknown_unit() -> None:
    with pytest.raises(ValueError, match="unit must be one of"):
        trunc_date("fortnight", sa.column("x"))  # type: ignore[arg-type]


def test_days_between(engine: sa.Engine) -> None:
    stmt = (
        sa.select(moments.c.id, days_between(moments.c.ts, moments.c.later).label("days"))
        .where(moments.c.id >= 100)
        .order_by(moments.c.id)
    )
    got = read_frame(engine, stmt, {"id": "int", "days": "float"})
    expected = [d for _, _, d in DAYS_CASES] + [float("nan")]
    assert got["days"].tolist()[:-1] == pytest.approx(expected[:-1], abs=1e-9)
    assert pd.isna(got["days"].iloc[-1])  # NULL end -> NULL


def test_days_between_against_a_parameter(engine: sa.Engine) -> None:
    as_of = datetime(2024, 3, 2)
    stmt = sa.select(days_between(moments.c.ts, sa.literal(as_of, sa.DateTime))).where(
        moments.c.id == 1
    )
    with engine.connect() as conn:
        value = conn.execute(stmt).scalar_one()
    expected = (as_of - datetime(2024, 2, 29, 13, 45)) / timedelta(days=1)
    assert float(value) == pytest.approx(expected, abs=1e-9)
