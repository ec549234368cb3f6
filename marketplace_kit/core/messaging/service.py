"""Messaging services: start, send, read state, blocking, masking on display.

Rules:
- A conversation has two participants: the starter (the enquirer of a
  listing, the customer of an order) and the recipient (the provider).
  There is at most one conversation per order and one per listing and starter.
- Only participants read and write; operators may read (not write) a
  conversation whose order has a dispute that is not resolved, or one with
  an open report of one of its messages (``conversation.view`` in
  :mod:`marketplace_kit.core.access`).
- A user who blocked another receives nothing from them: sending raises
  :class:`~marketplace_kit.errors.PermissionDenied` and nothing is saved.
- Attachments are checked by their first bytes (PNG, JPEG, GIF, WebP, PDF),
  count and size (``[messaging] max_attachments`` / ``max_attachment_bytes``)
  before anything is stored.
- Bodies are stored as written; :func:`visible_body` masks emails, phone
  numbers and links when ``[messaging] mask_contacts`` is on and the order
  is not paid (it never entered one of ``[messaging] paid_states``).
- After commit the event ``mk_message_sent(message)`` runs.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from ...errors import NotFound, PermissionDenied, ValidationError
from ...events import emit
from ...extensions import db
from ..access import can
from ..db import utcnow
from ..listings.models import Listing
from ..orders.models import Order, OrderEvent
from ..storage import storage
from .masking import mask_contacts
from .models import Conversation, ConversationMember, Message, UserBlock

#: magic bytes -> (content type, extension)
FILE_TYPES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"%PDF-", "application/pdf", "pdf"),
)


def settings() -> dict[str, Any]:
    from ...app import state

    return state(current_app).settings.messaging


def sniff(data: bytes) -> tuple[str, str] | None:
    """``(content_type, extension)`` from the file's first bytes, or ``None``."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ("image/webp", "webp")
    for magic, content_type, ext in FILE_TYPES:
        if data.startswith(magic):
            return (content_type, ext)
    return None


def _body(body: Any, has_files: bool) -> str:
    limit = settings()["max_length"]
    text = body.strip() if isinstance(body, str) else ""
    if not text and not has_files:
        raise ValidationError(errors={"body": ["Write a message."]})
    if len(text) > limit:
        raise ValidationError(errors={"body": [f"Write at most {limit} characters."]})
    return text


def _check_files(files: Sequence[tuple[str, bytes]]) -> list[tuple[str, bytes, str, str]]:
    conf = settings()
    if len(files) > conf["max_attachments"]:
        raise ValidationError(
            errors={"attachments": [f"Attach at most {conf['max_attachments']} files."]}
        )
    checked = []
    for name, data in files:
        if len(data) > conf["max_attachment_bytes"]:
            raise ValidationError(
                errors={
                    "attachments": [
                        f"{name[:100]} is larger than {conf['max_attachment_bytes'] // 1024} KB."
                    ]
                }
            )
        kind = sniff(data)
        if kind is None or not data:
            raise ValidationError(
                errors={"attachments": [f"{name[:100]} is not a PNG, JPEG, GIF, WebP or PDF file."]}
            )
        checked.append((name, data, *kind))
    return checked


def is_blocked(blocker_id: int, blocked_id: int) -> bool:
    return (
        db.session.get(UserBlock, {"blocker_id": blocker_id, "blocked_id": blocked_id}) is not None
    )


def _refuse_if_blocked(sender: Any, recipient_id: int) -> None:
    if is_blocked(recipient_id, sender.id):
        raise PermissionDenied("This user does not accept messages from you.")
    if is_blocked(sender.id, recipient_id):
        raise PermissionDenied("You blocked this user; unblock them to write.")


def _member(conversation: Conversation, user_id: int) -> ConversationMember:
    member = db.session.get(
        ConversationMember, {"conversation_id": conversation.id, "user_id": user_id}
    )
    if member is None:
        member = ConversationMember(conversation_id=conversation.id, user_id=user_id)
        db.session.add(member)
    return member


