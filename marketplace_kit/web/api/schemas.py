"""Schemas shared by several API areas."""

from __future__ import annotations

from marshmallow import Schema, fields


class MoneySchema(Schema):
    """An amount of money: integer minor units (cents, fen, kopecks) and an ISO 4217 code."""

    amount = fields.Integer(required=True, metadata={"description": "Minor units"})
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code"})
