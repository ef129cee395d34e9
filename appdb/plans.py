"""Versioned storage of incentive KPI plans (issue #5): plans, their items and per-rep targets.

The tables ``kpi_plans``, ``kpi_plan_items`` and ``kpi_targets`` (:mod:`appdb.schema`) live in
the app database and are **append-only**: this module never updates or deletes a row.  The
teams and employees a plan names are looked up in the CRM database, which is only read; the
two may be on different servers, so nothing joins across them (:mod:`appdb.databases`), and a
reseed of the demo company keeps every plan with its key and history.  A plan is the set
of rows sharing a ``plan_key``; every save adds a complete new version (the plan row, its items
and their per-rep targets) with ``version = latest + 1``, in one transaction, so every earlier
version reads back exactly as it was saved.

Periods are half-open, ``[period_start, period_end)``, like :class:`~crm_data.filters.Filters`
and the ``quotas`` table: a first-quarter plan runs from 1 January to 1 April.

Concurrency (optimistic)
------------------------
An editor opens version *n* and saves with ``based_on_version=n``.  If the latest version is no
longer *n*, the save is refused with a :class:`PlanError` that says so; nothing is merged.  A
plan version is a whole snapshot whose weights and targets belong together, so an automatic
merge of two edits could silently produce a plan neither author made.  Two saves racing on the
same base both read *n* as the latest and both insert version *n + 1*: the unique constraint
``(plan_key, version)`` lets exactly one of them commit, and the other one's ``IntegrityError``
becomes the same :class:`PlanError`.  Either way no edit is lost silently: one is stored, the
other author is told to reload and re-apply.

Permissions (enforced here, not in the UI)
------------------------------------------
A plan belongs to the team of its **latest** version; ``team_id`` NULL is a company-wide plan.

* saving: ``admin`` and ``exec`` any plan; a ``head`` only plans of their own team (the plan's
  latest version and the new version both have ``team_id == scope.team_id``); ``rep`` and
  ``analyst`` never.
* reading: ``admin``, ``exec`` and ``analyst`` every plan with every per-rep target; a ``head``
  the plans of their team (all targets) and company-wide plans (only the targets of the reps of
  their team); a ``rep`` the plans of their own team and company-wide plans, with only their own
  per-rep targets.  A rep's team is ``scope.team_id``, else their ``employees.team_id`` (read
  from the CRM database).

A plan the scope may not read is reported exactly like a plan that does not exist, so keys of
other teams' plans cannot be probed.

Validation
----------
This module parses what it is given into storable values (numbers, dates, ids; an empty cell
is "none") and checks what storage needs (a name, a key, existing teams and employees, the
permissions, the latest version).  Whether a plan *can be scored* (signs, threshold ≤ cap,
an accelerator of at least 1, a cap for lower-is-better metrics, the period) is one rule, the
scoring's own (``analytics.incentives``, which knows no metric directions without the
catalogue): :func:`save_plan` and :func:`copy_plan` take it as ``check`` and apply it to the
version before anything is written.  ``reports.plan_store`` passes it, and is what the app
and notebooks call to save plans.
"""

from __future__ import annotations

import math
import numbers
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from access.roles import ROLE_LABELS, Role, can_edit_plan, can_edit_plans
from appdb.databases import Databases
from appdb.schema import ITEMS, NAME_LENGTH, PLANS, TARGETS
from crm_data.errors import CrmDataError, driver_message, is_permission_error
from crm_data.filters import Scope
from crm_data.queries.frames import Kind, coerce_frame, read_frame
from crm_data.queries.tables import EMPLOYEES, TEAMS
from i18n import N_, _, current_language
from i18n.formatting import format_day

__all__ = [
    "PlanCheck",
    "PlanError",
    "StoredItem",
    "StoredPlan",
    "copy_plan",
    "list_plans",
    "load_plan",
    "plan_counts",
    "plan_history",
    "save_plan",
]

KEY_LENGTH = 100
METRIC_KEY_LENGTH = 100
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

_LIST_KINDS: dict[str, Kind] = {
    "plan_key": "str",
    "version": "int",
    "name": "str",
    "period_start": "datetime",
    "period_end": "datetime",
    "team_id": "Int",
    "team": "str",
    "on_target_bonus": "float",
    "item_count": "int",
    "created_at": "datetime",
    "created_by": "Int",
    "created_by_name": "str",
}
_HISTORY_KINDS: dict[str, Kind] = {
    "version": "int",
    "created_at": "datetime",
    "created_by": "Int",
    "created_by_name": "str",
    "name": "str",
    "period_start": "datetime",
    "period_end": "datetime",
    "team_id": "Int",
    "on_target_bonus": "float",
    "item_count": "int",
}
#: The columns of those frames read from the CRM database, not the app database.
_NAME_COLUMNS = ("team", "created_by_name")


