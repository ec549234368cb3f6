"""Messaging pages and API: flows without JavaScript, privacy of every endpoint, bad input."""

from __future__ import annotations

import base64
import io

import pytest
from sqlalchemy import func, select

from marketplace_kit.core.messaging import service
from marketplace_kit.core.messaging.models import Conversation, Message
from marketplace_kit.core.orders import engine
from marketplace_kit.events import commit
from marketplace_kit.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def people(user_factory):
    return {
        "customer": user_factory(display_name="Chen Wei"),
        "provider": user_factory(display_name="Иван Мастер"),
        "stranger": user_factory(display_name="Mallory"),
        "support": user_factory(display_name="Ops", roles=["support"]),
    }


@pytest.fixture
def thread(people, listing_factory):
    listing = listing_factory(author=people["provider"], title="Repairs", price_amount=1000)
    conv, msg = service.start_conversation(
        people["customer"], listing=listing, body="Hello", files=[("p.png", PNG)]
    )
    commit()
    return conv, msg, listing


@pytest.fixture
def order(people, listing_factory, fund_wallet):
    listing = listing_factory(author=people["provider"], price_amount=1000, quantity=3)
    fund_wallet(people["customer"], 5000)
    placed = engine.place_order(None, customer=people["customer"], listing=listing)
    commit()
    return placed


def auth(api_token_factory, user):
    return {"Authorization": f"Bearer {api_token_factory(user)}"}


