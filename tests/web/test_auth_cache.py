"""The API with the token cache on (as ``shoplabel serve`` runs): revoking a token or
suspending an account through the API takes effect on the very next request."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from shoplabel.domain.users import Role
from shoplabel.services.token_cache import TokenCache
from shoplabel.web.app import create_app
from tests.web.conftest import API, Api, error_code


def test_revoke_and_suspend_through_the_api_apply_at_once(api: Api) -> None:
    api.user("root", Role.ADMIN)
    ann = api.user("ann", Role.REQUESTER)
    cache = TokenCache(ttl=300.0)
    client = TestClient(create_app(replace(api.platform, token_cache=cache)))
    r = client.post(f"{API}/me/tokens", json={"name": "ci", "days": 30}, headers=api.auth("ann"))
    secret, token_id = r.json()["secret"], r.json()["token"]["id"]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"{API}/me", headers=bearer).status_code == 200
    assert len(cache) == 2  # ann's fixture token and the new one
    assert client.delete(f"{API}/me/tokens/{token_id}", headers=api.auth("ann")).status_code == 204
    r = client.get(f"{API}/me", headers=bearer)
    assert (r.status_code, error_code(r)) == (401, "authentication_failed")

    assert client.get(f"{API}/me", headers=api.auth("ann")).status_code == 200
    r = client.patch(
        f"{API}/users/{ann.user_id}", json={"status": "suspended"}, headers=api.auth("root")
    )
    assert r.status_code == 200, r.text
    r = client.get(f"{API}/me", headers=api.auth("ann"))
    assert (r.status_code, error_code(r)) == (403, "account_disabled")
