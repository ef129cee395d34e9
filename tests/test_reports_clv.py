"""Customer values (``reports.clv``) on a fresh S demo database: the purchase summary against
plain SQL, the models' outputs in range, the empirical spend fallback on the demo's heavy-tailed
spend, a rep's customers only, and no fit without enough repeat buyers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from reports.clv import MIN_REPEAT_BUYERS, customer_values
from tests.support.databases import demo_fixture

FILTERS = Filters(date(2025, 7, 1), date(2026, 7, 1))


engine = demo_fixture("clv", seed=42, end=date(2026, 7, 1))


def order_days(engine: sa.Engine, owner: int | None = None) -> pd.DataFrame:
    """Per account with an order before as_of: distinct order days and revenue, by SQL."""
    where = "" if owner is None else "AND a.owner_id = :owner"
    sql = (
        "SELECT o.account_id, count(DISTINCT CAST(o.ordered_at AS DATE)), sum(o.amount) "
        f"FROM orders o JOIN accounts a ON a.id = o.account_id WHERE o.ordered_at < :as_of "
        f"{where} GROUP BY o.account_id"
    )
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql), {"as_of": FILTERS.as_of_ts, "owner": owner}).all()
    return pd.DataFrame(rows, columns=["account_id", "days", "revenue"]).set_index("account_id")


def test_customer_values_on_the_demo(engine: sa.Engine) -> None:
    values = customer_values(engine, FILTERS, Scope.everyone())
    table = values.table.set_index("account_id")
    truth = order_days(engine)
    assert sorted(table.index) == sorted(truth.index)
    assert (table["frequency"] == truth.loc[table.index, "days"] - 1).all()
    assert table["repeat_buyer"].tolist() == (table["frequency"] > 0).tolist()
    assert values.fitted and set(values.purchase_params) == {"r", "alpha", "a", "b"}
    # P(alive) in (0, 1], churn risk its complement; one-time buyers are not all "alive"
    assert ((table["p_alive"] > 0) & (table["p_alive"] <= 1)).all()
    assert np.allclose(table["churn_risk"], 1 - table["p_alive"])
    assert (table.loc[~table["repeat_buyer"], "p_alive"] < 1).all()
    assert (table["expected_purchases"] >= 0).all() and (table["clv"] >= 0).all()
    # the demo's B2B spend is too heavy-tailed for Gamma-Gamma (q runs to 1): the fallback
    assert values.spend_params["q"] < 1.05 and values.spend_model == "empirical"
    repeat = table[table["repeat_buyer"] & (table["monetary"] > 0)]
    assert np.allclose(repeat["expected_value"], repeat["monetary"])
    others = table.loc[~table.index.isin(repeat.index), "expected_value"]
    assert np.allclose(others, repeat["monetary"].mean())


def test_a_reps_customers_only(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        owner = conn.execute(sa.text("SELECT owner_id FROM accounts GROUP BY owner_id "
                                     "ORDER BY count(*) DESC LIMIT 1")).scalar()  # fmt: skip
    mine = customer_values(engine, FILTERS, Scope.rep(int(owner)))
    assert sorted(mine.table["account_id"]) == sorted(order_days(engine, int(owner)).index)


def test_no_fit_without_enough_repeat_buyers(engine: sa.Engine) -> None:
    early = Filters(date(2023, 6, 1), date(2023, 8, 1))  # the demo's first weeks
    values = customer_values(engine, early, Scope.everyone())
    repeaters = int(values.table["repeat_buyer"].sum())
    assert repeaters < MIN_REPEAT_BUYERS and not values.fitted
    assert values.table["clv"].isna().all() and values.spend_model == ""
