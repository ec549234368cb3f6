"""Conversations: inquiry and order threads, read state, blocking, attachments, privacy, masking."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace_kit import hookimpl
from marketplace_kit.core.access import can
from marketplace_kit.core.messaging import service
from marketplace_kit.core.messaging.models import Conversation, Message
from marketplace_kit.core.orders import engine
from marketplace_kit.core.storage import storage
from marketplace_kit.errors import NotFound, PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_inquiry_unread_counts_read_state_and_event(people, listing, register_plugin):
    sent = []

    class Listener:
        @hookimpl
        def mk_message_sent(self, message):
            sent.append((message.id, message.sender_id, message.body))

    register_plugin(Listener(), name="listener")
    customer, provider = people["customer"], people["provider"]
    conv, first = service.start_conversation(customer, listing=listing, body="  Hello there ")
    assert sent == []  # only after commit
    commit()
    assert sent == [(first.id, customer.id, "Hello there")]
    assert (conv.starter_id, conv.recipient_id, conv.listing_id) == (
        customer.id,
        provider.id,
        listing.id,
    )
    again, _m = service.start_conversation(customer, listing=listing, body="Still there?")
    commit()
    assert again.id == conv.id  # one conversation per listing and enquirer
    assert service.unread_count(conv, provider) == 2
    assert service.unread_count(conv, customer) == 0
    assert service.conversations_of(provider) == [(conv, 2)]
    service.send_message(conv, provider, "Yes!")
    commit()
    assert service.unread_count(conv, provider) == 0  # replying reads the thread
    assert service.conversations_of(customer) == [(conv, 1)]
    service.mark_read(conv, customer)
    commit()
    assert service.total_unread(customer) == 0
    assert [m.body for m in service.messages_of(conv)] == ["Hello there", "Still there?", "Yes!"]


def test_own_listing_and_unpublished_listing_are_refused(people, listing, listing_factory):
    with pytest.raises(ValidationError):
        service.start_conversation(people["provider"], listing=listing, body="me")
    draft = listing_factory(author=people["provider"], status="draft")
    with pytest.raises(NotFound):
        service.start_conversation(people["customer"], listing=draft, body="hi")
    db.session.rollback()
    assert count(Conversation) == 0


def test_empty_message_saves_nothing(people, listing):
    for body in ("", "   \n ", None):
        with pytest.raises(ValidationError) as exc:
            service.start_conversation(people["customer"], listing=listing, body=body)
        assert "body" in exc.value.errors
    db.session.rollback()
    assert count(Conversation) == 0 and count(Message) == 0


def test_non_participants_cannot_write_or_read(people, listing):
    conv, _m = service.start_conversation(people["customer"], listing=listing, body="Hi")
    commit()
    with pytest.raises(PermissionDenied):
        service.send_message(conv, people["stranger"], "let me in")
    with pytest.raises(NotFound):
        service.visible_conversation(conv.id, people["stranger"])
    with pytest.raises(NotFound):
        service.visible_conversation(conv.id, people["support"])  # no dispute: no operator access
    db.session.rollback()
    assert count(Message) == 1


def test_blocking_stops_messages_both_ways_until_unblocked(people, listing):
    customer, provider = people["customer"], people["provider"]
    conv, _m = service.start_conversation(customer, listing=listing, body="Hi")
    service.block(provider, customer.id)
    commit()
    with pytest.raises(PermissionDenied, match="does not accept"):
        service.send_message(conv, customer, "Hello??")
    with pytest.raises(PermissionDenied, match="does not accept"):
        service.start_conversation(customer, listing=listing, body="Hello??")
    with pytest.raises(PermissionDenied, match="You blocked"):
        service.send_message(conv, provider, "one last thing")
    db.session.rollback()
    assert count(Message) == 1
    with pytest.raises(ValidationError):
        service.block(provider, provider.id)
    service.unblock(provider, customer.id)
    commit()
    service.send_message(conv, customer, "Hello again")
    commit()
    assert count(Message) == 2


@pytest.mark.mk_config({"messaging": {"max_attachment_bytes": 200, "max_attachments": 2}})
def test_attachments_checked_by_magic_bytes_size_and_count(people, listing):
    customer = people["customer"]
    conv, msg = service.start_conversation(
        customer, listing=listing, body="", files=[("photo.png", PNG), ("quote.pdf", PDF)]
    )
    commit()
    assert [(a["name"], a["content_type"], a["size"]) for a in msg.attachments] == [
        ("photo.png", "image/png", len(PNG)),
        ("quote.pdf", "application/pdf", len(PDF)),
    ]
    assert storage().read(msg.attachments[0]["key"]) == PNG
    assert service.read_attachment(msg, 1)[1] == PDF
    bad = [
        [("evil.png", b"<script>alert(1)</script>")],
        [("big.png", PNG + b"\x00" * 300)],
        [("a.png", PNG), ("b.png", PNG), ("c.png", PNG)],
        [("empty.pdf", b"")],
    ]
    for files in bad:
        with pytest.raises(ValidationError) as exc:
            service.send_message(conv, customer, "see attached", files)
        assert "attachments" in exc.value.errors
    db.session.rollback()
    assert count(Message) == 1
    keys = list((storage().root / "messages").iterdir())
    assert len(keys) == 2  # nothing stored for the refused files


def _paid_order(people, listing, fund_wallet):
    fund_wallet(people["customer"], 10000)
    order = engine.place_order(None, customer=people["customer"], listing=listing)
    commit()
    return order


@pytest.mark.mk_config({"messaging": {"mask_contacts": True}})
def test_masking_until_the_order_is_paid(people, listing, fund_wallet):
    order = _paid_order(people, listing, fund_wallet)
    conv, msg = service.start_conversation(
        people["provider"], order=order, body="Pay me directly: anna at example dot com"
    )
    _inquiry, ask = service.start_conversation(
        people["customer"], listing=listing, body="Звоните +7 916 123-45-67"
    )
    commit()
    assert msg.body.endswith("anna at example dot com")  # stored as written
    assert service.visible_body(msg) == "Pay me directly: [hidden]"
    assert service.visible_body(ask) == "Звоните [hidden]"
    engine.transition(order, "pay_from_wallet", people["customer"])
    commit()
    assert service.visible_body(msg) == "Pay me directly: anna at example dot com"
    assert service.visible_body(ask) == "Звоните +7 916 123-45-67"  # a paid order on the listing
    engine.transition(order, "mark_delivered", people["provider"])
    commit()
    assert not service.masking_applies(conv)  # stays paid after it moves on


def test_masking_is_off_by_default(people, listing):
    _conv, msg = service.start_conversation(people["customer"], listing=listing, body="a@b.com")
    commit()
    assert service.visible_body(msg) == "a@b.com"


def test_order_conversation_and_operator_access_during_a_dispute(people, listing, fund_wallet):
    order = _paid_order(people, listing, fund_wallet)
    with pytest.raises(NotFound):
        service.start_conversation(people["stranger"], order=order, body="hi")
    conv, _m = service.start_conversation(people["provider"], order=order, body="Shipped today")
    commit()
    assert (conv.starter_id, conv.recipient_id, conv.order_id) == (
        people["customer"].id,
        people["provider"].id,
        order.id,
    )
    assert not can(people["support"], "conversation.view", conv)
    engine.transition(order, "pay_from_wallet", people["customer"])
    engine.transition(order, "mark_delivered", people["provider"])
    engine.transition(order, "open_dispute", people["customer"], {"reason": "Box was empty."})
    commit()
    assert can(people["support"], "conversation.view", conv)
    assert not can(people["support"], "conversation.send", conv)
    assert not can(people["stranger"], "conversation.view", conv)
    with pytest.raises(PermissionDenied):
        service.send_message(conv, people["support"], "operator here")
    engine.transition(order, "resolve_release", people["support"], {"message": "Released."})
    commit()
    assert not can(people["support"], "conversation.view", conv)


@pytest.mark.mk_config({"messaging": {"mask_contacts": True}})
def test_inbox_previews_the_latest_visible_message_masked_until_paid(
    people, listing, fund_wallet, listing_factory, user_factory
):
    order = _paid_order(people, listing, fund_wallet)
    conv, _first = service.start_conversation(people["provider"], order=order, body="Hello")
    service.send_message(conv, people["customer"], "Mail me: anna@example.com\n\nthanks")
    other = listing_factory(author=user_factory(), title="Other")
    inquiry, _ = service.start_conversation(people["customer"], listing=other, body="x" * 500)
    commit()
    rows = {r.conversation.id: r for r in service.inbox_of(people["provider"])}
    assert rows[conv.id].preview == "Mail me: [hidden] thanks"  # masked, whitespace folded
    assert rows[conv.id].unread == 1
    assert inquiry.id not in rows  # not the provider's conversation
    mine = {r.conversation.id: r for r in service.inbox_of(people["customer"])}
    assert len(mine[inquiry.id].preview) == service.PREVIEW_CHARS
    assert mine[inquiry.id].preview.endswith("…")
    engine.transition(order, "pay_from_wallet", people["customer"])
    commit()
    rows = {r.conversation.id: r for r in service.inbox_of(people["provider"])}
    assert rows[conv.id].preview == "Mail me: anna@example.com thanks"


def test_inbox_hides_a_message_hidden_by_moderators_from_the_recipient(people, listing):
    conv, first = service.start_conversation(people["customer"], listing=listing, body="Hi")
    spam = service.send_message(conv, people["customer"], "buy cheap pills")
    commit()
    spam.hidden_at = first.created_at
    commit()
    assert service.inbox_of(people["provider"])[0].preview == "Hi"
    assert service.inbox_of(people["customer"])[0].preview == "buy cheap pills"  # the sender
