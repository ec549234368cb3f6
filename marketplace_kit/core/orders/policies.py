"""Cancellation policies: time bands with refund percentages, copied onto the order.

A policy is ``{"bands": [{"before": "7d", "refund_percent": 100}, ...],
"otherwise": 0}``: cancelling at least ``before`` ahead of the booking start
refunds that percentage (bands are tried longest first); later cancellations
get ``otherwise``. Orders without a start (plain purchases) measure from the
time they were placed: ``before`` then means "within that long after
placing". The policy in force when the order is placed is copied onto it
and later changes to the listing or config do not affect it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, fields, validate

from ..db import utcnow
from .models import Order
from .process import parse_duration


class BandSchema(Schema):
    class Meta:
        unknown = RAISE

    before = fields.String(required=True, validate=validate.Regexp(r"^\d+[smhdw]$"))
    refund_percent = fields.Integer(required=True, validate=validate.Range(0, 100))


class PolicySchema(Schema):
    class Meta:
        unknown = RAISE

    bands = fields.List(fields.Nested(BandSchema), load_default=list)
    otherwise = fields.Integer(load_default=0, validate=validate.Range(0, 100))


def policy_for(listing: Any) -> dict[str, Any]:
    """The policy a new order copies: the listing's own, else the site default."""
    from ...app import state

    own = (getattr(listing, "public_data", None) or {}).get("cancellation_policy")
    if own is not None:
        return PolicySchema().load(own)
    return PolicySchema().load(state(current_app).settings.orders["cancellation_policy"])


def refund_percent(order: Order, now: datetime | None = None) -> Decimal:
    policy = order.cancellation_policy or {"bands": [], "otherwise": 100}
    now = now or utcnow()
    bands = sorted(policy.get("bands", []), key=lambda b: parse_duration(b["before"]), reverse=True)
    if order.booking_start is not None:
        ahead = order.booking_start - now
        for band in bands:
            if ahead >= parse_duration(band["before"]):
                return Decimal(band["refund_percent"])
    else:
        since = now - order.created_at
        for band in reversed(bands):
            if since <= parse_duration(band["before"]):
                return Decimal(band["refund_percent"])
    return Decimal(policy.get("otherwise", 0))
