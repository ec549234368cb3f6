"""Payments through provider plugins (sandbox, manual), webhooks, idempotency keys."""
