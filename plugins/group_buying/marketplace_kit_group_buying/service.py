"""Group buying rules: making deals, joining and paying, settling groups.

Every member's money rides on a core order of the ``group_buy`` process
(:mod:`.process`), so stock, escrow, payments, refunds and payouts are the
core's. This module adds the group rules through the process's actions:

* ``group_buying_join`` (taking a place) locks the deal row, then the group
  row, checks the limits and whether the group has room, and counts the new
  reservation -- all in the order's initial transition, so concurrent joiners
  queue on the lock and can never overfill a group.
* ``group_buying_paid`` turns a reservation into a paid place (opening the
  group, with its share link, when the leader pays).
* ``group_buying_release`` gives an unpaid place back (cancel, the reservation
  TTL, the group closing).
* ``group_buying_settle_price`` / ``group_buying_failed`` run when a group
  succeeds or fails: refund the difference to the reached tier, or mark the
  full refund the core's ``refund`` action makes.

Locks are always taken in the order *order rows -> deal -> group -> listing ->
ledger accounts*, so joins, payments and settlements cannot deadlock.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from marketplace_kit import plugin_settings
from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.locking import locked
from marketplace_kit.core.notifications.service import notify
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.actions import ActionContext
from marketplace_kit.core.orders.actions import refund as core_refund
from marketplace_kit.core.orders.models import Order
from marketplace_kit.errors import (
    Conflict,
    MarketplaceError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

from .models import LIVE_MEMBER, OPEN_STATUSES, TEAM, TIPPING, Deal, Group, Member

NAME = "group_buying"
PROCESS = "group_buy"
MAX_WINDOW_MINUTES = 30 * 24 * 60
MAX_TIERS = 10


class GroupFull(Conflict):
    title = "Group full"
    type_slug = "group-full"


class GroupClosed(Conflict):
    title = "Group closed"
    type_slug = "group-closed"


class AlreadyInGroup(Conflict):
    title = "Already in a group"
    type_slug = "already-in-group"


class DealNotOpen(Conflict):
    title = "Deal not open"
    type_slug = "deal-not-open"


def settings() -> dict[str, Any]:
    return plugin_settings(current_app, NAME)


def reservation_ttl() -> timedelta:
    return timedelta(minutes=settings()["reservation_ttl_minutes"])


# ---------------------------------------------------------------------------
# deals
# ---------------------------------------------------------------------------


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValidationError(errors={"ends_at": [_("Give a time zone.")]})
    return value


def create_deal(provider: Any, listing: Listing, data: dict[str, Any], *, now=None) -> Deal:
    """Validate ``data`` (loaded by :class:`.schemas.DealInput`) and add a deal; the caller commits.

    Refused with 422 and field errors, nothing saved: tiers whose minimums do
    not strictly increase, whose prices do not strictly fall below the listing's
    price, or that the stock cannot fill; limits that contradict each other;
    and a team deal that ends before one fill window can elapse after its start
    (**rejected, not clamped**: every group must be able to run its full window).
    """
    now = now or utcnow()
    if listing is None or listing.status != "published":
        raise NotFound(_("Listing not found."))
    if provider is None or listing.author_id != provider.id:
        raise PermissionDenied(_("Only the listing's author can make a deal on it."))
    errors: dict[str, list[str]] = {}
    kind = data["kind"]
    starts_at = _aware(data.get("starts_at")) or now
    ends_at = _aware(data["ends_at"])
    base = listing.price_amount
    stock = listing.quantity
    cap = data.get("stock_cap")
    available = min(x for x in (stock, cap, 10**9) if x is not None)
    per_order = data["per_order_limit"]
    per_user = data.get("per_user_limit") or per_order
    leader_discount = data.get("leader_discount") or 0
    if kind == TIPPING:
        price = data.get("price")
        minimum, maximum = data.get("min_quantity"), data.get("max_quantity")
        for key, value in (("price", price), ("min_quantity", minimum), ("max_quantity", maximum)):
            if value is None:
                errors.setdefault(key, []).append(_("Required for a tipping-point deal."))
        if errors:
            raise ValidationError(errors=errors)
        if price >= base:
            errors.setdefault("price", []).append(
                _("The deal price must be lower than the listing's price.")
            )
        if maximum < minimum:
            errors.setdefault("max_quantity", []).append(
                _("The maximum must be at least the tipping point.")
            )
        if maximum > available:
            errors.setdefault("max_quantity", []).append(
                _("Only %(n)s units can be sold.", n=available)
            )
        if leader_discount:
            errors.setdefault("leader_discount", []).append(
                _("Tipping-point deals have no leader.")
            )
        tiers = [{"min_size": minimum, "unit_price": price}]
        size = maximum
        base = price
        window = max(int((ends_at - starts_at).total_seconds() // 60), 1)
    else:
        window = data.get("fill_window_minutes")
        if window is None:
            errors.setdefault("fill_window_minutes", []).append(_("Required for a team buy."))
        raw_tiers = data.get("tiers") or []
        size = data.get("group_size")
        if data.get("group_price") is not None:
            if raw_tiers:
                errors.setdefault("tiers", []).append(
                    _("Give either a group price or price tiers, not both.")
                )
            if size is None:
                errors.setdefault("group_size", []).append(_("Required with a group price."))
            else:
                raw_tiers = [{"min_size": size, "unit_price": data["group_price"]}]
        if not raw_tiers and "tiers" not in errors:
            errors.setdefault("group_price", []).append(_("Give a group price or price tiers."))
        if errors:
            raise ValidationError(errors=errors)
        tiers = [{"min_size": t["min_size"], "unit_price": t["unit_price"]} for t in raw_tiers]
        size = size if size is not None else tiers[-1]["min_size"]
        # With a group price the single tier is the price and size the customer typed.
        from_price = data.get("group_price") is not None
        size_key, price_key = ("group_size", "group_price") if from_price else ("tiers", "tiers")
        if len(tiers) > MAX_TIERS:
            errors.setdefault("tiers", []).append(_("At most %(n)s tiers.", n=MAX_TIERS))
        previous_min, previous_price = 1, base
        for tier in tiers:
            if tier["min_size"] <= previous_min:
                errors.setdefault(size_key, []).append(
                    _(
                        "Tier minimums must be at least 2 and strictly increasing "
                        "(%(min)s follows %(previous)s).",
                        min=tier["min_size"],
                        previous=previous_min,
                    )
                )
            if tier["unit_price"] >= previous_price:
                errors.setdefault(price_key, []).append(
                    _(
                        "Each tier must be cheaper than the one before it and than the "
                        "listing's price (%(price)s is not).",
                        price=Money(tier["unit_price"], listing.currency),
                    )
                )
            if tier["min_size"] > available:
                errors.setdefault(size_key, []).append(
                    _(
                        "A tier of %(min)s people cannot be bought: only %(n)s units can be sold.",
                        min=tier["min_size"],
                        n=available,
                    )
                )
            previous_min, previous_price = tier["min_size"], tier["unit_price"]
        if errors:
            raise ValidationError(errors=errors)
        if size < tiers[-1]["min_size"]:
            errors.setdefault("group_size", []).append(
                _("The group must have room for the highest tier.")
            )
        elif size > available:
            errors.setdefault("group_size", []).append(
                _("Only %(n)s units can be sold, fewer than one per member.", n=available)
            )
        if leader_discount and not errors and leader_discount >= tiers[-1]["unit_price"]:
            errors.setdefault("leader_discount", []).append(
                _("The leader discount must be less than the lowest tier price.")
            )
        if window is not None and ends_at - starts_at < timedelta(minutes=window):
            errors.setdefault("ends_at", []).append(
                _(
                    "The deal ends before a group's fill window (%(minutes)s minutes) can "
                    "elapse; end it later or shorten the window.",
                    minutes=window,
                )
            )
    if ends_at <= now:
        errors.setdefault("ends_at", []).append(_("The end must be in the future."))
    if ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("The end must be after the start."))
    if per_order > available:
        errors.setdefault("per_order_limit", []).append(
            _("Only %(n)s units can be sold.", n=available)
        )
    if per_user < per_order:
        errors.setdefault("per_user_limit", []).append(
            _("The per-user limit cannot be below the per-order limit.")
        )
    if errors:
        raise ValidationError(errors=errors)
    deal = Deal(
        listing_id=listing.id,
        provider_id=provider.id,
        kind=kind,
        currency=listing.currency,
        base_price_amount=base,
        tiers=tiers,
        group_size=size,
        fill_window_minutes=window,
        starts_at=starts_at,
        ends_at=ends_at,
        stock_cap=cap,
        per_order_limit=per_order,
        per_user_limit=per_user,
        leader_discount_amount=leader_discount,
    )
    db.session.add(deal)
    db.session.flush()
    if kind == TIPPING:
        db.session.add(
            Group(
                deal_id=deal.id,
                leader_id=None,
                status="open",
                share_token=secrets.token_urlsafe(16),
                size=size,
                opened_at=starts_at,
                expires_at=ends_at,
            )
        )
        db.session.flush()
    return deal


def get_deal(deal_id: int) -> Deal:
    deal = db.session.get(Deal, deal_id) if 0 < deal_id < 2**63 else None
    if deal is None:
        raise NotFound(_("Deal not found."))
    return deal


def group_by_token(token: str) -> Group:
    group = db.session.scalars(select(Group).where(Group.share_token == token)).first()
    if group is None:
        raise NotFound(_("Group not found."))
    return group


def is_live(deal: Deal, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return deal.starts_at <= now < deal.ends_at


def last_group_start(deal: Deal) -> datetime:
    """Groups may be started until the deal's end minus one fill window."""
    return deal.ends_at - timedelta(minutes=deal.fill_window_minutes)


