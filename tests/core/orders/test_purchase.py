"""The purchase process end to end through the engine, and its refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import JournalEntry
from marketplace_kit.core.orders import engine, outbox
from marketplace_kit.core.orders.actions import SoldOut
from marketplace_kit.core.orders.models import Order
from marketplace_kit.errors import PermissionDenied, ValidationError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.hookspecs import hookimpl
from marketplace_kit.money import Money


def usd(amount):
    return Money(amount, "USD")


@pytest.fixture
def shop(people, listing_factory, fund_wallet):
    listing = listing_factory(author=people["provider"], price_amount=2000, quantity=5)
    fund_wallet(people["customer"], 10000)
    return listing


def place(people, listing, quantity=2):
    order = engine.place_order(
        None, customer=people["customer"], listing=listing, quantity=quantity
    )
    commit()
    return order


def test_purchase_happy_path_moves_money_through_escrow(people, shop):
    order = place(people, shop)
    assert (order.process_name, order.process_version, order.state) == (
        "purchase",
        1,
        "pending_payment",
    )
    assert db.session.get(type(shop), shop.id).quantity == 3
    assert [(ln.kind, ln.code, ln.payer, ln.amount) for ln in order.lines] == [
        ("item", "item", "customer", 4000),
        ("fee", "buyer_service_fee", "customer", 200),
        ("fee", "seller_commission", "provider", 400),
    ]
    assert order.customer_total == usd(4200)
    assert order.provider_payout == usd(3600)

    engine.transition(order, "pay_from_wallet", people["customer"])
    commit()
    assert order.state == "paid"
    assert ledger.balance_of("escrow", order, "USD") == usd(4200)
    assert ledger.balance_of("wallet", people["customer"], "USD") == usd(5800)

    engine.transition(order, "mark_delivered", people["provider"])
    engine.transition(order, "accept", people["customer"], {"message": "Thanks!"})
    commit()
    assert order.state == "completed"
    assert ledger.balance_of("escrow", order, "USD") == usd(0)
    assert ledger.balance_of("wallet", people["provider"], "USD") == usd(3600)
    assert ledger.balance_of("revenue", None, "USD") == usd(600)
    assert ledger.verify() == []

    events = engine.timeline(order)
    assert [(e.transition, e.from_state, e.to_state, e.actor_role) for e in events] == [
        ("place", None, "pending_payment", "customer"),
        ("pay_from_wallet", "pending_payment", "paid", "customer"),
        ("mark_delivered", "paid", "delivered", "provider"),
        ("accept", "delivered", "completed", "customer"),
    ]
    assert events[-1].params == {"message": "Thanks!"}
    assert events[-1].actor_id == people["customer"].id
    assert order.version == 4


def test_transitions_check_the_actor_and_the_state_and_change_nothing_when_refused(people, shop):
    order = place(people, shop)
    with pytest.raises(PermissionDenied):
        engine.transition(order, "mark_delivered", people["customer"])
    with pytest.raises(PermissionDenied):
        engine.transition(order, "pay_from_wallet", people["provider"])
    with pytest.raises(engine.TransitionNotAllowed) as info:
        engine.transition(order, "accept", people["customer"])
    assert info.value.status == 409
    with pytest.raises(engine.TransitionNotAllowed):
        engine.transition(order, "no_such_thing", people["customer"])
    with pytest.raises(PermissionDenied):
        engine.transition(order, "expire", people["customer"])  # timers belong to the system
    order = db.session.get(Order, order.id)
    assert (order.state, order.version) == ("pending_payment", 1)
    assert len(engine.timeline(order)) == 1


def test_stale_order_version_is_a_conflict(people, shop):
    order = place(people, shop)
    with pytest.raises(engine.StaleOrder) as info:
        engine.transition(order, "cancel", people["customer"], expected_version=7)
    assert info.value.status == 409
    engine.transition(order, "cancel", people["customer"], expected_version=1)
    commit()
    assert order.state == "cancelled"


def test_dry_run_lists_only_what_the_viewer_may_do(people, shop, user_factory):
    order = place(people, shop)
    names = lambda actor: [t.name for t in engine.allowed_transitions(order, actor)]  # noqa: E731
    assert names(people["customer"]) == ["pay_from_wallet", "cancel"]
    assert names(people["provider"]) == ["cancel"]
    assert names(people["operator"]) == ["cancel"]
    assert names(user_factory()) == []
    assert names(engine.SYSTEM) == ["payment_succeeded", "expire"]


def test_paying_with_too_little_in_the_wallet_changes_nothing(
    people, listing_factory, user_factory
):
    poor = user_factory()
    listing = listing_factory(author=people["provider"], price_amount=2000, quantity=5)
    order = engine.place_order(None, customer=poor, listing=listing)
    commit()
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry))
    with pytest.raises(ledger.InsufficientFunds):
        engine.transition(order, "pay_from_wallet", poor)
    order = db.session.get(Order, order.id)
    assert order.state == "pending_payment"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == entries


def test_stock_runs_out_and_comes_back_on_cancel(people, listing_factory, user_factory):
    listing = listing_factory(author=people["provider"], quantity=1)
    first = engine.place_order(None, customer=user_factory(), listing=listing)
    commit()
    with pytest.raises(SoldOut) as info:
        engine.place_order(None, customer=user_factory(), listing=listing)
    assert info.value.status == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    engine.transition(first, "cancel", first.customer)
    commit()
    assert db.session.get(type(listing), listing.id).quantity == 1
    # Releasing twice gives nothing back twice.
    assert first.stock_reserved == 0


def test_bad_order_input_is_refused(people, shop):
    with pytest.raises(ValidationError):
        engine.place_order(None, customer=people["customer"], listing=shop, quantity=0)
    with pytest.raises(ValidationError):
        engine.place_order(None, customer=people["provider"], listing=shop)
    order = place(people, shop)
    with pytest.raises(ValidationError) as info:
        engine.transition(order, "cancel", people["customer"], {"amount": 5})
    assert "amount" in info.value.errors


def test_timers_fire_once_and_are_cancelled_when_the_order_moves_on(people, shop, user_factory):
    unpaid = place(people, shop, quantity=1)
    paid = place(people, shop, quantity=1)
    engine.transition(paid, "pay_from_wallet", people["customer"])
    commit()
    assert [t.transition for t in engine.pending_timers(paid)] == []
    assert [t.transition for t in engine.pending_timers(unpaid)] == ["expire"]

    assert engine.run_due_timers(utcnow() + timedelta(hours=23)) == 0
    assert engine.run_due_timers(utcnow() + timedelta(days=2)) == 1
    assert engine.run_due_timers(utcnow() + timedelta(days=2)) == 0
    unpaid = db.session.get(Order, unpaid.id)
    assert unpaid.state == "cancelled"
    assert engine.timeline(unpaid)[-1].actor_role == "system"
    assert db.session.get(type(shop), shop.id).quantity == 4

    engine.transition(paid, "mark_delivered", people["provider"])
    commit()
    assert engine.run_due_timers(utcnow() + timedelta(days=6)) == 0
    assert engine.run_due_timers(utcnow() + timedelta(days=8)) == 1
    paid = db.session.get(Order, paid.id)
    assert paid.state == "completed"
    assert ledger.balance_of("escrow", paid, "USD") == usd(0)
    assert ledger.verify() == []


def test_operator_refunds_part_and_the_rest_is_split_without_losing_a_cent(people, shop):
    order = place(people, shop, quantity=1)  # 2000 + 100 buyer fee; provider fee 200
    engine.transition(order, "pay_from_wallet", people["customer"])
    engine.transition(order, "mark_delivered", people["provider"])
    commit()
    with pytest.raises(ValidationError):
        engine.transition(order, "refund_partial", people["operator"], {"amount": 2101})
    with pytest.raises(ValidationError):
        engine.transition(order, "refund_partial", people["operator"], {"amount": -5})
    with pytest.raises(PermissionDenied):
        engine.transition(order, "refund_partial", people["customer"], {"amount": 5})
    engine.transition(order, "refund_partial", people["operator"], {"amount": 701})
    commit()
    provider = ledger.balance_of("wallet", people["provider"], "USD")
    revenue = ledger.balance_of("revenue", None, "USD")
    assert ledger.balance_of("wallet", people["customer"], "USD") == usd(10000 - 2100 + 701)
    assert provider + revenue == usd(2100 - 701)
    assert revenue == usd(200)  # 300 of 2100 is the platform's: 1399 * 3/21 = 199.86 -> 200
    assert ledger.balance_of("escrow", order, "USD") == usd(0)
    assert ledger.verify() == []


def test_paid_order_cancelled_by_provider_is_refunded_in_full(people, shop):
    order = place(people, shop, quantity=2)
    engine.transition(order, "pay_from_wallet", people["customer"])
    engine.transition(order, "cancel_paid", people["provider"])
    commit()
    assert order.state == "refunded"
    assert ledger.balance_of("wallet", people["customer"], "USD") == usd(10000)
    assert ledger.balance_of("escrow", order, "USD") == usd(0)
    assert db.session.get(type(shop), shop.id).quantity == 5


def test_events_and_notifications_leave_after_commit(app_factory):
    seen = []

    class Recorder:
        mk_plugin_name = "recorder"

        @staticmethod
        @hookimpl
        def mk_order_transitioned(order, transition, from_state, to_state, actor):
            seen.append(("event", transition, from_state, to_state, getattr(actor, "id", None)))

        @staticmethod
        @hookimpl
        def mk_outbox_message(topic, payload):
            seen.append(("outbox", topic, payload["template"], payload["role"]))

    app = app_factory({"fees": {"rules": []}}, extra_plugins=[Recorder])
    with app.app_context():
        from marketplace_kit.core.users.service import create_user

        customer = create_user("c@example.com", "C", password_hash=None)
        provider = create_user("p@example.com", "P", password_hash=None)
        commit()
        from marketplace_kit.core.listings.models import Listing

        listing = Listing(
            author_id=provider.id,
            listing_type="product",
            title="Tea",
            price_amount=500,
            currency="USD",
            status="published",
            quantity=3,
        )
        db.session.add(listing)
        commit()
        order = engine.place_order(None, customer=customer, listing=listing)
        assert seen == []  # nothing before commit
        commit()
        assert ("event", "place", None, "pending_payment", customer.id) in seen
        assert ("outbox", "notification", "order_placed", "provider") in seen
        assert outbox.pending() == []
        engine.transition(order, "cancel", customer)
        db.session.rollback()
        assert [s for s in seen if s[1] == "cancel"] == []
