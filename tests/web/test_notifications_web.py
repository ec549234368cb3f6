"""Notification centre, preferences and webhook pages and API; nobody sees another's notifications."""

from __future__ import annotations

import pytest

from marketplace_kit.core.notifications import service, webhooks
from marketplace_kit.events import commit


@pytest.fixture
def two_users(app, user_factory):
    alice = user_factory(display_name="Alice")
    bob = user_factory(display_name="Bob")
    a = service.notify(alice, "verification_decided", {"status": "rejected", "reason": "A-secret"})
    b = service.notify(bob, "verification_decided", {"status": "rejected", "reason": "B-secret"})
    commit()
    return alice, bob, a.id, b.id


def test_centre_lists_only_my_notifications_and_marks_them_read(client, two_users):
    alice, _bob, a_id, b_id = two_users
    client.login(alice)
    page = client.get("/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "A-secret" in html and "B-secret" not in html
    assert "Notifications (1)" in html  # the unread badge in the account menu
    assert client.submit(f"/notifications/{b_id}/read").status_code == 404
    assert service.unread_count(two_users[1]) == 1
    response = client.submit(f"/notifications/{a_id}/read")
    assert response.status_code == 302
    assert service.unread_count(alice) == 0
    assert "Notifications (1)" not in client.get("/notifications").get_data(as_text=True)


def test_mark_all_read_touches_only_my_notifications(client, two_users):
    alice, bob, _a, _b = two_users
    client.login(alice)
    assert client.submit("/notifications/read-all").status_code == 302
    assert service.unread_count(alice) == 0
    assert service.unread_count(bob) == 1


def test_state_does_not_change_on_get(client, two_users):
    alice, _bob, a_id, _b = two_users
    client.login(alice)
    assert client.get(f"/notifications/{a_id}/read").status_code == 405
    assert service.unread_count(alice) == 1


def test_preferences_page_saves_choices(client, app, user_factory):
    user = user_factory()
    client.login(user)
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'id="pref-order_update-email"' in page and "checked" in page
    # Only the in-app box for order updates stays ticked.
    response = client.submit("/notifications/preferences", {"pref-order_update-in_app": "1"})
    assert response.status_code == 302
    prefs = service.preferences(user)
    assert prefs["order_update"] == {"in_app": True, "email": False}
    assert prefs["verification_decided"] == {"in_app": False, "email": False}


def test_pages_need_a_signed_in_user(client):
    assert client.get("/notifications").status_code == 302
    assert client.get("/notifications/preferences").status_code == 302


def test_api_lists_reads_and_hides_other_users_notifications(client, two_users, api_token_factory):
    alice, bob, a_id, b_id = two_users
    auth = {"Authorization": f"Bearer {api_token_factory(alice)}"}
    listing = client.get("/api/v1/notifications", headers=auth).get_json()
    assert listing["unread"] == 1
    assert [n["id"] for n in listing["items"]] == [a_id]
    assert listing["items"][0]["title"] == "Your verification was not approved"
    assert client.get(f"/api/v1/notifications/{b_id}", headers=auth).status_code == 404
    assert client.post(f"/api/v1/notifications/{b_id}/read", headers=auth).status_code == 404
    assert service.unread_count(bob) == 1
    read = client.post(f"/api/v1/notifications/{a_id}/read", headers=auth)
    assert read.status_code == 200 and read.get_json()["read"] is True
    count = client.get("/api/v1/notifications/unread-count", headers=auth).get_json()
    assert count == {"unread": 0}
    assert client.post("/api/v1/notifications/read-all", headers=auth).get_json() == {"unread": 0}
    assert service.unread_count(bob) == 1
    assert client.get("/api/v1/notifications").status_code == 401


def test_api_preferences(client, app, user_factory, api_token_factory):
    user = user_factory()
    auth = {"Authorization": f"Bearer {api_token_factory(user)}"}
    prefs = client.get("/api/v1/notifications/preferences", headers=auth).get_json()
    assert prefs["preferences"]["payout_paid"] == {"in_app": True, "email": True}
    changed = client.put(
        "/api/v1/notifications/preferences",
        json={"preferences": {"payout_paid": {"email": False}}},
        headers=auth,
    )
    assert changed.status_code == 200
    assert changed.get_json()["preferences"]["payout_paid"] == {"in_app": True, "email": False}
    bad = client.put(
        "/api/v1/notifications/preferences",
        json={"preferences": {"payout_paid": {"pigeon": True}}},
        headers=auth,
    )
    assert bad.status_code == 422
    assert bad.content_type.startswith("application/problem+json")
    read_only = {"Authorization": f"Bearer {api_token_factory(user, scopes=['read'])}"}
    assert (
        client.put(
            "/api/v1/notifications/preferences", json={"preferences": {}}, headers=read_only
        ).status_code
        == 403
    )


def test_operator_webhook_pages(client, app, user_factory):
    admin = user_factory(roles=["admin"])
    client.login(admin)
    assert client.get("/console/webhooks").status_code == 200
    bad = client.submit("/console/webhooks", {"url": "ftp://x", "events": ["order_update"]})
    assert bad.status_code == 422
    assert "Enter an http://" in bad.get_data(as_text=True)
    ok = client.submit(
        "/console/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["order_update"]}
    )
    assert ok.status_code == 201
    (endpoint,) = webhooks.endpoints(admin)
    assert endpoint.events == ["order_update"]
    assert endpoint.secret in ok.get_data(as_text=True)  # shown once, at creation
    page = client.get("/console/webhooks").get_data(as_text=True)
    assert endpoint.secret not in page and endpoint.secret[-4:] in page  # then masked
    assert client.get("/console/webhooks/deliveries").status_code == 200
    assert client.submit(f"/console/webhooks/{endpoint.id}/delete").status_code == 302
    assert webhooks.endpoints(admin) == []


def test_webhook_pages_and_api_are_for_admins_only(client, app, user_factory, api_token_factory):
    finance = user_factory(roles=["finance"])
    client.login(finance)
    assert client.get("/console/webhooks").status_code == 403
    assert client.get("/console/webhooks/deliveries").status_code == 403
    auth = {"Authorization": f"Bearer {api_token_factory(finance)}"}
    assert client.get("/api/v1/webhooks", headers=auth).status_code == 403
    assert (
        client.post(
            "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["*"]}, headers=auth
        ).status_code
        == 403
    )


def test_webhook_api(client, app, user_factory, api_token_factory):
    admin = user_factory(roles=["admin"])
    auth = {"Authorization": f"Bearer {api_token_factory(admin)}"}
    created = client.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/", "events": ["*"]}, headers=auth
    )
    assert created.status_code == 201
    body = created.get_json()
    assert len(body["secret"]) == 64
    (listed,) = client.get("/api/v1/webhooks", headers=auth).get_json()
    assert listed["id"] == body["id"] and "secret" not in listed
    assert listed["secret_hint"] == "••••" + body["secret"][-4:]
    log = client.get(f"/api/v1/webhooks/{body['id']}/deliveries", headers=auth)
    assert log.status_code == 200 and log.get_json() == []
    bad = client.post("/api/v1/webhooks", json={"url": "nope", "events": ["*"]}, headers=auth)
    assert bad.status_code == 422
    assert client.delete(f"/api/v1/webhooks/{body['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/webhooks/{body['id']}/deliveries", headers=auth).status_code == 404
