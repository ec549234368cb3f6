"""Listings: what providers offer or customers request."""
