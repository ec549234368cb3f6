"""Personal data export and account deletion (anonymisation keeps references intact)."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from marketplace_kit import hookimpl
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.users.models import ApiToken, SecurityEvent, User, VerificationRequest
from marketplace_kit.extensions import db

PW = "correct horse battery staple"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_export_page_contains_my_data_only(
    client, user_factory, api_token_factory, register_plugin
):
    class Extra:
        @hookimpl
        def mk_user_data_export(self, user):
            return {"extra": {"favourite": f"colour of {user.id}"}}

    register_plugin(Extra())
    me = user_factory(email="me@example.com", account_type="business", company_name="Me Ltd")
    other = user_factory(email="other@example.com")
    api_token_factory(me, name="laptop")
    client.login(me)
    resp = client.get("/account/export")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert "attachment" in resp.headers["Content-Disposition"]
    data = json.loads(resp.data)
    assert data["account"]["email"] == "me@example.com"
    assert data["account"]["company_name"] == "Me Ltd"
    assert [t["name"] for t in data["api_tokens"]] == ["laptop"]
    assert "token_hash" not in resp.text and other.email not in resp.text
    assert data["plugins"]["extra"] == {"favourite": f"colour of {me.id}"}
    # the core's own parts: notifications, conversations, reports, moderation notices
    assert {"notifications", "conversations", "reports", "moderation_notices"} <= set(
        data["plugins"]
    )


def test_export_api(client, user_factory, api_token_factory):
    user = user_factory(email="api@example.com")
    token = api_token_factory(user, scopes=("read",))
    resp = client.get("/api/v1/me/export", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.json["account"]["email"] == "api@example.com"


def test_delete_account_anonymises_and_keeps_references(client, user_factory, listing_factory):
    user = user_factory(
        email="gone@example.com",
        display_name="Gone Person",
        account_type="business",
        company_name="Gone Ltd",
    )
    listing = listing_factory(author=user)
    client.login(user)
    client.post(
        "/account/avatar",
        data={"csrf_token": client.csrf_token(), "avatar": (io.BytesIO(PNG), "a.png")},
        content_type="multipart/form-data",
    )
    client.post(
        "/account/verification",
        data={
            "csrf_token": client.csrf_token(),
            "kind": "identity",
            "full_name": "Gone Person",
            "date_of_birth": "1980-01-01",
            "id_document": (io.BytesIO(PNG), "id.png"),
        },
        content_type="multipart/form-data",
    )
    client.submit("/account/tokens", {"name": "t", "read": "y", "expires_in_days": "7"})
    db.session.expire_all()
    avatar_key = db.session.get(User, user.id).avatar_key
    # wrong password / unticked box: nothing happens
    resp = client.submit("/account/delete", {"password": "wrong wrong wrong", "confirm": "y"})
    assert "Not correct." in resp.text
    resp = client.submit("/account/delete", {"password": PW})
    assert 'class="errors"' in resp.text
    db.session.expire_all()
    assert db.session.get(User, user.id).deleted_at is None

    resp = client.submit("/account/delete", {"password": PW, "confirm": "y"})
    assert resp.status_code == 200 and "was deleted" in resp.text
    db.session.expire_all()
    gone = db.session.get(User, user.id)
    assert gone is not None and gone.deleted_at is not None
    assert "gone" not in gone.email and gone.display_name == "Deleted user"
    assert gone.company_name is None and gone.password_hash is None and gone.avatar_key is None
    assert db.session.get(Listing, listing.id).author_id == user.id  # integrity kept
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)) is None
    req = db.session.scalar(select(VerificationRequest))
    assert req.data == {} and req.documents == {}
    assert all(
        e.ip is None
        for e in db.session.scalars(select(SecurityEvent).where(SecurityEvent.user_id == user.id))
    )
    assert client.get("/media/" + avatar_key).status_code == 404
    assert client.get("/account").status_code == 302  # signed out
    assert client.get(f"/users/{user.id}").status_code == 404
    resp = client.submit("/login", {"email": "gone@example.com", "password": PW})
    assert resp.status_code == 200 and "not correct" in resp.text
    # the address is free again
    resp = client.submit(
        "/register",
        {
            "account_type": "individual",
            "display_name": "New",
            "email": "gone@example.com",
            "password": "violet tangerine orbit",
        },
    )
    assert db.session.scalar(select(User).where(User.email == "gone@example.com")) is not None


def test_delete_api_and_event(app_factory):
    from marketplace_kit.core.users.passwords import hash_password
    from marketplace_kit.core.users.service import create_user
    from marketplace_kit.core.users.tokens import create_token
    from marketplace_kit.events import commit

    seen = []

    class Listener:
        mk_plugin_name = "listener"

        @hookimpl
        def mk_user_deleted(self, user):
            seen.append((user.id, user.email))

    app = app_factory(extra_plugins=[Listener()])
    with app.app_context():
        user = create_user("d@example.com", "D", password_hash=hash_password(PW))
        commit()
        _t, secret = create_token(user, "x", ["read", "write"])
        commit()
        uid = user.id
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        bad = client.delete("/api/v1/me", json={"password": "nope"}, headers=headers)
        assert bad.status_code == 422
        assert (
            client.delete("/api/v1/me", json={"password": PW}, headers=headers).status_code == 204
        )
        assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert seen == [(uid, f"deleted-{uid}@deleted.invalid")]
