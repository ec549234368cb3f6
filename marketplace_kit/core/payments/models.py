"""Payments, provider webhook events, and idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...money import Money
from ..db import JSONType, TimestampMixin, UTCDateTime, utcnow

#: created -> pending -> succeeded | failed; succeeded -> refunded (order died meanwhile)
PAYMENT_STATUSES = ("created", "pending", "succeeded", "failed", "refunded")
STATUS_RANK = {"created": 0, "pending": 1, "succeeded": 2, "failed": 2, "refunded": 3}


class Payment(TimestampMixin, db.Model):
    """One attempt to pay an order through a provider."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "reference", name="uq_payments_provider_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="created", index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    #: The provider's id of the charge; set when the provider answered.
    reference: Mapped[str | None] = mapped_column(String(120))
    #: Safe to show: card brand and last four digits, bank transfer instructions.
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    message: Mapped[str | None] = mapped_column(String(255))

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class WebhookEvent(db.Model):
    """A provider callback we processed; the unique id makes repeats no-ops."""

    __tablename__ = "payment_webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_events_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: What it did: applied, ignored (stale or out of order), unknown_payment
    outcome: Mapped[str] = mapped_column(String(32))


class IdempotencyKey(db.Model):
    """The first result of a money-moving request sent with an ``Idempotency-Key``."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key", name="uq_idempotency_keys_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PayoutRequest(TimestampMixin, db.Model):
    """A provider asks for their available wallet balance to be paid out."""

    __tablename__ = "payout_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    #: requested -> paid | rejected
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(255), default="")

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)
