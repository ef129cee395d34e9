"""Errors the data layer raises, each with a message that says what to do.

The UI and the CLI show ``str(error)``; none of them needs a traceback.
"""

from __future__ import annotations

import sqlalchemy as sa

from i18n import _
from i18n.formatting import format_number

__all__ = [
    "CrmDataError",
    "ConfigurationError",
    "DatabaseUnavailable",
    "DatabaseLocked",
    "DatabaseTimeout",
    "NotDemoDatabase",
    "SeedingInProgress",
    "driver_message",
    "is_permission_error",
    "is_timeout",
    "seconds_text",
]

#: SQLSTATEs (PostgreSQL) and error numbers (MySQL/MariaDB) of a statement cancelled by the
#: statement or lock timeout: query_canceled, lock_not_available; lock wait timeout, MySQL's
#: max_execution_time, MariaDB's max_statement_time.
_TIMEOUT_CODES = frozenset({"57014", "55P03", 1205, 3024, 1969})
#: ... of a statement the database user may not run: insufficient_privilege,
#: read_only_sql_transaction; table/database access denied, a read-only server or transaction.
_PERMISSION_CODES = frozenset({"42501", "25006", 1142, 1044, 1227, 1290, 1792})
#: What DuckDB and SQLite say when a file is opened read-only.
_READ_ONLY_WORDS = ("read-only mode", "readonly database")


def driver_message(exc: BaseException) -> str:
    """The first line of what the driver said (``exc.orig`` for SQLAlchemy's wrappers).

    Falls back to the exception's class name when the message is empty.
    """
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


def _codes(exc: BaseException) -> set[str | int]:
    """The driver's error codes: the SQLSTATE (psycopg, PyMySQL) and the MySQL error number."""
    cause = getattr(exc, "orig", None) or exc
    codes: set[str | int] = set()
    if sqlstate := getattr(cause, "sqlstate", None):
        codes.add(str(sqlstate))
    args = getattr(cause, "args", ())
    if args and isinstance(args[0], int):
        codes.add(args[0])
    return codes


def is_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is a statement or lock wait cut short by the query timeout, or no pooled
    connection freed up in time (SQLAlchemy's ``TimeoutError``).

    Examples
    --------
    >>> import sqlalchemy as sa
    >>> is_timeout(sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"))
    True
    """
    return isinstance(exc, sa.exc.TimeoutError) or bool(_codes(exc) & _TIMEOUT_CODES)


def is_permission_error(exc: BaseException) -> bool:
    """Whether ``exc`` says the database user may not run the statement (no privilege, or a
    read-only server, transaction or file).
    """
    if _codes(exc) & _PERMISSION_CODES:
        return True
    return any(words in driver_message(exc).lower() for words in _READ_ONLY_WORDS)


def seconds_text(seconds: float) -> str:
    """A timeout as it was configured, in the language in force: ``60``, ``2.5`` / ``2,5``.

    Examples
    --------
    >>> seconds_text(60), seconds_text(2.5), seconds_text(0.25)
    ('60', '2.5', '0.25')
    """
    text = f"{seconds:g}"
    return format_number(seconds, 0 if "e" in text else len(text.partition(".")[2]))


class CrmDataError(Exception):
    """Base class of every error the data layer raises on purpose."""


class ConfigurationError(CrmDataError):
    """The configuration (e.g. ``.streamlit/secrets.toml``) cannot be read."""


class DatabaseUnavailable(CrmDataError):
    """The database cannot be reached or opened.

    Parameters
    ----------
    masked_url : str
        The database URL with the password hidden.
    driver_message : str
        What the driver said (first line).
    hint : str
        What the user should check.
    """

    def __init__(self, masked_url: str, driver_message: str, hint: str) -> None:
        self.masked_url = masked_url
        self.driver_message = driver_message
        self.hint = hint
        super().__init__(
            _("Cannot open the CRM database {url}: {driver_message}. {hint}").format(
                url=masked_url, driver_message=driver_message, hint=hint
            )
        )


class DatabaseLocked(DatabaseUnavailable):
    """A DuckDB file is held by another process (DuckDB allows one writer process)."""


class DatabaseTimeout(DatabaseUnavailable):
    """A statement or lock wait took longer than the query timeout (``CRM_QUERY_TIMEOUT``).

    Parameters
    ----------
    masked_url, driver_message, hint : str
        As for :class:`DatabaseUnavailable`.
    seconds : float
        The timeout that was exceeded.
    """

    def __init__(self, masked_url: str, driver_message: str, hint: str, seconds: float) -> None:
        super().__init__(masked_url, driver_message, hint)
        self.seconds = seconds
        self.args = (
            _(
                "The CRM database {url} did not answer within {seconds} s: {driver_message}. {hint}"
            ).format(
                url=masked_url,
                seconds=seconds_text(seconds),
                driver_message=driver_message,
                hint=hint,
            ),
        )


class NotDemoDatabase(CrmDataError):
    """Refusal to overwrite a database that holds data not made by the demo generator."""


class SeedingInProgress(CrmDataError):
    """Refusal to seed a database that another seeding is writing (one at a time)."""
