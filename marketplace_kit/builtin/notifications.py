"""The core's notification events, email channel, outbox handlers, jobs and pages."""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..hookspecs import hookimpl
from ..jobs import Job

RETRY_JOB = "core.notifications_retry"
SAVED_SEARCH_JOB = "core.saved_search_matches"


@hookimpl(tryfirst=True)
def mk_register_notification_events(app: Flask):
    from ..core.notifications.events import CORE_EVENTS

    return list(CORE_EVENTS)


@hookimpl(tryfirst=True)
def mk_register_notification_channels(app: Flask):
    from ..core.notifications.events import EMAIL

    return [EMAIL]


@hookimpl
def mk_configure(app: Flask) -> None:
    from ..app import state
    from ..core.notifications import registry

    pm = state(app).pm
    registry.install(
        app,
        pm.collect(
            "mk_register_notification_events", "notification event", key=lambda e: e.key, app=app
        ),
        pm.collect(
            "mk_register_notification_channels",
            "notification channel",
            key=lambda c: c.name,
            app=app,
        ),
    )


def order_operators() -> list[Any]:
    """Active operators who work on orders (``order.operate``: admin, support, finance)."""
    from sqlalchemy import String, cast, select

    from ..core.access import can
    from ..core.users.models import User
    from ..extensions import db

    staff = db.session.scalars(
        select(User).where(
            User.deleted_at.is_(None),
            User.is_active_account.is_(True),
            User.roles.is_not(None),
            cast(User.roles, String) != "[]",
        )
    )
    return [u for u in staff if can(u, "order.operate")]


def _order_notification(payload: dict[str, Any]) -> None:
    """The orders engine's ``notify`` action: tell the customer, the provider or the operators.

    A notice for the ``operator`` role (e.g. a dispute was opened) goes to the
    in-app centre (and chosen channels) of every active operator who works
    on orders, and to the operator webhooks once.
    """
    from ..core.notifications import service, webhooks
    from ..core.notifications.events import ORDER_UPDATE
    from ..core.users.models import User
    from ..extensions import db

    order_id = payload.get("order_id")
    role = payload.get("role")
    context = {
        "order_id": order_id,
        "role": role,
        "template": payload.get("template"),
        "transition": payload.get("transition"),
    }
    key = "order:{}:{}:{}:{}".format(order_id, context["transition"], context["template"], role)
    if role == "operator":
        recipients = order_operators()
        notes = [
            service.notify(
                user,
                ORDER_UPDATE,
                context,
                url=f"/orders/{order_id}",
                dedupe_key=f"{key[:180]}:{user.id}",
                via_outbox=False,
                webhooks=False,
            )
            for user in recipients
        ]
        notes = [n for n in notes if n is not None]
        if notes or not recipients:  # a redelivered message queues no second webhook
            webhooks.queue_webhooks(ORDER_UPDATE, dict(context))
    else:
        recipient_id = payload.get("recipient_id")
        user = db.session.get(User, recipient_id) if recipient_id else None
        if user is None or user.deleted_at is not None:
            return
        note = service.notify(
            user,
            ORDER_UPDATE,
            context,
            url=f"/orders/{order_id}",
            dedupe_key=key[:200],
            via_outbox=False,
        )
        notes = [note] if note is not None else []
    db.session.commit()
    for note in notes:
        service.deliver_due(note.id)
    webhooks.deliver_due()


@hookimpl
def mk_outbox_message(topic: str, payload: dict[str, Any]) -> None:
    from ..core.notifications import service, webhooks

    if topic == "notification":
        _order_notification(payload)
    elif topic == service.DELIVER_TOPIC:
        service.deliver_due(payload["notification_id"])
        webhooks.deliver_due()


@hookimpl
def mk_verification_decided(request: Any, user: Any) -> None:
    from ..core.notifications import service
    from ..core.notifications.events import VERIFICATION_DECIDED
    from ..core.users.models import User
    from ..events import commit
    from ..extensions import db

    fresh = db.session.get(User, user.id)
    if fresh is None:
        return
    service.notify(
        fresh,
        VERIFICATION_DECIDED,
        {"status": request.status, "reason": request.reason, "level": fresh.verification_level},
        url="/account/verification",
        dedupe_key=f"verification:{request.id}",
    )
    commit()


@hookimpl
def mk_message_sent(message: Any) -> None:
    """Tell the other participant about a new message (in-app, email: their preferences)."""
    from ..core.messaging import service as messaging
    from ..core.messaging.models import Message
    from ..core.notifications import service
    from ..core.notifications.events import NEW_MESSAGE
    from ..events import commit
    from ..extensions import db

    fresh = db.session.get(Message, message.id)
    if fresh is None:
        return
    conversation = fresh.conversation
    text = " ".join(messaging.visible_body(fresh).split())
    excerpt = text[:140] + ("…" if len(text) > 140 else "")
    for user in (conversation.starter, conversation.recipient):
        if user.id == fresh.sender_id or user.deleted_at is not None:
            continue
        service.notify(
            user,
            NEW_MESSAGE,
            {
                "conversation_id": conversation.id,
                "message_id": fresh.id,
                "sender_name": fresh.sender.display_name,
                "excerpt": excerpt,
            },
            url=f"/messages/{conversation.id}#latest",
            dedupe_key=f"message:{fresh.id}:{user.id}",
        )
    commit()


