"""Payment provider callbacks: ``POST /payments/webhooks/<provider>``.

No session, no CSRF token: the provider signs each callback and the provider
object verifies it. Repeated and out-of-order callbacks are acknowledged and
change nothing.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ...core.payments.service import receive_webhook

bp = Blueprint("payments", __name__, url_prefix="/payments")


@bp.post("/webhooks/<provider>")
def webhook(provider: str):
    outcome = receive_webhook(provider, request.get_data(), request.headers)
    return jsonify({"received": True, "outcome": outcome})
