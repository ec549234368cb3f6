"""Notifications (the signed-in user's own) and operator webhooks under ``/api/v1``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ...core.notifications import service, webhooks
from ...events import commit
from .auth import BEARER, api_user

bp = Blueprint(
    "api_notifications", __name__, url_prefix="", description="Notifications and webhooks"
)


class NotificationSchema(Schema):
    id = fields.Integer()
    event = fields.String()
    title = fields.String()
    body = fields.String()
    url = fields.String(allow_none=True)
    context = fields.Dict()
    read = fields.Boolean()
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class NotificationListSchema(Schema):
    unread = fields.Integer()
    items = fields.List(fields.Nested(NotificationSchema))
    next_before = fields.Integer(allow_none=True)


class NotificationQuerySchema(Schema):
    unread = fields.Boolean(load_default=False)
    before = fields.Integer(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class NotificationUnreadSchema(Schema):
    unread = fields.Integer()


class NotificationPreferencesSchema(Schema):
    preferences = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Boolean()),
        required=True,
    )


class WebhookEndpointSchema(Schema):
    id = fields.Integer(dump_only=True)
    url = fields.String(required=True, validate=validate.Length(1, 500))
    events = fields.List(fields.String(), required=True)
    secret_hint = fields.Function(
        webhooks.masked_secret,
        dump_only=True,
        metadata={"description": "The secret's last characters; the whole secret is shown once."},
    )
    active = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class WebhookCreatedSchema(WebhookEndpointSchema):
    secret = fields.String(
        dump_only=True, metadata={"description": "Shown only in this answer; keep it safe."}
    )


class WebhookDeliverySchema(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    event = fields.String()
    payload = fields.Dict()
    status = fields.String()
    attempts = fields.Integer()
    response_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


def _payload(note: Any) -> dict[str, Any]:
    title, body = service.render(note)
    return {
        "id": note.id,
        "event": note.event,
        "title": title,
        "body": body,
        "url": note.url,
        "context": note.context,
        "read": note.read_at is not None,
        "read_at": note.read_at,
        "created_at": note.created_at,
    }


@bp.route("/notifications", methods=["GET"])
@bp.doc(security=BEARER)
@bp.arguments(NotificationQuerySchema, location="query")
@bp.response(200, NotificationListSchema)
def list_notifications(query: dict[str, Any]):
    """My notifications, newest first; page with ``before=<next_before>``."""
    user = api_user("read")
    notes = service.notifications_of(
        user, unread_only=query["unread"], limit=query["limit"], before_id=query["before"]
    )
    return {
        "unread": service.unread_count(user),
        "items": [_payload(n) for n in notes],
        "next_before": notes[-1].id if len(notes) == query["limit"] else None,
    }


@bp.route("/notifications/unread-count", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, NotificationUnreadSchema)
def unread_count():
    """How many of my notifications are unread (the header badge)."""
    return {"unread": service.unread_count(api_user("read"))}


@bp.route("/notifications/<int:notification_id>", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, NotificationSchema)
def get_notification(notification_id: int):
    """One of my notifications (someone else's is a 404)."""
    return _payload(service.get_own(api_user("read"), notification_id))


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@bp.doc(security=BEARER)
@bp.response(200, NotificationSchema)
def mark_read(notification_id: int):
    """Mark one of my notifications as read."""
    note = service.mark_read(api_user("write"), notification_id)
    commit()
    return _payload(note)


@bp.route("/notifications/read-all", methods=["POST"])
@bp.doc(security=BEARER)
@bp.response(200, NotificationUnreadSchema)
def mark_all_read():
    """Mark all my notifications as read."""
    user = api_user("write")
    service.mark_all_read(user)
    commit()
    return {"unread": service.unread_count(user)}


@bp.route("/notifications/preferences", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, NotificationPreferencesSchema)
def get_preferences():
    """My choice per event type and channel (defaults filled in)."""
    return {"preferences": service.preferences(api_user("read"))}


@bp.route("/notifications/preferences", methods=["PUT"])
@bp.doc(security=BEARER)
@bp.arguments(NotificationPreferencesSchema)
@bp.response(200, NotificationPreferencesSchema)
def put_preferences(data: dict[str, Any]):
    """Change my choices (``{event: {channel: bool}}``, partial is fine)."""
    user = api_user("write")
    prefs = service.set_preferences(user, data["preferences"])
    commit()
    return {"preferences": prefs}


@bp.route("/webhooks", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, WebhookEndpointSchema(many=True))
def list_webhooks():
    """Operator webhooks (admin)."""
    return webhooks.endpoints(api_user("read"))


@bp.route("/webhooks", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(WebhookEndpointSchema)
@bp.response(201, WebhookCreatedSchema)
def create_webhook(data: dict[str, Any]):
    """Register a webhook URL for event types (``"*"``: all).

    The answer holds its signing secret; it is never shown again (lists show
    ``secret_hint``).
    """
    endpoint = webhooks.create_endpoint(api_user("write"), data["url"], data["events"])
    commit()
    return endpoint


@bp.route("/webhooks/<int:endpoint_id>", methods=["DELETE"])
@bp.doc(security=BEARER)
@bp.response(204)
def delete_webhook(endpoint_id: int):
    """Delete a webhook and its delivery log."""
    webhooks.delete_endpoint(api_user("write"), endpoint_id)
    commit()


@bp.route("/webhooks/<int:endpoint_id>/deliveries", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, WebhookDeliverySchema(many=True))
def webhook_deliveries(endpoint_id: int):
    """The delivery log of one webhook, newest first."""
    operator = api_user("read")
    webhooks.get_endpoint(operator, endpoint_id)
    return webhooks.deliveries(operator, endpoint_id)
