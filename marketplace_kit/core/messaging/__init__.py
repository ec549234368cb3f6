"""Messaging: conversations between users about a listing or an order."""
