"""Personal access tokens through pages and API."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.users.models import ApiToken, SecurityEvent
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_page_shows_secret_once_and_revokes(client, user_factory):
    user = user_factory()
    client.login(user)
    resp = client.submit(
        "/account/tokens", {"name": "CI", "read": "y", "write": "y", "expires_in_days": "30"}
    )
    assert resp.status_code == 200
    secret = re.search(r'value="(mk_[^"]+)"', resp.text).group(1)
    assert resp.headers["Cache-Control"] == "no-store"
    listing = client.get("/account/tokens").text
    assert "CI" in listing and secret not in listing
    token = db.session.scalar(select(ApiToken))
    assert token.scopes == ["read", "write"]
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
    client2 = client.application.test_client()
    assert client2.get("/api/v1/me", headers=auth(secret)).status_code == 200
    assert client.submit(f"/account/tokens/{token.id}/revoke").status_code == 303
    assert client2.get("/api/v1/me", headers=auth(secret)).status_code == 401
    kinds = [e.kind for e in db.session.scalars(select(SecurityEvent))]
    assert "token_created" in kinds and "token_revoked" in kinds


def test_token_page_needs_a_scope_and_name(client, user_factory):
    client.login(user_factory())
    resp = client.submit("/account/tokens", {"name": "", "expires_in_days": "30"})
    assert resp.status_code == 200 and 'class="errors"' in resp.text
    resp = client.submit("/account/tokens", {"name": "x", "expires_in_days": "30"})
    assert "Choose at least one scope." in resp.text
    assert db.session.scalar(select(ApiToken)) is None


def test_api_token_lifecycle(client, user_factory, api_token_factory):
    user = user_factory()
    master = api_token_factory(user)
    resp = client.post(
        "/api/v1/tokens",
        json={"name": "script", "scopes": ["read"], "expires_in_days": 7},
        headers=auth(master),
    )
    assert resp.status_code == 201
    secret = resp.json["token"]
    assert secret.startswith("mk_") and resp.json["scopes"] == ["read"]
    listed = client.get("/api/v1/tokens", headers=auth(master)).json
    assert {t["name"] for t in listed} == {"test", "script"}
    assert all("token" not in t for t in listed)
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    # a read token cannot create tokens
    resp = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["read"]}, headers=auth(secret)
    )
    assert resp.status_code == 403
    tid = resp_id = next(t["id"] for t in listed if t["name"] == "script")
    assert client.delete(f"/api/v1/tokens/{tid}", headers=auth(master)).status_code == 204
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 401
    assert resp_id


def test_api_token_bad_input(client, user_factory, api_token_factory):
    master = api_token_factory(user_factory())
    for body in (
        {"name": "", "scopes": ["read"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["admin"]},
        {"name": "x", "scopes": ["read"], "expires_in_days": 0},
        {"name": "x", "scopes": ["read"], "expires_in_days": 100000},
    ):
        resp = client.post("/api/v1/tokens", json=body, headers=auth(master))
        assert resp.status_code == 422, body
        assert resp.mimetype == "application/problem+json"
    assert len(client.get("/api/v1/tokens", headers=auth(master)).json) == 1


def test_expired_token_is_refused(client, user_factory, api_token_factory):
    user = user_factory()
    secret = api_token_factory(user)
    token = db.session.scalar(select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    commit()
    resp = client.get("/api/v1/me", headers=auth(secret))
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert "Bearer" in resp.headers["WWW-Authenticate"]
