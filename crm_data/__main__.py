"""Command line: ``python -m crm_data seed|info|users|employees``.

Examples
--------
``python -m crm_data seed --size M --url duckdb:///tmp/m.duckdb``
``python -m crm_data info --url duckdb:///tmp/m.duckdb --json``
``python -m crm_data users add ann@example.com --role exec --password-stdin < password.txt``
``python -m crm_data users add bo@example.com --role rep --employee "Bo Berg"``
``python -m crm_data employees --role head``

Whoever runs the command line holds the database URL: the ``users`` actions run as an admin
(:data:`crm_data.users.COMMAND_LINE`), under the same rules as the app's Users page.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence

import pandas as pd
import sqlalchemy as sa

from access.roles import ROLE_NEEDS, ROLES
from crm_data.config import (
    check_connection,
    create_crm_engine,
    embedded_path,
    mask_url,
    resolve_url,
    statement_failed,
)
from crm_data.errors import CrmDataError

URL_HELP = "SQLAlchemy URL (default: CRM_DATABASE_URL, secrets, DuckDB)"
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
    parser = argparse.ArgumentParser(prog="python -m crm_data", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="fill the database with a deterministic demo company")
    seed.add_argument("--size", choices=("XS", "S", "M", "L"), default="S", type=str.upper)
    seed.add_argument("--url", help=URL_HELP)
    seed.add_argument("--seed", type=int, default=42, help="random seed (same seed, same data)")
    seed.add_argument(
        "--force",
        action="store_true",
        help="delete rows the demo generator did not make without asking (else: asked at a "
        "terminal, refused otherwise)",
    )
    seed.add_argument("--quiet", action="store_true", help="no progress bar")

    info = sub.add_parser("info", help="dialect, masked URL, row counts and date ranges")
    info.add_argument("--url", help=URL_HELP)
    info.add_argument("--json", action="store_true", help="print JSON instead of text")

    users = sub.add_parser("users", help="dashboard users: roles, passwords, enable/disable")
    _users_parser(users.add_subparsers(dest="action", required=True))

    employees = sub.add_parser("employees", help="the employees users can be linked to")
    employees.add_argument("--url", help=URL_HELP)
    employees.add_argument("--role", help="only this employees.role (e.g. rep, head)")
    employees.add_argument("--team", help="only this team's members and head (name or id)")
    employees.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def _users_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``users`` actions; each takes ``--url`` and most an ``email``."""

    def action(name: str, help: str, email: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help)
        if email:
            parser.add_argument("email")
        parser.add_argument("--url", help=URL_HELP)
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


def _ask_to_delete(engine: sa.Engine) -> bool | None:
    """Say what seeding would delete for good and keep, and ask for the database's name;
    whether it was typed (None: nothing would be lost, nothing asked).
    """
    from crm_data.demo.seed import confirmation_word, reseed_check

    check = reseed_check(engine)
    if not check.loses_data:
        return None
    word = confirmation_word(engine.url)
    print(f"{check.losses()}\n{check.kept()}")
    answer = input(f"Type {word} to delete it for good and seed (anything else stops): ")
    return answer.strip() == word


def _seed(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from crm_data.demo import seed_demo

    engine = create_crm_engine(args.url)
    force = args.force
    if not force and sys.stdin.isatty():  # without a terminal, seed_demo refuses and says why
        answer = _ask_to_delete(engine)
        if answer is False:
            print("Nothing was changed.")
            return 1
        force = bool(answer)
    print(f"Seeding demo company size {args.size} (seed {args.seed}) into {mask_url(engine.url)}")
    with tqdm(total=100, unit="%", disable=args.quiet, bar_format="{l_bar}{bar}| {elapsed}") as bar:

        def progress(fraction: float, message: str) -> None:
            bar.set_description(message)
            bar.update(round(100 * fraction) - bar.n)

        report = seed_demo(engine, size=args.size, seed=args.seed, force=force, progress=progress)
    rows = ", ".join(f"{table} {count:,}" for table, count in report.row_counts.items() if count)
    print(f"Done in {report.seconds:.1f} s: {rows}")
    if kept := report.kept_text():
        print(kept)
    return 0


def _missing_file(url: str) -> bool:
    """Report (on stderr) and return whether ``url`` is an embedded database file that is absent."""
    path = embedded_path(url)
    if path is None or path.exists():
        return False
    print(
        f"error: there is no database file at {path}. Create one with "
        f"`python -m crm_data seed --url {mask_url(url)}`, or check the path.",
        file=sys.stderr,
    )
    return True


def _info(args: argparse.Namespace) -> int:
    from crm_data.info import database_info

    url = resolve_url(args.url)
    if _missing_file(url):
        return 2
    engine = create_crm_engine(url)
    info = database_info(engine)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2, default=str))
    else:
        print(info.to_text())
    return 0


