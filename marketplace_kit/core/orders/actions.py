"""Actions: named steps a transition runs, registered through ``mk_register_actions``.

An action is ``func(ctx, **params)``: ``ctx`` is the :class:`ActionContext`
of the running transition and ``params`` are the action's parameters from
the process definition, loaded with the action's schema at startup. Actions
change data through services and the session only; they raise a
:class:`~marketplace_kit.errors.MarketplaceError` to refuse, which rolls back
the whole transition. Outbound calls never happen inside an action: write
an outbox message (:func:`.outbox.add`) instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, fields, validate
from marshmallow import ValidationError as MMValidationError
from sqlalchemy import func, select

from ...errors import Conflict, PluginError, ValidationError
from ...extensions import db
from ...money import Money
from ..ledger import service as ledger
from ..listings.models import Listing
from ..locking import locked
from .fees import PriceLine, fee_lines, rules_for
from .models import Order, OrderLine
from .process import Process, Transition


class SoldOut(Conflict):
    title = "Sold out"
    type_slug = "sold-out"


@dataclass
class ActionContext:
    """What an action sees of the transition being taken."""

    order: Order
    process: Process
    transition: Transition
    actor: Any  # a User, or None for the system
    role: str
    input: dict[str, Any]
    #: Actions may leave values for later actions of the same transition.
    scratch: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    """A registered action.

    ``params`` is a marshmallow schema (class or instance) for the parameters
    a process gives the action; ``None`` means it takes none. ``inputs`` names
    the keys of the transition's ``params`` (from the person acting) the action
    reads; the engine refuses input keys no action of the transition reads.
    """

    name: str
    func: Callable[..., None]
    params: type[Schema] | Schema | None = None
    inputs: tuple[str, ...] = ()
    description: str = ""

    def load_params(self, raw: dict[str, Any]) -> dict[str, Any]:
        if self.params is None:
            if raw:
                raise MMValidationError({"_schema": [f"{self.name} takes no parameters"]})
            return {}
        schema = self.params() if isinstance(self.params, type) else self.params
        return schema.load(raw)


_EXT = "marketplace_kit_actions"


def install(app, collected: dict[str, tuple[str, Action]]) -> dict[str, Action]:
    actions: dict[str, Action] = {}
    for name, (plugin, action) in collected.items():
        if not isinstance(action, Action):
            raise PluginError(
                f"plugin {plugin!r}: mk_register_actions must return Action items, "
                f"not {type(action).__name__}"
            )
        actions[name] = action
    app.extensions[_EXT] = actions
    return actions


def registered_actions() -> dict[str, Action]:
    return current_app.extensions[_EXT]


class _Strict(Schema):
    class Meta:
        unknown = RAISE


# ---------------------------------------------------------------------------
# stock
# ---------------------------------------------------------------------------


def reserve_stock(ctx: ActionContext) -> None:
    """Take ``order.quantity`` units of the listing's stock under a row lock."""
    order = ctx.order
    if order.stock_reserved or order.listing_id is None:
        return
    listing = db.session.scalars(
        locked(select(Listing).where(Listing.id == order.listing_id))
    ).one()
    if listing.quantity is None:
        return
    if listing.quantity < order.quantity:
        raise SoldOut(
            "Sold out." if listing.quantity == 0 else f"Only {listing.quantity} left.",
            available=listing.quantity,
        )
    listing.quantity -= order.quantity
    order.stock_reserved = order.quantity


def release_stock(ctx: ActionContext) -> None:
    """Give back the stock this order reserved (once)."""
    order = ctx.order
    if not order.stock_reserved or order.listing_id is None:
        return
    listing = db.session.scalars(
        locked(select(Listing).where(Listing.id == order.listing_id))
    ).one()
    listing.quantity = (listing.quantity or 0) + order.stock_reserved
    order.stock_reserved = 0


# ---------------------------------------------------------------------------
# price
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    lines: list[PriceLine]
    subtotal: Money
    customer_total: Money
    provider_payout: Money


