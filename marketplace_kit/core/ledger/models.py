"""Ledger tables.

Sign convention: a posting's ``amount`` is signed; a positive amount adds to
the account's balance. The postings of one journal entry sum to zero per
currency, so money is only ever moved, never created: money that enters or
leaves the marketplace passes through a *clearing* account of the payment
provider, which is allowed to go negative (it mirrors the outside world).

Journal entries and postings are immutable: triggers on PostgreSQL and SQLite
reject UPDATE and DELETE (see :mod:`.immutability`). Corrections are new
entries. ``LedgerAccount.balance_amount`` is a cache kept in the same
transaction as the postings; ``marketplace-kit ledger verify`` re-adds the
postings and compares.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...money import Money
from ..db import TimestampMixin, UTCDateTime, utcnow


class LedgerAccount(TimestampMixin, db.Model):
    """An account: one ``kind`` (wallet, escrow, ...) of one owner in one currency."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "owner_key", "currency", name="uq_ledger_accounts_identity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: An account kind registered through ``mk_register_account_kinds``.
    kind: Mapped[str] = mapped_column(String(40))
    #: The owner's id as text: a user id, an order id, a payment provider name,
    #: or ``""`` for the platform itself.
    owner_key: Mapped[str] = mapped_column(String(64), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Cache of the sum of this account's postings (checked by ``ledger verify``).
    balance_amount: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def balance(self) -> Money:
        return Money(self.balance_amount, self.currency)

    def __repr__(self) -> str:
        return f"<LedgerAccount {self.id} {self.kind}:{self.owner_key} {self.currency}>"


class JournalEntry(db.Model):
    """One balanced movement of money; never updated or deleted."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: What happened, e.g. ``payment``, ``escrow_release``, ``refund``, ``payout``.
    kind: Mapped[str] = mapped_column(String(40), index=True)
    memo: Mapped[str] = mapped_column(String(255), default="")
    #: The order this movement belongs to, if any.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    #: Set for movements that must happen at most once (e.g. ``order:7:release``).
    unique_key: Mapped[str | None] = mapped_column(String(160), unique=True)

    postings: Mapped[list[Posting]] = relationship(
        back_populates="entry", order_by="Posting.id", lazy="selectin"
    )


class Posting(db.Model):
    __tablename__ = "ledger_postings"
    __table_args__ = (CheckConstraint("amount != 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship(lazy="joined")

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


from . import immutability  # noqa: E402,F401  (attaches the trigger DDL to the tables)
