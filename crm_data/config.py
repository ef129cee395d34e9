"""Where the CRM database is and how to open it.

The URL is resolved, first match wins, from:

1. an explicit ``url`` argument (the CLI's ``--url``);
2. the ``CRM_DATABASE_URL`` environment variable;
3. ``url`` under ``[connections.crm]`` in ``.streamlit/secrets.toml`` of the working directory,
   else of the project folder;
4. the embedded default, ``data/crm.duckdb`` in the project folder.

The defaults are anchored at the project folder, not the working directory, so a notebook
started in ``notebooks/`` opens the same database as the app started in the project folder.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from pathlib import Path
from typing import cast
from urllib.parse import quote_plus

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from crm_data.errors import (
    ConfigurationError,
    DatabaseLocked,
    DatabaseTimeout,
    DatabaseUnavailable,
    driver_message,
    is_timeout,
    seconds_text,
)
from i18n import _

__all__ = [
    "APP_DEFAULT_URL",
    "APP_ENV_VAR",
    "APP_SECRETS_CONNECTION",
    "DEFAULT_URL",
    "ENV_VAR",
    "PROJECT_ROOT",
    "resolve_url",
    "resolve_app_url",
    "configured_url",
    "embedded_path",
    "SECRET_PARAMETERS",
    "SECRET_PARAMETER_PATTERN",
    "mask_url",
    "redact",
    "TIMEOUT_ENV_VAR",
    "DEFAULT_QUERY_TIMEOUT",
    "TIMEOUT_RANGE",
    "query_timeout",
    "engine_timeout",
    "create_crm_engine",
    "check_connection",
    "statement_failed",
    "server_version",
]

#: The folder holding ``app.py``, ``crm_data/`` and ``data/``.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The embedded default database: ``data/crm.duckdb`` in the project folder.
DEFAULT_URL = f"duckdb:///{PROJECT_ROOT / 'data' / 'crm.duckdb'}"
ENV_VAR = "CRM_DATABASE_URL"
#: Where a URL may be configured, first found wins: the working directory's secrets file
#: (Streamlit's own place), then the project folder's.
SECRETS_FILES = (
    Path(".streamlit") / "secrets.toml",
    PROJECT_ROOT / ".streamlit" / "secrets.toml",
)


def resolve_url(url: str | None = None, secrets_file: Path | None = None) -> str:
    """Return the database URL to use (see the module docstring for the order).

    Parameters
    ----------
    url : str, optional
        An explicit URL; wins over everything else.
    secrets_file : Path, optional
        Secrets file to read instead of :data:`SECRETS_FILES`.

    Raises
    ------
    ConfigurationError
        If the secrets file is not valid TOML or ``connections.crm`` is not a table.
    """
    return configured_url(url, ENV_VAR, "crm", DEFAULT_URL, secrets_file)


#: The app database's embedded default (DESIGN.md §3): the SQLite file ``data/app.sqlite``.
APP_DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'app.sqlite'}"
#: The environment variable holding the app database's URL.
APP_ENV_VAR = "CRM_APP_DATABASE_URL"
#: The ``[connections.<name>]`` section of the secrets holding the app database's URL.
APP_SECRETS_CONNECTION = "app"


def resolve_app_url(url: str | None = None, secrets_file: Path | None = None) -> str:
    """The app database's URL: ``url``, else ``CRM_APP_DATABASE_URL``, else ``url`` under
    ``[connections.app]`` of the secrets, else :data:`APP_DEFAULT_URL`.

    Here rather than in ``appdb.config`` (which uses it) so that the CRM database's command
    line, which may not import ``appdb``, finds the app database the same way (its import log).

    Examples
    --------
    >>> resolve_app_url("sqlite:///app.sqlite")
    'sqlite:///app.sqlite'
    """
    return configured_url(url, APP_ENV_VAR, APP_SECRETS_CONNECTION, APP_DEFAULT_URL, secrets_file)


def configured_url(
    url: str | None, env_var: str, connection: str, default: str, secrets_file: Path | None = None
) -> str:
    """A database URL: ``url``, else the environment variable ``env_var``, else ``url`` under
    ``[connections.<connection>]`` of the secrets file (:data:`SECRETS_FILES`, first found, or
    ``secrets_file``), else ``default``.

    Raises
    ------
    ConfigurationError
        If the secrets file is not valid TOML or ``connections.<connection>`` is not a table.

    Examples
    --------
    >>> configured_url("sqlite:///x.sqlite", "UNSET_VARIABLE", "app", "sqlite://")
    'sqlite:///x.sqlite'
    """
    if url:
        return url
    env = os.environ.get(env_var, "").strip()
    if env:
        return env
    path = secrets_file or next((f for f in SECRETS_FILES if f.is_file()), SECRETS_FILES[0])
    if path.is_file():
        try:
            with path.open("rb") as fh:
                found = tomllib.load(fh).get("connections", {}).get(connection, {}).get("url")
        except (tomllib.TOMLDecodeError, AttributeError) as exc:
            raise ConfigurationError(
                _(
                    "Cannot read the database URL from {path}: {error}. Fix the file: the URL "
                    'goes under [connections.{connection}] as url = "..." '
                    "(see .streamlit/secrets.toml.example)."
                ).format(path=path, error=exc, connection=connection)
            ) from None
        if found:
            return str(found)
    return default


#: Query parameters that hold a secret, or point at one, although their name does not say so:
#: MySQL's option file (it may hold the password) and a whole ODBC connection string (``PWD=``).
SECRET_PARAMETERS = frozenset({"read_default_file", "odbc_connect"})
#: Any query parameter whose name looks like a secret's: ``password``, ``sslpassword``,
#: ``passwd``, ``pwd``, ``sslkey``/``ssl_key`` and other key files, ``sslcert``, ``api_key``,
#: ``motherduck_token``, ``client_secret``, ``credentials_path``, ``sig``, ``authenticator``...
SECRET_PARAMETER_PATTERN = re.compile(
    r"pass|pwd|secret|token|key|cred|auth|cert|sig|jwt|bearer", re.IGNORECASE
)
_MASK = "***"


def _secret_parameter(name: str) -> bool:
    """Whether the URL query parameter ``name`` holds (or names) a secret."""
    return name.lower() in SECRET_PARAMETERS or bool(SECRET_PARAMETER_PATTERN.search(name))


def mask_url(url: str | URL) -> str:
    """The URL as text with its password and every secret query parameter replaced by ``***``.

    The secret parameters are those of :data:`SECRET_PARAMETERS` and those whose name matches
    :data:`SECRET_PARAMETER_PATTERN`; the others (``sslmode``, ``charset``...) are kept, since
    they help to diagnose a connection.

    Examples
    --------
    >>> mask_url("postgresql+psycopg://bob:s3cret@db:5432/crm")
    'postgresql+psycopg://bob:***@db:5432/crm'
    >>> mask_url("postgresql+psycopg://bob@db/crm?password=s3cret&sslmode=require")
    'postgresql+psycopg://bob@db/crm?password=***&sslmode=require'
    """
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return "<unparseable database URL>"
    text = parsed.set(query={}).render_as_string(hide_password=True)
    if not parsed.query:
        return text
    # as SQLAlchemy renders a query (sorted keys, one pair per value), the secrets masked
    pairs = [
        f"{quote_plus(name)}={_MASK if _secret_parameter(name) else quote_plus(value)}"
        for name in sorted(parsed.query)
        for value in _values(parsed.query[name])
    ]
    return f"{text}?{'&'.join(pairs)}"


def _values(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """A query parameter's values (SQLAlchemy keeps a repeated one as a tuple)."""
    return value if isinstance(value, tuple) else (value,)


