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
from access.roles import ROLE_NEEDS, ROLES, Role, needs_employee, needs_headed_team, role_label
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
from i18n import _, ngettext, pgettext
from i18n.formatting import format_count
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


def _role_help() -> str:
    """What each role needs, one line per role, in the language in force."""
    return "  \n".join(
        _("**{role}** needs {needs}.").format(role=role_label(role), needs=_(ROLE_NEEDS[role]))
        for role in ROLES
    )


def _differ() -> str:
    """The message when the two typed passwords differ."""
    return _("The two passwords differ; nothing was changed. Type them again.")


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
            _("No current employee can be a {role}: the role needs {needs}.").format(
                role=role_label(role).lower(), needs=_(ROLE_NEEDS[role])
            ),
            icon=":material/person_off:",
        )
        return None
    shown: dict[int | None, str] = {None: _("— none —")}  # bound now, in this run's language
    shown.update(
        (i, labels.get(i, _("employee {id} (gone)").format(id=i))) for i in choices if i is not None
    )
    return st.selectbox(
        _("Employee"),
        choices,
        index=choices.index(current) if current in choices else None,
        format_func=shown.__getitem__,
        placeholder=_("Pick the employee (type to search)"),
        key=key,
        help=_("Search by name, team or e-mail."),
    )


def _passwords(key: str) -> tuple[str, str]:
    """A new password typed twice (never shown)."""
    left, right = st.columns(2)
    first = left.text_input(
        _("Password"),
        type="password",
        key=f"{key}_pw1",
        autocomplete="new-password",
        max_chars=MAX_PASSWORD_LENGTH,
        help=_("{low} to {high} characters.").format(
            low=format_count(MIN_PASSWORD_LENGTH), high=format_count(MAX_PASSWORD_LENGTH)
        ),
    )
    second = right.text_input(
        _("Repeat the password"),
        type="password",
        key=f"{key}_pw2",
        autocomplete="new-password",
        max_chars=MAX_PASSWORD_LENGTH,
    )
    return first, second


def _users_table(users: pd.DataFrame) -> pd.DataFrame:
    """The users as the table shows and exports them, headed in the language in force."""
    roles = {role: role_label(role) for role in ROLES}
    return pd.DataFrame(
        {
            _("E-mail"): users["email"],
            pgettext("person", "Name"): users["name"],
            _("Role"): users["role"].map(roles).fillna(users["role"]),
            _("Employee"): users["employee"],
            _("Team"): users["team"],
            _("Sign-in"): users["has_password"].map({True: _("password"), False: _("OIDC only")}),
            _("Enabled"): users["active"].map({True: _("yes"), False: _("no")}),
            _("Problem"): users["problem"],
        }
    )


def _add_form(staff: pd.DataFrame, labels: dict[int, str]) -> None:
    """Add a user: e-mail, role, employee, display name, password or OIDC only."""
    email = st.text_input(
        _("E-mail"), key="users_add_email", max_chars=320, placeholder="name@example.com"
    )
    roles = {role: role_label(role) for role in ROLES}  # translated now, not when formatted
    left, right = st.columns(2)
    with left:
        role = st.selectbox(
            _("Role"),
            ROLES,
            index=ROLES.index(Role.REP),
            format_func=roles.__getitem__,
            key="users_add_role",
            help=_role_help(),
        )
    with right:
        employee = _pick_employee(staff, labels, role, f"users_add_employee_{role}")
    name = st.text_input(
        _("Display name (optional)"),
        key="users_add_name",
        max_chars=200,
        help=_("Default: the employee's name, else the e-mail."),
    )
    oidc_only = st.toggle(
        _("OIDC only (no password)"),
        key="users_add_oidc",
        help=_("The user logs in through the identity provider."),
    )
    first, second = ("", "") if oidc_only else _passwords("users_add")
    fields = ("users_add_pw1", "users_add_pw2")
    if st.button(_("Add user"), type="primary", icon=":material/person_add:", key="users_add_go"):
        if not oidc_only and first != second:
            _finish("error", _differ(), fields, "add")
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
            _("Added {email} as {role}.").format(
                email=email.strip().lower(), role=roles[role].lower()
            ),
            fields,
            ("users_add_email", "users_add_name"),
            where="add",
        )
    _flash("add")


