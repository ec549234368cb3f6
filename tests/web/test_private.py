"""Private and invite-only marketplaces, allowed email domains."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace_kit.core import mail
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.users.models import Invitation, User
from marketplace_kit.events import commit
from marketplace_kit.extensions import db

GOOD = "violet tangerine orbit"


def reg(client, url="/register", **extra):
    data = {"account_type": "individual", "display_name": "New", "password": GOOD}
    data.update(extra)
    return client.submit(url, data)


@pytest.mark.mk_config({"users": {"invite_only": True}})
def test_invite_only_registration(client, user_factory):
    support = user_factory(roles=["support"])
    customer = user_factory()
    assert "by invitation only" in client.get("/register").text
    resp = reg(client, email="walkin@example.com")
    assert "by invitation only" in resp.text
    assert db.session.scalar(select(User).where(User.email == "walkin@example.com")) is None

    client.login(customer)
    assert client.get("/console/invitations").status_code == 403
    client.login(support)
    bad = client.submit("/console/invitations", {"email": "nope"})
    assert "Enter a valid email address." in bad.text
    assert client.submit("/console/invitations", {"email": "guest@example.com"}).status_code == 303
    msg = mail.outbox()[-1]
    assert msg.to == "guest@example.com" and msg.template == "invitation"
    link = re.search(r"http://localhost(/\S+)", msg.body).group(1)
    client.logout()
    form = client.get(link).text
    assert 'value="guest@example.com"' in form
    token = link.split("invite=")[1]
    wrong = reg(client, url="/register", email="other@example.com", invitation=token)
    assert "Use the invited address" in wrong.text
    ok = reg(client, email="guest@example.com", invitation=token)
    assert ok.status_code == 302  # signed in at once: the link proved the address
    user = db.session.scalar(select(User).where(User.email == "guest@example.com"))
    assert user.email_confirmed_at is not None
    client.logout()
    again = reg(client, email="guest@example.com", invitation=token)
    assert "not valid" in again.text


@pytest.mark.mk_config({"users": {"invite_only": True}})
def test_expired_invitation(client, user_factory):
    from marketplace_kit.core.users.invitations import create_invitation

    admin = user_factory(roles=["admin"])
    invitation, secret = create_invitation(admin, "late@example.com")
    invitation.expires_at = utcnow()
    commit()
    resp = reg(client, email="late@example.com", invitation=secret)
    assert "not valid" in resp.text
    assert db.session.scalar(select(Invitation)).accepted_at is None


@pytest.mark.mk_config({"users": {"allowed_email_domains": ["coop.example"]}})
def test_allowed_email_domains(client):
    resp = reg(client, email="someone@gmail.example")
    assert "email domains only" in resp.text
    assert reg(client, email="member@coop.example").status_code == 200
    assert reg(client, email="x@branch.coop.example").status_code == 200
    emails = {u.email for u in db.session.scalars(select(User))}
    assert emails == {"member@coop.example", "x@branch.coop.example"}


@pytest.mark.mk_config({"users": {"private": True}})
def test_private_marketplace(client, user_factory, api_token_factory):
    user = user_factory()
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert client.get(f"/users/{user.id}").status_code == 302
    assert client.get("/login").status_code == 200
    assert client.get("/register").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/site").status_code == 401
    assert client.get(f"/api/v1/users/{user.id}").status_code == 401
    assert client.get("/api/v1/openapi.json").status_code == 200
    token = api_token_factory(user)
    assert (
        client.get("/api/v1/site", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    client.login(user)
    assert client.get("/").status_code == 200
