"""Roles, and every rule of what a role may do or see (DESIGN.md §4): the one place a role is
spelled out.

Two vocabularies, kept apart because they differ:

* :class:`Role`: a dashboard user's role (``app_users.role``, ``Scope.role``): what the app lets
  them see and do.  ``admin`` is a user role only.
* :class:`EmployeeRole`: an employee's job in the CRM data (``employees.role``).  ``service``
  (a service agent) is an employee role only: service agents do not log in.

A rep, head, executive or analyst may log in through their employee record with the user role
of the same name (:data:`EMPLOYEE_LOGIN_ROLES`).  Every function takes a role as the enum or as
its text (``Role.REP == "rep"``), and answers for unknown text as for no permission.

Examples
--------
>>> Role("head") is Role.HEAD, Role.HEAD == "head"
(True, True)
>>> sees_all_rows("analyst"), sees_all_rows(Role.HEAD)
(True, False)
>>> can_edit_plan(Role.HEAD, plan_team=2, own_team=2), can_edit_plan("head", None, 2)
(True, False)
>>> roles_at_or_below("exec")
(<Role.EXEC: 'exec'>, <Role.HEAD: 'head'>, <Role.REP: 'rep'>)
"""

from __future__ import annotations

from enum import StrEnum

from i18n import N_, _

__all__ = [
    "EMPLOYEE_LOGIN_ROLES",
    "ROLES",
    "ROLE_LABELS",
    "ROLE_NEEDS",
    "SALES_ROLES",
    "EmployeeRole",
    "Role",
    "can_edit_plan",
    "can_edit_plans",
    "can_import",
    "can_manage_users",
    "can_preview",
    "can_see_page",
    "can_seed",
    "needs_employee",
    "needs_headed_team",
    "role_label",
    "roles_at_or_below",
    "sees_all_rows",
    "sees_connection_details",
    "sees_own_rows_only",
    "sees_plan_design",
]


class Role(StrEnum):
    """A dashboard user's role, in menu order (:data:`ROLES`)."""

    EXEC = "exec"
    HEAD = "head"
    REP = "rep"
    ANALYST = "analyst"
    ADMIN = "admin"


class EmployeeRole(StrEnum):
    """An employee's job in the CRM data (``employees.role``)."""

    REP = "rep"
    HEAD = "head"
    EXEC = "exec"
    ANALYST = "analyst"
    SERVICE = "service"


#: The user roles as text, in menu order (selection boxes, the command line's choices).
ROLES: tuple[str, ...] = tuple(role.value for role in Role)

#: The on-screen name of each role (English; :func:`role_label` translates).
ROLE_LABELS: dict[str, str] = {
    Role.EXEC: N_("Executive"),
    Role.HEAD: N_("Sales head"),
    Role.REP: N_("Sales rep"),
    Role.ANALYST: N_("Analyst"),
    Role.ADMIN: N_("Admin"),
}

#: What each role needs of its linked employee (enforced by ``appdb.users``; English, translate
#: with ``i18n._`` where shown).
ROLE_NEEDS: dict[str, str] = {
    Role.REP: N_("an employee (they see their own deals)"),
    Role.HEAD: N_("an employee who heads a team (they see that team)"),
    Role.EXEC: N_("no employee (sees everything)"),
    Role.ANALYST: N_("no employee (sees everything, and the Data page)"),
    Role.ADMIN: N_("no employee (sees everything, manages users)"),
}

#: ``employees.role`` values that may log in through their employee record (not ``service``).
EMPLOYEE_LOGIN_ROLES: tuple[EmployeeRole, ...] = (
    EmployeeRole.REP,
    EmployeeRole.HEAD,
    EmployeeRole.EXEC,
    EmployeeRole.ANALYST,
)

#: ``employees.role`` values of the sales staff (offered in the rep filter with every owner).
SALES_ROLES: tuple[EmployeeRole, ...] = (EmployeeRole.REP, EmployeeRole.HEAD)

