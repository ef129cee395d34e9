"""Engine configuration: URL resolution order, password masking, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm_data.config import (
    DEFAULT_URL,
    check_connection,
    create_crm_engine,
    engine_timeout,
    mask_url,
    query_timeout,
    resolve_url,
    server_version,
    statement_failed,
)
from crm_data.errors import (
    ConfigurationError,
    CrmDataError,
    DatabaseLocked,
    DatabaseTimeout,
    DatabaseUnavailable,
    driver_message,
)
from tests.support.databases import MYSQL_URL, PG_URL, RUN_DATABASE, hold_duckdb_lock, url_for


def _secrets(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(f'[connections.crm]\nurl = "{url}"\n')
    return path


def test_explicit_url_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", "sqlite:///env.sqlite")
    secrets = _secrets(tmp_path, "sqlite:///secret.sqlite")
    assert resolve_url("sqlite:///arg.sqlite", secrets) == "sqlite:///arg.sqlite"


def test_env_beats_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", "  sqlite:///env.sqlite ")
    assert resolve_url(None, _secrets(tmp_path, "sqlite:///s.sqlite")) == "sqlite:///env.sqlite"


def test_secrets_then_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    assert resolve_url(None, _secrets(tmp_path, "sqlite:///s.sqlite")) == "sqlite:///s.sqlite"
    assert resolve_url(None, tmp_path / "missing.toml") == DEFAULT_URL
    empty = tmp_path / "empty.toml"
    empty.write_text("[connections.other]\nurl = 'x'\n")
    assert resolve_url(None, empty) == DEFAULT_URL


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://bob:s3cret@db:5432/crm", "postgresql+psycopg://bob:***@db:5432/crm"),
        ("mysql+pymysql://root:p%40ss@h/test", "mysql+pymysql://root:***@h/test"),
        ("mysql+pymysql://root@localhost/test", "mysql+pymysql://root@localhost/test"),
        ("duckdb:///data/crm.duckdb", "duckdb:///data/crm.duckdb"),
        ("not a url", "<unparseable database URL>"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert "s3cret" not in mask_url(url) and "p%40ss" not in mask_url(url)


def test_file_database_folder_created_on_demand(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "crm.duckdb"
    engine = create_crm_engine(f"duckdb:///{target}")
    check_connection(engine)
    engine.dispose()
    assert target.parent.is_dir()


def test_unparseable_url_is_a_clear_error() -> None:
    with pytest.raises(DatabaseUnavailable) as info:
        create_crm_engine("::nonsense::")
    assert "SQLAlchemy URL" in str(info.value)


def test_missing_driver_is_a_clear_error() -> None:
    with pytest.raises(DatabaseUnavailable) as info:
        create_crm_engine("nosuchdb://u:topsecret@h/x")
    assert "topsecret" not in str(info.value)
    assert "driver" in info.value.hint


def test_unreachable_server_names_masked_url_and_hint() -> None:
    engine = create_crm_engine("postgresql+psycopg://bob:topsecret@127.0.0.1:1/crm")
    with pytest.raises(DatabaseUnavailable) as info:
        check_connection(engine)
    error = info.value
    assert error.masked_url == "postgresql+psycopg://bob:***@127.0.0.1:1/crm"
    assert "topsecret" not in str(error)
    assert "server is running" in error.hint
    assert error.driver_message  # the driver's own words are kept
    assert isinstance(error, CrmDataError)


def test_locked_duckdb_file_is_reported_as_locked(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    with hold_duckdb_lock(path):
        engine = create_crm_engine(f"duckdb:///{path}")
        with pytest.raises(DatabaseLocked) as info:
            check_connection(engine)
    assert "Another process" in info.value.hint


@pytest.mark.parametrize("server", ["postgresql", "mysql"])
def test_server_tests_run_in_a_database_of_their_own(server: str, tmp_path: Path) -> None:
    """Two test runs at once must not drop each other's tables: each run works in its own,
    existing database, never in the configured shared one."""
    url = sa.make_url(url_for(server, tmp_path))
    shared = sa.make_url(PG_URL if server == "postgresql" else MYSQL_URL)
    assert url.database == RUN_DATABASE != shared.database
    assert RUN_DATABASE.startswith(f"crm_test_{os.getpid()}_")
    assert url_for(server, tmp_path) == url.render_as_string(hide_password=False)  # one per run
    engine = sa.create_engine(url)
    with engine.connect() as conn:  # it exists and is the one connected to
        current = "SELECT current_database()" if server == "postgresql" else "SELECT DATABASE()"
        assert conn.execute(sa.text(current)).scalar() == RUN_DATABASE
    engine.dispose()


def test_server_version(dialect: str, tmp_path: Path) -> None:
    engine = sa.create_engine(url_for(dialect, tmp_path))
    version = server_version(engine)
    engine.dispose()
    prefix = {"duckdb": "DuckDB v", "sqlite": "SQLite 3.", "postgresql": "PostgreSQL 1"}
    if dialect == "mysql":
        assert version.startswith(("MariaDB 1", "MySQL "))
    else:
        assert version.startswith(prefix[dialect])


@pytest.mark.parametrize(
    "text",
    ["[connections.crm\nurl = 'x'\n", 'connections = "not a table"\n'],
    ids=["bad-toml", "not-a-table"],
)
def test_broken_secrets_file_is_a_configuration_error(
    text: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    path = tmp_path / "secrets.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as info:
        resolve_url(None, path)
    assert str(info.value).startswith(f"Cannot read the database URL from {path}: ")
    assert "[connections.crm]" in str(info.value)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ValueError("first line\nsecond line"), "first line"),
        (ValueError("   "), "ValueError"),
        (sa.exc.OperationalError("SELECT 1", {}, RuntimeError("driver says no")), "driver says no"),
    ],
)
def test_driver_message(exc: BaseException, expected: str) -> None:
    assert driver_message(exc) == expected


def test_statement_failed_on_a_reachable_database(tmp_path: Path) -> None:
    engine = create_crm_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with pytest.raises(sa.exc.OperationalError) as raised, engine.connect() as conn:
        conn.execute(sa.text("SELECT * FROM deals"))
    error = statement_failed(raised.value, engine)
    assert error.driver_message == "no such table: deals"
    assert "CRM schema" in error.hint
    engine.dispose()


def test_statement_failed_when_the_server_went_away() -> None:
    engine = create_crm_engine("postgresql+psycopg://bob:pw@127.0.0.1:1/crm")
    error = statement_failed(sa.exc.OperationalError("SELECT 1", {}, RuntimeError("x")), engine)
    assert "server is running" in error.hint  # the connection check's own diagnosis
    assert "refused" in error.driver_message.lower()


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://bob@db/crm?password=s3cret",
         "postgresql+psycopg://bob@db/crm?password=***"),
        ("postgresql+psycopg://bob:s3cret@db/crm?sslmode=require&sslpassword=k3yphrase"
         "&sslkey=/home/bob/client.key&sslcert=/home/bob/client.crt&application_name=crm",
         "postgresql+psycopg://bob:***@db/crm?application_name=crm&sslcert=***&sslkey=***"
         "&sslmode=require&sslpassword=***"),
        ("mysql+pymysql://app@db/crm?read_default_file=/etc/crm/my.cnf&charset=utf8mb4",
         "mysql+pymysql://app@db/crm?charset=utf8mb4&read_default_file=***"),
        ("mssql+pyodbc://@/?odbc_connect=DRIVER%3DODBC%3BSERVER%3Ddb%3BPWD%3Ds3cret",
         "mssql+pyodbc://@/?odbc_connect=***"),
        ("duckdb:///crm.duckdb?motherduck_token=s3cret", "duckdb:///crm.duckdb?motherduck_token=***"),
        ("snowflake://bob@acct/crm?private_key_file_pwd=s3cret&warehouse=wh",
         "snowflake://bob@acct/crm?private_key_file_pwd=***&warehouse=wh"),
        ("postgresql://u@h/d?API_Token=s3cret&password=one&password=two",
         "postgresql://u@h/d?API_Token=***&password=***&password=***"),
    ],
)  # fmt: skip
def test_mask_url_hides_the_secrets_of_the_query(url: str, masked: str) -> None:
    """Issue #14 item 5: psycopg takes ``?password=``; key files and tokens are secrets too."""
    assert mask_url(url) == masked
    for secret in ("s3cret", "k3yphrase", "client.key", "my.cnf", "one", "two"):
        assert secret not in mask_url(url)