class PlanError(CrmDataError, ValueError):
    """A plan request that cannot be carried out; the message tells the user what to do."""


#: The rule a version must meet to be stored: called with the version as it would be stored,
#: it raises :class:`PlanError` saying why not (see "Validation" in the module docstring).
PlanCheck = Callable[["StoredPlan"], object]


@dataclass(frozen=True)
class StoredItem:
    """One item of a plan version.

    Attributes
    ----------
    metric_key : str
        Key of the metric in the metric catalogue.
    weight : float
        The item's weight (whether weights sum to 100 % is a sanity warning, not checked).
    target : float or None
        The common target of every rep without a per-rep target.
    threshold : float
        Minimum attainment that counts.
    cap : float or None
        Maximum attainment credited.
    accelerator : float or None
        Multiplier above 100 % attainment.
    rep_targets : tuple of (employee_id, target)
        Per-rep targets overriding ``target``, ordered by employee id.  For a rep's scope it
        holds only the rep's own target.
    """

    metric_key: str
    weight: float
    target: float | None = None
    threshold: float = 0.0
    cap: float | None = None
    accelerator: float | None = None
    rep_targets: tuple[tuple[int, float], ...] = field(default=())

    def target_for(self, employee_id: int) -> float | None:
        """The target of ``employee_id``: their per-rep target, else the common target."""
        return dict(self.rep_targets).get(employee_id, self.target)


@dataclass(frozen=True)
class StoredPlan:
    """One stored version of a plan.

    Attributes
    ----------
    plan_key : str
        Groups the versions of one plan.
    version : int
        1 for a new plan, +1 for each edit.
    name : str
        Display name.
    period_start, period_end : date
        The plan's period ``[period_start, period_end)``.
    team_id : int or None
        The team the plan is for; None for a company-wide plan.
    on_target_bonus : float
        The bonus paid at a score of 100 %.
    created_at : datetime
        When this version was saved (naive UTC, whole seconds).
    created_by : int or None
        The employee who saved it (None for a user without an employee record).
    items : tuple of StoredItem
        The items, in the order they were saved.
    """

    plan_key: str
    version: int
    name: str
    period_start: date
    period_end: date
    team_id: int | None
    on_target_bonus: float
    created_at: datetime
    created_by: int | None
    items: tuple[StoredItem, ...]


# ---- validation -----------------------------------------------------------------------------


def _missing(value: object) -> bool:
    """None, NaN or ``pd.NA``: an empty cell of a data editor."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _integer(value: object, message: str) -> int:
    """``value`` as an int (any integral type, e.g. a NumPy integer), else PlanError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise PlanError(message)
    return int(value)


def _number(value: object, what: str, *, optional: bool = False) -> float | None:
    """``value`` as a finite float (None allowed when ``optional``), else PlanError."""
    if _missing(value):
        if optional:
            return None
        raise PlanError(_("{what} is missing: enter a number.").format(what=what))
    if isinstance(value, bool):
        raise PlanError(
            _("{what} must be a number, not {value}.").format(what=what, value=repr(value))
        )
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlanError(
            _("{what} must be a number, not {value}.").format(what=what, value=repr(value))
        ) from None
    if not math.isfinite(number):
        raise PlanError(
            _("{what} must be a finite number, not {value}.").format(what=what, value=repr(value))
        )
    return number


def _day(value: object, what: str) -> date:
    """``value`` as a date; a datetime is accepted only at midnight."""
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise PlanError(
                _("The {what} must be a date, not a moment in a day ({value}).").format(
                    what=_(what), value=value
                )
            )
        return value.date()
    if not isinstance(value, date):
        raise PlanError(
            _("The {what} must be a date, not {value}.").format(what=_(what), value=repr(value))
        )
    return value


