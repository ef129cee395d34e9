"""The Campaigns & Service page through ``AppTest`` on a fresh S demo database: its cards and
tables against the reports and against counts taken straight from the database, a head and a
rep who see only their accounts' campaigns and tickets, the page in Russian, the empty state,
and the service truth the demo plants (category shares; complaints shortly before lapses)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from analytics.service import COMPLAINT, LAPSE_DAYS
from crm_data.demo.service import CATEGORIES, TICKETS
from crm_data.demo.truth import load_truth
from crm_data.filters import Filters, Scope
from i18n import use_language
from reports.campaigns_service import (
    CampaignsReport,
    ServiceReport,
    campaigns_report,
    complaints_vs_churn,
    service_report,
)
from reports.clv import customer_values
from tests.support.apptest import TODAY, app_database_fixtures, metric, page_in
from tests.support.visible_text import data_words, untranslated, visible_texts
from ui.format import format_value
from ui.service_charts import churn_sentence
from ui.url_filters import Selection, build_filters

PAGE = "pages/campaigns.py"
url, engine, _databases = app_database_fixtures("campaigns_page")
ADMIN = Scope.everyone()
CAMPAIGN_LABELS = ["Campaigns", "Customers reached", "Response rate", "Conversion to deals",
                   "Attributed revenue", "ROI"]  # fmt: skip
SERVICE_LABELS = ["Tickets opened", "First response (median h)", "Resolution time (median h)",
                  "SLA breaches", "Customer satisfaction",
                  "Complaints per 100 active customers"]  # fmt: skip


@pytest.fixture(scope="module")
def filters() -> Filters:
    """The filters of a link without parameters (the default period)."""
    return build_filters(Selection(), TODAY)[0]


@pytest.fixture(scope="module")
def campaigns(engine: sa.Engine, filters: Filters) -> CampaignsReport:
    return campaigns_report(engine, filters, ADMIN)


@pytest.fixture(scope="module")
def service(engine: sa.Engine, filters: Filters) -> ServiceReport:
    return service_report(engine, filters, ADMIN)


def shown(report: CampaignsReport | ServiceReport, currency: str | None = None) -> list[str]:
    """The report's cards as the page should write them, in the language in force."""
    return [format_value(k.value, k.unit, currency) for k in report.kpis]


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The one table of the page with (at least) these columns."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    frame = found[0]
    return frame.data if hasattr(frame, "data") else frame  # a Styler outside English


