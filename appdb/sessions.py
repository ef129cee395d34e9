"""The stored facts that end a login token (:mod:`access.tokens`): the user's ``app_users`` row
and its ``session_version`` (DESIGN.md §4, issue #14 item 3).

A token stops working when it expires, when the user is removed or disabled, or when their
``session_version`` changes (:func:`appdb.users.revoke_sessions`, also called by
``set_password`` and by disabling a user).  The role, employee and team are read from the
databases whenever a token is used (the user from the app database, the employee and team
from the CRM database).
"""

from __future__ import annotations

import sqlalchemy as sa

from access.passwords import normalize_email
from access.tokens import SessionUser
from appdb.databases import Databases
from appdb.schema import APP_USERS
from appdb.users import Identity, resolve_identity

__all__ = ["session_identity", "session_user"]


def session_user(app: sa.Engine, email: str) -> SessionUser | None:
    """The :class:`~access.tokens.SessionUser` of the enabled ``app_users`` row of ``email``
    (any case), or None (no such row, a disabled one, or no ``app_users`` table).
    """
    stmt = sa.select(APP_USERS.c.id, APP_USERS.c.session_version).where(
        APP_USERS.c.email == normalize_email(email), APP_USERS.c.active
    )
    with app.connect() as conn:
        if not sa.inspect(conn).has_table(APP_USERS.name):
            return None
        row = conn.execute(stmt).first()
    return None if row is None else SessionUser(int(row.id), int(row.session_version or 0))


def session_identity(databases: Databases, user: SessionUser) -> Identity | None:
    """The identity a login of ``user`` has now, or None if it has ended: the user was removed
    or disabled, their ``session_version`` changed, or their role can no longer be scoped.

    The role, employee and team are read afresh, so a change to them takes effect.
    """
    stmt = sa.select(APP_USERS.c.email, APP_USERS.c.active, APP_USERS.c.session_version)
    with databases.app.connect() as conn:
        if not sa.inspect(conn).has_table(APP_USERS.name):
            return None
        row = conn.execute(stmt.where(APP_USERS.c.id == user.user_id)).first()
    if row is None or not row.active or int(row.session_version or 0) != user.version:
        return None
    return resolve_identity(databases, row.email)