def test_a_password_in_the_query_is_masked_in_connection_errors() -> None:
    engine = create_crm_engine("postgresql+psycopg://bob@127.0.0.1:1/crm?password=topsecret")
    with pytest.raises(DatabaseUnavailable) as info:
        check_connection(engine)
    assert info.value.masked_url == "postgresql+psycopg://bob@127.0.0.1:1/crm?password=***"
    assert "topsecret" not in str(info.value)
    engine.dispose()


@pytest.mark.services
def test_a_driver_repeating_a_secret_is_redacted(tmp_path: Path) -> None:
    """A driver message that quotes the connection string loses its secrets, as the URL does."""
    url = sa.make_url(url_for("postgresql", tmp_path))
    url = url.update_query_dict({"password": "topsecret", "sslmode": "prefer"})
    engine = create_crm_engine(url.render_as_string(hide_password=False))  # trusted: connects
    echo = RuntimeError(f'invalid connection string "dbname={url.database} password=topsecret"')
    error = statement_failed(sa.exc.ProgrammingError("SELECT 1", {}, echo), engine)
    engine.dispose()
    assert error.driver_message == f'invalid connection string "dbname={url.database} password=***"'
    assert error.masked_url.endswith("?password=***&sslmode=prefer")
    assert "topsecret" not in str(error)


