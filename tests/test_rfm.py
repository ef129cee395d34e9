"""RFM scores in SQL (:func:`crm_data.queries.rfm.rfm_scores`) on every dialect.

Hand scenario, ``as_of`` = 2024-03-01, period Q1 2024 (its start plays no part):

* A100 (rep 11): orders 2023-12-01 150, 2024-02-28 10:00 100 and 2024-02-28 15:00 50 (same
  day) → recency 2, frequency 2 days, revenue 300, monetary 150;
* A101 (rep 11): 2024-01-31 75 → recency 30, frequency 1, revenue 75, monetary 75;
* A102 (rep 21): 2023-06-01 200, 2023-09-01 100, 2024-01-31 23:30 150 → recency 30 (ties
  A101), frequency 3, revenue 450, monetary 150 (ties A100);
* A103 (rep 21): 2022-03-01 40 → recency 731 (2024 is a leap year), frequency 1, revenue 40;
* A104 (rep 11) never orders; A105 (rep 11) orders only at as_of 00:00 → neither is scored.

Scores ``ceil(5 k / n)``, k = customers at or below (R: last order day at or before), n = 4:

* R: A103 k=1 → 2; A101, A102 k=3 → 4; A100 k=4 → 5;
* F: 1 day (A101, A103) k=2 → 3; 2 days (A100) k=3 → 4; 3 days (A102) → 5;
* M: 40 → 2; 75 → 3; 150 (A100, A102) k=4 → 5.

Rep 21 sees A102 and A103 only (n = 2): A103 k=1 → 3 on every score, A102 → 5.

CDNOW (methods.md §4.1, §4.7): the 2,357 customers of ``CDNOW_sample.txt`` over the 39-week
calibration (1997-01-01 .. 1997-09-30, ``as_of`` 1997-10-01) loaded as orders, in shuffled
order: the RFM frequency (distinct purchase days, the first included) scores {3: 1411, 4: 439,
5: 507}, and every score equals the pandas reference scorer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.segments import rfm_scores_pandas, rfm_segment
from crm_data.filters import Filters, Scope
from crm_data.queries.rfm import rfm_scores
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import scenario_fixture
from tests.support.datasets import CDNOW, needs_cdnow
from tests.support.frames import check, frame

dt = datetime
AS_OF = date(2024, 3, 1)
FILTERS = Filters(date(2024, 1, 1), date(2024, 4, 1), as_of=AS_OF)
COLUMNS = "account_id recency_days frequency monetary revenue r_score f_score m_score"
DTYPES = {"monetary": "float64", "revenue": "float64"}


def build() -> CrmBuilder:
    b = CrmBuilder()
    b.team(1, region="North")
    b.team(2, region="South")
    b.employee(11, team_id=1)
    b.employee(21, team_id=2)
    for account, owner in [(100, 11), (101, 11), (102, 21), (103, 21), (104, 11), (105, 11)]:
        b.account(account, owner_id=owner)
    for order, account, at, amount in [
        (1, 100, dt(2023, 12, 1), 150.0),
        (2, 100, dt(2024, 2, 28, 10), 100.0),
        (3, 100, dt(2024, 2, 28, 15), 50.0),
        (4, 101, dt(2024, 1, 31), 75.0),
        (5, 102, dt(2023, 6, 1), 200.0),
        (6, 102, dt(2023, 9, 1), 100.0),
        (7, 102, dt(2024, 1, 31, 23, 30), 150.0),
        (8, 103, dt(2022, 3, 1), 40.0),
        (9, 105, dt(2024, 3, 1), 999.0),  # at as_of: not counted
    ]:
        b.order(order, account, at, [], amount=amount)
    return b


crm = scenario_fixture(build)


def test_rfm_scores_by_hand(crm: sa.Engine) -> None:
    expected = frame(
        [
            (100, 2, 2, 150.0, 300.0, 5, 4, 5),
            (101, 30, 1, 75.0, 75.0, 4, 3, 3),
            (102, 30, 3, 150.0, 450.0, 4, 5, 5),
            (103, 731, 1, 40.0, 40.0, 2, 3, 2),
        ],
        COLUMNS,
        DTYPES,
    )
    check(rfm_scores(crm, FILTERS, Scope.everyone()), expected)
    # the period's start is irrelevant: RFM is over all history before as_of
    later = Filters(date(2024, 2, 1), date(2024, 4, 1), as_of=AS_OF)
    check(rfm_scores(crm, later, Scope.everyone()), expected)


def test_rfm_scores_in_a_reps_scope(crm: sa.Engine) -> None:
    expected = frame(
        [(102, 30, 3, 150.0, 450.0, 5, 5, 5), (103, 731, 1, 40.0, 40.0, 3, 3, 3)],
        COLUMNS,
        DTYPES,
    )
    check(rfm_scores(crm, FILTERS, Scope.rep(21)), expected)
    check(rfm_scores(crm, replace(FILTERS, reps=(21,)), Scope.everyone()), expected)


def test_rfm_scores_empty(crm: sa.Engine) -> None:
    early = Filters(date(2021, 1, 1), date(2021, 2, 1), as_of=date(2021, 2, 1))
    scores = rfm_scores(crm, early, Scope.everyone())
    assert scores.empty
    assert list(scores.columns) == COLUMNS.split()


def test_sql_scores_equal_the_pandas_reference(crm: sa.Engine) -> None:
    scores = rfm_scores(crm, FILTERS, Scope.everyone())
    reference = rfm_scores_pandas(scores.drop(columns=["r_score", "f_score", "m_score"]))
    check(scores, reference)


def test_equal_averages_tie_whatever_the_float_sums(empty_engine: sa.Engine) -> None:
    # A1: 0.1 + 0.2 + 0.3 on three days (a float sum of 0.6000000000000001 in this order)
    # A2: 0.2 on one day; A3: 0.4 on one day.  M = 0.2, 0.2, 0.4 per day: A1 and A2 tie
    # at k = 2 of 3 → ceil(10/3) = 4, A3 → 5 (unrounded sums would split A1 from A2)
    b = CrmBuilder()
    b.employee(11)
    for account in (1, 2, 3):
        b.account(account, owner_id=11)
    for order, account, day, amount in [
        (1, 1, 1, 0.1), (2, 1, 2, 0.2), (3, 1, 3, 0.3), (4, 2, 3, 0.2), (5, 3, 3, 0.4)
    ]:  # fmt: skip
        b.order(order, account, dt(2024, 2, day), [], amount=amount)
    scores = rfm_scores(b.load(empty_engine), FILTERS, Scope.everyone())
    assert scores["m_score"].tolist() == [4, 4, 5]
    assert scores["monetary"].tolist() == pytest.approx([0.2, 0.2, 0.4])
    check(scores, rfm_scores_pandas(scores.drop(columns=["r_score", "f_score", "m_score"])))


# ---- CDNOW ---------------------------------------------------------------------------------------

CDNOW_AS_OF = date(1997, 10, 1)  # the 39-week calibration ends 1997-09-30


def cdnow_calibration() -> pd.DataFrame:
    """CDNOW_sample.txt transactions of the calibration period: customer, ordered_at, amount."""
    raw = pd.read_csv(
        CDNOW / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "day", "cds", "amount"],
    )
    raw["ordered_at"] = pd.to_datetime(raw["day"].astype(str), format="%Y%m%d")
    return raw.loc[
        raw["ordered_at"] < pd.Timestamp(CDNOW_AS_OF), ["customer", "ordered_at", "amount"]
    ]


def cdnow_rfm_pandas(orders: pd.DataFrame) -> pd.DataFrame:
    """RFM values computed in pandas from the transactions (the SQL query's definitions)."""
    days = orders["ordered_at"].dt.normalize()
    per = orders.assign(day=days).groupby("customer")
    values = pd.DataFrame(
        {
            "recency_days": (pd.Timestamp(CDNOW_AS_OF) - per["day"].max()).dt.days,
            "frequency": per["day"].nunique(),
            "revenue": per["amount"].sum(),
        }
    )
    return rfm_scores_pandas(values)


def build_cdnow() -> CrmBuilder:
    orders = cdnow_calibration().sample(frac=1.0, random_state=7)  # row order must not matter
    b = CrmBuilder()
    b.team(1)
    b.employee(1, team_id=1)
    for customer in orders["customer"].drop_duplicates():
        b.account(int(customer), owner_id=1)
    for number, row in enumerate(orders.itertuples(index=False), start=1):
        b.order(number, int(row.customer), row.ordered_at.to_pydatetime(), [], amount=row.amount)
    return b


cdnow_crm = scenario_fixture(build_cdnow)


@needs_cdnow
def test_cdnow_frequency_scores_pandas() -> None:
    summary = pd.read_csv(CDNOW / "cdnow_customers_summary.csv")
    values = pd.DataFrame(
        {
            "recency_days": 0,  # not scored here
            "frequency": summary["frequency"] + 1,  # RFM counts the first purchase
            "revenue": 0.0,
        }
    )
    scores = rfm_scores_pandas(values)
    assert scores["f_score"].value_counts().to_dict() == {3: 1411, 4: 439, 5: 507}
    # the transactions give the same frequencies as the published summary
    from_orders = cdnow_rfm_pandas(cdnow_calibration())
    assert len(from_orders) == 2357
    np.testing.assert_array_equal(
        from_orders.sort_index()["frequency"].to_numpy(), summary["frequency"].to_numpy() + 1
    )


@needs_cdnow
def test_cdnow_scores_do_not_depend_on_row_order() -> None:
    orders = cdnow_calibration()
    reference = cdnow_rfm_pandas(orders)
    for seed in (1, 2, 3):
        shuffled = cdnow_rfm_pandas(orders.sample(frac=1.0, random_state=seed))
        pd.testing.assert_frame_equal(shuffled.sort_index(), reference.sort_index())
    values = reference[["recency_days", "frequency", "revenue"]]
    rescored = rfm_scores_pandas(values.sample(frac=1.0, random_state=4)).sort_index()
    pd.testing.assert_frame_equal(rescored, reference.sort_index())


@needs_cdnow
def test_cdnow_scores_in_sql(cdnow_crm: sa.Engine) -> None:
    filters = Filters(date(1997, 1, 1), CDNOW_AS_OF, as_of=CDNOW_AS_OF)
    scores = rfm_scores(cdnow_crm, filters, Scope.everyone())
    assert len(scores) == 2357
    assert scores["f_score"].value_counts().to_dict() == {3: 1411, 4: 439, 5: 507}
    reference = cdnow_rfm_pandas(cdnow_calibration())
    reference = reference.rename_axis("account_id").reset_index()
    got = scores.set_index("account_id").sort_index()
    want = reference.set_index("account_id").sort_index()
    for column in ("recency_days", "frequency", "r_score", "f_score", "m_score"):
        np.testing.assert_array_equal(got[column].to_numpy(), want[column].to_numpy(), column)
    np.testing.assert_allclose(got["revenue"], want["revenue"], rtol=1e-12)
    rescored = rfm_scores_pandas(scores.drop(columns=["r_score", "f_score", "m_score"]))
    check(scores, rescored)
    # every customer lands in exactly one named segment
    segments = rfm_segment(scores["r_score"], scores["f_score"], scores["m_score"])
    assert pd.notna(segments).all()