def _manage(user: pd.Series, staff: pd.DataFrame, labels: dict[int, str]) -> None:
    """Change the selected user: role and employee, enable/disable, password, log out, remove."""
    email = str(user["email"])
    key = f"users_{email}"

    st.markdown(_("**Role and employee** of the user picked above"))
    roles = {role: role_label(role) for role in ROLES}  # translated now, not when formatted
    left, right = st.columns(2)
    with left:
        index = ROLES.index(user["role"]) if user["role"] in ROLES else 0
        role = st.selectbox(
            _("Role"),
            ROLES,
            index=index,
            help=_role_help(),
            format_func=roles.__getitem__,
            key=f"{key}_role",
        )
    current = None if pd.isna(user["employee_id"]) else int(user["employee_id"])
    with right:
        employee = _pick_employee(staff, labels, role, f"{key}_employee_{role}", current)
    if st.button(_("Save role and employee"), icon=":material/save:", key=f"{key}_save"):
        _act(
            lambda: set_role(databases, email, role, employee_id=employee, actor=actor),
            _("{email} is now {role}.").format(email=email, role=roles[role].lower()),
        )

    st.markdown(_("**Reset the password**"))
    first, second = _passwords(key)
    fields = (f"{key}_pw1", f"{key}_pw2")
    if st.button(_("Set password"), icon=":material/password:", key=f"{key}_setpw"):
        if first != second:
            _finish("error", _differ(), fields, "change")
        _act(
            lambda: set_password(databases, email, first, actor=actor),
            _("New password set for {email}; their open logins end.").format(email=email),
            fields,
        )

    st.markdown(_("**Access**"))
    cols = st.columns(3)
    if user["active"]:
        if cols[0].button(
            _("Disable"),
            icon=":material/block:",
            key=f"{key}_disable",
            help=_("They cannot log in, and their open logins end."),
        ):
            _act(
                lambda: set_active(databases, email, False, actor=actor),
                _("Disabled {email}.").format(email=email),
            )
    elif cols[0].button(_("Enable"), icon=":material/check_circle:", key=f"{key}_enable"):
        _act(
            lambda: set_active(databases, email, True, actor=actor),
            _("Enabled {email} again.").format(email=email),
        )
    if cols[1].button(
        _("Log out everywhere"),
        icon=":material/logout:",
        key=f"{key}_revoke",
        help=_("Ends every open login of this user; they can log in again."),
    ):
        _act(
            lambda: revoke_sessions(databases, email, actor=actor),
            _("Every login of {email} ends now.").format(email=email),
        )
    sure = cols[2].checkbox(_("Yes, remove this user"), key=f"{key}_sure")
    if cols[2].button(
        _("Remove"),
        icon=":material/delete:",
        key=f"{key}_remove",
        disabled=not sure,
        type="primary",
    ):
        _act(
            lambda: remove_user(databases, email, actor=actor),
            _("Removed {email}.").format(email=email),
            reset=("users_pick",),
        )


page_header(_("Users"), context, _("Who may log in, with which role and employee"))
if auth_settings().mode == "none":
    st.info(
        _(
            "The app runs without logins (auth mode `none`): these users count once "
            "`CRM_AUTH_MODE` is `password` or `oidc`."
        ),
        icon=":material/info:",
    )

try:
    staff = cached_report(list_employees, databases.crm)
except UserError as exc:  # no employees table: users without an employee only
    st.caption(str(exc))
    staff = pd.DataFrame(columns=["employee_id", "left_at", "heads"])
labels = {int(e["employee_id"]): employee_label(e) for e in staff.to_dict("records")}
users = list_users(databases, actor=actor)

with st.expander(_("Add a user"), icon=":material/person_add:", expanded=users.empty):
    _add_form(staff, labels)

if users.empty:
    st.info(_("No users yet: add the first one above."), icon=":material/group:")
else:
    for user in users[users["problem"].notna()].itertuples():  # in full, not cut in a cell
        address, problem = str(user.email), str(user.problem)  # str columns; the stubs: Scalar
        text = _("**{email} cannot log in:** {problem}").format(
            email=escape_markdown(address), problem=escape_markdown(problem)
        )
        st.warning(text, icon=":material/report:")
    data_table(
        _users_table(users),
        key="users_table",
        file_stem="users",
        context=context.export_context(_("Users")),
        column_config={_("Problem"): None},  # above the table, and in the export
    )
    email = st.selectbox(
        _("Change a user"),
        users["email"].tolist(),
        index=None,
        placeholder=ngettext(
            "Pick one of the {n} users", "Pick one of the {n} users", len(users)
        ).format(n=format_count(len(users))),
        key="users_pick",
    )
    if email is not None:
        with st.container(border=True):
            _manage(users[users["email"] == email].iloc[0], staff, labels)
_flash("change")
