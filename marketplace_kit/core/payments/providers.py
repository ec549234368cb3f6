"""Payment providers: the interface, the registry, and the core's ``sandbox`` and ``manual``.

A provider is registered through ``mk_register_payment_providers`` and is
called only from outside database transactions (the outbox delivers
``payment.charge`` and ``payment.refund`` messages), so a slow gateway never
holds a lock. Provider callbacks (webhooks) are verified by the provider
and applied idempotently by :mod:`.service`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from ...errors import MarketplaceError, PluginError, ValidationError

_EXT = "marketplace_kit_payment_providers"


class WebhookRejected(MarketplaceError):
    status = 400
    title = "Webhook rejected"
    type_slug = "webhook-rejected"


@dataclass(frozen=True)
class ChargeRequest:
    payment_id: int
    order_id: int
    amount: int
    currency: str
    details: dict[str, Any]


@dataclass(frozen=True)
class ChargeResult:
    """``status``: ``succeeded``, ``pending`` or ``failed``; ``reference`` is the provider's id."""

    status: str
    reference: str
    message: str = ""
    safe_details: dict[str, Any] | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A verified callback: ``status`` is what the payment with ``reference`` became."""

    event_id: str
    event_type: str
    reference: str
    status: str
    payload: dict[str, Any]


class PaymentProvider:
    """Base class of payment providers. Subclass and return an instance from the hook."""

    name: str = ""
    label: str = ""
    #: True when an operator confirms payments by hand (bank transfer).
    operator_confirms: bool = False

    def validate_details(self, details: Mapping[str, Any]) -> dict[str, Any]:
        """Check what the customer sent (a card token, nothing); raise ``ValidationError``."""
        return {}

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge the customer. Called outside any database transaction."""
        raise NotImplementedError

    def refund(self, reference: str, amount: int, currency: str) -> None:
        """Give money back on the original payment. Called outside any transaction."""
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a callback's signature and parse it; raise :class:`WebhookRejected`."""
        raise WebhookRejected(f"{self.name} sends no webhooks.")


