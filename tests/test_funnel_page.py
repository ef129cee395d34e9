"""The Funnel page through ``AppTest`` on a fresh S demo database: its cards and tables against
the report and independent SQL, the page choices kept in the URL (variant, split), the scope of
a rep and a head, the stuck-deal drill-through, the pipeline waterfall and an empty period."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.elements.lib import policies
from streamlit.testing.v1 import AppTest

from crm_data.config import create_crm_engine
from crm_data.filters import Filters, Scope
from crm_data.queries import stage_high_water_marks
from reports.funnel import COMPARED_GROUPS, STUCK_ROWS, FunnelReport, funnel_report
from tests.support.apptest import TODAY, app_database, metric, run
from tests.support.crm_builder import CrmBuilder
from ui.format import format_value
from ui.url_filters import Selection, build_filters

PAGE = "pages/funnel.py"
#: The default period, last 12 months to 29 Jun 2026: [START, END).
START, END = date(2025, 7, 1), date(2026, 6, 30)


@pytest.fixture(scope="module")
def s_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh S demo database the app reads (see ``tests.test_app_shell.app_database``)."""
    with app_database(tmp_path_factory.mktemp("funnel")) as url:
        yield url


@pytest.fixture(scope="module")
def filters() -> Filters:
    """The filters of a link without parameters (the default period)."""
    built, _ = build_filters(Selection(), TODAY)
    assert (built.start, built.end) == (START, END)
    return built


def report_for(url: str, filters: Filters, scope: Scope, strict: bool = False) -> FunnelReport:
    engine = create_crm_engine(url, read_only=True)
    try:
        return funnel_report(engine, filters, scope, strict)
    finally:
        engine.dispose()


def sql(url: str, statement: str, **params: object) -> list[sa.Row]:
    engine = create_crm_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(statement), params))
    finally:
        engine.dispose()


def funnel(**kwargs: object) -> AppTest:
    """The app run as in :func:`tests.test_app_shell.run`, then switched to the Funnel page."""
    at = run(**kwargs)  # type: ignore[arg-type]
    assert not at.exception, at.exception
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Funnel"
    return at


def table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The one table of the page with (at least) these columns (only selectable ones keep a
    key in the element tree)."""
    found = [d.value for d in at.dataframe if set(columns) <= set(d.value.columns)]
    assert len(found) == 1, [list(d.value.columns) for d in at.dataframe]
    return found[0]


def tab_labels(at: AppTest) -> list[str]:
    return [t.label for t in at.tabs]


def reached(at: AppTest) -> list[int]:
    return table(at, "Stage", "Reached")["Reached"].astype(int).tolist()


def open_pipeline(url: str, moment: date) -> tuple[int, float]:
    """Deals open at ``moment``'s midnight and the Σ of their last amount before it."""
    rows = sql(
        url,
        "WITH last AS (SELECT deal_id, amount, row_number() OVER (PARTITION BY deal_id "
        "ORDER BY entered_at DESC, id DESC) AS rn FROM deal_stage_history WHERE entered_at < :t) "
        "SELECT count(*), coalesce(sum(last.amount), 0) FROM deals d "
        "JOIN last ON last.deal_id = d.id AND last.rn = 1 "
        "WHERE d.created_at < :t AND (d.closed_at IS NULL OR d.closed_at >= :t)",
        t=datetime.combine(moment, datetime.min.time()),
    )
    return int(rows[0][0]), float(rows[0][1])