def compute_price(order: Order) -> Price:
    """The price lines and totals ``order`` would get now (writes nothing; used for previews).

    Order: the item line, the ``[fees]`` rule lines, then plugin lines from
    ``mk_order_price_lines`` in hook call order.
    """
    from ...app import state

    subtotal = order.unit_price * order.quantity
    lines = [PriceLine("item", "item", "item", "customer", subtotal)]
    listing = order.listing
    mk = state(current_app)
    lines += fee_lines(
        rules_for(order.provider_id, mk.settings.fees["rules"]),
        subtotal,
        listing_type=listing.listing_type if listing else None,
        category=(listing.public_data or {}).get("category") if listing else None,
        provider_id=order.provider_id,
    )
    for plugin, extra in mk.pm.call_each("mk_order_price_lines", order=order, subtotal=subtotal):
        for line in extra:
            if not isinstance(line, PriceLine) or line.payer not in ("customer", "provider"):
                raise PluginError(
                    f"plugin {plugin!r}: mk_order_price_lines must return PriceLine items"
                )
            if line.kind == "item" or line.money.currency != order.currency:
                raise PluginError(
                    f"plugin {plugin!r}: price line {line.code!r} must be a fee, discount or "
                    f"adjustment in {order.currency}"
                )
            lines.append(line)
    customer_total = subtotal
    payout = subtotal
    for line in lines[1:]:
        if line.payer == "customer":
            customer_total = customer_total + line.money
        else:
            payout = payout - line.money
    if customer_total.amount < 0 or payout.amount < 0:
        raise ValidationError("The price lines of this order add up to less than zero.")
    return Price(lines, subtotal, customer_total, payout)


def calculate_price(ctx: ActionContext) -> None:
    """Write the item, fee and plugin lines and the totals; never again once written."""
    order = ctx.order
    if order.is_priced:
        return
    price = compute_price(order)
    for line in price.lines:
        db.session.add(
            OrderLine(
                order=order,
                kind=line.kind,
                code=line.code,
                label=line.label,
                payer=line.payer,
                amount=line.money.amount,
                currency=line.money.currency,
            )
        )
    order.subtotal_amount = price.subtotal.amount
    order.customer_total_amount = price.customer_total.amount
    order.provider_payout_amount = price.provider_payout.amount


class SetPriceParams(_Strict):
    #: Which input key carries the proposed unit price (minor units).
    field = fields.String(load_default="amount")


def set_price(ctx: ActionContext, field: str = "amount") -> None:
    """Take a proposed unit price from the input (negotiation offers); refused once priced."""
    if ctx.order.is_priced:
        raise Conflict("This order is priced already.")
    raw = ctx.input.get(field)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise ValidationError(errors={field: ["Give a positive amount in minor units."]})
    ctx.order.unit_price_amount = raw


# ---------------------------------------------------------------------------
# escrow and refunds
# ---------------------------------------------------------------------------


def escrow_account(order: Order):
    return ledger.account("escrow", order, order.currency)


def _require_priced(order: Order) -> Money:
    if not order.is_priced:
        raise Conflict("This order has no price yet.")
    return order.customer_total  # type: ignore[return-value]


class HoldParams(_Strict):
    source = fields.String(load_default="wallet", validate=validate.OneOf(["wallet", "payment"]))


def hold_in_escrow(ctx: ActionContext, source: str = "wallet") -> None:
    """Move the order total into the order's escrow account.

    ``source = "wallet"`` takes it from the customer's wallet (refused with
    409 when the balance is short); ``"payment"`` takes it from the clearing
    account of the provider whose payment for this order succeeded.
    """
    order = ctx.order
    total = _require_priced(order)
    if not total:
        return
    if source == "wallet":
        src = ledger.account("wallet", order.customer_id, order.currency)
    else:
        from ..payments.service import succeeded_payment

        payment = succeeded_payment(order)
        if payment is None:
            raise Conflict("This order has no successful payment.")
        src = ledger.account("clearing", payment.provider, order.currency)
    ledger.transfer(
        "escrow_in",
        src,
        escrow_account(order),
        total,
        memo=f"order {order.id}: paid into escrow from {source}",
        order_id=order.id,
        unique_key=f"order:{order.id}:escrow_in",
    )


