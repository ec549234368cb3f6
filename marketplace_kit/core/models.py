"""Imports every core model so the metadata is complete before tables are assigned."""

from .ledger.models import JournalEntry, LedgerAccount, Posting
from .listings.models import Listing
from .orders.models import Order, OrderEvent, OrderLine, OrderTimer, OutboxMessage
from .users.models import ApiToken, User

__all__ = [
    "ApiToken",
    "JournalEntry",
    "LedgerAccount",
    "Listing",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderTimer",
    "OutboxMessage",
    "Posting",
    "User",
]
