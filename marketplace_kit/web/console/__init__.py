"""The operator console under ``/console``: one blueprint, one module per area.

Every view checks its own permission with :func:`marketplace_kit.core.access.require`;
the console's index and its navigation list only the sections the signed-in
operator may reach (:data:`SECTIONS`, each with the permission it needs).
Every action goes through :mod:`marketplace_kit.core.console.service`, which
writes the operator audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from flask_babel import lazy_gettext as _l
from flask_login import current_user

bp = Blueprint("console", __name__, url_prefix="/console")


@dataclass(frozen=True)
class Section:
    """A console section: the endpoint it opens, its label, its group and the permission."""

    endpoint: str
    label: Any
    permission: str
    group: Any = ""


_QUEUES = _l("Queues")
_PEOPLE = _l("Users")
_MONEY = _l("Orders and money")
_CONFIG = _l("Configuration")
_AUDIT = _l("Audit")
_STATS = _l("Statistics")

#: Every console section in display order; other console modules append theirs.
SECTIONS: list[Section] = [
    Section(
        "console.verification_queue",
        _l("Verification requests"),
        "operator.review_verification",
        _QUEUES,
    ),
    Section("console.listing_queue", _l("Listings pending approval"), "listing.moderate", _QUEUES),
    Section("console.dispute_queue", _l("Open disputes"), "dispute.resolve", _QUEUES),
    Section("console.payout_queue", _l("Payout requests"), "payout.approve", _QUEUES),
    Section("console.reports", _l("Reports"), "reports.handle", _QUEUES),
    Section("console.users", _l("Users"), "operator.view_users", _PEOPLE),
    Section("console.invitations", _l("Invitations"), "operator.invite", _PEOPLE),
    Section("console.orders", _l("Orders"), "order.operate", _MONEY),
    Section("console.payments", _l("Bank transfers to confirm"), "payment.confirm", _MONEY),
    Section("console.ledger_accounts", _l("Ledger accounts"), "ledger.view", _MONEY),
    Section("console.ledger_verify", _l("Ledger check"), "ledger.view", _MONEY),
    Section("console.config_plugins", _l("Plugins and settings"), "operator.view_plugins", _CONFIG),
    Section("console.config_fees", _l("Fee rules"), "fees.override", _CONFIG),
    Section("console.categories", _l("Categories"), "categories.edit", _CONFIG),
    Section(
        "console.notification_templates",
        _l("Notification templates"),
        "operator.preview_notifications",
        _CONFIG,
    ),
    Section("console.webhook_list", _l("Webhooks"), "webhooks.manage", _CONFIG),
    Section("console.stats", _l("Statistics dashboard"), "console.stats", _STATS),
    Section("console.operator_actions", _l("Operator audit log"), "operator.view_audit", _AUDIT),
    Section("console.audit_log", _l("Security audit log"), "operator.view_audit", _AUDIT),
    Section("console.moderation_log", _l("Moderation log"), "reports.handle", _AUDIT),
]


def sections_for(user: Any) -> list[Section]:
    """The sections ``user`` may open."""
    from ...core.access import can

    return [s for s in SECTIONS if can(user, s.permission)]


@bp.context_processor
def _console_nav() -> dict[str, Any]:
    from ...core.access import can
    from ...money import Money
    from ..i18n import format_money

    user = current_user._get_current_object() if current_user.is_authenticated else None
    return {
        "console_sections": sections_for(user) if user is not None else [],
        "minor": lambda amount, currency: format_money(Money(int(amount or 0), currency)),
        "may": lambda action, resource=None: user is not None and can(user, action, resource),
    }


from . import audit, config, money, queues, reports, stats, users  # noqa: E402,F401  (register the views on bp)
