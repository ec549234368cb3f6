"""The ``group_buy`` process and the plugin's actions.

A member's order: ``pending_payment`` (a reserved place, for the reservation
TTL) -> ``joined`` (paid into escrow, waiting for the group) -> ``filled`` (the
group succeeded; the difference to the reached tier is refunded) ->
``delivered`` -> ``completed`` (escrow released to the provider, as in the
core's purchase), or ``cancelled`` (unpaid) / ``refunded`` (the group failed).
"""

from __future__ import annotations

from typing import Any

from marketplace_kit.core.orders.actions import Action

from . import service


def N_(message: str) -> str:
    return message


BOTH = ["customer", "provider"]


def group_buy_process(ttl_minutes: int) -> dict[str, Any]:
    release = [{"name": "group_buying_release"}, {"name": "release_stock"}]
    return {
        "name": service.PROCESS,
        "version": 1,
        "description": "Group buying: reserve a place, pay into escrow, settle with the group.",
        "state_labels": {
            "pending_payment": N_("Place reserved, awaiting payment"),
            "joined": N_("Paid, waiting for the group"),
            "filled": N_("Group succeeded"),
            "delivered": N_("Delivered"),
            "completed": N_("Completed"),
            "cancelled": N_("Cancelled"),
            "refunded": N_("Refunded"),
        },
        "states": [
            "pending_payment",
            "joined",
            "filled",
            "delivered",
            "completed",
            "cancelled",
            "refunded",
        ],
        "transitions": [
            {
                "name": "join",
                "label": N_("Place reserved"),
                "from": [],
                "to": "pending_payment",
                "actors": ["customer"],
                "actions": [
                    {"name": "group_buying_join"},
                    {"name": "reserve_stock"},
                    {"name": "calculate_price"},
                ],
            },
            {
                "name": "pay_from_wallet",
                "label": N_("Pay from wallet"),
                "from": ["pending_payment"],
                "to": "joined",
                "actors": ["customer"],
                "actions": [
                    {"name": "group_buying_paid"},
                    {"name": "hold_in_escrow", "params": {"source": "wallet"}},
                ],
            },
            {
                "name": "payment_succeeded",
                "label": N_("Payment received"),
                "from": ["pending_payment"],
                "to": "joined",
                "actors": ["system"],
                "actions": [
                    {"name": "group_buying_paid"},
                    {"name": "hold_in_escrow", "params": {"source": "payment"}},
                ],
            },
            {
                "name": "cancel",
                "label": N_("Give up the place"),
                "from": ["pending_payment"],
                "to": "cancelled",
                "actors": ["customer", "operator"],
                "actions": release,
            },
            {
                "name": "expire",
                "label": N_("Reservation lapsed"),
                "from": ["pending_payment"],
                "to": "cancelled",
                "timer": {"after": f"{ttl_minutes}m"},
                "actions": release,
            },
            {
                "name": "drop",
                "label": N_("Group closed before payment"),
                "from": ["pending_payment"],
                "to": "cancelled",
                "actors": ["system"],
                "actions": release,
            },
            {
                "name": "fill",
                "label": N_("Group succeeded"),
                "from": ["joined"],
                "to": "filled",
                "actors": ["system"],
                "actions": [{"name": "group_buying_settle_price"}],
                "notify": [{"to": ["provider"], "template": "order_paid"}],
            },
            {
                "name": "fail",
                "label": N_("Group failed, refunded"),
                "from": ["joined"],
                "to": "refunded",
                "actors": ["system"],
                "actions": [
                    {"name": "group_buying_failed"},
                    {"name": "refund", "params": {"mode": "full"}},
                    {"name": "release_stock"},
                ],
            },
            {
                "name": "mark_delivered",
                "label": N_("Mark delivered"),
                "from": ["filled"],
                "to": "delivered",
                "actors": ["provider"],
                "notify": [{"to": ["customer"], "template": "order_delivered"}],
            },
            {
                "name": "cancel_filled",
                "label": N_("Cancel and refund"),
                "from": ["filled"],
                "to": "refunded",
                "actors": ["provider", "operator"],
                "actions": [
                    {"name": "group_buying_failed"},
                    {"name": "refund", "params": {"mode": "full"}},
                    {"name": "release_stock"},
                ],
                "notify": [{"to": BOTH, "template": "order_refunded"}],
            },
            {
                "name": "accept",
                "label": N_("Accept"),
                "from": ["delivered"],
                "to": "completed",
                "actors": ["customer"],
                "actions": [{"name": "release_escrow"}],
                "notify": [{"to": BOTH, "template": "order_completed"}],
            },
            {
                "name": "auto_accept",
                "label": N_("Accepted automatically"),
                "from": ["delivered"],
                "to": "completed",
                "timer": {"after": "7d"},
                "actions": [{"name": "release_escrow"}],
                "notify": [{"to": BOTH, "template": "order_completed"}],
            },
        ],
    }


ACTIONS = [
    Action(
        "group_buying_join",
        service.action_join,
        inputs=("group_buying_deal", "group_buying_group"),
        description="Take a place in a group (or open one) under the deal and group locks.",
    ),
    Action("group_buying_paid", service.action_paid, description="Count a paid place."),
    Action(
        "group_buying_release", service.action_release, description="Give an unpaid place back."
    ),
    Action(
        "group_buying_settle_price",
        service.action_settle_price,
        description="Refund the difference to the reached tier.",
    ),
    Action(
        "group_buying_failed",
        service.action_failed,
        description="Record the full refund of a failed group.",
    ),
]
