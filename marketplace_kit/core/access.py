"""The single permission check: ``can(user, action, resource)``.

It asks the ``mk_permission_allowed`` hook; plugins answer first, the core's
rules (:func:`core_permission`) are the trylast default, and anything nobody
allows is denied.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from ..errors import PermissionDenied

#: action -> operator roles that may perform it (admin may do everything).
OPERATOR_ACTIONS: dict[str, tuple[str, ...]] = {
    "operator.view_plugins": ("admin",),
    "operator.console": ("moderator", "finance", "support"),
    "operator.view_users": ("moderator", "support", "finance"),
    "operator.manage_roles": (),
    "operator.review_verification": ("moderator",),
    "operator.view_verification_documents": ("moderator",),
    "operator.view_audit": ("support",),
    "operator.moderate": ("moderator",),
    "operator.finance": ("finance",),
    "operator.invite": ("support",),
    "operator.suspend_users": ("moderator",),
    "listing.moderate": ("moderator",),
    "categories.edit": ("moderator",),
    "order.operate": ("support", "finance"),
    "ledger.view": ("finance",),
    "payout.approve": ("finance",),
    "payment.confirm": ("finance",),
    "fees.override": ("finance",),
    "webhooks.manage": (),
    "dispute.resolve": ("support",),
    "operator.preview_notifications": ("support",),
    # the report queue: view, assign, dismiss, hide, warn (suspend/ban also
    # need operator.suspend_users)
    "reports.handle": ("moderator", "support"),
    # the statistics dashboard and its CSV exports
    "console.stats": ("finance",),
}

#: Operator roles that may read (never write) the conversation of an order
#: while it has an unresolved dispute, or a conversation with an open report
#: of one of its messages (``conversation.view``).
DISPUTE_CONVERSATION_READERS = ("admin", "support", "moderator")

#: Actions any signed-in, active user may perform.
MEMBER_ACTIONS = frozenset({"listing.create"})

#: user action -> ``[verification]`` key holding the minimum level it needs.
VERIFIED_ACTIONS: dict[str, str] = {
    "listing.publish": "publish_listings",
    "order.accept": "accept_orders",
    "payout.request": "payouts",
}


def required_level(action: str) -> int:
    """The verification level ``action`` needs under this app's config (0: none)."""
    from ..app import state

    key = VERIFIED_ACTIONS.get(action)
    if key is None:
        return 0
    return int(state(current_app).settings.verification[key])


def core_permission(user: Any, action: str, resource: Any) -> bool | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return False if action in OPERATOR_ACTIONS else None
    if not user.is_active:
        return False
    roles = set(getattr(user, "roles", None) or [])
    if action in OPERATOR_ACTIONS:
        return "admin" in roles or bool(roles & set(OPERATOR_ACTIONS[action]))
    if action in VERIFIED_ACTIONS:
        if (getattr(user, "verification_level", 0) or 0) < required_level(action):
            return False
        if resource is None:
            return True
    if action in MEMBER_ACTIONS:
        return True
    participant_ids = getattr(resource, "participant_ids", None)
    if participant_ids is not None and action.startswith("conversation."):
        if user.id in participant_ids:
            return True
        staff = roles & set(DISPUTE_CONVERSATION_READERS)
        return (
            action == "conversation.view"
            and bool(staff)
            and (resource.under_dispute or bool(getattr(resource, "under_report", False)))
        )
    party_ids = getattr(resource, "party_ids", None)
    if party_ids is not None and action.startswith("order."):
        return user.id in party_ids or bool(roles & {"admin", "support", "finance"})
    owner_id = getattr(resource, "owner_id", None)
    if owner_id is None and action.startswith("payout."):
        owner_id = getattr(resource, "user_id", None)
    if owner_id is not None:
        return owner_id == user.id
    return None


def can(user: Any, action: str, resource: Any | None = None) -> bool:
    from ..app import state

    answer = state(current_app).pm.hook.mk_permission_allowed(
        user=user, action=action, resource=resource
    )
    return bool(answer)


def require(user: Any, action: str, resource: Any | None = None) -> None:
    if not can(user, action, resource):
        raise PermissionDenied(f"You may not {action.replace('.', ' ').replace('_', ' ')}.")