def _rep_targets(value: object, label: str) -> tuple[tuple[int, float], ...]:
    """Per-rep targets from a mapping or pairs, ordered by employee id; duplicates refused."""
    if _missing(value):
        return ()
    pairs = value.items() if isinstance(value, Mapping) else value
    try:
        pairs = [(emp, target) for emp, target in pairs]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise PlanError(
            _("The per-rep targets of {item} must be (employee id, target) pairs.").format(
                item=label
            )
        ) from None
    targets: dict[int, float] = {}
    for emp, target in pairs:
        whole = isinstance(emp, numbers.Real) and math.isfinite(emp) and float(emp).is_integer()
        if isinstance(emp, bool) or not whole:
            raise PlanError(
                _("{item}: {value} is not an employee id.").format(item=label, value=repr(emp))
            )
        emp = int(emp)  # type: ignore[call-overload]
        if emp in targets:
            raise PlanError(
                _("{item} has two per-rep targets for employee {employee}: keep one.").format(
                    item=label, employee=emp
                )
            )
        number = _number(
            target,
            _("The target of employee {employee} for {item}").format(employee=emp, item=label),
        )
        assert number is not None
        targets[emp] = number
    return tuple(sorted(targets.items()))


def _item(value: object, position: int) -> StoredItem:
    """A validated, normalised item from a StoredItem or a mapping of its fields."""
    if isinstance(value, StoredItem):
        fields: Mapping[str, Any] = value.__dict__
    elif isinstance(value, Mapping):
        fields = value
    else:
        raise PlanError(
            _("Item {position} is not a plan item: {value}.").format(
                position=position, value=repr(value)
            )
        )
    key = fields.get("metric_key")
    if not isinstance(key, str) or not key.strip():
        raise PlanError(
            _("Item {position} has no metric: choose one from the catalogue.").format(
                position=position
            )
        )
    key = key.strip()
    if len(key) > METRIC_KEY_LENGTH:
        raise PlanError(
            _("Item {position}: the metric key is longer than {length}.").format(
                position=position, length=METRIC_KEY_LENGTH
            )
        )
    label = _("item {position} ({key})").format(position=position, key=key)

    def what(text: str) -> str:
        return _(text).format(item=label)

    weight = _number(fields.get("weight"), what(N_("The weight of {item}")))
    target = _number(fields.get("target"), what(N_("The target of {item}")), optional=True)
    threshold = _number(fields.get("threshold"), what(N_("The threshold of {item}")), optional=True)
    cap = _number(fields.get("cap"), what(N_("The cap of {item}")), optional=True)
    accelerator = _number(
        fields.get("accelerator"), what(N_("The accelerator of {item}")), optional=True
    )
    assert weight is not None
    threshold = threshold or 0.0  # no threshold: every attainment counts
    return StoredItem(
        key,
        weight,
        target,
        threshold,
        cap,
        accelerator,
        _rep_targets(fields.get("rep_targets", ()), label),
    )


def _items(items: object) -> tuple[StoredItem, ...]:
    if isinstance(items, pd.DataFrame):  # e.g. straight from st.data_editor
        items = items.to_dict("records")
    if isinstance(items, str | bytes | Mapping) or not isinstance(items, Iterable):
        raise PlanError(_("The plan items must be a list of items."))
    result = tuple(_item(value, n) for n, value in enumerate(items, start=1))
    if not result:
        raise PlanError(_("The plan has no items: add at least one metric."))
    return result


def _name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise PlanError(_("The plan has no name: give it one."))
    if len(name.strip()) > NAME_LENGTH:
        raise PlanError(
            _("The plan name is longer than {length} characters: shorten it.").format(
                length=NAME_LENGTH
            )
        )
    return name.strip()


def _check_key(plan_key: object) -> str:
    if not isinstance(plan_key, str) or len(plan_key) > KEY_LENGTH or not _KEY.fullmatch(plan_key):
        raise PlanError(
            _(
                "{key} is not a plan key: use letters, digits, '.', '_' and '-' "
                "(at most {length} characters)."
            ).format(key=repr(plan_key), length=KEY_LENGTH)
        )
    return plan_key


