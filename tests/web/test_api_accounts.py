"""Sign-up, confirmation, reset and sign-in through the API (no token needed)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace_kit.core import mail
from marketplace_kit.core.users.models import User
from marketplace_kit.extensions import db

GOOD = "violet tangerine orbit"


def token_in_mail(to: str) -> str:
    for m in reversed(mail.outbox()):
        found = re.search(r"/(?:confirm|reset)/(\S+)", m.body) if m.to == to else None
        if found:
            return found.group(1)
    raise AssertionError(f"no link mailed to {to}")


def test_api_register_confirm_sign_in(client):
    resp = client.post(
        "/api/v1/auth/register",
        json={"email": "app@example.com", "password": GOOD, "display_name": "App User"},
    )
    assert resp.status_code == 202
    dup = client.post(
        "/api/v1/auth/register",
        json={"email": "app@example.com", "password": GOOD, "display_name": "Other"},
    )
    assert dup.status_code == 202 and dup.json == resp.json  # no enumeration
    token = token_in_mail("app@example.com")
    ok = client.post("/api/v1/auth/confirm-email", json={"token": token})
    assert ok.status_code == 200 and ok.json["email_confirmed"] is True
    reused = client.post("/api/v1/auth/confirm-email", json={"token": token})
    assert reused.status_code == 422 and reused.mimetype == "application/problem+json"

    signin = client.post(
        "/api/v1/auth/tokens",
        json={"email": "app@example.com", "password": GOOD, "name": "phone", "scopes": ["read"]},
    )
    assert signin.status_code == 201
    secret = signin.json["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json["email"] == "app@example.com" and me.json["email_confirmed"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "bad", "password": GOOD, "display_name": "X"}, "email"),
        ({"email": "a@example.com", "password": "password123", "display_name": "X"}, "password"),
        ({"email": "a@example.com", "password": GOOD, "display_name": ""}, "display_name"),
        (
            {
                "email": "a@example.com",
                "password": GOOD,
                "display_name": "X",
                "account_type": "robot",
            },
            "account_type",
        ),
        (
            {
                "email": "a@example.com",
                "password": GOOD,
                "display_name": "X",
                "account_type": "business",
            },
            "company_name",
        ),
        ({"password": GOOD, "display_name": "X"}, "email"),
    ],
)
def test_api_register_bad_input(client, body, field):
    resp = client.post("/api/v1/auth/register", json=body)
    assert resp.status_code == 422 and field in resp.json["errors"]
    assert db.session.scalar(select(User)) is None


def test_api_sign_in_failures_look_alike(client, user_factory):
    user_factory(email="k@example.com")
    wrong = client.post("/api/v1/auth/tokens", json={"email": "k@example.com", "password": "nope"})
    unknown = client.post(
        "/api/v1/auth/tokens", json={"email": "u@example.com", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]


def test_api_password_reset(client, user_factory):
    user = user_factory(email="r@example.com")
    a = client.post("/api/v1/auth/password-reset", json={"email": "r@example.com"})
    b = client.post("/api/v1/auth/password-reset", json={"email": "ghost@example.com"})
    assert a.status_code == b.status_code == 202 and a.json == b.json
    token = token_in_mail("r@example.com")
    weak = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"}
    )
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    ok = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": GOOD})
    assert ok.status_code == 204
    again = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": GOOD}
    )
    assert again.status_code == 422
    signin = client.post("/api/v1/auth/tokens", json={"email": "r@example.com", "password": GOOD})
    assert signin.status_code == 201
    assert user.id


def test_api_sign_in_is_rate_limited(app_factory, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_TEST_RATELIMIT", "1")
    client = app_factory().test_client()
    codes = [client.post("/api/v1/auth/tokens", json={"email": "x"}).status_code for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
