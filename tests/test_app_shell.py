"""The app shell through ``AppTest`` on a fresh S demo database: roles and pages, the Overview's
numbers against independent SQL, URL filters, and the three auth modes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from appdb.databases import Databases
from appdb.users import COMMAND_LINE, add_user
from crm_data.config import create_crm_engine
from crm_data.filters import ROLES, Scope
from reports.overview import overview_report
from tests.support.apptest import APP, TODAY, app_database, metric, run
from tests.support.databases import use_app_database
from ui.auth import login_throttle
from ui.format import format_value
from ui.registry import PAGES
from ui.url_filters import Selection, build_filters


@pytest.fixture(scope="module")
def s_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh S demo database the app reads (see :func:`app_database`)."""
    with app_database(tmp_path_factory.mktemp("shell")) as url:
        yield url


@pytest.fixture(scope="module")
def staff(s_url: str) -> dict[str, int]:
    """Ids of a rep, another team's rep, and a head with their team."""
    engine = create_crm_engine(s_url, read_only=True)
    with engine.connect() as conn:
        rep, rep_team = conn.execute(
            sa.text("SELECT id, team_id FROM employees WHERE role = 'rep' ORDER BY id LIMIT 1")
        ).one()
        other = conn.execute(
            sa.text("SELECT min(id) FROM employees WHERE role = 'rep' AND team_id <> :t"),
            {"t": rep_team},
        ).scalar_one()
        head, head_team = conn.execute(
            sa.text("SELECT head_id, id FROM teams WHERE head_id IS NOT NULL ORDER BY id LIMIT 1")
        ).one()
    engine.dispose()
    return {"rep": rep, "rep_team": rep_team, "other": other, "head": head, "head_team": head_team}


def won_in_period(url: str, start: date, end: date, owner: int | None = None) -> tuple[int, float]:
    """Won deals and their amount closed in [start, end), straight from the deals table."""
    engine = create_crm_engine(url, read_only=True)
    sql = (
        "SELECT count(*), coalesce(sum(amount), 0) FROM deals WHERE status = 'won' AND "
        "closed_at >= :s AND closed_at < :e"
    )
    if owner is not None:
        sql += " AND owner_id = :o"
    with engine.connect() as conn:
        count, amount = conn.execute(sa.text(sql), {"s": start, "e": end, "o": owner}).one()
    engine.dispose()
    return int(count), float(amount)


def test_admin_lands_on_the_overview_with_the_report_numbers(s_url: str) -> None:
    at = run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Overview"
    filters, _ = build_filters(Selection(), TODAY)
    engine = create_crm_engine(s_url, read_only=True)
    report = overview_report(engine, filters, Scope.everyone())
    engine.dispose()
    for kpi in report.kpis:
        assert metric(at, kpi.label) == format_value(kpi.value, kpi.unit, report.currency)
    # and the report agrees with plain SQL over the deals table
    count, amount = won_in_period(s_url, date(2025, 7, 1), date(2026, 6, 30))
    assert report.kpi("won_deals").value == count > 0
    assert report.kpi("won_revenue").value == pytest.approx(amount)
    previous = won_in_period(s_url, date(2024, 7, 1), date(2025, 6, 30))
    assert report.kpi("won_deals").previous == previous[0]
    assert metric(at, "Won deals") == f"{count:,}"
    assert "1 Jul 2025 – 29 Jun 2026" in at.caption[0].value


@pytest.mark.parametrize("role", ROLES)
def test_every_registered_page_renders_for_every_role(
    role: str, s_url: str, staff: dict[str, int]
) -> None:
    employee = staff["head"] if role == "head" else staff["rep"] if role == "rep" else None
    at = run(role=role, employee=employee)
    assert not at.exception, at.exception
    for spec in PAGES:
        if spec.allowed(role):
            at.switch_page(spec.path).run()
            assert not at.exception, (spec.path, at.exception)
            assert at.title[0].value == spec.title
        else:
            with pytest.raises(ValueError):
                at.switch_page(spec.path)


