"""The demand forecast section of the Forecast page through ``AppTest`` on a fresh S demo
database: its table against the report (by product line and by price segment, revenue and
units), a rep's own demand, and Russian without English left."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crm_data.filters import Filters, Scope
from i18n import use_language
from reports.demand_forecast import DemandForecast, demand_forecast
from tests.support.apptest import TODAY, app_database_fixtures, page_in
from tests.support.visible_text import data_words, untranslated, visible_texts
from ui.forecast_text import model_label
from ui.url_filters import Selection, build_filters

PAGE = "pages/forecast.py"
url, engine, databases = app_database_fixtures("demand_page")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def filters() -> Filters:
    """The filters of a link without parameters (the default period)."""
    return build_filters(Selection(), TODAY)[0]


def demand_table(at: AppTest, first: str) -> pd.DataFrame:
    """The one table whose first column is ``first``."""
    found = [d.value for d in at.dataframe if list(d.value.columns)[:1] == [first]]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def check_table(table: pd.DataFrame, report: DemandForecast, segments: list[str]) -> None:
    expected = report.segments
    assert table.iloc[:, 0].tolist() == segments
    assert table["Model"].tolist() == [model_label(m) for m in expected["model"]]
    for label, column in [("Next quarter", "next_quarter"), ("Next 6 months", "next_6_months"),
                          ("Last 12 months", "last_12_months"),
                          ("Change on a year before", "yoy_change")]:  # fmt: skip
        assert table[label].tolist() == pytest.approx(expected[column].tolist(), nan_ok=True), label


def test_the_demand_section_by_line_and_by_price_segment(
    engine: sa.Engine, filters: Filters
) -> None:
    at = page_in("en", PAGE)  # nothing is fitted until a breakdown is picked
    assert "Demand forecast" in [h.value for h in at.main.subheader]
    assert at.segmented_control(key="fc_demand_by").value is None
    assert not [d for d in at.dataframe if list(d.value.columns)[:1] == ["Product line"]]
    at = page_in("en", PAGE, query={"demand": "product_line"})
    assert not at.get("progress")  # emptied once the series are fitted
    by_line = demand_forecast(engine, filters, Scope.everyone(), "product_line", "revenue")
    lines = sorted(by_line.fits)
    assert len(lines) == 5 and not by_line.empty
    check_table(demand_table(at, "Product line"), by_line, lines)
    at.run()  # the same forecast again: served from the cache, the progress bar not replayed
    assert not at.exception, at.exception
    check_table(demand_table(at, "Product line"), by_line, lines)
    assert len(at.get("plotly_chart")) >= 2

    at.segmented_control(key="fc_demand_by").set_value("price_segment").run()
    at.segmented_control(key="fc_demand_measure").set_value("units").run()
    assert not at.exception, at.exception
    by_price = demand_forecast(engine, filters, Scope.everyone(), "price_segment", "units")
    check_table(demand_table(at, "Price segment"), by_price, ["Economy", "Mid-range", "Premium"])
    # the three segments' units add up to the total's, month by month
    summed = sum(fit.series.history.iloc[-12:] for fit in by_price.fits.values())
    assert summed.tolist() == by_price.total.series.history.iloc[-12:].tolist()


def test_a_rep_sees_their_own_demand(engine: sa.Engine, filters: Filters) -> None:
    with engine.connect() as conn:
        rep = int(conn.execute(sa.text(
            "SELECT a.owner_id FROM orders o JOIN accounts a ON a.id = o.account_id "
            "GROUP BY a.owner_id ORDER BY count(*) DESC, a.owner_id LIMIT 1"
        )).scalar_one())  # fmt: skip
    mine = demand_forecast(engine, filters, Scope.rep(rep), "product_line", "revenue")
    everyone = demand_forecast(engine, filters, Scope.everyone(), "product_line", "revenue")
    assert 0 < mine.segments["last_12_months"].sum() < everyone.segments["last_12_months"].sum()
    at = page_in("en", PAGE, role="rep", employee=rep, query={"demand": "product_line"})
    check_table(demand_table(at, "Product line"), mine, sorted(mine.fits))


def test_the_demand_section_in_russian(engine: sa.Engine, filters: Filters) -> None:
    at = page_in("ru", PAGE)
    assert "Прогноз спроса" in [h.value for h in at.main.subheader]
    at.segmented_control(key="fc_demand_by").set_value("price_segment").run()
    assert not at.exception, at.exception
    with use_language("ru"):
        report = demand_forecast(engine, filters, Scope.everyone(), "price_segment", "revenue")
        table = demand_table(at, "Ценовой сегмент")
        assert table.iloc[:, 0].tolist() == ["Эконом", "Средний", "Премиум"]
        assert table["Модель"].tolist() == [model_label(m) for m in report.segments["model"]]
    assert table["Следующий квартал"].tolist() == pytest.approx(
        report.segments["next_quarter"].tolist()
    )
    assert not untranslated(visible_texts(at), data_words(engine))
