"""Imports every core model so the metadata is complete before tables are assigned."""

from .listings.models import Listing
from .users.models import ApiToken, User

__all__ = ["ApiToken", "Listing", "User"]
