"""The transaction process engine: place orders, take transitions, fire timers.

``transition(order, name, actor, params)`` is the one way an order changes
state. It locks the order row, checks the actor's role and the state, runs
the transition's actions in order, records the timeline event, cancels the
timers of the state it leaves and sets those of the state it enters, and
queues notifications (outbox) and the ``mk_order_transitioned`` event (after
commit). All of it is one unit of work: any error rolls everything back.
The caller commits with :func:`marketplace_kit.events.commit`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from ...errors import Conflict, MarketplaceError, PermissionDenied, ValidationError
from ...events import emit
from ...extensions import db
from ...money import Money
from ..access import can
from ..db import utcnow
from ..listings.models import Listing
from ..locking import locked
from . import outbox
from .actions import ActionContext, registered_actions
from .models import Order, OrderEvent, OrderTimer
from .process import Process, Transition
from .registry import get_process


class _System:
    """The actor of timers and internal callers (payment webhooks)."""

    id = None
    is_authenticated = False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()
ALWAYS_ALLOWED_INPUTS = ("message",)
MAX_MESSAGE = 4000


class TransitionNotAllowed(Conflict):
    title = "Transition not allowed"
    type_slug = "transition-not-allowed"


class StaleOrder(Conflict):
    title = "Stale order version"
    type_slug = "stale-order"


def roles_of(actor: Any, order: Order) -> set[str]:
    """The roles ``actor`` has on ``order``: customer, provider, operator, system."""
    if actor is SYSTEM:
        return {"system"}
    if actor is None or not getattr(actor, "is_authenticated", False):
        return set()
    roles = set()
    if actor.id == order.customer_id:
        roles.add("customer")
    if actor.id == order.provider_id:
        roles.add("provider")
    if can(actor, "order.operate", order):
        roles.add("operator")
    return roles


def process_of(order: Order) -> Process:
    return get_process(order.process_name, order.process_version)


def process_for_listing(listing: Listing) -> str:
    """The process new orders of ``listing`` follow: ``[orders] processes`` by listing type."""
    from ...app import state

    settings = state(current_app).settings.orders
    return settings["processes"].get(listing.listing_type, settings["default_process"])


def allowed_transitions(order: Order, actor: Any) -> list[Transition]:
    """Dry run: the transitions ``actor`` may take on ``order`` right now."""
    process = process_of(order)
    roles = roles_of(actor, order)
    return [
        t
        for t in process.exits(order.state)
        if roles & set(t.actors)
        and (t.timer is None or "system" in roles or t.actors != ("system",))
    ]


def _check_input(transition: Transition, params: dict[str, Any]) -> dict[str, Any]:
    actions = registered_actions()
    accepted = set(ALWAYS_ALLOWED_INPUTS)
    for ref in transition.actions:
        accepted.update(actions[ref.name].inputs)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ValidationError(
            errors={k: [f"Not accepted by {transition.name!r}."] for k in unknown}
        )
    message = params.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE):
        raise ValidationError(errors={"message": [f"Text up to {MAX_MESSAGE} characters."]})
    return params


def _role_for(transition: Transition, actor: Any, order: Order) -> str:
    roles = roles_of(actor, order)
    usable = [r for r in transition.actors if r in roles]
    if not usable:
        who = ", ".join(transition.actors)
        raise PermissionDenied(f"Only {who} may {transition.name.replace('_', ' ')} this order.")
    return usable[0]


def _timer_due(order: Order, transition: Transition, now: datetime) -> datetime | None:
    timer = transition.timer
    assert timer is not None
    if timer.after is not None:
        return now + timer.after
    base = getattr(order, timer.at or "", None)
    return None if base is None else base + timer.offset


def _run(
    order: Order,
    process: Process,
    transition: Transition,
    actor: Any,
    role: str,
    params: dict[str, Any],
    now: datetime,
) -> None:
    actions = registered_actions()
    ctx = ActionContext(
        order=order,
        process=process,
        transition=transition,
        actor=None if actor is SYSTEM else actor,
        role=role,
        input=params,
        scratch={"now": now},
    )
    for ref in transition.actions:
        actions[ref.name].func(ctx, **ref.params)
    from_state = order.state or None
    if from_state is not None:
        db.session.execute(
            update(OrderTimer)
            .where(OrderTimer.order_id == order.id, OrderTimer.status == "pending")
            .values(status="cancelled")
        )
        order.version += 1
    order.state = transition.to
    db.session.flush()
    for timed in process.timed_exits(order.state):
        due = _timer_due(order, timed, now)
        if due is not None:
            db.session.add(
                OrderTimer(
                    order_id=order.id,
                    transition=timed.name,
                    order_version=order.version,
                    due_at=due,
                )
            )
    for note in transition.notify:
        outbox.notify_parties(order, note.to, note.template, transition.name)
    db.session.add(
        OrderEvent(
            order_id=order.id,
            transition=transition.name,
            from_state=from_state,
            to_state=order.state,
            actor_id=getattr(actor, "id", None),
            actor_role=role,
            params=params,
            created_at=now,
        )
    )
    db.session.flush()
    emit(
        "mk_order_transitioned",
        order=order,
        transition=transition.name,
        from_state=from_state,
        to_state=order.state,
        actor=None if actor is SYSTEM else actor,
    )


def place_order(
    process_name: str | None,
    *,
    customer: Any,
    listing: Listing,
    quantity: int = 1,
    params: dict[str, Any] | None = None,
    unit_price: Money | None = None,
    parent: Order | None = None,
    actor: Any = None,
    provider: Any = None,
    now: datetime | None = None,
) -> Order:
    """Create an order on the latest version of a process and take its initial transition.

    ``process_name`` ``None`` picks the listing's process from config. The
    customer is the actor unless ``actor`` says otherwise (an operator, or
    ``SYSTEM`` for follow-up orders).

    On an offer listing the provider is the listing's author. On a request
    listing (``author_side = "request"``) the author is the customer, and
    ``provider`` names the user who does the work (e.g. the accepted bidder);
    anyone else placing an order on a request is refused. A closed request
    still takes its author's orders (the work goes on after bidding closed).
    """
    from ..listings.types import listing_types
    from .policies import policy_for

    now = now or utcnow()
    params = dict(params or {})
    process = get_process(process_name or process_for_listing(listing))
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ValidationError(errors={"quantity": ["Order at least one."]})
    lt = listing_types().get(listing.listing_type)
    is_request = lt is not None and lt.author_side == "request"
    # A request closes once its author found a provider; their orders with them go on.
    if listing.status != "published" and not (is_request and listing.status == "closed"):
        raise Conflict("This listing is not available.")
    if is_request:
        if listing.author_id != customer.id:
            raise PermissionDenied("Only the author of a request places orders on it.")
        if provider is None:
            raise ValidationError(errors={"provider": ["Name the provider of this request."]})
        if provider.id == customer.id:
            raise ValidationError(errors={"provider": ["You cannot be your own provider."]})
        provider_id = provider.id
    else:
        if listing.author_id == customer.id:
            raise ValidationError("You cannot order your own listing.")
        if provider is not None and provider.id != listing.author_id:
            raise ValidationError(errors={"provider": ["The provider of an offer is its author."]})
        provider_id = listing.author_id
    price = unit_price or listing.price
    order = Order(
        process_name=process.name,
        process_version=process.version,
        state="",
        version=1,
        customer_id=customer.id,
        provider_id=provider_id,
        listing_id=listing.id,
        parent_id=parent.id if parent is not None else None,
        quantity=quantity,
        currency=price.currency,
        unit_price_amount=price.amount,
        cancellation_policy=policy_for(listing),
        protected_data={},
        private_data={},
        created_at=now,
    )
    order.customer = customer
    order.listing = listing
    db.session.add(order)
    try:
        transition_def = process.initial
        _check_input(transition_def, params)
        db.session.flush()
        role = (
            "customer"
            if actor is None or actor is customer
            else _role_for(transition_def, actor, order)
        )
        if role == "customer" and "customer" not in transition_def.actors:
            raise PermissionDenied(f"Customers cannot start a {process.name} order.")
        _run(order, process, transition_def, actor or customer, role, params, now)
    except Exception:
        db.session.rollback()
        raise
    return order


def transition(
    order: Order,
    name: str,
    actor: Any,
    params: dict[str, Any] | None = None,
    *,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Order:
    """Take transition ``name`` on ``order`` as ``actor`` (a user or :data:`SYSTEM`).

    Errors (all roll the unit of work back and change nothing):
    :class:`PermissionDenied` when the actor has no role the transition allows,
    :class:`TransitionNotAllowed` (409) when the order is not in a from-state,
    :class:`StaleOrder` (409) when ``expected_version`` is not the current one,
    and whatever the actions raise (sold out, insufficient funds, bad input).
    """
    now = now or utcnow()
    params = dict(params or {})
    try:
        locked_order = db.session.scalars(locked(select(Order).where(Order.id == order.id))).one()
        if expected_version is not None and locked_order.version != expected_version:
            raise StaleOrder(
                f"The order changed meanwhile (version {locked_order.version}, "
                f"you had {expected_version}); reload and try again.",
                current_version=locked_order.version,
            )
        process = process_of(locked_order)
        t = process.transition(name)
        if t is None or t.is_initial:
            raise TransitionNotAllowed(f"{process.name} orders have no transition {name!r}.")
        role = _role_for(t, actor, locked_order)
        if locked_order.state not in t.from_states:
            raise TransitionNotAllowed(
                f"Cannot {name.replace('_', ' ')} an order that is {locked_order.state.replace('_', ' ')}.",
                state=locked_order.state,
            )
        _check_input(t, params)
        _run(locked_order, process, t, actor, role, params, now)
    except Exception:
        db.session.rollback()
        raise
    return locked_order


def timeline(order: Order) -> list[OrderEvent]:
    return list(
        db.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
    )


def pending_timers(order: Order) -> list[OrderTimer]:
    return list(
        db.session.scalars(
            select(OrderTimer)
            .where(OrderTimer.order_id == order.id, OrderTimer.status == "pending")
            .order_by(OrderTimer.due_at)
        )
    )


def run_due_timers(now: datetime | None = None, limit: int = 200) -> int:
    """Fire due timers, each in its own transaction; return how many fired.

    Idempotent: a timer is re-checked under lock, fires at most once, and is
    dropped if its order moved on since it was set.
    """
    from ...events import commit

    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(OrderTimer.id)
            .where(OrderTimer.status == "pending", OrderTimer.due_at <= now)
            .order_by(OrderTimer.due_at, OrderTimer.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    fired = 0
    for timer_id in ids:
        order = None
        timer = db.session.scalars(
            locked(select(OrderTimer).where(OrderTimer.id == timer_id))
        ).one_or_none()
        if timer is None or timer.status != "pending":
            db.session.rollback()
            continue
        order = db.session.get(Order, timer.order_id)
        if order is None or order.version != timer.order_version:
            timer.status = "cancelled"
            commit()
            continue
        try:
            transition(order, timer.transition, SYSTEM, now=now)
        except MarketplaceError as exc:
            # transition() rolled back; record the failure so it is not retried forever.
            db.session.execute(
                update(OrderTimer)
                .where(OrderTimer.id == timer_id, OrderTimer.status == "pending")
                .values(status="failed", last_error=f"{type(exc).__name__}: {exc.detail}")
            )
            commit()
            continue
        db.session.execute(
            update(OrderTimer).where(OrderTimer.id == timer_id).values(status="fired")
        )
        commit()
        fired += 1
    return fired