def can_start_group(deal: Deal, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return deal.kind == TEAM and deal.starts_at <= now <= last_group_start(deal)


def open_groups(deal: Deal, now: datetime | None = None) -> list[Group]:
    """Groups of ``deal`` taking members now, fullest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Group)
            .where(Group.deal_id == deal.id, Group.status == "open", Group.expires_at > now)
            .order_by(Group.paid_members.desc(), Group.expires_at, Group.id)
        )
    )


def tipping_group(deal: Deal) -> Group:
    return db.session.scalars(select(Group).where(Group.deal_id == deal.id)).one()


def active_deals(now: datetime | None = None, listing: Listing | None = None) -> list[Deal]:
    now = now or utcnow()
    stmt = select(Deal).join(Listing, Listing.id == Deal.listing_id)
    stmt = stmt.where(Deal.ends_at > now, Deal.starts_at <= now, Listing.status == "published")
    if listing is not None:
        stmt = stmt.where(Deal.listing_id == listing.id)
    return list(db.session.scalars(stmt.order_by(Deal.ends_at, Deal.id)))


def units_sold(deal: Deal) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(Member.quantity), 0)).where(
                Member.deal_id == deal.id, Member.status.in_(LIVE_MEMBER)
            )
        )
    )


# ---------------------------------------------------------------------------
# joining (the customer's side)
# ---------------------------------------------------------------------------


def release_lapsed(deal: Deal, now: datetime | None = None) -> int:
    """Give back reservations of ``deal`` whose TTL passed; each in its own transaction.

    The order's ``expire`` transition does it (the same the core's timer job
    fires), so a payment arriving later finds the order cancelled and the core
    refunds it instead of taking a place that is gone.
    """
    now = now or utcnow()
    order_ids = list(
        db.session.scalars(
            select(Member.order_id).where(
                Member.deal_id == deal.id,
                Member.status == "reserved",
                Member.reserved_until <= now,
            )
        )
    )
    released = 0
    for order_id in order_ids:
        try:
            engine.transition(db.session.get(Order, order_id), "expire", engine.SYSTEM, now=now)
            commit()
            released += 1
        except MarketplaceError:  # paid or released meanwhile
            db.session.rollback()
    return released


def _member_of(order: Order) -> Member:
    member = db.session.scalars(select(Member).where(Member.order_id == order.id)).first()
    if member is None:
        raise NotFound(_("This order is not part of a group."))
    return member


def start_group(customer: Any, deal: Deal, quantity: int = 1, *, now=None) -> Member:
    """Open a new group (team buy) or commit to a tipping deal; the caller commits.

    The customer leads the new group once they pay the returned member's order;
    until then the group has no share link.
    """
    now = now or utcnow()
    release_lapsed(deal, now)
    order = engine.place_order(
        PROCESS,
        customer=customer,
        listing=deal.listing,
        quantity=quantity,
        params={"group_buying_deal": deal.id},
        now=now,
    )
    return _member_of(order)


def join_group(customer: Any, group: Group, quantity: int = 1, *, now=None) -> Member:
    """Take a place in ``group`` (reserved until paid, for the TTL); the caller commits."""
    now = now or utcnow()
    release_lapsed(group.deal, now)
    group = db.session.get(Group, group.id)
    order = engine.place_order(
        PROCESS,
        customer=customer,
        listing=group.deal.listing,
        quantity=quantity,
        params={"group_buying_group": group.id},
        now=now,
    )
    return _member_of(order)


def pay_from_wallet(member: Member, customer: Any, *, now=None) -> Member:
    """Pay a reserved place from the customer's wallet; the caller commits."""
    engine.transition(db.session.get(Order, member.order_id), "pay_from_wallet", customer, now=now)
    return db.session.get(Member, member.id)


