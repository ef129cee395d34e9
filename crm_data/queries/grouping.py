"""Grouping dimensions of deals for the aggregated funnel queries.

A grouped query adds a ``group`` column (text; a missing value becomes ``"(none)"``) and groups
its aggregates by it.  The dimensions, their keys and their display labels are in
:data:`GROUPINGS`:

* ``team`` — the name of the deal owner's team (``employees.team_id`` → ``teams.name``);
* ``rep`` — the deal owner's name and id, ``"Ann Lee (#12)"`` (two reps may share a name);
* ``region``, ``industry``, ``size_band`` — the column of the deal's account;
* ``product_line``, ``source`` — the column of the deal;
* ``rep_id`` (not offered in the UI) — the deal owner's employee id as text, for per-rep metrics
  that need the id rather than a label.

The joined tables are aliases of their own (``grp_owner``, ``grp_team``, ``grp_account``), so
they never correlate with the subqueries of :mod:`crm_data.queries.where` that read the same
tables.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.expression import ColumnElement, FromClause

from crm_data.queries.tables import ACCOUNTS, EMPLOYEES, TEAMS
from i18n import N_

__all__ = ["GROUPINGS", "INTERNAL_GROUPINGS", "MISSING_GROUP", "check_group", "join_group"]

#: Grouping key -> label shown in the UI (marked for translation: show it with ``_()``).
GROUPINGS: dict[str, str] = {
    "team": N_("Team"),
    "rep": N_("Rep"),
    "region": N_("Region"),
    "product_line": N_("Product line"),
    "source": N_("Source"),
    "industry": N_("Industry"),
    "size_band": N_("Size band"),
}

#: Groupings for code, not offered as a choice in the UI.
INTERNAL_GROUPINGS: dict[str, str] = {"rep_id": "Rep id"}

#: The ``group`` value of deals whose dimension is missing (no team, no account region, ...).
MISSING_GROUP = "(none)"


def check_group(group: str | None) -> str | None:
    """Return ``group`` if it is ``None`` or a key of :data:`GROUPINGS`.

    Raises
    ------
    ValueError
        For any other value, naming the valid ones.

    Examples
    --------
    >>> check_group("team")
    'team'
    >>> check_group("colour")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown group 'colour'; expected one of team, rep, region, ...
    """
    if group is not None and group not in GROUPINGS and group not in INTERNAL_GROUPINGS:
        valid = ", ".join([*GROUPINGS, *INTERNAL_GROUPINGS])
        raise ValueError(f"Unknown group {group!r}; expected one of {valid}.")
    return group


def join_group(
    from_clause: FromClause, deals: Any, group: str | None
) -> tuple[FromClause, ColumnElement[str] | None]:
    """Outer-join what ``group`` needs onto ``from_clause`` and return the ``group`` column.

    Parameters
    ----------
    from_clause : FromClause
        A FROM clause that contains ``deals``.
    deals : Table or alias
        The ``deals`` table (or alias) whose rows are grouped.
    group : str or None
        A key of :data:`GROUPINGS`, or None (no grouping).

    Returns
    -------
    tuple
        The (possibly extended) FROM clause and the labelled ``group`` expression
        (``COALESCE(value, '(none)')``), or ``None`` when ``group`` is None.

    Raises
    ------
    ValueError
        If ``group`` is not a key of :data:`GROUPINGS`.
    """
    if check_group(group) is None:
        return from_clause, None
    value: Any
    if group in ("product_line", "source"):
        value = deals.c[group]
    elif group == "rep_id":
        value = sa.cast(deals.c.owner_id, sa.String)
    elif group in ("region", "industry", "size_band"):
        account = ACCOUNTS.alias("grp_account")
        from_clause = from_clause.outerjoin(account, account.c.id == deals.c.account_id)
        value = account.c[group]
    else:
        owner = EMPLOYEES.alias("grp_owner")
        from_clause = from_clause.outerjoin(owner, owner.c.id == deals.c.owner_id)
        if group == "rep":
            value = owner.c.name + " (#" + sa.cast(owner.c.id, sa.String) + ")"
        else:
            team = TEAMS.alias("grp_team")
            from_clause = from_clause.outerjoin(team, team.c.id == owner.c.team_id)
            value = team.c.name
    label = sa.func.coalesce(value, sa.literal(MISSING_GROUP, sa.String)).label("group")
    return from_clause, label
