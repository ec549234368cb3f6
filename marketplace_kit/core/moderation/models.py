"""Reports of users and content, and the operators' decisions on them (the moderation log)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..db import JSONType, UTCDateTime, utcnow
from ..users.models import User

REPORT_STATUSES = ("open", "actioned", "dismissed")


class ModerationDecision(db.Model):
    """One operator decision on one target: who, what, when, why, and the state before/after.

    Decisions are never edited; they are the moderation log. The reported user
    (``target_user_id``) sees every decision except ``dismiss`` as a notice.
    """

    __tablename__ = "moderation_decisions"
    __table_args__ = (Index("ix_moderation_decisions_target", "kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int] = mapped_column(Integer)
    target_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: dismiss, hide, restore, warn, suspend, ban
    action: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text)
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What the decision changed, e.g. ``{"status": "published"}`` -> ``{"status": "hidden"}``.
    before: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: For ``suspend``: when the account is reactivated by the periodic job.
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    operator: Mapped[User | None] = relationship(foreign_keys=[operator_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])


class Report(db.Model):
    """A user's report of a user, listing, message or any registered kind of content."""

    __tablename__ = "moderation_reports"
    __table_args__ = (
        Index("ix_moderation_reports_target", "kind", "target_id", "status"),
        Index("ix_moderation_reports_reporter_created", "reporter_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    target_id: Mapped[int] = mapped_column(Integer)
    #: The owner of the reported content (the reported user for kind ``user``).
    target_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: A category from :data:`~.service.REASONS`.
    reason: Mapped[str] = mapped_column(String(32), index=True)
    details: Mapped[str] = mapped_column(Text, default="")
    #: A label of the target when it was reported (it may change or disappear later).
    target_label: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    assigned_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decision_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_decisions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    decision: Mapped[ModerationDecision | None] = relationship()
