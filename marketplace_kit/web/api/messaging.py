"""Conversations under ``/api/v1/conversations``: list, create, read, send, mark read, block.

Only participants see a conversation (operators only while its order has an
unresolved dispute); anyone else gets 404. Attachments are sent as base64 in
JSON and checked by their first bytes and size like uploads on the pages.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ...core.listings.models import Listing
from ...core.messaging import service
from ...core.messaging.models import Conversation, Message
from ...core.orders.views import visible_order
from ...errors import NotFound, ValidationError
from ...events import commit
from ...extensions import db
from ..ratelimit import limit
from .auth import BEARER, api_user

bp = Blueprint("api_messaging", __name__, url_prefix="", description="Conversations between users")

SEND_LIMIT = "20 per minute"


class MessageAttachmentUploadSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    content_base64 = fields.String(required=True)


class MessageAttachmentSchema(Schema):
    name = fields.String()
    content_type = fields.String()
    size = fields.Integer()


class ConversationMessageSchema(Schema):
    id = fields.Integer()
    sender_id = fields.Integer()
    body = fields.String(metadata={"description": "Masked when the operator hides contacts."})
    attachments = fields.List(fields.Nested(MessageAttachmentSchema))
    hidden_by_moderators = fields.Boolean(
        metadata={"description": "Hidden by moderators: only its sender (without body) sees it."}
    )
    created_at = fields.DateTime()


class ConversationSummarySchema(Schema):
    id = fields.Integer()
    listing_id = fields.Integer(allow_none=True)
    order_id = fields.Integer(allow_none=True)
    participant_ids = fields.List(fields.Integer())
    last_message_at = fields.DateTime(allow_none=True)
    unread = fields.Integer()


class LastMessageSchema(Schema):
    id = fields.Integer()
    sender_id = fields.Integer()
    preview = fields.String(
        metadata={"description": "Start of the body, masked like the body, whitespace folded."}
    )
    has_attachments = fields.Boolean()
    created_at = fields.DateTime()


class InboxEntrySchema(ConversationSummarySchema):
    last_message = fields.Nested(LastMessageSchema, allow_none=True)


class ConversationDetailSchema(ConversationSummarySchema):
    masked = fields.Boolean()
    messages = fields.List(fields.Nested(ConversationMessageSchema))


class SendMessageSchema(Schema):
    body = fields.String(load_default="", validate=validate.Length(max=100_000))
    attachments = fields.List(
        fields.Nested(MessageAttachmentUploadSchema),
        load_default=list,
        validate=validate.Length(max=20),
    )


class CreateConversationSchema(SendMessageSchema):
    listing_id = fields.Integer(load_default=None)
    order_id = fields.Integer(load_default=None)


class BlockUserSchema(Schema):
    user_id = fields.Integer(required=True)


class BlockStateSchema(Schema):
    user_id = fields.Integer()
    blocked = fields.Boolean()


def _files(items: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
    out = []
    for item in items:
        try:
            data = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                errors={"attachments": [f"{item['name'][:100]} is not valid base64."]}
            ) from None
        out.append((item["name"], data))
    return out


def _summary(conversation: Conversation, user: Any, unread: int | None = None) -> dict[str, Any]:
    participant = user.id in conversation.participant_ids
    if unread is None:
        unread = service.unread_count(conversation, user) if participant else 0
    return {
        "id": conversation.id,
        "listing_id": conversation.listing_id,
        "order_id": conversation.order_id,
        "participant_ids": list(conversation.participant_ids),
        "last_message_at": conversation.last_message_at,
        "unread": unread,
    }


def _message(message: Message, masked: bool, viewer: Any = None) -> dict[str, Any]:
    hidden = message.hidden_at is not None
    redact = hidden and not (viewer is not None and service.sees_hidden(viewer))
    return {
        "id": message.id,
        "sender_id": message.sender_id,
        "body": "" if redact else service.visible_body(message, masked),
        "attachments": []
        if redact
        else [
            {k: a[k] for k in ("name", "content_type", "size")} for a in message.attachments or []
        ],
        "hidden_by_moderators": hidden,
        "created_at": message.created_at,
    }


def _detail(conversation: Conversation, user: Any) -> dict[str, Any]:
    masked = service.masking_applies(conversation)
    return {
        **_summary(conversation, user),
        "masked": masked,
        "messages": [_message(m, masked, user) for m in service.messages_of(conversation, user)],
    }


@bp.route("/conversations", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, InboxEntrySchema(many=True))
def list_conversations():
    """My conversations, newest activity first, with unread counts and the latest message."""
    user = api_user("read")
    return [
        {
            **_summary(row.conversation, user, row.unread),
            "last_message": None
            if row.last is None
            else {
                "id": row.last.id,
                "sender_id": row.last.sender_id,
                "preview": row.preview,
                "has_attachments": bool(row.last.attachments),
                "created_at": row.last.created_at,
            },
        }
        for row in service.inbox_of(user)
    ]


@bp.route("/conversations", methods=["POST"])
@bp.doc(security=BEARER)
@limit(SEND_LIMIT)
@bp.arguments(CreateConversationSchema)
@bp.response(201, ConversationDetailSchema)
def create_conversation(data: dict[str, Any]):
    """Write to a listing's provider (``listing_id``) or the other party of an order (``order_id``).

    Reuses the existing conversation about the same listing or order.
    """
    user = api_user("write")
    target: dict[str, Any] = {}
    if data["order_id"] is not None:
        target["order"] = visible_order(data["order_id"], user)
    elif data["listing_id"] is not None:
        listing = db.session.get(Listing, data["listing_id"])
        if listing is None:
            raise NotFound("No such listing.")
        target["listing"] = listing
    conversation, _message = service.start_conversation(
        user, body=data["body"], files=_files(data["attachments"]), **target
    )
    commit()
    return _detail(conversation, user)


@bp.route("/conversations/<int:conversation_id>", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, ConversationDetailSchema)
def get_conversation(conversation_id: int):
    """A conversation with its messages (does not change the read state)."""
    user = api_user("read")
    return _detail(service.visible_conversation(conversation_id, user), user)


@bp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
@bp.doc(security=BEARER)
@limit(SEND_LIMIT)
@bp.arguments(SendMessageSchema)
@bp.response(201, ConversationMessageSchema)
def send_message(data: dict[str, Any], conversation_id: int):
    """Send a message (text and/or attachments); refused when the other side blocked you."""
    user = api_user("write")
    conversation = service.visible_conversation(conversation_id, user)
    message = service.send_message(conversation, user, data["body"], _files(data["attachments"]))
    commit()
    return _message(message, service.masking_applies(conversation))


@bp.route("/conversations/<int:conversation_id>/read", methods=["POST"])
@bp.doc(security=BEARER)
@bp.response(200, ConversationSummarySchema)
def mark_read(conversation_id: int):
    """Mark every message in the conversation read."""
    user = api_user("write")
    conversation = service.visible_conversation(conversation_id, user)
    service.mark_read(conversation, user)
    commit()
    return _summary(conversation, user)


@bp.route("/conversations/blocks", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(BlockUserSchema)
@bp.response(200, BlockStateSchema)
def block_user(data: dict[str, Any]):
    """Stop receiving messages from a user."""
    user = api_user("write")
    service.block(user, data["user_id"])
    commit()
    return {"user_id": data["user_id"], "blocked": True}


@bp.route("/conversations/blocks/<int:user_id>", methods=["DELETE"])
@bp.doc(security=BEARER)
@bp.response(200, BlockStateSchema)
def unblock_user(user_id: int):
    """Accept messages from a user again."""
    user = api_user("write")
    service.unblock(user, user_id)
    commit()
    return {"user_id": user_id, "blocked": False}