def scalar(engine: sa.Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def test_the_page_shows_the_report_numbers(
    engine: sa.Engine, filters: Filters, campaigns: CampaignsReport, service: ServiceReport
) -> None:
    at = page_in("en", PAGE)
    assert at.title[0].value == "Campaigns & Service"
    assert [t.label for t in at.tabs] == ["Campaigns", "Service"]
    assert [m.label for m in at.metric] == CAMPAIGN_LABELS + SERVICE_LABELS
    assert [m.value for m in at.metric] == shown(campaigns, campaigns.currency) + shown(service)
    # the campaigns started in the default period (Jul 2025 to Jun 2026) and their members,
    # counted straight from the database
    start, until = filters.start_ts, filters.until_ts
    started = scalar(engine, "SELECT count(*) FROM campaigns WHERE started_at >= :s AND "
                     "started_at < :u", s=start, u=until)  # fmt: skip
    members = scalar(engine, "SELECT count(*) FROM campaign_members m JOIN campaigns c ON "
                     "c.id = m.campaign_id WHERE c.started_at >= :s AND c.started_at < :u AND "
                     "m.sent_at < :u", s=start, u=until)  # fmt: skip
    assert started == 3 and metric(at, "Campaigns") == "3"
    assert metric(at, "Customers reached") == f"{members:,}"
    by_campaign = table(at, "Campaign", "Response rate")
    assert by_campaign["Campaign"].tolist() == campaigns.campaigns["name"].tolist()
    assert by_campaign["Members"].sum() == members
    assert by_campaign["ROI, × budget"].tolist() == pytest.approx(
        campaigns.campaigns["roi"].tolist()
    )
    groups = table(at, "Target segment", "Campaigns")
    assert groups["Target segment"].tolist() == campaigns.by_segment["segment"].tolist()
    assert groups["Campaigns"].sum() == 3
    # the tickets opened in the period, counted straight from the database
    opened = scalar(engine, "SELECT count(*) FROM tickets WHERE opened_at >= :s AND "
                    "opened_at < :u", s=start, u=until)  # fmt: skip
    complaints = scalar(engine, "SELECT count(*) FROM tickets WHERE category = 'complaint' AND "
                        "opened_at >= :s AND opened_at < :u", s=start, u=until)  # fmt: skip
    assert metric(at, "Tickets opened") == f"{opened:,}"
    categories = table(at, "Category", "Share of tickets")
    assert categories["Tickets"].sum() == opened
    assert dict(zip(categories["Category"], categories["Tickets"], strict=True))[COMPLAINT] == (
        complaints
    )
    assert service.values["complaints"] == complaints
    assert metric(at, "Complaints per 100 active customers") == format_value(
        100 * complaints / service.values["active_customers"], "decimal"
    )
    sla = table(at, "Priority", "First-response target (h)")
    assert sla["Priority"].tolist() == ["urgent", "high", "medium", "low"]
    assert sla["Tickets"].sum() == opened
    complainers = table(at, "Customer", "Complaints")
    assert complainers["Customer"].tolist() == service.complainers["name"].tolist()
    assert (complainers["Complaints"] >= 2).all() and len(complainers) > 0
    values = customer_values(engine, filters, ADMIN)
    sentence = churn_sentence(complaints_vs_churn(service, values), LAPSE_DAYS)
    assert sentence in [m.value for m in at.markdown]
    assert [h.value for h in at.main.subheader] == [
        "By campaign", "By target segment and channel", "Tickets by category",
        "Satisfaction trend", "SLA breaches", "Customers with repeated complaints",
        "Complaints and churn",
    ]  # fmt: skip
    assert len(at.get("plotly_chart")) == 6


def test_the_campaigns_grouped_by_channel(campaigns: CampaignsReport) -> None:
    at = page_in("en", PAGE)
    at.segmented_control(key="cs_group_by").set_value("channel").run()
    assert not at.exception
    groups = table(at, "Channel", "Campaigns")
    assert groups["Channel"].tolist() == campaigns.by_channel["channel"].tolist()
    assert groups["Members"].tolist() == campaigns.by_channel["members"].tolist()


def test_a_head_sees_their_team(engine: sa.Engine, filters: Filters) -> None:
    with engine.connect() as conn:
        head, team = conn.execute(sa.text("SELECT head_id, id FROM teams WHERE head_id IS NOT "
                                          "NULL ORDER BY id LIMIT 1")).one()  # fmt: skip
    scope = Scope.head(int(team), int(head))
    mine = service_report(engine, filters, scope)
    at = page_in("en", PAGE, role="head", employee=int(head))
    assert [m.value for m in at.metric][len(CAMPAIGN_LABELS) :] == shown(mine)
    owned = scalar(engine, "SELECT count(*) FROM tickets t JOIN accounts a ON a.id = t.account_id "
                   "JOIN employees e ON e.id = a.owner_id WHERE e.team_id = :team AND "
                   "t.opened_at >= :s AND t.opened_at < :u", team=int(team), s=filters.start_ts,
                   u=filters.until_ts)  # fmt: skip
    assert metric(at, "Tickets opened") == f"{owned:,}"
    assert 0 < owned < service_report(engine, filters, ADMIN).values["tickets_opened"]


def test_a_rep_sees_only_their_own_accounts(engine: sa.Engine, filters: Filters) -> None:
    with engine.connect() as conn:  # the rep whose customers complained most
        rep, name = conn.execute(sa.text(
            "SELECT e.id, e.name FROM employees e JOIN accounts a ON a.owner_id = e.id "
            "JOIN tickets t ON t.account_id = a.id WHERE e.role = 'rep' AND "
            "t.category = 'complaint' AND t.opened_at >= :s AND t.opened_at < :u "
            "GROUP BY e.id, e.name ORDER BY count(*) DESC, e.id LIMIT 1"
        ), {"s": filters.start_ts, "u": filters.until_ts}).one()  # fmt: skip
    scope = Scope.rep(int(rep))
    mine, theirs = service_report(engine, filters, scope), campaigns_report(engine, filters, scope)
    at = page_in("en", PAGE, role="rep", employee=int(rep))
    assert [m.value for m in at.metric] == shown(theirs, theirs.currency) + shown(mine)
    owned = scalar(engine, "SELECT count(*) FROM tickets t JOIN accounts a ON a.id = t.account_id "
                   "WHERE a.owner_id = :rep AND t.opened_at >= :s AND t.opened_at < :u",
                   rep=int(rep), s=filters.start_ts, u=filters.until_ts)  # fmt: skip
    assert metric(at, "Tickets opened") == f"{owned:,}"
    reached = scalar(engine, "SELECT count(*) FROM campaign_members m JOIN campaigns c ON "
                     "c.id = m.campaign_id JOIN accounts a ON a.id = m.account_id WHERE "
                     "a.owner_id = :rep AND c.started_at >= :s AND c.started_at < :u AND "
                     "m.sent_at < :u", rep=int(rep), s=filters.start_ts,
                     u=filters.until_ts)  # fmt: skip
    assert metric(at, "Customers reached") == f"{reached:,}"
    everyone = campaigns_report(engine, filters, ADMIN).kpis[1].value
    assert 0 < reached < everyone
    # the repeat complainers are the rep's own accounts, as the query under the rep's scope
    complainers = table(at, "Customer", "Complaints")
    assert set(complainers["Owner"]) <= {name}
    expected = mine.customers[mine.customers["complaints"] >= 2]
    assert sorted(complainers["Customer"]) == sorted(expected["name"])
    with engine.connect() as conn:
        own = set(conn.execute(sa.text("SELECT name FROM accounts WHERE owner_id = :rep"),
                               {"rep": int(rep)}).scalars())  # fmt: skip
    assert set(complainers["Customer"]) <= own
    by_campaign = table(at, "Campaign", "Response rate")
    assert by_campaign["Members"].tolist() == theirs.campaigns["members"].tolist()


def test_the_page_in_russian(engine: sa.Engine, service: ServiceReport) -> None:
    at = page_in("ru", PAGE)
    assert at.title[0].value == "Кампании и сервис"
    assert [t.label for t in at.tabs] == ["Кампании", "Сервис"]
    with use_language("ru"):
        expected = shown(service)
    assert [m.value for m in at.metric][len(CAMPAIGN_LABELS) :] == expected
    assert metric(at, "Нарушения SLA") == expected[3]
    assert "Обращения по категориям" in [h.value for h in at.subheader]
    categories = table(at, "Категория", "Доля обращений")
    assert "жалоба" in categories["Категория"].tolist()
    assert untranslated(visible_texts(at), data_words(engine)) == []
    rep = page_in("ru", PAGE, role="rep", employee=int(service.complainers["owner_id"].iloc[0]))
    assert untranslated(visible_texts(rep), data_words(engine)) == []


def test_a_period_without_campaigns_or_tickets_says_so() -> None:
    at = page_in("en", PAGE, query={"period": "custom", "from": "2020-01-01", "to": "2020-01-31"})
    assert [m.label for m in at.metric] == []
    infos = [i.value for i in at.info]
    assert any("No campaign started in this period" in text for text in infos), infos
    assert any("No service ticket was opened or resolved" in text for text in infos), infos


# ---- the service truth the demo plants ---------------------------------------------------------


def test_ticket_categories_follow_the_planted_shares(engine: sa.Engine) -> None:
    truth = load_truth(engine)
    history = Filters(date.fromisoformat(truth["generator"]["start"]),
                      date.fromisoformat(truth["generator"]["end"]))  # fmt: skip
    categories = service_report(engine, history, ADMIN).categories.set_index("category")
    # every complaint: the planted share of the tickets, and one before half of the lapses
    churn = truth["complaint_churn"]
    assert categories.loc[COMPLAINT, "tickets"] == (
        churn["lapse_complaints"] + churn["other_complaints"]
    )
    assert churn["lapse_complaints"] == pytest.approx(
        TICKETS["complaint_before_lapse_share"] * churn["lapsed"], rel=0.15
    )
    # the other categories keep the planted proportions among themselves (about 1,200 tickets:
    # a share's standard error is under 0.015, so 0.04 is more than two and a half of them)
    planted = dict(zip(CATEGORIES, TICKETS["category_share"], strict=True))
    others = [c for c in CATEGORIES if c != COMPLAINT]
    counts = categories.loc[others, "tickets"]
    expected = pd.Series({c: planted[c] for c in others}) / sum(planted[c] for c in others)
    assert (counts / counts.sum()).to_dict() == pytest.approx(expected.to_dict(), abs=0.04)
    assert churn["other_complaints"] / (churn["other_complaints"] + counts.sum()) == (
        pytest.approx(planted[COMPLAINT], abs=0.04)
    )


def test_customers_who_complained_lapse_more(
    engine: sa.Engine, filters: Filters, service: ServiceReport
) -> None:
    churn = complaints_vs_churn(service, customer_values(engine, filters, ADMIN))
    complained, others = (churn[churn["complained"] == flag].iloc[0] for flag in (True, False))
    assert complained["customers"] > 100 and others["customers"] > 500
    assert complained["lapse_share"] > others["lapse_share"] + 0.03
    assert complained["churn_risk"] > others["churn_risk"] + 0.05
    assert churn_sentence(churn, LAPSE_DAYS).startswith(
        "**Active customers who complained in the period are more likely to leave"
    )
