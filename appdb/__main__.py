"""Command line of the app database: ``python -m appdb users|employees|demo-plans|upgrade``.

Examples
--------
``python -m appdb users add ann@example.com --role exec --password-stdin < password.txt``
``python -m appdb users add bo@example.com --role rep --employee "Bo Berg"``
``python -m appdb users list --app-url postgresql+psycopg://app@db/crm_app``
``python -m appdb employees --role head``
``python -m appdb demo-plans`` (the demo's incentive plans, after ``python -m crm_data seed``)
``python -m appdb upgrade`` (the app database's tables at their latest revision)

The users are in the app database (``--app-url``, default ``CRM_APP_DATABASE_URL``, secrets,
SQLite ``data/app.sqlite``), which every command brings to the latest revision first; the
employees they are linked to are read from the CRM database (``--url``, as for
``python -m crm_data``).  Whoever runs the command line holds the database URLs: the ``users``
actions run as an admin (:data:`appdb.users.COMMAND_LINE`), under the same rules as the app's
Users page.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pandas as pd
import sqlalchemy as sa

from access.roles import ROLE_NEEDS, ROLES
from appdb import open_app_database, upgrade
from appdb.config import create_app_engine
from appdb.databases import Databases
from appdb.migrate import current_revision
from crm_data.__main__ import URL_HELP, missing_file, run_command
from crm_data.config import (
    check_connection,
    create_crm_engine,
    embedded_path,
    resolve_url,
    statement_failed,
)

APP_URL_HELP = "SQLAlchemy URL of the app database (default: CRM_APP_DATABASE_URL, secrets, SQLite)"
#: ``employees`` output: column of ``list_employees`` -> printed name
EMPLOYEE_COLUMNS = {
    "employee_id": "id",
    "name": "name",
    "email": "email",
    "role": "role",
    "team": "team",
    "heads": "heads",
    "hired_at": "hired",
    "left_at": "left",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m appdb", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    users = sub.add_parser("users", help="dashboard users: roles, passwords, enable/disable")
    _users_parser(users.add_subparsers(dest="action", required=True))
    employees = sub.add_parser("employees", help="the employees users can be linked to")
    employees.add_argument("--url", help=URL_HELP)
    employees.add_argument("--role", help="only this employees.role (e.g. rep, head)")
    employees.add_argument("--team", help="only this team's members and head (name or id)")
    employees.add_argument("--json", action="store_true", help="print JSON instead of text")
    demo = sub.add_parser("demo-plans", help="the demo's incentive plans for its last quarter")
    demo.add_argument("--url", help=URL_HELP)
    demo.add_argument("--app-url", help=APP_URL_HELP)
    upgrade = sub.add_parser("upgrade", help="bring the app database to its latest revision")
    upgrade.add_argument("--app-url", help=APP_URL_HELP)
    return parser


def _users_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``users`` actions; each takes ``--url`` and ``--app-url``, most an ``email``."""

    def action(name: str, help: str, email: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help)
        if email:
            parser.add_argument("email")
        parser.add_argument("--url", help=URL_HELP)
        parser.add_argument("--app-url", help=APP_URL_HELP)
        return parser

    stdin_help = "read the password from the first line of stdin"
    role_help = "; ".join(f"{role} needs {needs}" for role, needs in ROLE_NEEDS.items())
    employee_help = "the employee: an id, an e-mail or a full name (`employees` lists them)"
    add = action("add", "add a user (without --password-stdin: no password, for OIDC)")
    add.add_argument("--role", required=True, choices=ROLES, help=role_help)
    add.add_argument("--employee", help=employee_help)
    add.add_argument("--name", help="display name (default: the employee's name)")
    add.add_argument("--password-stdin", action="store_true", help=stdin_help)
    listing = action("list", "list the users (never the password hashes)", email=False)
    listing.add_argument("--json", action="store_true", help="print JSON instead of text")
    action("remove", "delete a user")
    set_password = action("set-password", "set a password (prompted twice unless from stdin)")
    set_password.add_argument("--password-stdin", action="store_true", help=stdin_help)
    action("disable", "forbid a user to sign in (the account is kept)")
    action("enable", "allow a disabled user to sign in again")
    set_role = action("set-role", "change a user's role and employee (both at once)")
    set_role.add_argument("--role", required=True, choices=ROLES, help=role_help)
    set_role.add_argument("--employee", help=employee_help)


def _read_password(from_stdin: bool) -> str:
    """The first line of stdin, or a password typed twice at a hidden prompt."""
    from appdb.users import UserError

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != password:
        raise UserError("The two passwords differ; nothing was changed. Run the command again.")
    return password


