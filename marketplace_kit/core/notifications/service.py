"""The notification service: ``notify(user, event, context)`` and the centre.

``notify`` adds a :class:`~.models.Notification` (the in-app centre row), one
:class:`~.models.NotificationDelivery` per other channel the user wants for
that event type, and one :class:`~.models.WebhookDelivery` per operator
webhook subscribed to it, all in the caller's transaction; an outbox message
(``notification.deliver``) delivers them after commit.

Delivery is at most once per channel: a delivery is claimed (``pending`` ->
``sending``) in its own committed transaction before the channel is called,
then marked ``sent``; a channel that raises puts it back to ``pending`` with
an exponential backoff (``[notifications] backoff_seconds``, doubling, capped
at ``backoff_max_seconds``) until ``max_attempts``, after which it is
``failed``. The ``core.notifications_retry`` job retries what is due.

While a delivery is ``sending``, ``next_attempt_at`` is its lease: a worker
that died between claiming and finishing leaves it there, and once
``[notifications] sending_timeout_seconds`` have passed the retry job claims
it again (counting an attempt). The channel may then see that notification
twice if the worker died after the channel accepted it but before the row
was marked ``sent``; nothing is lost.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, func, or_, select, update

from ...errors import NotFound, ValidationError
from ...extensions import db
from ..db import utcnow
from . import registry as reg
from .models import Notification, NotificationDelivery, NotificationPreference

DELIVER_TOPIC = "notification.deliver"


def settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.notifications


# -- preferences -------------------------------------------------------------


def preferences(user: Any) -> dict[str, dict[str, bool]]:
    """``{event: {channel: enabled}}`` for every event type and channel (defaults filled in)."""
    r = reg.registry()
    stored = {
        (p.event, p.channel): p.enabled
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    out: dict[str, dict[str, bool]] = {}
    for key, event in r.events.items():
        out[key] = {
            ch: stored.get((key, ch), ch in event.default_channels) for ch in reg.channel_names()
        }
    return out


def set_preferences(user: Any, choices: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    """Store ``{event: {channel: enabled}}`` (partial is fine); unknown names are a 422."""
    r = reg.registry()
    names = set(reg.channel_names())
    errors: dict[str, list[str]] = {}
    for event, channels in choices.items():
        if event not in r.events:
            errors.setdefault(event, []).append("Unknown event type.")
            continue
        for channel, enabled in (channels or {}).items():
            if channel not in names or not isinstance(enabled, bool):
                errors.setdefault(event, []).append(f"Unknown channel or value: {channel!r}.")
    if errors:
        raise ValidationError(errors=errors)
    existing = {
        (p.event, p.channel): p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for event, channels in choices.items():
        for channel, enabled in (channels or {}).items():
            row = existing.get((event, channel))
            if row is None:
                db.session.add(
                    NotificationPreference(
                        user_id=user.id, event=event, channel=channel, enabled=enabled
                    )
                )
            else:
                row.enabled = enabled
    db.session.flush()
    return preferences(user)


# -- sending -----------------------------------------------------------------


def notify(
    user: Any,
    event: str,
    context: dict[str, Any] | None = None,
    *,
    url: str | None = None,
    dedupe_key: str | None = None,
    via_outbox: bool = True,
    webhooks: bool = True,
) -> Notification | None:
    """Tell ``user`` about ``event`` (a registered event type), honouring their preferences.

    Adds rows to the current transaction; the caller commits. Returns the
    notification, or ``None`` when ``dedupe_key`` was seen before.
    ``webhooks=False`` leaves the operator webhooks out (for one event told to
    several users, whose caller queues the webhooks once).
    """
    from ..orders import outbox

    reg.event_type(event)
    if dedupe_key is not None:
        seen = db.session.scalar(
            select(Notification.id).where(Notification.dedupe_key == dedupe_key)
        )
        if seen is not None:
            return None
    wanted = preferences(user)[event]
    note = Notification(
        user_id=user.id,
        event=event,
        context=dict(context or {}),
        url=url,
        in_app=wanted[reg.IN_APP],
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    db.session.add(note)
    db.session.flush()
    for channel in reg.registry().channels:
        if wanted.get(channel):
            db.session.add(NotificationDelivery(notification_id=note.id, channel=channel))
    if webhooks:
        from .webhooks import queue_webhooks

        queue_webhooks(event, {"user_id": user.id, "notification_id": note.id, **note.context})
    if via_outbox:
        outbox.add(DELIVER_TOPIC, {"notification_id": note.id})
    return note


def backoff(attempts: int) -> timedelta:
    s = settings()
    return timedelta(
        seconds=min(s["backoff_seconds"] * 2 ** max(attempts - 1, 0), s["backoff_max_seconds"])
    )


def deliver_due(notification_id: int | None = None, limit: int = 200) -> int:
    """Send due pending deliveries (of one notification, or all); return how many were sent."""
    from ..users.models import User

    now = utcnow()
    due = or_(
        NotificationDelivery.status == "pending",
        NotificationDelivery.status == "sending",  # a lease that ran out: the worker died
    )
    stmt = select(NotificationDelivery.id).where(due, NotificationDelivery.next_attempt_at <= now)
    if notification_id is not None:
        stmt = stmt.where(NotificationDelivery.notification_id == notification_id)
    ids = list(db.session.scalars(stmt.order_by(NotificationDelivery.id).limit(limit)))
    db.session.rollback()
    channels = reg.registry().channels
    sent = 0
    lease = timedelta(seconds=settings()["sending_timeout_seconds"])
    for delivery_id in ids:
        now = utcnow()
        claimed = db.session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id == delivery_id,
                or_(
                    NotificationDelivery.status == "pending",
                    and_(
                        NotificationDelivery.status == "sending",
                        NotificationDelivery.next_attempt_at <= now,
                    ),
                ),
            )
            .values(
                status="sending",
                attempts=NotificationDelivery.attempts + 1,
                next_attempt_at=now + lease,
            )
        ).rowcount
        db.session.commit()
        if not claimed:
            continue  # another worker has it: at most once
        if _gave_up(NotificationDelivery, delivery_id):
            continue
        delivery = db.session.get(NotificationDelivery, delivery_id)
        note = db.session.get(Notification, delivery.notification_id)
        user = db.session.get(User, note.user_id)
        channel = channels.get(delivery.channel)
        try:
            if channel is None:
                raise LookupError(f"notification channel {delivery.channel!r} is not registered")
            if user is None or user.deleted_at is not None:
                raise LookupError("recipient is gone")
            title, body = render(note, user.locale)
            channel.send(notification=note, user=user, title=title, body=body)
        except Exception as exc:  # the channel failed: back off and retry later
            db.session.rollback()
            delivery = db.session.get(NotificationDelivery, delivery_id)
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if delivery.attempts >= settings()["max_attempts"]:
                delivery.status = "failed"
            else:
                delivery.status = "pending"
                delivery.next_attempt_at = utcnow() + backoff(delivery.attempts)
            db.session.commit()
            continue
        delivery = db.session.get(NotificationDelivery, delivery_id)
        delivery.status, delivery.sent_at, delivery.last_error = "sent", utcnow(), None
        db.session.commit()
        sent += 1
    return sent


def _gave_up(model: Any, delivery_id: int) -> bool:
    """Mark a delivery reclaimed after a dead worker ``failed`` once it used up its attempts."""
    row = db.session.get(model, delivery_id)
    if row.attempts <= settings()["max_attempts"]:
        return False
    row.status = "failed"
    row.last_error = (row.last_error or "") + " (worker died while sending; attempts used up)"
    db.session.commit()
    return True


def render(note: Notification, locale: str | None = None) -> tuple[str, str]:
    """``(title, body)`` of a notification in ``locale`` (default: the request's)."""
    event = reg.registry().events.get(note.event)
    if event is None:
        return note.event, ""
    if locale:
        with force_locale(locale):
            return event.rendered(note.context)
    return event.rendered(note.context)


# -- the centre ----------------------------------------------------------------


def _visible(user: Any):
    return select(Notification).where(
        Notification.user_id == user.id, Notification.in_app.is_(True)
    )


def notifications_of(
    user: Any, *, unread_only: bool = False, limit: int = 50, before_id: int | None = None
) -> list[Notification]:
    stmt = _visible(user)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    return list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def unread_count(user: Any) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id,
                Notification.in_app.is_(True),
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def get_own(user: Any, notification_id: int) -> Notification:
    """The user's own notification; someone else's is a 404 like a missing one."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id or not note.in_app:
        raise NotFound("No such notification.")
    return note


def mark_read(user: Any, notification_id: int) -> Notification:
    note = get_own(user, notification_id)
    if note.read_at is None:
        note.read_at = utcnow()
    return note


def mark_all_read(user: Any) -> int:
    return db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    ).rowcount


def deliveries_of(note: Notification) -> list[NotificationDelivery]:
    return list(
        db.session.scalars(
            select(NotificationDelivery)
            .where(NotificationDelivery.notification_id == note.id)
            .order_by(NotificationDelivery.id)
        )
    )