def _read_password(from_stdin: bool) -> str:
    """The first line of stdin, or a password typed twice at a hidden prompt."""
    from crm_data.users import UserError

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != password:
        raise UserError("The two passwords differ; nothing was changed. Run the command again.")
    return password


def _table(frame: pd.DataFrame, as_json: bool, empty: str) -> str:
    """``frame`` as JSON records, else as text (blank for missing values)."""
    if as_json:
        return frame.to_json(orient="records", indent=2)
    if frame.empty:
        return empty
    return frame.astype(object).fillna("").to_string(index=False)


def _employee_id(engine: sa.Engine, employee: str | None) -> int | None:
    """The id of the employee ``--employee`` names (an id, an e-mail or a name), if given."""
    from crm_data.users import find_employee

    return None if employee is None else find_employee(engine, employee)


def _users_action(engine: sa.Engine, args: argparse.Namespace) -> str:
    """Carry out one ``users`` action; returns the line to print."""
    from crm_data import users

    actor = users.COMMAND_LINE
    who = getattr(args, "email", "").strip().lower()
    if args.action == "add":
        password = _read_password(True) if args.password_stdin else None
        users.add_user(
            engine,
            args.email,
            args.role,
            actor=actor,
            name=args.name,
            employee_id=_employee_id(engine, args.employee),
            password=password,
        )
        return f"Added user {who} ({args.role})."
    if args.action == "list":
        empty = (
            "No dashboard users yet; add one with `python -m crm_data users add EMAIL --role ROLE`."
        )
        return _table(users.list_users(engine, actor=actor), args.json, empty)
    if args.action == "set-password":
        users.set_password(engine, args.email, _read_password(args.password_stdin), actor=actor)
        return f"Password set for {who}."
    if args.action == "set-role":
        employee_id = _employee_id(engine, args.employee)
        users.set_role(engine, args.email, args.role, employee_id=employee_id, actor=actor)
        return f"User {who} is now {args.role}."
    if args.action == "remove":
        users.remove_user(engine, args.email, actor=actor)
        return f"Removed user {who}."
    users.set_active(engine, args.email, args.action == "enable", actor=actor)
    return f"{args.action.capitalize()}d user {who}."


def _users(args: argparse.Namespace) -> int:
    url = resolve_url(args.url)
    if args.action != "add" and _missing_file(url):  # adding may start a new database file
        return 2
    engine = create_crm_engine(url)
    check_connection(engine)
    try:
        print(_users_action(engine, args))
    except sa.exc.DBAPIError as exc:
        raise statement_failed(exc, engine) from None
    return 0


def _employees(args: argparse.Namespace) -> int:
    from crm_data.users import list_employees

    url = resolve_url(args.url)
    if _missing_file(url):
        return 2
    engine = create_crm_engine(url)
    check_connection(engine)
    try:
        staff = list_employees(engine, role=args.role, team=args.team)
    except sa.exc.DBAPIError as exc:
        raise statement_failed(exc, engine) from None
    staff = staff[list(EMPLOYEE_COLUMNS)].rename(columns=EMPLOYEE_COLUMNS)
    for column in ("hired", "left"):  # dates without a time of day
        staff[column] = staff[column].dt.strftime("%Y-%m-%d")
    print(_table(staff, args.json, "No employee matches."))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "seed": _seed,
    "info": _info,
    "users": _users,
    "employees": _employees,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (2 on a data-layer error, with its message)."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CrmDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
