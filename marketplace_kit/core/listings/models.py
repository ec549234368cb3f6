"""Listings, categories, images, favourites and saved searches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
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
from ...money import Money
from ..db import JSONType, TimestampMixin, UTCDateTime
from ..users.models import User

#: ``hidden``: hidden by moderators (a report decision); only operators and the author see it.
LISTING_STATUSES = ("draft", "pending", "published", "paused", "closed", "hidden")
PRICING_UNITS = ("item", "hour", "day", "project", "person")


class Category(TimestampMixin, db.Model):
    """A node of the category tree; ``names`` maps a locale to the translated name."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    names: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    #: Attribute names suggested for listings in this category (form hints).
    attribute_hints: Mapped[list[str]] = mapped_column(JSONType, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id])

    def name(self, locale: str | None = None) -> str:
        return category_name(self.names, self.slug, locale)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


def category_name(names: dict[str, str] | None, slug: str, locale: str | None) -> str:
    """The name for ``locale`` (or its language), else English, else any, else the slug."""
    names = names or {}
    if locale and locale in names:
        return names[locale]
    if locale and locale.split("_")[0] in names:
        return names[locale.split("_")[0]]
    return names.get("en") or next(iter(names.values()), slug)


class Listing(TimestampMixin, db.Model):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("quantity IS NULL OR quantity >= 0", name="quantity_not_negative"),
        Index("ix_listings_status_created", "status", "created_at", "id"),
        Index("ix_listings_status_price", "status", "price_amount", "id"),
        Index("ix_listings_status_lat_lng", "status", "latitude", "longitude", "id"),
        Index("ix_listings_status_rating", "status", "provider_rating", "id"),
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

    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Why an operator rejected or hid the listing (shown to its author).
    moderation_note: Mapped[str | None] = mapped_column(String(500))
    #: The indexed document: title, description and the type's searchable public
    #: attributes, with CJK runs split into bigrams (see ``search.documents``).
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    #: The author's Bayesian-averaged rating as provider (``None`` without published
    #: reviews) and their review count, copied here when their reputation is recomputed
    #: so search can filter and sort by it (see ``core.trust.reputation``).
    provider_rating: Mapped[float | None] = mapped_column(Float)
    provider_review_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    author: Mapped[User] = relationship()
    category: Mapped[Category | None] = relationship()
    images: Mapped[list[ListingImage]] = relationship(
        order_by=lambda: ListingImage.gallery_order(),
        cascade="all, delete-orphan",
        back_populates="listing",
    )

    @property
    def cover_id(self) -> int | None:
        """The id of the listing's first image (its cover on cards), or ``None``."""
        return self.images[0].id if self.images else None

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


class ListingImage(TimestampMixin, db.Model):
    """An uploaded image of a listing, stored under the instance's storage folder."""

    __tablename__ = "listing_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Path relative to the storage root.
    path: Mapped[str] = mapped_column(String(300), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)

    listing: Mapped[Listing] = relationship(back_populates="images")

    @classmethod
    def gallery_order(cls) -> tuple[Any, Any]:
        """The order of a listing's images (the first is its cover): ``Listing.images``,
        the cards' ``cover_id`` and the listing page's ``image_ids`` all read it."""
        return cls.position, cls.id


class Favourite(TimestampMixin, db.Model):
    """A user follows a listing or a provider (exactly one of the two)."""

    __tablename__ = "favourites"
    __table_args__ = (
        UniqueConstraint("user_id", "listing_id", name="one_favourite_per_listing"),
        UniqueConstraint("user_id", "provider_id", name="one_favourite_per_provider"),
        CheckConstraint(
            "(listing_id IS NULL) <> (provider_id IS NULL)", name="listing_xor_provider"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )

    @property
    def owner_id(self) -> int:
        return self.user_id


class SavedSearch(TimestampMixin, db.Model):
    """Search parameters a user keeps; ``last_seen_id`` marks what they were told about."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    notify: Mapped[bool] = mapped_column(default=False)
    last_seen_id: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def owner_id(self) -> int:
        return self.user_id
