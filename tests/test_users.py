"""App users (``crm_data.users``) on every dialect: accounts, passwords and identity resolution.

The scenario CRM:

* team 1 "North" is headed by employee 10, team 2 "South" has no head.
* 10 head, own ``team_id`` 2 but heads team 1 (the headed team wins);
* 20 head without a headed team, own team 2 (falls back to the own team);
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

from crm_data.filters import Scope
from crm_data.schema import Base
from crm_data.users import (
    APP_USERS,
    USERS_METADATA,
    Identity,
    UserError,
    add_user,
    authenticate,
    ensure_users_table,
    hash_password,
    identity_for_employee,
    list_users,
    remove_user,
    resolve_identity,
    set_active,
    set_password,
    verify_password,
)
from tests.conftest import fresh_engine
from tests.crm_builder import CrmBuilder

PASSWORD = "correct horse"


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
def engine(dialect: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """The scenario CRM (no ``app_users`` yet); both schemas are dropped before and after."""
    with fresh_engine(dialect, tmp_path, metadata=USERS_METADATA) as engine:
        Base.metadata.drop_all(engine)
        try:
            build_scenario().load(engine)
            yield engine
        finally:
            Base.metadata.drop_all(engine)


def stored_hash(engine: sa.Engine, email: str) -> str | None:
    with engine.connect() as conn:
        query = sa.select(APP_USERS.c.password_hash).where(APP_USERS.c.email == email)
        return conn.execute(query).scalar_one()


# ---- no database ----------------------------------------------------------------------------


def test_hash_password_is_argon2id_and_verifies() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, "correct horsE")
    assert hash_password(PASSWORD) != hashed  # a fresh salt each time


@pytest.mark.parametrize("password", ["", "seven77"])
def test_hash_password_rejects_short_passwords(password: str) -> None:
    with pytest.raises(ValueError, match="at least 8 characters"):
        hash_password(password)


@pytest.mark.parametrize(
    "bad_hash",
    [None, "", "garbage", "$argon2id$v=19$m=65536,t=3,p=4$abc$def", "\x00", b"$argon2id$"],
)
def test_verify_password_never_raises_on_bad_input(bad_hash: object) -> None:
    assert verify_password(bad_hash, PASSWORD) is False  # type: ignore[arg-type]
    assert verify_password(hash_password(PASSWORD), None) is False


def test_identity_scope() -> None:
    assert Identity("r@x.com", "R", "rep", 11, 1).scope() == Scope("rep", 11, 1)
    assert Identity("h@x.com", "H", "head", 10, 1).scope() == Scope.head(1, employee_id=10)
    assert Identity("a@x.com", "A", "admin", None, None).scope() == Scope.everyone()
    assert Identity("e@x.com", "E", "exec", None, None).scope().sees_all


def test_users_table_is_not_part_of_the_crm_schema() -> None:
    assert "app_users" not in Base.metadata.tables
    assert set(USERS_METADATA.tables) == {"app_users"}
    assert not any(fk for fk in APP_USERS.foreign_keys)  # employees are recreated on reseed


# ---- account management ---------------------------------------------------------------------


def test_users_table_survives_a_reseed(engine: sa.Engine) -> None:
    add_user(engine, "admin@example.com", "admin", password=PASSWORD)
    Base.metadata.drop_all(engine)  # what reseeding does first
    Base.metadata.create_all(engine)
    assert list_users(engine)["email"].tolist() == ["admin@example.com"]
    assert authenticate(engine, "admin@example.com", PASSWORD) is not None


def test_add_list_update_remove(engine: sa.Engine) -> None:
    assert list_users(engine).empty  # no table yet
    assert list(list_users(engine).columns) == [
        "email", "name", "role", "employee_id", "has_password", "active"]  # fmt: skip
    add_user(engine, "  Ann@Example.com ", "admin", name="Ann Admin", password=PASSWORD)
    add_user(engine, "e11@example.com", "rep", employee_id=11)
    ensure_users_table(engine)  # idempotent: the table exists already
    users = list_users(engine)
    expected = pd.DataFrame(
        {
            "email": ["ann@example.com", "e11@example.com"],
            "name": ["Ann Admin", None],
            "role": ["admin", "rep"],
            "employee_id": pd.array([None, 11], dtype="Int64"),
            "has_password": [True, False],
            "active": [True, True],
        }
    ).astype({"email": "str", "name": "str", "role": "str"})
    pd.testing.assert_frame_equal(users, expected)

    set_password(engine, "E11@EXAMPLE.COM", PASSWORD)
    set_active(engine, "ann@example.com", False)
    users = list_users(engine).set_index("email")
    assert users.loc["e11@example.com", "has_password"]
    assert not users.loc["ann@example.com", "active"]
    set_active(engine, "ann@example.com", True)
    assert list_users(engine)["active"].tolist() == [True, True]

    remove_user(engine, "Ann@example.com")
    assert list_users(engine)["email"].tolist() == ["e11@example.com"]
    with pytest.raises(UserError, match=re.escape("no app user ann@example.com")):
        remove_user(engine, "ann@example.com")
    with pytest.raises(UserError, match="no app user"):
        set_password(engine, "ann@example.com", PASSWORD)
    with pytest.raises(UserError, match="no app user"):
        set_active(engine, "ann@example.com", True)


@pytest.mark.parametrize(
    ("email", "role", "employee_id", "password", "message"),
    [
        ("x@example.com", "boss", None, None, "Unknown role 'boss'"),
        ("not-an-email", "exec", None, None, "does not look like an email"),
        ("a b@example.com", "exec", None, None, "does not look like an email"),
        ("x@example.com", "rep", None, None, "must be linked to an existing employee"),
        ("x@example.com", "rep", 999, None, "no employee with id 999"),
        ("x@example.com", "exec", 999, None, "no employee with id 999"),
        ("x@example.com", "head", 60, None, "Employee 60 heads no team"),
        ("x@example.com", "admin", None, "short", "at least 8 characters"),
        ("E30@Example.com", "analyst", None, None, "already exists; use `users set-password`"),
    ],
)
def test_add_user_rejects(
    engine: sa.Engine,
    email: str,
    role: str,
    employee_id: int | None,
    password: str | None,
    message: str,
) -> None:
    add_user(engine, "e30@example.com", "exec", employee_id=30)
    with pytest.raises(UserError, match=re.escape(message)):
        add_user(engine, email, role, employee_id=employee_id, password=password)
    assert list_users(engine)["email"].tolist() == ["e30@example.com"]  # nothing written


@pytest.mark.parametrize("embedded", ["duckdb", "sqlite"])  # a server may hold CRM tables
def test_add_user_without_employees_table_needs_the_id_only(embedded: str, tmp_path: Path) -> None:
    with fresh_engine(embedded, tmp_path, metadata=USERS_METADATA) as engine:
        with pytest.raises(UserError, match="must be linked"):
            add_user(engine, "r@example.com", "rep")
        add_user(engine, "r@example.com", "rep", employee_id=5)  # cannot be checked
        # ... but it cannot sign in while no employee 5 can be found
        assert resolve_identity(engine, "r@example.com") is None
        assert resolve_identity(engine, "x@example.com", claim_roles=["analyst"]) == Identity(
            "x@example.com", "x@example.com", "analyst", None, None
        )


# ---- OIDC identity resolution ---------------------------------------------------------------


def test_resolve_identity_from_employees_and_claims(engine: sa.Engine) -> None:
    # rule 2: the employee record decides; a rep's team is the own team
    assert resolve_identity(engine, "e11@example.com", name="IdP name") == Identity(
        "e11@example.com", "Ravi Rep", "rep", 11, 1
    )
    # case-insensitive on both sides: stored Rita.Rep@Example.COM, signed in as RITA.rep@...
    assert resolve_identity(engine, " RITA.rep@example.com ") == Identity(
        "rita.rep@example.com", "Rita Rep", "rep", 12, 1
    )
    # a head's team is the team they head (1), not their own team_id (2)
    assert resolve_identity(engine, "e10@example.com") == Identity(
        "e10@example.com", "Hanna Head", "head", 10, 1
    )
    assert resolve_identity(engine, "e10@example.com").scope() == Scope.head(1, employee_id=10)
    # ... else their own team
    assert resolve_identity(engine, "e20@example.com") == Identity(
        "e20@example.com", "Hugo Head", "head", 20, 2
    )
    assert resolve_identity(engine, "e30@example.com") == Identity(
        "e30@example.com", "Eva Exec", "exec", 30, None
    )
    # a valid claimed role overrides the employee's role (first valid one; "boss" is none)
    assert resolve_identity(engine, "e11@example.com", claim_roles=["boss", "Head"]) == Identity(
        "e11@example.com", "Ravi Rep", "head", 11, 1
    )
    # denied: service agent, leaver, unknown email, a head without any team
    assert resolve_identity(engine, "e40@example.com") is None
    assert resolve_identity(engine, "e13@example.com") is None
    assert resolve_identity(engine, "nobody@example.com", name="No Body") is None
    assert resolve_identity(engine, "e60@example.com") is None
    # rule 3: exec/analyst/admin by claim alone, without an employee
    assert resolve_identity(
        engine, "Boss@Partner.org", name="Bea Boss", claim_roles=["rep", "exec"]
    ) == Identity("boss@partner.org", "Bea Boss", "exec", None, None)
    assert resolve_identity(engine, "x@partner.org", claim_roles="Analyst") == Identity(
        "x@partner.org", "x@partner.org", "analyst", None, None
    )
    # one string claim may list several roles: "rep, Admin" -> the first allowed is admin
    assert resolve_identity(engine, "x@partner.org", claim_roles="rep, Admin") == Identity(
        "x@partner.org", "x@partner.org", "admin", None, None
    )
    # a rep or head claim cannot stand without an employee
    assert resolve_identity(engine, "x@partner.org", claim_roles=["rep", "head"]) is None
    # the service agent is not signed in by the employee record, only by an exec claim
    assert resolve_identity(engine, "e40@example.com", claim_roles=["exec"]) == Identity(
        "e40@example.com", "e40@example.com", "exec", None, None
    )


def test_resolve_identity_from_app_users(engine: sa.Engine) -> None:
    add_user(engine, "admin@example.com", "admin")
    add_user(engine, "e30@example.com", "analyst", employee_id=30, name="Eva (analyst)")
    add_user(engine, "e11@example.com", "rep", employee_id=11)
    add_user(engine, "e12@example.com", "head", employee_id=10)  # an account for someone else
    # rule 1: app_users wins over the employee record and the claims; its name comes first
    assert resolve_identity(engine, "ADMIN@example.com", name="Ad Min") == Identity(
        "admin@example.com", "Ad Min", "admin", None, None
    )
    assert resolve_identity(engine, "e30@example.com", claim_roles=["admin"]) == Identity(
        "e30@example.com", "Eva (analyst)", "analyst", 30, None
    )
    assert resolve_identity(engine, "e12@example.com") == Identity(
        "e12@example.com", "Hanna Head", "head", 10, 1
    )
    # a disabled user is denied, although the employee record alone would let them in
    set_active(engine, "e11@example.com", False)
    assert resolve_identity(engine, "e11@example.com") is None
    set_active(engine, "e11@example.com", True)
    assert resolve_identity(engine, "e11@example.com") is not None
    # a rep whose employee has gone (e.g. after a reseed) is denied
    with engine.begin() as conn:
        conn.execute(APP_USERS.update().where(APP_USERS.c.email == "e11@example.com").values(
            employee_id=999))  # fmt: skip
    assert resolve_identity(engine, "e11@example.com") is None


def test_identity_for_employee(engine: sa.Engine) -> None:
    assert identity_for_employee(engine, 10, "head") == Identity(
        "e10@example.com", "Hanna Head", "head", 10, 1
    )
    assert identity_for_employee(engine, 12, "rep") == Identity(
        "rita.rep@example.com", "Rita Rep", "rep", 12, 1
    )
    assert identity_for_employee(engine, 11, "head").scope() == Scope.head(1, employee_id=11)
    with pytest.raises(UserError, match="no employee with id 999"):
        identity_for_employee(engine, 999, "rep")
    with pytest.raises(UserError, match="Employee 60 heads no team"):
        identity_for_employee(engine, 60, "head")
    with pytest.raises(UserError, match="Unknown role"):
        identity_for_employee(engine, 11, "boss")


# ---- password sign-in -----------------------------------------------------------------------


def test_authenticate(engine: sa.Engine) -> None:
    add_user(engine, "e11@example.com", "rep", employee_id=11, password=PASSWORD)
    add_user(engine, "oidc@example.com", "admin")  # no password: OIDC only
    rep = Identity("e11@example.com", "Ravi Rep", "rep", 11, 1)
    assert authenticate(engine, "e11@example.com", PASSWORD) == rep
    assert authenticate(engine, " E11@Example.COM", PASSWORD) == rep
    assert authenticate(engine, "e11@example.com", "wrong password") is None
    assert authenticate(engine, "e11@example.com", "") is None
    assert authenticate(engine, "nobody@example.com", PASSWORD) is None
    assert authenticate(engine, "oidc@example.com", PASSWORD) is None
    set_active(engine, "e11@example.com", False)
    assert authenticate(engine, "e11@example.com", PASSWORD) is None
    set_active(engine, "e11@example.com", True)
    set_password(engine, "e11@example.com", "a new password")
    assert authenticate(engine, "e11@example.com", PASSWORD) is None
    assert authenticate(engine, "e11@example.com", "a new password") == rep


def test_authenticate_rehashes_outdated_hashes(engine: sa.Engine) -> None:
    add_user(engine, "admin@example.com", "admin", password=PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(APP_USERS.update().values(password_hash=weak))
    # a wrong password leaves the old hash alone
    assert authenticate(engine, "admin@example.com", "wrong password") is None
    assert stored_hash(engine, "admin@example.com") == weak
    identity = authenticate(engine, "admin@example.com", PASSWORD)
    assert identity == Identity("admin@example.com", "admin@example.com", "admin", None, None)
    renewed = stored_hash(engine, "admin@example.com")
    assert renewed != weak
    assert renewed is not None and not PasswordHasher().check_needs_rehash(renewed)
    assert verify_password(renewed, PASSWORD)
