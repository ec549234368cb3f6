"""Reviews (one per side per order) and the stored reputation per user and role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ..db import JSONType, TimestampMixin, UTCDateTime, utcnow
from ..orders.models import Order
from ..users.models import User

#: The roles a user is reviewed and rated in.
ROLES = ("provider", "customer")


class Review(TimestampMixin, db.Model):
    """A review one party of a completed order wrote about the other.

    ``author_role`` is the author's role on the order; the subject is rated in
    the other role (a customer's review rates the provider *as provider*).
    Blind: nobody but its author sees it until ``published_at`` is set, which
    happens when both sides reviewed or ``window_closes_at`` passed.
    """

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("order_id", "author_role", name="uq_reviews_order_side"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        CheckConstraint("author_role IN ('customer', 'provider')", name="author_role_known"),
        Index("ix_reviews_subject_role_published", "subject_id", "subject_role", "published_at"),
        Index("ix_reviews_unpublished_window", "published_at", "window_closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author_role: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject_role: Mapped[str] = mapped_column(String(16))
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    #: ``{criterion name: 1-5}`` for the criteria the listing type declares.
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: When the order's review window closes (set from the order's completion).
    window_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Hidden by moderators (a report decision): not shown, not counted.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    order: Mapped[Order] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    subject: Mapped[User] = relationship(foreign_keys=[subject_id])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_visible(self) -> bool:
        """Shown to everyone: published and not hidden by moderators."""
        return self.published_at is not None and self.hidden_at is None

    def __repr__(self) -> str:
        return f"<Review {self.id} order={self.order_id} {self.author_role} {self.rating}>"


class Reputation(db.Model):
    """A user's computed reputation in one role; recomputed after the events that change it.

    ``score`` is 0-100 (the weighted factors, see docs/trust.md); ``rating``
    the Bayesian-averaged star rating (``None`` without published reviews);
    ``factors`` the breakdown shown on the explanation page.
    """

    __tablename__ = "reputations"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_reputations_user_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    rating: Mapped[float | None] = mapped_column(Float)
    review_count: Mapped[int] = mapped_column(Integer, default=0)
    completed_orders: Mapped[int] = mapped_column(Integer, default=0)
    #: ``[{"key", "label", "value", "weight", "detail"}]`` in display order.
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: ``[{"key", "label"}]``
    badges: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