def _url_secrets(url: URL) -> list[str]:
    """The URL's password and the values of its secret query parameters."""
    values = [str(url.password)] if url.password is not None else []
    for name, value in url.query.items():
        if _secret_parameter(name):
            values.extend(_values(value))
    return [v for v in values if v]


def redact(text: str, url: str | URL) -> str:
    """``text`` (a driver's message) with every secret of ``url`` in it replaced by ``***``.

    Drivers rarely repeat a password, but some echo a connection string or a file name: what
    :func:`mask_url` hides in the URL is hidden in the message too.

    Examples
    --------
    >>> url = "duckdb:///md:crm?motherduck_token=tok3n"
    >>> redact('cannot open "md:crm?motherduck_token=tok3n"', url)
    'cannot open "md:crm?motherduck_token=***"'
    """
    try:
        secrets = _url_secrets(make_url(url))
    except sa.exc.ArgumentError:
        return text
    for secret in sorted(secrets, key=len, reverse=True):  # a longer one may contain a shorter
        text = text.replace(secret, _MASK)
    return text


def embedded_path(url: str | URL) -> Path | None:
    """The file behind an embedded (DuckDB/SQLite) URL, or None for in-memory and server URLs.

    Examples
    --------
    >>> embedded_path("duckdb:///data/crm.duckdb")
    PosixPath('data/crm.duckdb')
    >>> embedded_path("postgresql+psycopg://u@h/db") is None
    True
    """
    try:
        url = make_url(url)
    except sa.exc.ArgumentError:
        return None
    if url.get_backend_name() in {"duckdb", "sqlite"} and url.database not in (
        None,
        "",
        ":memory:",
    ):
        return Path(url.database)
    return None


