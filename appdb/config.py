"""Where the app database is and how to open it (DESIGN.md §3).

The app database holds what the app owns (users, KPI plans and their versions); the CRM
database, which the app only reads, is configured apart (:mod:`crm_data.config`).  The URL is
resolved, first match wins, from:

1. an explicit ``url`` argument (the CLI's ``--app-url``);
2. the ``CRM_APP_DATABASE_URL`` environment variable;
3. ``url`` under ``[connections.app]`` in ``.streamlit/secrets.toml`` (the places
   :data:`crm_data.config.SECRETS_FILES` names, as for the CRM URL);
4. the embedded default, SQLite ``data/app.sqlite`` in the project folder.

SQLite, PostgreSQL and MySQL/MariaDB are supported (and DuckDB, for a single user).  The
engine is made like the CRM database's (:func:`crm_data.config.create_crm_engine`): bounded
waits, ``pool_pre_ping`` on servers, the folder of an embedded file created, and a URL in an
error message shown with its secrets masked.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from crm_data.config import APP_DEFAULT_URL as DEFAULT_URL
from crm_data.config import APP_ENV_VAR as ENV_VAR
from crm_data.config import APP_SECRETS_CONNECTION as SECRETS_CONNECTION
from crm_data.config import create_crm_engine, resolve_app_url

__all__ = ["DEFAULT_URL", "ENV_VAR", "SECRETS_CONNECTION", "create_app_engine", "resolve_url"]


def resolve_url(url: str | None = None, secrets_file: Path | None = None) -> str:
    """The app database's URL (see the module docstring for the order).

    Parameters
    ----------
    url : str, optional
        An explicit URL; wins over everything else.
    secrets_file : Path, optional
        Secrets file to read instead of ``crm_data.config.SECRETS_FILES``.

    Raises
    ------
    crm_data.errors.ConfigurationError
        If the secrets file is not valid TOML or ``connections.app`` is not a table.

    Examples
    --------
    >>> resolve_url("postgresql+psycopg://app@db/crm_app")
    'postgresql+psycopg://app@db/crm_app'
    """
    return resolve_app_url(url, secrets_file)


def create_app_engine(url: str | None = None, timeout: float | None = None) -> Engine:
    """The SQLAlchemy engine of the app database, made as the CRM database's is.

    Parameters
    ----------
    url : str, optional
        The database URL; default :func:`resolve_url`.
    timeout : float, optional
        Seconds any wait on the database may last; default ``CRM_QUERY_TIMEOUT``, else 60.

    Raises
    ------
    crm_data.errors.DatabaseUnavailable
        If the URL cannot be parsed or its driver is not installed (the URL masked).
    crm_data.errors.ConfigurationError
        If ``CRM_QUERY_TIMEOUT`` is not a number of seconds in range.
    """
    return create_crm_engine(resolve_url(url), timeout)
