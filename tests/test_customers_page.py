"""The Customers page through ``AppTest`` on a fresh S demo database: the 360 view against the
reports, the search, the day's list by recommended action, a row opening its 360 view, the
page in Russian, and a rep who sees only their own customers and is refused another's."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from crm_data.filters import Filters, Scope
from i18n import use_language
from reports.clv import customer_values
from reports.customers import CustomerView, action_facts, customer_view, day_list
from reports.segments import segments_report
from tests.support.apptest import TODAY, app_database_fixtures, metric, page_in
from tests.support.visible_text import data_words, untranslated, visible_texts
from ui.customer_text import action_label, reason
from ui.format import format_value
from ui.url_filters import Selection, build_filters

PAGE = "pages/customers.py"
url, engine, _databases = app_database_fixtures("customers_page")


@pytest.fixture(scope="module")
def filters() -> Filters:
    """The filters of a link without parameters (the default period)."""
    return build_filters(Selection(), TODAY)[0]


def standing(engine: sa.Engine, filters: Filters, scope: Scope) -> pd.DataFrame:
    """The day's list as the page computes it."""
    report = segments_report(engine, filters, scope)
    values = customer_values(engine, filters, scope).table
    return day_list(action_facts(engine, filters, scope), report, values)


@pytest.fixture(scope="module")
def day(engine: sa.Engine, filters: Filters) -> pd.DataFrame:
    return standing(engine, filters, Scope.everyone())


@pytest.fixture(scope="module")
def busiest(engine: sa.Engine) -> tuple[int, int, str]:
    """The account with the most orders: (id, owner id, name)."""
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT a.id, a.owner_id, a.name FROM accounts a JOIN orders o ON o.account_id = a.id "
            "GROUP BY a.id, a.owner_id, a.name ORDER BY count(*) DESC, a.id LIMIT 1"
        )).one()  # fmt: skip
    return int(row[0]), int(row[1]), str(row[2])


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The one table of the page with (at least) these columns."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    frame = found[0]
    return frame.data if hasattr(frame, "data") else frame  # a Styler outside English


