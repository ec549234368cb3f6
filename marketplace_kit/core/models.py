"""Imports every core model so the metadata is complete before tables are assigned."""

from .users.models import User

__all__ = ["User"]