def _positive_int(raw: Any, key: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**63:
        raise ValidationError(errors={key: [_("Give a valid id.")]})
    return raw


def _lock(model: Any, pk: int) -> Any:
    return db.session.scalars(locked(select(model).where(model.id == pk))).one()


def _live_membership(deal_id: int, user_id: int, group_id: int | None = None) -> Member | None:
    stmt = (
        select(Member)
        .join(Group, Group.id == Member.group_id)
        .where(
            Member.deal_id == deal_id,
            Member.user_id == user_id,
            Member.status.in_(("reserved", "paid")),
            Group.status.in_(OPEN_STATUSES),
        )
    )
    if group_id is not None:
        stmt = stmt.where(Member.group_id == group_id)
    return db.session.scalars(stmt).first()


def action_join(ctx: ActionContext) -> None:
    """Take a place in a group (or open one) under the deal's and the group's row locks."""
    order, now = ctx.order, ctx.scratch["now"]
    group_id = ctx.input.get("group_buying_group")
    if group_id is not None:
        group = db.session.get(Group, _positive_int(group_id, "group_buying_group"))
        if group is None:
            raise NotFound(_("Group not found."))
        deal_id = group.deal_id
    else:
        deal_id = _positive_int(ctx.input.get("group_buying_deal"), "group_buying_deal")
    if db.session.get(Deal, deal_id) is None:
        raise NotFound(_("Deal not found."))
    deal = _lock(Deal, deal_id)
    if deal.listing_id != order.listing_id:
        raise ValidationError(errors={"group_buying_deal": [_("Not a deal on this listing.")]})
    if now < deal.starts_at:
        raise DealNotOpen(_("This deal has not started yet."))
    if now >= deal.ends_at:
        raise DealNotOpen(_("This deal has ended."))
    # Team buys: one open group per customer per deal. Tipping deals take repeated
    # commitments, bounded by the per-customer limit below.
    if deal.kind == TEAM:
        mine_open = _live_membership(deal.id, order.customer_id)
        if mine_open is not None and group_id is not None and mine_open.group_id == group_id:
            raise AlreadyInGroup(_("You are already in this group."))
        if mine_open is not None:
            raise AlreadyInGroup(_("You are already in an open group of this deal."))
    quantity = order.quantity
    if quantity > deal.per_order_limit:
        raise ValidationError(
            errors={"quantity": [_("At most %(n)s per order.", n=deal.per_order_limit)]}
        )
    mine = db.session.scalar(
        select(func.coalesce(func.sum(Member.quantity), 0)).where(
            Member.deal_id == deal.id,
            Member.user_id == order.customer_id,
            Member.status.in_(LIVE_MEMBER),
        )
    )
    if mine + quantity > deal.per_user_limit:
        raise ValidationError(
            errors={
                "quantity": [
                    _(
                        "At most %(n)s per customer in this deal; you have %(mine)s already.",
                        n=deal.per_user_limit,
                        mine=mine,
                    )
                ]
            }
        )
    if deal.stock_cap is not None:
        sold = units_sold(deal)
        if sold + quantity > deal.stock_cap:
            raise GroupFull(
                _("Only %(n)s left in this deal.", n=max(deal.stock_cap - sold, 0)),
                available=max(deal.stock_cap - sold, 0),
            )
    role = "member"
    if deal.kind == TIPPING:
        group = _lock(Group, tipping_group(deal).id)
    elif group_id is None:
        if now > last_group_start(deal):
            raise DealNotOpen(_("It is too late to start a group; join an open one instead."))
        group = Group(
            deal_id=deal.id,
            leader_id=order.customer_id,
            status="pending",
            size=deal.group_size,
            paid_members=0,
            paid_units=0,
            reserved_members=0,
            reserved_units=0,
        )
        db.session.add(group)
        db.session.flush()
        role = "leader"
    else:
        group = _lock(Group, group.id)
    if role == "member":
        if group.status != "open" or (group.expires_at is not None and group.expires_at <= now):
            raise GroupClosed(_("This group is no longer taking members."))
        if deal.kind == TEAM:
            if group.held_count >= group.size:
                raise GroupFull(_("This group is full."))
        elif group.held_count + quantity > group.size:
            left = max(group.size - group.held_count, 0)
            raise GroupFull(
                _("Only %(n)s left in this deal.", n=left) if left else _("This deal is sold out."),
                available=left,
            )
    unit = deal.base_price_amount - (deal.leader_discount_amount if role == "leader" else 0)
    order.unit_price_amount = unit
    group.reserved_members += 1
    group.reserved_units += quantity
    member = Member(
        group_id=group.id,
        deal_id=deal.id,
        user_id=order.customer_id,
        order_id=order.id,
        role=role,
        status="reserved",
        quantity=quantity,
        unit_price_amount=unit,
        reserved_until=now + reservation_ttl(),
        refunded_amount=0,
    )
    db.session.add(member)
    db.session.flush()


def _locked_member(order: Order) -> tuple[Member, Group]:
    member = _member_of(order)
    group = _lock(Group, member.group_id)
    member = db.session.scalars(
        select(Member).where(Member.id == member.id).execution_options(populate_existing=True)
    ).one()
    return member, group


def action_paid(ctx: ActionContext) -> None:
    """A reserved place was paid: count it; the leader's payment opens the group."""
    now = ctx.scratch["now"]
    member, group = _locked_member(ctx.order)
    if member.status != "reserved":
        raise Conflict(_("This place is not waiting for payment."))
    member.status = "paid"
    member.paid_at = now
    member.reserved_until = None
    group.reserved_members -= 1
    group.reserved_units -= member.quantity
    group.paid_members += 1
    group.paid_units += member.quantity
    deal = group.deal
    if member.role == "leader" and group.status == "pending":
        group.status = "open"
        group.opened_at = now
        # A leader who paid late in their reservation may run past the deal's end.
        group.expires_at = min(now + timedelta(minutes=deal.fill_window_minutes), deal.ends_at)
        group.share_token = secrets.token_urlsafe(16)
        _notify(member.user, "group_buying_group_opened", group)
    elif group.leader is not None and group.leader_id != member.user_id:
        _notify(group.leader, "group_buying_member_joined", group, name=member.user.display_name)
    db.session.flush()


def action_release(ctx: ActionContext) -> None:
    """An unpaid place is given back (cancelled, TTL passed, group closed)."""
    now = ctx.scratch["now"]
    member, group = _locked_member(ctx.order)
    if member.status != "reserved":
        return
    member.status = "released"
    member.reserved_until = None
    group.reserved_members -= 1
    group.reserved_units -= member.quantity
    if member.role == "leader" and group.status == "pending":
        group.status = "abandoned"
        group.settled_at = now
    db.session.flush()


def action_settle_price(ctx: ActionContext) -> None:
    """Success: refund what the member paid above the reached tier's price.

    The refund carries its share of the buyer's fees (the same fraction of the
    order total as of the subtotal), rounded down, and never exceeds what the
    order's escrow holds.
    """
    member = _member_of(ctx.order)
    group = db.session.get(Group, member.group_id)
    order = ctx.order
    final = group.final_unit_price_amount
    if member.role == "leader":
        final -= group.deal.leader_discount_amount
    member.final_unit_price_amount = final
    member.status = "succeeded"
    difference = (member.unit_price_amount - final) * member.quantity
    if difference <= 0 or not order.subtotal_amount:
        return
    amount = difference * order.customer_total_amount // order.subtotal_amount
    held = ledger.balance_of("escrow", order, order.currency).amount
    amount = min(amount, held)
    if amount <= 0:
        return
    core_refund(replace(ctx, input={"amount": amount}), mode="partial")
    member.refunded_amount += amount


def action_failed(ctx: ActionContext) -> None:
    """Failure or cancellation after payment: record the full refund the core's ``refund`` makes next."""
    member = _member_of(ctx.order)
    order = ctx.order
    member.refunded_amount += ledger.balance_of("escrow", order, order.currency).amount
    member.status = "refunded"


# ---------------------------------------------------------------------------
# settlement
# ---------------------------------------------------------------------------


def is_due(group: Group, now: datetime) -> bool:
    return group.status == "open" and (
        group.paid_count >= group.size or (group.expires_at is not None and group.expires_at <= now)
    )


def settle_group(group_id: int, now: datetime | None = None) -> str:
    """Settle one group that is full or whose window passed; return what happened.

    ``"filled"`` / ``"tipped"`` (success at the highest tier reached),
    ``"failed"`` (everyone refunded), ``"not_due"`` or ``"skipped"`` (already
    settled, or not open). Unpaid reservations are dropped first, each in its
    own transaction; then the group is settled in one transaction that locks
    its paid orders and the group row, so running it twice -- one after the
    other or at the same time -- settles and refunds exactly once.
    """
    now = now or utcnow()
    group = db.session.get(Group, group_id)
    if group is None or group.status != "open":
        db.session.rollback()
        return "skipped"
    if not is_due(group, now):
        db.session.rollback()
        return "not_due"
    reserved = list(
        db.session.scalars(
            select(Member.order_id).where(Member.group_id == group_id, Member.status == "reserved")
        )
    )
    for order_id in reserved:
        try:
            engine.transition(db.session.get(Order, order_id), "drop", engine.SYSTEM, now=now)
            commit()
        except MarketplaceError:  # it was paid (or released) meanwhile
            db.session.rollback()
    paid_orders = list(
        db.session.scalars(
            select(Member.order_id)
            .where(Member.group_id == group_id, Member.status == "paid")
            .order_by(Member.order_id)
        )
    )
    db.session.scalars(
        locked(select(Order.id).where(Order.id.in_(paid_orders)).order_by(Order.id))
    ).all()
    group = _lock(Group, group_id)
    if group.status != "open":
        db.session.rollback()
        return "skipped"
    members = list(
        db.session.scalars(
            select(Member)
            .where(Member.group_id == group_id, Member.status == "paid")
            .order_by(Member.id)
            .execution_options(populate_existing=True)
        )
    )
    deal = group.deal
    tier = deal.tier_for(group.paid_count)
    group.settled_at = now
    if tier is not None:
        outcome = "tipped" if deal.kind == TIPPING else "filled"
        group.status = outcome
        group.tier_size = tier["min_size"]
        group.final_unit_price_amount = tier["unit_price"]
        db.session.flush()
        event = "group_buying_deal_tipped" if deal.kind == TIPPING else "group_buying_group_filled"
        for member in members:
            engine.transition(
                db.session.get(Order, member.order_id), "fill", engine.SYSTEM, now=now
            )
            _notify(
                member.user,
                event,
                group,
                price=str(deal.money(member.final_unit_price_amount or 0)),
                refund=str(deal.money(member.refunded_amount)),
            )
    else:
        outcome = "failed"
        group.status = "failed"
        db.session.flush()
        for member in members:
            engine.transition(
                db.session.get(Order, member.order_id), "fail", engine.SYSTEM, now=now
            )
            _notify(
                member.user,
                "group_buying_group_failed",
                group,
                refund=str(deal.money(member.refunded_amount)),
            )
    commit()
    return outcome


def due_groups(now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or utcnow()
    stmt = (
        select(Group.id)
        .join(Deal, Deal.id == Group.deal_id)
        .where(
            Group.status == "open",
            or_(
                Group.expires_at <= now,
                and_(Deal.kind == TEAM, Group.paid_members >= Group.size),
                and_(Deal.kind == TIPPING, Group.paid_units >= Group.size),
            ),
        )
        .order_by(Group.expires_at, Group.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def settle_due(now: datetime | None = None) -> dict[str, int]:
    """The periodic job: settle every due group, each on its own; return counts by outcome."""
    now = now or utcnow()
    ids = due_groups(now)
    db.session.rollback()
    counts: dict[str, int] = {}
    for group_id in ids:
        outcome = settle_group(group_id, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def settle_group_job(group_id: int) -> str:
    return settle_group(group_id)


# ---------------------------------------------------------------------------
# notifications and progress
# ---------------------------------------------------------------------------


def group_path(group: Group) -> str:
    return f"/group-buying/g/{group.share_token}"


def share_url(group: Group) -> str:
    from marketplace_kit.app import state

    return state(current_app).settings.site["base_url"].rstrip("/") + group_path(group)


def _notify(user: Any, event: str, group: Group, **extra: Any) -> None:
    deal = group.deal
    context = {
        "title": deal.listing.title,
        "share_url": share_url(group) if group.share_token else "",
        "paid": group.paid_count,
        "size": group.size,
        **extra,
    }
    notify(user, event, context, url=group_path(group) if group.share_token else None)


def progress(group: Group, now: datetime | None = None) -> dict[str, Any]:
    """Exact counts and time left; nothing rounded up.

    ``percent`` is rounded down, ``minutes_left`` too (a group with 59 s left
    shows 0 minutes), and ``needed`` counts what is still missing for the
    lowest tier and for a full group.
    """
    now = now or utcnow()
    deal = group.deal
    paid = group.paid_count
    seconds = 0
    if group.expires_at is not None and group.status in OPEN_STATUSES:
        seconds = max(int((group.expires_at - now).total_seconds()), 0)
    tier = deal.tier_for(paid)
    upcoming = [t for t in deal.tiers if t["min_size"] > paid]
    return {
        "paid": paid,
        "reserved": group.reserved_units if group.is_tipping else group.reserved_members,
        "size": group.size,
        "percent": paid * 100 // group.size if group.size else 0,
        "needed_for_full": max(group.size - paid, 0),
        "needed_for_first_tier": max(deal.tiers[0]["min_size"] - paid, 0),
        "tier_reached": tier,
        "next_tier": upcoming[0] if upcoming else None,
        "seconds_left": seconds,
        "hours_left": seconds // 3600,
        "minutes_left": (seconds % 3600) // 60,
        "expires_at": group.expires_at,
    }


def groups_of(user: Any) -> list[tuple[Member, Group]]:
    rows = db.session.execute(
        select(Member, Group)
        .join(Group, Group.id == Member.group_id)
        .where(Member.user_id == user.id, Member.status != "released")
        .order_by(Member.id.desc())
    ).all()
    return [(m, g) for m, g in rows]
