"""Imports every core model so the metadata is complete before tables are assigned."""

from .console.models import OperatorAction, QueueAssignment
from .disputes.models import Dispute, DisputeMessage
from .ledger.models import JournalEntry, LedgerAccount, Posting
from .listings import search_ddl  # noqa: F401  (full-text index DDL bound to listings)
from .listings.models import Category, Favourite, Listing, ListingImage, SavedSearch
from .messaging.models import Conversation, ConversationMember, Message, UserBlock
from .moderation.models import ModerationDecision, Report
from .notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)
from .orders.models import FeeOverride, Order, OrderEvent, OrderLine, OrderTimer, OutboxMessage
from .payments.models import IdempotencyKey, Payment, PayoutRequest, WebhookEvent
from .stats.models import (
    ListingViewDay,
    StatsDaily,
    StatsDailyCategory,
    StatsDailyProvider,
    StatsDailySite,
    StatsRollupState,
    StatsUserDay,
)
from .trust.models import Reputation, Review
from .users.models import ApiToken, Invitation, SecurityEvent, User, VerificationRequest

__all__ = [
    "ApiToken",
    "Category",
    "Conversation",
    "ConversationMember",
    "Dispute",
    "DisputeMessage",
    "Favourite",
    "FeeOverride",
    "IdempotencyKey",
    "Invitation",
    "JournalEntry",
    "LedgerAccount",
    "Listing",
    "ListingImage",
    "ListingViewDay",
    "Message",
    "ModerationDecision",
    "Notification",
    "NotificationDelivery",
    "NotificationPreference",
    "OperatorAction",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderTimer",
    "OutboxMessage",
    "Payment",
    "PayoutRequest",
    "Posting",
    "QueueAssignment",
    "Report",
    "Reputation",
    "Review",
    "SavedSearch",
    "SecurityEvent",
    "StatsDaily",
    "StatsDailyCategory",
    "StatsDailyProvider",
    "StatsDailySite",
    "StatsRollupState",
    "StatsUserDay",
    "User",
    "UserBlock",
    "VerificationRequest",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
