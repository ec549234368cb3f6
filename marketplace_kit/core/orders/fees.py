"""Fees from the ordered ``[fees] rules`` list.

Rules are tried in order for each side separately (the customer side and the
provider side); on each side the first matching rule wins. A rule with
``charged_to = "both"`` matches both sides and splits its fee evenly (an odd
minor unit goes to the customer side). A rule matches when each of its
``listing_type`` / ``category`` / ``provider`` criteria is unset or equal.
The fee is ``percent`` of the subtotal (rounded half-up) plus ``fixed``,
then raised to ``minimum`` and capped at ``maximum`` and at the subtotal.
Amounts are minor units of the order's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...money import Money


@dataclass(frozen=True)
class PriceLine:
    """A line of an order's price (see :class:`..models.OrderLine`)."""

    kind: str  # item, fee, discount, adjustment
    code: str
    label: str
    payer: str  # customer or provider
    money: Money


def rule_matches(
    rule: dict[str, Any], listing_type: str | None, category: str | None, provider_id: int
) -> bool:
    if rule.get("listing_type") is not None and rule["listing_type"] != listing_type:
        return False
    if rule.get("category") is not None and rule["category"] != category:
        return False
    return not (rule.get("provider") is not None and rule["provider"] != provider_id)


def rule_fee(rule: dict[str, Any], subtotal: Money) -> Money:
    fee = Money.zero(subtotal.currency)
    if rule.get("percent") is not None:
        fee = subtotal.percent(rule["percent"])
    fee = fee + Money(rule.get("fixed") or 0, subtotal.currency)
    if fee.amount < (rule.get("minimum") or 0):
        fee = Money(rule["minimum"], subtotal.currency)
    if rule.get("maximum") is not None and fee.amount > rule["maximum"]:
        fee = Money(rule["maximum"], subtotal.currency)
    return fee


def fee_lines(
    rules: list[dict[str, Any]],
    subtotal: Money,
    *,
    listing_type: str | None,
    category: str | None,
    provider_id: int,
) -> list[PriceLine]:
    """The fee lines for one order (at most one per side)."""
    lines: list[PriceLine] = []
    for side in ("customer", "provider"):
        for rule in rules:
            if rule.get("charged_to") not in (side, "both"):
                continue
            if not rule_matches(rule, listing_type, category, provider_id):
                continue
            fee = rule_fee(rule, subtotal)
            if rule.get("charged_to") == "both":
                fee = fee.allocate([1, 1])[0 if side == "customer" else 1]
            if side == "provider" and fee > subtotal:
                fee = subtotal
            if fee.amount:
                lines.append(PriceLine("fee", rule["name"], rule["name"], side, fee))
            break
    return lines


def set_override(operator: Any, provider: Any, rules: list[dict[str, Any]], note: str = "") -> Any:
    """An operator (finance) replaces the fee rules for one provider; ``[]`` means no fees.

    The rules are validated like ``[fees] rules``; the caller commits. Orders
    already priced keep their fee lines.
    """
    from marshmallow import ValidationError as MMValidationError
    from sqlalchemy import select

    from ...config import FeeRuleSchema
    from ...errors import ValidationError
    from ...extensions import db
    from ..access import require
    from .models import FeeOverride

    require(operator, "fees.override", provider)
    try:
        loaded = FeeRuleSchema(many=True).load(rules)
    except MMValidationError as exc:
        raise ValidationError(errors={"rules": exc.messages}) from None
    stored = [
        {**r, "percent": str(r["percent"]) if r.get("percent") is not None else None}
        for r in loaded
    ]
    row = db.session.scalars(select(FeeOverride).where(FeeOverride.user_id == provider.id)).first()
    if row is None:
        row = FeeOverride(user_id=provider.id)
        db.session.add(row)
    row.rules, row.set_by_id, row.note = stored, operator.id, note[:255]
    return row


def clear_override(operator: Any, provider: Any) -> None:
    from sqlalchemy import delete

    from ...extensions import db
    from ..access import require
    from .models import FeeOverride

    require(operator, "fees.override", provider)
    db.session.execute(delete(FeeOverride).where(FeeOverride.user_id == provider.id))


def rules_for(provider_id: int, default: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The provider's override if an operator set one, else the config's rules."""
    from sqlalchemy import select

    from ...extensions import db
    from .models import FeeOverride

    row = db.session.scalars(select(FeeOverride).where(FeeOverride.user_id == provider_id)).first()
    return default if row is None else list(row.rules)
