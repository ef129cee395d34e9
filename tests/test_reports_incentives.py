"""Incentive report rules on a hand-built CRM (issue #13 item 5 and the incentive bullets of
"Numbers that read wrong"): joiners' and leavers' targets prorated to the working days employed
and paced on them, activities per working day up to ``as_of``, plans of service metrics scoring
the service agents, the gaming signal compared per working day, and plan warnings over whole
earlier periods counting only the reps employed then.

The CRM is :func:`tests.incentive_crm.incentive_crm`.  Q4 2026 (1 Oct 2026 – 1 Jan 2027) has 66
working days; with today 15 Nov the actuals run to ``as_of`` 16 Nov: 32 working days.  Every
expected value is computed by hand in the comments.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from appdb.plans import StoredItem, StoredPlan
from crm_data.filters import Scope
from reports.incentives import incentive_report, simulate
from tests.support.databases import scenario_fixture
from tests.support.incentive_crm import incentive_crm

Q4 = {"period_start": date(2026, 10, 1), "period_end": date(2027, 1, 1)}
TODAY = date(2026, 11, 15)  # as_of 16 Nov
EVERYONE = Scope.everyone()
crm = scenario_fixture(incentive_crm)


def store(name: str, team: int | None, items: list[StoredItem], **period: date) -> StoredPlan:
    """A plan version as stored (Q4 2026 unless a period is given), saved by an admin; the
    reports score what they are given, where plans are stored is ``appdb``'s (test_plans)."""
    fields = {**Q4, **period}
    return StoredPlan(name.lower().replace(" ", "-"), 1, name, fields["period_start"],
                      fields["period_end"], team, 1000.0, datetime(2026, 10, 1), None,
                      tuple(items))  # fmt: skip


@pytest.fixture(scope="module")
def north(crm: sa.Engine) -> StoredPlan:
    """Team 1's Q4 plan: won revenue (builds up: prorated) and activities per working day (a
    level: not prorated)."""
    return store("North Q4", 1, [
        StoredItem("won_revenue", 0.6, target=66_000.0, cap=2.0),
        StoredItem("activities_per_day", 0.4, target=2.0, cap=1.5),
    ])  # fmt: skip


