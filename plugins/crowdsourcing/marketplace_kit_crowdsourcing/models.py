"""The crowdsourcing plugin's tables (all prefixed ``crowdsourcing_``).

A task is a core listing of type ``crowdsourcing_tender`` or
``crowdsourcing_contest`` (a customer-authored request) plus a ``Task`` row
with its rules and state. Money never lives here: milestones and prizes are
core orders, and the contest prize waits in a ``crowdsourcing_prize`` ledger
account from the moment the contest is posted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace_kit.core.db import TimestampMixin, UTCDateTime, utcnow
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.orders.models import Order
from marketplace_kit.core.users.models import User
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

KINDS = ("tender", "contest")
TASK_STATES = ("open", "awarded", "cancelled", "split")


class Task(TimestampMixin, db.Model):
    __tablename__ = "crowdsourcing_tasks"
    __table_args__ = (CheckConstraint("max_awards >= 1", name="max_awards_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    #: open, awarded, cancelled, split (a contest paid out by the timer)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    budget_min: Mapped[int | None] = mapped_column(BigInteger)
    budget_max: Mapped[int | None] = mapped_column(BigInteger)
    #: Normalised ``,skill,skill,`` so one LIKE finds a skill.
    skills: Mapped[str] = mapped_column(String(500), default="")
    #: Bids (tender) or entries (contest) close at this time.
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: Contests: the client should choose winners by this time.
    selection_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Tender bids only the client sees / contest entries only the client sees.
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    max_awards: Mapped[int] = mapped_column(Integer, default=1)
    prize_amount: Mapped[int | None] = mapped_column(BigInteger)
    posting_fee_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    guaranteed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    listing: Mapped[Listing] = relationship()
    client: Mapped[User] = relationship()

    def money(self, amount: int | None) -> Money | None:
        return None if amount is None else Money(amount, self.currency)

    @property
    def prize(self) -> Money | None:
        return self.money(self.prize_amount)

    @property
    def skill_list(self) -> list[str]:
        return [s for s in self.skills.split(",") if s]

    @property
    def title(self) -> str:
        return self.listing.title


class Bid(TimestampMixin, db.Model):
    """A provider's bid on a tender; one per provider and task, editable until award."""

    __tablename__ = "crowdsourcing_bids"
    __table_args__ = (
        UniqueConstraint("task_id", "provider_id", name="uq_crowdsourcing_bids_task_provider"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("crowdsourcing_tasks.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[int] = mapped_column(Integer)
    proposal: Mapped[str] = mapped_column(Text)
    #: active, withdrawn, awarded, declined
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    shortlisted: Mapped[bool] = mapped_column(Boolean, default=False)

    task: Mapped[Task] = relationship()
    provider: Mapped[User] = relationship()

    @property
    def price(self) -> Money:
        return Money(self.amount, self.task.currency)


class AllowanceUse(db.Model):
    """One bid of a provider's monthly allowance, spent on a task (returned on cancellation)."""

    __tablename__ = "crowdsourcing_allowance_uses"
    __table_args__ = (
        UniqueConstraint("provider_id", "task_id", name="uq_crowdsourcing_allowance_uses_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("crowdsourcing_tasks.id"), index=True)
    #: ``YYYY-MM`` (UTC) of the month the bid was spent in.
    month: Mapped[str] = mapped_column(String(7), index=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Award(TimestampMixin, db.Model):
    """An awarded bid: the contract between client and provider, worked through milestones."""

    __tablename__ = "crowdsourcing_awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("crowdsourcing_tasks.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("crowdsourcing_bids.id"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)

    task: Mapped[Task] = relationship()
    bid: Mapped[Bid] = relationship()
    provider: Mapped[User] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="award", order_by="Milestone.position"
    )


class Milestone(TimestampMixin, db.Model):
    """A piece of an award; funding it places a core order that holds the money in escrow."""

    __tablename__ = "crowdsourcing_milestones"
    __table_args__ = (
        UniqueConstraint("award_id", "position", name="uq_crowdsourcing_milestones_position"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("crowdsourcing_awards.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date | None] = mapped_column(Date)
    #: planned (not funded yet), withdrawn, or ordered (see the order's state)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)

    award: Mapped[Award] = relationship(back_populates="milestones")
    order: Mapped[Order | None] = relationship()

    @property
    def price(self) -> Money:
        return Money(self.amount, self.award.task.currency)

    @property
    def state(self) -> str:
        return self.order.state if self.order is not None else self.status


class Entry(TimestampMixin, db.Model):
    """A provider's entry in a contest (one per provider)."""

    __tablename__ = "crowdsourcing_entries"
    __table_args__ = (
        UniqueConstraint("task_id", "provider_id", name="uq_crowdsourcing_entries_task_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("crowdsourcing_tasks.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str] = mapped_column(Text)
    shortlisted: Mapped[bool] = mapped_column(Boolean, default=False)
    #: submitted, won (chosen by the client), paid_by_split (timer), not_chosen
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    #: The prize order paying this entry (winners and split recipients).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)

    task: Mapped[Task] = relationship()
    provider: Mapped[User] = relationship()
    order: Mapped[Order | None] = relationship()


class Deliverable(db.Model):
    """A file handed in with a milestone submission or a contest entry."""

    __tablename__ = "crowdsourcing_deliverables"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("crowdsourcing_milestones.id"), index=True
    )
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("crowdsourcing_entries.id"), index=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