def test_a_rep_sees_only_own_numbers(s_url: str, staff: dict[str, int]) -> None:
    at = run(role="rep", employee=staff["rep"])
    assert not at.exception
    own = won_in_period(s_url, date(2025, 7, 1), date(2026, 6, 30), owner=staff["rep"])
    everyone = won_in_period(s_url, date(2025, 7, 1), date(2026, 6, 30))
    assert own[0] < everyone[0]
    assert metric(at, "Won deals") == f"{own[0]:,}"
    assert metric(at, "Won revenue") == format_value(own[1], "money", "USD")
    assert "own data" in at.caption[0].value
    assert {m.label for m in at.multiselect} == {"Region", "Product line"}  # no team, rep


def test_a_tampered_url_cannot_widen_a_reps_scope(s_url: str, staff: dict[str, int]) -> None:
    query = {
        "rep": [str(staff["other"])], "team": "1 OR 1=1", "period": "custom",
        "from": "garbage", "to": "2026-01-31",
        "region": ["x'; DROP TABLE deals;--", "![pixel](http://evil.example/p.png)"],
    }  # fmt: skip
    at = run(role="rep", employee=staff["rep"], query=query)
    assert not at.exception
    own = won_in_period(s_url, date(2025, 7, 1), date(2026, 6, 30), owner=staff["rep"])
    assert metric(at, "Won deals") == f"{own[0]:,}"
    notices = at.sidebar.warning[0].value
    assert f"rep={staff['other']} is not a rep you can see" in notices
    assert "from='garbage' is not a date" in notices
    assert r"'\!\[pixel\]\(http\://evil\.example/p\.png\)' is not a known region" in notices
    assert at.query_params == {}  # the dropped values left the URL
    at.run()  # a rerun with the link's filters keeps the notice
    assert at.sidebar.warning[0].value == notices
    at.selectbox(key="flt_period").set_value("last_quarter").run()  # the user moves on
    assert not at.exception
    assert not at.sidebar.warning


def test_a_head_sees_the_team(s_url: str, staff: dict[str, int]) -> None:
    at = run(role="head", employee=staff["head"])
    assert not at.exception
    engine = create_crm_engine(s_url, read_only=True)
    with engine.connect() as conn:
        count = conn.execute(
            sa.text(
                "SELECT count(*) FROM deals d JOIN employees e ON e.id = d.owner_id WHERE "
                "e.team_id = :t AND d.status = 'won' AND d.closed_at >= :s AND d.closed_at < :e"
            ),
            {"t": staff["head_team"], "s": date(2025, 7, 1), "e": date(2026, 6, 30)},
        ).scalar_one()
    engine.dispose()
    assert metric(at, "Won deals") == f"{count:,}"
    assert "team of" in at.caption[0].value


def test_url_filters_are_applied_and_written_back(s_url: str, staff: dict[str, int]) -> None:
    query = {"period": "custom", "from": "2026-01-01", "to": "2026-03-31",
             "rep": [str(staff["rep"]), str(staff["other"])]}  # fmt: skip
    at = run(query=query)
    assert not at.exception
    a = won_in_period(s_url, date(2026, 1, 1), date(2026, 4, 1), owner=staff["rep"])
    b = won_in_period(s_url, date(2026, 1, 1), date(2026, 4, 1), owner=staff["other"])
    assert metric(at, "Won deals") == f"{a[0] + b[0]:,}"
    assert "1 Jan – 31 Mar 2026" in at.caption[0].value
    assert at.selectbox(key="flt_period").value == "custom"
    assert sorted(at.multiselect(key="flt_rep").value) == sorted([staff["rep"], staff["other"]])
    # the widgets change the URL: back to the default period drops from/to
    at.selectbox(key="flt_period").set_value("last_12_months").run()
    assert at.query_params.get("period") is None and "from" not in at.query_params
    assert sorted(at.query_params["rep"]) == sorted([str(staff["rep"]), str(staff["other"])])