def release_escrow(ctx: ActionContext) -> None:
    """Pay what is left in escrow to the provider's wallet and the platform's revenue.

    The platform's share is the order's fees; after a partial refund both
    shares shrink in proportion, split with :meth:`Money.allocate` so no
    minor unit is lost.
    """
    order = ctx.order
    total = _require_priced(order)
    escrow = escrow_account(order)
    left = escrow.balance
    if not left:
        return
    platform_share = total.amount - (order.provider_payout_amount or 0)
    provider_share = total.amount - platform_share
    if total.amount == 0 or (platform_share == 0 and provider_share == 0):
        return
    to_platform, to_provider = left.allocate([max(platform_share, 0), max(provider_share, 0)])
    lines = [(escrow, -left)]
    if to_provider:
        lines.append((ledger.account("wallet", order.provider_id, order.currency), to_provider))
    if to_platform:
        lines.append((ledger.platform_account("revenue", order.currency), to_platform))
    ledger.post(
        "escrow_release",
        lines,
        memo=f"order {order.id}: released to provider and platform",
        order_id=order.id,
        unique_key=f"order:{order.id}:release",
    )


class RefundParams(_Strict):
    mode = fields.String(
        load_default="full", validate=validate.OneOf(["full", "partial", "policy"])
    )
    to = fields.String(load_default="original", validate=validate.OneOf(["original", "wallet"]))


def refund(ctx: ActionContext, mode: str = "full", to: str = "original") -> None:
    """Refund from escrow to the customer.

    ``to = "original"`` gives card payments back through their provider
    (escrow -> provider clearing, and a ``payment.refund`` outbox message);
    wallet payments, and ``to = "wallet"``, go to the customer's wallet.

    ``full``: everything in escrow. ``partial``: ``amount`` (minor units) from
    the input, more than zero and at most what escrow holds. ``policy``: the
    percentage of the order's cancellation policy band that applies now.
    """
    order = ctx.order
    escrow = escrow_account(order)
    held = escrow.balance
    if mode == "full":
        amount = held
    elif mode == "partial":
        raw = ctx.input.get("amount")
        if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
            raise ValidationError(errors={"amount": ["Give a positive amount in minor units."]})
        if raw > held.amount:
            raise ValidationError(
                errors={"amount": [f"At most {held} can be refunded."]},
            )
        amount = Money(raw, order.currency)
    else:
        from .policies import refund_percent

        percent = refund_percent(order, ctx.scratch.get("now"))
        amount = held.percent(percent) if held else held
    if not amount:
        return
    payment = None
    if to == "original":
        from ..payments.service import succeeded_payment

        payment = succeeded_payment(order)
    if payment is not None:
        target = ledger.account("clearing", payment.provider, order.currency)
    else:
        target = ledger.account("wallet", order.customer_id, order.currency)
    ledger.transfer(
        "refund",
        escrow,
        target,
        amount,
        memo=f"order {order.id}: refund ({mode}) to {payment.provider if payment else 'wallet'}",
        order_id=order.id,
        unique_key=f"order:{order.id}:refund:{order.version}",
    )
    if payment is not None:
        from . import outbox

        outbox.add(
            "payment.refund",
            {
                "provider": payment.provider,
                "reference": payment.reference,
                "amount": amount.amount,
                "currency": amount.currency,
            },
        )


# ---------------------------------------------------------------------------
# booking and notifications
# ---------------------------------------------------------------------------


