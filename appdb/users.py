"""Dashboard users: accounts, roles, password hashes and identity resolution (DESIGN.md §4).

The ``app_users`` table (:data:`appdb.schema.APP_USERS`) is in the app database; the employees
and teams a user is linked to are read from the CRM database (:class:`appdb.databases.Databases`
holds both).  ``employee_id`` is not a foreign key: the employees are in the other database, and
reseeding the demo company recreates them.

An :class:`Identity` is who is signed in, with what role, and the employee and team that role is
scoped to; :meth:`Identity.scope` turns it into the :class:`~crm_data.filters.Scope` every
query takes.  The team of a scope is, for a ``head``, the team they head (``teams.head_id``),
else their own ``employees.team_id``; for every other role their own team.

* ``password`` mode: :func:`authenticate` checks an argon2id hash (:mod:`access.passwords`).
* ``oidc`` mode: :func:`resolve_identity` maps the verified email (and optional role claims)
  to an identity, or to None ("access denied").
* the admin's "view as" preview: :func:`identity_for_employee`.
* sessions: ``session_version`` is stamped into every login token (``access.tokens``);
  :func:`revoke_sessions` raises it, and so do :func:`set_password` and disabling a user.

Who may hold which role is one rule, applied when a user is added or changed (CLI and Users
page), at every sign-in and in the preview: a ``rep`` needs an employee, a ``head`` an employee
who heads a team (``teams.head_id``); ``exec``, ``analyst`` and ``admin`` may have none
(:data:`access.roles.ROLE_NEEDS`).  Every change to the users is made by an ``actor`` checked
here to be an admin (:data:`COMMAND_LINE` for the CLI), and none leaves the users without an
enabled admin.

Emails are stored stripped and lower-cased, so every look-up is case-insensitive.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from access.claims import claim_only_role, claimed_roles, lowered_role
from access.passwords import (
    EMAIL_LENGTH,
    credentials_problem,
    dummy_hash,
    hash_password,
    needs_rehash,
    normalize_email,
    verify_password,
)
from access.roles import (
    EMPLOYEE_LOGIN_ROLES,
    ROLES,
    EmployeeRole,
    Role,
    can_manage_users,
    needs_employee,
    needs_headed_team,
)
from appdb.databases import Databases
from appdb.schema import APP_USERS, NAME_LENGTH
from crm_data.errors import CrmDataError
from crm_data.filters import Scope
from crm_data.queries.frames import Kind, coerce_frame, empty_frame
from crm_data.queries.people import people
from crm_data.queries.tables import EMPLOYEES, TEAMS
from i18n import N_, _, ngettext
from i18n.formatting import format_count, format_day

__all__ = [
    "COMMAND_LINE",
    "Identity",
    "UserError",
    "add_user",
    "authenticate",
    "employee_label",
    "find_employee",
    "identity_for_employee",
    "list_employees",
    "list_users",
    "remove_user",
    "resolve_identity",
    "revoke_sessions",
    "set_active",
    "set_password",
    "set_role",
]

#: ``session_version`` raised by one (a NULL counts as 0).
_NEXT_SESSION_VERSION = sa.func.coalesce(APP_USERS.c.session_version, 0) + 1

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)*")
_LIST_KINDS: dict[str, Kind] = {
    "email": "str",
    "name": "str",
    "role": "str",
    "employee_id": "Int",
    "employee": "str",
    "team": "str",
    "has_password": "bool",
    "active": "bool",
    "problem": "str",
}
_WRITES = threading.Lock()  # one user-management write at a time in this process
#: An employee's job as a word in a sentence or label (``employees.role``; the user roles'
#: codes too), English as stored; translated with ``i18n._`` where shown.
_JOB_WORDS: dict[str, str] = {
    EmployeeRole.REP: N_("rep"),
    EmployeeRole.HEAD: N_("head"),
    EmployeeRole.EXEC: N_("exec"),
    EmployeeRole.ANALYST: N_("analyst"),
    EmployeeRole.SERVICE: N_("service"),
    Role.ADMIN: N_("admin"),
}
#: Refusals to change an enabled admin, by what was asked (``_keep_an_admin``): of the actor
#: themself, and of the last enabled admin.
_NOT_YOURSELF: dict[str, str] = {
    "disable": N_("You cannot disable yourself: ask another admin to do it."),
    "demote": N_("You cannot demote yourself: ask another admin to do it."),
    "remove": N_("You cannot remove yourself: ask another admin to do it."),
}
_LAST_ADMIN: dict[str, str] = {
    "disable": N_(
        "{email} is the last enabled admin, so you cannot disable them: add or enable another "
        "admin first."
    ),
    "demote": N_(
        "{email} is the last enabled admin, so you cannot demote them: add or enable another "
        "admin first."
    ),
    "remove": N_(
        "{email} is the last enabled admin, so you cannot remove them: add or enable another "
        "admin first."
    ),
}


def _job_word(role: object) -> str:
    """``role`` (an employee's or a user's) as a word, in the language in force; unknown text
    as it is.
    """
    text = str(role)
    return _(_JOB_WORDS[text]) if text in _JOB_WORDS else text


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
        One of :data:`access.roles.ROLES`.
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


#: The actor of the command line: whoever can run it holds the database URL, an operator.
COMMAND_LINE = Identity("command line", "Command line", Role.ADMIN, None, None)


# ---- helpers --------------------------------------------------------------------------------


def _password_hash(password: str) -> str:
    """:func:`access.passwords.hash_password`, its refusal (too short or long) a UserError."""
    try:
        return hash_password(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _now() -> datetime:
    """Now as a naive UTC timestamp (the schema's convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _has_table(conn: sa.Connection, table: sa.Table) -> bool:
    return sa.inspect(conn).has_table(table.name)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(
            _("Unknown role '{role}': use one of {roles}.").format(
                role=role, roles=", ".join(ROLES)
            )
        )


def _locked(conn: sa.Connection, stmt: sa.Select[Any]) -> sa.Select[Any]:
    """``stmt`` locking its rows until the transaction ends, where the database can (servers;
    the embedded ones write one transaction at a time, see ``_WRITES``).
    """
    return stmt.with_for_update() if conn.dialect.name in ("postgresql", "mysql") else stmt


def _user_row(conn: sa.Connection, email: str, lock: bool = False) -> sa.Row[Any] | None:
    """The ``app_users`` row of the normalised ``email`` (None also when the table is absent)."""
    if not _has_table(conn, APP_USERS):
        return None
    stmt = sa.select(APP_USERS).where(APP_USERS.c.email == email)
    return conn.execute(_locked(conn, stmt) if lock else stmt).first()


def _require_user(conn: sa.Connection, email: str) -> sa.Row[Any]:
    """The (locked) ``app_users`` row of an existing user, else UserError."""
    key = normalize_email(email)
    user = _user_row(conn, key, lock=True)
    if user is None:
        raise UserError(
            _(
                "There is no app user {email}: `python -m appdb users list` shows the users, "
                "`users add` creates one."
            ).format(email=key)
        )
    return user


def _require_admin(conn: sa.Connection, actor: Identity) -> None:
    """Refuse unless ``actor`` is an admin; one with an ``app_users`` row (signed in with it)
    must still be an enabled admin there, so a demoted admin's open session changes nothing.
    """
    if not can_manage_users(actor.role):
        raise UserError(_("Only an admin can manage users."))
    row = _user_row(conn, normalize_email(actor.email))
    if row is not None and not (row.active and can_manage_users(row.role)):
        raise UserError(
            _(
                "Only an admin can manage users, and your account is no longer an enabled admin: "
                "log in again."
            )
        )


def _keep_an_admin(conn: sa.Connection, user: sa.Row[Any], actor: Identity, what: str) -> None:
    """Refuse to ``what`` (disable, demote, remove) ``user`` if that is the actor themself or
    the last enabled admin; the enabled admins stay locked until the transaction ends.
    """
    if not (user.active and user.role == Role.ADMIN):
        return
    if user.email == normalize_email(actor.email):
        raise UserError(_(_NOT_YOURSELF[what]))
    stmt = sa.select(APP_USERS.c.email).where(APP_USERS.c.role == Role.ADMIN, APP_USERS.c.active)
    admins = conn.execute(_locked(conn, stmt)).scalars().all()
    if len(admins) <= 1:
        raise UserError(_(_LAST_ADMIN[what]).format(email=user.email))


def _employee(conn: sa.Connection, *conditions: sa.ColumnElement[bool]) -> sa.Row[Any] | None:
    """The first employee (lowest id) meeting ``conditions``; None when the table is absent."""
    if not _has_table(conn, EMPLOYEES):
        return None
    stmt = sa.select(EMPLOYEES).where(*conditions).order_by(EMPLOYEES.c.id).limit(1)
    return conn.execute(stmt).first()


def _headed_team(conn: sa.Connection, employee_id: int) -> int | None:
    """The team ``employee_id`` heads (``teams.head_id``; the lowest id if several), or None."""
    if not _has_table(conn, TEAMS):
        return None
    stmt = sa.select(sa.func.min(TEAMS.c.id)).where(TEAMS.c.head_id == employee_id)
    headed = conn.execute(stmt).scalar()
    return None if headed is None else int(headed)


def _identity(
    conn: sa.Connection, email: str, role: str, employee: sa.Row[Any] | None, name: str
) -> Identity:
    """The identity of ``role`` linked to ``employee``: the one rule of who may hold a role.

    Applied when a user is added or changed (CLI and Users page), at every sign-in and in the
    admin's preview (:data:`access.roles.ROLE_NEEDS`):

    * ``rep``: needs an employee; the scope's team is the employee's own team;
    * ``head``: needs an employee who heads a team (``teams.head_id``), the scope's team (the
      lowest id if several);
    * ``exec``, ``analyst``, ``admin``: an employee is optional (their own team is kept).

    Raises
    ------
    UserError
        On an unknown role, a rep or head without an employee, a head who heads no team.
    """
    _check_role(role)
    if employee is None:
        if needs_employee(role):
            raise UserError(
                _(
                    "A {role} must be linked to an employee: pick one (on the command line "
                    "`--employee` takes an id, a name or an e-mail; `python -m appdb employees` "
                    "lists them)."
                ).format(role=_job_word(role))
            )
        return Identity(email, name, role, None, None)
    if not needs_headed_team(role):
        own_team = None if employee.team_id is None else int(employee.team_id)
        return Identity(email, name, role, int(employee.id), own_team)
    headed = _headed_team(conn, int(employee.id))
    if headed is None:
        raise UserError(
            _(
                "{name} (employee {id}) heads no team, so they cannot be a head: make them a "
                "team's head (teams.head_id) or choose another role, e.g. rep."
            ).format(name=employee.name, id=employee.id)
        )
    return Identity(email, name, role, int(employee.id), headed)


def _employee_by_id(conn: sa.Connection, employee_id: int) -> sa.Row[Any]:
    employee = _employee(conn, EMPLOYEES.c.id == employee_id)
    if employee is None:
        raise UserError(
            _("There is no employee with id {id}: check the id in the employees table.").format(
                id=employee_id
            )
        )
    return employee


def _check_link(conn: sa.Connection, email: str, role: str, employee_id: int | None) -> None:
    """Refuse ``role`` with ``employee_id`` unless :func:`_identity`'s rule holds; without an
    ``employees`` table an id cannot be checked (it must still be given for a rep or head).
    """
    if _has_table(conn, EMPLOYEES):
        employee = None if employee_id is None else _employee_by_id(conn, employee_id)
        _identity(conn, email, role, employee, email)
    elif employee_id is None:
        _identity(conn, email, role, None, email)


# ---- account management ---------------------------------------------------------------------


def _check_name(name: str | None) -> None:
    if name is not None and len(name) > NAME_LENGTH:
        raise UserError(
            ngettext(
                "The display name is too long: use at most {n} character.",
                "The display name is too long: use at most {n} characters.",
                NAME_LENGTH,
            ).format(n=format_count(NAME_LENGTH))
        )


@contextmanager
def _admin_transaction(app: sa.Engine, actor: Identity) -> Iterator[sa.Connection]:
    """A transaction of the app database by ``actor``, checked to be an admin, one
    user-management write at a time in this process (the servers also lock the rows read with
    ``_locked``).
    """
    with _WRITES, app.begin() as conn:
        _require_admin(conn, actor)
        yield conn


def add_user(
    databases: Databases,
    email: str,
    role: str,
    *,
    actor: Identity,
    name: str | None = None,
    employee_id: int | None = None,
    password: str | None = None,
) -> None:
    """Create an enabled dashboard user.

    Parameters
    ----------
    databases : Databases
        The app database (written) and the CRM database (its employees and teams).
    email : str
        The sign-in email (stored stripped and lower-cased).
    role : str
        One of :data:`access.roles.ROLES`.
    actor : Identity
        Who adds the user: an admin (:data:`COMMAND_LINE` on the command line).
    name : str, optional
        Display name (default: the employee's name, else the email).
    employee_id : int, optional
        The linked employee, as :data:`access.roles.ROLE_NEEDS` says: required for a rep, an
        employee who heads a team for a head (checked when the ``employees`` table exists).
    password : str, optional
        For ``password`` mode; None for users who sign in through OIDC only.

    Raises
    ------
    UserError
        If the actor is no admin; on an unknown role, a malformed email, a missing or unknown
        employee, a head who heads no team, a too short or too long password or name, or an
        email that is already registered.
    """
    key = normalize_email(email)[: EMAIL_LENGTH + 1]
    with _admin_transaction(databases.app, actor) as conn, databases.crm.connect() as crm:
        _check_role(role)
        if len(key) > EMAIL_LENGTH or not _EMAIL.fullmatch(key):
            shown = key if len(key) <= 80 else f"{key[:80]}…"
            raise UserError(
                _(
                    "'{email}' does not look like an email address (name@example.com): check it."
                ).format(email=shown)
            )
        _check_name(name)
        _check_link(crm, key, role, employee_id)
        exists = _(
            "The user {email} already exists: change it (`users set-role`, `set-password`) or "
            "remove it first (`users remove {email}`)."
        ).format(email=key)
        if _user_row(conn, key) is not None:
            raise UserError(exists)
        now = _now()
        values = {
            "email": key,
            "name": name or None,
            "role": role,
            "employee_id": employee_id,
            "password_hash": None if password is None else _password_hash(password),
            "active": True,
            "created_at": now,
            "updated_at": now,
            # random, so that a user added again under a reused id gets none of the old logins
            "session_version": secrets.randbelow(2**30),
        }
        try:
            conn.execute(APP_USERS.insert().values(**values))
        except sa.exc.IntegrityError:  # added concurrently
            raise UserError(exists) from None


def _set(conn: sa.Connection, email: str, **values: Any) -> None:
    """Set ``values`` (and ``updated_at``) on the user ``email`` (normalised)."""
    stmt = APP_USERS.update().where(APP_USERS.c.email == email)
    conn.execute(stmt.values(**values, updated_at=_now()))


def _update(app: sa.Engine, email: str, **values: Any) -> None:
    """Set ``values`` (and ``updated_at``) on an existing user (no actor: for sign-in)."""
    with app.begin() as conn:
        _set(conn, _require_user(conn, email).email, **values)


def set_password(databases: Databases, email: str, password: str, *, actor: Identity) -> None:
    """Replace a user's password (argon2id hash) and end their logins (:func:`revoke_sessions`);
    ``actor`` must be an admin.

    Raises
    ------
    UserError
        If the actor is no admin, on an unknown email or a password shorter than
        :data:`~access.passwords.MIN_PASSWORD_LENGTH` or longer than
        :data:`~access.passwords.MAX_PASSWORD_LENGTH`.
    """
    with _admin_transaction(databases.app, actor) as conn:
        user = _require_user(conn, email)
        password_hash = _password_hash(password)
        _set(conn, user.email, password_hash=password_hash, session_version=_NEXT_SESSION_VERSION)


def set_active(databases: Databases, email: str, active: bool, *, actor: Identity) -> None:
    """Enable or disable a user (a disabled one can neither sign in nor resolve, and their
    logins end: :func:`revoke_sessions`).

    ``actor`` must be an admin; nobody disables themself or the last enabled admin.

    Raises
    ------
    UserError
        If the actor is no admin, on an unknown email, or when that would disable the actor
        or the last enabled admin.
    """
    with _admin_transaction(databases.app, actor) as conn:
        user = _require_user(conn, email)
        if active:
            _set(conn, user.email, active=True)
        else:
            _keep_an_admin(conn, user, actor, "disable")
            _set(conn, user.email, active=False, session_version=_NEXT_SESSION_VERSION)


def set_role(
    databases: Databases,
    email: str,
    role: str,
    *,
    actor: Identity,
    employee_id: int | None = None,
) -> None:
    """Give a user a new role and linked employee (both at once: the rule ties them).

    ``actor`` must be an admin; nobody demotes themself or the last enabled admin.

    Raises
    ------
    UserError
        If the actor is no admin, on an unknown email or role, when
        :data:`~access.roles.ROLE_NEEDS` is not met (see :func:`add_user`), or when that would
        demote the actor or the last enabled admin.
    """
    with _admin_transaction(databases.app, actor) as conn, databases.crm.connect() as crm:
        user = _require_user(conn, email)
        _check_link(crm, user.email, role, employee_id)
        if role != Role.ADMIN:
            _keep_an_admin(conn, user, actor, "demote")
        _set(conn, user.email, role=role, employee_id=employee_id)


def revoke_sessions(databases: Databases, email: str, *, actor: Identity) -> None:
    """Log a user out everywhere: their login cookies stop working at once, and their open
    sessions end at the next re-check (``ui.session``).

    ``actor`` is an admin, or the user themself ("Log out everywhere").

    Raises
    ------
    UserError
        If the actor is neither, or on an unknown email.
    """
    with _WRITES, databases.app.begin() as conn:
        user = _require_user(conn, email)
        if normalize_email(actor.email) != user.email:
            _require_admin(conn, actor)
        _set(conn, user.email, session_version=_NEXT_SESSION_VERSION)


def remove_user(databases: Databases, email: str, *, actor: Identity) -> None:
    """Delete a user; ``actor`` must be an admin, and nobody removes themself or the last
    enabled admin.

    Raises
    ------
    UserError
        If the actor is no admin, on an unknown email, or when that would remove the actor or
        the last enabled admin.
    """
    with _admin_transaction(databases.app, actor) as conn:
        user = _require_user(conn, email)
        _keep_an_admin(conn, user, actor, "remove")
        conn.execute(APP_USERS.delete().where(APP_USERS.c.email == user.email))


def _listed_user(crm: sa.Connection, user: sa.Row[Any], teams: dict[int, str]) -> dict[str, Any]:
    """One row of :func:`list_users`: the user with employee, scope team and sign-in problem
    (the employee and team read on ``crm``).
    """
    row: dict[str, Any] = {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "employee_id": user.employee_id,
        "employee": None,
        "team": None,
        "has_password": user.password_hash is not None,
        "active": bool(user.active),
        "problem": None,
    }
    employee = None
    if user.employee_id is not None:
        employee = _employee(crm, EMPLOYEES.c.id == user.employee_id)
        if employee is None and needs_employee(user.role):
            row["problem"] = _("There is no employee {id} (any more): pick another.").format(
                id=user.employee_id
            )
            return row
        row["employee"] = None if employee is None else employee.name
    try:
        identity = _identity(crm, user.email, user.role, employee, user.email)
    except UserError as exc:
        row["problem"] = str(exc)
    else:
        row["team"] = teams.get(identity.team_id) if identity.team_id is not None else None
    return row


def list_users(databases: Databases, *, actor: Identity) -> pd.DataFrame:
    """Every user, ordered by email, without password hashes; ``actor`` must be an admin.

    Returns
    -------
    DataFrame
        ``email`` str, ``name`` str, ``role`` str, ``employee_id`` Int64, ``employee`` str
        (the employee's name), ``team`` str (the team of the user's scope, see
        :data:`~access.roles.ROLE_NEEDS`), ``has_password`` bool, ``active`` bool, ``problem``
        str (why the user cannot sign in, e.g. a head who heads no team; NA if they can); empty
        (same columns) when there is no ``app_users`` table.

    Raises
    ------
    UserError
        If the actor is no admin.
    """
    with databases.app.connect() as conn:
        _require_admin(conn, actor)
        if not _has_table(conn, APP_USERS):
            return empty_frame(_LIST_KINDS)
        users = conn.execute(sa.select(APP_USERS).order_by(APP_USERS.c.email)).all()
    with databases.crm.connect() as crm:
        teams: dict[int, str] = {}
        if _has_table(crm, TEAMS):
            teams = dict(crm.execute(sa.select(TEAMS.c.id, TEAMS.c.name)).all())
        rows = [_listed_user(crm, user, teams) for user in users]
    if not rows:
        return empty_frame(_LIST_KINDS)
    return coerce_frame(pd.DataFrame(rows, dtype=object), _LIST_KINDS)


# ---- employees ------------------------------------------------------------------------------

_EMPLOYEE_KINDS: dict[str, Kind] = {
    "employee_id": "int",
    "name": "str",
    "email": "str",
    "role": "str",
    "team_id": "Int",
    "team": "str",
    "heads": "str",
    "hired_at": "datetime",
    "left_at": "datetime",
}
_LOOKUP_LENGTH = EMAIL_LENGTH


def list_employees(
    crm: sa.Engine, *, role: str | None = None, team: str | None = None
) -> pd.DataFrame:
    """The employees, to link users to (UNSCOPED: for admins and the command line).

    Parameters
    ----------
    crm : sa.Engine
        The CRM database.
    role : str, optional
        Only employees with this ``employees.role`` (any case).
    team : str, optional
        Only the members and the head of this team, given by name (any case) or id.

    Returns
    -------
    DataFrame
        ``employee_id`` int, ``name`` str, ``email`` str, ``role`` str, ``team_id`` Int64,
        ``team`` str (their own team), ``heads`` str (the team they head, NA if none),
        ``hired_at`` and ``left_at`` datetime64 (NaT while employed); ordered by name, then id.

    Raises
    ------
    UserError
        Without an employees table, or for a team that does not exist.
    """
    with crm.connect() as conn:
        if not (_has_table(conn, EMPLOYEES) and _has_table(conn, TEAMS)):
            raise UserError(
                _(
                    "This database has no employees table: seed the demo company "
                    "(`python -m crm_data seed`) or load the CRM data first."
                )
            )
        staff = people(conn)
        teams = dict(conn.execute(sa.select(TEAMS.c.id, TEAMS.c.name)).all())
        hired = dict(conn.execute(sa.select(EMPLOYEES.c.id, EMPLOYEES.c.hired_at)).all())
    staff["heads"] = staff["heads_team_id"].map(teams, na_action="ignore")
    staff["hired_at"] = staff["employee_id"].map(hired)
    if role is not None:
        staff = staff[staff["role"].str.lower() == role.strip().lower()]
    if team is not None:
        wanted = team.strip().lower()
        ids = [i for i, n in teams.items() if str(i) == wanted or str(n).lower() == wanted]
        if not ids:
            names = ", ".join(sorted(str(n) for n in teams.values())) or _("none")
            raise UserError(
                _("There is no team '{team}': the teams are {names}.").format(
                    team=team.strip()[:100], names=names
                )
            )
        staff = staff[staff["team_id"].isin(ids) | staff["heads_team_id"].isin(ids)]
    return coerce_frame(staff[list(_EMPLOYEE_KINDS)].reset_index(drop=True), _EMPLOYEE_KINDS)


def employee_label(employee: Mapping[Any, Any]) -> str:
    """An employee in words, e.g. ``Bob Brown (id 11, rep, North, e11@example.com)``, with
    the team they head and the day they left, if any (a row of :func:`list_employees`), in the
    language in force.
    """
    parts = [f"id {employee['employee_id']}", _job_word(employee["role"])]
    if pd.notna(employee["team"]):
        parts.append(str(employee["team"]))
    if pd.notna(employee["heads"]):
        parts.append(_("heads {team}").format(team=employee["heads"]))
    parts.append(str(employee["email"]))
    if pd.notna(employee["left_at"]):
        parts.append(_("left {day}").format(day=format_day(employee["left_at"])))
    return f"{employee['name']} ({', '.join(parts)})"


def find_employee(crm: sa.Engine, text: str) -> int:
    """The id of the employee ``text`` names (in the CRM database ``crm``): an id, an e-mail or
    a full name (any case).

    An id is returned as it is (:func:`add_user` and :func:`set_role` check it).

    Raises
    ------
    UserError
        When no employee matches (similar names are suggested), or a name is ambiguous (the
        candidates are listed, to be picked by id or e-mail).
    """
    wanted = " ".join(text.split())[:_LOOKUP_LENGTH]
    if wanted.isascii() and wanted.isdigit() and len(wanted) <= 18:  # fits a BIGINT
        return int(wanted)
    staff = list_employees(crm)
    if "@" in wanted:
        match = staff[staff["email"].str.lower() == wanted.lower()]
        none = _("No employee has the e-mail {email}: `python -m appdb employees` lists them.")
        several = ngettext(
            "{n} employee has the e-mail {email}: {listed}. Give the id or the e-mail instead.",
            "{n} employees have the e-mail {email}: {listed}. Give the id or the e-mail instead.",
            len(match),
        )
    else:
        names = staff["name"].fillna("").map(lambda n: " ".join(n.split()).lower())
        match = staff[names == wanted.lower()]
        none = _("No employee is named '{name}': `python -m appdb employees` lists them.")
        several = ngettext(
            "{n} employee is named '{name}': {listed}. Give the id or the e-mail instead.",
            "{n} employees are named '{name}': {listed}. Give the id or the e-mail instead.",
            len(match),
        )
        similar = staff[names.str.contains(wanted.lower(), regex=False)]
        if match.empty and not similar.empty:
            listed = "; ".join(map(employee_label, similar.head(10).to_dict("records")))
            raise UserError(
                _("No employee is named '{name}'. Did you mean: {listed}?").format(
                    name=wanted, listed=listed
                )
            )
    if match.empty:
        raise UserError(none.format(email=wanted, name=wanted))
    if len(match) > 1:
        listed = "; ".join(map(employee_label, match.to_dict("records")))
        raise UserError(
            several.format(n=format_count(len(match)), email=wanted, name=wanted, listed=listed)
        )
    return int(match["employee_id"].iloc[0])


# ---- signing in -----------------------------------------------------------------------------


def _user_identity(
    crm: sa.Connection, user: sa.Row[Any], name: str | None, claimed: tuple[str, ...] = ()
) -> Identity | None:
    """The identity of an ``app_users`` row, its role lowered by ``claimed`` (see
    :func:`~access.claims.lowered_role`), its employee and team read on ``crm``; None when that
    role cannot be scoped.
    """
    employee = (
        None if user.employee_id is None else _employee(crm, EMPLOYEES.c.id == user.employee_id)
    )
    display = user.name or (employee.name if employee is not None else None) or name or user.email
    try:
        return _identity(crm, user.email, lowered_role(user.role, claimed), employee, display)
    except UserError:
        return None


def authenticate(databases: Databases, email: str, password: str) -> Identity | None:
    """The identity of an active user whose password verifies, else None (``password`` mode).

    Unknown, disabled and password-less users still cost one hash verification, so response
    times do not reveal which emails exist; an e-mail or password too long for any account
    (:func:`access.passwords.credentials_problem`) costs none.  A hash made with outdated
    parameters is replaced by a fresh one after a successful check.
    """
    if credentials_problem(email, password) is not None:
        return None
    key = normalize_email(email)
    with databases.app.connect() as conn:
        user = _user_row(conn, key)
    if user is None or not user.active or user.password_hash is None:
        verify_password(dummy_hash(), password)  # as long as a real check
        return None
    if not verify_password(user.password_hash, password):
        return None
    with databases.crm.connect() as crm:
        identity = _user_identity(crm, user, None)
    if identity is not None and needs_rehash(user.password_hash):
        _update(databases.app, key, password_hash=hash_password(password))
    return identity


def resolve_identity(
    databases: Databases,
    email: str,
    *,
    name: str | None = None,
    claim_roles: Iterable[str] | str = (),
    allowed_claims: Iterable[str] = (),
) -> Identity | None:
    """Map a verified sign-in e-mail (``oidc`` mode) to an identity, or None (access denied).

    The role comes from the database; role claims of the ID token count only when the caller
    passes them with an allowlist (``[crm_auth] role_claims``, checked against the pinned
    issuer by ``ui.auth``), and then only claimed roles in ``allowed_claims``.  A claim can
    lower a role (:mod:`access.claims`), never raise it.  The first rule that applies
    decides:

    1. an ``app_users`` row with this e-mail: its role, lowered by a claim, and its employee
       (a disabled row denies);
    2. an employee with this e-mail, role rep/head/exec/analyst and no ``left_at``: the
       employee's role, lowered by a claim;
    3. any other employee with this e-mail (a service agent, a leaver): denied, whatever
       the claims say;
    4. nobody with this e-mail: the first claimed role that is exec or analyst
       (:data:`~access.claims.CLAIM_ONLY_ROLES`), without an employee; never admin;
    5. otherwise None.

    A rep or head whose employee cannot be found, or a head who heads no team (also when a
    claim lowers someone to one of these), gives None.  The name is ``app_users.name``, else
    the employee's name, else ``name``, else the e-mail.

    Parameters
    ----------
    databases : Databases
        The app database (its users) and the CRM database (its employees and teams).
    email : str
        The e-mail the identity provider verified (any case).
    name : str, optional
        The provider's display name.
    claim_roles : iterable of str or str
        Role claims of the ID token (matched stripped and case-insensitively; a string may
        hold several, separated by commas).
    allowed_claims : iterable of str
        The roles a claim may name (``[crm_auth] allowed_roles``); empty: claims are ignored.
    """
    key = normalize_email(email)
    claimed = claimed_roles(claim_roles, allowed_claims)
    with databases.app.connect() as app:
        user = _user_row(app, key)
    with databases.crm.connect() as conn:
        if user is not None:
            return _user_identity(conn, user, name, claimed) if user.active else None
        same_email = sa.func.lower(EMPLOYEES.c.email) == key
        employee = _employee(
            conn,
            same_email,
            EMPLOYEES.c.role.in_(EMPLOYEE_LOGIN_ROLES),
            EMPLOYEES.c.left_at.is_(None),
        )
        if employee is not None:
            role = lowered_role(employee.role, claimed)
            try:
                return _identity(conn, key, role, employee, employee.name or name or key)
            except UserError:
                return None
        if _employee(conn, same_email) is not None:
            return None
    claimed_role = claim_only_role(claimed)
    if claimed_role is None:
        return None
    return Identity(key, name or key, claimed_role, None, None)


def identity_for_employee(crm: sa.Engine, employee_id: int, role: str) -> Identity:
    """The identity of ``employee_id`` acting as ``role`` (the admin's "view as" preview), read
    in the CRM database ``crm``.

    Raises
    ------
    UserError
        If the role is unknown, the employee does not exist, or a head has no team.
    """
    with crm.connect() as conn:
        employee = _employee_by_id(conn, employee_id)
        email = normalize_email(employee.email or "")
        return _identity(conn, email, role, employee, employee.name or email)
