"""The recommended next action (``analytics.next_action``) and one customer's KPIs and timeline
(``analytics.customer_view``), on hand-made rows."""

from __future__ import annotations

import math
from datetime import datetime

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.customer_view import customer_kpis, customer_timeline
from analytics.next_action import (
    ACTIONS,
    INPUT_COLUMNS,
    NO_ACTION,
    action_inputs,
    next_actions,
)

NAN = float("nan")
#: A customer no rule picks: bought 10 days ago, usual gap 30 days, nothing open.
QUIET = dict(account_id=1, orders=3, days_since_purchase=10.0, days_since_first_purchase=400.0,
             days_since_contact=10.0, usual_gap_days=30.0, open_deals=0, overdue_activities=0,
             latest_overdue_days=NAN, open_complaints=0, churn_risk=0.1, abc_class="B",
             segment="Need attention")  # fmt: skip


def action(**changes: object) -> tuple[str, int]:
    row = next_actions(pd.DataFrame([{**QUIET, **changes}])).iloc[0]
    return str(row["action"]), int(row["priority"])


def test_a_quiet_customer_needs_nothing() -> None:
    assert action() == (NO_ACTION, 99)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"open_complaints": 1}, ("resolve_complaint", 1)),
        ({"overdue_activities": 2, "latest_overdue_days": 30.0}, ("overdue_followup", 2)),
        # overdue for longer than the window: a stale plan, not today's work
        ({"overdue_activities": 2, "latest_overdue_days": 30.5}, (NO_ACTION, 99)),
        ({"churn_risk": 0.5, "abc_class": "A"}, ("save_at_risk", 3)),
        ({"churn_risk": 0.49, "abc_class": "A"}, (NO_ACTION, 99)),
        ({"churn_risk": 0.9, "abc_class": "B"}, (NO_ACTION, 99)),
        # forgotten: more than 90 days without contact (exactly 90 is not yet), no open deal
        ({"days_since_contact": 90.5, "days_since_purchase": 90.5, "usual_gap_days": NAN},
         ("call_forgotten", 4)),
        ({"days_since_contact": 90.0, "days_since_purchase": 90.0, "usual_gap_days": NAN},
         (NO_ACTION, 99)),
        ({"days_since_contact": 120.0, "open_deals": 1}, (NO_ACTION, 99)),
        # overdue by its own rhythm: 61 days since the order, usual gap 30
        ({"days_since_purchase": 61.0, "days_since_contact": 5.0}, ("offer_reorder", 5)),
        ({"days_since_purchase": 60.0, "days_since_contact": 5.0}, (NO_ACTION, 99)),
        ({"days_since_first_purchase": 29.0, "orders": 1}, ("welcome", 6)),
        ({"days_since_first_purchase": 29.0, "orders": 2}, (NO_ACTION, 99)),
        ({"segment": "Champions"}, ("grow", 7)),
        ({"segment": "Loyal"}, ("grow", 7)),
    ],
)  # fmt: skip
def test_each_rule(changes: dict[str, object], expected: tuple[str, int]) -> None:
    assert action(**changes) == expected


def test_the_most_urgent_rule_wins() -> None:
    everything = dict(open_complaints=1, overdue_activities=1, latest_overdue_days=1.0,
                      churn_risk=0.8, abc_class="A", days_since_contact=200.0,
                      days_since_purchase=200.0, segment="Champions")  # fmt: skip
    assert action(**everything) == ("resolve_complaint", 1)
    assert action(**{**everything, "open_complaints": 0}) == ("overdue_followup", 2)
    assert action(**{**everything, "open_complaints": 0, "overdue_activities": 0}) == (
        "save_at_risk", 3
    )  # fmt: skip
    assert action(**{**everything, "open_complaints": 0, "overdue_activities": 0,
                     "churn_risk": NAN}) == ("call_forgotten", 4)  # fmt: skip


def test_a_missing_input_is_named() -> None:
    with pytest.raises(ValueError, match="churn_risk"):
        next_actions(pd.DataFrame([QUIET]).drop(columns=["churn_risk"]))


