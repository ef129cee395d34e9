"""Dashboard users: accounts, roles, password hashes and identity resolution (DESIGN.md §4).

The ``app_users`` table lives on its own :data:`USERS_METADATA`, not on
``crm_data.schema.Base``: reseeding the demo company drops and recreates every table of
``Base.metadata``, and user accounts must survive that.  For the same reason ``employee_id`` is
not a foreign key (employees are recreated on reseed).

An :class:`Identity` is who is signed in, with what role, and the employee and team that role is
scoped to; :meth:`Identity.scope` turns it into the :class:`~crm_data.filters.Scope` every
query takes.  The team of a scope is, for a ``head``, the team they head (``teams.head_id``),
else their own ``employees.team_id``; for every other role their own team.

* ``password`` mode: :func:`authenticate` checks an argon2id hash (``argon2-cffi`` defaults).
* ``oidc`` mode: :func:`resolve_identity` maps the verified email (and optional role claims)
  to an identity, or to None ("access denied").
* the admin's "view as" preview: :func:`identity_for_employee`.

Emails are stored stripped and lower-cased, so every look-up is case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pandas as pd
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error

from crm_data.errors import CrmDataError
from crm_data.filters import ROLES, Scope
from crm_data.queries.frames import Kind, empty_frame, read_frame
from crm_data.queries.tables import EMPLOYEES, TEAMS

__all__ = [
    "normalize_email",
    "APP_USERS",
    "MIN_PASSWORD_LENGTH",
    "USERS_METADATA",
    "Identity",
    "UserError",
    "add_user",
    "authenticate",
    "ensure_users_table",
    "hash_password",
    "identity_for_employee",
    "list_users",
    "remove_user",
    "resolve_identity",
    "set_active",
    "set_password",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 8
EMAIL_LENGTH = 320

#: Roles whose scope needs an employee.
SCOPED_ROLES = ("rep", "head")
#: ``employees.role`` values that may sign in through their employee record (not ``service``).
EMPLOYEE_LOGIN_ROLES = ("rep", "head", "exec", "analyst")
#: Roles an identity provider's claim may grant without an employee record.
CLAIM_ONLY_ROLES = ("exec", "analyst", "admin")

USERS_METADATA = sa.MetaData()

APP_USERS = sa.Table(
    "app_users",
    USERS_METADATA,
    sa.Column("id", sa.Integer, sa.Sequence("app_users_id_seq"), primary_key=True),
    sa.Column("email", sa.String(EMAIL_LENGTH), unique=True, nullable=False),
    sa.Column("name", sa.String(200)),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("employee_id", sa.Integer),
    sa.Column("password_hash", sa.String(200)),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

_HASHER = PasswordHasher()
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)*")
_LIST_KINDS: dict[str, Kind] = {
    "email": "str",
    "name": "str",
    "role": "str",
    "employee_id": "Int",
    "has_password": "bool",
    "active": "bool",
}


class UserError(CrmDataError, ValueError):
    """A user-management request that cannot be carried out; the message says what to do."""


@dataclass(frozen=True)
class Identity:
    """Who is signed in and what they may see.

    Attributes
    ----------
    email : str
        Lower-cased email address.
    name : str
        Display name.
    role : str
        One of :data:`crm_data.filters.ROLES`.
    employee_id : int or None
        The linked employee (always set for ``rep`` and ``head``).
    team_id : int or None
        The scope's team: for a head the team they head, else the employee's own team.
    """

    email: str
    name: str
    role: str
    employee_id: int | None
    team_id: int | None

    def scope(self) -> Scope:
        """The :class:`~crm_data.filters.Scope` this identity's queries run under."""
        return Scope(self.role, employee_id=self.employee_id, team_id=self.team_id)  # type: ignore[arg-type]


# ---- passwords ------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (``argon2-cffi`` default parameters).

    Raises
    ------
    UserError
        (a ``ValueError``) if the password is shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters."
        )
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str | None) -> bool:
    """Whether ``password`` matches ``password_hash``; False on a mismatch or any bad input."""
    if not isinstance(password_hash, str) or not isinstance(password, str):
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (Argon2Error, ValueError):  # mismatch, corrupt or malformed hash
        return False


