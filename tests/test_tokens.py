"""Login tokens (``access.tokens``): only ids and times, both ends, and no forgery."""

from __future__ import annotations

import secrets

import pytest

from access.tokens import MAX_TOKEN_LENGTH, SessionToken, SessionUser, sign_token, verify_token

SECRET = secrets.token_urlsafe(48)
TOKEN = SessionToken(user_id=7, version=3, expires=50_000, idle_until=3_600)


def test_token_round_trip_holds_only_ids_and_times() -> None:
    text = sign_token(SECRET, TOKEN)
    assert text.startswith("s1.7.3.50000.3600.")
    assert len(text) == len("s1.7.3.50000.3600.") + 43  # a base64url SHA-256, no padding
    assert verify_token(SECRET, text) == TOKEN
    assert verify_token(SECRET, text).user == SessionUser(7, 3)  # type: ignore[union-attr]


def test_token_expires_at_either_end() -> None:
    token = verify_token(SECRET, sign_token(SECRET, TOKEN))
    assert token is not None
    assert token.live(0.0) and token.live(3_599.9)
    assert not token.live(3_600.0)  # idle deadline reached
    renewed = SessionToken(7, 3, expires=50_000, idle_until=60_000)
    assert renewed.live(49_999.0) and not renewed.live(50_000.0)  # the login's end wins


@pytest.mark.parametrize(
    "field, value",
    [("user_id", 8), ("version", 4), ("expires", 99_999), ("idle_until", 99_999)],
)
def test_a_changed_field_breaks_the_signature(field: str, value: int) -> None:
    good = sign_token(SECRET, TOKEN).split(".")
    forged = sign_token(SECRET, SessionToken(**{**TOKEN.__dict__, field: value})).split(".")
    # the forger's fields with the original signature
    assert verify_token(SECRET, ".".join([*forged[:-1], good[-1]])) is None


def test_tampered_or_foreign_tokens_are_refused() -> None:
    text = sign_token(SECRET, TOKEN)
    flipped = text[:-1] + ("A" if text[-1] != "A" else "B")
    assert verify_token(SECRET, flipped) is None
    assert verify_token(secrets.token_urlsafe(48), text) is None  # another server's secret
    for bad in ["", "s1", text + "x", "s2" + text[2:], text.replace(".", ",", 1),
                "s1.-7.3.50000.3600." + text.rsplit(".", 1)[1], None, 12]:  # fmt: skip
        assert verify_token(SECRET, bad) is None  # type: ignore[arg-type]
    assert verify_token(SECRET, "s1." + "9" * MAX_TOKEN_LENGTH) is None  # refused unread


def test_signing_refuses_a_short_secret_and_negative_fields() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        sign_token("short secret", TOKEN)
    with pytest.raises(ValueError, match="negative"):
        sign_token(SECRET, SessionToken(-1, 0, 10, 10))
