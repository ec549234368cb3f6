"""The outbox: side effects written in the same transaction as their cause.

Nothing leaves the process while a transaction holds locks: services add an
:class:`~.models.OutboxMessage`, and after commit the ``core.deliver_outbox``
job hands each message to every ``mk_outbox_message`` implementation (the
notification channels, payment provider calls). A message whose delivery
raised stays undelivered, with the error and attempt count, and is retried
by the next run.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event, select

from ...events import emit
from ...extensions import db
from ..db import utcnow
from .models import Order, OutboxMessage

MAX_ATTEMPTS = 10
_KICK = "mk_outbox_kick"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset_kick(session: Session, *args: Any) -> None:
    session.info.pop(_KICK, None)


def add(topic: str, payload: dict[str, Any]) -> OutboxMessage:
    """Queue a message; the delivery job is enqueued when the transaction commits."""
    message = OutboxMessage(topic=topic, payload=payload)
    db.session.add(message)
    if not db.session.info.get(_KICK):
        db.session.info[_KICK] = True
        emit("mk_outbox_ready")
    return message


def notify_parties(
    order: Order, to: list[str] | tuple[str, ...], template: str, transition: str
) -> None:
    from .engine import process_of

    label = process_of(order).transition_label(transition)
    for role in to:
        recipient = {"customer": order.customer_id, "provider": order.provider_id}.get(role)
        add(
            "notification",
            {
                "order_id": order.id,
                "role": role,
                "recipient_id": recipient,
                "template": template,
                "transition": transition,
                "transition_label": label,
            },
        )


def deliver(limit: int = 100) -> int:
    """Deliver pending messages, each in its own short transaction; return how many succeeded."""
    from ...app import state

    pm = state(current_app).pm
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
    db.session.rollback()  # hold nothing while calling out
    done = 0
    for message_id in ids:
        message = db.session.get(OutboxMessage, message_id)
        if message is None or message.delivered_at is not None:
            continue
        topic, payload = message.topic, dict(message.payload)
        db.session.rollback()
        try:
            pm.hook.mk_outbox_message(topic=topic, payload=payload)
        except Exception as exc:  # delivery failed: record and retry later
            message = db.session.get(OutboxMessage, message_id)
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            db.session.commit()
            continue
        # Mark delivered only if nobody else did meanwhile (at-least-once delivery).
        db.session.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.id == message_id, OutboxMessage.delivered_at.is_(None))
            .values(delivered_at=utcnow(), attempts=OutboxMessage.attempts + 1)
        )
        db.session.commit()
        done += 1
    return done


def pending(topic: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(OutboxMessage.delivered_at.is_(None))
    if topic:
        stmt = stmt.where(OutboxMessage.topic == topic)
    return list(db.session.scalars(stmt.order_by(OutboxMessage.id)))
