"""Operator audit log and queue assignments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..db import JSONType, UTCDateTime, utcnow
from ..users.models import User


class OperatorAction(db.Model):
    """One action an operator took in the console (or through an operator service).

    ``action`` is a dotted name (``listing.reject``, ``payout.approve``, ...),
    ``target_type``/``target_id`` what it acted on, ``subject_user_id`` the user
    it concerns (the listing's author, the payout's owner, ...), ``before`` and
    ``after`` the changed fields. Rows are never updated or deleted.
    """

    __tablename__ = "operator_actions"
    __table_args__ = (Index("ix_operator_actions_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    subject_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_user_id])


class QueueAssignment(db.Model):
    """Who works on an item of a console queue (one row per queue and item)."""

    __tablename__ = "queue_assignments"
    __table_args__ = (UniqueConstraint("queue", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(Integer)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id])
