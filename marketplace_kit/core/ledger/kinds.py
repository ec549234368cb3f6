"""Account kinds: what an account is for, who owns it, whether it may go negative.

The core registers its kinds through ``mk_register_account_kinds`` like any
plugin would (a mutual-credit plugin adds e.g. ``credit_issuance`` that may go
negative). Kinds are collected once per app at startup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from ...errors import PluginError

KIND_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class AccountKind:
    """A kind of ledger account.

    ``owner`` says what ``owner_key`` refers to: ``"user"``, ``"order"``,
    ``"payment_provider"``, ``"platform"`` (one account per currency) or
    anything a plugin defines. ``allow_negative`` accounts mirror money outside
    the marketplace (payment provider clearing, credit issuance); every other
    account is refused a posting that would take it below zero.
    """

    name: str
    owner: str
    allow_negative: bool = False
    description: str = ""


#: The core's kinds (registered by ``marketplace_kit.builtin.orders``).
CORE_KINDS = (
    AccountKind("wallet", "user", description="A user's spendable balance."),
    AccountKind("payout_hold", "user", description="Money of a payout request awaiting approval."),
    AccountKind("escrow", "order", description="Money held for an order until it completes."),
    AccountKind("revenue", "platform", description="Fees the platform earned."),
    AccountKind(
        "clearing",
        "payment_provider",
        allow_negative=True,
        description="Money in transit with a payment provider (the outside world).",
    ),
)

_EXT = "marketplace_kit_account_kinds"


def validate_kinds(collected: dict[str, tuple[str, AccountKind]]) -> dict[str, AccountKind]:
    kinds: dict[str, AccountKind] = {}
    for name, (plugin, kind) in collected.items():
        if not isinstance(kind, AccountKind):
            raise PluginError(
                f"plugin {plugin!r}: mk_register_account_kinds must return AccountKind items, "
                f"not {type(kind).__name__}"
            )
        if not KIND_RE.match(name):
            raise PluginError(
                f"plugin {plugin!r}: account kind {name!r} must be lower_snake_case, 2-40 chars"
            )
        kinds[name] = kind
    return kinds


def install(app, collected: dict[str, tuple[str, AccountKind]]) -> None:
    app.extensions[_EXT] = validate_kinds(collected)


def account_kinds() -> dict[str, AccountKind]:
    return current_app.extensions[_EXT]


def get_kind(name: str) -> AccountKind:
    kinds = account_kinds()
    if name not in kinds:
        raise KeyError(f"unknown account kind {name!r}; registered: {', '.join(sorted(kinds))}")
    return kinds[name]