@given(st.lists(st.fixed_dictionaries({
    "open_complaints": st.integers(0, 2), "overdue_activities": st.integers(0, 2),
    "latest_overdue_days": st.floats(0, 100), "churn_risk": st.floats(0, 1) | st.just(NAN),
    "abc_class": st.sampled_from(["A", "B", "C", None]),
    "days_since_contact": st.floats(0, 400), "days_since_purchase": st.floats(0, 400),
    "usual_gap_days": st.floats(1, 200) | st.just(NAN), "open_deals": st.integers(0, 2),
    "segment": st.sampled_from(["Champions", "Lost", None]), "orders": st.integers(0, 5),
    "days_since_first_purchase": st.floats(0, 400),
}), max_size=20))  # fmt: skip
def test_actions_and_priorities_agree_row_by_row(rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame([{**QUIET, **row} for row in rows], columns=list(INPUT_COLUMNS))
    picked = next_actions(frame)
    assert len(picked) == len(frame)
    for one, whole in zip(frame.to_dict("records"), picked.itertuples(), strict=True):
        alone = next_actions(pd.DataFrame([one])).iloc[0]  # a row's action ignores the others
        assert (alone["action"], alone["priority"]) == (whole.action, whole.priority)
        expected = ACTIONS.index(whole.action) + 1 if whole.action != NO_ACTION else 99
        assert whole.priority == expected


def test_action_inputs_from_the_queries() -> None:
    as_of = datetime(2024, 4, 1)
    contacts = pd.DataFrame({
        "account_id": [1, 2], "first_order_at": pd.to_datetime(["2024-01-01", None]),
        "last_order_at": pd.to_datetime(["2024-03-01", None]),
        "first_won_at": pd.to_datetime([None, "2024-03-22"]),
        "last_activity_at": pd.to_datetime(["2024-03-21", None]),
        "open_deals": [0, 1], "revenue": [100.0, 0.0],
    })  # fmt: skip
    rhythm = pd.DataFrame({"account_id": [1], "median_gap_days": [30.0]})
    items = pd.DataFrame({"account_id": [2], "open_complaints": [1],
                          "oldest_complaint_days": [3.0], "overdue_activities": [2],
                          "latest_overdue_days": [1.0]})  # fmt: skip
    rows = action_inputs(contacts, rhythm, items, as_of)
    assert rows["days_since_purchase"].tolist() == [31.0, 10.0]  # a won deal counts too
    assert rows["days_since_first_purchase"].tolist() == [91.0, 10.0]
    assert rows["days_since_contact"].tolist() == [11.0, 10.0]  # the later activity
    assert rows["usual_gap_days"].iloc[0] == 30.0 and math.isnan(rows["usual_gap_days"].iloc[1])
    assert rows["open_complaints"].tolist() == [0, 1]
    assert rows["overdue_activities"].tolist() == [0, 2]


def records(**frames: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The five record frames of one customer, empty unless given."""
    t = "datetime64[us]"
    empty = {
        "orders": pd.DataFrame({"ordered_at": pd.Series(dtype=t), "amount": [], "channel": []}),
        "deals": pd.DataFrame({"deal_id": [], "title": [], "stage": [], "status": [],
                               "amount": [], "created_at": pd.Series(dtype=t),
                               "closed_at": pd.Series(dtype=t),
                               "stage_entered_at": pd.Series(dtype=t), "stages": []}),
        "activities": pd.DataFrame({"type": [], "status": [], "at": pd.Series(dtype=t),
                                    "outcome": [], "deal_id": []}),
        "tickets": pd.DataFrame({"category": [], "priority": [], "opened_at": pd.Series(dtype=t),
                                 "resolved_at": pd.Series(dtype=t), "satisfaction": []}),
        "campaigns": pd.DataFrame({"campaign": [], "sent_at": pd.Series(dtype=t),
                                   "responded_at": pd.Series(dtype=t), "response": []}),
    }  # fmt: skip
    return {**empty, **frames}


def test_kpis_by_hand() -> None:
    deals = pd.DataFrame({"status": ["won", "lost", "lost", "open"],
                          "amount": [100.0, 50.0, 20.0, 70.0]})  # fmt: skip
    tickets = pd.DataFrame({"category": ["complaint", "question"],
                            "resolved_at": pd.to_datetime(["2024-01-02", None]),
                            "satisfaction": pd.array([2, pd.NA], dtype="Int64")})  # fmt: skip
    kpis = customer_kpis(pd.Series({"orders": 4, "revenue": 1000.0}),
                         **records(deals=deals, tickets=tickets))  # fmt: skip
    assert (kpis.average_order, kpis.won_amount, kpis.open_amount) == (250.0, 100.0, 70.0)
    assert kpis.win_rate == pytest.approx(1 / 3)
    assert (kpis.tickets, kpis.open_tickets, kpis.complaints, kpis.satisfaction) == (2, 1, 1, 2.0)
    none = customer_kpis(pd.Series({"orders": 0, "revenue": 0.0}), **records())
    assert math.isnan(none.average_order) and math.isnan(none.win_rate)
    assert math.isnan(none.satisfaction)


def test_timeline_latest_first() -> None:
    ts = pd.Timestamp
    deals = pd.DataFrame({"deal_id": [7, 8], "title": ["Big", "Small"],
                          "stage": ["Proposal", "Won"], "status": ["open", "won"],
                          "amount": [500.0, 80.0],
                          "created_at": [ts(2024, 1, 1), ts(2024, 1, 5)],
                          "closed_at": [pd.NaT, ts(2024, 2, 1)],
                          "stage_entered_at": [ts(2024, 1, 10), ts(2024, 2, 1)],
                          "stages": [2, 2]})  # fmt: skip
    orders = pd.DataFrame({"ordered_at": [ts(2024, 2, 1)], "amount": [80.0],
                           "channel": ["online"]})  # fmt: skip
    campaigns = pd.DataFrame({"campaign": ["Spring"], "sent_at": [ts(2024, 1, 3)],
                              "responded_at": [pd.NaT], "response": [None]})  # fmt: skip
    timeline = customer_timeline(**records(deals=deals, orders=orders, campaigns=campaigns))
    assert timeline["event"].tolist() == ["order", "deal_won", "stage", "deal_created",
                                          "campaign_sent", "deal_created"]  # fmt: skip
    assert timeline["subject"].tolist()[:3] == ["online", "Small", "Big → Proposal"]
    assert timeline["ref"].tolist() == [pd.NA, 8, 7, 8, pd.NA, 7]
    assert customer_timeline(**records()).empty
