"""Login credentials: the e-mail as it is compared, the bounds of what a login may send, and
argon2id password hashes (``argon2-cffi`` default parameters).

Everything here is pure: the accounts themselves are stored by :mod:`appdb.users`.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error

from i18n import _, ngettext
from i18n.formatting import format_count

__all__ = [
    "EMAIL_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "credentials_problem",
    "dummy_hash",
    "hash_password",
    "needs_rehash",
    "normalize_email",
    "verify_password",
]

MIN_PASSWORD_LENGTH = 8
#: Longer passwords are refused before hashing (argon2 reads all of it).
MAX_PASSWORD_LENGTH = 1024
#: The longest e-mail address a login may send (a local part of 64, ``@``, a domain of 255).
EMAIL_LENGTH = 320

_HASHER = PasswordHasher()


def normalize_email(email: str) -> str:
    """An e-mail as stored and compared: surrounding spaces dropped, lower case."""
    return email.strip().lower()


def credentials_problem(email: str, password: str) -> str | None:
    r"""What makes a login's e-mail or password impossible before anything is hashed, stored or
    queried (longer than :data:`EMAIL_LENGTH` or :data:`MAX_PASSWORD_LENGTH`, or an e-mail with
    a control character such as NUL, which PostgreSQL refuses in a query), else None.

    Examples
    --------
    >>> credentials_problem("ann@example.com", "secret-pass") is None
    True
    >>> credentials_problem("ann\x00@example.com", "secret-pass")
    'The e-mail holds a character no e-mail address has: check it.'
    """
    if len(normalize_email(email)) > EMAIL_LENGTH:
        return _("The e-mail is longer than {n} characters: check it.").format(
            n=format_count(EMAIL_LENGTH)
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in email):
        return _("The e-mail holds a character no e-mail address has: check it.")
    if len(password) > MAX_PASSWORD_LENGTH:
        return _(
            "The password is longer than {n} characters, which no account's password is: check it."
        ).format(n=format_count(MAX_PASSWORD_LENGTH))
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (``argon2-cffi`` default parameters).

    Raises
    ------
    ValueError
        If the password is shorter than :data:`MIN_PASSWORD_LENGTH` or longer than
        :data:`MAX_PASSWORD_LENGTH`; the message says so.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            ngettext(
                "The password is too short: use at least {n} character.",
                "The password is too short: use at least {n} characters.",
                MIN_PASSWORD_LENGTH,
            ).format(n=format_count(MIN_PASSWORD_LENGTH))
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(
            ngettext(
                "The password is too long: use at most {n} character.",
                "The password is too long: use at most {n} characters.",
                MAX_PASSWORD_LENGTH,
            ).format(n=MAX_PASSWORD_LENGTH)
        )
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str | None) -> bool:
    """Whether ``password`` matches ``password_hash``; False on a mismatch or any bad input."""
    if not isinstance(password_hash, str) or not isinstance(password, str):
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (Argon2Error, ValueError):  # mismatch, corrupt or malformed hash
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether ``password_hash`` was made with other parameters than today's defaults."""
    return _HASHER.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """A fixed hash to verify for unknown users, so that they take as long as known ones."""
    return _HASHER.hash("no user has this password")
