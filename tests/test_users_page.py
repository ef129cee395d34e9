"""The Users page (admins only) through ``AppTest``: the list and its export, adding, changing,
disabling, re-enabling and removing users, password resets, and the rules ``appdb.users``
enforces (a head heads a team, the last enabled admin stays) shown as messages.

The CRM: team 1 "North" headed by 10 Hanna Head; team 2 "South" without a head; 20 Hugo Head
(role head, heads no team, team 2); reps 11 Ravi Rep (North) and 12 Rita Rep (South); 13 Leo
Left, a rep who has left.  The app runs in auth mode ``none`` (a local admin) unless a test
says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from appdb.databases import Databases
from appdb.users import COMMAND_LINE, Identity, add_user, authenticate, list_users
from tests.support.apptest import APP, messages, plain
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import use_app_database

PAGE = "pages/users.py"
PASSWORD = "correct horse"


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Databases]:
    """The CRM above in a DuckDB file the app reads (no seeding, auth mode none), and an app
    database of the test's own."""
    url = f"duckdb:///{tmp_path / 'crm.duckdb'}"
    b = CrmBuilder()
    b.team(1, "North", head_id=10)
    b.team(2, "South")
    b.employee(10, team_id=1, role="head", name="Hanna Head")
    b.employee(20, team_id=2, role="head", name="Hugo Head")
    b.employee(11, team_id=1, name="Ravi Rep")
    b.employee(12, team_id=2, name="Rita Rep")
    b.row(
        "employees",
        id=13,
        name="Leo Left",
        email="e13@example.com",
        role="rep",
        team_id=2,
        hired_at=date(2020, 1, 1),
        left_at=date(2023, 6, 30),
    )
    engine = b.load(sa.create_engine(url))
    monkeypatch.setenv("CRM_DATABASE_URL", url)
    monkeypatch.setenv("CRM_AUTO_SEED", "0")
    monkeypatch.delenv("CRM_AUTH_MODE", raising=False)
    databases = Databases(app=use_app_database(tmp_path, monkeypatch), crm=engine)
    yield databases
    databases.app.dispose()
    engine.dispose()