def _new_key(name: str) -> str:
    """A fresh plan key: the name as a slug plus 8 random hex digits."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or "plan"
    return f"{slug}-{secrets.token_hex(4)}"


def _now() -> datetime:
    """Now as naive UTC in whole seconds (MariaDB's DATETIME keeps no fractions)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


# ---- permissions ----------------------------------------------------------------------------


def _role_name(role: str) -> str:
    """How a message names ``role``: its code in English ("rep"), else its translated label."""
    if current_language() == "en" or role not in ROLE_LABELS:
        return str(role)
    return _(ROLE_LABELS[role])


def _check_writer(scope: Scope) -> None:
    if not can_edit_plans(scope.role):
        raise PlanError(
            _(
                "A {role} cannot change incentive plans: ask your sales head or an executive."
            ).format(role=_role_name(scope.role))
        )


def _check_team_for_writer(scope: Scope, team_id: int | None) -> None:
    if not can_edit_plan(scope.role, team_id, scope.team_id):
        raise PlanError(
            _(
                "As head of team {team} you can edit only your team's plans: set the "
                "plan's team to {team}, or ask an executive."
            ).format(team=scope.team_id)
        )


def _reader_team(crm: sa.Engine, scope: Scope) -> int | None:
    """The team whose plans a head or rep reads (for a rep without one: their employee's)."""
    if scope.team_id is not None or scope.role != Role.REP:
        return scope.team_id
    with crm.connect() as conn:
        team = conn.execute(
            sa.select(EMPLOYEES.c.team_id).where(EMPLOYEES.c.id == scope.employee_id)
        ).scalar()
    return None if team is None else int(team)


def _visible(scope: Scope, reader_team: int | None, plan_team: int | None) -> bool:
    """Whether the scope may read a plan whose latest version is for ``plan_team``."""
    return scope.sees_all or plan_team is None or plan_team == reader_team


def _visibility(scope: Scope, reader_team: int | None) -> list[sa.ColumnElement[bool]]:
    """SQL conditions on ``kpi_plans.team_id`` (of the latest version) for the scope."""
    if scope.sees_all:
        return []
    if reader_team is None:
        return [PLANS.c.team_id.is_(None)]
    return [sa.or_(PLANS.c.team_id.is_(None), PLANS.c.team_id == reader_team)]


def _target_condition(
    crm: sa.Engine, scope: Scope, reader_team: int | None, plan_team: int | None
) -> sa.ColumnElement[bool] | None:
    """Which per-rep targets the scope reads of a plan it may see (None: all of them); a
    head's team members are read from the CRM database first.
    """
    if scope.role == Role.REP:
        return TARGETS.c.employee_id == scope.employee_id
    if scope.role == Role.HEAD and plan_team is None:
        stmt = sa.select(EMPLOYEES.c.id).where(EMPLOYEES.c.team_id == reader_team)
        with crm.connect() as conn:
            members = [int(emp) for emp in conn.execute(stmt).scalars()]
        return TARGETS.c.employee_id.in_(members)
    return None


# ---- reading --------------------------------------------------------------------------------


def _latest_row(conn: sa.Connection, plan_key: str) -> sa.Row[Any] | None:
    """The row of the latest version of ``plan_key``, None if there is none."""
    stmt = (
        sa.select(PLANS)
        .where(PLANS.c.plan_key == plan_key)
        .order_by(PLANS.c.version.desc())
        .limit(1)
    )
    return conn.execute(stmt).first()


def _not_found(plan_key: str) -> PlanError:
    return PlanError(
        _(
            "There is no plan {key} you may see: it does not exist or belongs to another "
            "team. Pick a plan from the list."
        ).format(key=repr(plan_key))
    )


def _visible_latest(
    conn: sa.Connection, scope: Scope, reader_team: int | None, plan_key: str
) -> sa.Row[Any]:
    """The latest row of a plan the scope (reading as ``reader_team``) may read."""
    latest = _latest_row(conn, plan_key)
    if latest is None or not _visible(scope, reader_team, latest.team_id):
        raise _not_found(plan_key)
    return latest


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _stored(
    conn: sa.Connection, row: sa.Row[Any], targets: sa.ColumnElement[bool] | None
) -> StoredPlan:
    """The plan version of ``row`` with its items and the per-rep targets meeting ``targets``."""
    items = conn.execute(
        sa.select(ITEMS).where(ITEMS.c.plan_id == row.id).order_by(ITEMS.c.id)
    ).all()
    per_item: dict[int, list[tuple[int, float]]] = {item.id: [] for item in items}
    if items:
        stmt = sa.select(TARGETS.c.item_id, TARGETS.c.employee_id, TARGETS.c.target).where(
            TARGETS.c.item_id.in_(list(per_item))
        )
        if targets is not None:
            stmt = stmt.where(targets)
        for item_id, employee_id, target in conn.execute(stmt):
            per_item[item_id].append((int(employee_id), float(target)))
    return StoredPlan(
        plan_key=row.plan_key,
        version=int(row.version),
        name=row.name,
        period_start=_as_date(row.period_start),
        period_end=_as_date(row.period_end),
        team_id=None if row.team_id is None else int(row.team_id),
        on_target_bonus=float(row.on_target_bonus),
        created_at=_as_datetime(row.created_at),
        created_by=None if row.created_by is None else int(row.created_by),
        items=tuple(
            StoredItem(
                metric_key=item.metric_key,
                weight=float(item.weight),
                target=_optional_float(item.target),
                threshold=float(item.threshold),
                cap=_optional_float(item.cap),
                accelerator=_optional_float(item.accelerator),
                rep_targets=tuple(sorted(per_item[item.id])),
            )
            for item in items
        ),
    )


def load_plan(
    databases: Databases, scope: Scope, plan_key: str, version: int | None = None
) -> StoredPlan:
    """One version of a plan (default: the latest), exactly as it was saved.

    For a rep, ``rep_targets`` hold only the rep's own target; for a head reading a
    company-wide plan, only the targets of their team's reps.

    Parameters
    ----------
    databases : Databases
        The app database (the plans) and the CRM database (a rep's team, a head's reps).
    scope : Scope
        Who asks (see the module docstring for who reads what).
    plan_key : str
        The plan.
    version : int, optional
        The version; default the latest.

    Raises
    ------
    PlanError
        If the plan does not exist or the scope may not read it (one message for both), or the
        version does not exist.
    """
    reader_team = _reader_team(databases.crm, scope)
    if version is not None:
        version = _integer(
            version, _("{version} is not a plan version.").format(version=repr(version))
        )
    with databases.app.connect() as conn:
        latest = _visible_latest(conn, scope, reader_team, plan_key)
        targets = _target_condition(databases.crm, scope, reader_team, latest.team_id)
        row = latest
        if version is not None and version != latest.version:
            found = conn.execute(
                sa.select(PLANS).where(PLANS.c.plan_key == plan_key, PLANS.c.version == version)
            ).first()
            if found is None:
                raise PlanError(
                    _(
                        "The plan {name} has no version {version}: its versions are 1 to {latest}."
                    ).format(name=repr(latest.name), version=version, latest=latest.version)
                )
            row = found
        return _stored(conn, row, targets)


def _item_count() -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.count(ITEMS.c.id))
        .where(ITEMS.c.plan_id == PLANS.c.id)
        .correlate(PLANS)
        .scalar_subquery()
    )


