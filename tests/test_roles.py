"""Roles and their permissions (``access.roles``): a hand-written table of role × action."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from access.roles import (
    EMPLOYEE_LOGIN_ROLES,
    ROLE_LABELS,
    ROLE_NEEDS,
    ROLES,
    SALES_ROLES,
    EmployeeRole,
    Role,
    can_edit_plan,
    can_edit_plans,
    can_manage_users,
    can_preview,
    can_see_page,
    can_seed,
    needs_employee,
    needs_headed_team,
    roles_at_or_below,
    sees_all_rows,
    sees_connection_details,
    sees_own_rows_only,
    sees_plan_design,
)

#: action -> the roles allowed, in the order exec, head, rep, analyst, admin
TABLE: dict[str, tuple[bool, bool, bool, bool, bool]] = {
    #                           exec   head   rep    analyst admin
    "sees_all_rows":           (True,  False, False, True,  True),
    "sees_own_rows_only":      (False, False, True,  False, False),
    "needs_employee":          (False, True,  True,  False, False),
    "needs_headed_team":       (False, True,  False, False, False),
    "can_edit_plans":          (True,  True,  False, False, True),
    "company_wide_plan":       (True,  False, False, False, True),
    "own_team_plan":           (True,  True,  False, False, True),
    "other_team_plan":         (True,  False, False, False, True),
    "sees_plan_design":        (True,  True,  False, True,  True),
    "page_overview":           (True,  True,  True,  True,  True),
    "page_incentives":         (True,  True,  True,  True,  True),
    "page_data":               (False, False, False, True,  True),
    "page_users":              (False, False, False, False, True),
    "sees_connection_details": (False, False, False, True,  True),
    "can_manage_users":        (False, False, False, False, True),
    "can_seed":                (False, False, False, False, True),
    "can_preview":             (False, False, False, False, True),
}  # fmt: skip

#: action -> the question it asks of a role (the own team is 2)
ACTIONS: dict[str, Callable[[str], bool]] = {
    "sees_all_rows": sees_all_rows,
    "sees_own_rows_only": sees_own_rows_only,
    "needs_employee": needs_employee,
    "needs_headed_team": needs_headed_team,
    "can_edit_plans": can_edit_plans,
    "company_wide_plan": lambda role: can_edit_plan(role, None, 2),
    "own_team_plan": lambda role: can_edit_plan(role, 2, 2),
    "other_team_plan": lambda role: can_edit_plan(role, 3, 2),
    "sees_plan_design": sees_plan_design,
    "page_overview": lambda role: can_see_page(role, "overview"),
    "page_incentives": lambda role: can_see_page(role, "incentives"),
    "page_data": lambda role: can_see_page(role, "data"),
    "page_users": lambda role: can_see_page(role, "users"),
    "sees_connection_details": sees_connection_details,
    "can_manage_users": can_manage_users,
    "can_seed": can_seed,
    "can_preview": can_preview,
}


def test_the_roles_in_menu_order() -> None:
    assert ROLES == ("exec", "head", "rep", "analyst", "admin")
    assert [Role(role) for role in ROLES] == list(Role)
    assert set(ROLE_LABELS) == set(ROLE_NEEDS) == set(ROLES)
    assert ROLE_LABELS["head"] == "Sales head"


def test_employee_roles_are_another_vocabulary() -> None:
    assert {role.value for role in EmployeeRole} == {"rep", "head", "exec", "analyst", "service"}
    assert "service" not in ROLES and "admin" not in set(EmployeeRole)
    assert EMPLOYEE_LOGIN_ROLES == ("rep", "head", "exec", "analyst")
    assert SALES_ROLES == ("rep", "head")


@pytest.mark.parametrize("action", sorted(TABLE))
@pytest.mark.parametrize("index, role", enumerate(ROLES))
def test_permission_table(action: str, index: int, role: str) -> None:
    assert ACTIONS[action](role) is TABLE[action][index]
    assert ACTIONS[action](Role(role)) is TABLE[action][index]  # the enum answers alike


@pytest.mark.parametrize("action", sorted(TABLE))
def test_unknown_or_missing_roles_may_do_nothing(action: str) -> None:
    assert ACTIONS[action]("boss") is False
    assert ACTIONS[action]("Admin") is False  # roles are lower case, compared exactly
    assert sees_connection_details(None) is False


def test_a_role_is_lowered_never_raised() -> None:
    assert roles_at_or_below("admin") == ("admin", "exec", "analyst", "head", "rep")
    assert roles_at_or_below("exec") == ("exec", "head", "rep")
    assert roles_at_or_below("analyst") == ("analyst", "rep")
    assert roles_at_or_below("head") == ("head", "rep")
    assert roles_at_or_below("rep") == ("rep",)
    assert roles_at_or_below("boss") == ()