def users_page() -> AppTest:
    """The app, switched to the Users page."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception, at.exception
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Users"
    return at


def stored(engine: Databases) -> list[tuple[str, str, object, bool, bool]]:
    """``(email, role, employee_id, has_password, active)`` of every user, by e-mail."""
    users = list_users(engine, actor=COMMAND_LINE)
    return [
        (
            u.email,
            u.role,
            None if pd.isna(u.employee_id) else int(u.employee_id),
            bool(u.has_password),
            bool(u.active),
        )
        for u in users.itertuples()
    ]


def users_table(at: AppTest) -> list[dict[str, object]]:
    """The rows of the users table (None where it shows "—")."""
    table = at.dataframe[0].value.astype(object)
    return table.where(table.notna(), None).to_dict("records")


def pick(at: AppTest, email: str) -> AppTest:
    """Open the panel of the user ``email``."""
    return at.selectbox(key="users_pick").set_value(email).run()


def test_admin_adds_a_rep_with_a_password(engine: Databases) -> None:
    at = users_page()
    assert "No users yet" in at.info[-1].value
    at.text_input(key="users_add_email").input(" Ravi@Example.com ")
    # a rep is picked by name among the current employees (not the leaver), reps first, team
    # shown; nobody is preselected
    employee = at.selectbox(key="users_add_employee_rep")
    assert employee.options == [
        "Ravi Rep (id 11, rep, North, e11@example.com)",
        "Rita Rep (id 12, rep, South, e12@example.com)",
        "Hanna Head (id 10, head, North, heads North, e10@example.com)",
        "Hugo Head (id 20, head, South, e20@example.com)",
    ]
    assert employee.value is None
    at.button(key="users_add_go").click().run()
    assert messages(at) == [
        "A rep must be linked to an employee: pick one (on the command line `--employee` takes "
        "an id, a name or an e-mail; `python -m appdb employees` lists them)."
    ]
    at.selectbox(key="users_add_employee_rep").set_value(11)
    at.text_input(key="users_add_pw1").input(PASSWORD)
    at.text_input(key="users_add_pw2").input(PASSWORD)
    at.button(key="users_add_go").click().run()
    assert not at.exception, at.exception
    assert messages(at) == ["Added ravi@example.com as sales rep."]
    assert stored(engine) == [("ravi@example.com", "rep", 11, True, True)]
    assert authenticate(engine, "ravi@example.com", PASSWORD) == Identity(
        "ravi@example.com", "Ravi Rep", "rep", 11, 1
    )
    # the fields are empty again; the password is nowhere on the page
    assert [at.text_input(key=k).value for k in ("users_add_email", "users_add_pw1")] == ["", ""]
    assert PASSWORD not in str(at._tree)
    assert users_table(at) == [
        {
            "E-mail": "ravi@example.com",
            "Name": None,
            "Role": "Sales rep",
            "Employee": "Ravi Rep",
            "Team": "North",
            "Sign-in": "password",
            "Enabled": "yes",
            "Problem": None,
        },
    ]
    assert [b.proto.label for b in at.get("download_button")] == ["CSV", "Excel"]


def test_a_mistyped_password_adds_nobody(engine: Databases) -> None:
    at = users_page()
    bounds = {t.key: t.proto.max_chars for t in at.text_input}
    assert bounds == {
        "users_add_email": 320,
        "users_add_name": 200,
        "users_add_pw1": 1024,
        "users_add_pw2": 1024,
    }
    at.text_input(key="users_add_email").input("x@example.com")
    at.selectbox(key="users_add_role").set_value("exec").run()
    at.text_input(key="users_add_pw1").input(PASSWORD)
    at.text_input(key="users_add_pw2").input("correct horsE")
    at.button(key="users_add_go").click().run()
    assert messages(at) == ["The two passwords differ; nothing was changed. Type them again."]
    assert at.text_input(key="users_add_pw1").value == ""
    assert at.text_input(key="users_add_email").value == "x@example.com"  # kept to retry
    at.text_input(key="users_add_pw1").input("short")
    at.text_input(key="users_add_pw2").input("short")
    at.button(key="users_add_go").click().run()
    assert messages(at) == ["The password is too short: use at least 8 characters."]
    assert stored(engine) == []


def test_an_oidc_user_without_an_employee(engine: Databases) -> None:
    at = users_page()
    at.text_input(key="users_add_email").input("cfo@example.com")
    at.selectbox(key="users_add_role").set_value("exec").run()
    assert at.selectbox(key="users_add_employee_exec").value is None  # "— none —" first
    at.toggle(key="users_add_oidc").set_value(True).run()
    assert not any(t.key == "users_add_pw1" for t in at.text_input)
    at.text_input(key="users_add_name").input("Chief Finance")
    at.button(key="users_add_go").click().run()
    assert messages(at) == ["Added cfo@example.com as executive."]
    assert stored(engine) == [("cfo@example.com", "exec", None, False, True)]
    assert [row["Sign-in"] for row in users_table(at)] == ["OIDC only"]


def test_a_head_must_head_a_team(engine: Databases) -> None:
    add_user(engine, "ravi@example.com", "rep", employee_id=11, actor=COMMAND_LINE)
    at = users_page()
    # adding a head: only the employees who head a team are offered
    at.selectbox(key="users_add_role").set_value("head").run()
    assert at.selectbox(key="users_add_employee_head").options == [
        "Hanna Head (id 10, head, North, heads North, e10@example.com)"
    ]
    # making the rep a head keeps their employee, who heads no team: refused, nothing changed
    at = pick(at, "ravi@example.com")
    at.selectbox(key="users_ravi@example.com_role").set_value("head").run()
    assert at.selectbox(key="users_ravi@example.com_employee_head").value == 11
    at.button(key="users_ravi@example.com_save").click().run()
    assert messages(at) == [
        "Ravi Rep (employee 11) heads no team, so they cannot be a head: make them a team's "
        "head (teams.head_id) or choose another role, e.g. rep."
    ]
    assert stored(engine) == [("ravi@example.com", "rep", 11, False, True)]
    # the head of North instead
    at.selectbox(key="users_ravi@example.com_employee_head").set_value(10).run()
    at.button(key="users_ravi@example.com_save").click().run()
    assert messages(at) == ["ravi@example.com is now sales head."]
    assert stored(engine) == [("ravi@example.com", "head", 10, False, True)]


def test_a_user_made_before_the_rule_shows_why_they_cannot_log_in(engine: Databases) -> None:
    add_user(engine, "hugo@example.com", "exec", employee_id=20, actor=COMMAND_LINE)
    with engine.app.begin() as conn:  # a head of no team, as `users add --role head` once allowed
        conn.execute(sa.text("UPDATE app_users SET role = 'head'"))
    at = users_page()
    assert [row["Problem"] for row in users_table(at)] == [
        "Hugo Head (employee 20) heads no team, so they cannot be a head: make them a team's "
        "head (teams.head_id) or choose another role, e.g. rep."
    ]
    assert plain(at.warning[0].value) == (
        "**hugo@example.com cannot log in:** Hugo Head (employee 20) heads no team, so they "
        "cannot be a head: make them a team's head (teams.head_id) or choose another role, e.g. "
        "rep."
    )


def test_disable_enable_reset_and_remove(engine: Databases) -> None:
    add_user(engine, "ann@example.com", "admin", actor=COMMAND_LINE)
    add_user(
        engine, "rita@example.com", "rep", employee_id=12, password=PASSWORD, actor=COMMAND_LINE
    )
    at = pick(users_page(), "rita@example.com")
    key = "users_rita@example.com"
    at.button(key=f"{key}_disable").click().run()
    assert messages(at) == ["Disabled rita@example.com."]
    assert authenticate(engine, "rita@example.com", PASSWORD) is None
    at.button(key=f"{key}_enable").click().run()
    assert messages(at) == ["Enabled rita@example.com again."]
    assert authenticate(engine, "rita@example.com", PASSWORD) is not None

    at.text_input(key=f"{key}_pw1").input("a new password")
    at.text_input(key=f"{key}_pw2").input("a new passwort")
    at.button(key=f"{key}_setpw").click().run()
    assert messages(at) == ["The two passwords differ; nothing was changed. Type them again."]
    at.text_input(key=f"{key}_pw1").input("a new password")
    at.text_input(key=f"{key}_pw2").input("a new password")
    at.button(key=f"{key}_setpw").click().run()
    assert messages(at) == ["New password set for rita@example.com; their open logins end."]
    assert [at.text_input(key=f"{key}_pw{i}").value for i in (1, 2)] == ["", ""]
    assert authenticate(engine, "rita@example.com", PASSWORD) is None
    assert authenticate(engine, "rita@example.com", "a new password") is not None

    assert at.button(key=f"{key}_remove").disabled  # until confirmed
    at.checkbox(key=f"{key}_sure").check().run()
    at.button(key=f"{key}_remove").click().run()
    assert messages(at) == ["Removed rita@example.com."]
    assert at.selectbox(key="users_pick").value is None
    assert stored(engine) == [("ann@example.com", "admin", None, False, True)]


def test_the_last_enabled_admin_stays(engine: Databases) -> None:
    add_user(engine, "ann@example.com", "admin", actor=COMMAND_LINE)
    at = pick(users_page(), "ann@example.com")
    key = "users_ann@example.com"
    at.button(key=f"{key}_disable").click().run()
    last = "ann@example.com is the last enabled admin, so you cannot {} them: add or enable "
    assert messages(at) == [last.format("disable") + "another admin first."]
    at.selectbox(key=f"{key}_role").set_value("analyst").run()
    at.button(key=f"{key}_save").click().run()
    assert messages(at) == [last.format("demote") + "another admin first."]
    at.checkbox(key=f"{key}_sure").check().run()
    at.button(key=f"{key}_remove").click().run()
    assert messages(at) == [last.format("remove") + "another admin first."]
    assert stored(engine) == [("ann@example.com", "admin", None, False, True)]


@pytest.mark.parametrize(("role", "employee"), [("rep", 11), ("head", 10), ("analyst", None)])
def test_only_admins_get_the_page(engine: Databases, role: str, employee: int | None) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["auth_as_role"] = role  # the admin's "Preview as"
    if employee is not None:
        at.session_state["auth_as_employee"] = employee
    at.run()
    assert not at.exception, at.exception
    with pytest.raises(ValueError, match="users"):
        at.switch_page(PAGE)


def test_user_text_is_shown_as_typed(engine: Databases) -> None:
    """An e-mail is valid with Markdown in its local part; the page shows it, never a link."""
    email = "[x](http://evil.example/)y@example.com"
    add_user(engine, email, "exec", employee_id=20, actor=COMMAND_LINE)
    with engine.app.begin() as conn:
        conn.execute(sa.text("UPDATE app_users SET role = 'head'"))
    at = pick(users_page(), email)
    assert at.warning[0].value.startswith(r"**\[x\]\(http\://evil\.example/\)y@example\.com cannot")