_EVERY_ROLE = frozenset(Role)
_SEE_ALL = frozenset({Role.EXEC, Role.ANALYST, Role.ADMIN})
_PLAN_EDITORS = frozenset({Role.ADMIN, Role.EXEC, Role.HEAD})
_COMPANY_PLAN_EDITORS = frozenset({Role.ADMIN, Role.EXEC})
_PLAN_DESIGN = frozenset({Role.EXEC, Role.HEAD, Role.ANALYST, Role.ADMIN})
_CONNECTION_DETAILS = frozenset({Role.ADMIN, Role.ANALYST})
#: Pages open to some roles only, by ``url_path``; every other page is open to every role.
_PAGE_ROLES: dict[str, frozenset[Role]] = {
    "data": frozenset({Role.ADMIN, Role.ANALYST}),
    "users": frozenset({Role.ADMIN}),
}
#: The roles each role may be lowered to, itself first: ``exec`` and ``analyst`` are not below
#: each other (plans to edit, against the Data page); every role is above ``rep``.
_AT_OR_BELOW: dict[str, tuple[Role, ...]] = {
    Role.ADMIN: (Role.ADMIN, Role.EXEC, Role.ANALYST, Role.HEAD, Role.REP),
    Role.EXEC: (Role.EXEC, Role.HEAD, Role.REP),
    Role.ANALYST: (Role.ANALYST, Role.REP),
    Role.HEAD: (Role.HEAD, Role.REP),
    Role.REP: (Role.REP,),
}


def role_label(role: str) -> str:
    """The on-screen name of ``role`` (:data:`ROLE_LABELS`) in the language in force, e.g.
    ``Sales head`` / ``Руководитель продаж``.
    """
    return _(ROLE_LABELS[role])


def sees_all_rows(role: str) -> bool:
    """Whether ``role`` sees every row: executives, analysts and admins (a head sees the
    team's rows, a rep their own).
    """
    return role in _SEE_ALL


def sees_own_rows_only(role: str) -> bool:
    """Whether ``role`` sees only the rows of its own employee: a rep."""
    return role == Role.REP


def needs_employee(role: str) -> bool:
    """Whether ``role`` must be linked to an employee: a rep (their rows) and a head (their
    team's); executives, analysts and admins may have none.
    """
    return role in (Role.REP, Role.HEAD)


def needs_headed_team(role: str) -> bool:
    """Whether ``role`` is scoped to the team its employee heads (``teams.head_id``): a head."""
    return role == Role.HEAD


def can_edit_plans(role: str) -> bool:
    """Whether ``role`` may create and edit incentive plans at all: admins, executives, and
    heads (for their own team only: :func:`can_edit_plan`).
    """
    return role in _PLAN_EDITORS


def can_edit_plan(role: str, plan_team: int | None, own_team: int | None) -> bool:
    """Whether ``role`` may save a plan for ``plan_team`` (None: a company-wide plan): admins
    and executives any plan, a head only one of ``own_team``, the team they head.
    """
    if role in _COMPANY_PLAN_EDITORS:
        return True
    return role == Role.HEAD and plan_team is not None and plan_team == own_team


def sees_plan_design(role: str) -> bool:
    """Whether ``role`` sees how a plan is designed and works out across reps (its warnings,
    gaming signals, score distribution, items, what-if and history): everyone but a rep, who
    sees only their own scorecard, pacing and next steps.
    """
    return role in _PLAN_DESIGN


def can_see_page(role: str, url_path: str) -> bool:
    """Whether ``role`` may open the page registered under ``url_path``: the Data page is for
    admins and analysts, the Users page for admins, every other page for every role.
    """
    return role in _PAGE_ROLES.get(url_path, _EVERY_ROLE)


def sees_connection_details(role: str | None) -> bool:
    """Whether ``role`` (None: not logged in) sees the database URL (masked) and the driver's
    messages: admins and analysts, who look after the data.
    """
    return role in _CONNECTION_DETAILS


def can_manage_users(role: str) -> bool:
    """Whether ``role`` may add, change and remove dashboard users: an admin."""
    return role == Role.ADMIN


def can_seed(role: str) -> bool:
    """Whether ``role`` may replace the CRM tables with the demo company: an admin."""
    return role == Role.ADMIN


def can_import(role: str) -> bool:
    """Whether ``role`` may import CRM data and read the import log (file names, who
    imported): an admin.
    """
    return role == Role.ADMIN


def can_preview(role: str) -> bool:
    """Whether ``role`` may preview the app as another role or employee: an admin."""
    return role == Role.ADMIN


def roles_at_or_below(role: str) -> tuple[Role, ...]:
    """The roles ``role`` may be lowered to, itself first (an unknown role: none)."""
    return _AT_OR_BELOW.get(role, ())
