"""Notifications for new messages, saved-search matches and price drops; data export;
operator order notices."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace_kit.core.listings import service as listings
from marketplace_kit.core.listings.social import add_favourite, save_search
from marketplace_kit.core.messaging import service as messaging
from marketplace_kit.core.notifications import service, webhooks
from marketplace_kit.core.notifications.models import Notification, WebhookDelivery
from marketplace_kit.core.orders import outbox
from marketplace_kit.core.users.privacy import export_data
from marketplace_kit.events import commit
from marketplace_kit.extensions import db


def events_of(user) -> list[str]:
    return [n.event for n in service.notifications_of(user)]


def test_a_new_message_notifies_the_other_participant(app, user_factory, listing_factory):
    customer, provider = user_factory(display_name="Chen"), user_factory()
    listing = listing_factory(author=provider)
    conv, _msg = messaging.start_conversation(customer, listing=listing, body="Is it available?")
    commit()
    (note,) = service.notifications_of(provider)
    assert note.event == "new_message" and note.url == f"/messages/{conv.id}#latest"
    title, body = service.render(note)
    assert title == "New message from Chen" and body == "Is it available?"
    assert service.notifications_of(customer) == []  # not the sender
    messaging.send_message(conv, provider, "Yes")
    commit()
    assert events_of(customer) == ["new_message"]
    # email goes out through the outbox like every notification
    assert [d.channel for d in service.deliveries_of(note)] == ["email"]


@pytest.mark.mk_config({"messaging": {"mask_contacts": True}})
def test_the_message_notification_is_masked_like_the_message(app, user_factory, listing_factory):
    customer, provider = user_factory(), user_factory()
    listing = listing_factory(author=provider)
    messaging.start_conversation(customer, listing=listing, body="Mail me: me@example.com")
    commit()
    (note,) = service.notifications_of(provider)
    assert "me@example.com" not in service.render(note)[1]


def test_saved_search_match_notifies_once_per_listing(app, user_factory, listing_factory):
    seller, fan, other, quiet = user_factory(), user_factory(), user_factory(), user_factory()
    wanted = save_search(fan, "Bikes", {"q": "bicycle"}, notify=True)
    save_search(other, "Sofas", {"q": "sofa"}, notify=True)
    save_search(quiet, "Bikes too", {"q": "bicycle"}, notify=False)
    save_search(seller, "Own", {"q": "bicycle"}, notify=True)
    commit()
    listing = listing_factory(author=seller, title="Red bicycle", status="draft")
    listings.publish_listing(listing, seller)
    commit()
    (note,) = service.notifications_of(fan)
    assert note.event == "saved_search_match" and note.url == f"/listings/{listing.id}"
    assert note.context["saved_search_id"] == wanted.id
    assert "Red bicycle" in service.render(note)[1]
    assert service.notifications_of(other) == []
    assert service.notifications_of(quiet) == []
    assert service.notifications_of(seller) == []
    # paused and published again: no second notification for the same listing
    listings.pause_listing(listing, seller)
    commit()
    listings.publish_listing(listing, seller)
    commit()
    assert events_of(fan) == ["saved_search_match"]


def test_price_drop_on_a_favourite(app, user_factory, listing_factory):
    seller, fan, bystander = user_factory(), user_factory(), user_factory()
    listing = listing_factory(author=seller, title="Desk", price_amount=10000)
    add_favourite(fan, listing=listing)
    commit()
    listings.update_listing(listing, seller, price_amount=12000)  # up: nothing
    commit()
    assert service.notifications_of(fan) == []
    listings.update_listing(listing, seller, price_amount=8000)
    commit()
    (note,) = service.notifications_of(fan)
    assert note.event == "price_drop"
    assert (note.context["old_amount"], note.context["new_amount"]) == (12000, 8000)
    assert "Desk" in service.render(note)[0]
    assert service.notifications_of(bystander) == [] and service.notifications_of(seller) == []
    listings.update_listing(listing, seller, title="Oak desk")  # same price: nothing new
    commit()
    assert events_of(fan) == ["price_drop"]


def test_export_holds_notifications_and_messages(app, user_factory, listing_factory):
    customer, provider = user_factory(), user_factory(display_name="Provider P")
    listing = listing_factory(author=provider)
    conv, _msg = messaging.start_conversation(customer, listing=listing, body="Hello there")
    messaging.send_message(conv, provider, "Hi back")
    commit()
    data = export_data(customer)["plugins"]
    assert [n["event"] for n in data["notifications"]] == ["new_message"]
    (exported,) = data["conversations"]
    assert exported["with"] == "Provider P"
    assert [(m["from_me"], m["body"]) for m in exported["messages"]] == [
        (True, "Hello there"),
        (False, "Hi back"),
    ]
    assert data["reports"] == [] and data["moderation_notices"] == []


def test_operator_order_notices_reach_order_operators_and_webhooks_once(
    app, user_factory, order_factory
):
    support = user_factory(roles=["support"])
    finance = user_factory(roles=["finance"])
    moderator = user_factory(roles=["moderator"])
    admin = user_factory(roles=["admin"])
    webhooks.create_endpoint(admin, "http://127.0.0.1:9/hook", ["order_update"])
    commit()
    order = order_factory()

    def operator_hooks() -> int:
        return sum(
            d.payload.get("role") == "operator" for d in db.session.scalars(select(WebhookDelivery))
        )

    outbox.notify_parties(order, ["operator"], "dispute_opened", "open_dispute")
    commit()
    outbox.deliver()
    for user in (support, finance, admin):
        (note,) = [n for n in service.notifications_of(user) if n.context.get("role") == "operator"]
        assert "dispute was opened" in service.render(note)[0]
    assert service.notifications_of(moderator) == []
    assert operator_hooks() == 1
    # a redelivered outbox message tells nobody twice
    outbox.notify_parties(order, ["operator"], "dispute_opened", "open_dispute")
    commit()
    outbox.deliver()
    assert operator_hooks() == 1
    assert (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == support.id)
        )
        == 1
    )
