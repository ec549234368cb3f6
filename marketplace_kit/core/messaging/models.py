"""Conversations, their members (read state), messages and user blocks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..db import JSONType, TimestampMixin, UTCDateTime, utcnow
from ..listings.models import Listing
from ..orders.models import Order
from ..users.models import User


class Conversation(TimestampMixin, db.Model):
    """Two users talking about one listing (an inquiry) or one order."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("order_id", name="uq_conversations_order"),
        UniqueConstraint("listing_id", "starter_id", name="uq_conversations_listing_starter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    #: Who opened it (the customer of an order, the enquirer of a listing).
    starter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: The other side (the provider).
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    listing: Mapped[Listing | None] = relationship()
    order: Mapped[Order | None] = relationship()
    starter: Mapped[User] = relationship(foreign_keys=[starter_id])
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])

    @property
    def participant_ids(self) -> tuple[int, int]:
        return (self.starter_id, self.recipient_id)

    @property
    def under_dispute(self) -> bool:
        """Whether the order has a dispute that is not resolved (operators may read then)."""
        if self.order_id is None:
            return False
        from sqlalchemy import select

        from ..disputes.models import Dispute

        status = db.session.scalar(select(Dispute.status).where(Dispute.order_id == self.order_id))
        return status is not None and status != "resolved"

    @property
    def under_report(self) -> bool:
        """Whether one of its messages has an open report (operators may read it then)."""
        from sqlalchemy import select

        from ..moderation.models import Report

        reported = select(Message.id).where(Message.conversation_id == self.id)
        return (
            db.session.scalar(
                select(Report.id)
                .where(
                    Report.kind == "message",
                    Report.status == "open",
                    Report.target_id.in_(reported),
                )
                .limit(1)
            )
            is not None
        )

    def other(self, user: Any) -> User:
        return self.recipient if user.id == self.starter_id else self.starter


class ConversationMember(db.Model):
    """Read state of one participant: the last message id they have read."""

    __tablename__ = "conversation_members"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    last_read_message_id: Mapped[int] = mapped_column(Integer, default=0)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Message(db.Model):
    """One message. ``body`` is stored as written; masking happens when shown."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    #: ``[{"key": storage key, "name": ..., "content_type": ..., "size": bytes}]``
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: Set when moderators hid the message: only its sender (who sees a notice
    #: instead of the text) and operators see it then.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    conversation: Mapped[Conversation] = relationship()
    sender: Mapped[User] = relationship()


class UserBlock(db.Model):
    """``blocker`` does not accept messages from ``blocked``."""

    __tablename__ = "user_blocks"

    blocker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
