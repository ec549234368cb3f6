"""Imports every core model so the metadata is complete before tables are assigned."""

from .disputes.models import Dispute, DisputeMessage
from .ledger.models import JournalEntry, LedgerAccount, Posting
from .listings.models import Listing
from .orders.models import FeeOverride, Order, OrderEvent, OrderLine, OrderTimer, OutboxMessage
from .payments.models import IdempotencyKey, Payment, PayoutRequest, WebhookEvent
from .users.models import ApiToken, User

__all__ = [
    "ApiToken",
    "Dispute",
    "DisputeMessage",
    "FeeOverride",
    "IdempotencyKey",
    "JournalEntry",
    "LedgerAccount",
    "Listing",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderTimer",
    "OutboxMessage",
    "Payment",
    "PayoutRequest",
    "Posting",
    "User",
    "WebhookEvent",
]
