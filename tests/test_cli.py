"""``python -m crm_data info|seed`` and ``python -m appdb users|employees`` run as a subprocess,
as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from appdb.__main__ import main as app_main
from appdb.config import create_app_engine
from appdb.databases import Databases
from appdb.migrate import head_revision
from appdb.plans import list_plans
from appdb.users import Identity, authenticate
from crm_data.__main__ import DEMO_PLANS_TEXT, main
from crm_data.config import create_crm_engine
from crm_data.demo.seed import KEPT_TEXT
from crm_data.filters import Scope
from tests.support.crm_builder import CrmBuilder
from tests.support.small_crm import EXPECTED, build_small_crm

ROOT = Path(__file__).resolve().parents[1]


def run_cli(
    *args: str, stdin: str | None = None, module: str = "crm_data"
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m <module>`` from the repository root with a clean ``CRM_DATABASE_URL``
    (the app database: the test's own, :func:`own_app_database`)."""
    env = {k: v for k, v in os.environ.items() if k != "CRM_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_info_json_counts(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'tiny.duckdb'}"
    build_small_crm(url)
    done = run_cli("info", "--url", url, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["dialect"] == "duckdb"
    assert data["url"] == url
    rows = {t["name"]: t["rows"] for t in data["tables"]}
    assert rows == {
        **{name: expected[0] for name, expected in EXPECTED.items()},
        "campaign_members": None,
        "quotas": None,
    }
    deals = next(t for t in data["tables"] if t["name"] == "deals")
    assert (deals["min_date"], deals["max_date"]) == ("2023-02-01T08:00:00", "2023-06-30T17:30:00")


def test_read_commands_share_a_duckdb_file_the_app_reads(tmp_path: Path) -> None:
    """Issue #15: with the file open read-only in this process (as the app opens it), the
    command line's read commands and a notebook read it at the same time."""
    url = f"duckdb:///{tmp_path / 'tiny.duckdb'}"
    build_small_crm(url)
    app = create_crm_engine(url, read_only=True)
    notebook = (
        "import sqlalchemy as sa\n"
        f"engine = sa.create_engine({url!r}, connect_args={{'read_only': True}})\n"
        "with engine.connect() as conn:\n"
        "    print(conn.execute(sa.text('SELECT count(*) FROM deals')).scalar_one())\n"
    )
    try:
        with app.connect() as conn:  # held open meanwhile
            assert conn.execute(sa.text("SELECT count(*) FROM deals")).scalar_one() == 5
            info = run_cli("info", "--url", url, "--json")
            assert info.returncode == 0, info.stderr
            rows = {t["name"]: t["rows"] for t in json.loads(info.stdout)["tables"]}
            assert rows["deals"] == 5
            employees = run_app_cli("employees", "--url", url, "--json")
            assert employees.returncode == 0, employees.stderr
            assert len(json.loads(employees.stdout)) == 3
            read = subprocess.run([sys.executable, "-c", notebook], capture_output=True,
                                  text=True, timeout=120, check=False)  # fmt: skip
            assert (read.returncode, read.stdout) == (0, "5\n"), read.stderr
    finally:
        app.dispose()


def test_info_text(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tiny.sqlite'}"
    build_small_crm(url)
    done = run_cli("info", "--url", url)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Database   sqlite  {url}"
    deals = next(line for line in lines if line.startswith("deals "))
    assert deals.split() == ["deals", "5", "2023-02-01", "2023-06-30", "created_at"]


def test_info_unreachable_exits_2_with_masked_url() -> None:
    done = run_cli("info", "--url", "postgresql+psycopg://bob:s3cret@127.0.0.1:1/crm")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: Cannot open the CRM database ")
    assert "postgresql+psycopg://bob:***@127.0.0.1:1/crm" in done.stderr
    assert "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr


def test_seed_refuses_non_demo_data(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'real.duckdb'}"
    build_small_crm(url)
    done = run_cli("seed", "--size", "XS", "--url", url, "--quiet")
    assert done.returncode == 2
    assert "error:" in done.stderr
    assert "--force" in done.stderr or "force" in done.stderr.lower()
    assert "Traceback" not in done.stderr
    after = json.loads(run_cli("info", "--url", url, "--json").stdout)
    assert {t["name"]: t["rows"] for t in after["tables"]}["deals"] == 5  # untouched


def test_seed_xs_then_info(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    seeded = run_cli("seed", "--size", "XS", "--url", url, "--quiet", "--seed", "3")
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.startswith(f"Seeding demo company size XS (seed 3) into {url}")
    done = run_cli("info", "--url", url, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["is_demo"] is True
    rows = {t["name"]: t["rows"] for t in data["tables"]}
    # the seed command reports the same counts it wrote: "Done in 1.2 s: teams 3, ..."
    reported = dict(
        (part.rsplit(" ", 1)[0], int(part.rsplit(" ", 1)[1].replace(",", "")))
        for part in seeded.stdout.splitlines()[-2].split(": ", 1)[1].split(", ")
    )
    assert seeded.stdout.splitlines()[-1] == DEMO_PLANS_TEXT
    for table, count in reported.items():
        if table in rows:
            assert rows[table] == count, table
    assert rows["deals"] == reported["deals"] > 0
    assert all(rows[t] for t in ("accounts", "deals", "activities", "orders"))


def test_info_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "crm.sqlite"
    done = run_cli("info", "--url", f"sqlite:///{target}")
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: there is no database file at {target}.")
    assert "python -m crm_data seed --url" in done.stderr
    assert not target.parent.exists()


def test_info_on_a_garbage_url() -> None:
    done = run_cli("info", "--url", "::nonsense::")
    assert done.returncode == 2
    assert "error: Cannot open the CRM database <unparseable database URL>" in done.stderr
    assert "Traceback" not in done.stderr


# ---- users ----------------------------------------------------------------------------------
# small CRM: team 1 North (no head_id) with head 1 and rep 2, team 2 South with rep 3; employees
# named "Employee <id>", e-mails e<id>@example.com


@pytest.fixture(autouse=True)
def own_app_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's users in an app database of its own (``CRM_APP_DATABASE_URL``)."""
    monkeypatch.setenv("CRM_APP_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")


def run_app_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m appdb`` as :func:`run_cli` runs ``python -m crm_data``."""
    return run_cli(*args, stdin=stdin, module="appdb")


def users_json(url: str) -> list[dict[str, object]]:
    done = run_app_cli("users", "list", "--url", url, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def listed(
    email: str,
    role: str,
    employee: int | None,
    has_password: bool,
    active: bool = True,
    name: str | None = None,
) -> dict[str, object]:
    """A ``users list --json`` record of the small CRM (the scope's team: the employee's)."""
    return {
        "email": email, "name": name, "role": role, "employee_id": employee,
        "employee": None if employee is None else f"Employee {employee}",
        "team": None if employee is None else ("North" if employee in (1, 2) else "South"),
        "has_password": has_password, "active": active, "problem": None,
    }  # fmt: skip


@pytest.mark.slow
def test_users_lifecycle(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_small_crm(url)
    empty = run_app_cli("users", "list", "--url", url)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.startswith("No dashboard users yet; add one with")
    added = run_app_cli(
        "users", "add", " Ann@Example.com", "--role", "analyst", "--employee", "E1@example.com",
        "--name", "Ann Analyst", "--password-stdin", "--url", url,
        stdin="a long password\nsecond line is ignored\n",
    )  # fmt: skip
    assert (added.returncode, added.stdout) == (0, "Added user ann@example.com (analyst).\n")
    oidc = run_app_cli(
        "users", "add", "e2@example.com", "--role", "rep", "--employee", " employee  2", "--url",
        url,
    )  # fmt: skip
    assert oidc.returncode == 0, oidc.stderr
    assert users_json(url) == [
        listed("ann@example.com", "analyst", 1, True, name="Ann Analyst"),
        listed("e2@example.com", "rep", 2, False),
    ]
    engine = Databases(app=create_app_engine(), crm=sa.create_engine(url))
    # only the first line of stdin is the password
    assert authenticate(engine, "ann@example.com", "a long password") == Identity(
        "ann@example.com", "Ann Analyst", "analyst", 1, 1
    )

    steps = [
        (
            ("set-password", "e2@example.com", "--password-stdin"),
            "Password set for e2@example.com.",
        ),
        (("disable", "E2@example.com"), "Disabled user e2@example.com."),
        (("remove", "ann@example.com"), "Removed user ann@example.com."),
    ]
    for args, message in steps:
        done = run_app_cli("users", *args, "--url", url, stdin="another password\n")
        assert (done.returncode, done.stdout, done.stderr) == (0, message + "\n", "")
    assert users_json(url) == [listed("e2@example.com", "rep", 2, True, active=False)]
    assert authenticate(engine, "e2@example.com", "another password") is None  # disabled
    enabled = run_app_cli("users", "enable", "e2@example.com", "--url", url)
    assert enabled.stdout == "Enabled user e2@example.com.\n"
    assert authenticate(engine, "e2@example.com", "another password") == Identity(
        "e2@example.com", "Employee 2", "rep", 2, 1
    )
    text = run_app_cli("users", "list", "--url", url).stdout.splitlines()
    assert text[0].split() == ["email", "name", "role", "employee_id", "employee", "team",
                               "has_password", "active", "problem"]  # fmt: skip
    assert text[1].split() == ["e2@example.com", "rep", "2", "Employee", "2", "North", "True",
                               "True"]  # fmt: skip
    moved = run_app_cli("users", "set-role", "e2@example.com", "--role", "rep", "--employee", "3",
                        "--url", url)  # fmt: skip
    assert (moved.returncode, moved.stdout) == (0, "User e2@example.com is now rep.\n")
    assert authenticate(engine, "e2@example.com", "another password") == Identity(
        "e2@example.com", "Employee 3", "rep", 3, 2
    )


def test_users_add_refuses_a_head_who_heads_no_team(tmp_path: Path) -> None:
    """Employee 1 has the role head but ``teams.head_id`` names nobody: until issue #14 they
    were let in as the head of their own team (the app showed them as "Sales head")."""
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_small_crm(url)
    for employee in ("1", "2"):  # the "head" of no team, a rep
        done = run_app_cli("users", "add", "h@example.com", "--role", "head", "--employee",
                           employee, "--url", url)  # fmt: skip
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == (
            f"error: Employee {employee} (employee {employee}) heads no team, so they cannot be "
            "a head: make them a team's head (teams.head_id) or choose another role, e.g. rep.\n"
        )
    assert users_json(url) == []
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE teams SET head_id = 1 WHERE id = 2"))  # 1 heads South
    done = run_app_cli("users", "add", "h@example.com", "--role", "head", "--employee", "1",
                       "--password-stdin", "--url", url, stdin="a long password\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    databases = Databases(app=create_app_engine(), crm=engine)
    assert authenticate(databases, "h@example.com", "a long password") == Identity(
        "h@example.com",
        "Employee 1",
        "head",
        1,
        2,  # the headed team, not their own
    )


def test_users_add_finds_the_employee_by_name_or_email(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'crm.duckdb'}"
    b = CrmBuilder()
    b.team(1, "North", head_id=10)
    b.team(2, "South")
    b.employee(10, team_id=1, role="head", name="Hanna Berg")
    b.employee(11, team_id=1, name="Bob Berg")
    b.employee(12, team_id=2, name="Bob Berg")
    b.load(sa.create_engine(url)).dispose()
    ambiguous = run_app_cli("users", "add", "bob@example.com", "--role", "rep", "--employee",
                            "BOB BERG", "--url", url)  # fmt: skip
    assert (ambiguous.returncode, ambiguous.stdout) == (2, "")
    assert ambiguous.stderr == (
        "error: 2 employees are named 'BOB BERG': Bob Berg (id 11, rep, North, e11@example.com); "
        "Bob Berg (id 12, rep, South, e12@example.com). Give the id or the e-mail instead.\n"
    )
    similar = run_app_cli("users", "add", "x@example.com", "--role", "rep", "--employee", "berg",
                          "--url", url)  # fmt: skip
    assert similar.stderr.startswith("error: No employee is named 'berg'. Did you mean: Bob Berg")
    assert "Hanna Berg (id 10, head, North, heads North, e10@example.com)" in similar.stderr
    for employee, expected in [("E12@Example.com", 12), ("hanna berg", 10), ("11", 11)]:
        role = "head" if expected == 10 else "rep"
        done = run_app_cli("users", "add", f"u{expected}@example.com", "--role", role,
                           "--employee", employee, "--url", url)  # fmt: skip
        assert done.returncode == 0, done.stderr
    users = {u["email"]: (u["role"], u["employee_id"], u["team"]) for u in users_json(url)}
    assert users == {
        "u10@example.com": ("head", 10, "North"),
        "u11@example.com": ("rep", 11, "North"),
        "u12@example.com": ("rep", 12, "South"),
    }


def test_employees_lists_whom_users_can_be_linked_to(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_small_crm(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE teams SET head_id = 1 WHERE id = 1"))
        conn.execute(sa.text("UPDATE employees SET left_at = '2023-01-31' WHERE id = 3"))
    done = run_app_cli("employees", "--url", url)
    assert done.returncode == 0, done.stderr
    assert [line.split() for line in done.stdout.splitlines()] == [
        ["id", "name", "email", "role", "team", "heads", "hired", "left"],
        ["1", "Employee", "1", "e1@example.com", "head", "North", "North", "2020-01-01"],
        ["2", "Employee", "2", "e2@example.com", "rep", "North", "2021-06-01"],
        ["3", "Employee", "3", "e3@example.com", "rep", "South", "2022-03-15", "2023-01-31"],
    ]
    as_json = run_app_cli("employees", "--url", url, "--json", "--team", "south")
    assert json.loads(as_json.stdout) == [
        {"id": 3, "name": "Employee 3", "email": "e3@example.com", "role": "rep",
         "team": "South", "heads": None, "hired": "2022-03-15", "left": "2023-01-31"},
    ]  # fmt: skip
    heads = run_app_cli("employees", "--url", url, "--role", "head", "--json")
    assert [e["id"] for e in json.loads(heads.stdout)] == [1]
    nobody = run_app_cli("employees", "--url", url, "--role", "exec")
    assert (nobody.returncode, nobody.stdout) == (0, "No employee matches.\n")
    unknown = run_app_cli("employees", "--url", url, "--team", "West")
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr == "error: There is no team 'West': the teams are North, South.\n"
    missing = run_app_cli("employees", "--url", f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: there is no database file at")
    assert not (tmp_path / "none.sqlite").exists()


@pytest.mark.slow
def test_users_errors_exit_2(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'crm.duckdb'}"
    build_small_crm(url)
    assert (
        run_app_cli("users", "add", "a@example.com", "--role", "admin", "--url", url).returncode
        == 0
    )
    cases = [
        (("add", "r@example.com", "--role", "rep", "--employee", "99"), "",
         "error: There is no employee with id 99: check the id in the employees table."),
        (("add", "r@example.com", "--role", "rep"), "", "error: A rep must be linked"),
        (("add", "x@example.com", "--role", "admin", "--password-stdin"), "short\n",
         "error: The password is too short: use at least 8 characters."),
        (("add", "A@example.com", "--role", "admin"), "",
         "error: The user a@example.com already exists: change it"),
        (("add", "nobody", "--role", "admin"), "", "error: 'nobody' does not look like an email"),
        (("remove", "b@example.com"), "", "error: There is no app user b@example.com"),
        (("disable", "b@example.com"), "", "error: There is no app user b@example.com"),
        (("disable", "a@example.com"), "",
         "error: a@example.com is the last enabled admin, so you cannot disable them"),
        (("set-role", "a@example.com", "--role", "exec"), "",
         "error: a@example.com is the last enabled admin, so you cannot demote them"),
        (("remove", "a@example.com"), "",
         "error: a@example.com is the last enabled admin, so you cannot remove them"),
    ]  # fmt: skip
    for args, stdin, message in cases:
        done = run_app_cli("users", *args, "--url", url, stdin=stdin)
        assert (done.returncode, done.stdout) == (2, ""), args
        assert done.stderr.startswith(message), done.stderr
        assert "Traceback" not in done.stderr
    assert [u["email"] for u in users_json(url)] == ["a@example.com"]  # nothing else written
    bad_role = run_app_cli("users", "add", "r@example.com", "--role", "boss", "--url", url)
    assert bad_role.returncode == 2
    assert "invalid choice: 'boss'" in bad_role.stderr
    missing = run_app_cli("users", "list", "--url", f"duckdb:///{tmp_path / 'none.duckdb'}")
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"error: there is no database file at {tmp_path}/none.duckdb.")
    assert not (tmp_path / "none.duckdb").exists()


def test_users_set_password_prompts_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_small_crm(url)
    assert (
        app_main(
            ["users", "add", "e3@example.com", "--role", "rep", "--employee", "3", "--url", url]
        )
        == 0
    )
    typed = iter(["first password", "other password", "same password", "same password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert app_main(["users", "set-password", "e3@example.com", "--url", url]) == 2
    assert capsys.readouterr().err == (
        "error: The two passwords differ; nothing was changed. Run the command again.\n"
    )
    assert app_main(["users", "set-password", "e3@example.com", "--url", url]) == 0
    assert capsys.readouterr().out.endswith("Password set for e3@example.com.\n")
    databases = Databases(app=create_app_engine(), crm=sa.create_engine(url))
    assert authenticate(databases, "e3@example.com", "first password") is None
    assert authenticate(databases, "e3@example.com", "same password") == Identity(
        "e3@example.com", "Employee 3", "rep", 3, 2
    )


def test_users_go_to_the_app_database_of_app_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_small_crm(url)
    other = f"sqlite:///{tmp_path / 'other_app.sqlite'}"
    added = run_app_cli("users", "add", "a@example.com", "--role", "admin", "--url", url,
                        "--app-url", other)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert users_json(url) == []  # not in the default app database
    listed = run_app_cli("users", "list", "--url", url, "--app-url", other, "--json")
    assert [user["email"] for user in json.loads(listed.stdout)] == ["a@example.com"]
    with sa.create_engine(url).connect() as conn:  # nothing written to the CRM database
        assert not sa.inspect(conn).has_table("app_users")


def _add_real_deal(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO deals (id, account_id, owner_id, title, product_line, amount, "
                "currency, created_at, status, stage_id) VALUES (9001, 1, 5, 'Real deal', "
                "'core', 10, 'EUR', '2025-06-01', 'open', 1)"
            )
        )
    engine.dispose()


def test_reseed_names_the_added_rows_and_needs_force(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    assert run_cli("seed", "--size", "XS", "--url", url, "--quiet").returncode == 0
    _add_real_deal(url)
    refused = run_cli("seed", "--size", "XS", "--url", url, "--quiet", stdin="")  # no terminal
    assert refused.returncode == 2
    assert refused.stderr == (
        f"error: Refused to seed {url}. Rows were added since the demo was seeded: 1 row of "
        "deals. Seeding would delete them for good: use --force (force=True) to do so anyway, "
        "or point --url / CRM_DATABASE_URL at another database.\n"
    )
    forced = run_cli("seed", "--size", "XS", "--url", url, "--quiet", "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.splitlines()[-1] == DEMO_PLANS_TEXT  # the plans are the app's to make


def test_demo_plans_after_a_seed_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m crm_data seed`` does not open the app database; ``python -m appdb demo-plans``
    saves the demo's plans there, once (the app does the same when it starts)."""
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    assert main(["seed", "--size", "XS", "--url", url, "--quiet", "--seed", "3"]) == 0
    capsys.readouterr()
    command = ["demo-plans", "--url", url, "--app-url", app_url]
    assert app_main(command) == 0
    assert capsys.readouterr().out == "Saved 4 demo incentive plans.\n"
    assert app_main(command) == 0
    assert capsys.readouterr().out == (
        "Every team has its demo incentive plan already: nothing was saved.\n"
    )
    databases = Databases(app=create_app_engine(app_url), crm=create_crm_engine(url))
    plans = list_plans(databases, Scope.everyone())
    databases.app.dispose()
    databases.crm.dispose()
    last_day = date.today() - timedelta(days=1)  # the seed ends today
    quarter = f" Q{(last_day.month + 2) // 3} {last_day.year}"
    assert sorted(plans["team_id"]) == [1, 2, 3, 4]  # one per team of the XS demo
    assert plans["name"].str.endswith(quarter).all(), plans["name"]


def test_demo_plans_on_a_database_the_demo_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"duckdb:///{tmp_path / 'small.duckdb'}"
    build_small_crm(url)
    command = ["demo-plans", "--url", url, "--app-url", f"sqlite:///{tmp_path / 'app.sqlite'}"]
    assert app_main(command) == 0
    assert capsys.readouterr().out == (
        "The CRM database was not made by the demo generator: no demo plan was saved. Create "
        "plans on the Incentives page.\n"
    )


def test_upgrade_brings_an_app_database_to_the_latest_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    for _ in range(2):  # creates, then finds it up to date
        assert app_main(["upgrade", "--app-url", app_url]) == 0
        assert capsys.readouterr().out == f"The app database is at revision {head_revision()}.\n"
    engine = create_app_engine(app_url)
    assert {"app_users", "forecasts"} <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


class _Terminal:
    """A stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "code"), [("yes", 1), (" demo.duckdb ", 0)])
def test_reseed_at_a_terminal_asks_for_the_database_name(
    answer: str,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    assert main(["seed", "--size", "XS", "--url", url, "--quiet"]) == 0
    _add_real_deal(url)
    capsys.readouterr()
    prompts: list[str] = []
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or answer)
    assert main(["seed", "--size", "XS", "--url", url, "--quiet"]) == code
    assert prompts == ["Type demo.duckdb to delete it for good and seed (anything else stops): "]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Rows were added since the demo was seeded: 1 row of deals."
    assert out[1] == KEPT_TEXT
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        real = conn.execute(sa.text("SELECT count(*) FROM deals WHERE id = 9001")).scalar()
    engine.dispose()
    if code:  # refused: nothing changed
        assert (out[2:], real) == (["Nothing was changed."], 1)
    else:
        assert (out[2].startswith("Seeding demo company size XS"), real) == (True, 0)
