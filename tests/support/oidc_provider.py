"""A tiny OpenID Connect provider on 127.0.0.1 for the login tests (a test helper, not app code).

It implements the authorization-code flow of OpenID Connect Core 1.0 just far enough for
Streamlit's ``st.login`` (Authlib's Starlette client with ``server_metadata_url``) and for
Authlib's plain OAuth2 clients:

* ``/.well-known/openid-configuration`` — discovery metadata;
* ``/authorize`` — no login screen: redirects at once to ``redirect_uri?code=...&state=...``,
  remembering the nonce, the redirect URI and a copy of the current :attr:`OidcProvider.user`
  claims for that code (PKCE parameters are accepted and ignored);
* ``/token`` — exchanges a code once (client authentication ``client_secret_basic`` or
  ``client_secret_post``) for an access token and an RS256 ``id_token``;
* ``/userinfo`` — the claims for a bearer access token;
* ``/jwks`` — the public signing key (generated at start);
* ``/logout`` — RP-initiated logout: 302 to ``post_logout_redirect_uri``, else a small page.

Usage::

    with OidcProvider() as idp:
        idp.user = {"sub": "u-7", "email": "rep@example.com", "email_verified": True,
                    "name": "Rita", "roles": ["rep"]}
        secrets_toml = idp.streamlit_secrets(app_port=8501)
        ...
        assert idp.logins == 1

:func:`forge_user_cookie` makes the login cookie Streamlit would set after a login, without
any provider: what an attacker who knows the ``cookie_secret`` can do.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from itsdangerous import URLSafeTimedSerializer
from joserfc import jwt
from joserfc.jwk import RSAKey

__all__ = ["OidcProvider", "example_cookie_secret", "forge_user_cookie"]

TOKEN_LIFETIME = 3600  # seconds, for access and ID tokens
#: Streamlit's login cookie (``streamlit.web.server.server_util.AUTH_COOKIE_NAME``).
USER_COOKIE = "_streamlit_user"
EXAMPLE_SECRETS = Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.toml.example"
DEFAULT_COOKIE_SECRET = "oidc-provider-test-cookie-secret-0123456789"
STANDARD_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name")


def forge_user_cookie(secret: str, origin: str, claims: dict[str, Any]) -> str:
    """A ``_streamlit_user`` cookie value for ``claims``, signed with ``secret`` as Streamlit
    1.67 signs it after a login (``starlette_auth_routes._set_single_cookie``): itsdangerous'
    ``URLSafeTimedSerializer`` salted with the cookie name, over the JSON of the ID token's
    claims plus ``origin`` (the app's scheme, host and port), ``is_logged_in`` and ``provider``.
    """
    payload = {**claims, "origin": origin, "is_logged_in": True, "provider": "default"}
    serializer = URLSafeTimedSerializer(secret, salt=USER_COOKIE)
    return serializer.dumps(json.dumps(payload))


def example_cookie_secret() -> str:
    """The ``cookie_secret`` placeholder of ``.streamlit/secrets.toml.example``."""
    found = re.search(r'^#?\s*cookie_secret\s*=\s*"([^"]*)"', EXAMPLE_SECRETS.read_text(), re.M)
    if found is None:
        raise LookupError(f"{EXAMPLE_SECRETS} shows no cookie_secret")
    return found.group(1)


class _OAuthError(Exception):
    """An OAuth error response: HTTP status, ``error`` code and description."""

    def __init__(self, status: HTTPStatus, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class OidcProvider:
    """An OpenID Connect provider serving one client, in a background thread.

    Attributes
    ----------
    user : dict
        The claims the next login returns (``sub``, ``email``, ``name`` and any custom claims,
        e.g. ``roles``); copied when ``/authorize`` issues a code.
    logins : int
        Completed logins (successful code-for-token exchanges).
    logouts : int
        Requests to the end-session endpoint.
    """

    def __init__(
        self, client_id: str = "crm-dashboard", client_secret: str = "test-secret"
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.user: dict[str, Any] = {
            "sub": "user-1",
            "email": "user@example.com",
            "email_verified": True,
            "name": "Test User",
        }
        self.logins = 0
        self.logouts = 0
        self._key = RSAKey.generate_key(
            2048, parameters={"use": "sig", "alg": "RS256"}, auto_kid=True
        )
        self._codes: dict[str, dict[str, Any]] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- life cycle -------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        """``http://127.0.0.1:<port>`` of the running provider."""
        if self._server is None:
            raise RuntimeError("The OIDC provider is not running: call start() first.")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> OidcProvider:
        """Listen on a free port of 127.0.0.1 and serve in a daemon thread."""
        provider = self

        class Handler(_Handler):
            oidc = provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="oidc-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def streamlit_secrets(self, app_port: int, cookie_secret: str = DEFAULT_COOKIE_SECRET) -> str:
        """The ``[auth]`` section of a Streamlit ``secrets.toml`` for an app on ``app_port``."""
        values = {
            "redirect_uri": f"http://127.0.0.1:{app_port}/oauth2callback",
            "cookie_secret": cookie_secret,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "server_metadata_url": f"{self.issuer}/.well-known/openid-configuration",
        }
        # a JSON string is a valid TOML basic string
        lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
        return "[auth]\n" + "\n".join(lines) + "\n"

    # ---- endpoints --------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The discovery document."""
        issuer = self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "end_session_endpoint": f"{issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": sorted(set(STANDARD_CLAIMS) | set(self.user)),
        }

    def jwks(self) -> dict[str, Any]:
        """The public key set."""
        return {"keys": [self._key.as_dict(private=False)]}

    def authorize(self, params: dict[str, str]) -> str:
        """Issue a code for the current user; returns the redirect location."""
        if params.get("client_id") != self.client_id:
            raise _OAuthError(HTTPStatus.BAD_REQUEST, "invalid_client", "unknown client_id")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            raise _OAuthError(HTTPStatus.BAD_REQUEST, "invalid_request", "redirect_uri missing")
        if params.get("response_type") != "code":
            reply = {"error": "unsupported_response_type"}
        else:
            code = secrets.token_urlsafe(24)
            reply = {"code": code}
            with self._lock:
                self._codes[code] = {
                    "client_id": self.client_id,
                    "redirect_uri": redirect_uri,
                    "nonce": params.get("nonce"),
                    "scope": params.get("scope", "openid"),
                    "claims": dict(self.user),
                }
        if "state" in params:
            reply["state"] = params["state"]
        return redirect_uri + ("&" if urlsplit(redirect_uri).query else "?") + urlencode(reply)

    def _client_id(self, authorization: str | None, form: dict[str, str]) -> str:
        """The authenticated client (basic or post); raises invalid_client (401) otherwise."""
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            client_id, _, secret = (unquote_plus(part) for part in decoded.partition(":"))
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        known = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        if not (known and hmac.compare_digest(secret.encode(), self.client_secret.encode())):
            raise _OAuthError(
                HTTPStatus.UNAUTHORIZED, "invalid_client", "client authentication failed"
            )
        return client_id

    def token(self, authorization: str | None, form: dict[str, str]) -> dict[str, Any]:
        """Exchange an authorization code (once) for tokens."""
        client_id = self._client_id(authorization, form)
        if form.get("grant_type") != "authorization_code":
            raise _OAuthError(
                HTTPStatus.BAD_REQUEST, "unsupported_grant_type", "only authorization_code"
            )
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        if grant is None or grant["client_id"] != client_id:
            raise _OAuthError(HTTPStatus.BAD_REQUEST, "invalid_grant", "unknown or used code")
        if form.get("redirect_uri", grant["redirect_uri"]) != grant["redirect_uri"]:
            raise _OAuthError(HTTPStatus.BAD_REQUEST, "invalid_grant", "redirect_uri mismatch")
        claims = grant["claims"]
        now = int(time.time())
        id_claims = {
            **claims,
            "iss": self.issuer,
            "sub": str(claims.get("sub") or claims.get("email") or "user"),
            "aud": client_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
        }
        if grant["nonce"] is not None:
            id_claims["nonce"] = grant["nonce"]
        header = {"alg": "RS256", "kid": self._key.kid, "typ": "JWT"}
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._access_tokens[access_token] = {**claims, "sub": id_claims["sub"]}
            self.logins += 1
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": grant["scope"],
            "id_token": jwt.encode(header, id_claims, self._key),
        }

    def userinfo(self, authorization: str | None) -> dict[str, Any]:
        """The claims of a bearer access token; raises invalid_token (401) otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            claims = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
        if claims is None:
            raise _OAuthError(HTTPStatus.UNAUTHORIZED, "invalid_token", "unknown access token")
        return claims

    def logout(self, params: dict[str, str]) -> str | None:
        """Count the logout; the location to redirect to, if the client gave one."""
        with self._lock:
            self.logouts += 1
        target = params.get("post_logout_redirect_uri")
        if target and "state" in params:
            target += ("&" if urlsplit(target).query else "?") + urlencode(
                {"state": params["state"]}
            )
        return target


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the :class:`OidcProvider` set as ``oidc`` on a subclass."""

    oidc: OidcProvider
    server_version = "TinyOIDC/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def _path_and_query(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}

    def _send(
        self,
        status: HTTPStatus,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, payload: dict[str, Any], status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(payload), "application/json")

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.FOUND, "", "text/plain", {"Location": location})

    def _error(self, error: _OAuthError) -> None:
        headers = {}
        if error.status == HTTPStatus.UNAUTHORIZED:
            scheme = "Bearer" if error.error == "invalid_token" else "Basic"
            headers["WWW-Authenticate"] = f'{scheme} error="{error.error}"'
        body = json.dumps({"error": error.error, "error_description": error.description})
        self._send(error.status, body, "application/json", headers)

    def do_GET(self) -> None:
        """Discovery, authorize, userinfo, jwks and logout."""
        path, params = self._path_and_query()
        try:
            if path == "/.well-known/openid-configuration":
                self._json(self.oidc.metadata())
            elif path == "/jwks":
                self._json(self.oidc.jwks())
            elif path == "/authorize":
                self._redirect(self.oidc.authorize(params))
            elif path == "/userinfo":
                self._json(self.oidc.userinfo(self.headers.get("Authorization")))
            elif path == "/logout":
                target = self.oidc.logout(params)
                if target:
                    self._redirect(target)
                else:
                    self._send(HTTPStatus.OK, "<!doctype html><p>Signed out.</p>", "text/html")
            else:
                self._send(HTTPStatus.NOT_FOUND, "not found", "text/plain")
        except _OAuthError as error:
            self._error(error)

    def do_POST(self) -> None:
        """Token exchange (form-encoded body) and userinfo."""
        path, _ = self._path_and_query()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        try:
            if path == "/token":
                self._json(self.oidc.token(self.headers.get("Authorization"), form))
            elif path == "/userinfo":
                self._json(self.oidc.userinfo(self.headers.get("Authorization")))
            else:
                self._send(HTTPStatus.NOT_FOUND, "not found", "text/plain")
        except _OAuthError as error:
            self._error(error)