#: The environment variable holding the query timeout, in seconds (see :func:`query_timeout`).
TIMEOUT_ENV_VAR = "CRM_QUERY_TIMEOUT"
DEFAULT_QUERY_TIMEOUT = 60.0
#: The smallest and largest query timeout accepted, in seconds.
TIMEOUT_RANGE = (1.0, 3600.0)
#: The engine's execution option that remembers its query timeout.
_TIMEOUT_OPTION = "crm_query_timeout"


def query_timeout(value: str | None = None) -> float:
    """The query timeout in seconds: ``value``, else ``CRM_QUERY_TIMEOUT``, else 60.

    No statement, lock wait or wait for a pooled connection lasts longer (see
    :func:`create_crm_engine` for what each dialect can bound).

    Raises
    ------
    ConfigurationError
        If the value is not a number of seconds within :data:`TIMEOUT_RANGE`.

    Examples
    --------
    >>> query_timeout("2.5")
    2.5
    """
    raw = os.environ.get(TIMEOUT_ENV_VAR, "") if value is None else value
    if not raw.strip():
        return DEFAULT_QUERY_TIMEOUT
    low, high = TIMEOUT_RANGE
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not low <= seconds <= high:  # NaN fails too
        raise ConfigurationError(
            _(
                "{setting} is not a number of seconds from {low} to {high}. Set it to e.g. 60, "
                "or unset it for the default of {default} s."
            ).format(
                setting=f"{TIMEOUT_ENV_VAR}={raw[:40]!r}",  # values as one types them
                low=f"{low:g}",
                high=f"{high:g}",
                default=f"{DEFAULT_QUERY_TIMEOUT:g}",
            )
        )
    return seconds


def engine_timeout(engine: Engine) -> float:
    """The query timeout ``engine`` was created with, in seconds.

    :data:`DEFAULT_QUERY_TIMEOUT` for an engine not made by :func:`create_crm_engine`.
    """
    return float(engine.get_execution_options().get(_TIMEOUT_OPTION, DEFAULT_QUERY_TIMEOUT))


