"""Dispute and its messages (with evidence)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..db import JSONType, TimestampMixin, UTCDateTime, utcnow


class Dispute(TimestampMixin, db.Model):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_by_role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    #: open, answered, resolved
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    #: release, refund, split, refund_unanswered
    resolution: Mapped[str | None] = mapped_column(String(32))
    refunded_amount: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    messages: Mapped[list[DisputeMessage]] = relationship(
        order_by="DisputeMessage.id", lazy="selectin"
    )


class DisputeMessage(db.Model):
    __tablename__ = "dispute_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    #: Evidence: a list of ``{"label": ..., "url": ...}`` (files live in storage).
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