def test_admin_sees_the_report_numbers(s_url: str, filters: Filters) -> None:
    at = funnel()
    report = report_for(s_url, filters, Scope.everyone())
    assert len(at.metric) == len(report.kpis) == 9
    for kpi in report.kpis:
        assert metric(at, kpi.label) == format_value(kpi.value, kpi.unit, report.currency)
    conversion = table(at, "Stage", "Reached")
    assert conversion["Stage"].tolist() == report.funnel["stage"].tolist()
    assert conversion["Reached"].tolist() == report.funnel["reached"].tolist()
    assert at.segmented_control(key="funnel_variant").value == "hwm"
    assert at.selectbox(key="funnel_by").value == "none"
    assert at.query_params == {}  # the defaults stay out of the URL
    assert tab_labels(at) == [
        "Time in stage", f"Stuck deals ({report.stuck_count:,})", "Lost reasons",
        "Pipeline change", "Stage flow",
    ]  # fmt: skip
    # and the cards agree with plain SQL over the deals table
    (created,) = sql(
        s_url, "SELECT count(*) FROM deals WHERE created_at >= :s AND created_at < :e",
        s=START, e=END,
    )[0]  # fmt: skip
    assert metric(at, "New deals") == f"{created:,}"
    assert report.cohort == created == conversion["Reached"].iloc[0] > 0
    won, lost = sql(
        s_url,
        "SELECT count(*) FILTER (WHERE status = 'won'), count(*) FILTER (WHERE status = 'lost') "
        "FROM deals WHERE closed_at >= :s AND closed_at < :e",
        s=START, e=END,
    )[0]  # fmt: skip
    assert won > 0 and lost > 0
    assert report.kpi("win_rate").value == pytest.approx(won / (won + lost))
    assert metric(at, "Win rate") == format_value(won / (won + lost), "ratio")
    assert f"{won + lost:,} closed deals" in [c.value.split(" · ")[-1] for c in at.caption]


def test_the_page_explains_what_differs_elsewhere_and_fits_its_tables(
    s_url: str, filters: Filters
) -> None:
    # the velocity's win rate (trailing 12 months) beside the card's (the period): said when
    # they differ (a quarter), not when the period is the twelve months
    quarter, _ = build_filters(
        Selection(preset="custom", start=date(2026, 1, 1), end=date(2026, 3, 31)), TODAY
    )
    at = funnel(query={"period": "custom", "from": "2026-01-01", "to": "2026-03-31"})
    report = report_for(s_url, quarter, Scope.everyone())
    velocity = next(c.value for c in at.caption if c.value.startswith("Velocity:"))
    trailing, card = (format_value(v, "ratio") for v in
                      (report.velocity.win_rate, report.kpi("win_rate").value))  # fmt: skip
    assert trailing != card and metric(at, "Win rate") == card
    assert f"× {trailing} win rate ×" in velocity
    assert f"the Win rate card's {card} is over the deals closed in the period" in velocity
    at = funnel()
    captions = [c.value for c in at.caption]
    velocity = next(c for c in captions if c.startswith("Velocity:"))
    assert "Win rate card" not in velocity
    # the waterfall's won deals against the Overview's
    assert any(c.startswith("Won and Lost count the deals open on the first day") for c in captions)
    # short headings (the amount column was cut off); the reasons next to the stuck deal
    assert list(table(at, "Stage", "Reached").columns) == [
        "Stage", "Reached", "Next step", "From first", "Still open", "Lost here", "Amount"
    ]  # fmt: skip
    stuck = at.dataframe(key="funnel_stuck").value
    assert list(stuck.columns[:6]) == ["Deal", "Title", "Owner", "Stage", "Why", "Amount"]


def test_strict_variant_from_the_url(s_url: str, filters: Filters) -> None:
    at = funnel(query={"funnel": "strict"})
    strict = report_for(s_url, filters, Scope.everyone(), strict=True)
    high_water = report_for(s_url, filters, Scope.everyone())
    assert at.segmented_control(key="funnel_variant").value == "strict"
    assert reached(at) == strict.funnel["reached"].tolist()
    # on S some deals skip a stage: from the second stage on, the strict counts are lower
    assert strict.funnel["reached"].iloc[0] == high_water.funnel["reached"].iloc[0]
    assert (strict.funnel["reached"].iloc[1:] < high_water.funnel["reached"].iloc[1:]).all()
    assert any(m.value.startswith("**Deals reaching each stage** (strict;") for m in at.markdown)
    assert at.query_params["funnel"] == "strict"
    # back to the high-water mark: the numbers follow, the parameter leaves the URL
    at.segmented_control(key="funnel_variant").set_value("hwm").run()
    assert not at.exception
    assert reached(at) == high_water.funnel["reached"].tolist()
    assert "funnel" not in at.query_params


