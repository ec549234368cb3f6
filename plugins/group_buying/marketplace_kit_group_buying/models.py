"""Deals, groups and members: the plugin's three tables (prefix ``group_buying_``).

A **deal** is a provider's offer on one listing: a team buy (拼团, groups of
``group_size`` people, price tiers by the number of paid members) or a
tipping-point deal (one pool of units that tips at ``tiers[0].min_size`` and
stops at ``group_size`` units). A **group** is one team of a team-buy deal (a
tipping deal has exactly one). A **member** is one customer's place in a group
and points at the core order that carries their money.

The group's counters (``paid_*``, ``reserved_*``) change only under the group's
row lock, together with the member rows, so they are exact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace_kit.core.db import JSONType, TimestampMixin, UTCDateTime
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.users.models import User
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

TEAM = "team"
TIPPING = "tipping"

#: Group statuses. ``pending``: the leader has not paid yet (no share link);
#: ``open``: taking members; ``filled`` / ``tipped``: succeeded; ``failed``:
#: expired below the lowest tier, everyone refunded; ``abandoned``: the leader
#: never paid.
OPEN_STATUSES = ("pending", "open")
#: Member statuses that hold a place (and count towards limits).
LIVE_MEMBER = ("reserved", "paid", "succeeded")


class Deal(TimestampMixin, db.Model):
    __tablename__ = "group_buying_deals"
    __table_args__ = (
        CheckConstraint("group_size > 0", name="group_size_positive"),
        CheckConstraint("per_order_limit > 0", name="per_order_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    #: What a member pays up front per unit (the listing's price when the deal was made
    #: for team buys, the deal price for tipping deals).
    base_price_amount: Mapped[int] = mapped_column(BigInteger)
    #: ``[{"min_size": int, "unit_price": int}, ...]``: minimums strictly increasing,
    #: prices strictly decreasing. Team buys count paid members, tipping deals units.
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: Members per group (team) or the hard cap in units (tipping).
    group_size: Mapped[int] = mapped_column(Integer)
    fill_window_minutes: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: Units the deal may sell in all (``None``: only the listing's stock limits it).
    stock_cap: Mapped[int | None] = mapped_column(Integer)
    per_order_limit: Mapped[int] = mapped_column(Integer, default=1)
    per_user_limit: Mapped[int] = mapped_column(Integer, default=1)
    leader_discount_amount: Mapped[int] = mapped_column(BigInteger, default=0)

    listing: Mapped[Listing] = relationship()
    provider: Mapped[User] = relationship()

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)

    @property
    def base_price(self) -> Money:
        return self.money(self.base_price_amount)

    @property
    def lowest_tier(self) -> dict[str, Any]:
        return self.tiers[0]

    @property
    def best_price(self) -> Money:
        return self.money(self.tiers[-1]["unit_price"])

    def tier_for(self, count: int) -> dict[str, Any] | None:
        """The highest tier ``count`` paid members (or units) reach, or ``None``."""
        reached = [t for t in self.tiers if t["min_size"] <= count]
        return reached[-1] if reached else None


class Group(TimestampMixin, db.Model):
    __tablename__ = "group_buying_groups"
    __table_args__ = (
        CheckConstraint("paid_members >= 0", name="paid_members_not_negative"),
        CheckConstraint("reserved_members >= 0", name="reserved_members_not_negative"),
        CheckConstraint("paid_units >= 0", name="paid_units_not_negative"),
        CheckConstraint("reserved_units >= 0", name="reserved_units_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("group_buying_deals.id"), index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    #: The share link's secret; set when the leader's payment arrives.
    share_token: Mapped[str | None] = mapped_column(String(40), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    paid_members: Mapped[int] = mapped_column(Integer, default=0)
    paid_units: Mapped[int] = mapped_column(Integer, default=0)
    reserved_members: Mapped[int] = mapped_column(Integer, default=0)
    reserved_units: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The tier the group settled at (its ``min_size``) and that tier's unit price.
    tier_size: Mapped[int | None] = mapped_column(Integer)
    final_unit_price_amount: Mapped[int | None] = mapped_column(BigInteger)

    deal: Mapped[Deal] = relationship()
    leader: Mapped[User | None] = relationship()
    members: Mapped[list[Member]] = relationship(
        back_populates="group", order_by="Member.id", viewonly=True
    )

    @property
    def is_tipping(self) -> bool:
        return self.deal.kind == TIPPING

    @property
    def paid_count(self) -> int:
        """What counts towards the tiers: paid members (team) or paid units (tipping)."""
        return self.paid_units if self.is_tipping else self.paid_members

    @property
    def held_count(self) -> int:
        """Places taken: paid plus reserved (members, or units for tipping deals)."""
        if self.is_tipping:
            return self.paid_units + self.reserved_units
        return self.paid_members + self.reserved_members


class Member(TimestampMixin, db.Model):
    __tablename__ = "group_buying_members"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group_buying_groups.id"), index=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("group_buying_deals.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    #: ``leader`` or ``member``.
    role: Mapped[str] = mapped_column(String(16))
    #: reserved, paid, released (unpaid, place given back), succeeded, refunded.
    status: Mapped[str] = mapped_column(String(16), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    #: Unit price paid up front.
    unit_price_amount: Mapped[int] = mapped_column(BigInteger)
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Set at success: the unit price after the tier (and leader discount), and what
    #: came back of the payment (the difference, with its share of buyer fees).
    final_unit_price_amount: Mapped[int | None] = mapped_column(BigInteger)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)

    group: Mapped[Group] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