def conversation_for_order(order: Order) -> Conversation | None:
    return db.session.scalars(select(Conversation).where(Conversation.order_id == order.id)).first()


def conversation_for_listing(listing: Listing, user: Any) -> Conversation | None:
    return db.session.scalars(
        select(Conversation).where(
            Conversation.listing_id == listing.id,
            Conversation.order_id.is_(None),
            Conversation.starter_id == user.id,
        )
    ).first()


def start_conversation(
    user: Any,
    *,
    listing: Listing | None = None,
    order: Order | None = None,
    body: Any = "",
    files: Sequence[tuple[str, bytes]] = (),
) -> tuple[Conversation, Message]:
    """Open (or reuse) the conversation about ``listing`` or ``order`` and send the first message."""
    if (listing is None) == (order is None):
        raise ValidationError(errors={"listing_id": ["Give a listing or an order."]})
    if order is not None:
        if user.id not in order.party_ids:
            raise NotFound("No such order.")
        conversation = conversation_for_order(order)
        if conversation is None:
            conversation = Conversation(
                order_id=order.id,
                starter_id=order.customer_id,
                recipient_id=order.provider_id,
            )
    else:
        assert listing is not None
        if listing.status != "published" and listing.author_id != user.id:
            raise NotFound("No such listing.")
        if listing.author_id == user.id:
            raise ValidationError(errors={"listing_id": ["This is your own listing."]})
        conversation = conversation_for_listing(listing, user)
        if conversation is None:
            conversation = Conversation(
                listing_id=listing.id, starter_id=user.id, recipient_id=listing.author_id
            )
    # Validate everything before the conversation is added: a refusal saves nothing.
    _refuse_if_blocked(
        user,
        conversation.recipient_id
        if user.id == conversation.starter_id
        else conversation.starter_id,
    )
    text = _body(body, bool(files))
    checked = _check_files(files)
    if conversation.id is None:
        db.session.add(conversation)
        db.session.flush()
    return conversation, _add_message(conversation, user, text, checked)


def send_message(
    conversation: Conversation, user: Any, body: Any, files: Sequence[tuple[str, bytes]] = ()
) -> Message:
    """Add a message by a participant; refuses blocked senders, empty or bad input."""
    if not can(user, "conversation.send", conversation):
        raise PermissionDenied("Only the people in this conversation can write in it.")
    _refuse_if_blocked(user, conversation.other(user).id)
    text = _body(body, bool(files))
    checked = _check_files(files)
    return _add_message(conversation, user, text, checked)


def _add_message(
    conversation: Conversation, user: Any, text: str, checked: list[tuple[str, bytes, str, str]]
) -> Message:
    attachments = []
    for name, data, content_type, ext in checked:
        key = f"messages/{conversation.id}-{secrets.token_hex(8)}.{ext}"
        storage().save(key, data)
        attachments.append(
            {"key": key, "name": name[:200], "content_type": content_type, "size": len(data)}
        )
    message = Message(
        conversation_id=conversation.id, sender_id=user.id, body=text, attachments=attachments
    )
    db.session.add(message)
    conversation.last_message_at = utcnow()
    db.session.flush()
    member = _member(conversation, user.id)
    member.last_read_message_id = message.id
    member.last_read_at = utcnow()
    _member(conversation, conversation.other(user).id)
    emit("mk_message_sent", message=message)
    return message


