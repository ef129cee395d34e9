"""Users (admins only): who may log in, with which role and employee; add, change, disable,
re-enable and remove users, reset passwords, log a user out everywhere.

Every change goes through ``appdb.users``, which checks again that the acting user is an
admin and keeps at least one enabled admin; its messages are shown as they are (admins may
read them in full).  Passwords are typed twice and never shown: the fields are emptied after
every attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from access.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from access.roles import ROLE_LABELS, ROLE_NEEDS, ROLES, Role, needs_employee, needs_headed_team
from appdb.users import (
    UserError,
    add_user,
    employee_label,
    list_employees,
    list_users,
    remove_user,
    revoke_sessions,
    set_active,
    set_password,
    set_role,
)
from ui.auth import auth_settings
from ui.cache import cached_report
from ui.engine import get_databases
from ui.format import escape_markdown
from ui.page import page_header, page_start
from ui.tables import data_table

context = page_start("users")  # admins only: the page is registered for them alone
databases = get_databases()
actor = context.identity

_FLASH = "users_flash"
_ROLE_HELP = "  \n".join(f"**{ROLE_LABELS[role]}** needs {ROLE_NEEDS[role]}." for role in ROLES)


_DIFFER = "The two passwords differ; nothing was changed. Type them again."


def _finish(kind: str, message: str, clear: Sequence[str], where: str) -> None:
    """Keep ``message`` for the next run, to be shown in the section ``where`` (next to the
    button pressed), empty the widgets ``clear`` and rerun."""
    st.session_state[_FLASH] = (where, kind, message)
    for key in clear:
        st.session_state.pop(key, None)
    st.rerun()


def _act(
    action: Callable[[], None],
    done: str,
    clear: Sequence[str] = (),
    reset: Sequence[str] = (),
    where: str = "change",
) -> None:
    """Run ``action`` (an ``appdb.users`` change) and rerun showing its outcome in the
    section ``where``; the widgets ``clear`` (password fields) are emptied whatever happens,
    ``reset`` after a success."""
    try:
        action()
    except UserError as exc:
        _finish("error", str(exc), clear, where)
    _finish("success", done, (*clear, *reset), where)


def _flash(where: str) -> None:
    """The outcome of the last action, if it was taken in the section ``where``."""
    flash = st.session_state.get(_FLASH)
    if flash is None or flash[0] != where:
        return
    del st.session_state[_FLASH]
    _, kind, message = flash
    (st.error if kind == "error" else st.success)(escape_markdown(message))


def _employee_choices(staff: pd.DataFrame, role: str) -> list[int | None]:
    """The employees ``role`` may be linked to (see ``ROLE_NEEDS``): current employees, those
    whose own role is ``role`` first; for a head only those who head a team; ``None`` (no
    employee) first for exec, analyst and admin."""
    current = staff[staff["left_at"].isna()]
    if needs_headed_team(role):
        current = current[current["heads"].notna()]
    current = current.sort_values("role", key=lambda r: r != role, kind="stable")
    ids: list[int | None] = [int(i) for i in current["employee_id"]]
    return ids if needs_employee(role) else [None, *ids]


def _pick_employee(
    staff: pd.DataFrame, labels: dict[int, str], role: str, key: str, current: int | None = None
) -> int | None:
    """An employee picked by name (team, role and e-mail shown) among those ``role`` allows;
    nothing is preselected for a rep or a head."""
    choices = _employee_choices(staff, role)
    if current is not None and current not in choices:
        choices = [current, *choices]  # keep the present link visible, even if it breaks a rule
    if not choices:
        st.warning(
            f"No current employee can be a {ROLE_LABELS[role].lower()}: "
            f"a {role} needs {ROLE_NEEDS[role]}.",
            icon=":material/person_off:",
        )
        return None
    return st.selectbox(
        "Employee",
        choices,
        index=choices.index(current) if current in choices else None,
        format_func=lambda i: "— none —" if i is None else labels.get(i, f"employee {i} (gone)"),
        placeholder="Pick the employee (type to search)",
        key=key,
        help="Search by name, team or e-mail.",
    )


def _passwords(key: str) -> tuple[str, str]:
    """A new password typed twice (never shown)."""
    left, right = st.columns(2)
    first = left.text_input(
        "Password",
        type="password",
        key=f"{key}_pw1",
        autocomplete="new-password",
        max_chars=MAX_PASSWORD_LENGTH,
        help=f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH:,} characters.",
    )
    second = right.text_input(
        "Repeat the password",
        type="password",
        key=f"{key}_pw2",
        autocomplete="new-password",
        max_chars=MAX_PASSWORD_LENGTH,
    )
    return first, second


def _users_table(users: pd.DataFrame) -> pd.DataFrame:
    """The users as the table shows and exports them."""
    return pd.DataFrame(
        {
            "E-mail": users["email"],
            "Name": users["name"],
            "Role": users["role"].map(ROLE_LABELS).fillna(users["role"]),
            "Employee": users["employee"],
            "Team": users["team"],
            "Sign-in": users["has_password"].map({True: "password", False: "OIDC only"}),
            "Enabled": users["active"].map({True: "yes", False: "no"}),
            "Problem": users["problem"],
        }
    )


def _add_form(staff: pd.DataFrame, labels: dict[int, str]) -> None:
    """Add a user: e-mail, role, employee, display name, password or OIDC only."""
    email = st.text_input(
        "E-mail", key="users_add_email", max_chars=320, placeholder="name@example.com"
    )
    left, right = st.columns(2)
    with left:
        role = st.selectbox(
            "Role",
            ROLES,
            index=ROLES.index(Role.REP),
            format_func=ROLE_LABELS.__getitem__,
            key="users_add_role",
            help=_ROLE_HELP,
        )
    with right:
        employee = _pick_employee(staff, labels, role, f"users_add_employee_{role}")
    name = st.text_input(
        "Display name (optional)",
        key="users_add_name",
        max_chars=200,
        help="Default: the employee's name, else the e-mail.",
    )
    oidc_only = st.toggle(
        "OIDC only (no password)",
        key="users_add_oidc",
        help="The user logs in through the identity provider.",
    )
    first, second = ("", "") if oidc_only else _passwords("users_add")
    fields = ("users_add_pw1", "users_add_pw2")
    if st.button("Add user", type="primary", icon=":material/person_add:", key="users_add_go"):
        if not oidc_only and first != second:
            _finish("error", _DIFFER, fields, "add")
        _act(
            lambda: add_user(
                databases,
                email,
                role,
                actor=actor,
                name=name.strip() or None,
                employee_id=employee,
                password=None if oidc_only else first,
            ),
            f"Added {email.strip().lower()} as {ROLE_LABELS[role].lower()}.",
            fields,
            ("users_add_email", "users_add_name"),
            where="add",
        )
    _flash("add")


def _manage(user: pd.Series, staff: pd.DataFrame, labels: dict[int, str]) -> None:
    """Change the selected user: role and employee, enable/disable, password, log out, remove."""
    email = str(user["email"])
    key = f"users_{email}"

    st.markdown("**Role and employee** of the user picked above")
    left, right = st.columns(2)
    with left:
        index = ROLES.index(user["role"]) if user["role"] in ROLES else 0
        role = st.selectbox(
            "Role",
            ROLES,
            index=index,
            help=_ROLE_HELP,
            format_func=ROLE_LABELS.__getitem__,
            key=f"{key}_role",
        )
    current = None if pd.isna(user["employee_id"]) else int(user["employee_id"])
    with right:
        employee = _pick_employee(staff, labels, role, f"{key}_employee_{role}", current)
    if st.button("Save role and employee", icon=":material/save:", key=f"{key}_save"):
        _act(
            lambda: set_role(databases, email, role, employee_id=employee, actor=actor),
            f"{email} is now {ROLE_LABELS[role].lower()}.",
        )

    st.markdown("**Reset the password**")
    first, second = _passwords(key)
    fields = (f"{key}_pw1", f"{key}_pw2")
    if st.button("Set password", icon=":material/password:", key=f"{key}_setpw"):
        if first != second:
            _finish("error", _DIFFER, fields, "change")
        _act(
            lambda: set_password(databases, email, first, actor=actor),
            f"New password set for {email}; their open logins end.",
            fields,
        )

    st.markdown("**Access**")
    cols = st.columns(3)
    if user["active"]:
        if cols[0].button(
            "Disable",
            icon=":material/block:",
            key=f"{key}_disable",
            help="They cannot log in, and their open logins end.",
        ):
            _act(lambda: set_active(databases, email, False, actor=actor), f"Disabled {email}.")
    elif cols[0].button("Enable", icon=":material/check_circle:", key=f"{key}_enable"):
        _act(lambda: set_active(databases, email, True, actor=actor), f"Enabled {email} again.")
    if cols[1].button(
        "Log out everywhere",
        icon=":material/logout:",
        key=f"{key}_revoke",
        help="Ends every open login of this user; they can log in again.",
    ):
        _act(
            lambda: revoke_sessions(databases, email, actor=actor),
            f"Every login of {email} ends now.",
        )
    sure = cols[2].checkbox("Yes, remove this user", key=f"{key}_sure")
    if cols[2].button(
        "Remove", icon=":material/delete:", key=f"{key}_remove", disabled=not sure, type="primary"
    ):
        _act(
            lambda: remove_user(databases, email, actor=actor),
            f"Removed {email}.",
            reset=("users_pick",),
        )


page_header("Users", context, "Who may log in, with which role and employee")
if auth_settings().mode == "none":
    st.info(
        "The app runs without logins (auth mode `none`): these users count once `CRM_AUTH_MODE` "
        "is `password` or `oidc`.",
        icon=":material/info:",
    )

try:
    staff = cached_report(list_employees, databases.crm)
except UserError as exc:  # no employees table: users without an employee only
    st.caption(str(exc))
    staff = pd.DataFrame(columns=["employee_id", "left_at", "heads"])
labels = {int(e["employee_id"]): employee_label(e) for e in staff.to_dict("records")}
users = list_users(databases, actor=actor)

with st.expander("Add a user", icon=":material/person_add:", expanded=users.empty):
    _add_form(staff, labels)

if users.empty:
    st.info("No users yet: add the first one above.", icon=":material/group:")
else:
    for user in users[users["problem"].notna()].itertuples():  # in full, not cut in a cell
        address, problem = str(user.email), str(user.problem)  # str columns; the stubs: Scalar
        text = f"**{escape_markdown(address)} cannot log in:** {escape_markdown(problem)}"
        st.warning(text, icon=":material/report:")
    data_table(
        _users_table(users),
        key="users_table",
        file_stem="users",
        context=context.export_context("Users"),
        column_config={"Problem": None},  # above the table, and in the export
    )
    email = st.selectbox(
        "Change a user",
        users["email"].tolist(),
        index=None,
        placeholder=f"Pick one of the {len(users)} users",
        key="users_pick",
    )
    if email is not None:
        with st.container(border=True):
            _manage(users[users["email"] == email].iloc[0], staff, labels)
_flash("change")