def _names(crm: sa.Engine, table: sa.Table, ids: pd.Series) -> dict[int, str]:
    """Id -> name of the rows of the CRM ``table`` (teams, employees) with ``ids``."""
    wanted = sorted({int(value) for value in ids.dropna()})
    if not wanted:
        return {}
    stmt = sa.select(table.c.id, table.c.name).where(table.c.id.in_(wanted))
    with crm.connect() as conn:
        return {int(key): name for key, name in conn.execute(stmt)}


def _with_names(
    crm: sa.Engine, frame: pd.DataFrame, kinds: Mapping[str, Kind], team: bool
) -> pd.DataFrame:
    """``frame`` with the names of its creators (and of its teams when ``team``) from the CRM
    database, the columns of ``kinds`` in their order.
    """
    named = frame.assign(
        created_by_name=frame["created_by"].map(_names(crm, EMPLOYEES, frame["created_by"]))
    )
    if team:
        named["team"] = frame["team_id"].map(_names(crm, TEAMS, frame["team_id"]))
    return coerce_frame(named, kinds)


def _without_names(kinds: Mapping[str, Kind]) -> dict[str, Kind]:
    """``kinds`` without the name columns read from the CRM database."""
    return {name: kind for name, kind in kinds.items() if name not in _NAME_COLUMNS}


def _select(kinds: Mapping[str, Kind]) -> sa.Select[Any]:
    """A SELECT of the columns of ``kinds`` the app database holds, in their order (the
    items of each version counted).
    """
    return sa.select(
        *(
            _item_count().label(name) if name == "item_count" else PLANS.c[name]
            for name in _without_names(kinds)
        )
    )


def plan_history(databases: Databases, scope: Scope, plan_key: str) -> pd.DataFrame:
    """Every version of a plan the scope may read, oldest first.

    Parameters
    ----------
    databases : Databases
        The app database (the plans) and the CRM database (a rep's team, who saved).
    scope : Scope
        Who asks.
    plan_key : str
        The plan.

    Returns
    -------
    DataFrame
        ``version`` int, ``created_at`` datetime, ``created_by`` Int64, ``created_by_name``
        str, ``name`` str, ``period_start``/``period_end`` datetime, ``team_id`` Int64,
        ``on_target_bonus`` float, ``item_count`` int.

    Raises
    ------
    PlanError
        If the plan does not exist or the scope may not read it.
    """
    reader_team = _reader_team(databases.crm, scope)
    stmt = _select(_HISTORY_KINDS).where(PLANS.c.plan_key == plan_key).order_by(PLANS.c.version)
    with databases.app.connect() as conn:
        _visible_latest(conn, scope, reader_team, plan_key)
        frame = read_frame(conn, stmt, _without_names(_HISTORY_KINDS))
    return _with_names(databases.crm, frame, _HISTORY_KINDS, team=False)


