"""Orders, their price lines, timeline, timers, and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...money import Money
from ..db import JSONType, TimestampMixin, UTCDateTime, utcnow
from ..listings.models import Listing
from ..users.models import User


class Order(TimestampMixin, db.Model):
    """An order follows one version of one process; ``state`` is where it is now."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("stock_reserved >= 0", name="stock_reserved_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_name: Mapped[str] = mapped_column(String(64), index=True)
    process_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(64), index=True)
    #: Incremented by every transition; clients send it back to detect stale pages.
    version: Mapped[int] = mapped_column(Integer, default=1)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"), index=True)
    #: The order this one came from (a negotiation that became a purchase).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    stock_reserved: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    #: Unit price agreed for this order (listing price, or a negotiated one).
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)
    #: Set once by ``calculate_price``; ``None`` until the order is priced.
    subtotal_amount: Mapped[int | None] = mapped_column(BigInteger)
    customer_total_amount: Mapped[int | None] = mapped_column(BigInteger)
    provider_payout_amount: Mapped[int | None] = mapped_column(BigInteger)
    booking_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booking_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The cancellation policy in force when the order was placed (a copy).
    cancellation_policy: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: Extended data: protected (both parties) and private (operators).
    protected_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    private_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    customer: Mapped[User] = relationship(foreign_keys=[customer_id])
    provider: Mapped[User] = relationship(foreign_keys=[provider_id])
    listing: Mapped[Listing | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", lazy="selectin"
    )

    @property
    def party_ids(self) -> tuple[int, int]:
        return (self.customer_id, self.provider_id)

    def money(self, amount: int | None) -> Money | None:
        return None if amount is None else Money(amount, self.currency)

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_amount, self.currency)

    @property
    def subtotal(self) -> Money | None:
        return self.money(self.subtotal_amount)

    @property
    def customer_total(self) -> Money | None:
        return self.money(self.customer_total_amount)

    @property
    def provider_payout(self) -> Money | None:
        return self.money(self.provider_payout_amount)

    @property
    def is_priced(self) -> bool:
        return self.customer_total_amount is not None

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.process_name}@{self.process_version} {self.state}>"


LINE_KINDS = ("item", "fee", "discount", "adjustment")


class OrderLine(db.Model):
    """One line of an order's price; written once when the order is priced.

    ``payer`` is who bears the line: ``customer`` lines add to what the
    customer pays, ``provider`` lines are deducted from the provider's payout.
    Fee lines go to the platform; discounts are negative.
    """

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    payer: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class OrderEvent(db.Model):
    """The timeline: one row per transition taken."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    transition: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class OrderTimer(db.Model):
    """A timed transition waiting to fire; at most one per order, transition and entry."""

    __tablename__ = "order_timers"
    __table_args__ = (
        UniqueConstraint("order_id", "transition", "order_version", name="uq_order_timers_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    transition: Mapped[str] = mapped_column(String(64))
    #: The order's version when the timer was set; any later transition cancels it.
    order_version: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: pending, fired, cancelled, failed
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxMessage(db.Model):
    """A side effect (notification, provider call) written in the same transaction as its cause.

    Delivered after commit by the ``core.deliver_outbox`` job, outside any
    transaction that holds locks; delivery is retried until it succeeds.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class FeeOverride(TimestampMixin, db.Model):
    """Fee rules an operator set for one provider; they replace ``[fees] rules`` for them."""

    __tablename__ = "fee_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: A list of rules in the ``[fees] rules`` format (validated by FeeRuleSchema).
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(255), default="")
