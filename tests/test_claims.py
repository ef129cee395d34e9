"""OIDC role claims (``access.claims``): only allowed claims count, and they only lower a role."""

from __future__ import annotations

import pytest

from access.claims import (
    CLAIM_ONLY_ROLES,
    CLAIMABLE_ROLES,
    claim_only_role,
    claimed_roles,
    lowered_role,
)


def test_every_role_but_admin_may_be_allowed_and_claimed_alone_only_exec_analyst() -> None:
    assert CLAIMABLE_ROLES == ("exec", "head", "rep", "analyst")
    assert CLAIM_ONLY_ROLES == ("exec", "analyst")


@pytest.mark.parametrize(
    "claims, allowed, expected",
    [
        (["Head", " rep "], CLAIMABLE_ROLES, ("head", "rep")),
        ("exec, boss,ANALYST", CLAIMABLE_ROLES, ("exec", "analyst")),
        (["admin", "rep"], CLAIMABLE_ROLES, ("rep",)),  # admin is never claimable by default
        (["rep", "head"], ["head"], ("head",)),
        (["rep"], [], ()),  # no allowlist: claims are ignored
        ((), CLAIMABLE_ROLES, ()),
    ],
)
def test_claimed_roles(claims: object, allowed: object, expected: tuple[str, ...]) -> None:
    assert claimed_roles(claims, allowed) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "role, claimed, expected",
    [
        ("admin", ("exec",), "exec"),
        ("admin", ("boss", "analyst", "rep"), "analyst"),  # the first that is below
        ("exec", ("analyst", "head"), "head"),  # analyst is not below exec
        ("analyst", ("exec", "head"), "analyst"),  # neither is below analyst: kept
        ("head", ("admin",), "head"),  # never raised
        ("rep", ("head", "rep"), "rep"),
        ("rep", (), "rep"),
    ],
)
def test_a_claim_lowers_never_raises(role: str, claimed: tuple[str, ...], expected: str) -> None:
    assert lowered_role(role, claimed) == expected


def test_a_claim_alone_gives_exec_or_analyst_only() -> None:
    assert claim_only_role(("rep", "head", "analyst", "exec")) == "analyst"
    assert claim_only_role(("exec",)) == "exec"
    assert claim_only_role(("admin", "rep", "head")) is None
    assert claim_only_role(()) is None
