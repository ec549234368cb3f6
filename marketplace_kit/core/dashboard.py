"""What a signed-in user's dashboard shows, as a customer and as a provider.

A fixed number of queries, whatever the user's history: counts and sums are
aggregated in SQL; lists are capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..money import Money
from .db import utcnow
from .ledger.models import JournalEntry, LedgerAccount, Posting
from .ledger.service import owner_key
from .listings.models import Favourite, Listing, SavedSearch
from .orders.models import Order
from .payments.models import PayoutRequest

RECENT = 5
EARNINGS_DAYS = 30


@dataclass
class Dashboard:
    listing_counts: dict[str, int] = field(default_factory=dict)
    sales: list[Order] = field(default_factory=list)
    purchases: list[Order] = field(default_factory=list)
    wallets: list[Money] = field(default_factory=list)
    earned: list[Money] = field(default_factory=list)
    open_payouts: list[PayoutRequest] = field(default_factory=list)
    favourites: int = 0
    saved_searches: int = 0

    @property
    def is_provider(self) -> bool:
        return bool(self.listing_counts or self.sales)


def _recent_orders(column: Any, user_id: int) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(column == user_id)
            .order_by(Order.id.desc())
            .limit(RECENT)
            .options(selectinload(Order.listing))
        )
    )


def dashboard_for(user: Any) -> Dashboard:
    d = Dashboard()
    d.listing_counts = dict(
        db.session.execute(
            select(Listing.status, func.count(Listing.id))
            .where(Listing.author_id == user.id)
            .group_by(Listing.status)
        ).all()
    )
    d.sales = _recent_orders(Order.provider_id, user.id)
    d.purchases = _recent_orders(Order.customer_id, user.id)
    d.wallets = [
        Money(balance, currency)
        for balance, currency in db.session.execute(
            select(LedgerAccount.balance_amount, LedgerAccount.currency)
            .where(LedgerAccount.kind == "wallet", LedgerAccount.owner_key == owner_key(user))
            .order_by(LedgerAccount.currency)
        )
    ]
    since = utcnow() - timedelta(days=EARNINGS_DAYS)
    d.earned = [
        Money(int(total), currency)
        for currency, total in db.session.execute(
            select(Posting.currency, func.sum(Posting.amount))
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .join(LedgerAccount, LedgerAccount.id == Posting.account_id)
            .where(
                JournalEntry.kind == "escrow_release",
                JournalEntry.created_at >= since,
                LedgerAccount.kind == "wallet",
                LedgerAccount.owner_key == owner_key(user),
            )
            .group_by(Posting.currency)
            .order_by(Posting.currency)
        )
        if total
    ]
    d.open_payouts = list(
        db.session.scalars(
            select(PayoutRequest)
            .where(PayoutRequest.user_id == user.id, PayoutRequest.status == "requested")
            .order_by(PayoutRequest.id.desc())
        )
    )
    d.favourites = db.session.scalar(
        select(func.count(Favourite.id)).where(Favourite.user_id == user.id)
    )
    d.saved_searches = db.session.scalar(
        select(func.count(SavedSearch.id)).where(SavedSearch.user_id == user.id)
    )
    return d
