"""Employees and the choices of the global filter bar.

:func:`people` is unscoped (login and the admin's "view as" need every employee);
:func:`filter_options` lists only the teams and employees a scope may see.  Names are sorted
in pandas, not in SQL, so that every dialect (whatever its collation) gives the same order.
Both describe the company as it is now (no ``as_of``): they count nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from access.roles import SALES_ROLES, Role
from crm_data.filters import Scope
from crm_data.queries.frames import Bind, Kind, connect, read_frame
from crm_data.queries.tables import ACCOUNTS, DEALS, EMPLOYEES, PRODUCTS, STAGES, TEAMS
from crm_data.queries.where import owner_conditions

__all__ = ["FilterOptions", "filter_options", "peer_scope", "people"]


def _sorted(frame: pd.DataFrame, by: str, tie: str) -> pd.DataFrame:
    """``frame`` ordered by ``by`` then ``tie`` (Python string order), with a fresh index."""
    return frame.sort_values([by, tie], kind="stable").reset_index(drop=True)


def people(bind: Bind) -> pd.DataFrame:
    """Every employee with team and headship (UNSCOPED: for login and "view as").

    ``heads_team_id`` is the team whose ``teams.head_id`` is the employee (the lowest team id
    if several).

    Returns
    -------
    DataFrame
        ``employee_id`` int, ``name`` str, ``email`` str, ``role`` str, ``team_id`` Int64,
        ``team`` str (NA without a team), ``region`` str (the team's region, NA if none),
        ``heads_team_id`` Int64 (NA if the employee heads no team), ``left_at`` datetime64
        (NaT while employed); ordered by name, then id.
    """
    heads = (
        sa.select(TEAMS.c.head_id, sa.func.min(TEAMS.c.id).label("heads_team_id"))
        .where(TEAMS.c.head_id.is_not(None))
        .group_by(TEAMS.c.head_id)
        .subquery("heads")
    )
    stmt = sa.select(
        EMPLOYEES.c.id.label("employee_id"),
        EMPLOYEES.c.name,
        EMPLOYEES.c.email,
        EMPLOYEES.c.role,
        EMPLOYEES.c.team_id,
        TEAMS.c.name.label("team"),
        TEAMS.c.region,
        heads.c.heads_team_id,
        EMPLOYEES.c.left_at,
    ).select_from(
        EMPLOYEES.outerjoin(TEAMS, TEAMS.c.id == EMPLOYEES.c.team_id).outerjoin(
            heads, heads.c.head_id == EMPLOYEES.c.id
        )
    )
    frame = read_frame(
        bind,
        stmt,
        {
            "employee_id": "int",
            "name": "str",
            "email": "str",
            "role": "str",
            "team_id": "Int",
            "team": "str",
            "region": "str",
            "heads_team_id": "Int",
            "left_at": "datetime",
        },
    )
    return _sorted(frame, "name", "employee_id")


@dataclass(frozen=True)
class FilterOptions:
    """What the filter bar offers to one scope.

    Attributes
    ----------
    teams : DataFrame
        ``team_id`` int, ``name`` str, ``region`` str; ordered by name.
    reps : DataFrame
        ``employee_id`` int, ``name`` str, ``team_id`` Int64, ``left_at`` datetime64;
        ordered by name.
    regions, product_lines, pipelines : tuple of str
        Sorted distinct values (unscoped: they reveal no rows).
    """

    teams: pd.DataFrame
    reps: pd.DataFrame
    regions: tuple[str, ...]
    product_lines: tuple[str, ...]
    pipelines: tuple[str, ...]


def peer_scope(bind: Bind, scope: Scope) -> Scope:
    """The scope a rep is compared against: the rows of the rep's team (a head's scope on it).

    For every other role the scope itself.  A rep without a team is compared with nobody but
    themselves (their own scope).  **For team aggregates only**: whoever reads rows through
    this scope for a rep must reduce the colleagues' rows to team totals before anything
    leaves it (``reports.performance`` does, and its tests check it).
    """
    if scope.role != Role.REP:
        return scope
    stmt = sa.select(EMPLOYEES.c.team_id).where(EMPLOYEES.c.id == scope.employee_id)
    with connect(bind) as conn:
        team_id = conn.execute(stmt).scalar()
    return scope if team_id is None else Scope.head(int(team_id))


def _team_conditions(scope: Scope) -> list[Any]:
    """Teams ``scope`` may see: a rep's own team, a head's team, else all."""
    if scope.role == Role.REP:
        own = sa.select(EMPLOYEES.c.team_id).where(EMPLOYEES.c.id == scope.employee_id)
        return [TEAMS.c.id.in_(own)]
    if scope.role == Role.HEAD:
        return [TEAMS.c.id == scope.team_id]
    return []


def _rep_conditions(scope: Scope) -> list[Any]:
    """Employees ``scope`` may pick: the rep, the head's team, else reps, heads and owners."""
    if not scope.sees_all:
        return owner_conditions(EMPLOYEES.c.id, scope, None)
    owners = sa.select(DEALS.c.owner_id).distinct()
    return [sa.or_(EMPLOYEES.c.role.in_(SALES_ROLES), EMPLOYEES.c.id.in_(owners))]