def table_text(frame: pd.DataFrame, as_json: bool, empty: str) -> str:
    """``frame`` as JSON records, else as text (blank for missing values)."""
    if as_json:
        return frame.to_json(orient="records", indent=2)
    if frame.empty:
        return empty
    return frame.astype(object).fillna("").to_string(index=False)


def _employee_id(crm: sa.Engine, employee: str | None) -> int | None:
    """The id of the employee ``--employee`` names (an id, an e-mail or a name), if given."""
    from appdb.users import find_employee

    return None if employee is None else find_employee(crm, employee)


def _users_action(databases: Databases, args: argparse.Namespace) -> str:
    """Carry out one ``users`` action; returns the line to print."""
    from appdb import users

    actor = users.COMMAND_LINE
    who = getattr(args, "email", "").strip().lower()
    if args.action == "add":
        password = _read_password(True) if args.password_stdin else None
        users.add_user(
            databases,
            args.email,
            args.role,
            actor=actor,
            name=args.name,
            employee_id=_employee_id(databases.crm, args.employee),
            password=password,
        )
        return f"Added user {who} ({args.role})."
    if args.action == "list":
        empty = (
            "No dashboard users yet; add one with `python -m appdb users add EMAIL --role ROLE`."
        )
        return table_text(users.list_users(databases, actor=actor), args.json, empty)
    if args.action == "set-password":
        users.set_password(databases, args.email, _read_password(args.password_stdin), actor=actor)
        return f"Password set for {who}."
    if args.action == "set-role":
        employee_id = _employee_id(databases.crm, args.employee)
        users.set_role(databases, args.email, args.role, employee_id=employee_id, actor=actor)
        return f"User {who} is now {args.role}."
    if args.action == "remove":
        users.remove_user(databases, args.email, actor=actor)
        return f"Removed user {who}."
    users.set_active(databases, args.email, args.action == "enable", actor=actor)
    return f"{args.action.capitalize()}d user {who}."


@contextmanager
def _databases(args: argparse.Namespace, url: str) -> Iterator[Databases]:
    """The app database of ``args.app_url`` (at the latest revision) and the CRM database of
    ``url``, which is only read (the app and notebooks may read a DuckDB file meanwhile);
    a database error becomes the data layer's error, saying what failed.
    """
    path = embedded_path(url)
    crm = create_crm_engine(url, read_only=path is None or path.exists())
    check_connection(crm)
    app = create_app_engine(args.app_url)
    check_connection(app)
    try:
        open_app_database(app, crm)
        yield Databases(app=app, crm=crm)
    except sa.exc.DBAPIError as exc:
        raise statement_failed(exc, app) from None
    finally:
        app.dispose()
        crm.dispose()


def _users(args: argparse.Namespace) -> int:
    url = resolve_url(args.url)
    if args.action != "add" and missing_file(url):  # adding may start a new database file
        return 2
    with _databases(args, url) as databases:
        print(_users_action(databases, args))
    return 0


def _demo_plans(args: argparse.Namespace) -> int:
    from appdb.demo_plans import ensure_demo_plans

    url = resolve_url(args.url)
    if missing_file(url):
        return 2
    with _databases(args, url) as databases:
        saved = ensure_demo_plans(databases)
    if saved is None:
        print(
            "The CRM database was not made by the demo generator: no demo plan was saved. "
            "Create plans on the Incentives page."
        )
    elif saved:
        print(f"Saved {saved} demo incentive plan{'s' if saved > 1 else ''}.")
    else:
        print("Every team has its demo incentive plan already: nothing was saved.")
    return 0


def _employees(args: argparse.Namespace) -> int:
    from appdb.users import list_employees

    url = resolve_url(args.url)
    if missing_file(url):
        return 2
    engine = create_crm_engine(url, read_only=True)
    check_connection(engine)
    try:
        staff = list_employees(engine, role=args.role, team=args.team)
    except sa.exc.DBAPIError as exc:
        raise statement_failed(exc, engine) from None
    staff = staff[list(EMPLOYEE_COLUMNS)].rename(columns=EMPLOYEE_COLUMNS)
    for column in ("hired", "left"):  # dates without a time of day
        staff[column] = staff[column].dt.strftime("%Y-%m-%d")
    print(table_text(staff, args.json, "No employee matches."))
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    """Create or upgrade the app database's tables (what the app does when it starts)."""
    app = create_app_engine(args.app_url)
    check_connection(app)
    try:
        upgrade(app)
        print(f"The app database is at revision {current_revision(app)}.")
    except sa.exc.DBAPIError as exc:
        raise statement_failed(exc, app) from None
    finally:
        app.dispose()
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "users": _users,
    "employees": _employees,
    "demo-plans": _demo_plans,
    "upgrade": _upgrade,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 on a data-layer error, with its message)."""
    return run_command(_parser(), COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
