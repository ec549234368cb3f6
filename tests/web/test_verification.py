"""Verification requests, the operator review queue, roles, audit and access rules."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from marketplace_kit import hookimpl
from marketplace_kit.core.access import can
from marketplace_kit.core.users.models import SecurityEvent, User, VerificationRequest
from marketplace_kit.extensions import db

PDF = b"%PDF-1.4\n" + b"0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def identity_form(client, **overrides):
    data = {
        "csrf_token": client.csrf_token(),
        "kind": "identity",
        "full_name": "Chen Wei",
        "date_of_birth": "1990-01-02",
        "id_document": (io.BytesIO(PDF), "id.pdf"),
    }
    data.update(overrides)
    return client.post("/account/verification", data=data, content_type="multipart/form-data")


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_submit_review_approve_shows_badge(client, user_factory):
    user = user_factory(display_name="Chen")
    mod = user_factory(roles=["moderator"])
    client.login(user)
    assert client.get("/account/verification").status_code == 200
    assert identity_form(client).status_code == 303
    req = db.session.scalar(select(VerificationRequest))
    assert req.status == "pending" and req.data["full_name"] == "Chen Wei"
    assert req.documents["id_document"]["type"] == "application/pdf"
    # the owner may download their own document; another user may not
    assert client.get(f"/console/verification/{req.id}/documents/id_document").data == PDF
    # a second pending request of the same kind is refused
    resp = identity_form(client)
    assert resp.status_code == 422 and "already waiting" in resp.text

    client.login(mod)
    queue = client.get("/console/verification")
    assert queue.status_code == 200 and "Chen" in queue.text
    assert client.get(f"/console/verification/{req.id}/documents/id_document").data == PDF
    resp = client.submit(f"/console/verification/{req.id}", {"decision": "approve"})
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).verification_level == 1
    assert "Verified identity" in client.get(f"/users/{user.id}").text
    ev = db.session.scalar(
        select(SecurityEvent).where(SecurityEvent.kind == "verification_decided")
    )
    assert ev.actor_id == mod.id and ev.user_id == user.id and ev.detail["decision"] == "approved"
    history = client.get(f"/console/users/{user.id}").text
    assert f"#{req.id}</a> Identity · Approved" in history
    # deciding twice is refused
    resp = client.submit(f"/console/verification/{req.id}", {"decision": "reject", "reason": "x"})
    assert "already decided" in resp.text


def test_reject_needs_reason(client, user_factory):
    user = user_factory()
    admin = user_factory(roles=["admin"])
    client.login(user)
    identity_form(client)
    req = db.session.scalar(select(VerificationRequest))
    client.login(admin)
    resp = client.submit(f"/console/verification/{req.id}", {"decision": "reject"})
    assert resp.status_code == 422 and "Required when rejecting." in resp.text
    resp = client.submit(
        f"/console/verification/{req.id}", {"decision": "reject", "reason": "Blurry photo"}
    )
    assert resp.status_code == 303
    db.session.expire_all()
    assert db.session.get(VerificationRequest, req.id).status == "rejected"
    assert db.session.get(User, user.id).verification_level == 0
    client.login(user)
    assert "Blurry photo" in client.get("/account/verification").text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "This field is required."),
        (
            {"id_document": (io.BytesIO(b"MZ\x90\x00evil.exe"), "id.pdf")},
            "id_document",
            "Upload a PDF",
        ),
        ({"id_document": (io.BytesIO(b""), "id.pdf")}, "id_document", "Attach this document."),
    ],
)
def test_bad_verification_input(client, user_factory, overrides, field, message):
    client.login(user_factory())
    resp = identity_form(client, **overrides)
    assert resp.status_code == 422 and message in resp.text
    assert db.session.scalar(select(VerificationRequest)) is None


def test_business_kind_only_for_business_accounts(client, user_factory):
    client.login(user_factory())
    resp = client.post(
        "/account/verification",
        data={"csrf_token": client.csrf_token(), "kind": "business", "legal_name": "X"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    biz = user_factory(account_type="business", company_name="Acme")
    client.login(biz)
    page = client.get("/account/verification").text
    assert "Business verification" in page and "Certificate of registration" in page


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [
        ([], set()),
        (
            ["support"],
            {
                "operator.console",
                "operator.view_users",
                "operator.view_audit",
                "operator.invite",
                "order.operate",
                "dispute.resolve",
                "operator.preview_notifications",
                "reports.handle",
            },
        ),
        (
            ["moderator"],
            {
                "operator.console",
                "operator.view_users",
                "operator.review_verification",
                "operator.view_verification_documents",
                "operator.moderate",
                "operator.suspend_users",
                "listing.moderate",
                "categories.edit",
                "reports.handle",
            },
        ),
        (
            ["finance"],
            {
                "operator.console",
                "operator.view_users",
                "operator.finance",
                "order.operate",
                "ledger.view",
                "payout.approve",
                "payment.confirm",
                "fees.override",
                "console.stats",
            },
        ),
    ],
)
def test_operator_role_permissions(user_factory, roles, allowed):
    from marketplace_kit.core.access import OPERATOR_ACTIONS

    user = user_factory(roles=roles)
    admin = user_factory(roles=["admin"])
    for action in OPERATOR_ACTIONS:
        assert can(user, action) is (action in allowed), action
        assert can(admin, action) is True
        assert can(None, action) is False


def test_operator_pages_are_forbidden_to_customers(client, user_factory):
    client.login(user_factory())
    for url in ("/console/", "/console/users", "/console/verification", "/console/audit"):
        assert client.get(url).status_code == 403, url
    client.logout()
    assert client.get("/console/users").status_code == 302  # to the login page


@pytest.mark.mk_config({"verification": {"publish_listings": 1, "accept_orders": 2, "payouts": 2}})
def test_verification_gates_actions(user_factory):
    plain = user_factory()
    identity = user_factory()
    identity.verification_level = 1
    business = user_factory()
    business.verification_level = 2
    db.session.commit()
    assert not can(plain, "listing.publish") and can(identity, "listing.publish")
    assert not can(identity, "order.accept") and can(business, "order.accept")
    assert not can(identity, "payout.request") and can(business, "payout.request")
    assert not can(None, "listing.publish")


def test_no_verification_needed_by_default(user_factory):
    user = user_factory()
    assert can(user, "listing.publish") and can(user, "order.accept")


def test_plugin_may_answer_first(user_factory, register_plugin):
    class Deny:
        @hookimpl
        def mk_permission_allowed(self, user, action, resource):
            return False if action == "listing.publish" else None

    register_plugin(Deny())
    assert not can(user_factory(), "listing.publish")


def test_roles_page_and_audit(client, user_factory):
    admin = user_factory(roles=["admin"])
    target = user_factory(email="t@example.com")
    support = user_factory(roles=["support"])
    client.login(support)
    page = client.get(f"/console/users/{target.id}")
    assert page.status_code == 200 and 'name="roles"' not in page.text
    assert client.submit(f"/console/users/{target.id}", {"roles": "admin"}).status_code == 403
    client.login(admin)
    assert client.submit(f"/console/users/{target.id}", {"roles": ["moderator"]}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, target.id).roles == ["moderator"]
    resp = client.submit(f"/console/users/{admin.id}", {"roles": ["support"]})
    assert "cannot remove your own admin role" in resp.text
    ev = db.session.scalar(select(SecurityEvent).where(SecurityEvent.kind == "role_changed"))
    assert ev.actor_id == admin.id and ev.detail == {"old": [], "new": ["moderator"]}
    client.login(support)
    log = client.get("/console/audit?kind=role_changed")
    assert log.status_code == 200 and "role_changed" in log.text


def test_verification_and_roles_api(client, user_factory, api_token_factory):
    user = user_factory()
    mod = user_factory(roles=["moderator"])
    admin = user_factory(roles=["admin"])
    ut, mt, at = api_token_factory(user), api_token_factory(mod), api_token_factory(admin)
    bad = client.post(
        "/api/v1/me/verification",
        data={"kind": "identity", "full_name": "A"},
        headers=auth(ut),
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"date_of_birth", "id_document"}
    ok = client.post(
        "/api/v1/me/verification",
        data={
            "kind": "identity",
            "full_name": "A B",
            "date_of_birth": "2000-01-01",
            "id_document": (io.BytesIO(PNG), "id.png"),
        },
        headers=auth(ut),
        content_type="multipart/form-data",
    )
    assert ok.status_code == 201
    rid = ok.json["id"]
    assert client.get("/api/v1/operator/verification", headers=auth(ut)).status_code == 403
    queue = client.get("/api/v1/operator/verification", headers=auth(mt)).json
    assert [r["id"] for r in queue] == [rid]
    no_reason = client.post(
        f"/api/v1/operator/verification/{rid}/decision",
        json={"decision": "reject"},
        headers=auth(mt),
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    done = client.post(
        f"/api/v1/operator/verification/{rid}/decision",
        json={"decision": "approve"},
        headers=auth(mt),
    )
    assert done.status_code == 200 and done.json["status"] == "approved"
    again = client.post(
        f"/api/v1/operator/verification/{rid}/decision",
        json={"decision": "approve"},
        headers=auth(mt),
    )
    assert again.status_code == 409
    assert client.get("/api/v1/me", headers=auth(ut)).json["verification_level"] == 1
    # roles: moderators may not, admins may
    put = client.put(
        f"/api/v1/operator/users/{user.id}/roles", json={"roles": ["support"]}, headers=auth(mt)
    )
    assert put.status_code == 403
    put = client.put(
        f"/api/v1/operator/users/{user.id}/roles", json={"roles": ["wizard"]}, headers=auth(at)
    )
    assert put.status_code == 422
    put = client.put(
        f"/api/v1/operator/users/{user.id}/roles", json={"roles": ["support"]}, headers=auth(at)
    )
    assert put.status_code == 200 and put.json["roles"] == ["support"]
    audit = client.get("/api/v1/operator/audit?kind=role_changed", headers=auth(ut)).json
    assert audit[0]["actor_id"] == admin.id  # user is support now: may view the audit log
    assert client.get("/api/v1/operator/audit", headers=auth(mt)).status_code == 403


def test_plugin_verification_fields(app_factory):
    from marketplace_kit.core.users.verification import VerificationField, fields_for

    class Extra:
        mk_plugin_name = "extra"

        @hookimpl
        def mk_register_verification_fields(self, app):
            return [
                VerificationField(kind="identity", name="tax_id", label="Tax ID", required=False)
            ]

    app = app_factory(extra_plugins=[Extra()])
    with app.app_context():
        names = [f.name for f in fields_for("identity")]
    assert names == ["full_name", "date_of_birth", "id_document", "tax_id"]


def test_verification_decided_event(app_factory):
    from marketplace_kit.core.users import verification as vsvc
    from marketplace_kit.core.users.service import create_user
    from marketplace_kit.events import commit

    seen = []

    class Listener:
        mk_plugin_name = "listener"

        @hookimpl
        def mk_verification_decided(self, request, user):
            seen.append((request.status, user.verification_level))

    app = app_factory(extra_plugins=[Listener()])
    with app.app_context():
        user = create_user("v@example.com", "V")
        op = create_user("op@example.com", "Op", roles=["admin"])
        commit()
        req = vsvc.submit(
            user,
            "identity",
            {"full_name": "V", "date_of_birth": "1999-09-09"},
            {"id_document": PNG},
        )
        commit()
        vsvc.decide(op, req, approve=True)
        assert seen == []  # only after commit
        commit()
    assert seen == [("approved", 1)]


def test_suspend_and_reactivate(client, user_factory, api_token_factory):
    mod = user_factory(roles=["moderator"])
    support = user_factory(roles=["support"])
    target = user_factory(email="bad@example.com")
    token = api_token_factory(target)
    victim_client = client.application.test_client()
    victim_client.login(target)
    assert victim_client.get("/account").status_code == 200

    client.login(support)
    resp = client.submit(f"/console/users/{target.id}", {"active": "0", "reason": "spam"})
    assert resp.status_code == 403
    client.login(mod)
    resp = client.submit(f"/console/users/{target.id}", {"active": "0"})
    assert "Give a reason" in resp.text
    resp = client.submit(f"/console/users/{mod.id}", {"active": "0", "reason": "x"})
    assert "cannot suspend yourself" in resp.text
    resp = client.submit(f"/console/users/{target.id}", {"active": "0", "reason": "spam"})
    assert resp.status_code == 303
    assert victim_client.get("/account").status_code == 302  # session ended
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get(f"/users/{target.id}").status_code == 404
    ev = db.session.scalar(select(SecurityEvent).where(SecurityEvent.kind == "account_suspended"))
    assert ev.actor_id == mod.id and ev.detail == {"reason": "spam"}
    resp = client.submit(f"/console/users/{target.id}", {"active": "1"})
    assert resp.status_code == 422 and "Give a reason" in resp.text
    resp = client.submit(f"/console/users/{target.id}", {"active": "1", "reason": "appeal ok"})
    assert resp.status_code == 303
    assert db.session.get(User, target.id).is_active_account is True