def _distinct_values() -> sa.CompoundSelect[Any]:
    """``(kind, value)`` rows: account regions, product lines, pipelines (one statement)."""

    def values(kind: str, column: Any) -> sa.Select[Any]:
        return sa.select(sa.literal(kind, sa.String).label("kind"), column.label("value")).where(
            column.is_not(None)
        )

    return sa.union(
        values("region", ACCOUNTS.c.region),
        values("product_line", PRODUCTS.c.product_line),
        values("product_line", DEALS.c.product_line),
        values("pipeline", STAGES.c.pipeline),
    )


def filter_options(bind: Bind, scope: Scope) -> FilterOptions:
    """The teams, employees, regions, product lines and pipelines ``scope`` can filter on.

    Teams: a rep's own team, a head's team, everything for the other roles.  Employees: a rep
    only themself; a head the members of the team; the other roles everyone with role rep or
    head plus anyone owning a deal.  Regions (non-null account regions), product lines
    (``products`` ∪ ``deals``) and pipelines (``stages``) are distinct sorted values.

    Returns
    -------
    FilterOptions
        See :class:`FilterOptions`.
    """
    team_kinds: dict[str, Kind] = {"team_id": "int", "name": "str", "region": "str"}
    rep_kinds: dict[str, Kind] = {
        "employee_id": "int",
        "name": "str",
        "team_id": "Int",
        "left_at": "datetime",
    }
    with connect(bind) as conn:
        teams = read_frame(
            conn,
            sa.select(TEAMS.c.id.label("team_id"), TEAMS.c.name, TEAMS.c.region).where(
                *_team_conditions(scope)
            ),
            team_kinds,
        )
        reps = read_frame(
            conn,
            sa.select(
                EMPLOYEES.c.id.label("employee_id"),
                EMPLOYEES.c.name,
                EMPLOYEES.c.team_id,
                EMPLOYEES.c.left_at,
            ).where(*_rep_conditions(scope)),
            rep_kinds,
        )
        rows = conn.execute(_distinct_values()).all()
    by_kind: dict[str, set[str]] = {"region": set(), "product_line": set(), "pipeline": set()}
    for kind, value in rows:
        by_kind[kind].add(str(value))
    return FilterOptions(
        teams=_sorted(teams, "name", "team_id"),
        reps=_sorted(reps, "name", "employee_id"),
        regions=tuple(sorted(by_kind["region"])),
        product_lines=tuple(sorted(by_kind["product_line"])),
        pipelines=tuple(sorted(by_kind["pipeline"])),
    )