def list_plans(
    databases: Databases, scope: Scope, period: tuple[date, date] | None = None
) -> pd.DataFrame:
    """The latest version of every plan the scope may read.

    Parameters
    ----------
    databases : Databases
        The app database (the plans) and the CRM database (team and employee names).
    scope : Scope
        Who asks (see the module docstring for who reads what).
    period : (date, date), optional
        Only plans whose period overlaps ``[start, end)``.

    Returns
    -------
    DataFrame
        ``plan_key`` str, ``version`` int, ``name`` str, ``period_start``/``period_end``
        datetime, ``team_id`` Int64, ``team`` str (None for a company-wide plan or a team the
        CRM database no longer has), ``on_target_bonus`` float, ``item_count`` int,
        ``created_at`` datetime, ``created_by`` Int64, ``created_by_name`` str; ordered by
        period start (latest first), name and key.
    """
    conditions = _visibility(scope, _reader_team(databases.crm, scope))
    if period is not None:
        start, end = _day(period[0], N_("period start")), _day(period[1], N_("period end"))
        conditions += [PLANS.c.period_start < end, PLANS.c.period_end > start]
    latest = (
        sa.select(PLANS.c.plan_key, sa.func.max(PLANS.c.version).label("version"))
        .group_by(PLANS.c.plan_key)
        .subquery("latest")
    )
    joined = PLANS.join(
        latest, sa.and_(PLANS.c.plan_key == latest.c.plan_key, PLANS.c.version == latest.c.version)
    )
    stmt = (
        _select(_LIST_KINDS)
        .select_from(joined)
        .where(*conditions)
        .order_by(PLANS.c.period_start.desc(), PLANS.c.name, PLANS.c.plan_key)
    )
    frame = read_frame(databases.app, stmt, _without_names(_LIST_KINDS))
    return _with_names(databases.crm, frame, _LIST_KINDS, team=True)


def plan_counts(app: sa.Engine) -> tuple[int, int]:
    """The number of plans and of plan versions in the app database (for the Data page's
    "what a reseed keeps"), whoever may read them.
    """
    stmt = sa.select(sa.func.count(sa.distinct(PLANS.c.plan_key)), sa.func.count())
    with app.connect() as conn:
        plans, versions = conn.execute(stmt).one()
    return int(plans), int(versions)


# ---- writing --------------------------------------------------------------------------------


def _check_references(
    crm: sa.Engine, scope: Scope, team_id: int | None, items: tuple[StoredItem, ...]
) -> None:
    """The team, the per-rep targets' employees and the saving employee must exist in the CRM
    database.
    """
    with crm.connect() as conn:
        _check_references_in(conn, scope, team_id, items)


def _check_references_in(
    conn: sa.Connection, scope: Scope, team_id: int | None, items: tuple[StoredItem, ...]
) -> None:
    if team_id is not None:
        found = conn.execute(sa.select(TEAMS.c.id).where(TEAMS.c.id == team_id)).first()
        if found is None:
            raise PlanError(
                _("There is no team {team}: choose a team from the list.").format(team=team_id)
            )
    wanted = {emp for item in items for emp, _ in item.rep_targets}
    if scope.employee_id is not None:
        wanted.add(scope.employee_id)
    if wanted:
        stmt = sa.select(EMPLOYEES.c.id).where(EMPLOYEES.c.id.in_(sorted(wanted)))
        missing = wanted - {int(emp) for emp in conn.execute(stmt).scalars()}
        missing.discard(scope.employee_id)  # reported separately below
        if missing:
            ids = ", ".join(str(emp) for emp in sorted(missing))
            raise PlanError(
                _("Per-rep targets name unknown employees ({ids}): remove them.").format(ids=ids)
            )
        if scope.employee_id is not None:
            stmt = sa.select(EMPLOYEES.c.id).where(EMPLOYEES.c.id == scope.employee_id)
            if conn.execute(stmt).first() is None:
                raise PlanError(
                    _(
                        "Your account is linked to employee {employee}, who does not "
                        "exist: ask an admin to fix your account before saving plans."
                    ).format(employee=scope.employee_id)
                )


