"""``python -m crm_data info|seed|users`` run as a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_data.__main__ import main
from crm_data.users import Identity, authenticate
from tests.small_crm import EXPECTED, build_small_crm

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI from the repository root with a clean ``CRM_DATABASE_URL``."""
    env = {k: v for k, v in os.environ.items() if k != "CRM_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "crm_data", *args],
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
        for part in seeded.stdout.splitlines()[-1].split(": ", 1)[1].split(", ")
    )
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
# small CRM: team 1 (no head_id) with head 1 and rep 2, team 2 with rep 3; emails e<id>@example.com


def users_json(url: str) -> list[dict[str, object]]:
    done = run_cli("users", "list", "--url", url, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_users_lifecycle(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_small_crm(url)
    empty = run_cli("users", "list", "--url", url)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.startswith("No dashboard users yet; add one with")
    added = run_cli(
        "users", "add", " Ann@Example.com", "--role", "head", "--employee", "1",
        "--name", "Ann Head", "--password-stdin", "--url", url,
        stdin="a long password\nsecond line is ignored\n",
    )  # fmt: skip
    assert (added.returncode, added.stdout) == (0, "Added user ann@example.com (head).\n")
    oidc = run_cli(
        "users", "add", "e2@example.com", "--role", "rep", "--employee", "2", "--url", url
    )
    assert oidc.returncode == 0, oidc.stderr
    assert users_json(url) == [
        {"email": "ann@example.com", "name": "Ann Head", "role": "head", "employee_id": 1,
         "has_password": True, "active": True},
        {"email": "e2@example.com", "name": None, "role": "rep", "employee_id": 2,
         "has_password": False, "active": True},
    ]  # fmt: skip
    engine = sa.create_engine(url)
    # only the first line of stdin is the password; a head of no team gets their own team 1
    assert authenticate(engine, "ann@example.com", "a long password") == Identity(
        "ann@example.com", "Ann Head", "head", 1, 1
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
        done = run_cli("users", *args, "--url", url, stdin="another password\n")
        assert (done.returncode, done.stdout, done.stderr) == (0, message + "\n", "")
    assert users_json(url) == [
        {"email": "e2@example.com", "name": None, "role": "rep", "employee_id": 2,
         "has_password": True, "active": False},
    ]  # fmt: skip
    assert authenticate(engine, "e2@example.com", "another password") is None  # disabled
    enabled = run_cli("users", "enable", "e2@example.com", "--url", url)
    assert enabled.stdout == "Enabled user e2@example.com.\n"
    assert authenticate(engine, "e2@example.com", "another password") == Identity(
        "e2@example.com", "Employee 2", "rep", 2, 1
    )
    text = run_cli("users", "list", "--url", url).stdout.splitlines()
    assert text[0].split() == ["email", "name", "role", "employee_id", "has_password", "active"]
    assert text[1].split() == ["e2@example.com", "rep", "2", "True", "True"]  # empty name


def test_users_errors_exit_2(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'crm.duckdb'}"
    build_small_crm(url)
    assert run_cli("users", "add", "a@example.com", "--role", "exec", "--url", url).returncode == 0
    cases = [
        (("add", "r@example.com", "--role", "rep", "--employee", "99"), "",
         "error: There is no employee with id 99: check the id in the employees table."),
        (("add", "r@example.com", "--role", "rep"), "", "error: A rep must be linked"),
        (("add", "x@example.com", "--role", "admin", "--password-stdin"), "short\n",
         "error: The password is too short: use at least 8 characters."),
        (("add", "A@example.com", "--role", "admin"), "",
         "error: The user a@example.com already exists; use `users set-password`"),
        (("add", "nobody", "--role", "admin"), "", "error: 'nobody' does not look like an email"),
        (("remove", "b@example.com"), "", "error: There is no app user b@example.com"),
        (("disable", "b@example.com"), "", "error: There is no app user b@example.com"),
    ]  # fmt: skip
    for args, stdin, message in cases:
        done = run_cli("users", *args, "--url", url, stdin=stdin)
        assert (done.returncode, done.stdout) == (2, ""), args
        assert done.stderr.startswith(message), done.stderr
        assert "Traceback" not in done.stderr
    assert [u["email"] for u in users_json(url)] == ["a@example.com"]  # nothing else written
    bad_role = run_cli("users", "add", "r@example.com", "--role", "boss", "--url", url)
    assert bad_role.returncode == 2
    assert "invalid choice: 'boss'" in bad_role.stderr
    missing = run_cli("users", "list", "--url", f"duckdb:///{tmp_path / 'none.duckdb'}")
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"error: there is no database file at {tmp_path}/none.duckdb.")
    assert not (tmp_path / "none.duckdb").exists()


def test_users_set_password_prompts_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    build_small_crm(url)
    assert (
        main(["users", "add", "e3@example.com", "--role", "rep", "--employee", "3", "--url", url])
        == 0
    )
    typed = iter(["first password", "other password", "same password", "same password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main(["users", "set-password", "e3@example.com", "--url", url]) == 2
    assert capsys.readouterr().err == (
        "error: The two passwords differ; nothing was changed. Run the command again.\n"
    )
    assert main(["users", "set-password", "e3@example.com", "--url", url]) == 0
    assert capsys.readouterr().out.endswith("Password set for e3@example.com.\n")
    engine = sa.create_engine(url)
    assert authenticate(engine, "e3@example.com", "first password") is None
    assert authenticate(engine, "e3@example.com", "same password") == Identity(
        "e3@example.com", "Employee 3", "rep", 3, 2
    )