def test_contact_from_listing_inbox_and_reply_without_javascript(client, people, listing_factory):
    listing = listing_factory(author=people["provider"], title="Kitchen repairs")
    client.login(people["customer"])
    page = client.get(f"/listings/{listing.id}")
    assert f"/listings/{listing.id}/contact" in page.get_data(as_text=True)
    assert client.get(f"/listings/{listing.id}/contact").status_code == 200
    response = client.submit(f"/listings/{listing.id}/contact", {"body": "Здравствуйте!"})
    assert response.status_code == 302
    conv = db.session.scalars(select(Conversation)).one()
    assert response.headers["Location"].endswith(f"/messages/{conv.id}#latest")
    # a second visit to "contact" goes to the same conversation
    assert (
        client.get(f"/listings/{listing.id}/contact")
        .headers["Location"]
        .endswith(f"/messages/{conv.id}")
    )
    client.login(people["provider"])
    inbox = client.get("/messages").get_data(as_text=True)
    assert "Chen Wei" in inbox and 'class="badge unread-count"' in inbox and ">1<" in inbox
    view = client.get(f"/messages/{conv.id}").get_data(as_text=True)
    assert "Здравствуйте!" in view
    assert service.unread_count(conv, people["provider"]) == 1  # GET changes nothing
    assert client.submit(f"/messages/{conv.id}/read").status_code == 302
    assert service.unread_count(conv, people["provider"]) == 0
    reply = client.submit(
        f"/messages/{conv.id}",
        {"body": "Добрый день", "attachments": (io.BytesIO(PNG), "plan.png")},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 302
    assert count(Message) == 2
    assert "plan.png" in client.get(f"/messages/{conv.id}").get_data(as_text=True)


def test_bad_input_on_pages_shows_form_errors_and_saves_nothing(client, people, thread):
    conv, _msg, listing = thread
    client.login(people["customer"])
    empty = client.submit(f"/messages/{conv.id}", {"body": "  "})
    assert empty.status_code == 422 and "Write a message." in empty.get_data(as_text=True)
    fake = client.submit(
        f"/messages/{conv.id}",
        {"body": "x", "attachments": (io.BytesIO(b"MZ\x90\x00 not an image"), "cv.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and "is not a PNG" in fake.get_data(as_text=True)
    client.login(people["provider"])
    assert client.submit(f"/messages/{conv.id}/block").status_code == 302
    client.login(people["customer"])
    blocked = client.submit(f"/messages/{conv.id}", {"body": "hello?"})
    assert blocked.status_code == 403
    assert "does not accept messages from you" in blocked.get_data(as_text=True)
    fresh = client.submit(f"/listings/{listing.id}/contact", {"body": "hello?"})
    assert fresh.status_code == 403
    assert count(Message) == 1


@pytest.mark.mk_config({"messaging": {"max_attachment_bytes": 100}})
def test_oversized_attachment_is_a_form_error(client, people, thread):
    conv, _msg, _listing = thread
    client.login(people["customer"])
    big = client.submit(
        f"/messages/{conv.id}",
        {"body": "big", "attachments": (io.BytesIO(PNG + b"\x00" * 500), "big.png")},
        content_type="multipart/form-data",
    )
    assert big.status_code == 422 and "larger than" in big.get_data(as_text=True)
    assert count(Message) == 1


def test_every_page_endpoint_is_private(client, people, thread, order):
    conv, msg, _listing = thread
    base = f"/messages/{conv.id}"
    attachment = f"{base}/attachments/{msg.id}/0"
    client.login(people["customer"])
    assert client.get(attachment).data == PNG
    for who in ("stranger", "support"):
        client.login(people[who])
        assert client.get(base).status_code == 404
        assert client.get(attachment).status_code == 404
        assert client.get(f"{base}/since/0").status_code == 404
        for url in (base, f"{base}/read", f"{base}/block", f"{base}/unblock"):
            assert client.submit(url, {"body": "hi"}).status_code == 404, (who, url)
        assert conv.id not in [c.id for c, _n in service.conversations_of(people[who])]
    client.login(people["stranger"])
    assert client.get(f"/orders/{order.id}/messages").status_code == 404
    assert client.submit(f"/orders/{order.id}/messages", {"body": "hi"}).status_code == 404
    client.logout()
    assert client.get(base).status_code == 302  # to the login page
    assert (
        count(Message) == 1
        and service.is_blocked(people["stranger"].id, people["customer"].id) is False
    )


def test_order_page_section_and_operator_reads_only_during_a_dispute(client, people, order):
    client.login(people["customer"])
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"/orders/{order.id}/messages" in page
    response = client.submit(f"/orders/{order.id}/messages", {"body": "When will it ship?"})
    conv = db.session.scalars(select(Conversation)).one()
    assert response.headers["Location"].endswith(f"/messages/{conv.id}#latest")
    client.login(people["provider"])
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"/messages/{conv.id}" in page and "1 unread" in page
    client.login(people["support"])
    assert client.get(f"/messages/{conv.id}").status_code == 404
    engine.transition(order, "pay_from_wallet", people["customer"])
    engine.transition(order, "mark_delivered", people["provider"])
    engine.transition(order, "open_dispute", people["customer"], {"reason": "Broken."})
    commit()
    view = client.get(f"/messages/{conv.id}")
    assert view.status_code == 200 and "When will it ship?" in view.get_data(as_text=True)
    assert 'action="/messages/' not in view.get_data(as_text=True)  # no send form for operators
    assert client.submit(f"/messages/{conv.id}", {"body": "operator"}).status_code == 403
    assert count(Message) == 1


def test_api_create_list_read_send_mark_read_and_block(
    client, people, listing_factory, api_token_factory
):
    listing = listing_factory(author=people["provider"])
    customer, provider = (
        auth(api_token_factory, people["customer"]),
        auth(api_token_factory, people["provider"]),
    )
    created = client.post(
        "/api/v1/conversations",
        json={
            "listing_id": listing.id,
            "body": "你好",
            "attachments": [{"name": "a.png", "content_base64": base64.b64encode(PNG).decode()}],
        },
        headers=customer,
    )
    assert created.status_code == 201, created.json
    cid = created.json["id"]
    assert created.json["messages"][0]["attachments"][0]["content_type"] == "image/png"
    listed = client.get("/api/v1/conversations", headers=provider).json
    assert [(c["id"], c["unread"]) for c in listed] == [(cid, 1)]
    sent = client.post(
        f"/api/v1/conversations/{cid}/messages", json={"body": "Hi!"}, headers=provider
    )
    assert sent.status_code == 201 and sent.json["body"] == "Hi!"
    assert client.get(f"/api/v1/conversations/{cid}", headers=customer).json["unread"] == 1
    read = client.post(f"/api/v1/conversations/{cid}/read", headers=customer)
    assert read.status_code == 200 and read.json["unread"] == 0
    blocked = client.post(
        "/api/v1/conversations/blocks", json={"user_id": people["customer"].id}, headers=provider
    )
    assert blocked.json == {"user_id": people["customer"].id, "blocked": True}
    refused = client.post(
        f"/api/v1/conversations/{cid}/messages", json={"body": "?"}, headers=customer
    )
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    unblocked = client.delete(
        f"/api/v1/conversations/blocks/{people['customer'].id}", headers=provider
    )
    assert unblocked.json["blocked"] is False
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/conversations/{conversation_id}/messages" in spec["paths"]
    assert "ConversationDetail" in spec["components"]["schemas"]


def test_api_bad_input_is_4xx_and_saves_nothing(client, people, thread, api_token_factory):
    conv, _msg, listing = thread
    customer = auth(api_token_factory, people["customer"])
    url = f"/api/v1/conversations/{conv.id}/messages"
    assert client.post(url, json={"body": ""}, headers=customer).status_code == 422
    bad = {"body": "x", "attachments": [{"name": "x.png", "content_base64": "%%%"}]}
    assert client.post(url, json=bad, headers=customer).status_code == 422
    fake = base64.b64encode(b"GIF-not-really").decode()
    bad = {"body": "x", "attachments": [{"name": "x.gif", "content_base64": fake}]}
    assert client.post(url, json=bad, headers=customer).status_code == 422
    nothing = client.post("/api/v1/conversations", json={"body": "hi"}, headers=customer)
    assert nothing.status_code == 422
    own = client.post(
        "/api/v1/conversations",
        json={"listing_id": listing.id, "body": "me"},
        headers=auth(api_token_factory, people["provider"]),
    )
    assert own.status_code == 422
    assert count(Message) == 1 and count(Conversation) == 1


def test_every_api_endpoint_is_private(client, people, thread, order, api_token_factory):
    conv, _msg, _listing = thread
    for who in ("stranger", "support"):
        headers = auth(api_token_factory, people[who])
        base = f"/api/v1/conversations/{conv.id}"
        assert client.get(base, headers=headers).status_code == 404
        assert (
            client.post(f"{base}/messages", json={"body": "x"}, headers=headers).status_code == 404
        )
        assert client.post(f"{base}/read", headers=headers).status_code == 404
        assert client.get("/api/v1/conversations", headers=headers).json == []
        made = client.post(
            "/api/v1/conversations", json={"order_id": order.id, "body": "x"}, headers=headers
        )
        assert made.status_code in (403, 404), who
    assert client.get("/api/v1/conversations").status_code == 401
    assert count(Message) == 1


@pytest.mark.mk_config({"messaging": {"mask_contacts": True}})
def test_refresh_fragment_has_only_newer_messages_as_the_page_shows_them(client, people, thread):
    conv, first, _listing = thread
    client.login(people["provider"])
    page = client.get(f"/messages/{conv.id}").text
    assert f'data-refresh="/messages/{conv.id}/since/0"' in page
    assert "js/conversation.js" in page
    assert client.get(f"/messages/{conv.id}/since/{first.id}").text == ""
    later = service.send_message(conv, people["customer"], "Call me: +7 916 123-45-67")
    hidden = service.send_message(conv, people["customer"], "spam spam")
    hidden.hidden_at = later.created_at
    commit()
    resp = client.get(f"/messages/{conv.id}/since/{first.id}")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert f'data-id="{later.id}"' in resp.text and "Hello" not in resp.text
    assert "Call me: [hidden]" in resp.text  # masked like the page
    assert "spam spam" not in resp.text and f'data-id="{hidden.id}"' not in resp.text
    client.login(people["customer"])  # the sender sees that it was hidden
    mine = client.get(f"/messages/{conv.id}/since/{later.id}").text
    assert "hidden by moderators" in mine and "spam spam" not in mine
    assert client.get(f"/messages/{conv.id}/since/{2**40}").text == ""
