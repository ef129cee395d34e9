"""The test OIDC provider (``tests/oidc_provider.py``) driven by Authlib's client and httpx."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tests.support.oidc_provider import OidcProvider, example_cookie_secret, forge_user_cookie

REDIRECT_URI = "http://127.0.0.1:8501/oauth2callback"
RITA = {"sub": "u-12", "email": "rita.rep@example.com", "name": "Rita Rep", "roles": ["rep"]}


@pytest.fixture
def idp() -> Iterator[OidcProvider]:
    with OidcProvider() as provider:
        provider.user = dict(RITA)
        yield provider


def discover(idp: OidcProvider) -> dict[str, Any]:
    response = httpx.get(f"{idp.issuer}/.well-known/openid-configuration")
    assert response.status_code == 200
    return response.json()


def client(idp: OidcProvider, method: str = "client_secret_basic", **kwargs: Any) -> OAuth2Client:
    return OAuth2Client(
        idp.client_id,
        kwargs.pop("client_secret", idp.client_secret),
        scope="openid email profile",
        redirect_uri=REDIRECT_URI,
        token_endpoint_auth_method=method,
        **kwargs,
    )


def authorize(idp: OidcProvider, oauth: OAuth2Client, **params: str) -> tuple[str, str]:
    """Follow /authorize once; returns (the redirect location, the state sent)."""
    url, state = oauth.create_authorization_url(f"{idp.issuer}/authorize", **params)
    response = httpx.get(url)  # httpx does not follow redirects by default
    assert response.status_code == 302
    return response.headers["location"], state


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def verified_claims(idp: OidcProvider, id_token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(httpx.get(discover(idp)["jwks_uri"]).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    assert token.header["alg"] == "RS256"
    return dict(token.claims)


def test_discovery(idp: OidcProvider) -> None:
    meta = discover(idp)
    issuer = idp.issuer
    assert issuer.startswith("http://127.0.0.1:")
    assert meta["issuer"] == issuer
    assert meta["authorization_endpoint"] == f"{issuer}/authorize"
    assert meta["token_endpoint"] == f"{issuer}/token"
    assert meta["jwks_uri"] == f"{issuer}/jwks"
    assert meta["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert meta["end_session_endpoint"] == f"{issuer}/logout"
    assert meta["response_types_supported"] == ["code"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert {"openid", "email", "profile"} <= set(meta["scopes_supported"])
    assert {"email", "name", "nonce", "roles"} <= set(meta["claims_supported"])
    assert meta["subject_types_supported"] == ["public"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_code_flow_with_authlib(idp: OidcProvider, method: str) -> None:
    oauth = client(idp, method, code_challenge_method="S256")  # PKCE: accepted, ignored
    verifier = "v" * 48
    location, state = authorize(idp, oauth, nonce="n-0S6_WzA2Mj", code_verifier=verifier)
    assert location.startswith(REDIRECT_URI + "?")
    params = query(location)
    assert params["state"] == state
    assert params["code"]
    assert idp.logins == 0  # a login completes with the token exchange

    token = oauth.fetch_token(
        f"{idp.issuer}/token", authorization_response=location, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert idp.logins == 1

    claims = verified_claims(idp, token["id_token"])
    JWTClaimsRegistry(
        iss={"essential": True, "value": idp.issuer},
        aud={"essential": True, "value": "crm-dashboard"},
        nonce={"essential": True, "value": "n-0S6_WzA2Mj"},
        sub={"essential": True, "value": "u-12"},
    ).validate(claims)
    assert claims["exp"] - claims["iat"] == 3600  # one hour
    assert (claims["email"], claims["name"], claims["roles"]) == (
        "rita.rep@example.com",
        "Rita Rep",
        ["rep"],
    )

    userinfo = oauth.get(f"{idp.issuer}/userinfo")  # Authlib sends the bearer token
    assert userinfo.status_code == 200
    assert userinfo.json() == RITA


def test_claims_are_those_of_the_user_at_authorize_time(idp: OidcProvider) -> None:
    oauth = client(idp)
    first, _ = authorize(idp, oauth, nonce="n1")
    idp.user = {"email": "eva@example.com", "name": "Eva Exec", "roles": ["exec"]}
    second, _ = authorize(idp, oauth, nonce="n2")
    token_url = f"{idp.issuer}/token"
    later = verified_claims(
        idp, oauth.fetch_token(token_url, authorization_response=second)["id_token"]
    )
    earlier = verified_claims(
        idp, oauth.fetch_token(token_url, authorization_response=first)["id_token"]
    )
    assert (earlier["email"], earlier["sub"], earlier["nonce"]) == (
        "rita.rep@example.com",
        "u-12",
        "n1",
    )
    # without a "sub" claim the subject is the email
    assert (later["email"], later["sub"], later["roles"], later["nonce"]) == (
        "eva@example.com",
        "eva@example.com",
        ["exec"],
        "n2",
    )
    assert idp.logins == 2


def test_token_endpoint_rejections(idp: OidcProvider) -> None:
    location, _ = authorize(idp, client(idp), nonce="n")
    code = query(location)["code"]
    token_url = f"{idp.issuer}/token"
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}

    wrong = httpx.post(token_url, data=form, auth=("crm-dashboard", "wrong-secret"))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic")
    posted = httpx.post(token_url, data={**form, "client_id": "crm-dashboard"})  # no secret
    assert (posted.status_code, posted.json()["error"]) == (401, "invalid_client")
    other_uri = httpx.post(
        token_url,
        data={**form, "redirect_uri": "http://evil.example/cb"},
        auth=("crm-dashboard", "test-secret"),
    )
    assert (other_uri.status_code, other_uri.json()["error"]) == (400, "invalid_grant")
    assert idp.logins == 0

    location, _ = authorize(idp, client(idp), nonce="n")
    form["code"] = query(location)["code"]
    good = httpx.post(token_url, data=form, auth=("crm-dashboard", "test-secret"))
    assert good.status_code == 200
    assert good.headers["cache-control"] == "no-store"
    again = httpx.post(token_url, data=form, auth=("crm-dashboard", "test-secret"))
    assert (again.status_code, again.json()["error"]) == (
        400,
        "invalid_grant",
    )  # codes are single-use
    grant = httpx.post(
        token_url, data={**form, "grant_type": "password"}, auth=("crm-dashboard", "test-secret")
    )
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")
    assert idp.logins == 1


def test_wrong_client_secret_fails_in_authlib(idp: OidcProvider) -> None:
    oauth = client(idp, client_secret="not-the-secret")
    location, _ = authorize(idp, oauth, nonce="n")
    with pytest.raises(Exception, match="invalid_client"):
        oauth.fetch_token(f"{idp.issuer}/token", authorization_response=location)
    assert idp.logins == 0


def test_authorize_rejections(idp: OidcProvider) -> None:
    base = f"{idp.issuer}/authorize"
    unknown = httpx.get(base, params={"client_id": "someone", "redirect_uri": REDIRECT_URI})
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_client")
    implicit = httpx.get(
        base,
        params={
            "client_id": "crm-dashboard",
            "response_type": "token",
            "redirect_uri": REDIRECT_URI,
            "state": "s1",
        },
    )
    assert implicit.status_code == 302
    assert query(implicit.headers["location"]) == {
        "error": "unsupported_response_type",
        "state": "s1",
    }


def test_userinfo_needs_a_valid_bearer_token(idp: OidcProvider) -> None:
    response = httpx.get(f"{idp.issuer}/userinfo", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_logout(idp: OidcProvider) -> None:
    back = "http://127.0.0.1:8501/"
    redirected = httpx.get(
        f"{idp.issuer}/logout",
        params={"client_id": "crm-dashboard", "post_logout_redirect_uri": back},
    )
    assert (redirected.status_code, redirected.headers["location"]) == (302, back)
    page = httpx.get(f"{idp.issuer}/logout")
    assert page.status_code == 200
    assert "Signed out" in page.text
    assert idp.logouts == 2


def test_streamlit_secrets_and_stop() -> None:
    idp = OidcProvider(client_id="app", client_secret="s3cret").start()
    issuer = idp.issuer
    auth = tomllib.loads(idp.streamlit_secrets(app_port=8765))["auth"]
    assert auth == {
        "redirect_uri": "http://127.0.0.1:8765/oauth2callback",
        "cookie_secret": auth["cookie_secret"],
        "client_id": "app",
        "client_secret": "s3cret",
        "server_metadata_url": f"{issuer}/.well-known/openid-configuration",
    }
    assert len(auth["cookie_secret"]) >= 32
    assert (
        tomllib.loads(idp.streamlit_secrets(8765, cookie_secret="x" * 40))["auth"]["cookie_secret"]
        == "x" * 40
    )
    idp.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{issuer}/jwks")
    with pytest.raises(RuntimeError, match="not running"):
        _ = idp.issuer


def test_a_forged_user_cookie_is_what_streamlit_accepts() -> None:
    """Streamlit's own cookie code reads the forged cookie as a login: with the secret, a
    cookie needs no identity provider (hence the app's refusal of a known secret)."""
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value
    from streamlit.web.server.starlette.starlette_websocket import _parse_decoded_user_cookie

    secret, origin = example_cookie_secret(), "http://127.0.0.1:8765"
    cookie = forge_user_cookie(secret, origin, {"email": "eva@example.com", "email_verified": True})
    decoded = decode_signed_value(secret, "_streamlit_user", cookie.encode("latin-1"))
    assert decoded is not None
    assert _parse_decoded_user_cookie(decoded, origin) == {
        "is_logged_in": True,
        "email": "eva@example.com",
        "email_verified": True,
        "provider": "default",
    }
    assert decode_signed_value("another secret" * 3, "_streamlit_user", cookie) is None
    assert _parse_decoded_user_cookie(decoded, "http://127.0.0.1:9999") == {}  # another origin