def visible_conversation(conversation_id: int, user: Any) -> Conversation:
    """The conversation if ``user`` may read it; 404 otherwise (ids do not leak)."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not can(user, "conversation.view", conversation):
        raise NotFound("No such conversation.")
    return conversation


def sees_hidden(viewer: Any) -> bool:
    """Operators handling reports see messages hidden by moderators."""
    return viewer is not None and can(viewer, "reports.handle")


def messages_of(conversation: Conversation, viewer: Any = None, after_id: int = 0) -> list[Message]:
    """The messages of ``conversation`` that ``viewer`` may see (all of them without a viewer).

    A message hidden by moderators is left out for everyone but its sender
    (who is shown that it was hidden) and operators who handle reports.
    ``after_id`` keeps only newer messages (what a page that shows the others lacks).
    """
    stmt = select(Message).where(Message.conversation_id == conversation.id)
    if after_id:
        stmt = stmt.where(Message.id > after_id)
    if viewer is not None and not sees_hidden(viewer):
        stmt = stmt.where(or_(Message.hidden_at.is_(None), Message.sender_id == viewer.id))
    return list(db.session.scalars(stmt.order_by(Message.id)))


def mark_read(conversation: Conversation, user: Any) -> None:
    """Mark every message in ``conversation`` read for participant ``user``."""
    if user.id not in conversation.participant_ids:
        raise PermissionDenied("Only participants have a read state.")
    last = db.session.scalar(
        select(func.max(Message.id)).where(Message.conversation_id == conversation.id)
    )
    member = _member(conversation, user.id)
    member.last_read_message_id = last or 0
    member.last_read_at = utcnow()


def unread_count(conversation: Conversation, user: Any) -> int:
    member = db.session.get(
        ConversationMember, {"conversation_id": conversation.id, "user_id": user.id}
    )
    last = member.last_read_message_id if member else 0
    return (
        db.session.scalar(
            select(func.count(Message.id)).where(
                Message.conversation_id == conversation.id,
                Message.id > last,
                Message.sender_id != user.id,
            )
        )
        or 0
    )


def conversations_of(user: Any, limit: int = 100) -> list[tuple[Conversation, int]]:
    """The user's conversations, newest activity first, each with its unread count."""
    unread = (
        select(func.count(Message.id))
        .join(
            ConversationMember,
            and_(
                ConversationMember.conversation_id == Message.conversation_id,
                ConversationMember.user_id == user.id,
            ),
            isouter=True,
        )
        .where(
            Message.conversation_id == Conversation.id,
            Message.sender_id != user.id,
            Message.id > func.coalesce(ConversationMember.last_read_message_id, 0),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Conversation, unread)
        .where(or_(Conversation.starter_id == user.id, Conversation.recipient_id == user.id))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(limit)
    ).all()
    return [(c, n or 0) for c, n in rows]


@dataclass
class InboxRow:
    conversation: Conversation
    unread: int
    last: Message | None  # the latest message the user may see
    preview: str  # its body as shown to the user (masked where that applies), shortened


PREVIEW_CHARS = 140


def inbox_of(user: Any, limit: int = 100) -> list[InboxRow]:
    """The inbox: conversations with unread counts and a preview of the latest message.

    The number of queries does not depend on the number of conversations: the
    latest messages, the other participants, the listings and which
    conversations are paid (for masking) are each loaded in one query.
    """
    rows = conversations_of(user, limit=limit)
    if not rows:
        return []
    ids = [c.id for c, _n in rows]
    visible = Message.conversation_id.in_(ids)
    if not sees_hidden(user):
        visible = and_(visible, or_(Message.hidden_at.is_(None), Message.sender_id == user.id))
    latest = {
        m.conversation_id: m
        for m in db.session.scalars(
            select(Message).where(
                Message.id.in_(
                    select(func.max(Message.id)).where(visible).group_by(Message.conversation_id)
                )
            )
        )
    }
    # the other participants and the listings, for the names and titles shown
    db.session.scalars(
        select(Conversation)
        .where(Conversation.id.in_(ids))
        .options(
            selectinload(Conversation.starter),
            selectinload(Conversation.recipient),
            selectinload(Conversation.listing),
        )
    ).all()
    paid = _paid_conversations([c for c, _n in rows]) if settings()["mask_contacts"] else None
    out = []
    for conv, unread in rows:
        last = latest.get(conv.id)
        text = ""
        if last is not None:
            text = last.body if paid is None or conv.id in paid else mask_contacts(last.body)
            text = " ".join(text.split())
            if len(text) > PREVIEW_CHARS:
                text = text[: PREVIEW_CHARS - 1].rstrip() + "…"
        out.append(InboxRow(conv, unread, last, text))
    return out