def _conflict(name: str, based_on: int | None, latest: sa.Row[Any] | None) -> PlanError:
    if latest is None:
        now = _("someone else saved a version at the same moment")
    else:
        saved = _as_datetime(latest.created_at)
        when = f"{format_day(saved.date())} {saved:%H:%M} UTC"
        now = _("the latest is version {version}, saved {when}").format(
            version=latest.version, when=when
        )
    base = _("a new plan") if based_on is None else _("version {version}").format(version=based_on)
    return PlanError(
        _(
            "The plan {name} was changed by someone else since you opened it (you started "
            "from {base}; {now}). Your changes were not saved: reload the plan, re-apply them "
            "and save again."
        ).format(name=repr(name), base=base, now=now)
    )


def _insert(
    conn: sa.Connection,
    values: dict[str, Any],
    items: tuple[StoredItem, ...],
) -> int:
    """Insert one plan version with its items and targets; the new ``kpi_plans.id``."""
    plan_id = _new_id(conn.execute(PLANS.insert().values(**values)))
    for item in items:
        item_id = _new_id(
            conn.execute(
                ITEMS.insert().values(
                    plan_id=plan_id,
                    metric_key=item.metric_key,
                    weight=item.weight,
                    target=item.target,
                    threshold=item.threshold,
                    cap=item.cap,
                    accelerator=item.accelerator,
                )
            )
        )
        for employee_id, target in item.rep_targets:
            conn.execute(
                TARGETS.insert().values(item_id=item_id, employee_id=employee_id, target=target)
            )
    return plan_id


def _new_id(inserted: sa.CursorResult[Any]) -> int:
    """The primary key of the one row ``inserted``."""
    key = inserted.inserted_primary_key
    if key is None:
        raise sa.exc.InvalidRequestError("the insert returned no primary key")
    return int(key[0])


def save_plan(
    databases: Databases,
    scope: Scope,
    plan_key: str | None = None,
    *,
    name: str,
    period_start: date,
    period_end: date,
    team_id: int | None,
    on_target_bonus: float = 0.0,
    items: Iterable[StoredItem | Mapping[str, Any]] | pd.DataFrame,
    based_on_version: int | None = None,
    check: PlanCheck | None = None,
) -> StoredPlan:
    """Store a new plan (version 1) or a new version of a plan, in one transaction.

    Nothing is updated or deleted: an edit adds a version with all its items and targets.
    Whether the plan can be scored is ``check``'s to say (``reports.plan_store.save_plan``
    passes the scoring's rule); here the inputs are only parsed (see "Validation" in the
    module docstring).

    Parameters
    ----------
    databases : Databases
        The app database, where the version is stored, and the CRM database, where its team
        and employees must exist.
    scope : Scope
        Who saves: admin/exec any plan, a head only their team's (see the module docstring).
    plan_key : str, optional
        The plan to add a version to; None creates a new plan with a fresh key.  A key that
        does not exist yet creates a plan with that key.
    name : str
        Display name.
    period_start, period_end : date
        The period ``[period_start, period_end)``.
    team_id : int or None
        An existing team, or None for a company-wide plan (admin/exec only).
    on_target_bonus : float
        Bonus at a score of 100 %.
    items : iterable of StoredItem or mapping, or DataFrame
        At least one item, one per metric; a mapping (or a frame's row) has the fields of
        :class:`StoredItem` (``rep_targets`` as pairs or as a mapping employee id → target).
        Empty cells (None, NaN) mean no target, threshold 0, no cap, no accelerator.
    based_on_version : int, optional
        The version the edit started from (the latest one the editor saw); None for a new plan.
    check : callable, optional
        The rule the version must meet (:data:`PlanCheck`), applied to it as it would be
        stored before anything is written; None stores whatever parses.

    Returns
    -------
    StoredPlan
        The stored version, read back from the database.

    Raises
    ------
    PlanError
        If the scope may not save this plan, an input cannot be parsed, ``check`` refuses the
        version, the plan does not exist, it was changed since ``based_on_version`` (also
        when a concurrent save won the race), or the database user may not write.
    """
    _check_writer(scope)
    clean_name = _name(name)
    start, end = _day(period_start, N_("period start")), _day(period_end, N_("period end"))
    if team_id is not None:
        team_id = _integer(team_id, _("{team} is not a team id.").format(team=repr(team_id)))
    _check_team_for_writer(scope, team_id)
    bonus = _number(on_target_bonus, _("The on-target bonus"))
    assert bonus is not None
    clean_items = _items(items)
    if based_on_version is not None:
        based_on_version = _integer(
            based_on_version,
            _("{version} is not a plan version.").format(version=repr(based_on_version)),
        )
    key = _new_key(clean_name) if plan_key is None else _check_key(plan_key)
    draft = StoredPlan(key, (based_on_version or 0) + 1, clean_name, start, end, team_id, bonus,
                       _now(), scope.employee_id, clean_items)  # fmt: skip
    if check is not None:
        check(draft)

    version = 1
    try:
        _check_references(databases.crm, scope, team_id, clean_items)
        with databases.app.begin() as conn:
            latest = _latest_row(conn, key)
            if latest is None:
                if based_on_version is not None:
                    raise PlanError(
                        _(
                            "There is no plan {key} to edit: it does not exist. Pick a plan "
                            "from the list."
                        ).format(key=repr(key))
                    )
            else:
                if not can_edit_plan(scope.role, latest.team_id, scope.team_id):
                    if latest.team_id is None:  # a company-wide plan: readable, not editable
                        _check_team_for_writer(scope, None)
                    raise _not_found(key)
                if based_on_version != latest.version:
                    raise _conflict(latest.name, based_on_version, latest)
                version = int(latest.version) + 1
            values = {
                "plan_key": key,
                "version": version,
                "name": clean_name,
                "period_start": start,
                "period_end": end,
                "team_id": team_id,
                "on_target_bonus": bonus,
                "created_at": draft.created_at,
                "created_by": scope.employee_id,
            }
            plan_id = _insert(conn, values, clean_items)
            row = conn.execute(sa.select(PLANS).where(PLANS.c.id == plan_id)).one()
            return _stored(conn, row, None)
    except sa.exc.DBAPIError as exc:
        if is_permission_error(exc):
            raise PlanError(
                _(
                    "No permission to save: the database refused the write ({error}). "
                    "Nothing was stored. Ask your administrator to let the dashboard's user of "
                    "the app database write the plan tables (kpi_plans, kpi_plan_items, "
                    "kpi_targets)."
                ).format(error=driver_message(exc))
            ) from exc
        if not isinstance(exc, sa.exc.IntegrityError | sa.exc.OperationalError):
            raise
        if _is_version_conflict(databases.app, key, version, exc):
            try:
                with databases.app.connect() as conn:
                    latest = _latest_row(conn, key)
            except sa.exc.DBAPIError:
                latest = None
            raise _conflict(clean_name, based_on_version, latest) from exc
        raise PlanError(
            _("The plan could not be saved: {error}. Nothing was stored; try again.").format(
                error=driver_message(exc)
            )
        ) from exc


