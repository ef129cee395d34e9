"""Pure segment analytics (:mod:`analytics.segments`): quintile scores, the segment map,
Pareto/ABC, cohort retention; UCI Online Retail as an end-to-end reference."""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.segments import (
    RFM_SEGMENTS,
    SEGMENT_ORDER,
    cohort_retention,
    fm_score,
    pareto_abc,
    pareto_summary,
    quintile_scores,
    rfm_scores_pandas,
    rfm_segment,
)
from tests.support.datasets import UCI_RETAIL, needs_uci

# ---- scores and segments -------------------------------------------------------------------------


@given(st.lists(st.integers(0, 6), min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_quintile_scores_preserve_ties_and_ignore_row_order(values: list[int], rnd) -> None:
    series = pd.Series(values)
    scores = quintile_scores(series)
    # the published rule, ceil(5 · rank(pct=True, method="max"))
    expected = np.ceil(5 * series.rank(pct=True, method="max")).astype("int64")
    pd.testing.assert_series_equal(scores, expected)
    assert scores.between(1, 5).all()
    assert scores.groupby(series).nunique().eq(1).all()  # equal values, equal scores
    assert scores[series.idxmax()] == 5
    order = list(series.index)
    rnd.shuffle(order)
    pd.testing.assert_series_equal(quintile_scores(series[order]), scores[order])


def test_quintile_scores_of_distinct_values_are_equal_bins() -> None:
    assert quintile_scores(pd.Series(range(10, 0, -1))).tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert quintile_scores(pd.Series([], dtype=float)).empty
    with pytest.raises(ValueError, match="missing"):
        quintile_scores(pd.Series([1.0, np.nan]))


def test_rfm_scores_pandas_reverses_recency_and_ties_money_to_the_cent() -> None:
    values = pd.DataFrame(
        {
            "recency_days": [1, 10, 10, 100, 400],
            "frequency": [3, 3, 1, 1, 1],
            # 0.1 + 0.2 + 0.3 and 0.6 differ in floating point, not in cents: same M
            "revenue": [0.1 + 0.2 + 0.3, 0.6, 0.2, 0.5, 0.05],
        }
    )
    scores = rfm_scores_pandas(values)
    assert scores["r_score"].tolist() == [5, 4, 4, 2, 1]
    assert scores["f_score"].tolist() == [5, 5, 3, 3, 3]
    assert scores["m_score"].tolist() == [4, 4, 4, 5, 1]  # 0.2, 0.2, 0.2, 0.5, 0.05 per day


def test_every_score_pair_maps_to_exactly_one_segment() -> None:
    cells = set(itertools.product(range(1, 6), range(1, 6)))
    assert set(RFM_SEGMENTS) == cells
    assert set(RFM_SEGMENTS.values()) == set(SEGMENT_ORDER)  # every segment is used
    assert len(SEGMENT_ORDER) == 10
    r, f, m = np.array(list(itertools.product(range(1, 6), repeat=3))).T
    names = rfm_segment(r, f, m)
    assert len(names) == 125 and set(names) <= set(SEGMENT_ORDER)
    for ri, fi, mi, name in zip(r, f, m, names, strict=True):
        assert name == RFM_SEGMENTS[(ri, (fi + mi + 1) // 2)]


def test_segment_map_corners() -> None:
    assert rfm_segment(5, 5, 5).tolist() == "Champions"
    assert rfm_segment([5, 4, 1, 1, 2], [1, 1, 1, 5, 5], [1, 1, 1, 5, 4]).tolist() == [
        "New",
        "Promising",
        "Lost",
        "Can't lose",
        "Can't lose",
    ]
    assert fm_score([1, 1, 2], [1, 2, 2]).tolist() == [1, 2, 2]
    with pytest.raises(ValueError, match=r"1\.\.5"):
        rfm_segment([0], [1], [1])
    with pytest.raises(ValueError, match=r"1\.\.5"):
        rfm_segment([1.5], [1], [1])


# ---- Pareto / ABC --------------------------------------------------------------------------------


def test_pareto_abc_by_hand() -> None:
    # revenue desc, ties by id: 7 (40), 2 (20), 5 (20), 1 (10), 3 (5), 4 (5), 6 (0), 8 (-3 → 0)
    # total 100; share before: 0, .40, .60, .80, .90, .95, 1.0, 1.0
    # 5 crosses 80 % (.60 → .80): A; 1 starts at exactly 80 %: B; 4 starts at 95 %: C
    revenue = pd.Series({1: 10.0, 2: 20.0, 3: 5.0, 4: 5.0, 5: 20.0, 6: 0.0, 7: 40.0, 8: -3.0})
    abc = pareto_abc(revenue)
    assert abc.index.tolist() == [7, 2, 5, 1, 3, 4, 6, 8]
    assert abc["abc_class"].tolist() == ["A", "A", "A", "B", "B", "C", "C", "C"]
    np.testing.assert_allclose(abc["share_before"], [0, 0.4, 0.6, 0.8, 0.9, 0.95, 1, 1])
    np.testing.assert_allclose(abc["cumulative_share"], [0.4, 0.6, 0.8, 0.9, 0.95, 1, 1, 1])
    assert abc["rank"].tolist() == list(range(1, 9))
    assert abc.loc[8, "revenue"] == -3.0 and abc.loc[8, "ranked_revenue"] == 0.0
    assert abc["negative"].tolist() == [False] * 7 + [True]
    summary = pareto_summary(abc)
    assert (summary.a_customers, summary.b_customers, summary.c_customers) == (3, 2, 3)
    assert summary.customer_share_80 == pytest.approx(3 / 8)
    assert summary.revenue == 100.0
    assert (summary.negative_customers, summary.negative_revenue) == (1, -3.0)


def test_pareto_without_revenue_is_missing_not_zero() -> None:
    abc = pareto_abc(pd.Series({1: 0.0, 2: -5.0}))
    assert abc["share"].isna().all() and abc["abc_class"].isna().all()
    assert np.isnan(pareto_summary(abc).customer_share_80)
    empty = pareto_summary(pareto_abc(pd.Series([], dtype=float)))
    assert empty.customers == 0 and np.isnan(empty.customer_share_80)


# ---- cohort retention ----------------------------------------------------------------------------


def test_cohort_retention_by_hand() -> None:
    # cohort Jan: customers 1, 2 (revenue 100); 1 again in Feb (50) and Mar (30) → 1, .5, .5
    # cohort Feb: 3, 4 (40); 4 again in Mar (10) → 1, .5, NaN (April is after as_of)
    # cohort Mar: 5 (20) → 1, NaN, NaN
    orders = pd.DataFrame(
        {
            "customer": [1, 2, 1, 1, 3, 4, 4, 5, 1],
            "month": pd.to_datetime(
                ["2024-01-03", "2024-01-30", "2024-02-10", "2024-03-01", "2024-02-01"]
                + ["2024-02-29", "2024-03-15", "2024-03-20", "2024-01-20"]
            ),
            "revenue": [60.0, 20.0, 50.0, 30.0, 15.0, 25.0, 10.0, 20.0, 20.0],
        }
    )
    result = cohort_retention(orders, date(2024, 3, 21))
    nan = np.nan
    np.testing.assert_array_equal(
        result.customers.to_numpy(), [[1, 0.5, 0.5], [1, 0.5, nan], [1, nan, nan]]
    )
    np.testing.assert_allclose(
        result.revenue.to_numpy(), [[1, 0.5, 0.3], [1, 0.25, nan], [1, nan, nan]]
    )
    assert result.sizes.tolist() == [2, 2, 1]
    assert result.customers.index.tolist() == list(pd.to_datetime(["2024-01-01", "2024-02-01",
                                                                   "2024-03-01"]))  # fmt: skip
    # as_of on the 1st: March is not observed at all
    early = cohort_retention(orders[orders["month"] < "2024-03-01"], date(2024, 3, 1))
    np.testing.assert_array_equal(early.customers.to_numpy(), [[1, 0.5], [1, nan]])
    with pytest.raises(ValueError, match="as_of"):
        cohort_retention(orders, date(2024, 3, 1))
    none = cohort_retention(orders.drop(columns="revenue").iloc[:0], date(2024, 3, 1))
    assert none.customers.empty and none.revenue is None


# ---- UCI Online Retail ---------------------------------------------------------------------------

UCI_AS_OF = date(2011, 12, 10)  # the last invoice is 2011-12-09 12:50


@pytest.fixture(scope="module")
def uci() -> pd.DataFrame:
    """UCI Online Retail after the usual RFM cleaning: a customer, no cancellation (InvoiceNo
    starting with C), quantity and unit price > 0."""
    raw = pd.read_csv(UCI_RETAIL, dtype={"InvoiceNo": str, "StockCode": str})
    keep = (
        raw["CustomerID"].notna()
        & ~raw["InvoiceNo"].str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
    )
    clean = raw[keep]
    return pd.DataFrame(
        {
            "customer": clean["CustomerID"].astype("int64"),
            "invoice": clean["InvoiceNo"],
            "at": pd.to_datetime(clean["InvoiceDate"]),
            "revenue": clean["Quantity"] * clean["UnitPrice"],
        }
    )


@needs_uci
def test_uci_cleaning_counts(uci: pd.DataFrame) -> None:
    assert len(uci) == 397_884
    assert uci["customer"].nunique() == 4_338
    assert uci["invoice"].nunique() == 18_532
    assert uci["revenue"].sum() == pytest.approx(8_911_407.90, abs=0.01)


@needs_uci
def test_uci_cohort_retention(uci: pd.DataFrame) -> None:
    result = cohort_retention(
        uci.rename(columns={"at": "month"})[["customer", "month", "revenue"]], UCI_AS_OF
    )
    matrix = result.customers
    assert matrix.shape == (13, 13)  # Dec 2010 .. Dec 2011
    assert (matrix[0] == 1.0).all()
    assert int(result.sizes.sum()) == 4_338
    # no cell after the last month: the cohort of month i is observed for 13 - i months
    observed = matrix.notna().to_numpy()
    months = np.arange(13)
    np.testing.assert_array_equal(observed, months[None, :] < 13 - months[:, None])
    assert matrix.to_numpy()[observed].min() > 0  # every observed cell had a returning buyer
    assert matrix.iloc[0, 1] == pytest.approx(324 / 885)  # Dec-2010 cohort back in Jan: 36.6 %
    assert (result.revenue[0] == 1.0).all()


@needs_uci
def test_uci_pareto_and_rfm(uci: pd.DataFrame) -> None:
    abc = pareto_abc(uci.groupby("customer")["revenue"].sum())
    summary = pareto_summary(abc)
    assert summary.customers == 4_338 and summary.negative_customers == 0
    assert summary.a_customers == 1_133  # 26.1 % of customers make 80 % of revenue
    assert summary.revenue == pytest.approx(8_911_407.90, abs=0.01)
    per = uci.assign(day=uci["at"].dt.normalize()).groupby("customer")
    values = pd.DataFrame(
        {
            "recency_days": (pd.Timestamp(UCI_AS_OF) - per["day"].max()).dt.days,
            "frequency": per["day"].nunique(),
            "revenue": per["revenue"].sum(),
        }
    )
    scores = rfm_scores_pandas(values)
    segments = pd.Series(rfm_segment(scores["r_score"], scores["f_score"], scores["m_score"]))
    assert segments.notna().all() and len(segments) == 4_338
    assert scores["f_score"].value_counts().to_dict() == {2: 1548, 5: 1026, 4: 890, 3: 874}
