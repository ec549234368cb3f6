"""A hypothesis state machine drives random orders, payments, cancellations, disputes,
refunds, timers and payouts, and checks the ledger's invariants after every step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from marketplace_kit.core.db import utcnow
from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.models import LedgerAccount
from marketplace_kit.core.listings.models import Listing
from marketplace_kit.core.orders import engine
from marketplace_kit.core.orders.models import Order
from marketplace_kit.core.orders.views import is_final
from marketplace_kit.core.payments import payouts
from marketplace_kit.core.payments.models import Payment, PayoutRequest
from marketplace_kit.core.payments.providers import payment_providers
from marketplace_kit.core.payments.service import receive_webhook, start_payment
from marketplace_kit.errors import MarketplaceError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.money import Money

CARDS = ["4242424242424242", "4000000000000002", "4000000000000077"]
STOCK = 4

pytestmark = pytest.mark.mk_config(
    {
        "fees": {
            "rules": [
                {"name": "buyer", "charged_to": "customer", "percent": "3.5", "fixed": 7},
                {"name": "seller", "charged_to": "provider", "percent": "11", "minimum": 30},
            ]
        },
        "orders": {"payout_holding_days": 0, "payout_minimum": 100},
    }
)


def test_random_money_flows_keep_the_ledger_sound(app, user_factory, listing_factory):
    finance = user_factory(roles=["finance", "support"])
    sandbox = payment_providers()["sandbox"]
    clock = {"now": utcnow()}

    class Money_Machine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.customers = [user_factory() for _ in range(2)]
            for customer in self.customers:
                self.deposit_to(customer, 6000)
            self.provider = user_factory()
            self.listing = listing_factory(author=self.provider, price_amount=1999, quantity=STOCK)
            self.orders: list[int] = []

        # -- helpers ---------------------------------------------------------------
        def attempt(self, fn, *args, **kwargs):
            try:
                result = fn(*args, **kwargs)
                commit()
                return result
            except MarketplaceError:
                db.session.rollback()
                return None

        def order(self, i):
            if not self.orders:
                return None
            return db.session.get(Order, self.orders[i % len(self.orders)])

        # -- rules -----------------------------------------------------------------
        def deposit_to(self, customer, amount):
            wallet = ledger.account("wallet", customer, "USD")
            clearing = ledger.account("clearing", "sandbox", "USD")
            ledger.transfer("deposit", clearing, wallet, Money(amount, "USD"))
            commit()

        @rule(who=st.integers(0, 1), amount=st.integers(1, 9000))
        def deposit(self, who, amount):
            self.deposit_to(self.customers[who], amount)

        @rule(who=st.integers(0, 1), qty=st.integers(1, 2))
        def place(self, who, qty):
            order = self.attempt(
                engine.place_order,
                "purchase",
                customer=self.customers[who],
                listing=self.listing,
                quantity=qty,
            )
            if order is not None:
                self.orders.append(order.id)

        @rule(i=st.integers(0, 50), pick=st.integers(0, 20), amount=st.integers(1, 8000))
        def take(self, i, pick, amount):
            """Take one of the transitions someone may take now (the dry run), any of them."""
            order = self.order(i)
            if order is None:
                return
            options = [
                (t.name, actor)
                for actor in (order.customer, order.provider, finance)
                for t in engine.allowed_transitions(order, actor)
            ]
            if not options:
                return
            name, actor = options[pick % len(options)]
            params = {"amount": amount} if name in ("refund_partial", "resolve_split") else {}
            if name == "open_dispute":
                params = {"reason": "Not as described"}
            self.attempt(engine.transition, order, name, actor, params, now=clock["now"])

        @rule(
            i=st.integers(0, 50),
            amount=st.integers(1, 8000),
            name=st.sampled_from(["refund_partial", "resolve_split"]),
        )
        def partial(self, i, amount, name):
            order = self.order(i)
            if order is not None:
                self.attempt(
                    engine.transition, order, name, finance, {"amount": amount}, now=clock["now"]
                )

        @rule(i=st.integers(0, 50))
        def dispute(self, i):
            order = self.order(i)
            if order is not None:
                self.attempt(
                    engine.transition,
                    order,
                    "open_dispute",
                    order.customer,
                    {"reason": "Not as described"},
                    now=clock["now"],
                )

        @rule(i=st.integers(0, 50), card=st.sampled_from(CARDS))
        def pay_card(self, i, card):
            order = self.order(i)
            if order is not None:
                self.attempt(start_payment, order, order.customer, "sandbox", {"card": card})

        @rule(status=st.sampled_from(["succeeded", "failed", "pending"]), twice=st.booleans())
        def webhook(self, status, twice):
            pending = db.session.scalars(select(Payment).where(Payment.status == "pending")).first()
            if pending is None:
                return
            body, headers = sandbox.webhook(pending.reference, status)
            for _ in range(2 if twice else 1):
                try:
                    receive_webhook("sandbox", body, headers)
                except MarketplaceError:
                    db.session.rollback()

        @rule(days=st.integers(0, 9))
        def time_passes(self, days):
            clock["now"] = clock["now"] + timedelta(days=days, hours=1)
            engine.run_due_timers(clock["now"])

        @rule(
            amount=st.integers(100, 5000), decision=st.sampled_from(["approve", "reject", "wait"])
        )
        def payout(self, amount, decision):
            payout = self.attempt(payouts.request_payout, self.provider, amount, "USD")
            if payout is None or decision == "wait":
                return
            decide = payouts.approve_payout if decision == "approve" else payouts.reject_payout
            self.attempt(decide, db.session.get(PayoutRequest, payout.id), finance)

        # -- invariants --------------------------------------------------------------
        @invariant()
        def ledger_verifies(self):
            assert ledger.verify() == []

        @invariant()
        def no_account_below_its_minimum(self):
            lowest = db.session.scalar(
                select(func.min(LedgerAccount.balance_amount)).where(
                    LedgerAccount.allow_negative.is_(False)
                )
            )
            assert lowest is None or lowest >= 0

        @invariant()
        def finished_orders_hold_nothing_in_escrow(self):
            for order_id in self.orders:
                order = db.session.get(Order, order_id)
                if is_final(order):
                    assert ledger.balance_of("escrow", order, "USD").amount == 0, order.state

        @invariant()
        def stock_is_conserved(self):
            reserved = db.session.scalar(
                select(func.coalesce(func.sum(Order.stock_reserved), 0)).where(
                    Order.listing_id == self.listing.id
                )
            )
            assert db.session.get(Listing, self.listing.id).quantity + reserved == STOCK

        @invariant()
        def money_in_equals_money_out(self):
            inside = db.session.scalar(
                select(func.coalesce(func.sum(LedgerAccount.balance_amount), 0)).where(
                    LedgerAccount.kind.in_(["wallet", "escrow", "revenue", "payout_hold"])
                )
            )
            outside = db.session.scalar(
                select(func.coalesce(func.sum(LedgerAccount.balance_amount), 0)).where(
                    LedgerAccount.kind == "clearing"
                )
            )
            assert inside == -outside

        def teardown(self):
            db.session.rollback()

    run_state_machine_as_test(
        Money_Machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