class SandboxProvider(PaymentProvider):
    """A realistic test gateway.

    Test cards: ``4242 4242 4242 4242`` succeeds, ``4000 0000 0000 0002`` is
    declined, ``4000 0000 0000 0077`` stays pending until a webhook settles it;
    any other number is declined as invalid. Webhooks are signed with
    HMAC-SHA256 (``Sandbox-Signature: t=<unix time>,v1=<hex>`` over
    ``"<t>.<body>"``) and may arrive twice or out of order; :meth:`webhook`
    builds them for tests and demos.
    """

    name = "sandbox"
    label = "Card (sandbox)"
    SUCCEED = "4242424242424242"
    DECLINE = "4000000000000002"
    PENDING = "4000000000000077"
    TOLERANCE_SECONDS = 300

    def __init__(self, secret: str):
        self.secret = secret.encode()
        self.refunds: list[tuple[str, int, str]] = []

    def validate_details(self, details: Mapping[str, Any]) -> dict[str, Any]:
        card = str(details.get("card", "")).replace(" ", "")
        if not card.isdigit() or not 12 <= len(card) <= 19:
            raise ValidationError(
                errors={"card": ["Enter a card number (test: 4242 4242 4242 4242)."]}
            )
        return {"card": card}

    def charge(self, request: ChargeRequest) -> ChargeResult:
        card = request.details.get("card", "")
        reference = f"sbx_{uuid.uuid4().hex[:20]}"
        safe = {"brand": "visa", "last4": card[-4:]}
        if card == self.SUCCEED:
            return ChargeResult("succeeded", reference, "Approved", safe)
        if card == self.PENDING:
            return ChargeResult("pending", reference, "Awaiting 3-D Secure", safe)
        if card == self.DECLINE:
            return ChargeResult("failed", reference, "Card declined", safe)
        return ChargeResult("failed", reference, "Invalid card number", safe)

    def refund(self, reference: str, amount: int, currency: str) -> None:
        self.refunds.append((reference, amount, currency))

    def sign(self, body: bytes, timestamp: int | None = None) -> str:
        ts = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(self.secret, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={ts},v1={mac}"

    def webhook(
        self,
        reference: str,
        status: str,
        *,
        event_id: str | None = None,
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed callback saying payment ``reference`` is now ``status``."""
        body = json.dumps(
            {
                "id": event_id or f"evt_{uuid.uuid4().hex[:20]}",
                "type": f"payment.{status}",
                "data": {"reference": reference, "status": status},
            }
        ).encode()
        return body, {
            "Sandbox-Signature": self.sign(body, timestamp),
            "Content-Type": "application/json",
        }

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        header = headers.get("Sandbox-Signature", "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        try:
            ts = int(parts.get("t", ""))
        except ValueError:
            raise WebhookRejected("Missing or malformed Sandbox-Signature header.") from None
        expected = hmac.new(self.secret, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise WebhookRejected("Bad signature.")
        if abs(time.time() - ts) > self.TOLERANCE_SECONDS:
            raise WebhookRejected("Signature timestamp too old.")
        try:
            data = json.loads(body)
            status = data["data"]["status"]
            reference = data["data"]["reference"]
            event_id = data["id"]
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("Malformed event body.") from None
        if status not in ("pending", "succeeded", "failed"):
            raise WebhookRejected(f"Unknown status {status!r}.")
        return ProviderEvent(str(event_id), str(data.get("type")), str(reference), status, data)


class ManualProvider(PaymentProvider):
    """Bank transfer: the customer gets instructions; an operator confirms receipt."""

    name = "manual"
    label = "Bank transfer"
    operator_confirms = True

    def charge(self, request: ChargeRequest) -> ChargeResult:
        reference = f"BT-{request.order_id}-{request.payment_id}"
        return ChargeResult(
            "pending",
            reference,
            "Awaiting bank transfer",
            {"instructions": f"Transfer the amount quoting reference {reference}."},
        )

    def refund(self, reference: str, amount: int, currency: str) -> None:
        """An operator pays bank transfer refunds by hand; the ledger already shows them."""


def install(app, collected: dict[str, tuple[str, PaymentProvider]]) -> None:
    providers: dict[str, PaymentProvider] = {}
    for name, (plugin, provider) in collected.items():
        if not isinstance(provider, PaymentProvider):
            raise PluginError(
                f"plugin {plugin!r}: mk_register_payment_providers must return PaymentProvider "
                f"instances, not {type(provider).__name__}"
            )
        if name == "wallet":
            raise PluginError(f"plugin {plugin!r}: 'wallet' is reserved for wallet payments")
        providers[name] = provider
    app.extensions[_EXT] = providers


def payment_providers() -> dict[str, PaymentProvider]:
    return current_app.extensions[_EXT]


def enabled_providers() -> dict[str, PaymentProvider]:
    """Providers offered to customers: registered and listed in ``[orders] payment_providers``."""
    from ...app import state

    wanted = state(current_app).settings.orders["payment_providers"]
    return {n: p for n, p in payment_providers().items() if n in wanted}


def get_provider(name: str, *, enabled_only: bool = False) -> PaymentProvider:
    providers = enabled_providers() if enabled_only else payment_providers()
    if name not in providers:
        raise ValidationError(
            errors={
                "provider": [
                    f"Unknown payment provider; choose one of {', '.join(sorted(providers))}."
                ]
            }
        )
    return providers[name]


def sandbox_secret(app) -> str:
    from ...app import state

    configured = state(app).settings.orders.get("sandbox_webhook_secret")
    if configured:
        return configured
    return hmac.new(
        app.config["SECRET_KEY"].encode(), b"sandbox-webhooks", hashlib.sha256
    ).hexdigest()