def test_export_buttons_carry_the_filters(s_url: str, staff: dict[str, int]) -> None:
    query = {"period": "custom", "from": "2026-01-01", "to": "2026-03-31",
             "compare": "last_year", "region": "North", "rep": str(staff["rep"])}  # fmt: skip
    at = run(role="head", employee=staff["head"], query=query)
    assert not at.exception
    # CSV and Excel under each "what changed" list, the attention lists and nothing else
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("CSV") == labels.count("Excel") >= 3
    engine = create_crm_engine(s_url, read_only=True)
    with engine.connect() as conn:
        rep, head = conn.execute(
            sa.text("SELECT (SELECT name FROM employees WHERE id = :r), "
                    "(SELECT name FROM employees WHERE id = :h)"),
            {"r": staff["rep"], "h": staff["head"]},
        ).one()  # fmt: skip
    engine.dispose()
    # what every exported file of the page carries in its header (CSV) or Filters sheet (Excel)
    assert at.session_state["page_context"].export_context("Overview — Largest won") == {
        "Page": "Overview — Largest won",
        "Period": "1 Jan – 31 Mar 2026 (2026-01-01 to 2026-04-01, end excluded)",
        "Compared with": "Same period last year: 1 Jan – 31 Mar 2025",
        "Reps": rep,
        "Regions": "North",
        "Scope": f"team of {head}",
    }


def password_app(
    s_url: str,
    email: str,
    employee: int,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
    folder: Path,
) -> AppTest:
    """The app in password mode with one user (a rep) in an app database of its own, at its
    login form."""
    databases = Databases(
        app=use_app_database(folder, monkeypatch), crm=create_crm_engine(s_url, read_only=True)
    )
    add_user(databases, email, "rep", employee_id=employee, password=password, actor=COMMAND_LINE)
    databases.app.dispose()
    databases.crm.dispose()
    monkeypatch.setenv("CRM_AUTH_MODE", "password")
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["crm_auth"] = {"session_secret": "kP3x-9QmZ_r7Lw2VbN8tYc4HjD6fGs1A-a-test-secret"}
    return at.run()


