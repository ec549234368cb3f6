"""Marshmallow schemas: plugin settings, deal input, and what the API returns."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from marketplace_kit.web.api.schemas import MoneySchema

from .service import MAX_TIERS, MAX_WINDOW_MINUTES

AMOUNT = validate.Range(1, 10**12)


class Settings(Schema):
    #: How long an unpaid join holds a place in a group.
    reservation_ttl_minutes = fields.Integer(load_default=15, validate=validate.Range(1, 1440))


class GroupBuyingTierInput(Schema):
    class Meta:
        unknown = RAISE

    min_size = fields.Integer(required=True, validate=validate.Range(1, 100_000))
    unit_price = fields.Integer(required=True, validate=AMOUNT)


class GroupBuyingDealInput(Schema):
    """A new deal. Team buys: ``group_price`` + ``group_size`` or ``tiers``;
    tipping deals: ``price``, ``min_quantity``, ``max_quantity``. Amounts in minor units."""

    class Meta:
        unknown = RAISE

    listing_id = fields.Integer(required=True, validate=validate.Range(1, 2**63 - 1))
    kind = fields.String(load_default="team", validate=validate.OneOf(["team", "tipping"]))
    group_price = fields.Integer(load_default=None, allow_none=True, validate=AMOUNT)
    tiers = fields.List(
        fields.Nested(GroupBuyingTierInput),
        load_default=list,
        validate=validate.Length(max=MAX_TIERS * 2),
    )
    group_size = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(2, 10_000)
    )
    fill_window_minutes = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, MAX_WINDOW_MINUTES)
    )
    price = fields.Integer(load_default=None, allow_none=True, validate=AMOUNT)
    min_quantity = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 10**6)
    )
    max_quantity = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 10**6)
    )
    starts_at = fields.AwareDateTime(load_default=None, allow_none=True)
    ends_at = fields.AwareDateTime(required=True)
    stock_cap = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 10**6)
    )
    per_order_limit = fields.Integer(load_default=1, validate=validate.Range(1, 1000))
    per_user_limit = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 10_000)
    )
    leader_discount = fields.Integer(load_default=0, validate=validate.Range(0, 10**12))


class GroupBuyingQuantityInput(Schema):
    class Meta:
        unknown = RAISE

    quantity = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))


class GroupBuyingTierSchema(Schema):
    min_size = fields.Integer()
    unit_price = fields.Integer()


class GroupBuyingProgressSchema(Schema):
    paid = fields.Integer()
    reserved = fields.Integer()
    size = fields.Integer()
    percent = fields.Integer()
    needed_for_full = fields.Integer()
    needed_for_first_tier = fields.Integer()
    tier_reached = fields.Nested(GroupBuyingTierSchema, allow_none=True)
    next_tier = fields.Nested(GroupBuyingTierSchema, allow_none=True)
    seconds_left = fields.Integer()
    expires_at = fields.DateTime(allow_none=True)


class GroupBuyingGroupSchema(Schema):
    id = fields.Integer()
    deal_id = fields.Integer()
    status = fields.String()
    leader_id = fields.Integer(allow_none=True)
    share_token = fields.String(allow_none=True)
    share_url = fields.String(allow_none=True)
    size = fields.Integer()
    opened_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    settled_at = fields.DateTime(allow_none=True)
    tier_size = fields.Integer(allow_none=True)
    final_unit_price = fields.Integer(allow_none=True, attribute="final_unit_price_amount")
    progress = fields.Nested(GroupBuyingProgressSchema)


class GroupBuyingDealSchema(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    provider_id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    base_price = fields.Nested(MoneySchema)
    tiers = fields.List(fields.Nested(GroupBuyingTierSchema))
    group_size = fields.Integer()
    fill_window_minutes = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    stock_cap = fields.Integer(allow_none=True)
    per_order_limit = fields.Integer()
    per_user_limit = fields.Integer()
    leader_discount = fields.Integer(attribute="leader_discount_amount")
    can_start_group = fields.Boolean()
    open_groups = fields.List(fields.Nested(GroupBuyingGroupSchema))


class GroupBuyingMemberSchema(Schema):
    id = fields.Integer()
    group_id = fields.Integer()
    deal_id = fields.Integer()
    order_id = fields.Integer()
    role = fields.String()
    status = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer(attribute="unit_price_amount")
    final_unit_price = fields.Integer(attribute="final_unit_price_amount", allow_none=True)
    refunded = fields.Integer(attribute="refunded_amount")
    reserved_until = fields.DateTime(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    group = fields.Nested(GroupBuyingGroupSchema)