def test_joiners_and_leavers_targets_are_prorated_and_paced_on_their_days(
    crm: sa.Engine, north: StoredPlan
) -> None:
    report = incentive_report(crm, EVERYONE, north, TODAY)
    assert report.as_of == date(2026, 11, 16)
    assert (report.elapsed_days, report.total_days) == (32, 66)
    reps = report.reps.set_index("rep_id")
    assert set(reps.index) == {11, 12, 13, 14, 15}  # no head, no service agent
    # 12: 2 Nov – 31 Dec is 44 working days, 10 before 16 Nov; 13: 1 – 15 Oct is 11
    assert reps.loc[[11, 12, 13], ["worked_days", "elapsed_days"]].values.tolist() == [
        [66, 32], [44, 10], [11, 11]
    ]  # fmt: skip
    items = report.scorecard.items.set_index(["rep_id", "metric_key"])
    # won revenue targets: 66 000 × 44/66 = 44 000 and 66 000 × 11/66 = 11 000
    assert items.loc[(11, "won_revenue"), "target"] == 66_000.0
    assert items.loc[(12, "won_revenue"), "target"] == pytest.approx(44_000.0)
    assert items.loc[(13, "won_revenue"), "target"] == pytest.approx(11_000.0)
    assert items.loc[(12, "won_revenue"), "note"] == (
        "target prorated: employed 44 of 66 working days"
    )
    assert items.loc[(11, "won_revenue"), "note"] == ""
    # a level keeps its target
    assert items.xs("activities_per_day", level="metric_key")["target"].tolist() == [2.0] * 5
    assert items.loc[(12, "activities_per_day"), "note"] == ""
    # activities per working day employed before as_of: 64 / 32, 30 / 10, 22 / 11
    assert items.loc[(11, "activities_per_day"), "actual"] == pytest.approx(2.0)
    assert items.loc[(12, "activities_per_day"), "actual"] == pytest.approx(3.0)
    assert items.loc[(13, "activities_per_day"), "actual"] == pytest.approx(2.0)
    # scores: 11: 0.6 × 33/66 + 0.4 × 1 = 0.7; 12: 0.6 × 22/44 + 0.4 × 1.5 (cap) = 0.9;
    # 13: 0.6 × 11/11 + 0.4 × 1 = 1.0
    summary = report.scorecard.summary.set_index("rep_id")
    assert summary.loc[[11, 12, 13], "score"].tolist() == pytest.approx([0.7, 0.9, 1.0])
    assert summary.loc[12, "note"] == "Targets prorated: employed 44 of 66 working days."
    # pacing on the days employed: 11 expects 66 000 × 32/66 = 32 000 (has 33 000); 12
    # 44 000 × 10/44 = 10 000 (has 22 000); 13 all of its 11 000
    paced = report.pacing.set_index(["rep_id", "metric_key"])
    expected = [paced.loc[(rep, "won_revenue"), "expected"] for rep in (11, 12, 13)]
    assert expected == pytest.approx([32_000.0, 10_000.0, 11_000.0])
    assert {paced.loc[(rep, "won_revenue"), "status"] for rep in (11, 12, 13)} == {"on track"}
    assert paced.loc[(11, "activities_per_day"), "status"] == "on track"
    # the what-if prorates alike: an unchanged plan changes nothing
    same = simulate(report, [vars(item) for item in report.plan.items])
    assert same.reps["score"].tolist() == pytest.approx(same.reps["new_score"].tolist())
    assert same.new_pool == pytest.approx(report.scorecard.summary["bonus"].sum())


def test_a_csat_plan_scores_the_service_agents_with_their_averages(crm: sa.Engine) -> None:
    items = [StoredItem("csat", 1.0, target=4.0, cap=1.5)]
    everyone = incentive_report(crm, EVERYONE, store("CSAT", None, items), TODAY)
    summary = everyone.scorecard.summary.set_index("rep_id")
    assert sorted(summary.index) == [21, 22, 23]
    actual = everyone.scorecard.items.set_index("rep_id")["actual"]
    # 21: (5 + 4) / 2 = 4.5; 22: 3 (the unrated ticket does not count); 23: 4
    assert actual.loc[[21, 22, 23]].tolist() == pytest.approx([4.5, 3.0, 4.0])
    assert summary.loc[[21, 22, 23], "score"].tolist() == pytest.approx([1.125, 0.75, 1.0])
    # a team's service plan scores the team's agents
    team = incentive_report(crm, EVERYONE, store("CSAT North", 1, items), TODAY)
    assert team.scorecard.summary["rep_id"].tolist() == [23]
    assert team.scorecard.summary["score"].tolist() == pytest.approx([1.0])
    assert not [w for w in everyone.warnings + team.warnings if w.kind == "service_item_for_reps"]


def test_a_plan_mixing_sales_and_service_scores_the_reps_and_says_so(crm: sa.Engine) -> None:
    key = store("Mixed", 1, [StoredItem("won_revenue", 0.8, target=66_000.0),
                                   StoredItem("csat", 0.2, target=4.0, cap=1.5)])  # fmt: skip
    report = incentive_report(crm, EVERYONE, key, TODAY)
    assert sorted(report.scorecard.summary["rep_id"]) == [11, 12, 13, 14, 15]
    mixed = [w for w in report.warnings if w.kind == "service_item_for_reps"]
    assert [w.item for w in mixed] == ["csat"]
    assert mixed[0].message.startswith("Customer satisfaction: a service metric in a plan with")


