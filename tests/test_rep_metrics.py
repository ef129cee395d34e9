"""Per-rep metrics (``reports.rep_metrics``, the catalogue's per-rep functions) against plain SQL
and against the page totals they must add up to, on a fresh S demo database."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from crm_data.filters import Filters, Scope
from reports.catalogue import CATALOGUE, metric, per_rep_metrics
from reports.funnel import funnel_report
from reports.overview import overview_report
from reports.rep_metrics import COMPARED_BY_MEAN, PER_REP, SAMPLES, rep_actuals
from tests.support.databases import demo_fixture, scenario_fixture
from tests.support.incentive_crm import incentive_crm
from ui.format import format_value

FILTERS = Filters(date(2025, 7, 1), date(2026, 7, 1))


engine = demo_fixture("reps", seed=5, end=date(2026, 7, 1))


crm = scenario_fixture(incentive_crm)


@pytest.fixture(scope="module")
def actuals(engine: sa.Engine) -> pd.DataFrame:
    wide = rep_actuals(engine, FILTERS, Scope.everyone(), list(PER_REP))
    return wide.pivot(index="rep_id", columns="metric_key", values="actual")


def per_owner(engine: sa.Engine, sql: str) -> pd.Series:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(sql), {"s": FILTERS.start, "e": FILTERS.end}).all()
    return pd.Series({int(owner): float(value) for owner, value in rows})


def test_closed_deal_metrics_equal_plain_sql(engine: sa.Engine, actuals: pd.DataFrame) -> None:
    closed = "closed_at >= :s AND closed_at < :e"
    won = per_owner(engine, f"SELECT owner_id, count(*) FROM deals WHERE status = 'won' AND "
                            f"{closed} GROUP BY owner_id")  # fmt: skip
    revenue = per_owner(engine, f"SELECT owner_id, sum(amount) FROM deals WHERE status = 'won' "
                                f"AND {closed} GROUP BY owner_id")  # fmt: skip
    both = per_owner(engine, f"SELECT owner_id, count(*) FROM deals WHERE status IN "
                             f"('won', 'lost') AND {closed} GROUP BY owner_id")  # fmt: skip
    assert len(won) > 5
    assert actuals.loc[won.index, "won_deals"].tolist() == won.tolist()
    assert actuals.loc[revenue.index, "won_revenue"].to_numpy() == pytest.approx(revenue)
    rates = (won.reindex(both.index).fillna(0) / both).sort_index()
    assert actuals.loc[rates.index, "win_rate"].to_numpy() == pytest.approx(rates.to_numpy())
    average = revenue / won
    assert actuals.loc[average.index, "average_won_deal"].to_numpy() == pytest.approx(average)


def test_per_rep_values_add_up_to_the_funnel_page(engine: sa.Engine, actuals: pd.DataFrame) -> None:
    report = funnel_report(engine, FILTERS, Scope.everyone())
    assert actuals["new_deals"].sum() == report.cohort
    assert actuals["stuck_deals"].sum() == report.stuck_count
    assert actuals["open_pipeline"].notna().sum() > 5
    created = per_owner(engine, "SELECT owner_id, count(*) FROM deals WHERE created_at >= :s "
                                "AND created_at < :e GROUP BY owner_id")  # fmt: skip
    assert actuals.loc[created.index, "new_deals"].tolist() == created.tolist()


def test_a_reps_scope_gives_only_that_rep(engine: sa.Engine, actuals: pd.DataFrame) -> None:
    rep = int(actuals["won_deals"].idxmax())
    mine = rep_actuals(engine, FILTERS, Scope.rep(rep), ["won_deals", "win_rate"])
    assert set(mine["rep_id"]) == {rep}
    values = mine.set_index("metric_key")["actual"]
    assert values["won_deals"] == actuals.loc[rep, "won_deals"]
    assert values["win_rate"] == pytest.approx(actuals.loc[rep, "win_rate"])


def test_catalogue_offers_the_per_rep_metrics() -> None:
    assert set(PER_REP) <= set(CATALOGUE)
    assert {m.key for m in per_rep_metrics()} == set(PER_REP)
    assert metric("win_rate").per_rep is PER_REP["win_rate"]
    assert metric("forgotten_clients").per_rep is None
    # counts are whole numbers on the cards; only rates per day have a decimal
    counts = [m.key for m in CATALOGUE.values() if m.unit == "count"]
    assert {"active_conversations", "won_deals", "new_deals", "stuck_deals"} <= set(counts)
    assert [m.key for m in CATALOGUE.values() if m.unit == "decimal"] == [
        "activities_per_day", "csat"
    ]  # fmt: skip
    assert format_value(385.0, metric("active_conversations").unit) == "385"
    with pytest.raises(KeyError, match="No per-rep value for forgotten_clients"):
        rep_actuals(None, FILTERS, Scope.everyone(), ["forgotten_clients"])  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="Unknown metric 'colour'"):
        metric("colour")


def test_activity_metrics_per_employee(engine: sa.Engine, actuals: pd.DataFrame) -> None:
    done = per_owner(engine, "SELECT employee_id, count(*) FROM activities WHERE status = 'done' "
                             "AND done_at >= :s AND done_at < :e AND employee_id IS NOT NULL "
                             "GROUP BY employee_id")  # fmt: skip
    assert len(done) > 5
    assert actuals.loc[done.index, "activities_done"].tolist() == done.tolist()
    # per working day: the activities over the working days of employment (Mon-Fri)
    days = (actuals["activities_done"] / actuals["activities_per_day"]).dropna()
    assert len(days) > 5 and ((days > 0) & (days <= 262)).all()
    for share in ("followup_compliance", "next_step_coverage", "data_discipline"):
        values = actuals[share].dropna()
        assert len(values) > 5 and values.between(0, 1).all(), share
    assert (actuals["active_conversations"].dropna() >= 0).all()
    # per owner, the active conversations add up to the Overview's company-wide number
    overview = overview_report(engine, FILTERS, Scope.everyone())
    assert actuals["active_conversations"].sum() == overview.kpi("active_conversations").value
    assert (actuals["lead_response_hours"].dropna() > 0).all()


def test_service_metrics_per_assignee(engine: sa.Engine, actuals: pd.DataFrame) -> None:
    resolved = per_owner(engine, "SELECT assignee_id, count(*) FROM tickets WHERE resolved_at "
                                 ">= :s AND resolved_at < :e AND assignee_id IS NOT NULL "
                                 "GROUP BY assignee_id")  # fmt: skip
    rated = (
        "FROM tickets WHERE resolved_at >= :s AND resolved_at < :e AND assignee_id IS "
        "NOT NULL AND satisfaction IS NOT NULL GROUP BY assignee_id"
    )
    scores = per_owner(engine, f"SELECT assignee_id, avg(satisfaction) {rated}")
    assert len(resolved) > 0
    assert actuals.loc[resolved.index, "tickets_resolved"].tolist() == resolved.tolist()
    assert actuals.loc[scores.index, "csat"].to_numpy() == pytest.approx(scores.to_numpy())
    assert (actuals.loc[resolved.index, "resolution_hours"] > 0).all()


def test_activities_per_working_day_count_the_days_to_as_of(crm: sa.Engine) -> None:
    """Mid-period each employee's activities are divided by the working days employed before
    ``as_of``, not to the period's end: in Q4 2026 at as_of 16 Nov (32 of 66 working days) rep
    11 did 64 (2.0 a day, not 64 / 66 = 0.97), rep 12, hired on 2 Nov, 30 in 10 days (3.0, not
    30 / 44), rep 13, who left on 16 Oct, 22 in 11 days (2.0)."""
    filters = Filters(date(2026, 10, 1), date(2027, 1, 1), as_of=date(2026, 11, 16))
    per_day = PER_REP["activities_per_day"](crm, filters, Scope.everyone())
    assert per_day.loc[[11, 12, 13]].tolist() == pytest.approx([2.0, 3.0, 2.0])
    # the whole quarter (as_of its end): the same activities over 66, 44 and 11 days
    whole = PER_REP["activities_per_day"](crm, Filters(date(2026, 10, 1), date(2027, 1, 1)),
                                          Scope.everyone())  # fmt: skip
    assert whole.loc[[11, 12, 13]].tolist() == pytest.approx([64 / 66, 30 / 44, 2.0])


def test_samples_hold_the_values_and_the_counts_behind_them(
    engine: sa.Engine, actuals: pd.DataFrame
) -> None:
    """Each leaderboard sample's value is the per-rep metric itself, and its counts and spreads
    are those of plain SQL (sample variance of the won amounts, n − 1 denominator)."""
    for key, sample in SAMPLES.items():
        table = sample.table(engine, FILTERS, Scope.everyone())
        values = table[sample.value].dropna()
        if key in PER_REP and key not in COMPARED_BY_MEAN:  # those samples are means
            expected = actuals.loc[values.index, key].to_numpy()
            assert values.to_numpy() == pytest.approx(expected), key
        if sample.successes:
            rates = table[sample.successes] / table[sample.size]
            assert rates.dropna().to_numpy() == pytest.approx(values.to_numpy()), key
    assert [k for k, s in SAMPLES.items() if s.kind == "mean"] == [
        "average_won_deal", "sales_cycle", "csat", "first_response_hours", "resolution_hours"
    ]  # fmt: skip
    won = SAMPLES["average_won_deal"].table(engine, FILTERS, Scope.everyone())
    with engine.connect() as conn:
        rows = pd.DataFrame(
            conn.execute(
                sa.text("SELECT owner_id, amount FROM deals WHERE status = 'won' AND closed_at "
                        ">= :s AND closed_at < :e"), {"s": FILTERS.start, "e": FILTERS.end}
            ).all(), columns=["owner_id", "amount"],
        )  # fmt: skip
    by_owner = rows.groupby("owner_id")["amount"]
    assert won["won"].to_dict() == by_owner.size().to_dict()
    spread = by_owner.var(ddof=1).dropna()
    assert won.loc[spread.index, "amount_variance"].to_numpy() == pytest.approx(spread.to_numpy())
    cycles = SAMPLES["sales_cycle"].table(engine, FILTERS, Scope.everyone())["mean_cycle_days"]
    assert (cycles.dropna() > 0).all()
    # the service times: hours from opening, over the tickets resolved in the period
    times = SAMPLES["resolution_hours"].table(engine, FILTERS, Scope.everyone())
    resolved = "resolved_at >= :s AND resolved_at < :e AND assignee_id IS NOT NULL"
    with engine.connect() as conn:
        tickets = pd.DataFrame(
            conn.execute(sa.text(f"SELECT assignee_id, opened_at, first_response_at, resolved_at "
                                 f"FROM tickets WHERE {resolved}"),
                         {"s": FILTERS.start, "e": FILTERS.end}).all(),
            columns=["assignee_id", "opened_at", "first_response_at", "resolved_at"],
        )  # fmt: skip
    hours = (tickets["resolved_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
    mean = hours.groupby(tickets["assignee_id"]).mean()
    assert len(mean) > 1
    assert times.loc[mean.index, "mean_resolution_hours"].to_numpy() == pytest.approx(mean)
    answered = tickets["first_response_at"] <= tickets["resolved_at"]
    first = (tickets["first_response_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
    spread = first[answered].groupby(tickets["assignee_id"][answered]).var(ddof=1)
    assert times.loc[spread.index, "response_variance"].to_numpy() == pytest.approx(spread)
