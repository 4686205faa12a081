"""Login, cookie sessions with CSRF, bearer tokens, logout and API tokens."""

from __future__ import annotations

from shoplabel.domain.users import Role, UserStatus
from shoplabel.services import auth
from shoplabel.web.security import CSRF_HEADER, SESSION_COOKIE, csrf_token
from tests.web.conftest import API, SECRET, Api, error_code


def test_login_sets_cookie_and_returns_token_and_csrf(api: Api) -> None:
    api.user("ann", Role.REQUESTER)
    body = api.login("ann")
    assert body["token_type"] == "bearer"
    assert body["csrf_token"] == csrf_token(SECRET, body["token"])
    cookie = api.client.cookies.get(SESSION_COOKIE)
    assert cookie == body["token"]
    me = api.client.get(f"{API}/me")
    assert me.status_code == 200
    assert me.json() == {
        "id": body["user_id"],
        "username": "ann",
        "role": "requester",
        "csrf_token": body["csrf_token"],
    }


def test_login_cookie_attributes(api: Api) -> None:
    api.user("ann", Role.WORKER)
    r = api.client.post(
        f"{API}/auth/login", json={"username": "ann", "password": "correct horse battery"}
    )
    header = r.headers["set-cookie"].lower()
    assert f"{SESSION_COOKIE}=" in header
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "secure" not in header
    secure = api.with_settings(cookie_secure=True)
    r = secure.post(
        f"{API}/auth/login", json={"username": "ann", "password": "correct horse battery"}
    )
    assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_is_401(api: Api) -> None:
    api.user("ann", Role.WORKER)
    r = api.client.post(f"{API}/auth/login", json={"username": "ann", "password": "nope-nope-nope"})
    assert r.status_code == 401
    assert error_code(r) == "authentication_failed"
    assert r.headers["www-authenticate"] == "Bearer"
    r = api.client.post(f"{API}/auth/login", json={"username": "ghost", "password": "whatever1"})
    assert (r.status_code, error_code(r)) == (401, "authentication_failed")


def test_cookie_session_needs_csrf_for_unsafe_methods(api: Api) -> None:
    api.user("ann", Role.REQUESTER)
    body = api.login("ann")
    spec = {"name": "p", "template": "product_matching"}
    r = api.client.post(f"{API}/projects", json=spec)
    assert (r.status_code, error_code(r)) == (403, "csrf_token_invalid")
    r = api.client.post(f"{API}/projects", json=spec, headers={CSRF_HEADER: "0" * 64})
    assert (r.status_code, error_code(r)) == (403, "csrf_token_invalid")
    r = api.client.post(f"{API}/projects", json=spec, headers={CSRF_HEADER: body["csrf_token"]})
    assert r.status_code == 201, r.text
    # Safe methods need no token.
    assert api.client.get(f"{API}/projects").status_code == 200


def test_bearer_needs_no_csrf_and_wins_over_cookie(api: Api) -> None:
    api.user("ann", Role.REQUESTER)
    api.user("bob", Role.WORKER)
    api.login("bob")  # cookie for bob on the client
    r = api.client.post(
        f"{API}/projects",
        json={"name": "p", "template": "review_sentiment"},
        headers=api.auth("ann"),
    )
    assert r.status_code == 201, r.text
    me = api.client.get(f"{API}/me", headers=api.auth("ann")).json()
    assert (me["username"], me["csrf_token"]) == ("ann", None)


def test_logout_revokes_session_and_clears_cookie(api: Api) -> None:
    api.user("ann", Role.WORKER)
    body = api.login("ann")
    r = api.client.post(f"{API}/auth/logout")
    assert (r.status_code, error_code(r)) == (403, "csrf_token_invalid")
    r = api.client.post(f"{API}/auth/logout", headers={CSRF_HEADER: body["csrf_token"]})
    assert r.status_code == 204
    assert SESSION_COOKIE not in api.client.cookies
    r = api.client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert (r.status_code, error_code(r)) == (401, "authentication_failed")


def test_no_or_bad_credentials_are_401(api: Api) -> None:
    r = api.client.get(f"{API}/projects")
    assert (r.status_code, error_code(r)) == (401, "authentication_failed")
    r = api.client.get(f"{API}/projects", headers={"Authorization": "Bearer slt_forged"})
    assert (r.status_code, error_code(r)) == (401, "authentication_failed")
    api.client.cookies.set(SESSION_COOKIE, "slt_forged")
    r = api.client.get(f"{API}/me")
    assert (r.status_code, error_code(r)) == (401, "authentication_failed")


def test_session_expires_with_the_clock(api: Api) -> None:
    api.user("ann", Role.WORKER)
    api.login("ann")
    assert api.client.get(f"{API}/me").status_code == 200
    api.clock.advance(api.platform.settings.session_hours * 3600 + 1)
    r = api.client.get(f"{API}/me")
    assert (r.status_code, error_code(r)) == (401, "authentication_failed")


def test_suspended_account_is_refused(api: Api) -> None:
    admin = api.user("root", Role.ADMIN)
    ann = api.user("ann", Role.WORKER)
    auth.set_status(api.uow(), actor=admin, user_id=ann.user_id, status=UserStatus.SUSPENDED)
    r = api.client.get(f"{API}/me", headers=api.auth("ann"))
    assert (r.status_code, error_code(r)) == (403, "account_disabled")


def test_api_tokens_create_list_use_revoke(api: Api) -> None:
    api.user("ann", Role.REQUESTER)
    r = api.client.post(
        f"{API}/me/tokens", json={"name": "ci", "days": 30}, headers=api.auth("ann")
    )
    assert r.status_code == 201, r.text
    created = r.json()
    secret, token_id = created["secret"], created["token"]["id"]
    assert secret.startswith(created["token"]["prefix"])
    listed = api.client.get(f"{API}/me/tokens", headers=api.auth("ann")).json()
    assert token_id in [t["id"] for t in listed]
    assert all("secret" not in t for t in listed)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.client.get(f"{API}/me", headers=bearer).json()["username"] == "ann"
    r = api.client.delete(f"{API}/me/tokens/{token_id}", headers=api.auth("ann"))
    assert r.status_code == 204
    assert api.client.get(f"{API}/me", headers=bearer).status_code == 401
    r = api.client.delete(f"{API}/me/tokens/{token_id}", headers=api.auth("ann"))
    assert (r.status_code, error_code(r)) == (404, "token_not_found")
