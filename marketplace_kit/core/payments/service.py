"""Paying orders through providers, applying their answers and callbacks idempotently.

Flow: :func:`start_payment` (in the request's unit of work) records a
``created`` payment and an outbox ``payment.charge`` message. After commit the
outbox calls the provider outside any transaction (:func:`execute_charge`)
and :func:`settle` applies the answer in a new transaction. Webhooks and
operator confirmations go through :func:`settle` too. A payment's status only
moves forward (created < pending < succeeded/failed), so duplicated and
out-of-order callbacks are no-ops. A success takes the order's
``payment_succeeded`` transition (money: provider clearing -> escrow); if
the order died meanwhile, the payment is refunded at the provider instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...errors import Conflict, PermissionDenied
from ...events import commit
from ...extensions import db
from ..locking import locked
from ..orders import outbox
from ..orders.engine import SYSTEM, TransitionNotAllowed, process_of, roles_of, transition
from ..orders.models import Order
from .models import STATUS_RANK, Payment, WebhookEvent
from .providers import ChargeRequest, ProviderEvent, get_provider

SUCCESS_TRANSITION = "payment_succeeded"


def succeeded_payment(order: Order) -> Payment | None:
    return db.session.scalars(
        select(Payment).where(Payment.order_id == order.id, Payment.status == "succeeded")
    ).first()


def payments_of(order: Order) -> list[Payment]:
    return list(
        db.session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))
    )


def can_pay_with_provider(order: Order) -> bool:
    t = process_of(order).transition(SUCCESS_TRANSITION)
    return t is not None and order.state in t.from_states


def start_payment(
    order: Order, customer: Any, provider_name: str, details: dict[str, Any]
) -> Payment:
    """Start paying ``order`` through ``provider_name``; the caller commits.

    Refused (nothing changed) when the actor is not the customer, the order's
    process takes no provider payments in its current state (e.g. cancelled),
    or another payment of the order is still open.
    """
    provider = get_provider(provider_name, enabled_only=True)
    clean = provider.validate_details(details or {})
    order = db.session.scalars(locked(select(Order).where(Order.id == order.id))).one()
    if "customer" not in roles_of(customer, order):
        raise PermissionDenied("Only the customer pays for an order.")
    if not can_pay_with_provider(order) or not order.is_priced:
        raise TransitionNotAllowed(
            f"An order that is {order.state.replace('_', ' ')} cannot be paid.", state=order.state
        )
    open_payment = db.session.scalars(
        select(Payment).where(
            Payment.order_id == order.id, Payment.status.in_(["created", "pending"])
        )
    ).first()
    if open_payment is not None:
        raise Conflict(
            "A payment for this order is already in progress.", payment_id=open_payment.id
        )
    payment = Payment(
        order_id=order.id,
        customer_id=order.customer_id,
        provider=provider.name,
        status="created",
        amount=order.customer_total_amount,
        currency=order.currency,
        details={},
    )
    db.session.add(payment)
    db.session.flush()
    outbox.add("payment.charge", {"payment_id": payment.id, "details": clean})
    return payment


def execute_charge(payment_id: int, details: dict[str, Any]) -> None:
    """Outbox handler: call the provider (no transaction open), then apply its answer."""
    db.session.rollback()
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != "created":
        db.session.rollback()
        return  # already charged: a re-delivered message does nothing
    request = ChargeRequest(payment.id, payment.order_id, payment.amount, payment.currency, details)
    provider = get_provider(payment.provider)
    db.session.rollback()
    result = provider.charge(request)
    settle(
        payment_id,
        result.status,
        reference=result.reference,
        message=result.message,
        safe_details=result.safe_details,
    )
    commit()


def settle(
    payment_id: int,
    status: str,
    *,
    reference: str | None = None,
    message: str | None = None,
    safe_details: dict[str, Any] | None = None,
) -> bool:
    """Move a payment forward to ``status``; return False (no-op) for stale or repeated news."""
    payment = db.session.scalars(locked(select(Payment).where(Payment.id == payment_id))).one()
    if STATUS_RANK[status] <= STATUS_RANK[payment.status]:
        return False
    if reference and not payment.reference:
        payment.reference = reference
    if safe_details:
        payment.details = {**(payment.details or {}), **safe_details}
    if message:
        payment.message = message[:255]
    payment.status = status
    if status != "succeeded":
        return True
    order = db.session.get(Order, payment.order_id)
    if can_pay_with_provider(order):
        db.session.flush()
        transition(order, SUCCESS_TRANSITION, SYSTEM)
    else:
        # The order was cancelled or expired while the payment was pending: give it back.
        payment.status = "refunded"
        payment.message = "Refunded: the order was no longer payable."
        outbox.add(
            "payment.refund",
            {
                "provider": payment.provider,
                "reference": payment.reference,
                "amount": payment.amount,
                "currency": payment.currency,
            },
        )
    return True


def settle_by_reference(provider: str, reference: str, status: str) -> str:
    payment = db.session.scalars(
        select(Payment).where(Payment.provider == provider, Payment.reference == reference)
    ).first()
    if payment is None:
        return "unknown_payment"
    return "applied" if settle(payment.id, status) else "ignored"


def receive_webhook(provider_name: str, body: bytes, headers: Any) -> str:
    """Verify and apply a provider callback once; return the outcome; the caller commits.

    A repeated event id returns ``"duplicate"`` and changes nothing.
    """
    provider = get_provider(provider_name)
    event: ProviderEvent = provider.parse_webhook(body, headers)
    seen = db.session.scalars(
        select(WebhookEvent).where(
            WebhookEvent.provider == provider.name, WebhookEvent.event_id == event.event_id
        )
    ).first()
    if seen is not None:
        return "duplicate"
    outcome = settle_by_reference(provider.name, event.reference, event.status)
    db.session.add(
        WebhookEvent(
            provider=provider.name,
            event_id=event.event_id,
            event_type=event.event_type,
            payload=event.payload,
            outcome=outcome,
        )
    )
    try:
        commit()
    except IntegrityError:  # the same event raced in on another worker
        db.session.rollback()
        return "duplicate"
    return outcome


def confirm_manual_payment(payment: Payment, operator: Any) -> Payment:
    """An operator confirms a bank transfer arrived; the caller commits."""
    from ..access import require

    require(operator, "payment.confirm", payment)
    provider = get_provider(payment.provider)
    if not provider.operator_confirms:
        raise Conflict(f"{provider.label} payments are confirmed by the provider, not by hand.")
    if payment.status != "pending":
        raise Conflict(f"This payment is {payment.status}, not pending.")
    settle(payment.id, "succeeded")
    return payment


def execute_refund(payload: dict[str, Any]) -> None:
    """Outbox handler: ask the provider to refund (outside any transaction)."""
    db.session.rollback()
    get_provider(payload["provider"]).refund(
        payload["reference"], payload["amount"], payload["currency"]
    )
