"""The core's notification events, email channel, outbox handlers, jobs and pages."""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..hookspecs import hookimpl
from ..jobs import Job

RETRY_JOB = "core.notifications_retry"


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


def _order_notification(payload: dict[str, Any]) -> None:
    """The orders engine's ``notify`` action: tell the customer or provider."""
    from ..core.notifications import service, webhooks
    from ..core.notifications.events import ORDER_UPDATE
    from ..core.users.models import User
    from ..extensions import db

    recipient_id = payload.get("recipient_id")
    user = db.session.get(User, recipient_id) if recipient_id else None
    if user is None or user.deleted_at is not None:
        return  # operator-wide notices ("operator" role) go to the webhooks only
    order_id = payload.get("order_id")
    key = "order:{}:{}:{}:{}".format(
        order_id, payload.get("transition"), payload.get("template"), payload.get("role")
    )
    note = service.notify(
        user,
        ORDER_UPDATE,
        {
            "order_id": order_id,
            "role": payload.get("role"),
            "template": payload.get("template"),
            "transition": payload.get("transition"),
        },
        url=f"/orders/{order_id}",
        dedupe_key=key[:200],
        via_outbox=False,
    )
    db.session.commit()
    if note is not None:
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


def _retry() -> int:
    from ..core.notifications import service, webhooks

    return service.deliver_due() + webhooks.deliver_due()


@hookimpl
def mk_register_jobs(app: Flask):
    return [Job(RETRY_JOB, _retry, schedule={"minute": "*"})]


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
