"""The Segments page through ``AppTest`` on a fresh S demo database, in English and Russian: its
cards against the report, the explorer's choices kept in the URL (a segment shared by link),
and a rep who sees only their own customers."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crm_data.filters import Filters, Scope
from i18n import use_language
from reports.segments import SegmentsReport, segment_customers, segments_report
from tests.support.apptest import TODAY, app_database_fixtures, metric, page_in
from ui.format import format_value
from ui.url_filters import Selection, build_filters

PAGE = "pages/segments.py"
url, engine, _databases = app_database_fixtures("segments_page")


@pytest.fixture(scope="module")
def filters() -> Filters:
    """The filters of a link without parameters (the default period)."""
    return build_filters(Selection(), TODAY)[0]


@pytest.fixture(scope="module")
def report(engine: sa.Engine, filters: Filters) -> SegmentsReport:
    return segments_report(engine, filters, Scope.everyone())


def cards(report: SegmentsReport) -> dict[str, str]:
    """The cards' values as the page should write them, in the language in force."""
    currency = report.currency
    return {
        "customers": format_value(report.customer_count, "count"),
        "revenue": format_value(report.revenue, "money", currency),
        "per_customer": format_value(report.revenue_per_customer, "money", currency),
        "share_80": format_value(report.customer_share_80, "ratio"),
        "repeat": format_value(report.repeat_share, "ratio"),
    }


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The one table of the page with (at least) these columns."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    frame = found[0]
    return frame.data if hasattr(frame, "data") else frame  # a Styler outside English


def test_the_page_shows_the_report_numbers(url: str, report: SegmentsReport) -> None:
    at = page_in("en", PAGE)
    assert at.title[0].value == "Segments"
    expected = cards(report)
    labels = ["Customers", "Revenue", "Revenue per customer", "Customers making 80% of revenue",
              "Repeat buyers"]  # fmt: skip
    assert [m.label for m in at.metric] == labels
    assert [metric(at, label) for label in labels] == list(expected.values())
    assert expected["customers"] == f"{report.customer_count:,}"
    # the explorer starts on the RFM segments and the first (best) segment's customers
    assert at.multiselect(key="seg_by").value == ["segment"]
    assert at.selectbox(key="seg_group").value == report.segments["segment"].iloc[0]
    groups = table(at, "RFM segment", "Share of revenue")
    assert groups["Customers"].tolist() == report.segments["customers"].tolist()
    members = table(at, "Customer", "Days since last order")
    assert len(members) == report.segments["customers"].iloc[0]
    assert "by" not in at.query_params and "group" not in at.query_params
    subheaders = [h.value for h in at.main.subheader]
    assert subheaders == [
        "Explore the customers", "RFM segments", "Pareto and ABC classes", "Clusters",
        "Cohort retention", "CLV distribution and top customers",
    ]  # fmt: skip
    assert len(at.get("plotly_chart")) == 7


def test_the_url_keeps_the_chosen_segment(report: SegmentsReport) -> None:
    at = page_in("en", PAGE, query={"by": "segment", "group": "At risk"})
    assert at.selectbox(key="seg_group").value == "At risk"
    at_risk = segment_customers(report, segment="At risk")
    members = table(at, "Customer", "Days since last order")
    assert members["Customer"].tolist() == at_risk["name"].tolist()
    assert f"**At risk**: {len(at_risk):,} customers" in [m.value for m in at.markdown]
    at.selectbox(key="seg_group").set_value("Lost").run()
    assert not at.exception
    assert at.query_params["group"] in ("Lost", ["Lost"])
    assert len(table(at, "Customer", "Days since last order")) == len(
        segment_customers(report, segment="Lost")
    )
    # two groupings, the group shared by link; a value the page does not offer is ignored
    region = report.customers["region"].iloc[0]
    at = page_in("en", PAGE, query={"by": ["abc_class", "region"], "group": f"A|{region}"})
    assert at.multiselect(key="seg_by").value == ["abc_class", "region"]
    assert at.selectbox(key="seg_group").value == f"A|{region}"
    expected = segment_customers(report, group={"abc_class": "A", "region": region})
    assert len(table(at, "Customer", "Days since last order")) == len(expected)
    tampered = page_in("en", PAGE, query={"by": "segment", "group": "'; DROP TABLE x"})
    assert tampered.selectbox(key="seg_group").value == report.segments["segment"].iloc[0]


def test_the_page_in_russian(report: SegmentsReport) -> None:
    at = page_in("ru", PAGE, query={"by": "segment", "group": "Champions"})
    assert at.title[0].value == "Сегменты"
    with use_language("ru"):
        expected = cards(report)
    assert [m.value for m in at.metric] == list(expected.values())
    assert metric(at, "Клиенты") == expected["customers"]
    assert at.selectbox(key="seg_group").value == "Champions"
    assert "Чемпионы" in at.selectbox(key="seg_group").options
    assert "RFM-сегменты" in [h.value for h in at.subheader]


def test_a_rep_sees_only_their_own_customers(engine: sa.Engine, filters: Filters) -> None:
    with engine.connect() as conn:
        rep, name = conn.execute(
            sa.text(
                "SELECT e.id, e.name FROM employees e JOIN accounts a ON a.owner_id = e.id "
                "JOIN orders o ON o.account_id = a.id WHERE e.role = 'rep' "
                "GROUP BY e.id, e.name ORDER BY count(DISTINCT a.id) DESC, e.id LIMIT 1"
            )
        ).one()
    mine = segments_report(engine, filters, Scope.rep(rep))
    at = page_in("en", PAGE, role="rep", employee=rep, query={"by": "owner"})
    assert metric(at, "Customers") == format_value(mine.customer_count, "count")
    assert mine.customer_count < segments_report(engine, filters, Scope.everyone()).customer_count
    groups = table(at, "Owner", "Share of revenue")
    assert groups["Owner"].tolist() == [name]
    members = table(at, "Customer", "Days since last order")
    assert set(members["Owner"]) == {name} and len(members) == mine.customer_count


def test_no_order_in_the_period_says_so() -> None:
    at = page_in("en", PAGE, query={"period": "custom", "from": "2020-01-01", "to": "2020-01-31"})
    assert [m.label for m in at.metric] == []
    assert any("No customer has ordered before" in i.value for i in at.info), [
        i.value for i in at.info
    ]