def test_the_360_view_shows_the_customer(
    engine: sa.Engine, filters: Filters, day: pd.DataFrame, busiest: tuple[int, int, str]
) -> None:
    account, _owner, name = busiest
    view = customer_view(engine, filters, Scope.everyone(), account)
    assert isinstance(view, CustomerView) and view.kpis.orders >= 5
    at = page_in("en", PAGE, query={"customer": str(account)})
    assert at.title[0].value == "Customers"
    assert at.main.subheader[0].value == name
    currency = view.currency
    assert metric(at, "Revenue") == format_value(view.kpis.revenue, "money", currency)
    assert metric(at, "Orders") == format_value(view.kpis.orders, "count")
    assert metric(at, "Average order") == format_value(view.kpis.average_order, "money", currency)
    row = day.set_index("account_id").loc[account]
    assert metric(at, "CLV, 12 months") == format_value(row["clv"], "money", currency)
    assert metric(at, "P(active)") == format_value(row["p_alive"], "ratio")
    advice = [i.value for i in at.info]
    row = row.copy()
    row["account_id"] = account
    assert f"**{action_label(row['action'])}**: {reason(row, currency)}" in advice
    tabs = [t.label for t in at.tabs]
    assert tabs[0] == f"Timeline ({len(view.timeline):,})"
    assert tabs[1] == f"Orders ({view.kpis.orders:,})"
    timeline = table(at, "When", "Event", "What")
    assert len(timeline) == len(view.timeline)
    assert timeline["Event"].iloc[-1] in ("Deal opened", "Campaign sent", "Order")
    orders = table(at, "Order date", "Lines")
    assert orders["Amount"].sum() == pytest.approx(view.orders["amount"].sum())
    # a deal picked in the Deals tab opens its stage history
    at.session_state["cust_deals"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    first = int(view.deals["deal_id"].iloc[0])
    assert any(f"Deal {first} · " in c.value for c in at.caption)
    assert "**Stage history**" in [m.value for m in at.markdown]


def test_a_link_with_no_valid_customer(engine: sa.Engine) -> None:
    for text in ("12a", "1" * 30, ""):
        at = page_in("en", PAGE, query={"customer": text})
        assert not at.main.subheader and not at.warning
        assert "Search for a customer, or open one from today's list." in [
            c.value for c in at.caption
        ]
    with engine.connect() as conn:
        missing = int(conn.execute(sa.text("SELECT max(id) + 1 FROM accounts")).scalar_one())
    at = page_in("en", PAGE, query={"customer": str(missing)})
    assert any(f"Customer {missing} is not one of the customers" in w.value for w in at.warning)


def test_search_finds_and_opens_a_customer(busiest: tuple[int, int, str]) -> None:
    account, _owner, name = busiest
    at = page_in("en", PAGE)
    assert "Search for a customer, or open one from today's list." in [c.value for c in at.caption]
    at.text_input(key="cust_q").set_value(name.upper()).run()
    assert not at.exception
    picker = at.selectbox[0]
    assert picker.label == "Matching customers" and picker.value is None
    assert picker.options[0].startswith(f"{name} · ")
    picker.set_value(account).run()
    assert not at.exception
    assert at.main.subheader[0].value == name
    assert at.query_params["customer"] in (str(account), [str(account)])
    at.text_input(key="cust_q").set_value("no such customer, surely").run()
    assert any("No customer you may see matches" in c.value for c in at.caption)


def test_the_days_list(engine: sa.Engine, filters: Filters, day: pd.DataFrame) -> None:
    currency = segments_report(engine, filters, Scope.everyone()).currency
    at = page_in("en", PAGE, query={"view": "today"})
    actions = [a for a in dict.fromkeys(day["action"]) if a != "none"]
    assert at.multiselect(key="cust_actions").value == actions
    wanted = day.loc[day["action"] != "none"]
    listed = table(at, "Suggested action", "Why")
    assert len(listed) == min(len(wanted), 1000)
    first = wanted.iloc[0]
    assert listed["Account"].iloc[0] == first["account"]
    assert listed["Suggested action"].iloc[0] == action_label(first["action"])
    assert listed["Why"].tolist()[:50] == [
        reason(r, currency) for _i, r in wanted.head(50).iterrows()
    ]
    # one action only, kept in the link
    at.multiselect(key="cust_actions").set_value(["call_forgotten"]).run()
    assert not at.exception
    forgotten = table(at, "Suggested action", "Why")
    assert len(forgotten) == int((day["action"] == "call_forgotten").sum())
    assert set(forgotten["Suggested action"]) == {"Call: forgotten client"}
    assert all(w.startswith("no contact for ") for w in forgotten["Why"])
    assert at.query_params["action"] in ("call_forgotten", ["call_forgotten"])


def test_a_row_opens_its_360_view(day: pd.DataFrame) -> None:
    at = page_in("en", PAGE, query={"view": "today"})
    at.session_state["cust_day"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    second = day.loc[day["action"] != "none"].iloc[1]
    assert at.segmented_control(key="cust_view").value == "customer"
    assert at.main.subheader[0].value == second["account"]


def test_the_page_in_russian(
    engine: sa.Engine, filters: Filters, day: pd.DataFrame, busiest: tuple[int, int, str]
) -> None:
    account = busiest[0]
    view = customer_view(engine, filters, Scope.everyone(), account)
    assert view is not None
    row = day.set_index("account_id").loc[account].copy()
    at = page_in("ru", PAGE, query={"customer": str(account)})
    assert at.title[0].value == "Клиенты"
    with use_language("ru"):
        assert metric(at, "Выручка") == format_value(view.kpis.revenue, "money", view.currency)
        advice = f"**{action_label(row['action'])}**: {reason(row, view.currency)}"
    assert advice in [i.value for i in at.info]
    words = data_words(engine)
    assert not untranslated(visible_texts(at), words)
    at = page_in("ru", PAGE, query={"view": "today"})
    assert len(table(at, "Почему")) == int((day["action"] != "none").sum())
    assert not untranslated(visible_texts(at), words)


def test_a_rep_sees_only_their_own_customers(
    engine: sa.Engine, filters: Filters, busiest: tuple[int, int, str]
) -> None:
    account, owner, name = busiest
    with engine.connect() as conn:
        other = conn.execute(sa.text(
            "SELECT min(id) FROM employees WHERE role = 'rep' AND id <> :owner AND id IN "
            "(SELECT owner_id FROM accounts a JOIN orders o ON o.account_id = a.id)"
        ), {"owner": owner}).scalar_one()  # fmt: skip
        other_name = conn.execute(
            sa.text("SELECT name FROM employees WHERE id = :id"), {"id": other}
        ).scalar_one()
    # another rep's customer by link: a notice, nothing of the customer
    at = page_in("en", PAGE, role="rep", employee=other, query={"customer": str(account)})
    warnings = [w.value for w in at.warning]
    assert any(f"Customer {account} is not one of the customers you may see" in w
               for w in warnings), warnings  # fmt: skip
    assert not at.main.subheader and not at.tabs
    # and by search: not found
    at.text_input(key="cust_q").set_value(name).run()
    assert any("No customer you may see matches" in c.value for c in at.caption)
    # the owner opens it
    mine = page_in("en", PAGE, role="rep", employee=owner, query={"customer": str(account)})
    assert mine.main.subheader[0].value == name
    # the day's list holds the rep's own customers only
    day = standing(engine, filters, Scope.rep(other))
    at = page_in("en", PAGE, role="rep", employee=other, query={"view": "today"})
    listed = table(at, "Suggested action", "Why")
    assert set(listed["Owner"]) == {other_name}
    assert len(listed) == int((day["action"] != "none").sum())
