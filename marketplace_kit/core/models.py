"""Imports every core model so the metadata is complete before tables are assigned."""

from .listings import search_ddl  # noqa: F401  (full-text index DDL bound to listings)
from .listings.models import Category, Favourite, Listing, ListingImage, SavedSearch
from .users.models import ApiToken, Invitation, SecurityEvent, User, VerificationRequest

__all__ = [
    "ApiToken",
    "Category",
    "Favourite",
    "Invitation",
    "Listing",
    "ListingImage",
    "SavedSearch",
    "SecurityEvent",
    "User",
    "VerificationRequest",
]
