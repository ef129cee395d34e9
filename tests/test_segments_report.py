"""The Segments report on a fresh S demo database, against plain SQL and pandas by hand.

The default link's filters (the twelve months to 29 Jun 2026, ``as_of`` = 30 Jun 2026): every
order before ``as_of`` counts, whatever the period's start.  The customers are the accounts with
such an order; R, F and M are recomputed in pandas from the raw orders and scored with the
reference scorer; the Pareto summary is the analytics' on the same revenues; a rep's report
holds only the accounts they own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.segments import (
    SEGMENT_ORDER,
    pareto_abc,
    pareto_summary,
    rfm_scores_pandas,
    rfm_segment,
)
from crm_data.filters import Filters, Scope
from reports.segments import (
    CUSTOMER_COLUMNS,
    DIMENSIONS,
    SegmentsReport,
    explore,
    segment_customers,
    segments_report,
)
from tests.support.apptest import TODAY, app_database_fixtures
from ui.url_filters import Selection, build_filters

url, engine, _databases = app_database_fixtures("segments_report")
AS_OF = datetime(2026, 6, 30)


@pytest.fixture(scope="module")
def filters() -> Filters:
    built, _ = build_filters(Selection(), TODAY)
    assert built.as_of_ts == AS_OF
    return built


@pytest.fixture(scope="module")
def report(engine: sa.Engine, filters: Filters) -> SegmentsReport:
    return segments_report(engine, filters, Scope.everyone())


@pytest.fixture(scope="module")
def orders(engine: sa.Engine) -> pd.DataFrame:
    """Every order before as_of, straight from the table."""
    with engine.connect() as conn:
        return pd.read_sql(
            sa.text("SELECT account_id, ordered_at, amount FROM orders WHERE ordered_at < :t"),
            conn,
            params={"t": AS_OF},
        )


@pytest.fixture(scope="module")
def rep_id(engine: sa.Engine) -> Iterator[int]:
    """The rep owning the most accounts with orders."""
    with engine.connect() as conn:
        yield int(
            conn.execute(
                sa.text(
                    "SELECT a.owner_id FROM orders o JOIN accounts a ON a.id = o.account_id "
                    "JOIN employees e ON e.id = a.owner_id WHERE e.role = 'rep' "
                    "GROUP BY a.owner_id ORDER BY count(DISTINCT o.account_id) DESC, a.owner_id "
                    "LIMIT 1"
                )
            ).scalar_one()
        )


def test_customers_are_the_accounts_with_an_order_before_as_of(
    report: SegmentsReport, orders: pd.DataFrame
) -> None:
    assert report.customer_count == orders["account_id"].nunique() > 1000
    assert set(report.customers["account_id"]) == set(orders["account_id"])
    assert report.revenue == pytest.approx(orders["amount"].sum())
    per_account = orders.groupby("account_id").agg(
        orders=("amount", "size"),
        order_days=("ordered_at", lambda t: t.dt.normalize().nunique()),
        revenue=("amount", "sum"),
    )
    mine = report.customers.set_index("account_id").loc[per_account.index]
    assert (mine["orders"] == per_account["orders"]).all()
    assert (mine["frequency"] == per_account["order_days"]).all()
    repeat = float((per_account["order_days"] >= 2).mean())
    assert report.repeat_share == pytest.approx(repeat)
    # the largest revenue first
    assert report.customers["revenue"].is_monotonic_decreasing


def test_rfm_segments_match_pandas_by_hand(report: SegmentsReport, orders: pd.DataFrame) -> None:
    last = orders.groupby("account_id")["ordered_at"].max().dt.normalize()
    by_hand = pd.DataFrame({
        "recency_days": (pd.Timestamp(AS_OF) - last).dt.days,
        "frequency": orders.assign(day=orders["ordered_at"].dt.normalize())
        .groupby("account_id")["day"].nunique(),
        "revenue": orders.groupby("account_id")["amount"].sum(),
    })  # fmt: skip
    scored = rfm_scores_pandas(by_hand)
    scored["segment"] = rfm_segment(scored["r_score"], scored["f_score"], scored["m_score"])
    mine = report.customers.set_index("account_id").loc[scored.index]
    for column in ("recency_days", "frequency", "r_score", "f_score", "m_score", "segment"):
        assert (mine[column] == scored[column]).all(), column
    # every customer has one segment; the sizes add up, in SEGMENT_ORDER
    sizes = scored["segment"].value_counts()
    assert report.segments["customers"].sum() == report.customer_count
    assert dict(zip(report.segments["segment"], report.segments["customers"], strict=True)) == (
        sizes.to_dict()
    )
    order = [SEGMENT_ORDER.index(s) for s in report.segments["segment"]]
    assert order == sorted(order)
    assert report.segments["revenue_share"].sum() == pytest.approx(1.0)
    # the R × FM grid: 25 cells holding every customer and all the revenue
    assert len(report.grid) == 25
    assert report.grid["customers"].sum() == report.customer_count
    assert report.grid["revenue"].sum() == pytest.approx(report.revenue)
    fm = (scored["f_score"] + scored["m_score"] + 1) // 2
    cell = report.grid.set_index(["r_score", "fm_score"]).loc[(5, 5)]
    assert cell["customers"] == int(((scored["r_score"] == 5) & (fm == 5)).sum())
    assert cell["segment"] == "Champions"


def test_pareto_summary_equals_the_analytics_on_the_same_revenue(
    report: SegmentsReport, orders: pd.DataFrame
) -> None:
    revenue = orders.groupby("account_id")["amount"].sum()
    expected = pareto_summary(pareto_abc(revenue))
    summary = report.pareto_summary
    assert summary is not None
    assert (summary.customers, summary.a_customers, summary.b_customers, summary.c_customers) == (
        expected.customers, expected.a_customers, expected.b_customers, expected.c_customers,
    )  # fmt: skip
    assert summary.customer_share_80 == pytest.approx(expected.customer_share_80)
    assert 0.1 < report.customer_share_80 < 0.5
    # by hand: the fewest top customers whose revenue reaches 80 %
    ranked = revenue.sort_values(ascending=False).to_numpy()
    before = np.concatenate([[0.0], np.cumsum(ranked)[:-1]]) / ranked.sum()
    assert summary.a_customers == int((before < 0.8).sum())
    classes = explore(report, "abc_class").set_index("abc_class")
    assert classes.loc["A", "customers"] == summary.a_customers
    assert classes.loc["A", "revenue_share"] >= 0.8


def test_clusters_and_cohorts_cover_every_customer(
    report: SegmentsReport, orders: pd.DataFrame, engine: sa.Engine, filters: Filters
) -> None:
    assert report.clustered == report.customer_count
    assert report.customers["cluster"].notna().all()
    assert report.clusters["customers"].sum() == report.customer_count
    assert list(report.clusters["cluster"]) == list(range(1, len(report.clusters) + 1))
    means = report.clusters["revenue"] / report.clusters["customers"]
    assert means.is_monotonic_decreasing  # cluster 1 brings the most per customer
    again = segments_report(engine, filters, Scope.everyone())  # fixed seed: same labels
    pd.testing.assert_series_equal(again.customers["cluster"], report.customers["cluster"])
    retention = report.retention
    assert retention is not None
    first = orders.groupby("account_id")["ordered_at"].min().dt.to_period("M").dt.to_timestamp()
    assert retention.sizes.to_dict() == first.value_counts().sort_index().to_dict()
    assert (retention.customers[0] == 1.0).all()
    assert np.isnan(retention.customers.iloc[-1, 1])  # the last cohort has no later month yet


def test_segment_customers(report: SegmentsReport) -> None:
    champions = segment_customers(report, segment="Champions")
    expected = report.segments.set_index("segment").loc["Champions", "customers"]
    assert len(champions) == expected > 0
    assert list(champions.columns) == list(CUSTOMER_COLUMNS)
    assert (champions["segment"] == "Champions").all()
    assert champions["revenue"].is_monotonic_decreasing
    both = segment_customers(report, segment="Champions", abc="A", cluster=1)
    assert ((both["abc_class"] == "A") & (both["cluster"] == 1)).all()
    region = report.customers["region"].iloc[0]
    grouped = segment_customers(report, group={"region": region, "cluster": "1"})
    assert len(grouped) == int(
        ((report.customers["region"] == region) & (report.customers["cluster"] == 1)).sum()
    )
    profile = explore(report, ["segment", "region"])
    row = profile.iloc[0]
    group = {"segment": row["segment"], "region": row["region"]}
    assert len(segment_customers(report, group=group)) == row["customers"]
    assert profile["customers"].sum() == report.customer_count
    for dimension in DIMENSIONS:
        assert explore(report, dimension)["customers"].sum() == report.customer_count
    with pytest.raises(ValueError, match="email"):
        segment_customers(report, group={"email": "x"})
    with pytest.raises(ValueError):
        explore(report, [])


def test_a_rep_sees_only_their_customers(
    engine: sa.Engine, filters: Filters, rep_id: int, orders: pd.DataFrame
) -> None:
    mine = segments_report(engine, filters, Scope.rep(rep_id))
    with engine.connect() as conn:
        owned = set(
            conn.execute(
                sa.text(
                    "SELECT DISTINCT o.account_id FROM orders o JOIN accounts a "
                    "ON a.id = o.account_id WHERE a.owner_id = :rep AND o.ordered_at < :t"
                ),
                {"rep": rep_id, "t": AS_OF},
            ).scalars()
        )
    assert set(mine.customers["account_id"]) == owned and len(owned) > 5
    assert set(mine.customers["owner_id"]) == {rep_id}
    assert mine.revenue == pytest.approx(orders[orders["account_id"].isin(owned)]["amount"].sum())
    assert mine.retention is not None and int(mine.retention.sizes.sum()) == len(owned)
    assert set(mine.pareto["account_id"]) == owned


def test_no_order_before_as_of_gives_an_empty_report(engine: sa.Engine) -> None:
    empty = segments_report(engine, Filters(date(2000, 1, 1), date(2000, 2, 1)), Scope.everyone())
    assert empty.customer_count == 0 and empty.revenue == 0
    assert empty.segments.empty and empty.clusters.empty and empty.pareto.empty
    assert empty.pareto_summary is None and empty.retention is None
    assert np.isnan(empty.customer_share_80) and np.isnan(empty.repeat_share)
    assert empty.grid["customers"].sum() == 0 and len(empty.grid) == 25
    assert segment_customers(empty, segment="Champions").empty
    assert explore(empty, "region").empty
