"""Sandbox and manual payments, signed webhooks (duplicates, out of order), idempotency keys."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import JournalEntry
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.models import Order
from marketplace_kit.core.payments import idempotency
from marketplace_kit.core.payments.models import Payment
from marketplace_kit.core.payments.providers import PaymentProvider
from marketplace_kit.core.payments.service import confirm_manual_payment, start_payment
from marketplace_kit.errors import Conflict, PermissionDenied, PluginError, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.hookspecs import hookimpl
from marketplace_kit.money import Money

CARD_OK, CARD_DECLINED, CARD_PENDING = "4242 4242 4242 4242", "4000000000000002", "4000000000000077"


def pay(order, customer, card, provider="sandbox"):
    payment = start_payment(order, customer, provider, {"card": card} if card else {})
    commit()  # the outbox calls the provider after commit (at once in tests)
    db.session.expire_all()
    return db.session.get(Payment, payment.id), db.session.get(Order, order.id)


def entries():
    return db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry))


def test_card_that_succeeds_pays_into_escrow(order, people):
    payment, order = pay(order, people["customer"], CARD_OK)
    assert payment.status == "succeeded"
    assert payment.reference.startswith("sbx_")
    assert payment.details == {"brand": "visa", "last4": "4242"}
    assert order.state == "paid"
    assert ledger.balance_of("escrow", order, "USD") == Money(2500, "USD")
    assert ledger.balance_of("clearing", "sandbox", "USD") == Money(-2500, "USD")
    assert engine.timeline(order)[-1].actor_role == "system"
    assert ledger.verify() == []


def test_declined_card_leaves_the_order_payable(order, people):
    payment, order = pay(order, people["customer"], CARD_DECLINED)
    assert (payment.status, payment.message) == ("failed", "Card declined")
    assert order.state == "pending_payment"
    assert entries() == 0
    payment, order = pay(order, people["customer"], CARD_OK)
    assert order.state == "paid"


def test_pending_card_is_settled_by_a_signed_webhook_once(order, people, client, sandbox):
    payment, order = pay(order, people["customer"], CARD_PENDING)
    assert (payment.status, order.state) == ("pending", "pending_payment")
    with pytest.raises(Conflict, match="already in progress"):
        start_payment(order, people["customer"], "sandbox", {"card": CARD_OK})
    db.session.rollback()  # as the request that got the 409 would: it releases the write lock

    succeeded = sandbox.webhook(payment.reference, "succeeded", event_id="evt_1")
    late_pending = sandbox.webhook(payment.reference, "pending", event_id="evt_0")
    resp = client.post("/payments/webhooks/sandbox", data=succeeded[0], headers=succeeded[1])
    assert resp.status_code == 200 and resp.json["outcome"] == "applied"
    db.session.expire_all()
    assert db.session.get(Order, order.id).state == "paid"
    count = entries()

    again = client.post("/payments/webhooks/sandbox", data=succeeded[0], headers=succeeded[1])
    assert again.json["outcome"] == "duplicate"
    stale = client.post("/payments/webhooks/sandbox", data=late_pending[0], headers=late_pending[1])
    assert stale.json["outcome"] == "ignored"
    failed_late = sandbox.webhook(payment.reference, "failed", event_id="evt_2")
    resp = client.post("/payments/webhooks/sandbox", data=failed_late[0], headers=failed_late[1])
    assert resp.json["outcome"] == "ignored"
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "succeeded"
    assert entries() == count
    assert ledger.balance_of("escrow", order, "USD") == Money(2500, "USD")
    assert ledger.verify() == []


def test_webhooks_with_bad_signatures_are_rejected(order, people, client, sandbox):
    payment, _ = pay(order, people["customer"], CARD_PENDING)
    body, headers = sandbox.webhook(payment.reference, "succeeded")
    forged = body.replace(b"succeeded", b"failed\x20\x20\x20")
    assert (
        client.post("/payments/webhooks/sandbox", data=forged, headers=headers).status_code == 400
    )
    old = sandbox.webhook(payment.reference, "succeeded", timestamp=int(time.time()) - 3600)
    assert client.post("/payments/webhooks/sandbox", data=old[0], headers=old[1]).status_code == 400
    assert client.post("/payments/webhooks/sandbox", data=body).status_code == 400
    assert client.post("/payments/webhooks/nope", data=body, headers=headers).status_code == 422
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "pending"


def test_payment_arriving_after_the_order_was_cancelled_is_given_back(
    order, people, client, sandbox
):
    payment, order = pay(order, people["customer"], CARD_PENDING)
    engine.transition(order, "cancel", people["customer"])
    commit()
    body, headers = sandbox.webhook(payment.reference, "succeeded")
    assert client.post("/payments/webhooks/sandbox", data=body, headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "refunded"
    assert db.session.get(Order, order.id).state == "cancelled"
    assert sandbox.refunds == [(payment.reference, 2500, "USD")]
    assert entries() == 0


def test_cancelled_orders_cannot_be_paid(order, people):
    engine.transition(order, "cancel", people["customer"])
    commit()
    with pytest.raises(engine.TransitionNotAllowed) as info:
        start_payment(order, people["customer"], "sandbox", {"card": CARD_OK})
    assert info.value.status == 409
    with pytest.raises(PermissionDenied):
        start_payment(
            db.session.get(Order, order.id), people["provider"], "sandbox", {"card": CARD_OK}
        )
    with pytest.raises(ValidationError):
        start_payment(order, people["customer"], "sandbox", {"card": "not a card"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_refund_goes_back_to_the_card(order, people, sandbox):
    payment, order = pay(order, people["customer"], CARD_OK)
    engine.transition(order, "cancel_paid", people["provider"])
    commit()
    assert ledger.balance_of("escrow", order, "USD") == Money(0, "USD")
    assert ledger.balance_of("clearing", "sandbox", "USD") == Money(0, "USD")
    assert ledger.balance_of("wallet", people["customer"], "USD") == Money(0, "USD")
    assert sandbox.refunds == [(payment.reference, 2500, "USD")]
    assert ledger.verify() == []


def test_bank_transfer_is_confirmed_by_finance(order, people):
    payment, order = pay(order, people["customer"], None, provider="manual")
    assert payment.status == "pending"
    assert payment.reference in payment.details["instructions"]
    with pytest.raises(PermissionDenied):
        confirm_manual_payment(payment, people["support"])
    confirm_manual_payment(payment, people["finance"])
    commit()
    assert db.session.get(Order, order.id).state == "paid"
    with pytest.raises(Conflict):
        confirm_manual_payment(db.session.get(Payment, payment.id), people["finance"])


def test_idempotency_key_returns_the_first_result_and_runs_once(app, people):
    runs = []

    def work():
        runs.append(1)
        return 201, {"n": len(runs)}

    user_id = people["customer"].id
    first = idempotency.run_once(user_id, "orders.create", "k1", {"a": 1}, work)
    second = idempotency.run_once(user_id, "orders.create", "k1", {"a": 1}, work)
    assert first == (201, {"n": 1}, False)
    assert second == (201, {"n": 1}, True)
    assert runs == [1]
    with pytest.raises(ValidationError):
        idempotency.run_once(user_id, "orders.create", "k1", {"a": 2}, work)
    other_user = idempotency.run_once(people["provider"].id, "orders.create", "k1", {"a": 1}, work)
    assert other_user == (201, {"n": 2}, False)


def test_payment_providers_come_from_plugins(app_factory):
    class Dup(PaymentProvider):
        name = "sandbox"

    class Plugin:
        mk_plugin_name = "gateway"

        @staticmethod
        @hookimpl
        def mk_register_payment_providers(app):
            return [Dup()]

    with pytest.raises(PluginError, match="duplicate payment provider 'sandbox'"):
        app_factory(extra_plugins=[Plugin])
