"""The two databases the app's stores work with (DESIGN.md §3).

A store of the app database (:mod:`appdb.users`, :mod:`appdb.plans`) writes its own tables in
the app database and looks up employees and teams in the CRM database, which it only reads.
The two may be on different servers, so nothing joins across them: the CRM's ids are read
first and the app's rows filtered by them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

__all__ = ["Databases"]


@dataclass(frozen=True)
class Databases:
    """The app database and the CRM database.

    Attributes
    ----------
    app : sa.Engine
        The app database (:func:`appdb.config.create_app_engine`), at the latest revision
        (:func:`appdb.upgrade`).
    crm : sa.Engine
        The CRM database (:func:`crm_data.config.create_crm_engine`); only read here.
    """

    app: sa.Engine
    crm: sa.Engine
