"""Read helpers shared by the order pages and the API (no Flask request inside)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...errors import NotFound
from ...extensions import db
from ..access import can
from .engine import allowed_transitions, process_of
from .models import Order


def visible_order(order_id: int, user: Any) -> Order:
    """The order if ``user`` is a party or an operator; 404 otherwise (no leaking ids)."""
    order = db.session.get(Order, order_id)
    if order is None or not can(user, "order.view", order):
        raise NotFound("No such order.")
    return order


def orders_of(
    user: Any, as_role: str = "customer", limit: int = 50, before_id: int | None = None
) -> tuple[list[Order], int | None]:
    """``user``'s orders in ``as_role``, newest first, and the ``before_id`` of the next page.

    Keyset pagination on the id: pass the returned value back as ``before_id``
    (``None`` when there is no older order). The listing and price lines of
    every order are loaded in one query each.
    """
    column = Order.provider_id if as_role == "provider" else Order.customer_id
    stmt = select(Order).where(column == user.id)
    if before_id is not None:
        stmt = stmt.where(Order.id < before_id)
    stmt = stmt.order_by(Order.id.desc()).limit(limit + 1)
    orders = list(db.session.scalars(stmt.options(selectinload(Order.listing))))
    if len(orders) > limit:
        return orders[:limit], orders[limit - 1].id
    return orders, None


def transition_options(order: Order, user: Any) -> list[dict[str, Any]]:
    """What the viewer may do now: name, label, whether it takes an amount."""
    from .actions import registered_actions

    actions = registered_actions()
    out = []
    for t in allowed_transitions(order, user):
        inputs: set[str] = set()
        for ref in t.actions:
            if ref.name == "refund" and ref.params.get("mode") != "partial":
                continue
            inputs.update(actions[ref.name].inputs)
        out.append(
            {
                "name": t.name,
                "label": t.label or t.name.replace("_", " ").capitalize(),
                "inputs": sorted(inputs),
            }
        )
    return out


def is_final(order: Order) -> bool:
    return order.state in process_of(order).final_states


def preview_price(listing: Any, customer: Any, quantity: int = 1):
    """The price a new order would get (the same computation that writes the lines)."""
    from .actions import compute_price

    draft = Order(
        customer_id=getattr(customer, "id", None),
        provider_id=listing.author_id,
        listing_id=listing.id,
        quantity=quantity,
        currency=listing.currency,
        unit_price_amount=listing.price_amount,
    )
    draft.listing = listing
    try:
        return compute_price(draft)
    finally:
        if draft in db.session:
            db.session.expunge(draft)
