"""A second user walks every user-owned endpoint and never sees or changes the first's data.

The test fails when a new endpoint appears in the users blueprints without
being classified here, so every future endpoint gets walked too.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace_kit.core.users.models import ApiToken, User, VerificationRequest
from marketplace_kit.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
#: (every console endpoint is tried by every role in tests/web/test_console_access.py)
BLUEPRINTS = ("account", "api_accounts", "api_users", "api_verification")

#: endpoints that belong to nobody (public pages, signed-link flows, dev tools)
PUBLIC = {
    "account.register",
    "account.confirm",
    "account.login",
    "account.logout",
    "account.reset_request",
    "account.reset",
    "account.confirm_email_change",
    "account.avatar",
    "account.public_profile",
    "account.dev_outbox",
    "api_users.get_user",
    "api_accounts.register",
    "api_accounts.confirm_email",
    "api_accounts.password_reset",
    "api_accounts.password_reset_confirm",
    "api_accounts.sign_in",
}
#: pages about "me" (no id in the URL): checked for leaks of the first user's data
ME_PAGES = {
    "account.overview": "/account",
    "account.profile": "/account/profile",
    "account.change_password": "/account/password",
    "account.change_email": "/account/email",
    "account.tokens": "/account/tokens",
    "account.verification": "/account/verification",
    "account.export": "/account/export",
    "account.delete_account": "/account/delete",
    "account.security_log": "/account/security",
}
ME_API = {
    "api_users.get_me": "/api/v1/me",
    "api_users.list_tokens": "/api/v1/tokens",
    "api_users.export_me": "/api/v1/me/export",
    "api_verification.my_requests": "/api/v1/me/verification",
}
#: state-changing "me" endpoints: they act on the caller only (covered by their own tests)
ME_WRITES = {
    "account.resend_confirmation",
    "account.upload_avatar",
    "account.remove_avatar",
    "api_users.patch_me",
    "api_users.put_avatar",
    "api_users.delete_avatar",
    "api_users.change_password",
    "api_users.create_token",
    "api_users.delete_me",
    "api_verification.submit_request",
}


def test_every_users_endpoint_is_classified(app):
    endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in BLUEPRINTS
    }
    by_id = {
        "account.revoke_token",
        "api_users.revoke_token",
        "console.index",
        "console.users",
        "console.user_detail",
        "console.verification_queue",
        "console.verification_detail",
        "console.verification_document",
        "console.audit_log",
        "console.invitations",
        # the report queue: operators only (tests/web/test_reports_web.py checks each role)
        "console.reports",
        "console.reports_bulk_dismiss",
        "console.report_target",
        "console.moderation_log",
        "api_verification.queue",
        "api_verification.decide",
        "api_verification.put_roles",
        "api_verification.audit_log",
    }
    known = PUBLIC | set(ME_PAGES) | set(ME_API) | ME_WRITES | by_id
    assert endpoints - known == set(), "classify the new endpoints in this test"


def test_second_user_cannot_reach_first_users_data(client, user_factory, api_token_factory):
    alice = user_factory(
        email="alice@example.com",
        display_name="Alice",
        company_name="Alice Secret Co",
        account_type="business",
        contact_phone="+1 555 0100",
    )
    bob = user_factory(email="bob@example.com", display_name="Bob")
    alice_api = api_token_factory(alice, name="alice-laptop")
    bob_api = api_token_factory(bob, name="bob-phone")
    client.login(alice)
    client.post(
        "/account/verification",
        data={
            "csrf_token": client.csrf_token(),
            "kind": "identity",
            "full_name": "Alice Hidden-Name",
            "date_of_birth": "1970-07-07",
            "id_document": (io.BytesIO(PNG), "id.png"),
        },
        content_type="multipart/form-data",
    )
    alice_token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == alice.id))
    req = db.session.scalar(select(VerificationRequest))
    secrets = ["alice@example.com", "Alice Secret Co", "+1 555 0100", "alice-laptop", "Hidden-Name"]

    client.login(bob)
    for endpoint, url in ME_PAGES.items():
        resp = client.get(url)
        assert resp.status_code == 200, endpoint
        for s in secrets:
            assert s not in resp.text, (endpoint, s)
    headers = {"Authorization": f"Bearer {bob_api}"}
    for endpoint, url in ME_API.items():
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, endpoint
        for s in secrets:
            assert s not in resp.text, (endpoint, s)

    # endpoints with ids: 403 or 404, and nothing changes
    assert client.submit(f"/account/tokens/{alice_token.id}/revoke").status_code == 404
    assert client.delete(f"/api/v1/tokens/{alice_token.id}", headers=headers).status_code == 404
    for url in (
        "/console/",
        "/console/users",
        f"/console/users/{alice.id}",
        "/console/verification",
        f"/console/verification/{req.id}",
        f"/console/verification/{req.id}/documents/id_document",
        "/console/audit",
        "/console/invitations",
    ):
        assert client.get(url).status_code == 403, url
    assert client.submit(f"/console/users/{bob.id}", {"roles": ["admin"]}).status_code == 403
    assert (
        client.submit(f"/console/verification/{req.id}", {"decision": "approve"}).status_code == 403
    )
    for method, url, body in (
        ("get", "/api/v1/operator/verification", None),
        ("post", f"/api/v1/operator/verification/{req.id}/decision", {"decision": "approve"}),
        ("put", f"/api/v1/operator/users/{bob.id}/roles", {"roles": ["admin"]}),
        ("get", "/api/v1/operator/audit", None),
    ):
        resp = getattr(client, method)(url, json=body, headers=headers)
        assert resp.status_code == 403, url
    # the public API of alice shows no private fields
    public = client.get(f"/api/v1/users/{alice.id}").json
    assert "email" not in public and "contact_phone" not in public

    db.session.expire_all()
    assert db.session.get(ApiToken, alice_token.id).revoked_at is None
    assert db.session.get(VerificationRequest, req.id).status == "pending"
    assert db.session.get(User, bob.id).roles == []
    alice_headers = {"Authorization": f"Bearer {alice_api}"}
    assert client.get("/api/v1/me", headers=alice_headers).json["email"] == "alice@example.com"


@pytest.mark.parametrize("big", [2**31, 10**20])
def test_ids_beyond_the_integer_range_are_not_found(client, user_factory, api_token_factory, big):
    admin = user_factory(roles=["admin"])
    token = api_token_factory(admin)
    headers = {"Authorization": f"Bearer {token}"}
    client.login(admin)
    for url in (f"/users/{big}", f"/console/users/{big}", f"/console/verification/{big}"):
        assert client.get(url).status_code == 404, url
    assert client.submit(f"/account/tokens/{big}/revoke").status_code == 404
    assert client.get(f"/console/audit?user={big}").status_code == 200
    assert client.get(f"/api/v1/users/{big}").status_code == 404
    assert client.delete(f"/api/v1/tokens/{big}", headers=headers).status_code == 404
    assert (
        client.put(
            f"/api/v1/operator/users/{big}/roles", json={"roles": []}, headers=headers
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/operator/verification/{big}/decision",
            json={"decision": "approve"},
            headers=headers,
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/operator/audit?user={big}", headers=headers).status_code == 422


def test_nul_characters_are_refused(client, user_factory, api_token_factory):
    token = api_token_factory(user_factory())
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.post("/api/v1/tokens", json={"name": "\x00", "scopes": ["read"]}, headers=headers)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    resp = client.post("/api/v1/auth/password-reset", json={"email": "a\x00@example.com"})
    assert resp.status_code == 422
    resp = client.submit("/login", {"email": "a\x00@example.com", "password": "x"})
    assert resp.status_code == 422
    assert client.get("/console/audit?kind=%00").status_code in (302, 422)