def _timeout_arguments(url: URL, seconds: float, embedded: bool) -> dict[str, object]:
    """``create_engine`` arguments that bound every wait on the database to ``seconds``.

    PostgreSQL (psycopg) gets ``statement_timeout`` and ``lock_timeout`` as connection options
    (after any ``options`` of the URL) and a ``connect_timeout`` unless the URL sets one; SQLite
    waits that long for a locked file; MySQL/MariaDB get a ``connect_timeout`` here and their
    session limits from :func:`_limit_mysql_sessions`; DuckDB has no statement timeout and does
    not wait for locks.  Pooled engines wait that long for a free connection.
    """
    name, whole = url.get_backend_name(), max(1, math.ceil(seconds))
    connect: dict[str, object] = {}
    if name == "postgresql" and url.get_driver_name() in {"psycopg", "psycopg2"}:
        limit = round(seconds * 1000)
        given = " ".join(_values(url.query.get("options", ())))
        connect["options"] = f"{given} -c statement_timeout={limit} -c lock_timeout={limit}"
    if name in {"postgresql", "mysql"} and "connect_timeout" not in url.query:
        connect["connect_timeout"] = whole
    if name == "sqlite":
        connect["timeout"] = seconds
    arguments: dict[str, object] = {"connect_args": connect} if connect else {}
    if embedded or name not in {"duckdb", "sqlite"}:  # in-memory engines have no queue
        arguments["pool_timeout"] = seconds
    return arguments


def _limit_mysql_sessions(engine: Engine, seconds: float) -> None:
    """Bound every statement and row-lock wait of ``engine``'s MySQL/MariaDB sessions."""

    @sa.event.listens_for(engine, "connect")
    def limit(dbapi_connection: object, record: object) -> None:
        # the dialect knows the server once the first connection is set up, before this runs
        statement = (
            f"max_statement_time = {seconds:.3f}"
            if getattr(engine.dialect, "is_mariadb", False)
            else f"max_execution_time = {round(seconds * 1000)}"
        )
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        try:
            cursor.execute(
                f"SET SESSION {statement}, innodb_lock_wait_timeout = {max(1, math.ceil(seconds))}"
            )
        finally:
            cursor.close()