# ---- the query timeout (issue #14 item 8) ---------------------------------------------------


def test_query_timeout_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_QUERY_TIMEOUT", raising=False)
    assert query_timeout() == 60.0
    monkeypatch.setenv("CRM_QUERY_TIMEOUT", " 2.5 ")
    assert query_timeout() == 2.5
    assert create_crm_engine("sqlite://").get_execution_options()["crm_query_timeout"] == 2.5


@pytest.mark.parametrize("value", ["0", "0.5", "3601", "ten", "nan", "inf", "-5", "9" * 100])
def test_a_bad_query_timeout_says_what_to_set(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_QUERY_TIMEOUT", value)
    with pytest.raises(ConfigurationError) as caught:
        create_crm_engine("sqlite://")
    assert str(caught.value) == (
        f"CRM_QUERY_TIMEOUT={value[:40]!r} is not a number of seconds from 1 to 3600. Set it "
        "to e.g. 60, or unset it for the default of 60 s."
    )


def test_embedded_engines_wait_for_locks_and_connections_as_long(tmp_path: Path) -> None:
    sqlite = create_crm_engine(f"sqlite:///{tmp_path / 'crm.sqlite'}", timeout=4)
    with sqlite.connect() as conn:  # the busy timeout, in milliseconds
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4000
    assert sqlite.pool.timeout() == 4 and engine_timeout(sqlite) == 4
    duck = create_crm_engine(f"duckdb:///{tmp_path / 'crm.duckdb'}", timeout=4)
    assert duck.pool.timeout() == 4
    assert engine_timeout(sa.create_engine("sqlite://")) == 60  # not made here: the default
    sqlite.dispose()
    duck.dispose()


def test_a_timeout_is_told_apart_from_other_failures() -> None:
    engine = create_crm_engine("sqlite://", timeout=3)
    pool = sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")
    error = statement_failed(pool, engine)
    assert isinstance(error, DatabaseTimeout) and error.seconds == 3
    assert str(error).startswith(
        "The CRM database sqlite:// did not answer within 3 s: QueuePool limit of size 5"
    )
    with engine.connect() as conn, pytest.raises(sa.exc.OperationalError) as caught:
        conn.execute(sa.text("SELECT * FROM nowhere"))
    assert not isinstance(statement_failed(caught.value, engine), DatabaseTimeout)
