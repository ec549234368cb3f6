"""Registration, confirmation, login/logout, lockout, reset and account changes through pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace_kit.core import mail
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.users.models import SecurityEvent, User
from marketplace_kit.core.users.passwords import verify_password
from marketplace_kit.events import commit
from marketplace_kit.extensions import db

GOOD = "violet tangerine orbit"


def last_link(to: str) -> str:
    msgs = [m for m in mail.outbox() if m.to == to]
    assert msgs, f"no mail to {to}"
    match = re.search(r"http://localhost(/\S+)", msgs[-1].body)
    assert match, msgs[-1].body
    return match.group(1)


def scrub(html: str) -> str:
    """The page without its per-request CSRF token."""
    return re.sub(r"<input[^>]*csrf_token[^>]*>", "", html)


def register(client, **extra):
    data = {
        "account_type": "individual",
        "display_name": "Mia",
        "email": "mia@example.com",
        "password": GOOD,
    }
    data.update(extra)
    return client.submit("/register", data)


def events(kind):
    return list(db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)))


def test_register_confirm_login_logout(client, app):
    resp = register(client)
    assert resp.status_code == 200
    assert "Check your inbox" in resp.text
    user = db.session.scalar(select(User).where(User.email == "mia@example.com"))
    assert user is not None and user.account_type == "individual"
    assert user.email_confirmed_at is None
    assert verify_password(user.password_hash, GOOD)
    msg = mail.outbox()[-1]
    assert msg.subject.startswith("Confirm your email address")
    link = last_link("mia@example.com")
    # GET shows a button and changes nothing
    assert client.get(link).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None
    resp = client.submit(link)
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is not None
    # the same link again: already used
    assert client.submit(link).status_code == 400

    resp = client.submit("/login", {"email": "MIA@example.com", "password": GOOD})
    assert resp.status_code == 302
    assert client.get("/account").status_code == 200
    assert len(events("login")) == 1
    assert events("login")[0].ip == "127.0.0.1"
    # logout needs POST + CSRF
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.submit("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_register_business_keeps_company_fields(client):
    resp = register(
        client,
        account_type="business",
        email="ops@brightclean.example",
        company_name="Bright Clean Ltd",
        registration_number="GB-123",
        industry="Cleaning",
        service_area="London",
    )
    assert resp.status_code == 200
    user = db.session.scalar(select(User).where(User.email == "ops@brightclean.example"))
    assert user.is_business and user.company_name == "Bright Clean Ltd"
    assert user.service_area == "London" and user.registration_number == "GB-123"


def test_business_needs_company_name(client):
    resp = register(client, account_type="business")
    assert resp.status_code == 200
    assert "Enter the company name." in resp.text
    assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"email": "a@b"}, "Enter a valid email address."),
        ({"password": "short1"}, "Use at least 10 characters."),
        ({"password": "password123"}, "too common"),
        ({"password": "P@ssw0rd2024!"}, "too common"),
        ({"password": "aaaaaaaaaaaa"}, "too simple"),
        ({"password": "mia-the-great-mia", "email": "mia-the-great@example.com"}, "email"),
    ],
)
def test_register_bad_input_shows_errors_and_saves_nothing(client, fields, message):
    resp = register(client, **fields)
    assert resp.status_code == 200
    assert message in resp.text
    assert 'class="errors"' in resp.text
    assert db.session.scalar(select(User)) is None
    assert mail.outbox() == []


def test_register_without_csrf_is_refused(client):
    resp = client.post(
        "/register",
        data={"display_name": "X", "email": "x@example.com", "password": GOOD},
    )
    assert resp.status_code == 400
    assert db.session.scalar(select(User)) is None


def test_duplicate_registration_does_not_reveal_the_account(client, user_factory):
    user_factory(email="taken@example.com")
    fresh = register(client, email="fresh@example.com").text
    dup = register(client, email="taken@example.com", display_name="Mia").text
    assert scrub(fresh).replace("fresh@", "X@") == scrub(dup).replace("taken@", "X@")
    assert (
        db.session.scalar(select(User).where(User.email == "taken@example.com")).display_name
        != "Mia"
    )
    notice = [m for m in mail.outbox() if m.to == "taken@example.com"]
    assert len(notice) == 1 and "already has one" in notice[0].body


def test_login_failures_do_not_reveal_accounts(client, user_factory):
    user_factory(email="known@example.com")
    wrong = client.submit("/login", {"email": "known@example.com", "password": "nope nope nope"})
    unknown = client.submit("/login", {"email": "nobody@example.com", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert "Email or password is not correct" in wrong.text
    assert scrub(wrong.text).replace("known@", "X@") == scrub(unknown.text).replace("nobody@", "X@")
    assert len(events("login_failed")) == 2


@pytest.mark.mk_config({"users": {"lockout_threshold": 3, "lockout_minutes": 10}})
def test_lockout_after_repeated_failures(client, user_factory):
    user = user_factory(email="lock@example.com")
    for _ in range(3):
        client.submit("/login", {"email": "lock@example.com", "password": "wrong password!"})
    db.session.expire_all()
    locked = db.session.get(User, user.id)
    assert locked.locked_until is not None and locked.locked_until > utcnow()
    assert [m.template for m in mail.outbox()] == ["account_locked"]
    # even the right password is refused while locked, with the same message
    resp = client.submit(
        "/login", {"email": "lock@example.com", "password": "correct horse battery staple"}
    )
    assert "Email or password is not correct" in resp.text
    assert client.get("/account").status_code == 302
    # after the lock expires the right password works
    locked.locked_until = utcnow() - timedelta(seconds=1)
    commit()
    resp = client.submit(
        "/login", {"email": "lock@example.com", "password": "correct horse battery staple"}
    )
    assert resp.status_code == 302
    assert len(events("account_locked")) == 1


def test_login_rehashes_old_hashes(client, user_factory):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)
    user = user_factory(email="old@example.com")
    user.password_hash = old
    commit()
    assert (
        client.submit("/login", {"email": "old@example.com", "password": GOOD}).status_code == 302
    )
    db.session.expire_all()
    new_hash = db.session.get(User, user.id).password_hash
    assert new_hash != old and "m=65536,t=3,p=4" in new_hash
    assert verify_password(new_hash, GOOD)


def test_login_next_is_kept_local(client, user_factory):
    user_factory(email="n@example.com")
    data = {"email": "n@example.com", "password": "correct horse battery staple"}
    resp = client.submit("/login?next=https://evil.example/", data)
    assert resp.headers["Location"] == "/"
    client.logout()
    resp = client.submit("/login?next=/account/profile", data)
    assert resp.headers["Location"] == "/account/profile"


def test_login_required_redirects_to_login(client):
    resp = client.get("/account/profile")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


@pytest.mark.mk_config({"users": {"require_confirmed_email": True}})
def test_unconfirmed_cannot_log_in_when_required(client, user_factory):
    user_factory(email="u@example.com")
    resp = client.submit(
        "/login", {"email": "u@example.com", "password": "correct horse battery staple"}
    )
    assert "Confirm your email address first" in resp.text


def test_password_reset_flow(client, user_factory):
    user = user_factory(email="r@example.com")
    known = client.submit("/reset", {"email": "r@example.com"})
    unknown = client.submit("/reset", {"email": "ghost@example.com"})
    assert scrub(known.text).replace("r@", "X@") == scrub(unknown.text).replace("ghost@", "X@")
    assert [m.to for m in mail.outbox()] == ["r@example.com"]
    link = last_link("r@example.com")
    assert client.get(link).status_code == 200
    resp = client.submit(link, {"password": "123"})
    assert "Use at least 10 characters." in resp.text
    resp = client.submit(link, {"password": "a brand new secret"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, "a brand new secret")
    # reused token
    resp = client.submit(link, {"password": "another new secret"})
    assert resp.status_code == 400
    assert "already used" in resp.text
    assert len(events("password_reset")) == 1


def test_password_reset_token_expires(client, user_factory, app):
    from marketplace_kit.core.users import accounts

    user = user_factory(email="exp@example.com")
    token = accounts.reset_token(user)
    app.extensions["marketplace_kit"].settings.users["reset_token_hours"] = 0
    # max_age 0 seconds: any token is already expired
    import time

    time.sleep(1.1)
    resp = client.submit(f"/reset/{token}", {"password": "a brand new secret"})
    assert resp.status_code == 400
    assert "expired" in resp.text
    bogus = client.submit("/reset/not-a-token", {"password": "a brand new secret"})
    assert bogus.status_code == 400


def test_change_password(client, user_factory):
    user = user_factory()
    client.login(user)
    resp = client.submit(
        "/account/password", {"current_password": "wrong one here", "password": GOOD}
    )
    assert "Not correct." in resp.text
    resp = client.submit(
        "/account/password",
        {"current_password": "correct horse battery staple", "password": "Password1234"},
    )
    assert "too common" in resp.text
    resp = client.submit(
        "/account/password",
        {"current_password": "correct horse battery staple", "password": GOOD},
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, GOOD)
    assert len(events("password_changed")) == 1
    assert mail.outbox()[-1].template == "password_changed"


def test_change_email(client, user_factory):
    user = user_factory(email="before@example.com")
    user_factory(email="other@example.com")
    client.login(user)
    resp = client.submit(
        "/account/email", {"email": "bad", "password": "correct horse battery staple"}
    )
    assert "Enter a valid email address." in resp.text
    resp = client.submit(
        "/account/email", {"email": "after@example.com", "password": "wrong wrong wrong"}
    )
    assert "Not correct." in resp.text
    # an address in use: same response, the address' owner gets a notice, nothing changes
    resp = client.submit(
        "/account/email", {"email": "other@example.com", "password": "correct horse battery staple"}
    )
    assert resp.status_code == 302
    assert mail.outbox()[-1].template == "email_in_use"
    resp = client.submit(
        "/account/email", {"email": "after@example.com", "password": "correct horse battery staple"}
    )
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "before@example.com"
    link = last_link("after@example.com")
    assert client.submit(link).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "after@example.com"
    assert client.submit(link).status_code == 400  # reused


def test_profile_edit_and_public_page(client, user_factory):
    user = user_factory(account_type="business", display_name="Acme")
    client.login(user)
    resp = client.submit(
        "/account/profile",
        {"display_name": "", "bio": "", "locale": "", "company_name": "Acme Ltd"},
    )
    assert resp.status_code == 200 and 'class="errors"' in resp.text
    resp = client.submit(
        "/account/profile",
        {
            "display_name": "Acme Cleaning",
            "bio": "We clean.",
            "locale": "ru",
            "company_name": "Acme Ltd",
            "service_area": "Leeds",
        },
    )
    assert resp.status_code == 302
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    assert fresh.display_name == "Acme Cleaning" and fresh.locale == "ru"
    client.logout()
    page = client.get(f"/users/{user.id}")
    assert page.status_code == 200
    assert "Acme Cleaning" in page.text and "Leeds" in page.text
    assert fresh.email not in page.text
    assert client.get("/users/99999").status_code == 404


def test_mail_is_localised(client, user_factory):
    user = user_factory(email="ru@example.com", locale="ru")
    client.submit("/reset", {"email": "ru@example.com"})
    assert mail.outbox()[-1].to == user.email
    # the template is rendered under the user's locale (catalogs may still be English)
    from flask_babel import force_locale, get_locale

    with force_locale("ru"):
        assert str(get_locale()) == "ru"


def test_dev_outbox_page(client, app_factory):
    register(client)
    page = client.get("/-/mail")
    assert page.status_code == 200
    assert "mia@example.com" in page.text


def test_dev_outbox_hidden_in_production(app_factory, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    app = app_factory({"app": {"testing": False}, "security": {"trusted_hosts": ["localhost"]}})
    assert app.test_client().get("/-/mail").status_code == 404


def test_account_menu_hook(client, user_factory, register_plugin):
    from marketplace_kit import hookimpl
    from marketplace_kit.web.menus import Link

    class Extra:
        @hookimpl
        def mk_account_menu_links(self, user):
            return [Link(label=f"Wallet of {user.display_name}", url="/wallet", order=50)]

    register_plugin(Extra())
    user = user_factory(display_name="Zed")
    client.login(user)
    page = client.get("/account").text
    assert "Wallet of Zed" in page and 'href="/wallet"' in page
    assert page.index("Profile") < page.index("Wallet of Zed") < page.index("Security log")


def test_login_and_reset_are_rate_limited(app_factory, monkeypatch):
    monkeypatch.setenv("MARKETPLACE_TEST_RATELIMIT", "1")
    app = app_factory()
    client = app.test_client()
    codes = [client.submit("/login", {"email": "a@example.com"}).status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429
    codes = [client.submit("/reset", {"email": "a@example.com"}).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert client.get("/login").status_code == 200  # GET is not limited


def test_password_change_ends_other_sessions(app, user_factory):
    user = user_factory()
    laptop, phone = app.test_client(), app.test_client()
    laptop.login(user)
    phone.login(user)
    assert phone.get("/account").status_code == 200
    resp = laptop.submit(
        "/account/password",
        {"current_password": "correct horse battery staple", "password": GOOD},
    )
    assert resp.status_code == 302
    assert laptop.get("/account").status_code == 200  # the session that changed it goes on
    assert phone.get("/account").status_code == 302  # the other one is signed out


def test_forged_session_id_is_refused(client, user_factory):
    user = user_factory()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(user.id)  # no fingerprint
    assert client.get("/account").status_code == 302
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}.0000000000000000"
    assert client.get("/account").status_code == 302


def test_overview_shows_status(client, user_factory):
    user = user_factory(verification_level=2)
    client.login(user)
    page = client.get("/account").text
    assert "Verified business" in page and "Send the confirmation link again" in page
    assert client.submit("/account/confirm/resend").status_code == 302
    assert mail.outbox()[-1].template == "confirm_email"