#: The strict funnel's example, as the README and the page's help text give it.
STRICT_EXAMPLE = "1 → 3 → 2 → 3 counts at stages 1 and 2"


def test_the_strict_example_reads_as_the_query_counts_it(s_url: str, tmp_path: Path) -> None:
    # METRICS.md "Strict funnel", ordered by first entry: stage 2 was first entered after
    # stage 1, stage 3 before stage 2, so the deal counts at stages 1 and 2
    crm = CrmBuilder()
    crm.team(1)
    crm.employee(11, team_id=1)
    crm.account(100, owner_id=11)
    for stage in (1, 2, 3):
        crm.stage(stage, stage)
    crm.deal(1, 11, 100, [(stage, datetime(2024, 1, day), 10.0)
                          for stage, day in ((1, 2), (3, 3), (2, 4), (3, 5))])  # fmt: skip
    engine = crm.load(sa.create_engine(f"duckdb:///{tmp_path / 'strict.duckdb'}"))
    try:
        facts = stage_high_water_marks(engine, Filters(date(2024, 1, 1), date(2024, 2, 1)),
                                       Scope.everyone())  # fmt: skip
    finally:
        engine.dispose()
    assert facts["strict_ok_position"].tolist() == [2]
    assert facts["max_open_position"].tolist() == [3]
    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    assert STRICT_EXAMPLE in readme
    help_text = funnel().segmented_control(key="funnel_variant").help
    assert STRICT_EXAMPLE in " ".join(help_text.split())


def test_a_tampered_variant_falls_back_to_the_high_water_mark(s_url: str, filters: Filters) -> None:
    at = funnel(query={"funnel": "evil"})
    assert at.segmented_control(key="funnel_variant").value == "hwm"
    assert reached(at) == report_for(s_url, filters, Scope.everyone()).funnel["reached"].tolist()
    assert "funnel" not in at.query_params


def test_split_by_team_from_the_url(s_url: str) -> None:
    at = funnel(query={"by": "team"})
    assert at.selectbox(key="funnel_by").value == "team"
    assert at.query_params["by"] == "team"
    cohorts = sql(
        s_url,
        "SELECT t.name, count(*) AS n FROM deals d JOIN employees e ON e.id = d.owner_id "
        "JOIN teams t ON t.id = e.team_id WHERE d.created_at >= :s AND d.created_at < :e "
        "GROUP BY t.name ORDER BY n DESC",
        s=START, e=END,
    )  # fmt: skip
    teams = [row.name for row in cohorts]
    assert 3 <= len(teams) <= COMPARED_GROUPS and len({row.n for row in cohorts}) == len(teams)
    # every team is compared (largest first), and the default picks stay out of the link
    assert at.multiselect(key="funnel_groups_team").value == teams
    assert "group" not in at.query_params
    rates = table(at, "Team", "Win rate").set_index("Team")
    assert rates.index.tolist() == teams
    for team in teams:
        won, lost = sql(
            s_url,
            "SELECT count(*) FILTER (WHERE d.status = 'won'), "
            "count(*) FILTER (WHERE d.status = 'lost') FROM deals d "
            "JOIN employees e ON e.id = d.owner_id JOIN teams t ON t.id = e.team_id "
            "WHERE t.name = :team AND d.closed_at >= :s AND d.closed_at < :e",
            team=team, s=START, e=END,
        )[0]  # fmt: skip
        assert rates.loc[team, "Closed deals"] == won + lost
        assert rates.loc[team, "Win rate"] == pytest.approx(won / (won + lost))


