"""``python -m crm_data info|seed`` run as a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.small_crm import EXPECTED, build_small_crm

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI from the repository root with a clean ``CRM_DATABASE_URL``."""
    env = {k: v for k, v in os.environ.items() if k != "CRM_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "crm_data", *args],
        cwd=ROOT,
        env=env,
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