def test_gaming_signal_compares_activities_per_working_day(
    crm: sa.Engine, north: StoredPlan
) -> None:
    """Rep 14 goes from 2 to 5 activities a working day in November while its won deals per
    activity fall; rep 15, hired on 24 Aug, logs a steady 2 a day.

    At as_of 16 Nov (10 working days of November): 14 had 130 activities on 65 working days
    before (2.0 a day; 6 won, 4.6 %) and 50 on 10 (5.0 a day, +150 %; 1 won, 2 %, −56.7 %):
    a signal, although 50 is only 15 % above the mean month's 43.3.  At as_of 1 Dec the whole of
    November: 15 logged 42 against a mean month of 33.3 (+26 %: August counts 6 working days)
    with won deals per activity down from 5 % to 2.4 %, but per working day 2.0 both times: no
    signal; 14 again 5.0 against 2.0.
    """
    mid = incentive_report(crm, EVERYONE, north, TODAY).signals
    assert mid["rep_id"].tolist() == [14]
    row = mid.iloc[0]
    assert row["signal"] == "volume_up_conversion_down"
    assert (row["activities_before"], row["activities_last"]) == pytest.approx((2.0, 5.0))
    assert (row["conversion_before"], row["conversion_last"]) == pytest.approx((6 / 130, 0.02))
    assert row["message"].startswith(
        "Activities per working day up 150% on the previous 3 period(s) (2 → 5)"
    )
    end = incentive_report(crm, EVERYONE, north, date(2026, 11, 30)).signals
    assert end["rep_id"].tolist() == [14]


@pytest.fixture(scope="module")
def south(crm: sa.Engine) -> StoredPlan:
    return store("South Q4", 2, [StoredItem("won_deals", 0.5, target=2.0),
                                      StoredItem("new_deals", 0.5, target=100.0)])  # fmt: skip


def test_plan_warnings_look_back_whole_quarters_at_the_reps_employed_then(
    crm: sa.Engine, south: StoredPlan
) -> None:
    """Q3 2026: rep 31 won 2 deals (100 %), rep 32 won 5 (250 %); rep 33, hired on 1 Oct, was
    not there, so the median is 175 % (counting 33 as 0 it would be 100 %).  The earlier
    quarters start on 1 Oct 2025, 1 Jan, 1 Apr and 1 Jul 2026 (not 92-day steps back from
    1 Oct 2026, which start on 28 Sep 2025)."""
    warnings = incentive_report(crm, EVERYONE, south, TODAY).warnings
    by_kind = {(w.item, w.kind): w.message for w in warnings}
    assert by_kind[("won_deals", "easy_target")] == (
        "Won deals: the median rep reached 175 % of the target in the period starting "
        "2026-07-01 (≥ 150 %). Raise the target so that it takes effort to reach."
    )
    # new deals: at best 5 of 100 (rep 32 in Q3)
    assert by_kind[("new_deals", "unreachable_target")] == (
        "New deals: no rep met the target in any of the last 4 period(s) (those starting "
        "2025-10-01 to 2026-07-01); the best attainment was 5 %. Lower the target (or the "
        "per-rep targets) to something reps have reached."
    )


def test_a_month_plan_looks_back_whole_months(crm: sa.Engine) -> None:
    """November 2026 looks back at July – October (not 30-day steps: 2 Oct, 2 Sep, ...): in
    October team 2's reps won nothing, in July – October at most rep 32's 2 deals of July."""
    key = store("South Nov", 2, [StoredItem("won_deals", 1.0, target=3.0)],
                period_start=date(2026, 11, 1), period_end=date(2026, 12, 1))  # fmt: skip
    warnings = incentive_report(crm, EVERYONE, key, TODAY).warnings
    assert [w.message for w in warnings if w.kind == "unreachable_target"] == [
        "Won deals: no rep met the target in any of the last 4 period(s) (those starting "
        "2026-07-01 to 2026-10-01); the best attainment was 66.7 %. Lower the target (or the "
        "per-rep targets) to something reps have reached."
    ]
