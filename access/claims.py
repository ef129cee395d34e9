"""OIDC role claims (``oidc`` mode, ``[crm_auth] role_claims = true``): which claimed roles
count, and the role they give.

The role of a user comes from the database; a role claim of the ID token may only lower it
(:func:`access.roles.roles_at_or_below`), never raise it, and only the claimed roles of the
allowlist (``[crm_auth] allowed_roles``, any of :data:`CLAIMABLE_ROLES`) count.  Someone the
database does not know at all gets an executive's or analyst's role from a claim
(:data:`CLAIM_ONLY_ROLES`), never an admin's.  Looking the user up is
:func:`appdb.users.resolve_identity`'s part.

Examples
--------
>>> claimed_roles(" Head, admin,rep", allowed=CLAIMABLE_ROLES)
('head', 'rep')
>>> lowered_role("exec", ("admin", "rep")), lowered_role("rep", ("head",))
('rep', 'rep')
>>> claim_only_role(("rep", "analyst"))
<Role.ANALYST: 'analyst'>
"""

from __future__ import annotations

from collections.abc import Iterable

from access.roles import ROLES, Role, roles_at_or_below

__all__ = [
    "CLAIMABLE_ROLES",
    "CLAIM_ONLY_ROLES",
    "claim_only_role",
    "claimed_roles",
    "lowered_role",
]

#: Roles ``[crm_auth] allowed_roles`` may hold: admin comes from an ``app_users`` row only.
CLAIMABLE_ROLES: tuple[str, ...] = tuple(role for role in ROLES if role != Role.ADMIN)
#: Roles a claim may give someone with neither an ``app_users`` row nor an employee record
#: (``rep`` and ``head`` need an employee; ``admin`` comes from an ``app_users`` row only).
CLAIM_ONLY_ROLES: tuple[Role, ...] = (Role.EXEC, Role.ANALYST)


def claimed_roles(claim_roles: Iterable[str] | str, allowed: Iterable[str]) -> tuple[str, ...]:
    """The claimed roles (stripped, lower-cased, in order) that are in ``allowed``; a string
    claim may hold several roles separated by commas.
    """
    claims = claim_roles.split(",") if isinstance(claim_roles, str) else tuple(claim_roles)
    permitted = frozenset(allowed)
    return tuple(r for r in (str(c).strip().lower() for c in claims) if r in permitted)


def lowered_role(role: str, claimed: tuple[str, ...]) -> str:
    """The first of ``claimed`` that ``role`` may be lowered to
    (:func:`~access.roles.roles_at_or_below`), else ``role`` itself: a claimed role above
    ``role`` is ignored.
    """
    lower = roles_at_or_below(role)
    return next((r for r in claimed if r in lower), role)


def claim_only_role(claimed: tuple[str, ...]) -> Role | None:
    """The role of the first of ``claimed`` that is in :data:`CLAIM_ONLY_ROLES`, else None."""
    return next((Role(r) for r in claimed if r in CLAIM_ONLY_ROLES), None)
