"""The core's built-in processes: purchase, booking, inquiry, negotiation.

They are plain data, registered through ``mk_register_processes`` exactly
like a plugin's; a plugin may register a higher version of any of them.
"""

from __future__ import annotations

from typing import Any

BOTH = ["customer", "provider"]


def N_(message: str) -> str:
    """Mark a label for the message catalog; pages translate it when they show it."""
    return message


#: Display labels of the core processes' states and of transitions without their own
#: ``label``; plugins give their processes ``state_labels`` and ``label`` the same way.
STATE_LABELS = {
    "accepted": N_("Accepted"),
    "cancelled": N_("Cancelled"),
    "closed": N_("Closed"),
    "completed": N_("Completed"),
    "countered": N_("Counter-offer made"),
    "declined": N_("Declined"),
    "delivered": N_("Delivered"),
    "dispute_answered": N_("Dispute answered"),
    "disputed": N_("In dispute"),
    "expired": N_("Expired"),
    "offered": N_("Offer made"),
    "open": N_("Open"),
    "paid": N_("Paid"),
    "pending_payment": N_("Awaiting payment"),
    "refunded": N_("Refunded"),
    "requested": N_("Requested"),
}
TRANSITION_LABELS = {
    "accept": N_("Accept"),
    "accept_counter": N_("Accept the counter-offer"),
    "accept_offer": N_("Accept the offer"),
    "ask": N_("Ask"),
    "auto_accept": N_("Accepted automatically"),
    "auto_close": N_("Closed automatically"),
    "cancel": N_("Cancel"),
    "close": N_("Close"),
    "complete": N_("Complete"),
    "counter": N_("Make a counter-offer"),
    "decline": N_("Decline"),
    "dispute_unanswered": N_("Dispute not answered in time"),
    "expire": N_("Expired"),
    "offer": N_("Make an offer"),
    "payment_succeeded": N_("Payment received"),
    "place": N_("Order placed"),
    "reply": N_("Reply"),
    "request": N_("Request"),
    "revise": N_("Revise the offer"),
}

#: Disputes, shared by purchase and booking: the customer opens one while the money is in
#: escrow, the provider answers (or loses by default when the timer fires), an operator
#: resolves by paying out, refunding, or splitting.
DISPUTE_TRANSITIONS: list[dict[str, Any]] = [
    {
        "name": "open_dispute",
        "label": N_("Open a dispute"),
        "from": ["paid", "delivered"],  # booking: ["paid"] (see below)
        "to": "disputed",
        "actors": ["customer"],
        "actions": [{"name": "open_dispute"}],
        "notify": [{"to": [*BOTH, "operator"], "template": "dispute_opened"}],
    },
    {
        "name": "answer_dispute",
        "label": N_("Answer the dispute"),
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
        "label": N_("Resolve: pay the provider"),
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
        "label": N_("Resolve: refund the customer"),
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
        "label": N_("Resolve: refund part, pay out the rest"),
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
]

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
    "success_states": ["completed"],
    "cancelled_states": ["cancelled", "refunded"],
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
            "label": N_("Pay from wallet"),
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
            "label": N_("Mark delivered"),
            "from": ["paid"],
            "to": "delivered",
            "actors": ["provider"],
            "notify": [{"to": ["customer"], "template": "order_delivered"}],
        },
        {
            "name": "cancel_paid",
            "label": N_("Cancel and refund"),
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
            "label": N_("Refund in full"),
            "from": ["delivered"],
            "to": "refunded",
            "actors": ["operator"],
            "actions": [{"name": "refund", "params": {"mode": "full"}}],
            "notify": [{"to": BOTH, "template": "order_refunded"}],
        },
        {
            "name": "refund_partial",
            "label": N_("Refund part, pay out the rest"),
            "from": ["delivered"],
            "to": "completed",
            "actors": ["operator"],
            "actions": [
                {"name": "refund", "params": {"mode": "partial"}},
                {"name": "release_escrow"},
            ],
            "notify": [{"to": BOTH, "template": "order_partially_refunded"}],
        },
        *DISPUTE_TRANSITIONS,
    ],
}

BOOKING: dict[str, Any] = {
    "name": "booking",
    "version": 1,
    "description": "Request, provider accepts or declines (or it expires), pay, completed at the end.",
    "states": [
        "requested",
        "accepted",
        "declined",
        "expired",
        "paid",
        "disputed",
        "dispute_answered",
        "cancelled",
        "refunded",
        "completed",
    ],
    "success_states": ["completed"],
    "cancelled_states": ["cancelled", "refunded"],
    "transitions": [
        {
            "name": "request",
            "from": [],
            "to": "requested",
            "actors": ["customer"],
            "actions": [
                {"name": "set_booking"},
                {"name": "reserve_slot"},
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
            "label": N_("Pay from wallet"),
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
            "label": N_("Cancel booking"),
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
            "label": N_("Cancel and refund"),
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
            "timer": {"at": "booking_end", "offset": "24h"},
            "actions": [{"name": "release_escrow"}],
            "notify": [{"to": BOTH, "template": "booking_completed"}],
        },
        *[
            {**t, "from": ["paid"]} if t["name"] == "open_dispute" else t
            for t in DISPUTE_TRANSITIONS
        ],
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
for _process in CORE_PROCESSES:
    _process["state_labels"] = {s: STATE_LABELS[s] for s in _process["states"]}
    for _t in _process["transitions"]:
        _t.setdefault("label", TRANSITION_LABELS.get(_t["name"]))


def configured(orders_settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The core processes with the timers ``[orders]`` configures (copies; constants untouched)."""
    import copy

    out = [copy.deepcopy(p) for p in CORE_PROCESSES]
    for process in out:
        kept = []
        for t in process["transitions"]:
            if t["name"] == "auto_accept":
                t["timer"] = {"after": f"{orders_settings['auto_accept_days']}d"}
            if t["name"] == "dispute_unanswered":
                if orders_settings["dispute_unanswered"] == "operator_decides":
                    continue
                t["timer"] = {"after": f"{orders_settings['dispute_response_days']}d"}
            if process["name"] == "booking" and t["name"] == "complete":
                hours = orders_settings["booking_release_hours"]
                t["timer"] = {"at": "booking_end", "offset": f"{hours}h"}
            kept.append(t)
        process["transitions"] = kept
    return out