@hookimpl
def mk_listing_changed(listing: Any, change: str) -> None:
    from ..jobs import enqueue

    if change == "published":
        enqueue(SAVED_SEARCH_JOB, listing.id)


def saved_search_matches(listing_id: int) -> int:
    """Notify owners of saved searches (with ``notify`` on) that ``listing_id`` matches.

    Once per listing and saved search (the notification's dedupe key); returns
    how many were notified.
    """
    from sqlalchemy import select

    from ..core.listings.models import Listing, SavedSearch
    from ..core.listings.search import SearchQuery, search_listings
    from ..core.notifications import service
    from ..core.notifications.events import SAVED_SEARCH_MATCH
    from ..core.users.models import User
    from ..errors import ValidationError
    from ..events import commit
    from ..extensions import db

    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.status != "published":
        return 0
    told = 0
    searches = db.session.scalars(
        select(SavedSearch)
        .where(SavedSearch.notify.is_(True), SavedSearch.user_id != listing.author_id)
        .order_by(SavedSearch.id)
    )
    for saved in list(searches):
        params = {**(saved.params or {}), "author_id": listing.author_id}
        try:
            result = search_listings(SearchQuery(**params, sort="newest", limit=100))
        except (TypeError, ValidationError):
            continue  # a search saved under older rules; it matches nothing
        if listing.id not in {x.id for x in result.listings}:
            continue
        user = db.session.get(User, saved.user_id)
        if user is None or user.deleted_at is not None or not user.is_active_account:
            continue
        note = service.notify(
            user,
            SAVED_SEARCH_MATCH,
            {
                "saved_search_id": saved.id,
                "search_name": saved.name,
                "listing_id": listing.id,
                "title": listing.title,
            },
            url=f"/listings/{listing.id}",
            dedupe_key=f"saved_search:{saved.id}:{listing.id}",
        )
        told += note is not None
    commit()
    return told


@hookimpl
def mk_listing_price_dropped(listing: Any, old_price: Any) -> None:
    """Tell the users who favourited ``listing`` that its price went down."""
    from sqlalchemy import select

    from ..core.listings.models import Favourite, Listing
    from ..core.notifications import service
    from ..core.notifications.events import PRICE_DROP
    from ..core.users.models import User
    from ..events import commit
    from ..extensions import db

    fresh = db.session.get(Listing, listing.id)
    if fresh is None or fresh.status != "published":
        return
    fans = db.session.scalars(
        select(User)
        .join(Favourite, Favourite.user_id == User.id)
        .where(Favourite.listing_id == fresh.id, User.deleted_at.is_(None))
    )
    for user in list(fans):
        if user.id == fresh.author_id:
            continue
        service.notify(
            user,
            PRICE_DROP,
            {
                "listing_id": fresh.id,
                "title": fresh.title,
                "old_amount": old_price.amount,
                "new_amount": fresh.price_amount,
                "currency": fresh.currency,
            },
            url=f"/listings/{fresh.id}",
            dedupe_key=f"price_drop:{fresh.id}:{user.id}:{old_price.amount}:{fresh.price_amount}",
        )
    commit()


@hookimpl
def mk_user_data_export(user: Any) -> dict[str, Any]:
    """The user's notifications and conversations (with every message they can see)."""
    from sqlalchemy import select

    from ..core.messaging import service as messaging
    from ..core.notifications.models import Notification
    from ..extensions import db

    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    notes = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    )
    conversations = []
    for conversation, _unread in messaging.conversations_of(user, limit=100_000):
        other = conversation.other(user)
        masked = messaging.masking_applies(conversation)
        conversations.append(
            {
                "id": conversation.id,
                "listing_id": conversation.listing_id,
                "order_id": conversation.order_id,
                "with": other.display_name,
                "messages": [
                    {
                        "from_me": m.sender_id == user.id,
                        "body": m.body
                        if m.sender_id == user.id
                        else messaging.visible_body(m, masked),
                        "attachments": [a.get("name") for a in m.attachments or []],
                        "hidden_by_moderators": m.hidden_at is not None,
                        "created_at": iso(m.created_at),
                    }
                    for m in messaging.messages_of(conversation, user)
                ],
            }
        )
    return {
        "notifications": [
            {
                "event": n.event,
                "context": n.context,
                "url": n.url,
                "created_at": iso(n.created_at),
                "read_at": iso(n.read_at),
            }
            for n in notes
        ],
        "conversations": conversations,
    }


def _retry() -> int:
    from ..core.notifications import service, webhooks

    return service.deliver_due() + webhooks.deliver_due()


@hookimpl
def mk_register_jobs(app: Flask):
    return [
        Job(RETRY_JOB, _retry, schedule={"minute": "*"}),
        Job(SAVED_SEARCH_JOB, saved_search_matches, retries=3, retry_delay=60),
    ]


@hookimpl
def mk_account_menu_links(user: Any):
    from flask_babel import gettext

    from ..core.notifications.service import unread_count
    from ..web.menus import Link

    count = unread_count(user)
    label = gettext("Notifications (%(count)s)", count=count) if count else gettext("Notifications")
    return [Link(label=label, url="/notifications", order=15, key="notifications")]


@hookimpl
def mk_register_blueprints(app: Flask):
    from ..web.pages.notifications import bp

    return [bp]


@hookimpl
def mk_register_api_blueprints(app: Flask):
    from ..web.api.notifications import bp

    return [bp]
