"""Campaign results (``crm_data.queries.campaigns``) and metrics (``analytics.campaigns``) on a
hand-built CRM, on every dialect: responses before as_of, deals within 60 days of the send,
their won revenue, the scope of a rep and the budget share behind ROI."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from analytics.campaigns import campaign_metrics
from crm_data.filters import Filters, Scope
from crm_data.queries.campaigns import campaign_results
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import scenario_fixture

#: February to March 2024, evaluated on 15 March.
FILTERS = Filters(date(2024, 1, 1), date(2024, 4, 1), as_of=date(2024, 3, 15))


def campaign_crm() -> CrmBuilder:
    """Two reps, four accounts; campaign 1 (in the period) reaches all four, campaign 2
    started before it."""
    b = CrmBuilder()
    b.team(1)
    b.employee(11, team_id=1)
    b.employee(12, team_id=1)
    for account, owner in ((100, 11), (101, 11), (102, 12), (103, 12)):
        b.account(account, owner_id=owner)
    b.stage(1, 1)
    b.stage(9, 9, name="Won", is_won=True)
    b.row("campaigns", id=1, name="Spring", channel="email", started_at=datetime(2024, 2, 1),
          ended_at=None, budget=1000.0, segment="All")  # fmt: skip
    b.row("campaigns", id=2, name="Winter", channel="email", started_at=datetime(2023, 12, 1),
          ended_at=None, budget=500.0, segment="All")  # fmt: skip
    members = [  # (id, campaign, account, sent, responded)
        (1, 1, 100, datetime(2024, 2, 1), datetime(2024, 2, 3)),
        (2, 1, 101, datetime(2024, 2, 1), None),
        (3, 1, 102, datetime(2024, 2, 2), datetime(2024, 3, 20)),  # responds after as_of
        (4, 1, 103, datetime(2024, 2, 2), None),
        (5, 2, 100, datetime(2023, 12, 1), datetime(2023, 12, 2)),
    ]
    for id_, campaign, account, sent, responded in members:
        b.row("campaign_members", id=id_, campaign_id=campaign, account_id=account,
              sent_at=sent, responded_at=responded, response=None)  # fmt: skip
    # 100: created 9 days after the send, won before as_of -> converted, 300 attributed
    b.deal(1, 11, 100, [(1, datetime(2024, 2, 10), 300.0), (9, datetime(2024, 3, 1), 300.0)],
           status="won", closed_at=datetime(2024, 3, 1))  # fmt: skip
    # 101: a deal from before the send does not count
    b.deal(2, 11, 101, [(1, datetime(2024, 1, 20), 80.0)])
    # 102: created 37 days after the send, still open -> converted, nothing won
    b.deal(3, 12, 102, [(1, datetime(2024, 3, 10), 50.0)])
    # 103: created 63 days after the send (and after as_of) -> not the campaign's
    b.deal(4, 12, 103, [(1, datetime(2024, 4, 5), 70.0)])
    return b


crm = scenario_fixture(campaign_crm)


def test_campaign_results_by_hand(crm: sa.Engine) -> None:
    everyone = campaign_results(crm, FILTERS, Scope.everyone())
    assert everyone["campaign_id"].tolist() == [1]  # campaign 2 started before the period
    row = everyone.iloc[0]
    assert (row["all_members"], row["members"], row["responded"], row["converted"],
            row["deals"]) == (4, 4, 1, 2, 2)  # fmt: skip
    assert row["won_amount"] == 300.0
    metrics = campaign_metrics(everyone).iloc[0]
    assert metrics["response_rate"] == 0.25 and metrics["conversion_rate"] == 0.5
    assert metrics["budget_share"] == 1000.0 and metrics["roi"] == pytest.approx(-0.7)


def test_a_reps_campaign_results_hold_their_accounts(crm: sa.Engine) -> None:
    mine = campaign_results(crm, FILTERS, Scope.rep(11)).iloc[0]
    assert (mine["all_members"], mine["members"], mine["responded"], mine["converted"]) == (
        4, 2, 1, 1
    )  # fmt: skip
    assert mine["won_amount"] == 300.0
    share = campaign_metrics(campaign_results(crm, FILTERS, Scope.rep(11))).iloc[0]
    assert share["budget_share"] == 500.0 and share["roi"] == pytest.approx(-0.4)
    other = campaign_results(crm, FILTERS, Scope.rep(12)).iloc[0]
    assert (other["members"], other["responded"], other["converted"], other["won_amount"]) == (
        2, 0, 1, 0.0
    )  # fmt: skip