def create_crm_engine(
    url: str | None = None, timeout: float | None = None, *, read_only: bool = False
) -> Engine:
    """Create the SQLAlchemy engine for the CRM database.

    For an embedded file database the parent folder is created on demand.  Server engines use
    ``pool_pre_ping`` so a restarted server does not surface as a stale-connection error.
    Waits on the database are bounded by ``timeout`` (see :func:`_timeout_arguments`): a
    statement or lock wait that takes longer fails, and :func:`statement_failed` makes that a
    :class:`~crm_data.errors.DatabaseTimeout`.

    Parameters
    ----------
    url : str, optional
        The database URL; default :func:`resolve_url`.
    timeout : float, optional
        Seconds; default :func:`query_timeout` (``CRM_QUERY_TIMEOUT``, else 60).
    read_only : bool
        Open a DuckDB file read-only: then other processes (the app, notebooks, the command
        line) may read it at the same time, which a process writing it forbids; the file must
        exist.  A process opens a file either read-only or for writing: where this process has
        it open for writing already, the engine shares that (:func:`_share_a_writer`).  Other
        databases are opened as always (the user's rights decide what it may do).

    Raises
    ------
    DatabaseUnavailable
        If the URL cannot be parsed or its driver is not installed.
    ConfigurationError
        If ``CRM_QUERY_TIMEOUT`` is not a number of seconds in range.
    """
    seconds = query_timeout() if timeout is None else timeout
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except sa.exc.ArgumentError as exc:
        raise DatabaseUnavailable(
            "<unparseable database URL>",
            str(exc).splitlines()[0],
            _(
                "Use a SQLAlchemy URL such as duckdb:///data/crm.duckdb or "
                "postgresql+psycopg://user:password@host/db."
            ),
        ) from None
    path = embedded_path(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    kwargs = _timeout_arguments(parsed, seconds, embedded=path is not None)
    read_only_file = read_only and path is not None and parsed.get_backend_name() == "duckdb"
    if read_only_file:
        given = cast(dict[str, object], kwargs.get("connect_args", {}))
        kwargs["connect_args"] = {**given, "read_only": True}
    if path is None and parsed.get_backend_name() not in {"duckdb", "sqlite"}:
        kwargs["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(parsed, execution_options={_TIMEOUT_OPTION: seconds}, **kwargs)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise DatabaseUnavailable(
            mask_url(parsed),
            redact(str(exc).splitlines()[0], parsed),
            _("Install the driver for this database (see requirements.txt)."),
        ) from None
    if parsed.get_backend_name() == "mysql":
        _limit_mysql_sessions(engine, seconds)
    if read_only_file:
        sa.event.listen(engine, "do_connect", _share_a_writer)
    return engine


#: DuckDB's refusal of a read-only connection to a file this process has open for writing.
_OTHER_CONFIGURATION = "different configuration than existing connections"


def _share_a_writer(
    dialect: sa.Dialect, record: object, cargs: list[object], cparams: dict[str, object]
) -> object:
    """Connect read-only, or where this process has the file open for writing already (its
    seeding; a notebook or test that wrote it), through that instance: DuckDB opens a file in
    one process with one configuration.
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as exc:  # duckdb.ConnectionException, not imported here
        if _OTHER_CONFIGURATION not in str(exc):
            raise
    return dialect.connect(*cargs, **{k: v for k, v in cparams.items() if k != "read_only"})


def _hint(engine: Engine, message: str) -> str:
    """What to check, given the dialect and the driver's message."""
    name = engine.dialect.name
    if name == "duckdb" and "lock" in message.lower():
        return _(
            "Another process (a running app or a seeding CLI) holds this DuckDB file; "
            "stop it or point CRM_DATABASE_URL at another file."
        )
    if name in {"duckdb", "sqlite"}:
        return _("Check that the file path is writable and is a database of this kind.")
    return _(
        "Check that the server is running and reachable, and that the user name, password and "
        "database name in CRM_DATABASE_URL are right."
    )


def check_connection(engine: Engine) -> None:
    """Open one connection and run ``SELECT 1``.

    Raises
    ------
    DatabaseLocked
        If a DuckDB file is locked by another process.
    DatabaseUnavailable
        If the database cannot be reached for any other reason.
    """
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as exc:
        message = redact(driver_message(exc), engine.url)
        error = DatabaseLocked if "lock" in message.lower() else DatabaseUnavailable
        raise error(mask_url(engine.url), message, _hint(engine, message)) from None


def statement_failed(exc: sa.exc.SQLAlchemyError, engine: Engine) -> DatabaseUnavailable:
    """A driver error raised by a query or a write, as a :class:`DatabaseUnavailable`.

    A statement or wait cut short by the query timeout is a :class:`DatabaseTimeout`.  If the
    database no longer answers, the connection check's own error (with its hint) is returned;
    otherwise the failing statement's message with a hint about schema and rights.
    """
    if is_timeout(exc):
        seconds = engine_timeout(engine)
        return DatabaseTimeout(
            mask_url(engine.url),
            redact(driver_message(exc), engine.url),
            _(
                "Another session may be holding a lock on a table this page reads (an import, "
                "a migration or a long transaction), or the query is slow or the server busy. "
                "Press Retry in a moment; if it keeps happening, ask the database administrator "
                "what holds the lock, or raise {setting} (now {seconds} s)."
            ).format(setting=TIMEOUT_ENV_VAR, seconds=seconds_text(seconds)),
            seconds,
        )
    try:
        check_connection(engine)
    except DatabaseUnavailable as unavailable:
        return unavailable
    return DatabaseUnavailable(
        mask_url(engine.url),
        redact(driver_message(exc), engine.url),
        _(
            "The database answered but a statement failed: check that it holds the CRM schema "
            "(python -m crm_data info) and that this user may read it (and write it, to seed)."
        ),
    )


def server_version(engine: Engine) -> str:
    """The database server's version string, e.g. ``PostgreSQL 15.19``."""
    name = engine.dialect.name
    query = {
        "duckdb": "SELECT 'DuckDB ' || version()",
        "sqlite": "SELECT 'SQLite ' || sqlite_version()",
        "postgresql": "SHOW server_version",
        "mysql": "SELECT VERSION()",
    }.get(name)
    if query is None:
        return name
    with engine.connect() as conn:
        value = str(conn.execute(sa.text(query)).scalar_one())
    if name == "postgresql":
        return f"PostgreSQL {value}"
    if name == "mysql":
        return f"MariaDB {value}" if "mariadb" in value.lower() else f"MySQL {value}"
    return value