def _datetime(value: Any, key: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(errors={key: ["Give an ISO 8601 date and time."]}) from None
    if parsed.tzinfo is None:
        raise ValidationError(errors={key: ["Give a time zone (e.g. 2026-01-31T10:00:00+00:00)."]})
    return parsed


def set_booking(ctx: ActionContext) -> None:
    """Take ``start`` and ``end`` from the input; ``end`` must be after ``start``."""
    start = _datetime(ctx.input.get("start"), "start")
    end = _datetime(ctx.input.get("end"), "end")
    if end <= start:
        raise ValidationError(errors={"end": ["The end must be after the start."]})
    ctx.order.booking_start, ctx.order.booking_end = start, end


class SlotTaken(Conflict):
    title = "Slot taken"
    type_slug = "slot-taken"


class SlotParams(_Strict):
    capacity = fields.Integer(load_default=1, validate=validate.Range(1, 10_000))
    free_states = fields.List(
        fields.String(),
        load_default=lambda: ["declined", "expired", "cancelled", "refunded"],
    )


def reserve_slot(
    ctx: ActionContext, capacity: int = 1, free_states: list[str] | None = None
) -> None:
    """Refuse a booking whose period overlaps ``capacity`` others of the same listing.

    Orders in ``free_states`` (declined, expired, cancelled, refunded by
    default) no longer hold their slot. Runs under the listing's row lock, so
    two customers racing for the same hour cannot both get it.
    """
    order = ctx.order
    if order.listing_id is None or order.booking_start is None or order.booking_end is None:
        raise ValidationError(errors={"start": ["Choose a period first."]})
    db.session.scalars(locked(select(Listing.id).where(Listing.id == order.listing_id))).one()
    free = list(free_states if free_states is not None else SlotParams().load({})["free_states"])
    db.session.flush()
    others = [Order.id != order.id] if order.id is not None else []
    clashes = db.session.scalar(
        select(func.count(Order.id)).where(
            Order.listing_id == order.listing_id,
            *others,
            Order.booking_start < order.booking_end,
            Order.booking_end > order.booking_start,
            Order.state.not_in(free),
        )
    )
    if clashes >= capacity:
        raise SlotTaken("That time is already booked; choose another period.")


class NotifyParams(_Strict):
    to = fields.List(
        fields.String(validate=validate.OneOf(["customer", "provider", "operator"])),
        required=True,
        validate=validate.Length(min=1),
    )
    template = fields.String(required=True)


def notify(ctx: ActionContext, to: list[str], template: str) -> None:
    """Queue a notification to the parties through the outbox."""
    from . import outbox

    outbox.notify_parties(ctx.order, to, template, ctx.transition.name)


class StartOrderParams(_Strict):
    process = fields.String(required=True)


def start_order(ctx: ActionContext, process: str) -> None:
    """Place a new order on ``process`` at this order's agreed unit price (negotiation -> purchase)."""
    from .engine import place_order

    child = place_order(
        process,
        customer=ctx.order.customer,
        listing=ctx.order.listing,
        quantity=ctx.order.quantity,
        unit_price=ctx.order.unit_price,
        parent=ctx.order,
        actor=ctx.order.customer,
    )
    ctx.scratch["child_order"] = child


CORE_ACTIONS = (
    Action("reserve_stock", reserve_stock, description="Take stock/seats under a row lock."),
    Action("release_stock", release_stock, description="Give reserved stock back."),
    Action("calculate_price", calculate_price, description="Write price and fee lines once."),
    Action(
        "set_price", set_price, SetPriceParams, inputs=("amount",), description="Take an offer."
    ),
    Action("hold_in_escrow", hold_in_escrow, HoldParams, description="Fund the order's escrow."),
    Action("release_escrow", release_escrow, description="Pay escrow to provider and platform."),
    Action("refund", refund, RefundParams, inputs=("amount",), description="Refund from escrow."),
    Action("set_booking", set_booking, inputs=("start", "end"), description="Booking period."),
    Action(
        "reserve_slot",
        reserve_slot,
        SlotParams,
        description="Refuse a booking period that overlaps another (per listing, capacity).",
    ),
    Action("notify", notify, NotifyParams, description="Queue a notification (outbox)."),
    Action("start_order", start_order, StartOrderParams, description="Place a follow-up order."),
)
