"""App users (``appdb.users``) on every dialect: accounts, passwords and identity resolution.

The scenario CRM:

* team 1 "North" is headed by employee 10, team 2 "South" has no head.
* 10 head, own ``team_id`` 2 but heads team 1 (the headed team is the scope's);
* 20 head without a headed team, own team 2 (cannot be a head: a head must head a team);
* 11 rep in team 1; 12 rep in team 1 with the mixed-case email ``Rita.Rep@Example.COM``;
* 13 rep in team 2 who has left; 30 exec (no team); 40 service agent in team 2;
* 60 head with neither a headed nor an own team (no head scope can be built).

``CrmBuilder.employee`` gives employee ``n`` the email ``en@example.com``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from access.passwords import credentials_problem, verify_password
from appdb import users as users_module
from appdb.databases import Databases
from appdb.schema import APP_USERS
from appdb.users import (
    COMMAND_LINE,
    Identity,
    UserError,
    add_user,
    authenticate,
    employee_label,
    find_employee,
    identity_for_employee,
    list_employees,
    list_users,
    remove_user,
    resolve_identity,
    set_active,
    set_password,
    set_role,
)
from crm_data.filters import Scope
from crm_data.schema import Base
from tests.support.crm_builder import CrmBuilder
from tests.support.databases import app_databases, fresh_engine

PASSWORD = "correct horse"
ACTOR = COMMAND_LINE  # an admin


def build_scenario() -> CrmBuilder:
    b = CrmBuilder()
    b.team(1, "North", head_id=10)
    b.team(2, "South")
    b.employee(10, team_id=2, role="head", name="Hanna Head")
    b.employee(20, team_id=2, role="head", name="Hugo Head")
    b.employee(11, team_id=1, name="Ravi Rep")
    b.row("employees", id=12, name="Rita Rep", email="Rita.Rep@Example.COM", role="rep",
          team_id=1, hired_at=date(2020, 1, 1), left_at=None)  # fmt: skip
    b.row("employees", id=13, name="Leo Left", email="e13@example.com", role="rep",
          team_id=2, hired_at=date(2020, 1, 1), left_at=date(2023, 6, 30))  # fmt: skip
    b.employee(30, role="exec", name="Eva Exec")
    b.employee(40, team_id=2, role="service", name="Sam Service")
    b.employee(60, role="head", name="Nina Noteam")
    return b


@pytest.fixture
def databases(dialect: str, tmp_path: Path) -> Iterator[Databases]:
    """The scenario CRM and an empty app database (no users yet)."""
    with fresh_engine(dialect, tmp_path) as crm, app_databases(crm, tmp_path) as databases:
        build_scenario().load(crm)
        yield databases


def stored_hash(databases: Databases, email: str) -> str | None:
    with databases.app.connect() as conn:
        query = sa.select(APP_USERS.c.password_hash).where(APP_USERS.c.email == email)
        return conn.execute(query).scalar_one()


# ---- no database ----------------------------------------------------------------------------


def test_identity_scope() -> None:
    assert Identity("r@x.com", "R", "rep", 11, 1).scope() == Scope("rep", 11, 1)
    assert Identity("h@x.com", "H", "head", 10, 1).scope() == Scope.head(1, employee_id=10)
    assert Identity("a@x.com", "A", "admin", None, None).scope() == Scope.everyone()
    assert Identity("e@x.com", "E", "exec", None, None).scope().sees_all


def test_users_table_is_not_part_of_the_crm_schema() -> None:
    assert "app_users" not in Base.metadata.tables
    assert not any(fk for fk in APP_USERS.foreign_keys)  # employees are in the CRM database


# ---- account management ---------------------------------------------------------------------


def test_users_table_survives_a_reseed(databases: Databases) -> None:
    add_user(databases, "admin@example.com", "admin", password=PASSWORD, actor=ACTOR)
    Base.metadata.drop_all(databases.crm)  # what reseeding does first
    Base.metadata.create_all(databases.crm)
    assert list_users(databases, actor=ACTOR)["email"].tolist() == ["admin@example.com"]
    assert authenticate(databases, "admin@example.com", PASSWORD) is not None


def test_add_list_update_remove(databases: Databases) -> None:
    assert list_users(databases, actor=ACTOR).empty  # no users yet
    assert list(list_users(databases, actor=ACTOR).columns) == [
        "email", "name", "role", "employee_id", "employee", "team", "has_password", "active",
        "problem"]  # fmt: skip
    add_user(databases, "  Ann@Example.com ", "admin", name="Ann Admin", password=PASSWORD,
             actor=ACTOR)  # fmt: skip
    add_user(databases, "e11@example.com", "rep", employee_id=11, actor=ACTOR)
    users = list_users(databases, actor=ACTOR)
    expected = pd.DataFrame(
        {
            "email": ["ann@example.com", "e11@example.com"],
            "name": ["Ann Admin", None],
            "role": ["admin", "rep"],
            "employee_id": pd.array([None, 11], dtype="Int64"),
            "employee": [None, "Ravi Rep"],
            "team": [None, "North"],
            "has_password": [True, False],
            "active": [True, True],
            "problem": [None, None],
        }
    ).astype({k: "str" for k in ("email", "name", "role", "employee", "team", "problem")})
    pd.testing.assert_frame_equal(users, expected)

    set_password(databases, "E11@EXAMPLE.COM", PASSWORD, actor=ACTOR)
    set_active(databases, "e11@example.com", False, actor=ACTOR)
    users = list_users(databases, actor=ACTOR).set_index("email")
    assert users.loc["e11@example.com", "has_password"]
    assert not users.loc["e11@example.com", "active"]
    set_active(databases, "e11@example.com", True, actor=ACTOR)
    assert list_users(databases, actor=ACTOR)["active"].tolist() == [True, True]

    remove_user(databases, "E11@example.com", actor=ACTOR)
    assert list_users(databases, actor=ACTOR)["email"].tolist() == ["ann@example.com"]
    with pytest.raises(UserError, match=re.escape("no app user e11@example.com")):
        remove_user(databases, "e11@example.com", actor=ACTOR)
    with pytest.raises(UserError, match="no app user"):
        set_password(databases, "e11@example.com", PASSWORD, actor=ACTOR)
    with pytest.raises(UserError, match="no app user"):
        set_active(databases, "e11@example.com", True, actor=ACTOR)


@pytest.mark.parametrize(
    ("email", "role", "employee_id", "password", "message"),
    [
        ("x@example.com", "boss", None, None, "Unknown role 'boss'"),
        ("not-an-email", "exec", None, None, "does not look like an email"),
        ("a b@example.com", "exec", None, None, "does not look like an email"),
        ("x@example.com", "rep", None, None, "A rep must be linked to an employee: pick one"),
        ("x@example.com", "rep", 999, None, "no employee with id 999"),
        ("x@example.com", "exec", 999, None, "no employee with id 999"),
        ("x@example.com", "head", 60, None, "Nina Noteam (employee 60) heads no team"),
        # a head must head a team: not a rep (11), nor a "head" of no team (20, own team 2)
        (
            "x@example.com",
            "head",
            11,
            None,
            "Ravi Rep (employee 11) heads no team, so they "
            "cannot be a head: make them a team's head (teams.head_id) or choose another role",
        ),
        ("x@example.com", "head", 20, None, "Hugo Head (employee 20) heads no team"),
        ("x@example.com", "admin", None, "short", "at least 8 characters"),
        ("x@example.com", "admin", None, "x" * 1025, "at most 1024 characters"),
        ("x" * 400 + "@example.com", "exec", None, None, f"'{'x' * 80}…' does not look like"),
        ("E30@Example.com", "analyst", None, None, "The user e30@example.com already exists"),
    ],
)
def test_add_user_rejects(
    databases: Databases,
    email: str,
    role: str,
    employee_id: int | None,
    password: str | None,
    message: str,
) -> None:
    add_user(databases, "e30@example.com", "exec", employee_id=30, actor=ACTOR)
    with pytest.raises(UserError, match=re.escape(message)):
        add_user(databases, email, role, employee_id=employee_id, password=password, actor=ACTOR)
    assert list_users(databases, actor=ACTOR)["email"].tolist() == ["e30@example.com"]  # no change


@pytest.mark.parametrize("embedded", ["duckdb", "sqlite"])  # a server may hold CRM tables
def test_add_user_without_employees_table_needs_the_id_only(embedded: str, tmp_path: Path) -> None:
    with fresh_engine(embedded, tmp_path) as crm, app_databases(crm, tmp_path) as databases:
        with pytest.raises(UserError, match="must be linked"):
            add_user(databases, "r@example.com", "rep", actor=ACTOR)
        add_user(databases, "r@example.com", "rep", employee_id=5, actor=ACTOR)  # cannot be checked
        # ... but it cannot sign in while no employee 5 can be found
        assert resolve_identity(databases, "r@example.com") is None
        assert resolve_identity(
            databases, "x@example.com", claim_roles=["analyst"], allowed_claims=["analyst"]
        ) == Identity("x@example.com", "x@example.com", "analyst", None, None)


def test_only_an_admin_manages_users(databases: Databases) -> None:
    add_user(databases, "ann@example.com", "admin", actor=ACTOR)
    add_user(databases, "e11@example.com", "rep", employee_id=11, password=PASSWORD, actor=ACTOR)
    rep = Identity("e11@example.com", "Ravi Rep", "rep", 11, 1)
    head = Identity("e10@example.com", "Hanna Head", "head", 10, 1)
    writes = [
        lambda who: add_user(databases, "new@example.com", "admin", actor=who),
        lambda who: set_password(databases, "ann@example.com", "taken over!", actor=who),
        lambda who: set_active(databases, "ann@example.com", False, actor=who),
        lambda who: set_role(databases, "e11@example.com", "admin", actor=who),
        lambda who: remove_user(databases, "ann@example.com", actor=who),
        lambda who: list_users(databases, actor=who),
    ]
    for write in writes:
        for who in (rep, head):
            with pytest.raises(UserError, match=r"^Only an admin can manage users\.$"):
                write(who)
    # an admin demoted meanwhile: their identity (a session opened before) says admin, the
    # table no longer does
    add_user(databases, "old@example.com", "admin", actor=ACTOR)
    stale = Identity("old@example.com", "Old", "admin", None, None)
    set_role(databases, "old@example.com", "exec", actor=ACTOR)
    with pytest.raises(UserError, match="no longer an enabled admin: log in again"):
        set_role(databases, "e11@example.com", "admin", actor=stale)
    users = list_users(databases, actor=ACTOR).set_index("email")
    assert users["role"].to_dict() == {
        "ann@example.com": "admin", "e11@example.com": "rep", "old@example.com": "exec",
    }  # fmt: skip
    assert users["active"].all()
    assert authenticate(databases, "ann@example.com", "taken over!") is None  # no password set


def test_nobody_removes_the_last_admin_or_themself(databases: Databases) -> None:
    add_user(databases, "ann@example.com", "admin", actor=ACTOR)
    add_user(databases, "bob@example.com", "admin", actor=ACTOR)
    ann = Identity("ann@example.com", "Ann", "admin", None, None)
    for refused in (
        lambda: set_active(databases, "ann@example.com", False, actor=ann),
        lambda: set_role(databases, "Ann@example.com", "exec", actor=ann),
        lambda: remove_user(databases, "ann@example.com", actor=ann),
    ):
        with pytest.raises(UserError, match=r"^You cannot (disable|demote|remove) yourself: ask"):
            refused()
    set_password(databases, "ann@example.com", PASSWORD, actor=ann)  # that is allowed
    set_role(databases, "ann@example.com", "admin", employee_id=30, actor=ann)  # so is this
    set_active(databases, "bob@example.com", False, actor=ann)
    # Bob is disabled: Ann is the last enabled admin, whoever asks
    last = "ann@example.com is the last enabled admin, so you cannot {} them: add or enable "
    for what, refused in (
        ("disable", lambda: set_active(databases, "ann@example.com", False, actor=ACTOR)),
        ("demote", lambda: set_role(databases, "ann@example.com", "analyst", actor=ACTOR)),
        ("remove", lambda: remove_user(databases, "ann@example.com", actor=ACTOR)),
    ):
        with pytest.raises(UserError, match=re.escape(last.format(what))):
            refused()
    remove_user(databases, "bob@example.com", actor=ann)  # a disabled admin may go
    add_user(databases, "cid@example.com", "admin", actor=ann)
    set_role(databases, "ann@example.com", "exec", actor=ACTOR)  # now there is another
    users = list_users(databases, actor=ACTOR)
    assert users[["email", "role", "active"]].values.tolist() == [
        ["ann@example.com", "exec", True], ["cid@example.com", "admin", True]]  # fmt: skip
    assert users["employee_id"].isna().all()  # set_role sets the employee too: none given


def test_set_role_follows_the_rule(databases: Databases) -> None:
    add_user(databases, "x@example.com", "exec", actor=ACTOR)
    set_role(databases, "x@example.com", "head", employee_id=10, actor=ACTOR)
    assert resolve_identity(databases, "x@example.com") == Identity(
        "x@example.com", "Hanna Head", "head", 10, 1
    )
    for role, employee, message in [
        ("head", 11, "Ravi Rep (employee 11) heads no team"),
        ("head", None, "A head must be linked to an employee"),
        ("rep", None, "A rep must be linked to an employee"),
        ("rep", 999, "There is no employee with id 999"),
        ("boss", None, "Unknown role 'boss'"),
    ]:
        with pytest.raises(UserError, match=re.escape(message)):
            set_role(databases, "x@example.com", role, employee_id=employee, actor=ACTOR)
    with pytest.raises(UserError, match=re.escape("There is no app user y@example.com")):
        set_role(databases, "y@example.com", "exec", actor=ACTOR)
    set_role(databases, "x@example.com", "rep", employee_id=12, actor=ACTOR)
    assert resolve_identity(databases, "x@example.com") == Identity(
        "x@example.com", "Rita Rep", "rep", 12, 1
    )


def test_list_users_names_employee_team_and_problems(databases: Databases) -> None:
    add_user(databases, "h@example.com", "head", employee_id=10, actor=ACTOR)
    add_user(databases, "r@example.com", "rep", employee_id=11, actor=ACTOR)
    add_user(databases, "x@example.com", "exec", employee_id=30, actor=ACTOR)
    add_user(databases, "z@example.com", "rep", employee_id=13, actor=ACTOR)
    with databases.app.begin() as conn:  # made before the rule, or the data changed since
        conn.execute(APP_USERS.update().where(APP_USERS.c.email == "x@example.com").values(
            role="head", employee_id=20))  # fmt: skip
        conn.execute(APP_USERS.update().where(APP_USERS.c.email == "z@example.com").values(
            employee_id=999))  # fmt: skip
    users = list_users(databases, actor=ACTOR)
    columns = ["email", "role", "employee", "team", "problem"]
    assert users[columns].astype(object).where(users[columns].notna(), None).values.tolist() == [
        ["h@example.com", "head", "Hanna Head", "North", None],  # the headed team, not own
        ["r@example.com", "rep", "Ravi Rep", "North", None],
        ["x@example.com", "head", "Hugo Head", None,
         "Hugo Head (employee 20) heads no team, so they cannot be a head: make them a team's "
         "head (teams.head_id) or choose another role, e.g. rep."],
        ["z@example.com", "rep", None, None,
         "There is no employee 999 (any more): pick another."],
    ]  # fmt: skip
    assert resolve_identity(databases, "x@example.com") is None  # what the problem means


# ---- employees ------------------------------------------------------------------------------


def test_list_employees(databases: Databases) -> None:
    staff = list_employees(databases.crm)
    assert staff["employee_id"].tolist() == [30, 10, 20, 13, 60, 11, 12, 40]  # by name
    assert list(staff.columns) == [
        "employee_id", "name", "email", "role", "team_id", "team", "heads", "hired_at",
        "left_at"]  # fmt: skip
    hanna = staff.set_index("employee_id").loc[10]
    assert (hanna["team"], hanna["heads"], hanna["hired_at"]) == (
        "South",
        "North",
        pd.Timestamp(2020, 1, 1),
    )
    assert employee_label(staff.iloc[1]) == (
        "Hanna Head (id 10, head, South, heads North, e10@example.com)")  # fmt: skip
    assert employee_label(staff.iloc[3]) == (
        "Leo Left (id 13, rep, South, e13@example.com, left 2023-06-30)")  # fmt: skip
    assert list_employees(databases.crm, role="HEAD")["employee_id"].tolist() == [10, 20, 60]
    # a team: its members and its head (Hanna heads North, her own team is South)
    assert list_employees(databases.crm, team="north")["employee_id"].tolist() == [10, 11, 12]
    assert list_employees(databases.crm, team="2")["employee_id"].tolist() == [10, 20, 13, 40]
    assert list_employees(databases.crm, role="rep", team="South")["employee_id"].tolist() == [13]
    with pytest.raises(UserError, match=r"^There is no team 'West': the teams are North, South"):
        list_employees(databases.crm, team=" West ")


def test_find_employee(databases: Databases) -> None:
    with databases.crm.begin() as conn:  # a second Ravi Rep, in the other team
        conn.execute(sa.text("INSERT INTO employees (id, name, email, role, team_id, hired_at) "
                             "VALUES (14, 'Ravi  rep', 'ravi2@example.com', 'rep', 2, "
                             "'2021-01-01')"))  # fmt: skip
    assert find_employee(databases.crm, "Rita Rep") == 12
    assert find_employee(databases.crm, " rita   REP ") == 12  # any case and spacing
    assert find_employee(databases.crm, "RITA.rep@example.com") == 12
    assert find_employee(databases.crm, " 999 ") == 999  # an id is checked by add_user
    with pytest.raises(UserError) as ambiguous:
        find_employee(databases.crm, "ravi rep")
    assert str(ambiguous.value) == (
        "2 employees are named 'ravi rep': Ravi  rep (id 14, rep, South, ravi2@example.com); "
        "Ravi Rep (id 11, rep, North, e11@example.com). Give the id or the e-mail instead."
    )
    with pytest.raises(UserError, match=re.escape(
            "No employee is named 'hugo'. Did you mean: Hugo Head (id 20, head, South, "
            "e20@example.com)?")):  # fmt: skip
        find_employee(databases.crm, "hugo")
    with pytest.raises(UserError, match=re.escape("No employee is named 'Zed': `python -m appdb")):
        find_employee(databases.crm, "Zed")
    with pytest.raises(UserError, match=re.escape("No employee has the e-mail zed@example.com")):
        find_employee(databases.crm, "zed@example.com")
    with pytest.raises(UserError) as long_name:
        find_employee(databases.crm, "q" * 10**6)
    assert str(long_name.value) == (
        f"No employee is named '{'q' * 320}': `python -m appdb employees` lists them."
    )


# ---- OIDC identity resolution ---------------------------------------------------------------


def test_resolve_identity_from_employees_and_claims(databases: Databases) -> None:
    # rule 2: the employee record decides; a rep's team is the own team
    assert resolve_identity(databases, "e11@example.com", name="IdP name") == Identity(
        "e11@example.com", "Ravi Rep", "rep", 11, 1
    )
    # case-insensitive on both sides: stored Rita.Rep@Example.COM, signed in as RITA.rep@...
    assert resolve_identity(databases, " RITA.rep@example.com ") == Identity(
        "rita.rep@example.com", "Rita Rep", "rep", 12, 1
    )
    # a head's team is the team they head (1), not their own team_id (2)
    assert resolve_identity(databases, "e10@example.com") == Identity(
        "e10@example.com", "Hanna Head", "head", 10, 1
    )
    assert resolve_identity(databases, "e10@example.com").scope() == Scope.head(1, employee_id=10)
    # a "head" who heads no team is denied (before issue #14 they got their own team 2)
    assert resolve_identity(databases, "e20@example.com") is None
    assert resolve_identity(databases, "e30@example.com") == Identity(
        "e30@example.com", "Eva Exec", "exec", 30, None
    )
    # without an allowlist role claims are ignored: a rep who claims head or admin stays a rep
    # (before issue #14 the claim decided: "Head" made them a head, "admin" an admin)
    rep = Identity("e11@example.com", "Ravi Rep", "rep", 11, 1)
    assert resolve_identity(databases, "e11@example.com", claim_roles=["boss", "Head"]) == rep
    assert resolve_identity(databases, "e11@example.com", claim_roles=["admin"]) == rep
    # denied: service agent, leaver, unknown email, a head without any team
    assert resolve_identity(databases, "e40@example.com") is None
    assert resolve_identity(databases, "e13@example.com") is None
    assert resolve_identity(databases, "nobody@example.com", name="No Body") is None
    assert resolve_identity(databases, "e60@example.com") is None
    # ... and a stranger's claims alone let nobody in (before issue #14: an admin, an exec)
    assert resolve_identity(databases, "x@partner.org", claim_roles=["admin"]) is None
    assert resolve_identity(databases, "boss@partner.org", claim_roles="exec") is None


#: Every role an allowlist may hold (``access.claims.CLAIMABLE_ROLES``).
CLAIMABLE = ("exec", "head", "rep", "analyst")


def test_role_claims_lower_an_employee_role_never_raise_it(databases: Databases) -> None:
    rep = Identity("e11@example.com", "Ravi Rep", "rep", 11, 1)
    for claim in (["head"], ["exec"], ["analyst"], ["admin"], "Admin, EXEC"):
        assert (
            resolve_identity(
                databases, "e11@example.com", claim_roles=claim, allowed_claims=CLAIMABLE
            )
            == rep
        )
    # exec and analyst are not below each other: the exec stays an exec
    assert resolve_identity(
        databases, "e30@example.com", claim_roles=["analyst"], allowed_claims=CLAIMABLE
    ) == Identity("e30@example.com", "Eva Exec", "exec", 30, None)
    # the head of team 1 claimed to be a rep: a rep of their own team, 2 (the first claimed
    # role that lowers counts; "boss" is no role)
    assert resolve_identity(
        databases,
        "e10@example.com",
        claim_roles=["boss", "admin", " Rep "],
        allowed_claims=CLAIMABLE,
    ) == Identity("e10@example.com", "Hanna Head", "rep", 10, 2)
    # ... only when the allowlist has the claimed role
    assert resolve_identity(
        databases, "e10@example.com", claim_roles=["rep"], allowed_claims=["exec", "head"]
    ) == Identity("e10@example.com", "Hanna Head", "head", 10, 1)
    # a lowered role that cannot be scoped denies: the exec as a head heads no team
    assert (
        resolve_identity(
            databases, "e30@example.com", claim_roles=["head"], allowed_claims=CLAIMABLE
        )
        is None
    )
    # an employee who may not log in (service agent, leaver) is no stranger: no claim helps
    for email in ("e40@example.com", "e13@example.com"):
        assert (
            resolve_identity(databases, email, claim_roles=["exec"], allowed_claims=CLAIMABLE)
            is None
        )


def test_role_claims_admit_strangers_as_exec_or_analyst_only(databases: Databases) -> None:
    assert resolve_identity(
        databases, "Boss@Partner.org", name="Bea Boss", claim_roles=["rep", "exec"],
        allowed_claims=CLAIMABLE,
    ) == Identity("boss@partner.org", "Bea Boss", "exec", None, None)  # fmt: skip
    assert resolve_identity(
        databases, "x@partner.org", claim_roles="Analyst", allowed_claims=["analyst"]
    ) == Identity("x@partner.org", "x@partner.org", "analyst", None, None)
    # not a role outside the allowlist, never admin, and no rep or head without an employee
    assert (
        resolve_identity(databases, "x@partner.org", claim_roles="analyst", allowed_claims=["exec"])
        is None
    )
    assert (
        resolve_identity(
            databases, "x@partner.org", claim_roles="admin", allowed_claims=[*CLAIMABLE, "admin"]
        )
        is None
    )
    assert (
        resolve_identity(
            databases, "x@partner.org", claim_roles=["rep", "head"], allowed_claims=CLAIMABLE
        )
        is None
    )


def test_role_claims_lower_an_app_user_role(databases: Databases) -> None:
    add_user(databases, "admin@example.com", "admin", actor=ACTOR)
    add_user(databases, "e30@example.com", "analyst", employee_id=30, actor=ACTOR)
    everything = [*CLAIMABLE, "admin"]
    assert resolve_identity(
        databases, "admin@example.com", claim_roles=["exec"], allowed_claims=everything
    ) == Identity("admin@example.com", "admin@example.com", "exec", None, None)
    # an admin without an employee lowered to a rep: no rep scope, so no access at all
    assert (
        resolve_identity(
            databases, "admin@example.com", claim_roles=["rep"], allowed_claims=everything
        )
        is None
    )
    # the analyst row: "admin" and "exec" are not below it, "rep" is (employee 30, no team)
    for claim, role in ((["admin", "exec"], "analyst"), (["exec", "rep"], "rep")):
        assert resolve_identity(
            databases, "e30@example.com", claim_roles=claim, allowed_claims=everything
        ) == Identity("e30@example.com", "Eva Exec", role, 30, None)


def test_resolve_identity_from_app_users(databases: Databases) -> None:
    add_user(databases, "admin@example.com", "admin", actor=ACTOR)
    add_user(databases, "e30@example.com", "analyst", employee_id=30, name="Eva (analyst)",
             actor=ACTOR)  # fmt: skip
    add_user(databases, "e11@example.com", "rep", employee_id=11, actor=ACTOR)
    add_user(databases, "e12@example.com", "head", employee_id=10, actor=ACTOR)  # someone else's
    # rule 1: app_users wins over the employee record and the claims; its name comes first
    assert resolve_identity(databases, "ADMIN@example.com", name="Ad Min") == Identity(
        "admin@example.com", "Ad Min", "admin", None, None
    )
    assert resolve_identity(databases, "e30@example.com", claim_roles=["admin"]) == Identity(
        "e30@example.com", "Eva (analyst)", "analyst", 30, None
    )
    assert resolve_identity(databases, "e12@example.com") == Identity(
        "e12@example.com", "Hanna Head", "head", 10, 1
    )
    # a disabled user is denied, although the employee record alone would let them in
    set_active(databases, "e11@example.com", False, actor=ACTOR)
    assert resolve_identity(databases, "e11@example.com") is None
    set_active(databases, "e11@example.com", True, actor=ACTOR)
    assert resolve_identity(databases, "e11@example.com") is not None
    # a rep whose employee has gone (e.g. after a reseed) is denied
    with databases.app.begin() as conn:
        conn.execute(APP_USERS.update().where(APP_USERS.c.email == "e11@example.com").values(
            employee_id=999))  # fmt: skip
    assert resolve_identity(databases, "e11@example.com") is None


def test_identity_for_employee(databases: Databases) -> None:
    assert identity_for_employee(databases.crm, 10, "head") == Identity(
        "e10@example.com", "Hanna Head", "head", 10, 1
    )
    assert identity_for_employee(databases.crm, 12, "rep") == Identity(
        "rita.rep@example.com", "Rita Rep", "rep", 12, 1
    )
    assert identity_for_employee(databases.crm, 11, "exec").scope().sees_all
    with pytest.raises(UserError, match="no employee with id 999"):
        identity_for_employee(databases.crm, 999, "rep")
    for employee in (60, 11, 20):  # no team at all, a rep, a "head" of no team
        with pytest.raises(UserError, match=r"\(employee \d+\) heads no team"):
            identity_for_employee(databases.crm, employee, "head")
    with pytest.raises(UserError, match="Unknown role"):
        identity_for_employee(databases.crm, 11, "boss")


# ---- password sign-in -----------------------------------------------------------------------


def test_authenticate(databases: Databases) -> None:
    add_user(databases, "e11@example.com", "rep", employee_id=11, password=PASSWORD, actor=ACTOR)
    add_user(databases, "oidc@example.com", "admin", actor=ACTOR)  # no password: OIDC only
    rep = Identity("e11@example.com", "Ravi Rep", "rep", 11, 1)
    assert authenticate(databases, "e11@example.com", PASSWORD) == rep
    assert authenticate(databases, " E11@Example.COM", PASSWORD) == rep
    assert authenticate(databases, "e11@example.com", "wrong password") is None
    assert authenticate(databases, "e11@example.com", "") is None
    assert authenticate(databases, "nobody@example.com", PASSWORD) is None
    assert authenticate(databases, "oidc@example.com", PASSWORD) is None
    set_active(databases, "e11@example.com", False, actor=ACTOR)
    assert authenticate(databases, "e11@example.com", PASSWORD) is None
    set_active(databases, "e11@example.com", True, actor=ACTOR)
    set_password(databases, "e11@example.com", "a new password", actor=ACTOR)
    assert authenticate(databases, "e11@example.com", PASSWORD) is None
    assert authenticate(databases, "e11@example.com", "a new password") == rep


def test_authenticate_rehashes_outdated_hashes(databases: Databases) -> None:
    add_user(databases, "admin@example.com", "admin", password=PASSWORD, actor=ACTOR)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with databases.app.begin() as conn:
        conn.execute(APP_USERS.update().values(password_hash=weak))
    # a wrong password leaves the old hash alone
    assert authenticate(databases, "admin@example.com", "wrong password") is None
    assert stored_hash(databases, "admin@example.com") == weak
    identity = authenticate(databases, "admin@example.com", PASSWORD)
    assert identity == Identity("admin@example.com", "admin@example.com", "admin", None, None)
    renewed = stored_hash(databases, "admin@example.com")
    assert renewed != weak
    assert renewed is not None and not PasswordHasher().check_needs_rehash(renewed)
    assert verify_password(renewed, PASSWORD)


def test_over_long_credentials_are_refused_before_any_hash(
    databases: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(databases, "e11@example.com", "rep", employee_id=11, password=PASSWORD, actor=ACTOR)
    longest = "a" * 308 + "@example.com"  # 320 characters: the longest e-mail
    assert credentials_problem(longest, "p" * 1024) is None
    assert credentials_problem(" A" + longest.upper() + " ", "") == (
        "The e-mail is longer than 320 characters: check it."
    )
    assert credentials_problem("e11@example.com", "p" * 1025) == (
        "The password is longer than 1,024 characters, which no account's password is: check it."
    )
    checks: list[str] = []

    def counted(password_hash: str | None, password: str | None) -> bool:
        checks.append(str(password)[:8])
        return verify_password(password_hash, password)

    monkeypatch.setattr(users_module, "verify_password", counted)
    assert authenticate(databases, "a" + longest, PASSWORD) is None
    assert authenticate(databases, "e11@example.com", PASSWORD + "x" * 1017) is None
    assert checks == []  # neither was hashed
    assert authenticate(databases, "e11@example.com", PASSWORD) is not None
    assert checks == [PASSWORD[:8]]