def _is_version_conflict(
    engine: sa.Engine, plan_key: str, version: int, exc: sa.exc.DBAPIError
) -> bool:
    """Whether a failed save lost the race for ``(plan_key, version)``.

    True when that version now exists, or when the driver reports a unique-key violation or
    a write-write conflict (the winner may not have committed yet, e.g. on DuckDB).
    """
    message = driver_message(exc).lower()
    if any(word in message for word in ("unique", "duplicate", "conflict")):
        return True
    stmt = sa.select(PLANS.c.id).where(PLANS.c.plan_key == plan_key, PLANS.c.version == version)
    try:
        with engine.connect() as conn:
            return conn.execute(stmt).first() is not None
    except sa.exc.DBAPIError:  # the database went away: not a conflict
        return False


def copy_plan(
    databases: Databases,
    scope: Scope,
    plan_key: str,
    period_start: date,
    period_end: date,
    *,
    name: str | None = None,
    check: PlanCheck | None = None,
) -> StoredPlan:
    """A new plan (new key, version 1) with the latest version's items and per-rep targets,
    for ``[period_start, period_end)`` (the next period: ``analytics.periods.next_period``).

    Parameters
    ----------
    databases : Databases
        The app database and the CRM database, as in :func:`save_plan`.
    scope : Scope
        Who copies; they must be allowed to save the plan (admin/exec, or the team's head).
    plan_key : str
        The plan to copy.
    period_start, period_end : date
        The copy's period (validated as in :func:`save_plan`).
    name : str, optional
        The new plan's name (default: the same name).
    check : callable, optional
        The rule the copy must meet, as in :func:`save_plan`.

    Raises
    ------
    PlanError
        If the scope may not save plans or read this one, the plan does not exist, or
        ``check`` refuses the copy.
    """
    _check_writer(scope)
    reader_team = _reader_team(databases.crm, scope)
    with databases.app.connect() as conn:
        latest = _visible_latest(conn, scope, reader_team, plan_key)
        _check_team_for_writer(scope, latest.team_id)
        source = _stored(conn, latest, None)
    return save_plan(
        databases,
        scope,
        None,
        name=source.name if name is None else name,
        period_start=period_start,
        period_end=period_end,
        team_id=source.team_id,
        on_target_bonus=source.on_target_bonus,
        items=source.items,
        based_on_version=None,
        check=check,
    )
