"""The core's built-in processes: purchase, booking, inquiry, negotiation.

They are plain data, registered through ``mk_register_processes`` exactly
like a plugin's; a plugin may register a higher version of any of them.
"""

from __future__ import annotations

from typing import Any

BOTH = ["customer", "provider"]

PURCHASE: dict[str, Any] = {
    "name": "purchase",
    "version": 1,
    "description": "Pay into escrow, provider delivers, customer accepts (or auto-accept), payout.",
    "states": [
        "pending_payment",
        "paid",
        "delivered",
        "disputed",
        "dispute_answered",
        "completed",
        "cancelled",
        "refunded",
    ],
    "transitions": [
        {
            "name": "place",
            "from": [],
            "to": "pending_payment",
            "actors": ["customer"],
            "actions": [{"name": "reserve_stock"}, {"name": "calculate_price"}],
            "notify": [{"to": ["provider"], "template": "order_placed"}],
        },
        {
            "name": "pay_from_wallet",
            "label": "Pay from wallet",
            "from": ["pending_payment"],
            "to": "paid",
            "actors": ["customer"],
            "actions": [{"name": "hold_in_escrow", "params": {"source": "wallet"}}],
            "notify": [{"to": BOTH, "template": "order_paid"}],
        },
        {
            "name": "payment_succeeded",
            "from": ["pending_payment"],
            "to": "paid",
            "actors": ["system"],
            "actions": [{"name": "hold_in_escrow", "params": {"source": "payment"}}],
            "notify": [{"to": BOTH, "template": "order_paid"}],
        },
        {
            "name": "cancel",
            "from": ["pending_payment"],
            "to": "cancelled",
            "actors": ["customer", "provider", "operator"],
            "actions": [{"name": "release_stock"}],
            "notify": [{"to": BOTH, "template": "order_cancelled"}],
        },
        {
            "name": "expire",
            "from": ["pending_payment"],
            "to": "cancelled",
            "timer": {"after": "1d"},
            "actions": [{"name": "release_stock"}],
            "notify": [{"to": BOTH, "template": "order_expired"}],
        },
        {
            "name": "mark_delivered",
            "label": "Mark delivered",
            "from": ["paid"],
            "to": "delivered",
            "actors": ["provider"],
            "notify": [{"to": ["customer"], "template": "order_delivered"}],
        },
        {
            "name": "cancel_paid",
            "label": "Cancel and refund",
            "from": ["paid"],
            "to": "refunded",
            "actors": ["provider", "operator"],
            "actions": [
                {"name": "refund", "params": {"mode": "full"}},
                {"name": "release_stock"},
            ],
            "notify": [{"to": BOTH, "template": "order_refunded"}],
        },
        {
            "name": "accept",
            "from": ["delivered"],
            "to": "completed",
            "actors": ["customer"],
            "actions": [{"name": "release_escrow"}],
            "notify": [{"to": BOTH, "template": "order_completed"}],
        },
        {
            "name": "auto_accept",
            "from": ["delivered"],
            "to": "completed",
            "timer": {"after": "7d"},
            "actions": [{"name": "release_escrow"}],
            "notify": [{"to": BOTH, "template": "order_completed"}],
        },
        {
            "name": "refund_full",
            "label": "Refund in full",
            "from": ["delivered"],
            "to": "refunded",
            "actors": ["operator"],
            "actions": [{"name": "refund", "params": {"mode": "full"}}],
            "notify": [{"to": BOTH, "template": "order_refunded"}],
        },
        {
            "name": "refund_partial",
            "label": "Refund part, pay out the rest",
            "from": ["delivered"],
            "to": "completed",
            "actors": ["operator"],
            "actions": [
                {"name": "refund", "params": {"mode": "partial"}},
                {"name": "release_escrow"},
            ],
            "notify": [{"to": BOTH, "template": "order_partially_refunded"}],
        },
        {
            "name": "open_dispute",
            "label": "Open a dispute",
            "from": ["paid", "delivered"],
            "to": "disputed",
            "actors": ["customer"],
            "actions": [{"name": "open_dispute"}],
            "notify": [{"to": [*BOTH, "operator"], "template": "dispute_opened"}],
        },
        {
            "name": "answer_dispute",
            "label": "Answer the dispute",
            "from": ["disputed"],
            "to": "dispute_answered",
            "actors": ["provider"],
            "actions": [{"name": "answer_dispute"}],
            "notify": [{"to": ["customer", "operator"], "template": "dispute_answered"}],
        },
        {
            "name": "dispute_unanswered",
            "from": ["disputed"],
            "to": "refunded",
            "timer": {"after": "5d"},
            "actions": [
                {"name": "refund", "params": {"mode": "full"}},
                {"name": "close_dispute", "params": {"resolution": "refund_unanswered"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
        {
            "name": "resolve_release",
            "label": "Resolve: pay the provider",
            "from": ["disputed", "dispute_answered"],
            "to": "completed",
            "actors": ["operator"],
            "actions": [
                {"name": "release_escrow"},
                {"name": "close_dispute", "params": {"resolution": "release"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
        {
            "name": "resolve_refund",
            "label": "Resolve: refund the customer",
            "from": ["disputed", "dispute_answered"],
            "to": "refunded",
            "actors": ["operator"],
            "actions": [
                {"name": "refund", "params": {"mode": "full"}},
                {"name": "close_dispute", "params": {"resolution": "refund"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
        {
            "name": "resolve_split",
            "label": "Resolve: refund part, pay out the rest",
            "from": ["disputed", "dispute_answered"],
            "to": "completed",
            "actors": ["operator"],
            "actions": [
                {"name": "refund", "params": {"mode": "partial"}},
                {"name": "release_escrow"},
                {"name": "close_dispute", "params": {"resolution": "split"}},
            ],
            "notify": [{"to": BOTH, "template": "dispute_resolved"}],
        },
    ],
}

BOOKING: dict[str, Any] = {
    "name": "booking",
    "version": 1,
    "description": "Request, provider accepts or declines (or it expires), pay, completed at the end.",
    "states": ["requested", "accepted", "declined", "expired", "paid", "cancelled", "completed"],
    "transitions": [
        {
            "name": "request",
            "from": [],
            "to": "requested",
            "actors": ["customer"],
            "actions": [
                {"name": "set_booking"},
                {"name": "reserve_stock"},
                {"name": "calculate_price"},
            ],
            "notify": [{"to": ["provider"], "template": "booking_requested"}],
        },
        {
            "name": "accept",
            "from": ["requested"],
            "to": "accepted",
            "actors": ["provider"],
            "notify": [{"to": ["customer"], "template": "booking_accepted"}],
        },
        {
            "name": "decline",
            "from": ["requested"],
            "to": "declined",
            "actors": ["provider"],
            "actions": [{"name": "release_stock"}],
            "notify": [{"to": ["customer"], "template": "booking_declined"}],
        },
        {
            "name": "expire",
            "from": ["requested", "accepted"],
            "to": "expired",
            "timer": {"after": "2d"},
            "actions": [{"name": "release_stock"}],
            "notify": [{"to": BOTH, "template": "booking_expired"}],
        },
        {
            "name": "pay_from_wallet",
            "label": "Pay from wallet",
            "from": ["accepted"],
            "to": "paid",
            "actors": ["customer"],
            "actions": [{"name": "hold_in_escrow", "params": {"source": "wallet"}}],
            "notify": [{"to": BOTH, "template": "booking_paid"}],
        },
        {
            "name": "payment_succeeded",
            "from": ["accepted"],
            "to": "paid",
            "actors": ["system"],
            "actions": [{"name": "hold_in_escrow", "params": {"source": "payment"}}],
            "notify": [{"to": BOTH, "template": "booking_paid"}],
        },
        {
            "name": "cancel",
            "label": "Cancel booking",
            "from": ["paid"],
            "to": "cancelled",
            "actors": ["customer"],
            "actions": [
                {"name": "refund", "params": {"mode": "policy"}},
                {"name": "release_escrow"},
                {"name": "release_stock"},
            ],
            "notify": [{"to": BOTH, "template": "booking_cancelled"}],
        },
        {
            "name": "provider_cancel",
            "label": "Cancel and refund",
            "from": ["paid"],
            "to": "cancelled",
            "actors": ["provider", "operator"],
            "actions": [{"name": "refund", "params": {"mode": "full"}}, {"name": "release_stock"}],
            "notify": [{"to": BOTH, "template": "booking_cancelled"}],
        },
        {
            "name": "complete",
            "from": ["paid"],
            "to": "completed",
            "timer": {"at": "booking_end"},
            "actions": [{"name": "release_escrow"}],
            "notify": [{"to": BOTH, "template": "booking_completed"}],
        },
    ],
}

INQUIRY: dict[str, Any] = {
    "name": "inquiry",
    "version": 1,
    "description": "A conversation about a listing; no money moves.",
    "states": ["open", "closed"],
    "transitions": [
        {
            "name": "ask",
            "from": [],
            "to": "open",
            "actors": ["customer"],
            "notify": [{"to": ["provider"], "template": "inquiry_received"}],
        },
        {
            "name": "reply",
            "from": ["open"],
            "to": "open",
            "actors": BOTH,
            "notify": [{"to": BOTH, "template": "inquiry_reply"}],
        },
        {"name": "close", "from": ["open"], "to": "closed", "actors": [*BOTH, "operator"]},
        {"name": "auto_close", "from": ["open"], "to": "closed", "timer": {"after": "30d"}},
    ],
}

NEGOTIATION: dict[str, Any] = {
    "name": "negotiation",
    "version": 1,
    "description": "Offer and counter-offer a price; on acceptance a purchase order is placed.",
    "states": ["offered", "countered", "accepted", "declined", "expired"],
    "transitions": [
        {
            "name": "offer",
            "from": [],
            "to": "offered",
            "actors": ["customer"],
            "actions": [{"name": "set_price"}],
            "notify": [{"to": ["provider"], "template": "offer_received"}],
        },
        {
            "name": "counter",
            "from": ["offered"],
            "to": "countered",
            "actors": ["provider"],
            "actions": [{"name": "set_price"}],
            "notify": [{"to": ["customer"], "template": "offer_countered"}],
        },
        {
            "name": "revise",
            "from": ["countered"],
            "to": "offered",
            "actors": ["customer"],
            "actions": [{"name": "set_price"}],
            "notify": [{"to": ["provider"], "template": "offer_received"}],
        },
        {
            "name": "accept_offer",
            "from": ["offered"],
            "to": "accepted",
            "actors": ["provider"],
            "actions": [{"name": "start_order", "params": {"process": "purchase"}}],
            "notify": [{"to": BOTH, "template": "offer_accepted"}],
        },
        {
            "name": "accept_counter",
            "from": ["countered"],
            "to": "accepted",
            "actors": ["customer"],
            "actions": [{"name": "start_order", "params": {"process": "purchase"}}],
            "notify": [{"to": BOTH, "template": "offer_accepted"}],
        },
        {
            "name": "decline",
            "from": ["offered", "countered"],
            "to": "declined",
            "actors": BOTH,
            "notify": [{"to": BOTH, "template": "offer_declined"}],
        },
        {
            "name": "expire",
            "from": ["offered", "countered"],
            "to": "expired",
            "timer": {"after": "3d"},
        },
    ],
}

CORE_PROCESSES = (PURCHASE, BOOKING, INQUIRY, NEGOTIATION)


def configured(orders_settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The core processes with the timers ``[orders]`` configures (copies; constants untouched)."""
    import copy

    out = [copy.deepcopy(p) for p in CORE_PROCESSES]
    purchase = out[0]
    kept = []
    for t in purchase["transitions"]:
        if t["name"] == "auto_accept":
            t["timer"] = {"after": f"{orders_settings['auto_accept_days']}d"}
        if t["name"] == "dispute_unanswered":
            if orders_settings["dispute_unanswered"] == "operator_decides":
                continue
            t["timer"] = {"after": f"{orders_settings['dispute_response_days']}d"}
        kept.append(t)
    purchase["transitions"] = kept
    return out
