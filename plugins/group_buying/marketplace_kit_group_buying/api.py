"""The JSON API under ``/api/v1/group-buying``.

Paying a reserved place goes through the core's order API
(``POST /api/v1/orders/<order_id>/transitions/pay_from_wallet`` or
``POST /api/v1/orders/<order_id>/payments``), like any order.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_smorest import Blueprint

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.payments import idempotency
from marketplace_kit.errors import NotFound
from marketplace_kit.extensions import db
from marketplace_kit.web.api.auth import BEARER, api_user

from . import service
from .models import Deal, Group, Member
from .schemas import (
    GroupBuyingDealInput,
    GroupBuyingDealSchema,
    GroupBuyingGroupSchema,
    GroupBuyingMemberSchema,
    GroupBuyingQuantityInput,
)

bp = Blueprint(
    "group_buying_api",
    __name__,
    url_prefix="/group-buying",
    description="Group buying: deals, team buys (拼团) and tipping-point deals",
)

IDEMPOTENCY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Repeat-safe key: a repeat returns the first result and takes no second place.",
}


def group_data(group: Group, now=None) -> dict[str, Any]:
    return {
        "id": group.id,
        "deal_id": group.deal_id,
        "status": group.status,
        "leader_id": group.leader_id,
        "share_token": group.share_token,
        "share_url": service.share_url(group) if group.share_token else None,
        "size": group.size,
        "opened_at": group.opened_at,
        "expires_at": group.expires_at,
        "settled_at": group.settled_at,
        "tier_size": group.tier_size,
        "final_unit_price_amount": group.final_unit_price_amount,
        "progress": service.progress(group, now),
    }


def deal_data(deal: Deal, now=None) -> dict[str, Any]:
    now = now or utcnow()
    groups = (
        [service.tipping_group(deal)] if deal.kind == "tipping" else service.open_groups(deal, now)
    )
    return {
        **{c: getattr(deal, c) for c in GroupBuyingDealSchema().fields if hasattr(deal, c)},
        "title": deal.listing.title,
        "leader_discount_amount": deal.leader_discount_amount,
        "can_start_group": service.can_start_group(deal, now),
        "open_groups": [group_data(g, now) for g in groups],
    }


def member_data(member: Member) -> dict[str, Any]:
    member = db.session.get(Member, member.id)
    data = GroupBuyingMemberSchema().dump(member)
    data["group"] = GroupBuyingGroupSchema().dump(group_data(member.group))
    return data


def _idempotent(user: Any, scope: str, payload: Any, work) -> Any:
    status, body, replayed = idempotency.run_once(
        user.id, scope, request.headers.get("Idempotency-Key"), payload, work
    )
    resp = jsonify(body)
    resp.status_code = status
    if replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp


@bp.route("/deals", methods=["GET"])
@bp.response(200, GroupBuyingDealSchema(many=True))
def list_deals():
    """Deals running now, ending soonest first, with their open groups."""
    now = utcnow()
    return [deal_data(d, now) for d in service.active_deals(now)]


@bp.route("/deals", methods=["POST"])
@bp.doc(security=BEARER)
@bp.arguments(GroupBuyingDealInput)
@bp.response(201, GroupBuyingDealSchema)
def create_deal(data: dict[str, Any]):
    """Make a deal on your own listing (team buy with a group price or tiers, or tipping point)."""
    from marketplace_kit.events import commit

    user = api_user("write")
    listing = db.session.get(Listing, data["listing_id"])
    if listing is None:
        raise NotFound("No such listing.")
    deal = service.create_deal(user, listing, data)
    commit()
    return deal_data(deal)


@bp.route("/deals/<int:deal_id>", methods=["GET"])
@bp.response(200, GroupBuyingDealSchema)
def get_deal(deal_id: int):
    """One deal with its open groups (exact counts, seconds left)."""
    return deal_data(service.get_deal(deal_id))


@bp.route("/deals/<int:deal_id>/groups", methods=["POST"])
@bp.doc(security=BEARER, parameters=[IDEMPOTENCY])
@bp.arguments(GroupBuyingQuantityInput)
@bp.response(201, GroupBuyingMemberSchema)
@bp.alt_response(409, description="Deal not open, already in an open group, or sold out")
def start_group(data: dict[str, Any], deal_id: int):
    """Start a group (team buy) or commit to a tipping deal.

    Returns your reserved place and its order; pay the order to open the group
    (its share link appears once the payment arrives).
    """
    user = api_user("write")

    def work():
        member = service.start_group(user, service.get_deal(deal_id), data["quantity"])
        return 201, member_data(member)

    return _idempotent(user, f"group_buying.start:{deal_id}", data, work)


@bp.route("/groups/<token>", methods=["GET"])
@bp.response(200, GroupBuyingGroupSchema)
def get_group(token: str):
    """A group reached by its share link."""
    return group_data(service.group_by_token(token))


@bp.route("/groups/<token>/join", methods=["POST"])
@bp.doc(security=BEARER, parameters=[IDEMPOTENCY])
@bp.arguments(GroupBuyingQuantityInput)
@bp.response(201, GroupBuyingMemberSchema)
@bp.alt_response(409, description="The group is full, closed, or you are in it already")
def join_group(data: dict[str, Any], token: str):
    """Join a group through its share link; pay the returned order within the reservation time."""
    user = api_user("write")

    def work():
        member = service.join_group(user, service.group_by_token(token), data["quantity"])
        return 201, member_data(member)

    return _idempotent(user, f"group_buying.join:{token}", data, work)


@bp.route("/me/groups", methods=["GET"])
@bp.doc(security=BEARER)
@bp.response(200, GroupBuyingMemberSchema(many=True))
def my_groups():
    """The groups you lead or joined, newest first."""
    user = api_user("read")
    return jsonify([member_data(m) for m, _g in service.groups_of(user)])
