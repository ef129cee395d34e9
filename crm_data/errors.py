"""Errors the data layer raises, each with a message that says what to do.

The UI and the CLI show ``str(error)``; none of them needs a traceback.
"""

from __future__ import annotations

__all__ = [
    "CrmDataError",
    "ConfigurationError",
    "DatabaseUnavailable",
    "DatabaseLocked",
    "NotDemoDatabase",
    "driver_message",
]


def driver_message(exc: BaseException) -> str:
    """The first line of what the driver said (``exc.orig`` for SQLAlchemy's wrappers).

    Falls back to the exception's class name when the message is empty.
    """
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


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
        super().__init__(f"Cannot open the CRM database {masked_url}: {driver_message}. {hint}")


class DatabaseLocked(DatabaseUnavailable):
    """A DuckDB file is held by another process (DuckDB allows one writer process)."""


class NotDemoDatabase(CrmDataError):
    """Refusal to overwrite a database that holds data not made by the demo generator."""
