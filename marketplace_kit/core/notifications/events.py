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
OPERATOR_DECISION = "operator_decision"
NEW_MESSAGE = "new_message"
SAVED_SEARCH_MATCH = "saved_search_match"
PRICE_DROP = "price_drop"
REVIEW_RECEIVED = "review_received"

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
    step = context.get("transition_label") or context.get("transition", "")
    values = {"order_id": context.get("order_id"), "transition": gettext(step) if step else ""}
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


def _render_decision(context: dict[str, Any]) -> tuple[str, str]:
    """An operator's decision about the user's listing, order or account, with the reason."""
    kind = context.get("kind", "")
    title_text = str(context.get("title") or "")
    if kind == "listing_approved":
        title = gettext("Your listing “%(title)s” was approved", title=title_text)
    elif kind == "listing_rejected":
        title = gettext("Your listing “%(title)s” was not approved", title=title_text)
    elif kind == "order_transition":
        title = gettext(
            "An operator acted on order #%(order_id)s: %(transition)s",
            order_id=context.get("order_id"),
            transition=context.get("transition", ""),
        )
    elif kind == "account_suspended":
        title = gettext("Your account was suspended")
    elif kind == "account_banned":
        title = gettext("Your account was banned")
    elif kind == "account_active":
        title = gettext("Your account was reinstated")
    else:
        title = gettext("An operator made a decision")
    reason = context.get("reason") or ""
    return title, gettext("Reason: %(reason)s", reason=reason) if reason else ""


def _render_message(context: dict[str, Any]) -> tuple[str, str]:
    return (
        gettext("New message from %(name)s", name=context.get("sender_name") or "-"),
        context.get("excerpt") or gettext("(attachments)"),
    )


def _render_saved_search(context: dict[str, Any]) -> tuple[str, str]:
    return (
        gettext("New match for “%(search)s”", search=context.get("search_name") or "-"),
        gettext("%(title)s was just published.", title=context.get("title") or "-"),
    )


def _render_price_drop(context: dict[str, Any]) -> tuple[str, str]:
    from ...money import Money
    from ...web.i18n import format_money

    currency = context.get("currency", "EUR")
    old = format_money(Money(int(context.get("old_amount", 0)), currency))
    new = format_money(Money(int(context.get("new_amount", 0)), currency))
    return (
        gettext("Price drop: %(title)s", title=context.get("title") or "-"),
        gettext("Now %(new)s (was %(old)s).", new=new, old=old),
    )


def _render_review(context: dict[str, Any]) -> tuple[str, str]:
    """A review of the user was published (both reviewed, or the review window closed)."""
    stars = int(context.get("rating") or 0)
    return (
        gettext("%(name)s reviewed you", name=context.get("author_name") or "-"),
        gettext(
            "%(stars)s of 5 stars for order #%(order_id)s. You can reply once on your profile.",
            stars=stars,
            order_id=context.get("order_id"),
        ),
    )


CORE_EVENTS = (
    EventType(ORDER_UPDATE, _l("Order updates"), render=_render_order),
    EventType(VERIFICATION_DECIDED, _l("Verification decisions"), render=_render_verification),
    EventType(PAYOUT_PAID, _l("Payout sent"), render=_render_payout),
    EventType(PAYOUT_REJECTED, _l("Payout rejected"), render=_render_payout),
    EventType(OPERATOR_DECISION, _l("Operator decisions"), render=_render_decision),
    EventType(NEW_MESSAGE, _l("New messages"), render=_render_message),
    EventType(SAVED_SEARCH_MATCH, _l("Saved search matches"), render=_render_saved_search),
    EventType(PRICE_DROP, _l("Price drops on favourites"), render=_render_price_drop),
    EventType(REVIEW_RECEIVED, _l("Reviews about me"), render=_render_review),
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
