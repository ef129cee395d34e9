"""Password hashes (``access.passwords``): argon2id, salted, never raising on bad input."""

from __future__ import annotations

import pytest

from access.passwords import hash_password, verify_password

PASSWORD = "correct horse"


def test_hash_password_is_argon2id_and_verifies() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, "correct horsE")
    assert hash_password(PASSWORD) != hashed  # a fresh salt each time


@pytest.mark.parametrize("password", ["", "seven77"])
def test_hash_password_rejects_short_passwords(password: str) -> None:
    with pytest.raises(ValueError, match="at least 8 characters"):
        hash_password(password)


@pytest.mark.parametrize(
    "bad_hash",
    [None, "", "garbage", "$argon2id$v=19$m=65536,t=3,p=4$abc$def", "\x00", b"$argon2id$"],
)
def test_verify_password_never_raises_on_bad_input(bad_hash: object) -> None:
    assert verify_password(bad_hash, PASSWORD) is False  # type: ignore[arg-type]
    assert verify_password(hash_password(PASSWORD), None) is False
