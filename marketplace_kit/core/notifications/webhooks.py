"""Outgoing webhooks for operators' own systems.

An operator registers a URL and the event types it wants. Each event becomes
one :class:`~.models.WebhookDelivery` per subscribed endpoint, POSTed as JSON
with the header ``Marketplace-Signature: t=<unix time>,v1=<hex>`` where
``v1 = HMAC-SHA256(secret, "<t>.<raw body>")``; receivers check it with
:func:`verify_signature`. Non-2xx answers and network errors are retried with
the notification backoff; every attempt's outcome is kept (the delivery log).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, or_, select, update

from ...errors import NotFound, ValidationError
from ...extensions import db
from ..db import utcnow
from . import registry as reg
from .models import WebhookDelivery, WebhookEndpoint

SIGNATURE_HEADER = "Marketplace-Signature"
DELIVER_TOPIC = "webhook.deliver"
ALL_EVENTS = "*"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance`` s old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        ts = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(time.time() - ts) > tolerance:
        return False
    expected = sign(secret, body, ts).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def _validate(url: str, events: list[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        errors["url"] = ["Enter an http:// or https:// URL (at most 500 characters)."]
    known = set(reg.registry().events) | {ALL_EVENTS}
    unknown = [e for e in events if e not in known]
    if not events:
        errors["events"] = ["Choose at least one event type."]
    elif unknown:
        errors["events"] = [f"Unknown event types: {', '.join(unknown)}."]
    return errors


def create_endpoint(operator: Any, url: str, events: list[str]) -> WebhookEndpoint:
    from ..access import require

    require(operator, "webhooks.manage", None)
    errors = _validate(url, events)
    if errors:
        raise ValidationError(errors=errors)
    endpoint = WebhookEndpoint(
        url=url,
        events=list(dict.fromkeys(events)),
        secret=secrets.token_hex(32),
        active=True,
        created_by_id=operator.id,
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def masked_secret(endpoint: WebhookEndpoint) -> str:
    """How a secret is shown after creation: only its last four characters."""
    return "••••" + endpoint.secret[-4:]


def get_endpoint(operator: Any, endpoint_id: int) -> WebhookEndpoint:
    from ..access import require

    require(operator, "webhooks.manage", None)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook.")
    return endpoint


def delete_endpoint(operator: Any, endpoint_id: int) -> None:
    db.session.delete(get_endpoint(operator, endpoint_id))


def endpoints(operator: Any) -> list[WebhookEndpoint]:
    from ..access import require

    require(operator, "webhooks.manage", None)
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def deliveries(
    operator: Any, endpoint_id: int | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    from ..access import require

    require(operator, "webhooks.manage", None)
    stmt = select(WebhookDelivery)
    if endpoint_id is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(db.session.scalars(stmt.order_by(WebhookDelivery.id.desc()).limit(limit)))


def queue_webhooks(event: str, data: dict[str, Any]) -> list[WebhookDelivery]:
    """Add one delivery per active endpoint subscribed to ``event`` (caller's transaction)."""
    out = []
    for endpoint in db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))
    ):
        if event in endpoint.events or ALL_EVENTS in endpoint.events:
            delivery = WebhookDelivery(endpoint_id=endpoint.id, event=event, payload=dict(data))
            db.session.add(delivery)
            out.append(delivery)
    return out


def deliver_due(limit: int = 200) -> int:
    """POST due pending webhook deliveries; return how many the receivers accepted."""
    from .service import _gave_up, backoff, settings

    ids = list(
        db.session.scalars(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_(("pending", "sending")),  # sending: lease ran out
                WebhookDelivery.next_attempt_at <= utcnow(),
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    timeout = settings()["webhook_timeout"]
    done = 0
    lease = timedelta(seconds=settings()["sending_timeout_seconds"])
    for delivery_id in ids:
        now = utcnow()
        claimed = db.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                or_(
                    WebhookDelivery.status == "pending",
                    and_(
                        WebhookDelivery.status == "sending", WebhookDelivery.next_attempt_at <= now
                    ),
                ),
            )
            .values(
                status="sending", attempts=WebhookDelivery.attempts + 1, next_attempt_at=now + lease
            )
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        if _gave_up(WebhookDelivery, delivery_id):
            continue
        delivery = db.session.get(WebhookDelivery, delivery_id)
        endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
        url, secret = endpoint.url, endpoint.secret
        body = json.dumps(
            {
                "id": delivery.id,
                "event": delivery.event,
                "created_at": delivery.created_at.isoformat(),
                "data": delivery.payload,
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        db.session.rollback()
        status, error = _post(url, body, secret, timeout)
        delivery = db.session.get(WebhookDelivery, delivery_id)
        delivery.response_status = status
        if error is None:
            delivery.status, delivery.delivered_at, delivery.last_error = (
                "delivered",
                utcnow(),
                None,
            )
            done += 1
        else:
            delivery.last_error = error[:2000]
            if delivery.attempts >= settings()["max_attempts"]:
                delivery.status = "failed"
            else:
                delivery.status = "pending"
                delivery.next_attempt_at = utcnow() + backoff(delivery.attempts)
        db.session.commit()
    return done


def _post(url: str, body: bytes, secret: str, timeout: int) -> tuple[int | None, str | None]:
    request = urllib.request.Request(  # noqa: S310 (http/https only, checked on registration)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "marketplace-kit-webhooks",
            SIGNATURE_HEADER: sign(secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
