"""The core's event types and its email channel."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from .registry import IN_APP, Channel, EventType

ORDER_UPDATE = "order_update"
VERIFICATION_DECIDED = "verification_decided"
PAYOUT_PAID = "payout_paid"
PAYOUT_REJECTED = "payout_rejected"

#: order ``notify`` template -> title; ``%(order_id)s`` and ``%(role)s`` are filled in.
ORDER_TITLES: dict[str, Any] = {
    "order_placed": _l("New order #%(order_id)s"),
    "order_paid": _l("Order #%(order_id)s was paid"),
    "order_cancelled": _l("Order #%(order_id)s was cancelled"),
    "order_expired": _l("Order #%(order_id)s expired"),
    "order_delivered": _l("Order #%(order_id)s was delivered"),
    "order_refunded": _l("Order #%(order_id)s was refunded"),
    "order_partially_refunded": _l("Order #%(order_id)s was partly refunded"),
    "order_completed": _l("Order #%(order_id)s is complete"),
    "dispute_opened": _l("A dispute was opened on order #%(order_id)s"),
    "dispute_answered": _l("The dispute on order #%(order_id)s was answered"),
    "dispute_resolved": _l("The dispute on order #%(order_id)s was resolved"),
    "booking_requested": _l("New booking request #%(order_id)s"),
    "booking_accepted": _l("Booking #%(order_id)s was accepted"),
    "booking_declined": _l("Booking #%(order_id)s was declined"),
    "booking_expired": _l("Booking #%(order_id)s expired"),
    "booking_paid": _l("Booking #%(order_id)s was paid"),
    "booking_cancelled": _l("Booking #%(order_id)s was cancelled"),
    "booking_completed": _l("Booking #%(order_id)s is complete"),
    "inquiry_received": _l("New inquiry #%(order_id)s"),
    "inquiry_reply": _l("New reply on inquiry #%(order_id)s"),
    "offer_received": _l("New offer on #%(order_id)s"),
    "offer_countered": _l("Counter-offer on #%(order_id)s"),
}


def _render_order(context: dict[str, Any]) -> tuple[str, str]:
    values = {"order_id": context.get("order_id"), "transition": context.get("transition", "")}
    title = ORDER_TITLES.get(context.get("template", ""))
    title_text = (
        str(title) % values
        if title is not None
        else gettext("Order #%(order_id)s was updated", **values)
    )
    body = gettext(
        "Order #%(order_id)s: %(transition)s. Open the order to see what happens next.", **values
    )
    return title_text, body


def _render_verification(context: dict[str, Any]) -> tuple[str, str]:
    if context.get("status") == "approved":
        return (
            gettext("Your verification was approved"),
            gettext("Your verification level is now %(level)s.", level=context.get("level", 0)),
        )
    return (
        gettext("Your verification was not approved"),
        gettext("Reason: %(reason)s", reason=context.get("reason") or "-"),
    )


def _render_payout(context: dict[str, Any]) -> tuple[str, str]:
    from ...money import Money

    amount = Money(int(context.get("amount", 0)), context.get("currency", "EUR"))
    from ...web.i18n import format_money

    shown = format_money(amount)
    if context.get("status") == "paid":
        return (
            gettext("Payout #%(id)s was sent", id=context.get("payout_id")),
            gettext("We sent %(amount)s to your bank account.", amount=shown),
        )
    return (
        gettext("Payout #%(id)s was rejected", id=context.get("payout_id")),
        gettext(
            "%(amount)s went back to your wallet. Reason: %(reason)s",
            amount=shown,
            reason=context.get("note") or "-",
        ),
    )


CORE_EVENTS = (
    EventType(ORDER_UPDATE, _l("Order updates"), render=_render_order),
    EventType(VERIFICATION_DECIDED, _l("Verification decisions"), render=_render_verification),
    EventType(PAYOUT_PAID, _l("Payout sent"), render=_render_payout),
    EventType(PAYOUT_REJECTED, _l("Payout rejected"), render=_render_payout),
)


def send_email(notification: Any, user: Any, title: str, body: str) -> None:
    """The ``email`` channel: one message through the mail service, now (raises on failure)."""
    from .. import mail

    mail.send_now(
        user.email,
        "notification",
        locale=user.locale,
        title=title,
        body=body,
        user=user,
        url=notification.url,
    )


EMAIL = Channel("email", _l("Email"), send_email)

__all__ = ["CORE_EVENTS", "EMAIL", "IN_APP"]
