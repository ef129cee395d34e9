"""Login tokens that keep a password login across refreshes and tabs (DESIGN.md §4, issue #14
item 3): their text, signing and checking, and the secrets fit to sign them.

A token is the text ``s1.<user id>.<version>.<expires>.<idle until>.<signature>``: the
``app_users`` id, the user's ``session_version`` when the token was made, two Unix times in
whole seconds (the end of the login, and the end unless the user is active again before it) and
an HMAC-SHA256 of everything before it, keyed with the server's secret.  It holds no e-mail,
password, hash or role: the role, employee and team are read from the database whenever a
token is used (:mod:`appdb.sessions`, which also holds the stored facts that end a token).

Only the standard library is used (``hmac``, ``hashlib``, ``secrets``): the format is small
enough to check by eye.

Examples
--------
>>> secret = "x" * 32
>>> text = sign_token(secret, SessionToken(7, 3, expires=1_000, idle_until=600))
>>> verify_token(secret, text)
SessionToken(user_id=7, version=3, expires=1000, idle_until=600)
>>> verify_token(secret, text.replace(".7.", ".8.", 1)) is None  # tampered: another user
True
>>> verify_token(secret, text).live(599.0), verify_token(secret, text).live(600.0)
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

__all__ = [
    "EXAMPLE_SECRETS",
    "MAKE_SECRET",
    "MAX_TOKEN_LENGTH",
    "MIN_SECRET_CHARACTERS",
    "MIN_SECRET_LENGTH",
    "SessionToken",
    "SessionUser",
    "secret_problem",
    "sign_token",
    "verify_token",
]

#: The shortest secret a token may be signed with (characters).
MIN_SECRET_LENGTH = 32
#: A secret with fewer different characters was typed, not generated.
MIN_SECRET_CHARACTERS = 10
#: The placeholders of ``.streamlit/secrets.toml.example``: anyone can read them.
EXAMPLE_SECRETS = frozenset(
    {"a long random string", "replace-with-the-output-of-the-command-above"}
)
#: How to make a secret.
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
#: Longer texts are refused unread (a token is about 75 characters).
MAX_TOKEN_LENGTH = 128

_FORMAT = "s1"
#: Keys the signature: a secret shared with another use (Streamlit's ``cookie_secret``) never
#: signs a token directly.
_PURPOSE = b"crm-dashboard login token"
_TOKEN = re.compile(r"s1\.(\d{1,10})\.(\d{1,10})\.(\d{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class SessionUser:
    """The ``app_users`` facts a login is tied to.

    Attributes
    ----------
    user_id : int
        ``app_users.id``.
    version : int
        ``app_users.session_version`` when the login started; another value ends it.
    """

    user_id: int
    version: int


@dataclass(frozen=True)
class SessionToken:
    """What a login token says (see the module docstring for its text form).

    Attributes
    ----------
    user_id, version : int
        The :class:`SessionUser` the token was issued to.
    expires : int
        Unix time (s) the login ends at, however active the user is.
    idle_until : int
        Unix time (s) the token ends at unless a newer one replaces it (each script run of the
        user writes one).
    """

    user_id: int
    version: int
    expires: int
    idle_until: int

    @property
    def user(self) -> SessionUser:
        """The :class:`SessionUser` of the token."""
        return SessionUser(self.user_id, self.version)

    def live(self, now: float) -> bool:
        """Whether the token is still usable at Unix time ``now`` (before both ends)."""
        return now < self.expires and now < self.idle_until


def secret_problem(secret: object) -> str | None:
    """What makes ``secret`` unfit to sign logins, or None: it is not set, it is an example
    file's placeholder, it is shorter than :data:`MIN_SECRET_LENGTH` or it has fewer than
    :data:`MIN_SECRET_CHARACTERS` different characters.

    Examples
    --------
    >>> secret_problem("a long random string")
    "is the example file's, which anyone can read"
    >>> secret_problem("x" * 40)
    'was typed, not generated (few different characters)'
    >>> secret_problem("kP3x-9QmZ_r7Lw2VbN8tYc4HjD6fGs1A") is None
    True
    """
    if not isinstance(secret, str) or not secret:
        return "is not set"
    if secret in EXAMPLE_SECRETS:
        return "is the example file's, which anyone can read"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(secret)) < MIN_SECRET_CHARACTERS:
        return "was typed, not generated (few different characters)"
    return None


def _signature(secret: str, payload: str) -> str:
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"the token secret must have at least {MIN_SECRET_LENGTH} characters")
    key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_token(secret: str, token: SessionToken) -> str:
    """The text of ``token``, signed with ``secret`` (a cookie value: digits, ``.``, ``-``,
    ``_`` and letters only).

    Raises
    ------
    ValueError
        If ``secret`` is shorter than :data:`MIN_SECRET_LENGTH` or a field is negative.
    """
    fields = (token.user_id, token.version, token.expires, token.idle_until)
    if min(fields) < 0:
        raise ValueError(f"token fields must not be negative: {token}")
    payload = ".".join([_FORMAT, *map(str, fields)])
    return f"{payload}.{_signature(secret, payload)}"


def verify_token(secret: str, text: str | None) -> SessionToken | None:
    """The token ``text`` stands for if ``secret`` signed it, else None (also for any malformed
    or over-long text).  Whether it has expired is :meth:`SessionToken.live`'s question.
    """
    if not isinstance(text, str) or len(text) > MAX_TOKEN_LENGTH:
        return None
    match = _TOKEN.fullmatch(text)
    if match is None:
        return None
    payload, signature = text.rsplit(".", 1)
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        return None
    user_id, version, expires, idle_until = map(int, match.groups()[:4])
    return SessionToken(user_id, version, expires, idle_until)