@cache
def _dummy_hash() -> str:
    """A fixed hash verified for unknown users so that they take as long as known ones."""
    return _HASHER.hash("no user has this password")


# ---- helpers --------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    """An e-mail as stored and compared: surrounding spaces dropped, lower case."""
    return email.strip().lower()


def _now() -> datetime:
    """Now as a naive UTC timestamp (the schema's convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _has_table(conn: sa.Connection, table: sa.Table) -> bool:
    return sa.inspect(conn).has_table(table.name)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")


def _user_row(conn: sa.Connection, email: str) -> sa.Row[Any] | None:
    """The ``app_users`` row of the normalised ``email`` (None also when the table is absent)."""
    if not _has_table(conn, APP_USERS):
        return None
    return conn.execute(sa.select(APP_USERS).where(APP_USERS.c.email == email)).first()


def _require_user(conn: sa.Connection, email: str) -> str:
    """The normalised ``email`` of an existing user, else UserError."""
    key = normalize_email(email)
    if _user_row(conn, key) is None:
        raise UserError(
            f"There is no app user {key}: `python -m crm_data users list` shows the users, "
            "`users add` creates one."
        )
    return key


def _employee(conn: sa.Connection, *conditions: sa.ColumnElement[bool]) -> sa.Row[Any] | None:
    """The first employee (lowest id) meeting ``conditions``; None when the table is absent."""
    if not _has_table(conn, EMPLOYEES):
        return None
    stmt = sa.select(EMPLOYEES).where(*conditions).order_by(EMPLOYEES.c.id).limit(1)
    return conn.execute(stmt).first()


def _team_of(conn: sa.Connection, employee: sa.Row[Any], role: str) -> int | None:
    """A head's headed team (lowest id), else the employee's own ``team_id``."""
    if role == "head" and _has_table(conn, TEAMS):
        stmt = sa.select(sa.func.min(TEAMS.c.id)).where(TEAMS.c.head_id == employee.id)
        headed = conn.execute(stmt).scalar()
        if headed is not None:
            return int(headed)
    return None if employee.team_id is None else int(employee.team_id)


def _identity(
    conn: sa.Connection, email: str, role: str, employee: sa.Row[Any] | None, name: str
) -> Identity:
    """The identity of ``role`` linked to ``employee``; UserError if no scope can be built."""
    _check_role(role)
    if employee is None:
        if role in SCOPED_ROLES:
            raise UserError(
                f"A {role} must be linked to an existing employee: give the employee id "
                "(`--employee ID`, an id of the employees table)."
            )
        return Identity(email, name, role, None, None)
    team_id = _team_of(conn, employee, role)
    if role == "head" and team_id is None:
        raise UserError(
            f"Employee {employee.id} heads no team and belongs to none, so a head scope cannot "
            "be built: set teams.head_id or employees.team_id, or choose another role."
        )
    return Identity(email, name, role, int(employee.id), team_id)


def _employee_by_id(conn: sa.Connection, employee_id: int) -> sa.Row[Any]:
    employee = _employee(conn, EMPLOYEES.c.id == employee_id)
    if employee is None:
        raise UserError(
            f"There is no employee with id {employee_id}: check the id in the employees table."
        )
    return employee


# ---- account management ---------------------------------------------------------------------


def ensure_users_table(engine: sa.Engine) -> None:
    """Create the ``app_users`` table (and its sequence) unless it exists."""
    USERS_METADATA.create_all(engine, checkfirst=True)


def add_user(
    engine: sa.Engine,
    email: str,
    role: str,
    *,
    name: str | None = None,
    employee_id: int | None = None,
    password: str | None = None,
) -> None:
    """Create an active dashboard user.

    Parameters
    ----------
    engine : sa.Engine
        The CRM database; ``app_users`` is created if missing.
    email : str
        The sign-in email (stored stripped and lower-cased).
    role : str
        One of :data:`crm_data.filters.ROLES`.
    name : str, optional
        Display name (default: the employee's name, else the email).
    employee_id : int, optional
        The linked employee; required for ``rep`` and ``head``.  When the ``employees`` table
        exists, the employee must exist and a head must head a team or belong to one.
    password : str, optional
        For ``password`` mode; None for users who sign in through OIDC.

    Raises
    ------
    UserError
        On an unknown role, a malformed email, a missing or unknown employee, a head without a
        team, a too-short password, or an email that is already registered.
    """
    key = normalize_email(email)
    _check_role(role)
    if not _EMAIL.fullmatch(key) or len(key) > EMAIL_LENGTH:
        raise UserError(
            f"{email!r} does not look like an email address (name@example.com): check it."
        )
    password_hash = None if password is None else hash_password(password)
    ensure_users_table(engine)
    exists = f"The user {key} already exists; use `users set-password` to change the password, "
    exists += f"or remove it first (`users remove {key}`)."
    with engine.begin() as conn:
        # _identity validates the scope: a rep/head needs an employee, a head a team
        if _has_table(conn, EMPLOYEES):
            employee = None if employee_id is None else _employee_by_id(conn, employee_id)
            _identity(conn, key, role, employee, key)
        elif employee_id is None:  # without employees table an id cannot be checked
            _identity(conn, key, role, None, key)
        if _user_row(conn, key) is not None:
            raise UserError(exists)
        now = _now()
        values = {
            "email": key,
            "name": name,
            "role": role,
            "employee_id": employee_id,
            "password_hash": password_hash,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        try:
            conn.execute(APP_USERS.insert().values(**values))
        except sa.exc.IntegrityError:  # added concurrently
            raise UserError(exists) from None


def _update(engine: sa.Engine, email: str, **values: Any) -> None:
    """Set ``values`` (and ``updated_at``) on an existing user."""
    ensure_users_table(engine)
    with engine.begin() as conn:
        key = _require_user(conn, email)
        stmt = APP_USERS.update().where(APP_USERS.c.email == key)
        conn.execute(stmt.values(**values, updated_at=_now()))


def set_password(engine: sa.Engine, email: str, password: str) -> None:
    """Replace a user's password (argon2id hash).

    Raises
    ------
    UserError
        On an unknown email or a password shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    _update(engine, email, password_hash=hash_password(password))


def set_active(engine: sa.Engine, email: str, active: bool) -> None:
    """Enable or disable a user; a disabled user can neither sign in nor resolve.

    Raises
    ------
    UserError
        On an unknown email.
    """
    _update(engine, email, active=bool(active))


def remove_user(engine: sa.Engine, email: str) -> None:
    """Delete a user.

    Raises
    ------
    UserError
        On an unknown email.
    """
    ensure_users_table(engine)
    with engine.begin() as conn:
        key = _require_user(conn, email)
        conn.execute(APP_USERS.delete().where(APP_USERS.c.email == key))


def list_users(engine: sa.Engine) -> pd.DataFrame:
    """Every user, ordered by email, without password hashes.

    Returns
    -------
    DataFrame
        ``email`` str, ``name`` str, ``role`` str, ``employee_id`` Int64, ``has_password``
        bool, ``active`` bool; empty (same columns) when there is no ``app_users`` table.
    """
    with engine.connect() as conn:
        if not _has_table(conn, APP_USERS):
            return empty_frame(_LIST_KINDS)
        stmt = sa.select(
            APP_USERS.c.email,
            APP_USERS.c.name,
            APP_USERS.c.role,
            APP_USERS.c.employee_id,
            APP_USERS.c.password_hash.is_not(None).label("has_password"),
            APP_USERS.c.active,
        ).order_by(APP_USERS.c.email)
        return read_frame(conn, stmt, _LIST_KINDS)


# ---- signing in -----------------------------------------------------------------------------


def _user_identity(conn: sa.Connection, user: sa.Row[Any], name: str | None) -> Identity | None:
    """The identity of an ``app_users`` row; None when its role cannot be scoped."""
    employee = (
        None if user.employee_id is None else _employee(conn, EMPLOYEES.c.id == user.employee_id)
    )
    display = user.name or (employee.name if employee is not None else None) or name or user.email
    try:
        return _identity(conn, user.email, user.role, employee, display)
    except UserError:
        return None


def authenticate(engine: sa.Engine, email: str, password: str) -> Identity | None:
    """The identity of an active user whose password verifies, else None (``password`` mode).

    Unknown, disabled and password-less users still cost one hash verification, so response
    times do not reveal which emails exist.  A hash made with outdated parameters is replaced
    by a fresh one after a successful check.
    """
    key = normalize_email(email)
    with engine.connect() as conn:
        user = _user_row(conn, key)
        usable = user is not None and user.active and user.password_hash is not None
        matched = verify_password(user.password_hash if usable else _dummy_hash(), password)
        if not (usable and matched):
            return None
        identity = _user_identity(conn, user, None)
    if identity is not None and _HASHER.check_needs_rehash(user.password_hash):
        _update(engine, key, password_hash=_HASHER.hash(password))
    return identity


def _first_role(claim_roles: Iterable[str] | str, allowed: tuple[str, ...]) -> str | None:
    """The first claimed role (stripped, lower-cased) that is in ``allowed``; a string claim may
    hold several roles separated by commas.
    """
    claims = claim_roles.split(",") if isinstance(claim_roles, str) else tuple(claim_roles)
    return next((r for r in (str(c).strip().lower() for c in claims) if r in allowed), None)


def resolve_identity(
    engine: sa.Engine,
    email: str,
    *,
    name: str | None = None,
    claim_roles: Iterable[str] | str = (),
) -> Identity | None:
    """Map a verified sign-in email (``oidc`` mode) to an identity, or None (access denied).

    The first rule that applies decides:

    1. an ``app_users`` row with this email: its role and employee (a disabled row denies);
    2. an employee with this email, role rep/head/exec/analyst and no ``left_at``: the first
       valid role in ``claim_roles``, else the employee's role;
    3. the first of ``claim_roles`` that is exec, analyst or admin, without an employee;
    4. otherwise None.

    A rep or head whose employee cannot be found, or a head without a team, gives None.  The
    name is ``app_users.name``, else the employee's name, else ``name``, else the email.

    Parameters
    ----------
    engine : sa.Engine
        The CRM database.
    email : str
        The email the identity provider verified (any case).
    name : str, optional
        The provider's display name.
    claim_roles : iterable of str or str
        Role claims of the ID token (matched stripped and case-insensitively; a string may
        hold several, separated by commas).
    """
    key = normalize_email(email)
    with engine.connect() as conn:
        user = _user_row(conn, key)
        if user is not None:
            return _user_identity(conn, user, name) if user.active else None
        employee = _employee(
            conn,
            sa.func.lower(EMPLOYEES.c.email) == key,
            EMPLOYEES.c.role.in_(EMPLOYEE_LOGIN_ROLES),
            EMPLOYEES.c.left_at.is_(None),
        )
        if employee is not None:
            role = _first_role(claim_roles, ROLES) or employee.role
            try:
                return _identity(conn, key, role, employee, employee.name or name or key)
            except UserError:
                return None
    role = _first_role(claim_roles, CLAIM_ONLY_ROLES)
    return None if role is None else Identity(key, name or key, role, None, None)


def identity_for_employee(engine: sa.Engine, employee_id: int, role: str) -> Identity:
    """The identity of ``employee_id`` acting as ``role`` (the admin's "view as" preview).

    Raises
    ------
    UserError
        If the role is unknown, the employee does not exist, or a head has no team.
    """
    with engine.connect() as conn:
        employee = _employee_by_id(conn, employee_id)
        email = normalize_email(employee.email or "")
        return _identity(conn, email, role, employee, employee.name or email)