def _paid_conversations(conversations: Sequence[Conversation]) -> set[int]:
    """Ids of the conversations that count as paid (see :func:`is_paid`), in two queries."""
    states = settings()["paid_states"]
    paid = select(OrderEvent.id).where(
        OrderEvent.order_id == Order.id, OrderEvent.to_state.in_(states)
    )
    out: set[int] = set()
    by_order = {c.order_id: c.id for c in conversations if c.order_id is not None}
    if by_order:
        found = db.session.scalars(select(Order.id).where(Order.id.in_(by_order), paid.exists()))
        out.update(by_order[o] for o in found)
    inquiries = [c for c in conversations if c.order_id is None and c.listing_id is not None]
    if inquiries:
        pairs = db.session.execute(
            select(Order.listing_id, Order.customer_id, Order.provider_id).where(
                Order.listing_id.in_({c.listing_id for c in inquiries}), paid.exists()
            )
        ).all()
        paid_pairs = {(lid, frozenset((a, b))) for lid, a, b in pairs}
        out.update(
            c.id for c in inquiries if (c.listing_id, frozenset(c.participant_ids)) in paid_pairs
        )
    return out


def total_unread(user: Any) -> int:
    return sum(n for _c, n in conversations_of(user, limit=1000))


def block(user: Any, other_id: int) -> UserBlock:
    """``user`` stops receiving messages from ``other_id`` (idempotent)."""
    from ..users.models import User

    if other_id == user.id:
        raise ValidationError(errors={"user_id": ["You cannot block yourself."]})
    if db.session.get(User, other_id) is None:
        raise NotFound("No such user.")
    existing = db.session.get(UserBlock, {"blocker_id": user.id, "blocked_id": other_id})
    if existing is not None:
        return existing
    row = UserBlock(blocker_id=user.id, blocked_id=other_id)
    db.session.add(row)
    return row


def unblock(user: Any, other_id: int) -> None:
    existing = db.session.get(UserBlock, {"blocker_id": user.id, "blocked_id": other_id})
    if existing is not None:
        db.session.delete(existing)


def is_paid(conversation: Conversation) -> bool:
    """Whether the order behind the conversation was ever paid.

    "Paid" means the order entered one of ``[messaging] paid_states``
    (default ``["paid"]``, the state the core ``purchase`` and ``booking``
    processes enter once money is held in escrow); an order keeps counting
    as paid after it moves on (delivered, completed, refunded). For a
    listing inquiry, any paid order between the two participants on that
    listing counts.
    """
    states = settings()["paid_states"]
    paid = select(OrderEvent.id).where(
        OrderEvent.order_id == Order.id, OrderEvent.to_state.in_(states)
    )
    if conversation.order_id is not None:
        query = select(Order.id).where(Order.id == conversation.order_id, paid.exists())
    else:
        ids = conversation.participant_ids
        query = select(Order.id).where(
            Order.listing_id == conversation.listing_id,
            Order.customer_id.in_(ids),
            Order.provider_id.in_(ids),
            paid.exists(),
        )
    return db.session.scalar(query.limit(1)) is not None


def masking_applies(conversation: Conversation) -> bool:
    return bool(settings()["mask_contacts"]) and not is_paid(conversation)


def visible_body(message: Message, masked: bool | None = None) -> str:
    """The body as shown to people: masked when the operator setting applies."""
    if masked is None:
        masked = masking_applies(message.conversation)
    return mask_contacts(message.body) if masked else message.body


def read_attachment(
    message: Message, index: int, viewer: Any = None
) -> tuple[dict[str, Any], bytes]:
    if message.hidden_at is not None and not sees_hidden(viewer):
        raise NotFound("No such attachment.")  # hidden: not even its sender downloads it
    if not 0 <= index < len(message.attachments or []):
        raise NotFound("No such attachment.")
    meta = message.attachments[index]
    data = storage().read(meta["key"])
    if data is None:
        raise NotFound("No such attachment.")
    return meta, data