def test_password_mode(
    s_url: str, staff: dict[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = password_app(
        s_url, "rita@example.com", staff["rep"], "correct horse", monkeypatch, tmp_path
    )
    assert not at.exception
    assert not at.metric  # nothing but the login form
    at.text_input(key="auth_email").input("rita@example.com")
    at.text_input(key="auth_password").input("wrong password")
    at.button[0].click().run()
    assert "Wrong e-mail or password" in at.error[0].value
    at.text_input(key="auth_password").input("correct horse")
    at.button[0].click().run()
    assert not at.exception
    own = won_in_period(s_url, date(2025, 7, 1), date(2026, 6, 30), owner=staff["rep"])
    assert metric(at, "Won deals") == f"{own[0]:,}"
    with pytest.raises(ValueError):
        at.switch_page("pages/data.py")
    at.button(key="auth_logout").click().run()
    assert not at.metric


def test_password_guessing_is_throttled(
    s_url: str, staff: dict[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    login_throttle.clear()
    try:
        at = password_app(
            s_url, "tess@example.com", staff["rep"], "right one!", monkeypatch, tmp_path
        )
        at.text_input(key="auth_email").input("tess@example.com")
        for _ in range(5):
            at.text_input(key="auth_password").input("a guess")
            at.button[0].click().run()
            assert "Wrong e-mail or password" in at.error[0].value
        # the sixth try is refused before the password is checked, even the right one
        at.text_input(key="auth_password").input("right one!")
        at.button[0].click().run()
        assert at.error[0].value.startswith("Too many failed logins for this e-mail. Try again in")
        assert not at.metric
        # another e-mail is not locked out by these
        at.text_input(key="auth_email").input("rita@example.com")
        at.text_input(key="auth_password").input("wrong password")
        at.button[0].click().run()
        assert "Wrong e-mail or password" in at.error[0].value
    finally:
        login_throttle.clear()


def test_oidc_mode(s_url: str, staff: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_crm_engine(s_url, read_only=True)
    with engine.connect() as conn:
        email = conn.execute(
            sa.text("SELECT email FROM employees WHERE id = :i"), {"i": staff["rep"]}
        ).scalar_one()
    engine.dispose()
    monkeypatch.setenv("CRM_AUTH_MODE", "oidc")

    def oidc_app() -> AppTest:  # a cookie secret the app accepts (see tests/test_login.py)
        at = AppTest.from_file(APP, default_timeout=120)
        at.secrets["auth"] = {"cookie_secret": "kP3x-9QmZ_r7Lw2VbN8tYc4HjD6fGs1A-oidc-secret"}
        return at

    at = oidc_app()
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert at.button(key="auth_login")
    at = oidc_app()
    at.user = {"is_logged_in": True, "email": email.upper(), "email_verified": True, "name": "R"}
    at.run()
    assert not at.exception
    own = won_in_period(s_url, date(2025, 7, 1), date(2026, 6, 30), owner=staff["rep"])
    assert metric(at, "Won deals") == f"{own[0]:,}"
    at = oidc_app()
    at.user = {"is_logged_in": True, "email": "stranger@example.com", "email_verified": True}
    at.run()
    assert not at.exception
    assert "has no access" in at.warning[0].value
    assert not at.metric


def test_selecting_a_won_deal_shows_its_history(s_url: str) -> None:
    at = run()
    won = at.dataframe(key="overview_won").value
    first = int(won["Deal"].iloc[0])
    at.session_state["overview_won"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any(m.value == "**Stage history**" for m in at.markdown)
    engine = create_crm_engine(s_url, read_only=True)
    with engine.connect() as conn:
        stages = (
            conn.execute(
                sa.text(
                    "SELECT s.name FROM deal_stage_history h JOIN stages s ON s.id = h.stage_id "
                    "WHERE h.deal_id = :d ORDER BY h.entered_at, h.id"
                ),
                {"d": first},
            )
            .scalars()
            .all()
        )
    engine.dispose()
    history = next(d.value for d in at.dataframe if "Changed by" in d.value.columns)
    assert history["Stage"].tolist() == stages and stages[-1] == "Won"


def test_data_page_quality_checks_count_what_sql_counts(s_url: str) -> None:
    at = run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    checks = at.dataframe(key="data_quality").value.set_index("Check")
    engine = create_crm_engine(s_url, read_only=True)
    with engine.connect() as conn:
        lost = conn.execute(
            sa.text("SELECT count(*) FROM deals WHERE status = 'lost' AND lost_reason_id IS NULL")
        ).scalar_one()
    engine.dispose()
    assert len(checks) == 8
    assert checks.loc["Lost deals without a reason", "Rows"] == lost
    assert checks.loc["References to missing rows", "Rows"] == 0
    assert at.button(key="data_seed_run")  # an admin may seed


def test_an_analyst_sees_the_data_page_without_seeding(s_url: str) -> None:
    at = run(role="analyst")
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert "Only admins can seed demo data." in [c.value for c in at.caption]
    with pytest.raises(KeyError):
        at.button(key="data_seed_run")


def test_filters_survive_a_visit_to_a_page_without_filters(s_url: str) -> None:
    at = run(
        query={"period": "custom", "from": "2026-02-01", "to": "2026-02-28", "region": "North"}
    )
    assert at.selectbox(key="flt_period").value == "custom"
    at.switch_page("pages/data.py").run()
    assert not at.exception
    with pytest.raises(KeyError):  # the Data page shows no filter bar
        at.selectbox(key="flt_period")
    at.switch_page("pages/overview.py").run()
    assert at.selectbox(key="flt_period").value == "custom"
    assert at.multiselect(key="flt_region").value == ["North"]
    assert "1 Feb – 28 Feb 2026" in at.caption[0].value


def test_a_period_without_data_shows_empty_states(s_url: str) -> None:
    at = run(query={"period": "custom", "from": "2020-01-01", "to": "2020-12-31"})
    assert not at.exception
    infos = [i.value for i in at.info]
    assert any(i.startswith("**No deal was won in these months.**") for i in infos)
    assert any(i.startswith("**No deal was open at the end of the period.**") for i in infos)
    assert metric(at, "Win rate") == "—"  # no closed deal: undefined, shown as a dash
    assert metric(at, "Won deals") == "0"
