"""The listing model. Listing types, categories, images and search build on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...money import Money
from ..db import JSONType, TimestampMixin
from ..users.models import User

LISTING_STATUSES = ("draft", "pending", "published", "paused", "closed")
PRICING_UNITS = ("item", "hour", "day", "project", "person")


class Listing(TimestampMixin, db.Model):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    listing_type: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    pricing_unit: Mapped[str] = mapped_column(String(16), default="item")
    #: Units in stock (or seats, slots); ``None`` when the listing is not stocked.
    quantity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    #: Extended data: public is shown to everyone, protected to parties of an
    #: order, private to the author and operators only.
    public_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    protected_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    private_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    author: Mapped[User] = relationship()

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)

    @price.setter
    def price(self, value: Money) -> None:
        self.price_amount = value.amount
        self.currency = value.currency

    @property
    def owner_id(self) -> int:
        return self.author_id

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.title!r}>"