def test_split_picks_are_kept_in_the_link(s_url: str) -> None:
    at = funnel(query={"by": "team"})
    teams = list(at.multiselect(key="funnel_groups_team").value)
    picks = [teams[2], teams[0]]
    at.multiselect(key="funnel_groups_team").set_value(picks).run()
    assert not at.exception, at.exception
    assert at.query_params["group"] == picks
    assert table(at, "Team", "Win rate")["Team"].tolist() == picks
    # the link opens with the same picks; an unknown name in it is left out
    shared = funnel(query={"by": "team", "group": [*picks, "No such team"]})
    assert shared.multiselect(key="funnel_groups_team").value == picks
    assert table(shared, "Team", "Win rate")["Team"].tolist() == picks
    # no split, no picks in the link
    shared.selectbox(key="funnel_by").set_value("none").run()
    assert "group" not in shared.query_params and "by" not in shared.query_params


def test_page_choices_from_a_link_raise_no_widget_warning(
    s_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Streamlit logs "created with a default value but also had its value set via the Session
    # State API" (once per process) for a widget given a default and a seeded value
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger(policies.__name__)
    logger.addHandler(handler)
    try:
        at = funnel(query={"funnel": "strict", "by": "region", "group": "North"})
    finally:
        logger.removeHandler(handler)
    assert at.segmented_control(key="funnel_variant").value == "strict"
    assert at.multiselect(key="funnel_groups_region").value == ["North"]
    assert seen == []


def test_a_dimension_not_offered_is_ignored() -> None:
    at = funnel(query={"by": "owner_id"})
    assert at.selectbox(key="funnel_by").value == "none"
    assert not [m for m in at.multiselect if str(m.key).startswith("funnel_groups_")]
    assert "by" not in at.query_params


@pytest.fixture(scope="module")
def stuck_owner(s_url: str, filters: Filters) -> dict[str, int]:
    """The rep who owns the largest stuck deal, the team and its head, and every stuck deal."""
    report = report_for(s_url, filters, Scope.everyone())
    assert 0 < report.stuck_count <= STUCK_ROWS  # the admin's list is complete
    rep, team, head = sql(
        s_url,
        "SELECT e.id, e.team_id, t.head_id FROM deals d JOIN employees e ON e.id = d.owner_id "
        "JOIN teams t ON t.id = e.team_id WHERE d.id = :d AND e.role = 'rep'",
        d=int(report.stuck["deal_id"].iloc[0]),
    )[0]
    return {"rep": rep, "team": team, "head": head, "all": report.stuck_count}


def owners(url: str) -> dict[int, tuple[int, int]]:
    """Every deal's owner id and the owner's team id."""
    rows = sql(url, "SELECT d.id, d.owner_id, e.team_id FROM deals d "
                    "JOIN employees e ON e.id = d.owner_id")  # fmt: skip
    return {int(deal): (int(owner), int(team)) for deal, owner, team in rows}


def test_a_rep_sees_only_own_stuck_deals(
    s_url: str, filters: Filters, stuck_owner: dict[str, int]
) -> None:
    rep = stuck_owner["rep"]
    at = funnel(role="rep", employee=rep)
    report = report_for(s_url, filters, Scope.rep(rep))
    deals = at.dataframe(key="funnel_stuck").value["Deal"].astype(int).tolist()
    assert deals and deals == report.stuck["deal_id"].tolist()
    owner = owners(s_url)
    assert {owner[d][0] for d in deals} == {rep}
    assert f"Stuck deals ({report.stuck_count:,})" in tab_labels(at)
    assert metric(at, "Stuck deals") == f"{report.stuck_count:,}"
    assert len(deals) == report.stuck_count < stuck_owner["all"]
    # the same deals as in the admin's list (the stages' limits are rot days, not per scope)
    everyone = report_for(s_url, filters, Scope.everyone()).stuck["deal_id"].tolist()
    assert deals == [d for d in everyone if owner[d][0] == rep]


def test_a_head_sees_the_teams_stuck_deals(
    s_url: str, filters: Filters, stuck_owner: dict[str, int]
) -> None:
    team, head = stuck_owner["team"], stuck_owner["head"]
    at = funnel(role="head", employee=head)
    report = report_for(s_url, filters, Scope.head(team, head))
    deals = at.dataframe(key="funnel_stuck").value["Deal"].astype(int).tolist()
    assert deals == report.stuck["deal_id"].tolist()
    owner = owners(s_url)
    assert {owner[d][1] for d in deals} == {team}
    assert stuck_owner["rep"] in {owner[d][0] for d in deals}
    assert f"Stuck deals ({report.stuck_count:,})" in tab_labels(at)
    assert len(deals) == report.stuck_count < stuck_owner["all"]


def test_selecting_a_stuck_deal_shows_its_history(s_url: str) -> None:
    at = funnel()
    stuck = at.dataframe(key="funnel_stuck").value
    assert not any(m.value == "**Stage history**" for m in at.markdown)
    deal, stage = int(stuck["Deal"].iloc[1]), stuck["Stage"].iloc[1]
    at.session_state["funnel_stuck"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any(m.value == "**Stage history**" for m in at.markdown)
    assert any(c.value.startswith(f"Deal {deal} · open · stage {stage} ·") for c in at.caption)
    stages = [
        name
        for (name,) in sql(
            s_url,
            "SELECT s.name FROM deal_stage_history h JOIN stages s ON s.id = h.stage_id "
            "WHERE h.deal_id = :d ORDER BY h.entered_at, h.id",
            d=deal,
        )
    ]
    history = table(at, "Changed by")
    assert history["Stage"].tolist() == stages and stages[-1] == stage
    # no ids or positions; a missing value reads "—", not "None"
    activities = table(at, "Outcome", "Minutes")
    assert list(history.columns) == ["Entered", "Stage", "Amount", "Changed by"]
    assert list(activities.columns) == ["Type", "Status", "Due", "Done", "By", "Outcome",
                                        "Minutes"]  # fmt: skip
    assert activities["Due"].isna().any() or activities["Done"].isna().any()
    panel = [d for d in at.dataframe if {"Changed by"} <= set(d.value.columns)
             or {"Outcome", "Minutes"} <= set(d.value.columns)]  # fmt: skip
    assert [d.proto.placeholder for d in panel] == ["—", "—"]


def signed_money(text: str) -> float:
    """ "−$9,280" -> -9280.0 (the waterfall table shows signed amounts as text)."""
    assert text.lstrip("−").startswith("$"), text  # the sign before the currency
    return float(text.replace("−", "-").replace("$", "").replace(",", ""))


def check_waterfall(url: str, shown: pd.DataFrame, start: date, end: date) -> None:
    waterfall = shown.assign(Amount=shown["Amount"].map(signed_money))
    taken = waterfall["Step"].isin(["Amount decreased", "Won", "Lost"])
    assert (waterfall.loc[taken, "Amount"] <= 0).all() and (waterfall["Amount"] < 0).any()
    assert not shown["Amount"].str.contains("-").any()  # U+2212, never "$-9,280"
    steps = waterfall.set_index("Step")
    assert waterfall["Step"].iloc[0] == "Pipeline at start"
    assert waterfall["Step"].iloc[-1] == "Pipeline at end"
    relative = waterfall["Amount"].iloc[1:-1]
    first, last = steps.loc["Pipeline at start"], steps.loc["Pipeline at end"]
    assert first["Amount"] + relative.sum() == pytest.approx(last["Amount"])
    deals, amount = open_pipeline(url, start)
    assert (first["Deals"], first["Amount"]) == (deals, pytest.approx(amount))
    assert amount > 0
    deals, amount = open_pipeline(url, end)
    assert (last["Deals"], last["Amount"]) == (deals, pytest.approx(amount))


def test_pipeline_change_waterfall_adds_up(s_url: str) -> None:
    at = funnel()
    assert at.date_input(key="funnel_change_dates").value == (START, END)
    check_waterfall(s_url, table(at, "Step", "Amount", "Deals"), START, END)
    q1 = (date(2026, 1, 1), date(2026, 4, 1))
    at.date_input(key="funnel_change_dates").set_value(q1).run()
    assert not at.exception
    check_waterfall(s_url, table(at, "Step", "Amount", "Deals"), *q1)


def test_a_period_without_data_shows_empty_states() -> None:
    query = {"period": "custom", "from": "2020-01-01", "to": "2020-12-31", "by": "team"}
    at = funnel(query=query)
    infos = [i.value.split("**")[1] for i in at.info if i.value.startswith("**")]
    assert infos.count("No deal was created in this period.") == 2  # funnel and split
    tabs = ("No stage visit in this period.", "No stuck deal.", "No deal was lost in this period.",
            "No stage change in this period.")  # fmt: skip
    assert set(tabs) <= set(infos)
    assert metric(at, "New deals") == "0"
    assert metric(at, "Win rate") == "—"
    assert "Stuck deals (0)" in tab_labels(at)
    assert not [d for d in at.dataframe if "Reached" in d.value.columns]
    waterfall = table(at, "Step", "Amount", "Deals")
    assert (waterfall["Amount"] == 0).all() and (waterfall["Deals"] == 0).all()


def test_a_selection_past_the_end_of_a_narrowed_stuck_list(stuck_owner: dict[str, int]) -> None:
    at = funnel()
    last = len(at.dataframe(key="funnel_stuck").value) - 1
    at.session_state["funnel_stuck"] = {"selection": {"rows": [last], "columns": [], "cells": []}}
    at.run()
    assert any(m.value == "**Stage history**" for m in at.markdown)
    at.multiselect(key="flt_rep").set_value([stuck_owner["rep"]]).run()  # 5 stuck deals left
    assert not at.exception, at.exception
    # the old selection is forgotten: no drill-through panel until a new row is picked
    assert not any(m.value == "**Stage history**" for m in at.markdown)


def test_a_reopened_deal_in_the_stage_flow(
    s_url: str, filters: Filters, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "reopened.duckdb"
    shutil.copy(s_url.removeprefix("duckdb:///"), copy)
    url = f"duckdb:///{copy}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # an open deal of the period was won, then reopened into Lead
        deal = conn.execute(
            sa.text("SELECT min(id) FROM deals WHERE status = 'open' AND created_at >= :s"),
            {"s": date(2026, 1, 1)},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO deal_stage_history (id, deal_id, stage_id, entered_at, amount) "
                "SELECT max(id) + 1, :d, (SELECT id FROM stages WHERE name = 'Won'), :t1, 1000 "
                "FROM deal_stage_history UNION ALL "
                "SELECT max(id) + 2, :d, (SELECT id FROM stages WHERE name = 'Lead'), :t2, 1000 "
                "FROM deal_stage_history"
            ),
            {"d": deal, "t1": datetime(2026, 6, 20, 10), "t2": datetime(2026, 6, 21, 10)},
        )
    flow = funnel_report(engine, filters, Scope.everyone()).flow
    engine.dispose()
    assert "reopened" in set(flow["kind"])
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    at = funnel()
    assert any(c.value.startswith("How the period's new deals moved") for c in at.caption)


def test_split_picks_fall_back_when_the_filters_remove_them() -> None:
    at = funnel(query={"by": "rep"})
    picker = at.multiselect(key="funnel_groups_rep")
    picked, options = list(picker.value), list(picker.options)
    assert picked == options[:COMPARED_GROUPS] and len(options) > COMPARED_GROUPS
    other = options[COMPARED_GROUPS]  # "Name (#id)": a rep the split did not pick
    rep_id = int(other.rsplit("(#", 1)[1].rstrip(")"))
    at.multiselect(key="flt_rep").set_value([rep_id]).run()
    assert not at.exception, at.exception
    assert at.multiselect(key="funnel_groups_rep").value == [other]
