"""Imports every core model so the metadata is complete before tables are assigned."""

from .listings.models import Listing
from .users.models import ApiToken, Invitation, SecurityEvent, User, VerificationRequest

__all__ = ["ApiToken", "Invitation", "Listing", "SecurityEvent", "User", "VerificationRequest"]
